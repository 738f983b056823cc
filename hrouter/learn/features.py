"""The learned router's features: a compact, text-free record of a prompt, and its vector form.

The *feature record* is what the state db keeps for a labelled prompt when the policy does not
allow storing its text (``audit.log_prompt`` other than ``raw``), and what a model reads::

    {"v": 1,                         # FEATURE_VERSION
     "tokens": 212,                  # estimated input tokens (hrouter.signals.tokens)
     "images": 0,                    # attached images
     "c": {"length": 0.25, "reasoning": 0.3, ...},   # complexity component values in [0, 1]
     "h": [17, [403, 2], 518, ...]}  # hashed word uni+bigrams: bucket (< 1024), or [bucket, count]

- ``c``: the values of :func:`hrouter.signals.complexity.score_complexity` (weights are not
  applied: the record does not depend on the policy; the rule score is recomputed from it with
  the policy's weights by :func:`rule_score`).
- ``h``: the hashed word uni+bigrams. Words: lower-cased runs of Unicode letters/digits (a word
  holding a digit becomes ``0``), the first :data:`MAX_WORDS` of the prompt; each word and each
  adjacent pair (joined by one space) is hashed with CRC-32 (``zlib.crc32`` of its UTF-8) modulo
  :data:`RECORD_BUCKETS`. The buckets hit are listed ascending, a bucket hit once as its number
  and one hit more often as ``[bucket, count]`` (about 500 bytes for a 450-character prompt).
  CRC-32 is stable across processes and platforms (Python's ``hash()`` is salted per process).
  The record holds no text: 1024 buckets collide heavily, so it cannot be read back; a dictionary
  attack can still test whether a given word is *consistent* with a record, so treat stored
  records as metadata about the prompt, not as anonymous. ``h`` is absent when only the
  components were known (a label taken from an audit record without the prompt).

The *vector* (:func:`vectorize`) a model multiplies by its weights: the dense part is the seven
component values then ``log_tokens = min(1, ln(1 + tokens) / ln(8192))``; the sparse part folds
the buckets down to the model's bucket count (a power of two <= 1024: ``bucket % n``), takes
``ln(1 + count)`` and scales that vector to unit L2 norm (so long prompts do not dominate).

Cost: :func:`extract` is one :func:`score_complexity` call (0.05-1 ms) plus the hashing (about
10 microseconds per 100 words); :func:`vectorize` is a few microseconds.
"""

from __future__ import annotations

import math
import re
import zlib

from hrouter.signals.complexity import COMPONENTS

#: Version of the record layout above (stored as ``v``).
FEATURE_VERSION = 1
#: Hash buckets of the stored record; model bucket counts must divide it.
RECORD_BUCKETS = 1024
#: Words of a prompt that are hashed (the head of a longer prompt).
MAX_WORDS = 4096
#: Names of the dense features, in vector order.
DENSE: tuple[str, ...] = tuple(COMPONENTS) + ("log_tokens",)
#: Largest ``tokens`` a feature record may carry (a valid record is read into floats).
MAX_TOKENS = 10 ** 9
#: Largest n-gram count (and ``images``) a feature record may carry.
MAX_COUNT = 10 ** 6
#: Most ``h`` entries a feature record may carry (one per bucket; duplicates allowed, folded).
MAX_ENTRIES = 4 * RECORD_BUCKETS
#: Bucket counts a model may use.
ALLOWED_BUCKETS: tuple[int, ...] = (64, 128, 256, 512, 1024)

_WORD_RE = re.compile(r"[^\W_]+")
_LOG_MAX_TOKENS = math.log(8192.0)


def _words(text: str) -> list[str]:
    out = []
    for w in _WORD_RE.findall(text.lower()):
        if any(ch.isdigit() for ch in w):
            w = "0"
        out.append(w)
        if len(out) >= MAX_WORDS:
            break
    return out


def ngram_counts(text: str, buckets: int = RECORD_BUCKETS) -> dict[int, int]:
    """Hashed word unigram and bigram counts of ``text``: ``{bucket: count}``, bucket in
    ``[0, buckets)``, by CRC-32 of the UTF-8 n-gram (see the module docstring)."""
    counts: dict[int, int] = {}
    words = _words(text or "")
    crc = zlib.crc32
    prev = None
    for w in words:
        b = crc(w.encode("utf-8")) % buckets
        counts[b] = counts.get(b, 0) + 1
        if prev is not None:
            b = crc(f"{prev} {w}".encode("utf-8")) % buckets
            counts[b] = counts.get(b, 0) + 1
        prev = w
    return counts


def record_from_complexity(text: str | None, complexity, tokens: int, images: int = 0) -> dict:
    """The feature record of a prompt whose signals are already computed (the ``ask`` hook: no
    second scoring). ``complexity``: a :class:`hrouter.signals.ComplexityResult` (or a mapping
    component -> value); ``tokens``: the input-token estimate; ``text``: the prompt, hashed and
    dropped (None: no ``h``)."""
    comps = getattr(complexity, "components", complexity) or {}
    values = {}
    for name in COMPONENTS:
        c = comps.get(name)
        v = getattr(c, "value", c)
        values[name] = round(min(1.0, max(0.0, float(v or 0.0))), 4)
    rec: dict = {"v": FEATURE_VERSION, "tokens": min(MAX_TOKENS, max(0, int(tokens or 0))),
                 "images": min(MAX_COUNT, max(0, int(images or 0))),
                 "c": values}
    if text is not None:
        rec["h"] = [b if n == 1 else [b, n] for b, n in sorted(ngram_counts(text).items())]
    return rec


def extract(text: str, config=None, *, images: int = 0, tokens: int | None = None) -> dict:
    """Score ``text`` with the built-in complexity scorer and return its feature record.

    ``config``: a :class:`hrouter.policy_model.ComplexityConfig` (default weights when None; the
    record does not depend on them); ``tokens``: the caller's count (estimated when None)."""
    from hrouter.policy_model import ComplexityConfig
    from hrouter.signals.complexity import score_complexity
    from hrouter.signals.tokens import estimate_tokens
    text = text or ""
    t = estimate_tokens(text) if tokens is None else max(0, int(tokens))
    result = score_complexity(text, config or ComplexityConfig(), images=images, tokens=t)
    return record_from_complexity(text, result, t, images)


def record_from_audit(rec: dict) -> dict | None:
    """A feature record rebuilt from an audit ``request`` record: its ``components`` and
    ``input_tokens``, plus the n-grams of its ``prompt`` when the log kept one (masked or raw).
    None when the record has no components."""
    comps = rec.get("components")
    if not isinstance(comps, dict) or not comps:
        return None
    try:
        values = {name: float(comps.get(name) or 0.0) for name in COMPONENTS}
    except (TypeError, ValueError, OverflowError):
        return None
    text = rec.get("prompt") if isinstance(rec.get("prompt"), str) else None
    tokens = rec.get("input_tokens")
    if not isinstance(tokens, int) or tokens <= 0:
        from hrouter.signals.tokens import estimate_tokens
        tokens = estimate_tokens(text) if text else 0
    images = rec.get("images")
    return record_from_complexity(text, values, tokens, images if isinstance(images, int) else 0)


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def check_record(obj) -> dict:
    """``obj`` if it is a valid feature record, else ValueError naming the field at fault.

    Bounds (a record is read into floats; an unbounded integer would overflow them): ``tokens``
    an integer in [0, :data:`MAX_TOKENS`], ``images`` in [0, :data:`MAX_COUNT`], each component
    value a finite number in [0, 1], each ``h`` entry a bucket in [0, :data:`RECORD_BUCKETS`) or
    ``[bucket, count]`` with count in [1, :data:`MAX_COUNT`], at most :data:`MAX_ENTRIES` entries."""
    if not isinstance(obj, dict):
        raise ValueError("features: not an object")
    if obj.get("v") != FEATURE_VERSION or not _is_int(obj.get("v")):
        raise ValueError(f"features.v: version {obj.get('v')!r}, this hrouter reads {FEATURE_VERSION}")
    tokens = obj.get("tokens")
    if not _is_int(tokens) or not 0 <= tokens <= MAX_TOKENS:
        raise ValueError(f"features.tokens: must be an integer in [0, {MAX_TOKENS}], not {_short(tokens)}")
    images = obj.get("images", 0)
    if not _is_int(images) or not 0 <= images <= MAX_COUNT:
        raise ValueError(f"features.images: must be an integer in [0, {MAX_COUNT}], not {_short(images)}")
    comps = obj.get("c")
    if not isinstance(comps, dict):
        raise ValueError("features.c: must be an object of component values")
    for name in COMPONENTS:
        v = comps.get(name, 0.0)
        if (not isinstance(v, (int, float)) or isinstance(v, bool) or not 0 <= v <= 1
                or not math.isfinite(float(v))):
            raise ValueError(f"features.c.{name}: must be a number in [0, 1], not {_short(v)}")
    h = obj.get("h")
    if h is not None:
        if not isinstance(h, list):
            raise ValueError("features.h: must be a list of buckets or [bucket, count]")
        if len(h) > MAX_ENTRIES:
            raise ValueError(f"features.h: {len(h)} entries, at most {MAX_ENTRIES}")
        for i, item in enumerate(h):
            pair = [item, 1] if _is_int(item) else item
            if (not isinstance(pair, list) or len(pair) != 2 or not all(_is_int(x) for x in pair)
                    or not 0 <= pair[0] < RECORD_BUCKETS or not 1 <= pair[1] <= MAX_COUNT):
                raise ValueError(f"features.h[{i}]: bad entry {_short(item)} (want a bucket in [0, "
                                 f"{RECORD_BUCKETS}) or [bucket, count] with count in [1, {MAX_COUNT}])")
    return obj


def _short(value, limit: int = 60) -> str:
    """``repr(value)`` cut to ``limit`` characters (a 400-digit number must not flood the message)."""
    if _is_int(value) and abs(value) >= 10 ** 18:
        return f"an integer of {len(str(abs(value)))} digits"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        text = f"a {type(value).__name__}"
    return text if len(text) <= limit else text[:limit - 1] + "…"


def rule_score(record: dict, weights: dict[str, float] | None = None) -> float:
    """The rule-based complexity score of a record: ``min(1, sum(weight * value))`` with
    ``weights`` (default :data:`hrouter.policy_model.DEFAULT_WEIGHTS`), as
    :func:`hrouter.signals.complexity.score_complexity` computes it."""
    from hrouter.policy_model import DEFAULT_WEIGHTS
    w = dict(DEFAULT_WEIGHTS)
    w.update({k: v for k, v in (weights or {}).items() if v is not None})
    comps = record.get("c") or {}
    return min(1.0, max(0.0, sum(float(w.get(n, 0.0)) * float(comps.get(n, 0.0)) for n in COMPONENTS)))


def dense_vector(record: dict) -> list[float]:
    """The dense part of :func:`vectorize`: component values in :data:`COMPONENTS` order, then
    ``log_tokens``."""
    comps = record.get("c") or {}
    out = [float(comps.get(n, 0.0)) for n in COMPONENTS]
    out.append(min(1.0, math.log1p(max(0, record.get("tokens") or 0)) / _LOG_MAX_TOKENS))
    return out


def sparse_vector(record: dict, buckets: int) -> tuple[list[int], list[float]]:
    """The sparse part of :func:`vectorize`: (bucket indices, values) after folding to
    ``buckets``, ``ln(1 + count)``, unit L2 norm. Empty when the record has no ``h``."""
    folded: dict[int, int] = {}
    for item in record.get("h") or ():
        if type(item) is int:
            k, n = item % buckets, 1
        else:
            k, n = item[0] % buckets, item[1]
        folded[k] = folded.get(k, 0) + n
    if not folded:
        return [], []
    idx = sorted(folded)
    val = [math.log1p(folded[k]) for k in idx]
    norm = math.sqrt(sum(v * v for v in val))
    return idx, [v / norm for v in val]


def vectorize(record: dict, buckets: int) -> tuple[list[float], list[int], list[float]]:
    """``(dense, sparse indices, sparse values)`` of a feature record for a model with
    ``buckets`` hash buckets (see the module docstring)."""
    idx, val = sparse_vector(record, buckets)
    return dense_vector(record), idx, val
