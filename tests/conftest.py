"""Shared fixtures: every test gets its own HROUTER_HOME and no inherited policy or keys."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(autouse=True)
def hrouter_home(tmp_path, monkeypatch):
    """Isolate config/state under a temp HROUTER_HOME; clear env that would change routing."""
    home = tmp_path / "hrouter-home"
    monkeypatch.setenv("HROUTER_HOME", str(home))
    for var in ("HROUTER_POLICY", "HROUTER_SESSION", "HROUTER_DEBUG", "ANTHROPIC_API_KEY",
                "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "OLLAMA_HOST", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return home
