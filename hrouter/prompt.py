"""Assemble one prompt from the command line's arguments, files and stdin.

Order: piped stdin first, then each ``-f`` file in the order given, then the
argument text; parts are joined by a blank line. Image files (PNG, JPEG, GIF,
WebP, recognised by their magic bytes) become attachments, not text.
"""

from __future__ import annotations

from hrouter.paths import expand_user as _expand_user

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .backends.base import Image
from .errors import InputError

#: Largest prompt text accepted (bytes of UTF-8); larger input is an InputError, not a slow failure.
MAX_PROMPT_BYTES = 8 * 1024 * 1024
#: Largest image accepted (bytes); Anthropic's documented per-image limit is 5 MB.
MAX_IMAGE_BYTES = 5 * 1024 * 1024

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True)
class Prompt:
    """A prompt ready to route: ``text`` (the user message), ``system`` prompt, attached
    ``images`` and the ``sources`` it came from (``stdin``, file paths, ``argument``)."""

    text: str
    system: str | None = None
    images: tuple[Image, ...] = ()
    sources: tuple[str, ...] = field(default_factory=tuple)


def image_type(data: bytes) -> str | None:
    """Media type of ``data`` if it is structured like a PNG, JPEG, GIF or WebP image, else None.

    More than the magic bytes is checked (PNG: IHDR first and an IEND chunk; JPEG: an EOI
    marker at the end; GIF: the trailer byte; WebP: the RIFF size), so text that merely starts
    with ``GIF89a`` is read, and scanned, as text. Formats: PNG (ISO/IEC 15948), JPEG
    (ITU-T T.81), GIF89a, WebP (RIFF container).
    """
    for magic, media in _IMAGE_MAGIC:
        if data.startswith(magic):
            break
    else:
        media = None
    body = data.rstrip(b"\x00")
    if media == "image/png":
        return media if data[12:16] == b"IHDR" and b"IEND" in data[-16:] else None
    if media == "image/jpeg":
        return media if body.endswith(b"\xff\xd9") else None
    if media == "image/gif":
        return media if body.endswith(b"\x3b") and len(data) >= 14 else None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        declared = int.from_bytes(data[4:8], "little")
        return "image/webp" if declared + 8 in (len(data), len(data) - 1) else None
    return None


def claimed_image_type(data: bytes) -> str | None:
    """The image format ``data``'s first bytes announce (``PNG``, ``JPEG``, ``GIF``, ``WebP``),
    whether or not the rest is a whole image; None when they announce none."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    for magic, media in _IMAGE_MAGIC:
        if data.startswith(magic):
            return media.split("/")[1].upper()
    return None


def decode_text(data: bytes, source: str) -> str:
    """Decode UTF-8 (a BOM is dropped) or raise InputError naming ``source`` and the byte offset.

    Bytes that start like an image but are not a whole one (:func:`image_type` said no) are
    reported as an image that could not be read, not as bad text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        claimed = claimed_image_type(data)
        if claimed:
            raise InputError(f"{source}: starts like a {claimed} image but could not be read as one "
                             "(truncated or corrupt?); attach a complete PNG, JPEG, GIF or WebP file") from None
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(f"{source}: not valid UTF-8 (line {line}, byte {exc.start}); hrouter reads UTF-8 text "
                         "(convert with iconv) or PNG, JPEG, GIF and WebP images, which this is not") from None
    if "\x00" in text:
        raise InputError(f"{source}: contains NUL bytes; this looks like a binary file, not text")
    return text


def _read_limited(stream: BinaryIO, source: str) -> bytes:
    data = stream.read(MAX_PROMPT_BYTES + 1)
    if len(data) > MAX_PROMPT_BYTES:
        raise InputError(f"{source}: larger than {MAX_PROMPT_BYTES // (1024 * 1024)} MiB; "
                         "split the input or summarise it in parts")
    return data


def assemble_prompt(args: list[str] | tuple[str, ...], files: list[str] | tuple[str, ...] = (), *,
                    stdin: BinaryIO | None = None, read_stdin: bool = False,
                    system: str | None = None) -> Prompt:
    """Build a :class:`Prompt` from positional ``args`` (joined by spaces; a lone ``-`` means
    "read stdin"), ``files`` (paths; ``-`` is stdin) and ``stdin`` (read when ``read_stdin`` is
    true or ``-`` is given).

    Raises :class:`InputError` for no input at all, an unreadable or oversized file,
    invalid UTF-8, or a prompt that is only whitespace.
    """
    for value, what in [(a, "argument") for a in args] + [(system, "--system")]:
        if value is not None:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:  # undecodable bytes in argv arrive as lone surrogates
                raise InputError(f"{what}: not valid UTF-8; hrouter reads UTF-8 text") from None
    want_stdin = read_stdin or "-" in args or "-" in files
    words = [a for a in args if a != "-"]
    parts: list[str] = []
    sources: list[str] = []
    images: list[Image] = []
    if want_stdin and stdin is not None:
        data = _read_limited(stdin, "stdin")
        media = image_type(data)
        if media:
            images.append(Image(data=data, media_type=media, source="stdin"))
            sources.append("stdin")
        else:
            text = decode_text(data, "stdin")
            if text.strip():
                parts.append(text.rstrip("\n"))
                sources.append("stdin")
    for f in files:
        if f == "-":
            continue
        path = _expand_user(f)
        try:
            with open(path, "rb") as fh:
                data = _read_limited(fh, str(f))
        except FileNotFoundError:
            raise InputError(f"{f}: no such file") from None
        except IsADirectoryError:
            raise InputError(f"{f}: is a directory") from None
        except PermissionError:
            raise InputError(f"{f}: permission denied") from None
        except OSError as exc:
            raise InputError(f"{f}: cannot read ({exc.strerror or exc})") from None
        media = image_type(data)
        if media:
            if len(data) > MAX_IMAGE_BYTES:
                raise InputError(f"{f}: image larger than {MAX_IMAGE_BYTES // (1024 * 1024)} MB")
            images.append(Image(data=data, media_type=media, source=str(f)))
        else:
            text = decode_text(data, str(f))
            if text.strip():
                parts.append(text.rstrip("\n"))
        sources.append(str(f))
    arg_text = " ".join(words).strip()
    if arg_text:
        parts.append(arg_text)
        sources.append("argument")
    text = "\n\n".join(parts)
    if len(text.encode("utf-8")) > MAX_PROMPT_BYTES:
        raise InputError(f"prompt larger than {MAX_PROMPT_BYTES // (1024 * 1024)} MiB")
    if not text.strip() and not images:
        raise InputError("no prompt given")
    if system is not None and not system.strip():
        system = None
    return Prompt(text=text, system=system, images=tuple(images), sources=tuple(sources))


def stdin_is_interactive(stream) -> bool:
    """True when ``stream`` is a terminal (then stdin is not read unless ``-`` is given)."""
    try:
        return os.isatty(stream.fileno())
    except (AttributeError, ValueError, OSError):
        return False
