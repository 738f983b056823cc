"""Weak shapes that count only next to a context word (matched as a whole word, EN/DE/FR/ES).

``medical_id``
    Medical record numbers and health-plan/insurance member ids (HIPAA Safe Harbor
    identifiers 8 and 9): a value of 4-20 letters/digits/dashes with at least 4 digits
    (not a date) right after — or just before, in parentheses — a context word: MRN,
    medical record number, patient ID/number, hospital/chart number, member ID, subscriber
    ID, policy number, insurance number, Medicare/Medicaid number; Patientennummer,
    Patienten-ID, Fallnummer, (Kranken)Versichertennummer, Versicherungsnummer,
    Mitgliedsnummer; numéro de dossier, dossier médical, numéro de patient, IPP, numéro
    d'assuré/d'adhérent; historia clínica, NHC, número de paciente/afiliado/asegurado/póliza,
    tarjeta sanitaria; tessera sanitaria, cartella clinica; número/n.º/cartão de utente,
    número de beneficiário, processo clínico; patiëntnummer, (zorg)verzekeringsnummer,
    polisnummer; numer pacjenta/ubezpieczenia/polisy; also claim/encounter number, health card
    number, OHIP, MBI (Medicare Beneficiary Identifier), Pat.-Nr., Fall-Nr., Aufnahmenummer,
    KV-Nummer, Kranken-/Renten-/Sozialversicherungsnummer, n° d'assuré, nº de afiliación, NUSS,
    número de la seguridad social. Between the word and the value only
    separators and connector words ("number", "Nr.", "n°", "n.", "is", "ist", "est", ":", "#", ...);
    "No."/"Nr." and "#" right after the word count too ("Policy No. W123456789", "Policy #W123456789").
    A value may also stand just before the word: "00123456 (MRN)", "C01234567 is my passport number".
``passport``
    A passport number (6-9 upper-case letters/digits with at least 2 digits, or a
    9-digit number) right after passport (number), Reisepass(nummer), Passnummer,
    passeport, numéro de passeport, pasaporte, número de pasaporte, passaporto (n.),
    passaporte (n.º), paspoort(nummer), paszport(u), "passport details"; or an identity card
    number (also 12 digits, or "EA 1234567") after ID card, identity card, (Personal)ausweis,
    carte d'identité, carta d'identità, documento de identidad, identiteitskaart, dowód
    osobisty. The value may also follow a number word later in the sentence ("my passport, the
    number is X1234567", "le passeport de M. Martin porte le numéro ..."). The word alone (a
    question about passports) is public.
``salary``
    A named person's pay: a person (two or three capitalised words that are not job titles,
    places, months or sentence openers; or an honorific + a capitalised name; O'Brien, McDonald,
    MacLeod, van der Berg; a salutation or job word before the name is dropped: "Dear Jane Roe",
    "Engineer Jane Roe", "Dear Ms. Roe"; or a record label earlier on the same line: "Employee:
    Sarah Connor. Salary: $120,000."; a possessive first name right before the pay word:
    "Sarah's salary"; an initial and a surname right before a pay verb: "J. Roe earns"; under a
    pay heading line ("Salaries:"), up to 12 list lines "Roe, Jane: $85,000" / "- Jane Roe – $92,500"
    (a ``|`` table is the structured pass's); or "your"/Ihr/votre/tu/je right before it in a letter that greets one
    person: "Hi Tom, ... your new base salary is ..."; neither in a maths word problem), a pay word
    (salary, earns, paid, wage, compensation, bonus, hourly rate, gross/net pay; Gehalt, Lohn and
    their compounds (Bruttojahresgehalt, Stundenlohn), verdient;
    salaire, gagne, rémunération; sueldo, salario, cobra, gana, nómina; stipendio,
    retribuzione, guadagna; salário, ganha; salaris, loon, maandsalaris; wynagrodzenie, pensja,
    zarabia) and an
    amount (currency symbol $ € £ ¥ ₹ or code USD/EUR/GBP/CHF/PLN/BRL/JPY/CNY/RMB/INR/SEK/NOK/DKK/
    AUD/CAD, also glued "USD182000"; ``zł``, ``kr``, yen, yuan, rupees, lakh, crore, "2 million
    dollars", or ``k``) in one sentence. Salary bands and questions without a person are
    public. (A bare number under a pay key of a table or record with a person is found by the
    structured pass.)
``vehicle_plate``
    A licence plate (upper-case letters and digits, 4-10 characters with a digit and a
    letter or a DE/FR/ES/UK layout, also unspaced "AB12CDE") after a plate word (plate, licence/license plate,
    registration, reg, Kennzeichen, Nummernschild, immatriculation, plaque, matrícula (do
    veículo), placa, targa, kenteken, numer rejestracyjny), with an
    owner cue in the same sentence (belongs to, owner, owned by, registered to/keeper,
    driver; gehört, Halter, Besitzer, Fahrer; appartient, propriétaire, titulaire,
    conducteur; pertenece, propietario, titular, conductor; Fahrzeughalter, intestata,
    proprietário, eigenaar, houder, op naam van, właściciel, kierowca).
"""

from __future__ import annotations

import re
from bisect import bisect_right

# imported when a detector of this module first runs, after the sensitivity module
from hrouter.signals import LazyRx
from hrouter.signals.detectors.national_id import mask_id
from hrouter.signals.sensitivity import _any_needle, _byte_table, _lower_windows, _match_copy, _scan, _shape

_I = re.IGNORECASE

#: Between a context word and its value: separators and connector words only.
_GAP = (r"(?:[ \t]*(?:[:=#\-–(\"']|\b(?:numbers?|num|nos?|nr|n[°º]|ids?|nummer|num[ée]ro|n[úu]mero|lautet|is|ist|"
        r"est|es|è|é|was|war|of|de|del|du|d'|on|file|record|le|la|el)\b\.?|n[°º]))*[ \t]*(?:(?:\r?\n|[\u2028\u2029\x85])[ \t]*[\"']?){0,2}")
# (up to two line breaks may sit between a label and its value: "Passport number:" / "X1234567"
# on the next line is how forms and key-value lists put it, and hrouter joins a file and the
# argument text with a blank line)


_W = r"(?![^\W_])"  # a word ends here


def _word_rx(alts: tuple[str, ...], tail: str = "") -> tuple[str, str]:
    """A whole-word pattern: (case-insensitive form for the text, case-sensitive twin for the
    lower-case copy of :func:`sensitivity._match_copy`). ``alts``: lower-case alternatives,
    each led by a literal letter; ``tail``: what follows any of them (in both forms). The
    twin's alternatives, grouped by their first letter, each open with that literal and check
    the word start after it, so the engine skips straight to candidate letters."""
    ci = r"(?<![^\W_])(?:" + "|".join(alts) + ")" + tail
    first: dict[str, list[str]] = {}
    for a in alts:  # grouped by the first letter: one test of it per position
        first.setdefault(a[0], []).append(a[1:])
    lc = "|".join(f"{c}(?<![^\\W_]{c})(?:{'|'.join(rest)})" for c, rest in first.items())
    return ci, (f"(?:{lc}){tail}" if tail else lc)


#: Passport words (lower case, each led by a letter; see :func:`_word_rx`) and what may follow
#: them (a number word).
_PASSPORT_WORDS = ("passport", "reisepass", "passnummer", r"pass[ \t]*-?[ \t]*nr", "passeport", "pasaporte",
                   r"passaport[oe]", "paspoort", r"paszport(?:u|owy)?",
                   # identity cards: ID card, Personalausweis, carte d'identité, carta d'identità,
                   # documento de identidad, identiteitskaart, dowód osobisty
                   r"identity[ \t]+card", r"id[ \t\-]?card", "personalausweis", "ausweis",
                   r"carte[ \t]+(?:nationale[ \t]+)?d['’][ \t]?identit[ée]", r"carta[ \t]+d['’][ \t]?identit[àa]",
                   r"documento[ \t]+(?:nacional[ \t]+)?de[ \t]+identidad", r"identiteitskaart", r"dow[óo]d[ \t]+osobist(?:y|ego)")
_PASSPORT_TAIL = (r"(?:[ \t]+(?:details|data|info))?"
                  r"(?:[ \t]*-?(?:nummer|number|no\.?|nr\.?)|[ \t]*n\.[ \t]?[°ºo]?)?" + _W)
#: Pay words (see :func:`_word_rx`).
_PAY_WORDS = (r"salar(?:y|ies|io|ios|is)", "earns?", "earning", "earned", "makes", "paid", "wages?", "compensation",
              r"base[ \t]+pay", "bonus", r"pay[ \t]+(?:is|of|rise|rate)", r"gross[ \t]+pay", r"net[ \t]+pay",
              r"take[ \t\-]?home[ \t]+pay", r"hourly[ \t]+(?:rate|pay)", "gehalt", "lohn",
              # German and Dutch compounds: Jahresgehalt, Bruttojahresgehalt, Stundenlohn, maandsalaris
              r"jahres(?:gehalt|lohn)", r"monats(?:gehalt|lohn)", r"grund(?:gehalt|lohn)", r"stunden(?:lohn|satz)",
              r"brutto(?:jahres|monats|stunden|grund)?(?:gehalt|lohn)",
              r"netto(?:jahres|monats|stunden|grund)?(?:gehalt|lohn)", r"bruto(?:maand|jaar)?(?:salaris|loon)",
              r"netto(?:maand|jaar)?(?:salaris|loon)", r"maand(?:salaris|loon)", r"jaar(?:salaris|loon)", "uurloon",
              "verdient", "salaire", "gagne", r"r[ée]mun[ée]ration", "sueldo", "cobra", "gana", "n[óo]mina",
              r"retribuci[óo]n", "stipendio", "retribuzione", r"sal[áa]rios?", "loon", "wynagrodzeni[aeu]",
              "pensj[aięe]", "guadagna", "zarabia", "ganha")


#: Medical record, member and insurance number words (see :func:`_word_rx`; the upper-case
#: acronyms NHC, IPP, KVNR, OHIP, MBI and NUSS are ``med_acro``'s) and what may follow them.
_MED_WORDS = (
    "mrns?", r"medical[ \t]+record(?:[ \t]+(?:number|no|#))?", r"patient(?:[ \t]*[\-#]?[ \t]*(?:id|number|no|nr)|[ \t]*#)",
    r"hospital[ \t]+(?:number|no|id)", r"chart[ \t]*(?:number|no|#)", r"encounter[ \t]*(?:id|number|no|#)",
    r"claim[ \t]*(?:id|number|no|#)", r"health[ \t]+(?:card|insurance)[ \t]*(?:id|number|no|#)",
    r"member(?:ship)?[ \t]*(?:id|number|no|#)", r"subscriber[ \t]*(?:id|number|no|#)", r"policy[ \t]*(?:number|no|#)",
    r"insurance[ \t]*(?:id|number|no|#)", r"health[ \t]+plan[ \t]+(?:id|number)",
    r"medicare[ \t]+beneficiary[ \t]+(?:id|identifier|number)", r"beneficiary[ \t]+(?:id|identifier|number)",
    r"medicare(?:[ \t]+(?:number|no|id))?", r"medicaid(?:[ \t]+(?:number|no|id))?",
    # German
    r"patienten[ \t]*-?[ \t]*(?:nummer|id|nr)", r"pat(?:\.-?|-|\.?[ \t])nr", r"fall(?:-|[ \t])?(?:nummer|nr)",
    r"aufnahme[ \t]*-?[ \t]*(?:nummer|nr)", r"kv-(?:nummer|nr)", r"krankenversicherten[ \t]*-?[ \t]*(?:nummer|nr)",
    r"versicherten[ \t]*-?[ \t]*(?:nummer|nr)", r"krankenversicherungs[ \t]*-?[ \t]*(?:nummer|nr)",
    r"rentenversicherungs[ \t]*-?[ \t]*(?:nummer|nr)", r"sozialversicherungs[ \t]*-?[ \t]*(?:nummer|nr)",
    r"versicherungs[ \t]*-?[ \t]*(?:nummer|nr)", r"mitglieds[ \t]*-?[ \t]*(?:nummer|nr)",
    # French, Spanish
    r"num[ée]ro[ \t]+de[ \t]+dossier(?:[ \t]+(?:m[ée]dical|patient))?", r"dossier[ \t]+(?:m[ée]dical|patient)",
    r"n(?:um[ée]ro|[°º]|o)[ \t]*(?:de[ \t]+patient|d['’][ \t]?assur[ée]e?|d['’][ \t]?adh[ée]rent|"
    r"de[ \t]+s[ée]curit[ée][ \t]+sociale)",
    r"historia[ \t]+cl[íi]nica",
    r"n(?:[úu]mero|\.?[ \t]?[°ºo]\.?)[ \t]+(?:de[ \t]+)?(?:historia(?:[ \t]+cl[íi]nica)?|paciente|afiliad[oa]|"
    r"afiliaci[óo]n|asegurad[oa]|p[óo]liza)(?:[ \t]+(?:a[ \t]+la[ \t]+)?(?:ss|seguridad[ \t]+social))?",
    r"n[úu]mero[ \t]+de[ \t]+(?:la[ \t]+)?seguridad[ \t]+social", r"tarjeta[ \t]+sanitaria",
    # Italian, Portuguese, Dutch, Polish
    r"tessera[ \t]+sanitaria", r"cartella[ \t]+clinica",
    r"n(?:[úu]mero|\.?[ \t]?[°ºo])[ \t]+(?:de[ \t]+|do[ \t]+)?(?:utente|benefici[áa]rio)",
    r"cart[ãa]o[ \t]+(?:de[ \t]+|do[ \t]+)?(?:utente|benefici[áa]rio)", r"processo[ \t]+cl[íi]nico",
    r"pati[ëe]nt[ \t]*-?[ \t]*(?:nummer|nr)", r"zorgverzekerings[ \t]*-?[ \t]*(?:nummer|nr)",
    r"verzekerings[ \t]*-?[ \t]*(?:nummer|nr)", r"polis[ \t]*-?[ \t]*(?:nummer|nr)",
    r"n(?:umer|r\.?)[ \t]+(?:pacjenta|ubezpieczenia|polisy)",
)
_MED_TAIL = r"(?:[ \t]*n\.[ \t]?[°ºo]?)?(?:(?<=no)\.|(?<=nr)\.|(?<=#)|(?![^\W_]))"


class LazyPatterns:
    """A table of regex sources (``_src``: name -> (source, flags)), each compiled on first
    use and kept as an attribute (a detector module pays only for the patterns it runs)."""

    _src: dict[str, tuple[str, int]] = {}

    def __getattr__(self, name: str) -> re.Pattern[str]:
        src, flags = self._src[name]
        rx = re.compile(src, flags)
        setattr(self, name, rx)
        return rx


class _Rx(LazyPatterns):
    """Compiled on first use."""

    _src: dict[str, tuple[str, int]] = {
        # the case-sensitive acronyms (the words are _MED_WORDS: see _word_rx below)
        "med_acro": (r"(?<![^\W_])(?-i:NHC|IPP|KVNR|OHIP|MBI|NUSS)" + _MED_TAIL, _I),
        "med_value": (r"(?<![\w\-/.])(?=[A-Z0-9\-/.]*\d(?:[A-Z\-/.]*\d){3})[A-Z0-9](?:[A-Z0-9\-/.]{2,18}[A-Z0-9])"
                      r"(?![\w\-]|[/.]\w)", 0),
        # 6-9 capitals and digits (2+ digits), 9 or 12 digits (an old French identity card), or
        # 2-3 letters, a blank and 6-7 digits (a Polish passport or ID card: "EA 1234567")
        "passport_value": (r"(?<![\w\-/.])(?:(?=[A-Z0-9]{6,9}(?![\w\-]))(?:[A-Z]*\d){2}[A-Z0-9]*|\d{9}|\d{12}|"
                           r"[A-Z]{2,3} \d{6,7})(?![\w\-])", 0),
        # a number word later in the passport word's sentence: "my passport, the number is X1234567",
        # "le passeport de M. Martin porte le numéro 12AB34567" (after a determiner, a verb or a comma:
        # _LATER_LEAD)
        "passport_later": (r"(?<![^\W_])(?:number|num[ée]ro|n[úu]mero|nummer)" + _W, _I),
        # a bare number right after a pay word and ":" or "=" (a pay key inside a sentence)
        "bare_pay": (r"[ \t]*[:=][ \t]*(?P<n>\d{1,3}(?:[,.' ]\d{3})+|\d{4,8})(?![\d%]|[.,]\d|[^\W\d_])", 0),
        "amount": (r"(?:[$€£¥₹]|\b(?:USD|EUR|GBP|CHF|PLN|BRL|JPY|CNY|RMB|INR|SEK|NOK|DKK|AUD|CAD)(?![A-Za-z]))"
                   r"[ \t]?\d[\d,.' ]*\d?(?:[ \t]?(?:[kKmM]|million|lakhs?|crores?)\b)?"
                   r"|\b\d[\d,.' ]*[ \t]?(?:(?:[kKmM]|million|billion|mio\.?|mn)[ \t]?)?"
                   r"(?:[$€£¥₹]|(?:USD|EUR|GBP|CHF|PLN|BRL|JPY|CNY|RMB|INR|SEK|NOK|DKK|AUD|CAD|euros?|dollars?|"
                   r"Euro|pounds?|z[łl]|kr|yen|yuan|rupees?|lakhs?|crores?)\b)"
                   r"|\b\d[\d,.']*[ \t]?[kK]\b", 0),
        "name": (r"(?<![\w'’])(?:(?:Mr|Mrs|Ms|Mx|Dr|Prof|Herr|Frau|M|Mme|Mlle|Sr|Sra|Srta|Don|Doña)\.?[ \t]+"
                 r"[A-ZÀ-ÖØ-Þ][\w'’\-]+"
                 r"|(?:O['’]|Ma?c)?[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’\-]+"
                 r"(?:[ \t]+(?:van[ \t]+de[rn]?|von[ \t]+der|van|von|de|del|da|di|le|la)){0,2}"
                 r"(?:[ \t]+(?:O['’]|Ma?c)?[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’\-]+){1,2})(?![\w])", 0),
        "plate_ctx": (r"(?<![^\W_])(?:(?:licen[cs]e|number|registration|car|vehicle)?[ \t]*plates?|registration"
                      r"(?:[ \t]+(?:number|no|mark))?|reg(?:[ \t]+(?:no|number))?\.?|kennzeichen|nummernschild|"
                      r"immatricul(?:ation|[ée]e?s?)|plaque|matr[íi]cula(?:[ \t]+d[oe]l?[ \t]+ve[íi]culo)?|placa|targa|kenteken|"
                      r"numer[ \t]+rejestracyjny|tablica[ \t]+rejestracyjna|nr[ \t]+rej\.?)(?![^\W_])", _I),
        "plate_value": (r"(?<![\w\-])(?=[A-Z0-9 \-]{4,10}(?![\w\-]))(?=[A-Z \-]*\d)(?=[0-9 \-]*[A-Z])"
                        r"(?:[A-Z0-9]{5,8}|[A-Z0-9]{1,4}(?:[ \-][A-Z0-9]{1,5}){0,2})(?![\w\-])", 0),
        "owner": (r"(?<![^\W_])(?:belongs?[ \t]+to|owner|owned[ \t]+by|registered[ \t]+(?:to|keeper)|keeper|driver|"
                  r"driven[ \t]+by|geh[öo]rt|halter(?:in)?|besitzer(?:in)?|fahrer(?:in)?|appartient|"
                  r"propri[ée]taire|titulaire|conducteur|conductrice|pertenece|propietari[oa]|titular|conductor(?:a)?|"
                  # German compounds, Italian, Portuguese, Dutch, Polish
                  r"fahrzeughalter(?:in)?|zugelassen[ \t]+auf|intestat[ao]|proprietari[oa]|propriet[áa]ri[oa]|"
                  r"condutor(?:a)?|eigenaar|houder|op[ \t]+naam[ \t]+van|bestuurder|w[łl]a[śs]ciciel(?:ka)?|kierowca)"
                  r"(?![^\W_])", _I),
        # the word patterns and their twins for the lower-case copy (see _word_rx)
        **{k: (src, f) for name, alts, tail in (("passport_ctx", _PASSPORT_WORDS, _PASSPORT_TAIL),
                                                ("pay", _PAY_WORDS, _W), ("med_ctx", _MED_WORDS, _MED_TAIL))
           for k, src, f in zip((name, name + "_lc"), _word_rx(alts, tail), (_I, 0))},
    }


_R = _Rx()

#: Capitalised words that are not (the start of) a person's name: sentence openers, titles,
#: job words, places, months, days, common nouns capitalised in German.
_NOT_NAMES = frozenset("""
the a an and or but if in on at of for to from by with as is are was were be this that these those
what which who whom whose why how when where can could should would will may might must do does did
please write draft compose summarize summarise translate explain give make help tell list create our
my your his her their its we you they he she it i dear hi hello thanks note re subject fyi
el la los las un una del de y o en por para con es son su sus mi tu que como cual cuanto redacta escribe
der die das ein eine und oder im am zum zur für mit von bei ist sind sein ihr ihre mein bitte schreibe
le les un une des du et ou au aux pour avec est sont son sa ses mon ma rédige écris merci
senior junior staff principal lead head chief director manager managers engineer engineers developer
developers analyst analysts software data product sales marketing finance hr human resources team teams
average median typical entry level mid associate assistant intern interns contractor contractors vp
ceo cto cfo coo president officer specialist consultant designer designers nurse nurses doctor doctors
teacher teachers employee employees staff worker workers people new san los las north south east west
united kingdom states america europe germany france spain london paris berlin madrid york california
january february march april may june july august september october november december monday tuesday
wednesday thursday friday saturday sunday q1 q2 q3 q4 fy annual base total gross net bonus salary
salaries pay compensation band bands range ranges grade level levels mitarbeiter gehalt gehälter
jahresgehalt durchschnittliche durchschnitt ingenieur ingenieure entwickler salaire salaires moyen
moyenne sueldo salario salarios medio media empresa empresas company companies inc ltd gmbh corp llc
google amazon microsoft apple meta netflix openai anthropic
co city county town village street journal times bank university college hospital department school
club group holdings partners foundation agency association institute ministry council
""".split())


_LAST_SENTENCES: tuple = (None, None, None)  # (text, spans, span starts)


def _sentence_spans(text: str) -> tuple[list[tuple[int, int]], list[int]]:
    """:func:`_sentences` and the list of their starts (for bisecting), kept for the last text."""
    cached = _LAST_SENTENCES
    if cached[0] is text:
        return cached[1], cached[2]
    return _split_sentences(text)


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans: split at ``.!?;`` followed by a blank (not after an initial or an
    abbreviation such as ``Mr.``/``Dr.``/``Sra.``), and at line breaks. The last text's
    spans are kept, as three detectors ask for the same text."""
    return _sentence_spans(text)[0]


def _split_sentences(text: str) -> tuple[list[tuple[int, int]], list[int]]:
    global _LAST_SENTENCES
    spans, start = [], 0
    for m in _SENT_END.finditer(text):
        i = m.start()
        if text[i] == "." and (_ABBREV.search(text, max(0, i - 5), i) or _ORD_DATE.match(text, i)):
            continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    out = [(a, b) for a, b in spans if b > a]
    starts = [a for a, _ in out]
    _LAST_SENTENCES = (text, out, starts)
    return out, starts


_SENT_END = re.compile(r"[.!?;](?=\s)|\n")
#: A German date's ordinal period: "ab 1. Mai", "zum 15. Januar" end no sentence.
_MONTHS_DE = (r"(?:Januar|J[äa]nner|Februar|M[äa]rz|Maerz|April|Mai|Juni|Juli|August|September|Oktober|November|"
              r"Dezember|Jan|Feb|Apr|Aug|Sept?|Okt|Nov|Dez)(?![^\W_])")
_ORD_DATE = LazyRx(r"(?:(?<=\b\d)|(?<=\b\d\d))\.[ \t]+" + _MONTHS_DE)
_ABBREV = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Ms|Dr|Sr|St|Mrs|Sra|Mme|Prof|Mlle|Srta))\Z")


#: :data:`_SENT_END` less the periods :data:`_ABBREV` keeps (after an initial or an
#: abbreviation), every alternative led by a literal: the sentence ends, in one pattern.
_SPLIT = re.compile(r"!(?=\s)|\?(?=\s)|;(?=\s)|\n|\.(?=\s)(?<!\b[A-Z]\.)(?<!\b(?:Mr|Ms|Dr|Sr|St)\.)"
                    r"(?<!\b(?:Mrs|Sra|Mme)\.)(?<!\b(?:Prof|Mlle|Srta)\.)"
                    r"(?!(?:(?<=\b\d\.)|(?<=\b\d\d\.))[ \t]+" + _MONTHS_DE + ")")


def _sentence_of(text: str, i: int) -> tuple[int, int]:
    """The span of :func:`_sentences` that holds position ``i``, found locally: the last
    sentence end before ``i`` and the first one at or after it (each split decision depends
    only on the characters around it, so no scan of the whole text is needed)."""
    n = len(text)
    m = _SPLIT.search(text, i)
    end = m.end() if m else n
    start, lo, hi, size = 0, i, i + 1 if i < n else n, 64  # a split at i - 1 looks ahead at text[i]
    while lo > 0:
        lo = max(0, lo - size)
        last = None
        for m in _SPLIT.finditer(text, lo, hi):
            if m.start() >= i:
                break
            last = m
        if last is not None:
            start = last.end()
            break
        hi, size = lo + 1, size * 4
    if start >= end:  # i at or past the end of the text: the last non-empty sentence
        return _sentences(text)[-1]
    return start, end


#: :func:`sentence_window`: a sentence longer than :data:`_WIN_LIMIT` characters is cut
#: into windows of three :data:`_WIN_CHUNK`-character chunks (the chunk that holds the
#: position and one either side), so that a text without sentence ends costs linear time.
_WIN_CHUNK = 256
_WIN_LIMIT = 2 * _WIN_CHUNK
_WIN_SNAP = 48  # how far a window edge moves out to a blank (not to cut a word in two)


def sentence_window(text: str, i: int, spans: tuple[list[tuple[int, int]], list[int]] | None = None
                    ) -> tuple[int, int]:
    """The "sentence" around position ``i`` for pairing cues, found in bounded time.

    A sentence of :func:`_sentences` up to :data:`_WIN_LIMIT` characters long is returned
    as it is (the same span as :func:`_sentence_of`). A longer one — a text with no
    sentence ends — is cut to a window: chunk ``k = i // _WIN_CHUNK`` and one chunk either
    side, clipped to the sentence, its edges moved out to a blank. The window depends only
    on ``k`` and the sentence, so every position of a chunk gets the same span (callers
    group by span and do the per-span work once); any two positions at most
    ``_WIN_CHUNK`` apart share the window of either. Each call looks at no more than about
    ``2 * _WIN_LIMIT`` characters; with ``spans`` (:func:`_sentence_spans` of the text, for
    callers with many positions) it bisects instead."""
    n = len(text)
    lim = _WIN_LIMIT
    reach = lim + _WIN_SNAP + 1  # a sentence end beyond this is outside any (snapped) window
    start: int | None
    end: int | None
    if spans is not None:
        out, starts = spans
        start, end = out[max(bisect_right(starts, i) - 1, 0)]
        if i >= end:  # past the end: as _sentence_of
            return start, end
    else:
        m = _SPLIT.search(text, i, min(n, i + reach))
        end = m.end() if m else None
        start = None
        lo = max(0, i - reach)
        last = None
        for m in _SPLIT.finditer(text, lo, min(n, i + 1)):
            if m.start() >= i:
                break
            last = m
        if last is not None:
            start = last.end()
        elif lo == 0:
            start = 0
        if end is None and i + reach >= n:
            end = n
    if start is not None and end is not None and end - start <= lim:
        if start >= end:  # i at or past the end of the text
            return _sentence_of(text, i)
        return start, end
    k = i // _WIN_CHUNK
    ws, we = max(0, (k - 1) * _WIN_CHUNK), min(n, (k + 2) * _WIN_CHUNK)
    # ws > i - lim and we <= i + lim: a sentence end not found within ``reach`` is outside
    # the window even after snapping; one that was found clips it
    if start is not None and start > ws:
        ws = start
    else:
        j = text.rfind(" ", max(0, ws - _WIN_SNAP), ws + 1)
        if j != -1 and (start is None or j >= start):
            ws = j
    if end is not None and end < we:
        we = end
    else:
        j = text.find(" ", we, min(n, we + _WIN_SNAP))
        if j != -1 and (end is None or j <= end):
            we = j
    return ws, we


_NAME_HONORIFICS = frozenset(("Mr", "Mrs", "Ms", "Mx", "Dr", "Prof", "Herr", "Frau", "M", "Mme", "Mlle",
                              "Sr", "Sra", "Srta", "Don", "Doña"))
_NAME_WORD = re.compile(r"[\w'’\-]+")


#: The not-name words that may stand right before a name and are dropped from a run of
#: capitalised words (salutations, requests, job words: "Dear Jane Roe", "Tell Jane Roe",
#: "Engineer Jane Roe"); not articles, pronouns or prepositions ("The Federal Rules" is no name).
_BEFORE_NAME = frozenset("""
dear hi hello hey thanks thank congratulations congrats greetings attn cc fyi please give tell ask remind
email call
salary salaries pay bonus compensation gehalt lohn salaire sueldo salario stipendio salaris wynagrodzenie
senior junior staff principal lead head chief director manager engineer developer analyst software data
product sales marketing finance hr associate assistant intern contractor vp ceo cto cfo coo president
officer specialist consultant designer nurse doctor teacher employee worker mitarbeiter ingenieur
""".split())


def _not_name(w: str) -> bool:
    lw = w.lower()
    return lw in _NOT_NAMES or lw.rstrip("'’s").rstrip("'’") in _NOT_NAMES


def person_names(text: str, s: int = 0, e: int | None = None) -> list[re.Match[str]]:
    """Person-name cues in ``text[s:e]``: an honorific + a capitalised word, or two or three
    capitalised words none of which is in :data:`_NOT_NAMES`. Leading words of a run that
    are in :data:`_BEFORE_NAME` are dropped and the rest is tried again ("Dear Jane Roe",
    "Employee Jane Roe", "Dear Ms. Roe": the name after a salutation or a job word)."""
    out: list[re.Match[str]] = []
    end = len(text) if e is None else e
    last = s
    for m in _R.name.finditer(text, s, end):
        if m.start() < last:
            continue  # inside a name found by a retry
        for _ in range(4):  # at most three words dropped (a match has at most five)
            words = [w for w in _NAME_WORD.finditer(text, m.start(), m.end())]
            first = words[0].group()
            if first.rstrip(".") in _NAME_HONORIFICS:
                out.append(m)
                last = m.end()
                break
            caps = [w for w in words if w.group()[0].isupper()]
            if not any(_not_name(w.group()) for w in caps):
                out.append(m)
                last = m.end()
                break
            # drop the leading not-name words; retry at the next capitalised word
            k = 0
            while k < len(caps) and caps[k].group().lower() in _BEFORE_NAME:
                k += 1
            if k == 0 or k >= len(caps):
                break  # a not-name word inside the run, or nothing left
            m2 = _R.name.match(text, caps[k].start(), end)
            if m2 is None:
                break
            m = m2
    return out


#: A record's label line that names the person the record is about ("Patient: John Smith",
#: "Name: Jane Roe", "Employee: Sarah Connor"), at the start of a line (after a bullet).
_RECORD_PERSON = re.compile(
    r"(?m)^[ \t>*\-•]*(?:patient(?:[ \t]+name)?|pt|name|full[ \t]+name|employee(?:[ \t]+name)?|staff|client|"
    r"resident|candidate|patientin|patient|paciente|nombre|nom|mitarbeiter(?:in)?)[ \t]*:[ \t]*"
    r"(?P<n>[A-ZÀ-ÖØ-Þ])", _I)
#: A line of a record: "Label: value" (a label of up to four words).
_RECORD_LINE = re.compile(r"[ \t>*\-•]*[^\W\d_][\w.#()/\-]*(?:[ \t]+[\w.#()/\-]+){0,3}[ \t]*:(?:[ \t]|$)")
#: Whole lines of a record, each "Label: value" and a line break.
_RECORD_LINES_RX = re.compile(r"(?:[ \t>*\-•]*[^\W\d_][\w.#()/\-]*(?:[ \t]+[\w.#()/\-]+){0,3}[ \t]*:"
                              r"(?:[ \t][^\n]*)?\r?\n)*")
_RECORD_REACH = 600
_RECORD_LINES = 10


def record_person(text: str, s: int, e: int, lines: bool = True) -> re.Match[str] | None:
    """The person a key-value record is about, for a sentence ``text[s:e]`` without a name
    of its own: a label line ("Patient: John Smith", "Name: ...", "Employee: ...") earlier on
    the same line ("Pt: Maria Garcia. Admitted with pneumonia.") or on one of the previous
    :data:`_RECORD_LINES` lines of the same block (every line "Label: value", no blank line,
    within :data:`_RECORD_REACH` characters; not with ``lines=False``). Returns the name match or None."""
    lo = max(0, s - _RECORD_REACH)
    ls = max(text.rfind("\n", lo, s) + 1, lo)
    if text.find(":", ls, e) == -1:
        return None  # the sentence's line is no "Label: value" line
    if lines:  # back to the start of the line _RECORD_LINES lines up (C-level finds)
        q = ls
        for _ in range(_RECORD_LINES):
            if q <= lo:
                break
            q = max(text.rfind("\n", lo, q - 1) + 1, lo)
        lo = q
    else:
        lo = ls
    labs = list(_RECORD_PERSON.finditer(text, lo, s))
    memo = _RECORD_MEMO
    if memo[0] is not text:
        memo[0], memo[1] = text, {}
    cur_ok = None
    for lab in labs[::-1][:3]:  # the nearest labels first, at most three
        p = lab.start()  # the start of the label's line
        if p < ls:  # a previous line: the lines from it to the sentence's line make one record
            if not lines or text.count("\n", p, ls) > _RECORD_LINES:
                break
            if cur_ok is None:
                cur_ok = _RECORD_LINE.match(text, ls, e) is not None
            if not cur_ok:
                break
            if _RECORD_LINES_RX.fullmatch(text, text.find("\n", p, ls) + 1, ls) is None:
                return None  # a blank or prose line ends the record (for earlier labels too)
        n = lab.start("n")
        key = (n, min(e, n + 80))
        if key not in memo[1]:
            memo[1][key] = next((m for m in person_names(text, n, key[1]) if m.start() == n), None)
        if memo[1][key] is not None:
            return memo[1][key]
    return None


_RECORD_MEMO: list = [None, {}]  # (text, {(label value start, end): name match or None}) of the last text


def _mask(value: str) -> str:
    return mask_id(value)


def _ctx_values(text: str, ctx_rx: re.Pattern[str], needles: tuple[str, ...], value_rx: re.Pattern[str],
                ok=lambda v: True, ctx_lc: re.Pattern[str] | None = None,
                later: re.Pattern[str] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, context word) of each value right after a context word (only separators
    and connector words between), or just before one in parentheses ``123456 (MRN)``.
    ``ctx_lc``: the context pattern's twin for the lower-case copy, if it has one; ``later``:
    a number word further on in the sentence (within 64 characters, after :data:`_LATER_LEAD`),
    the value then right after that number word."""
    out: list[tuple[int, int, str]] = []
    gap = re.compile(_GAP, _I)
    windows = _lower_windows(text, needles, 24, 40)
    lc = _match_copy(text) if ctx_lc is not None and windows else None
    for c in (_scan(ctx_rx, text, windows) if lc is None else _CtxMatch.wrap(_scan(ctx_lc, lc, windows), text)):
        g = gap.match(text, c.end())
        m = value_rx.match(text, g.end()) if g else None
        if m and ok(m.group()):
            out.append((m.start(), m.end(), c.group()))
            continue
        if later is not None and (lc is None or lc.find("num", c.end(), c.end() + 64) != -1
                                  or lc.find("núm", c.end(), c.end() + 64) != -1):
            w = later.search(text, c.end(), c.end() + 64)
            if w is not None and (_SPLIT.search(text, c.end(), w.start()) is not None or
                                  _LATER_LEAD.search(text, max(c.end(), w.start() - 12), w.start()) is None):
                w = None
            g = gap.match(text, w.end()) if w else None
            m = value_rx.match(text, g.end()) if g else None
            if m and ok(m.group()):
                out.append((m.start(), m.end(), c.group()))
                continue
        lead = text[max(0, c.start() - 40):c.start()]
        tail = lead.rstrip(" \t")[-6:].lower()
        before = _BEFORE_CTX.search(lead) if tail.endswith(_BEFORE_TAILS) else None
        if before:
            s = c.start() - len(lead) + before.start(1)
            m = value_rx.fullmatch(text, s, s + len(before.group(1)))
            if m and ok(m.group()):
                out.append((m.start(), m.end(), c.group()))
    return out


#: Right before a later number word (see ``passport_later``): a determiner, a verb or a comma.
_LATER_LEAD = LazyRx(r"(?:(?<![^\W_])(?:the|its|his|her|my|your|their|le|la|il|el|o|die|der|den|seine|ihre|sa|"
                         r"son|su|sua|seu|with|avec|con|com|mit|porte|ha|has|hat|tiene|tem)[ \t]+|,[ \t]*)\Z", _I)


#: A value just before its context word: "123456 (MRN)", "C01234567 is my passport number".
_BEFORE_CTX = re.compile(r"(?<!\S)(\S+)(?:[ \t]*\(|[ \t]+(?:is|was|=)[ \t]+"
                         r"(?:(?:my|his|her|their|your|our|the)[ \t]+)?)"
                         r"[ \t]*\Z", _I)


_BEFORE_TAILS = ("(", " is", " was", "=", " my", " his", " her", " their", " your", " our", " the")


class _CtxMatch:
    """A match on the lower-case copy seen with the text's own characters (``group()``)."""

    __slots__ = ("_m", "_text")

    def __init__(self, m: re.Match[str], text: str) -> None:
        self._m, self._text = m, text

    def start(self) -> int:
        return self._m.start()

    def end(self) -> int:
        return self._m.end()

    def group(self) -> str:
        return self._text[self._m.start():self._m.end()]

    @classmethod
    def wrap(cls, matches, text: str):
        return (cls(m, text) for m in matches)


def _not_date(v: str) -> bool:
    return not re.fullmatch(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}|(?:19|20)\d\d", v)


_MED_NEEDLES = ("mrn", "nhc", "ipp", "kvnr", "ohip", "mbi:", "mbi ", "mbi#", "mbi\t", "mbi\n", "mbi-", "mbi\"",
                "nuss", "medical record", "patient", "pat.-nr", "pat.nr", "pat. nr", "pat-nr", "pat nr", "encounter",
                "claim n", "claim#", "claim #", "claim id", "claimn", "claimid", "health card", "health insurance",
                "fallnummer", "fallnr", "fall-n", "fall nr", "fall nummer", "aufnahme", "kv-", "d'assur", "d’assur", "d' assur", "d'adh", "d’adh", "d' adh", "n°", "nº", "afilia", "seguridad",
                "póliza", "poliza", "hospital", "chart", "member",
                "subscriber", "policy", "insurance", "health plan", "beneficiary", "medicare", "medicaid",
                "fallnummer", "versicher", "mitglied", "dossier", "numéro", "numero", "historia", "número",
                "tarjeta", "tessera", "cartella", "utente", "benefici", "processo", "patiënt", "verzekering", "polis",
                "pacjent", "ubezpiecz")


#: ... of the upper-case acronyms (``med_acro``).
_MED_ACRO_NEEDLES = ("nhc", "ipp", "kvnr", "ohip", "mbi:", "mbi ", "mbi#", "mbi\t", "mbi\n", "mbi-", "mbi\"", "nuss")


def detect_medical_id(text: str) -> list[tuple[int, int, str, str, str]]:
    """MRNs and member/insurance ids next to a context word; see the module docstring."""
    found = _ctx_values(text, _R.med_ctx, _MED_NEEDLES, _R.med_value, _not_date, _R.med_ctx_lc)
    if _any_needle(text, _MED_ACRO_NEEDLES):
        seen = {(s, e) for s, e, _ in found}
        more = [v for v in _ctx_values(text, _R.med_acro, _MED_ACRO_NEEDLES, _R.med_value, _not_date)
                if v[:2] not in seen]
        if more:
            found = sorted(found + more)
    return [(s, e, f"id {_mask(text[s:e])}", "shape ok, context word", ctx) for s, e, ctx in found]


_PASSPORT_NEEDLES = ("pass", "pasaporte", "paspoort", "paszport", "identity card", "id card", "id-card", "idcard",
                     "ausweis", "d'identit", "d’identit", "d' identit", "d’ identit", "de identidad",
                     "identiteitskaart", "dowód", "dowod")


def detect_passport(text: str) -> list[tuple[int, int, str, str, str]]:
    """Passport numbers after a passport word; see the module docstring."""
    found = _ctx_values(text, _R.passport_ctx, _PASSPORT_NEEDLES, _R.passport_value, _not_date, _R.passport_ctx_lc,
                        later=_R.passport_later)
    return [(s, e, f"{'passport' if 'pas' in ctx.lower() else 'id card'} {_mask(text[s:e])}",
             "shape ok, context word", ctx) for s, e, ctx in found]


_PAY_NEEDLES = ("salar", "earn", "makes", "paid", "wage", "compensation", "base pay", "bonus", "pay ", "gross pay",
                "net pay", "take-home", "take home", "takehome", "hourly", "brutto", "netto", "bruto", "jahresgehalt",
                "jahreslohn", "monatsgehalt", "monatslohn", "grundgehalt", "grundlohn", "stundenlohn", "stundensatz",
                "maandsalaris", "maandloon", "jaarsalaris", "jaarloon", "uurloon",
                "gehalt", "jahresgehalt", "bruttogehalt", "verdient", "lohn", "salaire", "gagne", "rémun", "remun",
                "sueldo", "cobra", "gana", "nómina", "nomina", "retribuci", "stipendio", "retribuzione", "salári",
                "loon", "wynagrodzeni", "pensj", "guadagn", "zarabia", "ganha")


def detect_salary(text: str) -> list[tuple[int, int, str, str, str]]:
    """A named person's pay; see the module docstring."""
    hits = []
    done: set[tuple[int, int]] = set()
    lc = _match_copy(text)
    windows = _lower_windows(text, _PAY_NEEDLES, 2, 24)
    spans = None
    first = -1
    greet: list = [0, [], 0, []]  # _addressee's: scanned up to, greetings; scanned up to, word-problem cues
    caps = b""
    ncache: dict[tuple[int, int], list[re.Match[str]]] = {}  # per sentence window: _names
    for k, pay in enumerate(_scan(_R.pay, text, windows) if lc is None else _scan(_R.pay_lc, lc, windows)):
        if first < 0:
            first = pay.start()
        elif spans is None and k >= 16 and pay.start() - first < 256 * k:
            spans = _sentence_spans(text)  # dense pay words (a table view): the sentences once, then bisect
            caps = _shape(text, _CAPS_BYTES)
        if spans is not None and _no_person_cue(text, caps, pay.start()):
            continue
        s, e = sentence_window(text, pay.start(), spans)
        if (s, e) in done:
            continue
        word = text[pay.start():pay.end()].lower()
        if word in _PAY_VERBS or word.startswith("earn"):
            # a verb: the amount follows it closely ("earns $85,000", "makes about 90k"), and
            # "paid" must be pay received, not a payment made ("he paid $250 000 for the loan")
            amount = _R.amount.search(text, pay.end(), min(e, pay.end() + 48))
            if amount is None or len(_WORD.findall(text, pay.end(), amount.start())) > 4 or (
                    word == "paid" and not _paid_as_pay(text, pay, amount)):
                continue  # not this pay word; a later one in the sentence may still count
            a = amount.group().strip().rstrip(".,' ")
            names = _names(text, s, e, ncache) or _addressee(text, s, pay, greet)
            if names:
                done.add((s, e))
                hits.append((amount.start(), amount.start() + len(a), f"amount …({len(a)} chars)",
                             "person + pay word + amount", f"{text[pay.start():pay.end()]}; {names[0].group()[:1]}…"))
            continue
        le = text.find("\n", pay.end(), pay.end() + 40)
        if le != -1 and e <= le + 1 and (s, e) not in done:  # a heading: "Salaries:" + a list of names
            listed = _pay_list(text, le + 1, pay, greet)
            if listed:
                done.add((s, e))
                hits.extend(listed)
                continue
        done.add((s, e))
        amount = _R.amount.search(text, s, e)
        if amount:
            a = amount.group().strip().rstrip(".,' ")
            a_start, a_end = amount.start(), amount.start() + len(a)
        else:  # a bare number as the value of a pay key: "Jane Roe, salary: 182000"
            bare = _R.bare_pay.match(text, pay.end(), e)
            if not bare or not _bare_pay_ok(bare.group("n")) or \
                    _PAY_NOT_BEFORE.search(text, max(s, pay.start() - 12), pay.start()):
                continue
            a_start, a_end = bare.span("n")
        names = _names(text, s, e, ncache) or _addressee(text, s, pay, greet)
        if not names:
            continue
        hits.append((a_start, a_end, f"amount …({a_end - a_start} chars)",
                     "person + pay word + amount", f"{text[pay.start():pay.end()]}; {names[0].group()[:1]}…"))
    return hits


#: The one a pay word belongs to without a full name: a possessive first name ("Sarah's salary",
#: "Linda's new bonus"; not "Walmart's average wage"), or "your" (Ihr, votre, tu, je, ...) in a
#: letter that greets a person ("Hi Tom, ... your new base salary is €72,000").
#: A first name that opens the sentence as the subject of a pay verb ("Jane earns $92,500 a year",
#: "Maria guadagna 1.800 euro al mese").
_SUBJECT = LazyRx(r"[ \t>*\-•\"'(]*(?P<n>(?:O['’]|Ma?c)?[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ\-]+)[ \t]+")


#: A line of a pay list under a pay heading: "Roe, Jane: $85,000", "- Jane Roe – $92,500" (the amount follows).
_PAY_LIST_LINE = LazyRx(r"[ \t>*\-•]*(?P<n>(?:O['’]|Ma?c)?[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’\-]+(?:,[ \t]*|[ \t]+(?:[A-Z]\.[ \t]*)?)"
                            r"[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’\-]+)[ \t]*[:\-–—=][ \t]*")  # (a "|" table is the structured pass's)
_PAY_LIST_LINES = 12


def _pay_list(text: str, pos: int, pay: re.Match[str], state: list) -> list[tuple[int, int, str, str, str]]:
    """Under a pay heading ("Salaries:"), the next :data:`_PAY_LIST_LINES` lines of the form
    "Surname, First: amount" or "First Surname: amount" (names not in the not-name list); not
    in a maths word problem."""
    out = []
    for _ in range(_PAY_LIST_LINES):
        if pos >= len(text):
            break
        end = text.find("\n", pos, pos + 400)
        end = min(len(text), pos + 400) if end == -1 else end
        m = _PAY_LIST_LINE.match(text, pos, end)
        if m is not None and not any(_not_name(w) for w in re.split(r"[,\s]+", m.group("n")) if len(w) > 2):
            amount = _R.amount.match(text, m.end(), end)
            if amount is not None:
                a = amount.group().strip().rstrip(".,' ")
                out.append((amount.start(), amount.start() + len(a), f"amount …({len(a)} chars)",
                            "person + pay word + amount", f"{text[pay.start():pay.end()]}; {m.group('n')[:1]}…"))
        pos = end + 1
    if out and _word_problem(text, pay.start(), state):
        return []
    return out


#: "J. Roe earns $92,500": an initial and a surname right before a pay verb.
_INITIAL_NAME = LazyRx(r"(?<![\w.])(?!U\.[SKN]\.|E\.U\.)[A-ZÀ-ÖØ-Þ]\.[ \t]*(?:[A-ZÀ-ÖØ-Þ]\.[ \t]*)?"
                           r"(?P<n>(?:O['’]|Ma?c)?[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ\-]+)[ \t]+\Z")


def _is_pay_verb(word: str) -> bool:
    return word in _PAY_VERBS or word.startswith("earn")


_POSSESSIVE = LazyRx(r"(?<![\w'’])(?P<n>(?:O['’]|Ma?c)?[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ\-]+)['’]s?[ \t]+"
                         r"(?!(?:average|median|mean|minimum|min|maximum|max|typical|entry)\b)(?:[a-z\-]+[ \t]+){0,2}\Z")
_YOUR = LazyRx(r"(?<![^\W_])(?:your|ihr|ihre|dein|deine|votre|ton|tu|tua|tuo|su|seu|sua|teu|je|jouw|uw|"
                   r"twoje|tw[oó]j|pana|pani|vostro|vostra|vuestro|vuestra)[ \t]+(?:[^\W\d_]+[ \t]+){0,2}\Z", _I)
_GREETING = LazyRx(r"(?im)^[ \t>]*(?:dear|hi|hello|hey|liebe[rs]?|hallo|sehr[ \t]+geehrte[rs]?|cher|ch[èe]re|bonjour|"
                       r"hola|estimad[oa]|querid[oa]|ciao|gentile|car[oa]|ol[áa]|prezad[oa]|beste|geachte|"
                       r"szanown[ya]|drog[ia])[ \t]+(?:(?:mr|mrs|ms|dr|herr|frau|m|mme|sr|sra|pan|pani|dhr|mevr|"
                       r"sig|signor|signora)\.?[ \t]+)?(?P<n>(?-i:[A-ZÀ-ÖØ-Þ][a-zà-öø-ÿ'’\-]+))(?![^\W_])")
_NOT_ADDRESSEE = frozenset("""all team everyone sir madam colleagues colleague there folks guys world hiring
recruiter recruiters today year month week tomorrow yesterday someone somebody nobody everybody state government
country nation customer customers client clients user users friend friends""".split())
#: How far before its pay word a letter's greeting may stand.
_GREETING_REACH = 3000


#: A maths word problem about a first name's pay ("Patricia's annual starting salary is $20,000
#: ... what would her salary be?", "calculate the total salary"): fiction, not a person's pay.
_WORD_PROBLEM = LazyRx(r"(?<![^\W_])(?:calculate|compute|how[ \t]+(?:much|many)|what[ \t]+(?:would|will)|"
                           r"what['’]s|what[ \t]+is[ \t]+the[ \t]+(?:total|sum|difference)|total[ \t]+amount|altogether|"
                           r"answer[ \t]*:|wie[ \t]+viel|combien|cu[áa]nto|quanto)(?![^\W_])", _I)
_WORD_PROBLEM_REACH = 1500


def _word_problem(text: str, p: int, state: list) -> bool:
    """Whether a word-problem cue stands within :data:`_WORD_PROBLEM_REACH` of ``p``; ``state[2:]``
    keeps the cues found so far (``p`` ascending: each character is scanned once)."""
    lo, hi = max(state[2], p - _WORD_PROBLEM_REACH), p + _WORD_PROBLEM_REACH
    if lo < hi:
        state[3].extend(m.start() for m in _WORD_PROBLEM.finditer(text, lo, hi))
        state[2] = hi
    cues = state[3]
    k = bisect_right(cues, p - _WORD_PROBLEM_REACH - 1)
    return k < len(cues) and cues[k] <= hi


def _addressee(text: str, s: int, pay: re.Match[str], greet: list) -> list[re.Match[str]]:
    """A possessive first name right before the pay word, or the greeted name of a letter when
    "your" stands right before it; not in a maths word problem. ``greet`` keeps the greetings
    and word-problem cues found so far in this text (the pay words come in order, so no
    character is scanned twice)."""
    p = pay.start()
    lo = max(s, p - 40)
    m = _SUBJECT.match(text, s, p)
    if m is not None and m.end() == p and _is_pay_verb(text[p:pay.end()].lower()):
        w = m.group("n").lower()
        if not _not_name(w) and w not in _NOT_ADDRESSEE:
            return [] if _word_problem(text, p, greet) else [m]
    if _is_pay_verb(text[p:pay.end()].lower()):
        m = _INITIAL_NAME.search(text, max(0, p - 40), p)
        if m is not None and not _not_name(m.group("n")) and m.group("n").lower() not in _NOT_ADDRESSEE:
            return [] if _word_problem(text, p, greet) else [m]
    m = _POSSESSIVE.search(text, lo, p)
    if m is not None:
        w = m.group("n").lower()
        if not _not_name(w) and w not in _NOT_ADDRESSEE and not text[m.end():p + 12].lower().startswith(
                ("salaries", "wages", "bonuses")) and not text[pay.end():pay.end() + 1] == "s":
            return [] if _word_problem(text, p, greet) else [m]
    if _YOUR.search(text, lo, p) is None:
        return []
    start = max(greet[0], p - _GREETING_REACH)
    if start < p:
        greet[1].extend(_GREETING.finditer(text, start, p))
        greet[0] = p
    for g in reversed(greet[1]):
        if g.start() < p - _GREETING_REACH:
            break
        w = g.group("n").lower()
        if not _not_name(w) and w not in _NOT_ADDRESSEE:
            return [] if _word_problem(text, p, greet) else [g]
        break  # the nearest greeting greets no one person ("Hi team")
    return []


#: Capital letters (and, to be safe, every non-ASCII character) -> ``U`` in a byte shape.
_CAPS_BYTES = _byte_table({b"ABCDEFGHIJKLMNOPQRSTUVWXYZ" + bytes(range(0xC0, 0x100)): b"U"})


def _no_person_cue(text: str, caps: bytes, p: int) -> bool:
    """Whether the pay word at ``p`` can have no person, by cheap C-level checks on its line
    (a superset of every span the person cues look at): a name needs two capitals on the line
    (a record's label name too), a possessive one capital before the pay word, and "your"
    some letters before it. For dense pay words (a table of "Salary: 1" lines)."""
    lo = max(0, p - 1200)
    ls = text.rfind("\n", lo, p) + 1 or lo
    le = text.find("\n", p, p + 600)
    if le == -1:
        le = min(len(text), p + 600)
    if caps.count(b"U", ls, le) >= 2 or caps.count(b"U", ls, p):
        return False
    return p == ls or _YOUR.search(text, max(ls, p - 40), p) is None


def _names(text: str, s: int, e: int, cache: dict) -> list[re.Match[str]]:
    """:func:`person_names` or :func:`_record_names` of the sentence ``text[s:e]``, once per
    sentence (a long text without sentence ends has many pay words per window)."""
    got = cache.get((s, e))
    if got is None:
        got = cache[(s, e)] = person_names(text, s, e) or _record_names(text, s, e)
    return got


def _record_names(text: str, s: int, e: int) -> list[re.Match[str]]:
    """:func:`record_person` on the same line, as a list ("Employee: Sarah Connor. Salary:
    $120,000."); a record over several lines is the structured pass's ("salary (record)")."""
    n = record_person(text, s, e, lines=False)
    return [n] if n is not None else []


#: Pay words that are verbs: the amount must follow within 48 characters and 4 words ("earns,
#: after the raise, $185,000"; not "makes another pizza in his shop, he places $0.45").
_PAY_VERBS = frozenset({"makes", "paid", "verdient", "gagne", "gana", "cobra", "guadagna", "zarabia", "ganha"})
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
#: Before "paid": a passive (pay received: "is paid", "was well paid", "wird bezahlt" is not
#: a pay word); after the amount: a pay period; right after "paid": whom ("paid her", "paid Jane").
_PAID_PASSIVE = re.compile(r"(?<![^\W_])(?:is|was|were|are|be|been|being|gets?|got|getting)[ \t]+(?:\w+[ \t]+)?\Z", _I)
_PAY_PERIOD = re.compile(r"[ \t]*(?:(?:a|an|per|each|every|/)[ \t]*(?:year|yr|annum|month|mo|week|wk|hour|hr|day)\b"
                         r"|(?:annually|yearly|monthly|weekly|hourly|p\.?a\.?)(?![^\W_]))", _I)
_PAID_WHOM = re.compile(r"[ \t]+(?:him|her|them|me|you|us|[A-Z][a-z'’\-]+)(?![^\W_])")


def _paid_as_pay(text: str, pay: re.Match[str], amount: re.Match[str]) -> bool:
    """Whether "paid" before ``amount`` is someone's pay: passive ("Jane Doe is paid $90k"),
    a pay period after the amount ("paid $4,000 a month"), or whom it went to ("paid her")."""
    return bool(_PAID_PASSIVE.search(text, max(0, pay.start() - 24), pay.start())
                or _PAY_PERIOD.match(text, amount.end())
                or _PAID_WHOM.match(text, pay.end()))


#: A pay word's qualifier that makes a key no one person's pay ("max salary: 100000").
_PAY_NOT_BEFORE = re.compile(r"(?<![^\W_])(?:max|min|maximum|minimum|average|avg|median|mean|total)[ \t_\-]*\Z", _I)


def _bare_pay_ok(number: str) -> bool:
    """A bare number plausible as pay: 1,000 to 10,000,000, no bare year (1990-2030)."""
    amount = int(re.sub(r"\D", "", number))
    if number.isdigit() and 1990 <= amount <= 2030:
        return False
    return 1000 <= amount <= 10_000_000


_PLATE_NEEDLES = ("plate", "registration", "reg.", "reg ", "reg:", "kennzeichen", "nummernschild", "immatricul",
                  "plaque", "matr", "placa", "targa", "kenteken", "rejestr", "nr rej")


def detect_vehicle_plate(text: str) -> list[tuple[int, int, str, str, str]]:
    """A licence plate after a plate word with an owner cue in the sentence; see the module docstring."""
    hits = []
    owners: dict[tuple[int, int], re.Match[str] | None] = {}
    for s, e, ctx in _ctx_values(text, _R.plate_ctx, _PLATE_NEEDLES, _R.plate_value):
        # the sentence, cut to a window when it is long (bounded: no scan of a whole text
        # without sentence ends per plate); the owner cue looked for once per window
        span = sentence_window(text, s)
        if span not in owners:
            owners[span] = _R.owner.search(text, *span)
        owner = owners[span]
        if owner:
            hits.append((s, e, f"plate {_mask(text[s:e])}", "plate shape, owner in sentence",
                         f"{ctx}; {owner.group()}"))
    return hits
