"""The second opinion (hrouter.deciders): learned model from a JSON file, the local judge over a
scripted loopback Ollama, and the cascade band; failures leave the rules deciding, in the trace."""

from __future__ import annotations

import json

import pytest

from fakes import FakeOllama, ScriptedReply
from hrouter.deciders import default_judge, second_opinion
from hrouter.learn.features import DENSE
from hrouter.learn.model import LearnedModel
from hrouter.policy import parse_policy
from hrouter.signals import ComplexityResult, Component

MODEL = "llama3.2:3b"


def policy(extra: str, url: str = "http://127.0.0.1:9"):
    return parse_policy(f"""version: 1
backends:
  local: {{kind: ollama, model: "{MODEL}", zone: local, host: "{url}"}}
  cloud: {{kind: anthropic, model: big, zone: public-cloud}}
{extra}""")


def comp(score: float) -> ComplexityResult:
    return ComplexityResult(score, {"reasoning": Component(score, 1.0, "test")})


def model_file(tmp_path, bias: float) -> str:
    """A model whose P(local ok) is sigmoid(bias) for every prompt (all weights 0)."""
    m = LearnedModel(buckets=64, bias=bias, dense=[0.0] * len(DENSE), ngrams=[0.0] * 64)
    path = tmp_path / "m.json"
    m.save(path)
    return str(path)


def test_rules_logic_has_no_opinion():
    assert second_opinion(policy(""), "hi", comp(0.1), 3, 0, "public") is None


def test_learned_decides_with_its_probability(tmp_path):
    pol = policy(f"router: learned\nlearned: {{model: {model_file(tmp_path, 2.0)}, threshold: 0.3}}\n")
    op = second_opinion(pol, "Write a sonnet about the sea", comp(0.9), 8, 0, "public")
    j = op.judgement
    assert j.decided_by == "learned" and j.threshold == 0.3
    assert j.score == pytest.approx(1 / (1 + 2.718281828459045 ** 2.0), abs=1e-4)  # 1 - sigmoid(2) = 0.1192
    assert j.outputs["learned"]["p_local_ok"] == pytest.approx(0.8808, abs=1e-4)
    assert op.features["tokens"] == 8 and "h" in op.features and "Write" not in json.dumps(op.features)


def test_missing_model_file_leaves_the_rules_deciding(tmp_path):
    pol = policy(f"router: learned\nlearned: {{model: {tmp_path / 'absent.json'}}}\n")
    op = second_opinion(pol, "hi", comp(0.9), 3, 0, "public")
    assert op.judgement.decided_by == "rules"
    assert any(n.startswith("learned: unavailable (") and n.endswith("the rules decide") for n in op.judgement.notes)


def test_cascade_asks_the_second_opinion_only_inside_the_band(tmp_path):
    pol = policy(f"router: cascade\ncascade: {{band: 0.1}}\nlearned: {{model: {model_file(tmp_path, -3.0)}}}\n")
    clear = second_opinion(pol, "x", comp(0.8), 3, 0, "public").judgement
    assert clear.decided_by == "rules" and "clear case, the rules decide" in clear.notes[0]
    near = second_opinion(pol, "x", comp(0.30), 3, 0, "public").judgement
    assert near.decided_by == "learned" and near.score == pytest.approx(0.9526, abs=1e-4)
    assert "within 0.10 of the threshold: the learned opinion decides" in near.notes[0]


def test_judge_verdict_raises_the_tier_and_decides():
    with FakeOllama(models=[MODEL]) as fake:
        fake.script_chat(json.dumps({"complexity": 0.8, "needs_cloud": True, "sensitivity": "confidential",
                                     "reason": "Contains a diagnosis."}))
        pol = policy("router: judge\njudge: {backend: local, timeout_ms: 5000}\n", fake.url)
        op = second_opinion(pol, "the patient's chart says", comp(0.1), 5, 0, "internal",
                            judge_factory=lambda p: default_judge(p))
        assert len(fake.requests_to("/api/chat")) == 1
    assert op.raised_tier == "confidential"
    j = op.judgement
    assert (j.decided_by, j.score, j.needs_cloud) == ("judge", 0.8, True)
    assert j.outputs["judge"]["status"] == "ok" and j.outputs["judge"]["latency_ms"] >= 0
    assert "judge: raised the tier internal -> confidential" in j.notes


def test_slow_judge_times_out_and_the_rules_decide():
    with FakeOllama(models=[MODEL]) as fake:
        fake.script_chat(ScriptedReply(content="{}", delay_s=5.0))
        pol = policy("router: judge\njudge: {backend: local, timeout_ms: 300}\n", fake.url)
        op = second_opinion(pol, "hi", comp(0.1), 3, 0, "public", judge_factory=lambda p: default_judge(p))
    assert op.judgement.decided_by == "rules" and op.raised_tier is None
    assert op.judgement.outputs["judge"]["status"] == "timeout"
    assert any("timeout" in n and "the rules decide" in n for n in op.judgement.notes)
