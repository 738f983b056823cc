"""National IDs (python-stdnum validators): valid, invalid and tricky variants, values inside
JSON/YAML/CSV, multilingual context words, verdicts and masks."""

from __future__ import annotations

import pytest

from hrouter.policy_model import DEFAULT_DETECTORS, SensitivityConfig
from hrouter.signals.sensitivity import tag_sensitivity

ONLY = SensitivityConfig(detectors={"national_id": "confidential"})


def ids(text: str, config: SensitivityConfig = ONLY):
    res = tag_sensitivity(text, config)
    assert not res.errors
    return [(text[f.start:f.end], f.verdict, f.context) for f in res.findings]


#: (text, exact span, verdict, context word or "" for a strong shape)
VALID = [
    # FR NIR: official groups are strong alone; compact needs a context word
    ("Mon numéro de sécurité sociale est 2 49 06 59 823 827 70. Merci", "2 49 06 59 823 827 70", "nir key ok", ""),
    ("ref 2 95 10 99 126 111 93 please", "2 95 10 99 126 111 93", "nir key ok", ""),
    ("NIR: 295109912611193", "295109912611193", "nir key ok", "NIR"),
    ("carte vitale n° 253072B07300470", "253072B07300470", "nir key ok", "carte vitale"),
    # ES NIE and DNI: check letter, strong alone
    ("Tengo el NIE Z9020994P; ¿necesito renovarlo?", "Z9020994P", "nie check letter ok", ""),
    ("NIE x-2482300-W", "x-2482300-W", "nie check letter ok", ""),
    ("DNI 54362315-K del titular", "54362315-K", "dni check letter ok", ""),
    ('{"dni": "12345678Z"}', "12345678Z", "dni check letter ok", ""),
    # IT codice fiscale
    ("codice fiscale RCCMNL83S18D969H", "RCCMNL83S18D969H", "codice fiscale check ok", ""),
    ("nome,cf\nMario,RCCMNL83S18D969H\n", "RCCMNL83S18D969H", "codice fiscale check ok", ""),
    # UK NHS (context)
    ("NHS number 499 071 6787 - the GP surgery says", "499 071 6787", "nhs mod-11 ok", "NHS"),
    ("nhs_number: 943-476-5870", "943-476-5870", "nhs mod-11 ok", ""),  # YAML key: see below
    ("My NHS no. is 9434765870.", "9434765870", "nhs mod-11 ok", "NHS"),
    ("9434765870 (NHS)", "9434765870", "nhs mod-11 ok", "NHS"),
    # DE Steuer-ID (context)
    ("Meine Steuer-ID lautet 36 574 261 809.", "36 574 261 809", "idnr mod 11,10 ok", "Steuer-ID"),
    ("Steueridentifikationsnummer: 36574261809", "36574261809", "idnr mod 11,10 ok", "Steueridentifikationsnummer"),
    # NL BSN (context)
    ("Mijn BSN is 111222333", "111222333", "bsn 11-proof ok", "BSN"),
    ("burgerservicenummer 1112.22.333", "1112.22.333", "bsn 11-proof ok", "burgerservicenummer"),
    # CA SIN (context)
    ("My SIN is 123-456-782", "123-456-782", "sin luhn ok", "SIN"),
    ("numéro d'assurance sociale 123 456 782", "123 456 782", "sin luhn ok", "assurance sociale"),
    # IN Aadhaar (context)
    ("Aadhaar: 2341 2341 2346", "2341 2341 2346", "aadhaar verhoeff ok", "Aadhaar"),
    ("UIDAI 234123412346", "234123412346", "aadhaar verhoeff ok", "UIDAI"),
    # PL PESEL, SE personnummer (context)
    ("PESEL 44051401359", "44051401359", "pesel checksum ok", "PESEL"),
    ("personnummer 880320-0016", "880320-0016", "personnummer luhn ok", "personnummer"),
    ("Personnummer: 19880320-0016", "19880320-0016", "personnummer luhn ok", "Personnummer"),
]


@pytest.mark.parametrize("text,span,verdict,context", VALID, ids=[t[:32] for t, *_ in VALID])
def test_valid_national_ids(text, span, verdict, context):
    if text.startswith("nhs_number"):
        # one word for the plain scan; the structured pass reads the key as "NHS number"
        res = tag_sensitivity(text, ONLY)
        assert [(text[f.start:f.end], f.detector, f.verdict, f.context) for f in res.findings] == [
            ("943-476-5870", "national_id (record)", "nhs mod-11 ok; record view", "NHS")]
        text = "NHS: 943-476-5870"
        context = "NHS"
    [(got, v, c)] = ids(text)
    assert (got, v, c) == (span, verdict, context)
    res = tag_sensitivity(text, SensitivityConfig())  # on by default (rides on the ssn key)
    assert res.tier == "confidential"
    f = next(f for f in res.findings if f.detector == "national_id")
    assert span not in f.masked and span.replace(" ", "") not in f.masked.replace(" ", "")


@pytest.mark.parametrize("text", [
    "ref 2 95 10 99 126 111 94 please",  # NIR key off by one
    "NIR: 295109912611194",
    "NIE Z9020994Q and DNI 54362315-J",  # wrong check letters
    "codice fiscale RCCMNL83S18D969A",
    "NHS number 943 476 5871",  # mod-11 fails
    "Steuer-ID 36574261890",
    "BSN 111252333",
    "SIN 999-999-999",
    "Aadhaar 2341 2341 2347",
    "PESEL 44051401358",
    "personnummer 880320-0018",
])
def test_invalid_check_digits_are_not_ids(text):
    assert ids(text) == []


@pytest.mark.parametrize("text", [
    # context-only ids without their context word
    "Call 9434765870 for the invoice",
    "order 36574261809 shipped",
    "ticket 111222333 closed",
    "parcel 123-456-782 arrived",
    "amount 234123412346 in cents",
    "build 44051401359 failed",
    "release 880320-0016 notes",
    "NIR report id 295109912611193999",  # longer run: not a NIR
    # words that look like context but are not whole words / the acronym
    "nhsx 9434765870",
    "sin embargo 123-456-782 unidades",  # Spanish "sin" is not SIN
    "the basin 123 456 782",
    # prose about the ids themselves
    "How is the NHS number check digit computed?",
    "What does a Steuer-ID look like and who issues it?",
    "Is Aadhaar mandatory for opening a bank account?",
])
def test_context_only_ids_need_their_context(text):
    assert ids(text) == []


def test_national_id_has_its_own_policy_key():
    assert DEFAULT_DETECTORS["national_id"] == "confidential"
    text = "NHS number 499 071 6787"
    assert tag_sensitivity(text, SensitivityConfig()).tier == "confidential"
    assert tag_sensitivity(text, SensitivityConfig(detectors={"national_id": "internal"})).tier == "internal"
    assert tag_sensitivity(text, SensitivityConfig(detectors={"ssn": "confidential"})).tier == "public"  # off


def test_ids_in_structured_text_and_with_odd_characters():
    text = 'patient:\n  nhs: "499 071 6787"\n  nie: Z9020994P\n'
    got = ids(text.replace("nhs", "NHS"))
    assert [g[0] for g in got] == ["499 071 6787", "Z9020994P"]
    # fullwidth digits, no-break spaces and zero-width characters fold before validation
    assert ids("NHS ４９９\u00a0０７１\u00a0６７８７")[0][0] == "４９９\u00a0０７１\u00a0６７８７"
    assert ids("NIE Z90\u200b20994P")[0][0] == "Z90\u200b20994P"


def test_masks_keep_at_most_a_third():
    res = tag_sensitivity("NIE Z9020994P, NHS 943 476 5870", ONLY)
    assert [f.masked for f in res.findings] == ["ES NIE ******94P", "UK NHS *** *** *870"]


def test_no_stdnum_import_without_a_candidate():
    import subprocess
    import sys

    code = ("import sys\nfrom hrouter.policy_model import SensitivityConfig\n"
            "from hrouter.signals.sensitivity import tag_sensitivity\n"
            "tag_sensitivity('What is the NHS and how is it funded? Order 12345.', SensitivityConfig())\n"
            "print('stdnum' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
