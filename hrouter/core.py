"""The library core: ``Router`` ties policy, signals, the routing decision, dispatch and audit.

Typical use::

    from hrouter import Router
    router = Router.from_policy_file()          # discovery order: see hrouter.policy
    decision = router.decide(Prompt("What is the capital of France?"))
    result = router.ask(Prompt("..."), on_chunk=print)

The library raises :mod:`hrouter.errors` types and never prints.
"""

from __future__ import annotations

import getpass
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from .errors import (AuditError, BackendAuthError, BackendError, BackendUnavailable, ExitStatus,
                     RefusedError)
from .policy_model import Policy, host_key
from .prompt import Prompt
from .router import Decision, RouteContext, Signals, route


def default_session() -> str:
    """``$HROUTER_SESSION`` or ``<user>-<YYYY-MM-DD>`` (one session per user per local day)."""
    env = os.environ.get("HROUTER_SESSION")
    if env:
        return env
    try:
        user = getpass.getuser()
    except Exception:  # no login name (containers): still one session per day
        user = "user"
    return f"{user}-{date.today().isoformat()}"


def session_name(session: str | None) -> str:
    """``session`` (or :func:`default_session`) checked: at most 200 characters, no control
    characters (a name is printed in ``log``/``budget`` tables: an escape sequence in it would
    drive the terminal). Raises :class:`InputError` (exit 2)."""
    from .errors import InputError

    name = session or default_session()
    bad = next((c for c in name if ord(c) < 32 or 0x7f <= ord(c) < 0xa0), None)
    if bad is not None:
        raise InputError(f"session name holds a control character ({ord(bad):#04x}); "
                         "use printable characters (--session or $HROUTER_SESSION)")
    if len(name) > 200:
        raise InputError(f"session name is {len(name)} characters long (at most 200)")
    return name


@dataclass
class Attempt:
    """One backend call: ``backend`` name, ``status`` (``ok`` or the error class), ``error`` text,
    ``http_status`` when the server answered, ``ttft_ms``/``latency_ms`` (ms, None if not reached),
    ``sent`` whether the request may have left (False when it failed before sending, e.g. no key);
    ``egress_id`` the write-ahead audit record written before a non-local call; ``host`` the
    server called when the backend is a pool (``hosts``), else None."""

    backend: str
    status: str
    host: str | None = None
    sent: bool = False
    egress_id: str | None = None
    redacted: dict | None = None
    error: str | None = None
    http_status: int | None = None
    ttft_ms: float | None = None
    latency_ms: float | None = None

    def to_json(self) -> dict:
        out = {k: v for k, v in self.__dict__.items() if v is not None}
        for k in ("ttft_ms", "latency_ms"):
            if k in out:
                out[k] = round(out[k], 1)
        return out


@dataclass
class AskResult:
    """The outcome of :meth:`Router.ask`.

    ``completion`` is the answer text; ``backend``/``model``/``zone`` what actually served;
    ``model_version`` the server-reported digest or dated id; ``host`` the pool host that served
    (None for a single-server backend); ``input_tokens``/``output_tokens`` token counts
    (``usage_estimated`` True when the server reported none and hrouter counted them);
    ``cost_usd`` from the policy's prices (USD); ``ttft_ms``/``latency_ms`` of the serving call
    (ms, from sending the request); ``server_ms`` the server's own timings (ms, Ollama);
    ``request_id`` the server's request id; ``attempts`` every call made, in order; ``id`` the
    audit id.
    """

    id: str
    decision: Decision
    completion: str = ""
    backend: str | None = None
    model: str | None = None
    model_version: str | None = None
    zone: str | None = None
    host: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    usage_estimated: bool = False
    cost_usd: float = 0.0
    ttft_ms: float | None = None
    latency_ms: float | None = None
    stop_reason: str | None = None
    request_id: str | None = None
    server_ms: dict | None = None
    status: str = "ok"
    attempts: list[Attempt] = field(default_factory=list)

    def to_json(self) -> dict:
        """The ``ask --json`` contract (README, "JSON contract")."""
        return {"id": self.id, "completion": self.completion, "backend": self.backend, "model": self.model,
                "model_version": self.model_version, "zone": self.zone, "host": self.host,
                "decision": self.decision.to_json(),
                "usage": {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                          "cost_usd": _usd(self.cost_usd),
                          **({"estimated": True} if self.usage_estimated else {})},
                "ttft_ms": _r(self.ttft_ms), "latency_ms": _r(self.latency_ms), "stop_reason": self.stop_reason,
                "status": self.status, "attempts": [a.to_json() for a in self.attempts]}


def _r(x: float | None) -> float | None:
    return None if x is None or not _finite(x) else round(x, 1)


def _finite(x) -> bool:
    try:
        return x == x and x not in (float("inf"), float("-inf"))
    except TypeError:
        return False


def _usd(x: float | None) -> float | None:
    """A USD amount for JSON: rounded to the micro-dollar; None when not finite (a cost that
    overflowed: JSON has no infinity, and the record must still be written)."""
    return None if x is None or not _finite(x) else round(x, 6)


def _json_safe(value):
    """``value`` (a record: dicts, lists, scalars) with every non-finite float replaced by None, so
    the audit writer (strict JSON) never refuses — and so never loses — a record."""
    if isinstance(value, float):
        return value if _finite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


class HostState:
    """One host of a backend pool (``hosts``) as hrouter sees it now, from the state db.

    ``url`` as written in the policy; ``key`` its state-db key (:func:`hrouter.policy_model.host_key`);
    ``index`` its position in ``hosts``; ``inflight`` hrouter requests in flight to it across
    processes; ``server_load`` the server's own running + waiting requests (vLLM ``/metrics``,
    ``ask`` only; None = not read); ``ttft_p50_ms`` the p50 time to first token (ms) over its last
    50 successful calls and ``samples`` how many there were (None/0 = never measured);
    ``cooldown`` why it is cooling down and ``cooldown_left_s`` for how long still (s), None when
    it is not. (A plain class, not a dataclass: it is built only for pools, and a dataclass
    would cost every ``explain`` its generation at import.)
    """

    __slots__ = ("url", "key", "index", "inflight", "server_load", "ttft_p50_ms", "samples", "cooldown",
                 "cooldown_left_s")

    def __init__(self, url: str, key: str, index: int, inflight: int = 0, server_load: int | None = None,
                 ttft_p50_ms: float | None = None, samples: int = 0, cooldown: str | None = None,
                 cooldown_left_s: float | None = None) -> None:
        self.url, self.key, self.index = url, key, index
        self.inflight, self.server_load = inflight, server_load
        self.ttft_p50_ms, self.samples = ttft_p50_ms, samples
        self.cooldown, self.cooldown_left_s = cooldown, cooldown_left_s

    def __repr__(self) -> str:
        return "HostState(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__) + ")"

    @property
    def load(self) -> int:
        """Requests in flight used to pick a host: hrouter's own count, or the server's when higher."""
        return max(self.inflight, self.server_load or 0)

    def to_json(self) -> dict:
        """``{url, inflight, server_load, ttft_p50_ms, samples, cooldown}`` (cooldown as
        ``"<reason>; N s left"`` or null)."""
        return {"url": self.url, "inflight": self.inflight, "server_load": self.server_load,
                "ttft_p50_ms": _r(self.ttft_p50_ms), "samples": self.samples,
                "cooldown": None if self.cooldown is None else f"{self.cooldown}; {self.cooldown_left_s:.0f} s left"}


def order_hosts(states: list[HostState]) -> list[HostState]:
    """The order in which a pool's hosts are tried (pure).

    Hosts not cooling down first: fewest requests in flight (:attr:`HostState.load`), then hosts
    never measured (so a new or recovered host gets its first samples; this also spreads the
    first requests over the pool), then lowest measured p50 TTFT, then policy order. Hosts
    cooling down go last, the soonest to recover first: they are tried only when every other
    host has failed for this prompt.
    """
    ready = sorted((s for s in states if s.cooldown is None),
                   key=lambda s: (s.load, s.ttft_p50_ms is not None, s.ttft_p50_ms or 0.0, s.index))
    cooled = sorted((s for s in states if s.cooldown is not None), key=lambda s: (s.cooldown_left_s or 0.0, s.index))
    return ready + cooled


class Router:
    """Routes prompts under one :class:`~hrouter.policy_model.Policy`.

    ``backend_factory(name, config)`` builds backends (default:
    :func:`hrouter.backends.create_backend`); ``audit`` False disables the audit log
    regardless of the policy (for library users who log elsewhere); ``probe_load`` reads
    backends' own load endpoints (vLLM ``/metrics``) when deciding (``ask`` does, ``explain``
    never touches the network).

    After :meth:`with_state` (and so :meth:`decide`), ``pools`` maps each pool backend's name to
    its hosts' :class:`HostState`, in policy order.
    """

    def __init__(self, policy: Policy, *, backend_factory: Callable | None = None, audit: bool = True,
                 probe_load: bool = False) -> None:
        self.policy = policy
        self._backend_factory = backend_factory
        self._audit_enabled = audit and policy.audit.enabled
        self._last_redaction = None
        self._probe_load = probe_load
        self.pools: dict[str, list[HostState]] = {}

    @classmethod
    def from_policy_file(cls, path: str | os.PathLike | None = None, **kwargs) -> "Router":
        """Load the policy (``path``, else the discovery order) and build a Router. Raises PolicyError."""
        from .policy import load_policy
        return cls(load_policy(path), **kwargs)

    # ------------------------------------------------------------------ signals and decision
    def signals(self, prompt: Prompt) -> Signals:
        """Tag sensitivity, score complexity and estimate tokens for ``prompt``.

        The system prompt is scanned for sensitivity too (it is sent along); complexity
        looks at the user text. Never raises for content: a failing detector fails closed.
        """
        from .signals.complexity import score_complexity
        from .signals.sensitivity import tag_sensitivity
        from .signals.tokens import estimate_tokens

        sens = tag_sensitivity(prompt.text, self.policy.sensitivity, images=len(prompt.images))
        scanned = prompt.text
        if prompt.system:
            # The system prompt is sent too: its findings count, marked as such (offsets into it).
            from .signals import Finding, tier_rank
            sys_sens = tag_sensitivity(prompt.system, self.policy.sensitivity)
            sens.findings += [Finding(f.detector, f.tier, f.start, f.end, f.masked + " [system prompt]",
                                      f.verdict, f.context) for f in sys_sens.findings]
            sens.errors += [f"system prompt: {e}" for e in sys_sens.errors]
            if tier_rank(sys_sens.tier) > tier_rank(sens.tier):
                sens.tier = sys_sens.tier
            scanned = prompt.system + "\n\n" + prompt.text
            # Both are sent together: a context word in one and the value in the other (a system
            # prompt "Applicant passport number:" and the user text "X1234567") is one finding.
            # Joined by a space, not a paragraph break: the boundary must not end a context window.
            both = tag_sensitivity(prompt.system + " " + prompt.text, self.policy.sensitivity)
            if tier_rank(both.tier) > tier_rank(sens.tier):
                sens.findings += [Finding(f.detector, f.tier, f.start, f.end,
                                          f.masked + " [system prompt + prompt]", f.verdict, f.context)
                                  for f in both.findings if tier_rank(f.tier) > tier_rank(sens.tier)]
                sens.tier = both.tier
            sens.errors += [f"system prompt + prompt: {e}" for e in both.errors if e not in sens.errors]
        tokens = estimate_tokens(scanned)
        comp = score_complexity(prompt.text, self.policy.complexity, images=len(prompt.images), tokens=tokens)
        judgement = None
        if self.policy.router != "rules":
            # The learned model / local judge (hrouter.deciders): may raise the tier, never lower it.
            from .deciders import second_opinion
            opinion = second_opinion(self.policy, prompt.text, comp, tokens, len(prompt.images), sens.tier,
                                     judge_factory=self._judge, judge_text=scanned)
            judgement = opinion.judgement
            if opinion.raised_tier is not None:
                from .signals import Finding
                sens.findings.append(Finding("judge", opinion.raised_tier, 0, 0, "(local judge verdict)",
                                             verdict=f"judge raised the tier {sens.tier} -> {opinion.raised_tier}"))
                sens.tier = opinion.raised_tier
                redaction_off = True
            else:
                redaction_off = False
        else:
            redaction_off = False
        # A tier raised by the judge is not lowered again by redact-then-send (fail closed); nor
        # may redaction go below the judge's own tier (its verdict is about the whole prompt, and
        # placeholders replace only the tagger's findings).
        redacted_tier, redaction = (None, None) if redaction_off else self._redaction(prompt, sens)
        judge_tier = ((judgement.outputs.get("judge") or {}).get("tier") if judgement is not None else None)
        if redacted_tier is not None and judge_tier is not None:
            from .signals import tier_rank
            if tier_rank(judge_tier) > tier_rank(redacted_tier):
                redacted_tier, redaction = None, None
        return Signals(sensitivity=sens, complexity=comp, tokens=tokens, images=len(prompt.images),
                       redacted_tier=redacted_tier, redaction=redaction, judgement=judgement)

    def _judge(self, policy):
        """The local judge for ``router: judge | cascade`` (verdicts cached in the state db when it opens)."""
        if getattr(self, "_judge_instance", None) is None:
            from .deciders import default_judge
            try:
                state = self._db()
            except Exception:  # no cache, still a judge
                state = None
            self._judge_instance = default_judge(policy, state)
        return self._judge_instance

    def _redaction(self, prompt: Prompt, sens):
        """Redact-then-send: the tier the prompt would have with ``sensitivity.redact`` findings of
        the user text replaced, when that is lower. The redacted text is tagged again (with the
        system prompt, which is sent as is); any detector error means no redaction (fail closed)."""
        from .signals import tier_rank
        from .signals.sensitivity import tag_sensitivity
        names = self.policy.sensitivity.redact
        if not names or not sens.findings or sens.errors or sens.tier == "public":
            return None, None
        from .redact import redact
        user = [f for f in sens.findings if not f.masked.endswith("[system prompt]")]
        redaction = redact(prompt.text, user, names, system=prompt.system)
        if redaction is None:
            return None, None
        again = tag_sensitivity(redaction.text, self.policy.sensitivity, images=len(prompt.images))
        tier = again.tier if not again.errors else "confidential"
        if prompt.system:
            sys_tier = tag_sensitivity(prompt.system, self.policy.sensitivity).tier
            both = tag_sensitivity(prompt.system + " " + redaction.text, self.policy.sensitivity)
            tier = max(tier, sys_tier, both.tier if not both.errors else "confidential", key=tier_rank)
        if tier_rank(tier) >= tier_rank(sens.tier):
            return None, None
        return tier, redaction

    def decide(self, prompt: Prompt, context: RouteContext | None = None) -> Decision:
        """Run the whole decision without calling any model (what ``explain`` shows).

        The context is completed from the state db (session spend, measured TTFT, in-flight
        counts, cooldowns) unless the caller filled those in.
        """
        sig = self.signals(prompt)
        self._last_redaction = sig.redaction  # kept for callers of older versions; ask() reads the decision's
        ctx = self.with_state(context or RouteContext())
        decision = route(sig, ctx, self.policy)
        decision.redaction_plan = sig.redaction
        if ctx.state_error:
            decision.considerations["state_error"] = ctx.state_error
        if self.pools:
            # Which host of each pool would be called, in order (chosen at dispatch, not by the rules).
            decision.considerations["pools"] = {name: [s.to_json() for s in order_hosts(states)]
                                                for name, states in self.pools.items()}
        return decision

    # ------------------------------------------------------------------ shared state
    def _db(self):
        if getattr(self, "_statedb", None) is None:
            from .state import StateDB
            self._statedb = StateDB.open_default()
        return self._statedb

    def close(self) -> None:
        """Close the state db (runs a WAL checkpoint when due); call after the answer is out."""
        if getattr(self, "_statedb", None) is not None:
            self._statedb.close()
            self._statedb = None

    def _window_s(self) -> float | None:
        hours = self.policy.budget.window_hours
        return hours * 3600 if hours else None

    def _server_loads(self, inflight: dict[str, int]) -> dict[str, int]:
        """``inflight`` raised to each backend's own load (vLLM ``/metrics``: running + waiting,
        all clients included) when ``probe_load`` is on."""
        if not self._probe_load:
            return inflight
        from .load import read_load
        for name, cfg in self.policy.backends.items():
            if cfg.max_inflight is not None and getattr(cfg, "load_metrics", None) and not cfg.hosts:
                server = read_load(cfg)
                if server is not None and server > inflight.get(name, 0):
                    inflight[name] = server
        return inflight

    def _pool_states(self, name: str, cfg, db) -> list[HostState]:
        """The hosts of pool ``name`` in policy order, read from ``db`` (None = no db yet: all idle,
        unmeasured). Raises StateError."""
        states = []
        for i, url in enumerate(cfg.hosts):
            s = HostState(url=url, key=host_key(name, url), index=i)
            if db is not None:
                s.inflight = db.inflight(s.key)
                stats = db.latency_stats(s.key)
                if stats and stats.ok_count and stats.ttft_p50_ms is not None:
                    s.ttft_p50_ms, s.samples = stats.ttft_p50_ms, stats.ok_count
                cd = db.cooldown(s.key)
                if cd is not None:
                    s.cooldown, s.cooldown_left_s = cd.reason, cd.remaining_s()
            if self._probe_load and getattr(cfg, "load_metrics", None):
                from .load import read_load
                s.server_load = read_load(cfg.for_host(url))
            states.append(s)
        return states

    def _pool_context(self, db, inflight: dict, cooldowns: dict) -> None:
        """Fill ``self.pools`` and each pool's backend-level view for the rules: its in-flight count
        (when it has ``max_inflight``, which is per host) is the least loaded usable host's, so the
        capacity rule sees it full only when every host is; it counts as cooling down only when
        every host is."""
        self.pools = {}
        for name, cfg in self.policy.backends.items():
            if not cfg.hosts:
                continue
            states = self.pools[name] = self._pool_states(name, cfg, db)
            usable = [s for s in states if s.cooldown is None] or states
            if cfg.max_inflight is not None:
                inflight[name] = min(s.load for s in usable)
            if all(s.cooldown is not None for s in states):
                left = min(s.cooldown_left_s or 0.0 for s in states)
                cooldowns.setdefault(name, f"all {len(states)} hosts of the pool failing; {left:.0f} s left")

    def with_state(self, context: RouteContext) -> RouteContext:
        """``context`` with session spend, measured TTFT (p50 over the last 50 successful calls,
        once there are 3), in-flight counts and cooldowns read from the state db. No db yet
        means nothing was recorded: zero in flight, nothing spent. A broken db is noted in
        ``state_error`` (the session budget then fails closed). Pools: see :meth:`_pool_context`;
        their hosts' states are left in ``self.pools``."""
        import dataclasses

        if context.inflight is not None or context.state_error:
            return context
        from .paths import STATE_DB, state_dir
        if getattr(self, "_statedb", None) is None and not (state_dir() / STATE_DB).exists():
            inflight = self._server_loads({})
            cooldowns = dict(context.cooldowns)
            self._pool_context(None, inflight, cooldowns)
            return dataclasses.replace(context, inflight=inflight, cooldowns=cooldowns,
                                       session_spent_usd=0.0 if context.session_spent_usd is None else
                                       context.session_spent_usd)
        from .state import StateError
        try:
            db = self._db()
            spent = context.session_spent_usd
            if spent is None and context.session:
                spent = db.session_spend(context.session, window_s=self._window_s()).committed_usd
            measured = dict(context.measured_ttft_ms)
            inflight: dict[str, int] = {}
            for name, cfg in self.policy.backends.items():
                stats = db.latency_stats(name)
                if name not in measured and stats and stats.ok_count >= 3 and stats.ttft_p50_ms is not None:
                    measured[name] = (stats.ttft_p50_ms, stats.ok_count)
                if cfg.max_inflight is not None and not cfg.hosts:
                    inflight[name] = db.inflight(name)
            inflight = self._server_loads(inflight)
            cooldowns = dict(context.cooldowns)
            for cd in db.cooldowns():
                if cd.backend in self.policy.backends and not self.policy.backends[cd.backend].hosts:
                    cooldowns.setdefault(cd.backend, f"{cd.reason}; {cd.remaining_s():.0f} s left")
            self._pool_context(db, inflight, cooldowns)
        except StateError as exc:
            return dataclasses.replace(context, state_error=str(exc))
        return dataclasses.replace(context, session_spent_usd=spent, measured_ttft_ms=measured,
                                   inflight=inflight, cooldowns=cooldowns)

    # ------------------------------------------------------------------ dispatch
    def _make_backend(self, name: str, host: str | None = None):
        """The backend object for ``name``; for a pool, narrowed to ``host`` (its config's
        ``host``/``base_url`` set to it, see :meth:`~hrouter.policy_model.BackendConfig.for_host`)."""
        cfg = self.policy.backends[name]
        if host is not None:
            cfg = cfg.for_host(host)
        if self._backend_factory is not None:
            return self._backend_factory(name, cfg)
        from .backends import create_backend
        return create_backend(name, cfg)

    def ask(self, prompt: Prompt, context: RouteContext | None = None, *,
            on_chunk: Callable[[str], None] | None = None,
            on_attempt: Callable[[str, Attempt | None], None] | None = None,
            on_decision: Callable[[Decision], None] | None = None,
            on_notice: Callable[[str], None] | None = None) -> AskResult:
        """Decide, call the route (then the permitted fallbacks on availability failures only),
        stream chunks to ``on_chunk`` and write the audit record.

        A backend that fails after a chunk reached ``on_chunk`` is not retried on another
        (that would splice two answers); without ``on_chunk`` (nothing shown until the end) a
        failure mid-answer falls back like any other.

        The decision is always made here, from this prompt (a caller cannot hand in one made
        for another prompt). ``on_decision(decision)`` is called once it is made, before any
        call; ``on_attempt(backend, previous_failed_attempt)`` before each call; ``on_notice``
        gets warnings. Audit (issue: compliance trail): the log and key are checked before
        anything is sent; before a prompt leaves for a non-local zone an ``egress`` record is
        on disk (fsynced), and the ``request`` record that follows names it. A log that cannot
        be written refuses every call (``audit.required_for: all``) or cloud egress only
        (``cloud``): :class:`RefusedError`, exit 3.
        A pool backend (``hosts``) is called host by host (:meth:`_pool_slot` picks the least
        loaded): an availability failure before the first token cools that host down for every
        process and tries the pool's next host before the next backend; after the first token
        nothing is retried. ``result.host`` and each attempt's ``host`` name the host called.
        Returns an :class:`AskResult`. Raises :class:`RefusedError` (exit 3) when no backend is
        permitted; :class:`BackendError` subclasses after fallbacks (exit 4 when nothing permitted
        was reachable, 5 for credentials, 1 otherwise); :class:`AuditError` when the record
        cannot be written; ``KeyboardInterrupt`` passes through after an ``interrupted`` record.
        """
        from .backends.base import Completion, CompletionRequest

        context = context or RouteContext()
        decision = self.decide(prompt, context)
        if on_decision:
            on_decision(decision)
        result = AskResult(id=uuid.uuid4().hex, decision=decision)
        self._audit_problem = None
        if self._audit_enabled:
            try:
                from .audit import load_or_create_key
                load_or_create_key()
                self._log().check_writable()
            except AuditError as exc:
                if self.policy.audit.required_for == "all":
                    raise RefusedError(f"refused: {exc}; no call without an audit record "
                                       "(audit.required_for: all)") from None
                self._audit_problem = str(exc)
                if on_notice:
                    on_notice(f"audit log not writable ({exc}); local calls only, without a record")
        if on_notice and decision.considerations.get("state_error"):
            on_notice(f"state database unusable ({decision.considerations['state_error']}): this call's "
                      "spend, latency and cooldowns are not recorded; see `hrouter doctor`")
        if decision.refused:
            result.status = "refused"
            self._audit_quietly(prompt, result, context, decision.refusal)
            raise RefusedError(f"refused by policy: {decision.refusal}", decision)

        order = [decision.backend] + list(decision.fallbacks)
        failures: list[BackendError] = []
        skipped: list[str] = []
        shown = False  # a chunk of this answer reached the caller (printed): no fallback may splice another
        began = False  # a chunk of the current attempt arrived (its tokens are billed)
        stop = False  # a failure that must not be routed around (or retried on another host)
        previous: Attempt | None = None
        try:
            for i, name in enumerate(order):
                cfg = self.policy.backends[name]
                last = i == len(order) - 1
                tried: list[str] = []  # a pool's hosts already called for this prompt
                missing: list[str] = []  # pool hosts that answered 404 (model not there)
                while True:
                    # One call: to the backend, or to the next host of its pool. A pool moves on to
                    # its next host after an availability failure (nothing streamed yet); anything
                    # else leaves this backend (`break`), and `stop` ends the whole dispatch.
                    host = None
                    if cfg.hosts:
                        host, slot = self._pool_slot(name, cfg, tried, last=last, on_notice=on_notice)
                        if host is None:
                            if slot is False:
                                result.attempts.append(Attempt(backend=name, status="skipped",
                                                               error="every host at max_inflight"))
                                skipped.append(f"{name}: every host at max_inflight")
                            if missing and len(missing) == len(tried):
                                stop = True  # the model is on none of the hosts: a policy error, as for one server
                            break  # every host tried (or full): the next backend
                        tried.append(host)
                    else:
                        slot = self._acquire_slot(name, cfg, last=last, on_notice=on_notice)
                    attempt = Attempt(backend=name, status="started", host=host)
                    result.attempts.append(attempt)
                    began = False  # this attempt's own: a previous attempt's answer is not billed again
                    max_tokens = context.max_tokens or cfg.max_tokens
                    if slot is False:
                        attempt.status, attempt.error = "skipped", "at max_inflight"
                        skipped.append(f"{name}: at max_inflight")
                        break
                    reservation = None
                    estimate = cfg.price.cost_usd(decision.tokens, max_tokens)
                    if estimate > 0 and self.policy.budget.session_usd is not None:
                        reservation = self._reserve(context.session, name, estimate)
                        if reservation is None:
                            self._end_slot(slot)
                            attempt.status, attempt.error = "skipped", "session budget reached"
                            skipped.append(f"{name}: session budget reached")
                            break
                    if on_attempt:
                        on_attempt(name, previous)
                    completion = Completion()
                    plan = decision.redaction_plan  # this prompt's, not the Router's latest decide()
                    redacted = name in decision.to_json()["redacted_backends"]
                    if redacted and plan is None:  # permitted only redacted, and nothing to redact with
                        raise RefusedError(f"refused: {name} is permitted only for the redacted prompt, "
                                           "and no redaction is at hand", decision)
                    request = CompletionRequest(prompt=plan.text if redacted else prompt.text,
                                                system=prompt.system, max_tokens=max_tokens, images=prompt.images)
                    restorer = None
                    if redacted:
                        from .redact import Restorer
                        restorer = Restorer(plan.mapping)
                        attempt.redacted = decision.redaction
                    t0 = time.perf_counter()
                    try:
                        backend = self._make_backend(name, host)
                        backend.prepare()  # credentials and imports: nothing sent yet
                        try:
                            attempt.egress_id = self._write_ahead(prompt, result, context, name, host)
                        except RefusedError as exc:  # no record, no call: try the next permitted backend
                            self._state_op("release", reservation)
                            attempt.status, attempt.error = "skipped", str(exc)
                            skipped.append(f"{name}: {exc}")
                            break
                        attempt.sent = True
                        began = False
                        t0 = time.perf_counter()
                        for chunk in backend.stream(request, completion):
                            if not chunk:
                                continue
                            if attempt.ttft_ms is None:
                                attempt.ttft_ms = (time.perf_counter() - t0) * 1000
                            began = True
                            if restorer is not None:
                                chunk = restorer.feed(chunk)
                            if on_chunk and chunk:
                                shown = True
                                on_chunk(chunk)
                        if restorer is not None:
                            tail = restorer.flush()
                            if on_chunk and tail:
                                on_chunk(tail)
                            completion.text = _restore_all(completion.text, plan.mapping)
                    except BackendError as exc:
                        attempt.latency_ms = (time.perf_counter() - t0) * 1000
                        attempt.status, attempt.error, attempt.http_status = type(exc).__name__, str(exc), exc.status
                        if exc.sent is False:
                            attempt.sent = False  # e.g. connection refused: the prompt never left
                        exc.backend = exc.backend or name
                        failures.append(exc)
                        previous = attempt
                        if began and attempt.sent:
                            # Failed after the answer began: the provider bills what it consumed (the
                            # input and the output received), as for an interruption; charge that, not
                            # the worst-case reservation, and name it in the record.
                            self._charge_partial(name, cfg, decision, completion, result, reservation,
                                                 context.session, host)
                            reservation = None  # settled
                        self._after_failure(name, attempt, exc, reservation, billed=began, host=host)
                        if shown:
                            result.status = "error"
                            raise BackendError(f"{name} failed after the answer began ({exc}); not retried on another "
                                               "backend, which would splice two answers", backend=name,
                                               status=exc.status) from None
                        if host is not None and exc.status == 404 and not began:
                            # Model missing on this host only (pools drift): cool it, try the next host.
                            missing.append(host)
                            self._state_op("cool_down", host_key(name, host), self.policy.dispatch.cooldown_s,
                                           "HTTP 404 (model not on this host)")
                            continue
                        if not exc.retryable:
                            stop = True
                            break
                        if host is not None:
                            continue  # the pool's next host (tried ones are left out)
                        break
                    except BaseException:
                        if attempt.sent:
                            # Sent, then interrupted (Ctrl-C, SIGTERM, stdout gone): the provider bills
                            # what it consumed; record it and charge the session for it.
                            attempt.latency_ms = (time.perf_counter() - t0) * 1000
                            self._charge_partial(name, cfg, decision, completion, result, reservation,
                                                 context.session, host)
                        else:
                            self._state_op("release", reservation)
                        raise
                    finally:
                        self._end_slot(slot)
                    attempt.latency_ms = (time.perf_counter() - t0) * 1000
                    attempt.status = "ok"
                    result.completion = completion.text
                    result.backend, result.model, result.zone = name, completion.model or cfg.model, cfg.zone
                    result.host = host
                    result.model_version = completion.model_version
                    result.input_tokens, result.output_tokens = completion.usage.input_tokens, completion.usage.output_tokens
                    result.usage_estimated = completion.usage.estimated
                    if completion.usage.implausible:  # a broken or hostile server: count it ourselves
                        from .signals.tokens import estimate_tokens
                        result.input_tokens = decision.tokens
                        result.output_tokens = estimate_tokens(completion.text) if completion.text else 0
                        result.usage_estimated = True
                        if on_notice:
                            on_notice(f"{name} reported implausible token counts ({completion.usage.implausible}); "
                                      "hrouter's estimates are recorded and charged instead")
                    result.cost_usd = cfg.price.cost_usd(result.input_tokens, result.output_tokens)
                    result.ttft_ms, result.latency_ms = attempt.ttft_ms, attempt.latency_ms
                    result.stop_reason = completion.stop_reason
                    result.request_id = completion.request_id
                    if completion.server_durations_ns:
                        result.server_ms = {k: round(v / 1e6, 1) for k, v in completion.server_durations_ns.items()
                                            if isinstance(v, (int, float))}
                    result.status = "ok"
                    self._after_success(name, attempt, reservation, result.cost_usd, context.session, host=host)
                    try:
                        self._audit(prompt, result, context)
                    except AuditError as exc:
                        if self.policy.audit.required_for == "all" or cfg.zone != "local":
                            raise
                        if on_notice:  # required_for: cloud, a local answer: warn, the answer stands
                            on_notice(f"the audit record could not be written ({exc})")
                    return result
                if stop:
                    break
            if not failures and skipped:
                result.status = "refused"
                self._audit_quietly(prompt, result, context, "; ".join(skipped))
                raise RefusedError("refused: no permitted backend could take the prompt now (" + "; ".join(skipped) + ")")
            result.status = "error"
            raise _final_error(failures, order)
        except KeyboardInterrupt:
            result.status = "interrupted"
            if result.attempts and result.attempts[-1].status == "started":
                result.attempts[-1].status = "interrupted"
            self._audit(prompt, result, context, error="interrupted")
            raise
        except BackendError as exc:
            self._audit(prompt, result, context, error=str(exc))
            raise
        except AuditError:
            raise
        except RefusedError as exc:  # a refusal stays exit 3 even when its record cannot be written (disk full)
            if result.status != "refused":  # not yet recorded (raised mid-dispatch): record it, best effort
                result.status = "error"
                self._audit_quietly(prompt, result, context, f"{type(exc).__name__}: {exc}")
            raise
        except Exception as exc:  # e.g. the reader of stdout went away mid-answer: still audited
            result.status = "error"
            self._audit(prompt, result, context, error=f"{type(exc).__name__}: {exc}")
            raise

    # ------------------------------------------------------------------ state during dispatch
    def _state_op(self, op: str, *args):
        """Best-effort state write (latency, in-flight end, release): a broken db must not lose
        an answer already given. Returns the op's result, or None on StateError."""
        from .state import StateError
        if args and args[0] is None:
            return None
        try:
            return getattr(self._db(), op)(*args)
        except (StateError, ValueError):  # ValueError: an amount that is NaN (a Price built in code)
            return None

    def _acquire_slot(self, name: str, cfg, *, last: bool, on_notice=None):
        """An in-flight slot on ``name`` (None when it has no ``max_inflight``), or False when it is
        full and a later candidate may take the prompt. When it is the last permitted candidate,
        wait up to ``dispatch.wait_s`` for a slot, then refuse (exit 3)."""
        from .state import StateError
        if cfg.max_inflight is None:
            return None
        deadline = time.monotonic() + self.policy.dispatch.wait_s
        told = False
        while True:
            try:
                token = self._db().try_begin_request(name, cfg.max_inflight)
            except StateError:
                return None  # capacity unknown: do not block the request on it
            if token is not None:
                return token
            if not last:
                return False
            if time.monotonic() >= deadline:
                raise RefusedError(f"refused: {name} is at max_inflight ({cfg.max_inflight}) and no other "
                                   f"permitted backend can take this prompt; waited {self.policy.dispatch.wait_s:g} s "
                                   "(dispatch.wait_s)")
            if on_notice and not told:
                on_notice(f"{name} is at max_inflight ({cfg.max_inflight}); waiting up to "
                          f"{self.policy.dispatch.wait_s:g} s for a slot")
                told = True
            time.sleep(0.2)

    def _pool_slot(self, name: str, cfg, tried: list[str], *, last: bool, on_notice=None):
        """The next host of pool ``name`` to call, with its in-flight slot.

        Hosts in ``tried`` (already called for this prompt) are left out; the rest are taken in
        :func:`order_hosts` order (not cooling down, fewest in flight, unmeasured, fastest p50 TTFT,
        policy order; hosts cooling down last), and the first with room under ``max_inflight``
        (per host; None = always room) gets an atomic slot, which also counts it in flight for
        the other processes' choice. Returns ``(url, token)``; ``(None, None)`` when every host has
        been tried; ``(None, False)`` when every remaining host is at ``max_inflight`` and a later
        candidate may take the prompt. As the last permitted candidate it waits up to
        ``dispatch.wait_s`` for a slot, then raises :class:`RefusedError` (exit 3). A state db
        that cannot be used gives the remaining hosts in policy order, without slots.
        """
        from .state import StateError
        deadline = time.monotonic() + self.policy.dispatch.wait_s
        told = False
        while True:
            try:
                db = self._db()
                states = [s for s in order_hosts(self._pool_states(name, cfg, db)) if s.url not in tried]
                if not states:
                    return None, None
                for s in states:
                    token = db.try_begin_request(s.key, cfg.max_inflight)
                    if token is not None:
                        return s.url, token
            except StateError:
                rest = [u for u in cfg.hosts if u not in tried]
                return (rest[0], None) if rest else (None, None)
            if not last:
                return None, False
            if time.monotonic() >= deadline:
                raise RefusedError(f"refused: every host of {name} is at max_inflight ({cfg.max_inflight} per host) "
                                   "and no other permitted backend can take this prompt; waited "
                                   f"{self.policy.dispatch.wait_s:g} s (dispatch.wait_s)")
            if on_notice and not told:
                on_notice(f"every host of {name} is at max_inflight ({cfg.max_inflight} per host); waiting up to "
                          f"{self.policy.dispatch.wait_s:g} s for a slot")
                told = True
            time.sleep(0.2)

    def _end_slot(self, slot) -> None:
        if slot:
            self._state_op("end_request", slot)

    def _reserve(self, session: str | None, name: str, estimate: float):
        """Reserve ``estimate`` USD of the session budget; None when over it or unknown (fail closed)."""
        from .state import StateError
        budget = self.policy.budget
        try:
            return self._db().reserve(session or "default", name, estimate, ceiling_usd=budget.session_usd,
                                      window_s=self._window_s())
        except (StateError, ValueError):  # ValueError: a NaN estimate; refuse (fail closed)
            return None

    def _after_failure(self, name: str, attempt: Attempt, exc: BackendError, reservation, *, billed: bool,
                       host: str | None = None) -> None:
        """Settle or release the reservation, record the failed sample and, for an availability
        failure before any answer, cool down the backend, or only the failing ``host`` of a pool
        (the pool counts as cooling down once all its hosts do)."""
        if billed:  # normally settled already by :meth:`_charge_partial` (reservation None then)
            self._state_op("settle", reservation, reservation.amount_usd if reservation else 0.0)
        else:
            self._state_op("release", reservation)
        if attempt.sent or exc.sent is False:
            self._state_op("record_latency", name, attempt.ttft_ms, attempt.latency_ms, False)
            if host is not None:
                self._state_op("record_latency", host_key(name, host), attempt.ttft_ms, attempt.latency_ms, False)
        if exc.retryable and not billed and self.policy.dispatch.cooldown_s > 0:
            what = f"HTTP {exc.status}" if exc.status not in (None, 200) else type(exc).__name__
            if exc.status is None and exc.sent is False:
                what = "unreachable"
            # A server's retry-after (429, 529, 503) is honoured: the backend stays last until then.
            seconds = max(self.policy.dispatch.cooldown_s, getattr(exc, "retry_after_s", None) or 0.0)
            self._state_op("cool_down", name if host is None else host_key(name, host), seconds, what)

    def _charge_partial(self, name: str, cfg, decision: Decision, completion, result: AskResult, reservation,
                        session: str | None, host: str | None) -> None:
        """A call interrupted after the prompt was sent, or failed after the answer began: fill ``result`` with what it consumed —
        the backend, the input tokens (the server's count, else hrouter's estimate of the prompt),
        the output tokens received so far (the server's count, or hrouter's count of the text
        received when that is higher) and their cost — and charge it to the session: settle the
        reservation with it, or record it as spend. Never raises for the state db."""
        try:
            from .signals.tokens import estimate_tokens
            usage = completion.usage
            received = estimate_tokens(completion.text) if completion.text else 0
            input_tokens = usage.input_tokens or decision.tokens
            output_tokens = max(usage.output_tokens, received)
            result.backend, result.model, result.zone = name, completion.model or cfg.model, cfg.zone
            result.host, result.model_version = host, completion.model_version
            result.request_id = completion.request_id
            result.completion = completion.text
            result.input_tokens, result.output_tokens = input_tokens, output_tokens
            result.usage_estimated = (usage.estimated or not usage.input_tokens
                                      or output_tokens > usage.output_tokens)
            result.cost_usd = cfg.price.cost_usd(input_tokens, output_tokens)
            result.ttft_ms = result.attempts[-1].ttft_ms if result.attempts else None
            result.latency_ms = result.attempts[-1].latency_ms if result.attempts else None
        except Exception:  # accounting must not mask the interruption; charge the reservation at least
            self._state_op("settle", reservation, reservation.amount_usd if reservation else 0.0)
            return
        cost = result.cost_usd if _finite(result.cost_usd) else float("inf")
        if reservation is not None:
            self._state_op("settle", reservation, cost)
        elif cost > 0:
            self._state_op("record_spend", session or "default", name, cost)

    def _after_success(self, name: str, attempt: Attempt, reservation, cost_usd: float, session: str | None,
                       host: str | None = None) -> None:
        """Settle the spend, record the latency sample (the backend's, and the pool host's) and end
        the cooldown of what served."""
        if reservation is not None:
            self._state_op("settle", reservation, cost_usd)
        elif cost_usd > 0:
            self._state_op("record_spend", session or "default", name, cost_usd)
        self._state_op("record_latency", name, attempt.ttft_ms, attempt.latency_ms, True)
        if host is not None:
            self._state_op("record_latency", host_key(name, host), attempt.ttft_ms, attempt.latency_ms, True)
        self._state_op("clear_cooldown", name if host is None else host_key(name, host))  # it works again

    # ------------------------------------------------------------------ audit
    def _log(self):
        from .audit import AuditLog, resolve_log_path
        mb = self.policy.audit.rotate_mb
        return AuditLog(resolve_log_path(self.policy.audit.path),
                        rotate_bytes=int(mb * 1024 * 1024) if mb else None)

    def _write_ahead(self, prompt: Prompt, result: AskResult, context: RouteContext, backend: str,
                     host: str | None = None) -> str | None:
        """Write (fsynced) the record of a prompt about to be sent, before it is: an ``egress``
        record for a non-local zone, a ``dispatch`` record for a local one when
        ``audit.required_for`` is ``all``; ``host`` names the pool host it goes to (else null).
        Returns its id (None when none is needed).
        Raises RefusedError when it cannot be written: no egress (no call, under ``all``) without a record."""
        if not self._audit_enabled:
            return None
        local = self.policy.backends[backend].zone == "local"
        if local and self.policy.audit.required_for != "all":
            return None
        from .audit import load_or_create_key, prompt_hmac
        cfg, d = self.policy.backends[backend], result.decision
        egress_id = uuid.uuid4().hex
        try:
            if self._audit_problem:
                raise AuditError(self._audit_problem)
            self._log().append({
                "type": "dispatch" if local else "egress", "ts": _now(), "id": egress_id, "request": result.id,
                "session": context.session,
                "backend": backend, "host": host, "model": cfg.model, "zone": cfg.zone, "tier": d.sensitivity.tier,
                "rule": d.rule, "prompt_hmac": prompt_hmac(prompt.text, load_or_create_key()),
                "redacted": d.redaction if backend in d.to_json()["redacted_backends"] else None,
                "policy_digest": self.policy.digest})
        except AuditError as exc:
            what = "call refused" if local else "cloud egress refused"
            raise RefusedError(f"{what}: the audit record could not be written ({exc}); "
                               "no egress without a record") from None
        return egress_id

    def _audit_quietly(self, prompt: Prompt, result: AskResult, context: RouteContext, error: str) -> None:
        """Record a refusal if possible; a log that cannot be written must not hide the refusal."""
        try:
            self._audit(prompt, result, context, error=error)
        except AuditError:
            pass

    def _audit(self, prompt: Prompt, result: AskResult, context: RouteContext, error: str | None = None) -> None:
        if not self._audit_enabled or getattr(self, "_audit_problem", None):
            return
        from .audit import load_or_create_key, prompt_hmac

        d = result.decision
        record = {
            "type": "request",
            "ts": _now(),
            "id": result.id,
            "session": context.session,
            "backend": result.backend,
            "host": result.host,
            "model": result.model,
            "model_version": result.model_version,
            "zone": result.zone,
            "cloud_egress": any(a.sent and self.policy.backends[a.backend].zone != "local" for a in result.attempts),
            "tier": d.sensitivity.tier,
            "detectors": sorted({f.detector for f in d.sensitivity.findings}),
            "detector_errors": list(d.sensitivity.errors),
            "complexity": round(d.complexity.score, 4),
            "components": {k: round(c.value, 4) for k, c in d.complexity.components.items()},
            "rule": d.rule,
            "route": d.backend,
            "fallbacks": list(d.fallbacks),
            "attempts": [a.to_json() for a in result.attempts],
            "ttft_ms": _r(result.ttft_ms),
            "latency_ms": _r(result.latency_ms),
            "server_ms": result.server_ms,
            "request_id": result.request_id,
            "input_tokens": result.input_tokens,
            "output_tokens": result.output_tokens,
            "usage_estimated": result.usage_estimated,
            "estimated_cost_usd": _usd(d.estimated_cost_usd),
            "cost_usd": _usd(result.cost_usd),
            "status": result.status,
            "error": error,
            "prompt_hmac": prompt_hmac(prompt.text, load_or_create_key()),
            "prompt_chars": len(prompt.text),
            "images": len(prompt.images),
            "policy_digest": self.policy.digest,
        }
        record["egress_ids"] = [a.egress_id for a in result.attempts
                                if a.egress_id and self.policy.backends[a.backend].zone != "local"]
        record["dispatch_ids"] = [a.egress_id for a in result.attempts
                                  if a.egress_id and self.policy.backends[a.backend].zone == "local"]
        record["redacted"] = next((a.redacted for a in result.attempts if a.redacted), None)
        mode = self.policy.audit.log_prompt
        if mode == "raw":
            record["prompt"], record["system"] = prompt.text, prompt.system
        elif mode:
            user = [f for f in d.sensitivity.findings if not f.masked.endswith("[system prompt]")]
            record["prompt"] = mask_findings(prompt.text, user)
            if prompt.system:
                from .signals.sensitivity import tag_sensitivity
                record["system"] = mask_findings(prompt.system,
                                                 tag_sensitivity(prompt.system, self.policy.sensitivity).findings)
        if d.judgement is not None:
            record["judgement"] = d.judgement.to_json()
            judge = d.judgement.outputs.get("judge")
            if judge is not None:
                record["judge_ms"] = judge.get("latency_ms")
                if mode != "raw" and judge.get("reason"):
                    # The judge's own words may quote the prompt: logged only where the prompt is.
                    record["judgement"]["outputs"] = {**record["judgement"]["outputs"],
                                                      "judge": {**judge, "reason": None}}
        if not _finite(result.cost_usd):
            record["cost_error"] = "the cost overflowed (not a finite number): check the backend's price"
        self._log().append(_json_safe(record))
        if result.status == "ok" and result.backend:
            self._remember(prompt, result)

    def _remember(self, prompt: Prompt, result: AskResult) -> None:
        """Keep the request's text-free features (and the prompt only under ``audit.log_prompt: raw``)
        in the state db, so ``hrouter feedback ID good|bad`` can label it later. Never fails the ask."""
        from .learn.features import record_from_complexity
        d = result.decision
        try:
            features = record_from_complexity(prompt.text, d.complexity, d.tokens, len(prompt.images))
            self._db().remember_request(result.id, tier=d.sensitivity.tier, backend=result.backend,
                                        zone=result.zone, features=features,
                                        prompt=prompt.text if self.policy.audit.log_prompt == "raw" else None)
        except Exception:  # labels are a convenience: the answer and its audit record stand
            pass


def _restore_all(text: str, mapping: dict[str, str]) -> str:
    """``text`` with every placeholder of ``mapping`` replaced by its original value."""
    from .redact import Restorer
    r = Restorer(mapping)
    return r.feed(text) + r.flush()


def _now() -> str:
    """UTC ISO-8601 with milliseconds and a Z."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def mask_findings(text: str, findings) -> str:
    """``text`` with every finding's span replaced by ``[DETECTOR]`` (for ``audit.log_prompt: true``)."""
    out, pos = [], 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.end <= f.start or f.start < pos:
            continue
        out.append(text[pos:f.start])
        out.append(f"[{f.detector.upper()}]")
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


def _final_error(failures: list[BackendError], order: list[str]) -> BackendError:
    """The error to raise when every permitted backend failed."""
    if not failures:
        return BackendError("no backend was tried")
    for exc in failures:
        if isinstance(exc, BackendAuthError):
            return exc
    last = failures[-1]
    if not last.retryable:
        return last
    tried = "; ".join(str(e) for e in failures)
    if all(isinstance(e, BackendUnavailable) and e.sent is False for e in failures):
        err = BackendUnavailable(f"no permitted backend reachable ({', '.join(order)}): {tried}")
        err.exit_status = ExitStatus.UNREACHABLE
        return err
    return BackendError(f"every permitted backend failed ({', '.join(order)}): {tried}", status=last.status)
