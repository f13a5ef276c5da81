"""`scrapy gather DEST SRC ...`: one crawl made on several machines gathered into one folder:
every WARC file once (a different file of the same name refused), one index, every export
record once, one report per run group adding up every machine's processes."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, read_jsonl, run_scrapy
from servers import replay_all

from crawler import runs
from crawler.archive import gather
from crawler.archive.gather import SameNameDiffers, gather_exports, gather_warcs, merge_lines
from crawler.fixtures import FixtureServer
from crawler.testing.newssite import news_site, serve_news_site


def lines(path: Path, *records: dict, torn: str = "") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + torn, "utf-8")
    return path


def test_lines_merged_once_by_record_id_and_a_torn_last_line_skipped(tmp_path: Path) -> None:
    a = lines(tmp_path / "a.jsonl", {"id": "1", "m": "a"}, {"id": "2", "m": "a"}, torn='{"id": "9", "m"')
    b = lines(tmp_path / "b.jsonl", {"id": "2", "m": "b"}, {"id": "3", "m": "b"})
    dest = tmp_path / "dest" / "articles" / "s.jsonl"
    merged = merge_lines(dest, [a, b])
    assert [(r["id"], r["m"]) for r in read_jsonl(dest)] == [("1", "a"), ("2", "a"), ("3", "b")]
    assert (merged.added, merged.repeated, merged.torn, merged.damaged) == (3, 1, [a], [])
    # Again, with one more source: only its new line lands; nothing is lost or doubled.
    c = lines(tmp_path / "c.jsonl", {"id": "3", "m": "c"}, {"id": "4", "m": "c"})
    again = merge_lines(dest, [a, b, c])
    assert [r["id"] for r in read_jsonl(dest)] == ["1", "2", "3", "4"]
    assert (again.kept, again.added, again.repeated) == (3, 1, 5)
    before = dest.stat().st_mtime_ns
    assert merge_lines(dest, [a, b, c]).added == 0 and dest.stat().st_mtime_ns == before  # left alone
    assert not list(dest.parent.glob("*.tmp"))


def test_a_damaged_line_is_named(tmp_path: Path) -> None:
    a = tmp_path / "a.jsonl"
    a.write_text('{"id": "1"}\nnot json\n{"no": "id"}\n', "utf-8")
    merged = merge_lines(tmp_path / "d.jsonl", [a])
    assert merged.added == 1 and [d.split(": ")[0] for d in merged.damaged] == [f"{a}:2", f"{a}:3"]


def test_exports_and_cluster_events_of_every_source(tmp_path: Path) -> None:
    src = [tmp_path / "m1", tmp_path / "m2"]
    lines(src[0] / "articles" / "s.jsonl", {"id": "1"})
    lines(src[1] / "articles" / "s.jsonl", {"id": "1"}, {"id": "2"})
    lines(src[1] / "duplicates" / "s.jsonl", {"id": "3"})
    event = {"event": "merged", "cluster": "c", "by": "3", "absorbed": ["x"]}
    lines(src[0] / "clusters.jsonl", event)
    lines(src[1] / "clusters.jsonl", {k: event[k] for k in reversed(event)}, {**event, "by": "4"})
    merged = {m.path.relative_to(tmp_path / "d").as_posix(): m for m in gather_exports(src, tmp_path / "d")}
    assert {k: m.lines for k, m in merged.items()} == {"articles/s.jsonl": 2, "duplicates/s.jsonl": 1,
                                                       "clusters.jsonl": 2}


def warc(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_warcs_linked_once_and_a_second_gather_changes_nothing(tmp_path: Path) -> None:
    m1, m2, dest = tmp_path / "m1", tmp_path / "m2", tmp_path / "dest"
    warc(m1 / "warc" / "a-host1-1.warc.gz", b"one")
    warc(m2 / "warc" / "b-host2-1.warc.gz", b"two")
    warc(m2 / "warc" / "a-host1-1.warc.gz", b"one")  # the same file, rsync'd to both
    warc(m2 / "warc" / "c-host2-1.warc.gz.open", b"being written")
    (m1 / "index").mkdir()
    (m1 / "index" / "a-host1-1.warc.gz.cdxj").write_text("com,x)/ 2026 {}\n")
    done = gather_warcs([m1, m2], dest / "warc", dest / "index")
    assert sorted(p.name for p in done.linked) == ["a-host1-1.warc.gz", "b-host2-1.warc.gz"]
    assert done.copied == [] and done.present == [] and [p.name for p in done.open_files] == ["c-host2-1.warc.gz.open"]
    assert os.path.samefile(dest / "warc" / "a-host1-1.warc.gz", m1 / "warc" / "a-host1-1.warc.gz")
    assert sorted(p.name for p in (dest / "warc").iterdir()) == ["a-host1-1.warc.gz", "b-host2-1.warc.gz"]
    assert [p.name for p in (dest / "index").iterdir()] == ["a-host1-1.warc.gz.cdxj"]  # the source's index
    again = gather_warcs([m1, m2], dest / "warc", dest / "index")
    assert again.linked == again.copied == [] and again.files == 2


def test_a_different_warc_of_the_same_name_is_refused_before_anything(tmp_path: Path) -> None:
    m1, m2, dest = tmp_path / "m1", tmp_path / "m2", tmp_path / "dest"
    warc(m1 / "warc" / "a.warc.gz", b"one")
    warc(m1 / "warc" / "b.warc.gz", b"two")
    warc(m2 / "warc" / "a.warc.gz", b"ONE")  # same size, other content
    with pytest.raises(SameNameDiffers, match=f"two different WARC files named a.warc.gz: {m1}/warc/a.warc.gz and "):
        gather_warcs([m1, m2], dest / "warc", dest / "index")
    assert not list((dest / "warc").iterdir())
    # Against what an earlier gather put in DEST too.
    gather_warcs([m1], dest / "warc", dest / "index")
    with pytest.raises(SameNameDiffers):
        gather_warcs([m2], dest / "warc", dest / "index")


def test_copied_where_no_link_can_be_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def cross_device(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(gather.os, "link", cross_device)
    warc(tmp_path / "m1" / "warc" / "a.warc.gz", b"one")
    done = gather_warcs([tmp_path / "m1"], tmp_path / "d" / "warc", tmp_path / "d" / "index")
    assert [p.name for p in done.copied] == ["a.warc.gz"] and (tmp_path / "d" / "warc" / "a.warc.gz").read_bytes() == b"one"
    assert not os.path.samefile(tmp_path / "d" / "warc" / "a.warc.gz", tmp_path / "m1" / "warc" / "a.warc.gz")


def report(exported: int, *, group: str | None = "g1", started: str = "2026-01-01 00:00:00+00:00",
           finished: str = "2026-01-01 00:01:00+00:00") -> dict:
    return {"spider": "s", "site_spider": False, "run_group": group, "started": started, "finished": finished,
            "duration_s": 60.0, "finish_reason": "finished", "pages_fetched": exported + 1,
            "articles": {"exported": exported, "new_stories": exported, "copies": 0, "already_archived": 0,
                         "no_body": 0, "read_generically": 0, "dropped": {}},
            "errors": {}, "archive": {"bytes_received": 10}, "faults": [], "problems": []}


def save(path: Path, value: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value), "utf-8")
    return path


def test_one_report_per_run_group_from_every_machine(tmp_path: Path) -> None:
    m1, m2, dest = tmp_path / "m1", tmp_path / "m2", tmp_path / "dest"
    # m1 ran two workers (-s WORKERS=2): their parts, and the machine's sum of them.
    save(m1 / "reports" / "s" / "workers" / "20260101T000000000000Z-11.json", report(3))
    save(m1 / "reports" / "s" / "workers" / "20260101T000001000000Z-12.json",
         report(4, started="2026-01-01 00:00:30+00:00", finished="2026-01-01 00:02:00+00:00"))
    save(m1 / "reports" / "s" / "20260101T000200000000Z-10.json", report(7))
    save(m1 / "stats" / "workers" / "s-11.json", {"item_scraped_count": 3})
    save(m1 / "stats" / "workers" / "s-12.json", {"item_scraped_count": 4})
    # m2 ran one process: its report is its share; its stats still that run's.
    save(m2 / "reports" / "s" / "20260101T000000000000Z-21.json", report(5))
    save(m2 / "stats" / "s.json", {"item_scraped_count": 5, "finish_time": "2026-01-01T00:01:00+00:00"})
    save(m2 / "reports" / "s" / "20250101T000000000000Z-20.json", report(
        9, group="g0", started="2025-01-01 00:00:00+00:00", finished="2025-01-01 00:01:00+00:00"))  # an earlier run
    save(m2 / "reports" / "s" / "20240101T000000000000Z-19.json", report(9, group=None))  # no group: left out
    groups, damaged = runs.run_groups([m1, m2])
    assert damaged == [] and [(g.spider, g.group, len(g.parts), len(g.stats)) for g in groups] == \
        [("s", "g0", 1, 0), ("s", "g1", 3, 3)]
    for group in groups:
        combined = runs.combine_parts(dest, group.spider, group.parts, group.stats, name=group.name, min_ratio=0.5)
        assert combined is not None
    assert combined["articles"]["exported"] == 12 and combined["pages_fetched"] == 15 and not combined["problems"]
    assert combined["duration_s"] == 120.0 and len(combined["workers"]) == 3 and combined["run_group"] == "g1"
    assert json.loads((dest / "stats" / "s.json").read_text())["item_scraped_count"] == 12
    saved = sorted(p.name for p in (dest / "reports" / "s").glob("*.json"))  # named by the runs' start
    assert saved == ["20250101T000000000000Z-gathered-g0.json", "20260101T000000000000Z-gathered-g1.json"]
    # Gathered again: the same report, rewritten, not judged against itself; none added.
    again = runs.combine_parts(dest, "s", groups[1].parts, groups[1].stats, name=groups[1].name, min_ratio=0.5)
    assert again is not None and again["path"] == combined["path"]
    assert len(list((dest / "reports" / "s").glob("*.json"))) == 2


def test_gather_command_refuses_a_name_clash_and_names_a_damaged_part(tmp_path: Path) -> None:
    m1, m2, dest = tmp_path / "m1", tmp_path / "m2", tmp_path / "dest"
    warc(m1 / "warc" / "a.warc.gz", b"one")
    warc(m2 / "warc" / "a.warc.gz", b"other")
    result = run_scrapy("gather", str(dest), str(m1), str(m2))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == \
        f"gather refused: two different WARC files named a.warc.gz: {m1}/warc/a.warc.gz and {m2}/warc/a.warc.gz"
    assert not (dest / "warc" / "a.warc.gz").exists()

    m3, m4 = tmp_path / "m3", tmp_path / "m4"
    save(m3 / "reports" / "s" / "20260101T000000000000Z-1.json", report(2))
    damaged = m4 / "reports" / "s" / "workers" / "20260101T000000000000Z-2.json"
    damaged.parent.mkdir(parents=True)
    damaged.write_text('{"spider": "s", "art', "utf-8")
    lines(m4 / "articles" / "s.jsonl", {"id": "1"}, torn='{"id"')
    result = run_scrapy("gather", str(dest), str(m3), str(m4), str(tmp_path / "missing"))
    assert result.returncode == 1 and f"gather: source {tmp_path / 'missing'} cannot be read: no such folder" \
        in result.stderr
    result = run_scrapy("gather", str(dest), str(m3), str(m4))
    assert result.returncode == 1, result.stderr
    assert f"gather: damaged report {damaged}: " in result.stderr
    assert f"gather: warning: {m4}/articles/s.jsonl: its last line is torn (no newline), skipped" in result.stderr
    assert "gather: s: 1 articles (1 new); 0 lines seen again, 1 torn last lines skipped" in result.stdout
    assert "gather: report of run group g1 from 1 processes" in result.stdout


HOST = "www.gather-news.example"
ARTICLES = 30


@pytest.mark.slow
def test_two_machines_gathered_into_one_archive(redis_url: str, postgres_url: str, tmp_path: Path) -> None:
    """Two "machines" (each a process in its own working directory, with its own OUTPUT_DIR) crawl
    one site together on one Redis and one PostgreSQL; gathered, every article is exported once,
    the report adds both up, and pywb replays every article from the gathered WARCs and index."""
    machines = [tmp_path / "machine-a", tmp_path / "machine-b"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO), "SCRAPY_SETTINGS_MODULE": "crawler.settings"}
    with FixtureServer() as site:
        serve_news_site(site, HOST, ARTICLES, paragraphs=8, article_delay=0.3)
        procs = []
        for machine in machines:
            machine.mkdir()
            args = ["crawl", "generic", "-a", f"start_url=http://{HOST}/list/1.html", "-a", "allow=/content/",
                    "-a", "deny=/channel/", "-s", f"FIXTURE_SERVER={site.address}", "-s", f"FIXTURE_HOSTS={HOST}",
                    "-s", "OUTPUT_DIR=output", "-s", f"REDIS_URL={redis_url}", "-s", f"STATE_URL={postgres_url}",
                    "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "FRONTIER_HEARTBEAT_TTL=6",
                    "-s", "RUN_GROUP=nightly-1", "-s", "PROGRESS_INTERVAL=0"]
            procs.append(subprocess.Popen([sys.executable, "-m", "scrapy", *args], cwd=machine, env=env,
                                          stdout=subprocess.DEVNULL, stderr=open(machine / "log.txt", "w")))
        codes = [p.wait(timeout=300) for p in procs]
    assert codes == [0, 0], [(m / "log.txt").read_text()[-2000:] for m in machines]
    outs = [m / "output" for m in machines]
    shares = [json.loads(p.read_text("utf-8")) for out in outs for p in (out / "reports" / "generic").glob("*.json")]
    assert len(shares) == 2 and all(s["run_group"] == "nightly-1" and s["articles"]["exported"] for s in shares)

    dest = tmp_path / "gathered"
    result = run_scrapy("gather", str(dest), *map(str, outs))
    assert result.returncode == 0, result.stdout + result.stderr
    warcs = sorted(p.name for out in outs for p in (out / "warc").glob("*.warc.gz"))
    assert sorted(p.name for p in (dest / "warc").glob("*.warc.gz")) == warcs
    assert f"gather: {len(warcs)} WARC files in {dest / 'warc'} ({len(warcs)} linked, 0 copied" in result.stdout

    records = read_jsonl(dest / "articles" / "generic.jsonl") + read_jsonl(dest / "duplicates" / "generic.jsonl")
    assert sorted(r["url"] for r in records) == sorted(f"http://{HOST}/content/{n}.html" for n in range(ARTICLES))
    assert len({r["id"] for r in records}) == ARTICLES

    [path] = (dest / "reports" / "generic").glob("*-gathered-nightly-1.json")
    combined = json.loads(path.read_text("utf-8"))
    assert combined["articles"]["exported"] == sum(s["articles"]["exported"] for s in shares) == ARTICLES
    assert combined["pages_fetched"] == sum(s["pages_fetched"] for s in shares) and len(combined["workers"]) == 2
    assert combined["finish_reason"] == "finished" and not combined["problems"]
    assert f"gather: report of run group nightly-1 from 2 processes, {path}: generic: " in result.stdout

    lines = (dest / "index.cdxj").read_text("utf-8").splitlines()
    assert lines == sorted(lines) and {json.loads(x.split(" ", 2)[2])["filename"] for x in lines} == set(warcs)
    bodies = {f"http://{HOST}{t}": b.encode() for t, b in news_site(HOST, ARTICLES, paragraphs=8).items()
              if t.startswith("/content/")}
    assert replay_all(dest, bodies, tmp_path) == ARTICLES

    # Gathered again: nothing changes.
    again = run_scrapy("gather", str(dest), *map(str, outs))
    assert again.returncode == 0, again.stderr
    assert f"0 linked, 0 copied, {len(warcs)} already there)" in again.stdout and "(0 new)" in again.stdout, again.stdout
    assert (dest / "index.cdxj").read_text("utf-8").splitlines() == lines
    assert read_jsonl(dest / "articles" / "generic.jsonl") + read_jsonl(dest / "duplicates" / "generic.jsonl") == records
    assert list((dest / "reports" / "generic").glob("*.json")) == [path]
