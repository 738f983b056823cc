"""Evasions of the email, internal-hostname and custom-keyword rules: spelled-out and defanged
addresses, defanged hosts and underscore labels, codenames inside camelCase identifiers, and
Latin small capitals (plus the letters TR39 maps to them) in the confusable fold."""

from __future__ import annotations

import time

import pytest

import hrouter.signals.sensitivity as S
from hrouter.policy_model import CustomRule, SensitivityConfig
from hrouter.signals import confusables
from hrouter.signals.sensitivity import tag_sensitivity

CFG = SensitivityConfig(custom=(CustomRule(name="codename", tier="internal", keywords=("BLUEHERON", "Project Nimbus")),),
                        internal_domains=(".corp", ".internal"))


def tag(text: str, cfg: SensitivityConfig = CFG):
    res = tag_sensitivity(text, cfg)
    assert not res.errors, res.errors
    for f in res.findings:
        assert 0 <= f.start < f.end <= len(text)
    return res


def found(res, detector: str) -> list[tuple[int, int]]:
    return [(f.start, f.end) for f in res.findings if f.detector == detector]


# ---- spelled-out / defanged email addresses

@pytest.mark.parametrize("addr, masked", [
    ("jane (at) gmail (dot) com", "j***@g***.com"),
    ("jane[at]gmail[dot]com", "j***@g***.com"),
    ("jane {at} gmail {dot} com", "j***@g***.com"),
    ("jane <at> gmail <dot> com", "j***@g***.com"),
    ("jane [ at ] gmail [ dot ] com", "j***@g***.com"),
    ("jane(AT)gmail(DOT)com", "j***@g***.com"),
    ("jane AT gmail DOT com", "j***@g***.com"),
    ("jane AT gmail.com", "j***@g***.com"),
    ("jane.doe[@]gmail.com", "j***@g***.com"),
    ("jane.doe(@)gmail.com", "j***@g***.com"),
    ("jane.doe @ gmail . com", "j***@g***.com"),
    ("jane@ gmail.com", "j***@g***.com"),
    ("jane@ acme.com", "j***@a***.com"),  # the @ on the local part, a blank after it
    ("jane@gmail[dot]com", "j***@g***.com"),
    ("jane@gmail[.]com", "j***@g***.com"),
    ("jane@gmail dot com", "j***@g***.com"),
    ("jane at gmail dot com", "j***@g***.com"),  # a free-mail domain
    ("j.doe at acme dot com", "j***@a***.com"),  # a handle-like local part
    ("jdoe42 at acme dot co dot uk", "j***@a***.uk"),
    ("jane [dot] doe [at] acme [dot] io", "j***@a***.io"),
    ("jane (at) acme (dot) engineering", "j***@a***.engineering"),  # bracketed: any TLD
    ("jane at acme[dot]com", "j***@a***.com"),
    ("jane.doe[@]gmail[.]com", "j***@g***.com"),
    ("jane [at] mail [dot] acme [dot] de", "j***@m***.de"),
])
def test_obfuscated_address_is_an_email_finding(addr, masked):
    text = f"ping {addr} before Friday"  # no mail word nearby
    res = tag(text)
    assert res.tier == "confidential"
    (s, e), = found(res, "email")
    assert text[s:e] == addr
    f = next(f for f in res.findings if f.detector == "email")
    assert f.masked == masked and f.verdict == "obfuscated"
    assert "jane" not in f.masked and "gmail" not in f.masked and "acme" not in f.masked


@pytest.mark.parametrize("text, addr", [
    ("Andras Timar <timar at gnome dot hu>", "timar at gnome dot hu"),
    ("Markus Teich (markus dot teich at stusta dot mhn dot de)", "markus dot teich at stusta dot mhn dot de"),
    ('__author__ = "mbland at acm dot org"', "mbland at acm dot org"),
])
def test_delimiters_around_exactly_the_address(text, addr):
    (s, e), = found(tag(text), "email")
    assert text[s:e] == addr


def test_mail_word_before_a_lower_case_spelled_out_address():
    res = tag("Email me: jane at acme dot com")
    assert found(res, "email") == [(10, 30)]
    assert tag("jane at acme dot com").tier == "public"  # no sign of an address: could be prose
    assert found(tag("mail me: jane at acme[.]com"), "email") == [(9, 27)]


@pytest.mark.parametrize("text", ["malware hosted at evil[.]com", "beacons to update at cdn[.]badsite[.]com",
                                  "Payload AT evil[.]com", "payload at hxxp://evil[.]com/x"])
def test_defanged_hosts_in_a_threat_report_are_not_addresses(text):
    assert found(tag(text), "email") == []


def test_spelled_out_address_without_any_at_sign_runs_the_detector():
    # the email detector is skipped for text without "@" unless a spelled-out at may be there
    assert S._features("jane[at]gmail[dot]com") == {"@"}
    assert S._features("jane AT gmail DOT com") == {"@"}
    assert S._features("no numbers here, nothing at all") == set()


def test_plain_address_keeps_its_verdict_and_is_not_doubled():
    res = tag("mail jane.doe@gmail.com or jane[at]gmail[dot]com")
    got = sorted((f.start, f.end, f.verdict) for f in res.findings if f.detector == "email")
    assert got == [(5, 23, ""), (27, 48, "obfuscated")]


def test_redaction_replaces_the_whole_spelled_out_address():
    from hrouter.redact import redact

    text = "write to jane (at) gmail (dot) com or jane.doe@gmail.com today"
    red = redact(text, tag(text).findings, ("email",))
    assert red.text == "write to [EMAIL_1] or [EMAIL_2] today"
    assert red.mapping["[EMAIL_1]"] == "jane (at) gmail (dot) com"
    assert tag(red.text).tier == "public"


@pytest.mark.parametrize("text", [
    "look at the dot com era",
    "LOOK AT THE DOT COM ERA",
    "Remember the dot com bubble? Stocks at the dot com peak were absurd.",
    "I worked at acme dot com for years",
    "look at amazon.com for prices",
    "sign up at gmail.com",
    "sign up at gmail.com",  # a bare lower-case at with plain dots: a handle or a mail word needed
    "Find us AT amazon.com",
    "follow us @ twitter.com",
    "sold @ amazon.com today",
    "jane @ acme.com",  # blanks on both sides, plain dots, no sign of an address
    "(worked at the dot com)",
    "malware hosted at evil[.]com",
    "y = x @ self.weight",
    "out = q @ k.transpose(-2, -1)",
    "meet me at home. Then call",
    "f(at) = 3 at t.x",
    "see [at](https://docs.python.org) for details",
    "the <at>Jane Doe</at> mention markup",
    "a[at]example[dot]com",  # documentation domain
    "user (at) example (dot) org",
    "noreply [at] github [dot] com",
    "x [at] y [dot] test",
    # (round 7: "JANE AT GMAIL DOT COM" was pinned here as a documented limit; an all-capitals
    # address with a free-mail domain or a mail word before now counts, see
    # test_sensitivity_round7_leaks.py. Shouted prose with a verb before AT stays public:)
    "LOOK AT GMAIL DOT COM",
    "the price is 5 AT 3.50 DOT",
])
def test_prose_and_code_that_looks_like_a_spelled_out_address_stay_public(text):
    res = tag(text)
    assert found(res, "email") == [], res.findings
    assert res.tier == "public"


# ---- defanged hosts and underscore labels

@pytest.mark.parametrize("host, masked", [
    ("db01[.]corp", "d***.corp"),
    ("db01(.)corp", "d***.corp"),
    ("db01{.}corp", "d***.corp"),
    ("db01[dot]corp", "d***.corp"),
    ("DB01[DOT]CORP", "D***.corp"),
    ("api[.]eu-west[.]internal", "a***.internal"),
    ("_ldap._tcp.dc01.corp", "_***.corp"),
    ("_dmarc.mail.corp", "_***.corp"),
    ("_sip._udp.pbx[.]corp", "_***.corp"),
    ("a[.]corp", "*.corp"),  # one-character label: nothing shown
])
def test_defanged_and_underscore_hosts(host, masked):
    text = f"connect to {host} now"
    res = tag(text)
    assert res.tier == "internal"
    (s, e), = found(res, "internal_hostname")
    assert text[s:e] == host
    assert next(f.masked for f in res.findings if f.detector == "internal_hostname") == masked


def test_defanged_url():
    text = "see hxxps://wiki[.]internal/page for the runbook"
    (s, e), = found(tag(text), "internal_hostname")
    assert text[s:e] == "wiki[.]internal"


def test_defanged_host_with_a_look_alike_suffix():
    text = "db01[.]c\u043erp is down"  # Cyrillic small o
    (s, e), = found(tag(text), "internal_hostname")
    assert text[s:e] == "db01[.]c\u043erp"


@pytest.mark.parametrize("text", [
    "the [.]corp suffix", "db01[.]corporate", "db01[.]corp[.]com", "db01.corp.com", "x.corp_y",
    "my_var.corporate", "self._client.internals", "a [.] corp", "use (dot) notation for corp",
    # an underscore outside a service name's leading labels makes an identifier, not a host
    "from libcst._nodes.internal import Module", "my_host.internal", "file_srv.corp", "_private.internal",
])
def test_not_a_host_under_the_suffix(text):
    assert found(tag(text), "internal_hostname") == []


def test_hostname_scan_without_a_defanged_dot_looks_for_the_plain_suffix_only(monkeypatch):
    seen = []
    real = S._windows

    def spy(text, hay, needles, before, after):
        seen.append(tuple(needles))
        return real(text, hay, needles, before, after)

    monkeypatch.setattr(S, "_windows", spy)
    S.detect_internal_hostnames("ssh db01.corp", (".corp",))
    S.detect_internal_hostnames("ssh db01[.]corp", (".corp",))
    assert seen == [(".corp",), (".corp", "]corp", ")corp", "}corp")]


# ---- codenames in identifiers

@pytest.mark.parametrize("text, word", [
    ("class BlueHeronService:", "BlueHeron"),
    ("cfg = getBlueHeronConfig()", "BlueHeron"),
    ("BLUEHERON_API = 1", "BLUEHERON"),
    ("run blueheron-service", "blueheron"),
    ("run blueheron_service", "blueheron"),
    ("BLUEHERONService.start()", "BLUEHERON"),
    ("XMLBlueHeronParser", "BlueHeron"),
    ("blueheronAPI", "blueheron"),
    ("ProjectNimbus", "ProjectNimbus"),
    ("new projectNimbusClient()", "projectNimbus"),
    ("BLUEHERONS", "BLUEHERONS"),  # the plural counts (module docstring)
    ("BlueHeronsClient", "BlueHerons"),
])
def test_codename_inside_an_identifier(text, word):
    res = tag(text)
    assert res.tier == "internal"
    (s, e), = found(res, "codename")
    assert text[s:e] == word


@pytest.mark.parametrize("text", [
    "myblueheronthing", "BLUEHERONSERVICE", "xBLUEHERON", "Blueheronthing", "cumulonimbus project",
    "myprojectnimbus",
])
def test_no_word_boundary_no_codename(text):
    assert tag(text).tier == "public"


@pytest.mark.parametrize("text,word", [
    ("projectnimbus", "projectnimbus"), ("PROJECTNIMBUS", "PROJECTNIMBUS"),
    ("git clone git@github.com:acme/projectnimbus.git", "projectnimbus"),
])
def test_a_multi_word_codename_written_as_one_word(text, word):
    """Red-team round 6: the words of a multi-word keyword joined with nothing between them
    (a repository or file name) are still the codename; its ends still need a boundary."""
    res = tag(text)
    assert res.tier == "internal"
    (s, e), = found(res, "codename")
    assert text[s:e] == word


def test_codename_with_a_look_alike_inside_an_identifier():
    text = "getBlue\u041deronConfig()"  # Cyrillic capital EN
    (s, e), = found(tag(text), "codename")
    assert text[s:e] == "Blue\u041deron"
    assert tag("myblue\u043deronthing").tier == "public"


# ---- small capitals and the letters TR39 maps to them

@pytest.mark.parametrize("word", [
    "\u0299\u029f\u1d1c\u1d07\u029c\u1d07\u0280\u1d0f\u0274",  # ʙʟᴜᴇʜᴇʀᴏɴ
    "blue\u043deron",  # Cyrillic small en (TR39: small capital H)
    "\u0432lueheron",  # Cyrillic small ve (TR39: small capital B)
    "BLUE\u029cERON",
    "\u1d18\u0280\u1d0f\u1d0a\u1d07\u1d04\u1d1b \u0274\u026a\u1d0d\u0299\u1d1cs",  # ᴘʀᴏᴊᴇᴄᴛ ɴɪᴍʙᴜs
])
def test_small_capitals_spell_the_codename(word):
    text = f"status of {word} today"
    res = tag(text)
    assert res.tier == "internal"
    (s, e), = found(res, "codename")
    assert text[s:e] == word


def test_small_capital_host_suffix():
    text = "ssh db01.\u1d04\u1d0f\u0280\u1d18 now"  # ᴄᴏʀᴘ
    (s, e), = found(tag(text), "internal_hostname")
    assert text[s:e] == "db01.\u1d04\u1d0f\u0280\u1d18"


def test_small_capital_supplement_in_the_table():
    fold = confusables.FOLD
    for ch, to in zip("\u0299\u029c\u026a\u029f\u0274\u0280\u028f\u1d00\u1d05\u1d07\u1d0a\u1d0b\u1d0d\u1d18\u1d1b"
                      "\ua730\ua731\ua7af\u0262",
                      "bhilnryadejkmptfsqg"):
        assert fold[ch] == to, ch
    # letters TR39 maps to a small capital's prototype: Cyrillic en, ve, te, ka, em; Greek tau, kappa
    for ch, to in zip("\u043d\u0432\u0442\u043a\u043c\u03c4\u03ba", "hbtkmtk"):
        assert fold[ch] == to, ch
    assert "small capital" in confusables.SUPPLEMENT.lower()
    assert confusables.fold("\u0299\u029fue\u041d", lower=False) == "blueH"  # the case is kept
    assert confusables.fold("\u0299\u029fue\u041d") == "blueh"


def test_generator_supplement_is_separate_from_the_tr39_data():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "bench" / "gen_confusables.py"
    spec = importlib.util.spec_from_file_location("gen_confusables", path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    sample = ("# Version: 99.0.0\n# Date: 2099-01-01\n"
              "043D ;\t029C ;\tMA\t# ( н → ʜ ) CYRILLIC SMALL LETTER EN\n"
              "0406 ;\t006C ;\tMA\t# ( І → l )\n0049 ;\t006C ;\tMA\t# ( I → l )\n"
              "0031 ;\t006C ;\tMA\t# ( 1 → l )\n01C0 ;\t006C ;\tMA\t# ( ǀ → l )\n").encode()
    proto, _ = gen.parse(sample)
    assert "\u043d" not in gen.build(proto)[0]  # TR39 alone: н is not h
    letters = gen.small_capitals()
    assert letters["\u029c"] == "h" and letters["\u1d00"] == "a" and letters["\ua7ae"] == "i"
    fold, _ = gen.build(proto, letters)
    assert fold["\u043d"] == "h" and fold["\u029c"] == "h" and fold["\u0299"] == "b"


@pytest.mark.parametrize("text", [
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043a\u0430\u043a \u0434\u0435\u043b\u0430? "
    "\u042d\u0442\u043e \u0442\u0435\u0441\u0442\u043e\u0432\u044b\u0439 \u0442\u0435\u043a\u0441\u0442.",
    "\u0434. 5, \u043a\u043e\u0440\u043f. 2",  # Russian "building 2"
    "\u0432\u0441\u0435 \u043c\u044b \u0442\u0443\u0442",
])
def test_russian_prose_stays_public(text):
    assert tag(text).tier == "public"


# ---- adversarial inputs stay fast

@pytest.mark.parametrize("shape", [
    "a[at]", "x (at) y (dot) ", "jane [at] gmail [dot] com ", " dot ", "a dot ", "@ ", " AT ", "a AT b DOT ",
    "[.]corp ", "a[.]", "_a.", "_a", "BlueHeron", "aB", "ProjectNimbusProject", "a@b[dot]", "a.a.a.a@", "@a ",
    "a @ a . ", "jane.doe[@]", "(.)", "\u0299\u029f\u1d1c\u1d07", "\u043d\u0432", "look at the dot com era ",
    "jane at gmail dot com ", "[ at ] ", "a" * 70 + " [at] ", "a" * 300 + "[dot]", "_" * 300 + ".corp ",
])
def test_adversarial_shapes_stay_fast(shape):
    text = (shape * (100_000 // len(shape) + 1))[:100_000]
    tag_sensitivity(text, CFG)  # compile patterns outside the timing
    t0 = time.process_time()
    res = tag_sensitivity(text, CFG)
    assert time.process_time() - t0 < 0.5, shape
    assert not res.errors



@pytest.mark.parametrize("text", ["jane.doe at gmail.com", "hans.mueller at web.de", "jdoe42 at gmail.com"])
def test_a_handle_at_a_free_mail_domain_is_an_address(text):
    """Red-team round 6: a handle (dot, underscore, digits) "at" a free-mail domain with a
    plain dot is how people write their address to dodge scrapers."""
    res = tag(text)
    assert res.tier == "confidential" and [f.detector for f in res.findings] == ["email"]
