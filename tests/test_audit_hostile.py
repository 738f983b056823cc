"""The audit log against hostile or damaged input: lines nested thousands deep, non-integer
``seq``, a ``prev_file`` outside the log's directory, terminal escapes in ``audit_break``, a full
disk, a damaged key, copies of the log without their head file, stray files beside the log.
Every reader skips and names what it cannot use; the writer records the damage and goes on;
nothing already written is lost."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys

import pytest

from clitools import ROOT, run_cli, write_policy
from fakes import FakeAnthropic, FakeOllama
from hrouter.audit import AuditLog, load_or_create_key, verify
from hrouter.errors import AuditError

SIMPLE = "What is the capital of France?"
COMPLEX = "Compare the architectural trade-offs between transformer and SSM-based models step by step"
KEY = {"ANTHROPIC_API_KEY": "sk-ant-test-key-0123456789"}
DEEP = "[" * 5000 + "]" * 5000


@pytest.fixture
def ollama():
    with FakeOllama(chunks=["Par", "is."], models=["llama3.2:3b"]) as f:
        yield f


@pytest.fixture
def cloud():
    with FakeAnthropic(chunks=["ok"]) as f:
        yield f


@pytest.fixture
def policy(tmp_path, ollama, cloud):
    return write_policy(tmp_path, ollama_url=ollama.url, anthropic_url=cloud.url)


@pytest.fixture
def log_path(hrouter_home):
    return hrouter_home / "state" / "audit.jsonl"


def _ask(policy, text=SIMPLE):
    r = run_cli(["ask", "--policy", str(policy), text], env=KEY)
    assert r.returncode == 0, r.stderr
    return r


def _lines(path):
    return path.read_bytes().splitlines()


def _warning(path, n, why):
    return (f"hrouter: warning: skipped 1 unreadable line(s) in the audit log (first: {path}:{n}: {why}); "
            "see `hrouter audit verify`")


# --------------------------------------------------------------------------- 1. hostile lines

@pytest.mark.parametrize("last", [True, False], ids=["last-line", "middle-line"])
def test_a_deeply_nested_line_is_skipped_and_named_by_every_reader(policy, log_path, last):
    _ask(policy)
    _ask(policy)  # 4 records: dispatch, request, dispatch, request
    lines = _lines(log_path)
    hostile = DEEP.encode()
    body = lines[:2] + [hostile] + lines[2:] if not last else lines + [hostile]
    log_path.write_bytes(b"\n".join(body) + b"\n")
    n = 5 if last else 3
    expected = _warning(log_path, n, "not JSON (nested too deeply)")
    for args in (["log", "--json"], ["stats", "--json"], ["audit", "show"]):
        r = run_cli([*args, "--policy", str(policy)])
        assert r.returncode == 0, (args, r.stderr)
        assert r.stderr.decode().splitlines()[0] == expected, args
        assert b"internal error" not in r.stderr
    r = run_cli(["feedback", "last", "good", "--policy", str(policy)])  # reads the log through the same reader
    assert r.returncode == 0 and b"internal error" not in r.stderr, r.stderr
    assert [json.loads(x)["status"] for x in run_cli(["log", "--json", "--policy", str(policy)]).stdout.splitlines()] \
        == ["ok", "ok"]
    r = run_cli(["audit", "match", "--policy", str(policy), SIMPLE])
    assert r.returncode == 0 and r.stderr.decode().splitlines() == [expected]
    assert r.stdout.decode().splitlines()[-1] == "4 record(s); it never left the machine"
    r = run_cli(["audit", "verify", "--policy", str(policy)])
    assert r.returncode == 1 and r.stderr == b""
    assert f"{log_path}: line {n}: not a complete chained record (altered or cut short)" in r.stdout.decode().splitlines()


@pytest.mark.parametrize("hostile,why", [(DEEP, "nested too deeply"),
                                         ('{"seq":Infinity,"prev":"x"}', "no usable seq"),
                                         ('{"seq":1e400,"prev":"x"}', "no usable seq"),
                                         ('{"seq":true,"prev":"x"}', "no usable seq"),
                                         ('{"seq":"7","prev":"x"}', "no usable seq"),
                                         ('{"seq":' + "9" * 4300 + ',"prev":"x"}', "no usable seq")],
                         ids=["deep", "infinity", "1e400", "true", "string", "huge"])
def test_ask_goes_on_after_an_unusable_last_line_and_records_the_break(policy, log_path, hostile, why):
    _ask(policy)
    with open(log_path, "ab") as fh:
        fh.write(hostile.encode() + b"\n")
    before = log_path.read_bytes()
    r = _ask(policy)
    assert r.stdout == b"Paris.\n"
    after = log_path.read_bytes()
    assert after.startswith(before)  # the hostile line stays, byte for byte: it is evidence
    new = [json.loads(x) for x in after[len(before):].splitlines()]
    assert [x["seq"] for x in new] == [4, 5]
    assert new[0]["audit_break"] == f"the last line (line 3) is not a chained record ({why})"
    assert "audit_break" not in new[1]
    r = run_cli(["audit", "verify", "--policy", str(policy)])
    assert r.returncode == 1
    assert r.stdout.decode().splitlines() == [
        f"{log_path}: line 3: not a complete chained record (altered or cut short)",
        f"{log_path}: line 4: the writer found the log altered before this record: "
        f"the last line (line 3) is not a chained record ({why})",
        "BROKEN: 1 problem file(s) of 1 (5 records read)"]


@pytest.mark.parametrize("head", [DEEP, '{"seq":Infinity,"hash":"x","file":"audit.jsonl"}',
                                  '{"seq":true,"hash":"x","file":"audit.jsonl"}'],
                         ids=["deep", "infinity", "true"])
def test_a_hostile_head_file_is_reported_and_never_blocks_an_ask(policy, log_path, head):
    _ask(policy)
    head_path = log_path.with_name("audit.jsonl.head")
    head_path.write_text(head)
    r = run_cli(["audit", "verify", "--policy", str(policy)])
    assert r.returncode == 1 and r.stderr == b""
    assert r.stdout.decode().splitlines() == [f"{log_path}: head file audit.jsonl.head is unreadable or altered",
                                              "BROKEN: 1 problem file(s) of 1 (2 records read)"]
    _ask(policy)
    recs = [json.loads(x) for x in _lines(log_path)]
    assert recs[2]["audit_break"] == "head file unreadable or altered" and "audit_break" not in recs[3]
    r = run_cli(["audit", "verify", "--policy", str(policy)])
    assert r.returncode == 1
    assert r.stdout.decode().splitlines() == [
        f"{log_path}: line 3: the writer found the log altered before this record: head file unreadable or altered",
        "BROKEN: 1 problem file(s) of 1 (4 records read)"]


# --------------------------------------------------------------------------- 2. full disk

def _fail_writes(monkeypatch, pattern: str):
    """os.write (and os.replace) raise ENOSPC for files whose name matches ``pattern``."""
    import re
    real_write, real_replace = os.write, os.replace

    def write(fd, data):
        try:
            name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            name = ""
        if re.fullmatch(pattern, name):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)
    monkeypatch.setattr(os, "write", write)
    return real_write, real_replace


def test_a_head_write_that_fails_takes_the_record_back_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append({"i": 1})
    log.append({"i": 2})
    before, head_before = path.read_bytes(), (tmp_path / "audit.jsonl.head").read_bytes()
    _fail_writes(monkeypatch, r"audit\.jsonl\.head\.\d+\.tmp")
    for i in (3, 4):  # twice: the head would fall two records behind (a false "appended by hand")
        with pytest.raises(AuditError) as exc:
            log.append({"i": i})
        assert str(exc.value) == (f"cannot write audit head file {tmp_path / 'audit.jsonl.head'}: "
                                  "No space left on device; the record was not kept")
    assert path.read_bytes() == before and (tmp_path / "audit.jsonl.head").read_bytes() == head_before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.jsonl", "audit.jsonl.head", "audit.jsonl.lock"]
    monkeypatch.undo()  # space freed
    rec = log.append({"i": 5})
    assert rec["seq"] == 3 and "audit_break" not in rec
    assert verify(path) == (3, [])


def test_a_failed_os_replace_of_the_head_leaves_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.append({"i": 1})
    before = path.read_bytes()
    real_replace = os.replace

    def replace(src, dst, *a, **k):
        if str(dst).endswith(".head"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_replace(src, dst, *a, **k)
    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(AuditError, match="cannot write audit head file"):
        log.append({"i": 2})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.tmp"))
    assert log.append({"i": 3})["seq"] == 2 and verify(path) == (2, [])


def test_a_rotation_whose_head_cannot_be_written_leaves_the_log_in_place(tmp_path, monkeypatch):
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path, rotate_bytes=10)
    log.append({"i": 1})
    before = path.read_bytes()
    _fail_writes(monkeypatch, r"audit\.jsonl\.head\.\d+\.tmp")
    with pytest.raises(AuditError, match=r"^cannot rotate audit log .*: No space left on device$"):
        log.append({"i": 2})
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["audit.jsonl", "audit.jsonl.head", "audit.jsonl.lock"]
    assert path.read_bytes() == before
    log.append({"i": 3})  # rotates now
    rotated = log.rotated_files()
    assert len(rotated) == 1 and rotated[0].read_bytes() == before
    assert [verify(p)[1] for p in log.files()] == [[], []]


def test_a_key_that_cannot_be_written_leaves_no_temporary_file(tmp_path, monkeypatch):
    _fail_writes(monkeypatch, r"audit\.key\.\d+\.tmp")
    with pytest.raises(AuditError) as exc:
        load_or_create_key(tmp_path)
    assert str(exc.value) == f"cannot create audit key in {tmp_path}: No space left on device"
    assert list(tmp_path.iterdir()) == []


_ENOSPC_CLI = """
import errno, os, re, sys
real = os.write
pattern = os.environ["FAIL_WRITES_TO"]
def write(fd, data):
    try:
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
    except OSError:
        name = ""
    if re.fullmatch(pattern, name):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    return real(fd, data)
os.write = write
from hrouter.cli import main
main(sys.argv[1:])
"""


def _run_cli_disk_full(args, pattern):
    env = {**os.environ, **KEY, "FAIL_WRITES_TO": pattern,
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-c", _ENOSPC_CLI, *args], capture_output=True, env=env,
                          input=b"", timeout=60)


@pytest.mark.parametrize("pattern", [r"audit\.jsonl", r"audit\.jsonl\.head\.\d+\.tmp"], ids=["log", "head"])
def test_egress_refused_on_a_full_disk_is_exit_3_and_nothing_is_sent(policy, log_path, cloud, ollama, pattern):
    _ask(policy)
    before, chats = log_path.read_bytes(), len(ollama.requests_to("/api/chat"))
    r = _run_cli_disk_full(["ask", "--policy", str(policy), COMPLEX], pattern)
    assert r.returncode == 3, r.stderr  # README: an egress record that cannot be written refuses the call
    err = r.stderr.decode().splitlines()[-1]
    assert err.startswith("hrouter: error: refused: no permitted backend could take the prompt now (cloud: cloud "
                          "egress refused: the audit record could not be written (cannot write audit ")
    assert "No space left on device" in err and "internal error" not in r.stderr.decode()
    assert cloud.requests == [] and len(ollama.requests_to("/api/chat")) == chats  # nothing was sent
    assert log_path.read_bytes() == before
    assert not list(log_path.parent.glob("*.tmp"))
    _ask(policy)  # space freed: no false tamper report
    assert all("audit_break" not in json.loads(x) for x in _lines(log_path))
    r = run_cli(["audit", "verify", "--policy", str(policy)])
    assert r.returncode == 0 and r.stdout.decode() == "ok: 4 record(s) in 1 file(s); the hash chain verifies\n"


# --------------------------------------------------------------------------- 3. prev_file

@pytest.mark.parametrize("name", ["a/b", ".", "..", "../../etc/passwd", "", 5, ["x"]])
def test_verify_reports_a_prev_file_outside_the_directory_as_a_broken_link(tmp_path, name):
    path = tmp_path / "l.jsonl"
    path.write_text(json.dumps({"seq": 1, "prev": "abc", "prev_file": name}) + "\n")
    r = run_cli(["audit", "verify", str(path)])
    assert r.returncode == 1 and r.stderr == b""
    out = r.stdout.decode().splitlines()
    if name == "":  # an empty prev_file is no link: a first file that links to a previous record
        assert out[0] == f"{path}: line 1: links to a previous record, but this is the first file"
    else:
        shown = name if isinstance(name, str) else json.dumps(name)
        assert out[0] == (f"{path}: line 1: links to {shown}, which is not a file name in this directory "
                          "(the prev_file link is broken or altered)")
    assert out[-1] == "BROKEN: 1 problem file(s) of 1 (1 records read)"


@pytest.mark.parametrize("kind", ["directory", "fifo"])
def test_verify_reports_a_prev_file_that_is_not_a_regular_file(tmp_path, kind):
    path = tmp_path / "l.jsonl"
    (os.mkfifo if kind == "fifo" else os.mkdir)(tmp_path / "sub")
    path.write_text(json.dumps({"seq": 1, "prev": "abc", "prev_file": "sub"}) + "\n")
    r = run_cli(["audit", "verify", str(path)], timeout=30)
    assert r.returncode == 1 and r.stderr == b""
    assert r.stdout.decode().splitlines()[0] == (f"{path}: line 1: links to sub, which is not a readable regular "
                                                 "file (the prev_file link is broken)")


@pytest.mark.parametrize("name", ["../../etc/passwd", "a/b", "..", 7])
def test_a_head_file_naming_a_prev_file_elsewhere_is_not_copied(tmp_path, name):
    path = tmp_path / "audit.jsonl"
    (tmp_path / "audit.jsonl.head").write_text(json.dumps(
        {"seq": 0, "hash": "a" * 64, "file": "audit.jsonl", "prev_file": name}))
    rec = AuditLog(path).append({"i": 1})
    assert "prev_file" not in rec and rec["prev"] == "0" * 64
    assert rec["audit_break"] == ("head file altered: its prev_file is not a file name in the log's directory, "
                                  "or its hash not a hash")
    assert verify(path)[1] == ["line 1: the writer found the log altered before this record: "
                               "head file altered: its prev_file is not a file name in the log's directory, "
                               "or its hash not a hash"]


# --------------------------------------------------------------------------- 4. escaping

def test_verify_escapes_control_characters_from_the_file(tmp_path):
    path = tmp_path / "l.jsonl"
    log = AuditLog(path)
    log.append({"i": 1})
    lines = _lines(path)
    rec = json.loads(lines[0])
    rec["audit_break"] = "x\x1b[31mred\nBROKEN: forged\rok: 9 record(s)\x07"
    path.write_bytes(json.dumps(rec).encode() + b"\n")
    second = tmp_path / "m.jsonl"
    second.write_text(json.dumps({"seq": 1, "prev": "a", "prev_file": "e\x1b[2Jx\nforged"}) + "\n")
    r = run_cli(["audit", "verify", str(path)])
    out = r.stdout.decode()
    assert r.returncode == 1 and "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert out.splitlines()[0] == (f"{path}: line 1: the writer found the log altered before this record: "
                                   "x\\x1b[31mred BROKEN: forged ok: 9 record(s)\\x07")
    r = run_cli(["audit", "verify", str(second)])
    out = r.stdout.decode()
    assert r.returncode == 1 and "\x1b" not in out
    assert out.splitlines()[0] == f"{second}: line 1: links to e\\x1b[2Jx forged, which is missing (a rotated file removed)"


def test_a_huge_audit_break_is_cut(tmp_path):
    path = tmp_path / "l.jsonl"
    path.write_text(json.dumps({"seq": 1, "prev": "0" * 64, "audit_break": "z" * 100000}) + "\n")
    assert verify(path)[1][0] == "line 1: the writer found the log altered before this record: " + "z" * 199 + "…"


# --------------------------------------------------------------------------- 5. damaged key

@pytest.mark.parametrize("damage", ["truncated", "empty", "directory"])
def test_audit_match_with_a_damaged_key_is_a_key_error(policy, hrouter_home, damage):
    _ask(policy)
    key = hrouter_home / "state" / "audit.key"
    data = key.read_bytes()
    key.unlink()
    if damage == "directory":
        key.mkdir()
        why = f"audit key {key} is a directory, expected a 32-byte file"
    else:
        key.write_bytes(data[:10] if damage == "truncated" else b"")
        n = 10 if damage == "truncated" else 0
        why = f"audit key {key} is truncated ({n} bytes, need 32); remove it to create a new one"
    r = run_cli(["audit", "match", "--policy", str(policy), SIMPLE])
    assert r.returncode == 2 and r.stdout == b""
    assert r.stderr.decode().splitlines() == [f"hrouter: error: {why}"]
    if damage != "directory":
        r = run_cli(["ask", "--policy", str(policy), SIMPLE], env=KEY)  # ask names the same fault
        assert r.returncode == 3 and why in r.stderr.decode()


def test_audit_match_without_a_key_still_says_nothing_was_recorded(hrouter_home):
    r = run_cli(["audit", "match", "hello"])
    assert r.returncode == 2
    assert r.stderr.decode().splitlines() == [
        f"hrouter: error: no audit key at {hrouter_home / 'state' / 'audit.key'}: nothing was recorded by this "
        "installation"]


# --------------------------------------------------------------------------- 6. copies, stray files

def test_an_exact_copy_of_the_log_verifies_without_its_head_file(policy, log_path, tmp_path):
    _ask(policy)
    copy = tmp_path / "copy.jsonl"
    shutil.copyfile(log_path, copy)
    r = run_cli(["audit", "verify", "--policy", str(policy), str(copy)])
    assert r.returncode == 0, r.stdout
    assert r.stdout.decode().splitlines() == [
        f"{copy}: note: no head file copy.jsonl.head beside this copy: its end (records cut from the tail) "
        "is not checked",
        "ok: 2 record(s) in 1 file(s); the hash chain verifies"]
    # the live log keeps its head: a missing one stays a break, with or without PATH
    log_path.with_name("audit.jsonl.head").unlink()
    for args in (["audit", "verify"], ["audit", "verify", str(log_path)]):
        r = run_cli([*args, "--policy", str(policy)])
        assert r.returncode == 1, args
        assert r.stdout.decode().splitlines()[0] == (f"{log_path}: head file audit.jsonl.head is missing: the end "
                                                     "of the log cannot be checked"), args


def test_a_copy_with_records_cut_from_its_tail_is_still_checked_by_its_head(policy, log_path, tmp_path):
    _ask(policy)
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(b"".join(log_path.read_bytes().splitlines(True)[:1]))
    shutil.copyfile(log_path.with_name("audit.jsonl.head"), tmp_path / "copy.jsonl.head")
    (tmp_path / "copy.jsonl.head").write_text(
        (tmp_path / "copy.jsonl.head").read_text().replace('"audit.jsonl"', '"copy.jsonl"'))
    r = run_cli(["audit", "verify", "--policy", str(policy), str(copy)])
    assert r.returncode == 1
    assert r.stdout.decode().splitlines()[0] == (f"{copy}: end of log: the head file records seq 2, the log ends at "
                                                 "seq 1: records removed from (or added to) the end")


def test_a_stray_file_beside_the_log_is_not_a_rotated_log(policy, log_path):
    _ask(policy)
    stray = log_path.with_name("audit-notes.jsonl")
    stray.write_text("my notes, not a log\n")
    log_path.with_name("audit-2026.jsonl").write_text("{}\n")
    os.mkdir(log_path.with_name("audit-20261129T120000000000Z.jsonl"))  # named like one, but a directory
    assert AuditLog(log_path).files() == [log_path]
    r = run_cli(["audit", "verify", "--policy", str(policy)])
    assert r.returncode == 0, r.stdout
    assert r.stdout.decode() == "ok: 2 record(s) in 1 file(s); the hash chain verifies\n"
    r = run_cli(["stats", "--json", "--policy", str(policy)])
    assert r.returncode == 0 and r.stderr == b"" and json.loads(r.stdout)["skipped"] == 0
