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
    assert r.stdout.decode().startswith(f"imported {n} label(s) from {path}: {n} new, 0 replaced, 0 unchanged;")
    assert "features only, no prompt text" in r.stdout.decode()
    r = cli("feedback", "import", str(path), "--json", policy=policy)
    out = json.loads(r.stdout)
    assert (out["rows"], out["labels"], out["new"], out["replaced"], out["unchanged"]) == (n, n, 0, 0, n)
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


# --------------------------------------------------------------------------- what was stored

def test_import_reports_the_labels_stored_not_the_rows_read(policy, tmp_path):
    rows = [("What is 2+2?", True), ("Write a sonnet about the sea.", False), ("What is 2+2?", False), ("Hi", True)]
    path = write_jsonl(tmp_path / "labels.jsonl", rows)
    r = cli("feedback", "import", str(path), policy=policy)
    assert r.stdout.decode().startswith(
        f"imported 3 label(s) from {path} (4 rows; 1 repeated prompt(s) merged, the last row kept): 3 new, "
        "0 replaced, 0 unchanged; stored: 1 local ok, 2 not ok; ")
    stored = labels()
    assert len(stored) == 3 and sum(1 for x in stored if x["local_ok"]) == 1  # what the report says
    r = cli("feedback", "import", str(path), "--json", policy=policy)
    out = json.loads(r.stdout)
    assert {k: out[k] for k in ("rows", "labels", "merged", "new", "replaced", "unchanged", "local_ok",
                                "local_not_ok")} == {"rows": 4, "labels": 3, "merged": 1, "new": 0, "replaced": 0,
                                                     "unchanged": 3, "local_ok": 1, "local_not_ok": 2}
    write_jsonl(path, [("Hi", False), ("Something new", True)])
    out = json.loads(cli("feedback", "import", str(path), "--json", policy=policy).stdout)
    assert (out["labels"], out["new"], out["replaced"], out["unchanged"]) == (2, 1, 1, 0)
    assert len(labels()) == 4


# --------------------------------------------------------------------------- output files: nothing is lost

def test_outputs_never_overwrite_the_policy_audit_log_or_state_db(policy, tmp_path, hrouter_home):
    audit(hrouter_home, {"id": RID_LOCAL, "backend": "local", "zone": "local"})
    data = write_jsonl(tmp_path / "labels.jsonl", synthetic(60))
    cli("feedback", "import", str(data), policy=policy)  # the state db exists
    state = hrouter_home / "state"
    (tmp_path / "hard.yaml").hardlink_to(policy)
    (tmp_path / "soft.db").symlink_to(state / "state.db")
    targets = {policy: "the active policy", tmp_path / "hard.yaml": "the active policy",
               tmp_path / "soft.db": "the state database", state / "state.db": "the state database",
               state / "state.db-wal": "the state database's wal file", state / "audit.jsonl": "the audit log",
               state / "audit.jsonl.head": "the audit log's head file", state / "audit.key": "the audit HMAC key"}
    kept = {p: p.read_bytes() for p in (policy, state / "state.db", state / "audit.jsonl", state / "audit.key")}
    prompts = str(DATA / "complexity-sample.jsonl")
    for target, what in targets.items():
        for args in (["calibrate", "--target-cloud-share", "0.35", prompts, "--write-policy", str(target)],
                     ["train", "--from", str(data), "--engine", "python", "--folds", "0", "--out", str(target)]):
            r = cli(*args, "--force", policy=policy, ok=False)
            assert r.returncode == 2 and error_line(r).startswith(
                f"hrouter: error: {args[-2]} {target}: that is {what} (") and \
                "hrouter never writes over it (not even with --force)" in error_line(r)
    assert all(p.read_bytes() == b for p, b in kept.items())
    cli("audit", "verify", policy=policy)
    assert len(labels()) == len(dict(synthetic(60)))


def test_an_existing_file_is_replaced_only_with_force_or_when_it_is_a_model(policy, tmp_path):
    from hrouter.policy import load_policy
    data = write_jsonl(tmp_path / "labels.jsonl", synthetic(60))
    prompts = str(DATA / "complexity-sample.jsonl")
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me\n")
    train = ("train", "--from", str(data), "--engine", "python", "--folds", "0")
    r = cli(*train, "--out", str(notes), policy=policy, ok=False)
    assert r.returncode == 2 and error_line(r) == (
        f"hrouter: error: --out {notes}: the file exists; pass --force to replace it "
        "(an hrouter model file is replaced without it)\n")
    r = cli("calibrate", "--target-cloud-share", "0.35", prompts, "--write-policy", str(notes), policy=policy, ok=False)
    assert r.returncode == 2 and error_line(r) == \
        f"hrouter: error: --write-policy {notes}: the file exists; pass --force to replace it\n"
    assert notes.read_text() == "keep me\n" and "computed the features" not in r.stderr.decode()  # refused first
    model = tmp_path / "m.json"
    r = cli(*train, "--out", str(model), policy=policy)
    assert f"\nwrote {model} (" in r.stdout.decode()
    first = model.read_text()
    r = cli(*train, "--seed", "3", "--out", str(model), "--json", policy=policy)  # re-training: no --force needed
    assert json.loads(r.stdout)["replaced"] is True and model.read_text() != first
    r = cli(*train, "--out", str(model), policy=policy)
    assert f"\nreplaced {model} (" in r.stdout.decode() and model.read_text() == first
    cli("calibrate", "--target-cloud-share", "0.35", prompts, "--write-policy", str(notes), "--force", policy=policy)
    assert load_policy(str(notes)).complexity.threshold != 0.35
    r = cli(*train, "--out", str(notes), "--force", "--json", policy=policy)
    assert json.loads(r.stdout)["replaced"] is True and load_model(notes).buckets == 1024
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temp file left behind
    r = cli("calibrate", "--target-cloud-share", "0.35", prompts, "--write-policy", str(tmp_path), "--force",
            policy=policy, ok=False)
    assert r.returncode == 2 and error_line(r) == f"hrouter: error: --write-policy {tmp_path}: is a directory; name a file\n"


def test_policy_copy_elsewhere_keeps_pointing_at_the_learned_model(tmp_path):
    from hrouter.policy import load_policy
    here, there = tmp_path / "here", tmp_path / "elsewhere"
    here.mkdir()
    src = write_policy(here, ollama_url="http://127.0.0.1:9", anthropic_url="http://127.0.0.1:9",
                       extra="learned:\n  model: m.json  # next to the policy\n  threshold: 0.5\n")
    data = write_jsonl(tmp_path / "labels.jsonl", synthetic(60))
    cli("train", "--from", str(data), "--engine", "python", "--folds", "0", "--out", str(here / "m.json"), policy=src)
    copy = there / "tuned.yaml"
    r = cli("calibrate", "--target-cloud-share", "0.35", str(DATA / "complexity-sample.jsonl"),
            "--write-policy", str(copy), policy=src)
    assert f"learned.model as an absolute path: {here / 'm.json'})" in r.stdout.decode()
    assert load_policy(str(copy)).learned.model == str(here / "m.json")
    assert f'model: "{here / "m.json"}"  # next to the policy' in copy.read_text()


# --------------------------------------------------------------------------- bad input: exit 2, file:line

def test_import_rejects_unbounded_features_and_train_skips_an_old_bad_row(policy, tmp_path):
    big = 10 ** 400
    path = tmp_path / "labels.jsonl"
    path.write_text('{"prompt": "What is 2+2?", "local_ok": true}\n'
                    f'{{"features": {{"v": 1, "tokens": {big}, "c": {{}}}}, "local_ok": true}}\n')
    r = cli("feedback", "import", str(path), policy=policy, ok=False)
    assert r.returncode == 2 and error_line(r) == (
        f"hrouter: error: {path}:2: features.tokens: must be an integer in [0, 1000000000], "
        "not an integer of 401 digits\n")
    path.write_text('{"features": {"v": 1, "tokens": 3, "c": {}, "h": [[1, ' + str(big) + ']]}, "local_ok": true}\n')
    r = cli("feedback", "import", str(path), policy=policy, ok=False)
    assert r.returncode == 2 and error_line(r).startswith(f"hrouter: error: {path}:1: features.h[0]: bad entry")
    assert labels() == []
    data = write_jsonl(tmp_path / "good.jsonl", synthetic(100))
    cli("feedback", "import", str(data), policy=policy)
    bad = extract("Write a sonnet about the sea.")
    bad["tokens"] = big  # as an older hrouter could store it
    with StateDB.open_default() as db:
        db.add_feedback([{"key": "imp:old", "source": "import", "local_ok": False, "features": bad}])
    bad_id = next(x["id"] for x in labels() if x["key"] == "imp:old")
    r = cli("train", "--engine", "python", "--folds", "0", "--json", "--out", str(tmp_path / "m.json"), policy=policy)
    assert json.loads(r.stdout)["rows"] == len(dict(synthetic(100)))
    assert (f"hrouter: label {bad_id} (imp:old): features.tokens: must be an integer in [0, 1000000000], "
            "not an integer of 401 digits; skipped\n") in r.stderr.decode()


def test_internal_errors_are_now_input_errors(policy, tmp_path):
    big = 10 ** 400
    path = tmp_path / "x.jsonl"
    cases = [
        ('{"prompt": "hi \\ud800 there", "local_ok": true}', ("feedback", "import"),
         ":1: 'prompt' holds a lone surrogate (\\ud800 at character 3): not valid Unicode text"),
        (f'{{"prompt": "hi", "local_quality": {big}, "cloud_quality": 1}}', ("eval",),
         ":1: 'local_quality' must be a number in [0, 1] or a boolean, not an integer of 401 digits"),
        (f'{{"prompt": "hi", "local_quality": 1, "cloud_quality": 1, "cloud_cost_usd": {big}}}', ("eval",),
         ":1: 'cloud_cost_usd' must be a number of USD in [0, 1e+06], not an integer of 401 digits"),
        ('{"prompt": "hi", "local_ok": true, "x": ' + "[" * 50_000 + "]" * 50_000 + "}", ("train", "--from"),
         ":1: invalid JSON (nested too deeply)"),
    ]
    for line, command, message in cases:
        path.write_text(line + "\n")
        r = cli(*command, str(path), policy=policy, ok=False)
        assert r.returncode == 2 and error_line(r) == f"hrouter: error: {path}{message}\n", command
    deep = tmp_path / "deep.json"
    deep.write_text('{"format": ' + "[" * 50_000 + "]" * 50_000 + "}")
    prompts = str(DATA / "complexity-sample.jsonl")
    r = cli("calibrate", "--router", "learned", "--model", str(deep), "--target-cloud-share", "0.3", prompts,
            policy=policy, ok=False)
    assert r.returncode == 2 and error_line(r) == f"hrouter: error: {deep}: not a model file (JSON nested too deeply)\n"
    for args, message in [(("calibrate", "--target-cloud-share", "nan", prompts), "--target-cloud-share: must be a finite number, not nan"),
                          (("train", "--from", prompts, "--c", "nan"), "--c: must be a finite number, not nan"),
                          (("train", "--from", prompts, "--c", "inf"), "--c: must be a finite number, not inf"),
                          (("eval", prompts, "--thresholds", "0.2,nan"), "--thresholds '0.2,nan': every threshold must "
                                                                          "be a finite number, e.g. 0.2,0.35,0.5")]:
        r = cli(*args, policy=policy, ok=False)
        assert r.returncode == 2 and error_line(r) == f"hrouter: error: {message}\n", args


def test_a_float_bucket_count_names_the_model_file_under_router_learned(tmp_path):
    data = write_jsonl(tmp_path / "labels.jsonl", synthetic(60))
    model = tmp_path / "m.json"
    pol = write_policy(tmp_path, ollama_url="http://127.0.0.1:9", anthropic_url="http://127.0.0.1:9",
                       extra="router: learned\nlearned: {model: m.json}\n")
    cli("train", "--from", str(data), "--engine", "python", "--folds", "0", "--out", str(model), policy=pol)
    obj = json.loads(model.read_text())
    obj["features"]["buckets"] = 1024.0
    model.write_text(json.dumps(obj))
    r = cli("explain", "--json", "Compare transformers and SSMs step by step", policy=pol)
    trace = json.loads(r.stdout)["trace"]
    assert (f"learned: unavailable ({model}: features.buckets: 1024.0, expected an integer, one of "
            "[64, 128, 256, 512, 1024]); the rules decide") in trace
    r = cli("eval", str(DATA / "complexity-sample.jsonl"), "--router", "learned", policy=pol, ok=False)
    assert r.returncode == 2 and error_line(r).startswith(f"hrouter: error: {model}: features.buckets: 1024.0")


def test_eval_json_is_strict_json_at_the_cost_bound(policy, tmp_path):
    def strict(text):
        def no(constant):
            raise AssertionError(f"{constant} in the output")
        return json.loads(text, parse_constant=no)
    path = tmp_path / "graded.jsonl"
    path.write_text("".join(json.dumps({"prompt": p, "local_quality": q, "cloud_quality": 1.0,
                                        "local_cost_usd": 1e6, "cloud_cost_usd": 1e6}) + "\n"
                            for p, q in [("What is 2+2?", 1.0), ("Prove that e is irrational step by step", 0.0)]))
    out = strict(cli("eval", str(path), "--json", policy=policy).stdout)
    assert out["cloud_only"]["cost_usd"] == 2e6 and all(row["cost_usd"] == 2e6 for row in out["rows"])
    path.write_text(json.dumps({"prompt": "hi", "local_quality": 0, "cloud_quality": 1, "local_cost_usd": 1e308}) + "\n")
    r = cli("eval", str(path), "--json", policy=policy, ok=False)
    assert r.returncode == 2 and r.stdout == b"" and error_line(r) == (
        f"hrouter: error: {path}:1: 'local_cost_usd' must be a number of USD in [0, 1e+06], not 1e+308\n")


# --------------------------------------------------------------------------- a read-only state db

def test_train_reads_labels_from_a_read_only_state_db(policy, tmp_path, hrouter_home, monkeypatch):
    import sqlite3

    from hrouter.learn import data as learn_data
    from hrouter.state import StateError
    path = write_jsonl(tmp_path / "labels.jsonl", synthetic(60))
    cli("feedback", "import", str(path), policy=policy)
    db = hrouter_home / "state" / "state.db"
    want = [(x["key"], x["local_ok"]) for x in labels() if x["local_ok"] is not None]
    before = db.read_bytes()
    notes = []
    monkeypatch.setattr(learn_data, "_writable", lambda p: False)  # as for a user without write access (not root)
    got = learn_data.stored_labels(note=notes.append)
    assert [(x["key"], x["local_ok"]) for x in got] == want and len(want) == len(dict(synthetic(60)))
    assert notes == [f"state database {db} is not writable: reading its labels read-only"]
    assert db.read_bytes() == before
    # with no pending write-ahead log the file is read as immutable: SQLite creates no -shm/-wal
    # (as another user, they would lock the owner out); with one, mode=ro reads it through the -shm
    real_connect = sqlite3.connect
    uris = []

    def connect(database, *args, **kwargs):
        uris.append(database.rsplit("?", 1)[1])
        if "immutable=1" not in database:
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real_connect(database, *args, **kwargs)
    monkeypatch.setattr(sqlite3, "connect", connect)
    for f in ("state.db-wal", "state.db-shm"):
        db.with_name(f).unlink(missing_ok=True)
    got = learn_data.stored_labels()
    assert [(x["key"], x["local_ok"]) for x in got] == want and uris == ["mode=ro&immutable=1"]
    assert sorted(p.name for p in db.parent.iterdir() if p.name.startswith("state.db")) == ["state.db"]
    wal = db.with_name("state.db-wal")
    wal.write_bytes(b"pending")  # changes not yet in the main file: immutable would miss them
    try:
        with pytest.raises(StateError, match="is read-only and SQLite cannot read it without writing"):
            learn_data.stored_labels()
        assert uris[-1] == "mode=ro"
    finally:
        wal.unlink()
    monkeypatch.setattr(sqlite3, "connect", real_connect)
    (hrouter_home / "state" / "state.db").unlink()
    assert learn_data.stored_labels() == [] and not db.exists()  # none is created for reading


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root writes read-only files anyway")
def test_train_cli_on_a_read_only_state_dir(policy, tmp_path, hrouter_home):
    path = write_jsonl(tmp_path / "labels.jsonl", synthetic(60))
    cli("feedback", "import", str(path), policy=policy)
    state = hrouter_home / "state"
    files = {p: p.read_bytes() for p in state.iterdir()}
    for p in files:
        p.chmod(0o400)
    state.chmod(0o500)
    try:
        r = cli("train", "--engine", "python", "--folds", "0", policy=policy, ok=False)
        assert r.returncode == 2 and "pass --out PATH" in error_line(r)
        r = cli("train", "--engine", "python", "--folds", "0", "--json", "--out", str(tmp_path / "m.json"), policy=policy)
        assert json.loads(r.stdout)["rows"] == len(dict(synthetic(60)))
        assert "is not writable: reading its labels read-only" in r.stderr.decode()
        assert {p: p.read_bytes() for p in state.iterdir()} == files
    finally:
        state.chmod(0o700)
        for p in files:
            p.chmod(0o600)


def test_train_warns_when_a_kind_of_label_is_scarce(policy, tmp_path):
    few = write_jsonl(tmp_path / "few.jsonl", [("easy one", True), ("hard one", False), ("easy two", True)])
    r = cli("train", "--from", str(few), "--out", str(tmp_path / "m.json"), "--folds", "0", policy=policy)
    assert "only 2 local-ok and 1 not-ok label(s): too few for a model to learn from" in r.stderr.decode()
    assert "keep --folds" in r.stderr.decode()
    many = write_jsonl(tmp_path / "many.jsonl", synthetic(200))
    r = cli("train", "--from", str(many), "--out", str(tmp_path / "m2.json"), "--folds", "0", policy=policy)
    assert "too few" not in r.stderr.decode()


def test_feedback_last_skips_a_damaged_newer_record(policy, hrouter_home):
    """A newer line of the wrong shape (its status says ok, but its zone is a number) is no
    request to label: feedback last labels the newest well-formed one."""
    audit(hrouter_home, {"id": RID_LOCAL, "backend": "local", "zone": "local"},
          {"id": RID_CLOUD, "backend": "cloud", "zone": 7})
    r = cli("feedback", "last", "good", "--json", policy=policy)
    assert json.loads(r.stdout)["request_id"] == RID_LOCAL
