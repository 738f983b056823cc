"""Context words in Italian, Portuguese, Dutch and Polish (date of birth, passport, phone,
medical ids), card numbers with other separators, and IBANs broken across a line break."""

from __future__ import annotations

import random
import re
import time

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals import sensitivity as sens
from hrouter.signals.sensitivity import tag_sensitivity


def tag(text: str):
    return tag_sensitivity(text, SensitivityConfig())


def _found(text: str, detector: str, value: str | None = None):
    res = tag(text)
    assert res.tier == "confidential", (text, res)
    hits = [f for f in res.findings if f.detector == detector]
    assert hits, (text, res.findings)
    for f in hits:
        assert 0 <= f.start < f.end <= len(text)
    if value is not None:
        assert any(text[f.start:f.end] == value for f in hits), (text, [(f.start, f.end) for f in hits])
    return hits


# ---- date of birth -------------------------------------------------------------------


@pytest.mark.parametrize("text,value", [
    ("data di nascita: 12/03/1985", "12/03/1985"),
    ("Data nascita 12/03/1985", "12/03/1985"),
    ("Mario Rossi, nato il 12/03/1985 a Milano", "12/03/1985"),
    ("Giulia, nata a Roma il 4 aprile 1979", "4 aprile 1979"),
    ("nato il 12 marzo 1985", "12 marzo 1985"),
    ("data di nascita 1985-03-12", "1985-03-12"),
    ("12/03/1985 (data di nascita)", "12/03/1985"),
    ("Data de nascimento: 12-03-1985", "12-03-1985"),
    ("nascido em 12-03-1985 em Lisboa", "12-03-1985"),
    ("Ana, nascida em 7 de setembro de 1990", "7 de setembro de 1990"),
    ("nascido em 12 de março de 1985", "12 de março de 1985"),
    ("geboortedatum 12-03-1985", "12-03-1985"),
    ("Geboortedatum: 3 augustus 1972", "3 augustus 1972"),
    ("geboren op 12 maart 1985", "12 maart 1985"),
    ("data urodzenia 12.03.1985", "12.03.1985"),
    ("Jan Kowalski, urodzony 12.03.1985 w Krakowie", "12.03.1985"),
    ("urodzona 12 marca 1985", "12 marca 1985"),
    ("Anna Nowak, ur. 5 października 1988", "5 października 1988"),
    ("urodziła się 5 października 1988 r.", "5 października 1988"),
])
def test_birth_dates_with_italian_portuguese_dutch_polish_context(text, value):
    f = _found(text, "date_of_birth", value)[0]
    shown = "".join(c for c in f.masked if c.isdigit())
    year = re.search(r"(?:19|20)\d\d", value).group()
    assert shown and year.startswith(shown)  # masked: only (the first digits of) the year show


@pytest.mark.parametrize("text", [
    "La Nato il 4 aprile 1949 fu fondata a Washington.",
    "L'Italia entrò nella NATO il 4 aprile 1949.",
    "data di scadenza: 12/03/2025",
    "Il passaporto è stato rilasciato il 12/03/2019.",
    "geboortedatum formaat: DD-MM-JJJJ, bijvoorbeeld in een formulier",
    "data urodzenia (format: DD.MM.RRRR)",
    "nascido em 1985 em Lisboa",
    "Our team will meet for an hour. 12/03/2024 works for everyone.",
    "the sonata premiered 12 March 1985",
])
def test_ordinary_dates_stay_public(text):
    res = tag(text)
    assert res.tier == "public", res
    assert not res.findings


# ---- passport and medical ids ----------------------------------------------------------


@pytest.mark.parametrize("text,value", [
    ("passaporto n. YA1234567", "YA1234567"),
    ("Numero di passaporto: YA1234567", "YA1234567"),
    ("passaporto n° YA1234567", "YA1234567"),
    ("passaporte n.º CA123456", "CA123456"),
    ("Número do passaporte CA123456", "CA123456"),
    ("paspoort NXC1234A5", "NXC1234A5"),
    ("Paspoortnummer: NXC1234A5", "NXC1234A5"),
    ("paszport nr ZS1234567", "ZS1234567"),
    ("numer paszportu ZS1234567", "ZS1234567"),
])
def test_passport_numbers_after_italian_portuguese_dutch_polish_words(text, value):
    f = _found(text, "passport", value)[0]
    assert value not in f.masked


@pytest.mark.parametrize("text,value", [
    ("tessera sanitaria 80380001234567890123", "80380001234567890123"),
    ("numero tessera sanitaria n. 80380001200001234567", "80380001200001234567"),
    ("cartella clinica: 2023-004512", "2023-004512"),
    ("número de utente 123456789", "123456789"),
    ("n.º de utente: 123456789", "123456789"),
    ("Zorgverzekeringsnummer: 123456789", "123456789"),
    ("polisnummer 88123456", "88123456"),
    ("patiëntnummer 4455667", "4455667"),
    ("numer ubezpieczenia 12345678", "12345678"),
    ("numer pacjenta: 77001234", "77001234"),
])
def test_medical_ids_after_italian_portuguese_dutch_polish_words(text, value):
    f = _found(text, "medical_id", value)[0]
    assert value not in f.masked


@pytest.mark.parametrize("text", [
    "Wat is een paspoort en hoe vraag ik er een aan?",
    "Quanto costa il passaporto nel 2024?",
    "Numero di passaporto: come trovarlo sul documento",
    "paszport biometryczny 2024",
    "La tessera sanitaria scade dopo 6 anni.",
    "Como pedir o número de utente no SNS?",
    "Wat is een zorgverzekeringsnummer?",
])
def test_the_words_alone_stay_public(text):
    res = tag(text)
    assert res.tier == "public", res


# ---- phones ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "telefono 333 123 4567",
    "cellulare 333 1234567",
    "Il mio numero è 333 1234567",
    "chiamami al 333 1234567",
    "telefone 912 345 678",
    "telemóvel: 912 345 678",
    "o meu número é 912 345 678",
    "celular 912 345 678",
    "telefoon 06 12345678",
    "Telefoonnummer: 06-12345678",
    "mobiel 06 12345678",
    "mijn nummer is 06 12345678",
    "bel me op 06 12345678",
    "telefon 512 345 678",
    "komórka 512 345 678",
    "tel. kom. 512 345 678",
    "kom. 512 345 678",
    "mój numer to 512 345 678",
    "zadzwoń 512 345 678",
])
def test_national_phone_numbers_after_italian_portuguese_dutch_polish_words(text):
    f = _found(text, "phone")[0]
    digits = re.sub(r"\D", "", text[f.start:f.end])
    assert len(digits) >= 9
    assert digits[:-4] not in f.masked


@pytest.mark.parametrize("text", [
    "telefoon model 2023 review",
    "mobiel internet 2024: 10 GB",
    "chiamare la funzione 1000000 volte",
    "zadzwoń jutro o 15:30",
    "bel me morgen om 10:00",
    "Il numero 1234567 è primo?",
])
def test_phone_words_without_a_number_stay_public(text):
    assert tag(text).tier == "public", tag(text)


# ---- credit cards with other separators ------------------------------------------------


def _luhn_complete(prefix: str, length: int) -> str:
    for d in "0123456789":
        cand = prefix + "".join(random.Random(len(prefix)).choice("0123456789")
                                for _ in range(length - len(prefix) - 1)) + d
        if sens._luhn_ok(cand):
            return cand
    raise AssertionError


@pytest.mark.parametrize("text,value", [
    ("card 4539/1488/0343/6467", "4539/1488/0343/6467"),
    ("4539_1488_0343_6467", "4539_1488_0343_6467"),
    ("pay with 4539|1488|0343|6467 today", "4539|1488|0343|6467"),
    ("4539.1488.0343.6467", "4539.1488.0343.6467"),
    ("x_4539_1488_0343_6467", "4539_1488_0343_6467"),
    ("a|4539|1488|0343|6467|b", "4539|1488|0343|6467"),
    ("card: 4 5 3 9 1 4 8 8 0 3 4 3 6 4 6 7", "4 5 3 9 1 4 8 8 0 3 4 3 6 4 6 7"),
    ("Kreditkarte: 4 5 3 9 1 4 8 8 0 3 4 3 6 4 6 7", "4 5 3 9 1 4 8 8 0 3 4 3 6 4 6 7"),
    ("4-5-3-9-1-4-8-8-0-3-4-3-6-4-6-7 (Visa)", "4-5-3-9-1-4-8-8-0-3-4-3-6-4-6-7"),
    ("numero carta 4.5.3.9.1.4.8.8.0.3.4.3.6.4.6.7", "4.5.3.9.1.4.8.8.0.3.4.3.6.4.6.7"),
])
def test_card_numbers_with_other_separators(text, value):
    f = _found(text, "credit_card", value)[0]
    assert f.masked.endswith("6467") and "4539" not in f.masked


def test_amex_and_nineteen_digit_groups_with_a_bar_or_slash():
    amex = _luhn_complete("37", 15)
    visa19 = _luhn_complete("4", 19)
    _found(f"amex {amex[:4]}|{amex[4:10]}|{amex[10:]}", "credit_card")
    _found("/".join([visa19[:4], visa19[4:8], visa19[8:12], visa19[12:16], visa19[16:]]), "credit_card")


@pytest.mark.parametrize("text", [
    "digits: 4 5 3 9 1 4 8 8 0 3 4 3 6 4 6 7",                  # no card word
    "card 1 4 5 3 9 1 4 8 8 0 3 4 3 6 4 6 7",                 # a longer run of single digits
    "card 4 5 3 9 1 4 8 8 0 3 4 3 6 4 6 8",                   # Luhn fails
    "card 4539/1488/0343/6467/1",                              # a piece of a longer run
    "4539|1488|0343|6467|8",
    "4539|1488|0343|6468",                                     # Luhn fails
    "4539_1488-0343|6467",                                     # mixed separators
    "4111_1111_1111_1111 is the test Visa",                    # published test number
    "| 4539 | 1488 | 0343 | 6467 |",                           # a table row
    "0b1010_1010_1010_1010_1010",                              # binary literal
    "path /api/2023/1105/0001/0042/items",
])
def test_other_separators_do_not_fire_on_look_alikes(text):
    res = tag(text)
    assert "credit_card" not in {f.detector for f in res.findings}, res


# ---- IBAN across a line break ----------------------------------------------------------


@pytest.mark.parametrize("text,value", [
    ("IBAN DE89 3704 0044\n0532 0130 00", "DE89 3704 0044\n0532 0130 00"),
    ("IBAN: DE89 3704 0044\r\n0532 0130 00", "DE89 3704 0044\r\n0532 0130 00"),
    ("IBAN GB82 WEST 1234\n  5698 7654 32 please", "GB82 WEST 1234\n  5698 7654 32"),
    ("IBAN DE89\n3704\n0044\n0532\n0130\n00", "DE89\n3704\n0044\n0532\n0130\n00"),
])
def test_iban_broken_across_a_line_break(text, value):
    _found(text, "iban", value)


@pytest.mark.parametrize("text", [
    "IBAN: DE89370400440532013000 GB82WEST12345698765432",
    "DE89370400440532013000\nGB82WEST12345698765432",
    "ref AB12 DE89 3704 0044 0532 0130 00 and GB82 WEST 1234 5698 7654 32",
])
def test_every_iban_of_a_run_is_found(text):
    res = tag(text)
    ibans = [f for f in res.findings if f.detector == "iban"]
    assert {text[f.start:f.end].replace(" ", "")[:4] for f in ibans} == {"DE89", "GB82"}, res


@pytest.mark.parametrize("text", [
    "DE89 3704 0044\nThe next line is text",
    "IBAN DE89 3704 0044\n0532 0130 01",        # mod-97 fails
    "AB12 3456\n7890 1234 5678",
])
def test_a_line_break_does_not_make_an_iban(text):
    assert "iban" not in {f.detector for f in tag(text).findings}


# ---- pattern twins, gate needles, speed ------------------------------------------------


def _texts(words: list[str], n: int, seed: int):
    rng = random.Random(seed)
    seps = [" ", "  ", "\t", "\n", ".", ":", "-", "x", "é", "1", "", "(", "/"]
    for _ in range(n):
        yield "".join(rng.choice(words) + rng.choice(seps) for _ in range(rng.randint(1, 8)))


_PHONE_WORDS = ["cellulare", "cellular", "cell", "telemóvel", "telemovel", "telefoon", "telefoonnummer", "mobiel",
                "mobielnummer", "komórka", "komorka", "komórkowy", "kom", "kom.", "chiamami", "chiamare", "bel",
                "me", "mij", "zadzwoń", "zadzwon", "mio", "mia", "numero", "meu", "número", "mijn", "nummer", "mój",
                "moj", "numer", "tel", "xkom", "telefono", "TELEFOON", "Mobiel", "KOMÓRKA"]
_PASSPORT_WORDS = ["passaporto", "passaporte", "paspoort", "paspoortnummer", "paszport", "paszportu", "paszportowy",
                   "n.", "n.º", "n.o", "n°", "nummer", "no", "xpaspoort", "PASZPORT", "passport", " "]


@pytest.mark.parametrize("name,source,words", [
    ("phone_ctx", "sens", _PHONE_WORDS),
    ("passport_ctx", "contextual", _PASSPORT_WORDS),
])
def test_lower_case_twins_match_like_the_case_insensitive_patterns(name, source, words):
    from hrouter.signals.detectors import contextual

    src = contextual._R if source == "contextual" else sens._P
    rx, twin = getattr(src, name), getattr(src, name + "_lc")
    checked = 0
    for text in _texts(words, 3000, sum(map(ord, name))):
        lc = sens._match_copy(text)
        if lc is None:
            continue
        checked += 1
        assert [m.span() for m in rx.finditer(text)] == [m.span() for m in twin.finditer(lc)], text
        for i in range(0, len(text), 3):
            a, b = rx.match(text, i), twin.match(lc, i)
            assert (a and a.span()) == (b and b.span()), (text, i)
    assert checked > 2000


def test_every_new_phone_context_word_holds_a_gate_needle():
    seen = 0
    for text in _texts(_PHONE_WORDS, 3000, 71):
        for m in sens._P.phone_ctx.finditer(text):
            span = m.group().lower()
            if len(span) != len(m.group()):
                continue
            seen += 1
            assert any(n in span for n in sens._PHONE_NEEDLES), m.group()
    assert seen > 1000


def test_every_birth_context_word_holds_a_needle():
    words = ["data di nascita", "data nascita", "nato il", "Nata a", "nato/a il", "data de nascimento", "nascido em",
             "nascida", "geboortedatum", "geboren op", "data urodzenia", "urodzony", "urodzona dnia", "urodził się",
             "urodziła się", "ur."]
    for w in words:
        m = sens._P.dob_ctx.match(w)
        assert m is not None, w
        assert any(n in m.group().lower() for n in sens._DOB_NEEDLES + sens._DOB_ABBREV_NEEDLES), w


def test_the_cluster_shape_keeps_the_clusters():
    # "/" keeps its own byte in the shape and "_"/"|" get one that joins nothing: the clusters
    # are those of the plain pattern
    rng = random.Random(5)
    parts = ["4539", "1", "22", "/", "_", "|", " ", "-", ".", "a", "(", "+", "\n", "0000"]
    for _ in range(3000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 30)))
        want = [(m.start(), m.end(), sum(c.isdigit() for c in m.group())) for m in sens._P.cluster.finditer(text)]
        sens._digit_clusters.cache_clear()
        assert sens._digit_clusters(text) == want, text


@pytest.mark.parametrize("unit", [
    "4 5 3 9 card ", "4 ", "card 4 5 3 9 1 4 8 8 0 3 4 3 6 4 6 7 8 ", "4539_", "4539|1488|", "4539/1488/",
    "0000_0000_", "AB12\n", "DE89 3704\n", "DE89\n", "nato il 12/03/1985 ", "ur. ", "paszport nr ",
    "tessera sanitaria n. ", "komórka 512 ", "1|2|3|4|5|6|7|8|9|0|",
])
def test_adversarial_inputs_stay_fast(unit):
    text = unit * (100_000 // len(unit))
    t = time.process_time()
    tag(text)
    assert time.process_time() - t < 0.5 * 4, unit  # 0.5 s budget, with headroom for a loaded machine


@pytest.mark.parametrize("unit", ["4 5 3 9 card ", "4539_", "AB12\n", "ur. ", "tessera sanitaria n. "])
def test_adversarial_inputs_stay_fast_per_detector(unit):
    text = sens._normalize(unit * (100_000 // len(unit)))[0]
    for det in (sens.detect_credit_card, sens.detect_iban, sens.detect_date_of_birth, sens.detect_phone):
        t = time.process_time()
        list(det(text))
        assert time.process_time() - t < 0.5, (unit, det.__name__)


def test_every_iban_behind_a_non_iban_run_is_found_in_a_long_text():
    row = "Ref AB12 DE89 3704 0044 0532 0130 00\n"
    text = row * 1000
    res = tag(text)
    assert sum(f.detector == "iban" for f in res.findings) == 1000


def test_starts_inside_runs_without_an_iban_are_tried_within_a_budget():
    text = sens._normalize("DE89\n" * 20000)[0]
    sens._ASCII_DIGITS[0] = text
    tried = []
    rx = sens._P.iban

    class Spy:
        def match(self, t, pos):
            tried.append(pos)
            return rx.match(t, pos)

    old = sens._P.iban
    sens._P.iban = Spy()
    try:
        assert list(sens.detect_iban(text)) == []
    finally:
        sens._P.iban = old
    assert len(tried) < 20000 // 5 + 300  # the first start of each run, and at most 256 inside
