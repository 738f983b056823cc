"""Round 7 (context detectors): what a user at a bank, hospital, HR department or government
office pastes — passports and identity cards, medical record / member / claim numbers, a named
person's pay, licence plates with owners, national ids and account numbers — that the
tagger missed; the shared whole-word pattern builder (``contextual._word_rx``); and the
dense "Salary: 1" shape's cost."""

from __future__ import annotations

import random
import re
import time

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals import sensitivity as sens
from hrouter.signals.sensitivity import tag_sensitivity


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


def _check(text: str, detector: str, value: str) -> None:
    res = tag(text)
    assert res.tier == "confidential", res
    hits = [f for f in res.findings if f.detector.split(" (")[0] == detector]
    assert hits, res.findings
    for f in res.findings:
        assert 0 <= f.start < f.end <= len(text)
        assert value not in f.masked
    assert any(text[f.start:f.end] == value for f in hits), [(text[f.start:f.end], f.detector) for f in hits]


# -- passports and identity cards ---------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("I need to renew my passport, the number is X1234567 and it expires next month.", "X1234567"),
    ("Le passeport de M. Martin porte le numéro 12AB34567.", "12AB34567"),
    ("Il mio passaporto ha il numero YA1234567", "YA1234567"),
    ("Passport details: X1234567, exp 2030", "X1234567"),
    ("passport details - number X1234567", "X1234567"),
    ("Seria i numer paszportu: EA 1234567", "EA 1234567"),
    ("Identity card no. X1234567", "X1234567"),
    ("ID card number: T22000129 (German Personalausweis)", "T22000129"),
    ("Personalausweisnummer: L01X00T47", "L01X00T47"),
    ("Ausweis-Nr.: L01X00T47", "L01X00T47"),
    ("Carte d'identité n° 880692310285", "880692310285"),
    ("numéro de carte d'identité: X4RTBCP71", "X4RTBCP71"),
    ("Carta d'identità n. CA00000AA", "CA00000AA"),
    ("Dowód osobisty: ABC123456", "ABC123456"),
    ("Identiteitskaart nummer: IR1234567", "IR1234567"),
    ("Ciao, il numero del mio passaporto è YA1234567.", "YA1234567"),
    ("Olá, o número do meu passaporte é CA123456.", "CA123456"),
])
def test_passports_and_identity_cards(text, value):
    _check(text, "passport", value)


def test_an_identity_card_is_labelled_as_one():
    from hrouter.signals.detectors import contextual

    (hit,) = contextual.detect_passport("Personalausweisnummer: L01X00T47")
    assert hit[2].startswith("id card ") and "L01X00T47" not in hit[2]
    (hit,) = contextual.detect_passport("Passport: X1234567")
    assert hit[2].startswith("passport ")


@pytest.mark.parametrize("text", [
    "Bring your passport. Your booking number is AB1234567.",
    "Bring your passport, and the booking reference ABC123 on the confirmation.",
    "Her passport number is P<USA but the document number is 567890123",
    "Apply for an identity card at the town hall; it costs 37 euros and takes 3 weeks.",
    "The ID card reader follows ISO 7816 and reads cards from 2010 onwards.",
    "La carte d'identité est valable 15 ans depuis 2014.",
    "Passport photos must be 35x45 mm, taken within the last 6 months.",
    "Set the passport to 12345678 digits max",
    "Il passaporto è valido 10 anni.",
])
def test_passport_and_id_card_words_without_a_number_stay_public(text):
    assert tag(text).tier == "public", tag(text)


# -- medical record, member, claim and insurance numbers ----------------------------------

@pytest.mark.parametrize("text,value", [
    ("Claim number: 2024-0098123 for patient Jane Roe", "2024-0098123"),
    ("Krankenversicherungsnummer: A123456780", "A123456780"),
    ("KV-Nummer A123456780", "A123456780"),
    ("Fallnr. 20240012345, Patientin Frau Schmidt", "20240012345"),
    ("Aufnahmenummer: 240012345", "240012345"),
    ("Pat.-Nr.: 12345678", "12345678"),
    ("N° de dossier patient : 2023004512", "2023004512"),
    ("N° d'assuré : 12345678", "12345678"),
    ("Número de historia clínica: 1234567", "1234567"),
    ("Nº afiliación SS: 281234567840", "281234567840"),
    ("NUSS: 281234567840", "281234567840"),
    ("Health card number: 1234-567-890-AB", "1234-567-890-AB"),
    ("OHIP: 1234-567-890-AB", "1234-567-890-AB"),
    ("Medicare Beneficiary Identifier: 1EG4-TE5-MK73", "1EG4-TE5-MK73"),
    ("MBI: 1EG4TE5MK73", "1EG4TE5MK73"),
    ("Patient #: 00482913", "00482913"),
    ("Chart #: 45678", "45678"),
    ("Encounter ID: 99887766 for Jane Roe", "99887766"),
    ("Subscriber #: 123456789", "123456789"),
    ("Nr. ubezpieczenia: 12345678", "12345678"),
])
def test_medical_and_insurance_numbers(text, value):
    _check(text, "medical_id", value)


@pytest.mark.parametrize("text", [
    "Claim 1 of the patent describes a fastener; claims 2-14 depend on it.",
    "The claim was filed in 2024 and closed after 30 days.",
    "Der Fall wurde 2023 abgeschlossen; 12 Zeugen sagten aus.",
    "N° de dossier : voir la page 12 du guide.",
    "No patient data here, only 12345678 rows of synthetic records.",
    "Get a health card from the council office, it takes 10 days.",
])
def test_medical_words_in_ordinary_text_stay_public(text):
    assert tag(text).tier == "public", tag(text)


# -- a named person's pay -----------------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("Sarah's salary is $120,000.", "$120,000"),
    ("Linda's bonus this year: $45,000", "$45,000"),
    ("Linda's new base salary: $88,000", "$88,000"),
    ("Ahmed Khan's hourly rate is $32.50", "$32.50"),
    ("Please update payroll: Ahmed Khan, hourly rate $32.50", "$32.50"),
    ("Gross pay for Maria Lopez this period: $3,412.88", "$3,412.88"),
    ("Hi Tom, as discussed your new base salary is €72,000 effective 1 April.", "€72,000"),
    ("Dear Priya, we are happy to confirm your annual bonus of $12,500.", "$12,500"),
    ("Dear Priya,\n\nThank you for your work this year.\nYour annual bonus is $12,500.", "$12,500"),
    ("Liebe Frau Schneider, Ihr neues Bruttojahresgehalt beträgt ab 1. Mai 68.500 €.", "68.500 €"),
    ("Beste Sanne, je bruto maandsalaris wordt € 3.900.", "€ 3.900"),
    ("Stundenlohn von Herrn Yilmaz: 18,50 €", "18,50 €"),
    ("Lohnabrechnung Mai: Peter Meier, Bruttolohn 3.850,00 EUR", "3.850,00 EUR"),
    ("Gehalt Max Mustermann: 5.400 € brutto", "5.400 €"),
    ("Jane earns $92,500 a year.", "$92,500"),
    ("Tom makes 120k as a senior engineer at our company.", "120k"),
    ("Juan cobra 2.000 euros al mes.", "2.000 euros"),
    ("Maria guadagna 1.800 euro al mese.", "1.800 euro"),
    ("Jan verdient € 3.500 per maand.", "€ 3.500"),
])
def test_a_named_persons_pay(text, value):
    _check(text, "salary", value)


@pytest.mark.parametrize("text", [
    "Walmart's average hourly wage is $17.50",
    "Netflix's salaries top $500k for senior engineers.",
    "Hi team, your bonus pool this year is $50,000.",
    "Dear Customer, your salary account pays 2% on balances over $5,000.",
    "Today's bonus: $5 off every order.",
    "Hello World\nyour salary: $5k",
    "The hourly rate for parking downtown is $3.50.",
    "Net pay is what is left after tax; a gross pay of $50,000 leaves about $38,000.",
    # maths word problems about first names (public benchmark prompts)
    "Patricia’s annual starting salary at her new job is $20,000. After one year her salary increases by 10%. "
    "What would her salary be?\nA. $24,200\nB. $24,000\nAnswer:",
    "Adrien's total salary was 30 percent higher than Lylah's. If Adrien earned $40000 four years ago, "
    "calculate the total salary the two were receiving four years later?",
    "Am 1. Mai ist Feiertag. Der Mindestlohn steigt auf 12,82 € pro Stunde.",
    "Valerie earns $5000 per month, 1/2 of what her brother earns. If their mother earns twice their combined "
    "salary, what's the total amount of money they all have?",
    "Jane earns $15 per hour babysitting. How much does she earn in 5 hours?",
    "Tom makes $50 a week mowing lawns. If he saves half, how many weeks until he has $400?",
    "Everyone earns $20 per hour here.",
    "Google makes $300 billion a year.",
    "Paid $250 for the tickets yesterday.",
])
def test_pay_without_one_named_person_stays_public(text):
    assert tag(text).tier == "public", tag(text)


def test_a_german_ordinal_date_ends_no_sentence():
    from hrouter.signals.detectors import contextual

    text = "Ihr Gehalt beträgt ab 1. Mai 68.500 €. Danach kommt 2. Das war es."
    spans = contextual._split_sentences(text)[0]
    assert spans == [(0, 38), (38, 54), (54, len(text))]
    # the one-pattern splitter agrees
    assert [m.end() for m in contextual._SPLIT.finditer(text)] == [38, 54]
    assert contextual._sentence_of(text, 30) == (0, 38)


# -- licence plates with an owner ---------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("Fahrzeughalter: Hans Meier, amtl. Kennzeichen: B-XY 123", "B-XY 123"),
    ("Targa AB123CD intestata a Mario Rossi", "AB123CD"),
    ("Kenteken 12-ABC-3 op naam van Jan de Vries", "12-ABC-3"),
    ("Numer rejestracyjny WA 12345, właściciel Jan Kowalski", "WA 12345"),
    ("Vehicle: Ford Focus, Reg: AB12CDE, Owner: John Smith", "AB12CDE"),
    ("Matrícula do veículo: AA-12-BB, proprietário: João Silva", "AA-12-BB"),
    ("La voiture immatriculée AB-123-CD appartient à M. Martin.", "AB-123-CD"),
])
def test_plates_with_owners(text, value):
    _check(text, "vehicle_plate", value)


@pytest.mark.parametrize("text", [
    "Dutch kenteken plates use six characters in groups, e.g. sidecodes 1 to 11.",
    "La targa dell'auto si rinnova ogni 10 anni.",
    "Die Halter von Fahrzeugen müssen das Kennzeichen gut sichtbar anbringen.",
])
def test_plate_words_without_a_plate_and_owner_stay_public(text):
    assert tag(text).tier == "public", tag(text)


def test_a_long_text_of_plates_costs_linear_time():
    from hrouter.signals.detectors import contextual

    text = "Kennzeichen M-AB 1234 Halter " * 3500  # no sentence end: one 100 KB "sentence"
    t0 = time.process_time()
    hits = contextual.detect_vehicle_plate(text)
    assert time.process_time() - t0 < 0.5
    assert len(hits) == 3500


# -- national ids and bank accounts -------------------------------------------------------

@pytest.mark.parametrize("text,value", [
    ("bsn: 111222333", "111222333"),
    ("bsn=111222333", "111222333"),
    ("patient.bsn = 111222333", "111222333"),
    ('{"sin": "130692544"}', "130692544"),
    ("steuerliche ID: 65929970489", "65929970489"),
    ("Steueridentifikationsnr. 65929970489", "65929970489"),
    ("persnr 8803200016", "8803200016"),
])
def test_national_ids_under_key_and_abbreviated_context_words(text, value):
    _check(text, "national_id", value)


@pytest.mark.parametrize("text", ["sin(x) = 130692544", "the sin of 130692544 radians", "SIN: 111222334"])
def test_national_id_negatives(text):
    assert tag(text).tier == "public", tag(text)


@pytest.mark.parametrize("text,value", [
    ("RIB : 30004 00123 00012345678 14", "30004 00123 00012345678 14"),
    ("Voici mon RIB: 30004 00123 00012345678 14", "30004 00123 00012345678 14"),
    ("Nº de conta: 0001234567890", "0001234567890"),
])
def test_a_french_rib_and_a_portuguese_account(text, value):
    _check(text, "bank_account", value)


@pytest.mark.parametrize("text", ["rib: 12", "Prime rib: 2 lbs for 19.99", "attribute rib: 20241231"])
def test_rib_negatives(text):
    assert tag(text).tier == "public", tag(text)


# -- the shared word-pattern builder ------------------------------------------------------

def test_bank_and_documents_use_contextuals_word_rx():
    from hrouter.signals.detectors import bank, contextual

    assert bank._word_rx is contextual._word_rx
    ci, lc = contextual._word_rx(("abc", "abd", "xy"))
    assert ci == r"(?<![^\W_])(?:abc|abd|xy)"
    assert lc == r"a(?<![^\W_]a)(?:bc|bd)|x(?<![^\W_]x)(?:y)"
    ci, lc = contextual._word_rx(("abc", "xy"), "!")
    assert ci.endswith(")!") and lc.startswith("(?:") and lc.endswith(")!")


@pytest.mark.parametrize("name,words", [
    ("pay", ["salary", "Bruttojahresgehalt", "stundenlohn", "maandsalaris", "uurloon", "gross pay", "net pay",
             "take-home pay", "hourly rate", "pay rate", "brutto", "netto", "bonus", "xsalary", "Gehalt", " ", "-"]),
    ("med_ctx", ["MRN", "medical record", "Patient #", "claim number", "Medicare Beneficiary ID", "Pat.-Nr",
                 "Fall-Nr", "KV-Nummer", "Krankenversicherungsnummer", "N° d'assuré", "Nº afiliación a la SS",
                 "número de historia clínica", "cartão de utente", "patiëntnummer", "nr. ubezpieczenia", "n. ", "no.",
                 "nr.", "#", " ", "x", "İ"]),
    ("passport_ctx", ["passport", "passport details", "ID card", "id-card", "identity card", "Personalausweis",
                      "ausweis", "carte d'identité", "carta d’identità", "dowód osobisty", "identiteitskaart",
                      "number", "nr.", "xid", " ", "-"]),
])
def test_the_new_words_twins_match_like_the_patterns(name, words):
    from hrouter.signals.detectors import contextual

    rx, twin = getattr(contextual._R, name), getattr(contextual._R, name + "_lc")
    assert rx.flags & re.IGNORECASE and not twin.flags & re.IGNORECASE
    rng = random.Random(7)
    checked = 0
    for _ in range(2000):
        text = "".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        lc = sens._match_copy(text)
        if lc is None:
            continue
        checked += 1
        assert [m.span() for m in rx.finditer(text)] == [m.span() for m in twin.finditer(lc)], text
    assert checked > 1500


def test_the_medical_acronyms_stay_case_sensitive():
    from hrouter.signals.detectors import contextual

    assert contextual.detect_medical_id("ipp 12345678 and nhc 00234567, mbi: 1EG4TE5MK73") == []
    got = contextual.detect_medical_id("IPP 12345678, NHC 00234567, MBI: 1EG4TE5MK73, MRN 4829133")
    assert [g[4] for g in got] == ["IPP", "NHC", "MBI", "MRN"]


# -- cost ----------------------------------------------------------------------------------

def test_dense_pay_lines_without_a_person_are_skipped_cheaply_and_keep_findings():
    from hrouter.signals.detectors import contextual

    text = "Salary: 1\n" * 14000
    best = min(_timed(contextual.detect_salary, text) for _ in range(3))
    assert best < 0.5
    assert contextual.detect_salary(text) == []
    # the same dense table still finds every person cue the gate lets through
    for row, n in [("Employee: Sarah Connor. Salary: $120,000.\n", 40), ("Sarah's salary: $5,000\n", 40),
                   ("Jane Roe salary: 95000\n", 40)]:
        assert len(contextual.detect_salary(row * n)) == n, row
    letter = "Hi Tom,\n" + "your salary: $5,000\n" * 30
    assert len(contextual.detect_salary(letter)) == 30
    mixed = "Salary: 1\n" * 40 + "Jane Roe, salary: 95000\n" + "Salary: 1\n" * 40
    assert [mixed[s:e] for s, e, *_ in contextual.detect_salary(mixed)] == ["95000"]


def _timed(fn, text):
    t0 = time.process_time()
    fn(text)
    return time.process_time() - t0


@pytest.mark.parametrize("make", [
    lambda: "Sarah's salary $1\n" * 6000,
    lambda: "Hi Tom,\nyour salary $1\n" * 4500,
    lambda: "your salary is " * 7000,
    lambda: "passport " + "the " * 25000,
    lambda: "passport, the number passport, " * 3300,
    lambda: "ID card no. " * 9000,
    lambda: "carte d'identité n° " * 5000,
    lambda: "Nº afiliación SS " * 6000,
    lambda: "Kenteken 12-ABC-3 op naam van " * 3300,
    lambda: "Sarah's bonus is $5. calculate " * 3200,
    lambda: "Bruttojahresgehalt " * 5000,
    lambda: "1. Mai " * 14000,
    lambda: "Jane earns $1 " * 7000,
    lambda: "Jane earns $1.\n" * 7000,
    lambda: "Jane " * 20000 + "earns $1",
])
def test_adversarial_shapes_stay_fast(make):
    from hrouter.signals.detectors import contextual

    text = make()
    for fn in (contextual.detect_salary, contextual.detect_passport, contextual.detect_medical_id,
               contextual.detect_vehicle_plate):
        assert min(_timed(fn, text) for _ in range(2)) < 0.5, fn.__name__
