"""The Ollama and Anthropic backends, driving the real ``ollama`` / ``anthropic`` clients against
the loopback fakes in :mod:`fakes` (wire formats: ``/work/shared/PROTOCOLS.md``)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

try:
    from fakes import OLLAMA_BUSY_TEXT, FakeAnthropic, FakeOllama, free_port
except ImportError:  # tests/ made a package
    from tests.fakes import OLLAMA_BUSY_TEXT, FakeAnthropic, FakeOllama, free_port

from hrouter.backends import create_backend
from hrouter.backends.base import Completion, CompletionRequest, Image
from hrouter.errors import BackendAuthError, BackendResponseError, BackendUnavailable
from hrouter.policy_model import BackendConfig

ROOT = Path(__file__).resolve().parents[1]
API_KEY = "sk-ant-test-SECRET-0123456789"
MODEL = "llama3.2:3b"
CLOUD_MODEL = "claude-sonnet-4-6"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No ambient configuration leaks in: each test sets what it needs."""
    for var in ("OLLAMA_HOST", "OLLAMA_API_KEY", "ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN",
                "ANTHROPIC_PROFILE", "ANTHROPIC_CUSTOM_HEADERS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", API_KEY)


def ollama_backend(url: str, model: str = MODEL, timeout_s: float = 5.0):
    return create_backend("local", BackendConfig(kind="ollama", model=model, zone="local", host=url,
                                                 timeout_s=timeout_s, connect_timeout_s=1.0))


def anthropic_backend(url: str, model: str = CLOUD_MODEL, timeout_s: float = 5.0):
    return create_backend("cloud", BackendConfig(kind="anthropic", model=model, zone="public-cloud",
                                                 base_url=url, timeout_s=timeout_s, connect_timeout_s=1.0))


def run(backend, request: CompletionRequest | None = None):
    """Drain ``backend.stream``; returns (chunks, completion)."""
    completion = Completion()
    chunks = list(backend.stream(request or CompletionRequest("hi"), completion))
    return chunks, completion


def run_until_error(backend, request: CompletionRequest | None = None):
    """Drain ``backend.stream`` expecting an hrouter error; returns (chunks before it, error, completion)."""
    completion, chunks = Completion(), []
    with pytest.raises((BackendUnavailable, BackendAuthError, BackendResponseError)) as info:
        for chunk in backend.stream(request or CompletionRequest("hi"), completion):
            chunks.append(chunk)
    return chunks, info.value, completion


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


# =====================================================================================
# Ollama: success path
# =====================================================================================

def test_ollama_streams_chunks_usage_and_digest():
    with FakeOllama(chunks=["The ", "answer ", "is 7."], prompt_eval_count=31, eval_count=5) as fake:
        chunks, c = run(ollama_backend(fake.url))
    assert chunks == ["The ", "answer ", "is 7."]
    assert c.text == "The answer is 7."
    assert (c.usage.input_tokens, c.usage.output_tokens) == (31, 5)
    assert c.model == MODEL
    assert c.model_version == fake.digest(MODEL) and len(c.model_version) == 64
    assert c.stop_reason == "stop"
    assert c.server_durations_ns == {"total": 197_000_000, "load": 41_000_000,
                                     "prompt_eval": 95_000_000, "eval": 60_000_000}


def test_ollama_request_fields_reach_the_server():
    with FakeOllama() as fake:
        run(ollama_backend(fake.url), CompletionRequest("What is 2+2?", system="be terse", max_tokens=77))
    assert [(r.method, r.path) for r in fake.requests] == [("POST", "/api/chat"), ("GET", "/api/tags")]
    body = fake.requests[0].body
    assert body["model"] == MODEL
    assert body["stream"] is True
    assert body["options"] == {"num_predict": 77, "num_ctx": 8192}  # context_window -> num_ctx
    assert body["messages"] == [{"role": "system", "content": "be terse"},
                                {"role": "user", "content": "What is 2+2?"}]
    assert fake.requests[0].headers["content-type"] == "application/json"


def test_ollama_no_system_message_when_none():
    with FakeOllama() as fake:
        run(ollama_backend(fake.url), CompletionRequest("hi"))
    assert fake.requests[0].body["messages"] == [{"role": "user", "content": "hi"}]


def test_ollama_images_are_sent_base64_on_the_user_message():
    png = b"\x89PNG\r\n\x1a\n fake image bytes"
    with FakeOllama() as fake:
        run(ollama_backend(fake.url), CompletionRequest("describe", images=(Image(png, "image/png", "a.png"),)))
    user = fake.requests[0].body["messages"][-1]
    assert user["role"] == "user" and user["content"] == "describe"
    assert [base64.b64decode(s) for s in user["images"]] == [png]


def test_ollama_num_predict_cap_gives_length_stop_reason():
    with FakeOllama(chunks=["a", "b", "c", "d"]) as fake:
        chunks, c = run(ollama_backend(fake.url), CompletionRequest("hi", max_tokens=2))
    assert chunks == ["a", "b"]
    assert c.stop_reason == "length" and c.usage.output_tokens == 2


def test_ollama_model_without_tag_matches_latest_digest():
    with FakeOllama(models={"mistral:latest": "d" * 64, "llama3.2:3b": "e" * 64}) as fake:
        _, c = run(ollama_backend(fake.url, model="mistral"))
    assert c.model_version == "d" * 64
    assert c.model == "mistral"  # the server echoes the request string


def test_ollama_digest_lookup_failure_gives_none():
    class NoTags(FakeOllama):
        def handle(self, h, rec):
            if rec.path == "/api/tags":
                return h.send_json(500, {"error": "boom"})
            return super().handle(h, rec)

    with NoTags() as fake:
        chunks, c = run(ollama_backend(fake.url))
    assert chunks == ["Hel", "lo."] and c.model_version is None
    assert c.usage.input_tokens == 18


def test_ollama_stream_really_streams():
    """The client gets chunk 1 before the server has even written chunk 3 (no buffering)."""
    with FakeOllama(chunks=["one ", "two ", "three"], chunk_delay_s=0.25) as fake:
        received = []
        for _ in ollama_backend(fake.url).stream(CompletionRequest("hi"), Completion()):
            received.append(time.monotonic())
    sent = fake.requests_to("/api/chat")[0].chunk_times
    assert len(sent) == 3 and len(received) == 3
    assert received[0] < sent[-1] - 0.3
    assert received[1] < sent[-1]


def test_ollama_describe_is_the_host():
    assert ollama_backend("http://127.0.0.1:4321").describe() == "http://127.0.0.1:4321"
    assert ollama_backend("gpu-box").describe() == "http://gpu-box:11434"
    assert ollama_backend(None).describe() == "http://127.0.0.1:11434"


# =====================================================================================
# Ollama: errors
# =====================================================================================

def test_ollama_unknown_model_is_response_error_with_servers_text():
    with FakeOllama() as fake:
        chunks, err, _ = run_until_error(ollama_backend(fake.url, model="nope"))
    assert type(err) is BackendResponseError and err.status == 404 and err.backend == "local"
    assert str(err) == f"ollama at {fake.url}: model 'nope' not found (status 404); pull it with `ollama pull nope`"
    assert chunks == []


def test_ollama_busy_503_is_unavailable():
    with FakeOllama(busy=True) as fake:
        _, err, _ = run_until_error(ollama_backend(fake.url))
    assert type(err) is BackendUnavailable and err.status == 503 and err.retryable
    assert OLLAMA_BUSY_TEXT in str(err)


@pytest.mark.parametrize("status, expected", [
    (400, BackendResponseError), (401, BackendAuthError), (403, BackendResponseError),
    (408, BackendUnavailable), (429, BackendUnavailable), (500, BackendUnavailable),
    (502, BackendUnavailable), (503, BackendUnavailable), (504, BackendUnavailable),
])
def test_ollama_status_mapping(status, expected):
    with FakeOllama() as fake:
        fake.fail_next(status, f"failure {status}")
        _, err, _ = run_until_error(ollama_backend(fake.url))
    assert type(err) is expected and err.status == status
    assert str(err) == f"ollama at {fake.url}: failure {status} (status {status})"


def test_ollama_fail_next_count_then_recovers():
    with FakeOllama() as fake:
        fake.fail_next(503, count=2)
        backend = ollama_backend(fake.url)
        for _ in range(2):
            _, err, _ = run_until_error(backend)
            assert err.status == 503
        chunks, _ = run(backend)
    assert chunks == ["Hel", "lo."]


def test_ollama_connection_refused_names_host_and_how_to_start():
    url = f"http://127.0.0.1:{free_port()}"
    _, err, _ = run_until_error(ollama_backend(url))
    assert type(err) is BackendUnavailable and err.status is None
    assert url in str(err) and "ollama serve" in str(err)


def test_ollama_read_timeout_is_unavailable_and_fast():
    with FakeOllama(hang=True) as fake:
        t0 = time.monotonic()
        _, err, _ = run_until_error(ollama_backend(fake.url, timeout_s=0.3))
        elapsed = time.monotonic() - t0
    assert type(err) is BackendUnavailable and err.status is None
    assert "timed out after 0.3s" in str(err)
    assert elapsed < 2.0


def test_ollama_stall_mid_stream_is_unavailable_after_first_chunk():
    with FakeOllama(chunks=["a", "b", "c"], hang_after=1) as fake:
        chunks, err, c = run_until_error(ollama_backend(fake.url, timeout_s=0.3))
    assert chunks == ["a"] and c.text == "a"
    assert type(err) is BackendUnavailable and err.status is None


def test_ollama_error_line_mid_stream():
    with FakeOllama(chunks=["a", "b", "c"], error_after=2, error_message="runner crashed") as fake:
        chunks, err, c = run_until_error(ollama_backend(fake.url))
    assert chunks == ["a", "b"] and c.text == "ab"
    assert type(err) is BackendUnavailable and err.status == 200
    assert "runner crashed" in str(err) and fake.url in str(err)


def test_ollama_malformed_reply_is_response_error():
    class Garbage(FakeOllama):
        def handle(self, h, rec):
            h.start_chunked(200, "application/x-ndjson")
            h.write_chunk(b'{"model":"llama3.2:3b","done":false}\n')  # no "message"
            h.end_chunked()

    with Garbage() as fake:
        _, err, _ = run_until_error(ollama_backend(fake.url))
    assert type(err) is BackendResponseError and "malformed reply" in str(err)


def test_ollama_stream_without_done_chunk_is_response_error():
    class NoDone(FakeOllama):
        def handle(self, h, rec):
            h.start_chunked(200, "application/x-ndjson")
            h.write_chunk(b'{"model":"m","message":{"role":"assistant","content":"x"},"done":false}\n')
            h.end_chunked()

    with NoDone() as fake:
        chunks, err, _ = run_until_error(ollama_backend(fake.url))
    assert chunks == ["x"] and type(err) is BackendResponseError


# =====================================================================================
# Anthropic: success path
# =====================================================================================

def test_anthropic_streams_chunks_usage_and_served_model():
    with FakeAnthropic(chunks=["Sev", "en", "."], input_tokens=44, output_tokens=9,
                       served_model="claude-sonnet-4-6-20260217") as fake:
        chunks, c = run(anthropic_backend(fake.url))
    assert chunks == ["Sev", "en", "."]
    assert c.text == "Seven."
    assert (c.usage.input_tokens, c.usage.output_tokens) == (44, 9)  # output: cumulative, from message_delta
    assert c.model == c.model_version == "claude-sonnet-4-6-20260217"
    assert c.stop_reason == "end_turn"
    assert c.request_id.startswith("req_fake_")


def test_anthropic_request_fields_and_headers():
    with FakeAnthropic() as fake:
        run(anthropic_backend(fake.url), CompletionRequest("Name a prime.", system="You are terse.", max_tokens=99))
    assert [(r.method, r.path) for r in fake.requests] == [("POST", "/v1/messages")]
    req = fake.requests[0]
    assert req.body == {"model": CLOUD_MODEL, "max_tokens": 99, "stream": True, "system": "You are terse.",
                        "messages": [{"role": "user", "content": "Name a prime."}]}
    assert req.headers["authorization"] == f"Bearer {API_KEY}"
    assert req.headers["anthropic-version"]
    assert req.headers["x-stainless-retry-count"] == "0"


def test_anthropic_images_are_base64_blocks_before_the_text():
    jpg = b"\xff\xd8\xff fake jpeg"
    with FakeAnthropic() as fake:
        run(anthropic_backend(fake.url), CompletionRequest("what is it?", images=(Image(jpg, "image/jpeg"),)))
    content = fake.requests[0].body["messages"][0]["content"]
    assert content[0]["type"] == "image"
    assert content[0]["source"]["media_type"] == "image/jpeg"
    assert base64.b64decode(content[0]["source"]["data"]) == jpg
    assert content[1] == {"type": "text", "text": "what is it?"}


def test_anthropic_max_tokens_cap_gives_max_tokens_stop_reason():
    with FakeAnthropic(chunks=["a", "b", "c"]) as fake:
        chunks, c = run(anthropic_backend(fake.url), CompletionRequest("hi", max_tokens=2))
    assert chunks == ["a", "b"] and c.stop_reason == "max_tokens" and c.usage.output_tokens == 2


def test_anthropic_auth_token_is_accepted(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "tok-123")
    with FakeAnthropic(api_key="tok-123") as fake:
        chunks, _ = run(anthropic_backend(fake.url))
    assert chunks == ["Hel", "lo."]
    assert fake.requests[0].headers["authorization"] == "Bearer tok-123"


def test_anthropic_stream_really_streams():
    with FakeAnthropic(chunks=["one ", "two ", "three"], chunk_delay_s=0.25) as fake:
        received = []
        for _ in anthropic_backend(fake.url).stream(CompletionRequest("hi"), Completion()):
            received.append(time.monotonic())
    sent = fake.requests[0].chunk_times
    assert len(sent) == 3 and len(received) == 3
    assert received[0] < sent[-1] - 0.3
    assert received[1] < sent[-1]


def test_anthropic_describe_is_the_base_url(monkeypatch):
    assert anthropic_backend("http://127.0.0.1:8080/").describe() == "http://127.0.0.1:8080"
    assert anthropic_backend(None).describe() == "https://api.anthropic.com"
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://proxy:9000")
    assert anthropic_backend(None).describe() == "http://proxy:9000"


# =====================================================================================
# Anthropic: errors
# =====================================================================================

@pytest.mark.parametrize("status, expected, etype", [
    (400, BackendResponseError, "invalid_request_error"), (401, BackendAuthError, "authentication_error"),
    (403, BackendResponseError, "permission_error"), (404, BackendResponseError, "not_found_error"),
    (408, BackendUnavailable, "invalid_request_error"), (413, BackendResponseError, "request_too_large"),
    (429, BackendUnavailable, "rate_limit_error"), (500, BackendUnavailable, "api_error"),
    (503, BackendUnavailable, "api_error"), (504, BackendUnavailable, "timeout_error"),
    (529, BackendUnavailable, "overloaded_error"),
])
def test_anthropic_status_mapping_without_sdk_retries(status, expected, etype):
    with FakeAnthropic() as fake:
        fake.fail_next(status, f"failure {status}")
        chunks, err, _ = run_until_error(anthropic_backend(fake.url))
    assert type(err) is expected and err.status == status and err.backend == "cloud"
    assert chunks == []
    assert len(fake.requests) == 1  # max_retries=0: hrouter does its own fallback
    text = str(err)
    assert text.startswith(f"anthropic at {fake.url}: {etype}: failure {status} (status {status}, request-id req_fake_")
    assert API_KEY not in text
    if status in (429, 529):  # the fake's default retry-after-ms: 10
        assert err.retry_after_s == pytest.approx(0.01)
    elif expected is BackendUnavailable:
        assert err.retry_after_s is None


def test_anthropic_429_retry_after_seconds():
    with FakeAnthropic() as fake:
        fake.fail_next(429, "Slow down.", headers={"retry-after": "7"})
        _, err, _ = run_until_error(anthropic_backend(fake.url))
    assert type(err) is BackendUnavailable and err.status == 429 and err.retry_after_s == 7.0


def test_anthropic_error_text_never_contains_the_key():
    with FakeAnthropic() as fake:
        fake.fail_next(401, f"invalid x-api-key: {API_KEY}")
        _, err, _ = run_until_error(anthropic_backend(fake.url))
    assert type(err) is BackendAuthError and API_KEY not in str(err) and "***" in str(err)


def test_anthropic_wrong_key_is_auth_error():
    with FakeAnthropic(api_key="the-right-key") as fake:
        _, err, _ = run_until_error(anthropic_backend(fake.url))
    assert type(err) is BackendAuthError and err.status == 401 and "authentication_error" in str(err)


def test_anthropic_missing_key_raises_before_any_request(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with FakeAnthropic() as fake:
        with pytest.raises(BackendAuthError) as info:
            run(anthropic_backend(fake.url))
    assert "ANTHROPIC_API_KEY" in str(info.value)
    assert fake.requests == []


def test_anthropic_missing_key_does_not_import_the_sdk():
    code = (
        "import sys\n"
        "from hrouter.backends import create_backend\n"
        "from hrouter.backends.base import Completion, CompletionRequest\n"
        "from hrouter.errors import BackendAuthError\n"
        "from hrouter.policy_model import BackendConfig\n"
        "b = create_backend('cloud', BackendConfig(kind='anthropic', model='m', zone='public-cloud',\n"
        "                   base_url='http://127.0.0.1:9'))\n"
        "try:\n"
        "    list(b.stream(CompletionRequest('hi'), Completion()))\n"
        "except BackendAuthError as e:\n"
        "    print('AUTH', e)\n"
        "print('anthropic' in sys.modules, 'httpx2' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=subprocess_env(), cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("AUTH ") and "ANTHROPIC_API_KEY" in lines[0]
    assert lines[1] == "False False"


def test_importing_backends_does_not_import_sdks():
    code = ("import sys\n"
            "import hrouter.backends.ollama, hrouter.backends.anthropic\n"
            "print(sorted(m for m in ('ollama', 'anthropic', 'httpx', 'httpx2', 'pydantic') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], env=subprocess_env(ANTHROPIC_API_KEY="x"), cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_anthropic_connection_refused():
    url = f"http://127.0.0.1:{free_port()}"
    _, err, _ = run_until_error(anthropic_backend(url))
    assert type(err) is BackendUnavailable and err.status is None and url in str(err)


def test_anthropic_read_timeout_is_unavailable_and_fast():
    with FakeAnthropic(hang=True) as fake:
        t0 = time.monotonic()
        _, err, _ = run_until_error(anthropic_backend(fake.url, timeout_s=0.3))
        elapsed = time.monotonic() - t0
    assert type(err) is BackendUnavailable and err.status is None
    assert "timed out after 0.3s" in str(err)
    assert elapsed < 2.0 and len(fake.requests) == 1


def test_anthropic_stall_mid_stream_is_unavailable_after_first_chunk():
    # the SDK only wraps timeouts raised while sending; one raised while reading the SSE
    # body surfaces as a raw httpx2.ReadTimeout, which the backend maps too.
    with FakeAnthropic(chunks=["a", "b", "c"], hang_after=1) as fake:
        chunks, err, _ = run_until_error(anthropic_backend(fake.url, timeout_s=0.3))
    assert chunks == ["a"]
    assert type(err) is BackendUnavailable and err.status is None and "timed out" in str(err)


@pytest.mark.parametrize("etype, expected", [
    ("overloaded_error", BackendUnavailable), ("api_error", BackendUnavailable),
    ("invalid_request_error", BackendResponseError),
])
def test_anthropic_error_event_mid_stream(etype, expected):
    with FakeAnthropic(chunks=["a", "b", "c"], error_after=2, error_type=etype,
                       error_message="Overloaded") as fake:
        chunks, err, c = run_until_error(anthropic_backend(fake.url))
    assert chunks == ["a", "b"] and c.text == "ab"
    assert type(err) is expected and err.status == 200
    assert f"{etype}: Overloaded" in str(err)


def test_anthropic_refusal_raises_after_the_streamed_text():
    with FakeAnthropic(chunks=["I can", "'t help"], stop_reason="refusal") as fake:
        chunks, err, c = run_until_error(anthropic_backend(fake.url))
    assert chunks == ["I can", "'t help"]
    assert type(err) is BackendResponseError and "refus" in str(err)
    assert c.stop_reason == "refusal" and c.usage.output_tokens == 2


# =====================================================================================
# The fakes themselves: fidelity with the real clients, standalone mode
# =====================================================================================

def test_fake_ollama_metadata_routes_validate_with_the_real_client():
    import ollama

    with FakeOllama() as fake:
        client = ollama.Client(host=fake.url, timeout=5)
        shown = client.show(MODEL)
        assert shown.modelinfo["general.architecture"] == "llama"
        tags = client.list()
        assert [m.model for m in tags.models] == [MODEL] and tags.models[0].digest == fake.digest(MODEL)
        reply = client.chat(model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=False)
        assert reply.message.content == "Hello." and reply.eval_count == 2
        gen = list(client.generate(model=MODEL, prompt="hi", stream=True))
        assert "".join(g.response for g in gen) == "Hello." and gen[-1].done
        assert client.ps().models[0].model == MODEL
        with urllib.request.urlopen(fake.url + "/api/version", timeout=5) as r:
            assert json.load(r) == {"version": "0.33.0"}
        with pytest.raises(ollama.ResponseError) as info:
            client.show("nope")
        assert info.value.status_code == 404 and info.value.error == "model 'nope' not found"


def test_fake_anthropic_non_stream_and_metadata_with_the_real_sdk():
    import anthropic

    with FakeAnthropic(chunks=["Sev", "en."]) as fake:
        client = anthropic.Anthropic(api_key="k", base_url=fake.url, max_retries=0)
        msg = client.messages.create(model=CLOUD_MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}])
        assert msg.content[0].text == "Seven." and msg.usage.input_tokens == 21 and msg.stop_reason == "end_turn"
        with client.messages.stream(model=CLOUD_MODEL, max_tokens=10,
                                    messages=[{"role": "user", "content": "x"}]) as s:
            assert "".join(s.text_stream) == "Seven."
            assert s.get_final_message().usage.output_tokens == 2
        assert client.messages.count_tokens(model=CLOUD_MODEL,
                                            messages=[{"role": "user", "content": "x"}]).input_tokens == 21
        assert [m.id for m in client.models.list()] == [CLOUD_MODEL]
        assert fake.requests[0].headers["authorization"] == "Bearer k"  # SDK 2.x: Bearer, not x-api-key


def test_fake_anthropic_sdk_retries_are_fast_with_retry_after_ms():
    """With SDK retries on, the fake's ``retry-after-ms: 10`` keeps them fast (PROTOCOLS.md §4)."""
    import anthropic

    with FakeAnthropic() as fake:
        fake.fail_next(529, count=2)
        client = anthropic.Anthropic(api_key="k", base_url=fake.url, max_retries=2)
        t0 = time.monotonic()
        msg = client.messages.create(model=CLOUD_MODEL, max_tokens=10, messages=[{"role": "user", "content": "x"}])
        assert msg.content[0].text == "Hello." and time.monotonic() - t0 < 1.0
    assert [r.headers["x-stainless-retry-count"] for r in fake.requests] == ["0", "1", "2"]


@pytest.mark.parametrize("kind, path", [("ollama", "/api/version"), ("anthropic", "/v1/models")])
def test_fakes_run_standalone(kind, path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fakes.py"), kind, "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"x-api-key": "k"})
        with urllib.request.urlopen(req, timeout=5) as r:
            assert r.status == 200 and json.load(r)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
