"""Append-only JSONL audit log: one record per ``ask``, safe under concurrent processes.

Each record is one JSON object on one line (fields: README, "Audit log"). Appends
take an exclusive ``flock`` on the log file and write the whole line with a single
``write`` on an ``O_APPEND`` descriptor, then ``fsync``, so lines from concurrent
``hrouter`` processes never interleave and a record that could not be written is
an :class:`~hrouter.errors.AuditError`, never silence.

The prompt is recorded as HMAC-SHA256 (RFC 2104) under a per-installation key
(32 random bytes in ``<state dir>/audit.key``, mode 0600, created on first use):
a plain hash of a short prompt could be reversed by brute force.

Readers skip, count and name lines that are not records of the documented shape
(:func:`record_problem`: not a JSON object, an unknown ``type``, no ISO-8601 ``ts``, a field
of the wrong type), so a damaged line is reported, never a crash.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import json
import os
import re
from datetime import datetime
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
        return read_key(path)
    except FileNotFoundError:
        pass
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{KEY_FILE}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            try:
                if os.write(fd, os.urandom(32)) != 32:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, path)  # atomic create-if-absent: the first process wins
            except FileExistsError:
                pass
        finally:
            _unlink_quietly(tmp)  # never leave a half-written key file behind (e.g. disk full)
        data = _read_nofollow(path)
        if len(data) < 32:
            raise AuditError(f"audit key {path} is truncated; remove it to create a new one")
        return data[:32]
    except OSError as exc:
        raise AuditError(f"cannot create audit key in {directory}: {exc.strerror}") from None


def read_key(path: Path) -> bytes:
    """The 32-byte HMAC key at ``path``, never created. Raises ``FileNotFoundError`` when there
    is none, :class:`AuditError` when it is unusable (truncated, empty, a directory, unreadable)."""
    try:
        data = _read_nofollow(path)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise AuditError(f"audit key {path} is a directory, expected a 32-byte file") from None
    except OSError as exc:
        raise AuditError(f"cannot read audit key {path}: {exc.strerror or exc}") from None
    if len(data) < 32:
        raise AuditError(f"audit key {path} is truncated ({len(data)} bytes, need 32); remove it to create a new one")
    return data[:32]


def _unlink_quietly(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _loads(data):
    """``json.loads`` that raises only ``ValueError``: a line nested thousands deep (``[[[[…``)
    would otherwise raise ``RecursionError`` and stop every reader and writer."""
    try:
        return json.loads(data)
    except RecursionError:
        raise ValueError("nested too deeply") from None


#: The highest ``seq`` a writer continues from (a larger or non-integer one is not a record's).
_MAX_SEQ = 2 ** 62

#: A rotated file's name: ``<stem>-<UTC time>.<suffix>``, as :meth:`AuditLog._rotate_if_needed` names it.
_ROTATED_STAMP = r"-\d{8}T\d{12}Z"


def _chain_seq(rec) -> int | None:
    """The ``seq`` of a parsed line when it is a usable one (an integer, 0 <= seq < 2**62), else None."""
    seq = rec.get("seq") if isinstance(rec, dict) else None
    return seq if type(seq) is int and 0 <= seq < _MAX_SEQ else None


def plain_file_name(name) -> bool:
    """Whether ``name`` (a ``prev_file``) names a file in the log's own directory: a non-empty
    string without a path separator, NUL, or ``.``/``..``."""
    return (type(name) is str and name not in ("", ".", "..") and "/" not in name and "\0" not in name
            and len(name) <= 255)


def _is_hash(value) -> bool:
    return type(value) is str and re.fullmatch(r"[0-9a-f]{64}", value) is not None


def _open_regular(path: Path, what: str = "audit log", hint: str = " (check audit.path in the policy)"):
    """Open ``path`` for reading (binary) without blocking on a FIFO; :class:`AuditError` when it
    is a directory, not a regular file, or unreadable."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        fd = None
    except OSError as exc:
        raise AuditError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    import stat
    mode = os.fstat(fd).st_mode if fd is not None else stat.S_IFDIR
    if not stat.S_ISREG(mode):
        if fd is not None:
            os.close(fd)
        if stat.S_ISDIR(mode):
            raise AuditError(f"cannot read {what} {path}: it is a directory, expected a file{hint}")
        raise AuditError(f"cannot read {what} {path}: not a regular file")
    return os.fdopen(fd, "rb")


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


GENESIS = "0" * 64


def line_hash(line: bytes) -> str:
    """SHA-256 (hex) of one record's line, without its newline: the chain link."""
    return hashlib.sha256(line.rstrip(b"\n")).hexdigest()


class AuditLog:
    """The JSONL audit log at ``path``: append-only, hash-chained, rotated by size.

    Every record carries ``seq`` (1-based line number in its file) and ``prev`` (the SHA-256
    of the previous record's line; the first record of a rotated-in file links to the last
    record of the file before it, named in ``prev_file``). ``<log>.head`` holds the last
    ``seq`` and hash, so a truncated tail is detected too. Writers serialise on
    ``<log>.lock`` (``flock``), so rotation never races an append. ``rotate_bytes``: start a
    new file once the current one reaches this size (None = never).
    """

    def __init__(self, path: Path, *, rotate_bytes: int | None = None) -> None:
        self.path = Path(path)
        self.rotate_bytes = rotate_bytes
        self.head_path = self.path.with_name(self.path.name + ".head")
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            detail = f": {exc.strerror}"  # the path is named once; only a different culprit is named
            if isinstance(exc, (FileExistsError, NotADirectoryError)):
                detail = f": {self.path.parent} (or a folder above it) is not a directory"
            elif self.path.is_symlink() and not self.path.exists():
                try:
                    detail += f" (it is a symlink to {os.readlink(self.path)}, which cannot be created)"
                except OSError:
                    pass
            raise AuditError(f"cannot open audit log {self.path}{detail}") from None

    def check_writable(self) -> None:
        """Open (creating) the log for appending, then close it: called before a prompt is sent,
        so a log that cannot be written stops the call instead of losing its record.
        Raises :class:`AuditError`."""
        os.close(self._open())

    def _lock(self) -> int:
        import fcntl
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise AuditError(f"cannot open audit lock {self.lock_path}: {exc.strerror}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            os.close(fd)
            raise AuditError(f"cannot lock audit lock {self.lock_path}: {exc.strerror}") from None
        return fd

    def _read_head(self) -> dict | None:
        """The parsed head file, or None when it is missing or not JSON (even one nested too deeply)."""
        try:
            return _loads(self.head_path.read_bytes())
        except (OSError, ValueError):
            return None

    def _write_head(self, head: dict) -> None:
        """Replace ``<log>.head`` atomically (a temporary file, fsynced, then renamed). Raises
        ``OSError`` (the old head stays, and no temporary file is left) when it cannot."""
        tmp = self.head_path.with_name(f"{self.head_path.name}.{os.getpid()}.tmp")
        data = json.dumps(head).encode()
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                if os.write(fd, data) != len(data):
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.head_path)
        except OSError:
            _unlink_quietly(tmp)
            raise

    def _tail_problem(self, head, last: bytes | None, seq: int) -> str | None:
        """Why the log's end does not match ``<log>.head`` before an append (records removed,
        the last one altered, the head file missing or garbled), or None. The append records
        it in the new record (``audit_break``) rather than silently writing a fresh head over
        the evidence; ``audit verify`` reports it. A head one record behind is a writer stopped
        between its record and its head (a failed head write takes the record back): benign."""
        if head is None:
            if last is not None and self.head_path.exists():
                return "head file unreadable or altered"
            if last is not None:
                return "head file missing"
            return None
        if not (isinstance(head, dict) and type(head.get("seq")) is int and 0 <= head["seq"] < _MAX_SEQ):
            return "head file unreadable or altered"
        if head.get("file") != self.path.name:
            return None  # a rotation's head for a file still to be written
        if last is None and "prev_file" in head and not (plain_file_name(head["prev_file"])
                                                         and _is_hash(head.get("hash"))):
            return "head file altered: its prev_file is not a file name in the log's directory, or its hash not a hash"
        if last is None:
            return f"log emptied or removed: the head file recorded {head['seq']} record(s)" if head["seq"] else None
        if head["seq"] > seq:
            return f"{head['seq'] - seq} record(s) removed from the end (the head file recorded seq {head['seq']})"
        if head["seq"] == seq and head.get("hash") != line_hash(last):
            return "the last record was altered (its hash differs from the head file)"
        if head["seq"] < seq - 1:
            return f"records appended without the writer (head file at seq {head['seq']}, log at {seq})"
        return None

    @staticmethod
    def _last_line(fd: int, size: int) -> bytes | None:
        """The file's last line (without its newline; possibly incomplete), or None if empty."""
        if size == 0:
            return None
        end = size - 1 if os.pread(fd, 1, size - 1) == b"\n" else size
        pos, chunks = end, []
        while pos > 0:  # chunks hold bytes [pos, end), last chunk first (no quadratic copying)
            step = min(65536, pos)
            pos -= step
            chunk = os.pread(fd, step, pos)
            nl = chunk.rfind(b"\n")
            if nl != -1:
                chunks.append(chunk[nl + 1:])
                break
            chunks.append(chunk)
        return b"".join(reversed(chunks))

    def _rotate_if_needed(self) -> None:
        """Rename a full log to ``<stem>-<UTC time>.jsonl``; the next record, first in a new
        file, links to the old file's last record (the head keeps its hash)."""
        if not self.rotate_bytes:
            return
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return
        if size < self.rotate_bytes:
            return
        from datetime import datetime, timezone
        fd = os.open(self.path, os.O_RDONLY)
        try:
            last = self._last_line(fd, size)
        finally:
            os.close(fd)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        rotated = self.path.with_name(f"{self.path.stem}-{stamp}{self.path.suffix}")
        os.rename(self.path, rotated)
        try:
            self._write_head({"seq": 0, "hash": line_hash(last) if last else GENESIS, "file": self.path.name,
                              "prev_file": rotated.name})
        except OSError:
            os.rename(rotated, self.path)  # no head for the new file: the log stays as it was
            raise

    def append(self, record: dict) -> dict:
        """Append one record as one line, chained to the previous one, fsynced; returns the
        record as written (with ``seq`` and ``prev``).

        A line left incomplete by an earlier failure (e.g. disk full, or a killed writer) is
        closed with a newline first, so it never swallows this record; a write that fails
        part-way is truncated back. Raises :class:`AuditError` when the file cannot be
        opened, locked or written, and when ``<log>.head`` cannot be updated after it (e.g. disk
        full): the record is then truncated back too, so the head never falls behind the log
        (which the next append and ``audit verify`` would report as records added by hand).
        A last line or head file that cannot be used (not JSON, nested too deeply, a ``seq``
        that is not a line number, a ``prev_file`` outside the log's directory) is damage like any
        other: the new record names it in ``audit_break`` and the append goes on.
        """
        import fcntl

        lock = self._lock()
        try:
            try:
                self._rotate_if_needed()
            except OSError as exc:
                raise AuditError(f"cannot rotate audit log {self.path}: {exc.strerror}") from None
            fd = self._open()
            try:
                size = os.fstat(fd).st_size
                raw_head = self._read_head()
                head = raw_head if isinstance(raw_head, dict) else {}
                last = self._last_line(fd, size)
                unusable = None
                if last is not None:
                    try:
                        seq = _chain_seq(_loads(last))
                    except ValueError as exc:
                        seq, why = None, ("nested too deeply" if str(exc) == "nested too deeply"
                                          else "not JSON, cut short or altered")
                    else:
                        why = "no usable seq"
                    if seq is None:  # an incomplete or foreign last line is a record: seq = line number
                        seq = _line_count(fd, size)
                        unusable = f"the last line (line {seq}) is not a chained record ({why})"
                    prev, prev_file = line_hash(last), None
                else:
                    prev_file = head.get("prev_file")
                    if not (prev_file and plain_file_name(prev_file) and _is_hash(head.get("hash"))):
                        prev_file = None  # a head altered to point elsewhere is not copied (_tail_problem names it)
                    seq, prev = 0, head["hash"] if prev_file else GENESIS
                broken = self._tail_problem(raw_head, last, seq) or unusable
                out = {"seq": seq + 1, "prev": prev, **({"prev_file": prev_file} if prev_file else {}),
                       **({"audit_break": broken} if broken else {}), **record}
                line = json.dumps(out, ensure_ascii=False, separators=(",", ":"), default=str,
                                  allow_nan=False).encode("utf-8")
                data = line + b"\n"
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data
                try:
                    view = memoryview(data)
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
                try:
                    self._write_head({"seq": seq + 1, "hash": line_hash(line), "file": self.path.name})
                except OSError as exc:
                    # A head left behind would read as records appended by hand once there is room
                    # again: take the record back, so log and head agree, and report the failure.
                    try:
                        os.ftruncate(fd, size)
                        os.fsync(fd)
                    except OSError:
                        pass
                    raise AuditError(f"cannot write audit head file {self.head_path}: {exc.strerror}; "
                                     "the record was not kept") from None
                return out
            except OSError as exc:
                raise AuditError(f"cannot write audit log {self.path}: {exc.strerror}") from None
            finally:
                os.close(fd)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)

    def files(self) -> list[Path]:
        """Rotated files (oldest first) then the current log."""
        return self.rotated_files() + ([self.path] if self.path.exists() else [])

    def rotated_files(self) -> list[Path]:
        """Rotated files, oldest first: only names exactly ``<stem>-<UTC time><suffix>`` (as
        rotation names them; ``audit-notes.jsonl`` is not one), regular files only."""
        import stat
        pattern = re.compile(re.escape(self.path.stem) + _ROTATED_STAMP + re.escape(self.path.suffix))
        out = []
        for p in self.path.parent.glob(f"{self.path.stem}-*{self.path.suffix}"):
            try:
                if pattern.fullmatch(p.name) and stat.S_ISREG(p.stat().st_mode):
                    out.append(p)
            except OSError:
                continue
        return sorted(out)

    def records(self, check=None) -> Iterator[dict]:
        """Yield each record of every file (rotated ones first), in order. Lines that are not a
        JSON object (a writer killed mid-line, tampering) are skipped and counted in
        ``self.skipped``; so are records for which ``check`` (e.g. :func:`record_problem`)
        returns a reason. ``self.first_skipped`` names the first one (``file:line: reason``);
        ``hrouter audit verify`` is where broken lines are reported in full.
        Raises :class:`AuditError` when a file cannot be read."""
        self.skipped, self.first_skipped = 0, None
        for path in self.files():
            fh = _open_regular(path)
            with fh:
                for n, raw in enumerate(fh, 1):
                    if not raw.strip():
                        continue
                    try:
                        rec = _loads(raw)
                    except ValueError as exc:
                        rec, why = None, ("not JSON (nested too deeply)" if str(exc) == "nested too deeply"
                                          else "not JSON (cut short or altered)")
                    else:
                        why = "not a JSON object" if not isinstance(rec, dict) else check(rec) if check else None
                    if why is None:
                        yield rec
                    else:
                        self.skipped += 1
                        if self.first_skipped is None:
                            self.first_skipped = f"{path}:{n}: {why}"


#: The record types the log holds (README, "Audit log"); readers skip any other.
RECORD_TYPES = ("request", "egress", "dispatch")
_TEXT_FIELDS = ("id", "request", "session", "backend", "zone", "tier", "rule", "status", "prompt_hmac")
_COUNT_FIELDS = ("input_tokens", "output_tokens")
_AMOUNT_FIELDS = ("cost_usd", "ttft_ms", "latency_ms")
_NUMBER, _INF = (int, float), float("inf")


_SURROGATE = re.compile("[\ud800-\udfff]")


def _value_problem(rec: dict) -> str | None:
    """Why a record holds a value hrouter never writes, or None: a non-finite number (``NaN``,
    ``Infinity`` in a damaged or forged line) or a string with a lone surrogate (a JSON ``\\ud800``
    escape), anywhere in the record, field names included. One iterative walk (no recursion)."""
    inf = _INF
    for name, value in rec.items():
        if type(name) is str and not name.isascii() and _SURROGATE.search(name):
            return f"field {_short(name)} has a lone surrogate in its name"
        stack = [value]
        name = str(name) if len(str(name)) <= 40 else str(name)[:39] + "…"  # for messages: never a whole line
        while stack:
            v = stack.pop()
            t = type(v)
            if t is float:
                if v != v or v == inf or v == -inf:
                    return f"field '{name}' holds a non-finite number ({_short(v)})"
            elif t is str:
                if not v.isascii() and _SURROGATE.search(v):
                    return f"field '{name}' holds a string with a lone surrogate"
            elif t is dict:
                for k, x in v.items():
                    if type(k) is str and not k.isascii() and _SURROGATE.search(k):
                        return f"field '{name}' holds a string with a lone surrogate"
                    stack.append(x)
            elif t is list or t is tuple:
                stack.extend(v)
    return None


#: An integer above this cannot be converted to a float (the largest is about 1.8e308), so no
#: reader could sum or display it: a damaged or hand-made record, skipped by every reader
#: (smaller absurd values are ``stats``' business: its per-request limits).
_HUGE = 10 ** 308


def _magnitude(v) -> str:
    """A huge number for a message without formatting it whole (a 400-digit int cannot be
    formatted as a float)."""
    return f"a {len(str(v))}-digit number" if type(v) is int else f"{v:.3g}"


def record_problem(rec, *, strict: bool = True) -> str | None:
    """Why ``rec`` (one parsed line) is not a record ``log``, ``stats`` and ``audit match`` can use,
    or None: not a JSON object, an unknown ``type``, no ISO-8601 ``ts``, or a field they read of
    the wrong type (text fields strings, token counts non-negative integers, cost and times
    non-negative finite numbers, ``cloud_egress`` a boolean, ``attempts`` a list of objects,
    ``egress_ids`` a list of strings, ``redacted`` an object). A null field counts as absent.
    ``strict`` (the default, e.g. ``audit match``) also rejects a non-finite number or a string
    with a lone surrogate anywhere in the record (:func:`_value_problem`); ``log``, ``stats`` and
    ``feedback`` pass ``strict=False``: they keep such a record and show those values safely
    (README, "Reading a damaged log")."""
    if not isinstance(rec, dict):
        return "not a JSON object"
    kind = rec.get("type", "request")
    if type(kind) is not str or kind not in RECORD_TYPES:
        return f"unknown record type {_short(kind)}"
    ts = rec.get("ts")
    if ts is None:
        return "missing field 'ts'"
    if type(ts) is not str:
        return f"field 'ts' must be an ISO-8601 time string, got {_kind(ts)}"
    try:
        datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return f"field 'ts' is not an ISO-8601 time: {_short(ts)}"
    get = rec.get
    for name in _TEXT_FIELDS:
        v = get(name)
        if v is not None and type(v) is not str:
            return f"field '{name}' must be a string, got {_kind(v)}"
    for name in _COUNT_FIELDS:
        v = get(name)
        if v is not None and (type(v) is not int or v < 0):
            return f"field '{name}' must be a non-negative integer, got {_short(v)}"
        if type(v) is int and v > _HUGE:  # (huge floats: stats' own limits; a float formats)
            return f"field '{name}' is implausibly large ({_magnitude(v)})"
    for name in _AMOUNT_FIELDS:
        v = get(name)
        if v is not None and (type(v) not in _NUMBER or not 0 <= v < _INF):
            return f"field '{name}' must be a non-negative number, got {_short(v)}"
        if type(v) is int and v > _HUGE:  # (huge floats: stats' own limits; a float formats)
            return f"field '{name}' is implausibly large ({_magnitude(v)})"
    v = get("cloud_egress")
    if v is not None and type(v) is not bool:
        return f"field 'cloud_egress' must be true or false, got {_short(v)}"
    v = get("attempts")
    if v is not None:
        if type(v) is not list:
            return "field 'attempts' must be a list of objects"
        for a in v:
            if type(a) is not dict:
                return "field 'attempts' must be a list of objects"
            e = a.get("egress_id")
            if e is not None and type(e) is not str:
                return "field 'attempts' holds an 'egress_id' that is not a string"
    v = get("egress_ids")
    if v is not None and (type(v) is not list or any(type(x) is not str for x in v)):
        return "field 'egress_ids' must be a list of strings"
    v = get("redacted")
    if v is not None:
        if type(v) is not dict:
            return f"field 'redacted' must be an object, got {_kind(v)}"
        count, kinds = v.get("count"), v.get("kinds")
        if count is not None and (type(count) is not int or count < 0):
            return "field 'redacted.count' must be a non-negative integer"
        if kinds is not None and (type(kinds) not in (dict, list) or any(type(k) is not str for k in kinds)):
            return "field 'redacted.kinds' must be an object or a list of names"
    return _value_problem(rec) if strict else None


def _kind(value) -> str:
    """The JSON type of ``value``, for messages."""
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string", list: "a list",
            dict: "an object"}.get(type(value), "null")


def _short(value) -> str:
    """``value`` as JSON, cut to 40 characters, for messages (never a whole record)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:39] + "…"


def _line_count(fd: int, size: int) -> int:
    """Lines in the file (an unterminated last line counts)."""
    count, pos, last = 0, 0, b"\n"
    while pos < size:
        chunk = os.pread(fd, min(1 << 20, size - pos), pos)
        if not chunk:
            break
        count += chunk.count(b"\n")
        last = chunk[-1:]
        pos += len(chunk)
    return count + (last != b"\n")


def verify(path: Path, *, notes: list | None = None, head_expected: bool = True) -> tuple[int, list[str]]:
    """Walk one audit log file and check its hash chain.

    Returns ``(records, problems)``: the count of records read and, in order, one-line
    descriptions naming the line of each break (altered, inserted, removed, reordered or
    incomplete records, a ``prev_file`` that is not a file beside this one, or a tail that no
    longer matches ``<log>.head``). An empty list means the chain verifies. Text taken from
    the file (``audit_break``, ``prev_file``) is quoted as is, cut to 200 characters: the
    caller escapes control characters before printing. ``head_expected`` False (a copy of the
    log, e.g. on write-once storage, given by path) makes a missing head file a note (appended
    to ``notes``, when given) rather than a break. Needs no key. Raises :class:`AuditError`
    when unreadable.
    """
    path = Path(path)
    log = AuditLog(path)
    problems: list[str] = []
    fh = _open_regular(path, hint="")
    prev_hash, count, last_seq = None, 0, 0
    with fh:
        for n, raw in enumerate(fh, 1):
            line = raw.rstrip(b"\n")
            try:
                rec = _loads(line)
            except ValueError:
                rec = None
            seq = _chain_seq(rec)
            if seq is None or "prev" not in rec:
                problems.append(f"line {n}: not a complete chained record (altered or cut short)")
                prev_hash, last_seq = line_hash(line), n
                count += 1
                continue
            prev = rec["prev"]
            count += 1
            if rec.get("audit_break"):
                problems.append(f"line {n}: the writer found the log altered before this record: "
                                f"{_quote(rec['audit_break'])}")
            expected = last_seq + 1
            if seq != expected:
                if seq > expected:
                    problems.append(f"line {n}: seq {seq}, expected {expected}: "
                                    f"{seq - expected} record(s) missing before it")
                else:
                    problems.append(f"line {n}: seq {seq}, expected {expected}: a record inserted, repeated or moved")
            if n == 1:
                if rec.get("prev_file"):
                    problem = _link_problem(path, rec["prev_file"], prev)
                    if problem:
                        problems.append(f"line 1: {problem}")
                elif prev != GENESIS:
                    problems.append("line 1: links to a previous record, but this is the first file")
            elif prev_hash is not None and prev != prev_hash:
                problems.append(f"line {n}: does not follow line {n - 1} (line {n - 1} altered, "
                                "or records removed, inserted or reordered)")
            prev_hash, last_seq = line_hash(line), seq
    head = log._read_head()
    if log.head_path.exists() and not (isinstance(head, dict) and type(head.get("seq")) is int
                                       and 0 <= head["seq"] < _MAX_SEQ):
        problems.append(f"head file {log.head_path.name} is unreadable or altered")
        head = None
    rotated = re.fullmatch(r".*" + _ROTATED_STAMP, path.stem) is not None  # rotated files have no head of their own
    if count and head is None and not log.head_path.exists() and not rotated:
        if head_expected:
            problems.append(f"head file {log.head_path.name} is missing: the end of the log cannot be checked")
        elif notes is not None:
            notes.append(f"no head file {log.head_path.name} beside this copy: its end (records cut from the tail) "
                         "is not checked")
    if head and head.get("file") == path.name and head.get("seq"):
        if head["seq"] != last_seq:
            problems.append(f"end of log: the head file records seq {head['seq']}, the log ends at "
                            f"seq {last_seq}: records removed from (or added to) the end")
        elif head.get("hash") != prev_hash:
            problems.append(f"line {count}: the last record was altered (its hash differs from the head file)")
    return count, problems


def _quote(value) -> str:
    """Text from a record, for a problem line: as is when a string, else as JSON; cut to 200 characters."""
    if type(value) is not str:
        try:
            value = json.dumps(value, ensure_ascii=False)
        except (ValueError, TypeError, RecursionError):
            value = "(unprintable)"
    return value if len(value) <= 200 else value[:199] + "…"


def _link_problem(path: Path, prev_file, prev) -> str | None:
    """Why the first record of ``path`` does not link to the last record of ``prev_file`` (a file
    in the same directory), or None."""
    if not plain_file_name(prev_file):
        return (f"links to {_quote(prev_file)}, which is not a file name in this directory "
                "(the prev_file link is broken or altered)")
    before = path.with_name(prev_file)
    if not before.exists() and not before.is_symlink():
        return f"links to {prev_file}, which is missing (a rotated file removed)"
    try:
        bf = _open_regular(before, "rotated audit log", hint="")
    except AuditError:
        return f"links to {prev_file}, which is not a readable regular file (the prev_file link is broken)"
    tail = None
    with bf:
        for braw in bf:
            if braw.strip():
                tail = braw.rstrip(b"\n")
    if tail is None or line_hash(tail) != prev:
        return f"does not link to the last record of {prev_file}"
    return None


def verify_files(log: AuditLog) -> list[str]:
    """Checks across the whole log (beyond each file's chain): the current file is present when
    the head says records were written, and the oldest file does not link to a missing one."""
    problems: list[str] = []
    head = log._read_head()
    if not log.path.exists() and isinstance(head, dict) and type(head.get("seq")) is int and head["seq"] > 0:
        problems.append(f"{log.path.name} is missing, but its head file records {head['seq']} record(s)")
    return problems
