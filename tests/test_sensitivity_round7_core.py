"""Regressions from the seventh round on the tagger's core: credentials given as a name/value
pair (Kubernetes/Compose env lists, ECS task definitions, Postman environments, CloudFormation
parameters), passwords set to a value in prose, and base64 split over blanks or lines into
short pieces only (every piece under 12 characters, unpadded)."""

from __future__ import annotations

import base64
import time

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals.sensitivity import tag_sensitivity


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


def confidential(text: str, value: str, detector: str) -> None:
    res = tag(text)
    assert res.tier == "confidential", res
    assert not res.errors, res.errors
    hits = [f for f in res.findings if f.start <= text.index(value) and text.index(value) + len(value) <= f.end]
    assert hits, [(f.detector, text[f.start:f.end]) for f in res.findings]
    assert any(f.detector == detector for f in hits), [f.detector for f in hits]
    for f in res.findings:
        assert 0 <= f.start < f.end <= len(text)
        assert value not in f.masked and value not in (f.context or "")


def public(text: str) -> None:
    res = tag(text)
    assert res.tier == "public", [(f.detector, text[f.start:f.end]) for f in res.findings]
    assert not res.errors, res.errors


# --------------------------------------------------------------------------------------
# name/value pairs naming a credential

@pytest.mark.parametrize("text,value", [
    ('env:\n  - name: DB_PASSWORD\n    value: "Winter2024!"\n', "Winter2024!"),
    ("env:\n- name: API_TOKEN\n  value: 8f3kq9Zr2mWx7LpT\n- name: LOG_LEVEL\n  value: debug", "8f3kq9Zr2mWx7LpT"),
    ('"environment": [{"name": "DB_PASSWORD", "value": "Winter2024!"}, {"name": "PORT", "value": "8080"}]',
     "Winter2024!"),
    ('"environment": [\n  {\n    "name": "STRIPE_SECRET",\n    "value": "rk9Q2mXz7TpL3wVn"\n  }\n]',
     "rk9Q2mXz7TpL3wVn"),
    ('{"key": "password", "value": "Winter2024!", "enabled": true}', "Winter2024!"),
    ('{"key": "api_key", "value": "8f3kq9Zr2mWx7LpT4nBv", "type": "default"}', "8f3kq9Zr2mWx7LpT4nBv"),
    ('[{"ParameterKey": "DBPassword", "ParameterValue": "Winter2024!"}]', "Winter2024!"),
    ('jsonencode([{ name = "DB_PASSWORD", value = "Winter2024!" }])', "Winter2024!"),
])
def test_a_credential_given_as_a_name_value_pair(text, value):
    confidential(text, value, "api_key")


@pytest.mark.parametrize("text", [
    "env:\n  - name: PASSWORD_FILE\n    value: /run/secrets/db\n",
    'env:\n  - name: TOKEN_TTL\n    value: "3600"\n',
    '{"name": "api_key", "value": "<your key>"}',
    "env:\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef:\n        name: db\n        key: password\n",
    '{"name": "password", "value": ""}',
    '{"key": "token", "value": "{{token}}", "enabled": true}',
    "- name: DB_PASSWORD\n  value: ${DB_PASSWORD}",
    "- name: API_KEY\n  value: $(API_KEY)",
    "- name: SECRET_NAME\n  value: my-app-secret",
    "- name: TOKEN_ENDPOINT\n  value: https://login.acme.io/token",
    '{"key": "password", "value": "changeme"}',
    '{"name": "password_policy", "value": "strict"}',
    '{"key": "access_token", "value": "string"}',
    '[{"key": "Content-Type", "value": "application/json"}]',
    '{"name": "token_type", "value": "bearer"}',
    '"name": "password", "value": "********"',
    '{"name":"pwd","value":"%s"}',
])
def test_name_value_pairs_without_a_secret_stay_public(text):
    public(text)


# --------------------------------------------------------------------------------------
# a password set to a value in prose

@pytest.mark.parametrize("text,value", [
    ("ssh root@10.0.0.5 with password Tr0ub4dor", "Tr0ub4dor"),
    ("log in with password Tr0ub4dor", "Tr0ub4dor"),
    ("the admin password was reset to Tr0ub4dor", "Tr0ub4dor"),
    ('set the password to "Tr0ub4dor" and try again', "Tr0ub4dor"),
    ("I changed my wifi password to Summer2023! yesterday", "Summer2023!"),
])
def test_a_password_set_to_a_value_in_prose(text, value):
    confidential(text, value, "api_key")


@pytest.mark.parametrize("text", [
    "Users can log in with password authentication or SSO.",
    "Set the password to expire after 90 days.",
    "Set the password to something secure, at least 12 characters.",
    "Reset the password to the default value shown in the manual.",
    "Log in with password and OTP.",
    "with password-based encryption (PBE) the key is derived",
    "Call set_password to change the user password to a new hash.",
    "changing the password to a passphrase improves security",
    "with password hashing, bcrypt is preferred",
])
def test_password_prose_without_a_value_stays_public(text):
    public(text)


# --------------------------------------------------------------------------------------
# base64 split into short pieces only

def _split(value: str, width: int, sep: str, pad: bool = False) -> str:
    enc = base64.b64encode(value.encode()).decode()
    if not pad:
        enc = enc.rstrip("=")
    return sep.join(enc[i:i + width] for i in range(0, len(enc), width))


def test_the_known_leak_ssn_in_8_character_pieces():
    enc = base64.b64encode(b"ssn: 536-22-1947").decode().rstrip("=")
    assert enc == "c3NuOiA1MzYtMjItMTk0Nw"
    for text in ("decode this please: c3NuOiA1 MzYtMjIt MTk0Nw",
                 "decode this please:\nc3NuOiA1\nMzYtMjIt\nMTk0Nw\nthanks"):
        res = tag(text)
        assert res.tier == "confidential", res
        f = next(f for f in res.findings if f.detector == "ssn (base64)")
        assert text[f.start:f.end].replace("\n", " ") == "c3NuOiA1 MzYtMjIt MTk0Nw"
        assert "536" not in f.masked


@pytest.mark.parametrize("value,detector", [
    ("ssn: 536-22-1947", "ssn (base64)"),
    ("card 4539 1488 0343 6467", "credit_card (base64)"),
    ("jane.doe@gmail.com", "email (base64)"),
    ("password=hunter2xyz", "api_key (base64)"),
])
@pytest.mark.parametrize("width", [4, 6, 8, 10, 11])
@pytest.mark.parametrize("sep", [" ", "\n", "\n    "])
def test_base64_in_short_unpadded_pieces_is_decoded(value, detector, width, sep):
    text = "here it is: " + _split(value, width, sep) + "\nthanks"
    res = tag(text)
    assert res.tier == "confidential", (text, res)
    assert detector in {f.detector for f in res.findings}, (text, res)
    for f in res.findings:
        assert 0 <= f.start < f.end <= len(text)


def test_base64_in_short_pieces_alone_in_a_prompt():
    # no other candidate at all in the prompt: the cheap check before the decode pass finds it
    text = _split("ssn: 536-22-1947", 8, " ")
    assert tag(text).tier == "confidential"


@pytest.mark.parametrize("text", [
    "Use x1 y2 z3 as the coordinates of point P1 and P2.",
    "Set MAX_RETRIES to 3 and run step2 then step3 then step4.",
    "The H2O molecule and CO2 levels rose; see fig 3a and table 4b.",
    "Models: GPT4 Llama3 Mistral7B Qwen2 Phi3 Gemma2 are compared.",
    "Solve for x: 3x + 4y = 12 and 2x - y = 5.",
    "Room B12 C34 D56 E78 F90 are booked for Q3 and Q4.",
    "AB12 CD34 EF56 GH78 IJ90 KL12 MN34",
    "sha1 md5 sha256 sha512 blake2b are hash functions",
    "pip install numpy==1.26 scipy pandas2 torch2 tf2onnx",
    "ids: a1b2c3d4 e5f6a7b8 c9d0e1f2 a3b4c5d6",
    "License key: 7XKQ2 9MPLT R4VWN 8HJ3Z (from the product box)",
    "for i in range(10):\n    x1 = a1 + b2\n    y2 = c3 * d4\n",
])
def test_short_tokens_with_digits_stay_public(text):
    public(text)


@pytest.mark.parametrize("text", [
    ("a1b2c3d4 " * 20000),
    ("x1\n" * 40000),
    ("Ab1cD2eF " * 12000 + "=" * 100),
    ("c3NuOiA1 " * 12000),
    (("c3NuOiA1 " * 3 + "word ") * 3000),  # thousands of short values that decode
    ("c3NuOiA1 MzYtMjIt MTk0Nw word " * 3000),
])
def test_short_piece_search_is_bounded_on_long_inputs(text):
    t = time.process_time()
    tag(text)
    assert time.process_time() - t < 2.0  # shared machines are noisy: the search itself is linear


# --------------------------------------------------------------------------------------
# phone numbers after "call back" words; "net use ... /user:NAME PASSWORD"

@pytest.mark.parametrize("text,value", [
    ("Rückruf an 0171 2345678", "0171 2345678"),
    ("Rückruf bitte an 089 / 12 34 56 78 (Festnetz)", "12 34 56 78"),
    ("Ligue para (21) 98765-4321", "98765-4321"),
    ("Liga-me: 912 345 678", "912 345 678"),
    ("Customer callback: 0207 946 0958", "0207 946 0958"),
    ("Proszę oddzwonić: 512 345 678", "512 345 678"),
    ("Richiamami al 333 1234567", "333 1234567"),
    ("Kunt u mij terugbellen op 06 12345678", "06 12345678"),
])
def test_national_phone_numbers_after_a_call_back_word(text, value):
    confidential(text, value, "phone")


@pytest.mark.parametrize("text", [
    "setTimeout(callback, 1000); retry(callback, 3000, 25000)",
    "def callback(x): return x * 1000 + 2345678",
    "La Ligue 1 2023 2024 saison, 38 journées",
    "liga para 2024 equipos 20 partidos 380",
    "Register the callback with priority 10 and timeout 30000 ms.",
])
def test_call_back_words_without_a_phone_number_stay_public(text):
    public(text)


@pytest.mark.parametrize("text,value", [
    ("net use Z: \\\\srv\\share /user:ACME\\jdoe Tr0ub4dor99", "Tr0ub4dor99"),
    ("NET USE \\\\fs01\\ipc$ /u:admin Passw0rd!", "Passw0rd!"),
])
def test_net_use_with_a_password(text, value):
    confidential(text, value, "api_key")
    assert "jdoe" not in next(f.masked for f in tag(text).findings)


@pytest.mark.parametrize("text", [
    "net use Z: \\\\srv\\share /user:ACME\\jdoe * /persistent:yes",
    "net use Z: \\\\srv\\share /user:ACME\\jdoe /persistent:no",
    "Use net use with /user:DOMAIN\\name password to map a drive.",
])
def test_net_use_without_a_password_stays_public(text):
    public(text)


@pytest.mark.parametrize("text, masked", [
    ("DOB 1981-03-14", "1981-**-**"),
    ("born 14/03/1981", "**/**/1981"),
    ("Date of birth: March 14, 1981", "***** **, 198*"),  # never half the digits or more
    ("DOB: 14 mars 1981", "** **** 198*"),
    ("geboren am 14.03.81", "**.**.**"),
])
def test_a_date_of_birth_shows_only_its_year_whatever_the_order(text, masked):
    """Day and month are the identifying part (a birthday); ISO dates showed them before."""
    r = tag_sensitivity(text, SensitivityConfig())
    assert [(f.detector, f.masked) for f in r.findings] == [("date_of_birth", masked)]
