"""The OpenAI-compatible backend: Chat Completions, called with the official ``openai`` SDK.

One backend kind for every server that speaks OpenAI's Chat Completions wire format: OpenAI
itself, Azure OpenAI's v1 endpoint, vLLM, llama.cpp's ``llama-server``, LM Studio and
company-hosted gateways. ``POST {base_url}/chat/completions`` with ``stream: true`` and
``stream_options: {"include_usage": true}`` answers Server-Sent Events, each a
``data: {json}`` line holding a ``chat.completion.chunk`` (``model``,
``choices[0].delta.content``, ``choices[0].finish_reason``), then one chunk with
``choices: []`` and ``usage: {prompt_tokens, completion_tokens, total_tokens}``, then
``data: [DONE]``. HTTP errors carry ``{"error": {"message", "type", "code", "param"}}`` and
are raised by the SDK as ``APIStatusError`` subclasses; an ``{"error": ...}`` object inside a
200 stream is a plain ``APIError``; connection failures and timeouts are
``APIConnectionError`` / ``APITimeoutError`` wrapping the ``httpx2`` exception.

Credentials: ``config.api_key_env`` names the environment variable holding the key (for
example ``OPENAI_API_KEY``); None means the server needs none (a local llama.cpp / vLLM /
LM Studio), and then no ``Authorization`` header is sent at all. hrouter's configuration is
the whole truth: the SDK's own ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL`` fallbacks are not
used, and for a ``local`` zone neither proxies nor ambient ``OPENAI_ORG_ID`` /
``OPENAI_PROJECT_ID`` headers apply.

The output cap goes out as ``max_completion_tokens`` to OpenAI and Azure OpenAI hosts (their
reasoning models reject ``max_tokens``) and as ``max_tokens`` everywhere else (what every
local server understands); see :func:`max_tokens_field`.

hrouter does its own fallback, so the SDK's retries are off (``max_retries=0``).

Importing this module is cheap: the SDK (an optional extra, ``pip install 'hrouter[openai]'``)
is imported inside :meth:`OpenAIBackend.prepare` / :meth:`OpenAIBackend.stream` only.
"""

from __future__ import annotations

import os
from typing import Iterator
from urllib.parse import urlsplit

from ..errors import BackendAuthError, BackendError, BackendResponseError, BackendUnavailable, InputError
from .anthropic import map_status
from ._transport import map_http_status, map_transport
from .base import Backend, Completion, CompletionRequest, timeouts

DEFAULT_BASE_URL = "https://api.openai.com/v1"

#: The message when the SDK is not installed (hrouter exits 2 with it).
MISSING_EXTRA = "the openai backend needs the openai extra: pip install 'hrouter[openai]'"

#: In-stream ``error.type`` / ``error.code`` values that mean "could not serve now": fallback-eligible.
UNAVAILABLE_TYPES = frozenset({"server_error", "overloaded_error", "service_unavailable", "rate_limit_error",
                               "rate_limit_exceeded", "timeout", "timeout_error", "api_error",
                               "ServiceUnavailableError", "InternalServerError"})


def max_tokens_field(base_url: str) -> str:
    """The request field that carries the output cap for an endpoint at ``base_url``.

    ``max_completion_tokens`` for OpenAI (``*.openai.com``) and Azure OpenAI
    (``*.openai.azure.com``, ``*.cognitiveservices.azure.com``), whose reasoning models reject
    the deprecated ``max_tokens``; ``max_tokens`` for every other server (vLLM, llama.cpp,
    LM Studio and most gateways accept it, not all accept the newer name).
    """
    host = (urlsplit(base_url).hostname or "").lower()
    if host == "openai.com" or host.endswith((".openai.com", ".openai.azure.com",
                                                ".cognitiveservices.azure.com")):
        return "max_completion_tokens"
    return "max_tokens"


def estimate_usage(completion: Completion, request: CompletionRequest, deltas: int) -> None:
    """Fill ``completion.usage`` for a server that streamed no usage chunk (it ignores
    ``stream_options.include_usage``, as llama-cpp-python's server does) and mark it
    ``estimated``: output tokens = the content deltas received (such servers stream one token
    per delta), input tokens = hrouter's estimate of the system prompt and prompt
    (:func:`hrouter.signals.tokens.estimate_tokens`; the server's chat template adds a few more).
    Without this a priced server would settle every call at $0 against the session budget."""
    from ..signals.tokens import estimate_tokens
    text = request.prompt if not request.system else request.system + "\n\n" + request.prompt
    completion.usage.input_tokens = estimate_tokens(text)
    completion.usage.output_tokens = deltas
    completion.usage.estimated = True


def _import_sdk():
    """The ``openai`` module, or :class:`InputError` naming the extra when it is not installed."""
    try:
        import openai
    except ImportError as exc:
        raise InputError(MISSING_EXTRA) from exc
    return openai


class OpenAIBackend(Backend):
    """Streams chat completions from an OpenAI-compatible server (``config.base_url``, ``config.model``).

    ``config.api_key_env`` (optional) names the variable holding the API key: set but empty or
    unset raises :class:`BackendAuthError` naming it before anything is sent. Timeouts:
    ``config.connect_timeout_s`` to connect, ``config.timeout_s`` per read (s). After a call,
    ``completion`` carries ``request_id`` (the ``x-request-id`` response header, when sent).

    A ``content_filter`` finish reason raises :class:`BackendResponseError` once the stream ends
    (the text streamed so far has been yielded and stays in ``completion.text``): a filtered
    prompt is never routed to another backend.
    """

    @property
    def base_url(self) -> str:
        """The API base URL including its version path: ``config.base_url``, else OpenAI's."""
        return (self.config.base_url or DEFAULT_BASE_URL).rstrip("/")

    @property
    def api_key_env(self) -> str | None:
        """The name of the environment variable holding the key; None = the server needs none."""
        return getattr(self.config, "api_key_env", None) or None

    def describe(self) -> str:
        """The API base URL, e.g. ``http://127.0.0.1:8000/v1``."""
        return self.base_url

    def _where(self) -> str:
        return f"openai-compatible server at {self.base_url}"

    def _api_key(self) -> str | None:
        """The key from ``api_key_env`` (None when no variable is configured).

        Raises :class:`BackendAuthError` naming the variable when it is configured but empty or unset.
        """
        var = self.api_key_env
        if var is None:
            return None
        key = (os.environ.get(var) or "").strip()
        if not key:
            raise BackendAuthError(f"{self._where()}: no credentials: set {var} (the policy's api_key_env)",
                                   backend=self.name, sent=False)
        return key

    def _scrub(self, text: str) -> str:
        """``text`` with the key's value replaced by ``***`` (messages never carry secrets)."""
        var = self.api_key_env
        secret = (os.environ.get(var) or "").strip() if var else ""
        return text.replace(secret, "***") if secret else text

    @staticmethod
    def _messages(request: CompletionRequest) -> list[dict]:
        messages: list[dict] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        if not request.images:
            messages.append({"role": "user", "content": request.prompt})
            return messages
        import base64

        parts: list[dict] = [{"type": "text", "text": request.prompt}]
        parts += [
            {"type": "image_url", "image_url": {
                "url": f"data:{image.media_type};base64,{base64.b64encode(image.data).decode('ascii')}"}}
            for image in request.images
        ]
        messages.append({"role": "user", "content": parts})
        return messages

    def prepare(self) -> None:
        """Check credentials (BackendAuthError naming ``api_key_env``), then import the SDK.

        A missing SDK raises :class:`InputError` naming the ``openai`` extra.
        """
        self._api_key()
        _import_sdk()  # paid here, outside the TTFT measurement

    def stream(self, request: CompletionRequest, completion: Completion) -> Iterator[str]:
        """Stream ``request`` through ``POST {base_url}/chat/completions``; yields content deltas.

        Fills ``completion``: text; usage (``prompt_tokens`` / ``completion_tokens`` of the usage
        chunk, tokens; estimated by :func:`estimate_usage` when the server sends none); model and model_version (the ``model`` the chunks report, e.g. a dated
        id); stop_reason (``finish_reason``: ``stop``, ``length``, ...); request_id.
        Raises :class:`BackendAuthError` (no key, 401), :class:`BackendUnavailable` or
        :class:`BackendResponseError` (see :meth:`map_error`), before or during iteration.
        """
        api_key = self._api_key()
        openai = _import_sdk()
        return self._stream(openai, request, completion, api_key)

    def _stream(self, openai, request: CompletionRequest, completion: Completion,
                api_key: str | None) -> Iterator[str]:
        base_url = self.base_url
        local = self.config.zone == "local"
        read_s, connect_s = timeouts(self.config)  # capped: a huge value overflows the socket layer
        timeout = openai.Timeout(read_s, connect=connect_s)
        # No redirects with a prompt in the body; no proxy environment for a local-zone endpoint.
        http_client = openai.DefaultHttpxClient(timeout=timeout, follow_redirects=False, trust_env=not local)
        # The SDK insists on some key; without one the Authorization header is omitted per request.
        # An explicit Authorization also overrides any from OPENAI_CUSTOM_HEADERS.
        default_headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        client = openai.OpenAI(api_key=api_key or "not-needed", base_url=base_url, max_retries=0,
                               timeout=timeout, http_client=http_client, default_headers=default_headers)
        extra_headers: dict = {}
        if not api_key:
            extra_headers["Authorization"] = openai.Omit()
        if local:
            extra_headers["OpenAI-Organization"] = openai.Omit()
            extra_headers["OpenAI-Project"] = openai.Omit()
        kwargs: dict = {"model": self.config.model, "messages": self._messages(request), "stream": True,
                        "stream_options": {"include_usage": True},
                        max_tokens_field(base_url): request.max_tokens}
        if extra_headers:
            kwargs["extra_headers"] = extra_headers
        chunks = deltas = 0
        usage_seen = False
        try:
            try:
                with client.chat.completions.create(**kwargs) as events:
                    completion.request_id = events.response.headers.get("x-request-id")
                    for chunk in events:
                        chunks += 1
                        model = getattr(chunk, "model", None)
                        if model and completion.model is None:
                            completion.model = model
                            completion.model_version = model
                        usage = getattr(chunk, "usage", None)
                        if usage is not None:
                            usage_seen = True
                            completion.usage.input_tokens = getattr(usage, "prompt_tokens", None) or 0
                            completion.usage.output_tokens = getattr(usage, "completion_tokens", None) or 0
                        for choice in getattr(chunk, "choices", None) or ():
                            if getattr(choice, "index", 0) not in (0, None):
                                continue
                            if getattr(choice, "finish_reason", None):
                                completion.stop_reason = choice.finish_reason
                            delta = getattr(choice, "delta", None)
                            text = getattr(delta, "content", None) if delta is not None else None
                            if text:
                                deltas += 1
                                completion.text += text
                                yield text
            except Exception as exc:  # noqa: BLE001 - narrowed by map_error, re-raised otherwise
                mapped = self.map_error(exc)
                if mapped is None:
                    raise
                raise mapped from exc
        finally:
            client.close()
        if not chunks:
            raise BackendResponseError(f"{self._where()}: malformed reply: the stream had no chunks",
                                       backend=self.name, status=200)
        if not usage_seen:
            estimate_usage(completion, request, deltas)
        if completion.stop_reason == "content_filter":
            raise BackendResponseError(
                f"{self._where()}: the answer was withheld by a content filter (finish_reason 'content_filter')",
                backend=self.name, status=200)

    def map_error(self, exc: BaseException) -> BackendError | None:
        """Translate an SDK/httpx2/pydantic exception into an hrouter error (None = not ours).

        ===============================================  ==================================================
        ``APIStatusError`` 408/429/5xx                   ``BackendUnavailable(status=N, retry_after_s=..)``
        ``APIStatusError`` 401                           ``BackendAuthError``
        ``APIStatusError`` 400/403/404/other 4xx         ``BackendResponseError``
        ``APIError`` in a 200 stream (``{"error":..}``)  ``BackendUnavailable(status=200)`` when its type
                                                         or code is in :data:`UNAVAILABLE_TYPES` or a
                                                         numeric code maps to it (vLLM: ``code: 503``);
                                                         ``BackendAuthError`` for 401 /
                                                         ``authentication_error``; else
                                                         ``BackendResponseError(status=200)``
        ``APITimeoutError``, ``httpx2.TimeoutException``  ``BackendUnavailable(status=None)``; ``sent=False``
                                                         for a connect timeout
        ``APIConnectionError``, ``httpx2.TransportError``  ``BackendUnavailable(status=None)``; ``sent=False``
                                                         when the connection was refused/failed
        ``APIResponseValidationError``, pydantic         ``BackendResponseError``
        ``ValidationError``, bad JSON, other SDK errors
        ===============================================  ==================================================
        """
        import json

        import openai
        import pydantic

        where = self._where()
        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            body = exc.body if isinstance(exc.body, dict) else {}
            text = body.get("message") or exc.message
            etype = body.get("type") or body.get("code")
            rid = exc.request_id
            detail = f"{etype}: {text}" if etype else str(text)
            msg = self._scrub(f"{where}: {detail} (status {status}" + (f", x-request-id {rid})" if rid else ")"))
            return map_http_status(map_status(status), msg, backend=self.name, status=status,
                                   headers=exc.response.headers)
        mapped = map_transport(exc, timeout_cls=openai.APITimeoutError, connection_cls=openai.APIConnectionError,
                               where=where, config=self.config, backend=self.name, scrub=self._scrub)
        if mapped is not None:
            return mapped
        if isinstance(exc, openai.APIResponseValidationError):
            return BackendResponseError(self._scrub(f"{where}: malformed reply: {exc.message}"),
                                        backend=self.name, status=exc.status_code)
        if isinstance(exc, openai.APIError):  # an {"error": ...} object inside the 200 stream
            body = exc.body if isinstance(exc.body, dict) else {}
            etype = body.get("type") or body.get("code")
            detail = f"{etype}: {exc.message}" if etype else exc.message
            msg = self._scrub(f"{where}: error in the reply stream: {detail}")
            code = str(body.get("code") or "")
            # vLLM puts the HTTP status it would have answered in ``code`` (e.g. 503).
            cls = map_status(int(code)) if code.isdigit() else None
            if etype in UNAVAILABLE_TYPES or code in UNAVAILABLE_TYPES or cls is BackendUnavailable:
                return BackendUnavailable(msg, backend=self.name, status=200)
            if cls is BackendAuthError or etype == "authentication_error":
                return BackendAuthError(msg, backend=self.name, status=200)
            return BackendResponseError(msg, backend=self.name, status=200)
        if isinstance(exc, (openai.OpenAIError, pydantic.ValidationError, json.JSONDecodeError)):
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            return BackendResponseError(self._scrub(f"{where}: malformed reply: {first}"), backend=self.name)
        return None
