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
