"""Signals computed from a prompt before routing: sensitivity, complexity, tokens.

This module holds only the shared value types, so importing it is cheap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Sensitivity tiers, least to most severe. The tier of a prompt is its most severe finding.
TIERS: tuple[str, ...] = ("public", "internal", "confidential")
#: Zones a backend may run in, nearest first.
ZONES: tuple[str, ...] = ("local", "private-cloud", "public-cloud")


def tier_rank(tier: str) -> int:
    """Severity rank of a tier: public 0, internal 1, confidential 2. Raises ValueError on an unknown tier."""
    return TIERS.index(tier)


@dataclass(frozen=True)
class Finding:
    """One piece of sensitive evidence in a prompt.

    ``start``/``end`` are character offsets into the prompt text (end exclusive);
    ``masked`` is a display form that never contains the whole matched value
    (e.g. ``***-**-6789``); ``detector`` names the built-in detector or custom rule;
    ``verdict`` the validator's result when one ran (e.g. ``luhn ok``, ``ssn area valid``);
    ``context`` the context word that supported a weak shape (e.g. ``DOB``), else empty.
    """

    detector: str
    tier: str
    start: int
    end: int
    masked: str
    verdict: str = ""
    context: str = ""

    def to_json(self) -> dict:
        out = {"detector": self.detector, "tier": self.tier, "start": self.start,
               "end": self.end, "masked": self.masked}
        if self.verdict:
            out["verdict"] = self.verdict
        if self.context:
            out["context"] = self.context
        return out


@dataclass
class SensitivityResult:
    """Outcome of sensitivity tagging: ``tier`` (one of TIERS), the ``findings`` and any
    detector ``errors`` (``"detector: message"``; an error makes the prompt confidential)."""

    tier: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"tier": self.tier, "findings": [f.to_json() for f in self.findings],
                "errors": list(self.errors)}


@dataclass(frozen=True)
class Component:
    """One named complexity component: ``value`` in [0, 1], its ``weight`` from the policy,
    and a short human ``detail`` (what was seen, e.g. ``"2 markers: step by step, compare"``)."""

    value: float
    weight: float
    detail: str = ""

    def to_json(self) -> dict:
        return {"value": round(self.value, 4), "weight": self.weight, "detail": self.detail}


@dataclass
class ComplexityResult:
    """Complexity ``score`` in [0, 1] and the named ``components`` it was computed from."""

    score: float
    components: dict[str, Component] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"score": round(self.score, 4),
                "components": {k: c.to_json() for k, c in self.components.items()}}


class LazyRx:
    """A regex compiled on first use (``LazyRx(source, flags)`` stands in for
    ``re.compile(source, flags)``): module-level patterns needed only when their cheap needles
    occur, so a process's start does not pay for compiling them (several ms each module)."""

    __slots__ = ("src", "flags", "rx")

    def __init__(self, src: str, flags: int = 0) -> None:
        self.src, self.flags, self.rx = src, flags, None

    def __getattr__(self, name: str):
        rx = self.rx
        if rx is None:
            import re

            rx = self.rx = re.compile(self.src, self.flags)
        return getattr(rx, name)
