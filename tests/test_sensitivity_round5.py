"""Regressions from the fifth attacker round on the tagger (mixed-script words, phone context
words inside longer words, the decode pass's run cap on ordinary logs)."""

from __future__ import annotations

import base64

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals import sensitivity as sens
from hrouter.signals.sensitivity import tag_sensitivity


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


@pytest.mark.parametrize("text,tier,detector", [
    ("C\u041eNFIDENTIAL", "internal", "classification_marking"),             # Cyrillic О
    ("VERTR\u0410ULICH: Quartalszahlen", "internal", "classification_marking"),  # Cyrillic А
    ("My S\u0405N is 536221947", "confidential", "ssn"),                       # Cyrillic Ѕ in the context word
    ("p\u0430ssword: Tr0ub4dor&3", "confidential", "api_key"),                # Cyrillic а
    ("\u0405\u0405N 536221947", "confidential", "ssn"),                          # only N is ASCII
])
def test_look_alikes_inside_mixed_script_words_reach_the_built_in_detectors(text, tier, detector):
    res = tag(text)
    assert res.tier == tier, res
    assert detector in {f.detector for f in res.findings}
    f = next(f for f in res.findings if f.detector == detector)
    assert 0 <= f.start < f.end <= len(text)


@pytest.mark.parametrize("text", [
    "Привет, как дела? Это обычный текст про API и Python, номер заказа 536221947.",
    "Καλημέρα, αυτό είναι ένα απλό κείμενο για το Python.",
    "Müller GmbH, Straße 5, Öffnungszeiten 9-17 Uhr",
    "我用Python写代码 " * 50,
])
def test_words_wholly_in_another_script_are_not_folded(text):
    assert sens._fold_mixed_script_words(text) == text
    assert tag(text).tier == "public"


def test_the_mixed_script_fold_keeps_length_and_case():
    text = "x C\u041eNFIDENTIAL p\u0430ssword \u041c\u043e\u0441\u043a\u0432\u0430 end"
    folded = sens._fold_mixed_script_words(text)
    assert len(folded) == len(text)
    assert folded == "x CONFIDENTIAL password \u041c\u043e\u0441\u043a\u0432\u0430 end"


@pytest.mark.parametrize("text", [
    "Fixes for CVE-2023-44487",
    "This release fixes 2 bugs: 2021-21300 and 2023-44487",
    "Merged PR, fixes 555-0132 regression",
    "a portables 0612345678 build",
])
def test_phone_context_words_are_whole_words(text):
    assert tag(text).tier == "public", tag(text)


@pytest.mark.parametrize("text", ["téléphone fixe : 01 42 68 53 00", "mon portable: 06 12 34 56 78"])
def test_french_phone_context_words_still_count(text):
    assert tag(text).tier == "confidential"


def test_a_log_full_of_base64_text_stays_under_the_run_cap():
    log = " ".join(base64.b64encode(f"hello world {i}".encode()).decode() for i in range(50))
    res = tag(log)
    assert res.tier == "public" and res.errors == []


@pytest.mark.parametrize("text", [
    "GEHEIM", "Dokument: VS-NfD", "SECRET DÉFENSE", "FOUO", "For Official Use Only",
    "Controlled Unclassified Information", "OFFICIAL-SENSITIVE", "NATO SECRET", "TLP AMBER",
    "Attorney-Client Privileged", "ATTORNEY-CLIENT PRIVILEGE", "RISERVATO", "CONFIDENZIALE", "VERTROUWELIJK", "alleen voor intern gebruik",
    "POUFNE", "ŚCIŚLE TAJNE", "do użytku wewnętrznego",
])
def test_more_handling_markings(text):
    res = tag(f"{text}\nQ3 plan attached.")
    assert res.tier == "internal" and [f.detector for f in res.findings] == ["classification_marking"]


@pytest.mark.parametrize("text", ["das Geheimnis der Zahlen", "the NATO summit in Vilnius", "official documentation",
                                  "the attorney general said", "a tlp file", "Geheimtipp: Pizza",
                                  # the doctrine discussed (MMLU law questions), not a banner
                                  "D. inadmissible, because it violates the attorney-client privilege.",
                                  "The city attorney asserted the attorney-client privilege and objected."])
def test_ordinary_words_near_markings_stay_public(text):
    assert tag(text).tier == "public"


@pytest.mark.parametrize("text", ["SSN: 536/22/1947", "SSN 536_22_1947", "SSN: 536·22·1947", "SSN: 536|22|1947",
                                  "SSN: 536•22•1947", "SSN: 536:22:1947"])
def test_ssn_with_odd_separators_after_a_context_word(text):
    res = tag(text)
    assert res.tier == "confidential" and [f.detector for f in res.findings] == ["ssn"]
    assert text[res.findings[0].start:res.findings[0].end].endswith("1947")


@pytest.mark.parametrize("text", ["SSN issued 12/05/2019 to 123 people", "SSN: 536/22/19470",
                                  "SSN lookups: 536,221,947 this year"])
def test_odd_separators_do_not_make_other_numbers_ssns(text):
    assert tag(text).tier == "public"


@pytest.mark.parametrize("text", [
    "patient_ssn,diagnosis\n536221947,diabetes mellitus type 2 (E11.9)\n",            # ssn (table)
    "Patient data: c3NuIDUzNi0yMi0xOTQ3 diagnosed with diabetes mellitus (E11.9).",  # ssn (base64)
])
def test_identifiers_found_in_tables_or_encoded_runs_count_for_phi(text):
    res = tag(text)
    assert "phi" in {f.detector for f in res.findings}, res.findings


@pytest.mark.parametrize("text", [
    "Bertrand Russell, British philosopher, History of Western Philosophy, 1946",
    "duties of the Chinese Government are duly discharged by Her Britannic Majesty's subjects.",
    "Dr. Jones, a clinical psychologist, has been seeing a client in therapy for one month.",
    "Dr. Marcos Manzetti uses a sliding scale based on a client's income to set his fees for therapy.",
])
def test_titles_duties_and_clinicians_are_no_phi(text):
    """MMLU history and professional-psychology prompts: a book title, a discharged duty, the
    therapist's own name are not a patient's health information."""
    assert "phi" not in {f.detector for f in tag(text).findings}


@pytest.mark.parametrize("text", [
    "Mr. John Carter has a history of MI and takes aspirin daily.",
    "Jane Doe was discharged from hospital yesterday.",
    "Dr. Jones says Mrs. Wang has been in therapy for depression since May.",
    "Maria Lopez, 54, history of hypertension.",
])
def test_patients_history_and_discharge_stay_phi(text):
    assert "phi" in {f.detector for f in tag(text).findings}, tag(text).findings


@pytest.mark.parametrize("text,detector,value", [
    ("My phone is +44 7700 900123", "phone", "+44 7700 900123"),              # unallocated, well formed
    ("a/c 12345678, s/c 20-00-00", "bank_account", "12345678"),
    ("my NI is AB123456C", "national_id", "AB123456C"),
    ("Employee,Salary\nJane Doe,£82,000", "salary (table)", "£82,000"),          # unquoted thousands
    ("name,salary,dept\nJane Doe,82,000,Eng\n", "salary (table)", "82,000"),
])
def test_new_user_reported_misses(text, detector, value):
    res = tag(text)
    assert res.tier == "confidential"
    assert any(f.detector == detector and text[f.start:f.end] == value for f in res.findings), res.findings


@pytest.mark.parametrize("text", ["+44 7700 900123", "The NI team shipped 3 releases", "s/c 20-00-00",
                                  "id,count\n1,234,567\n"])
def test_new_user_reported_shapes_alone_stay_public(text):
    assert tag(text).tier == "public"
