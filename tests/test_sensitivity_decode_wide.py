"""The decode pass beyond single-level base64/percent: short unpadded base64, hex, base32,
gzip/zlib, quoted-printable, HTML references, backslash escapes, nesting, and the caps."""

from __future__ import annotations

import base64
import gzip
import subprocess
import sys
import zlib

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals.detectors import decode
from hrouter.signals.sensitivity import tag_sensitivity

DEFAULT = SensitivityConfig()


def tag(text: str):
    return tag_sensitivity(text, DEFAULT)


def b64(s: str | bytes) -> str:
    return base64.b64encode(s.encode() if isinstance(s, str) else s).decode()


def hx(s: str) -> str:
    return s.encode().hex()


def b32(s: str) -> str:
    return base64.b32encode(s.encode()).decode()


def pct(s: str) -> str:
    return "".join(f"%{ord(c):02X}" for c in s)


def qp(s: str) -> str:
    return "".join(f"={ord(c):02X}" for c in s)


def ents(s: str) -> str:
    return "".join(f"&#{ord(c)};" for c in s)


SSN = "536-22-1947"
CARD = "4539 1488 0343 6467"
KEY = "sk-ant-api03-qDCqC0KLrTaGPT_E7QXZyg6DJK0Y4BiZy4nNwonQNxNwsekIXT26JPAdRB6ebeNJO8aRQv_e"


def assert_found(text: str, detector: str, encoded: str) -> None:
    """Confidential, no error, a finding named ``detector`` covering the encoded run."""
    res = tag(text)
    assert res.tier == "confidential" and not res.errors, (res.errors, [(f.detector, f.masked) for f in res.findings])
    hits = [f for f in res.findings if f.detector == detector]
    assert hits, [(f.detector, text[f.start:f.end]) for f in res.findings]
    at = text.index(encoded)
    assert any(f.start <= at and at + len(encoded) <= f.end for f in hits), \
        [(f.detector, text[f.start:f.end]) for f in hits]
    for f in hits:
        assert SSN not in f.masked and "4539 1488 0343 6467" not in f.masked and KEY not in f.masked


# ---------------------------------------------------------------------------------------
# 1. Unpadded base64 shorter than 20 characters


@pytest.mark.parametrize("text,detector,encoded", [
    ("MTIzLTQ1LTY3ODk", "ssn (base64)", "MTIzLTQ1LTY3ODk"),                       # 123-45-6789, 15 chars
    ("data " + b64(SSN).rstrip("="), "ssn (base64)", b64(SSN).rstrip("=")),      # NTM2LTIyLTE5NDc
    ("ssn: " + b64("536221947"), "ssn (base64)", b64("536221947")),              # 12 chars, needs the context
    ("mail " + b64("jane@gmail.com").rstrip("="), "email (base64)", b64("jane@gmail.com").rstrip("=")),  # 19
    ("q=" + b64(SSN).rstrip("=") + "&x=1", "ssn (base64)", b64(SSN).rstrip("=")),
    ("id " + base64.urlsafe_b64encode(b"536-22-1947").decode().rstrip("="), "ssn (base64)",
     base64.urlsafe_b64encode(b"536-22-1947").decode().rstrip("=")),
])
def test_short_unpadded_base64(text, detector, encoded):
    assert_found(text, detector, encoded)


def test_a_bare_nine_digit_number_still_needs_its_context():
    assert tag("code " + b64("536221947")).tier == "public"


# ---------------------------------------------------------------------------------------
# 2. Nested encodings


@pytest.mark.parametrize("text,detector,encoded", [
    ("blob " + b64(b64("SSN " + SSN)), "ssn (base64>base64)", b64(b64("SSN " + SSN))),
    ("x=" + pct(b64("card " + CARD)), "credit_card (percent>base64)", pct(b64("card " + CARD))),
    ("url ?d=" + b64("ssn: " + SSN).replace("=", "%3D"), "ssn (percent>base64)",  # padded: "...==" -> "%3D%3D"
     b64("ssn: " + SSN).replace("=", "%3D")),
    ("cfg " + b64(gzip.compress(b"db:\n  password=hunter2-Secret\n")), "api_key (base64>gzip)",
     b64(gzip.compress(b"db:\n  password=hunter2-Secret\n"))),
    ("cfg " + b64(zlib.compress(f"my SSN is {SSN}".encode())), "ssn (base64>zlib)",
     b64(zlib.compress(f"my SSN is {SSN}".encode()))),
    ("v " + b64(hx(SSN)), "ssn (base64>hex)", b64(hx(SSN))),
    ("v " + b64(hx("key " + KEY)), "api_key (base64>hex)", b64(hx("key " + KEY))),
    ("page " + ents(b64("SSN " + SSN)), "ssn (html>base64)", ents(b64("SSN " + SSN))),
    ("v " + b64(gzip.compress(b64("card " + CARD).encode())), "credit_card (base64>gzip>base64)",
     b64(gzip.compress(b64("card " + CARD).encode()))),
])
def test_nested_encodings(text, detector, encoded):
    assert_found(text, detector, encoded)


def test_multi_member_gzip_is_read_to_its_end():
    blob = gzip.compress(b"harmless first member\n") + gzip.compress(f"SSN {SSN}\n".encode())
    assert_found("logs " + b64(blob), "ssn (base64>gzip)", b64(blob))


def test_three_levels_are_decoded_and_a_fourth_fails_closed():
    three = b64(b64(b64("SSN " + SSN)))
    assert_found("x " + three, "ssn (base64>base64>base64)", three)
    res = tag("x " + b64(three))
    assert res.tier == "confidential"
    assert res.errors == ["decode: cap exceeded (nested deeper than 3 levels)"]


def test_the_depth_bound_is_the_module_constant(monkeypatch):
    monkeypatch.setattr(decode, "MAX_DEPTH", 1)
    res = tag("x " + b64(b64("SSN " + SSN)))
    assert res.tier == "confidential" and res.errors and "decode" in res.errors[0]
    # past the depth only a decodable run fails closed: plain decoded text is fine
    assert tag("x " + b64("hello there, just some plain words")).tier == "public"


# ---------------------------------------------------------------------------------------
# 3. Hex, base32, quoted-printable, HTML references, backslash escapes


@pytest.mark.parametrize("text,detector,encoded", [
    ("3132332d34352d36373839", "ssn (hex)", "3132332d34352d36373839"),
    ("ssn " + hx("536221947"), "ssn (hex)", hx("536221947")),                   # 18 chars
    ("payload 0x" + hx("card " + CARD), "credit_card (hex)", "0x" + hx("card " + CARD)),
    ("k=" + hx(KEY).upper(), "api_key (hex)", hx(KEY).upper()),
    ("GEZDGLJUGUWTMNZYHE======", "ssn (base32)", "GEZDGLJUGUWTMNZYHE======"),
    ("id " + b32(SSN), "ssn (base32)", b32(SSN)),
    ("id " + b32(SSN).rstrip("=").lower(), "ssn (base32)", b32(SSN).rstrip("=").lower()),
    ("mail " + b32("jane.doe@gmail.com"), "email (base32)", b32("jane.doe@gmail.com")),
    ("ssn " + b32("536221947"), "ssn (base32)", b32("536221947")),                  # 16 chars, padded
    (qp(SSN), "ssn (qp)", qp(SSN)),
    ("=31=32=33=2D=34=35=2D=36=37=38=39", "ssn (qp)", "=31=32=33=2D=34=35=2D=36=37=38=39"),
    ("Content-Transfer-Encoding: quoted-printable\n\nmy SSN is 536-22-=\n1947, thanks", "ssn (qp)", "536-22-=\n1947"),
    ("mail: jane.doe=40gmail.com=20=3D=20", "email (qp)", "jane.doe=40gmail.com=20=3D=20"),
    (ents(SSN), "ssn (html)", ents(SSN)),
    ("&#49;&#50;&#51;-45-6789", "ssn (html)", "&#49;&#50;&#51;-45-6789"),
    ("&#x35;&#x33;&#x36;-22-1947", "ssn (html)", "&#x35;&#x33;&#x36;-22-1947"),
    ("write to jane&#64;gmail.com", "email (html)", "jane&#64;gmail.com"),
    ("write to jane&commat;gmail&period;com", "email (html)", "jane&commat;gmail&period;com"),
    ("<td>Card: 4539&nbsp;1488&nbsp;0343&nbsp;6467</td>", "credit_card (html)", "4539&nbsp;1488&nbsp;0343&nbsp;6467"),
    ('{"ssn": "\\u0035\\u0033\\u0036-22-1947"}', "ssn (escape)", "\\u0035\\u0033\\u0036-22-1947"),
    ("s = '\\x35\\x33\\x36\\x2d\\x32\\x32\\x2d\\x31\\x39\\x34\\x37'", "ssn (escape)",
     "\\x35\\x33\\x36\\x2d\\x32\\x32\\x2d\\x31\\x39\\x34\\x37"),
    ("s = '\\065\\063\\066-22-1947'", "ssn (escape)", "\\065\\063\\066-22-1947"),
    ("const s = `\\u{35}\\u{33}\\u{36}-22-1947`", "ssn (escape)", "\\u{35}\\u{33}\\u{36}-22-1947"),
    ('"ssn": "\\uff15\\uff13\\uff16-22-1947"', "ssn (escape)", "\\uff15\\uff13\\uff16-22-1947"),  # fullwidth
    ('{"k": "sk\\u002dant\\u002dapi03\\u002d' + KEY[13:] + '"}', "api_key (escape)", "sk\\u002dant"),
    ("password&#61;hunter2-Secret!", "api_key (html)", "password&#61;hunter2-Secret!"),
    ('{"note": "Card: 54326237\\n42302678 exp 04/29"}', "credit_card (escape)", "54326237\\n42302678"),
    ('{"note": "SSN: 554-23-\\n3307"}', "ssn (escape)", "554-23-\\n3307"),
    ('{"dob": "born 12\\/03\\/1980", "mail": "jane\\u0040gmail.com"}', "email (escape)", "jane\\u0040gmail.com"),
    ("/search?q=my+card+4539+1488+0343+6467&lang=en", "credit_card (percent)", "q=my+card+4539+1488+0343+6467"),
    ("GET /form?note=SSN%3A+536-22-1947", "ssn (percent)", "note=SSN%3A+536-22-1947"),
    ("see ?email=3Dmarta.lopez%40gmai=\nl.com ok", "email (percent>qp)", "email=3Dmarta.lopez%40gmai=\nl.com"),
    ("Subject: x\n\nSSN: =EF=BC=96=EF=BC=96=EF=BC=98-=EF=BC=94=EF=BC=93-=EF=BC=95=EF=BC=93=EF=\n=BC=90=EF=BC=95",
     "ssn (qp)", "=EF=BC=96=EF=BC=96=EF=BC=98-"),  # a soft break inside a UTF-8 sequence
    ("Decode: ZGJfcGFzc3dvcmQ9VHIwdWI0ZG9yJjMgaG9zdD1kYjE=3D", "api_key (qp>base64)",
     "ZGJfcGFzc3dvcmQ9VHIwdWI0ZG9yJjMgaG9zdD1kYjE=3D"),  # quoted-printable's "=3D" as base64 padding
])
def test_other_encodings(text, detector, encoded):
    assert_found(text, detector, encoded)


@pytest.mark.parametrize("text,detector", [
    ('{"msg": "Num\\u00e9ro de dossier 2019-04471 : r\\u00e9sumez le compte rendu."}', "medical_id (escape)"),
    ("Historia cl=C3=ADnica 3305127: traduce el informe al ingl=C3=A9s.", "medical_id (qp)"),
    ('{"t": "El salario anual de Tomasz Brenner es de 74.000 \\u20ac; redacta la carta."}', "salary (escape)"),
])
def test_escaped_trigger_words_and_currency_signs(text, detector):
    # the trigger word or the currency sign is escaped (an accent next to ASCII letters counts)
    plain = text.encode().decode("unicode_escape") if "\\u" in text else None
    res = tag(text)
    assert res.tier == "confidential" and not res.errors, [(f.detector, f.masked) for f in res.findings]
    assert any(f.detector == detector for f in res.findings), [f.detector for f in res.findings]
    if plain is not None:
        assert tag(plain).tier == "confidential"  # the case means something: decoded, it is confidential


def test_powershell_utf16_base64():
    enc = base64.b64encode(f"echo SSN {SSN}".encode("utf-16-le")).decode()
    assert_found("powershell -EncodedCommand " + enc, "ssn (base64)", enc)


def test_escapes_inside_a_word_hide_a_policy_keyword():
    from hrouter.policy import parse_policy

    pol = parse_policy("version: 1\nbackends:\n  l: {kind: ollama, model: m, zone: local}\n"
                       "sensitivity: {custom: [{name: proj, tier: confidential, keywords: [bluebird]}]}\n").sensitivity
    for text in ("Notes on project blue&#98;ird", "Notes on project blue\\x62ird", "Notes on project%20bluebird"):
        r = tag_sensitivity(text, pol)
        assert r.tier == "confidential" and r.findings[0].detector.startswith("proj ("), text


def test_a_view_finding_spans_only_its_token_not_the_whole_page():
    filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20
    text = filler + "Contact: jane&#64;gmail.com today. " + filler + "&copy; 2024 &amp; more"
    res = tag(text)
    [f] = res.findings
    assert f.detector == "email (html)" and text[f.start:f.end] == "jane&#64;gmail.com"


# ---------------------------------------------------------------------------------------
# Negatives: ordinary text stays public, without errors


NEGATIVES = [
    "Words like internationalization, Configuration123, responsibilities and HYPERPARAMETERS are long.",
    "Call getElementById, MaxConnectionsPerHost, XmlHttpRequest, useEffectHook or parseIntegerList.",
    "commit 3f786850e387550fdab836ed7e6dc57b5b4f2a31, md5 d41d8cd98f00b204e9800998ecf8427e",
    "sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 matches",
    "request 123e4567-e89b-12d3-a456-426614174000 and c866c485-7989-4539-bbfa-258343f78ef7 failed",
    "body { color: #ff00aa; background: #a1b2c3; border-color: #123456 } .x { color: #FFFFFF }",
    'json {"name": "\\u5f20\\u4f1f", "q": "\\u201cok\\u201d", "h": "\\u003cb\\u003e", "a": "\\u0026"}',
    'json {"name": "Jos\\u00e9 Garc\\u00eda", "city": "M\\u00fcnchen", "note": "line one.\\nLine two"}',
    '{"title": "Caf\\u00e9 na\\u00efve r\\u00e9sum\\u00e9", "emoji": "\\ud83d\\ude00", "amp": "\\u0026"}',
    "<p>Caf&eacute;&nbsp;au&nbsp;lait &amp; cr&egrave;me &mdash; &copy; 2024 &lt;b&gt; &quot;x&quot; &#39;y&#39;</p>",
    "<td>&nbsp;12</td><td>&nbsp;&nbsp;</td><td>Price&nbsp;&euro;&nbsp;40</td>",
    ("Subject: hello\nContent-Transfer-Encoding: quoted-printable\n\nThis is a long quoted-printable line th=\n"
     "at wraps around here and it=E2=80=99s fine. <a href=3D\"https://example.com/x\">link</a>=20\nBye"),
    "In Excel I typed =312-555-0110 and the cell shows -353. Why?",
    "const total =\n  price * quantity;\nlet x=10, y=20, width=100;",
    "search?q=caf%C3%A9%20near%20me&lang=fr and https://example.com/a%20b/c%2Fd?x=1%26y%3D2",
    "path C:\\Users\\123\\Documents and regex \\d+\\s*\\1 and printf(\"%d\\n\", x)",
    "TOTP secret JBSWY3DPEHPK3PXP is the RFC example; ids dQw4w9WgXcQ and AbCdEfGhIjKlMnOp",
    "order ids 2023456734562345 2534675623457823 3345567723456734 and 4512345678901235",
    "gzip of text: " + b64(gzip.compress(b"just an ordinary sentence about the weather")),
    "hex of text: " + hx("nothing secret in here at all"),
    "What is base64? e.g. " + b64("hello world, this is plain text") + " and " + b64("tiny text").rstrip("="),
    "set PATH=usr/local/bin= and a=b c==d and configuration= yes",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_ordinary_text_stays_public(text):
    res = tag(text)
    assert res.tier == "public" and not res.errors, (res.errors, [(f.detector, f.masked) for f in res.findings])


def test_documents_full_of_escapes_do_not_blow_the_run_cap():
    json_doc = "[" + ",\n".join(
        f'{{"id": {i}, "name": "Ren\\u00e9e M\\u00fcller {i}", "note": "caf\\u00e9 \\u0026 cr\\u00e8me"}}'
        for i in range(400)) + "]"
    html_doc = "\n".join(f"<p>Item&nbsp;number&nbsp;{i}&nbsp;is &quot;fine&quot; &amp; caf&eacute;&nbsp;ok</p>"
                         for i in range(400))
    urls = "\n".join(f"see https://example.com/docs/page%20{i}?ref=a%2Fb%2Fc" for i in range(200))
    mail = "Content-Transfer-Encoding: quoted-printable\n\n" + "\n".join(
        f"Paragraph {i} is long enough that the mailer wrapped it some=\nwhere in the middle, it=E2=80=99s ok=3D."
        for i in range(300))
    for doc in (json_doc, html_doc, urls, mail):
        res = tag(doc)
        assert res.tier == "public" and not res.errors, (doc[:60], res.errors, res.findings[:3])


def test_long_tables_of_escapes_are_decoded_once_not_level_after_level():
    # a pygments-style character table: windows never cut a sequence of escapes, so the level
    # below does not find its rest again (and fail closed past the depth)
    table = "Ll = 'a-z" + "-".join("".join(f"\\u{c:04x}" for c in range(b, b + 40)) for b in range(0x100, 0x2000, 48))
    code = "\n".join([table + "'", "Lu = 'A-Z" + table[9:] + "'", "Nd = '0-9\\u0660-\\u0669\\uff10-\\uff19'"])
    res = tag(code)
    assert res.tier == "public" and not res.errors, (res.errors, res.findings[:3])
    assert max(r.kind.count(">") for r in decode.decode_runs(code)) == 0


# ---------------------------------------------------------------------------------------
# Caps


def test_many_short_runs_hit_the_run_cap():
    many = " ".join(b64(f"plain words {i:04d}").rstrip("=") for i in range(decode.MAX_RUNS + 1))
    res = tag(many)
    assert res.tier == "confidential" and res.errors == ["decode: cap exceeded"]


def test_nested_runs_count_toward_the_run_cap():
    inner = " ".join(b64(f"hello there, plain number {i}") for i in range(decode.MAX_RUNS))
    res = tag("blob " + b64(inner))
    assert res.tier == "confidential" and res.errors == ["decode: cap exceeded"]


def _bomb(megabytes: int) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    return b"".join([*(c.compress(chunk) for _ in range(megabytes)), c.flush()])


def test_a_gzip_bomb_hits_the_byte_cap_without_inflating():
    import tracemalloc

    text = "H " + b64(_bomb(64))  # 64 MB of zeros in ~90 KB of base64
    tracemalloc.start()
    try:
        res = tag(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert res.tier == "confidential" and res.errors == ["decode: cap exceeded"]
    assert peak < 16 * decode.MAX_BYTES + 4 * len(text)  # bounded by the cap, nowhere near 64 MB


def test_a_gzip_bomb_inside_gzip_hits_the_byte_cap():
    inner = b64(_bomb(8))
    res = tag("H " + b64(gzip.compress(inner.encode())))
    assert res.tier == "confidential" and res.errors == ["decode: cap exceeded"]


def test_view_bytes_count_toward_the_byte_cap(monkeypatch):
    monkeypatch.setattr(decode, "MAX_BYTES", 10)
    res = tag("write to jane&#64;gmail.com and " + ents("abcdefghijklmnop"))
    assert res.tier == "confidential" and res.errors == ["decode: cap exceeded"]


# ---------------------------------------------------------------------------------------
# Cost: nothing imported, nothing decoded without a candidate


def test_the_decoder_is_not_consulted_without_a_candidate(monkeypatch):
    def boom(text):
        raise AssertionError("decode_runs called")

    monkeypatch.setattr(decode, "decode_runs", boom)
    for text in ("What is the capital of France?", "Call getElementById, XmlHttpRequest or parseIntegerList.",
                 "Configuration123, responsibilities, HYPERPARAMETERS and getElementById are long words.",
                 "Compare transformers and state-space models step by step, with examples",
                 "x = 1; y == 2; a=b; R&D at AT&T; 50% off; C:\\temp\\new"):
        res = tag(text)
        assert not res.errors, (text, res.errors)


def test_explain_prompt_does_not_import_the_decoder():
    code = ("import sys\nfrom hrouter.policy_model import SensitivityConfig\n"
            "from hrouter.signals.sensitivity import tag_sensitivity\n"
            "tag_sensitivity('Compare transformers and state-space models step by step, with examples', "
            "SensitivityConfig())\nprint('hrouter.signals.detectors.decode' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_basic_values_are_the_case_insensitive_lookbehind_matches():
    import random

    from hrouter.signals import sensitivity as sens

    rng = random.Random(7)
    parts = ["Basic ", "basic ", "BASIC ", "bAsIc ", "dXNlcjpodW50ZXIy", "QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "abc", " ", "\n",
             "İ", "x-", "=", "Basicx", "ba sic ", "Basıc ", "baſic ", "BASİC ", "\u212aasic "]
    for _ in range(3000):
        text = sens._fold("".join(rng.choice(parts) for _ in range(rng.randint(1, 12))))[0]  # as the pass sees it
        # (IGNORECASE lets the old pattern take a dotless i into the value: no base64 has one)
        want = [m.span() for m in decode._BASIC.finditer(text) if m.group().isascii()]
        assert [m.span() for m in decode._basic_values(text)] == want, text
