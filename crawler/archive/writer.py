"""Write WARC files: records built from captured exchanges, gzip per record, files rotated.

A file is written as `<name>.warc.gz.open`, holding an exclusive lock while a process writes
it, and renamed to `<name>.warc.gz` when closed; `recover.py` finishes files whose writer died.
Names carry the time, a serial, the host and the process id, and are created exclusively, so
overlapping runs never write the same file.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import socket
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from isal import isal_zlib
from w3lib.url import safe_url_string
from warcio.recordbuilder import RecordBuilder
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from crawler.archive.http import HttpMessage, split_message
from crawler.archive.index import IndexLines, LineUnknown, cdxj_line
from crawler.durable import append_whole

OPEN_SUFFIX = ".open"


@dataclass(frozen=True)
class Locator:
    """Where a record is: enough to read it back with one seek."""

    filename: str
    offset: int
    length: int
    record_id: str

    def as_dict(self) -> dict:
        return {"filename": self.filename, "offset": self.offset, "length": self.length,
                "record_id": self.record_id}


@dataclass(frozen=True)
class Original:
    """A payload already archived: where a revisit record points."""

    uri: str
    date: str
    record_id: str


@dataclass(frozen=True)
class GzipEngine:
    """A deflate library the records are compressed with, and its levels. Any of them writes
    standard gzip members: readers cannot tell which one wrote a file."""

    name: str
    module: Any
    levels: range
    default: int

    def compressor(self, level: int | None = None) -> Any:
        return self.module.compressobj(self.default if level is None else level, self.module.DEFLATED,
                                       self.module.MAX_WBITS + 16)


# ISA-L (python-isal) compresses a news page about ten times as fast as zlib at gzip's default
# level 6, for files about a seventh larger; zlib at 6 is gzip's default; warcio's 9 costs
# about twice the CPU of 6 for files 1 % smaller.
GZIP_ENGINES = {
    "isal": GzipEngine("isal", isal_zlib, range(0, 4), 2),
    "zlib": GzipEngine("zlib", zlib, range(0, 10), 6),
}
GZIP_ENGINE = "isal"


def gzip_engine(name: str = GZIP_ENGINE, level: int | None = None) -> tuple[GzipEngine, int]:
    """The engine named and the level it compresses at (its default where None); ValueError
    naming what is allowed for an unknown engine or a level it does not have."""
    engine = GZIP_ENGINES.get(name)
    if engine is None:
        raise ValueError(f"WARC_GZIP_ENGINE={name!r}: one of {', '.join(GZIP_ENGINES)}")
    if level is not None and level not in engine.levels:
        raise ValueError(f"WARC_GZIP_LEVEL={level} is not a level of {name} "
                         f"({engine.levels.start}-{engine.levels.stop - 1})")
    return engine, engine.default if level is None else level


class _Gzip:
    """One gzip member at a chosen level (warcio's GzippingWrapper always uses zlib at 9)."""

    def __init__(self, out: BinaryIO, compressor: Any) -> None:
        self.compressor = compressor
        self.out = out

    def write(self, data: bytes) -> None:
        self.out.write(self.compressor.compress(data))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())
        self.out.flush()


class LeveledWARCWriter(WARCWriter):
    """warcio's writer, each record its own gzip member (as warcio writes them), by `engine`
    (`GZIP_ENGINES`) at `level` (the engine's default where None)."""

    def __init__(self, filebuf: BinaryIO, *, engine: str = GZIP_ENGINE, level: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(filebuf, gzip=False, **kwargs)
        self.engine, self.level = gzip_engine(engine, level)

    def _write_warc_record(self, out: BinaryIO, record: Any) -> None:
        super()._write_warc_record(_Gzip(out, self.engine.compressor(self.level)), record)


class _RecordIds:
    """WARC-Record-IDs: random (version 4) UUIDs, as warcio makes them, from a generator seeded
    from the OS once a process (again in a forked child), not a system call per record."""

    def __init__(self) -> None:
        self._seed()
        os.register_at_fork(after_in_child=self._seed)

    def _seed(self) -> None:
        self._random = random.Random(os.urandom(32))

    def __call__(self) -> str:
        return f"<urn:uuid:{uuid.UUID(int=self._random.getrandbits(128), version=4)}>"


new_record_id = _RecordIds()


class _Builder(RecordBuilder):
    """warcio's record builder, its record ids from `new_record_id`."""

    def _make_warc_id(self) -> str:
        return new_record_id()


def payload_key(prefix: str, digest: str) -> str:
    """The state store's key for a payload archived in the WARC files named `prefix-*`."""
    return f"{prefix} {digest}"


def payload_digest(data: bytes) -> str:
    digester = Digester("sha1")
    digester.update(data)
    return str(digester)


def warc_date(epoch: float) -> str:
    return datetime_to_iso_date(datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None), use_micros=True)


def article_uri(record_id: str) -> str:
    """WARC-Target-URI of an article's metadata record: a URI of its own, as Browsertrix's
    `urn:pageinfo:` and Heritrix's `metadata://` records have."""
    return f"urn:article:{record_id}"


def target_uri(url: str) -> str:
    """WARC-Target-URI as replay tools need it: ASCII, non-ASCII percent-encoded as UTF-8."""
    return safe_url_string(url, encoding="utf-8")


@dataclass
class Capture:
    """A captured exchange, parsed and digested, ready to be written."""

    uri: str
    request: bytes
    response: bytes
    date: str
    ip_address: str | None
    digest: str | None  # payload digest; None where the response has no parsable head
    complete: bool
    message: HttpMessage | None = None  # the response, parsed once
    empty: bool = False  # no payload at all (a redirect, a HEAD): never a revisit of another
    truncated: str | None = None  # WARC-Truncated's reason, where the body is cut short


def capture_of(url: str, request: bytes, response: bytes, started: float,
               ip_address: str | None, truncated: str | None = None) -> Capture:
    """A capture of one exchange; `truncated` when the download failed mid-body (its reason),
    otherwise a body short of its Content-Length or its last chunk is cut by a disconnect."""
    message = split_message(response)
    digest, complete, entity = None, False, b""
    if message is not None:
        entity, complete = message.entity()
        # As WARC 1.1 defines the payload: the entity body, transfer encoding (chunk framing)
        # removed, content encoding kept. A page re-served with other chunk boundaries has the
        # same digest, so it becomes a revisit. (warcio check digests the raw stream instead:
        # see crawler.archive.check.)
        digest = payload_digest(entity)
    complete = complete and truncated is None
    if not complete:
        truncated = truncated or "disconnect"
    return Capture(target_uri(url), request, response, warc_date(started), ip_address, digest,
                   complete, message, empty=message is not None and not entity, truncated=truncated)


class WarcFiles:
    """Rotating WARC files in one folder, for one crawl (`prefix`).

    Each file's CDXJ lines (`cdxj_line`) are kept as its records are written, in bounded
    memory (`IndexLines`: past a few MB, on disk), and given to `on_close(path, lines)` when
    it is closed, sorted; lines None where a record's line could not be told (`LineUnknown`):
    the file is to be indexed by reading it.
    """

    def __init__(self, folder: Path | str, prefix: str, *, max_size: int = 1 << 30,
                 info: dict | None = None, version: str = "1.1",
                 on_close: Callable[[Path, IndexLines | None], None] | None = None, engine: str = GZIP_ENGINE,
                 level: int | None = None) -> None:
        self.folder = Path(folder)
        self.engine, self.level = gzip_engine(engine, level)  # a wrong one refused before any file
        self.prefix = prefix
        self.max_size = max_size
        self.info = info or {}
        self.builder = _Builder(warc_version=version)
        self.version = version
        self.on_close = on_close
        self.closed: list[Path] = []
        self._serial = 0
        self._fh = None
        self._path: Path | None = None
        self._lines: IndexLines | None = IndexLines()  # the current file's CDXJ lines

    # --- files ---------------------------------------------------------------------------
    @property
    def current(self) -> Path | None:
        return self._path

    def _open(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._serial += 1
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        host = socket.gethostname().split(".")[0] or "host"
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{host}-{os.getpid()}.warc.gz"
        self._path = self.folder / (name + OPEN_SUFFIX)
        self._fh = open(self._path, "xb", buffering=0)  # held open across writes
        self._lines = IndexLines()
        fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        info = {"software": "zh-news-archiver (Scrapy)", "format": f"WARC File Format {self.version}",
                "hostname": socket.gethostname(), **self.info}
        try:
            self._append([self.builder.create_warcinfo_record(name, info)])
        except OSError:
            self._fh.close()
            self._path.unlink(missing_ok=True)
            self._fh = self._path = None
            raise

    def _append(self, records: list) -> list[tuple[int, int]]:
        """Write whole records at the file's end, all or nothing (a failed write, such as on a
        full disk, is cut back off); their (offset, length)."""
        buffer = BytesIO()
        writer = LeveledWARCWriter(buffer, engine=self.engine.name, level=self.level, warc_version=self.version)
        spans = []
        for record in records:
            start = buffer.tell()
            writer.write_record(record)
            spans.append((start, buffer.tell() - start))
        base = append_whole(self._fh.fileno(), buffer.getvalue(), sync=False)
        return [(base + start, length) for start, length in spans]

    def close(self) -> Path | None:
        """Close the current file (renamed to its final name); its path, or None."""
        if self._fh is None:
            return None
        os.fsync(self._fh.fileno())
        final = self._path.with_name(self._path.name[: -len(OPEN_SUFFIX)])
        os.rename(self._path, final)
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()
        self._fh = self._path = None
        lines, self._lines = self._lines, IndexLines()
        self.closed.append(final)
        if self.on_close:
            self.on_close(final, lines)
        return final

    def _write(self, records: list) -> list[Locator]:
        if self._fh is None:
            self._open()
        name = self._path.name[: -len(OPEN_SUFFIX)]
        # Whole records reach the file before anything else happens.
        spans = self._append(records)
        locators = []
        for record, (offset, length) in zip(records, spans, strict=True):
            locators.append(Locator(name, offset, length, record.rec_headers.get_header("WARC-Record-ID")))
            if self._lines is not None:
                try:
                    line = cdxj_line(record, name, offset, length)
                except LineUnknown:
                    self._lines = None
                    continue
                if line is not None:
                    self._lines.append(line)
        if spans[-1][0] + spans[-1][1] >= self.max_size:
            self.close()
        return locators

    # --- records -------------------------------------------------------------------------
    def _headers(self, capture: Capture, record_type: str, extra: dict) -> dict:
        # WARC-Type first, as readers expect to see it (warcio keeps the position it is given).
        headers = {"WARC-Type": record_type, "WARC-Date": capture.date, **extra}
        if capture.ip_address:
            headers["WARC-IP-Address"] = capture.ip_address
        return headers

    def write_capture(self, capture: Capture, original: Original | None = None) -> tuple[Locator, Locator]:
        """Write the request and the response (or, for a payload already archived, a revisit).

        Returns the locators of the request record and of the response/revisit record.
        """
        response_id = self.builder._make_warc_id()
        message = capture.message
        if original is not None and message is not None and capture.digest:
            response = self.builder.create_revisit_record(
                capture.uri, capture.digest, original.uri, original.date,
                http_headers=message.headers,
                warc_headers_dict=self._headers(capture, "revisit", {"WARC-Record-ID": response_id,
                                                          "WARC-Refers-To": original.record_id}))
        else:
            extra = {"WARC-Record-ID": response_id}
            if capture.digest:
                extra["WARC-Payload-Digest"] = capture.digest
            if message is not None and not capture.complete:
                extra["WARC-Truncated"] = capture.truncated or "disconnect"
            if message is not None:
                response = self.builder.create_warc_record(
                    capture.uri, "response", payload=BytesIO(message.body), length=len(message.body),
                    http_headers=message.headers, warc_headers_dict=self._headers(capture, "response", extra))
            else:  # not even a whole head: keep the bytes as a resource, never drop them
                response = self.builder.create_warc_record(
                    capture.uri, "resource", payload=BytesIO(capture.response),
                    length=len(capture.response), warc_content_type="application/octet-stream",
                    warc_headers_dict=self._headers(capture, "resource", {**extra, "WARC-Truncated": "disconnect"}))
        request_message = split_message(capture.request, request=True)
        request_extra = self._headers(capture, "request", {"WARC-Concurrent-To": response_id})
        if request_message is not None:
            request = self.builder.create_warc_record(
                capture.uri, "request", payload=BytesIO(request_message.body),
                length=len(request_message.body), http_headers=request_message.headers,
                warc_headers_dict=request_extra)
        else:
            request = self.builder.create_warc_record(
                capture.uri, "request", payload=BytesIO(capture.request), length=len(capture.request),
                warc_content_type="application/http; msgtype=request", warc_headers_dict=request_extra)
        response_locator, request_locator = self._write([response, request])
        return request_locator, response_locator

    def write_metadata(self, uri: str, refers_to: str | None, data: dict, date: float | None = None) -> Locator:
        """A metadata record (JSON) about a captured response, e.g. the article extracted from it.

        `uri` names the metadata itself (`article_uri`), never the page: replay tools index
        every record under its WARC-Target-URI and would otherwise serve the JSON for the page.
        """
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
        headers = {"WARC-Type": "metadata", "WARC-Date": warc_date(date or datetime.now(UTC).timestamp())}
        if refers_to:
            headers["WARC-Refers-To"] = refers_to
        record = self.builder.create_warc_record(
            target_uri(uri), "metadata", payload=BytesIO(payload), length=len(payload),
            warc_content_type="application/json", warc_headers_dict=headers)
        return self._write([record])[0]
