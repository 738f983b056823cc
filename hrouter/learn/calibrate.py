"""Choose the routing threshold that sends a target share of prompts to the cloud tier.

The router prefers the cloud tier when a prompt's cloud score is at or above the threshold
(``router: rules``: the complexity score vs ``complexity.threshold``; ``router: learned``:
``1 - P(local ok)`` vs ``learned.threshold``). Over ``n`` scored prompts the shares a threshold
can produce are ``#(score >= v) / n`` for each distinct score ``v`` (and 0 above the highest):
prompts with equal scores always go together, so a large tie (e.g. many prompts scoring exactly
0) can make a target unreachable. :func:`calibrate` picks the reachable share nearest the target
(the lower one on a tie: cheaper), reports it honestly with the reachable shares on either side,
and returns the "roundest" threshold that produces it: the value with the fewest decimals in
``(next lower score, v]``. ``within`` says whether the achieved share is within ``tolerance``
(default 2 percentage points) of the target.

Only the score decides here: sensitivity (confidential prompts never leave), budgets and
capacity still apply first when routing, so the live cloud share can be lower.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence


@dataclass
class Calibration:
    """Result of :func:`calibrate`. ``threshold`` in [0, 1] (None when no threshold in [0, 1] can
    produce a reachable share); ``cloud``/``total`` prompts at or above it, ``achieved_share`` =
    cloud / total; ``within``: ``|achieved - target| <= tolerance``; ``below``/``above``: the
    nearest reachable (share, threshold) pairs on either side of the target (None when none);
    ``tie``: (score, count) of the tie group that straddles the target, when one does."""

    target_share: float
    tolerance: float
    threshold: float | None
    cloud: int
    total: int
    achieved_share: float
    within: bool
    below: tuple[float, float] | None = None
    above: tuple[float, float] | None = None
    tie: tuple[float, int] | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        """JSON-able dict of every field."""
        return {"target_share": self.target_share, "tolerance": self.tolerance, "threshold": self.threshold,
                "cloud": self.cloud, "local": self.total - self.cloud, "total": self.total,
                "achieved_share": self.achieved_share, "within": self.within,
                "below": None if self.below is None else {"share": self.below[0], "threshold": self.below[1]},
                "above": None if self.above is None else {"share": self.above[0], "threshold": self.above[1]},
                "tie": None if self.tie is None else {"score": self.tie[0], "count": self.tie[1]},
                "notes": list(self.notes)}


def _round_between(lo: float | None, hi: float) -> float:
    """The number with the fewest decimals (up to 12) in ``(lo, hi]``; ``lo`` None means 0 is
    allowed (``[0, hi]``)."""
    for d in range(0, 13):
        scale = 10 ** d
        t = math.floor(hi * scale + 1e-12) / scale
        if t > hi:
            t = math.floor(hi * scale) / scale
        if (lo is None and t >= 0.0) or (lo is not None and t > lo):
            if t <= hi:
                return t
    return hi


def reachable(scores: Sequence[float]) -> list[tuple[float, float, int]]:
    """Every (share, threshold, cloud count) a threshold in [0, 1] can produce, share ascending:
    0 (a threshold above the highest score, when that is below 1) and one per distinct score."""
    n = len(scores)
    ordered = sorted(scores, reverse=True)
    distinct = []
    for s in ordered:
        if not distinct or s != distinct[-1]:
            distinct.append(s)
    out = []
    if ordered and ordered[0] < 1.0:
        t = _round_between(ordered[0], 1.0)
        out.append((0.0, t, 0))
    count = 0
    i = 0
    for k, v in enumerate(distinct):
        while i < n and ordered[i] == v:
            i += 1
        count = i
        lo = distinct[k + 1] if k + 1 < len(distinct) else None
        out.append((count / n, _round_between(lo, v), count))
    return out


def calibrate(scores: Sequence[float], target_share: float, *, tolerance: float = 0.02) -> Calibration:
    """The threshold that sends ``target_share`` (0-1) of prompts with cloud ``scores`` (each in
    [0, 1]; cloud when ``score >= threshold``) to the cloud, or the nearest reachable share (see
    the module docstring). Raises ValueError for no scores or a target outside [0, 1]."""
    if not 0.0 <= target_share <= 1.0:
        raise ValueError(f"target share must be in [0, 1], got {target_share}")
    scores = [float(s) for s in scores]
    if not scores:
        raise ValueError("no prompts to calibrate on")
    n = len(scores)
    options = reachable(scores)
    best = min(options, key=lambda o: (abs(o[0] - target_share), o[0]))
    share, threshold, cloud = best
    below = max((o for o in options if o[0] <= target_share), key=lambda o: o[0], default=None)
    above = min((o for o in options if o[0] >= target_share), key=lambda o: o[0], default=None)
    within = abs(share - target_share) <= tolerance + 1e-12
    cal = Calibration(target_share=target_share, tolerance=tolerance, threshold=threshold, cloud=cloud, total=n,
                      achieved_share=share, within=within,
                      below=None if below is None else (below[0], below[1]),
                      above=None if above is None else (above[0], above[1]))
    # verify against the rule itself (guards the rounding)
    actual = sum(1 for s in scores if s >= threshold)
    if actual != cloud:  # pragma: no cover - _round_between keeps the count; belt and braces
        cal.cloud, cal.achieved_share = actual, actual / n
    if not within:
        # the tie group that jumps over the target
        if above is not None:
            upper = below[1] if below is not None else math.inf
            group = [s for s in scores if above[1] <= s < upper]
            if group and len(set(group)) == 1:
                cal.tie = (group[0], len(group))
        if cal.tie:
            cal.notes.append(f"{cal.tie[1]} of {n} prompts share the score {cal.tie[0]:.4g}, so the cloud share "
                             f"jumps from {below[0] if below else 0:.1%} to {above[0]:.1%}: {target_share:.1%} +/- "
                             f"{tolerance * 100:g} pp is not reachable with this router on these prompts")
        else:
            cal.notes.append(f"the reachable shares nearest {target_share:.1%} are "
                             + " and ".join(f"{o[0]:.1%} (threshold {o[1]:g})" for o in (below, above) if o)
                             + f": not within +/- {tolerance * 100:g} pp")
    return cal


# --------------------------------------------------------------------------- policy copy

def set_yaml_values(text: str, updates: list[tuple[tuple[str, ...], object]]) -> str:
    """``text`` (a YAML policy) with each ``(key path, value)`` of ``updates`` set, keeping every
    other line and comment as it is: an existing scalar is replaced in place, a missing key is
    added to its block mapping (or to a flow mapping, rewritten), a missing top-level section is
    appended. ``value`` is a Python scalar (str, float, int, bool). Raises ValueError when a path
    runs into something that is not a mapping, or the YAML does not parse."""
    for path, value in updates:
        text = _set_one(text, tuple(path), value)
    return text


_YAML_WORDS = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}


def _scalar(value) -> str:
    import json
    import re
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)  # a double-quoted YAML string


def _nested(path: tuple[str, ...], value, indent: int) -> str:
    lines = []
    for depth, key in enumerate(path):
        pad = " " * (indent + 2 * depth)
        lines.append(f"{pad}{key}: {_scalar(value)}" if depth == len(path) - 1 else f"{pad}{key}:")
    return "\n".join(lines) + "\n"


def _set_one(text: str, path: tuple[str, ...], value) -> str:
    import yaml
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise ValueError(f"the policy does not parse as YAML: {exc}") from None
    node = root
    for depth, key in enumerate(path):
        if isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null") and depth > 0:
            # ``section:`` with nothing under it: make it a flow mapping holding the rest
            inner = "{" + _flow(path[depth:], value) + "}"
            s, e = node.start_mark.index, node.end_mark.index
            return text[:s] + (" " if s == e and not text[s - 1:s].isspace() else "") + inner + text[e:]
        if not isinstance(node, yaml.MappingNode):
            raise ValueError(f"{'.'.join(path[:depth]) or '(top level)'} is not a mapping")
        found = next((v for k, v in node.value if getattr(k, "value", None) == key), None)
        if found is None:
            return _insert(text, node, path[depth:], value, depth)
        node = found
    if not isinstance(node, yaml.ScalarNode):
        raise ValueError(f"{'.'.join(path)} is not a single value")
    s, e = node.start_mark.index, node.end_mark.index
    return text[:s] + (" " if s == e and not text[s - 1:s].isspace() else "") + _scalar(value) + text[e:]


def _flow(path: tuple[str, ...], value) -> str:
    """``a: {b: value}`` for path (a, b) (without outer braces)."""
    if len(path) == 1:
        return f"{path[0]}: {_scalar(value)}"
    return f"{path[0]}: {{{_flow(path[1:], value)}}}"


def _insert(text: str, mapping, path: tuple[str, ...], value, depth: int) -> str:
    if mapping.flow_style:
        # {a: 1} -> {a: 1, key: value}: insert before the closing brace
        e = mapping.end_mark.index
        close = text.rfind("}", 0, e)
        body = text[mapping.start_mark.index + 1:close].strip()
        sep = ", " if body else ""
        return text[:close].rstrip() + sep + _flow(path, value) + text[close:]
    if depth == 0:
        return (text if text.endswith("\n") else text + "\n") + _nested(path, value, 0)
    first = mapping.value[0][0]
    col = first.start_mark.column
    at = text.rfind("\n", 0, first.start_mark.index) + 1
    return text[:at] + _nested(path, value, col) + text[at:]
