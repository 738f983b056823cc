"""Regressions from the sixth attacker round: person names after a salutation or a job word,
"<context word> No." labels, PHI in key-value records and plain-name PHI, salary names,
currencies and verbs."""

from __future__ import annotations

import time

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals.detectors.contextual import person_names, record_person
from hrouter.signals.sensitivity import tag_sensitivity


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


def assert_found(text: str, detector: str, value: str | None = None):
    res = tag(text)
    assert res.tier == "confidential", (text, res)
    assert not res.errors, res.errors
    hits = [f for f in res.findings if f.detector == detector]
    assert hits, (text, [(f.detector, text[f.start:f.end]) for f in res.findings])
    for f in res.findings:
        assert 0 <= f.start < f.end <= len(text)
    if value is not None:
        assert any(value in text[f.start:f.end] for f in hits), [(f.detector, text[f.start:f.end]) for f in hits]
        assert all(value not in f.masked for f in res.findings)


# 1. a salutation or a job word right before a name

@pytest.mark.parametrize("text,detector,value", [
    ("Dear Jane Roe, you were diagnosed with diabetes.", "phi", None),
    ("Dear Ms. Roe, your base salary will be $182,000.", "salary", "$182,000"),
    ("Employee Jane Roe earns $182,000.", "salary", "$182,000"),
    ("Hi Jane Roe, your salary is $90,000.", "salary", "$90,000"),
    ("Thanks Jane Roe, your salary is $90,000.", "salary", "$90,000"),
    ("Congratulations Jane Roe, your salary is $90,000.", "salary", "$90,000"),
    ("Engineer Jane Roe earns $182,000.", "salary", "$182,000"),
    ("Senior Software Engineer Jane Roe earns $182,000.", "salary", "$182,000"),
    ("Hello Mr. Smith, you were diagnosed with depression.", "phi", None),
])
def test_a_salutation_or_job_word_does_not_hide_the_name(text, detector, value):
    assert_found(text, detector, value)


def test_person_names_drops_leading_salutation_and_job_words():
    assert [m.group() for m in person_names("Dear Jane Roe, hi")] == ["Jane Roe"]
    assert [m.group() for m in person_names("Dear Ms. Roe, hi")] == ["Ms. Roe"]
    assert [m.group() for m in person_names("Senior Software Engineer Jane Roe")] == ["Jane Roe"]
    # articles and prepositions are not dropped: "The Federal Rules" is no name
    assert person_names("The Federal Rules of Evidence") == []
    assert person_names("Dear Hiring Manager") == []
    assert person_names("Senior Software Engineer") == []


@pytest.mark.parametrize("text", [
    "Dear Hiring Manager, the salary range for this role is $90,000-$120,000.",
    "Hi Team, the base salary band is $100k to $130k.",
    "B. The Federal Rules of Evidence allow hearsay statements made for the purpose of medical diagnosis.",
    "Dear Sir or Madam, the average salary in Germany is €50,000.",
    "Senior Software Engineer salary: $150,000 - $180,000",
])
def test_salutations_without_a_name_stay_public(text):
    assert tag(text).tier == "public", tag(text)


# 2. "<context word> No." and a value before its context word

@pytest.mark.parametrize("text,detector,value", [
    ("Passport No.: C01234567", "passport", "C01234567"),
    ("Passport No. 533380006", "passport", "533380006"),
    ("Passport Nr. C01234567", "passport", "C01234567"),
    ("Policy No. W123456789", "medical_id", "W123456789"),
    ("Patient No.: 00123456", "medical_id", "00123456"),
    ("Medicare No.: 123456789A", "medical_id", "123456789A"),
    ("Insurance No.: W123456789", "medical_id", "W123456789"),
    ("Chart No.: 00123456", "medical_id", "00123456"),
    ("Policy #W123456789", "medical_id", "W123456789"),
    ("Member No. 88812345", "medical_id", "88812345"),
    ("Plate No.: AB12CDE, owner: Jane Roe", "vehicle_plate", "AB12CDE"),
    ("C01234567 is my passport number", "passport", "C01234567"),
    ("00123456 is her MRN", "medical_id", "00123456"),
])
def test_no_dot_labels_and_values_before_the_word(text, detector, value):
    assert_found(text, detector, value)


@pytest.mark.parametrize("text", [
    "Policy No. 5 of the handbook covers remote work.",
    "What is the format of a passport number? Passport No. fields hold 9 characters.",
    "2023 is the passport renewal year for most of us.",
    "Plate No. 3 shows the results of the experiment.",
    "Use a hash sign: Policy #5 applies.",
])
def test_no_dot_labels_without_a_value_stay_public(text):
    assert tag(text).tier == "public", tag(text)


# 3. PHI in key-value records

@pytest.mark.parametrize("text", [
    "Patient: John Smith\nDiagnosis: Type 2 diabetes\nMeds: metformin 500 mg",
    "Name: John Smith\nAge: 54\nDiagnosis: hypertension",
    "Name: John Smith\r\nSex: M\r\nWard: 4B\r\nNotes: history of depression",
    "Pt: Maria Garcia. Admitted with pneumonia.",
    "Patient: Maria Garcia. Presents with chest pain, history of stroke.",
    "- Name: Jane Roe\n- Condition: HIV positive",
])
def test_a_record_label_line_names_the_patient(text):
    assert_found(text, "phi")


def test_record_person_is_bounded_to_the_block():
    text = "Name: John Smith\nDiagnosis: diabetes"
    n = record_person(text, text.index("Diagnosis"), len(text))
    assert n is not None and n.group() == "John Smith"
    # a blank line ends the record
    text = "Name: John Smith\n\nDiagnosis: diabetes"
    assert record_person(text, text.index("Diagnosis"), len(text)) is None
    # a prose line in between ends it too
    text = "Name: John Smith\nThis is a long note without a label.\nDiagnosis: diabetes"
    assert record_person(text, text.index("Diagnosis"), len(text)) is None
    # more than ten lines back is out of reach
    text = "Name: John Smith\n" + "Field: value\n" * 11 + "Diagnosis: diabetes"
    assert record_person(text, text.index("Diagnosis"), len(text)) is None


@pytest.mark.parametrize("text", [
    "Name: John Smith\n\nDiabetes is a chronic disease that affects how your body turns food into energy.",
    "Name: requests\nSummary: HTTP for humans\nDescription: no diabetes here",
    "Name: Senior Engineer\nNotes: works on the diabetes app",
    "Name: Mayo Clinic\nTopic: diabetes",
    "Project: Blood Sugar Tracker\nDescription: an app for people with diabetes",
    "Author: Jane Roe\n\nThis book explains depression and anxiety disorder in teenagers.",
])
def test_records_without_a_patient_stay_public(text):
    assert tag(text).tier == "public", tag(text)


# 4. plain-name PHI

@pytest.mark.parametrize("text", [
    "Maria Garcia is a 45-year-old woman with poorly controlled diabetes and depression.",
    "Jane Roe has HIV.",
    "John Smith had a stroke last year.",
    "Maria Garcia's biopsy came back positive for melanoma.",
    "John Smith tested positive for HIV in March.",
    "Jane Roe takes Zoloft 50 mg daily.",
    "John Smith: Ozempic 1 mg weekly.",
    "Maria Garcia is on Eliquis 5 mg twice a day.",
    "Jane Roe started Lexapro 10 mg.",
    "Give Jane Roe Xanax 0.5 mg before the MRI.",
    "John Smith was prescribed Truvada 200 mg.",
])
def test_plain_names_with_a_health_cue(text):
    assert_found(text, "phi")


@pytest.mark.parametrize("text", [
    "Sigmund Freud's theory explains depression as anger turned inward.",
    "Aaron Beck's cognitive model of depression emphasizes negative automatic thoughts.",
    "A 45-year-old woman presents with poorly controlled diabetes. What is the next step?",
    "What is Zoloft used for?",
    "Is Ozempic 1 mg more effective than Wegovy for weight loss?",
    "The Industrial Revolution had cancer rates rise in cities, historians argue.",
    "John Smith has a dog and likes cancer research as a topic.",
])
def test_plain_name_negatives_stay_public(text):
    assert tag(text).tier == "public", tag(text)


# 5. salary: names, currencies, verbs

@pytest.mark.parametrize("text,value", [
    ("Sean O'Brien's salary is $120,000", "$120,000"),
    ("Ronald McDonald's salary is $95,000", "$95,000"),
    ("Ian MacLeod's salary is £95,000", "£95,000"),
    ("Pieter van der Berg's salary is €95,000", "€95,000"),
    ("Employee: Sarah Connor. Salary: $120,000.", "$120,000"),
    ("Taro Yamada's salary is ¥8,000,000", "¥8,000,000"),
    ("Taro Yamada's salary is JPY 8000000", "JPY 8000000"),
    ("Li Wei's salary is CNY 300000", "CNY 300000"),
    ("Ravi Kumar's salary is ₹18,00,000", "₹18,00,000"),
    ("Ravi Kumar's salary is 18 lakh", "18 lakh"),
    ("Erik Svensson's salary is 600000 kr", "600000 kr"),
    ("Erik Svensson's salary is SEK 600000", "SEK 600000"),
    ("Ola Nordmann's salary is NOK 650000", "NOK 650000"),
    ("John Smith's salary is 2 million dollars", "2 million dollars"),
    ("John Smith's salary is USD182000", "USD182000"),
    ("Marco Rossi guadagna 50.000 euro all'anno", "50.000 euro"),
    ("Jan Kowalski zarabia 9000 zł miesięcznie", "9000 zł"),
    ("João Silva ganha R$ 8.000 por mês", "8.000"),
    ("Jan de Vries verdient €5.000 per maand", "€5.000"),
])
def test_salary_names_currencies_and_verbs(text, value):
    assert_found(text, "salary", value)


@pytest.mark.parametrize("text", [
    "The Swedish krona (kr) is divided into 100 öre; a coffee costs 45 kr.",
    "Average salary in Japan is ¥4,600,000 according to the survey.",
    "Salaries in India are often quoted in lakh: 18 lakh is 1.8 million rupees.",
    "Employee: Sarah Connor\n\nThe average salary in the team is $120,000.",
    "Il programma guadagna 50.000 utenti al mese.",
    "Mac OS X costs $129 and Microsoft Office costs $149.",
])
def test_salary_negatives_stay_public(text):
    assert tag(text).tier == "public", tag(text)


# adversarial shapes stay fast

@pytest.mark.parametrize("text", [
    "Dear " * 20000,
    "Dear Senior Engineer Jane " * 4000,
    "O'O'O'Mc" * 12500,
    "Name: Jane Roe\n" + "Dx: diabetes\n" * 7000,
    "Pt: Maria Garcia. Admitted with pneumonia. " * 2300,
    "Passport No. " * 7700,
    "Maria Garcia's biopsy " * 4500,
    "Jane Roe has HIV. " * 5500,
    "₹18,00,000 lakh kr " * 5000,
    "Label: value\n" * 7700,
])
def test_adversarial_inputs_stay_fast(text):
    t = time.process_time()
    tag(text)
    assert time.process_time() - t < 1.5
