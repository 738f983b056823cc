"""hrouter eval --judge: prompts answered on a loopback local (Ollama) and cloud (Anthropic) backend,
graded by a scripted loopback judge; a confidential prompt is answered and graded locally only."""

from __future__ import annotations

import json

from clitools import audit_records, run_cli, write_policy
from fakes import FakeAnthropic, FakeOllama

MODEL = "llama3.2:3b"


def grade(score):
    return json.dumps({"score": score, "reason": "graded"})


def test_eval_live_end_to_end(tmp_path, hrouter_home):
    prompts = [{"prompt": "What is the capital of France?"},
               {"prompt": "Prove that there are infinitely many primes, step by step."},
               {"prompt": "My SSN is 123-45-6789; summarise my tax position."}]
    data = tmp_path / "prompts.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in prompts))
    with FakeOllama(models=[MODEL], chunks=("local ", "answer")) as local, \
            FakeOllama(models=["judge-model"]) as judge, FakeAnthropic() as cloud:
        # grading order: prompt 1 local, cloud; prompt 2 local, cloud; prompt 3 local only
        judge.script_chat(grade(1.0), grade(1.0), grade(0.2), grade(0.9), grade(0.7))
        pol = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                           extra=f"""  judge:  # a third backend (indented under backends:)
    kind: ollama
    model: judge-model
    host: {judge.url}
    zone: local
""")
        r = run_cli(["eval", str(data), "--judge", "judge", "--json", "--policy", str(pol)],
                    env={"ANTHROPIC_API_KEY": "sk-test"})
        assert r.returncode == 0, r.stderr.decode()
        cloud_prompts = [req.body["messages"][0]["content"] for req in cloud.requests_to("/v1/messages")]
        assert len(cloud_prompts) == 2 and not any("123-45-6789" in json.dumps(c) for c in cloud_prompts)
        assert len(local.requests_to("/api/chat")) == 3
        grades = judge.requests_to("/api/chat")
        assert len(grades) == 5 and all(g.body["format"]["required"] == ["score", "reason"] for g in grades)
    out = json.loads(r.stdout)
    assert out["n"] == 2
    assert out["local_only"]["quality"] == (1.0 + 0.2) / 2 and out["cloud_only"]["quality"] == (1.0 + 0.9) / 2
    assert out["cloud_only"]["cost_usd"] > 0 and out["local_only"]["cost_usd"] == 0
    assert out["live"]["kept_local"] == [{"line": 3, "tier": "confidential", "local_quality": 0.7}]
    assert out["live"]["failed"] == []
    err = r.stderr.decode()
    assert "line 3: tier confidential: evaluated locally only" in err
    egress = [x for x in audit_records(hrouter_home) if x["type"] == "egress"]
    assert len(egress) == 2  # every cloud answer went through the audited path
    requests = [x for x in audit_records(hrouter_home) if x["type"] == "request"]
    assert len(requests) == 5 and all(x["session"] for x in requests)  # the default session, as ask


def test_eval_live_refuses_a_cloud_judge_and_drops_ungraded_prompts(tmp_path):
    data = tmp_path / "p.jsonl"
    data.write_text(json.dumps({"prompt": "What is 2 + 2?"}) + "\n" + json.dumps({"prompt": "Name a colour."}) + "\n")
    with FakeOllama(models=[MODEL]) as local, FakeAnthropic() as cloud:
        pol = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url)
        r = run_cli(["eval", str(data), "--judge", "cloud", "--policy", str(pol)], env={"ANTHROPIC_API_KEY": "sk-test"})
        assert r.returncode == 2 and cloud.requests == [] and local.requests_to("/api/chat") == []
        assert "--judge cloud: kind anthropic, zone public-cloud" in r.stderr.decode()
        # a local judge whose grades are malformed: both prompts dropped, named by line, exit 2
        local.script_chat("x", '{"score": 2, "reason": "r"}')
        r = run_cli(["eval", str(data), "--judge", "local", "--policy", str(pol)], env={"ANTHROPIC_API_KEY": "sk-test"})
    err = r.stderr.decode()
    assert r.returncode == 2
    assert "line 1: judge failed: malformed" in err and "no prompt was answered and graded by both" in err


def test_eval_live_budget_refusal_is_a_failure_not_a_tier(tmp_path, hrouter_home):
    data = tmp_path / "p.jsonl"
    data.write_text(json.dumps({"prompt": "What is the capital of France?"}) + "\n")
    with FakeOllama(models=[MODEL]) as local, FakeAnthropic() as cloud:
        pol = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                           extra="budget: {per_request_usd: 0.000001}\n")
        r = run_cli(["eval", str(data), "--judge", "local", "--policy", str(pol)], env={"ANTHROPIC_API_KEY": "sk-test"})
        assert cloud.requests == [] and local.requests_to("/api/chat") == []
    err = r.stderr.decode()
    assert r.returncode == 2
    assert "line 1: cloud failed: no backend permitted" in err and "per-request budget" in err
    assert "evaluated locally only" not in err


def test_eval_live_honours_the_files_tier_as_a_floor(tmp_path):
    data = tmp_path / "p.jsonl"
    data.write_text(json.dumps({"prompt": "Summarise our acquisition of Zentrix Labs before it is announced",
                                "tier": "confidential"}) + "\n"
                    + json.dumps({"prompt": "Draft the Q3 reorg memo", "tier": "internal"}) + "\n")
    with FakeOllama(models=[MODEL]) as local, FakeOllama(models=["judge-model"]) as judge, FakeAnthropic() as cloud:
        judge.script_chat(grade(0.5), grade(0.6))
        pol = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                           extra=f"  judge: {{kind: ollama, model: judge-model, host: '{judge.url}', zone: local}}\n")
        r = run_cli(["eval", str(data), "--judge", "judge", "--json", "--policy", str(pol)],
                    env={"ANTHROPIC_API_KEY": "sk-test"})
        assert cloud.requests == []  # neither left: internal may not reach public-cloud either
    assert r.returncode == 2  # nothing graded on both sides
    err = r.stderr.decode()
    assert "line 1: tier confidential: evaluated locally only" in err
    assert "line 2: tier internal: evaluated locally only" in err


def test_eval_live_takes_expected_sensitivity_labels_as_floors(tmp_path):
    data = tmp_path / "p.jsonl"
    data.write_text("".join(json.dumps({"prompt": "Summarise Project X's acquisition terms", label: "confidential"}) + "\n"
                            for label in ("expected_tier", "expected")))
    with FakeOllama(models=[MODEL]) as local, FakeOllama(models=["judge-model"]) as judge, FakeAnthropic() as cloud:
        judge.script_chat(grade(0.5), grade(0.6))
        pol = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                           extra=f"  judge: {{kind: ollama, model: judge-model, host: '{judge.url}', zone: local}}\n")
        r = run_cli(["eval", str(data), "--judge", "judge", "--policy", str(pol)], env={"ANTHROPIC_API_KEY": "sk-test"})
        assert cloud.requests == []
    err = r.stderr.decode()
    assert "line 1: tier confidential: evaluated locally only" in err and "line 2: tier confidential" in err


def test_eval_live_refuses_a_pool_as_judge(tmp_path):
    data = tmp_path / "p.jsonl"
    data.write_text(json.dumps({"prompt": "Name a colour."}) + "\n")
    pol = write_policy(tmp_path, ollama_url="http://127.0.0.1:9", anthropic_url="http://127.0.0.1:9",
                       extra="  pool: {kind: ollama, model: m, zone: local, hosts: ['http://127.0.0.1:7', 'http://127.0.0.1:8']}\n")
    r = run_cli(["eval", str(data), "--judge", "pool", "--policy", str(pol)])
    assert r.returncode == 2 and b"--judge pool: a pool (hosts:) cannot be the judge" in r.stderr
