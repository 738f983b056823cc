"""National identity and tax numbers, validated with python-stdnum.

Every candidate must pass its official check (``stdnum``, imported only when a candidate
needs it). Shapes distinctive enough to count on the validator alone (*strong*):

=====================  ==========================================  =====================
id                     shape                                        check (verdict)
=====================  ==========================================  =====================
FR NIR                 ``2 49 06 59 823 827 70`` (official groups)  mod-97 key
ES NIE                 ``X1234567L`` (X/Y/Z, 7 digits, letter)      check letter
ES DNI                 ``12345678Z`` (8 digits, letter)             check letter
IT codice fiscale      ``RSSMRA85T10A562S`` (16 chars)              check character
=====================  ==========================================  =====================

The others are plain digit runs that pass a random check too often (1 in 10 or 11), so
they count only with a context word (whole word; upper-case acronyms case-sensitive) at
most 48 characters before the number or 16 after it:

- UK NHS number (10 digits, ``943 476 5870``; mod-11): NHS, CHI, health service number;
- FR NIR written without its groups (15 digits): NIR, INSEE, sécurité sociale, carte vitale;
- DE Steuer-ID (11 digits; ISO 7064 mod 11,10): Steuer-ID, steuerliche ID, Steueridentifikationsnummer (-nr.), IdNr;
- NL BSN (9 digits; 11-proof): BSN (any case: ``bsn: ...`` keys), burgerservicenummer, sofinummer;
- CA SIN (9 digits, ``046 454 286``; Luhn): SIN, social insurance number, NAS, assurance sociale; lower-case
  ``sin``/``nas`` only as a key (``"sin": ...``, ``nas=...``);
- IN Aadhaar (12 digits, ``2341 2341 2346``; Verhoeff): Aadhaar, UIDAI, आधार;
- PL PESEL (11 digits; date and checksum): PESEL;
- SE personnummer (``880320-0016`` or 12 digits; date and Luhn): personnummer, persnr, samordningsnummer;
- DE Sozialversicherungs-/Rentenversicherungsnummer (``15 070649 C 103``: area, birth date DDMMYY, initial,
  serial; the DRV check digit, no stdnum module): Sozialversicherungsnummer, Rentenversicherungsnummer,
  Versicherungsnummer, SV-Nummer, RV-Nummer, SVNR, RVNR;
- UK National Insurance number (``AB 12 34 56 C``; no check digit, so the format rules of HMRC's
  National Insurance Manual NIM39110 are the check: two prefix letters, the first not D, F, I, Q,
  U or V, the second not D, F, I, O, Q, U or V, the prefixes BG, GB, KN, NK, NT, TN and ZZ never
  issued; six digits, optionally grouped in pairs; an optional suffix A-D): national insurance,
  NI number / NI no, NINO, NIN, the upper-case word NI. Its six digits make no digit cluster, so it is looked for
  in the windows of its own context words. HMRC's documentation example ``QQ 12 34 56 C`` fails
  the prefix rule (Q) and is public.

A German identity card (Personalausweis) number, ``T22000129`` (9 characters of the card's
alphabet: digits and the consonants CFGHJKLMNPRTVWXYZ, a letter first) or with its ICAO 9303
check digit (7-3-1 weights) as the 10th character (``T220001293``, validated), counts at most 80
characters after an Ausweis word (Personalausweis, Ausweisnummer, "Nummer des Personalausweises").

US SSNs are the ``ssn`` detector's. Masks keep the last 2-4 characters; the verdict names
the check that passed (``nhs mod-11 ok``) and ``context`` the word that supported a
context-only id.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from importlib import import_module

# imported when the detector first runs, after the sensitivity module
from hrouter.signals.sensitivity import (_UPPER_BYTES, _matches_at, _any_needle, _clip, _digit_clusters, _digit_windows,
                                         _finditer, _lower_windows, _scan, _shape)

# A number does not continue another word or number. The lookbehind sits after the first
# character, so the regex engine can skip fast to a candidate first character.
_B = r"(?<![\w.\-/].)(?<!^[.\-/].)"
_E = r"(?![\w]|[.\-/]\d)"

#: (name, value regex, stdnum module, verdict, context regex or None for strong shapes)
_SPECS: list[tuple[str, str, str, str, str | None]] = [
    ("FR NIR", r"[1-478]" + _B + r" \d\d \d\d (?:\d\d|2[AB]) \d{3} \d{3} \d\d" + _E, "fr.nir", "nir key ok", None),
    ("ES NIE", r"[XYZxyz]" + _B + r"[ \-]?\d{7}[ \-]?[A-Za-z]" + _E, "es.nie", "nie check letter ok", None),
    ("ES DNI", r"\d" + _B + r"\d{7}[ \-]?[A-Z]" + _E, "es.dni", "dni check letter ok", None),
    ("IT codice fiscale", r"[A-Z]" + _B + r"[A-Z]{5}[0-9LMNP-V]{2}[A-EHLMPRST][0-9LMNP-V]{2}[A-Z][0-9LMNP-V]{3}[A-Z]"
     + _E, "it.codicefiscale", "codice fiscale check ok", None),
    ("UK NHS", r"\d" + _B + r"\d\d([ \-]?)\d{3}\1\d{4}" + _E, "gb.nhs", "nhs mod-11 ok",
     r"(?-i:\bNHS\b|\bCHI\b)|\bnational[ \t]+health[ \t]+service\b|\bhealth[ \t]+service[ \t]+(?:number|no)\b"),
    ("FR NIR", r"[1-478]" + _B + r"\d{4}(?:\d\d|2[AB])\d{8}" + _E, "fr.nir", "nir key ok",
     r"(?-i:\bNIR\b|\bINSEE\b)|\bs[ée]curit[ée][ \t]+sociale\b|\bs[ée]cu\b|\bcarte[ \t]+vitale\b|"
     r"\bsocial[ \t]+security\b"),
    ("DE Steuer-ID", r"[1-9]" + _B + r"\d(?:[ ]?\d{3}){3}" + _E, "de.idnr", "idnr mod 11,10 ok",
     r"\bsteuer(?:liche)?[ \t]*-?[ \t]*(?:id|idnr|identifikationsnummer|identifikationsnr|nummer)\b|"
     r"\bsteueridentifikationsn(?:umme)?r\b|"
     r"\bsteuer-?id-?nr\b|(?-i:\bIdNr\b|\bTIN\b)|\btax[ \t]+id\b|\bidentifikationsnummer\b"),
    ("NL BSN", r"\d" + _B + r"(?:\d{3}\.?\d{2}\.?\d{3}|\d{8})" + _E, "nl.bsn", "bsn 11-proof ok",
     r"\bbsn\b|\bburgerservicenummer\b|\bsofi-?nummer\b"),
    ("CA SIN", r"\d" + _B + r"\d\d([ \-]?)\d{3}\1\d{3}" + _E, "ca.sin", "sin luhn ok",
     r"(?-i:\bSIN\b|\bNAS\b)|\b(?:sin|nas)\b(?=[\"']?[ \t]*[:=])|\bsocial[ \t]+insurance\b|\bassurance[ \t]+sociale\b"),
    ("IN Aadhaar", r"[2-9]" + _B + r"\d{3}([ \-]?)\d{4}\1\d{4}" + _E, "in_.aadhaar", "aadhaar verhoeff ok",
     r"\baadh?aa?r\b|(?-i:\bUIDAI\b)|आधार"),
    ("PL PESEL", r"\d" + _B + r"\d{10}" + _E, "pl.pesel", "pesel checksum ok", r"\bpesel\b"),
    ("SE personnummer", r"\d" + _B + r"(?:\d{7}|\d{5})[\-+ ]?\d{4}" + _E, "se.personnummer",
     "personnummer luhn ok", r"\bperson(?:nummer|nr)\b|\bpers\.?[ \t]?nr\b|\bsamordningsnummer\b|"
     r"\bpersonal[ \t]+identity[ \t]+number\b"),
    # no stdnum module (stdnum.de has no pension insurance number): checked by _valid_rvnr
    ("DE RVNR", r"\d" + _B + r"\d[ \-]?(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d[ \-]?[A-Za-z][ \-]?\d\d[ \-]?\d"
     + _E, "de.rvnr", "rvnr check digit ok",
     r"\bsozialversicherungs?-?(?:nummer|nr)\b|\brentenversicherungs?-?(?:nummer|nr)\b|"
     r"\bversicherungs-?(?:nummer|nr)\b|\bsv[ \t\-]?(?:nummer|nr|no)\b|\brv[ \t\-]?(?:nummer|nr)\b|"
     r"\bsozialversicherung\b|\brentenversicherung\b|(?-i:\bSVNR\b|\bRVNR\b)"),
    # no stdnum module: "gb.nino" is checked by _valid_nino (see _LOCAL_CHECKS)
    ("UK NINO", r"[A-Za-z]" + _B + r"[A-Za-z][ \-]?\d\d(?:([ \-]?)\d\d\1\d\d|[ \-]?\d{4})(?:[ \-]?[A-Da-d])?" + _E,
     "gb.nino", "nino prefix ok",
     r"\bnational[ \t_\-]*insurance|\bnino(?![^\W_])|(?-i:\bNIN(?![^\W_])|\bNI\b[ \t]*[:#])|"
     r"\b(?:ni|n\.i\.)[ \t_\-]*(?:number|num|no)\b|(?-i:\bNI\b)"),
]

#: The fewest digits each shape holds (all in one run of digits and separators).
_DIGITS = {"DE RVNR": 8, "FR NIR": 14, "ES NIE": 7, "ES DNI": 8, "UK NHS": 10, "DE Steuer-ID": 11, "NL BSN": 9, "CA SIN": 9,
           "IN Aadhaar": 12, "PL PESEL": 11, "SE personnummer": 10, "UK NINO": 6}

#: Lower-case substrings (of the context words) that open a window for the context specs.
_NEEDLES = ("nhs", "chi", "health service", "nir", "insee", "curit", "secu", "sécu", "vitale", "social",
            "steuer", "idnr", "tin", "tax id", "identifikationsnummer", "bsn", "burgerservice", "sofi",
            "sin", "nas", "assurance", "aadha", "adhaar", "uidai", "आधार", "pesel", "person", "persnr", "pers.nr",
            "pers nr", "pers. nr", "samordning", "versicherung", "sv-n", "sv n", "svn", "rv-n", "rv n", "rvnr")

#: The UK NINO's context words (its value has too few digits for a digit cluster); "nin" and
#: "ni" only with what may follow the acronym, so "learning", "unit" or "night" open no window
#: (a text that ends in "NIN" is looked at too: ``_nino_windows``).
_NINO_NEEDLES = ("insurance", "nino", "ni ", "ni:", "ni#", "ni-", "ni_", "ni\t", "n.i.") + tuple(
    "nin" + c for c in " :#-).,\n\r\t/*\"'(=;]_|>")


def _nino_windows(text: str) -> list[tuple[int, int]]:
    """The windows the NINO is looked for in: around its context words."""
    windows = _lower_windows(text, _NINO_NEEDLES, 40, 80) if _any_needle(text, _NINO_NEEDLES) else []
    if text[-3:].lower() == "nin":
        lo = max(0, len(text) - 43)
        windows = [(s, e) for s, e in windows if e < lo] + [(min([lo] + [s for s, e in windows if e >= lo]), len(text))]
    return windows


#: HMRC NIM39110: letters never used first / second, prefixes never issued.
_NINO_FIRST_NOT = frozenset("DFIQUV")
_NINO_SECOND_NOT = frozenset("DFIOQUV")
_NINO_NEVER = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def _valid_nino(value: str) -> bool:
    """A UK National Insurance number by HMRC's format rules (NIM39110; there is no check
    digit): prefix letters allowed, prefix issued, six digits, suffix A-D or none."""
    v = "".join(c for c in value.upper() if c.isalnum())
    if not 8 <= len(v) <= 9 or not v[2:8].isdigit():
        return False
    a, b = v[0], v[1]
    if not (a.isalpha() and b.isalpha()) or a in _NINO_FIRST_NOT or b in _NINO_SECOND_NOT or v[:2] in _NINO_NEVER:
        return False
    return len(v) == 8 or v[8] in "ABCD"


#: The Deutsche Rentenversicherung's check digit weights (area, birth date, letter as 01-26, serial).
_RVNR_WEIGHTS = (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1)


def _valid_rvnr(value: str) -> bool:
    """A German pension insurance number (Sozialversicherungs-/Rentenversicherungsnummer,
    ``15 070649 C 103``): area, birth date DDMMYY, the initial's letter, serial, and the check
    digit of the DRV rule (the letter as its two-digit alphabet position; the 12 digits times
    2,1,2,5,7,1,2,1,2,1,2,1; the digit sums of the products added up, modulo 10)."""
    v = "".join(c for c in value.upper() if c.isalnum())
    if len(v) != 12 or not (v[:8].isdigit() and "A" <= v[8] <= "Z" and v[9:].isdigit()):
        return False
    digits = v[:8] + f"{ord(v[8]) - 64:02d}" + v[9:11]
    total = sum(p // 10 + p % 10 for p in (int(d) * w for d, w in zip(digits, _RVNR_WEIGHTS)))
    return total % 10 == int(v[11])


#: Checks without a stdnum module (``module`` of :data:`_SPECS` -> validator).
_LOCAL_CHECKS = {"gb.nino": _valid_nino, "de.rvnr": _valid_rvnr}


class _Compiled:
    specs: list[tuple[str, re.Pattern[str], str, str, re.Pattern[str] | None]] | None = None


def _specs():
    if _Compiled.specs is None:
        _Compiled.specs = [(name, re.compile(v), mod, verdict, re.compile(c, re.I) if c else None)
                           for name, v, mod, verdict, c in _SPECS]
    return _Compiled.specs


def _valid(module: str, value: str) -> bool:
    local = _LOCAL_CHECKS.get(module)
    if local is not None:
        return local(value)
    import_module(f"stdnum.{module}")  # lazy: only for a candidate (raises if missing)
    return _valid_cached(module, value)


@lru_cache(maxsize=4096)
def _valid_cached(module: str, value: str) -> bool:
    """The stdnum verdict, memoised (a pure function of the value)."""
    mod = import_module(f"stdnum.{module}")
    try:
        return bool(mod.is_valid(value))
    except Exception:  # noqa: BLE001 - a validator that trips on odd input: not this id
        return False


def _context(text: str, s: int, e: int, ctx: re.Pattern[str]) -> str:
    """The context word at most 48 characters before ``text[s:e]`` (nearest) or 16 after it."""
    before = list(ctx.finditer(text, max(0, s - 48), s))
    if before:
        return before[-1].group()
    after = ctx.search(text, e, min(len(text), e + 16))
    return after.group() if after else ""


def mask_id(value: str) -> str:
    """Every letter and digit but the last few (at most a third) as ``*``; separators kept."""
    n = sum(c.isalnum() for c in value)
    keep = min(4, n // 3)
    out, seen = [], 0
    for c in value:
        if c.isalnum():
            seen += 1
            out.append(c if seen > n - keep else "*")
        else:
            out.append(" " if c.isspace() else c)
    return "".join(out)


def _fiscal_codes(text: str, rx: re.Pattern[str]):
    """``rx.finditer(text)`` for the codice fiscale, sixteen capitals and digits that open with
    six capitals: tried only where the byte shape (capitals -> ``U``, digits -> ``0``) shows
    that."""
    shape = _shape(text, _UPPER_BYTES)  # one byte per character
    found = []
    i = shape.find(b"UUUUUU")
    while i != -1:
        if not shape[i + 6:i + 16].strip(b"U0") and i + 16 <= len(shape):
            found.append(i)
        i = shape.find(b"UUUUUU", i + 1)
    yield from _matches_at(rx, text, found)


def detect_national_id(text: str) -> list[tuple[int, int, str, str, str]]:
    """National ids: strong shapes alone, digit runs next to a context word; see the module docstring."""
    hits: list[tuple[int, int, str, str, str]] = []
    starts: list[int] = []  # the spans found so far: disjoint, sorted (ends sorted too)
    ends: list[int] = []
    # every shape but the codice fiscale holds all its digits (_DIGITS) in one run of digits
    # and separators ("2A"/"2B" of a French NIR included), so only the windows around such
    # clusters are scanned
    most = max((d for _, _, d in _digit_clusters(text)), default=0)
    # the context specs look only around a context word: 48 characters after it, 16 before
    context = _lower_windows(text, _NEEDLES, 40, 80) if most and _any_needle(text, _NEEDLES) else []
    for name, rx, module, verdict, ctx in _specs():
        if name == "IT codice fiscale":
            matches = _fiscal_codes(text, rx)
        elif name == "UK NINO":  # six digits: no cluster; scanned around its own context words
            windows = _nino_windows(text)
            if not windows:
                continue
            matches = _scan(rx, text, windows)
        else:
            if _DIGITS[name] > most:
                continue  # no run holds enough digits
            digits = _digit_windows(text, _DIGITS[name], 16, 8)
            if ctx is None:
                matches = _finditer(rx, text, digits) if digits else ()
            elif context and digits:
                matches = _scan(rx, text, _clip(context, digits))
            else:
                continue
        for m in matches:
            s, e = m.span()
            k = bisect_right(starts, s)  # overlap test by bisection: many ids stay linear
            if (k and ends[k - 1] > s) or (k < len(starts) and starts[k] < e):
                continue
            word = ""
            if ctx is not None:
                word = _context(text, s, e, ctx)
                if not word:
                    continue
            if not _valid(module, m.group().upper()):
                continue
            starts.insert(k, s)
            ends.insert(k, e)
            hits.append((s, e, f"{name} {mask_id(m.group())}", verdict, word))
    if _any_needle(text, ("ausweis",)):
        hits.extend(_personalausweis(text))
    return hits


#: A German identity card (Personalausweis) number: 9 characters of the card's alphabet (digits and
#: the consonants C F G H J K L M N P R T V W X Y Z, a letter first, 2+ digits), optionally with its
#: ICAO 9303 check digit as the 10th (as in the machine-readable zone: ``T220001293``).
_PA_VALUE = re.compile(r"(?<![\w\-/.])(?=(?:[A-Z]*\d){2})[CFGHJKLMNPRTVWXYZ][0-9CFGHJKLMNPRTVWXYZ]{8}(\d?)(?![\w]|[\-/.]\w)")
_PA_CONTEXT = re.compile(r"(?:personal)?ausweis(?:es|nummer|[ \t]*-?[ \t]*(?:nr|nummer|no)\b)?|"
                         r"\bidentity[ \t]+card\b|\bid[ \t-]?card\b", re.I)


@lru_cache(maxsize=1)
def _pa_gap() -> re.Pattern[str]:
    """The ``passport`` detector's gap between its word and value (imported late: that module imports this one)."""
    from hrouter.signals.detectors.contextual import _GAP
    return re.compile(_GAP + r"\Z", re.I)


def _icao_digit(value: str) -> int:
    """The ICAO 9303 check digit (weights 7, 3, 1; A-Z as 10-35)."""
    total = 0
    for i, c in enumerate(value):
        v = int(c) if c.isdigit() else ord(c) - 55
        total += v * (7, 3, 1)[i % 3]
    return total % 10


def _personalausweis(text: str) -> list[tuple[int, int, str, str, str]]:
    """German identity card numbers at most 80 characters after an Ausweis word ("Nummer des
    Personalausweises: T22000129")."""
    out = []
    for m in _scan(_PA_VALUE, text, _lower_windows(text, ("ausweis",), 8, 100)):
        s, e = m.span()
        word = _PA_CONTEXT.search(text, max(0, s - 80), s)
        if word is None:
            continue
        value = m.group()
        if not m.group(1) and not word.group().lower().endswith("ausweises") and (not text[word.end():s].strip(" \t.:#-()") or _pa_gap().match(text, word.end(), s)):
            continue  # right after the word: the ``passport`` detector's id card number
        if m.group(1):
            if _icao_digit(value[:9]) != int(value[9]):
                continue
            verdict = "personalausweis icao check ok"
        else:
            verdict = "personalausweis alphabet ok"
        out.append((s, e, f"DE Personalausweis {mask_id(value)}", verdict, word.group()))
    return out
