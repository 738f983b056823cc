"""Optional OpenTelemetry export of ``hrouter stats`` (``pip install 'hrouter[otel]'``).

Pushes the aggregates once over OTLP/HTTP (protobuf) to a collector: counters
``hrouter.requests`` {backend, zone}, ``hrouter.tokens`` {backend, direction},
``hrouter.cost`` (USD) {backend}, ``hrouter.fallbacks``, ``hrouter.requests.by_tier`` {tier},
``hrouter.requests.by_outcome`` {outcome: served_local, cloud, not_served} and histograms
``hrouter.ttft`` / ``hrouter.latency`` (ms) {backend}. Metric names follow the OpenTelemetry
naming guidelines (dot-separated, unit in ``unit``). A failed export is one error line naming
the endpoint and the reason (the SDK's and the exporter's own warnings are kept off stderr); a
value no OTLP data point can carry (a counter over 2**63 - 1, a non-finite number) is one error
line naming the metric, before anything is sent.
Off unless asked for; the packages are imported only here. :func:`check_endpoint` validates
an endpoint (``--otlp-endpoint`` or the ``OTEL_EXPORTER_OTLP_*`` variables) without them, so a
malformed URL is a usage error before anything is read or sent.
"""

from __future__ import annotations

import logging

from .errors import InputError


#: The variables the exporter reads its endpoint from when none is given, most specific first.
ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")


def check_endpoint(value: str | None, name: str = "--otlp-endpoint") -> None:
    """Raise :class:`InputError` (one line naming ``name``) unless ``value`` is an ``http://`` or
    ``https://`` URL with a host (and a valid port, if any). ``value`` None: check the first set
    of :data:`ENDPOINT_VARIABLES` instead, naming that variable."""
    import os
    if value is None:
        name, value = next(((v, os.environ[v]) for v in ENDPOINT_VARIABLES if os.environ.get(v)), (name, None))
        if value is None:
            return  # the exporter's default, http://localhost:4318/v1/metrics
    from urllib.parse import urlsplit
    shown = repr(value) if len(value) <= 80 else repr(value[:79] + "…")
    example = "e.g. http://127.0.0.1:4318/v1/metrics"
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise InputError(f"{name} {shown}: a URL cannot contain spaces or control characters; {example}")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError as exc:
        raise InputError(f"{name} {shown}: not a valid URL ({exc}); {example}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InputError(f"{name} {shown}: expected an http:// or https:// URL (OTLP/HTTP); {example}")
    if not parts.hostname:
        raise InputError(f"{name} {shown}: the URL has no host; {example}")


def export_otlp(stats: dict, endpoint: str | None = None, *, timeout_s: float = 10.0) -> int:
    """Send ``stats`` (from :func:`hrouter.stats.compute_stats`) to an OTLP/HTTP collector.

    ``endpoint``: the metrics URL (e.g. ``http://127.0.0.1:4318/v1/metrics``); None uses the
    exporter's own environment (``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`` /
    ``OTEL_EXPORTER_OTLP_ENDPOINT``). Returns the number of data points sent.
    Raises :class:`InputError` when the ``otel`` extra is not installed, and
    :class:`hrouter.errors.HrouterError` when a value cannot be exported (named, nothing sent) or
    the collector rejects or cannot be reached.
    """
    import importlib
    try:
        for module in ("opentelemetry.exporter.otlp.proto.http.metric_exporter", "opentelemetry.sdk.metrics.export",
                       "opentelemetry.sdk.resources"):
            importlib.import_module(module)
    except ImportError:
        raise InputError("OpenTelemetry export needs the otel extra: pip install 'hrouter[otel]'") from None
    _check_values(stats)
    # The SDK and the exporter log on the `opentelemetry` loggers (a measurement ignored, each
    # retry as a multi-line urllib3 error): keep those off stderr and say why it failed once.
    capture = _Capture()
    otel_logger = logging.getLogger("opentelemetry")
    saved = otel_logger.propagate
    otel_logger.addHandler(capture)
    otel_logger.propagate = False
    try:
        return _export(stats, endpoint, timeout_s, capture)
    finally:
        otel_logger.removeHandler(capture)
        otel_logger.propagate = saved


#: The largest value of an integer OTLP data point (int64).
INT64_MAX = 2**63 - 1


def _check_values(stats: dict) -> None:
    """Raise :class:`HrouterError` (one line, naming the metric) for a value no OTLP data point
    can carry: an integer counter over :data:`INT64_MAX`, a negative or non-finite amount."""
    import math
    from .errors import HrouterError

    def check(metric: str, labels: str, v) -> None:
        bad = (v < 0 or v > INT64_MAX) if isinstance(v, int) else not (math.isfinite(v) and v >= 0)
        if bad:
            shown = f"{v:.3g}" if isinstance(v, float) or abs(v) > 10**15 else str(v)
            raise HrouterError(f"OTLP export: {metric} {{{labels}}} is {shown}: not a value an OTLP counter can "
                               f"carry (0 to {INT64_MAX:.3g}); nothing was sent")
    for name, b in stats["backends"].items():
        who = f"backend={name!r}"
        check("hrouter.requests", who, b["requests"])
        check("hrouter.tokens", who + ", direction='input'", b["input_tokens"])
        check("hrouter.tokens", who + ", direction='output'", b["output_tokens"])
        check("hrouter.cost", who, b["cost_usd"])
        for metric, key in (("hrouter.ttft", "_ttft"), ("hrouter.latency", "_latency")):
            for v in b.get(key, []):
                check(metric, who, v)
    for tier, n in stats["tiers"].items():
        check("hrouter.requests.by_tier", f"tier={tier!r}", n)
    check("hrouter.fallbacks", "", stats["fallbacks"])


def _export(stats: dict, endpoint: str | None, timeout_s: float, capture: "_Capture") -> int:
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
    from opentelemetry.sdk.resources import Resource
    from . import __version__
    from .errors import HrouterError

    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader],
                             resource=Resource.create({"service.name": "hrouter", "service.version": __version__}))
    meter = provider.get_meter("hrouter", __version__)
    requests = meter.create_counter("hrouter.requests", unit="{request}", description="Requests by backend that served")
    tokens = meter.create_counter("hrouter.tokens", unit="{token}", description="Tokens by backend and direction")
    cost = meter.create_counter("hrouter.cost", unit="USD", description="Cost by backend, from the policy's prices")
    by_tier = meter.create_counter("hrouter.requests.by_tier", unit="{request}", description="Requests by tier")
    fallbacks = meter.create_counter("hrouter.fallbacks", unit="{request}", description="Requests that fell back")
    ttft = meter.create_histogram("hrouter.ttft", unit="ms", description="Time to first token")
    latency = meter.create_histogram("hrouter.latency", unit="ms", description="Total latency")
    points = 0
    for name, b in stats["backends"].items():
        requests.add(b["requests"], {"backend": name, "zone": str(b["zone"])})
        tokens.add(b["input_tokens"], {"backend": name, "direction": "input"})
        tokens.add(b["output_tokens"], {"backend": name, "direction": "output"})
        cost.add(b["cost_usd"], {"backend": name})
        for v in b.get("_ttft", []):
            ttft.record(v, {"backend": name})
        for v in b.get("_latency", []):
            latency.record(v, {"backend": name})
        points += 4
    for tier, n in stats["tiers"].items():
        by_tier.add(n, {"tier": str(tier)})
        points += 1
    fallbacks.add(stats["fallbacks"])
    by_outcome = meter.create_counter("hrouter.requests.by_outcome", unit="{request}",
                                      description="Requests by outcome: served_local, cloud (sent to the cloud), "
                                                  "not_served (refused, failed or interrupted)")
    for outcome, key in (("served_local", "local"), ("cloud", "cloud"), ("not_served", "not_served")):
        if key in stats:
            by_outcome.add(stats[key], {"outcome": outcome})
            points += 1
    data = reader.get_metrics_data()
    exporter = OTLPMetricExporter(endpoint=endpoint, timeout=timeout_s)
    url = getattr(exporter, "_endpoint", None) or endpoint or "the configured collector"
    try:
        result = exporter.export(data)
    finally:
        exporter.shutdown()
        provider.shutdown()
    if result != MetricExportResult.SUCCESS:
        why = capture.reason()
        raise HrouterError(f"OTLP export to {url} failed" + (f": {why}" if why else ""))
    return points + 1


class _Capture(logging.Handler):
    """Collects the exporter's log records, to report the last failure's reason in one line."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def reason(self) -> str | None:
        import re
        tries = sum(1 for r in self.records if str(r.msg).startswith("Transient error"))
        for r in reversed(self.records):
            args = r.args if isinstance(r.args, tuple) else ()
            if str(r.msg).startswith("Failed to encode metrics batch"):
                why = str(args[0]) if args else r.getMessage()
                detail = why.rsplit(")) ", 1)[-1] if ")) " in why else why  # the SDK dumps the whole metric first
                text = f"cannot encode the metrics: {detail}"
            elif str(r.msg).startswith("Failed to export %s batch code"):
                status, why = (args[1], args[2]) if len(args) >= 3 else (None, r.getMessage())
                text = f"HTTP {status} {why}" if status else str(why)
            elif str(r.msg).startswith("Transient error") and args:
                text = str(args[0])
            else:
                continue
            errno = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
            if errno:
                text = errno.group(1).strip().rstrip(".")
                text = text[:1].lower() + text[1:]
            text = " ".join(text.split())
            if len(text) > 200:
                text = text[:200] + "…"
            return text + (f" ({tries + 1} tries)" if tries else "")
        if not self.records:
            return None
        text = " ".join(self.records[-1].getMessage().split())  # one line, never a dump
        return text if len(text) <= 200 else text[:200] + "…"
