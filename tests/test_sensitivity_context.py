"""Weak shapes with a context word (medical/member ids, passports, a named person's salary,
vehicle plates) and PHI: positives, hard negatives, multilingual context, structured text."""

from __future__ import annotations

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals.sensitivity import tag_sensitivity

DEFAULT = SensitivityConfig()


def found(text: str, detector: str):
    res = tag_sensitivity(text, SensitivityConfig(detectors={detector: "confidential"}))
    assert not res.errors
    return [(text[f.start:f.end], f.context) for f in res.findings]


#: (detector, text, span, context word or the start of the context)
POSITIVES = [
    ("medical_id", "MRN 25807415 - what does 'BID' mean on this chart?", "25807415", "MRN"),
    ("medical_id", "Medical record number: A-00482917", "A-00482917", "Medical record number"),
    ("medical_id", "patient ID #88213007 was admitted", "88213007", "patient ID"),
    ("medical_id", "Member ID: XJH-448812-02 for the claim", "XJH-448812-02", "Member ID"),
    ("medical_id", "policy number is 4417-2290-11", "4417-2290-11", "policy number"),
    ("medical_id", "Patienten-ID 881404756: Laborwerte", "881404756", "Patienten-ID"),
    ("medical_id", "Versichertennummer A123456780", "A123456780", "Versichertennummer"),
    ("medical_id", "Krankenversichertennummer: T555123459", "T555123459", "Krankenversichertennummer"),
    ("medical_id", "numéro de dossier 2019-04471", "2019-04471", "numéro de dossier"),
    ("medical_id", "N° de dossier médical : 77812345", "77812345", "dossier médical"),
    ("medical_id", "historia clínica 3305127", "3305127", "historia clínica"),
    ("medical_id", "número de afiliado 28/12345678/90", "28/12345678/90", "número de afiliado"),
    ("medical_id", '{"mrn": "00917733", "ward": 4}', "00917733", "mrn"),
    ("medical_id", "see 40028817 (MRN) in the chart", "40028817", "MRN"),
    ("passport", "My passport number is C01X00T47.", "C01X00T47", "passport number"),
    ("passport", "passport: 533380006", "533380006", "passport"),
    ("passport", "Reisepassnummer C4J7KL2M9", "C4J7KL2M9", "Reisepassnummer"),
    ("passport", "Numéro de passeport : 12AB34567", "12AB34567", "passeport"),
    ("passport", "número de pasaporte PAA123456", "PAA123456", "pasaporte"),
    ("passport", "passport_no,name\n", None, None),  # header only: nothing
    ("salary", "Kenji Iyer's base salary is $86,300 and the bonus target is 10%.", "$86,300", "salary"),
    ("salary", "El salario anual de Tomasz Brenner es de 74.000 €; redacta la carta.", "74.000 €", "salario"),
    ("salary", "Frau Schmidt verdient 5.200 € brutto im Monat.", "5.200 €", "verdient"),
    ("salary", "Le salaire de Claire Dubois passe à 58 000 € au 1er mars.", "58 000 €", "salaire"),
    ("salary", "Priya Nair earns 145k USD plus equity", "145k USD", "earns"),
    ("vehicle_plate", "The car with plate B-VW 412 belongs to Marcus Brandt.", "B-VW 412", "plate"),
    ("vehicle_plate", "Kennzeichen M-AB 1234, Halter ist Herr Weber.", "M-AB 1234", "Kennzeichen"),
    ("vehicle_plate", "La voiture immatriculation AB-123-CD appartient à Mme Roux.", "AB-123-CD", "immatriculation"),
    ("vehicle_plate", "El coche con matrícula 1234 BCD pertenece a Ana Ruiz.", "1234 BCD", "matrícula"),
    ("vehicle_plate", "registration LD21 XYZ, registered keeper: John Hale", "LD21 XYZ", "registration"),
]


@pytest.mark.parametrize("detector,text,span,ctx", POSITIVES, ids=[f"{d}:{t[:28]}" for d, t, *_ in POSITIVES])
def test_context_positives(detector, text, span, ctx):
    got = found(text, detector)
    if span is None:
        assert got == []
        return
    assert [g[0] for g in got] == [span]
    assert got[0][1].startswith(ctx)
    res = tag_sensitivity(text, DEFAULT)
    assert res.tier == "confidential"
    f = next(f for f in res.findings if f.detector == detector)
    assert span not in f.masked and f.verdict


@pytest.mark.parametrize("text", [
    # the word alone is public (the sample's hardneg_word_passport*)
    "Which countries let you enter when your passport has only one blank page left?",
    "Can I travel inside the Schengen area with an expired passport if I also carry a national ID card?",
    "Faut-il un passeport pour aller au Maroc depuis la France, ou la carte d'identité suffit-elle ?",
    "¿Cuánto tarda en renovarse el pasaporte en 2025?",
    "Wie lange ist ein Reisepass gültig? Ich habe ihn 2015 bekommen.",
    "My passport expires 2031-04-02; can I still apply for an ESTA?",
    "passport photo size is 35x45 mm",
    # medical/member words without a value
    "What is an MRN and how many digits does it have?",
    "How do I find my member ID on the insurance card?",
    "Was ist eine Versichertennummer und wo steht sie?",
    "MRN format: 8 digits, assigned at registration in 2019",
    "policy number format in our app: see section 4.2",
    # salaries without a person
    "Is it common for companies to publish salary ranges in job ads? What are the pros and cons?",
    "Senior Engineers in Berlin earn €70,000 to €90,000.",
    "The average salary in New York is $85,000 a year.",
    "Das Durchschnittsgehalt in Deutschland liegt bei 4.100 € brutto.",
    "El salario mínimo en España es de 1.134 € al mes.",
    "Le salaire médian en France est de 2 100 € net.",
    "What salary should a Data Scientist ask for, around $120k?",
    # a plate without an owner, an owner without a plate
    "What does the plate B-VW 412 tell me about where the car is from?",
    "The owner of the café is friendly.",
    # generic medical questions without a person
    "How does metformin work, and what side effects are typical in the first weeks?",
    "What does an HbA1c of 7.2% mean in general terms?",
    "What are the diagnosis criteria for Major Depressive Disorder?",
    "Is 50 mg of sertraline a typical starting dose?",
    "Explain ICD-10 code F32.1 in plain words.",
    "Did Alan Turing have depression?",
    "Wie wird Diabetes Typ 2 diagnostiziert?",
    "¿Qué es el diagnóstico diferencial?",
])
def test_context_hard_negatives(text):
    res = tag_sensitivity(text, DEFAULT)
    assert res.tier == "public", [(f.detector, text[f.start:f.end]) for f in res.findings]


PHI = [
    "Write a referral letter: Oliver Osei, 78, diagnosed with major depressive disorder, currently on sertraline 50 mg.",
    "Frau Keller leidet an Diabetes Typ 2 und nimmt Metformin.",
    "Patient Okafor, ICD-10 E11.9, needs a follow-up.",
    "M. Dubois souffre de dépression depuis 2019.",
    "La paciente Lucía Romero fue diagnosticada con cáncer de mama.",
    "jane.doe@gmail.com was prescribed lisinopril 10 mg",
    "Mr. Haddad (DOB 04/11/1961) has hypertension.",
    "Summarise: Maria Gonzalez, 54, F32.1, on fluoxetine 20 mg daily.",
    "Sra. Vidal tiene diabetes y toma insulina.",
]


@pytest.mark.parametrize("text", PHI, ids=[t[:30] for t in PHI])
def test_phi(text):
    res = tag_sensitivity(text, DEFAULT)
    assert res.tier == "confidential"
    [f] = [f for f in res.findings if f.detector == "phi"] or [None]
    assert f is not None, [(g.detector, text[g.start:g.end]) for g in res.findings]
    assert f.context and f.verdict == "identifier + clinical term in one sentence"
    # the finding's mask names the kind of term, never the term itself
    assert text[f.start:f.end] not in f.masked


def test_phi_needs_both_in_the_same_sentence():
    text = "Oliver Osei joined the team in May. Depression is common in winter."
    assert tag_sensitivity(text, DEFAULT).tier == "public"
    assert tag_sensitivity("Oliver Osei joined the team in May, diagnosed with depression.", DEFAULT).tier \
        == "confidential"


def test_families_are_off_with_their_parent():
    cfg = SensitivityConfig(detectors={"email": "confidential"})
    for text in ("MRN 25807415", "passport: 533380006", "Priya Nair earns 145k USD",
                 "Frau Keller leidet an Diabetes Typ 2"):
        assert tag_sensitivity(text, cfg).tier == "public"


@pytest.mark.parametrize("text, detector", [
    ("Passport number:\nX1234567", "passport"),
    ("Reisepass Nr.:\nC01X00T47", "passport"),
    ("Applicant passport number:\n\nX1234567", "passport"),   # a file and the argument, joined by hrouter
    ("MRN:\n00123456", "medical_id"),
    ("Member ID:\r\nABC123456789", "medical_id"),
    ("Insurance member number:\n\nXJH123456789", "medical_id"),
])
def test_a_label_and_its_value_on_the_next_line_are_one_finding(text, detector):
    from hrouter.policy_model import SensitivityConfig
    from hrouter.signals.sensitivity import tag_sensitivity
    r = tag_sensitivity(text, SensitivityConfig())
    assert r.tier == "confidential" and [f.detector for f in r.findings] == [detector]


def test_three_line_breaks_end_the_label():
    from hrouter.policy_model import SensitivityConfig
    from hrouter.signals.sensitivity import tag_sensitivity
    assert tag_sensitivity("passport\n\n\nX1234567", SensitivityConfig()).tier == "public"


@pytest.mark.parametrize("dot", ["\u3002", "\uff61", "."])
def test_internal_hostname_with_an_ideographic_full_stop(dot):
    from hrouter.policy import parse_policy
    pol = parse_policy("version: 1\nbackends:\n  l: {kind: ollama, model: m, zone: local}\n"
                       "sensitivity: {internal_domains: [.corp]}\n")
    r = tag_sensitivity(f"connect to db{dot}corp now", pol.sensitivity)
    assert r.tier == "internal" and [f.detector for f in r.findings] == ["internal_hostname"]
    assert (r.findings[0].start, r.findings[0].end) == (11, 18)


@pytest.mark.parametrize("text, detector", [
    ("db_password:\nTr0ub4dor&3xq", "api_key"),
    ("Fix my yaml:\ndatabase:\n  password:\n    S3cretPassw0rd!", "api_key"),
    ('{\n  "password":\n    "S3cretPassw0rd!"\n}', "api_key"),
    ("password:\u2028S3cretPassw0rd!", "api_key"),
    ("Applicant passport number:\u2028X1234567", "passport"),
    ("MRN:\u008500123456", "medical_id"),
    ('{"passport":\n"X1234567"}', "passport"),
])
def test_values_on_the_next_line_after_other_line_breaks_and_quotes(text, detector):
    r = tag_sensitivity(text, SensitivityConfig())
    assert r.tier == "confidential" and [f.detector for f in r.findings] == [detector]


def test_a_label_line_followed_by_prose_is_not_a_password():
    assert tag_sensitivity("Password:\nForgot your password? Click here", SensitivityConfig()).tier == "public"
