"""`scrapy stories`: write OUTPUT_DIR/stories.jsonl, exactly one record per story, the one that
is its canonical record now (the exports are append-only; this view is rebuilt whole, and
replaced atomically, each time). `scrapy demo` writes it after its crawl.

Each line is a story's canonical record as exported, with `dedupe` brought up to date:
`cluster`, `canonical_because` (the rule's reasons) and `copies` (the other copies' record ids).
"""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

from scrapy.commands import ScrapyCommand

from crawler.dedupe.stories import canonical_choices, story_record
from crawler.state import StateStore, open_store

STORIES = "stories.jsonl"
_ID = re.compile(rb'"id": "([^"]+)"')  # a record's first key


def _exported_lines(output: Path) -> dict[str, bytes]:
    """Every exported record's line, by record id."""
    lines: dict[str, bytes] = {}
    for path in sorted([*output.glob("articles/*.jsonl"), *output.glob("duplicates/*.jsonl")]):
        with open(path, "rb") as fh:
            for line in fh:
                match = _ID.search(line)
                if match:
                    lines.setdefault(match.group(1).decode(), line)
    return lines


def stories_of(output: Path | str, state_url: str = "") -> tuple[Path, int]:
    """`write_stories` from the store of these settings (OUTPUT_DIR, STATE_URL)."""
    store = open_store(output, state_url)
    try:
        return write_stories(output, store)
    finally:
        store.close()


def write_stories(output: Path | str, store: StateStore) -> tuple[Path, int]:
    """Write the current stories view; its path and how many stories it holds."""
    output = Path(output)
    lines = _exported_lines(output)
    path = output / STORIES
    tmp = path.with_suffix(".jsonl.tmp")
    count = 0
    with open(tmp, "w", encoding="utf-8") as out:
        clusters = list(store.clusters())
        filed = {m.record_id for _, members in clusters for m in members}
        for cluster, best, because, copies in canonical_choices(clusters):
            if best in lines:
                out.write(json.dumps(story_record(json.loads(lines[best]), cluster, because, copies),
                                     ensure_ascii=False) + "\n")
                count += 1
        # Records never filed (dedupe off): each is a story of its own.
        for path_ in sorted(output.glob("articles/*.jsonl")):
            for line in path_.read_bytes().splitlines():
                match = _ID.search(line)
                if match and match.group(1).decode() not in filed:
                    out.write(line.decode("utf-8") + "\n")
                    count += 1
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)
    return path, count


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def short_desc(self) -> str:
        return "Write OUTPUT_DIR/stories.jsonl: each story's current canonical record, once"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        path, count = stories_of(self.settings.get("OUTPUT_DIR"), self.settings.get("STATE_URL", ""))
        print(f"{count} stories in {path}")
