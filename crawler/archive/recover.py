"""Finish WARC files whose writer died: keep every whole record, cut the partial one.

A `.warc.gz.open` file whose lock no live process holds was being written when its process
stopped (SIGKILL, power loss). Its whole gzip members are whole records: the file is cut after
the last one and renamed to its final name, as its writer would have done.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from crawler.archive.writer import OPEN_SUFFIX

log = logging.getLogger(__name__)
_CHUNK = 1 << 20


@dataclass
class Recovered:
    path: Path  # the final path (None-like: the file removed, when it held no whole record)
    kept_bytes: int
    cut_bytes: int
    records: int


def _whole_record(data: bytes) -> bool:
    head_end = data.find(b"\r\n\r\n")
    if not data.startswith(b"WARC/") or head_end < 0:
        return False
    match = re.search(rb"\r\nContent-Length:\s*(\d+)", data[:head_end + 2], re.I)
    return bool(match) and len(data) == head_end + 4 + int(match.group(1)) + 4 and data.endswith(b"\r\n\r\n")


def whole_records_end(path: Path) -> tuple[int, int]:
    """(end offset of the last whole record, number of whole records)."""
    end = records = 0
    with open(path, "rb") as fh:
        pos = 0
        while True:
            fh.seek(pos)
            member = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out = bytearray()
            consumed = 0
            while not member.eof:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    return end, records
                try:
                    out += member.decompress(chunk)
                except zlib.error:
                    return end, records
                consumed += len(chunk)
            consumed -= len(member.unused_data)
            if not _whole_record(bytes(out)):
                return end, records
            pos += consumed
            end, records = pos, records + 1


def recover_folder(folder: Path | str) -> list[Recovered]:
    """Recover every abandoned `.open` WARC in `folder`; files a live writer holds are left alone."""
    results = []
    for path in sorted(Path(folder).glob(f"*.warc.gz{OPEN_SUFFIX}")):
        with open(path, "r+b") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its writer is alive
            size = os.fstat(fh.fileno()).st_size
            end, records = whole_records_end(path)
            fh.truncate(end)
            fh.flush()
            os.fsync(fh.fileno())
            final = path.with_name(path.name[: -len(OPEN_SUFFIX)])
            if records:
                os.rename(path, final)
            else:
                os.remove(path)
            fcntl.flock(fh, fcntl.LOCK_UN)
        log.warning("recovered %s: kept %d whole records (%d bytes), cut %d bytes",
                    final.name, records, end, size - end)
        results.append(Recovered(final, end, size - end, records))
    return results
