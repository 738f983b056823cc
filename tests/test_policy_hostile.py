"""Hostile but well-formed policies and environments: values that used to pass validation and then
crash ``ask`` (or lose its audit record), YAML 1.1 number surprises, secrets echoed in errors,
special files read without bound, interrupted cloud calls billed as free, and ``$HROUTER_HOME``."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hrouter.errors import PolicyError
from hrouter.policy import parse_policy

from clitools import ROOT, audit_records, run_cli, write_policy
from fakes import FakeAnthropic, FakeOllama

KEY = {"ANTHROPIC_API_KEY": "sk-ant-test-key-0123456789"}
BASE = """version: 1
backends:
  local: {kind: ollama, zone: local, model: llama3.2}
"""
BIG = "1" + "0" * 400  # a 400-digit integer


def policy_error(text: str) -> str:
    with pytest.raises(PolicyError) as exc:
        parse_policy(text, source="p.yaml")
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


def error_line(r) -> str:
    err = r.stderr.decode()
    assert len(err.splitlines()) == 1, err
    assert "internal error" not in err and "Traceback" not in err
    return err.strip()


# --------------------------------------------------------------------------- 1. bounds on prices and timeouts

def test_price_above_the_bound_is_refused_naming_the_bound(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(BASE + "  cloud:\n    kind: anthropic\n    model: c\n    zone: public-cloud\n"
                        "    price: {input_per_mtok: 1.0e+308, output_per_mtok: 1.0e+308}\n"
                        "budget: {per_request_usd: null}\n")
    r = run_cli(["policy", "validate", str(p)])
    assert r.returncode == 2
    assert error_line(r) == (f"hrouter: error: {p}:8: backends.cloud.price.input_per_mtok: must be <= 1000000 "
                             "USD per million tokens, got 1e+308")


@pytest.mark.parametrize("key, line, unit", [
    ("timeout_s", "must be <= 86400 s (one day), got 1e+300", None),
    ("connect_timeout_s", "must be <= 86400 s (one day), got 1e+300", None),
    ("ttft_ms", "must be <= 86400000 ms (one day), got 1e+300", None),
])
def test_timeouts_above_a_day_are_refused(tmp_path, key, line, unit):
    p = tmp_path / "p.yaml"
    p.write_text(f"version: 1\nbackends:\n  local:\n    kind: ollama\n    zone: local\n    model: m\n"
                 f"    {key}: 1.0e+300\n")
    r = run_cli(["policy", "validate", str(p)])
    assert r.returncode == 2
    assert error_line(r) == f"hrouter: error: {p}:7: backends.local.{key}: {line}"


def test_the_bounds_themselves_are_accepted():
    pol = parse_policy(BASE + "  cloud:\n    kind: anthropic\n    model: c\n    zone: public-cloud\n"
                              "    price: {input_per_mtok: 1000000, output_per_mtok: 0}\n"
                              "    timeout_s: 86400\n    connect_timeout_s: 86400\n    ttft_ms: 86400000\n"
                              "budget: {per_request_usd: 1000000000, session_usd: 1000000000, window_hours: 87600}\n"
                              "latency: {sla_ms: 86400000}\naudit: {rotate_mb: 1000000}\n", source="p.yaml")
    cloud = pol.backends["cloud"]
    assert (cloud.price.input_per_mtok, cloud.timeout_s, cloud.connect_timeout_s, cloud.ttft_ms) == \
        (1_000_000.0, 86400.0, 86400.0, 86_400_000.0)
    assert (pol.budget.session_usd, pol.budget.window_hours, pol.latency.sla_ms, pol.audit.rotate_mb) == \
        (1e9, 87600.0, 86_400_000.0, 1e6)


def test_backend_timeouts_are_capped_for_a_config_built_in_code():
    from hrouter.backends.base import timeouts
    from hrouter.policy_model import BackendConfig
    cfg = BackendConfig(kind="ollama", model="m", zone="local", timeout_s=1e300, connect_timeout_s=float("inf"))
    assert timeouts(cfg) == (86400.0, 86400.0)
    assert timeouts(dataclasses.replace(cfg, timeout_s=10.0, connect_timeout_s=2.0)) == (10.0, 2.0)


def test_a_huge_timeout_built_in_code_still_answers(hrouter_home):
    from hrouter.core import Router
    from hrouter.prompt import Prompt
    with FakeOllama(chunks=["Par", "is."], models=["llama3.2:3b"]) as ollama:
        pol = parse_policy(f"version: 1\nbackends:\n  local: {{kind: ollama, zone: local, model: llama3.2:3b, "
                           f"host: '{ollama.url}'}}\n", source="p.yaml")
        local = dataclasses.replace(pol.backends["local"], timeout_s=1e300, connect_timeout_s=1e300)
        pol = dataclasses.replace(pol, backends={"local": local})
        result = Router(pol).ask(Prompt("What is the capital of France?"))
    assert result.completion == "Paris." and result.status == "ok"


def test_an_infinite_cost_never_drops_the_audit_record(hrouter_home):
    """A Price built in code (the validator bounds policy prices) whose cost overflows: the answer,
    the request record (cost null, cost_error) and a saturated ledger charge all stand."""
    from hrouter.core import Router
    from hrouter.policy_model import Price
    from hrouter.prompt import Prompt
    from hrouter.router import RouteContext
    from hrouter.state import StateDB
    with FakeAnthropic(chunks=["a", "b"]) as cloud:
        pol = parse_policy(f"version: 1\nbackends:\n  cloud: {{kind: anthropic, model: c, zone: public-cloud, "
                           f"base_url: '{cloud.url}'}}\nbudget: {{per_request_usd: null}}\n", source="p.yaml")
        cfg = dataclasses.replace(pol.backends["cloud"], price=Price(1e308, 1e308))
        pol = dataclasses.replace(pol, backends={"cloud": cfg})
        os.environ.update(KEY)
        try:
            result = Router(pol).ask(Prompt("hi"), RouteContext(session="s-inf"))
        finally:
            os.environ.pop("ANTHROPIC_API_KEY")
    assert result.completion == "ab" and result.to_json()["usage"]["cost_usd"] is None
    recs = audit_records(hrouter_home)
    assert [r["type"] for r in recs] == ["egress", "request"]
    req = recs[-1]
    assert (req["status"], req["backend"], req["cost_usd"]) == ("ok", "cloud", None)
    assert req["cost_error"] == "the cost overflowed (not a finite number): check the backend's price"
    with StateDB.open_default() as db:
        assert db.session_spend("s-inf", window_s=None).spent_usd == 2 ** 62 / 1e9


def test_ledger_saturates_instead_of_failing():
    from hrouter.state import MAX_AMOUNT_NUSD, StateDB
    assert StateDB._nusd(float("inf")) == MAX_AMOUNT_NUSD
    assert StateDB._nusd(10 ** 400) == MAX_AMOUNT_NUSD
    assert StateDB._nusd(1.5) == 1_500_000_000
    with pytest.raises(ValueError):
        StateDB._nusd(float("nan"))


# --------------------------------------------------------------------------- 2. huge integers

@pytest.mark.parametrize("yaml_tail, line, key, bound", [
    ("budget: {session_usd: %s}\n", 4, "budget.session_usd", "must be <= 1000000000 USD"),
    ("budget: {per_request_usd: %s}\n", 4, "budget.per_request_usd", "must be <= 1000000000 USD"),
    ("budget: {window_hours: %s}\n", 4, "budget.window_hours", "must be <= 87600 hours (ten years)"),
    ("latency: {sla_ms: %s}\n", 4, "latency.sla_ms", "must be <= 86400000 ms (one day)"),
    ("audit: {rotate_mb: %s}\n", 4, "audit.rotate_mb", "must be <= 1000000 MB"),
    ("judge: {cache_ttl_s: %s}\n", 4, "judge.cache_ttl_s", "must be <= 315360000 s (ten years)"),
])
def test_huge_integers_in_top_level_numbers_are_policy_errors(yaml_tail, line, key, bound):
    msg = policy_error(BASE + yaml_tail % BIG)
    assert msg == f"p.yaml:{line}: {key}: {bound}, got 100000000000…(401 digits)"


@pytest.mark.parametrize("field, bound", [
    ("timeout_s", "must be <= 86400 s (one day)"),
    ("connect_timeout_s", "must be <= 86400 s (one day)"),
    ("ttft_ms", "must be <= 86400000 ms (one day)"),
    ("price: {input_per_mtok", "must be <= 1000000 USD per million tokens"),
    ("price: {output_per_mtok", "must be <= 1000000 USD per million tokens"),
])
def test_huge_integers_in_backend_numbers_are_policy_errors(field, bound):
    if field.startswith("price"):
        line = f"    {field}: {BIG}}}\n"
        key = "backends.local.price." + field.split("{")[1]
    else:
        line = f"    {field}: {BIG}\n"
        key = f"backends.local.{field}"
    msg = policy_error("version: 1\nbackends:\n  local:\n    kind: ollama\n    zone: local\n    model: m\n" + line)
    assert msg == f"p.yaml:7: {key}: {bound}, got 100000000000…(401 digits)"


def test_huge_integer_exit_2_from_the_cli(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(BASE + f"budget: {{session_usd: {BIG}}}\n")
    for cmd in (["policy", "validate", str(p)], ["explain", "--policy", str(p), "hi"]):
        r = run_cli(cmd)
        assert r.returncode == 2
        assert error_line(r) == (f"hrouter: error: {p}:4: budget.session_usd: must be <= 1000000000 USD, "
                                 "got 100000000000…(401 digits)")


def test_an_integer_beyond_the_digit_limit_is_a_policy_error():
    msg = policy_error(BASE + "budget: {session_usd: 1" + "0" * 5000 + "}\n")
    assert msg == "p.yaml:4: budget.session_usd: number too large (5001 characters)"


def test_huge_integer_version_is_shortened():
    msg = policy_error(f"version: {BIG}\n" + BASE.split("\n", 1)[1])
    assert msg == ("p.yaml:1: version: unsupported policy version 100000000000…(401 digits) "
                   "(this hrouter reads version 1)")


# --------------------------------------------------------------------------- 3. secrets never echoed

SECRET = "sk-ant-api03-" + "A" * 30 + "0123"


def test_a_key_in_api_key_env_is_never_echoed(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(f"version: 1\nbackends:\n  o:\n    kind: openai\n    model: m\n    zone: local\n"
                 f"    base_url: http://127.0.0.1:1/v1\n    api_key_env: \"{SECRET}\"\n")
    r = run_cli(["policy", "validate", str(p)])
    assert r.returncode == 2
    line = error_line(r)
    assert SECRET not in line and "A" * 8 not in line
    assert line == (f"hrouter: error: {p}:8: backends.o.api_key_env: must be an environment variable name "
                    f"(the key itself never goes in the policy), got 'sk-ant-…({len(SECRET)} chars)'")


def test_a_random_key_shaped_like_a_variable_name_is_refused_masked():
    token = "Xq7Lp2Zr9Tb4Wn6Yc1Vd8Ks3"  # no prefix, a valid identifier: still a key, by its shape
    msg = policy_error(f"version: 1\nbackends:\n  o: {{kind: openai, model: m, zone: local, "
                       f"base_url: 'http://127.0.0.1:1/v1', api_key_env: {token}}}\n")
    assert token not in msg
    assert msg.endswith(f"got 'Xq7Lp2…({len(token)} chars)'")


def test_ordinary_variable_names_are_accepted():
    for name in ("OPENAI_API_KEY", "VLLM_KEY", "my_key_2"):
        pol = parse_policy(f"version: 1\nbackends:\n  o: {{kind: openai, model: m, zone: local, "
                           f"base_url: 'http://127.0.0.1:1/v1', api_key_env: {name}}}\n", source="p.yaml")
        assert pol.backends["o"].api_key_env == name


def test_a_key_with_a_control_character_is_never_echoed():
    msg = policy_error(f"version: 1\nbackends:\n  o: {{kind: openai, model: m, zone: local, "
                       f"base_url: 'http://127.0.0.1:1/v1', api_key_env: \"{SECRET}\\t\"}}\n")
    assert SECRET not in msg and "sk-ant-…" in msg


def test_a_password_in_a_bad_url_is_masked():
    msg = policy_error("version: 1\nbackends:\n  o: {kind: openai, model: m, zone: local, "
                       "base_url: 'http://admin:hunter2pass@127.0.0.1:1/v 1'}\n")
    assert "hunter2pass" not in msg
    assert msg.startswith("p.yaml:3: backends.o.base_url: must be a URL without spaces, got 'http://")


def test_a_key_given_where_a_mapping_belongs_is_masked():
    msg = policy_error(f"version: 1\nbackends:\n  o: \"{SECRET}\"\n")
    assert SECRET not in msg and msg.endswith(f"must be a mapping, got 'sk-ant-…({len(SECRET)} chars)'")


# --------------------------------------------------------------------------- 4. YAML 1.1 numbers

def test_octal_and_base_60_numbers_are_refused_with_the_spelling_to_write(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(BASE + "budget: {session_usd: 017}\n")
    r = run_cli(["policy", "validate", str(p)])
    assert r.returncode == 2
    assert error_line(r) == (f"hrouter: error: {p}:4: budget.session_usd: 017 is octal in YAML 1.1 "
                             "(it reads as 15): write 17")
    p.write_text(BASE + "budget: {per_request_usd: 1:30}\n")
    r = run_cli(["policy", "show", "--policy", str(p)])
    assert r.returncode == 2 and r.stdout == b""
    assert error_line(r) == (f"hrouter: error: {p}:4: budget.per_request_usd: 1:30 is base 60 in YAML 1.1 "
                             "(it reads as 90): write the plain number you mean, e.g. 90")
    p.write_text(BASE + "dispatch: {wait_s: 010}\n")
    r = run_cli(["policy", "validate", str(p)])
    assert r.returncode == 2
    assert error_line(r) == (f"hrouter: error: {p}:4: dispatch.wait_s: 010 is octal in YAML 1.1 "
                             "(it reads as 8): write 10")


def test_integer_fields_refuse_octal_too():
    assert policy_error(BASE + "  b: {kind: ollama, zone: local, model: m, max_inflight: 010}\n") == \
        "p.yaml:4: backends.b.max_inflight: 010 is octal in YAML 1.1 (it reads as 8): write 10"


def test_harmless_leading_zeros_and_quoted_forms_are_accepted():
    pol = parse_policy(BASE + "dispatch: {wait_s: 07, cooldown_s: 0.5}\nbudget: {session_usd: 0}\n", source="p.yaml")
    assert (pol.dispatch.wait_s, pol.dispatch.cooldown_s, pol.budget.session_usd) == (7.0, 0.5, 0.0)


def test_the_hint_never_suggests_a_spelling_that_underflows():
    msg = policy_error(BASE + "budget: {session_usd: 1e-400}\n")
    assert "1.0e-400" not in msg
    assert msg == ("p.yaml:4: budget.session_usd: must be a number or null, got '1e-400' (1e-400 is too small "
                   "for a number, it would read as 0: write 0 or a larger number)")


def test_the_hint_for_a_number_too_large():
    msg = policy_error(BASE + "budget: {session_usd: 1e400}\n")
    assert msg == "p.yaml:4: budget.session_usd: must be a number or null, got '1e400' (1e400 is too large for a number)"


def test_a_malformed_octal_gets_the_decimal_spelling():
    msg = policy_error(BASE + "dispatch: {wait_s: 08}\n")
    assert msg == ("p.yaml:4: dispatch.wait_s: must be a number, got '08' (YAML 1.1 reads 08 as text "
                   "(a leading 0 means octal): write 8)")


# --------------------------------------------------------------------------- 5. special files

def _learned_policy(tmp_path, model) -> Path:
    p = tmp_path / "lp.yaml"
    p.write_text(BASE + f"router: learned\nlearned: {{model: '{model}'}}\n")
    return p


def _model_text(bias: str = "0.0") -> str:
    from hrouter.learn.features import DENSE
    from hrouter.learn.model import LearnedModel
    text = LearnedModel(buckets=64, bias=0.0, dense=[0.0] * len(DENSE), ngrams=[0.0] * 64).to_json()
    return text.replace('"bias":0.0', f'"bias":{bias}')


def test_a_device_as_the_model_is_refused_unread(tmp_path):
    p = _learned_policy(tmp_path, "/dev/zero")
    r = run_cli(["policy", "validate", str(p)], timeout=20)
    assert r.returncode == 2
    assert error_line(r) == (f"hrouter: error: {p}: learned.model: not a model file this hrouter reads: /dev/zero: "
                             "is a device, not a model file (only regular files are read)")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_as_the_model_never_hangs(tmp_path):
    fifo = tmp_path / "model.fifo"
    os.mkfifo(fifo)
    p = _learned_policy(tmp_path, fifo)
    r = run_cli(["policy", "validate", str(p)], timeout=20)
    assert r.returncode == 2
    assert error_line(r) == (f"hrouter: error: {p}: learned.model: not a model file this hrouter reads: {fifo}: "
                             "is a FIFO (named pipe), not a model file (only regular files are read)")
    r = run_cli(["explain", "--json", "--policy", str(p), "hi"], timeout=20)
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)["judgement"]
    assert j["decided_by"] == "rules"
    assert j["outputs"]["learned"] == {"error": f"{fifo}: is a FIFO (named pipe), not a model file "
                                                "(only regular files are read)"}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_as_the_policy_never_hangs(tmp_path):
    fifo = tmp_path / "policy.yaml"
    os.mkfifo(fifo)
    for cmd in (["policy", "validate", str(fifo)], ["explain", "--policy", str(fifo), "hi"],
                ["ask", "--policy", str(fifo), "hi"]):
        r = run_cli(cmd, timeout=20)
        assert r.returncode == 2
        assert error_line(r) == f"hrouter: error: {fifo}: is a FIFO (named pipe), expected a YAML file"


def test_a_device_as_the_policy_is_refused(tmp_path):
    r = run_cli(["policy", "validate", "/dev/zero"], timeout=20)
    assert r.returncode == 2
    assert error_line(r) == "hrouter: error: /dev/zero: is a device, expected a YAML file"


def test_reads_are_bounded(tmp_path):
    from hrouter.policy import FileTooLargeError, read_regular_file
    f = tmp_path / "big"
    f.write_bytes(b"x" * 101)
    assert read_regular_file(f, 101) == b"x" * 101
    with pytest.raises(FileTooLargeError):
        read_regular_file(f, 100)
    p = tmp_path / "huge.yaml"
    p.write_bytes(b"#" * (4 * 1024 * 1024 + 1))
    r = run_cli(["policy", "validate", str(p)])
    assert r.returncode == 2
    assert error_line(r) == f"hrouter: error: {p}: more than 4194304 bytes: too large for a policy file"


def test_a_model_with_a_huge_integer_weight_is_a_model_file_error(tmp_path):
    model = tmp_path / "model.json"
    model.write_text(_model_text(BIG))
    p = _learned_policy(tmp_path, model)
    r = run_cli(["policy", "validate", str(p)])
    assert r.returncode == 2
    assert error_line(r) == (f"hrouter: error: {p}: learned.model: not a model file this hrouter reads: {model}: "
                             "weights.bias: not a finite number: 100000000000…(401 characters)")
    r = run_cli(["explain", "--json", "--policy", str(p), "hi"])
    assert r.returncode == 0, r.stderr
    j = json.loads(r.stdout)["judgement"]
    assert j["decided_by"] == "rules"
    assert j["outputs"]["learned"]["error"] == f"{model}: weights.bias: not a finite number: 100000000000…(401 characters)"
    model.write_text(_model_text(BIG).replace('"dense":[0.0,', f'"dense":[{BIG},').replace(f'"bias":{BIG}', '"bias":0.0'))
    r = run_cli(["policy", "validate", str(p)])
    assert r.returncode == 2 and "weights.dense[0]: not a finite number: 100000000000…(401 characters)" in error_line(r)


def test_a_good_model_still_loads(tmp_path):
    model = tmp_path / "model.json"
    model.write_text(_model_text())
    r = run_cli(["policy", "validate", str(_learned_policy(tmp_path, model))])
    assert r.returncode == 0, r.stderr


# --------------------------------------------------------------------------- 6. interrupted cloud calls

COMPLEX = "Compare the architectural trade-offs between transformer and SSM-based models step by step"


def _interrupt_cloud_ask(tmp_path, cloud, ollama, *, extra: str = "", wait_for_text: bool = True):
    p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url, extra=extra)
    proc = subprocess.Popen([sys.executable, "-m", "hrouter", "ask", "--policy", str(p), "--session", "s1", COMPLEX],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **KEY})
    if wait_for_text:
        first = proc.stdout.read(5)  # the first chunk reached stdout
        assert first == b"Trans"
    else:
        deadline = time.monotonic() + 20
        while not cloud.requests_to("/v1/messages") and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    return p


def test_interrupted_cloud_call_is_recorded_and_charged(tmp_path, hrouter_home):
    with FakeOllama(chunks=["x"], models=["llama3.2:3b"]) as ollama, \
            FakeAnthropic(chunks=["Trans", "formers ", "win."], chunk_delay_s=30) as cloud:
        p = _interrupt_cloud_ask(tmp_path, cloud, ollama)
    rec = audit_records(hrouter_home)[-1]
    assert (rec["type"], rec["status"], rec["backend"], rec["zone"]) == ("request", "interrupted", "cloud",
                                                                         "public-cloud")
    assert rec["cloud_egress"] is True and rec["attempts"][0]["status"] == "interrupted"
    # message_start reported 21 input tokens and 1 output token; "Trans" arrived (1 token)
    assert (rec["input_tokens"], rec["output_tokens"]) == (21, 1)
    assert rec["cost_usd"] == pytest.approx((21 * 3 + 1 * 15) / 1e6)
    r = run_cli(["budget", "--policy", str(p), "--session", "s1", "--json"])
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["spent_usd"] == pytest.approx((21 * 3 + 1 * 15) / 1e6)


def test_interrupted_before_any_token_charges_the_estimated_input(tmp_path, hrouter_home):
    """Sent, no usage yet: input tokens estimated, marked so; the reservation settles at that cost."""
    with FakeOllama(chunks=["x"], models=["llama3.2:3b"]) as ollama, \
            FakeAnthropic(chunks=["Trans"], first_chunk_delay_s=30) as cloud:
        p = _interrupt_cloud_ask(tmp_path, cloud, ollama, extra="budget: {session_usd: 5}\n", wait_for_text=False)
    rec = audit_records(hrouter_home)[-1]
    assert (rec["status"], rec["backend"], rec["usage_estimated"]) == ("interrupted", "cloud", True)
    r = run_cli(["explain", "--json", "--policy", str(p), COMPLEX])
    tokens = json.loads(r.stdout)["tokens"]
    assert (rec["input_tokens"], rec["output_tokens"]) == (tokens, 0)
    assert rec["cost_usd"] == pytest.approx(tokens * 3 / 1e6)
    r = run_cli(["budget", "--policy", str(p), "--session", "s1", "--json"])
    budget = json.loads(r.stdout)
    assert budget["spent_usd"] == pytest.approx(tokens * 3 / 1e6) and budget["reserved_usd"] == 0.0


# --------------------------------------------------------------------------- 7. HROUTER_HOME

def test_hrouter_home_expands_the_tilde(tmp_path, monkeypatch):
    from hrouter.paths import config_dir, state_dir
    monkeypatch.setenv("HOME", str(tmp_path / "h"))
    monkeypatch.setenv("HROUTER_HOME", "~/x")
    assert state_dir() == tmp_path / "h" / "x" / "state"
    assert config_dir() == tmp_path / "h" / "x" / "config"


def test_hrouter_home_tilde_from_the_cli_creates_no_literal_tilde(tmp_path):
    work = tmp_path / "cwd"
    work.mkdir()
    r = run_cli(["policy", "show"], env={"HOME": str(tmp_path / "h"), "HROUTER_HOME": "~/x"}, cwd=work)
    assert r.returncode == 0, r.stderr
    assert f"# audit log: {tmp_path / 'h' / 'x' / 'state' / 'audit.jsonl'}" in r.stdout.decode()
    assert not (work / "~").exists()


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_hrouter_home_counts_as_unset(monkeypatch, value):
    import platformdirs

    from hrouter.paths import state_dir
    monkeypatch.setenv("HROUTER_HOME", value)
    assert state_dir() == Path(platformdirs.user_state_dir("hrouter", appauthor=False))
