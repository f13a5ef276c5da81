"""Read an archive back: which captures its WARC files hold, and each one's HTTP response.

A revisit record holds only the headers of its response: its payload is its original's
(`WARC-Refers-To`), looked up among the files read. Used to re-extract articles from the
archive and to package it (WACZ).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from crawler.archive.http import split_message
from crawler.archive.writer import Locator

CAPTURE_TYPES = ("response", "revisit")


@dataclass(frozen=True)
class ArchivedRecord:
    """One record's headers and place."""

    path: Path
    offset: int
    length: int
    type: str
    uri: str | None
    date: str
    record_id: str
    refers_to: str | None  # WARC-Refers-To: a revisit's original, a metadata record's response
    part_of: str  # the spider that wrote the file: its warcinfo's `isPartOf`, else its name's prefix

    @property
    def locator(self) -> Locator:
        return Locator(self.path.name, self.offset, self.length, self.record_id)


@dataclass
class ArchivedResponse:
    """An HTTP response as archived: the body without transfer encoding, content encoding kept."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: str  # when it was fetched (WARC-Date)


def warc_files(source: Path | str) -> list[Path]:
    """The WARC files of an output folder (its warc/), of a folder of WARCs, or one file."""
    source = Path(source)
    if source.is_file():
        return [source]
    folder = source / "warc" if (source / "warc").is_dir() else source
    return sorted(folder.glob("*.warc.gz")) + sorted(folder.glob("*.warc"))


def _warcinfo_part_of(record) -> str | None:
    for line in record.content_stream().read().decode("utf-8", "replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "isPartOf":
            return value.strip()
    return None


def scan(path: Path) -> Iterator[ArchivedRecord]:
    """Every record of one WARC file, in file order."""
    part_of = path.name.split("-", 1)[0]  # `<spider>-...`, unless its warcinfo says otherwise
    with open(path, "rb") as fh:
        records = ArchiveIterator(fh, no_record_parse=True)
        for record in records:
            headers = record.rec_headers
            if record.rec_type == "warcinfo":
                part_of = _warcinfo_part_of(record) or part_of
            offset = records.get_record_offset()
            records.read_to_end(record)
            yield ArchivedRecord(path, offset, records.get_record_length(), record.rec_type,
                                 headers.get_header("WARC-Target-URI"), headers.get_header("WARC-Date"),
                                 headers.get_header("WARC-Record-ID"), headers.get_header("WARC-Refers-To"),
                                 part_of)


def read_block(path: Path, offset: int) -> bytes:
    """The block (everything after the WARC headers) of the record at `offset`."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh, no_record_parse=True)))
        return record.raw_stream.read()


class Archive:
    """The records of a set of WARC files, by id, with their responses on demand."""

    def __init__(self, paths: Iterable[Path]) -> None:
        self.paths = list(paths)
        self.records = [record for path in self.paths for record in scan(path)]
        self.by_id = {r.record_id: r for r in self.records}

    @classmethod
    def of(cls, source: Path | str) -> Archive:
        return cls(warc_files(source))

    def captures(self, part_of: str | None = None) -> list[ArchivedRecord]:
        """Response and revisit records, in file order; those of one spider's files if named."""
        return [r for r in self.records if r.type in CAPTURE_TYPES
                and (part_of is None or r.part_of == part_of)]

    def described(self) -> set[str]:
        """Ids of the responses a metadata record (an article) refers to."""
        return {r.refers_to for r in self.records if r.type == "metadata" and r.refers_to}

    def original(self, record: ArchivedRecord) -> ArchivedRecord | None:
        """The record holding a capture's payload: itself, or a revisit's original."""
        seen = set()
        while record is not None and record.type == "revisit":
            if record.record_id in seen:
                return None
            seen.add(record.record_id)
            record = self.by_id.get(record.refers_to or "")
        return record

    def response(self, record: ArchivedRecord) -> ArchivedResponse | None:
        """The HTTP response a capture holds (a revisit's with its original's payload); None
        where it has no HTTP head or a revisit's original is not among these files."""
        head = split_message(read_block(record.path, record.offset))
        original = self.original(record)
        if head is None or original is None:
            return None
        body = head.entity()[0]
        if original is not record:
            payload = split_message(read_block(original.path, original.offset))
            if payload is None:
                return None
            body = payload.entity()[0]
        status = int(head.headers.get_statuscode() or 0)
        # The body is without its transfer encoding now: say so no more.
        headers = [(name, value) for name, value in head.headers.headers
                   if name.lower() not in ("transfer-encoding", "content-length")]
        return ArchivedResponse(record.uri or "", status, headers, body, record.date)

    def files_needed(self, paths: Iterable[Path]) -> list[Path]:
        """These files plus those holding the originals their revisits refer to."""
        chosen = list(dict.fromkeys(paths))
        names = {p.name for p in chosen}
        for record in self.records:
            if record.path.name in names and record.type == "revisit":
                original = self.original(record)
                if original is not None and original.path.name not in names:
                    names.add(original.path.name)
                    chosen.append(original.path)
        return chosen
