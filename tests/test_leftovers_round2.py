"""Regression tests for the second round of leftover defects: budget amounts shown rounded to
cents, a backend failing mid-answer charged nothing (or the worst case), a silent Ctrl-C, an
unbounded ``--sla``, ``feedback last`` by file order, bidi/zero-width characters printed raw,
``record_problem`` missing NaN/Infinity and lone surrogates, and ``audit match`` printing
huge fields uncut. CLI tests drive ``python -m hrouter`` against the loopback fakes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from clitools import ROOT, audit_records, run_cli, write_policy
from fakes import FakeAnthropic, FakeOllama
from hrouter.audit import AuditLog, prompt_hmac, record_problem
from hrouter.cli import _printable
from hrouter.render import usd

SIMPLE = "What is the capital of France?"
COMPLEX = "Compare the architectural trade-offs between transformer and SSM-based models step by step"
KEY = {"ANTHROPIC_API_KEY": "sk-ant-test-key-0123456789"}
NOW = datetime.now(timezone.utc) - timedelta(hours=1)


def iso(t: datetime) -> str:
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


GOOD = {"type": "request", "ts": iso(NOW), "id": "good", "session": "s", "backend": "local", "zone": "local",
        "tier": "public", "rule": "complexity.below_threshold", "status": "ok", "cloud_egress": False,
        "attempts": [{"backend": "local"}], "input_tokens": 3, "output_tokens": 4, "cost_usd": 0.0,
        "ttft_ms": 10.0, "latency_ms": 20.0}


def write_log(home, lines: list[str]):
    path = home / "state" / "audit.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.fixture
def ollama():
    with FakeOllama(chunks=["Par", "is."], models=["llama3.2:3b"]) as f:
        yield f


# --------------------------------------------------------------------------- 1. budget digits

def test_usd_keeps_the_digits_a_budget_needs():
    assert [usd(x) for x in (0, 0.5, 0.005, 0.0154, 1.005, 12.25, 0.00001234, 0.123456)] == [
        "$0.00", "$0.50", "$0.005", "$0.0154", "$1.005", "$12.25", "$0.00001234", "$0.1235"]
    assert [usd(x, 4) for x in (0, 0.005, 0.00005)] == ["$0.0000", "$0.0050", "$0.00005"]


def test_budget_and_explain_show_a_half_cent_ceiling_as_is(tmp_path, ollama):
    p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url="http://127.0.0.1:9",
                     extra="budget: {session_usd: 0.005, per_request_usd: 0.0025}\n")
    r = run_cli(["budget", "--policy", str(p), "--session", "b1"])
    assert r.returncode == 0, r.stderr
    ceiling = [line for line in r.stdout.decode().splitlines() if line.startswith("ceiling")]
    assert ceiling == ["ceiling   $0.005; remaining $0.0050 (0% used; cheaper routing from 85%)"]
    r = run_cli(["explain", "--policy", str(p), "--session", "b1", SIMPLE])
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert "budget: per request $0.0025; session $0.005 (b1)" in err
    assert "session $0.01" not in err and "per request $0.00;" not in err


# --------------------------------------------------------------------------- 2. failure mid-answer

@pytest.mark.parametrize("session_usd", [None, 10.0], ids=["no-session-budget", "reservation"])
def test_failure_after_the_answer_began_charges_what_was_consumed(tmp_path, hrouter_home, session_usd):
    extra = "" if session_usd is None else f"budget: {{session_usd: {session_usd}}}\n"
    with FakeAnthropic(chunks=["Trans", "formers ", "win."], error_after=2, input_tokens=21,
                       served_model="claude-sonnet-4-6-20260217") as cloud, \
            FakeOllama(chunks=["Par", "is."], models=["llama3.2:3b"]) as ollama:
        p = write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url, extra=extra)
        r = run_cli(["ask", "--policy", str(p), "--session", "mid", COMPLEX], env=KEY)
    assert r.returncode == 1, r.stderr
    assert r.stdout.startswith(b"Transformers ")
    err = r.stderr.decode().strip().splitlines()
    assert err[-1].startswith("hrouter: error: cloud failed after the answer began")
    rec = [x for x in audit_records(hrouter_home) if x["type"] == "request"][-1]
    assert (rec["status"], rec["backend"], rec["zone"]) == ("error", "cloud", "public-cloud")
    assert rec["input_tokens"] == 21 and rec["output_tokens"] >= 2
    expected = (21 * 3.0 + rec["output_tokens"] * 15.0) / 1e6
    assert rec["cost_usd"] == pytest.approx(expected)
    b = json.loads(run_cli(["budget", "--policy", str(p), "--session", "mid", "--json"]).stdout)
    assert b["spent_usd"] == pytest.approx(round(expected, 6), abs=1e-6)  # not 0, not the worst case
    assert (b["reserved_usd"], b["entries"], b["in_flight_reservations"]) == (0, 1, 0)


# --------------------------------------------------------------------------- 3. Ctrl-C says so

def test_interrupted_ask_says_so_on_one_line_and_exits_130(tmp_path, hrouter_home):
    with FakeOllama(chunks=["x"], first_chunk_delay_s=20, models=["llama3.2:3b"]) as slow:
        p = write_policy(tmp_path, ollama_url=slow.url)
        proc = subprocess.Popen([sys.executable, "-m", "hrouter", "ask", "-q", "--policy", str(p), SIMPLE],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                env={**os.environ, "PYTHONPATH": str(ROOT)})
        deadline = time.monotonic() + 30
        while not slow.requests_to("/api/chat") and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.decode().splitlines() == ["hrouter: error: interrupted"]
    assert out == b""
    rec = audit_records(hrouter_home)[-1]
    assert (rec["type"], rec["status"], rec["backend"]) == ("request", "interrupted", "local")


# --------------------------------------------------------------------------- 4. --sla bounds

@pytest.mark.parametrize("value", ["0", "86400001", "1e12", "inf", "nan", "-5"])
def test_sla_option_is_bounded_like_the_policy(value):
    for command in ("ask", "explain"):
        r = run_cli([command, "--no-stdin", "--sla", value, SIMPLE])
        assert r.returncode == 2, (command, value, r.stderr)
        lines = r.stderr.decode().splitlines()
        assert len(lines) == 1 and "--sla" in lines[0] and "Traceback" not in lines[0], lines


def test_sla_option_accepts_the_policy_range_ends():
    for value in ("1", "86400000"):
        r = run_cli(["explain", "--json", "--sla", value, SIMPLE])
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["considerations"]["latency"]["sla_ms"] == float(value)


# --------------------------------------------------------------------------- 5. feedback last by ts

def test_feedback_last_picks_the_newest_by_time_not_by_line(hrouter_home, tmp_path):
    comps = {"components": {"reasoning": 0.6, "code": 0.0, "math": 0.0}, "input_tokens": 40}
    newest = {**GOOD, **comps, "id": "a" * 32, "ts": iso(NOW + timedelta(seconds=2))}
    older = {**GOOD, **comps, "id": "b" * 32, "ts": iso(NOW + timedelta(seconds=1))}
    tie_first = {**GOOD, **comps, "id": "c" * 32, "ts": iso(NOW - timedelta(seconds=5))}
    write_log(hrouter_home, [json.dumps(newest), json.dumps(older)])  # appended slightly out of order
    r = run_cli(["feedback", "last", "good"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().startswith(f"labelled {'a' * 32} good")
    # equal times: the later line wins
    same = iso(NOW + timedelta(seconds=9))
    write_log(hrouter_home, [json.dumps({**tie_first, "ts": same}), json.dumps({**older, "ts": same})])
    r = run_cli(["feedback", "last", "bad"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().startswith(f"labelled {'b' * 32} bad")


# --------------------------------------------------------------------------- 6. bidi, zero-width

def test_printable_escapes_bidi_and_zero_width_characters():
    text = "a\u202eb\u202ac\u2066d\u2069e\u200bf\u200fg\ufeffh\u2067\u202di"
    assert _printable(text) == "a\\u202eb\\u202ac\\u2066d\\u2069e\\u200bf\\u200fg\\ufeffh\\u2067\\u202di"
    assert _printable("é ü 漢 \u2010") == "é ü 漢 \u2010"  # ordinary text is left alone


def test_log_and_match_escape_a_right_to_left_override(hrouter_home):
    key = b"k" * 32
    (hrouter_home / "state").mkdir(parents=True)
    (hrouter_home / "state" / "audit.key").write_bytes(key)
    digest = prompt_hmac("the contract", key)
    write_log(hrouter_home, [json.dumps({**GOOD, "backend": "evil\u202elacol", "prompt_hmac": digest})])
    r = run_cli(["log"])
    assert r.returncode == 0, r.stderr
    assert "\u202e" not in r.stdout.decode() and "evil\\u202elacol" in r.stdout.decode()
    r = run_cli(["audit", "match", "the contract"])
    assert r.returncode == 0, r.stderr
    assert "backend=evil\\u202elacol " in r.stdout.decode() and "\u202e" not in r.stdout.decode()


# --------------------------------------------------------------------------- 7. record_problem

@pytest.mark.parametrize("line,reason", [
    ('"complexity": {"score": NaN}', "field 'complexity' holds a non-finite number (NaN)"),
    ('"components": [1, Infinity]', "field 'components' holds a non-finite number (Infinity)"),
    ('"extra": {"deep": [[{"x": -Infinity}]]}', "field 'extra' holds a non-finite number (-Infinity)"),
    ('"model": "bad\\ud800"', "field 'model' holds a string with a lone surrogate"),
    ('"judgement": {"\\udfff": 1}', "field 'judgement' holds a string with a lone surrogate"),
])
def test_record_problem_rejects_non_finite_numbers_and_lone_surrogates_anywhere(line, reason):
    good = json.dumps(GOOD)
    rec = json.loads(good[:-1] + ", " + line + "}")
    assert record_problem(rec) == reason
    assert record_problem(rec, strict=False) is None  # log, stats, feedback keep it (README)
    assert record_problem(GOOD) is None
    assert record_problem({**GOOD, "model": "é 漢", "n": 1e308, "big": 10 ** 400}) is None


def test_record_problem_walk_is_cheap():
    rec = {**GOOD, "judgement": {"models": [{"out": "x" * 50, "v": [0.5] * 50}] * 40}, "model": "é" * 2000}
    t0 = time.process_time()
    for _ in range(200):
        assert record_problem(rec) is None
    assert (time.process_time() - t0) / 200 < 0.005  # < 5 ms a record (about 0.2 ms here)


def test_audit_match_lists_nan_and_surrogate_records_as_malformed(hrouter_home):
    key = b"k" * 32
    (hrouter_home / "state").mkdir(parents=True)
    (hrouter_home / "state" / "audit.key").write_bytes(key)
    digest = prompt_hmac("the contract", key)
    good = json.dumps({**GOOD, "prompt_hmac": digest})
    nan = good[:-1] + ', "complexity": {"score": NaN}}'
    sur = json.dumps({**GOOD, "id": "sur", "prompt_hmac": digest})[:-1] + ', "model": "x\\ud800"}'
    path = write_log(hrouter_home, [good, nan.replace('"id": "good"', '"id": "nan"'), sur])
    r = run_cli(["audit", "match", "the contract"])
    assert r.returncode == 0, r.stderr
    assert r.stderr.decode().splitlines() == [
        f"hrouter: warning: skipped 2 unreadable line(s) in the audit log (first: {path}:2: field 'complexity' "
        "holds a non-finite number (NaN)); see `hrouter audit verify`"]
    out = r.stdout.decode().splitlines()
    assert len(out) == 4 and out[0].endswith("id=good")
    assert out[1].endswith("id=nan (malformed record: field 'complexity' holds a non-finite number (NaN))")
    assert out[2].endswith("id=sur (malformed record: field 'model' holds a string with a lone surrogate)")
    assert out[3] == "3 record(s); it may have left the machine: 2 matching record(s) malformed"


def test_log_and_stats_still_keep_nan_and_surrogate_records(hrouter_home):
    good = json.dumps(GOOD)
    nan = good[:-1] + ', "complexity": {"score": NaN}}'
    sur = json.dumps({**GOOD, "id": "sur"})[:-1] + ', "session": "s\\ud800"}'
    write_log(hrouter_home, [nan, sur])
    r = run_cli(["log", "--json"])
    assert r.returncode == 0, r.stderr
    rows = r.stdout.decode().splitlines()
    assert len(rows) == 2 and json.loads(rows[0])["complexity"] == {"score": None}
    assert "\\ud800" in rows[1] and json.loads(rows[1])["session"] == "s\ud800"
    assert "printed as null" in r.stderr.decode() and "skipped" not in r.stderr.decode()
    r = run_cli(["log"])
    assert r.returncode == 0 and "s\\ud800" in r.stdout.decode()
    st = json.loads(run_cli(["stats", "--json"]).stdout)
    assert (st["requests"], st["local"], st["skipped"]) == (2, 2, 0)


# --------------------------------------------------------------------------- 8. audit match cuts fields

def test_audit_match_cuts_each_printed_field(hrouter_home):
    key = b"k" * 32
    (hrouter_home / "state").mkdir(parents=True)
    (hrouter_home / "state" / "audit.key").write_bytes(key)
    digest = prompt_hmac("the contract", key)
    huge = {**GOOD, "id": "i" * 5000, "backend": "b" * 100_000, "zone": "z" * 300, "attempts": 5,
            "prompt_hmac": digest}
    fine = {**GOOD, "id": "ok", "backend": "c" * 100_000, "prompt_hmac": digest}
    write_log(hrouter_home, [json.dumps(huge), json.dumps(fine)])
    r = run_cli(["audit", "match", "the contract"])
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode().splitlines()
    assert len(out) == 3 and max(len(line) for line in out) < 1200
    assert f"backend={'c' * 200}… zone=local" in out[0]
    assert f"backend={'b' * 200}… zone={'z' * 200}… id={'i' * 200}… (malformed record: " in out[1]
    assert f"backend={'b' * 201}" not in r.stdout.decode()
