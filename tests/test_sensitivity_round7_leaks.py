"""Regressions from round 7: all-capitals spelled-out addresses, a bare "at" with plain dots
after a mail word, codenames with a version digit in capitals, and SSN findings reported once."""

from __future__ import annotations

import random
import time

import pytest

from hrouter.policy_model import CustomRule, SensitivityConfig
from hrouter.signals import sensitivity as sens
from hrouter.signals.sensitivity import tag_sensitivity

CODENAME = SensitivityConfig(custom=(CustomRule(name="codename", tier="internal", keywords=("BLUEHERON",)),))


def tag(text: str, config: SensitivityConfig | None = None):
    return tag_sensitivity(text, config or SensitivityConfig())


def spans(res, detector: str, text: str) -> list[str]:
    out = []
    for f in res.findings:
        if f.detector == detector:
            assert 0 <= f.start < f.end <= len(text)
            out.append(text[f.start:f.end])
    return out


# ---- 1. all-capitals spelled-out addresses

@pytest.mark.parametrize("text,value,masked", [
    ("Contact JANE AT GMAIL DOT COM for the files", "JANE AT GMAIL DOT COM", "J***@G***.com"),
    ("email: JSMITH AT YAHOO DOT COM", "JSMITH AT YAHOO DOT COM", "J***@Y***.com"),
    ("JANE AT GMAIL DOT COM", "JANE AT GMAIL DOT COM", "J***@G***.com"),           # a free-mail domain
    ("EMAIL: JSMITH AT ACME DOT COM", "JSMITH AT ACME DOT COM", "J***@A***.com"),   # a mail word before
    ("EMAIL: JSMITH AT YAHOO.COM", "JSMITH AT YAHOO.COM", "J***@Y***.com"),
    ("PLEASE WRITE TO MARTA AT ACME DOT ES", "MARTA AT ACME DOT ES", "M***@A***.es"),
    ("CORREO: MARTA AT EMPRESA DOT ES", "MARTA AT EMPRESA DOT ES", "M***@E***.es"),
])
def test_all_capitals_spelled_out_address_with_a_sign_counts(text, value, masked):
    res = tag(text)
    assert res.tier == "confidential", res
    assert spans(res, "email", text) == [value]
    f = next(f for f in res.findings if f.detector == "email")
    assert f.verdict == "obfuscated"
    assert f.masked == masked
    assert "JSMITH" not in f.masked and "GMAIL" not in f.masked


@pytest.mark.parametrize("text", [
    "LOOK AT THE DOT COM BUBBLE",
    "LOOK AT GMAIL DOT COM",            # a verb before AT
    "WE WORKED AT YAHOO DOT COM",
    "WE WORKED AT ACME DOT COM",
    "MEET ME AT AMAZON DOT COM",
    "CONTACT US AT ACME DOT COM",        # a pronoun: the site, not a mailbox
    "THE MAIL ROOM IS AT ACME DOT COM",
    "THE STORE AT ACME DOT COM IS OPEN",  # no free-mail domain, no mail word right before
])
def test_shouted_prose_stays_public(text):
    res = tag(text)
    assert res.tier == "public", res.findings


# ---- 2. a bare lower-case "at" with plain dots after a mail word

@pytest.mark.parametrize("text,value", [
    ("reach sergi at calcurco.org", "sergi at calcurco.org"),
    ("my email is sergi at calcurco.org", "sergi at calcurco.org"),
    ("E-Mail: sergi at calcurco.org", "sergi at calcurco.org"),
    ("my e-mail address is: sergi at calcurco.org", "sergi at calcurco.org"),
    ("write to sergi at calcurco.org for the dataset", "sergi at calcurco.org"),
    ("contact sergi at mail.calcurco.org", "sergi at mail.calcurco.org"),
    ("mail me at sergi at calcurco.org", "sergi at calcurco.org"),
    ("For access, email jdoe at uni-bonn.de.", "jdoe at uni-bonn.de"),
    ("email support at python.org", "support at python.org"),   # a role address
])
def test_bare_at_with_plain_dots_after_a_mail_word_counts(text, value):
    res = tag(text)
    assert res.tier == "confidential", res
    assert spans(res, "email", text) == [value]
    f = next(f for f in res.findings if f.detector == "email")
    assert f.verdict == "obfuscated"
    assert "sergi" not in f.masked and "calcurco" not in f.masked


@pytest.mark.parametrize("text", [
    "I worked at acme.org",
    "look at python.org",
    "he is at example.org",
    "he is at acme.org",
    "my email is sergi at example.org",          # a documentation domain
    "Please reach out to the team at acme.org",  # the mail word is not right before
    "email me at calcurco.org",                  # "me at <site>": no local part
    "contact us at calcurco.org",
    "the mail server at python.org",             # a bare "mail" before a noun
    "the email is sent at python.org",
    "we send emails at scale.com",
    "Reach the summit at 8848 m. Contact the guide at base camp.",
    "Enable e-mail notifications at github.com/settings",  # a noun after the mail word
    "the contact person at acme.com",
    "contact form at acme.com",
    "reach customers at scale.com",
    "write to disk at file.txt",                  # no mail TLD
    "EMAIL NOTIFICATIONS AT ACME DOT COM",
])
def test_at_in_ordinary_sentences_with_domains_stays_public(text):
    res = tag(text)
    assert res.tier == "public", res.findings


# ---- 3. codenames with a version digit

@pytest.mark.parametrize("text,value", [
    ("deploy BLUEHERON2 tonight", "BLUEHERON"),
    ("BLUEHERON_2", "BLUEHERON"),
    ("BLUEHERON-2", "BLUEHERON"),
    ("BlueHeron2 is late", "BlueHeron"),
    ("blueheron-v2 rollout", "blueheron"),
    ("blueheronv2 rollout", "blueheron"),
    ("BLUEHERONV3 build", "BLUEHERON"),
    ("BLUEHERON2025 plan", "BLUEHERON"),
])
def test_codename_with_a_version_digit_counts(text, value):
    res = tag(text, CODENAME)
    assert res.tier == "internal", res
    assert spans(res, "codename", text) == [value]


@pytest.mark.parametrize("text", [
    "BLUEHERONIAN", "the BLUEHERONIAN era", "blueheronx", "xBLUEHERON2", "BLUEHERONVALE", "myblueheron2",
    "blue heron v2",
])
def test_words_that_start_with_a_codename_stay_public(text):
    assert tag(text, CODENAME).tier == "public"


# ---- 4. SSN: each span once

def test_dense_ssn_text_reports_each_value_once():
    text = "SSN: 536-22-1947, social security 536-22-1947\n" * 2000
    hits = list(sens.detect_ssn(text))
    assert len(hits) == 4000
    assert len({(h[0], h[1]) for h in hits}) == 4000
    assert all(text[h[0]:h[1]] == "536-22-1947" for h in hits)
    assert {h[4] for h in hits} == {"SSN", "social security"}  # the richer hit: with its context word
    res = tag(text[:47 * 3])
    assert [f.context for f in res.findings] == ["SSN", "social security"] * 3


@pytest.mark.parametrize("text,want", [
    ("SSN: 536-22-1947", [(5, 16, "ssn area valid", "SSN")]),
    ("SSN / social security number 536-22-1947", [(29, 40, "ssn area valid", "social security number")]),
    ("ssn ssn ssn ssn 536-22-1947", [(16, 27, "ssn area valid", "ssn")]),
    ("SSN ITIN 912-70-1234", [(9, 20, "itin valid (stdnum.us.itin)", "ITIN")]),
    ("ITIN SSN 912-70-1234", [(9, 20, "itin valid (stdnum.us.itin)", "ITIN")]),  # an ITIN word further back
    ("SSN 536221947 and ITIN 912701234 SSN", [(4, 13, "ssn area valid", "SSN"),
                                              (23, 32, "itin valid (stdnum.us.itin)", "ITIN")]),
    ("536221947 (SSN)", [(0, 9, "ssn area valid", "SSN")]),
    ("SSN 912-70-1234", []),  # a 9xx number without the word ITIN: an invalid SSN
])
def test_ssn_hits_are_unique_with_their_context(text, want):
    got = [(h[0], h[1], h[3], h[4]) for h in sens.detect_ssn(text)]
    assert got == want


def _reference_ssn_spans(text: str) -> set[tuple[int, int]]:
    """The spans of the plain form: a separate scan after each context word, as before round 7."""
    P = sens._P
    out = set()

    def add(digits, s, e, word):
        if sens._ssn_valid(digits):
            if not (digits in sens._SSN_DUMMIES and P.ssn_doc.search(text, max(0, s - 80), e + 80)):
                out.add((s, e))
        elif word[:4].lower() == "itin" and sens._itin_valid(digits):
            out.add((s, e))

    for m in P.ssn.finditer(text):
        if not sens._joined_run(text, m.start(), m.end(), m.group(3), m.group(5)):
            add(m.group(1) + m.group(2) + m.group(4) + m.group(6), m.start(), m.end(), "")
    for c in P.ssn_ctx.finditer(text):
        word = c.group()
        for m in sens._scan(P.ssn_loose, text, [(c.end(), c.end() + 128)]):
            if m.start() > c.end() + 48:
                break
            digits = P.non_digits.sub("", m.group())
            if len(digits) == 9:
                add(digits, m.start(), m.end(), word)
        for m in sens._scan(P.bare9, text, [(max(0, c.start() - 24), c.start())]):
            add(m.group(), m.start(), m.end(), word)
    return out


def test_shared_context_scan_finds_what_a_scan_per_context_word_finds():
    rng = random.Random(7)
    pieces = ["SSN", "ssn", "ITIN", "itin", "social security", "soc sec", "S.S.N.", " ", " ", "  ", "\n", "-", ".",
              ":", ", ", "536", "22", "1947", "912", "70", "1234", "536221947", "912701234", "5", "36", "2", "19",
              "47", "x", "and", "#", "123456789", "dummy"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 40)))
        got = [(h[0], h[1]) for h in sens.detect_ssn(text)]
        assert len(got) == len(set(got)), text
        assert set(got) == _reference_ssn_spans(text), text


@pytest.mark.parametrize("text", [
    "The social security system was reformed in 1983; see page 536 of the 2019 report.",
    "ssn = None  # the SSN column is dropped\n" * 50,
    "Order 536-22-19470 shipped on 2024-05-01 (part 1-536-22-1947).",
])
def test_ssn_free_text_stays_public(text):
    assert tag(text).tier == "public"
    assert list(sens.detect_ssn(text)) == []


# ---- adversarial sizes: bounded time

@pytest.mark.parametrize("text", [
    "email: " + "JANE AT GMAIL DOT " * 6000,
    "reach sergi at " * 7000,
    "contact a at b.c " * 6000,
    "SSN " * 25000,
    "SSN 536 22 1947 " * 6000,
    "BLUEHERON2" * 10000,
])
def test_long_adversarial_inputs_are_fast(text):
    t = time.process_time()
    tag(text, CODENAME)
    assert time.process_time() - t < 0.5


def test_ssn_shape_windows_find_what_the_plain_scan_finds():
    rng = random.Random(5)
    saved = sens._ASCII_DIGITS[0]
    pieces = ["536", "22", "1947", "5", "12", "1234", "-", " ", "  ", ".", " - ", "\n", "\t", "/", "(", ")", "+",
              "A", "x", "0", "00", "000", "0000", "-\n  ", ",", "\u00e9", "   ", "-\n\t\t\t\t\t\t\t\t"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30)))
        sens._ASCII_DIGITS[0] = text if rng.random() < 0.5 else None  # the byte-shape path and the other
        want = [m.span() for m in sens._P.ssn.finditer(text)]
        got = [m.span() for m in sens._finditer(sens._P.ssn, text, sens._ssn_windows(text))]
        assert got == want, text
    sens._ASCII_DIGITS[0] = saved


@pytest.mark.parametrize("name,needles,before,after", [
    ("key_assign", sens._KEY_ASSIGN_NEEDLES, 16, 48),
    ("key_prose", sens._KEY_PROSE_NEEDLES, 48, 80),
])
def test_credential_label_windows_find_what_a_full_scan_finds(name, needles, before, after):
    # the narrower windows (fewer needles, less before the needle) miss no label: each label holds
    # one of its needles at most 14 characters after its start
    rng = random.Random(3)
    pieces = ["password", "Passwort", "pwd", "pw", "secret", "client_secret", "SECRET_ACCESS_KEY", "api-key", "apikey",
              "shared_access_key", "pre-shared key", "token", "credentials", "mot de passe", "mot_de_passe",
              "contraseña", "senha", "hasło", "psk", "kennwort", "wachtwoord", "пароль", "şifre", "lösenord",
              "salasana", "parola", " is ", " for the db ", " was: ", " = ", ":", "=", " ", "\n", '"', "'", "x",
              "hunter2", "Authorization", "login", "curl", "bearer", "DSN", "my"]
    full = getattr(sens._P, name)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 30)))
        want = [m.span() for m in full.finditer(text)]
        got = [m.span() for m in sens._ci_scan(name, text, sens._lower_windows(text, needles, before, after))]
        old = [m.span() for m in sens._ci_scan(name, text, sens._lower_windows(text, sens._KEY_WORDS, 48, 48))]
        assert got == want == old, text
