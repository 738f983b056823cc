"""The bounded decode pass (base64, percent-encoding) and the exact-value allowlists."""

from __future__ import annotations

import base64

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals import sensitivity as sens
from hrouter.signals.detectors import decode
from hrouter.signals.sensitivity import tag_sensitivity

DEFAULT = SensitivityConfig()


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def tag(text: str):
    return tag_sensitivity(text, DEFAULT)


K8S = ("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\n"
       "data:\n  password: cDRzc3cwcmQtZXhhbXBsZS0xMjM=\n")


@pytest.mark.parametrize("text", [
    K8S,
    "Authorization: Basic dXNlcjpodW50ZXIy",
    'curl -H "Authorization: Basic ' + b64("admin:S3cr3t!pw") + '" https://api',
])
def test_required_examples_are_confidential(text):
    res = tag(text)
    assert res.tier == "confidential" and not res.errors
    assert any(f.detector.startswith("api_key") for f in res.findings)


@pytest.mark.parametrize("plain,detector", [
    ("my key is AKIAS2BUACWIFH6PCLRZ ok", "api_key (base64)"),
    ("SSN 536-22-1947", "ssn (base64)"),
    ("write to jane.doe@gmail.com today", "email (base64)"),
    ("IBAN DE89 3704 0044 0532 0130 00", "iban (base64)"),
    ("card 4539 1488 0343 6467", "credit_card (base64)"),
])
def test_base64_runs_are_decoded_and_rescanned(plain, detector):
    enc = b64(plain)
    text = f"decode this blob: {enc} please"
    res = tag(text)
    assert res.tier == "confidential" and not res.errors
    [f] = res.findings
    assert f.detector == detector
    assert text[f.start:f.end] == enc  # the finding spans the encoded run
    assert "decoded base64" in f.verdict
    assert plain not in f.masked and enc not in f.masked


def test_urlsafe_base64_and_missing_padding():
    enc = base64.urlsafe_b64encode(b"token ghp_R5Ey6vJwq0Zx0Vq8b1Hc7k9LmN2oP3qR4sT5??>").decode().rstrip("=")
    assert "_" in enc or "-" in enc
    res = tag(f"state={enc}")
    assert res.tier == "confidential"
    assert any(f.detector == "api_key (base64)" for f in res.findings)


def test_a_base64_value_of_a_credential_key_is_a_secret_even_when_it_reads_like_an_example():
    # the decoded value "p4ssw0rd-example-123" holds the word "example"; encoded in a
    # Secret manifest it is a real value, not a placeholder
    text = "db_credentials:\n  api-token: " + b64("p4ssw0rd-example-123") + "\n"
    res = tag_sensitivity(text, SensitivityConfig(detectors={"api_key": "confidential"}))
    assert res.tier == "confidential"


@pytest.mark.parametrize("text,detector,span", [
    ("see https://x.com/form?to=jane.doe%40gmail.com&x=1", "email (percent)",
     "https://x.com/form?to=jane.doe%40gmail.com&x=1"),
    ("q=SSN%20536%2D22%2D1947", "ssn (percent)", "q=SSN%20536%2D22%2D1947"),
])
def test_percent_encoded_runs(text, detector, span):
    res = tag(text)
    assert res.tier == "confidential"
    assert [(f.detector, text[f.start:f.end]) for f in res.findings] == [(detector, span)]


@pytest.mark.parametrize("text", [
    "What is base64? e.g. " + b64("hello world, this is plain text"),
    "commit 3f786850e387550fdab836ed7e6dc57b5b4f2a31 is on main",
    'package-lock "integrity": "sha512-kRuB6Gsdz9Rl1DiHsE4h/0NzGgqt+3xujC7pOJ6FMMjTYR1JwMX3r1NX74FMvrBJfi45+8EnQuBrSnre/PJ3xg=="',
    "AbstractSingletonProxyFactoryBean and internationalization are long words",
    "search?q=caf%C3%A9%20near%20me&lang=fr",
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7TgcaghuxvjL1Q+DdlSk99HPzx2HP2QUXtTWNIOLmo dev@laptop",
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
])
def test_decode_hard_negatives(text):
    res = tag(text)
    assert res.tier == "public", [(f.detector, f.masked) for f in res.findings]
    assert not res.errors


def test_cap_exceeded_fails_closed():
    many = " ".join(b64(f"hello there, plain number {i}") for i in range(decode.MAX_RUNS + 1))
    res = tag(many)
    assert res.tier == "confidential"
    assert res.errors == ["decode: cap exceeded"]
    few = " ".join(b64(f"hello there, plain number {i}") for i in range(decode.MAX_RUNS))
    assert tag(few).tier == "public"


def test_decoded_bytes_cap(monkeypatch):
    monkeypatch.setattr(decode, "MAX_BYTES", 40)
    res = tag(b64("a harmless sentence of plain words") + " " + b64("another harmless sentence here"))
    assert res.errors == ["decode: cap exceeded"] and res.tier == "confidential"


def test_a_decoder_failure_fails_closed(monkeypatch):
    def boom(text):
        raise RuntimeError("decoder broke")

    monkeypatch.setattr(decode, "decode_runs", boom)
    res = tag("blob " + b64("harmless words in here"))
    assert res.tier == "confidential" and res.errors == ["decode: RuntimeError: decoder broke"]


def test_no_decode_work_without_a_candidate():
    assert sens._P.decode_hint.search("What is the capital of France?") is None


# ---------------------------------------------------------------------------------------
# Allowlists: exact values only, never sheltering a neighbour.


@pytest.mark.parametrize("text", [
    "Use the test card 4111 1111 1111 1111 in the sandbox",
    "Stripe test cards: 4242424242424242, 5555555555554444, 378282246310005, 6011111111111117",
    "Mastercard 2-series test 2223003122003222 and JCB 3566002020360505",
    "AWS docs key AKIAIOSFODNN7EXAMPLE with secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "hosts 192.0.2.10, 198.51.100.7 and 203.0.113.99 (RFC 5737) and 2001:db8::1",
    "request id 123e4567-e89b-12d3-a456-426614174000 and c866c485-7989-4539-bbfa-258343f78ef7",
    "git SHAs 3f786850e387550fdab836ed7e6dc57b5b4f2a31 and 4539148803436467aa",
    "api_key = 'YOUR_API_KEY', token: <token>, password=${DB_PASSWORD}, secret: xxxxxxxxxxxx",
    "mail jane@example.com or bob@example.org",
])
def test_allowlisted_values_produce_no_finding(text):
    res = tag(text)
    assert res.findings == [] and res.tier == "public", [(f.detector, f.masked) for f in res.findings]


@pytest.mark.parametrize("text,detector,span", [
    ("cards 4111111111111111 and 4539148803436467", "credit_card", "4539148803436467"),
    ("cards 4111 1111 1111 1111 4539 1488 0343 6467", "credit_card", "4539 1488 0343 6467"),
    ("keys AKIAIOSFODNN7EXAMPLE AKIAS2BUACWIFH6PCLRZ", "api_key", "AKIAS2BUACWIFH6PCLRZ"),
    ("mail jane@example.com, jane@gmail.com", "email", "jane@gmail.com"),
    ("host 192.0.2.10 SSN 536-22-1947", "ssn", "536-22-1947"),
])
def test_an_allowlisted_value_never_shelters_its_neighbour(text, detector, span):
    res = tag(text)
    assert [(f.detector, text[f.start:f.end]) for f in res.findings] == [(detector, span)]


def test_test_cards_are_only_allowlisted_as_exact_values():
    # one digit off (and Luhn-valid again) is a real card number
    assert tag("card 4111 1111 1111 1129").tier == "confidential"


# ---------------------------------------------------------------------------------------
# The extra labelled cases (tests/data/sensitivity-extra.jsonl) hold the accuracy targets.


def test_extra_labelled_cases_meet_the_targets():
    import json
    from pathlib import Path

    from hrouter.policy_model import CustomRule

    policy = SensitivityConfig(
        custom=(CustomRule(name="codename", tier="internal", keywords=("BLUEHERON", "Project Nimbus")),),
        internal_domains=(".corp", ".internal"))
    path = Path(__file__).resolve().parent / "data" / "sensitivity-extra.jsonl"
    cases = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    assert len(cases) >= 60 and len({c["id"] for c in cases}) == len(cases)
    wrong = [(c["id"], c["expected"], tag_sensitivity(c["prompt"], policy).tier) for c in cases
             if tag_sensitivity(c["prompt"], policy).tier != c["expected"]]
    assert not wrong
    assert sum(c["kind"].startswith("hardneg") for c in cases) >= 20


def test_policy_rules_are_rescanned_in_decoded_runs():
    import base64

    from hrouter.policy import parse_policy
    pol = parse_policy("version: 1\nbackends:\n  l: {kind: ollama, model: m, zone: local}\n"
                       "sensitivity: {internal_domains: [.corp], custom: [{name: proj, tier: confidential, "
                       "keywords: [bluebird]}]}\n").sensitivity
    b64 = base64.b64encode(b"project bluebird").decode()
    r = tag_sensitivity(f"Decode and discuss: {b64}", pol)
    assert r.tier == "confidential" and [f.detector for f in r.findings] == ["proj (base64)"]
    assert tag_sensitivity("Notes on project%20bluebird", pol).tier == "confidential"
    host = base64.b64encode(b"connect to db.corp now").decode()
    r = tag_sensitivity(f"Decode: {host}", pol)
    assert r.tier == "internal" and r.findings[0].detector == "internal_hostname (base64)"


@pytest.mark.parametrize("text, detector", [
    ("My SSN in base64: MTIzLTQ1LTY3ODk=", "ssn (base64)"),        # 15 characters + padding
    ("My email base64: amFuZUBnbWFpbC5jb20=", "email (base64)"),   # 19 characters + padding
])
def test_short_padded_base64_is_decoded(text, detector):
    from hrouter.policy_model import SensitivityConfig
    r = tag_sensitivity(text, SensitivityConfig())
    assert r.tier == "confidential" and [f.detector for f in r.findings] == [detector]


def test_words_and_assignments_are_not_decoded():
    from hrouter.policy_model import SensitivityConfig
    for text in ("configuration= yes", "set PATH=usr/local/bin=", "a=b c==d", "internationalization", "getElementById"):
        assert tag_sensitivity(text, SensitivityConfig()).tier == "public", text
    # the unpadded base64 of "123-45-6789" has the shape base64 of ASCII text must have
    res = tag_sensitivity("MTIzLTQ1LTY3ODk", SensitivityConfig())
    assert res.tier == "confidential" and [f.detector for f in res.findings] == ["ssn (base64)"]
