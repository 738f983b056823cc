"""Redact-then-send: replace chosen findings with typed placeholders before a prompt leaves, and
restore them in the answer locally.

A finding of a detector listed in ``sensitivity.redact`` becomes ``[EMAIL_1]``, ``[PHONE_2]``...
(the same value always gets the same placeholder). The redacted text is tagged again; only if its
tier is lower than the original's may it reach the extra zones (the router decides). The answer
streams through :class:`Restorer`, which puts the original values back before anything is
printed, holding back a chunk's tail only while it could still be the start of a placeholder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PLACEHOLDER = re.compile(r"\[([A-Z_]+)_(\d+)\]")


@dataclass
class Redaction:
    """``text`` with placeholders; ``mapping`` placeholder -> original value; ``kinds`` count per
    detector. ``mapping`` never leaves the process (not logged, not sent)."""

    text: str
    mapping: dict[str, str] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(self.kinds.values())

    def summary(self) -> dict:
        """For the audit log and explain: how many values, of which kinds (never the values)."""
        return {"count": self.count, "kinds": dict(sorted(self.kinds.items()))}


def redact(text: str, findings, detectors: tuple[str, ...]) -> Redaction | None:
    """Replace every finding of ``detectors`` in ``text``; None when there is none to replace.

    ``findings`` must carry offsets into ``text`` (findings of the system prompt are excluded by
    the caller). Overlapping findings are skipped after the first. A finding in a structured view
    or a decoded run (``email (table)``, ``email (base64)``) counts as its detector's (``email``):
    its span (the cell, or the whole encoded run) is replaced.
    """
    from hrouter.signals.sensitivity import _base_name

    chosen = sorted((f for f in findings if _base_name(f.detector) in detectors and f.end > f.start),
                    key=lambda f: f.start)
    if not chosen:
        return None
    out, pos = [], 0
    mapping: dict[str, str] = {}
    by_value: dict[tuple[str, str], str] = {}
    counters: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for f in chosen:
        if f.start < pos:
            continue
        value = text[f.start:f.end]
        kind = _base_name(f.detector)
        key = (kind, value)
        if key not in by_value:
            label = kind.upper()
            counters[label] = counters.get(label, 0) + 1
            by_value[key] = f"[{label}_{counters[label]}]"
            mapping[by_value[key]] = value
        out.append(text[pos:f.start])
        out.append(by_value[key])
        kinds[kind] = kinds.get(kind, 0) + 1
        pos = f.end
    out.append(text[pos:])
    return Redaction(text="".join(out), mapping=mapping, kinds=kinds)


class Restorer:
    """Streams answer chunks, replacing placeholders with the original values.

    ``feed(chunk)`` returns the text that is safe to print now; ``flush()`` the rest at the end.
    A tail that might be an unfinished placeholder (``[EMA``) is held back until it resolves.
    """

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping
        self._pending = ""
        self._longest = max((len(k) for k in mapping), default=0)

    def _restore(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.mapping.get(m.group(0), m.group(0)), text)

    def feed(self, chunk: str) -> str:
        text = self._pending + chunk
        cut = text.rfind("[")
        if cut != -1 and "]" not in text[cut:] and len(text) - cut < self._longest:
            self._pending, text = text[cut:], text[:cut]
        else:
            self._pending = ""
        return self._restore(text)

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return self._restore(text)
