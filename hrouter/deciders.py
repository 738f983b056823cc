"""Which logic decides local vs cloud: the policy's ``router: rules | learned | judge | cascade``.

- ``rules``: the built-in complexity score against ``complexity.threshold`` (no second opinion).
- ``learned``: the model trained by ``hrouter train`` (:mod:`hrouter.learn`) gives P(local ok); the
  cloud tier is preferred when ``1 - P(local ok) >= learned.threshold``.
- ``judge``: a local LLM (:mod:`hrouter.judge`) says ``needs_cloud``; it may raise the prompt's
  sensitivity tier, never lower it.
- ``cascade``: the rules decide when the complexity score is at least ``cascade.band`` away from
  the threshold (a clear case); inside the band the ``cascade.second`` opinion decides (RouteLLM's
  observation that routers matter most near the cut-point).

When the second opinion cannot be had (model file missing or malformed, judge timeout, error or
malformed verdict) the rules decide and the trace says why: a routing opinion never blocks a
request. A judge that was asked and answered still raises the tier even where the rules decide.
This module does the I/O (model file, judge call); :func:`hrouter.router.route` stays pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from .router import Judgement

_MODELS: dict[str, tuple[float, int, object]] = {}  # path -> (mtime, size, LearnedModel): one load per process


@dataclass
class Opinion:
    """What :func:`second_opinion` found: the :class:`~hrouter.router.Judgement` for ``route``, the
    tier the judge asked for (``raised_tier``, None when it did not raise it) and the feature record
    of the prompt (text-free; reused for ``feedback``), when computed."""

    judgement: Judgement
    raised_tier: str | None = None
    features: dict | None = None


def load_learned(path: str):
    """The learned model at ``path``, loaded once per process and reloaded when the file changes.

    Raises :class:`hrouter.learn.model.ModelFileError` (an InputError) for a missing or malformed file."""
    import os

    from .learn.model import load_model
    try:
        st = os.stat(path)
        key = (st.st_mtime, st.st_size)
    except OSError:
        key = None
    cached = _MODELS.get(path)
    if key is not None and cached is not None and cached[:2] == key:
        return cached[2]
    model = load_model(path)
    if key is not None:
        _MODELS[path] = (key[0], key[1], model)
    return model


def second_opinion(policy, text: str, complexity, tokens: int, images: int, tier: str, *,
                   judge_factory=None, judge_text: str | None = None) -> Opinion | None:
    """The second opinion for one prompt under ``policy.router`` (None for ``rules``).

    ``complexity``: the prompt's :class:`~hrouter.signals.ComplexityResult`; ``tokens``: its input
    estimate; ``tier``: the tagger's sensitivity tier; ``judge_factory``: builds the
    :class:`hrouter.judge.Judge` (tests inject one; default: from the policy's ``judge`` section);
    ``judge_text``: what the judge assesses — everything that is sent (system prompt and user
    text), default ``text``. The judge's free-text reason is masked with the policy's tagger
    (a judge may quote the prompt despite its instructions).
    Never raises for a failing model or judge: the rules decide and the trace says why.
    """
    logic = policy.router
    if logic == "rules":
        return None
    threshold = policy.complexity.threshold
    outputs: dict = {"rules": {"score": round(complexity.score, 4), "threshold": threshold}}
    notes: list[str] = []
    if logic == "cascade":
        distance = abs(complexity.score - threshold)
        if distance >= policy.cascade.band:
            notes.append(f"cascade: complexity {complexity.score:.2f} is {distance:.2f} from the threshold "
                         f"(band {policy.cascade.band:.2f}): clear case, the rules decide")
            return Opinion(Judgement(logic, "rules", outputs=outputs, notes=tuple(notes)))
        notes.append(f"cascade: complexity {complexity.score:.2f} is within {policy.cascade.band:.2f} of the "
                     f"threshold: the {policy.cascade.second} opinion decides")
        second = policy.cascade.second
    else:
        second = logic
    if second == "learned":
        from .learn.features import record_from_complexity
        features = record_from_complexity(text, complexity, tokens, images)
        try:
            model = load_learned(policy.learned.model)
            from .learn.model import learned_score
            p_cloud = learned_score(model, features)
        except Exception as exc:  # a routing opinion never blocks a request: the rules decide
            msg = " ".join(str(exc).split())
            notes.append(f"learned: unavailable ({msg}); the rules decide")
            outputs["learned"] = {"error": msg}
            return Opinion(Judgement(logic, "rules", outputs=outputs, notes=tuple(notes)), features=features)
        threshold = policy.learned.threshold
        outputs["learned"] = {"p_local_ok": round(1.0 - p_cloud, 4), "score": round(p_cloud, 4),
                              "threshold": threshold}
        return Opinion(Judgement(logic, "learned", score=p_cloud, threshold=threshold, outputs=outputs,
                                 notes=tuple(notes)), features=features)
    judge = (judge_factory or default_judge)(policy)
    outcome = judge.assess(judge_text if judge_text is not None else text, rules_tier=tier)
    outcome = _masked_reason(policy, outcome)
    outputs["judge"] = outcome.to_trace()
    notes.extend(outcome.trace_lines())
    raised = outcome.effective_tier if outcome.raised else None
    if outcome.verdict is None:
        return Opinion(Judgement(logic, "rules", outputs=outputs, notes=tuple(notes)), raised_tier=raised)
    v = outcome.verdict
    return Opinion(Judgement(logic, "judge", score=v.complexity, threshold=threshold, needs_cloud=v.needs_cloud,
                             outputs=outputs, notes=tuple(notes)), raised_tier=raised)


def _masked_reason(policy, outcome):
    """``outcome`` with the verdict's reason masked like any finding (``***-**-6789``); a reason the
    tagger cannot scan is dropped (fail closed)."""
    v = outcome.verdict
    if v is None or not v.reason:
        return outcome
    from dataclasses import replace

    from .core import mask_findings
    from .signals.sensitivity import tag_sensitivity
    found = tag_sensitivity(v.reason, policy.sensitivity)
    reason = "" if found.errors else mask_findings(v.reason, found.findings)
    return replace(outcome, verdict=replace(v, reason=reason))


def default_judge(policy, state=None):
    """A :class:`hrouter.judge.Judge` for the policy's ``judge`` section, caching verdicts in
    ``state`` (a :class:`hrouter.state.StateDB`; None = no cache)."""
    from .judge import Judge
    cfg = policy.backends[policy.judge.backend]
    return Judge(cfg, name=policy.judge.backend, timeout_ms=policy.judge.timeout_ms, state=state,
                 cache_ttl_s=policy.judge.cache_ttl_s)
