"""Writing an output file without ever losing one hrouter already wrote.

``hrouter train --out`` and ``hrouter calibrate --write-policy`` write files the user names.
Three rules (:func:`check_target`, :func:`atomic_write`):

- **protected files are never written**, even with ``--force``: the active policy, the built-in
  default policy, the audit log (its rotated files, ``.head`` and ``.lock``), the audit HMAC key
  and the state database (with its ``-wal``, ``-shm`` and ``-journal``). A target is compared by
  ``(st_dev, st_ino)`` (so a hard link or a symlink to one of them is caught) and by its real
  path (so one not created yet is caught too);
- **another existing file is replaced only with ``--force``**, except where the caller accepts it
  (``train --out`` replaces a file that is itself a valid hrouter model: re-training);
- **writes are atomic**: a temporary file in the target's directory, fsync, an optional check of
  the temporary file (a policy copy is loaded and validated before it replaces anything), then
  ``os.replace`` and an fsync of the directory. A failure leaves the target as it was.

A symlinked target is followed: the file it points to is replaced (the link stays).
"""

from __future__ import annotations

from hrouter.paths import expand_user as _expand_user

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from hrouter.errors import InputError


@dataclass(frozen=True)
class Target:
    """A checked output path: ``path`` as given, ``real`` the file to write (symlinks resolved),
    ``exists`` whether a file is there now (it will be replaced)."""

    path: Path
    real: Path
    exists: bool


def protected_files(pol) -> list[tuple[Path, str]]:
    """``(path, what)`` of every file hrouter must never overwrite under policy ``pol``."""
    from hrouter.audit import AuditLog, default_key_path, resolve_log_path
    from hrouter.paths import STATE_DB, state_dir
    from hrouter.policy import BUILTIN_POLICY
    out: list[tuple[Path, str]] = []
    source = getattr(pol, "source", "") or ""
    if source and not source.startswith("<"):
        out.append((Path(source), "the active policy"))
    out.append((BUILTIN_POLICY, "the built-in default policy"))
    audit_cfg = getattr(pol, "audit", None)
    log = AuditLog(resolve_log_path(getattr(audit_cfg, "path", None)))
    out.append((log.path, "the audit log"))
    try:
        for p in log.files():
            if p != log.path:
                out.append((p, "a rotated audit log file"))
    except OSError:
        pass
    out.append((log.head_path, "the audit log's head file"))
    out.append((log.lock_path, "the audit log's lock file"))
    out.append((default_key_path(), "the audit HMAC key"))
    if audit_cfg is not None and getattr(audit_cfg, "path", None):
        from hrouter.audit import KEY_FILE
        out.append((log.path.parent / KEY_FILE, "an audit HMAC key"))
    db = state_dir() / STATE_DB
    out.append((db, "the state database"))
    for suffix in ("-wal", "-shm", "-journal"):
        out.append((db.with_name(db.name + suffix), f"the state database's {suffix[1:]} file"))
    return out


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _real(path: Path) -> str:
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def check_target(dest: str | os.PathLike, option: str, protected: list[tuple[Path, str]], *, force: bool,
                 replaceable: Callable[[Path], bool] | None = None, what_ok: str = "") -> Target:
    """Check that ``dest`` (named by ``option``, e.g. ``--out``) may be written.

    Raises :class:`InputError` (exit 2) when it is one of ``protected`` (never, whatever
    ``force``), a directory, or an existing file that ``force`` does not allow and
    ``replaceable(real path)`` does not accept (``what_ok`` says what it would accept)."""
    path = _expand_user(dest)
    if not str(dest).strip():
        raise InputError(f"{option}: empty path")
    real = Path(_real(path))
    ident = _identity(path)
    for p, what in protected:
        same = (ident is not None and ident == _identity(p)) or _real(p) == str(real)
        if same:
            raise InputError(f"{option} {dest}: that is {what} ({p}); hrouter never writes over it "
                             "(not even with --force): name another file")
    if real.is_dir():
        raise InputError(f"{option} {dest}: is a directory; name a file")
    exists = os.path.lexists(real)
    if exists:
        try:
            mode = os.stat(real).st_mode
        except OSError:
            mode = 0
        if mode and not stat.S_ISREG(mode):
            raise InputError(f"{option} {dest}: exists and is not a regular file; name a new file")
        if not force and not (replaceable is not None and replaceable(real)):
            ok = f" ({what_ok} is replaced without it)" if what_ok else ""
            raise InputError(f"{option} {dest}: the file exists; pass --force to replace it{ok}")
    return Target(path=path, real=real, exists=exists)


def atomic_write(target: Target | str | os.PathLike, data: bytes, *, option: str = "",
                 check: Callable[[Path], None] | None = None) -> Path:
    """Write ``data`` to ``target`` atomically: temp file in the same directory, fsync,
    ``check(temp path)`` (raise to abort: the target is left untouched), ``os.replace``, fsync of
    the directory. Keeps the mode of a file it replaces (new files: 0666 & ~umask).
    Raises :class:`InputError` when it cannot write; returns the path written."""
    real = target.real if isinstance(target, Target) else Path(_real(_expand_user(target)))
    shown = str(target.path) if isinstance(target, Target) else str(target)
    label = f"{option} {shown}" if option else shown
    directory = real.parent
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{label}: cannot create directory {directory} ({exc.strerror or exc})") from None
    try:
        old_mode = stat.S_IMODE(os.stat(real).st_mode)
    except OSError:
        old_mode = None
    tmp = None
    fd = -1
    try:
        for _ in range(20):
            cand = directory / f".{real.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
            try:
                fd = os.open(cand, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            except FileExistsError:
                continue
            tmp = cand
            break
        if tmp is None:  # pragma: no cover - 20 random names taken
            raise InputError(f"{label}: cannot create a temporary file in {directory}")
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        if old_mode is not None:
            os.fchmod(fd, old_mode)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        if check is not None:
            check(tmp)
        os.replace(tmp, real)
        tmp = None
    except OSError as exc:
        raise InputError(f"{label}: cannot write ({exc.strerror or exc})") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    try:
        dfd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass  # the rename happened; a directory fsync is best effort (not every filesystem allows it)
    return real
