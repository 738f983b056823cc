"""PHI and salary pairing on text without sentence breaks stays linear, and the PHI cues
that a security review found wrong: "referral" and error codes as clinical vocabulary (false
positives), a name with an age or a patient label (leaks)."""

from __future__ import annotations

import random
import time
from bisect import bisect_right

import pytest

from hrouter.policy_model import SensitivityConfig
from hrouter.signals.sensitivity import tag_sensitivity


def _detectors(text: str) -> set[str]:
    return {f.detector for f in tag_sensitivity(text, SensitivityConfig()).findings}


def _gen(kind: str, size: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    if kind == "same_icd":
        return " ".join(["E11.9"] * (size // 6))
    out, n = [], 0
    while n < size:
        if kind == "icd":
            w = "E%02d.%d" % (rng.randrange(100), rng.randrange(10))
        elif kind == "phi":
            w = rng.choice("John Mary Carter Smith Lee diagnosed with E11.9 diabetes".split())
        else:
            w = rng.choice("John Carter earns $5 salary Mary k".split())
        out.append(w)
        n += len(w) + 1
    return " ".join(out)


def _best_time(text: str, runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        tag_sensitivity(text, SensitivityConfig())
        best = min(best, time.process_time() - t0)
    return best


# --- 1. linear time -------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["same_icd", "icd", "phi", "salary"])
def test_no_sentence_breaks_scale_linearly(kind):
    small, large = _gen(kind, 20_000), _gen(kind, 100_000)
    tag_sensitivity(small[:200], SensitivityConfig())  # compile the patterns first
    t_small, t_large = _best_time(small), _best_time(large)
    # linear: ~5x; quadratic was ~25x. Generous slack for a shared machine.
    assert t_large < 12 * t_small + 0.05, (kind, t_small, t_large)
    assert t_large < 3.0, (kind, t_large)  # was 3-17 s before the fix


@pytest.mark.parametrize("kind", ["same_icd", "icd", "phi", "salary"])
def test_pairing_reads_each_character_a_bounded_number_of_times(kind, monkeypatch):
    from hrouter.signals.detectors import contextual, phi

    text = _gen(kind, 60_000)
    seen: dict[tuple[int, int], int] = {}
    real = contextual.sentence_window

    def counting(t, i, spans=None):
        span = real(t, i, spans)
        seen[span] = seen.get(span, 0) + 1
        return span

    monkeypatch.setattr(contextual, "sentence_window", counting)
    monkeypatch.setattr(phi, "sentence_window", counting)
    tag_sensitivity(text, SensitivityConfig())
    assert seen
    # each distinct window is worked on once; together they cover the text about three times
    assert sum(b - a for a, b in seen) < 4 * len(text), kind
    assert max(b - a for a, b in seen) < 1000


def test_long_text_findings_still_right():
    filler = " ".join(["lorem ipsum dolor sit amet"] * 800)  # ~22 KB, no sentence end
    assert "phi" in _detectors(filler + " John Smith was diagnosed with diabetes " + filler)
    assert "phi" in _detectors(filler + " Patient John Smith has E11.9 " + filler)
    # a name and a diagnosis kilobytes apart are not "one sentence"
    assert "phi" not in _detectors("John Smith " + filler + " diagnosed with diabetes")
    assert "salary" in _detectors(filler + " John Carter earns $120k a year " + filler)
    assert "salary" not in _detectors("John Carter " + filler + " earns $120k")
    # the random break-less PHI text has name + diagnosis pairs throughout
    assert "phi" in _detectors(_gen("phi", 100_000))
    assert "salary" in _detectors(_gen("salary", 100_000))


def test_window_is_the_sentence_for_normal_text_and_agrees_with_the_split():
    from hrouter.signals.detectors import contextual

    rng = random.Random(5)
    parts = ["Mr.", "Dr. Smith", "word", " ", "  ", ".", ". ", "\n", "!", "? ", ";", "1.5", "E11.9", "a", "é."]
    for _ in range(1500):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 60)))
        if rng.random() < 0.2:
            text = text.replace(". ", "  ").replace("\n", " ") * rng.randint(20, 80)
        spans = contextual._split_sentences(text)
        out, starts = spans
        for i in range(0, len(text), max(1, len(text) // 40)):
            local = contextual.sentence_window(text, i)
            assert local == contextual.sentence_window(text, i, spans), (text, i)
            s, e = out[max(bisect_right(starts, i) - 1, 0)]
            if e - s <= contextual._WIN_LIMIT:
                assert local == (s, e), (text, i)
            else:
                assert s <= local[0] <= i < local[1] <= e, (text, i, local)
                assert local[1] - local[0] <= 3 * contextual._WIN_CHUNK + 2 * contextual._WIN_SNAP
                # every position of a chunk gets the same window
                k = i // contextual._WIN_CHUNK
                j = min(max(s, k * contextual._WIN_CHUNK), len(text) - 1)
                if s <= j < e:
                    assert contextual.sentence_window(text, j) == local, (text, i, j)


# --- 2. false positives ---------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "Mozilla Firefox referral traffic",
    "John Smith sent a referral",
    "Traffic from [Product Hunt](https://example.com/launch?utm_source=ph&utm_medium=referral) doubled.",
    "Linter error F32.1 in Python Flake",
    "Error code E11.9 in Samsung Washer",
    "Ruff rule E11.9 fires in Acme Tools",
    "Explain ICD-10 code F32.1 in plain words.",
    "How does metformin work?",
])
def test_not_phi(text):
    assert "phi" not in _detectors(text)


@pytest.mark.parametrize("text", [
    "Write a referral letter: Oliver Osei, 78, diagnosed with major depressive disorder.",
    "Referral for John Smith to cardiology, history of stroke",
    "Mr. Brown was given a referral to oncology",
    "John Smith was diagnosed with E11.9",
    "ICD-10 code E11.9 for John Smith",
    "Diagnosis code F32.1 recorded for Maria Lopez",
    "Maria Lopez has E11.9",
])
def test_still_phi(text):
    assert "phi" in _detectors(text)


# --- 3. leaks -------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "John Carter, 54, HIV positive, on Biktarvy",
    "Il paziente Mario Rossi ha il diabete",
    "Patient: John Smith, diabetes type 2",
    "Maria Lopez (45) has depression",
    "Hans Müller, 67 Jahre, Diabetes",
])
def test_name_with_age_or_patient_label_and_condition_is_phi(text):
    assert "phi" in _detectors(text)


@pytest.mark.parametrize("text", [
    "John Carter wrote a book about HIV",               # a name and a condition, no age, no patient cue
    "Il paziente ha il diabete: cosa mangiare?",        # a patient word, no name
    "Patient: Major Depression overview",               # a label with clinical words, not a name
    "Diabetes affects 54 million people in Europe",     # a number, no name
    "Mario Rossi, 54, lives in Rome",                   # a name and an age, nothing clinical
])
def test_no_leak_fix_false_positives(text):
    assert "phi" not in _detectors(text)
