"""Aggregates over audit records: the local/cloud split over time, per-backend usage and latency,
tiers, rules, fallbacks and refusals, and a flag for a sudden shift toward the cloud.

Input: ``request`` records from :class:`hrouter.audit.AuditLog` (egress records are skipped),
in any order (the result does not depend on it, so a reader can stream them). A record not of
the documented shape (:func:`hrouter.audit.record_problem`: not an object, no ISO-8601 ``ts``, a
field of the wrong type) is left out and counted in ``skipped``, never a crash; so is a record
with an implausible amount (:data:`LIMITS`: e.g. ``"cost_usd": 1e308``, which no request costs
and whose sum would overflow to infinity), so every total stays finite and the JSON, Prometheus
and OTLP outputs stay valid. A time that is valid ISO-8601 but falls outside years 1-9999 once
converted to UTC (``9999-12-31T23:59:59-05:00``) is counted in the first or last representable
bucket (``0001-01-01``, ``9999-12-31``).

Every request falls in exactly one of three outcomes, so they always add up to ``requests``:

- ``cloud`` (sent to the cloud): the prompt left the machine (``cloud_egress``), whatever the
  outcome (a cloud answer, a cloud failure, or a cloud attempt followed by a local fallback);
- ``local`` (served locally): it never left, and a local backend answered (status ``ok``);
- ``not_served``: it never left and nothing answered: refused, failed (``error``) or
  interrupted (``not_served_by_status`` breaks it down).

The per-backend figures count what *served* a request (records without a serving backend,
refusals and most failures, appear in no backend), so they can differ from this split.
Percentiles use the nearest-rank method. Output of :func:`compute_stats` is plain data
(``--json``); :func:`to_prometheus` renders it in the Prometheus text exposition format
(version 0.0.4), for node_exporter's textfile collector.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from datetime import datetime, timezone
from typing import Iterable

#: A bucket is flagged when its cloud share exceeds the trailing average by this much (absolute)...
SHIFT_DELTA = 0.25
#: ...over at least this many earlier buckets, and the bucket has at least this many requests.
SHIFT_MIN_HISTORY, SHIFT_MIN_REQUESTS = 3, 5
#: Histogram bucket bounds (seconds) for TTFT and latency.
LATENCY_BOUNDS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
#: The largest value of each field one request can plausibly carry; a record over any of them is
#: damaged or forged, and is left out (counted in ``skipped``). Far above any real request (a
#: billion tokens, a million dollars, ~116 days), low enough that sums over billions of records
#: stay finite, exact and within OTLP's 64-bit integers.
LIMITS = {"input_tokens": 10**9, "output_tokens": 10**9, "cost_usd": 1e6, "ttft_ms": 1e10, "latency_ms": 1e10}


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in [0, 100]) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _bucket(ts: datetime, by: str) -> str:
    """The UTC hour or day of ``ts`` (aware) as a sortable label; a time before year 1 or after
    year 9999 in UTC (``0001-01-01T00:00+05:00``) falls in the first or last representable one."""
    try:
        ts = ts.astimezone(timezone.utc)
    except OverflowError:
        ts = datetime.min if ts.year == 1 else datetime.max
    day = f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}"  # not strftime: glibc writes year 1 as "1", unsortable
    return f"{day}T{ts.hour:02d}:00Z" if by == "hour" else day


def implausible(rec: dict) -> str | None:
    """Why ``rec`` (a record of the documented shape) holds a value no request can have
    (:data:`LIMITS`), or None."""
    get = rec.get
    for name, limit in LIMITS.items():
        v = get(name)
        if v is not None and v > limit:
            return f"field '{name}' is {v:.3g}, over the limit of {limit:g} per request"
    return None


def compute_stats(records: Iterable[dict], *, by: str = "day", since: datetime | None = None,
                  until: datetime | None = None, checked: bool = False) -> dict:
    """Aggregate ``request`` records. ``by``: ``hour`` or ``day`` buckets (UTC).

    Returns ``{requests, local, cloud, not_served, not_served_by_status,
    buckets: [{bucket, requests, local, cloud, not_served, cloud_share, shift}],
    backends: {name: {requests, zone, input_tokens, output_tokens, cost_usd, ttft_ms: {p50, p95},
    latency_ms: {p50, p95}}}, tiers, rules, statuses, fallbacks, refusals, cloud_share, shifts, skipped}``
    (plus ``_implausible``: ``{count, first}``, for the caller's warning; :func:`public_stats` drops it).
    ``cloud``: the prompt left the machine (``cloud_egress``); ``local``: served locally;
    ``not_served``: neither (see the module docstring); ``local + cloud + not_served == requests``,
    overall and per bucket. ``cloud_share`` is ``cloud / requests``. ``skipped``: records left out
    because they are not of the documented shape (:func:`hrouter.audit.record_problem`) or hold
    an implausible value (:func:`implausible`; named in ``_implausible``); ``checked=True`` skips
    the shape check, for records already checked (the CLI's reader does). ``records`` may be a
    generator: it is read once, and only the per-backend TTFT/latency samples are kept.
    """
    from .audit import record_problem
    buckets: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # local, cloud, not served
    not_served = Counter()
    per: dict[str, dict] = {}
    ttft: dict[str, list[float]] = defaultdict(list)
    lat: dict[str, list[float]] = defaultdict(list)
    tiers, rules, statuses = Counter(), Counter(), Counter()
    total = fallbacks = refusals = cloud_total = skipped = absurd = 0
    first_absurd = None
    for r in records:
        if not checked and record_problem(r) is not None:
            skipped += 1
            continue
        if r.get("type", "request") != "request":
            continue
        ts = datetime.fromisoformat(r["ts"].replace("Z", "+00:00"))
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=timezone.utc)
        if (since and ts < since) or (until and ts > until):
            continue
        why = implausible(r)
        if why is not None:
            absurd += 1
            if first_absurd is None:
                first_absurd = f"{r['ts']} request {r.get('id')}: {why}"
            continue
        total += 1
        cloud = bool(r.get("cloud_egress"))
        cloud_total += cloud
        outcome = 1 if cloud else 0 if r.get("status") == "ok" else 2
        if outcome == 2:
            not_served[r.get("status")] += 1
        buckets[_bucket(ts, by)][outcome] += 1
        tiers[r.get("tier")] += 1
        rules[r.get("rule")] += 1
        statuses[r.get("status")] += 1
        refusals += r.get("status") == "refused"
        fallbacks += len(r.get("attempts") or []) > 1
        name = r.get("backend")
        if name:
            b = per.setdefault(name, {"requests": 0, "zone": r.get("zone"), "input_tokens": 0,
                                      "output_tokens": 0, "cost_usd": 0.0})
            b["requests"] += 1
            b["input_tokens"] += int(r.get("input_tokens") or 0)
            b["output_tokens"] += int(r.get("output_tokens") or 0)
            b["cost_usd"] += float(r.get("cost_usd") or 0)
            if r.get("ttft_ms") is not None:
                ttft[name].append(float(r["ttft_ms"]))
            if r.get("latency_ms") is not None:
                lat[name].append(float(r["latency_ms"]))
    for name, b in per.items():
        b["cost_usd"] = round(b["cost_usd"], 6)
        b["ttft_ms"] = {"p50": percentile(ttft[name], 50), "p95": percentile(ttft[name], 95)}
        b["latency_ms"] = {"p50": percentile(lat[name], 50), "p95": percentile(lat[name], 95)}
        b["_ttft"], b["_latency"] = ttft[name], lat[name]
    rows, shares, shifts = [], [], []
    for key in sorted(buckets):
        local, cloud, unserved = buckets[key]
        n = local + cloud + unserved
        share = cloud / n if n else 0.0
        shift = False
        if len(shares) >= SHIFT_MIN_HISTORY and n >= SHIFT_MIN_REQUESTS:
            trailing = sum(shares[-7:]) / len(shares[-7:])
            shift = share > trailing + SHIFT_DELTA
            if shift:
                shifts.append({"bucket": key, "cloud_share": round(share, 4), "trailing": round(trailing, 4)})
        shares.append(share)
        rows.append({"bucket": key, "requests": n, "local": local, "cloud": cloud, "not_served": unserved,
                     "cloud_share": round(share, 4), "shift": shift})
    unserved_total = sum(not_served.values())
    return {"requests": total, "local": total - cloud_total - unserved_total, "cloud": cloud_total,
            "not_served": unserved_total, "not_served_by_status": dict(not_served), "by": by, "cloud_share": round(cloud_total / total, 4) if total else 0.0,
            "buckets": rows, "backends": per, "tiers": dict(tiers), "rules": dict(rules),
            "statuses": dict(statuses), "fallbacks": fallbacks, "refusals": refusals, "shifts": shifts,
            "skipped": skipped + absurd, "_implausible": {"count": absurd, "first": first_absurd}}


def public_stats(stats: dict) -> dict:
    """``stats`` without the raw sample lists and the ``_`` keys (for JSON output)."""
    out = {k: v for k, v in stats.items() if not k.startswith("_")}
    out["backends"] = {k: {kk: vv for kk, vv in v.items() if not kk.startswith("_")}
                       for k, v in stats["backends"].items()}
    return out


def _labels(**kv) -> str:
    def esc(v) -> str:  # exposition format: escape backslash, double quote and newline
        v = str(v).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
        # a lone surrogate (a JSON "\ud800" escape in the log) is not UTF-8: written as the text \ud800
        return _SURROGATE.sub(lambda m: f"\\\\u{ord(m.group()):04x}", v) if not v.isascii() else v
    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in kv.items()) + "}"


_SURROGATE = re.compile("[\ud800-\udfff]")


def _value(v) -> str:
    """A sample value as the exposition format spells it (``+Inf``, ``-Inf``, ``NaN``, not
    Python's ``inf``/``nan``); :data:`LIMITS` keep the CLI's sums finite, this is a backstop."""
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if v != v else "+Inf" if v > 0 else "-Inf"
    return str(v)


def to_prometheus(stats: dict) -> str:
    """Counters and histograms in the Prometheus text exposition format 0.0.4."""
    lines = ["# HELP hrouter_requests_total Requests routed, by backend that served and zone.",
             "# TYPE hrouter_requests_total counter"]
    for name, b in sorted(stats["backends"].items()):
        lines.append(f"hrouter_requests_total{_labels(backend=name, zone=b['zone'])} {b['requests']}")
    lines += ["# HELP hrouter_requests_by_tier_total Requests by sensitivity tier.",
              "# TYPE hrouter_requests_by_tier_total counter"]
    for tier, n in sorted(stats["tiers"].items(), key=lambda kv: str(kv[0])):
        lines.append(f"hrouter_requests_by_tier_total{_labels(tier=tier)} {n}")
    lines += ["# HELP hrouter_requests_by_status_total Requests by status (ok, error, refused, interrupted).",
              "# TYPE hrouter_requests_by_status_total counter"]
    for status, n in sorted(stats["statuses"].items(), key=lambda kv: str(kv[0])):
        lines.append(f"hrouter_requests_by_status_total{_labels(status=status)} {n}")
    lines += ["# HELP hrouter_requests_by_outcome_total Requests by outcome: served_local, cloud (sent to the "
              "cloud), not_served (refused, failed or interrupted).",
              "# TYPE hrouter_requests_by_outcome_total counter"]
    for outcome, key in (("served_local", "local"), ("cloud", "cloud"), ("not_served", "not_served")):
        lines.append(f"hrouter_requests_by_outcome_total{_labels(outcome=outcome)} {stats[key]}")
    lines += ["# HELP hrouter_tokens_total Tokens by backend and direction.", "# TYPE hrouter_tokens_total counter"]
    for name, b in sorted(stats["backends"].items()):
        lines.append(f"hrouter_tokens_total{_labels(backend=name, direction='input')} {b['input_tokens']}")
        lines.append(f"hrouter_tokens_total{_labels(backend=name, direction='output')} {b['output_tokens']}")
    lines += ["# HELP hrouter_cost_usd_total Cost in USD by backend (policy prices).",
              "# TYPE hrouter_cost_usd_total counter"]
    for name, b in sorted(stats["backends"].items()):
        lines.append(f"hrouter_cost_usd_total{_labels(backend=name)} {_value(b['cost_usd'])}")
    lines += ["# HELP hrouter_fallbacks_total Requests that needed a fallback.", "# TYPE hrouter_fallbacks_total counter",
              f"hrouter_fallbacks_total {stats['fallbacks']}"]
    for metric, key, help_text in (("hrouter_ttft_seconds", "_ttft", "Time to first token."),
                                   ("hrouter_latency_seconds", "_latency", "Total latency.")):
        lines += [f"# HELP {metric} {help_text}", f"# TYPE {metric} histogram"]
        for name, b in sorted(stats["backends"].items()):
            samples = [v / 1000 for v in b.get(key, [])]
            for bound in LATENCY_BOUNDS_S:
                lines.append(f"{metric}_bucket{_labels(backend=name, le=bound)} {sum(1 for v in samples if v <= bound)}")
            lines.append(f"{metric}_bucket{_labels(backend=name, le='+Inf')} {len(samples)}")
            lines.append(f"{metric}_sum{_labels(backend=name)} {_value(round(sum(samples), 6))}")
            lines.append(f"{metric}_count{_labels(backend=name)} {len(samples)}")
    return "\n".join(lines) + "\n"
