"""Regressions from the sixth red-team round (B3): phones in signatures and labels, SSN/ITIN
variants, more date-of-birth formats, spelled-out addresses, document markings, codenames with
digits or punctuation between words, and ``.internal`` names in code."""

from __future__ import annotations

import time

import pytest

from hrouter.policy_model import CustomRule, SensitivityConfig
from hrouter.signals.sensitivity import tag_sensitivity

POLICY = SensitivityConfig(custom=(CustomRule(name="codename", tier="internal", keywords=("BLUEHERON", "Project Nimbus")),),
                           internal_domains=(".corp", ".internal"))


def tag(text: str, config: SensitivityConfig | None = None):
    return tag_sensitivity(text, config if config is not None else SensitivityConfig())


def check(text: str, tier: str, detector: str, value: str | None = None, config: SensitivityConfig | None = None):
    res = tag(text, config)
    assert res.tier == tier, (text, res.findings, res.errors)
    hits = [f for f in res.findings if f.detector == detector]
    assert hits, (text, res.findings)
    for f in hits:
        assert 0 <= f.start < f.end <= len(text)
    if value is not None:
        assert value in [text[f.start:f.end] for f in hits], [text[f.start:f.end] for f in hits]
    return hits


# ---- 1. phones in signatures and after labels

@pytest.mark.parametrize("text", [
    "Thanks,\nJane Roe\nSenior Accountant\nM: 415-867-5309\nAcme Inc.",
    "Jane Roe\nT: 415-867-5309", "Jane Roe\nC: 415-867-5309", "Jane Roe\nH: 415-867-5309",
    "Jane Roe\nW: 415-867-5309", "Jane Roe\nO: 415-867-5309",
    "Ph: 415-867-5309", "Direct: 415-867-5309", "Home 415-867-5309", "1-415-867-5309",
    "my number is 4158675309", "Emergency contact: Tom Roe 415-867-5309", "phone=4158675309",
])
def test_phone_after_a_label_or_in_nanp_form_counts(text):
    hits = check(text, "confidential", "phone")
    assert any(text[f.start:f.end].endswith("5309") for f in hits)
    assert all("867" not in f.masked for f in hits)  # masked, not raw


@pytest.mark.parametrize("text", [
    "order number 4158675309",
    "version 4158675309 of the build",
    "Build ID: 4158675309",
    "A: 415-867-5309",              # not a phone line label
    "T 4158675309",                 # a single letter needs its colon
    "Order 1-800-867-5309 ships today",  # a toll-free area code: no NANP-form finding without a word
    "x=4158675309",
])
def test_numbers_without_a_phone_label_stay_public(text):
    res = tag(text)
    assert "phone" not in {f.detector for f in res.findings}, res.findings


# ---- 2. SSN variants and ITIN

@pytest.mark.parametrize("text,verdict", [
    ("SS#: 536221947", "ssn area valid"),
    ("S.S.N. 536221947", "ssn area valid"),
    ("ITIN 912-70-1234", "itin valid (stdnum.us.itin)"),
    ("ITIN: 912701234", "itin valid (stdnum.us.itin)"),
])
def test_ssn_labels_and_itin(text, verdict):
    hits = check(text, "confidential", "ssn")
    assert hits[0].verdict == verdict
    assert hits[0].masked.startswith("***-**-")


@pytest.mark.parametrize("text", [
    "ITIN 912-93-1234",            # group 93 is no ITIN group
    "itinerary 912-70-1234",       # not the word ITIN
    "912-70-1234",                 # an ITIN shape without the word: an invalid SSN
    "the writing 536221947",
])
def test_itin_needs_its_word_and_range(text):
    assert tag(text).tier == "public"


# ---- 3. dates of birth

@pytest.mark.parametrize("text", [
    "b. 4 March 1971", "bday 04/03/1971", "she was born on the 4th of March, 1971", "DOB:19710304",
    "Born: 04-MAR-1971", "Jane Roe (b. 4 March 1971) joined", "b-day: 12.05.1980",
])
def test_more_dob_formats(text):
    check(text, "confidential", "date_of_birth")


@pytest.mark.parametrize("text", [
    "The meeting is on 12/03/2024; born-again developers welcome.",
    "Item b. 12/03/2024 was the deadline.",
    "Web. 12/03/2024",
    "DOB 19710332",                  # no such day
    "commit 19710304 landed",       # no context word
])
def test_dates_that_are_no_birth_dates_stay_public(text):
    assert "date_of_birth" not in {f.detector for f in tag(text).findings}


# ---- 4. spelled-out addresses

@pytest.mark.parametrize("text,masked", [
    ("my email: jsmith at gmail.com", "j***@g***.com"),
    ("jane.doe @gmail.com", "j***@g***.com"),
    ("marta.lopez (arroba) empresa (punto) es", "m***@e***.es"),
    ("hans.mueller [ät] web [punkt] de", "h***@w***.de"),
    ("jane@gmail(punto)com", "j***@g***.com"),
])
def test_spelled_out_addresses_in_more_forms(text, masked):
    hits = check(text, "confidential", "email")
    assert hits[0].masked == masked and hits[0].verdict == "obfuscated"
    start = text.find(": ") + 2 if ": " in text else 0
    assert (hits[0].start, hits[0].end) == (start, len(text))


@pytest.mark.parametrize("text", [
    "Please look at gmail dot com's new UI.",
    "Please look at gmail.com now",
    "I am at gmail.com today",
    "sign up at gmail.com",
    "available at web.archive.org",
    "class A:\n    @property\n    def f(self): pass",
    "x = a @b.T",
    "result = foo @ bar.baz",
])
def test_prose_and_code_near_at_stay_public(text):
    res = tag(text)
    assert "email" not in {f.detector for f in res.findings}, res.findings


# ---- 5. document markings

@pytest.mark.parametrize("text", [
    "Sensitivity: Confidential", "Classification: Internal", "Data classification: Restricted",
    "MSIP_Label_3a2b1c4d-1111-2222-3333-444455556666_Name=Confidential",
    "Under NDA", "Strettamente riservato", "Poufne", "Dokument: Ściśle poufne", "社外秘", "極秘",
    "What does CONFIDENTIAL mean on a US document?",  # accepted as internal
])
def test_more_markings_are_internal(text):
    check(text, "internal", "classification_marking")


@pytest.mark.parametrize("text", [
    "Classification: Public",
    "MSIP_Label_3a2b1c4d-1111-2222-3333-444455556666_Name=Public",
    "sensitivity analysis: the internal rate of return",
    "Under Ndamukong Suh's contract",
    "a poufne word in lower case",
    "Classification: a supervised learning task",
])
def test_marking_look_alikes_stay_public(text):
    assert tag(text).tier == "public"


# ---- 6. codenames

@pytest.mark.parametrize("text,value", [
    ("blueheron2025-roadmap.pdf", "blueheron"),
    ("see BlueHeron2 for details", "BlueHeron"),
    ("project.nimbus", "project.nimbus"),
    ("Project: Nimbus \u2014 launch plan", "Project: Nimbus"),
    ('Project "Nimbus"', 'Project "Nimbus'),
    ("PROJECT/NIMBUS", "PROJECT/NIMBUS"),
])
def test_codename_with_digits_or_punctuation(text, value):
    check(text, "internal", "codename", value, POLICY)


@pytest.mark.parametrize("text", [
    # Round 7 changed this: "BLUEHERON2 in capitals" was pinned public here ("another identifier"),
    # but a version digit glued to the codename is the same project in any case (BlueHeron2 already
    # counted), and a leak is the worse error; see test_sensitivity_round7_leaks.py. A longer WORD
    # that merely starts with the codename stays public:
    "cumulonimbus", "myblueheronthing", "BLUEHERONIAN in capitals",
])
def test_codename_inside_other_words_stays_public(text):
    assert tag(text, POLICY).tier == "public"


# ---- 7. ".internal" in code and well-known public names

@pytest.mark.parametrize("text", [
    "self.internal = True", "from sklearn.utils.internal import x", "import a.internal, b.corp",
    "com.google.common.base.internal", "obj.internal(3)",
    "curl http://metadata.google.internal/computeMetadata/v1/", "host.docker.internal",
    "gateway.docker.internal", "kubernetes.docker.internal",
])
def test_code_and_well_known_names_are_no_internal_hosts(text):
    res = tag(text, POLICY)
    assert "internal_hostname" not in {f.detector for f in res.findings}, res.findings
    assert res.tier == "public"


@pytest.mark.parametrize("text", [
    "db01.internal", "wiki.corp", "build-01.corp", "db_host = db01.internal", "x == db01.internal",
    "host.docker.internal.evil.corp", "build-01.corp = 10.0.0.5", "com[.]internal",
])
def test_real_internal_hosts_still_count(text):
    check(text, "internal", "internal_hostname", None, POLICY)


# ---- speed: 100 KB adversarial inputs of these shapes

@pytest.mark.parametrize("text", [
    "M: 415-867-5309\n" * 6000,
    "Ph: 1-415-867-5309 " * 5000,
    "a @b.c " * 15000,
    "x (arroba) y (punto) " * 5000,
    "Classification: " * 7000,
    "Project: " * 12000 + "Nimbus",
    "b. 4 March " * 9000,
    "a.b.c.d." * 12000 + "internal",
    "from a.internal import x\n" * 4000,
    "x.internal(" * 9000,           # one long run of host characters: its start is found once
    "db01.internal(" * 7000,
    "import " + "a.internal, " * 9000,
    "ITIN 912-70-1234 " * 5800,
    "born 19710304 " * 7000,
])
def test_adversarial_shapes_stay_fast(text):
    t = time.process_time()
    tag(text, POLICY)
    assert time.process_time() - t < 0.5 * 3  # 0.5 s target; slack for a shared machine
