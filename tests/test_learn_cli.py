"""``hrouter feedback``, ``train``, ``calibrate`` and ``eval`` end to end (``python -m hrouter``;
no network: the policy's backends are never called)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clitools import run_cli, write_policy
from test_learn import ROUTELLM, needs_routellm, synthetic

from hrouter.audit import AuditLog
from hrouter.learn.features import extract
from hrouter.learn.model import load_model
from hrouter.state import StateDB

DATA = Path(__file__).resolve().parent / "data"
RID_LOCAL = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
RID_CLOUD = "f9e8d7c6b5a4938271605f4e3d2c1b0a"


@pytest.fixture
def policy(tmp_path):
    return write_policy(tmp_path, ollama_url="http://127.0.0.1:9", anthropic_url="http://127.0.0.1:9")


def cli(*args, policy=None, ok=True):
    r = run_cli([*args, *(["--policy", str(policy)] if policy else [])])
    if ok is not None:
        assert (r.returncode == 0) == ok, (r.returncode, r.stdout.decode(), r.stderr.decode())
    return r


def audit(home: Path, *records: dict) -> None:
    log = AuditLog(home / "state" / "audit.jsonl")
    for rec in records:
        log.append({"type": "request", "ts": "2026-11-29T10:00:00.000Z", "status": "ok", "tier": "public",
                    "components": {"reasoning": 0.6, "code": 0.0, "math": 0.0}, "input_tokens": 40, **rec})


def labels() -> list[dict]:
    with StateDB.open_default() as db:
        return db.feedback()


def error_line(r) -> str:
    """The error: one line, the last on stderr (progress notes may come before it)."""
    lines = r.stderr.decode().splitlines(keepends=True)
    errors = [line for line in lines if line.startswith("hrouter: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0] and errors[0].endswith("\n"), lines
    return errors[0]


# --------------------------------------------------------------------------- feedback ID|last

def test_feedback_labels_a_remembered_local_request(policy):
    feats = extract("What is the capital of France?")
    with StateDB.open_default() as db:
        db.remember_request(RID_LOCAL, tier="public", backend="local", zone="local", features=feats,
                            prompt="What is the capital of France?")
    r = cli("feedback", RID_LOCAL, "good", "--note", "fine", policy=policy)
    assert r.stdout.decode() == f"labelled {RID_LOCAL} good: a local answer (local): local_ok true\n"
    rows = labels()
    assert len(rows) == 1
    row = rows[0]
    assert (row["key"], row["label"], row["local_ok"], row["note"], row["source"]) == \
        (f"req:{RID_LOCAL}", "good", True, "fine", "feedback")
    assert row["features"] == feats and row["prompt"] is None  # audit.log_prompt is not raw: no text
    cli("feedback", RID_LOCAL, "bad", policy=policy)  # re-labelling replaces the label
    rows = labels()
    assert len(rows) == 1 and rows[0]["local_ok"] is False and rows[0]["label"] == "bad"


def test_feedback_last_on_a_cloud_answer_is_kept_but_not_trained_on(policy, hrouter_home):
    audit(hrouter_home, {"id": RID_LOCAL, "backend": "local", "zone": "local"},
          {"id": RID_CLOUD, "backend": "cloud", "zone": "public-cloud"},
          {"id": "e" * 32, "backend": None, "zone": None, "status": "error"})
    r = cli("feedback", "last", "bad", "--json", policy=policy)
    out = json.loads(r.stdout)
    assert out["request_id"] == RID_CLOUD and out["local_ok"] is None and out["zone"] == "public-cloud"
    assert out["partial_features"] is True  # components from the audit record; no prompt, no n-grams
    r = cli("feedback", "last", "good", policy=policy)
    assert "stored, not used for training" in r.stdout.decode()
    rows = labels()
    assert len(rows) == 1 and rows[0]["features"]["c"]["reasoning"] == 0.6 and "h" not in rows[0]["features"]
    with StateDB.open_default() as db:
        assert db.feedback(labelled_only=True) == []


def test_feedback_by_id_prefix_from_the_audit_log(policy, hrouter_home):
    audit(hrouter_home, {"id": RID_LOCAL, "backend": "local", "zone": "local"})
    r = cli("feedback", RID_LOCAL[:10], "good", policy=policy)
    assert r.stdout.decode().startswith(f"labelled {RID_LOCAL} good: a local answer")
    assert labels()[0]["local_ok"] is True


def test_feedback_errors_are_one_line_with_exit_2(policy, hrouter_home):
    audit(hrouter_home, {"id": RID_CLOUD, "backend": None, "zone": None, "status": "refused"})
    r = cli("feedback", "nope", "good", policy=policy, ok=False)
    assert r.returncode == 2 and "feedback: no request 'nope'" in error_line(r)
    r = cli("feedback", RID_CLOUD, "good", policy=policy, ok=False)
    assert r.returncode == 2 and "status 'refused'" in error_line(r)
    r = cli("feedback", RID_CLOUD, "meh", policy=policy, ok=False)
    assert r.returncode == 2 and "must be good or bad" in error_line(r)
    r = cli("feedback", "last", "good", policy=policy, ok=False)
    assert r.returncode == 2 and "no answered request" in error_line(r)
    assert labels() == []


def test_feedback_keeps_the_prompt_only_under_log_prompt_raw(tmp_path, hrouter_home):
    raw = write_policy(tmp_path, ollama_url="http://127.0.0.1:9", extra="audit:\n  log_prompt: raw\n", name="raw.yaml")
    audit(hrouter_home, {"id": RID_LOCAL, "backend": "local", "zone": "local", "prompt": "What is 2+2?"})
    cli("feedback", "last", "good", policy=raw)
    row = labels()[0]
    assert row["prompt"] == "What is 2+2?" and row["features"]["h"]  # n-grams from the logged prompt


# --------------------------------------------------------------------------- feedback import

def write_jsonl(path: Path, rows: list[tuple[str, bool]]) -> Path:
    path.write_text("".join(json.dumps({"prompt": p, "local_ok": ok, "tier": "public"}) + "\n" for p, ok in rows))
    return path


def test_import_reports_the_bad_line_and_imports_nothing(policy, tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"prompt": "a", "local_ok": true}\n{"prompt": "b", "local_ok": false}\n{"prompt": "c"}\n')
    r = cli("feedback", "import", str(path), policy=policy, ok=False)
    assert r.returncode == 2
    assert error_line(r) == f"hrouter: error: {path}:3: missing 'local_ok' (true or false)\n"
    assert labels() == []


def test_import_is_idempotent(policy, tmp_path):
    path = write_jsonl(tmp_path / "labels.jsonl", list(dict(synthetic(60)).items()))
    n = len(dict(synthetic(60)))
    r = cli("feedback", "import", str(path), policy=policy)
    assert r.stdout.decode().startswith(f"imported {n} label(s) from {path}: {n} new, 0 updated;")
    assert "features only, no prompt text" in r.stdout.decode()
    r = cli("feedback", "import", str(path), "--json", policy=policy)
    out = json.loads(r.stdout)
    assert (out["rows"], out["new"], out["updated"]) == (n, 0, n)
    rows = labels()
    assert len(rows) == n and all(r["prompt"] is None and r["source"] == "import" for r in rows)
    assert all(r["key"].startswith("imp:hmac-sha256:") for r in rows)


# --------------------------------------------------------------------------- train

def test_train_from_feedback_labels_and_from_a_file(policy, tmp_path, hrouter_home):
    r = cli("train", "--engine", "python", policy=policy, ok=False)
    assert r.returncode == 2 and "no labels in the state db yet" in error_line(r)
    path = write_jsonl(tmp_path / "labels.jsonl", synthetic(300))
    cli("feedback", "import", str(path), policy=policy)
    r = cli("train", "--engine", "python", "--json", policy=policy)
    out = json.loads(r.stdout)
    model_path = hrouter_home / "state" / "learned-router.json"
    assert out["model"] == str(model_path) and model_path.exists()
    assert out["cv"]["learned"]["auc"] > 0.85 > out["cv"]["rules"]["auc"]
    assert out["load_ms"] < 50 and out["bytes"] < 40_000
    assert load_model(model_path).training["rows"] == out["rows"]
    r = cli("train", "--from", str(path), "--out", str(tmp_path / "m.json"), "--engine", "python", "--buckets", "256",
            "--folds", "3", policy=policy)
    text = r.stdout.decode()
    assert "3-fold cross-validation" in text and "learned (P(local ok) > 0.5)" in text
    assert "rules (complexity < 0.35)" in text and f"wrote {tmp_path / 'm.json'}" in text
    assert load_model(tmp_path / "m.json").buckets == 256
    r = cli("train", "--from", str(path), "--buckets", "300", policy=policy, ok=False)
    assert r.returncode == 2 and "--buckets must be one of" in error_line(r)


# --------------------------------------------------------------------------- calibrate

def test_calibrate_prints_the_threshold_and_writes_a_policy_copy(policy, tmp_path):
    prompts = DATA / "complexity-sample.jsonl"
    copy = tmp_path / "tuned.yaml"
    original = policy.read_bytes()
    # (at 0.30 it would say "not reachable": 8 of these prompts tie at 0.45, a jump from 23.8 % to 33.8 %)
    r = cli("calibrate", "--target-cloud-share", "0.35", "--write-policy", str(copy), str(prompts), policy=policy)
    lines = r.stdout.decode().splitlines()
    assert lines[0].startswith("router rules: complexity.threshold ") and ": ok (now 0.35:" in lines[0]
    threshold = float(lines[0].split()[3])
    assert lines[1] == f"complexity: {{threshold: {threshold!r}}}"
    assert lines[2] == f"wrote {copy} (a copy of {policy} with complexity.threshold: {threshold!r})"
    assert policy.read_bytes() == original  # the original is untouched
    assert f"complexity:\n  threshold: {threshold!r}\n" in copy.read_text()
    r = cli("calibrate", "--target-cloud-share", "0.35", "--json", str(prompts), policy=policy)
    cal = json.loads(r.stdout)
    assert cal["threshold"] == threshold and cal["within"] and abs(cal["achieved_share"] - 0.35) <= 0.02
    cli("policy", "validate", str(copy))
    # the copy routes that share of the prompts to the cloud
    r = run_cli(["explain", "--jsonl", "--policy", str(copy)], input=prompts.read_bytes())
    routes = [json.loads(line)["zone"] for line in r.stdout.decode().splitlines()]
    assert sum(z != "local" for z in routes) == cal["cloud"]


def test_calibrate_says_when_ties_make_the_target_unreachable(policy, tmp_path):
    path = write_jsonl(tmp_path / "trivial.jsonl", [(f"hi number {i}", True) for i in range(20)])
    copy = tmp_path / "tuned.yaml"
    r = cli("calibrate", "--target-cloud-share", "0.3", "--write-policy", str(copy), str(path), policy=policy, ok=False)
    assert r.returncode == 1
    out = r.stdout.decode()
    assert "NOT reachable" in out and "20 of 20 prompts share the score 0" in out
    assert not copy.exists() and "not written" in r.stderr.decode()


def test_calibrate_the_learned_router(policy, tmp_path):
    path = write_jsonl(tmp_path / "labels.jsonl", synthetic(200))
    cli("train", "--from", str(path), "--out", str(tmp_path / "m.json"), "--engine", "python", "--folds", "0",
        policy=policy)
    copy = tmp_path / "learned.yaml"
    r = cli("calibrate", "--router", "learned", "--model", str(tmp_path / "m.json"), "--target-cloud-share", "0.5",
            "--write-policy", str(copy), str(path), policy=policy)
    lines = r.stdout.decode().splitlines()
    assert lines[0].startswith("router learned: learned.threshold ") and ": ok (now 0.5:" in lines[0]
    assert lines[1] == "router: learned"
    assert lines[2].startswith(f'learned: {{model: "{tmp_path / "m.json"}", threshold: ')
    from hrouter.policy import load_policy
    pol = load_policy(str(copy))
    assert pol.router == "learned" and pol.learned.model == str(tmp_path / "m.json")
    assert pol.learned.threshold == float(lines[0].split()[3])


# --------------------------------------------------------------------------- eval

def test_eval_from_a_graded_file(policy, tmp_path):
    from hrouter.learn.report import EvalItem, quality_cost_report
    from hrouter.policy_model import ComplexityConfig
    from hrouter.signals.complexity import score_complexity
    cases = [json.loads(line) for line in (DATA / "complexity-sample.jsonl").read_text().splitlines()]
    graded = []
    for i, c in enumerate(cases):  # the local model fails most "cloud" cases, the cloud model almost none
        hard = c["expected_tier"] == "cloud"
        graded.append({"prompt": c["prompt"], "local_quality": 0.2 if hard and i % 4 else 0.9,
                       "cloud_quality": 0.95 if i % 7 else 0.6, "local_cost_usd": 0.0, "cloud_cost_usd": 0.002})
    path = tmp_path / "graded.jsonl"
    path.write_text("".join(json.dumps(g) + "\n" for g in graded))
    r = cli("eval", str(path), "--json", policy=policy)
    out = json.loads(r.stdout)
    items = [EvalItem(score_complexity(g["prompt"], ComplexityConfig()).score, g["local_quality"], g["cloud_quality"],
                      g["local_cost_usd"], g["cloud_cost_usd"]) for g in graded]
    want = quality_cost_report(items, marks={0.35: "policy"})
    assert out["n"] == 80 and out["apgr"] == pytest.approx(want.apgr) and out["costs_estimated"] is False
    assert out["apgr"] > 0.75  # the rules put the hard cases first
    assert out["cloud_only"]["cost_usd"] == pytest.approx(0.16)
    policy_row = [row for row in out["rows"] if row["mark"] == "policy"]
    assert len(policy_row) == 1 and policy_row[0]["threshold"] == 0.35
    r = cli("eval", str(path), policy=policy)
    text = r.stdout.decode()
    assert "APGR" in text and "← policy (complexity.threshold)" in text and "gap recovered" in text.splitlines()[1]
    plain = write_jsonl(tmp_path / "plain.jsonl", [("hi", True)])
    r = cli("eval", str(plain), policy=policy, ok=False)
    assert r.returncode == 2 and "local_quality and cloud_quality" in error_line(r)


# --------------------------------------------------------------------------- the real RouteLLM labels

@needs_routellm
def test_routellm_import_train_calibrate_eval(policy):
    r = cli("feedback", "import", str(ROUTELLM), "--subset", "gsm8k", "--json", policy=policy)
    assert json.loads(r.stdout)["new"] == 1307
    r = cli("train", "--subset", "gsm8k", "--engine", "python", "--folds", "3", "--json", policy=policy)
    out = json.loads(r.stdout)
    assert out["rows"] == 1307 and out["cv"]["learned"]["auc"] > out["cv"]["rules"]["auc"]
    r = cli("calibrate", "--target-cloud-share", "0.30", "--json", str(ROUTELLM), "--subset", "gsm8k", policy=policy)
    cal = json.loads(r.stdout)
    assert cal["within"] and cal["threshold"] == 0.427 and cal["cloud"] == 392
    r = cli("eval", str(ROUTELLM), "--subset", "gsm8k", "--json", policy=policy)
    out = json.loads(r.stdout)
    assert out["n"] == 1307 and out["local_only"]["quality"] == pytest.approx(833 / 1307)
    assert out["apgr"] == pytest.approx(0.513, abs=0.001)
