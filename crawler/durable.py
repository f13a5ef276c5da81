"""Writes that leave no half-written file behind when they fail (a full disk, an I/O error):
appends are cut back off, whole-file writes go through a temporary file that is removed."""

from __future__ import annotations

import os
from pathlib import Path


def append_whole(fd: int, data: bytes, *, sync: bool = True) -> int:
    """Append `data` at the end of the file, all or nothing; the offset it starts at. A failed
    write is cut back off, so the file never ends in a partial line or record. Several processes
    may append to one file opened with O_APPEND: each write lands at the end as it is then, and
    a failed write is cut back only while nothing was appended after it (never another's line)."""
    start = os.lseek(fd, 0, os.SEEK_END)
    written = 0
    try:
        view = memoryview(data)
        while view:
            n = os.write(fd, view)
            if not written:
                start = os.lseek(fd, 0, os.SEEK_CUR) - n  # where it landed (O_APPEND: the end then)
            written += n
            view = view[n:]
        if sync:
            os.fsync(fd)  # written is kept, whatever happens to the process next
    except OSError:
        end = os.lseek(fd, 0, os.SEEK_CUR)
        if written and os.fstat(fd).st_size == end:
            os.ftruncate(fd, end - written)
            os.lseek(fd, end - written, os.SEEK_SET)
        raise
    return start


def write_atomic(path: Path, data: bytes | str) -> Path:
    """Replace `path` with `data` in one step; on failure the old file stays and no temporary
    file is left."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        if isinstance(data, str):
            tmp.write_text(data, "utf-8")
        else:
            tmp.write_bytes(data)
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    return path
