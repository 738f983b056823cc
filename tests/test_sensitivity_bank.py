"""Bank account numbers that are not IBANs (``bank_account``: account-number words in EN, DE,
FR, ES, IT, NL, PT, PL; US ABA routing + account; UK sort code + account; DE Kontonummer + BLZ)
and the UK National Insurance number (``national_id``, HMRC NIM39110 format rules)."""

from __future__ import annotations

import re
import time

import pytest

from hrouter.policy_model import DEFAULT_DETECTORS, SensitivityConfig
from hrouter.redact import redact
from hrouter.signals.detectors import bank, national_id
from hrouter.signals.sensitivity import tag_sensitivity


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


def found(text: str, detector: str) -> list[tuple[str, str, str]]:
    res = tag(text)
    assert not res.errors, res.errors
    out = []
    for f in res.findings:
        assert 0 <= f.start < f.end <= len(text)
        if f.detector == detector:
            out.append((text[f.start:f.end], f.verdict, f.masked))
    return out


def test_bank_account_is_a_default_detector():
    assert DEFAULT_DETECTORS["bank_account"] == "confidential"


# ---- account-number words ----------------------------------------------------------------

#: (text, the account number's exact span)
ACCOUNT_WORDS = [
    ("Please pay into account number 55779911 by Friday", "55779911"),
    ("Account No.: 12345678", "12345678"),
    ("acct # 9876543210", "9876543210"),
    ("My checking account is 000123456789", "000123456789"),
    ("A/C no. 44556677", "44556677"),
    ("Account number:\n31926819", "31926819"),
    ('{"account_number": "12345678"}', "12345678"),
    ("accountNumber=87654321", "87654321"),
    ("<account_number>12345678</account_number>", "12345678"),
    ("12345678 (account number)", "12345678"),
    ("Kontonummer 1234567890 bei der Commerzbank", "1234567890"),
    ("Kto.-Nr.: 0532013000", "0532013000"),
    ("Konto-Nr. 987654321", "987654321"),
    ("numéro de compte : 00012345678", "00012345678"),
    ("N° de compte 12345678901", "12345678901"),
    ("número de cuenta 0049 1500 0512 3456", "0049 1500 0512 3456"),
    ("Mi nº de cuenta es 12345678", "12345678"),
    ("il mio numero di conto è 000012345678", "000012345678"),
    ("conto corrente n. 123456789", "123456789"),
    ("rekeningnummer 417164300", "417164300"),
    ("Bankrekeningnummer: 1234567", "1234567"),
    ("número da conta 12345-6", "12345-6"),
    ("numer konta 61 1090 1014 0000 0712 1981 2874", "61 1090 1014 0000 0712 1981 2874"),
    ("nr rachunku 12345678", "12345678"),
]


@pytest.mark.parametrize("text,span", ACCOUNT_WORDS)
def test_an_account_number_word_and_a_digit_run_is_confidential(text, span):
    res = tag(text)
    assert res.tier == "confidential", res
    hits = found(text, "bank_account")
    assert (span, "context: account number") in [(v, verdict) for v, verdict, _ in hits], hits


@pytest.mark.parametrize("text,span", ACCOUNT_WORDS)
def test_masks_keep_at_most_the_last_four_digits(text, span):
    for value, _, masked in found(text, "bank_account"):
        digits = re.sub(r"\D", "", value)
        shown = re.sub(r"\D", "", masked)
        assert len(shown) <= (4 if len(digits) >= 8 else 2)
        assert digits.endswith(shown)
        assert digits[:-4] not in masked


# ---- US routing + account ------------------------------------------------------------------

@pytest.mark.parametrize("text,routing,account", [
    ("routing number 021000021 account 1234567890", "021000021", "1234567890"),
    ("Routing: 021000021\nAccount: 987654321", "021000021", "987654321"),
    ("ABA 011000015, acct 4455", "011000015", "4455"),
    ("account 1234567890 (ABA routing number 021000021)", "021000021", "1234567890"),
    ("RTN: 121000358 / Acc: 00123456789", "121000358", "00123456789"),
    ("routing_number=021000021&account_number=4455667788", "021000021", "4455667788"),
    ("account 12, routing 021000021, account 55667788", "021000021", "55667788"),  # the nearest plausible one
])
def test_aba_routing_number_with_an_account(text, routing, account):
    res = tag(text)
    assert res.tier == "confidential", res
    hits = {v: (verdict, masked) for v, verdict, masked in found(text, "bank_account")}
    assert hits[routing][0] == "aba checksum ok"
    assert account in hits
    assert hits[routing][1] == "routing *****" + routing[-4:]
    assert len(account) <= 4 or account[:-4] not in hits[account][1]


@pytest.mark.parametrize("text", [
    "routing number 021000022 account 1234567890",    # fails the 3-7-1 checksum
    "The ABA routing number 021000021 belongs to JPMorgan Chase in New York.",  # no account: a bank's code
    "routing number 021000021 account 3 of 5",
    "a database of routing numbers 021000021 and account numbers",
    "routing 021000021, account 2023",                 # a year, not an account
])
def test_routing_numbers_without_an_account_are_public(text):
    assert tag(text).tier == "public", tag(text)


# ---- UK sort code + account -------------------------------------------------------------------

@pytest.mark.parametrize("text,sort,account", [
    ("sort code 20-00-00 account number 55779911", "20-00-00", "55779911"),
    ("Sort code: 20-00-00, 55779911", "20-00-00", "55779911"),
    ("Sort-code 200000 A/C 55779911", "200000", "55779911"),
    ("Account 55779911, sort code 40 47 84", "40 47 84", "55779911"),
    ('{"sort_code": "20-00-00", "acc": "5577 9911"}', "20-00-00", "5577 9911"),
])
def test_sort_code_with_an_account(text, sort, account):
    res = tag(text)
    assert res.tier == "confidential", res
    hits = {v: (verdict, masked) for v, verdict, masked in found(text, "bank_account")}
    assert hits[sort][0] == "sort code next to account"
    assert account in hits
    assert "9911" not in hits[sort][1] and "2000" not in hits[sort][1].replace("-", "")


@pytest.mark.parametrize("text", [
    "The sort code 20-00-00 belongs to Barclays.",
    "sort code 20-00-00, branch 020 7946 0958",   # a piece of a longer number is no account
    "Sort the codes 20-00-00 and 12345678 ascending",
])
def test_sort_codes_without_an_account_are_public(text):
    assert tag(text).tier == "public", tag(text)


# ---- DE Kontonummer + BLZ ----------------------------------------------------------------------

@pytest.mark.parametrize("text,blz,account", [
    ("Kontonummer 1234567890 BLZ 37040044", "37040044", "1234567890"),
    ("Konto 12345, BLZ 370 400 44", "370 400 44", "12345"),
    ("Bankleitzahl: 10070000 Kto: 0123456", "10070000", "0123456"),
])
def test_kontonummer_with_blz(text, blz, account):
    res = tag(text)
    assert res.tier == "confidential", res
    hits = {v: verdict for v, verdict, _ in found(text, "bank_account")}
    assert hits[blz] == "blz next to account"
    assert account in hits


@pytest.mark.parametrize("text", [
    "Die BLZ 37040044 gehört zur Commerzbank Köln.",
    "BLZ 97040044 Konto 1234567",     # no clearing area 9: no BLZ
    "Das Konto wurde 2019 eröffnet, BLZ 37040044",
])
def test_blz_without_an_account_is_public(text):
    assert tag(text).tier == "public", tag(text)


# ---- public text ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "account 3 of 5",
    "account id 12",
    "Log into your account and open settings; it takes 2 minutes.",
    "Take into account 12345678 rows when sizing the table.",
    "account number 2023",
    "account number 00000000",                      # placeholder
    "account number 2023-01-15",                    # a date
    "Account number 2019-2024 statements",          # a year range
    "What is an account number and where do I find it?",
    "Order number 12345678 shipped; account manager: Jane",
    "Your account number is 8 digits long.",
    "AWS account ID 123456789012 owns the bucket",  # not a bank account word
    "Accounts 1234567 of the ledger",              # a plain account word alone
    "Kontakt: 0301234567",                          # Kontakt is no Konto
    "Per conto di Mario: 123456789",                # per conto di = on behalf of
    "No cuenta 2 veces el mismo voto.",
    "Contact 12345678",
    "sort(codes) then 55779911",
    "The compte rendu 12345678 is ready",
    "rekeningnummer NL91ABNA0417164300",            # an IBAN: the iban detector's
    "aws payment-cryptography-data verify-pin-data --primary-account-number 171234567890123",  # a card's PAN
])
def test_ordinary_text_stays_free_of_bank_findings(text):
    res = tag(text)
    assert "bank_account" not in {f.detector for f in res.findings}, res
    assert not res.errors


def test_an_iban_after_an_account_word_is_the_iban_detectors():
    res = tag("Kontonummer DE89 3704 0044 0532 0130 00")
    assert res.tier == "confidential"
    assert {f.detector for f in res.findings} == {"iban"}


def test_phone_after_account_word_is_the_phone_detectors():
    res = tag("Account number +44 20 7946 0958")
    assert {f.detector for f in res.findings} == {"phone"}


def test_a_longer_number_or_token_is_no_account():
    for text in ("account number 12345678.90", "account number ab12345678", "account number 1.2345678",
                 "account number 12345678901234567890123456789012345"):
        assert "bank_account" not in {f.detector for f in tag(text).findings}, text


# ---- redaction -------------------------------------------------------------------------------

def test_redaction_replaces_each_value_and_keeps_the_words():
    text = "routing number 021000021 account 1234567890"
    res = tag(text)
    red = redact(text, res.findings, ("bank_account",))
    assert red is not None
    assert red.text == "routing number [BANK_ACCOUNT_1] account [BANK_ACCOUNT_2]"
    assert tag(red.text).tier == "public"


# ---- UK National Insurance number -------------------------------------------------------------

@pytest.mark.parametrize("text,span,word", [
    ("NI number: AB 12 34 56 C", "AB 12 34 56 C", "NI number"),
    ("NI no. AB123456C", "AB123456C", "NI no"),
    ("My NINO is JG103759A", "JG103759A", "NINO"),
    ("NIN: AB 123456 C", "AB 123456 C", "NIN"),
    ("national insurance number ab123456c", "ab123456c", "national insurance"),
    ("NI: AB-12-34-56-C", "AB-12-34-56-C", "NI:"),
    ("National Insurance: PE 31 72 09", "PE 31 72 09", "National Insurance"),
    ("JG103759A (NIN)", "JG103759A", "NIN"),
    ('{"ni_number": "AB123456C"}', "AB123456C", "ni_number"),
    ("national_insurance_number=JG103759A", "JG103759A", "national_insurance"),
    ("reference JG103759A NIN", "JG103759A", "NIN"),
])
def test_uk_nino_with_a_context_word(text, span, word):
    res = tag_sensitivity(text, SensitivityConfig())
    assert res.tier == "confidential", res
    f = next(f for f in res.findings if f.detector == "national_id")
    assert text[f.start:f.end] == span
    assert f.verdict == "nino prefix ok"
    assert f.context == word
    assert f.masked.startswith("UK NINO ")
    digits = re.sub(r"\D", "", span)
    assert digits[:4] not in f.masked.replace(" ", "")


@pytest.mark.parametrize("text", [
    "NI number: QQ 12 34 56 C",        # HMRC's documentation example (Q is never a prefix letter)
    "NI number: BG 12 34 56 C",        # never issued: BG GB KN NK NT TN ZZ
    "NI number: GB 12 34 56 C",
    "NI number: TN 12 34 56 C",
    "NI number: ZZ 12 34 56 C",
    "NI number: DA 12 34 56 C",        # D never first
    "NI number: AO 12 34 56 C",        # O never second
    "NI number: AB123456E",            # suffix only A-D
    "AB 12 34 56 C",                   # no context word
    "Northern Ireland (NI) scored AB 12 34 56 in the table",
    "Machine learning nin AB123456C",
    "Gemini 1.5 Pro and NI 123456",
    "What is a National Insurance number? Two letters, six digits and a letter A-D.",
])
def test_uk_nino_negatives(text):
    res = tag(text)
    assert "national_id" not in {f.detector for f in res.findings}, res


def test_nino_prefix_rules():
    assert national_id._valid_nino("AB123456C")
    assert national_id._valid_nino("AB 12 34 56")
    assert not national_id._valid_nino("QQ123456C")
    assert not national_id._valid_nino("NK123456C")
    assert not national_id._valid_nino("AV123456C")
    assert not national_id._valid_nino("AB12345C")
    for bad in "DFIQUV":
        assert not national_id._valid_nino(bad + "A123456")
    for bad in "DFIOQUV":
        assert not national_id._valid_nino("A" + bad + "123456")


# ---- cost -------------------------------------------------------------------------------------

@pytest.mark.parametrize("unit", [
    "account number 12345678 ",
    "account number ",
    "account number: : : : : ",
    "routing 021000021 account 1234 ",
    "sort code 20-00-00 ",
    "sort code 20-00-00 55779911 ",
    "Konto 1234 BLZ 37040044 ",
    "1 2 3 (account number) ",
    "1a1a1a1a1a1 (acct) ",
    "1 " * 20 + "(account number) ",
    "aba " * 3 + "acc ",
    "NI number: AB 12 34 56 C ",
    "nin AB 1 ",
    "NI: ",
])
def test_adversarial_100kb_inputs_are_fast(unit):
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    for detect in (bank.detect_bank_account, national_id.detect_national_id):
        detect(text[:1000])  # imports and compiled patterns out of the timing
        t0 = time.process_time()  # CPU time: a loaded machine does not fail the test
        hits = detect(text)
        assert time.process_time() - t0 < 0.5, detect.__name__
        assert all(0 <= s < e <= len(text) for s, e, *_ in hits)


def test_a_long_digit_run_after_an_account_word_is_fast_and_no_account():
    text = "account number " + "1" * 100_000
    t0 = time.process_time()
    assert bank.detect_bank_account(text) == []
    assert time.process_time() - t0 < 0.5


def test_the_module_declares_its_needles():
    from hrouter.signals.sensitivity import _needle_tuples

    tuples = _needle_tuples(bank)
    assert bank._ACCOUNT_NEEDLES in tuples and bank._ROUTING_NEEDLES in tuples and bank._SORT_NEEDLES in tuples
    assert national_id._NINO_NEEDLES in _needle_tuples(national_id)


def test_word_patterns_and_their_lower_case_twins_agree():
    import random

    rnd = random.Random(7)
    words = ["account number", "Account No", "acct", "A/C no", "Kontonummer", "Kto", "numéro de compte",
             "número de cuenta", "numero di conto", "rekeningnummer", "número da conta", "numer konta",
             "routing", "ABA", "RTN", "sort code", "BLZ", "Bankleitzahl", "conto corrente", "c/c", "xaccount",
             "accounts", "acc", "Konto", "bank account", "sort_code", "account_number", "primary account number",
             "primary_account #"]
    for _ in range(300):
        text = " ".join(rnd.choice(words + ["x", "1234", ":", "the", "de"]) for _ in range(12))
        lc = text.lower()
        for name in ("strong", "weak", "routing", "sort", "blz"):
            ci = [m.span() for m in getattr(bank._R, name).finditer(text)]
            cs = [m.span() for m in getattr(bank._R, name + "_lc").finditer(lc)]
            assert ci == cs, (name, text)


@pytest.mark.parametrize("text", [
    "name,account number,sort code\nJane Doe,55779911,20-00-00\n",
    "| Name | Account No |\n|---|---|\n| Jane Doe | 12345678 |\n| John Roe | 87654321 |\n",
    "acct_no,routing\n123456789012,021000021\n",
])
def test_bank_accounts_in_tables_are_found_through_their_header(text):
    res = tag_sensitivity(text, SensitivityConfig())
    assert res.tier == "confidential"
    assert {f.detector for f in res.findings} == {"bank_account (table)"}


def test_bank_account_is_redactable_and_an_identifier_for_phi():
    from hrouter.policy import parse_policy

    p = parse_policy("version: 1\nbackends:\n  a: {kind: ollama, model: m, zone: local}\n"
                     "sensitivity:\n  redact: [bank_account]\n")
    assert p.sensitivity.redact == ("bank_account",)
    res = tag_sensitivity("Holder of account number 12345678 was diagnosed with type 2 diabetes (E11.9).",
                          SensitivityConfig())
    assert {f.detector for f in res.findings} == {"bank_account", "phi"}
