"""Decision overhead with the state db in play: p50/p99 of Router.decide() (signals + state reads
+ routing) for prompts of about 100, 2,000 and 20,000 tokens, and of one reserve+settle pair.

Run: .venv/bin/python bench/decision.py [--runs N]   (stdlib + the project; a temp HROUTER_HOME)
Target (issue 4): reserve + settle <= 2 ms p99 on the build machines.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    args = ap.parse_args()
    os.environ["HROUTER_HOME"] = tempfile.mkdtemp(prefix="hrouter-bench-")
    from hrouter import Prompt, RouteContext, Router
    from hrouter.policy import parse_policy
    from hrouter.signals.tokens import estimate_tokens

    from hrouter.policy import BUILTIN_POLICY
    # the built-in default with a session budget, so the ledger is read on every decision
    policy = parse_policy(BUILTIN_POLICY.read_text().replace("session_usd: null", "session_usd: 5.0"))
    router = Router(policy, audit=False)
    db = router._db()
    for name in policy.backends:  # a realistic state: measured latencies, some spend
        for i in range(60):
            db.record_latency(name, 100 + i, 900 + i, True)
    r = db.reserve("bench", "cloud", 0.01, ceiling_usd=5.0, window_s=None)
    db.settle(r, 0.008)

    paragraph = ("Compare the architectural trade-offs of the two storage designs below, step by step, and say "
                 "which one fits a read-heavy multi-region workload. Customer contact: jane.doe@gmail.com. ")
    print(f"python {sys.version.split()[0]}; {os.cpu_count()} cpu; runs {args.runs}")
    print(f"{'what':<34}{'tokens':>8}{'p50 us':>10}{'p99 us':>10}")
    ctx = RouteContext(session="bench")
    for target in (100, 2000, 20000):
        text = paragraph
        while estimate_tokens(text) < target:
            text += paragraph
        prompt = Prompt(text)
        router.decide(prompt, ctx)  # warm (lazy imports, compiled regexes)
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            router.decide(prompt, ctx)
            times.append((time.perf_counter() - t0) * 1e6)
        print(f"{'decide (signals+state+route)':<34}{estimate_tokens(text):>8}{pct(times, 50):>10.0f}{pct(times, 99):>10.0f}")
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        r = db.reserve("bench", "cloud", 0.001, ceiling_usd=1e9, window_s=None)
        db.settle(r, 0.0005)
        times.append((time.perf_counter() - t0) * 1e6)
    p99 = pct(times, 99)
    print(f"{'reserve + settle':<34}{'-':>8}{pct(times, 50):>10.0f}{p99:>10.0f}   target p99 <= 2000 us: "
          f"{'met' if p99 <= 2000 else 'MISSED'}")
    router.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
