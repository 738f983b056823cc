"""Custom keywords and internal host suffixes spelled with look-alike letters of other scripts
(Unicode TR39 confusables: Cyrillic, Greek, Armenian, Cherokee, ...) still match; genuine prose
in those scripts does not."""

from __future__ import annotations

import base64
import random
import unicodedata

import pytest

from hrouter.policy_model import CustomRule, SensitivityConfig
from hrouter.signals import confusables
from hrouter.signals import sensitivity as S
from hrouter.signals.sensitivity import tag_sensitivity

CFG = SensitivityConfig(
    custom=(CustomRule(name="codename", tier="internal",
                       keywords=("BLUEHERON", "Project Nimbus", "Müller-Projekt", "Буря")),),
    internal_domains=(".corp", ".internal"),
)


def tag(text: str, cfg: SensitivityConfig = CFG):
    res = tag_sensitivity(text, cfg)
    assert not res.errors
    return res


def spans(res, detector: str = "codename") -> list[tuple[int, int]]:
    return [(f.start, f.end) for f in res.findings if f.detector == detector]


# ---- the codename with look-alikes: internal, the span on the disguised word

@pytest.mark.parametrize("word", [
    "BLUE\u041dERON",  # Cyrillic capital EN for H
    "BLU\u0415H\u0415RON",  # Cyrillic capital IE for E
    "\u0392LU\u0395\u0397\u0395R\u039f\u039d",  # Greek capitals: Beta, Epsilon, Eta, Omicron, Nu
    "BLUEHER\u039fN",  # Greek capital Omicron for O
    "BLUEHER\u041eN",  # Cyrillic capital O
    "B\u0406UEHERON",  # Cyrillic capital I (looks like l/I) for L
    "b\u04c0ueheron",  # Cyrillic palochka for l
    "BLUEHER\u0555N",  # Armenian capital OH
    "\u13f4LU\u13ac\u13bb\u13acRON",  # Cherokee BE, E, MI (B, E, H)
    "BLUEHERO\u0578",  # Armenian small VO for n
    # mixed case, as the keyword matches case-insensitively
    "Blue\u041deron",
    "blu\u0435h\u0435ron",  # Cyrillic small ie
    "\u0392lueher\u03bfn",  # Greek capital Beta, small omicron
    "bluehe\u0433on",  # Cyrillic small ghe for r
])
def test_disguised_codename_is_internal(word):
    text = f"Status update: the {word} rollout slips to May."
    res = tag(text)
    assert res.tier == "internal"
    start = text.index(word)
    assert spans(res) == [(start, start + len(word))]
    assert res.findings[0].masked == f"{word[0]}…({len(word)} chars)"


@pytest.mark.parametrize("phrase", [
    "Pr\u043eject Nimbus",  # Cyrillic small o
    "Project \u039dimbus",  # Greek capital Nu
    "PR\u039f\u0408ECT NIMBUS",  # Greek Omicron, Cyrillic Je
    "pr\u043eject-nimbu\u0455",  # separator and Cyrillic dze for s
    "Pr\u043eject  Nimbus\u0455",  # plural with a Cyrillic s
])
def test_disguised_multi_word_keyword(phrase):
    text = f"Draft for {phrase} (do not share)"
    res = tag(text)
    assert res.tier == "internal"
    start = text.index(phrase)
    assert spans(res) == [(start, start + len(phrase))]


def test_plural_and_whole_word_rules_hold_on_the_fold():
    assert spans(tag("BLUE\u041dERONs everywhere")) == [(0, 10)]
    assert tag("xBLUE\u041dERON and BLUE\u041dERONX and BLUE\u041dERON_").tier == "internal"
    assert spans(tag("xBLUE\u041dERON and BLUE\u041dERONX")) == []
    assert spans(tag("com.acme.blue\u041deron.sync")) == [(9, 18)]


def test_zero_width_characters_inside_the_disguised_word():
    for text in ("BLUE\u200b\u041dERON", "B\u200dLU\u0415HERON", "\u2060\u0392LUEHER\u200cON\u00ad"):
        res = tag(f"see {text} now")
        assert res.tier == "internal", text
        (s, e), = spans(res)
        core = text.strip("\u2060\u00ad")
        assert (s, e) == (4 + text.index(core), 4 + text.index(core) + len(core))


def test_offsets_after_expanding_normalisation():
    text = "\ufb01x the \u2474 BLUE\u041dERON"  # the ligature and (1) expand under NFKC
    (s, e), = spans(tag(text))
    assert text[s:e] == "BLUE\u041dERON"


def test_ascii_look_alikes_are_not_folded_into_each_other():
    # the fold only maps non-ASCII characters: an ASCII digit is not a letter
    for word in ("B1UEHERON", "BLUEHER0N", "BIUEHERON", "8LUEHERON"):
        assert tag(f"\u041f\u0440\u0438\u0432\u0435\u0442 {word}").tier == "public", word
        assert tag(f"Hello {word}").tier == "public", word


def test_lower_case_small_capital_forms_fold_through_the_small_capital_supplement():
    # Cyrillic small en looks like a small capital H (TR39 maps it to U+029C, not to h); the
    # supplement reads small capitals as their letters, so it folds to h (confusables module)
    assert tag("blue\u043deron").tier == "internal"


def test_a_base64_run_with_a_disguised_codename():
    blob = base64.b64encode("the BLUE\u041dERON plan is ready for review".encode()).decode()
    res = tag("decode: " + blob)
    assert res.tier == "internal"
    assert any(f.detector.startswith("codename") for f in res.findings)


# ---- keywords with non-ASCII characters of their own

def test_non_ascii_keyword_still_matches():
    for text in ("Müller-Projekt", "M\u00dcLLER-PROJEKT", "m\u00fcller-projekt",
                 "\u041c\u00fcller-Projekt",  # Cyrillic capital EM
                 "M\u00fcller-Pr\u043ejekt"):  # Cyrillic small o
        res = tag(f"Re: {text} budget")
        assert res.tier == "internal", text
        assert spans(res) == [(4, 4 + len(text))], text


def test_cyrillic_keyword_matches_in_either_script():
    assert spans(tag("\u0411\u0423\u0420\u042f")) == [(0, 4)]  # БУРЯ, the keyword in capitals
    assert spans(tag("\u0411yp\u044f")) == [(0, 4)]  # Latin y and p for у and р
    assert tag("\u0431\u0443\u0440\u044f\u0442").tier == "public"  # a longer word


def test_keyword_with_a_look_alike_matches_plain_ascii_text():
    cfg = SensitivityConfig(custom=(CustomRule(name="codename", tier="internal",
                                               keywords=("Pr\u043eject Nimbus",)),))
    assert spans(tag("Project Nimbus kickoff", cfg)) == [(0, 14)]
    assert spans(tag("project-nimbus", cfg)) == [(0, 14)]
    assert spans(tag("Pr\u043eject Nimbus", cfg)) == [(0, 14)]
    assert tag("Projects Nimbusy", cfg).tier == "public"


# ---- genuine prose in those scripts stays public

PROSE = [
    # Russian
    "Привет! Мы встретимся завтра в офисе, ул. Ленина, д. 5, корп. 2. "
    "ПРОЕКТ ГОТОВ, НЕРОН и АРХИВ тоже.",
    "В понедельник у нас совещание о новом проекте, а вечером — ужин в ресторане «Небо».",
    "Погода хорошая, небо голубое, на берегу реки стоит цапля.",
    # Ukrainian, Bulgarian, Serbian
    "Ціна проєкту зросла, але інженери впевнені: ВІН БУДЕ ГОТОВИЙ у травні.",
    "Срещата е в сряда, в офиса на улица Витоша.",
    "Ја сам инжењер и радим на пројекту у Београду.",
    # Greek
    "Καλημέρα! Το έργο προχωράει καλά και η ομάδα συναντιέται αύριο στο γραφείο.",
    "ΣΗΜΕΡΑ Η ΣΥΝΑΝΤΗΣΗ ΕΙΝΑΙ ΣΤΟ ΚΕΝΤΡΟ ΤΗΣ ΑΘΗΝΑΣ, ΚΟΝΤΑ ΣΤΟ ΜΟΥΣΕΙΟ.",
    # Armenian, Cherokee
    "Բարև ձեզ, այսօր եղանակը լավ է, և մենք կհանդիպենք գրասենյակում։",
    "ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ ᎠᏓᏅᏙ ᏗᏂᏲᏟ ᎤᎾᏕᎶᏆᏍᏗ.",
    # German, French with accents
    "Grüße aus München: wir treffen uns übermorgen im Büro zur Besprechung.",
]


@pytest.mark.parametrize("text", PROSE)
def test_genuine_prose_stays_public(text):
    assert tag(text).tier == "public"


# ---- a confidential finding is unaffected

def test_confidential_findings_unaffected():
    text = "Мой SSN 536-22-1947, проект BLUE\u041dERON, mail ivan.petrov@gmail.com"
    res = tag(text)
    assert res.tier == "confidential"
    got = {f.detector: text[f.start:f.end] for f in res.findings}
    assert got["ssn"] == "536-22-1947"
    assert got["email"] == "ivan.petrov@gmail.com"
    assert got["codename"] == "BLUE\u041dERON"


def test_plain_matches_are_not_duplicated():
    text = "\u041f\u0440\u0438\u0432\u0435\u0442 BLUEHERON and db.corp"
    res = tag(text)
    assert spans(res) == [(7, 16)]
    assert spans(res, "internal_hostname") == [(21, 28)]
    hits = S.detect_custom(text, CFG.custom[0])
    assert [(h[0], h[1]) for h in hits] == [(7, 16)]


# ---- internal hostnames

@pytest.mark.parametrize("host, suffix", [
    ("db.c\u043erp", "c\u043erp"),  # Cyrillic small o
    ("db.\u0421ORP", "\u0441orp"),  # Cyrillic capital ES (lower-cased in the mask)
    ("build-01.\u0399NTERNAL", "\u03b9nternal"),  # Greek capital Iota (lower-cased in the mask)
    ("b\u03c5ild-01.internal", "internal"),  # Greek upsilon in the label
    ("d\u042c.c\u043erp", "c\u043erp"),
])
def test_disguised_internal_hostname(host, suffix):
    text = f"ssh to {host} then restart"
    res = tag(text)
    assert res.tier == "internal"
    (s, e), = spans(res, "internal_hostname")
    assert text[s:e] == host
    masked = next(f.masked for f in res.findings if f.detector == "internal_hostname")
    assert masked.endswith("." + suffix)


def test_disguised_hostname_needs_a_label_and_a_boundary():
    assert tag("the .c\u043erp suffix").tier == "public"
    assert tag("db.c\u043erpora").tier == "public"
    assert tag("\u0434. 5, \u043a\u043e\u0440\u043f. 2").tier == "public"  # Russian "building 2"


def test_suffix_with_a_look_alike_in_the_policy():
    cfg = SensitivityConfig(internal_domains=(".c\u043erp",))
    assert spans(tag("ping db.corp", cfg), "internal_hostname") == [(5, 12)]


# ---- the table and the fold

def test_table_invariants():
    assert confusables.SOURCE.startswith("confusables.txt, Unicode Security Mechanisms for UTS #39, Version 13.0.0")
    stand_ins = confusables.STAND_INS
    assert stand_ins == {"\u01c0": "1il", "\u0b20": "0o"}
    for ch, target in confusables.FOLD.items():
        assert len(ch) == 1 and not ch.isascii()
        assert unicodedata.normalize("NFKC", ch) == ch  # the prompt is NFKC-folded first
        assert not ch.isdecimal()  # decimal digits become ASCII digits first
        assert unicodedata.category(ch)[0] in "LNS"
        assert target in stand_ins or (target.isascii() and target.isalnum() and target == target.lower())
    for s in stand_ins:
        assert confusables.FOLD[s] == s and s.lower() == s.upper() == s and s.isalpha()
    # the letters the brief names
    assert confusables.FOLD["\u041d"] == "h" and confusables.FOLD["\u043e"] == "o"
    assert confusables.FOLD["\u0395"] == "e" and confusables.FOLD["\u039f"] == "\u0b20"
    assert confusables.FOLD["\u043d"] == "h"  # Cyrillic small en: via the small capital H supplement


def test_fold_keeps_length_and_offsets():
    rng = random.Random(7)
    alphabet = list(confusables.FOLD) + list("abcXYZ019 .-\u0130\u00e4\u00df\u0436\u4e2d\U0001f600")
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        folded = confusables.fold(text)
        assert len(folded) == len(text)
        assert sorted(confusables.present(text)) == sorted(set(text) & set(confusables.FOLD))
        big = text * 200  # the long-text branch of present()
        assert sorted(confusables.present(big)) == sorted(set(text) & set(confusables.FOLD))


def test_literal_and_needles():
    assert confusables.literal_rx("blueheron") == "b[l\u01c0]ueher[o\u0b20]n"
    assert confusables.needles("blueheron") == (
        ("blueheron", "blueher\u0b20n", "b\u01c0ueheron", "b\u01c0ueher\u0b20n"), 0)
    assert confusables.needles("io") == (("io", "i\u0b20", "\u01c0o", "\u01c0\u0b20"), 0)
    found, at = confusables.needles("illinois")  # 2**6 spellings: the 16 of its longest part
    assert at == 2 and len(found) == 16 and "linois" in found and "\u01c0\u01c0n\u0b20\u01c0s" in found
    assert confusables.needles("") == ((), 0)


def test_ascii_text_skips_the_fold(monkeypatch):
    def boom(*a):
        raise AssertionError("folded an ASCII text")

    monkeypatch.setattr(S, "_confusable_keyword_hits", boom)
    monkeypatch.setattr(S, "_confusable_host_hits", boom)
    cfg = SensitivityConfig(custom=(CustomRule(name="codename", tier="internal",
                                               keywords=("BLUEHERON", "Project Nimbus")),),
                            internal_domains=(".corp", ".internal"))
    res = tag("BLUEHERON on build-01.corp, Project Nimbus", cfg)
    assert {f.detector for f in res.findings} == {"codename", "internal_hostname"}


def test_generator_builds_the_same_kind_of_table(tmp_path):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "bench" / "gen_confusables.py"
    spec = importlib.util.spec_from_file_location("gen_confusables", path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    sample = (
        "# Version: 99.0.0\n# Date: 2099-01-01\n"
        "041D ;\t0048 ;\tMA\t# ( Н → H ) CYRILLIC CAPITAL LETTER EN\n"
        "0406 ;\t006C ;\tMA\t# ( І → l )\n0049 ;\t006C ;\tMA\t# ( I → l )\n"
        "0031 ;\t006C ;\tMA\t# ( 1 → l )\n01C0 ;\t006C ;\tMA\t# ( ǀ → l )\n"
        "FF21 ;\t0041 ;\tMA\t# fullwidth A: NFKC folds it\n"
        "0661 ;\t006C ;\tMA\t# ARABIC-INDIC DIGIT ONE: a decimal digit\n"
        "00A1 ;\t0069 ;\tMA\t# inverted exclamation: punctuation\n"
    ).encode()
    proto, version = gen.parse(sample)
    assert version == "Version 99.0.0 (2099-01-01)"
    fold, stand_ins = gen.build(proto)
    assert fold == {"\u041d": "h", "\u0406": "\u01c0", "\u01c0": "\u01c0"}
    assert stand_ins == {"\u01c0": "1il"}


def _disguise(rng: random.Random, word: str) -> str:
    """``word`` with some letters swapped for random look-alikes (either case)."""
    by_target: dict[str, list[str]] = {}
    for ch, target in confusables.FOLD.items():
        for a in confusables.STAND_INS.get(target, target):
            by_target.setdefault(a, []).append(ch)
    out = []
    for ch in word:
        alts = by_target.get(ch.lower())
        out.append(rng.choice(alts) if alts and rng.random() < 0.4 else rng.choice((ch.lower(), ch.upper())))
    return "".join(out)


def test_window_scans_find_what_a_full_scan_finds():
    rng = random.Random(11)
    keywords = ("BLUEHERON", "Project Nimbus", "illinois", "io")
    suffixes = (".corp", ".internal", "acme.io")
    host_rx, _, _, _ = S._hostname_fold_rx(suffixes)
    kw_rx = S._keyword_fold_rx(keywords)[0]
    pieces = ["blueheron", "project nimbus", "project-nimbus", "illinois", "io", "db.corp", "x.internal",
              "build-7.acme.io", ".corp", "rp", "ueher", "gr", "\u0433\u0440\u0443\u043f\u043f\u0430", " ", " ",
              ".", "-", "_", "\u200b", "s", "x", "\u043d\u0435\u0442"]
    for _ in range(400):
        text = "".join(_disguise(rng, rng.choice(pieces)) for _ in range(rng.randrange(1, 25)))
        folded = "" if text.isascii() else S._confusable_fold(text)
        if not folded:
            continue  # no look-alike: the plain scan's case (the folded one adds nothing there)
        want = [m.span() for m in kw_rx.finditer(folded)]
        got = [(h[0], h[1]) for h in S._confusable_keyword_hits(text, keywords, [])]
        assert got == want, text
        want = [m.span() for m in host_rx.finditer(folded)]
        got = [(h[0], h[1]) for h in S._confusable_host_hits(text, suffixes, [])]
        assert got == want, text
