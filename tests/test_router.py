"""The routing decision as a pure function: filters, preferences, the deciding rule, refusals."""

from __future__ import annotations

import pytest

from hrouter.errors import InputError
from hrouter.policy import parse_policy
from hrouter.router import RouteContext, Signals, route
from hrouter.signals import ComplexityResult, Component, Finding, SensitivityResult

POLICY = """version: 1
backends:
  local: {kind: ollama, model: small, zone: local, capability: 3, ttft_ms: 400, context_window: 8192}
  private: {kind: anthropic, model: mid, zone: private-cloud, capability: 6, ttft_ms: 900, base_url: "https://llm.corp.example",
            price: {input_per_mtok: 1, output_per_mtok: 5}}
  cloud: {kind: anthropic, model: big, zone: public-cloud, capability: 9, ttft_ms: 1500,
          price: {input_per_mtok: 3, output_per_mtok: 15}}
budget: {per_request_usd: 0.5}
"""


def sig(tier="public", score=0.1, tokens=20, images=0, errors=()):
    findings = [] if tier == "public" else [Finding("ssn" if tier == "confidential" else "codename", tier, 0, 11, "***")]
    return Signals(SensitivityResult(tier, findings, list(errors)),
                   ComplexityResult(score, {"reasoning": Component(score, 1.0, "test")}), tokens, images)


@pytest.fixture
def policy():
    return parse_policy(POLICY)


def test_simple_public_goes_cheapest_first(policy):
    d = route(sig(score=0.1), RouteContext(), policy)
    assert (d.backend, d.fallbacks, d.rule) == ("local", ["private", "cloud"], "complexity.below_threshold")
    assert d.estimated_cost_usd == 0


def test_complex_public_goes_most_capable_first(policy):
    d = route(sig(score=0.8), RouteContext(), policy)
    assert (d.backend, d.fallbacks, d.rule) == ("cloud", ["private", "local"], "complexity.above_threshold")
    assert d.estimated_cost_usd == pytest.approx((20 * 3 + 1024 * 15) / 1e6)


def test_threshold_is_inclusive(policy):
    assert route(sig(score=0.35), RouteContext(), policy).backend == "cloud"
    assert route(sig(score=0.3499), RouteContext(), policy).backend == "local"


def test_confidential_stays_local_even_when_complex(policy):
    d = route(sig("confidential", score=0.99), RouteContext(), policy)
    assert (d.backend, d.fallbacks, d.rule) == ("local", [], "sensitivity.confidential")
    removed = {c.name: c.removed_by for c in d.candidates}
    assert removed == {"local": None, "private": "sensitivity", "cloud": "sensitivity"}
    assert d.trace[0].startswith("sensitivity: tier confidential from ssn@0-11")


def test_internal_may_use_private_cloud_only(policy):
    d = route(sig("internal", score=0.9), RouteContext(), policy)
    assert (d.backend, d.fallbacks) == ("private", ["local"])
    assert "cloud" not in d.fallbacks


def test_forced_backend_refused_across_tier(policy):
    d = route(sig("confidential"), RouteContext(forced_backend="cloud"), policy)
    assert d.refused and d.backend is None and d.fallbacks == []
    assert "not permitted" in d.refusal and "zone public-cloud not permitted for confidential" in d.refusal


def test_forced_backend_allowed_has_no_fallbacks(policy):
    d = route(sig(score=0.0), RouteContext(forced_backend="cloud"), policy)
    assert (d.backend, d.fallbacks, d.rule) == ("cloud", [], "forced")


def test_forced_unknown_backend_is_input_error(policy):
    with pytest.raises(InputError, match="no such backend"):
        route(sig(), RouteContext(forced_backend="nope"), policy)


def test_no_permitted_backend_refuses():
    p = parse_policy("version: 1\nbackends:\n  c: {kind: anthropic, model: m, zone: public-cloud}\n")
    d = route(sig("confidential"), RouteContext(), p)
    assert d.refused and d.rule == "refused" and "no backend permitted for a confidential prompt" in d.refusal


def test_context_window_and_images_filter(policy):
    d = route(sig(score=0.1, tokens=9000), RouteContext(), policy)
    assert d.backend == "private"  # local's 8192 window is too small
    assert next(c for c in d.candidates if c.name == "local").removed_by == "input"
    d = route(sig(score=0.1, images=1), RouteContext(), policy)
    assert d.backend == "private" and "local" not in d.fallbacks


def test_per_request_budget_removes_expensive(policy):
    # 30k input tokens on cloud: 30000*3/1e6 + 1024*15/1e6 = 0.105; with max_tokens 40000: 0.69 > 0.5
    d = route(sig(score=0.9, tokens=30000), RouteContext(max_tokens=40000), policy)
    cloud = next(c for c in d.candidates if c.name == "cloud")
    assert cloud.removed_by == "budget.per_request" and d.backend == "private"


def test_sla_prefers_fast_local_for_moderately_complex(policy):
    d = route(sig(score=0.6), RouteContext(sla_ms=1000), policy)
    assert (d.backend, d.rule) == ("private", "latency.sla")
    d = route(sig(score=0.6), RouteContext(sla_ms=500), policy)
    assert (d.backend, d.rule, d.fallbacks) == ("local", "latency.sla", ["cloud", "private"])


def test_sla_nothing_meets_keeps_candidates(policy):
    d = route(sig(score=0.6), RouteContext(sla_ms=100), policy)
    assert d.backend == "cloud" and len(d.fallbacks) == 2
    assert any("a slow answer beats a refusal" in t for t in d.trace)


def test_session_budget_ceiling_and_downgrade():
    p = parse_policy(POLICY.replace("budget: {per_request_usd: 0.5}",
                                    "budget: {per_request_usd: 0.5, session_usd: 1.0, downgrade_at: 0.8}"))
    d = route(sig(score=0.9), RouteContext(session_spent_usd=1.0), p)
    assert d.backend == "local" and d.fallbacks == []
    # progressive: at 85% (downgrade_at 80%) the threshold rises 0.35 -> 0.5125, so a clearly hard
    # prompt still earns the cloud while a moderately hard one goes local
    d = route(sig(score=0.9), RouteContext(session_spent_usd=0.85), p)
    assert d.backend == "cloud" and d.threshold == pytest.approx(0.5125)
    d = route(sig(score=0.45), RouteContext(session_spent_usd=0.85), p)
    assert (d.backend, d.rule) == ("local", "budget.downgrade")
    d = route(sig(score=0.9), RouteContext(session_spent_usd=0.99), p)
    assert d.backend == "local" and d.threshold == pytest.approx(0.9675)
    d = route(sig(score=0.9), RouteContext(session_spent_usd=0.1), p)
    assert d.backend == "cloud"
    d = route(sig(score=0.9), RouteContext(session_spent_usd=None), p)
    assert any("spend in this session unknown" in t for t in d.trace)


def test_detector_error_is_in_trace(policy):
    d = route(sig("confidential", errors=["phone: ValueError: boom"]), RouteContext(), policy)
    assert any("failing closed" in t and "boom" in t for t in d.trace)


def test_json_contract_fields(policy):
    j = route(sig("confidential", score=0.2), RouteContext(), policy).to_json()
    for key in ("backend", "model", "zone", "fallbacks", "rule", "sensitivity", "complexity", "tokens",
                "estimated_cost_usd", "trace"):
        assert key in j
    assert j["sensitivity"]["findings"][0] == {"detector": "ssn", "tier": "confidential", "start": 0, "end": 11,
                                               "masked": "***"}
    assert j["complexity"]["components"]["reasoning"] == {"value": 0.2, "weight": 1.0, "detail": "test"}


def test_route_is_pure(policy):
    s = sig(score=0.5)
    assert route(s, RouteContext(), policy).to_json() == route(s, RouteContext(), policy).to_json()


def test_measured_latency_replaces_the_prior(policy):
    d = route(sig(score=0.6), RouteContext(sla_ms=1000, measured_ttft_ms={"cloud": (300.0, 20)}), policy)
    assert d.backend == "cloud"  # measured 300 ms beats the 1500 ms prior
    assert next(c for c in d.candidates if c.name == "cloud").expected_ttft_ms == 300.0


def test_capacity_spills_within_the_tier_only(policy):
    p = parse_policy(POLICY.replace("context_window: 8192}", "context_window: 8192, max_inflight: 2}"))
    d = route(sig(score=0.1), RouteContext(inflight={"local": 2}), p)
    assert (d.backend, d.rule) == ("private", "capacity.spill") and d.fallbacks[-1] == "local"
    d = route(sig("confidential", score=0.1), RouteContext(inflight={"local": 2}), p)
    assert d.backend == "local" and d.fallbacks == [] and d.considerations["capacity"]["wait"] is True
    d = route(sig(score=0.1), RouteContext(inflight={"local": 1}), p)
    assert d.backend == "local" and d.considerations["capacity"]["wait"] is False


def test_cooled_down_backend_is_tried_last(policy):
    d = route(sig(score=0.9), RouteContext(cooldowns={"cloud": "529 overloaded"}), policy)
    assert (d.backend, d.rule, d.fallbacks[-1]) == ("private", "cooldown", "cloud")
