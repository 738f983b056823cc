"""Regressions from the seventh round on the tagger's records: a named person's pay nested
under a pay key (JSON/YAML objects), PHI as a plain name followed by a list of conditions,
two slow shapes (a possessive clinical term repeated, thousands of ``Salary:`` lines), and
Canadian bank account numbers (transit + institution + account)."""

from __future__ import annotations

import json
import time

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals.detectors import bank, structured
from hrouter.signals.sensitivity import tag_sensitivity


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


def found(res, detector_prefix: str):
    return [f for f in res.findings if f.detector.startswith(detector_prefix)]


def check_spans(res, text: str) -> None:
    for f in res.findings:
        assert 0 <= f.start < f.end <= len(text), f


def best_of_3(fn) -> float:
    best = 9.0
    for _ in range(3):
        t = time.process_time()
        fn()
        best = min(best, time.process_time() - t)
    return best


def fill(unit: str, n: int = 100_000) -> str:
    return (unit * (n // len(unit) + 1))[:n]


# ---------------------------------------------------------------------------------------
# 1. A person's pay nested under a pay key.

_EMP = {"employee": "Maria Garcia", "title": "Engineer",
        "compensation": {"base": 142000, "bonus": 15000, "currency": "USD"}, "manager": "Bob Stone"}


@pytest.mark.parametrize("text,amounts", [
    ('{"employee": "Maria Garcia", "compensation": {"base": 142000, "bonus": 15000, "currency": "USD"}}',
     ["142000", "15000"]),
    ("employee: Maria Garcia\ncompensation:\n  base: 142000\n  bonus: 15000\n  currency: USD\n", ["142000", "15000"]),
    ("name: Maria Garcia\ncompensation:\n  base: 142000\n", ["142000"]),
    (json.dumps(_EMP, indent=2), ["142000", "15000"]),
    # the person after the object: its closing "}," does not end the record
    (json.dumps({"compensation": {"base": 142000, "bonus": 15000}, "employee": "Maria Garcia"}, indent=2),
     ["142000", "15000"]),
    ("employee: Maria Garcia\ncompensation: {base: 142000, bonus: 15000}\n", ["142000", "15000"]),
    ('{"name": "Maria Garcia", "salary": {"amount": 142000, "currency": "EUR"}}', ["142000"]),
    ("employee = {'name': 'Maria Garcia', 'compensation': {'base': 142000, 'bonus': 15000}}", ["142000", "15000"]),
    (json.dumps({"employee": {"name": "Maria Garcia",
                              "compensation": {"base": {"amount": 142000, "currency": "USD"}}}}, indent=2), ["142000"]),
    ("employees:\n  - name: Maria Garcia\n    compensation:\n      base: 142000\n"
     "  - name: John Smith\n    compensation:\n      base: 131000\n", ["142000", "131000"]),
])
def test_a_named_persons_pay_nested_under_a_pay_key_is_confidential(text, amounts):
    res = tag(text)
    assert res.tier == "confidential", res
    hits = found(res, "salary")
    got = {text[f.start:f.end] for f in hits}
    for a in amounts:
        assert a in got, (a, got)
    check_spans(res, text)
    for f in hits:
        assert text[f.start:f.end] not in f.masked


@pytest.mark.parametrize("emps", [
    [{"name": "Maria Garcia", "compensation": {"base": 142000}},
     {"name": "John Smith", "compensation": {"base": 131000, "bonus": 9000}}],
])
@pytest.mark.parametrize("indent", [None, 2])
def test_a_list_of_records_keeps_each_persons_nested_pay_apart(emps, indent):
    text = json.dumps(emps, indent=indent)
    res = tag(text)
    assert res.tier == "confidential"
    got = sorted(text[f.start:f.end] for f in found(res, "salary"))
    assert got == ["131000", "142000", "9000"]


@pytest.mark.parametrize("text", [
    # a JSON schema / OpenAPI spec describing a compensation object: no person's values
    json.dumps({"type": "object", "properties": {
        "employee": {"type": "string"},
        "compensation": {"type": "object", "properties": {"base": {"type": "integer", "minimum": 10000},
                                                          "bonus": {"type": "integer"}}}}}, indent=2),
    "components:\n  schemas:\n    Compensation:\n      type: object\n      properties:\n        base:\n"
    "          type: integer\n          example: 120000\n",
    # pricing tables
    '{"plan": "pro", "price": {"monthly": 20, "annual": 200}}',
    '{"name": "Enterprise", "pay": {"base": 5000}}',
    # config: "base" not under a pay key, or under one without a person
    "server:\n  base: https://api.example.com\n  port: 8080\ncompensation:\n  enabled: true\n  base: 1000\n",
    '{"compensation": {"base": 142000, "bonus": 15000}}',
    # bands and roles are no person
    "salary_bands:\n  L3:\n    base: 120000\n  L4:\n    base: 150000\n",
    '{"role": "Senior Engineer", "compensation": {"base": 150000, "bonus": 20000}}',
    '{"name": "Basic plan", "compensation": {"base": 150000}}',
    # the nested object closes before the next record's person
    '[{"compensation": {"base": 150000}}, {"name": "Maria Garcia", "title": "Engineer"}]',
    # an object of limits under a pay key
    '{"employee": "Maria Garcia", "salary_range": {"min": 120000, "max": 150000}}',
])
def test_pay_objects_without_a_persons_values_stay_public(text):
    assert tag(text).tier == "public", tag(text)


def test_closing_lines_join_a_record_only_around_a_pay_section():
    # no pay section: "}," still ends the record, as before (the SSN's record has no name)
    text = json.dumps({"a": {"ssn_note": "x"}, "patient_name": "Maria Garcia"}, indent=2)
    lines, _, _ = structured._record_block(text, structured._line_at(text, text.index('"ssn_note"')))
    keys = [k for line in lines for k, _, _, _ in line]
    assert keys == ["SSN note"]
    text = json.dumps({"compensation": {"base": 142000}, "employee": "Maria Garcia"}, indent=2)
    lines, _, _ = structured._record_block(text, structured._line_at(text, text.index('"compensation"')))
    assert [[k for k, _, _, _ in line] for line in lines] == [["compensation base", "employee"]]


# ---------------------------------------------------------------------------------------
# 2. PHI: a plain name, then a list of conditions (no verb).

@pytest.mark.parametrize("text,term", [
    ("Patient update — Maria Garcia, type 2 diabetes.", "diabetes"),
    ("Patient update — Maria Garcia, type 2 diabetes, metformin 500 mg.", "metformin"),
    ("Maria Garcia: diabetes, hypertension.", "diabetes"),
    ("Maria Garcia — diabetes", "diabetes"),
    ("Maria Garcia (depression)", "depression"),
    ("Maria Garcia: metformin, lisinopril.", "metformin"),
    ("Maria Garcia, HIV and hepatitis C.", "HIV"),
    ("Follow up: John Smith, stage 3 melanoma, next visit Tuesday.", "melanoma"),
    ("Maria Garcia: Diabetes, Hypertension", "Diabetes"),
    ("Maria Garcia: Diabetes.", "Diabetes"),
    ("Maria Garcia: HIV, on PrEP", "PrEP"),  # the finding names the top-ranked term
])
def test_a_name_followed_by_a_list_of_conditions_is_phi(text, term):
    res = tag(text)
    assert res.tier == "confidential", res
    phi = found(res, "phi")
    assert phi and text[phi[0].start:phi[0].end] == term
    assert term not in phi[0].masked
    check_spans(res, text)


@pytest.mark.parametrize("text", [
    "Diabetes in Maria Garcia's novel is a metaphor.",
    "History of Diabetes Research",
    "Frederick Banting, insulin discovery in 1921.",
    "Frederick Banting, insulin; Alexander Fleming, penicillin.",
    "Which scientist is associated with insulin? A. Frederick Banting, insulin B. Louis Pasteur, rabies",
    "Siddhartha Mukherjee, cancer physician and author of The Emperor of All Maladies.",
    "Michael J. Fox, Parkinson's advocate.",
    "Jane Smith, Diabetes Care 2019;42:100.",
    "Speaker: Jane Roe, Cancer Research UK.",
    "John Smith, depression era historian",
    "Owner: Jane Roe, chart.",
    "How does metformin work? Compare it with insulin, and explain type 2 diabetes.",
    "Jane Austen: Depression and Creativity",              # a title, not a list
    "Virginia Woolf: Depression, Creativity and Genius",
])
def test_names_near_clinical_words_that_are_no_diagnosis_stay_public(text):
    assert tag(text).tier == "public", tag(text)


# ---------------------------------------------------------------------------------------
# 3. Slow shapes.

@pytest.mark.parametrize("text,tier,findings", [
    ("Maria Garcia's biopsy " * 5000, "confidential", 430),
    ("Salary: 1\n" * 14000, "public", 0),
])
def test_slow_shapes_are_fast_and_keep_their_findings(text, tier, findings):
    res = tag(text)
    assert res.tier == tier and len(res.findings) == findings, (res.tier, len(res.findings))
    assert min(best_of_3(lambda: tag(text)), best_of_3(lambda: tag(text))) < 0.5  # ~0.11 s on a quiet core: a bound against a quadratic blow-up, not a speed target


def test_pay_only_records_still_report_a_named_persons_pay():
    text = "Name: Maria Garcia\nSalary: 142000\n" * 3000
    res = tag(text)
    assert len(found(res, "salary")) == 3000
    text = "Salary: 1\n" * 500 + "Employee: Maria Garcia\nSalary: $182,000\n"
    res = tag(text)
    assert res.tier == "confidential"
    assert [text[f.start:f.end] for f in found(res, "salary")] == ["$182,000"]


def test_pay_only_records_are_not_rendered():
    text = "Salary: 1\nSalary: 2\nBonus: 3\n"
    assert structured.views(text) == []
    text = "Salary: 1\nSalary: 2\nEmployee: Maria Garcia\n"
    assert structured.views(text) != []


@pytest.mark.parametrize("text", [
    fill("Maria Garcia: diabetes, "),
    fill("Maria Garcia, type 2 "),
    fill("Maria Garcia, Jane Roe, ") + " diabetes.",
    fill('{"compensation": '),
    fill('{"employee": "Maria Garcia", "compensation": {"base": 142000}}, '),
    fill('"compensation": {"base": "'),
    '{"compensation": ' + "{" * 99000,
    fill("compensation:\n  "),
    fill("compensation:\n  base:\n    "),
    "employee: Maria Garcia\ncompensation: {\n" + fill("  },\n"),
    fill('  "compensation": {\n  },\n'),
    fill("name: Maria Garcia\ncompensation:\n  base: 142000\n"),
    fill("transit 12345, institution 004, account 1234567 "),
    fill("transit 12345 "),
    fill("institution 004 ") + " transit 12345 account 1234567",
    fill("account 12345-004-1234567 "),
    "account " + fill("12345-004-"),
    fill("account 1234567 0004 12345 "),
    "account 1234567 " + fill("0004 1"),
    fill("routing 000412345 account 1234567 "),
])
def test_adversarial_100kb_inputs_of_these_shapes_are_fast(text):
    check_spans(tag(text), text)  # also the warm-up: patterns compiled
    assert best_of_3(lambda: tag(text)) < 0.5


# ---------------------------------------------------------------------------------------
# 4. Canadian bank accounts (Payments Canada: transit, institution, account).

@pytest.mark.parametrize("text,values", [
    ("transit 12345, institution 004, account 1234567",
     {"12345": "transit", "004": "institution", "1234567": "account"}),
    ("My account is 12345-004-1234567", {"12345": "transit", "004": "institution", "1234567": "account"}),
    ("Direct deposit to 12345-004-1234567 please", {"12345": "transit", "004": "institution", "1234567": "account"}),
    ("Cheque: 12345 004 123456789012 (chequing)", {"12345": "transit", "004": "institution",
                                                   "123456789012": "account"}),
    ("numéro de transit 12345, numéro d'institution 004, compte 1234567",
     {"12345": "transit", "004": "institution", "1234567": "account"}),
    ("Transit #12345, Institution #004, Account #1234567", {"12345": "transit", "004": "institution"}),
    ("Please deposit to chequing account 1234567 at branch transit 12345 (TD, institution 004).",
     {"12345": "transit", "004": "institution", "1234567": "account"}),
    ("Transit number: 12345 Account: 98765432", {"12345": "transit", "98765432": "account"}),
    ("Direct deposit: 0004 12345, account 1234567", {"0004 12345": "routing", "1234567": "account"}),
    ("routing number 000412345, account 1234567", {"000412345": "routing", "1234567": "account"}),
    ("electronic transit number 000412345, account 1234567", {"000412345": "routing", "1234567": "account"}),
])
def test_canadian_bank_accounts_are_confidential(text, values):
    res = tag(text)
    assert res.tier == "confidential", res
    hits = {text[f.start:f.end]: f for f in found(res, "bank_account")}
    for value, label in values.items():
        assert value in hits, (value, list(hits))
        f = hits[value]
        assert f.masked.startswith(label + " "), f.masked
        assert value not in f.masked and value.replace(" ", "") not in f.masked
    assert any("Payments Canada" in (f.verdict or "") for f in hits.values())
    check_spans(res, text)


def test_the_verdict_names_the_canadian_form():
    hits = bank.detect_bank_account("transit 12345, institution 004, account 1234567")
    assert {h[3] for h in hits} == {"CA transit+institution (Payments Canada)",
                                    "account next to CA transit+institution"}
    hits = bank.detect_bank_account("Direct deposit: 0004 12345, account 1234567")
    assert hits[0][3] == "CA electronic routing 0+institution+transit (Payments Canada)"
    # a valid US routing number that starts with 0 stays the ABA's
    hits = bank.detect_bank_account("routing number 021000021 account 1234567890")
    assert {h[3] for h in hits} == {"aba checksum ok", "account next to aba routing number"}


@pytest.mark.parametrize("text", [
    "Order 12345-004-1234567 shipped",                    # an order id: no account word
    "Tracking 12345-004-1234567, ETA Monday",
    "transit 12345, institution 004",                     # a branch: no account
    "account 1234567",                                    # an account word alone, no colon
    "The transit system carries 12345 riders; account for 1234567 trips",
    "Call 416-555-0123 about the transit pass",           # a phone number
    "transit 00000, institution 000, account 1234567",    # placeholders
    "transit 12345 account 2023",                         # a year
    "routing number 021000022 account 1234567890",        # an invalid US routing number
    "account 12345-000-1234567",                          # institution 000
    "Install step 3: inst 004 transit 12345",
])
def test_canadian_look_alikes_stay_public(text):
    assert found(tag(text), "bank_account") == [], tag(text)
