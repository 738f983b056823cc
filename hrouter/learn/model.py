"""The learned router's model: logistic regression over the feature vector, stored as plain JSON.

``P(local ok) = 1 / (1 + exp(-(bias + dense . w_dense + sparse . w_ngrams)))`` with the vector of
:func:`hrouter.learn.features.vectorize`. The router's cloud score is ``1 - P(local ok)``
(:func:`learned_score`): with ``router: learned`` the cloud tier is preferred when it is at or
above ``learned.threshold``.

File format (UTF-8 JSON, one object; never pickle, which can run code when loaded)::

    {"format": "hrouter-learned-router", "schema": 1,
     "label": "P(local answer sufficient)",
     "features": {"version": 1, "dense": ["length", ..., "log_tokens"], "buckets": 1024,
                  "ngrams": "..."},                 # the feature spec the weights belong to
     "weights": {"bias": -0.1, "dense": [7 + 1 floats], "ngrams": [buckets floats]},
     "training": {...},                             # rows, engine, parameters, CV figures
     "data_digest": "sha256:<hex>"}                 # of the training rows (features + labels)

:meth:`LearnedModel.to_json` writes it canonically (sorted keys, no spaces, floats in Python's
shortest round-trip form), so ``from_json(text).to_json() == text`` for any file it wrote.
Loading parses and checks about 10-20 KB of JSON: about 0.1-0.3 ms for 1024 buckets (``hrouter
train`` prints the time measured on the machine). Prediction is a dot product over the prompt's
non-zero n-gram buckets: a few microseconds.

Errors: :class:`ModelFileError` (exit 2) names the file and the field at fault.
"""

from __future__ import annotations

from hrouter.paths import expand_user as _expand_user

import json
import math
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from hrouter.errors import InputError

from .features import ALLOWED_BUCKETS, DENSE, FEATURE_VERSION, RECORD_BUCKETS, dense_vector, sparse_vector

MODEL_FORMAT = "hrouter-learned-router"
MODEL_SCHEMA = 1
#: Model files larger than this are refused unread (a 1024-bucket model is about 15 KB).
MAX_MODEL_BYTES = 4 * 1024 * 1024
#: Default model file name, in the state dir.
DEFAULT_MODEL_FILE = "learned-router.json"

_NGRAM_SPEC = ("lower-cased words (a word with a digit -> '0'), first 4096; word uni+bigrams hashed with "
               f"crc32 mod {RECORD_BUCKETS}, folded mod buckets; ln(1+count); unit L2 norm")
_DIGEST_RE = re.compile(r"sha256:[0-9a-f]{64}")
_PICKLE_HEADS = (b"\x80", b"(dp", b"(lp", b"(i", b"ccopy_reg", b"c__builtin__", b"cnumpy", b"}q", b"]q")


class ModelFileError(InputError):
    """A model file that cannot be used: unreadable, not JSON (e.g. a pickle), or not a model
    this hrouter reads. The message is one line naming the file and the field (exit 2)."""


def default_model_path() -> Path:
    """``<state dir>/learned-router.json`` (``$HROUTER_HOME/state`` when set)."""
    from hrouter.paths import state_dir
    return state_dir() / DEFAULT_MODEL_FILE


def _sig(x: float) -> float:
    """``x`` rounded to 7 significant digits (keeps files small; far below any effect on routing)."""
    return float(f"{x:.7g}")


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@dataclass
class LearnedModel:
    """A trained model. ``buckets``: hash buckets of the n-gram part (one of
    :data:`~hrouter.learn.features.ALLOWED_BUCKETS`); ``bias``, ``dense`` (one weight per
    :data:`~hrouter.learn.features.DENSE` name) and ``ngrams`` (``buckets`` weights) are the
    logistic-regression weights for P(local ok); ``training`` a JSON-able summary;
    ``data_digest`` ``sha256:<hex>`` of the training rows (:func:`hrouter.learn.train.data_digest`)."""

    buckets: int
    bias: float
    dense: list[float]
    ngrams: list[float]
    training: dict = field(default_factory=dict)
    data_digest: str = "sha256:" + "0" * 64

    def logit(self, features: dict) -> float:
        """The linear score (log-odds that the local answer suffices) of a feature record."""
        z = self.bias
        for w, x in zip(self.dense, dense_vector(features)):
            z += w * x
        idx, val = sparse_vector(features, self.buckets)
        ng = self.ngrams
        for i, v in zip(idx, val):
            z += ng[i] * v
        return z

    def predict(self, features: dict) -> float:
        """P(local answer sufficient) in [0, 1] for a feature record
        (:func:`hrouter.learn.features.extract`)."""
        return _sigmoid(self.logit(features))

    def p_cloud(self, features: dict) -> float:
        """``1 - predict(features)``: the cloud score the router compares with its threshold."""
        return 1.0 - self.predict(features)

    # ------------------------------------------------------------------ file format

    def to_dict(self) -> dict:
        """The JSON object of the file format (see the module docstring)."""
        return {
            "format": MODEL_FORMAT,
            "schema": MODEL_SCHEMA,
            "label": "P(local answer sufficient)",
            "features": {"version": FEATURE_VERSION, "dense": list(DENSE), "buckets": self.buckets,
                         "ngrams": _NGRAM_SPEC},
            "weights": {"bias": float(self.bias), "dense": [float(w) for w in self.dense],
                        "ngrams": [float(w) for w in self.ngrams]},
            "training": self.training,
            "data_digest": self.data_digest,
        }

    def to_json(self) -> str:
        """Canonical JSON text (sorted keys, compact, trailing newline); ``from_json`` of it
        gives a model whose ``to_json`` is the same text."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                          allow_nan=False) + "\n"

    @classmethod
    def from_json(cls, data: str | bytes, *, source: str = "<model>") -> "LearnedModel":
        """Parse and check a model file's content; :class:`ModelFileError` (naming ``source`` and
        the field) when it is not a model this hrouter reads. Never unpickles anything."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if len(raw) > MAX_MODEL_BYTES:
            raise ModelFileError(f"{source}: {len(raw)} bytes, more than a model file can be "
                                 f"({MAX_MODEL_BYTES} bytes)")
        head = raw.lstrip()[:16]
        if raw[:1] == b"\x80" or head.startswith(_PICKLE_HEADS):
            raise ModelFileError(f"{source}: looks like a Python pickle; hrouter model files are JSON "
                                 "and pickles are never loaded (they can run code)")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ModelFileError(f"{source}: not a JSON model file (invalid UTF-8 at byte {exc.start})") from None

        def reject(constant: str):
            raise ValueError(f"{constant} is not allowed")
        try:
            obj = json.loads(text, parse_constant=reject)
        except ValueError as exc:
            where = f" at line {exc.lineno} column {exc.colno}" if hasattr(exc, "lineno") else ""
            raise ModelFileError(f"{source}: not a JSON model file ({getattr(exc, 'msg', exc)}{where})") from None
        except RecursionError:
            raise ModelFileError(f"{source}: not a model file (JSON nested too deeply)") from None
        return cls.from_dict(obj, source=source)

    @classmethod
    def from_dict(cls, obj, *, source: str = "<model>") -> "LearnedModel":
        """Check a parsed model object (see :meth:`from_json`)."""
        def bad(key: str, why: str):
            return ModelFileError(f"{source}: {key}: {why}")

        if not isinstance(obj, dict):
            raise bad("(top level)", "not a JSON object")
        if obj.get("format") != MODEL_FORMAT:
            raise bad("format", f"expected {MODEL_FORMAT!r}, got {obj.get('format')!r} (not an hrouter model)")
        schema = obj.get("schema")
        if not isinstance(schema, int) or isinstance(schema, bool):
            raise bad("schema", "missing or not an integer")
        if schema > MODEL_SCHEMA:
            raise bad("schema", f"version {schema} was written by a newer hrouter (this one reads {MODEL_SCHEMA})")
        if schema != MODEL_SCHEMA:
            raise bad("schema", f"unsupported version {schema}")
        feats = obj.get("features")
        if not isinstance(feats, dict):
            raise bad("features", "missing feature spec")
        if feats.get("version") != FEATURE_VERSION:
            raise bad("features.version", f"{feats.get('version')!r}, this hrouter computes version {FEATURE_VERSION}")
        if feats.get("dense") != list(DENSE):
            raise bad("features.dense", f"expected {list(DENSE)}")
        buckets = feats.get("buckets")
        if type(buckets) is not int or buckets not in ALLOWED_BUCKETS:
            raise bad("features.buckets", f"{buckets!r}, expected an integer, one of {list(ALLOWED_BUCKETS)}")
        weights = obj.get("weights")
        if not isinstance(weights, dict):
            raise bad("weights", "missing")

        def number(v, key) -> float:
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not _finite(v):
                raise bad(key, f"not a finite number: {_shown(v)}")
            return float(v)
        bias = number(weights.get("bias"), "weights.bias")
        dense, ngrams = weights.get("dense"), weights.get("ngrams")
        if not isinstance(dense, list) or len(dense) != len(DENSE):
            raise bad("weights.dense", f"expected {len(DENSE)} numbers")
        if not isinstance(ngrams, list) or len(ngrams) != buckets:
            raise bad("weights.ngrams", f"expected {buckets} numbers (features.buckets)")
        dense, ngrams = _numbers(dense, "weights.dense", bad), _numbers(ngrams, "weights.ngrams", bad)
        training = obj.get("training", {})
        if not isinstance(training, dict):
            raise bad("training", "not an object")
        digest = obj.get("data_digest")
        if not isinstance(digest, str) or not _DIGEST_RE.fullmatch(digest):
            raise bad("data_digest", "expected 'sha256:' and 64 hex digits")
        return cls(buckets=buckets, bias=bias, dense=dense, ngrams=ngrams, training=training, data_digest=digest)

    def save(self, path) -> Path:
        """Write the model atomically (temp file in the same directory, fsync, rename; see
        :func:`hrouter.learn.safefile.atomic_write`) to ``path`` (a path, or a checked
        :class:`~hrouter.learn.safefile.Target`); returns the path written. No check of what is
        there: callers that take a user's path check it first
        (:func:`~hrouter.learn.safefile.check_target`). Raises :class:`ModelFileError` when it
        cannot be written."""
        from .safefile import atomic_write
        try:
            return atomic_write(path, self.to_json().encode("utf-8"))
        except InputError as exc:
            raise ModelFileError(str(exc)) from None


def rounded(model: LearnedModel) -> LearnedModel:
    """``model`` with every weight at 7 significant digits (what :meth:`LearnedModel.save` keeps
    small); predictions change by less than 1e-6."""
    return LearnedModel(buckets=model.buckets, bias=_sig(model.bias), dense=[_sig(w) for w in model.dense],
                        ngrams=[_sig(w) for w in model.ngrams], training=model.training,
                        data_digest=model.data_digest)


def _numbers(values: list, key: str, bad) -> list[float]:
    """``values`` as floats, or ``bad(key[i], why)`` for the first one that is not a finite number.
    Fast path (a model load is ~1000 of these): one type scan and one sum."""
    if all(type(v) is float for v in values) and math.isfinite(sum(values)):
        return values
    for i, v in enumerate(values):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not _finite(v):
            raise bad(f"{key}[{i}]", f"not a finite number: {_shown(v)}")
    return [float(v) for v in values]  # integers, or finite values whose sum overflows


def _finite(v: int | float) -> bool:
    """Whether ``v`` is a finite float or an integer a float can hold (``math.isfinite`` of a
    400-digit integer raises OverflowError)."""
    try:
        return math.isfinite(v)
    except OverflowError:
        return False


def _shown(v) -> str:
    """``v`` for an error message: a long integer shortened to its first digits and length."""
    text = repr(v) if not isinstance(v, int) or isinstance(v, bool) else str(v)
    return text if len(text) <= 40 else f"{text[:12]}…({len(text)} characters)"


def load_model(path: str | os.PathLike) -> LearnedModel:
    """Read and check the model file at ``path``. Raises :class:`ModelFileError` (unreadable,
    too large, not JSON, a pickle, or not a model this hrouter reads).

    Only a regular file is read (a device such as ``/dev/zero`` or a FIFO is refused before any
    read, without blocking), and at most ``MAX_MODEL_BYTES + 1`` bytes of it."""
    from hrouter.policy import FileTooLargeError, NotRegularFileError, read_regular_file
    path = _expand_user(path)
    try:
        data = read_regular_file(path, MAX_MODEL_BYTES)
    except NotRegularFileError as exc:
        raise ModelFileError(f"{path}: {exc}, not a model file (only regular files are read)") from None
    except FileTooLargeError:
        raise ModelFileError(f"{path}: more than a model file can be ({MAX_MODEL_BYTES} bytes)") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read the model ({exc.strerror or exc})") from None
    return LearnedModel.from_json(data, source=str(path))


def learned_score(model: LearnedModel, features: dict) -> float:
    """The learned router's cloud score in [0, 1]: ``1 - P(local ok)`` for a feature record
    (:func:`hrouter.learn.features.record_from_complexity` at routing time). The cloud tier is
    preferred when it is at or above the policy's ``learned.threshold``."""
    return model.p_cloud(features)


def measure_load_ms(text: str, repeats: int = 50) -> float:
    """Median wall time (ms) of :meth:`LearnedModel.from_json` on ``text`` over ``repeats`` runs
    (for reports; not a test assertion)."""
    times = []
    for _ in range(max(1, repeats)):
        t0 = time.perf_counter()
        LearnedModel.from_json(text)
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2] * 1000.0
