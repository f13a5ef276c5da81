"""All-or-nothing appends, alone and with another process appending to the same file."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from crawler import durable


def _fd(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def test_appends_return_where_each_landed(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    mine, theirs = _fd(path), _fd(path)
    assert durable.append_whole(mine, b"one\n") == 0
    durable.append_whole(theirs, b"two\n")
    assert durable.append_whole(mine, b"three\n") == 8  # after the other's line, not at its own offset
    assert path.read_bytes() == b"one\ntwo\nthree\n"


def test_a_failed_write_is_cut_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.jsonl"
    fd = _fd(path)
    durable.append_whole(fd, b"kept\n")
    real_write = os.write

    def half_then_full(f: int, data: memoryview) -> int:  # a disk that fills mid-line
        if len(data) > 3:
            return real_write(f, data[:3])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(durable.os, "write", half_then_full)
    with pytest.raises(OSError):
        durable.append_whole(fd, b"lost line\n")
    assert path.read_bytes() == b"kept\n"


def test_a_failed_write_never_cuts_another_process_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.jsonl"
    mine, theirs = _fd(path), _fd(path)
    durable.append_whole(mine, b"kept\n")
    real_write = os.write
    calls = []

    def interleaved(f: int, data: memoryview) -> int:
        calls.append(f)
        if len(calls) == 1:  # part of my line, then the other process appends its own
            n = real_write(f, data[:3])
            real_write(theirs, b"theirs\n")
            return n
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(durable.os, "write", interleaved)
    with pytest.raises(OSError):
        durable.append_whole(mine, b"mine\n")
    assert path.read_bytes().endswith(b"theirs\n")  # not cut off with my partial line
