"""One HTTP exchange as it crossed the wire: what the archive writes request and response
records from. The download handler records it (crawler.downloader.recording)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Exchange:
    """One request and its response, as they crossed the wire."""

    request: bytes  # request line, headers, body: the bytes written
    response: bytes  # status line, headers, body (transfer-encoded as received)
    started: float  # when the request was written (epoch seconds)
    ip_address: str | None
    # Why the body is cut short, as WARC-Truncated says it, when the download failed after
    # the head arrived: "time" (a timeout), "length" (over the size limit), "disconnect".
    truncated: str | None = None
