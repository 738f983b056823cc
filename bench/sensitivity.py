"""Sensitivity tagger benchmark: accuracy on labelled cases and throughput.

Usage::

    python bench/sensitivity.py [SAMPLE.jsonl] [--extra EXTRA.jsonl] [--no-speed]

Runs the shared sample (default ``../shared/cases/sensitivity-sample.jsonl`` next to the
checkout, else the copy in ``tests/data``) plus ``tests/data/sensitivity-extra.jsonl`` with the
policy the sample assumes (codename keywords, ``.corp``/``.internal`` hosts) and prints, per
file and for both together: per-tier precision and recall, confidential recall, how many
confidential prompts were tagged public, the false-positive rate on hard negatives (``kind``
starting with ``hardneg``: any tier above the expected one), overall tier accuracy; then the
throughput (prompts/s and MB/s, one core) on 1 KB, 10 KB and 100 KB prompts built from the
sample's text ("mixed": every prompt, dense with personal data), from its public prompts
only ("public", dense with hard negatives), and from everyday public text: the standard
library's Python source ("code") and reference docs ("docs"). Exit status 1 when a target of the issue is missed.

Targets: confidential recall >= 99.5 %, no confidential prompt tagged public, hard-negative
false positives <= 2 %, tier accuracy >= 95 %, >= 20 MB/s per core.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hrouter.policy_model import CustomRule, SensitivityConfig  # noqa: E402
from hrouter.signals import TIERS, tier_rank  # noqa: E402
from hrouter.signals.sensitivity import tag_sensitivity  # noqa: E402

POLICY = SensitivityConfig(
    custom=(CustomRule(name="codename", tier="internal", keywords=("BLUEHERON", "Project Nimbus")),),
    internal_domains=(".corp", ".internal"),
)
SHARED = ROOT.parent / "shared" / "cases" / "sensitivity-sample.jsonl"
LOCAL = ROOT / "tests" / "data" / "sensitivity-sample.jsonl"
EXTRA = ROOT / "tests" / "data" / "sensitivity-extra.jsonl"
TARGETS = {"confidential_recall": 0.995, "conf_as_public": 0, "hardneg_fp": 0.02, "accuracy": 0.95, "mb_s": 20.0}


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def evaluate(name: str, cases: list[dict]) -> dict:
    matrix: Counter[tuple[str, str]] = Counter()
    misses, fps, errors = [], [], []
    hard = hard_fp = 0
    for c in cases:
        res = tag_sensitivity(c["prompt"], POLICY)
        got, exp = res.tier, c["expected"]
        matrix[(exp, got)] += 1
        if res.errors:
            errors.append(c["id"])
        if got != exp:
            (misses if tier_rank(got) < tier_rank(exp) else fps).append(f"{c['id']} ({c.get('kind', '')}: {exp}->{got})")
        if c.get("kind", "").startswith("hardneg"):
            hard += 1
            hard_fp += tier_rank(got) > tier_rank(exp)
    n = len(cases)
    print(f"\n== {name}: {n} cases")
    print("expected \\ got  " + "".join(f"{t:>14}" for t in TIERS) + "   precision  recall")
    for t in TIERS:
        row = "".join(f"{matrix[(t, g)]:>14}" for g in TIERS)
        tp = matrix[(t, t)]
        pred = sum(matrix[(e, t)] for e in TIERS)
        real = sum(matrix[(t, g)] for g in TIERS)
        prec = f"{tp / pred:9.1%}" if pred else "      n/a"
        rec = f"{tp / real:7.1%}" if real else "    n/a"
        print(f"{t:15} {row}   {prec}  {rec}")
    conf = sum(matrix[("confidential", g)] for g in TIERS)
    stats = {
        "confidential_recall": matrix[("confidential", "confidential")] / conf if conf else 1.0,
        "conf_as_public": matrix[("confidential", "public")],
        "hardneg_fp": hard_fp / hard if hard else 0.0,
        "accuracy": sum(matrix[(t, t)] for t in TIERS) / n if n else 1.0,
    }
    print(f"confidential recall {stats['confidential_recall']:.1%}   confidential tagged public "
          f"{stats['conf_as_public']}   hard-negative FP {hard_fp}/{hard} = {stats['hardneg_fp']:.1%}   "
          f"accuracy {stats['accuracy']:.1%}")
    for label, ids in (("under-tagged", misses), ("over-tagged", fps), ("with errors", errors)):
        if ids:
            print(f"  {label}: " + ", ".join(ids))
    return stats


def _everyday_texts() -> dict[str, str]:
    """Realistic public text present on every machine: the standard library's Python source
    ("code") and its reference documentation as plain text (pydoc_data: English prose with
    code samples, "docs")."""
    import glob
    import os

    lib = os.path.dirname(os.__file__)
    code = "".join(Path(f).read_text("utf-8", errors="replace") for f in sorted(glob.glob(lib + "/*.py"))[:80])
    try:
        from pydoc_data.topics import topics

        docs = "".join(topics[k] for k in sorted(topics))
    except ImportError:  # pragma: no cover - some distributions strip pydoc_data
        docs = ""
    return {k: v for k, v in (("code", code), ("docs", docs)) if v}


def _shared_passes(prompts: list[str]) -> float:
    """Best-of-3 ms per prompt of the whole-text passes every prompt pays before any detector
    looks at a candidate (the tagger's private helpers, called as ``tag_sensitivity`` calls
    them): the floor of this design, whatever the detectors do."""
    from hrouter.signals import sensitivity as S

    def passes(p: str) -> None:
        norm, _ = S._fold(p)
        S._needle_hits(S._lower(norm))
        S._digit_clusters(norm)
        S._b64_runs(norm)

    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for p in prompts:
            passes(p)
        best = min(best, time.perf_counter() - t0)
    return best / len(prompts) * 1000


def throughput(cases: list[dict]) -> float:
    corpora = {
        "mixed": "\n".join(c["prompt"] for c in cases),
        "public": "\n".join(c["prompt"] for c in cases if c["expected"] == "public"),
        **_everyday_texts(),
    }
    floors: dict[str, tuple[float, float]] = {}
    print("\n== throughput (one core; best of 3 batches)")
    print(f"{'text':8}{'size':>8}{'prompts':>9}{'prompts/s':>12}{'MB/s':>8}{'ms/prompt':>11}")
    worst = float("inf")
    for label, text in corpora.items():
        for size in (1_000, 10_000, 100_000):
            body = (text * (size // len(text) + 1))
            count = max(3, 2_000_000 // size)
            prompts = [body[(i * 997) % len(text):][:size] for i in range(count)]
            tag_sensitivity(prompts[0], POLICY)  # warm: lazy imports and compiled patterns
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                for p in prompts:
                    tag_sensitivity(p, POLICY)
                best = min(best, time.perf_counter() - t0)
            mb_s = sum(len(p.encode()) for p in prompts) / best / 1e6
            worst = min(worst, mb_s)
            print(f"{label:8}{size // 1000:>6}KB{count:>9}{count / best:>12.0f}{mb_s:>8.2f}{best / count * 1000:>11.3f}")
            if size == 100_000:
                floors[label] = (_shared_passes(prompts), sum(len(p.encode()) for p in prompts) / count)
    print("\nshared whole-text passes alone, 100 KB (NFKC fold, lower(), the trigger-word Aho-Corasick pass,\n"
          "digit-cluster and base64-run byte scans), against the 20 MB/s budget for the same bytes:")
    for label, (ms, size) in floors.items():
        budget = size / 20e6 * 1000
        print(f"  {label:8}{ms:7.2f} ms of a {budget:.2f} ms budget ({ms / budget:.0%})")
    # short prompts (the usual chat turn): per-call latency, where fixed costs dominate
    short = [c["prompt"] for c in cases if len(c["prompt"]) <= 300] or [cases[0]["prompt"][:300]]
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        for p in short:
            tag_sensitivity(p, POLICY)
        best = min(best, time.perf_counter() - t0)
    print(f"short prompts (<= 300 chars, {len(short)}): {best / len(short) * 1e6:.0f} us/prompt, "
          f"{sum(len(p.encode()) for p in short) / best / 1e6:.2f} MB/s")
    return worst


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sample", nargs="?", type=Path, help="labelled JSONL (default: the shared sample)")
    ap.add_argument("--extra", type=Path, default=EXTRA, help="more labelled cases (default: %(default)s)")
    ap.add_argument("--no-speed", action="store_true", help="skip the throughput runs")
    args = ap.parse_args(argv)
    sample = args.sample or (SHARED if SHARED.exists() else LOCAL)
    sets = [(str(sample), load(sample))]
    if args.extra and args.extra.exists():
        sets.append((str(args.extra), load(args.extra)))
    results = [evaluate(name, cases) for name, cases in sets]
    if len(sets) > 1:
        results.append(evaluate("all", [c for _, cases in sets for c in cases]))
    total = results[-1]
    ok = (total["confidential_recall"] >= TARGETS["confidential_recall"] and total["conf_as_public"] == 0
          and total["hardneg_fp"] <= TARGETS["hardneg_fp"] and total["accuracy"] >= TARGETS["accuracy"])
    if not args.no_speed:
        worst = throughput(sets[0][1])
        met = "met" if worst >= TARGETS["mb_s"] else "NOT met"
        print(f"\nslowest: {worst:.2f} MB/s (target >= {TARGETS['mb_s']:.0f} MB/s per core: {met})")
        ok = ok and worst >= TARGETS["mb_s"]
    print("\ntargets met" if ok else "\ntargets NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
