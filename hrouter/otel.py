"""Optional OpenTelemetry export of ``hrouter stats`` (``pip install 'hrouter[otel]'``).

Pushes the aggregates once over OTLP/HTTP (protobuf) to a collector: counters
``hrouter.requests`` {backend, zone}, ``hrouter.tokens`` {backend, direction},
``hrouter.cost`` (USD) {backend}, ``hrouter.fallbacks``, ``hrouter.requests.by_tier`` {tier}
and histograms ``hrouter.ttft`` / ``hrouter.latency`` (ms) {backend}. Metric names follow
the OpenTelemetry naming guidelines (dot-separated, unit in ``unit``).
Off unless asked for; the packages are imported only here.
"""

from __future__ import annotations

from .errors import InputError


def export_otlp(stats: dict, endpoint: str | None = None, *, timeout_s: float = 10.0) -> int:
    """Send ``stats`` (from :func:`hrouter.stats.compute_stats`) to an OTLP/HTTP collector.

    ``endpoint``: the metrics URL (e.g. ``http://127.0.0.1:4318/v1/metrics``); None uses the
    exporter's own environment (``OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`` /
    ``OTEL_EXPORTER_OTLP_ENDPOINT``). Returns the number of data points sent.
    Raises :class:`InputError` when the ``otel`` extra is not installed, and
    :class:`hrouter.errors.HrouterError` when the collector rejects or cannot be reached.
    """
    try:
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader, MetricExportResult
        from opentelemetry.sdk.resources import Resource
    except ImportError:
        raise InputError("OpenTelemetry export needs the otel extra: pip install 'hrouter[otel]'") from None
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
    data = reader.get_metrics_data()
    exporter = OTLPMetricExporter(endpoint=endpoint, timeout=timeout_s)
    try:
        result = exporter.export(data)
    finally:
        exporter.shutdown()
        provider.shutdown()
    if result != MetricExportResult.SUCCESS:
        raise HrouterError(f"OTLP export to {endpoint or 'the configured collector'} failed")
    return points + 1
