"""The identity-document and wallet detectors of :mod:`hrouter.signals.detectors.documents`:
``mrz`` (ICAO 9303 machine-readable zones), ``seed_phrase`` (BIP-39) and ``drivers_license``."""

from __future__ import annotations

import json
import time

import pytest

from hrouter.policy import REDACTABLE
from hrouter.policy_model import DEFAULT_DETECTORS, SensitivityConfig
from hrouter.signals import sensitivity as sens
from hrouter.signals.detectors import documents as docs
from hrouter.signals.sensitivity import tag_sensitivity


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


def found(text: str, detector: str):
    res = tag(text)
    hits = [f for f in res.findings if f.detector == detector]
    for f in hits:
        assert 0 <= f.start < f.end <= len(text)
    return res, hits


def assert_found(text: str, detector: str):
    res, hits = found(text, detector)
    assert res.tier == "confidential", res
    assert hits, res
    return hits


def assert_public(text: str):
    res = tag(text)
    assert res.tier == "public", res
    assert not res.errors


# --------------------------------------------------------------------------------------
# mrz: ICAO Doc 9303 specimens (parts 4-7) and generated zones

TD3 = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
       "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
TD1 = ("I<UTOD231458907<<<<<<<<<<<<<<<",
       "7408122F1204159UTO<<<<<<<<<<<6",
       "ERIKSSON<<ANNA<MARIA<<<<<<<<<<")
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
       "D231458907UTO7408122F1204159<<<<<<<6")
MRVA = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L8988901C4XXX4009078F96121096ZE184226B<<<<<<")
MRVB = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "L8988901C4XXX4009078F9612109<<<<<<<<")


def _td3(surname: str, given: str, number: str, nat: str, dob: str, sex: str, exp: str, opt: str = "") -> str:
    """A TD3 zone with correct check digits (computed independently of the detector)."""
    def cd(field: str) -> str:
        vals = {**{str(d): d for d in range(10)}, **{chr(65 + k): 10 + k for k in range(26)}, "<": 0}
        return str(sum(vals[c] * (7, 3, 1)[i % 3] for i, c in enumerate(field)) % 10)

    name = (surname + "<<" + given.replace(" ", "<")).ljust(39, "<")[:39]
    l1 = "P<" + nat + name
    number = number.ljust(9, "<")
    opt = opt.ljust(14, "<")
    body = number + cd(number) + nat + dob + cd(dob) + sex + exp + cd(exp) + opt + cd(opt)
    comp = cd(body[0:10] + body[13:20] + body[21:43])
    return l1 + "\n" + body + comp


GEN = _td3("MUSTERMANN", "ERIKA", "C01X00T47", "D<<", "640812", "F", "310402")
GEN2 = _td3("SMITH", "JOHN PAUL", "533401372", "GBR", "851224", "M", "290101", "AB1234567")


def test_the_icao_check_digit():
    assert docs._cd("L898902C3") == "6"
    assert docs._cd("740812") == "2"
    assert docs._cd("120415") == "9"
    assert docs._cd("<<<<<<") == "0"


@pytest.mark.parametrize("zone,fmt", [
    ("\n".join(TD3), "TD3"), ("\n".join(TD1), "TD1"), ("\n".join(TD2), "TD2"),
    ("\n".join(MRVA), "MRV-A"), ("\n".join(MRVB), "MRV-B"), (GEN, "TD3"), (GEN2, "TD3"),
])
def test_specimen_and_generated_zones_are_found_with_all_check_digits(zone, fmt):
    hits = assert_found(zone, "mrz")
    assert hits[0].verdict == f"mrz {fmt} check digits ok (ICAO 9303)"
    assert hits[0].start == 0 and hits[0].end == len(zone)


@pytest.mark.parametrize("wrap", [
    lambda z: z.replace("\n", "\r\n"),
    lambda z: z.replace("\n", ""),                                  # lines run together
    lambda z: z.replace("\n", " "),
    lambda z: json.dumps({"passport": {"mrz": z}}),                 # \n escape in JSON
    lambda z: "id,mrz\n1,\"" + z + "\"\n",                          # CSV cell
    lambda z: "Scan result:\n```\n" + z + "\n```\nPlease check the name.",
    lambda z: "    " + z.replace("\n", "\n    "),                   # indented
])
def test_zones_inside_json_csv_and_code_blocks(wrap):
    text = wrap("\n".join(TD3))
    hits = assert_found(text, "mrz")
    assert hits[0].verdict.startswith("mrz TD3")


def test_the_data_line_alone_counts():
    hits = assert_found("MRZ line 2: " + TD3[1], "mrz")
    assert hits[0].verdict == "mrz TD3 check digits ok (ICAO 9303)"


def test_a_name_line_alone_counts():
    hits = assert_found("Name field from the scan: " + TD3[0] + " (page 2)", "mrz")
    assert "name line" in hits[0].verdict


@pytest.mark.parametrize("pos,char", [(5, "X"), (24, "9")])
def test_an_ocr_error_in_one_field_still_counts(pos, char):
    line2 = TD3[1][:pos] + char + TD3[1][pos + 1:]  # a misread digit: document number or expiry
    assert line2 != TD3[1]
    hits = assert_found(TD3[0] + "\n" + line2, "mrz")
    assert "/5 check digits ok" in hits[0].verdict


def test_the_td1_data_line_alone_needs_both_of_its_check_digits():
    assert_found("line: " + TD1[1], "mrz")
    bad = TD1[1][:6] + "5" + TD1[1][7:]  # birth date check digit wrong
    _, hits = found("line: " + bad, "mrz")
    assert not hits


def test_the_td1_card_with_a_long_document_number():
    # a document number of 12 characters: "<" in its check position, the rest and its check digit after
    def cd(field):
        vals = {**{str(d): d for d in range(10)}, **{chr(65 + k): 10 + k for k in range(26)}, "<": 0}
        return str(sum(vals[c] * (7, 3, 1)[i % 3] for i, c in enumerate(field)) % 10)
    number = "D23145890734"
    l1 = ("I<UTO" + number[:9] + "<" + number[9:] + cd(number)).ljust(30, "<")
    l2 = "7408122F1204159UTO<<<<<<<<<<<"
    l2 += cd(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29])
    zone = "\n".join((l1, l2, TD1[2]))
    hits = assert_found(zone, "mrz")
    assert hits[0].verdict == "mrz TD1 check digits ok (ICAO 9303)"


def test_the_mask_hides_the_name_and_the_number():
    for zone in ("\n".join(TD3), "\n".join(TD1), "\n".join(TD2), GEN2):
        res = tag(zone)
        for f in res.findings:
            for secret in ("ERIKSSON", "ANNA", "L898902C3", "D23145890", "SMITH", "533401372"):
                assert secret not in f.masked, f
    f = next(f for f in tag("\n".join(TD3)).findings if f.detector == "mrz")
    assert f.masked.startswith("P<UTO***")
    assert "5/5" in f.masked


@pytest.mark.parametrize("text", [
    "<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
    "#include <iostream>\nint main() { std::cout << x << y << std::endl; return 1<<20; }",
    "<<<<<<< HEAD\nfoo = 1\n=======\nfoo = 2\n>>>>>>> feature/ABC-1234\n",
    "cat <<EOF > /etc/app.conf\nKEY=VALUE\nEOF\ncat <<-'END'\nx\nEND",
    "x <<= 3; y = a << 2 | b >> 4; PRINT_FLAGS<<FLAG_A<<FLAG_B",
    "Ruby: arr << 1 << 2; Haskell: f <<< g; Bash: cmd <<< \"$VAR\"",
    # uppercase tokens of a line's length with fillers but no MRZ structure
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ<<<<<<<<<<<<<<<<<<\nZYXWVUTSRQPONMLKJIHGFEDCBA<<<<<<<<<<<<<<<<<<",
    "The specimen format is P<ISSUER<NAME... followed by the data line (44 characters).",
])
def test_text_with_double_angle_brackets_stays_public(text):
    assert_public(text)


def test_a_data_line_with_wrong_check_digits_is_not_a_zone():
    line = "L898902C30UTO7408120F1204150ZE184226B<<<<<11"  # every check digit wrong
    _, hits = found("code: " + line, "mrz")
    assert not hits


def test_mrz_adversarial_inputs_are_fast():
    for text in ("<" * 100_000, "A<<B" * 25_000, ("P<UTO" + "<" * 39 + "\n") * 2300,
                 ("\n".join(TD3) + "\n") * 1100, "<<" + "A" * 100_000, ("I<UTO" + "1" * 25 + "\n") * 3300):
        t = time.process_time()
        tag(text)
        assert time.process_time() - t < 0.5, text[:40]


def test_many_zones_are_each_found():
    text = "\n\n".join("\n".join(z) for z in (TD3, TD1, TD2))
    hits = assert_found(text, "mrz")
    assert {h.verdict.split()[1] for h in hits} == {"TD3", "TD1", "TD2"}


# --------------------------------------------------------------------------------------
# seed_phrase: BIP-39

V12 = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
G12 = "tape attitude earth lonely useful govern universe kitten exhibit ocean alone usual"
G24 = ("blame young reunion transfer quit team cannon dumb ginger enhance job dawn visa pyramid keep senior slush "
       "duck east aunt more unfair shaft teach")
#: 12 wordlist words, checksum wrong (the last word changed)
BAD12 = "tape attitude earth lonely useful govern universe kitten exhibit ocean alone alone"
#: Trezor's test vector (24 words, entropy 0x7f...)
TREZOR24 = ("legal winner thank year wave sausage worth useful legal winner thank year wave sausage worth useful "
            "legal winner thank year wave sausage worth title")


def test_the_vectors_are_what_the_tests_assume():
    from mnemonic import Mnemonic

    m = Mnemonic("english")
    assert all(m.check(p) for p in (V12, G12, G24, TREZOR24))
    assert not m.check(BAD12)


@pytest.mark.parametrize("text", [
    G12, G24,
    "My wallet backup: " + G12,
    "Here it is:\n" + G24 + "\nthanks",
    "  - " + G12,
    '{"words": "' + G24 + '"}',
    "words,value\nbackup,\"" + G12 + "\"",
    "```\n" + G12 + "\n```",
    G12.replace(" ", "\n"),                                    # one per line
    G12.replace(" ", ", "),
    "\n".join(f"{i + 1}. {w}" for i, w in enumerate(G24.split())),
    "  ".join(f"{i + 1}) {w}" for i, w in enumerate(G12.split())),
    "\n".join(f"{i + 1:02d} {w}" for i, w in enumerate(G12.split())),
    "please keep " + G12,                                       # line start, extra words before
])
def test_checksum_valid_phrases_count_without_a_context_word(text):
    hits = assert_found(text, "seed_phrase")
    assert any(h.verdict == "bip39 checksum ok" for h in hits)


@pytest.mark.parametrize("text", [
    "My seed phrase is " + BAD12,
    "Recovery phrase:\n" + BAD12,
    "mnemonic = '" + BAD12 + "'",
    "Meine Wiederherstellungsphrase: " + BAD12,
    "Ma phrase de récupération : " + BAD12,
    "Mi frase semilla es " + BAD12,
    "frase de recuperación: " + BAD12.upper(),
    BAD12 + "\n(that's my seed phrase, keep it safe)",
    "Seed phrase: " + " ".join(w.capitalize() for w in BAD12.split()),
    "My seed phrase is " + G12 + " - is it valid?",
])
def test_wordlist_runs_count_after_a_context_word_even_with_a_bad_checksum(text):
    hits = assert_found(text, "seed_phrase")
    assert hits[0].verdict in ("bip39 checksum ok", "context: seed phrase (checksum failed)")


def test_the_mask_is_the_word_count_only():
    for text in (G12, "seed phrase: " + BAD12, G24):
        _, hits = found(text, "seed_phrase")
        for h in hits:
            assert h.masked in ("12 words", "24 words")
            assert not any(w in h.masked for w in text.split() if len(w) > 2 and w not in ("words",))


def test_the_span_covers_the_phrase():
    text = "backup: " + G12 + "."
    _, hits = found(text, "seed_phrase")
    assert text[hits[0].start:hits[0].end] == G12


@pytest.mark.parametrize("text", [
    BAD12,                                                    # no checksum, no context word
    "abandon ability able about above absent absorb abstract absurd abuse access accident",  # checksum fails
    "\n".join(f"{i + 1}. {w}" for i, w in enumerate(BAD12.split())),
    "The quick brown fox jumps over the lazy dog while seven young zebras quietly watch from behind the fence.",
    "we also have about all that this will can you please write remember",
    "Use these words in a story: apple, banana, orange, grape, lemon, melon, cherry, peach, mango, plum, kiwi, lime",
    "Explain how BIP-39 mnemonic seed phrases work and why the checksum matters for wallet recovery.",
    "A recovery phrase has 12 or 24 words; never share it. The mnemonic package implements the wordlist.",
    "random seed: 42\nseed phrase generation uses os.urandom; see the docs for details",
])
def test_ordinary_text_and_bad_runs_stay_public(text):
    assert_public(text)


def test_prose_full_of_bip39_words_stays_public():
    prose = ("\n".join([
        "we can also move about the city with all the people who have come to visit this year",
        "the children found a small animal near the river and they wanted to keep it as a pet",
        "you will need some basic tools like a hammer and a knife before you start to build the shelf",
        "after the game the team went home happy because they won the final match against the rival",
    ]) + "\n") * 50
    assert_public(prose)


def test_seed_phrase_adversarial_inputs_are_fast():
    for text in ("\n" + "abandon " * 14_000, (": " + "word " * 11 + "X") * 5_000, "1" + " " * 100_000,
                 "1. abandon\n" + "2. " * 30_000, ("seed phrase " + "able " * 11 + ".") * 5_000,
                 ("\n" + "abcdefgh " * 11 + "abcdefghi") * 1_000):
        t = time.process_time()
        tag(text)
        assert time.process_time() - t < 0.5, text[:40]


def test_seed_phrase_is_not_redactable():
    assert "seed_phrase" not in REDACTABLE
    assert DEFAULT_DETECTORS["seed_phrase"] == "confidential"


# --------------------------------------------------------------------------------------
# drivers_license

@pytest.mark.parametrize("text,value", [
    ("My driver's license number is A1234567.", "A1234567"),
    ("Driver’s Licence: MORGA753116SM9IJ", "MORGA753116SM9IJ"),
    ("drivers license # D123-4567-8901", "D123-4567-8901"),
    ("Driving licence number MORGA 753116 SM9IJ", "MORGA 753116 SM9IJ"),
    ("DL: S530-4607-2981", "S530-4607-2981"),
    ("DL# 123-456-789", "123-456-789"),
    ("DLN 1234567890", "1234567890"),
    ("License No. F1234567", "F1234567"),
    ("Führerscheinnummer: B072RRE2I55", "B072RRE2I55"),
    ("Führerschein-Nr. J0100AB1234", "J0100AB1234"),
    ("FS-Nr.: B072RRE2I55", "B072RRE2I55"),
    ("Numéro de permis de conduire : 123456789012", "123456789012"),
    ("n° de permis 0512345678", "0512345678"),
    ("Licencia de conducir: X1234567", "X1234567"),
    ("carné de conducir nº B-1234567", "B-1234567"),
    ("Permiso de conducción 5123456789", "5123456789"),
    ("patente di guida n. U1A234567B", "U1A234567B"),
    ("numero patente: RM5012345X", "RM5012345X"),
    ("Patente n. MI1234567A", "MI1234567A"),
    ("carta de condução n.º L-1234567", "L-1234567"),
    ("CNH: 12345678901", "12345678901"),
    ("rijbewijsnummer 5123456789", "5123456789"),
    ("numer prawa jazdy: 01234/12/1234", "01234/12/1234"),
    ("A1234567 (driver's license)", "A1234567"),
])
def test_licence_numbers_after_a_licence_word(text, value):
    hits = assert_found(text, "drivers_license")
    h = hits[0]
    assert text[h.start:h.end] == value
    assert h.verdict == "context: driver's license"
    assert value not in h.masked and h.masked.endswith(value[-2:])


@pytest.mark.parametrize("text,value", [
    ('{"name": "Jane Roe", "driver_license": "D1234567", "state": "CA"}', "D1234567"),
    ('{"driversLicenseNumber": "Y1234567"}', "Y1234567"),
    ("name,dl_number,state\nJane Roe,Y1234567,CA\n", None),   # header only: the value is not next to it
    ("dl_number=Y1234567", "Y1234567"),
    ("```yaml\ndriver_license: W1234567\n```", "W1234567"),
])
def test_licence_numbers_in_json_csv_and_code(text, value):
    res, hits = found(text, "drivers_license")
    if value is None:
        return  # a CSV column is the structured pass's; only no crash here
    assert res.tier == "confidential"
    assert any(text[h.start:h.end] == value for h in hits)


@pytest.mark.parametrize("text", [
    "la patente US 7,654,321 describe un método",            # Spanish: a patent
    "La patente ES 2 345 678 fue concedida en 2019.",
    "Patente: US7654321B2",
    "il brevetto e la patente sono documenti diversi; la patente scade nel 2030",
    "DL models outperform classical ML on ImageNet 2012; see DL4J 1.0.0 and the DL 2024 workshop.",
    "DL: 2024-05-01",                                         # a date
    "Download: 1234 files, dl speed 5000 kB/s",
    "handle = dlopen(path); dl_iterate_phdr(cb, 0);",
    "driver license expires 2025-03-01",
    "driver's license required for 2019-2024 applicants",
    "How do I renew my driver's license in California?",
    "License: MIT. Copyright 2024. License number of seats: 50",
    "Apache License, Version 2.0 (the License); licence no longer required",
    "The JDBC driver license terms changed in version 42.7.3.",
    "DL# 00000",
    "permis de construire n° PC 075 123",
])
def test_licence_lookalikes_stay_public(text):
    assert_public(text)


def test_a_spanish_licence_is_the_dni_and_is_found_either_way():
    res = tag("Licencia de conducir: 12345678Z")
    assert res.tier == "confidential"
    assert {f.detector for f in res.findings} & {"drivers_license", "national_id"}
    assert docs.detect_drivers_license("Licencia de conducir: 12345678Z")


@pytest.mark.parametrize("text", [
    "driver's license hotline 555-123-4567",
    "Driver License office: (555) 123-4567",
    "DL: 1-555-123-4567",
    "driver's license issued 12/31/2019",
    "driver's license: 31.12.2019",
])
def test_phone_numbers_and_dates_after_a_licence_word_are_no_licence(text):
    assert docs.detect_drivers_license(text) == []


def test_drivers_license_adversarial_inputs_are_fast():
    for text in ("driver's license " * 6_000, "DL: " + "A1-" * 33_000, "patente n. " * 9_000,
                 "DL# " + "1 " * 50_000, "license no. " + "9" * 100_000):
        t = time.process_time()
        tag(text)
        assert time.process_time() - t < 0.5, text[:40]


def test_drivers_license_and_mrz_are_personal_and_redactable():
    assert {"drivers_license", "mrz"} <= sens._PERSONAL
    assert {"drivers_license", "mrz"} <= set(REDACTABLE)
    assert DEFAULT_DETECTORS["drivers_license"] == DEFAULT_DETECTORS["mrz"] == "confidential"
    assert sens._NEEDS["drivers_license"] == "digit"


def test_the_needles_are_registered_by_preload():
    from hrouter.signals.detectors import documents

    tuples = sens._needle_tuples(documents)
    assert docs._DL_NEEDLES in tuples and docs._SEED_NEEDLES in tuples


def test_a_clinical_note_with_a_licence_number_is_phi():
    res = tag("Patient Jane Roe, driver's license D1234567, diagnosed with type 2 diabetes.")
    assert res.tier == "confidential"
    assert "drivers_license" in {f.detector for f in res.findings}


@pytest.mark.parametrize("prefix", ["Für mein Wallet — Sicherung:\n", "我的钱包备份：\n", "Ça c'est la sauvegarde « portefeuille » : ",
                                    "🔐🔐 backup = "])
def test_phrase_offsets_hold_after_non_ascii_text(prefix):
    text = prefix + G12 + "\nmerci"
    _, hits = found(text, "seed_phrase")
    assert hits and text[hits[0].start:hits[0].end] == G12


def test_phrase_offsets_hold_with_several_runs_in_non_ascii_text():
    from mnemonic import Mnemonic
    third = Mnemonic("english").to_mnemonic(bytes(range(16)))
    text = "é\n" + G12 + "\nü: " + G24 + "\n" + "ß = " + third
    res = tag(text)
    spans = sorted(text[f.start:f.end] for f in res.findings if f.detector == "seed_phrase")
    assert spans == sorted([G12, G24, third])


def test_the_zone_span_in_non_ascii_text():
    text = "Reisepass von Jörg — MRZ:\n" + "\n".join(TD3) + "\nÜberprüft."
    hits = assert_found(text, "mrz")
    assert text[hits[0].start:hits[0].end] == "\n".join(TD3)


def test_a_numbered_phrase_with_a_bad_checksum_counts_after_a_context_word():
    text = "Secret Recovery Phrase:\n" + "\n".join(f"{i + 1}. {w.capitalize()}" for i, w in enumerate(BAD12.split()))
    hits = assert_found(text, "seed_phrase")
    assert hits[0].verdict == "context: seed phrase (checksum failed)"
    assert hits[0].masked == "12 words"


def test_a_name_line_next_to_a_garbled_data_line_still_counts():
    garbled = "L898902C30UTO7408120F1204150ZE184226B<<<<<11"  # every check digit wrong
    hits = assert_found(TD3[0] + "\n" + garbled, "mrz")
    assert hits[0].verdict == "mrz TD3 name line (ICAO 9303)"
    assert "ERIKSSON" not in hits[0].masked


def test_a_seed_phrase_is_never_redacted_but_a_licence_may_be():
    from hrouter.policy import REDACTABLE as R

    assert "seed_phrase" not in R and "drivers_license" in R and "mrz" in R


def test_licence_and_zone_redact_to_placeholders():
    from hrouter.redact import redact

    text = "DL# D1234567\nMRZ:\n" + "\n".join(TD3)
    res = tag(text)
    red = redact(text, res.findings, ("drivers_license", "mrz"))
    assert red is not None
    assert "D1234567" not in red.text and "ERIKSSON" not in red.text and "L898902C3" not in red.text
    assert "[DRIVERS_LICENSE_1]" in red.text and "[MRZ_1]" in red.text


@pytest.mark.parametrize("text,hit", [
    ("DL: 10000 epochs on 8 GPUs", False),
    ("DL: 12345678", True),
    ("DL: B1234", True),
    ("DL# 12345", True),
    ("Führerschein Klasse B seit 2010", False),
    ("permis de conduire B depuis 2019", False),
    ("prawo jazdy kat. B od 2015", False),
    ("CNH Industrial N.V. reported 2023 results", False),
])
def test_bare_dl_and_licence_classes(text, hit):
    assert bool(docs.detect_drivers_license(text)) is hit


@pytest.mark.parametrize("text", [
    " ".join(["mail"] * 15),
    "\n".join(["mail"] * 15),
    "able able able able baby baby baby baby cabin cabin cabin cabin",
])
def test_a_run_of_one_word_repeated_is_no_seed_phrase(text):
    """Words drawn at random from 2048 repeat a few at most; "mail" x 15 passes the 5-bit
    checksum by chance (1 in 32) but is no phrase."""
    assert not docs.detect_seed_phrase(text)
    assert_public(text)


def test_a_real_phrase_with_one_repeated_word_still_counts():
    from mnemonic import Mnemonic
    m = Mnemonic("english")
    phrase = m.to_mnemonic(bytes(range(16)))  # "abandon amount liar amount ...": "amount" twice
    assert m.check(phrase) and len(set(phrase.split())) == 11
    hits = assert_found(f"wallet backup:\n{phrase}\n", "seed_phrase")
    assert hits[0].masked == "12 words"


@pytest.mark.parametrize("vector", [V12, TREZOR24])
def test_the_published_test_vectors_are_public_alone_and_count_after_a_context_word(vector):
    """BIP-39's published test vectors ("abandon" x 11 + "about" from all-zero entropy, "legal
    winner thank year ..." x 3 from 7f7f...) are in every wallet library's tests: alone they are
    no one's key (words that repeat so much are no random phrase); called a seed phrase they
    count (fail closed), with a verdict that says why."""
    assert_public("Test vector from BIP-39:\n" + vector)
    hits = assert_found("my seed phrase: " + vector, "seed_phrase")
    assert hits[0].verdict == "context: seed phrase (words repeat: no random phrase)"
