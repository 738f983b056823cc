"""Fast, dependency-free estimate of how many tokens an LLM tokenizer makes of a text.

Basis (byte-pair-encoding tokenizers: OpenAI's cl100k/o200k, Anthropic's, and the
Llama/Qwen/Gemma families that local models use):

- Latin-script words: OpenAI's rule of thumb "1 token ~= 4 characters of English text
  ~= 3/4 of a word" (OpenAI help centre, "What are tokens and how to count them?").
  Punctuation is counted separately (below), so letters plus one leading space per word
  are taken at 4.8 characters per token, at least 1 token per word (short words are
  whole tokens): ``max(words, (letters + words) / 4.8)``. With the punctuation this comes
  to ~4 characters (~0.75 words) per token on English prose, as the rule says.
- Digit runs: cl100k/o200k and Llama 3 split numbers into groups of at most 3 digits,
  ``ceil(n / 3)`` per run, about ``max(runs, (digits + runs) / 3)`` in aggregate.
- CJK ideographs, kana, Hangul and full-width forms: about 1 token per character
  (common characters are single tokens, rare ones take 2-3, newer vocabularies merge
  some pairs).
- Other scripts (Cyrillic, Greek, Arabic, Hebrew, Indic, Thai, ...): vocabularies hold
  fewer merges for them, about 2.5 characters per token and at least 1 per word.
- Punctuation and symbols: runs of up to 2 characters are 1 token (``,`` ``?`` ``()``
  ``=>``): ``max(runs, chars / 2)``. Emoji and other 4-byte characters: 2 tokens each.
- Whitespace: a space is absorbed by the next word; each line break and each
  indentation run (2+ spaces/tabs) is about 1 token.

Expected error against a real tokenizer: about +/-15% on English prose (common words
are single tokens, so short everyday sentences come out ~10-20% high), +/-25% on code,
other Latin-script languages, numbers/tables and Cyrillic, and up to +/-35% on CJK
(o200k needs ~0.7 tokens per Chinese character, cl100k ~1.2). Good enough for
context-window checks and cost estimates; not for billing.

Speed: the text is UTF-8 encoded and mapped to one class byte per character with
``bytes.translate``; everything else is ``bytes.count``. No per-character or per-word
Python loop, so 100k characters take about a millisecond.
"""

from __future__ import annotations

# Character classes: L latin letter, D digit, C CJK / full-width, O other-script letter,
# P punctuation/symbol, E emoji / 4-byte char, S space or tab, N line break.
# UTF-8 continuation bytes (and combining diacritics U+0300-036F, lead bytes CC/CD) are
# deleted, so each remaining byte stands for one character.


def _build_table() -> tuple[bytes, bytes]:
    table = bytearray(b"P" * 256)
    for b in range(ord("A"), ord("Z") + 1):
        table[b] = ord("L")
    for b in range(ord("a"), ord("z") + 1):
        table[b] = ord("L")
    for b in range(ord("0"), ord("9") + 1):
        table[b] = ord("D")
    for ch in " \t\r\x0b\x0c":
        table[ord(ch)] = ord("S")
    table[ord("\n")] = ord("N")
    # 2-byte lead bytes: C2 Latin-1 symbols (P); C3-C9 Latin letters U+00C0-027F (L);
    # CA-CB IPA/modifiers (O); CE-DF Greek, Cyrillic, Armenian, Hebrew, Arabic, ... (O).
    for b in range(0xC3, 0xCA):
        table[b] = ord("L")
    for b in (0xCA, 0xCB):
        table[b] = ord("O")
    for b in range(0xCE, 0xE0):
        table[b] = ord("O")
    # 3-byte lead bytes: E0-E1 Indic, Thai, Georgian, Myanmar, ... (O); E2 general punctuation,
    # symbols, arrows, math (P); E3-ED CJK symbols, kana, ideographs, Yi, Hangul (C);
    # EE private use (P); EF compatibility ideographs and full-width forms (C).
    table[0xE0] = table[0xE1] = ord("O")
    for b in range(0xE3, 0xEE):
        table[b] = ord("C")
    table[0xEF] = ord("C")
    # 4-byte lead bytes: emoji and supplementary-plane characters.
    for b in range(0xF0, 0xF5):
        table[b] = ord("E")
    delete = bytes(range(0x80, 0xC0)) + b"\xcc\xcd"
    return bytes(table), delete


_TABLE, _DELETE = _build_table()
_CLASSES = (b"L", b"D", b"C", b"O", b"P", b"E", b"S", b"N")


def _runs(t: bytes, cls: bytes, total: int, width: int = 1) -> int:
    """Number of maximal runs of at least ``width`` characters of class ``cls`` (one byte)
    in ``t``; ``total`` is ``t.count(cls)`` (0 short-cuts)."""
    if not total:
        return 0
    seq = cls * width
    runs = 1 if t[:width] == seq else 0
    for other in _CLASSES:
        if other != cls:
            runs += t.count(other + seq)
    return runs


def estimate_tokens(text: str) -> int:
    """Estimated number of LLM tokens in ``text``: an int >= 0, 0 for an empty text.

    Sum of: Latin text ``max(words, (letters + words) / 4.8)``; digits ``max(runs, (digits + runs) / 3)``;
    CJK/full-width characters 1 each; other-script text ``max(words, letters / 2.5)``;
    punctuation ``max(runs, chars / 2)``; emoji 2 each; line breaks and indentation runs
    1 each. The English figure is OpenAI's "~4 characters per token" rule of thumb; see the
    module docstring for the other bases and the expected error (about +/-15% on English
    prose against cl100k/o200k-style tokenizers).
    """
    if not text:
        return 0
    t = text.encode("utf-8", "replace").translate(_TABLE, _DELETE)
    count = t.count
    total = 0.0

    letters = count(b"L")
    if letters:
        words = _runs(t, b"L", letters)
        total += max(words, (letters + words) / 4.8)
    digits = count(b"D")
    if digits:
        runs = _runs(t, b"D", digits)
        total += max(runs, (digits + runs) / 3.0)
    other = count(b"O")
    if other:
        total += max(_runs(t, b"O", other), other / 2.5)
    punct = count(b"P")
    if punct:
        total += max(_runs(t, b"P", punct), punct / 2.0)
    total += count(b"C") + 2 * count(b"E") + count(b"N")
    if b"SS" in t:
        total += _runs(t, b"S", 1, width=2)  # indentation / alignment runs

    return max(1, int(total + 0.5))
