"""Live evaluation for ``hrouter eval --judge NAME``: answer each prompt on a local and a cloud
backend, grade both answers with the local judge, and hand the graded rows to
:func:`hrouter.learn.report.quality_cost_report`.

Compliance is the router's, not this module's: each answer comes from :meth:`hrouter.core.Router.ask`
with the backend forced, so the sensitivity filter, the write-ahead egress record and the audit
record apply exactly as for ``hrouter ask``. A prompt whose tier does not permit the cloud backend
(e.g. confidential) is answered and graded locally only and reported in ``local_only``; it is never
sent to the cloud, and it is left out of the quality-vs-cost table (there is nothing to compare).
The judge only ever runs on a local backend (:class:`hrouter.judge.Judge` refuses any other).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable


@dataclass
class LiveResult:
    """Outcome of :func:`run_live`. ``graded``: the rows with ``local_quality``/``cloud_quality``
    (judge scores, 0-1) and ``local_cost_usd``/``cloud_cost_usd`` (measured, USD) filled in;
    ``local_only``: ``{"line", "tier", "local_quality"}`` for prompts the policy keeps off the cloud
    backend; ``failed``: ``{"line", "stage", "why"}`` for prompts dropped (a backend or the judge
    failed; one line each, never the prompt text)."""

    graded: list = field(default_factory=list)
    local_only: list[dict] = field(default_factory=list)
    failed: list[dict] = field(default_factory=list)


def run_live(router, rows, judge, local: str, cloud: str,
             progress: Callable[[int, int], None] | None = None) -> LiveResult:
    """Answer and grade every row that has a prompt.

    ``router``: a :class:`hrouter.core.Router`; ``rows``: :class:`hrouter.learn.data.LabelledRow`
    (rows without text are skipped into ``failed``; a row's ``tier`` is a floor: a prompt the file
    marks confidential or internal never goes to a cloud zone its tier forbids); ``judge``: a :class:`hrouter.judge.Judge`;
    ``local``/``cloud``: policy backend names; ``progress(done, total)`` after each prompt.
    Never raises for a failing backend or judge: the prompt goes to ``failed``.
    """
    from ..errors import HrouterError
    from ..prompt import Prompt
    from ..router import RouteContext

    from ..core import default_session

    out = LiveResult()
    total = len(rows)
    session = default_session()
    for i, row in enumerate(rows, 1):
        if row.prompt is None:
            out.failed.append({"line": row.line, "stage": "input", "why": "no prompt text (features only)"})
        else:
            prompt = Prompt(text=row.prompt, sources=("eval",))
            probe = router.decide(prompt, RouteContext(forced_backend=cloud, session=session))  # no model called
            # Kept local only when the tier forbids the cloud backend's zone; any other refusal
            # (budget, input too long, ...) is a failure to evaluate, reported as such.
            kept_local = any(c.name == cloud and c.removed_by == "sensitivity" for c in probe.candidates)
            # A tier given in the file (e.g. "tier": "confidential") is a floor the tagger cannot lower:
            # the file's author knows things about the prompt that no detector sees.
            if row.tier is not None and not kept_local:
                from ..signals import tier_rank
                tier = max(row.tier, probe.sensitivity.tier, key=tier_rank)
                zones = router.policy.sensitivity.tiers.get(tier, ())
                kept_local = router.policy.backends[cloud].zone not in zones
                if kept_local:
                    probe.sensitivity.tier = tier
            permitted = not kept_local
            if probe.refused and not kept_local:
                out.failed.append({"line": row.line, "stage": cloud, "why": (probe.refusal or "refused")[:200]})
                if progress:
                    progress(i, total)
                continue
            answers: dict[str, tuple[float, float]] = {}
            for name in ((local, cloud) if permitted else (local,)):
                try:
                    res = router.ask(prompt, RouteContext(forced_backend=name, session=session))
                except HrouterError as exc:
                    out.failed.append({"line": row.line, "stage": name, "why": " ".join(str(exc).split())[:200]})
                    break
                grade = judge.grade(row.prompt, res.completion)
                if grade.score is None:
                    out.failed.append({"line": row.line, "stage": "judge",
                                       "why": f"{grade.status}: {grade.detail}"[:200]})
                    break
                answers[name] = (grade.score, res.cost_usd)
            else:
                if permitted:
                    (lq, lc), (cq, cc) = answers[local], answers[cloud]
                    out.graded.append(replace(row, local_quality=lq, cloud_quality=cq,
                                              local_cost_usd=lc, cloud_cost_usd=cc))
                else:
                    out.local_only.append({"line": row.line, "tier": probe.sensitivity.tier,
                                           "local_quality": answers[local][0]})
        if progress:
            progress(i, total)
    return out
