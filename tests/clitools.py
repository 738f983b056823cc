"""Helpers for CLI tests: run ``python -m hrouter`` in a subprocess and write policies
that point at loopback fakes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_policy(directory: Path, *, ollama_url: str, anthropic_url: str | None = None, extra: str = "",
                 local_model: str = "llama3.2:3b", cloud_extra: str = "", local_extra: str = "",
                 name: str = "policy.yaml") -> Path:
    """A two-backend policy (``local`` Ollama at ``ollama_url``, ``cloud`` Anthropic at
    ``anthropic_url``) plus ``extra`` top-level YAML. Returns its path."""
    text = f"""version: 1
backends:
  local:
    kind: ollama
    model: {local_model}
    host: {ollama_url}
    zone: local
    capability: 3
    timeout_s: 10
    connect_timeout_s: 2
{local_extra}"""
    if anthropic_url:
        text += f"""  cloud:
    kind: anthropic
    model: claude-sonnet-4-6
    base_url: {anthropic_url}
    zone: public-cloud
    price: {{input_per_mtok: 3.0, output_per_mtok: 15.0}}
    capability: 9
    timeout_s: 10
    connect_timeout_s: 2
{cloud_extra}"""
    text += extra
    path = directory / name
    path.write_text(text)
    return path


def run_cli(args: list[str], *, input: bytes | None = b"", env: dict | None = None, cwd: Path | None = None,
            timeout: float = 60, stdin=None) -> subprocess.CompletedProcess:
    """Run ``python -m hrouter ARGS`` with the test's environment (HROUTER_HOME set by conftest)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    full_env.update(env or {})
    for k, v in list(full_env.items()):
        if v is None:
            del full_env[k]
    kwargs = {"input": input} if stdin is None else {"stdin": stdin}
    return subprocess.run([sys.executable, "-m", "hrouter", *args], capture_output=True, env=full_env,
                          cwd=cwd, timeout=timeout, **kwargs)


def audit_records(home: Path) -> list[dict]:
    """Every record in ``<HROUTER_HOME>/state/audit.jsonl`` (parsed; a bad line fails the test)."""
    path = home / "state" / "audit.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def tiny_png() -> bytes:
    """A valid 1x1 RGB PNG (signature, IHDR, IDAT, IEND with correct CRCs)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
