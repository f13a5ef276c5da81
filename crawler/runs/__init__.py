"""Run reports and a crawl's health: what each run did, and whether a site looks broken.

Pure: a report is built from a crawl's stats; `assess` compares it with the site's recent runs.
A site is broken when its spider did not finish or raised errors, when extraction found no
article on its article pages, when most of its pages no longer match its template, or when it
found far fewer articles (new or already archived) than its recent runs.
"""

from __future__ import annotations

import json
import statistics
from datetime import datetime
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


def history(output: Path | str, spider: str) -> list[dict]:
    """The spider's earlier reports, oldest first."""
    folder = report_dir(output, spider)
    return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))] if folder.exists() else []


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
