"""The shared state db: budgets hold across 8 processes, SIGKILL leaves nothing behind, exact percentiles,
cooldowns expire, schema migration, clear one-line errors for bad files and directories."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sqlite3
import stat
import tempfile
import threading
import time
from pathlib import Path

import pytest

from hrouter import state as state_mod
from hrouter.errors import ExitStatus, HrouterError
from hrouter.state import (SCHEMA_VERSION, STALE_AFTER_S, Reservation, StateDB, StateError,
                           percentile)

CTX = multiprocessing.get_context("fork")


class Clock:
    """A settable clock (time.time() seconds)."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path):
    store = StateDB(tmp_path / "state" / "state.db")
    yield store
    store.close()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def cdb(tmp_path, clock):
    store = StateDB(tmp_path / "state" / "state.db", clock=clock)
    yield store
    store.close()


# --------------------------------------------------------------------------- creation and files


def test_lazy_creation_default_path_mode_0600_and_wal(hrouter_home):
    store = StateDB.open_default()
    path = hrouter_home / "state" / "state.db"
    assert store.path == path
    assert not path.exists()  # nothing touched until first use
    store.record_latency("local", 10, 20, True)
    assert path.exists()
    for suffix in ("", "-wal", "-shm"):
        f = Path(str(path) + suffix)
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, suffix
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()
    store.close()


def test_migration_from_version_0_and_idempotent_reopen(tmp_path):
    path = tmp_path / "state.db"
    path.write_bytes(b"")  # an empty file is an SQLite database at user_version 0
    s1 = StateDB(path)
    s1.record_spend("sess", "cloud", 0.25)
    s1.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"meta", "spend", "reservation", "inflight", "latency", "cooldown"} <= tables
    assert state_mod.migrate(conn) == SCHEMA_VERSION  # nothing left to do
    conn.close()
    for _ in range(2):  # re-open twice: same schema, data kept
        s = StateDB(path)
        assert s.session_spend("sess", window_s=None).spent_usd == pytest.approx(0.25)
        s.close()


def test_migration_of_an_existing_sqlite_file_at_version_0(tmp_path):
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE unrelated (x)")
    conn.commit()
    conn.close()
    s = StateDB(path)
    assert s.inflight("local") == 0
    s.close()
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_newer_schema_is_a_clear_error(tmp_path):
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(StateError) as exc:
        StateDB(path).inflight("local")
    msg = str(exc.value)
    assert str(path) in msg and "newer" in msg and "\n" not in msg


@pytest.mark.parametrize("content", [
    b"this is not a database at all\n" * 200,
    b"SQLite format 3\x00" + bytes(random.Random(1).getrandbits(8) for _ in range(8192)),
])
def test_corrupt_file_is_one_line_state_error_naming_the_path(tmp_path, content):
    path = tmp_path / "state.db"
    path.write_bytes(content)
    with pytest.raises(StateError) as exc:
        store = StateDB(path)
        store.reserve("s", "cloud", 0.1, ceiling_usd=1.0, window_s=None)
    err = exc.value
    assert isinstance(err, HrouterError) and err.exit_status == ExitStatus.BACKEND_ERROR == 1
    msg = str(err)
    assert str(path) in msg and "\n" not in msg
    assert "not a valid SQLite database" in msg or "malformed" in msg
    assert err.__cause__ is None and err.__suppress_context__  # no chained traceback


def test_parent_is_a_file_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    path = blocker / "state.db"
    with pytest.raises(StateError) as exc:
        StateDB(path).cool_down("cloud", 5, "x")
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)


def _unwritable_child(directory: str, conn) -> None:
    try:
        if os.geteuid() == 0:
            os.setgid(65534)
            os.setuid(65534)  # nobody: root would bypass the mode bits
        path = Path(directory) / "sub" / "state.db"
        try:
            StateDB(path).reserve("s", "cloud", 0.1, ceiling_usd=1.0, window_s=None)
            conn.send(("no error", ""))
        except StateError as exc:
            conn.send(("StateError", str(exc)))
        except BaseException as exc:  # noqa: BLE001 - report anything else to the parent
            conn.send((type(exc).__name__, str(exc)))
    finally:
        conn.close()


@pytest.mark.parametrize("existing_db", [False, True])
def test_unwritable_directory_is_a_clear_error(existing_db):
    top = tempfile.mkdtemp(prefix="hrouter-ro-")
    try:
        sub = Path(top) / "sub"
        sub.mkdir()
        if existing_db:  # the db exists but WAL needs to create files next to it
            s = StateDB(sub / "state.db")
            s.record_spend("s", "cloud", 0.1)
            s.close()
            for f in sub.iterdir():
                if f.name != "state.db":
                    f.unlink()
            os.chmod(sub / "state.db", 0o644)
        os.chmod(top, 0o755)
        os.chmod(sub, 0o555)
        parent, child = CTX.Pipe()
        p = CTX.Process(target=_unwritable_child, args=(top, child))
        p.start()
        kind, msg = parent.recv()
        p.join(10)
        assert kind == "StateError", (kind, msg)
        assert str(sub / "state.db") in msg and "\n" not in msg
    finally:
        os.chmod(Path(top) / "sub", 0o755)
        for f in (Path(top) / "sub").iterdir():
            f.unlink()
        (Path(top) / "sub").rmdir()
        os.rmdir(top)


def test_lock_held_too_long_is_a_clear_error(tmp_path):
    path = tmp_path / "state.db"
    StateDB(path).inflight("x")  # create
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        store = StateDB(path, busy_timeout_s=0.2)
        t0 = time.monotonic()
        with pytest.raises(StateError) as exc:
            store.reserve("s", "cloud", 0.1, ceiling_usd=1.0, window_s=None)
        assert time.monotonic() - t0 < 3
        assert "locked" in str(exc.value) and str(path) in str(exc.value)
        assert store.inflight("x") == 0  # WAL: reads still work while another process writes
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.reserve("s", "cloud", 0.1, ceiling_usd=1.0, window_s=None) is not None


# --------------------------------------------------------------------------- budget ledger


def test_reserve_settle_release_against_a_ceiling(db):
    r1 = db.reserve("s", "cloud", 0.4, ceiling_usd=1.0, window_s=None)
    r2 = db.reserve("s", "cloud", 0.4, ceiling_usd=1.0, window_s=None)
    assert isinstance(r1, Reservation) and r2 is not None and r1.id != r2.id
    assert db.reserve("s", "cloud", 0.4, ceiling_usd=1.0, window_s=None) is None  # 0.8 + 0.4 > 1
    assert db.reserve("other", "cloud", 0.4, ceiling_usd=1.0, window_s=None) is not None  # per session
    sp = db.session_spend("s", window_s=None)
    assert (sp.spent_usd, sp.reserved_usd, sp.reservations, sp.entries) == (0.0, pytest.approx(0.8), 2, 0)
    db.settle(r1, 0.1)
    db.release(r2)
    sp = db.session_spend("s", window_s=None)
    assert sp.spent_usd == pytest.approx(0.1) and sp.reserved_usd == 0.0 and sp.entries == 1
    assert sp.remaining_usd(1.0) == pytest.approx(0.9) and sp.share(1.0) == pytest.approx(0.1)
    assert sp.remaining_usd(None) is None and sp.share(None) is None
    assert db.reserve("s", "cloud", 0.9, ceiling_usd=1.0, window_s=None) is not None  # exactly at the ceiling


def test_settle_is_idempotent_and_release_after_settle_is_harmless(db):
    r = db.reserve("s", "cloud", 0.3, ceiling_usd=None, window_s=None)
    db.settle(r, 0.2)
    db.settle(r, 0.2)
    db.release(r)
    sp = db.session_spend("s", window_s=None)
    assert sp.entries == 1 and sp.spent_usd == pytest.approx(0.2) and sp.reserved_usd == 0


def test_no_ceiling_always_grants_zero_cost_always_grants(db):
    for _ in range(5):
        assert db.reserve("s", "cloud", 10.0, ceiling_usd=None, window_s=None) is not None
    db.record_spend("t", "cloud", 2.0)
    assert db.reserve("t", "cloud", 0.01, ceiling_usd=1.0, window_s=None) is None
    assert db.reserve("t", "local", 0.0, ceiling_usd=1.0, window_s=None) is not None  # local stays allowed
    with pytest.raises(ValueError):
        db.reserve("t", "cloud", -1.0, ceiling_usd=1.0, window_s=None)
    with pytest.raises(ValueError):
        db.reserve("t", "cloud", float("nan"), ceiling_usd=1.0, window_s=None)


def test_rolling_window(cdb, clock):
    cdb.record_spend("s", "cloud", 0.6)
    t0 = clock.now
    clock.now += 1800
    cdb.record_spend("s", "cloud", 0.3)
    sp = cdb.session_spend("s", window_s=3600)
    assert sp.spent_usd == pytest.approx(0.9) and sp.entries == 2
    assert sp.window_start == clock.now - 3600 and sp.window_end == clock.now
    assert sp.frees_at == t0 + 3600
    assert cdb.reserve("s", "cloud", 0.2, ceiling_usd=1.0, window_s=3600) is None
    clock.now = t0 + 3600.5  # the first entry leaves the window
    sp = cdb.session_spend("s", window_s=3600)
    assert sp.spent_usd == pytest.approx(0.3) and sp.entries == 1
    assert cdb.reserve("s", "cloud", 0.2, ceiling_usd=1.0, window_s=3600) is not None
    all_time = cdb.session_spend("s", window_s=None)
    assert all_time.spent_usd == pytest.approx(0.9) and all_time.window_start is None
    assert all_time.frees_at is None
    assert cdb.reserve("s", "cloud", 0.2, ceiling_usd=1.0, window_s=None) is None


def test_reset_session_and_sessions(db):
    db.record_spend("a", "cloud", 0.5)
    db.record_spend("a", "cloud", 0.5)
    r = db.reserve("a", "cloud", 0.2, ceiling_usd=None, window_s=None)
    db.record_spend("b", "cloud", 0.1)
    assert db.sessions() == ["a", "b"]
    assert db.reset_session("a") == 2
    sp = db.session_spend("a", window_s=None)
    assert sp.spent_usd == 0 and sp.reserved_usd == 0
    db.settle(r, 0.2)  # a call in flight during the reset still records its spend
    assert db.session_spend("a", window_s=None).spent_usd == pytest.approx(0.2)
    assert db.session_spend("b", window_s=None).spent_usd == pytest.approx(0.1)


def test_old_reservations_expire_by_age_but_their_settle_still_counts(cdb, clock):
    r = cdb.reserve("s", "cloud", 1.0, ceiling_usd=1.0, window_s=None)
    assert cdb.reserve("s", "cloud", 0.5, ceiling_usd=1.0, window_s=None) is None
    clock.now += STALE_AFTER_S + 1  # owner (this process) alive, but the entry is too old
    assert cdb.session_spend("s", window_s=None).reserved_usd == 0
    r2 = cdb.reserve("s", "cloud", 0.5, ceiling_usd=1.0, window_s=None)
    assert r2 is not None
    cdb.settle(r, 0.7)  # the slow call finally reports: the money was spent, it is recorded
    sp = cdb.session_spend("s", window_s=None)
    assert sp.spent_usd == pytest.approx(0.7) and sp.reserved_usd == pytest.approx(0.5)


def _insert_reservation(path: Path, *, pid: int, start: str | None, owner: str, ts: float, amount=1.0):
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO reservation(session, backend, amount_nusd, ts, pid, start, owner) "
                 "VALUES ('s', 'cloud', ?, ?, ?, ?, ?)", (round(amount * 1e9), ts, pid, start, owner))
    conn.execute("INSERT INTO inflight(backend, ts, pid, start, owner) VALUES ('local', ?, ?, ?, ?)",
                 (ts, pid, start, owner))
    conn.close()


def test_recycled_pid_is_dead_foreign_owner_expires_by_age_only(cdb, clock):
    cdb.inflight("local")  # create
    pid, start, owner = state_mod._self_identity()
    if start is None:
        pytest.skip("no /proc start times here")
    # our own pid but another start time: a previous process whose pid was recycled -> dead
    _insert_reservation(cdb.path, pid=pid, start=str(int(start) - 1), owner=owner, ts=clock.now)
    assert cdb.session_spend("s", window_s=None).reserved_usd == 0
    assert cdb.inflight("local") == 0
    # a dead pid on another host / pid namespace cannot be checked: it counts until it is too old
    _insert_reservation(cdb.path, pid=2**22 + 7, start="1", owner="elsewhere/1", ts=clock.now)
    assert cdb.session_spend("s", window_s=None).reserved_usd == pytest.approx(1.0)
    assert cdb.inflight("local") == 1
    clock.now += STALE_AFTER_S + 1
    assert cdb.session_spend("s", window_s=None).reserved_usd == 0
    assert cdb.inflight("local") == 0


# --------------------------------------------------------------------------- 8 processes


AMOUNT = 0.0125  # 1/80: exact in binary


def _budget_worker(path: str, worker: int, cycles: int, ceiling: float, mode: str, out: str) -> None:
    rng = random.Random(worker)
    store = StateDB(path)
    log = []
    for i in range(cycles):
        r = store.reserve("shared", "cloud", AMOUNT, ceiling_usd=ceiling, window_s=3600)
        if r is None:
            log.append({"i": i, "granted": False})
            continue
        time.sleep(rng.uniform(0, 0.002))  # the "call"
        if mode == "random" and rng.random() < 0.15:
            store.release(r)
            log.append({"i": i, "granted": True, "id": r.id, "released": True})
            continue
        actual = AMOUNT if mode == "exact" else round(AMOUNT * rng.uniform(0.5, 1.0), 9)
        store.settle(r, actual)
        log.append({"i": i, "granted": True, "id": r.id, "actual": actual})
    store.close()
    Path(out).write_text(json.dumps(log))


def _run_workers(tmp_path: Path, ceiling: float, mode: str, procs=8, cycles=20):
    path = tmp_path / "fresh" / "state.db"  # all 8 create and migrate it at once
    outs = [tmp_path / f"w{w}.json" for w in range(procs)]
    ps = [CTX.Process(target=_budget_worker, args=(str(path), w, cycles, ceiling, mode, str(outs[w])))
          for w in range(procs)]
    for p in ps:
        p.start()
    for p in ps:
        p.join(120)
        assert p.exitcode == 0
    logs = [json.loads(o.read_text()) for o in outs]
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT reservation_id, amount_nusd / 1e9 FROM spend WHERE session = 'shared'").fetchall()
    left = conn.execute("SELECT COUNT(*) FROM reservation").fetchone()[0]
    conn.close()
    return path, logs, dict(rows), left


def test_8_processes_exact_cost_never_exceed_the_ceiling(tmp_path):
    ceiling = 1.0  # room for exactly 80 of the 160 requests
    path, logs, ledger, left = _run_workers(tmp_path, ceiling, "exact")
    granted = [e for log in logs for e in log if e["granted"]]
    assert len(granted) == 80 and len(ledger) == 80 and left == 0
    assert sum(ledger.values()) == pytest.approx(1.0)
    assert StateDB(path).reserve("shared", "cloud", AMOUNT, ceiling_usd=ceiling, window_s=3600) is None
    for log in logs:  # spend only grows: once refused, a process is refused to the end
        first_refusal = next((e["i"] for e in log if not e["granted"]), None)
        if first_refusal is not None:
            assert all(not e["granted"] for e in log if e["i"] > first_refusal)


def test_8_processes_x_20_cycles_budget_runs_out_mid_way(tmp_path):
    ceiling = 1.0
    path, logs, ledger, left = _run_workers(tmp_path, ceiling, "random")
    entries = [e for log in logs for e in log]
    assert len(entries) == 160
    settled = {e["id"]: e["actual"] for e in entries if e.get("actual") is not None}
    released = [e for e in entries if e.get("released")]
    refused = [e for e in entries if not e["granted"]]
    # nothing lost, nothing duplicated, nothing left reserved
    assert ledger == pytest.approx(settled) and set(ledger) == set(settled)
    assert left == 0
    total = sum(ledger.values())
    assert total <= ceiling + AMOUNT + 1e-9
    assert total <= ceiling + 1e-9  # actual <= reserved: not even one reservation over
    assert released and refused and settled  # ran out mid-way, with releases mixed in
    assert len(settled) + len(released) >= ceiling / AMOUNT  # the budget was not wasted
    store = StateDB(path)
    sp = store.session_spend("shared", window_s=3600)
    assert sp.spent_usd == pytest.approx(total) and sp.reserved_usd == 0 and sp.entries == len(settled)
    assert ceiling - total < AMOUNT  # later reservations are refused
    assert store.reserve("shared", "cloud", AMOUNT, ceiling_usd=ceiling, window_s=3600) is None


def _capacity_worker(path: str, worker: int, limit: int, out: str) -> None:
    store = StateDB(path)
    spans, refused = [], 0
    for _ in range(15):
        tok = store.try_begin_request("local", limit)
        if tok is None:
            refused += 1
            time.sleep(0.001)
            continue
        t0 = time.monotonic()
        time.sleep(0.003)
        t1 = time.monotonic()
        store.end_request(tok)
        spans.append((t0, t1))
    Path(out).write_text(json.dumps({"spans": spans, "refused": refused}))


def test_8_processes_try_begin_request_never_exceed_the_limit(tmp_path):
    path = tmp_path / "state.db"
    limit = 2
    outs = [tmp_path / f"c{w}.json" for w in range(8)]
    ps = [CTX.Process(target=_capacity_worker, args=(str(path), w, limit, str(outs[w]))) for w in range(8)]
    for p in ps:
        p.start()
    for p in ps:
        p.join(120)
        assert p.exitcode == 0
    results = [json.loads(o.read_text()) for o in outs]
    events = sorted([(t0, 1) for r in results for t0, _ in r["spans"]] +
                    [(t1, -1) for r in results for _, t1 in r["spans"]], key=lambda e: (e[0], e[1]))
    level = peak = 0
    for _, delta in events:
        level += delta
        peak = max(peak, level)
    assert 1 <= peak <= limit
    assert sum(r["refused"] for r in results) > 0
    assert StateDB(path).inflight("local") == 0


# --------------------------------------------------------------------------- SIGKILL


def _holder(path: str, ready) -> None:
    store = StateDB(path)
    store.reserve("s", "cloud", 0.75, ceiling_usd=1.0, window_s=None)
    store.begin_request("local")
    ready.set()
    time.sleep(120)


def _proc_state(pid: int) -> str | None:
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return None
    return data[data.rindex(b")") + 2:].split()[0].decode()


@pytest.mark.parametrize("reaped", [True, False])
def test_sigkilled_process_leaves_no_reservation_or_inflight(tmp_path, reaped):
    path = tmp_path / "state.db"
    store = StateDB(path)
    ready = CTX.Event()
    p = CTX.Process(target=_holder, args=(str(path), ready))
    p.start()
    try:
        assert ready.wait(30)
        # alive: both count, from another process's point of view
        sp = store.session_spend("s", window_s=None)
        assert sp.reserved_usd == pytest.approx(0.75) and sp.reservations == 1
        assert store.inflight("local") == 1
        assert store.reserve("s", "cloud", 0.5, ceiling_usd=1.0, window_s=None) is None
        assert store.try_begin_request("local", 1) is None
        os.kill(p.pid, signal.SIGKILL)
        if reaped:
            p.join(10)
        else:  # a zombie (killed, not yet waited for) is dead too
            deadline = time.monotonic() + 10
            while _proc_state(p.pid) not in ("Z", None) and time.monotonic() < deadline:
                time.sleep(0.01)
            if _proc_state(p.pid) is None:
                pytest.skip("no /proc: zombies cannot be told apart")
        sp = store.session_spend("s", window_s=None)
        assert sp.reserved_usd == 0 and sp.reservations == 0
        assert store.inflight("local") == 0
        assert store.reserve("s", "cloud", 1.0, ceiling_usd=1.0, window_s=None) is not None
        assert store.try_begin_request("local", 1) is not None
        conn = sqlite3.connect(path)  # and purged, not just ignored
        assert conn.execute("SELECT COUNT(*) FROM reservation WHERE pid = ?", (p.pid,)).fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM inflight WHERE pid = ?", (p.pid,)).fetchone()[0] == 0
        conn.close()
    finally:
        if p.is_alive():
            p.kill()
        p.join(10)


# --------------------------------------------------------------------------- in-flight


def test_begin_end_request_counts(db):
    t1 = db.begin_request("local")
    t2 = db.begin_request("local")
    assert db.inflight("local") == 2 and db.inflight("cloud") == 0
    assert db.try_begin_request("local", 2) is None
    t3 = db.try_begin_request("local", None)
    assert t3 is not None and db.inflight("local") == 3
    for t in (t1, t2, t3, t3):  # ending twice is harmless
        db.end_request(t)
    assert db.inflight("local") == 0
    assert db.try_begin_request("local", 1) is not None


def test_inflight_expires_by_age(cdb, clock):
    cdb.begin_request("local")
    clock.now += STALE_AFTER_S - 1
    assert cdb.inflight("local") == 1
    clock.now += 2
    assert cdb.inflight("local") == 0


# --------------------------------------------------------------------------- latency


def test_latency_percentiles_exact(db):
    ttfts = [100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]
    for i, t in enumerate(random.Random(3).sample(ttfts, len(ttfts))):
        db.record_latency("local", t, t * 3, True)
    st = db.latency_stats("local")
    assert (st.count, st.ok_count, st.error_rate) == (10, 10, 0.0)
    assert st.ttft_p50_ms == 550.0  # linear interpolation between 500 and 600
    assert st.ttft_p95_ms == pytest.approx(955.0)  # 900 + 0.55 * 100
    assert st.total_p50_ms == 1650.0 and st.total_p95_ms == pytest.approx(2865.0)


def test_latency_last_n_failures_and_missing_values(db):
    assert db.latency_stats("never") is None
    for t in range(1, 101):  # 1..100 ms, the last 50 are 51..100
        db.record_latency("cloud", t, None, True)
    st = db.latency_stats("cloud", last_n=50)
    assert st.count == 50 and st.ttft_p50_ms == 75.5 and st.ttft_p95_ms == pytest.approx(97.55)
    assert st.total_p50_ms is None and st.total_p95_ms is None
    db.record_latency("cloud", None, 120_000, False)  # a timeout: counted as an error, not a latency
    st = db.latency_stats("cloud", last_n=4)
    assert (st.count, st.ok_count, st.error_rate) == (4, 3, 0.25)
    assert st.ttft_p50_ms == 99.0 and st.total_p50_ms is None
    db.record_latency("one", 42, 84, True)
    st = db.latency_stats("one", last_n=50)
    assert st.ttft_p50_ms == st.ttft_p95_ms == 42.0 and st.total_p95_ms == 84.0


def test_latency_max_age_and_trimming(cdb, clock):
    cdb.record_latency("b", 1000, 2000, True)
    clock.now += 600
    cdb.record_latency("b", 10, 20, True)
    assert cdb.latency_stats("b", max_age_s=300).count == 1
    assert cdb.latency_stats("b").count == 2
    for i in range(state_mod.LATENCY_KEEP + 200):
        cdb.record_latency("c", i, i, True)
    conn = sqlite3.connect(cdb.path)
    n = conn.execute("SELECT COUNT(*) FROM latency WHERE backend = 'c'").fetchone()[0]
    conn.close()
    assert state_mod.LATENCY_KEEP <= n < state_mod.LATENCY_KEEP + 64
    assert cdb.latency_stats("c", last_n=1).ttft_p50_ms == state_mod.LATENCY_KEEP + 199


def test_percentile_helper():
    assert percentile([], 50) is None
    assert percentile([7.0], 95) == 7.0
    assert percentile([1.0, 2.0], 50) == 1.5
    assert percentile([1.0, 2.0, 3.0], 100) == 3.0 and percentile([1.0, 2.0, 3.0], 0) == 1.0


# --------------------------------------------------------------------------- cooldowns


def test_cooldown_expires_and_is_never_shortened(cdb, clock):
    assert cdb.cooldown("cloud") is None
    cdb.cool_down("cloud", 30, "HTTP 529\noverloaded")
    cd = cdb.cooldown("cloud")
    assert cd.until_ts == clock.now + 30 and cd.reason == "HTTP 529 overloaded"
    assert cd.remaining_s(clock.now) == 30
    cdb.cool_down("cloud", 5, "connection refused")  # shorter: the longer one stays
    assert cdb.cooldown("cloud").until_ts == clock.now + 30
    clock.now += 29
    assert cdb.cooldown("cloud") is not None and [c.backend for c in cdb.cooldowns()] == ["cloud"]
    clock.now += 1.001
    assert cdb.cooldown("cloud") is None and cdb.cooldowns() == []
    cdb.cool_down("cloud", 60, "429 retry-after 60")
    cdb.cool_down("cloud", 120, "429 retry-after 120")  # longer: extends
    assert cdb.cooldown("cloud").until_ts == clock.now + 120
    cdb.clear_cooldown("cloud")
    assert cdb.cooldown("cloud") is None


def test_cooldown_is_seen_by_other_processes(tmp_path):
    path = tmp_path / "state.db"
    p = CTX.Process(target=lambda: StateDB(path).cool_down("cloud", 60, "timeout"))
    p.start()
    p.join(10)
    assert p.exitcode == 0
    cd = StateDB(path).cooldown("cloud")
    assert cd is not None and cd.reason == "timeout" and 55 < cd.until_ts - time.time() <= 60


# --------------------------------------------------------------------------- maintenance


def test_maintenance_at_open_purges_stale_rows_old_spend_and_expired_cooldowns(tmp_path, clock):
    path = tmp_path / "state.db"
    s = StateDB(path, clock=clock)
    s.record_spend("old", "cloud", 1.0)
    s.cool_down("cloud", 10, "x")
    s.close()
    _insert_reservation(path, pid=2**22 + 7, start="1", owner="elsewhere/1", ts=clock.now)
    clock.now += state_mod.SPEND_RETENTION_S + 1
    s = StateDB(path, clock=clock)
    s.record_spend("new", "cloud", 0.5)
    conn = sqlite3.connect(path)
    counts = [conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
              for t in ("reservation", "inflight", "cooldown", "spend")]
    conn.close()
    assert counts == [0, 0, 0, 1]
    assert s.sessions() == ["new"]
    s.close()


def test_clock_stepping_back_keeps_the_ledger_consistent(cdb, clock):
    cdb.record_spend("s", "cloud", 0.25)
    clock.now -= 3600  # NTP step back: new entries are not dated before the last one
    cdb.record_spend("s", "cloud", 0.5)
    sp = cdb.session_spend("s", window_s=60)
    assert sp.spent_usd == pytest.approx(0.75) and sp.entries == 2  # "future" entries still count
    clock.now += 3600 + 30
    assert cdb.session_spend("s", window_s=60).entries == 2
    clock.now += 31
    sp = cdb.session_spend("s", window_s=60)
    assert sp.spent_usd == 0 and sp.entries == 0


def test_close_checkpoints_a_big_wal_and_reopens(tmp_path, monkeypatch):
    path = tmp_path / "state.db"
    other = StateDB(path)
    other.inflight("x")  # keeps a connection open: closing ours is not the last close
    s = StateDB(path)
    for _ in range(20):
        s.end_request(s.begin_request("x"))
    monkeypatch.setattr(state_mod, "CLOSE_CHECKPOINT_BYTES", 1)
    frames_before = s.checkpoint()
    assert frames_before[0] >= frames_before[1] >= 0
    s.record_latency("x", 1, 2, True)
    s.close()
    assert s.latency_stats("x").count == 1  # reopened on use
    s.close()
    other.close()


# --------------------------------------------------------------------------- fork and threads


def test_store_opened_before_fork_works_in_child_and_parent(tmp_path):
    store = StateDB(tmp_path / "state.db")
    store.record_spend("s", "cloud", 0.1)

    def child():
        store.record_spend("s", "cloud", 0.2)
        os._exit(0)

    p = CTX.Process(target=child)
    p.start()
    p.join(10)
    assert p.exitcode == 0
    store.record_spend("s", "cloud", 0.3)
    assert store.session_spend("s", window_s=None).spent_usd == pytest.approx(0.6)


def test_threads_share_one_store(db):
    errors = []

    def work():
        try:
            for _ in range(25):
                r = db.reserve("t", "cloud", 0.01, ceiling_usd=0.5, window_s=None)
                if r:
                    db.settle(r, 0.01)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    ts = [threading.Thread(target=work) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    sp = db.session_spend("t", window_s=None)
    assert sp.entries == 50 and sp.spent_usd == pytest.approx(0.5)


# --------------------------------------------------------------------------- schema v2: labels, judge cache


def test_v1_database_migrates_to_v2_keeping_its_rows(tmp_path):
    path = tmp_path / "state.db"
    conn = sqlite3.connect(path)
    for statement in state_mod._MIGRATIONS[0]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO cooldown(backend, until_ts, reason, since_ts) VALUES ('b', 9e12, 'x', 0)")
    conn.commit()
    conn.close()
    with StateDB(path) as db:
        assert db.cooldown("b").reason == "x"
        assert db.feedback() == []
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    conn.close()


def test_feedback_upserts_by_key_and_filters_labelled(tmp_path):
    clock = [1000.0]
    with StateDB(tmp_path / "s.db", clock=lambda: clock[0]) as db:
        assert db.add_feedback([
            {"key": "req:a", "source": "cli", "request_id": "a", "label": "bad", "local_ok": False,
             "zone": "local", "features": {"tokens": 12}},
            {"key": "req:b", "source": "cli", "request_id": "b", "label": "good", "local_ok": None,
             "zone": "public-cloud"},
        ]) == 2
        clock[0] = 2000.0
        db.add_feedback([{"key": "req:a", "source": "cli", "request_id": "a", "label": "good",
                          "local_ok": True, "note": "fine after all"}])
        rows = db.feedback()
        assert [(r["key"], r["label"], r["local_ok"]) for r in rows] == [("req:a", "good", True),
                                                                          ("req:b", "good", None)]
        assert rows[0]["ts"] == 2000.0 and rows[0]["note"] == "fine after all" and rows[0]["features"] is None
        assert [r["key"] for r in db.feedback(labelled_only=True)] == ["req:a"]


def test_recent_requests_are_trimmed_to_the_newest(tmp_path, monkeypatch):
    monkeypatch.setattr(state_mod, "RECENT_REQUESTS_KEEP", 3)
    clock = [0.0]
    with StateDB(tmp_path / "s.db", clock=lambda: clock[0]) as db:
        for i in range(5):
            clock[0] = float(i)
            db.remember_request(f"r{i}", tier="public", backend="local", zone="local", features={"i": i})
        assert db.recent_request("r1") is None
        assert db.recent_request("r4")["features"] == {"i": 4}
        assert [db.recent_request(f"r{i}") is not None for i in range(5)] == [False, False, True, True, True]


def test_judge_cache_roundtrip_and_expiry(tmp_path):
    clock = [100.0]
    with StateDB(tmp_path / "s.db", clock=lambda: clock[0]) as db:
        assert db.judge_cache_get("k") is None
        db.judge_cache_put("k", {"complexity": 0.4, "needs_cloud": False})
        clock[0] = 150.0
        assert db.judge_cache_get("k", max_age_s=60) == {"complexity": 0.4, "needs_cloud": False}
        assert db.judge_cache_get("k", max_age_s=10) is None
