"""Sensitivity tagging: find personal data, secrets and internal markers in a prompt.

:func:`tag_sensitivity` runs every built-in detector enabled in the policy
(``sensitivity.detectors``: name -> tier it sets), the user's custom rules and the
internal-domain rule over the *whole* prompt (no truncation) and returns the most
severe tier found, the findings (masked) and any detector errors.

Built-in detectors and the rule each follows:

``ssn``
    US Social Security numbers ``AAA-GG-SSSS`` (also with dots, 1-3 spaces or tabs, a
    dash with blanks around it, a line break after a dash, or every digit spaced out when
    a context word is near). Valid
    ranges per the SSA's SSN randomization rules (2011) and the Code of Federal
    Regulations: area not 000, 666 or 900-999; group not 00; serial not 0000. Bare
    nine digits count only next to a context word ("SSN", "social security",
    "Sozialversicherungsnummer", "numéro de sécurité sociale", "número de seguro
    social"). Numbers the SSA voided after they were printed on sample cards or in
    ads (078-05-1120, 219-09-9999, 457-55-5462) and the textbook dummy 123-45-6789
    are public only when the text calls them a dummy/sample/example/placeholder
    nearby; otherwise they count (fail closed).
``credit_card``
    13-19 digit (Maestro 12-19) payment card numbers (optional separators between groups: 1-3
    spaces or tabs, a dash or dot, a line break) that pass the Luhn check (ISO/IEC 7812-1 Annex B)
    and carry a known issuer prefix with a length that issuer uses: Visa 4;
    Mastercard 51-55, 2221-2720; Amex 34, 37; Discover 6011, 644-649, 65; Diners
    300-305, 309, 36, 38-39; JCB 3528-3589; UnionPay 62; Maestro 50, 56-58, 6304,
    6759, 6761-6763; Mir 2200-2204. Well-known processor test numbers (4111111111111111,
    4242424242424242, 5555555555554444, 378282246310005, ...; ``_TEST_CARDS``) are allowlisted by
    exact value: no finding, and their digit groups are used up so they shelter no neighbour. An ungrouped
    run inside a hexadecimal token (``a4539...f``, a hash) is not a card.

    Number boundaries (SSN, card, bare nine digits, dates): a number may touch letters and
    punctuation (``SSN-536-22-1947``, ``Card No.4539...``, ``Smith—536-22-1947—Accounting``,
    ``42,536-22-1947`` in CSV) but not another digit, directly or through one ``-``, ``.``
    or ``/`` (``1.536-22-1947``, ``536-22-1947-7``, ``428-0383047-0228170``): that is a piece
    of a longer number (order id, ISBN, version, decimal). A space-grouped SSN that continues
    into more groups with the same separator (``+49 151 60 5470``) is not one either.
``iban``
    International Bank Account Numbers (ISO 13616-1): country code, check digits,
    BBAN of that country's registered length and structure, ISO 7064 mod 97-10
    checksum (validated with ``python-stdnum``, imported only for a candidate).
``email``
    Email addresses (RFC 5322 addr-spec, practical subset, Unicode allowed after NFKC
    folding). Documentation and special-use names are public: ``example.com/.net/.org``
    and subdomains (RFC 2606 §3), the TLDs ``.example``, ``.test``, ``.invalid``,
    ``.localhost`` (RFC 2606 §2, RFC 6761), ``git@host:`` SCP-style remotes and
    ``noreply`` addresses. The ``user:pass@host`` of a URL is ``api_key``'s case; a
    ``scheme://name@host`` without password counts as an address unless the name is a
    service account (``ssh://git@github.com``, ``ftp://anonymous@``, ``root``, ...). Masked
    as ``j***@g***.com``; a one-character part shows only ``*`` (``*@*.co``).
``phone``
    Phone numbers in international form (``+CC`` or ``00CC``), or in national form
    after a context word (phone, tel, mobile, cell, call, landline, fax, Telefon,
    Handy, erreichen, téléphone, portable, fixe, teléfono, móvil, ...), validated
    against ITU-T E.164 numbering plans with ``phonenumbers`` (Google libphonenumber
    metadata; imported only when a candidate needs it). Dates, times, versions and
    long ids are not candidates; a formula (``=312-555-0110``) is not a number. A
    number introduced as a public/business line (public information line, hotline,
    customer service, switchboard, ...) without a personal word (my, home, mobile,
    ...) nearby is public. A run of digit groups is split only at strong boundaries
    (before "(", around a lone "-"/"/", at double spaces), so no number is cut out of a
    longer one. At most 64 validations per prompt; past that, plausible candidates
    count without validation (fail closed).
``api_key``
    Provider secrets by their documented prefixes: AWS access key ids
    ``AKIA``/``ASIA``/``ABIA``/``ACCA`` + 16; GitHub ``ghp_ gho_ ghu_ ghs_ ghr_``
    and ``github_pat_``; Slack ``xox[abprs]-``/``xapp-``; Stripe ``sk_live_``,
    ``rk_live_``, ``whsec_``; OpenAI ``sk-``/``sk-proj-``; Anthropic ``sk-ant-``;
    Google ``AIza`` + 35; npm ``npm_``; PyPI ``pypi-``; Hugging Face ``hf_``; JSON
    Web Tokens (RFC 7519). Also credentials by context: ``password=``,
    ``api_key:``, ``secret=``, ``DB_PASSWORD=``, ``"token": "..."`` assignments,
    ``--password VALUE``, ``Authorization: Bearer|Basic|token VALUE`` (RFC 6750/7617),
    ``scheme://user:password@host`` URLs (RFC 3986 userinfo) and prose ("the
    password is ..."). Placeholders are not secrets: ``YOUR_API_KEY``, ``${VAR}``,
    ``<token>``, ``{{ secrets.X }}``, ``os.environ[...]``/``getenv()``/variable
    references, anything with a literal ``...``/``…``, runs of ``x``/``*``, AWS
    keys ending in ``EXAMPLE``.
``private_key``
    Private key armor headers: any ``BEGIN <up to 4 words> PRIVATE KEY`` (RFC 7468 PEM:
    RSA, EC, X25519, ENCRYPTED, ...; OpenSSH; PGP ``PRIVATE/SECRET KEY BLOCK``; SSH2
    ``---- BEGIN ... ----``) with armor dashes count by the header alone, whatever follows
    (a truncated, wrapped, ``...`` or missing body: fail closed, so a question quoting the
    header is confidential too); without dashes only when a base64 body follows. The finding
    spans header to ``END`` line (or the body lines, also inside JSON strings with ``\\n``
    escapes). Also PuTTY ``.ppk`` files and a private key's base64 without any header, by its
    DER structure (PKCS#1, PKCS#8 plain and encrypted, SEC1 EC, ``openssh-key-v1``). Public
    keys (``ssh-ed25519 AAAA...``, ``BEGIN PUBLIC KEY``, certificates) are not secrets.
``date_of_birth``
    A full date (day, month, year 1900 or later; numeric, ISO 8601 or with an
    English/German/French/Spanish month name) next to a context word (DOB, date of
    birth, born, birthday, Geburtsdatum, geboren, né/née le, date de naissance,
    fecha de nacimiento, nacido/nacida). Earlier years are historical figures.
``classification_marking``
    Document handling markings: "CONFIDENTIAL - INTERNAL", "INTERNAL ONLY",
    "(for) internal use only", "company confidential", "strictly confidential",
    "NOT FOR DISTRIBUTION", "do not forward/distribute", "HR internal:", "(internal)",
    upper-case CONFIDENTIAL/VERTRAULICH/CONFIDENTIEL/CONFIDENCIAL, "Nur für den
    internen Gebrauch", "streng vertraulich", "diffusion restreinte", "usage
    interne", "uso interno", FIRST Traffic Light Protocol ``TLP:AMBER``/``TLP:RED``,
    US classification banners (TOP SECRET, SECRET//..., NOFORN).
``unreleased_financials``
    Financial figures (ARR, revenue, bookings, churn, acquisition price, ... with an
    amount) stated as not yet public (unannounced, not disclosed, draft, forecast,
    embargoed, ...). Default tier internal.

Families in :mod:`hrouter.signals.detectors` (imported on first use): ``national_id`` (UK NHS,
FR NIR, ES NIE/DNI, DE Steuer-ID, IT codice fiscale, NL BSN, CA SIN, IN Aadhaar, PL PESEL, SE
personnummer via python-stdnum; see ``detectors.national_id`` for which need a context word),
``medical_id``, ``passport``, ``salary``, ``vehicle_plate`` (weak shapes next to a context word;
``detectors.contextual``) and ``phi`` (an identifier and clinical vocabulary in one sentence;
``detectors.phi``), each with its own policy key.
After the detectors, a bounded decode pass re-scans base64 and percent-encoded runs
(``detectors.decode``; capped, overflow fails closed with ``decode: cap exceeded``).

Every hit carries the validator's ``verdict`` (``luhn ok, visa``, ``ssn area valid``,
``mod-97 ok``, ``nhs mod-11 ok``, ...) and, for a weak shape, the ``context`` word that
supported it.

Not a detector of its own but always on: hostnames under the policy's
``internal_domains`` (e.g. ``build-01.corp``) -> finding ``internal_hostname``, tier
internal. The bare suffix (".internal TLD") is not a hostname.

Custom rules (``sensitivity.custom``): ``keywords`` match case-insensitively as whole
words, where only letters and digits are word characters and anything else (``_``,
``-``, ``.``, spaces, quotes) separates words (so ``blueheron-sync``, ``BLUEHERON_ETL``
and ``com.acme.blueheron`` match
BLUEHERON; ``cumulonimbus`` does not match ``Nimbus``). A keyword also matches its
plural with a trailing ``s`` (``BLUEHERONS``): a codename in the plural is still the
codename. Multi-word keywords match with any run of spaces/``-``/``_`` between the
words (``Project Nimbus``, ``project-nimbus``). ``pattern`` rules are Python regexes
applied as written (use ``(?i)`` for case-insensitivity).

Text is normalised before scanning (NFKC, Unicode dashes -> ``-``, decimal digits of
any script -> ASCII, other blanks -> space), so fullwidth digits (``０５９－６４－０１２９``),
a fullwidth ``＠`` or a no-break space between groups are found. Invisible characters are
dropped: every Unicode format character (category Cf: zero-width space/joiners, LRM/RLM,
bidi embeddings, overrides and isolates, invisible operators such as U+2063, soft hyphen,
BOM, tag characters, ...), variation selectors, the combining grapheme joiner, Hangul
fillers, ASCII/C1 control characters, and combining marks stacked on an ASCII character
(keycap ``5️⃣``, strike-through). ``start``/``end`` are offsets into the *original* text.

Failing closed: a detector that raises makes the prompt ``confidential``; its
error (``"<detector>: <ExceptionType>: <message>"``) is recorded and the other
detectors still run.

Cost: only :mod:`re` at import; regexes compile on first use; ``unicodedata``,
``phonenumbers`` and ``stdnum`` are imported only when a prompt needs them. Digit
patterns start with a digit so the regex engine skips fast; word-triggered patterns
run only in windows around substring hits of their trigger words (``str.find``), so
a 16k-character prompt tags in a few milliseconds. The invisible characters are a
precomputed range list (a test checks it against ``unicodedata``'s Cf category), folded
with a ``str.translate`` table built at the first prompt that needs it. Custom ``pattern`` rules run as
written over the whole text: a catastrophically backtracking user regex is not
guarded against (the policy loader only checks that it compiles).
"""

from __future__ import annotations

import re
from functools import lru_cache

from hrouter.policy_model import CustomRule, SensitivityConfig
from hrouter.signals import TIERS, Finding, SensitivityResult, tier_rank

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~2 ms to import; annotations here are strings anyway
    from typing import Callable, Iterable, Iterator

    #: A detector's raw hit: start, end (offsets into the normalised text), the masked form and
    #: optionally the validator's verdict and the supporting context word.
    Hit = tuple  # (int, int, str) or (int, int, str, str) or (int, int, str, str, str)
    Detector = Callable[[str], Iterable[Hit]]

__all__ = ["tag_sensitivity"]

_CONFIDENTIAL = TIERS[-1]
_PUBLIC = TIERS[0]

# --------------------------------------------------------------------------------------
# Lazily compiled patterns: the source lives here, compilation happens on first access.

_I = re.IGNORECASE
_M = re.MULTILINE

_MONTHS = (r"(?:jan(?:uary|uar|vier)?|feb(?:ruary|ruar)?|f[ée]v(?:rier)?|mar(?:ch|s)?|m[äa]rz|"
           r"apr(?:il)?|avr(?:il)?|may|mai|jun[ie]?|juin|jul[iy]?|juil(?:let)?|aug(?:ust)?|ao[ûu]t|"
           r"sep(?:t(?:ember|embre)?)?|oct(?:ober|obre)?|okt(?:ober)?|nov(?:ember|embre)?|"
           r"de[cz](?:ember)?|d[ée]c(?:embre)?|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
           r"septiembre|setiembre|octubre|noviembre|diciembre)")

# ---- normalisation character sets (regex character-class bodies; see _normalize)
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d"
#: Characters that render as nothing (or only change how neighbours render) and are deleted:
#: ASCII/C1 control characters (not whitespace), every Unicode format character (general
#: category Cf as of Unicode 15.1: soft hyphen, Arabic number signs, zero-width space/joiners,
#: LRM/RLM, bidi embeddings/overrides/isolates, word joiner, invisible operators, deprecated
#: format characters, BOM, interlinear annotation, shorthand and musical format controls,
#: Egyptian hieroglyph format controls, tags), variation selectors (incl. Mongolian free
#: variation selectors), the combining grapheme joiner and the Hangul fillers. Any other Cf
#: character a newer Unicode adds is dropped by category in _normalize.
_INVISIBLE = ("\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f"
              "\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u115f\u1160"
              "\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff"
              "\uffa0\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
              "\U0001d173-\U0001d17a\U000e0000-\U000e007f\U000e0100-\U000e01ef")
#: Blank characters NFKC keeps (vertical tab, form feed, information separators, Ogham space
#: mark, Braille blank): folded to a space, as NFKC already does for NBSP, U+2000-200A, ...
_SPACES = "\x0b\x0c\x1c-\x1f\u1680\u2800"
#: Combining-mark blocks checked for marks stacked on ASCII (keycap 5\u20e3, strike-through 5\u0336).
_MARKS = "\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"

# ---- digit-run boundaries. A number may touch letters and punctuation ("SSN-536-22-1947",
# "Card No.4539...", "Smith—536-22-1947—Accounting", CSV "42,536-22-1947"); it must not touch
# another digit, directly or through one joining "-", "." or "/" ("1.536-22-1947",
# "536-22-1947-7", "428-0383047-0228170", "4111111111111111.5"), which makes it a piece of a
# longer number (order id, ISBN, version, decimal, date).
_NUM_START = r"(?<!\d\d)(?<!\d[-./]\d)"  # after the first digit of the match
_NUM_END = r"(?!\d|[-./]\d)"
#: Between digit groups: a dash or dot with up to 3 blanks around it (and one line break after
#: it), or 1-3 blanks (spaces, tabs; NBSP and other spaces are folded to a space first).
_GROUP_SEP = r"(?:[ \t]{0,3}[-.][ \t]{0,3}(?:\r?\n[ \t]{0,8})?|[ \t]{1,3})"

_SOURCES: dict[str, tuple[str, int]] = {
    # ---- normalisation: non-ASCII runs; what NFKC leaves that we still fold
    "odd": (r"[^\t\n\r\x20-\x7e]+", 0),  # runs of non-ASCII or ASCII control characters
    "ascii_odd": (r"[^\t\n\r\x20-\x7e]", 0),
    "special": ("[" + _DASHES + _INVISIBLE + _SPACES + _MARKS + r"]|(?=[^\x00-\x7f])\d", 0),
    # the same as two charset-only patterns (an alternation defeats the engine's fast skip)
    "special_chars": ("[" + _DASHES + _INVISIBLE + _SPACES + _MARKS + "]", 0),
    "nonascii_digit": (r"[^\D0-9]", 0),
    # ---- decode pass: is there any base64 or percent-encoded run worth decoding?
    "decode_hint": (r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{20}|%[0-9A-Fa-f]{2}", 0),
    # ---- ssn
    "ssn": (r"(\d)" + _NUM_START + r"(?<!\+\d)(\d{2})(" + _GROUP_SEP + r")(\d{2})(" + _GROUP_SEP + r")(\d{4})"
            + _NUM_END, 0),
    "ssn_ctx": (r"\b(?:SSNs?|social[\s\-]+security(?:[\s\-]+(?:number|no\b\.?|#))?|soc\.?[ \t]*sec\.?|"
                r"sozialversicherungs(?:nummer|-?nr\b\.?)|sv-?nummer|"
                r"num[ée]ro[ \t]+de[ \t]+s[ée]curit[ée][ \t]+sociale|"
                r"n[úu]mero[ \t]+(?:de(?:l)?[ \t]+)?seguro[ \t]+social|seguro[ \t]+social)", _I),
    # nine digits, each optionally separated (only searched right after a context word)
    "ssn_loose": (r"\d" + _NUM_START + r"(?<!\d[ \t]\d)(?:[ \t]{0,3}[-.]?\s{0,3}\d){8}"
                  r"(?![ \t]{0,3}[-.]?[ \t]{0,3}\d)", 0),
    "bare9": (r"\d" + _NUM_START + r"\d{8}" + _NUM_END, 0),
    "ssn_doc": (r"\b(?:dumm(?:y|ies)|examples?|samples?|placeholders?|fake|specimen|formats?|"
                r"advertis\w*|voided|invalid|fictional|made[- ]up|Beispiel\w*|exemple|ejemplo)\b", _I),
    # ---- credit card
    "card": (r"\d" + _NUM_START + r"(?<!\+\d)\d{3,18}(?:(?:" + _GROUP_SEP + r"|[ \t]{0,3}\r?\n[ \t]{0,8})\d{3,8}){0,10}"
             + _NUM_END, 0),
    # ---- iban
    "iban": (r"\d(?<=(?<![A-Za-z0-9])[A-Za-z]{2}\d)\d(?:(?:[ \t]{1,3}|[ \t]?[-.][ \t]?)?[A-Za-z0-9]){11,32}", 0),
    # ---- email
    "email": (r"(?<![\w%+\-])([\w%+\-](?:[\w.%+\-]{0,62}[\w%+\-])?)@"
              r"((?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+([^\W\d_]{2,63}))(?!\w|\.[^\W_])", 0),
    "url_before": (r"[A-Za-z][A-Za-z0-9+.\-]*://([^\s/?#@]*)\Z", 0),
    # ---- phone
    # "Tel.+49 ...", "Phone—+49 ..." count; "=312-555-0110" (a formula), "1.0049 ..." do not
    "phone_intl": (r"(?:\+(?<![\w+=/]\+)(?<!\d[.\-]\+)|00(?<![\w+=/]00)(?<!\d[.\-]00))"
                   r"[1-9][\d \t().\-/]{5,22}\d(?!\w)", 0),
    "phone_cand": (r"(?:\((?<![\w+=/]\()(?<!\d[.\-]\()\d|\d(?<![\w+=/(]\d)(?<!\d[.\-]\d))"
                   r"[\d \t().\-/]{5,22}\d(?!\w)", 0),
    "phone_ctx": (r"\b(?:(?:tele)?phone|tel\b|mobile?|mob\b|cell(?:phone|ular)?\b|call(?:\s+me)?\b|"
                  r"text\s+me|sms|whats\s?app|fax|landline|reach\s+me|ring\s+me|contact\s+(?:me|number)|"
                  r"telefon\w*|handy\w*|mobil\w*|festnetz\w*|rufnummer|anruf\w*|ruf\s+mich|erreich\w*|"
                  r"t[ée]l[ée]phone|t[ée]l\b|portable|fixe|mon\s+num[ée]ro|num[ée]ro\s+de\s+t[ée]l[ée]phone|"
                  r"appel\w*|rappel\w*|joindre|tel[ée]fono|m[óo]vil|celular|llam\w*|mi\s+n[úu]mero|"
                  r"meine\s+nummer)", _I),
    "phone_business": (r"\b(?:public|information\s+line|info\s+line|hotline|helpline|switchboard|reception|"
                       r"front\s+desk|customer\s+(?:service|support|care)|support\s+line|toll[\s\-]free|"
                       r"museum|embassy|consulate|kundenservice|kundendienst|zentrale|servicenummer|"
                       r"accueil|standard|service\s+client|num[ée]ro\s+vert|atenci[óo]n\s+al\s+cliente|"
                       r"centralita)\b", _I),
    "phone_personal": (r"\b(?:my|me|mine|his|her|their|personal|private|home|cell|mobile|"
                       r"mein\w*|mich|mir|privat\w*|handy\w*|mon|ma|mes|perso\w*|portable|"
                       r"mi|mis|m[óo]vil|particular)\b", _I),
    "date_like": (r"^(?:\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}|(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))$", 0),
    # ---- api keys: prefixed tokens (group 1 = prefix shown in the mask)
    "key_prefixed": (
        r"(?<!\w)(?:"
        r"(AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])"
        r"|(gh[pousr]_)[A-Za-z0-9]{30,255}(?!\w)"
        r"|(github_pat_)[A-Za-z0-9_]{22,255}(?!\w)"
        r"|(xox[abprs]-|xapp-)[A-Za-z0-9\-]{10,}(?![\w\-])"
        r"|((?:sk|rk)_live_)[A-Za-z0-9]{10,}(?!\w)"
        r"|(whsec_)[A-Za-z0-9+/=]{20,}(?![\w+/=])"
        r"|(sk-ant-)[A-Za-z0-9_\-]{20,}(?![\w\-])"
        r"|(sk-(?:proj-|svcacct-|admin-|None-))[A-Za-z0-9_\-]{20,}(?![\w\-])"
        r"|(?<!-)(sk-)[A-Za-z0-9_\-]{20,}(?![\w\-])"  # not the "-sk-" of a slug
        r"|(AIza)[0-9A-Za-z_\-]{35}(?![\w\-])"
        r"|(npm_)[A-Za-z0-9]{36}(?!\w)"
        r"|(pypi-)[A-Za-z0-9_\-]{50,}(?![\w\-])"
        r"|(hf_)[A-Za-z0-9]{30,}(?!\w)"
        r"|(eyJ)[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}(?![\w\-])"
        r")", 0),
    # key = value (group 1 = key name; the value follows the match)
    "key_assign": (
        r"(?:(?<![A-Za-z])(?:pass|pwd|pw)|pass(?:word|wd|phrase)|secret(?:[_\-]?access)?[_\-]?key|secret|"
        r"token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|client[_\-]?secret|"
        r"credentials?|passwort|kennwort|mot[_\-]de[_\-]passe|contrase[ñn]a)"
        r"[\"']?[ \t]*(?::=|=>|=|:)[ \t]*", _I),
    "bare_value": (r"[^\s\"'`]+", 0),
    "key_flag": (r"(?<![\w\-])--(?:password|passwd|pass|token|api-key|apikey|secret|client-secret)(?:=|[ \t]+)", _I),
    "key_auth": (r"\bauthorization[\"']?[ \t]*[:=][ \t]*f?[\"']?[ \t]*(?:bearer|basic|token|digest)[ \t]+", _I),
    "key_url": (r"\b[a-z][a-z0-9+.\-]{1,20}://([^\s:/@'\"<>]{1,64}):([^\s@/'\"<>]{1,128})@[\w\-\[]", _I),
    "key_prose": (r"\b(?:password|passwort|kennwort|passphrase|passcode|mot\s+de\s+passe|contrase[ñn]a)"
                  r"(?:\s+(?:for\s+\S+\s+)?(?:is|was|ist|lautet|war|est|es|era)\b)\s*:?\s*", _I),
    "placeholder": (r"\.\.\.|…|^<.*>$|^\{.*\}$|\{\{|\$\{|^\$\(?[A-Za-z_]|%\(|^%s$|^%[A-Za-z_]+%$|"
                    r"os\.environ|getenv|process\.env|\benv\(|ENV\[|secrets\.|vault|keyring|"
                    r"x{4,}|\*{3,}|#{4,}|•{3,}|(?-i:^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$)", _I),
    "placeholder_word": (r"your|example|placeholder|changeme|change_me|redacted|dummy|insert|replace|"
                         r"goes_?here|fake|sample", _I),
    "reference": (r"^[A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)+$|^[A-Za-z_][\w.]*[(\[]", 0),
    # ---- private key
    # any "BEGIN <WORDS> PRIVATE KEY" armor header (RFC 7468, OpenSSH, PGP "PRIVATE/SECRET KEY
    # BLOCK", SSH2 "---- BEGIN ... ----"); group 1 = label, 2 = dashes after
    "pem": (r"\bBEGIN[ \t]+((?:[A-Z0-9]+[ \t]+){0,4}(?:PRIVATE|SECRET)[ \t]+KEY(?:[ \t]+BLOCK)?)\b([ \t]*-+)?", _I),
    "ppk": (r"PuTTY-User-Key-File-\d+:", 0),
    # what follows a header: armor fields (Proc-Type:, Comment:, Version:) and base64 lines,
    # separated by line breaks (also JSON "\\n" escapes) or blanks before a long chunk
    "pem_tail": (r"(?:(?:(?:[ \t]*(?:\r?\n|\\r\\n|\\n))+[ \t]*|[ \t]+(?=[A-Za-z0-9+/]{16}))"
                 r"(?:[A-Za-z][A-Za-z\-]*:[ \t][^\n\\]*|[A-Za-z0-9+/=]+))*", 0),
    # a DER private key's base64 without its header: PKCS#1 RSA/DSA, PKCS#8 (plain, short
    # form, PBES1/2-encrypted), SEC1 EC, and OpenSSH's "openssh-key-v1"
    "key_body": (r"(?:(?<![A-Za-z0-9+/])|(?<=\\n))"
                 r"(?:MII[A-Za-z0-9+/]{3}IBA(?:DA|AK)|MII[A-Za-z0-9+/]{5}BgkqhkiG9w0BBQ|MI[GH][A-Za-z0-9+/]AgE(?:AM|BB)"
                 r"|M[A-Za-z0-9+/]{2}CAQ(?:Aw|EE)|b3BlbnNzaC1rZXktdjE)[A-Za-z0-9+/]{16,}", 0),
    "ppk_private": (r"Private-Lines:[ \t]*\d+\s+[A-Za-z0-9+/]{40,}", 0),
    # ---- date of birth
    "dob_ctx": (r"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthday|born(?:\s+on)?|"
                r"geburtsdatum|geburtstag|geboren(?:\s+am)?|geb\.|n[ée]e?\s+le|n[ée]\(e\)\s+le|"
                r"date\s+de\s+naissance|fecha\s+de\s+nacimiento|f\.\s*nac\.|nacid[oa](?:\s+el)?)(?![^\W\d_])", _I),
    # a letter may touch a numeric date ("DOB12/03/1985"), not a month name
    "date": (r"(?<!\d)(?<!\d[./\-])(?:(?<![^\W\d_])|(?=\d))(?:"
             r"(\d{1,2})[./\-](\d{1,2})[./\-](\d{4}|\d{2})"
             r"|(\d{4})[./\-](\d{1,2})[./\-](\d{1,2})"
             r"|(\d{1,2})(?:st|nd|rd|th|er|\.|º)?\s+(?:de\s+)?(" + _MONTHS + r")\.?,?\s+(?:de\s+)?(\d{4})"
             r"|(" + _MONTHS + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"
             r")(?!\d|[./\-]\d)", _I),
    # ---- classification markings
    "marking": (
        r"(?i:\bconfidential[ \t]*[-–—:/|][ \t]*internal\b"
        r"|\binternal[ \t]*[-–—:/|][ \t]*confidential\b"
        r"|\b(?:for[ \t]+)?internal[ \t]+use[ \t]+only\b"
        r"|\binternal[\s_\-]+only\b"
        r"|\bcompany[\s\-]+confidential\b|\bstrictly[ \t]+confidential\b"
        r"|\bconfidential[ \t]+(?:and|&)[ \t]+proprietary\b|\bproprietary[ \t]+(?:and|&)[ \t]+confidential\b"
        r"|\bnot[ \t]+for[ \t]+(?:external[ \t]+|public[ \t]+)?(?:distribution|release|circulation)\b"
        r"|\bdo[ \t]+not[ \t]+(?:forward|distribute|share[ \t]+externally)\b"
        r"|\bnur[ \t]+f(?:ü|ue)r[ \t]+den[ \t]+(?:internen[ \t]+)?(?:dienst)?gebrauch\b"
        r"|\bstreng[ \t]+vertraulich\b|\bnur[ \t]+intern\b"
        r"|\bdiffusion[ \t]+restreinte\b|\busage[ \t]+interne\b|\bstrictement[ \t]+confidentiel\b"
        r"|\buso[ \t]+interno\b|\bestrictamente[ \t]+confidencial\b"
        r"|\bTLP[ \t]*:[ \t]*(?:AMBER|RED)\b"
        r"|[(\[][ \t]*(?:internal|intern|interne|interno)[ \t]*[)\]]"
        r"|^[ \t>*#\[]*(?:[\w&/]+[ \t]+){0,2}(?:internal|intern|confidential|vertraulich|confidentiel|"
        r"confidencial)(?:[ \t]*[-–—:/|][ \t]*(?:internal|intern|interne|interno)\b)?(?:\]|(?=[ \t]*(?::|[-–—][ \t]|$))))"
        r"|\b(?:CONFIDENTIAL|VERTRAULICH|CONFIDENTIEL|CONFIDENCIAL|TOP[ \t]+SECRET|NOFORN)\b"
        r"|\bSECRET//", _M),
    # ---- unreleased financials
    "fin_marker": (r"\b(?:not[ \t]+(?:yet[ \t]+)?(?:been[ \t]+)?(?:disclosed|public|announced|released|published)"
                   r"(?:[ \t]+yet)?|undisclosed|unannounced|unreleased|unpublished|pre-?announcement|"
                   r"embargo(?:ed)?|draft|forecast|projected|preliminary|"
                   r"nicht[ \t]+ver(?:ö|oe)ffentlicht|unver(?:ö|oe)ffentlicht|vorl(?:ä|ae)ufig|"
                   r"non[ \t]+(?:publi[ée]e?s?|annonc[ée]e?s?)|pr[ée]visionnel\w*|"
                   r"no[ \t]+publicad[oa]s?|sin[ \t]+anunciar|provisional)\b", _I),
    "fin_term": (r"\b(?:ARR|MRR|revenues?|bookings|billings|EBITDA|churn|NRR|GRR|"
                 r"net[ \t]+revenue[ \t]+retention|acquisition[ \t]+price|valuation|run[\s\-]rate|"
                 r"earnings|guidance|Umsatz|chiffre[ \t]+d'affaires|ingresos|facturaci[óo]n)\b", _I),
    "fin_amount": (r"(?:[$€£¥][ \t]?\d[\d,.]*(?:[ \t]?(?:[kKmMbB]n?|million|billion|Mio|Mrd))?"
                   r"|\b\d[\d,.]*[ \t]?(?:[kKmMbB]n?\b|million|billion|Mio\b|Mrd\b|%|x\b|[$€£]))", 0),
}


class _Patterns:
    """Attribute access compiles the named pattern from :data:`_SOURCES` once."""

    def __getattr__(self, name: str) -> re.Pattern[str]:
        src, flags = _SOURCES[name]
        rx = re.compile(src, flags)
        setattr(self, name, rx)
        return rx


_P = _Patterns()

# --------------------------------------------------------------------------------------
# Normalisation with an offset map back to the original text.

def _normalize(text: str) -> tuple[str, list[int] | None]:
    """NFKC-fold ``text``, map the dash family to ``-`` and odd spaces to `` ``, decimal
    digits of any script to ASCII, and drop invisible characters (:data:`_INVISIBLE`, any
    other format character, and combining marks stacked on an ASCII character).

    Returns the normalised text and, when it differs from ``text``, a list giving the
    original index of every normalised character (None = identity)."""
    norm, runs = _normalize_runs(text)
    if runs is None:
        return norm, None
    index: list[int] = []
    ends = [r[0] for r in runs[1:]] + [len(norm)]
    for (ns, os_, ident), ne in zip(runs, ends):
        index.extend(range(os_, os_ + ne - ns) if ident else [os_] * (ne - ns))
    return norm, index


def _has_special(text: str) -> bool:
    """Whether ``text`` holds a character :func:`_normalize` folds or drops (two charset scans)."""
    return _P.special_chars.search(text) is not None or _P.nonascii_digit.search(text) is not None


def _normalize_runs(text: str) -> tuple[str, list[tuple[int, int, bool]] | None]:
    """:func:`_normalize` with a compact offset map: runs ``(norm_start, orig_start, identity)``
    sorted by ``norm_start``; in an identity run the i-th character comes from ``orig_start + i``,
    otherwise every character of the run comes from ``orig_start``. None = identity."""
    if text.isascii():
        if not _P.ascii_odd.search(text):
            return text, None
    else:
        import unicodedata

        # only the odd runs can change; when each is NFKC-normal with nothing to fold (checked on
        # their concatenation, which is stricter), the text is its own normalisation
        odd = "".join(_P.odd.findall(text))
        if odd.isascii():
            pass  # an ASCII control character: fold it below
        elif unicodedata.is_normalized("NFKC", odd) and not _has_special(odd):
            return text, None
    import unicodedata

    table = _fold_table()
    nfkc, category = unicodedata.normalize, unicodedata.category
    pieces: list[str] = []
    runs: list[tuple[int, int, bool]] = []
    size = 0  # length of the normalised text so far
    last = " "  # the last character written: a combining mark on an ASCII one is dropped
    pos = 0
    for m in _P.odd.finditer(text):
        s, e = m.span()
        if s > pos:
            pieces.append(text[pos:s])
            runs.append((size, pos, True))
            size += s - pos
            last = text[s - 1]
        seg = m.group()
        if not seg.isascii() and unicodedata.is_normalized("NFKC", seg) and not _has_special(seg):
            pieces.append(seg)
            runs.append((size, s, True))
            size += e - s
            last = seg[-1]
        else:
            for i, ch in enumerate(seg, s):
                n = (ch if ch.isascii() else nfkc("NFKC", ch)).translate(table)
                if not n:
                    continue  # invisible (zero-width, bidi control, variation selector, ...)
                if len(n) == 1 and not n.isascii():
                    cat = category(n)
                    if cat == "Cf" or (cat in ("Mn", "Me") and last.isascii()):
                        continue  # a format character newer than the table; 5\u20e3, 5\u0336
                    if n.isdecimal():
                        n = str(unicodedata.decimal(n))  # ٣ -> 3
                elif not n.isascii() and n.isdecimal():
                    n = "".join(str(unicodedata.decimal(c)) for c in n)
                pieces.append(n)
                runs.append((size, i, len(n) == 1))
                size += len(n)
                last = n[-1]
        pos = e
    if pos < len(text):
        pieces.append(text[pos:])
        runs.append((size, pos, True))
    return "".join(pieces), runs


@lru_cache(maxsize=1)
def _fold_table() -> dict[int, str | None]:
    """``str.translate`` table: dashes -> ``-``, odd spaces -> `` ``, invisible characters deleted."""
    table: dict[int, str | None] = {}
    for chars, to in ((_DASHES, "-"), (_SPACES, " "), (_INVISIBLE, None)):
        for lo, hi in re.findall(r"(.)(?:-(.))?", chars, re.S):  # "a-z" ranges and single characters
            table.update((c, to) for c in range(ord(lo), ord(hi or lo) + 1))
    return table


# --------------------------------------------------------------------------------------
# Masking helpers. None of them returns the whole value.


def _mask_digits(value: str, keep: int = 4) -> str:
    """Replace every digit but the last ``keep`` (at most half of them) with ``*``, keep
    separators; whitespace runs -> one space."""
    total = sum(c.isdigit() for c in value)
    keep = min(keep, total // 2)
    out, seen = [], 0
    for c in value:
        if c.isdigit():
            seen += 1
            out.append(c if seen > total - keep else "*")
        else:
            out.append(c)
    return re.sub(r"\s+", " ", "".join(out))


def _mask_text(value: str, keep: int = 1) -> str:
    """First ``keep`` characters, an ellipsis and the length: ``B…(9 chars)``."""
    value = " ".join(value.split())
    keep = min(keep, max(len(value) - 1, 0))
    return f"{value[:keep]}…({len(value)} chars)"


def _mask_secret(prefix: str, value: str) -> str:
    """``sk-ant-…(108 chars)``: a short prefix and the length of the whole value."""
    prefix = prefix[: max(0, min(len(prefix), len(value) - 4, 12))]
    return f"{prefix}…({len(value)} chars)"


# --------------------------------------------------------------------------------------
# Small helpers.


def _windows(text: str, hay: str, needles: Iterable[str], before: int, after: int) -> list[tuple[int, int]]:
    """Merged ``[start, end)`` windows of ``text`` around every occurrence of a needle in
    ``hay`` (``text`` or its lower-case copy). Scanning only these windows keeps long
    prompts cheap: a substring search is far faster than a regex scan. If ``hay`` is not
    aligned with ``text`` (lower() changed the length), the whole text is one window."""
    n = len(text)
    if len(hay) != n:
        return [(0, n)]
    spans: list[tuple[int, int]] = []
    for needle in needles:
        i = hay.find(needle)
        while i != -1:
            spans.append((max(0, i - before), min(n, i + len(needle) + after)))
            i = hay.find(needle, i + 1)
    if len(spans) < 2:
        return spans
    spans.sort()
    merged = [spans[0]]
    for s, e in spans[1:]:
        ls, le = merged[-1]
        if s <= le:
            merged[-1] = (ls, max(le, e))
        else:
            merged.append((s, e))
    return merged


_LOWER: tuple = (None, None)


def _lower(text: str) -> str:
    """``text.lower()``, computed once per prompt (several detectors ask for the same text)."""
    global _LOWER
    cached = _LOWER
    if cached[0] is text:
        return cached[1]
    low = text.lower()
    _LOWER = (text, low)
    return low


class _Needles:
    """Every lower-case needle of the word-triggered detectors, searched in one pass.

    One trie-shaped regex over the union of the registered needle sets finds, at each
    position where a needle starts, the longest one; a set's own needle at that position is
    the longest of its members that is a prefix of it. The windows are therefore exactly
    those of a ``str.find`` loop per needle (a shorter needle's window at the same position
    lies inside the longer one's), for the cost of one regex pass instead of hundreds of
    substring scans."""

    union: set[str] = set()
    preloaded = False
    version = 0
    rx: re.Pattern[str] | None = None
    prefix: dict[tuple[str, ...], dict[str, int]] = {}
    cache: tuple = (None, -1, None)


def _register_needles(needles: tuple[str, ...]) -> None:
    if needles in _Needles.prefix:
        return  # registered before (its prefix table exists)
    new = set(needles) - _Needles.union
    if new:
        _Needles.union = _Needles.union | new
        _Needles.version += 1
        _Needles.rx = None


def _trie_rx(words: Iterable[str]) -> re.Pattern[str]:
    """A regex matching any of ``words``, shaped as a trie (longest match at a position)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return re.compile(build(trie))


def _occurrences(low: str) -> list[tuple[int, str]]:
    """(position, longest registered needle starting there) for every position of ``low``."""
    cached = _Needles.cache
    if cached[0] is low and cached[1] == _Needles.version:
        return cached[2]
    version = _Needles.version
    rx = _Needles.rx
    if rx is None:
        rx = _Needles.rx = _trie_rx(_Needles.union)
    out: list[tuple[int, str]] = []
    search = rx.search
    m = search(low)
    while m is not None:
        i = m.start()
        out.append((i, m.group()))
        m = search(low, i + 1)
    _Needles.cache = (low, version, out)
    return out


def _needle_len(needles: tuple[str, ...]) -> dict[str, int]:
    """For every registered needle, the length of the longest of ``needles`` that is a prefix of it."""
    table = _Needles.prefix.get(needles)
    if table is None or len(table) != len(_Needles.union):
        mine = set(needles)
        table = {}
        for w in _Needles.union:
            table[w] = max((k for k in range(1, len(w) + 1) if w[:k] in mine), default=0)
        _Needles.prefix[needles] = table
    return table


def _lower_windows(text: str, needles: tuple[str, ...], before: int, after: int) -> list[tuple[int, int]]:
    """:func:`_windows` of ``text`` around the lower-case ``needles`` found in its lower-case copy."""
    low = _lower(text)
    n = len(text)
    if len(low) != n:
        return [(0, n)]
    _register_needles(needles)
    table = _needle_len(needles)
    merged: list[tuple[int, int]] = []
    for i, w in _occurrences(low):
        k = table[w]
        if k:
            s, e = i - before, i + k + after
            if s < 0:
                s = 0
            if e > n:
                e = n
            if merged and s <= merged[-1][1]:
                if e > merged[-1][1]:
                    merged[-1] = (merged[-1][0], e)
            else:
                merged.append((s, e))
    return merged


def _any_needle(text: str, needles: tuple[str, ...]) -> bool:
    """Whether any of the lower-case ``needles`` occurs in ``text.lower()``."""
    low = _lower(text)
    _register_needles(needles)
    table = _needle_len(needles)
    return any(table[w] for _, w in _occurrences(low))


def _scan(rx: re.Pattern[str], text: str, windows: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """``rx.finditer`` over the windows only. Each hit is re-matched on the whole text at its
    start, so a window's end never cuts a match short or satisfies a lookahead falsely."""
    last = -1
    for ws, we in windows:
        for m in rx.finditer(text, ws, we):
            if m.start() < last:
                continue
            full = rx.match(text, m.start())
            if full is None:
                continue
            last = max(full.end(), full.start() + 1)
            yield full


def _luhn_ok(digits: str) -> bool:
    """ISO/IEC 7812-1 Annex B (Luhn mod 10) check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# --------------------------------------------------------------------------------------
# Detectors. Each takes the normalised text and yields (start, end, masked).

_SSN_DUMMIES = frozenset({"123456789", "078051120", "219099999", "457555462"})


def _ssn_valid(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return not (area in ("000", "666") or area[0] == "9" or group == "00" or serial == "0000")


def detect_ssn(text: str) -> Iterable[Hit]:
    """US SSNs; see the module docstring."""
    hits: list[Hit] = []

    def keep(digits: str, s: int, e: int, context: str = "") -> None:
        if not _ssn_valid(digits):
            return
        if digits in _SSN_DUMMIES and _P.ssn_doc.search(text, max(0, s - 80), e + 80):
            return  # "uses 123-45-6789 as the dummy example"
        hits.append((s, e, "***-**-" + digits[5:], "ssn area valid", context))

    for m in _P.ssn.finditer(text):
        if _joined_run(text, m.start(), m.end(), m.group(3), m.group(5)):
            continue  # "4 536 22 1947 5": a piece of a longer run of groups
        keep(m.group(1) + m.group(2) + m.group(4) + m.group(6), m.start(), m.end())
    for c in _scan(_P.ssn_ctx, text, _lower_windows(text, _SSN_NEEDLES, 24, 40)):
        window_end = c.end() + 48
        for m in _scan(_P.ssn_loose, text, [(c.end(), window_end + 80)]):
            if m.start() > window_end:
                break
            digits = re.sub(r"\D", "", m.group())
            if len(digits) == 9:
                keep(digits, m.start(), m.end(), c.group())
        # a bare 9-digit run just before the context word ("123456789 (SSN)")
        for m in _scan(_P.bare9, text, [(max(0, c.start() - 24), c.start())]):
            keep(m.group(), m.start(), m.end(), c.group())
    return hits


def _joined_run(text: str, s: int, e: int, first_sep: str, last_sep: str) -> bool:
    """Whether the grouped number at ``text[s:e]`` continues into another digit group joined by
    the same separator it uses itself ("+49 151 60 5470", "1 - 536 - 22 - 1947")."""
    return (text.endswith(first_sep, 0, s) and s > len(first_sep) and text[s - len(first_sep) - 1].isdigit()) \
        or (text.startswith(last_sep, e) and e + len(last_sep) < len(text) and text[e + len(last_sep)].isdigit())


_SSN_NEEDLES = ("ssn", "social", "soc", "sozialvers", "sv-nummer", "svnummer", "sécurité sociale",
                "securite sociale", "seguro social")


def _card_issuer(d: str) -> str:
    """The issuer whose prefix and lengths ``d`` fits, else ``""``."""
    n = len(d)
    if d[0] == "4":
        return "visa" if n in (13, 16, 19) else ""
    p2, p3, p4 = int(d[:2]), int(d[:3]), int(d[:4])
    if 51 <= p2 <= 55 or 2221 <= p4 <= 2720:
        return "mastercard" if n == 16 else ""
    if 2200 <= p4 <= 2204:
        return "mir" if 16 <= n <= 19 else ""
    if p2 in (34, 37):
        return "amex" if n == 15 else ""
    if p4 == 6011 or p2 == 65 or 644 <= p3 <= 649:
        return "discover" if 16 <= n <= 19 else ""
    if p2 in (36, 38, 39) or 300 <= p3 <= 305 or p3 == 309:
        return "diners" if 14 <= n <= 19 else ""
    if 3528 <= p4 <= 3589:
        return "jcb" if 16 <= n <= 19 else ""
    if p2 == 62:
        return "unionpay" if 16 <= n <= 19 else ""
    if p2 in (50, 56, 57, 58) or p4 in (6304, 6759, 6761, 6762, 6763):
        return "maestro" if 12 <= n <= 19 else ""
    return ""


#: Well-known test card numbers published by payment processors (Stripe, Adyen, Braintree,
#: PayPal, ...): allowlisted by exact value, so they produce no finding; the groups they
#: occupy are skipped, so an allowlisted number never shelters its neighbour.
_TEST_CARDS = frozenset({
    "4111111111111111", "4242424242424242", "4000056655665556", "4012888888881881", "4222222222222",
    "4000000000000002", "4000000000009995", "4000000000000077", "4000000000003220", "4000002500003155",
    "5555555555554444", "5105105105105100", "5200828282828210", "2223003122003222", "2221000000000009",
    "5454545454545454", "378282246310005", "371449635398431", "378734493671000", "6011111111111117",
    "6011000990139424", "6011000000000004", "3056930009020004", "30569309025904", "38520000023237",
    "36227206271667", "3566002020360505", "3530111333300000", "3566111111111113", "6200000000000005",
    "6221261111117766", "6759649826438453",
})


def _in_hex_token(text: str, s: int, e: int) -> bool:
    """Whether ``text[s:e]`` touches a letter and the letters-and-digits run around it is hexadecimal."""
    if not ((s and text[s - 1].isalpha()) or (e < len(text) and text[e].isalpha())):
        return False
    while s and text[s - 1].isalnum():
        s -= 1
    while e < len(text) and text[e].isalnum():
        e += 1
    return re.fullmatch(r"[0-9A-Fa-f]+", text[s:e]) is not None


def detect_credit_card(text: str) -> Iterable[Hit]:
    """Luhn-valid card numbers with a known issuer prefix; see the module docstring."""
    hits: list[Hit] = []
    for m in _P.card.finditer(text):
        groups = [(g.start(), g.end()) for g in re.finditer(r"\d+", m.group())]
        digits_total = sum(e - s for s, e in groups)
        if digits_total < 12:
            continue
        base = m.start()
        i = 0
        while i < len(groups):
            found = False
            if groups[i][1] - groups[i][0] >= 4:
                for j in range(len(groups), i, -1):
                    span = groups[i:j]
                    n = sum(e - s for s, e in span)
                    if n < 12:
                        break
                    if n > 19:
                        continue
                    digits = "".join(m.group()[s:e] for s, e in span)
                    if len(span) == 1 and _in_hex_token(text, base + span[0][0], base + span[0][1]):
                        break  # "a4539148803436467f": digits inside a hash, not a card
                    issuer = _card_issuer(digits)
                    if issuer and _luhn_ok(digits):
                        if digits not in _TEST_CARDS:
                            masked = " ".join(["****"] * ((n - 4 + 3) // 4)) + " " + digits[-4:]
                            hits.append((base + span[0][0], base + span[-1][1], masked, f"luhn ok, {issuer}"))
                        i, found = j, True  # a test number: no finding, its groups are used up
                        break
            if not found:
                i += 1
    return hits


def detect_iban(text: str) -> Iterable[Hit]:
    """ISO 13616 IBANs (validated by python-stdnum); see the module docstring."""
    hits: list[Hit] = []
    iban = None
    for m in _P.iban.finditer(text):
        start = m.start() - 2  # the match begins at the check digits, after the country code
        raw = text[start:m.end()]
        chars = [(i, c) for i, c in enumerate(raw) if c.isalnum()]
        for n in range(min(len(chars), 34), 14, -1):
            last = chars[n - 1][0]
            if last + 1 < len(raw) and raw[last + 1].isalnum():
                continue
            compact = "".join(c for _, c in chars[:n]).upper()
            if not compact[:2].isalpha():
                break
            if not _mod97_ok(compact):
                continue  # cheap ISO 7064 pre-check before the registry lookup
            if iban is None:
                from stdnum import iban  # lazy: ~tens of ms, only for a candidate
            if iban.is_valid(compact):
                hits.append((start, start + last + 1, f"{compact[:2]}**…{compact[-4:]} ({n} chars)",
                             "mod-97 ok"))
                break
    return hits


def _mod97_ok(compact: str) -> bool:
    """ISO 7064 mod 97-10 over the rearranged IBAN (check digits included) equals 1."""
    s = compact[4:] + compact[:4]
    if not s.isalnum() or not s.isascii():
        return False
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


_DOC_DOMAINS = ("example.com", "example.net", "example.org")
_DOC_TLDS = frozenset({"example", "test", "invalid", "localhost"})


def detect_email(text: str) -> Iterable[Hit]:
    """Email addresses except documentation/special-use domains; see the module docstring."""
    hits: list[Hit] = []
    if "@" not in text:
        return hits
    for m in _scan(_P.email, text, _windows(text, text, ("@",), 70, 260)):
        local, domain, tld = m.group(1), m.group(2).lower(), m.group(3).lower()
        if tld in _DOC_TLDS or any(domain == d or domain.endswith("." + d) for d in _DOC_DOMAINS):
            continue
        low = local.lower()
        url = _P.url_before.search(text, max(0, m.start() - 200), m.start())
        if url and (":" in url.group(1) or low in _URL_SERVICE_USERS):
            continue  # scheme://user:pass@host (api_key's case), ssh://git@host: not a mailbox
        if low in ("git", "hg") and text[m.end():m.end() + 1] == ":":
            continue  # SCP-style remote: git@github.com:org/repo.git
        if re.match(r"(?:no-?reply|do-?not-?reply)", low) or domain.endswith("users.noreply.github.com"):
            continue
        hits.append((m.start(), m.end(), f"{_mask_part(local)}@{_mask_part(domain.split('.', 1)[0])}.{tld}"))
    return hits


#: Service accounts in the userinfo of a URL (``ssh://git@github.com/...``): not a person's mailbox.
_URL_SERVICE_USERS = frozenset({"git", "hg", "svn", "anonymous", "ftp", "root", "postgres", "oauth2",
                                "x-access-token", "ubuntu", "ec2-user", "admin", "user", "default"})


def _mask_part(part: str) -> str:
    """``jane`` -> ``j***``; a one-character part shows nothing: ``*``."""
    return part[0] + "***" if len(part) > 1 else "*"


_PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "BE", "CH", "AT", "IE", "CA", "AU",
                  "PT", "PL", "SE", "DK", "NO", "FI", "IN", "MX", "BR", "JP")


def _phone_valid(cand: str, international: bool) -> bool:
    import phonenumbers  # lazy: ~30 ms, only when a candidate needs validation (raises if missing)

    return _phone_valid_cached(cand, international)


@lru_cache(maxsize=4096)
def _phone_valid_cached(cand: str, international: bool) -> bool:
    """The libphonenumber verdict, memoised: a pure function of the candidate, and chat
    prompts resend the same history turn after turn."""
    import phonenumbers

    if international:
        cand = "+" + cand[2:] if cand.startswith("00") else cand
        try:
            return phonenumbers.is_valid_number(phonenumbers.parse(cand, None))
        except phonenumbers.NumberParseException:
            return False
    for region in _PHONE_REGIONS:
        try:
            if phonenumbers.is_valid_number(phonenumbers.parse(cand, region)):
                return True
        except phonenumbers.NumberParseException:
            continue
    return False


def _phone_segments(raw: str) -> list[tuple[int, int]]:
    """Split a candidate run at strong boundaries only (before "(", around a lone "-"/"/",
    at two or more spaces): "030 76482575 (9-17" -> "030 76482575", "(9-17"; a run of
    single-spaced digit groups stays whole, so no number is cut out of a longer one."""
    segs: list[tuple[int, int]] = []
    start = 0
    for m in re.finditer(r"[ \t]{2,}|[ \t]+(?=\()|[ \t]+[-/][ \t]+", raw):
        if m.start() > start:
            segs.append((start, m.start()))
        start = m.end()
    if start < len(raw):
        segs.append((start, len(raw)))
    return segs


def detect_phone(text: str) -> Iterable[Hit]:
    """International numbers, or national ones after a context word; see the module docstring."""
    hits: list[Hit] = []
    cands: list[tuple[int, int, bool, str]] = []
    if "+" in text or "00" in text:
        cands += [(m.start(), m.end(), True, "") for m in _P.phone_intl.finditer(text)]
    intl, j = cands[:], 0
    for m in _P.phone_cand.finditer(text):
        s = m.start()
        while j < len(intl) and intl[j][1] <= s:
            j += 1
        if j < len(intl) and intl[j][0] <= s:
            continue  # inside an international candidate
        # a context word ending at most 40 chars before the number ("Tel.: ", "call me at ")
        ctx = [c.group() for c in _P.phone_ctx.finditer(text, max(0, s - 64), s) if s - c.end() <= 40]
        if ctx:
            cands.append((s, m.end(), False, ctx[-1]))
    budget = 64  # phonenumbers validations per prompt; past it, plausible candidates count (fail closed)
    for s, e, international, word in sorted(cands):
        before = text[max(0, s - 60):s]
        if _P.phone_business.search(before) and not _P.phone_personal.search(before):
            continue  # a published business/public line, not personal data
        raw = text[s:e]
        # "Tel 030 76482575 (9-17 Uhr)", "+49 151 6054 7072 - 030 1234567": when the whole run is
        # not one number, try runs of its space-separated tokens, longest first.
        toks = _phone_segments(raw)
        i = 0
        while i < len(toks):
            found = False
            for j in range(len(toks), i, -1):
                ps, pe = toks[i][0], toks[j - 1][1]
                cand = raw[ps:pe].strip("-/.,;")
                ps += raw[ps:pe].find(cand)
                pe = ps + len(cand)
                digits = sum(ch.isdigit() for ch in cand)
                intl = international and cand.startswith(("+", "00"))
                if international and not intl:
                    continue  # a piece of an international run, with no context word of its own
                if not 7 <= digits <= (17 if cand.startswith("00") else 15):
                    continue
                if not intl and digits < 9 and cand.isdigit() and cand[0] != "0":
                    continue  # a bare short count ("call it 1000000 times"), not a national number
                if cand.count("(") != cand.count(")"):
                    continue  # "030 76482575 (9-17": the parenthesis belongs to the next thing
                if _P.date_like.match(cand) or re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", cand):
                    continue  # a date or an IPv4 address, not a number to call
                budget -= 1
                if budget < 0 or _phone_valid(cand, intl):
                    verdict = "valid number (libphonenumber)" if budget >= 0 else "not validated (budget spent)"
                    hits.append((s + ps, s + pe, _mask_digits(cand), verdict, word))
                    i, found = j, True
                    break
            if not found:
                i += 1
    return hits


_PLACEHOLDER_VALUES = frozenset({
    "password", "passwd", "pass", "secret", "token", "apikey", "api_key", "key", "none", "null", "nil",
    "undefined", "true", "false", "test", "foo", "bar", "baz", "string", "str", "bytes", "value",
    "empty", "required", "optional", "hidden", "masked", "mysecret", "mypassword", "secretkey",
    "secretstr", "int", "bool", "any", "self", "this", "env", "yes", "no", "on", "off", "default",
})


def _is_placeholder(value: str, *, quoted: bool = True, key_words: bool = True) -> bool:
    """Whether ``value`` is a placeholder, template or reference rather than a secret."""
    v = value.strip()
    if len(v) < 4:
        return True
    if _P.placeholder.search(v) or _P.placeholder_word.search(v):
        return True
    low = v.lower()
    if low in _PLACEHOLDER_VALUES or len(set(low)) < 4:
        return True
    if v.endswith("EXAMPLE"):
        return True
    if not quoted:
        if _P.reference.match(v):
            return True  # settings.SECRET_KEY, args.token, getpass(...)
        if key_words and re.fullmatch(r"[A-Za-z_]\w*", v) and re.search(
                r"pass|pwd|secret|token|key|cred", low) and (
                "_" in v or re.search(r"[a-z][A-Z]", v) or re.fullmatch(
                    r"(?:api)?(?:pass(?:word)?|pwd|secret|token|key|creds?|credentials?)", low)):
            return True  # api_key=api_key, password=user_password, token=authToken (a variable, not a value)
    return False


def _value_after(text: str, pos: int) -> tuple[int, int, bool] | None:
    """The value starting at ``pos`` (quoted or bare): (start, end, quoted) or None."""
    if pos >= len(text):
        return None
    q = text[pos]
    if q in "\"'`":
        close = text.find(q, pos + 1, pos + 402)
        if close == -1:
            return None
        if "\n" in text[pos + 1:close]:
            return None
        return pos + 1, close, True
    m = _P.bare_value.match(text, pos)
    if not m:
        return None
    s, e = m.span()
    while e > s and text[e - 1] in ",;)}]":
        e -= 1
    return (s, e, False) if e > s else None


_KEY_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
                 "xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-", "xapp-", "_live_", "whsec_", "sk-", "AIza",
                 "npm_", "pypi-", "hf_", "eyJ")
_KEY_WORDS = ("pass", "pwd", "pw", "secret", "token", "key", "cred", "kennwort", "contrase", "mot de passe",
              "mot_de_passe", "mot-de-passe", "authorization")


def detect_api_key(text: str) -> Iterable[Hit]:
    """Prefixed provider secrets and credential assignments; see the module docstring."""
    hits: list[Hit] = []
    for m in _scan(_P.key_prefixed, text, _windows(text, text, _KEY_PREFIXES, 3, 2000)):
        value = m.group()
        prefix = next(g for g in m.groups() if g is not None)
        body = value[len(prefix):]
        if _is_placeholder(body, key_words=False) or value.endswith("EXAMPLE"):
            continue
        if prefix.startswith("sk-") and prefix != "sk-ant-" and not re.search(r"\d", body):
            continue  # "sk-" followed by words (a slug), not an OpenAI key
        hits.append((m.start(), m.end(), _mask_secret(prefix, value), f"prefix {prefix}"))
    windows = _lower_windows(text, _KEY_WORDS, 48, 48)
    if windows:
        for rx in (_P.key_assign, _P.key_flag, _P.key_auth):
            for m in _scan(rx, text, windows):
                val = _value_after(text, m.end())
                if val is None:
                    continue
                s, e, quoted = val
                value = text[s:e]
                if _is_placeholder(value, quoted=quoted):
                    continue
                if not quoted and value.isalpha() and re.match(r"[ \t]+\w", text[e:e + 2]):
                    continue  # "Secret: Unlocking the ..." is a title, not a value
                key = re.sub(r"[\"'\s:=>]+$", "", m.group())[-24:]
                hits.append((m.start(), e, f"{key} …({len(value)} chars)", "credential assignment", key.strip()))
        for m in _scan(_P.key_prose, text, windows):
            val = _value_after(text, m.end())
            if val is None:
                continue
            s, e, quoted = val
            if not quoted and text[e - 1] in ".,;:" and (e == len(text) or text[e].isspace()):
                e -= 1  # sentence punctuation after the password
            value = text[s:e]
            if _is_placeholder(value, quoted=quoted) or len(value) < 6:
                continue
            classes = sum(bool(re.search(p, value)) for p in (r"[A-Za-z]", r"\d", r"[^A-Za-z0-9]"))
            if not quoted and classes < 2:
                continue  # "the password is incorrect"
            hits.append((m.start(), e, f"password …({len(value)} chars)", "password in prose",
                         " ".join(m.group().split()[:1])))
    if "://" in text:
        for m in _scan(_P.key_url, text, _windows(text, text, ("://",), 24, 200)):
            user, password = m.group(1), m.group(2)
            if password == user or _is_placeholder(password, quoted=True):
                continue
            hits.append((m.start(), m.end() - 1, f"{text[m.start():m.start(1)]}{user[:1]}…:…@",
                         "password in URL userinfo"))
    return hits


def detect_private_key(text: str) -> Iterable[Hit]:
    """PEM/OpenSSH/PGP/PuTTY private keys; see the module docstring."""
    hits: list[Hit] = []
    ends: dict[str, re.Match[str] | None] = {}  # label -> the next END line (searched once per label)
    for m in _scan(_P.pem, text, _lower_windows(text, ("begin",), 0, 80)):
        if hits and m.start() < hits[-1][1]:
            continue  # inside the block found before
        label = " ".join(m.group(1).upper().split())
        start = m.start()
        while start and text[start - 1] in " \t":
            start -= 1
        dashes = start and text[start - 1] == "-"
        while start and text[start - 1] == "-":
            start -= 1
        start = start if dashes else m.start()
        tail = _P.pem_tail.match(text, m.end())
        body = sum(len(x) for x in re.findall(r"[A-Za-z0-9+/]{8,}", tail.group()))
        if not (dashes or m.group(2)) and body < 40:
            continue  # "begin a private key rotation": no armor dashes and no key body
        end_m = ends.get(label, False)
        if end_m is False or (end_m is not None and end_m.start() < m.end()):
            end_m = ends[label] = _pem_end_rx(label).search(text, m.end())
        end = end_m.end() if end_m else max(len(text[:tail.end()].rstrip()), m.end())
        hits.append((start, end, f"{label} …({end - start} chars)", "armor header"))  # the header alone counts
    i = text.find("PuTTY-User-Key-File-")
    while i != -1:
        m = _P.ppk.match(text, i)
        lines = _P.ppk_private.search(text, m.end(), m.end() + 8000) if m else None
        if lines is not None:  # a .ppk with private lines
            mac = text.find("Private-MAC:", lines.end(), lines.end() + 4000)
            end = text.find("\n", mac) if mac != -1 else lines.end()
            end = len(text) if end == -1 else end
            hits.append((i, end, f"PuTTY-User-Key-File …({end - i} chars)", "ppk private lines"))
        i = text.find("PuTTY-User-Key-File-", i + 1)
    # the base64 of a private key without its header (DER structure prefixes)
    for m in _scan(_P.key_body, text, _windows(text, text, ("MII", "CAQ", "b3Bl"), 4, 80)):
        if any(s <= m.start() < e for s, e, *_ in hits):
            continue  # the body of a block found above
        end = max(m.end(), len(text[:_P.pem_tail.match(text, m.end()).end()].rstrip()))
        hits.append((m.start(), end, f"private key body …({end - m.start()} chars)", "DER key structure"))
    return hits


@lru_cache(maxsize=32)
def _pem_end_rx(label: str) -> re.Pattern[str]:
    return re.compile(r"-*[ \t]*END[ \t]+" + r"[ \t]+".join(map(re.escape, label.split())) + r"[ \t]*-+", re.I)


def _date_ok(day: int, month: int, year: str) -> bool:
    if len(year) == 4 and int(year) < 1900:
        return False
    return 1 <= day <= 31 and 1 <= month <= 12


_DOB_NEEDLES = ("dob", "d.o.b", "birth", "born", "geburt", "geboren", "geb.", "né", "ne le", "nee le",
                "naissance", "nacimiento", "nac.", "nacid")


def _dob_date_ok(m: re.Match[str]) -> bool:
    g = m.groups()
    if g[0]:
        a, b, year = int(g[0]), int(g[1]), g[2]
        return _date_ok(a, b, year) or _date_ok(b, a, year)
    if g[3]:
        return _date_ok(int(g[5]), int(g[4]), g[3])
    if g[6]:
        return _date_ok(int(g[6]), 1, g[8])
    return _date_ok(int(g[10]), 1, g[11])


def detect_date_of_birth(text: str) -> Iterable[Hit]:
    """A full date next to a birth context word; see the module docstring."""
    hits: list[Hit] = []
    ctx = [c.span() for c in _scan(_P.dob_ctx, text, _lower_windows(text, _DOB_NEEDLES, 24, 32))]
    seen: set[int] = set()
    for cs, ce in ctx:
        # the date after the context word ("DOB: 12/03/1985"), or right before it ("12/03/1985 (DOB)")
        for m in _scan(_P.date, text, [(ce, ce + 40), (max(0, cs - 40), cs)]):
            if m.start() in seen or not (ce <= m.start() <= ce + 40 or 0 <= cs - m.end() <= 12):
                continue
            if _dob_date_ok(m):
                seen.add(m.start())
                hits.append((m.start(), m.end(), _mask_digits(re.sub(r"[^\W\d_]", "*", m.group())),
                             "date valid", " ".join(text[cs:ce].split())))
    return hits


_MARKING_NEEDLES = ("intern", "confiden", "vertraulich", "not for", "do not", "gebrauch", "restreint",
                    "tlp", "secret", "noforn", "proprietar")


def detect_classification_marking(text: str) -> Iterable[Hit]:
    """Document handling markings; see the module docstring."""
    windows = _lower_windows(text, _MARKING_NEEDLES, 80, 80)
    return [(m.start(), m.end(), _mask_text(m.group().strip(), 2)) for m in _scan(_P.marking, text, windows)
            if m.group().strip()]


_FIN_NEEDLES = ("disclos", "publi", "announc", "releas", "embargo", "draft", "forecast", "projected",
                "preliminary", "veröffentlich", "veroeffentlich", "vorläufig", "vorlaeufig", "annonc",
                "prévision", "prevision", "anunciar", "provisional")


def detect_unreleased_financials(text: str) -> Iterable[Hit]:
    """Financial figures stated as not yet public; see the module docstring."""
    hits: list[Hit] = []
    for mk in _scan(_P.fin_marker, text, _lower_windows(text, _FIN_NEEDLES, 24, 40)):
        lo, hi = max(0, mk.start() - 150), mk.end() + 150
        window = text[lo:hi]
        if _P.fin_term.search(window) and _P.fin_amount.search(window):
            hits.append((mk.start(), mk.end(), _mask_text(mk.group(), 2)))
            break
    return hits


#: Built-in detectors by policy name. Tests may monkeypatch entries.
_DETECTORS: dict[str, Detector] = {
    "ssn": detect_ssn,
    "credit_card": detect_credit_card,
    "iban": detect_iban,
    "email": detect_email,
    "phone": detect_phone,
    "api_key": detect_api_key,
    "private_key": detect_private_key,
    "date_of_birth": detect_date_of_birth,
    "classification_marking": detect_classification_marking,
    "unreleased_financials": detect_unreleased_financials,
}


def _lazy(module: str, func: str) -> Detector:
    """A detector living in :mod:`hrouter.signals.detectors`, imported on its first call."""
    def call(*args):
        from importlib import import_module

        fn = getattr(import_module(f"hrouter.signals.detectors.{module}"), func)
        return fn(*args)

    call.__name__ = func
    return call


_DETECTORS.update({
    "national_id": _lazy("national_id", "detect_national_id"),
    "medical_id": _lazy("contextual", "detect_medical_id"),
    "passport": _lazy("contextual", "detect_passport"),
    "salary": _lazy("contextual", "detect_salary"),
    "vehicle_plate": _lazy("contextual", "detect_vehicle_plate"),
    "phi": _lazy("phi", "detect_phi"),
})

#: Module of each lazily imported family, and the trigger-word tuples every module scans with.
_LAZY_MODULES = {"national_id": "national_id", "medical_id": "contextual", "passport": "contextual",
                 "salary": "contextual", "vehicle_plate": "contextual", "phi": "phi"}


def _preload(config: SensitivityConfig) -> None:
    """Import the enabled families' modules and register every trigger word before the first
    scan, so the combined trigger regex is compiled once per process, not once per detector."""
    if _Needles.preloaded:
        return
    from importlib import import_module
    for name in config.detectors:
        module = _LAZY_MODULES.get(name)
        if module:
            for needles in _needle_tuples(import_module(f"hrouter.signals.detectors.{module}")):
                _register_needles(needles)
    for needles in (_SSN_NEEDLES, _KEY_WORDS, ("begin",), _DOB_NEEDLES, _MARKING_NEEDLES, _FIN_NEEDLES):
        _register_needles(needles)
    _Needles.preloaded = True


def _needle_tuples(mod) -> list[tuple[str, ...]]:
    """The trigger-word tuples a detector module declares (module constants named ``*NEEDLES``)."""
    return [v for k, v in vars(mod).items() if k.endswith("NEEDLES") and isinstance(v, tuple)]


# --------------------------------------------------------------------------------------
# Policy-driven rules: internal domains and custom rules (compiled once per config).


@lru_cache(maxsize=64)
def _hostname_rx(suffixes: tuple[str, ...]) -> re.Pattern[str]:
    alts = "|".join(re.escape(s.strip(".").lower()) for s in sorted(suffixes, key=len, reverse=True)
                    if s.strip("."))
    return re.compile(r"(?<![\w.])(?<![\w.]-)((?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+)(" + alts + r")"
                      r"(?![\w\-]|\.[a-z0-9])", re.IGNORECASE)


def detect_internal_hostnames(text: str, suffixes: tuple[str, ...]) -> Iterable[Hit]:
    """Hostnames ending in one of ``suffixes`` (``build-01.corp``); the bare suffix is not a host."""
    if not any(s.strip(".") for s in suffixes):
        return []
    needles = tuple(s.lower() for s in suffixes if s.strip("."))
    windows = _windows(text, _lower(text), needles, 256, 2)
    return [(m.start(), m.end(), f"{_mask_part(m.group(1).split('.', 1)[0])}.{m.group(2).lower()}")
            for m in _scan(_hostname_rx(suffixes), text, windows)]


def _fold_keyword(kw: str) -> str:
    """A keyword folded like the prompt text (NFKC, dashes), so ``ＢＬＵＥＨＥＲＯＮ`` in a policy still matches."""
    return kw if kw.isascii() else _normalize(kw)[0]


@lru_cache(maxsize=256)
def _keyword_rx(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    alts = []
    for kw in sorted(map(_fold_keyword, keywords), key=len, reverse=True):
        words = kw.split()
        if not words:
            continue
        body = r"[\s_\-]+".join(re.escape(w) for w in words)
        plural = "s?" if words[-1][-1:].isalpha() else ""
        alts.append(body + plural)
    if not alts:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(alts) + r")(?![^\W_])", re.IGNORECASE)


@lru_cache(maxsize=256)
def _pattern_rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def detect_custom(text: str, rule: CustomRule) -> Iterable[Hit]:
    """A user's keyword or regex rule."""
    if rule.pattern is not None:
        rx = _pattern_rx(rule.pattern)
        return [(m.start(), m.end(), _mask_text(m.group())) for m in rx.finditer(text) if m.end() > m.start()]
    rx = _keyword_rx(tuple(rule.keywords))
    if rx is None:
        return []
    needles = tuple(kw.split()[0].lower() for kw in map(_fold_keyword, rule.keywords) if kw.split())
    windows = _windows(text, _lower(text), needles, 0, max(len(kw) for kw in rule.keywords) + 64)
    return [(m.start(), m.end(), _mask_text(m.group())) for m in _scan(rx, text, windows)]


# --------------------------------------------------------------------------------------
# The entry point.


def _enabled(config: SensitivityConfig) -> list[tuple[str, str]]:
    """The built-in detectors to run, with the tier each sets: the policy's ``detectors``."""
    return list(config.detectors.items())


#: A character class every match of a detector must contain (on the normalised text, where
#: every script's digits are ASCII and the fullwidth @ is @). Text without it skips the
#: detector: same findings, and a prompt without digits never compiles the numeric patterns.
_NEEDS: dict[str, str] = {"ssn": "digit", "credit_card": "digit", "iban": "digit", "phone": "digit",
                          "date_of_birth": "digit", "national_id": "digit", "medical_id": "digit",
                          "passport": "digit", "salary": "digit", "vehicle_plate": "digit", "email": "@"}


def _features(norm: str) -> set[str]:
    """Which of the :data:`_NEEDS` classes occur in ``norm``."""
    out = set()
    if "@" in norm:
        out.add("@")
    if _ANY_DIGIT.search(norm):
        out.add("digit")
    return out


_ANY_DIGIT = re.compile(r"[0-9]")


def tag_sensitivity(text: str, config: SensitivityConfig, *, images: int = 0) -> SensitivityResult:
    """Tag ``text`` with the most severe tier any enabled detector, custom rule or internal
    domain finds (``public`` if none). A detector that raises is recorded in ``errors`` and
    makes the result ``confidential`` (fail closed); the others still run.

    ``images`` is the number of attached images. Their content cannot be scanned, so the
    ``image`` detector (when enabled) records one finding at offset 0-0 with its tier
    (``confidential`` by default: an unscannable scan of an ID card must not leave).

    After the text detectors: ``phi`` (an identifier and clinical vocabulary in one sentence;
    it sees the other detectors' personal-data findings) and the bounded decode pass
    (base64 and percent-encoded runs decoded and re-scanned; see
    :mod:`hrouter.signals.detectors.decode`).

    Findings carry offsets into ``text`` (not the normalised copy) and a masked value;
    overlapping findings keep the most severe, then the longest.
    """
    try:
        _preload(config)
    except Exception:  # noqa: BLE001 - a failing import shows up (fail closed) when its detector runs
        pass
    errors: list[str] = []
    raw: list[tuple[str, str, int, int, str, str, str]] = []  # normalised offsets
    try:
        norm, runs = _normalize_runs(text)
    except Exception as exc:  # pragma: no cover - defensive; fail closed
        errors.append(f"normalize: {type(exc).__name__}: {exc}")
        norm, runs = text, None

    def run(name: str, tier: str, fn: Callable[[], Iterable[Hit]], size: int) -> None:
        try:
            tier_rank(tier)
            hits = [_full_hit(h) for h in fn()]
            for h in hits:
                if not 0 <= h[0] < h[1] <= size:
                    raise ValueError(f"hit {h[0]}-{h[1]} outside the text")
        except Exception as exc:  # noqa: BLE001 - any failure fails closed
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            return
        raw.extend((name, tier, *h) for h in hits)

    text_detectors: list[tuple[str, str, Detector]] = []
    phi_tier = None
    findings: list[Finding] = []
    for name, tier in _enabled(config):
        if name == "image":
            if images:
                findings.append(Finding(detector="image", tier=tier, start=0, end=0,
                                        masked=f"{images} attached image(s), content not scanned"))
            continue
        if name == "phi":
            phi_tier = tier
            continue
        fn = _DETECTORS.get(name)
        if fn is None:
            errors.append(f"{name}: KeyError: unknown detector")
            continue
        text_detectors.append((name, tier, fn))
        need = _NEEDS.get(name)
        if need is not None and need not in _features(norm):
            try:
                tier_rank(tier)  # a bad tier still fails closed
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue  # it cannot match text without that character (and never compiles its patterns)
        run(name, tier, lambda fn=fn: fn(norm), len(norm))
    if config.internal_domains:
        run("internal_hostname", "internal",
            lambda: detect_internal_hostnames(norm, tuple(config.internal_domains)), len(norm))
    for rule in config.custom:
        run(rule.name, rule.tier, lambda rule=rule: detect_custom(norm, rule), len(norm))
    if text_detectors:
        _decode_pass(norm, text_detectors, run, raw, errors)
    if phi_tier is not None:
        idents = [(r[2], r[3], r[0]) for r in raw if r[1] == _CONFIDENTIAL and r[0] in _PERSONAL]
        run("phi", phi_tier, lambda: _DETECTORS["phi"](norm, idents), len(norm))

    if runs is not None:
        from bisect import bisect_right

        starts = [r[0] for r in runs]

        def orig(i: int) -> int:
            ns, os_, ident = runs[bisect_right(starts, i) - 1]
            return os_ + (i - ns) if ident else os_

    for name, tier, s, e, masked, verdict, context in raw:
        if runs is not None:
            s, e = orig(s), orig(e - 1) + 1
        findings.append(Finding(detector=name, tier=tier, start=s, end=e, masked=masked,
                                verdict=verdict, context=context))
    kept = _resolve_overlaps(findings)
    tier = _PUBLIC
    for f in kept:
        if tier_rank(f.tier) > tier_rank(tier):
            tier = f.tier
    if errors:
        tier = _CONFIDENTIAL
    return SensitivityResult(tier=tier, findings=kept, errors=errors)


def _full_hit(h: tuple) -> tuple[int, int, str, str, str]:
    """A detector's hit as (start, end, masked, verdict, context)."""
    if len(h) == 5:
        return h  # type: ignore[return-value]
    s, e, masked, *rest = h
    return (s, e, masked, *rest, *([""] * (2 - len(rest))))


def _decode_pass(norm: str, detectors: list, run: Callable, raw: list, errors: list[str]) -> None:
    """Decode base64/percent-encoded runs and re-scan them (see the decode module)."""
    if not _P.decode_hint.search(norm):
        return  # no candidate run at all: skip the import
    from hrouter.signals.detectors.decode import decode_runs, rescan

    try:
        runs = decode_runs(norm)
    except Exception as exc:  # noqa: BLE001 - overflow or a decoder failure fails closed
        errors.append(f"decode: {exc}" if type(exc).__name__ == "DecodeCapExceeded"
                      else f"decode: {type(exc).__name__}: {exc}")
        return
    for r in runs:
        rescan(norm, r, detectors, run, raw)


#: Personal-data detectors whose findings identify a person (PHI needs one, or a name cue).
_PERSONAL = frozenset({"ssn", "email", "phone", "date_of_birth", "national_id", "medical_id", "passport",
                       "iban", "credit_card", "vehicle_plate"})


def _resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep the most severe, then longest, then earliest of overlapping findings; drop duplicates."""
    if len(findings) < 2:
        return findings
    from bisect import bisect_left

    order = sorted(findings, key=lambda f: (-tier_rank(f.tier), -(f.end - f.start), f.start))
    starts: list[int] = []  # kept findings never overlap, so they sort by start and end alike
    kept: list[Finding] = []
    for f in order:
        i = bisect_left(starts, f.end)  # kept[i - 1] is the last one starting before f ends
        if i and kept[i - 1].end > f.start:
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return kept
