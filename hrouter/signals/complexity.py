"""Task-complexity score of a prompt: simple prompts stay on the small local model, hard
ones go to the capable (cloud) model.

Formula
-------
Each named component has a value ``v`` in [0, 1] (how strongly the prompt shows that kind
of difficulty) and a weight ``w`` from ``complexity.weights`` in the policy::

    score = min(1, sum(w * v over the components))

With the default weights (:data:`hrouter.policy_model.DEFAULT_WEIGHTS`) and threshold 0.35,
a component whose weight is at or above the threshold can send a prompt to the capable
backend on its own when its value is near 1 (``reasoning`` 0.45, ``math`` 0.45, ``code``
0.4, ``constraints`` 0.4, ``multimodal`` 0.5); ``length`` (0.2) and ``domain`` (0.25) only
add to the others. A weight of 0 switches a component off; raising one makes that kind of
difficulty count more. Weights missing from the policy fall back to ``DEFAULT_WEIGHTS``;
names that are not components (see :data:`COMPONENTS`) are ignored.

Components (marker "points" are summed, then scaled and capped at 1)
---------------------------------------------------------------------
- ``length``: estimated input tokens ``t`` (:func:`hrouter.signals.tokens.estimate_tokens`,
  or the caller's count) on a log scale, ``ln(t / 64) / ln(8192 / 64)``: 0 up to 64 tokens,
  1 at 8192 tokens (a small local model's usual context). Length alone never reaches the
  threshold: long-but-trivial pastes (a story to summarise, a list to sort) stay local.
- ``reasoning``: analytical markers in EN/DE/FR/ES (and a few Chinese/Japanese/Korean):
  strong 1 point ("compare", "trade-offs", "justify", "reconcile", "evaluate", ...),
  medium 0.6 ("why", "explain", "analyze", "step by step", "cause", "evidence", ...), weak
  0.35 ("suggest", "plan", "estimate", ...); each distinct marker counts once, and an
  enumeration of 3+ aspects ("consistency, failover and cost") next to a marker adds 0.5.
  ``v = min(1, points / 2 * (1 + material))``, where ``material`` is the length value, or
  0.5 when the prompt holds code: markers weigh more when there is something to reason
  over. One marker alone stays below the threshold (keyword traps such as "Analyze: is
  'level' a palindrome?"); two strong-ish ones, or one over a long context, cross it.
- ``code``: a request to write, implement or design software (0.35, plus 0.3 x the
  ``domain`` value: a specialist topic makes the program harder), code in the prompt
  (fences or code-like lines: 0.15-0.45; inline identifiers 0.15), stack traces (0.4),
  debugging words next to code (0.2), and requirements in the request sentence (0.1 per
  comma/"and"/"with"..., up to 0.3).
- ``math``: proof requests ("prove", "show that", "if and only if": 0.8-1), mathematical
  vocabulary (0.3 per advanced term such as "bipartite", "integers", "standard deviation";
  0.15 per elementary one such as "prime", "square root"), notation (``2^n``, ``6k + 5``,
  ``K_n``, ``O(n log n)``, math symbols: up to 0.4) and multi-step word problems (2+
  quantities and 2+ arithmetic cues such as %, $, ratio, "then", "per", "total", 5+ of
  them together, and a "how many / how much / what was" question:
  ``min(1, 0.15 x quantities + 0.1 x cues)``; clock times, dates and years are not
  quantities). Notation and word problems are skipped when the prompt holds code, and code
  inside the instruction is not notation: `inline code`, a definition from its signature on
  (``def f(x): return x*2``), a lambda, and code lines (``result = f(x) * 2``,
  ``if f(x) == 2: print(g(y))``) are left out; ``f(x) = 3x + 2`` stays math.
- ``constraints``: explicit constraints, each occurrence counted: "at least", "at most",
  "no more than", "must", "without", "excluding", "budget", "deadline" (1 point), "except",
  "exactly", "limit" (0.7), "should", "up to", "avoid" (0.5), numbered requirement lines
  (0.4 each) and bullets (0.25 each); limits on the answer and numbers to meet (1 point
  each): length limits ("in under 500 words", "at most 3 bullet points", "no more than 2
  paragraphs", "in 100 words", "write a 200-word ...", "in höchstens 100 Wörtern", "en moins
  de 200 mots", "en menos de 100 palabras"; a limit of one line/sentence/word is brevity and
  doesn't count), numeric targets ("under 200ms", "at least 16 GB", "10k req/s"), SLOs ("RPO of
  5 minutes", "99.99% availability", "p99 < 100ms") and big-O bounds ("in O(n log n)",
  "O(1) space"); output formats ("as JSON", "in a table", "als Tabelle", "en una tabla": 0.7,
  1 with keys/fields/columns) and price caps ("under $1000": 0.7). The limiter word of such a
  match is not counted again as a marker ("at most"); described material ("the essay is under
  500 words", "a 940-word essay", "47 words per minute") is no limit.
  ``v = min(1, points / 4)``: four or more interacting constraints reach the threshold on
  their own.
- ``domain``: specialist vocabulary (concurrency, distributed systems, algorithms, security,
  ML, sciences, medicine, economics, law, philosophy: 1 point per advanced term, 0.5 per
  common one) and CamelCase identifiers (0.5 each, up to 1); ``v = min(1, points / 3)``.
- ``multimodal``: 1 when images are attached (``images > 0``); 0.8 when the text refers to
  an attached image ("[image: x.png]", "the picture I uploaded", "this screenshot", "esta
  imagen", "dieses Bild").

Where markers count
-------------------
Words are matched whole and case-insensitively (``whyte`` is not ``why``); punctuation
between the words of a phrase is ignored (``step-by-step`` = ``step by step``). Only the
instruction is read for markers. Quoted material (``'...'``, ``"..."``, curly quotes,
guillemets) is content to work on, so its words are skipped unless the whole prompt is one
quotation. In a long prompt (> 1200 characters) the instruction is the first paragraph (if
short) and the last paragraph; the pasted material between them counts through ``length``
and code detection only, so a contract's "must" or a story's "why" don't make the task hard.

Speed: precompiled regexes guarded by cheap substring checks, and a dictionary matcher
over the instruction's words; no heavy imports. About 0.05-0.2 ms for a short prompt and
a few ms for 16k characters.
"""

from __future__ import annotations

import math
import re

from hrouter.policy_model import DEFAULT_WEIGHTS, ComplexityConfig
from hrouter.signals import Component, ComplexityResult, LazyRx
from hrouter.signals.tokens import estimate_tokens

#: Component names, in display order.
COMPONENTS: tuple[str, ...] = ("length", "reasoning", "code", "math", "constraints", "domain", "multimodal")

#: The combination rule in one sentence, for ``explain`` output.
FORMULA = "min(1, sum of weight x value over the components), each value in [0, 1]"

_LEN_MIN_TOKENS = 64      # length value 0 at or below this many tokens
_LEN_MAX_TOKENS = 8192    # length value 1 at or above
_LONG_PROMPT_CHARS = 1200  # above this, only the first/last paragraphs are the instruction
_HEAD_PARA_CHARS = 400     # a first paragraph up to this long is part of the instruction
_TAIL_LINE_CHARS = 600     # fallback instruction size when the last paragraph is huge

# --------------------------------------------------------------------------- lexicons
# One entry per line: "<strength>: phrase | phrase | ...". A phrase is words separated by
# spaces; a trailing "*" on a word matches any word starting with it. Strength 0 entries
# are stop phrases: they consume their words so a shorter entry doesn't match inside them.

_REASONING = """
1.0: think through | think carefully | compar* | contrast* | trade off* | tradeoff*
1.0: pros and cons | advantages and disadvantages | strengths and weaknesses | justif* | reconcil*
1.0: critic* | evalu* | assess* | root cause* | in depth | rigorous* | counterargument*
1.0: counter argument* | first principles | devil s advocate | cost benefit | show your reasoning
1.0: show your work | show your working
0.8: difference between | differences between | distinguish between | implication* | consequence*
0.8: both sides | on the one hand
0.8: what would happen | what happens if | what if
0.6: step by step | why | explain* | explan* | analy* | reasoning | reason about | cause | causes | caused
0.6: causal* | conflict* | verif* | inconsisten* | discrepanc* | contradict* | diagnos*
0.6: interpret* | argue | argued | arguing | recommend* | synthesi* | into account | impact*
0.6: mechanism* | evidence | optimi* | strateg* | best approach | under what conditions | debate*
0.6: hypothes* | predict* | deduce | infer | inference | investigate | troubleshoot* | choose between
0.6: in what order | detailed | in detail | mitigat* | which is better | versus | vs | assumption* | generali* | how would you | ethic* | moral*
0.5: discuss* | prioriti* | is it worth
0.35: suggest* | plan | planning | estimate | elaborate | review | likely | decide | design | should i
0.35: consider | considering | conclusion | improve* | long term
0: compare and contrast
# German
0.6: schritt für schritt
1.0: vergleich* | gegenüberstell* | vor und nachteile | abwäg* | begründ*
1.0: zielkonflikt*
0.8: bewert* | beurteil* | kritisch* | unterschied*
0.6: warum | wieso | weshalb | erklär* | ursache* | widerspr*
0.5: diskutier* | empfehl*
# French
0.6: étape par étape | pas à pas
1.0: avantages et inconvénients | en profondeur | approfondi*
0.8: compromis | évalu* | différence entre | différences entre
0.6: pourquoi | expliqu* | raisonn*
0.5: recommand* | discut*
# Spanish / Portuguese
0.6: paso a paso | passo a passo
1.0: ventajas y desventajas | pros y contras | en profundidad | a fondo
0.8: evalú* | crític* | diferencia entre | diferencias entre
0.6: por qué | porqué | explica* | analiz* | causa | causas | contradic* | razona*
0.5: recomiend* | recomend*
"""

# Substring markers for scripts written without spaces (checked only if such text is present).
_REASONING_CJK = {
    "一步一步": 0.6, "逐步": 0.6, "比较": 1.0, "比較": 1.0, "对比": 1.0, "權衡": 1.0, "权衡": 1.0,
    "利弊": 1.0, "优缺点": 1.0, "評価": 0.8, "评估": 0.8, "为什么": 0.6, "為什麼": 0.6, "なぜ": 0.6,
    "解释": 0.6, "解釋": 0.6, "説明": 0.6, "分析": 0.6, "비교": 1.0, "왜": 0.6, "설명": 0.6,
}
_PROOF_CJK = {"证明": 1.0, "證明": 1.0, "証明": 1.0, "증명": 1.0}

_CONSTRAINTS = """
1.0: at least | at most | no more than | no less than | not more than | not exceed* | must | must not
1.0: mustn t | without | excluding | budget* | deadline* | in time for | no later than | at the latest
1.0: constraint* | mandatory
0.7: fewer than | except | never | exactly | cap | capped | caps | limit | limited to | maximum | minimum
0.7: requirement* | required | only if | unless | while keeping | has to | have to
0.5: more than | less than | up to | within | should | shouldn t | always | max | ensure* | make sure
0.5: do not | don t | avoid* | given that | the goal is | target
# German
1.0: mindestens | höchstens | muss | müssen | darf nicht | dürfen nicht | ohne | nicht mehr als
1.0: spätestens
0.7: maximal | minimal | außer | niemals | bedingung* | anforderung*
0.5: genau | sollte | sollen | vermeide*
# French
1.0: au moins | au plus | au maximum | au minimum | pas plus de | doit | doivent | sans | au plus tard
1.0: contrainte*
0.7: sauf | exactement | jamais | exigence*
0.5: il faut | éviter | évite*
# Spanish
1.0: al menos | como máximo | como mínimo | no más de | debe | deben | presupuesto | a más tardar
1.0: restricci*
0.7: sin | excepto | exactamente | nunca | máximo | mínimo | requisito*
0.5: evitar
"""

_PROOF = """
1.0: prove | prove that | if and only if | beweis* | genau dann wenn | démontr* | prouv*
1.0: si et seulement si | demuestr* | demostr* | si y solo si | dimostr*
0.8: proof | show that | derive | by induction | by contradiction | iff | zeige dass
0.8: zeigen sie dass | herleit* | montrer que | montrez que | prueba que
0.6: demonstrate that | derivation | lemma | formally
0.5: theorem | induction
0: proof of concept | proof read* | derive from | derived from | prove me wrong | prove you
"""

_MATH_TERMS = """
0.3: integer* | divisib* | divides | divisor* | irrational | rational number* | real number*
0.3: matrices | determinant* | eigen* | vector space* | polynomial* | derivative* | integral*
0.3: differentiab* | converge* | divergen* | probabilit* | expected value | expected number
0.3: variance | standard deviation* | z score* | regression | bipartite | vertex | vertices
0.3: modulo | modular | congruen* | gcd | lcm | permutation* | combinatori* | inequalit*
0.3: logarithm* | asymptot* | infinitely many | finitely many | monochromatic | colouring | coloring
0.3: isomorph* | topolog* | manifold* | homomorph* | recurrence* | n log n | such that | find all
0.3: there exist* | how many ways | non negative | nonnegative | number of solutions | how many solutions
0.3: random variable* | coin flip* | coin toss* | dice | generating function*
0.15: prime | primes | matrix | median | graph | graphs | edges | factorial | equation* | exponential
0.15: square root | cube root | smallest | largest
0.3: ganzzahl* | teilbar* | ableitung* | wahrscheinlichkeit* | ungleichung* | entier* | dérivée*
0.3: intégrale* | probabilité* | tel que | entero* | derivada* | probabilidad* | desigualdad* | tal que
0.15: primzahl* | gleichung* | nombres premiers | matrice* | équation* | matriz* | ecuaci*
"""

# Debugging words: they count (in ``code``) when the prompt holds code.
_DEBUG = """
1.0: bug | bugs | error | errors | exception | exceptions | fail | fails | failing | failure | crash*
1.0: broken | wrong | loops forever | loop forever | infinite loop | re render* | leak | leaks | leaking
1.0: flaky | hang | hangs | hanging | segfault* | doesn t work | not working | stack trace | fix
1.0: instead of | expected | unexpected | but got | should print | should return | should output | slow*
"""

# Arithmetic cues of a word problem (counted per occurrence) and the question it asks.
_MATH_CUES = """
1.0: percent | percentage | per cent | ratio | per | rate | each | total | net | then | after
1.0: remaining | left over | twice | half | double | triple | average | profit | loss | discount
1.0: off | tax | interest | split | share | shares | altogether | combined | sum | product
1.0: speed | hourly | neither | both | only | at least one | fills | empties | costs | raises
1.0: prozent | jeweils | insgesamt | dann | pourcentage | chacun | puis | porcentaje | cada | luego
"""
_MATH_QUESTION = """
1.0: how many | how much | how long | how far | what was | what is the | find | calculate | compute
1.0: determine | work out | what percentage | when will | wie viele | wie viel | combien | cuántos
1.0: cuántas | cuánto | cuánta | berechne* | calcule*
"""

_DOMAIN = """
# computing: concurrency, distributed systems, databases, algorithms, security, ML
1.0: concurren* | lock free | wait free | thread safe | multithread* | multi threaded | race condition*
1.0: deadlock* | livelock* | mutex* | semaphore* | atomic* | memory order* | memory model
1.0: memory barrier* | volatile | double checked locking | multi producer | multi consumer
1.0: producer consumer | idempoten* | distributed | consensus | paxos | raft | replication | sharding
1.0: eventual consistency | linearizab* | serializab* | failover | cdc | change data capture
1.0: isolation level* | cache invalidation | load balanc* | rate limit* | garbage collect*
1.0: memory leak* | undefined behavio* | compiler* | binary heap | priority queue | dynamic programming
1.0: memoiz* | shortest path | dijkstra* | topological sort | union find | trie | segment tree
1.0: red black tree | b tree | avl tree | np hard | np complete | crdt* | operational transformation
1.0: microservice* | monolith* | event sourcing | cqrs | schema migration* | query planner
1.0: sql injection | xss | csrf | cryptograph* | side channel | timing attack | zero knowledge
1.0: forward secrecy | diffie hellman | key exchange | elliptic curve* | threat model*
1.0: borrow checker | monad* | type inference | dependency injection | time complexity | space complexity
1.0: multi tenant* | consumer lag | zero downtime | p99 | p95 | p999 | gc pause* | flame graph* | backpropagation | overfitting | regulariz* | attention mechanism
1.0: self attention | state space model* | diffusion model* | reinforcement learning | loss function
0.5: algorithm* | algorithmus | algorithmen | algorithme* | algoritmo* | asynchronous | in flight
0.5: debounc* | throttl* | backoff | replica* | partition* | consistency | transaction* | scalab*
0.5: latency | throughput | parser* | interpreter* | kernel | recursion | recursive | heap | closure*
0.5: lifetime* | stale | re render* | dependency array | polymorphism | design pattern* | inversion*
0.5: window function* | big o | complexity | kafka | kubernetes | k8s | message queue* | tls
0.5: public key | transformer* | ssm* | gradient* | fine tun* | embedding* | convex* | architectur*
0.5: multi | read heavy | write heavy | supply chain* | migration* | rollback* | gc | node js | nebenläufig* | verteilt*
# sciences, medicine, economics, law, philosophy
1.0: quantum | entangle* | thermodynam* | relativity | enzyme* | protein folding | genom* | crispr
1.0: pharmacokinetic* | contraindicat* | differential diagnosis | pathophysiolog* | etiolog* | comorbid*
1.0: keynesian* | monetarist* | stagflation | monetary policy | fiscal policy | macroeconomic*
1.0: microeconomic* | arbitrage | discounted cash flow | unenforceable | enforceab* | indemnif*
1.0: jurisdiction* | statute* | tort | torts | case law | fiduciary | epistemolog* | ontolog*
1.0: utilitarian* | deontolog* | consequentialis*
0.5: entropy | inflation | elasticity | hedging | valuation | amortiz* | liability | liabilities
0.5: precedent* | gdpr
"""



class _Lexicon:
    """Whole-word phrase matcher: first word -> candidate entries; longest match wins,
    matches don't overlap."""

    def __init__(self, *specs: tuple[str, str]) -> None:
        self.exact: dict[str, list[tuple]] = {}
        self.prefix: dict[str, list[tuple]] = {}
        for category, spec in specs:
            for raw in spec.strip().splitlines():
                raw = raw.strip()
                if not raw or raw.startswith("#"):
                    continue
                strength_s, _, phrases = raw.partition(":")
                strength = float(strength_s)
                for phrase in phrases.split("|"):
                    words = phrase.split()
                    if not words:
                        continue
                    pattern = tuple((w[:-1], True) if w.endswith("*") else (w, False) for w in words)
                    entry = (pattern, category, strength, " ".join(words))
                    first, is_prefix = pattern[0]
                    (self.prefix if is_prefix else self.exact).setdefault(first, []).append(entry)
        self.prefix_lens = sorted({len(p) for p in self.prefix})
        self._cache: dict[str, tuple] = {}

    def _candidates(self, word: str) -> tuple:
        cands = self._cache.get(word)
        if cands is None:
            found = list(self.exact.get(word, ()))
            for n in self.prefix_lens:
                if n > len(word):
                    break
                found.extend(self.prefix.get(word[:n], ()))
            cands = tuple(found)
            if len(self._cache) > 100_000:  # bound memory in a long-running process
                self._cache.clear()
            self._cache[word] = cands
        return cands

    def scan(self, words: list[str]) -> list[tuple[str, str, float]]:
        """Matches in lower-cased ``words`` as ``(category, matched text, strength)``."""
        out = []
        i, n = 0, len(words)
        cand = self._candidates
        while i < n:
            cands = cand(words[i])
            if not cands:
                i += 1
                continue
            best = None
            best_len = 0
            for entry in cands:
                pattern = entry[0]
                plen = len(pattern)
                if plen <= best_len or i + plen > n:
                    continue
                for k in range(1, plen):
                    part, is_prefix = pattern[k]
                    w = words[i + k]
                    if not (w.startswith(part) if is_prefix else w == part):
                        break
                else:
                    best, best_len = entry, plen
            if best is None:
                i += 1
                continue
            if best[2] > 0:
                pattern = best[0]
                shown = " ".join(words[i:i + best_len]) if any(p for _, p in pattern) else best[3]
                out.append((best[1], shown, best[2]))
            i += best_len
        return out


_LEX = _Lexicon(("reasoning", _REASONING), ("constraints", _CONSTRAINTS), ("proof", _PROOF),
                ("mathterm", _MATH_TERMS), ("domain", _DOMAIN), ("debug", _DEBUG))
_CUES = _Lexicon(("cue", _MATH_CUES))
_QUESTION = _Lexicon(("question", _MATH_QUESTION))

# --------------------------------------------------------------------------- regexes

_WORD_RE = re.compile(r"[^\W_]+")
_PARA_RE = re.compile(r"\n[ \t]*\n")
# Quoted material: 'single' (apostrophes inside words allowed), "double", “curly”, „German“,
# «guillemets», ‘single curly’, 「Japanese」.
_QUOTED_RE = re.compile(
    r"(?<![\w'])'(?:[^'\n]|(?<=\w)'(?=\w))+'(?![\w'])"
    r'|"[^"\n]{1,2000}"|“[^”\n]{1,2000}”|„[^“”\n]{1,2000}[“”]|«[^»]{1,2000}»'
    r"|‘[^’\n]{1,2000}’|「[^」]{1,2000}」")
# An enumeration of 3+ items ("consistency, failover and cost"): several aspects to cover.
_ENUM_RE = re.compile(
    r"[^\W\d_][\w'-]*(?:[ \t]+[\w'-]+){0,3},[ \t]+[\w'-]+(?:[ \t]+[\w'-]+){0,3},?[ \t]+"
    r"(?:and|or|und|oder|et|ou|y|o|e)[ \t]+[\w'-]+")

# Code in the prompt: lines that look like code, inline identifiers, error output.
_CODE_KEYWORDS = frozenset(
    "def class function func fn return import from const let var public private protected static void "
    "struct enum interface impl package namespace async await yield elif else try catch finally except "
    "raise throw switch case lambda assert pub use typedef #include #define SELECT INSERT UPDATE DELETE "
    "CREATE ALTER WITH".split())
_FIRST_TOKEN_RE = re.compile(r"[ \t]*(#?\w+)(.*)")
_ASSIGNMENT_RE = re.compile(r"[ \t]*[A-Za-z_][\w.\[\]]*(?:\s*,\s*[A-Za-z_]\w*)*\s*[-+*/:]?=\s*[^=\s]")
_INLINE_CODE_RE = re.compile(
    r"`[^`\n]+`|\b[A-Za-z_]\w*\((?:[^()\n]|\([^()\n]*\))*\)|\b[a-z]+_[a-z_]+\b|\b\w+\.\w+\(")
# Error output: (substring that must be present, regex or None), regexes compiled on first use.
_TRACE_CHECKS = (
    ("Traceback (most recent call last)", None),
    ('File "', r'File "[^"\n]+", line \d+'),
    ("Error", r"Error(?::|\s+at\b)"),
    ("Exception", r"Exception(?::|\s+at\b|\s+in thread\b)"),
    ("at ", r"\n[ \t]+at [\w$.<>]+\("),
    ("panicked at", None),
    ("Segmentation fault", None),
    ("core dumped", None),
    ("error", r"(?m)^[ \t]*error(?:\[\w+\])?: "),
)
# Requests to write code: a verb followed within 6 words by a code noun, a verb plus
# "in <language>", a standalone verb ("implement", "refactor", "debug"), or a design request.
_CODE_VERBS = frozenset("write create build code generate implement develop make give crea genera".split())
_CODE_VERB_PREFIXES = ("schreib", "erstell", "programmier", "écri", "crée", "créer", "escrib", "generar", "crear")
_CODE_NOUNS = frozenset(
    "function functions method methods class classes script scripts program programs programme query "
    "queries hook hooks component components regex regexp api endpoint endpoints module library parser "
    "test tests algorithm implementation code snippet cli server daemon macro decorator sql dockerfile "
    "makefile bash liner queue stack cache funktion klasse skript programm abfrage methode fonction "
    "classe requête méthode función funcion clase programa consulta método".split())
_CODE_STANDALONE = ("implement", "implément", "refactor", "debug")
_DESIGN_VERBS = frozenset("design architect build plan".split())
_DESIGN_NOUNS = frozenset("schema database architecture system protocol pipeline service backend "
                          "infrastructure api".split())
_LANG_PREPS = frozenset("in using with en auf".split())
_LANGS = frozenset(
    "python java javascript typescript c cpp go golang rust kotlin swift ruby php scala haskell sql bash "
    "powershell julia elixir erlang lua perl dart zig ocaml react node".split())
_DETERMINERS = frozenset("this the my a these our".split())
_FIX_OBJECTS = frozenset("code bug function test query script program error crash".split())
_SPEC_SPLIT_RE = re.compile(r"[,;]|\b(?:and|with|while|but|handl\w+|returning|including)\b")
_SENTENCE_RE = re.compile(r"[^.?!\n]+(?:[.?!]+|$)")

# Math notation, checked on the instruction when the prompt holds no code:
# (name, points, substring that must be present, regex).
_MATH_EXPR = (
    ("power", 0.3, None, re.compile(r"\w\s*\^\s*[\w(]|[²³ⁿ]")),
    ("algebra", 0.3, None, re.compile(
        r"\b\d+[a-z]\s*[-+*/]\s*\w|(?<![\w.'])[a-z]\s*[-+*/]\s*(?:\d+\b(?![.,]\d)|[a-z](?![\w']))")),
    ("subscript", 0.3, "_", re.compile(r"(?<!\w)[A-Za-z]_(?:\{[^}]*\}|[A-Za-z0-9])")),
    ("big-O", 0.4, "(", re.compile(r"\b[OΘΩ]\([^)]*[a-z][^)]*\)")),
    ("function", 0.2, "(", re.compile(r"\b(?:det|sin|cos|tan|log|ln|exp|lim|gcd|lcm|Var|f|g)\s*\(")),
    ("symbols", 0.2, None, re.compile(r"[=≤≥≠≈∑∏∫√π∞∂∇∈∀∃⊂⊆∪∩·×÷±]")),
)
# Code inside the instruction, removed before looking for notation: `inline code`, a
# definition from its signature to the end of the line ("def f(x): return x*2"), a lambda,
# and code lines holding a token prose and formulas don't have (return, ==, "x.y(", ";" at
# the end...). "f(x) = x^2" or "use induction to show 2^n > n" stay notation.
_CODE_SPAN_RE = LazyRx(
    r"`[^`\n]+`|\bdef\s+[A-Za-z_]\w*\s*\([^)\n]*\)\s*(?:->[^:\n]*)?:[^\n]*"
    r"|\b(?:function|func|fn|sub|void|int|float|double|bool|static)\s+[A-Za-z_]\w*\s*\([^)\n]*\)\s*"
    r"(?:(?:->|:)\s*[\w<>\[\], ]+)?\{[^\n]*|\blambda\b[^:\n]{0,40}:[^\n]*")
_CODE_TOKEN_RE = LazyRx(
    r"\b(?:return|print|printf|println|def|elif|None|null|nil|True|False|true|false|self|const|var|import)\b"
    r"|==|!=|&&|\|\||[;{]\s*$|\b[A-Za-z_]\w*\.[A-Za-z_]\w*\s*\("
    # assignment to, or call of, a lower-case name of 3+ characters (not "yt = ...", "PCl3(g)", "sin(x)")
    r"|^\s*[a-z_][A-Za-z0-9_]{2,}\s*(?:\[[^\]\n]*\])?\s*[-+*/%]?=(?!=)"
    r"|\b(?!(?:sin|cos|tan|log|exp|det|gcd|lcm|lim|max|min|sqrt|mod)\()[a-z_][A-Za-z0-9_]{2,}\(")
# Statement starts that _is_code_line doesn't know: "if f(x) == 2: ...", "print(f(x))".
_CODE_START_RE = LazyRx(r"[ \t]*(?:if|for|while|elif|else|print|echo|console\.log|[a-z_][\w.]*\()")
_TIME_DATE_RE = re.compile(r"\b\d{1,2}:\d{2}(?::\d{2})?\b|\b\d{4}-\d{2}-\d{2}(?:T\S*)?|\b(?:1[89]|20)\d{2}s?\b")
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_MATH_SYMBOL_CUE_RE = re.compile(r"[%$€£¥]|\b\d+:\d+:\d+\b|/(?:h|hr|hour|s|day|km|kg|min)\b")

# Numbered requirement lines and bullets.
_NUMBERED_RE = re.compile(r"^[ \t]*(?:\d{1,2}[.)]|\(\d{1,2}\))[ \t]+\S", re.M)
_BULLET_RE = re.compile(r"^[ \t]*[-*•][ \t]+\S", re.M)

# Constraints written as a limit on the answer or a number to meet, matched on the lower-cased
# instruction: (label, points, regex, blank). Only the group "c" (else the whole match) is
# blanked before the marker scan, so "at most 3 bullet points" counts once, not also as "at
# most"; blank=False keeps the words for the other components (big-O's "n log n" is math).
# A count of 2 or more: "in one line" / "in a single sentence" asks for brevity, which makes
# the task easier, not harder.
_NUM = (r"(?:(?!0*1\b)\d+(?:[.,]\d+)*k?|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty"
        r"|fifty|hundred|zwei|drei|vier|fünf|zehn|deux|trois|quatre|cinq|dix|dos|tres|cuatro|cinco|diez)")
# Describing the material ("the essay is under 500 words", "it has 3 paragraphs") is no limit.
_NOT_DESCRIBED = (r"(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )(?<!\bhas )(?<!\bhad )(?<!\bhave )"
                  r"(?<!\bit s )(?<!\bist )(?<!\best )(?<!\bes )")
_LEN_UNITS = (r"(?:words?|sentences?|paragraphs?|paras|bullet[ -]?points?|bullets?|lines|characters?"
              r"|chars|pages?|tokens|tweets?|slides?|satz|wort|zeile|seite"
              r"|wörtern?|worten?|sätzen?|absätzen?|absatz|zeilen|stichpunkten?|seiten|zeichen"
              r"|mots|phrases?|paragraphes?|lignes|caractères|puces"
              r"|palabras|frases?|oraciones|párrafos?|líneas|caracteres|páginas|viñetas)")
_LEN_LIMITERS = (
    r"(?:(?:in|within|en)(?:\s+(?:under|fewer than|less than|no more than|not more than|at most"
    r"|about|around|roughly|approximately|exactly|just|only|max(?:imum)?|a maximum of|no longer than"
    r"|höchstens|maximal|genau|weniger als|moins de|exactement|au plus|menos de|exactamente|como máximo))?"
    r"|under|below|at most|no more than|not more than|no longer than|fewer than|less than|up to|max(?:imum)?"
    r"(?:\s+of)?|a maximum of|exactly|limit(?:ed)?\s+(?:it\s+|this\s+|yourself\s+)?to|not exceeding"
    r"|keep\s+(?:it|this|them|the\s+\w+)\s+(?:to|under|below|within)|höchstens|maximal|weniger als"
    r"|nicht mehr als|bis zu|moins de|au plus|au maximum|pas plus de|jusqu à|menos de|como máximo"
    r"|no más de|máximo|hasta)")
_CONSTRAINT_PATTERNS = (
    ("length limit", 1.0, LazyRx(
        r"\b" + _NOT_DESCRIBED + _LEN_LIMITERS + r"\s+" + _NUM + r"[\s-]*" + _LEN_UNITS + r"\b(?!\s*(?:per|/)\b)"
        r"|\b(?:with|using|mit)\s+(?:exactly\s+|only\s+|just\s+)?" + _NUM + r"[\s-]*(?:bullet[ -]?points?|bullets"
        r"|sentences?|paragraphs?|words?)\b(?!\s*(?:per|/)\b)"
        r"|\b(?:write|draft|compose|give|produce|create|generate|prepare|provide|need|want|in|as)\s+(?:me\s+|us\s+)?"
        r"an?\s+(?:(?!0*1\b)\d+|two|three|four|five)[ -](?:word|sentence|paragraph|bullet)\b(?!s)"),
     True),
    ("target", 1.0, LazyRx(
        r"\b" + _NOT_DESCRIBED + r"(?:under|below|within|less than|lower than|at most|no more than|not more than"
        r"|faster than|better than|max(?:imum)?(?: of)?|at least|above|more than|greater than|higher than"
        r"|no less than|unter|weniger als|höchstens|mindestens|moins de|au moins|menos de|al menos)\s*"
        r"\d+(?:[.,]\d+)*\s*(?:ms|µs|us|ns|milliseconds?|microseconds?|s|secs?|seconds?|sekunden|secondes"
        r"|segundos|qps|rps|tps|req(?:uests)?\s*/\s*s|requests per second|[kmgt]i?b)(?!\w)"
        r"|(?<!\w)(?:<=?|≤|>=?|≥)\s*\d+(?:[.,]\d+)*\s*(?:ms|µs|us|ns|s|[kmgt]i?b)(?!\w)"
        r"|\b\d+(?:[.,]\d+)*\s*[km]?\s*(?:qps|rps|tps|req(?:uests)?\s*/\s*s(?:ec)?|requests per second)(?!\w)"), True),
    # a price cap ("under $500"); floors such as "more than $10,000" mostly describe a case
    ("price cap", 0.7, LazyRx(
        r"\b" + _NOT_DESCRIBED + r"(?:under|below|within|less than|at most|no more than|not more than"
        r"|max(?:imum)?(?: of)?|unter|höchstens|moins de|menos de)\s*"
        r"(?:[$€£]\s?\d+(?:[.,]\d+)*(?![\d$])(?:\s*[km]\b)?"
        r"|\d+(?:[.,]\d+)*\s*(?:usd|eur|dollars?|euros?|[$€£])(?!\w))"), True),
    ("SLO", 1.0, LazyRx(
        r"\b(?:rpo|rto|slo|sla|p50|p90|p95|p99|p999|latency|uptime|availability|durability|error rate)"
        r"(?P<c>\s*(?:target\s+)?(?:of|<=?|≤|under|below|at most|=|:|within|must be|stays?\s+under)?\s*"
        r"\d+(?:[.,]\d+)*\s*(?:ms|µs|s|sec|seconds?|min|mins|minutes?|h|hours?|%|nines)(?!\w))"
        r"|\b\d{2,3}(?:[.,]\d+)?\s*%\s*(?:availability|uptime|sla|slo|durability|verfügbarkeit"
        r"|disponibilit\w*)\b|\b(?:three|four|five|3|4|5)\s+nines\b"), True),
    ("big-O", 1.0, LazyRx(
        r"\b(?:in|within|under|at most|better than|faster than|than|with|achieves?|requires?|using|runs? in)\s+"
        r"(?:an?\s+)?(?:(?:worst[- ]case|amortized|expected|average)\s+)?[oθ]\([^)\n]{1,20}\)"
        r"|(?<!\w)[oθ]\([^)\n]{1,20}\)\s*(?:time|space|memory|extra space|auxiliary space|or better|or less"
        r"|worst[- ]case)\b"), False),
    ("format", 0.7, LazyRx(
        r"\b(?:as|in|using|returns?|returning|output(?:ting)?|format(?:ted)?(?:\s+(?:it|them|this|the \w+))?"
        r"\s+as|respond(?:\s+only)?\s+in|reply(?:\s+only)?\s+in|answer(?:\s+only)?\s+in|als|im|in einer|en|au|sous"
        r"(?:\s+la)?\s+forme(?:\s+d\s*une?|\s+de)?|como|en una|en formato)\s+"
        r"(?:(?:a|an|the|one|valid|proper|strict|single|well[ -]formed|plain|markdown|format|formato|un|une)\s+){0,3}"
        r"(?P<c>(?:json|yaml|yml|xml|csv|tsv|toml|html|latex|markdown|table|tabelle|tableau|tabla|bulleted list"
        r"|numbered list|bullet(?:ed)?[ -]?points?|bullet list|checklist|aufzählung|liste à puces|lista)\b"
        r"(?!\s+(?:file|files|parser|library|libraries|string|strings|data|payload|document|documents|of)\b)"
        r"(?:[ -](?:object|array|schema|table|list|format|formatted|objekt|format))?"
        r"(?:\s*,?\s*(?:with|containing|having|using|mit|avec|con)\s+(?:the\s+|den\s+|les\s+|las\s+|los\s+)?"
        r"(?:keys?|fields?|columns?|properties|attributes|headers|schlüsseln?|feldern|spalten|clés|champs"
        r"|colonnes|claves|campos|columnas)\b)?)"), True),
)
_KEYS_RE = LazyRx(r"\b(?:keys?|fields?|columns?|properties|attributes|headers|schlüsseln?|feldern|spalten"
                      r"|clés|champs|colonnes|claves|campos|columnas)\b")
_DIGIT_RE = re.compile(r"\d")
_LEN_NEEDLES = ("word", "sentence", "para", "bullet", "point", "line", "char", "page", "item", "token", "tweet",
                "slide", "step", "wört", "wort", "satz", "sätz", "zeile", "stichpunkt", "seite", "zeichen",
                "mots", "phrase", "lignes", "caract", "puces", "palabra", "frase", "oracion", "párrafo",
                "línea", "página", "viñeta")
_CONSTRAINT_NEEDLES = ("json", "yaml", "yml", "xml", "csv", "tsv", "toml", "html", "latex", "markdown", "tab",
                       "bullet", "list", "aufzählung", "puces", "nines", "%")

_CAMEL_RE = re.compile(r"\b[a-z]+[A-Z]\w*[a-z]\w*\b|\b[A-Z][a-z]+[A-Z]\w*\b")

# Images: attachment markers, image file names, and references to "this/the attached image".
_MM_KEYS = ("imag", "pictur", "photo", "screen", "scan", "pic", "diagram", "chart", "figure", "png", "jp",
            "gif", "webp", "heic", "bmp", "tif", "bild", "foto", "captur", "图", "圖", "照片", "画像", "写真")
_IMAGE_NOUN = (r"(?:images?|pictures?|photos?|photographs?|screenshots?|screen shots?|scans?|pics?"
               r"|diagrams?|charts?|figures?)")
# Attachment markers and image file names, looked for in the whole (lower-cased) text.
_ATTACHMENT_PATTERN = (r"\[(?:image|img|photo|picture|screenshot|attachment|bild|imagen)\b[^\]\n]*\]|<image>"
                       r"|(?<=[\w-])\.(?:png|jpe?g|gif|webp|heic|bmp|tiff?)\b")
# References to an attached image, looked for in the (lower-cased) instruction.
_MULTIMODAL_PATTERN = (
    r"\b(?:attached|uploaded|enclosed|included|following|above|below)\s+(?:\w+\s+)?" + _IMAGE_NOUN + r"\b"
    r"|\b" + _IMAGE_NOUN + r"\s+(?:\w+\s+){0,2}(?:i|we)\s+(?:just\s+|have\s+)?"
    r"(?:attached|uploaded|sent|shared|pasted|included|took)\b"
    r"|\b(?:this|these)\s+" + _IMAGE_NOUN + r"\b"
    r"|\b(?:here(?:\s+is|'s|\s+are)|attached\s+is|i(?:'ve|\s+have)?\s+(?:attached|uploaded|added|included)"
    r"|see)\s+(?:(?:a|an|the|my|our)\s+)?(?:\w+\s+)?" + _IMAGE_NOUN + r"\b"
    r"|\b(?:in|on|from)\s+the\s+(?:images?|pictures?|photos?|screenshots?|pics?)\b(?!\s+(?:of|frame))"
    r"|\b(?:dies\w*|angehängt\w*|beigefügt\w*)\s+(?:bild|foto|screenshot)"
    r"|\b(?:im|auf dem)\s+(?:bild|foto|screenshot)\b"
    r"|\b(?:cette|ces)\s+(?:image|photo|capture)s?\b|\b(?:image|photo|capture)s?\s+(?:ci[- ]jointe?s?|jointe?s?)\b"
    r"|\b(?:esta|estas)\s+(?:imagen|imágenes|foto|fotos|captura)\b|\b(?:imagen|foto|captura)\s+adjunta\b"
    r"|(?:这张|這張|此)(?:图|圖|照片|截图)|この(?:画像|写真)")

# Rarely needed regexes (behind a substring check) are compiled on first use, which keeps
# the import fast.
_LAZY: dict[str, re.Pattern] = {}


def _rx(pattern: str) -> re.Pattern:
    compiled = _LAZY.get(pattern)
    if compiled is None:
        compiled = _LAZY[pattern] = re.compile(pattern)
    return compiled


def _has_trace(text: str) -> bool:
    """Whether ``text`` holds a stack trace or compiler/runtime error output."""
    for needle, pattern in _TRACE_CHECKS:
        if needle in text and (pattern is None or _rx(pattern).search(text)):
            return True
    return False


# --------------------------------------------------------------------------- instruction

def _instruction(text: str) -> list[str]:
    """The parts of ``text`` read as the instruction (see "Where markers count")."""
    n = len(text)
    if n <= _LONG_PROMPT_CHARS:
        spans = [(0, n)]
    else:
        # paragraphs: (start, end) of the non-blank runs between blank lines
        paras, pos = [], 0
        for m in _PARA_RE.finditer(text):
            if text[pos:m.start()].strip():
                paras.append((pos, m.start()))
            pos = m.end()
        if text[pos:].strip():
            paras.append((pos, n))
        spans = []
        head_end = 0
        if paras:
            a, b = paras[0]
            if len(paras) > 1 and b - a <= _HEAD_PARA_CHARS:
                spans.append((a, b))
                head_end = b
            else:  # a lead-in line such as "Summarize the following report:"
                nl = text.find("\n", a, b)
                if 0 <= nl - a <= 200 and text[a:nl].rstrip().endswith(":"):
                    spans.append((a, nl))
                    head_end = nl
            a, b = paras[-1]
            if b - a > _LONG_PROMPT_CHARS:  # a huge last paragraph: its last line(s)
                nl = text.rfind("\n", a, b - 1)
                a = nl + 1 if 0 <= nl and b - nl - 1 <= _TAIL_LINE_CHARS else max(a, b - _TAIL_LINE_CHARS)
            a = max(a, head_end)
            if a < b:
                spans.append((a, b))
    parts = []
    for a, b in spans:
        chunk = text[a:b]
        quoted = [(m.start(), m.end()) for m in _QUOTED_RE.finditer(chunk)]
        stripped = chunk.strip()
        if len(quoted) == 1 and len(spans) == 1 and chunk[quoted[0][0]:quoted[0][1]] == stripped:
            quoted = []  # the whole prompt is one quotation: it is its own instruction
        pos = 0
        for qa, qb in quoted:
            if chunk[pos:qa].strip():
                parts.append(chunk[pos:qa])
            pos = qb
        if chunk[pos:].strip():
            parts.append(chunk[pos:])
    return parts


# --------------------------------------------------------------------------- components

def _fmt(items: dict[str, float], limit: int = 6) -> str:
    """``"compare, why (0.6), +2 more"``: matched markers, with their points when not 1."""
    ordered = sorted(items.items(), key=lambda kv: -kv[1])
    shown = [k if p == 1.0 else f"{k} ({p:g})" for k, p in ordered[:limit]]
    more = len(ordered) - limit
    return ", ".join(shown) + (f", +{more} more" if more > 0 else "")


def _length(t: int) -> tuple[float, str]:
    if t <= _LEN_MIN_TOKENS:
        return 0.0, f"~{t} tokens"
    v = min(1.0, math.log(t / _LEN_MIN_TOKENS) / math.log(_LEN_MAX_TOKENS / _LEN_MIN_TOKENS))
    return v, f"~{t} tokens"


def _domain(hits: dict[str, float], ask: str) -> tuple[float, str]:
    points = sum(hits.values())
    camel = sorted(set(_CAMEL_RE.findall(ask)))
    if camel:
        points += min(1.0, 0.5 * len(camel))
    bits = []
    if hits:
        bits.append(_fmt(hits))
    if camel:
        bits.append("identifiers: " + ", ".join(camel[:3]))
    return min(1.0, points / 3.0), "; ".join(bits) if bits else "none"


def _is_code_line(line: str) -> bool:
    """Whether a line looks like source code (keyword start, statement ending, assignment,
    or indented with code punctuation)."""
    stripped = line.strip()
    if len(stripped) < 2:
        return stripped in ("{", "}")
    if stripped[-1] in ";{}" or stripped.endswith(("=>", "->", "):")) or stripped.startswith(("//", "/*", "<")):
        return True
    m = _FIRST_TOKEN_RE.match(line)
    if m and m.group(1) in _CODE_KEYWORDS and m.group(2).strip(" ,.!?"):
        return True
    if line[:1] in (" ", "\t") and (line.startswith("  ") or line[0] == "\t") and any(c in stripped for c in "=([{:"):
        return True
    return _ASSIGNMENT_RE.match(line) is not None


def _code_request(words: list[str]) -> tuple[int, str] | None:
    """(index of the request verb in ``words``, label) or None."""
    lang = next((f"{words[j]} {words[j + 1]}" for j in range(len(words) - 1)
                 if words[j] in _LANG_PREPS and words[j + 1] in _LANGS), None)
    for i, w in enumerate(words):
        if w in _CODE_VERBS or w.startswith(_CODE_VERB_PREFIXES):
            if w == "give" and words[i + 1:i + 2] != ["me"]:
                continue
            for j, x in enumerate(words[i + 1:i + 7]):
                if x in _CODE_NOUNS:
                    return i, " ".join(words[i:i + j + 2])
            if lang:
                return i, f"{w} ... {lang}"
        elif w.startswith(_CODE_STANDALONE):
            return i, w
        elif (w == "fix" and words[i + 1:i + 2] and words[i + 1] in _DETERMINERS
              and any(x in _FIX_OBJECTS for x in words[i + 2:i + 4])):
            return i, " ".join(words[i:i + 4])
        elif w == "code" and words[i + 1:i + 2] == ["review"]:
            return i, "code review"
    for i, w in enumerate(words):
        if w in _DESIGN_VERBS:
            for j, x in enumerate(words[i + 1:i + 7]):
                if x in _DESIGN_NOUNS:
                    return i, " ".join(words[i:i + j + 2])
    return None


def _code(text: str, ask: str, words: list[str], debug: dict[str, float],
          domain_v: float) -> tuple[float, float, str]:
    """(value, code-content value, detail)."""
    v = 0.0
    bits = []
    req = _code_request(words)
    if req is not None:
        v += 0.35 + 0.3 * domain_v
        bits.append(f"request: {req[1][:40]}" + ("; specialist topic" if domain_v else ""))

    fences = text.count("```") // 2 + text.count("~~~") // 2
    lines = sum(1 for line in text.splitlines() if _is_code_line(line)) if "\n" in text or len(text) < 400 else 0
    content = 0.0
    if fences:
        content = 0.3
        bits.append(f"{fences} code block{'s' if fences > 1 else ''}")
    if lines:
        content = max(content, 0.15 if lines == 1 else 0.3 if lines < 5 else 0.45)
        bits.append(f"{lines} code line{'s' if lines > 1 else ''}")
    if not content:
        inline = _INLINE_CODE_RE.findall(ask)
        if inline:
            content = 0.15
            bits.append("inline code: " + ", ".join(s[:20] for s in inline[:3]))
    v += content
    if _has_trace(text):
        v += 0.4
        bits.append("stack trace/error output")
    if debug and (content >= 0.3 or (req is not None and content)):
        v += 0.2
        bits.append("debugging: " + _fmt(debug, 2))
    if req is not None:
        # requirements in the sentence holding the request verb
        verb = words[req[0]]
        for sentence in _SENTENCE_RE.findall(ask):
            low = sentence.lower()
            if verb in low:
                clauses = len(_SPEC_SPLIT_RE.findall(low))
                if clauses:
                    v += 0.1 * min(3, clauses)
                    bits.append(f"{clauses + 1} requirements")
                break
    return min(1.0, v), content, "; ".join(bits) if bits else "no code"


def _reasoning(hits: dict[str, float], ask: str, length_v: float, content: float) -> tuple[float, str]:
    if not hits:
        return 0.0, "no reasoning markers"
    points = sum(hits.values())
    detail = "markers: " + _fmt(hits)
    enum = _ENUM_RE.search(ask)
    if enum:
        points += 0.5
        detail += f"; aspects: {enum.group(0)[:40]}"
    # Markers weigh more when there is material to reason over: a long context or code.
    material = max(length_v, 0.5 if content >= 0.3 else 0.0)
    if material > 0:
        detail += f"; x{1 + material:.2f} for {'long context' if length_v >= material else 'code'}"
    return min(1.0, points / 2.0 * (1.0 + material)), detail


def _math(proof: dict[str, float], terms: dict[str, float], ask: str, has_code: bool) -> tuple[float, str]:
    points = 0.0
    bits = []
    if proof:
        points += max(proof.values()) + 0.25 * (len(proof) - 1)
        bits.append("proof: " + _fmt(proof, 3))
    if terms:
        points += sum(terms.values())
        bits.append("terms: " + _fmt(terms, 4))
    if not has_code:
        ask = _without_code(ask)
        names, expr = [], 0.0
        for name, pts, needs, rx in _MATH_EXPR:
            if (needs is None or needs in ask) and rx.search(ask):
                expr += pts
                names.append(name)
        if names:
            points += min(0.4, expr)
            bits.append("notation: " + ", ".join(names))
        # multi-step word problem: several quantities, arithmetic cues and a question
        plain = _TIME_DATE_RE.sub(" ", ask)
        quantities = len(_NUMBER_RE.findall(plain))
        if quantities >= 2:
            words = _WORD_RE.findall(plain.lower())
            cues = len(_CUES.scan(words)) + len(_MATH_SYMBOL_CUE_RE.findall(plain))
            if cues >= 2 and quantities + cues >= 5 and _QUESTION.scan(words):
                points += min(1.0, 0.15 * quantities + 0.1 * cues)
                bits.append(f"word problem: {quantities} quantities, {cues} arithmetic cues")
    return min(1.0, points), "; ".join(bits) if bits else "no math"


def _without_code(ask: str) -> str:
    """``ask`` without the code in it (see :data:`_CODE_SPAN_RE`), for math notation."""
    if "`" in ask or "(" in ask or "lambda" in ask:
        ask = _CODE_SPAN_RE.sub(" ", ask)
    if "\n" in ask or any(c in ask for c in ";{}=("):
        ask = "\n".join(line for line in ask.split("\n")
                        if not (_CODE_TOKEN_RE.search(line)
                                and (_is_code_line(line) or _CODE_START_RE.match(line))))
    return ask


def _constraint_spans(low: str, seen: dict[str, float]) -> tuple[str, float]:
    """Limits and targets in the lower-cased instruction part ``low`` (length limits,
    numeric targets, SLOs, big-O bounds, output formats): their points, added to ``seen``,
    and ``low`` with the counted words blanked for the marker scan."""
    points = 0.0
    has_digit = _DIGIT_RE.search(low) is not None
    for label, pts, rx, blank in _CONSTRAINT_PATTERNS:
        if label == "format":
            if not any(k in low for k in _CONSTRAINT_NEEDLES):
                continue
        elif label == "length limit":
            if not any(k in low for k in _LEN_NEEDLES):
                continue
        elif label in ("SLO", "big-O") and not has_digit and "nines" not in low and "o(" not in low:
            continue
        elif label == "target" and not has_digit:
            continue
        cut = []
        for m in rx.finditer(low):
            p = pts
            if label == "format" and _KEYS_RE.search(m.group(0)):
                p = 1.0  # a schema to follow
            shown = f"{label}: {' '.join(m.group(0).split())[:40]}"
            seen[shown] = seen.get(shown, 0.0) + p
            points += p
            if blank:
                cut.append(m.span("c") if "c" in rx.groupindex and m.group("c") else m.span())
        for a, b in reversed(cut):
            low = low[:a] + " " * (b - a) + low[b:]
    return low, points


def _constraints(points: float, seen: dict[str, float], ask: str) -> tuple[float, str]:
    seen = dict(seen)
    for rx, per, cap, label in ((_NUMBERED_RE, 0.4, 1.6, "numbered"), (_BULLET_RE, 0.25, 0.5, "bullet")):
        found = len(rx.findall(ask))
        if found >= 2:
            points += min(cap, per * found)
            seen[f"{found} {label} items"] = 1.0
    return min(1.0, points / 4.0), ("seen: " + _fmt(seen)) if seen else "none"


def _multimodal(text: str, ask: str, images: int) -> tuple[float, str]:
    if images > 0:
        return 1.0, f"{images} image{'s' if images != 1 else ''} attached"
    m = None
    if "[" in text or "<image>" in text or "." in text:
        m = _rx(_ATTACHMENT_PATTERN).search(text.lower())
    if m is None:
        low = ask.lower()
        if any(k in low for k in _MM_KEYS):
            m = _rx(_MULTIMODAL_PATTERN).search(low)
    if m is not None:
        return 0.8, f"text refers to an image: {m.group(0)[:40]!r}"
    return 0.0, "no images"


def _weight(config: ComplexityConfig, name: str) -> float:
    w = (config.weights or {}).get(name)
    return float(DEFAULT_WEIGHTS.get(name, 0.0) if w is None else w)


# --------------------------------------------------------------------------- entry point

def score_complexity(text: str, config: ComplexityConfig, *, images: int = 0,
                     tokens: int | None = None) -> ComplexityResult:
    """Score ``text`` for task complexity.

    ``score = min(1, sum(weight * value))`` over the components in :data:`COMPONENTS`,
    each value in [0, 1] with a short detail of what was seen (see the module docstring).
    ``images``: number of attached images (any > 0 makes ``multimodal`` 1).
    ``tokens``: the caller's count of input tokens; :func:`estimate_tokens` of ``text``
    when None. Never raises for content; the score is always within [0, 1].
    """
    text = text or ""
    t = estimate_tokens(text) if tokens is None else max(0, int(tokens))
    parts = _instruction(text)
    ask = "\n".join(parts)

    reasoning_hits: dict[str, float] = {}
    proof: dict[str, float] = {}
    terms: dict[str, float] = {}
    domain: dict[str, float] = {}
    debug: dict[str, float] = {}
    by_cat = {"reasoning": reasoning_hits, "proof": proof, "mathterm": terms, "domain": domain, "debug": debug}
    c_points = 0.0
    c_seen: dict[str, float] = {}
    all_words: list[str] = []
    for part in parts:
        low, found = _constraint_spans(part.lower(), c_seen)
        c_points += found
        words = _WORD_RE.findall(low)
        all_words += words
        for cat, shown, strength in _LEX.scan(words):
            if cat == "constraints":
                c_points += strength
                c_seen[shown] = c_seen.get(shown, 0.0) + strength
            else:
                d = by_cat[cat]
                d[shown] = max(d.get(shown, 0.0), strength)
    if not ask.isascii():
        for table, d in ((_REASONING_CJK, reasoning_hits), (_PROOF_CJK, proof)):
            for marker, strength in table.items():
                if marker in ask:
                    d[marker] = max(d.get(marker, 0.0), strength)

    values: dict[str, tuple[float, str]] = {}
    values["length"] = _length(t)
    values["domain"] = _domain(domain, ask)
    code_v, content, code_detail = _code(text, ask, all_words, debug, values["domain"][0])
    values["code"] = (code_v, code_detail)
    values["reasoning"] = _reasoning(reasoning_hits, ask, values["length"][0], content)
    values["math"] = _math(proof, terms, ask, has_code=content >= 0.3)
    values["constraints"] = _constraints(c_points, c_seen, ask)
    values["multimodal"] = _multimodal(text, ask, images)

    components: dict[str, Component] = {}
    total = 0.0
    for name in COMPONENTS:
        v, detail = values[name]
        v = min(1.0, max(0.0, v))
        w = _weight(config, name)
        total += w * v
        components[name] = Component(value=v, weight=w, detail=detail)
    return ComplexityResult(score=min(1.0, max(0.0, total)), components=components)
