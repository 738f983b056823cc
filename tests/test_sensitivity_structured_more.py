"""The structured pass, continued: a person's pay as a bare number in JSON / CSV / records
(English and non-English pay keys), HTML tables with the header far from the cells, and
pay words of the salary detector in IT/PT/NL/PL prose."""

from __future__ import annotations

import random
import time

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals.sensitivity import tag_sensitivity
from test_sensitivity_structured import confidential, public  # the same checks as the first part

DEFAULT = SensitivityConfig()


# --------------------------------------------------------------------------------------
# 1. A bare amount under a pay key, in a row or record that names a person.

BARE_PAY = [
    ('{"name": "Jane Doe", "annual_salary": 182000}', "182000", "salary (record)"),
    ('{"name": "Jane Doe", "salary": 182000}', "182000", "salary (record)"),
    ('{"employee": "Jane Doe", "total_comp": 250000}', "250000", "salary (record)"),
    ('[\n  {"name": "Jane Doe", "salary": 182000},\n  {"name": "John Roe", "salary": 150000}\n]', "150000",
     "salary (record)"),
    ('{\n  "employees": [\n    {\n      "name": "Jane Doe",\n      "title": "Engineer",\n'
     '      "salary": 182000\n    }\n  ]\n}', "182000", "salary (record)"),  # indented deeper than four blanks
    ("name,salary\nJane Doe,182000", "182000", "salary (table)"),
    ("first_name,last_name,annual_salary\nJane,Doe,182000\n", "182000", "salary (table)"),
    ("name\tsalary\nJane Doe\t182000", "182000", "salary (table)"),
    ("Name | Salary\n--- | ---\nJane Doe | 182000", "182000", "salary (table)"),
    ("name;gehalt\nHans Meier;78000", "78000", "salary (table)"),
    ("Mitarbeiter;Jahresgehalt\nHans Meier;78.000\n", "78.000", "salary (table)"),
    ("Nom;Salaire\nJean Dupont;52 000\n", "52 000", "salary (table)"),
    ("name,salary\nJane Doe,182k\n", "182k", "salary (table)"),
    ("name,salary\njane doe,182000\n", "182000", "salary (table)"),
    ("employee_id,salary\nE1234,182000\n", "182000", "salary (table)"),
    ("employee: Hans Meier\ngehalt: 78000", "78000", "salary (record)"),
    ("Name: Hans Meier\nJahresgehalt: 78000", "78000", "salary (record)"),
    ("Nome: Giulia Bianchi\nStipendio: 42000", "42000", "salary (record)"),
    ("Nome: Giulia Bianchi\nRetribuzione: 42000", "42000", "salary (record)"),
    ("Name: Jean Dupont\nSalaire: 52000", "52000", "salary (record)"),
    ("Nombre: Juan Pérez\nSueldo: 30000", "30000", "salary (record)"),
    ("Nombre: Juan Pérez\nSalario: 30000", "30000", "salary (record)"),
    ("Nome: João Silva\nSalário: 42000", "42000", "salary (record)"),
    ("Naam: Jan de Vries\nSalaris: 52000", "52000", "salary (record)"),
    ("Naam: Jan de Vries\nLoon: 52000", "52000", "salary (record)"),
    ("Imię: Jan Kowalski\nWynagrodzenie: 8000", "8000", "salary (record)"),
    ("Imię: Jan Kowalski\nPensja: 8000", "8000", "salary (record)"),
    ("name: Jane Doe\nsalary: 182000", "182000", "salary (record)"),
    ("name: Jane Doe\nbase_salary: 182000", "182000", "salary (record)"),
    ("name: Jane Doe\nbase_pay: 182000", "182000", "salary (record)"),
    ("name: Jane Doe\ncompensation: 182000", "182000", "salary (record)"),
    ("name: Jane Doe\ntotal_comp: 182000", "182000", "salary (record)"),
    ("name: Jane Doe\nwage: 52000", "52000", "salary (record)"),
    ("name: Jane Doe\npay_rate: 52000", "52000", "salary (record)"),
    ("name: Jane Doe\nbonus: 12000", "12000", "salary (record)"),
    ("Name: Jane Doe\nSalary: 182000 EUR\n", "182000 EUR", "salary (record)"),
    ("- name: Jane Doe\n  salary: 182000\n- name: John Roe\n  salary: 150000", "150000", "salary (record)"),
    ("Name: Jane Doe, Salary: 182,000", "182,000", "salary"),  # inside a line (the plain scan's now)
    ("employee_salary: 95000", "95000", "salary (record)"),  # the key names the person
    ("## Jane Roe\nSalary: 182000\nTitle: Engineer", "182000", "salary (record)"),  # a heading that is a name
    ("<employee><name>Jane Doe</name><salary>182000</salary></employee>", "182000", "salary (record)"),
    ('<employee name="Jane Doe" salary="182000"/>', "182000", "salary (record)"),
    ('<record><field name="name" value="Jane Doe"/><field name="salary" value="182000"/></record>', "182000",
     "salary (record)"),
]


@pytest.mark.parametrize("text,value,detector", BARE_PAY, ids=[t[:40] for t, *_ in BARE_PAY])
def test_a_bare_amount_under_a_pay_key_with_a_person(text, value, detector):
    hits = confidential(text, value, detector)
    f = next(f for f in hits if f.detector == detector)
    assert text[f.start:f.end] == value
    assert f.masked == f"amount …({len(value)} chars)"


def test_every_row_of_a_long_pay_table_is_found():
    rows = "".join(f"Person{chr(65 + i % 26)} Lastname{chr(65 + i // 26)},{50000 + 1000 * i}\n" for i in range(60))
    text = "name,salary\n" + rows
    res = tag_sensitivity(text, DEFAULT)
    got = sorted(text[f.start:f.end] for f in res.findings if f.detector == "salary (table)")
    assert got == sorted(str(50000 + 1000 * i) for i in range(60))


# --------------------------------------------------------------------------------------
# 2. HTML tables: the header names the column once, rows away from the value.

_FIRST = ["Jane", "John", "Maria", "Ahmed", "Olga", "Pedro"]
_LAST = ["Doe", "Roe", "Garcia", "Khan", "Petrova", "Silva"]


def _name(i: int) -> str:
    return f"{_FIRST[i % 6]} {_LAST[(i // 6) % 6]}"


def _ssn(i: int) -> str:
    return f"{536 + i % 100:03d}{22 + i % 70:02d}{1947 + i:04d}"


def _html(header: str, cell, n: int = 60, table: str = "<table>", head: str = "", body: str = "",
          end: str = "") -> str:
    rows = "".join(f"<tr><td>{_name(i)}</td><td>Dept {i % 5}</td><td>{cell(i)}</td></tr>\n" for i in range(n))
    return f"{table}{head}<tr><th>Name</th><th>Dept</th><th>{header}</th></tr>\n{end}{body}{rows}" \
           f"{'</tbody>' if body else ''}</table>"


HTML = [
    (_html("SSN", _ssn), _ssn(59), "ssn (table)"),
    (_html("Social Security Number", _ssn), _ssn(59), "ssn (table)"),
    (_html('<b class="h">SSN</b>', _ssn), _ssn(59), "ssn (table)"),
    (_html("SSN", _ssn, table='<table class="staff" border="1">', head='<thead class="x">', end="</thead>",
           body="<tbody>"), _ssn(59), "ssn (table)"),
    (_html("Salary", lambda i: str(60000 + 1000 * i)), "119000", "salary (table)"),
    (_html("Annual Salary", lambda i: f"{60 + i},000"), "119,000", "salary (table)"),
    (_html("Passport", lambda i: f"X{1234500 + i}"), "X1234559", "passport (table)"),
    (_html("Medical Record Number", lambda i: f"{40482900 + i}"), "40482959", "medical_id (table)"),
    (_html("SSN", _ssn).upper().replace("<TH>NAME", "<TH>Name"), _ssn(59), "ssn (table)"),
    ("<table><tr><td>Name</td><td>SSN</td></tr>" + "".join(f"<tr><td>{_name(i)}</td><td>{_ssn(i)}</td></tr>"
                                                           for i in range(60)) + "</table>",
     _ssn(59), "ssn (table)"),  # a header row of td cells
    ("<table><tr><th><b>Name</b></th><th><b>SSN</b></th></tr>" + "".join(
        f"<tr><td><a href='#'>{_name(i)}</a></td><td><span>{_ssn(i)}</span></td></tr>" for i in range(60))
     + "</table>", _ssn(59), "ssn (table)"),  # inline tags in the cells
    ("<table><tr><th colspan='2'>Employee</th><th>SSN</th></tr>" + "".join(
        f"<tr><td>{_FIRST[i % 6]}</td><td>{_LAST[i % 6]}</td><td>{_ssn(i)}</td></tr>" for i in range(60))
     + "</table>", _ssn(59), "ssn (table)"),  # colspan keeps the columns in place
    ("<table><tr><th>Name</th><td>Jane Doe</td></tr><tr><th>Title</th><td>Engineer</td></tr>"
     "<tr><th>Salary</th><td>182000</td></tr></table>", "182000", "salary (record)"),  # label + value rows
]


@pytest.mark.parametrize("text,value,detector", HTML, ids=[f"html{i}" for i in range(len(HTML))])
def test_html_table_cells_get_their_column_header(text, value, detector):
    confidential(text, value, detector)


def test_every_row_of_a_long_html_table_is_found():
    text = _html("SSN", _ssn)
    res = tag_sensitivity(text, DEFAULT)
    got = {text[f.start:f.end] for f in res.findings if f.detector == "ssn (table)"}
    assert got == {_ssn(i) for i in range(60)}


# --------------------------------------------------------------------------------------
# 3. Pay words of the salary detector in more languages (prose, with a currency).

PROSE = [
    ("Lo stipendio di Giulia Bianchi è di 42.000 € lordi.", "42.000 €"),
    ("La retribuzione annua di Marco Rossi è 55.000 EUR.", "55.000 EUR"),
    ("O salário de João Silva é R$ 8.500 por mês.", "$ 8.500"),
    ("Het salaris van Jan de Vries is € 52.000 per jaar.", "€ 52.000"),
    ("Het loon van Pieter Jansen is 3.200 euro per maand.", "3.200 euro"),
    ("Wynagrodzenie Jana Kowalskiego wynosi 8000 zł miesięcznie.", "8000 zł"),
    ("Pensja Anny Nowak to 9 500 PLN brutto.", "9 500 PLN"),
    ("Das Jahresgehalt von Hans Meier beträgt 78.000 Euro.", "78.000 Euro"),  # "gehalt" deep in the word
]


@pytest.mark.parametrize("text,value", PROSE, ids=[t[:30] for t, _ in PROSE])
def test_pay_words_in_more_languages(text, value):
    confidential(text, value, "salary")


@pytest.mark.parametrize("text,value", [
    ("Jane Doe, salary: 182000, start date 2021.", "182000"),
    ("Jane Doe - Gehalt: 78.000", "78.000"),
    ("Update for Jane Doe: base pay = 95,000 from March", "95,000"),
])
def test_a_bare_number_as_a_pay_keys_value_in_a_sentence_with_a_name(text, value):
    hits = confidential(text, value, "salary")
    assert any(text[f.start:f.end] == value for f in hits)


@pytest.mark.parametrize("text", [
    "Salary: 2024 review for Jane Doe",  # a year
    "Jane Doe max salary: 182000",  # a limit
    "Average Salary: 52000 in Los Angeles",  # no person
    "Senior Engineer salary: 150000",
    "Our salary: 150000 for the New York office.",
    "Jane Doe salary: 45",  # below 1,000
    "Jane Doe salary: 182000%",
])
def test_a_bare_number_after_a_pay_word_needs_a_person_and_a_plausible_amount(text):
    public(text)


# --------------------------------------------------------------------------------------
# 4. Negatives: limits, statistics, products, years, ids without a person.

NEGATIVES = [
    "max_salary_filter: 100000",
    "name: payroll-service\nmax_salary_filter: 100000\nmin_salary: 30000",
    "salary: 182000",  # no person
    '{"name": "Jane Doe", "pay_rate": 45}',  # below 1,000
    '{"name": "my-app", "salary": 50000}',  # no person's name
    '{"name": "widget", "wage_index": 1200}',
    "Product | Wage index\n--|--\nWidget A | 1200",
    "name: Jane Roe\nsalary_year: 2024",
    "name: Jane Roe\nbonus: 2024",  # a bare year
    "name,salary\nJane Doe,2020\n",
    "City,Average salary\nNew York,85000\nSan Francisco,95000\n",
    "Level,Salary\nSenior Engineer,150000\nStaff Engineer,190000\n",
    "Name,Salary\nTotal,500000\nAverage,85000\n",
    "State,Name,Wage\nCA,Los Angeles,16000\n",
    "Department,Staff,Total Salary\nSales,12,1200000\n",
    "Employee count: 5000\nSalary budget: 100000000",
    "### Compensation\nSalary: 182000\nBonus: 20000",
    "Name: Jane Roe\nTeam: Sales\nStart: 2021",
    "<table><tr><th>Product</th><th>Wage index</th></tr>" + "".join(
        f"<tr><td>Widget {i}</td><td>{1000 + i}</td></tr>" for i in range(60)) + "</table>",
    "<table><tr><th>Year</th><th>Average salary</th></tr>" + "".join(
        f"<tr><td>{1990 + i}</td><td>{50000 + i * 100}</td></tr>" for i in range(30)) + "</table>",
    "<table><tr><th>Phone model</th><th>Price</th></tr><tr><td>Pixel 8</td><td>699</td></tr></table>",
    "<table><tr><th>Port</th><th>Service</th></tr><tr><td>8080</td><td>tel gateway</td></tr>"
    "<tr><td>443</td><td>ssn lookup api</td></tr></table>",
    "<p>Our salary policy: <td>see below</td></p>",
    "<table><tr><th>Name</th><th>Role</th></tr><tr><td>Jane Doe</td><td>Engineer</td></tr></table>",
    "The salary range is $100k-$120k, the bonus 10%.\nPay is monthly, bonus yearly.",
    "Il Salone del Mobile apre il 14 aprile; il biglietto costa 35 €.",
    "The loon is a bird; a balloon costs $5.",
]


@pytest.mark.parametrize("text", NEGATIVES, ids=[t[:30] for t in NEGATIVES])
def test_ordinary_structured_text_stays_public(text):
    public(text)


# --------------------------------------------------------------------------------------
# 5. The parts.


@pytest.mark.parametrize("value,ok", [
    ("182000", True), ("182,000", True), ("182.000", True), ("182 000", True), ("$182,000", True), ("182k", True),
    ("182000 EUR", True), ("€ 42.000", True), ("8000 zł", True), ("182000.00", True), ("$95,000/yr", True),
    ("1000", True), ("10000000", True), ("2024", False), ("1995", False), ("$2024", True), ("999", False),
    ("45", False), ("45.50", False), ("10000001", False), ("20m", False), ("n/a", False), ("182000 apples", False),
    ("12-34-56", False), ("1.2.3", False),
])
def test_pay_amount(value, ok):
    from hrouter.signals.detectors.structured import _pay_amount

    text = f"x {value}\n"
    assert bool(_pay_amount(text, 2, 2 + len(value), False)) is ok


@pytest.mark.parametrize("key,pay,who", [
    ("Salary", True, 0), ("annual salary", True, 0), ("Base Pay", True, 0), ("pay rate", True, 0),
    ("total comp", True, 0), ("Gehalt", True, 0), ("Stipendio", True, 0), ("Wynagrodzenie", True, 0),
    ("employee salary", True, 2), ("max salary filter", False, 0), ("Average salary", False, 0),
    ("wage index", False, 0), ("salary band", False, 0), ("Name", False, 1), ("first name", False, 1),
    ("Nome", False, 1), ("Imię", False, 1), ("Employee", False, 2), ("employee ID", False, 2),
    ("Employee count", False, 0), ("product name", False, 0), ("Dept", False, 0),
])
def test_pay_role(key, pay, who):
    from hrouter.signals.detectors.structured import _pay_role

    assert _pay_role(key) == (pay, who)


def test_hint_answers_true_wherever_a_view_could_start():
    """The cheap check is a superset of what views() looks at, for the new shapes too
    (quoted keys, keys inside a line, XML attributes, HTML cells)."""
    from hrouter.signals.detectors import structured
    from hrouter.signals.sensitivity import _fold

    words = ["salary", "Salary", "gehalt", "Stipendio", "total_comp", "pay_rate", "loon", "pensja", "name", "Jane Roe",
             "ssn", "SSN", "passport", "tel", "<th>", "</th>", "<td>", "</td>", "<tr>", "<table>", "<b>", "</b>",
             "182000", "the"]
    seps = [" ", "", ": ", "=", '="', '"', "'", ",", ";", "|", "\t", "\n", "<", ">", "{", "}", "_", "-", ", "]
    rng = random.Random(11)
    checked = 0
    for _ in range(3000):
        text = "".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 8)))
        norm = _fold(text)[0]
        tag_sensitivity(text, DEFAULT)
        found = structured._occurrences(norm) or []
        ctx = structured._context(norm)
        if any(structured._classify(norm, p, w, ctx) for w, positions in found for p in positions):
            checked += 1
            assert structured.hint(norm), text
    assert checked > 300


def test_the_pay_words_lower_case_twin_matches_like_the_pattern():
    from hrouter.signals import sensitivity as sens
    from hrouter.signals.detectors import contextual

    rx, twin = contextual._R.pay, contextual._R.pay_lc
    words = ["stipendio", "Stipendio", "retribuzione", "salário", "salario", "salaris", "loon", "Loon", "balloon",
             "wynagrodzenie", "wynagrodzenia", "pensja", "pensji", "Pensję", "salary", "xsalaris", "loons", " ", "-"]
    rng = random.Random(5)
    for _ in range(2000):
        text = "".join(rng.choice(words) for _ in range(rng.randint(1, 6)))
        lc = sens._match_copy(text)
        if lc is None:
            continue
        assert [m.span() for m in rx.finditer(text)] == [m.span() for m in twin.finditer(lc)], text


@pytest.mark.parametrize("make", [
    lambda: "<td>" * 25000,
    lambda: "<th>ssn</th>" * 8000,
    lambda: "<table><tr><th>ssn</th><th>salary</th></tr>" + "<tr><td>x</td><td>1</td>" * 6000,
    lambda: "<td>salary</td></table>" * 4400,
    lambda: "<tr><th>ssn</th></tr></table><table>" * 2800,
    lambda: "<table>" + "<tr><td>salary</td>" * 5000,
    lambda: "<td><b><i><u><span>salary " * 4000,
    lambda: '"salary": ' * 10000,
    lambda: "salary:" * 14000,
    lambda: '<x salary="' * 9000,
    lambda: "name: Jane Doe\nsalary: 182000\n" * 3500,
    lambda: '{"name": "Jane Doe", "salary": 182000}, ' * 2500,
    lambda: "name,salary\n" + "Jane Doe,182000\n" * 6000,
    lambda: "1,000," * 16000 + "salary: 1",
])
def test_adversarial_shapes_stay_fast(make):
    text = make()
    best = 9.0
    for _ in range(3):  # the best of three: the machine may be shared
        t0 = time.process_time()  # CPU time: the machine may be busy
        res = tag_sensitivity(text, DEFAULT)
        best = min(best, time.process_time() - t0)
    assert best < 0.5, (best, text[:40], res.tier)


def test_an_inline_value_cut_at_a_thousands_comma_takes_its_groups_back():
    from hrouter.signals.detectors.structured import _pay_amount

    text = "Name: Jane Doe, Salary: 182,000, Dept: R&D"
    vs = text.index("182")
    assert _pay_amount(text, vs, vs + 3, True) == vs + 7  # "182" as the inline pair read it
    assert _pay_amount(text, vs, vs + 3, False) == 0


def test_a_key_inside_an_html_cell_is_still_read_as_a_key():
    # the cell's table is examined for its header, and the compound key in the cell's own text too
    text = "<table><tr><th>Field</th><th>Value</th></tr><tr><td>patient</td><td>date_of_birth: 1980-04-02</td></tr>" \
           "</table>"
    confidential(text, "1980-04-02", "date_of_birth (record)")


# ---- prose salaries: pay verbs need the amount right after them, "paid" must be pay received,
# companies and towns are no persons (false positives seen on RouteLLM's GSM8K/MMLU prompts)

@pytest.mark.parametrize("text", [
    "If he also paid $250 000 for the remaining loan amount of the house, how much is Mr. Tan's net proceeds?",
    "How much commission will he earn in total from the sales of 6 copies of the New York Times and 10 "
    "copies of Wall Street Journal if each costs $5 and $15 respectively?",
    "Every time Mr. Hamm makes another pizza in his shop, he places $0.45 worth of sauce on top.",
    "In the current year Poplar City paid $5000 interest and $20000 principal on its outstanding bonds.",
    "Lind Co.'s salaries expense of $10,000 is paid every other Friday for the 10 workdays then ending.",
])
def test_payments_and_companies_are_no_ones_salary(text):
    res = tag_sensitivity(text, SensitivityConfig())
    assert "salary" not in {f.detector for f in res.findings}, res.findings


@pytest.mark.parametrize("text,amount", [
    ("Jane Doe earns $145,000 a year.", "$145,000"),
    ("Jane Doe is paid $90k.", "$90k"),
    ("Acme paid Jane Doe $120,000 last year.", "$120,000"),
    ("Jane Doe was paid $4,000 a month.", "$4,000"),
    ("Jane Doe makes about 95k.", "95k"),
    ("Jane Doe, who joined in 2019, earns, after the latest raise, $185,000.", "$185,000"),
    ("Hans Meier verdient 78.000 Euro im Jahr.", "78.000 Euro"),
    ("Ana García cobra 3.000 € al mes.", "3.000 €"),
])
def test_pay_verbs_with_the_amount_after_them_are_a_salary(text, amount):
    res = tag_sensitivity(text, SensitivityConfig())
    f = next(f for f in res.findings if f.detector == "salary")
    assert text[f.start:f.end] == amount and amount not in f.masked
