"""The learned router: labels, features, a small JSON logistic model, calibration and evaluation.

Modules (each imported on its own; none needs numpy or scikit-learn at import time):

- :mod:`~hrouter.learn.features` — the compact, text-free feature record of a prompt
  (complexity components, token estimate, hashed word uni+bigrams) and its vector form.
- :mod:`~hrouter.learn.model` — :class:`~hrouter.learn.model.LearnedModel`: plain-JSON weights,
  ``predict`` = P(local answer sufficient); :func:`~hrouter.learn.model.learned_score` = 1 - that.
- :mod:`~hrouter.learn.train` — logistic regression (pure Python, or scikit-learn when installed),
  k-fold cross-validation against the rule score.
- :mod:`~hrouter.learn.data` — loaders: labelled JSONL, the RouteLLM CSV, the state db's labels.
- :mod:`~hrouter.learn.calibrate` — the threshold that sends a target share to the cloud.
- :mod:`~hrouter.learn.report` — the quality-vs-cost table and APGR (RouteLLM).

For the router integration, :func:`learned_score` and :func:`load_model` are re-exported here.
"""

from __future__ import annotations


def load_model(path):
    """Load a model file (see :func:`hrouter.learn.model.load_model`)."""
    from .model import load_model as _load
    return _load(path)


def learned_score(model, features: dict) -> float:
    """The learned router's cloud score in [0, 1]: ``1 - P(local ok)`` for a feature record
    (see :func:`hrouter.learn.model.learned_score`)."""
    from .model import learned_score as _score
    return _score(model, features)


__all__ = ["learned_score", "load_model"]
