"""Which responses are article pages to parse: by their media type, with a look at the bytes
where the header is missing or generic (servers send HTML as text/plain or octet-stream)."""

from __future__ import annotations

import re

_GENERIC = ("", "text/plain", "application/octet-stream", "binary/octet-stream")
_MAGIC = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG", "image/png"),
          (b"GIF8", "image/gif"), (b"PK\x03\x04", "application/zip"), (b"RIFF", "application/octet-stream"))
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S)


def media_type(content_type: str | bytes | None) -> str:
    """`text/html; charset=gbk` → `text/html` (lower case); '' when there is none."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return (content_type or "").split(";", 1)[0].strip().lower()


def page_type(content_type: str | bytes | None, body: bytes) -> str:
    """What the response is: its declared media type, unless the bytes say otherwise (a known
    binary signature; HTML behind a missing or generic type)."""
    declared = media_type(content_type)
    head = body[:1024].lstrip(b"\xef\xbb\xbf")
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if declared in _GENERIC and _HTML_START.match(head):
        return "text/html"
    return declared or "application/octet-stream"

