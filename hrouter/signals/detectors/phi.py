"""PHI: protected health information — an identifier and clinical vocabulary in one sentence.

Health data alone ("How does metformin work?") is public; an identifier alone is the
other detectors' business. Together, in the same sentence, they are PHI: finding ``phi``.

Identifiers, checked against HIPAA Safe Harbor's 18 (45 CFR 164.514(b)(2)):

 1. names — a person-name cue: an honorific + a capitalised name (Mr./Ms./Frau/Herr/M./
    Mme/Sr./Sra. ...; not Dr./Prof.: the clinician, not the patient), "patient X"/"Patientin
    X"/"paciente X", or two or three capitalised words that are not titles, places, months or
    clinical terms ("Oliver Osei, 78, ...").
    With a plain capitalised pair the clinical side must be strong (a diagnosis phrase, an
    ICD-10 code, a medication with a dose), not just a condition word — unless an age phrase
    is in the sentence ("Maria Garcia is a 45-year-old woman with diabetes") or the term
    follows the name right away: its possessive or has/had/tested positive for ("Maria
    Garcia's biopsy", "Jane Roe has HIV"), or a list after a separator (``:`` ``,`` ``(``
    a dash) whose first item is the term ("Maria Garcia: diabetes, hypertension.", "Patient
    update — Maria Garcia, type 2 diabetes."): the term ends an item (``,`` ``;`` ``.`` a line
    end, "and"), so "Siddhartha Mukherjee, cancer physician" is no list; a medication without
    a dose needs a second clinical item ("Maria Garcia: metformin, lisinopril"; not "Frederick
    Banting, insulin; ..."); chart/therapy/surgery-like words do not count. In a key-value record a label line names the
    patient for the clinical terms of the following lines ("Patient: John Smith" / "Name:
    ..." then "Diagnosis: ...", up to ten "Label: value" lines, no blank line) and of the
    later sentences of its own line ("Pt: Maria Garcia. Admitted with pneumonia.");
 2. geographic subdivisions smaller than a state — a person's street address: ``postal_address``;
 3. dates directly related to a person (birth, admission, ...) — ``date_of_birth``;
 4.-5. telephone and fax numbers — ``phone``;
 6. email addresses — ``email``;
 7. social security numbers — ``ssn`` (and ``national_id`` for other countries);
 8. medical record numbers — ``medical_id``;
 9. health plan beneficiary numbers — ``medical_id``;
10. account numbers — ``iban``, ``credit_card``;
11. certificate/licence numbers — ``passport``, ``national_id``;
12. vehicle identifiers and licence plates — ``vehicle_plate``;
13. device identifiers and serial numbers — not detected (no reliable shape);
14.-15. URLs and IP addresses — not personal on their own here;
16.-17. biometric identifiers and full-face photographs — attached images fail closed (``image``);
18. any other unique identifying number, characteristic or code — ``api_key`` etc. are
    secrets already; nothing further.

Clinical vocabulary (EN/DE/FR/ES): diagnosis phrases (diagnosed with, diagnosis, treated
for, suffers from, prescribed, admitted with, history of — not a title's "History of Western
Philosophy" —, discharged from hospital/home; diagnostiziert, Diagnose, leidet an;
diagnostiqué, diagnostic, atteint de, souffre de; diagnosticado, diagnóstico, padece),
ICD-10 codes with a decimal part (``E11.9``, ``F32.1``), medications by name (generic, or a
short list of common brand names: Zoloft, Prozac, Lexapro, Ozempic, Wegovy, Mounjaro, Xanax,
Valium, Lipitor, Crestor, Humira, Eliquis, Xarelto, Synthroid, Wellbutrin, Seroquel, Abilify,
Vyvanse, Suboxone, Adderall, Ritalin, Truvada) or by their class suffix with a dose
(``sertraline 50 mg``), and condition/lab words (diabetes,
depression, cancer, HIV, HbA1c, creatinine, Kreatinin, ...).
"""

from __future__ import annotations

import re
from bisect import bisect_left

# imported when the detector first runs, after the sensitivity module
from hrouter.signals.detectors.contextual import _sentence_spans, person_names, record_person, sentence_window
from hrouter.signals.sensitivity import _lower_windows, _match_copy, _scan

_I = re.IGNORECASE

_STRONG = (
    r"diagnos(?:ed|is|es)\b|dx\b|prescri(?:bed|ption)|treated[ \t]+for|suffer(?:s|ing)?[ \t]+from|"
    r"history[ \t]+of|admitted[ \t]+(?:for|with)|"
    r"discharged[ \t]+(?:from[ \t]+(?:the[ \t]+)?(?:hospital|icu|ward|clinic|er|emergency|rehab\w*|care)|home)|"
    r"diagnostiziert|diagnose\b|befund|verschrieben|leidet[ \t]+an|behandelt[ \t]+wegen|"
    r"diagnostiqu[ée]e?|diagnostic\b|atteinte?[ \t]+d[e']|souffre[ \t]+d[e']|ordonnance|prescrit|"
    r"diagnosticad[oa]|diagn[óo]stico|padece|recetad[oa]"
)
_MED_SUFFIX = (r"[a-z]{3,}(?:pril|olol|statin|sartan|prazole|azole|oxetine|aline|azepam|azolam|mab|cycline|cillin|"
               r"floxacin|formin|gliptin|glutide|tidine|dipine|triptan|profen|codone|morphone|apine|idone|"
               r"tadine|semide|thiazide)")
_MEDS = (r"insulin|metformin|sertraline|lithium|warfarin|levothyroxine|methotrexate|prednisone|prednisolon|"
         r"ibuprofen|paracetamol|aspirin|morphine|fentanyl|oxycodone|adderall|ritalin|methylphenidate|"
         r"truvada|prep|"
         # brand names (US top sellers of the classes people ask about: SSRIs, GLP-1, benzodiazepines,
         # stimulants, statins, biologics, anticoagulants, thyroid, HIV PrEP)
         r"zoloft|prozac|lexapro|ozempic|wegovy|mounjaro|xanax|valium|lipitor|crestor|humira|eliquis|xarelto|"
         r"synthroid|wellbutrin|seroquel|abilify|vyvanse|suboxone|"
         r"chemotherap\w*|radiotherap\w*|dialys\w*|antidepressant\w*|antibiotic\w*")
_CONDITION = (
    r"diabet\w*|diab[eè]te|depress\w*|d[ée]pression|depresi[óo]n|cancer|c[áa]ncer|krebs|tumou?r\w*|"
    r"hiv|aids|hepatitis|h[ée]patite|schizophreni\w*|bipolar\w*|psychos\w*|dementia|demenz|d[ée]mence|"
    r"melanoma\w*|lymphoma\w*|leuka?emia\w*|carcinoma\w*|pneumonia|tuberculosis|"
    r"alzheimer\w*|parkinson\w*|epilep\w*|asthma\w*|hypertension|hypertonie|stroke|schlaganfall|"
    r"pregnan\w*|schwanger\w*|enceinte|embarazad[ao]|miscarriage|abortion|std|sti|chlamydia|syphilis|"
    r"overdose|addiction|alcoholism|anorexia|bulimia|autism|adhd|ptsd|ocd|anxiety[ \t]+disorder|"
    r"hba1c|creatinine|kreatinin|cr[ée]atinine|cholesterol|blood[ \t]+(?:pressure|test|sugar)|"
    r"medication|medikament\w*|m[ée]dicament\w*|medicamento\w*|symptom\w*|s[íi]ntoma\w*|mg/dl|mmol/l|"
    r"surgery|cirug[íi]a|therapy|therapie|th[ée]rapie|terapia|"
    r"chart|laborwerte|lab[ \t]+results?|biopsy|mri|ct[ \t]+scan|x-ray|referral"
)
#: :data:`_MED_SUFFIX` for the lower-case copy: the run of letters (greedy, and it must end
#: there), then a look back for a suffix with at least three letters before it.
_MED_SUFFIX_LC = (r"[a-z]{3,}(?![a-z])(?:(?<=[a-z]{3}mab)|(?<=[a-z]{3}(?:pril|olol))|"
                  r"(?<=[a-z]{3}(?:azole|aline|apine|idone))|"
                  r"(?<=[a-z]{3}(?:statin|sartan|azepam|azolam|cillin|formin|tidine|dipine|profen|codone|"
                  r"tadine|semide))|"
                  r"(?<=[a-z]{3}(?:prazole|oxetine|cycline|gliptin|glutide|triptan))|"
                  r"(?<=[a-z]{3}(?:floxacin|morphone|thiazide)))")
_DOSE = r"\d+(?:[.,]\d+)?[ \t]?(?:mg|mcg|µg|ml|iu|ie|units?|einheiten)\b"
_ICD = r"(?-i:\b[A-TV-Z]\d\d\.\d{1,4}\b)"


#: Lower-case substrings that open a window for the clinical vocabulary (stems, medication
#: class suffixes, dose units, "icd"/"cie"); an ICD-10 code is searched for on its own.
_NEEDLES = (
    "diagnos", " dx", "prescri", "treated", "suffer", "history of", "admitted", "discharg", "referral",
    "befund", "verschrieb", "leidet", "behandelt", "atteint", "souffre", "ordonnance", "padece", "recetad",
    "pril", "olol", "statin", "sartan", "azole", "oxetine", "aline", "azepam", "azolam", "mab", "cycline",
    "cillin", "floxacin", "formin", "gliptin", "glutide", "tidine", "dipine", "triptan", "profen", "codone",
    "morphone", "apine", "idone", "semide", "thiazide", "insulin", "lithium", "warfarin",
    "thyrox", "methotrex", "predniso", "paracetamol", "aspirin", "morphin", "fentanyl", "adderall", "ritalin",
    "truvada", " prep", "zoloft", "prozac", "lexapro", "ozempic", "wegovy", "mounjaro", "xanax", "valium",
    "lipitor", "crestor", "humira", "eliquis", "xarelto", "synthroid", "wellbutrin", "seroquel", "abilify",
    "vyvanse", "suboxone", "melanom", "lymphom", "leuk", "carcinom", "pneumon", "tubercul",
    "therap", "dialys", "antidepress", "antibiotic", "diabet", "diabè", "depress", "dépress",
    "depresi", "cancer", "cáncer", "krebs", "tumo", "hiv", "aids", "hepat", "hépat", "schizo", "bipolar",
    "psychos", "dement", "démence", "alzheim", "parkins", "epilep", "asthm", "hypert", "stroke",
    "schlaganfall", "pregnan", "schwanger", "enceinte", "embarazad", "miscarr", "abortion", " std", " sti",
    "chlamyd", "syphil", "overdose", "addict", "alcoholi", "anorex", "bulim", "autis", "adhd", "ptsd", " ocd",
    "anxiety", "hba1c", "creatin", "kreatin", "créatin", "cholest", "blood", "medica", "medika", "médica",
    "symptom", "síntoma", "sintoma", "mg/dl", "mmol", "surgery", "cirug", "therapie",
    "thérapie", "terapia", "chart", "laborwerte", "lab result", "biops", " mri", "ct scan", "x-ray", "icd", "cie-", "cie 10",
)


class _Rx:
    all: dict | None = None


def _lazy(src: str, flags: int = 0) -> tuple[str, int]:
    return src, flags


class _LazyRx(dict):
    """Pattern sources compiled on first use: a prompt without clinical words never pays for
    the large clinical pattern (~10 ms to compile)."""

    def __getitem__(self, key: str) -> re.Pattern[str]:
        got = dict.__getitem__(self, key)
        if isinstance(got, tuple):
            got = re.compile(*got)
            self[key] = got
        return got


def _rx() -> dict[str, re.Pattern[str]]:
    if _Rx.all is None:
        _Rx.all = _LazyRx({
            "clinical": _lazy(
                r"(?<![^\W_])(?:(?P<icd>(?:ICD(?:-?10)?|CIE(?:-?10)?)[ \t:]*[A-TV-Z]\d\d(?:\.\d{1,4})?\b)"
                r"|(?P<strong>" + _STRONG + r")|(?P<med>(?:" + _MEDS + "|" + _MED_SUFFIX + r")(?![^\W_]))"
                r"|(?P<cond>(?:" + _CONDITION + r")(?![^\W_])))", _I),
            # the same terms for the lower-case copy (see sensitivity._match_copy); the
            # medication suffix as "a whole word ending in it", which backtracks in one step
            "clinical_lc": _lazy(
                r"(?<![^\W_])(?:(?P<icd>(?:icd(?:-?10)?|cie(?:-?10)?)[ \t:]*[a-tv-z]\d\d(?:\.\d{1,4})?\b)"
                r"|(?P<strong>" + _STRONG + r")|(?P<med>(?:" + _MEDS + "|" + _MED_SUFFIX_LC + r")(?![^\W_]))"
                r"|(?P<cond>(?:" + _CONDITION + r")(?![^\W_])))"),
            "icd": _lazy(_ICD),
            # "icd" found from its period (a literal the engine skips to fast): the match
            # starts three characters earlier (codes never overlap: each starts at a capital)
            "icd_fast": _lazy(r"\.(?<=\b[A-TV-Z]\d\d\.)\d{1,4}\b"),
            "dose": _lazy(r"[ \t]*" + _DOSE, _I),
            # "patient X" (EN/DE/FR/ES/IT/NL), or "Patient: First Last" (a label: two capitalised words)
            "patient": _lazy(r"(?<![^\W_])(?:patient(?:in|e)?|paciente|patienten|paziente|pati[ëe]nt)"
                                  r"(?:[ \t]+(?P<one>(?-i:[A-ZÀ-ÖØ-Þ][\w'’\-]+))|[ \t]*:[ \t]*"
                                  r"(?P<two>(?-i:[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’\-]+[ \t]+[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’\-]+)))", _I),
            # an ICD-10-shaped code introduced as an error/lint code ("Linter error F32.1", "Error
            # code E11.9"): the word right before it, no "ICD"/"CIE"/diagnosis word shortly before
            "not_icd": _lazy(r"(?<![^\W_])(?:errors?|err|codes?|lint(?:er|ing)?|rules?|warnings?|warn|"
                                  r"flake8?|pylint|ruff|pycodestyle|eslint|mypy|errno|fault|"
                                  r"fehler(?:code)?|regel|warnung|erreur|r[èe]gle|avertissement|"
                                  r"c[óo]digo|regla|advertencia)[ \t]*[:#=]?[ \t]*\Z", _I),
            # "Maria Garcia is a 45-year-old woman": an age phrase in the sentence
            "age_phrase": _lazy(r"(?<![^\W_])(?:is|was)[ \t]+an?[ \t]+\d{1,3}[ \t]*-?[ \t]*(?:years?|yrs?)"
                                     r"[ \t]*-?[ \t]*old(?![^\W_])", _I),
            # right after a name, a clinical term follows: "Jane Roe has HIV", "Maria Garcia's
            # biopsy", "John Smith tested positive for HIV" (the possessive is in the name match)
            "name_has": _lazy(r"[ \t]+(?:(?:has|had|was[ \t]+diagnosed[ \t]+with|"
                                   r"tested[ \t]+positive[ \t]+for|is[ \t]+positive[ \t]+for|died[ \t]+of|"
                                   r"is[ \t]+being[ \t]+treated[ \t]+for)[ \t]+)?" + _QUALIFIERS, _I),
            # a list of conditions after a name: "Maria Garcia: diabetes", "Maria Garcia, type 2
            # diabetes", "Maria Garcia — diabetes", "Maria Garcia (diabetes)"
            "name_list": _lazy(r"[ \t]*(?:[:,;(]|[ \t][—–\-])[ \t]*" + _QUALIFIERS, _I),
            "list_end": _lazy(r"[ \t]*(?:[,;.)]|\r?\n|\Z|and(?![^\W_]))", _I),
            "list_next": _lazy(r"[ \t]*(?:[,;]|and(?![^\W_]))[ \t]*(?:and[ \t]+)?" + _QUALIFIERS, _I),
            # only qualifiers between a name and its term: no verb ("Jane Roe has ...")
            "no_verb": _lazy(r"[ \t]+" + _QUALIFIERS, _I),
            "icd_word": _lazy(r"icd|cie|diagnos|dx\b|diagnó", _I),
            # (used with match() at the end of a name, so no "^": it would only match at 0)
            "age": _lazy(r"[ \t]*(?:,[ \t]*\d{1,3}[ \t]*(?:,|\b)|\([ \t]*\d{1,3}[ \t]*\)|"
                              r",?[ \t]*(?:aged|age)[ \t]+\d{1,3}|,?[ \t]*\d{1,3}[ \t\-]*(?:years?|yo|y/o|ans|"
                              r"años|jahre))", _I),
        })
    return _Rx.all  # type: ignore[return-value]


_RANK = {"ICD-10 code": 0, "diagnosis": 1, "medication": 2, "condition": 3}


def _clinical_terms(text: str) -> list[tuple[int, int, str, bool]]:
    """Every clinical term: (start, end, kind, strong)."""
    r = _rx()
    out = []
    for m in r["icd_fast"].finditer(text):
        s = m.start() - 3
        if r["not_icd"].search(text, max(0, s - 24), s) and not r["icd_word"].search(text, max(0, s - 48), s):
            continue  # an error/lint code, not a diagnosis
        out.append((s, m.end(), "ICD-10 code", True))
    windows = _lower_windows(text, _NEEDLES, 12, 24)
    if not windows:
        return out  # no clinical trigger word (and the clinical pattern is not compiled)
    lc = _match_copy(text)
    for m in (_scan(r["clinical"], text, windows) if lc is None else _scan(r["clinical_lc"], lc, windows)):
        if m.group("icd"):
            out.append((m.start(), m.end(), "ICD-10 code", True))
        elif m.group("strong"):
            if _TITLE_AFTER.match(text, m.end()) and text[m.start()] == "H":
                continue  # "History of Western Philosophy": a title, not a patient's history
            out.append((m.start(), m.end(), "diagnosis", True))
        elif m.group("med"):
            out.append((m.start(), m.end(), "medication", r["dose"].match(text, m.end()) is not None))
        else:
            out.append((m.start(), m.end(), "condition", False))
    return out


_NAME_WORDS = re.compile(r"[\w'’\-]+")
_HONORIFICS = frozenset("Mr Mrs Ms Mx Dr Prof Herr Frau M Mme Mlle Sr Sra Srta Don Doña".split())
#: Honorifics of the clinician, not the patient ("Dr. Jones has been seeing a client in therapy").
_PROVIDERS = frozenset("Dr Dra Prof Doctor Doktor".split())
#: A capitalised word (not an all-capitals abbreviation: "history of MI") after "History of".
_TITLE_AFTER = re.compile(r"[ \t]+(?:the[ \t]+)?[A-Z][a-z]")
_CLINICAL_WORDS = frozenset("major minor type disorder disease syndrome acute chronic severe mild stage grade "
                            "clinic hospital medical health center centre care institute university".split())


#: Words between a name (+ verb) and its clinical term: "has a stroke", "had stage 3 cancer".
_QUALIFIERS = (r"(?:(?:an?|the|stage[ \t]+\w+|type[ \t]+\d|early|late|advanced|chronic|severe|acute|mild|"
               r"metastatic)[ \t]+){0,2}")


def _term_follows(text: str, n: re.Match[str], starts: dict[int, tuple[int, str, bool]]) -> bool:
    """Whether a clinical term (``starts``: the sentence's terms by start, (end, kind,
    strong)) comes right after the name: its possessive ("Maria Garcia's biopsy"),
    has/had/was diagnosed with/tested positive for ("Jane Roe has HIV"), or a list of
    conditions after a separator ("Maria Garcia: diabetes, hypertension.", "Maria Garcia,
    type 2 diabetes, metformin"; see :func:`_listed`)."""
    r = _rx()
    m = r["name_has"].match(text, n.end())
    if m is not None and m.end() in starts:
        if not r["no_verb"].fullmatch(m.group()) or n.group().endswith(("'s", "’s")):
            return True  # a verb or the possessive links the name to the term
    m = r["name_list"].match(text, n.end())
    return m is not None and _listed(text, m.end(), starts)


#: Conditions too generic to name a patient's diagnosis in a list after a name.
_LIST_NOT = frozenset(("chart", "medication", "medications", "symptom", "symptoms", "therapy", "surgery",
                       "referral", "mri", "x-ray"))


def _listed(text: str, i: int, starts: dict[int, tuple[int, str, bool]]) -> bool:
    """Whether the clinical term at ``i`` is an item of a list, not a word of a phrase: it
    ends the sentence or a list item (``,`` ``;`` ``.`` ``)`` a line end, "and"). A condition
    (or a diagnosis, an ICD-10 code, a dosed medication) counts alone; an undosed medication
    only when the next item is a clinical term too ("Maria Garcia: metformin, lisinopril";
    "Frederick Banting, insulin; Alexander Fleming, penicillin" is history, not a chart), and
    so does a capitalised term before ``,`` or "and" (a title: "Jane Austen: Depression and
    Creativity"; "Maria Garcia: Diabetes, Hypertension" is a list)."""
    got = starts.get(i)
    if got is None:
        return False
    end, kind, strong = got
    if kind == "condition" and text[i:end].lower() in _LIST_NOT:
        return False
    sep = _rx()["list_end"].match(text, end)
    if sep is None:
        return False
    word = text[i:end]
    title = word[0].isupper() and not word.isupper()  # "Jane Austen: Depression and Creativity"
    if (kind != "medication" or strong) and not (title and sep.group().strip() in (",", "and", "AND", "And")):
        return True
    nxt = _rx()["list_next"].match(text, end)
    return nxt is not None and nxt.end() in starts


def detect_phi(text: str, idents: list[tuple[int, int, str]]) -> list[tuple[int, int, str, str, str]]:
    """PHI findings: an identifier (another detector's personal-data finding or a name cue)
    and a clinical term in one sentence; see the module docstring."""
    by_sentence: dict[tuple[int, int], list[tuple[int, int, str, bool]]] = {}
    terms_all = _clinical_terms(text)
    # many terms: split the text once and bisect (each local look-up reads ~1 KB)
    spans = _sentence_spans(text) if len(terms_all) > 32 else None
    for term in terms_all:
        by_sentence.setdefault(sentence_window(text, term[0], spans), []).append(term)
    hits = []
    record_ok: dict[tuple[int, int], bool] = {}
    # the identifiers by start, with their index (the first one in ``idents`` order that
    # overlaps a sentence names it): one that overlaps [s, e) starts at or after s - longest
    order = sorted((a, i) for i, (a, _, _) in enumerate(idents))
    starts = [a for a, _ in order]
    longest = max((b - a for a, b, _ in idents), default=0)
    for (s, e), terms in sorted(by_sentence.items()):
        ts, te, kind, _ = min(terms, key=lambda t: (_RANK[t[2]], t[0]))
        strong = any(t[3] for t in terms)
        first = min((i for _, i in order[bisect_left(starts, s - longest):bisect_left(starts, e)]
                     if idents[i][1] > s), default=-1)
        who = idents[first][2] if first != -1 else ""
        if not who:
            for p in _rx()["patient"].finditer(text, s, e):
                named = p.group("one") or p.group("two")
                if named.lower() in _CLINICAL_WORDS or _rx()["clinical"].search(named):
                    continue  # "Patient: Major Depression", "patient Diabetes"
                who = "patient name"
                break
        if not who:
            term_starts = {t[0]: (t[1], t[2], t[3]) for t in terms}
            age_from = -2  # the last age phrase's start in the sentence (-1: none), found once
            r = _rx()
            for n in person_names(text, s, e):
                words = _NAME_WORDS.findall(n.group())
                first = words[0].rstrip(".")
                # the cheap cues first: a name that has none needs no further look
                if not (first in _HONORIFICS or strong or r["age"].match(text, n.end()) is not None
                        or _term_follows(text, n, term_starts)):
                    if age_from == -2:
                        age_from = max((a.start() for a in r["age_phrase"].finditer(text, s, e)), default=-1)
                    if age_from < n.end():  # no "Maria Garcia is a 45-year-old woman" after the name
                        continue
                c = r["clinical"].search(n.group())
                if any(w.lower() in _CLINICAL_WORDS for w in words) or (
                        c and len(n.group()[:c.start()].split()) < 2):  # "Give Jane Roe Xanax 0.5 mg": a name first
                    continue  # "Major Depressive Disorder", "Mayo Clinic": not a person
                if first in _PROVIDERS:
                    continue  # the clinician's name: the patient is someone else
                who = "name cue"
                break
        if not who:
            n = record_person(text, s, e)
            if n is not None:
                if n.span() not in record_ok:  # a record's name serves each of its lines: check it once
                    record_ok[n.span()] = not (
                        any(w.lower() in _CLINICAL_WORDS for w in re.findall(r"[\w'’\-]+", n.group()))
                        or _rx()["clinical"].search(n.group()) or n.group().split()[0].rstrip(".") in _PROVIDERS)
                if record_ok[n.span()]:
                    who = "record name"
        if who:
            hits.append((ts, te, f"{kind} …({te - ts} chars)",
                         "identifier + clinical term in one sentence", f"{kind}; {who}"))
    return hits
