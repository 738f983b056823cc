"""The importable library surface: ``from hrouter import Router`` and friends, kept cheap."""

from __future__ import annotations

import subprocess
import sys

import hrouter
from clitools import ROOT


def test_public_names():
    assert sorted(hrouter.__all__) == sorted(["Router", "Policy", "Decision", "Prompt", "RouteContext",
                                              "load_policy", "__version__"])
    for name in hrouter.__all__:
        assert getattr(hrouter, name) is not None


def test_library_decides_without_cli():
    from hrouter import Prompt, RouteContext, Router, load_policy
    router = Router(load_policy(discover=False), audit=False)
    d = router.decide(Prompt("Summarize the contract for SSN 123-45-6789"), RouteContext())
    assert (d.backend, d.sensitivity.tier, d.fallbacks) == ("local", "confidential", [])


def test_system_prompt_is_scanned_too():
    from hrouter import Prompt, Router, load_policy
    router = Router(load_policy(discover=False), audit=False)
    d = router.decide(Prompt("Reply politely.", system="Customer SSN is 123-45-6789"))
    assert d.sensitivity.tier == "confidential" and d.backend == "local"
    assert d.sensitivity.findings[0].masked.endswith("[system prompt]")


def test_import_hrouter_is_cheap():
    code = "import sys, hrouter; print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "\
           "('typer','rich','yaml','ollama','anthropic','httpx'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip() == ""
