"""The crawl against its own ceiling: extraction alone, a bare fetch, the crawl with extraction
only, and the full crawl (normalize, dedupe, archive, export), on the same local site, in one run.

    .venv/bin/python benchmarks/bench_crawl.py [--pages 2000] [--templates DIR]
    .venv/bin/python benchmarks/bench_crawl.py --pages 50000 --only full   # memory as the crawl grows
    .venv/bin/python benchmarks/bench_crawl.py --profile --only full      # where the time goes
    .venv/bin/python benchmarks/bench_crawl.py --pages 6000 --only full --trace-memory 2000,5000

The site (served on 127.0.0.1 by the fixture server, under a host of its own; every page
generated once, before the crawls, into a temporary file, and served from it as bytes, so that
the server's work is not what the crawls measure) has listing pages
of 50 links and article pages built from real page templates: the real news pages of the
labelled extraction set (`zh-extraction-dev/original` under `--datasets`, the default where it
is present), the real pages of a folder given with `--templates`, or with `--templates
fixtures` (and where no data set is present) the fixture sites' article pages, whose furniture
is lighter than a real page's (extraction takes a third of the time). Templates only: their
story is replaced (a template whose own story extraction still finds is left out), their own
links lead off the site. Each article is a distinct story made of sentences drawn from the
templates' own text (a run with no full stop, as mojibake is, cut to a sentence's length),
with its own numbers, at tens of KB a page with the template's furniture and a list of
related links; about 10% are real copies of an earlier story (exact, or with a
paragraph added, in another template), 20% are GBK and 30% gzip-compressed.

It prints, as pages/s and as a ratio to the extraction loop: the extraction loop (`extract` on
each page's bytes, one core; run before the crawls and again after them, the ratios taken to
both runs together, as the machine's speed drifts between them), a bare Scrapy fetch of the same pages (no parsing, no pipelines),
the crawl with extraction only (no archive, no pipelines), and the full crawl; then the full
crawl's time by stage (each stage's own time, timed around its calls) and its peak RSS at every
checkpoint reached (1k, 2k, 5k, 10k, 20k, 50k pages; on stderr as they come, with the memory
resident then, the process's own and its mapped files', the state store's size and the
requests queued). `--profile` runs the crawls under cProfile instead of the stage timers (a
builtin's time is charged to its callers' package); `--trace-memory A,B` compares tracemalloc
snapshots taken at A and B article pages. The machine may be shared: compare the ratios
measured in one run, not pages/s across runs. Each figure comes with the CPU time a page took
in the process (the crawl's, between engine start and stop) and the extraction loop's over it:
steadier than pages/s when others load the machine; the page worker processes' CPU (with
PARSE_PAGES=all) is added in the last columns.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import gzip
import io
import json
import os
import pstats
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from array import array
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import Any

import lxml.html

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from scrapy import signals  # noqa: E402
from scrapy.crawler import CrawlerProcess  # noqa: E402
from scrapy.utils.project import get_project_settings  # noqa: E402

import crawler.dedupe as dedupe  # noqa: E402
import crawler.extract as extract_module  # noqa: E402
import crawler.reading as reading  # noqa: E402
from crawler.archive import writer  # noqa: E402
from crawler.extensions.archive import WarcArchive  # noqa: E402
from crawler.extract import extract  # noqa: E402
from crawler.fixtures import FixtureServer, fixture_articles  # noqa: E402
from crawler.pipelines.export import JsonlExportPipeline  # noqa: E402
from crawler.pipelines.normalize import NormalizePipeline  # noqa: E402
from crawler.spiders.generic import GenericSpider  # noqa: E402
from crawler.state.sqlite import SqliteStore  # noqa: E402

HOST = "bench-crawl.news.example"
PER_LISTING = 50
TEMPLATE_LINKS = "http://template-links.example/page.html"
LONGEST_SENTENCE = 80  # characters
CHECKPOINTS = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
_SENTENCE = re.compile(r"[^。！？!?]+[。！？!?]?")
_DIGITS = re.compile(r"\d+")


# --- the site ---------------------------------------------------------------------------------

def _template(page: bytes) -> str | None:
    """A page with its story replaced by placeholders: `{TITLE}` and `{BODY}` (the element
    holding most of the page's paragraphs), `{RELATED}` before </body>. None: no story found."""
    try:
        doc = lxml.html.fromstring(page)
    except (ValueError, lxml.etree.ParserError):
        return None
    best, count = None, 0
    for element in doc.iter():
        n = sum(1 for child in element if child.tag == "p" and len(child.text_content().strip()) > 10)
        if n > count:
            best, count = element, n
    if best is None or count < 2:
        return None
    for child in list(best):
        best.remove(child)
    best.text = "@@BODY@@"
    # The page's own links lead off the site (their host is not the crawl's): link extraction
    # still reads them, but the crawl fetches only the site's pages.
    doc.make_links_absolute(TEMPLATE_LINKS)
    for heading in doc.iter("h1", "h2", "title"):
        heading.text, heading[:] = "@@TITLE@@", []
        if heading.tag != "title":
            break
    for meta in doc.iter("meta"):  # the charset is declared by each page
        if meta.get("charset") or "charset" in (meta.get("content") or "").lower():
            meta.getparent().remove(meta)
    head = doc.find("head")
    if head is not None:
        charset = lxml.html.Element("meta", charset="@@CHARSET@@")
        head.insert(0, charset)
    body = doc.find("body")
    if body is not None:
        related = lxml.html.Element("div", id="related")
        related.text = "@@RELATED@@"
        body.append(related)
    text = lxml.html.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")
    if "@@CHARSET@@" not in text or "@@RELATED@@" not in text or "@@TITLE@@" not in text:
        return None
    return text.replace("{", "{{").replace("}", "}}").replace("@@TITLE@@", "{title}") \
        .replace("@@BODY@@", "{body}").replace("@@CHARSET@@", "{charset}").replace("@@RELATED@@", "{related}")


def _sentences(page: bytes) -> list[str]:
    """A page's sentences. A run with no full stop (mojibake has none: a paragraph of it came
    out as one "sentence" of up to 26,000 characters, which every story that drew it shared,
    so that distinct stories clustered as copies) is cut into pieces of a sentence's length."""
    doc = lxml.html.fromstring(page)
    found = []
    for p in doc.iter("p"):
        text = " ".join(p.text_content().split())
        for sentence in (s.strip() for s in _SENTENCE.findall(text)):
            found += [sentence[i:i + LONGEST_SENTENCE] for i in range(0, len(sentence), LONGEST_SENTENCE)]
    return [s for s in found if len(s) >= 8]


def _render(template: str, title: str, paragraphs: list[str], *, charset: str, related: str) -> str:
    """A page of `template` holding a story (its text escaped: the templates' sentences hold markup)."""
    return template.format(title=escape(title), charset=charset, related=related,
                           body="".join(f"<p>{escape(p)}</p>\n" for p in paragraphs))


_FURNITURE = """<script type="text/javascript">
/* analytics, share bar, ad slots: the script every regional news page carries */
{lines}
</script>"""


class Site:
    """Article pages by number, the same bytes every time (a seeded generator per page)."""

    def __init__(self, pages: int, templates_dir: Path | None = None, seed: int = 1) -> None:
        raw = ([p.read_bytes() for p in sorted(templates_dir.glob("*.htm*"))] if templates_dir
               else [a.page() for a in fixture_articles() if a.file.endswith((".html", ".htm", ".asp"))])
        self.sentences = sorted({s for page in raw for s in _sentences(page)})
        self.pages = pages
        self.seed = seed
        self._titles: dict[int, str] = {}
        probe = self.story(0)
        self.templates = [t for t in map(_template, raw) if t and self._reads_story(t, *probe)]
        if not self.templates or len(self.sentences) < 50:
            raise SystemExit("not enough templates or text to build the site from")
        rng = random.Random(seed)
        self.furniture = _FURNITURE.format(lines="\n".join(
            f"var slot{i} = {{id: '{rng.getrandbits(64):x}', size: [{rng.randint(100, 900)}, "
            f"{rng.randint(50, 300)}], url: 'http://ad.example/s?c={rng.getrandbits(32):x}'}};"
            for i in range(160)))

    @staticmethod
    def _reads_story(template: str, title: str, paragraphs: list[str]) -> bool:
        """Whether extraction finds a story put into `template` (not one the page kept, in an
        element `_template` did not take for the story's: each page would be a copy of it)."""
        html = _render(template, title, paragraphs, charset="utf-8", related="")
        body = extract(html.encode(), f"http://{HOST}/a/0.html", content_type="text/html; charset=utf-8").fields.get("body")
        return bool(body) and " ".join(paragraphs[1].split())[:40] in " ".join(body.split())

    def story(self, n: int) -> tuple[str, list[str]]:
        """Story `n`: a title and its paragraphs. A copy's story is an earlier one's."""
        rng = random.Random(self.seed * 1_000_003 + n)
        kind = rng.random()
        if n > 20 and kind < 0.10:  # a real copy: an earlier story, exactly or with a paragraph added
            title, paragraphs = self.story(rng.randrange(n))
            if kind < 0.04:
                paragraphs = [*paragraphs, self._paragraph(rng)]
            return title, paragraphs
        numbers = {}

        def renumber(m: re.Match) -> str:  # this story's own figures
            return numbers.setdefault(m.group(), str(rng.randint(1, 10 ** len(m.group()))))

        paragraphs = [_DIGITS.sub(renumber, self._paragraph(rng)) for _ in range(rng.randint(12, 36))]
        return paragraphs[0][:24].rstrip("，。、 "), paragraphs

    def title(self, n: int) -> str:
        if n not in self._titles:
            self._titles[n] = self.story(n)[0]
        return self._titles[n]

    def _paragraph(self, rng: random.Random) -> str:
        return "".join(rng.sample(self.sentences, rng.randint(2, 6)))

    def page(self, n: int) -> tuple[bytes, list[tuple[str, str]], bool]:
        """Page `n`'s bytes as served, its headers, and whether it is gzip-compressed."""
        rng = random.Random(self.seed * 7_000_001 + n)
        title, paragraphs = self.story(n)
        template = self.templates[rng.randrange(len(self.templates))]
        charset = "gbk" if rng.random() < 0.2 else "utf-8"
        related = "<ul>" + "".join(
            f'<li><a href="/a/{m}.html">{escape(self.title(m))}</a> <span>{rng.randint(1, 28)}日</span></li>'
            for m in (rng.randrange(self.pages) for _ in range(24))) + "</ul>" + self.furniture
        html = _render(template, title, paragraphs, charset=charset, related=related)
        body = html.encode(charset, errors="xmlcharrefreplace")
        headers = [("Content-Type", f"text/html; charset={charset}")]
        compressed = rng.random() < 0.3
        if compressed:
            body = gzip.compress(body, compresslevel=6, mtime=0)
            headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        return body, headers, compressed


class Pages:
    """The site's pages generated once, before any crawl, into a file of `folder`, and read back
    as bytes: the server does no work per page but a read, so the crawls measure the crawler,
    not the page generator. Only each page's place in the file is held in memory."""

    GZIP, GBK = 1, 2

    def __init__(self, site: Site, folder: str) -> None:
        self.site = site
        self.offsets, self.lengths, self.flags = array("q"), array("q"), bytearray()
        self.path = Path(folder) / "pages.bin"
        with open(self.path, "wb") as fh:
            for n in range(site.pages):
                body, headers, compressed = site.page(n)
                self.offsets.append(fh.tell())
                self.lengths.append(len(body))
                self.flags.append((self.GZIP if compressed else 0) | (self.GBK if "gbk" in headers[0][1] else 0))
                fh.write(body)
        self.fd = os.open(self.path, os.O_RDONLY)
        self.listings = [self._listing(n) for n in range((site.pages + PER_LISTING - 1) // PER_LISTING)]
        site._titles.clear()  # the listings hold what they need

    def _listing(self, n: int) -> bytes:
        links = "".join(f'<li><a href="/a/{i}.html">{escape(self.site.title(i))}</a></li>'
                        for i in range(n * PER_LISTING, min(self.site.pages, (n + 1) * PER_LISTING)))
        return f"<html><body><ul>{links}</ul></body></html>".encode()

    def page(self, n: int) -> tuple[bytes, list[tuple[str, str]], bool]:
        """As `Site.page`, read from the file."""
        body = os.pread(self.fd, self.lengths[n], self.offsets[n])
        flags = self.flags[n]
        headers = [("Content-Type", f"text/html; charset={'gbk' if flags & self.GBK else 'utf-8'}")]
        if flags & self.GZIP:
            headers += [("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding")]
        return body, headers, bool(flags & self.GZIP)

    def close(self) -> None:
        os.close(self.fd)


class SiteServer(FixtureServer):
    """The fixture server with the benchmark's site, its pages generated beforehand."""

    def __init__(self, pages: Pages) -> None:
        super().__init__()
        self.pages = pages

    def answer(self, host: str, target: str, accept_gzip: bool) -> tuple[int, list, bytes, dict]:
        if host != HOST:
            return super().answer(host, target, accept_gzip)
        html = [("Content-Type", "text/html; charset=utf-8")]
        if target == "/":
            links = "".join(f'<a href="/list/{n}.html">{n}</a> ' for n in range(len(self.pages.listings)))
            return 200, html, f"<html><body>{links}</body></html>".encode(), {}
        if (m := re.fullmatch(r"/list/(\d+)\.html", target)) and int(m.group(1)) < len(self.pages.listings):
            return 200, html, self.pages.listings[int(m.group(1))], {}
        if (m := re.fullmatch(r"/a/(\d+)\.html", target)) and int(m.group(1)) < self.pages.site.pages:
            body, headers, compressed = self.pages.page(int(m.group(1)))
            if compressed and not accept_gzip:
                body, headers = gzip.decompress(body), headers[:1]
            return 200, headers, body, {}
        return 404, [("Content-Type", "text/plain")], b"not found", {}


# --- the extraction loop ----------------------------------------------------------------------

def cpu_seconds() -> float:
    """CPU time of this process (all its threads; not of other processes, such as a pool's)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def extraction_loop(site: Pages, pages: int) -> tuple[float, float, int, int]:
    """`extract` on each page as the spider gets it (decompressed): pages/s, CPU seconds a
    page, mean page bytes, and how many had an article body."""

    bodies = []
    for n in range(pages):
        body, headers, compressed = site.page(n)
        bodies.append((gzip.decompress(body) if compressed else body, headers[0][1], f"http://{HOST}/a/{n}.html"))
    extract(bodies[0][0], bodies[0][2], content_type=bodies[0][1])  # warm-up: caches, lazy imports
    started, cpu = time.perf_counter(), cpu_seconds()
    found = sum(extract(body, url, content_type=ctype).has_body for body, ctype, url in bodies)
    seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return pages / seconds, cpu / pages, sum(len(b) for b, _, _ in bodies) // pages, found


# --- the crawls (each in a process of its own) ------------------------------------------------

MODES = {
    "fetch": "bare fetch (no parsing)",
    "extract": "crawl, extraction only",
    "full": "full crawl",
}


def crawl(mode: str, server: SiteServer, pages: int, extra: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as out:
        args = [sys.executable, __file__, "--child", mode, "--server", server.address, "--out", out,
                "--pages", str(pages), *extra]
        # Its log and checkpoints go to this process's stderr as they come (a long crawl shows
        # how far it is); its figures come back on stdout.
        done = subprocess.run(args, cwd=REPO, check=False, stdout=subprocess.PIPE, text=True)
        if done.returncode:
            raise SystemExit(f"the {mode} crawl failed (exit {done.returncode}): its log is above")
        results = [line for line in done.stdout.splitlines() if line.startswith("{")]
        if not results:
            raise SystemExit(f"the {mode} crawl printed no result:\n{done.stderr[-4000:]}")
        result = json.loads(results[-1])
        exports = sum(1 for p in Path(out).glob("*/*.jsonl") for _ in open(p, encoding="utf-8"))
        result["exported"] = exports
        return result


class StageTimer:
    """Each stage's own time: a call's duration less the timed calls made inside it."""

    def __init__(self) -> None:
        self.own: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._inner: list[float] = []

    def wrap(self, stage: str, func: Callable) -> Callable:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._inner.append(0.0)
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                inner = self._inner.pop()
                if self._inner:
                    self._inner[-1] += spent
                self.own[stage] = self.own.get(stage, 0.0) + spent - inner
                self.calls[stage] = self.calls.get(stage, 0) + 1
        timed.__wrapped__ = func
        return timed

    def patch(self, stage: str, owner: Any, *names: str) -> None:
        for name in names:
            if hasattr(owner, name):
                setattr(owner, name, self.wrap(stage, getattr(owner, name)))


def _instrument(timer: StageTimer, in_workers: bool = False) -> None:
    """Time the full crawl's stages where they are called. With every page read in the worker
    processes (PARSE_PAGES=all), decoding and extraction are not timed here: they run there, and
    a timed wrapper would not pickle."""

    if not in_workers:  # where a page is read: crawler.reading
        timer.patch("decode", extract_module, "decode_html")
        timer.patch("extract", reading, "extract")
        timer.patch("normalize", reading, "normalize_record")
        timer.patch("fingerprint", reading, "content_hash", "evidence_of")
        timer.patch("fingerprint", dedupe.Signer, "signature", "band_keys")
    timer.patch("normalize", NormalizePipeline, "process_item")  # what was not prepared
    timer.patch("fingerprint", dedupe, "content_hash")
    store_methods = [n for n, v in vars(SqliteStore).items() if callable(v) and not n.startswith("_")]
    timer.patch("store", SqliteStore, *store_methods)
    timer.patch("store", dedupe.Deduper, "file")
    # Not spider_closed: signals give a receiver every argument its code's signature accepts.
    timer.patch("WARC", WarcArchive, "capture", "metadata")
    timer.patch("WARC", writer.WarcFiles, *[n for n, v in vars(writer.WarcFiles).items()
                                            if callable(v) and not n.startswith("_")])
    timer.patch("export", JsonlExportPipeline, "process_item", "close_spider")


PACKAGES = (("crawler.extract", "/crawler/extract/"), ("crawler.normalize", "/crawler/normalize/"),
            ("crawler.dedupe", "/crawler/dedupe/"), ("crawler.archive", "/crawler/archive/"),
            ("crawler.state", "/crawler/state/"), ("crawler (shell)", "/crawler/"), ("scrapy", "/scrapy/"),
            ("twisted", "/twisted/"), ("parsel", "/parsel/"), ("w3lib", "/w3lib/"), ("warcio", "/warcio/"),
            ("lxml", "lxml"), ("numpy", "/numpy/"), ("datasketch", "/datasketch/"),
            ("itemadapter", "/itemadapter/"), ("json", "/json/"), ("asyncio", "/asyncio/"),
            ("logging", "/logging/"), ("gzip/zlib", "gzip"), ("sqlite3", "sqlite3"), ("hashlib", "sha1"))


def profile_report(profile: cProfile.Profile, top: int = 45) -> str:
    """The functions with the most own time, and own time by package (a function's file)."""
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)
    stats.sort_stats("tottime").print_stats(top)
    def package(function: tuple) -> str:
        where = f"{function[0]} {function[2]}"
        return next((label for label, part in PACKAGES if part in where), "other (stdlib)")

    by_package: dict[str, float] = {}
    for function, (_cc, _nc, own, _cum, callers) in stats.stats.items():
        if function[0] == "~" and callers:  # a builtin (a regex, a hash, zlib): its callers' time
            for caller, (_c, _n, spent, _t) in callers.items():
                by_package[package(caller)] = by_package.get(package(caller), 0.0) + spent
        else:
            by_package[package(function)] = by_package.get(package(function), 0.0) + own
    total = sum(by_package.values())
    lines = [f"  {label:<28}{own:8.2f} s  {own / total:6.1%}"
             for label, own in sorted(by_package.items(), key=lambda kv: -kv[1])]
    return text.getvalue() + "\nown time by package:\n" + "\n".join(lines)


class MemoryTrace:
    """tracemalloc snapshots at two article counts; what grew between them, by line."""

    def __init__(self, marks: tuple[int, int]) -> None:
        self.marks = marks
        self.snapshots: dict[int, tracemalloc.Snapshot] = {}
        tracemalloc.start(8)

    def reached(self, articles: int) -> None:
        if articles in self.marks:
            self.snapshots[articles] = tracemalloc.take_snapshot()

    def report(self, top: int = 30) -> str:
        if len(self.snapshots) < 2:
            return "memory trace: the crawl did not reach both marks"
        first, second = (self.snapshots[m] for m in self.marks)
        grown = second.compare_to(first, "traceback")
        total = sum(d.size_diff for d in grown)
        lines = [f"memory grown from {self.marks[0]:,} to {self.marks[1]:,} article pages: {total / 2**20:,.1f} MiB "
                 f"({total / (self.marks[1] - self.marks[0]):,.0f} B a page); the largest growths:"]
        for diff in grown[:top]:
            lines.append(f"  {diff.size_diff / 2**10:10,.0f} KiB  {diff.count_diff:+8,d} blocks")
            lines += [f"      {frame.filename.replace(str(REPO) + '/', '')}:{frame.lineno}"
                      for frame in list(diff.traceback)[-6:]]
        return "\n".join(lines)


def resident() -> str:
    """This process's resident memory now: its own (anonymous) and mapped files' (the state
    store's memory map among them)."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    mib = {k: int(status.get(k, "0 kB").split()[0]) / 1024 for k in ("RssAnon", "RssFile")}
    return f"{mib['RssAnon']:,.0f} MiB own + {mib['RssFile']:,.0f} MiB files"


def store_size(out: str) -> int:
    return sum(p.stat().st_size for p in Path(out).glob("state.sqlite*"))


def child(mode: str, server: str, out: str, pages: int, profile: bool = False,
          trace: tuple[int, int] | None = None, overrides: list[str] = (), dump: str | None = None) -> None:
    """Run one crawl in this process; print its figures as a JSON line."""

    class BareFetch(GenericSpider):
        name = "bench-fetch"

        def to_read(self, response: Any) -> bool:  # the page is not read, its links are followed
            return False

    timer = StageTimer()
    if mode == "full" and not profile:
        _instrument(timer, in_workers="PARSE_PAGES=all" in overrides)
    memory = MemoryTrace(trace) if trace else None
    collecting = {"started": 0.0, "seconds": 0.0, "full": 0}

    def collected(phase: str, info: dict) -> None:  # the cyclic garbage collector's own time
        if phase == "start":
            collecting["started"] = time.perf_counter()
        else:
            collecting["seconds"] += time.perf_counter() - collecting["started"]
            collecting["full"] += info["generation"] == 2

    gc.callbacks.append(collected)
    os.chdir(REPO)
    settings = get_project_settings()
    settings.setdict({
        "FIXTURE_SERVER": server, "FIXTURE_HOSTS": HOST, "OUTPUT_DIR": out, "LOG_LEVEL": "ERROR",
        "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
        "ROBOTSTXT_OBEY": True, "TELNETCONSOLE_ENABLED": False,
    }, priority="cmdline")
    if mode != "full":
        settings.set("WARC_ENABLED", False, priority="cmdline")
        settings.set("ITEM_PIPELINES", {}, priority="cmdline")
    for setting in overrides:
        name, _, value = setting.partition("=")
        settings.set(name, value, priority="cmdline")
    if mode == "fetch":
        settings.set("DOWNLOADER_MIDDLEWARES", {"crawler.downloader.known.KnownArticlesMiddleware": None},
                     priority="cmdline")
        settings.set("SPIDER_MIDDLEWARES", {"crawler.spidermiddlewares.warc.WarcLocatorMiddleware": None},
                     priority="cmdline")
    process = CrawlerProcess(settings)
    spider = BareFetch if mode == "fetch" else GenericSpider
    crawler = process.create_crawler(spider)
    seen = {"articles": 0, "started": 0.0, "stopped": 0.0, "rss": {}, "last": 0.0, "first": 0.0}

    def response_received(response: Any, request: Any, spider: Any) -> None:
        if request.meta.get("article"):
            seen["articles"] += 1
            seen["last"] = time.perf_counter()
            seen["first"] = seen["first"] or seen["last"]
            if memory:
                memory.reached(seen["articles"])
            if seen["articles"] in CHECKPOINTS:
                peak = seen["rss"][seen["articles"]] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                print(f"  ({mode}: {seen['articles']:,} article pages, peak RSS {peak / 2**20:,.0f} MiB, now "
                      f"{resident()}, state store {store_size(out) / 2**20:,.0f} MiB, "
                      f"{queued():,} requests queued, "
                      f"{time.perf_counter() - seen['started']:,.0f} s)", file=sys.stderr, flush=True)

    def queued() -> int:
        return crawler.stats.get_value("scheduler/enqueued", 0) - crawler.stats.get_value("scheduler/dequeued", 0)

    def engine_started() -> None:
        seen["started"], seen["cpu"] = time.perf_counter(), cpu_seconds()

    def engine_stopped() -> None:
        seen["stopped"], seen["cpu"] = time.perf_counter(), cpu_seconds() - seen["cpu"]

    # Signals hold their receivers weakly: these live as long as this function runs.
    crawler.signals.connect(engine_started, signal=signals.engine_started)
    crawler.signals.connect(engine_stopped, signal=signals.engine_stopped)
    crawler.signals.connect(response_received, signal=signals.response_received)
    process.crawl(crawler, start_url=f"http://{HOST}/", allow=r"/a/\d+\.html$",
                  max_pages=pages + pages // PER_LISTING + 100)
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    process.start()
    if profiler:
        profiler.disable()
        if dump:  # --profile-dump: the whole profile, for pstats
            profiler.dump_stats(f"{dump}.{mode}")
    stats = crawler.stats.get_stats()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the page workers, reaped at the crawl's end
    print(json.dumps({
        "workers_cpu": children.ru_utime + children.ru_stime,
        "to_first": seen["first"] - seen["started"], "after_last": seen["stopped"] - seen["last"],
        "mode": mode, "seconds": seen["stopped"] - seen["started"], "cpu": seen["cpu"], "articles": seen["articles"],
        "items": stats.get("item_scraped_count", 0), "new": stats.get("dedupe/new_story", 0),
        "copies": stats.get("dedupe/copy_exact", 0) + stats.get("dedupe/copy_near", 0),
        "errors": {k: v for k, v in stats.items() if k.startswith(("errors/", "log_count/ERROR"))},
        "rss": seen["rss"], "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "stages": timer.own, "calls": timer.calls, "gc": collecting,
        "profile": profile_report(profiler) if profiler else None,
        "memory": memory.report() if memory else None,
    }))


# --- the report -------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000, help="article pages on the site (>= 2000 for the figures)")
    parser.add_argument("--sample", type=int, default=1000, help="pages in the extraction loop")
    parser.add_argument("--templates", default=None,
                        help="a folder of real article pages to use as templates (default: the labelled "
                             "extraction set's pages, under --datasets, where present); 'fixtures': the "
                             "fixture sites' article pages")
    parser.add_argument("--datasets", type=Path, default=Path(os.environ.get("ZH_DATASETS", REPO.parent / "shared" / "datasets")),
                        help="the folder of the extraction data sets (default ../shared/datasets, or ZH_DATASETS)")
    parser.add_argument("--only", choices=sorted(MODES), action="append", help="crawls to run (default: all)")
    parser.add_argument("--profile", action="store_true",
                        help="run the crawls under cProfile: the functions with most own time, own time by package")
    parser.add_argument("--profile-dump", metavar="PATH", default=None,
                        help="with --profile: also save each crawl's profile to PATH.MODE (for pstats)")
    parser.add_argument("--trace-memory", metavar="A,B", default=None,
                        help="tracemalloc snapshots at A and B article pages: what grew between them, by line")
    parser.add_argument("--set", metavar="NAME=VALUE", action="append", default=[],
                        help="a Scrapy setting for the crawls (e.g. CONCURRENT_ITEMS=100), as -s gives one")
    parser.add_argument("--child", choices=sorted(MODES), help=argparse.SUPPRESS)
    parser.add_argument("--server", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        trace = tuple(int(n) for n in opts.trace_memory.split(",")) if opts.trace_memory else None
        child(opts.child, opts.server, opts.out, opts.pages, opts.profile, trace, opts.set, opts.profile_dump)
        return
    # Stopped (SIGTERM): the temporary site and crawl outputs are removed on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    extra = (["--profile"] if opts.profile else []) + (["--trace-memory", opts.trace_memory] if opts.trace_memory else [])
    extra += ["--profile-dump", str(Path(opts.profile_dump).resolve())] if opts.profile_dump else []
    extra += [f"--set={setting}" for setting in opts.set]
    with tempfile.TemporaryDirectory(prefix="bench-site-") as folder:
        started = time.perf_counter()
        templates = real_templates(opts)
        site = Site(opts.pages, templates)
        pages = Pages(site, folder)
        where = f"real pages of {templates}" if templates else "the fixture sites' article pages"
        print(f"site: {opts.pages:,} article pages from {len(site.templates)} templates ({where}) and {len(site.sentences)} "
              f"sentences; ~10% copies, ~20% GBK, ~30% gzip ({time.perf_counter() - started:.0f} s to generate, "
              f"{os.path.getsize(pages.path) / 2**20:,.0f} MiB as served)", flush=True)
        try:
            report(opts, pages, extra)
        finally:
            pages.close()


def real_templates(opts: argparse.Namespace) -> Path | None:
    """The folder of real pages the site is built from; None: the fixture sites' pages (asked
    for, or no data set here: said on stderr, since their pages are lighter than real ones)."""
    if opts.templates == "fixtures":
        return None
    if opts.templates:
        return Path(opts.templates)
    folder = opts.datasets / "zh-extraction-dev" / "original"
    if any(folder.glob("*.htm*")):
        return folder
    print(f"no real pages under {folder} (--datasets DIR, or --templates DIR): the site is built from "
          "the fixture sites' pages, lighter than real ones", file=sys.stderr)
    return None


def report(opts: argparse.Namespace, site: Pages, extra: list[str]) -> None:
    sample = min(opts.sample, opts.pages)
    # The loop runs before the crawls and again after them, and the ratios are to the two
    # together: this machine's speed drifts by a fifth over minutes, and a loop measured at
    # one end only moved the ratios by as much.
    before = extraction_loop(site, sample)
    results = []
    with SiteServer(site) as server:
        for mode in [m for m in MODES if not opts.only or m in opts.only]:
            served = cpu_seconds()  # this process does nothing but serve the site meanwhile
            results.append((mode, crawl(mode, server, opts.pages, extra)))
            results[-1][1]["server_cpu"] = cpu_seconds() - served
    after = extraction_loop(site, sample)
    rate = 2 / (1 / before[0] + 1 / after[0])  # both loops' pages over both loops' seconds
    cpu, mean_bytes, found = (before[1] + after[1]) / 2, before[2], before[3]
    print(f"{'':<26}{'pages/s':>8}  ratio  {'CPU ms a page':>13}  ratio  {'with page workers':>17}")
    print(f"{'extraction loop':<26}{rate:8.1f}  1.00   {cpu * 1000:13.2f}  1.00   {cpu * 1000:11.2f}  1.00   ({sample:,} pages, "
          f"{mean_bytes / 1024:.0f} KB on average, {found:,} with a body; one core; before the crawls "
          f"{before[0]:.1f} pages/s, after them {after[0]:.1f})", flush=True)
    full = None
    for mode, result in results:
        pages_s = result["articles"] / result["seconds"]
        page_cpu = result["cpu"] / max(1, result["articles"])
        all_cpu = page_cpu + result["workers_cpu"] / max(1, result["articles"])
        print(f"{MODES[mode]:<26}{pages_s:8.1f}  {pages_s / rate:4.2f}   {page_cpu * 1000:13.2f}  "
              f"{cpu / page_cpu:4.2f}   {all_cpu * 1000:11.2f}  {cpu / all_cpu:4.2f}   ({result['articles']:,} "
              f"article pages in {result['seconds']:.1f} s: {result['to_first']:.1f} s to the first, "
              f"{result['after_last']:.1f} s after the last; {result['exported']:,} exported, "
              f"peak RSS {result['peak_rss'] / 2**20:,.0f} MiB; the site's server "
              f"{result['server_cpu'] / max(1, result['articles']) * 1000:.2f} ms CPU a page){'  errors: ' + str(result['errors']) if result['errors'] else ''}",
              flush=True)
        for part in ("profile", "memory"):
            if result.get(part):
                print(f"\n{MODES[mode]}, {part}:\n{result[part]}\n", flush=True)
        if mode == "full":
            full = result
    if full is None or opts.profile:
        return
    print(f"\nfull crawl: {full['new']:,} new stories, {full['copies']:,} copies; own time by stage "
          f"(ms per article page):")
    total = full["seconds"]
    staged = 0.0
    for stage in ("decode", "extract", "normalize", "fingerprint", "store", "WARC", "export"):
        spent = full["stages"].get(stage, 0.0)
        staged += spent
        print(f"  {stage:<12}{spent / full['articles'] * 1000:7.2f}   {spent / total:5.1%}")
    collector = full["gc"]["seconds"]  # inside the stages' time and the rest's, wherever it struck
    rest = total - staged
    print(f"  {'the rest':<12}{rest / full['articles'] * 1000:7.2f}   {rest / total:5.1%}   "
          f"(Scrapy, Twisted, HTTP, link extraction, items; --profile tells them apart)")
    print(f"  {'(of all: gc)':<12}{collector / full['articles'] * 1000:7.2f}   {collector / total:5.1%}   "
          f"(the cyclic garbage collector, {full['gc']['full']} full collections)")
    print("peak RSS of the full crawl: " + ", ".join(
        f"{int(n):,} pages {v / 2**20:,.0f} MiB" for n, v in sorted(full["rss"].items(), key=lambda kv: int(kv[0]))))
    marks = {int(n): v for n, v in full["rss"].items()}
    if 10_000 in marks and 50_000 in marks:
        print(f"peak RSS at 50,000 / at 10,000 pages: {marks[50_000] / marks[10_000]:.3f}")


if __name__ == "__main__":
    main()
