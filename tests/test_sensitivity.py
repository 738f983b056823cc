"""Sensitivity tagging: the labelled sample file, each detector, masking, offsets, failing
closed, custom rules, internal domains, speed and import cost."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from hrouter.policy_model import DEFAULT_DETECTORS, CustomRule, SensitivityConfig
from hrouter.signals import TIERS, Finding, tier_rank
from hrouter.signals import sensitivity as sens
from hrouter.signals.sensitivity import tag_sensitivity

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"

#: The policy the sample file assumes: codename keywords and internal host suffixes.
SAMPLE_POLICY = SensitivityConfig(
    custom=(CustomRule(name="codename", tier="internal", keywords=("BLUEHERON", "Project Nimbus")),),
    internal_domains=(".corp", ".internal"),
)


def tag(text: str, config: SensitivityConfig = SAMPLE_POLICY):
    return tag_sensitivity(text, config)


def only(detector: str, tier: str = "confidential") -> SensitivityConfig:
    """A config with one built-in detector enabled."""
    return SensitivityConfig(detectors={detector: tier})


# ---------------------------------------------------------------------------------------
# The labelled sample (tests/data/sensitivity-sample.jsonl, copied from shared/cases).

SAMPLE = [json.loads(line) for line in (DATA / "sensitivity-sample.jsonl").read_text("utf-8").splitlines()
          if line.strip()]

#: Confidential cases this first version does not catch: each needs a detector that belongs to
#: the later, deeper sensitivity issue. Every one is asserted to still be missed, so the list
#: must shrink when that work lands.
EXPECTED_MISSES: dict[str, str] = {
}


def test_sample_file_is_complete():
    assert len(SAMPLE) == 100
    assert {r["expected"] for r in SAMPLE} <= set(TIERS)
    ids = {r["id"] for r in SAMPLE}
    assert set(EXPECTED_MISSES) <= ids
    assert all(r["expected"] == "confidential" for r in SAMPLE if r["id"] in EXPECTED_MISSES)


@pytest.mark.parametrize("case", SAMPLE, ids=[r["id"] for r in SAMPLE])
def test_sample_case(case):
    got = tag(case["prompt"])
    if case["id"] in EXPECTED_MISSES:
        assert got.tier != "confidential", (
            f"{case['id']} is now caught: remove it from EXPECTED_MISSES ({EXPECTED_MISSES[case['id']]})")
        return
    assert got.tier == case["expected"], (
        f"{case['kind']}: expected {case['expected']}, got {got.tier}: "
        f"{[(f.detector, f.masked) for f in got.findings]} {got.errors}")
    assert not got.errors


def test_sample_confusion_matrix(capsys):
    matrix: Counter[tuple[str, str]] = Counter()
    under, over = [], []
    for case in SAMPLE:
        got = tag(case["prompt"]).tier
        matrix[(case["expected"], got)] += 1
        if case["expected"] == "confidential" and got != "confidential" and case["id"] not in EXPECTED_MISSES:
            under.append(case["id"])
        if case["expected"] == "public" and got == "confidential":
            over.append(case["id"])
    table = ["expected \\ got   " + "".join(f"{t:>14}" for t in TIERS)]
    for exp in TIERS:
        table.append(f"{exp:16} " + "".join(f"{matrix[(exp, got)]:>14}" for got in TIERS))
    with capsys.disabled():
        print("\nsensitivity sample confusion matrix\n" + "\n".join(table))
    assert not under, f"confidential prompts tagged below confidential: {under}"
    assert not over, f"hard-negative public prompts tagged confidential: {over}"
    missed = sum(matrix[("confidential", t)] for t in ("public", "internal"))
    assert missed == len(EXPECTED_MISSES)


def test_seed_prompts():
    assert tag_sensitivity("What is the capital of France?", SensitivityConfig()).tier == "public"
    res = tag_sensitivity("Summarize the contract for SSN 123-45-6789", SensitivityConfig())
    assert res.tier == "confidential"
    assert [f.detector for f in res.findings] == ["ssn"]
    assert res.findings[0].masked == "***-**-6789"


# ---------------------------------------------------------------------------------------
# Each detector: positives and negatives.

POSITIVES: list[tuple[str, str, str]] = [
    # (detector, text, the exact span the finding must cover)
    ("ssn", "SSN 568-08-2371 on file", "568-08-2371"),
    ("ssn", "number 568 08 2371", "568 08 2371"),
    ("ssn", "number 568.08.2371", "568.08.2371"),
    ("ssn", "SSN: 554-23-\n3307", "554-23-\n3307"),
    ("ssn", "My social security number is 568082371.", "568082371"),
    ("ssn", "Sozialversicherungsnummer 568082371", "568082371"),
    ("ssn", "read back the SSN: 8 3 3 - 4 0 - 6 8 9 8", "8 3 3 - 4 0 - 6 8 9 8"),
    ("ssn", "Summarize the contract for SSN 123-45-6789", "123-45-6789"),
    ("ssn", "SSN 568\u201308\u20132371 (en dashes)", "568\u201308\u20132371"),
    ("credit_card", "card 4539 1488 0343 6467 please", "4539 1488 0343 6467"),
    ("credit_card", "Amex 3742 015734 28705", "3742 015734 28705"),
    ("credit_card", "Discover 6011-4558-6864-8320.", "6011-4558-6864-8320"),
    ("credit_card", "Karte 4959.4282.2080.3502 gesperrt", "4959.4282.2080.3502"),
    ("credit_card", "Card: 54326237\n42302678", "54326237\n42302678"),
    ("credit_card", "mc 2221992100000006 2-series", "2221992100000006"),
    ("credit_card", "card 4539 1488 0343 6467 2024", "4539 1488 0343 6467"),
    ("iban", "IBAN DE89 3704 0044 0532 0130 00 please", "DE89 3704 0044 0532 0130 00"),
    ("iban", "iban: GB82WEST12345698765432.", "GB82WEST12345698765432"),
    ("iban", "Mon IBAN est FR76 1454 1811 8995 1153 5289 990. Merci", "FR76 1454 1811 8995 1153 5289 990"),
    ("email", "mail me at jane.doe@gmail.com today", "jane.doe@gmail.com"),
    ("email", "Kontakt: müller@beispiel.de", "müller@beispiel.de"),
    ("email", "Contact: mateo.ellison\uff20outlook.com", "mateo.ellison\uff20outlook.com"),
    ("email", "see http://x.com/form?email=jane@gmail.com now", "jane@gmail.com"),
    ("phone", "Call me on +1 415 555 2671 tonight", "+1 415 555 2671"),
    ("phone", "Handynummer: +49 151 6054 7072", "+49 151 6054 7072"),
    ("phone", "my mobile is 07700 900123", "07700 900123"),
    ("phone", "cell: 512.555.0168 (text only)", "512.555.0168"),
    ("phone", "call me at (512) 555-0168 tomorrow", "(512) 555-0168"),
    ("phone", "Telefon 030 76482575 (9-17 Uhr)", "030 76482575"),
    ("phone", "Mon numéro fixe est le 01 99 00 89 88.", "01 99 00 89 88"),
    ("phone", "mi teléfono es 612 34 56 78", "612 34 56 78"),
    ("phone", "WhatsApp 0049 151 6054 7072", "0049 151 6054 7072"),
    ("api_key", "AWS key AKIAS2BUACWIFH6PCLRZ here", "AKIAS2BUACWIFH6PCLRZ"),
    ("api_key", "token ghp_R5Ey6vJwq0Zx0Vq8b1Hc7k9LmN2oP3qR4sT5 expired",
     "ghp_R5Ey6vJwq0Zx0Vq8b1Hc7k9LmN2oP3qR4sT5"),
    ("api_key", "GH github_pat_11IH5KW6SAXZAV4OBSWPWT_HDAyKSJo9lz54c9XyMDEyLca9j4O5eaWpfvX8ZOJz ok",
     "github_pat_11IH5KW6SAXZAV4OBSWPWT_HDAyKSJo9lz54c9XyMDEyLca9j4O5eaWpfvX8ZOJz"),
    ("api_key", "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx !",
     "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("api_key", "stripe sk_live_51HxYzAbCdEfGhIjKlMnOp", "sk_live_51HxYzAbCdEfGhIjKlMnOp"),
    ("api_key", "hook whsec_ZQ6xNdNoi53Mgx0A1baTHZyuefJpDc1m end", "whsec_ZQ6xNdNoi53Mgx0A1baTHZyuefJpDc1m"),
    ("api_key", "key sk-proj-Ab3dEf5hIj7kLm9nOp1qRs3tUv5wXy7z", "sk-proj-Ab3dEf5hIj7kLm9nOp1qRs3tUv5wXy7z"),
    ("api_key", "key sk-ant-api03-qDCqC0KLrTaGPT_E7QXZyg6DJK0Y4BiZy4nNwonQ",
     "sk-ant-api03-qDCqC0KLrTaGPT_E7QXZyg6DJK0Y4BiZy4nNwonQ"),
    ("api_key", "maps AIzayhdK8LD8YHOXchjrWM_Qxnd3_q8vSpMqDkn", "AIzayhdK8LD8YHOXchjrWM_Qxnd3_q8vSpMqDkn"),
    ("api_key", "npm npm_abcdefghijABCDEFGHIJ0123456789abcdef", "npm_abcdefghijABCDEFGHIJ0123456789abcdef"),
    ("api_key", "hf hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"),
    ("api_key", "pypi pypi-AgEIcHlwaS5vcmcCJGQ4ZmE3YjQ2LTk1ZjAtNDQ2Mi1hNzQyLWFlYjQ1ZmE0",
     "pypi-AgEIcHlwaS5vcmcCJGQ4ZmE3YjQ2LTk1ZjAtNDQ2Mi1hNzQyLWFlYjQ1ZmE0"),
    ("api_key", "DB_PASSWORD=Winter2024!\nDB_HOST=x", "PASSWORD=Winter2024!"),
    ("api_key", 'config = {"password": "hunter22"}', 'password": "hunter22'),
    ("api_key", "the password is Ep7nsCLv40%Wkz=-R. Rotate it.", "password is Ep7nsCLv40%Wkz=-R"),
    ("api_key", "mysql://root:S3cr3tPw!@db:3306/app", "mysql://root:S3cr3tPw!@"),
    ("api_key", "curl -H 'Authorization: Bearer abcdef1234567890abcdef'", "Authorization: Bearer abcdef1234567890abcdef"),
    ("api_key", "mycli --password s3cretValue9 --user bob", "--password s3cretValue9"),
    ("private_key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
     "-----END OPENSSH PRIVATE KEY-----",
     "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
     "-----END OPENSSH PRIVATE KEY-----"),
    ("private_key", '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvgIBADANBgkqhkiG9w0BAQEFAAxNK4dexvufQuIhgTFg'
     '\\n-----END PRIVATE KEY-----\\n"}',
     "-----BEGIN PRIVATE KEY-----\\nMIIEvgIBADANBgkqhkiG9w0BAQEFAAxNK4dexvufQuIhgTFg\\n-----END PRIVATE KEY-----"),
    ("date_of_birth", "DOB: 12/03/1985, blood type A", "12/03/1985"),
    ("date_of_birth", "born on 3 March 1990 in Lyon", "3 March 1990"),
    ("date_of_birth", "Geburtsdatum 12.03.1985", "12.03.1985"),
    ("date_of_birth", "Elle est née le 12 mars 1985 à Paris", "12 mars 1985"),
    ("date_of_birth", "fecha de nacimiento: 1985-03-12", "1985-03-12"),
    ("date_of_birth", "birthday is March 3, 1990!", "March 3, 1990"),
    ("classification_marking", "INTERNAL ONLY\nroadmap", "INTERNAL ONLY"),
    ("classification_marking", "[CONFIDENTIAL - INTERNAL] notes", "[CONFIDENTIAL - INTERNAL]"),
    ("classification_marking", "This is for internal use only.", "for internal use only"),
    ("classification_marking", "Company Confidential, all rights reserved", "Company Confidential"),
    ("classification_marking", "HR internal: the new leave policy", "HR internal"),
    ("classification_marking", "Org change (internal): merge teams", "(internal)"),
    ("classification_marking", "NOT FOR DISTRIBUTION: draft", "NOT FOR DISTRIBUTION"),
    ("classification_marking", "Nur für den internen Gebrauch.", "Nur für den internen Gebrauch"),
    ("classification_marking", "VERTRAULICH: Quartalszahlen", "VERTRAULICH"),
    ("classification_marking", "Note de diffusion restreinte", "diffusion restreinte"),
    ("classification_marking", "Document à usage interne uniquement", "usage interne"),
    ("classification_marking", "Documento de uso interno", "uso interno"),
    ("classification_marking", "CONFIDENCIAL: plan de ventas", "CONFIDENCIAL"),
    ("classification_marking", "TLP:AMBER incident report", "TLP:AMBER"),
    ("unreleased_financials", "Our ARR reached 96.3M last month, not disclosed yet.", "not disclosed yet"),
    ("unreleased_financials", "Unannounced deal: the acquisition price is 340M.", "Unannounced"),
]

NEGATIVES: list[tuple[str, str]] = [
    ("ssn", "SSN format is XXX-XX-XXXX and 123-45-6789 is the dummy example"),
    ("ssn", "The Woolworth sample card number 078-05-1120 was voided"),
    ("ssn", "SSN 000-12-3456, 666-12-3456, 912-70-1234, 568-00-2371 and 568-08-0000 are invalid"),
    ("ssn", "Invoice 568082371 is overdue"),
    ("ssn", "order 428-0383047-0228170 and SKU 7578-9827-16 and ISBN 978-3-16-148410-0"),
    ("ssn", "version 1.568.08.2371 and 568-08-2371-7"),
    ("ssn", "What is a social security number used for?"),
    ("credit_card", "serial 4433-4204-4271-3832 (fails Luhn)"),
    ("credit_card", "order id 428-0383047-0228170"),
    ("credit_card", "uuid c866c485-7989-4539-bbfa-258343f78ef7"),
    ("credit_card", "the timestamp 1651027593123 and 2024061501"),
    ("credit_card", "9111 1111 1111 1111 has no known issuer"),
    ("iban", "GB00 IAXI 2947 3014 3265 57 has impossible check digits"),
    ("iban", "DE89 3704 0044 0532 0130 01 fails mod 97"),
    ("iban", "How is an IBAN check digit computed?"),
    ("email", "use jane@example.com, bob@mail.example.org or x@y.example in the docs"),
    ("email", "test users a@b.test, c@d.invalid and root@localhost"),
    ("email", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7 dev@laptop"),
    ("email", "git clone git@github.com:org/repo.git"),
    ("email", "@app.route('/x') and npm i @types/node and noreply@github.com"),
    ("phone", "In Excel I typed =312-555-0110 and the cell shows -353."),
    ("phone", "What UTC date is the Unix timestamp 1651027593?"),
    ("phone", "call the function 3 times with 1000000 items"),
    ("phone", "Convert 2024-06-15T08:30:00Z, call it at 12/05/2025"),
    ("phone", "The museum's public information line is +33 1 99 00 41 27."),
    ("phone", "Our SOA serial 2024061501 and order 428-0383047-0228170"),
    ("phone", "phone home to 192.168.100.200"),
    ("api_key", "export OPENAI_API_KEY=sk-..."),
    ("api_key", "Setting ANTHROPIC_API_KEY=sk-ant-... does nothing"),
    ("api_key", "api_key = 'YOUR_API_KEY'"),
    ("api_key", "api_key = os.environ['OPENAI_API_KEY']"),
    ("api_key", 'headers = {"Authorization": f"Bearer {os.environ[\'API_TOKEN\']}"}'),
    ("api_key", 'api_key="${OPENAI_API_KEY}" token: <token> secret: {{ secrets.DEPLOY }}'),
    ("api_key", "AWS key AKIAIOSFODNN7EXAMPLE from the docs"),
    ("api_key", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx and hf_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"),
    ("api_key", "def login(password: str, token: Optional[str] = None): password = getpass.getpass()"),
    ("api_key", "max_tokens: 1024\ntoken_type: bearer\napi_key=api_key"),
    ("api_key", "The password is incorrect, what should I do?"),
    ("api_key", "Secret: Unlocking the Power of Habits is a book"),
    ("api_key", "postgres://user:password@localhost:5432/db and postgres://postgres:postgres@db/x"),
    ("api_key", "integrity sha512-kRuB6Gsdz9Rl1DiHsE4h/0NzGgqt+3xujC7pOJ6FMMjTYR1JwMX3r1NX74FMvrBJfi45+8EnQuBrSnre/PJ3xg=="),
    ("api_key", "the task-manager-service-account-name is fine"),
    # (a header with armor dashes counts on its own, even in a question: see PRIVATE_KEYS)
    ("private_key", "How do I begin a private key rotation? BEGIN PRIVATE KEY is the PKCS#8 header."),
    ("private_key", "-----BEGIN CERTIFICATE-----\nMIIDXTCCAkWgAwIBAgIJAJC1HiIAZAiIMA0GCSqGSIb3DQEBBQUAMEUxCzAJBgNV\n"
     "-----END CERTIFICATE-----"),
    ("private_key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB7TgcaghuxvjL1Q+DdlSk99HPzx2HP2QUXtTWNIOLmo dev@laptop"),
    ("private_key", "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
     "-----END PUBLIC KEY-----"),
    ("date_of_birth", "La réunion est prévue le 12/05/2025."),
    ("date_of_birth", "Ada Lovelace was born on 10 December 1815."),
    ("date_of_birth", "When is my birthday party? Probably in May."),
    ("date_of_birth", "born in 1990"),
    ("classification_marking", "What does confidential computing mean?"),
    ("classification_marking", "How do I keep my diary confidential? Is internal audit useful?"),
    ("classification_marking", "The release checklist has an internal section."),
    ("unreleased_financials", "What is ARR and how do I forecast it?"),
    ("unreleased_financials", "Is it common for companies to publish salary ranges in job ads?"),
]


@pytest.mark.parametrize("detector,text,span", POSITIVES, ids=[f"{d}:{t[:30]}" for d, t, _ in POSITIVES])
def test_detector_positive(detector, text, span):
    tier = DEFAULT_DETECTORS[detector]
    res = tag_sensitivity(text, only(detector, tier))
    assert res.tier == tier and not res.errors
    assert [text[f.start:f.end] for f in res.findings] == [span]
    f = res.findings[0]
    assert f.detector == detector and f.tier == tier
    assert span not in f.masked and span.strip() not in f.masked


@pytest.mark.parametrize("detector,text", NEGATIVES, ids=[f"{d}:{t[:30]}" for d, t in NEGATIVES])
def test_detector_negative(detector, text):
    res = tag_sensitivity(text, only(detector))
    assert res.findings == [] and res.tier == "public" and not res.errors


def test_masks():
    def masked(text, detector):
        return tag_sensitivity(text, only(detector)).findings[0].masked

    assert masked("SSN 123-45-6789", "ssn") == "***-**-6789"
    assert masked("card 4539 1488 0343 6467", "credit_card") == "**** **** **** 6467"
    assert masked("card 4539-1488-0343-6467", "credit_card") == "**** **** **** 6467"
    assert masked("mail j.doe@gmail.com", "email") == "j***@g***.com"
    key = "sk-ant-api03-qDCqC0KLrTaGPT_E7QXZyg6DJK0Y4BiZy4nNwonQ"
    assert masked(f"key {key}", "api_key") == f"sk-ant-…({len(key)} chars)"
    assert masked("IBAN DE89 3704 0044 0532 0130 00", "iban") == "DE**…3000 (22 chars)"
    assert masked("Call me on +1 415 555 2671", "phone") == "+* *** *** 2671"


@pytest.mark.parametrize("text,mask", [
    ("a@b.co", "*@*.co"),
    ("ab@cd.co", "a***@c***.co"),
    ("a@bc.com", "*@b***.com"),
    ("jo@x.io", "j***@*.io"),
    ("x@mail.corp.co.uk", "*@m***.uk"),
    ("j.doe@gmail.com", "j***@g***.com"),
])
def test_email_mask_reveals_at_most_the_first_character_of_each_part(text, mask):
    [f] = tag_sensitivity(f"mail {text} now", only("email")).findings
    assert f.masked == mask
    assert text not in f.masked and f.masked != text


def test_hostname_mask_never_shows_a_one_character_label():
    [f] = tag("ssh to a.corp now").findings
    assert f.masked == "*.corp"


@pytest.mark.parametrize("text", ["DOB 6.8.28", "born 1/2/1990", "Tel: +1 415 555 2671"])
def test_digit_masks_never_show_more_than_half_the_digits(text):
    [f] = tag_sensitivity(text, SensitivityConfig()).findings
    digits = [c for c in text[f.start:f.end] if c.isdigit()]
    shown = [c for c in f.masked if c.isdigit()]
    assert len(shown) <= len(digits) // 2 and text[f.start:f.end] not in f.masked


def test_masking_never_leaks_the_value():
    """Every finding in every sample prompt and positive case: the matched text, and for
    numbers the bare digit string, is never inside ``masked``."""
    texts = [c["prompt"] for c in SAMPLE] + [t for _, t, _ in POSITIVES]
    seen = 0
    for text in texts:
        for f in tag(text).findings:
            value = text[f.start:f.end]
            digits = "".join(ch for ch in value if ch.isdigit())
            assert value not in f.masked, (f, value)
            assert len(digits) < 5 or digits not in f.masked, (f, value)
            assert "\n" not in f.masked
            seen += 1
    assert seen > 80


# ---------------------------------------------------------------------------------------
# Offsets point into the original text (also after Unicode normalisation).


def test_offsets_with_fullwidth_digits():
    text = "Note 😀 première: mon SSN est ０５９－６４－０１２９ (clavier japonais)."
    res = tag(text)
    assert res.tier == "confidential"
    [f] = res.findings
    assert text[f.start:f.end] == "０５９－６４－０１２９"
    assert f.masked == "***-**-0129"


def test_offsets_with_fullwidth_at_and_zero_width_chars():
    text = "Ünïcödé… contact: mateo.ellison＠outlook.com, card 4539\u200b1488\u200b0343\u200b6467 ok"
    res = tag(text)
    spans = {f.detector: text[f.start:f.end] for f in res.findings}
    assert spans == {"email": "mateo.ellison＠outlook.com", "credit_card": "4539\u200b1488\u200b0343\u200b6467"}


def test_offsets_with_other_digit_scripts_and_expanding_characters():
    text = "ﬁﬂ ½ SSN ٥٦٨-٠٨-٢٣٧١ end"  # ligatures and ½ expand under NFKC; Arabic-Indic digits fold
    [f] = tag(text).findings
    assert text[f.start:f.end] == "٥٦٨-٠٨-٢٣٧١"
    assert f.masked == "***-**-2371"


def test_offsets_every_sample_finding_is_inside_the_prompt():
    for case in SAMPLE:
        text = case["prompt"]
        for f in tag(text).findings:
            assert 0 <= f.start < f.end <= len(text)
            assert text[f.start:f.end].strip() == text[f.start:f.end]


# ---------------------------------------------------------------------------------------
# Failing closed.


def test_a_detector_that_raises_makes_the_prompt_confidential(monkeypatch):
    def boom(text):
        raise RuntimeError("regex engine exploded")

    monkeypatch.setitem(sens._DETECTORS, "email", boom)
    res = tag("INTERNAL ONLY: What is the capital of France? (asked @ lunch)")  # '@': email runs
    assert res.tier == "confidential"
    assert res.errors == ["email: RuntimeError: regex engine exploded"]
    # the other detectors still ran
    assert [f.detector for f in res.findings] == ["classification_marking"]


def test_a_detector_failing_midway_keeps_no_partial_findings(monkeypatch):
    def half(text):
        yield (0, 4, "x…")
        raise ValueError("bad")

    monkeypatch.setitem(sens._DETECTORS, "ssn", half)
    res = tag("text 1")  # a digit: ssn runs
    assert res.tier == "confidential" and res.findings == []
    assert res.errors == ["ssn: ValueError: bad"]


def test_a_missing_validator_library_fails_closed(monkeypatch):
    monkeypatch.setitem(sys.modules, "phonenumbers", None)  # import raises ImportError
    res = tag("Handynummer: +49 151 6054 7072")
    assert res.tier == "confidential"
    assert len(res.errors) == 1 and res.errors[0].startswith("phone: ModuleNotFoundError: ")
    # a prompt with no phone candidate never needs the library
    assert tag("What is the capital of France?").tier == "public"


def test_a_bad_custom_regex_fails_closed():
    config = SensitivityConfig(custom=(CustomRule(name="ticket", tier="internal", pattern="ACME-[0-9"),))
    res = tag_sensitivity("nothing here", config)
    assert res.tier == "confidential"
    assert res.errors and res.errors[0].startswith("ticket: error: ")


def test_a_custom_regex_that_backtracks_catastrophically_fails_closed_instead_of_hanging():
    # (a|aa)+$ on 5,000 a's followed by "!" would run for ages under the re module
    config = SensitivityConfig(custom=(CustomRule(name="slow", tier="internal", pattern=r"(a|aa)+$"),))
    t0 = time.monotonic()
    res = tag_sensitivity("a" * 5000 + "!", config)
    assert time.monotonic() - t0 < 10  # bounded by sens.PATTERN_TIMEOUT_S per scan, not minutes
    assert res.tier == "confidential"
    assert res.errors == [f"slow: TimeoutError: pattern took over {sens.PATTERN_TIMEOUT_S:g} s on a 5001-character text "
                          "(catastrophic backtracking?)"]
    # the same rule on ordinary text is quick and finds its matches
    assert [f.detector for f in tag_sensitivity("baa", config).findings] == ["slow"]


def test_an_unknown_detector_or_tier_fails_closed():
    res = tag_sensitivity("hello", SensitivityConfig(detectors={"telepathy": "internal"}))
    assert res.tier == "confidential" and res.errors == ["telepathy: KeyError: unknown detector"]
    res = tag_sensitivity("hello", SensitivityConfig(detectors={"email": "secret"}))
    assert res.tier == "confidential" and res.errors[0].startswith("email: ValueError")


# ---------------------------------------------------------------------------------------
# Tiers, policy knobs, overlaps.


def test_tier_is_the_most_severe_finding():
    res = tag("INTERNAL ONLY\nPayroll: Rosa Ferreira (SSN 671-02-1032) was paid twice.")
    assert res.tier == "confidential"
    assert [f.detector for f in res.findings] == ["classification_marking", "ssn"]
    assert tag("INTERNAL ONLY: lunch menu").tier == "internal"
    assert tag("lunch menu").findings == []


def test_detector_tiers_come_from_the_config():
    text = "INTERNAL ONLY: lunch menu, mail bob@gmail.com"
    assert tag_sensitivity(text, SensitivityConfig(detectors={"classification_marking": "confidential"})).tier \
        == "confidential"
    assert tag_sensitivity(text, SensitivityConfig(detectors={"email": "internal"})).tier == "internal"
    assert tag_sensitivity(text, SensitivityConfig(detectors={})).tier == "public"  # all off


def test_default_detectors_all_exist():
    assert set(DEFAULT_DETECTORS) - {"image"} == set(sens._DETECTORS)  # image: attachments, not text
    assert all(t in TIERS for t in DEFAULT_DETECTORS.values())


def test_attached_images_fail_closed_unless_the_policy_allows_them():
    cfg = SensitivityConfig()
    r = tag_sensitivity("What is on this receipt?", cfg, images=2)
    assert r.tier == "confidential"
    assert [(f.detector, f.start, f.end) for f in r.findings] == [("image", 0, 0)]
    assert "2 attached image(s)" in r.findings[0].masked
    assert tag_sensitivity("What is on this receipt?", cfg).tier == "public"  # no image, no finding
    allowed = SensitivityConfig(detectors={**DEFAULT_DETECTORS, "image": "public"})
    assert tag_sensitivity("What is on this receipt?", allowed, images=1).tier == "public"


def test_overlaps_keep_the_most_severe_then_longest_and_drop_duplicates():
    fs = [Finding("a", "internal", 0, 10, "m"), Finding("b", "confidential", 5, 8, "m"),
          Finding("c", "confidential", 5, 8, "m"), Finding("d", "confidential", 20, 30, "m"),
          Finding("e", "confidential", 18, 32, "m"), Finding("f", "public", 40, 41, "m")]
    kept = sens._resolve_overlaps(fs)
    assert [(f.detector, f.start, f.end) for f in kept] == [("b", 5, 8), ("e", 18, 32), ("f", 40, 41)]


def test_url_credentials_win_over_the_email_look_alike():
    text = "DATABASE_URL=postgresql://etl:V5~ebQBtQqvDSxvYUOl@warehouse-1.analytics.internal:5432/dw"
    res = tag(text)
    assert res.tier == "confidential"
    assert [f.detector for f in res.findings] == ["api_key", "internal_hostname"]


def test_result_serialises():
    data = tag("SSN 568-08-2371").to_json()
    assert data["tier"] == "confidential"
    assert data["findings"][0]["masked"] == "***-**-2371"
    json.dumps(data)


# ---------------------------------------------------------------------------------------
# Custom keywords and internal domains.


@pytest.mark.parametrize("text,hit", [
    ("Write a teaser for BLUEHERON's beta", "BLUEHERON"),
    ("blueheron-sync throws at start-up", "blueheron"),
    ("at com.acme.blueheron.sync.SyncJob.run", "blueheron"),
    ("BLUEHERON_ETL job", "BLUEHERON"),
    # plurals count: a codename in the plural is still the codename (documented choice)
    ("the BLUEHERONS team", "BLUEHERONS"),
    ("ＢＬＵＥＨＥＲＯＮ in fullwidth", "ＢＬＵＥＨＥＲＯＮ"),
    ("Compare the Project Nimbus timeline", "Project Nimbus"),
    ("PROJECT   NIMBUS", "PROJECT   NIMBUS"),
    ("repo project-nimbus on the server", "project-nimbus"),
    ("Project\nNimbus status", "Project\nNimbus"),
])
def test_custom_keywords_match_whole_words(text, hit):
    res = tag(text)
    assert res.tier == "internal"
    assert [text[f.start:f.end] for f in res.findings] == [hit]
    assert res.findings[0].detector == "codename"
    assert hit not in res.findings[0].masked


@pytest.mark.parametrize("text", [
    "How do cumulonimbus clouds build up?",
    # (BLUEHERON2 was here until round 7: a version digit after the codename now counts in any
    # case, see test_sensitivity_round7_leaks.py; a longer word such as BLUEHERONIAN does not)
    "blueheronx and xblueheron and BLUEHERONIAN are other words",
    "the nimbus project and Project Nimbusoid",
    "a blue heron at the lake",
])
def test_custom_keywords_do_not_match_inside_other_words(text):
    assert tag(text).tier == "public"


def test_custom_keywords_are_folded_like_the_text():
    config = SensitivityConfig(detectors={}, custom=(CustomRule(name="cn", tier="internal",
                                                                keywords=("ＦＡＬＣＯＮ", "Héron‐Bleu")),))
    assert tag_sensitivity("the FALCON launch", config).tier == "internal"
    assert tag_sensitivity("héron-bleu rollout", config).tier == "internal"
    assert tag_sensitivity("falconry club", config).tier == "public"


def test_custom_pattern_rule():
    config = SensitivityConfig(detectors={}, custom=(CustomRule(name="ticket", tier="internal",
                                                                pattern=r"ACME-[0-9]{4,}"),))
    res = tag_sensitivity("see ACME-12345 and ACME-12", config)
    assert res.tier == "internal"
    assert [(f.detector, f.start, f.end) for f in res.findings] == [("ticket", 4, 14)]


@pytest.mark.parametrize("text,host", [
    ("Der Build-Server ci-runner-12.corp meldet 'disk full'.", "ci-runner-12.corp"),
    ("reach sftp.partners.corp on port 22", "sftp.partners.corp"),
    ("ping DB01.Analytics.INTERNAL.", "DB01.Analytics.INTERNAL"),
    ("https://wiki.corp/page", "wiki.corp"),
])
def test_internal_hostnames(text, host):
    res = tag(text)
    assert res.tier == "internal"
    assert [(f.detector, text[f.start:f.end]) for f in res.findings] == [("internal_hostname", host)]


@pytest.mark.parametrize("text", [
    "Why was the .internal top-level domain reserved for private networks?",
    "visit www.corp.com or corp.example.com or a.corp.example.net",
    "the corp and internal teams",
])
def test_internal_domain_suffix_alone_is_not_a_host(text):
    assert tag(text).tier == "public"


# ---------------------------------------------------------------------------------------
# Long prompts, speed and import cost.

FILLER = next(c["prompt"] for c in SAMPLE if c["id"] == "sens-0297")


def long_prompt(last_line: str, size: int = 16_000) -> str:
    body = (FILLER * (size // len(FILLER) + 1))[: size - len(last_line) - 1]
    return body + "\n" + last_line


def test_sixteen_k_prompt_with_the_only_ssn_on_the_last_line():
    text = long_prompt("Employee SSN: 568-08-2371")
    assert len(text) == 16_000
    res = tag(text)
    assert res.tier == "confidential"
    [f] = res.findings
    assert text[f.start:f.end] == "568-08-2371" and f.end == len(text)
    assert tag(long_prompt("Employee note: nothing to see.")).tier == "public"


def _best_ms(text: str, runs: int = 5) -> float:
    tag(text)  # warm: compile the lazily compiled patterns
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        tag(text)
        best = min(best, time.process_time() - t0)
    return best * 1000


def test_tagging_is_fast():
    # a few ms on a developer machine; the bounds leave room for slow CI
    assert _best_ms(long_prompt("Employee SSN: 568-08-2371")) < 40
    assert _best_ms("What is the capital of France?") < 1


def test_import_is_cheap():
    code = ("import sys, hrouter.signals.sensitivity; "
            "print(sorted(m for m in ('phonenumbers', 'stdnum', 'unicodedata', 'typing') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------
# Evasions found by adversarial testing. Each class is fixed generally; the cases below are
# the confirmed leaks plus variations of each.

#: Invisible characters: every kind the normaliser must drop (Unicode format characters Cf,
#: variation selectors, the combining grapheme joiner, Hangul fillers, control characters).
INVISIBLE = [
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",  # zero-width space/joiners, LRM/RLM
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",  # bidi embeddings and overrides
    "\u2060", "\u2061", "\u2062", "\u2063", "\u2064",  # word joiner, invisible operators
    "\u2066", "\u2067", "\u2068", "\u2069",  # bidi isolates
    "\u180e", "\ufeff", "\u00ad", "\u061c", "\ufff9",  # Mongolian vowel separator, BOM, SHY, ALM, annotation
    "\U000e0001", "\U000e0041", "\U000e007f",  # tag characters
    "\ufe00", "\ufe0f", "\U000e0100", "\U000e01ef", "\u180b",  # variation selectors
    "\u034f",  # combining grapheme joiner
    "\u115f", "\u1160", "\u3164", "\uffa0",  # Hangul fillers
    "\x00", "\x1b", "\x7f", "\x9b",  # C0/C1 controls
]

#: (detector, template with {c} where the invisible character goes, the value it hides)
INVISIBLE_TEMPLATES = [
    ("ssn", "Employee 536-22-19{c}47.", "536-22-19{c}47"),
    ("ssn", "SSN 5{c}3{c}6{c}-{c}2{c}2-1{c}9{c}4{c}7 on file", "5{c}3{c}6{c}-{c}2{c}2-1{c}9{c}4{c}7"),
    ("email", "Write to jane.smith{c}@gmail.com", "jane.smith{c}@gmail.com"),
    ("email", "Write to jane{c}.{c}smith@{c}gmail{c}.com", "jane{c}.{c}smith@{c}gmail{c}.com"),
    ("credit_card", "card 4539{c}1488{c}0343{c}6467 ok", "4539{c}1488{c}0343{c}6467"),
    ("credit_card", "card 45{c}39 14{c}88 0343 6467", "45{c}39 14{c}88 0343 6467"),
]


@pytest.mark.parametrize("char", INVISIBLE, ids=[f"U+{ord(c):04X}" for c in INVISIBLE])
@pytest.mark.parametrize("detector,template,value", INVISIBLE_TEMPLATES,
                         ids=[f"{d}:{t[:18]}" for d, t, _ in INVISIBLE_TEMPLATES])
def test_invisible_characters_do_not_hide_a_value(char, detector, template, value):
    text, value = template.format(c=char), value.format(c=char)
    res = tag_sensitivity(text, SensitivityConfig())
    assert res.tier == "confidential" and not res.errors
    assert [(f.detector, text[f.start:f.end]) for f in res.findings] == [(detector, value)]
    assert value not in res.findings[0].masked


def test_every_unicode_format_character_is_dropped():
    import unicodedata

    table = sens._fold_table()
    cf = [c for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert len(cf) > 150
    assert [hex(c) for c in cf if table.get(c, "kept") is not None] == []
    # and a format character newer than the table is dropped by category
    text = "SSN 536-22-" + "".join(map(chr, cf)) + "1947"
    assert sens._normalize(text)[0] == "SSN 536-22-1947"


@pytest.mark.parametrize("text,value", [
    ("SSN 5\ufe0f\u20e33\ufe0f\u20e36\ufe0f\u20e3-22-1947",  # keycap digits
     "5\ufe0f\u20e33\ufe0f\u20e36\ufe0f\u20e3-22-1947"),
    ("SSN 5\u03363\u03366\u0336-22-1947", "5\u03363\u03366\u0336-22-1947"),  # strike-through
    ("SSN 536\u280022\u28001947", "536\u280022\u28001947"),  # Braille blank as a space
    ("SSN 536\u168022\u16801947", "536\u168022\u16801947"),  # Ogham space mark
    ("SSN 536\x0b22\x0c1947", "536\x0b22\x0c1947"),  # vertical tab, form feed
])
def test_decorations_and_odd_blanks_do_not_hide_a_value(text, value):
    [f] = tag_sensitivity(text, only("ssn")).findings
    assert text[f.start:f.end] == value


def test_normalising_keeps_the_offset_map_and_stays_fast():
    text = "Ünï " + "5\u200e3\u200f6-\u206322-19\u2063" * 1000 + "47"
    norm, index = sens._normalize(text)
    assert len(index) == len(norm) and index == sorted(index) and index[-1] == len(text) - 1
    assert all(norm[i] == text[j] for i, j in enumerate(index) if norm[i].isascii() and text[j].isascii())
    t0 = time.process_time()
    sens._normalize(text)
    assert time.process_time() - t0 < 0.05


#: Ordinary formatting: numbers touching punctuation or letters, em dashes, several spaces,
#: tabs or no-break spaces between groups. (detector, text, span)
FORMATTING = [
    ("ssn", "John Smith\u2014536-22-1947\u2014Accounting.", "536-22-1947"),
    ("ssn", "SSN-536-22-1947", "536-22-1947"),
    ("ssn", "ID-536-22-1947", "536-22-1947"),
    ("ssn", "SSN no.536-22-1947", "536-22-1947"),
    ("ssn", "SSN536-22-1947", "536-22-1947"),
    ("ssn", "SSN 536  22  1947", "536  22  1947"),
    ("ssn", "ref 536  22  1947 on file", "536  22  1947"),
    ("ssn", "SSN 536\t22\t1947", "536\t22\t1947"),
    ("ssn", "SSN 536\u00a022\u00a01947", "536\u00a022\u00a01947"),
    ("ssn", "SSN 536\u202f22\u202f1947", "536\u202f22\u202f1947"),
    ("ssn", "SSN 536 - 22 - 1947", "536 - 22 - 1947"),
    ("ssn", "SSN 536\u201322\u20131947", "536\u201322\u20131947"),
    ("ssn", "id,name,ssn\n42,Jane,536-22-1947\n", "536-22-1947"),
    ("ssn", "SSN no.536221947", "536221947"),
    ("ssn", "SSN:536 22 1947.", "536 22 1947"),
    ("credit_card", "Card No.4539148803436467.", "4539148803436467"),
    ("credit_card", "Card-4539148803436467", "4539148803436467"),
    ("credit_card", "Charge 4539  1488  0343  6467.", "4539  1488  0343  6467"),
    ("credit_card", "card 4539\t1488\t0343\t6467", "4539\t1488\t0343\t6467"),
    ("credit_card", "card 4539\u00a01488\u00a00343\u00a06467", "4539\u00a01488\u00a00343\u00a06467"),
    ("credit_card", "Card\u20144539 1488 0343 6467\u2014exp 12/27", "4539 1488 0343 6467"),
    ("credit_card", "ts,card\n2019-12-31 14:22:01,4539148803436467\n", "4539148803436467"),
    ("credit_card", "pay with Visa4539148803436467 today", "4539148803436467"),
    ("date_of_birth", "DOB\u201412/03/1985", "12/03/1985"),
    ("date_of_birth", "DOB-12/03/1985", "12/03/1985"),
    ("date_of_birth", "DOB12/03/1985", "12/03/1985"),
    ("email", "x://jane.smith@gmail.com", "jane.smith@gmail.com"),
    ("email", "https://jane@bitbucket.org/team/repo", "jane@bitbucket.org"),
    ("email", "jane.smith@gmail.com\u2014Accounting", "jane.smith@gmail.com"),
    ("email", "write to ...jane@gmail.com", "jane@gmail.com"),
    ("iban", "IBAN DE89  3704  0044  0532  0130  00", "DE89  3704  0044  0532  0130  00"),
    ("iban", "IBAN-DE89.3704.0044.0532.0130.00", "DE89.3704.0044.0532.0130.00"),
    ("phone", "Tel.+49 151 6054 7072", "+49 151 6054 7072"),
    ("phone", "Phone\u2014+49 151 6054 7072", "+49 151 6054 7072"),
    ("phone", "Telefon.030 76482575", "030 76482575"),
    ("api_key", "token\u2014ghp_R5Ey6vJwq0Zx0Vq8b1Hc7k9LmN2oP3qR4sT5", "ghp_R5Ey6vJwq0Zx0Vq8b1Hc7k9LmN2oP3qR4sT5"),
]


@pytest.mark.parametrize("detector,text,span", FORMATTING, ids=[f"{d}:{t[:30]}" for d, t, _ in FORMATTING])
def test_ordinary_formatting_does_not_hide_a_value(detector, text, span):
    res = tag_sensitivity(text, only(detector))
    assert res.tier == "confidential" and not res.errors
    assert [text[f.start:f.end] for f in res.findings] == [span]
    assert span not in res.findings[0].masked
    assert tag_sensitivity(text, SensitivityConfig()).tier == "confidential"


@pytest.mark.parametrize("text", [
    "id 45391488034364671234 and 12345678901234567890",  # 20 digits: no card inside
    "order 428-0383047-0228170 and 1-536-22-1947-0",
    "ISBN 978-3-16-148410-0 and 978-0-596-52068-7",
    "version 1.568.08.2371, 568-08-2371-7 and 2.536.22.1947",
    "amount 4111111111111111.5 and 1/4539148803436467",  # a decimal, a fraction
    "commit a4539148803436467f and 4539148803436467abcdef",  # digits inside a hex hash
    "+1 536 22 1947 and +49 151 60 5470",  # space-grouped runs that go on
    "Our hotline is 0800 123 4567.",
    "The museum's public information line is +33 1 99 00 41 27.",
    "ssh://git@github.com/org/repo.git and ftp://anonymous@ftp.gnu.org/pub",
    "the-task-manager-sk-build2024-production-release-v1",
    "Convert 2024-06-15T08:30:00Z to Tokyo time.",
])
def test_formatting_hard_negatives_stay_public(text):
    res = tag(text)
    assert res.tier == "public", [(f.detector, text[f.start:f.end]) for f in res.findings]


#: Private keys: (text, span). A header with armor dashes counts alone (fail closed).
PRIVATE_KEYS = [
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPH\nCozMxH2Mo4lgOEePzNm0tRgeLez\n"
     "V6ffAt0gunVTLw7onLRnrq0/IzW\n-----END RSA PRIVATE KEY-----", None),  # wrapped at 27 chars
    ("-----BEGIN X25519 PRIVATE KEY-----\nMC4CAQAwBQYDK2VuBCIEIHBgMG1mZWRjYmE5ODc2NTQzMjEw\n"
     "-----END X25519 PRIVATE KEY-----", None),
    ("-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI\n"
     "-----END ENCRYPTED PRIVATE KEY-----", None),
    ("-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\nlQOYBFzUgs0BCADZ\n=abcd\n"
     "-----END PGP PRIVATE KEY BLOCK-----", None),
    ("---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"rsa-key\"\nP2/56wAAA+4AAAA3aWYtbW9kbnt\n"
     "---- END SSH2 ENCRYPTED PRIVATE KEY ----", None),
    ("Here: -----BEGIN OPENSSH PRIVATE KEY----- (rest cut off)", "-----BEGIN OPENSSH PRIVATE KEY-----"),
    ("key: -----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBk", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBk"),
    ("-----BEGIN ED25519 PRIVATE KEY-----", None),
    ("What does -----BEGIN RSA PRIVATE KEY----- mean at the top of a file?", "-----BEGIN RSA PRIVATE KEY-----"),
    ("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----", None),
    ('{"k": "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAABG5v\\nbmUAAAAEbm9uZQAAAAAAAAAB\\n"}',
     "-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAABG5v\\nbmUAAAAEbm9uZQAAAAAAAAAB"),
    ("BEGIN RSA PRIVATE KEY\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVT", None),
    ("my key is MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7 ok",
     "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"),  # PKCS#8 body without a header
    ("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB", None),  # openssh-key-v1 body
]


@pytest.mark.parametrize("text,span", PRIVATE_KEYS, ids=[t[:36] for t, _ in PRIVATE_KEYS])
def test_private_keys(text, span):
    res = tag_sensitivity(text, only("private_key"))
    assert res.tier == "confidential" and not res.errors
    assert [text[f.start:f.end] for f in res.findings] == [span or text]
    assert (span or text) not in res.findings[0].masked


def test_fuzz_never_raises_and_offsets_and_masks_hold():
    import random

    rng = random.Random(20240615)
    alphabet = (list("0123456789" * 4 + "-- ..//,:@+()\n\taZ") + INVISIBLE +
                ["\u20e3", "\u0336", "\u2014", "\u00a0", "\uff10", "\u0663", "\ufb01", "\u00bd", "\u2800", "é",
                 "ß", "İ", "\ufdfa", "\u0301", "ＳＳＮ ", "SSN ", "DOB ", "card ", "Tel ", "IBAN DE89", "x://",
                 "-----BEGIN RSA PRIVATE KEY-----", "MIIEvQIBADAN", "jane@gmail.com", "password=", "ghp_"])
    findings = 0
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 100)))
        norm, index = sens._normalize(text)
        if index is not None:
            assert len(index) == len(norm) and index == sorted(index)
            assert all(0 <= i < len(text) for i in index)
        res = tag(text)
        assert not res.errors, (text, res.errors)
        for f in res.findings:
            findings += 1
            value = text[f.start:f.end]
            assert 0 <= f.start < f.end <= len(text), (text, f)
            assert f.masked != value and value not in f.masked, (text, f)
            assert "\n" not in f.masked
    assert findings > 1000


# ---------------------------------------------------------------------------------------
# Speed machinery: the one-pass needle windows and the compact offset map are exact.


def _find_windows(text, needles, before, after):
    """The reference: a ``str.find`` loop per needle over the lower-case text."""
    return sens._windows(text, text.lower(), needles, before, after)


@pytest.mark.parametrize("needles", [("pass", "passport", "pw", "mot de passe"), ("ssn", "social", "soc"),
                                     ("diagnos", " dx", "pril", "aline", "chart"), ("é", "né", "ne le")])
def test_lower_windows_equal_a_find_loop_per_needle(needles):
    import random

    rng = random.Random(11)
    parts = ["pass", "passport", "PASSWORD", "pw", "mot de passe", "SSN", "social", "soc", " dx", "Diagnose",
             "captopril", "sertraline", "chart", "Né le", "ne le", " ", "x", "\n", "ab", "İ"]
    for _ in range(400):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 40)))
        for before, after in ((0, 0), (3, 5), (24, 40)):
            assert sens._lower_windows(text, needles, before, after) == _find_windows(text, needles, before, after)
        assert sens._any_needle(text, needles) == any(n in text.lower() for n in needles)


def test_compact_offset_map_matches_the_full_index():
    import random

    rng = random.Random(5)
    alphabet = list("ab1 -\n") + ["\u200b", "\uff10", "\u0663", "\ufb01", "\u2014", "é", "e\u0301", "\u20e3", "\x07"]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        norm, runs = sens._normalize_runs(text)
        norm2, index = sens._normalize(text)
        assert norm == norm2
        if runs is None:
            assert index is None and norm == text
            continue
        flat = []
        ends = [r[0] for r in runs[1:]] + [len(norm)]
        for (ns, os_, ident), ne in zip(runs, ends):
            flat += [os_ + k if ident else os_ for k in range(ne - ns)]
        assert flat == index


@pytest.mark.parametrize("text", ["password=hunter2supersecret", "PASSWORD: hunter2supersecret",
                                  "DB_PASSWORD=hunter2supersecret", "secret = mysecretvalue42"])
def test_password_values_that_contain_a_key_word_are_still_secrets(text):
    assert tag_sensitivity(text, SensitivityConfig()).tier == "confidential"


@pytest.mark.parametrize("text", ["password=user_password", "token=authToken", "api_key=api_key", "password=password"])
def test_variable_references_are_not_secrets(text):
    assert tag_sensitivity(text, SensitivityConfig()).tier == "public"


def test_detectors_that_need_a_digit_or_at_are_skipped_without_it(monkeypatch):
    calls = []
    monkeypatch.setitem(sens._DETECTORS, "ssn", lambda text: calls.append("ssn") or [])
    monkeypatch.setitem(sens._DETECTORS, "email", lambda text: calls.append("email") or [])
    tag("no numbers here")
    assert calls == []
    tag("ssn ４２")  # fullwidth digits count once normalised
    assert calls == ["ssn"]
    tag("a＠b")  # the fullwidth at sign too
    assert calls == ["ssn", "email"]
