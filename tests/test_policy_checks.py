"""Policy validation hints: numbers PyYAML reads as text, and the strict learned-model check of
``hrouter policy validate``."""

from __future__ import annotations

import json

import pytest

from hrouter.errors import PolicyError
from hrouter.policy import parse_policy

from clitools import run_cli

BASE = """version: 1
backends:
  local: {kind: ollama, zone: local, model: llama3.2}
"""


@pytest.mark.parametrize("raw, hint", [
    ("1e30", "write 1.0e+30, with a dot and a signed exponent"),
    ("1e3", "write 1.0e+3,"),
    ("1.5E3", "write 1.5e+3,"),
    ("2e-1", "write 2.0e-1,"),
    ('"30"', "write 30 without quotes"),
])
def test_number_read_as_text_gets_a_hint(raw, hint):
    with pytest.raises(PolicyError) as exc:
        parse_policy(BASE + f"dispatch:\n  wait_s: {raw}\n", source="p.yaml")
    msg = str(exc.value)
    assert msg.startswith("p.yaml:5: dispatch.wait_s: must be a number"), msg
    assert hint in msg and "\n" not in msg


def test_text_that_is_no_number_gets_no_hint():
    with pytest.raises(PolicyError) as exc:
        parse_policy(BASE + "dispatch:\n  wait_s: soon\n", source="p.yaml")
    assert str(exc.value).endswith("must be a number, got 'soon'")


def test_integer_field_quoted_gets_the_quote_hint():
    with pytest.raises(PolicyError) as exc:
        parse_policy('version: "1"\n' + BASE.split("\n", 1)[1], source="p.yaml")
    assert "write 1 without quotes" in str(exc.value)


def test_a_valid_exponent_is_read_as_a_number_and_range_checked():
    with pytest.raises(PolicyError) as exc:
        parse_policy(BASE + "dispatch:\n  wait_s: 1.0e+30\n", source="p.yaml")
    assert "must be <= 3600" in str(exc.value)


def _learned_policy(tmp_path, model: str):
    p = tmp_path / "policy.yaml"
    p.write_text(BASE + f"router: learned\nlearned:\n  model: {model}\n")
    return p


def test_validate_refuses_a_file_that_is_no_model(tmp_path):
    bogus = tmp_path / "passwd"
    bogus.write_text("root:x:0:0:root:/root:/bin/bash\n")
    r = run_cli(["policy", "validate", str(_learned_policy(tmp_path, str(bogus)))])
    err = r.stderr.decode()
    assert r.returncode == 2, err
    assert r.stdout == b""
    assert "learned.model: not a model file this hrouter reads" in err and str(bogus) in err
    assert len(err.strip().splitlines()) == 1


def test_validate_refuses_a_directory_as_model(tmp_path):
    r = run_cli(["policy", "validate", str(_learned_policy(tmp_path, str(tmp_path)))])
    assert r.returncode == 2
    assert "Is a directory" in r.stderr.decode()


def test_validate_accepts_a_missing_model_with_a_warning(tmp_path):
    missing = tmp_path / "model.json"
    r = run_cli(["policy", "validate", str(_learned_policy(tmp_path, str(missing)))])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().startswith("ok: ")
    assert "no such file; the rules decide until `hrouter train" in r.stderr.decode()


def test_validate_accepts_a_real_model(tmp_path):
    # a model written by hrouter's own trainer on a tiny labelled set
    rows = tmp_path / "rows.jsonl"
    rows.write_text("".join(json.dumps({"prompt": f"prove theorem {i} rigorously step by step" if i % 2 else f"hi {i}",
                                        "local_ok": i % 2 == 0}) + "\n" for i in range(40)))
    out = tmp_path / "model.json"
    r = run_cli(["train", "--from", str(rows), "--out", str(out), "--engine", "python", "--folds", "0"])
    assert r.returncode == 0, r.stderr
    r = run_cli(["policy", "validate", str(_learned_policy(tmp_path, str(out)))])
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""


def test_a_cloud_backend_without_a_price_is_warned_about():
    """Without a price its calls cost $0 to the estimates, the budget caps and the log."""
    pol = parse_policy(BASE + "  cloud: {kind: anthropic, model: c, zone: public-cloud}\n", source="p.yaml")
    assert any(w.startswith("backends.cloud: zone public-cloud with no price: cost estimates, budget caps")
               for w in pol.warnings)
    priced = parse_policy(BASE + "  cloud: {kind: anthropic, model: c, zone: public-cloud, "
                                 "price: {input_per_mtok: 3.0, output_per_mtok: 15.0}}\n", source="p.yaml")
    assert not any("no price" in w for w in priced.warnings)
    assert not any("no price" in w for w in parse_policy(BASE, source="p.yaml").warnings)  # local: free
