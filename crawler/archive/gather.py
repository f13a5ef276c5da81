"""One crawl made on several machines, gathered into one folder: every machine's WARC files (and
their per-file indexes) in one warc/ folder, and every machine's export lines in one file each.

A source is one machine's OUTPUT_DIR, copied (rsync) or mounted. WARC files are hard-linked
where the file system allows (they never change once closed), else copied; two different files
of one name are refused before anything is gathered, while the same file seen again (same size
and content digest) is left as it is, so gathering twice changes nothing. Export lines are kept
once per record id (a dead run's line may be in two machines' exports, see
crawler.extensions.state), in the order first seen; a source's torn last line (a crawl still
writing when it was copied) is skipped and counted.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from crawler.dedupe import CLUSTER_LOG

# The export pipeline's layout (crawler/pipelines/export.py): one file per spider in each of
# these folders, and the cluster event log.
EXPORT_FOLDERS = ("articles", "duplicates")
WARC_GLOB = "*.warc.gz"


class SameNameDiffers(Exception):
    """Two different WARC files of one name: gathering them would lose one."""

    def __init__(self, name: str, first: Path, second: Path) -> None:
        super().__init__(f"two different WARC files named {name}: {first} and {second}")


def digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def same_file(a: Path, b: Path) -> bool:
    """One file, or two of the same size and content digest."""
    if a.stat().st_size != b.stat().st_size:
        return False
    return os.path.samefile(a, b) or digest(a) == digest(b)


@dataclass
class WarcsGathered:
    linked: list[Path] = field(default_factory=list)
    copied: list[Path] = field(default_factory=list)
    present: list[Path] = field(default_factory=list)  # already in the destination
    open_files: list[Path] = field(default_factory=list)  # still being written (or to recover)

    @property
    def files(self) -> int:
        return len(self.linked) + len(self.copied) + len(self.present)


def plan_warcs(sources: list[Path], dest: Path) -> tuple[dict[str, Path], list[Path]]:
    """The WARC file of each name to gather into `dest` (one per name), and the names already
    there; SameNameDiffers when two files of one name differ."""
    chosen: dict[str, Path] = {}
    for source in sources:
        for warc in sorted((source / "warc").glob(WARC_GLOB)):
            first = chosen.get(warc.name) or (dest / warc.name if (dest / warc.name).exists() else None)
            if first is not None and not same_file(first, warc):
                raise SameNameDiffers(warc.name, first, warc)
            chosen.setdefault(warc.name, warc)
    return chosen, [dest / name for name in chosen if (dest / name).exists()]


def place(source: Path, target: Path) -> bool:
    """Hard-link `source` as `target`, or copy it where the file system cannot (another
    device, no links); whether it was linked. A copy lands whole or not at all."""
    try:
        os.link(source, target)
        return True
    except OSError as error:
        if error.errno not in (errno.EXDEV, errno.EPERM, errno.EMLINK, errno.ENOTSUP, errno.EACCES):
            raise
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return False


def gather_warcs(sources: list[Path], warc_dir: Path, index_dir: Path) -> WarcsGathered:
    """Every closed WARC file of the sources' warc/ folders into `warc_dir`, with the per-file
    index a source has for it into `index_dir` (a file without one is left for index_missing).
    Checked first: SameNameDiffers, and nothing is gathered."""
    warc_dir.mkdir(parents=True, exist_ok=True)
    index_dir.mkdir(parents=True, exist_ok=True)
    chosen, present = plan_warcs(sources, warc_dir)
    done = WarcsGathered(present=present)
    done.open_files = [p for s in sources for p in sorted((s / "warc").glob(WARC_GLOB + ".open"))]
    there = set(present)
    for name, warc in chosen.items():
        target = warc_dir / name
        if target not in there:
            (done.linked if place(warc, target) else done.copied).append(target)
        index = warc.parent.parent / "index" / f"{name}.cdxj"
        if index.exists() and not (index_dir / index.name).exists():
            place(index, index_dir / index.name)
    return done


@dataclass
class LinesMerged:
    """One export file gathered: lines written now, lines already there, lines seen again (the
    same record in another source, or gathered before), torn last lines skipped, damaged ones."""

    path: Path
    added: int = 0
    kept: int = 0
    repeated: int = 0
    torn: list[Path] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # "file:line: why"

    @property
    def lines(self) -> int:
        return self.added + self.kept


def record_id(record: dict) -> object:
    """An export record's identity: its id."""
    if "id" not in record:
        raise ValueError("no record id")
    return record["id"]


def event_key(event: dict) -> object:
    """A cluster event's identity: all of it (the same event logged by two machines is one)."""
    return json.dumps(event, sort_keys=True, ensure_ascii=False)


def read_lines(path: Path, key: Callable[[dict], object], merged: LinesMerged) -> Iterator[tuple[object, bytes]]:
    """The whole lines of an export file with their keys; a last line without its newline is
    torn (counted), a line that is no JSON record is damaged (named), both left out."""
    with open(path, "rb") as fh:
        for n, line in enumerate(fh, 1):
            if not line.endswith(b"\n"):
                merged.torn.append(path)
                break
            if not line.strip():
                continue
            try:
                value = json.loads(line)
                if not isinstance(value, dict):
                    raise ValueError("not a JSON object")
                yield key(value), line
            except (ValueError, TypeError) as error:
                merged.damaged.append(f"{path}:{n}: {error}")


def merge_lines(dest: Path, sources: list[Path], key: Callable[[dict], object] = record_id) -> LinesMerged:
    """Add to `dest` every line of the `sources` whose key it does not hold yet, in order; the
    file is replaced in one step, and left alone when nothing is new."""
    merged = LinesMerged(dest)
    seen: set[object] = set()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as out:
            for k, line in read_lines(dest, key, merged) if dest.exists() else ():
                seen.add(k)
                out.write(line)
                merged.kept += 1
            for source in sources:
                for k, line in read_lines(source, key, merged):
                    if k in seen:
                        merged.repeated += 1
                        continue
                    seen.add(k)
                    out.write(line)
                    merged.added += 1
            out.flush()
            os.fsync(out.fileno())
        if merged.added:
            os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return merged


def gather_exports(sources: list[Path], dest: Path) -> list[LinesMerged]:
    """Every export file of the sources merged into the same place under `dest`: records once
    by id, cluster events once each."""
    names = sorted({(folder, p.name) for s in sources for folder in EXPORT_FOLDERS
                    for p in (s / folder).glob("*.jsonl")})
    merged = [merge_lines(dest / folder / name, [s / folder / name for s in sources
                                                 if (s / folder / name).is_file()]) for folder, name in names]
    logs = [s / CLUSTER_LOG for s in sources if (s / CLUSTER_LOG).is_file()]
    if logs:
        merged.append(merge_lines(dest / CLUSTER_LOG, logs, key=event_key))
    return merged
