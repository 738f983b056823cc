"""Label agreement for ``explain --jsonl`` (hrouter.agreement) and its CLI summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clitools import run_cli
from hrouter.agreement import Agreement, LabelError, labels_of, predicted_of

DATA = Path(__file__).resolve().parent / "data"


def test_label_families():
    assert labels_of({"expected_tier": "cloud"}) == {"route": "cloud"}
    assert labels_of({"expected_tier": "public", "expected_zone": "public-cloud"}) == {
        "sensitivity": "public", "route": "cloud"}
    assert labels_of({"expected": "internal"}) == {"sensitivity": "internal"}
    assert labels_of({"local_ok": False}) == {"route": "cloud"}
    assert labels_of({"local_ok": True, "expected_zone": "public-cloud"}) == {"route": "local"}
    assert labels_of({"prompt": "x"}) == {}
    assert labels_of({"expected_zone": "local"}) == {"route": "local"}
    assert labels_of({"expected_zone": "private-cloud"}) == {"route": "cloud"}
    for bad in ({"expected_tier": "secret"}, {"local_ok": "yes"}, {"expected": "cloud"}, {"expected_zone": 3},
                {"expected_zone": "LOCAL"}, {"expected_zone": "nowhere"}, {"expected_zone": ""}):
        with pytest.raises(LabelError):
            labels_of(bad)
    with pytest.raises(LabelError, match=r"^'expected_zone' must be one of local, private-cloud, public-cloud, "
                                         r"not 'LOCAL'$"):
        labels_of({"expected_zone": "LOCAL"})


def test_predicted_route_and_refusal():
    tier = {"sensitivity": {"tier": "confidential"}}
    assert predicted_of({"backend": "l", "zone": "local", **tier}) == {"route": "local", "sensitivity": "confidential"}
    assert predicted_of({"backend": "c", "zone": "private-cloud", **tier})["route"] == "cloud"
    assert predicted_of({"backend": None, "zone": None, "refused": True, **tier})["route"] == "refused"


def test_precision_recall_and_confusion_by_hand():
    a = Agreement("route")
    for e, p in [("local", "local")] * 6 + [("local", "cloud")] * 2 + [("cloud", "cloud")] * 3 + [("cloud", "local")]:
        a.add(e, p)
    assert (a.total, a.agreed, a.accuracy) == (12, 9, 0.75)
    s = {c.label: c for c in a.scores()}
    assert s["local"].precision == pytest.approx(6 / 7) and s["local"].recall == pytest.approx(6 / 8)
    assert s["cloud"].precision == pytest.approx(3 / 5) and s["cloud"].recall == pytest.approx(3 / 4)
    assert a.confusion() == (["local", "cloud"], [[6, 2], [1, 3]])
    a.add("cloud", "refused")
    s = {c.label: c for c in a.scores()}
    assert s["refused"].precision == 0.0 and s["refused"].recall is None and s["refused"].support == 0
    assert a.to_json()["confusion"]["classes"] == ["local", "cloud", "refused"]


def test_explain_jsonl_reports_agreement_on_complexity_sample():
    data = (DATA / "complexity-sample.jsonl").read_bytes()
    r = run_cli(["explain", "--jsonl"], input=data)
    assert r.returncode == 0, r.stderr.decode()
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert len(lines) == 80
    assert all(x["labels"]["route"]["expected"] in ("local", "cloud") for x in lines)
    agreed = sum(x["labels"]["route"]["agree"] for x in lines)
    err = r.stderr.decode()
    assert f"route: {agreed}/80 agree" in err
    assert agreed >= 72  # the bar: >= 90 % at the default threshold
    assert "expected \\ predicted" in err and "precision" in err


def test_explain_jsonl_sensitivity_labels_and_bad_label_line():
    lines = [{"prompt": "my SSN is 123-45-6789", "expected": "confidential"},
             {"prompt": "hello there", "expected": "confidential"},
             {"prompt": "hello", "expected_tier": "top-secret"}]
    r = run_cli(["explain", "--jsonl"], input="\n".join(json.dumps(x) for x in lines).encode())
    assert r.returncode == 2
    out = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert [x["labels"]["sensitivity"]["agree"] for x in out] == [True, False]
    err = r.stderr.decode()
    assert "stdin:3: 'expected_tier' must be one of" in err
    assert "sensitivity: 1/2 agree (50.0%)" in err


def test_explain_jsonl_skips_lines_it_cannot_echo_and_carries_on():
    lines = ['{"prompt": "What is 2+2?", "id": "a", "expected_zone": "local"}',
             '{"prompt": "hi", "expected_zone": "LOCAL"}',
             '{"prompt": "hi", "expected_zone": "nowhere"}',
             '{"prompt": "hi", "id": 1e400, "local_ok": true}',
             '{"prompt": "hi", "x": ' + "[" * 100_000 + "]" * 100_000 + "}",
             '{"prompt": "hi \\ud800 there"}',
             '{"prompt": "hi", "id": ["x", "\\udc00"], "local_ok": false}',
             '{"prompt": "Hello again", "id": 2.5}']
    r = run_cli(["explain", "--jsonl"], input="\n".join(lines).encode())
    assert r.returncode == 2
    out = [json.loads(x, parse_constant=lambda c: pytest.fail(f"{c} in the output"))
           for x in r.stdout.decode().splitlines()]
    assert [(x["line"], x.get("id")) for x in out] == [(1, "a"), (8, 2.5)]
    assert out[0]["labels"]["route"] == {"expected": "local", "predicted": "local", "agree": True}
    err = r.stderr.decode().splitlines()
    assert err[:6] == [
        "hrouter: stdin:2: 'expected_zone' must be one of local, private-cloud, public-cloud, not 'LOCAL'",
        "hrouter: stdin:3: 'expected_zone' must be one of local, private-cloud, public-cloud, not 'nowhere'",
        "hrouter: stdin:4: invalid JSON (number 1e400 is out of range)",
        "hrouter: stdin:5: invalid JSON (nested too deeply)",
        "hrouter: stdin:6: 'prompt' holds a lone surrogate (\\ud800-\\udfff): not valid Unicode text",
        "hrouter: stdin:7: 'id' holds a lone surrogate (\\ud800-\\udfff): not valid Unicode text"]
    assert "2 prompts explained, 6 bad lines skipped" in r.stderr.decode()
    assert "route: 1/1 agree (100.0%)" in r.stderr.decode()
