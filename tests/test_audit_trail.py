"""The audit trail as a compliance artifact: hash chain, tamper detection, write-ahead egress
records, querying, and matching a text by its HMAC."""

from __future__ import annotations

import json
import multiprocessing
import os

import pytest

from clitools import audit_records, run_cli, write_policy
from fakes import FakeAnthropic, FakeOllama
from hrouter.audit import AuditLog, verify

KEY = {"ANTHROPIC_API_KEY": "sk-ant-test-key-0123456789"}
COMPLEX = "Compare the architectural trade-offs between transformer and SSM-based models step by step"


def _ask_loop(policy_path: str, home: str, n: int, worker: int) -> None:
    os.environ["HROUTER_HOME"] = home
    os.environ.update(KEY)
    from hrouter import Prompt, RouteContext, Router
    router = Router.from_policy_file(policy_path)
    for i in range(n):
        text = COMPLEX if i % 4 == 0 else f"What is the capital of France? {worker}-{i}"
        router.ask(Prompt(text), RouteContext(session=f"w{worker}"))


def test_16_processes_x_100_asks_chain_verifies(tmp_path, hrouter_home):
    with FakeOllama(chunks=["ok"], models=["llama3.2:3b"]) as local, FakeAnthropic(chunks=["ok"]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url)
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=_ask_loop, args=(str(p), str(hrouter_home), 100, w)) for w in range(16)]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(240)
            assert proc.exitcode == 0
    log = hrouter_home / "state" / "audit.jsonl"
    recs = [json.loads(line) for line in log.read_text().splitlines()]
    requests = [r for r in recs if r["type"] == "request"]
    egress = [r for r in recs if r["type"] == "egress"]
    dispatch = [r for r in recs if r["type"] == "dispatch"]
    assert len(requests) == 1600 and len(egress) == 400  # every 4th prompt went to the cloud
    assert len(dispatch) == 1200  # audit.required_for: all writes ahead for local calls too
    assert [r["seq"] for r in recs] == list(range(1, 3201))
    assert verify(log) == (3200, [])
    # every cloud request record names the egress record written before it
    by_id = {r["id"]: r for r in egress}
    for r in requests:
        if r["cloud_egress"]:
            (eid,) = r["egress_ids"]
            assert by_id[eid]["request"] == r["id"] and by_id[eid]["seq"] < r["seq"]


@pytest.fixture
def chained(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for i in range(8):
        log.append({"type": "request", "i": i, "backend": "local"})
    return path


def _rewrite(path, lines):
    path.write_bytes(b"".join(lines))


def test_verify_names_the_broken_line(chained):
    lines = chained.read_bytes().splitlines(keepends=True)
    assert verify(chained) == (8, [])
    _rewrite(chained, lines[:3] + [lines[3].replace(b'"local"', b'"lokal"')] + lines[4:])  # one byte
    assert verify(chained)[1][0].startswith("line 5: does not follow line 4 (line 4 altered")
    _rewrite(chained, lines[:3] + lines[4:])  # delete line 4
    assert verify(chained)[1][0] == "line 4: seq 5, expected 4: 1 record(s) missing before it"
    _rewrite(chained, lines[:2] + [lines[3], lines[2]] + lines[4:])  # swap lines 3 and 4
    assert verify(chained)[1][0].startswith("line 3: seq 4, expected 3")
    _rewrite(chained, lines[:7])  # the last record removed
    assert "head file records seq 8, the log ends at seq 7" in verify(chained)[1][0]
    _rewrite(chained, lines[:7] + [lines[7].replace(b'"local"', b'"cloud"')])
    assert verify(chained)[1] == ["line 8: the last record was altered (its hash differs from the head file)"]


def test_audit_verify_cli_exit_codes(tmp_path, chained):
    p = tmp_path / "pol.yaml"
    p.write_text(f"version: 1\nbackends:\n  a: {{kind: ollama, model: m, zone: local}}\naudit:\n  path: {chained}\n")
    r = run_cli(["audit", "verify", "--policy", str(p)])
    assert r.returncode == 0 and b"ok: 8 record(s)" in r.stdout
    lines = chained.read_bytes().splitlines(keepends=True)
    _rewrite(chained, lines[:3] + lines[4:])
    r = run_cli(["audit", "verify", str(chained)])
    assert r.returncode == 1 and b"line 4: seq 5, expected 4" in r.stdout and b"BROKEN" in r.stdout


def test_rotation_links_files_and_each_verifies(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, rotate_bytes=300)
    for i in range(12):
        log.append({"type": "request", "i": i})
    files = log.files()
    assert len(files) > 2
    assert all(verify(f)[1] == [] for f in files)
    assert [r["i"] for r in log.records()] == list(range(12))
    first_of_current = json.loads(files[-1].read_text().splitlines()[0])
    assert first_of_current["prev_file"] == files[-2].name and first_of_current["seq"] == 1


def test_write_ahead_egress_record_and_match(tmp_path, hrouter_home):
    with FakeOllama(chunks=["Paris."], models=["llama3.2:3b"]) as local, FakeAnthropic(chunks=["x"]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url)
        assert run_cli(["ask", "--policy", str(p), COMPLEX], env=KEY).returncode == 0
        assert run_cli(["ask", "--policy", str(p), "What is the capital of France?"], env=KEY).returncode == 0
    egress, req1, dispatch, req2 = audit_records(hrouter_home)
    assert egress["type"] == "egress" and egress["zone"] == "public-cloud" and egress["request"] == req1["id"]
    assert req1["egress_ids"] == [egress["id"]] and req2["egress_ids"] == []
    assert dispatch["type"] == "dispatch" and req2["dispatch_ids"] == [dispatch["id"]]
    r = run_cli(["audit", "match", "--policy", str(p), COMPLEX])
    assert r.returncode == 0 and b"it left the machine" in r.stdout
    r = run_cli(["audit", "match", "--policy", str(p), "What is the capital of France?"])
    assert r.returncode == 0 and b"never left" in r.stdout
    r = run_cli(["audit", "match", "--policy", str(p), "never asked"])
    assert r.returncode == 1 and b"no record" in r.stdout


def test_log_filters_and_json(tmp_path, hrouter_home):
    with FakeOllama(chunks=["Paris."], models=["llama3.2:3b"]) as local, FakeAnthropic(chunks=["x"]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url)
        run_cli(["ask", "--policy", str(p), "--session", "s1", COMPLEX], env=KEY)
        run_cli(["ask", "--policy", str(p), "--session", "s2", "My SSN is 536-22-1947"], env=KEY)
    r = run_cli(["log", "--json", "--policy", str(p)])
    recs = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert [x["session"] for x in recs] == ["s1", "s2"]  # egress records are not listed
    r = run_cli(["log", "--json", "--egress", "--policy", str(p)])
    assert [json.loads(x)["session"] for x in r.stdout.decode().splitlines()] == ["s1"]
    r = run_cli(["log", "--json", "--tier", "confidential", "--policy", str(p)])
    assert [json.loads(x)["backend"] for x in r.stdout.decode().splitlines()] == ["local"]
    r = run_cli(["log", "--json", "--since", "1h", "-n", "1", "--policy", str(p)])
    assert len(r.stdout.decode().splitlines()) == 1
    r = run_cli(["audit", "show", "--policy", str(p)])
    assert r.returncode == 0 and b"s1" in r.stdout and b"s2" in r.stdout
    r = run_cli(["log", "--since", "yesterday-ish", "--policy", str(p)])
    assert r.returncode == 2 and b"--since" in r.stderr


def test_logged_prompt_is_masked_unless_raw(tmp_path, hrouter_home):
    with FakeOllama(chunks=["ok"], models=["llama3.2:3b"]) as local:
        p = write_policy(tmp_path, ollama_url=local.url, extra="audit:\n  log_prompt: true\n")
        run_cli(["ask", "--policy", str(p), "Fill the form for SSN 536-22-1947 please"], env=KEY)
        raw = write_policy(tmp_path, ollama_url=local.url, extra="audit:\n  log_prompt: raw\n", name="raw.yaml")
        run_cli(["ask", "--policy", str(raw), "Fill the form for SSN 536-22-1947 please"], env=KEY)
    masked, verbatim = [r for r in audit_records(hrouter_home) if r["type"] == "request"]
    assert masked["prompt"] == "Fill the form for SSN [SSN] please"
    assert verbatim["prompt"] == "Fill the form for SSN 536-22-1947 please"
    text = (hrouter_home / "state" / "audit.jsonl").read_text()
    assert KEY["ANTHROPIC_API_KEY"] not in text
    assert (hrouter_home / "state" / "audit.key").read_bytes().hex() not in text


def test_verify_reports_removed_files_and_a_broken_head(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, rotate_bytes=300)
    for i in range(12):
        log.append({"type": "request", "i": i})
    files = log.files()
    files[1].unlink()  # a rotated file removed
    assert any("which is missing" in p for p in verify(files[2])[1])
    (tmp_path / "audit.jsonl.head").write_text("garbage")
    assert any("head file" in p for p in verify(path)[1])
    path.unlink()
    (tmp_path / "audit.jsonl.head").write_text('{"seq": 3, "hash": "x", "file": "audit.jsonl"}')
    from hrouter.audit import verify_files
    assert verify_files(AuditLog(path)) == ["audit.jsonl is missing, but its head file records 3 record(s)"]


def test_log_and_stats_survive_bad_lines_and_list_orphan_egress(tmp_path):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append({"type": "egress", "ts": "2026-11-29T10:00:00.000Z", "id": "e1", "request": "r1",
                "backend": "cloud", "zone": "public-cloud", "tier": "public"})  # the process died here
    log.append({"type": "request", "ts": "2026-11-29T10:01:00", "id": "r2", "backend": "local",
                "zone": "local", "tier": "public", "status": "ok", "cloud_egress": False})  # naive ts
    with open(path, "ab") as fh:
        fh.write(b'[1, 2]\n{"cut sho')
    pol = tmp_path / "p.yaml"
    pol.write_text(f"version: 1\nbackends:\n  a: {{kind: ollama, model: m, zone: local}}\naudit:\n  path: {path}\n")
    r = run_cli(["log", "--json", "--since", "3650d", "--policy", str(pol)])
    assert r.returncode == 0 and b"skipped 2 unreadable line(s)" in r.stderr
    rows = [json.loads(x) for x in r.stdout.decode().splitlines()]
    assert [(x["id"], x["status"]) for x in rows] == [("r1", "no outcome record"), ("r2", "ok")]
    r = run_cli(["log", "--json", "--egress", "--since", "3650d", "--policy", str(pol)])
    assert [json.loads(x)["id"] for x in r.stdout.decode().splitlines()] == ["r1"]
    r = run_cli(["stats", "--json", "--since", "3650d", "--policy", str(pol)])
    assert r.returncode == 0 and json.loads(r.stdout)["requests"] == 2
    assert run_cli(["log", "--tier", "bogus", "--policy", str(pol)]).returncode == 2
    assert run_cli(["log", "--since", "99999999999d", "--policy", str(pol)]).returncode == 0
