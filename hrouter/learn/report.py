"""Quality versus cost across routing thresholds, and RouteLLM's APGR.

Input: one :class:`EvalItem` per prompt, ``(score, local_quality, cloud_quality, local_cost_usd,
cloud_cost_usd)``: the router's cloud score (cloud when ``score >= threshold``), each model's
judged quality of its answer in [0, 1] (correctness 0/1 on RouteLLM's GSM8K/MMLU labels, or a
judge's grade), and what each answer costs (USD). Any 5-tuple works. The live mode (both
backends answer, an LLM judge grades) and the offline files feed the same
:func:`quality_cost_report`.

At a threshold ``t`` the prompts with ``score >= t`` go to the cloud: the *cloud share* is their
fraction, *quality* the mean of the chosen model's quality over all prompts, *cost* the sum of
the chosen model's cost. With ``q_local`` / ``q_cloud`` the qualities of sending everything to
one side, the *performance gap recovered* is ``PGR = (quality - q_local) / (q_cloud - q_local)``
(1 = all of the cloud's advantage at a fraction of its calls).

APGR (Ong et al., "RouteLLM: Learning to Route LLMs with Preference Data", ICLR 2025, and
``routellm/evals/evaluate.py``): the area under the quality-versus-cloud-share curve,
normalised between weak-only and strong-only, ``(AUC - q_local) / (q_cloud - q_local)`` over
shares 0..1. RouteLLM samples the curve at ten score-quantile thresholds; here the curve is
exact: one point per distinct score (prompts with equal scores move together), joined by
straight lines (the expected quality when a tie group is split at random), trapezoid rule. A
random router scores 0.5 on average; the oracle (cloud exactly where it helps most) bounds it
from above (``oracle_apgr``). ``cpt`` ("call-performance threshold", RouteLLM's "x% qual"):
the smallest cloud share whose PGR reaches 50 %, 80 % and 95 %, interpolated along the curve:
past CPT(95%) more cloud calls buy almost nothing; the table shows where quality diverges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Sequence


class EvalItem(NamedTuple):
    """One prompt: cloud ``score`` (any real; higher = more cloud), ``local_quality`` and
    ``cloud_quality`` in [0, 1], ``local_cost_usd`` and ``cloud_cost_usd`` (USD >= 0)."""

    score: float
    local_quality: float
    cloud_quality: float
    local_cost_usd: float = 0.0
    cloud_cost_usd: float = 0.0


@dataclass
class ReportRow:
    """One threshold: ``threshold``; ``cloud`` prompts (``cloud_share`` of all); ``cost_usd``
    total; ``quality`` mean; ``pgr`` (None when both models are equally good); ``mark`` a label
    such as ``policy`` for the active threshold."""

    threshold: float
    cloud: int
    cloud_share: float
    cost_usd: float
    quality: float
    pgr: float | None
    mark: str = ""

    def to_json(self) -> dict:
        """JSON-able dict of every field."""
        return {"threshold": self.threshold, "cloud": self.cloud, "cloud_share": self.cloud_share,
                "cost_usd": self.cost_usd, "quality": self.quality, "pgr": self.pgr, "mark": self.mark}


@dataclass
class QualityCostReport:
    """Result of :func:`quality_cost_report`. ``n`` prompts; ``local_quality``/``cloud_quality``
    and ``local_cost_usd``/``cloud_cost_usd`` of the all-local / all-cloud routes; ``rows`` one per
    threshold, cloud share ascending; ``apgr`` and ``oracle_apgr`` (None when the two models are
    equally good); ``cpt``: PGR level (0.5/0.8/0.95) -> smallest cloud share reaching it;
    ``curve``: every (cloud share, quality) point."""

    n: int
    local_quality: float
    cloud_quality: float
    local_cost_usd: float
    cloud_cost_usd: float
    rows: list[ReportRow]
    apgr: float | None
    oracle_apgr: float | None
    cpt: dict[float, float | None] = field(default_factory=dict)
    curve: list[tuple[float, float]] = field(default_factory=list)

    def to_json(self, *, with_curve: bool = False) -> dict:
        """JSON-able dict (``curve`` only when ``with_curve``)."""
        out = {"n": self.n, "local_only": {"quality": self.local_quality, "cost_usd": self.local_cost_usd},
               "cloud_only": {"quality": self.cloud_quality, "cost_usd": self.cloud_cost_usd},
               "apgr": self.apgr, "oracle_apgr": self.oracle_apgr,
               "cpt": {f"{int(round(k * 100))}%": v for k, v in self.cpt.items()},
               "rows": [r.to_json() for r in self.rows]}
        if with_curve:
            out["curve"] = [list(p) for p in self.curve]
        return out


def _items(rows: Iterable) -> list[EvalItem]:
    out = []
    for r in rows:
        item = r if isinstance(r, EvalItem) else EvalItem(*r)
        for name in ("local_quality", "cloud_quality"):
            v = getattr(item, name)
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {v!r}")
        if item.local_cost_usd < 0 or item.cloud_cost_usd < 0:
            raise ValueError("costs must be >= 0 USD")
        out.append(item)
    return out


def _curve(items: Sequence[EvalItem], key) -> list[tuple[float, float, float]]:
    """(threshold, cloud share, quality) after each tie group, highest ``key`` first, starting at
    share 0 (threshold +inf)."""
    n = len(items)
    order = sorted(items, key=key, reverse=True)
    q = sum(i.local_quality for i in items)
    points = [(float("inf"), 0.0, q / n)]
    k = 0
    while k < n:
        v = key(order[k])
        while k < n and key(order[k]) == v:
            q += order[k].cloud_quality - order[k].local_quality
            k += 1
        points.append((v, k / n, q / n))
    return points


def _area(points: Sequence[tuple[float, float, float]]) -> float:
    return sum((b[1] - a[1]) * (a[2] + b[2]) / 2.0 for a, b in zip(points, points[1:]))


def _cpt(points, q_local: float, q_cloud: float, level: float) -> float | None:
    gap = q_cloud - q_local
    if gap <= 0:
        return None
    goal = q_local + level * gap
    prev = None
    for p in points:
        if p[2] >= goal - 1e-12:
            if prev is None or p[2] == prev[2]:
                return p[1]
            frac = (goal - prev[2]) / (p[2] - prev[2])
            return prev[1] + frac * (p[1] - prev[1])
        prev = p
    return None


def at_threshold(items: Sequence[EvalItem], threshold: float, q_local: float, q_cloud: float,
                 mark: str = "") -> ReportRow:
    """The row for one threshold (cloud when ``score >= threshold``)."""
    n = len(items)
    cloud = [i.score >= threshold for i in items]
    quality = sum(i.cloud_quality if c else i.local_quality for i, c in zip(items, cloud)) / n
    cost = sum(i.cloud_cost_usd if c else i.local_cost_usd for i, c in zip(items, cloud))
    gap = q_cloud - q_local
    return ReportRow(threshold=threshold, cloud=sum(cloud), cloud_share=sum(cloud) / n, cost_usd=cost,
                     quality=quality, pgr=(quality - q_local) / gap if gap > 0 else None, mark=mark)


def quality_cost_report(rows: Iterable, thresholds: Sequence[float] | None = None, *, points: int = 10,
                        marks: dict[float, str] | None = None) -> QualityCostReport:
    """The quality-vs-cost table and APGR for ``rows`` (:class:`EvalItem` or 5-tuples; see the
    module docstring).

    ``thresholds``: the table's thresholds; None picks the roundest thresholds reaching cloud
    shares 0, 1/points, ..., 1 (as RouteLLM's quantile thresholds; duplicates from ties merge).
    ``marks``: extra thresholds to include with a label (e.g. ``{0.35: "policy"}``).
    Raises ValueError for no rows, a quality outside [0, 1] or a negative cost."""
    items = _items(rows)
    if not items:
        raise ValueError("no prompts to evaluate")
    n = len(items)
    q_local = sum(i.local_quality for i in items) / n
    q_cloud = sum(i.cloud_quality for i in items) / n
    gap = q_cloud - q_local
    curve = _curve(items, key=lambda i: i.score)
    oracle = _curve(items, key=lambda i: i.cloud_quality - i.local_quality)
    apgr = (_area(curve) - q_local) / gap if gap > 0 else None
    oracle_apgr = (_area(oracle) - q_local) / gap if gap > 0 else None

    chosen: list[tuple[float, str]] = []
    if thresholds is None:
        from .calibrate import calibrate
        scores = [i.score for i in items]
        lo, hi = min(scores), max(scores)
        if 0.0 <= lo and hi <= 1.0:
            for k in range(points + 1):
                cal = calibrate(scores, k / points)
                if cal.threshold is not None:
                    chosen.append((cal.threshold, ""))
        else:  # scores outside [0, 1]: quantile score values
            ordered = sorted(scores, reverse=True)
            chosen.append((hi + 1.0, ""))
            for k in range(1, points + 1):
                chosen.append((ordered[min(n - 1, round(k / points * n) - 1)], ""))
    else:
        chosen = [(float(t), "") for t in thresholds]
    for t, label in (marks or {}).items():
        chosen.append((float(t), label))
    seen: dict[float, str] = {}
    for t, label in chosen:
        if label or t not in seen:
            seen[t] = label or seen.get(t, "")
    table = [at_threshold(items, t, q_local, q_cloud, label) for t, label in seen.items()]
    table.sort(key=lambda r: (r.cloud_share, -r.threshold))
    return QualityCostReport(
        n=n, local_quality=q_local, cloud_quality=q_cloud,
        local_cost_usd=sum(i.local_cost_usd for i in items), cloud_cost_usd=sum(i.cloud_cost_usd for i in items),
        rows=table, apgr=apgr, oracle_apgr=oracle_apgr,
        cpt={lvl: _cpt(curve, q_local, q_cloud, lvl) for lvl in (0.5, 0.8, 0.95)},
        curve=[(p[1], p[2]) for p in curve])
