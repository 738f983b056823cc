"""Agreement of routing decisions with labels: the quick offline check behind ``explain --jsonl``.

A labelled line (JSON) may carry two families of labels:

- **route** (where the prompt should be answered): ``expected_tier`` of ``local`` or ``cloud`` (the
  field and values of ``../shared/cases/complexity-sample.jsonl``), ``local_ok`` (true = a local
  model suffices = ``local``; the field of ``hrouter feedback import`` files), or ``expected_zone``
  (one of the policy zones :data:`hrouter.signals.ZONES`: ``local`` = ``local``, ``private-cloud``
  and ``public-cloud`` = ``cloud``; any other value is a label error, not a silent ``cloud``).
  A decision's route is ``local`` when its backend's zone is ``local``, ``cloud`` for any other
  zone and ``refused`` when none was permitted.
- **sensitivity** (the tagger's tier): ``expected_tier`` or ``expected`` of ``public``,
  ``internal`` or ``confidential`` (the fields of the shared sensitivity and seed cases).

:class:`Agreement` counts (expected, predicted) pairs per family and gives accuracy, per-class
precision/recall and the confusion table (rows = expected, columns = predicted), as in any
classification report (e.g. scikit-learn's ``classification_report``; precision = TP / (TP + FP),
recall = TP / (TP + FN), undefined ratios are reported as None).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

ROUTES = ("local", "cloud")
TIERS = ("public", "internal", "confidential")


class LabelError(ValueError):
    """A labelled line whose label field has a value outside its family (message names the field)."""


def _shown(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters (a label error stays one short line)."""
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def labels_of(obj: dict) -> dict[str, str]:
    """The labels a JSON line carries, as ``{"route": "local"|"cloud", "sensitivity": tier}`` (either
    key may be absent). Raises :class:`LabelError` for a label field with an unknown value."""
    out: dict[str, str] = {}
    tier = obj.get("expected_tier")
    if tier is not None:
        if tier in ROUTES:
            out["route"] = tier
        elif tier in TIERS:
            out["sensitivity"] = tier
        else:
            raise LabelError(f"'expected_tier' must be one of {', '.join(ROUTES + TIERS)}, not {_shown(tier)}")
    expected = obj.get("expected")
    if expected is not None and "sensitivity" not in out:
        if expected not in TIERS:
            raise LabelError(f"'expected' must be one of {', '.join(TIERS)}, not {_shown(expected)}")
        out["sensitivity"] = expected
    if "route" not in out and "local_ok" in obj:
        ok = obj["local_ok"]
        if not isinstance(ok, bool):
            raise LabelError(f"'local_ok' must be true or false, not {_shown(ok)}")
        out["route"] = "local" if ok else "cloud"
    zone = obj.get("expected_zone")
    if "route" not in out and zone is not None:
        from hrouter.signals import ZONES
        if not isinstance(zone, str) or zone not in ZONES:
            raise LabelError(f"'expected_zone' must be one of {', '.join(ZONES)}, not {_shown(zone)}")
        out["route"] = "local" if zone == "local" else "cloud"
    return out


def predicted_of(decision_json: dict) -> dict[str, str]:
    """The decision's route (``local``/``cloud``/``refused``) and sensitivity tier, from
    :meth:`hrouter.router.Decision.to_json` output."""
    if decision_json.get("refused") or not decision_json.get("backend"):
        route = "refused"
    else:
        route = "local" if decision_json.get("zone") == "local" else "cloud"
    return {"route": route, "sensitivity": decision_json["sensitivity"]["tier"]}


@dataclass
class ClassScore:
    """Precision and recall (0-1, None when undefined) and the number of expected cases (support)."""

    label: str
    precision: float | None
    recall: float | None
    support: int


@dataclass
class Agreement:
    """Running (expected, predicted) counts for one label family (``route`` or ``sensitivity``)."""

    family: str
    pairs: Counter = field(default_factory=Counter)

    def add(self, expected: str, predicted: str) -> bool:
        """Count one labelled decision; returns whether it agreed."""
        self.pairs[(expected, predicted)] += 1
        return expected == predicted

    @property
    def total(self) -> int:
        return sum(self.pairs.values())

    @property
    def agreed(self) -> int:
        return sum(n for (e, p), n in self.pairs.items() if e == p)

    @property
    def accuracy(self) -> float | None:
        """Share of labelled decisions that agreed (0-1), None with no labels."""
        return self.agreed / self.total if self.total else None

    def classes(self) -> list[str]:
        """Every label seen, expected or predicted, in the family's natural order."""
        order = ROUTES + ("refused",) if self.family == "route" else TIERS
        seen = {e for e, _ in self.pairs} | {p for _, p in self.pairs}
        return [c for c in order if c in seen] + sorted(seen - set(order))

    def scores(self) -> list[ClassScore]:
        """Per-class precision and recall over the expected classes (and predicted-only ones)."""
        out = []
        for c in self.classes():
            tp = self.pairs[(c, c)]
            predicted = sum(n for (_, p), n in self.pairs.items() if p == c)
            expected = sum(n for (e, _), n in self.pairs.items() if e == c)
            out.append(ClassScore(c, tp / predicted if predicted else None, tp / expected if expected else None,
                                  expected))
        return out

    def confusion(self) -> tuple[list[str], list[list[int]]]:
        """``(classes, matrix)``: matrix[i][j] = cases expected ``classes[i]`` and predicted ``classes[j]``."""
        cls = self.classes()
        return cls, [[self.pairs[(e, p)] for p in cls] for e in cls]

    def to_json(self) -> dict:
        """JSON-able summary: total, agreed, accuracy, per_class, confusion."""
        cls, matrix = self.confusion()
        return {"total": self.total, "agreed": self.agreed, "accuracy": self.accuracy,
                "per_class": {s.label: {"precision": s.precision, "recall": s.recall, "support": s.support}
                              for s in self.scores()},
                "confusion": {"classes": cls, "matrix": matrix}}
