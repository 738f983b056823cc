"""Complexity scorer, round 2: explicit limits/targets/formats count in ``constraints``, and
code in the instruction is not math notation (hrouter.signals.complexity)."""

from __future__ import annotations

import pytest

from hrouter.policy_model import ComplexityConfig
from hrouter.signals.complexity import score_complexity

CFG = ComplexityConfig()
THRESHOLD = CFG.threshold


def comp(text: str, name: str) -> tuple[float, str]:
    c = score_complexity(text, CFG).components[name]
    return round(c.value, 4), c.detail


# --------------------------------------------------------------------------- constraints

def test_reported_failover_prompt_goes_to_the_cloud():
    text = "Design a multi-region active-active Postgres failover, under 200ms RPO, in under 500 words"
    r = score_complexity(text, CFG)
    c = r.components["constraints"]
    assert c.value == pytest.approx(0.5)
    assert c.detail == "seen: length limit: in under 500 words, target: under 200ms"
    assert r.score == pytest.approx(0.4037, abs=1e-4)
    assert r.score >= THRESHOLD


@pytest.mark.parametrize("text, value, detail", [
    # length limits (1 point each); the limiter is not counted a second time as "at most"
    ("Answer in at most 3 bullet points: why is the sky blue?", 0.25,
     "seen: length limit: in at most 3 bullet points"),
    ("Describe the plan in no more than 2 paragraphs.", 0.25, "seen: length limit: in no more than 2 paragraphs"),
    ("Explain photosynthesis in 100 words.", 0.25, "seen: length limit: in 100 words"),
    ("Answer with exactly 5 bullet points.", 0.25, "seen: length limit: with exactly 5 bullet points"),
    ("Write a 200-word summary of the French revolution.", 0.25, "seen: length limit: write a 200-word"),
    ("Give me a 3-sentence answer.", 0.25, "seen: length limit: give me a 3-sentence"),
    # numeric targets, SLOs, big-O bounds
    ("Build a service with 99.99% availability and p99 < 100ms.", 0.5,
     "seen: target: < 100ms, SLO: 99.99% availability"),
    ("Keep RPO of 5 minutes and RTO under 1 hour.", 0.5, "seen: SLO: rpo of 5 minutes, SLO: rto under 1 hour"),
    ("Our API must serve 10k req/s with p99 latency under 50 ms and 99.9% uptime.", 1.0,
     "seen: target: 10k req/s, target: under 50 ms, SLO: 99.9% uptime, must"),
    ("Sort the list in O(n log n) time without extra memory.", 0.5, "seen: big-O: in o(n log n), without"),
    ("Use O(1) space.", 0.25, "seen: big-O: o(1) space"),
    # formats (0.7; 1 with keys/fields/columns) and price caps (0.7)
    ("Return the result as a JSON object with keys name, age and city.", 0.25,
     "seen: format: as a json object with keys"),
    ("List them in a table with columns name and price.", 0.25, "seen: format: in a table with columns"),
    ("Put the data in a table.", 0.175, "seen: format: in a table (0.7)"),
    ("Write the answer in YAML.", 0.175, "seen: format: answer in yaml (0.7)"),
    ("Find a laptop under $1000.", 0.175, "seen: price cap: under $1000 (0.7)"),
    # German, French, Spanish
    ("Antworte in höchstens 100 Wörtern und als Tabelle.", 0.425,
     "seen: length limit: in höchstens 100 wörtern, format: als tabelle (0.7)"),
    ("Résume en moins de 200 mots, au format JSON.", 0.425,
     "seen: length limit: en moins de 200 mots, format: au format json (0.7)"),
    ("Responde en menos de 100 palabras, en una tabla.", 0.425,
     "seen: length limit: en menos de 100 palabras, format: en una tabla (0.7)"),
])
def test_explicit_limits_targets_and_formats(text, value, detail):
    assert comp(text, "constraints") == (pytest.approx(value), detail)


@pytest.mark.parametrize("text", [
    "My essay is under 500 words, can you fix the typos?",       # describes the material
    "I wrote 500 words about my trip; is the title good?",       # a word count in passing
    "Jared types 47 words per minute. How long does a 940-word essay take?",
    "How does a car engine work under the hood?",                # "under" without a number
    "What is the population of France in 2020?",                 # a plain question with a number
    "How many legs does a spider have, 6 or 8?",
    "How do I parse JSON in Python?",                            # a format named, not required
    "Turn this into a bullet list: milk, eggs, bread",           # the format is the task
    "Summarize in one line: the meeting is late.",               # brevity, not a constraint
])
def test_mentions_are_not_constraints(text):
    assert comp(text, "constraints") == (0.0, "none")


def test_latex_dollars_are_not_a_price():
    # "$15$" is LaTeX math: only the marker "less than" counts
    assert comp("Consider two positive integers less than $15$.", "constraints") == (
        pytest.approx(0.125), "seen: less than (0.5)")


def test_quoted_limits_are_content():
    assert comp('Translate: "Reply in under 50 words, as JSON."', "constraints") == (0.0, "none")


# --------------------------------------------------------------------------- math vs code

def test_reported_refactor_prompt_has_no_math():
    r = score_complexity("Refactor this: def f(x): return x*2 if x else None", CFG)
    assert (r.components["math"].value, r.components["math"].detail) == (0.0, "no math")
    assert r.components["code"].value == pytest.approx(0.5)
    assert r.components["code"].detail == "request: refactor; inline code: f(x)"
    assert r.score == pytest.approx(0.2)


@pytest.mark.parametrize("text", [
    "Why does this print None?\nresult = f(x) * 2\nprint(result)",
    "Fix this:\nif f(x) == 2: print(g(y))",
    "function add(a, b) { return a + b; } -- convert to an arrow function",
    "Simplify: def area(r): return 3.14 * r**2",
    "print(f(x)) returns None, why?",
    "What does `f(x) * 2` return?",
])
def test_code_is_not_math_notation(text):
    assert comp(text, "math") == (0.0, "no math")


@pytest.mark.parametrize("text, value, detail", [
    ("Let f(x) = 3x + 2. What is f(4)?", 0.4, "notation: algebra, function, symbols"),
    ("Given\ny = 3x^2 + 2x\nfind dy/dx", 0.4, "notation: power, symbols"),
    ("Compute gcd(12, 18) + 2^3.", 0.7, "terms: gcd (0.3); notation: power, function"),
    ("use induction to show 2^n > n for n >= 1", 0.9, "proof: induction (0.5); notation: power, symbols"),
])
def test_formulas_stay_math(text, value, detail):
    assert comp(text, "math") == (pytest.approx(value), detail)
