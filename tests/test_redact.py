"""Redact-then-send: placeholders out, originals restored locally, never a secret."""

from __future__ import annotations

import json

import pytest

from clitools import audit_records, run_cli, write_policy
from fakes import FakeAnthropic, FakeOllama
from hrouter.errors import PolicyError
from hrouter.policy import parse_policy
from hrouter.redact import Restorer, redact
from hrouter.signals import Finding

KEY = {"ANTHROPIC_API_KEY": "sk-ant-test-key-0123456789"}
ASK = ("Compare the architectural trade-offs of these two designs step by step and email the summary "
       "to jane.doe@gmail.com and cc jane.doe@gmail.com")


def test_same_value_same_placeholder_and_kinds_counted():
    text = "a x@y.io b +44 20 7946 0958 c x@y.io"
    fs = [Finding("email", "confidential", 2, 8, "m"), Finding("phone", "confidential", 11, 27, "m"),
          Finding("email", "confidential", 30, 36, "m")]
    r = redact(text, fs, ("email", "phone"))
    assert r.text == "a [EMAIL_1] b [PHONE_1] c [EMAIL_1]"
    assert r.mapping == {"[EMAIL_1]": "x@y.io", "[PHONE_1]": "+44 20 7946 0958"}
    assert r.summary() == {"count": 3, "kinds": {"email": 2, "phone": 1}}
    assert redact(text, fs, ("iban",)) is None


@pytest.mark.parametrize("cuts", [[3], [9, 10], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], []])
def test_restorer_across_any_chunk_boundary(cuts):
    answer = "To [EMAIL_1]: done. [not a placeholder] [EMAIL_2]"
    pieces, last = [], 0
    for c in cuts + [len(answer)]:
        pieces.append(answer[last:c])
        last = c
    r = Restorer({"[EMAIL_1]": "a@b.io", "[EMAIL_2]": "c@d.io"})
    out = "".join(r.feed(p) for p in pieces) + r.flush()
    assert out == "To a@b.io: done. [not a placeholder] c@d.io"


def test_secrets_and_phi_are_never_redactable():
    for name in ("api_key", "private_key", "phi", "image"):
        with pytest.raises(PolicyError, match="sensitivity.redact"):
            parse_policy("version: 1\nbackends:\n  a: {kind: ollama, model: m, zone: local}\n"
                         f"sensitivity:\n  redact: [{name}]\n")


def test_redacted_prompt_reaches_cloud_and_answer_is_restored(tmp_path, hrouter_home):
    with FakeOllama(chunks=["local"], models=["llama3.2:3b"]) as local, \
            FakeAnthropic(chunks=["Sent to [EMA", "IL_1] as asked."]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                         extra="sensitivity:\n  redact: [email]\n")
        d = json.loads(run_cli(["explain", "--json", "--policy", str(p), ASK]).stdout)
        assert d["backend"] == "cloud" and d["redacted_backends"] == ["cloud"]
        assert d["redaction"] == {"count": 2, "kinds": {"email": 2}} and d["sensitivity"]["tier"] == "confidential"
        r = run_cli(["ask", "--policy", str(p), ASK], env=KEY)
        assert r.returncode == 0, r.stderr
        assert r.stdout == b"Sent to jane.doe@gmail.com as asked.\n"
        (req,) = cloud.requests_to("/v1/messages")
        assert "jane.doe@gmail.com" not in req.raw_body.decode() and "[EMAIL_1]" in req.body["messages"][0]["content"]
        assert local.requests_to("/api/chat") == []
    egress, rec = audit_records(hrouter_home)
    assert egress["redacted"] == rec["redacted"] == {"count": 2, "kinds": {"email": 2}}
    assert "jane.doe" not in (hrouter_home / "state" / "audit.jsonl").read_text()


def test_not_redactable_findings_keep_the_prompt_local(tmp_path):
    with FakeOllama(chunks=["local"], models=["llama3.2:3b"]) as local, FakeAnthropic(chunks=["x"]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                         extra="sensitivity:\n  redact: [email]\n")
        r = run_cli(["ask", "--policy", str(p), ASK + " using key sk-ant-api03-" + "A" * 40], env=KEY)
        assert r.returncode == 0 and r.stdout == b"local\n"
        assert cloud.requests == []


def test_a_decide_in_between_cannot_change_what_ask_sends(tmp_path):
    """Router.ask sends the redaction its own decision was made with, even when a callback (or
    another thread) calls decide() on the same Router before the call."""
    from hrouter.core import Router
    from hrouter.prompt import Prompt
    hard = ("Compare the architectural trade-offs between transformer and SSM-based models step by step. "
            "Send the summary to john.smith@acme-corp.com please.")
    with FakeOllama() as local, FakeAnthropic(chunks=["ok"]) as cloud:
        pol = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                           extra="sensitivity: {redact: [email]}\n")
        import os
        os.environ["ANTHROPIC_API_KEY"] = "sk-test"
        try:
            r = Router.from_policy_file(pol)
            res = r.ask(Prompt(text=hard),
                        on_decision=lambda d: r.decide(Prompt(text="What is the capital of France?")),
                        on_attempt=lambda name, prev: r.decide(Prompt(text="plain words")))
        finally:
            del os.environ["ANTHROPIC_API_KEY"]
        assert res.backend == "cloud"
        sent = json.dumps(cloud.requests_to("/v1/messages")[0].body)
        assert "john.smith@acme-corp.com" not in sent and "[EMAIL_1]" in sent


def test_findings_in_tables_and_encoded_runs_redact_as_their_detector():
    """``email (table)`` / ``email (base64)`` are email findings: redactable under ``email``, one
    placeholder kind, and the re-tagged text holds no email any more."""
    import base64

    from hrouter.policy_model import SensitivityConfig
    from hrouter.signals.sensitivity import tag_sensitivity

    b64 = base64.b64encode(b"reach me at jane.doe@gmail.com").decode()
    text = f"Decode {b64} and write to the person in this table:\nname,email\nJane Doe,jd@fastmail.fm\n"
    cfg = SensitivityConfig()
    found = {f.detector for f in tag_sensitivity(text, cfg).findings}
    assert {"email (base64)"} <= found and any(d.startswith("email") for d in found - {"email (base64)"})
    r = redact(text, tag_sensitivity(text, cfg).findings, ("email",))
    assert r is not None and set(r.kinds) == {"email"}
    assert b64 not in r.text and "jd@fastmail.fm" not in r.text
    assert "[EMAIL_1]" in r.text and "[EMAIL_2]" in r.text
    assert tag_sensitivity(r.text, cfg).tier == "public"
    assert sorted(r.mapping.values()) == sorted([b64, "jd@fastmail.fm"])


def test_redacted_egress_is_labelled_redacted_in_explain_ask_log_and_audit_match(tmp_path, hrouter_home):
    """Only a redacted copy left: the Route line, `log`'s egress column and `audit match` say so
    (with how many values of which kinds); a prompt that left whole is not labelled."""
    whole = "Compare the architectural trade-offs between transformer and SSM-based models step by step"
    with FakeOllama(chunks=["local"], models=["llama3.2:3b"]) as local, \
            FakeAnthropic(chunks=["Sent to [EMAIL_1]."]) as cloud:
        p = write_policy(tmp_path, ollama_url=local.url, anthropic_url=cloud.url,
                         extra="sensitivity:\n  redact: [email]\n")
        r = run_cli(["explain", "--policy", str(p), ASK])
        assert r.returncode == 0
        route = next(line for line in r.stderr.decode().splitlines() if line.startswith("Route:"))
        assert "→ cloud (claude-sonnet-4-6, public-cloud) redacted (2 values: email)  tier confidential" in route
        cand = next(line for line in r.stderr.decode().splitlines() if line.startswith("cloud "))
        assert cand.rstrip().endswith("route, redacted")
        r = run_cli(["ask", "--policy", str(p), ASK], env=KEY)
        assert r.returncode == 0 and "redacted (2 values: email)" in r.stderr.decode().splitlines()[0]
        assert run_cli(["ask", "--policy", str(p), whole], env=KEY).returncode == 0
        plain = run_cli(["explain", "--policy", str(p), whole]).stderr.decode()
        assert "redacted" not in plain.split("\n\n")[0]  # the Route line of a whole prompt
        rows = run_cli(["log", "--policy", str(p), "--egress"]).stdout.decode().splitlines()[1:]
        confidential = [row for row in rows if " confidential " in row]
        public = [row for row in rows if " public " in row]
        assert len(confidential) == 1 and confidential[0].rstrip().endswith("yes, redacted (2 values: email)")
        assert len(public) == 1 and public[0].rstrip().endswith("yes")
        only = run_cli(["log", "--policy", str(p), "--tier", "confidential", "--egress", "--json"]).stdout
        rec = json.loads(only)  # JSON as before: the fields were already there
        assert rec["cloud_egress"] is True and rec["redacted"] == {"count": 2, "kinds": {"email": 2}}
        m = run_cli(["audit", "match", "--policy", str(p), ASK])
        out = m.stdout.decode().splitlines()
        assert m.returncode == 0 and len(out) == 3
        assert [line.split()[1] for line in out[:2]] == ["egress", "request"]
        assert all("tier=confidential" in line and line.endswith(" redacted (2 values: email)") for line in out[:2])
        assert out[2] == "2 record(s); only a redacted copy left the machine: redacted (2 values: email)"
        m = run_cli(["audit", "match", "--policy", str(p), whole])
        assert m.stdout.decode().splitlines()[-1] == "2 record(s); it left the machine"
        assert "redacted" not in m.stdout.decode()


def test_a_fallback_to_a_redacted_route_says_so(tmp_path, hrouter_home):
    """Local first (a simple prompt), local down: the fallback to the cloud carries only the
    redacted copy, and the progress line says so (not a plain "falling back to cloud")."""
    with FakeAnthropic(chunks=["ok [EMAIL_1]"]) as cloud:
        p = write_policy(tmp_path, ollama_url="http://127.0.0.1:9", anthropic_url=cloud.url,
                         extra="sensitivity:\n  redact: [email]\n")
        r = run_cli(["ask", "--policy", str(p), "Say hi to jane.doe@gmail.com"], env=KEY)
        err = r.stderr.decode()
        assert r.returncode == 0, err
        assert r.stdout == b"ok jane.doe@gmail.com\n"
        assert "local unavailable (" in err and "; falling back to cloud (redacted)\n" in err
        (req,) = cloud.requests_to("/v1/messages")
        assert "jane.doe@gmail.com" not in req.raw_body.decode()
