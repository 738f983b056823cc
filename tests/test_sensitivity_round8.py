"""Regressions from round 8: credential shapes (user:password after "creds are", cookie headers,
Wi-Fi keys, PINs, ``sudo -S``, ``htpasswd -b``), German pension insurance and identity card
numbers, and pay lists / initial + surname for the salary detector."""

from __future__ import annotations

import time

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals.detectors.national_id import _icao_digit, _valid_rvnr
from hrouter.signals.sensitivity import tag_sensitivity


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


def _assert_found(text: str, detector: str, secret: str | None = None):
    res = tag(text)
    assert res.tier == "confidential", (text, res)
    found = [f for f in res.findings if f.detector.split()[0] == detector]
    assert found, (text, res.findings)
    for f in res.findings:
        assert 0 <= f.start < f.end <= len(text)
        if secret:
            assert secret not in f.masked
    if secret:
        assert any(f.start <= text.index(secret) < f.end for f in found), (text, found)
    return found


@pytest.mark.parametrize("text,secret", [
    ("creds are admin:Tr0ub4dor", "Tr0ub4dor"),
    ("the credentials are admin / Tr0ub4dor&3", "Tr0ub4dor&3"),
    ("credentials: admin / Tr0ub4dor&3", "Tr0ub4dor&3"),
    ("Cookie: session=8f3a9c2e7b1d4f6a0c5e9b2d7a1f3c8e", "8f3a9c2e7b1d4f6a0c5e9b2d7a1f3c8e"),
    ("curl -H 'Cookie: theme=dark; PHPSESSID=el4ukv0kqbvoirg7nkp4dncpk3' https://shop.acme.io/cart",
     "el4ukv0kqbvoirg7nkp4dncpk3"),
    ("Set-Cookie: sid=s%3AJk8sL2mQ9xZ4vB7nR1tY5wE3.aB9cD2eF; Path=/; HttpOnly", "Jk8sL2mQ9xZ4vB7nR1tY5wE3"),
    ("wifi password Tr0ub4dor99", "Tr0ub4dor99"),
    ("the wifi key is Tr0ub4dor99, ask at the desk", "Tr0ub4dor99"),
    ("Wi-Fi password: hunter2-guest", "hunter2-guest"),
    ("WLAN-Schlüssel: Tr0ub4dor99", "Tr0ub4dor99"),
    ("PIN: 4821", "4821"),
    ("my PIN is 4821", "4821"),
    ("PIN-Code 4821", "4821"),
    ("Die PIN lautet 739164.", "739164"),
    ("card pin = 0472", "0472"),
    ('echo "hunter2x" | sudo -S apt update', "hunter2x"),
    ("echo Tr0ub4dor | sudo -u deploy -S systemctl restart app", "Tr0ub4dor"),
    ("sudo -S apt upgrade <<< 'Tr0ub4dor'", "Tr0ub4dor"),
    ("htpasswd -b /etc/nginx/.htpasswd admin S3cretPw", "S3cretPw"),
    ("htpasswd -bc .htpasswd jdoe Tr0ub4dor&3", "Tr0ub4dor&3"),
    ("htpasswd -nb admin S3cretPw > users", "S3cretPw"),
])
def test_credentials_round8(text, secret):
    _assert_found(text, "api_key", secret)


@pytest.mark.parametrize("text", [
    "Cookie: theme=dark; lang=en",
    "Set-Cookie: sid=<session-id>; Path=/; HttpOnly",
    "The browser sends the Cookie: header with every request.",
    "PIN 3 of the chip is ground",
    "connect the LED to pin 13 on the Arduino",
    "GPIO pin 4 reads high",
    "The default PIN is 0000, change it after pairing.",
    "PIN: 12 is the reset line",
    "Enter your PIN and press OK.",
    "The wifi password is incorrect",
    "How do I change my wifi password?",
    "WLAN-Schlüssel ändern: Einstellungen öffnen",
    "wifi key management in WPA2 uses a 4-way handshake",
    'echo "$PASSWORD" | sudo -S apt update',
    "sudo -S reads the password from standard input",
    "htpasswd -c /etc/nginx/.htpasswd admin",
    "htpasswd -b .htpasswd user password",
    "creds are stored in the vault",
])
def test_credential_lookalikes_stay_public(text):
    res = tag(text)
    assert res.tier == "public", (text, res)


def test_valid_rvnr_check_digit():
    assert _valid_rvnr("15070649C103")     # the Deutsche Rentenversicherung's documented sample
    assert _valid_rvnr("12 150785 M 007")
    assert not _valid_rvnr("15070649C104")
    assert not _valid_rvnr("12150785M001")  # wrong check digit (7 is right)


@pytest.mark.parametrize("text", [
    "SV-Nummer 15 070649 C 103",
    "Sozialversicherungsnummer: 12150785M007",
    "meine Rentenversicherungsnummer ist 15070649C103",
    "Versicherungsnummer (RV): 15 070649 C 103",
])
def test_german_pension_insurance_number(text):
    found = _assert_found(text, "national_id")
    assert any("DE RVNR" in f.masked for f in found)
    assert all("070649" not in f.masked and "150785" not in f.masked for f in found)


@pytest.mark.parametrize("text", [
    "SV-Nummer 15 070649 C 104",            # check digit fails
    "Teil 15070649C103 bestellt",            # no context word
    "Die Sozialversicherungsnummer hat 12 Stellen, z. B. Bereich, Geburtsdatum, Buchstabe.",
])
def test_german_pension_insurance_number_negatives(text):
    assert not any("DE RVNR" in f.masked for f in tag(text).findings)


def test_icao_check_digit():
    assert _icao_digit("T22000129") == 3     # the specimen card's MRZ: T220001293
    assert _icao_digit("L01X00T47") == 1


@pytest.mark.parametrize("text", [
    "Nummer des Personalausweises: T22000129",
    "Personalausweis T22000129",
    "Ausweisnummer: T22000129",
    "Personalausweis (MRZ): T220001293",
])
def test_german_identity_card_number(text):
    res = tag(text)
    assert res.tier == "confidential", res
    found = [f for f in res.findings if f.detector in ("national_id", "passport")]
    assert any(f.start <= text.index("T22000129") < f.end for f in found), res.findings
    assert all("T22000129" not in f.masked for f in res.findings)


@pytest.mark.parametrize("text", [
    "Personalausweis: T220001294",            # ICAO check digit fails
    "Personalausweis beantragen, Gebühr 37 Euro",
    "Ausweis: ABCDEFGHI",
])
def test_german_identity_card_negatives(text):
    assert not any("Personalausweis" in f.masked for f in tag(text).findings)


@pytest.mark.parametrize("text", [
    "Her salary is $182,000 a year (Jane Doe)",
    "Base pay: $92,500 — Jane Roe",
    "J. Roe earns $92,500",
    "Yesterday J. R. Roe earns $92,500 a year.",
    "Salaries:\nRoe, Jane: $85,000\nDoe, John: $90,000",
    "Salary list\n- Roe, Jane - $85,000",
    "Salaries:\nJane Roe: $85,000",
])
def test_salary_round8(text):
    found = _assert_found(text, "salary")
    assert all("$" not in f.masked for f in found)


@pytest.mark.parametrize("text", [
    "If J. Roe earns $92,500 a year and spends 20%, how much does he save?",
    "If Jane earns $92,500 a year and spends 20%, how much does she save?",
    "The U.S. Army earns $92,500 on average per recruit",
    "Salaries:\nQ1: $85,000\nQ2: $90,000",
    "Salary bands:\nJunior, Senior: $85,000",
    "Salary bands:\nNew York: $85,000\nSan Francisco: $95,000",
    "Salaries:\nRoe, Jane: $85,000\nWhat is the total amount paid?",
])
def test_salary_round8_negatives(text):
    assert "salary" not in {f.detector for f in tag(text).findings}, text


@pytest.mark.parametrize("text", [
    "Cookie: a=" + "x1" * 50_000,
    "Cookie: " + "a=b;" * 25_000,
    "PIN: " * 20_000,
    "pin " + "1" * 100_000,
    "echo " + "a" * 100 + " | sudo" * 15_000,
    "sudo -S " * 12_000 + "<<<",
    "htpasswd -b " * 9_000,
    "wifi password " * 7_000,
    "Salaries:\n" + "Roe, Jane: \n" * 8_000,
    "J. " * 30_000 + "earns",
    "Personalausweis T2200012 " * 4_000,
    "SV-Nummer 15 070649 C " * 4_000,
])
def test_round8_shapes_stay_fast(text):
    t = time.process_time()
    tag(text)
    assert time.process_time() - t < 0.5 * max(1, len(text) // 100_000 + 1)
