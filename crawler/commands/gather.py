"""`scrapy gather DEST SRC [SRC ...]`: one crawl made on several machines, gathered into DEST.

Each SRC is one machine's OUTPUT_DIR (rsync'd, or mounted). Into DEST: every WARC file
(hard-linked where the file system allows, else copied) in DEST/warc/ with DEST/index.cdxj
indexing them all; every export file merged, each record once (crawler.archive.gather); and one
report per spider and run group adding up the reports of all the machines' processes of that
group (crawler.runs.run_groups, combine_parts), in DEST/reports/<spider>/ as a run's report is.
Gathering again (more sources, or the same ones) adds only what is new.

One line per thing gathered; exit code 2 (nothing gathered) when two different WARC files have
one name, 1 when a source cannot be read or a file in it is damaged (each named), else 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler import runs
from crawler.archive import index_missing, merge_indexes
from crawler.archive.gather import (
    EXPORT_FOLDERS,
    LinesMerged,
    SameNameDiffers,
    gather_exports,
    gather_warcs,
)

# What makes a folder a crawl's OUTPUT_DIR.
_OUTPUT_PARTS = ("warc", *EXPORT_FOLDERS, "reports")


def unreadable(source: Path) -> str | None:
    """Why this folder cannot be gathered from (None: it can)."""
    if not source.is_dir():
        return "no such folder"
    if not os.access(source, os.R_OK | os.X_OK):
        return "not readable"
    if not any((source / part).is_dir() for part in _OUTPUT_PARTS):
        return f"not a crawl's OUTPUT_DIR (none of {', '.join(p + '/' for p in _OUTPUT_PARTS)})"
    return None


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "[options] DEST SRC [SRC ...]"

    def short_desc(self) -> str:
        return "Gather the OUTPUT_DIRs of one crawl's machines into DEST: WARCs, one index, exports, reports"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) < 2:
            raise UsageError("give the destination and at least one source: scrapy gather DEST SRC [SRC ...]")
        dest, sources = Path(args[0]), [Path(a) for a in args[1:]]
        bad = [f"gather: source {s} cannot be read: {why}" for s in sources if (why := unreadable(s))]
        if bad:
            print("\n".join(bad), file=sys.stderr)
            self.exitcode = 1
            return
        problems: list[str] = []
        try:
            warcs = gather_warcs(sources, dest / "warc", dest / "index")
        except SameNameDiffers as error:
            print(f"gather refused: {error}", file=sys.stderr)
            self.exitcode = 2
            return
        except OSError as error:
            problems.append(f"gather: the WARC files could not be gathered: {error}")
        else:
            print(f"gather: {warcs.files} WARC files in {dest / 'warc'} ({len(warcs.linked)} linked, "
                  f"{len(warcs.copied)} copied, {len(warcs.present)} already there) from {len(sources)} sources")
            for path in warcs.open_files:
                print(f"gather: warning: {path} is still open (a crawl writing it, or one to recover), "
                      "not gathered", file=sys.stderr)
        try:
            indexed = index_missing(dest / "warc", dest / "index")
            lines = merge_indexes(dest / "index", dest / "index.cdxj")
            print(f"gather: index {dest / 'index.cdxj'}: {lines} lines ({len(indexed)} WARC files indexed now)")
        except (OSError, ValueError) as error:
            problems.append(f"gather: the index {dest / 'index.cdxj'} could not be written: {error}")
        try:
            problems += self.exports(gather_exports(sources, dest))
        except OSError as error:
            problems.append(f"gather: the export files could not be gathered: {error}")
        problems += self.reports(sources, dest)
        for line in problems:
            print(line, file=sys.stderr)
        self.exitcode = 1 if problems else 0

    def exports(self, merged: list[LinesMerged]) -> list[str]:
        """Print a line per spider's records (and one for the cluster events); the damaged lines."""
        by_spider: dict[str, dict[str, LinesMerged]] = {}
        for m in merged:
            kind = m.path.parent.name if m.path.parent.name in EXPORT_FOLDERS else "events"
            by_spider.setdefault(m.path.stem if kind != "events" else "clusters", {})[kind] = m
        for spider, kinds in sorted(by_spider.items()):
            every = list(kinds.values())
            counts = ", ".join(f"{m.lines} {'copies' if kind == 'duplicates' else kind} ({m.added} new)"
                               for kind, m in kinds.items())
            repeated, torn = sum(m.repeated for m in every), [p for m in every for p in m.torn]
            print(f"gather: {spider}: {counts}; {repeated} lines seen again, {len(torn)} torn last lines skipped")
            for path in torn:
                print(f"gather: warning: {path}: its last line is torn (no newline), skipped", file=sys.stderr)
        return [f"gather: damaged export line {where}" for m in merged for where in m.damaged]

    def reports(self, sources: list[Path], dest: Path) -> list[str]:
        """Combine each run group's reports into DEST's report per spider; the problems."""
        assert self.settings is not None
        groups, damaged = runs.run_groups(sources)
        problems = [f"gather: damaged report {error}" for error in damaged]
        for group in groups:
            try:
                report = runs.combine_parts(dest, group.spider, group.parts, group.stats, name=group.name,
                                            min_ratio=self.settings.getfloat("CRAWL_MIN_ARTICLE_RATIO"))
            except runs.DamagedPart as error:
                problems.append(f"gather: damaged report {error}")
                continue
            except ValueError as error:  # one of DEST's earlier reports
                problems.append(f"gather: damaged report in {runs.report_dir(dest, group.spider)}: {error}")
                continue
            except OSError as error:
                problems.append(f"gather: the report of {group.spider} could not be written: {error}")
                continue
            assert report is not None
            print(f"gather: report of run group {group.group} from {len(group.parts)} processes, "
                  f"{report.get('path', 'not saved')}: {runs.one_line(report)}")
        if not groups:
            print("gather: no report of a run group (RUN_GROUP) to combine")
        return problems
