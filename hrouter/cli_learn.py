"""``hrouter feedback``, ``train``, ``calibrate`` and ``eval``: the learned-routing commands.

A thin layer over :mod:`hrouter.learn` (registered on the main Typer app by :func:`register`).
Only Typer is imported at module level: the library (and scikit-learn, when training with it)
loads inside each command. Results go to stdout (``--json`` for machines); progress and notes
go to stderr; errors are :class:`hrouter.errors.HrouterError` for the CLI's error boundary.
"""

from __future__ import annotations

import sys
import time
from typing import Optional

import typer

from .errors import InputError

_PolicyOpt = typer.Option(None, "--policy", "-p", metavar="PATH",
                          help="Policy file (default: $HROUTER_POLICY, ./hrouter.yaml, the config dir, the built-in).")
_JsonOpt = typer.Option(False, "--json", help="One JSON object on stdout.")
_SubsetOpt = typer.Option(None, "--subset", metavar="SOURCE",
                          help="Only rows of this source (RouteLLM: gsm8k or mmlu; JSONL: the 'source' field).")
_RouterOpt = typer.Option(None, "--router", metavar="rules|learned",
                          help="The router to score with (default: the policy's router).")
_ModelOpt = typer.Option(None, "--model", metavar="PATH",
                         help="Learned model file (default: the policy's learned.model, else the state dir's).")


#: Fewer labels than this of either kind (local ok / not ok) draw a warning from ``train``.
MIN_PER_CLASS = 20


class _Progress:
    """Progress on stderr: a Rich progress bar (count, share, elapsed, remaining) on a terminal,
    one closing line otherwise (pipes and logs stay clean)."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.t0 = time.perf_counter()
        self.tty = bool(getattr(sys.stderr, "isatty", lambda: False)())
        self._bar = None
        self._task = None

    def __call__(self, done: int, total: int) -> None:
        if not self.tty:
            return
        if self._bar is None:
            from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                       TimeRemainingColumn)
            from .render import stderr_console
            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), TimeRemainingColumn(), console=stderr_console(),
                                 transient=True)
            self._bar.start()
            import atexit
            atexit.register(self._stop)  # an error mid-way still restores the terminal
            self._task = self._bar.add_task(self.what, total=total)
        self._bar.update(self._task, completed=done, total=total)

    def _stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def done(self, text: str) -> None:
        self._stop()
        sys.stderr.write(f"{text} ({time.perf_counter() - self.t0:.1f} s)\n")
        sys.stderr.flush()


def _note(text: str) -> None:
    sys.stderr.write(f"hrouter: {text}\n")


def _load(policy: Optional[str]):
    from .cli import _load as load
    return load(policy)


def _finite(obj):
    """``obj`` with every non-finite float replaced by None (JSON has no NaN or Infinity)."""
    import math
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


def _print_json(obj) -> None:
    """One JSON object on stdout: strict JSON always (a non-finite number, which the loaders
    should never let through, is printed as null with a note rather than as NaN/Infinity)."""
    import json
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    except ValueError:
        _note("a non-finite number in the result is printed as null")
        text = json.dumps(_finite(obj), ensure_ascii=False, allow_nan=False)
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _check_finite(option: str, value: float) -> float:
    """``value`` when it is a finite number, else a usage error naming ``option`` (exit 2)."""
    import math
    if not math.isfinite(value):
        raise InputError(f"{option}: must be a finite number, not {value!r}")
    return value


def _pct(x: Optional[float]) -> str:
    return "-" if x is None else f"{x:.1%}"


def _num(x: Optional[float], digits: int = 3) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


# --------------------------------------------------------------------------- feedback

def _usable_id(rid) -> bool:
    """Whether ``rid`` (a record's ``id``) can name a request: a non-empty string of printable
    text (no control characters, no lone surrogate from a ``\\ud800`` escape). hrouter writes
    32 hex digits; anything else is a damaged or forged line, never a request to label."""
    return isinstance(rid, str) and rid.strip() != "" and rid.isprintable()


def _is_text(value) -> bool:
    """Whether ``value`` is None or a string that is valid Unicode (no lone surrogate, which a
    ``\\ud800`` escape in a damaged or forged line gives, and which can be neither stored nor printed)."""
    if value is None or (isinstance(value, str) and value.isascii()):
        return True
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


#: The fields of an audit record a label copies (besides its ``id``).
_LABEL_FIELDS = ("backend", "zone", "tier", "prompt")


def _find_audit(pol, request_id: Optional[str]):
    """(record, log path): the newest answered request by ``ts`` (``request_id`` None; concurrent
    writers can append slightly out of order; of equal times the later line) or the request whose
    id is ``request_id`` or starts with it (8+ characters, unique). Records without a usable id
    (:func:`_usable_id`) are never picked."""
    from datetime import datetime, timezone
    from functools import partial
    from .audit import AuditLog, record_problem, resolve_log_path
    log = AuditLog(resolve_log_path(pol.audit.path))
    found, matches, newest = None, set(), None
    for rec in log.records(check=partial(record_problem, strict=False)):  # a damaged line is no request to label
        if (rec.get("type", "request") != "request" or not _usable_id(rec.get("id"))
                or not all(_is_text(rec.get(k)) for k in _LABEL_FIELDS)):
            continue
        if request_id is None:
            if rec.get("status") == "ok":
                ts = datetime.fromisoformat(rec["ts"].replace("Z", "+00:00"))  # record_problem checked it
                if ts.tzinfo is None:
                    ts = ts.replace(tzinfo=timezone.utc)
                if newest is None or ts >= newest:
                    found, newest = rec, ts
            continue
        rid = str(rec.get("id") or "")
        if rid == request_id:
            return rec, log.path
        if len(request_id) >= 8 and rid.startswith(request_id):
            matches.add(rid)
            found = rec
    if request_id is not None and len(matches) > 1:
        raise InputError(f"feedback: {request_id!r} matches {len(matches)} requests in {log.path}; give more of the id")
    return found, log.path


def _feedback_label(pol, target: str, label: str, note: Optional[str]) -> dict:
    from .learn.features import check_record, record_from_audit
    from .state import StateDB
    rec, log_path = (None, None)
    rid = None if target == "last" else target
    if rid is not None and not _usable_id(rid):
        raise InputError(f"feedback: {rid!r} is not a request id: give the audit record's 'id' (32 hex digits, "
                         "or 8+ leading ones; hrouter log --json | jq .id) or 'last'")
    if rid is None:
        rec, log_path = _find_audit(pol, None)
        if rec is None:
            raise InputError(f"feedback last: no answered request in the audit log yet ({log_path})")
        rid = str(rec.get("id"))
    with StateDB.open_default() as db:
        kept = db.recent_request(rid)
        if kept is None and rec is None:
            rec, log_path = _find_audit(pol, rid)
            if rec is not None:
                rid = str(rec.get("id"))
                kept = db.recent_request(rid)
        if kept is None and rec is None:
            raise InputError(f"feedback: no request {rid!r} in the state db or the audit log ({log_path}); "
                             "the id is the audit record's 'id' (hrouter log --json | jq .id)")
        zone = (kept or {}).get("zone") or (rec or {}).get("zone")
        backend = (kept or {}).get("backend") or (rec or {}).get("backend")
        tier = (kept or {}).get("tier") or (rec or {}).get("tier")
        if rec is not None and rec.get("status") not in (None, "ok") and kept is None:
            raise InputError(f"feedback: request {rid} has status {rec.get('status')!r}: there is no answer to label")
        if not zone or not backend:
            raise InputError(f"feedback: request {rid} was not answered by any backend: nothing to label")
        features = (kept or {}).get("features")
        if features is not None:
            try:
                check_record(features)
            except ValueError:
                features = None
        if features is None and rec is not None:
            features = record_from_audit(rec)
        if features is None and kept is not None and kept.get("prompt"):
            from .learn.features import extract
            features = extract(kept["prompt"], pol.complexity)
        if features is None:
            raise InputError(f"feedback: request {rid}: no router features were recorded for it (no state-db entry "
                             "and no complexity components in its audit record)")
        local_ok = (label == "good") if zone == "local" else None
        prompt = None
        if pol.audit.log_prompt == "raw":
            prompt = (kept or {}).get("prompt") or (rec or {}).get("prompt")
        db.add_feedback([{"key": f"req:{rid}", "source": "feedback", "request_id": rid, "label": label,
                          "local_ok": local_ok, "note": note, "tier": tier, "backend": backend, "zone": zone,
                          "prompt": prompt, "features": features}])
    return {"request_id": rid, "label": label, "backend": backend, "zone": zone, "local_ok": local_ok,
            "note": note, "prompt_stored": prompt is not None, "partial_features": "h" not in features}


def _feedback_import(pol, path: str, subset: Optional[str]) -> dict:
    import hashlib
    import json
    from .audit import load_or_create_key, prompt_hmac
    from .learn.data import load_file, select
    from .learn.features import extract
    from .state import StateDB
    rows, info = load_file(path, require_label=True)
    rows = select(rows, subset)
    _note(info.describe())
    raw = pol.audit.log_prompt == "raw"
    key = load_or_create_key()
    progress = _Progress("computing features")
    out = []
    for i, r in enumerate(rows, 1):
        feats = r.features if r.features is not None else extract(r.prompt, pol.complexity)
        if r.prompt is not None:
            k = "imp:" + prompt_hmac(r.prompt, key)
        else:
            k = "imp:sha256:" + hashlib.sha256(json.dumps(feats, sort_keys=True).encode()).hexdigest()
        if info.format == "routellm-csv":
            source = f"routellm:{r.group}" if r.group else "routellm"
        else:
            source = r.group or "import"
        out.append({"key": k, "source": source, "local_ok": r.local_ok, "tier": r.tier,
                    "prompt": r.prompt if raw else None, "features": feats,
                    "note": r.subject})
        if i % 500 == 0:
            progress(i, len(rows))
    progress.done(f"computed the features of {len(rows)} prompt(s)")
    final: dict[str, dict] = {}
    for r in out:  # rows with the same key (the same prompt) end as one label: the last one read
        final[r["key"]] = r
    fields = ("source", "local_ok", "tier", "prompt", "features", "note")
    with StateDB.open_default() as db:
        before = {row["key"]: row for row in db.feedback()}
        db.add_feedback(list(final.values()))
    new = replaced = unchanged = 0
    for k, r in final.items():
        old = before.get(k)
        if old is None:
            new += 1
        elif all(old.get(f) == r.get(f) for f in fields):
            unchanged += 1
        else:
            replaced += 1
    ok = sum(1 for r in final.values() if r["local_ok"])
    return {"file": info.path, "rows": len(out), "labels": len(final), "merged": len(out) - len(final),
            "new": new, "replaced": replaced, "unchanged": unchanged,
            "local_ok": ok, "local_not_ok": len(final) - ok, "prompts_stored": raw, "dropped": info.dropped or {}}


def feedback_cmd(
    target: str = typer.Argument(..., metavar="ID|last|import", show_default=False,
                                 help="The audit record's request id (or 8+ leading characters), 'last' for the "
                                      "newest answer, or 'import' to load a labelled file."),
    value: str = typer.Argument(..., metavar="good|bad|FILE", show_default=False,
                                help="good or bad for an answer; the file for import (JSONL or RouteLLM CSV)."),
    note: Optional[str] = typer.Option(None, "--note", metavar="TEXT", help="A note kept with the label."),
    subset: Optional[str] = _SubsetOpt,
    as_json: bool = _JsonOpt,
    policy: Optional[str] = _PolicyOpt,
) -> None:
    """Label a past answer good or bad, or import labelled prompts, for `hrouter train`.

    \b
    A label on an answer from a local-zone backend says whether the local model sufficed
    (local_ok true/false); a label on a cloud answer is stored but not trained on (it says
    nothing about the local model). The prompt text is stored only when the policy has
    audit.log_prompt: raw; otherwise only its router features (no text).
    Import files: JSONL lines {"prompt": ..., "local_ok": true|false, "tier": ...} or the
    RouteLLM CSV (local_ok = weak_correct). Importing the same prompt again replaces its label.
    Examples:
      hrouter feedback last good
      hrouter feedback 3f2a9c41d0e84b6c bad --note "missed the edge case"
      hrouter feedback import labels.jsonl
      hrouter feedback import ../shared/data/routellm/ --subset gsm8k
    """
    pol = _load(policy)
    if target == "import":
        result = _feedback_import(pol, value, subset)
        if as_json:
            _print_json(result)
            return
        merged = (f" ({result['rows']} rows; {result['merged']} repeated prompt(s) merged, the last row kept)"
                  if result["merged"] else "")
        print(f"imported {result['labels']} label(s) from {result['file']}{merged}: {result['new']} new, "
              f"{result['replaced']} replaced, {result['unchanged']} unchanged; stored: {result['local_ok']} "
              f"local ok, {result['local_not_ok']} not ok; "
              + ("prompts stored (audit.log_prompt: raw)" if result["prompts_stored"]
                 else "features only, no prompt text (audit.log_prompt is not raw)"))
        return
    if subset:
        raise InputError("--subset applies to `hrouter feedback import FILE` only")
    if not _is_text(note):
        raise InputError("--note is not valid UTF-8 text")
    label = value.strip().lower()
    if label not in ("good", "bad"):
        raise InputError(f"feedback: the label must be good or bad, not {value!r} "
                         "(to load a file: hrouter feedback import FILE)")
    result = _feedback_label(pol, target, label, note)
    if as_json:
        _print_json(result)
        return
    if result["local_ok"] is None:
        what = (f"a {result['zone']} answer ({result['backend']}): stored, not used for training "
                "(it says nothing about the local model)")
    else:
        what = f"a local answer ({result['backend']}): local_ok {str(result['local_ok']).lower()}"
    from .cli import _printable
    print(_printable(f"labelled {result['request_id']} {label}: {what}"))


# --------------------------------------------------------------------------- train

def _labelled(pol, source: str, subset: Optional[str]):
    """(rows, description) of the training rows: the state db's labels or a file."""
    from .learn.data import feedback_rows, load_file, select, stored_labels
    if source == "audit":
        stored = stored_labels(note=_note)
        rows, info = feedback_rows(stored)
        for line in info.notes:
            _note(line)
        if not rows:
            what = (f"none of its {len(stored)} label(s) is usable (see above)" if stored
                    else "no labels in the state db yet")
            raise InputError(f"train --from audit: {what}; label answers with "
                             "`hrouter feedback last good|bad` or `hrouter feedback import FILE`")
    else:
        rows, info = load_file(source, require_label=True)
    _note(info.describe())
    rows = select(rows, subset)
    desc = ("state db labels" if source == "audit" else info.path) + (f" (subset {subset})" if subset else "")
    return rows, desc


def train_cmd(
    source: str = typer.Option("audit", "--from", metavar="audit|FILE",
                               help="audit: every label in the state db (hrouter feedback and feedback import); or a JSONL / RouteLLM CSV file."),
    out: Optional[str] = typer.Option(None, "--out", metavar="PATH",
                                      help="Where to write the model (default: <state dir>/learned-router.json)."),
    subset: Optional[str] = _SubsetOpt,
    folds: int = typer.Option(5, "--folds", min=0, max=50, help="Cross-validation folds (0 = skip)."),
    seed: int = typer.Option(0, "--seed", help="Seed for the folds and the python engine's shuffling."),
    engine: str = typer.Option("auto", "--engine", metavar="auto|python|sklearn",
                               help="sklearn when installed (pip install 'hrouter[learn]'), else pure python."),
    buckets: int = typer.Option(1024, "--buckets", metavar="N", help="Hash buckets for word n-grams: 64-1024, a power of two."),
    c: float = typer.Option(1.0, "--c", metavar="C", min=1e-6, help="Inverse L2 regularisation strength."),
    force: bool = typer.Option(False, "--force", help="Replace an existing file at --out that is not an hrouter "
                                                      "model (never the policy, the audit log or the state db)."),
    as_json: bool = _JsonOpt,
    policy: Optional[str] = _PolicyOpt,
) -> None:
    """Fit the learned router (P(local answer sufficient)) and compare it with the rule score.

    \b
    Features: the complexity components, the token estimate and hashed word n-grams (no text).
    Prints cross-validated accuracy and AUC of the learned model and of the rules (1 - complexity,
    the policy's weights and threshold) on the same folds; writes a plain-JSON model.
    Use it with `router: learned` and `learned: {model: PATH}` in the policy.
    Examples:
      hrouter train                                  # from hrouter feedback labels
      hrouter train --from ../shared/data/routellm/ --subset gsm8k --out gsm8k.json
      hrouter train --from labels.jsonl --engine python --json | jq .cv
    """
    from .learn.data import features_of
    from .learn.model import measure_load_ms
    from .learn.train import Example, TrainingError, resolve_engine, train
    pol = _load(policy)
    try:
        eng = resolve_engine(engine)
    except ValueError as exc:
        raise InputError(f"--engine: {exc}") from None
    from .learn.features import ALLOWED_BUCKETS
    if buckets not in ALLOWED_BUCKETS:
        raise InputError(f"--buckets must be one of {', '.join(map(str, ALLOWED_BUCKETS))}, got {buckets}")
    _check_finite("--c", c)
    target = _model_target(pol, out, force)  # before the work: a refused --out costs nothing
    rows, desc = _labelled(pol, source, subset)
    progress = _Progress("computing features")
    feats = features_of(rows, pol.complexity, progress)
    progress.done(f"computed the features of {len(rows)} prompt(s)")
    examples = [Example(f, bool(r.local_ok), r.group) for r, f in zip(rows, feats)]
    progress = _Progress(f"training ({eng}), fold")
    try:
        model = train(examples, engine=eng, buckets=buckets, c=c, seed=seed, folds=folds,
                      weights=pol.complexity.weights, threshold=pol.complexity.threshold, source=desc,
                      progress=progress)
    except TrainingError as exc:
        raise InputError(f"train: {exc}") from None
    progress.done(f"trained on {len(examples)} row(s)")
    ok_count = sum(ex.local_ok for ex in examples)
    if min(ok_count, len(examples) - ok_count) < MIN_PER_CLASS:
        _note(f"only {ok_count} local-ok and {len(examples) - ok_count} not-ok label(s): too few for a model "
              f"to learn from (fewer than {MIN_PER_CLASS} of a kind); label more with hrouter feedback"
              + ("" if folds else ", and keep --folds to see how it generalises"))
    path = target.path
    model.save(target)
    text = model.to_json()
    load_ms = measure_load_ms(text)
    t = model.training
    result = {"model": str(path), "rows": t["rows"], "local_ok": t["local_ok"], "source": desc,
              "engine": t["engine"], "params": t["params"], "cv": t["cv"], "bytes": len(text.encode()),
              "load_ms": round(load_ms, 3), "data_digest": model.data_digest, "replaced": target.exists}
    if as_json:
        _print_json(result)
        return
    lines = [f"trained on {t['rows']} labelled prompt(s) from {desc}: {t['local_ok']} local ok "
             f"({t['local_ok'] / t['rows']:.1%})", f"engine: {t['engine']}"]
    cv = t["cv"]
    if cv:
        lines.append(f"{cv['folds']}-fold cross-validation (seed {cv['seed']}), mean ± sd over folds:")
        lines.append(f"  {'':34} {'accuracy':>15}  {'AUC':>15}")
        lines.append(f"  {'learned (P(local ok) > 0.5)':34} {_num(cv['learned']['accuracy'])} ± "
                     f"{_num(cv['learned']['accuracy_sd'])}  {_num(cv['learned']['auc'])} ± {_num(cv['learned']['auc_sd'])}")
        lines.append(f"  {'rules (complexity < ' + format(cv['rules']['threshold'], 'g') + ')':34} "
                     f"{_num(cv['rules']['accuracy'])} ± {_num(cv['rules']['accuracy_sd'])}  "
                     f"{_num(cv['rules']['auc'])} ± {_num(cv['rules']['auc_sd'])}")
        lines.append(f"  {'majority (always ' + cv['majority']['label'] + ')':34} {_num(cv['majority']['accuracy'])}"
                     f"{'':8}  {'0.500':>5}")
    lines.append(f"{'replaced' if target.exists else 'wrote'} {path} ({len(text.encode()) / 1024:.1f} KiB; "
                 f"loads in {load_ms:.2f} ms; {model.data_digest[:19]}…)")
    lines.append(f"use it: router: learned and learned: {{model: {path}}} in the policy; "
                 "pick its threshold with hrouter calibrate --router learned")
    print("\n".join(lines))


def _is_model(path) -> bool:
    from .learn.model import ModelFileError, load_model
    try:
        load_model(path)
    except ModelFileError:
        return False
    return True


def _model_target(pol, out: Optional[str], force: bool):
    """The checked place for ``train``'s model (:func:`hrouter.learn.safefile.check_target`):
    never a protected file; an existing file only when it is an hrouter model or ``force``."""
    import os
    from .learn.model import default_model_path
    from .learn.safefile import check_target, protected_files
    option = "--out" if out else "the default model path"
    target = check_target(out if out else default_model_path(), option, protected_files(pol), force=force,
                          replaceable=_is_model, what_ok="an hrouter model file")
    parent = target.real.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not os.access(parent, os.W_OK | os.X_OK):
        hint = "" if out else "; pass --out PATH"
        raise InputError(f"{option} {target.path}: cannot write in {parent} (permission denied){hint}")
    return target


# --------------------------------------------------------------------------- scoring

def _active_router(pol, router: Optional[str], model_path: Optional[str]):
    """(router name, model or None, model path or None, current threshold, policy key path of
    the threshold)."""
    name = router or getattr(pol, "router", "rules") or "rules"
    if name not in ("rules", "learned"):
        raise InputError(f"router {name!r}: calibrate and eval score with the rules or the learned model; "
                         "pass --router rules or --router learned")
    if name == "rules":
        if model_path:
            raise InputError("--model goes with --router learned")
        return name, None, None, pol.complexity.threshold, ("complexity", "threshold")
    from pathlib import Path
    from .learn.model import default_model_path, load_model
    learned = getattr(pol, "learned", None)
    path = model_path or getattr(learned, "model", None)
    if not path:
        path = default_model_path()
        if not Path(path).exists():
            raise InputError("router learned: no model; train one with `hrouter train` or pass --model PATH")
    model = load_model(path)
    return (name, model, str(Path(path).expanduser().resolve()), float(getattr(learned, "threshold", 0.5)),
            ("learned", "threshold"))


def _score_rows(pol, rows, name: str, model):
    """Each row's cloud score under the router: the complexity score (computed exactly as the
    router does when the prompt is known) or 1 - P(local ok)."""
    from .learn.features import extract, record_from_complexity, rule_score
    from .signals.complexity import score_complexity
    from .signals.tokens import estimate_tokens
    progress = _Progress("scoring")
    scores, tokens = [], []
    for i, r in enumerate(rows, 1):
        if r.prompt is not None:
            t = estimate_tokens(r.prompt)
            result = score_complexity(r.prompt, pol.complexity, tokens=t)
            if name == "rules":
                s = result.score
            else:
                s = model.p_cloud(record_from_complexity(r.prompt, result, t))
        else:
            feats = r.features if r.features is not None else extract("", pol.complexity)
            t = feats.get("tokens", 0)
            s = rule_score(feats, pol.complexity.weights) if name == "rules" else model.p_cloud(feats)
        scores.append(s)
        tokens.append(t)
        if i % 500 == 0:
            progress(i, len(rows))
    progress.done(f"scored {len(rows)} prompt(s) with the {name} router")
    return scores, tokens


def _prompt_rows(pol, path: str, subset: Optional[str]):
    from .learn.data import load_file, select
    rows, info = load_file(path)
    _note(info.describe())
    rows = select(rows, subset)
    if not rows:
        raise InputError(f"{info.path}: no prompts")
    return rows


def _cross_fit(pol, rows, folds: int):
    """Out-of-fold cloud scores (1 - P(local ok)) and token estimates for ``rows``; the label is
    ``local_ok``, else ``local_quality >= 0.5``."""
    from .learn.data import features_of
    from .learn.train import Example, TrainingError, out_of_fold
    progress = _Progress("computing features")
    feats = features_of(rows, pol.complexity, progress)
    progress.done(f"computed the features of {len(rows)} prompt(s)")
    examples = [Example(f, bool(r.local_ok) if r.local_ok is not None else r.local_quality >= 0.5, r.group)
                for r, f in zip(rows, feats)]
    progress = _Progress(f"cross-fitting ({folds} folds), fold")
    try:
        p = out_of_fold(examples, folds=folds, progress=progress)
    except TrainingError as exc:
        raise InputError(f"--cv: {exc}") from None
    progress.done(f"scored {len(rows)} prompt(s) with {folds} cross-fitted learned models")
    return [1.0 - q for q in p], [f.get("tokens", 0) for f in feats]


# --------------------------------------------------------------------------- calibrate

def _write_policy_copy(pol, dest: str, name: str, model_path: Optional[str], threshold: float,
                       force: bool = False) -> str:
    """Write a copy of the active policy carrying ``threshold`` to ``dest``, atomically and only
    once the copy has loaded as a valid policy (:mod:`hrouter.learn.safefile`: never onto the
    policy, the audit log or the state db; onto another existing file only with ``force``).
    ``learned.model`` is written as an absolute path, so the copy finds the model from anywhere.
    Returns (the source policy's path, the learned.model written or None)."""
    from pathlib import Path
    from .errors import PolicyError
    from .learn.calibrate import set_yaml_values
    from .learn.safefile import atomic_write, check_target, protected_files
    from .policy import BUILTIN_POLICY, load_policy
    src = BUILTIN_POLICY if pol.source.startswith("<") else Path(pol.source)
    target = check_target(dest, "--write-policy", protected_files(pol), force=force)
    try:
        text = src.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = getattr(exc, "strerror", None) or exc
        raise InputError(f"--write-policy: cannot read the policy {src} ({why})") from None
    learned_model = None
    if name == "rules":
        updates = [(("complexity", "threshold"), threshold)]
        learned_model = getattr(getattr(pol, "learned", None), "model", None)
        if learned_model:  # resolved against the source policy's directory: keep pointing at the same file
            updates.append((("learned", "model"), learned_model))
    else:
        updates = [(("router",), "learned"), (("learned", "model"), model_path), (("learned", "threshold"), threshold)]
    try:
        text = set_yaml_values(text, updates)
    except ValueError as exc:
        raise InputError(f"--write-policy: cannot edit {src}: {exc}") from None

    def check(tmp: Path) -> None:  # the copy must be a valid policy carrying the new threshold
        try:
            copy = load_policy(str(tmp))
        except PolicyError as exc:
            raise InputError(f"--write-policy {dest}: the edited copy is not a valid policy "
                             f"({exc.reason}{f' at {exc.key}' if exc.key else ''}); nothing written") from None
        got = copy.complexity.threshold if name == "rules" else getattr(copy.learned, "threshold", None)
        if got != threshold:  # pragma: no cover - set_yaml_values failed silently
            raise InputError(f"--write-policy {dest}: the copy does not carry the threshold {threshold}; "
                             "nothing written")

    atomic_write(target, text.encode("utf-8"), option="--write-policy", check=check)
    return str(src), (model_path if name == "learned" else learned_model)


def calibrate_cmd(
    prompts: str = typer.Argument(..., metavar="PROMPTS", show_default=False,
                                  help="Prompts to calibrate on: JSONL with a 'prompt' per line, or the RouteLLM CSV."),
    target: float = typer.Option(..., "--target-cloud-share", metavar="SHARE", min=0.0, max=1.0,
                                 help="Share of these prompts to send to the cloud tier, 0-1 (e.g. 0.30)."),
    router: Optional[str] = _RouterOpt,
    model: Optional[str] = _ModelOpt,
    write_policy: Optional[str] = typer.Option(None, "--write-policy", metavar="PATH",
                                               help="Write a copy of the policy with this threshold to PATH."),
    tolerance: float = typer.Option(2.0, "--tolerance", metavar="PP", min=0.0, max=100.0,
                                    help="Accepted distance from the target, percentage points."),
    force: bool = typer.Option(False, "--force", help="Let --write-policy replace an existing file (never the "
                                                      "active policy, the audit log or the state db)."),
    subset: Optional[str] = _SubsetOpt,
    as_json: bool = _JsonOpt,
    policy: Optional[str] = _PolicyOpt,
) -> None:
    """Find the threshold that sends a target share of the given prompts to the cloud tier.

    \b
    Scores every prompt with the active router (rules: complexity score; learned: 1 - P(local
    ok)), picks the roundest threshold whose split is nearest the target, prints it with the
    split and the YAML line, and with --write-policy writes a copy of the policy carrying it.
    Prompts with equal scores always go together: when a tie makes the target unreachable
    within --tolerance, it says so and exits 1 (no copy is written). --write-policy never
    replaces an existing file without --force, nor ever the active policy, the audit log or the
    state db; the copy is validated before it is moved into place.
    Sensitivity, budgets and capacity still apply first when routing.
    Examples:
      hrouter calibrate --target-cloud-share 0.30 prompts.jsonl
      hrouter calibrate --target-cloud-share 0.3 --write-policy tuned.yaml prompts.jsonl
      hrouter calibrate --router learned --model gsm8k.json --target-cloud-share 0.5 ../shared/data/routellm/ --subset gsm8k
    """
    import json
    from .learn.calibrate import calibrate
    _check_finite("--target-cloud-share", target)
    _check_finite("--tolerance", tolerance)
    pol = _load(policy)
    if write_policy:  # refuse a protected or existing target before the work (checked again when written)
        from .learn.safefile import check_target, protected_files
        check_target(write_policy, "--write-policy", protected_files(pol), force=force)
    name, mdl, mpath, current, keypath = _active_router(pol, router, model)
    rows = _prompt_rows(pol, prompts, subset)
    scores, _ = _score_rows(pol, rows, name, mdl)
    cal = calibrate(scores, target, tolerance=tolerance / 100.0)
    key = ".".join(keypath)
    yaml_line = f"{keypath[0]}: {{{keypath[1]}: {cal.threshold!r}}}" if cal.threshold is not None else None
    if name == "learned" and yaml_line:
        yaml_line = f"router: learned\nlearned: {{model: {json.dumps(mpath)}, threshold: {cal.threshold!r}}}"
    written = None
    if write_policy and cal.within and cal.threshold is not None:
        src, learned_model = _write_policy_copy(pol, write_policy, name, mpath, cal.threshold, force)
        written = {"path": write_policy, "from": src, "learned_model": learned_model}
    current_share = sum(1 for s in scores if s >= current) / len(scores)
    if as_json:
        _print_json({"router": name, "key": key, **cal.to_json(), "current_threshold": current,
                     "current_share": current_share, "yaml": yaml_line, "written": written})
    else:
        verdict = "ok" if cal.within else "NOT reachable"
        print(f"router {name}: {key} {cal.threshold!r} sends {cal.achieved_share:.1%} of {cal.total} prompts to the "
              f"cloud ({cal.cloud} cloud, {cal.total - cal.cloud} local); target {target:.1%} ± {tolerance:g} pp: "
              f"{verdict} (now {current:g}: {current_share:.1%})")
        for n in cal.notes:
            print(f"note: {n}")
        if yaml_line:
            print(yaml_line)
        if written:
            also = (f", router: learned, learned.model: {mpath}" if name == "learned" else
                    f", learned.model as an absolute path: {written['learned_model']}" if written["learned_model"]
                    else "")
            print(f"wrote {write_policy} (a copy of {written['from']} with {key}: {cal.threshold!r}{also})")
    if write_policy and not written:
        _note(f"--write-policy {write_policy}: not written: the target is not reachable within ±{tolerance:g} pp")
    if not cal.within:
        raise typer.Exit(1)


# --------------------------------------------------------------------------- eval

def _pick_backends(pol):
    """(local name, config), (cloud name, config): the cheapest local-zone backend and the most
    capable other one (None when the policy has none)."""
    items = list(pol.backends.items())
    local = [kv for kv in items if kv[1].zone == "local"]
    cloud = [kv for kv in items if kv[1].zone != "local"]
    lo = min(local, key=lambda kv: (kv[1].price.input_per_mtok + kv[1].price.output_per_mtok, kv[1].capability),
             default=None)
    hi = max(cloud, key=lambda kv: (kv[1].capability, -kv[1].price.input_per_mtok), default=None)
    return lo, hi


def eval_cmd(
    file: str = typer.Argument(..., metavar="FILE", show_default=False,
                               help="Prompts with per-prompt quality: JSONL with local_quality/cloud_quality, "
                                    "or the RouteLLM CSV (weak_correct/strong_correct)."),
    router: Optional[str] = _RouterOpt,
    model: Optional[str] = _ModelOpt,
    thresholds: Optional[str] = typer.Option(None, "--thresholds", metavar="T,T,...",
                                             help="The table's thresholds (default: cloud shares 0%, 10%, ..., 100%)."),
    points: int = typer.Option(10, "--points", min=2, max=100, help="Rows of the default table (cloud-share steps)."),
    output_tokens: int = typer.Option(256, "--output-tokens", metavar="N", min=0, max=10_000_000,
                                      help="Answer length assumed for cost estimates, tokens (rows without costs)."),
    cv: int = typer.Option(0, "--cv", metavar="K", min=0, max=50,
                           help="Learned router cross-fitted on FILE itself: each prompt scored by a model "
                                "trained (K folds) without it. Needs no model file."),
    subset: Optional[str] = _SubsetOpt,
    judge: Optional[str] = typer.Option(None, "--judge", metavar="NAME",
                                        help="Live: answer every prompt on the local and the cloud backend and "
                                             "grade both answers with this local (ollama) judge backend."),
    as_json: bool = _JsonOpt,
    policy: Optional[str] = _PolicyOpt,
) -> None:
    """The quality-vs-cost table across thresholds, and RouteLLM's APGR, from graded prompts.

    \b
    Each prompt needs both models' judged quality (0-1): local_quality/cloud_quality in JSONL,
    weak_correct/strong_correct in the RouteLLM CSV. Costs: local_cost_usd/cloud_cost_usd when
    given, else the policy's prices x (estimated input tokens, --output-tokens). Columns: cloud
    share, cost, mean quality, and the share of the quality gap between all-local and
    all-cloud recovered (PGR); APGR is its average over cloud shares 0-100% (0.5 = random).
    A learned model scored on the data it was trained on looks better than it is: --cv K
    trains K models on FILE and scores each prompt with the one that did not see it.
    --judge NAME grades live instead: each prompt is asked on the cheapest local and the most
    capable cloud backend (as hrouter ask would, audited; a prompt whose tier keeps it off the
    cloud is answered and graded locally only, and listed apart), and NAME scores both answers.
    Examples:
      hrouter eval ../shared/data/routellm/ --subset gsm8k
      hrouter eval ../shared/data/routellm/ --subset gsm8k --router learned --cv 5
      hrouter eval graded.jsonl --router learned --model m.json --json | jq .apgr
      hrouter eval prompts.jsonl --judge judge
    """
    from .learn.report import EvalItem, quality_cost_report
    pol = _load(policy)
    if cv:
        if (router or "learned") != "learned" or model:
            raise InputError("--cv cross-fits the learned router on FILE: give no --model and no other --router")
        if cv < 2:
            raise InputError("--cv needs at least 2 folds")
        name, mdl, current, keypath = "learned", None, float(pol.learned.threshold), ("learned", "threshold")
    else:
        name, mdl, _, current, keypath = _active_router(pol, router, model)
    wanted = None
    if thresholds:
        try:
            wanted = [float(x) for x in thresholds.split(",") if x.strip()]
        except ValueError:
            raise InputError(f"--thresholds {thresholds!r}: comma-separated numbers, e.g. 0.2,0.35,0.5") from None
        import math
        if not all(math.isfinite(t) for t in wanted):
            raise InputError(f"--thresholds {thresholds!r}: every threshold must be a finite number, e.g. 0.2,0.35,0.5")
    rows = _prompt_rows(pol, file, subset)
    live = _live(pol, rows, judge) if judge else None
    if live is not None:
        rows = live.graded
    graded = [r for r in rows if r.local_quality is not None and r.cloud_quality is not None]
    if not graded and live is not None:
        raise InputError(f"{file}: no prompt was answered and graded by both backends "
                         f"({len(live.local_only)} local only, {len(live.failed)} failed)")
    if not graded:
        raise InputError(f"{file}: no prompt carries both local_quality and cloud_quality "
                         "(or weak_correct/strong_correct in the RouteLLM CSV); --judge NAME grades live")
    if len(graded) < len(rows):
        _note(f"{len(rows) - len(graded)} prompt(s) without both qualities left out")
    if cv:
        scores, tokens = _cross_fit(pol, graded, cv)
    else:
        scores, tokens = _score_rows(pol, graded, name, mdl)
        if name == "learned":
            _note(f"scores from {mdl.training.get('source') or 'a model'}; if it was trained on these prompts the "
                  "figures are in-sample (optimistic): --cv K scores each prompt with a model that did not see it")
    lo, hi = _pick_backends(pol)
    estimated = any(r.local_cost_usd is None or r.cloud_cost_usd is None for r in graded)
    items = []
    for r, s, t in zip(graded, scores, tokens):
        lc = r.local_cost_usd if r.local_cost_usd is not None else (lo[1].price.cost_usd(t, output_tokens) if lo else 0.0)
        cc = r.cloud_cost_usd if r.cloud_cost_usd is not None else (hi[1].price.cost_usd(t, output_tokens) if hi else 0.0)
        items.append(EvalItem(s, r.local_quality, r.cloud_quality, lc, cc))
    if estimated:
        def price(kv):
            return "none" if kv is None else (f"backend {kv[0]} ({kv[1].model}, ${kv[1].price.input_per_mtok:g}/"
                                              f"${kv[1].price.output_per_mtok:g} per Mtok in/out)")
        _note(f"costs estimated: local = {price(lo)}, cloud = {price(hi)}; input tokens estimated, "
              f"{output_tokens} output tokens per answer (--output-tokens)")
    rep = quality_cost_report(items, wanted, points=points, marks={current: "policy"})
    extra = {} if live is None else {"live": {"judge": judge, "kept_local": live.local_only, "failed": live.failed}}
    if as_json:
        _print_json({"router": name, "key": ".".join(keypath), "current_threshold": current,
                     "costs_estimated": estimated, **rep.to_json(), **extra})
        return
    gap = rep.cloud_quality - rep.local_quality
    print(f"{rep.n} prompts, router {name}: all local quality {rep.local_quality:.3f} "
          f"(${rep.local_cost_usd:.4f}), all cloud {rep.cloud_quality:.3f} (${rep.cloud_cost_usd:.4f}); gap {gap:+.3f}")
    header = f"{'threshold':>10} {'cloud share':>12} {'cost USD':>10} {'vs all-cloud':>13} {'quality':>8} {'gap recovered':>14}"
    print(header)
    for row in rep.rows:
        rel = row.cost_usd / rep.cloud_cost_usd if rep.cloud_cost_usd else None
        print(f"{row.threshold:>10.4g} {_pct(row.cloud_share):>12} {row.cost_usd:>10.4f} {_pct(rel):>13} "
              f"{row.quality:>8.3f} {_pct(row.pgr):>14}" + (f"  ← {row.mark} ({'.'.join(keypath)})" if row.mark else ""))
    cpt = ", ".join(f"{int(k * 100)}% of the gap at {_pct(v)} cloud" for k, v in rep.cpt.items())
    print(f"APGR {_num(rep.apgr)} (random routing 0.5, oracle {_num(rep.oracle_apgr)}); {cpt}")


def _live(pol, rows, judge_name: str):
    """Answer and grade ``rows`` live (``eval --judge``): see :mod:`hrouter.learn.live`."""
    from .core import Router
    from .judge import Judge
    from .learn.live import run_live
    cfg = pol.backends.get(judge_name)
    if cfg is None:
        raise InputError(f"--judge {judge_name}: no backend of that name in {pol.source}")
    if cfg.kind != "ollama" or cfg.zone != "local":
        raise InputError(f"--judge {judge_name}: kind {cfg.kind}, zone {cfg.zone}; the judge sees every prompt "
                         "and answer, so it must be an ollama backend in zone local")
    if cfg.hosts:
        raise InputError(f"--judge {judge_name}: a pool (hosts:) cannot be the judge; name an ollama backend "
                         "with a single host:")
    lo, hi = _pick_backends(pol)
    if lo is None or hi is None:
        raise InputError("eval --judge compares a local and a cloud backend: the policy needs one of each")
    judge = Judge(cfg, name=judge_name, timeout_ms=pol.judge.timeout_ms)  # refuses a non-local judge
    router = Router(pol)
    progress = _Progress(f"answering on {lo[0]} and {hi[0]}, grading with {judge_name}")
    try:
        live = run_live(router, rows, judge, lo[0], hi[0], progress)
    finally:
        router.close()
    progress.done(f"{len(live.graded)} prompt(s) graded on both, {len(live.local_only)} local only, "
                  f"{len(live.failed)} failed")
    for item in live.local_only:
        _note(f"line {item['line']}: tier {item['tier']}: evaluated locally only "
              f"(quality {item['local_quality']:.2f}); not in the table")
    for item in live.failed:
        _note(f"line {item['line']}: {item['stage']} failed: {item['why']}")
    return live


# --------------------------------------------------------------------------- registration

def register(app: typer.Typer) -> None:
    """Add ``feedback``, ``train``, ``calibrate`` and ``eval`` to the ``hrouter`` Typer app."""
    app.command("feedback", short_help="Label a past answer good/bad, or import labelled prompts.")(feedback_cmd)
    app.command("train", short_help="Fit the learned router from labels; compare it with the rules.")(train_cmd)
    app.command("calibrate", short_help="Find the threshold that sends a target share to the cloud.")(calibrate_cmd)
    app.command("eval", short_help="Quality vs cost across thresholds, and APGR, from graded prompts.")(eval_cmd)
