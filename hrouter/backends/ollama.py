"""The Ollama backend: a local model served by ``ollama serve``, called with the official client.

Wire facts are in ``/work/shared/PROTOCOLS.md`` §1 (checked against ollama-python 0.6.3):
streaming ``POST /api/chat`` answers NDJSON lines, the last one ``done: true`` with the
token counts (``prompt_eval_count`` in, ``eval_count`` out) and durations in integer
nanoseconds (§1.4, §1.5); errors are ``{"error": "..."}`` bodies (§1.6) which the client
raises as ``ollama.ResponseError`` (status -1 for an error line inside a 200 stream), while
connection failures and timeouts surface as builtin ``ConnectionError`` or raw ``httpx``
exceptions (§1.1).

Importing this module is cheap: ``ollama`` and ``httpx`` are imported inside the methods.
"""

from __future__ import annotations

import ipaddress
import json
import os
from typing import Iterator
from urllib.parse import urlsplit

from ..errors import BackendAuthError, BackendError, BackendResponseError, BackendUnavailable
from .base import Backend, Completion, CompletionRequest, timeouts

DEFAULT_HOST = "http://127.0.0.1:11434"


def normalize_host(host: str | None) -> str:
    """The base URL the ollama client will use for ``host`` (None/empty = ``OLLAMA_HOST``, then
    ``http://127.0.0.1:11434``).

    Mirrors ``ollama._client._parse_host`` (PROTOCOLS.md §1.1) without importing ollama: a bare
    host gets ``http://`` and port 11434, ``:PORT`` means 127.0.0.1, ``http://`` without a port
    means 80 and ``https://`` 443; a path is kept.
    """
    host = host or os.environ.get("OLLAMA_HOST") or ""
    if not host:
        return DEFAULT_HOST
    port = 11434
    scheme, _, hostport = host.partition("://")
    if not hostport:
        scheme, hostport = "http", host
    elif scheme == "http":
        port = 80
    elif scheme == "https":
        port = 443
    try:
        split = urlsplit(f"{scheme}://{hostport}")
        name = split.hostname or "127.0.0.1"
        port = split.port or port
    except ValueError:
        return host
    try:
        if isinstance(ipaddress.ip_address(name), ipaddress.IPv6Address):
            name = f"[{name}]"
    except ValueError:
        pass
    path = split.path.strip("/")
    return f"{scheme}://{name}:{port}/{path}" if path else f"{scheme}://{name}:{port}"


def _model_key(name: str | None) -> str:
    """Ollama's canonical model name: no tag means ``:latest``."""
    name = name or ""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def map_status(status: int) -> type[BackendError]:
    """The hrouter error type for an HTTP status from a backend.

    408, 429 and every 5xx (including Ollama's 503 busy and Anthropic's 529) are availability
    failures (fallback-eligible); 401 is a credential failure; 400, 403, 404 and any other
    status are the backend rejecting the request (never routed around).
    """
    if status in (408, 429) or status >= 500:
        return BackendUnavailable
    if status == 401:
        return BackendAuthError
    return BackendResponseError


class OllamaBackend(Backend):
    """Streams chat completions from an Ollama server (``config.host``, ``config.model``).

    Timeouts: ``config.connect_timeout_s`` to connect, ``config.timeout_s`` per read (s).
    After a successful call, ``completion`` also carries ``server_durations_ns`` (a dict of
    ``total``, ``load``, ``prompt_eval`` and ``eval`` durations in integer nanoseconds, as the
    server reported them in its final chunk; PROTOCOLS.md §1.4) and ``model_version`` is the
    model's digest from ``/api/tags`` (None when that lookup fails).
    """

    @property
    def host(self) -> str:
        """The server's base URL, normalised as the ollama client does (PROTOCOLS.md §1.1)."""
        return normalize_host(self.config.host)

    def describe(self) -> str:
        """The Ollama base URL, e.g. ``http://127.0.0.1:11434``."""
        return self.host

    def _client(self):
        import httpx
        import ollama

        read_s, connect_s = timeouts(self.config)  # capped: a huge value overflows the socket layer
        timeout = httpx.Timeout(read_s, connect=connect_s)
        # Never follow a redirect with a prompt in the body (it could move the data to another
        # zone), and a local-zone backend ignores HTTP(S)_PROXY/ALL_PROXY, which would route
        # "local" traffic through another machine.
        return ollama.Client(host=self.config.host, timeout=timeout, follow_redirects=False,
                             trust_env=self.config.zone != "local")

    @staticmethod
    def _messages(request: CompletionRequest) -> list[dict]:
        messages: list[dict] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        user: dict = {"role": "user", "content": request.prompt}
        if request.images:
            # bytes are base64-encoded by the client (ollama._types.Image), as the API expects.
            user["images"] = [image.data for image in request.images]
        messages.append(user)
        return messages

    def prepare(self) -> None:
        """Import the client library (``ollama`` pulls in httpx and pydantic models).

        Paid here, before the router starts its TTFT clock, so TTFT measures the server.
        """
        import httpx  # noqa: F401
        import ollama  # noqa: F401

    def stream(self, request: CompletionRequest, completion: Completion) -> Iterator[str]:
        """Stream ``request`` through ``POST /api/chat``; yields content pieces as they arrive.

        Sends ``options.num_predict = request.max_tokens`` and ``options.num_ctx = config.context_window``
        (tokens; Ollama would otherwise silently truncate long prompts to its default context). Fills ``completion``:
        text, usage (``prompt_eval_count`` -> input, ``eval_count`` -> output, tokens), model
        (as echoed by the server), stop_reason (``done_reason``: stop, length, ...) and,
        after the stream, model_version (the digest from ``/api/tags``).
        Raises :class:`BackendUnavailable`, :class:`BackendAuthError` or
        :class:`BackendResponseError` (see :meth:`map_error`), before or during iteration.
        """
        client = self._client()
        try:
            final = None
            try:
                parts = client.chat(model=self.config.model, messages=self._messages(request), stream=True,
                                    options={"num_predict": request.max_tokens,
                                             "num_ctx": self.config.context_window})
                for part in parts:
                    if part.model:
                        completion.model = part.model
                    text = (part.message.content if part.message is not None else None) or ""
                    if text:
                        completion.text += text
                        yield text
                    if part.done:
                        final = part
            except Exception as exc:  # noqa: BLE001 - narrowed by map_error, re-raised otherwise
                mapped = self.map_error(exc)
                if mapped is None:
                    raise
                raise mapped from exc
            if final is None:
                raise BackendResponseError(
                    f"ollama at {self.host}: malformed reply: the stream ended without a final 'done' chunk",
                    backend=self.name)
            completion.usage.input_tokens = final.prompt_eval_count or 0
            completion.usage.output_tokens = final.eval_count or 0
            completion.stop_reason = final.done_reason
            completion.server_durations_ns = {  # type: ignore[attr-defined]
                "total": final.total_duration, "load": final.load_duration,
                "prompt_eval": final.prompt_eval_duration, "eval": final.eval_duration}
            completion.model_version = self._digest(client)
        finally:
            client.close()

    def _digest(self, client) -> str | None:
        """The configured model's digest from ``GET /api/tags`` (PROTOCOLS.md §1.2), or None.

        Matches ``name`` or ``model``, treating a name without a tag as ``:latest``. Any failure
        (server gone, timeout, bad reply) gives None: the answer has already been delivered.
        """
        try:
            wanted = _model_key(self.config.model)
            for entry in client.list().models:
                names = (getattr(entry, "model", None), getattr(entry, "name", None),
                         (entry.model_extra or {}).get("name") if entry.model_extra else None)
                if any(n and _model_key(n) == wanted for n in names):
                    return entry.digest or None
        except Exception:  # noqa: BLE001 - best effort by design
            return None
        return None

    def map_error(self, exc: BaseException) -> BackendError | None:
        """Translate an ollama/httpx/pydantic exception into an hrouter error (None = not ours).

        ================================================  ==========================================
        ``ResponseError`` 408/429/5xx (503 = queue full)  ``BackendUnavailable(status=N)``
        ``ResponseError`` 401                             ``BackendAuthError``
        ``ResponseError`` 400/403/404/other               ``BackendResponseError``
        ``ResponseError`` -1 (error line in a 200         ``BackendUnavailable(status=200)``: a
        stream; runner failure)                           server fault after the reply began
        builtin ``ConnectionError``, ``httpx.ConnectError``  ``BackendUnavailable(status=None)``
        ``httpx.TimeoutException``                        ``BackendUnavailable(status=None)``
        other ``httpx.TransportError`` (reset, truncated)  ``BackendUnavailable(status=None)``
        ``pydantic.ValidationError``, bad JSON line       ``BackendResponseError``
        ================================================  ==========================================
        """
        import httpx
        import ollama
        import pydantic

        where = f"ollama at {self.host}"
        if isinstance(exc, ollama.ResponseError):
            text = str(exc.error).strip()
            if exc.status_code == -1:
                return BackendUnavailable(f"{where}: error in the reply stream: {text}",
                                          backend=self.name, status=200)
            status = exc.status_code
            cls = map_status(status)
            hint = ""
            if status == 404 and "not found" in text.lower():  # `model 'X' not found`: not pulled here
                hint = f"; pull it with `ollama pull {self.config.model}`"
            return cls(f"{where}: {text} (status {status}){hint}", backend=self.name, status=status)
        if isinstance(exc, httpx.TimeoutException):
            if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
                what = f"connect timed out after {self.config.connect_timeout_s:g}s"
            else:
                what = f"timed out after {self.config.timeout_s:g}s waiting for the reply"
            return BackendUnavailable(f"{where}: {what} ({type(exc).__name__})", backend=self.name,
                                      sent=False if isinstance(exc, httpx.ConnectTimeout) else None)
        if isinstance(exc, (ConnectionError, httpx.ConnectError)):
            return BackendUnavailable(
                f"{where}: cannot connect ({exc or type(exc).__name__}); is Ollama running? "
                f"Start it with `ollama serve`", backend=self.name, sent=False)
        if isinstance(exc, httpx.TransportError):
            return BackendUnavailable(f"{where}: connection failed: {type(exc).__name__}: {exc}",
                                      backend=self.name)
        if isinstance(exc, (pydantic.ValidationError, json.JSONDecodeError)):
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return BackendResponseError(f"{where}: malformed reply: {detail}", backend=self.name)
        return None
