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
    polisnummer; numer pacjenta/ubezpieczenia/polisy. Between the word and the value only
    separators and connector words ("number", "Nr.", "n°", "n.", "is", "ist", "est", ":", "#", ...);
    "No."/"Nr." and "#" right after the word count too ("Policy No. W123456789", "Policy #W123456789").
    A value may also stand just before the word: "00123456 (MRN)", "C01234567 is my passport number".
``passport``
    A passport number (6-9 upper-case letters/digits with at least 2 digits, or a
    9-digit number) right after passport (number), Reisepass(nummer), Passnummer,
    passeport, numéro de passeport, pasaporte, número de pasaporte, passaporto (n.),
    passaporte (n.º), paspoort(nummer), paszport(u). The word alone (a question about
    passports) is public.
``salary``
    A named person's pay: a person (two or three capitalised words that are not job titles,
    places, months or sentence openers; or an honorific + a capitalised name; O'Brien, McDonald,
    MacLeod, van der Berg; a salutation or job word before the name is dropped: "Dear Jane Roe",
    "Engineer Jane Roe", "Dear Ms. Roe"; or a record label earlier on the same line: "Employee:
    Sarah Connor. Salary: $120,000."), a pay word
    (salary, earns, paid, wage, compensation, bonus; Gehalt, Jahresgehalt, verdient, Lohn;
    salaire, gagne, rémunération; sueldo, salario, cobra, gana, nómina; stipendio,
    retribuzione, guadagna; salário, ganha; salaris, loon; wynagrodzenie, pensja, zarabia) and an
    amount (currency symbol $ € £ ¥ ₹ or code USD/EUR/GBP/CHF/PLN/BRL/JPY/CNY/RMB/INR/SEK/NOK/DKK/
    AUD/CAD, also glued "USD182000"; ``zł``, ``kr``, yen, yuan, rupees, lakh, crore, "2 million
    dollars", or ``k``) in one sentence. Salary bands and questions without a person are
    public. (A bare number under a pay key of a table or record with a person is found by the
    structured pass.)
``vehicle_plate``
    A licence plate (upper-case letters and digits, 4-10 characters with a digit and a
    letter or a DE/FR/ES/UK layout, also unspaced "AB12CDE") after a plate word (plate, licence/license plate,
    registration, Kennzeichen, Nummernschild, immatriculation, plaque, matrícula), with an
    owner cue in the same sentence (belongs to, owner, owned by, registered to/keeper,
    driver; gehört, Halter, Besitzer, Fahrer; appartient, propriétaire, titulaire,
    conducteur; pertenece, propietario, titular, conductor).
"""

from __future__ import annotations

import re
from bisect import bisect_right

# imported when a detector of this module first runs, after the sensitivity module
from hrouter.signals.detectors.national_id import mask_id
from hrouter.signals.sensitivity import _lower_windows, _match_copy, _scan

_I = re.IGNORECASE

#: Between a context word and its value: separators and connector words only.
_GAP = (r"(?:[ \t]*(?:[:=#\-–(\"']|\b(?:numbers?|num|nos?|nr|n[°º]|ids?|nummer|num[ée]ro|n[úu]mero|lautet|is|ist|"
        r"est|es|was|war|of|de|del|du|d'|on|file|record|le|la|el)\b\.?|n[°º]))*[ \t]*(?:(?:\r?\n|[\u2028\u2029\x85])[ \t]*[\"']?){0,2}")
# (up to two line breaks may sit between a label and its value: "Passport number:" / "X1234567"
# on the next line is how forms and key-value lists put it, and hrouter joins a file and the
# argument text with a blank line)


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
        "med_ctx": (
            r"(?<![^\W_])(?:mrns?|(?-i:NHC|IPP|KVNR)|medical[ \t]+record(?:[ \t]+(?:number|no|#))?|"
            r"patient(?:[ \t]*[\-#]?[ \t]*(?:id|number|no|nr))|hospital[ \t]+(?:number|no|id)|chart[ \t]+(?:number|no)|"
            r"member(?:ship)?[ \t]*(?:id|number|no|#)|subscriber[ \t]*(?:id|number|no)|"
            r"policy[ \t]*(?:number|no|#)|insurance[ \t]*(?:id|number|no|#)|health[ \t]+plan[ \t]+(?:id|number)|"
            r"beneficiary[ \t]+(?:id|number)|medicare(?:[ \t]+(?:number|no|id))?|medicaid(?:[ \t]+(?:number|no|id))?|"
            r"patienten[ \t]*-?[ \t]*(?:nummer|id|nr)|fallnummer|(?:kranken)?versicherten[ \t]*-?[ \t]*(?:nummer|nr)|"
            r"versicherungs[ \t]*-?[ \t]*(?:nummer|nr)|mitglieds[ \t]*-?[ \t]*(?:nummer|nr)|"
            r"num[ée]ro[ \t]+de[ \t]+dossier(?:[ \t]+(?:m[ée]dical|patient))?|dossier[ \t]+m[ée]dical|"
            r"num[ée]ro[ \t]+(?:de[ \t]+patient|d'assur[ée]e?|d'adh[ée]rent|de[ \t]+s[ée]curit[ée][ \t]+sociale)|"
            r"historia[ \t]+cl[íi]nica|n[úu]mero[ \t]+de[ \t]+(?:historia|paciente|afiliad[oa]|afiliaci[óo]n|"
            r"asegurad[oa]|p[óo]liza)|tarjeta[ \t]+sanitaria|"
            # Italian, Portuguese, Dutch, Polish
            r"tessera[ \t]+sanitaria|cartella[ \t]+clinica|"
            r"(?:n[úu]mero|n\.?[ \t]?[°ºo]|cart[ãa]o)[ \t]+(?:de[ \t]+|do[ \t]+)?(?:utente|benefici[áa]rio)|"
            r"processo[ \t]+cl[íi]nico|pati[ëe]nt[ \t]*-?[ \t]*(?:nummer|nr)|"
            r"(?:zorg)?verzekerings[ \t]*-?[ \t]*(?:nummer|nr)|polis[ \t]*-?[ \t]*(?:nummer|nr)|"
            r"numer[ \t]+(?:pacjenta|ubezpieczenia|polisy))"
            r"(?:[ \t]*n\.[ \t]?[°ºo]?)?(?:(?<=no)\.|(?<=nr)\.|(?<=#)|(?![^\W_]))", _I),
        "med_value": (r"(?<![\w\-/.])(?=[A-Z0-9\-/.]*\d(?:[A-Z\-/.]*\d){3})[A-Z0-9](?:[A-Z0-9\-/.]{2,18}[A-Z0-9])"
                      r"(?![\w\-]|[/.]\w)", 0),
        "passport_ctx": (r"(?<![^\W_])(?:passport|reisepass|passnummer|pass[ \t]*-?[ \t]*nr|passeport|pasaporte|"
                         r"passaport[oe]|paspoort|paszport(?:u|owy)?)"
                         r"(?:[ \t]*-?(?:nummer|number|no\.?|nr\.?)|[ \t]*n\.[ \t]?[°ºo]?)?(?![^\W_])", _I),
        "passport_value": (r"(?<![\w\-/.])(?:(?=[A-Z0-9]{6,9}(?![\w\-]))(?:[A-Z]*\d){2}[A-Z0-9]*|\d{9})(?![\w\-])", 0),
        # the same for the lower-case copy (see sensitivity._match_copy), each alternative led by a literal
        "passport_ctx_lc": (r"(?:p(?<![^\W_]p)(?:assport|assnummer|ass[ \t]*-?[ \t]*nr|asseport|asaporte|"
                            r"assaport[oe]|aspoort|aszport(?:u|owy)?)|"
                            r"r(?<![^\W_]r)eisepass)(?:[ \t]*-?(?:nummer|number|no\.?|nr\.?)|[ \t]*n\.[ \t]?[°ºo]?)?"
                            r"(?![^\W_])", 0),
        "pay_lc": (r"(?:s(?<![^\W_]s)alar(?:y|ies|io|ios|is)|e(?<![^\W_]e)arns?|e(?<![^\W_]e)arning|e(?<![^\W_]e)arned|"
                   r"m(?<![^\W_]m)akes|p(?<![^\W_]p)aid|w(?<![^\W_]w)ages?|c(?<![^\W_]c)ompensation|"
                   r"b(?<![^\W_]b)ase[ \t]+pay|b(?<![^\W_]b)onus|p(?<![^\W_]p)ay[ \t]+(?:is|of|rise)|"
                   r"g(?<![^\W_]g)ehalt|"
                   r"j(?<![^\W_]j)ahresgehalt|b(?<![^\W_]b)ruttogehalt|v(?<![^\W_]v)erdient|l(?<![^\W_]l)ohn|"
                   r"s(?<![^\W_]s)alaire|g(?<![^\W_]g)agne|r(?<![^\W_]r)[ée]mun[ée]ration|s(?<![^\W_]s)ueldo|"
                   r"c(?<![^\W_]c)obra|g(?<![^\W_]g)ana|n(?<![^\W_]n)[óo]mina|r(?<![^\W_]r)etribuci[óo]n|"
                   r"s(?<![^\W_]s)tipendio|r(?<![^\W_]r)etribuzione|s(?<![^\W_]s)al[áa]rios?|l(?<![^\W_]l)oon|"
                   r"w(?<![^\W_]w)ynagrodzeni[aeu]|p(?<![^\W_]p)ensj[aięe]|g(?<![^\W_]g)uadagna|z(?<![^\W_]z)arabia|"
                   r"g(?<![^\W_]g)anha)"
                   r"(?![^\W_])", 0),
        "pay": (r"(?<![^\W_])(?:salar(?:y|ies|io|ios|is)|earns?|earning|earned|makes|paid|wages?|compensation|"
                r"base[ \t]+pay|bonus|pay[ \t]+(?:is|of|rise)|gehalt|jahresgehalt|bruttogehalt|verdient|lohn|"
                r"salaire|gagne|r[ée]mun[ée]ration|sueldo|cobra|gana|n[óo]mina|retribuci[óo]n|"
                r"stipendio|retribuzione|sal[áa]rios?|loon|wynagrodzeni[aeu]|pensj[aięe]|guadagna|zarabia|ganha)"
                r"(?![^\W_])", _I),
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
                      r"immatriculation|plaque|matr[íi]cula)(?![^\W_])", _I),
        "plate_value": (r"(?<![\w\-])(?=[A-Z0-9 \-]{4,10}(?![\w\-]))(?=[A-Z \-]*\d)(?=[0-9 \-]*[A-Z])"
                        r"(?:[A-Z0-9]{5,8}|[A-Z0-9]{1,4}(?:[ \-][A-Z0-9]{1,4}){0,2})(?![\w\-])", 0),
        "owner": (r"(?<![^\W_])(?:belongs?[ \t]+to|owner|owned[ \t]+by|registered[ \t]+(?:to|keeper)|keeper|driver|"
                  r"driven[ \t]+by|geh[öo]rt|halter(?:in)?|besitzer(?:in)?|fahrer(?:in)?|appartient|"
                  r"propri[ée]taire|titulaire|conducteur|conductrice|pertenece|propietari[oa]|titular|conductor(?:a)?)"
                  r"(?![^\W_])", _I),
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
        if text[i] == "." and _ABBREV.search(text, max(0, i - 5), i):
            continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    out = [(a, b) for a, b in spans if b > a]
    starts = [a for a, _ in out]
    _LAST_SENTENCES = (text, out, starts)
    return out, starts


_SENT_END = re.compile(r"[.!?;](?=\s)|\n")
_ABBREV = re.compile(r"(?:\b[A-Z]|\b(?:Mr|Ms|Dr|Sr|St|Mrs|Sra|Mme|Prof|Mlle|Srta))\Z")


#: :data:`_SENT_END` less the periods :data:`_ABBREV` keeps (after an initial or an
#: abbreviation), every alternative led by a literal: the sentence ends, in one pattern.
_SPLIT = re.compile(r"!(?=\s)|\?(?=\s)|;(?=\s)|\n|\.(?=\s)(?<!\b[A-Z]\.)(?<!\b(?:Mr|Ms|Dr|Sr|St)\.)"
                    r"(?<!\b(?:Mrs|Sra|Mme)\.)(?<!\b(?:Prof|Mlle|Srta)\.)")


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
                ok=lambda v: True, ctx_lc: re.Pattern[str] | None = None) -> list[tuple[int, int, str]]:
    """(start, end, context word) of each value right after a context word (only separators
    and connector words between), or just before one in parentheses ``123456 (MRN)``.
    ``ctx_lc``: the context pattern's twin for the lower-case copy, if it has one."""
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
        lead = text[max(0, c.start() - 40):c.start()]
        tail = lead.rstrip(" \t")[-6:].lower()
        before = _BEFORE_CTX.search(lead) if tail.endswith(_BEFORE_TAILS) else None
        if before:
            s = c.start() - len(lead) + before.start(1)
            m = value_rx.fullmatch(text, s, s + len(before.group(1)))
            if m and ok(m.group()):
                out.append((m.start(), m.end(), c.group()))
    return out


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


_MED_NEEDLES = ("mrn", "nhc", "ipp", "kvnr", "medical record", "patient", "hospital", "chart", "member",
                "subscriber", "policy", "insurance", "health plan", "beneficiary", "medicare", "medicaid",
                "fallnummer", "versicher", "mitglied", "dossier", "numéro", "numero", "historia", "número",
                "tarjeta", "tessera", "cartella", "utente", "benefici", "processo", "patiënt", "verzekering", "polis",
                "pacjent", "ubezpiecz")


def detect_medical_id(text: str) -> list[tuple[int, int, str, str, str]]:
    """MRNs and member/insurance ids next to a context word; see the module docstring."""
    return [(s, e, f"id {_mask(text[s:e])}", "shape ok, context word", ctx)
            for s, e, ctx in _ctx_values(text, _R.med_ctx, _MED_NEEDLES, _R.med_value, _not_date)]


_PASSPORT_NEEDLES = ("pass", "pasaporte", "paspoort", "paszport")


def detect_passport(text: str) -> list[tuple[int, int, str, str, str]]:
    """Passport numbers after a passport word; see the module docstring."""
    return [(s, e, f"passport {_mask(text[s:e])}", "shape ok, context word", ctx)
            for s, e, ctx in _ctx_values(text, _R.passport_ctx, _PASSPORT_NEEDLES, _R.passport_value,
                                         _not_date, _R.passport_ctx_lc)]


_PAY_NEEDLES = ("salar", "earn", "makes", "paid", "wage", "compensation", "base pay", "bonus", "pay ",
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
    for k, pay in enumerate(_scan(_R.pay, text, windows) if lc is None else _scan(_R.pay_lc, lc, windows)):
        if first < 0:
            first = pay.start()
        elif spans is None and k >= 16 and pay.start() - first < 256 * k:
            spans = _sentence_spans(text)  # dense pay words (a table view): the sentences once, then bisect
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
            names = person_names(text, s, e) or _record_names(text, s, e)
            if names:
                done.add((s, e))
                hits.append((amount.start(), amount.start() + len(a), f"amount …({len(a)} chars)",
                             "person + pay word + amount", f"{text[pay.start():pay.end()]}; {names[0].group()[:1]}…"))
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
        names = person_names(text, s, e) or _record_names(text, s, e)
        if not names:
            continue
        hits.append((a_start, a_end, f"amount …({a_end - a_start} chars)",
                     "person + pay word + amount", f"{text[pay.start():pay.end()]}; {names[0].group()[:1]}…"))
    return hits


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


_PLATE_NEEDLES = ("plate", "registration", "reg.", "reg ", "kennzeichen", "nummernschild", "immatricul",
                  "plaque", "matr")


def detect_vehicle_plate(text: str) -> list[tuple[int, int, str, str, str]]:
    """A licence plate after a plate word with an owner cue in the sentence; see the module docstring."""
    hits = []
    for s, e, ctx in _ctx_values(text, _R.plate_ctx, _PLATE_NEEDLES, _R.plate_value):
        ss, se = _sentence_of(text, s)
        owner = _R.owner.search(text, ss, se)
        if owner:
            hits.append((s, e, f"plate {_mask(text[s:e])}", "plate shape, owner in sentence",
                         f"{ctx}; {owner.group()}"))
    return hits
