"""~user paths that cannot expand, and token counts a server should never report."""

from __future__ import annotations

import pytest

from clitools import run_cli
from hrouter.backends.base import MAX_TOKENS_PER_CALL, Usage
from hrouter.errors import InputError
from hrouter.paths import expand_user

NOUSER = "~hrouter-no-such-user-x9"


def test_expand_user_expands_home_and_refuses_an_unknown_user(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert expand_user("~/x") == tmp_path / "x"
    assert str(expand_user("plain/x")) == "plain/x"
    with pytest.raises(InputError, match=r"HROUTER_HOME '~hrouter-no-such-user-x9/x': cannot expand ~hrouter-no-such-user-x9"):
        expand_user(NOUSER + "/x", "HROUTER_HOME")


def test_hrouter_home_with_an_unknown_user_is_a_usage_error_and_creates_nothing(tmp_path):
    r = run_cli(["explain", "hi"], env={"HROUTER_HOME": NOUSER + "/x"}, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert b"cannot expand ~hrouter-no-such-user-x9" in r.stderr and b"internal error" not in r.stderr
    assert list(tmp_path.iterdir()) == []  # no ./~user directory


def test_a_prompt_file_under_an_unknown_user_is_a_usage_error(tmp_path):
    r = run_cli(["explain", "-f", NOUSER + "/notes.txt", "hi"], cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.decode().count("\n") == 1 and "cannot expand" in r.stderr.decode()


@pytest.mark.parametrize("value, shown", [
    (10 ** 400, "input_tokens=a 401-digit number"),
    (float("inf"), "input_tokens=inf"),
    (float("nan"), "input_tokens=nan"),
    (-5_000_000, "input_tokens=-5000000"),
    (MAX_TOKENS_PER_CALL + 1, f"input_tokens={MAX_TOKENS_PER_CALL + 1}"),
    ("12", "input_tokens='12'"),
    (True, "input_tokens=True"),
])
def test_implausible_token_counts_are_stored_as_zero_and_named(value, shown):
    u = Usage()
    u.input_tokens = value
    assert u.input_tokens == 0 and u.implausible == shown
    u.output_tokens = 7
    assert u.output_tokens == 7 and u.implausible == shown


def test_plausible_counts_are_kept():
    u = Usage(12, 34)
    u.output_tokens = 56.0  # a JSON number with a fraction part of zero
    assert (u.input_tokens, u.output_tokens, u.implausible) == (12, 56, None)
    assert Usage(10 ** 400, -1).implausible == "input_tokens=a 401-digit number, output_tokens=-1"


@pytest.mark.parametrize("reported", [10 ** 400, -5_000_000])
def test_a_server_reporting_implausible_usage_is_estimated_and_charged_sanely(tmp_path, hrouter_home, reported):
    import json

    from clitools import write_policy
    from fakes import FakeAnthropic

    with FakeAnthropic(chunks=["Cloud", " answer."], input_tokens=reported, output_tokens=reported) as cloud:
        p = write_policy(tmp_path, ollama_url="http://127.0.0.1:9", anthropic_url=cloud.url,
                         extra="budget:\n  session_usd: 5\n")
        r = run_cli(["ask", "--policy", str(p), "--backend", "cloud", "--session", "s1", "What is 2+2?"],
                    env={"ANTHROPIC_API_KEY": "sk-ant-test-key-0123456789"})
        err = r.stderr.decode()
        assert r.returncode == 0, err
        assert r.stdout == b"Cloud answer.\n"
        assert "cloud reported implausible token counts (input_tokens=" in err and "internal error" not in err
        rec = [json.loads(line) for line in (hrouter_home / "state" / "audit.jsonl").read_text().splitlines()
               if json.loads(line).get("type", "request") == "request"][-1]
        assert 0 < rec["input_tokens"] < 100 and 0 < rec["output_tokens"] < 100 and rec["usage_estimated"] is True
        assert 0 < rec["cost_usd"] < 0.01
        st = run_cli(["stats", "--json", "--policy", str(p)])
        assert st.returncode == 0 and json.loads(st.stdout)["requests"] == 1
        b = run_cli(["budget", "--json", "--session", "s1", "--policy", str(p)])
        assert b.returncode == 0, b.stderr
        spent = json.loads(b.stdout)
        assert 0 < spent["spent_usd"] < 0.01, spent
