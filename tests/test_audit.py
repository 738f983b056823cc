"""Audit log primitives: locked appends from many processes never interleave; the key is private."""

from __future__ import annotations

import json
import multiprocessing
import os

from hrouter.audit import AuditLog, load_or_create_key, prompt_hmac


def _writer(path: str, worker: int, n: int) -> None:
    log = AuditLog(path)
    for i in range(n):
        log.append({"worker": worker, "i": i, "pad": "x" * 20000})  # > PIPE_BUF: needs the lock


def test_8_processes_200_large_records_each_never_interleave(tmp_path):
    path = tmp_path / "a" / "audit.jsonl"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(str(path), w, 200)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = path.read_bytes().splitlines()
    assert len(lines) == 1600
    seen = {(r["worker"], r["i"]) for r in map(json.loads, lines)}
    assert len(seen) == 1600
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_key_created_once_private_and_stable(tmp_path):
    k1 = load_or_create_key(tmp_path)
    k2 = load_or_create_key(tmp_path)
    assert k1 == k2 and len(k1) == 32
    assert oct((tmp_path / "audit.key").stat().st_mode & 0o777) == "0o600"
    assert prompt_hmac("a", k1) != prompt_hmac("a", os.urandom(32))


def test_unwritable_log_is_an_error(tmp_path):
    import pytest
    from hrouter.errors import AuditError
    (tmp_path / "ro").mkdir()
    os.chmod(tmp_path / "ro", 0o500)
    try:
        if os.geteuid() == 0:
            target = tmp_path / "file-not-dir" / "audit.jsonl"
            (tmp_path / "file-not-dir").write_text("")
        else:
            target = tmp_path / "ro" / "audit.jsonl"
        with pytest.raises(AuditError, match="cannot open audit"):
            AuditLog(target).append({"x": 1})
    finally:
        os.chmod(tmp_path / "ro", 0o700)


def test_an_append_keeps_the_evidence_of_a_tampered_tail(tmp_path):
    """Records removed from the end and the head file deleted: the next append must not heal
    the chain silently (a red-team finding); it records the break and verify reports it."""
    from hrouter.audit import AuditLog, verify

    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for i in range(5):
        log.append({"type": "request", "i": i})
    lines = path.read_bytes().splitlines(True)
    path.write_bytes(b"".join(lines[:3]))
    (tmp_path / "audit.jsonl.head").unlink()
    log.append({"type": "request", "i": 9})
    count, problems = verify(path)
    assert count == 4
    assert problems == ["line 4: the writer found the log altered before this record: head file missing"]


def test_records_removed_with_the_head_left_in_place(tmp_path):
    from hrouter.audit import AuditLog, verify

    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for i in range(6):
        log.append({"i": i})
    path.write_bytes(b"".join(path.read_bytes().splitlines(True)[:4]))
    log.append({"i": 9})
    assert verify(path)[1] == ["line 5: the writer found the log altered before this record: "
                               "2 record(s) removed from the end (the head file recorded seq 6)"]


def test_a_cut_last_line_is_a_record_numbered_by_its_line(tmp_path):
    """After an incomplete last line, the next record's seq is its line number, so verify
    reports the real break only (not a second, false 'records missing')."""
    from hrouter.audit import AuditLog, verify

    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    for i in range(4):
        log.append({"i": i})
    path.write_bytes(path.read_bytes()[:-10])
    rec = log.append({"i": 99})
    assert rec["seq"] == 5
    assert verify(path)[1] == [
        "line 4: not a complete chained record (altered or cut short)",
        "line 5: the writer found the log altered before this record: the last record was altered "
        "(its hash differs from the head file)"]


def test_normal_appends_carry_no_break(tmp_path):
    from hrouter.audit import AuditLog, verify

    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    recs = [log.append({"i": i}) for i in range(3)]
    assert all("audit_break" not in r for r in recs) and verify(path) == (3, [])
