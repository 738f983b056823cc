r"""The bounded decode pass: encoded runs are decoded, decoded again if nested, and re-scanned.

A credential in a Kubernetes Secret (``password: cDRzc3cwcmQtZXhhbXBsZS0xMjM=``), a Basic auth
header (``Authorization: Basic dXNlcjpodW50ZXIy``), an email in a query string
(``?to=jane%40gmail.com``), an SSN as HTML character references (``&#53;&#51;&#54;-22-1947``) or
a gzipped, base64-encoded config is found although it is not written out.

Blob runs (a maximal run of the encoding's alphabet; a finding in one spans the whole run):

- base64 (standard or URL-safe alphabet, padding optional) of at least 20 characters, of 11-19
  characters when padded with ``=``, of 12-19 unpadded characters when shaped like the base64
  of ASCII text (in every 4-character group a first character ``[I-Za-f]``, a second one
  ``[C-HS-Xi-ny-z0-3]``, a third one whose index is 0 or 1 modulo 4: words and identifiers
  almost never are), or of at least 8 right after ``Basic``;
- hexadecimal text: an even number, at least 16, of hex digits (optionally after ``0x``); under
  20 only when every byte is printable ASCII (``[2-7][0-9A-Fa-f]``). A run of decimal digits
  only counts when it decodes to digits and separators (``353336...`` is "536..."): a long
  number is no hex. Git SHAs, digests and UUIDs decode to non-printable bytes;
- base32 (RFC 4648, upper or lower case, padding optional) of at least 20 characters opening
  with ``[E-P]`` (the first byte printable ASCII), or of 15-19 when padded or shaped like the
  base32 of ASCII text (``[E-P]`` every 8 characters);
- base64 split over blanks or lines at any position (``c3NuOiA1Mz YtMjItMTk0Nw==``, a value
  wrapped at 50 or 76 columns with a secret across two lines): blank-delimited tokens of the
  alphabet that are no words (a digit, ``+``/``/`` or mixed case; a short last one padded),
  one line break at most between two, found around a token of 12 or more characters or a
  short padded one, joined and decoded as one run (from one of the first
  :data:`_CHAIN_STARTS` pieces: a token before the value may look like one). Pieces that are
  whole base64 groups of 20 or more characters each on one line are separate values, each
  decoded by itself; lines of one length (wrapping) are joined; 12-19 characters joined
  only padded or shaped like the base64 of text. A value cut into short pieces only (each
  4-11 characters, unpadded: ``c3NuOiA1 MzYtMjIt MTk0Nw``, one piece per line) is found
  from a piece with a letter next to a digit (``_short_split_tokens`` in the sensitivity
  module) and joined when cut at one width (the last piece shorter; a last piece of 1-3
  characters may look like a word, ``Nw``), at least 16 characters;
- base64 (or hex) split into string literals joined in code: ``"c3NuOiA1MzYt" +
  "MjItMTk0Nw=="`` (Java, JavaScript; ``+`` at the end or the start of a line),
  ``("cGFz" "c3dv...")`` (Python, C), at least 12 characters joined (12-19 only padded or
  shaped like the base64 of text, as a single token), padding only at the end, not when
  every piece is a word (``"user" + "Name"``); the run is the whole expression;
- hex dumps: bytes as 2-digit groups split by spaces or colons (``35 33 36 2d``,
  ``35:33:36:2d``), xxd's and hexdump's lines (groups of 2, 4 or 8 digits, one length and
  one separator, the last group may be shorter; hexdump -C's double space in the middle; the
  offset column and the text column left out, so a garbled or missing text column does not
  matter), line after line as one run; at least 6 bytes; digits only must decode to digits
  and blanks (a table of numbers is no dump). MAC addresses, digests and UUIDs decode to no
  text. Bytes in an array (``{0x35, 0x33, 0x36, 0x2d, ...}``, 6 or more) are a dump too.

A blob decodes to bytes; bytes opening with the gzip (``1f 8b``, every member) or zlib magic
are inflated with a hard output bound (what is left of :data:`MAX_BYTES`, plus one byte: a zip
bomb stops there and fails closed) and named ``gzip``/``zlib`` in the chain. The bytes must then
be UTF-8 (or UTF-16-LE, as PowerShell's ``-EncodedCommand``) text, at least 6 characters, 95 %
printable, with a letter or digit. Runs that are UUID pieces or the digest of an SRI
``sha256-/sha384-/sha512-`` integrity value are not decoded, nor all-lower/all-upper words that
are not base32 of text.

Escape views (one per encoding per level):

- ``percent``: ``%XX`` sequences (UTF-8); a second view with ``+`` as a space too
  (``q=my+card+4539+...``), built when a ``+`` between letters or digits stands in a token
  holding ``=`` or a ``%XX``;
- ``qp``: quoted-printable ``=XX`` sequences (upper-case hex, UTF-8) and soft line breaks
  (``=`` ending a line, joining even a UTF-8 sequence), only in a text showing quoted-printable
  (two ``=XX`` in a row, a soft break after a non-blank, ``=3D`` padding a base64 value, or
  a lone ``=40``/``=2D``/``=2E`` between two letters or digits: ``jane=40gmail.com``);
- ``html``: HTML/XML character references (``&#49;``, ``&#x31;``, ``&commat;``: ``html.unescape``);
- ``escape``: ``\uXXXX`` (surrogate pairs joined), ``\u{X..}``, ``\UXXXXXXXX``, ``\xXX`` and
  ``\NNN`` (octal; bytes as UTF-8, else Latin-1), ``\n``/``\r``/``\t``, ``\/`` and ``\\`` as in
  JSON, JavaScript, Python and C string literals.

Most escapes in ordinary text hide nothing: ``\u00e9`` in Chinese text, ``&amp;``/``&quot;``
in HTML, ``=E2=80=99`` in an email, ``\n`` between sentences in JSON. An escape *matters* when
it decodes (after the tagger's character folding: ``\uff15`` is "5") to an ASCII letter or
digit, one of ``@-._:/+=#()`` (not quoted-printable's ``=``, unless it pads base64), an
apostrophe between two letters (``driver&#39;s``: a context word), ``<`` as an MRZ's filler
(``&lt;&lt;``, ``%3C`` between capitals or digits), a letter
of another script next to an ASCII letter (``Num\u00e9ro``: a trigger word), a currency sign, a
space between two ASCII letters or digits (``project%20bluebird``, ``4539&nbsp;1488``), or when
it is a line break inside a number (``4539\n1488``, ``554-23-\n3307``) or a soft line break
inside a token, or when it decodes to its own family's escape character right before what
makes the rest an escape again (a doubled encoding: ``%2540``, ``&amp;#64;``,
``\\u0040``; the next level decodes it). Only a text holding escapes that matter gets a
view: :data:`WINDOW` characters of context on each side of those escapes (merged, cut at
blanks), every escape of the encoding in them decoded, the windows joined by blank lines into
one text that is re-scanned once. A
finding in a view counts only within :data:`NEAR` characters of an escape that matters (the
rest was seen by the plain scan), or when its context word (the hit's context, within
200 characters) holds one (``driver&#39;s license number is      A1234567``: the plain scan
missed the word, hence the value, however far from the escape); it spans the blank-delimited token(s) of the prompt its
characters come from (``jane&#64;gmail.com``), not the whole view.

Nesting: every decoded text (a blob's, a view's) is decoded again, down to :data:`MAX_DEPTH`
levels; past it, any further decodable run fails closed. Inside a view only what the level
above decoded is new: a blob run must hold decoded characters, an escape that matters must lie
within :data:`NEAR` characters of them (``=3Dmarta.lopez%40gmai=\nl.com``: quoted-printable and
percent in one token). A finding names the chain: ``ssn (base64>hex)``,
``api_key (percent>base64>gzip)``; a single level keeps the plain name (``api_key (base64)``).

Each decoded run is re-scanned by every enabled built-in detector and policy rule, blob runs
with the same line's text before the run as context (so ``password: <base64>`` is an
assignment). A blob run that is the value of a credential key is a secret by itself: nobody
base64-encodes a placeholder into a Secret manifest (only a structural placeholder such as
``${VAR}`` or ``<token>`` is let go).

Caps, per prompt: at most :data:`MAX_RUNS` runs (blob runs and views, every level) and
:data:`MAX_BYTES` decoded bytes (the UTF-8 of each blob's text; of what a view's escapes decode
to, not of the context copied around them; every inflated byte, text or not). Past either, or
past the depth, :class:`DecodeCapExceeded` stops the pass: the error is ``decode: cap exceeded``
(``decode: cap exceeded (nested deeper than 3 levels)`` for the depth) and the prompt is
confidential (fail closed).

Cost: the tagger calls this module only when a cheap check finds a candidate (see
``_SHORT_B64_HINT`` and ``_decode_pass`` in the sensitivity module: a run of 20 base64
characters, one literal-led search per escape character present, a 12-19 character token
of the right shape; proposed with the split values and dumps: a lone quoted-printable
``=40``, a short padded token, two string literals of the alphabet joined, a hex dump's
groups in one translated shape; a short piece of a split value, found with one literal-led
regex on the letters-and-digits shape the IBAN search made); ordinary prose never imports it. Every search here is
linear: split values and dumps read each piece or group once (past a value tried, or a
dump that failed, the search goes on after it). Most tokens of code and prose stand next to
a word or punctuation: a token is tried as a piece of a split value only when a neighbour
across the blanks is a piece too (:func:`_split_near`, a necessary condition checked on the
shape first, never stricter than the search itself); joined literals are searched with one
regex per quote (each led by its literal); the two shapes share one UTF-8 encoding.
"""

from __future__ import annotations

import binascii
import re
from bisect import bisect_left, bisect_right

# imported when the decode pass first runs, after the sensitivity module
from hrouter.signals.sensitivity import (_B64_BYTES, _CONTINUATION, _P, _SHORT_B64_HINT, _byte_table, _fold,
                                          _full_hit, _match_copy, _short_split_tokens, _utf8)

#: Runs (blob runs and views, nested ones too) decoded per prompt.
MAX_RUNS = 256
#: Decoded bytes per prompt (see the module docstring for what counts).
MAX_BYTES = 256 * 1024
#: Decoding levels: a run found in decoded text is level 2, one found in that level 3.
MAX_DEPTH = 3
#: Characters of context kept on each side of an escape that matters in a view.
WINDOW = 160
#: A finding in a view counts within this many characters of an escape that matters.
NEAR = 32

_B64 = re.compile(r"[A-Za-z0-9+/_\-](?<![A-Za-z0-9+/_\-%].)[A-Za-z0-9+/_\-]{19,}={0,2}(?![A-Za-z0-9+/=_\-%])")
#: The padding of a short base64/base32 value: a first "=" after at least 11 alphabet characters.
_PAD = re.compile(r"=(?<=[A-Za-z0-9+/]{11}=)={0,5}(?![A-Za-z0-9+/=_\-%])")
_BASIC = re.compile(r"(?<=Basic )[A-Za-z0-9+/]{8,19}={0,2}(?![A-Za-z0-9+/=_\-])", re.I)
#: The credentials after "Basic " (found case-insensitively with a substring search first:
#: a case-insensitive lookbehind makes the engine try every position, ~1 ms per 100 KB).
_BASIC_VALUE = re.compile(r"[A-Za-z0-9+/]{8,19}={0,2}(?![A-Za-z0-9+/=_\-\u0130\u0131])")
#: A 12-19 character token shaped like base64, hex or base32 of ASCII text (fullmatch).
_SHORT = re.compile(_SHORT_B64_HINT[1])
_HEX = re.compile(r"[0-9A-Fa-f]+")
_B32 = re.compile(r"[A-Z2-7]+|[a-z2-7]+")
_SRI = re.compile(r"sha(?:256|384|512)-$", re.I)
#: A character that would continue a run (after its padding).
_RUN_CHAR = re.compile(r"[A-Za-z0-9+/=_\-%]")
_DIGITS_ONLY = re.compile(r"[0-9 .\-]+")
_A12 = b"a" * 12

#: Hex digits -> "h", a space or colon -> ":" (hex dumps: ``35 33 36 2d``, ``35:33:36``, xxd's ``3533 362d``).
_HEXSEP_BYTES = _byte_table({b"0123456789ABCDEFabcdef": b"h", b" :": b":"})
_HEXG = re.compile(r"[0-9A-Fa-f]+")
#: Where a dump can start in that shape: 6 groups of 2 digits, 3 of 4, 2 of 8 and a byte.
_DUMP_NEEDLES = (b"hh:hh:hh:hh:hh:hh", b"hhhh:hhhh:hhhh", b"hhhhhhhh:hhhhhhhh:hh")
#: Bytes as a C/Java/Python array or list: ``{0x35, 0x33, 0x36, 0x2d, ...}`` (6 bytes or more).
_CARRAY = re.compile(r"0[xX][0-9A-Fa-f]{2}(?:[ \t]*,[ \t\r\n]*0[xX][0-9A-Fa-f]{2}){5,}")
_CARRAY_BYTE = re.compile(r"0[xX]([0-9A-Fa-f]{2})")
#: The offset column opening a dump line (xxd ``00000010: ``, hexdump -C ``00000010  ``).
_DUMP_OFFSET = re.compile(r"[ \t]*(?:0x)?[0-9A-Fa-f]{4,8}(?::[ \t]*|[ \t]{2,}|\t)(?=[0-9A-Fa-f])")
#: Whitespace between the pieces of a base64 value split over blanks or lines.
_SPLIT_WS = frozenset(" \t\r\n")
_SPLIT_CHARS = " \t\r\n"
#: String literals of the base64 (or hex) alphabet joined in code: ``"c3Nu" + "OiA1"`` (Java,
#: JavaScript), ``"c3Nu" "OiA1"`` (Python, C), over lines and line continuations too.
#: One regex per quote, each led by its literal (a search jumps from quote to quote; a group
#: capturing either quote first made the engine try every position: ~0.6 ms per 100 KB). A
#: match holds no quote of the other kind, so the two never overlap: together they find what
#: one regex with a back-reference did.
_CAT_BODY = r"[A-Za-z0-9+/_\-]{1,4096}={0,2}"
_CAT = tuple(re.compile(q + _CAT_BODY + q + r"(?:[ \t]*(?:\\?\r?\n[ \t]*)?(?:\+[ \t]*(?:\r?\n[ \t]*)?)?"
                        + q + _CAT_BODY + q + "){1,256}") for q in ("\"", "'"))
_match_start = re.Match.start
_CAT_PIECE = re.compile(r"""["']([A-Za-z0-9+/_\-]*)(=*)["']""")
#: The end of a short padded piece of a split base64 value (``... MTk0Nw==``).
_SHORT_PAD = re.compile(r"=(?<=[A-Za-z0-9+/]=)=?(?![A-Za-z0-9+/=_\-%])")
#: Pieces of a split value tried from a later start (a word before it is no part of it).
_CHAIN_STARTS = 4

#: Escape token regexes: each matches a maximal sequence of escapes, decoded as one.
_PCT = re.compile(r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*")
_QP = re.compile(r"=(?:[0-9A-F]{2}|\r?\n)(?:=(?:[0-9A-F]{2}|\r?\n))*")
_SOFT = re.compile(r"=\r?\n")
_QP_EVIDENCE = re.compile(r"=(?:[0-9A-F]{2}=[0-9A-F]{2}|(?<=[^\s=]=)\r?\n|(?<=[A-Za-z0-9+/]{8}=)3D(?![A-Za-z0-9+/])"
                          r"|(?<=[A-Za-z0-9]=)(?:40|2[DE])(?=[A-Za-z0-9]))")
_HTML = re.compile(r"&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)"
                   r"(?:&(?:#[0-9]{1,7};?|#[xX][0-9A-Fa-f]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};))*")
_ESC_BODY = r"(?:u[0-9A-Fa-f]{4}|u\{[0-9A-Fa-f]{1,6}\}|U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2}|[0-3][0-7]{2}|[nrt/\\])"
_ESC = re.compile(rf"\\{_ESC_BODY}(?:\\{_ESC_BODY})*")
_ESC_ONE = re.compile(r"\\(?:u\{([0-9A-Fa-f]{1,6})\}|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|x([0-9A-Fa-f]{2})"
                      r"|([0-3][0-7]{2})|([nrt/\\]))")
_ESC_WS = re.compile(r"(?:\\[nrt\\])+")
_ESC_CHAR = {"n": "\n", "r": "\r", "t": "\t", "/": "/", "\\": "\\"}
#: Form encoding (``application/x-www-form-urlencoded``): ``+`` is a space too.
_FORM = re.compile(r"%[0-9A-Fa-f]{2}(?:%[0-9A-Fa-f]{2})*|\+")
_FORM_HINT = re.compile(r"=[^\s\"'<>&=+]{0,64}[A-Za-z0-9]\+[A-Za-z0-9]")
#: ASCII punctuation that matters when an escape decodes to it.
_PUNCT = frozenset("@-._:/+=#()")
_B64_TAIL = re.compile(r"[A-Za-z0-9+/]{8}=?$")
#: Doubled encoding: an escape decoding to the escape character of its own family, right
#: before what makes the rest an escape of that family again (``%2540`` is ``%40``,
#: ``&amp;#64;`` is ``&#64;``, ``\\u0040`` is ``\u0040``).
_DOUBLED = {"%": ("percent", re.compile(r"[0-9A-Fa-f]{2}")),
            "&": ("html", re.compile(r"#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31};")),
            "\\": ("escape", re.compile(r"u[0-9A-Fa-f]{4}|u\{[0-9A-Fa-f]{1,6}\}|U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2}|[0-3][0-7]{2}"))}
_BLANK = " \t\n\r\f\v\"'<>`"


class DecodeCapExceeded(Exception):
    """More runs, decoded bytes or nesting than the caps allow (fail closed)."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return "cap exceeded" + (f" ({self.reason})" if self.reason else "")


class Run:
    """One decoded run, in prompt coordinates.

    ``start``/``end``: the encoded run in the prompt (for a view: from its first to its last
    token); ``decoded``: the decoded text (folded like the prompt); ``kind``: the encoding chain
    (``"base64"``, ``"base64>hex"``, ``"percent"``); ``context``: for a blob run, up to 80
    characters of the text before it on its line (decoded when the run is nested), else ``""``.
    :meth:`span` maps a span of ``decoded`` to the prompt span a finding in it covers, :meth:`keep`
    says whether a finding there counts.
    """

    __slots__ = ("start", "end", "decoded", "kind", "context", "_map", "_near")

    def __init__(self, start: int, end: int, decoded: str, kind: str, context: str = "",
                 map_=None, near: list[tuple[int, int]] | None = None) -> None:
        self.start, self.end, self.decoded, self.kind, self.context = start, end, decoded, kind, context
        self._map, self._near = map_, near

    @property
    def blob(self) -> bool:
        return self._map is None

    def span(self, a: int, b: int) -> tuple[int, int]:
        """The prompt span covering ``decoded[a:b]``: the whole run for a blob run."""
        return (self.start, self.end) if self._map is None else self._map(a, b)

    def keep(self, a: int, b: int) -> bool:
        """Whether a finding at ``decoded[a:b]`` counts (in a view: near an escape that matters)."""
        near = self._near
        if near is None:
            return True
        i = bisect_left(near, (b + NEAR,))
        return i > 0 and near[i - 1][1] > a - NEAR

    def __repr__(self) -> str:
        return f"Run({self.start}, {self.end}, {self.decoded[:40]!r}, {self.kind!r})"


class _Budget:
    def __init__(self) -> None:
        self.runs = 0
        self.bytes = 0

    def take(self, nbytes: int, runs: int = 1) -> None:
        self.runs += runs
        self.bytes += nbytes
        if self.runs > MAX_RUNS or self.bytes > MAX_BYTES:
            raise DecodeCapExceeded()

    def room(self) -> int:
        return max(0, MAX_BYTES - self.bytes)


# --------------------------------------------------------------------------------------
# Blob decoders: text -> bytes -> text


def _printable(s: str) -> bool:
    if len(s) < 6:
        return False
    ok = sum(c.isprintable() or c in "\n\r\t" for c in s)
    return ok >= 0.95 * len(s) and any(c.isalnum() for c in s)


def _inflate(raw: bytes, wbits: int, budget: _Budget) -> bytes | None:
    """``raw`` inflated (gzip members one after another), never more than the budget's room:
    past it, :class:`DecodeCapExceeded`. None when it does not inflate."""
    import zlib

    out = bytearray()
    while raw:
        limit = budget.room() - len(out) + 1
        d = zlib.decompressobj(wbits)
        try:
            out += d.decompress(raw, limit)
        except zlib.error:
            if not out:
                return None
            break
        if len(out) > budget.room():
            raise DecodeCapExceeded()
        if not d.eof or wbits != 31:
            break
        raw = d.unused_data
        if raw[:2] != b"\x1f\x8b":
            break
    budget.take(len(out), runs=0)  # inflated bytes count, text or not
    return bytes(out)


def _bytes_text(raw: bytes, budget: _Budget) -> tuple[str, str] | None:
    """``(text, layer)`` of decoded bytes (``layer``: ``">gzip"``/``">zlib"`` or ``""``), or None
    when they are no printable text."""
    layer = ""
    if raw[:2] == b"\x1f\x8b":
        raw, layer = _inflate(raw, 31, budget), ">gzip"
    elif len(raw) > 2 and raw[0] & 0x0F == 8 and raw[0] >> 4 <= 7 and (raw[0] << 8 | raw[1]) % 31 == 0:
        raw, layer = _inflate(raw, 15, budget), ">zlib"
    if raw is None:
        return None
    if raw.isascii():
        text = raw.decode("ascii")
    else:  # UTF-8 or not, without raising: a strict decode fails exactly when "replace" adds a
        text = raw.decode("utf-8", "replace")  # U+FFFD (an encoded U+FFFD, EF BF BD, gives one)
        if "\ufffd" in text and text.count("\ufffd") != raw.count(b"\xef\xbf\xbd"):
            text = ""
    ok = _printable(text)
    if not ok and len(raw) >= 12 and raw[1::2].count(0) >= 0.9 * (len(raw) // 2):
        try:
            text = raw.decode("utf-16-le")  # PowerShell -EncodedCommand
        except UnicodeDecodeError:
            return None
        ok = _printable(text)
    return (text, layer) if ok else None


def _b64bytes(run: str) -> bytes | None:
    body = run.rstrip("=")
    if "-" in body or "_" in body:
        if "+" in body or "/" in body:
            return None  # mixed alphabets: not base64
        body = body.replace("-", "+").replace("_", "/")
    if len(body) % 4 == 1:
        return None
    try:
        return binascii.a2b_base64(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        return None


def _b32bytes(run: str) -> bytes | None:
    import base64

    body = run.rstrip("=").upper()
    if len(body) % 8 in (1, 3, 6):
        return None
    try:
        return base64.b32decode(body + "=" * (-len(body) % 8))
    except (binascii.Error, ValueError):
        return None


def _hexbytes(run: str) -> bytes | None:
    body = run[2:] if run[:2] in ("0x", "0X") else run
    if len(body) % 2 or len(body) < 16 or not _HEX.fullmatch(body):
        return None
    return bytes.fromhex(body)


def _blob(run: str, kinds: tuple[str, ...], budget: _Budget) -> tuple[str, str] | None:
    """The first of ``kinds`` (``hex``, ``base32``, ``base64``) ``run`` decodes to text with:
    ``(text, kind)``."""
    for kind in kinds:
        raw = (_hexbytes if kind == "hex" else _b32bytes if kind == "base32" else _b64bytes)(run)
        if not raw:
            continue
        got = _bytes_text(raw, budget)
        if got is None:
            continue
        text, layer = got
        if kind == "hex" and run.isdigit() and not _DIGITS_ONLY.fullmatch(text):
            continue  # a long number, not hex-encoded digits
        return text, kind + layer
    return None


def _pads(text: str, j: int) -> int:
    """How many ``=`` (at most 6) stand at ``text[j]``."""
    k = j
    while k < len(text) and k - j < 6 and text[k] == "=":
        k += 1
    return k - j


def _blobs(text: str, budget: _Budget, fresh: list[tuple[int, int]] | None) -> list[tuple[int, int, str, str]]:
    """``(start, end, text, kind)`` of the blob runs of ``text`` (those touching ``fresh`` spans
    when given)."""
    out: list[tuple[int, int, str, str]] = []
    seen: set[int] = set()

    def add(s: int, e: int, got: tuple[str, str] | None) -> None:
        if got is not None and s not in seen:
            seen.add(s)
            out.append((s, e, got[0], got[1]))

    data = _utf8(text)  # one encoding, two shapes (see the sensitivity module's _shape)
    ascii_ = len(data) == len(text)
    shape = data.translate(_B64_BYTES) if ascii_ else data.translate(_B64_BYTES, _CONTINUATION)
    find, short, n, ws = shape.find, _SHORT.fullmatch, len(shape), _SPLIT_WS
    chained = tried = 0  # the end of the last split value decoded; of the last one tried
    i = find(_A12)
    while i != -1:  # every token of 12 or more characters of the base64 alphabet
        j = find(b" ", i + 12)
        if j == -1:
            j = n
        s, i = i, find(_A12, j)
        if s < chained:
            continue  # a piece of a split value decoded whole
        if s >= tried and ((s and text[s - 1] in ws) or (j < n and text[j] in ws)) and j - s <= 4096 and (
                not (tok := text[s:j]).isalpha() or not (tok.islower() or tok.isupper() or tok[1:].islower())) and (
                fresh is None or _touches(fresh, s, j)) and _split_near(text, shape, s, j):
            pieces = _split_chain(text, shape, s, j, tried)  # split over blanks or lines anywhere?
            if pieces:
                tried = pieces[-1][1]
                e = _split_decode(text, pieces, budget, add)
                if e:
                    chained = e
                    continue
        if j - s < 20 and not short(text, s, j):
            continue  # the usual case: a word, an identifier
        if (s and text[s - 1] == "%") or (fresh is not None and not _touches(fresh, s, j + _pads(text, j))):
            continue  # percent-encoded; or, in a view, no decoded character (maybe its padding) in it
        run = text[s:j]
        if j - s < 20:  # 12-19: unpadded, shaped like the encoding of ASCII text
            if text[j:j + 1] not in ("=", "%"):
                add(s, j, _blob(run, ("hex",) if _HEX.fullmatch(run) else ("base32", "base64"), budget))
            continue
        if _HEX.fullmatch(run) or (run[:2] in ("0x", "0X") and _HEX.fullmatch(run, 2)):
            add(s, j, _blob(run, ("hex",), budget))  # a hash, a git SHA: no text
            continue
        if run[0] in "EFGHIJKLMNOPefghijklmnop" and _B32.fullmatch(run):  # text opens with ASCII
            e = j + _pads(text, j)
            if not _RUN_CHAR.match(text[e:e + 1]):
                got = _blob(text[s:e], ("base32",), budget)
                if got is not None:
                    add(s, e, got)
                    continue
        m = _B64.match(text, s)
        if m is None:
            continue
        run = m.group()
        if text[s - 1:s] == "-" and _SRI.search(text, max(0, s - 7), s):
            continue  # an SRI digest
        if run.rstrip("=").isalpha() and (run.islower() or run.isupper()):
            continue  # a long word
        add(s, m.end(), _blob(run, ("base64",), budget))
    if "=" in text:
        for m in _SHORT_PAD.finditer(text):  # the short, padded last piece of a split value
            p = m.start()
            s = shape.rfind(b" ", 0, p) + 1
            if p - s >= 12 or s < tried or not s or text[s - 1] not in _SPLIT_WS or p == s:
                continue
            if fresh is not None and not _touches(fresh, s, m.end()):
                continue
            pieces = _split_chain(text, shape, s, p, tried, left_only=True)
            if pieces:
                tried = pieces[-1][1]
                chained = max(chained, _split_decode(text, pieces, budget, add))
        for m in _PAD.finditer(text):
            p = m.start()
            s = shape.rfind(b" ", 0, p) + 1
            if s < chained:
                continue
            if p - s >= 20 or (fresh is not None and not _touches(fresh, s, m.end())):
                continue  # a long run (above)
            run = text[s:p]
            if "-" in run or "_" in run or (s and text[s - 1] == "%"):
                continue
            pads = m.end() - p
            kinds = (("base32",) if _B32.fullmatch(run) and (len(run) + pads) % 8 == 0 else ()) + (
                ("base64",) if pads <= 2 and len(run) < 20 else ())
            add(s, m.end(), _blob(text[s:m.end()], kinds, budget))
    if " " in text or "\n" in text:
        done = max(chained, tried)  # only past what the searches above tried (each piece read once)
        found = sorted((a, b) for a, b, *_ in out)  # runs found above: no piece of one is tried again
        starts, reach = [a for a, _ in found], []
        for _, b in found:
            reach.append(max(b, reach[-1]) if reach else b)
        for s, j in _short_split_tokens(text):  # every piece short: "c3NuOiA1 MzYtMjIt MTk0Nw"
            if s < done or (fresh is not None and not _touches(fresh, s, j)):
                continue
            pieces = _split_chain(text, shape, s, j, done)
            if not pieces:
                continue
            done = pieces[-1][1]
            pieces = _fixed_width(pieces)
            if pieces:
                e = pieces[-1][1]
                if e - pieces[-1][0] == pieces[0][1] - pieces[0][0]:  # a last piece of 1-3 characters
                    k = e  # may be a word ("Nw"): taken when the value stops right after it
                    while k < len(text) and text[k] in _SPLIT_WS and k - e < 32:
                        k += 1
                    pe = shape.find(b" ", k)
                    pe = len(text) if pe == -1 else pe
                    if k > e and 0 < pe - k <= 3 and text.count("\n", e, k) <= 1 and (
                            pe == len(text) or text[pe] in _SPLIT_WS or text[pe] == "="):
                        pieces.append((k, pe))
                        e = pe
                k = bisect_left(starts, e)  # the runs starting before the value ends
                if text[e:e + 1] != "=" and not (k and reach[k - 1] > pieces[0][0]):
                    if budget.runs + len(out) > MAX_RUNS:
                        raise DecodeCapExceeded()  # more runs than the cap lets through anyway: stop early
                    _split_decode(text, pieces, budget, add)
    if " " in text or "\n" in text:
        cats = [m for q, rx in zip("\"'", _CAT) if q in text for m in rx.finditer(text)]
        if len(cats) > 1:
            cats.sort(key=_match_start)
        for m in cats:
            if fresh is None or _touches(fresh, m.start(), m.end()):
                got = _joined_literals(m.group(), budget)
                if got is not None:
                    add(m.start(), m.end(), got)
    if " " in text or ":" in text:
        for ds, de, hexes in _hex_dumps(text, data.translate(_HEXSEP_BYTES) if ascii_ else data.translate(
                _HEXSEP_BYTES, _CONTINUATION)):
            if fresh is None or _touches(fresh, ds, de):
                add(ds, de, _dump_blob(hexes, budget))
    if "0x" in text or "0X" in text:
        for m in _CARRAY.finditer(text):
            if fresh is None or _touches(fresh, m.start(), m.end()):
                add(m.start(), m.end(), _dump_blob("".join(_CARRAY_BYTE.findall(m.group())), budget))
    if "asic " in text or "ASIC " in text:
        for m in _basic_values(text):
            if fresh is None or _touches(fresh, m.start(), m.end()):
                add(m.start(), m.end(), _blob(m.group(), ("base64",), budget))
    out.sort()
    return out


def _joined_literals(chain: str, budget: _Budget) -> tuple[str, str] | None:
    """``(text, kind)`` of string literals joined in code (``"c3NuOiA1MzYt" + "MjItMTk0Nw=="``)
    when together they are base64 (or hex) of text: only the last may hold padding, and
    pieces that are all words (``"user" + "Name"``) are no encoded value."""
    body, pad, wordy = [], "", True
    for m in _CAT_PIECE.finditer(chain):
        if pad:
            return None  # padding inside: separate values
        piece, pad = m.group(1), m.group(2)
        body.append(piece)
        if not piece.isalpha() or not (piece.islower() or piece.isupper() or piece[1:].islower()):
            wordy = False
    run = "".join(body)
    if len(run) < 12 or wordy or len(pad) > 2:
        return None
    if _HEX.fullmatch(run) and len(run) % 2 == 0 and len(run) >= 16 and not pad:
        return _blob(run, ("hex",), budget)
    if len(run) < 20 and not pad and not _SHORT.fullmatch(run):
        return None  # short and unpadded: only when shaped like the base64 of text (as one token)
    return _blob(run + pad, ("base64",), budget)


def _split_decode(text: str, pieces: list[tuple[int, int]], budget: _Budget, add) -> int:
    """Decode the pieces of a split base64 value joined (from one of the first
    :data:`_CHAIN_STARTS` pieces, to one of the last: a token before or after the value may
    look like a piece, ``NotImplementedError <value> snake_case_name``); the end of what
    decoded, or 0."""
    body = [text[a:b] for a, b in pieces]
    n = len(pieces)
    for stop in range(n, max(1, n - _CHAIN_STARTS), -1):  # the whole chain first, then without its last pieces
        e = pieces[stop - 1][1]
        e += _pads(text, e)
        for k in range(min(_CHAIN_STARTS, stop - 1)):
            run = "".join(body[k:stop])
            if len(run) < 12:
                break
            sizes = {len(p) for p in body[k:stop - 1]}
            if min(sizes) >= 20 and not any(size % 4 for size in sizes) and not (
                    len(sizes) == 1 and "\n" in text[pieces[k][1]:pieces[stop - 1][0]]):
                continue  # whole groups each, no wrapped lines: separate values, each decoded by itself
            if len(run) < 20 and e == pieces[stop - 1][1] and not _SHORT.fullmatch(run):
                continue  # short and unpadded: only when shaped like the base64 of text
            got = _blob(run + text[pieces[stop - 1][1]:e], ("base64",), budget)
            if got is not None:
                add(pieces[k][0], e, got)
                return e
    return 0


def _fixed_width(pieces: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The pieces of a value split into short pieces only (each under 12 characters): cut at
    one width (4-11), the last piece no longer, at least 16 characters joined; from one of the
    first :data:`_CHAIN_STARTS` pieces (a token before the value may look like one). None of
    that (a piece of 12 or more: the search for long pieces; no fixed width): ``[]``."""
    sizes = [b - a for a, b in pieces]
    if max(sizes) >= 12:
        return []
    for k in range(min(_CHAIN_STARTS, len(pieces) - 1)):
        w = sizes[k]
        if w < 4:
            continue
        stop = k + 1
        while stop < len(sizes) and sizes[stop] == w:
            stop += 1
        if stop < len(sizes) and sizes[stop] < w:
            stop += 1  # the last, shorter piece
        if stop - k >= 2 and sum(sizes[k:stop]) >= 16:
            return pieces[k:stop]
    return []


def _split_piece(text: str, shape: bytes, s: int, e: int) -> bool:
    """Whether ``text[s:e]``, a whole blank-delimited token, can be a piece of a split base64
    value: of its alphabet, not a word (it holds a digit, ``+``/``/``, or mixed case)."""
    if e - s > 4096 or shape.find(b" ", s, e) != -1:
        return False
    piece = text[s:e]
    return not piece.isalpha() or not (piece.islower() or piece.isupper() or piece[1:].islower())


def _split_near(text: str, shape: bytes, s: int, j: int) -> bool:
    """Whether the token ``text[s:j]`` has a neighbour :func:`_split_chain` can take as its first
    piece: across the blanks (at most 32) right before or after it, a blank-delimited token of
    the alphabet that is no word (see :func:`_split_piece`). A necessary condition of a split
    value there (never stricter than :func:`_split_chain`), checked first and cheaply: most
    tokens of code and prose stand next to a word or punctuation."""
    ws = _SPLIT_WS
    if s and text[s - 1] in ws:  # leftwards
        k = s - 1
        if k and text[k - 1] in ws:  # more blanks
            lo = s - 33 if s > 33 else 0
            k = lo + len(text[lo:s].rstrip(_SPLIT_CHARS))  # the end of the token before
            if k == lo:
                k = 0
        if k and shape[k - 1] == 97:  # "a": of the alphabet
            ps = shape.rfind(b" ", k - 4097 if k > 4097 else 0, k) + 1
            if not ps or text[ps - 1] in ws:
                w = text[ps:k]
                if not w.isalpha() or not (w.islower() or w.isupper() or w[1:].islower()):
                    return True
    if j < len(text) and text[j] in ws:  # rightwards
        k = j + 1
        if k < len(text) and text[k] in ws:  # more blanks
            seg = text[j:j + 33]
            k = j + len(seg) - len(seg.lstrip(_SPLIT_CHARS))  # the start of the token after
            if k == j + 33:
                return False
        if k < len(text) and shape[k] == 97:
            pe = shape.find(b" ", k, k + 4097)
            if pe == -1:
                return True  # up to the end, or too long: _split_chain decides
            w = text[k:pe]
            return not w.isalpha() or not (w.islower() or w.isupper() or w[1:].islower())
    return False


def _split_chain(text: str, shape: bytes, s: int, j: int, floor: int, left_only: bool = False) -> list[tuple[int, int]]:
    """The pieces ``(start, end)`` (padding excluded) of a base64 value split over blanks or
    lines around the token ``text[s:j]``: blank-delimited neighbours of its alphabet that are
    no words, one line break at most between two; padding ends the value; nothing before
    ``floor`` (the end of the last value tried: each piece is read once). One piece: none."""
    n = len(text)
    pieces = [(s, j)]
    a = s
    while len(pieces) < 512:  # leftwards
        k, nl = a, 0
        while k > floor and text[k - 1] in _SPLIT_WS and a - k < 32:
            k -= 1
            nl += text[k] == "\n"
        if k == a or k <= floor or nl > 1 or text[k - 1] == "=":
            break
        lo = max(0, k - 4097)
        ps = shape.rfind(b" ", lo, k) + 1
        if (not ps and lo) or ps < floor or ps == k or (ps and text[ps - 1] not in _SPLIT_WS) or not _split_piece(
                text, shape, ps, k):
            break
        pieces.insert(0, (ps, k))
        a = ps
    if left_only or (j < n and text[j] == "="):
        return pieces if len(pieces) > 1 else []
    b = j
    while len(pieces) < 512:  # rightwards
        k, nl = b, 0
        while k < n and text[k] in _SPLIT_WS and k - b < 32:
            nl += text[k] == "\n"
            k += 1
        if k == b or k == n or nl > 1:
            break
        pe = shape.find(b" ", k)
        pe = n if pe == -1 else pe
        if pe == k or not _split_piece(text, shape, k, pe):
            break
        after = pe + _pads(text, pe)
        if after < n and text[after] not in _SPLIT_WS and _RUN_CHAR.match(text[after]):
            break
        pieces.append((k, pe))
        b = pe
        if pe < n and text[pe] == "=":
            break  # padding: the end
    return pieces if len(pieces) > 1 else []


def _hex_dumps(text: str, shape: bytes) -> list[tuple[int, int, str]]:
    """``(start, end, hex digits)`` of hex dumps: bytes as 2-digit groups split by spaces or
    colons (``35 33 36 2d``, ``35:33:36:2d``), or as xxd's and hexdump's lines (groups of 2,
    4, 8 or 16 digits, an offset column before, the text column after: both left out, so a
    garbled or missing text column does not matter), one line after another. The groups of a
    dump have one length (the last may be shorter) and one separator; at least 6 bytes.
    ``shape``: the text's shape under ``_HEXSEP_BYTES`` (one byte per character)."""
    out: list[tuple[int, int, str]] = []
    if not any(needle in shape for needle in _DUMP_NEEDLES):
        return out  # the usual case: no dump at all (three C-level scans)
    end = 0
    nexts = [0] * len(_DUMP_NEEDLES)
    while True:
        for k, needle in enumerate(_DUMP_NEEDLES):
            if nexts[k] != -1 and nexts[k] < end:
                nexts[k] = shape.find(needle, end)
        i = min((x for x in nexts if x != -1), default=-1)
        if i == -1:
            break
        end = i + 1
        while i > 0 and shape[i - 1] == 104:  # back to the start of the group ("h")
            i -= 1
        first = _dump_line(text, i)
        if first[0] is None:
            end = max(end, first[1])
            continue
        ds, de, hexes, length, sep, full = first
        parts = [hexes]
        while full and len(parts) < 4096:  # the next line of the dump
            nl = text.find("\n", de)
            if nl == -1:
                break
            m = _DUMP_OFFSET.match(text, nl + 1)
            k = m.end() if m is not None else nl + 1
            got = _dump_line(text, k, length, sep, True)
            if got[0] is None:
                break
            _, de, hexes, _, _, full = got
            parts.append(hexes)
        end = max(end, de)
        out.append((ds, de, "".join(parts)))
    return out


def _dump_blob(hexes: str, budget: _Budget) -> tuple[str, str] | None:
    """``(text, "hex")`` of a hex dump's digits (at least 6 bytes); digits only must decode to
    digits and separators (a table of numbers is no dump)."""
    if len(hexes) < 12 or len(hexes) % 2:
        return None
    got = _bytes_text(bytes.fromhex(hexes), budget)
    if got is None or (hexes.isdigit() and not _DIGITS_ONLY.fullmatch(got[0])):
        return None
    return got[0], "hex" + got[1]


def _dump_line(text: str, i: int, length: int = 0, sep: str = "", cont: bool = False):
    """``(start, end, hexes, group length, separator, full)`` of the groups of a dump at
    ``text[i]`` (``full``: the line ends after them, or only a text column follows), or
    ``(None, resume)``: no dump, look again from ``resume`` (past what was read: linear)."""
    hexg = _HEXG.match
    m = hexg(text, i)
    if m is None:
        return None, i + 1
    a, b = m.span()
    if not cont:  # a piece before the groups (an offset, the end of a word): skip it
        s1 = b + (1 if text[b:b + 1] in (" ", ":") else 0)
        m2 = hexg(text, s1) if s1 > b else None
        if m2 is not None and m2.end() - m2.start() != b - a:
            a, b = m2.span()
        length = length or b - a
        sep = text[b:b + 1]
    if length % 2 or length > 16 or sep not in (" ", ":") or (
            b - a != length and not (cont and (b - a) % 2 == 0 and b - a < length)):  # a last line's short group
        return None, b + 1
    start, stop, count, parts = a, b, 1, [text[a:b]]
    size = b - a
    while size == length:  # a shorter group ends the dump
        if sep == " " and length == 2 and count == 8 and text.startswith("  ", stop):
            q = stop + 2  # hexdump -C's middle
        elif text.startswith(sep, stop):
            q = stop + 1
        else:
            break
        m = hexg(text, q)
        if m is None:
            break
        size = m.end() - m.start()
        if size > length or size % 2:
            break
        parts.append(m.group())
        stop, count = m.end(), count + 1
    nl = text.find("\n", stop, stop + 4096)
    rest = text[stop:nl if nl != -1 else stop + 4096]
    full = not rest.strip() or rest[:2] == "  "
    if count < 3 and not (cont and full):  # a next line: whole (a dump's last bytes), or 3 groups
        return None, stop + 1
    return start, stop, "".join(parts), length, sep, full


def _basic_values(text: str) -> list[re.Match[str]]:
    """``_BASIC.finditer(text)``: the 8-19 base64 characters right after ``Basic `` (any case)."""
    low = _match_copy(text)  # lower case, the dotless i and long s folded as IGNORECASE matches them
    if low is None:  # (IGNORECASE would take a dotless i into the value: no base64 holds one)
        return [m for m in _BASIC.finditer(text) if m.group().isascii()]
    out = []
    i = low.find("basic ")
    while i != -1:
        m = _BASIC_VALUE.match(text, i + 6)
        if m is not None:
            out.append(m)
        i = low.find("basic ", i + 1)
    return out


# --------------------------------------------------------------------------------------
# Escape views


def _pct(seq: str) -> str:
    return bytes.fromhex(seq.replace("%", "")).decode("utf-8", "replace")


def _qp(seq: str) -> str:
    hexes = _SOFT.sub("", seq).replace("=", "")  # soft line breaks join (even a UTF-8 sequence)
    return bytes.fromhex(hexes).decode("utf-8", "replace") if hexes else ""


def _form(seq: str) -> str:
    return " " if seq == "+" else _pct(seq)


def _html(seq: str) -> str:
    import html

    return html.unescape(seq)


def _unescape(seq: str) -> str:
    out: list[str] = []
    buf = bytearray()
    units: list[int] = []

    def flush() -> None:
        if buf:
            try:
                out.append(buf.decode("utf-8"))
            except UnicodeDecodeError:
                out.append(buf.decode("latin-1"))
            buf.clear()
        if units:
            s = "".join(chr(u) if u <= 0x10FFFF else "\ufffd" for u in units)
            out.append(s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace"))
            units.clear()

    for m in _ESC_ONE.finditer(seq):
        brace, u4, u8, x2, octal, char = m.groups()
        if char is not None:
            flush()
            out.append(_ESC_CHAR[char])
        elif x2 is not None or octal is not None:
            if units:
                flush()
            buf.append(int(x2, 16) if x2 is not None else int(octal, 8))
        else:
            if buf:
                flush()
            units.append(int(brace or u4 or u8, 16))
    flush()
    return "".join(out)


#: (family, the character it needs, its token regex, the token decoder); "form" is named "percent".
_FAMILIES = (("percent", "%", _PCT, _pct), ("form", "+", _FORM, _form), ("qp", "=", _QP, _qp),
             ("html", "&", _HTML, _html), ("escape", "\\", _ESC, _unescape))


def _word(c: str) -> bool:
    return c.isascii() and c.isalnum()


def _MRZ_CHAR(c: str) -> bool:
    return c != "" and (c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789&%\\")


def _matters(dec: str, text: str, s: int, e: int, family: str) -> bool:
    """Whether the escape ``text[s:e]`` of ``family``, decoding to ``dec``, can hide a finding:
    an ASCII letter, digit or ``@-._:/+=#()`` (not quoted-printable's ``=``); a letter of another
    script next to an ASCII one (``Num\\u00e9ro``: a trigger word); a currency sign; a space
    between two letters or digits (``project%20bluebird``); a line break in a string literal
    inside a number (``4539\\n1488``, ``554-23-\\n3307``); a soft line break inside a token;
    quoted-printable's ``=3D`` as the padding of a base64 value."""
    before, after = text[s - 1:s], text[e:e + 1]
    if dec[-1:] in _DOUBLED and _DOUBLED[dec[-1]][0] == family and _DOUBLED[dec[-1]][1].match(text, e):
        return True  # an escape of an escape ("%2540", "&amp;#64;", "\\\\u0040"): the next level decodes it
    if not dec:  # a soft line break: inside a token?
        return bool(before.strip() and after.strip()) and before != "="
    if dec.isspace():
        if family == "escape" and dec.strip(" \xa0"):
            return (before.isdigit() or before == "-") and after.isdigit()
        return _word(before) and _word(after)
    if dec in ("'", "\u2019"):  # an apostrophe inside a word: "driver&#39;s license" (a context word)
        return before.isalpha() and after.isalpha()
    if dec.strip("<") == "":  # "&lt;&lt;", "%3C": the filler of a machine-readable zone
        return len(dec) > 1 or (_MRZ_CHAR(before) and _MRZ_CHAR(after))
    for c in dec:
        if c.isascii():
            if c.isalnum() or (c in _PUNCT and c != "=") or (c == "=" and family != "qp"):
                return True
            if c == "=" and _B64_TAIL.search(text, max(0, s - 8), s):
                return True  # "...kYjE=3D": base64 padding
        elif c.isalpha():
            if _word(before) or _word(after):
                return True
        else:
            import unicodedata

            if unicodedata.category(c) == "Sc":
                return True
    return False


def _view(text: str, family: str, rx: re.Pattern[str], decoder, fresh: list[tuple[int, int]] | None):
    """``(view, segments, outputs, near, nbytes)`` of one escape family in ``text`` (None: no
    escape that matters). ``segments``: ``(view_start, src_start, src_end, identity)`` sorted;
    ``outputs``: every decoded escape's span in the view; ``near``: those that matter;
    ``nbytes``: the UTF-8 bytes the escapes decode to."""
    tokens: list[tuple[int, int, str, bool]] = []
    n = len(text)
    plus = False
    for m in rx.finditer(text):
        s, e = m.span()
        if family == "escape" and _ESC_WS.fullmatch(text, s, e) and not (
                (text[s - 1:s].isdigit() or text[s - 1:s] == "-") and text[e:e + 1].isdigit()) and not (
                text[e - 1] == "\\" and _DOUBLED["\\"][1].match(text, e)):
            continue  # a line break between words, an escaped backslash: left as they are
        dec = decoder(m.group())
        if dec and not dec.isascii():
            dec = _fold(dec)[0]
        if dec == m.group():
            continue
        # nested: only near characters the level above decoded (mixed encodings in one token)
        sig = _matters(dec, text, s, e, family) and (fresh is None or _touches(fresh, s - NEAR, e + NEAR))
        if sig and family == "form" and e - s == 1:
            ts, te = _token_start(text, s, 64), _token_end(text, e, 64)
            sig = "=" in text[ts:te] or "%" in text[ts:te]  # a "+" is a space in a query string only
            plus = plus or sig
        tokens.append((s, e, dec, sig))
    if family == "form" and not plus:
        return None  # no "+" that matters: the percent view covers the rest
    windows: list[list[int]] = []
    starts = [t[0] for t in tokens]

    def close(ws: int, end: int) -> None:
        we = _token_end(text, min(n, end), 64)
        k = bisect_right(starts, we - 1) - 1
        if k >= 0 and tokens[k][1] > we:
            we = tokens[k][1]
        if windows and ws <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], we)
        else:
            windows.append([ws, we])

    cur: list[int] | None = None  # the window being built: its start, its end before the cut
    for s, e, _, sig in tokens:
        if not sig:
            continue
        # context on both sides, cut at blanks, never inside a sequence of escapes (else the
        # level below would find its rest again, and again); the end is cut once per window
        # (cutting is monotonic: the cut of the furthest end is the furthest cut)
        if cur is not None and s - WINDOW <= cur[1]:
            cur[1] = max(cur[1], e + WINDOW)
            continue
        if cur is not None:
            close(*cur)
        ws = _token_start(text, max(0, s - WINDOW), 64)
        k = bisect_right(starts, ws) - 1
        if k >= 0 and tokens[k][1] > ws:
            ws = tokens[k][0]
        cur = [ws, e + WINDOW]
    if cur is not None:
        close(*cur)
    if not windows:
        return None
    pieces: list[str] = []
    segments: list[tuple[int, int, int, bool]] = []
    outputs: list[tuple[int, int]] = []
    near: list[tuple[int, int]] = []
    nbytes = 0  # UTF-8 bytes the escapes decode to
    pos = 0  # length of the view so far
    k = 0
    for ws, we in windows:
        if pieces:
            pieces.append("\n\n")
            pos += 2
        at = ws
        while k < len(tokens) and tokens[k][0] < ws:
            k += 1
        while k < len(tokens) and tokens[k][1] <= we:
            s, e, dec, sig = tokens[k]
            k += 1
            if s < at:
                continue
            if s > at:
                segments.append((pos, at, s, True))
                pieces.append(text[at:s])
                pos += s - at
            segments.append((pos, s, e, False))
            outputs.append((pos, pos + len(dec)))
            if sig:
                near.append((pos, pos + len(dec)))
            pieces.append(dec)
            pos += len(dec)
            nbytes += len(dec.encode("utf-8", "surrogatepass"))
            at = e
        if we > at:
            segments.append((pos, at, we, True))
            pieces.append(text[at:we])
            pos += we - at
    return "".join(pieces), segments, outputs, near, nbytes


def _token_start(text: str, i: int, limit: int) -> int:
    stop = max(0, i - limit)
    while i > stop and text[i - 1] not in _BLANK:
        i -= 1
    return i


def _token_end(text: str, i: int, limit: int) -> int:
    stop = min(len(text), i + limit)
    while i < stop and text[i] not in _BLANK:
        i += 1
    return i


def _mapper(segments: list[tuple[int, int, int, bool]]):
    """Map a span of a view to the span of the text it was built from."""
    starts = [seg[0] for seg in segments]

    def local(a: int, b: int) -> tuple[int, int]:
        v, s, e, ident = segments[max(0, bisect_right(starts, a) - 1)]
        x = min(s + (a - v), e) if ident else s
        v, s, e, ident = segments[max(0, bisect_right(starts, max(a, b - 1)) - 1)]
        y = min(s + (max(a, b - 1) - v) + 1, e) if ident else e
        return x, max(x, y)

    return local


def _touches(spans: list[tuple[int, int]], s: int, e: int) -> bool:
    """Whether ``[s, e)`` overlaps one of the sorted, disjoint ``spans``."""
    i = bisect_left(spans, (e,))
    return i > 0 and spans[i - 1][1] > s


# --------------------------------------------------------------------------------------
# The pass


def decode_runs(text: str) -> list[Run]:
    """Every decoded run of ``text`` worth re-scanning, nested ones after their parent, in
    prompt coordinates (see :class:`Run`). Raises :class:`DecodeCapExceeded` past
    :data:`MAX_RUNS` runs, :data:`MAX_BYTES` decoded bytes or :data:`MAX_DEPTH` levels."""
    out: list[Run] = []
    _walk(text, text, None, 1, _Budget(), out, None)
    return out


def _walk(prompt: str, text: str, parent: Run | None, depth: int, budget: _Budget, out: list[Run],
          fresh: list[tuple[int, int]] | None) -> None:
    """Decode the runs of ``text`` (the prompt, or ``parent``'s decoded text) at ``depth``."""
    found: list[tuple[Run, int, list[tuple[int, int]] | None]] = []
    for s, e, decoded, kind in _blobs(text, budget, fresh):
        nbytes = 0 if ">gzip" in kind or ">zlib" in kind else len(decoded.encode("utf-8", "surrogatepass"))
        decoded = _fold(decoded)[0]
        line = text.rfind("\n", 0, s) + 1
        context = text[max(line, s - 80):s]
        if parent is None:
            span = (s, e)
        else:
            span = parent.span(s, e)
            kind = f"{parent.kind}>{kind}"
            if line == 0 and parent.blob:
                context = (parent.context + context)[-80:]
        found.append((Run(span[0], span[1], decoded, kind, context), nbytes, None))
    for family, char, rx, decoder in _FAMILIES:
        if char not in text or (family == "qp" and not _QP_EVIDENCE.search(text)) or (family == "form" and (
                (parent is not None and parent.kind.endswith("percent"))  # its sibling had them
                or not (_PCT.search(text) or _FORM_HINT.search(text)))):
            continue
        got = _view(text, family, rx, decoder, fresh)
        if got is None:
            continue
        view, segments, outputs, near, nbytes = got
        local = _mapper(segments)
        if parent is None:
            def map_(a: int, b: int, local=local) -> tuple[int, int]:
                x, y = local(a, b)
                return _token_start(prompt, x, 256), _token_end(prompt, y, 256)
        else:
            def map_(a: int, b: int, local=local, up=parent.span) -> tuple[int, int]:
                return up(*local(a, b))
        name = "percent" if family == "form" else family
        run = Run(0, 0, view, name if parent is None else f"{parent.kind}>{name}", "", map_, near)
        run.start, run.end = map_(0, len(view))
        found.append((run, nbytes, outputs))
    for run, nbytes, outputs in found:
        if depth > MAX_DEPTH:
            raise DecodeCapExceeded(f"nested deeper than {MAX_DEPTH} levels")
        budget.take(nbytes)
        out.append(run)
        _walk(prompt, run.decoded, run, depth + 1, budget, out, outputs)


def _credential_key_before(text: str, s: int) -> str:
    """The credential key name of an assignment ending right before ``text[s]`` (same line)."""
    line = text.rfind("\n", 0, s) + 1
    prefix = text[max(line, s - 80):s].rstrip("\"'`")
    m = None
    for m in _P.key_assign.finditer(prefix):
        pass
    if m is not None and m.end() == len(prefix):
        return re.sub(r"[\"'\s:=>]+$", "", m.group())
    m = re.search(r"\bbasic[ \t]+$", prefix, re.I)
    return "Basic" if m else ""


#: How far from a finding its context word is looked for (characters of the view).
_CUE_REACH = 200


def _cue_decoded(r: Run, scan: str, cut: int, hs: int, he: int, context: str) -> bool:
    """Whether the finding ``scan[hs:he]`` of a view has its context word (the hit's ``context``:
    ``driver's license number``) within :data:`_CUE_REACH` characters, holding a decoded escape
    that matters (``driver&#39;s``): the plain scan missed the word, so it missed the value too,
    however far from the escape the value stands (more than :data:`NEAR` characters)."""
    near = r._near
    if not near or not context or len(context) > 64:
        return False
    lo = max(cut, hs - _CUE_REACH)
    j = scan.rfind(context, lo, hs + len(context))
    if j == -1:
        j = scan.find(context, he, he + _CUE_REACH)
    if j == -1:
        return False
    return _touches(near, j - cut, j - cut + len(context))


def rescan(text: str, r: Run, detectors: list, run, raw: list) -> None:
    """Re-scan one decoded run with every detector (``(name, tier, fn)``; ``fn(text)`` yields
    hits) through ``run`` (the tagger's fail-closed runner), as ``"<name> (<kind>)"``; a hit's
    span is mapped with :meth:`Run.span` (``raw`` is unused: ``run`` records the hits)."""
    prefix = r.context[-64:]
    scan = prefix + r.decoded
    cut = len(prefix)
    key = _credential_key_before(r.context, len(r.context)) if r.blob and r.context else ""
    kind = r.kind
    for name, tier, fn in detectors:
        def mapped(fn=fn, name=name):
            out = []
            for h in fn(scan):
                hs, he, masked, verdict, context = _full_hit(h)
                if he <= cut:
                    continue
                a, b = max(hs - cut, 0), he - cut
                if not r.keep(a, b) and not _cue_decoded(r, scan, cut, hs, he, context):
                    continue
                s, e = r.span(a, b)
                out.append((s, e, masked, f"{verdict + '; ' if verdict else ''}decoded {kind}", context))
            if name == "api_key" and key and not out and not _P.placeholder.search(r.decoded.strip()):
                out.append((r.start, r.end, f"{key} …({len(r.decoded)} chars decoded)",
                            f"{kind} value of a credential key", key))
            return out

        run(f"{name} ({kind})", tier, mapped, len(text))
