"""The bounded decode pass: base64 and percent-encoded runs are decoded and re-scanned.

A credential in a Kubernetes Secret (``password: cDRzc3cwcmQtZXhhbXBsZS0xMjM=``), a Basic auth
header (``Authorization: Basic dXNlcjpodW50ZXIy``) or an email in a query string
(``?to=jane%40gmail.com``) is found although it is not written out.

Runs:

- base64 (standard or URL-safe alphabet, padding optional) of at least 20 characters, of 12-19
  characters when padded with ``=``, or of at least 8 right after ``Basic``, that decode to UTF-8 text that is at least 95 %
  printable; runs that are hexadecimal (hashes, git SHAs), UUID pieces or the digest of an
  SRI ``sha256-/sha384-/sha512-`` integrity value are not decoded;
- percent-encoded tokens (a run of non-blank characters with at least one ``%XX``).

Each decoded run is re-scanned by every enabled built-in detector, with the same line's text
before the run as context (so ``password: <base64>`` is an assignment). A base64 run that is
the value of a credential key is a secret by itself: nobody base64-encodes a placeholder into
a Secret manifest (only a structural placeholder such as ``${VAR}`` or ``<token>`` is let go).
A finding in decoded text spans the whole encoded run in the prompt; its detector is the
original one suffixed with the encoding (``api_key (base64)``).

Caps: at most :data:`MAX_RUNS` runs re-scanned and :data:`MAX_BYTES` decoded per prompt.
Past either, the pass stops with the error ``decode: cap exceeded`` and the prompt is
confidential (fail closed). One level only: a decoded run is not decoded again.
"""

from __future__ import annotations

import re

# imported when the decode pass first runs, after the sensitivity module
from hrouter.signals.sensitivity import _P, _b64_runs, _full_hit

MAX_RUNS = 32
MAX_BYTES = 256 * 1024

_B64 = re.compile(r"[A-Za-z0-9+/_\-](?<![A-Za-z0-9+/_\-%].)[A-Za-z0-9+/_\-]{19,}={0,2}(?![A-Za-z0-9+/=_\-%])")
#: A short base64 value (11-19 characters before the padding) counts only with its padding: an 11-character SSN
#: encodes to 16 ("MTIzLTQ1LTY3ODk="), while unpadded runs that short are mostly words.
_B64_PADDED = re.compile(r"(?<![A-Za-z0-9+/_\-%])[A-Za-z0-9+/]{11,19}={1,2}(?![A-Za-z0-9+/=_\-%])")
_BASIC = re.compile(r"(?<=Basic )[A-Za-z0-9+/]{8,19}={0,2}(?![A-Za-z0-9+/=_\-])", re.I)
_PCT = re.compile(r"%[0-9A-Fa-f]{2}")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_SRI = re.compile(r"sha(?:256|384|512)-$", re.I)


class DecodeCapExceeded(Exception):
    """More encoded runs or decoded bytes than the caps allow (fail closed)."""

    def __str__(self) -> str:
        return "cap exceeded"


def _printable(s: str) -> bool:
    if len(s) < 6:
        return False
    ok = sum(c.isprintable() or c in "\n\r\t" for c in s)
    return ok >= 0.95 * len(s) and any(c.isalnum() for c in s)


def _b64decode(run: str) -> str | None:
    import binascii

    body = run.rstrip("=")
    if "-" in body or "_" in body:
        if "+" in body or "/" in body:
            return None  # mixed alphabets: not base64
        body = body.replace("-", "+").replace("_", "/")
    if len(body) % 4 == 1:
        return None
    try:
        raw = binascii.a2b_base64(body + "=" * (-len(body) % 4))
        text = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return text if _printable(text) else None


def decode_runs(text: str) -> list[tuple[int, int, str, str]]:
    """``(start, end, decoded, kind)`` of every encoded run worth re-scanning; raises
    :class:`DecodeCapExceeded` past :data:`MAX_RUNS` runs or :data:`MAX_BYTES` decoded."""
    runs: list[tuple[int, int, str, str]] = []
    total = 0

    def add(s: int, e: int, decoded: str, kind: str) -> None:
        nonlocal total
        total += len(decoded.encode("utf-8", "surrogatepass"))
        runs.append((s, e, decoded, kind))
        if len(runs) > MAX_RUNS or total > MAX_BYTES:
            raise DecodeCapExceeded()

    # a base64 match is a whole maximal run of the alphabet (it may not touch another
    # character of it): try the pattern at the start of each run of 20 or more
    matches = [m for m in (_B64.match(text, s) for s, _ in _b64_runs(text)) if m is not None]
    if "asic " in text:
        matches += _BASIC.finditer(text)
    if "=" in text:
        matches += (m for m in _B64_PADDED.finditer(text) if len(m.group().rstrip("=")) < 20)
    for m in matches:
        run = m.group()
        if _HEX.fullmatch(run.rstrip("=")) or _SRI.search(text, max(0, m.start() - 7), m.start()):
            continue  # a hash, a git SHA, an SRI digest: not encoded text
        if run.rstrip("=").isalpha() and (run.islower() or run.isupper()):
            continue  # a long word
        decoded = _b64decode(run)
        if decoded is not None:
            add(m.start(), m.end(), decoded, "base64")
    if "%" in text:
        from urllib.parse import unquote

        end = -1
        for m in _PCT.finditer(text):
            if m.start() < end:
                continue  # inside the token decoded before
            start, end = m.start(), m.end()
            while start and not (text[start - 1].isspace() or text[start - 1] in "\"'<>`"):
                start -= 1
            while end < len(text) and not (text[end].isspace() or text[end] in "\"'<>`"):
                end += 1
            token = text[start:end]
            decoded = unquote(token, errors="replace")
            if decoded != token:
                add(start, end, decoded, "percent")
    return runs


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


def rescan(text: str, r: tuple[int, int, str, str], detectors: list, run, raw: list) -> None:
    """Re-scan one decoded run with every detector and record its findings over the run."""
    s, e, decoded, kind = r
    line = text.rfind("\n", 0, s) + 1
    prefix = text[max(line, s - 64):s]
    scan = prefix + decoded
    cut = len(prefix)
    key = _credential_key_before(text, s)
    for name, tier, fn in detectors:
        def mapped(fn=fn):
            out = []
            for h in fn(scan):
                hs, he, masked, verdict, context = _full_hit(h)
                if he > cut:
                    out.append((s, e, masked, f"{verdict + '; ' if verdict else ''}decoded {kind}", context))
            if name == "api_key" and key and not out and not _P.placeholder.search(decoded.strip()):
                out.append((s, e, f"{key} …({len(decoded)} chars decoded)",
                            f"{kind} value of a credential key", key))
            return out

        run(f"{name} ({kind})", tier, mapped, len(text))
