"""Startup benchmark: wall time and peak memory of the hrouter CLI, and the router's own overhead.

Run from the project root with the venv's interpreter::

    .venv/bin/python bench/startup.py [--runs N] [--check] [--module]

Stdlib only (plus ``tests/fakes.py``, the loopback fake Ollama). Measures, in one run:

1. ``python -c pass``                       - the interpreter's own start-up (baseline)
2. ``hrouter --help``
3. ``hrouter explain "<prompt>"``           - the human (Rich, on stderr) view, built-in policy
4. ``hrouter explain --json "<prompt>"``    - the machine view
5. ``hrouter ask "<prompt>"`` on a local route: a temp policy whose only backend is an ``ollama``
   backend pointing at an in-process :class:`fakes.FakeOllama` on 127.0.0.1. Reported twice:
   its *own overhead* = from just before the process is spawned to the moment the fake has read
   the ``POST /api/chat`` request (``RecordedRequest.received_at``, ``time.monotonic()``), i.e.
   the time to the request's first byte, excluding the model; and its full wall time (the fake
   answers at once, then the client also calls ``GET /api/tags`` for the digest; the fake's
   sockets get ``TCP_NODELAY``, as the real server's do).

``hrouter`` is the console script next to the interpreter (what users run); ``--module`` uses
``python -m hrouter`` instead. Every command is run once to warm up (pyc compilation, page
cache), then ``--runs`` times round-robin; the table shows medians (and the min wall time).
Bytecode is cached as for an installed package even when the caller's environment sets
``PYTHONDONTWRITEBYTECODE`` (the .pyc files go to a temp ``PYTHONPYCACHEPREFIX``, not the
tree); ``--no-pyc`` measures with no cache at all (every run compiles hrouter's sources).

Peak memory is each child's own max RSS (``ru_maxrss`` from ``os.wait4``: the rusage of exactly
that child, not the running maximum ``RUSAGE_CHILDREN`` gives), spawned from a bare wrapper
process so the benchmark's own RSS does not leak into it (see :data:`WRAPPER`).

Exit status 0 (it is a report) unless ``--check`` is given: then 1 when a target is missed.
Every child gets ``HROUTER_HOME`` = a temp dir, a temp working directory (so no ``./hrouter.yaml``
is picked up), no ``HROUTER_POLICY``/``OLLAMA_HOST``/``ANTHROPIC_*``, and ``/dev/null`` on stdin.
"""

from __future__ import annotations

import argparse
import os
import shutil
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from fakes import FakeOllama  # noqa: E402 - after the sys.path tweak

PROMPT_EXPLAIN = "Compare transformers and state-space models step by step, with examples"
PROMPT_ASK = "What is the capital of France?"
MODEL = "llama3.2:3b"

#: name -> (max ms, max MB or None)
TARGETS = {
    "explain": (150.0, 50.0),
    "explain --json": (150.0, 50.0),
    "ask: own overhead": (350.0, None),
}


@dataclass
class Sample:
    wall_ms: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    overhead_ms: list[float] = field(default_factory=list)


#: The spawner each measured command runs under: a bare interpreter (``-I -S``, ~8 MB) that
#: ``posix_spawn``s the command, reaps it with ``os.wait4`` and writes "maxrss_kib wall_ms
#: t_monotonic status" to argv[1]. Linux carries the *spawning* process's RSS into the child's
#: ``ru_maxrss`` across exec (exec_mmap -> setmax_mm_hiwater_rss), so spawning from this
#: benchmark process (~25 MB, it hosts the fake) would floor every figure at ~25 MB; the bare
#: wrapper lowers that floor to its own RSS (printed as "RSS floor"). Wall time is taken
#: inside the wrapper, so its own start-up is not counted.
WRAPPER = r"""
import os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
t = time.monotonic()
p0 = time.perf_counter()
pid = os.posix_spawn(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
wall = (time.perf_counter() - p0) * 1000
with open(out, "w") as f:
    f.write(f"{usage.ru_maxrss} {wall!r} {t!r} {os.waitstatus_to_exitcode(status)}")
"""


def run_once(argv: list[str], env: dict[str, str], cwd: str) -> tuple[float, float, int, float, str]:
    """Run ``argv`` under :data:`WRAPPER`; returns (wall ms, max RSS MB, exit code, monotonic
    time just before the spawn, last lines of its stderr)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".txt") as report:
        code = subprocess.call([sys.executable, "-I", "-S", "-c", WRAPPER, report.name, *argv],
                               stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd)
        err.seek(0)
        tail = "\n".join(err.read().decode("utf-8", "replace").strip().splitlines()[-3:])
        fields = report.read().split()
    if code != 0 or len(fields) != 4:
        return 0.0, 0.0, code or -1, 0.0, f"wrapper failed (exit {code}): {tail}"
    rss_kib, wall, t_mono, status = int(fields[0]), float(fields[1]), float(fields[2]), int(fields[3])
    # ru_maxrss is KiB on Linux (bytes on macOS)
    rss = rss_kib / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return wall, rss, status, t_mono, tail


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10, help="measured runs per command (default 10)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--module", action="store_true", help="run `python -m hrouter` instead of the console script")
    ap.add_argument("--no-pyc", action="store_true",
                    help="measure without a bytecode cache (PYTHONDONTWRITEBYTECODE=1), e.g. a fresh checkout")
    args = ap.parse_args(argv)

    py = sys.executable
    script = Path(py).parent / "hrouter"
    if args.module or not script.exists():
        hrouter = [py, "-m", "hrouter"]
        how = f"{py} -m hrouter"
    else:
        hrouter = [str(script)]
        how = f"{script} (console script)"

    tmp = tempfile.TemporaryDirectory(prefix="hrouter-bench-")
    home, work = Path(tmp.name) / "home", Path(tmp.name) / "cwd"
    home.mkdir()
    work.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith(("ANTHROPIC_", "OLLAMA_", "HROUTER_")) or k in ("PYTHONPROFILEIMPORTTIME",))}
    env["HROUTER_HOME"] = str(home)
    if args.no_pyc:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        pyc = "off (PYTHONDONTWRITEBYTECODE=1: the project's modules are compiled from source every run)"
    else:
        # As an installed hrouter runs: bytecode cached. The caller may have PYTHONDONTWRITEBYTECODE
        # set (then every run would recompile hrouter's sources); cache under the temp dir instead,
        # so the warm-up writes the .pyc files and nothing lands in the project tree.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp.name) / "pycache")
        pyc = "cached (PYTHONPYCACHEPREFIX=<temp dir>, written by the warm-up run)"

    fake = FakeOllama(models=[MODEL]).start()
    # Real Ollama (Go net/http) sets TCP_NODELAY on its connections; http.server does not, and
    # the Nagle / delayed-ACK interplay then stalls the second request on a kept-alive connection
    # (the client's GET /api/tags digest lookup) by ~40 ms. Behave like the real server.
    handler = getattr(getattr(fake, "_server", None), "RequestHandlerClass", None)
    if handler is not None:
        handler.disable_nagle_algorithm = True
    policy = Path(tmp.name) / "bench-policy.yaml"
    policy.write_text(f"version: 1\nbackends:\n  local: {{kind: ollama, model: {MODEL}, host: {fake.url}, zone: local}}\n")

    commands: dict[str, list[str]] = {
        "python -c pass": [py, "-c", "pass"],
        "hrouter --help": hrouter + ["--help"],
        "explain": hrouter + ["explain", PROMPT_EXPLAIN],
        "explain --json": hrouter + ["explain", "--json", PROMPT_EXPLAIN],
        "ask": hrouter + ["ask", "--policy", str(policy), PROMPT_ASK],
    }
    samples = {name: Sample() for name in commands}
    failures: list[str] = []

    def measure(name: str, keep: bool) -> None:
        before = len(fake.requests_to("/api/chat"))
        wall, rss, code, t_mono, tail = run_once(commands[name], env, str(work))
        if code != 0:
            failures.append(f"{name}: exit {code}: {tail}")
            return
        if name == "ask":
            chats = fake.requests_to("/api/chat")
            if len(chats) != before + 1:
                failures.append(f"ask: the fake saw {len(chats) - before} /api/chat requests, not 1")
                return
            if keep:
                samples[name].overhead_ms.append((chats[-1].received_at - t_mono) * 1000)
        if keep:
            samples[name].wall_ms.append(wall)
            samples[name].rss_mb.append(rss)

    floor_mb = None
    true = shutil.which("true")
    if true:
        _, floor_mb, _, _, _ = run_once([true], env, str(work))
    try:
        for name in commands:  # warm-up: pyc compilation, page cache, first-run effects
            measure(name, keep=False)
        for _ in range(max(1, args.runs)):
            for name in commands:
                measure(name, keep=True)
    finally:
        fake.stop()
        tmp.cleanup()

    # ----- report
    cpus = os.cpu_count()
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = cpus
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    from importlib import metadata
    versions = []
    for dist in ("hrouter", "typer", "rich", "pydantic", "PyYAML", "ollama", "httpx"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            pass
    print(f"machine: {platform.platform()}; nproc {usable} (of {cpus}); load avg {load}")
    print(f"python:  {platform.python_implementation()} {platform.python_version()} ({py})")
    print(f"hrouter: {how}; {', '.join(versions)}")
    print(f"bytecode: {pyc}")
    print(f"runs:    {args.runs} measured per command after 1 warm-up, round-robin; medians shown\n")

    base = statistics.median(samples["python -c pass"].wall_ms) if samples["python -c pass"].wall_ms else 0.0
    rows: list[tuple[str, str, str, str, str, str, str]] = []
    missed: list[str] = []

    def row(label: str, key: str, values_ms: list[float], rss: list[float] | None) -> None:
        if not values_ms:
            rows.append((label, "-", "-", "-", "-", "-", "FAILED"))
            missed.append(label)
            return
        med = statistics.median(values_ms)
        rss_med = statistics.median(rss) if rss else None
        target = TARGETS.get(key)
        verdict, tgt = "", ""
        if target:
            ms_max, mb_max = target
            ok = med <= ms_max and (mb_max is None or rss_med is None or rss_med <= mb_max)
            tgt = f"<= {ms_max:.0f} ms" + (f", <= {mb_max:.0f} MB" if mb_max is not None else "")
            verdict = "ok" if ok else "MISSED"
            if not ok:
                missed.append(label)
        rows.append((label, f"{med:.0f}", f"{min(values_ms):.0f}", f"{med - base:+.0f}",
                     f"{rss_med:.1f}" if rss_med is not None else "-", tgt, verdict))

    for name in ("python -c pass", "hrouter --help", "explain", "explain --json"):
        row(name, name, samples[name].wall_ms, samples[name].rss_mb)
    row("ask: own overhead", "ask: own overhead", samples["ask"].overhead_ms, None)
    row("ask: full wall", "ask", samples["ask"].wall_ms, samples["ask"].rss_mb)

    header = ("command", "median ms", "min ms", "vs baseline", "max RSS MB", "target", "")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    fmt = "  ".join(("{:<%d}" if i in (0, 5, 6) else "{:>%d}") % w for i, w in enumerate(widths))
    print(fmt.format(*header).rstrip())
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(fmt.format(*r).rstrip())
    print()
    print(f'explain prompt: "{PROMPT_EXPLAIN}" (built-in policy; human view on stderr, and --json)')
    print(f'ask prompt:     "{PROMPT_ASK}" -> local ollama backend at a loopback fake '
          "(own overhead = spawn -> fake has read POST /api/chat)")
    floor = f"; RSS floor (the spawning wrapper itself, `true`): {floor_mb:.1f} MB" if floor_mb else ""
    print(f"max RSS = the child's own ru_maxrss (os.wait4), median over runs{floor}")
    for f in failures:
        print(f"error: {f}", file=sys.stderr)
    if missed:
        print(f"targets missed: {', '.join(missed)}")
    else:
        print("all targets met")
    return 1 if (args.check and (missed or failures)) else 0


if __name__ == "__main__":
    sys.exit(main())
