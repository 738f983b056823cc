"""Complexity scoring and token estimation (hrouter.signals.complexity / .tokens)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hrouter.policy_model import DEFAULT_WEIGHTS, ComplexityConfig
from hrouter.signals.complexity import COMPONENTS, FORMULA, score_complexity
from hrouter.signals.tokens import estimate_tokens

DATA = Path(__file__).resolve().parent / "data"
CFG = ComplexityConfig()
THRESHOLD = CFG.threshold

#: Measured accuracy of the default weights/threshold on tests/data/complexity-sample.jsonl
#: is 80/80 = 1.00; the floor leaves a small margin for tuning.
SAMPLE_ACCURACY_FLOOR = 0.95


def _load(name: str) -> list[dict]:
    with open(DATA / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def score(text: str, **kw) -> float:
    return score_complexity(text, CFG, **kw).score


def comp(text: str, name: str, **kw) -> float:
    return score_complexity(text, CFG, **kw).components[name].value


def tier(text: str, **kw) -> str:
    return "cloud" if score(text, **kw) >= THRESHOLD else "local"


# --------------------------------------------------------------------------- defaults and seeds

def test_defaults_match_components():
    assert THRESHOLD == 0.35
    assert set(DEFAULT_WEIGHTS) == set(COMPONENTS)
    assert DEFAULT_WEIGHTS == {"length": 0.2, "reasoning": 0.45, "code": 0.4, "math": 0.45,
                               "constraints": 0.4, "domain": 0.25, "multimodal": 0.5}
    assert "sum" in FORMULA and "weight" in FORMULA


def test_seed_prompts():
    seeds = {row["id"]: row["prompt"] for row in _load("seed-prompts.jsonl")}
    assert seeds["seed-1"] == "What is the capital of France?"
    s1 = score_complexity(seeds["seed-1"], CFG)
    assert s1.score < THRESHOLD
    assert s1.score == 0.0
    s3 = score_complexity(seeds["seed-3"], CFG)
    assert s3.score >= THRESHOLD
    assert s3.components["reasoning"].value == 1.0
    assert "compar" in s3.components["reasoning"].detail
    assert "step by step" in s3.components["reasoning"].detail
    assert "trade offs" in s3.components["reasoning"].detail


def test_result_shape():
    r = score_complexity("Compare X and Y step by step", CFG)
    assert list(r.components) == list(COMPONENTS)
    for name, c in r.components.items():
        assert 0.0 <= c.value <= 1.0
        assert c.weight == DEFAULT_WEIGHTS[name]
        assert isinstance(c.detail, str) and c.detail
    j = r.to_json()
    assert set(j["components"]) == set(COMPONENTS)
    # the score is the documented combination
    assert r.score == pytest.approx(min(1.0, sum(c.weight * c.value for c in r.components.values())))


# --------------------------------------------------------------------------- sample accuracy

def test_sample_accuracy():
    rows = _load("complexity-sample.jsonl")
    assert len(rows) == 80
    misses = []
    for row in rows:
        got = tier(row["prompt"])
        if got != row["expected_tier"]:
            misses.append((row["id"], row["expected_tier"], round(score(row["prompt"]), 3)))
    accuracy = 1 - len(misses) / len(rows)
    assert accuracy >= SAMPLE_ACCURACY_FLOOR, misses


@pytest.mark.parametrize("category", ["keyword_trap", "long_but_trivial", "short_but_hard", "multimodal",
                                      "long_context_analysis", "formal_proof", "multi_step_math"])
def test_sample_categories(category):
    rows = [r for r in _load("complexity-sample.jsonl") if r["category"] == category]
    assert rows
    for row in rows:
        assert tier(row["prompt"]) == row["expected_tier"], (row["id"], score(row["prompt"]))


def test_keyword_traps_stay_local():
    # a single marker on a very short, simple prompt is not enough
    for text in ("Analyze: is 'level' a palindrome?", "Synthesize a one-line birthday greeting for my coworker Dana.",
                 "Compare: is 5 bigger than 3?", "Justify the text to the left margin in Word.", "Why is the sky blue?",
                 "Explain recursion to a five-year-old.", "Analysiere: Ist 'Otto' ein Palindrom?", "¿Por qué?"):
        s = score(text)
        assert s < THRESHOLD, (text, s)
    # ... but a proof request is hard however short
    assert score("Prove that e is irrational.") >= THRESHOLD
    assert comp("Prove that e is irrational.", "math") == 1.0


def test_long_trivial_vs_long_analytical():
    rows = {r["id"]: r["prompt"] for r in _load("complexity-sample.jsonl")}
    lease_lookup = rows["long_but_trivial-05"]       # lease + "how much is the rent"
    lease_analysis = rows["long_context_analysis-05"]  # same lease + "which clauses are unfair, and why"
    assert estimate_tokens(lease_lookup) > 400
    assert score(lease_lookup) < THRESHOLD
    assert score(lease_analysis) >= THRESHOLD
    # the lease's own "must"/"without" are content, not constraints on the task
    assert comp(lease_lookup, "constraints") == 0.0
    # a long paste with a trivial instruction stays local
    story = ("The fox walked along the river every morning, watching the herons and counting boats. " * 15 + "\n\n") * 4
    assert score(story + "Summarize this story in three sentences.") < THRESHOLD
    assert comp(story + "Summarize this story in three sentences.", "length") > 0.3
    assert score(story + "Why does the fox count the boats, and what does it suggest about her? "
                         "Compare the first and last paragraphs.") >= THRESHOLD


# --------------------------------------------------------------------------- components fire / don't fire

COMPONENT_CASES = {
    "length": (("word " * 3000).strip(), "What is the capital of France?"),
    "reasoning": ("Compare the trade-offs of A and B step by step.", "What is the capital of France?"),
    "code": ("Write a Python function that parses ISO dates.", "Write a haiku about autumn."),
    "math": ("Prove that there are infinitely many primes.", "Tell me a joke about cats."),
    "constraints": ("Plan a menu with at least 3 courses, at most 800 kcal, without nuts.", "Plan a menu."),
    "domain": ("How does a lock-free queue avoid race conditions?", "How does a bicycle stay upright?"),
    "multimodal": ("What is in the picture I uploaded?", "Generate an image of a cat."),
}


@pytest.mark.parametrize("name", COMPONENTS)
def test_component_fires_on_positive_not_negative(name):
    positive, negative = COMPONENT_CASES[name]
    pos = score_complexity(positive, CFG).components[name]
    neg = score_complexity(negative, CFG).components[name]
    assert pos.value > 0.0, (name, pos)
    assert neg.value == 0.0, (name, neg)
    assert pos.detail != neg.detail


def test_length_scale():
    assert comp("hi", "length") == 0.0
    assert comp("x", "length", tokens=64) == 0.0
    assert comp("x", "length", tokens=8192) == 1.0
    assert comp("x", "length", tokens=100_000) == 1.0
    assert comp("x", "length", tokens=1024) == pytest.approx(4 / 7)  # ln(16)/ln(128)
    r = score_complexity("x", CFG, tokens=1024)
    assert r.components["length"].detail == "~1024 tokens"
    # length alone never reaches the threshold
    assert r.score < THRESHOLD


def test_reasoning_markers_in_other_languages():
    assert comp("Vergleiche die Vor- und Nachteile von Kernkraft und Windenergie Schritt für Schritt.", "reasoning") >= 0.8
    assert comp("Compare les avantages et inconvénients du télétravail et justifie ta réponse.", "reasoning") == 1.0
    assert comp("Compara las ventajas y desventajas de la energía solar paso a paso.", "reasoning") == 1.0
    assert comp("比较Python和Go在并发方面的优缺点。", "reasoning") == 1.0
    for text in ("Vergleiche die Vor- und Nachteile von Kernkraft und Windenergie Schritt für Schritt.",
                 "Compare les avantages et inconvénients du télétravail et justifie ta réponse.",
                 "Beweise, dass es unendlich viele Primzahlen gibt.", "Demuestra que la raíz cuadrada de 2 es irracional.",
                 "证明根号2是无理数。", "Was ist auf diesem Bild zu sehen?", "¿Qué hay en esta imagen?"):
        assert tier(text) == "cloud", text
    for text in ("Wie viele Beine hat eine Spinne?", "Quelle est la capitale de l'Australie ?",
                 "¿Cuántos días tiene un año bisiesto?", "Warum ist die Banane krumm?", "Pourquoi le ciel est-il bleu ?",
                 "一周有几天？", "Привет! Как дела?"):
        assert tier(text) == "local", text


def test_code_component():
    simple = score_complexity("Write a JavaScript function that returns the larger of two numbers.", CFG)
    assert simple.components["code"].value == pytest.approx(0.35 + 0.3 * simple.components["domain"].value)
    assert simple.score < THRESHOLD
    fenced = "Why does this loop never end?\n```python\nwhile i < 10:\n    print(i)\n```"
    r = score_complexity(fenced, CFG)
    assert "code block" in r.components["code"].detail
    assert r.score >= THRESHOLD  # code + a question about it
    trace = ('Traceback (most recent call last):\n  File "app.py", line 3, in <module>\n    main()\n'
             "KeyError: 'id'\nWhat is wrong?")
    assert "stack trace" in score_complexity(trace, CFG).components["code"].detail
    assert comp("Implement a thread-safe LRU cache in Java with O(1) get and put.", "code") >= 0.8
    assert tier("Write a lock-free multi-producer multi-consumer queue in C++.") == "cloud"


def test_math_component():
    r = score_complexity("A shop raises a price by 20%, then gives 15% off, then adds 8% tax. The final price is "
                         "$55.08. What was the original price?", CFG)
    assert "word problem" in r.components["math"].detail
    assert r.score >= THRESHOLD
    # one-step conversions and lookups with numbers are not word problems
    assert comp("Convert 60 mph to km/h.", "math") == 0.0
    assert comp("What is 15% of 80?", "math") == 0.0
    assert comp("Bus 42 leaves at 07:15, 08:05 and 09:40. When is the first bus after 08:00?", "math") == 0.0
    assert tier("What is the square root of 81?") == "local"
    assert tier("Find all positive integers n such that n divides 2^n - 1.") == "cloud"


def test_constraints_component():
    many = ("Plan a 5-day trip for two vegetarians with a budget of $3,000 excluding flights, at most 3 hours "
            "of travel per day, and at least one museum.")
    r = score_complexity(many, CFG)
    assert r.components["constraints"].value == 1.0
    assert "at most" in r.components["constraints"].detail
    assert r.score >= THRESHOLD
    one = score_complexity("Write a Python function that sums a list of numbers without using sum().", CFG)
    assert one.components["constraints"].value == pytest.approx(0.25)
    assert one.score < THRESHOLD
    numbered = "Requirements:\n1. Use Go.\n2. No globals.\n3. Log every request."
    assert "3 numbered items" in score_complexity(numbered, CFG).components["constraints"].detail


def test_multimodal_component():
    plain = "What is the capital of France?"
    assert score(plain) < THRESHOLD
    with_image = score_complexity(plain, CFG, images=1)
    assert with_image.components["multimodal"].value == 1.0
    assert with_image.components["multimodal"].detail == "1 image attached"
    assert with_image.score >= THRESHOLD
    assert comp(plain, "multimodal", images=3) == 1.0
    for text in ("[image attached: receipt.jpg] What's the total?", "Write alt text for IMG_2041.png",
                 "What breed is the dog in the picture I uploaded?", "Here is a screenshot of my error.",
                 "Describe this photo.", "Was ist auf diesem Bild zu sehen?", "Que montre cette image ?"):
        assert comp(text, "multimodal") == 0.8, text
        assert tier(text) == "cloud", text
    for text in ("Generate an image of a cat.", "Write a poem about pictures and memories.", "What is a PNG file?"):
        assert comp(text, "multimodal") == 0.0, text


# --------------------------------------------------------------------------- matching rules

def test_word_boundaries():
    assert comp("why", "reasoning") > 0
    for text in ("Mr Whyte", "whys and wherefores", "a comparator? no: comparable", "explainer"):
        r = score_complexity(text, CFG).components["reasoning"]
        assert "why" not in r.detail, text
    assert comp("Mr Whyte is here", "reasoning") == 0.0
    # "analy*" is a prefix marker on purpose, but prefixes don't match inside words
    assert comp("psychoanalysis", "reasoning") == 0.0
    assert comp("must", "constraints") > 0 and comp("mustard", "constraints") == 0.0


@pytest.mark.parametrize("text", ["Step by step, please.", "step-by-step please", "STEP BY STEP please",
                                  "step -- by -- step please", "step, by, step please", "step\nby\nstep please"])
def test_phrase_punctuation_ignored(text):
    r = score_complexity(text, CFG).components["reasoning"]
    assert "step by step" in r.detail
    assert r.value == pytest.approx(0.3)  # 0.6 points / 2


def test_trade_offs_spellings():
    for text in ("trade-offs", "trade offs", "tradeoffs", "Trade-off"):
        assert comp(f"What are the {text}?", "reasoning") == pytest.approx(0.5), text


def test_quoted_material_is_not_instruction():
    assert comp("Translate into German: 'Why should we compare the trade-offs step by step?'", "reasoning") == 0.0
    assert comp('Fix the grammar: "He must goes there without no money."', "constraints") == 0.0
    # a prompt that is one quotation as a whole is its own instruction
    assert comp("'Why do we compare trade-offs?'", "reasoning") > 0


# --------------------------------------------------------------------------- weights

def test_weight_zero_disables_component():
    cfg = ComplexityConfig(weights={**DEFAULT_WEIGHTS, "multimodal": 0.0})
    r = score_complexity("What is the capital of France?", cfg, images=1)
    assert r.components["multimodal"].value == 1.0
    assert r.components["multimodal"].weight == 0.0
    assert r.score == 0.0
    cfg = ComplexityConfig(weights={**DEFAULT_WEIGHTS, "math": 0.0})
    assert score_complexity("Prove that e is irrational.", cfg).score == 0.0


def test_weights_scale_score_linearly():
    text = "Analyze: is 'level' a palindrome?"
    base = score_complexity(text, CFG)
    assert base.score == pytest.approx(0.45 * 0.3)
    double = score_complexity(text, ComplexityConfig(weights={**DEFAULT_WEIGHTS, "reasoning": 0.9}))
    assert double.score == pytest.approx(2 * base.score)
    assert double.components["reasoning"].weight == 0.9


def test_missing_and_unknown_weights():
    text = "Compare the architectural trade-offs between transformer and SSM-based models step by step"
    full = score_complexity(text, CFG)
    partial = score_complexity(text, ComplexityConfig(weights={"reasoning": 0.45}))
    assert partial.score == pytest.approx(full.score)  # missing names fall back to the defaults
    unknown = score_complexity(text, ComplexityConfig(weights={**DEFAULT_WEIGHTS, "vibes": 5.0}))
    assert unknown.score == pytest.approx(full.score)
    assert "vibes" not in unknown.components


def test_score_always_in_unit_interval():
    rows = _load("complexity-sample.jsonl")
    heavy = ComplexityConfig(weights={k: 10.0 for k in DEFAULT_WEIGHTS})
    texts = [r["prompt"] for r in rows] + ["", " ", "\n\n\n", "'", '"', "```", "😀" * 50, "a" * 20_000,
                                           "why " * 5000, "1 2 3 % $ then " * 300]
    for text in texts:
        for cfg in (CFG, heavy):
            for images in (0, 2):
                r = score_complexity(text, cfg, images=images)
                assert 0.0 <= r.score <= 1.0
                assert all(0.0 <= c.value <= 1.0 for c in r.components.values())
    assert score_complexity(rows[4]["prompt"], heavy).score == 1.0
    assert score_complexity("", CFG).score == 0.0


def test_tokens_argument_used_for_length():
    assert comp("hi", "length", tokens=8192) == 1.0
    assert comp("word " * 5000, "length", tokens=10) == 0.0


# --------------------------------------------------------------------------- speed

def _ms_per_call(text: str, n: int) -> float:
    score_complexity(text, CFG)
    t0 = time.process_time()
    for _ in range(n):
        score_complexity(text, CFG)
    return (time.process_time() - t0) / n * 1000


def test_speed():
    # measured ~0.04 ms (short) and ~2 ms (16k chars); bounds are loose for slow CI machines
    assert _ms_per_call("What is the capital of France?", 200) < 1.0
    rows = _load("complexity-sample.jsonl")
    big = "\n\n".join(r["prompt"] for r in rows)[:16_000]
    assert _ms_per_call(big, 10) < 25.0


# --------------------------------------------------------------------------- estimate_tokens

def test_estimate_tokens_empty_and_tiny():
    assert estimate_tokens("") == 0
    assert estimate_tokens("hi") == 1
    assert estimate_tokens("What is the capital of France?") == 7  # cl100k: 7


def test_estimate_tokens_english_about_chars_over_4():
    rows = _load("complexity-sample.jsonl")
    story = next(r["prompt"] for r in rows if r["id"] == "long_but_trivial-02")
    ratio = len(story) / estimate_tokens(story)
    assert 3.4 <= ratio <= 4.8, ratio
    prose = "The quick brown fox jumps over the lazy dog while the farmer watches from the porch. " * 50
    assert estimate_tokens(prose) == pytest.approx(len(prose) / 4, rel=0.2)


def test_estimate_tokens_cjk_per_character():
    assert estimate_tokens("一周有几天") == 5
    assert estimate_tokens("一周有几天？") == 6
    text = "天空为什么是蓝色的" * 100  # 900 CJK characters
    assert estimate_tokens(text) == 900
    assert estimate_tokens("こんにちは") == 5
    assert estimate_tokens("안녕하세요") == 5


def test_estimate_tokens_other_inputs():
    assert estimate_tokens("1234567") == 3  # digits in groups of <= 3
    assert estimate_tokens("Привет") == 2  # 6 Cyrillic letters / 2.5
    code = "def f(x):\n    return x + 1\n"
    assert 8 <= estimate_tokens(code) <= 16
    assert estimate_tokens("a b c d e") == 5  # at least one token per word
    many = "word " * 1000
    assert estimate_tokens(many) == pytest.approx(1000, rel=0.1)  # one token per common word


def test_estimate_tokens_speed_100k():
    text = ("Hello, world! Ünïcödé 中文 1234 code_here(x) => {}\n" * 2500)[:100_000]
    estimate_tokens(text)
    t0 = time.process_time()
    for _ in range(5):
        n = estimate_tokens(text)
    per_call_ms = (time.process_time() - t0) / 5 * 1000
    assert n > 20_000
    assert per_call_ms < 30.0  # measured ~2-4 ms
