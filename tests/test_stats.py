"""hrouter stats: numbers checked against an independent computation; speed on 100k records."""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timedelta, timezone

from clitools import run_cli
from hrouter.stats import compute_stats, percentile, to_prometheus


def synthetic(n: int, seed: int = 7, start=datetime(2026, 11, 1, tzinfo=timezone.utc)):
    rnd = random.Random(seed)
    recs = []
    for i in range(n):
        cloud = rnd.random() < (0.9 if i >= n - n // 10 else 0.2)  # the last tenth shifts to the cloud
        recs.append({"type": "request", "ts": (start + timedelta(minutes=10 * i)).isoformat().replace("+00:00", "Z"),
                     "backend": "cloud" if cloud else "local", "zone": "public-cloud" if cloud else "local",
                     "cloud_egress": cloud, "tier": rnd.choice(["public", "public", "internal", "confidential"]),
                     "rule": rnd.choice(["complexity.below_threshold", "complexity.above_threshold"]),
                     "status": "ok", "attempts": [{}] * rnd.choice([1, 1, 1, 2]),
                     "input_tokens": rnd.randint(1, 500), "output_tokens": rnd.randint(1, 900),
                     "cost_usd": round(rnd.random() / 100, 6) if cloud else 0.0,
                     "ttft_ms": rnd.uniform(5, 2000), "latency_ms": rnd.uniform(2000, 9000)})
    return recs


def test_numbers_match_an_independent_computation():
    recs = synthetic(3000)
    recs.append({"type": "egress", "ts": recs[0]["ts"], "backend": "cloud"})  # not a request: skipped
    st = compute_stats(recs, by="day")
    reqs = [r for r in recs if r["type"] == "request"]
    assert st["requests"] == 3000
    assert st["cloud_share"] == round(sum(r["cloud_egress"] for r in reqs) / 3000, 4)
    cloud = [r for r in reqs if r["backend"] == "cloud"]
    b = st["backends"]["cloud"]
    assert b["requests"] == len(cloud)
    assert b["input_tokens"] == sum(r["input_tokens"] for r in cloud)
    assert b["cost_usd"] == round(sum(r["cost_usd"] for r in cloud), 6)
    ttfts = sorted(r["ttft_ms"] for r in cloud)
    assert b["ttft_ms"]["p50"] == ttfts[(len(ttfts) + 1) // 2 - 1]
    assert st["fallbacks"] == sum(len(r["attempts"]) > 1 for r in reqs)
    assert sum(st["tiers"].values()) == 3000
    days = {r["ts"][:10] for r in reqs}
    assert [x["bucket"] for x in st["buckets"]] == sorted(days)
    assert sum(x["cloud"] for x in st["buckets"]) == len(cloud)
    assert st["shifts"] and all(s["cloud_share"] > s["trailing"] + 0.25 for s in st["shifts"])
    assert st["shifts"][0]["bucket"] >= reqs[2700]["ts"][:10]  # flagged where the shift begins, not before


def test_percentile_nearest_rank():
    assert percentile([], 50) is None
    assert percentile([5, 1, 3], 50) == 3 and percentile([1, 2, 3, 4], 95) == 4 and percentile([7], 95) == 7


def test_100k_records_under_2_seconds(tmp_path):
    recs = synthetic(100_000)
    path = tmp_path / "audit.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    pol = tmp_path / "p.yaml"
    pol.write_text(f"version: 1\nbackends:\n  a: {{kind: ollama, model: m, zone: local}}\naudit:\n  path: {path}\n")
    import resource

    def children_cpu() -> float:  # CPU seconds of finished child processes: steady on a loaded machine
        ru = resource.getrusage(resource.RUSAGE_CHILDREN)
        return ru.ru_utime + ru.ru_stime

    t0 = children_cpu()
    r = run_cli(["stats", "--json", "--since", "3650d", "--policy", str(pol)], timeout=60)
    elapsed = children_cpu() - t0
    assert r.returncode == 0, r.stderr
    st = json.loads(r.stdout)
    assert st["requests"] == 100_000
    assert st["backends"]["local"]["requests"] == sum(1 for x in recs if x["backend"] == "local")
    assert elapsed < 2.0 * 3  # 2 s target on an idle machine; generous margin for a loaded CI box
    print(f"stats over 100k records: {elapsed:.2f} s")


def test_prometheus_exposition():
    text = to_prometheus(compute_stats(synthetic(50)))
    lines = text.splitlines()
    assert "# TYPE hrouter_requests_total counter" in lines
    assert any(l.startswith('hrouter_ttft_seconds_bucket{backend="local",le="+Inf"} ') for l in lines)
    local = compute_stats(synthetic(50))["backends"]["local"]["requests"]
    assert f'hrouter_requests_total{{backend="local",zone="local"}} {local}' in lines
    for l in lines:
        assert l.startswith("#") or l.count(" ") == 1  # name{labels} value


def test_stats_cli_table_and_errors(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in synthetic(200, start=datetime.now(timezone.utc)
                                                                    - timedelta(days=1))))
    pol = tmp_path / "p.yaml"
    pol.write_text(f"version: 1\nbackends:\n  a: {{kind: ollama, model: m, zone: local}}\naudit:\n  path: {path}\n")
    r = run_cli(["stats", "--by", "hour", "--policy", str(pol)])
    assert r.returncode == 0 and b"local/cloud split per hour" in r.stdout and b"per backend" in r.stdout
    r = run_cli(["stats", "--format", "prometheus", "--policy", str(pol)])
    assert r.stdout.startswith(b"# HELP hrouter_requests_total")
    assert run_cli(["stats", "--by", "week", "--policy", str(pol)]).returncode == 2


def test_otlp_export_reaches_a_loopback_collector(tmp_path):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    pytest = __import__("pytest")
    pytest.importorskip("opentelemetry.exporter.otlp.proto.http.metric_exporter")
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

    received = []

    class Collector(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append((self.path, self.headers["content-type"], body))
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        path = tmp_path / "audit.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in synthetic(40, start=datetime.now(timezone.utc)
                                                                        - timedelta(hours=10))))
        pol = tmp_path / "p.yaml"
        pol.write_text(f"version: 1\nbackends:\n  a: {{kind: ollama, model: m, zone: local}}\naudit:\n  path: {path}\n")
        url = f"http://127.0.0.1:{server.server_address[1]}/v1/metrics"
        r = run_cli(["stats", "--format", "otlp", "--otlp-endpoint", url, "--policy", str(pol)])
        assert r.returncode == 0, r.stderr
    finally:
        server.shutdown()
    (p, ctype, body), = received
    assert p == "/v1/metrics" and ctype == "application/x-protobuf"
    req = ExportMetricsServiceRequest.FromString(body)
    metrics = {m.name: m for rm in req.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    assert {"hrouter.requests", "hrouter.tokens", "hrouter.cost", "hrouter.ttft"} <= set(metrics)
    total = sum(dp.as_int for dp in metrics["hrouter.requests"].sum.data_points)
    assert total == 40
    outcomes = {dict((a.key, a.value.string_value) for a in dp.attributes)["outcome"]: dp.as_int
                for dp in metrics["hrouter.requests.by_outcome"].sum.data_points}
    assert outcomes == {"served_local": 40 - outcomes["cloud"], "cloud": outcomes["cloud"], "not_served": 0}


def test_otlp_without_the_extra_is_a_clear_error(monkeypatch):
    import pytest
    import sys as _sys
    from hrouter.errors import InputError
    from hrouter.otel import export_otlp
    monkeypatch.setitem(_sys.modules, "opentelemetry.exporter.otlp.proto.http.metric_exporter", None)
    with pytest.raises(InputError, match=r"pip install 'hrouter\[otel\]'"):
        export_otlp(compute_stats(synthetic(5)))


def _outcome_records():
    """12 served locally, 3 sent to the cloud (one of them failed there, one fell back to local),
    5 that nothing served: 2 refused, 2 failed locally, 1 interrupted."""
    now = datetime.now(timezone.utc) - timedelta(hours=1)
    recs = []

    def add(n, **kw):
        for _ in range(n):
            recs.append({"type": "request", "ts": (now + timedelta(seconds=len(recs))).isoformat().replace("+00:00", "Z"),
                         "tier": "public", "rule": "r", "attempts": [{}], **kw})
    add(12, backend="local", zone="local", cloud_egress=False, status="ok")
    add(1, backend="cloud", zone="public-cloud", cloud_egress=True, status="ok")
    add(1, backend=None, zone=None, cloud_egress=True, status="error")
    add(1, backend="local", zone="local", cloud_egress=True, status="ok")  # cloud failed, local answered
    add(2, backend=None, zone=None, cloud_egress=False, status="refused")
    add(2, backend=None, zone=None, cloud_egress=False, status="error")
    add(1, backend=None, zone=None, cloud_egress=False, status="interrupted")
    return recs


def test_split_served_locally_sent_to_cloud_not_served_adds_up(tmp_path):
    st = compute_stats(_outcome_records())
    assert (st["requests"], st["local"], st["cloud"], st["not_served"]) == (20, 12, 3, 5)
    assert st["not_served_by_status"] == {"refused": 2, "error": 2, "interrupted": 1}
    (b,) = st["buckets"]
    assert (b["requests"], b["local"], b["cloud"], b["not_served"]) == (20, 12, 3, 5)
    assert st["cloud_share"] == 0.15 and st["refusals"] == 2  # existing keys unchanged
    prom = to_prometheus(st).splitlines()
    for outcome, n in (("served_local", 12), ("cloud", 3), ("not_served", 5)):
        assert f'hrouter_requests_by_outcome_total{{outcome="{outcome}"}} {n}' in prom
    path = tmp_path / "audit.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _outcome_records()))
    pol = tmp_path / "p.yaml"
    pol.write_text(f"version: 1\nbackends:\n  a: {{kind: ollama, model: m, zone: local}}\naudit:\n  path: {path}\n")
    r = run_cli(["stats", "--policy", str(pol)])
    lines = r.stdout.decode().splitlines()
    assert r.returncode == 0
    assert lines[0].startswith("20 request(s) since 7d: 12 served locally, 3 sent to the cloud, 5 not served "
                               "(2 failed, 2 refused, 1 interrupted); cloud share 15%")
    header = next(line for line in lines if line.startswith("bucket"))
    assert header.split()[:8] == ["bucket", "requests", "served", "locally", "sent", "to", "cloud", "not"]
    row = lines[lines.index(header) + 1].split()
    assert row[1:5] == ["20", "12", "3", "5"]
    j = json.loads(run_cli(["stats", "--json", "--policy", str(pol)]).stdout)
    assert (j["local"], j["cloud"], j["not_served"]) == (12, 3, 5) and j["buckets"][0]["not_served"] == 5


def test_otlp_failure_is_one_line_naming_the_endpoint(tmp_path):
    __import__("pytest").importorskip("opentelemetry.exporter.otlp.proto.http.metric_exporter")
    from fakes import free_port
    pol = tmp_path / "p.yaml"
    pol.write_text(f"version: 1\nbackends:\n  a: {{kind: ollama, model: m, zone: local}}\n"
                   f"audit:\n  path: {tmp_path / 'audit.jsonl'}\n")
    url = f"http://127.0.0.1:{free_port()}/v1/metrics"
    r = run_cli(["stats", "--format", "otlp", "--otlp-endpoint", url, "--policy", str(pol)])
    err = r.stderr.decode()
    assert r.returncode == 1 and err.count("\n") == 1, err
    assert err.startswith(f"hrouter: error: OTLP export to {url} failed: connection refused")
    assert "Transient error" not in err and "HTTPConnectionPool" not in err
    r = run_cli(["stats", "--format", "otlp", "--policy", str(pol)],
                env={"OTEL_EXPORTER_OTLP_ENDPOINT": url.rsplit("/v1/", 1)[0]})
    assert r.stderr.decode().startswith(f"hrouter: error: OTLP export to {url} failed"), r.stderr
