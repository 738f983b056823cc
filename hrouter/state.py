"""State shared by concurrent hrouter processes: spend ledger, latency samples, in-flight requests, cooldowns.

One small SQLite database (stdlib :mod:`sqlite3`) at ``<state dir>/state.db`` (``$HROUTER_HOME/state``
when set), created on first use with mode 0600 (SQLite gives its ``-wal``/``-shm`` files the same
mode), in WAL mode so readers never block the writer. Many ``hrouter`` processes (shell loops,
``xargs -P 8``, cron) use it at once:

- every write is one short ``BEGIN IMMEDIATE`` transaction (the write lock is taken up front, so a
  transaction never fails half-way on a lock upgrade); a busy lock is retried with short jittered
  sleeps for up to ``busy_timeout_s`` (5 s), then :class:`StateError`;
- ``synchronous=NORMAL``: a commit survives the crash of any process (SIGKILL included); a power
  loss may forget the last few commits, never corrupt the file;
- WAL checkpoints (an fsync, a few ms) stay off the request path: :meth:`StateDB.close` runs one
  when the log passes 4 MiB, SQLite runs one when the last connection closes, and a commit does
  so inline only past :data:`INLINE_CHECKPOINT_PAGES`;
- the schema is versioned by ``PRAGMA user_version`` and migrated forward in one transaction by
  whichever process gets there first (:data:`SCHEMA_VERSION`, :data:`_MIGRATIONS`).

Units: money is USD (float), durations are ms unless named ``*_s`` (seconds), timestamps are
``time.time()`` seconds (wall clock; tests inject ``clock``).

Crash safety: reservations and in-flight entries carry their owner's pid (plus, on Linux, the
process start time from ``/proc/<pid>/stat``, so a recycled pid is not mistaken for the owner, and
zombies count as dead). An entry is *stale* when its owner is dead or it is older than
``stale_after_s`` (15 min by default). Stale entries are ignored by every read (they never count
toward a ceiling or a capacity) and deleted opportunistically. Entries written from another host
or pid namespace (a shared home directory, containers) cannot be checked by pid: only age expires
them.

Budgets: spend is an append-only ledger per session; each entry carries the session's running total,
so the spend in a rolling window (``window_s``) is two index lookups however long the ledger. Money
is stored as integer nano-USD, so ceiling checks are exact.

A request's lifecycle (what the router does with this module), per candidate tried::

    db = StateDB.open_default()
    db.cooldown(b), db.latency_stats(b), db.session_spend(s, window_s=w)   # decide
    tok = db.try_begin_request(b, max_inflight)         # None: at capacity, spill or wait
    r = db.reserve(s, b, worst_case_usd, ceiling_usd=c, window_s=w)  # None: over budget
    try:
        call the backend
    except failure before any output was billed:        # refused, 429, 5xx, connect error
        db.release(r); db.cool_down(b, seconds, why)    # then the next candidate
    else (or failure mid-stream):
        db.settle(r, actual_usd)                        # usage unknown: settle r.amount_usd
    finally:
        db.end_request(tok); db.record_latency(b, ttft_ms, total_ms, ok)
    db.close()                                          # after the answer is out

Errors: every failure (unwritable directory, a file that is not an SQLite database, a database
from a newer hrouter, a lock held longer than the busy timeout) is a :class:`StateError` whose
message is one line naming the database path.
"""

from __future__ import annotations

import json
import math
import os
import random
import socket
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import Callable, Iterator

from .errors import ExitStatus, HrouterError

from .paths import STATE_DB as DB_FILE  # noqa: E402 - one name for the file
SCHEMA_VERSION = 2
STALE_AFTER_S = 15 * 60.0
"""Reservations and in-flight entries older than this (s) are stale even if their owner lives."""
BUSY_TIMEOUT_S = 5.0
"""How long (s) a process waits for another's write lock before :class:`StateError`."""
LATENCY_KEEP = 1000
"""Latency samples kept per backend (older ones are trimmed)."""
SPEND_RETENTION_S = 400 * 86400.0
"""Settled spend older than this (s) is deleted by the periodic maintenance."""
MAINTENANCE_EVERY_S = 600.0
"""At most one whole-database clean-up (stale entries, expired cooldowns, old spend) per this many s."""
INLINE_CHECKPOINT_PAGES = 4000
"""WAL pages (4 KiB) after which a commit checkpoints inline (SQLite's default is 1000); see close()."""
CLOSE_CHECKPOINT_BYTES = 4 * 1024 * 1024
"""WAL size past which :meth:`StateDB.close` checkpoints."""
NANO = 1_000_000_000
#: The largest single amount (nano-USD, 2**62, about 4.6e9 USD) and running total (2**63 - 1, SQLite's
#: largest integer) the ledger holds; larger ones saturate (see :meth:`StateDB._nusd`).
MAX_AMOUNT_NUSD = 2 ** 62
MAX_CUM_NUSD = 2 ** 63 - 1
RECENT_REQUESTS_KEEP = 10_000
"""Per-request features kept for ``hrouter feedback ID`` (oldest trimmed past this count)."""
"""Money is stored as integer nano-USD (``round(usd * NANO)``): sums and ceiling checks are exact."""


class StateError(HrouterError):
    """The state database could not be opened, read or written (exit 1). ``path`` names it."""

    exit_status = ExitStatus.BACKEND_ERROR

    def __init__(self, message: str, *, path: str | os.PathLike | None = None) -> None:
        self.path = str(path) if path is not None else None
        super().__init__(" ".join(str(message).split()))  # always one line


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Reservation:
    """Money held for one call before it is made: ``amount_usd`` (USD) for ``backend`` in ``session``.

    ``id`` is unique for the database's lifetime (never reused); ``ts`` is when it was taken
    (time.time() s); ``pid`` the process holding it.
    """

    id: int
    session: str
    backend: str
    amount_usd: float
    ts: float
    pid: int


@dataclass(frozen=True)
class SessionSpend:
    """A session's budget state at ``window_end`` (= now, time.time() s).

    - ``spent_usd``: settled spend with ``window_start <= ts`` (all of it when ``window_s`` is None).
    - ``reserved_usd``: live reservations (held by running processes, not stale), any age up to
      ``stale_after_s``; they always count, whatever the window.
    - ``window_s``: the rolling window's length (s), None = unbounded; ``window_start`` is
      ``window_end - window_s`` (None when unbounded).
    - ``entries``: settled spend entries in the window; ``reservations``: live reservations.
    - ``frees_at``: when the oldest in-window spend entry leaves the window (time.time() s), None
      when unbounded or nothing is spent.
    """

    session: str
    spent_usd: float
    reserved_usd: float
    window_s: float | None
    window_start: float | None
    window_end: float
    entries: int
    reservations: int
    frees_at: float | None = None

    @property
    def committed_usd(self) -> float:
        """``spent_usd + reserved_usd`` (USD): what counts against the ceiling."""
        return self.spent_usd + self.reserved_usd

    def remaining_usd(self, ceiling_usd: float | None) -> float | None:
        """USD left under ``ceiling_usd`` (never negative), None when there is no ceiling."""
        if ceiling_usd is None:
            return None
        return max(0.0, ceiling_usd - self.committed_usd)

    def share(self, ceiling_usd: float | None) -> float | None:
        """Fraction of ``ceiling_usd`` committed (spent + reserved; may exceed 1), None without a ceiling."""
        if ceiling_usd is None:
            return None
        if ceiling_usd <= 0:
            return 1.0
        return self.committed_usd / ceiling_usd


@dataclass(frozen=True)
class LatencyStats:
    """Latency over a backend's last ``count`` samples (most recent first, up to ``last_n``).

    ``ok_count`` of them succeeded; percentiles use successful samples only (a failure's duration
    is time-to-error, not service time), linear interpolation between closest ranks (numpy's
    default). Each percentile is None when no successful sample has that measure. ``last_ts`` is
    the newest sample's time (time.time() s).
    """

    backend: str
    count: int
    ok_count: int
    ttft_p50_ms: float | None
    ttft_p95_ms: float | None
    total_p50_ms: float | None
    total_p95_ms: float | None
    last_ts: float

    @property
    def error_rate(self) -> float:
        """Share of the ``count`` samples that failed (0.0-1.0)."""
        return (self.count - self.ok_count) / self.count if self.count else 0.0


@dataclass(frozen=True)
class InflightToken:
    """One request in flight to ``backend``, held by ``pid`` since ``ts`` (time.time() s)."""

    id: int
    backend: str
    ts: float
    pid: int


@dataclass(frozen=True)
class Cooldown:
    """``backend`` is not to be tried before ``until_ts`` (time.time() s) because of ``reason``.

    ``since_ts`` is when the cooldown was (last) set.
    """

    backend: str
    until_ts: float
    reason: str
    since_ts: float

    def remaining_s(self, now: float | None = None) -> float:
        """Seconds left (>= 0) at ``now`` (default time.time())."""
        return max(0.0, self.until_ts - (time.time() if now is None else now))


# --------------------------------------------------------------------------- process identity


_identity_cache: tuple[int, str | None, str] | None = None


def _read_proc_stat(pid: int) -> tuple[str, str] | None:
    """(state letter, start time in clock ticks) of ``pid`` from ``/proc``; None when it does not exist.

    Raises OSError other than "no such file" (e.g. no ``/proc``) to the caller.
    """
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ')'.
    rest = data[data.rindex(b")") + 2:].split()
    return rest[0].decode(), rest[19].decode()  # field 3 = state, field 22 = starttime


def _proc_available() -> bool:
    return os.path.exists("/proc/self/stat")


def _self_identity() -> tuple[int, str | None, str]:
    """(pid, start token or None, owner) of this process; recomputed after a fork.

    ``owner`` names the pid namespace the pid belongs to (host name + pid-namespace inode), so
    entries written from elsewhere are not checked against this machine's process table.
    """
    global _identity_cache
    pid = os.getpid()
    if _identity_cache is not None and _identity_cache[0] == pid:
        return _identity_cache
    start: str | None = None
    ns = ""
    if _proc_available():
        try:
            st = _read_proc_stat(pid)
            start = st[1] if st else None
        except (OSError, ValueError, IndexError):
            start = None
        try:
            ns = str(os.stat("/proc/self/ns/pid").st_ino)
        except OSError:
            ns = ""
    owner = f"{socket.gethostname()}/{ns}"
    _identity_cache = (pid, start, owner)
    return _identity_cache


def _pid_alive(pid: int, start: str | None) -> bool:
    """Whether ``pid`` (started at ``start``, if known) still runs on this host: zombies are dead,
    a recycled pid (different start time) is dead."""
    if pid <= 0:
        return False
    if _proc_available():
        try:
            st = _read_proc_stat(pid)
        except (OSError, ValueError, IndexError):
            st = ("?", None)  # unreadable: fall back to kill(0)
        else:
            if st is None:
                return False
            state, now_start = st
            if state in ("Z", "X", "x"):
                return False
            if start is not None and now_start is not None and start != now_start:
                return False
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, another user's
    except OSError:
        return True
    return True


class _Liveness:
    """Per-call memo deciding whether an owned entry is live (pid alive and not too old)."""

    def __init__(self, now: float, stale_after_s: float) -> None:
        self.now, self.stale_after_s = now, stale_after_s
        self.me = _self_identity()
        self.memo: dict[tuple[int, str | None], bool] = {}

    def live(self, ts: float, pid: int, start: str | None, owner: str) -> bool:
        if self.now - ts > self.stale_after_s:
            return False
        if owner != self.me[2]:
            return True  # another host / pid namespace: only age can expire it
        if pid == self.me[0] and (start is None or start == self.me[1]):
            return True
        key = (pid, start)
        alive = self.memo.get(key)
        if alive is None:
            alive = self.memo[key] = _pid_alive(pid, start)
        return alive


# --------------------------------------------------------------------------- schema


# _MIGRATIONS[v]: the statements taking a database at ``user_version`` v to v + 1. They run inside
# migrate()'s single write transaction (so no executescript, which would COMMIT first).
_MIGRATIONS: dict[int, tuple[str, ...]] = {
    0: (
        """CREATE TABLE meta (
            key   TEXT PRIMARY KEY,
            value TEXT
        ) WITHOUT ROWID""",
        # Append-only per session, in ts order (ts never decreases within a session); cum_nusd and seq
        # are the session's running total and entry number, so a windowed sum is two index lookups.
        """CREATE TABLE spend (
            id             INTEGER PRIMARY KEY,
            session        TEXT NOT NULL,
            backend        TEXT NOT NULL,
            ts             REAL NOT NULL,
            amount_nusd    INTEGER NOT NULL,
            cum_nusd       INTEGER NOT NULL,
            seq            INTEGER NOT NULL,
            reservation_id INTEGER UNIQUE
        )""",
        "CREATE INDEX spend_session_ts ON spend(session, ts)",
        """CREATE TABLE reservation (
            id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: a stale token cannot hit another's row
            session     TEXT NOT NULL,
            backend     TEXT NOT NULL,
            amount_nusd INTEGER NOT NULL,
            ts         REAL NOT NULL,
            pid        INTEGER NOT NULL,
            start      TEXT,
            owner      TEXT NOT NULL
        )""",
        "CREATE INDEX reservation_session ON reservation(session)",
        """CREATE TABLE inflight (
            id      INTEGER PRIMARY KEY AUTOINCREMENT,
            backend TEXT NOT NULL,
            ts      REAL NOT NULL,
            pid     INTEGER NOT NULL,
            start   TEXT,
            owner   TEXT NOT NULL
        )""",
        "CREATE INDEX inflight_backend ON inflight(backend)",
        """CREATE TABLE latency (
            id       INTEGER PRIMARY KEY,
            backend  TEXT NOT NULL,
            ts       REAL NOT NULL,
            ttft_ms  REAL,
            total_ms REAL,
            ok       INTEGER NOT NULL
        )""",
        "CREATE INDEX latency_backend_id ON latency(backend, id)",
        """CREATE TABLE cooldown (
            backend  TEXT PRIMARY KEY,
            until_ts REAL NOT NULL,
            reason   TEXT NOT NULL,
            since_ts REAL NOT NULL
        )""",
    ),
    1: (
        # Labels for the learned router ("was the local answer sufficient?"). ``key`` makes a label
        # idempotent: ``req:<request id>`` for feedback on a past answer (re-labelling replaces it),
        # ``imp:<prompt hmac>`` for bulk imports. ``prompt`` is NULL unless the policy allows storing
        # text (audit.log_prompt: raw); ``features`` (JSON) is what training needs instead.
        """CREATE TABLE feedback (
            id         INTEGER PRIMARY KEY,
            key        TEXT NOT NULL UNIQUE,
            ts         REAL NOT NULL,
            request_id TEXT,
            label      TEXT,
            local_ok   INTEGER,
            source     TEXT NOT NULL,
            note       TEXT,
            tier       TEXT,
            backend    TEXT,
            zone       TEXT,
            prompt     TEXT,
            features   TEXT
        )""",
        # What `ask` knew about a request, so a later `feedback ID good|bad` can label it.
        """CREATE TABLE recent_request (
            request_id TEXT PRIMARY KEY,
            ts         REAL NOT NULL,
            tier       TEXT,
            backend    TEXT,
            zone       TEXT,
            prompt     TEXT,
            features   TEXT
        ) WITHOUT ROWID""",
        "CREATE INDEX recent_request_ts ON recent_request(ts)",
        # LLM-judge verdicts by prompt HMAC (never the prompt) and judge model.
        """CREATE TABLE judge_cache (
            key     TEXT PRIMARY KEY,
            ts      REAL NOT NULL,
            verdict TEXT NOT NULL
        ) WITHOUT ROWID""",
    ),
}


def migrate(conn: sqlite3.Connection, *, path: str | os.PathLike = "<state db>") -> int:
    """Bring ``conn``'s schema to :data:`SCHEMA_VERSION`; returns the version found before.

    Runs in one ``BEGIN IMMEDIATE`` transaction, so concurrent first users migrate exactly once
    (the others wait, re-read the version and find nothing to do). A database from a newer
    hrouter (higher ``user_version``) is a :class:`StateError`.
    """
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found == SCHEMA_VERSION:
        return found
    if found > SCHEMA_VERSION:
        raise StateError(f"state database {path} has schema version {found}, newer than this hrouter "
                         f"understands ({SCHEMA_VERSION}); upgrade hrouter or move the file aside", path=path)
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = before = conn.execute("PRAGMA user_version").fetchone()[0]  # re-read under the lock
        while version < SCHEMA_VERSION:
            for statement in _MIGRATIONS[version]:
                conn.execute(statement)
            version += 1
            conn.execute(f"PRAGMA user_version = {version}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return before


# --------------------------------------------------------------------------- the store


def _is_busy(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text)


def _guard(method):
    """Run a public method; retry it while the database is busy; map sqlite3/OS errors to a one-line
    :class:`StateError`.

    Lock waits are ours, not SQLite's: its busy handler sleeps 1, 2, 5, 10 ... 100 ms while a
    newcomer may overtake the sleeper (measured with 8 processes and a 5-20 ms pause between
    reserve/settle pairs: p99 3-4x ours; with no pause, single waits of 0.3-0.5 s). Here the
    whole method (one transaction, or a read and an idempotent purge; rolled back on error) is
    retried after a jittered sleep of 0.1 ms doubling to 2 ms, until ``busy_timeout_s`` has passed.
    """

    @wraps(method)
    def wrapper(self: "StateDB", *args, **kwargs):
        deadline = 0.0
        delay = 0.0001
        while True:
            try:
                with self._lock:
                    return method(self, *args, **kwargs)
            except StateError:
                raise
            except sqlite3.Error as exc:
                if _is_busy(exc):
                    now = time.monotonic()
                    if not deadline:
                        deadline = now + self.busy_timeout_s
                    if now < deadline:
                        time.sleep(min(_jitter.uniform(delay / 2, delay), max(0.0, deadline - now)))
                        delay = min(delay * 2, 0.002)
                        continue
                raise self._error(exc) from None
            except OSError as exc:
                raise StateError(f"state database {self.path}: {exc.strerror or exc}", path=self.path) from None

    return wrapper


_jitter = random.Random()


def _file_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


_abandoned: list[sqlite3.Connection] = []  # connections inherited across fork: never closed in the child


class StateDB:
    """The shared state store. Cheap to construct: nothing touches the disk until the first call.

    ``path``: the database file (default ``<state dir>/state.db``); ``clock``: returns time.time()
    seconds (injectable for tests); ``stale_after_s``: age (s) after which a reservation or
    in-flight entry is stale whether or not its owner lives; ``busy_timeout_s``: longest wait (s)
    for another process's write lock.

    Thread-safe (one connection behind a lock); after ``os.fork`` the child opens its own
    connection. Use as a context manager or call :meth:`close`.
    """

    def __init__(self, path: Path | str | None = None, *, clock: Callable[[], float] = time.time,
                 stale_after_s: float = STALE_AFTER_S, busy_timeout_s: float = BUSY_TIMEOUT_S) -> None:
        if path is None:
            from .paths import state_dir
            path = state_dir() / DB_FILE
        self.path = Path(path).expanduser()
        self._clock = clock
        self.stale_after_s = float(stale_after_s)
        self.busy_timeout_s = float(busy_timeout_s)
        self._conn: sqlite3.Connection | None = None
        self._conn_pid = 0
        self._wrote = False
        self._lock = threading.RLock()

    @classmethod
    def open_default(cls) -> "StateDB":
        """The store at ``<state dir>/state.db`` (``$HROUTER_HOME/state/state.db`` when set)."""
        return cls()

    def __enter__(self) -> "StateDB":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"StateDB({str(self.path)!r})"

    # ------------------------------------------------------------------ connection

    def _error(self, exc: sqlite3.Error) -> StateError:
        text = str(exc) or type(exc).__name__
        low = text.lower()
        p = self.path
        if "not a database" in low or "malformed" in low or "encrypted" in low:
            msg = f"state database {p} is not a valid SQLite database ({text}); move it aside to start afresh"
        elif "locked" in low or "busy" in low:
            msg = f"state database {p} is locked by another process for more than {self.busy_timeout_s:g} s ({text})"
        elif "readonly" in low or "read-only" in low:
            msg = f"state database {p} is read-only ({text}); check the permissions of the file and its directory"
        elif "unable to open" in low:
            msg = f"cannot open state database {p} ({text}); check the permissions of {p.parent}"
        else:
            msg = f"state database {p}: {text}"
        return StateError(msg, path=p)

    def _connection(self) -> sqlite3.Connection:
        pid = os.getpid()
        if self._conn is not None:
            if self._conn_pid == pid:
                return self._conn
            _abandoned.append(self._conn)  # the parent's: closing it here could disturb the parent's WAL
            self._conn = None
        self._conn = self._open()
        self._conn_pid = pid
        return self._conn

    def _open(self) -> sqlite3.Connection:
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StateError(f"cannot create state directory {path.parent} for {path}: "
                             f"{exc.strerror or exc}", path=path) from None
        try:  # create it 0600 ourselves: sqlite3 would use 0644 & ~umask
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
            os.close(fd)
        except OSError as exc:
            raise StateError(f"cannot open state database {path}: {exc.strerror or exc}", path=path) from None
        conn = None
        try:
            # timeout=0: SQLite's busy handler is off, _guard and _setup retry instead (see _guard)
            conn = sqlite3.connect(str(path), timeout=0, isolation_level=None, check_same_thread=False)
            self._setup(conn)
        except BaseException as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, sqlite3.Error):
                raise self._error(exc) from None
            raise
        return conn

    def _setup(self, conn: sqlite3.Connection) -> None:
        """WAL mode, schema, maintenance. Retried on SQLITE_BUSY: while several processes create the
        database at once, switching it to WAL fails at once (SQLite calls no busy handler there)."""
        deadline = time.monotonic() + self.busy_timeout_s
        delay = 0.0001
        while True:
            try:
                mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
                if str(mode).lower() != "wal":  # persistent: only the first opener switches it
                    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() == "wal":
                    conn.execute("PRAGMA synchronous = NORMAL")
                    # checkpoints (an fsync, ms) off the request path: close() runs them; inline only
                    # past a large WAL. Size limit 0: the WAL file's size then tells its live frames.
                    conn.execute(f"PRAGMA wal_autocheckpoint = {INLINE_CHECKPOINT_PAGES}")
                    conn.execute("PRAGMA journal_size_limit = 0")
                migrate(conn, path=self.path)
                self._maybe_maintain(conn)
                return
            except sqlite3.OperationalError as exc:
                text = str(exc).lower()
                if ("locked" not in text and "busy" not in text) or time.monotonic() + delay > deadline:
                    raise
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                time.sleep(_jitter.uniform(delay / 2, delay))
                delay = min(delay * 2, 0.002)

    @_guard
    def close(self) -> None:
        """Close the connection (a later call reopens it). Call it once the user has their answer:
        it may run a WAL checkpoint (an fsync, a few ms) when the log has grown past
        :data:`CLOSE_CHECKPOINT_BYTES`; SQLite itself checkpoints when the last connection closes."""
        conn, self._conn = self._conn, None
        if conn is None or self._conn_pid != os.getpid():
            return
        try:
            if self._wrote and _file_size(f"{self.path}-wal") > CLOSE_CHECKPOINT_BYTES:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        except sqlite3.Error:
            pass  # best effort: another process will do it
        finally:
            self._wrote = False
            conn.close()

    @_guard
    def checkpoint(self) -> tuple[int, int]:
        """Copy the WAL back into the database now (PASSIVE: never waits for other processes).

        Returns (frames in the log, frames checkpointed). For long-running callers and maintenance;
        the CLI needs nothing beyond :meth:`close`.
        """
        row = self._connection().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(row[1]), int(row[2])

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction, lock taken up front (``BEGIN IMMEDIATE``)."""
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        self._wrote = True
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot across several SELECTs (WAL readers never wait for the writer)."""
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _now(self) -> float:
        return float(self._clock())

    def _maybe_maintain(self, conn: sqlite3.Connection) -> None:
        """Whole-database clean-up, at most once per :data:`MAINTENANCE_EVERY_S` across processes."""
        now = self._now()
        row = conn.execute("SELECT value FROM meta WHERE key = 'maintained_at'").fetchone()
        if row is not None and 0 <= now - float(row[0]) < MAINTENANCE_EVERY_S:
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'maintained_at'").fetchone()
            if row is None or not 0 <= now - float(row[0]) < MAINTENANCE_EVERY_S:
                live = _Liveness(now, self.stale_after_s)
                for table in ("reservation", "inflight"):
                    rows = conn.execute(f"SELECT id, ts, pid, start, owner FROM {table}").fetchall()
                    dead = [(r[0],) for r in rows if not live.live(r[1], r[2], r[3], r[4])]
                    conn.executemany(f"DELETE FROM {table} WHERE id = ?", dead)
                conn.execute("DELETE FROM cooldown WHERE until_ts <= ?", (now,))
                # rowids grow with time: delete from the oldest until a row is recent enough
                cutoff = now - SPEND_RETENTION_S
                while True:
                    old = [(r[0],) for r in conn.execute("SELECT id, ts FROM spend ORDER BY id LIMIT 500")
                           if r[1] < cutoff]
                    conn.executemany("DELETE FROM spend WHERE id = ?", old)
                    if len(old) < 500:
                        break
                conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('maintained_at', ?)", (repr(now),))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # ------------------------------------------------------------------ budget ledger

    def _live_reservations(self, conn: sqlite3.Connection, session: str, now: float
                           ) -> tuple[int, int, list[int]]:
        """(sum in nano-USD, count) of the session's live reservations and the ids of its stale ones."""
        live = _Liveness(now, self.stale_after_s)
        total, count, stale = 0, 0, []
        for rid, amount, ts, pid, start, owner in conn.execute(
                "SELECT id, amount_nusd, ts, pid, start, owner FROM reservation WHERE session = ?", (session,)):
            if live.live(ts, pid, start, owner):
                total += amount
                count += 1
            else:
                stale.append(rid)
        return total, count, stale

    @staticmethod
    def _spent(conn: sqlite3.Connection, session: str, since: float | None) -> tuple[int, int, float | None]:
        """(sum in nano-USD, entries, oldest ts) of the session's settled spend with ts >= since.

        Two index lookups whatever the ledger's size: each row carries the session's running total
        (``cum_nusd``) and entry number (``seq``), and rows are appended in ts order.
        """
        last = conn.execute("SELECT cum_nusd, seq FROM spend WHERE session = ? ORDER BY ts DESC, id DESC LIMIT 1",
                            (session,)).fetchone()
        if last is None:
            return 0, 0, None
        first = conn.execute("SELECT cum_nusd - amount_nusd, seq, ts FROM spend WHERE session = ? AND ts >= ? "
                             "ORDER BY ts, id LIMIT 1",
                             (session, -math.inf if since is None else since)).fetchone()
        if first is None:
            return 0, 0, None
        return last[0] - first[0], last[1] - first[1] + 1, float(first[2])

    def _append_spend(self, conn: sqlite3.Connection, session: str, backend: str, amount_n: int,
                      reservation_id: int | None) -> None:
        """Append one spend entry (inside a write transaction): ts = now, but never before the session's
        last entry (a clock stepping back must not break the ts order the running totals rely on)."""
        now = self._now()
        last = conn.execute("SELECT ts, cum_nusd, seq FROM spend WHERE session = ? ORDER BY ts DESC, id DESC "
                            "LIMIT 1", (session,)).fetchone()
        ts, cum, seq = (now, amount_n, 1) if last is None else (max(now, last[0]), last[1] + amount_n, last[2] + 1)
        cum = min(cum, MAX_CUM_NUSD)  # SQLite integers are 64-bit: saturate rather than fail to record
        conn.execute("INSERT OR IGNORE INTO spend(session, backend, ts, amount_nusd, cum_nusd, seq, reservation_id) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", (session, backend, ts, amount_n, cum, seq, reservation_id))

    @staticmethod
    def _nusd(amount_usd: float, what: str = "amount") -> int:
        """USD -> integer nano-USD (exact sums and comparisons); rejects negative amounts and NaN.

        An amount above :data:`MAX_AMOUNT_NUSD` (about 4.6 billion USD), +inf included, counts as
        that much: a cost that overflowed is still charged (it exhausts any budget) and the
        ledger's SQLite integers cannot overflow."""
        try:
            amount = float(amount_usd)
        except OverflowError:  # an integer beyond any float
            amount = math.inf
        if amount != amount or amount < 0:
            raise ValueError(f"{what} must be a finite, non-negative USD amount, not {amount_usd!r}")
        if amount * NANO >= MAX_AMOUNT_NUSD:
            return MAX_AMOUNT_NUSD
        return round(amount * NANO)

    @_guard
    def reserve(self, session: str, backend: str, amount_usd: float, *, ceiling_usd: float | None,
                window_s: float | None) -> Reservation | None:
        """Hold ``amount_usd`` (USD, the call's worst-case cost) for a call to ``backend`` in ``session``.

        Atomic across processes: granted (a :class:`Reservation` is returned) only when the
        session's settled spend within the last ``window_s`` seconds (None = all time) plus its
        live reservations plus ``amount_usd`` stays within ``ceiling_usd`` (USD; None = no
        ceiling, always granted and still recorded). A zero amount is always granted. Returns
        None when refused. Stale reservations of the session (dead owner, too old) do not count
        and are deleted here. Amounts are kept to the nano-dollar.

        Follow with exactly one of :meth:`settle` (the call happened) or :meth:`release` (it
        certainly cost nothing).
        """
        amount_n = self._nusd(amount_usd)
        ceiling_n = None if ceiling_usd is None else self._nusd(ceiling_usd, "ceiling")
        pid, start, owner = _self_identity()
        with self._write() as conn:
            now = self._now()
            if ceiling_n is not None and amount_n > 0:
                reserved, _, stale = self._live_reservations(conn, session, now)
                if stale:
                    conn.executemany("DELETE FROM reservation WHERE id = ?", [(i,) for i in stale])
                since = None if window_s is None else now - float(window_s)
                spent = self._spent(conn, session, since)[0]
                if spent + reserved + amount_n > ceiling_n:
                    return None
            cur = conn.execute("INSERT INTO reservation(session, backend, amount_nusd, ts, pid, start, owner) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?)", (session, backend, amount_n, now, pid, start, owner))
            rid = cur.lastrowid
        return Reservation(id=int(rid), session=session, backend=backend, amount_usd=amount_n / NANO,
                           ts=now, pid=pid)

    @_guard
    def settle(self, reservation: Reservation, actual_usd: float) -> None:
        """Replace ``reservation`` by a spend entry of ``actual_usd`` (USD, the real usage), timestamped now.

        Idempotent (a second settle of the same reservation records nothing), and recorded even if
        the reservation had already gone stale and been purged: money spent is never lost.
        ``actual_usd`` may exceed the reservation (it is recorded as is).
        """
        actual_n = self._nusd(actual_usd)
        with self._write() as conn:
            conn.execute("DELETE FROM reservation WHERE id = ?", (reservation.id,))
            self._append_spend(conn, reservation.session, reservation.backend, actual_n, reservation.id)

    @_guard
    def release(self, reservation: Reservation) -> None:
        """Drop ``reservation`` without spend (the call failed before costing anything). Idempotent."""
        with self._write() as conn:
            conn.execute("DELETE FROM reservation WHERE id = ?", (reservation.id,))

    @_guard
    def record_spend(self, session: str, backend: str, amount_usd: float) -> None:
        """Record settled spend (USD), timestamped now, without a reservation (e.g. a call made
        before the budget applied)."""
        amount_n = self._nusd(amount_usd)
        with self._write() as conn:
            self._append_spend(conn, session, backend, amount_n, None)

    @_guard
    def session_spend(self, session: str, *, window_s: float | None) -> SessionSpend:
        """The session's spend in the rolling window of ``window_s`` seconds (None = all time) and
        its live reservations, as of now (see :class:`SessionSpend`). Stale reservations are ignored
        (and deleted when any are found)."""
        now = self._now()
        since = None if window_s is None else now - float(window_s)
        with self._read() as conn:
            spent, entries, oldest = self._spent(conn, session, since)
            reserved, count, stale = self._live_reservations(conn, session, now)
        if stale:
            with self._write() as conn:
                conn.executemany("DELETE FROM reservation WHERE id = ?", [(i,) for i in stale])
        frees_at = None if window_s is None or oldest is None else oldest + float(window_s)
        return SessionSpend(session=session, spent_usd=spent / NANO, reserved_usd=reserved / NANO,
                            window_s=None if window_s is None else float(window_s), window_start=since,
                            window_end=now, entries=entries, reservations=count, frees_at=frees_at)

    @_guard
    def reset_session(self, session: str) -> int:
        """Forget the session's spend and reservations; returns the number of spend entries deleted.

        A call in flight at the time still settles afterwards (its spend is recorded).
        """
        with self._write() as conn:
            n = conn.execute("DELETE FROM spend WHERE session = ?", (session,)).rowcount
            conn.execute("DELETE FROM reservation WHERE session = ?", (session,))
        return int(n)

    @_guard
    def sessions(self) -> list[str]:
        """Names of the sessions with any spend or reservation, sorted."""
        with self._read() as conn:
            rows = conn.execute("SELECT DISTINCT session FROM spend UNION SELECT session FROM reservation").fetchall()
        return sorted(r[0] for r in rows)

    # ------------------------------------------------------------------ latency samples

    @_guard
    def record_latency(self, backend: str, ttft_ms: float | None, total_ms: float | None, ok: bool) -> None:
        """Record one call to ``backend``: time to first token and total time (ms; None = not measured)
        and whether it succeeded. Only the newest :data:`LATENCY_KEEP` samples per backend are kept."""
        with self._write() as conn:
            cur = conn.execute("INSERT INTO latency(backend, ts, ttft_ms, total_ms, ok) VALUES (?, ?, ?, ?, ?)",
                               (backend, self._now(), None if ttft_ms is None else float(ttft_ms),
                                None if total_ms is None else float(total_ms), 1 if ok else 0))
            if cur.lastrowid % 64 == 0:  # trim now and then, not on every insert
                conn.execute("DELETE FROM latency WHERE backend = ? AND id < (SELECT id FROM latency "
                             "WHERE backend = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
                             (backend, backend, LATENCY_KEEP - 1))

    @_guard
    def latency_stats(self, backend: str, *, last_n: int = 50, max_age_s: float | None = None
                      ) -> LatencyStats | None:
        """p50/p95 of TTFT and total time (ms) over ``backend``'s last ``last_n`` samples (optionally
        only those younger than ``max_age_s`` seconds); None when there is no sample (use a prior)."""
        if last_n <= 0:
            return None
        conn = self._connection()
        if max_age_s is None:
            rows = conn.execute("SELECT ttft_ms, total_ms, ok, ts FROM latency WHERE backend = ? "
                                "ORDER BY id DESC LIMIT ?", (backend, int(last_n))).fetchall()
        else:
            rows = conn.execute("SELECT ttft_ms, total_ms, ok, ts FROM latency WHERE backend = ? AND ts >= ? "
                                "ORDER BY id DESC LIMIT ?",
                                (backend, self._now() - float(max_age_s), int(last_n))).fetchall()
        if not rows:
            return None
        ok_rows = [r for r in rows if r[2]]
        ttft = sorted(r[0] for r in ok_rows if r[0] is not None)
        total = sorted(r[1] for r in ok_rows if r[1] is not None)
        return LatencyStats(backend=backend, count=len(rows), ok_count=len(ok_rows),
                            ttft_p50_ms=percentile(ttft, 50), ttft_p95_ms=percentile(ttft, 95),
                            total_p50_ms=percentile(total, 50), total_p95_ms=percentile(total, 95),
                            last_ts=float(rows[0][3]))

    # ------------------------------------------------------------------ in-flight requests

    def _live_inflight(self, conn: sqlite3.Connection, backend: str, now: float) -> tuple[int, list[int]]:
        live = _Liveness(now, self.stale_after_s)
        count, stale = 0, []
        for iid, ts, pid, start, owner in conn.execute(
                "SELECT id, ts, pid, start, owner FROM inflight WHERE backend = ?", (backend,)):
            if live.live(ts, pid, start, owner):
                count += 1
            else:
                stale.append(iid)
        return count, stale

    @_guard
    def begin_request(self, backend: str) -> InflightToken:
        """Count one request in flight to ``backend`` (unconditionally); end it with :meth:`end_request`."""
        return self._begin(backend, None)  # type: ignore[return-value]

    @_guard
    def try_begin_request(self, backend: str, limit: int | None) -> InflightToken | None:
        """Atomically: if fewer than ``limit`` live requests are in flight to ``backend`` (None = no
        limit), count this one and return its token; otherwise None (spill or wait).

        Use this rather than :meth:`inflight` then :meth:`begin_request`, which races.
        """
        return self._begin(backend, limit)

    def _begin(self, backend: str, limit: int | None) -> InflightToken | None:
        pid, start, owner = _self_identity()
        now = self._now()
        with self._write() as conn:
            if limit is not None:
                count, stale = self._live_inflight(conn, backend, now)
                if stale:
                    conn.executemany("DELETE FROM inflight WHERE id = ?", [(i,) for i in stale])
                if count >= limit:
                    return None
            cur = conn.execute("INSERT INTO inflight(backend, ts, pid, start, owner) VALUES (?, ?, ?, ?, ?)",
                               (backend, now, pid, start, owner))
            iid = cur.lastrowid
        return InflightToken(id=int(iid), backend=backend, ts=now, pid=pid)

    @_guard
    def end_request(self, token: InflightToken) -> None:
        """The request counted by ``token`` is over (success or failure). Idempotent."""
        with self._write() as conn:
            conn.execute("DELETE FROM inflight WHERE id = ?", (token.id,))

    @_guard
    def inflight(self, backend: str) -> int:
        """Live requests in flight to ``backend`` across all processes (dead owners and entries older
        than ``stale_after_s`` are not counted, and are deleted when found)."""
        now = self._now()
        conn = self._connection()
        count, stale = self._live_inflight(conn, backend, now)
        if stale:
            with self._write() as conn:
                conn.executemany("DELETE FROM inflight WHERE id = ?", [(i,) for i in stale])
        return count

    # ------------------------------------------------------------------ cooldowns

    @_guard
    def cool_down(self, backend: str, seconds: float, reason: str) -> None:
        """Keep ``backend`` out of rotation for ``seconds`` from now, for ``reason`` (one line, shown by
        ``explain``). An active, longer cooldown is kept (its end is never moved earlier)."""
        now = self._now()
        until = now + max(0.0, float(seconds))
        reason = " ".join(str(reason).split())
        with self._write() as conn:
            conn.execute("INSERT INTO cooldown(backend, until_ts, reason, since_ts) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT(backend) DO UPDATE SET until_ts = excluded.until_ts, "
                         "reason = excluded.reason, since_ts = excluded.since_ts "
                         "WHERE cooldown.until_ts <= excluded.until_ts",
                         (backend, until, reason, now))

    @_guard
    def cooldown(self, backend: str) -> Cooldown | None:
        """The active cooldown of ``backend``, or None when there is none or it has expired."""
        row = self._connection().execute(
            "SELECT until_ts, reason, since_ts FROM cooldown WHERE backend = ? AND until_ts > ?",
            (backend, self._now())).fetchone()
        if row is None:
            return None
        return Cooldown(backend=backend, until_ts=float(row[0]), reason=row[1], since_ts=float(row[2]))

    @_guard
    def cooldowns(self) -> list[Cooldown]:
        """Every active cooldown, soonest to end first."""
        rows = self._connection().execute(
            "SELECT backend, until_ts, reason, since_ts FROM cooldown WHERE until_ts > ? ORDER BY until_ts",
            (self._now(),)).fetchall()
        return [Cooldown(backend=r[0], until_ts=float(r[1]), reason=r[2], since_ts=float(r[3])) for r in rows]

    @_guard
    def clear_cooldown(self, backend: str) -> None:
        """End ``backend``'s cooldown now (e.g. after it served a request)."""
        with self._write() as conn:
            conn.execute("DELETE FROM cooldown WHERE backend = ?", (backend,))


    # ------------------------------------------------------------------ labels and judge cache

    @_guard
    def remember_request(self, request_id: str, *, tier: str | None, backend: str | None,
                         zone: str | None, features: dict | None, prompt: str | None = None) -> None:
        """Keep what ``ask`` knew about ``request_id`` (router features as a JSON-able dict; the prompt
        text only when the caller's policy allows storing it) so ``feedback`` can label it later.
        The newest :data:`RECENT_REQUESTS_KEEP` requests are kept."""
        now = self._now()
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO recent_request(request_id, ts, tier, backend, zone, prompt, "
                         "features) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (request_id, now, tier, backend, zone, prompt,
                          None if features is None else json.dumps(features, separators=(",", ":"))))
            conn.execute("DELETE FROM recent_request WHERE ts < (SELECT ts FROM recent_request "
                         "ORDER BY ts DESC LIMIT 1 OFFSET ?)", (RECENT_REQUESTS_KEEP - 1,))

    @_guard
    def recent_request(self, request_id: str) -> dict | None:
        """What :meth:`remember_request` kept for ``request_id`` (dict with ``request_id, ts, tier,
        backend, zone, prompt, features``), or None when it is unknown or trimmed."""
        row = self._connection().execute(
            "SELECT request_id, ts, tier, backend, zone, prompt, features FROM recent_request "
            "WHERE request_id = ?", (request_id,)).fetchone()
        return None if row is None else _recent_dict(row)

    @_guard
    def add_feedback(self, rows: list[dict]) -> int:
        """Insert or replace labels in one transaction; returns how many rows were written.

        Each row: ``key`` (str, unique: ``req:<request id>`` or ``imp:<prompt hmac>``; a row with
        an existing key replaces it), ``source`` (str), and optionally ``request_id``, ``label``
        ("good"/"bad"), ``local_ok`` (bool or None when the label says nothing about the local
        model), ``note``, ``tier``, ``backend``, ``zone``, ``prompt`` (None unless storing text is
        allowed), ``features`` (JSON-able dict), ``ts`` (default now).
        """
        now = self._now()
        values = []
        for r in rows:
            ok = r.get("local_ok")
            feats = r.get("features")
            values.append((str(r["key"]), float(r.get("ts") or now), r.get("request_id"), r.get("label"),
                           None if ok is None else int(bool(ok)), str(r["source"]), r.get("note"),
                           r.get("tier"), r.get("backend"), r.get("zone"), r.get("prompt"),
                           None if feats is None else json.dumps(feats, separators=(",", ":"))))
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO feedback(key, ts, request_id, label, local_ok, source, note, tier, backend, zone, "
                "prompt, features) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET "
                "ts = excluded.ts, request_id = excluded.request_id, label = excluded.label, "
                "local_ok = excluded.local_ok, source = excluded.source, note = excluded.note, "
                "tier = excluded.tier, backend = excluded.backend, zone = excluded.zone, "
                "prompt = excluded.prompt, features = excluded.features", values)
        return len(values)

    @_guard
    def feedback(self, *, labelled_only: bool = False) -> list[dict]:
        """Every stored label, oldest first, as dicts with the keys :meth:`add_feedback` takes plus
        ``id``; ``local_ok`` is a bool or None, ``features`` a dict or None. ``labelled_only`` keeps
        the rows whose ``local_ok`` is known (the training set)."""
        sql = ("SELECT id, key, ts, request_id, label, local_ok, source, note, tier, backend, zone, prompt, "
               "features FROM feedback" + (" WHERE local_ok IS NOT NULL" if labelled_only else "") + " ORDER BY id")
        out = []
        for r in self._connection().execute(sql):
            out.append({"id": r[0], "key": r[1], "ts": r[2], "request_id": r[3], "label": r[4],
                        "local_ok": None if r[5] is None else bool(r[5]), "source": r[6], "note": r[7],
                        "tier": r[8], "backend": r[9], "zone": r[10], "prompt": r[11],
                        "features": None if r[12] is None else json.loads(r[12])})
        return out

    @_guard
    def judge_cache_get(self, key: str, *, max_age_s: float | None = None) -> dict | None:
        """The cached judge verdict (dict) under ``key`` (an HMAC of model + prompt, never the prompt),
        or None when absent or older than ``max_age_s`` seconds."""
        row = self._connection().execute("SELECT ts, verdict FROM judge_cache WHERE key = ?", (key,)).fetchone()
        if row is None or (max_age_s is not None and self._now() - float(row[0]) > max_age_s):
            return None
        try:
            value = json.loads(row[1])
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    @_guard
    def judge_cache_put(self, key: str, verdict: dict) -> None:
        """Store a judge verdict (JSON-able dict) under ``key``, replacing an older one."""
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO judge_cache(key, ts, verdict) VALUES (?, ?, ?)",
                         (key, self._now(), json.dumps(verdict, separators=(",", ":"))))


def _recent_dict(row) -> dict:
    return {"request_id": row[0], "ts": row[1], "tier": row[2], "backend": row[3], "zone": row[4],
            "prompt": row[5], "features": None if row[6] is None else json.loads(row[6])}


def percentile(sorted_values: list[float], p: float) -> float | None:
    """The ``p``-th percentile (0-100) of ascending ``sorted_values`` by linear interpolation between
    closest ranks (numpy's default); None for an empty list."""
    n = len(sorted_values)
    if n == 0:
        return None
    if n == 1:
        return float(sorted_values[0])
    pos = (n - 1) * p / 100.0
    lo = math.floor(pos)
    hi = min(lo + 1, n - 1)
    frac = pos - lo
    return float(sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * frac)
