"""Quality bar of the built-in rule-based complexity scorer, beside a seed-style keyword baseline.

1. Labelled cases (``expected_tier`` local/cloud; default ``../shared/cases/complexity-sample.jsonl``,
   else the copy in ``tests/data``): agreement per category at the default threshold (0.35) for
   hrouter's scorer and for the baseline. Target (issue 6): hrouter >= 90 %.
2. With ``--routellm PATH`` (``../shared/data/routellm/``, read at run time, never copied): per
   source, the ROC AUC of ``1 - score`` as a predictor of ``weak_correct`` (the weak model's answer
   was right: "local was enough"), for both scorers; rows flagged contaminated are dropped, as
   RouteLLM does. 0.5 is chance.
3. With ``--model PATH`` (a model from ``hrouter train``): its load time (median of 200 loads)
   and, with ``--routellm``, its AUC per source (in-sample if it was trained on the same rows).

The baseline is the naive scorer of tutorial routers, written out so it can be checked::

    hits  = distinct keywords present (substring, lower-cased) of: analyze, analyse, compare,
            step by step, explain, prove, design, evaluate, why
    score = 0.5 * min(1, words / 500) + 0.25 * hits          (capped at 1)
    cloud when score >= 0.35: two keywords, one keyword in 100+ words, or 350+ words

Run: .venv/bin/python bench/complexity.py [--cases FILE] [--routellm DIR] [--model PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEYWORDS = ("analyze", "analyse", "compare", "step by step", "explain", "prove", "design", "evaluate", "why")
THRESHOLD = 0.35


def baseline_score(text: str) -> float:
    """The seed-style keyword score (module docstring)."""
    low = text.lower()
    hits = sum(1 for k in KEYWORDS if k in low)
    return min(1.0, 0.5 * min(1.0, len(text.split()) / 500) + 0.25 * hits)


def default_cases() -> Path:
    shared = ROOT.parent / "shared" / "cases" / "complexity-sample.jsonl"
    return shared if shared.exists() else ROOT / "tests" / "data" / "complexity-sample.jsonl"


def cases_report(path: Path) -> float:
    from hrouter.policy_model import ComplexityConfig
    from hrouter.signals.complexity import score_complexity
    cfg = ComplexityConfig()
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # n, hrouter agree, baseline agree
    misses = []
    t_total = 0.0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        case = json.loads(line)
        want_cloud = case["expected_tier"] == "cloud"
        t0 = time.perf_counter()
        score = score_complexity(case["prompt"], cfg).score
        t_total += time.perf_counter() - t0
        row = per[case.get("category", "-")]
        row[0] += 1
        row[1] += (score >= cfg.threshold) == want_cloud
        row[2] += (baseline_score(case["prompt"]) >= THRESHOLD) == want_cloud
        if (score >= cfg.threshold) != want_cloud:
            misses.append(f"  hrouter miss: {case.get('id')}: score {score:.2f}, expected {case['expected_tier']}")
    n = sum(r[0] for r in per.values())
    ours = sum(r[1] for r in per.values())
    base = sum(r[2] for r in per.values())
    print(f"{path}: {n} labelled cases, threshold {THRESHOLD}")
    print(f"{'category':28} {'n':>3} {'hrouter':>8} {'keywords':>9}")
    for cat in sorted(per):
        r = per[cat]
        print(f"{cat:28} {r[0]:>3} {r[1]:>5}/{r[0]:<2} {r[2]:>6}/{r[0]:<2}")
    print(f"{'all':28} {n:>3} {ours / n:>8.1%} {base / n:>9.1%}   (target: hrouter >= 90%)")
    print(f"scoring time: {t_total / n * 1e3:.3f} ms per prompt (mean)")
    for m in misses:
        print(m)
    return ours / n


def routellm_report(path: Path, model_path: Path | None) -> None:
    from hrouter.learn.data import load_routellm_csv
    from hrouter.learn.features import record_from_complexity
    from hrouter.learn.train import auc
    from hrouter.policy_model import ComplexityConfig
    from hrouter.signals.complexity import score_complexity
    from hrouter.signals.tokens import estimate_tokens
    model = None
    if model_path:
        from hrouter.learn.model import load_model
        model = load_model(model_path)
    rows, info = load_routellm_csv(path)
    print(f"\n{info.describe()}")
    cfg = ComplexityConfig()
    by: dict[str, list] = defaultdict(lambda: [[], [], [], []])  # labels, rule, baseline, learned
    for r in rows:
        t = estimate_tokens(r.prompt)
        res = score_complexity(r.prompt, cfg, tokens=t)
        d = by[r.group or "-"]
        d[0].append(bool(r.local_ok))
        d[1].append(1.0 - res.score)
        d[2].append(1.0 - baseline_score(r.prompt))
        if model is not None:
            d[3].append(model.predict(record_from_complexity(r.prompt, res, t)))
    print("AUC of each score as a predictor of weak_correct (local was enough); 0.5 = chance")
    head = f"{'source':8} {'rows':>6} {'weak ok':>8} {'hrouter rules':>14} {'keywords':>9}"
    print(head + (f" {'learned':>8}" if model else ""))
    for src in sorted(by):
        y, rule, base, learned = by[src]
        line = (f"{src:8} {len(y):>6} {sum(y) / len(y):>8.1%} {auc(rule, y):>14.3f} {auc(base, y):>9.3f}")
        print(line + (f" {auc(learned, y):>8.3f}" if model else ""))
    if model is not None:
        print(f"(learned: {model_path}, trained on {model.training.get('source')}: in-sample where they overlap)")


def model_load_report(model_path: Path) -> None:
    from hrouter.learn.model import measure_load_ms
    text = model_path.read_text(encoding="utf-8")
    print(f"\nmodel {model_path}: {len(text.encode()) / 1024:.1f} KiB, loads in {measure_load_ms(text, 200):.3f} ms "
          "(median of 200, LearnedModel.from_json)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=Path, default=None, help="labelled JSONL (expected_tier local/cloud)")
    ap.add_argument("--routellm", type=Path, default=None, help="../shared/data/routellm/ (or its CSV)")
    ap.add_argument("--model", type=Path, default=None, help="a learned model file from hrouter train")
    args = ap.parse_args()
    cases_report(args.cases or default_cases())
    if args.model:
        model_load_report(args.model)
    if args.routellm:
        routellm_report(args.routellm, args.model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
