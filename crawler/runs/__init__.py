"""Run reports and a crawl's health: what each run did, and whether a site looks broken.

Pure: a report is built from a crawl's stats; `assess` compares it with the site's recent runs.
A site is broken when its spider did not finish or raised errors, when extraction found no
article on its article pages, when most of its pages no longer match its template, or when it
found far fewer articles (new or already archived) than its recent runs.
"""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from crawler.durable import write_atomic

HISTORY = 5  # recent runs a run is compared with


def _prefixed(stats: dict, prefix: str) -> dict[str, int]:
    return {k[len(prefix):]: v for k, v in sorted(stats.items()) if k.startswith(prefix)}


def _seconds(stats: dict) -> float | None:
    start, finish = stats.get("start_time"), stats.get("finish_time")
    if not start or not finish:
        return None
    to_dt = lambda v: v if isinstance(v, datetime) else datetime.fromisoformat(str(v))  # noqa: E731
    return round((to_dt(finish) - to_dt(start)).total_seconds(), 2)


def summarize(stats: dict, spider: str, *, site_spider: bool) -> dict:
    """The report of one spider's run, from its crawl stats."""
    copies = stats.get("dedupe/copy_exact", 0) + stats.get("dedupe/copy_near", 0)
    errors = _prefixed(stats, "errors/")
    exceptions = sum(_prefixed(stats, "spider_exceptions/").values())
    if exceptions:
        errors["spider_exceptions"] = exceptions
    return {
        "spider": spider,
        "site_spider": site_spider,
        "started": str(stats.get("start_time", "")),
        "finished": str(stats.get("finish_time", "")),
        "duration_s": _seconds(stats),
        "finish_reason": stats.get("finish_reason"),
        "pages_fetched": stats.get("downloader/response_count", 0),
        "articles": {
            "exported": stats.get("item_scraped_count", 0),
            "new_stories": stats.get("dedupe/new_story", 0),
            "copies": copies,
            "repointed": stats.get("dedupe/repointed", 0),  # stories whose canonical record changed
            "merged": stats.get("dedupe/merged", 0),  # clusters found to be one story with another
            "already_archived": stats.get("dedupe/known_article_skipped", 0),
            "no_body": stats.get("article/no_body", 0),
            "truncated": stats.get("article/truncated", 0),  # archived, not exported, fetched again next run
            "not_article_type": _prefixed(stats, "article/not_article_type/"),  # archived, not parsed
            "read_generically": stats.get("article/method/generic-fallback", 0),
            "dropped": _prefixed(stats, "validate/dropped/"),
        },
        "lines_cut": _prefixed(stats, "article/cut_lines/"),
        "errors": errors,
        "archive": {"bytes_received": stats.get("warc/bytes_received", 0),
                    "responses": stats.get("warc/responses", 0), "revisits": stats.get("warc/revisits", 0),
                    "metadata": stats.get("warc/metadata", 0)},
    }


def found(report: dict) -> int:
    """Articles the run found: exported, or already archived (not fetched again)."""
    return report["articles"]["exported"] + report["articles"]["already_archived"]


def assess(report: dict, history: list[dict], *, min_ratio: float = 0.5, part: bool = False) -> list[str]:
    """What is wrong with this run (empty: healthy). `history`: the site's earlier reports.
    `part`: the report is one worker's share of a run, judged by what it did wrong (its share of
    the articles is no measure of the site: the whole run's report, `combine`d, is)."""
    problems = []
    reason = report.get("finish_reason")
    if reason == "locked":
        return []  # skipped: another run holds the site; not a failure of this one
    if reason != "finished":
        problems.append(f"did not finish ({reason})")
    problems += report.get("faults", [])
    if report["errors"].get("spider_exceptions"):
        problems.append(f"{report['errors']['spider_exceptions']} errors in the spider's code")
    articles = report["articles"]
    if part:
        return problems
    if articles["no_body"] and not articles["exported"]:
        problems.append(f"extraction found no article on {articles['no_body']} article pages")
    if report.get("site_spider") and articles["exported"] and \
            articles["read_generically"] * 2 >= articles["exported"]:
        problems.append(f"{articles['read_generically']} of {articles['exported']} articles no longer match "
                        "the site's template (read generically)")
    earlier = [found(r) for r in history[-HISTORY:] if found(r)]
    if earlier:
        usual = statistics.median(earlier)
        if found(report) < min_ratio * usual:
            problems.append(f"found {found(report)} articles; its recent runs found {usual:g}")
    elif not found(report) and not problems:
        problems.append("found no article")
    return problems


def _sum(values: list) -> object:
    """Numbers added up, dicts key by key; anything else: the first value."""
    if all(isinstance(v, dict) for v in values):
        return {k: _sum([v[k] for v in values if k in v]) for k in dict.fromkeys(k for v in values for k in v)}
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return sum(values)
    return values[0]


def combine(parts: list[dict]) -> dict:
    """The report of a run made by several workers, from their reports (`parts`): their figures
    added up, from the first start to the last finish; finished when every worker finished, and
    skipped (`locked`) when every one was. Its problems are left to `assess`."""
    report = _sum([{k: v for k, v in p.items() if k not in ("problems", "faults", "path")} for p in parts])
    assert isinstance(report, dict)
    reasons = [p.get("finish_reason") for p in parts]
    report["finish_reason"] = ("finished" if all(r == "finished" for r in reasons) else "locked"
                               if all(r == "locked" for r in reasons) else
                               next(r for r in reasons if r not in ("finished", "locked")) or "did not finish")
    report["started"] = min(str(p.get("started", "")) for p in parts)
    report["finished"] = max(str(p.get("finished", "")) for p in parts)
    report["duration_s"] = _seconds({"start_time": report["started"], "finish_time": report["finished"]}) \
        if report["started"] and report["finished"] else None
    report["faults"] = [f for p in parts for f in p.get("faults", [])]
    report["workers"] = [{"path": p.get("path"), "finish_reason": p.get("finish_reason"),
                          "pages_fetched": p.get("pages_fetched"), "problems": p.get("problems", [])} for p in parts]
    return report


def report_dir(output: Path | str, spider: str) -> Path:
    return Path(output) / "reports" / spider


def history(output: Path | str, spider: str, *, leaving_out: str = "") -> list[dict]:
    """The spider's earlier reports, oldest first (but the one named `leaving_out`: the report
    being written again)."""
    folder = report_dir(output, spider)
    return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))
            if p.stem != leaving_out] if folder.exists() else []


def combine_stats(stats: list[dict]) -> dict:
    """Several workers' crawl stats as one: counts added up, from the first start to the last
    finish."""
    combined = _sum(stats)
    assert isinstance(combined, dict)
    for key, pick in (("start_time", min), ("finish_time", max)):
        values = [str(s[key]) for s in stats if s.get(key)]
        if values:
            combined[key] = pick(values)
    return combined


def keep_stats(folder: Path, name: str, stats: dict) -> Path:
    """Write a run's raw crawl stats (datetimes as ISO strings) as folder/<name>.json."""
    folder.mkdir(parents=True, exist_ok=True)
    return write_atomic(folder / f"{name}.json",
                        json.dumps(stats, default=_plain, ensure_ascii=False, indent=1, sort_keys=True))


def _plain(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def save(report: dict, output: Path | str, name: str, *, part: bool = False) -> Path:
    """Write a run's report (a worker's `part` of one: in the workers/ folder, out of history)."""
    folder = report_dir(output, report["spider"]) / ("workers" if part else "")
    folder.mkdir(parents=True, exist_ok=True)
    return write_atomic(folder / f"{name}.json", json.dumps(report, ensure_ascii=False, indent=1))


def one_line(report: dict) -> str:
    a = report["articles"]
    errors = ", ".join(f"{k} {v}" for k, v in report["errors"].items()) or "no errors"
    state = "skipped: another run holds it" if report.get("finish_reason") == "locked" else (
        "PROBLEM: " + "; ".join(report["problems"]) if report.get("problems") else "ok")
    return (f"{report['spider']}: {report['pages_fetched']} pages, {a['exported']} articles "
            f"({a['new_stories']} new stories, {a['copies']} copies{_changed(a)}), "
            f"{a['already_archived']} already archived, "
            f"{a['no_body']} without article, {errors}, "
            f"{report['archive']['bytes_received']:,} bytes archived, {report['duration_s']} s: {state}")


def _changed(articles: dict) -> str:
    parts = [f"{articles[k]} {k}" for k in ("repointed", "merged") if articles.get(k)]
    return "".join(f", {p}" for p in parts)


class DamagedPart(ValueError):
    """A report part (or its stats) that cannot be read: its path and why."""

    def __init__(self, path: Path, why: object) -> None:
        super().__init__(f"{path}: {why}")
        self.path = path


def _load(path: Path) -> dict:
    try:
        value = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        raise DamagedPart(path, error) from error
    if not isinstance(value, dict):
        raise DamagedPart(path, "not a JSON object")
    return value


def parts_of(output: Path | str, spider: str, pids: list[int]) -> tuple[list[Path], list[Path]]:
    """The report parts of the workers with these process ids in one OUTPUT_DIR, and their
    stats files (those that exist)."""
    folder = report_dir(output, spider) / "workers"
    wanted = {f"-{pid}.json" for pid in pids}
    parts = [p for p in sorted(folder.glob("*.json")) if p.name[p.name.rfind("-"):] in wanted] \
        if folder.exists() else []
    stats = [p for pid in pids if (p := Path(output) / "stats" / "workers" / f"{spider}-{pid}.json").exists()]
    return parts, stats


def combine_parts(output: Path | str, spider: str, parts: list[Path], stats: list[Path], *,
                  min_ratio: float, name: str | None = None) -> dict | None:
    """The one report of a run whose processes wrote these parts (report files): saved in
    `output` as `name` (default: the time and this process), judged against the site's recent
    runs there, with the processes' `stats` files added up in stats/<spider>.json; None when
    there is no part. DamagedPart when a part or stats file cannot be read."""
    loaded = [_load(p) for p in parts]
    if not loaded:
        return None
    report = combine(loaded)
    name = name or f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{os.getpid()}"
    report["problems"] = assess(report, history(output, spider, leaving_out=name), min_ratio=min_ratio)
    report["problems"] += [f"worker {n + 1}: {problem}" for n, part in enumerate(loaded)
                           for problem in part.get("problems", []) if problem not in report["problems"]]
    worker_stats = [_load(p) for p in stats]
    if worker_stats:
        keep_stats(Path(output) / "stats", spider, combine_stats(worker_stats))
    if report["finish_reason"] != "locked":
        report["path"] = str(save(report, output, name))
    return report


@dataclass
class RunGroup:
    """The reports of one run group's processes found for one spider in several OUTPUT_DIRs."""

    spider: str
    group: str
    parts: list[Path] = field(default_factory=list)
    stats: list[Path] = field(default_factory=list)
    started: str = ""  # the first start of its processes

    @property
    def name(self) -> str:
        """The combined report's file name: the same on every gathering of the group, in the
        order of the runs' reports (by their start)."""
        when = _when(self.started)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.group)
        return f"{when:%Y%m%dT%H%M%S%fZ}-gathered-{safe}" if when else f"gathered-{safe}"


def run_groups(sources: list[Path]) -> tuple[list[RunGroup], list[DamagedPart]]:
    """Every run group's reports, per spider, in these OUTPUT_DIRs (a machine's each): from each
    source, its workers' parts of the group, or, when it has none, its own reports of the group
    (a machine that ran the crawl in one process); with the stats files that are theirs. And the
    reports that could not be read. Reports of no run group (RUN_GROUP unset) are runs of their
    own, left out."""
    groups: dict[tuple[str, str], RunGroup] = {}
    damaged: list[DamagedPart] = []
    for source in sources:
        reports = Path(source) / "reports"
        for folder in sorted(p for p in reports.iterdir() if p.is_dir() and p.name != "workers") \
                if reports.is_dir() else []:
            found: dict[str, tuple[list[tuple[Path, dict]], list[tuple[Path, dict]]]] = {}
            for kind, paths in ((0, sorted((folder / "workers").glob("*.json"))), (1, sorted(folder.glob("*.json")))):
                for path in paths:
                    try:
                        report = _load(path)
                    except DamagedPart as error:
                        damaged.append(error)
                        continue
                    if report.get("run_group") and not path.stem.startswith("gathered-"):
                        found.setdefault(report["run_group"], ([], []))[kind].append((path, report))
            for group, (parts, whole) in found.items():
                gathered = groups.setdefault((folder.name, group), RunGroup(folder.name, group))
                for path, report in parts or whole:
                    gathered.parts.append(path)
                    started = str(report.get("started") or "")
                    if started and (not gathered.started or started < gathered.started):
                        gathered.started = started
                    stats = _stats_of(Path(source), folder.name, path, report, part=bool(parts))
                    if stats:
                        gathered.stats.append(stats)
    return sorted(groups.values(), key=lambda g: (g.spider, g.group)), damaged


def _stats_of(source: Path, spider: str, path: Path, report: dict, *, part: bool) -> Path | None:
    """The stats file of a report: a worker's by its pid; a one-process run's, stats/<spider>.json,
    only while it is still that run's (the next run replaces it)."""
    if part:
        stats = source / "stats" / "workers" / f"{spider}-{path.stem.rsplit('-', 1)[-1]}.json"
        return stats if stats.exists() else None
    stats = source / "stats" / f"{spider}.json"
    try:
        finish = _when(json.loads(stats.read_text("utf-8")).get("finish_time"))
        same = finish is not None and finish == _when(report.get("finished"))
    except (OSError, ValueError, TypeError):
        return None
    return stats if same else None


def _when(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
