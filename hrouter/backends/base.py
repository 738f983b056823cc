"""The backend protocol shared by every model server hrouter can call.

A backend turns a :class:`CompletionRequest` into a stream of text chunks and,
once the stream is exhausted, fills in a :class:`Completion` with usage and
the model that actually served. Errors are mapped to :mod:`hrouter.errors`
types, keeping the backend's own message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator


@dataclass(frozen=True)
class Image:
    """An image attached to a prompt: raw ``data`` bytes, ``media_type`` (e.g. ``image/png``), ``source`` path."""

    data: bytes
    media_type: str
    source: str = ""


@dataclass(frozen=True)
class CompletionRequest:
    """What to send: the user ``prompt`` text, optional ``system`` prompt, ``max_tokens``
    (output cap, tokens) and attached ``images``."""

    prompt: str
    system: str | None = None
    max_tokens: int = 1024
    images: tuple[Image, ...] = ()


#: The most tokens one call can plausibly report (no model's context or output comes near it):
#: a count above it, a negative or non-integer one, NaN or Infinity is a server's error.
MAX_TOKENS_PER_CALL = 100_000_000


@dataclass
class Usage:
    """Token counts reported by the server: ``input_tokens`` and ``output_tokens`` (tokens).

    ``estimated`` is True when the server reported none and hrouter counted/estimated them
    (see :func:`hrouter.backends.openai.estimate_usage`). A count that is not a plausible
    token count (negative, not an integer, NaN/Infinity, above :data:`MAX_TOKENS_PER_CALL`:
    a broken or hostile server) is stored as 0 and named in ``implausible`` (``"input_tokens=
    -5000000"``), so no cost, budget charge or audit record is built on it; the router then
    estimates the counts from the text."""

    input_tokens: int = 0
    output_tokens: int = 0
    estimated: bool = False
    implausible: str | None = None

    def __setattr__(self, name: str, value) -> None:
        if name == "implausible" and value is None and getattr(self, "implausible", None):
            return  # the constructor's default after a bad count given to it
        if name in ("input_tokens", "output_tokens") and not (
                type(value) is int and 0 <= value <= MAX_TOKENS_PER_CALL):
            if isinstance(value, float) and value.is_integer() and 0 <= value <= MAX_TOKENS_PER_CALL:
                value = int(value)
            else:
                shown = repr(value) if not isinstance(value, int) or abs(value) < 10 ** 12 else \
                    f"a {len(str(abs(value)))}-digit number"
                seen = getattr(self, "implausible", None)
                object.__setattr__(self, "implausible", (seen + ", " if seen else "") + f"{name}={shown[:40]}")
                value = 0
        object.__setattr__(self, name, value)


@dataclass
class Completion:
    """The result of one backend call, filled in as the stream proceeds.

    ``text`` is the whole answer so far; ``usage`` the server's token counts;
    ``model`` the model name the server reported; ``model_version`` a digest or
    dated model id when known; ``stop_reason`` the server's reason for stopping
    (e.g. ``stop``, ``end_turn``, ``length``, ``max_tokens``); ``request_id`` the server's
    request id when it sends one (Anthropic ``request-id``); ``server_durations_ns`` the
    server's own timings when it reports them (Ollama: ``total``, ``load``, ``prompt_eval``,
    ``eval``, integer nanoseconds).
    """

    text: str = ""
    usage: Usage = field(default_factory=Usage)
    model: str | None = None
    model_version: str | None = None
    stop_reason: str | None = None
    request_id: str | None = None
    server_durations_ns: dict | None = None


#: The longest timeout handed to a client (s): larger ones (a ``BackendConfig`` built in code with
#: ``timeout_s=1e300``) overflow the socket layer's time_t. The policy validator refuses them.
MAX_TIMEOUT_S = 86_400.0


def timeouts(config) -> tuple[float, float]:
    """``(read, connect)`` timeouts (s) of ``config``, each capped at :data:`MAX_TIMEOUT_S`."""
    def cap(value) -> float:
        try:
            value = float(value)
        except (TypeError, ValueError, OverflowError):
            return MAX_TIMEOUT_S
        return value if 0 < value <= MAX_TIMEOUT_S else MAX_TIMEOUT_S
    return cap(config.timeout_s), cap(config.connect_timeout_s)


class Backend:
    """Base class for backends. Subclasses implement :meth:`stream`.

    ``name`` is the backend's key in the policy, ``config`` its
    :class:`hrouter.policy.BackendConfig`.
    """

    def __init__(self, name: str, config) -> None:
        self.name = name
        self.config = config

    def prepare(self) -> None:
        """Get ready to send: check credentials and import the client library.

        Called before timing starts, so TTFT measures the server, not our imports. Nothing
        is sent. Raises :class:`hrouter.errors.BackendAuthError` when credentials are missing.
        """

    def stream(self, request: CompletionRequest, completion: Completion) -> Iterator[str]:
        """Send ``request`` and yield the answer's text chunks as they arrive.

        Fills ``completion`` (text, usage, model, model_version, stop_reason) as it goes;
        complete once the iterator is exhausted. Raises :class:`hrouter.errors.BackendUnavailable`
        (fallback-eligible), :class:`~hrouter.errors.BackendAuthError` or
        :class:`~hrouter.errors.BackendResponseError`, before or during iteration.
        """
        raise NotImplementedError

    def describe(self) -> str:
        """Where this backend is, for messages (host or base URL)."""
        return self.config.model
