"""The structured pass: tables and keyed records re-scanned as ``key: value`` views.

The context-word detectors (SSN without dashes, dates of birth, MRNs and member ids,
passports, national ids, national phone numbers, a named person's salary, plates) need their
context word close to the value, as a whole word. Structured data breaks that: a CSV or
markdown table names the column once in its header, lines or cells away from the values; a
key is ``medical_record_number`` or ``dateOfBirth`` (no whole word ``medical record`` or
``birth``); an XML element puts ``>`` between the key and its value; a record puts the
person's name and their salary on separate lines. This pass renders such data as synthetic
text in which each value follows its humanised key, re-runs the detectors on it and maps
every hit back to the prompt.

What is rendered (each structure found around an occurrence of a context word; see
:func:`views`):

``table``
    A delimited block (``|`` markdown/ASCII tables, TSV, ``;`` and ``,`` CSV with
    double-quoted fields) of at least two lines whose header row names a context column
    (``SSN``, ``dob``, ``Medical Record Number``, ``password``, ``Salary``, ...). Each data row
    becomes one line: ``Name: Jane Roe, SSN: 123456789, DOB: 1980-04-02`` -- cells of the
    context columns (and owner/keeper columns) with their humanised header, the others as bare
    values, so a name and a salary of one row stand in one sentence (in a table with a pay
    column the person columns -- ``Name``, ``Employee`` -- keep their header too). CSV and ``;``
    rows must have as many fields as the header; ``|`` and tab rows may be ragged (cells past
    the header are bare values). Delimiter rows (``|---|:--:|``), box borders (``+----+``)
    and psql's rule under its header (``----+------+----``; psql's default output, the ``(2
    rows)`` footer ends the table) are skipped.

    An HTML table, when a trigger word is in the text of a ``<th>``/``<td>`` cell (inline tags
    such as ``<b>`` around it allowed): the whole table (``<thead>``/``<tbody>``, attributes,
    ``colspan``, any number of rows; the header is the first row of ``th`` cells, else the first
    row) is rendered the same way, one line per row; a table of ``th`` label + ``td`` value rows
    is rendered as one record.
``table`` (SQL)
    ``INSERT INTO t (name, salary) VALUES ('Jane Roe', 182000), (...)`` when a pay word is in
    the column list: the columns are the header, each value tuple a row (see :func:`_sql_insert`).
``record``
    Keyed data: ``key: value`` / ``key = value`` / ``"key": "value"`` / ``<key>value</key>`` /
    ``<x name="key" value="..."/>``. Rendered when a key holding a context word is compound
    (``medical_record_number``, ``dateOfBirth``, ``passport-no`` -> ``medical record number``,
    ``date of birth``, ``passport no``), is an XML tag or attribute, or is a pay/plate key
    (``Salary:``, ``Plate:``; also inside a line, ``{"name": "Jane Roe", "salary": 182000}``,
    and as an XML attribute) in a block of at least two consecutive key lines (no blank line
    between; up to :data:`MAX_RECORD_LINES` either way, plus a short heading line above it such
    as ``## Jane Roe``). The block's pairs are joined into one line (a new line at each YAML list
    item or section key), so ``Employee: Jane Roe`` / ``Salary: $182,000`` become one sentence.
    Keys holding a credential word keep their joined form (``api_key``, ``db_password``), which
    is how the ``api_key`` detector reads an assignment. Known acronyms are upper-cased
    (``ssn`` -> ``SSN``, ``nhs`` -> ``NHS``), as some context words are case-sensitive.
    In code (see :func:`_code_pay`): an SQL ``UPDATE ... SET salary = 182000 WHERE name =
    'Jane Roe'`` (the statement's ``key = literal`` pairs, one line), and a pay key assigned a
    dict keyed by names (``salaries = {'Jane Roe': '$182,000'}``: one line ``name: Jane Roe,
    salaries: $182,000`` per entry).

A person's pay as a bare number (``182000``, ``78.000``, ``182k``) is no amount for the
``salary`` detector (it needs a currency or ``k`` in a sentence with a name). The pass finds it
on the structure itself (:func:`_pay_hits`): a value of 1,000 to 10,000,000 (not a bare year
1990-2030) under a pay key (salary, base/annual pay, pay rate, wage, compensation, total comp,
bonus; as whole words ``Pay``, ``CTC``, ``OTE``, and ``income``, ``hourly rate`` -- an hourly
key takes 5 and up; Gehalt, Lohn, salaire, rémunération, sueldo, salario, nómina, stipendio,
retribuzione, salário, salaris, loon, wynagrodzenie, pensja) that is no limit or statistic (``max_salary``,
``Average salary``, ``wage index``: :data:`_PAY_NOT`), in a row or record that also names a person:
a name key with a name (``Name``, ``first_name``, ``Nome``, ``Naam``, ``Imię``, ...), a key for a
person (``Employee``, ``Mitarbeiter``, ``employee_id`` with a letter in it), a record's heading
that is a name, or the pay key itself (``employee_salary``). These hits are reported by the
view's ``salary`` re-scan.

Empty cells and placeholder values (``n/a``, ``unknown``, ``-``, ...; :data:`_NO_VALUE`) are left
out, so a context word never reaches the next cell's value instead. Structures are separated in
a view by more blank text than any detector looks across.

Values are copied verbatim, so a hit inside a value maps character for character to the
prompt; a hit that touches synthetic text (a key, a separator) maps to the span of the
value(s) it covers, else to the header cell or key it came from. Findings carry the detector's
name suffixed with the view kind (``ssn (table)``, ``passport (record)``) and ``; table view``
/ ``; record view`` appended to the verdict. A view is re-scanned only by the built-in
detectors whose context words its keys hold (an ``SSN`` column: ``ssn``; ``Salary``:
``salary``; ``password``: ``api_key``; see :data:`_FAMILY_SOURCES`) and by the policy's custom
rules: the others would only repeat the plain scan's findings.

Cost: :func:`hint` runs on every prompt. It reads the trigger words the tagger's Aho-Corasick
pass already found (one dictionary lookup; the words join that pass's automaton on first use,
one rebuild per process) and looks at the characters around each: a word between prose
boundaries (blanks, punctuation) is done after a character test; otherwise one regex tells a
compound key, one ``rfind`` a tag name; each line holding a trigger word is tested once for a
table header (it and the next line share a delimiter, it is no sentence; a text without ``|``
or tab needs no further look at a line that ends a sentence). Words common in prose trigger
only in the shape the detectors need (``policy number``, ``member_id``, ``base pay``; see
:func:`_joined`). On ``bench/sensitivity.py``'s corpora this is about 1-2.5 % of the tagger's
instructions (counted with callgrind), and no view is built. Only when :func:`hint` passes
does :func:`views` parse, and only the structures around those words. Patterns compile on
first use. A table of thousands of rows with a context column costs about as much again as
the plain scan (every row's value now has its context word).

Re-scanning a view costs per detector: a view with the columns of several weak shapes
(``SSN``, ``DOB``, ``Passport``, ``Phone``) is re-scanned by each of their detectors without
the pairs under the others' keys (bare cells and name, pay, owner columns stay: their words
are context; :meth:`View.narrow`), and the ``salary`` detector skips the lines whose amounts
the structure itself already gave (:func:`_unpaid`); a value found twice in a view is mapped
once.

Caps (fail closed; only blow-ups trip them, a real table scales with its rows): the values
copied into the views of a prompt total at most ``2 * len(text) + 4096`` characters
(:data:`MAX_VIEW_FACTOR`, :data:`MAX_VIEW_SLACK`: the same text rendered again and again), the
views at most ``8 * len(text) + 16384`` (:data:`MAX_VIEW_TOTAL_FACTOR`,
:data:`MAX_VIEW_TOTAL_SLACK`: a row repeats its header's keys, so ``8,26`` under
``length,password_entropy_bits`` renders 6x its size; separators between structures not
counted), and the structures number at most ``max(MAX_BLOCKS, len(text) // MAX_BLOCK_CHARS)``
(1024, or one per 48 characters: a small HTML table is about 80). Past one, :func:`views` raises
:class:`StructuredCapExceeded` and the prompt is ``confidential`` with the error
``structured: StructuredCapExceeded: ...``. Lines longer than :data:`MAX_LINE` characters are
not read as table or key lines (only compound keys and tags within :data:`MAX_REACH`
characters of the context word are).

``comp`` and ``base`` alone are no pay words (comparison, component, competition; a base value,
base64, database): ``total comp``, ``base pay``, ``base salary`` are.

A pay key opening an object or a section (``{"employee": "Jane Roe", "compensation": {"base":
150000, "bonus": 15000}}``; YAML ``compensation:`` then indented ``base: 150000``, or a flow
mapping ``compensation: {base: 150000}``; pretty-printed JSON, where a line that only closes
an object, ``},``, does not end such a record) renders its keys under it (``compensation
base: 150000``, ``compensation currency: USD`` -- a statistic key, no pay) on the record's
line: the amounts are a person's pay when the record names one (:func:`_pay_objects`,
:func:`_record_block`). A dict under a pay key is read as names to amounts only when a key of
it may be a name. A record of pay keys alone (``Salary: 1`` / ``Salary: 2`` ...: no person, no
heading, no other key) is not rendered, and such view lines are not re-scanned
(:func:`_pay_only`): the plain scan sees everything they hold.

Not covered: a bare amount whose person is known only by a number (``1234``), a
quoted CSV field spanning lines, old Mac ``\\r``-only line ends, a header
whose context word is not one of the trigger words (:data:`_WEAK_WORDS`, :data:`_JOIN_WORDS`,
:data:`_CRED_WORDS`; e.g. ``SIN``, left out as ``sin`` is in too many words), keys written
without any separator (``dateofbirth``).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

# imported when the structured pass first runs, after the sensitivity module
from hrouter.signals.sensitivity import _DETECTORS, _full_hit, _lower, _needle_state, _register_needles

__all__ = ["StructuredCapExceeded", "View", "hint", "rescan", "views"]

#: Value characters copied into the views: MAX_VIEW_FACTOR * len(text) + MAX_VIEW_SLACK (a
#: value is the prompt's own text; past this the same text is rendered over and over).
MAX_VIEW_FACTOR = 2
MAX_VIEW_SLACK = 4096
#: All view characters (values, keys, separators): MAX_VIEW_TOTAL_FACTOR * len(text) +
#: MAX_VIEW_TOTAL_SLACK. A table's row repeats its header's keys, so a real table of short cells
#: under long headers renders several times its size (``8,26`` under ``length,password_entropy_bits``:
#: ``8, password_entropy_bits: 26``, 6x); only a header of long context names over one-character
#: cells passes this.
MAX_VIEW_TOTAL_FACTOR = 8
MAX_VIEW_TOTAL_SLACK = 16384
#: Structures (tables, records) rendered per prompt: at least MAX_BLOCKS, one per
#: MAX_BLOCK_CHARS characters of text in a longer prompt (a small table is about that long).
MAX_BLOCKS = 1024
MAX_BLOCK_CHARS = 48
#: A longer line is no table row or key line.
MAX_LINE = 16384
#: Key lines joined into one record, each way from the context word's line.
MAX_RECORD_LINES = 32
#: Inline pairs (JSON on one line, XML) read this far either side of the context word.
MAX_REACH = 600

#: Between two structures in a view: more blank than any detector's look-around (the widest,
#: unreleased financials, looks 150 characters either way; contextual values, two line breaks).
_PAD = "\n\n\n" + " " * 160 + "\n\n\n"

# ---- trigger words: lower-case substrings found by the tagger's Aho-Corasick pass. Every
# key pattern below (_FAMILY_SOURCES) matches only keys holding one of them (a test checks it).

def _joined(words: tuple[str, ...], tails: tuple[str, ...]) -> tuple[str, ...]:
    """Each word followed by each tail, joined by a space, ``_``, ``-`` or nothing
    (``policy n`` ``policy_n`` ``policy-n`` ``policyn``): a word that alone is common prose
    triggers only in the key shape the detector needs (``policy number``, ``policyNo``)."""
    return tuple(w + sep + t for w in words for t in tails for sep in (" ", "_", "-", ""))


#: Context words of the weak shapes: SSN, date of birth, medical/member ids, passport, phone,
#: national ids.
_WEAK_WORDS = (("ssn", "sozialvers", "sv-nummer", "sv nummer", "svnummer", "sécurit", "securit", "seguro")
               + _joined(("social",), ("sec", "ins"))
               + ("dob", "d.o.b", "birth", "born", "geburt", "geboren", "geb.", "naissance", "nacimiento", "nacid",
                  "mrn", "medical", "patienten", "membership", "medicare", "medicaid", "versicher", "mitglied",
                  "fallnummer", "dossier", "historia", "afiliad", "afiliaci", "asegurad", "póliza", "poliza",
                  "tarjeta", "nhc", "kvnr")
               + _joined(("patient", "member", "subscriber", "policy", "insurance", "hospital", "chart",
                          "beneficiary"), ("id", "num", "nr", "no", "#"))
               + _joined(("health",), ("plan", "serv"))
               + ("passport", "passeport", "passnummer", "pass-n", "pass_n", "pass n", "passnr", "passno", "pasaporte",
                  "reisepass", "phone", "tel", "tél", "mobil", "cell", "fax", "handy", "móvil", "movil", "celular",
                  "landline", "portable", "nhs", "nir", "insee", "vitale", "bsn", "burgerservice", "pesel", "aadha",
                  "adhaar", "personnummer", "samordning", "steuer", "idnr")
               + _joined(("sofi",), ("nummer",)) + _joined(("tax",), ("id",))
               # bank accounts that are not IBANs (detectors.bank)
               + _joined(("account", "acct"), ("num", "no", "nr", "#"))
               + ("kontonummer", "konto-nr", "kontonr", "sort code", "sort_code", "sortcode", "routing", "blz",
                  "rekeningnummer", "numer konta", "numéro de compte", "numero de compte", "número de cuenta",
                  "numero de cuenta", "numero di conto", "número da conta", "numero da conta"))
#: Pay and plate words: a record whose person or owner sits on another line of the record.
_JOIN_WORDS = (("salar", "salaire", "wage", "compensation", "bonus", "gehalt", "lohn", "sueldo", "earning", "nómina",
                "nomina", "retribuci", "rémun", "remun", "plate", "registration", "kennzeichen", "nummernschild",
                "immatricul", "plaque", "matrícula", "matricula",
                # pay in IT/PT/NL/PL: stipendio, retribuzione, salário, salaris (salar), loon, wynagrodzenie, pensja
                "stipend", "retribuz", "salári", "loon", "wynagrodz", "pensj")
               + _joined(("base", "annual", "gross", "net", "monthly", "hourly"), ("pay",))
               + _joined(("pay",), ("rate",)) + _joined(("total",), ("comp",))
               # a person's pay under short keys: Pay, CTC (cost to company), OTE (on-target
               # earnings), income, hourly rate (whole words only: see _WHOLE_WORDS)
               + ("pay", "ctc", "ote", "income") + _joined(("hourly",), ("rate",)))
#: Credential words: only tables and XML need a view (assignments are the api_key detector's own).
_CRED_WORDS = ("password", "passwd", "passwort", "passphrase", "pwd", "secret", "token", "credential", "apikey",
               "api_key", "api-key", "api key", "access_key", "accesskey", "access key", "access-key",
               "private_key", "privatekey", "private key", "private-key", "kennwort", "contrase", "mot de passe",
               "mot_de_passe", "mot-de-passe")

_WEAK, _JOIN, _CRED = 0, 1, 2

#: Per detector, the keys (humanised, lower-case, words separated by one space) whose values it
#: may read in a view; each alternative holds a trigger word of its category.
_FAMILY_SOURCES: dict[str, str] = {
    # weak shapes
    "ssn": r"ssns?|social security|\w*sozialversicherung\w*|sv ?-?nummer|s[ée]curit[ée] sociale|seguro social",
    "date_of_birth": r"dob|d\.o\.b\.?|\w*birth\w*|born|\w*geburt\w*|geboren|geb\.|\w*naissance|\w*nacimiento"
                     r"|nacid[oa]",
    "medical_id": r"mrns?|medical record\w*|patient ?(?:id|number|no|nr|#)|patienten\w*"
                  r"|member(?:ship)? ?(?:id|number|no|#)|memberid|subscriber ?(?:id|number|no)|policy ?(?:number|no|#)"
                  r"|insurance ?(?:id|number|no|#)|medicare\w*|medicaid\w*|hospital ?(?:number|no|id)"
                  r"|chart ?(?:number|no)|beneficiary ?(?:id|number)|health plan ?(?:id|number)|\w*versicher\w*"
                  r"|mitglied\w*|fallnummer|dossier\w*|historia\w*|afiliad[oa]|afiliaci[óo]n|asegurad[oa]|p[óo]liza"
                  r"|tarjeta sanitaria|nhc|kvnr",
    "passport": r"\w*passport\w*|passeport|passnummer|pass ?n[ro]\.?|pasaporte|\w*reisepass\w*",
    "phone": r"\w*phone\w*|tel|tel\.|\w*telef\w*|t[ée]l[ée]phone|t[ée]l\.?|mobile?|mobil\w*|cell|cellular|fax"
             r"|handy\w*|m[óo]vil|celular|landline|portable",
    "national_id": r"nhs|health service ?(?:number|no)?|nir|insee|carte vitale|vitale|bsn|burgerservice\w*"
                   r"|sofi ?-?nummer|pesel|aadh?aa?r|adhaar|personnummer|samordningsnummer|\w*steuer\w*|idnr|tax ?id"
                   r"|social security|s[ée]curit[ée] sociale",
    "bank_account": r"(?:bank ?)?(?:account|acct) ?(?:number|num|no|nr|#)\.?|\w*kontonummer|konto ?-?nr\.?|kontonr"
                    r"|sort ?codes?|routing ?(?:number|no|#)?|blz|rekeningnummer|num[ée]ro de compte"
                    r"|n[úu]mero de (?:cuenta|conta)|numero di conto|numer konta",
    # pay and plate words
    "salary": r"\w*salar\w*|salaire|wages?|\w*compensation|bonus\w*|\w*gehalt\w*|\w*lohn|sueldo\w*|earnings?"
              r"|pay|ctc|ote|incomes?|hourly ?rates?"
              r"|(?:base|annual|gross|net|monthly|hourly) ?pay|pay ?rates?|total ?comp|n[óo]mina|retribuci[óo]n"
              r"|r[ée]mun[ée]ration|stipendi?o?|retribuzione|\w*sal[áa]ri[oa]s?|(?:bruto|netto|jaar|maand|uur)?loon"
              r"|wynagrodzeni[ae]|pensj[aei]",
    "vehicle_plate": r"\w*plates?|registration\w*|kennzeichen|nummernschild|immatriculation|plaque|matr[íi]cula",
    # credentials
    "api_key": r"\w*pass(?:word|wd|phrase|wort)\w*|pwd|\w*secrets?|\w*token|credentials?|api ?-?key|apikey"
               r"|access ?-?key|accesskey|private ?-?key|privatekey|kennwort|contrase[ñn]a|mot de passe",
}
_FAMILY_CATEGORY = {"salary": _JOIN, "vehicle_plate": _JOIN, "api_key": _CRED}

_KEY_SOURCES = {
    "weak": "|".join(v for k, v in _FAMILY_SOURCES.items() if k not in _FAMILY_CATEGORY),
    "join": _FAMILY_SOURCES["salary"] + "|" + _FAMILY_SOURCES["vehicle_plate"],
    "cred": _FAMILY_SOURCES["api_key"],
    "owner": (r"owner\w*|owned by|keeper|driver|holder|halter\w*|besitzer\w*|fahrer\w*|propri[ée]taire|titulaire"
              r"|conducteur|propietari[oa]|titular|conductor"),
}

_ACRONYMS = frozenset({"ssn", "dob", "mrn", "nhs", "chi", "nir", "insee", "nhc", "ipp", "kvnr", "bsn", "sin", "nas",
                       "tin", "idnr", "pesel", "nie", "dni", "uidai", "iban", "bic"})

#: The rest of a key token after a trigger word, then the key's separator ("_number:", "Id\": ",
#: "_no (home) =").
_KEY_REST = r"[\w.\-]{0,64}[\"']?(?:[ \t]+[^\W\d][^\n:=<>\"\d]{0,23}?)??[ \t]*(?::=|=>|:(?![:/\\])|=(?![=>]))"

_SOURCES: dict[str, tuple[str, int]] = {
    # a key token: letters, digits, _ - . (the part before a position: matched on the reversed text)
    "token": (r"[\w\-.]*", 0),
    "tag_name_part": (r"[A-Za-z_][\w.\-]*(?::[\w.\-]*)?", 0),
    # up to three words and a list/bold/quote opener before a key word at a line start
    "key_head": (r"[ \t]*(?:[-*+•>][ \t]+)?(?:\*\*|__)?[\"']?(?:[^\W\d][\w.\-']*[ \t]+){0,3}", 0),
    # a key line: key (a letter first, at most 64 characters, no : = < > "), separator, value
    "key_line": (r"[ \t]*(?P<item>[-*+•>][ \t]+)?(?:\*\*|__)?(?P<q>[\"']?)(?P<key>[^\W\d][^\n\r:=<>\"]{0,63}?)(?P=q)"
                 r"(?:\*\*|__)?[ \t]*(?::=|=>|:(?![:/\\])|=(?![=>]))(?:\*\*|__)?[ \t]*(?P<val>[^\n]*)", 0),
    # a key separator right after a key token (an optional closing quote first)
    "key_sep": (r"[\"']?[ \t]*(?::=|=>|:(?![:/\\])|=(?![=>]))", 0),
    # a compound key around a trigger word, then its separator: joined right before the word
    # (matched at its start), or at or after its last letter (matched there; see _char_flags)
    "joint_before": (r"(?:(?<=[_\-])(?<=[A-Za-z0-9][_\-])|(?<=[a-z0-9])(?=[A-Z]))" + _KEY_REST, 0),
    "joint_after": (r"(?=[A-Za-z0-9]{0,40}?(?:[_\-][A-Za-z0-9]|[a-z0-9][A-Z]))" + _KEY_REST, 0),
    # a key opening an object ("compensation": {, compensation = {)
    "pay_object": (r"(?<![\w.\-\"'])(?P<q>[\"']?)(?P<key>[A-Za-z_][\w.\-]{0,63})(?P=q)[ \t]*(?::|=>?)[ \t]*\{", 0),
    # pairs inside a line (JSON/YAML flow/INI on one line)
    "inline_pair": (r"(?<![\w.\-\"'])(?P<q>[\"']?)(?P<key>[A-Za-z_][\w.\-]{0,63})(?P=q)[ \t]*"
                    r"(?::=|=>|:(?![:/\\])|=(?![=>]))[ \t]*"
                    r"(?:\"(?P<dq>[^\"\n]{1,400})\"|'(?P<sq>[^'\n]{1,400})'"
                    r"|(?P<bare>[^\s,;{}\[\]\"'<>=][^,;{}\[\]\n\"'<>=]{0,200}?))(?=[ \t]*(?:[,;}\]<]|\r?\n|$))", 0),
    # an XML/HTML opening tag (group 1: name, 2: attributes, 3: "/" when self-closing)
    "tag": (r"<([A-Za-z_][\w.\-]{0,63}(?::[A-Za-z_][\w.\-]{0,63})?)((?:[ \t\r\n][^<>]{0,400}?)?)(/?)>", 0),
    "attr": (r"([A-Za-z_][\w.\-:]*)[ \t\r\n]*=[ \t\r\n]*(?:\"([^\"<>]{0,400})\"|'([^'<>]{0,400})')", 0),
    # a markdown delimiter row and an ASCII box border
    "md_rule": (r"[ \t]*\|?(?:[ \t]*:?-{1,}:?[ \t]*\|)+(?:[ \t]*:?-{1,}:?[ \t]*)?[ \t]*", 0),
    "thousands": (r"\d,\d{3}(?![\d])", 0),  # an unquoted thousands separator in a CSV row
    # (psql's rule under its header, "----+-----+---", is one too: a table of | rows around it)
    "box_rule": (r"[ \t]*(?:\+[-=+: ]*\+|-+(?:\+-+)+)[ \t]*", 0),
    # humanising a key
    "camel": (r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", 0),
    "key_seps": (r"[_\-\s]+", 0),
    "letter": (r"[^\W\d_]", 0),
    # a cell of a comma/semicolon line that opens like prose
    "prose_cell": (r"(?:^|[,;])[ \t]*(?:and|or|but|the|a|an|then|so|which|that|with|for|to|is|are|was|i|we|you)\b",
                   re.I),
    "digits4": (r"\d{4}", 0),
    # the rest of a pay key token, then its separator (see _inline_key)
    "inline_key": (r"[\w.\-]{0,40}[\"']?[ \t]*(?::=|=>|:(?![:/\\])|=(?![=>]))", 0),
    # a tag in or around an HTML table cell (group 1: "/" when closing, 2: the name)
    "cell_tag": (r"<(/?)([A-Za-z][A-Za-z0-9]{0,9})(?=[\s/>])", 0),
    # the structural tags of an HTML table (group 1: "/" when closing, 2: the name, 3: attributes)
    "html_tag": (r"<(/?)(table|thead|tbody|tfoot|tr|th|td)(?=[\s/>])([^<>]{0,400})>", re.I),
    "colspan": (r"colspan[ \t]*=[ \t]*[\"']?([0-9]{1,2})", re.I),
}


class _Patterns:
    """Attribute access compiles the named pattern once (the key patterns word-bounded)."""

    def __getattr__(self, name: str) -> re.Pattern[str]:
        src = _KEY_SOURCES.get(name) or _FAMILY_SOURCES.get(name[4:] if name.startswith("fam_") else "")
        if src:
            rx = re.compile(r"(?<![^\W_])(?:" + src + r")(?![^\W_])")
        else:
            src, flags = _SOURCES[name]
            rx = re.compile(src, flags)
        setattr(self, name, rx)
        return rx


_R = _Patterns()


class StructuredCapExceeded(Exception):
    """The views would exceed :data:`MAX_BLOCKS` structures or the size cap (fail closed)."""


class View:
    """One kind of view of a prompt: ``text`` (the rendered structures) and the segments that
    map it back. ``segs`` holds ``(view_start, view_end, norm_start, norm_end, is_value)`` in
    view order; a value segment's text is ``norm[norm_start:norm_end]`` verbatim, a key
    segment's span is the header cell or key it was rendered from. ``families``: the built-in
    detectors whose context words its keys hold (the others would only repeat the plain scan).
    ``pay``: the ``salary`` hits found on the structure itself (a bare amount under a pay key
    in a record or row that names a person; see :func:`_pay_hits`)."""

    __slots__ = ("kind", "text", "segs", "starts", "families", "pay", "rows")

    def __init__(self, kind: str, text: str, segs: list[tuple[int, int, int, int, bool]],
                 families: frozenset[str] = frozenset(),
                 pay: list[tuple[int, int, str, str, str]] | None = None,
                 rows: list[tuple[int, list[tuple[str | None, int, int]]]] | None = None) -> None:
        self.kind, self.text, self.segs, self.families = kind, text, segs, families
        self.starts = [s[0] for s in segs]
        self.pay = pay or []  # bare pay amounts of a person's record, in prompt positions (see _pay_hits)
        # per view line: (structure number, [(key or None, key seg index or -1, value seg index)])
        self.rows = rows

    def narrow(self, keep) -> View | None:
        """A view of the same kind holding only the pairs ``keep(key, value start, value end)``
        accepts (``key`` None for a bare value; positions in the prompt), line by line, the
        structures still apart (None: no pair kept). A view scanned by one detector needs only
        the pairs that detector can read: a table's other columns are work, no context."""
        if self.rows is None:
            return None
        text, segs = self.text, self.segs
        parts: list[str] = []
        out: list[tuple[int, int, int, int, bool]] = []
        append, add_seg = parts.append, out.append
        at = 0
        block = -1
        for b, pairs in self.rows:
            last = ""
            first = True
            for key, ki, vi in pairs:
                vs, ve, ns, ne, _ = segs[vi]
                if not keep(key, ns, ne):
                    continue
                if first:
                    if parts:
                        sep = "\n" if b == block else _PAD
                        append(sep)
                        at += len(sep)
                    block = b
                    first = False
                else:
                    sep = " " if last in ".!?;" else ", "
                    append(sep)
                    at += len(sep)
                if ki >= 0:
                    ks, ke, kns, kne, _ = segs[ki]
                    append(text[ks:ke] + " ")
                    add_seg((at, at + ke - ks, kns, kne, False))
                    at += ke - ks + 1
                append(text[vs:ve])
                add_seg((at, at + ve - vs, ns, ne, True))
                at += ve - vs
                last = text[ve - 1]
        if not out:
            return None
        return View(self.kind, "".join(parts), out, self.families, self.pay)

    def span(self, s: int, e: int, size: int) -> tuple[int, int]:
        """The span of the prompt's normalised text (``size`` characters) that the view's
        ``[s, e)`` stands for: the covered value characters, else the covered keys' cells, else
        the segment before ``s``. Always ``0 <= start < end <= size`` (``size`` >= 1)."""
        segs = self.segs
        i = max(0, bisect_right(self.starts, s) - 1)
        vs, ve, ns, ne, is_value = segs[i] if segs else (0, 0, 0, 0, False)
        if is_value and vs <= s and e <= ve:  # inside one value: character for character
            return ns + s - vs, ns + e - vs
        lo = hi = klo = khi = -1
        j = i
        while j < len(segs) and segs[j][0] < e:
            vs, ve, ns, ne, is_value = segs[j]
            if ve > s:
                if is_value:
                    a, b = ns + max(s, vs) - vs, ns + min(e, ve) - vs
                    lo = a if lo < 0 else min(lo, a)
                    hi = max(hi, b)
                else:
                    klo = ns if klo < 0 else min(klo, ns)
                    khi = max(khi, ne)
            j += 1
        if lo < 0:
            lo, hi = (klo, khi) if klo >= 0 else (segs[i][2], segs[i][3]) if segs else (0, 1)
        lo = min(max(lo, 0), size - 1)
        return lo, min(max(hi, lo + 1), size)


# --------------------------------------------------------------------------------------
# Occurrences of the trigger words.


#: Every trigger word once, and each one's category (a word in two lists takes the first).
_WORDS: tuple[str, ...] = tuple(dict.fromkeys(_WEAK_WORDS + _JOIN_WORDS + _CRED_WORDS))
_CATEGORY: dict[str, int] = {}
for _cat, _words in ((_CRED, _CRED_WORDS), (_JOIN, _JOIN_WORDS), (_WEAK, _WEAK_WORDS)):
    _CATEGORY.update(dict.fromkeys(_words, _cat))
del _cat, _words


def _occurrences(norm: str) -> list[tuple[str, list[int]]] | None:
    """(trigger word, its positions) for every trigger word in ``norm`` (None: none), from the
    tagger's needle pass (cached for the prompt; computed here when it is not)."""
    low = _lower(norm)
    if len(low) != len(norm):  # lower() changed the length (a dotted capital I): positions by regex
        return _occurrences_by_regex(norm)
    key = _register_needles(_WORDS)  # before the lookup: registering may reset the cached hits
    return _needle_state(low)[1].get(key)


_WORD_RX: list = []


def _occurrences_by_regex(norm: str) -> list[tuple[str, list[int]]] | None:
    if not _WORD_RX:
        _WORD_RX.append(re.compile("|".join(map(re.escape, sorted(_WORDS, key=len, reverse=True))), re.I))
    by_word: dict[str, list[int]] = {}
    for m in _WORD_RX[0].finditer(norm):
        word = m.group().lower()
        if word in _CATEGORY:
            by_word.setdefault(word, []).append(m.start())
    return list(by_word.items()) or None


# --------------------------------------------------------------------------------------
# The cheap check.


#: A character no header row holds (a line of ``key: value`` pairs, JSON, XML is a record).
_NOT_HEADER = re.compile(r"[:={}<>]")

#: What the characters around a trigger word suggest (see :func:`_classify`).
_TAG, _COMPOUND, _TABLE, _KEY, _INLINE, _CELL, _SQL = 1, 2, 4, 8, 16, 32, 64


def _context(norm: str) -> tuple[int, bool, dict, bool, bool, bool]:
    """Per-prompt facts for :func:`_classify`: (length, has a line break, a cache of line
    checks, may hold a key (``:`` or ``=``), may hold a tag (``<``), may hold an HTML table
    cell (``<td``/``<th``, either case)). The cache starts with key -1 = whether the text
    holds ``|`` or a tab (see :func:`_table_hint`)."""
    multi = "\n" in norm
    tagish = "<" in norm
    return (len(norm), multi, {-1: multi and ("|" in norm or "\t" in norm)}, ":" in norm or "=" in norm,
            tagish, tagish and ("<t" in norm or "<T" in norm))


def hint(norm: str) -> bool:
    """Whether ``norm`` (the normalised prompt) may hold structured data worth a view: some
    trigger word sits in an XML tag or attribute, in a compound key (``_``/``-``/camelCase)
    followed by ``:`` or ``=``, on a line whose next line has the same delimiter (``|``, tab,
    ``;``, ``,``), in the text of an HTML table cell, or (a pay/plate word) in a key at a line
    start of a multi-line text or in any key followed by a separator. A trigger
    word between plain prose boundaries costs a few character tests; each line holding a
    trigger word is tested once. Never raises: on an unexpected error it answers True, and
    :func:`views` (whose errors the caller records, failing closed) decides."""
    try:
        found = _occurrences(norm)
        if not found:
            return False
        ctx = _context(norm)
        size, multi, lines, keyish, tagish, cellish = ctx
        if not (multi or keyish or tagish or "(" in norm):
            return False  # one line, no ":" "=" "<" "(": no key, no tag, no table, no SQL
        category = _CATEGORY
        find = norm.find
        before, after, lower = _PLAIN_BEFORE, _PLAIN_AFTER, _LOWER_ASCII
        chars = keyish or tagish
        for needle, positions in found:
            n = len(needle)
            cat = category[needle]
            own = needle in _SELF_JOINED
            whole = needle in _WHOLE_WORDS
            for p in positions:
                if whole and _part_of_word(norm, p, n):
                    continue
                if cat == _JOIN and _sql_insert(norm, p) is not None:
                    return True
                if chars:
                    c = norm[p - 1:p]
                    if own or not (c in before or (c.isalpha() and not tagish
                                                   and not (c.islower() and norm[p].isupper()))):
                        suspect = True  # a joint or a tag may come before the word
                    else:  # after the word (past its lower-case rest): a plain boundary?
                        c = norm[p + n:p + n + 1]
                        if c and c in lower:
                            rest = norm[p + n:p + n + 24].lstrip(lower)
                            c = rest[:1] if rest else "?"  # a word this long: look closer
                        suspect = c not in after
                    if suspect and (cat != _CRED or tagish) and _char_flags(norm, p, needle, ctx):
                        return True
                    if cat == _JOIN and keyish and _inline_key(norm, p, n):
                        return True
                    if cellish and _in_cell(norm, p):
                        return True
                if multi:
                    le = find("\n", p)
                    if le == -1:
                        le = size
                    elif le not in lines:  # a next line: may this one head a table?
                        if _table_hint(norm, le, size, lines[-1]):
                            return True
                        lines[le] = False
                    if cat == _JOIN and keyish and _key_hint(norm, p, n, le):
                        return True
        return False
    except Exception:  # noqa: BLE001 - the caller does not guard this call
        return True


#: Characters before / after a trigger word that make it a plain prose word: no tag name, no
#: attribute value, no compound key (those need ``<``, a quote after ``=``, ``_``, ``-`` or a
#: letter or digit next to the word). The empty string stands for the text's start / end.
_PLAIN_BEFORE = frozenset(" \t\n\r([{,;|!?*/#>=&+%") | {""}  # no "." ":" "-" "_": a tag name may hold them
_PLAIN_AFTER = frozenset(" \t\n\r)]},;|.!?*/:\"'=>&+%") | {""}
_LOWER_ASCII = "abcdefghijklmnopqrstuvwxyz"
#: Trigger words that hold their own joint (``member_id``, ``memberid`` from ``memberId``).
#: Trigger words that count only as a whole word (``OTE``, not ``note``; ``Pay``, not ``payment``).
_WHOLE_WORDS = frozenset(("pay", "ctc", "ote"))


def _part_of_word(norm: str, p: int, n: int) -> bool:
    """Whether the trigger word at ``p`` (``n`` characters) is part of a longer word."""
    return norm[p - 1:p].isalpha() or norm[p + n:p + n + 1].isalpha()


_JOINED_PAIRS = frozenset(
    a + b for a in ("patient", "member", "subscriber", "policy", "insurance", "hospital", "chart", "beneficiary",
                    "health", "social", "sofi", "tax", "base", "annual", "gross", "net", "monthly", "hourly", "pay",
                    "total")
    for b in ("id", "num", "nr", "no", "#", "plan", "serv", "sec", "ins", "nummer", "pay", "rate", "comp"))
_SELF_JOINED = frozenset(w for w in _WORDS if "_" in w or "-" in w or w in _JOINED_PAIRS)


def _classify(norm: str, p: int, needle: str, ctx: tuple[int, bool, dict, bool, bool]) -> int:
    """What the trigger word ``needle`` found at ``p`` may stand in: a bit set of :data:`_TAG`
    (a tag name or attribute value), :data:`_COMPOUND` (a snake/kebab/camelCase key followed by
    ``:``/``=``), :data:`_TABLE` (a header-like line whose next line shares a delimiter),
    :data:`_KEY` (a pay or plate word in a key at a line start); 0 for prose. ``ctx``: see
    :func:`_context`. :func:`hint` runs the same tests (a superset: a test checks it)."""
    if needle in _WHOLE_WORDS and _part_of_word(norm, p, len(needle)):
        return 0
    flags = _char_flags(norm, p, needle, ctx)
    size, multi, lines, keyish, tagish, cellish = ctx
    if cellish and _in_cell(norm, p):
        flags |= _CELL
    if flags & _TAG:
        return flags
    if _CATEGORY[needle] == _JOIN and _sql_insert(norm, p) is not None:
        flags |= _SQL
    if _CATEGORY[needle] == _JOIN and keyish and _inline_key(norm, p, len(needle)):
        flags |= _INLINE
    if multi:
        le = norm.find("\n", p)
        if le != -1:
            got = lines.get(le)
            if got is None:
                got = lines[le] = _table_hint(norm, le, size, lines[-1])
            if got:
                flags |= _TABLE
        if _CATEGORY[needle] == _JOIN and keyish and _key_hint(norm, p, len(needle), size if le == -1 else le):
            flags |= _KEY
    return flags


def _char_flags(norm: str, p: int, needle: str, ctx: tuple[int, bool, dict, bool, bool]) -> int:
    """:data:`_TAG` or :data:`_COMPOUND` (or 0) for the trigger word at ``p`` (see :func:`_classify`).
    A compound key is joined right before the word (``date_of_birth``, ``dateOfBirth``) or right
    after its last letter (``passport_no``, ``PhoneNumber``, ``ssnValue``), or holds the joint in
    the trigger word itself (``member_id``, ``memberId``)."""
    keyish, tagish = ctx[3], ctx[4]
    if tagish:  # "<" in the text
        if _in_tag_name(norm, p):
            return _TAG  # <ssn>, <dateOfBirth>, <ns:password>
        if p >= 2 and norm[p - 2] == "=" and norm[p - 1] in "\"'":
            return _TAG  # name="ssn"
        if _CATEGORY[needle] == _JOIN and _in_open_tag(norm, p) and _inline_key(norm, p, len(needle)):
            return _TAG  # <employee name="Jane Roe" salary="182000"/>
    if keyish and _CATEGORY[needle] != _CRED:
        if _R.joint_before.match(norm, p) or \
                _R.joint_after.match(norm, p if needle in _SELF_JOINED else p + len(needle) - 1):
            return _COMPOUND
    return 0


def _inline_key(norm: str, p: int, n: int) -> bool:
    """Whether the pay/plate word at ``p`` (``n`` characters) ends a key token followed by a
    key separator (``"salary": 182000``, ``Salary: 182000`` inside a line)."""
    return _R.inline_key.match(norm, p + n) is not None


#: Inline tags a table cell may wrap its text in (``<td><b>SSN</b></td>``).
_INLINE_TAGS = frozenset(("b", "i", "u", "em", "strong", "span", "a", "font", "small", "big", "code", "p", "div",
                          "label", "abbr", "sup", "sub", "br", "mark", "s", "tt"))


def _in_cell(norm: str, p: int) -> bool:
    """Whether ``p`` lies in the text of an HTML table cell (``<th>SSN</th>``, ``<td
    class="x"><b>Salary</b></td>``): the nearest tag before it (past up to four inline tags)
    opens a ``th`` or ``td``. Looks at most 400 characters back."""
    lo = max(0, p - 400)
    hi = p
    for _ in range(5):
        j = norm.rfind("<", lo, hi)
        if j == -1 or norm.find(">", j, p) == -1:
            return False
        m = _R.cell_tag.match(norm, j)
        if m is None:
            return False
        name = m.group(2).lower()
        if name in ("td", "th"):
            return not m.group(1)
        if name not in _INLINE_TAGS:
            return False
        hi = j
    return False


def _in_open_tag(norm: str, p: int) -> bool:
    """Whether ``p`` lies inside an opening tag, past its name (an attribute)."""
    j = norm.rfind("<", max(0, p - 400), p)
    return j != -1 and norm.find(">", j, p) == -1 and _R.tag_name_part.match(norm, j + 1) is not None


def _in_tag_name(norm: str, p: int) -> bool:
    """Whether ``p`` lies inside a tag name (``<ssn>``, ``<dateOfBirth>``, ``<ns:date_of_birth>``)."""
    j = norm.rfind("<", max(0, p - 65), p)
    if j == -1:
        return False
    if j == p - 1:
        return True
    m = _R.tag_name_part.match(norm, j + 1, p)
    return m is not None and m.end() == p


def _table_hint(norm: str, le: int, size: int, bars: bool = True) -> bool:
    """Whether the line ending at ``le`` may head a table (``bars``: whether the text holds a
    ``|`` or a tab at all; a line ending a sentence can head only such a table): the next line shares
    its delimiter, ``|`` or tab any number of times (or a ``+---+`` border follows), ``;`` or
    ``,`` as often (or more, when quoted fields may hide some); and it reads as a header: no
    ``: = { } < >`` (a line of pairs, JSON or XML is a record), and for ``;``/``,`` no sentence
    punctuation (``. ``, ``? ``, ``! ``, a final ``.?!``)."""
    end = le - 1 if le and norm[le - 1] == "\r" else le
    prose = end and norm[end - 1] in ".?!"  # a sentence's end: no CSV header, perhaps a | or tab row
    if prose and not bars:
        return False
    ne = norm.find("\n", le + 1)
    if ne == -1:
        ne = size
    nxt = norm[le + 1:ne]
    bar, tab = "|" in nxt, "\t" in nxt
    if prose:
        if not (bar or tab):
            return False
        comma = semi = False
    else:
        comma, semi = "," in nxt, ";" in nxt
        if not (bar or tab or comma or semi or nxt.lstrip().startswith(("+", "-"))):
            return False
    line = norm[norm.rfind("\n", 0, le) + 1:le]
    if "|" in line and (bar or nxt.lstrip().startswith("+") or _R.box_rule.fullmatch(nxt)):
        return _header_like(line, nxt, False)
    if tab and "\t" in line:
        return _header_like(line, nxt, False)
    if comma and "," in line:
        c, c2 = line.count(","), nxt.count(",")
        if c2 == c or (c2 > c and ('"' in nxt or _R.thousands.search(nxt))):
            return _header_like(line, nxt, True)
    if semi and ";" in line:
        c, c2 = line.count(";"), nxt.count(";")
        if c2 == c or (c2 > c and '"' in nxt):
            return _header_like(line, nxt, True)
    return False


def _header_like(line: str, nxt: str, prose_check: bool) -> bool:
    """Whether ``line`` may be a header row (see :func:`_table_hint`); ``prose_check`` for
    ``,``/``;``, which prose uses too: no sentence punctuation, no cell opening with an article
    or conjunction (``the patient, and the phone``)."""
    if len(line) > MAX_LINE or len(nxt) > MAX_LINE or _NOT_HEADER.search(line):
        return False
    if prose_check:
        body = line.rstrip()
        return body[-1:] not in (".", "?", "!") and ". " not in body and "? " not in body and "! " not in body \
            and not _R.prose_cell.search(body)
    return True


def _key_hint(norm: str, p: int, n: int, le: int) -> bool:
    """Whether the pay/plate word at ``p`` is in a pay/plate key at its line's start
    (``Annual Salary:``): at most four blanks before it past the indentation, ``:`` or ``=``
    after the key."""
    stop = min(le, p + n + 40)
    j = norm.find(":", p, stop)
    if j == -1:
        j = norm.find("=", p, stop)
        if j == -1:
            return False
    ls = norm.rfind("\n", max(0, p - 65), p) + 1
    if p - ls > 64 or (ls == 0 and p > 64) or norm[ls:p].lstrip(" \t").count(" ") > 4:  # indentation is free
        return False
    m = _R.key_line.match(norm, ls, le)
    return m is not None and m.start("key") <= p < m.end("key") and \
        _key_info(m.group("key"))[2]


# --------------------------------------------------------------------------------------
# Rendering.


def _humanize(key: str) -> str:
    """``medical_record_number`` -> ``medical record number``, ``dateOfBirth`` -> ``date of
    birth``, ``passport-no`` -> ``passport no``: lower-case words, known acronyms upper-case."""
    words = _R.key_seps.sub(" ", _R.camel.sub(" ", key.strip(" \t\"'*"))).lower().split()
    return " ".join(w.upper() if w in _ACRONYMS else w for w in words)


def _key_kind(human: str) -> tuple[bool, bool, bool, bool]:
    """(weak, join, cred, owner): which key patterns the humanised key matches."""
    low = human.lower()
    return (_R.weak.search(low) is not None, _R.join.search(low) is not None, _R.cred.search(low) is not None,
            _R.owner.search(low) is not None)


@lru_cache(maxsize=4096)
def _families(key: str) -> frozenset[str]:
    """The detectors whose context words the rendered ``key`` holds (a view runs only those)."""
    low = _humanize(key).lower()
    return frozenset(name for name in _FAMILY_SOURCES if getattr(_R, "fam_" + name).search(low))


@lru_cache(maxsize=4096)
def _key_info(key: str) -> tuple[str, bool, bool, bool, bool]:
    """(the key as rendered in a view, weak, join, cred, owner) for a key as written; memoised
    (a table or record list repeats its keys)."""
    human = _humanize(key)
    weak, join, cred, owner = _key_kind(human)
    return _render_key(human, cred), weak, join, cred, owner


def _render_key(human: str, cred: bool) -> str:
    """The key as written in a view: humanised; a credential key joined with ``_``."""
    return "_".join(human.lower().split()) if cred else human


def _compound(key: str) -> bool:
    """Whether ``key`` has words joined by ``_``/``-`` or in camelCase."""
    k = key.strip(" \t\"'*")
    return "_" in k or "-" in k or _R.camel.search(k) is not None


#: Values that stand for no value: left out of a view, so that a context word does not reach
#: the next cell's value instead ("DOB: unknown, Visit: 2024-03-01").
_NO_VALUE = frozenset({"-", "--", "---", "—", "?", "n/a", "na", "n.a.", "none", "null", "nil", "unknown", "tbd",
                       "tba", "redacted", "[redacted]", "x", "xx", "xxx", "***", "empty", "missing"})
_NO_VALUE_LONGEST = max(map(len, _NO_VALUE))


class _Views:
    """Collects the structures of one prompt and renders them (checking the caps)."""

    def __init__(self, norm: str) -> None:
        self.norm = norm
        self.size = len(norm)
        self.budget = MAX_VIEW_FACTOR * len(norm) + MAX_VIEW_SLACK  # value characters
        self.total = MAX_VIEW_TOTAL_FACTOR * len(norm) + MAX_VIEW_TOTAL_SLACK  # all characters
        self.max_blocks = max(MAX_BLOCKS, len(norm) // MAX_BLOCK_CHARS)
        self.blocks = 0
        self.parts: dict[str, list[str]] = {"table": [], "record": []}
        self.segs: dict[str, list[tuple[int, int, int, int, bool]]] = {"table": [], "record": []}
        self.pos = {"table": 0, "record": 0}
        self.families: dict[str, set[str]] = {"table": set(), "record": set()}
        self.pay: dict[str, list[tuple[int, int, str, str, str]]] = {"table": [], "record": []}
        self.rows: dict[str, list] = {"table": [], "record": []}

    def add(self, kind: str, lines: list[list[tuple[str | None, tuple[int, int] | None, int, int]]]) -> None:
        """Render one structure: ``lines`` of pairs ``(key text or None, key span, value start,
        value end)``; raises :class:`StructuredCapExceeded` past a cap."""
        norm = self.norm
        novalue, longest = _NO_VALUE, _NO_VALUE_LONGEST
        lines = [kept for kept in ([pair for pair in pairs
                                    if pair[3] - pair[2] > longest or norm[pair[2]:pair[3]].lower() not in novalue]
                                   for pairs in lines) if kept]
        if not lines:
            return
        self.blocks += 1
        if self.blocks > self.max_blocks:
            raise StructuredCapExceeded(f"more than {self.max_blocks} structures")
        parts, segs, families = self.parts[kind], self.segs[kind], self.families[kind]
        append, add_seg = parts.append, segs.append
        at = self.pos[kind]
        if at:
            append(_PAD)
            at += len(_PAD)
        start = at
        keys_seen: set[str] = set()
        copied = 0
        rows = self.rows[kind]
        block = self.blocks
        n_segs = len(segs)
        for i, pairs in enumerate(lines):
            if i:
                append("\n")
                at += 1
            last = ""
            row: list[tuple[str | None, int, int]] = []
            rows.append((block, row))
            add_pair = row.append
            for key, kspan, vs, ve in pairs:
                if last:
                    sep = " " if last in ".!?;" else ", "
                    append(sep)
                    at += len(sep)
                ki = -1
                if key:
                    keys_seen.add(key)
                    kn = len(key) + 1
                    append(key)
                    append(": ")
                    ki = n_segs
                    add_seg((at, at + kn, kspan[0], kspan[1], False))
                    n_segs += 1
                    at += kn + 1
                add_pair((key or None, ki, n_segs))
                append(norm[vs:ve])
                n = ve - vs
                add_seg((at, at + n, vs, ve, True))
                n_segs += 1
                at += n
                copied += n
                last = norm[ve - 1]
        pay = False
        for key in keys_seen:
            fams = _families(key)
            families |= fams
            pay = pay or "salary" in fams
        if pay:
            self.pay[kind] += _pay_hits(norm, kind, lines)
        self.pos[kind] = at
        self.budget -= copied
        self.total -= at - start
        if self.budget < 0 or self.total < 0:
            raise StructuredCapExceeded(
                f"views longer than {MAX_VIEW_FACTOR}x the text + {MAX_VIEW_SLACK} (values) or "
                f"{MAX_VIEW_TOTAL_FACTOR}x the text + {MAX_VIEW_TOTAL_SLACK} (all)")

    def result(self) -> list[View]:
        return [View(kind, "".join(self.parts[kind]), self.segs[kind], frozenset(self.families[kind]),
                     self.pay[kind], self.rows[kind])
                for kind in ("table", "record") if self.segs[kind]]


# --------------------------------------------------------------------------------------
# Lines and cells.


def _line_at(norm: str, p: int) -> tuple[int, int, int]:
    """(start, content end without ``\\r``, end at the ``\\n`` or the text's end) of the line
    holding ``p``."""
    ls = norm.rfind("\n", 0, p) + 1
    le = norm.find("\n", p)
    if le == -1:
        le = len(norm)
    ce = le - 1 if le > ls and norm[le - 1] == "\r" else le
    return ls, ce, le


def _cells(norm: str, ls: int, ce: int, d: str) -> list[tuple[int, int]]:
    """The value span of each field of the line ``norm[ls:ce]`` split at ``d`` (blanks trimmed;
    double-quoted fields unquoted, ``""`` inside kept; for ``|`` the border cells dropped)."""
    spans: list[tuple[int, int]] = []
    if d != "|" and '"' in norm[ls:ce]:
        i = ls
        while True:
            j = i
            while j < ce and norm[j] in " \t":
                j += 1
            if j < ce and norm[j] == '"':
                k = j + 1
                while True:
                    k = norm.find('"', k, ce)
                    if k == -1 or not norm.startswith('""', k):
                        break
                    k += 2
                if k != -1:
                    after = k + 1
                    while after < ce and norm[after] in " \t":
                        after += 1
                    if after == ce or norm[after] == d:
                        spans.append((j + 1, k))
                        if after == ce:
                            return spans
                        i = after + 1
                        continue
            k = norm.find(d, i, ce)
            end = ce if k == -1 else k
            spans.append(_trim(norm, i, end))
            if k == -1:
                return spans
            i = k + 1
    i = ls
    while True:
        k = norm.find(d, i, ce)
        end = ce if k == -1 else k
        spans.append(_trim(norm, i, end))
        if k == -1:
            break
        i = k + 1
    if d == "|" and spans:
        body = norm[ls:ce]
        if spans[0][0] == spans[0][1] and body.lstrip().startswith("|"):
            spans.pop(0)  # the left border
        if spans and spans[-1][0] == spans[-1][1] and body.rstrip().endswith("|"):
            spans.pop()  # the right border
    return spans


_THOUSANDS_HEAD = re.compile(r"[-+]?(?:[$€£¥]|[A-Z]{3}[ \t]?)?[ \t]?\d{1,3}")
_THOUSANDS_TAIL = re.compile(r"\d{3}(?:\.\d{1,2})?(?:[ \t]?(?:[kKmM]|[$€£¥]|[A-Z]{3}))?")


def _rejoin_thousands(norm: str, cells: list[tuple[int, int]], k: int) -> list[tuple[int, int]] | None:
    """``cells`` of a comma-split row with a number's unquoted thousands separators joined back
    (``£82`` ``000`` -> ``£82,000``), when that gives the header's ``k`` cells; else None."""
    out: list[tuple[int, int]] = []
    for s, e in cells:
        if out and _THOUSANDS_TAIL.fullmatch(norm, s, e):
            ps, pe = out[-1]
            if pe == s - 1 and (_THOUSANDS_HEAD.fullmatch(norm, ps, pe)
                                or (norm[pe - 4:pe - 3] == "," and norm[pe - 3:pe].isdigit()
                                    and _THOUSANDS_HEAD.fullmatch(norm, ps, pe - 4) is not None)):
                out[-1] = (ps, e)
                continue
        out.append((s, e))
    return out if len(out) == k else None


def _trim(norm: str, s: int, e: int, lead: str = " \t", trail: str | None = None) -> tuple[int, int]:
    """``norm[s:e]`` without the characters of ``lead`` at its start and of ``trail`` (default:
    ``lead``) at its end."""
    if trail is None:
        trail = lead
    while s < e and norm[s] in lead:
        s += 1
    while e > s and norm[e - 1] in trail:
        e -= 1
    return s, e


# --------------------------------------------------------------------------------------
# Tables.


class _Table:
    """A delimited block: its lines ``(start, content end, end)``, delimiter, cells by line start."""

    __slots__ = ("lines", "d", "cells")

    def __init__(self, lines: list[tuple[int, int, int]], d: str, cells: dict[int, list[tuple[int, int]]]) -> None:
        self.lines, self.d, self.cells = lines, d, cells


def _table_at(norm: str, line: tuple[int, int, int]) -> _Table | None:
    """The delimited block holding ``line`` (start, content end, end), if the line and a
    neighbour split into at least two cells at one delimiter."""
    ls, ce, le = line
    text = norm[ls:ce]
    for d in "|\t;,":
        if d not in text:
            continue
        cells = _cells(norm, ls, ce, d)
        if len(cells) < 2 or (d in ",;" and sum(e > s for s, e in cells) < 2):
            continue
        k = len(cells)
        known = {ls: cells}

        def fits(ln: tuple[int, int, int], d=d, k=k, known=known) -> bool:
            s, c, _ = ln
            if c <= s or c - s > MAX_LINE:
                return False
            if norm.find(d, s, c) == -1:
                return d == "|" and _R.box_rule.fullmatch(norm, s, c) is not None
            got = known[s] = _cells(norm, s, c, d)
            n = len(got)
            if n > k and d == ",":
                got = _rejoin_thousands(norm, got, k)  # "Jane Doe,£82,000" under "Employee,Salary"
                if got is not None:
                    known[s] = got
                    return True
            return n >= 1 if d == "|" else n >= 2 if d == "\t" else n == k  # | and tab rows may be ragged

        above = []
        ln = line
        while ln[0] > 0:
            prev = _line_at(norm, ln[0] - 1)
            if not fits(prev):
                break
            above.append(prev)
            ln = prev
        lines = above[::-1]
        lines.append(line)
        ln = line
        while ln[2] < len(norm):
            nxt = _line_at(norm, ln[2] + 1)
            if not fits(nxt):
                break
            lines.append(nxt)
            ln = nxt
        if sum(not (d == "|" and _R.box_rule.fullmatch(norm, s, c)) for s, c, _ in lines) >= 2:
            return _Table(lines, d, known)
    return None


def _table_view(norm: str, table: _Table) -> tuple[bool, list | None]:
    """(whether ``table`` has a header row, its rows as view lines of pairs or None when the
    header names no context column). A header has at least two labels (cells of at most 64
    characters and 8 words, no ``: = { } < >``: a line of ``key: value`` pairs is a record)."""
    d = table.d
    rows = [(s, c) for s, c, _ in table.lines
            if not (d == "|" and (_R.box_rule.fullmatch(norm, s, c) or _R.md_rule.fullmatch(norm, s, c)))]
    if len(rows) < 2:
        return False, None
    cells = table.cells
    header = cells.get(rows[0][0]) or _cells(norm, *rows[0], d)
    labels: list[tuple[str, tuple[int, int]] | None] = []
    for s, e in header:
        cell = norm[s:e]
        if not cell:
            labels.append(None)
            continue
        if len(cell) > 64 or len(cell.split()) > 8 or _NOT_HEADER.search(cell):
            return False, None
        labels.append((cell, (s, e)) if _R.letter.search(cell) else None)
    if sum(x is not None for x in labels) < 2:
        return False, None
    keys = _column_keys(labels)
    if keys is None:
        return True, None
    out = []
    for s, c in rows[1:]:
        pairs = []
        row = cells.get(s)
        for i, (vs, ve) in enumerate(_cells(norm, s, c, d) if row is None else row):
            if ve <= vs:
                continue
            key = keys[i] if i < len(keys) else None
            pairs.append((key[0], key[1], vs, ve) if key else (None, None, vs, ve))
        out.append(pairs)
    return True, out


def _column_keys(labels: list[tuple[str, tuple[int, int]] | None]) -> list[tuple[str, tuple[int, int]] | None] | None:
    """Per column, the key its cells are rendered with (the humanised header and its span) or
    None (a bare value): the context, credential and owner columns, and, in a table with a pay
    column, the person columns (``Name``, ``Employee``) too. None when no header holds a
    trigger word."""
    keys: list[tuple[str, tuple[int, int]] | None] = []
    persons: list[tuple[str, tuple[int, int]] | None] = []
    trigger = pay = False
    for label in labels:
        if label is None:
            keys.append(None)
            persons.append(None)
            continue
        cell, span = label
        rendered, weak, join, cred, owner = _key_info(cell)
        trigger = trigger or weak or join or cred
        keys.append((rendered, span) if weak or join or cred or owner else None)
        role = _pay_role(rendered) if join or not (weak or cred or owner) else (False, 0)
        pay = pay or role[0]
        persons.append((rendered, span) if role[1] else None)
    if not trigger:
        return None
    if pay:
        keys = [k or w for k, w in zip(keys, persons)]
    return keys


# --------------------------------------------------------------------------------------
# HTML tables.


def _cell_text(norm: str, s: int, e: int) -> list[tuple[int, int]]:
    """The spans of the text in a cell's content ``norm[s:e]`` outside inline tags, blanks
    trimmed, empty ones left out (none for a content over 2000 characters)."""
    out: list[tuple[int, int]] = []
    if e - s > 2000:
        return out
    i = s
    while i < e:
        j = norm.find("<", i, e)
        a, b = i, e if j == -1 else j
        while a < b and norm[a] in _BLANKS:
            a += 1
        while b > a and norm[b - 1] in _BLANKS:
            b -= 1
        if b > a:
            out.append((a, b))
        if j == -1:
            break
        k = norm.find(">", j, e)
        if k == -1:
            break
        i = k + 1
    return out


_BLANKS = " \t\r\n\xa0"


def _html_table(norm: str, p: int, out: _Views, floor: int = 0) -> tuple[int, int]:
    """Render the HTML table whose cell text holds ``p`` (header row of ``th``/``td`` cells,
    ``thead``/``tbody``, ``colspan``; or ``th`` label + ``td`` value rows, read as one record);
    returns the span examined. The table starts at the last ``<table`` (or ``<TABLE``) within
    4096 characters before ``p`` and not before ``floor`` or a ``</table>`` (else at the first
    row there, else at the cell) and ends at its ``</table>`` (else the text's end); a nested
    table's cells are skipped."""
    lo = max(0, p - 4096, floor)
    closed = max(norm.rfind("</table", lo, p), norm.rfind("</TABLE", lo, p))
    if closed != -1:
        lo = closed + 2
    start = max(norm.rfind("<table", lo, p), norm.rfind("<TABLE", lo, p))
    with_table = start != -1
    if not with_table:
        rows = [i for i in (norm.find("<tr", lo, p), norm.find("<TR", lo, p)) if i != -1]
        start = min(rows) if rows else max(lo, norm.rfind("<", lo, p))
    rows: list[list[tuple[bool, int, int, int]]] = []  # per row: (th, colspan, content start, end)
    row: list[tuple[bool, int, int, int]] | None = None
    cell: tuple[bool, int, int] | None = None
    depth = 0
    end = len(norm)
    for m in _R.html_tag.finditer(norm, start):
        close, name = m.group(1), m.group(2).lower()
        if cell is not None and depth <= 1:
            row.append((cell[0], cell[1], cell[2], m.start()))
            cell = None
        if name == "table":
            if not (close or with_table or depth):  # another table after the rows read
                end = m.start()
                break
            depth += -1 if close else 1
            if depth <= 0:
                end = m.end()
                break
            continue
        if depth > 1 or close or name in ("thead", "tbody", "tfoot"):
            continue
        if name == "tr":
            row = []
            rows.append(row)
            continue
        if row is None:
            row = []
            rows.append(row)
        cs = _R.colspan.search(m.group(3))
        cell = (name == "th", min(int(cs.group(1)), 32) if cs else 1, m.end())
    else:
        if cell is not None:
            row.append((cell[0], cell[1], cell[2], len(norm)))
    rows = [r for r in rows if r]
    if len(rows) < 2:
        return start, end
    texts = [[(th, cs, _cell_text(norm, s, e)) for th, cs, s, e in r] for r in rows]
    head = next((i for i, r in enumerate(texts) if len(r) >= 2 and all(th for th, _, _ in r)), None)
    if head is None and sum(len(r) >= 2 and r[0][0] and not any(th for th, _, _ in r[1:]) for r in texts) * 2 \
            >= len(texts):
        pairs = []  # label + value rows: one record
        for r in texts:
            label = r[0][2]
            if not (r[0][0] and label) or label[-1][1] - label[0][0] > 64:
                continue
            key = _key_info(norm[label[0][0]:label[-1][1]])[0]
            for _, _, segs in r[1:]:
                for i, (a, b) in enumerate(segs):
                    pairs.append((key if not i else None, (label[0][0], label[-1][1]), a, b))
        if any(any(_key_info(k)[1:4]) for k, *_ in pairs if k):
            out.add("record", [pairs])
        return start, end
    head = head or 0
    labels: list[tuple[str, tuple[int, int]] | None] = []
    for _, cs, segs in texts[head]:
        label = None
        if segs and segs[-1][1] - segs[0][0] <= 64:
            text = " ".join(norm[a:b] for a, b in segs)
            if _R.letter.search(text) and not _NOT_HEADER.search(text):
                label = (text, (segs[0][0], segs[-1][1]))
        labels += [label] * cs
    keys = _column_keys(labels)
    if keys is None:
        return start, end
    lines = []
    for r in texts[head + 1:]:
        pairs = []
        col = 0
        for _, cs, segs in r:
            key = keys[col] if col < len(keys) else None
            for i, (a, b) in enumerate(segs):
                pairs.append((key[0], key[1], a, b) if key and not i else (None, None, a, b))
            col += cs
        lines.append(pairs)
    out.add("table", lines)
    return start, end


# --------------------------------------------------------------------------------------
# A person's pay as a bare number.

#: Words that make a pay key no one person's pay: a filter or limit, a statistic, a band.
_PAY_NOT = re.compile(
    r"(?<![^\W_])(?:min|max|minimum|maximum|filters?|limits?|threshold|caps?|ranges?|bands?|avg|average|median|mean"
    r"|budgets?|index|grades?|levels?|step|currency|id|type|code|percent|pct|percentage|ratio|count|years?|date|days?"
    r"|month|period|frequency|costs?|spend|points?|score|rank|tier|pool|fund|floor|ceiling|midpoint|percentile"
    r"|survey|benchmark|structure|scale|table|history|column|field|policy|multiplier|factor|formula|unit)(?![^\W_])")
#: A key naming a person: a name (fullmatch of the humanised key, lower-case) ...
_NAME_KEY = re.compile(
    r"(?:(?:full|first|last|given|family|middle|legal|display|preferred|employee|staff|worker|person|candidate"
    r"|contact|member) ?)?names?|surname|forename|fname|lname|vorname|nachname|nombres?(?: completo)?|apellidos?"
    r"|nom(?: complet)?|pr[ée]nom|nome(?: completo)?|cognome|naam|voornaam|achternaam|imi[ęe](?: i nazwisko)?"
    r"|nazwisko|sobrenome")
#: ... or a key holding a word for a person (``Employee``, ``employee_id``, ``Mitarbeiter``) ...
_WHO_KEY = re.compile(
    r"(?<![^\W_])(?:employees?|person|staff|worker|mitarbeiter(?:in)?|angestellte[rn]?|emplead[oa]|employ[ée]e?"
    r"|salari[ée]e?|dipendente|medewerker|werknemer|pracownik|funcion[áa]ri[oa]|colaborador[a]?|trabajador[a]?"
    r"|candidate|contractor|payee)(?![^\W_])")
#: ... that is not about a kind, a group or a count of them.
_WHO_NOT = re.compile(
    r"(?<![^\W_])(?:types?|status|categor(?:y|ies)|class|levels?|grades?|groups?|roles?|titles?|departments?|dept"
    r"|teams?|locations?|city|country|region|benefits?|satisfaction|survey|turnover|handbook|policy|count|total"
    r"|size|ratio|rate|since|start|date|tenure|unit|division|bands?|number of|num)(?![^\W_])")
_NOT_NAME_CHARS = re.compile(r"[_/@:=\\{}\[\]<>|#*$%+\d]")
_WORD = re.compile(r"[^\W\d_]+")
#: A pay amount: an optional currency, a number (thousands grouped or not, cents), ``k``/``m``,
#: an optional currency after it, an optional period (``/yr``, ``per annum``, ``p.a.``).
_PAY_VALUE = re.compile(
    r"(?P<cur>(?:[$€£¥₹]|(?:US|CA|AU|NZ|R)\$|(?:USD|EUR|GBP|CHF|CAD|AUD|PLN|BRL|SEK|NOK|DKK|INR|JPY)\b)[ \t\xa0]?)?"
    r"(?P<num>\d{1,3}(?P<sep>[,.' ’\xa0\u202f])\d{3}(?:(?P=sep)\d{3}){0,2}|\d{1,8})(?P<dec>[.,]\d{1,2})?"
    r"(?:[ \t]?(?P<k>[kKmM])(?![^\W\d_]))?"
    r"(?:[ \t\xa0]?(?P<cur2>[$€£¥₹]|z[łl]|(?:USD|EUR|GBP|CHF|CAD|AUD|PLN|BRL|SEK|NOK|DKK|INR|JPY|euros?|dollars?"
    r"|Euro)\b))?"
    r"(?:[ \t]*(?:/|per\b|p\.a\.|brutto|netto|gross|net)[ \t]*[A-Za-z.]{0,12})?")


@lru_cache(maxsize=4096)
def _pay_role(key: str) -> tuple[bool, int]:
    """(whether the rendered ``key`` is a person's pay, 0 / 1 (a name key) / 2 (a key holding a
    word for a person: ``Employee``, ``employee_salary``))."""
    low = key.lower().replace("_", " ")
    pay = _R.fam_salary.search(low) is not None and _PAY_NOT.search(low) is None
    who = 1 if _NAME_KEY.fullmatch(low) else \
        2 if _WHO_KEY.search(low) is not None and _WHO_NOT.search(low) is None else 0
    return pay, who


def _person_value(value: str, who: int) -> bool:
    """Whether ``value`` under a person key (see :func:`_pay_role`) may stand for a person:
    a name (letters only; a capitalised word, or two words in lower case: ``jane roe``) for a
    name key, a name or an id with a letter (``E-1234``) for a word-for-a-person key; not a
    role, a place or a summary (``Senior Engineer``, ``New York``, ``Total``: a capitalised
    word in contextual's not-a-name list, or every word in it)."""
    if not 2 <= len(value) <= 80:
        return False
    if who == 1 and _NOT_NAME_CHARS.search(value):
        return False
    words = _WORD.findall(value)
    if not words or (who == 1 and not any(w[0].isupper() for w in words) and len(value.split()) < 2):
        return False  # "my-app", "redis": no name
    from hrouter.signals.detectors.contextual import _NOT_NAMES
    low = [w.lower() for w in words]
    if all(w in _NOT_PERSON for w in low) or any(w in _PLAN_WORDS for w in low):
        return False  # a band or a plan: "Low", "High", "Basic plan" (a surname "Low" has a first name)
    return all(w.lower() not in _NOT_NAMES for w in words if w[0].isupper()) and \
        any(w.lower() not in _NOT_NAMES for w in words)


#: Words that alone name a band or a level, not a person (``name,income`` / ``Low,25000``).
_NOT_PERSON = frozenset(("low", "high", "medium", "mid", "middle", "basic", "standard", "premium", "pro", "starter",
                         "enterprise", "free", "entry", "senior", "junior", "lead", "min", "max", "minimum", "maximum",
                         "average", "median", "mean", "total", "top", "bottom", "upper", "lower"))
#: Words that make a value a product or a band (``Basic plan``, ``Gold tier``).
_PLAN_WORDS = frozenset(("plan", "plans", "tier", "tiers", "package", "bundle", "subscription", "level", "band",
                         "grade", "bracket", "quartile", "percentile", "decile"))


_HOURLY = re.compile(r"(?i)hourly|per ?hour|stundenlohn")


def _pay_amount(norm: str, vs: int, ve: int, inline: bool, hourly: bool = False) -> int:
    """The end of the pay amount that is the value ``norm[vs:ve]`` (0: none): 1,000 to
    10,000,000 after ``k``/``m`` (``hourly``: an hourly rate, 5 to 10,000,000; a ``pay_rate`` of 45 is none); a bare year
    (1990-2030) is none. ``inline``: a value cut at a thousands comma (``Salary: 182,000``
    inside a line) takes its groups back."""
    if ve - vs > 40 or (ve - vs < 4 and not hourly and norm[vs:ve].isdigit()
                        and not (inline and norm.startswith(",", ve))):
        return 0  # too long, or below 1,000 with no "k"/"m" or thousands group to scale it
    if inline and norm[ve - 1].isdigit():
        for _ in range(3):
            if norm.startswith(",", ve) and norm[ve + 1:ve + 4].isdigit() and len(norm[ve + 1:ve + 4]) == 3 \
                    and not norm[ve + 4:ve + 5].isdigit():
                ve += 4
            else:
                break
    m = _PAY_VALUE.fullmatch(norm, vs, ve)
    if m is None:
        return 0
    amount = int(re.sub(r"\D", "", m.group("num")))
    k = m.group("k")
    if k:
        amount *= 1000 if k in "kK" else 1_000_000
    elif not (m.group("cur") or m.group("cur2") or m.group("sep") or m.group("dec")) and 1990 <= amount <= 2030:
        return 0
    return ve if (5 if hourly else 1000) <= amount <= 10_000_000 else 0


def _pay_hits(norm: str, kind: str, lines: list) -> list[tuple[int, int, str, str, str]]:
    """``salary`` hits on a structure's view lines: an amount (see :func:`_pay_amount`) under
    a pay key (not a limit or statistic: ``max_salary_filter``, ``Average salary``) in a line
    (a row, a record) that also holds a person key with a person's value (``Name: Jane Roe``),
    or whose pay key names the person itself (``employee_salary``)."""
    hits = []
    for n, pairs in enumerate(lines):
        pays = []
        person = None
        if n == 0 and kind == "record" and pairs[0][0] is None:  # a heading: "## Jane Roe"
            from hrouter.signals.detectors.contextual import person_names
            _, _, vs, ve = pairs[0]
            if any(m.span() == (vs, ve) for m in person_names(norm, vs, ve)):
                person = "heading"
        for key, _, vs, ve in pairs:
            if not key:
                continue
            pay, who = _pay_role(key)
            if pay:
                end = _pay_amount(norm, vs, ve, kind == "record", _HOURLY.search(key) is not None)
                if end:
                    pays.append((vs, end, key, who == 2))
            elif who and person is None and _person_value(norm[vs:ve], who):
                person = key
        for vs, ve, key, self_named in pays:
            if person or self_named:
                hits.append((vs, ve, f"amount …({ve - vs} chars)", "person + pay key + amount",
                             f"{key}; {person or key}"))
    return hits


# --------------------------------------------------------------------------------------
# Records.


def _value(norm: str, vs: int, ve: int) -> tuple[int, int] | None:
    """A key line's value span: blanks, a trailing ``,``/``;`` and enclosing quotes removed;
    None when empty or a nested structure / block scalar (``{``, ``[``, ``|``, ``>``)."""
    vs, ve = _trim(norm, vs, ve)
    while ve > vs and norm[ve - 1] in ",;":
        ve -= 1
    vs, ve = _trim(norm, vs, ve)
    if ve > vs + 1 and norm[vs] in "\"'`" and norm[ve - 1] == norm[vs]:
        vs, ve = vs + 1, ve - 1
    elif ve > vs and norm[vs] in "\"'`":
        vs += 1
    if ve <= vs or norm[vs] in "{[|>" and ve - vs <= 2:
        return None
    if norm[vs] in "{[":
        return None
    return vs, ve


def _key_line(norm: str, ln: tuple[int, int, int]):
    """The key line match of ``ln`` (key, value of at most 200 characters), or None."""
    s, c, _ = ln
    if c <= s or c - s > MAX_LINE:
        return None
    m = _R.key_line.match(norm, s, c)
    if m is None or len(m.group("key").split()) > 6 or c - m.start("val") > 200 or _R.digits4.search(m.group("key")):
        return None  # a long key or value is prose; a key holding a number is a value ("MRN 0048: ...")
    return m


def _xml_line(norm: str, ln: tuple[int, int, int]):
    """``<key>value</key>`` alone on ``ln``: (key span, value span) or None."""
    s, c, _ = ln
    if c <= s or c - s > MAX_LINE:
        return None
    body = norm[s:c].strip()
    if not body.startswith("<") or not body.endswith(">"):
        return None
    pairs = _xml_pairs(norm, s, c)
    if len(pairs) == 1:
        return pairs[0][:2]
    return None


def _record_block(norm: str, line: tuple[int, int, int], floor: int = 0) -> tuple[list, int, int]:
    """The key lines around ``line`` (consecutive, no blank line, none before ``floor``): (view
    lines of pairs, block start, block end). A short non-key line just above the block (a
    heading such as ``## Jane Roe``) comes first, as a bare value; an empty value takes the next
    line when that is no key line (``password:`` / ``S3cret``).

    A section under a pay key (``compensation:`` / ``"compensation": {`` then indented keys,
    or ``compensation: {base: 142000}`` on its line) stays on its record's line and its keys
    are rendered under it (``compensation base: 142000``), so a nested amount has its pay key
    and the record's person. In such a block a line that only closes a JSON object or list
    (``},``) does not end the block (indented at least as deep as the block's keys)."""
    def pairs_of(ln):
        m = _key_line(norm, ln)
        if m is not None:
            val = _value(norm, m.start("val"), ln[1])
            return ("kv", m, val)
        x = _xml_line(norm, ln)
        if x is not None:
            return ("xml", x, None)
        if ln[1] - ln[0] <= 16 and norm[ln[0]:ln[1]].strip() in _CLOSERS:
            return ("close", None, None)
        return None

    block = [(line, pairs_of(line))]

    def shallow(ln) -> bool:  # a closing line less indented than the block's keys: the end
        return _indent(norm, ln) < min(_indent(norm, b[0]) for b in block if b[1][0] != "close")

    ln = line
    for _ in range(MAX_RECORD_LINES):
        if ln[0] == 0 or ln[0] - 1 < floor:
            break
        prev = _line_at(norm, ln[0] - 1)
        got = pairs_of(prev)
        if got is None or (got[0] == "close" and shallow(prev)):
            break
        block.insert(0, (prev, got))
        ln = prev
    ln = line
    count = 0
    while count < MAX_RECORD_LINES and ln[2] < len(norm):
        nxt = _line_at(norm, ln[2] + 1)
        got = pairs_of(nxt)
        if got is None:
            # an empty value continued on the next line
            last = block[-1][1]
            if last[0] == "kv" and last[2] is None and not last[1].group("val").strip() and nxt[1] > nxt[0]:
                s, e = _trim(norm, nxt[0], nxt[1])
                val = _value(norm, s, e) if e > s else None
                if val is not None and e - s <= 200:
                    block[-1] = (block[-1][0], ("kv", last[1], val))
                    ln = nxt
                    count += 1
                    continue
            break
        if got[0] == "close" and shallow(nxt):
            break
        block.append((nxt, got))
        ln = nxt
        count += 1
    if any(got[0] == "close" for _, got in block):
        if any(got[0] == "kv" and got[2] is None and _pay_role(_key_info(got[1].group("key"))[0])[0]
               for _, got in block):
            while block[-1][1][0] == "close":
                block.pop()
            while block[0][1][0] == "close":
                block.pop(0)
        else:  # no pay section: a closing line ends the block, as before
            at = next(i for i, (ln, _) in enumerate(block) if ln == line)
            lo = max((i + 1 for i in range(at) if block[i][1][0] == "close"), default=0)
            hi = min((i for i in range(at, len(block)) if block[i][1][0] == "close"), default=len(block))
            block = block[lo:hi]
    heading = None
    ln = block[0][0]
    if ln[0] > 0 and ln[0] - 1 >= floor:
        prev = _line_at(norm, ln[0] - 1)
        body = norm[prev[0]:prev[1]].strip(" \t#*_>-")
        if body and len(body) <= 60 and body[-1] not in ".!?:;,{}[]()<>" and _R.letter.search(body):
            s, e = _trim(norm, prev[0], prev[1], "#*_>- \t", "#*_ \t")
            if e > s:
                heading = (s, e)
    lines: list[list] = [[(None, None, heading[0], heading[1])]] if heading else [[]]
    section: tuple[int, str] | None = None  # (indent, rendered key) of an open section under a pay key
    for ln, (kind, got, val) in block:
        if section is not None and (norm[ln[0]] not in " \t" or _indent(norm, ln) <= section[0]):
            section = None
        if kind == "close":
            continue
        if kind == "xml":
            (ks, ke), (vs, ve) = got
            key, kspan, item = norm[ks:ke], (ks, ke), False
        else:
            key, kspan = got.group("key"), got.span("key")
            item = got.group("item") is not None
            if val is None:
                human = _key_info(key)[0]
                if section is None and _pay_role(human)[0]:
                    if item and lines[-1]:
                        lines.append([])
                    section = (_indent(norm, ln), human)
                    # a flow mapping on the line: "compensation: {base: 142000, bonus: 15000}"
                    for (cs, ce), (vs, ve), _ in _inline_pairs(norm, got.start("val"), ln[1]):
                        lines[-1].append((f"{human} {_key_info(norm[cs:ce])[0]}", (cs, ce), vs, ve))
                    continue
                if section is None and lines[-1]:
                    lines.append([])  # a section key (not under a pay key): a new line
                continue
            vs, ve = val
        if item and lines[-1] and section is None:
            lines.append([])
        rendered = _key_info(key)[0]
        if section is not None:
            rendered = f"{section[1]} {rendered}"
        lines[-1].append((rendered, kspan, vs, ve))
    return lines, block[0][0][0], block[-1][0][2]


#: Lines that only close a JSON object or list.
_CLOSERS = frozenset(("}", "},", "]", "],", "};", "})", "}),", "]}", "]},", "}]", "}],"))


def _indent(norm: str, ln: tuple[int, int, int]) -> int:
    """The blanks (spaces, tabs) opening the line ``ln``."""
    s, c = ln[0], ln[1]
    j = s
    while j < c and norm[j] in " \t":
        j += 1
    return j - s


def _xml_pairs(norm: str, lo: int, hi: int) -> list[tuple[tuple[int, int], tuple[int, int], int]]:
    """(key span, value span, end) of the XML elements opening in ``norm[lo:hi]``:
    ``<key>value</key>``, ``<x name="key">value</x>``, ``<x name="key" value="value"/>``,
    ``<input type="password" value="..."/>``; ``end`` is where the element ends."""
    out = []
    for m in _R.tag.finditer(norm, lo, hi):
        name = m.group(1)
        kspan = (m.start(1) + (name.rfind(":") + 1), m.end(1))
        vspan = None
        end = m.end()
        attrs = m.group(2)
        if attrs and "=" in attrs:
            named = {}
            spans = []
            for a in _R.attr.finditer(norm, m.start(2), m.end(2)):
                g = 2 if a.group(2) is not None else 3
                named[a.group(1).lower()] = (a.start(g), a.end(g))
                spans.append((a.span(1), (a.start(g), a.end(g))))
            if any(_key_info(norm[ks:ke])[2] for (ks, ke), _ in spans):  # a pay/plate attribute: every one a pair
                out += [(k, v, v[1]) for k, v in spans if v[1] > v[0]]
            for k in ("name", "key", "id", "property", "field", "label"):
                if k in named and named[k][1] > named[k][0]:
                    kspan = named[k]
                    break
            if "type" in named and norm[named["type"][0]:named["type"][1]].lower() == "password":
                kspan = named["type"]  # <input type="password" value="...">: whatever its name
            if "value" in named and named["value"][1] > named["value"][0]:
                vspan = named["value"]
        if vspan is None and not m.group(3):
            close = norm.find("<", m.end(), m.end() + 401)
            if close != -1 and norm.startswith("</" + name, close) and \
                    norm[close + 2 + len(name):close + 3 + len(name)] in (">", " ", "\t", "\r", "\n"):
                s, e = _trim(norm, m.end(), close, " \t\r\n")
                if e > s:
                    vspan = (s, e)
                    end = norm.find(">", close) + 1
        if vspan is not None:
            out.append((kspan, vspan, end))
    return out


def _inline_pairs(norm: str, lo: int, hi: int) -> list[tuple[tuple[int, int], tuple[int, int], int]]:
    """(key span, value span, end) of the ``key: value`` pairs inside ``norm[lo:hi]``."""
    out = []
    for m in _R.inline_pair.finditer(norm, lo, hi):
        g = "dq" if m.group("dq") is not None else "sq" if m.group("sq") is not None else "bare"
        vs, ve = _trim(norm, *m.span(g))
        if ve > vs:
            out.append((m.span("key"), (vs, ve), m.end()))
    return out


def _window_lines(norm: str, pairs: list[tuple[tuple[int, int], tuple[int, int], int]],
                  objects: list[tuple[str, int, int, int, int]] = ()) -> list[list]:
    """Pairs found in a window, as view lines: a new line where the text between two pairs
    closes an element or object (``</x>``, ``}``) or holds a blank line. A pair inside an
    object under a pay key (``objects``, see :func:`_pay_objects`) is rendered under that key
    too (``compensation base``), and the object's own ``}`` starts no new line: its amounts
    belong to the record around it."""
    lines: list[list] = [[]]
    last = -1
    closes = {c for _, _, _, _, c in objects}
    for (ks, ke), (vs, ve), end in sorted(pairs):
        if ks < last:
            continue  # overlaps the pair before
        if last >= 0:
            gap = norm[last:ks]
            if "</" in gap or "\n\n" in gap or "\n\r\n" in gap or (
                    "}" in gap and any(c == "}" and last + i not in closes for i, c in enumerate(gap))):
                lines.append([])
        key = _key_info(norm[ks:ke])[0]
        for human, _, _, o, c in objects:
            if o < ks < c:
                key = f"{human} {key}"
                break
        lines[-1].append((key, (ks, ke), vs, ve))
        last = max(end, ve)
    return lines


def _pay_objects(norm: str, lo: int, hi: int) -> list[tuple[str, int, int, int, int]]:
    """(rendered key, key start, key end, ``{``, its ``}``) of each object opening in
    ``norm[lo:hi]`` under a pay key (``"compensation": {"base": 142000}``; not a limit or
    statistic, see :func:`_pay_role`), closed before ``hi``."""
    out: list[tuple[str, int, int, int, int]] = []
    if norm.find("{", lo, hi) == -1:
        return out
    closes: dict[int, int] | None = None
    for m in _R.pay_object.finditer(norm, lo, hi):
        human = _key_info(m.group("key"))[0]
        if not _pay_role(human)[0]:
            continue
        if closes is None:
            closes = _braces(norm, lo, hi)
        close = closes.get(m.end() - 1, -1)
        if close != -1:
            out.append((human, m.start("key"), m.end("key"), m.end() - 1, close))
    return out


def _braces(norm: str, lo: int, hi: int) -> dict[int, int]:
    """``{`` position -> its ``}`` for the objects opened and closed in ``norm[lo:hi]``
    (braces in double-quoted strings skipped; a blank line drops the open ones): one pass."""
    out: dict[int, int] = {}
    stack: list[int] = []
    quoted = False
    j = lo
    while j < hi:
        c = norm[j]
        if quoted:
            if c == "\\":
                j += 1
            elif c == '"' or c == "\n":
                quoted = False
        elif c == '"':
            quoted = True
        elif c == "{":
            stack.append(j)
        elif c == "}":
            if stack:
                out[stack.pop()] = j
        elif c == "\n" and norm.startswith("\n", j + 1):
            stack.clear()  # a blank line: another structure
        j += 1
    return out


def _token(norm: str, p: int, lo: int) -> tuple[int, int]:
    """The key token (letters, digits, ``_``, ``-``, ``.``) around ``p``, not before ``lo``
    and at most 64 characters either way."""
    a = max(lo, p - 64)
    ts = p - _R.token.match(norm[a:p][::-1]).end()
    te = _R.token.match(norm, p, min(len(norm), p + 64)).end()
    while te > p and norm[te - 1] in ".-":
        te -= 1
    return ts, te


# --------------------------------------------------------------------------------------
# The views.


def views(norm: str) -> list[View]:
    """The views of ``norm`` (the normalised prompt): at most one :class:`View` per kind
    (``table``, ``record``), each holding every structure of that kind found around a trigger
    word, separated by blank text. An empty list when there is nothing to render.

    Raises :class:`StructuredCapExceeded` past :data:`MAX_BLOCKS` structures or when the views
    would hold more than ``MAX_VIEW_FACTOR * len(norm) + MAX_VIEW_SLACK`` characters (the
    caller fails closed)."""
    found = _occurrences(norm)
    if not found:
        return []
    ctx = _context(norm)
    # every occurrence, classified only when reached and not inside a structure already read
    # (a record of thousands of "Salary:" lines classifies one line per block, not each)
    occ = sorted((p, len(needle), needle) for needle, positions in found for p in positions)
    out = _Views(norm)
    size = len(norm)
    done: list[tuple[int, int]] = []  # spans already examined
    tables_seen: dict[int, bool] = {}  # line start -> is the line in a table
    reach_end = -1  # the end of the last inline window
    record_end = 0  # the end of the last block of key lines
    code_end = 0  # the end of the last SQL statement or dict read by _code_pay
    html_done: list[tuple[int, int]] = []  # HTML tables examined
    html_end = 0  # the end of the last one
    pending: list = []  # the view lines of adjacent inline windows: one structure
    pending_end = -1

    def window(lines: list, lo: int, hi: int) -> None:
        nonlocal pending, pending_end
        if pending and lo - pending_end < 64 and not norm[pending_end:lo].strip():
            pending += lines
        else:
            if pending:
                out.add("record", pending)
            pending = list(lines)
        pending_end = hi

    for p, n, needle in occ:
        if done and _covered(done, p):
            continue
        if needle in _WHOLE_WORDS and _part_of_word(norm, p, n):
            continue
        flags = _classify(norm, p, needle, ctx)
        if not flags:
            continue
        if flags & _SQL:
            got = _sql_insert(norm, p)
            if got is not None:
                lines, span = got
                if lines:
                    out.add("table", lines)
                _mark(done, span)
                continue
        if flags & _CELL and not (html_done and _covered(html_done, p)):
            span = _html_table(norm, p, out, html_end)  # a cell's own text may hold a key too: go on
            _mark(html_done, span)
            html_end = span[1]
        line = None
        if flags & _TABLE:
            line = _line_at(norm, p)
            in_table = tables_seen.get(line[0])
            if in_table is None:
                in_table = False
                table = _table_at(norm, line) if line[1] - line[0] <= MAX_LINE else None
                if table is not None:
                    in_table, lines = _table_view(norm, table)
                    if lines:
                        out.add("table", lines)
                    if in_table:
                        _mark(done, (table.lines[0][0], table.lines[-1][2]))
                    for ln in table.lines:  # a block is examined once, whatever it turned out to be
                        tables_seen[ln[0]] = in_table
                tables_seen[line[0]] = in_table
            if in_table:
                continue
        if not flags & (_TAG | _COMPOUND | _KEY | _INLINE):
            continue
        if line is None:
            line = _line_at(norm, p)
        ls, ce, le = line
        if flags & _TAG:
            lo, hi = max(0, p - MAX_REACH, reach_end), min(size, p + MAX_REACH)
            pairs = _xml_pairs(norm, lo, hi)
            if any(any(_key_info(norm[ks:ke])[1:4]) for (ks, ke), _, _ in pairs):
                window(_window_lines(norm, pairs), lo, hi)
            reach_end = hi
            _mark(done, (lo, hi))
            continue
        ts, te = _token(norm, p, ls)
        if te <= p:
            continue
        key = norm[ts:te]
        _, weak, join, _, _ = _key_info(key)
        compound = bool(flags & _COMPOUND) and _compound(key) and (weak or join)
        inline = join and bool(flags & _INLINE)
        if not (compound or inline or (join and flags & _KEY)):
            continue
        if inline and join:
            got = _code_pay(norm, p, ts, te, code_end)  # an UPDATE's SET, a dict of names to amounts
            if got is not None:
                lines, span = got
                if lines:
                    out.add("record", lines)
                _mark(done, span)
                code_end = span[1]
                continue
        m = _key_line(norm, line)
        if m is not None and m.start("key") <= p < m.end("key"):
            mkey = m.group("key")
            _, kw, kj, _, _ = _key_info(mkey)
            lines, bs, be = _record_block(norm, line, record_end)
            pairs = sum(len(x) for x in lines)
            if ((_compound(mkey) and (kw or kj)) or (kj and pairs >= 2)) and not _pay_only(lines):
                out.add("record", lines)
            _mark(done, (bs, be))
            record_end = be
            continue
        if (compound or inline) and _R.key_sep.match(norm, te):
            lo, hi = max(ls, p - MAX_REACH, reach_end), min(le, p + MAX_REACH)
            pairs = _inline_pairs(norm, lo, hi)
            objects = _pay_objects(norm, lo, hi) if inline else []
            if any(ks <= p < ke for (ks, ke), _, _ in pairs) or any(ks <= p < ke for _, ks, ke, _, _ in objects):
                window(_window_lines(norm, pairs, objects), lo, hi)
            reach_end = hi
            _mark(done, (lo, hi))
    if pending:
        out.add("record", pending)
    return out.result()


# --------------------------------------------------------------------------------------
# SQL and code.

#: An INSERT's head up to its VALUES (group ``cols``: the column list).
_SQL_INSERT = re.compile(r"(?i)insert[ \t\r\n]+(?:ignore[ \t\r\n]+)?into[ \t\r\n]+[\w.\"`\[\]]{1,128}[ \t\r\n]*"
                         r"\((?P<cols>[^()]{1,2000}?)\)[ \t\r\n]*values[ \t\r\n]*")
#: One SQL literal: a quoted string ('' inside kept) or a bare token; then , or ).
_SQL_VALUE = re.compile(r"[ \t\r\n]*(?:'(?P<sq>(?:[^'\n]|''){0,400})'|\"(?P<dq>[^\"\n]{0,400})\""
                        r"|(?P<bare>[^,()'\"\s][^,()'\"\n]{0,100}?))[ \t\r\n]*(?P<end>[,)])")
#: The pairs of an UPDATE's SET and WHERE (``salary = 182000``, ``name = 'Jane Roe'``).
_SQL_PAIR = re.compile(r"(?<![\w.])(?P<key>[A-Za-z_][\w.]{0,63})[ \t]*=[ \t]*"
                       r"(?:'(?P<sq>(?:[^'\n]|''){1,400})'|\"(?P<dq>[^\"\n]{1,400})\"|(?P<num>-?\d[\d.,]{0,20}))")
#: A dict entry keyed by a quoted name (``'Jane Roe': '$182,000'``, ``"Jane Roe": 182000``).
_DICT_ENTRY = re.compile(r"(?P<q>[\"'])(?P<k>[^\"'\n:]{2,80})(?P=q)[ \t]*(?::|=>)[ \t]*"
                         r"(?:(?P<q2>[\"'])(?P<v>[^\"'\n]{1,40})(?P=q2)|(?P<n>\d[\d_,.]{0,20}[kK]?))")
#: At most this many rows of an INSERT's VALUES are read.
MAX_SQL_ROWS = 100_000


def _sql_insert(norm: str, p: int) -> tuple[list, tuple[int, int]] | None:
    """When ``p`` lies in the column list of an ``INSERT INTO t (a, b) VALUES (..), (..)``: its
    rows as view lines (the columns as a table's header, see :func:`_column_keys`) and the span
    examined; else None. Cheap when no ``insert`` precedes ``p`` within 2000 characters."""
    low = _lower(norm)
    if len(low) != len(norm):
        low = norm.lower() if len(norm.lower()) == len(norm) else None
        if low is None:
            return None
    i = low.rfind("insert", max(0, p - 2000), p)
    if i == -1:
        return None
    m = _SQL_INSERT.match(norm, i)
    if m is None or not m.start("cols") <= p < m.end("cols"):
        return None
    labels: list[tuple[str, tuple[int, int]] | None] = []
    cs = m.start("cols")
    for part in norm[cs:m.end("cols")].split(","):
        a, b = cs, cs + len(part)
        while a < b and norm[a] in " \t\r\n\"`[":
            a += 1
        while b > a and norm[b - 1] in " \t\r\n\"`]":
            b -= 1
        labels.append((norm[a:b], (a, b)) if b > a and _R.letter.search(norm, a, b) else None)
        cs += len(part) + 1
    keys = _column_keys(labels)
    end = m.end()
    lines: list[list] = []
    pos = m.end()
    size = len(norm)
    for _ in range(MAX_SQL_ROWS):
        while pos < size and norm[pos] in " \t\r\n":
            pos += 1
        if not norm.startswith("(", pos):
            break
        pos += 1
        pairs = []
        col = 0
        while True:
            v = _SQL_VALUE.match(norm, pos)
            if v is None:
                break
            g = "sq" if v.group("sq") is not None else "dq" if v.group("dq") is not None else "bare"
            vs, ve = _trim(norm, *v.span(g))
            key = keys[col] if keys and col < len(keys) else None
            if ve > vs:
                pairs.append((key[0], key[1], vs, ve) if key else (None, None, vs, ve))
            col += 1
            pos = v.end()
            if v.group("end") == ")":
                break
        else:
            break
        if keys is not None and pairs:
            lines.append(pairs)
        end = pos
        while pos < size and norm[pos] in " \t\r\n":
            pos += 1
        if not norm.startswith(",", pos):
            break
        pos += 1
    return lines, (i, max(end, p + 1))


def _code_pay(norm: str, p: int, ts: int, te: int, floor: int = 0) -> tuple[list, tuple[int, int]] | None:
    """The pay key ``norm[ts:te]`` (at ``p``) in code: the pairs of the SQL statement when it is
    an UPDATE's ``SET salary = 182000 WHERE name = 'Jane Roe'`` (one view line), or, when the
    key is assigned a dict (``salaries = {'Jane Roe': '$182,000'}``), one line ``name: <key>,
    <pay key>: <value>`` per entry keyed by a quoted name. None: neither. The statement is read
    within 1000 characters either way of ``p``, not before ``floor`` (the end of the last one)."""
    sep = _R.inline_key.match(norm, ts)
    if sep is None:
        return None
    j = sep.end()
    while j < len(norm) and norm[j] in " \t":
        j += 1
    if norm.startswith("{", j):
        close = norm.find("}", j, j + 8000)
        hi = close if close != -1 else min(len(norm), j + 8000)
        key = _key_info(norm[ts:te])[0]
        entries = list(_DICT_ENTRY.finditer(norm, j + 1, hi))
        if not any(_person_value(e.group("k"), 1) for e in entries):
            return None  # no dict of names: an object of sub-keys ({"base": 142000, ...}), read as pairs
        lines = [[("name", (ts, te), e.start("k"), e.end("k")),
                  (key, (ts, te), *(e.span("v") if e.group("v") is not None else e.span("n")))]
                 for e in entries]
        return lines, (ts, hi)
    low = _lower(norm)
    if len(low) != len(norm):
        return None
    lo = max(0, p - 1000, floor)
    u = low.rfind("update", max(lo, low.rfind(";", lo, p) + 1), p)
    if u == -1 or low.find(" set ", u, p) == -1 and low.find("\nset ", u, p) == -1:
        return None
    stop = low.find(";", p, p + 1000)
    stop = min(len(norm), p + 1000) if stop == -1 else stop
    pairs = []
    for m in _SQL_PAIR.finditer(norm, u, stop):
        g = "sq" if m.group("sq") is not None else "dq" if m.group("dq") is not None else "num"
        pairs.append((_key_info(m.group("key"))[0], m.span("key"), *m.span(g)))
    return [pairs], (u, stop)


def _covered(done: list[tuple[int, int]], p: int) -> bool:
    i = bisect_right(done, (p, 1 << 62)) - 1
    return i >= 0 and done[i][0] <= p < done[i][1]


def _mark(done: list[tuple[int, int]], span: tuple[int, int]) -> None:
    i = bisect_right(done, span)
    done.insert(i, span)


# --------------------------------------------------------------------------------------
# Re-scanning.

def rescan(norm: str, view: View, detectors: list, run) -> None:
    """Re-scan ``view`` with ``detectors`` (``(name, tier, fn)``, ``fn(text)`` yielding hits
    ``(start, end, masked[, verdict[, context]])``) and record each one's hits through
    ``run(f"{name} ({view.kind})", tier, thunk, len(norm))``, mapped to spans of ``norm``
    (``0 <= start < end <= len(norm)``). A detector that raises is ``run``'s to record."""
    size = len(norm)
    if not size or not view.segs:
        return
    for name, tier, fn in detectors:
        builtin = _DETECTORS.get(name) is fn
        if name == "salary" and builtin and (view.pay or name in view.families):  # with the structure's amounts
            run(f"{name} ({view.kind})", tier,
                lambda fn=fn: _with_pay(_mapped(_unpaid(view), fn, size), view.pay), size)
            continue
        if name == "internal_hostname" or (builtin and name not in view.families):
            continue  # a built-in detector whose context words no key holds: it would repeat the plain scan
        if builtin and name in _NARROW and len(view.families & _NARROW) > 1:  # not the others' pairs
            run(f"{name} ({view.kind})", tier,
                lambda fn=fn, name=name: _mapped(view.narrow(lambda k, s, e, name=name: _keep_for(name, k)), fn,
                                                 size), size)
            continue
        run(f"{name} ({view.kind})", tier, lambda fn=fn: _mapped(view, fn, size), size)


#: Detectors of the weak shapes: each reads a value only after its own context word, so a view
#: re-scanned by one of them holds only the pairs under its own keys (see :meth:`View.narrow`).
_NARROW = frozenset(k for k in _FAMILY_SOURCES if k not in _FAMILY_CATEGORY)


def _keep_for(name: str, key: str | None) -> bool:
    """Whether the view for the weak-shape detector ``name`` keeps a pair under ``key``: a bare
    value, a key of its own, a key of no weak shape (a name, a pay or owner column: context);
    not a key of another weak shape only (``DOB`` for ``phone``: that detector's own value)."""
    if key is None:
        return True
    fams = _families(key)
    return name in fams or not fams & _NARROW


def _pay_only(lines: list) -> bool:
    """Whether a structure's pairs are all under keys of pay alone (``Salary: 1`` / ``Salary:
    2`` ...): no person, no heading, no other detector's key, no key naming the person
    (``employee_salary``). Such a record gives neither pay hits nor anything the plain scan
    of its lines misses: it is not rendered."""
    for pairs in lines:
        for key, _, _, _ in pairs:
            if not key or _families(key) != _SALARY_ONLY:
                return False
            pay, who = _pay_role(key)
            if not pay or who:
                return False
    return True


_SALARY_ONLY = frozenset(("salary",))


def _unpaid(view: View) -> View | None:
    """``view`` for the ``salary`` detector: without the lines whose every value holding a
    digit is an amount :func:`_pay_hits` found (those amounts are reported as pay hits; the
    detector, which needs digits for an amount, would only find them again), and without the
    lines of pay keys only (no person or other context: nothing the plain scan of their lines
    misses; see :func:`_pay_only`)."""
    paid = {h[0] for h in view.pay}
    if view.rows is None:
        return view
    segs, norm_of = view.segs, view.text
    drop: set[int] = set()
    for i, (_, pairs) in enumerate(view.rows):
        if pairs and _pay_only([[(key, None, 0, 0) for key, _, _ in pairs]]):
            drop.add(i)
            continue
        if not paid:
            continue
        hit = False
        for _, _, vi in pairs:
            vs, ve, ns, _, _ = segs[vi]
            if ns in paid:
                hit = True
            elif any(c.isdigit() for c in norm_of[vs:ve]):
                break
        else:
            if hit:
                drop.add(i)
    if not drop:
        return view
    rows = [r for i, r in enumerate(view.rows) if i not in drop]
    return View(view.kind, view.text, view.segs, view.families, view.pay, rows).narrow(lambda k, s, e: True)


def _with_pay(hits: list[tuple[int, int, str, str, str]], pay: list[tuple[int, int, str, str, str]]
              ) -> list[tuple[int, int, str, str, str]]:
    """``hits`` and the pay hits that overlap none of them (both sorted by position: linear)."""
    spans = sorted((h[0], h[1]) for h in hits)
    out = list(hits)
    i = 0
    for h in sorted(pay):
        while i < len(spans) and spans[i][1] <= h[0]:
            i += 1
        if i < len(spans) and spans[i][0] < h[1]:
            continue  # overlaps a hit of the detector
        out.append(h)
    return out


def _mapped(view: View, fn, size: int) -> list[tuple[int, int, str, str, str]]:
    out = []
    if view is None:
        return out
    note = f"{view.kind} view"
    seen: set[tuple[int, int]] = set()
    for h in fn(view.text):
        s, e, masked, verdict, context = _full_hit(h)
        if (s, e) in seen:
            continue  # the same value again (a context word reaching the next line's value too)
        seen.add((s, e))
        ns, ne = view.span(s, e, size)
        out.append((ns, ne, masked, f"{verdict}; {note}" if verdict else note, context))
    return out
