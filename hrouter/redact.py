"""Redact-then-send: replace chosen findings with typed placeholders before a prompt leaves, and
restore them in the answer locally.

A finding of a detector listed in ``sensitivity.redact`` becomes ``[EMAIL_1]``, ``[PHONE_2]``...
(the same value always gets the same placeholder, every occurrence of it is replaced, and a
placeholder already in the prompt or system prompt is never reused); a prompt with a confidential
finding that is not redactable (PHI, a secret...) is not redacted at all. The redacted text is
tagged again; only if its tier is lower than the original's may it reach the extra zones (the
router decides). The answer streams through :class:`Restorer`, which puts the original values
back before anything is printed, holding back a chunk's tail only while it could still be the
start of a placeholder.
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


#: Separators an ID number may be written with (``S530-4607-2981``, ``S530 4607 2981``,
#: ``S530.4607.2981``, ``S53046072981``): at most three between two characters.
_SEPARATORS = r"[\s\-./\u2010-\u2015]{0,3}"


def _atoms(value: str) -> list[list[str]]:
    """The patterns (as lists of regex atoms) that find ``value``: as written (any whitespace run
    where it has whitespace); and a digit-heavy value (an ID number) also with other separators
    or none. Letters are lower case (matched case-insensitively)."""
    words = value.split()
    if not words:
        return []
    exact: list[str] = []
    for i, w in enumerate(words):
        if i:
            exact.append(r"\s+")
        exact += [re.escape(c.lower() if len(c.lower()) == 1 else c) for c in w]
    out = [exact]
    compact = [c for c in value if c.isalnum()]
    digits = sum(c.isdigit() for c in compact)
    if len(compact) >= 6 and digits >= 4 and 2 * digits >= len(compact):
        atoms: list[str] = []
        for i, c in enumerate(compact):
            if i:
                atoms.append(_SEPARATORS)
            atoms.append(re.escape(c.lower() if len(c.lower()) == 1 else c))
        out.append(atoms)
    return out


def _norm(s: str) -> str:
    return " ".join(s.split()).lower()


def _compact(s: str) -> str:
    return "".join(c for c in s if c.isalnum()).lower()


def _occurrences(text: str, keys):
    """Spans of every occurrence in ``text`` of each key's value (``(kind, value)``), also inside
    longer tokens (fail closed), each with its key (the first key whose value it is)."""
    per_key = [(key, _atoms(key[1])) for key in keys]
    patterns = [atoms for _, alls in per_key for atoms in alls]
    if not patterns:
        return
    by_norm: dict[str, tuple] = {}
    by_compact: dict[str, tuple] = {}
    for key, alls in per_key:
        by_norm.setdefault(_norm(key[1]), key)
        if len(alls) > 1:
            by_compact.setdefault(_compact(key[1]), key)
    from .signals.sensitivity import trie_pattern

    finder = re.compile(trie_pattern(patterns), re.IGNORECASE)
    for m in finder.finditer(text):
        if m.end() <= m.start():
            continue
        found = m.group(0)
        key = by_norm.get(_norm(found)) or by_compact.get(_compact(found))
        if key is None:  # a case fold lower() does not undo: whichever value's pattern it is
            key = next((k for k, alls in per_key
                        if any(re.fullmatch("".join(a), found, re.IGNORECASE) for a in alls)), per_key[0][0])
        yield m.start(), m.end(), key


def redact(text: str, findings, detectors: tuple[str, ...], system: str | None = None) -> Redaction | None:
    """Replace every finding of ``detectors`` in ``text``; None when there is none to replace, or
    when the prompt must not be redacted at all.

    ``findings`` must carry offsets into ``text`` (findings of the system prompt, masked
    ``... [system prompt]``, are excluded by the caller); a finding of the system prompt joined to
    the prompt (masked ``... [system prompt + prompt]``) carries offsets into ``system + " " +
    text`` and is mapped back with ``system`` (without it, or when its value lies in the system
    prompt, which is sent as is, there is no redaction). A finding in a structured view or a
    decoded run (``email (table)``, ``email (base64)``) counts as its detector's (``email``): its
    span (the cell, or the whole encoded run) is replaced.

    Fail closed:

    * a confidential finding of a detector not in ``detectors`` (PHI, a secret, an image, a
      custom rule...) means no redaction: the prompt is not to leave in any form, and redacting
      the rest could make the re-tagged text lose it (PHI needs a personal identifier);
    * every occurrence of a redacted value is replaced, not only the span the tagger found (also
      inside a longer token, with other whitespace, and for an ID number with other separators);
    * a value to redact that is also in ``system`` (sent as is) means no redaction;
    * a placeholder never collides with text already in the prompt or ``system`` (its index is
      skipped), so the answer's mention of such text is never "restored".
    """
    from hrouter.signals import tier_rank
    from hrouter.signals.sensitivity import _base_name

    confidential = tier_rank("confidential")
    shift = len(system) + 1 if system else None
    chosen = []
    for f in findings:
        base = _base_name(f.detector)
        try:
            rank = tier_rank(f.tier)
        except ValueError:
            rank = confidential  # an unknown tier: treat as the highest
        if base not in detectors:
            if rank >= confidential:
                return None
            continue
        start, end = f.start, f.end
        if str(f.masked).endswith("[system prompt]"):  # (the caller leaves these out)
            if rank >= confidential:
                return None  # a value in the system prompt, which is sent as is
            continue
        if str(f.masked).endswith("[system prompt + prompt]"):
            if shift is None or start < shift:
                return None
            start, end = start - shift, end - shift
        if end > start:
            if start < 0 or end > len(text):
                return None  # offsets that are not into the text: do not guess
            chosen.append((start, end, base))
    if not chosen:
        return None
    # Every value found, in order; then every occurrence of each (its own span included).
    values: dict[tuple[str, str], None] = {}
    spans = []
    for start, end, kind in sorted(chosen):
        key = (kind, text[start:end])
        values.setdefault(key, None)
        spans.append((start, end, key))
    if system and next(_occurrences(system, values), None) is not None:
        return None  # a value to redact is also in the system prompt, which is sent as is
    spans += list(_occurrences(text, values))
    spans.sort(key=lambda sp: (sp[0], -sp[1]))

    taken = set(_PLACEHOLDER.findall(text)) | set(_PLACEHOLDER.findall(system or ""))
    out, pos = [], 0
    mapping: dict[str, str] = {}
    by_value: dict[tuple[str, str], str] = {}
    counters: dict[str, int] = {}
    kinds: dict[str, int] = {}
    for start, end, key in spans:
        if end <= pos:
            continue  # already replaced (the same span, or inside a longer one)
        if key not in by_value:
            label = key[0].upper()
            n = counters.get(label, 0) + 1
            while (label, str(n)) in taken:
                n += 1
            counters[label] = n
            by_value[key] = f"[{label}_{n}]"
            mapping[by_value[key]] = key[1]
        # A span overlapping the one before it: its rest is replaced too (no part of a redacted
        # value leaves in clear; the answer then restores the overlap twice).
        out.append(text[pos:max(start, pos)])
        out.append(by_value[key])
        kinds[key[0]] = kinds.get(key[0], 0) + 1
        pos = end
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
