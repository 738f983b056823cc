"""The ``hrouter`` command: a thin Typer layer over :mod:`hrouter.core`.

Parse, call the core, render on stderr, write only the answer (or requested
JSON) on stdout, and map errors to exit codes in one place: :func:`main`.
"""

from __future__ import annotations

import os
import sys
from typing import List, Optional

import typer

from . import __version__
from .errors import ExitStatus, HrouterError, InputError

USAGE_EXAMPLES = ('usage: hrouter ask "What is the capital of France?"\n'
                  '       cat notes.txt | hrouter ask "Summarize this"\n'
                  '       hrouter ask -f notes.txt "Summarize"')

app = typer.Typer(
    name="hrouter",
    help="A hybrid LLM router: each prompt is tagged for sensitivity, scored for complexity and sent "
         "to a local (Ollama) or cloud (Anthropic) model under a YAML policy.",
    no_args_is_help=True,
    epilog=("Examples: hrouter ask \"What is the capital of France?\" · "
            "hrouter explain \"Summarize the contract for SSN 123-45-6789\" · "
            "hrouter explain --jsonl < prompts.txt · hrouter policy show · hrouter doctor · hrouter log --since 2h · "
            "hrouter stats --by hour · hrouter budget · hrouter audit verify. "
            "`hrouter COMMAND --help` shows each command's own examples."),
    add_completion=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
policy_app = typer.Typer(help="Check and print policies.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(policy_app, name="policy")
audit_app = typer.Typer(help="Verify, query and match the audit log.", no_args_is_help=True, rich_markup_mode=None)
app.add_typer(audit_app, name="audit")

_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        print(f"hrouter {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors (or set HROUTER_DEBUG=1)."),
) -> None:
    """hrouter: route each prompt to the right model, and say why.

    \b
    Examples:
      hrouter ask "What is the capital of France?"
      hrouter explain "Summarize the contract for SSN 123-45-6789"
      hrouter explain --jsonl < prompts.txt > decisions.jsonl
      hrouter policy show
    """
    if debug:
        _state["debug"] = True


# --------------------------------------------------------------------------- shared options

PromptArg = typer.Argument(None, metavar="PROMPT", show_default=False,
                           help="Prompt text (words are joined); - reads stdin; put -- before text that starts with '-'.")
PolicyOpt = typer.Option(None, "--policy", "-p", metavar="PATH",
                         help="Policy file (default: $HROUTER_POLICY, ./hrouter.yaml, the config dir, the built-in).")
FilesOpt = typer.Option(None, "--file", "-f", metavar="PATH",
                        help="Read prompt text (or an image: PNG/JPEG/GIF/WebP) from a file; repeatable; - for stdin.")
SystemOpt = typer.Option(None, "--system", "-s", metavar="TEXT", help="System prompt (scanned for sensitive data too).")
NoStdinOpt = typer.Option(False, "--no-stdin", help="Do not read piped stdin.")
BackendOpt = typer.Option(None, "--backend", "-b", metavar="NAME",
                          help="Force a backend (refused, exit 3, when the prompt's tier forbids its zone).")
SlaOpt = typer.Option(None, "--sla", metavar="MS", min=1, max=86_400_000, help="Required time to first token, ms (overrides latency.sla_ms).")
SessionOpt = typer.Option(None, "--session", metavar="NAME",
                          help="Session name recorded in the audit log (default: $HROUTER_SESSION or <user>-<date>).")
ExplainSessionOpt = typer.Option(None, "--session", metavar="NAME",
                                 help="Session whose spend the budget rules weigh (default: $HROUTER_SESSION or "
                                      "<user>-<date>); explain records nothing.")
BudgetSessionOpt = typer.Option(None, "--session", metavar="NAME",
                                help="Session to show (default: $HROUTER_SESSION or <user>-<date>).")
LogSessionOpt = typer.Option(None, "--session", metavar="NAME", help="Only records of this session (default: all).")
MaxTokensOpt = typer.Option(None, "--max-tokens", metavar="N", min=1, max=1_000_000, help="Cap on the answer's length, tokens (overrides the backend's max_tokens).")


def _load(policy_path: Optional[str]):
    """Load the policy; its warnings (e.g. a public host declared zone local) go to stderr."""
    from .policy import load_policy
    pol = load_policy(policy_path)
    for warning in pol.warnings:
        sys.stderr.write(f"hrouter: warning: {warning}\n")
    return pol


def _read_prompt(words: Optional[List[str]], files: Optional[List[str]], system: Optional[str], no_stdin: bool,
                 command: str = "ask"):
    from .prompt import assemble_prompt, stdin_is_interactive
    words, files = list(words or []), list(files or [])
    stdin = sys.stdin.buffer if sys.stdin is not None else None
    explicit = "-" in words or "-" in files
    if no_stdin and explicit:
        raise InputError("--no-stdin contradicts '-' (read stdin)")
    read_stdin = explicit or (not no_stdin and stdin is not None and not stdin_is_interactive(sys.stdin))
    try:
        return assemble_prompt(words, files, stdin=stdin, read_stdin=read_stdin, system=system)
    except InputError as exc:
        if str(exc) == "no prompt given":
            err = InputError("no prompt given (pass text, -f FILE, or pipe stdin)")
            err.hint = USAGE_EXAMPLES.replace("hrouter ask", f"hrouter {command}")
            raise err from None
        raise


def _context(backend, sla, max_tokens, session):
    import math
    from .core import session_name
    from .router import RouteContext
    if sla is not None and not (math.isfinite(sla) and 1 <= sla <= 86_400_000):  # as latency.sla_ms
        raise InputError(f"--sla must be a number of ms from 1 to 86400000 (24 h), got {sla:g}")
    return RouteContext(forced_backend=backend, sla_ms=sla, max_tokens=max_tokens, session=session_name(session))


def _stdout_console(width: int = 200):
    """A Rich console on stdout; off a terminal (and without COLUMNS) wide enough not to wrap rows;
    no escape codes at all under NO_COLOR (:func:`hrouter.render.stdout_console`)."""
    from .render import stdout_console
    return stdout_console(width)


def _print_json(obj) -> None:
    import json
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=None) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------- ask

@app.command(short_help="Route a prompt and stream the answer to stdout.")
def ask(
    prompt: Optional[List[str]] = PromptArg,
    files: Optional[List[str]] = FilesOpt,
    system: Optional[str] = SystemOpt,
    no_stdin: bool = NoStdinOpt,
    no_stream: bool = typer.Option(False, "--no-stream", help="Wait for the whole answer, then print it."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object (completion, decision, usage) on stdout."),
    backend: Optional[str] = BackendOpt,
    sla: Optional[float] = SlaOpt,
    max_tokens: Optional[int] = MaxTokensOpt,
    session: Optional[str] = SessionOpt,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Do not show the decision line on stderr."),
    policy: Optional[str] = PolicyOpt,
) -> None:
    """Route a prompt and stream the answer to stdout.

    \b
    Piped stdin comes first, then -f files, then the argument, joined by a blank line.
    Examples:
      hrouter ask "What is the capital of France?"
      cat notes.txt | hrouter ask "Summarize this"
      hrouter ask -f notes.txt -s "Answer in French" "Summarize"
      hrouter ask --json --no-stream "hi" | jq .usage
    """
    from .core import Router
    from .render import print_route, stderr_console

    pol = _load(policy)
    p = _read_prompt(prompt, files, system, no_stdin)
    ctx = _context(backend, sla, max_tokens, session)
    router = Router(pol, probe_load=True)
    err = stderr_console()
    seen = {"redacted": frozenset()}  # backends that get only the redacted copy (redact-then-send)

    def on_decision(decision) -> None:
        seen["redacted"] = frozenset(c.name for c in decision.candidates if c.redacted and c.removed_by is None)
        if not quiet and not decision.refused:  # a refusal is reported once, by the error boundary
            print_route(err, decision)

    stream_out = not (no_stream or as_json)
    spinner = {"status": None}
    interactive = err.is_terminal

    def start_spinner(name: str) -> None:
        if interactive:
            spinner["status"] = err.status(f"waiting for {name}…", spinner="dots")
            spinner["status"].start()

    def stop_spinner() -> None:
        if spinner["status"] is not None:
            spinner["status"].stop()
            spinner["status"] = None

    wrote = {"last": ""}

    def on_chunk(chunk: str) -> None:
        stop_spinner()
        if stream_out:
            sys.stdout.write(chunk)
            sys.stdout.flush()
            wrote["last"] = chunk

    def on_attempt(name, previous) -> None:
        stop_spinner()
        if previous is not None:
            from rich.text import Text
            nxt = ("trying its next host" if previous.host and previous.backend == name
                   else f"falling back to {name}" + (" (redacted)" if name in seen["redacted"] else ""))
            err.print(Text(f"{previous.backend} unavailable ({previous.error}); {nxt}", style="yellow"))
        start_spinner(name)

    try:
        def on_notice(text: str) -> None:
            from rich.text import Text
            err.print(Text(f"hrouter: warning: {text}", style="yellow"))

        # without streaming nothing is printed before the end, so a backend that fails mid-answer
        # can still fall back (on_chunk marks what reached stdout)
        result = router.ask(p, ctx, on_chunk=on_chunk if stream_out else None, on_attempt=on_attempt,
                            on_decision=on_decision,
                            on_notice=on_notice)
    finally:
        stop_spinner()
        router.close()
        if stream_out and wrote["last"] and not wrote["last"].endswith("\n"):
            sys.stdout.write("\n")
            sys.stdout.flush()
    if as_json:
        _print_json(result.to_json())
    elif not stream_out:
        text = result.completion
        sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
        sys.stdout.flush()
    if not quiet:
        from rich.text import Text
        served = result.backend if result.backend == result.decision.backend else f"{result.backend} (fallback)"
        if result.host:
            served += f" @ {result.host}"
        err.print(Text(f"{served} · {result.input_tokens} in / {result.output_tokens} out tokens · "
                       f"${result.cost_usd:.4f} · TTFT {result.ttft_ms or 0:.0f} ms · {result.latency_ms or 0:.0f} ms",
                       style="dim"))


# --------------------------------------------------------------------------- explain

@app.command(short_help="Show how a prompt would be routed, and why; no answer is generated.")
def explain(
    prompt: Optional[List[str]] = PromptArg,
    files: Optional[List[str]] = FilesOpt,
    system: Optional[str] = SystemOpt,
    no_stdin: bool = NoStdinOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the decision as one JSON object on stdout."),
    jsonl: bool = typer.Option(False, "--jsonl", help="Read one prompt per stdin line (text, or JSON with a 'prompt' key); "
                                                     "write one JSON decision per line; summary on stderr."),
    backend: Optional[str] = BackendOpt,
    sla: Optional[float] = SlaOpt,
    max_tokens: Optional[int] = MaxTokensOpt,
    session: Optional[str] = ExplainSessionOpt,
    policy: Optional[str] = PolicyOpt,
) -> None:
    """Show how a prompt would be routed, and why, without calling a model for an answer
    (a `router: judge` policy asks its local judge model, as `ask` would).

    \b
    Exit status 3 when the policy would refuse the prompt.
    Examples:
      hrouter explain "Compare transformers and SSMs step by step"
      hrouter explain --json "Summarize the contract for SSN 123-45-6789" | jq .rule
      hrouter explain --jsonl < prompts.txt > decisions.jsonl
    """
    from .core import Router

    pol = _load(policy)
    router = Router(pol, audit=False)
    ctx = _context(backend, sla, max_tokens, session)
    if jsonl:
        if prompt or files:
            raise InputError("--jsonl reads prompts from stdin, one per line; give no PROMPT or -f")
        if as_json:
            raise InputError("--json and --jsonl exclude each other (--jsonl already writes JSON, a line per prompt)")
        raise typer.Exit(_explain_jsonl(router, ctx, system))
    p = _read_prompt(prompt, files, system, no_stdin, "explain")
    decision = router.decide(p, ctx)
    if as_json:
        _print_json(decision.to_json())
    else:
        from .render import explain_view, stderr_console
        from .signals import complexity
        stderr_console().print(explain_view(decision, getattr(complexity, "FORMULA", None)))
    if decision.refused:
        raise typer.Exit(int(ExitStatus.REFUSED))


def _lines(stream, limit: int):
    """Yield each line of a binary stream (without reading more than ``limit`` bytes of one line
    into memory); a longer line yields None once and is skipped."""
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # drain the rest of the oversized line
                line = stream.readline(1 << 20)
            yield None
            continue
        yield line


def _explain_jsonl(router, ctx, system: Optional[str]) -> int:
    import json
    from collections import Counter
    from .prompt import Prompt
    from .agreement import Agreement, LabelError, labels_of, predicted_of
    from .render import agreement_summary, jsonl_summary, stderr_console

    import gc
    gc.enable()  # a long corpus run: let the cyclic collector work (main() disables it for short runs)
    err = stderr_console()
    if sys.stdin is None or (sys.stdin.isatty()):
        raise InputError("--jsonl reads prompts from stdin: hrouter explain --jsonl < prompts.txt")
    backends, tiers, rules = Counter(), Counter(), Counter()
    total = bad = 0
    agreements = {family: Agreement(family) for family in ("route", "sensitivity")}
    from .prompt import MAX_PROMPT_BYTES

    def reject(constant: str):
        raise ValueError(f"{constant} is not valid JSON")

    def finite_float(text: str) -> float:  # 1e400 would parse as inf and be echoed as Infinity
        value = float(text)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"number {text} is out of range")
        return value

    def unicode_ok(value) -> bool:  # JSON's "\ud800" escapes give lone surrogates: not text
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True

    for n, raw in enumerate(_lines(sys.stdin.buffer, MAX_PROMPT_BYTES), 1):
        if raw is None:
            err.print(f"hrouter: stdin:{n}: line longer than {MAX_PROMPT_BYTES // (1024 * 1024)} MiB, skipped",
                      markup=False)
            bad += 1
            continue
        try:
            line = raw.decode("utf-8-sig" if n == 1 else "utf-8").strip()
        except UnicodeDecodeError as exc:
            err.print(f"hrouter: stdin:{n}: not valid UTF-8 (byte {exc.start} of the line)", markup=False)
            bad += 1
            continue
        if not line:
            continue
        extra, labels = {}, {}
        if line.startswith("{"):
            try:
                obj = json.loads(line, parse_constant=reject, parse_float=finite_float)
            except ValueError as exc:
                err.print(f"hrouter: stdin:{n}: invalid JSON ({getattr(exc, 'msg', exc)})", markup=False)
                bad += 1
                continue
            except RecursionError:
                err.print(f"hrouter: stdin:{n}: invalid JSON (nested too deeply)", markup=False)
                bad += 1
                continue
            text = obj.get("prompt") if isinstance(obj, dict) else None
            line_system = obj.get("system", system) if isinstance(obj, dict) else system
            if not isinstance(text, str) or not text.strip() or "\x00" in text:
                err.print(f"hrouter: stdin:{n}: JSON line needs a non-empty 'prompt' string", markup=False)
                bad += 1
                continue
            if line_system is not None and not isinstance(line_system, str):
                err.print(f"hrouter: stdin:{n}: 'system' must be a string", markup=False)
                bad += 1
                continue
            field = next((k for k, v in (("prompt", text), ("system", line_system))
                          if v is not None and not unicode_ok(v)), None)
            if field:
                err.print(f"hrouter: stdin:{n}: '{field}' holds a lone surrogate (\\ud800-\\udfff): "
                          "not valid Unicode text", markup=False)
                bad += 1
                continue
            if "id" in obj:
                try:  # echoed as given: it must be valid JSON text (no lone surrogate in a string)
                    json.dumps(obj["id"], ensure_ascii=False, allow_nan=False).encode("utf-8")
                except (ValueError, RecursionError):
                    err.print(f"hrouter: stdin:{n}: 'id' holds a lone surrogate (\\ud800-\\udfff): "
                              "not valid Unicode text", markup=False)
                    bad += 1
                    continue
                extra["id"] = obj["id"]
            try:
                labels = labels_of(obj)
            except LabelError as exc:
                err.print(f"hrouter: stdin:{n}: {exc}", markup=False)
                bad += 1
                continue
        else:
            text, line_system = line, system
        if "\x00" in text:
            err.print(f"hrouter: stdin:{n}: contains NUL bytes", markup=False)
            bad += 1
            continue
        decision = router.decide(Prompt(text=text, system=line_system), ctx)
        out = {"line": n, **extra, **decision.to_json()}
        if labels:
            predicted = predicted_of(out)
            out["labels"] = {family: {"expected": expected, "predicted": predicted[family],
                                      "agree": expected == predicted[family]}
                             for family, expected in labels.items()}
        try:  # strict JSON, always (the checks above should leave nothing for this to catch)
            text_out = json.dumps(out, ensure_ascii=False, allow_nan=False)
            text_out.encode("utf-8")
        except (ValueError, RecursionError):
            err.print(f"hrouter: stdin:{n}: the decision could not be written as JSON; line skipped", markup=False)
            bad += 1
            continue
        for family, expected in labels.items():
            agreements[family].add(expected, out["labels"][family]["predicted"])
        sys.stdout.write(text_out + "\n")
        total += 1
        backends[decision.backend or "(refused)"] += 1
        tiers[decision.sensitivity.tier] += 1
        rules[decision.rule] += 1
    sys.stdout.flush()
    err.print(jsonl_summary(backends, tiers, rules, total, bad))
    if any(a.total for a in agreements.values()):
        err.print(agreement_summary([a for a in agreements.values() if a.total]))
    return int(ExitStatus.USAGE) if bad else 0


# --------------------------------------------------------------------------- policy

@policy_app.command("validate", short_help="Check a policy file strictly.")
def policy_validate(
    path: Optional[str] = typer.Argument(None, metavar="PATH", show_default=False,
                                         help="Policy file (default: the one discovery finds)."),
    policy: Optional[str] = PolicyOpt,
) -> None:
    """Check a policy file strictly; print a one-line summary, or the error with file:line (exit 2).

    \b
    Examples:
      hrouter policy validate ./hrouter.yaml
      hrouter policy validate          # the policy hrouter would use here
    """
    from .policy import check_learned_model, discover_policy_path
    if path and policy and path != policy:
        raise InputError(f"give the policy once: PATH {path!r} or --policy {policy!r}, not both")
    target = path or policy
    chosen = discover_policy_path(target)
    pol = _load(target)
    check_learned_model(pol)
    names = ", ".join(f"{n} ({b.kind}, {b.zone})" for n, b in pol.backends.items())
    print(f"ok: {chosen or '<built-in default>'}: {len(pol.backends)} backend(s): {names}")


@policy_app.command("show", short_help="Print the effective policy, defaults filled in.")
def policy_show(
    policy: Optional[str] = PolicyOpt,
    as_json: bool = typer.Option(False, "--json", help="JSON instead of YAML."),
) -> None:
    """Print the effective policy, every default filled in, and where it came from.

    \b
    Examples:
      hrouter policy show
      hrouter policy show --policy policies/examples/strict.yaml --json
    """
    from .audit import default_key_path, resolve_log_path
    from .policy import load_policy, policy_to_dict
    pol = load_policy(policy)
    data = policy_to_dict(pol)
    log_path = resolve_log_path(pol.audit.path)
    key_path = default_key_path()
    if as_json:
        _print_json({"source": pol.source, "digest": pol.digest, "audit_log": str(log_path),
                     "audit_key": str(key_path), "policy": data})
        return
    import yaml
    sys.stdout.write(f"# source: {pol.source}\n# digest (sha256 of the file): {pol.digest}\n"
                     f"# audit log: {log_path}\n# audit HMAC key: {key_path}\n")
    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


# --------------------------------------------------------------------------- doctor, backends

@app.command("doctor", short_help="Check backends, credentials, the policy and the audit/state paths.")
def doctor_cmd(
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    policy: Optional[str] = PolicyOpt,
) -> None:
    """Check every backend (reachable, model present, credentials), the policy and the paths.

    \b
    Exit 1 when a required check fails: the policy, the audit log, the state db, or a backend
    that is the only one permitted for some tier (e.g. the local model for confidential prompts).
    Examples:
      hrouter doctor
      hrouter doctor --json | jq '.checks[] | select(.ok | not)'
    """
    from .doctor import run_checks
    checks = run_checks(_load(policy))
    failed = [c for c in checks if not c.ok and c.required]
    if as_json:
        _print_json({"ok": not failed, "checks": [c.to_json() for c in checks]})
    else:
        from rich.table import Table
        from rich.text import Text
        table = Table(box=None, header_style="bold", pad_edge=False)
        for col in ("", "check", "detail"):
            table.add_column(col)
        for c in checks:
            mark = Text("ok", style="green") if c.ok else Text("FAIL" if c.required else "warn",
                                                                style="bold red" if c.required else "yellow")
            table.add_row(mark, Text(c.name), Text(c.detail))
        out = _stdout_console(200)
        out.print(table)
    if failed:
        raise typer.Exit(1)


@app.command("backends", short_help="List backends: zone, price, measured TTFT, load.")
def backends_cmd(
    as_json: bool = typer.Option(False, "--json", help="JSON lines on stdout."),
    policy: Optional[str] = PolicyOpt,
) -> None:
    """List the configured backends with zone, price, capability, measured p50 TTFT (or the
    policy's prior), requests in flight across processes and any cooldown; a pool's hosts
    follow its line, each with its own in-flight count, p50 TTFT and cooldown. Calls no backend.

    \b
    Example:
      hrouter backends
    """
    from .core import Router
    from .router import RouteContext
    pol = _load(policy)
    router = Router(pol, audit=False)
    ctx = router.with_state(RouteContext())
    rows = []
    for name, b in pol.backends.items():
        measured = ctx.measured_ttft_ms.get(name)
        hosts = router.pools.get(name)
        rows.append({"name": name, "kind": b.kind, "model": b.model, "zone": b.zone,
                     "price": {"input_per_mtok": b.price.input_per_mtok, "output_per_mtok": b.price.output_per_mtok},
                     "capability": b.capability,
                     "ttft_ms": round(measured[0], 1) if measured else b.ttft_ms, "ttft_measured": bool(measured),
                     "samples": measured[1] if measured else 0,
                     "inflight": sum(h.inflight for h in hosts) if hosts else (ctx.inflight or {}).get(name),
                     "max_inflight": b.max_inflight,
                     "cooldown": ctx.cooldowns.get(name)})
        if hosts:  # a pool: max_inflight is per host
            rows[-1]["hosts"] = [h.to_json() for h in hosts]
    if as_json:
        for row in rows:
            _print_json(row)
        return
    from rich.table import Table
    from rich.text import Text
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col in ("backend", "kind", "model", "zone", "USD in/out per Mtok", "cap.", "TTFT p50", "in flight", "cooldown"):
        table.add_column(col)
    for r in rows:
        ttft = f"{r['ttft_ms']:.0f} ms" + (f" ({r['samples']} sample{'s' if r['samples'] != 1 else ''})" if r["ttft_measured"] else " (prior)")
        cap = r["max_inflight"] * len(r["hosts"]) if r.get("hosts") and r["max_inflight"] else r["max_inflight"]
        load = "-" if r["inflight"] is None else f"{r['inflight']}/{cap or '∞'}"
        table.add_row(Text(r["name"]), r["kind"], Text(r["model"]), r["zone"],
                      f"{r['price']['input_per_mtok']:g}/{r['price']['output_per_mtok']:g}", str(r["capability"]),
                      ttft, load, Text(r["cooldown"] or ""))
        for h in r.get("hosts") or ():
            hs = f"{h['ttft_p50_ms']:.0f} ms ({h['samples']} sample{'s' if h['samples'] != 1 else ''})" if h["samples"] else "-"
            table.add_row(Text(f"  {h['url']}", style="dim"), "", "", "", "", "", hs,
                          f"{h['inflight']}/{r['max_inflight'] or '∞'}", Text(h["cooldown"] or ""))
    out = _stdout_console(200)
    out.print(table)


# --------------------------------------------------------------------------- budget

budget_app = typer.Typer(help="Show or reset a session's spend.", rich_markup_mode=None, invoke_without_command=True)
app.add_typer(budget_app, name="budget")


@budget_app.callback()
def budget_show(
    ctx: typer.Context,
    session: Optional[str] = BudgetSessionOpt,
    as_json: bool = typer.Option(False, "--json", help="One JSON object on stdout."),
    policy: Optional[str] = PolicyOpt,
) -> None:
    """Show a session's spend: spent, reserved (calls in flight), remaining, and the window.

    \b
    Examples:
      hrouter budget
      hrouter budget --session nightly-batch --json
      hrouter budget reset --session nightly-batch
    """
    if ctx.invoked_subcommand is not None:
        return
    from datetime import datetime, timezone
    from .core import session_name
    from .state import StateDB
    pol = _load(policy)
    name = session_name(session)
    hours = pol.budget.window_hours
    with StateDB.open_default() as db:
        sp = db.session_spend(name, window_s=hours * 3600 if hours else None)
    ceiling = pol.budget.session_usd
    data = {"session": name, "spent_usd": round(sp.spent_usd, 6), "reserved_usd": round(sp.reserved_usd, 6),
            "ceiling_usd": ceiling, "remaining_usd": None if ceiling is None else round(sp.remaining_usd(ceiling), 6),
            "share": None if ceiling is None else round(sp.share(ceiling), 4), "downgrade_at": pol.budget.downgrade_at,
            "window_hours": hours, "entries": sp.entries, "in_flight_reservations": sp.reservations}
    if as_json:
        _print_json(data)
        return
    from .render import usd
    window = f"the last {hours:g} h" if hours else "the whole session"
    lines = [f"session   {name}", f"spent     {usd(sp.spent_usd, 4)} ({sp.entries} call(s), {window})",
             f"reserved  {usd(sp.reserved_usd, 4)} ({sp.reservations} call(s) in flight)"]
    if ceiling is None:
        lines.append("ceiling   none (budget.session_usd is not set)")
    else:
        lines.append(f"ceiling   {usd(ceiling)}; remaining {usd(sp.remaining_usd(ceiling), 4)} "
                     f"({sp.share(ceiling):.0%} used; cheaper routing from {pol.budget.downgrade_at:.0%})")
    if sp.frees_at:
        when = datetime.fromtimestamp(sp.frees_at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        lines.append(f"window    the oldest spend leaves the window at {when}")
    print("\n".join(lines))


@budget_app.command("reset", short_help="Clear a session's recorded spend.")
def budget_reset(
    session: str = typer.Option(..., "--session", metavar="NAME", help="The session to clear (required)."),
    policy: Optional[str] = PolicyOpt,
) -> None:
    """Clear a session's spend ledger (reservations of running calls stay).

    \b
    Example:
      hrouter budget reset --session nightly-batch
    """
    from .state import StateDB
    with StateDB.open_default() as db:
        n = db.reset_session(session)
    print(f"cleared {n} spend entr{'y' if n == 1 else 'ies'} of session {session}")


# --------------------------------------------------------------------------- audit

def _audit_log(policy: Optional[str]):
    from .audit import AuditLog, resolve_log_path
    pol = _load(policy)
    return AuditLog(resolve_log_path(pol.audit.path))


@audit_app.command("verify", short_help="Check the audit log's hash chain; exit 1 on any break.")
def audit_verify(
    path: Optional[str] = typer.Argument(None, metavar="PATH", show_default=False,
                                         help="Log file (default: the policy's log, all rotated files too)."),
    policy: Optional[str] = PolicyOpt,
) -> None:
    """Walk the audit log and report the first broken, reordered, inserted or missing record.

    \b
    Needs no key. Exit 0 when every chain verifies, 1 otherwise. A PATH other than the
    policy's log (e.g. a copy on write-once storage) may come without its head file: a note.
    Examples:
      hrouter audit verify
      hrouter audit verify ~/.local/state/hrouter/audit-20261129T120000000000Z.jsonl
    """
    from pathlib import Path
    from .audit import verify, verify_files
    if path is not None:
        if not path:
            raise InputError("audit verify: PATH is empty: give an audit log file, or no PATH for the policy's log")
        if Path(path).is_dir():
            raise InputError(f"{path}: is a directory, expected an audit log file "
                             "(e.g. audit.jsonl; with no PATH, the policy's log and its rotated files)")
        if not Path(path).exists():
            raise InputError(f"{path}: no such audit log")
        if not Path(path).is_file():
            raise InputError(f"{path}: not a regular file, expected an audit log file")
    log = None if path else _audit_log(policy)
    files = [Path(path)] if path else log.files()
    live = None
    if path:  # the policy's own log, named by path, keeps its head: a missing one is a break there
        from .audit import resolve_log_path
        from .policy import load_policy
        try:
            live = resolve_log_path(load_policy(policy).audit.path).resolve()
        except (HrouterError, OSError, RuntimeError):
            live = None
    total, broken = 0, 0
    if log is not None:
        for problem in verify_files(log):
            print(_printable(f"{log.path}: {problem}"))
            broken += 1
    for f in files:
        notes: list = []
        count, problems = verify(f, notes=notes, head_expected=not path or f.resolve() == live)
        total += count
        for problem in problems:
            print(_printable(f"{f}: {problem}"))  # audit_break, prev_file: text from the file, escaped
        for note in notes:
            print(_printable(f"{f}: note: {note}"))
        broken += bool(problems)
    if broken:
        print(f"BROKEN: {broken} problem file(s) of {len(files)} ({total} records read)")
        raise typer.Exit(1)
    print(f"ok: {total} record(s) in {len(files)} file(s); the hash chain verifies")


def _parse_when(value: Optional[str], name: str):
    """``2h``, ``30m``, ``7d``, ``90s`` ago, or an ISO-8601 time (UTC when no zone) -> aware datetime."""
    from datetime import datetime, timedelta, timezone
    if value is None:
        return None
    import re
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", value)
    if m:
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[m.group(2)]
        try:
            return datetime.now(timezone.utc) - timedelta(**{unit: float(m.group(1))})
        except OverflowError:
            return datetime.min.replace(tzinfo=timezone.utc)  # further back than any record
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{name} {value!r}: use a duration like 2h, 30m, 7d or an ISO-8601 time") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _window(since: Optional[str], until: Optional[str], default_since: bool = False):
    """``(lo, hi)``: ``--since`` and ``--until`` as aware datetimes (None when not given); a
    usage error when ``--since`` is later than ``--until`` (no record could match)."""
    lo, hi = _parse_when(since, "--since"), _parse_when(until, "--until")
    if lo is not None and hi is not None and lo > hi:
        raise InputError(f"--since {since}{' (the default)' if default_since else ''} is later than --until "
                         f"{until}: no record can match; give a --since before the --until")
    return lo, hi


def _request_view(log):
    """Yield the request records in the log's order (rotated files first), then a row for each
    egress record whose request never wrote its outcome (a process killed mid-call): what left
    the machine is always listed. Lines that are not records of the documented shape
    (:func:`hrouter.audit.record_problem`) are skipped, with a warning naming the first once the
    log is read. Streams: only the ids of the requests read so far and the egress records still
    waiting for their request are held, never the whole log."""
    from functools import partial
    from .audit import record_problem
    seen, waiting, n = set(), {}, 0
    # not strict: a NaN or a lone surrogate is kept and shown safely (README, "Reading a damaged log")
    for rec in log.records(check=partial(record_problem, strict=False)):
        kind = rec.get("type", "request")
        if kind == "request":
            rid = rec.get("id")
            seen.add(rid)
            waiting.pop(rid, None)
            yield rec
        elif kind == "egress":
            rid = rec.get("request")
            if rid not in seen:  # its request record (written when the call ends) may still come
                waiting.setdefault(rid, []).append((n, rec))
                n += 1
    for _, e in sorted(pair for group in waiting.values() for pair in group):  # in the log's order
        yield {**e, "type": "request", "id": e.get("request"), "cloud_egress": True,
               "status": "no outcome record", "attempts": [{"backend": e.get("backend")}]}
    _warn_skipped(log)


def _warn_skipped(log) -> None:
    """One warning line on stderr when reading ``log`` skipped lines: how many, and the first
    (``file:line: reason``)."""
    if getattr(log, "skipped", 0):
        first = getattr(log, "first_skipped", None)
        sys.stderr.write(f"hrouter: warning: skipped {log.skipped} unreadable line(s) in the audit log"
                         + (f" (first: {_printable(first)})" if first else "") + "; see `hrouter audit verify`\n")


def _ts(rec):
    """A record's time as an aware datetime (naive = UTC), or None."""
    from datetime import datetime, timezone
    try:
        ts = datetime.fromisoformat(str(rec.get("ts", "")).replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=timezone.utc)


def _filtered_records(policy, since, until, backend, tier, egress, session, status):
    """Yield ``(time, record)`` for each row of :func:`_request_view` that passes the filters."""
    lo, hi = _window(since, until)
    for rec in _request_view(_audit_log(policy)):
        ts = _ts(rec)
        if ts is None:
            continue
        if (lo and ts < lo) or (hi and ts > hi):
            continue
        if backend and rec.get("backend") != backend:
            continue
        if tier and rec.get("tier") != tier:
            continue
        if egress is not None and bool(rec.get("cloud_egress")) != egress:
            continue
        if session and rec.get("session") != session:
            continue
        if status and rec.get("status") != status:
            continue
        yield ts, rec


def _newest(rows, limit: int) -> list:
    """The ``limit`` newest records of ``rows`` (``(time, record)`` pairs), oldest first; records
    with the same time keep the log's order. Holds at most ``limit`` records: a log appended in
    time order would do with the last ``limit``, but concurrent writers (and clocks) can put a
    record a little out of order, and this never depends on it."""
    import heapq
    top = heapq.nlargest(limit, ((ts, i, rec) for i, (ts, rec) in enumerate(rows)))
    return [rec for _, _, rec in reversed(top)]


def _json_text(obj) -> tuple[str, bool]:
    """``obj`` as one line of strict JSON, and whether a non-finite number in it (NaN, Infinity:
    Python's reader accepts them in a damaged or forged line, JSON has neither) was printed as
    null. A lone surrogate (a ``\\ud800`` escape in the log: not text) keeps its ``\\u`` escape
    (that line is then written with ASCII escapes), so the output is always valid UTF-8 JSON."""
    import json
    replaced = False
    try:
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    except ValueError:
        from .cli_learn import _finite
        obj, replaced = _finite(obj), True
        text = json.dumps(obj, ensure_ascii=False, allow_nan=False)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(obj, ensure_ascii=True, allow_nan=False)
    return text, replaced


def _time_cell(rec: dict, ts) -> str:
    """A record's time in UTC, ``YYYY-MM-DD HH:MM:SS``; as written when it cannot be converted
    (a year-9999 time west of UTC)."""
    from datetime import timezone
    try:
        return ts.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, ValueError):
        return _printable(str(rec.get("ts", ""))[:25].replace("T", " "))


def _show_log(limit, since, until, backend, tier, egress, session, status, as_json, policy) -> None:
    if tier is not None and tier not in ("public", "internal", "confidential"):
        raise InputError(f"--tier must be public, internal or confidential, got {tier!r}")
    if status is not None and status not in ("ok", "error", "refused", "interrupted", "no outcome record"):
        raise InputError(f"--status must be ok, error, refused or interrupted, got {status!r}")
    for name, value in (("--backend", backend), ("--session", session)):
        if value is not None and not value.strip():
            raise InputError(f"{name} is empty: give a {name[2:]} name, or leave the option out for all")
    recs = _newest(_filtered_records(policy, since, until, backend, tier, egress, session, status), limit)
    if as_json:
        nonfinite = 0
        for rec in recs:
            text, replaced = _json_text(rec)
            nonfinite += replaced
            sys.stdout.write(text + "\n")
        if nonfinite:
            sys.stderr.write(f"hrouter: warning: {nonfinite} record(s) hold a non-finite number (NaN or Infinity, "
                             "which JSON has not), printed as null\n")
        return
    from rich.table import Table
    from rich.text import Text
    from .render import stderr_console
    table = Table(box=None, header_style="bold", pad_edge=False)
    for col, just in (("time (UTC)", "left"), ("session", "left"), ("backend", "left"), ("zone", "left"),
                      ("tier", "left"), ("rule", "left"), ("status", "left"), ("tokens in/out", "right"),
                      ("USD", "right"), ("TTFT ms", "right"), ("egress", "left")):
        table.add_column(col, justify=just)
    for r in recs:
        table.add_row(Text(_time_cell(r, _ts(r))),
                      Text(_printable(str(r.get("session") or ""))),
                      Text(_printable(str(r.get("backend") or "-"))), Text(_printable(str(r.get("zone") or "-"))),
                      Text(_printable(str(r.get("tier")))), Text(_printable(str(r.get("rule")))),
                      Text(_printable(str(r.get("status")))),
                      Text(f"{r.get('input_tokens', 0)}/{r.get('output_tokens', 0)}"),
                      Text(f"{r.get('cost_usd') or 0:.4f}"),
                      Text("-" if r.get("ttft_ms") is None else f"{r['ttft_ms']:.0f}"),
                      Text(_printable(_egress_cell(r))))
    out = _stdout_console(200)
    out.print(table)
    stderr_console().print(Text(f"{len(recs)} record(s)", style="dim"))


def _egress_cell(rec: dict) -> str:
    """``no``, ``yes``, or ``yes, redacted (N values: kinds)`` when only a redacted copy left."""
    if not rec.get("cloud_egress"):
        return "no"
    from .render import redaction_label
    return "yes, " + redaction_label(rec["redacted"]) if _only_redacted_left([rec]) else "yes"


def _only_redacted_left(recs) -> bool:
    """Whether every copy of the prompt that left the machine, per these audit records (request,
    egress, and the no-outcome rows made from egress), was the redacted one (redact-then-send)."""
    left = False
    for r in recs:
        if r.get("type") == "egress" or r.get("status") == "no outcome record":
            if not r.get("redacted"):
                return False
            left = True
        elif r.get("cloud_egress"):
            egress_ids = set(r.get("egress_ids") or ())
            if not r.get("redacted") or any(not a.get("redacted") for a in r.get("attempts") or ()
                                            if a.get("egress_id") in egress_ids and a.get("sent") is not False):
                return False
            left = True
    return left


_LogN = typer.Option(20, "-n", "--count", min=1, max=10_000_000, help="How many of the newest matching records.")
_Since = typer.Option(None, "--since", metavar="WHEN", help="e.g. 2h, 7d, or 2026-11-29T08:00.")
_Until = typer.Option(None, "--until", metavar="WHEN", help="e.g. 30m, or an ISO-8601 time.")
_Backend = typer.Option(None, "--backend", metavar="NAME", help="Only this backend (what served).")
_Tier = typer.Option(None, "--tier", metavar="TIER", help="public, internal or confidential.")
_Egress = typer.Option(None, "--egress/--no-egress", help="Only records that did (not) leave the machine.")
_Status = typer.Option(None, "--status", metavar="STATUS", help="ok, error, refused or interrupted.")
_LogJson = typer.Option(False, "--json", help="JSON lines on stdout.")


@app.command("log", short_help="Recent audit records as a table (or --json lines).")
def log_cmd(n: int = _LogN, since: Optional[str] = _Since, until: Optional[str] = _Until,
            backend: Optional[str] = _Backend, tier: Optional[str] = _Tier, egress: Optional[bool] = _Egress,
            session: Optional[str] = LogSessionOpt, status: Optional[str] = _Status, as_json: bool = _LogJson,
            policy: Optional[str] = PolicyOpt) -> None:
    """Show recent audit records, rotated files included; newest last.

    \b
    Examples:
      hrouter log --since 2h --egress
      hrouter log --tier confidential --status error -n 50
      hrouter log --json --since 1d | jq .cost_usd
    """
    _show_log(n, since, until, backend, tier, egress, session, status, as_json, policy)


audit_app.command("show", short_help="Same as `hrouter log`.")(log_cmd)


@audit_app.command("match", short_help="Was this exact text sent, and when? (needs the key)")
def audit_match(
    prompt: Optional[List[str]] = PromptArg,
    files: Optional[List[str]] = FilesOpt,
    no_stdin: bool = NoStdinOpt,
    policy: Optional[str] = PolicyOpt,
) -> None:
    """Answer whether a given prompt text was sent, when, and where, by its HMAC.

    \b
    The text must be the exact prompt as assembled (stdin, files, argument). Exit 0 when it
    was found, 1 when not. Needs this installation's audit key.
    Examples:
      hrouter audit match -f contract.txt "Summarize this"
    """
    from .audit import default_key_path, prompt_hmac, read_key, record_problem
    from .errors import AuditError
    try:
        p = _read_prompt(prompt, files, None, no_stdin, "audit match")
    except InputError as exc:
        if not str(exc).startswith("no prompt given"):
            raise
        raise InputError("audit match: no text to match (TEXT is empty or missing): give the exact prompt as TEXT, "
                         "-f FILE or stdin, e.g. hrouter audit match -f contract.txt \"Summarize this\"") from None
    key_path = default_key_path()
    try:
        key = read_key(key_path)
    except FileNotFoundError:
        raise InputError(f"no audit key at {key_path}: nothing was recorded by this installation") from None
    except AuditError as exc:  # truncated, empty, a directory: no match is possible, and that is not "no record"
        raise InputError(str(exc)) from None
    digest = prompt_hmac(p.text, key)
    log = _audit_log(policy)
    malformed: list = []  # matching records not of the documented shape: still evidence, never trusted

    def check(rec):
        why = record_problem(rec)
        if why is not None and rec.get("prompt_hmac") == digest:
            malformed.append((rec, why))
        return why
    hits = [r for r in log.records(check=check) if r.get("prompt_hmac") == digest]
    _warn_skipped(log)

    def field(r, name, default=None):  # cut: a malformed record's field can be megabytes long
        text = str(r.get(name, default))
        return _printable(text if len(text) <= _FIELD_MAX else text[:_FIELD_MAX] + "…")
    for r in hits:
        redacted = ""
        if r.get("redacted") and (r.get("type") == "egress" or r.get("cloud_egress")):
            from .render import redaction_label
            redacted = " " + redaction_label(r["redacted"])
        print(f"{field(r, 'ts')} {field(r, 'type', 'request')} backend={field(r, 'backend')} zone={field(r, 'zone')} "
              f"tier={field(r, 'tier')} status={field(r, 'status', '-')} id={field(r, 'id')}{redacted}")
    for r, why in malformed:
        print(f"{field(r, 'ts')} {field(r, 'type', 'request')} backend={field(r, 'backend')} zone={field(r, 'zone')} "
              f"id={field(r, 'id')} (malformed record: {_printable(why)})")
    if not hits and not malformed:
        print("no record of this text")
        raise typer.Exit(1)
    n = len(hits) + len(malformed)
    left = any(r.get("type") == "egress" or r.get("cloud_egress") for r in hits)
    if malformed and not left:  # a malformed record cannot show that the text stayed on the machine
        print(f"{n} record(s); it may have left the machine: {len(malformed)} matching record(s) malformed")
    elif left and not malformed and _only_redacted_left(hits):
        from .render import redaction_label
        summary = next(r["redacted"] for r in hits if r.get("redacted"))
        print(f"{n} record(s); only a redacted copy left the machine: {redaction_label(summary)}")
    else:
        print(f"{n} record(s); {'it left the machine' if left else 'it never left the machine'}")


@app.command("stats", short_help="Local/cloud split over time, usage, latency, tiers and rules.")
def stats_cmd(
    since: Optional[str] = typer.Option("7d", "--since", metavar="WHEN", help="e.g. 24h, 7d, 30d, or an ISO time."),
    until: Optional[str] = _Until,
    by: str = typer.Option("day", "--by", metavar="hour|day", help="Bucket size for the split over time."),
    fmt: Optional[str] = typer.Option(None, "--format", metavar="table|json|prometheus|otlp", show_default=False,
                                      help="table (the default); prometheus: the text exposition format, for "
                                           "node_exporter's textfile collector; otlp: push to an OpenTelemetry "
                                           "collector (needs the otel extra)."),
    otlp_endpoint: Optional[str] = typer.Option(None, "--otlp-endpoint", metavar="URL",
                                                help="OTLP/HTTP metrics URL (default: OTEL_EXPORTER_OTLP_* env)."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json (with another --format: a usage error)."),
    policy: Optional[str] = PolicyOpt,
) -> None:
    """Aggregate the audit log: the local/cloud split per bucket (flagging a sudden shift toward
    the cloud), requests, tokens, cost and p50/p95 TTFT and latency per backend, counts per tier
    and rule, fallbacks and refusals.

    \b
    Examples:
      hrouter stats --since 24h --by hour
      hrouter stats --json | jq .cloud_share
      hrouter stats --format prometheus > /var/lib/node_exporter/textfile/hrouter.prom
    """
    from .stats import compute_stats, public_stats, to_prometheus
    if by not in ("hour", "day"):
        raise InputError(f"--by must be hour or day, got {by!r}")
    if fmt is not None and fmt not in ("table", "json", "prometheus", "otlp"):
        raise InputError(f"--format must be table, json, prometheus or otlp, got {fmt!r}")
    if as_json and fmt not in (None, "json"):
        raise InputError(f"--json and --format {fmt} contradict each other (--json is --format json): give one")
    fmt = "json" if as_json else fmt or "table"
    if otlp_endpoint is not None and fmt != "otlp":
        raise InputError("--otlp-endpoint is only used with --format otlp; add --format otlp to push the metrics")
    if fmt == "otlp":
        from .otel import check_endpoint
        check_endpoint(otlp_endpoint, "--otlp-endpoint")
    lo, hi = _window(since, until, default_since=since == "7d")
    log = _audit_log(policy)
    st = compute_stats(_request_view(log), by=by, since=lo, until=hi, checked=True)  # streamed, never all held
    st["skipped"] += log.skipped  # lines the log reader already left out (warned about on stderr)
    absurd = st["_implausible"]
    if absurd["count"]:
        sys.stderr.write(f"hrouter: warning: left out {absurd['count']} record(s) with an implausible value "
                         f"(first: {_printable(absurd['first'])}); they count in skipped\n")
    if fmt == "json":
        text, replaced = _json_text(public_stats(st))  # strict JSON: LIMITS keep every sum finite
        if replaced:
            sys.stderr.write("hrouter: warning: a non-finite number in the stats is printed as null\n")
        sys.stdout.write(text + "\n")
        return
    if fmt == "prometheus":
        sys.stdout.write(to_prometheus(st))
        return
    if fmt == "otlp":
        from .otel import export_otlp
        n = export_otlp(st, otlp_endpoint)
        sys.stderr.write(f"sent {n} metric series for {st['requests']} request(s) over OTLP\n")
        return
    from rich.table import Table
    from rich.text import Text
    out = _stdout_console(160)
    why = {"refused": "refused", "error": "failed", "interrupted": "interrupted"}
    unserved = ", ".join(f"{n} {why.get(k, _printable(str(k)))}" for k, n in sorted(
        st["not_served_by_status"].items(), key=lambda kv: (-kv[1], str(kv[0]))))
    out.print(Text(f"{st['requests']} request(s) since {_printable(since)}: {st['local']} served locally, {st['cloud']} sent to "
                   f"the cloud, {st['not_served']} not served" + (f" ({unserved})" if unserved else "")
                   + f"; cloud share {st['cloud_share']:.0%}; "
                   f"{st['fallbacks']} fallback(s), {st['refusals']} refusal(s)", style="bold"))
    split = Table(box=None, header_style="bold", pad_edge=False, title=f"local/cloud split per {by}",
                  title_justify="left")
    for col, just in (("bucket", "left"), ("requests", "right"), ("served locally", "right"),
                      ("sent to cloud", "right"), ("not served", "right"), ("cloud share", "left"), ("", "left")):
        split.add_column(col, justify=just)
    for b in st["buckets"]:
        width = 30
        filled = round(b["cloud_share"] * width)
        bar = Text("█" * filled, style="magenta") + Text("░" * (width - filled), style="green")
        bar.append(f" {b['cloud_share']:.0%}")
        split.add_row(b["bucket"], str(b["requests"]), str(b["local"]), str(b["cloud"]), str(b["not_served"]), bar,
                      Text("⚠ shift toward cloud", style="bold red") if b["shift"] else Text(""))
    out.print(split)
    per = Table(box=None, header_style="bold", pad_edge=False, title="per backend", title_justify="left")
    for col in ("backend", "zone", "requests", "tokens in", "tokens out", "USD", "TTFT p50/p95 ms",
                "latency p50/p95 ms"):
        per.add_column(col, justify="left" if col in ("backend", "zone") else "right")

    def pair(d):
        return "/".join("-" if d[k] is None else f"{d[k]:.0f}" for k in ("p50", "p95"))
    for name, b in sorted(st["backends"].items()):
        per.add_row(Text(_printable(name)), Text(_printable(str(b["zone"]))), str(b["requests"]), str(b["input_tokens"]),
                    str(b["output_tokens"]), f"{b['cost_usd']:.4f}", pair(b["ttft_ms"]), pair(b["latency_ms"]))
    out.print(per)
    for title, counts in (("tier", st["tiers"]), ("rule", st["rules"]), ("status", st["statuses"])):
        t = Table(box=None, header_style="bold", pad_edge=False)
        t.add_column(title)
        t.add_column("requests", justify="right")
        for k, v in sorted(counts.items(), key=lambda kv: -kv[1]):
            t.add_row(Text(_printable(str(k))), str(v))
        out.print(t)
    for sh in st["shifts"]:
        out.print(Text(f"warning: {sh['bucket']}: cloud share {sh['cloud_share']:.0%} vs trailing average "
                       f"{sh['trailing']:.0%}: a sudden shift toward the cloud", style="bold red"))


_learn_registered = False


def register_learn_commands() -> None:
    """Add ``feedback``, ``train``, ``calibrate`` and ``eval`` (hrouter.cli_learn) to :data:`app`.

    :func:`main` does this only when they can be needed (root help, one of them, an unknown
    command, shell completion): building their Click commands costs ~2.5 ms on every start,
    and ``explain`` is budgeted at 150 ms. Embedders running :data:`app` themselves call it first."""
    global _learn_registered
    if not _learn_registered:
        from .cli_learn import register
        register(app)
        _learn_registered = True


def _core_command(args: List[str]) -> bool:
    """Whether the command line names one of the commands defined in this module."""
    command = next((a for a in args if not a.startswith("-")), None)  # root options are flags only
    names = {c.name or c.callback.__name__.replace("_", "-") for c in app.registered_commands}
    names |= {g.name for g in app.registered_groups}
    return command in names and not any(k.startswith("_HROUTER_COMPLETE") for k in os.environ)


# --------------------------------------------------------------------------- error boundary

def main(argv: Optional[List[str]] = None) -> None:
    """Entry point: run the CLI and map every error to a one-line message and an exit code."""
    try:  # typer >= 0.2x vendors click as typer._click; older typer depends on click itself
        from typer._click import exceptions as click_exc
    except ImportError:  # pragma: no cover - depends on the installed typer
        from click import exceptions as click_exc

    import gc
    # A CLI run is short and allocates few reference cycles: skip the cyclic collector's passes
    # (and its full sweep at interpreter exit), ~30-60 ms of a ~150 ms run.
    gc.disable()
    import signal

    def _terminate(signum, frame):  # SIGTERM/SIGHUP: stop like Ctrl-C, so the audit record is written
        raise KeyboardInterrupt

    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            try:
                signal.signal(getattr(signal, name), _terminate)
            except (ValueError, OSError):  # not the main thread (library embedding): leave it
                pass
    if sys.stdout is None:  # started with stdout closed (>&-): answers go nowhere, say so once used
        sys.stdout = open(os.devnull, "w")
    args = list(sys.argv[1:] if argv is None else argv)
    head = args[:args.index("--")] if "--" in args else args
    debug = os.environ.get("HROUTER_DEBUG", "") not in ("", "0") or "--debug" in head
    if "--debug" in head:  # accepted anywhere before `--`, not only before the command
        args = [a for a in head if a != "--debug"] + args[len(head):]
    if not _core_command(args):
        register_learn_commands()
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="hrouter", standalone_mode=False)
    except HrouterError as exc:
        _fail(str(exc), exc.exit_status, debug, hint=getattr(exc, "hint", None))
    except (typer.Exit, getattr(click_exc, "Exit", typer.Exit)) as exc:
        code = exc.exit_code
    except getattr(click_exc, "NoArgsIsHelpError", ()) as exc:  # `hrouter`, `hrouter policy`: the help, as is
        sys.stderr.write(exc.ctx.get_help() + "\n")
        sys.stderr.flush()
        sys.exit(int(ExitStatus.USAGE))
    except click_exc.ClickException as exc:  # usage errors: bad option, missing value, ...
        _fail(_usage_message(exc, click_exc, args), ExitStatus.USAGE if exc.exit_code == 2 else exc.exit_code, debug)
    except (KeyboardInterrupt, typer.Abort, getattr(click_exc, "Abort", typer.Abort)):
        _fail("interrupted", ExitStatus.INTERRUPTED, debug)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, as other filters do.
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except OSError:
            pass
        code = 0
    except OSError as exc:  # writing the answer failed: /dev/full, a closed descriptor, ...
        _fail(f"cannot write output: {exc.strerror or exc}", ExitStatus.BACKEND_ERROR, debug)
    except Exception as exc:  # a bug: say so in one line, traceback only with --debug
        _fail(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
              ExitStatus.BACKEND_ERROR, debug)
    if code == ExitStatus.INTERRUPTED:
        # Typer turns a KeyboardInterrupt inside a command (Ctrl-C, SIGTERM/SIGHUP above) into exit 130
        # before the handler above sees it: say so in the same one line (the record is already written).
        sys.stderr.write("hrouter: error: interrupted\n")
        sys.stderr.flush()
    gc.freeze()
    sys.exit(int(code or 0))


#: The longest field ``audit match`` prints (characters; longer ones end in "…").
_FIELD_MAX = 200


def _printable(text: str) -> str:
    """``text`` on one line with control characters escaped: server-supplied error text can
    carry newlines or terminal escape codes, which must not forge lines or restyle stderr. A lone
    surrogate (a JSON ``\\ud800`` escape: not text, and not encodable) is shown as ``\\ud800``; so are
    the bidi controls and zero-width characters (U+200B-U+200F, U+202A-U+202E, U+2066-U+2069,
    U+FEFF: ``\\u202e``), which could reorder or hide what a reader sees."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\r\n\t":
            out.append(" ")
        elif code < 32 or code == 127 or 0x80 <= code < 0xA0:
            out.append(f"\\x{code:02x}")
        elif (0xD800 <= code <= 0xDFFF or 0x200B <= code <= 0x200F or 0x202A <= code <= 0x202E
              or 0x2066 <= code <= 0x2069 or code == 0xFEFF):
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def _usage_message(exc, click_exc, args: Optional[List[str]] = None) -> str:
    """One line for a command-line usage error, never echoing prompt-like text back.

    An unknown option gets a hint when the likely slip is known: a subcommand's option given
    before the command (``hrouter --policy x explain``), or a prompt that starts with '-'
    (``hrouter explain "-5 squared?"``)."""
    ctx = getattr(exc, "ctx", None)
    if isinstance(exc, click_exc.NoSuchOption):
        name = exc.option_name or ""
        if len(name) > 40 or any(ch.isspace() for ch in name):
            # Probably a prompt that starts with '-': it may hold secrets, so do not echo it.
            path = ctx.command_path if ctx is not None and ctx.command_path else "hrouter ask"
            return ("unknown option (text starting with '-'); to send text that starts with '-', "
                    f"put it after --: {path} -- \"-5 squared?\"")
        hint = _misplaced_option_hint(ctx, name.split("=", 1)[0], args or [])
        if hint is None and ctx is not None and any(p.name == "prompt" for p in ctx.command.params) \
                and not (name.startswith("--") and exc.possibilities):
            hint = (f"a prompt that starts with '-' goes after --: {ctx.command_path} -- \"-5 squared?\"; "
                    f"see '{ctx.command_path} --help'")
        if hint is not None:
            return f"No such option: {name} ({hint})"
    message = " ".join(exc.format_message().split())
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None and ctx.command_path else ""
    return message + hint


def _misplaced_option_hint(ctx, name: str, args: List[str]) -> Optional[str]:
    """``options go after the command: hrouter explain --policy PATH ...`` when ``name`` is not an
    option of the group it was given to (``hrouter --policy x explain``) but is one of its commands'."""
    group = getattr(ctx, "command", None) if ctx is not None else None
    if not isinstance(getattr(group, "commands", None), dict):  # not a group (typer may vendor click)
        return None

    def option_of(command):
        return next((p for p in command.params if getattr(p, "param_type_name", None) == "option"
                     and name in list(p.opts) + list(p.secondary_opts)), None)

    def is_group(command) -> bool:
        return isinstance(getattr(command, "commands", None), dict)

    def walk(command, path):
        if path:
            yield path, command
        if is_group(command):
            for sub_name, sub in command.commands.items():
                yield from walk(sub, path + [sub_name])

    found = [(path, opt) for path, cmd in walk(group, []) if (opt := option_of(cmd)) is not None]
    if not found:
        return None
    named = next((i for i, a in enumerate(args) if a in group.commands), None)
    named_path = [args[named]] if named is not None else []
    if named_path and is_group(group.commands[named_path[0]]):  # `hrouter --json audit verify`
        sub = next((a for a in args[named + 1:] if not a.startswith("-")), None)
        if sub in group.commands[named_path[0]].commands:
            named_path.append(sub)
    chosen = next((p for p in found if p[0] == named_path), None)
    path, opt = chosen or found[0]
    value = "" if getattr(opt, "is_flag", False) or getattr(opt, "count", False) \
        else f" {opt.metavar or (opt.name or 'VALUE').upper()}"
    example = f"{ctx.command_path} {' '.join(path)} {name}{value} ..."
    if chosen:
        return f"options go after the command: {example}"
    if named_path:
        here = f"{ctx.command_path} {' '.join(named_path)}"
        return f"options go after the command, and {here} has no {name}; see '{here} --help'"
    return f"options go after the command they belong to, e.g. {example}"


def _fail(message: str, status: int, debug: bool, hint: str | None = None) -> None:
    """Write ``hrouter: error: MESSAGE`` as one line (then our own ``hint`` lines) and exit."""
    if debug:
        import traceback
        traceback.print_exc()
    sys.stderr.write(f"hrouter: error: {_printable(message)}\n" + (hint + "\n" if hint else ""))
    sys.stderr.flush()
    sys.exit(int(status))
