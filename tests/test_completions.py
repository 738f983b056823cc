"""The committed completion scripts match what the CLI generates, and completion answers."""

from __future__ import annotations

import pytest

from clitools import ROOT, run_cli


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_committed_completions_are_current(shell):
    r = run_cli([], env={"_HROUTER_COMPLETE": f"source_{shell}"})
    assert r.returncode == 0
    script = r.stdout.decode()
    assert script == (ROOT / "completions" / f"hrouter.{shell}").read_text()
    marker = {"bash": "complete -o default -F", "zsh": "#compdef hrouter", "fish": "complete --command hrouter"}
    assert marker[shell] in script


def test_bash_completion_completes_commands():
    r = run_cli([], env={"_HROUTER_COMPLETE": "complete_bash", "COMP_WORDS": "hrouter ex", "COMP_CWORD": "1"})
    assert r.stdout.decode().split() == ["explain"]
