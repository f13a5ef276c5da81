"""HTTP messages as received: head and body split without re-encoding anything."""

from __future__ import annotations

import re
from dataclasses import dataclass
from io import BytesIO

from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser

_RESPONSE_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1", "HTTP/2", "HTTP/2.0"], verify=False)
_REQUEST_PARSER = StatusAndHeadersParser([], verify=False)


class ExactHeaders(StatusAndHeaders):
    """Parsed headers that serialise to the bytes they were parsed from (header case, order,
    spacing and repeated fields as sent), not to warcio's re-rendering."""

    def __init__(self, parsed: StatusAndHeaders, raw: bytes) -> None:
        super().__init__(parsed.statusline, parsed.headers, parsed.protocol, parsed.total_len)
        self.headers_buff = raw

    def compute_headers_buffer(self, header_filter: object = None) -> None:
        pass  # keep headers_buff: the bytes as sent


@dataclass
class HttpMessage:
    head: bytes  # start line and headers, through the blank line
    body: bytes  # as received: still transfer- and content-encoded
    headers: ExactHeaders

    @property
    def chunked(self) -> bool:
        return "chunked" in (self.headers.get_header("Transfer-Encoding") or "").lower()

    def entity(self) -> tuple[bytes, bool]:
        """The body without transfer encoding (content encoding kept), and whether it is whole."""
        if self.chunked:
            return dechunk(self.body)
        length = self.headers.get_header("Content-Length")
        if length and length.strip().isdigit():
            return self.body, len(self.body) >= int(length)
        return self.body, True


def split_message(raw: bytes, *, request: bool = False) -> HttpMessage | None:
    """Split a raw HTTP message; None where there is no complete head."""
    match = re.search(rb"\r?\n\r?\n", raw)
    if not match:
        return None
    head, body = raw[: match.end()], raw[match.end():]
    parser = _REQUEST_PARSER if request else _RESPONSE_PARSER
    try:
        parsed = parser.parse(BytesIO(head))
    except Exception:  # warcio raises several kinds on junk
        return None
    return HttpMessage(head, body, ExactHeaders(parsed, head))


def dechunk(body: bytes) -> tuple[bytes, bool]:
    """Remove chunked transfer encoding; (data, complete)."""
    out = bytearray()
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            return bytes(out), False
        size_text = body[pos:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return bytes(out), False
        if size == 0:
            return bytes(out), True
        start = end + 2
        if len(body) < start + size:
            out += body[start:]
            return bytes(out), False
        out += body[start:start + size]
        pos = start + size + 2
