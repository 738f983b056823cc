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


def test_learn_commands_are_registered_only_when_they_can_be_needed():
    """explain/ask never build the feedback/train/calibrate/eval commands (start-up budget), while
    root help, those commands, a misspelt command and shell completion see them."""
    import subprocess
    import sys
    code = ("import sys, hrouter.cli as c; c._core_command(sys.argv[1:]) or c.register_learn_commands(); "
            "print(c._learn_registered)")

    def registered(*args, env=None):
        import os
        e = {k: v for k, v in os.environ.items() if not k.startswith("_HROUTER_COMPLETE")}
        e.update(env or {})
        return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                              env=e).stdout.strip()

    assert registered("explain", "hi") == "False"
    assert registered("--debug", "ask", "x") == "False"
    assert registered("policy", "show") == "False"
    assert registered() == "True"
    assert registered("--help") == "True"
    assert registered("eval", "f.jsonl") == "True"
    assert registered("trian") == "True"
    assert registered("explain", env={"_HROUTER_COMPLETE": "complete_bash"}) == "True"
