"""End-to-end CLI tests: ``python -m hrouter`` against loopback Ollama and Anthropic fakes.

The fakes record every request, so tests assert on what actually reached each server
(a confidential prompt must never reach the cloud fake).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clitools import ROOT, audit_records, run_cli, tiny_png, write_policy
from fakes import FakeAnthropic, FakeOllama, free_port

DATA = Path(__file__).resolve().parent / "data"
SIMPLE = "What is the capital of France?"
CONFIDENTIAL = "Summarize the contract for SSN 123-45-6789"
COMPLEX = "Compare the architectural trade-offs between transformer and SSM-based models step by step"
KEY = {"ANTHROPIC_API_KEY": "sk-ant-test-key-0123456789"}


@pytest.fixture
def ollama():
    with FakeOllama(chunks=["Par", "is."], models=["llama3.2:3b"]) as f:
        yield f


@pytest.fixture
def cloud():
    with FakeAnthropic(chunks=["Trans", "formers ", "win."], served_model="claude-sonnet-4-6-20260217") as f:
        yield f


@pytest.fixture
def policy(tmp_path, ollama, cloud):
    return write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url)


def user_message(req) -> str:
    return req.body["messages"][-1]["content"]


# --------------------------------------------------------------------------- explain

def test_seed_examples_route_as_stated_with_builtin_default():
    for prompt, backend, zone, tier in ((SIMPLE, "local", "local", "public"),
                                        (CONFIDENTIAL, "local", "local", "confidential"),
                                        (COMPLEX, "cloud", "public-cloud", "public")):
        r = run_cli(["explain", "--json", prompt])
        assert r.returncode == 0, r.stderr
        d = json.loads(r.stdout)
        assert (d["backend"], d["zone"], d["sensitivity"]["tier"]) == (backend, zone, tier), prompt


def test_explain_json_contract_and_masking():
    r = run_cli(["explain", "--json", CONFIDENTIAL])
    d = json.loads(r.stdout)
    for key in ("backend", "model", "zone", "fallbacks", "rule", "sensitivity", "complexity", "tokens",
                "estimated_cost_usd", "trace"):
        assert key in d
    f = d["sensitivity"]["findings"][0]
    assert (f["detector"], f["tier"]) == ("ssn", "confidential")
    assert CONFIDENTIAL[f["start"]:f["end"]].replace(" ", "") in ("123-45-6789", "123456789")
    assert b"123-45-6789" not in r.stdout  # masked, never printed whole
    assert d["fallbacks"] == [] and d["rule"] == "sensitivity.confidential"
    assert set(d["complexity"]["components"]) >= {"length", "reasoning", "code", "multimodal", "constraints"}


def test_explain_human_view_on_stderr_only_no_escape_codes():
    r = run_cli(["explain", CONFIDENTIAL])
    assert r.returncode == 0 and r.stdout == b""
    err = r.stderr.decode()
    for needle in ("Sensitivity", "confidential", "ssn", "Complexity", "Candidates", "Trace", "removed"):
        assert needle in err
    assert "123-45-6789" not in err
    assert "\x1b[" not in err


def test_explain_does_not_import_sdks_or_probe_backends():
    port = free_port()
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "hrouter", "explain", COMPLEX],
                       capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert r.returncode == 0, r.stderr
    imported = {line.split("|")[-1].strip().split(".")[0] for line in r.stderr.decode().splitlines() if "|" in line}
    assert "anthropic" not in imported and "ollama" not in imported and "httpx" not in imported
    assert port  # nothing listens; explain never connected (it would have no reason to)


def test_bare_commands_print_their_help_and_usage_hints_name_the_command():
    r = run_cli([])
    err = r.stderr.decode()
    assert r.returncode == 2 and r.stdout == b""
    assert err.startswith("Usage: hrouter [OPTIONS] COMMAND") and "\nCommands:" in err and "explain" in err
    r = run_cli(["policy"])
    assert r.returncode == 2 and r.stderr.decode().startswith("Usage: hrouter policy [OPTIONS] COMMAND")
    r = run_cli(["explain", "--no-stdin"])
    assert r.returncode == 2
    assert r.stderr.decode().splitlines()[1:] == ['usage: hrouter explain "What is the capital of France?"',
                                                  '       cat notes.txt | hrouter explain "Summarize this"',
                                                  '       hrouter explain -f notes.txt "Summarize"']
    r = run_cli(["explain", "--jsonl", "--json"], input=b"hello\n")
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode() == "hrouter: error: --json and --jsonl exclude each other (--jsonl already writes JSON, a line per prompt)\n"


def test_explain_jsonl_on_seed_prompts():
    data = (DATA / "seed-prompts.jsonl").read_bytes() + b"\nplain text line about the weather\n"
    r = run_cli(["explain", "--jsonl"], input=data)
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert len(lines) == 4
    expected = [json.loads(x) for x in (DATA / "seed-prompts.jsonl").read_text().splitlines()]
    for got, exp in zip(lines, expected):
        assert got["id"] == exp["id"]
        assert got["zone"] == exp["expected_zone"] and got["sensitivity"]["tier"] == exp["expected_tier"]
    assert lines[3]["line"] == 5 and lines[3]["backend"] == "local"
    err = r.stderr.decode()
    assert "4 prompts explained" in err and "confidential" in err and "cloud" in err


def test_explain_jsonl_bad_lines_named_and_exit_2():
    r = run_cli(["explain", "--jsonl"], input=b'{"prompt": "hi"}\n{"nope": 1}\n{bad json\n\xff\xfe\nhello\n')
    assert r.returncode == 2
    assert len(r.stdout.decode().splitlines()) == 2
    err = r.stderr.decode()
    assert "stdin:2:" in err and "stdin:3:" in err and "stdin:4:" in err


def test_explain_refused_exit_3(tmp_path):
    p = tmp_path / "cloud-only.yaml"
    p.write_text("version: 1\nbackends:\n  c: {kind: anthropic, model: m, zone: public-cloud}\n")
    r = run_cli(["explain", "--json", "--policy", str(p), CONFIDENTIAL])
    assert r.returncode == 3
    assert json.loads(r.stdout)["refused"] is True


# --------------------------------------------------------------------------- ask: routing and streaming

def test_ask_simple_streams_local_answer(policy, ollama, cloud, hrouter_home):
    r = run_cli(["ask", "--policy", str(policy), SIMPLE], env=KEY)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"Paris.\n"
    assert cloud.requests == []
    assert user_message(ollama.requests_to("/api/chat")[0]) == SIMPLE
    err = r.stderr.decode()
    assert "local" in err and "\x1b[" not in err
    rec = audit_records(hrouter_home)[-1]
    assert rec["backend"] == "local" and rec["status"] == "ok" and rec["cloud_egress"] is False
    assert rec["model_version"] == ollama.digest("llama3.2:3b")
    assert rec["output_tokens"] == 2 and rec["input_tokens"] == 18
    assert rec["server_ms"]["load"] == 41.0 and rec["server_ms"]["eval"] == 60.0  # the fake's ns, in ms


def test_ask_complex_goes_to_cloud_with_key(policy, ollama, cloud, hrouter_home):
    r = run_cli(["ask", "--policy", str(policy), COMPLEX], env=KEY)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"Transformers win.\n"
    assert ollama.requests_to("/api/chat") == []
    req = cloud.requests_to("/v1/messages")[0]
    assert user_message(req) == COMPLEX and req.body["stream"] is True
    rec = audit_records(hrouter_home)[-1]
    assert (rec["backend"], rec["zone"], rec["cloud_egress"]) == ("cloud", "public-cloud", True)
    assert rec["model_version"] == "claude-sonnet-4-6-20260217"
    assert rec["request_id"].startswith("req_fake_")
    assert rec["cost_usd"] == pytest.approx((21 * 3 + 3 * 15) / 1e6)


def test_confidential_never_reaches_cloud_even_forced(policy, ollama, cloud):
    r = run_cli(["ask", "--policy", str(policy), "--backend", "cloud", CONFIDENTIAL], env=KEY)
    assert r.returncode == 3
    assert b"not permitted" in r.stderr
    assert cloud.requests == [] and ollama.requests == []


def test_confidential_with_local_down_exit_4_nothing_to_cloud(tmp_path, cloud):
    down = f"http://127.0.0.1:{free_port()}"
    p = write_policy(tmp_path, ollama_url=down, anthropic_url=cloud.url)
    r = run_cli(["ask", "--policy", str(p), CONFIDENTIAL], env=KEY)
    assert r.returncode == 4, r.stderr
    err = r.stderr.decode()
    assert down in err and "ollama serve" in err
    assert cloud.requests == []
    assert r.stdout == b""


@pytest.mark.parametrize("status", [429, 500, 529])
def test_cloud_availability_failure_falls_back_to_local(policy, ollama, cloud, hrouter_home, status):
    cloud.fail_next(status)
    r = run_cli(["ask", "--policy", str(policy), COMPLEX], env=KEY)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"Paris.\n"
    assert len(cloud.requests_to("/v1/messages")) == 1  # SDK retries off: hrouter falls back itself
    assert b"falling back to local" in r.stderr
    rec = audit_records(hrouter_home)[-1]
    assert rec["backend"] == "local" and rec["route"] == "cloud"
    assert [a["backend"] for a in rec["attempts"]] == ["cloud", "local"]
    assert rec["attempts"][0]["http_status"] == status


def test_ollama_busy_503_and_refused_connection_fall_back_to_cloud(tmp_path, ollama, cloud):
    ollama.busy = True
    p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url)
    r = run_cli(["ask", "--policy", str(p), SIMPLE], env=KEY)
    assert r.returncode == 0 and r.stdout == b"Transformers win.\n"
    down = write_policy(tmp_path, ollama_url=f"http://127.0.0.1:{free_port()}", anthropic_url=cloud.url,
                        name="down.yaml")
    r = run_cli(["ask", "--policy", str(down), SIMPLE], env=KEY)
    assert r.returncode == 0 and r.stdout == b"Transformers win.\n"


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_no_fallback_on_client_errors(policy, ollama, cloud, status):
    cloud.fail_next(status)
    r = run_cli(["ask", "--policy", str(policy), COMPLEX], env=KEY)
    assert r.returncode == (5 if status == 401 else 1), r.stderr
    assert ollama.requests_to("/api/chat") == []


def test_unknown_local_model_404_not_routed_around(tmp_path, ollama, cloud):
    p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url, local_model="nosuch")
    r = run_cli(["ask", "--policy", str(p), SIMPLE], env=KEY)
    assert r.returncode == 1
    assert b"not found" in r.stderr and cloud.requests == []


def test_failure_after_first_token_is_not_spliced(policy, ollama, cloud, hrouter_home):
    cloud.error_after = 1
    r = run_cli(["ask", "--policy", str(policy), COMPLEX], env=KEY)
    assert r.returncode == 1
    assert r.stdout.startswith(b"Trans")
    assert b"not retried" in r.stderr
    assert ollama.requests_to("/api/chat") == []
    assert audit_records(hrouter_home)[-1]["status"] == "error"


@pytest.mark.parametrize("flag", ["--no-stream", "--json"])
def test_failure_mid_answer_falls_back_when_nothing_was_printed_yet(flag, policy, ollama, cloud, hrouter_home):
    """Red-team finding: with --no-stream/--json nothing reaches stdout before the end, so a
    backend that drops mid-answer is routed around like any other failure."""
    cloud.error_after = 1
    r = run_cli(["ask", flag, "--policy", str(policy), COMPLEX], env=KEY)
    assert r.returncode == 0, r.stderr
    assert len(ollama.requests_to("/api/chat")) == 1
    assert b"Trans" not in r.stdout
    assert audit_records(hrouter_home)[-1]["status"] == "ok"


def test_missing_api_key_exit_5_only_on_cloud_route(policy, ollama, cloud, hrouter_home):
    r = run_cli(["ask", "--policy", str(policy), COMPLEX], env={"ANTHROPIC_API_KEY": None})
    assert r.returncode == 5 and b"ANTHROPIC_API_KEY" in r.stderr
    assert cloud.requests == []
    rec = audit_records(hrouter_home)[-1]
    assert rec["cloud_egress"] is False and rec["attempts"][0]["sent"] is False
    r = run_cli(["ask", "--policy", str(policy), SIMPLE], env={"ANTHROPIC_API_KEY": None})
    assert r.returncode == 0 and r.stdout == b"Paris.\n"


def test_ask_json(policy, ollama):
    r = run_cli(["ask", "--json", "--policy", str(policy), SIMPLE], env=KEY)
    assert r.returncode == 0
    d = json.loads(r.stdout)
    assert d["completion"] == "Paris." and d["status"] == "ok"
    assert d["usage"] == {"input_tokens": 18, "output_tokens": 2, "cost_usd": 0.0}
    assert d["decision"]["backend"] == "local" and d["ttft_ms"] > 0 and d["latency_ms"] >= d["ttft_ms"]


def test_no_stream_prints_whole_answer(policy):
    r = run_cli(["ask", "--no-stream", "-q", "--policy", str(policy), SIMPLE], env=KEY)
    assert r.returncode == 0 and r.stdout == b"Paris.\n" and r.stderr == b""


def test_streaming_reaches_stdout_before_the_answer_ends(tmp_path, cloud):
    with FakeOllama(chunks=["first ", "second"], chunk_delay_s=1.0, models=["llama3.2:3b"]) as slow:
        p = write_policy(tmp_path, ollama_url=slow.url, anthropic_url=cloud.url)
        proc = subprocess.Popen([sys.executable, "-m", "hrouter", "ask", "-q", "--policy", str(p), SIMPLE],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONPATH": str(ROOT), **KEY})
        first = os.read(proc.stdout.fileno(), 100)
        t_first = time.monotonic()
        assert first == b"first "
        rest, _ = proc.communicate(timeout=30)
        assert time.monotonic() - t_first > 0.5  # the second chunk came later: the first was flushed alone
        assert rest == b"second\n" and proc.returncode == 0


# --------------------------------------------------------------------------- input assembly

def test_stdin_then_argument_joined_by_blank_line(policy, ollama):
    r = run_cli(["ask", "--policy", str(policy), "Summarize this"], input=b"The notes.\n", env=KEY)
    assert r.returncode == 0, r.stderr
    assert user_message(ollama.requests_to("/api/chat")[0]) == "The notes.\n\nSummarize this"


def test_file_and_stdin_and_system(policy, ollama, tmp_path):
    (tmp_path / "notes.txt").write_text("File notes.\n")
    r = run_cli(["ask", "--policy", str(policy), "-f", str(tmp_path / "notes.txt"), "-s", "Be terse.", "Summarize"],
                input=b"Piped.\n", env=KEY)
    assert r.returncode == 0, r.stderr
    req = ollama.requests_to("/api/chat")[0]
    assert user_message(req) == "Piped.\n\nFile notes.\n\nSummarize"
    assert req.body["messages"][0] == {"role": "system", "content": "Be terse."}


def test_no_stdin_flag_skips_pipe(policy, ollama):
    r = run_cli(["ask", "--no-stdin", "--policy", str(policy), "hello"], input=b"ignored", env=KEY)
    assert r.returncode == 0 and user_message(ollama.requests_to("/api/chat")[0]) == "hello"


def test_no_input_exit_2_with_usage():
    r = run_cli(["ask"], input=b"")
    assert r.returncode == 2
    assert b"no prompt given" in r.stderr and b'hrouter ask "' in r.stderr and b"Traceback" not in r.stderr


def test_no_input_on_a_terminal_does_not_hang():
    import pty
    master, slave = pty.openpty()
    try:
        r = run_cli(["ask"], stdin=slave, timeout=20)
    finally:
        os.close(slave)
        os.close(master)
    assert r.returncode == 2 and b"no prompt given" in r.stderr


def test_invalid_utf8_is_a_clear_error(tmp_path):
    r = run_cli(["ask", "x"], input=b"ok\n\xff\xfe bad")
    assert r.returncode == 2 and b"stdin: not valid UTF-8 (line 2" in r.stderr and b"Traceback" not in r.stderr
    (tmp_path / "bad.txt").write_bytes(b"\xc3\x28")
    r = run_cli(["ask", "--no-stdin", "-f", str(tmp_path / "bad.txt"), "x"])
    assert r.returncode == 2 and b"bad.txt: not valid UTF-8" in r.stderr
    r = run_cli(["ask", "--no-stdin", "-f", str(tmp_path / "missing.txt"), "x"])
    assert r.returncode == 2 and b"missing.txt: no such file" in r.stderr


# --------------------------------------------------------------------------- policy and errors

def test_bad_policy_one_line_error_exit_2(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("version: 1\nbackends:\n  local:\n    kind: ollama\n    model: m\n    zone: local\n    colour: red\n")
    for cmd in (["ask", "hi"], ["explain", "hi"], ["policy", "show"]):
        r = run_cli([*cmd, "--policy", str(p)])
        assert r.returncode == 2
        lines = r.stderr.decode().strip().splitlines()
        assert lines == [f"hrouter: error: {p}:7: backends.local.colour: unknown key (allowed: kind, model, zone, "
                         "host, base_url, price, max_tokens, context_window, capability, ttft_ms, timeout_s, "
                         "connect_timeout_s, images, max_inflight, api_key_env, load_metrics, metrics_url, hosts)"]


def test_policy_validate_and_show(tmp_path):
    r = run_cli(["policy", "validate", str(ROOT / "policies" / "examples" / "strict.yaml")])
    assert r.returncode == 0 and b"ok:" in r.stdout
    r = run_cli(["policy", "show", "--json"])
    d = json.loads(r.stdout)
    assert d["source"] == "<built-in>" and d["policy"]["backends"]["local"]["kind"] == "ollama"
    assert d["audit_log"].endswith("state/audit.jsonl") and d["audit_key"].endswith("state/audit.key")
    r = run_cli(["policy", "show"])
    assert b"# source: <built-in>" in r.stdout and b"backends:" in r.stdout


def test_policy_env_var(tmp_path):
    p = tmp_path / "env.yaml"
    p.write_text("version: 1\nbackends:\n  solo: {kind: ollama, model: m, zone: local}\n")
    r = run_cli(["explain", "--json", SIMPLE], env={"HROUTER_POLICY": str(p)})
    assert json.loads(r.stdout)["backend"] == "solo"


def test_version_and_help():
    r = run_cli(["--version"])
    assert r.returncode == 0 and r.stdout.decode().startswith("hrouter ")
    for cmd in ("ask", "explain"):
        r = run_cli([cmd, "--help"])
        assert r.returncode == 0 and f"hrouter {cmd}".encode() in r.stdout
    r = run_cli(["ask", "--bogus"])
    assert r.returncode == 2


# --------------------------------------------------------------------------- audit log

def test_audit_record_fields_and_no_raw_prompt(policy, hrouter_home):
    secret_prompt = "What is the capital of France? zebra-unique-marker"
    r = run_cli(["ask", "--policy", str(policy), secret_prompt], env=KEY)
    assert r.returncode == 0
    text = (hrouter_home / "state" / "audit.jsonl").read_text()
    assert "zebra-unique-marker" not in text and KEY["ANTHROPIC_API_KEY"] not in text
    rec = json.loads(text.splitlines()[-1])
    for key in ("ts", "id", "session", "backend", "model", "model_version", "zone", "cloud_egress", "tier",
                "detectors", "complexity", "components", "rule", "fallbacks", "ttft_ms", "latency_ms",
                "input_tokens", "output_tokens", "cost_usd", "status", "prompt_hmac", "policy_digest"):
        assert key in rec
    assert rec["ts"].endswith("Z") and rec["prompt_hmac"].startswith("hmac-sha256:")
    key_file = hrouter_home / "state" / "audit.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    import hashlib, hmac
    assert rec["prompt_hmac"] == "hmac-sha256:" + hmac.new(key_file.read_bytes(), secret_prompt.encode(),
                                                           hashlib.sha256).hexdigest()


def test_audit_log_prompt_when_policy_says(tmp_path, ollama, cloud, hrouter_home):
    p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url, extra="audit:\n  log_prompt: true\n")
    run_cli(["ask", "--policy", str(p), "hello marker-42"], env=KEY)
    assert audit_records(hrouter_home)[-1]["prompt"] == "hello marker-42"


def test_refusal_is_audited(policy, hrouter_home):
    run_cli(["ask", "--policy", str(policy), "--backend", "cloud", CONFIDENTIAL], env=KEY)
    rec = audit_records(hrouter_home)[-1]
    assert rec["status"] == "refused" and rec["backend"] is None and rec["cloud_egress"] is False


def test_concurrent_asks_from_8_processes_all_intact(policy, ollama, hrouter_home):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **KEY}
    procs = [subprocess.Popen([sys.executable, "-m", "hrouter", "ask", "-q", "--policy", str(policy), f"{SIMPLE} {i}"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env)
             for i in range(8)]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    recs = [r for r in audit_records(hrouter_home) if r["type"] == "request"]
    assert len(recs) == 8 and len({r["id"] for r in recs}) == 8
    assert len({r["prompt_hmac"] for r in recs}) == 8  # one key shared by all


def test_interrupt_exit_130_and_audited(tmp_path, cloud, hrouter_home):
    with FakeOllama(chunks=["x"], first_chunk_delay_s=20, models=["llama3.2:3b"]) as slow:
        p = write_policy(tmp_path, ollama_url=slow.url, anthropic_url=cloud.url)
        proc = subprocess.Popen([sys.executable, "-m", "hrouter", "ask", "--policy", str(p), SIMPLE],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONPATH": str(ROOT), **KEY})
        deadline = time.monotonic() + 20
        while not slow.requests_to("/api/chat") and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    assert audit_records(hrouter_home)[-1]["status"] == "interrupted"


def test_connection_refused_cloud_is_not_egress(tmp_path, ollama, hrouter_home):
    p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=f"http://127.0.0.1:{free_port()}")
    r = run_cli(["ask", "--policy", str(p), COMPLEX], env=KEY)
    assert r.returncode == 0 and r.stdout == b"Paris.\n"  # fell back to local
    rec = audit_records(hrouter_home)[-1]
    assert rec["attempts"][0]["backend"] == "cloud" and rec["attempts"][0]["sent"] is False
    assert rec["cloud_egress"] is False


def test_refusal_names_each_backends_reason_once(tmp_path, policy, cloud):
    png = tmp_path / "scan.png"
    png.write_bytes(tiny_png())
    r = run_cli(["ask", "--policy", str(policy), "-f", str(png), "What does this say?"], env=KEY)
    assert r.returncode == 3
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1
    assert "local: 1 image(s) attached, local takes no images" in lines[0]
    assert "cloud: zone public-cloud not permitted for confidential" in lines[0]
    assert cloud.requests == []


def test_explain_trace_says_when_no_backend_is_left_for_the_budget_step(tmp_path):
    png = tmp_path / "scan.png"
    png.write_bytes(tiny_png())
    r = run_cli(["explain", "--json", "-f", str(png), "What does this say?"])
    trace = json.loads(r.stdout)["trace"]
    step = [t for t in trace if t.startswith("budget.per_request")]
    assert step == ["budget.per_request: cap $0.5; no backend left to weigh"], trace


def test_usage_errors_are_one_line_and_never_echo_prompt_text():
    r = run_cli(["ask", "-----BEGIN PRIVATE KEY----- MIIEvQIBADANBg"])
    assert r.returncode == 2
    err = r.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("hrouter: error: unknown option")
    assert "MIIEvQ" not in err and "put it after --" in err
    r = run_cli(["explain", "--sla", "0", "x"])
    assert r.returncode == 2 and r.stderr.decode().count("\n") == 1
    r = run_cli(["explain", "--json", "--", "-5 squared?"])
    assert r.returncode == 0 and json.loads(r.stdout)["backend"] == "local"


# --------------------------------------------------------------------------- hostile input (regressions)

def test_proxy_environment_never_carries_local_traffic(policy, ollama, cloud):
    env = {**KEY, "HTTP_PROXY": cloud.url, "http_proxy": cloud.url, "ALL_PROXY": cloud.url, "NO_PROXY": ""}
    r = run_cli(["ask", "--policy", str(policy), CONFIDENTIAL], env=env)
    assert r.returncode == 0, r.stderr
    assert cloud.requests == [] and len(ollama.requests_to("/api/chat")) == 1


def test_redirect_from_local_is_not_followed(policy, ollama, cloud):
    ollama.fail_next(307, "moved", headers={"location": cloud.url + "/api/chat"})
    r = run_cli(["ask", "--policy", str(policy), CONFIDENTIAL], env=KEY)
    assert r.returncode == 1
    assert cloud.requests == []


def test_text_with_image_magic_is_scanned_as_text(policy, cloud, tmp_path):
    f = tmp_path / "n.txt"
    f.write_bytes(b"GIF89a notes: employee SSN 536-22-1947")
    r = run_cli(["explain", "--json", "--policy", str(policy), "-f", str(f), "Read the notes"])
    d = json.loads(r.stdout)
    assert d["sensitivity"]["tier"] == "confidential" and d["backend"] == "local"


def test_real_image_attachment_fails_closed_by_default(tmp_path, policy, cloud):
    png = tmp_path / "receipt.png"
    png.write_bytes(tiny_png())
    r = run_cli(["explain", "--json", "--policy", str(policy), "-f", str(png), "Total?"])
    d = json.loads(r.stdout)
    assert r.returncode == 3 and d["sensitivity"]["findings"][0]["detector"] == "image"


def test_unwritable_audit_log_stops_the_call_before_sending(tmp_path, ollama, cloud):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url,
                     extra=f"audit:\n  path: {blocker}/audit.jsonl\n")
    r = run_cli(["ask", "--policy", str(p), SIMPLE], env=KEY)
    assert r.returncode == 3 and b"cannot open audit" in r.stderr and b"no call without an audit record" in r.stderr
    assert ollama.requests == [] and cloud.requests == [] and r.stdout == b""


def test_required_for_cloud_lets_local_run_but_never_cloud(tmp_path, ollama, cloud):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url,
                     extra=f"audit:\n  path: {blocker}/audit.jsonl\n  required_for: cloud\n")
    r = run_cli(["ask", "--policy", str(p), SIMPLE], env=KEY)
    assert r.returncode == 0 and r.stdout == b"Paris.\n" and b"audit log not writable" in r.stderr
    r = run_cli(["ask", "--policy", str(p), COMPLEX], env=KEY)  # cloud first: skipped, local answers
    assert r.returncode == 0 and r.stdout == b"Paris.\n"
    r = run_cli(["ask", "--policy", str(p), "--backend", "cloud", COMPLEX], env=KEY)
    assert r.returncode == 3 and b"cloud egress refused" in r.stderr
    assert cloud.requests == []


def test_truncated_audit_key_stops_the_call(policy, ollama, hrouter_home):
    (hrouter_home / "state").mkdir(parents=True)
    (hrouter_home / "state" / "audit.key").write_bytes(b"12345")
    r = run_cli(["ask", "--policy", str(policy), SIMPLE], env=KEY)
    assert r.returncode == 3 and b"truncated" in r.stderr and ollama.requests == []


def test_partial_audit_line_does_not_swallow_the_next_record(policy, hrouter_home):
    log = hrouter_home / "state" / "audit.jsonl"
    log.parent.mkdir(parents=True)
    log.write_bytes(b'{"partial": "rec')  # a write cut short by a full disk
    r = run_cli(["ask", "--policy", str(policy), SIMPLE], env=KEY)
    assert r.returncode == 0
    lines = log.read_text().splitlines()
    assert lines[0] == '{"partial": "rec' and json.loads(lines[1])["type"] == "dispatch"
    assert json.loads(lines[2])["status"] == "ok"


def test_invalid_utf8_argument_is_input_error():
    r = subprocess.run([sys.executable, "-m", "hrouter", "explain", b"hello \xff world"], capture_output=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)}, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 2 and b"argument: not valid UTF-8" in r.stderr


def test_server_error_text_cannot_forge_lines_or_escape_codes(policy, ollama):
    ollama.fail_next(404, "no such model\nhrouter: error: forged\x1b[31m")
    r = run_cli(["ask", "--policy", str(policy), SIMPLE], env=KEY)
    assert r.returncode == 1
    err = r.stderr.decode()
    lines = err.splitlines()
    assert len(lines) == 2 and lines[1].startswith("hrouter: error:")  # route line + one error line
    assert not lines[0].startswith("hrouter: error:") and "\x1b" not in err and "\\x1b[31m" in lines[1]


def test_jsonl_rejects_nan_and_honours_system(policy):
    r = run_cli(["explain", "--jsonl", "--policy", str(policy)],
                input=b'{"prompt": "hi", "id": NaN}\n{"prompt": "hi", "system": "SSN 536-22-1947"}\n')
    assert r.returncode == 2 and b"stdin:1: invalid JSON" in r.stderr
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert len(out) == 1 and out[0]["sensitivity"]["tier"] == "confidential"


def test_read_timeout_is_exit_1_not_unreachable(tmp_path):
    with FakeOllama(hang=True, hang_s=10, models=["llama3.2:3b"]) as hung:
        p = write_policy(tmp_path, ollama_url=hung.url)
        p.write_text(p.read_text().replace("timeout_s: 10", "timeout_s: 0.5"))
        r = run_cli(["ask", "--policy", str(p), CONFIDENTIAL])
    assert r.returncode == 1 and b"timed out" in r.stderr


def test_public_host_declared_local_is_warned_about(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("version: 1\nbackends:\n  gpu: {kind: ollama, model: m, zone: local, host: 'http://8.8.8.8:11434'}\n")
    r = run_cli(["explain", "--json", "--policy", str(p), SIMPLE])
    assert r.returncode == 0 and b"hrouter: warning: backends.gpu: declared zone local, but 8.8.8.8" in r.stderr
    r = run_cli(["policy", "validate", str(p)])
    assert r.returncode == 0 and b"warning" in r.stderr


# --------------------------------------------------------------------------- clear errors (regressions)

def test_truncated_image_is_named_as_an_image_not_bad_text(tmp_path):
    png = tmp_path / "shot.png"
    png.write_bytes(tiny_png()[:40])
    r = run_cli(["explain", "-f", str(png), "describe"])
    err = r.stderr.decode()
    assert r.returncode == 2 and err.count("\n") == 1
    assert err == (f"hrouter: error: {png}: starts like a PNG image but could not be read as one "
                   "(truncated or corrupt?); attach a complete PNG, JPEG, GIF or WebP file\n")
    assert "UTF-8" not in err and "-f" not in err
    r = run_cli(["explain", "describe"], input=b"\xff\xd8\xff\xe0" + bytes(range(256)))
    assert r.returncode == 2 and b"stdin: starts like a JPEG image but could not be read" in r.stderr
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(range(128, 256)))
    r = run_cli(["explain", "-f", str(junk), "x"])
    assert r.returncode == 2 and b"junk.bin: not valid UTF-8 (line 1, byte 0)" in r.stderr
    assert b"attach images with -f" not in r.stderr and b"PNG, JPEG, GIF and WebP" in r.stderr


def test_a_commands_option_before_the_command_says_where_it_goes():
    for args, hint in ((["--policy", "x", "explain", "hi"], "options go after the command: hrouter explain --policy PATH ..."),
                       (["--policy=x", "explain", "hi"], "options go after the command: hrouter explain --policy PATH ..."),
                       (["--json", "stats"], "options go after the command: hrouter stats --json ..."),
                       (["--json", "policy", "show"], "options go after the command: hrouter policy show --json ...")):
        r = run_cli(args)
        err = r.stderr.decode()
        assert r.returncode == 2 and err.count("\n") == 1, err
        assert err == f"hrouter: error: No such option: {args[0].split('=')[0]} ({hint})\n"
    r = run_cli(["--json", "audit", "verify"])
    assert r.stderr == (b"hrouter: error: No such option: --json (options go after the command, and hrouter audit "
                        b"verify has no --json; see 'hrouter audit verify --help')\n")
    r = run_cli(["--bogus", "explain", "hi"])  # no command has it: the usual message
    assert r.returncode == 2 and r.stderr == b"hrouter: error: No such option: --bogus (see 'hrouter --help')\n"


def test_a_prompt_starting_with_a_dash_gets_the_double_dash_hint():
    for args in (["explain", "-5 squared?"], ["explain", "what is", "-5 squared"], ["ask", "-5"]):
        r = run_cli(args)
        err = r.stderr.decode()
        assert r.returncode == 2 and err.count("\n") == 1, err
        assert err == (f"hrouter: error: No such option: -5 (a prompt that starts with '-' goes after --: "
                       f"hrouter {args[0]} -- \"-5 squared?\"; see 'hrouter {args[0]} --help')\n")
        assert "squared?\"; see" in err and "what is" not in err
    r = run_cli(["explain", "--jsno", "hi"])  # a mistyped option keeps click's suggestion
    assert b"Possible options: --json, --jsonl" in r.stderr and b"goes after --" not in r.stderr


def test_missing_ollama_model_suggests_ollama_pull(tmp_path, ollama, cloud):
    p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url, local_model="nosuch:1b")
    r = run_cli(["ask", "--policy", str(p), SIMPLE], env=KEY)
    assert r.returncode == 1
    assert r.stderr.decode().splitlines()[-1] == (f"hrouter: error: ollama at {ollama.url}: model 'nosuch:1b' not found "
                                                  "(status 404); pull it with `ollama pull nosuch:1b`")


def test_unopenable_audit_log_names_its_path_once(tmp_path, ollama, cloud):
    log = tmp_path / "logs" / "audit.jsonl"
    log.parent.mkdir()
    log.symlink_to(tmp_path / "gone" / "x.jsonl")
    p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url,
                     extra=f"audit:\n  path: {log}\n  required_for: all\n")
    r = run_cli(["ask", "--policy", str(p), SIMPLE])
    err = r.stderr.decode().splitlines()[-1]
    assert r.returncode == 3 and err.count(str(log)) == 1, err
    assert f"cannot open audit log {log}: No such file or directory (it is a symlink to {tmp_path}/gone/x.jsonl" in err
    assert ollama.requests_to("/api/chat") == []
    blocker = tmp_path / "afile"
    blocker.write_text("")
    p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url,
                     extra=f"audit:\n  path: {blocker}/audit.jsonl\n  required_for: all\n")
    err = run_cli(["ask", "--policy", str(p), SIMPLE]).stderr.decode().splitlines()[-1]
    assert f"cannot open audit log {blocker}/audit.jsonl: {blocker} (or a folder above it) is not a directory" in err


def test_a_session_name_with_control_characters_is_refused(tmp_path):
    """An escape sequence in --session would later be printed by `log`/`budget` and drive the
    terminal (red-team finding): refused at input, exit 2, nothing recorded."""
    p = write_policy(tmp_path, ollama_url="http://127.0.0.1:9")
    r = run_cli(["explain", "--policy", str(p), "--session", "\x1b]0;pwned\x07", "hi"])
    assert r.returncode == 2 and b"control character" in r.stderr
    r = run_cli(["budget", "--policy", str(p), "--session", "\x1b[31mred"])
    assert r.returncode == 2 and b"control character" in r.stderr


def test_log_escapes_control_characters_of_old_records():
    """`log` prints record fields through the same escaping as error messages."""
    from hrouter.cli import _printable

    assert _printable("a\x1b]0;x\x07b\tc\x9bd") == "a\\x1b]0;x\\x07b c\\x9bd"


def test_ask_with_a_corrupt_state_db_answers_and_says_what_is_not_recorded(tmp_path, hrouter_home):
    """Red-team finding: a corrupt state.db was ignored silently; the answer still stands
    (exit 0), but stderr says spend, latency and cooldowns go unrecorded."""
    (hrouter_home / "state").mkdir(parents=True, exist_ok=True)
    (hrouter_home / "state" / "state.db").write_bytes(os.urandom(4096))
    with FakeOllama(chunks=["fine"], models=["llama3.2:3b"]) as local:
        p = write_policy(tmp_path, ollama_url=local.url)
        r = run_cli(["ask", "--policy", str(p), "--no-stdin", "What is the capital of France?"])
    assert r.returncode == 0 and r.stdout == b"fine\n"
    assert b"state database unusable" in r.stderr and b"not recorded" in r.stderr
