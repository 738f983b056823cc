"""Append-only JSONL audit log: one record per ``ask``, safe under concurrent processes.

Each record is one JSON object on one line (fields: README, "Audit log"). Appends
take an exclusive ``flock`` on the log file and write the whole line with a single
``write`` on an ``O_APPEND`` descriptor, then ``fsync``, so lines from concurrent
``hrouter`` processes never interleave and a record that could not be written is
an :class:`~hrouter.errors.AuditError`, never silence.

The prompt is recorded as HMAC-SHA256 (RFC 2104) under a per-installation key
(32 random bytes in ``<state dir>/audit.key``, mode 0600, created on first use):
a plain hash of a short prompt could be reversed by brute force.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Iterator

from .errors import AuditError

KEY_FILE = "audit.key"
LOG_FILE = "audit.jsonl"


def default_log_path() -> Path:
    """``<state dir>/audit.jsonl``."""
    from .paths import state_dir
    return state_dir() / LOG_FILE


def default_key_path() -> Path:
    """``<state dir>/audit.key``: the HMAC key, wherever the log itself is."""
    from .paths import state_dir
    return state_dir() / KEY_FILE


def resolve_log_path(configured: str | None) -> Path:
    """The audit log path: ``audit.path`` from the policy (``~`` expanded) or the default."""
    return Path(configured).expanduser() if configured else default_log_path()


def load_or_create_key(directory: Path | None = None) -> bytes:
    """The installation's HMAC key (32 bytes), created with mode 0600 on first use.

    Creation is race-free across processes (``O_EXCL``; a loser reads the winner's key).
    Raises :class:`AuditError` when the key cannot be read or created.
    """
    from .paths import state_dir
    directory = directory or state_dir()
    path = directory / KEY_FILE
    try:
        data = _read_nofollow(path)
        if len(data) >= 32:
            return data[:32]
        raise AuditError(f"audit key {path} is truncated ({len(data)} bytes, need 32); remove it to create a new one")
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise AuditError(f"cannot read audit key {path}: {exc.strerror}") from None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{KEY_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, os.urandom(32))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic create-if-absent: the first process wins
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
        data = _read_nofollow(path)
        if len(data) < 32:
            raise AuditError(f"audit key {path} is truncated; remove it to create a new one")
        return data[:32]
    except OSError as exc:
        raise AuditError(f"cannot create audit key in {directory}: {exc.strerror}") from None


def _read_nofollow(path: Path) -> bytes:
    """Read a small file without following a symlink (a planted link must not choose our key)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        return os.read(fd, 4096)
    finally:
        os.close(fd)


def prompt_hmac(text: str, key: bytes) -> str:
    """``hmac-sha256:<hex>`` of the UTF-8 prompt text under ``key``."""
    return "hmac-sha256:" + hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


class AuditLog:
    """The JSONL audit log at ``path`` (parent directories created on first append)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            where = self.path if not isinstance(exc, FileExistsError) else self.path.parent
            raise AuditError(f"cannot open audit log {self.path}: {exc.strerror} ({where})") from None

    def check_writable(self) -> None:
        """Open (creating) the log for appending, then close it: called before a prompt is sent,
        so a log that cannot be written stops the call instead of losing its record.
        Raises :class:`AuditError`."""
        os.close(self._open())

    def append(self, record: dict) -> None:
        """Append one record as one line, under an exclusive lock, fsynced.

        A line left incomplete by an earlier failure (e.g. disk full) is first closed with a
        newline, so it never swallows this record; a write that fails part-way is truncated
        back. Raises :class:`AuditError` when the file cannot be opened, locked or written.
        """
        import fcntl

        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str,
                           allow_nan=False) + "\n").encode("utf-8")
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line
                try:
                    view = memoryview(line)
                    while view:
                        written = os.write(fd, view)
                        view = view[written:]
                    os.fsync(fd)
                except OSError:
                    try:
                        os.ftruncate(fd, size)  # leave no partial record behind
                    except OSError:
                        pass
                    raise
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        except OSError as exc:
            raise AuditError(f"cannot write audit log {self.path}: {exc.strerror}") from None
        finally:
            os.close(fd)

    def records(self) -> Iterator[dict]:
        """Yield each record in file order. Raises :class:`AuditError` naming the line of a bad record."""
        try:
            fh = open(self.path, "rb")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise AuditError(f"cannot read audit log {self.path}: {exc.strerror}") from None
        with fh:
            for n, raw in enumerate(fh, 1):
                try:
                    yield json.loads(raw)
                except ValueError:
                    raise AuditError(f"{self.path}:{n}: not a JSON record") from None
