"""A loopback fake of an OpenAI-compatible Chat Completions server, speaking the exact wire format.

Like the fakes in ``fakes.py`` (whose server machinery it reuses), :class:`FakeOpenAI` is a real
HTTP/1.1 server (``ThreadingHTTPServer`` on 127.0.0.1, a random free port, a daemon thread),
so the real ``openai`` SDK (httpx2) talks to it exactly as to OpenAI, vLLM or llama.cpp's
``llama-server``: no monkeypatching, no transport mocks. Streams use
``Transfer-Encoding: chunked`` and every SSE event leaves in its own chunk the moment it is
written, so a client sees the first delta before the server has written the last
(``RecordedRequest.chunk_times``).

Wire format (OpenAI API reference, "Create chat completion" and "The chat completion chunk
object"; vLLM and llama.cpp answer the same shapes):

- ``POST /v1/chat/completions`` with ``stream: true`` answers ``200``,
  ``Content-Type: text/event-stream; charset=utf-8``, ``x-request-id: req_...`` and events
  ``data: {json}\\n\\n``, each a chunk ``{"id": "chatcmpl-..", "object": "chat.completion.chunk",
  "created": <unix s>, "model": <served model>, "system_fingerprint": "fp_..", "choices":
  [{"index": 0, "delta": {...}, "logprobs": null, "finish_reason": null}]}``: first a delta
  ``{"role": "assistant", "content": ""}``, then one ``{"content": "<text>"}`` per chunk, then
  an empty delta with ``finish_reason`` (``stop``, or ``length`` when the cap cut it short).
  With ``stream_options.include_usage`` every chunk carries ``"usage": null`` and a last chunk
  has ``choices: []`` and ``usage: {prompt_tokens, completion_tokens, total_tokens}``. The
  stream ends with ``data: [DONE]\\n\\n``.
- Without ``stream``: one ``chat.completion`` object (``choices[0].message``, ``usage``).
- Errors: the status with ``{"error": {"message", "type", "param", "code"}}``; a mid-stream
  error (``error_after``) is a ``data: {"error": {...}}`` event, then the stream ends.
- ``GET /v1/models`` -> ``{"object": "list", "data": [{"id", "object": "model", "created",
  "owned_by"}]}``; ``GET /v1/models/{id}`` one model or 404 ``model_not_found``.

Usage::

    from fake_openai import FakeOpenAI

    with FakeOpenAI(chunks=["Hel", "lo."], served_model="gpt-4o-mini-2024-07-18") as server:
        server.url                      # "http://127.0.0.1:PORT/v1", the SDK's base_url
        server.fail_next(429, "Rate limit reached", headers={"retry-after": "2"})
        server.requests_to("/v1/chat/completions")[0].body["max_tokens"]
"""

from __future__ import annotations

import http
import itertools
import json
import time
from typing import Any, Iterable, Mapping

try:
    from fakes import RecordedRequest, _FakeServer, _Handler, free_port
except ImportError:  # pragma: no cover - imported as tests.fake_openai
    from tests.fakes import RecordedRequest, _FakeServer, _Handler, free_port

__all__ = ["FakeOpenAI", "RecordedRequest", "free_port", "OPENAI_ERROR_TYPES"]

#: ``error.type`` / ``error.code`` the fake sends for a status (OpenAI's values).
OPENAI_ERROR_TYPES: dict[int, tuple[str, str | None]] = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    408: ("timeout", None),
    429: ("requests", "rate_limit_exceeded"),
    500: ("server_error", None),
    503: ("server_error", None),
}

_DEFAULT_TEXT: dict[int, str] = {
    400: "Invalid request.",
    401: "Incorrect API key provided.",
    404: "The model does not exist or you do not have access to it.",
    429: "Rate limit reached for requests. Please try again later.",
    500: "The server had an error while processing your request. Sorry about that!",
    503: "The engine is currently overloaded, please try again later.",
}


class FakeOpenAI(_FakeServer):
    """A fake OpenAI-compatible server. Point the SDK at ``base_url=fake.url`` (ends in ``/v1``).

    Constructor (keyword-only; every argument is also a mutable attribute):

    - ``chunks``: the answer's content deltas, one chunk event each (default ``["Hel", "lo."]``).
      The output cap (``max_completion_tokens`` or ``max_tokens``) counts one chunk per token:
      a smaller cap truncates the answer with ``finish_reason: "length"``.
    - ``served_model``: the ``model`` the chunks report (None = echo the request's ``model``).
    - ``models``: if not None, the only model ids accepted; others get 404 ``model_not_found``.
    - ``prompt_tokens``: ``usage.prompt_tokens`` (default 17).
    - ``completion_tokens``: ``usage.completion_tokens`` (None = content chunks sent).
    - ``finish_reason``: when not truncated (default ``stop``; e.g. ``content_filter``).
    - ``api_key``: if set, the only accepted ``Authorization: Bearer`` key (others and a
      missing header get 401); None accepts any request, as a local server started without
      ``--api-key`` does.
    - ``send_usage``: False = ignore ``stream_options.include_usage`` and stream no usage chunk, as
      llama-cpp-python's server does (default True).
    - ``error_type`` / ``error_message``: the mid-stream ``{"error":..}`` event sent after
      ``error_after`` chunks (default ``server_error`` / ``The server had an error``).
    - the timing knobs of ``fakes._FakeServer`` (``first_chunk_delay_s``, ``chunk_delay_s``,
      ``hang``, ``hang_after``, ``hang_s``), ``port`` (0 = random), ``verbose``.

    Failures queued with :meth:`fail_next` (``status``, ``message``, ``headers=``, ``count=``,
    ``error_type=``) apply to ``/v1/chat/completions`` only; ``headers`` None = none (pass
    ``{"retry-after": "2"}`` or ``{"retry-after-ms": "10"}`` for a retry hint). Every response
    carries an ``x-request-id`` header (``req_fake_000001``, ...).
    """

    kind = "openai"
    default_port = 8000
    generation_paths = ("/v1/chat/completions",)

    def __init__(self, *, served_model: str | None = None, models: Iterable[str] | None = None,
                 prompt_tokens: int = 17, completion_tokens: int | None = None, finish_reason: str = "stop",
                 api_key: str | None = None, error_type: str = "server_error", send_usage: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.send_usage = send_usage
        self.served_model = served_model
        self.models = None if models is None else list(models)
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.finish_reason = finish_reason
        self.api_key = api_key
        self.error_type = error_type
        self._ids = itertools.count(1)

    @property
    def root(self) -> str:
        """The server's root URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The API base URL the SDK wants, e.g. ``http://127.0.0.1:54321/v1``."""
        return f"{self.root}/v1"

    # ----- helpers -----
    def _rid(self) -> str:
        return f"req_fake_{next(self._ids):06d}"

    def _error(self, h: _Handler, status: int, message: str | None = None, error_type: str | None = None,
               headers: Mapping[str, str] | None = None, code: str | None = None) -> None:
        etype, ecode = OPENAI_ERROR_TYPES.get(status, ("server_error" if status >= 500 else "invalid_request_error",
                                                       None))
        text = message or _DEFAULT_TEXT.get(status) or http.HTTPStatus(status).phrase
        h.send_json(status, {"error": {"message": text, "type": error_type or etype, "param": None,
                                       "code": code or ecode}},
                    {"x-request-id": self._rid(), **(headers or {})})

    def _authorised(self, rec: RecordedRequest) -> bool:
        if self.api_key is None:
            return True
        auth = rec.headers.get("authorization", "")
        return auth.lower().startswith("bearer ") and auth[7:].strip() == self.api_key

    def _model_ids(self) -> list[str]:
        return self.models if self.models is not None else [self.served_model or "gpt-4o-mini"]

    @staticmethod
    def _model_obj(mid: str) -> dict[str, Any]:
        return {"id": mid, "object": "model", "created": 1721172741, "owned_by": "system"}

    # ----- routes -----
    def handle(self, h: _Handler, rec: RecordedRequest) -> None:
        path, method = rec.path, rec.method
        if not self._authorised(rec):
            if rec.headers.get("authorization"):
                return self._error(h, 401, "Incorrect API key provided.")
            return self._error(h, 401, "You didn't provide an API key. You need to provide your API key in an "
                                       "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                               code="missing_api_key")
        if method == "POST" and path == "/v1/chat/completions":
            return self._chat(h, rec)
        if method == "GET" and path == "/v1/models":
            return h.send_json(200, {"object": "list", "data": [self._model_obj(m) for m in self._model_ids()]},
                               {"x-request-id": self._rid()})
        if method == "GET" and path.startswith("/v1/models/"):
            mid = path[len("/v1/models/"):]
            if mid in self._model_ids():
                return h.send_json(200, self._model_obj(mid), {"x-request-id": self._rid()})
            return self._error(h, 404, f"The model '{mid}' does not exist", code="model_not_found")
        return self._error(h, 404, f"Invalid URL ({method} {path})", code=None)

    def _chat(self, h: _Handler, rec: RecordedRequest) -> None:
        failure = self._take_failure()
        if failure is not None:
            return self._error(h, failure.status, failure.message, failure.error_type, failure.headers)
        body = rec.body if isinstance(rec.body, dict) else None
        if body is None:
            return self._error(h, 400, "We could not parse the JSON body of your request.")
        for required in ("model", "messages"):
            if required not in body:
                return self._error(h, 400, f"Missing required parameter: '{required}'.")
        model = body["model"]
        if self.models is not None and model not in self.models:
            return self._error(h, 404, f"The model `{model}` does not exist or you do not have access to it.")
        if self.hang:
            return self._hang(h)

        chunks = list(self.chunks)
        finish = self.finish_reason
        cap = body.get("max_completion_tokens", body.get("max_tokens"))
        if isinstance(cap, int) and 0 <= cap < len(chunks):
            chunks, finish = chunks[:cap], "length"
        served = self.served_model or model
        cid = f"chatcmpl-Fake{next(self._ids):06d}"
        created = int(time.time())
        rid = self._rid()

        def usage(out: int) -> dict[str, Any]:
            return {"prompt_tokens": self.prompt_tokens, "completion_tokens": out,
                    "total_tokens": self.prompt_tokens + out,
                    "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
                    "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                                  "accepted_prediction_tokens": 0,
                                                  "rejected_prediction_tokens": 0}}

        if not body.get("stream"):
            self._sleep(self.first_chunk_delay_s)
            out = self.completion_tokens if self.completion_tokens is not None else len(chunks)
            return h.send_json(200, {
                "id": cid, "object": "chat.completion", "created": created, "model": served,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "".join(chunks),
                                                     "refusal": None, "annotations": []},
                             "logprobs": None, "finish_reason": finish}],
                "usage": usage(out), "service_tier": "default", "system_fingerprint": "fp_fake0001"},
                {"x-request-id": rid})

        include_usage = self.send_usage and bool((body.get("stream_options") or {}).get("include_usage"))

        def event(data: Any) -> bytes:
            text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
            return f"data: {text}\n\n".encode()

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            obj: dict[str, Any] = {
                "id": cid, "object": "chat.completion.chunk", "created": created, "model": served,
                "service_tier": "default", "system_fingerprint": "fp_fake0001",
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}]}
            if include_usage:
                obj["usage"] = None
            return event(obj)

        h.start_chunked(200, "text/event-stream; charset=utf-8",
                        {"x-request-id": rid, "Cache-Control": "no-cache"})
        self._sleep(self.first_chunk_delay_s)
        h.write_chunk(chunk({"role": "assistant", "content": "", "refusal": None}))
        sent = 0
        for i, text in enumerate(chunks):
            if self.error_after is not None and i == self.error_after:
                break
            if self.hang_after is not None and i == self.hang_after:
                return self._hang(h)
            if i:
                self._sleep(self.chunk_delay_s)
            h.write_chunk(chunk({"content": text}))
            rec.chunk_times.append(time.monotonic())
            sent += 1
        if self.error_after is not None and self.error_after <= len(chunks):
            h.write_chunk(event({"error": {"message": self.error_message or "The server had an error",
                                           "type": self.error_type, "param": None, "code": None}}))
            h.end_chunked()
            h.close_connection = True
            return
        if self.hang_after is not None and self.hang_after >= len(chunks):
            return self._hang(h)
        h.write_chunk(chunk({}, finish))
        if include_usage:
            out = self.completion_tokens if self.completion_tokens is not None else sent
            h.write_chunk(event({"id": cid, "object": "chat.completion.chunk", "created": created,
                                 "model": served, "service_tier": "default",
                                 "system_fingerprint": "fp_fake0001", "choices": [], "usage": usage(out)}))
        h.write_chunk(event("[DONE]"))
        h.end_chunked()
