"""Fit the learned router (logistic regression for P(local ok)) and compare it with the rule score.

Two engines give the same kind of model (:class:`hrouter.learn.model.LearnedModel`):

- ``python``: pure-Python stochastic gradient descent on the log loss with AdaGrad step sizes
  (Duchi, Hazan & Singer, JMLR 2011) and L2 shrinkage of the weights each example touches;
  ``epochs`` passes in an order shuffled by ``random.Random(seed)``: the same rows and seed give
  the same weights, bit for bit. Needs no extra package. About 1 s per 10,000 rows per epoch.
- ``sklearn``: :class:`sklearn.linear_model.LogisticRegression` (L-BFGS, L2 penalty ``C``) on a
  sparse matrix, when scikit-learn is installed (``pip install hrouter[learn]``). Faster on large
  sets; deterministic too.
- ``auto``: ``sklearn`` when importable, else ``python``.

Cross-validation (:func:`cross_validate`): stratified k folds (rows shuffled with ``seed``,
each label class dealt round-robin), the model fitted on k-1 folds and scored on the held-out
one. On the same held-out rows the rule-based router is scored as a predictor of ``local_ok``:
``1 - complexity score`` (the policy's weights) for AUC, ``score < threshold`` for accuracy.
Reported: the mean (and standard deviation) over folds of accuracy (learned: P(local ok) > 0.5,
i.e. ``learned.threshold`` 0.5) and ROC AUC (Mann-Whitney: the probability that a random
local-ok row scores above a random local-not-ok row, ties counting one half; Hanley & McNeil,
Radiology 1982), and the majority-class accuracy as the floor.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import statistics
from dataclasses import dataclass
from typing import Callable, Sequence

from .features import ALLOWED_BUCKETS, DENSE, rule_score, vectorize
from .model import LearnedModel, rounded

#: Default hyper-parameters (chosen on the RouteLLM GSM8K/MMLU labels; see the README).
DEFAULT_BUCKETS = 1024
DEFAULT_C = 1.0
DEFAULT_EPOCHS = 8
DEFAULT_LR = 0.1
DEFAULT_FOLDS = 5


@dataclass(frozen=True)
class Example:
    """One labelled prompt for training: its feature record (no text), ``local_ok`` (the local
    answer was good enough), and an optional ``group`` (e.g. the RouteLLM source)."""

    features: dict
    local_ok: bool
    group: str | None = None


class TrainingError(ValueError):
    """The rows cannot train a model (too few, or one label only); the message says why."""


def sklearn_available() -> bool:
    """Whether scikit-learn can be imported (without importing it)."""
    import importlib.util
    return importlib.util.find_spec("sklearn") is not None


def resolve_engine(engine: str) -> str:
    """``python`` or ``sklearn`` for ``engine`` in ``auto|python|sklearn``. ValueError when
    ``sklearn`` is asked for and not installed, or the name is unknown."""
    if engine == "auto":
        return "sklearn" if sklearn_available() else "python"
    if engine == "sklearn" and not sklearn_available():
        raise ValueError("engine sklearn: scikit-learn is not installed (pip install 'hrouter[learn]'), "
                         "or use --engine python")
    if engine not in ("python", "sklearn"):
        raise ValueError(f"engine must be auto, python or sklearn, got {engine!r}")
    return engine


def data_digest(examples: Sequence[Example]) -> str:
    """``sha256:<hex>`` over the rows in order: one canonical JSON line ``[local_ok, features]``
    each. Identifies the training data without containing any text."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(json.dumps([bool(ex.local_ok), ex.features], sort_keys=True, separators=(",", ":"),
                            ensure_ascii=False).encode("utf-8"))
        h.update(b"\n")
    return "sha256:" + h.hexdigest()


# --------------------------------------------------------------------------- metrics

def auc(scores: Sequence[float], labels: Sequence[bool]) -> float | None:
    """ROC AUC of ``scores`` for the positive (True) labels: P(score of a positive > score of a
    negative), ties 1/2 (rank-sum form). None when one class is absent."""
    pairs = sorted(zip(scores, labels), key=lambda p: p[0])
    pos = sum(1 for _, y in pairs if y)
    neg = len(pairs) - pos
    if not pos or not neg:
        return None
    rank_sum = 0.0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        avg_rank = (i + 1 + j) / 2.0  # ranks i+1 .. j
        rank_sum += avg_rank * sum(1 for k in range(i, j) if pairs[k][1])
        i = j
    return (rank_sum - pos * (pos + 1) / 2.0) / (pos * neg)


def accuracy(predicted: Sequence[bool], labels: Sequence[bool]) -> float | None:
    """Share of ``predicted`` equal to ``labels`` (None for no rows)."""
    if not labels:
        return None
    return sum(1 for p, y in zip(predicted, labels) if p == y) / len(labels)


def stratified_folds(labels: Sequence[bool], k: int, seed: int) -> list[list[int]]:
    """``k`` lists of row indices: each class shuffled with ``random.Random(seed)`` and dealt
    round-robin, so every fold has about the same share of each label."""
    rng = random.Random(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    pos = 0
    for cls in (True, False):
        rows = [i for i, y in enumerate(labels) if bool(y) == cls]
        rng.shuffle(rows)
        for i in rows:
            folds[pos % k].append(i)
            pos += 1
    return [sorted(f) for f in folds]


# --------------------------------------------------------------------------- engines

def _vectors(examples: Sequence[Example], buckets: int) -> list[tuple[list[int], list[float]]]:
    """Each row as one sparse vector over ``len(DENSE) + buckets`` columns (zeros dropped)."""
    d = len(DENSE)
    out = []
    for ex in examples:
        dense, idx, val = vectorize(ex.features, buckets)
        cols = [j for j, x in enumerate(dense) if x != 0.0] + [d + i for i in idx]
        vals = [x for x in dense if x != 0.0] + val
        out.append((cols, vals))
    return out


def _fit_python(vectors, labels, width: int, *, c: float, epochs: int, lr: float, seed: int
                ) -> tuple[float, list[float]]:
    n = len(vectors)
    lam = 1.0 / (c * n)  # the same objective as scikit-learn's: C * sum(log loss) + |w|^2 / 2, per row
    w = [0.0] * width
    g2 = [1e-8] * width
    b, gb2 = 0.0, 1e-8
    rng = random.Random(seed)
    order = list(range(n))
    sqrt, exp = math.sqrt, math.exp
    for _ in range(epochs):
        rng.shuffle(order)
        for r in order:
            cols, vals = vectors[r]
            z = b
            for j, x in zip(cols, vals):
                z += w[j] * x
            p = 1.0 / (1.0 + exp(-z)) if z >= 0 else exp(z) / (1.0 + exp(z))
            g = p - (1.0 if labels[r] else 0.0)
            gb2 += g * g
            b -= lr * g / sqrt(gb2)
            for j, x in zip(cols, vals):
                gj = g * x + lam * w[j]
                g2[j] += gj * gj
                w[j] -= lr * gj / sqrt(g2[j])
    return b, w


def _fit_sklearn(vectors, labels, width: int, *, c: float, seed: int) -> tuple[float, list[float]]:
    from scipy.sparse import csr_matrix  # scikit-learn depends on scipy
    from sklearn.linear_model import LogisticRegression
    indptr, indices, data = [0], [], []
    for cols, vals in vectors:
        indices.extend(cols)
        data.extend(vals)
        indptr.append(len(indices))
    x = csr_matrix((data, indices, indptr), shape=(len(vectors), width))
    clf = LogisticRegression(C=c, max_iter=2000, random_state=seed)
    clf.fit(x, [1 if y else 0 for y in labels])
    return float(clf.intercept_[0]), [float(v) for v in clf.coef_[0]]


def _engine_name(engine: str) -> str:
    if engine == "sklearn":
        import sklearn
        return f"scikit-learn {sklearn.__version__} LogisticRegression(lbfgs)"
    return "python AdaGrad-SGD logistic regression"


def fit(examples: Sequence[Example], *, engine: str = "auto", buckets: int = DEFAULT_BUCKETS,
        c: float = DEFAULT_C, epochs: int = DEFAULT_EPOCHS, lr: float = DEFAULT_LR, seed: int = 0,
        training: dict | None = None) -> LearnedModel:
    """Fit a model on all ``examples`` and return it with weights rounded as saved.

    ``buckets``: n-gram hash buckets (one of :data:`~hrouter.learn.features.ALLOWED_BUCKETS`);
    ``c``: inverse L2 strength (scikit-learn's ``C``); ``epochs``/``lr``: the python engine's
    passes and AdaGrad base step. Raises :class:`TrainingError` with fewer than 2 rows or one
    label class only, ValueError for a bad engine or bucket count."""
    if buckets not in ALLOWED_BUCKETS:
        raise ValueError(f"buckets must be one of {list(ALLOWED_BUCKETS)}, got {buckets}")
    labels = [bool(ex.local_ok) for ex in examples]
    if len(labels) < 2 or all(labels) or not any(labels):
        raise TrainingError(f"need labelled rows of both kinds (local ok and not); got {sum(labels)} ok "
                            f"and {len(labels) - sum(labels)} not ok")
    eng = resolve_engine(engine)
    vectors = _vectors(examples, buckets)
    width = len(DENSE) + buckets
    if eng == "sklearn":
        b, w = _fit_sklearn(vectors, labels, width, c=c, seed=seed)
    else:
        b, w = _fit_python(vectors, labels, width, c=c, epochs=epochs, lr=lr, seed=seed)
    d = len(DENSE)
    model = LearnedModel(buckets=buckets, bias=b, dense=w[:d], ngrams=w[d:], training=dict(training or {}),
                         data_digest=data_digest(examples))
    return rounded(model)


# --------------------------------------------------------------------------- cross-validation

def _mean_sd(values: list[float | None]) -> tuple[float | None, float | None]:
    vs = [v for v in values if v is not None]
    if not vs:
        return None, None
    return statistics.fmean(vs), (statistics.pstdev(vs) if len(vs) > 1 else 0.0)


def cross_validate(examples: Sequence[Example], *, folds: int = DEFAULT_FOLDS, seed: int = 0,
                   engine: str = "auto", buckets: int = DEFAULT_BUCKETS, c: float = DEFAULT_C,
                   epochs: int = DEFAULT_EPOCHS, lr: float = DEFAULT_LR, weights: dict | None = None,
                   threshold: float = 0.35, progress: Callable[[int, int], None] | None = None) -> dict:
    """k-fold CV of the learned model against the rule score on the same held-out rows.

    Returns a JSON-able dict: ``folds``, ``seed``, ``learned`` / ``rules`` each with ``accuracy``,
    ``accuracy_sd``, ``auc``, ``auc_sd`` (means over folds), ``rules.threshold``, ``majority``
    (accuracy of always predicting the more common label), ``per_fold`` (rows, learned and rule
    accuracy/AUC). ``weights``/``threshold``: the policy's complexity weights and threshold.
    ``progress(done, total)`` is called after each fold. Raises :class:`TrainingError` when a
    label class has fewer rows than ``folds``."""
    labels = [bool(ex.local_ok) for ex in examples]
    pos = sum(labels)
    if folds < 2:
        raise TrainingError("cross-validation needs at least 2 folds")
    if min(pos, len(labels) - pos) < folds:
        raise TrainingError(f"{folds}-fold cross-validation needs at least {folds} rows of each label; got "
                            f"{pos} local ok and {len(labels) - pos} not ok")
    parts = stratified_folds(labels, folds, seed)
    rule = [1.0 - rule_score(ex.features, weights) for ex in examples]  # higher = more likely local ok
    rule_local = [rule_score(ex.features, weights) < threshold for ex in examples]
    per_fold = []
    for k, held in enumerate(parts):
        held_set = set(held)
        train_rows = [examples[i] for i in range(len(examples)) if i not in held_set]
        model = fit(train_rows, engine=engine, buckets=buckets, c=c, epochs=epochs, lr=lr, seed=seed)
        p = [model.predict(examples[i].features) for i in held]
        y = [labels[i] for i in held]
        per_fold.append({
            "rows": len(held),
            "learned": {"accuracy": accuracy([q > 0.5 for q in p], y), "auc": auc(p, y)},
            "rules": {"accuracy": accuracy([rule_local[i] for i in held], y), "auc": auc([rule[i] for i in held], y)},
        })
        if progress:
            progress(k + 1, folds)

    def summary(name: str) -> dict:
        acc, acc_sd = _mean_sd([f[name]["accuracy"] for f in per_fold])
        a, a_sd = _mean_sd([f[name]["auc"] for f in per_fold])
        return {"accuracy": acc, "accuracy_sd": acc_sd, "auc": a, "auc_sd": a_sd}

    return {"folds": folds, "seed": seed, "learned": summary("learned"),
            "rules": {**summary("rules"), "threshold": threshold},
            "majority": {"accuracy": max(pos, len(labels) - pos) / len(labels),
                         "label": "local ok" if pos >= len(labels) - pos else "not ok"},
            "per_fold": per_fold}


def train(examples: Sequence[Example], *, engine: str = "auto", buckets: int = DEFAULT_BUCKETS,
          c: float = DEFAULT_C, epochs: int = DEFAULT_EPOCHS, lr: float = DEFAULT_LR, seed: int = 0,
          folds: int = DEFAULT_FOLDS, weights: dict | None = None, threshold: float = 0.35,
          source: str | None = None, progress: Callable[[int, int], None] | None = None
          ) -> LearnedModel:
    """Cross-validate (``folds`` >= 2; 0 skips it), then fit on every row. The returned model's
    ``training`` holds the summary: ``rows``, ``local_ok``, ``source``, ``engine``, ``params``
    and ``cv`` (see :func:`cross_validate`). Raises :class:`TrainingError` / ValueError as
    :func:`fit` and :func:`cross_validate` do."""
    from hrouter import __version__
    eng = resolve_engine(engine)
    cv = None
    if folds:
        cv = cross_validate(examples, folds=folds, seed=seed, engine=eng, buckets=buckets, c=c, epochs=epochs,
                            lr=lr, weights=weights, threshold=threshold, progress=progress)
    pos = sum(1 for ex in examples if ex.local_ok)
    groups: dict[str, int] = {}
    for ex in examples:
        if ex.group:
            groups[ex.group] = groups.get(ex.group, 0) + 1
    params = {"buckets": buckets, "c": c, "seed": seed}
    if eng == "python":
        params.update({"epochs": epochs, "lr": lr})
    summary = {"rows": len(examples), "local_ok": pos, "groups": groups, "source": source,
               "engine": _engine_name(eng), "params": params, "cv": cv, "hrouter": __version__}
    return fit(examples, engine=eng, buckets=buckets, c=c, epochs=epochs, lr=lr, seed=seed, training=summary)


def out_of_fold(examples: Sequence[Example], *, folds: int = DEFAULT_FOLDS, seed: int = 0, engine: str = "auto",
                buckets: int = DEFAULT_BUCKETS, c: float = DEFAULT_C, epochs: int = DEFAULT_EPOCHS,
                lr: float = DEFAULT_LR, progress: Callable[[int, int], None] | None = None) -> list[float]:
    """Held-out P(local ok) for every row: each fold (as :func:`cross_validate` deals them) is
    scored by a model fitted on the other folds, so no row is scored by a model that saw it (for
    honest quality-vs-cost reports on the training data itself). Raises as :func:`cross_validate`."""
    labels = [bool(ex.local_ok) for ex in examples]
    pos = sum(labels)
    if folds < 2 or min(pos, len(labels) - pos) < folds:
        raise TrainingError(f"{folds}-fold cross-fitting needs at least {max(folds, 2)} rows of each label; got "
                            f"{pos} local ok and {len(labels) - pos} not ok")
    out = [0.0] * len(examples)
    for k, held in enumerate(stratified_folds(labels, folds, seed)):
        held_set = set(held)
        model = fit([examples[i] for i in range(len(examples)) if i not in held_set], engine=engine,
                    buckets=buckets, c=c, epochs=epochs, lr=lr, seed=seed)
        for i in held:
            out[i] = model.predict(examples[i].features)
        if progress:
            progress(k + 1, folds)
    return out
