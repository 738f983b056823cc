"""The OpenAI-compatible backend, driven through the real ``openai`` SDK against a loopback fake.

The output cap goes out as ``max_tokens`` to local/other servers and as ``max_completion_tokens``
to OpenAI / Azure OpenAI hosts (see :func:`hrouter.backends.openai.max_tokens_field`).
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

pytest.importorskip("openai", reason="the openai extra is not installed (pip install 'hrouter[openai]')")

try:
    from fake_openai import FakeOpenAI, free_port
except ImportError:  # pragma: no cover
    from tests.fake_openai import FakeOpenAI, free_port

from hrouter.backends.base import Completion, CompletionRequest, Image
from hrouter.backends.openai import OpenAIBackend, max_tokens_field
from hrouter.errors import BackendAuthError, BackendResponseError, BackendUnavailable, InputError
from hrouter.policy_model import BackendConfig

ROOT = Path(__file__).resolve().parent.parent
KEY_VAR = "HROUTER_TEST_OPENAI_KEY"
SECRET = "sk-test-0123456789abcdef"


def config(base_url: str, *, api_key_env: str | None = None, zone: str = "local", model: str = "llama-3.2-1b",
           timeout_s: float = 5.0, connect_timeout_s: float = 2.0):
    return types.SimpleNamespace(kind="openai", model=model, zone=zone, base_url=base_url, host=None,
                                 api_key_env=api_key_env, timeout_s=timeout_s,
                                 connect_timeout_s=connect_timeout_s, max_tokens=1024, images=True)


def run(backend: OpenAIBackend, request: CompletionRequest | None = None) -> tuple[list[str], Completion]:
    completion = Completion()
    backend.prepare()
    chunks = list(backend.stream(request or CompletionRequest("Say hello."), completion))
    return chunks, completion


@pytest.fixture
def server():
    with FakeOpenAI(chunks=["Hel", "lo", ", world."], served_model="gpt-4o-mini-2024-07-18") as fake:
        yield fake


@pytest.fixture(autouse=True)
def no_openai_env(monkeypatch):
    for var in (KEY_VAR, "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID",
                "OPENAI_CUSTOM_HEADERS", "OPENAI_ADMIN_KEY"):
        monkeypatch.delenv(var, raising=False)


# ----- streaming -----

def test_chunks_stream_in_order_and_the_first_arrives_before_the_last_is_sent(server):
    server.chunk_delay_s = 0.3
    backend = OpenAIBackend("vllm", config(server.url))
    backend.prepare()
    completion = Completion()
    received: list[tuple[str, float]] = []
    for text in backend.stream(CompletionRequest("Say hello."), completion):
        received.append((text, time.monotonic()))
    assert [t for t, _ in received] == ["Hel", "lo", ", world."]
    assert completion.text == "Hello, world."
    sent = server.requests_to("/v1/chat/completions")[0].chunk_times
    assert len(sent) == 3
    assert received[0][1] < sent[-1]  # streamed, not buffered until the end


def test_usage_model_version_stop_reason_and_request_id(server):
    server.prompt_tokens, server.completion_tokens = 42, 7
    chunks, completion = run(OpenAIBackend("cloud", config(server.url, model="gpt-4o-mini")))
    assert chunks == ["Hel", "lo", ", world."]
    assert (completion.usage.input_tokens, completion.usage.output_tokens) == (42, 7)
    assert completion.model == completion.model_version == "gpt-4o-mini-2024-07-18"
    assert completion.stop_reason == "stop"
    assert completion.request_id and completion.request_id.startswith("req_fake_")


def test_usage_defaults_to_the_chunks_sent_and_model_echoes_the_request():
    with FakeOpenAI(chunks=["a", "b"]) as fake:
        _, completion = run(OpenAIBackend("local", config(fake.url, model="qwen2.5:0.5b")))
    assert completion.usage.output_tokens == 2
    assert completion.model == "qwen2.5:0.5b"


def test_request_carries_system_prompt_stream_options_and_max_tokens(server):
    run(OpenAIBackend("local", config(server.url, model="llama-3.2-1b")),
        CompletionRequest("What is 2+2?", system="Answer briefly.", max_tokens=64))
    [req] = server.requests_to("/v1/chat/completions")
    body = req.body
    assert req.method == "POST"
    assert body["model"] == "llama-3.2-1b"
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["messages"] == [{"role": "system", "content": "Answer briefly."},
                                {"role": "user", "content": "What is 2+2?"}]
    assert body["max_tokens"] == 64  # a non-OpenAI host gets max_tokens
    assert "max_completion_tokens" not in body


def test_no_system_message_without_a_system_prompt(server):
    run(OpenAIBackend("local", config(server.url)))
    assert server.requests[0].body["messages"] == [{"role": "user", "content": "Say hello."}]


def test_max_tokens_cap_truncates_with_finish_reason_length(server):
    chunks, completion = run(OpenAIBackend("local", config(server.url)), CompletionRequest("x", max_tokens=2))
    assert chunks == ["Hel", "lo"]
    assert completion.stop_reason == "length"


@pytest.mark.parametrize("url, field", [
    ("https://api.openai.com/v1", "max_completion_tokens"),
    ("https://my-resource.openai.azure.com/openai/v1", "max_completion_tokens"),
    ("https://x.cognitiveservices.azure.com/openai/v1", "max_completion_tokens"),
    ("http://127.0.0.1:8000/v1", "max_tokens"),
    ("http://localhost:1234/v1", "max_tokens"),
    ("https://llm.internal.example.com/v1", "max_tokens"),
    ("https://notopenai.com/v1", "max_tokens"),
])
def test_max_tokens_field_by_host(url, field):
    assert max_tokens_field(url) == field


def test_images_go_as_image_url_data_urls(server):
    png = b"\x89PNG\r\n\x1a\nfake"
    run(OpenAIBackend("local", config(server.url)),
        CompletionRequest("What is this?", images=(Image(png, "image/png", "a.png"),)))
    [message] = server.requests[0].body["messages"]
    assert message["role"] == "user"
    assert message["content"] == [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png).decode()}},
    ]


def test_works_with_a_real_backend_config_without_api_key_env(server):
    cfg = BackendConfig(kind="openai", model="m", zone="local", base_url=server.url)
    chunks, _ = run(OpenAIBackend("local", cfg))
    assert chunks == ["Hel", "lo", ", world."]
    assert "authorization" not in server.requests[0].headers


def test_describe_is_the_base_url(server):
    assert OpenAIBackend("local", config(server.url + "/")).describe() == server.url
    assert OpenAIBackend("cloud", config(None)).describe() == "https://api.openai.com/v1"


# ----- credentials -----

def test_authorization_header_only_when_api_key_env_is_set(monkeypatch):
    monkeypatch.setenv(KEY_VAR, SECRET)
    with FakeOpenAI(api_key=SECRET) as fake:
        run(OpenAIBackend("cloud", config(fake.url, api_key_env=KEY_VAR, zone="public-cloud")))
        assert fake.requests[0].headers["authorization"] == f"Bearer {SECRET}"
    with FakeOpenAI() as fake:
        run(OpenAIBackend("local", config(fake.url, api_key_env=None)))
        assert "authorization" not in fake.requests[0].headers


def test_ambient_openai_env_never_reaches_a_keyless_local_server(monkeypatch, server):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-ambient-should-not-leak")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-ambient")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-ambient")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # ignored: the policy's base_url wins
    run(OpenAIBackend("local", config(server.url)))
    headers = server.requests[0].headers
    assert "authorization" not in headers
    assert "openai-organization" not in headers and "openai-project" not in headers


@pytest.mark.parametrize("value", [None, "", "   "])
def test_missing_key_variable_is_an_auth_error_before_any_request(monkeypatch, server, value):
    if value is not None:
        monkeypatch.setenv(KEY_VAR, value)
    backend = OpenAIBackend("cloud", config(server.url, api_key_env=KEY_VAR, zone="public-cloud"))
    with pytest.raises(BackendAuthError, match=KEY_VAR) as info:
        backend.prepare()
    assert info.value.sent is False and info.value.backend == "cloud"
    with pytest.raises(BackendAuthError, match=KEY_VAR):
        list(backend.stream(CompletionRequest("hi"), Completion()))
    assert server.requests == []


def test_401_is_an_auth_error_and_the_key_never_appears_in_the_message(monkeypatch):
    monkeypatch.setenv(KEY_VAR, SECRET)
    with FakeOpenAI() as fake:
        fake.fail_next(401, f"Incorrect API key provided: {SECRET}.")
        with pytest.raises(BackendAuthError) as info:
            run(OpenAIBackend("cloud", config(fake.url, api_key_env=KEY_VAR, zone="public-cloud")))
    assert info.value.status == 401
    assert SECRET not in str(info.value)
    assert "Incorrect API key provided" in str(info.value)


def test_wrong_key_rejected_by_the_server_is_an_auth_error(monkeypatch):
    monkeypatch.setenv(KEY_VAR, "sk-wrong")
    with FakeOpenAI(api_key=SECRET) as fake:
        with pytest.raises(BackendAuthError):
            run(OpenAIBackend("cloud", config(fake.url, api_key_env=KEY_VAR)))


# ----- error mapping -----

def test_429_with_retry_after_is_unavailable_with_the_hint(server):
    server.fail_next(429, "Rate limit reached for requests", headers={"retry-after": "2"})
    with pytest.raises(BackendUnavailable) as info:
        run(OpenAIBackend("cloud", config(server.url)))
    assert info.value.status == 429
    assert info.value.retry_after_s == pytest.approx(2.0)
    assert info.value.retryable
    assert "Rate limit reached" in str(info.value)


def test_retry_after_ms_wins(server):
    server.fail_next(429, headers={"retry-after-ms": "250", "retry-after": "9"})
    with pytest.raises(BackendUnavailable) as info:
        run(OpenAIBackend("cloud", config(server.url)))
    assert info.value.retry_after_s == pytest.approx(0.25)


@pytest.mark.parametrize("status", [408, 500, 502, 503])
def test_timeouts_and_server_errors_are_unavailable(server, status):
    server.fail_next(status)
    with pytest.raises(BackendUnavailable) as info:
        run(OpenAIBackend("local", config(server.url)))
    assert info.value.status == status
    assert info.value.retry_after_s is None


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_other_client_errors_are_response_errors(server, status):
    server.fail_next(status, "nope")
    with pytest.raises(BackendResponseError) as info:
        run(OpenAIBackend("local", config(server.url)))
    assert info.value.status == status
    assert not info.value.retryable


def test_unknown_model_is_a_response_error():
    with FakeOpenAI(models=["served-model"]) as fake:
        with pytest.raises(BackendResponseError, match="does not exist") as info:
            run(OpenAIBackend("local", config(fake.url, model="other-model")))
    assert info.value.status == 404


def test_connection_refused_is_unavailable_and_not_sent():
    backend = OpenAIBackend("local", config(f"http://127.0.0.1:{free_port()}/v1"))
    with pytest.raises(BackendUnavailable) as info:
        run(backend)
    assert info.value.sent is False
    assert info.value.status is None
    assert "cannot connect" in str(info.value)


def test_read_timeout_is_unavailable(server):
    server.hang, server.hang_s = True, 5.0
    with pytest.raises(BackendUnavailable, match="timed out") as info:
        run(OpenAIBackend("local", config(server.url, timeout_s=0.5)))
    assert info.value.sent is None


def test_error_inside_the_stream_is_unavailable_after_the_text_so_far(server):
    server.error_after = 1
    backend = OpenAIBackend("local", config(server.url))
    completion = Completion()
    got: list[str] = []
    with pytest.raises(BackendUnavailable) as info:
        for text in backend.stream(CompletionRequest("hi"), completion):
            got.append(text)
    assert got == ["Hel"] and completion.text == "Hel"
    assert info.value.status == 200


def test_content_filter_is_a_response_error_after_the_stream(server):
    server.finish_reason = "content_filter"
    backend = OpenAIBackend("cloud", config(server.url))
    completion = Completion()
    got: list[str] = []
    with pytest.raises(BackendResponseError, match="content_filter") as info:
        for text in backend.stream(CompletionRequest("hi"), completion):
            got.append(text)
    assert got == ["Hel", "lo", ", world."]
    assert completion.stop_reason == "content_filter"
    assert not info.value.retryable


# ----- the fake itself -----

def test_fake_lists_models_through_the_sdk():
    import openai

    with FakeOpenAI(models=["a-model", "b-model"]) as fake:
        client = openai.OpenAI(api_key="x", base_url=fake.url, max_retries=0)
        try:
            assert [m.id for m in client.models.list()] == ["a-model", "b-model"]
            with pytest.raises(openai.NotFoundError):
                client.models.retrieve("c-model")
        finally:
            client.close()


def test_fake_non_stream_reply_through_the_sdk(server):
    import openai

    client = openai.OpenAI(api_key="x", base_url=server.url, max_retries=0)
    try:
        reply = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}])
    finally:
        client.close()
    assert reply.choices[0].message.content == "Hello, world."
    assert reply.usage.completion_tokens == 3 and reply.model == "gpt-4o-mini-2024-07-18"


# ----- lazy import -----

def _python(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=60)


def test_importing_the_module_does_not_import_the_sdk():
    proc = _python("import sys, hrouter.backends.openai\n"
                   "print('openai' in sys.modules, 'httpx2' in sys.modules)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "False"


def test_a_missing_sdk_is_an_input_error_naming_the_extra():
    proc = _python(
        "import sys, types\n"
        "sys.modules['openai'] = None  # makes 'import openai' raise ImportError\n"
        "from hrouter.backends.openai import OpenAIBackend\n"
        "from hrouter.errors import InputError\n"
        "cfg = types.SimpleNamespace(kind='openai', model='m', zone='local', base_url='http://127.0.0.1:1/v1',\n"
        "                            api_key_env=None, timeout_s=1.0, connect_timeout_s=1.0)\n"
        "try:\n"
        "    OpenAIBackend('x', cfg).prepare()\n"
        "except InputError as exc:\n"
        "    print('InputError:', exc)\n")
    assert proc.returncode == 0, proc.stderr
    assert "InputError:" in proc.stdout and "pip install 'hrouter[openai]'" in proc.stdout
    assert InputError.exit_status == 2


def test_cli_routes_a_confidential_prompt_to_a_local_openai_compatible_server(tmp_path):
    from clitools import audit_records, run_cli
    from fakes import FakeAnthropic
    with FakeOpenAI(chunks=["vl", "lm"], served_model="qwen-7b") as vllm, FakeAnthropic(chunks=["x"]) as cloud:
        p = tmp_path / "p.yaml"
        p.write_text(f"""version: 1
backends:
  vllm: {{kind: openai, model: qwen-7b, zone: local, base_url: '{vllm.url}', timeout_s: 10}}
  cloud: {{kind: anthropic, model: claude-sonnet-4-6, zone: public-cloud, base_url: '{cloud.url}'}}
""")
        env = {"ANTHROPIC_API_KEY": "sk-ant-x", "HROUTER_HOME": str(tmp_path / "home")}
        r = run_cli(["ask", "--policy", str(p), "Summarize the contract for SSN 123-45-6789"], env=env)
        assert r.returncode == 0 and r.stdout == b"vllm\n", r.stderr
        assert cloud.requests == []
        (req,) = [x for x in vllm.requests if x.path.endswith("/chat/completions")]
        assert req.body["stream"] is True and req.body["stream_options"] == {"include_usage": True}
        r = run_cli(["doctor", "--json", "--policy", str(p)], env=env)
        check = next(c for c in json.loads(r.stdout)["checks"] if c["name"].startswith("backend vllm"))
        assert check["ok"] and "qwen-7b" in check["detail"]
    rec = [x for x in audit_records(tmp_path / "home") if x["type"] == "request"][-1]
    assert rec["backend"] == "vllm" and rec["model_version"] == "qwen-7b" and rec["cloud_egress"] is False


def test_vllm_metrics_waiting_queue_drives_a_spill(tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from clitools import run_cli
    from fakes import FakeOllama
    from hrouter.load import parse_vllm_load

    state = {"waiting": 5}

    class Metrics(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = ("# HELP vllm:num_requests_waiting Requests waiting.\n# TYPE vllm:num_requests_waiting gauge\n"
                    f'vllm:num_requests_waiting{{engine="0",model_name="qwen-7b"}} {state["waiting"]}.0\n'
                    "# TYPE vllm:num_requests_running gauge\n"
                    'vllm:num_requests_running{engine="0",model_name="qwen-7b"} 1.0\n').encode()
            self.send_response(200)
            self.send_header("content-type", "text/plain; version=0.0.4")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Metrics)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with FakeOpenAI(chunks=["vllm"], served_model="qwen-7b") as vllm, \
                FakeOllama(chunks=["ollama"], models=["llama3.2:3b"]) as local:
            p = tmp_path / "p.yaml"
            p.write_text(f"""version: 1
backends:
  vllm: {{kind: openai, model: qwen-7b, zone: local, base_url: '{vllm.url}', ttft_ms: 100, max_inflight: 4,
          load_metrics: vllm, metrics_url: 'http://127.0.0.1:{server.server_address[1]}/metrics'}}
  box: {{kind: ollama, model: 'llama3.2:3b', zone: local, host: '{local.url}', ttft_ms: 400}}
""")
            env = {"HROUTER_HOME": str(tmp_path / "home")}
            r = run_cli(["ask", "--policy", str(p), "Summarize the contract for SSN 123-45-6789"], env=env)
            assert r.returncode == 0 and r.stdout == b"ollama\n", r.stderr  # 5 waiting + 1 running >= 4: spill
            assert b"capacity.spill" in r.stderr
            state["waiting"] = 0
            r = run_cli(["ask", "--policy", str(p), "Summarize the contract for SSN 123-45-6789"], env=env)
            assert r.returncode == 0 and r.stdout == b"vllm\n", r.stderr
            d = json.loads(run_cli(["explain", "--json", "--policy", str(p), "hi"], env=env).stdout)
            assert d["backend"] == "vllm"  # explain never probes the network
    finally:
        server.shutdown()
    assert parse_vllm_load('vllm:num_requests_waiting{model_name="other"} 9\n', "qwen-7b") is None
