"""Loaders for labelled prompts: JSONL files, the RouteLLM CSV, and the state db's labels.

**JSONL** (one JSON object per line; blank lines skipped)::

    {"prompt": "What is 2+2?", "local_ok": true, "tier": "public", "source": "mine"}

- ``prompt``: non-empty string (or ``features``: a feature record, for text-free exports);
- ``local_ok``: true when the local model's answer was good enough (``expected_tier``
  ``local``/``cloud``, the field of ``../shared/cases/complexity-sample.jsonl``, is read as
  true/false when ``local_ok`` is absent); required where labels are (feedback import, train);
- optional: ``tier`` (public/internal/confidential), ``source`` (a group name for ``--subset``),
  ``local_quality``/``cloud_quality`` (numbers in [0, 1], or booleans: each model's judged
  quality, for ``hrouter eval``), ``local_cost_usd``/``cloud_cost_usd`` (USD >= 0); other keys
  (``id``, ``note``, ...) are ignored.

**RouteLLM CSV** (``routellm_labels.csv`` from lm-sys/RouteLLM, or a folder holding it): columns
``source, subject, prompt, weak_correct, strong_correct, needs_strong, contaminated``.
``local_ok = weak_correct`` (the weak model, Mixtral-8x7B-Instruct, plays the local one);
``local_quality``/``cloud_quality`` = ``weak_correct``/``strong_correct``. Two rules from the
data's README and RouteLLM itself:

- rows flagged ``contaminated`` are dropped by default, as RouteLLM's own evaluation drops them
  (they may appear in its routers' training data); the figures then compare with RouteLLM's;
- MMLU ``high_school_mathematics``: the strong model's correctness is an answer-parsing artefact
  (3% correct), so its ``cloud_quality`` is None: those rows train and calibrate (the weak label
  is sound) but are left out of quality-vs-cost reports.

Every error is a :class:`DataError` (exit 2) whose message starts ``file:line:``.
"""

from __future__ import annotations

from hrouter.paths import expand_user as _expand_user

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from hrouter.errors import InputError

TIERS = ("public", "internal", "confidential")
ROUTELLM_FILE = "routellm_labels.csv"
#: MMLU subjects whose strong-model labels are unusable (see the module docstring).
ROUTELLM_BAD_STRONG = frozenset({"high_school_mathematics"})


class DataError(InputError):
    """A labelled-data file that cannot be read: ``path:line: what is wrong`` (exit 2)."""


@dataclass
class LabelledRow:
    """One labelled prompt as read from a file or the state db.

    ``line``: 1-based line in the file (0 for db rows); ``prompt`` the text (None when only
    ``features`` are known); ``local_ok`` True/False/None (unknown); ``group`` the source name
    (``--subset``); ``subject`` (RouteLLM MMLU subject); qualities in [0, 1] and costs in USD,
    None when not given."""

    line: int
    prompt: str | None
    local_ok: bool | None
    features: dict | None = None
    tier: str | None = None
    group: str | None = None
    subject: str | None = None
    local_quality: float | None = None
    cloud_quality: float | None = None
    local_cost_usd: float | None = None
    cloud_cost_usd: float | None = None


@dataclass
class LoadInfo:
    """What a loader read: ``path``, ``format`` (``jsonl``/``routellm-csv``/``state-db``),
    ``rows`` kept, and what it dropped and why (``dropped``: reason -> count)."""

    path: str
    format: str
    rows: int = 0
    dropped: dict | None = None
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One line: ``read N rows from PATH (format); dropped: ...``."""
        text = f"read {self.rows} row(s) from {self.path} ({self.format})"
        if self.dropped:
            text += "; dropped: " + ", ".join(f"{n} {why}" for why, n in self.dropped.items() if n)
        return text


def _resolve(path: str | os.PathLike) -> Path:
    p = _expand_user(path)
    if p.is_dir():
        cand = p / ROUTELLM_FILE
        if cand.is_file():
            return cand
        raise DataError(f"{p}: a folder without {ROUTELLM_FILE}")
    if not p.exists():
        raise DataError(f"{p}: no such file")
    return p


#: Largest cost of one answer a file may give, USD (so any sum over a file stays finite).
MAX_USD = 1e6


def _shown(value) -> str:
    """``repr(value)``, short (a 400-digit integer is described, not printed)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 18:
        return f"an integer of {len(str(abs(value)))} digits"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:59] + "…"


def _unit(value, where: str, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if not isinstance(value, (int, float)) or not 0 <= value <= 1 or not math.isfinite(float(value)):
        raise DataError(f"{where}: '{key}' must be a number in [0, 1] or a boolean, not {_shown(value)}")
    return float(value)


def _usd(value, where: str, key: str) -> float | None:
    if value is None:
        return None
    if (isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= MAX_USD
            or not math.isfinite(float(value))):
        raise DataError(f"{where}: '{key}' must be a number of USD in [0, {MAX_USD:g}], not {_shown(value)}")
    return float(value)


def _text_ok(value: str, where: str, key: str) -> None:
    """DataError unless ``value`` is valid Unicode text (JSON's ``\\ud800`` escapes can give a
    string with a lone surrogate, which no file, database or terminal can store)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise DataError(f"{where}: '{key}' holds a lone surrogate (\\u{ord(value[exc.start]):04x} at character "
                        f"{exc.start}): not valid Unicode text") from None


def load_jsonl(path: str | os.PathLike, *, require_label: bool = False) -> tuple[list[LabelledRow], LoadInfo]:
    """Read a labelled JSONL file (fields: module docstring). ``require_label``: every line must
    carry ``local_ok`` (or ``expected_tier`` local/cloud). Raises :class:`DataError` at the
    first bad line (``file:line: ...``) or when the file cannot be read."""
    from .features import check_record
    p = _resolve(path)
    rows: list[LabelledRow] = []
    try:
        fh = open(p, "rb")
    except OSError as exc:
        raise DataError(f"{p}: cannot read ({exc.strerror})") from None

    def reject(constant: str):
        raise ValueError(f"{constant} is not valid JSON")
    with fh:
        for n, raw in enumerate(fh, 1):
            where = f"{p}:{n}"
            try:
                line = raw.decode("utf-8-sig" if n == 1 else "utf-8").strip()
            except UnicodeDecodeError as exc:
                raise DataError(f"{where}: not valid UTF-8 (byte {exc.start} of the line)") from None
            if not line:
                continue
            try:
                obj = json.loads(line, parse_constant=reject)
            except ValueError as exc:
                raise DataError(f"{where}: invalid JSON ({getattr(exc, 'msg', exc)})") from None
            except RecursionError:
                raise DataError(f"{where}: invalid JSON (nested too deeply)") from None
            if not isinstance(obj, dict):
                raise DataError(f"{where}: each line must be a JSON object with a 'prompt'")
            prompt, feats = obj.get("prompt"), obj.get("features")
            if feats is not None:
                try:
                    check_record(feats)
                except ValueError as exc:
                    raise DataError(f"{where}: {exc}") from None
            if prompt is None and feats is None:
                raise DataError(f"{where}: missing 'prompt' (a non-empty string)")
            if prompt is not None and (not isinstance(prompt, str) or not prompt.strip() or "\x00" in prompt):
                raise DataError(f"{where}: 'prompt' must be a non-empty string")
            if prompt is not None:
                _text_ok(prompt, where, "prompt")
            ok = obj.get("local_ok")
            if ok is None and obj.get("expected_tier") in ("local", "cloud"):
                ok = obj["expected_tier"] == "local"
            if ok is not None and not isinstance(ok, bool):
                raise DataError(f"{where}: 'local_ok' must be true or false, not {_shown(ok)}")
            if require_label and ok is None:
                raise DataError(f"{where}: missing 'local_ok' (true or false)")
            tier = obj.get("tier")
            if tier is not None and tier not in TIERS:
                raise DataError(f"{where}: 'tier' must be one of {', '.join(TIERS)}, not {_shown(tier)}")
            # The sensitivity labels of the explain --jsonl files count too: the most severe one
            # is the row's tier (a floor for eval --judge: never sent where that tier may not go).
            for field_name in ("expected", "expected_tier"):
                label = obj.get(field_name)
                if label in TIERS and (tier is None or TIERS.index(label) > TIERS.index(tier)):
                    tier = label
            group = obj.get("source")
            if group is not None and not isinstance(group, str):
                raise DataError(f"{where}: 'source' must be a string")
            if group is not None:
                _text_ok(group, where, "source")
            rows.append(LabelledRow(
                line=n, prompt=prompt, local_ok=ok, features=feats, tier=tier, group=group,
                local_quality=_unit(obj.get("local_quality"), where, "local_quality"),
                cloud_quality=_unit(obj.get("cloud_quality"), where, "cloud_quality"),
                local_cost_usd=_usd(obj.get("local_cost_usd"), where, "local_cost_usd"),
                cloud_cost_usd=_usd(obj.get("cloud_cost_usd"), where, "cloud_cost_usd")))
    return rows, LoadInfo(str(p), "jsonl", len(rows))


def _flag(value: str, where: str, key: str) -> bool:
    v = (value or "").strip().lower()
    if v in ("1", "true", "1.0"):
        return True
    if v in ("0", "false", "0.0"):
        return False
    raise DataError(f"{where}: column '{key}' must be 0 or 1, not {value!r}")


def load_routellm_csv(path: str | os.PathLike, *, keep_contaminated: bool = False
                      ) -> tuple[list[LabelledRow], LoadInfo]:
    """Read RouteLLM's labels (``routellm_labels.csv`` or a folder holding it; rules in the
    module docstring). Raises :class:`DataError` (``file:line: ...``) on a malformed row."""
    import csv
    p = _resolve(path)
    rows: list[LabelledRow] = []
    contaminated = bad_strong = 0
    try:
        fh = open(p, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise DataError(f"{p}: cannot read ({exc.strerror})") from None
    with fh:
        reader = csv.DictReader(fh)
        try:
            header = reader.fieldnames or []
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataError(f"{p}:1: not a CSV header ({exc})") from None
        missing = [c for c in ("prompt", "weak_correct", "strong_correct") if c not in header]
        if missing:
            raise DataError(f"{p}:1: not RouteLLM labels: missing column(s) {', '.join(missing)} "
                            "(want source, subject, prompt, weak_correct, strong_correct, contaminated)")
        start = 2
        while True:
            try:
                rec = next(reader)
            except StopIteration:
                break
            except (csv.Error, UnicodeDecodeError) as exc:
                raise DataError(f"{p}:{start}: malformed CSV ({exc})") from None
            where = f"{p}:{start}"
            start = reader.line_num + 1
            prompt = rec.get("prompt")
            if not prompt or not prompt.strip():
                raise DataError(f"{where}: empty 'prompt'")
            weak = _flag(rec.get("weak_correct"), where, "weak_correct")
            strong = _flag(rec.get("strong_correct"), where, "strong_correct")
            if rec.get("contaminated") not in (None, "") and _flag(rec["contaminated"], where, "contaminated"):
                if not keep_contaminated:
                    contaminated += 1
                    continue
            subject = rec.get("subject") or None
            cloud_q: float | None = 1.0 if strong else 0.0
            if subject in ROUTELLM_BAD_STRONG:
                cloud_q = None
                bad_strong += 1
            rows.append(LabelledRow(line=int(where.rsplit(":", 1)[1]), prompt=prompt, local_ok=weak,
                                    group=rec.get("source") or None, subject=subject,
                                    local_quality=1.0 if weak else 0.0, cloud_quality=cloud_q))
    info = LoadInfo(str(p), "routellm-csv", len(rows),
                    {"contaminated (RouteLLM excludes them)": contaminated} if contaminated else None)
    if bad_strong:
        info.dropped = dict(info.dropped or {})
        info.dropped["strong-model labels of MMLU high_school_mathematics (kept for the weak label)"] = bad_strong
    return rows, info


def load_file(path: str | os.PathLike, *, require_label: bool = False) -> tuple[list[LabelledRow], LoadInfo]:
    """A RouteLLM CSV (``.csv`` or a folder) or a JSONL file, by name. See the loaders."""
    p = _resolve(path)
    if p.suffix.lower() == ".csv":
        return load_routellm_csv(p)
    return load_jsonl(p, require_label=require_label)


def feedback_rows(rows: Iterable[dict]) -> tuple[list[LabelledRow], LoadInfo]:
    """Labelled rows from :meth:`hrouter.state.StateDB.feedback` dicts (those with ``local_ok``
    known and features or a prompt to compute them from). A stored row whose features are not a
    valid record (e.g. written by an older hrouter that did not bound them) is recomputed from its
    prompt when one is stored, else skipped: ``info.notes`` holds one line per skipped row, naming
    its label id and the field at fault."""
    from .features import check_record
    out, no_features, invalid = [], 0, 0
    notes: list[str] = []
    for r in rows:
        if r.get("local_ok") is None:
            continue
        feats = r.get("features")
        bad = None
        if feats is not None:
            try:
                check_record(feats)
            except ValueError as exc:
                feats, bad = None, str(exc)
        prompt = r.get("prompt")
        if feats is None and not (isinstance(prompt, str) and prompt.strip()):
            if bad is not None:
                invalid += 1
                notes.append(f"label {r.get('id')} ({r.get('key')}): {bad}; skipped")
            else:
                no_features += 1
            continue
        out.append(LabelledRow(line=0, prompt=prompt, local_ok=bool(r["local_ok"]), features=feats,
                               tier=r.get("tier"), group=r.get("source")))
    dropped = {k: v for k, v in (("without features", no_features), ("with invalid features", invalid)) if v}
    info = LoadInfo("state db", "state-db", len(out), dropped or None, notes)
    return out, info
def stored_labels(path: str | os.PathLike | None = None, *, note: Callable[[str], None] | None = None) -> list[dict]:
    """The state db's labels whose ``local_ok`` is known (:meth:`hrouter.state.StateDB.feedback`
    dicts), for training. Training only reads: when the database file or its directory is not
    writable (or opening it for writing fails as read-only) it is opened read-only, creating no
    file (see :func:`_read_only_labels`), and ``note`` says so. A missing database has no labels (none is
    created). ``path``: the database (default ``<state dir>/state.db``). Raises
    :class:`hrouter.state.StateError` when it cannot be read."""
    from hrouter.paths import STATE_DB, state_dir
    from hrouter.state import StateDB, StateError
    p = _expand_user(path) if path is not None else state_dir() / STATE_DB
    if not p.exists():
        return []
    if _writable(p):
        try:
            with StateDB(p) as db:
                return db.feedback(labelled_only=True)
        except StateError as exc:
            text = str(exc).lower()
            if "read-only" not in text and "readonly" not in text:
                raise
    if note:
        note(f"state database {p} is not writable: reading its labels read-only")
    return _read_only_labels(p)


def _writable(p: Path) -> bool:
    return os.access(p, os.R_OK | os.W_OK) and os.access(p.parent, os.W_OK | os.X_OK)


def _read_only_labels(p: Path) -> list[dict]:
    """The labels of the database at ``p`` without writing anything next to it. With no pending
    write-ahead log the file is complete and is read as ``immutable`` (SQLite then creates no
    ``-shm``/``-wal`` file: one owned by another user would lock the owner out); with one, it is
    opened ``mode=ro`` (reading the log through the existing ``-shm``)."""
    import sqlite3
    from urllib.parse import quote

    from hrouter.state import StateDB, StateError

    wal = p.with_name(p.name + "-wal")
    try:
        pending = wal.stat().st_size > 0
    except OSError:
        pending = False

    class ReadOnly(StateDB):
        def _open(self):  # no create, no migration, no maintenance: only reads
            uri = f"file:{quote(str(self.path))}?mode=ro" + ("" if pending else "&immutable=1")
            conn = sqlite3.connect(uri, uri=True, timeout=0, isolation_level=None, check_same_thread=False)
            try:
                conn.execute("PRAGMA query_only = ON")
            except sqlite3.Error:
                conn.close()
                raise
            return conn

    db = ReadOnly(p)
    try:
        return db.feedback(labelled_only=True)
    except StateError as exc:
        if pending:
            raise StateError(f"state database {p} is read-only and SQLite cannot read it without writing (its "
                             f"write-ahead log {wal.name} holds changes not yet in the file; {exc}): run `hrouter "
                             f"train` as a user who can write {p.parent}, or copy the state dir and point "
                             "HROUTER_HOME at the copy", path=p) from None
        raise StateError(f"{exc} (opened read-only for training)", path=p) from None
    finally:
        db.close()


def select(rows: list[LabelledRow], subset: str | None) -> list[LabelledRow]:
    """Rows whose group is ``subset`` or ends with ``:subset`` (``gsm8k`` matches ``routellm:gsm8k``);
    all rows when ``subset`` is None. Raises :class:`DataError` when nothing matches."""
    if not subset:
        return rows
    kept = [r for r in rows if r.group == subset or (r.group or "").rsplit(":", 1)[-1] == subset]
    if not kept:
        groups = sorted({r.group for r in rows if r.group})
        raise DataError(f"--subset {subset}: no rows of that source (sources: {', '.join(groups) or 'none'})")
    return kept


def features_of(rows: list[LabelledRow], config=None, progress: Callable[[int, int], None] | None = None
                ) -> list[dict]:
    """The feature record of each row: its stored ``features``, else computed from its prompt
    (:func:`hrouter.learn.features.extract` with ``config``). ``progress(done, total)`` every 500 rows."""
    from .features import extract
    out = []
    total = len(rows)
    for i, r in enumerate(rows, 1):
        out.append(r.features if r.features is not None else extract(r.prompt or "", config))
        if progress and (i % 500 == 0 or i == total):
            progress(i, total)
    return out
