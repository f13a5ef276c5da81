"""Bytes of an HTML page to text, the way Chinese news pages need it.

Order of evidence: a BOM; valid UTF-8 (multi-byte UTF-8 that decodes cleanly is almost never
anything else, whatever the page claims); the charset a page declares in `<meta>`; the HTTP
header; detection. The GB family reads as gb18030, its superset, so characters outside
gb2312/gbk that sites use anyway survive. Single-byte Western charsets are weak evidence on a
Chinese site (a server default, not a choice) and are tried only after detection.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.IGNORECASE)

_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "euc-cn": "gb18030",
    "big5": "big5hkscs",
    "x-euc-tw": "big5hkscs",
    "utf8": "utf-8",
    "unicode": "utf-8",
}
_WEAK = {"latin_1", "iso8859-1", "cp1252", "ascii"}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    evidence: str  # bom | utf-8 | meta | header | detected | weak | fallback | text
    replacements: int = 0  # characters that could not be decoded (U+FFFD inserted)


def normalize_charset(name: str | None) -> str | None:
    """A codec name Python knows, with the GB family widened to gb18030; None if unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return _ALIASES.get(codec, codec)


def meta_charset(data: bytes) -> str | None:
    """The charset a page declares in a `<meta>` tag of its first 16 KB."""
    match = _META_CHARSET.search(data[:16384])
    return normalize_charset(match.group(1).decode("ascii", "ignore")) if match else None


def header_charset(content_type: str | bytes | None) -> str | None:
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    match = _HEADER_CHARSET.search(content_type or "")
    return normalize_charset(match.group(1)) if match else None


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _nearly(data: bytes, encoding: str) -> tuple[str, int] | None:
    """Decode allowing a few bad bytes (a truncated last character, a stray byte)."""
    try:
        text = data.decode(encoding, "replace")
    except LookupError:
        return None
    bad = text.count("\ufffd")
    return (text, bad) if bad <= max(2, len(text) // 1000) else None


def _writes_chinese(encoding: str) -> bool:
    """A codec that can write Chinese: a multi-byte one, not a single-byte Western or Cyrillic
    charset that decodes any bytes at all and so proves nothing."""
    try:
        "中".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _detect(data: bytes) -> str | None:
    best = from_bytes(data[:262144]).best()
    return normalize_charset(best.encoding) if best else None


def decode_html(data: bytes | str, content_type: str | bytes | None = None) -> Decoded:
    """Decode a page's bytes to text; `content_type` is the HTTP Content-Type header, if any."""
    if isinstance(data, str):
        return Decoded(data, "text", "text")
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            text = data[len(bom):].decode(encoding, "replace")
            return Decoded(text, encoding, "bom", text.count("\ufffd"))
    if not data.isascii():
        text = _strict(data, "utf-8")
        if text is not None:
            return Decoded(text, "utf-8", "utf-8")

    weak: list[str] = []
    for evidence, encoding in (("meta", meta_charset(data)), ("header", header_charset(content_type))):
        if not encoding:
            continue
        if encoding in _WEAK:
            weak.append(encoding)
            continue
        nearly = _nearly(data, encoding)
        if nearly is not None:
            return Decoded(nearly[0], encoding, evidence, nearly[1])

    detected = _detect(data) if not data.isascii() else "ascii"
    if detected and detected != "ascii" and not _writes_chinese(detected):
        # Detection guesses a single-byte charset when a GB page has a stray bad byte or two
        # (a truncated character): on a Chinese site the GB reading is the likelier one.
        nearly = _nearly(data, "gb18030")
        if nearly is not None:
            return Decoded(nearly[0], "gb18030", "detected", nearly[1])
    if detected:
        text = _strict(data, detected)
        if text is not None:
            return Decoded(text, detected, "detected")
    for encoding in weak:
        text = _strict(data, encoding)
        if text is not None:
            return Decoded(text, encoding, "weak")
    # Damaged bytes (truncated download, mixed encodings): keep every character we can.
    text = data.decode("gb18030", "replace")
    return Decoded(text, "gb18030", "fallback", text.count("\ufffd"))
