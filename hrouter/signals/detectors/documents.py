"""Identity documents and wallet secrets: passport/ID machine-readable zones, BIP-39 seed
phrases and driving licence numbers.

``mrz`` (ICAO Doc 9303, Machine Readable Travel Documents, 8th ed. 2021, parts 3-7)
    The machine-readable zone of a passport or ID card: lines of ``[A-Z0-9<]`` of the
    format's length, one after the other (a line break, ``\\n`` escape, ``<br>``, blank or
    nothing between; a last ``<`` opening an HTML tag, ``<<<<br>`` or ``10</p>``, is no filler):
    TD3 passports 2 x 44, TD2 cards 2 x 36, TD1 cards 3 x 30, visas MRV-A 2 x 44 and MRV-B
    2 x 36 (a ``V`` document code). The data line carries the check digits (part 3,
    4.9: weights 7, 3, 1 repeated; digits count their value, ``A``-``Z`` 10-35, ``<`` 0; the
    sum modulo 10) of the document number, the date of birth, the date of expiry and — TD3:
    the optional data and a composite over them all; TD2 and TD1: a composite; visas: none.
    A document number longer than nine characters continues in the optional data (``<`` in
    its check position; part 5/6). The line's shape is checked too: dates YYMMDD (month
    01-12, day 01-31, ``<<`` for an unknown part), sex ``M``/``F``/``X``/``<``, nationality
    three letters or ``<``, a digit in the document number. A data line counts when its shape
    holds and at least two of its check digits pass (OCR misreads one character now and then:
    fail closed); a TD1 data line alone needs both of its own (birth, expiry). A name line alone
    counts when its shape is strict: ``P``/``V`` (TD2 also ``I``/``A``/``C``) + type + issuing
    state + ``SURNAME<<GIVEN<NAMES<<<`` (both names) filling the line; the TD1 document line alone when its
    document number check passes. Verdict ``mrz TD3 check digits ok (ICAO 9303)`` (or
    ``4/5 check digits ok``, ``name line``); the mask shows only the document code and issuing
    state (``P<UTO***``) and which checks passed, never the name or number.
    Cost: nothing runs unless ``"<<"`` occurs in the text (one regex with the literal prefix
    ``<<``, three times faster than ``"<<" in text``); then only
    windows around ``<<`` runs that touch a capital, a digit or a third ``<`` are scanned for
    runs of 30 or more ``[A-Z0-9<]`` (``std::cout << x``, ``<<EOF``, ``<<<<<<< HEAD`` are looked
    at and dropped: no run of a line's length).

``seed_phrase`` (BIP-39, Bitcoin Improvement Proposal 39, "Mnemonic code for generating
deterministic keys"; wordlist and checksum from Trezor's ``mnemonic`` package)
    A wallet's recovery phrase is its private key: 12, 15, 18, 21 or 24 words of the English
    wordlist (2048 words of 3-8 letters) whose last word carries a checksum (the first
    ENT/32 bits of SHA-256 of the entropy). Candidates: a run of at least 12 words of 3-8
    letters (any case: ``ALPHA DOCTOR``, ``Alpha Doctor``) separated by up to 8 blanks, line
    breaks (a blank line, a wallet's 4 x 3 grid), commas, ``;``, ``/``, ``-`` or quotes (a JSON
    array ``["alpha", "doctor", ...]``) that starts a line
    or the text or follows ``:`` ``"`` ``'`` ``>`` ``=`` ``|`` or a backtick (how a
    phrase is pasted: alone, as a value, quoted), or a numbered list (``1. word 2. word`` /
    one per line; ``1)``, ``01.``, ``1 -``). Without a context word a run of 12-24 wordlist
    words counts only when its checksum holds, for the whole run or the 12-24 words at its start
    or end, and its words do not repeat much (at least two thirds distinct: drawn at random from
    2048, 12 words repeat one 3 % of the time; "mail" x 15 or BIP-39's all-zero test vector
    "abandon" x 11 + "about" is no one's key) (a random run of wordlist words passes 1 time in 16 for 12 words; English prose never
    strings twelve of them together: none in 170 MB of prompts, docs and source). A phrase in
    the middle of a prose line without a context word ("i wrote down tape attitude ...") is
    not looked at (the price of a cheap scan). After or just
    before a context word (seed phrase / words, recovery phrase, backup phrase, mnemonic,
    Wiederherstellungsphrase, phrase de récupération, frase semilla, frase de recuperación;
    within 400 characters, any case) the words may stand anywhere, with any separators (up to
    12 characters of ASCII punctuation, digits, blanks, brackets, numbering, bullets, dashes)
    between them, and twelve or more wordlist words count with a failed
    checksum too (a mistyped phrase is still the key: fail closed). A secret: never
    redactable. The mask is the word count only (``12 words``). Verdict ``bip39 checksum ok``
    or ``context: seed phrase (checksum failed)`` (``(words repeat: no random phrase)``).
    Cost: candidates are found on a byte shape of the text (one ``bytes.translate`` of its
    cached UTF-8 form: letters ``a``, line break ``N``, quotes ``Q``, other openers ``A``) by
    three patterns with a literal first byte (``A`` / ``Q`` / ``N``: a class ``[AQ]`` first is ten
    times slower; possessive, so a failed attempt gives nothing back), then
    measured on the text; the numbered pattern (literal ``1``) runs only when a twelfth item ("12. word") occurs, the
    context one only in windows around its needles; ``mnemonic`` is imported and a checksum
    computed (memoised, at most 256 distinct runs per text; past that a run counts unchecked,
    fail closed) only for a run of twelve wordlist words.

``drivers_license`` (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)(i)(K): certificate/licence numbers)
    A licence number right after a licence word (only separators and connector words
    between, as :mod:`hrouter.signals.detectors.bank`'s ``_GAP``; or the number just before
    the word in parentheses): driver's / drivers / driver license or licence, driving licence,
    ``DLN``, ``DL#``, ``DL`` with ``:``/``No.`` after it (then a letter or seven digits in the value:
    "DL: 10000" is no licence), ``license no.``/``#``; Führerschein(nummer),
    FS-Nr.; permis de conduire, n°/numéro de permis; licencia / permiso / carné de conducir;
    patente di guida, numero (di) patente, ``patente`` with ``n.``/``nr``/``:`` after it; carta de
    condução, CNH, carteira de habilitação; rijbewijs(nummer); prawo jazdy. The word as a whole
    word (``DL`` in ``handle``/``DL4J``/"DL models" is none). The value: 5-20 letters and digits,
    at least 4 digits, groups joined by ``-``, ``/`` or a blank (``MORGA753116SM9IJ``,
    ``A1234567``, ``123-456-789``, ``S530 4607 2981``); a blank-joined group needs a digit (or
    is a short capital group before one). Not a date, a year range, a phone number
    (``555-123-4567``) or one digit repeated; after a bare ``patente`` not a patent number
    (``US 7,654,321``, ``US7654321B2``). Masked as the ``national_id`` detector does.
    Cost: nothing runs unless a needle of :data:`_DL_NEEDLES` occurs (the tagger's one
    Aho-Corasick pass) and the text holds a digit; the word pattern runs as a lower-case twin
    in the windows around the needles.
"""

from __future__ import annotations

import re
from functools import lru_cache

# imported when a detector of this module first runs, after the sensitivity module
from hrouter.signals.detectors.bank import _GAP, _word_rx
from hrouter.signals.detectors.contextual import LazyPatterns
from hrouter.signals.detectors.national_id import mask_id
from hrouter.signals.sensitivity import _any_needle, _lower_windows, _match_copy, _scan, _utf8

_I = re.IGNORECASE
_W = r"(?![^\W_])"  # a word ends here

# --------------------------------------------------------------------------------------
# mrz

#: ICAO 9303 part 3, 4.9: the value of each MRZ character in a check digit.
_MRZ_VALUE = {**{str(d): d for d in range(10)}, **{chr(65 + k): 10 + k for k in range(26)}, "<": 0}
_WEIGHTS = (7, 3, 1)
#: Per line length: the formats whose data line has it.
_MRZ_LENGTHS = (30, 36, 44)
#: A run of that many characters: lines written one after the other without a break.
_MRZ_JOINED = {60: 30, 90: 30, 72: 36, 88: 44}
#: Name field: SURNAME<<GIVEN<NAMES, padded with ``<``.
_NAME = re.compile(r"[A-Z]+(?:<[A-Z]+)*(?:<<[A-Z]+(?:<[A-Z]+)*)?<*")
#: A surname and a given name (a name line alone must hold both).
_GIVEN = re.compile(r"[A-Z]<<[A-Z]")


def _cd(field: str) -> str:
    """The ICAO 9303 check digit of ``field``."""
    total = 0
    for i, c in enumerate(field):
        total += _MRZ_VALUE[c] * _WEIGHTS[i % 3]
    return str(total % 10)


def _check(field: str, digit: str) -> bool:
    return digit == _cd(field) or (digit == "<" and field.strip("<") == "")


def _date(field: str, needed: bool) -> bool:
    """YYMMDD, each part digits or ``<<`` (unknown); a month 01-12 and a day 01-31."""
    if not needed and field == "<<<<<<":
        return True
    yy, mm, dd = field[:2], field[2:4], field[4:]
    for part in (yy, mm, dd):
        if not (part.isdigit() or part == "<<"):
            return False
    if yy == "<<":
        return False
    return (mm == "<<" or 1 <= int(mm) <= 12) and (dd == "<<" or 1 <= int(dd) <= 31)


def _state(field: str) -> bool:
    return any(c.isalpha() for c in field) and all(c == "<" or c.isalpha() for c in field)


def _doc(number: str, digit: str, optional: str) -> tuple[bool, bool]:
    """(shape ok, check ok) of a document number; a long number continues in ``optional``
    (``<`` in the check position, then the rest and its check digit before a ``<``)."""
    if not any(c.isdigit() for c in number + optional[:6]):
        return False, False
    if digit == "<" and optional[:1] not in ("", "<"):
        ext = optional.split("<", 1)[0]
        return True, len(ext) >= 2 and _cd(number + ext[:-1]) == ext[-1]
    return digit.isdigit(), digit == _cd(number)


def _data_line(line: str, fmt: str) -> tuple[list[tuple[str, bool]], str] | None:
    """The named check results of a TD3/MRV-A (44) or TD2/MRV-B (36) data line, or None when its
    shape does not hold; with the nationality."""
    doc, cd, nat, dob, dob_cd, sex, exp, exp_cd = (line[0:9], line[9], line[10:13], line[13:19], line[19], line[20],
                                                   line[21:27], line[27])
    if sex not in "MFX<" or not _state(nat) or not _date(dob, True) or not _date(exp, False):
        return None
    if not (dob_cd.isdigit() and (exp_cd.isdigit() or exp_cd == "<")):
        return None
    shape, doc_ok = _doc(doc, cd, line[28:] if fmt in ("TD2", "MRV-B") else "")
    if not shape:
        return None
    checks = [("doc", doc_ok), ("dob", _check(dob, dob_cd)), ("exp", _check(exp, exp_cd))]
    if fmt == "TD3":
        checks.append(("opt", _check(line[28:42], line[42])))
        checks.append(("composite", line[43] == _cd(line[0:10] + line[13:20] + line[21:43])))
    elif fmt == "TD2":
        checks.append(("composite", line[35] == _cd(line[0:10] + line[13:20] + line[21:35])))
    return checks, nat


def _data_found(line: str, fmts: tuple[str, ...]) -> bool:
    """Whether ``line`` is a data line that counts in one of ``fmts``."""
    for fmt in fmts:
        got = _data_line(line, fmt)
        if got is not None and _verdict(fmt, got[0]) is not None:
            return True
    return False


def _name_line(line: str) -> bool:
    """A TD3/TD2/visa name line: document code, type, issuing state, name field filling the line."""
    return (line[0] in "PVIAC" and (line[1] == "<" or line[1].isalpha()) and _state(line[2:5])
            and "<<" in line[5:] and _NAME.fullmatch(line, 5) is not None)


def _td1(l1: str | None, l2: str | None) -> tuple[list[tuple[str, bool]], str] | None:
    """The named check results of a TD1 card from its document line and/or data line."""
    checks: list[tuple[str, bool]] = []
    prefix = "***"
    if l1 is not None:
        if not (l1[0].isalpha() and (l1[1] == "<" or l1[1].isalpha()) and _state(l1[2:5])):
            l1 = None
        else:
            shape, ok = _doc(l1[5:14], l1[14], l1[15:30])
            if not shape:
                l1 = None
            else:
                checks.append(("doc", ok))
                prefix = l1[0:5] + "***"
    if l2 is not None:
        dob, dob_cd, sex, exp, exp_cd, nat = l2[0:6], l2[6], l2[7], l2[8:14], l2[14], l2[15:18]
        if (sex in "MFX<" and _state(nat) and _date(dob, True) and _date(exp, False) and dob_cd.isdigit()
                and (exp_cd.isdigit() or exp_cd == "<")):
            checks += [("dob", _check(dob, dob_cd)), ("exp", _check(exp, exp_cd))]
            if l1 is not None:
                checks.append(("composite", l2[29] == _cd(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])))
            else:
                prefix = f"***{nat}***"
        else:
            l2 = None
    if l1 is None and l2 is None:
        return None
    return checks, prefix


_MRZ_TRIGGER = re.compile(r"<<[A-Z0-9<]+")
_MRZ_RUN = re.compile(r"[A-Z0-9<]{30,}")
#: Characters that may stand between two lines of one zone: a line break, its escape, blanks, a quote.
_MRZ_BETWEEN = re.compile(r"[ \t]*(?:<(?:br|BR) ?/?>[ \t]*)?(?:\r?\n|\\r\\n|\\n|[ \t|,\"'])?[ \t\"',]*")


def _mrz_lines(text: str) -> list[tuple[int, int, str]]:
    """(start, end, line) of every run of a line's length, joined runs split into lines."""
    spans = []  # one scan for the literal "<<" (sre's prefix search: faster than ``"<<" in text``)
    n = len(text)
    for m in _MRZ_TRIGGER.finditer(text):
        spans.append((max(0, m.start() - 140), min(n, m.end() + 140)))
    if not spans:
        return []
    windows = []
    for s, e in spans:  # already sorted by start
        if windows and s <= windows[-1][1]:
            if e > windows[-1][1]:
                windows[-1] = (windows[-1][0], e)
        else:
            windows.append((s, e))
    out = []
    for m in _scan(_MRZ_RUN, text, windows):
        s, e = m.span()
        if s and text[s - 1] in _RUN_CHARS:
            continue  # the tail of a longer run
        if text[e - 1] == "<" and text[e:e + 1] in _TAG_OPEN:
            e -= 1  # "<<<<br>", "10</p>": the last "<" opens an HTML tag, it is no filler
        elif text[e - 3:e] == "<BR" and text[e:e + 1] in (">", "/", " "):
            e -= 3
        size = e - s
        if size in _MRZ_LENGTHS:
            out.append((s, e, text[s:e]))
        elif size in _MRZ_JOINED:
            k = _MRZ_JOINED[size]
            out += [(i, i + k, text[i:i + k]) for i in range(s, e, k)]
    return out


_RUN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")
_TAG_OPEN = frozenset("abcdefghijklmnopqrstuvwxyz/!")


def _adjacent(text: str, a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Whether line ``b`` follows line ``a`` with only a line break or blanks between."""
    if b[0] < a[1] or len(a[2]) != len(b[2]) or b[0] - a[1] > 8:
        return False
    m = _MRZ_BETWEEN.match(text, a[1], b[0])
    return m is not None and m.end() == b[0]


def _verdict(fmt: str, checks: list[tuple[str, bool]]) -> tuple[str, str] | None:
    passed = [k for k, ok in checks if ok]
    if len(passed) == len(checks) and checks:
        state = "check digits ok"
    elif len(passed) >= 2:
        state = f"{len(passed)}/{len(checks)} check digits ok"
    else:
        return None
    return f"mrz {fmt} {state} (ICAO 9303)", f"{fmt} checks {len(passed)}/{len(checks)} ok: {' '.join(passed) or '-'}"


def detect_mrz(text: str) -> list[tuple[int, int, str, str, str]]:
    """Machine-readable zones of passports, ID cards and visas; see the module docstring."""
    lines = _mrz_lines(text)
    if not lines:
        return []
    hits: list[tuple[int, int, str, str, str]] = []
    used: set[int] = set()
    k = 0
    count = len(lines)
    while k < count:
        s, e, line = lines[k]
        size = len(line)
        prev = lines[k - 1] if k and (k - 1) not in used and _adjacent(text, lines[k - 1], lines[k]) else None
        nxt = lines[k + 1] if k + 1 < count and _adjacent(text, lines[k], lines[k + 1]) else None
        if size in (44, 36):
            fmts = ("TD3", "MRV-A") if size == 44 else ("TD2", "MRV-B")
            name = prev[2] if prev is not None and _name_line(prev[2]) else None
            if name is not None and name[0] == "V":
                fmts = fmts[1:]
            elif name is not None and size == 44 and name[0] == "P":
                fmts = fmts[:1]
            best = None
            for fmt in fmts:
                got = _data_line(line, fmt)
                if got is None:
                    continue
                v = _verdict(fmt, got[0])
                if v is None:
                    continue
                score = (sum(ok for _, ok in got[0]) == len(got[0]), sum(ok for _, ok in got[0]))
                if best is None or score > best[0]:
                    best = (score, v, got[1])
            if best is not None and (best[0][0] or "<" in line):  # partial: an MRZ line has fillers
                verdict, detail = best[1]
                start = prev[0] if name is not None else s
                prefix = name[0:5] + "***" if name is not None else f"***{best[2]}***"
                hits.append((start, e, f"{prefix} {detail}", verdict, "mrz"))
                used.update((k, k - 1) if name is not None else (k,))
                k += 1
                continue
            if (_name_line(line) and line[0] in ("PV" if size == 44 else "PVIAC") and _GIVEN.search(line, 5)
                    and not (nxt is not None and _data_found(nxt[2], fmts))):
                fmt = fmts[0] if line[0] != "V" else fmts[-1]
                if size == 44 and line[0] == "V":
                    fmt = "MRV-A"
                elif line[0] == "V":
                    fmt = "MRV-B"
                hits.append((s, e, f"{line[0:5]}*** {fmt} name line", f"mrz {fmt} name line (ICAO 9303)", "mrz"))
                used.add(k)
            k += 1
            continue
        # TD1: document line, data line, name line
        l1 = l2 = None
        span_s, span_e, j = s, e, k
        got = _td1(line, None)
        if got is not None and nxt is not None:
            both = _td1(line, nxt[2])
            if both is not None and len(both[0]) == 4:
                l1, l2, span_e, j = line, nxt[2], nxt[1], k + 1
                got = both
        if l1 is None:
            alone = _td1(None, line)
            if alone is not None and all(ok for _, ok in alone[0]) and "<" in line:
                got, l2 = alone, line
            elif got is not None and got[0] and got[0][0][1] and line[0] in "IAC" and "<<" in line:
                l1 = line
                got = (got[0], got[1])
            else:
                got = None
        if got is not None:
            checks, prefix = got
            v = _verdict("TD1", checks) if len(checks) > 1 else ("mrz TD1 document line check digit ok (ICAO 9303)",
                                                                    "TD1 checks 1/1 ok: doc")
            if v is not None:
                if j + 1 < count and _adjacent(text, lines[j], lines[j + 1]) and _NAME.fullmatch(lines[j + 1][2]):
                    span_e, j = lines[j + 1][1], j + 1  # the name line
                hits.append((span_s, span_e, f"{prefix} {v[1]}", v[0], "mrz"))
                used.update(range(k, j + 1))
                k = j + 1
                continue
        k += 1
    return hits


# --------------------------------------------------------------------------------------
# seed_phrase

# (possessive quantifiers throughout: a run that fails gives nothing back, no backtracking)
_WORD = r"[a-z]{3,8}+(?![a-z])"
#: A word of a run on the text (any case: ``ALPHA DOCTOR``, ``Alpha Doctor``).
_WORD_CI = r"[A-Za-z]{3,8}+(?![A-Za-z])"
#: Between two words of an anchored run: blanks (a wallet's grid: runs of them), line breaks
#: (a blank line too), ``,`` ``;`` ``/`` ``-`` and quotes (``"alpha", "doctor"``), up to 8.
_RUN_SEP = r"[ \t\r\n,;/\-\"']{1,8}+"
#: Between two words after a context word: any ASCII but a lower-case letter (the window is
#: lower-cased), Latin-1 and general punctuation (bullets, dashes, no-break space), up to 12:
#: quotes, brackets, numbering, slashes, runs of blanks, line breaks.
_CTX_SEP = "[\x00-\x60\x7b-\xbf\u2000-\u206f\u3000]{1,12}+"
#: A numbered item after the first: separators, a number, its punctuation.
_ITEM = r"(?:[ \t,;|]*+(?:\r?\n[ \t|]*+)?\d{1,2}+[ \t]*+(?:[.):\-|][ \t]*+)?)"

#: Lower-case substrings of the context words (the run may stand up to 400 characters away).
_SEED_NEEDLES = ("seed phrase", "seed-phrase", "seed_phrase", "seedphrase", "seed words", "recovery phrase",
                 "recovery words", "backup phrase", "mnemonic", "wiederherstellungsphrase", "phrase de récupération",
                 "phrase de recuperation", "frase semilla", "frase de recuperación", "frase de recuperacion")
_SEED_REACH = 400
#: Words of the context phrases (not counted in the run they stand next to).
_CTX_WORDS = frozenset(("seed", "phrase", "words", "recovery", "backup", "mnemonic", "frase", "semilla", "secret"))


#: The byte shape the candidates are found on (one ``bytes.translate`` of the UTF-8 text):
#: a-z and A-Z -> ``a``, blank/tab/CR -> `` ``, ``,`` kept, ``;`` ``/`` -> ``,``, a line break
#: -> ``N``, quotes ``" '`` -> ``Q`` (a value opener and a separator: a JSON array), the other
#: value openers ``: > = | ` `` -> ``A``, bullets ``- *`` kept, anything else -> ``.``.
_SHAPE = bytes(ord("a") if 97 <= c <= 122 or 65 <= c <= 90 else ord(" ") if c in b" \t\r" else ord("N") if c == 10
               else ord("Q") if c in b"\"'" else ord("A") if c in b":>=|`" else ord(",") if c in b",;/"
               else c if c in b"-*" else ord(".") for c in range(256))
_SHAPE_RUN = rb" *+(?:[-*] ++)?a{3,8}+(?!a)(?>[ ,\-QN]{1,8}+a{3,8}+(?!a)){11}"  # possessive: no backtracking


class _SeedRx(LazyPatterns):
    _src = {
        # on the byte shape: twelve words after a value opener, a line break, or at the start
        "shape_a": (b"A" + _SHAPE_RUN, 0), "shape_q": (b"Q" + _SHAPE_RUN, 0), "shape_n": (b"N" + _SHAPE_RUN, 0), "shape_start": (_SHAPE_RUN, 0),
        # on the text, from a candidate: the whole run (group 1)
        "run_at": (r"[ \t]*+(?:[-*•][ \t]++)?(" + _WORD_CI + r"(?>" + _RUN_SEP + _WORD_CI + r")*+)", 0),
        "numbered": (r"1[ \t]*+(?:[.):\-|][ \t]*+)?" + _WORD + r"(?>" + _ITEM + _WORD + r"){11,}+", 0),
        # a twelfth item ("12. word", "12) word", "12 word"): the numbered scan runs only then
        "twelve": (r"12[ \t]*+(?:[.):\-|][ \t]*+)?[a-z]{3,8}+(?![a-z])", 0),
        "ctx_run": (r"(?<![a-z])" + _WORD + r"(?>" + _CTX_SEP + _WORD + r"){11,}+", 0),
        "word": (r"[A-Za-z]+", 0),
    }


_SR = _SeedRx()
_LENGTHS = (24, 21, 18, 15, 12)


@lru_cache(maxsize=1)
def _bip39() -> tuple[dict[str, int], object]:
    """The English wordlist (word -> index) and a checker, from Trezor's ``mnemonic`` package."""
    from mnemonic import Mnemonic  # lazy: only for a run of twelve words

    m = Mnemonic("english")
    return {w: i for i, w in enumerate(m.wordlist)}, m


@lru_cache(maxsize=1024)
def _checksum_ok(words: tuple[str, ...]) -> bool:
    """``Mnemonic.check`` of the words (memoised: a pure function of them)."""
    try:
        return bool(_bip39()[1].check(" ".join(words)))
    except Exception:  # noqa: BLE001 - a checker that trips: no verdict (context still counts)
        return False


def _wordlist_runs(words: list[tuple[int, int, str]], index: dict[str, int]) -> list[list[tuple[int, int, str]]]:
    """Maximal runs of 12 or more consecutive wordlist words."""
    runs, cur = [], []
    for w in words:
        if w[2] in index:
            cur.append(w)
        else:
            if len(cur) >= 12:
                runs.append(cur)
            cur = []
    if len(cur) >= 12:
        runs.append(cur)
    return runs


#: Checksum computations per text; past them a run of twelve wordlist words counts unchecked (fail closed).
_MAX_CHECKS = 256


def _valid_window(run: list[tuple[int, int, str]], budget: dict) -> list[tuple[int, int, str]] | None:
    """The longest 12-24 word window at the run's start or end whose checksum holds (the
    run's first 24 words once ``budget`` — distinct word tuples checked per text — is spent)."""
    m = len(run)
    for size in _LENGTHS:
        if size > m:
            continue
        for part in ((run[:size], run[m - size:]) if m > size else (run,)):
            key = tuple(w[2] for w in part)
            if len(set(key)) * 3 < size * 2:
                continue  # "mail mail mail ...": 12-24 words drawn at random from 2048 repeat a
                # few at most (any repeat: ~3 % of 12-word phrases, ~13 % of 24-word ones)
            ok = budget.get(key)
            if ok is None:
                if len(budget) >= _MAX_CHECKS:
                    budget[None] = True  # capped
                    return run[:24]
                ok = budget[key] = _checksum_ok(key)
            if ok:
                return part
    return None


def _anchored_runs(text: str) -> list[tuple[int, int, bool]]:
    """(start, end, False) of each run of twelve or more words at the text's start, a line
    start or after a value opener: found on the byte shape, measured on the text."""
    data = _utf8(text)
    shape = data.translate(_SHAPE)
    plain = len(data) == len(text)
    out: list[tuple[int, int, bool]] = []
    for rx in (_SR.shape_start, _SR.shape_a, _SR.shape_q, _SR.shape_n):  # one literal each (a class: 10x slower)
        b = c = 0  # a byte offset and its character offset (non-ASCII text: decoded forward)
        pos = 0
        while pos <= len(shape):
            m = rx.match(shape, 0) if rx is _SR.shape_start else rx.search(shape, pos)
            if m is None:
                break
            at = m.start() + (rx is not _SR.shape_start)
            if plain:
                ci = at
            else:
                c += len(data[b:at].decode("utf-8", "surrogatepass"))
                b, ci = at, c
            r = _SR.run_at.match(text, ci)
            if r is None or r.end(1) <= ci:
                pos = m.end()
            else:
                out.append((r.start(1), r.end(1), False))
                end = r.end(1)
                if plain:
                    pos = end
                else:
                    nb = b + len(text[ci:end].encode("utf-8", "surrogatepass"))
                    c, b, pos = end, nb, nb
                pos = max(pos, m.end())
            if rx is _SR.shape_start:
                break
    return out


def detect_seed_phrase(text: str) -> list[tuple[int, int, str, str, str]]:
    """BIP-39 recovery phrases; see the module docstring."""
    cands: list[tuple[int, int, bool]] = _anchored_runs(text)  # (start, end, context)
    if _SR.twelve.search(text):
        for m in _SR.numbered.finditer(text):
            s = m.start()
            if s and text[s - 1] == "0":  # "01. word"
                s -= 1
            if not (s and (text[s - 1].isalnum() or text[s - 1] == ".")):
                cands.append((s, m.end(), False))
    lc = None
    if _any_needle(text, _SEED_NEEDLES):
        lc = _match_copy(text)
        src = lc if lc is not None else text.lower()
        if len(src) == len(text):
            windows = _lower_windows(text, _SEED_NEEDLES, _SEED_REACH, _SEED_REACH)
            for m in _scan(_SR.ctx_run, src, windows):
                cands.append((m.start(), m.end(), True))
    if not cands:
        return []
    index = _bip39()[0]
    found: list[tuple[int, int, str, str, str]] = []
    budget: dict = {}
    cands.sort(key=lambda c: (c[0], -c[1], not c[2]))
    done = -1  # candidates are looked at once: a later one inside an earlier one adds nothing
    for s, e, ctx in cands:
        if e <= done and not ctx:
            continue
        done = max(done, e)
        src = text if not ctx else (lc if lc is not None else text.lower())
        words = [(w.start(), w.end(), w.group().lower()) for w in _SR.word.finditer(src, s, e)]
        if ctx:  # the context words themselves ("seed phrase able ...") are not the phrase
            while words and words[0][2] in _CTX_WORDS:
                words.pop(0)
            while words and words[-1][2] in _CTX_WORDS:
                words.pop()
        for run in _wordlist_runs(words, index):
            part = _valid_window(run, budget)
            if part is not None:
                verdict = "bip39 checksum not computed (cap)" if None in budget else "bip39 checksum ok"
                found.append((part[0][0], part[-1][1], f"{len(part)} words", verdict, "seed phrase" if ctx else "bip39"))
            elif ctx:
                names = [w[2] for w in run]
                why = "words repeat: no random phrase" if len(set(names)) * 3 < len(names) * 2 else "checksum failed"
                found.append((run[0][0], run[-1][1], f"{len(run)} words", f"context: seed phrase ({why})",
                              "seed phrase"))
    found.sort(key=lambda h: (h[0], -h[1]))
    hits: list[tuple[int, int, str, str, str]] = []
    end = -1
    for h in found:  # drop a span inside an earlier one
        if h[1] <= end:
            continue
        end = h[1]
        hits.append(h)
    return hits


# --------------------------------------------------------------------------------------
# drivers_license

#: Licence words (lower case, each alternative led by a letter; see bank's ``_word_rx``).
_DL_WORDS = (
    r"driver(?:'|’)?s?[ \t_\-]*(?:licen[cs]e|lic\.|lic" + _W + r"|permit)(?:[ \t_\-]*(?:number|num|no|nr|id))?" + _W,
    r"driving[ \t_\-]*(?:licen[cs]e|permit)" + _W,
    r"dln" + _W,
    r"dl#",
    r"dl(?=[ \t]*[:#=]|[ \t._\-]*(?:no|nr|num|number)" + _W + r")" + _W,
    r"licen[cs]e[ \t_\-]*(?:no\.?|nr\.?|#)" + _W,
    r"f(?:ü|ue|u)hrerschein(?:[ \t_\-]*(?:nummer|nr))?" + _W,
    r"fs[ \t.]*-?[ \t]*(?:nr|nummer)" + _W,
    r"permis[ \t]+de[ \t]+conduire" + _W,
    r"n(?:[°º]|o\.?|um[ée]ro)[ \t]*(?:de|du)[ \t]+permis(?:[ \t]+de[ \t]+conduire)?" + _W,
    r"licencia[ \t]+de[ \t]+(?:conducir|conducci[óo]n|manejo|manejar)" + _W,
    r"permiso[ \t]+de[ \t]+(?:conducir|conducci[óo]n)" + _W,
    r"carn[ée]t?[ \t]+de[ \t]+(?:conducir|conducci[óo]n)" + _W,
    r"patente[ \t]+(?:di[ \t]+guida|auto(?:mobilistica)?)" + _W,
    r"numero[ \t]+(?:di[ \t]+|della[ \t]+)?patente" + _W,
    # a bare "patente" (Spanish/Portuguese: a patent; Italian: the licence) only with a number cue
    r"patente(?=[ \t]*(?:n\.|n[°º]|nr\.?|numero|#|:))" + _W,
    r"carta[ \t]+de[ \t]+condu[çc][ãa]o" + _W,
    r"cnh" + _W,
    r"carteira[ \t]+(?:nacional[ \t]+)?de[ \t]+(?:habilita[çc][ãa]o|motorista)" + _W,
    r"rijbewijs(?:[ \t_\-]*(?:nummer|nr))?" + _W,
    r"praw(?:o|a|em)[ \t]+jazdy" + _W,
)

#: Lower-case substrings of the licence words ("dl" only as a word with what follows it).
_DL_NEEDLES = ("driver", "driving", "dln", "dl:", "dl#", "dl ", "dl.", "dl-", "dl_", "dl=", "dl\t",
               "license n", "licence n", "license#", "licence#", "license #", "licence #", "license_n", "licence_n",
               "license-n", "licence-n", "hrerschein", "fs-n", "fs n", "fs.-n", "fs.n", "permis", "conducir",
               "conducci", "patente", "condução", "conducao", "cnh", "habilita", "motorista", "rijbewijs",
               "jazdy")

_DL_STRONG_VALUE = re.compile(r"[A-Za-z]")
_DL_VALUE = r"[A-Za-z0-9]+(?:(?:[\-/]|[ ](?=[A-Z0-9]))[A-Za-z0-9]+){0,7}"


class _DlRx(LazyPatterns):
    _src = {**{k: (src, f) for k, src, f in zip(("word", "word_lc"), _word_rx(_DL_WORDS), (_I, 0))},
            "gap": (_GAP, _I),
            "value": (r"(?<![\w+\-/.,])" + _DL_VALUE, 0),
            "group": (r"[A-Za-z0-9]+|[\-/ ]", 0),
            "not_number": (r"(?:19|20)\d\d[\-/.](?:0?[1-9]|1[0-2])[\-/.](?:0?[1-9]|[12]\d|3[01])"
                           r"|(?:0?[1-9]|[12]\d|3[01])[\-/.](?:0?[1-9]|1[0-2])[\-/.](?:19|20)?\d\d"
                           r"|(?:0?[1-9]|1[0-2])[\-/.](?:0?[1-9]|[12]\d|3[01])[\-/.](?:19|20)?\d\d"
                           r"|(?:19|20)\d\d[\-/](?:19|20)?\d\d"
                           r"|1?[ \-]?\d{3}[ \-]\d{3}[ \-]\d{4}", 0),
            "patent": (r"(?:US|EP|WO|JP|CN|KR|DE|GB|FR|ES|IT|CA|AU|PCT)(?:[ /]?\d[\d ,./]*(?:[ ]?[ABCUY]\d)?"
                       r"|\d+[ABCUY]\d)", 0)}


_DR = _DlRx()


def _dl_value(text: str, s: int, bare_patente: bool) -> tuple[int, int] | None:
    """The licence number starting at ``s``: groups kept while they look like parts of it."""
    m = _DR.value.match(text, s)
    if m is None:
        return None
    parts = _DR.group.findall(m.group())
    first = parts[0]
    if not any(c.isdigit() for c in first) and not (
            first.isupper() and len(first) <= 5 and len(parts) > 2 and any(c.isdigit() for c in parts[2])):
        return None  # a word ("expires"), not the start of a number ("MORGA 753116 SM9IJ" is one)
    keep = [first]
    i = 1
    while i + 1 < len(parts):
        sep, grp = parts[i], parts[i + 1]
        if sep == " ":
            nxt = parts[i + 3] if i + 3 < len(parts) and parts[i + 2] == " " else ""
            if not (any(c.isdigit() for c in grp)
                    or (grp.isalpha() and grp.isupper() and len(grp) <= 5 and any(c.isdigit() for c in nxt))):
                break
        if sum(len(p) for p in keep) + len(sep) + len(grp) > 24:
            break
        keep += [sep, grp]
        i += 2
    value = "".join(keep)
    end = s + len(value)
    if end < len(text) and (text[end].isalnum() or text[end] in "_-"):
        return None  # a piece of a longer token
    alnum = sum(c.isalnum() for c in value)
    digits = sum(c.isdigit() for c in value)
    if not 5 <= alnum <= 20 or digits < 4:
        return None
    plain = "".join(c for c in value if c.isalnum())
    if plain.isdigit() and len(set(plain)) == 1:
        return None
    if _DR.not_number.fullmatch(value) or (bare_patente and _DR.patent.fullmatch(value)):
        return None
    return s, s + len(value)


def detect_drivers_license(text: str) -> list[tuple[int, int, str, str, str]]:
    """Driving licence numbers after a licence word; see the module docstring."""
    if not _any_needle(text, _DL_NEEDLES):
        return []
    windows = _lower_windows(text, _DL_NEEDLES, 40, 40)
    if not windows:
        return []
    lc = _match_copy(text)
    words = _scan(_DR.word, text, windows) if lc is None else _scan(_DR.word_lc, lc, windows)
    hits: list[tuple[int, int, str, str, str]] = []
    seen: set[int] = set()
    gap = _DR.gap
    for c in words:
        word = text[c.start():c.end()]
        bare = word.lower().startswith("patente") and c.end() - c.start() == 7
        g = gap.match(text, c.end())
        pos = g.end() if g else c.end()
        if text[pos:pos + 1] in ("º", "°") or (text[pos - 2:pos].lower() == "n." and text[pos:pos + 1] in ("o", "O")
                                              and not text[pos + 1:pos + 2].isalnum()):
            # Portuguese "n.º", Spanish "n.°" (NFKC makes the º an "o")
            g = gap.match(text, pos + 1)
            pos = g.end() if g else pos + 1
        got = _dl_value(text, pos, bare)
        if got is None and text[max(0, c.start() - 3):c.start()].rstrip(" \t").endswith("("):
            # "A1234567 (driver's license)": the value just before the "("
            j = text.rindex("(", 0, c.start())
            i = j
            while i > 0 and j - i < 32 and (text[i - 1].isalnum() or text[i - 1] in " -/"):
                i -= 1
            while i < j and not text[i].isalnum():
                i += 1
            cand = _dl_value(text, i, bare) if i < j else None
            if cand is not None and text[cand[1]:j].strip() == "":
                got = cand
        if got is None or got[0] in seen:
            continue
        s, e = got
        if word.lower() == "dl" and not _DL_STRONG_VALUE.search(text, s, e) and sum(c.isdigit() for c in text[s:e]) < 7:
            continue  # a bare "DL:" (download? deep learning?) needs a letter in the value or seven digits
        seen.add(s)
        hits.append((s, e, f"licence {mask_id(text[s:e])}", "context: driver's license", word))
    return hits
