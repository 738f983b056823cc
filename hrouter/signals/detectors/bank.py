"""Bank account numbers that are not IBANs (IBANs are the ``iban`` detector's).

A domestic account number has no shape of its own (a run of digits; most have no public
check), so it counts only next to a word that names it — the way ``passport`` and
``medical_id`` count (:mod:`hrouter.signals.detectors.contextual`) — or paired with a
bank code that has a shape:

``account number word + 6-34 digits``
    account number / no / # (also ``acct``, ``a/c no``, bank/checking/savings/current
    account); Kontonummer, Konto-Nr, Kto(-Nr), Bankkonto; numéro / n° de compte, compte
    bancaire; número / nº de cuenta, cuenta bancaria / corriente; numero (di) conto, conto
    corrente, ``c/c``; (bank)rekeningnummer; número / nº da conta, conta corrente; numer /
    nr konta, numer rachunku; keys too (``account_number``, ``accountNumber``, ``acct_no``,
    ``<account_number>``). Between word and number only separators and connector words
    (``:``, ``#``, ``no.``, "is", "ist", "est", ...; up to two line breaks), or the number
    just before the word in parentheses (``12345678 (account number)``). Digits may be
    grouped (``5577 9911``, a Polish ``61 1090 1014 ...``); an upper bound of 34 digits (the
    longest IBAN) keeps order ids and hashes out. Verdict ``context: account number``. A
    card's "primary account number" (PAN) is the ``credit_card`` detector's.
``short or foreign account word + 8-34 digits``
    ``account:`` / ``account #`` / ``a/c:`` (a separator after the word), ``acc no`` /
    ``acc#`` / ``acc:``, Spanish ``cuenta`` (``cuenta: 0049 1500 05 1234567890``), Dutch
    ``rekening`` (``mijn rekening is 0417164300``), a French ``RIB :`` (``RIB : 30004 00123 00012345678 14``).
    At least eight digits: ``A/C: 24 units``
    (air conditioning), ``la cuenta es 45`` stay public, and so does a date ``YYYYMMDD``. An AWS account id (12 digits with
    "AWS" or "Amazon" up to 48 characters before it: ``AWS account number: 123456789012``) is
    no bank account, after any account word.
``US ABA routing number + account``
    nine digits that pass the ABA checksum (weights 3-7-1, ``stdnum.us.rtn``, imported for a
    candidate only) after routing / ABA / RTN / transit, and an account number (4-17 digits)
    after an account word (account, acct, acc, a/c, checking, chequing, savings, DDA, or any
    word above) within
    :data:`_PAIR_REACH` characters. Verdicts ``aba checksum ok`` and ``account next to aba
    routing number``. A routing number alone identifies a bank branch: public.
``UK sort code + account``
    ``NN-NN-NN`` (or ``NN NN NN``, ``NNNNNN``) after "sort code" or "s/c", with an account number
    (7-10 digits, ``NNNN NNNN``) after an account word or, without one, within
    :data:`_SORT_REACH` characters of the sort code. A sort code alone is public. Also, without
    the words, after "bank details" / "banking details" / "bank info": a dashed sort code
    (``20-32-06``) and a 7-10 digit account within 80 characters of the words (``Bank details:
    Barclays, 20-32-06, 73849261, J Smith``).
``DE Kontonummer + BLZ``
    a Bankleitzahl (8 digits, the first 1-8: the Bundesbank's clearing areas; ``370 400 44``)
    after BLZ / Bankleitzahl with an account number (3-10 digits) after Konto / Kto /
    Kontonummer (or any account word) nearby. A BLZ alone is public.
``CA transit + institution + account`` (Payments Canada)
    a transit number (5 digits, not 00000) after "transit" / "branch transit|number" / "numéro
    de transit" with an account number (7-12 digits after an account word, ``compte`` too)
    within :data:`_PAIR_REACH` characters, and the institution number (3 digits, not 000,
    after "institution" / "numéro d'institution" / ``inst #``) nearest that transit when
    there is one: ``transit 12345, institution 004, account 1234567``. Verdicts ``CA
    transit+institution (Payments Canada)`` (or ``CA transit (Payments Canada) next to
    account``) and ``account next to CA transit...``. The cheque (MICR) order
    ``12345-004-1234567`` (or blank-separated) within :data:`_MICR_REACH` characters of an
    account, transit, institution, cheque, deposit, bank or payroll word: its three values.
    The electronic routing form ``0`` + institution + transit: ``0004 12345`` next to an
    account (7-12 digits) within :data:`_PAIR_REACH`, or written ``000412345`` after a transit
    word, or after a routing word when it starts ``00`` and fails the ABA check (a US routing
    number may start with 0: the ABA path runs first and keeps it): verdict ``CA electronic
    routing 0+institution+transit (Payments Canada)``. A transit or institution number alone
    names a branch or a bank: public; an order id ``12345-004-1234567`` without an account
    word too.

Each value is its own finding (a redaction replaces the digits, not the words between):
the account number, and the bank code that was paired with it. Not numbers: dates
(``2024-01-31``), year ranges, one digit repeated (``00000000``), a run that continues a
longer number or token (``+44 ...``, ``12345678.9``, ``ab12345678``). Masks keep the last
four digits of a number of eight or more digits (two of a shorter one).

Cost: nothing runs unless one of the ``*NEEDLES`` occurs (a lookup in the tagger's one
Aho-Corasick pass); the word patterns run as lower-case twins, each alternative led by a
literal, only in the windows around those needles; the bank-code patterns only when their
own words occur; the ABA checksum only for a routing number with an account nearby.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache

# imported when the detector first runs, after the sensitivity module
from hrouter.signals.detectors.contextual import _W, LazyPatterns, _word_rx  # noqa: F401 (documents uses it)
from hrouter.signals.sensitivity import _any_needle, _digit_windows, _lower_windows, _match_copy, _scan

_I = re.IGNORECASE

#: How far (characters between the two values) an account number may lie from the bank code it pairs with.
_PAIR_REACH = 160
#: How far from a UK sort code an account number without an account word may lie.
_SORT_REACH = 48

#: Between a context word and its value: separators and connector words only (bounded).
_GAP = (r"(?:[ \t]*(?:[:=#_\-–.(>\"']|(?:numbers?|num|nos?|nr|n[°º]|nummer|num[ée]ro|n[úu]mero|is|ist|est|es|é|"
        r"è|was|war|lautet|wynosi|code)(?![^\W_])\.?|n[°º]|n\.)){0,8}"
        r"[ \t]*(?:(?:\r?\n|[\u2028\u2029\x85])[ \t]*[\"']?){0,2}")

#: Words that name an account number (a value after one counts alone), lower case, each
#: alternative led by a letter (see :func:`contextual._word_rx`). Number words after them ("number",
#: "no.", "#", "Nr.") are :data:`_GAP`'s.
_STRONG = (
    # a card's "primary account number" (PAN) is the credit_card detector's
    r"a(?<!primary[ \t_\-]a)ccount[ \t_\-]*(?:numbers?|num|nos?|nr)" + _W, r"a(?<!primary[ \t_\-]a)ccount[ \t_\-]*#",
    *(w + r"[ \t_\-]+accounts?" + _W
      for w in ("bank", "checking", "cheque", "chequing", "savings", "current", "deposit")),
    r"acct" + _W, r"a/c[ \t]*(?:number|num|no|nr)" + _W, r"a/c[ \t]*#",
    r"konto[ \t_\-]*(?:nummer|nr)" + _W, r"bankkonto(?:[ \t_\-]*(?:nummer|nr))?" + _W, r"kontonr" + _W, r"kto" + _W,
    # numéro / n° de compte, número de (la) cuenta, nº da conta, numero (di) conto, nr konta, numer rachunku
    r"n(?:[úu]mero|um[ée]ro|umer|um\.?|o\.|o|[°º]|\.|r\.?)[ \t]*(?:(?:d[eu]|de[ \t]+la|da|do|di|del)[ \t]+)?"
    r"(?:compte|cuenta|conta|conto|konta|rachunku)" + _W,
    r"compte[ \t]+(?:bancaire|courant|num[ée]ro)" + _W, r"compte[ \t]+n[°º]",
    r"cuenta[ \t]+(?:bancaria|corriente|n[úu]mero|de[ \t]+ahorros?)" + _W, r"cuenta[ \t]+n[°º]",
    r"conto[ \t]+(?:corrente|bancario|numero)" + _W, r"conto[ \t]+n\.", r"c/c" + _W,
    r"rekening[ \t_\-]*(?:nummer|nr)" + _W, r"bankrekening(?:[ \t_\-]*(?:nummer|nr))?" + _W,
    r"conta[ \t]+(?:corrente|banc[áa]ria|n[úu]mero)" + _W, r"conta[ \t]+n[°º]",
    r"rachun(?:ek|ku)[ \t]+bankow(?:y|ego)" + _W,
)
#: Words that name an account number when a long number follows (8-34 digits; ``A/C: 24 units``
#: is air conditioning): a bare ``account:``/``account #``, ``a/c:``, ``acc no``/``acc#``, Spanish
#: ``cuenta``, Dutch ``(mijn) rekening``, French ``RIB:``. An AWS account id (12 digits after "AWS") is none.
_MEDIUM = (r"accounts?(?=[ \t]*[:#])" + _W, r"a/c(?=[ \t]*[:#])" + _W,
           r"acc(?:[ \t_\-.]*(?:numbers?|num|nos?|nr)" + _W + r"|[ \t]*#|(?=[ \t]*:))",
           r"cuenta" + _W, r"rekening" + _W, r"rib(?=[ \t]*:)" + _W)
#: Words after which a number is an account number when a bank code is near (and the strong ones).
_WEAK = (r"accounts?" + _W, r"acct" + _W, r"acc" + _W, r"a/c" + _W, r"konto" + _W, r"kto" + _W,
         r"checking" + _W, r"chequing" + _W, r"savings" + _W, r"dda" + _W, r"compte" + _W)
_ROUTING = tuple(w + r"(?:[ \t]*[-/&]?[ \t]*(?:routing|transit|and[ \t]+transit))?" + _W
                 for w in ("aba", "rtn", "routing", "transit"))
_SORT = (r"sort[ \t_\-]*code" + _W, r"s/c" + _W)
#: Canada: the branch transit number (5 digits; "numéro de transit", "branch number") and the
#: institution number (3 digits; "numéro d'institution", "institution financière").
_CA_TRANSIT = (r"transit" + _W, r"branch(?=[ \t]*(?:(?:transit|numbers?|no|nr)" + _W + r"|#))")
_CA_INST = (r"institution(?:[ \t]+financi[èe]re)?" + _W, r"inst(?=[ \t]*(?:[:#]|(?:no|nr|number)" + _W + r"))")
_BLZ = (r"blz" + _W, r"bankleitzahl" + _W)
#: "Bank details: Barclays, 20-32-06, 73849261": a UK sort code and account without their words.
_BANK = (r"bank(?:ing)?[ \t]+(?:details|info)" + _W,)


#: A number: digits, optionally in groups (one blank or dash between), not continuing a longer
#: number or token. The groups' digits are counted by the caller.
_VALUE = r"(?<![\w+\-/.,])\d{1,34}(?:[ \-]\d{1,34}){0,12}(?:-[0-9Xx])?(?![\w\-]|[./,]\d)"
_ROUTING_VALUE = r"(?<![\w+\-/.,])(?:\d{9}|\d{3}([ \-])\d{3}\1\d{3})(?![\w\-]|[./,]\d)"
_SORT_VALUE = r"(?<![\w+\-/.,])\d\d([ \-]?)\d\d\1\d\d(?![\w\-]|[./,]\d)"
_BLZ_VALUE = r"(?<![\w+\-/.,])[1-8]\d\d(?:\d{5}|( )\d{3}\1\d\d)(?![\w\-]|[./,]\d)"
#: Canada (Payments Canada): a transit (5 digits, not 00000) and an institution number (3
#: digits, not 000) after their words; the electronic routing form ``0`` + institution +
#: transit (``0004 12345``, ``000412345``); the cheque (MICR) order transit-institution-account
#: (``12345-004-1234567``, one separator throughout; groups 1, 3, 4).
_CA_TRANSIT_VALUE = r"(?<![\w+\-/.,])(?!00000)\d{5}(?![\w\-]|[./,]\d| \d)"
_CA_INST_VALUE = r"(?<![\w+\-/.,])(?!000)\d{3}(?![\w\-]|[./,]\d| \d)"
_CA_ELEC_VALUE = r"(?<![\w+\-/.,])0(?!000)\d{3}([ \-]?)(?!00000)\d{5}(?![\w\-]|[./,]\d| \d)"
_CA_MICR = r"(?<![\w+\-/.,])(?!00000)(\d{5})([\- ])(?!000)(\d{3})\2(\d{7,12})(?![\w\-]|[./,]\d| \d)"
#: An account number near a sort code without an account word.
_BARE_UK = r"(?<![\w+\-/.,])(?<!\d )(?:\d{7,10}|\d{4} \d{4})(?![\w\-]|[./,]\d| \d)"

_RUN = frozenset("0123456789 \t-")
_NOT_NUMBER = r"(?:19|20)\d\d[ \-]\d\d[ \-]\d\d|\d\d[ \-]\d\d[ \-](?:19|20)\d\d|(?:19|20)\d\d[ \-](?:19|20)\d\d"


class _Rx(LazyPatterns):
    """Compiled on first use."""

    _src = {**{k: (src, f) for name, alts in (("strong", _STRONG), ("medium", _MEDIUM), ("weak", _WEAK),
                                             ("routing", _ROUTING), ("bank", _BANK),
                                             ("sort", _SORT), ("blz", _BLZ),
                                             ("ca_transit", _CA_TRANSIT), ("ca_inst", _CA_INST))
               for k, src, f in zip((name, name + "_lc"), _word_rx(alts), (_I, 0))},
            "gap": (_GAP, _I), "value": (_VALUE, 0), "routing_value": (_ROUTING_VALUE, 0),
            "sort_value": (_SORT_VALUE, 0), "blz_value": (_BLZ_VALUE, 0), "bare_uk": (_BARE_UK, 0),
            "sort_dashed": (r"(?<![\w+\-/.,])\d\d-\d\d-\d\d(?![\w\-]|[./,]\d)", 0),
            "not_number": (_NOT_NUMBER, 0), "ca_transit_value": (_CA_TRANSIT_VALUE, 0),
            "ca_inst_value": (_CA_INST_VALUE, 0), "ca_elec_value": (_CA_ELEC_VALUE, 0), "ca_micr": (_CA_MICR, 0)}


_R = _Rx()

#: Lower-case substrings of the strong account words (each holds one; "conta"/"konta" only
#: with what follows them in an account word, so "contact" or "Kontakt" open no window).
_ACCOUNT_NEEDLES = ("account", "acct", "a/c", "konto", "kto", "compte", "cuenta", "conto", "c/c", "rekening",
                    "da conta", "de conta", "conta corr", "conta banc", "conta n", "r konta", "r. konta", "r.konta", "rachun")
#: ... of the weak ones (pairing only; "acc" only as a word: "access" opens no window).
_WEAK_NEEDLES = ("account", "acct", "acc ", "acc:", "acc.", "acc#", "acc-", "acc\t", "a/c", "konto", "kto",
                 "checking", "chequing", "savings", "dda", "compte")
#: ... of the medium ones.
_MEDIUM_NEEDLES = ("account", "a/c", "acc ", "acc:", "acc.", "acc#", "acc-", "acc_", "acc\t", "accno", "accnr",
                   "cuenta", "rekening", "rib:", "rib :", "rib\t:")
_BANK_NEEDLES = ("bank details", "bank info", "banking details", "banking info")
#: ... of the bank-code words ("aba", "rtn" only as words: "database", "partner" open no window).
_ROUTING_NEEDLES = ("routing", "transit") + tuple(w + c for w in ("aba", "rtn") for c in " :#-/.(\t\n")
_SORT_NEEDLES = ("sort c", "sortc", "sort-c", "sort_c", "sort\tc", "sort  c", "s/c")
_BLZ_NEEDLES = ("blz", "bankleitzahl")
_CA_TRANSIT_NEEDLES = ("transit", "branch")
_CA_INST_NEEDLES = ("institution", "inst")
#: Words a cheque-order number (``12345-004-1234567``) stands near.
_CA_MICR_NEEDLES = ("account", "acct", "compte", "transit", "institution", "chequ", "cheque", "deposit", "dépôt",
                    "bank", "banque", "payroll", "virement")


_NOT_DIGITS = re.compile(r"\D")
#: For masks: digits and a check letter -> "*", a tab -> " " (other separators kept).
_MASK = str.maketrans("0123456789Xx\t", "************ ")


def _digits(value: str) -> str:
    return _NOT_DIGITS.sub("", value)


def mask_number(value: str) -> str:
    """Every digit but the last four (of eight or more; two of fewer) as ``*``; separators kept."""
    n = len(_digits(value))
    keep = 4 if n >= 8 else 2 if n >= 6 else 0
    out = value.translate(_MASK)
    if keep:
        i, seen = len(value), 0
        while seen < keep:
            i -= 1
            seen += value[i].isdigit()
        out = out[:i] + "".join(c if c.isdigit() else out[i + k] for k, c in enumerate(value[i:]))
    return out


def _plausible(value: str, lo: int, hi: int) -> bool:
    """``lo``-``hi`` digits, not a date or year range, not one digit repeated, not a bare year."""
    d = _digits(value)
    if not lo <= len(d) <= hi or len(set(d)) == 1:
        return False
    if len(d) == 4 and d[:2] in ("19", "20"):
        return False
    return not _R.not_number.fullmatch(value)


#: Per word pattern: how far its words reach before and after the needle they hold.
_REACH = {"strong": (20, 16), "medium": (0, 12), "weak": (0, 4), "routing": (0, 24), "sort": (0, 12), "blz": (0, 4),
          "bank": (0, 16), "ca_transit": (0, 20), "ca_inst": (0, 20)}
#: How far around its words a cheque-order number may stand.
_MICR_REACH = 48


def _values(text: str, ctx: str, needles: tuple[str, ...], value: re.Pattern[str],
            before: bool = False) -> list[tuple[int, int, str]]:
    """(start, end, context word) of each ``value`` right after a word of the pattern ``ctx``
    (a :class:`_Rx` name) found around ``needles`` (only :data:`_GAP` between), or, with
    ``before``, just before the word in parentheses."""
    out: list[tuple[int, int, str]] = []
    windows = _lower_windows(text, needles, *_REACH[ctx])
    if not windows:
        return out
    lc = _match_copy(text)
    words = _scan(getattr(_R, ctx), text, windows) if lc is None else _scan(getattr(_R, ctx + "_lc"), lc, windows)
    gap = _R.gap
    for c in words:
        g = gap.match(text, c.end())
        m = value.match(text, g.end()) if g else None
        if m:
            out.append((m.start(), m.end(), text[c.start():c.end()]))
        elif before and text[max(0, c.start() - 4):c.start()].rstrip(" \t").endswith("("):
            # "12345678 (account number)": the run of digits, blanks and dashes before the "("
            j = text.rindex("(", 0, c.start())
            i = j
            while i > 0 and j - i < 64 and text[i - 1] in _RUN:
                i -= 1
            while i < j and not text[i].isdigit():
                i += 1
            k = j
            while k > i and not text[k - 1].isdigit():
                k -= 1
            m = value.fullmatch(text, i, k) if i < k else None
            if m:
                out.append((m.start(), m.end(), text[c.start():c.end()]))
    return out


def _near(accounts: list[tuple[int, int, str, int]], starts: list[int], s: int, e: int, reach: int,
          lo: int, hi: int) -> tuple[int, int, str, int] | None:
    """The account value of ``lo``-``hi`` digits nearest to ``text[s:e]`` (not overlapping it),
    at most ``reach`` characters away."""
    best, dist = None, reach + 1
    for k in range(bisect_left(starts, s - reach - 64), bisect_right(starts, e + reach)):
        a, b, word, n = accounts[k]
        if (a < e and s < b) or not lo <= n <= hi:
            continue
        d = s - b if b <= s else a - e
        if d < dist:
            best, dist = accounts[k], d
    return best


#: A date written YYYYMMDD (after a medium word only: ``account: 20240115`` is more likely a date).
_COMPACT_DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")


def _aws(text: str, s: int, e: int) -> bool:
    """Whether ``text[s:e]`` is an AWS account id: 12 digits with "AWS" or "Amazon" within 48
    characters before it (``AWS account number: 123456789012``)."""
    if len(_digits(text[s:e])) != 12:
        return False
    before = text[max(0, s - 48):s].lower()
    return "aws" in before or "amazon" in before


@lru_cache(maxsize=4096)
def _rtn_valid(digits: str) -> bool:
    """python-stdnum's ABA verdict, memoised (a pure function of the value)."""
    from stdnum.us import rtn  # lazy: only for a candidate

    try:
        return bool(rtn.is_valid(digits))
    except Exception:  # noqa: BLE001 - a validator that trips on odd input: not a routing number
        return False


def _ca_micr(text: str, add) -> set[tuple[int, int]]:
    """Canada's cheque (MICR) order ``transit-institution-account`` (``12345-004-1234567``)
    within :data:`_MICR_REACH` characters of an account, transit, institution, cheque,
    deposit or bank word: each value a finding. Returns the whole numbers' spans (no plain
    account number then)."""
    found: set[tuple[int, int]] = set()
    digits = _digit_windows(text, 15, 2, 2)  # a run of 15+ digits (the tagger's digit clusters)
    if not digits:
        return found
    windows = _lower_windows(text, _CA_MICR_NEEDLES, _MICR_REACH, _MICR_REACH)
    if not windows:
        return found
    ends = [w[1] for w in windows]
    for m in _scan(_R.ca_micr, text, digits):
        k = bisect_left(ends, m.start() + 1)  # the first word window ending after the start
        if k == len(windows) or windows[k][0] > m.start() or not _plausible(m.group(4), 7, 12):
            continue
        word = "cheque order transit-institution-account"
        add(m.start(1), m.end(1), "transit", "CA transit+institution (Payments Canada)", word)
        add(m.start(3), m.end(3), "institution", "CA transit+institution (Payments Canada)", word)
        add(m.start(4), m.end(4), "account", "account next to CA transit+institution", word)
        found.add(m.span())
    return found


def _ca_pairs(text: str, accounts: list[tuple[int, int, str, int]], starts: list[int], transit: bool,
              routing: bool, add) -> None:
    """Canada: a transit number (5 digits after "transit" / "branch number") with an account
    number (7-12 digits) within :data:`_PAIR_REACH` characters, and the institution number
    (3 digits after "institution") near that transit; or the electronic routing form
    (``0`` + institution + transit: ``0004 12345``, or ``000412345`` after a routing or
    transit word) beside an account. A transit or institution number alone names a branch
    or a bank: public."""
    near = [a for a in accounts if 7 <= a[3] <= 12]
    if not near:
        return
    if transit:
        insts: list[tuple[int, int, str, int]] = []
        if _any_needle(text, _CA_INST_NEEDLES):
            insts = sorted((a, b, w, 3) for a, b, w in _values(text, "ca_inst", _CA_INST_NEEDLES, _R.ca_inst_value))
        inst_starts = [i[0] for i in insts]
        for s, e, word in _values(text, "ca_transit", _CA_TRANSIT_NEEDLES, _R.ca_transit_value):
            acct = _near(accounts, starts, s, e, _PAIR_REACH, 7, 12)
            if acct is None:
                continue
            inst = _near(insts, inst_starts, s, e, _PAIR_REACH, 3, 3) if insts else None
            if inst is not None:
                add(s, e, "transit", "CA transit+institution (Payments Canada)", word)
                add(inst[0], inst[1], "institution", "CA transit+institution (Payments Canada)", inst[2])
                add(acct[0], acct[1], "account", "account next to CA transit+institution", acct[2])
            else:
                add(s, e, "transit", "CA transit (Payments Canada) next to account", word)
                add(acct[0], acct[1], "account", "account next to CA transit", acct[2])
    # the electronic form with its blank or dash, near an account value (one pass over the
    # merged windows around them)
    windows: list[tuple[int, int]] = []
    for a, b, _, _ in near:
        lo, hi = max(0, a - _PAIR_REACH - 10), min(len(text), b + _PAIR_REACH + 10)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
        else:
            windows.append((lo, hi))
    elec = [(m.start(), m.end(), "") for m in _scan(_R.ca_elec_value, text, windows) if m.group(1)]
    if transit:  # "transit number 000412345": compact after a transit word
        elec += _values(text, "ca_transit", _CA_TRANSIT_NEEDLES, _R.ca_elec_value)
    if routing:  # after "routing" compact only as 00 + a bank's institution number: a US routing
        # number starts 01-12 (one failing its ABA check is a typo, not a Canadian one)
        elec += [v for v in _values(text, "routing", _ROUTING_NEEDLES, _R.ca_elec_value)
                 if text[v[0]:v[0] + 2] == "00" and not _rtn_valid(_digits(text[v[0]:v[1]]))]
    for s, e, word in elec:
        acct = _near(accounts, starts, s, e, _PAIR_REACH, 7, 12)
        if acct is None:
            continue
        add(s, e, "routing", "CA electronic routing 0+institution+transit (Payments Canada)", word or "electronic")
        add(acct[0], acct[1], "account", "account next to CA electronic routing", acct[2])


def detect_bank_account(text: str) -> list[tuple[int, int, str, str, str]]:
    """Account numbers after an account word, and bank codes paired with one; see the module docstring."""
    transit = _any_needle(text, _CA_TRANSIT_NEEDLES)
    if not (_any_needle(text, _ACCOUNT_NEEDLES) or _any_needle(text, _WEAK_NEEDLES)
            or _any_needle(text, _SORT_NEEDLES) or _any_needle(text, _MEDIUM_NEEDLES)
            or _any_needle(text, _BANK_NEEDLES) or transit or _any_needle(text, _CA_MICR_NEEDLES)):
        return []  # every shape needs an account word, but an account beside a sort code
    hits: list[tuple[int, int, str, str, str]] = []
    seen: set[tuple[int, int]] = set()

    def add(s: int, e: int, label: str, verdict: str, word: str) -> None:
        if (s, e) not in seen:
            seen.add((s, e))
            hits.append((s, e, f"{label} {mask_number(text[s:e])}", verdict, word))

    # Canada's cheque order first ("account 12345-004-1234567"): its three values, not one number
    micr = _ca_micr(text, add)
    strong = [v for v in _values(text, "strong", _ACCOUNT_NEEDLES, _R.value, before=True) if not _aws(text, *v[:2])]
    for s, e, word in strong:
        if _plausible(text[s:e], 6, 34) and (s, e) not in micr:
            add(s, e, "account", "context: account number", word)
    if _any_needle(text, _MEDIUM_NEEDLES):
        for s, e, word in _values(text, "medium", _MEDIUM_NEEDLES, _R.value):
            if _plausible(text[s:e], 8, 34) and not _aws(text, s, e) and not _COMPACT_DATE.fullmatch(text, s, e) \
                    and (s, e) not in micr:
                add(s, e, "account", "context: account number", word)
    if _any_needle(text, _BANK_NEEDLES):  # "Bank details: Barclays, 20-32-06, 73849261"
        for c in _scan(_R.bank, text, _lower_windows(text, _BANK_NEEDLES, *_REACH["bank"])):
            lo, hi = c.end(), min(len(text), c.end() + 80)
            code = _R.sort_dashed.search(text, lo, hi)
            if code is None:
                continue
            bare = [m for m in _R.bare_uk.finditer(text, lo, hi)
                    if (m.end() <= code.start() or m.start() >= code.end()) and _plausible(m.group(), 7, 10)]
            if bare:
                m = min(bare, key=lambda m: abs(m.start() - code.start()))
                word = text[c.start():c.end()]
                add(code.start(), code.end(), "sort code", "sort code next to account", word)
                add(m.start(), m.end(), "account", "account next to sort code", word)

    routing = _any_needle(text, _ROUTING_NEEDLES)
    sort = _any_needle(text, _SORT_NEEDLES)
    blz = _any_needle(text, _BLZ_NEEDLES)
    if not (routing or sort or blz or transit or _digit_windows(text, 9, 2, 2)):
        return hits  # no bank code word, and no run of 9+ digits for Canada's electronic form
    # (start, end, word, digits) of every account value, after a strong or a weak word
    accounts = sorted({(*v, len(_digits(text[v[0]:v[1]])))
                       for v in strong + _values(text, "weak", _WEAK_NEEDLES, _R.value)
                       if _plausible(text[v[0]:v[1]], 3, 17) and v[:2] not in micr})
    starts = [a[0] for a in accounts]
    if not (routing or sort or blz or accounts):
        return hits

    if routing and accounts:
        for s, e, word in _values(text, "routing", _ROUTING_NEEDLES, _R.routing_value):
            acct = _near(accounts, starts, s, e, _PAIR_REACH, 4, 17)
            if acct is None or not _rtn_valid(_digits(text[s:e])):
                continue
            add(s, e, "routing", "aba checksum ok", word)
            add(acct[0], acct[1], "account", "account next to aba routing number", acct[2])
    if accounts:  # Canada (after the ABA check: a US routing number may start with 0 too)
        _ca_pairs(text, accounts, starts, transit, routing, add)
    if sort:
        for s, e, word in _values(text, "sort", _SORT_NEEDLES, _R.sort_value):
            acct = _near(accounts, starts, s, e, _PAIR_REACH, 7, 10)
            if acct is None:
                lo, hi = max(0, s - _SORT_REACH - 10), min(len(text), e + _SORT_REACH)
                bare = [m for m in _R.bare_uk.finditer(text, lo, hi) if m.end() <= s or m.start() >= e]
                bare = [m for m in bare if _plausible(m.group(), 7, 10)]
                if bare:
                    m = min(bare, key=lambda m: s - m.end() if m.end() <= s else m.start() - e)
                    acct = (m.start(), m.end(), "sort code", 8)
            if acct is None:
                continue
            add(s, e, "sort code", "sort code next to account", word)
            add(acct[0], acct[1], "account", "account next to sort code", acct[2])
    if blz and accounts:
        for s, e, word in _values(text, "blz", _BLZ_NEEDLES, _R.blz_value):
            acct = _near(accounts, starts, s, e, _PAIR_REACH, 3, 10)
            if acct is None:
                continue
            add(s, e, "BLZ", "blz next to account", word)
            add(acct[0], acct[1], "account", "account next to blz", acct[2])
    return hits
