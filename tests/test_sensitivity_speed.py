"""The speed machinery of the sensitivity tagger finds exactly what the plain scans find.

The tagger scans a lower-case copy with case-sensitive twins of its case-insensitive
patterns, finds trigger words with an Aho-Corasick automaton, folds text one character for
one without an offset map, and looks up sentences locally. Each shortcut is checked here
against the straightforward form on random text built from the words the patterns look for.
"""

from __future__ import annotations

import random
import re

import pytest

from hrouter.signals import sensitivity as sens

#: Odd characters that case folding treats specially (dotless i, long s, Kelvin sign, dotted
#: capital I) or that sit next to word characters.
_ODD = ["\u0131", "\u017f", "\u212a", "\u0130", "é", "É", "ñ", "Ñ", "_", "-", "'", '"', " ", "\t", "\n", ":", "=",
        ":=", "=>", ".", "/", "x", "1", "#", "(", ")", "[", "]", "&", "|", "—", "–", ">", "*"]


def _variants(word: str, rng: random.Random) -> str:
    """``word`` in a random case (sometimes with a folded i/s/k)."""
    out = []
    for ch in word:
        r = rng.random()
        if r < 0.3:
            ch = ch.upper()
        elif r < 0.33 and ch in "isk":
            ch = {"i": "\u0131", "s": "\u017f", "k": "\u212a"}[ch]
        out.append(ch)
    return "".join(out)


def _texts(words: list[str], n: int, seed: int):
    rng = random.Random(seed)
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.55:
                parts.append(_variants(rng.choice(words), rng))
            else:
                parts.append(rng.choice(_ODD))
        yield "".join(parts)


#: (pattern name, words it is built from)
_LC_PATTERNS = [
    ("key_assign", ["pass", "pwd", "pw", "password", "passwd", "passphrase", "secret", "secret_key",
                    "secret-access-key",
                    "secretaccesskey", "token", "api_key", "api-key", "apikey", "access_key", "accesskey",
                    "private_key", "client_secret", "credential", "credentials", "passwort", "kennwort",
                    "mot_de_passe", "mot-de-passe", "contraseña", "contrasena", "a", "xpass", "bypass", " = ", ": "]),
    ("key_flag", ["--password", "--passwd", "--pass", "--token", "--api-key", "--apikey", "--secret",
                  "--client-secret", "-", "x--pass", "--", "=", " "]),
    ("key_auth", ["authorization: bearer ", "Authorization = Basic ", "authorization: f'token ",
                  'authorization": "digest ', "authorization:bearer\t", "authorization", "Authorization:", "bearer",
                  "basic", "token", "digest", "f", "xauthorization",
                  ": ", "=", " "]),
    ("phone_ctx", ["phone", "telephone", "tel", "tel.", "mobile", "mobil", "mob", "cell", "cellphone", "cellular",
                   "call", "call me", "text me", "sms", "whatsapp", "whats app", "fax", "landline", "reach me",
                   "ring me", "contact me", "contact number", "telefon", "telefonnummer", "handy", "festnetz",
                   "rufnummer", "anrufen", "ruf mich", "erreichbar", "téléphone", "tél", "portable", "fixe",
                   "mon numéro", "numéro de téléphone", "appelez", "rappeler", "joindre", "teléfono", "móvil",
                   "movil", "celular", "llamar", "mi número", "meine nummer", "xphone", "phones", "x", " "]),
    ("phone_business", ["public", "information line", "info line", "info  line", "hotline", "helpline", "switchboard",
                        "reception", "front desk", "customer service", "customer support", "customer care",
                        "support line", "toll-free", "toll free", "museum", "embassy", "consulate", "kundenservice",
                        "kundendienst", "zentrale", "servicenummer", "accueil", "standard", "service client",
                        "numéro vert", "numero vert", "atención al cliente", "atencion al cliente", "centralita",
                        "publics", "xpublic", "information", "line", "customer", "service", "toll", "free", "info",
                        "numéro", "vert", "al", " ", "\t", "\n", "-"]),
    ("ssn_ctx", ["ssn", "ssns", "social security", "social-security number", "social security no.", "social security #",
                 "soc. sec.", "soc sec", "sozialversicherungsnummer", "sozialversicherungs-nr.", "sv-nummer", "svnummer",
                 "numéro de sécurité sociale", "numero de securite sociale", "número de seguro social",
                 "numero del seguro social", "seguro social", "xssn", "no", "#", " ", "\n", "-"]),
    ("fin_marker", ["not yet disclosed", "not been announced", "not public yet", "not released", "not published",
                    "undisclosed", "unannounced", "unreleased", "unpublished", "preannouncement", "pre-announcement",
                    "embargo", "embargoed", "draft", "drafts", "forecast", "projected", "preliminary",
                    "nicht veröffentlicht", "nicht veroeffentlicht", "unveröffentlicht", "vorläufig", "vorlaeufig",
                    "non publiée", "non annoncés", "prévisionnel", "previsionnelle", "no publicado", "sin anunciar",
                    "provisional", "xdraft", "not", "yet", " ", "\t"]),
    ("fin_term", ["arr", "ARR", "mrr", "revenue", "revenues", "bookings", "billings", "EBITDA", "churn", "nrr", "grr",
                  "net revenue retention", "acquisition price", "valuation", "run-rate", "run rate", "earnings",
                  "guidance", "Umsatz", "chiffre d'affaires", "ingresos", "facturación", "facturacion", "xarr", "arrx"]),
    ("key_prose", ["password", "passwort", "kennwort", "passphrase", "passcode", "mot de passe", "contraseña",
                   "contrasena", " is", " was", " ist", " lautet", " war", " est", " es", " era", " for db ",
                   "for", "the", "xpassword", " ", ":"]),
]


_CONTEXTUAL_LC = [
    ("passport_ctx", ["passport", "passport number", "passport no", "reisepass", "reisepassnummer", "passnummer",
                      "pass-nr", "pass nr", "passeport", "pasaporte", "pasaporte-no", "xpassport", "pass", " ", "-"]),
    ("pay", ["salary", "salaries", "salario", "salarios", "earn", "earns", "earning", "earned", "makes", "paid", "wage",
             "wages", "compensation", "base pay", "bonus", "pay is", "pay of", "pay rise", "gehalt", "jahresgehalt",
             "bruttogehalt", "verdient", "lohn", "salaire", "gagne", "rémunération", "remuneration", "sueldo", "cobra",
             "gana", "nómina", "nomina", "retribución", "retribucion", "xpaid", "pay", " "]),
]


@pytest.mark.parametrize("name,words", _LC_PATTERNS + _CONTEXTUAL_LC, ids=[n for n, _ in _LC_PATTERNS + _CONTEXTUAL_LC])
def test_lower_case_twins_match_like_the_case_insensitive_patterns(name, words):
    from hrouter.signals.detectors import contextual

    source = contextual._R if name in dict(_CONTEXTUAL_LC) else sens._P
    rx, twin = getattr(source, name), getattr(source, name + "_lc")
    assert rx.flags & re.IGNORECASE and not twin.flags & re.IGNORECASE
    checked = 0
    for text in _texts(words, 3000, sum(map(ord, name))):
        lc = sens._match_copy(text)
        if lc is None:
            assert len(text.lower()) != len(text)
            continue
        assert len(lc) == len(text)
        checked += 1
        assert [m.span() for m in rx.finditer(text)] == [m.span() for m in twin.finditer(lc)], text
        for i in range(0, len(text), 3):  # anchored at every start, as the window scans re-match
            a, b = rx.match(text, i), twin.match(lc, i)
            assert (a and a.span()) == (b and b.span()), (text, i)
    assert checked > 2000


_MARKING_WORDS = ["strictly confidential", "internal use only", "for internal use only", "internal only",
                  "internal_only", "company confidential", "confidential - internal", "internal: confidential",
                  "confidential and proprietary", "proprietary & confidential", "not for public release",
                  "not for distribution", "do not forward", "do not share externally", "nur für den dienstgebrauch",
                  "nur fuer den internen gebrauch", "streng vertraulich", "nur intern", "diffusion restreinte",
                  "usage interne", "strictement confidentiel", "uso interno", "estrictamente confidencial",
                  "TLP: AMBER", "tlp:red", "(internal)", "[ intern ]", "(interno]", "confidential", "internal",
                  "intern", "interne", "interno", "for", "use", "only", "company", "strictly",
                  "and", "&", "proprietary", "not", "external", "public", "distribution", "release", "circulation",
                  "do", "forward", "distribute", "share", "externally", "nur", "für", "fuer", "den", "internen",
                  "dienstgebrauch", "gebrauch", "streng", "vertraulich", "diffusion", "restreinte", "usage",
                  "strictement", "confidentiel", "uso", "estrictamente", "confidencial", "tlp", "amber", "red",
                  "CONFIDENTIAL", "VERTRAULICH", "TOP SECRET", "SECRET//", "NOFORN", "HR", " ", " ", "\n", "\n",
                  "> ", "# ", "[", "]", "(", ")", ": ", " - ", "—", "/", "|", "_", "x"]


def test_the_split_marking_pattern_scans_like_the_whole_one():
    rng = random.Random(3)
    parts = [(sens._P.marking_lc, None), (sens._P.marking_line_lc, None), (sens._P.marking_caps, "text")]
    checked = 0
    for text in _texts(_MARKING_WORDS, 4000, 17):
        lc = sens._match_copy(text)
        if lc is None:
            continue
        checked += 1
        n = len(text)
        windows = [(0, n)]
        if n > 4:
            cuts = sorted(rng.sample(range(n + 1), 4))
            windows = [(cuts[0], cuts[1]), (cuts[2], cuts[3])]
        for ws in ([(0, n)], windows):
            want = [m.span() for m in sens._scan(sens._P.marking, text, ws)]
            got = list(sens._scan_parts([(rx, text if hay else lc) for rx, hay in parts], ws))
            assert got == want, (text, ws)
    assert checked > 3000


_CLINICAL_WORDS = ["diagnosed", "diagnosis", "dx", "prescribed", "prescription", "treated for", "suffers from",
                   "history of", "admitted with", "discharged", "referral", "diagnostiziert", "diagnose", "befund",
                   "leidet an", "diagnostiquée", "atteinte de", "souffre d'", "diagnosticado", "diagnóstico",
                   "insulin", "metformin", "sertraline", "chemotherapy", "lisinopril", "atenolol", "atorvastatin",
                   "losartan", "omeprazole", "fluconazole", "fluoxetine", "adalimumab", "doxycycline", "amoxicillin",
                   "ciprofloxacin", "sitagliptin", "liraglutide", "famotidine", "amlodipine", "sumatriptan",
                   "ibuprofen", "oxycodone", "hydromorphone", "olanzapine", "risperidone", "loratadine",
                   "furosemide", "hydrochlorothiazide", "mab", "xmab", "pril", "abpril", "diabetes", "diabète",
                   "depression", "cancer", "HIV", "hba1c", "blood pressure", "mg/dl", "x-ray", "ct scan", "ICD-10",
                   "icd10", "CIE-10", "ICD-10 E11.9", "icd10:f32", "CIE-10 : z99.1", "ICD t40", "E11.9", "F32.1", "e11",
                   "Z99.89", "50 mg", "Patient", "ok", "a", "b1"]


def test_the_clinical_twin_finds_the_same_terms():
    from hrouter.signals.detectors import phi

    r = phi._rx()
    checked = 0
    for text in _texts(_CLINICAL_WORDS, 4000, 23):
        icd = [(m.start() - 3, m.end()) for m in r["icd_fast"].finditer(text)]
        assert [m.span() for m in r["icd"].finditer(text)] == icd, text
        lc = sens._match_copy(text)
        if lc is None:
            continue
        checked += 1
        want = [(m.span(), m.lastgroup) for m in r["clinical"].finditer(text)]
        got = [(m.span(), m.lastgroup) for m in r["clinical_lc"].finditer(lc)]
        assert got == want, text
    assert checked > 3000


def test_local_sentence_lookup_matches_the_full_split():
    from bisect import bisect_right

    from hrouter.signals.detectors import contextual

    rng = random.Random(9)
    parts = ["Mr.", "Mrs.", "Ms.", "Dr. Smith", "Sr.", "Sra.", "St.", "Mme.", "Prof.", "Mlle.", "Srta.", "xMr.",
             "B.", "b.", "É.", " ", "  ", ".", "\n", "\t", "a", "word", "!", "?", ";", "1.5", "U.S. ", "é.", "_."]
    for _ in range(6000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 50)))
        if rng.random() < 0.05:
            text *= 40
        spans, starts = contextual._split_sentences(text)
        for i in range(0, len(text), max(1, len(text) // 12)):
            assert contextual._sentence_of(text, i) == spans[max(bisect_right(starts, i) - 1, 0)], (text, i)


def _digit_texts(n: int, seed: int):
    rng = random.Random(seed)
    parts = ["0", "1", "2", "3", "45", "6789", " ", "  ", "\t", "\n", "\r\n", "(", ")", ".", "-", "/", "+", "A", "B",
             "x", "é", "\u0663", "\uff15", "\ud800", "\U0001f600", "ab", "==", "%", "_", "Zm9v", "YmFy" * 6]
    for _ in range(n):
        yield "".join(rng.choice(parts) for _ in range(rng.randint(0, 60)))


def test_digit_clusters_are_the_runs_of_seven_digits():
    for text in _digit_texts(5000, 41):
        want = [(m.start(), m.end(), sum(c.isdigit() for c in m.group())) for m in sens._P.cluster_any.finditer(text)]
        sens._digit_clusters.cache_clear()
        sens._ASCII_DIGITS[0] = None
        if text.isascii() or not sens._P.nonascii_digit.search(text):
            sens._ASCII_DIGITS[0] = text  # as the tagger marks its normalised text
            assert sens._digit_clusters(text) == want, text
        sens._digit_clusters.cache_clear()
        sens._ASCII_DIGITS[0] = None
        assert sens._digit_clusters(text) == want, text


def test_base64_runs_are_the_maximal_runs_of_twenty():
    rx = re.compile(r"(?<![A-Za-z0-9+/_\-])[A-Za-z0-9+/_\-]{20,}")
    for text in _digit_texts(5000, 43):
        sens._b64_runs.cache_clear()
        assert sens._b64_runs(text) == [m.span() for m in rx.finditer(text)], text
        assert bool(sens._b64_runs(text) or sens._P.pct_hint.search(text)) == bool(sens._P.decode_hint.search(text))


def test_iban_and_fiscal_code_candidates_are_those_of_the_full_scans():
    from hrouter.signals.detectors import national_id

    cf = next(rx for name, rx, *_ in national_id._specs() if name == "IT codice fiscale")
    rng = random.Random(47)
    parts = ["DE89", "3704", "0044", "0532", "0130", "00", "GB82", "WEST", "1234", "5698", "7654", "32", " ", "-", ".",
             "ab12", "x", "é", "RSSMRA85T10A562S", "RSSMRA", "85T10", "A562S", "MRTMTT25D09F205Z", "ABCDEFG", "Z", "9",
             "\u0663", "\ud800", "/"]
    for _ in range(4000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 30)))
        sens._utf8.cache_clear()
        assert [m.span() for m in national_id._fiscal_codes(text, cf)] == [m.span() for m in cf.finditer(text)], text
        if text.isascii() or not sens._P.nonascii_digit.search(text):
            sens._ASCII_DIGITS[0] = text
        assert [m.span() for m in sens._iban_matches(text)] == [m.span() for m in sens._P.iban.finditer(text)], text
        sens._ASCII_DIGITS[0] = None


def test_incremental_mod97_matches_the_direct_check():
    rng = random.Random(53)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    for _ in range(3000):
        alnum = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 36)))
        if rng.random() < 0.3:  # a valid one now and then
            alnum = rng.choice(["DE89370400440532013000", "GB82WEST12345698765432", "FR1420041010050500013M02606"])
            alnum += "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))
        assert sens._mod97_prefixes(alnum) == [sens._mod97_ok(alnum[:n]) for n in range(len(alnum) + 1)], alnum


def test_every_phone_context_word_holds_a_gate_needle():
    words = dict(_LC_PATTERNS)["phone_ctx"]
    seen = 0
    for text in _texts(words, 3000, 59):
        for m in sens._P.phone_ctx.finditer(text):
            span = m.group().lower()
            if "\u0131" in span or "\u017f" in span or len(span) != len(m.group()):
                continue  # the gate is off for such text (see detect_phone)
            seen += 1
            assert any(n in span for n in sens._PHONE_NEEDLES), m.group()
    assert seen > 1000


def test_placeholder_shapes_match_the_case_insensitive_patterns():
    words = ["...", "…", "<token>", "<a>b", "{x}", "{{ secrets.X }}", "${VAR}", "$(cmd)", "$HOME", "%(name)s", "%s",
             "%APPDATA%", "os.environ", "getenv", "process.env", "env(", "ENV[", "xenv(", "secrets.", "vault", "keyring",
             "xxxx", "XXXX", "***", "####", "•••", "MY_API_KEY", "My_Key", "A_B", "your", "EXAMPLE", "placeholder",
             "changeme", "change_me", "redacted", "dummy", "insert", "replace", "goes_here", "goeshere", "fake", "sample",
             "abc", "Q9", "\n", "%", "$", "<", ">", "{", "}"]
    checked = 0
    for v in _texts(words, 6000, 61):
        want = bool(sens._P.placeholder.search(v) or sens._P.placeholder_word.search(v))
        assert sens._placeholder_shape(v) == want, v
        checked += want
    assert checked > 2000


def test_hostname_windows_find_what_the_suffix_windows_find():
    suffixes = (".corp", ".internal")
    rx = sens._hostname_rx(suffixes)
    rng = random.Random(67)
    parts = ["build-01", "a", "b", "x1", ".", "-", "--", ".corp", ".CORP", ".internal", ".Internal", "corp", " ", "\n",
             "_", "é", "\u0131", "\u212a", "db", "us-east-1", "api.example.com", "/", ":8080", "x" * 40]
    found = 0
    for _ in range(4000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 40)))
        low = text.lower()
        if len(low) != len(text):
            continue
        needles = tuple(s.lower() for s in suffixes)
        windows = sens._windows(text, low, needles, 256, 2)
        want = [m.span() for m in sens._scan(rx, text, windows)]
        cut = sens._host_windows(text, low, needles, windows) if windows else []
        got = [m.span() for m in sens._scan(rx, text, cut)]
        assert got == want, text
        found += len(want)
    assert found > 1000


def test_case_windows_and_pem_end_lookup_match_the_plain_scans():
    rng = random.Random(71)
    parts = ["MII", "mii", "CAQ", "b3Bl", "B3BL", "-----END RSA PRIVATE KEY-----", "---- END  rsa private key ----",
             "END", "end", "-", "--", " ", "\t", "\n", "RSA", "PRIVATE", "KEY", "friend", "x", "İ", "é", "sk-", "AKIA"]
    needles = ("MII", "CAQ", "b3Bl")
    ends = 0
    for _ in range(4000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(0, 30)))
        assert sens._case_windows(text, needles, 4, 80) == sens._windows(text, text, needles, 4, 80), text
        pos = rng.randint(0, len(text))
        want = sens._pem_end_rx("RSA PRIVATE KEY").search(text, pos)
        got = sens._find_pem_end(text, "RSA PRIVATE KEY", pos)
        assert (got and got.span()) == (want and want.span()), (text, pos)
        ends += want is not None
    assert ends > 1000


def test_email_starts_are_those_of_the_window_scan():
    rng = random.Random(73)
    parts = ["jane", ".", "smith", "@", "gmail", ".com", "example.org", "x", "-", "+tag", "%", "_", " ", "\n", "a" * 30,
             "mailto:", "user:pw@", "https://", "é", "İ", "1", "..", "@@", ".de", "co", "b.c", "\u0131"]
    found = 0
    for _ in range(5000):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 40)))
        want = [m.span() for m in sens._scan(sens._P.email, text, sens._windows(text, text, ("@",), 70, 260))]
        assert [m.span() for m in sens._emails(text)] == want, text
        found += len(want)
    assert found > 500


def test_the_automaton_and_the_fallback_regex_find_the_same_needles():
    from hrouter.policy_model import SensitivityConfig

    sens.tag_sensitivity("warm up: register every needle", SensitivityConfig())
    assert sens._automaton() is not None  # ahocorasick_rs is a dependency
    words = sorted(sens._Needles.union)
    rng = random.Random(79)
    for _ in range(1500):
        text = "".join(rng.choice(words + [" ", "x", "é", "\n", "İ"]) for _ in range(rng.randint(0, 30)))
        low = text.lower()
        sens._Needles.cache = (None, -1, None, None)
        fast = sens._needle_hits(low)
        slow = sens._trie_hits(low) if low else {}
        assert fast == slow, text
    sens._Needles.cache = (None, -1, None, None)
    assert sens._needle_hits("a lone \ud800 surrogate: ssn") == sens._trie_hits("a lone \ud800 surrogate: ssn")


def test_long_texts_use_the_dfa_and_find_the_same_needles():
    from hrouter.policy_model import SensitivityConfig

    sens.tag_sensitivity("warm up: register every needle", SensitivityConfig())
    words = sorted(sens._Needles.union)
    rng = random.Random(89)
    for _ in range(40):
        text = "".join(rng.choice(words + [" ", "x", "é", "\n", "İ"]) for _ in range(rng.randint(900, 1500)))
        low = text.lower()
        assert len(low) >= sens._DFA_MIN
        assert sens._automaton(len(low)) is not sens._automaton(0)
        dfa = sens._automaton(len(low)).find_matches_as_indexes(low, overlapping=True)
        nfa = sens._automaton(0).find_matches_as_indexes(low, overlapping=True)
        assert sorted(dfa) == sorted(nfa) and len(nfa) > 100
        sens._Needles.cache = (None, -1, None, None)
        assert sens._needle_hits(low) == sens._trie_hits(low)


def test_one_for_one_folding_matches_the_per_run_normalisation():
    rng = random.Random(83)
    alphabet = list("ab1 -\n\t.@") + ["é", "«", "€", "\u2014", "\u2013", "\u00a0", "\u202f", "\uff10", "\uff21", "\u0663",
                                       "＠", "\x0b", "\u2800", "ß", "İ", "\u0131", "\u212a", "\u017f", "\u00bd", "\ufb01",
                                       "\u200b", "\u00ad", "e\u0301", "5\u20e3", "\x07", "\ud800", "\U0001d7d8", "\u0610"]
    fast = 0
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        norm, runs = sens._fold(text)
        slow_norm, slow_runs = sens._normalize_slow(text)
        assert norm == slow_norm, text
        if runs is None:
            fast += 1
            assert index_of(slow_norm, slow_runs) == list(range(len(text))), text  # offsets unchanged
    assert fast > 500


def test_context_free_expansions_map_offsets_like_the_per_run_normalisation():
    rng = random.Random(97)
    alphabet = list("ab1 -\n.@") + ["\u2026", "\ufb01", "\u00bd", "\u2474", "\u2019", "\u2014", "\uff10", "é", "ß",
                                      "\u3392", "\u2122", "\u0663", "\u00a0", "\u200b", "e\u0301", "\u2155"]
    fast = 0
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 25)))
        norm, runs = sens._fold(text)
        slow_norm, slow_runs = sens._normalize_slow(text)
        assert norm == slow_norm, text
        if runs is None:
            runs = [(0, 0, True)]
        mine = index_of(norm, runs)
        assert mine == index_of(slow_norm, slow_runs), text
        fast += any(not ident for _, _, ident in runs) and "\u200b" not in text and "\u0301" not in text
    assert fast > 500
    assert sens._fold("wait\u2026 the SSN") == ("wait... the SSN", [(0, 0, True), (4, 4, False), (7, 5, True)])


def test_the_fast_lower_case_copy_is_str_lower():
    rng = random.Random(101)
    alphabet = list("aZ1 -\n.@") + ["É", "é", "İ", "\u0131", "\u212a", "Σ", "ς", "ẞ", "ß", "Ⅻ", "Ａ", "\u0307", "Ω",
                                      "\ud800", "\U0001d400", "Ǆ", "ǅ", "ﬀ", "\u2019", "ДОМ"]
    for _ in range(4000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 30)))
        if text.isascii():
            continue
        assert sens._lower_unicode(text) == text.lower(), text


def index_of(norm, runs):
    ends = [r[0] for r in runs[1:]] + [len(norm)]
    return [os_ + k if ident else os_ for (ns, os_, ident), ne in zip(runs, ends) for k in range(ne - ns)]


def test_threads_tagging_different_prompts_get_the_sequential_results():
    import json
    import threading
    from pathlib import Path

    from hrouter.policy_model import SensitivityConfig

    sample = Path(__file__).parent / "data" / "sensitivity-sample.jsonl"
    prompts = [json.loads(line)["prompt"] for line in sample.read_text("utf-8").splitlines() if line.strip()]
    config = SensitivityConfig()

    def key(res):
        return res.tier, [(f.detector, f.start, f.end, f.masked) for f in res.findings], res.errors

    want = [key(sens.tag_sensitivity(p, config)) for p in prompts]
    got: dict[int, list] = {}

    def work(k: int) -> None:
        order = list(range(len(prompts)))
        random.Random(k).shuffle(order)
        got[k] = [(i, key(sens.tag_sensitivity(prompts[i], config))) for i in order * 2]

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for results in got.values():
        assert all(res == want[i] for i, res in results)


def test_the_split_amount_pattern_finds_an_amount_where_the_whole_one_does():
    words = ["$", "€", "£", "¥", " ", "\t", "12", "3.5", "1,000", "k", "M", "bn", "million", "billion", "Mio", "Mrd", "%",
             "x", "a", "_", "ARR", "\u0663"]
    for text in _texts(words, 5000, 89):
        want = bool(sens._P.fin_amount.search(text))
        assert bool(sens._P.fin_amount_sign.search(text) or sens._P.fin_amount_number.search(text)) == want, text


def test_byte_offsets_map_to_character_offsets():
    rng = random.Random(97)
    alphabet = ["a", "1", " ", "é", "€", "\U0001f600", "\ud800", "日本", "ß"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        data = text.encode("utf-8", "surrogatepass")
        bounds = sorted({len(text[:k].encode("utf-8", "surrogatepass")) for k in range(len(text) + 1)})
        offsets = sorted(rng.sample(bounds, min(len(bounds), 6)))
        want = [len(data[:o].decode("utf-8", "surrogatepass")) for o in offsets]
        assert sens._char_offsets(text, data, offsets) == want, (text, offsets)


def test_char_aligned_shapes_hold_one_byte_per_character():
    rng = random.Random(101)
    alphabet = ["a", "Z", "1", "0", " ", "+", "/", "-", "é", "€", "\U0001f600", "\ud800", "日本", "ß", "\u0663", "\n"]
    for table in (sens._CLUSTER_BYTES, sens._B64_BYTES, sens._ALNUM_BYTES, sens._UPPER_BYTES):
        for _ in range(1500):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
            sens._utf8.cache_clear()
            want = bytes(table[c.encode("utf-8", "surrogatepass")[0]] for c in text)  # each character's lead byte
            assert sens._shape(text, table) == want, text


def _random_windows(rng: random.Random, n: int) -> list[tuple[int, int]]:
    out, pos = [], rng.randint(0, 5)
    for _ in range(rng.randint(0, n)):
        s = pos + rng.randint(1, 12)
        e = s + rng.randint(1, 12)
        out.append((s, e))
        pos = e
    return out


def test_clip_is_the_intersection_of_two_window_lists():
    rng = random.Random(103)
    for _ in range(4000):
        a, b = _random_windows(rng, rng.choice([3, 12, 40])), _random_windows(rng, rng.choice([3, 12, 40]))
        want = [(max(s, t), min(e, u)) for s, e in a for t, u in b if max(s, t) < min(e, u)]
        assert sens._clip(a, b) == want, (a, b)
        assert sens._clip(b, a) == want, (a, b)
        assert sens._clip(list(a), b) == want  # a fresh list with the same windows


def test_window_merges_match_the_plain_loops(monkeypatch):
    rng = random.Random(107)
    for _ in range(3000):
        n = rng.randint(0, 300)
        clusters = sorted((s, s + rng.randint(1, 30), rng.randint(7, 16)) for s in rng.sample(range(0, 400), 12))
        digits, before, after = rng.randint(7, 16), rng.randint(0, 20), rng.randint(0, 20)
        want: list[tuple[int, int]] = []
        for s, e, d in clusters:  # the former loop
            if d < digits:
                continue
            s, e = max(0, s - before), min(n, e + after)
            if want and s <= want[-1][1] + 64:
                want[-1] = (want[-1][0], max(e, want[-1][1]))
            else:
                want.append((s, e))
        text = "x" * n
        monkeypatch.setattr(sens, "_digit_clusters", lambda t, c=clusters: c)
        sens._DIGIT_WINDOWS.clear()
        assert sens._digit_windows(text, digits, before, after) == want, (clusters, digits, before, after, n)
        found = [(w, sorted(rng.sample(range(0, max(1, n)), rng.randint(0, min(8, max(1, n)))))) for w in ("ab", "c", "defg")]
        spans = sorted((i - before, i + len(w) + after) for w, pos in found for i in pos)
        want = []
        for s, e in spans:
            s, e = max(0, s), min(n, e)
            if want and s <= want[-1][1]:
                want[-1] = (want[-1][0], max(e, want[-1][1]))
            else:
                want.append((s, e))
        assert sens._merge_windows(found, before, after, n) == want, (found, before, after, n)
    sens._DIGIT_WINDOWS.clear()


def test_memoised_mod97_table_is_the_incremental_one():
    for alnum in ("", "DE", "DE89370400440532013000", "GB82WEST12345698765432", "ZZ99ABC"):
        assert sens._mod97_table(alnum) == tuple(sens._mod97_prefixes(alnum))


def test_phi_names_a_sentence_by_the_first_overlapping_identifier():
    from hrouter.signals.detectors import contextual, phi

    rng = random.Random(109)
    sentences = ["Patient has diabetes. ", "She takes metformin 500 mg daily. ", "Nothing here. ", "Dx: asthma!\n",
                 "Blood pressure is high; ", "ICD-10 E11.9 noted. "]
    for _ in range(400):
        text = "".join(rng.choice(sentences) for _ in range(rng.randint(1, 12)))
        idents = []
        for _ in range(rng.randint(0, 10)):
            a = rng.randrange(len(text))
            idents.append((a, min(len(text), a + rng.randint(1, 40)), rng.choice(["ssn", "email", "phone", "iban"])))
        got = phi.detect_phi(text, idents)
        for ts, te, masked, verdict, context in got:
            s, e = contextual._sentence_of(text, ts)
            who = next((name for a, b, name in idents if a < e and s < b), "")  # the plain lookup
            if who:
                assert context.endswith("; " + who), (text, idents, context)
            else:
                assert context.endswith(("; patient name", "; name cue")), (text, idents, context)
