"""The product's error types and the exit status each maps to.

The library raises these and never prints; the CLI has one error boundary
(:func:`hrouter.cli.main`) that turns them into a one-line message on stderr
and the exit status below. Exit statuses are a stable, documented contract
(README, "Exit codes")::

    HrouterError                      exit 1
    ├── PolicyError                   exit 2  (file, line, key)
    ├── InputError                    exit 2  (args, files, stdin)
    ├── RefusedError                  exit 3  (no permitted backend)
    ├── AuditError                    exit 1  (the audit record could not be written)
    └── BackendError                  exit 1  (after fallbacks)
        ├── BackendUnavailable        exit 4 when nothing permitted was reachable;
        │                                    fallback-eligible (connect, timeout,
        │                                    408, 429, 5xx, 529, Ollama 503)
        ├── BackendAuthError          exit 5  (credentials missing or rejected)
        └── BackendResponseError      exit 1  (400/403/404, refusal, malformed reply;
                                             never routed around)
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit statuses; stable, documented in the README."""

    OK = 0
    BACKEND_ERROR = 1
    USAGE = 2
    REFUSED = 3
    UNREACHABLE = 4
    CREDENTIALS = 5
    INTERRUPTED = 130


class HrouterError(Exception):
    """Base of every error hrouter raises on purpose. ``exit_status`` is the CLI's exit code."""

    exit_status: ExitStatus = ExitStatus.BACKEND_ERROR


class PolicyError(HrouterError):
    """The policy file is missing, unreadable or invalid.

    ``path``, ``line`` (1-based, or None) and ``key`` (dotted path such as
    ``backends.local.zone``, or None) locate the fault; ``str()`` is one line.
    """

    exit_status = ExitStatus.USAGE

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 key: str | None = None) -> None:
        self.path, self.line, self.key, self.reason = path, line, key, message
        message = " ".join(message.split())  # always one line
        where = path or "<policy>"
        if line is not None:
            where += f":{line}"
        text = f"{where}: {key}: {message}" if key else f"{where}: {message}"
        super().__init__(text)


class InputError(HrouterError):
    """The prompt could not be assembled (no input, unreadable file, invalid UTF-8)."""

    exit_status = ExitStatus.USAGE


class RefusedError(HrouterError):
    """Policy permits no backend for this prompt (e.g. a forced backend outside the tier's zones).

    ``decision`` is the :class:`hrouter.router.Decision` (with its trace) when one was made.
    """

    exit_status = ExitStatus.REFUSED

    def __init__(self, message: str, decision: object | None = None) -> None:
        super().__init__(message)
        self.decision = decision


class AuditError(HrouterError):
    """An audit record could not be written (no silent loss)."""

    exit_status = ExitStatus.BACKEND_ERROR


class BackendError(HrouterError):
    """A backend call failed. ``backend`` is the policy's backend name, ``status`` the HTTP status if any.

    ``retryable`` says whether another permitted backend may be tried (availability failures only).
    ``sent`` is False when the request certainly never left (connection refused, connect timeout,
    missing credentials), None when unknown (the audit log then counts it as sent).
    """

    exit_status = ExitStatus.BACKEND_ERROR
    retryable = False

    def __init__(self, message: str, *, backend: str | None = None, status: int | None = None,
                 sent: bool | None = None) -> None:
        super().__init__(message)
        self.backend, self.status, self.sent = backend, status, sent


class BackendUnavailable(BackendError):
    """Availability failure: connection refused/reset, timeout, 408, 429, 5xx, 529, Ollama 503.

    ``status`` is None for connection-level failures (the backend was not reachable).
    ``retry_after_s`` carries a server's ``retry-after`` hint in seconds, when given.
    """

    retryable = True

    def __init__(self, message: str, *, backend: str | None = None, status: int | None = None,
                 retry_after_s: float | None = None, sent: bool | None = None) -> None:
        super().__init__(message, backend=backend, status=status, sent=sent)
        self.retry_after_s = retry_after_s


class BackendAuthError(BackendError):
    """Credentials missing (e.g. ``ANTHROPIC_API_KEY`` unset) or rejected (401)."""

    exit_status = ExitStatus.CREDENTIALS


class BackendResponseError(BackendError):
    """The backend answered but refused or rejected the request (400/403/404, refusal, bad reply).

    Never routed around: sending a refused prompt elsewhere would be a policy breach.
    """
