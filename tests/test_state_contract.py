"""The `StateStore` contract: what every backend (SQLite, PostgreSQL) must do, tested through the
protocol only. A method added to the protocol gets its test here, and every backend passes it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psycopg
import pytest
from conftest import REPO
from scrapy.utils.test import get_crawler

from crawler.archive.writer import Original
from crawler.commands.stories import write_stories
from crawler.dedupe import Deduper
from crawler.extensions.state import CrawlState
from crawler.state import Candidates, PostgresStore, SqliteStore, Staged, StateStore, open_store
from crawler.state.sql import UNSENT_PAYLOADS, RunLedger

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url: str) -> StateStore:
    opened = open_store("unused", store_url)
    yield opened
    opened.close()


def sig(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 2**32, 128, dtype=np.uint64).astype(np.uint32)


def file(store: StateStore, record_id: str, *, content_hash: str = "sha1:x", cluster: str | None = None,
         keys: list[int] | None = None, run: str | None = None, seed: int = 0) -> int | None:
    return store.add_article(record_id=record_id, url=f"http://a.cn/{record_id}", canonical_url=f"http://a.cn/{record_id}",
                             site="a", title="标题", content_hash=content_hash, cluster=cluster or record_id,
                             duplicate_of=None if cluster in (None, record_id) else cluster, similarity=None,
                             seen_at="2026-01-01T00:00:00Z", signature=sig(seed),
                             band_keys=keys if keys is not None else [1, 2, 3], run=run)


def test_open_store_chooses_the_backend(store_url: str, store: StateStore) -> None:
    assert isinstance(store, SqliteStore if store_url.startswith("sqlite") else PostgresStore)
    with pytest.raises(ValueError, match="unsupported state store"):
        open_store("x", "mysql://h/db")


def test_an_older_postgresql_stores_foreign_keys_are_dropped(postgres_url: str) -> None:
    """A store made before held fingerprints to their article by foreign keys (a check of every
    band's row at each filing): opened, it no longer does, and `forget` still removes them."""
    open_store("unused", postgres_url).close()
    keys = "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        for table in ("signatures", "bands"):
            conn.execute(f"ALTER TABLE {table} ADD FOREIGN KEY (article) REFERENCES articles (id) ON DELETE CASCADE")
        assert conn.execute(keys).fetchone()[0] == 2
        store = open_store("unused", postgres_url)
        assert conn.execute(keys).fetchone()[0] == 0
        file(store, "a", keys=[1, 2])
        store.forget(["a"])
        assert [store.count(t) for t in ("articles", "signatures", "bands")] == [0, 0, 0]
        store.close()


def test_settings_keep_their_first_value(store_url: str, store: StateStore) -> None:
    assert store.setting("format", "a") == "a"
    assert store.setting("format", "b") == "a"
    again = open_store("unused", store_url)
    assert again.setting("format", "c") == "a"
    again.close()


def test_payloads(store: StateStore) -> None:
    assert store.original_payload("sha1:p") is None
    store.add_payload("sha1:p", Original("http://a.cn/1", "2026-01-01T00:00:00Z", "<urn:uuid:1>"))
    store.add_payload("sha1:p", Original("http://a.cn/2", "2026-01-02T00:00:00Z", "<urn:uuid:2>"))  # kept: first
    assert store.original_payload("sha1:p") == Original("http://a.cn/1", "2026-01-01T00:00:00Z", "<urn:uuid:1>")


def test_a_payload_added_is_everyones_by_the_next_lookup(store_url: str, store: StateStore) -> None:
    """An added payload is answered at once where it was added; others see it once the store
    has looked another up (the insert goes with that lookup, where writes chain), written
    anything else (with that write's transaction, where they do not), or closed."""
    first, later = (Original("http://a.cn/1", "2026-01-01T00:00:00Z", "<urn:uuid:1>"),
                    Original("http://a.cn/2", "2026-01-02T00:00:00Z", "<urn:uuid:2>"))
    other = open_store("unused", store_url)  # another process
    store.add_payload("sha1:p", first)
    store.add_payload("sha1:p", later)  # kept: the first, before it is sent too
    assert store.original_payload("sha1:p") == first
    assert store.original_payload("sha1:q") is None  # a lookup: what was added is sent with it
    if store.dialect.chains:
        assert other.original_payload("sha1:p") == first
    else:  # sent with the next write transaction, not a commit of its own
        assert other.original_payload("sha1:p") is None
        store.setting("format", "a")
        assert other.original_payload("sha1:p") == first
    store.add_payload("sha1:q", later)
    assert store.count("payloads") == 2
    store.add_payload("sha1:r", later)
    store.close()
    assert other.original_payload("sha1:q") == later and other.original_payload("sha1:r") == later
    other.close()


def test_sqlite_sends_payloads_alone_only_once_enough_wait(tmp_path: Path) -> None:
    """With no write transaction to go with, SQLite's payloads wait for UNSENT_PAYLOADS of them
    (what a crash may lose stays bounded), then are sent in one insert."""
    store, other = SqliteStore(tmp_path / "s.sqlite"), SqliteStore(tmp_path / "s.sqlite")
    added = [f"sha1:{n}" for n in range(UNSENT_PAYLOADS)]
    for digest in added[:-1]:
        store.add_payload(digest, Original(f"http://a.cn/{digest}", "2026-01-01T00:00:00Z", "<urn:uuid:1>"))
    assert other.count("payloads") == 0 and store.original_payload(added[0]) is not None
    store.add_payload(added[-1], Original("http://a.cn/last", "2026-01-01T00:00:00Z", "<urn:uuid:2>"))
    assert other.count("payloads") == UNSENT_PAYLOADS
    store.close()
    other.close()


def test_a_filings_lookups_together(store: StateStore) -> None:
    """`candidates`: what `article`, `article_by_hash`, `lsh_candidates`, `signatures` and
    `clusters_of` would answer a filing, the bands only when no article has the same body."""
    head = file(store, "h", content_hash="sha1:h", keys=[10, 11, -(2**63)], seed=1)
    copy = file(store, "c", content_hash="sha1:c", cluster="h", keys=[10, 12, 2**63 - 1], seed=2)
    found = store.candidates("new", "sha1:new", [10, 2**63 - 1, 99])
    assert found.filed is None and found.same is None and found.near.keys() == {head, copy}
    assert found.near[copy][0] == "h" and np.array_equal(found.near[copy][1], sig(2))
    assert found.near[head][1].dtype == np.uint32 and np.array_equal(found.near[head][1], sig(1))
    assert store.candidates("new", "sha1:new", [-(2**63)]).near.keys() == {head}
    found = store.candidates("c", "sha1:h", [10])
    assert found == Candidates(filed=(copy, "h", "h", None), same=(head, "h"), near={})
    assert store.candidates("x", "sha1:x", []) == Candidates(None, None, {})
    assert store.candidates("x", "sha1:x", [99]) == Candidates(None, None, {})


def test_an_article_filed_without_its_id_read_back(store: StateStore) -> None:
    with store.exclusive():
        assert store.add_article(record_id="q", url="u", canonical_url="u", site="s", title=None,
                                 content_hash="sha1:q", cluster="q", duplicate_of=None, similarity=None,
                                 seen_at="t", signature=sig(3), band_keys=[5, 6], returning=False) is None
        assert store.cluster_of("q") == "q"  # filed, and seen by what follows in the transaction
    found = store.candidates("z", "sha1:z", [6])
    assert len(found.near) == 1 and np.array_equal(next(iter(found.near.values()))[1], sig(3))
    assert store.add_article(record_id="q", url="u", canonical_url="u", site="s", title=None,
                             content_hash="sha1:q", cluster="q", duplicate_of=None, similarity=None,
                             seen_at="t", signature=sig(4), band_keys=[7]) is None  # filed before
    assert store.candidates("z", "sha1:z", [7]).near == {}  # nor its fingerprints filed again


def test_articles_fingerprints_and_clusters(store: StateStore) -> None:
    head = file(store, "h", content_hash="sha1:h", keys=[10, 11, -(2**63)], seed=1)
    copy = file(store, "c", content_hash="sha1:c", cluster="h", keys=[10, 12, 2**63 - 1], seed=2)
    assert isinstance(head, int) and isinstance(copy, int) and head != copy
    assert file(store, "h") is None  # the same record twice
    assert store.article_by_hash("sha1:h") == (head, "h")
    assert store.article_by_hash("sha1:c") == (copy, "h")  # (id, cluster) of the first with that hash
    assert store.article_by_hash("sha1:none") is None
    assert store.article("c") == (copy, "h", "h", None) and store.article("none") is None
    assert store.clusters_of([head, copy]) == {head: "h", copy: "h"} and store.clusters_of([]) == {}
    assert sorted(store.lsh_candidates([10])) == sorted([head, copy])
    assert store.lsh_candidates([12, 2**63 - 1]) == [copy]
    assert store.lsh_candidates([-(2**63)]) == [head]
    assert store.lsh_candidates([99]) == []
    sigs = store.signatures([head, copy])
    assert set(sigs) == {head, copy} and sigs[head].dtype == np.uint32
    assert np.array_equal(sigs[copy], sig(2))
    assert store.signatures([]) == {}
    assert store.cluster_of("c") == "h" and store.cluster_of("none") is None


def test_members_evidence_merges_and_canonical_records(store: StateStore) -> None:
    a = store.add_article(record_id="a", url="u", canonical_url="u", site="s", title=None, content_hash="sha1:a",
                          cluster="a", duplicate_of=None, similarity=None, seen_at="t", signature=sig(1),
                          band_keys=[1], run="r", evidence={"length": 1200, "site": "淮南"})
    file(store, "b", content_hash="sha1:b", cluster="a", run="r")
    file(store, "x", content_hash="sha1:x", run="r")
    members = store.members("a")
    assert [(m.id, m.record_id, m.duplicate_of, m.exported) for m in members] == \
        [(a, "a", None, False), (members[1].id, "b", "a", False)]
    assert members[0].evidence == {"length": 1200, "site": "淮南"} and members[1].evidence is None
    store.set_canonical("a", "b", {"a": 0.9})
    assert [(m.record_id, m.duplicate_of) for m in store.members("a")] == [("a", "b"), ("b", None)]
    assert store.article("a")[3] == 0.9
    store.merge_clusters("x", into="a", by="b")
    assert [c for c, _ in store.clusters()] == ["a"] and store.cluster_of("x") == "a"
    assert store.forget(["b"]) >= {"a", "x"}  # the merge its filing made is undone
    assert store.cluster_of("x") == "x" and store.cluster_of("b") is None
    assert [(c, [m.record_id for m in ms]) for c, ms in store.clusters()] == [("a", ["a"]), ("x", ["x"])]


def test_leases(store_url: str, store: StateStore) -> None:
    assert store.hold_lease("spider:x", "g1", ttl=30) == "g1"
    assert store.hold_lease("spider:x", "g1", ttl=30) == "g1"  # renewed
    other = open_store("unused", store_url)  # another process, another machine
    assert other.hold_lease("spider:x", "g2", ttl=30) == "g1" and other.lease_holder("spider:x") == "g1"
    other.release_lease("spider:x", "g2")  # not its own: no effect
    assert store.lease_holder("spider:x") == "g1"
    store.release_lease("spider:x", "g1")
    assert other.lease_holder("spider:x") is None
    assert other.hold_lease("spider:x", "g2", ttl=0.5) == "g2"
    time.sleep(0.7)  # expired: free for another
    assert store.lease_holder("spider:x") is None
    assert store.hold_lease("spider:x", "g1", ttl=30) == "g1"
    other.close()


def test_exclusive_rolls_back_on_error(store: StateStore) -> None:
    with pytest.raises(RuntimeError), store.exclusive():
        file(store, "gone")
        raise RuntimeError("boom")
    assert store.cluster_of("gone") is None
    with store.exclusive():
        file(store, "kept")
    assert store.cluster_of("kept") == "kept"


def test_exclusive_transactions_are_measured(store_url: str, store: StateStore) -> None:
    other = open_store("unused", store_url)  # another writer, holding the others off a while
    held = threading.Event()

    def hold() -> None:
        with other.exclusive():
            held.set()
            time.sleep(0.4)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(10)
    before = store.exclusion.count
    with store.exclusive():
        time.sleep(0.05)
    thread.join()
    other.close()
    assert store.exclusion.count == before + 1
    assert store.exclusion.waited >= 0.2 and store.exclusion.held >= 0.05
    assert other.exclusion.held >= 0.4


def test_a_filing_is_final_once_exported(store: StateStore) -> None:
    file(store, "a", run="r1")
    file(store, "b", run="r1", content_hash="sha1:b")
    file(store, "c", run="r2", content_hash="sha1:c")
    assert sorted(store.unexported_runs()) == ["r1", "r2"]
    assert not store.known_url("http://a.cn/a")
    store.mark_exported("a", "http://a.cn/a", "2026-01-01T00:00:00Z")
    assert store.known_url("http://a.cn/a")
    assert store.unexported("r1") == [("b", "http://a.cn/b", "2026-01-01T00:00:00Z")]
    store.forget(["b"])
    assert store.cluster_of("b") is None and store.article_by_hash("sha1:b") is None
    assert store.unexported_runs() == ["r2"]
    assert store.cluster_of("a") == "a"


def test_export_lines_are_kept_until_their_filing_is_exported(store: StateStore) -> None:
    for rid in "abc":
        file(store, rid, run="r1", content_hash=f"sha1:{rid}")
    here = socket.gethostname()
    store.stage_export("a", here, "/out/articles/s.jsonl", 0, b'{"id": "a"}\n')
    store.stage_export("b", here, "/out/articles/s.jsonl", 12, b'{"id": "b"}\n')
    store.stage_export("c", "elsewhere", "/out/duplicates/s.jsonl", 7, "{\"id\": \"c\", \"t\": \"标题\"}\n".encode())
    assert store.staged(["a", "c", "x"]) == {
        "a": Staged(here, "/out/articles/s.jsonl", 0, b'{"id": "a"}\n'),
        "c": Staged("elsewhere", "/out/duplicates/s.jsonl", 7, '{"id": "c", "t": "标题"}\n'.encode())}
    assert store.staged([]) == {}
    store.stage_export("a", here, "/out/articles/s.jsonl", 40, b'{"id": "a"}\n')  # staged again: replaced
    assert store.staged(["a"])["a"].at == 40
    store.mark_exported_many([("a", "http://a.cn/a", "t"), ("b", "http://a.cn/b", "t")])
    assert store.staged(["a", "b", "c"]).keys() == {"c"}  # kept only until exported
    assert store.known_url("http://a.cn/a") and store.known_url("http://a.cn/b")
    assert store.unexported("r1") == [("c", "http://a.cn/c", "2026-01-01T00:00:00Z")]
    store.unstage("c")
    assert store.staged(["c"]) == {}
    store.stage_export("c", here, "/out/articles/s.jsonl", 0, b"{}\n")
    store.forget(["c"])
    assert store.staged(["c"]) == {} and store.count("staged") == 0


def _line(rid: str, **fields: object) -> bytes:
    record = {"id": rid, "url": f"http://a.cn/{rid}", "canonical_url": f"http://a.cn/{rid}", **fields}
    return (json.dumps(record, ensure_ascii=False) + "\n").encode()


def _recover(output: Path, store_url: str) -> dict:
    crawler = get_crawler(settings_dict={"OUTPUT_DIR": str(output), "STATE_URL": store_url})
    state = CrawlState.from_crawler(crawler)
    state.engine_stopped()
    return crawler.stats.get_stats()


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True) if path.exists() else []


def test_a_dead_runs_exports_confirmed_where_it_wrote_them(store_url: str, store: StateStore, tmp_path: Path) -> None:
    """Its export file here: the lines it wrote whole are confirmed from the tail after where it
    began writing them, a torn last line is cut off and exported again with the line it never
    wrote, and a filing it never staged is forgotten."""
    dead = "gone-machine-1-1"  # no lease: dead
    exports = tmp_path / "articles" / "generic.jsonl"
    exports.parent.mkdir(parents=True)
    exports.write_bytes(_line("old", title="早已导出"))
    for rid in ("old", "written", "torn", "unwritten", "unstaged"):
        file(store, rid, run=dead, content_hash=f"sha1:{rid}", seed=len(rid))
    store.mark_exported("old", "http://a.cn/old", "t")
    path = str(exports.resolve())
    for rid in ("written", "torn", "unwritten"):
        store.stage_export(rid, socket.gethostname(), path, exports.stat().st_size, _line(rid, title="标题"))
        if rid == "written":
            with open(exports, "ab") as fh:
                fh.write(_line(rid, title="标题") + _line("someone-else"))
    with open(exports, "ab") as fh:
        fh.write(_line("torn", title="标题")[:25])  # the crash cut this write short
    stats = _recover(tmp_path, store_url)
    lines = _lines(exports)
    assert lines == [_line("old", title="早已导出"), _line("written", title="标题"), _line("someone-else"),
                     _line("torn", title="标题"), _line("unwritten", title="标题")]
    assert store.unexported_runs() == [] and store.count("staged") == 0
    assert all(store.known_url(f"http://a.cn/{rid}") for rid in ("written", "torn", "unwritten"))
    assert store.cluster_of("unstaged") is None and not store.known_url("http://a.cn/unstaged")
    assert (stats["state/recovered_confirmed"], stats["state/recovered_exported_again"],
            stats["state/recovered_unexported"]) == (1, 2, 1)
    assert _recover(tmp_path, store_url).get("state/recovered_confirmed") is None  # settled once
    assert _lines(exports) == lines


def test_a_dead_runs_exports_on_another_machine_are_exported_again_here(
        store_url: str, store: StateStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Its export files are not here: every line it staged and did not mark is exported again
    into this run's own files, of the same kind and name; a line it had written there too is
    one story, once, in `scrapy stories`."""
    dead = "other-machine-4242-1"
    file(store, "story", run=dead, content_hash="sha1:s", seed=1)
    file(store, "copy", run=dead, content_hash="sha1:c", cluster="story", seed=2)
    story = _line("story", dedupe={"cluster": "story", "duplicate_of": None})
    copy = _line("copy", dedupe={"cluster": "story", "duplicate_of": "story"})
    store.stage_export("story", "other-machine", "/srv/crawl/articles/generic.jsonl", 9000, story)
    store.stage_export("copy", "other-machine", "/srv/crawl/duplicates/generic.jsonl", 100, copy)
    here = tmp_path / "here"
    (here / "articles").mkdir(parents=True)
    (here / "articles" / "generic.jsonl").write_bytes(_line("mine"))
    # The recovering process dies too, after writing the lines, before marking them: the next
    # recovery finds them where it wrote them, and writes none twice.
    with monkeypatch.context() as patch:
        patch.setattr(RunLedger, "mark_exported_many", lambda *a: (_ for _ in ()).throw(SystemExit("killed")))
        with pytest.raises(SystemExit):
            _recover(here, store_url)
    assert store.unexported("other-machine-4242-1") and store.lease_holder("recover:other-machine-4242-1") is None
    stats = _recover(here, store_url)
    assert _lines(here / "articles" / "generic.jsonl") == [_line("mine"), story]
    assert _lines(here / "duplicates" / "generic.jsonl") == [copy]
    assert (stats["state/recovered_confirmed"], stats["state/recovered_unexported"]) == (2, 0)
    assert store.unexported_runs() == [] and store.known_url("http://a.cn/story")
    # The dead machine had written the story's line too, and its exports are brought here.
    with open(here / "articles" / "generic.jsonl", "ab") as fh:
        fh.write(story)
    path, count = write_stories(here, store)
    stories = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert sorted(s["id"] for s in stories) == ["mine", "story"] and count == 2
    assert next(s for s in stories if s["id"] == "story")["dedupe"]["copies"] == ["copy"]


def test_the_deduper_over_the_store(store: StateStore) -> None:
    deduper = Deduper(store)
    body = "\n".join(["淮南市今年将新建改建城市道路二十条，总里程约四十五公里，计划投资十二亿元。"] * 3
                     + ["市住建局负责人介绍，项目建成后将有效缓解老城区交通拥堵状况。"])
    first = deduper.add(record_id="x", url="u1", canonical_url="u1", site="s", title=None, body=body, seen_at="t")
    near = deduper.add(record_id="y", url="u2", canonical_url="u2", site="s", title=None,
                       body=body + "\n（责任编辑：王晓明）", seen_at="t")
    assert first.duplicate_of is None
    assert near.duplicate_of == "x" and near.cluster == "x" and 0.5 <= near.similarity < 1.0


# Both writers file one copy of each of the same 200 stories, in the same order, starting at the
# same moment: without a decision serialized across processes, some story gets two heads.
RACER = """
import random, sys, time
sys.path.insert(0, "tests")
from test_dedupe import synthetic_articles, variant
from crawler.dedupe import Deduper, content_hash
from crawler.state import open_store
url, tag, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
rng = random.Random(5 if tag == "p" else 6)
stories = synthetic_articles(200, seed=21)
bodies = [variant(b, rng.choice(["spam", "captions", "clone"]), rng) for b in stories]
deduper = Deduper(open_store("unused", url))
prints = [(content_hash(b), deduper.signer.signature(b)) for b in bodies]  # the race is all in the store
time.sleep(max(0.0, start - time.time()))
for n, (digest, signature) in enumerate(prints):
    deduper.file(record_id=f"{tag}{n}", url=f"http://{tag}.cn/{n}", canonical_url=f"http://{tag}.cn/{n}",
                 site=tag, title=None, digest=digest, signature=signature,
                 keys=deduper.signer.band_keys(signature), seen_at="t")
"""


@pytest.mark.slow
def test_two_writers_filing_copies_at_once_make_one_cluster_per_story(store_url: str) -> None:
    open_store("unused", store_url).close()  # the schema, before the race
    start = str(time.time() + 8)
    procs = [subprocess.Popen([sys.executable, "-c", RACER, store_url, tag, start], cwd=REPO)
             for tag in ("p", "q")]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    store = open_store("unused", store_url)
    clusters = {n: {store.cluster_of(f"p{n}"), store.cluster_of(f"q{n}")} for n in range(200)}
    store.close()
    assert all(len(c) == 1 and None not in c for c in clusters.values()), \
        {n: c for n, c in clusters.items() if len(c) != 1}
    assert len(set().union(*clusters.values())) == 200
