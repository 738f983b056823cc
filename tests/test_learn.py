"""The learned router's library: features, training vs the rules, the JSON model, calibration,
the quality-vs-cost report (APGR), and the loaders (RouteLLM data when present)."""

from __future__ import annotations

import json
import math
import pickle
import random
import zlib
from pathlib import Path

import pytest

from hrouter.errors import InputError
from hrouter.learn.calibrate import calibrate, set_yaml_values
from hrouter.learn.data import DataError, load_jsonl, load_routellm_csv, select
from hrouter.learn.features import (DENSE, RECORD_BUCKETS, check_record, extract, ngram_counts, record_from_audit,
                                    rule_score, vectorize)
from hrouter.learn.model import LearnedModel, ModelFileError, learned_score, load_model
from hrouter.learn.report import EvalItem, quality_cost_report
from hrouter.learn.train import Example, auc, cross_validate, fit, out_of_fold, sklearn_available, train

ROUTELLM = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "routellm"
needs_routellm = pytest.mark.skipif(not (ROUTELLM / "routellm_labels.csv").exists(),
                                    reason=f"RouteLLM labels not present at {ROUTELLM} (read at run time, never committed)")


def synthetic(n: int = 400, seed: int = 7) -> list[tuple[str, bool]]:
    """Labelled prompts where what decides local_ok (the kind of task: verse fails on the small
    model) is invisible to the rules, plus a keyword trap the rules send to the cloud although
    the local model handles it. 5 % of labels flipped (noise)."""
    rng = random.Random(seed)
    things = ["the sea", "autumn", "a lighthouse", "my cat", "the city at night", "a broken clock", "winter rain",
              "an old bridge", "the desert", "a train station"]
    words = ["hello", "thank you", "good morning", "the invoice", "the meeting", "see you soon", "the weather",
             "my order", "the report", "a new idea"]
    places = ["France", "Peru", "Japan", "Kenya", "Norway", "Chile", "Egypt", "Canada", "Vietnam", "Spain"]
    ok_t = ["Translate '{w}' into French.", "What is the capital of {p}?", "Summarize in one line: {w} is late.",
            "Fix the spelling: '{w}' recieved.", "Give a synonym for {w}.",
            "Compare '{w}' and '{v}' step by step and explain which one is shorter."]
    bad_t = ["Write a sonnet about {t}.", "Compose a villanelle on {t}.", "Write a limerick in iambic meter about {t}.",
             "Write a haiku sequence about {t} with a volta.", "Compose a ghazal about {t}."]
    rows = []
    for _ in range(n):
        ok = rng.random() < 0.5
        tpl = rng.choice(ok_t if ok else bad_t)
        text = tpl.format(w=rng.choice(words), v=rng.choice(words), p=rng.choice(places), t=rng.choice(things))
        if rng.random() < 0.05:
            ok = not ok
        rows.append((text, ok))
    return rows


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return [Example(extract(text), ok) for text, ok in synthetic()]


# --------------------------------------------------------------------------- features

def test_ngram_hash_is_stable_crc32():
    counts = ngram_counts("Hello, hello world 42")
    b = lambda s: zlib.crc32(s.encode()) % RECORD_BUCKETS  # noqa: E731
    expected: dict[int, int] = {}
    for gram in ("hello", "hello", "world", "0", "hello hello", "hello world", "world 0"):
        expected[b(gram)] = expected.get(b(gram), 0) + 1
    assert counts == expected
    assert b("hello") == 646  # crc32 is fixed: the same bucket in every process and on every platform


def test_feature_record_is_compact_and_holds_no_text():
    text = "Compare the consistency models of Raft and Paxos step by step for a payments ledger"
    rec = extract(text)
    check_record(rec)
    blob = json.dumps(rec)
    assert len(blob) < 800
    for word in ("Raft", "Paxos", "payments", "ledger", "consistency", "Compare"):
        assert word.lower() not in blob.lower()
    assert set(rec) == {"v", "tokens", "images", "c", "h"}
    assert all(isinstance(e, int) or (isinstance(e, list) and e[1] > 1) for e in rec["h"])  # [b, n] only for n > 1
    assert [e if isinstance(e, int) else e[0] for e in rec["h"]] == sorted(ngram_counts(text))
    assert set(rec["c"]) == set(DENSE[:-1])
    assert rec["c"]["reasoning"] > 0 and rec["c"]["domain"] > 0
    dense, idx, val = vectorize(rec, 256)
    assert len(dense) == len(DENSE) and all(0 <= i < 256 for i in idx)
    assert math.isclose(sum(v * v for v in val), 1.0)


def test_rule_score_from_record_matches_the_scorer():
    from hrouter.policy_model import ComplexityConfig
    from hrouter.signals.complexity import score_complexity
    for text, _ in synthetic(40, seed=3):
        assert rule_score(extract(text)) == pytest.approx(score_complexity(text, ComplexityConfig()).score, abs=1e-3)


def test_record_from_audit_uses_components_and_masked_prompt():
    rec = record_from_audit({"components": {"reasoning": 0.5, "code": 0.2}, "input_tokens": 30,
                             "prompt": "Summarize the contract for SSN [SSN]"})
    assert rec["c"]["reasoning"] == 0.5 and rec["tokens"] == 30 and rec["h"]
    assert "h" not in record_from_audit({"components": {"math": 1.0}, "input_tokens": 5})
    assert record_from_audit({"input_tokens": 5}) is None


# --------------------------------------------------------------------------- training

def test_learned_beats_rules_on_held_out_folds(examples):
    cv = cross_validate(examples, folds=5, seed=0, engine="python")
    learned, rules = cv["learned"], cv["rules"]
    # measured with this seed and data; the python engine is deterministic
    assert round(learned["auc"], 3) == 0.935
    assert round(learned["accuracy"], 3) == 0.945
    assert round(rules["auc"], 3) == 0.431  # below chance: the keyword trap sends easy prompts to the cloud
    assert round(rules["accuracy"], 3) == 0.455
    assert cv["majority"]["accuracy"] == pytest.approx(0.5275)
    assert learned["auc"] > rules["auc"] + 0.3 and learned["accuracy"] > cv["majority"]["accuracy"] + 0.3
    assert [f["rows"] for f in cv["per_fold"]] == [80, 80, 80, 80, 80]


def test_python_engine_is_deterministic(examples):
    a = fit(examples, engine="python", seed=1, buckets=256)
    b = fit(examples, engine="python", seed=1, buckets=256)
    assert a.to_json() == b.to_json()
    assert fit(examples, engine="python", seed=2, buckets=256).to_json() != a.to_json()


@pytest.mark.skipif(not sklearn_available(), reason="scikit-learn not installed (the learn extra)")
def test_sklearn_engine_gives_the_same_kind_of_model(examples):
    cv = cross_validate(examples, folds=5, seed=0, engine="sklearn")
    assert cv["learned"]["auc"] > 0.85 > cv["rules"]["auc"]
    model = fit(examples, engine="sklearn")
    assert LearnedModel.from_json(model.to_json()).to_json() == model.to_json()


def test_train_summary_and_out_of_fold(examples):
    model = train(examples, engine="python", folds=4, buckets=512, source="synthetic")
    t = model.training
    assert t["rows"] == 400 and t["local_ok"] == sum(e.local_ok for e in examples)
    assert t["params"]["buckets"] == 512 and t["cv"]["folds"] == 4 and t["source"] == "synthetic"
    assert model.data_digest.startswith("sha256:") and len(model.data_digest) == 71
    oof = out_of_fold(examples, folds=4, engine="python")
    assert auc(oof, [e.local_ok for e in examples]) > 0.85


def test_training_needs_both_labels():
    from hrouter.learn.train import TrainingError
    with pytest.raises(TrainingError, match="both kinds"):
        fit([Example(extract("hi"), True), Example(extract("yo"), True)], engine="python")


def test_auc_handles_ties():
    assert auc([0.1, 0.4, 0.35, 0.8], [False, False, True, True]) == 0.75
    assert auc([0.5, 0.5, 0.5, 0.5], [True, False, True, False]) == 0.5
    assert auc([1, 2], [True, True]) is None


# --------------------------------------------------------------------------- model file

def test_model_round_trips_bit_identically(examples, tmp_path):
    model = fit(examples, engine="python", buckets=1024)
    text = model.to_json()
    again = LearnedModel.from_json(text)
    assert again.to_json() == text
    path = model.save(tmp_path / "m.json")
    assert path.read_text() == text
    loaded = load_model(path)
    assert loaded.to_json() == text
    for ex in examples[:25]:
        assert loaded.predict(ex.features) == model.predict(ex.features)
        assert learned_score(loaded, ex.features) == 1.0 - model.predict(ex.features)
    obj = json.loads(text)
    assert obj["format"] == "hrouter-learned-router" and obj["schema"] == 1
    assert obj["features"]["dense"] == list(DENSE) and len(obj["weights"]["ngrams"]) == 1024


@pytest.mark.parametrize("content, match", [
    (pickle.dumps({"weights": [1.0]}), "pickle"),
    (pickle.dumps({"weights": [1.0]}, protocol=0), "pickle"),
    (b"\x00\x01binary", "not a JSON model"),
    (b"{not json", "not a JSON model"),
    (b"[1, 2]", "not a JSON object"),
    (b'{"format": "something-else"}', "format"),
])
def test_loading_rejects_non_models(tmp_path, content, match):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=match) as info:
        load_model(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, InputError)  # exit 2 at the CLI


def test_loading_names_the_bad_field(examples, tmp_path):
    good = json.loads(fit(examples, engine="python", buckets=64).to_json())

    def variant(edit) -> str:
        obj = json.loads(json.dumps(good))
        edit(obj)
        return json.dumps(obj).replace('"HUGE"', "1e999")  # parses as float('inf')
    cases = [
        (lambda o: o.update(schema=2), "schema: version 2 was written by a newer hrouter"),
        (lambda o: o["features"].update(buckets=100), "features.buckets"),
        (lambda o: o["weights"]["ngrams"].pop(), "weights.ngrams: expected 64 numbers"),
        (lambda o: o["weights"]["dense"].__setitem__(2, "x"), r"weights.dense\[2\]"),
        (lambda o: o["weights"]["ngrams"].__setitem__(5, "HUGE"), r"weights.ngrams\[5\]: not a finite number: inf"),
        (lambda o: o.update(data_digest="md5:00"), "data_digest"),
    ]
    for edit, match in cases:
        with pytest.raises(ModelFileError, match=match):
            LearnedModel.from_json(variant(edit), source="m.json")
    with pytest.raises(ModelFileError, match="NaN is not allowed"):
        LearnedModel.from_json(json.dumps(good).replace('"bias":', '"bias": NaN, "x":'))


# --------------------------------------------------------------------------- calibration

def test_calibration_hits_the_target_on_a_generated_corpus():
    rng = random.Random(11)
    scores = [round(rng.betavariate(2, 5), 3) for _ in range(2000)]  # rounded: many small ties
    for target in (0.05, 0.1, 0.25, 0.3, 0.5, 0.75, 0.9):
        cal = calibrate(scores, target)
        assert cal.within, (target, cal)
        assert abs(cal.achieved_share - target) <= 0.02
        assert sum(1 for s in scores if s >= cal.threshold) == cal.cloud  # the rule itself
        assert 0.0 <= cal.threshold <= 1.0
    cal = calibrate(scores, 0.30)
    assert (cal.threshold, cal.cloud, cal.achieved_share) == (0.358, 597, 0.2985)


def test_calibration_reports_ties_honestly():
    scores = [0.0] * 700 + [0.4 + i / 1000 for i in range(300)]  # 70 % tie at score 0
    cal = calibrate(scores, 0.5)
    assert not cal.within
    assert cal.achieved_share == 0.3 and cal.cloud == 300  # nearest reachable: 30 % (vs 100 %)
    assert cal.below == (0.3, cal.threshold) and cal.above == (1.0, 0.0)
    assert cal.tie == (0.0, 700)
    assert "700 of 1000 prompts share the score 0" in cal.notes[0] and "not reachable" in cal.notes[0]
    assert calibrate(scores, 0.9).achieved_share == 1.0  # 100 % is nearer to 90 % than 30 %
    assert calibrate(scores, 0.31).within


def test_calibration_picks_round_thresholds():
    cal = calibrate([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95], 0.3)
    assert cal.threshold == 0.8 and cal.cloud == 3
    assert calibrate([0.3512, 0.3498, 0.1], 1 / 3).threshold == 0.35


def test_policy_copy_edit_keeps_comments():
    text = "version: 1  # v\ncomplexity:\n  threshold: 0.35   # keep me\n  weights: {code: 0.4}\n"
    out = set_yaml_values(text, [(("complexity", "threshold"), 0.295)])
    assert out == "version: 1  # v\ncomplexity:\n  threshold: 0.295   # keep me\n  weights: {code: 0.4}\n"
    out = set_yaml_values("version: 1\n", [(("router",), "learned"), (("learned", "model"), "/m.json"),
                                           (("learned", "threshold"), 0.4)])
    assert out == 'version: 1\nrouter: learned\nlearned:\n  threshold: 0.4\n  model: "/m.json"\n'
    assert set_yaml_values("learned: {model: m}\n", [(("learned", "threshold"), 0.3)]) == \
        "learned: {model: m, threshold: 0.3}\n"


# --------------------------------------------------------------------------- quality vs cost

def test_apgr_on_a_hand_computed_example():
    # A: the cloud fixes it; B: both right; C: both wrong. Scores send A first.
    items = [EvalItem(0.9, 0.0, 1.0, 0.0, 0.03), EvalItem(0.5, 1.0, 1.0, 0.0, 0.02), (0.1, 0.0, 0.0, 0.0, 0.01)]
    rep = quality_cost_report(items, thresholds=[1.0, 0.5])
    assert rep.local_quality == pytest.approx(1 / 3) and rep.cloud_quality == pytest.approx(2 / 3)
    # curve: (0, 1/3) (1/3, 2/3) (2/3, 2/3) (1, 2/3): area 1/6 + 2/9 + 2/9 = 11/18
    assert rep.apgr == pytest.approx((11 / 18 - 1 / 3) / (1 / 3))  # 5/6
    assert rep.cpt[0.5] == pytest.approx(1 / 6) and rep.cpt[0.95] == pytest.approx(0.95 / 3)
    row = {r.threshold: r for r in rep.rows}[0.5]
    assert (row.cloud, row.quality, row.pgr) == (2, pytest.approx(2 / 3), pytest.approx(1.0))
    assert row.cost_usd == pytest.approx(0.05) and rep.cloud_cost_usd == pytest.approx(0.06)
    assert rep.oracle_apgr == pytest.approx(5 / 6)  # this router is the oracle here


def test_apgr_of_a_constant_score_is_one_half_and_reversed_is_worse():
    items = [EvalItem(0.5, float(i % 2), 1.0) for i in range(10)]
    assert quality_cost_report(items).apgr == pytest.approx(0.5)
    good = [EvalItem(1.0 - lq, lq, 1.0) for lq in (0.0, 1.0, 0.0, 1.0)]
    bad = [EvalItem(lq, lq, 1.0) for lq in (0.0, 1.0, 0.0, 1.0)]
    assert quality_cost_report(good).apgr == pytest.approx(0.75)
    assert quality_cost_report(bad).apgr == pytest.approx(0.25)


def test_report_default_rows_span_zero_to_all_cloud():
    rng = random.Random(5)
    items = [EvalItem(rng.random(), rng.random(), rng.random(), 0.0, 0.001) for _ in range(500)]
    rep = quality_cost_report(items, marks={0.35: "policy"})
    shares = [r.cloud_share for r in rep.rows]
    assert shares[0] == 0.0 and shares[-1] == 1.0 and shares == sorted(shares)
    assert len(rep.rows) == 12 and [r.mark for r in rep.rows].count("policy") == 1
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        quality_cost_report([EvalItem(0.5, 1.5, 1.0)])


# --------------------------------------------------------------------------- loaders

def test_jsonl_errors_name_file_and_line(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"prompt": "hi", "local_ok": true}\n\n{"prompt": "yo", "local_ok": "yes"}\n')
    with pytest.raises(DataError, match=rf"{path}:3: 'local_ok' must be true or false"):
        load_jsonl(path)
    path.write_text('{"prompt": "hi", "local_ok": true}\n{"prompt": "x"\n')
    with pytest.raises(DataError, match=rf"{path}:2: invalid JSON"):
        load_jsonl(path)
    path.write_text('{"prompt": "hi"}\n')
    assert load_jsonl(path)[0][0].local_ok is None
    with pytest.raises(DataError, match=rf"{path}:1: missing 'local_ok'"):
        load_jsonl(path, require_label=True)
    path.write_text('{"prompt": "hi", "expected_tier": "cloud", "tier": "secret"}\n')
    with pytest.raises(DataError, match=":1: 'tier' must be one of"):
        load_jsonl(path)


def test_routellm_csv_rules(tmp_path):
    path = tmp_path / "routellm_labels.csv"
    path.write_text("source,subject,prompt,weak_correct,strong_correct,needs_strong,contaminated\n"
                    'gsm8k,,"Two\nlines",1,1,0,0\n'
                    "gsm8k,,Contaminated one,1,1,0,1\n"
                    "mmlu,high_school_mathematics,Q,0,0,0,0\n"
                    "mmlu,anatomy,Q2,0,1,1,0\n")
    rows, info = load_routellm_csv(tmp_path)  # a folder holding the CSV works too
    assert [(r.line, r.group, r.local_ok, r.cloud_quality) for r in rows] == [
        (2, "gsm8k", True, 1.0), (5, "mmlu", False, None), (6, "mmlu", False, 1.0)]
    assert info.dropped["contaminated (RouteLLM excludes them)"] == 1
    assert [r.prompt for r in select(rows, "mmlu")] == ["Q", "Q2"]
    with pytest.raises(DataError, match="--subset mt_bench: no rows"):
        select(rows, "mt_bench")
    path.write_text("source,subject,prompt,weak_correct,strong_correct\ngsm8k,,Q,maybe,1\n")
    with pytest.raises(DataError, match=r":2: column 'weak_correct' must be 0 or 1"):
        load_routellm_csv(path)


@needs_routellm
def test_real_routellm_labels_load_and_learned_beats_rules_on_gsm8k():
    rows, info = load_routellm_csv(ROUTELLM)
    assert len(rows) == 15344 and info.dropped["contaminated (RouteLLM excludes them)"] == 17
    gsm = select(rows, "gsm8k")
    assert len(gsm) == 1307 and sum(r.local_ok for r in gsm) == 833
    ex = [Example(extract(r.prompt), r.local_ok, r.group) for r in gsm]
    cv = cross_validate(ex, folds=5, seed=0, engine="python")
    assert cv["learned"]["auc"] > cv["rules"]["auc"] + 0.03
    assert cv["rules"]["auc"] == pytest.approx(0.534, abs=0.002)


# --------------------------------------------------------------------------- bad input, bounded values

BIG = 10 ** 400  # a 401-digit integer: float() of it overflows


@pytest.mark.parametrize("edit, field", [
    (lambda r: r.update(tokens=BIG), "features.tokens"),
    (lambda r: r.update(tokens=10 ** 9 + 1), "features.tokens"),
    (lambda r: r.update(tokens=-1), "features.tokens"),
    (lambda r: r.update(images=BIG), "features.images"),
    (lambda r: r.update(h=[[3, BIG]]), r"features.h\[0\]"),
    (lambda r: r.update(h=[5, [3, 10 ** 6 + 1]]), r"features.h\[1\]"),
    (lambda r: r.update(h=[RECORD_BUCKETS]), r"features.h\[0\]"),
    (lambda r: r.update(h=[[1.0, 2]]), r"features.h\[0\]"),
    (lambda r: r["c"].update(reasoning=BIG), "features.c.reasoning"),
    (lambda r: r["c"].update(math=float("nan")), "features.c.math"),
    (lambda r: r["c"].update(code=float("inf")), "features.c.code"),
    (lambda r: r.update(v=1.0), "features.v"),
])
def test_check_record_bounds_every_number(edit, field):
    rec = extract("Compare transformers and SSMs step by step")
    check_record(rec)
    edit(rec)
    with pytest.raises(ValueError, match=field) as info:
        check_record(rec)
    assert len(str(info.value)) < 200  # a 401-digit number is described, not printed


def test_records_at_the_bounds_still_vectorize():
    rec = {"v": 1, "tokens": 10 ** 9, "images": 10 ** 6, "c": {"reasoning": 1, "code": 0.0},
           "h": [0, [1023, 10 ** 6]]}
    assert check_record(rec) is rec
    dense, idx, val = vectorize(rec, 64)
    assert dense[-1] == 1.0 and idx == [0, 1023 % 64] and all(math.isfinite(v) for v in val)
    from hrouter.learn.features import record_from_complexity
    clamped = record_from_complexity(None, {"reasoning": 0.5}, 10 ** 30, 10 ** 30)
    assert (clamped["tokens"], clamped["images"]) == (10 ** 9, 10 ** 6) and check_record(clamped) is clamped


def test_jsonl_rejects_what_would_crash_later(tmp_path):
    path = tmp_path / "bad.jsonl"
    cases = [
        ('{"prompt": "hi \\ud800 there", "local_ok": true}', r":1: 'prompt' holds a lone surrogate \(\\ud800"),
        ('{"prompt": "hi", "source": "s\\udc00", "local_ok": true}', ":1: 'source' holds a lone surrogate"),
        (f'{{"prompt": "hi", "local_ok": true, "local_quality": {BIG}}}',
         ":1: 'local_quality' must be a number in \\[0, 1\\] or a boolean, not an integer of 401 digits"),
        (f'{{"prompt": "hi", "local_ok": true, "cloud_cost_usd": {BIG}}}',
         r":1: 'cloud_cost_usd' must be a number of USD in \[0, 1e\+06\], not an integer of 401 digits"),
        ('{"prompt": "hi", "local_ok": true, "cloud_cost_usd": 1e308}', r"'cloud_cost_usd' must be .* not 1e\+308"),
        ('{"prompt": "hi", "local_ok": true, "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
         r":1: invalid JSON \(nested too deeply\)"),
        (f'{{"features": {{"v": 1, "tokens": {BIG}, "c": {{}}}}, "local_ok": true}}', ":1: features.tokens"),
    ]
    for line, match in cases:
        path.write_text('{"prompt": "fine", "local_ok": false}\n' + line.replace(":1:", ":2:") + "\n")
        with pytest.raises(DataError, match=match.replace(":1:", ":2:")) as info:
            load_jsonl(path, require_label=True)
        assert str(info.value).startswith(f"{path}:2: ") and len(str(info.value)) < 300
    path.write_text('{"prompt": "hi", "local_ok": true, "local_cost_usd": 1000000, "cloud_cost_usd": 0.5}\n')
    assert load_jsonl(path)[0][0].local_cost_usd == 1e6  # the bound itself is fine


def test_feedback_rows_skip_an_old_unbounded_row_with_a_note():
    from hrouter.learn.data import feedback_rows
    good = extract("What is 2+2?")
    stored = [{"id": 1, "key": "imp:a", "local_ok": True, "features": good, "prompt": None, "source": "import"},
              {"id": 7, "key": "imp:b", "local_ok": False, "features": {**good, "tokens": BIG}, "prompt": None},
              {"id": 9, "key": "imp:c", "local_ok": False, "features": {**good, "tokens": BIG}, "prompt": "Hi there"}]
    rows, info = feedback_rows(stored)
    assert [r.features is None for r in rows] == [False, True]  # row 9 is recomputed from its prompt
    assert rows[1].prompt == "Hi there"
    assert info.rows == 2 and info.dropped == {"with invalid features": 1}
    assert info.notes == ["label 7 (imp:b): features.tokens: must be an integer in [0, 1000000000], "
                          "not an integer of 401 digits; skipped"]


def test_model_file_buckets_must_be_an_int_and_deep_json_is_refused(examples, tmp_path):
    good = json.loads(fit(examples, engine="python", buckets=1024).to_json())
    good["features"]["buckets"] = 1024.0
    path = tmp_path / "m.json"
    path.write_text(json.dumps(good))
    with pytest.raises(ModelFileError, match=rf"^{path}: features.buckets: 1024.0, expected an integer"):
        load_model(path)
    path.write_text('{"format": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(ModelFileError, match=rf"^{path}: not a model file \(JSON nested too deeply\)"):
        load_model(path)


# --------------------------------------------------------------------------- safe writes

def test_atomic_write_leaves_the_target_untouched_when_the_check_fails(tmp_path):
    from hrouter.learn.safefile import atomic_write
    target = tmp_path / "p.yaml"
    target.write_text("old\n")
    target.chmod(0o640)

    def refuse(tmp):
        assert tmp.parent == tmp_path and tmp.read_bytes() == b"new\n"
        raise InputError("invalid copy")
    with pytest.raises(InputError, match="invalid copy"):
        atomic_write(target, b"new\n", check=refuse)
    assert target.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["p.yaml"]
    atomic_write(target, b"new\n", check=lambda tmp: None)
    assert target.read_text() == "new\n" and (target.stat().st_mode & 0o777) == 0o640  # the mode is kept
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.yaml"]


def test_check_target_catches_links_and_files_not_created_yet(tmp_path):
    from hrouter.learn.safefile import check_target
    policy, db = tmp_path / "policy.yaml", tmp_path / "state" / "state.db"
    policy.write_text("version: 1\n")
    protected = [(policy, "the active policy"), (db, "the state database")]
    (tmp_path / "hard.yaml").hardlink_to(policy)
    (tmp_path / "soft.yaml").symlink_to(policy)
    for name in ("policy.yaml", "hard.yaml", "soft.yaml"):
        with pytest.raises(InputError, match=rf"--out {tmp_path / name}: that is the active policy .*not even with --force"):
            check_target(tmp_path / name, "--out", protected, force=True)
    with pytest.raises(InputError, match="that is the state database"):  # not there yet: caught by its path
        check_target(tmp_path / "state" / ".." / "state" / "state.db", "--out", protected, force=True)
    other = tmp_path / "notes.txt"
    other.write_text("keep me\n")
    with pytest.raises(InputError, match="the file exists; pass --force to replace it"):
        check_target(other, "--out", protected, force=False)
    assert check_target(other, "--out", protected, force=True).exists
    assert check_target(other, "--out", protected, force=False, replaceable=lambda p: True).exists
    fresh = check_target(tmp_path / "new.json", "--out", protected, force=False)
    assert not fresh.exists and fresh.real == tmp_path / "new.json"
    with pytest.raises(InputError, match="is a directory"):
        check_target(tmp_path, "--out", protected, force=True)
