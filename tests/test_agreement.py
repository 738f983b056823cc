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
    for bad in ({"expected_tier": "secret"}, {"local_ok": "yes"}, {"expected": "cloud"}, {"expected_zone": 3}):
        with pytest.raises(LabelError):
            labels_of(bad)


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
