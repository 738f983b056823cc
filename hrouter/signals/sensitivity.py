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
    nine digits count only next to a context word ("SSN", "SS#", "S.S.N.", "social security",
    "Sozialversicherungsnummer", "numéro de sécurité sociale", "número de seguro
    social"). Numbers the SSA voided after they were printed on sample cards or in
    ads (078-05-1120, 219-09-9999, 457-55-5462) and the textbook dummy 123-45-6789
    are public only when the text calls them a dummy/sample/example/placeholder
    nearby; otherwise they count (fail closed). A US ITIN (area 9xx, group 50-65, 70-88,
    90-92, 94-99; ``stdnum.us.itin``, imported only for such a candidate) after the word
    "ITIN" is reported here too, verdict ``itin valid (stdnum.us.itin)``: the same shape and
    use as an SSN (a person's tax id); without the word a 9xx number stays an invalid SSN.
``credit_card``
    13-19 digit (Maestro 12-19) payment card numbers (optional separators between groups: 1-3
    spaces or tabs, a dash or dot, a line break; or one ``/``, ``_`` or ``|``, the same throughout,
    between 4-4-4-4(-3), 4-6-5 or 4-6-4 groups; or every digit spaced out by one space, dash or
    dot, 12-19 digits and no more, next to a card word: card, Karte, carte, carta, cartão,
    tarjeta, kaart, karta, Visa, Amex, CC, PAN, CVV) that pass the Luhn check (ISO/IEC 7812-1 Annex B)
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
    checksum (validated with ``python-stdnum``, imported only for a candidate). Groups may be
    split by blanks, a dash or dot, or a line break (``DE89 3704 0044`` / ``0532 0130 00`` on
    the next line); a run that holds an IBAN and more, or none, hides no IBAN that starts in it.
``email``
    Email addresses (RFC 5322 addr-spec, practical subset, Unicode allowed after NFKC
    folding). Documentation and special-use names are public: ``example.com/.net/.org``
    and subdomains (RFC 2606 §3), the TLDs ``.example``, ``.test``, ``.invalid``,
    ``.localhost`` (RFC 2606 §2, RFC 6761), ``git@host:`` SCP-style remotes and
    ``noreply`` addresses. The ``user:pass@host`` of a URL is ``api_key``'s case; a
    ``scheme://name@host`` without password counts as an address unless the name is a
    service account (``ssh://git@github.com``, ``ftp://anonymous@``, ``root``, ...). Masked
    as ``j***@g***.com``; a one-character part shows only ``*`` (``*@*.co``). Also addresses
    with the at or dot spelled out or defanged (verdict ``obfuscated``): bracketed
    ``jane[at]gmail[dot]com``, ``jane (at) gmail (dot) com``, ``jane.doe[@]gmail.com``,
    ``jane@gmail[dot]com`` always; bare words and blanks (``jane AT gmail DOT com``,
    ``jane.doe @ gmail . com``, ``jane at gmail dot com``) with a common TLD and, for a bare
    ``AT``/``DOT``, words not all in capitals, or else (all capitals, ``JANE AT GMAIL DOT COM``)
    a free-mail domain or a mail word right before (``EMAIL: JSMITH AT ACME DOT COM``) and no
    verb or pronoun before the ``AT`` (``WE WORKED AT YAHOO DOT COM`` is prose); for a bare
    lower-case ``at``, a spelled-out dot
    and a sign of an address (handle-like local part, free-mail domain or a mail word before),
    so "look at the dot com era" and "I worked at acme dot com" stay prose
    (:func:`_obfuscated_emails`); redaction replaces the whole spelled-out span like any finding.
    Also Spanish/German bracketed forms (``marta (arroba) empresa (punto) es``, ``hans [ät] web
    [punkt] de``; bare ``arroba``/``punto`` words are not read), a blank before the ``@`` only
    (``jane.doe @gmail.com``, a handle or mail word needed; not a decorator line), and a bare
    ``at`` with plain dots before a free-mail domain after a mail word ("my email: jsmith at
    gmail.com"), or before any domain right after a mail label or verb ("reach sergi at
    calcurco.org", "my email is sergi at calcurco.org", "E-Mail: ...", "write to ...", "mail me
    at ..."; not "I worked at acme.org", "look at python.org", "the mail server at python.org").
    A verb or pronoun before ``at`` ("look at gmail dot com") or a possessive
    after the domain ("gmail dot com's new UI") is prose.
``phone``
    Phone numbers in international form (``+CC`` or ``00CC``), or in national form
    after a context word (phone, tel, mobile, cell, call, landline, fax, Telefon,
    Handy, erreichen, téléphone, portable, fixe, teléfono, móvil, cellulare, telemóvel,
    telefoon, mobiel, komórka, "il mio numero", "mijn nummer", "my number", "emergency
    contact", call-back words: callback, Rückruf, "ligue para", richiamare, terugbellen,
    oddzwonić, ...), or right after a label (a signature's ``M:``/``T:``/``C:``/``H:``/``W:``/``O:``/``F:``
    at a line start, ``Ph:``, ``Direct:``, ``Home``, ``Office``, ``Work``; checked per candidate,
    no needle), or a NANP number written ``1-415-867-5309`` (one separator throughout, not a
    toll-free 8xx area code), validated
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
    and ``github_pat_``; Slack ``xox[abprs]-``/``xapp-`` and ``hooks.slack.com/services/``
    webhooks; Stripe ``sk_``/``rk_`` + ``live_``/``test_``/``prod_``, ``whsec_``; OpenAI
    ``sk-``/``sk-proj-``; Anthropic ``sk-ant-``; Google ``AIza`` + 35; npm ``npm_``; PyPI
    ``pypi-``; Hugging Face ``hf_``; GitLab ``glpat-``/``gldt-``/``glrt-``/``glft-`` + 20
    (± a few) or routable, ``glptt-`` + 40 hex; SendGrid ``SG.`` + 22 ``.`` + 43; Shopify
    ``shpat_ shpss_ shpca_ shppa_`` + 32 hex; DigitalOcean ``dop_v1_ doo_v1_ dor_v1_`` + 64
    hex; xAI ``xai-`` + 80; Groq ``gsk_`` + 52; age ``AGE-SECRET-KEY-1`` + 58 bech32; JSON
    Web Tokens (RFC 7519). Also credentials by context: ``password=``,
    ``api_key:``, ``secret=``, ``DB_PASSWORD=``, ``"token": "..."``, Azure
    ``AccountKey=``/``SharedAccessKey=`` assignments (a connection string's value ends at
    ``;Name=``), labels in more languages (``mot de passe :``, ``senha:``, ``wachtwoord:``,
    ``hasło:``), ``--password VALUE``, ``Authorization: Bearer|Basic|token VALUE`` (RFC 6750/7617),
    ``scheme://user:password@host`` URLs (RFC 3986 userinfo; the user may be empty), command
    lines (``curl -u user:pass``, ``mysql -pPASS`` — a bare ``-p`` prompts —, ``sshpass -p``,
    Windows ``net use ... /user:NAME PASSWORD`` — ``*`` prompts —),
    user/password pairs after ``login:``/``creds`` and prose ("the password is ...",
    "la password è", "a senha é"). Placeholders are not secrets: ``YOUR_API_KEY``, ``${VAR}``,
    ``<token>``, ``{{ secrets.X }}``, ``os.environ[...]``/``getenv()``/variable
    references, anything with a literal ``...``/``…``, runs of ``x``/``*``, AWS
    keys ending in ``EXAMPLE``, the jwt.io sample token. A token or API key that is one short
    word in one case (``token: ident`` in a lexer, ``api_key: production``) is no credential:
    generated ones never are; a password, PSK or shared secret may be (``password: admin``
    counts). Also: ``Bearer <token>`` anywhere (a header set in code, a template literal with
    a literal token; ``${token}`` is a placeholder), ``*_KEY``/``*_AUTH``/``*_DSN`` names with
    a generated-looking value (16+ characters switching between letters and digits; UUIDs,
    hashes and database/cache/map keys excepted), password phrasings ("password for X:",
    "Password - X", a label alone on its line with the value on the next, ``pwd X``), Gmail
    app passwords (four groups of four letters), registry/SMB logins (``docker login -p``,
    ``smbclient -U user%pass``), Discord webhooks, and password labels in Russian, Japanese,
    Chinese, Korean, Turkish, Swedish and Finnish. A name/value pair naming a credential
    (Kubernetes/Compose ``- name: DB_PASSWORD`` + ``value: ...``, ECS ``{"name": ..., "value":
    ...}``, Postman ``"key": ...``, CloudFormation ``ParameterKey``/``ParameterValue``) is judged
    as ``NAME=value`` would be (names about a credential, ``PASSWORD_FILE``, ``TOKEN_TTL``, are
    not; inside an XML/HTML tag the structured pass's record decides); a password set to a
    value in prose ("set the password to X", "the password was reset to X", "ssh ... with
    password X") when the value mixes letters, digits or symbols (or is quoted). Also (``_key_more``,
    gated on the needles cookie/wifi/wi-fi/wlan/pin/sudo/htpasswd): a ``Cookie:``/``Set-Cookie:`` header
    pair with a generated-looking value (``session=8f3a...``; not ``theme=dark``); a Wi-Fi/WLAN
    password/key/Schlüssel of 6+ characters mixing letters, digits or symbols; a PIN of 4-8 digits
    after "PIN:"/"PIN is"/"PIN-Code"/"PIN number" (not "pin 13", "GPIO pin 4", "the default PIN is
    0000"); ``echo "pw" | sudo -S`` and ``sudo -S ... <<< pw``; ``htpasswd -b[c] file user pw`` and
    ``htpasswd -nb user pw``. The user:password pair after login/creds also after "are"/"is"
    ("creds are admin:Tr0ub4dor").
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
    English/German/French/Spanish/Italian/Portuguese/Dutch/Polish month name) next to a
    context word (DOB, date of birth, born — not "born-again" —, birthday, bday/b-day, genealogy's
    lower-case "b." before a date with a month name, Geburtsdatum, geboren, né/née le,
    date de naissance, fecha de nacimiento, nacido/nacida, data di nascita, nato/nata il/a
    — not "la Nato" —, data de nascimento, nascido/nascida, geboortedatum, data urodzenia,
    urodzony/urodzona, ur.): starting at most 34 characters after it or ending at most 12
    before it. Earlier years are historical figures. Also "4th of March, 1971", "04-MAR-1971"
    and compact ISO 8601 ``19710304``.
``classification_marking``
    Document handling markings: "CONFIDENTIAL - INTERNAL", "INTERNAL ONLY",
    "(for) internal use only", "company confidential", "strictly confidential",
    "NOT FOR DISTRIBUTION", "do not forward/distribute", "HR internal:", "(internal)",
    upper-case CONFIDENTIAL/VERTRAULICH/CONFIDENTIEL/CONFIDENCIAL, "Nur für den
    internen Gebrauch", "streng vertraulich", "diffusion restreinte", "usage
    interne", "uso interno", FIRST Traffic Light Protocol ``TLP:AMBER``/``TLP:RED``,
    US classification banners (TOP SECRET, SECRET//..., NOFORN), "Attorney-Client
    Privileged" (the noun "privilege" only as an upper-case banner: a question about the
    doctrine is not a marking), label fields "Sensitivity: / Classification: / Data
    classification: Confidential|Internal|Restricted|Secret|Private|Sensitive" (not Public),
    Microsoft Purview label metadata ``MSIP_Label_<guid>_Name=Confidential``, "under (an) NDA",
    "strettamente riservato", "ściśle poufne", a capitalised "Poufne", Japanese 社外秘, 極秘, 部外秘,
    取扱注意.
``unreleased_financials``
    Financial figures (ARR, revenue, bookings, churn, acquisition price, ... with an
    amount) stated as not yet public (unannounced, not disclosed, draft, forecast,
    embargoed, ...). Default tier internal.

Families in :mod:`hrouter.signals.detectors` (imported on first use): ``national_id`` (UK NHS,
FR NIR, ES NIE/DNI, DE Steuer-ID, IT codice fiscale, NL BSN, CA SIN, IN Aadhaar, PL PESEL, SE
personnummer via python-stdnum, UK National Insurance numbers by HMRC's rules; see
``detectors.national_id`` for which need a context word), ``medical_id``, ``passport``,
``salary``, ``vehicle_plate`` (weak shapes next to a context word; ``detectors.contextual``),
``bank_account`` (account numbers that are not IBANs next to an account word, ABA routing
number, UK sort code or German BLZ; ``detectors.bank``), ``mrz``, ``seed_phrase`` and ``drivers_license``
(``detectors.documents``, below), ``postal_address`` (``detectors.address``, below) and ``phi`` (an identifier and clinical vocabulary in one sentence;
``detectors.phi``), each with its own policy key.

``mrz``
    Machine-readable zones of passports, ID cards and visas (ICAO Doc 9303: TD3 2 x 44, TD2
    2 x 36, TD1 3 x 30, MRV-A/B): a data line whose shape holds (dates, sex, nationality) with
    at least two passing check digits (weights 7-3-1; all of them for the verdict ``check digits
    ok``), or a strict name line ``P<UTOSURNAME<<GIVEN<<<``. Only text holding ``<<`` is looked at.
    Masked ``P<UTO*** TD3 checks 5/5 ok: ...`` (no name, no number).
``seed_phrase``
    BIP-39 wallet recovery phrases (a secret: never redactable): 12/15/18/21/24 words of the
    English wordlist with a valid checksum (``mnemonic`` package, imported for a candidate),
    pasted at a line start, after ``:``/a quote/bracket, or as a numbered list; twelve or more
    wordlist words near a context word ("seed phrase", "recovery phrase", "mnemonic",
    "Wiederherstellungsphrase", "phrase de récupération", "frase semilla") count with a failed
    checksum too. Masked as the word count.
``drivers_license``
    Driving licence numbers (HIPAA Safe Harbor #11): 5-20 letters/digits with at least 4
    digits after a licence word (driver's license, DL#, DLN, license no., Führerschein(nummer),
    FS-Nr., permis de conduire, licencia/permiso/carné de conducir, patente di guida, carta de
    condução, CNH, rijbewijs, prawo jazdy; whole words); not a date, year range or phone number.
``postal_address``
    A person's street address (GDPR personal data; HIPAA Safe Harbor #2): a house number and a
    street name with a street-type word in the local order (``1234 Elm St``, ``12 rue de la Paix``,
    ``Hauptstraße 12``, ``Calle Mayor 5``, ``Via Roma 10``, ``Kerkstraat 12``, ``ul. Długa 5/4``;
    USPS Publication 28 suffixes), optionally a unit and a locality with the country's postal code
    (US ZIP after a state, UK and CA postcodes, 5 digits, NL ``1234 AB``, PL ``00-000``, PT
    ``1234-567``), that is personal: after an address word ("my/home address", "ship to", "lives at",
    Adresse, Anschrift, wohnhaft, domicile, dirección, indirizzo, adres, morada, ...) or next to a
    person's name or record ("Maria Garcia, 1234 Elm St", "Name: ..." / "Address: ..."). A store's,
    a venue's or a landmark's address and well-known fictional ones (221B Baker Street) stay public
    (``detectors.address``). Masked as its parts: ``[street address, city, US ZIP]``.
After the detectors, a bounded decode pass re-scans base64 and percent-encoded runs
(``detectors.decode``; capped, overflow fails closed with ``decode: cap exceeded``).

Every hit carries the validator's ``verdict`` (``luhn ok, visa``, ``ssn area valid``,
``mod-97 ok``, ``nhs mod-11 ok``, ...) and, for a weak shape, the ``context`` word that
supported it.

Not a detector of its own but always on: hostnames under the policy's
``internal_domains`` (e.g. ``build-01.corp``) -> finding ``internal_hostname``, tier
internal. The bare suffix (".internal TLD") is not a hostname. Labels may hold underscores
(``_ldap._tcp.dc01.corp``, ``file_srv.corp``) and dots may be defanged (``db01[.]corp``,
``db01(.)corp``, ``db01[dot]corp``, ``hxxps://wiki[.]internal/page``). Code is no host: a
name whose first label is a receiver or reverse-DNS package root (``self.internal``,
``com.google.common.base.internal``; see ``_HOST_CODE_FIRST``), an attribute assigned or called
(``x.internal = 1``, ``obj.internal(``; not with a hyphen), a module on a Python import line.
Well-known public names are allowlisted by exact value: ``metadata.google.internal``,
``host.docker.internal``, ``gateway.docker.internal``, ``kubernetes.docker.internal``.

Custom rules (``sensitivity.custom``): ``keywords`` match case-insensitively as whole
words, where only letters and digits are word characters and anything else (``_``,
``-``, ``.``, spaces, quotes) separates words (so ``blueheron-sync``, ``BLUEHERON_ETL``
and ``com.acme.blueheron`` match
BLUEHERON; ``cumulonimbus`` does not match ``Nimbus``). A camelCase boundary separates
words too: ``BlueHeronService``, ``getBlueHeronConfig``, ``BLUEHERONService``, ``blueheronAPI``
(a lower-case letter then an upper-case one, or an upper-case letter before a capitalised
word); ``myblueheronthing`` and ``xBLUEHERON`` have none. A keyword also matches its
plural with a trailing ``s`` (``BLUEHERONS``): a codename in the plural is still the
codename. Multi-word keywords match with any run of spaces/``-``/``_`` or a camelCase
boundary between the words (``Project Nimbus``, ``project-nimbus``, ``ProjectNimbus``), also
``.``, ``/``, ``:`` and quotes (``project.nimbus``, ``Project: Nimbus``, ``Project "Nimbus"``)
or nothing at all (``projectnimbus``, a repository name; its ends still need a boundary:
``myprojectnimbus`` is none). Digits, or a ``v`` and digits, may follow a keyword that ends
in a letter, in any case (``BlueHeron2``, ``BLUEHERON2``, ``blueheron2025-roadmap.pdf``,
``blueheronv2``): a version glued to the codename; other letters may not (``BLUEHERONIAN``).
Keywords and host suffixes also match look-alike letters (Unicode TR39 confusables, plus
Latin small capitals: ``ʙʟᴜᴇʜᴇʀᴏɴ``, ``blueнeron``; see :mod:`hrouter.signals.confusables`).
``pattern`` rules are Python regexes applied as written (use ``(?i)`` for case-insensitivity).

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

Cost (``bench/sensitivity.py`` measures it): only :mod:`re` at import; regexes compile on
first use; ``unicodedata``, ``phonenumbers``, ``stdnum`` and ``ahocorasick_rs`` are imported
only when a prompt needs them. The work per prompt is a few passes over the whole text, each
in C, and pattern matching only where a match can be:

- Normalisation looks at the odd characters alone (a byte-level delete of printable ASCII);
  when each of them becomes exactly one character, the text is folded with ``str.replace``
  and needs no offset map (offsets unchanged). Only invisible, expanding or combining
  characters take the per-run path with an offset map.
- Trigger words: one Aho-Corasick pass (``ahocorasick_rs``) over the lower-case text finds
  every needle of every detector (windows exactly those of a ``str.find`` loop per needle);
  without the library, or on a lone surrogate, a trie-shaped regex finds the same hits.
  Word patterns run in those windows; case-insensitive ones as case-sensitive twins on a
  lower-case copy (``_match_copy``), every alternative led by a literal so the engine skips
  to candidate characters (tests check each twin against its original on random text).
- Numbers: one scan of the text's byte shape (digits -> ``0``, separators -> ``-``) finds the
  clusters of at least 7 digits; the digit patterns (SSN, card, phone, digit national ids)
  scan only those clusters' windows, each with the digits its shape needs (the grouped SSN only
  around its ``000-00-0000`` shape in the clusters' bytes). IBANs, fiscal
  codes and base64 runs are likewise found from a byte shape (``LL00``, six capitals, 20
  base64 characters) and matched only there; ICD-10 codes from their period. A shape keeps
  one byte per character (the UTF-8 continuation bytes are deleted in the same
  ``bytes.translate``), so its offsets are the text's: no byte-to-character mapping.
- Anchored lookups: a prefixed API key is tried at its prefix, an email at the starts its
  local part allows before each ``@``, a hostname from the start of its run of host
  characters, a PEM ``END`` line at each ``END``, a phone number's context word only where
  one of its needles lies; sentences are found around a position, not split whole.
- Per candidate: a phone number's business-line check runs a lower-case twin on the match
  copy; window lists are intersected by bisection; PHI finds a sentence's identifier by
  bisection over the identifiers' starts; IBAN mod-97 tables, like the phone, IBAN and stdnum
  verdicts, are memoised per value (chat prompts resend the same history turn after turn).

Every shortcut finds what the plain window scans find (tests in
``tests/test_sensitivity_speed.py`` compare each with its plain form); the anchored API-key
and email lookups also find a token longer than those windows were (2000 characters after a
key prefix, 260 after an ``@``). A 16k-character prompt tags in a few milliseconds. The invisible characters are a
precomputed range list (a test checks it against ``unicodedata``'s Cf category), folded
with a ``str.translate`` table built at the first prompt that needs it. Custom ``pattern`` rules run as
written over the whole text, on the ``regex`` module with a match timeout
(:data:`PATTERN_TIMEOUT_S`): a catastrophically backtracking user regex fails closed.
"""

from __future__ import annotations

import re
from functools import lru_cache, wraps

from hrouter.policy_model import CustomRule, SensitivityConfig
from hrouter.signals import TIERS, Finding, SensitivityResult, tier_rank

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs ~2 ms to import; annotations here are strings anyway
    from typing import Any, Callable, Iterable, Iterator

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
           r"septiembre|setiembre|octubre|noviembre|diciembre|"
           # Italian, Portuguese, Dutch, Polish (genitive, as dates use it)
           r"gennaio|febbraio|aprile|maggio|giugno|luglio|settembre|ottobre|dicembre|"
           r"janeiro|fevereiro|mar[çc]o|maio|junho|julho|setembro|outubro|novembro|dezembro|"
           r"januari|februari|maart|mei|augustus|"
           r"stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|wrze[śs]nia|pa[źz]dziernika|"
           r"listopada|grudnia)")

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

#: A dot between the labels of an address's domain, plain or spelled out / defanged: ``.``,
#: ``[dot]`` ``(dot)`` ``{dot}`` ``<dot>`` ``[.]`` ``(.)`` (blanks allowed inside and around), a bare
#: `` dot `` / `` DOT `` between blanks, a blank-spaced ``.`` (see detect_email).
_EMAIL_DOT = (r"(?:\.(?![ \t])|[ \t]*[\[({<][ \t]*(?:dot|DOT|Dot|\.|punto|PUNTO|Punto|punkt|PUNKT|Punkt)[ \t]*[\])}>][ \t]*|[ \t]+(?:dot|DOT)[ \t]+"
              r"|[ \t]+\.[ \t]*|\.[ \t]+)")

_SOURCES: dict[str, tuple[str, int]] = {
    # ---- normalisation: non-ASCII runs; what NFKC leaves that we still fold
    "odd": (r"[^\t\n\r\x20-\x7e]+", 0),  # runs of non-ASCII or ASCII control characters
    "special": ("[" + _DASHES + _INVISIBLE + _SPACES + _MARKS + r"]|(?=[^\x00-\x7f])\d", 0),
    # the same as two charset-only patterns (an alternation defeats the engine's fast skip)
    "special_chars": ("[" + _DASHES + _INVISIBLE + _SPACES + _MARKS + "]", 0),
    "nonascii_digit": (r"[^\D0-9]", 0),
    # ---- digit clusters: runs of at least 7 digits joined by separators (see _digit_windows);
    # "A"/"B" join too, for the Corsican "2A"/"2B" of a French NIR
    "cluster": (r"[0-9](?:[ \t\r\n().\-/+AB]*[0-9]){6,}", 0),
    "cluster_any": (r"\d(?:[ \t\r\n().\-/+AB]*\d){6,}", 0),  # where other scripts' digits may occur
    "cluster_bytes": (rb"0(?:-*0){6,}", 0),  # the same on the byte shape (_CLUSTER_BYTES)
    "non_ascii_bytes": (rb"[\x80-\xff]+", 0),
    # a digit next to a letter, within a token's first 11 characters (the _ALNUM_BYTES shape)
    "split_anchor": (rb"0(?:(?<=L0)|(?=L))(?<![L0]{11}0)", 0),
    # ---- small helpers (compiled once, not looked up in re's cache per call)
    "blanks": (r"\s+", 0),
    "local_tail": (r"[\w.%+\-]*\Z", 0),
    # the run of host characters that ends at the search's end (IGNORECASE's extra letters too)
    "host_run": (r"[A-Za-z0-9._\-\[\](){}\u0130\u0131\u017f\u212a]*", 0),
    "alnum_run": (r"[^\W_]+", 0),
    # a Python import line up to a dotted module name (see _host_is_code)
    "host_import": (r"[ \t]*(?:from[ \t]+|import[ \t]+(?:[\w.]+[ \t]*,[ \t]*)*)\Z", 0),
    "non_digits": (r"\D", 0),
    "hex_run": (r"[0-9A-Fa-f]+", 0),
    "digit_run": (r"\d+", 0),
    "any_digit": (r"\d", 0),
    "phone_split": (r"[ \t]{2,}|[ \t]+(?=\()|[ \t]+[-/][ \t]+", 0),
    "ipv4": (r"\d{1,3}(?:\.\d{1,3}){3}", 0),
    "title_next": (r"[ \t]+\w", 0),
    "key_tail": (r"[\"'\s:=>]+$", 0),
    # ---- decode pass: is there any base64 or percent-encoded run worth decoding?
    "decode_hint": (r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{20}|%[0-9A-Fa-f]{2}", 0),
    "pct_hint": (r"%[0-9A-Fa-f]{2}", 0),
    # ---- ssn
    "ssn": (r"(\d)" + _NUM_START + r"(?<!\+\d)(\d{2})(" + _GROUP_SEP + r")(\d{2})(" + _GROUP_SEP + r")(\d{4})"
            + _NUM_END, 0),
    # the grouped SSN's shape on the cluster byte shape (_CLUSTER_BYTES: digits -> "0", every
    # _GROUP_SEP character -> "-"; a separator is 1-17 characters): where _P.ssn may match
    "ssn_shape": (rb"000-{1,17}00-{1,17}0000", 0),
    "ssn_ctx": (r"\b(?:SSNs?|SS#|S\.S\.N\b\.?|ITINs?\b|social[\s\-]+security(?:[\s\-]+(?:number|no\b\.?|#))?|soc\.?[ \t]*sec\.?|"
                r"sozialversicherungs(?:nummer|-?nr\b\.?)|sv-?nummer|"
                r"num[ée]ro[ \t]+de[ \t]+s[ée]curit[ée][ \t]+sociale|"
                r"n[úu]mero[ \t]+(?:de(?:l)?[ \t]+)?seguro[ \t]+social|seguro[ \t]+social)", _I),
    "ssn_ctx_lc": (r"s(?<!\ws)sns?|s(?<!\ws)s#|s(?<!\ws)\.s\.n\b\.?|i(?<!\wi)tins?\b|s(?<!\ws)ocial[\s\-]+security(?:[\s\-]+(?:number|no\b\.?|#))?|"
                   r"s(?<!\ws)oc\.?[ \t]*sec\.?|s(?<!\ws)ozialversicherungs(?:nummer|-?nr\b\.?)|s(?<!\ws)v-?nummer|"
                   r"n(?<!\wn)um[ée]ro[ \t]+de[ \t]+s[ée]curit[ée][ \t]+sociale|"
                   r"n(?<!\wn)[úu]mero[ \t]+(?:de(?:l)?[ \t]+)?seguro[ \t]+social|s(?<!\ws)eguro[ \t]+social", 0),
    # nine digits, each optionally separated (only searched right after a context word)
    "ssn_loose": (r"\d" + _NUM_START + r"(?<!\d[ \t]\d)(?:[ \t]{0,3}[-./_|:\u00b7\u2022]?\s{0,3}\d){8}"
                  r"(?![ \t]{0,3}[-./_|:\u00b7\u2022]?[ \t]{0,3}\d)", 0),
    "bare9": (r"\d" + _NUM_START + r"\d{8}" + _NUM_END, 0),
    "ssn_doc": (r"\b(?:dumm(?:y|ies)|examples?|samples?|placeholders?|fake|specimen|formats?|"
                r"advertis\w*|voided|invalid|fictional|made[- ]up|Beispiel\w*|exemple|ejemplo)\b", _I),
    # ---- credit card
    "card": (r"\d" + _NUM_START + r"(?<!\+\d)\d{3,18}(?:(?:" + _GROUP_SEP + r"|[ \t]{0,3}\r?\n[ \t]{0,8})\d{3,8}){0,10}"
             + _NUM_END, 0),
    # 4-4-4-4(-3), 4-6-5 and 4-6-4 groups joined by one "/", "_" or "|", the same throughout, and
    # not a piece of a longer run joined by such a separator
    "card_sep": (r"\d(?<!\d\d)(?<!\d[-./_|]\d)\d{3}([/_|])(?:\d{4}\1\d{4}\1\d{4}(?:\1\d{3,4})?|\d{6}\1\d{4,5})"
                 r"(?!\d|[-./_|]\d)", 0),
    # every digit spaced out ("4 5 3 9 1 4 8 8 ..."; one space, dash or dot, the same throughout),
    # 12-19 digits and no more; counts only next to a card word (card_ctx)
    "card_spaced": (r"\d(?<!\d\d)(?<!\d[ \t.\-]\d)([ .\-])\d(?:\1\d){10,17}(?![ \t.\-]?\d)", 0),
    "card_ctx": (r"(?<![^\W\d_])(?:(?:credit|debit|kredit|bank)?[ \t\-]?cards?|\w*kart[ea]n?|karty|kaart|carte|carta|"
                 r"cart[ãa]o|tarjeta|visa|master[ \t\-]?card|amex|american[ \t]+express|cc|pan|cvv|cvc)(?![^\W\d_])", _I),
    # ---- iban
    # groups may be split by 1-3 blanks, a dash or dot, or one line break ("DE89 3704 0044\n0532 0130 00")
    "iban": (r"\d(?<=(?<![A-Za-z0-9])[A-Za-z]{2}\d)\d"
             r"(?:(?:[ \t]{1,3}|[ \t]?[-.][ \t]?|[ \t]{0,3}\r?\n[ \t]{0,3})?[A-Za-z0-9]){11,32}", 0),
    "iban_start": (r"\d(?<=(?<![A-Za-z0-9])[A-Za-z]{2}\d)\d", 0),  # where an iban match may start
    # ---- email
    "email": (r"(?<![\w%+\-])([\w%+\-](?:[\w.%+\-]{0,62}[\w%+\-])?)@"
              r"((?:[^\W_](?:[\w\-]{0,61}[^\W_])?\.)+([^\W\d_]{2,63}))(?!\w|\.[^\W_])", 0),
    "url_before": (r"[A-Za-z][A-Za-z0-9+.\-]*://([^\s/?#@]*)\Z", 0),
    # a mail word right before a spelled-out address's local part (searched with endpos = its start):
    # a label ("E-Mail: ", "my email address is "), "mail me at ", or a verb and the name ("reach
    # sergi at ...", "write to ..."; not a bare "mail": "the mail server at python.org")
    "email_cue_tail": (r"(?<![^\W\d_])(?:(?:e-?mail|mail|contact|courriel|correo|kontakt)(?:[ \t]+(?:address|addr))?"
                       r"[ \t]*(?:[:=\-]|[ \t]is[ \t]*:?)"
                       r"|(?:e-?mail|mail|contact|reach|write|send)[ \t]+(?:me|us)[ \t]+(?:at|on|via)[ \t]*:?"
                       r"|e-?mail|contact|reach|write[ \t]+to|send[ \t]+to)[ \t]*\Z", _I),
    # an address with "at"/"dot" spelled out or defanged (see detect_email): group 1 = local part,
    # 2 = the at separator, 3 = the domain with its dot separators
    "email_obf": (r"(?<![\w.%+\-])([\w%+\-]+(?:(?:\.|[ \t]*[\[({][ \t]*(?:\.|dot|DOT)[ \t]*[\])}][ \t]*"
                  r"|[ \t]+(?:dot|DOT)[ \t]+)[\w%+\-]+){0,8})"
                  r"([ \t]*[\[({<][ \t]*(?:at|AT|At|@|arroba|ARROBA|Arroba|ät|ÄT|Ät)[ \t]*[\])}>][ \t]*"
                  r"|[ \t]*@[ \t]+|[ \t]+(?:AT|at)[ \t]+|[ \t]+@|@)"
                  r"((?:[^\W_](?:[\w\-]{0,61}[^\W_])?" + _EMAIL_DOT + r"){1,8}[^\W\d_]{2,63})"
                  r"(?![\w\-]|\.[^\W_]|[ \t]*[\[({<][ \t]*(?:dot|DOT|\.)[ \t]*[\])}>])", 0),
    "email_obf_dot": (_EMAIL_DOT, 0),
    "email_obf_local_dot": (r"[ \t]*[\[({][ \t]*(?:\.|dot|DOT)[ \t]*[\])}][ \t]*|[ \t]+(?:dot|DOT)[ \t]+", 0),
    # after a real "@": a domain label and then a spelled-out or defanged dot (jane@gmail[dot]com)
    "email_at_obf": (r"[ \t]*[^\W_][\w\-]{0,62}(?:[ \t]*[\[({<][ \t]*(?:dot|DOT|Dot|\.|punto|PUNTO|Punto|punkt|PUNKT|Punkt)[ \t]*[\])}>]"
                     r"|[ \t]+(?:dot|DOT)[ \t]+[^\W\d_]|[ \t]+\.[ \t]*[^\W\d_]|\.[ \t]+[^\W\d_])", 0),
    # ---- phone
    # "Tel.+49 ...", "Phone—+49 ..." count; "=312-555-0110" (a formula), "1.0049 ..." do not
    "phone_intl": (r"(?:\+(?<![\w+=/]\+)(?<!\d[.\-]\+)|00(?<![\w+=/]00)(?<!\d[.\-]00))"
                   r"[1-9][\d \t().\-/]{5,22}\d(?!\w)", 0),
    "phone_cand": (r"(?:\((?<![\w+=/]\()(?<!\d[.\-]\()\d|\d(?<![\w+=/(]\d)(?<!\d[.\-]\d)|\d(?<=[A-Za-z]=\d))"
                   r"[\d \t().\-/]{5,22}\d(?!\w)", 0),
    "phone_ctx": (r"\b(?:(?:tele)?phone|tel\b|mobile?|mob\b|cell(?:phone|ular)?\b|call(?:\s+me)?\b|"
                  r"text\s+me|sms|whats\s?app|fax|landline|reach\s+me|ring\s+me|contact\s+(?:me|number)|"
                  r"telefon\w*|handy\w*|mobil\w*|festnetz\w*|rufnummer|anruf\w*|ruf\s+mich|erreich\w*|"
                  r"t[ée]l[ée]phone|t[ée]l\b|portable\b|fixe\b|mon\s+num[ée]ro|num[ée]ro\s+de\s+t[ée]l[ée]phone|"
                  r"appel\w*|rappel\w*|joindre|tel[ée]fono|m[óo]vil|celular|llam\w*|mi\s+n[úu]mero|"
                  r"meine\s+nummer|cellulare|telem[óo]vel|telefoon\w*|mobiel\w*|kom[óo]rk\w*|kom\.|chiam\w*|"
                  r"bel (?:me|mij)\b|zadzwo[ńn]\w*|mi[oa]\s+numero|meu\s+n[úu]mero|mijn\s+(?:telefoon)?nummer|"
                  r"m[óo]j\s+numer|my\s+(?:(?:phone|cell|mobile|home|work|direct)\s+)?number|emergency\s+contact|"
                  r"callbacks?\b|call-back|r[üu]ckruf\w*|lig(?:ue|ar|a)[\s\-]+(?:para|me)\b|oddzwo[ńn]\w*|richiam\w*|"
                  r"terugbel\w*)", _I),
    # phone_ctx for the lower-case copy, each alternative led by a literal (same order)
    "phone_ctx_lc": (r"t(?<!\wt)elephone|p(?<!\wp)hone|t(?<!\wt)el\b|m(?<!\wm)obile?|m(?<!\wm)ob\b|"
                     r"c(?<!\wc)ell(?:phone|ular)?\b|c(?<!\wc)all(?:\s+me)?\b|t(?<!\wt)ext\s+me|s(?<!\ws)ms|"
                     r"w(?<!\ww)hats\s?app|f(?<!\wf)ax|l(?<!\wl)andline|r(?<!\wr)each\s+me|r(?<!\wr)ing\s+me|"
                     r"c(?<!\wc)ontact\s+(?:me|number)|t(?<!\wt)elefon\w*|h(?<!\wh)andy\w*|m(?<!\wm)obil\w*|"
                     r"f(?<!\wf)estnetz\w*|r(?<!\wr)ufnummer|a(?<!\wa)nruf\w*|r(?<!\wr)uf\s+mich|e(?<!\we)rreich\w*|"
                     r"t(?<!\wt)[ée]l[ée]phone|t(?<!\wt)[ée]l\b|p(?<!\wp)ortable\b|f(?<!\wf)ixe\b|"
                     r"m(?<!\wm)on\s+num[ée]ro|n(?<!\wn)um[ée]ro\s+de\s+t[ée]l[ée]phone|a(?<!\wa)ppel\w*|"
                     r"r(?<!\wr)appel\w*|j(?<!\wj)oindre|t(?<!\wt)el[ée]fono|m(?<!\wm)[óo]vil|c(?<!\wc)elular|"
                     r"l(?<!\wl)lam\w*|m(?<!\wm)i\s+n[úu]mero|m(?<!\wm)eine\s+nummer|c(?<!\wc)ellulare|"
                     r"t(?<!\wt)elem[óo]vel|t(?<!\wt)elefoon\w*|m(?<!\wm)obiel\w*|k(?<!\wk)om[óo]rk\w*|k(?<!\wk)om\.|"
                     r"c(?<!\wc)hiam\w*|b(?<!\wb)el (?:me|mij)\b|z(?<!\wz)adzwo[ńn]\w*|m(?<!\wm)i[oa]\s+numero|"
                     r"m(?<!\wm)eu\s+n[úu]mero|m(?<!\wm)ijn\s+(?:telefoon)?nummer|m(?<!\wm)[óo]j\s+numer|"
                     r"m(?<!\wm)y\s+(?:(?:phone|cell|mobile|home|work|direct)\s+)?number|e(?<!\we)mergency\s+contact|"
                     r"c(?<!\wc)allbacks?\b|c(?<!\wc)all-back|r(?<!\wr)[üu]ckruf\w*|l(?<!\wl)ig(?:ue|ar|a)[\s\-]+(?:para|me)\b|"
                     r"o(?<!\wo)ddzwo[ńn]\w*|r(?<!\wr)ichiam\w*|t(?<!\wt)erugbel\w*", 0),
    # a line label or short label right before a number (no needle: checked per candidate in the
    # 48 characters before it): "M: 415-...", "Ph: ", "Direct: ", "Home 415-..." (a signature block)
    "phone_label": (r"(?:(?:^|(?<=\n))[ \t>*\-]*(?-i:[MTCHWOF])\.?[ \t]*:|\b(?:ph|direct(?:[ \t]+(?:line|dial|no|number))?|"
                    r"home|work|office|emergency(?:[ \t]+(?:contact|no|number))?))"
                    r"[ \t]*\.?[ \t]*[:=#]?[ \t]*\Z", _I),
    # a NANP number written with its leading 1 and one separator throughout: "1-415-867-5309"
    # (toll-free area codes are business lines)
    "phone_nanp1": (r"1([-. ])(?!8(?:00|33|44|55|66|77|88)\1)[2-9]\d\d\1[2-9]\d\d\1\d{4}", 0),
    "phone_business": (r"\b(?:public|information\s+line|info\s+line|hotline|helpline|switchboard|reception|"
                       r"front\s+desk|customer\s+(?:service|support|care)|support\s+line|toll[\s\-]free|"
                       r"museum|embassy|consulate|kundenservice|kundendienst|zentrale|servicenummer|"
                       r"accueil|standard|service\s+client|num[ée]ro\s+vert|atenci[óo]n\s+al\s+cliente|"
                       r"centralita)\b", _I),
    # phone_business for the lower-case copy, each alternative led by a literal (same order)
    "phone_business_lc": (r"p(?<!\wp)ublic\b|i(?<!\wi)nformation\s+line\b|i(?<!\wi)nfo\s+line\b|h(?<!\wh)otline\b|"
                          r"h(?<!\wh)elpline\b|s(?<!\ws)witchboard\b|r(?<!\wr)eception\b|f(?<!\wf)ront\s+desk\b|"
                          r"c(?<!\wc)ustomer\s+(?:service|support|care)\b|s(?<!\ws)upport\s+line\b|"
                          r"t(?<!\wt)oll[\s\-]free\b|m(?<!\wm)useum\b|e(?<!\we)mbassy\b|c(?<!\wc)onsulate\b|"
                          r"k(?<!\wk)undenservice\b|k(?<!\wk)undendienst\b|z(?<!\wz)entrale\b|s(?<!\ws)ervicenummer\b|"
                          r"a(?<!\wa)ccueil\b|s(?<!\ws)tandard\b|s(?<!\ws)ervice\s+client\b|n(?<!\wn)um[ée]ro\s+vert\b|"
                          r"a(?<!\wa)tenci[óo]n\s+al\s+cliente\b|c(?<!\wc)entralita\b", 0),
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
        r"|((?:sk|rk)_(?:live|test|prod)_)[A-Za-z0-9]{10,99}(?!\w)"
        r"|(whsec_)[A-Za-z0-9+/=]{20,}(?![\w+/=])"
        r"|(sk-ant-)[A-Za-z0-9_\-]{20,}(?![\w\-])"
        r"|(sk-(?:proj-|svcacct-|admin-|None-))[A-Za-z0-9_\-]{20,}(?![\w\-])"
        r"|(?<!-)(sk-)[A-Za-z0-9_\-]{20,}(?![\w\-])"  # not the "-sk-" of a slug
        r"|(AIza)[0-9A-Za-z_\-]{35}(?![\w\-])"
        r"|(npm_)[A-Za-z0-9]{36}(?!\w)"
        r"|(pypi-)[A-Za-z0-9_\-]{50,}(?![\w\-])"
        r"|(hf_)[A-Za-z0-9]{30,}(?!\w)"
        r"|(eyJ)[A-Za-z0-9_\-]{10,}\.eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}(?![\w\-])"
        # GitLab PAT/deploy/runner/feed tokens (20 chars, a few either way for a mistyped copy of
        # this unmistakable prefix, or the routable form with a ".01.crc" tail)
        r"|(glpat-|gldt-|glrt-|glft-)(?:[A-Za-z0-9_\-]{18,40}|[A-Za-z0-9_\-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7})(?![\w\-]|\.[0-9a-z])"
        r"|(glptt-)[0-9a-f]{40}(?!\w)"
        r"|(hooks\.slack\.com/)(?:services|workflows|triggers)/[A-Za-z0-9+/]{40,80}(?![\w+/])"
        r"|(SG\.)[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}(?![\w\-])"  # SendGrid
        r"|(shp(?:at|ss|ca|pa)_)[a-fA-F0-9]{32}(?!\w)"  # Shopify
        r"|(do[opr]_v1_)[a-f0-9]{64}(?!\w)"  # DigitalOcean
        r"|(?<!-)(xai-)[A-Za-z0-9]{80}(?![\w\-])"  # xAI
        r"|(discord(?:app)?\.com/api/webhooks/)\d{17,20}/[A-Za-z0-9_\-]{60,100}(?![\w\-])"  # Discord webhook
        r"|(gsk_)[A-Za-z0-9]{52}(?!\w)"  # Groq
        r"|(AGE-SECRET-KEY-1)[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}(?![A-Za-z0-9])"  # age (bech32)
        r")", 0),
    # key = value (group 1 = key name; the value follows the match)
    "key_assign": (
        r"(?:(?<![A-Za-z])(?:pass|pwd|pw)|pass(?:word|wd|phrase)|secret(?:[_\-]?access)?[_\-]?key|secret|"
        r"token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|client[_\-]?secret|"
        r"credentials?|passwort|kennwort|mot[ \t_\-]de[ \t_\-]passe|contrase[ñn]a|"
        r"(?<![A-Za-z])senha|wachtwoord|(?<![A-Za-z])has[łl]o(?![A-Za-z])|account[_\-]?key|shared[_\-]?access[_\-]?key|"
        r"(?<![A-Za-z])psk(?![A-Za-z])|pre[_\- ]?shared[_\- ]?key|пароль|パスワード|密码|密碼|비밀번호|"
        r"(?<![A-Za-z])[şs]ifre(?![A-Za-z])|(?<![A-Za-z])parola(?![A-Za-z])|l[öo]senord|salasana)"
        r"[\"']?[ \t]*(?::=|=>|=|:)[ \t]*(?:(?:\r?\n|[\u2028\u2029\x85])[ \t]*){0,2}", _I),
    "bare_value": (r"[^\s\"'`]+", 0),
    "port_path": (r"\d{1,5}(?:/|$)", 0),
    "conn_next": (r";(?=[A-Za-z][A-Za-z ]{1,40}=)", 0),  # the next field of a connection string
    # the same credential patterns for the lower-case copy (see _match_copy), each alternative
    # led by a literal so the engine skips to candidate characters; same matches, same order
    "key_assign_lc": (
        r"(?:p(?<![A-Za-z]p)(?:ass|wd|w)|pass(?:word|wd|phrase)|secret(?:[_\-]?access)?[_\-]?key|secret|"
        r"token|api[_\-]?key|apikey|access[_\-]?key|private[_\-]?key|client[_\-]?secret|"
        r"credentials?|passwort|kennwort|mot[ \t_\-]de[ \t_\-]passe|contrase[ñn]a|"
        r"s(?<![A-Za-z]s)enha|wachtwoord|h(?<![A-Za-z]h)as[łl]o(?![A-Za-z])|account[_\-]?key|shared[_\-]?access[_\-]?key|"
        r"p(?<![A-Za-z]p)sk(?![A-Za-z])|pre[_\- ]?shared[_\- ]?key|пароль|パスワード|密码|密碼|비밀번호|"
        r"ş(?<![A-Za-z]ş)ifre(?![A-Za-z])|s(?<![A-Za-z]s)ifre(?![A-Za-z])|p(?<![A-Za-z]p)arola(?![A-Za-z])|"
        r"l[öo]senord|salasana)"
        r"[\"']?[ \t]*(?::=|=>|=|:)[ \t]*(?:(?:\r?\n|[\u2028\u2029\x85])[ \t]*){0,2}", 0),
    "key_flag_lc": (r"-(?<![\w\-]-)-(?:password|passwd|pass|token|api-key|apikey|secret|client-secret)"
                    r"(?:=|[ \t]+)", 0),
    "key_auth_lc": (r"authorization(?<!\wauthorization)[\"']?[ \t]*[:=][ \t]*f?[\"']?[ \t]*"
                    r"(?:bearer|basic|token|digest)[ \t]+", 0),
    "key_prose_lc": (r"(?:p(?<!\wp)(?:assword|asswort|asswd|wd|w)|k(?<!\wk)ennwort|p(?<!\wp)(?:assphrase|asscode)|"
                     r"m(?<!\wm)ot\s+de\s+passe|c(?<!\wc)ontrase[ñn]a|s(?<!\ws)enha|w(?<!\ww)achtwoord|h(?<!\wh)as[łl]o)"
                     r"(?:\s+(?:(?:for|to|of|on|at)\s+(?:(?:the|my|our|this|that|your)\s+)?\S+\s+)?"
                     r"(?:is|was|ist|lautet|war|est|es|era|è|e'|é|jest)\b\s*:?\s*"
                     r"|\s+(?:for|to|of|on|at)\s+(?:(?:the|my|our|this|that)\s+)?[^\s:]+[ \t]*:[ \t]*)", 0),
    "key_flag": (r"(?<![\w\-])--(?:password|passwd|pass|token|api-key|apikey|secret|client-secret)(?:=|[ \t]+)", _I),
    "key_auth": (r"\bauthorization[\"']?[ \t]*[:=][ \t]*f?[\"']?[ \t]*(?:bearer|basic|token|digest)[ \t]+", _I),
    # command lines that carry a password (the value follows the match): curl -u user:pass,
    # mysql -pPASS (attached; a bare -p prompts), sshpass -p PASS; case-sensitive (-p is not -P)
    "key_cli_curl": (r"(?<![\w\-./])curl(?:\.exe)?\b[^\n|;&]{0,300}?[ \t](?:-u|--user|-U|--proxy-user)(?:[ \t]+|=)", 0),
    "key_cli_mysql": (r"(?<![\w\-./])(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mariadb|"
                      r"mariadb-dump|mariadb-admin)\b[^\n|;&]{0,300}?[ \t]-p(?=[^\s\-])", 0),
    "key_cli_sshpass": (r"(?<![\w\-./])sshpass\b[^\n|;&]{0,100}?[ \t]-p[ \t]*", 0),
    # Windows "net use \\srv\share /user:DOMAIN\name PASSWORD" (a "*" prompts for it)
    "key_cli_netuse": (r"(?<![\w\-./])net(?:\.exe)?[ \t]+use\b[^\n|;&]{0,300}?[ \t]/u(?:ser)?:[^\s\"]+[ \t]+", _I),
    # registry logins (docker login -u USER -p PASS; not --password-stdin), smbclient -U user%pass
    "key_cli_login": (r"(?<![\w\-./])(?:docker|podman|nerdctl|buildah|skopeo|az|oras|crane|oc|cf|helm[ \t]+registry)"
                      r"[ \t]+login\b[^\n|;&]{0,300}?[ \t](?:-p|--password)(?:[ \t]+|=)", 0),
    "key_cli_smb": (r"(?<![\w\-./])(?:smbclient|rpcclient|smbget|smbcacls|smbmap)\b[^\n|;&]{0,300}?[ \t](?:-U|--user)"
                    r"(?:[ \t]+|=)", 0),
    # "Bearer TOKEN" anywhere, also '"Bearer " + "TOKEN"' (the token follows: key_bearer_value)
    "key_bearer": (r"\bbearer(?:[ \t]*[\"'`][ \t]*\+[ \t]*[\"'`]|[ \t]+)", _I),
    "key_bearer_value": (r"[A-Za-z0-9\-._~+/]{20,1024}=*", 0),
    # NAME_KEY / NAME_AUTH / NAME_DSN / key = value (the name before is checked by the caller)
    "key_env": (r"(?:key|auth|dsn)(?![A-Za-z0-9_\-])[\"']?[ \t]*(?::=|=>|=|:)[ \t]*", _I),
    "key_env_name": (r"[A-Za-z0-9_\-.]{0,64}\Z", 0),
    # names of keys that are no secrets (database, cache and map keys, public keys, key ids)
    "key_env_skip": (r"primary|foreign|sort|partition|cache|hash|public|publishable|pub_|site_?key|idempoten|dedup|"
                     r"shard|routing|lookup|index|unique|composite|cursor|etag|checksum|sha\d|md5|commit|object|"
                     r"bucket|s3|gpg|pgp|fingerprint|ssh|host_?key|map|dict|hot_?key|short|i18n|translation|label|"
                     r"message|row|range|group|order|field|column|attr|prop|list|item|track|join|cluster|"
                     r"license|product|serial|kid|key_?id|region|namespace|prefix|suffix", _I),
    "key_uuid": (r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}", 0),
    "key_sha_hex": (r"[0-9a-f]{40}|[0-9A-F]{40}|[0-9a-f]{64}|[0-9A-F]{64}", 0),
    # "Password - VALUE", a label alone on its line with the value alone on the next line,
    # "(pw VALUE)", "pwd VALUE", "user jdoe pass VALUE"
    "key_label": (r"\b(?:password|passwort|kennwort|passwd|pwd|pw)(?:[ \t]+-[ \t]+|[ \t]*\r?\n[ \t]*)", _I),
    "key_bare_pw": (r"(?<![\w\-./$])(?:pw|pwd|passwd)[ \t]+", _I),
    "key_userpass": (r"\b(?:user(?:name)?|login)\b[ \t]*[:=]?[ \t]*[^\s:/\"'@,;=]{1,64}[ \t]*[,;/]?[ \t]+"
                     r"(?:pass(?:word|wd)?|pwd|pw)[ \t]*[:=]?[ \t]*", _I),
    # a Gmail app password as Google shows it: four groups of four lower-case letters
    # the patterns above for the lower-case copy (see _ci_scan), each alternative led by a literal
    "key_bearer_lc": (r"b(?<!\wb)earer(?:[ \t]*[\"'`][ \t]*\+[ \t]*[\"'`]|[ \t]+)", 0),
    "key_env_lc": (r"(?:key|auth|dsn)(?![a-z0-9_\-])[\"']?[ \t]*(?::=|=>|=|:)[ \t]*", 0),
    "key_label_lc": (r"(?:p(?<!\wp)(?:assword|asswort|asswd|wd|w)|k(?<!\wk)ennwort)(?:[ \t]+-[ \t]+|[ \t]*\r?\n[ \t]*)", 0),
    "key_bare_pw_lc": (r"p(?<![\w\-./$]p)(?:w|wd|asswd)[ \t]+", 0),
    "key_userpass_lc": (r"(?:u(?<!\wu)ser(?:name)?|l(?<!\wl)ogin)\b[ \t]*[:=]?[ \t]*[^\s:/\"'@,;=]{1,64}[ \t]*[,;/]?[ \t]+"
                        r"(?:pass(?:word|wd)?|pwd|pw)[ \t]*[:=]?[ \t]*", 0),
    "key_app_password": (r"[a-z]{4}(?:[ \t][a-z]{4}){3}(?![\w])", 0),
    # labels whose one-word value counts, like a password's: shared secrets and PSKs, and the
    # password words of more languages (_PASSWORD_KEY has the others; "parola", Italian "word",
    # is in neither)
    "key_pw_label": (r"(?<![\w\-:.])secret(?![\w\-])|(?<![A-Za-z0-9\-:.])(?:psk|pre[_\- ]?shared[_\- ]?key)(?![\w\-])|"
                     r"shared[_\- ]?secret|пароль|"
                     r"パスワード|密码|密碼|비밀번호|[şs]ifre|l[öo]senord|salasana", _I),
    # "login: admin / pass", "creds admin:pass": a label, then user and password (groups 1-3)
    "key_pair": (r"\b(login|logon|creds?|credentials|user(?:name)?[ \t]*/[ \t]*pass(?:word)?)[ \t]*"
                 r"(?:[:=][ \t]*|[ \t](?:(?:are|is|was|were)[ \t]*:?[ \t]+)?)"
                 r"([^\s:/\"'@,;=]{1,64})(?::|[ \t]*/[ \t]*)(?!/)([^\s\"']{1,128})", _I),
    # a name/value pair naming a credential: Kubernetes/Compose ``- name: DB_PASSWORD`` +
    # ``value: ...``, ECS ``{"name": "X", "value": "..."}``, Postman ``"key": ...``, CloudFormation
    # ``"ParameterKey": ...`` + ``"ParameterValue": ...``; group 1 = the name (the value follows the match)
    "key_name_value": (r"(?<![\w\-])(?:name|key|parameter_?key|parameter_?name)[\"']?[ \t]*[:=][ \t]*[\"']?"
                       r"([A-Za-z][A-Za-z0-9_.\-]{0,63})[\"']?[ \t]*,?[ \t]*(?:\r?\n[ \t]*)?"
                       r"[\"']?(?:value|parameter_?value)[\"']?[ \t]*[:=][ \t]*", _I),
    # the same two for the lower-case copy (see _match_copy), led by literals
    "key_name_value_lc": (r"(?:n(?<![\w\-]n)ame|k(?<![\w\-]k)ey|p(?<![\w\-]p)arameter_?(?:key|name))[\"']?[ \t]*[:=][ \t]*[\"']?"
                          r"([a-z][a-z0-9_.\-]{0,63})[\"']?[ \t]*,?[ \t]*(?:\r?\n[ \t]*)?"
                          r"[\"']?(?:value|parameter_?value)[\"']?[ \t]*[:=][ \t]*", 0),
    "key_pw_to_lc": (r"(?:r(?<!\wr)eset(?:ting)?|s(?<!\ws)et(?:ting)?|c(?<!\wc)hang(?:e[sd]?|ing)|u(?<!\wu)pdat(?:e[sd]?|ing))"
                     r"[ \t]+(?:(?:the|my|his|her|their|our|your|its|an?|[\w\-]+'s)[ \t]+)?(?:[\w\-]+[ \t]+)?"
                     r"(?:password|passwort|pwd)[ \t]+to[ \t]+"
                     r"|p(?<!\wp)(?:assword|wd)[ \t]+(?:(?:was|is|has[ \t]+been|had[ \t]+been|got|been)[ \t]+)?"
                     r"(?:re)?set[ \t]+to[ \t]+"
                     r"|w(?<!\ww)ith[ \t]+(?:the[ \t]+)?password[ \t]+(?!(?:for|of|to|and|is|was|as|from|in|on|at|that|which)\b)",
                     0),
    # a password set to a value in prose: "set the password to X", "the password was reset to X",
    # "ssh root@host with password X" (the value follows the match)
    "key_pw_to": (r"\b(?:(?:re)?set(?:ting)?|chang(?:e[sd]?|ing)|updat(?:e[sd]?|ing))[ \t]+(?:(?:the|my|his|her|their|"
                  r"our|your|its|an?|[\w\-]+'s)[ \t]+)?(?:[\w\-]+[ \t]+)?(?:password|passwort|pwd)[ \t]+to[ \t]+"
                  r"|\b(?:password|pwd)[ \t]+(?:(?:was|is|has[ \t]+been|had[ \t]+been|got|been)[ \t]+)?(?:re)?set[ \t]+to[ \t]+"
                  r"|\bwith[ \t]+(?:the[ \t]+)?password[ \t]+(?!(?:for|of|to|and|is|was|as|from|in|on|at|that|which)\b)", _I),
    "key_url": (r"\b[a-z][a-z0-9+.\-]{1,20}://([^\s:/@'\"<>]{0,64}):([^\s@/'\"<>]{1,128})@[\w\-\[]", _I),
    "key_prose": (r"\b(?:password|passwort|passwd|pwd|pw|kennwort|passphrase|passcode|mot\s+de\s+passe|contrase[ñn]a|"
                  r"senha|wachtwoord|has[łl]o)"
                  r"(?:\s+(?:(?:for|to|of|on|at)\s+(?:(?:the|my|our|this|that|your)\s+)?\S+\s+)?"
                  r"(?:is|was|ist|lautet|war|est|es|era|è|e'|é|jest)\b\s*:?\s*"
                  r"|\s+(?:for|to|of|on|at)\s+(?:(?:the|my|our|this|that)\s+)?[^\s:]+[ \t]*:[ \t]*)", _I),
    "placeholder": (r"\.\.\.|…|^<.*>$|^\{.*\}$|\{\{|\$\{|^\$\(?[A-Za-z_]|%\(|^%s$|^%[A-Za-z_]+%$|"
                    r"os\.environ|getenv|process\.env|\benv\(|ENV\[|secrets\.|vault|keyring|"
                    r"x{4,}|\*{3,}|#{4,}|•{3,}|(?-i:^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$)", _I),
    "placeholder_word": (r"your|example|placeholder|changeme|change_me|redacted|dummy|insert|replace|"
                         r"goes_?here|fake|sample", _I),
    # "placeholder" in three parts for the lower-case value (see _placeholder_shape): anywhere,
    # at the start, and the case-sensitive CONSTANT_NAME; and "placeholder_word" likewise
    "placeholder_any_lc": (r"\.\.\.|…|\{\{|\$\{|%\(|os\.environ|getenv|process\.env|e(?<!\we)nv\(|env\[|secrets\.|"
                           r"vault|keyring|xxxx|\*\*\*|####|•••", 0),
    "placeholder_start_lc": (r"<.*>$|\{.*\}$|\$\(?[a-z_]|%s$|%[a-z_]+%$", 0),
    "placeholder_const": (r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$", 0),
    "placeholder_word_lc": (r"your|example|placeholder|changeme|change_me|redacted|dummy|insert|replace|"
                            r"goes_?here|fake|sample", 0),
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
    "dob_ctx": (r"\b(?:DOB|D\.O\.B\.?|date\s+of\s+birth|birth\s*date|birthday|b[-']?day|born(?!-again)(?:\s+on)?|"
                # genealogy's "b. 4 March 1971": lower-case, a date with a month name right after it
                # (not a list item's "b. 12/03/2024")
                r"(?<![\w.])(?-i:b)\.(?=[ \t]*(?:\d{1,2}(?:st|nd|rd|th|\.)?(?:[ \t]+|-))?" + _MONTHS + r"\b)|"
                r"geburtsdatum|geburtstag|geboren(?:\s+am)?|geb\.|n[ée]e?\s+le|n[ée]\(e\)\s+le|"
                r"date\s+de\s+naissance|fecha\s+de\s+nacimiento|f\.\s*nac\.|nacid[oa](?:\s+el)?|"
                # Italian, Portuguese, Dutch, Polish
                r"data\s+(?:di\s+)?nascita|(?<!la\s)(?-i:[Nn]at[oa])(?:/a)?\s+(?:il|a|ad)|data\s+de\s+nascimento|"
                r"nascid[oa](?:\s+(?:em|a))?|geboortedatum|data\s+urodzenia|"
                r"urodzon[ya](?:\s+dnia)?|urodzi[łl]a?\s+si[ęe]|ur\.)(?![^\W\d_])", _I),
    # a letter may touch a numeric date ("DOB12/03/1985"), not a month name
    "date": (r"(?<!\d)(?<!\d[./\-])(?:(?<![^\W\d_])|(?=\d))(?:"
             r"(\d{1,2})[./\-](\d{1,2})[./\-](\d{4}|\d{2})"
             r"|(\d{4})[./\-](\d{1,2})[./\-](\d{1,2})"
             r"|(\d{1,2})(?:st|nd|rd|th|er|\.|º)?(?:\s+(?:de\s+|of\s+)?|-)(" + _MONTHS + r")(?:\.?,?\s+(?:de\s+)?|-)(\d{4})"
             r"|(" + _MONTHS + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})"
             r"|((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])"  # compact ISO 8601 ("DOB:19710304")
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
        r"|\bfor[ \t]+official[ \t]+use[ \t]+only\b|\bcontrolled[ \t]+unclassified[ \t]+information\b"
        r"|\battorney[ \t]*[-–][ \t]*client[ \t]+privileged\b|(?-i:\bATTORNEY[ \t]*[-–][ \t]*CLIENT[ \t]+PRIVILEGE\b)|\balleen[ \t]+voor[ \t]+intern[ \t]+gebruik\b"
        r"|\bdo[ \t]+u(?:ż|z)ytku[ \t]+wewn(?:ę|e)trznego\b"
        r"|\bTLP[ \t]*:?[ \t]*(?:AMBER|RED)\b"
        r"|[(\[][ \t]*(?:internal|intern|interne|interno)[ \t]*[)\]]"
        r"|\b(?:sensitivity|(?:data[ \t]+)?classification)(?:[ \t]+label)?[ \t]*:[ \t]*(?:highly[ \t]+|strictly[ \t]+)?"
        r"(?:confidential|internal|restricted|secret|private|sensitive)\b"
        r"|\bmsip_label_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_name[ \t]*[=:][ \t]*[\"']?"
        r"(?:highly[ \t]+)?(?:confidential|internal|restricted|secret|private|sensitive)\b"
        r"|\bunder[ \t]+(?:an?[ \t]+)?nda\b|\bstrettamente[ \t]+riservat[oa]\b|\bściśle[ \t]+poufne\b"
        r"|社外秘|極秘|部外秘|取扱注意"
        r"|^[ \t>*#\[]*(?:[\w&/]+[ \t]+){0,2}(?:internal|intern|confidential|vertraulich|confidentiel|"
        r"confidencial)(?:[ \t]*[-–—:/|][ \t]*(?:internal|intern|interne|interno)\b)?(?:\]|(?=[ \t]*(?::|[-–—][ \t]|$))))"
        r"|\b(?:CONFIDENTIAL|VERTRAULICH|CONFIDENTIEL|CONFIDENCIAL|TOP[ \t]+SECRET|NOFORN)\b"
        r"|\bSECRET//"
        r"|\b(?:GEHEIM|VS-NfD|FOUO|OFFICIAL-SENSITIVE|NATO[ \t]+(?:SECRET|CONFIDENTIAL|RESTRICTED)|"
        r"SECRET[ \t]+D[ÉE]FENSE|RISERVATO|CONFIDENZIALE|VERTROUWELIJK|POUFNE|Poufne|ŚCIŚLE[ \t]+TAJNE)\b", _M),
    # the marking pattern in three parts, in its order of preference: the case-insensitive
    # alternatives (for the lower-case copy, each led by a literal), the line-start one, and
    # the upper-case words (on the text itself); see detect_classification_marking
    "marking_lc": (
        r"c(?<!\wc)onfidential[ \t]*[-–—:/|][ \t]*internal\b"
        r"|i(?<!\wi)nternal[ \t]*[-–—:/|][ \t]*confidential\b"
        r"|f(?<!\wf)or[ \t]+internal[ \t]+use[ \t]+only\b"
        r"|i(?<!\wi)nternal[ \t]+use[ \t]+only\b"
        r"|i(?<!\wi)nternal[\s_\-]+only\b"
        r"|c(?<!\wc)ompany[\s\-]+confidential\b|s(?<!\ws)trictly[ \t]+confidential\b"
        r"|c(?<!\wc)onfidential[ \t]+(?:and|&)[ \t]+proprietary\b"
        r"|p(?<!\wp)roprietary[ \t]+(?:and|&)[ \t]+confidential\b"
        r"|n(?<!\wn)ot[ \t]+for[ \t]+(?:external[ \t]+|public[ \t]+)?(?:distribution|release|circulation)\b"
        r"|d(?<!\wd)o[ \t]+not[ \t]+(?:forward|distribute|share[ \t]+externally)\b"
        r"|n(?<!\wn)ur[ \t]+f(?:ü|ue)r[ \t]+den[ \t]+(?:internen[ \t]+)?(?:dienst)?gebrauch\b"
        r"|s(?<!\ws)treng[ \t]+vertraulich\b|n(?<!\wn)ur[ \t]+intern\b"
        r"|d(?<!\wd)iffusion[ \t]+restreinte\b|u(?<!\wu)sage[ \t]+interne\b"
        r"|s(?<!\ws)trictement[ \t]+confidentiel\b"
        r"|u(?<!\wu)so[ \t]+interno\b|e(?<!\we)strictamente[ \t]+confidencial\b"
        r"|f(?<!\wf)or[ \t]+official[ \t]+use[ \t]+only\b|c(?<!\wc)ontrolled[ \t]+unclassified[ \t]+information\b"
        r"|a(?<!\wa)ttorney[ \t]*[-–][ \t]*client[ \t]+privileged\b|a(?<!\wa)lleen[ \t]+voor[ \t]+intern[ \t]+gebruik\b"
        r"|d(?<!\wd)o[ \t]+u(?:ż|z)ytku[ \t]+wewn(?:ę|e)trznego\b"
        r"|t(?<!\wt)lp[ \t]*:?[ \t]*(?:amber|red)\b"
        r"|\([ \t]*(?:internal|intern|interne|interno)[ \t]*[)\]]"
        r"|\[[ \t]*(?:internal|intern|interne|interno)[ \t]*[)\]]"
        r"|s(?<!\ws)ensitivity(?:[ \t]+label)?[ \t]*:[ \t]*(?:highly[ \t]+|strictly[ \t]+)?"
        r"(?:confidential|internal|restricted|secret|private|sensitive)\b"
        r"|d(?<!\wd)ata[ \t]+classification(?:[ \t]+label)?[ \t]*:[ \t]*(?:highly[ \t]+|strictly[ \t]+)?"
        r"(?:confidential|internal|restricted|secret|private|sensitive)\b"
        r"|c(?<!\wc)lassification(?:[ \t]+label)?[ \t]*:[ \t]*(?:highly[ \t]+|strictly[ \t]+)?"
        r"(?:confidential|internal|restricted|secret|private|sensitive)\b"
        r"|m(?<!\wm)sip_label_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}_name[ \t]*[=:][ \t]*[\"']?"
        r"(?:highly[ \t]+)?(?:confidential|internal|restricted|secret|private|sensitive)\b"
        r"|u(?<!\wu)nder[ \t]+(?:an?[ \t]+)?nda\b|s(?<!\ws)trettamente[ \t]+riservat[oa]\b|ś(?<!\wś)ciśle[ \t]+poufne\b"
        r"|社外秘|極秘|部外秘|取扱注意", 0),
    "marking_line_lc": (
        r"^[ \t>*#\[]*(?:[\w&/]+[ \t]+){0,2}(?:internal|intern|confidential|vertraulich|confidentiel|"
        r"confidencial)(?:[ \t]*[-–—:/|][ \t]*(?:internal|intern|interne|interno)\b)?"
        r"(?:\]|(?=[ \t]*(?::|[-–—][ \t]|$)))", _M),
    "marking_caps": (r"C(?<!\wC)ONFIDENTIAL\b|V(?<!\wV)ERTRAULICH\b|C(?<!\wC)ONFIDENTIEL\b|"
                     r"C(?<!\wC)ONFIDENCIAL\b|T(?<!\wT)OP[ \t]+SECRET\b|N(?<!\wN)OFORN\b|S(?<!\wS)ECRET//|"
                     r"G(?<!\wG)EHEIM\b|V(?<!\wV)S-NfD\b|F(?<!\wF)OUO\b|O(?<!\wO)FFICIAL-SENSITIVE\b|"
                     r"N(?<!\wN)ATO[ \t]+(?:SECRET|CONFIDENTIAL|RESTRICTED)\b|S(?<!\wS)ECRET[ \t]+D[ÉE]FENSE\b|"
                     r"R(?<!\wR)ISERVATO\b|C(?<!\wC)ONFIDENZIALE\b|V(?<!\wV)ERTROUWELIJK\b|P(?<!\wP)OUFNE\b|P(?<!\wP)oufne\b|"
                     r"Ś(?<!\wŚ)CIŚLE[ \t]+TAJNE\b|A(?<!\wA)TTORNEY[ \t]*[-–][ \t]*CLIENT[ \t]+PRIVILEGE\b", 0),
    # ---- unreleased financials
    "fin_marker": (r"\b(?:not[ \t]+(?:yet[ \t]+)?(?:been[ \t]+)?(?:disclosed|public|announced|released|published)"
                   r"(?:[ \t]+yet)?|undisclosed|unannounced|unreleased|unpublished|pre-?announcement|"
                   r"embargo(?:ed)?|draft|forecast|projected|preliminary|"
                   r"nicht[ \t]+ver(?:ö|oe)ffentlicht|unver(?:ö|oe)ffentlicht|vorl(?:ä|ae)ufig|"
                   r"non[ \t]+(?:publi[ée]e?s?|annonc[ée]e?s?)|pr[ée]visionnel\w*|"
                   r"no[ \t]+publicad[oa]s?|sin[ \t]+anunciar|provisional)\b", _I),
    "fin_marker_lc": (r"n(?<!\wn)ot[ \t]+(?:yet[ \t]+)?(?:been[ \t]+)?(?:disclosed|public|announced|released|published)"
                      r"(?:[ \t]+yet)?\b|u(?<!\wu)ndisclosed\b|u(?<!\wu)nannounced\b|u(?<!\wu)nreleased\b|"
                      r"u(?<!\wu)npublished\b|p(?<!\wp)re-?announcement\b|e(?<!\we)mbargo(?:ed)?\b|d(?<!\wd)raft\b|"
                      r"f(?<!\wf)orecast\b|p(?<!\wp)rojected\b|p(?<!\wp)reliminary\b|"
                      r"n(?<!\wn)icht[ \t]+ver(?:ö|oe)ffentlicht\b|u(?<!\wu)nver(?:ö|oe)ffentlicht\b|"
                      r"v(?<!\wv)orl(?:ä|ae)ufig\b|"
                      r"n(?<!\wn)on[ \t]+(?:publi[ée]e?s?|annonc[ée]e?s?)\b|p(?<!\wp)r[ée]visionnel\w*\b|"
                      r"n(?<!\wn)o[ \t]+publicad[oa]s?\b|s(?<!\ws)in[ \t]+anunciar\b|p(?<!\wp)rovisional\b", 0),
    "fin_term": (r"\b(?:ARR|MRR|revenues?|bookings|billings|EBITDA|churn|NRR|GRR|"
                 r"net[ \t]+revenue[ \t]+retention|acquisition[ \t]+price|valuation|run[\s\-]rate|"
                 r"earnings|guidance|Umsatz|chiffre[ \t]+d'affaires|ingresos|facturaci[óo]n)\b", _I),
    "fin_term_lc": (r"a(?<!\wa)rr\b|m(?<!\wm)rr\b|r(?<!\wr)evenues?\b|b(?<!\wb)ookings\b|b(?<!\wb)illings\b|"
                    r"e(?<!\we)bitda\b|c(?<!\wc)hurn\b|n(?<!\wn)rr\b|g(?<!\wg)rr\b|"
                    r"n(?<!\wn)et[ \t]+revenue[ \t]+retention\b|a(?<!\wa)cquisition[ \t]+price\b|"
                    r"v(?<!\wv)aluation\b|r(?<!\wr)un[\s\-]rate\b|e(?<!\we)arnings\b|g(?<!\wg)uidance\b|"
                    r"u(?<!\wu)msatz\b|c(?<!\wc)hiffre[ \t]+d'affaires\b|i(?<!\wi)ngresos\b|"
                    r"f(?<!\wf)acturaci[óo]n\b", 0),
    # fin_amount's two alternatives, searched one by one (only whether one occurs matters)
    "fin_amount_sign": (r"[$€£¥][ \t]?\d", 0),
    "fin_amount_number": (r"\d(?<!\w\d)[\d,.]*[ \t]?(?:[kKmMbB]n?\b|million|billion|Mio\b|Mrd\b|%|x\b|[$€£])", 0),
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
    norm, runs = _fold(text)
    if runs is None and norm != text:
        return norm, [(0, 0, True)]  # every character replaced one for one: offsets unchanged
    return norm, runs


#: ASCII characters that never change: printable ones, tab, line feed, carriage return.
_KEPT_BYTES = bytes(range(0x20, 0x7f)) + b"\t\n\r"
#: Per odd character (see :func:`_char_fold`): its replacement when it maps to exactly one
#: character whatever surrounds it, else None (dropped, expanded, or context-dependent).
_CHAR_FOLD: dict[str, str | None] = {}


def _odd_chars(text: str) -> str:
    """Every character of ``text`` outside printable ASCII, tab and line breaks, in order: the
    concatenated runs of ``_P.odd``, found with a byte-level delete (no regex scan)."""
    # UTF-8 sequences of non-ASCII characters use only bytes >= 0x80, so they survive whole
    return _utf8(text).translate(None, _KEPT_BYTES).decode("utf-8", "surrogatepass")


def _char_fold(ch: str) -> str | None:
    """The character ``ch`` always becomes, wherever it stands, or None when that depends on
    the context or is not exactly one character (see the per-character loop in :func:`_fold`).

    A character that NFKC and the fold table leave alone and that is no format character,
    combining mark or decimal digit stays itself in both branches of the loop. Any other
    character is special or not NFKC-normal, so its run always takes the per-character
    branch, where a one-character result that is no format character or combining mark
    (whose fate depends on the character before it) is what it always becomes."""
    import unicodedata

    n = unicodedata.normalize("NFKC", ch).translate(_fold_table()) if not ch.isascii() else ch.translate(_fold_table())
    if len(n) != 1:
        return None  # dropped (invisible) or expanded ("\ufb01" -> "fi", "\u2474" -> "(1)")
    if n.isascii():
        return n
    if unicodedata.category(n) in ("Cf", "Mn", "Me"):
        return None
    if n.isdecimal():
        return str(unicodedata.decimal(n))
    return n


#: Per odd character that :func:`_char_fold` does not fold one for one: its expansion when it
#: always becomes the same two or more characters and nothing around it depends on it
#: ("\u2026" -> "...", "\ufb01" -> "fi"), else None (see :func:`_char_expand`).
_CHAR_EXPAND: dict[str, str | None] = {}


def _char_expand(ch: str) -> str | None:
    """``ch``'s expansion in :func:`_normalize_slow`'s per-character branch when it is context
    free: NFKC gives two or more characters, none a format character, combining mark or
    non-ASCII decimal digit (whose fate depends on their neighbours or which the branch
    rewrites). None otherwise (dropped, or dependent on the context)."""
    import unicodedata

    if ch.isascii() or unicodedata.category(ch) in ("Cf", "Mn", "Me", "Cs"):
        return None
    n = unicodedata.normalize("NFKC", ch).translate(_fold_table())
    if len(n) < 2:
        return None
    for c in n:
        if not c.isascii() and (unicodedata.category(c) in ("Cf", "Mn", "Me") or c.isdecimal()):
            return None
    return n


def _fold(text: str) -> tuple[str, list[tuple[int, int, bool]] | None]:
    """The normalised text and its compact offset map (None: offsets unchanged, the text
    itself possibly changed character for character)."""
    odd = _odd_chars(text)
    if not odd:
        return text, None
    if not odd.isascii():
        import unicodedata

        # only the odd runs can change; when each is NFKC-normal with nothing to fold (checked on
        # their concatenation, which is stricter), the text is its own normalisation
        if unicodedata.is_normalized("NFKC", odd) and not _has_special(odd):
            return text, None
    folds = _CHAR_FOLD
    simple: list[tuple[str, str]] = []
    expand: list[tuple[str, str]] = []
    for ch in set(odd):
        to = folds.get(ch, False)
        if to is False:
            to = folds[ch] = _char_fold(ch)
        if to is None:
            exp = _CHAR_EXPAND.get(ch, False)
            if exp is False:
                exp = _CHAR_EXPAND[ch] = _char_expand(ch)
            if exp is None:
                return _normalize_slow(text)
            expand.append((ch, exp))
        elif to != ch:
            simple.append((ch, to))
    # one for one: each odd character becomes one character whatever surrounds it
    for ch, to in simple:
        text = text.replace(ch, to)
    if not expand:
        return text, None
    # context-free expansions ("\u2026" -> "..."): identity runs between them, and each
    # expansion's characters all come from the expanded character (as _normalize_slow maps them)
    where: list[tuple[int, str]] = []
    for ch, exp in expand:
        i = text.find(ch)
        while i != -1:
            where.append((i, exp))
            i = text.find(ch, i + 1)
    where.sort()
    pieces: list[str] = []
    runs: list[tuple[int, int, bool]] = []
    size = pos = 0
    for i, exp in where:
        if i > pos:
            pieces.append(text[pos:i])
            runs.append((size, pos, True))
            size += i - pos
        pieces.append(exp)
        runs.append((size, i, False))
        size += len(exp)
        pos = i + 1
    if pos < len(text):
        pieces.append(text[pos:])
        runs.append((size, pos, True))
    return "".join(pieces), runs


def _normalize_slow(text: str) -> tuple[str, list[tuple[int, int, bool]] | None]:
    """The reference normalisation, run by segment: characters dropped, expanded or folded
    depending on their neighbours (invisible characters, ligatures, marks on ASCII)."""
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
                        n = str(unicodedata.decimal(n))  # \u0663 -> 3
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


def _mask_date(value: str) -> str:
    """A date with only its four-digit year shown, whatever the order: ``1981-**-**``,
    ``**/**/1981``, ``***** **, 1981`` (month names starred); a two-digit year shows nothing,
    and no more than half the digits show (``*/*/199*``).
    Day and month (a birthday) are the identifying part; the year alone is an age band."""
    year = re.search(r"(?<!\d)(?:1[89]|20)\d\d(?!\d)", value)
    ys, ye = year.span() if year else (0, 0)
    ye = min(ye, ys + sum(c.isdigit() for c in value) // 2)  # never half the digits or more: 1/2/199*
    out = [c if ys <= i < ye else "*" if c.isalnum() else c for i, c in enumerate(value)]
    return _P.blanks.sub(" ", "".join(out))


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
    return _P.blanks.sub(" ", "".join(out))


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




def _last_text(fn: Callable[[str], Any]) -> Callable[[str], Any]:
    """Keep ``fn(text)`` for the last ``text`` seen (by identity): several detectors ask for the
    same derived copy of one prompt (its lower-case form, UTF-8 bytes, digit clusters, ...).
    The (text, result) pair is stored as one tuple, so a concurrent caller never mixes two
    texts'; ``.cache_clear()`` forgets it."""
    slot: list[tuple[Any, Any]] = [(None, None)]

    @wraps(fn)
    def cached(text: str):
        last = slot[0]
        if last[0] is text:
            return last[1]
        out = fn(text)
        slot[0] = (text, out)
        return out

    def cache_clear() -> None:
        slot[0] = (None, None)

    cached.cache_clear = cache_clear  # type: ignore[attr-defined]
    return cached


@_last_text
def _lower(text: str) -> str:
    """``text.lower()``, computed once per prompt (several detectors ask for the same text)."""
    low = text.lower() if text.isascii() else _lower_unicode(text)
    return low


def _lower_unicode(text: str) -> str:
    """``text.lower()`` for a text with non-ASCII characters, about 5x faster on mostly-ASCII
    text: the UTF-8 bytes lower-cased (ASCII letters only), then each distinct non-ASCII
    character that lower() changes replaced by its lower-case form. ``str.lower`` maps each
    character on its own except the Greek capital sigma (final or not depends on its
    neighbours): a text holding one takes ``text.lower()``."""
    odd = _odd_chars(text)
    if "\u03a3" in odd:
        return text.lower()
    low = _utf8(text).lower().decode("utf-8", "surrogatepass")
    for ch in set(odd):
        to = ch.lower()
        if to != ch:
            low = low.replace(ch, to)
    return low


class _Needles:
    """Every lower-case needle of the word-triggered detectors, searched in one pass.

    One Aho-Corasick automaton (``ahocorasick_rs``) over the union of the registered needle
    sets finds every occurrence of every needle in the lower-case text in one pass; each
    set's windows are those of its own needles' occurrences, so they are exactly those of a
    ``str.find`` loop per needle, for the cost of one pass instead of hundreds of substring
    scans. Without the library, a trie-shaped regex finds the longest needle at each
    position (the shorter ones there are its prefixes): the same occurrences, slower."""

    union: set[str] = set()
    preloaded = False
    version = 0
    words: list[str] = []  # the union, indexed by the automaton's values
    auto = None  # the automaton of the current version (False: the library is missing)
    dfa = None  # its DFA form, built for the first long text of the version
    rx: re.Pattern[str] | None = None  # the fallback trie regex of the current version
    prefixes: dict[str, list[str]] = {}  # fallback: needle -> the needles that are prefixes of it
    keys: dict[tuple[str, ...], int] = {}  # registered tuples -> their key
    ids: dict[int, tuple[tuple[str, ...], int]] = {}  # id of a tuple seen -> (the tuple, its key)
    member_of: dict[str, list[int]] = {}  # needle -> the keys of the registered tuples holding it
    # (low, version, {needle: [starts]}, {tuple key: [(needle, starts)]}) of the last text
    cache: tuple = (None, -1, None, None)
    # (text, version, {(id(needles), before, after): (needles, windows)}) of the last text
    win: tuple = (None, -1, None)


def _register_needles(needles: tuple[str, ...]) -> int:
    """Register a needle tuple (its needles join the automaton) and return its key. Looked up
    by the tuple's identity first: hashing a long tuple on every call would cost more."""
    got = _Needles.ids.get(id(needles))
    if got is not None and got[0] is needles:
        return got[1]
    key = _Needles.keys.get(needles)
    if key is None:
        key = _Needles.keys[needles] = len(_Needles.keys)
        new = set(needles) - _Needles.union
        if new:
            _Needles.union = _Needles.union | new
            _Needles.version += 1
            _Needles.auto = _Needles.dfa = None
        for w in set(needles):
            _Needles.member_of.setdefault(w, []).append(key)
        _Needles.cache = (None, -1, None, None)  # the per-set hits of the cached text lack this set
        _Needles.version += 1  # and so do the cached windows
    if len(_Needles.ids) > 4096:
        _Needles.ids.clear()  # callers that build a new tuple per call: bounded memory
    _Needles.ids[id(needles)] = (needles, key)  # holds the tuple, so its id is not reused
    return key


def trie_pattern(patterns: list[list[str]]) -> str:
    """One regex for many lists of atoms (regex pieces: escaped characters, or a separator
    class), as a trie: a few branches tried per position however many values there are; a
    longer match is preferred to a prefix of it. Used for the trigger words (:func:`_trie_rx`)
    and for redact-then-send's values (:mod:`hrouter.redact`)."""
    root: dict = {}
    for atoms in patterns:
        node = root
        for a in atoms:
            node = node.setdefault(a, {})
        node[""] = {}

    def build(node: dict) -> str:
        parts = []
        while True:  # a chain of single children needs no group (and no recursion: long values)
            items = [(a, child) for a, child in node.items() if a]
            if len(items) == 1 and "" not in node:
                parts.append(items[0][0])
                node = items[0][1]
                continue
            alts = [a + build(child) for a, child in items] + ([""] if "" in node else [])
            parts.append("(?:" + "|".join(alts) + ")")
            return "".join(parts)

    return build(root)


def _trie_rx(words: Iterable[str]) -> re.Pattern[str]:
    """A regex matching any of ``words``, shaped as a trie (longest match at a position)."""
    return re.compile(trie_pattern([[re.escape(ch) for ch in w] for w in words]))


#: Texts of at least this many characters are searched with the DFA form of the automaton.
_DFA_MIN = 4096


def _automaton(size: int = 0):
    """The Aho-Corasick automaton of the current needle union, or None when ``ahocorasick_rs``
    is not installed. For a text of ``size`` >= :data:`_DFA_MIN` characters, its DFA form:
    about 2x faster per byte (34 vs 75 us per 10 KB of source code here) but about 1 ms to
    build, which a short prompt (and ``hrouter explain``'s start-up) should not pay. Both
    forms find the same matches."""
    if _Needles.auto is None:
        _Needles.words = sorted(_Needles.union)
        _Needles.rx = None
        _Needles.dfa = None
        try:
            from ahocorasick_rs import AhoCorasick
        except ImportError:
            _Needles.auto = False
        else:
            _Needles.auto = AhoCorasick(_Needles.words)
    if size >= _DFA_MIN and _Needles.auto:
        if _Needles.dfa is None:
            from ahocorasick_rs import AhoCorasick, Implementation

            _Needles.dfa = AhoCorasick(_Needles.words, implementation=Implementation.DFA)
        return _Needles.dfa
    return _Needles.auto or None


def _trie_hits(low: str) -> dict[str, list[int]]:
    """:func:`_needle_hits` by a trie-shaped regex: the longest needle at each position, and
    the needles that are its prefixes (they start there too)."""
    if _Needles.rx is None:
        words = _Needles.words
        _Needles.rx = _trie_rx(words)
        _Needles.prefixes = {w: [u for u in words if w.startswith(u)] for w in words}
    prefixes = _Needles.prefixes
    search = _Needles.rx.search
    hits: dict[str, list[int]] = {}
    m = search(low)
    while m is not None:
        i = m.start()
        for w in prefixes[m.group()]:
            hits.setdefault(w, []).append(i)
        m = search(low, i + 1)
    return hits


def _needle_hits(low: str) -> dict[str, list[int]]:
    """Every registered needle occurring in ``low`` -> its start positions (ascending)."""
    return _needle_state(low)[0]


def _needle_state(low: str) -> tuple[dict[str, list[int]], dict[int, list[tuple[str, list[int]]]]]:
    """(:func:`_needle_hits`, each registered tuple's key -> its needles' hits) for ``low``,
    kept for the last text in one tuple (so concurrent callers never mix two texts')."""
    cached = _Needles.cache
    if cached[0] is low and cached[1] == _Needles.version:
        return cached[2], cached[3]
    auto = _automaton(len(low))
    try:
        found = auto.find_matches_as_indexes(low, overlapping=True) if auto is not None and low else None
    except Exception:  # noqa: BLE001 - a lone surrogate (the library takes valid Unicode only), or
        found = None  # any other failure: the regex finds the same hits
    if found is None:
        hits = _trie_hits(low) if low else {}
    else:
        hits = {}
        words = _Needles.words
        for k, i, _ in found:
            w = words[k]
            pos = hits.get(w)
            if pos is None:
                hits[w] = [i]
            else:
                pos.append(i)
    by_set: dict[int, list[tuple[str, list[int]]]] = {}
    member_of = _Needles.member_of
    for w, pos in hits.items():
        for key in member_of[w]:
            got = by_set.get(key)
            if got is None:
                by_set[key] = [(w, pos)]
            else:
                got.append((w, pos))
    _Needles.cache = (low, _Needles.version, hits, by_set)
    return hits, by_set


def _lower_windows(text: str, needles: tuple[str, ...], before: int, after: int) -> list[tuple[int, int]]:
    """:func:`_windows` of ``text`` around the lower-case ``needles`` found in its lower-case copy
    (kept for the text until its needle hits are recomputed; do not modify the list)."""
    win = _Needles.win
    if win[0] is text and win[1] == _Needles.version:
        got = win[2].get((id(needles), before, after))
        if got is not None and got[0] is needles:
            return got[1]
    low = _lower(text)
    n = len(text)
    if len(low) != n:
        return [(0, n)]
    set_key = _register_needles(needles)
    found = _needle_state(low)[1].get(set_key)
    merged = []
    if found:
        merged = _merge_windows(found, before, after, n)
    win = _Needles.win
    if win[0] is not text or win[1] != _Needles.version:
        win = _Needles.win = (text, _Needles.version, {})
    win[2][(id(needles), before, after)] = (needles, merged)
    return merged


def _merge_windows(found: list[tuple[str, list[int]]], before: int, after: int, n: int) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for w, pos in found:
        k = len(w) + after
        spans += [(i - before, i + k) for i in pos]
    if len(spans) > 1:
        spans.sort()
    return _merge_spans(spans, n, 0)


def _merge_spans(spans: list[tuple[int, int]], n: int, gap: int) -> list[tuple[int, int]]:
    """Sorted ``spans`` clipped to ``[0, n)`` and merged where they overlap or lie at most
    ``gap`` characters apart."""
    merged = []
    ms = me = -1  # the window being merged
    for s, e in spans:
        if e > n:
            e = n
        if me != -1 and s <= me + gap:
            if e > me:
                me = e
        else:
            if me != -1:
                merged.append((ms, me))
            ms, me = (s if s > 0 else 0), e
    if me != -1:
        merged.append((ms, me))
    return merged


def _intersect_windows(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The overlaps of two sorted lists of disjoint windows (text near needles of both sets)."""
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        s, e = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if s < e:
            out.append((s, e))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _any_needle(text: str, needles: tuple[str, ...]) -> bool:
    """Whether any of the lower-case ``needles`` occurs in ``text.lower()``."""
    low = _lower(text)
    set_key = _register_needles(needles)
    return set_key in _needle_state(low)[1]


def _case_windows(text: str, needles: tuple[str, ...], before: int, after: int) -> list[tuple[int, int]]:
    """:func:`_windows` of ``text`` around the case-sensitive ``needles``, from :func:`_case_hits`."""
    n = len(text)
    merged: list[tuple[int, int]] = []
    for i, needle in _case_hits(text, needles):
        s, e = max(0, i - before), min(n, i + len(needle) + after)
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def _case_hits(text: str, needles: tuple[str, ...]) -> list[tuple[int, str]]:
    """(position, needle) of every occurrence of the case-sensitive ``needles`` in ``text``,
    sorted: the automaton's hits of their lower-case forms, kept where the case matches
    (a find loop per needle when lower() changed the length)."""
    low = _lower(text)
    if len(low) != len(text):
        found = []
        for needle in needles:
            i = text.find(needle)
            while i != -1:
                found.append((i, needle))
                i = text.find(needle, i + 1)
        found.sort()
        return found
    lows = _CASE_LOWS.get(id(needles))
    if lows is None or lows[0] is not needles:
        lows = (needles, tuple(n.lower() for n in needles), {})
        for n in needles:
            lows[2].setdefault(n.lower(), []).append(n)
        _CASE_LOWS[id(needles)] = lows
    set_key = _register_needles(lows[1])
    by_set = _needle_state(low)[1]
    found = []
    startswith = text.startswith
    for lw, pos in by_set.get(set_key, ()):
        for needle in lows[2][lw]:
            found += [(i, needle) for i in pos if needle == lw or startswith(needle, i)]
    found.sort()
    return found


_CASE_LOWS: dict[int, tuple[tuple[str, ...], tuple[str, ...], dict[str, list[str]]]] = {}




@_last_text
def _match_copy(text: str) -> str | None:
    """A copy of ``text`` on which a case-sensitive pattern of lower-case literals matches
    exactly where the case-insensitive one matches on ``text``: ``text.lower()`` with the
    dotless i and the long s folded (Python's IGNORECASE matches them to i and s). None
    when lower() changes the length (the dotted capital I): use the case-insensitive pattern."""
    low = _lower(text)
    if len(low) != len(text):
        lc = None
    elif low.isascii() or ("\u0131" not in low and "\u017f" not in low):
        lc = low  # the same object: needles found in it hold for the match copy too
    else:
        lc = low.replace("\u0131", "i").replace("\u017f", "s")
    return lc


def _ci_scan(name: str, text: str, windows: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """:func:`_scan` of the case-insensitive pattern ``name`` over ``text``: its ``_lc`` form on
    :func:`_match_copy` (same spans; take values from ``text``, not from the match)."""
    lc = _match_copy(text)
    if lc is None:
        return _scan(getattr(_P, name), text, windows)
    return _scan(getattr(_P, name + "_lc"), lc, windows)


def _scan(rx: re.Pattern[str], text: str, windows: list[tuple[int, int]]) -> Iterable[re.Match[str]]:
    """``rx.finditer`` over the windows only. Each hit is re-matched on the whole text at its
    start, so a window's end never cuts a match short or satisfies a lookahead falsely."""
    return _scan_windows(rx, text, windows) if windows else ()


def _scan_windows(rx: re.Pattern[str], text: str, windows: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    last = -1
    finditer, match = rx.finditer, rx.match
    for ws, we in windows:
        for m in finditer(text, ws, we):
            start = m.start()
            if start < last:
                continue
            full = match(text, start)
            if full is None:
                continue
            last = full.end()
            if last <= start:
                last = start + 1
            yield full


#: Texts known to hold ASCII digits only (the normalised prompt): their clusters can be
#: found on bytes, where ``\d`` is ``[0-9]``.
_ASCII_DIGITS: list = [None]


@_last_text
@_last_text
def _utf8(text: str) -> bytes:
    """``text`` as UTF-8 (lone surrogates passed through), kept for the last text."""
    data = text.encode("ascii") if text.isascii() else text.encode("utf-8", "surrogatepass")
    return data


def _byte_table(groups: dict[bytes, bytes]) -> bytes:
    """A ``bytes.translate`` table: each byte of a key -> its value, every other byte -> space."""
    table = bytearray(b" " * 256)
    for chars, to in groups.items():
        for c in chars:
            table[c] = to[0]
    return bytes(table)


#: Digits -> "0", the separators a cluster may hold -> "-"; "_" and "|" (no cluster
#: separators) -> "_", which shows card groups joined by them (see _card_sep_windows); every
#: other byte (a UTF-8 sequence included) -> " ".
_CLUSTER_BYTES = _byte_table({b"0123456789": b"0", b" \t\r\n().-/+AB": b"-", b"_|": b"_"})
#: The base64 alphabets (standard and URL-safe) -> "a", every other byte -> " ".
_B64_BYTES = _byte_table({b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/_-": b"a"})
#: Hex digits -> "h", a space or colon -> ":", every other byte -> " " (the decode pass's hex dumps).
_HEXSEP_BYTES = _byte_table({b"0123456789ABCDEFabcdef": b"h", b" :": b":"})
#: ASCII letters -> "L", ASCII digits -> "0", every other byte -> " ".
_ALNUM_BYTES = _byte_table({b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz": b"L", b"0123456789": b"0"})
#: Upper-case ASCII letters -> "U", ASCII digits -> "0", every other byte -> " ".
_UPPER_BYTES = _byte_table({b"ABCDEFGHIJKLMNOPQRSTUVWXYZ": b"U", b"0123456789": b"0"})
#: UTF-8 continuation bytes: deleting them leaves one byte per character.
_CONTINUATION = bytes(range(0x80, 0xc0))


_MULTIBYTE: tuple = (None, None)


def _shape(text: str, table: bytes) -> bytes:
    """``text``'s byte shape under ``table`` with one byte per character: the UTF-8 form
    translated, its continuation bytes deleted (each character's lead byte stays; a lone
    surrogate passed through is one three-byte sequence too), so an offset into the shape
    is an offset into ``text`` (no :func:`_char_offsets` mapping)."""
    data = _utf8(text)
    if len(data) == len(text):
        return data.translate(table)
    return data.translate(table, _CONTINUATION)


def _char_offsets(text: str, data: bytes, offsets: list[int]) -> list[int]:
    """Byte ``offsets`` (ascending, each at a character boundary) into ``data``, the UTF-8 form
    of ``text``, as character offsets: the offset less the continuation bytes before it,
    counted per run of non-ASCII bytes (found once per text)."""
    if len(data) == len(text):
        return offsets
    global _MULTIBYTE
    cached = _MULTIBYTE
    if cached[0] is data:
        starts, ends, extra = cached[1]
    else:
        starts, ends, extra, total = [], [], [], 0
        for m in _P.non_ascii_bytes.finditer(data):
            run = m.group()
            total += len(run) - len(run.translate(None, _CONTINUATION))
            starts.append(m.start())
            ends.append(m.end())
            extra.append(total)
        _MULTIBYTE = (data, (starts, ends, extra))
    from bisect import bisect_right

    out = []
    for off in offsets:
        k = bisect_right(ends, off)  # the runs that end at or before the offset
        c = off - extra[k - 1] if k else off
        if k < len(starts) and starts[k] < off:  # between two characters of a run
            inside = data[starts[k]:off]
            c -= len(inside) - len(inside.translate(None, _CONTINUATION))
        out.append(c)
    return out


#: (text, its _CLUSTER_BYTES shape) of the last text :func:`_digit_clusters` scanned on bytes.
_CLUSTER_SHAPE: tuple = (None, None)


@_last_text
def _digit_clusters(text: str) -> list[tuple[int, int, int]]:
    """(start, end, digits) of every cluster: a maximal run of digits and separators
    (blanks, line breaks, ``().-/+``, ``A``/``B``) from its first digit to its last, with
    at least 7 digits. Every digit pattern of the detectors (SSN, card, phone, the digit
    national ids) matches inside one such run with enough digits, so they scan only the
    clusters' windows. Found on the bytes with the digits and separators mapped to two
    characters (a fast scan), unless the text may hold other scripts' digits."""
    global _CLUSTER_SHAPE
    out = []
    if text is _ASCII_DIGITS[0] or text.isascii():
        shape = _shape(text, _CLUSTER_BYTES)
        _CLUSTER_SHAPE = (text, shape)
        count = shape.count
        out = [(s, e, count(b"0", s, e)) for s, e in map(_span, _P.cluster_bytes.finditer(shape))]
    else:
        for m in _P.cluster_any.finditer(text):
            out.append((m.start(), m.end(), sum(c.isdigit() for c in m.group())))
    return out




#: (text, its _ALNUM_BYTES shape) of the last text :func:`_alnum_shape` translated (the IBAN
#: search's shape, reused by the decode pass's search for short split pieces).
_ALNUM_SHAPE: tuple = (None, None)


def _alnum_shape(text: str) -> bytes:
    """``_shape(text, _ALNUM_BYTES)`` (letters -> ``L``, digits -> ``0``), kept for the last text."""
    global _ALNUM_SHAPE
    cached = _ALNUM_SHAPE
    if cached[0] is text:
        return cached[1]
    shape = _shape(text, _ALNUM_BYTES)
    _ALNUM_SHAPE = (text, shape)
    return shape


def _short_split_tokens(text: str) -> list[tuple[int, int]]:
    """``(start, end)``, sorted, of tokens that may be a piece of a base64 value split over blanks
    or lines into short pieces only (``c3NuOiA1 MzYtMjIt MTk0Nw``, one piece per line): a
    blank-delimited token of 4-11 ASCII letters and digits with a letter right before or after a
    digit (the base64 of text almost always has one; words never), next to another token of the
    alphabet across blanks. A necessary condition the decode pass checks further: one search per
    needle on the letters-and-digits shape (the IBAN search's), a few steps per hit, long tokens
    skipped whole."""
    sh = _alnum_shape(text)
    find, rfind, n, ws = sh.find, sh.rfind, len(sh), " \t\r\n"
    search = _P.split_anchor.search
    out = []
    m = search(sh)
    while m is not None:
        i = m.start()
        e = find(b" ", i, i + 12)
        if e == -1 and i + 12 < n:  # a long token: past its end
            e = find(b" ", i, i + 4096)
            m = search(sh, i + 4096 if e == -1 else e)
            continue
        e = n if e == -1 else e
        m = search(sh, e)
        if e < n and text[e] not in ws:
            continue  # not blank-delimited ("0x1F,", "utf8)")
        lo = i - 10 if i > 10 else 0
        s = rfind(b" ", lo, i) + 1
        if (s == 0 and lo > 0) or e - s < 4 or e - s > 11 or (s and text[s - 1] not in ws):
            continue  # long, short, or not blank-delimited ("self.x1")
        k = e
        while k < n and text[k] in ws and k - e < 32:
            k += 1
        if e < k < n and (sh[k] != 32 or text[k] in "+/"):
            out.append((s, e))
            continue
        k = s
        while k and text[k - 1] in ws and s - k < 32:
            k -= 1
        if 0 < k < s and (sh[k - 1] != 32 or text[k - 1] in "+/"):
            out.append((s, e))
    return out


@_last_text
def _b64_runs(text: str) -> list[tuple[int, int]]:
    """(start, end) of every maximal run of at least 20 base64 characters
    (``[A-Za-z0-9+/_-]``), found on the bytes with those characters mapped to one."""
    shape = _shape(text, _B64_BYTES)
    out: list[tuple[int, int]] = []
    find = shape.find
    i = find(b"aaaaaaaaaaaaaaaaaaaa")
    while i != -1:
        j = find(b" ", i)
        out.append((i, len(shape) if j == -1 else j))
        i = -1 if j == -1 else find(b"aaaaaaaaaaaaaaaaaaaa", j)
    return out


_span = re.Match.span
_NOT_DIGIT = {ord(c): None for c in "0123456789"}


_DIGIT_WINDOWS: dict = {}


def _digit_windows(text: str, digits: int, before: int, after: int) -> list[tuple[int, int]]:
    """Merged windows ``[start - before, end + after)`` around the clusters with at least
    ``digits`` digits. Windows less than 64 characters apart are merged too: the gap holds
    no match (none lies outside a cluster's window), and one scan of it costs less than
    another call."""
    key = (digits, before, after)
    cached = _DIGIT_WINDOWS.get(key)
    if cached is not None and cached[0] is text:
        return cached[1]
    spans = [(s - before, e + after) for s, e, d in _digit_clusters(text) if d >= digits]  # sorted: clusters are
    merged = _merge_spans(spans, len(text), 64)
    _DIGIT_WINDOWS[key] = (text, merged)
    return merged


def _finditer(rx: re.Pattern[str], text: str, windows: list[tuple[int, int]]) -> Iterator[re.Match[str]]:
    """``rx.finditer`` in each window (windows that hold every match whole, so the matches are
    those of ``rx.finditer(text)``)."""
    last = 0
    finditer = rx.finditer
    for ws, we in windows:
        for m in finditer(text, ws if ws > last else last, we):
            last = m.end()
            yield m


_CLIP_ENDS: tuple = (None, None)


def _clip(windows: list[tuple[int, int]], limits: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of ``windows`` inside ``limits`` (both sorted and merged). The intersection is
    symmetric and sorted either way: the shorter list is walked, the longer one bisected (its
    ends are kept for the last list seen: the cached window lists are never modified)."""
    out: list[tuple[int, int]] = []
    if len(limits) < len(windows):
        windows, limits = limits, windows
    if not windows:
        return out
    from bisect import bisect_right

    global _CLIP_ENDS
    cached = _CLIP_ENDS
    if cached[0] is limits:
        ends = cached[1]
    else:
        ends = [e for _, e in limits]
        _CLIP_ENDS = (limits, ends)  # holds the list: its id is not reused while cached
    nl = len(limits)
    for ws, we in windows:
        k = bisect_right(ends, ws)  # the first limit ending after the window starts
        while k < nl:
            ls, le = limits[k]
            if ls >= we:
                break
            s = ws if ws > ls else ls
            e = we if we < le else le
            if s < e:
                out.append((s, e))
            k += 1
    return out


def _scan_parts(parts: list[tuple[re.Pattern[str], str]], windows: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """:func:`_scan` of an alternation split into ``parts`` (pattern, text it runs on; all the
    texts aligned), in the alternation's order: the spans the whole alternation would match.
    In each window the leftmost match of any part wins, the earlier part on a tie; each is
    re-matched on the whole text at its start, like :func:`_scan` does."""
    last = -1
    for ws, we in windows:
        pos = ws
        nxt: list[re.Match[str] | None | bool] = [False] * len(parts)  # False: not searched yet
        while pos <= we:
            best = None
            for k, (rx, hay) in enumerate(parts):
                m = nxt[k]
                if m is False or (m is not None and m.start() < pos):
                    m = nxt[k] = rx.search(hay, pos, we)
                if m is not None and (best is None or m.start() < best.start()):
                    best = m
            if best is None:
                break
            start = best.start()
            pos = best.end() if best.end() > start else start + 1
            if start < last:
                continue
            for rx, hay in parts:
                full = rx.match(hay, start)
                if full is not None:
                    last = max(full.end(), start + 1)
                    yield start, full.end()
                    break


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


#: ITIN group ranges (IRS: 50-65, 70-88, 90-92, 94-99), checked before python-stdnum is imported.
_ITIN_GROUPS = frozenset(f"{g:02d}" for g in (*range(50, 66), *range(70, 89), 90, 91, 92, *range(94, 100)))


@lru_cache(maxsize=1024)
def _itin_valid(digits: str) -> bool:
    """A US Individual Taxpayer Identification Number (9xx, group 50-65/70-88/90-92/94-99),
    by python-stdnum's ``stdnum.us.itin`` (imported only for a candidate in those ranges)."""
    if digits[0] != "9" or digits[3:5] not in _ITIN_GROUPS:
        return False
    from stdnum.us import itin  # lazy

    return itin.is_valid(digits)


def _ssn_windows(text: str) -> list[tuple[int, int]]:
    """Windows holding every match of ``_P.ssn``: around each ``000-00-0000`` shape
    (``_P.ssn_shape``) in the byte shape of the clusters of at least 9 digits, when that shape
    is the text's (else the clusters' windows). A match holds the shape, and matches never
    overlap (a 3-digit area needs a non-digit before it), so the scan finds the same ones; 4
    characters either side let the look-arounds see the text."""
    windows = _digit_windows(text, 9, 2, 2)
    cached = _CLUSTER_SHAPE
    if not windows or cached[0] is not text:
        return windows
    shape, search = cached[1], _P.ssn_shape.search
    spans = []
    for ws, we in windows:
        m = search(shape, ws, we)
        while m is not None:
            spans.append((m.start() - 4, m.end() + 4))
            m = search(shape, m.start() + 1, we)
    return _merge_spans(spans, len(text), 0)


def detect_ssn(text: str) -> Iterable[Hit]:
    """US SSNs; see the module docstring.

    Each span is reported once (a number found by the grouped pattern and again after a
    context word, or after several context words, is one finding, with a context word when
    one supports it). Context words whose windows chain share one scan: a match holds no
    letter, so it never spans a context word, and each match is the one a scan from the
    nearest context word before it finds (an ITIN word among the others still counts)."""
    hits: list[Hit] = []
    at: dict[tuple[int, int], int] = {}  # span -> its index in hits (-1: a documented dummy)

    def keep(digits: str, s: int, e: int, context: str = "") -> None:
        k = at.get((s, e))
        if k is not None:  # the same digits: the same verdict; add a context word if it had none
            if k >= 0 and context and not hits[k][4]:
                hits[k] = hits[k][:4] + (context,)
            return
        if not _ssn_valid(digits):
            # a US ITIN (a person's tax id, the SSN's shape) after the word "ITIN" only: in a list
            # of SSNs a 9xx number is an invalid SSN (not remembered: an ITIN word may come later)
            if context[:4].lower() == "itin" and _itin_valid(digits):
                at[(s, e)] = len(hits)
                hits.append((s, e, "***-**-" + digits[5:], "itin valid (stdnum.us.itin)", context))
            return
        if digits in _SSN_DUMMIES and _P.ssn_doc.search(text, max(0, s - 80), e + 80):
            at[(s, e)] = -1
            return  # "uses 123-45-6789 as the dummy example"
        at[(s, e)] = len(hits)
        hits.append((s, e, "***-**-" + digits[5:], "ssn area valid", context))

    for m in _finditer(_P.ssn, text, _ssn_windows(text)):
        if _joined_run(text, m.start(), m.end(), m.group(3), m.group(5)):
            continue  # "4 536 22 1947 5": a piece of a longer run of groups
        keep(m.group(1) + m.group(2) + m.group(4) + m.group(6), m.start(), m.end())
    words = [(c.start(), c.end(), text[c.start():c.end()])
             for c in _ci_scan("ssn_ctx", text, _lower_windows(text, _SSN_NEEDLES, 24, 40))]
    loose, bare9, non_digits = _P.ssn_loose, _P.bare9, _P.non_digits
    i, nw = 0, len(words)
    while i < nw:
        # a group of context words whose windows chain: a match starting at most 48 characters
        # after a word's end counts for that word; one scan covers the group
        j, reach = i + 1, words[i][1] + 48
        while j < nw and words[j][1] <= reach:
            reach = words[j][1] + 48
            j += 1
        k = i  # the nearest word before the match
        for m in _scan(loose, text, [(words[i][1], reach + 80)]):
            s = m.start()
            if s > reach:
                break
            while k + 1 < j and words[k + 1][1] <= s:
                k += 1
            digits = non_digits.sub("", m.group())
            if len(digits) == 9:
                word = words[k][2]
                if digits[0] == "9" and word[:4].lower() != "itin":  # an ITIN word further back
                    word = next((w for _, we, w in words[i:k] if s <= we + 48 and w[:4].lower() == "itin"), word)
                keep(digits, s, m.end(), word)
        # a bare 9-digit run just before a context word ("123456789 (SSN)")
        for ws, _, word in words[i:j]:
            for m in _scan(bare9, text, [(max(0, ws - 24), ws)]):
                keep(m.group(), m.start(), m.end(), word)
        i = j
    return hits


def _joined_run(text: str, s: int, e: int, first_sep: str, last_sep: str) -> bool:
    """Whether the grouped number at ``text[s:e]`` continues into another digit group joined by
    the same separator it uses itself ("+49 151 60 5470", "1 - 536 - 22 - 1947")."""
    return (text.endswith(first_sep, 0, s) and s > len(first_sep) and text[s - len(first_sep) - 1].isdigit()) \
        or (text.startswith(last_sep, e) and e + len(last_sep) < len(text) and text[e + len(last_sep)].isdigit())


_SSN_NEEDLES = ("ssn", "social", "soc", "sozialvers", "sv-nummer", "svnummer", "sécurité sociale",
                "securite sociale", "seguro social", "ss#", "s.s.n", "itin")


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
    return _P.hex_run.fullmatch(text, s, e) is not None


#: Card words (lower case) near a number with every digit spaced out (see ``card_ctx``).
_CARD_NEEDLES = ("card", "kart", "kaart", "carte", "carta", "cartã", "cartao", "tarjeta", "visa", "amex",
                 "american express", "cc", "pan", "cvv", "cvc")


def _cluster_shape(text: str) -> bytes | None:
    """The :data:`_CLUSTER_BYTES` shape of ``text`` (kept by :func:`_digit_clusters`), or None
    when the text may hold other scripts' digits (the shape would miss them)."""
    _digit_clusters(text)
    cached = _CLUSTER_SHAPE
    if cached[0] is text:
        return cached[1]
    if not (text is _ASCII_DIGITS[0] or text.isascii()):
        return None
    return _shape(text, _CLUSTER_BYTES)


def _card_sep_windows(text: str, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Windows that hold every ``card_sep`` match: the digit ``windows`` (of the clusters of 12
    digits: "/" joins a cluster) that hold a "/", and around each ``0000_0000`` (a "_" or "|")
    of the clusters' byte shape."""
    spans = []
    if windows and "/" in text:
        find = text.find
        spans = [(ws, we) for ws, we in windows if find("/", ws, we) != -1]
    if "_" in text or "|" in text:
        shape = _cluster_shape(text)
        if shape is None:
            return [(0, len(text))]  # other scripts' digits may occur: scan it all
        find = shape.find
        i = find(b"0000_0000")
        while i != -1:
            spans.append((i - 2, i + 28))
            i = find(b"0000_0000", i + 5)
        spans.sort()
    return _merge_spans(spans, len(text), 0)


def _card_hit(digits: str, s: int, e: int, hits: list) -> bool:
    """Append the finding for ``digits`` at ``text[s:e]`` if it is a card number (issuer prefix and
    length, Luhn) other than a published test number; whether it is a card number at all."""
    issuer = _card_issuer(digits)
    if not (issuer and _luhn_ok(digits)):
        return False
    if digits not in _TEST_CARDS:
        n = len(digits)
        hits.append((s, e, " ".join(["****"] * ((n - 4 + 3) // 4)) + " " + digits[-4:], f"luhn ok, {issuer}"))
    return True


def detect_credit_card(text: str) -> Iterable[Hit]:
    """Luhn-valid card numbers with a known issuer prefix; see the module docstring."""
    hits: list[Hit] = []
    windows = _digit_windows(text, 12, 2, 2)
    # one separator other than a blank, dash or dot, the same throughout ("4539/1488/0343/6467")
    for m in _finditer(_P.card_sep, text, _card_sep_windows(text, windows)):
        _card_hit(m.group().replace(m.group(1), ""), m.start(), m.end(), hits)
    # every digit spaced out, next to a card word (at most 80 characters before it or 40 after:
    # a run of 12-19 digits lies whole in the word's window, where the shape shows 12 of them)
    near = _lower_windows(text, _CARD_NEEDLES, 100, 120) if windows else []
    if near:
        shape = _cluster_shape(text)
        if shape is not None:
            find = shape.find
            near = [(ws, we) for ws, we in near if find(b"0-0-0-0-0-0-0-0-0-0-0-0", ws, we) != -1]
    for m in _scan(_P.card_spaced, text, near):
        digits = m.group()[::2]
        if 12 <= len(digits) <= 19 and _P.card_ctx.search(text, max(0, m.start() - 80), m.end() + 40):
            _card_hit(digits, m.start(), m.end(), hits)
    for m in _finditer(_P.card, text, windows):
        groups = [g.span() for g in _P.digit_run.finditer(m.group())]
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
    # a match at every start _iban_matches tries, not only outside the last match: a run longer
    # than the IBAN it held ("DE89...3000 GB82WEST...", a line break between two) or holding none
    # ("Ref AB12 DE89 3704 ...") shelters no IBAN that starts inside it. Starts inside a run that
    # held none are tried up to a budget of vain tries per text (a text of nothing but such runs
    # stays cheap; past it, as before: skipped)
    if text is _ASCII_DIGITS[0] or text.isascii():
        positions = _iban_starts(text)
    else:
        positions = [m.start() for m in _P.iban_start.finditer(text)]
    match, last, failed_end, budget = _P.iban.match, 0, 0, 256
    for pos in positions:
        if pos < last:
            continue  # inside an IBAN found
        inner = pos < failed_end
        if inner:
            if budget <= 0:
                continue
            budget -= 1
        m = match(text, pos)
        if m is None:
            continue
        failed_end = m.end()  # until an IBAN is found in it
        start = m.start() - 2  # the match begins at the check digits, after the country code
        raw = text[start:m.end()]
        # the candidate lengths: the longest run of letters and digits (at most 34) that ends
        # where a group ends, longest first
        runs = [r.span() for r in _P.alnum_run.finditer(raw)]
        alnum = "".join(raw[a:b] for a, b in runs).upper()
        if not alnum[:2].isalpha():
            continue
        mods = _mod97_table(alnum) if alnum.isascii() else None
        count, ends = 0, []
        for a, b in runs:
            count += b - a
            ends.append((count, b))
        for n, end in reversed(ends):
            if n > 34:
                continue
            if n < 15:
                break
            compact = alnum[:n]
            if not (mods[n] if mods is not None else _mod97_ok(compact)):
                continue  # cheap ISO 7064 pre-check before the registry lookup
            if _iban_valid(compact):
                hits.append((start, start + end, f"{compact[:2]}**…{compact[-4:]} ({n} chars)", "mod-97 ok"))
                last, failed_end = start + end, 0
                budget += inner  # the budget bounds the starts tried in vain
                break
    return hits


@lru_cache(maxsize=4096)
def _iban_valid(compact: str) -> bool:
    """python-stdnum's IBAN verdict, memoised (a pure function of the value)."""
    from stdnum import iban  # lazy: ~tens of ms, only for a candidate

    return iban.is_valid(compact)


def _iban_starts(text: str) -> list[int]:
    """Where an IBAN match may start on an ASCII-digit text: after ``LL00`` at a word start of
    the byte shape (letters -> ``L``, digits -> ``0``)."""
    shape = _alnum_shape(text)
    found = []
    i = shape.find(b"LL00")
    while i != -1:
        if not i or shape[i - 1] == 32:  # not after a letter or digit
            found.append(i + 2)
        i = shape.find(b"LL00", i + 1)
    return found


def _iban_matches(text: str) -> Iterator[re.Match[str]]:
    """``_P.iban.finditer(text)``: every match starts at the first of two digits after two
    letters at the start of a word, so on a text whose digits are all ASCII it is tried only
    where the byte shape (letters -> ``L``, digits -> ``0``) shows ``LL00`` at a word start."""
    if not (text is _ASCII_DIGITS[0] or text.isascii()):
        yield from _P.iban.finditer(text)
        return
    yield from _matches_at(_P.iban, text, _iban_starts(text))


def _matches_at(rx: re.Pattern[str], text: str, positions: list[int]) -> Iterator[re.Match[str]]:
    """``rx.match`` at each of the ascending candidate ``positions``, skipping those inside the
    previous match: what ``rx.finditer`` gives when every match starts at a candidate."""
    last = 0
    for pos in positions:
        if pos < last:
            continue
        m = rx.match(text, pos)
        if m is not None:
            last = m.end()
            yield m


@lru_cache(maxsize=4096)
def _mod97_table(alnum: str) -> tuple[bool, ...]:
    """:func:`_mod97_prefixes`, memoised (a pure function of the run; chat prompts resend the
    same history turn after turn)."""
    return tuple(_mod97_prefixes(alnum))


def _mod97_prefixes(alnum: str) -> list[bool]:
    """``_mod97_ok(alnum[:n])`` for every n (index n), for an ASCII alphanumeric ``alnum``,
    computed incrementally: the rearranged number is the body's digits then the first four
    characters' digits, so its remainder is ``body * 10**len(head) + head`` mod 97."""
    if len(alnum) < 4:
        return [_mod97_ok(alnum[:n]) for n in range(len(alnum) + 1)]
    head = "".join(str(int(c, 36)) for c in alnum[:4])
    head_mod, shift = int(head) % 97, pow(10, len(head), 97)
    out = [_mod97_ok(alnum[:n]) for n in range(4)] + [head_mod == 1]  # n = 4: the head alone
    body = 0
    for c in alnum[4:]:
        v = int(c, 36)
        body = (body * (100 if v > 9 else 10) + v) % 97
        out.append((body * shift + head_mod) % 97 == 1)
    return out


def _mod97_ok(compact: str) -> bool:
    """ISO 7064 mod 97-10 over the rearranged IBAN (check digits included) equals 1."""
    s = compact[4:] + compact[:4]
    if not s.isalnum() or not s.isascii():
        return False
    return int("".join(str(int(c, 36)) for c in s)) % 97 == 1


_DOC_DOMAINS = ("example.com", "example.net", "example.org")
_DOC_TLDS = frozenset({"example", "test", "invalid", "localhost"})


def _emails(text: str) -> Iterator[re.Match[str]]:
    """The matches of ``_P.email`` (as its scan of the windows around each ``@`` finds them).

    Each holds one ``@``, and its local part is the end of the run of ``[\\w.%+-]`` before
    it, at most 64 characters, starting where the run starts or right after a period (the
    pattern's look-behind rules out the rest): only those starts are tried, in order."""
    rx, tail, last = _P.email, _P.local_tail, 0
    a = text.find("@")
    while a != -1:
        if a > last:
            run = tail.search(text, max(last, a - 64), a)
            p = run.start() if run else a
            while p < a:
                m = rx.match(text, p)
                if m is not None:
                    last = m.end()
                    yield m
                    break
                p = text.find(".", p, a)
                if p == -1:
                    break
                p += 1
        a = text.find("@", a + 1)


def detect_email(text: str) -> Iterable[Hit]:
    """Email addresses except documentation/special-use domains; see the module docstring.
    Also addresses with "at"/"dot" spelled out or defanged (:func:`_obfuscated_emails`)."""
    hits: list[Hit] = []
    if "@" in text:
        for m in _emails(text):
            local, domain, tld = m.group(1), m.group(2).lower(), m.group(3).lower()
            if _email_public(text, m.start(), m.end(), local, domain, tld):
                continue
            hits.append((m.start(), m.end(), f"{_mask_part(local)}@{_mask_part(domain.split('.', 1)[0])}.{tld}"))
    return _obfuscated_emails(text, hits)


def _email_public(text: str, start: int, end: int, local: str, domain: str, tld: str) -> bool:
    """Whether the address ``local@domain`` at ``start:end`` is public: a documentation or
    special-use domain, a URL's ``user:pass@`` or service account, an SCP remote, noreply."""
    if tld in _DOC_TLDS or any(domain == d or domain.endswith("." + d) for d in _DOC_DOMAINS):
        return True
    low = local.lower()
    lo = max(0, start - 200)
    url = _P.url_before.search(text, lo, start) if text.find("://", lo, start) != -1 else None
    if url and (":" in url.group(1) or low in _URL_SERVICE_USERS):
        return True  # scheme://user:pass@host (api_key's case), ssh://git@github.com: not a mailbox
    if low in ("git", "hg") and text[end:end + 1] == ":":
        return True  # SCP-style remote: git@github.com:org/repo.git
    return bool(re.match(r"(?:no-?reply|do-?not-?reply)", low) or domain.endswith("users.noreply.github.com"))


# ---- obfuscated addresses: "jane (at) gmail (dot) com", "jane[at]gmail[dot]com", "jane.doe[@]gmail.com",
# "jane AT gmail DOT com", "jane.doe @ gmail . com", "jane@gmail[dot]com", "j.doe at gmail dot com"

#: Where an obfuscated address may be (lower-case needles of the shared trigger pass): a bracketed
#: at/@/dot, "@ " (a blank after an @), a bare " dot ". A bare upper-case " AT " is found with
#: str.find, a real "@" followed by a spelled-out dot by ``_P.email_at_obf`` at each "@".
_EMAIL_OBF_NEEDLES = tuple(
    [o + w + c for o, c in zip("[({<", "])}>") for w in ("at", "dot", ".")]  # [at] (dot) [.] ...
    + [o + x for o in "[({<" for x in (" at", "at ", " dot", "dot ", " .", ". ", "@")]  # [ at ] [at ] [@ ...
    + ["@]", "@)", "@}", "@>", "@ ", "@\t", " dot ", "\tdot ", " dot\t"]
    # Spanish / German spelled forms, bracketed: "(arroba)", "[ät]", "(punto)", "[punkt]"
    + [o + b + w for o in "[({<" for b in ("", " ") for w in ("arroba", "ät", "punto", "punkt")]
    # a bare lower-case "at" before a free-mail domain with a plain dot: "jane.doe at gmail.com"
    + [" at " + d + "." for d in ("gmail", "googlemail", "yahoo", "ymail", "hotmail", "outlook", "live", "msn",
                                  "aol", "icloud", "proton", "protonmail", "pm", "gmx", "web", "yandex", "zoho",
                                  "fastmail", "tutanota", "tuta", "qq", "163", "126", "naver", "comcast",
                                  "verizon", "sbcglobal", "btinternet", "orange", "laposte", "wanadoo", "freenet",
                                  "libero", "mac", "hey")])
_register_needles(_EMAIL_OBF_NEEDLES)
#: Top-level domains a spelled-out address must end in when its separators are bare words or
#: blank-spaced dots (the common generic TLDs and country codes that are not also short words).
_EMAIL_OBF_TLDS = frozenset(
    "com net org edu gov mil int info biz name pro mobi io co ai app dev tech online site xyz email "
    "uk de fr es nl ch ca au nz jp cn ru br mx ar za kr tw hk sg se dk fi pl cz pt ie eu ua gr hu ro sk "
    "il tr cl pe ve vn th my id ph pk ng ke eg sa ae qa ir lt lv ee si hr rs bg by kz".split())
#: Free-mail domains (first label): "jane at gmail dot com" needs no other sign of an address.
_EMAIL_PROVIDERS = frozenset(
    "gmail googlemail yahoo ymail hotmail outlook live msn aol icloud mac proton protonmail pm gmx web "
    "yandex zoho fastmail tutanota tuta hey qq 163 126 naver comcast verizon sbcglobal btinternet "
    "orange laposte wanadoo freenet libero".split())
#: Words before a spelled-out address that say it is one ("email", "gmail", "contact", ...).
_EMAIL_OBF_CONTEXT = ("mail", "contact", "reach", "write to", "address", "kontakt", "courriel", "correo",
                      "adresse", "send to")
#: Delimiters around the whole address that mark it as one: ``<kelemeng at gnome dot hu>``,
#: ``(sdkrystian at acme dot com)``, ``"mbland at acm dot org"``.
_EMAIL_OBF_ENCLOSED = frozenset({"<>", "()", "[]", '""', "''"})
#: First domain labels that make "<word> at <label> dot <tld>" prose: "look at the dot com era".
_EMAIL_OBF_STOP = frozenset(
    "the a an this that these those my your our their his her its every each any some no one which what whose "
    "all both another such".split())
#: Words before a bare lower-case "at" that make "<word> at <domain>" prose, not a mailbox:
#: "Please look at gmail dot com's new UI", "I worked at yahoo dot com".
_EMAIL_OBF_LOCAL_STOP = frozenset(
    "look looks looked looking glance glanced stare stared staring aim aimed aiming arrive arrived arrives "
    "work works worked working job jobs employed intern interned hired available live lives lived based "
    "sold bought buy find found me us him her them you it this that here there now is was are were be been "
    "am not only even just still also up out in on over signed sign log logged login".split())
#: Words after a mail word that make "<mail word> <word> at <domain>" prose, not a local part
#: (checked only where the mail word is the sign, :data:`_P.email_cue_tail`): "the email is sent at
#: python.org", "email server at ...", "enable e-mail notifications at github.com", "contact form at
#: ...", "reach customers at ...".
_EMAIL_CUE_LOCAL_STOP = frozenset(
    "sent hosted stored kept located registered listed published posted delivered received served "
    "server servers client service services provider account address inbox "
    "notification notifications alert alerts update updates newsletter newsletters digest reminder reminders "
    "receipt receipts campaign campaigns form forms page pages detail details information center centre "
    "person people customers users audience audiences millions".split())


#: Mail words after which a bare lower-case `` at `` (within :data:`_EMAIL_AT_CUE_REACH` characters)
#: may be a spelled-out at with plain dots and any domain: "reach sergi at calcurco.org".
_EMAIL_AT_CUES = ("mail", "contact", "reach", "write to", "send to", "courriel", "correo", "kontakt")
_register_needles(_EMAIL_AT_CUES)
_EMAIL_AT_CUE_REACH = 48


def _email_cue(text: str) -> bool:
    """Whether ``text`` may hold a spelled-out address without an ``@`` (a bracketed at or dot,
    a bare `` dot ``, a bare `` AT ``, a mail word and a bare `` at ``): then the ``email``
    detector runs on it too."""
    return _any_needle(text, _EMAIL_OBF_NEEDLES) or " AT " in text \
        or (" at " in text and _any_needle(text, _EMAIL_AT_CUES))


def _obfuscated_emails(text: str, hits: list) -> list:
    """``hits`` plus the addresses with a spelled-out or defanged "at" or "dot", as the
    ``email`` detector's findings with the verdict ``obfuscated``.

    Separators: an at as ``[at]`` ``(at)`` ``{at}`` ``<at>`` ``[@]`` (any case, blanks inside),
    an ``@`` with a blank after it (or on both sides), a bare `` AT `` or `` at `` between
    blanks, or a plain ``@``; a dot as ``.``, ``[dot]`` ``(dot)`` ``[.]`` ``(.)`` ..., a bare
    `` DOT `` / `` dot ``, or a ``.`` with blanks around it. What counts:

    - a bracketed at or ``dot``, or a defanged ``[.]`` after an ``@``: always
      (``jane[at]gmail.com``, ``jane@gmail[dot]com``, ``jane@gmail[.]com``; but "hosted at
      evil[.]com", a threat report's defanged host, is no address without a sign below);
    - otherwise (bare words, blanks) the top-level domain must be a common one
      (:data:`_EMAIL_OBF_TLDS`) and the first domain label no article or pronoun ("look at
      the dot com era" stays prose), and
    - a bare upper-case ``AT``/``DOT`` needs the address words not all in capitals (the case
      contrast is the sign: ``jane AT gmail DOT com``, not ``LOOK AT THE DOT COM``), or, all in
      capitals, a free-mail domain or a mail word right before (``_P.email_cue_tail``) and no
      word of :data:`_EMAIL_OBF_LOCAL_STOP` as the local part (``JANE AT GMAIL DOT COM``,
      ``EMAIL: JSMITH AT ACME DOT COM``; not ``WE WORKED AT YAHOO DOT COM``);
    - a bare lower-case ``at``, or an ``@`` with a blank before it or an ``AT`` with only
      plain dots, needs a sign of an address: a handle-like local part (``.``, ``_``, ``+``,
      ``-`` or a digit), a free-mail domain (:data:`_EMAIL_PROVIDERS`), a mail word shortly
      before (:data:`_EMAIL_OBF_CONTEXT`) or delimiters around exactly the address
      (``<timar at gnome dot hu>``, ``(...)``, quotes). A bare lower-case ``at`` with plain
      dots only needs a free-mail domain alone (and a handle or mail word), or a mail label or
      verb right before the local part (``_P.email_cue_tail``: "reach sergi at calcurco.org";
      such an ``at`` within :data:`_EMAIL_AT_CUE_REACH` characters of a mail word is a trigger).
      So ``jane at gmail dot com`` and ``email: jane at acme dot com`` count, "I worked at
      acme dot com" and "look at example.com" do not.

    Documentation domains, noreply and the like are public as for plain addresses. Offsets
    cover the whole spelled-out address (``jane [at] gmail [dot] com``), so redaction, which
    works on spans, replaces all of it."""
    n = len(text)
    if len(_lower(text)) == n:
        spans = list(_lower_windows(text, _EMAIL_OBF_NEEDLES, 0, 0))
    else:  # lower() changed the length (a dotted capital I): a find per needle on an aligned copy
        spans = _windows(text, text.replace("\u0130", "i").lower(), _EMAIL_OBF_NEEDLES, 0, 0)
    i = text.find(" AT ")
    while i != -1:
        spans.append((i, i + 4))
        i = text.find(" AT ", i + 1)
    if " at " in text:  # "reach sergi at calcurco.org": a bare at shortly after a mail word
        for ws, we in _lower_windows(text, _EMAIL_AT_CUES, 0, _EMAIL_AT_CUE_REACH):
            i = text.find(" at ", ws, we)
            while i != -1:
                spans.append((i, i + 4))
                i = text.find(" at ", i + 1, we)
    at_obf = _P.email_at_obf.match
    i = text.find("@")
    while i != -1:
        if at_obf(text, i + 1):
            spans.append((i, i + 1))
        elif 0 < i and text[i - 1] in " \t" and text[i - 2:i - 1].strip(" \t") == "" and i + 1 < n \
                and text[i + 1].isalnum():
            pass  # "\n    @property": a decorator, no local part before the blanks
        elif 1 < i and text[i - 1] in " \t" and i + 1 < n and text[i + 1].isalnum():
            spans.append((i, i + 1))  # "jane.doe @gmail.com": a blank before the @ only
        i = text.find("@", i + 1)
    if not spans:
        return hits
    spans.sort()
    windows = _merge_spans([(s - 160, e + 320) for s, e in spans], n, 0)
    taken = [(h[0], h[1]) for h in hits]
    search = _P.email_obf.search
    for ws, we in windows:
        pos, misses = ws, 16 + (we - ws) // 8  # bounded: a rejected candidate moves one character on
        while True:
            m = search(text, pos, we)
            if m is None:
                break
            got = _obfuscated_email(text, m)
            if got is None:
                misses -= 1
                if misses < 0:
                    raise ValueError("too many spelled-out address candidates in one window")  # fail closed
                pos = m.start() + 1
                continue
            pos = m.end()
            if not any(s < m.end() and m.start() < e for s, e in taken):
                hits.append((m.start(), m.end(), got, "obfuscated"))
    return hits


def _obfuscated_email(text: str, m: re.Match[str]) -> str | None:
    """The masked address of an :data:`_P.email_obf` match that :func:`_obfuscated_emails`
    counts, or None."""
    local_raw, sep, dom_raw = m.group(1), m.group(2), m.group(3)
    at = sep.strip(" \t")
    if at[:1] in "[({<":
        at_kind = "B"
    elif at == "@":
        at_kind = "S" if sep != "@" else "P"
    else:
        at_kind = "U" if at == "AT" else "L"
    kinds = []
    for d in _P.email_obf_dot.finditer(dom_raw):
        t = d.group().strip(" \t")
        kinds.append(("D" if "." in t else "B") if t[:1] in "[({<" else "U" if t == "DOT" else
                     "L" if t == "dot" else "S" if d.group() != "." else "P")
    labels = [x for x in _P.email_obf_dot.split(dom_raw) if x]
    if len(labels) < 2:
        return None
    local = _P.email_obf_local_dot.sub(".", local_raw)
    domain, tld = ".".join(labels).lower(), labels[-1].lower()
    if len(local) > 64 or len(domain) > 253:
        return None
    if at_kind == "P" and all(k == "P" for k in kinds):
        return None  # a plain address: the plain scan's
    if _email_public(text, m.start(), m.end(), local, domain, tld):
        return None
    # kinds: P plain ".", D defanged "[.]", B "[dot]", U " DOT ", L " dot ", S a blank-spaced "."
    # A defanged "[.]" is how threat reports write hosts ("hosted at evil[.]com"): strong only
    # after an @ (plain, spaced or bracketed), not after a bare "at"/"AT".
    strong = at_kind == "B" or "B" in kinds or (at_kind in "PS" and "D" in kinds)
    weak_dots = any(k in "ULS" for k in kinds)
    if not strong or weak_dots:
        if tld not in _EMAIL_OBF_TLDS or labels[0].lower() in _EMAIL_OBF_STOP:
            return None
    if not strong:
        if "S" in kinds and at_kind not in "PS":
            return None  # "at home . Then": a blank-spaced dot only after an @
        if at_kind == "L" and local.lower() in _EMAIL_OBF_LOCAL_STOP:
            return None  # "look at gmail dot com": a verb or pronoun before "at", prose
        if text.startswith(("'s", "\u2019s"), m.end()):
            return None  # "gmail dot com's new UI": a site's name in the possessive
        if at_kind == "L" and all(k == "P" for k in kinds):
            # "look at amazon.com": a bare lower-case at needs a spelled-out dot, unless the
            # domain is a free-mail one alone and the local part is a handle ("jane.doe at
            # gmail.com", "jdoe42 at web.de") or a mail word comes shortly before ("my email:
            # jsmith at gmail.com"); "sign up at gmail.com" stays prose. Any other domain needs a
            # mail word right before the local part ("reach sergi at calcurco.org", "my email is
            # sergi at calcurco.org"), not "I worked at acme.org" or "look at python.org"
            if len(local) < 2:
                return None
            if not (len(labels) == 2 and labels[0].lower() in _EMAIL_PROVIDERS):
                if local.lower() in _EMAIL_CUE_LOCAL_STOP or \
                        _P.email_cue_tail.search(text, max(0, m.start() - 40), m.start()) is None:
                    return None
            else:
                handle = any(c in local for c in "._+-") or (any(c.isdigit() for c in local)
                                                              and any(c.isalpha() for c in local))
                low = _lower(text)
                if not handle and not (len(low) == len(text) and any(
                        low.find(w, max(0, m.start() - 80), m.start()) != -1 for w in _EMAIL_OBF_CONTEXT)):
                    return None
        words = local + "".join(labels)
        if (at_kind == "U" or "U" in kinds) and words.upper() == words:
            # LOOK AT THE DOT COM: no case contrast, shouted prose, unless the address has a sign
            # of its own: a free-mail domain ("JANE AT GMAIL DOT COM") or a mail word right before
            # ("EMAIL: JSMITH AT ACME DOT COM"), and no verb or pronoun before the AT ("WE WORKED
            # AT YAHOO DOT COM")
            if local.lower() in _EMAIL_OBF_LOCAL_STOP or not (
                    (len(labels) == 2 and labels[0].lower() in _EMAIL_PROVIDERS)
                    or (local.lower() not in _EMAIL_CUE_LOCAL_STOP
                        and _P.email_cue_tail.search(text, max(0, m.start() - 40), m.start()) is not None)):
                return None
        # (with plain dots only, the at is an @ with blanks or AT; "jane@ acme.com", the @ on
        # the local part, needs no more: "sold @ amazon.com" does)
        if at_kind == "L" or (all(k in "PD" for k in kinds) and not (at_kind == "S" and sep[0] == "@")):
            low = _lower(text)
            handle = any(c in local for c in "._+-") or (any(c.isdigit() for c in local)
                                                          and any(c.isalpha() for c in local))
            enclosed = text[m.start() - 1:m.start()] + text[m.end():m.end() + 1] in _EMAIL_OBF_ENCLOSED
            if not (handle or enclosed or labels[0].lower() in _EMAIL_PROVIDERS
                    or (len(low) == len(text) and any(
                        low.find(w, max(0, m.start() - 80), m.start()) != -1 for w in _EMAIL_OBF_CONTEXT))):
                return None
    return f"{_mask_part(local)}@{_mask_part(labels[0])}.{tld}"


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


@lru_cache(maxsize=1024)
def _phone_possible(cand: str) -> bool:
    """libphonenumber's ``is_possible_number`` for an international candidate (its length fits
    the country's plan, whether or not the range is allocated)."""
    import phonenumbers

    try:
        return phonenumbers.is_possible_number(phonenumbers.parse("+" + cand[2:] if cand.startswith("00") else cand))
    except phonenumbers.NumberParseException:
        return False


def _phone_segments(raw: str) -> list[tuple[int, int]]:
    """Split a candidate run at strong boundaries only (before "(", around a lone "-"/"/",
    at two or more spaces): "030 76482575 (9-17" -> "030 76482575", "(9-17"; a run of
    single-spaced digit groups stays whole, so no number is cut out of a longer one."""
    segs: list[tuple[int, int]] = []
    start = 0
    for m in _P.phone_split.finditer(raw):
        if m.start() > start:
            segs.append((start, m.start()))
        start = m.end()
    if start < len(raw):
        segs.append((start, len(raw)))
    return segs


#: Lower-case substrings of every phone context word (see detect_phone's gate).
_PHONE_NEEDLES = ("phone", "tel", "tél", "mob", "cell", "call", "text", "sms", "whats", "fax", "landline", "reach",
                  "ring", "contact", "handy", "festnetz", "rufnummer", "anruf", "ruf", "erreich", "portable", "fixe",
                  "num", "mero", "nummer", "appel", "joindre", "móvil", "movil", "celular", "llam", "komórk", "komork",
                  "kom.", "chiam", "bel m", "zadzwo", "emergency", "ligue", "ligar", "liga", "oddzwo", "terugbel")


#: How the text before a number must end (blanks and ``:=#.`` stripped, lower case) for
#: ``_P.phone_label`` to be tried (besides a one-letter line label).
_PHONE_LABEL_ENDS = ("ph", "direct", "line", "dial", "no", "number", "home", "work", "office", "emergency",
                     "contact")


def detect_phone(text: str) -> Iterable[Hit]:
    """International numbers, or national ones after a context word; see the module docstring."""
    hits: list[Hit] = []
    cands: list[tuple[int, int, bool, str]] = []
    # a run that holds fewer than 7 digits yields no number: only the clusters' runs are scanned
    windows = _digit_windows(text, 7, 2, 2)
    if "+" in text or "00" in text:
        cands += [(m.start(), m.end(), True, "") for m in _finditer(_P.phone_intl, text, windows)]
    intl, j = cands[:], 0
    lc, ctx_lc = _match_copy(text), _P.phone_ctx_lc
    # a context word holds one of _PHONE_NEEDLES: where none lies whole in the 64 characters
    # before a candidate, the context pattern cannot match there (the needles are found in
    # the lower-case text; exact when the match copy is that text, no dotless i folded)
    gate = _lower_windows(text, _PHONE_NEEDLES, 0, 0) if lc is not None and lc is _lower(text) else None
    if gate is not None:
        from bisect import bisect_left

        gate_ends = [e for _, e in gate]
    for m in _finditer(_P.phone_cand, text, windows):
        s = m.start()
        while j < len(intl) and intl[j][1] <= s:
            j += 1
        if j < len(intl) and intl[j][0] <= s:
            continue  # inside an international candidate
        # a context word ending at most 40 chars before the number ("Tel.: ", "call me at ")
        ctx = None
        if gate is not None:
            k = bisect_left(gate_ends, max(0, s - 64) + 1)  # the first needle span ending inside the range
            if k == len(gate) or gate[k][0] >= s:
                ctx = []  # no context word
        if ctx is None:
            if lc is None:
                ctx = [c.group() for c in _P.phone_ctx.finditer(text, max(0, s - 64), s) if s - c.end() <= 40]
            else:
                ctx = [text[c.start():c.end()] for c in ctx_lc.finditer(lc, max(0, s - 64), s) if s - c.end() <= 40]
        if not ctx:
            # a label right before it ("M: ", "Ph: ", "Direct: ", "Home ") or a NANP number with
            # its leading "1-" ("1-415-867-5309"): checked per candidate, no needle
            tail = text[max(0, s - 24):s].rstrip(" \t:=#.").lower()  # a cheap check before the pattern
            lab = _P.phone_label.search(text, max(0, s - 48), s) if tail and (
                tail.endswith(_PHONE_LABEL_ENDS) or (tail[-1] in "mtchwof" and not tail[-2:-1].isalnum())) else None
            if lab is not None:
                ctx = [lab.group().strip(" \t:=#.>*-")]
            elif m.group()[:1] == "1":
                nanp = _P.phone_nanp1.match(m.group())
                if nanp is not None:
                    cands.append((s, s + nanp.end(), False, "NANP 1-"))
                    continue
        if ctx:
            cands.append((s, m.end(), False, ctx[-1]))
    budget = 64  # phonenumbers validations per prompt; past it, plausible candidates count (fail closed)
    business = _P.phone_business if lc is None else _P.phone_business_lc
    for s, e, international, word in sorted(cands):
        lo = max(0, s - 60)
        before = text[lo:s]
        if business.search(before if lc is None else lc[lo:s]) and not _P.phone_personal.search(before):
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
                if _P.date_like.match(cand) or _P.ipv4.fullmatch(cand):
                    continue  # a date or an IPv4 address, not a number to call
                budget -= 1
                if budget < 0 or _phone_valid(cand, intl):
                    verdict = "valid number (libphonenumber)" if budget >= 0 else "not validated (budget spent)"
                    hits.append((s + ps, s + pe, _mask_digits(cand), verdict, word))
                    i, found = j, True
                    break
                if intl and _phone_possible(cand):
                    # unallocated but well formed ("+44 7700 900123", Ofcom's drama range: the
                    # national form validates in another region): with a phone word before it,
                    # it is someone's number as written
                    lo2 = max(0, s + ps - 64)
                    near = [c for c in _P.phone_ctx.finditer(text, lo2, s + ps) if s + ps - c.end() <= 40]
                    if near:
                        hits.append((s + ps, s + pe, _mask_digits(cand), "possible number, context word",
                                     near[-1].group()))
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


def _placeholder_shape(v: str) -> bool:
    """``_P.placeholder.search(v) or _P.placeholder_word.search(v)``, on the lower-case value
    with case-sensitive twins where that is exact (as for _match_copy)."""
    lv = v.lower()
    if len(lv) != len(v):
        return bool(_P.placeholder.search(v) or _P.placeholder_word.search(v))
    if "\u0131" in lv or "\u017f" in lv:
        lv = lv.replace("\u0131", "i").replace("\u017f", "s")
    return bool(_P.placeholder_any_lc.search(lv) or _P.placeholder_start_lc.match(lv)
                or _P.placeholder_const.match(v) or _P.placeholder_word_lc.search(lv))


def _is_placeholder(value: str, *, quoted: bool = True, key_words: bool = True) -> bool:
    """Whether ``value`` is a placeholder, template or reference rather than a secret."""
    v = value.strip()
    if len(v) < 4:
        return True
    if v == _KEY_JWT_DOC:
        return True  # the jwt.io documentation sample
    if _placeholder_shape(v):
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
                r"pass|pwd|secret|token|key|cred|psk", low) and (
                "_" in v or re.search(r"[a-z][A-Z]", v) or re.fullmatch(
                    r"(?:api)?(?:pass(?:word)?|pwd|secret|token|key|creds?|credentials?)", low)):
            return True  # api_key=api_key, password=user_password, token=authToken (a variable, not a value)
    return False


#: (text, start, end) of the last bare value run found by _value_after: a later value starting
#: inside it ends where it ends (a run of "KEY=KEY=KEY=..." is scanned once, not once per label)
_KEY_RUN: tuple = (None, 0, 0)
#: Checks look at a value's first this many characters (the finding still spans all of it).
_KEY_CHECK = 256


def _prose_value(text: str, pos: int) -> tuple[int, int, bool, str] | None:
    """:func:`_value_after` for a value that may end a sentence: a bare value loses one closing
    ``. , ; : )`` before a blank or the end ("the password is Tr0ub4dor."). Returns (start,
    end, quoted, the value's first :data:`_KEY_CHECK` characters) or None."""
    val = _value_after(text, pos)
    if val is None:
        return None
    s, e, quoted = val
    if not quoted and text[e - 1] in ".,;:)" and (e == len(text) or text[e].isspace()):
        e -= 1
    return s, e, quoted, text[s:min(e, s + _KEY_CHECK)]


def _value_after(text: str, pos: int) -> tuple[int, int, bool] | None:
    """The value starting at ``pos`` (quoted or bare): (start, end, quoted) or None."""
    global _KEY_RUN
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
    run = _KEY_RUN
    if run[0] is text and run[1] <= pos < run[2]:
        s, e = pos, run[2]
    else:
        m = _P.bare_value.match(text, pos)
        if not m:
            return None
        s, e = m.span()
        _KEY_RUN = (text, s, e)
    cut = _P.conn_next.search(text, s, min(e, s + 1024))  # "AccountKey=...;EndpointSuffix=..."
    if cut:
        e = cut.start()
    while e > s and text[e - 1] in ",;)}]:":
        e -= 1
    return (s, e, False) if e > s else None


_KEY_PREFIXES = ("AKIA", "ASIA", "ABIA", "ACCA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
                 "xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-", "xapp-", "_live_", "_test_", "_prod_", "whsec_",
                 "sk-", "AIza", "npm_", "pypi-", "hf_", "eyJ", "glpat-", "gldt-", "glrt-", "glft-", "glptt-",
                 "hooks.slack.com/", "SG.", "shpat_", "shpss_", "shpca_", "shppa_", "dop_v1_", "doo_v1_",
                 "dor_v1_", "xai-", "gsk_", "AGE-SECRET-KEY-1", "discord.com/api/webhooks/",
                 "discordapp.com/api/webhooks/")
#: Stripe's "sk_live_"/"rk_test_"...: found by the part after the two-letter type
_KEY_MID = ("_live_", "_test_", "_prod_")
_KEY_WORDS = ("pass", "pwd", "pw", "secret", "token", "key", "cred", "kennwort", "contrase", "mot de passe",
              "mot_de_passe", "mot-de-passe", "authorization", "senha", "wachtwoord", "hasło", "haslo", "login",
              "logon", "curl", "mysql", "mariadb", "sshpass", "bearer", "_auth", "auth:", "auth=", "auth\"",
              "auth'", "auth =", "dsn", "psk", "пароль", "パスワード", "密码", "密碼", "비밀번호", "şifre",
              "sifre", "parola", "lösenord", "losenord", "salasana", "smbclient", "rpcclient", "smbget", "smbcacls",
              "smbmap", "net use")
#: Command-line tools whose arguments may carry a password (see _P.key_cli_*).
_KEY_CLI = (("curl", "key_cli_curl"), ("mysql", "key_cli_mysql"), ("mariadb", "key_cli_mysql"),
            ("sshpass", "key_cli_sshpass"), ("login", "key_cli_login"), ("smb", "key_cli_smb"),
            ("rpcclient", "key_cli_smb"), ("net use", "key_cli_netuse"))
#: The jwt.io debugger's documentation sample token (HS256, "John Doe", iat 1516239022, signed with
#: "your-256-bit-secret"; https://jwt.io/ and RFC-style tutorials everywhere): a documentation
#: value like AWS's ...EXAMPLE keys, public by exact value.
#: Needles of the rules below (all in _KEY_WORDS too): "Bearer TOKEN"; NAME_KEY=/NAME_AUTH=/NAME_DSN=;
#: "Password - X", "pw X", "user jdoe pass X"
_KEY_BEARER_NEEDLES = ("bearer",)
_KEY_ENV_NEEDLES = ("key", "_auth", "auth:", "auth=", "auth\"", "auth'", "auth =", "dsn")
_KEY_PW_NEEDLES = ("pass", "pw", "kennwort")
#: The _KEY_WORDS inside a ``key_assign`` label, each at most 14 characters after the label's
#: start (``shared_access_key``): its windows reach 16 characters back, not 48.
_KEY_ASSIGN_NEEDLES = tuple(w for w in _KEY_WORDS if w not in {
    "authorization", "login", "logon", "curl", "mysql", "mariadb", "sshpass", "bearer", "_auth", "auth:", "auth=",
    "auth\"", "auth'", "auth =", "dsn", "smbclient", "rpcclient", "smbget", "smbcacls", "smbmap", "net use"})
#: The _KEY_WORDS that start a ``key_prose`` phrase ("mot de passe" holds "pass").
_KEY_PROSE_NEEDLES = ("pass", "pw", "kennwort", "contrase", "senha", "wachtwoord", "hasło", "haslo")
_KEY_ALPHABET = "abcdefghijklmnopqrstuvwxyz"  # "secret = 'abcdefg'": a sample
_KEY_JWT_DOC = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2"
                "MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")


def _key_generated(value: str, min_len: int = 16) -> bool:
    """Whether ``value`` looks machine-generated (a key, not a word, slug, version or date):
    ``min_len`` characters or more, letters and digits mixed (an alphanumeric run of 16+
    characters switching between letters and digits 3+ times), not a UUID, an SRI hash, a
    short hex id (under 32 digits: a 64-bit hash or key id) or a documentation sample
    (``abcd1234efgh5678``)."""
    v = value[7:] if value[:7].lower() == "base64:" else value
    if len(v) < min_len or not _P.any_digit.search(v) or _P.key_uuid.fullmatch(v) or v[:4].lower() == "sha2" or v[:4].lower() == "sha3" \
            or v[:6].lower() == "sha512":
        return False
    if len(v) < 32 and _P.hex_run.fullmatch(v):
        return False
    low = v.lower()
    if "1234" in low and "abcd" in low:
        return False
    for run in _P.alnum_run.findall(v[:2048]):
        if len(run) < 16:
            continue
        switches, letter = 0, run[0].isalpha()
        for ch in run:
            a = ch.isalpha()
            if a != letter:
                switches += 1
                letter = a
        if switches >= 3:
            return True
    return False


def detect_api_key(text: str) -> Iterable[Hit]:
    """Prefixed provider secrets and credential assignments; see the module docstring."""
    hits: list[Hit] = []
    # every prefixed token starts at its prefix ("sk_live_"/"rk_live_" two characters before
    # "_live_"): try the pattern there only
    rx, last = _P.key_prefixed, -1
    for i in sorted(i - 2 if needle in _KEY_MID else i for i, needle in _case_hits(text, _KEY_PREFIXES)):
        if i < last or i < 0:
            continue
        m = rx.match(text, i)
        if m is None:
            continue
        last = max(m.end(), m.start() + 1)
        value = m.group()
        prefix = next(g for g in m.groups() if g is not None)
        body = value[len(prefix):]
        if _is_placeholder(body, key_words=False) or value.endswith("EXAMPLE") or value == _KEY_JWT_DOC:
            continue
        if prefix.startswith("sk-") and prefix != "sk-ant-" and not _P.any_digit.search(body):
            continue  # "sk-" followed by words (a slug), not an OpenAI key
        hits.append((m.start(), m.end(), _mask_secret(prefix, value), f"prefix {prefix}"))
    windows = _lower_windows(text, _KEY_WORDS, 48, 48)
    if windows:
        taken: set[int] = set()  # value starts already reported (the rules below overlap)
        for name, wins in (("key_assign", _lower_windows(text, _KEY_ASSIGN_NEEDLES, 16, 48)),
                           ("key_flag", windows), ("key_auth", windows)):
            covered = -1  # the end of this rule's last finding: a label inside its value is part of it
            for m in _ci_scan(name, text, wins):
                if m.start() < covered:
                    continue
                val = _value_after(text, m.end())
                if val is None:
                    continue
                s, e, quoted = val
                value = text[s:min(e, s + _KEY_CHECK)]
                if _is_placeholder(value, quoted=quoted):
                    continue
                label = text[m.start():m.end()]
                strong_pw = _PASSWORD_KEY.search(label)
                pw_key = strong_pw or _P.key_pw_label.search(text, m.start(), m.end())
                if not quoted and pw_key and len(value) == 4:
                    app = _P.key_app_password.match(text, s)  # a Gmail app password "kxqz vbnm wprt lsdf"
                    if app:
                        e = app.end()
                        taken.add(s)
                        hits.append((m.start(), e, "app password …(19 chars)", "credential assignment",
                                     _P.key_tail.sub("", label)[-24:].strip()))
                        continue
                if not quoted and value.isalpha() and _P.title_next.match(text[e:e + 2]):
                    continue  # "Secret: Unlocking the ..." is a title, not a value
                if _plain_word(value) and (not pw_key or (
                        not strong_pw and ("\n" in label or value.lower() in _KEY_ALPHABET))):
                    continue  # "token: ident" (a lexer's token), "api_key: production": a generated
                    # token or key is never one short word; a password, PSK or shared secret may be
                    # ("password: admin", "psk=swordfish"); "parola: ciao" is Italian for "word"
                key = _P.key_tail.sub("", label)[-24:]
                taken.add(s)
                covered = e
                hits.append((m.start(), e, f"{key} …({len(value)} chars)", "credential assignment", key.strip()))
        # "Bearer TOKEN" anywhere (a header set in code, a template literal, '"Bearer " + "TOKEN"')
        for m in _ci_scan("key_bearer", text, _lower_windows(text, _KEY_BEARER_NEEDLES, 1, 8)):
            v = _P.key_bearer_value.match(text, m.end())
            if v is None:
                continue
            s, e = v.span()
            while e > s and text[e - 1] in ".-~":
                e -= 1
            value = text[s:min(e, s + _KEY_CHECK)]
            if s in taken or not _key_generated(value, 20) or _is_placeholder(value):
                continue
            taken.add(s)
            hits.append((m.start(), e, f"Bearer …({len(value)} chars)", "bearer token", "bearer"))
        # NAME_KEY= / NAME_AUTH= / NAME_DSN= / "key": with a generated-looking value
        for m in _ci_scan("key_env", text, _lower_windows(text, _KEY_ENV_NEEDLES, 1, 16)):
            ks = m.start()
            if ks and text[ks - 1].isalpha() and not (text[ks - 1].islower() and text[ks].isupper()):
                continue  # "monkey=", "oauth:"; "signingKey:" (camelCase) is a name
            val = _value_after(text, m.end())
            if val is None:
                continue
            s, e, quoted = val
            if s in taken:
                continue
            value = text[s:min(e, s + _KEY_CHECK)]
            if not quoted:
                cut = min((i for i in (value.find("&"), value.find("#"), value.find(",")) if i > 0),
                          default=None)
                if cut is not None:
                    value, e = value[:cut], s + cut  # "?key=...&v=3", "Key=ids,Values=..."
            if not _key_generated(value):
                continue
            name = _P.key_env_name.search(text, max(0, ks - 64), ks).group() + text[ks:m.end()]
            name = _P.key_tail.sub("", name)
            if _P.key_env_skip.search(name) or _is_placeholder(value, quoted=quoted):
                continue
            if _P.key_sha_hex.fullmatch(value) and not (name.isupper() and "_" in name):
                continue  # "key: <40 hex>" may be a git SHA; STRIPE_KEY=<40 hex> is a key
            taken.add(s)
            hits.append((ks, e, f"{name[-24:]} …({len(value)} chars)", "credential assignment", name[-24:]))
        # "Password - VALUE", "Password\nVALUE", "(pw VALUE)", "pwd VALUE", "user jdoe pass VALUE"
        for name, before in (("key_label", 1), ("key_bare_pw", 1), ("key_userpass", 80)):
            for m in _ci_scan(name, text, _lower_windows(text, _KEY_PW_NEEDLES, before, 8)):
                if name == "key_label" and "\n" in text[m.start():m.end()] and \
                        text[text.rfind("\n", max(0, m.start() - 80), m.start()) + 1:m.start()].strip():
                    continue  # the next-line form: the label alone on its line
                val = _prose_value(text, m.end())
                if val is None:
                    continue
                s, e, quoted, value = val
                if s in taken or len(value) < 6 or _is_placeholder(value, quoted=quoted):
                    continue
                if value[0] in "-/~$.%<([{" or not _P.any_digit.search(value) or not re.search(r"[^\W\d_]", value):
                    continue  # a path, an option, a word: "pwd /home", "Password - Reset", "users pass `dtype=`"
                if "\n" in text[m.start():m.end()] and text[e:e + 1] not in ("", "\n", "\r"):
                    continue  # the next-line form: the value alone on its line
                taken.add(s)
                hits.append((m.start(), e, f"password …({len(value)} chars)", "credential assignment",
                             text[m.start():m.end()].split()[0][:24]))
        for m in _ci_scan("key_prose", text, _lower_windows(text, _KEY_PROSE_NEEDLES, 48, 80)):
            val = _value_after(text, m.end())
            if val is None:
                continue
            s, e, quoted = val
            if not quoted and text[e - 1] in ".,;:" and (e == len(text) or text[e].isspace()):
                e -= 1  # sentence punctuation after the password
            value = text[s:min(e, s + _KEY_CHECK)]
            if _is_placeholder(value, quoted=quoted) or len(value) < 6:
                continue
            classes = sum(bool(re.search(p, value)) for p in (r"[A-Za-z]", r"\d", r"[^A-Za-z0-9]"))
            if not quoted and classes < 2:
                continue  # "the password is incorrect"
            if not quoted and value[0] in "/~$" and text[m.start():m.start() + 2].lower() == "pw":
                continue  # "pwd is /home/jdoe": the shell's working directory
            hits.append((m.start(), e, f"password …({len(value)} chars)", "password in prose",
                         " ".join(text[m.start():m.end()].split()[:1])))
        low = _lower(text)
        for needle, name in _KEY_CLI:  # curl -u user:pass, mysql -pPASS, sshpass -p PASS
            if needle not in low:
                continue
            # from the command on (the flag may come a few options later)
            before = 24 if name == "key_cli_login" else 1  # "docker login": the command is before the needle
            for m in _scan(getattr(_P, name), text, _windows(text, low, (needle,), before, 320)):
                val = _value_after(text, m.end())
                if val is None:
                    continue
                s, e, quoted = val
                value = text[s:min(e, s + _KEY_CHECK)]
                if name == "key_cli_curl":
                    if ":" not in value:
                        continue  # "-u user": curl asks for the password
                    value = value.split(":", 1)[1]
                elif name == "key_cli_smb":
                    if "%" not in value:
                        continue  # "-U user": smbclient asks for the password
                    value = value.split("%", 1)[1]
                elif name == "key_cli_netuse" and value[0] in "/*":
                    continue  # "/persistent:yes": an option; "*": net use asks for the password
                if _is_placeholder(value, quoted=True):
                    continue
                flag = text[m.start():m.end()].split()[-1] if name != "key_cli_mysql" else "-p"
                flag = "/user" if name == "key_cli_netuse" else flag  # (the account name is no mask)
                tool = text[m.start():m.end()].split()[0]
                hits.append((m.start(), e, f"{tool} {flag} …({len(value)} chars)", "password on a command line", tool))
        pair_windows = _windows(text, low, ("login", "logon", "creds", "credential"), 1, 200)
        for m in _scan(_P.key_pair, text, pair_windows):  # "login: admin / pass", "creds admin:pass"
            label, user, value = m.group(1), m.group(2), m.group(3)
            e = m.end()
            if value[-1] in ".,;:)" and (e == len(text) or text[e].isspace()):
                value, e = value[:-1], e - 1
            if len(value) < 6 or value == user or _is_placeholder(value, quoted=True):
                continue
            if _P.port_path.match(value):
                continue  # "login: db.internal:5432/app" is a host and port
            classes = sum(bool(re.search(p, value)) for p in (r"[A-Za-z]", r"\d", r"[^A-Za-z0-9]"))
            if classes < 2:
                continue
            hits.append((m.start(), e, f"{label} {user[:1]}…:…({len(value)} chars)", "user and password", label))
        for m in _ci_scan("key_pw_to", text, _lower_windows(text, _KEY_PW_TO_NEEDLES, 80, 48)):
            val = _prose_value(text, m.end())  # "set the password to X", "with password X"
            if val is None:
                continue
            s, e, quoted, value = val
            if s in taken or len(value) < 6 or _is_placeholder(value, quoted=quoted):
                continue
            classes = sum(bool(re.search(p, value)) for p in (r"[A-Za-z]", r"\d", r"[^A-Za-z0-9]"))
            if not quoted and (classes < 2 or value[0] in "-/~$.%<([{"):
                continue  # "with password authentication", "set the password to expire", a path or option
            taken.add(s)
            hits.append((m.start(), e, f"password …({len(value)} chars)", "password in prose", "password"))
        nv_windows = _intersect_windows(_lower_windows(text, _KEY_ASSIGN_NEEDLES, 48, 64),
                                        _lower_windows(text, ("value",), 128, 8))  # a name, then "value"
        nv = list(_ci_scan("key_name_value", text, nv_windows)) if nv_windows else []
        for m in nv:  # "- name: DB_PASSWORD" + "value: ...": judged as "DB_PASSWORD=..." would be
            val = _value_after(text, m.end())
            if val is None or val[0] in taken or not _KEY_NV_DEPTH:
                continue
            s, e, quoted = val
            name = text[m.start(1):m.end(1)]
            lt = max(0, m.start() - 200)
            if text.rfind("<", lt, m.start()) > text.rfind(">", lt, m.start()):
                continue  # inside a tag (<input name="..." value="...">): the structured pass's record
            if _P.key_env_skip.search(name) or _KEY_NV_NOT_SECRET.search(name):
                continue  # "PASSWORD_MIN_LENGTH", "API_KEY_HEADER", "publishable_key"
            value = text[s:min(e, s + _KEY_CHECK)]
            q = "\"" if quoted and "\"" not in value else ""
            _KEY_NV_DEPTH.pop()
            try:
                judged = detect_api_key(f"{name}={q}{value}{q}")
            finally:
                _KEY_NV_DEPTH.append(1)
            if judged:
                taken.add(s)
                hits.append((m.start(), e, f"{name[-24:]} …({len(value)} chars)", "credential name and value",
                             name[-24:]))
    if _any_needle(text, _KEY_MORE_NEEDLES):
        _key_more(text, hits)
    if "://" in text:
        for m in _scan(_P.key_url, text, _windows(text, text, ("://",), 24, 200)):
            user, password = m.group(1), m.group(2)
            if password == user or _is_placeholder(password, quoted=True):
                continue
            hits.append((m.start(), m.end() - 1, f"{text[m.start():m.start(1)]}{user[:1]}…:…@",
                         "password in URL userinfo"))
    return hits


#: Needles of :func:`_key_more`: cookie headers, Wi-Fi keys, PINs, ``sudo -S``, ``htpasswd -b``.
_KEY_MORE_NEEDLES = ("cookie", "wifi", "wi-fi", "wlan", "pin", "sudo", "htpasswd")
#: ``Cookie: a=b; c=d`` / ``Set-Cookie: sid=...`` (the pairs follow the match, to the line end)
_KEY_COOKIE = re.compile(r"(?<![\w\-])(?:set-)?cookie[\"']?[ \t]*:[ \t]*", _I)
_KEY_COOKIE_ATTRS = frozenset({"path", "domain", "expires", "max-age", "samesite", "httponly", "secure",
                               "priority", "partitioned", "version", "comment"})
#: "wifi password Tr0ub4dor99", "WLAN-Schlüssel: ...", "the wifi key is ..." (the value follows)
_KEY_WIFI = re.compile(r"(?<![\w\-])(?:wi-?fi|wlan)[ \t\-]*(?:password|passwort|passphrase|pass|pwd|pw|key|"
                       r"schl(?:ü|ue)ssel|kennwort|psk|code)(?![\w\-])[ \t]*(?:(?:is|ist|lautet|was)[ \t]*:?[ \t]+|"
                       r"[:=][ \t]*|[ \t]+)", _I)
#: "PIN: 4821", "my PIN is 4821", "PIN-Code 4821", "PIN number 4821" (not "pin 13", "GPIO pin 4")
_KEY_PIN = re.compile(r"(?<![\w\-])(?:pin|PIN|Pin)(?:[ \t]*-?[ \t]*(?:code|Code|number|Nummer|nummer|no\.?))?"
                      r"(?:[\"']?[ \t]*[:=#][ \t]*[\"']?|[ \t]+(?:is|was|ist|lautet|est|es)[ \t]*:?[ \t]+|"
                      r"(?<=[cC]ode)[ \t]+|(?<=[nN]umber)[ \t]+|(?<=[nN]ummer)[ \t]+)(\d{4,8})(?![\d\w]|[.,/:\-]\d)")
#: ``echo "pw" | sudo -S cmd`` (group 1 = the value), ``sudo -S cmd <<< "pw"``
_KEY_SUDO = re.compile(r"\b(?:echo|printf)[ \t]+(?:-[neE]+[ \t]+)?(\"[^\"\n]{1,128}\"|'[^'\n]{1,128}'|[^\s|;&\"']{1,128})"
                       r"[ \t]*\|[ \t]*sudo(?:[ \t]+-[A-Za-z]*(?:[ \t]+[^\s\-][^\s]{0,32})?){0,3}?[ \t]+-[A-Za-z]*S\b")
_KEY_SUDO_HERE = re.compile(r"\bsudo(?:[ \t]+-[A-Za-z]*(?:[ \t]+[^\s\-][^\s]{0,32})?){0,3}?[ \t]+-[A-Za-z]*S\b"
                            r"[^\n<]{0,160}<<<[ \t]*(\"[^\"\n]{1,128}\"|'[^'\n]{1,128}'|[^\s|;&\"']{1,128})")
#: ``htpasswd -b[c] file user pw``, ``htpasswd -nb user pw``
_KEY_HTPASSWD = re.compile(r"\bhtpasswd((?:[ \t]+-[A-Za-z]{1,8})+)[ \t]+([^\s|;&]{1,256})[ \t]+([^\s|;&]{1,128})"
                           r"(?:[ \t]+([^\s|;&]{1,128}))?")


def _key_more(text: str, hits: list) -> None:
    """Cookie headers with a generated value, Wi-Fi keys, PINs, ``sudo -S`` and ``htpasswd -b``
    passwords (see the module docstring); appends to ``hits``."""
    for m in _scan(_KEY_COOKIE, text, _lower_windows(text, ("cookie",), 8, 24)):
        e_line = text.find("\n", m.end(), m.end() + 4096)
        end = m.end() + 4096 if e_line == -1 else e_line
        pos = m.end()
        for part in text[pos:end].split(";")[:64]:
            name, eq, value = part.partition("=")
            seg_end = pos + len(part)
            pos = seg_end + 1
            value = value.strip().strip("\"'")
            if not eq or name.strip().lower() in _KEY_COOKIE_ATTRS:
                continue
            if _key_generated(value[:_KEY_CHECK], 16) and not _is_placeholder(value[:_KEY_CHECK]):
                hits.append((m.start(), seg_end, f"cookie {name.strip()[:16]} …({len(value)} chars)",
                             "session cookie", "cookie"))
                break
    for m in _scan(_KEY_WIFI, text, _lower_windows(text, ("wifi", "wi-fi", "wlan"), 1, 48)):
        val = _prose_value(text, m.end())
        if val is None:
            continue
        s, e, quoted, value = val
        if len(value) < 6 or _is_placeholder(value, quoted=quoted) or value[0] in "-/~$%<([{":
            continue
        classes = sum(bool(re.search(p, value)) for p in (r"[^\W\d_]", r"\d", r"[^\w\s]|_"))
        if not quoted and classes < 2:
            continue  # "wifi password is incorrect"
        hits.append((m.start(), e, f"wifi key …({len(value)} chars)", "wifi key", "wifi"))
    for m in _scan(_KEY_PIN, text, _lower_windows(text, ("pin",), 1, 40)):
        if "default" in text[max(0, m.start() - 32):m.start()].lower():
            continue  # "the default PIN is 0000": a manual's factory setting
        pin = m.group(1)
        hits.append((m.start(), m.end(), f"PIN …({len(pin)} digits)", "PIN", "pin"))
    if _any_needle(text, ("sudo",)):
        for rx in (_KEY_SUDO, _KEY_SUDO_HERE):
            for m in _scan(rx, text, _lower_windows(text, ("sudo",), 200, 200)):
                value = m.group(1)
                quoted = value[0] in "\"'"
                value = value[1:-1] if quoted else value
                if value[:1] == "$" or len(value) < 4 or _is_placeholder(value, quoted=True):
                    continue
                hits.append((m.start(), m.end(), f"sudo -S …({len(value)} chars)", "password on a command line",
                             "sudo"))
    for m in _scan(_KEY_HTPASSWD, text, _lower_windows(text, ("htpasswd",), 1, 400)):
        flags = m.group(1)
        if "b" not in flags:
            continue  # htpasswd asks for the password
        value = m.group(3) if "n" in flags else m.group(4)
        if value is None:
            continue
        value = value.strip("\"'")
        if value[:1] == "$" or _is_placeholder(value, quoted=True):
            continue
        hits.append((m.start(), m.end(), f"htpasswd -b …({len(value)} chars)", "password on a command line",
                     "htpasswd"))


#: Needles of ``key_pw_to`` ("set the password to X", "with password X").
_KEY_PW_TO_NEEDLES = ("password", "passwort", "pwd")
#: A name/value pair's name that names something about a credential, not the credential.
_KEY_NV_NOT_SECRET = re.compile(r"(?:^|[_.\-])(?:file|path|len(?:gth)?|min|max|policy|expir\w*|ttl|timeout|"
                                r"name|ref|id|arn|hint|label|type|mode|enabled?|required|header|field|param|"
                                r"prefix|algorithm|url|uri|endpoint|rotation|version|count|size)$|"
                                r"(?-i:(?<=[a-z])(?:File|Path|Length|Name|Ref|Id|Arn|Type|Header|Url)$)", _I)
#: Holds one item unless a name/value pair is being judged (no nested judging).
_KEY_NV_DEPTH = [1]
#: A key naming a password (any value counts), not a token, secret or API key.
_PASSWORD_KEY = re.compile(r"pass|pwd|pw(?![a-z])|kennwort|contrase|mot[ \t_\-]*de[ \t_\-]*passe|parol(?!a)|wachtwoord|"
                           r"has(?:ł|l)o|senha|clave", _I)


def _plain_word(value: str) -> bool:
    """A short word in one case or capitalised (``ident``, ``EOF``, ``Production``)."""
    return len(value) <= 12 and value.isalpha() and (value.islower() or value.isupper() or value[1:].islower())


#: The base64 openings of a private key's DER structure (see _P.key_body).
_KEY_BODY_NEEDLES = ("MII", "CAQ", "b3Bl")


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
            end_m = ends[label] = _find_pem_end(text, label, m.end())
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
    for m in _scan(_P.key_body, text, _case_windows(text, _KEY_BODY_NEEDLES, 4, 80)):
        if any(s <= m.start() < e for s, e, *_ in hits):
            continue  # the body of a block found above
        end = max(m.end(), len(text[:_P.pem_tail.match(text, m.end()).end()].rstrip()))
        hits.append((m.start(), end, f"private key body …({end - m.start()} chars)", "DER key structure"))
    return hits


def _find_pem_end(text: str, label: str, pos: int) -> re.Match[str] | None:
    """``_pem_end_rx(label).search(text, pos)``, tried only where ``END`` occurs: a match
    starts at the dashes and blanks right before its ``END`` (at the first of them)."""
    rx = _pem_end_rx(label)
    low = _lower(text)
    if len(low) != len(text):
        return rx.search(text, pos)
    q = low.find("end", pos)
    while q != -1:
        r = q
        while r > pos and text[r - 1] in " \t":
            r -= 1
        while r > pos and text[r - 1] == "-":
            r -= 1
        m = rx.match(text, r)
        if m is not None:
            return m
        q = low.find("end", q + 1)
    return None


@lru_cache(maxsize=32)
def _pem_end_rx(label: str) -> re.Pattern[str]:
    return re.compile(r"-*[ \t]*END[ \t]+" + r"[ \t]+".join(map(re.escape, label.split())) + r"[ \t]*-+", re.I)


def _date_ok(day: int, month: int, year: str) -> bool:
    if len(year) == 4 and int(year) < 1900:
        return False
    return 1 <= day <= 31 and 1 <= month <= 12


_DOB_NEEDLES = ("dob", "d.o.b", "birth", "born", "bday", "b-day", "b'day", "geburt", "geboren", "geb.", "né", "ne le", "nee le",
                "naissance", "nacimiento", "nac.", "nacid", "nascita", "nato", "nata", "nascimento", "nascid",
                "geboorte", "urodz")
#: Abbreviations whose needle occurs inside common words ("your."): their windows count only
#: where the needle starts a word.
_DOB_ABBREV_NEEDLES = ("ur.", "b.")


def _dob_date_ok(m: re.Match[str]) -> bool:
    g = m.groups()
    if g[0]:
        a, b, year = int(g[0]), int(g[1]), g[2]
        return _date_ok(a, b, year) or _date_ok(b, a, year)
    if g[3]:
        return _date_ok(int(g[5]), int(g[4]), g[3])
    if g[6]:
        return _date_ok(int(g[6]), 1, g[8])
    if g[9]:
        return _date_ok(int(g[10]), 1, g[11])
    return _date_ok(int(g[14]), int(g[13]), g[12])


def detect_date_of_birth(text: str) -> Iterable[Hit]:
    """A full date next to a birth context word; see the module docstring."""
    hits: list[Hit] = []
    windows = _lower_windows(text, _DOB_NEEDLES, 24, 32)
    abbrev = [(s - 24, e + 32) for s, e in _lower_windows(text, _DOB_ABBREV_NEEDLES, 0, 0)
              if not (s and text[s - 1].isalnum())]
    if abbrev:
        windows = _merge_spans(sorted(windows + abbrev), len(text), 0)
    ctx = [c.span() for c in _scan(_P.dob_ctx, text, windows)]
    if not ctx:
        return hits
    from bisect import bisect_left, bisect_right

    # the date after a context word ("DOB: 12/03/1985"), or right before one ("12/03/1985 (DOB)"):
    # one scan around all the words (a text dense with them stays linear), each date then paired
    # with the last word ending at most 34 characters before it, else the first starting at
    # most 12 after it (the words' spans are sorted and disjoint)
    starts = [cs for cs, _ in ctx]
    ends = [ce for _, ce in ctx]
    windows = _merge_spans([(cs - 40, ce + 80) for cs, ce in ctx], len(text), 0)
    for m in _scan(_P.date, text, windows):
        s, e = m.span()
        k = bisect_right(ends, s) - 1
        if not (k >= 0 and s - ends[k] <= 34):
            k = bisect_left(starts, e)
            if not (k < len(ctx) and starts[k] - e <= 12):
                continue
        if _dob_date_ok(m):
            cs, ce = ctx[k]
            hits.append((s, e, _mask_date(m.group()), "date valid", " ".join(text[cs:ce].split())))
    return hits


_MARKING_NEEDLES = ("intern", "confiden", "vertraulich", "not for", "do not", "gebrauch", "restreint",
                    "tlp", "secret", "noforn", "proprietar", "geheim", "vs-nfd", "fouo", "official", "nato",
                    "riservato", "vertrouwelijk", "poufne", "tajne", "attorney", "unclassified", "gebruik",
                    "wewn", "sensitivity", "classification", "msip_label", "under nda", "under an nda",
                    "under a nda", "strettamente", "ściśle", "社外秘", "極秘", "部外秘", "取扱注意")


def detect_classification_marking(text: str) -> Iterable[Hit]:
    """Document handling markings; see the module docstring."""
    windows = _lower_windows(text, _MARKING_NEEDLES, 80, 80)
    if not windows:
        return []  # no trigger word: nothing to scan (and its patterns are not compiled)
    lc = _match_copy(text)
    if lc is None:
        spans = [m.span() for m in _scan(_P.marking, text, windows)]
    else:
        spans = list(_scan_parts([(_P.marking_lc, lc), (_P.marking_line_lc, lc), (_P.marking_caps, text)], windows))
    return [(s, e, _mask_text(text[s:e].strip(), 2)) for s, e in spans if text[s:e].strip()]


_FIN_NEEDLES = ("disclos", "publi", "announc", "releas", "embargo", "draft", "forecast", "projected",
                "preliminary", "veröffentlich", "veroeffentlich", "vorläufig", "vorlaeufig", "annonc",
                "prévision", "prevision", "anunciar", "provisional")


def detect_unreleased_financials(text: str) -> Iterable[Hit]:
    """Financial figures stated as not yet public; see the module docstring."""
    hits: list[Hit] = []
    lc = _match_copy(text)
    for mk in _ci_scan("fin_marker", text, _lower_windows(text, _FIN_NEEDLES, 24, 40)):
        lo, hi = max(0, mk.start() - 150), mk.end() + 150
        window = text[lo:hi]
        term = _P.fin_term.search(window) if lc is None else _P.fin_term_lc.search(lc[lo:hi])
        if term and (_P.fin_amount_sign.search(window) or _P.fin_amount_number.search(window)):
            hits.append((mk.start(), mk.end(), _mask_text(text[mk.start():mk.end()], 2)))
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
    found: list = []

    def call(*args):
        if not found:
            from importlib import import_module

            found.append(getattr(import_module(f"hrouter.signals.detectors.{module}"), func))
        return found[0](*args)

    call.__name__ = func
    return call


_DETECTORS.update({
    "national_id": _lazy("national_id", "detect_national_id"),
    "medical_id": _lazy("contextual", "detect_medical_id"),
    "passport": _lazy("contextual", "detect_passport"),
    "salary": _lazy("contextual", "detect_salary"),
    "vehicle_plate": _lazy("contextual", "detect_vehicle_plate"),
    "phi": _lazy("phi", "detect_phi"),
    "bank_account": _lazy("bank", "detect_bank_account"),
    "mrz": _lazy("documents", "detect_mrz"),
    "seed_phrase": _lazy("documents", "detect_seed_phrase"),
    "drivers_license": _lazy("documents", "detect_drivers_license"),
    "postal_address": _lazy("address", "detect_postal_address"),
})

#: Module of each lazily imported family, and the trigger-word tuples every module scans with.
_LAZY_MODULES = {"national_id": "national_id", "medical_id": "contextual", "passport": "contextual",
                 "salary": "contextual", "vehicle_plate": "contextual", "phi": "phi",
                 "bank_account": "bank", "mrz": "documents", "seed_phrase": "documents",
                 "drivers_license": "documents", "postal_address": "address"}


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
    for needles in (_SSN_NEEDLES, _KEY_WORDS, _KEY_BEARER_NEEDLES, _KEY_ENV_NEEDLES, _KEY_PW_NEEDLES,
                    ("begin",), _DOB_NEEDLES, _MARKING_NEEDLES, _FIN_NEEDLES,
                    _PHONE_NEEDLES, _CARD_NEEDLES, _DOB_ABBREV_NEEDLES):
        _register_needles(needles)
    for needles in (_KEY_PREFIXES, _KEY_BODY_NEEDLES):  # case-sensitive: their lower-case forms
        _register_needles(tuple(n.lower() for n in needles))
    _Needles.preloaded = True


def _needle_tuples(mod) -> list[tuple[str, ...]]:
    """The trigger-word tuples a detector module declares (module constants named ``*NEEDLES``)."""
    return [v for k, v in vars(mod).items() if k.endswith("NEEDLES") and isinstance(v, tuple)]


# --------------------------------------------------------------------------------------
# Policy-driven rules: internal domains and custom rules (compiled once per config).


#: A dot between hostname labels: ``.`` or defanged, ``[.]`` ``(.)`` ``{.}`` ``[dot]`` ``(dot)`` ``{dot}``
#: (any case; how threat reports and chat filters write ``db01[.]corp``).
_HOST_DOT = r"(?:\.|[\[({](?:\.|dot)[\])}])"
#: Characters right before a suffix that end a dot: ``.`` and the closing brackets of ``[.]``.
_HOST_DOT_ENDS = ".])}"
#: A defanged dot (lower-case needles of the shared trigger pass): only a text holding one is
#: searched for ``]corp`` / ``)corp`` / ``}corp`` besides ``.corp``.
_HOST_DEFANG_NEEDLES = ("[.]", "(.)", "{.}", "[dot]", "(dot)", "{dot}")
_register_needles(_HOST_DEFANG_NEEDLES)


@lru_cache(maxsize=64)
def _hostname_rx(suffixes: tuple[str, ...]) -> re.Pattern[str]:
    """A hostname under one of ``suffixes``: labels of letters, digits and hyphens joined by
    plain or defanged dots, then the suffix; first any underscore labels of a service name
    (RFC 8552: SRV ``_ldap._tcp.dc01.corp``, ``_dmarc.mail.corp``), which need a host label after
    them. An underscore elsewhere makes an identifier, not a host (``libcst._nodes.internal``,
    ``my_var.corp``)."""
    alts = "|".join(re.escape(s.strip(".").lower()) for s in sorted(suffixes, key=len, reverse=True)
                    if s.strip("."))
    return re.compile(r"(?<![\w.])(?<![\w.]-)((?:_[a-z0-9](?:[a-z0-9_\-]{0,61}[a-z0-9])?" + _HOST_DOT + r")*"
                      r"(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?" + _HOST_DOT + r")+)"
                      r"(" + alts + r")(?![\w\-]|" + _HOST_DOT + r"[a-z0-9])", re.IGNORECASE)


#: Well-known names under ``.internal`` that are public (documented by their vendors, the same on
#: every machine), exact values: the GCE metadata server, Docker Desktop's host and gateway
#: names and its Kubernetes API name.
_PUBLIC_HOSTS = frozenset({"metadata.google.internal", "host.docker.internal", "gateway.docker.internal",
                           "kubernetes.docker.internal"})
#: First labels that make a dotted name code, not a host: a method's receiver (``self.internal``)
#: or a reverse-DNS package (``com.google.common.base.internal``, ``org.apache.x.internal``).
_HOST_CODE_FIRST = frozenset("self this cls super com org net io java javax android androidx kotlin scala "
                             "jdk sun".split())


def _host_is_code(text: str, s: int, e: int) -> bool:
    """Whether the "hostname" at ``text[s:e]`` is code or a well-known public name (see
    :data:`_PUBLIC_HOSTS`, :data:`_HOST_CODE_FIRST`): an attribute assigned or called
    (``x.internal = 1``, ``obj.internal(``) or a module in a Python import line
    (``from sklearn.utils.internal import x``)."""
    name = text[s:e].lower()
    if name in _PUBLIC_HOSTS:
        return True
    first = _host_label(name)
    if first in _HOST_CODE_FIRST and not any(c in name for c in "[({"):
        return True  # only plain dots: a defanged "com[.]internal" is written as a host
    nxt = text[e:e + 3]
    if "-" not in name and (nxt[:1] == "(" or (nxt.lstrip(" \t")[:1] == "="
                                                 and text[e:e + 4].lstrip(" \t")[1:2] != "=")):
        return True  # "obj.internal(", "self.internal = True" (a hyphen is no identifier's)
    lo = max(0, s - 200)  # bounded: an import line's head is near (a long line is no import)
    ls = text.rfind("\n", lo, s)
    if ls == -1 and lo > 0:
        return False
    return _P.host_import.match(text, ls + 1, s) is not None  # "from a.b.internal import x", "import a.internal"


def _host_label(labels: str) -> str:
    """The first label of a hostname's ``labels`` (``db01[.]`` -> ``db01``), for the mask."""
    for i, c in enumerate(labels):
        if c in ".[({":
            return labels[:i]
    return labels


def detect_internal_hostnames(text: str, suffixes: tuple[str, ...]) -> Iterable[Hit]:
    """Hostnames ending in one of ``suffixes`` (``build-01.corp``); the bare suffix is not a host.

    The ideographic full stops U+3002/U+FF61 (which NFKC leaves alone but IDNA and browsers read
    as ``.``) count as dots here: ``db。corp`` is ``db.corp``. One character each, so offsets hold.
    Defanged dots count too (``db01[.]corp``, ``wiki(.)internal``, ``db01[dot]corp``), and so do
    a service name's leading underscore labels (``_ldap._tcp.dc01.corp``)."""
    if not any(s.strip(".") for s in suffixes):
        return []
    if "\u3002" in text or "\uff61" in text:
        text = text.replace("\u3002", ".").replace("\uff61", ".")
    ends = _HOST_DOT_ENDS if _any_needle(text, _HOST_DEFANG_NEEDLES) else "."
    needles = tuple(c + s.strip(".").lower() for s in suffixes if s.strip(".") for c in ends)
    low = _lower(text)
    windows = _windows(text, low, needles, 256, 2)
    if windows and len(low) == len(text):
        windows = _host_windows(text, low, needles, windows)
    hits = [(m.start(), m.end(), f"{_mask_part(_host_label(m.group(1)))}.{m.group(2).lower()}")
            for m in _scan(_hostname_rx(suffixes), text, windows)]
    if not (text.isascii() and all(s.isascii() for s in suffixes)):  # only a non-ASCII character can be a look-alike
        hits = _confusable_host_hits(text, suffixes, hits)  # db.cоrp with a Cyrillic о
    return [h for h in hits if not _host_is_code(text, h[0], h[1])] if hits else hits


def _host_windows(text: str, low: str, needles: tuple[str, ...],
                  windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The parts of the suffix ``windows`` a hostname can lie in: a hostname is a run of
    letters, digits, dots and hyphens that ends with a suffix, so each suffix's window is
    cut to start where that run starts (or where its window starts, if later). Each match
    of the window scan lies inside such a part, and each part ends where its window would."""
    from bisect import bisect_right

    starts = [ws for ws, _ in windows]
    parts = []
    run = _P.host_run
    n = len(text)
    for needle in needles:
        i = low.find(needle)
        prev_i, prev_start, prev_ws = -1, 0, -1
        while i != -1:
            ws = windows[bisect_right(starts, max(0, i - 256)) - 1][0]
            if ws == prev_ws and run.match(text, prev_i, i).end() == i:
                start = prev_start  # the same run as the previous suffix's ("x.internal(x.internal(..."):
                # its start is that one's (linear, not a re-read of the run per suffix)
            else:
                lo = max(ws, i - 256)
                start = i - run.match(text[lo:i][::-1]).end()  # the run read backwards from the suffix
                if start == lo > ws:  # a run longer than that: its start, back to the window's
                    start = i - run.match(text[ws:i][::-1]).end()
            prev_i, prev_start, prev_ws = i, start, ws
            parts.append((start, min(n, i + len(needle) + 2)))
            i = low.find(needle, i + 1)
    parts.sort()
    merged: list[tuple[int, int]] = []
    for s, e in parts:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


@lru_cache(maxsize=64)
def _hostname_fold_rx(suffixes: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str], int, bool]:
    """:func:`_hostname_rx` for a :func:`_confusable_fold`-ed text (case-insensitive, the fold's
    stand-ins allowed in labels and for ``i``/``l``/``1``, ``o``/``0`` in a suffix); a pattern
    finding each dot (or a defanged dot's closing bracket) a suffix follows (a character set
    first: the engine skips to those characters); the longest suffix; whether a suffix holds a
    look-alike itself."""
    from hrouter.signals import confusables

    folded = [confusables.fold(s.strip(".")) for s in sorted(suffixes, key=len, reverse=True) if s.strip(".")]
    ch = "[a-z0-9" + "".join(confusables.STAND_INS) + "]"
    inner = ch[:-1] + r"\-]"
    tail = "(" + "|".join(map(confusables.literal_rx, folded)) + r")(?![\w\-]|" + _HOST_DOT + ch + ")"
    rx = re.compile(r"(?<![\w.])(?<![\w.]-)((?:_" + ch + "(?:" + inner[:-1] + "_]{0,61}" + ch + r")?" + _HOST_DOT
                    + r")*(?:" + ch + "(?:" + inner + "{0,61}" + ch + r")?" + _HOST_DOT + r")+)" + tail, re.IGNORECASE)
    own = any(confusables.present(s) for s in suffixes)
    return rx, re.compile(r"[.\])}](?=" + tail + ")", re.IGNORECASE), max(map(len, folded)), own


def _confusable_host_hits(text: str, suffixes: tuple[str, ...], hits: list) -> list:
    """``hits`` plus the hostnames found on the look-alike fold of ``text`` that are not among
    them (``db.cоrp`` with a Cyrillic ``о``, ``build.ΙNTERNAL``); masked from ``text``. The
    host pattern runs only in the 256 characters before each dot a suffix follows (as the
    plain scan's windows), so prose whose fold is full of a suffix's letters costs no more."""
    rx, dots, longest, own = _hostname_fold_rx(suffixes)
    folded = "" if text.isascii() else _confusable_fold(text)
    if not folded:
        if not own:
            return hits
        folded = text  # nothing to fold: the suffix's own look-alike is matched by its class
    n = len(folded)
    windows: list[tuple[int, int]] = []
    for d in dots.finditer(folded):
        s, e = max(0, d.start() - 256), min(n, d.start() + longest + 3)
        if windows and s <= windows[-1][1]:
            windows[-1] = (windows[-1][0], e)
        else:
            windows.append((s, e))
    seen = {(h[0], h[1]) for h in hits}
    for m in _scan(rx, folded, windows):
        if m.span() not in seen:
            label = _host_label(text[m.start(1):m.end(1)])
            hits.append((m.start(), m.end(), f"{_mask_part(label)}.{text[m.start(2):m.end(2)].lower()}"))
    return hits


def _fold_keyword(kw: str) -> str:
    """A keyword folded like the prompt text (NFKC, dashes), so ``ＢＬＵＥＨＥＲＯＮ`` in a policy still matches."""
    return kw if kw.isascii() else _normalize(kw)[0]


#: A camelCase word boundary (case-sensitive inside the keyword patterns' IGNORECASE): a lower-case
#: letter then an upper-case one (``BlueHeronService``, ``blueheronAPI``), or an upper-case letter
#: then one starting a capitalised word (``BLUEHERONService``).
_KW_CAMEL = r"(?-i:(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z]))"
#: Where a keyword may start and end: next to a non-alphanumeric character, or at a camelCase
#: boundary; between the words of a multi-word keyword: separators (spaces, ``_ - . / :``,
#: quotes), nothing, or a camelCase boundary (``ProjectNimbus``). A keyword glued to letters before it starts a camelCase word
#: only when capitalised there (``getBlueHeronConfig``, ``XMLBlueHeron``), not in capitals
#: (``xBLUEHERON``: no word starts at the ``B``).
_KW_START = r"(?:(?<![^\W_])|(?-i:(?<=[A-Za-z])(?=[A-Z][a-z])))"
#: :data:`_KW_START` checked after the keyword's first character (so each alternative of the
#: pattern is led by a literal, which the engine tries before any look-around).
_KW_START_AFTER = r"(?:(?<![^\W_](?s:.))|(?-i:(?<=[A-Za-z][A-Z])(?=[a-z])))"
#: A keyword ending in a letter may also end where digits start, or a ``v`` and digits, in any
#: case (``BlueHeron2``, ``BLUEHERON2``, ``blueheron2025-roadmap.pdf``, ``BLUEHERONv2``: a version or
#: year glued to the codename is still the codename, and a leak is the worse error); other letters
#: after it make another word (``BLUEHERONIAN``, ``blueheronx``).
_KW_END = r"(?:(?![^\W_])|(?<=[^\W\d_])(?=v?\d)|" + _KW_CAMEL + ")"
#: Between the words: a run of blanks, ``_ - . / :`` or quotes (``project.nimbus``, ``Project:
#: Nimbus``, ``Project "Nimbus"``) or a camelCase boundary. Nothing at all (``projectnimbus``) is
#: not a boundary (tests pin it; see test_no_word_boundary_no_codename).
_KW_JOIN = r"(?:[\s_\-./:'\"\u201c\u201d\u2018\u2019\u00ab\u00bb]*|" + _KW_CAMEL + ")"


@lru_cache(maxsize=256)
def _keyword_rx(keywords: tuple[str, ...]) -> re.Pattern[str] | None:
    alts = []
    for kw in sorted(map(_fold_keyword, keywords), key=len, reverse=True):
        words = kw.split()
        if not words:
            continue
        body = _KW_JOIN.join(re.escape(w) for w in words)
        plural = "s?" if words[-1][-1:].isalpha() else ""
        alts.append(re.escape(kw[0]) + _KW_START_AFTER + body[len(re.escape(kw[0])):] + plural)
    if not alts:
        return None
    return re.compile("(?:" + "|".join(alts) + ")" + _KW_END, re.IGNORECASE)


@lru_cache(maxsize=256)
def _keyword_needles(keywords: tuple[str, ...]) -> tuple[tuple[str, ...], int]:
    """The lower-case first word of each keyword (folded) and how far past it a match may reach."""
    needles = tuple(kw.split()[0].lower() for kw in map(_fold_keyword, keywords) if kw.split())
    return needles, max(len(kw) for kw in keywords) + 64


#: Wall-clock limit of one custom ``pattern`` scan, in seconds. A pattern that backtracks
#: catastrophically (``(a|aa)+$``) would hang the tagger; past the limit the scan raises and
#: the prompt is confidential (fail closed) with the reason in the trace.
PATTERN_TIMEOUT_S = 0.25


@lru_cache(maxsize=256)
def _pattern_rx(pattern: str):
    """A policy's custom regex compiled with the ``regex`` module (the ``re`` syntax, plus a
    ``timeout`` on matching, which ``re`` lacks); imported only for a policy with patterns."""
    import regex

    return regex.compile(pattern)




@_last_text
def _confusable_fold(text: str) -> str:
    """``text`` folded for look-alike matching (:func:`hrouter.signals.confusables.fold` with
    ``lower=False``: a letter of another script that looks like an ASCII letter or digit becomes
    that character, in the look-alike's case, so camelCase boundaries survive; same length, so
    offsets hold), or ``""`` when ``text`` holds no look-alike. Kept for the last text: every
    custom rule and the host rule ask for the same. The fold patterns are case-insensitive."""
    from hrouter.signals import confusables

    chars = confusables.present(text, _utf8(text))  # the UTF-8 copy is the detectors' shared one
    folded = confusables.fold(text, chars, lower=False) if chars else ""
    return folded


@_last_text
def _fold_lower(folded: str) -> str:
    """A :func:`_confusable_fold`-ed text in lower case (``İ`` as ``i``: same length), where
    the keywords' lower-case needles are searched. Kept for the last folded text."""
    low = folded.replace("\u0130", "i").lower()
    return low


@lru_cache(maxsize=256)
def _keyword_fold_rx(keywords: tuple[str, ...]) -> tuple[re.Pattern[str], tuple[str, ...], int, int, bool]:
    """The keywords as matched on a :func:`_confusable_fold`-ed text: (case-insensitive pattern,
    lower-case needles, how far before a needle a match may start and past it reach, whether a
    keyword holds a look-alike itself: then a text without one needs the folded scan too). Same
    word rules as :func:`_keyword_rx` (camelCase boundaries included: the fold keeps the case);
    ``i``/``l``/``1`` and ``o``/``0`` also match the fold's stand-ins for the letters TR39 cannot
    tell apart (see the confusables module)."""
    from hrouter.signals import confusables

    alts: list[str] = []
    needles: list[str] = []
    before, own = 0, False
    for kw in sorted(map(_fold_keyword, keywords), key=len, reverse=True):
        words = kw.split()
        if not words:
            continue
        own = own or bool(confusables.present(kw))
        folded = [confusables.fold(w) for w in words]  # same lengths: a fold keeps offsets
        first = confusables.literal_rx(folded[0][0])
        body = _KW_JOIN.join(confusables.literal_rx(w) for w in folded)
        alts.append(first + _KW_START_AFTER + body[len(first):] + ("s?" if words[-1][-1:].isalpha() else ""))
        found, at = confusables.needles(folded[0])
        needles += found
        before = max(before, at)
    rx = re.compile("(?:" + "|".join(alts) + ")" + _KW_END, re.IGNORECASE)
    return rx, tuple(dict.fromkeys(needles)), before, max(len(kw) for kw in keywords) + 64, own


def _confusable_keyword_hits(text: str, keywords: tuple[str, ...], hits: list) -> list:
    """``hits`` plus the keywords' matches on the look-alike fold of ``text`` that are not
    among them: ``BLUEНERON`` (Cyrillic Н), ``Prоject Nimbus`` (Cyrillic о)."""
    rx, needles, before, after, own = _keyword_fold_rx(keywords)
    folded = "" if text.isascii() else _confusable_fold(text)
    if not folded:
        if not own:
            return hits  # no look-alike in the text nor in a keyword: the plain scan found all
        folded = text  # nothing to fold: the keyword's own look-alike is matched by its class
    seen = {(h[0], h[1]) for h in hits}
    for m in _scan(rx, folded, _windows(folded, _fold_lower(folded), needles, before, after)):
        s, e = m.span()
        if (s, e) not in seen:
            hits.append((s, e, _mask_text(text[s:e])))
    return hits


def detect_custom(text: str, rule: CustomRule) -> Iterable[Hit]:
    """A user's keyword or regex rule.

    Keywords match case-insensitively as whole words (see the module docstring), also when
    spelled with look-alike letters of other scripts (Unicode TR39 confusables: ``BLUEНERON``
    with a Cyrillic ``Н``, Greek ``ΒLUΕΗΕRΟΝ``): on a non-ASCII text a second scan runs on its
    confusable fold (:mod:`hrouter.signals.confusables`). ASCII text with ASCII keywords skips
    it. Hits are ``(start, end, masked)`` with offsets into ``text``."""
    if rule.pattern is not None:
        rx = _pattern_rx(rule.pattern)
        try:
            return [(m.start(), m.end(), _mask_text(m.group()))
                    for m in rx.finditer(text, timeout=PATTERN_TIMEOUT_S) if m.end() > m.start()]
        except TimeoutError:
            raise TimeoutError(f"pattern took over {PATTERN_TIMEOUT_S:g} s on a {len(text)}-character text "
                               "(catastrophic backtracking?)") from None
    keywords = tuple(rule.keywords)
    rx = _keyword_rx(keywords)
    if rx is None:
        return []
    needles, after = _keyword_needles(keywords)
    windows = _windows(text, _lower(text), needles, 0, after)
    hits = [(m.start(), m.end(), _mask_text(m.group())) for m in _scan(rx, text, windows)]
    if text.isascii() and all(kw.isascii() for kw in keywords):
        return hits  # only a non-ASCII character can be a look-alike
    return _confusable_keyword_hits(text, keywords, hits)


# --------------------------------------------------------------------------------------
# The entry point.


def _enabled(config: SensitivityConfig) -> list[tuple[str, str]]:
    """The built-in detectors to run, with the tier each sets: the policy's ``detectors``."""
    return list(config.detectors.items())


#: A character class every match of a detector must contain (on the normalised text, where
#: every script's digits are ASCII and the fullwidth @ is @). Text without it skips the
#: detector: same findings, and a prompt without digits never compiles the numeric patterns.
#: (``@`` also stands for a spelled-out at, ``jane [at] gmail [dot] com``: see :func:`_email_cue`.)
_NEEDS: dict[str, str] = {"ssn": "digit", "credit_card": "digit", "iban": "digit", "phone": "digit",
                          "date_of_birth": "digit", "national_id": "digit", "medical_id": "digit",
                          "passport": "digit", "salary": "digit", "vehicle_plate": "digit", "email": "@",
                          "bank_account": "digit", "drivers_license": "digit", "postal_address": "digit"}


_MIXED: list = []  # [the pattern of a run of ASCII letters], compiled on first use


def _fold_mixed_script_words(norm: str) -> str:
    """``norm`` with the look-alike letters of every mixed-script word (ASCII letters beside
    look-alikes of another script: ``CОNFIDENTIAL`` with a Cyrillic ``О``, ``pаssword``,
    ``SЅN``) replaced by the ASCII letters they imitate, case kept, so every built-in detector
    and context word sees them (Unicode TR39 confusables; section 5's mixed-script detection:
    a word mixing Latin letters with look-alikes is the classic spoof). Words wholly in another
    script (Russian or Greek prose) are left alone; a "word" reaches at most 64 characters
    either side of the mixed spot (text without spaces stays linear). One character for one:
    offsets hold."""
    from hrouter.signals import confusables

    if not confusables.present(norm, _utf8(norm)):
        return norm  # no look-alike at all (a byte-level check)
    if not _MIXED:
        _MIXED.append(re.compile(r"[A-Za-z]+"))
    fold, n = confusables.FOLD, len(norm)
    chars: list[str] | None = None
    done = -1
    for run in _MIXED[0].finditer(norm):  # each run of ASCII letters: is a look-alike beside it?
        a, b = run.span()
        if a < done:
            continue
        if a and norm[a - 1] in fold:
            s = a - 1
        elif b < n and norm[b] in fold:
            s = b
        else:
            continue
        if chars is None:
            chars = list(norm)
        lo = max(0, s - 64)
        while s > lo and (norm[s - 1].isalnum() or norm[s - 1] == "_"):
            s -= 1
        e = s + 1
        hi = min(n, e + 64)
        while e < hi and (norm[e].isalnum() or norm[e] == "_"):
            e += 1
        for k in range(s, e):
            to = fold.get(norm[k])
            if to is not None:
                if to == "\u01c0":  # TR39 gives I, l and 1 one prototype; O and 0 another
                    to = "I" if norm[k].isupper() else "l"
                elif to == "\u0b20":
                    to = "o"
                chars[k] = to.upper() if norm[k].isupper() else to
        done = e
    return norm if chars is None else "".join(chars)


def _features(norm: str) -> set[str]:
    """Which of the :data:`_NEEDS` classes occur in ``norm``."""
    out = set()
    if "@" in norm or _email_cue(norm):
        out.add("@")
    for d in "0123456789":  # a substring search per digit beats one character-class scan
        if d in norm:
            out.add("digit")
            break
    return out


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
        norm, runs = _fold(text)
        # the built-in detectors read mixed-script words with their look-alikes folded
        # (CОNFIDENTIAL, pаssword); custom keywords and host suffixes match look-alikes
        # themselves, stand-ins included (see detect_custom). Same length: offsets hold.
        bnorm = norm if norm.isascii() else _fold_mixed_script_words(norm)
        _ASCII_DIGITS[0] = bnorm  # every decimal digit folded to ASCII
    except Exception as exc:  # pragma: no cover - defensive; fail closed
        errors.append(f"normalize: {type(exc).__name__}: {exc}")
        norm, runs = text, None
        bnorm = norm

    def run(name: str, tier: str, fn: Callable[[], Iterable[Hit]], size: int) -> None:
        try:
            if tier not in _RANKS:
                tier_rank(tier)  # raises
            hits = []
            for h in fn():
                if len(h) != 5:
                    h = _full_hit(h)
                if not 0 <= h[0] < h[1] <= size:
                    raise ValueError(f"hit {h[0]}-{h[1]} outside the text")
                hits.append(h)
        except Exception as exc:  # noqa: BLE001 - any failure fails closed
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
            return
        for h in hits:
            raw.append((name, tier, *h))

    text_detectors: list[tuple[str, str, Detector]] = []
    phi_tier = None
    findings: list[Finding] = []
    features = _features(bnorm)
    size = len(norm)
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
        if need is not None and need not in features:
            try:
                if tier not in _RANKS:
                    tier_rank(tier)  # a bad tier still fails closed
            except Exception as exc:  # noqa: BLE001
                errors.append(f"{name}: {type(exc).__name__}: {exc}")
            continue  # it cannot match text without that character (and never compiles its patterns)
        run(name, tier, lambda fn=fn: fn(bnorm), size)
    if config.internal_domains:
        run("internal_hostname", "internal",
            lambda: detect_internal_hostnames(norm, tuple(config.internal_domains)), size)
    for rule in config.custom:
        run(rule.name, rule.tier, lambda rule=rule: detect_custom(norm, rule), size)
    # The policy's own rules are re-scanned in decoded runs too (a base64 codename is the codename).
    decoded_detectors = list(text_detectors)
    if config.internal_domains:
        suffixes = tuple(config.internal_domains)
        decoded_detectors.append(("internal_hostname", "internal",
                                  lambda t, suffixes=suffixes: detect_internal_hostnames(t, suffixes)))
    decoded_detectors += [(rule.name, rule.tier, lambda t, rule=rule: detect_custom(t, rule)) for rule in config.custom]
    if decoded_detectors:
        _decode_pass(bnorm, decoded_detectors, run, raw, errors)
        _structured_pass(bnorm, decoded_detectors, run, raw, errors)
    if phi_tier is not None:
        idents = [(r[2], r[3], r[0]) for r in raw if r[1] == _CONFIDENTIAL and _base_name(r[0]) in _PERSONAL]
        run("phi", phi_tier, lambda: _DETECTORS["phi"](bnorm, idents), size)

    if runs is not None:
        from bisect import bisect_right

        starts = [r[0] for r in runs]

        def orig(i: int) -> int:
            ns, os_, ident = runs[bisect_right(starts, i) - 1]
            return os_ + (i - ns) if ident else os_

    for name, tier, s, e, masked, verdict, context in raw:
        if runs is not None:
            s, e = orig(s), orig(e - 1) + 1
        findings.append(_finding(name, tier, s, e, masked, verdict, context))
    kept = _resolve_overlaps(findings)
    rank = 0
    for f in kept:
        r = _RANKS.get(f.tier)
        if r is None:
            r = tier_rank(f.tier)
        if r > rank:
            rank = r
    tier = TIERS[rank]
    if errors:
        tier = _CONFIDENTIAL
    return SensitivityResult(tier=tier, findings=kept, errors=errors)


_RANKS = {t: i for i, t in enumerate(TIERS)}


def _finding(detector: str, tier: str, start: int, end: int, masked: str, verdict: str, context: str) -> Finding:
    """``Finding(...)`` without the frozen dataclass's per-field ``object.__setattr__`` calls."""
    f = _new(Finding)
    f.__dict__.update(detector=detector, tier=tier, start=start, end=end, masked=masked, verdict=verdict,
                      context=context)
    return f


_new = object.__new__


def _full_hit(h: tuple) -> tuple[int, int, str, str, str]:
    """A detector's hit as (start, end, masked, verdict, context)."""
    if len(h) == 5:
        return h  # type: ignore[return-value]
    s, e, masked, *rest = h
    return (s, e, masked, *rest, *([""] * (2 - len(rest))))


#: The decode pass's candidate checks (see the decode module), each compiled into the dict [2] on
#: first use (not at import). [0]: ``(character, pattern)`` pairs, each searched only in a text holding
#: its character (a pattern opening with a literal is searched in C at memchr speed, a
#: character class is not): the padding of a short base64/base32 value, quoted-printable
#: (``=XX=XX``, a soft line break, ``=3D`` padding a base64 value), an HTML character reference, a ``\u``/``\x``/octal/``\/``
#: escape or a ``\n`` inside a number, a percent escape, a ``+`` (space) in a query value.
#: [1]: matched against a whole 12-19 character token of the base64 alphabet: the shape of
#: unpadded hex, base64 or base32 of ASCII text (each byte 0x20-0x7f fixes which letters may
#: stand where; words and identifiers miss it).
_SHORT_B64_HINT: tuple[tuple[tuple[str, str], ...], str, dict[str, re.Pattern[str]]] = (
    (("=", r"=(?:(?<=[A-Za-z0-9+/]{11}=)={0,5}(?![A-Za-z0-9+/=_\-%])|[0-9A-F]{2}=[0-9A-F]{2}|(?<=[^\s=]=)\r?\n"
           r"|(?<=[A-Za-z0-9+/]{8}=)3D(?![A-Za-z0-9+/])|(?<=[A-Za-z0-9]=)(?:40|2[DE])(?=[A-Za-z0-9])"
           r"|(?<=[A-Za-z0-9+/]{2}=)=?(?=[\s\"'`]|$))"),
     ('"', r'"[A-Za-z0-9+/_\-]{2,}={0,2}"[ \t]*(?:\\?\r?\n[ \t]*)?(?:\+[ \t]*(?:\r?\n[ \t]*)?)?"[A-Za-z0-9+/_\-]{2}'),
     ("'", r"'[A-Za-z0-9+/_\-]{2,}={0,2}'[ \t]*(?:\\?\r?\n[ \t]*)?(?:\+[ \t]*(?:\r?\n[ \t]*)?)?'[A-Za-z0-9+/_\-]{2}"),
     ("0x", r"0[xX][0-9A-Fa-f]{2}[ \t]*,[ \t\r\n]*0[xX][0-9A-Fa-f]{2}[ \t]*,"),
     ("0X", r"0[xX][0-9A-Fa-f]{2}[ \t]*,[ \t\r\n]*0[xX][0-9A-Fa-f]{2}[ \t]*,"),
     ("&", r"&(?:#[0-9xX]|[A-Za-z][A-Za-z0-9]{1,31};)"),
     ("\\", r"\\(?:u[0-9A-Fa-f]{4}|u\{[0-9A-Fa-f]{1,6}\}|U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2}|[0-3][0-7]{2}|/"
           r"|[nrt](?<=[0-9\-]\\[nrt])(?=[0-9]))"),
     ("%", r"%[0-9A-Fa-f]{2}"),
     ("+", r"=[^\s\"'<>&=+]{0,64}[A-Za-z0-9]\+[A-Za-z0-9]")),
    r"(?:[2-7][0-9A-Fa-f]){8,9}"
    r"|(?:[I-Za-f][C-HS-Xi-ny-z0-3][ABEFIJMNQRUVYZcdghklopstwx014589][A-Za-z0-9+/_\-]){3,4}"
    r"(?:[I-Za-f](?:[C-HS-Xi-ny-z0-3][A-Za-z0-9+/_\-]|[A-Za-z0-9+/_\-]))?"
    r"|[E-P][A-Z2-7]{7}[E-P][A-Z2-7]{6,10}|[e-p][a-z2-7]{7}[e-p][a-z2-7]{6,10}",
    {},
)


def _decode_pass(norm: str, detectors: list, run: Callable, raw: list, errors: list[str]) -> None:
    """Decode encoded runs (base64, hex, base32, gzip/zlib inside them, percent, quoted-printable,
    HTML references, backslash escapes; nested up to a bounded depth) and re-scan them (see the
    decode module). A cap exceeded or a decoder failure is recorded in ``errors`` (fail closed).
    Documentation values allowlisted by exact value (the jwt.io sample token) are blanked first
    (same length: offsets hold), so their decoded parts are not findings either."""
    if _KEY_JWT_DOC[:36] in norm:
        norm = norm.replace(_KEY_JWT_DOC, " " * len(_KEY_JWT_DOC))
    hints = _SHORT_B64_HINT[2]
    if not _b64_runs(norm):
        for c, src in _SHORT_B64_HINT[0]:
            if c in norm and (hints.get(c) or hints.setdefault(c, re.compile(src))).search(norm):
                break
        else:
            # no run of 20+ and no escape: is a 12-19 character token shaped like encoded text
            # (opening with a character hex, base64 or base32 of ASCII text can open with)?
            shape = _shape(norm, _B64_BYTES)
            find, a12 = shape.find, b"aaaaaaaaaaaa"
            i = find(a12)
            while i != -1:
                j = find(b" ", i + 12)
                if j == -1:
                    j = len(shape)
                if j - i < 20 and norm[i] in "234567EFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop":
                    short = hints.get("") or hints.setdefault("", re.compile(_SHORT_B64_HINT[1]))
                    if short.fullmatch(norm, i, j):
                        break
                i = find(a12, j)
            else:
                # a hex dump (2-digit groups split by spaces or colons, xxd's 4- or 8-digit groups)?
                hexsep = _shape(norm, _HEXSEP_BYTES)
                if (b"hh:hh:hh:hh:hh:hh" not in hexsep and b"hhhh:hhhh:hhhh" not in hexsep
                        and b"hhhhhhhh:hhhhhhhh:hh" not in hexsep
                        and not _short_split_tokens(norm)):  # base64 in short pieces?
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


def _structured_pass(norm: str, detectors: list, run: Callable, raw: list, errors: list[str]) -> None:
    """Re-scan structured data (tables, keyed records) as ``key: value`` views (see the
    structured module)."""
    try:
        from hrouter.signals.detectors import structured

        if not structured.hint(norm):
            return
        views = structured.views(norm)
        for view in views:
            structured.rescan(norm, view, detectors, run)  # a detector failing in a view fails closed in run()
    except Exception as exc:  # noqa: BLE001 - a failing pass fails closed
        errors.append(f"structured: {type(exc).__name__}: {exc}")


def _base_name(detector: str) -> str:
    """The built-in detector behind a finding's name: ``ssn (table)`` and ``email (base64)``
    (findings in a structured view or a decoded run) are ``ssn`` and ``email``."""
    cut = detector.find(" (")
    return detector if cut == -1 else detector[:cut]


#: Personal-data detectors whose findings identify a person (PHI needs one, or a name cue).
_PERSONAL = frozenset({"ssn", "email", "phone", "date_of_birth", "national_id", "medical_id", "passport",
                       "iban", "credit_card", "vehicle_plate", "bank_account", "drivers_license", "mrz",
                       "postal_address"})


def _resolve_overlaps(findings: list[Finding]) -> list[Finding]:
    """Keep the most severe, then longest, then earliest of overlapping findings; drop duplicates."""
    if len(findings) < 2:
        return findings
    from bisect import bisect_left

    ranks = _RANKS
    order = sorted(findings, key=lambda f: (-(ranks[f.tier] if f.tier in ranks else tier_rank(f.tier)),
                                            f.start - f.end, f.start))
    starts: list[int] = []  # kept findings never overlap, so they sort by start and end alike
    kept: list[Finding] = []
    for f in order:
        i = bisect_left(starts, f.end)  # kept[i - 1] is the last one starting before f ends
        if i and kept[i - 1].end > f.start:
            continue
        starts.insert(i, f.start)
        kept.insert(i, f)
    return kept
