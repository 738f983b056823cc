"""State-db benchmark: the cost of the shared SQLite store's operations, in microseconds.

Run from the project root with the venv's interpreter::

    .venv/bin/python bench/state.py [--runs N] [--procs P] [--dir DIR] [--check]

Stdlib only. The database lives in a fresh temp directory (``--dir`` puts it elsewhere, e.g. on the
file system of your real state dir: the cost is dominated by the file system's locking and write
path). It is pre-filled like a busy day (1,000 settled spend entries in the session, 1,000 latency
samples per backend) so the windowed sums and the latency query are not measured on empty tables.

Rows (p50 / p99 / max over ``--runs`` iterations, after 50 warm-up iterations):

- ``reserve + settle``: one :meth:`StateDB.reserve` with a ceiling and a 24 h window, then
  :meth:`StateDB.settle`: the two write transactions a paid call adds. Target: p99 <= 2 ms.
- ``reserve + release``: the failed-call path.
- ``try_begin + end_request``: the capacity slot around a call (limit 4).
- ``latency_stats(last_n=50)``, ``session_spend``, ``cooldown``, ``inflight``: the reads a routing
  decision makes.
- ``open + first read``: a new :class:`StateDB` and its first query on an existing file (what each
  ``hrouter`` process pays once: connect, WAL/schema checks).
- ``one ask's state work, open to close``: what one ``hrouter ask`` adds: open, cooldown,
  session_spend, latency_stats, reserve, try_begin/end_request, settle, record_latency, close
  (close checkpoints the WAL once it passes 4 MiB: that is the tail of this row).
- with ``--procs P`` (default 8; 0 skips it): P processes doing ``reserve + settle`` at once in one
  session, each timing its own pairs (lock waits included), first with a random pause between
  pairs (uniform, mean ``--pause-ms``, default 20 ms: the call itself), then with none (a stress
  test: 8 processes on a 2-CPU machine saturate it; real calls take far longer than the pair).

Exit status 0 (it is a report) unless ``--check`` is given: then 1 when reserve + settle p99
(single process) exceeds 2 ms.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hrouter.state import StateDB  # noqa: E402

TARGET_US = 2000.0
WARMUP = 50
SESSION = "bench"
CEILING = 1e9
WINDOW_S = 86400.0


def _pct(values: list[float], p: float) -> float:
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


def _timeit(fn, runs: int) -> list[float]:
    for _ in range(WARMUP):
        fn()
    out = []
    clock = time.perf_counter_ns
    for _ in range(runs):
        t0 = clock()
        fn()
        out.append((clock() - t0) / 1000.0)
    return out


def _row(name: str, us: list[float]) -> tuple[str, float, float, float]:
    return name, _pct(us, 50), _pct(us, 99), max(us)


def _prefill(path: Path) -> None:
    """A busy day: 1,000 spend entries over the last ~17 h, 1,000 latency samples per backend."""
    t = [time.time() - 1000 * 60]
    past = StateDB(path, clock=lambda: t[0])
    for _ in range(1000):
        past.record_spend(SESSION, "cloud", 0.001)
        t[0] += 60
    past.close()
    db = StateDB(path)
    for backend in ("local", "cloud"):
        for i in range(1000):
            db.record_latency(backend, 100 + i % 200, 500 + i % 700, i % 20 != 0)
    db.cool_down("cloud-b", 60, "bench")


def _contender(path: str, runs: int, pause_ms: float, start, out) -> None:
    import random
    rng = random.Random(os.getpid())
    db = StateDB(path)
    db.inflight("x")  # connect before the start line
    start.wait()
    us = []
    clock = time.perf_counter_ns
    for _ in range(runs):
        t0 = clock()
        r = db.reserve(SESSION, "cloud", 0.001, ceiling_usd=CEILING, window_s=WINDOW_S)
        db.settle(r, 0.0009)
        us.append((clock() - t0) / 1000.0)
        if pause_ms:
            time.sleep(rng.uniform(0, 2 * pause_ms) / 1000)
    out.put(us)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=2000, help="timed iterations per row (default 2000)")
    ap.add_argument("--procs", type=int, default=8, help="concurrent processes for the contention row (0: skip)")
    ap.add_argument("--pause-ms", type=float, default=20.0,
                    help="mean random pause between a contender's pairs (the 'call'), ms (default 20; "
                         "a second row uses 0: a stress test, not a workload)")
    ap.add_argument("--dir", help="directory for the database (default: a fresh temp dir)")
    ap.add_argument("--check", action="store_true", help="exit 1 when reserve + settle p99 > 2 ms")
    args = ap.parse_args(argv)

    base = Path(tempfile.mkdtemp(prefix="hrouter-bench-", dir=args.dir))
    path = base / "state.db"
    _prefill(path)
    db = StateDB(path)
    rows = []

    def reserve_settle():
        r = db.reserve(SESSION, "cloud", 0.001, ceiling_usd=CEILING, window_s=WINDOW_S)
        db.settle(r, 0.0009)

    def reserve_release():
        db.release(db.reserve(SESSION, "cloud", 0.001, ceiling_usd=CEILING, window_s=WINDOW_S))

    def begin_end():
        db.end_request(db.try_begin_request("local", 4))

    def begin_end_plain():
        db.end_request(db.begin_request("local"))

    def lifecycle():
        s = StateDB(path)
        s.cooldown("cloud")
        s.session_spend(SESSION, window_s=WINDOW_S)
        s.latency_stats("cloud", last_n=50)
        r = s.reserve(SESSION, "cloud", 0.001, ceiling_usd=CEILING, window_s=WINDOW_S)
        tok = s.try_begin_request("cloud", 4)
        s.end_request(tok)
        s.settle(r, 0.0009)
        s.record_latency("cloud", 300.0, 900.0, True)
        s.close()

    def open_first():
        s = StateDB(path)
        s.cooldown("cloud")
        s.close()

    rs = _timeit(reserve_settle, args.runs)
    rows.append(_row("reserve + settle", rs))
    rows.append(_row("reserve + release", _timeit(reserve_release, args.runs)))
    rows.append(_row("try_begin + end_request", _timeit(begin_end, args.runs)))
    rows.append(_row("begin + end_request", _timeit(begin_end_plain, args.runs)))
    rows.append(_row("latency_stats(last_n=50)", _timeit(lambda: db.latency_stats("local", last_n=50), args.runs)))
    rows.append(_row("session_spend (24 h window)", _timeit(lambda: db.session_spend(SESSION, window_s=WINDOW_S),
                                                           args.runs)))
    rows.append(_row("cooldown", _timeit(lambda: db.cooldown("cloud-b"), args.runs)))
    rows.append(_row("inflight", _timeit(lambda: db.inflight("local"), args.runs)))
    rows.append(_row("open + first read", _timeit(open_first, max(50, args.runs // 10))))
    rows.append(_row("one ask's state work, open to close", _timeit(lifecycle, max(100, args.runs // 4))))
    db.close()

    if args.procs > 0:
        ctx = multiprocessing.get_context("fork")
        per = max(50, min(250, args.runs // args.procs))
        for pause_ms, label in ((args.pause_ms, f"mean pause {args.pause_ms:g} ms"), (0.0, "no pause")):
            start, out = ctx.Event(), ctx.Queue()
            ps = [ctx.Process(target=_contender, args=(str(path), per, pause_ms, start, out))
                  for _ in range(args.procs)]
            for p in ps:
                p.start()
            time.sleep(0.3)
            start.set()
            all_us: list[float] = []
            for _ in ps:
                all_us += out.get(timeout=300)
            for p in ps:
                p.join(30)
            rows.append(_row(f"reserve + settle, {args.procs} procs, {label}", all_us))

    fs = os.statvfs(base)
    print(f"state db: {path}  (sqlite {__import__('sqlite3').sqlite_version}, "
          f"{os.cpu_count()} CPUs, block size {fs.f_bsize})")
    print(f"{'operation':<40} {'p50 us':>9} {'p99 us':>9} {'max us':>9}")
    for name, p50, p99, mx in rows:
        print(f"{name:<40} {p50:>9.1f} {p99:>9.1f} {mx:>9.1f}")
    ok = rs and _pct(rs, 99) <= TARGET_US
    print(f"target reserve + settle p99 <= {TARGET_US:.0f} us: {'met' if ok else 'MISSED'}")
    for f in base.iterdir():
        f.unlink()
    base.rmdir()
    return 1 if (args.check and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
