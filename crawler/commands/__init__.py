"""Project commands: `scrapy crawlall`, `scrapy demo`, `scrapy fixtures`, `scrapy wacz`,
`scrapy reextract`, `scrapy gather`."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.crawler import Crawler

from crawler import runs
from crawler.durable import write_atomic
from crawler.extensions.runreport import RunReport
from crawler.extensions.state import state_problem


def state_refused(command: ScrapyCommand, name: str) -> bool:
    """Whether the crawl must not start (a damaged or missing state store; see
    crawler.extensions.state): said in one line on stderr, exit code 2."""
    problem = state_problem(command.settings)
    if problem:
        print(f"{name} refused: {problem}", file=sys.stderr)
        command.exitcode = 2
    return bool(problem)


def run_crawls(command: ScrapyCommand, crawls: list[tuple[str, dict]]) -> list[dict]:
    """Run these spiders (name, arguments) in one process; their run reports, in order."""
    assert command.crawler_process is not None
    crawlers = []
    for name, kwargs in crawls:
        crawler = command.crawler_process.create_crawler(name)
        command.crawler_process.crawl(crawler, **kwargs)
        crawlers.append(crawler)
    command.crawler_process.start()
    reports = []
    for (name, _), crawler in zip(crawls, crawlers, strict=True):
        report = run_report(crawler) or {
            "spider": name, "finish_reason": "did not start", "problems": ["the crawl did not start"]}
        reports.append(report)
    return reports


def run_report(crawler: Crawler) -> dict | None:
    """The report of a crawler's run, once it ended; None if it never started."""
    try:
        extension = crawler.get_extension(RunReport)
    except RuntimeError:  # the crawl never got as far as building its extensions
        return None
    return extension.report if extension else None


def write_summary(output: str, command_name: str, reports: list[dict], *, part: bool = False) -> Path | None:
    """The run's combined report, OUTPUT_DIR/reports/<command>-<time>.json (a worker's `part`
    of a run: under reports/workers/); None (said on stderr) when it cannot be written, which
    fails the command."""
    folder = Path(output) / "reports" / ("workers" if part else "")
    path = folder / f"{command_name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{os.getpid()}.json"
    broken = [r["spider"] for r in reports if r.get("problems")]
    skipped = [r["spider"] for r in reports if r.get("finish_reason") == "locked"]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return write_atomic(path, json.dumps({"command": command_name, "broken": broken, "skipped": skipped,
                                              "sites": reports}, ensure_ascii=False, indent=1))
    except OSError as error:
        print(f"{command_name} failed: its report {path} could not be written: {error}", file=sys.stderr)
        return None


def print_summary(reports: list[dict]) -> None:
    for report in reports:
        if "articles" in report:
            print("  " + runs.one_line(report))
        else:
            print(f"  {report['spider']}: PROBLEM: {'; '.join(report['problems'])}")


def conclude(command: ScrapyCommand, reports: list[dict], summary: Path | None) -> None:
    """Print the reports and the broken sites; the exit code is non-zero if any site broke or
    the combined report (`summary`) could not be written."""
    print_summary(reports)
    broken = [r["spider"] for r in reports if r.get("problems")]
    if broken:
        print(f"BROKEN: {', '.join(broken)}")
    assert command.crawler_process is not None
    command.exitcode = 1 if broken or summary is None or command.crawler_process.bootstrap_failed else 0
