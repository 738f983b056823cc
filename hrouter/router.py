"""The routing decision: a pure function of (signals, context, policy) -> Decision.

Order of rules (each step is written to the decision's ``trace``):

1. Candidates: every backend in the policy, in policy order.
2. Hard filters, in order — a removed candidate never comes back:
   ``sensitivity`` (zone not permitted for the prompt's tier; this comes first and
   nothing after it can undo it), ``forced`` (``--backend``), ``input`` (context
   window, images), ``budget.per_request`` (estimated cost over
   ``budget.per_request_usd``), ``budget.session`` (session ceiling reached: only
   zero-cost backends remain).
3. Preference among what is left (stable sorts, later rules win):
   ``complexity`` (score >= threshold: highest ``capability`` first, then cheapest;
   below: cheapest first, then fastest; past ``budget.downgrade_at`` of the session budget
   the threshold rises progressively toward 1.0: ``budget.downgrade``), ``latency.sla``
   (backends whose expected TTFT — measured p50 when known, else the policy prior — exceeds
   the SLA go after the others; never removed, a slow answer beats a refusal),
   ``capacity.spill`` (a backend at ``max_inflight`` goes after those with room; if none has
   room the decision says to wait), ``cooldown`` (backends that recently failed go last).
4. Result: the first candidate is the route, the rest are fallbacks. None left: refused.

The deciding ``rule`` is the last step that changed which backend comes first.
Costs are USD estimates: input tokens estimated, output = the backend's ``max_tokens``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .policy_model import BackendConfig, Policy
from .signals import ComplexityResult, SensitivityResult


@dataclass(frozen=True)
class Signals:
    """What the router knows about a prompt: ``sensitivity``, ``complexity``, ``tokens``
    (estimated input tokens) and ``images`` (count of attached images)."""

    sensitivity: SensitivityResult
    complexity: ComplexityResult
    tokens: int
    images: int = 0
    #: Tier of the prompt after redact-then-send (``sensitivity.redact``), when lower; else None.
    redacted_tier: str | None = None
    #: The :class:`hrouter.redact.Redaction` behind ``redacted_tier`` (its mapping never leaves).
    redaction: object = None
    #: The learned model's / judge's opinion (None: ``router: rules``).
    judgement: Judgement | None = None


@dataclass(frozen=True)
class Judgement:
    """A second opinion on local vs cloud, from ``router: learned | judge | cascade`` (computed
    with I/O by :class:`hrouter.core.Router`, consumed here without any).

    ``logic``: the policy's router logic; ``decided_by``: ``rules``, ``learned`` or ``judge``
    (``rules`` when the other model was not asked, failed, or the cascade found the case clear);
    ``score``/``threshold``: the deciding model's cloud score and threshold in [0, 1] (learned:
    1 - P(local ok); judge: its complexity); ``needs_cloud``: the judge's verdict (None for the
    others); ``outputs``: every model's output, for ``explain`` and the audit record; ``notes``:
    trace lines (e.g. a judge timeout and that the rules decided).
    """

    logic: str
    decided_by: str
    score: float | None = None
    threshold: float | None = None
    needs_cloud: bool | None = None
    outputs: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"router": self.logic, "decided_by": self.decided_by, "score": self.score,
                "threshold": self.threshold, "needs_cloud": self.needs_cloud, "outputs": self.outputs}


@dataclass(frozen=True)
class RouteContext:
    """Per-request inputs besides the prompt: ``forced_backend`` (``--backend``), ``sla_ms``
    (required TTFT, ms; overrides the policy's), ``max_tokens`` (output cap override, tokens),
    ``session`` (name) and ``session_spent_usd`` (spend so far in it, spent plus reserved, USD;
    None = unknown); measured latency, in-flight counts and cooldowns from the state db."""

    forced_backend: str | None = None
    sla_ms: float | None = None
    max_tokens: int | None = None
    session: str | None = None
    session_spent_usd: float | None = None
    #: Measured TTFT per backend: name -> (p50 ms, sample count); replaces the policy prior.
    measured_ttft_ms: dict = field(default_factory=dict)
    #: hrouter requests in flight per backend, counted across processes (None = not known).
    inflight: dict | None = None
    #: Backends cooled down after failures: name -> reason (tried last).
    cooldowns: dict = field(default_factory=dict)
    #: Why the state db could not be read (session budgets then fail closed), else None.
    state_error: str | None = None


@dataclass
class Candidate:
    """One backend as the router saw it: estimates and, if removed, why."""

    name: str
    zone: str
    model: str
    capability: int
    estimated_cost_usd: float
    expected_ttft_ms: float
    max_tokens: int
    removed_by: str | None = None
    reason: str | None = None
    redacted: bool = False

    def to_json(self) -> dict:
        out = {"name": self.name, "zone": self.zone, "model": self.model, "capability": self.capability,
               "estimated_cost_usd": round(self.estimated_cost_usd, 6),
               "expected_ttft_ms": self.expected_ttft_ms, "max_tokens": self.max_tokens,
               "redacted": self.redacted}
        if self.removed_by:
            out["removed_by"], out["reason"] = self.removed_by, self.reason
        return out


@dataclass
class Decision:
    """The router's answer for one prompt.

    ``backend``/``model``/``zone`` name the route (None when ``refused``); ``fallbacks`` the
    permitted backends to try next, in order; ``rule`` the deciding rule; ``trace`` the ordered,
    human-readable steps; ``candidates`` every backend with its estimates and removal reason;
    ``considerations`` the budget/latency/capacity inputs used; ``estimated_cost_usd`` the
    route's estimated cost (USD).
    """

    backend: str | None
    model: str | None
    zone: str | None
    fallbacks: list[str]
    rule: str
    sensitivity: SensitivityResult
    complexity: ComplexityResult
    threshold: float
    tokens: int
    estimated_cost_usd: float | None
    trace: list[str]
    candidates: list[Candidate] = field(default_factory=list)
    considerations: dict = field(default_factory=dict)
    refused: bool = False
    refusal: str | None = None
    redaction: dict | None = None
    judgement: Judgement | None = None
    #: The :class:`hrouter.redact.Redaction` this decision was made with (its text and mapping; never
    #: serialised). ``Router.ask`` sends exactly this, whatever else the Router decides meanwhile.
    redaction_plan: object = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict:
        """The documented JSON contract (README, "JSON contract")."""
        extra = {"judgement": self.judgement.to_json()} if self.judgement is not None else {}
        return {**extra,
            "backend": self.backend, "model": self.model, "zone": self.zone,
            "fallbacks": list(self.fallbacks), "rule": self.rule,
            "refused": self.refused, "refusal": self.refusal, "redaction": self.redaction,
            "redacted_backends": [c.name for c in self.candidates if c.redacted and c.removed_by is None],
            "sensitivity": self.sensitivity.to_json(),
            "complexity": {**self.complexity.to_json(), "threshold": self.threshold},
            "tokens": self.tokens,
            "estimated_cost_usd": None if self.estimated_cost_usd is None else round(self.estimated_cost_usd, 6),
            "considerations": self.considerations,
            "candidates": [c.to_json() for c in self.candidates],
            "trace": list(self.trace),
        }


def _usd(x: float) -> str:
    """USD for traces: ``$0``, ``$0.0154``, ``$0.5``, ``$12.25``."""
    if x == 0:
        return "$0"
    if x >= 1:
        return f"${x:.2f}"
    return "$" + f"{x:.4f}".rstrip("0").rstrip(".") if x >= 0.0001 else f"${x:.2g}"


def route(signals: Signals, context: RouteContext, policy: Policy) -> Decision:
    """Decide where a prompt goes. Pure: no I/O, no clock, no randomness.

    Raises :class:`hrouter.errors.InputError` when ``context.forced_backend`` names no
    backend of the policy. A prompt no backend may take comes back with ``refused=True``.
    """
    from .errors import InputError

    sens, comp = signals.sensitivity, signals.complexity
    tier = sens.tier
    allowed_zones = policy.sensitivity.tiers.get(tier, ())
    trace: list[str] = []

    # -- sensitivity
    if sens.findings:
        shown = ", ".join(f"{f.detector}@{f.start}-{f.end}" for f in sens.findings[:6])
        more = f" (+{len(sens.findings) - 6} more)" if len(sens.findings) > 6 else ""
        trace.append(f"sensitivity: tier {tier} from {shown}{more}")
    else:
        trace.append(f"sensitivity: tier {tier} (no findings)")
    for err in sens.errors:
        trace.append(f"sensitivity: detector failed, failing closed to confidential: {err}")
    trace.append(f"sensitivity: {tier} may reach zones [{', '.join(allowed_zones) or 'none'}]")

    cands: list[Candidate] = []
    for name, cfg in policy.backends.items():
        max_tokens = context.max_tokens or cfg.max_tokens
        measured = context.measured_ttft_ms.get(name)
        cands.append(Candidate(name=name, zone=cfg.zone, model=cfg.model, capability=cfg.capability,
                               estimated_cost_usd=cfg.price.cost_usd(signals.tokens, max_tokens),
                               expected_ttft_ms=round(measured[0], 1) if measured else cfg.ttft_ms,
                               max_tokens=max_tokens))
    cfgs: dict[str, BackendConfig] = policy.backends

    def remove(c: Candidate, rule: str, reason: str) -> None:
        c.removed_by, c.reason = rule, reason
        trace.append(f"{rule}: removed {c.name} ({reason})")

    def alive() -> list[Candidate]:
        return [c for c in cands if c.removed_by is None]

    removed_by_zone = False
    redacted_zones = policy.sensitivity.tiers.get(signals.redacted_tier, ()) if signals.redacted_tier else ()
    summary = signals.redaction.summary() if signals.redaction is not None else None
    for c in cands:
        if c.zone not in allowed_zones:
            if c.zone in redacted_zones:
                c.redacted = True
                trace.append(f"sensitivity: {c.name} ({c.zone}) permitted only with redaction: "
                             f"{summary['count']} value(s) ({', '.join(summary['kinds'])}) replaced by placeholders, "
                             f"leaving tier {signals.redacted_tier}")
            else:
                remove(c, "sensitivity", f"zone {c.zone} not permitted for {tier}")
                removed_by_zone = True

    if context.forced_backend is not None:
        if context.forced_backend not in cfgs:
            raise InputError(f"--backend {context.forced_backend!r}: no such backend in the policy "
                             f"(have: {', '.join(cfgs)})")
        forced = next(c for c in cands if c.name == context.forced_backend)
        if forced.removed_by:
            trace.append(f"forced: --backend {forced.name} refused: {forced.reason}")
            return _refused(signals, policy, trace, cands, context,
                            f"--backend {forced.name} is not permitted: {forced.reason}")
        for c in alive():
            if c is not forced:
                remove(c, "forced", f"--backend {forced.name} given")

    # -- input fit
    for c in alive():
        cfg = cfgs[c.name]
        if signals.tokens > cfg.context_window:
            remove(c, "input", f"~{signals.tokens} tokens exceed context window {cfg.context_window}")
        elif signals.images and not cfg.images:
            remove(c, "input", f"{signals.images} image(s) attached, {c.name} takes no images")

    # -- budgets
    budget = policy.budget
    considerations: dict = {"budget": {"per_request_usd": budget.per_request_usd,
                                       "session_usd": budget.session_usd,
                                       "session": context.session,
                                       "session_spent_usd": context.session_spent_usd,
                                       "downgrade_at": budget.downgrade_at}}
    if budget.per_request_usd is not None:
        for c in alive():
            if c.estimated_cost_usd > budget.per_request_usd:
                remove(c, "budget.per_request",
                       f"estimated {_usd(c.estimated_cost_usd)} > per-request budget {_usd(budget.per_request_usd)}")
        weighed = [f"{c.name} {_usd(c.estimated_cost_usd)}" for c in cands if c.removed_by in (None, "budget.per_request")]
        trace.append(f"budget.per_request: cap {_usd(budget.per_request_usd)}; "
                     + (f"estimates {', '.join(weighed)}" if weighed else "no backend left to weigh"))
    threshold = policy.complexity.threshold
    downgrade = 0.0  # how far the budget downgrade has raised thresholds toward 1.0 (0-1)
    if context.state_error:
        trace.append(f"state: unavailable ({context.state_error})")
    if budget.session_usd is not None:
        if context.state_error:
            for c in alive():
                if c.estimated_cost_usd > 0:
                    remove(c, "budget.session", "session spend unknown (state db unavailable): failing closed")
        elif context.session_spent_usd is None:
            trace.append(f"budget.session: cap {_usd(budget.session_usd)}; spend in this session unknown, not applied")
        else:
            share = context.session_spent_usd / budget.session_usd if budget.session_usd > 0 else 1.0
            considerations["budget"]["session_share"] = round(share, 4)
            remaining = max(0.0, budget.session_usd - context.session_spent_usd)
            considerations["budget"]["session_remaining_usd"] = round(remaining, 6)
            for c in alive():
                if c.estimated_cost_usd > 0 and (share >= 1.0 or c.estimated_cost_usd > remaining):
                    remove(c, "budget.session", f"estimated {_usd(c.estimated_cost_usd)} > {_usd(remaining)} left of "
                                                f"the session budget {_usd(budget.session_usd)}")
            if share >= 1.0:
                trace.append(f"budget.session: {share:.0%} of {_usd(budget.session_usd)} spent: only zero-cost backends remain")
            elif share >= budget.downgrade_at:
                # Progressive, not a cliff: the complexity threshold rises linearly from its
                # policy value at downgrade_at to 1.0 at the ceiling, so ever fewer prompts earn
                # the expensive backends as the session budget runs out.
                span = max(1e-9, 1.0 - budget.downgrade_at)
                downgrade = min(1.0, (share - budget.downgrade_at) / span)
                raised = threshold + (1.0 - threshold) * downgrade
                trace.append(f"budget.downgrade: {share:.0%} of session budget spent (>= {budget.downgrade_at:.0%}): "
                             f"complexity threshold raised {threshold:.2f} -> {raised:.2f}")
                considerations["budget"]["threshold_raised_to"] = round(raised, 4)
                threshold = raised
            else:
                trace.append(f"budget.session: {share:.0%} of {_usd(budget.session_usd)} spent")

    left = alive()
    sla = context.sla_ms if context.sla_ms is not None else policy.latency.sla_ms
    considerations["latency"] = {"sla_ms": sla, "expected_ttft_ms": {c.name: c.expected_ttft_ms for c in cands},
                                 "measured": {n: {"p50_ttft_ms": round(v[0], 1), "samples": v[1]}
                                              for n, v in context.measured_ttft_ms.items()}}
    considerations["capacity"] = {"max_inflight": {n: b.max_inflight for n, b in cfgs.items()},
                                  "inflight": context.inflight,
                                  "cooldowns": dict(context.cooldowns)}
    if not left:
        why = "; ".join(f"{c.name}: {c.reason}" for c in cands)
        reason = f"no backend permitted for a {tier} prompt ({why})"
        return _refused(signals, policy, trace, cands, context, reason, considerations)

    # -- preference
    judged = signals.judgement
    for note in (judged.notes if judged is not None else ()):
        trace.append(note)
    if judged is None or judged.decided_by == "rules":
        above = comp.score >= threshold
        rule = "complexity.above_threshold" if above else "complexity.below_threshold"
    elif judged.decided_by == "judge":
        # The judge's needs_cloud decides; under the budget downgrade its complexity must also
        # clear the raised threshold, as the rules' score would.
        above = bool(judged.needs_cloud) and (downgrade == 0.0 or (judged.score or 0.0) >= threshold)
        rule = "judge.needs_cloud" if above else "judge.local_ok"
        trace.append(f"judge: needs_cloud {str(judged.needs_cloud).lower()}, complexity {judged.score:.2f}"
                     + (f" (budget threshold {threshold:.2f})" if downgrade else "")
                     + f": {'most capable' if above else 'cheapest'} first")
    else:
        model_threshold = judged.threshold + (1.0 - judged.threshold) * downgrade
        above = judged.score >= model_threshold
        rule = "learned.above_threshold" if above else "learned.below_threshold"
        trace.append(f"learned: P(local insufficient) {judged.score:.2f} {'>=' if above else '<'} threshold "
                     f"{model_threshold:.2f}: {'most capable' if above else 'cheapest'} first")
    if len(left) == 1:
        rule = "only_candidate"
    # The trace names the deciding model: the complexity comparison only when the rules decided
    # (a learned/judge line above says why otherwise).
    by_rules = judged is None or judged.decided_by == "rules"
    if above:
        order = sorted(left, key=lambda c: (-c.capability, c.estimated_cost_usd, c.expected_ttft_ms))
        head = (f"complexity: score {comp.score:.2f} >= threshold {threshold:.2f}" if by_rules
                else f"{judged.decided_by}: capable tier")
        trace.append(f"{head}: most capable first (" + ", ".join(f"{c.name} {c.capability}" for c in order) + ")")
    else:
        order = sorted(left, key=lambda c: (c.estimated_cost_usd, c.expected_ttft_ms, -c.capability))
        head = (f"complexity: score {comp.score:.2f} < threshold {threshold:.2f}" if by_rules
                else f"{judged.decided_by}: cheap tier")
        trace.append(f"{head}: cheapest first (" + ", ".join(f"{c.name} {_usd(c.estimated_cost_usd)}" for c in order)
                     + ")")
    if "threshold_raised_to" in considerations["budget"] and not above:
        if judged is None or judged.decided_by == "rules":
            would = comp.score >= policy.complexity.threshold
        elif judged.decided_by == "judge":
            would = bool(judged.needs_cloud)
        else:
            would = judged.score >= judged.threshold
        if would:  # capable without the downgrade: the budget decided
            rule = "budget.downgrade"
    if sla is not None:
        head = order[0]
        fast = [c for c in order if c.expected_ttft_ms <= sla]
        slow = [c for c in order if c.expected_ttft_ms > sla]
        order = fast + slow
        if slow:
            trace.append(f"latency.sla: SLA {sla:g} ms; expected TTFT over it, moved last: "
                         + ", ".join(f"{c.name} {c.expected_ttft_ms:.0f} ms" for c in slow)
                         + ("" if fast else " (nothing meets the SLA; kept: a slow answer beats a refusal)"))
        else:
            trace.append(f"latency.sla: SLA {sla:g} ms; every candidate expected within it")
        if order[0] is not head:
            rule = "latency.sla"
    else:
        trace.append("latency.sla: no SLA set")
    # -- capacity: a backend at max_inflight spills to the next permitted candidate (never
    # across a sensitivity boundary: only permitted candidates are in `order`).
    wait = False
    if context.inflight is not None:
        head = order[0]
        full = [c for c in order if cfgs[c.name].max_inflight is not None
                and context.inflight.get(c.name, 0) >= cfgs[c.name].max_inflight]
        if full:
            free = [c for c in order if c not in full]
            order = free + full
            trace.append("capacity: at max_inflight, moved last: " + ", ".join(
                f"{c.name} {context.inflight.get(c.name, 0)}/{cfgs[c.name].max_inflight}" for c in full)
                + ("" if free else "; no permitted backend has room: wait for one"))
            wait = not free
        else:
            trace.append("capacity: every candidate below max_inflight ("
                         + ", ".join(f"{c.name} {context.inflight.get(c.name, 0)}" for c in order) + ")")
        if order[0] is not head:
            rule = "capacity.spill"
    else:
        trace.append("capacity: in-flight counts unknown (no state db); not applied")
    if context.cooldowns:
        head = order[0]
        cooled = [c for c in order if c.name in context.cooldowns]
        if cooled:
            order = [c for c in order if c.name not in context.cooldowns] + cooled
            trace.append("cooldown: recently failing, tried last: "
                         + ", ".join(f"{c.name} ({context.cooldowns[c.name]})" for c in cooled))
            if order[0] is not head:
                rule = "cooldown"
    if context.forced_backend is not None:
        rule = "forced"
    elif len(left) == 1 and removed_by_zone:
        rule = f"sensitivity.{tier}"
    considerations["capacity"]["wait"] = wait
    chosen = order[0]
    fallbacks = [c.name for c in order[1:]]
    trace.append(f"route: {chosen.name} ({chosen.model}, {chosen.zone}"
                 + (", redacted" if chosen.redacted else "") + f") by rule {rule}"
                 + (f"; fallbacks: {', '.join(fallbacks)}" if fallbacks else "; no fallbacks"))
    return Decision(backend=chosen.name, model=chosen.model, zone=chosen.zone, fallbacks=fallbacks, rule=rule,
                    sensitivity=sens, complexity=comp, threshold=threshold, tokens=signals.tokens,
                    estimated_cost_usd=chosen.estimated_cost_usd, trace=trace, candidates=cands,
                    considerations=considerations, redaction=summary, judgement=judged)


def _refused(signals: Signals, policy: Policy, trace: list[str], cands: list[Candidate],
             context: RouteContext, reason: str, considerations: dict | None = None) -> Decision:
    trace.append(f"refused: {reason}")
    return Decision(backend=None, model=None, zone=None, fallbacks=[], rule="refused",
                    sensitivity=signals.sensitivity, complexity=signals.complexity,
                    threshold=policy.complexity.threshold, tokens=signals.tokens, estimated_cost_usd=None,
                    trace=trace, candidates=cands, considerations=considerations or {},
                    refused=True, refusal=reason, judgement=signals.judgement)
