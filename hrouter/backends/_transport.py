"""Error mapping shared by the backends built on SDKs that use httpx2 (anthropic, openai).

Both SDKs wrap transport failures the same way (``APITimeoutError`` / ``APIConnectionError``
with the httpx2 exception as ``__cause__``) and raise raw httpx2 errors while a stream is being
read; both carry the HTTP status on ``APIStatusError``.
"""

from __future__ import annotations

from ..errors import BackendError, BackendUnavailable


def map_http_status(cls: type[BackendError], msg: str, *, backend: str, status: int, headers) -> BackendError:
    """Build ``cls`` for an HTTP error; availability failures carry the server's retry-after."""
    if cls is BackendUnavailable:
        from .anthropic import retry_after_s
        return BackendUnavailable(msg, backend=backend, status=status, retry_after_s=retry_after_s(headers))
    return cls(msg, backend=backend, status=status)


def map_transport(exc: BaseException, *, timeout_cls: type, connection_cls: type, where: str, config,
                  backend: str, scrub) -> BackendError | None:
    """Timeouts and connection failures -> :class:`BackendUnavailable` (``sent=False`` when the
    connection was never made); None for anything else. ``scrub`` removes secrets from text."""
    import httpx2

    if isinstance(exc, (timeout_cls, httpx2.TimeoutException)):
        cause = exc.__cause__ if isinstance(exc, timeout_cls) else exc
        if isinstance(cause, (httpx2.ConnectTimeout, httpx2.PoolTimeout)):
            what = f"connect timed out after {config.connect_timeout_s:g}s"
        else:
            what = f"timed out after {config.timeout_s:g}s waiting for the reply"
        return BackendUnavailable(f"{where}: {what}", backend=backend,
                                  sent=False if isinstance(cause, httpx2.ConnectTimeout) else None)
    if isinstance(exc, (connection_cls, httpx2.TransportError)):
        cause = exc.__cause__ if isinstance(exc, connection_cls) else exc
        detail = f"{type(cause).__name__}: {cause}" if cause is not None else str(exc)
        return BackendUnavailable(scrub(f"{where}: cannot connect ({detail})"), backend=backend,
                                  sent=False if isinstance(cause, httpx2.ConnectError) else None)
    return None
