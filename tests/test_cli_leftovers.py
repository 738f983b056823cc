"""Regression tests for CLI defects in ``log``, ``stats`` and ``audit``: audit-log lines of the
wrong shape, ``audit match ""``, a malformed ``--otlp-endpoint`` and ``audit verify`` given a
directory (and their siblings). Every test drives ``python -m hrouter`` (tests/clitools.py)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from clitools import run_cli
from hrouter.audit import AuditLog, prompt_hmac

NOW = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
GOOD = {"type": "request", "ts": NOW, "id": "good", "session": "s", "backend": "local", "zone": "local",
        "tier": "public", "rule": "complexity.below_threshold", "status": "ok", "cloud_egress": False,
        "attempts": [{"backend": "local"}], "input_tokens": 3, "output_tokens": 4, "cost_usd": 0.0,
        "ttft_ms": 10.0, "latency_ms": 20.0}
VERIFY_HINT = "; see `hrouter audit verify`"

# (line as written, the reason the warning gives for it)
WRONG_SHAPE = [
    ("[]", "not a JSON object"),
    ("42", "not a JSON object"),
    ('{"type": "decision"}', 'unknown record type "decision"'),
    ('{"type": "request", "id": "x"}', "missing field 'ts'"),
    ('{"type": "request", "ts": 5}', "field 'ts' must be an ISO-8601 time string, got a number"),
    ('{"type": "request", "ts": "yesterday"}', "field 'ts' is not an ISO-8601 time: \"yesterday\""),
    (json.dumps({**GOOD, "ttft_ms": "fast"}), "field 'ttft_ms' must be a non-negative number, got \"fast\""),
    (json.dumps({**GOOD, "input_tokens": "many"}), "field 'input_tokens' must be a non-negative integer, got \"many\""),
    (json.dumps({**GOOD, "attempts": 5}), "field 'attempts' must be a list of objects"),
    (json.dumps({**GOOD, "tier": ["x"]}), "field 'tier' must be a string, got a list"),
    (json.dumps({**GOOD, "backend": ["x"]}), "field 'backend' must be a string, got a list"),
    (json.dumps({**GOOD, "cost_usd": "free"}), "field 'cost_usd' must be a non-negative number, got \"free\""),
    (json.dumps({**GOOD, "cloud_egress": True, "redacted": 5}), "field 'redacted' must be an object, got a number"),
    (json.dumps({**GOOD, "cloud_egress": True, "egress_ids": [1]}), "field 'egress_ids' must be a list of strings"),
]


def write_log(home, lines: list[str]):
    path = home / "state" / "audit.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def warning(path, n: int, line: int, reason: str) -> str:
    return (f"hrouter: warning: skipped {n} unreadable line(s) in the audit log "
            f"(first: {path}:{line}: {reason}){VERIFY_HINT}")


# --------------------------------------------------------------------------- 1. wrong-shape lines

@pytest.mark.parametrize("line,reason", WRONG_SHAPE, ids=[r for _, r in WRONG_SHAPE])
def test_log_and_stats_skip_and_count_a_wrong_shape_line(hrouter_home, line, reason):
    path = write_log(hrouter_home, [json.dumps(GOOD), line])
    expected = warning(path, 1, 2, reason)
    r = run_cli(["log", "--json"])
    assert r.returncode == 0, r.stderr
    assert r.stderr.decode().splitlines() == [expected]
    assert [json.loads(x)["id"] for x in r.stdout.decode().splitlines()] == ["good"]
    r = run_cli(["stats", "--json"])
    assert r.returncode == 0, r.stderr
    assert r.stderr.decode().splitlines() == [expected]
    st = json.loads(r.stdout)
    assert (st["requests"], st["local"], st["skipped"]) == (1, 1, 1)


def test_every_view_survives_a_log_of_all_wrong_shapes_and_counts_them(hrouter_home):
    bad = ["not json", *(line for line, _ in WRONG_SHAPE)]
    path = write_log(hrouter_home, [json.dumps(GOOD), *bad])
    expected = warning(path, len(bad), 2, "not JSON (cut short or altered)")
    for args in (["log"], ["audit", "show"], ["stats"], ["stats", "--format", "prometheus"]):
        r = run_cli(args)
        assert r.returncode == 0, (args, r.stderr)
        assert r.stderr.decode().splitlines()[0] == expected, args
        assert b"internal error" not in r.stderr
    r = run_cli(["log"])
    assert r.stderr.decode().splitlines() == [expected, "1 record(s)"]
    assert r.stdout.decode().count("\n2") == 1  # one table row (its time starts with the year)
    r = run_cli(["stats", "--format", "prometheus"])
    assert 'hrouter_requests_by_outcome_total{outcome="served_local"} 1' in r.stdout.decode().splitlines()
    st = json.loads(run_cli(["stats", "--json"]).stdout)
    assert (st["requests"], st["skipped"]) == (1, len(bad))


def test_well_formed_egress_and_dispatch_records_are_not_skipped(hrouter_home):
    log = AuditLog(hrouter_home / "state" / "audit.jsonl")
    log.append({"type": "dispatch", "ts": NOW, "id": "d1", "request": "good", "backend": "local"})
    log.append(GOOD)
    log.append({"type": "egress", "ts": NOW, "id": "e1", "request": "orphan", "backend": "cloud",
                "zone": "public-cloud", "tier": "public", "redacted": None})
    r = run_cli(["log", "--json"])
    assert r.returncode == 0 and r.stderr == b""
    assert sorted(json.loads(x)["id"] for x in r.stdout.decode().splitlines()) == ["good", "orphan"]
    st = json.loads(run_cli(["stats", "--json"]).stdout)
    assert (st["requests"], st["cloud"], st["local"], st["skipped"]) == (2, 1, 1, 0)


def test_audit_match_lists_a_malformed_matching_record_and_never_says_it_stayed(hrouter_home):
    (hrouter_home / "state").mkdir(parents=True)
    key = b"k" * 32
    (hrouter_home / "state" / "audit.key").write_bytes(key)
    digest = prompt_hmac("the contract", key)
    bad = {**GOOD, "id": "bad", "cloud_egress": True, "attempts": 5, "prompt_hmac": digest,
           "redacted": {"count": 1, "kinds": {"email": 1}}}
    path = write_log(hrouter_home, [json.dumps({**GOOD, "prompt_hmac": digest}), json.dumps(bad)])
    r = run_cli(["audit", "match", "the contract"])
    assert r.returncode == 0, r.stderr  # was: internal error (exit 1) on the malformed record
    assert r.stderr.decode().splitlines() == [warning(path, 1, 2, "field 'attempts' must be a list of objects")]
    out = r.stdout.decode().splitlines()
    assert len(out) == 3 and out[0].endswith("id=good") and "id=bad (malformed record: field 'attempts'" in out[1]
    assert out[2] == "2 record(s); it may have left the machine: 1 matching record(s) malformed"


# --------------------------------------------------------------------------- 2. audit match ""

MATCH_EMPTY = ("hrouter: error: audit match: no text to match (TEXT is empty or missing): give the exact prompt "
               "as TEXT, -f FILE or stdin, e.g. hrouter audit match -f contract.txt \"Summarize this\"")


@pytest.mark.parametrize("args", [["audit", "match", ""], ["audit", "match", "  "], ["audit", "match", "--no-stdin"]])
def test_audit_match_without_text_is_its_own_one_line_usage_error(args):
    r = run_cli(args)
    assert r.returncode == 2
    assert r.stdout == b""
    assert r.stderr.decode().splitlines() == [MATCH_EMPTY]  # not ask's usage example


# --------------------------------------------------------------------------- 3. --otlp-endpoint

EXAMPLE = "e.g. http://127.0.0.1:4318/v1/metrics"


@pytest.mark.parametrize("value,message", [
    ("notaurl", "--otlp-endpoint 'notaurl': expected an http:// or https:// URL (OTLP/HTTP); " + EXAMPLE),
    ("ftp://h/v1/metrics", "--otlp-endpoint 'ftp://h/v1/metrics': expected an http:// or https:// URL (OTLP/HTTP); "
     + EXAMPLE),
    ("http://", "--otlp-endpoint 'http://': the URL has no host; " + EXAMPLE),
    ("http://h:99999/v1/metrics", "--otlp-endpoint 'http://h:99999/v1/metrics': not a valid URL "
     "(Port out of range 0-65535); " + EXAMPLE),
    ("http://h :4318/", "--otlp-endpoint 'http://h :4318/': a URL cannot contain spaces or control characters; "
     + EXAMPLE),
])
def test_malformed_otlp_endpoint_is_a_usage_error_naming_the_option(hrouter_home, value, message):
    write_log(hrouter_home, [json.dumps(GOOD)])
    r = run_cli(["stats", "--format", "otlp", "--otlp-endpoint", value])
    assert r.returncode == 2
    assert r.stdout == b"" and r.stderr.decode().splitlines() == ["hrouter: error: " + message]


def test_otlp_endpoint_without_format_otlp_is_a_usage_error():
    r = run_cli(["stats", "--otlp-endpoint", "notaurl"])  # was: exit 0, the option silently ignored
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode().splitlines() == [
        "hrouter: error: --otlp-endpoint is only used with --format otlp; add --format otlp to push the metrics"]


@pytest.mark.parametrize("var", ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"])
def test_malformed_otlp_endpoint_variable_is_named(var):
    r = run_cli(["stats", "--format", "otlp"], env={var: "collector:4318"})
    assert r.returncode == 2
    assert r.stderr.decode().splitlines() == [
        f"hrouter: error: {var} 'collector:4318': expected an http:// or https:// URL (OTLP/HTTP); {EXAMPLE}"]


# --------------------------------------------------------------------------- 4. audit verify PATH

def test_audit_verify_given_a_directory_says_so(tmp_path):
    r = run_cli(["audit", "verify", str(tmp_path)])
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode().splitlines() == [
        f"hrouter: error: {tmp_path}: is a directory, expected an audit log file "
        "(e.g. audit.jsonl; with no PATH, the policy's log and its rotated files)"]


def test_audit_verify_bad_paths_are_usage_errors(tmp_path):
    r = run_cli(["audit", "verify", ""])  # was: silently verified the policy's log instead
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode().splitlines() == [
        "hrouter: error: audit verify: PATH is empty: give an audit log file, or no PATH for the policy's log"]
    r = run_cli(["audit", "verify", str(tmp_path / "nope.jsonl")])
    assert r.returncode == 2
    assert r.stderr.decode().splitlines() == [f"hrouter: error: {tmp_path / 'nope.jsonl'}: no such audit log"]
    r = run_cli(["audit", "verify", "/dev/null"])
    assert r.returncode == 2
    assert r.stderr.decode().splitlines() == ["hrouter: error: /dev/null: not a regular file, expected an audit log file"]


def test_policy_audit_path_that_is_a_directory_is_named_in_every_reader(tmp_path):
    d = tmp_path / "logdir"
    d.mkdir()
    pol = tmp_path / "p.yaml"
    pol.write_text(f"version: 1\nbackends:\n  a: {{kind: ollama, model: m, zone: local}}\naudit:\n  path: {d}\n")
    for args in (["log"], ["stats"], ["audit", "show"]):
        r = run_cli([*args, "--policy", str(pol)])
        assert r.returncode == 1, args  # README: the audit log could not be read
        assert r.stderr.decode().splitlines() == [
            f"hrouter: error: cannot read audit log {d}: it is a directory, expected a file "
            "(check audit.path in the policy)"], args
    r = run_cli(["audit", "verify", "--policy", str(pol)])
    assert r.returncode == 1
    assert r.stderr.decode().splitlines() == [f"hrouter: error: cannot read audit log {d}: it is a directory, "
                                              "expected a file"]


# --------------------------------------------------------------------------- siblings: empty filters

@pytest.mark.parametrize("option", ["--backend", "--session"])
def test_log_empty_filter_is_a_usage_error_not_no_filter(hrouter_home, option):
    write_log(hrouter_home, [json.dumps(GOOD)])
    r = run_cli(["log", "--json", option, ""])  # was: every record, as if the option were absent
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode().splitlines() == [
        f"hrouter: error: {option} is empty: give a {option[2:]} name, or leave the option out for all"]
