"""Loopback fakes of Ollama and the Anthropic Messages API, speaking their exact wire formats.

Both fakes are real HTTP/1.1 servers (``http.server.ThreadingHTTPServer`` on 127.0.0.1, a
random free port, serving from a daemon thread), so the real ``ollama`` client (httpx) and
the real ``anthropic`` SDK (httpx2) talk to them exactly as they would to the real servers:
no monkeypatching, no transport mocks. Streaming responses use ``Transfer-Encoding: chunked``
and each NDJSON line / SSE event goes out in its own chunk the moment it is produced, so a
client sees the first chunk before the server has written the last (see
``RecordedRequest.chunk_times``).

Wire formats follow ``/work/shared/PROTOCOLS.md``:

- :class:`FakeOllama`: §1.2 endpoints, §1.4 non-stream reply, §1.5 NDJSON stream with a final
  ``done:true`` chunk carrying integer-nanosecond metrics, §1.6 error bodies and texts
  (404 ``model 'x' not found``, 503 busy text, mid-stream ``{"error":..}`` line).
- :class:`FakeAnthropic`: §2.3 request, §2.4 non-stream reply, §2.5 named SSE events in order
  (``message_start``, ``content_block_start``, ``ping``, ``content_block_delta``...,
  ``content_block_stop``, ``message_delta`` with cumulative usage, ``message_stop``), §2.5
  mid-stream ``event: error``, §2.6 error bodies, ``request-id`` on every response,
  ``retry-after-ms`` on 429/529, either ``x-api-key`` or ``Authorization: Bearer``.

Usage::

    from fakes import FakeOllama, FakeAnthropic, free_port

    with FakeOllama(chunks=["Hel", "lo."]) as ollama:          # ollama.url == "http://127.0.0.1:PORT"
        ...                                                    # point a client at ollama.url
        ollama.fail_next(503)                                  # next generation request: 503 busy
        assert ollama.requests_to("/api/chat")[0].body["options"]["num_predict"] == 64

    with FakeAnthropic(chunks=["Sev", "en."], served_model="claude-sonnet-4-6-20260217") as cloud:
        ...
        assert cloud.requests == []                            # nothing reached the cloud

Every behaviour knob is a plain attribute (``chunks``, ``first_chunk_delay_s``,
``chunk_delay_s``, ``error_after``, ``hang``, ``hang_after``, ...) that a test may also change
between requests. Failures queued with :meth:`fail_next` apply only to *generation* routes
(Ollama ``/api/chat`` and ``/api/generate``; Anthropic ``/v1/messages``), so metadata routes
such as ``/api/tags`` keep working.

Standalone, for manual trials, demos and benchmarks (serves until Ctrl-C)::

    python tests/fakes.py ollama --port 11434 --text "Hello there." --chunk-delay 0.05
    python tests/fakes.py anthropic --port 8080 --model claude-sonnet-4-6
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import http
import itertools
import json
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterable, Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

__all__ = ["FakeOllama", "FakeAnthropic", "RecordedRequest", "Failure", "free_port",
           "OLLAMA_BUSY_TEXT", "split_text", "ScriptedReply"]

#: Ollama's exact queue-full text (PROTOCOLS.md §1.6; note the two spaces).
OLLAMA_BUSY_TEXT = "server busy, please try again.  maximum pending requests exceeded"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on (for "server down" tests).

    The port is bound then released, so the kernel will refuse connections to it; another
    process could grab it in between, which is unlikely within a test.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def split_text(text: str) -> list[str]:
    """Split ``text`` into word-sized stream chunks (each word keeps its trailing whitespace)."""
    return re.findall(r"\S+\s*|\s+", text)


@dataclass(frozen=True)
class RecordedRequest:
    """One request a fake received.

    - ``method``: ``GET``/``POST``/...
    - ``path``: the URL path without the query string (e.g. ``/api/chat``, ``/v1/messages``).
    - ``query``: parsed query string (name -> list of values).
    - ``headers``: header names lower-cased -> value (last one wins).
    - ``body``: the parsed JSON body; None when the body is empty; the raw text if not JSON.
    - ``raw_body``: the body bytes.
    - ``received_at``: ``time.monotonic()`` when the request was read (s).
    - ``chunk_times``: ``time.monotonic()`` (s) at which each answer chunk (an NDJSON content
      line or an SSE ``content_block_delta``) was written to the socket; empty for non-stream
      replies. Lets a test prove that a client received chunk 1 before chunk N was sent.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    raw_body: bytes
    received_at: float
    chunk_times: list[float] = field(default_factory=list, compare=False)


@dataclass
class Failure:
    """A queued failure (see :meth:`_FakeServer.fail_next`).

    ``status`` the HTTP status; ``message`` the error text (None = the fake's default for that
    status); ``headers`` extra response headers (None = the fake's defaults for that status,
    e.g. ``retry-after-ms`` on Anthropic 429/529; ``{}`` = none); ``error_type`` the Anthropic
    ``error.type`` (None = derived from the status, §2.6); ``remaining`` how many more
    requests get it (None = every request until :meth:`_FakeServer.clear_failures`).
    """

    status: int
    message: str | None = None
    headers: dict[str, str] | None = None
    error_type: str | None = None
    remaining: int | None = 1


@dataclass
class ScriptedReply:
    """One scripted ``/api/chat`` reply for :meth:`FakeOllama.script_chat`.

    ``content``: the assistant message's whole content (sent as a single chunk, verbatim, so a
    test controls exactly what the client parses); ``delay_s``: pause (s) before any response
    byte (the status line included), ended early by :meth:`_FakeServer.stop`; ``status``: HTTP
    status (200 = a normal reply; anything else = an Ollama error body ``{"error": error}``);
    ``error``: the error text (None = the fake's default for ``status``).
    """

    content: str = ""
    delay_s: float = 0.0
    status: int = 200
    error: str | None = None


def _now_rfc3339() -> str:
    """The current UTC time with nanosecond-style precision, as Ollama writes ``created_at``."""
    t = time.time()
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))
    return f"{base}.{int((t % 1) * 1e9):09d}Z"


class _Handler(BaseHTTPRequestHandler):
    """Request handler shared by both fakes; ``fake`` is bound per server (a subclass attribute)."""

    protocol_version = "HTTP/1.1"  # keep-alive and chunked transfer encoding
    disable_nagle_algorithm = True  # TCP_NODELAY, as Go's net/http (Ollama) sets by default
    server_version = "fake"
    sys_version = ""
    fake: "_FakeServer"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.fake.verbose:
            sys.stderr.write(f"[{self.fake.kind}] {self.address_string()} {format % args}\n")

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self.fake._dispatch(self)

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    # ----- body -----
    def read_body(self) -> bytes:
        """Read the request body (Content-Length or chunked)."""
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    # ----- responses -----
    def send_bytes(self, status: int, body: bytes, content_type: str,
                   headers: Mapping[str, str] | None = None) -> None:
        """Send a complete (Content-Length) response."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_json(self, status: int, obj: Any, headers: Mapping[str, str] | None = None,
                  content_type: str = "application/json") -> None:
        """Send ``obj`` as a compact JSON body."""
        self.send_bytes(status, json.dumps(obj, separators=(",", ":")).encode(), content_type, headers)

    def start_chunked(self, status: int, content_type: str, headers: Mapping[str, str] | None = None) -> None:
        """Send the status line and headers of a chunked (streaming) response."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        """Write one HTTP/1.1 chunk; ``wfile`` is unbuffered, so it leaves at once."""
        if data:
            self.wfile.write(b"%X\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

    def end_chunked(self) -> None:
        """Write the terminating zero-length chunk."""
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return  # the client went away (e.g. it timed out): expected in tests
        super().handle_error(request, client_address)


class _FakeServer:
    """Common machinery of the fakes: lifecycle, request log, failure queue, timing knobs.

    Timing knobs (all seconds, all plain attributes):

    - ``first_chunk_delay_s``: pause after the response headers, before the first chunk
      (for non-stream replies: before the reply).
    - ``chunk_delay_s``: pause between consecutive chunks.
    - ``error_after``: if not None, a stream carries this many content chunks, then an
      in-band error (Ollama ``{"error":..}`` line / Anthropic ``event: error``) and ends.
    - ``hang``: if True, a generation request is read and then never answered (no status
      line) for up to ``hang_s``, after which the connection is dropped; for timeout tests.
    - ``hang_after``: if not None, a stream sends this many chunks then stalls for up to
      ``hang_s`` and drops the connection (a read timeout mid-stream).
    - ``hang_s``: the longest a hang lasts (default 30 s); stopping the fake ends hangs at once.
    """

    kind = "fake"
    default_port = 0
    generation_paths: tuple[str, ...] = ()

    def __init__(self, *, chunks: Iterable[str] = ("Hel", "lo."), first_chunk_delay_s: float = 0.0,
                 chunk_delay_s: float = 0.0, error_after: int | None = None,
                 error_message: str | None = None, hang: bool = False,
                 hang_after: int | None = None, hang_s: float = 30.0,
                 port: int = 0, host: str = "127.0.0.1", verbose: bool = False) -> None:
        self.chunks: list[str] = list(chunks)
        self.first_chunk_delay_s = first_chunk_delay_s
        self.chunk_delay_s = chunk_delay_s
        self.error_after = error_after
        self.error_message = error_message
        self.hang = hang
        self.hang_after = hang_after
        self.hang_s = hang_s
        self.verbose = verbose
        self._host, self._port_wanted = host, port
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._failures: list[Failure] = []
        self._stopping = threading.Event()
        self._released = threading.Event()
        self._server: _Server | None = None
        self._bound_port: int | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle -----
    def start(self) -> "_FakeServer":
        """Bind and start serving in a daemon thread; returns ``self``."""
        handler = type(f"{type(self).__name__}Handler", (_Handler,), {"fake": self})
        self._stopping.clear()
        self._server = _Server((self._host, self._port_wanted), handler)
        self._bound_port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"{self.kind}-fake", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end any hang, and close the listening socket."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The TCP port the fake listens (or, once stopped, listened) on."""
        assert self._bound_port is not None, "fake never started"
        return self._bound_port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://{self._host}:{self.port}"

    # ----- request log -----
    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot (copy) of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The requests received on ``path`` (exact path, query excluded)."""
        return [r for r in self.requests if r.path == path]

    def clear(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    # ----- failures -----
    def fail_next(self, status: int, message: str | None = None, *, count: int | None = 1,
                  headers: Mapping[str, str] | None = None, error_type: str | None = None) -> None:
        """Answer the next ``count`` generation requests with HTTP ``status`` and an error body.

        ``count=None`` fails every generation request until :meth:`clear_failures`.
        ``message`` None = the fake's realistic default text for that status; ``headers`` None =
        the fake's default headers for that status (``{}`` for none); ``error_type`` is the
        Anthropic ``error.type`` (None = from the status, PROTOCOLS.md §2.6). Queued failures
        are served in order.
        """
        with self._lock:
            self._failures.append(Failure(status, message, None if headers is None else dict(headers),
                                          error_type, count))

    def clear_failures(self) -> None:
        """Drop every queued failure."""
        with self._lock:
            self._failures.clear()

    def _take_failure(self) -> Failure | None:
        with self._lock:
            if not self._failures:
                return None
            f = self._failures[0]
            if f.remaining is not None:
                f.remaining -= 1
                if f.remaining <= 0:
                    self._failures.pop(0)
            return f

    # ----- plumbing -----
    def _record(self, h: _Handler) -> RecordedRequest:
        raw = h.read_body()
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode("utf-8", "replace")
        split = urlsplit(h.path)
        rec = RecordedRequest(method=h.command, path=split.path, query=parse_qs(split.query),
                              headers={k.lower(): v for k, v in h.headers.items()}, body=body,
                              raw_body=raw, received_at=time.monotonic())
        with self._lock:
            self._requests.append(rec)
        return rec

    def _sleep(self, seconds: float) -> None:
        """Pause up to ``seconds``; :meth:`release_delays` or stopping the fake ends it at once."""
        if seconds <= 0:
            return
        end = time.monotonic() + seconds
        while not self._released.is_set() and not self._stopping.is_set():
            left = end - time.monotonic()
            if left <= 0:
                break
            self._stopping.wait(min(left, 0.05))

    def release_delays(self) -> None:
        """End every pending and future ``first_chunk_delay_s``/``chunk_delay_s`` pause now (a
        test that holds a request in flight for as long as it needs, however slow the machine)."""
        self._released.set()

    def _hang(self, h: _Handler) -> None:
        """Stall for up to ``hang_s`` (or until stop), then drop the connection."""
        self._stopping.wait(self.hang_s)
        h.close_connection = True

    def _dispatch(self, h: _Handler) -> None:
        rec = self._record(h)
        try:
            self.handle(h, rec)
        except (ConnectionError, TimeoutError):
            h.close_connection = True

    def handle(self, h: _Handler, rec: RecordedRequest) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


# =====================================================================================
# Ollama
# =====================================================================================

def _ollama_name(name: str) -> str:
    """Ollama's canonical model name: a name without a tag means ``:latest``."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def _digest_for(name: str) -> str:
    """A stable fake digest (64 hex chars, as ``/api/tags`` reports it) for a model name."""
    return hashlib.sha256(f"fake-ollama:{name}".encode()).hexdigest()


class FakeOllama(_FakeServer):
    """A fake Ollama server (PROTOCOLS.md §1).

    Constructor (keyword-only; every argument is also a mutable attribute):

    - ``chunks``: the answer's content pieces, one NDJSON line each (default ``["Hel", "lo."]``).
      ``options.num_predict`` is honoured by counting one chunk per token: a smaller cap
      truncates the answer and the final chunk says ``done_reason: "length"``.
    - ``models``: installed models, name -> digest, or a list of names (digests are derived);
      names without a tag mean ``:latest``. Default ``{"llama3.2:3b": <digest>}``.
      Requests for any other model get 404 ``model 'x' not found``.
    - ``prompt_eval_count``: input tokens in the final chunk (default 18).
    - ``eval_count``: output tokens (None = the number of chunks sent).
    - ``load_duration_ns``, ``prompt_eval_duration_ns``, ``eval_duration_ns`` (integer ns);
      ``total_duration`` is their sum plus 1 ms.
    - ``done_reason``: the final chunk's reason when not truncated (default ``stop``).
    - ``busy``: answer every generation request 503 with the exact busy text.
    - ``version``: what ``/api/version`` reports (default ``0.33.0``).
    - ``error_message``: text of the mid-stream error line (default
      ``an error was encountered while running the model: unexpected EOF``).
    - the timing knobs of :class:`_FakeServer` (``first_chunk_delay_s``, ``chunk_delay_s``,
      ``error_after``, ``hang``, ``hang_after``, ``hang_s``), ``port`` (0 = random), ``verbose``.

    Routes: ``GET /``, ``GET /api/version``, ``GET /api/tags``, ``GET /api/ps``,
    ``POST /api/show``, ``POST /api/chat``, ``POST /api/generate``; anything else is a text
    ``404 page not found``.
    """

    kind = "ollama"
    default_port = 11434
    generation_paths = ("/api/chat", "/api/generate")

    def __init__(self, *, models: Mapping[str, str] | Sequence[str] | None = None,
                 prompt_eval_count: int = 18, eval_count: int | None = None,
                 load_duration_ns: int = 41_000_000, prompt_eval_duration_ns: int = 95_000_000,
                 eval_duration_ns: int = 60_000_000, done_reason: str = "stop", busy: bool = False,
                 version: str = "0.33.0", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if models is None:
            models = ["llama3.2:3b"]
        if isinstance(models, Mapping):
            self.models = {_ollama_name(k): v for k, v in models.items()}
        else:
            self.models = {_ollama_name(m): _digest_for(_ollama_name(m)) for m in models}
        self.prompt_eval_count = prompt_eval_count
        self.eval_count = eval_count
        self.load_duration_ns = load_duration_ns
        self.prompt_eval_duration_ns = prompt_eval_duration_ns
        self.eval_duration_ns = eval_duration_ns
        self.done_reason = done_reason
        self.busy = busy
        self.version = version
        self._loaded: dict[str, float] = {}
        self._scripts: list[ScriptedReply] = []

    def script_chat(self, *replies: "ScriptedReply | str") -> None:
        """Queue scripted replies for the next ``/api/chat`` requests, one each, in order (a
        ``str`` is ``ScriptedReply(content=str)``). Scripted replies apply after the request is
        validated (a bad model still gets 404) and after :meth:`fail_next` failures; once the
        queue is empty the fake answers from ``chunks`` again."""
        with self._lock:
            self._scripts.extend(r if isinstance(r, ScriptedReply) else ScriptedReply(content=r) for r in replies)

    def _take_script(self) -> "ScriptedReply | None":
        with self._lock:
            return self._scripts.pop(0) if self._scripts else None

    def digest(self, model: str) -> str:
        """The digest ``/api/tags`` reports for ``model`` (tag optional)."""
        return self.models[_ollama_name(model)]

    # ----- routes -----
    def handle(self, h: _Handler, rec: RecordedRequest) -> None:
        path, method = rec.path, rec.method
        if method in ("GET", "HEAD") and path == "/":
            h.send_bytes(200, b"Ollama is running", "text/plain; charset=utf-8")
        elif method == "GET" and path == "/api/version":
            h.send_json(200, {"version": self.version}, content_type="application/json; charset=utf-8")
        elif method == "GET" and path == "/api/tags":
            h.send_json(200, {"models": [self._tag_entry(n) for n in self.models]},
                        content_type="application/json; charset=utf-8")
        elif method == "GET" and path == "/api/ps":
            loaded = sorted(self._loaded.items(), key=lambda kv: -kv[1])
            h.send_json(200, {"models": [self._ps_entry(n, t) for n, t in loaded]},
                        content_type="application/json; charset=utf-8")
        elif method == "POST" and path == "/api/show":
            self._show(h, rec)
        elif method == "POST" and path in self.generation_paths:
            self._generate(h, rec, chat=(path == "/api/chat"))
        else:
            h.send_bytes(404, b"404 page not found", "text/plain")

    def _details(self, name: str) -> dict[str, Any]:
        return {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
                "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}

    def _tag_entry(self, name: str) -> dict[str, Any]:
        return {"name": name, "model": name, "modified_at": "2026-11-01T10:00:00.000000000Z",
                "size": 2019393189, "digest": self.models[name], "details": self._details(name)}

    def _ps_entry(self, name: str, used_at: float) -> dict[str, Any]:
        expires = _dt.datetime.fromtimestamp(used_at + 300, _dt.timezone.utc)
        return {"name": name, "model": name, "size": 3_500_000_000, "digest": self.models[name],
                "details": self._details(name), "expires_at": expires.isoformat().replace("+00:00", "Z"),
                "size_vram": 3_500_000_000, "context_length": 4096}

    def _error(self, h: _Handler, status: int, text: str, headers: Mapping[str, str] | None = None) -> None:
        h.send_json(status, {"error": text}, headers)

    def _show(self, h: _Handler, rec: RecordedRequest) -> None:
        body = rec.body if isinstance(rec.body, dict) else None
        if body is None:
            return self._error(h, 400, "missing request body")
        model = body.get("model") or body.get("name") or ""
        if not model:
            return self._error(h, 400, "model is required")
        if _ollama_name(model) not in self.models:
            return self._error(h, 404, f"model '{model}' not found")
        h.send_json(200, {
            "modelfile": f"FROM {model}\n", "parameters": "stop \"<|eot_id|>\"", "template": "{{ .Prompt }}",
            "details": self._details(model),
            "model_info": {"general.architecture": "llama", "general.parameter_count": 3212749888,
                           "llama.context_length": 131072, "llama.embedding_length": 3072},
            "capabilities": ["completion", "tools"], "modified_at": "2026-11-01T10:00:00.000000000Z",
        }, content_type="application/json; charset=utf-8")

    def _default_text(self, status: int, model: str) -> str:
        return {400: "model is required", 404: f"model '{model}' not found",
                499: "request canceled", 500: "llama runner process has terminated: exit status 2",
                503: OLLAMA_BUSY_TEXT}.get(status) or http.HTTPStatus(status).phrase.lower()

    def _generate(self, h: _Handler, rec: RecordedRequest, *, chat: bool) -> None:
        body = rec.body if isinstance(rec.body, dict) else None
        model = str((body or {}).get("model") or "")
        failure = self._take_failure()
        if failure is not None:
            return self._error(h, failure.status, failure.message or self._default_text(failure.status, model),
                               failure.headers)
        if body is None:
            return self._error(h, 400, "missing request body" if not rec.raw_body
                               else "invalid character looking for beginning of value")
        if not model:
            return self._error(h, 400, "model is required")
        if _ollama_name(model) not in self.models:
            return self._error(h, 404, f"model '{model}' not found")
        if self.busy:
            return self._error(h, 503, OLLAMA_BUSY_TEXT)
        if self.hang:
            return self._hang(h)
        self._loaded[_ollama_name(model)] = time.time()

        chunks = list(self.chunks)
        scripted = self._take_script() if chat else None
        if scripted is not None:
            self._sleep(scripted.delay_s)
            if scripted.status != 200:
                return self._error(h, scripted.status, scripted.error or self._default_text(scripted.status, model))
            chunks = [scripted.content]
        done_reason = self.done_reason
        num_predict = ((body.get("options") or {}).get("num_predict"))
        if isinstance(num_predict, int) and 0 <= num_predict < len(chunks):
            chunks, done_reason = chunks[:num_predict], "length"

        def piece(content: str, done: bool) -> dict[str, Any]:
            obj: dict[str, Any] = {"model": model, "created_at": _now_rfc3339()}
            if chat:
                obj["message"] = {"role": "assistant", "content": content}
            else:
                obj["response"] = content
            obj["done"] = done
            return obj

        def final(sent: int) -> dict[str, Any]:
            obj = piece("", True)
            obj["done_reason"] = done_reason
            if not chat:
                obj["context"] = [128006, 882, 128007]
            metrics = {"total_duration": self.load_duration_ns + self.prompt_eval_duration_ns
                       + self.eval_duration_ns + 1_000_000,
                       "load_duration": self.load_duration_ns,
                       "prompt_eval_count": self.prompt_eval_count,
                       "prompt_eval_duration": self.prompt_eval_duration_ns,
                       "eval_count": self.eval_count if self.eval_count is not None else sent,
                       "eval_duration": self.eval_duration_ns}
            obj.update({k: int(v) for k, v in metrics.items() if v})  # zero metrics are left out
            return obj

        if body.get("stream", True) is False:
            self._sleep(self.first_chunk_delay_s)
            whole = piece("".join(chunks), True)
            whole.update({k: v for k, v in final(len(chunks)).items() if k not in ("message", "response")})
            return h.send_json(200, whole, content_type="application/json; charset=utf-8")

        h.start_chunked(200, "application/x-ndjson")
        self._sleep(self.first_chunk_delay_s)
        line = lambda obj: json.dumps(obj, separators=(",", ":")).encode() + b"\n"  # noqa: E731
        sent = 0
        for i, content in enumerate(chunks):
            if self.error_after is not None and i == self.error_after:
                break
            if self.hang_after is not None and i == self.hang_after:
                return self._hang(h)
            if i:
                self._sleep(self.chunk_delay_s)
            h.write_chunk(line(piece(content, False)))
            rec.chunk_times.append(time.monotonic())
            sent += 1
        if self.error_after is not None and self.error_after <= len(chunks):
            msg = self.error_message or "an error was encountered while running the model: unexpected EOF"
            h.write_chunk(line({"error": msg}))
            h.end_chunked()
            h.close_connection = True
            return
        if self.hang_after is not None and self.hang_after >= len(chunks):
            return self._hang(h)
        self._sleep(self.chunk_delay_s if chunks else 0)
        h.write_chunk(line(final(sent)))
        h.end_chunked()


# =====================================================================================
# Anthropic
# =====================================================================================

#: HTTP status -> Anthropic ``error.type`` (PROTOCOLS.md §2.6); other 4xx use invalid_request_error.
ANTHROPIC_ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 402: "billing_error",
                         403: "permission_error", 404: "not_found_error", 413: "request_too_large",
                         429: "rate_limit_error", 500: "api_error", 504: "timeout_error",
                         529: "overloaded_error"}

_ANTHROPIC_DEFAULT_TEXT = {400: "Invalid request.", 401: "invalid x-api-key", 402: "Your credit balance is too low.",
                           403: "Your API key does not have permission to use the specified resource.",
                           404: "Not found.", 413: "Request exceeds the maximum allowed number of bytes.",
                           429: "Number of request tokens has exceeded your per-minute rate limit.",
                           500: "Internal server error.", 503: "Service unavailable.", 504: "Request timed out.",
                           529: "Overloaded"}


class FakeAnthropic(_FakeServer):
    """A fake Anthropic Messages API (PROTOCOLS.md §2). Point the SDK at ``base_url=fake.url``.

    Constructor (keyword-only; every argument is also a mutable attribute):

    - ``chunks``: the answer's text deltas, one ``content_block_delta`` event each (default
      ``["Hel", "lo."]``). ``max_tokens`` is honoured by counting one chunk per token: a
      smaller cap truncates the answer with ``stop_reason: "max_tokens"``.
    - ``served_model``: the ``model`` reported in ``message_start`` / the reply (None = echo
      the request's ``model``).
    - ``models``: if not None, the only model ids accepted; others get 404 ``not_found_error``.
    - ``input_tokens``: ``usage.input_tokens`` (default 21).
    - ``output_tokens``: final cumulative ``usage.output_tokens`` (None = chunks sent).
    - ``stop_reason``: when not truncated (default ``end_turn``; e.g. ``refusal``).
    - ``api_key``: if set, the only accepted credential (``x-api-key: K`` or
      ``Authorization: Bearer K``); otherwise any non-empty credential is accepted. A missing
      or wrong credential gets 401 ``authentication_error``.
    - ``error_type`` / ``error_message``: the mid-stream ``event: error`` sent after
      ``error_after`` chunks (default ``overloaded_error`` / ``Overloaded``).
    - the timing knobs of :class:`_FakeServer`, ``port`` (0 = random), ``verbose``.

    Routes: ``POST /v1/messages`` (stream or not), ``POST /v1/messages/count_tokens``,
    ``GET /v1/models``, ``GET /v1/models/{id}``; anything else is 404 ``not_found_error``.
    Every response carries a ``request-id`` header (``req_fake_000001``, ...). Error
    responses to 429 and 529 carry ``retry-after-ms: 10`` unless ``fail_next(headers=...)``.
    """

    kind = "anthropic"
    default_port = 8080
    generation_paths = ("/v1/messages",)

    def __init__(self, *, served_model: str | None = None, models: Iterable[str] | None = None,
                 input_tokens: int = 21, output_tokens: int | None = None, stop_reason: str = "end_turn",
                 api_key: str | None = None, error_type: str = "overloaded_error", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.served_model = served_model
        self.models = None if models is None else list(models)
        self.input_tokens = input_tokens
        self.output_tokens = output_tokens
        self.stop_reason = stop_reason
        self.api_key = api_key
        self.error_type = error_type
        self._ids = itertools.count(1)

    # ----- helpers -----
    def _rid(self) -> str:
        return f"req_fake_{next(self._ids):06d}"

    def _error(self, h: _Handler, status: int, message: str | None = None, error_type: str | None = None,
               headers: Mapping[str, str] | None = None) -> None:
        rid = self._rid()
        etype = error_type or ANTHROPIC_ERROR_TYPES.get(status) or (
            "api_error" if status >= 500 else "invalid_request_error")
        text = message or _ANTHROPIC_DEFAULT_TEXT.get(status) or http.HTTPStatus(status).phrase
        if headers is None:
            headers = {"retry-after-ms": "10"} if status in (429, 529) else {}
        h.send_json(status, {"type": "error", "error": {"type": etype, "message": text}, "request_id": rid},
                    {"request-id": rid, **headers})

    def _authorised(self, rec: RecordedRequest) -> bool:
        key = rec.headers.get("x-api-key")
        auth = rec.headers.get("authorization", "")
        if not key and auth.lower().startswith("bearer "):
            key = auth[7:].strip()
        if not key:
            return False
        return self.api_key is None or key == self.api_key

    # ----- routes -----
    def handle(self, h: _Handler, rec: RecordedRequest) -> None:
        path, method = rec.path, rec.method
        if not self._authorised(rec):
            has_cred = bool(rec.headers.get("x-api-key") or rec.headers.get("authorization"))
            return self._error(h, 401, "invalid x-api-key" if has_cred else "x-api-key header is required")
        if method == "POST" and path == "/v1/messages":
            return self._messages(h, rec)
        if method == "POST" and path == "/v1/messages/count_tokens":
            return h.send_json(200, {"input_tokens": self.input_tokens}, {"request-id": self._rid()})
        if method == "GET" and path == "/v1/models":
            data = [self._model_obj(m) for m in self._model_ids()]
            return h.send_json(200, {"data": data, "has_more": False,
                                     "first_id": data[0]["id"] if data else None,
                                     "last_id": data[-1]["id"] if data else None}, {"request-id": self._rid()})
        if method == "GET" and path.startswith("/v1/models/"):
            mid = path.rsplit("/", 1)[-1]
            if mid in self._model_ids():
                return h.send_json(200, self._model_obj(mid), {"request-id": self._rid()})
            return self._error(h, 404, f"model: {mid}")
        return self._error(h, 404, f"Not found: {method} {path}")

    def _model_ids(self) -> list[str]:
        return self.models if self.models is not None else [self.served_model or "claude-sonnet-4-6"]

    @staticmethod
    def _model_obj(mid: str) -> dict[str, Any]:
        return {"type": "model", "id": mid, "display_name": mid, "created_at": "2026-02-17T00:00:00Z",
                "lifecycle": "active", "max_input_tokens": 1000000, "max_tokens": 64000}

    def _messages(self, h: _Handler, rec: RecordedRequest) -> None:
        failure = self._take_failure()
        if failure is not None:
            return self._error(h, failure.status, failure.message, failure.error_type, failure.headers)
        body = rec.body if isinstance(rec.body, dict) else None
        if body is None:
            return self._error(h, 400, "There was an issue with the request body: not valid JSON")
        for required in ("model", "max_tokens", "messages"):
            if required not in body:
                return self._error(h, 400, f"{required}: Field required")
        model = body["model"]
        if self.models is not None and model not in self.models:
            return self._error(h, 404, f"model: {model}")
        if self.hang:
            return self._hang(h)

        chunks = list(self.chunks)
        stop_reason = self.stop_reason
        max_tokens = body.get("max_tokens")
        if isinstance(max_tokens, int) and 0 <= max_tokens < len(chunks):
            chunks, stop_reason = chunks[:max_tokens], "max_tokens"
        served = self.served_model or model
        msg_id = f"msg_01Fake{next(self._ids):06d}"
        rid = self._rid()

        def usage(output: int) -> dict[str, int]:
            return {"input_tokens": self.input_tokens, "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": 0, "output_tokens": output}

        if not body.get("stream"):
            self._sleep(self.first_chunk_delay_s)
            out = self.output_tokens if self.output_tokens is not None else len(chunks)
            return h.send_json(200, {
                "id": msg_id, "type": "message", "role": "assistant", "model": served,
                "content": [{"type": "text", "text": "".join(chunks)}], "stop_reason": stop_reason,
                "stop_sequence": None, "usage": usage(out)}, {"request-id": rid})

        def event(name: str, data: dict[str, Any]) -> bytes:
            return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()

        h.start_chunked(200, "text/event-stream; charset=utf-8",
                        {"request-id": rid, "Cache-Control": "no-cache"})
        self._sleep(self.first_chunk_delay_s)
        h.write_chunk(event("message_start", {"type": "message_start", "message": {
            "id": msg_id, "type": "message", "role": "assistant", "model": served, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": usage(1)}}))
        h.write_chunk(event("content_block_start", {"type": "content_block_start", "index": 0,
                                                    "content_block": {"type": "text", "text": ""}}))
        h.write_chunk(event("ping", {"type": "ping"}))
        sent = 0
        for i, text in enumerate(chunks):
            if self.error_after is not None and i == self.error_after:
                break
            if self.hang_after is not None and i == self.hang_after:
                return self._hang(h)
            if i:
                self._sleep(self.chunk_delay_s)
            h.write_chunk(event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                        "delta": {"type": "text_delta", "text": text}}))
            rec.chunk_times.append(time.monotonic())
            sent += 1
        if self.error_after is not None and self.error_after <= len(chunks):
            h.write_chunk(event("error", {"type": "error", "error": {
                "type": self.error_type, "message": self.error_message or "Overloaded"}, "request_id": rid}))
            h.end_chunked()
            h.close_connection = True
            return
        if self.hang_after is not None and self.hang_after >= len(chunks):
            return self._hang(h)
        out = self.output_tokens if self.output_tokens is not None else sent
        h.write_chunk(event("content_block_stop", {"type": "content_block_stop", "index": 0}))
        h.write_chunk(event("message_delta", {"type": "message_delta",
                                              "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                              "usage": {"output_tokens": out}}))
        h.write_chunk(event("message_stop", {"type": "message_stop"}))
        h.end_chunked()


# =====================================================================================
# Standalone mode
# =====================================================================================

def main(argv: list[str] | None = None) -> int:
    """``python tests/fakes.py {ollama|anthropic} [--port N] ...``: serve a fake until Ctrl-C."""
    p = argparse.ArgumentParser(description="Serve a fake Ollama or Anthropic API on loopback.")
    p.add_argument("kind", choices=["ollama", "anthropic"])
    p.add_argument("--port", type=int, default=None, help="TCP port (default: 11434 ollama, 8080 anthropic; 0 = random)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--text", default="Hello from the fake server.", help="the answer, streamed word by word")
    p.add_argument("--model", action="append", default=None,
                   help="ollama: an installed model (repeatable; default llama3.2:3b); "
                        "anthropic: the model reported as served (default: echo the request)")
    p.add_argument("--first-chunk-delay", type=float, default=0.0, help="seconds before the first chunk")
    p.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between chunks")
    p.add_argument("--api-key", default=None, help="anthropic: the only accepted key (default: any)")
    p.add_argument("-v", "--verbose", action="store_true", help="log each request to stderr")
    args = p.parse_args(argv)
    common = dict(chunks=split_text(args.text), first_chunk_delay_s=args.first_chunk_delay,
                  chunk_delay_s=args.chunk_delay, host=args.host, verbose=args.verbose)
    fake: _FakeServer
    if args.kind == "ollama":
        fake = FakeOllama(models=args.model, port=11434 if args.port is None else args.port, **common)
    else:
        fake = FakeAnthropic(served_model=(args.model or [None])[-1], api_key=args.api_key,
                             port=8080 if args.port is None else args.port, **common)
    fake.start()
    print(f"fake {args.kind} listening on {fake.url} (Ctrl-C to stop)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
