"""Load signals read from the backends themselves (issue: backends beyond the first two).

vLLM serves Prometheus text at ``GET /metrics`` with the gauges ``vllm:num_requests_running``
and ``vllm:num_requests_waiting`` (labelled ``model_name``; PROTOCOLS.md §1.7). hrouter reads
them with a short timeout, parses them with prometheus_client's text parser, and counts
running + waiting requests for the backend's model as its load next to hrouter's own
in-flight count. Results are cached per process for ``CACHE_S``. Any failure gives None:
the capacity rule then uses hrouter's own count alone.

For a pool (``hosts``), each host's own ``/metrics`` is read (the functions here take the
single-host config of :meth:`hrouter.policy_model.BackendConfig.for_host`): it orders the hosts
and, through the least loaded usable host, feeds the backend's capacity rule.
"""

from __future__ import annotations

import time

#: How long a reading is reused within one process (s).
CACHE_S = 2.0
_cache: dict[str, tuple[float, int | None]] = {}


def metrics_url(cfg) -> str | None:
    """The ``/metrics`` URL for a backend with ``load_metrics: vllm`` (``metrics_url``, else the
    ``base_url`` with a trailing ``/v1`` replaced by ``/metrics``); for one host of a pool, pass
    ``cfg.for_host(url)``. None when ``load_metrics`` is not set."""
    if getattr(cfg, "load_metrics", None) != "vllm":
        return None
    if getattr(cfg, "metrics_url", None):
        return cfg.metrics_url
    base = (cfg.base_url or "").rstrip("/")
    if base.endswith("/v1"):
        base = base[:-3]
    return base + "/metrics"


def parse_vllm_load(text: str, model: str | None = None) -> int | None:
    """Running + waiting requests in a vLLM ``/metrics`` page (for ``model`` when labelled);
    None when neither gauge is present. Raises ValueError on a malformed page."""
    from prometheus_client.parser import text_string_to_metric_families
    total, seen = 0.0, False
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in ("vllm:num_requests_running", "vllm:num_requests_waiting"):
                if model and sample.labels.get("model_name") not in (None, model):
                    continue
                total += sample.value
                seen = True
    return int(total) if seen else None


def read_load(cfg, *, timeout_s: float = 0.3) -> int | None:
    """The backend's own load (running + waiting requests), or None when not configured or
    unreadable (timeout, HTTP error, parse error, missing prometheus_client)."""
    url = metrics_url(cfg)
    if url is None:
        return None
    now = time.monotonic()
    hit = _cache.get(url)
    if hit and now - hit[0] < CACHE_S:
        return hit[1]
    value = None
    try:
        import httpx
        resp = httpx.get(url, timeout=timeout_s, follow_redirects=False, trust_env=cfg.zone != "local")
        if resp.status_code == 200:
            value = parse_vllm_load(resp.text, cfg.model)
    except Exception:  # noqa: BLE001 - a load signal is advisory: unreadable means unknown
        value = None
    _cache[url] = (now, value)
    return value
