"""Rich views of decisions and summaries, always written to stderr.

Prompt-derived text is passed as :class:`rich.text.Text` (never as markup) so a
prompt containing ``[bold]`` cannot restyle, or hide, anything. Every console is built by
:func:`console`: escape codes only on a terminal, and none at all under ``NO_COLOR`` (set and
not empty): Rich alone drops the colours but keeps bold, dim and the like, so this turns every
style off.
"""

from __future__ import annotations

from collections import Counter

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from .router import Decision

TIER_STYLE = {"public": "green", "internal": "yellow", "confidential": "bold red"}


def no_color() -> bool:
    """Whether ``NO_COLOR`` asks for no colour (set and not empty, as https://no-color.org says)."""
    import os
    return os.environ.get("NO_COLOR", "") != ""


def console(**kwargs) -> Console:
    """A Rich Console with ``kwargs``; under ``NO_COLOR`` it writes no escape codes at all (no
    colour, and no bold, dim, underline or reverse either), even on a terminal."""
    kwargs.setdefault("highlight", False)
    if no_color():
        kwargs["color_system"] = None
    return Console(**kwargs)


def stderr_console() -> Console:
    """A Console on stderr (styles only on a terminal and without NO_COLOR).

    Off a terminal, lines are not wrapped at Rich's default 80 columns (``COLUMNS`` still
    wins), so logs and ``grep`` see one trace step per line.
    """
    import os
    import sys
    width = None
    if not os.environ.get("COLUMNS"):
        try:
            if not os.isatty(sys.stderr.fileno()):
                width = 160
        except (AttributeError, ValueError, OSError):
            width = 160
    return console(stderr=True, emoji=False, soft_wrap=True, width=width)


def stdout_console(width: int = 200) -> Console:
    """A Console on stdout (styles only on a terminal and without NO_COLOR); off a terminal (and
    without ``COLUMNS``) ``width`` columns wide, so table rows do not wrap."""
    import os
    out = console()
    if not out.is_terminal and not os.environ.get("COLUMNS"):
        out = console(width=width)
    return out


def usd(x: float, min_decimals: int = 2) -> str:
    """A USD amount for budgets, never rounded away: 4 decimals (more for amounts under $0.0001:
    4 significant digits), trailing zeros dropped down to ``min_decimals``: ``$0.50``,
    ``$0.005``, ``$0.0154``, ``$1.005``, ``$12.25``, ``$0.00001234``."""
    import math
    if not isinstance(x, (int, float)) or not math.isfinite(x):
        return f"${x}"
    decimals = 4
    if 0 < abs(x) < 0.0001:
        decimals = min(12, 3 - math.floor(math.log10(abs(x))))
    text = f"{x:.{decimals}f}"
    if "." in text:
        head, frac = text.split(".")
        frac = frac.rstrip("0")
        frac = frac + "0" * max(0, min_decimals - len(frac))
        text = head + ("." + frac if frac else "")
    return "$" + text


def _tier(tier: str) -> Text:
    return Text(tier, style=TIER_STYLE.get(tier, ""))


def redaction_label(summary: dict | None) -> str:
    """``redacted (2 values: email, phone)`` for a redaction summary (``{"count", "kinds"}``, as in
    the decision's ``redaction`` and the audit records' ``redacted``); ``""`` for None."""
    if not summary:
        return ""
    n = summary.get("count") or 0
    kinds = ", ".join(summary.get("kinds") or ())
    return f"redacted ({n} value{'s' if n != 1 else ''}" + (f": {kinds})" if kinds else ")")


def route_line(decision: Decision) -> Text:
    """One line: route, tier, complexity vs threshold, rule, fallbacks; a backend that gets only
    the redacted prompt (redact-then-send) is marked ``redacted (N values: kinds)``."""
    t = Text()
    if decision.refused:
        t.append("refused", style="bold red")
        t.append(f": {decision.refusal}")
        return t
    t.append("→ ", style="dim")
    t.append(decision.backend or "", style="bold")
    t.append(f" ({decision.model}, {decision.zone})")
    redacted = {c.name for c in decision.candidates if c.redacted and c.removed_by is None}
    if decision.backend in redacted and decision.redaction:
        t.append(f" {redaction_label(decision.redaction)}", style="yellow")
    t.append("  tier ", style="dim")
    t.append_text(_tier(decision.sensitivity.tier))
    cmp = ">=" if decision.complexity.score >= decision.threshold else "<"
    t.append("  complexity ", style="dim")
    t.append(f"{decision.complexity.score:.2f} {cmp} {decision.threshold:.2f}")
    t.append("  rule ", style="dim")
    t.append(decision.rule)
    if decision.fallbacks:
        t.append("  fallbacks ", style="dim")
        t.append(", ".join(f"{name} (redacted)" if name in redacted else name for name in decision.fallbacks))
    failed = second_opinion_failure(decision)
    if failed:
        t.append(f"  ({failed}; the rules decided)", style="yellow")
    return t


def second_opinion_failure(decision: Decision) -> str | None:
    """``"judge timeout"`` / ``"learned model unavailable"`` when the policy's router asked for a
    second opinion and could not get it (so the rules decided), else None."""
    j = decision.judgement
    if j is None or j.decided_by != "rules":
        return None
    learned = j.outputs.get("learned") or {}
    if "error" in learned:
        return "learned model unavailable"
    judge = j.outputs.get("judge") or {}
    if judge and judge.get("status") not in ("ok", "cached"):
        return f"judge {judge.get('status')}"
    return None


def host_summary(h: dict) -> str:
    """One pool host (:meth:`hrouter.core.HostState.to_json`) in a few words: URL, requests in
    flight, measured p50 TTFT, cooldown."""
    out = f"{h['url']} {h['inflight']} in flight"
    if h.get("server_load") is not None:
        out += f" (server {h['server_load']})"
    if h.get("samples"):
        out += f", TTFT p50 {h['ttft_p50_ms']:.0f} ms ({h['samples']} sample{'s' if h['samples'] != 1 else ''})"
    if h.get("cooldown"):
        out += f", cooling down ({h['cooldown']})"
    return out


def print_route(console: Console, decision: Decision) -> None:
    """The compact decision line ``ask`` shows before the answer."""
    console.print(route_line(decision))


def _judgement_lines(j) -> list[Text]:
    """``Router:`` block of ``explain``: each model's output and which one decided."""
    out = [Text(), Text.assemble(("Router: ", "bold"), f"{j.logic}; decided by ", (j.decided_by, "bold"))]
    rules = j.outputs.get("rules") or {}
    if rules:
        out.append(Text(f"  rules: complexity {rules['score']:.2f} vs threshold {rules['threshold']:.2f}"))
    learned = j.outputs.get("learned")
    if learned:
        out.append(Text(f"  learned: unavailable ({learned['error']})", style="red") if "error" in learned else
                   Text(f"  learned: P(local ok) {learned['p_local_ok']:.2f}; P(local insufficient) "
                        f"{learned['score']:.2f} vs threshold {learned['threshold']:.2f}"))
    judge = j.outputs.get("judge")
    if judge:
        if judge.get("complexity") is None:
            out.append(Text(f"  judge: {judge['status']} after {judge['latency_ms']:.0f} ms ({judge.get('detail')})",
                            style="red"))
        else:
            out.append(Text(f"  judge ({judge['status']}, {judge['latency_ms']:.0f} ms): complexity "
                            f"{judge['complexity']:.2f}, needs_cloud {str(judge['needs_cloud']).lower()}, "
                            f"tier {judge['tier']} (effective {judge['effective_tier']})"))
    for note in j.notes:
        if note.startswith("cascade"):
            out.append(Text(f"  {note}", style="dim"))
    return out


def explain_view(decision: Decision, formula: str | None = None) -> Group:
    """The full ``explain`` view: route, sensitivity findings, complexity breakdown,
    considerations (tokens, cost, budget, latency, capacity), candidates and the trace."""
    parts = []
    head = Text()
    head.append("Route: ", style="bold")
    head.append_text(route_line(decision))
    parts.append(head)

    # sensitivity
    sens = decision.sensitivity
    st = Text("Sensitivity: ", style="bold")
    st.append_text(_tier(sens.tier))
    st.append(f"  ({len(sens.findings)} finding{'s' if len(sens.findings) != 1 else ''})", style="dim")
    parts.append(Text())
    parts.append(st)
    if sens.findings:
        ft = Table(show_edge=False, pad_edge=False, box=None, header_style="dim")
        for col in ("detector", "tier", "position", "masked", "evidence"):
            ft.add_column(col)
        for f in sens.findings:
            evidence = "; ".join(x for x in (f.verdict, f"context '{f.context}'" if f.context else "") if x)
            ft.add_row(Text(f.detector), _tier(f.tier), Text(f"{f.start}-{f.end}"), Text(f.masked),
                       Text(evidence, style="dim"))
        parts.append(ft)
    for err in sens.errors:
        parts.append(Text(f"  detector error (failed closed): {err}", style="red"))

    # complexity
    comp = decision.complexity
    cmp = ">=" if comp.score >= decision.threshold else "<"
    parts.append(Text())
    parts.append(Text.assemble(("Complexity: ", "bold"), f"{comp.score:.2f} {cmp} threshold {decision.threshold:.2f}"))
    ct = Table(show_edge=False, pad_edge=False, box=None, header_style="dim")
    for col, just in (("component", "left"), ("value", "right"), ("weight", "right"), ("detail", "left")):
        ct.add_column(col, justify=just)
    for name, c in comp.components.items():
        ct.add_row(Text(name), Text(f"{c.value:.2f}"), Text(f"{c.weight:.2f}"), Text(c.detail or "", style="dim"))
    parts.append(ct)
    if formula:
        parts.append(Text(f"  score = {formula}", style="dim"))
    if decision.judgement is not None:
        parts.extend(_judgement_lines(decision.judgement))

    # considerations
    cons = decision.considerations
    parts.append(Text())
    parts.append(Text("Considerations:", style="bold"))
    lines = [f"tokens (estimated input): {decision.tokens}"]
    b = cons.get("budget") or {}
    if b:
        per = b.get("per_request_usd")
        lines.append("budget: per request " + (usd(per) if per is not None else "none")
                     + "; session " + (usd(b["session_usd"]) if b.get("session_usd") is not None else "none")
                     + (f" ({b.get('session')})" if b.get("session") else ""))
    lat = cons.get("latency") or {}
    if lat:
        sla = lat.get("sla_ms")
        lines.append("latency: SLA " + (f"{sla:g} ms" if sla is not None else "none") + "; expected TTFT "
                     + ", ".join(f"{k} {v:.0f} ms" for k, v in (lat.get("expected_ttft_ms") or {}).items()))
    cap = cons.get("capacity") or {}
    if cap:
        inflight = cap.get("inflight")
        lines.append("capacity: in flight / max " + ", ".join(
            f"{k} {'?' if inflight is None else inflight.get(k, 0)}/{v if v is not None else '∞'}"
            for k, v in (cap.get("max_inflight") or {}).items()))
        for name, why in (cap.get("cooldowns") or {}).items():
            lines.append(f"cooldown: {name}: {why}")
    for name, hosts in (cons.get("pools") or {}).items():
        lines.append(f"pool {name} (hosts in the order they would be tried): "
                     + "; ".join(host_summary(h) for h in hosts))
    if b.get("session_spent_usd") is not None:
        lines.append(f"session spend: {usd(b['session_spent_usd'], 4)}"
                     + (f" ({b['session_share']:.0%} of the session budget)" if b.get("session_share") is not None else ""))
    for line in lines:
        parts.append(Text("  " + line))

    # candidates
    parts.append(Text())
    parts.append(Text("Candidates:", style="bold"))
    cand = Table(show_edge=False, pad_edge=False, box=None, header_style="dim")
    for col, just in (("backend", "left"), ("zone", "left"), ("cap.", "right"), ("est. cost", "right"),
                      ("TTFT", "right"), ("status", "left")):
        cand.add_column(col, justify=just)
    for c in decision.candidates:
        if c.name == decision.backend:
            status = Text("route", style="bold green")
        elif c.name in decision.fallbacks:
            status = Text(f"fallback {decision.fallbacks.index(c.name) + 1}")
        else:
            status = Text(f"removed: {c.reason}", style="dim")
        if c.redacted and c.removed_by is None:
            status.append(", redacted")
        cand.add_row(Text(c.name), Text(c.zone), Text(str(c.capability)), Text(f"${c.estimated_cost_usd:.4f}"),
                     Text(f"{c.expected_ttft_ms:.0f} ms"), status)
    parts.append(cand)

    # trace
    parts.append(Text())
    parts.append(Text("Trace:", style="bold"))
    for i, step in enumerate(decision.trace, 1):
        parts.append(Text(f"  {i:>2}. {step}"))
    return Group(*parts)


def jsonl_summary(backends: Counter, tiers: Counter, rules: Counter, total: int, errors: int) -> Group:
    """Summary table for ``explain --jsonl``: decisions per backend, tier and rule."""
    parts = [Text(f"{total} prompt{'s' if total != 1 else ''} explained"
                  + (f", {errors} bad line{'s' if errors != 1 else ''} skipped" if errors else ""), style="bold")]
    for title, counts in (("backend", backends), ("tier", tiers), ("rule", rules)):
        t = Table(show_edge=False, box=None, header_style="dim", pad_edge=False)
        t.add_column(title)
        t.add_column("count", justify="right")
        t.add_column("share", justify="right")
        for key, n in counts.most_common():
            t.add_row(Text(str(key)), str(n), f"{n / total:.0%}" if total else "-")
        parts.append(t)
    return Group(*parts)


def agreement_summary(agreements) -> Group:
    """Agreement with the labels of an ``explain --jsonl`` run: per family (route, sensitivity) the
    share agreed, per-class precision/recall and the confusion table (rows expected, columns
    predicted). ``agreements``: :class:`hrouter.agreement.Agreement` objects with labels."""
    def pct(x):
        return "-" if x is None else f"{x:.1%}"

    parts = []
    for a in agreements:
        parts.append(Text(f"{a.family}: {a.agreed}/{a.total} agree ({pct(a.accuracy)})", style="bold"))
        t = Table(show_edge=False, box=None, header_style="dim", pad_edge=False)
        for col, justify in (("class", "left"), ("precision", "right"), ("recall", "right"), ("n", "right")):
            t.add_column(col, justify=justify)
        for sc in a.scores():
            t.add_row(sc.label, pct(sc.precision), pct(sc.recall), str(sc.support))
        parts.append(t)
        classes, matrix = a.confusion()
        c = Table(show_edge=False, box=None, header_style="dim", pad_edge=False, title_justify="left")
        c.add_column("expected \\ predicted")
        for cls in classes:
            c.add_column(cls, justify="right")
        for cls, row in zip(classes, matrix):
            c.add_row(cls, *(str(v) for v in row))
        parts.append(c)
    return Group(*parts)

