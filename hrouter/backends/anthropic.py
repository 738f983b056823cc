"""The Anthropic backend: the Messages API, called with the official ``anthropic`` SDK.

Wire facts are in ``/work/shared/PROTOCOLS.md`` §2 (SDK 2.x): ``POST /v1/messages`` with
``stream: true`` answers named SSE events (§2.5): ``message_start`` (the served ``model`` and
``usage.input_tokens``), ``content_block_delta`` text deltas, ``message_delta`` (``stop_reason``
and **cumulative** ``usage.output_tokens``), ``message_stop``. HTTP errors carry
``{"type":"error","error":{"type","message"}}`` (§2.6) and are raised as ``APIStatusError``
subclasses; an ``event: error`` inside a 200 stream is a plain ``APIStatusError`` with
``status_code == 200`` (§2.5); connection failures and timeouts are ``APIConnectionError`` /
``APITimeoutError`` (§2.2).

hrouter does its own fallback, so the SDK's retries are off (``max_retries=0``).

Importing this module is cheap: the SDK (over 1 s to import) is imported inside
:meth:`AnthropicBackend.stream`, and only after credentials were found.
"""

from __future__ import annotations

import os
import time
from email.utils import parsedate_to_datetime
from typing import Iterator

from ..errors import BackendAuthError, BackendError, BackendResponseError, BackendUnavailable
from ._transport import map_http_status, map_transport
from .base import Backend, Completion, CompletionRequest, timeouts

DEFAULT_BASE_URL = "https://api.anthropic.com"

#: Error types (PROTOCOLS.md §2.6) that mean "the service could not serve now": fallback-eligible.
UNAVAILABLE_TYPES = frozenset({"overloaded_error", "api_error", "rate_limit_error", "timeout_error"})


def map_status(status: int) -> type[BackendError]:
    """The hrouter error type for an HTTP status (same rule as :func:`hrouter.backends.ollama.map_status`).

    408, 429, every 5xx and 529 -> :class:`BackendUnavailable`; 401 -> :class:`BackendAuthError`;
    400/403/404 and any other status -> :class:`BackendResponseError`.
    """
    if status in (408, 429) or status >= 500:
        return BackendUnavailable
    if status == 401:
        return BackendAuthError
    return BackendResponseError


def retry_after_s(headers) -> float | None:
    """A server's retry hint in seconds from response ``headers``, or None.

    ``retry-after-ms`` (milliseconds) wins over ``retry-after`` (seconds, or an HTTP date),
    the order the SDK itself uses (PROTOCOLS.md §2.2). Negative or unparsable values give None.
    """
    if headers is None:
        return None
    raw_ms = headers.get("retry-after-ms")
    if raw_ms:
        try:
            value = float(raw_ms) / 1000.0
            if value >= 0:
                return value
        except ValueError:
            pass
    raw = headers.get("retry-after")
    if raw:
        try:
            value = float(raw)
            return value if value >= 0 else None
        except ValueError:
            pass
        try:  # an HTTP date: the wait is until then (0 if already past)
            return max(parsedate_to_datetime(raw).timestamp() - time.time(), 0.0)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return None


def _credentials() -> tuple[str | None, str | None]:
    """``(api_key, auth_token)`` from ``ANTHROPIC_API_KEY`` / ``ANTHROPIC_AUTH_TOKEN`` (empty = unset).

    At most one is returned; the API key wins, as in the SDK.
    """
    key = (os.environ.get("ANTHROPIC_API_KEY") or "").strip() or None
    token = (os.environ.get("ANTHROPIC_AUTH_TOKEN") or "").strip() or None
    return (key, None) if key else (None, token)


class AnthropicBackend(Backend):
    """Streams messages from the Anthropic API (``config.base_url``, ``config.model``).

    Credentials come from ``ANTHROPIC_API_KEY`` (or ``ANTHROPIC_AUTH_TOKEN``); without either,
    :meth:`stream` raises :class:`BackendAuthError` before importing the SDK or sending anything.
    Timeouts: ``config.connect_timeout_s`` to connect, ``config.timeout_s`` per read (s).
    After a call, ``completion`` also carries ``request_id`` (the ``request-id`` response header).

    A ``refusal`` stop reason raises :class:`BackendResponseError` once the stream ends (the text
    streamed so far has been yielded and stays in ``completion.text``): the CLI then exits 1, and
    a refused prompt is never routed to another backend.
    """

    @property
    def base_url(self) -> str:
        """The API base URL: ``config.base_url``, else ``ANTHROPIC_BASE_URL``, else the SDK default."""
        return (self.config.base_url or os.environ.get("ANTHROPIC_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")

    def describe(self) -> str:
        """The API base URL, e.g. ``https://api.anthropic.com``."""
        return self.base_url

    def _where(self) -> str:
        return f"anthropic at {self.base_url}"

    def _scrub(self, text: str) -> str:
        """``text`` with any credential value replaced by ``***`` (messages never carry secrets)."""
        for secret in _credentials():
            if secret:
                text = text.replace(secret, "***")
        return text

    @staticmethod
    def _messages(request: CompletionRequest) -> list[dict]:
        if not request.images:
            return [{"role": "user", "content": request.prompt}]
        import base64

        blocks: list[dict] = [
            {"type": "image", "source": {"type": "base64", "media_type": image.media_type,
                                         "data": base64.b64encode(image.data).decode("ascii")}}
            for image in request.images
        ]
        blocks.append({"type": "text", "text": request.prompt})
        return [{"role": "user", "content": blocks}]

    def prepare(self) -> None:
        """Check credentials (BackendAuthError naming ANTHROPIC_API_KEY when absent), then import the SDK."""
        self._require_credentials()
        import anthropic  # noqa: F401 - the import costs ~1 s; paid here, outside the TTFT measurement

    def _require_credentials(self) -> tuple[str | None, str | None]:
        api_key, auth_token = _credentials()
        if not api_key and not auth_token:
            raise BackendAuthError(
                f"{self._where()}: no credentials: set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN)",
                backend=self.name)
        return api_key, auth_token

    def stream(self, request: CompletionRequest, completion: Completion) -> Iterator[str]:
        """Stream ``request`` through ``POST /v1/messages``; yields text deltas as they arrive.

        Fills ``completion``: text; usage (``input_tokens`` from ``message_start``, unless
        ``message_delta`` carries it; ``output_tokens`` cumulative from ``message_delta``;
        tokens); model and model_version (the ``model`` the server reported in
        ``message_start``); stop_reason (from ``message_delta``); request_id.
        Raises :class:`BackendAuthError` (no credentials, 401), :class:`BackendUnavailable`
        or :class:`BackendResponseError` (see :meth:`map_error`), before or during iteration.
        """
        api_key, auth_token = self._require_credentials()
        return self._stream(request, completion, api_key, auth_token)

    def _stream(self, request: CompletionRequest, completion: Completion, api_key: str | None,
                auth_token: str | None) -> Iterator[str]:
        import anthropic

        cred = {"api_key": api_key} if api_key else {"auth_token": auth_token}
        read_s, connect_s = timeouts(self.config)  # capped: a huge value overflows the socket layer
        timeout = anthropic.Timeout(read_s, connect=connect_s)
        # No redirects with a prompt in the body; no proxy environment for a local-zone endpoint.
        http_client = anthropic.DefaultHttpxClient(timeout=timeout, follow_redirects=False,
                                                   trust_env=self.config.zone != "local")
        client = anthropic.Anthropic(**cred, base_url=self.config.base_url or None, max_retries=0,
                                     timeout=timeout, http_client=http_client)
        kwargs: dict = {"model": self.config.model, "max_tokens": request.max_tokens,
                        "messages": self._messages(request)}
        if request.system:
            kwargs["system"] = request.system
        started = False
        try:
            try:
                with client.messages.create(stream=True, **kwargs) as events:
                    completion.request_id = events.response.headers.get("request-id")  # type: ignore[attr-defined]
                    for event in events:
                        kind = event.type
                        if kind == "message_start":
                            started = True
                            message = event.message
                            completion.model = message.model
                            completion.model_version = message.model
                            if message.usage is not None:
                                completion.usage.input_tokens = message.usage.input_tokens or 0
                                completion.usage.output_tokens = message.usage.output_tokens or 0
                        elif kind == "content_block_delta":
                            if event.delta.type == "text_delta" and event.delta.text:
                                completion.text += event.delta.text
                                yield event.delta.text
                        elif kind == "message_delta":
                            if event.delta.stop_reason is not None:
                                completion.stop_reason = event.delta.stop_reason
                            usage = event.usage
                            if usage is not None:
                                if usage.output_tokens is not None:
                                    completion.usage.output_tokens = usage.output_tokens
                                if getattr(usage, "input_tokens", None) is not None:
                                    completion.usage.input_tokens = usage.input_tokens
            except Exception as exc:  # noqa: BLE001 - narrowed by map_error, re-raised otherwise
                mapped = self.map_error(exc)
                if mapped is None:
                    raise
                raise mapped from exc
        finally:
            client.close()
        if not started:
            raise BackendResponseError(f"{self._where()}: malformed reply: the stream had no message_start event",
                                       backend=self.name)
        if completion.stop_reason == "refusal":
            raise BackendResponseError(f"{self._where()}: the model refused to answer (stop_reason 'refusal')",
                                       backend=self.name, status=200)

    def map_error(self, exc: BaseException) -> BackendError | None:
        """Translate an SDK/httpx2/pydantic exception into an hrouter error (None = not ours).

        ===============================================  ==================================================
        ``APIStatusError`` 408/429/5xx/529               ``BackendUnavailable(status=N, retry_after_s=..)``
        ``APIStatusError`` 401                           ``BackendAuthError``
        ``APIStatusError`` 400/403/404/other 4xx         ``BackendResponseError``
        ``APIStatusError`` 200 (``event: error``)        by ``error.type``: overloaded_error, api_error,
                                                         rate_limit_error, timeout_error ->
                                                         ``BackendUnavailable(status=200)``;
                                                         authentication_error -> ``BackendAuthError``;
                                                         others -> ``BackendResponseError``
        ``APITimeoutError``, ``httpx2.TimeoutException``  ``BackendUnavailable(status=None)``
        ``APIConnectionError``, ``httpx2.TransportError``  ``BackendUnavailable(status=None)``
        ``CredentialsError``                             ``BackendAuthError``
        ``APIResponseValidationError``, pydantic         ``BackendResponseError``
        ``ValidationError``, bad JSON, other SDK errors
        ===============================================  ==================================================
        """
        import json

        import anthropic
        import pydantic

        where = self._where()
        if isinstance(exc, anthropic.APIStatusError):
            status = exc.status_code
            etype = getattr(exc, "type", None)
            text = getattr(exc, "api_message", None) or exc.message
            rid = exc.request_id
            detail = f"{etype}: {text}" if etype else str(text)
            if status == 200:
                msg = self._scrub(f"{where}: error in the reply stream: {detail}"
                                  + (f" (request-id {rid})" if rid else ""))
                if etype in UNAVAILABLE_TYPES:
                    return BackendUnavailable(msg, backend=self.name, status=200)
                if etype == "authentication_error":
                    return BackendAuthError(msg, backend=self.name, status=200)
                return BackendResponseError(msg, backend=self.name, status=200)
            msg = self._scrub(f"{where}: {detail} (status {status}" + (f", request-id {rid})" if rid else ")"))
            return map_http_status(map_status(status), msg, backend=self.name, status=status,
                                   headers=exc.response.headers)
        mapped = map_transport(exc, timeout_cls=anthropic.APITimeoutError, connection_cls=anthropic.APIConnectionError,
                               where=where, config=self.config, backend=self.name, scrub=self._scrub)
        if mapped is not None:
            return mapped
        if isinstance(exc, anthropic.CredentialsError):
            return BackendAuthError(self._scrub(f"{where}: credentials: {exc}"), backend=self.name)
        if isinstance(exc, (anthropic.AnthropicError, pydantic.ValidationError, json.JSONDecodeError)):
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return BackendResponseError(self._scrub(f"{where}: malformed reply: {first}"), backend=self.name)
        return None
