"""The structured pass (hrouter.signals.detectors.structured): tables and keyed records whose
context word is not next to the value as a whole word -- header rows, snake/camel/kebab-case
keys, XML tags, a name and a salary on separate lines -- re-scanned as ``key: value`` views."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals.sensitivity import tag_sensitivity

DEFAULT = SensitivityConfig()


def confidential(text: str, value: str, detector: str | None = None):
    """Tag ``text``: confidential, no errors, a finding whose span holds ``value`` (by
    ``detector`` when given, e.g. ``ssn (table)``), every span inside the text, no mask
    showing the value."""
    res = tag_sensitivity(text, DEFAULT)
    got = [(f.detector, text[f.start:f.end]) for f in res.findings]
    assert res.tier == "confidential", got
    assert not res.errors, res.errors
    for f in res.findings:
        assert 0 <= f.start < f.end <= len(text)
        assert value not in f.masked and value not in (f.context or "")
    hits = [f for f in res.findings if value in text[f.start:f.end]]
    assert hits, got
    if detector is not None:
        assert any(f.detector == detector for f in hits), got
    return hits


def public(text: str) -> None:
    res = tag_sensitivity(text, DEFAULT)
    assert res.tier == "public", ([(f.detector, text[f.start:f.end]) for f in res.findings], res.errors)


# --------------------------------------------------------------------------------------
# 1. The context word in a header row, the value lines or cells away.

TABLES = [
    # CSV: the SSN column far from the header word, rows below the first
    ("id,name,employee_number,department,notes,ssn\n"
     "1,Jane Roe,1001,Sales,nothing to add here,536221947\n"
     "2,John Doe,1002,Sales,nothing to add here,568082371\n", "568082371", "ssn (table)"),
    ("name,ssn,dob\nJane Roe,536221947,1980-04-02\nJohn Doe,568082371,1975-11-30", "1975-11-30",
     "date_of_birth (table)"),
    # quoted fields with commas inside
    ('name,ssn,dob\n"Roe, Jane",536221947,1980-04-02\n"Doe, John",568082371,1975-11-30', "568082371", "ssn (table)"),
    ('name,notes,ssn\n"Roe, Jane","likes ""quotes"", commas, and more",536221947\n'
     '"Doe, John","x, y, z",568082371', "568082371", "ssn (table)"),
    # TSV
    ("Name\tDepartment\tStart\tPassport Number\nJane Roe\tSales\t2021\tX1234567\n", "X1234567", "passport (table)"),
    # semicolon CSV, a German header
    ("ID;Name;Geburtsdatum\n1;Jana Roth;02.04.1980\n2;Max Weber;17.11.1975\n", "17.11.1975",
     "date_of_birth (table)"),
    # markdown pipe tables
    ("| Patient | MRN |\n|---|---|\n| J. Roe | 00482913 |", "00482913", "medical_id (table)"),
    ("| Patient | Ward | Bed | Attending | Notes | MRN |\n|---|:---:|---|---|---|--:|\n"
     "| P. One | 4 | 12 | Dr X | stable, fine | 00482913 |\n| P. Two | 5 | 1 | Dr Y | stable | 00977123 |",
     "00977123", "medical_id (table)"),
    ("Patient | MRN\n--- | ---\nJ. Roe | 00482913", "00482913", "medical_id (table)"),  # no outer pipes
    ("| Name | Team | Passport |\n|---|---|---|\n| Jane Roe | Ops | X1234567 |", "X1234567", "passport (table)"),
    # an ASCII box table
    ("+------+------+------------+\n| Name | Team | DOB        |\n+------+------+------------+\n"
     "| Jane | Ops  | 1980-04-02 |\n+------+------+------------+", "1980-04-02", "date_of_birth (table)"),
    # snake_case header cells, a credential column
    ("user,date_of_birth\nadmin,1980-04-02\n", "1980-04-02", "date_of_birth (table)"),
    ("user,password\nadmin,Tr0ub4dor&3xq\n", "Tr0ub4dor&3xq", "api_key (table)"),
    ("| user | api_key |\n|---|---|\n| ci | 9f8e7d6c5b4a39281706 |", "9f8e7d6c5b4a39281706", "api_key (table)"),
    ("| Member ID | Plan |\n|---|---|\n| XJH-448812-02 | Gold |", "XJH-448812-02", "medical_id (table)"),
    ("| Name | Phone | Team | Office | Notes |\n|---|---|---|---|---|\n| A. Smith | none | Ops | Berlin | - |\n"
     "| Jane Roe | 030 76482575 | Sales | Hamburg | prefers e-mail |", "030 76482575", "phone (table)"),
]


@pytest.mark.parametrize("text,value,detector", TABLES, ids=[t[:30] for t, *_ in TABLES])
def test_a_context_word_in_the_header_reaches_the_values(text, value, detector):
    confidential(text, value, detector)


def test_crlf_line_endings():
    confidential("| Patient | MRN |\r\n|---|---|\r\n| J. Roe | 00482913 |\r\n| A. Smith | 00977123 |\r\n",
                 "00977123", "medical_id (table)")
    confidential("name,ssn,dept,notes\r\nJane Roe,536221947,Sales,nothing to add here\r\n"
                 "John Doe,568082371,Sales,nothing to add here\r\nMax Mustermann,671021032,Ops,none\r\n",
                 "671021032", "ssn (table)")
    confidential("Employee: Jane Roe\r\nSalary: $182,000\r\n", "$182,000", "salary (record)")
    # the carriage return is not part of the finding
    text = "name,ssn,dept,notes\r\nJane Roe,536221947,Sales,nothing to add here\r\n" \
           "John Doe,568082371,Sales,nothing to add here\r\nMax Mustermann,671021032,Ops,none\r\n"
    for f in tag_sensitivity(text, DEFAULT).findings:
        assert "\r" not in text[f.start:f.end]


def test_every_row_of_a_long_table_is_read():
    rows = "\n".join(f"{i},Person {i},Dept {i % 7},{536221947 + 17 * i}" for i in range(60))
    text = "id,name,dept,ssn\n" + rows
    res = tag_sensitivity(text, DEFAULT)
    assert res.tier == "confidential" and not res.errors
    spans = {text[f.start:f.end] for f in res.findings}
    assert {str(536221947 + 17 * i) for i in range(60)} <= spans


def test_the_last_row_of_a_16k_prompt():
    rows = "\n".join(f"{i},Widget {i},{i * 3 % 97}.99,{i % 12 + 1}" for i in range(1, 400))
    text = "Here is the export, please summarise it.\n\nid,name,price,passport_number\n" + rows
    text += "\n400,Jane Roe,12.50,X1234567"
    text += "\n\n" + "Lorem ipsum dolor sit amet. " * ((16_000 - len(text)) // 28)
    assert len(text) > 15_500
    confidential(text, "X1234567", "passport (table)")
    # a table at the very end of a long prompt, the value on the text's last line
    pre = ("Some notes on the quarterly plan, nothing special here. " * 300)[:15_800]
    text = pre + "\n| Name | Team | SSN |\n|---|---|---|\n| A. Smith | Ops | none |\n| Jane Roe | Sales | 536221947 |"
    assert len(text) > 15_800 and text.endswith("536221947 |")
    confidential(text, "536221947", "ssn (table)")


def test_ragged_and_empty_tables():
    # a row with fewer cells, one with more: the cells under the header still count
    confidential("| Name | MRN |\n|---|---|\n| J. Roe |\n| A. Smith | 00482913 | extra | cells |\n|",
                 "00482913", "medical_id (table)")
    confidential("Name\tWard\tMRN\nJ. Roe\t4\nA. Smith\t5\t00482913\textra\n", "00482913", "medical_id (table)")
    for text in ("| Name | MRN |\n|---|---|\n|  |  |\n", "| Name | MRN |\n|---|---|\n", "| Name | MRN |",
                 "name,ssn,dob\n,,\nJane,,\n", "name,ssn\n\n\n", "|\n|\n|", ",,\n,,", "\t\t\n\t\t",
                 "| SSN |\n|---|\n| unknown |", "name,ssn\nJane,n/a\nJohn,-\n"):
        res = tag_sensitivity(text, DEFAULT)
        assert res.tier == "public" and not res.errors, (text, res)


def test_a_table_past_the_cap_fails_closed():
    # long context headers over one-digit cells: the views would exceed 2x the text
    text = "social_security_number,date_of_birth,medical_record_number\n" + "\n".join(
        f"{i % 10},{i % 7},{i % 5}" for i in range(3000))
    res = tag_sensitivity(text, DEFAULT)
    assert res.tier == "confidential"
    assert [e for e in res.errors if e.startswith("structured: StructuredCapExceeded: views longer than")], res.errors


def test_too_many_structures_fail_closed(monkeypatch):
    from hrouter.signals.detectors import structured

    monkeypatch.setattr(structured, "MAX_BLOCKS", 3)
    text = "\n\n".join(f"record_{i}:\n  medical_record_number: A{48812345 + i}" for i in range(5))
    res = tag_sensitivity(text, DEFAULT)
    assert res.tier == "confidential"
    assert any(e.startswith("structured: StructuredCapExceeded") for e in res.errors), res.errors
    monkeypatch.setattr(structured, "MAX_BLOCKS", 1024)
    confidential(text, "A48812349", "medical_id (record)")


# --------------------------------------------------------------------------------------
# 2. snake_case / camelCase / kebab-case keys.

KEYS = [
    ("medical_record_number: 00482913", "00482913", "medical_id (record)"),
    ("patient:\n  medicalRecordNumber: 00482913\n  ward: 4\n", "00482913", "medical_id (record)"),
    ('"dateOfBirth": "1980-04-02"', "1980-04-02", "date_of_birth (record)"),
    ("date_of_birth: 1980-04-02", "1980-04-02", "date_of_birth (record)"),
    ("DATE_OF_BIRTH=1980-04-02", "1980-04-02", "date_of_birth (record)"),
    ("passport-no: X1234567", "X1234567", None),  # the passport detector reads "passport-no" itself
    ("passport_number: X1234567", "X1234567", "passport (record)"),
    ("passportNumber = 'X1234567'", "X1234567", None),  # "passportNumber" reads as "passport number"
    ("passport_id = 'X1234567'", "X1234567", "passport (record)"),
    ("member_id: XJH448812", "XJH448812", "medical_id (record)"),
    ('{"name": "Jane Roe", "patientId": "A7781234", "dateOfBirth": "1980-04-02"}', "1980-04-02",
     "date_of_birth (record)"),
    ("customer:\n  social_security_number: 536221947\n", "536221947", "ssn (record)"),
    ("nhs_number: 943-476-5870", "943-476-5870", "national_id (record)"),
    ('{"homePhone": "030 76482575"}', "030 76482575", "phone (record)"),
    ("db_password:\n  Tr0ub4dor&3xq", "Tr0ub4dor&3xq", None),
]


@pytest.mark.parametrize("text,value,detector", KEYS, ids=[t[:30] for t, *_ in KEYS])
def test_compound_keys_are_read_as_their_words(text, value, detector):
    confidential(text, value, detector)


# --------------------------------------------------------------------------------------
# 3. XML/HTML tags as keys.

XML = [
    ("<password>hunter2-Secret</password>", "hunter2-Secret", "api_key (record)"),
    ("<ssn>536221947</ssn>", "536221947", None),
    ("<mrn>00482913</mrn>", "00482913", "medical_id (record)"),
    ("<patient>\n  <name>Jane Roe</name>\n  <medicalRecordNumber>00482913</medicalRecordNumber>\n</patient>",
     "00482913", "medical_id (record)"),
    ("<patient><dateOfBirth>1980-04-02</dateOfBirth></patient>", "1980-04-02", "date_of_birth (record)"),
    ('<field name="mrn">00482913</field>', "00482913", "medical_id (record)"),
    ('<input type="password" name="db_pass" value="hunter2-Secret">', "hunter2-Secret", "api_key (record)"),
    ("<ns:password>Tr0ub4dor&3</ns:password>", "Tr0ub4dor&3", "api_key (record)"),
    ("<passport>\n  X1234567\n</passport>", "X1234567", "passport (record)"),
]


@pytest.mark.parametrize("text,value,detector", XML, ids=[t[:30] for t, *_ in XML])
def test_xml_tags_are_keys(text, value, detector):
    confidential(text, value, detector)


# --------------------------------------------------------------------------------------
# 4. A salary on another line than the person's name; a plate and its owner.

SALARIES = [
    ("Employee: Jane Roe\nSalary: $182,000", "$182,000", "salary (record)"),
    ("**Employee:** Jane Roe\n**Base Salary:** $182,000", "$182,000", "salary (record)"),
    ("## Jane Roe\nSalary: $182,000\nTitle: Engineer", "$182,000", "salary (record)"),
    ('{\n  "employee": "Jane Roe",\n  "annual_salary": "$182,000"\n}', "$182,000", "salary (record)"),
    ("<employee>\n  <name>Jane Roe</name>\n  <salary>$182,000</salary>\n</employee>", "$182,000", None),
    ("| Name | Salary |\n|---|---|\n| Jane Roe | $182,000 |", "$182,000", "salary (table)"),
    ("name\tsalary\nJane Roe\t$182,000", "$182,000", "salary (table)"),
    ('Employee,Base Salary\nJane Roe,"$182,000"\nBob Stone,"$91,000"\n', "$91,000", "salary (table)"),
    ("Plate: B-VW 412\nOwner: Marcus Brandt", "B-VW 412", "vehicle_plate (record)"),
    ("| Plate | Owner |\n|---|---|\n| B-VW 412 | Marcus Brandt |", "B-VW 412", "vehicle_plate (table)"),
]


@pytest.mark.parametrize("text,value,detector", SALARIES, ids=[t[:30] for t, *_ in SALARIES])
def test_a_person_and_their_pay_on_separate_lines(text, value, detector):
    confidential(text, value, detector)


def test_each_record_of_a_list_is_its_own_sentence():
    text = "employees:\n  - name: Jane Roe\n    title: Engineer\n    salary: $182,000\n" \
           "  - name: Bob Stone\n    salary: $91,000\n"
    res = tag_sensitivity(text, DEFAULT)
    assert res.tier == "confidential"
    assert sorted(text[f.start:f.end] for f in res.findings if f.detector == "salary (record)") == \
        ["$182,000", "$91,000"]


# --------------------------------------------------------------------------------------
# Negatives: ordinary tables, configs and code stay public.

NEGATIVES = [
    "sku,price,quantity,order_date\nA-100,12.99,3,2024-01-05\nB-200,5.00,10,2024-02-11\n",
    "SKU;Product;Price;Qty\n7578-9827-16;Espresso cups;12,99;4\n7578-9827-17;Saucers;8,50;6\n",
    "| Model | Params | MMLU | Latency (ms) |\n|---|---|---|---|\n| llama-3-8b | 8B | 66.6 | 120 |\n"
    "| mistral-7b | 7B | 62.5 | 110 |",
    "server:\n  port: 8080\n  timeout_ms: 3000\n  max_tokens: 512\n  retry_policy: exponential\n",
    '{"port": 8080, "timeout_ms": 3000, "max_tokens": 512, "cell_padding": 4}',
    "| Level | Salary band |\n|---|---|\n| Senior Engineer | $150k-$180k |\n| Staff Engineer | $190k |",
    "City,Average salary\nNew York,$85000\nSan Francisco,$95000\n",
    "| Office | Phone |\n|---|---|\n| Museum public information line | +33 1 99 00 41 27 |",
    "class Foo:\n    member_count = 3\n    def birth_year(self):\n        return 1990\n",
    "The patient_portal service, the member_api and the billing_service, all run on port 8080.\n"
    "The policy_engine, the tel_gateway, and the cell_router, are on 9090, 9091, and 9092.",
    "passport_photo_size: 35x45mm\nvisa_fee: $160",
    "passport_expiry: 2031-04-02",
    "Name: Jane Roe\nTeam: Sales\nStart: 2021",
    "Role: Senior Engineer\nSalary: $150k",
    "Payroll exception: see the attached sheet\nBudget: $5,000",
    "Run `SELECT patient_id, COUNT(*) FROM visits GROUP BY patient_id` and explain it.",
    "patient_id = 42  # an int",
    "password_hint: favourite colour\nusername: admin",
    "<token>${API_TOKEN}</token>\n<password>{{ secrets.db }}</password>",
    "user,password\nadmin,<redacted>\n",
    "| Phone model | Price |\n|---|---|\n| Pixel 8 | $699 |\n| iPhone 15 | $799 |",
    "Which tables hold a date_of_birth column, and how do I mask it in a view?",
    "date_of_birth: unknown\nvisit_date: 2024-03-01",
    "Is List<Patient> or Map<String, Patient> better here?",
]


@pytest.mark.parametrize("text", NEGATIVES, ids=[t[:30] for t in NEGATIVES])
def test_ordinary_structured_text_stays_public(text):
    public(text)


def _cases(path):
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def test_the_labelled_hard_negatives_render_no_view():
    """The sample's public prompts (alone, and joined as the benchmark joins them) hold no
    structure worth a view: the pass costs them only the cheap check."""
    from pathlib import Path

    from hrouter.signals.detectors import structured
    from hrouter.signals.sensitivity import _fold

    data = Path(__file__).parent / "data"
    prompts = [c["prompt"] for name in ("sensitivity-sample.jsonl", "sensitivity-extra.jsonl")
               for c in _cases(data / name) if c["expected"] == "public"]
    for text in prompts + ["\n".join(prompts)]:
        norm = _fold(text)[0]
        tag_sensitivity(text, DEFAULT)
        assert not structured.hint(norm) or structured.views(norm) == [], text[:80]


# --------------------------------------------------------------------------------------
# The module's parts.


def test_hint_is_false_for_prose_and_true_for_structure():
    from hrouter.signals.detectors import structured

    for text in ("What is an SSN and who issues it?", "My phone broke, the cell is dead, call the hotel.",
                 "The salary range is $100k-$120k, the bonus 10%.\nPay is monthly, bonus yearly.",
                 "Patienten-ID 881404756: Laborwerte bitte übertragen.", ""):
        tag_sensitivity(text, DEFAULT)
        assert structured.hint(text) is False, text
    for text, _, _ in TABLES + KEYS[:6] + XML + SALARIES:
        tag_sensitivity(text, DEFAULT)
        assert structured.hint(text) is True, text


def test_a_hit_on_synthetic_text_maps_to_the_value_or_the_key():
    from hrouter.signals.detectors.structured import View

    norm = "ssn,name\n536221947,Jane"
    #        view: "SSN: 536221947, Jane"
    view = View("table", "SSN: 536221947, Jane",
                [(0, 4, 0, 3, False), (5, 14, 9, 18, True), (16, 20, 19, 23, True)])
    assert view.span(5, 14, len(norm)) == (9, 18)  # inside a value: character for character
    assert view.span(6, 9, len(norm)) == (10, 13)
    assert view.span(0, 14, len(norm)) == (9, 18)  # key + value: the value
    assert view.span(0, 3, len(norm)) == (0, 3)  # the key alone: its header cell
    assert view.span(5, 20, len(norm)) == (9, 23)  # two values: both
    assert view.span(14, 16, len(norm)) == (9, 18)  # a separator: the segment before
    for s in range(20):
        for e in range(s + 1, 21):
            a, b = view.span(s, e, len(norm))
            assert 0 <= a < b <= len(norm)


def test_a_detector_failing_on_a_view_fails_closed(monkeypatch):
    from hrouter.signals import sensitivity

    real = sensitivity._DETECTORS["ssn"]

    def flaky(text):
        if "SSN:" in text:  # only the rendered view has this
            raise RuntimeError("boom")
        return real(text)

    monkeypatch.setitem(sensitivity._DETECTORS, "ssn", flaky)
    res = tag_sensitivity("name,notes,ssn\nJane,x,536221947\nJohn,y,568082371\n", DEFAULT)
    assert res.tier == "confidential"
    assert res.errors == ["ssn (table): RuntimeError: boom"]


def test_views_only_run_the_detectors_their_keys_call_for():
    from hrouter.signals.detectors import structured
    from hrouter.signals.sensitivity import _fold

    norm = _fold("id,name,ssn,email\n1,Jane,536221947,jane@gmail.com\n")[0]
    tag_sensitivity(norm, DEFAULT)
    [view] = structured.views(norm)
    assert view.kind == "table" and view.families == {"ssn"}
    from hrouter.signals.sensitivity import _DETECTORS

    ran = []
    structured.rescan(norm, view, [(n, "confidential", _DETECTORS[n]) for n in ("ssn", "email")] +
                      [("codename", "internal", lambda t: [])],
                      lambda name, tier, thunk, size: ran.append(name) or thunk())
    # email finds nothing new in a view; custom rules always run
    assert ran == ["ssn (table)", "codename (table)"]


@pytest.mark.parametrize("key", [
    "SSN", "social_security_number", "date_of_birth", "dateOfBirth", "D.O.B.", "Geburtsdatum", "birthDate", "MRN",
    "medical_record_number", "patientId", "Patient ID", "member_id", "MemberNumber", "policy_number", "Insurance No",
    "passport_number", "passportNo", "Reisepassnummer", "Pass-Nr.", "phone_number", "homePhone", "Telefon",
    "téléphone", "mobile", "cell_phone", "fax", "nhs_number", "BSN", "pesel", "tax_id", "steuer_id", "salary",
    "base_salary", "annualSalary", "Gehalt", "compensation", "plate", "licensePlate", "Kennzeichen", "password",
    "db_password", "apiKey", "api_key", "client_secret", "access_token", "private_key", "credentials",
    "Policy Number", "policyNo", "Health Plan ID", "healthPlanId", "Chart No", "hospital_id", "Insurance ID",
    "Patient Number", "Membership No", "Social Security No", "socialSecurityNumber", "Base Pay", "basePay",
    "Steuer-ID", "sofi-nummer", "Tax ID",
])
def test_every_key_family_is_reached_by_a_trigger_word(key):
    """A view is built only around the trigger words: every key a family reads holds one."""
    from hrouter.signals.detectors import structured

    assert any(w in key.lower() for w in structured._WORDS), key
    assert structured._families(key), key


def test_the_first_prompt_of_a_process_gets_its_views():
    code = ("from hrouter.policy_model import SensitivityConfig\n"
            "from hrouter.signals.sensitivity import tag_sensitivity\n"
            "r = tag_sensitivity('medical_record_number: 00482913', SensitivityConfig())\n"
            "print(r.tier, [f.detector for f in r.findings])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "confidential ['medical_id (record)']"


def test_a_text_whose_lower_case_changes_length():
    # the dotted capital I lower-cases to two characters: trigger words are found by regex
    text = "İstanbul office export\nname,dept,team,notes and remarks about this person,ssn\n" \
           "Jane Roe,Sales,Blue,nothing to add here at all for this one,536221947\n" \
           "John Doe,Sales,Red,nothing to add here at all for this one,568082371\n"
    confidential(text, "568082371", "ssn (table)")


def test_hint_answers_true_wherever_a_view_could_start():
    """hint() skips the character tests for plain prose boundaries: it must still answer True
    for every text in which views() would look at an occurrence (random structured snippets)."""
    import random

    from hrouter.signals.detectors import structured
    from hrouter.signals.sensitivity import _fold

    words = ["ssn", "SSN", "dob", "dateOfBirth", "date_of_birth", "passport", "passport_no", "Phone", "phoneNumber",
             "salary", "Salary", "base_pay", "member_id", "memberId", "policy-no", "password", "api_key", "apiKey",
             "mrn", "MRN", "Geburtsdatum", "plate", "the", "name", "Jane Roe", "x.ssn", "ns:ssn", "sSn", "ssns",
             "tel", "hotel", "Steuer-ID", "nhs_number"]
    seps = [" ", "", ": ", "=", "_", "-", ",", ";", "|", "\t", "\n", "\r\n", "<", ">", "</", '"', "'", '="', ".", "(",
            ")", "{", "}", " | ", "\n|---|---|\n", "123456789", "1980-04-02", "$182,000", "X1234567"]
    rng = random.Random(7)
    checked = 0
    for _ in range(3000):
        text = "".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 8)))
        norm = _fold(text)[0]
        tag_sensitivity(text, DEFAULT)  # fills the needle cache as the tagger does
        found = structured._occurrences(norm) or []
        ctx = structured._context(norm)
        flagged = any(structured._classify(norm, p, w, ctx)
                      for w, positions in found for p in positions)
        if flagged:
            checked += 1
            assert structured.hint(norm), text
    assert checked > 300


def test_an_internal_error_fails_closed(monkeypatch):
    from hrouter.signals.detectors import structured

    def boom(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr(structured, "_table_at", boom)
    res = tag_sensitivity("name,notes,ssn\nJane,x,536221947\nJohn,y,568082371\n", DEFAULT)
    assert res.tier == "confidential" and res.errors == ["structured: RuntimeError: boom"]
    # hint() is called unguarded: it never raises, it answers True and views() fails closed
    monkeypatch.setattr(structured, "_occurrences", boom)
    res = tag_sensitivity("What is the capital of France?", DEFAULT)
    assert res.tier == "confidential" and res.errors == ["structured: RuntimeError: boom"]


def test_a_line_of_joined_trigger_words_is_linear_not_quadratic():
    # 'ssn_ssn_ssn_...x: 1': each trigger word's key match once ran to the end of the line
    import time

    from hrouter.policy_model import SensitivityConfig as _Config

    def cost(n: int) -> float:
        text = "ssn_" * n + "x: 1"
        t0 = time.process_time()
        assert tag_sensitivity(text, _Config()).tier == "public"
        return time.process_time() - t0

    cost(1000)  # warm up
    small, big = cost(6000), cost(24000)
    assert big < 5.0 and big < 12 * small + 0.05, (small, big)  # 4x the text: ~4x the time (quadratic: 16x)
