"""Regressions from the eighth tester round: seed phrases in wallet and JSON layouts, postal
addresses in JSON records (split across fields, an escaped line break), and escapes inside a
context word or an MRZ (the decode pass)."""

from __future__ import annotations

import json
import time

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals.detectors import documents
from hrouter.signals.sensitivity import tag_sensitivity

P = "alpha doctor dream bid school mandate detail acquire bamboo obvious aim clump"  # valid BIP-39 checksum
W = P.split()
#: Twelve wordlist words whose checksum fails (the last word changed).
BAD = W[:11] + ["zoo"]


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


def _only(res, detector):
    hits = [f for f in res.findings if f.detector == detector]
    assert hits, res
    return hits


def _grid(words, gap="   "):
    return "\n".join(gap.join(words[i:i + 3]) for i in range(0, len(words), 3))


SEED_LAYOUTS = [
    json.dumps({"mnemonic": W}),
    json.dumps({"wallet": {"words": W}}),
    json.dumps(W),
    "my seed phrase is " + json.dumps(W),
    "seed phrase: " + " - ".join(W),
    "seed words:  " + "  ".join(W),
    _grid(W),
    "My recovery phrase:\n" + _grid(W, "    "),
    "Write these down:\n\n" + _grid(W, "\t"),
    P.upper(),
    "seed phrase: " + P.upper(),
    " ".join(w.title() for w in W),
    "Backup phrase\n" + " ".join(w.title() for w in W),
    " / ".join(W),
    "seed phrase: " + "/".join(W),
    "; ".join(W),
    "mnemonic: " + "; ".join(W),
    " ".join(W[:6]) + "\n\n" + " ".join(W[6:]),
    "seed phrase:\n" + " ".join(W[:6]) + "\n\n" + " ".join(W[6:]),
    "Here is my seed phrase, keep it safe [" + ", ".join(f"'{w}'" for w in W) + "] thanks",
    "my recovery phrase is (1) alpha (2) doctor (3) dream (4) bid (5) school (6) mandate (7) detail "
    "(8) acquire (9) bamboo (10) obvious (11) aim (12) clump",
]


@pytest.mark.parametrize("text", SEED_LAYOUTS)
def test_seed_phrase_layouts_are_confidential(text):
    res = tag(text)
    assert res.tier == "confidential", res
    (f,) = _only(res, "seed_phrase")
    assert 0 <= f.start < f.end <= len(text)
    low = text[f.start:f.end].lower()
    assert low.startswith("alpha") and low.endswith("clump"), low
    assert "alpha" not in f.masked and f.masked == "12 words"


@pytest.mark.parametrize("text", [
    "seed phrase: " + json.dumps(BAD),                     # context: a mistyped phrase still counts
    "mnemonic = [" + ", ".join(f'"{w.upper()}"' for w in BAD) + "]",
    "my seed words:\n" + _grid(BAD, "     "),
])
def test_seed_phrase_with_context_counts_with_a_failed_checksum_in_any_layout(text):
    res = tag(text)
    assert res.tier == "confidential", res
    (f,) = _only(res, "seed_phrase")
    assert "checksum failed" in f.verdict


@pytest.mark.parametrize("text", [
    json.dumps(BAD),                                        # no context, checksum fails
    " - ".join(w.title() for w in BAD),
    "/".join(BAD).upper(),
    # prose and headings at a line start
    "The Quick Brown Fox Jumps Over The Lazy Dog And Then Runs Away Fast Into The Woods",
    "Alpha, beta; gamma - delta / epsilon: words of a list, not a wallet at all, really",
    '{"type": "object", "title": "Person", "required": ["name", "age", "email", "phone"], "example": "none"}',
    "The x86 mnemonic table lists MOV, ADD, SUB, JMP, CALL, RET, PUSH, POP, AND, XOR, NOT and NEG.",
    "I wrote down the list: apple, banana, cherry, grape, lemon, mango, orange, peach, pear, plum, lime, kiwi",
])
def test_seed_phrase_layouts_keep_public_text_public(text):
    res = tag(text)
    assert "seed_phrase" not in {f.detector for f in res.findings}, res
    assert res.tier == "public", res


@pytest.mark.parametrize("text", [
    ('{"alpha": "' + '", "'.join(W) + '"}') * 2000,
    ("; ".join(W) + " / ") * 800,
    "seed phrase " + ("alpha - " * 12000),
    ("Alpha " * 11 + "Zzzzzzzzz\n") * 1500,
    ('"' + "ab, " * 30000),
])
def test_seed_phrase_adversarial_inputs_are_fast(text):
    text = text[:100_000]
    t = time.process_time()
    documents.detect_seed_phrase(text)
    tag(text)
    assert time.process_time() - t < 0.5


# ---- postal_address in JSON records

@pytest.mark.parametrize("text,value", [
    ('{"customer": {"name": "Maria Garcia", "street": "1234 Elm St", "city": "Austin", "state": "TX", "zip": "78701"}}',
     "1234 Elm St"),
    ('{"full_name": "Maria Garcia", "street_address": "1234 Elm St", "city": "Austin"}', "1234 Elm St"),
    ('[{"first_name": "John", "last_name": "Smith", "address1": "88 Maple Avenue", "zip": "10001"}]',
     "88 Maple Avenue"),
    ('{\n  "name": "Maria Garcia",\n  "line1": "1234 Elm St",\n  "city": "Austin"\n}', "1234 Elm St"),
    ('{"home_address": "12 Oak Street\\nSpringfield, IL 62704"}', "12 Oak Street\\nSpringfield, IL 62704"),
    ('{"name": "Jane Roe", "address": "12 Oak Street\\r\\nSpringfield, IL 62704"}',
     "12 Oak Street\\r\\nSpringfield, IL 62704"),
])
def test_postal_address_in_json_records(text, value):
    res = tag(text)
    assert res.tier == "confidential", res
    hits = _only(res, "postal_address")
    f = hits[0]
    assert 0 <= f.start < f.end <= len(text)
    assert text[f.start:f.end] == value
    assert "Elm" not in f.masked and "Oak" not in f.masked and "1234" not in f.masked


@pytest.mark.parametrize("text", [
    '{"name": "Central Library", "street": "1234 Elm St", "city": "Austin", "state": "TX"}',
    '{"street": "1234 Elm St", "city": "Austin", "state": "TX", "zip": "78701"}',   # no person in the record
    '{"title": "Route planner", "street": "1234 Elm St", "note": "demo data"}',
    'The parade goes down 5th Avenue\\nthen turns onto Main Street.',
])
def test_postal_address_json_records_without_a_person_stay_public(text):
    res = tag(text)
    assert "postal_address" not in {f.detector for f in res.findings}, res


def test_postal_address_escaped_newline_is_fast():
    text = ('{"home_address": "12 Oak Street' + "\\n" * 40000)[:100_000]
    t = time.process_time()
    tag(text)
    assert time.process_time() - t < 0.5


# ---- decode: escapes inside a context word, an MRZ written with escapes

@pytest.mark.parametrize("text,kind", [
    ("My driver&#39;s license number is A1234567.", "html"),
    ("My driver&apos;s license number is A1234567.", "html"),
    ("My driver%27s license number is A1234567.", "percent"),
    ("My driver\\u0027s license number is A1234567.", "escape"),
    # the value further than NEAR (32) characters from the escape: the context word holds it
    ("My driver&#39;s license number is" + " " * 20 + "A1234567.", "html"),
    ("My driver%27s license number is" + " " * 20 + "A1234567.", "percent"),
    ("My driver\\u0027s license number is" + " " * 20 + "A1234567.", "escape"),
])
def test_escape_inside_the_context_word_is_decoded(text, kind):
    res = tag(text)
    assert res.tier == "confidential", res
    f = next(f for f in res.findings if f.detector.startswith("drivers_license"))
    assert f.detector == f"drivers_license ({kind})"
    assert text[f.start:f.end].startswith("A1234567")
    assert "1234" not in f.masked


MRZ1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
MRZ2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"


@pytest.mark.parametrize("text,kind", [
    ((MRZ1 + "\n" + MRZ2).replace("<", "&lt;"), "html"),
    ((MRZ1 + "\n" + MRZ2).replace("<", "&#60;"), "html"),
    ((MRZ1 + "\n" + MRZ2).replace("<", "%3C"), "percent"),
    ((MRZ1 + "\n" + MRZ2).replace("<", "%3c"), "percent"),
    ((MRZ1 + "\n" + MRZ2).replace("<", "\\u003c"), "escape"),
    ("passport: " + MRZ2.replace("<", "&lt;"), "html"),
])
def test_mrz_written_with_escapes(text, kind):
    res = tag(text)
    assert res.tier == "confidential", res
    f = next(f for f in res.findings if f.detector.startswith("mrz"))
    assert f.detector == f"mrz ({kind})"
    assert 0 <= f.start < f.end <= len(text)
    assert "ERIKSSON" not in f.masked and "L898902C3" not in f.masked


@pytest.mark.parametrize("text", [MRZ1 + "<br>" + MRZ2, MRZ1 + "<br/>\n" + MRZ2, MRZ1 + "<br>\n" + MRZ2,
                                  MRZ1 + "<br />" + MRZ2, MRZ1 + "<BR>\r\n" + MRZ2, "<p>" + MRZ1 + "<br>" + MRZ2 + "</p>"])
def test_mrz_lines_joined_by_br(text):
    res = tag(text)
    assert res.tier == "confidential", res
    (f,) = [f for f in res.findings if f.detector == "mrz"]
    assert text[f.start:f.end].startswith(MRZ1) and text[f.start:f.end].endswith(MRZ2)  # both lines, one zone
    assert f.masked.startswith("P<UTO***")


def test_mrz_lines_in_html_table_cells():
    text = "<td>" + MRZ1 + "</td></tr><tr><td>" + MRZ2 + "</td>"
    res = tag(text)
    assert res.tier == "confidential", res
    spans = {text[f.start:f.end] for f in res.findings if f.detector == "mrz"}
    assert MRZ2 in spans


@pytest.mark.parametrize("text", [
    "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<br>",
    "std::cout << x << std::endl;<br>EOF<<br>",
])
def test_mrz_br_fillers_alone_stay_public(text):
    assert "mrz" not in {f.detector for f in tag(text).findings}


@pytest.mark.parametrize("text", [
    "Don&#39;t forget: the meeting&#39;s in room 4521 at 10, it&#39;s the one by the kitchen.",
    "Use List&lt;String&gt; or Map&lt;K, V&gt; in Java; std::cout &lt;&lt; x &lt;&lt; std::endl;",
    "cat &lt;&lt;EOF &gt; out.txt\nhello\nEOF",
    "Tom%27s guide: 10 tips for driver%27s ed (lesson 4, 2024)",
    "It\\u0027s fine, the driver\\u0027s seat was adjusted to position 12.",
])
def test_escaped_apostrophes_and_angle_brackets_stay_public(text):
    assert tag(text).tier == "public", tag(text)


@pytest.mark.parametrize("text", [
    "driver&#39;s license " * 5000,
    "&lt;" * 25000,
    "A&lt;B" * 20000,
    "it&#39;s " * 12000,
])
def test_decode_adversarial_escapes_are_bounded(text):
    text = text[:100_000]
    t = time.process_time()
    tag(text)  # may fail closed (decode cap): only the time is bounded here
    assert time.process_time() - t < 0.5
