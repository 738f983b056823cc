"""route() with a second opinion (router: learned | judge | cascade): the deciding model, its rule
names, the budget downgrade on its threshold, and that no opinion can cross a sensitivity boundary."""

from __future__ import annotations

import dataclasses

import pytest

from hrouter.policy import parse_policy
from hrouter.router import Judgement, RouteContext, Signals, route
from hrouter.signals import ComplexityResult, Component, Finding, SensitivityResult

POLICY = """version: 1
backends:
  local: {kind: ollama, model: small, zone: local, capability: 3}
  cloud: {kind: anthropic, model: big, zone: public-cloud, capability: 9,
          price: {input_per_mtok: 3, output_per_mtok: 15}}
budget: {session_usd: 1.0, downgrade_at: 0.8}
"""


def sig(score=0.1, judgement=None, tier="public"):
    findings = [] if tier == "public" else [Finding("ssn", tier, 0, 11, "***")]
    return Signals(SensitivityResult(tier, findings, []),
                   ComplexityResult(score, {"reasoning": Component(score, 1.0, "test")}), 20, 0,
                   judgement=judgement)


@pytest.fixture
def policy():
    return parse_policy(POLICY)


def learned(p_cloud, threshold=0.5):
    return Judgement(logic="learned", decided_by="learned", score=p_cloud, threshold=threshold,
                     outputs={"learned": {"p_local_ok": 1 - p_cloud}})


def test_learned_overrides_the_rules_both_ways(policy):
    d = route(sig(score=0.9, judgement=learned(0.2)), RouteContext(), policy)
    assert (d.backend, d.rule) == ("local", "learned.below_threshold")
    assert "learned: P(local insufficient) 0.20 < threshold 0.50: cheapest first" in d.trace
    d = route(sig(score=0.0, judgement=learned(0.5)), RouteContext(), policy)
    assert (d.backend, d.rule) == ("cloud", "learned.above_threshold")  # inclusive threshold
    assert d.to_json()["judgement"]["decided_by"] == "learned"


def test_rules_decide_when_the_judgement_says_so(policy):
    j = Judgement(logic="cascade", decided_by="rules", notes=("cascade: score 0.90 is 0.55 from the threshold",))
    d = route(sig(score=0.9, judgement=j), RouteContext(), policy)
    assert (d.backend, d.rule) == ("cloud", "complexity.above_threshold")
    assert "cascade: score 0.90 is 0.55 from the threshold" in d.trace


def test_judge_needs_cloud_decides(policy):
    j = Judgement(logic="judge", decided_by="judge", score=0.7, threshold=0.35, needs_cloud=True)
    assert route(sig(score=0.0, judgement=j), RouteContext(), policy).rule == "judge.needs_cloud"
    j = dataclasses.replace(j, needs_cloud=False)
    d = route(sig(score=0.99, judgement=j), RouteContext(), policy)
    assert (d.backend, d.rule) == ("local", "judge.local_ok")


def test_budget_downgrade_raises_the_learned_threshold(policy):
    # 90 % of the session spent, downgrade_at 80 %: thresholds move half-way to 1.0
    ctx = RouteContext(session="s", session_spent_usd=0.9)
    d = route(sig(judgement=learned(0.7)), ctx, policy)
    assert (d.backend, d.rule) == ("local", "budget.downgrade")  # 0.7 < 0.75
    assert "learned: P(local insufficient) 0.70 < threshold 0.75: cheapest first" in d.trace
    assert route(sig(judgement=learned(0.8)), ctx, policy).backend == "cloud"
    j = Judgement(logic="judge", decided_by="judge", score=0.5, needs_cloud=True)
    d = route(sig(judgement=j), ctx, policy)  # judge complexity 0.5 < raised rules threshold 0.675
    assert (d.backend, d.rule) == ("local", "budget.downgrade")


def test_no_opinion_crosses_the_sensitivity_boundary(policy):
    for j in (learned(1.0), Judgement(logic="judge", decided_by="judge", score=1.0, needs_cloud=True)):
        d = route(sig(score=1.0, judgement=j, tier="confidential"), RouteContext(), policy)
        assert (d.backend, d.fallbacks) == ("local", [])
        assert d.rule == "sensitivity.confidential"


BASE = """version: 1
backends:
  local: {kind: ollama, model: small, zone: local}
  cloud: {kind: anthropic, model: big, zone: public-cloud}
"""


@pytest.mark.parametrize("extra, where, message", [
    ("router: smart\n", ":5: router", "must be one of rules, learned, judge, cascade"),
    ("router: learned\n", ":5: learned.model", "router: learned needs 'learned: {model: PATH}'"),
    ("router: judge\n", ":5: judge.backend", "router: judge needs 'judge: {backend: NAME}'"),
    ("router: cascade\ncascade: {second: judge}\n", ":5: judge.backend", "needs 'judge: {backend: NAME}'"),
    ("judge: {backend: cloud}\n", ":5: judge.backend", "must be an ollama backend in zone local"),
    ("judge: {backend: nope}\n", ":5: judge.backend", "no backend named 'nope'"),
    ("judge: {backend: local, timeout_ms: 10}\n", ":5: judge.timeout_ms", ""),
    ("learned: {model: m.json, threshold: 1.5}\n", ":5: learned.threshold", ""),
    ("cascade: {band: 0.1, second: rules}\n", ":5: cascade.second", ""),
])
def test_router_section_errors_name_line_and_key(extra, where, message):
    from hrouter.errors import PolicyError
    with pytest.raises(PolicyError) as info:
        parse_policy(BASE + extra, source="p.yaml")
    text = str(info.value)
    assert f"p.yaml{where}" in text and message in text


def test_learned_model_path_is_relative_to_the_policy_file(tmp_path):
    path = tmp_path / "sub" / "policy.yaml"
    path.parent.mkdir()
    path.write_text(BASE + "router: cascade\nlearned: {model: models/m.json, threshold: 0.6}\ncascade: {band: 0.05}\n")
    from hrouter.policy import load_policy
    p = load_policy(path)
    assert (p.router, p.learned.model, p.learned.threshold) == ("cascade", str(tmp_path / "sub" / "models" / "m.json"), 0.6)
    assert (p.cascade.band, p.cascade.second, p.judge.backend) == (0.05, "learned", None)


def test_trace_never_states_a_false_complexity_comparison(policy):
    d = route(sig(score=0.02, judgement=learned(0.9)), RouteContext(), policy)
    assert d.backend == "cloud"
    assert not any(t.startswith("complexity: score") for t in d.trace)
    assert any(t.startswith("learned: capable tier: most capable first (cloud 9, local 3)") for t in d.trace)
    d = route(sig(score=0.9, judgement=learned(0.1)), RouteContext(), policy)
    assert any(t.startswith("learned: cheap tier: cheapest first (local $0") for t in d.trace)
