"""The canonical record of a story: the rule, criterion by criterion; re-pointing, merging and
recovery in the store, whatever the order copies are filed in."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler
from test_dedupe import SPAM, synthetic_articles

from crawler.dedupe import Deduper, elect
from crawler.dedupe.canonical import Copy, Evidence, choose, evidence_of, publication_day
from crawler.extensions.state import CLUSTER_LOG, CrawlState
from crawler.normalize import normalize_record
from crawler.sites import SITES
from crawler.state import open_store
from crawler.testing.clones import clonify

WHOLE = Evidence(length=1000)


def test_each_criterion_decides_in_its_order() -> None:
    # Pairs (winner, loser) that differ in one criterion, the later criteria favouring the loser.
    cases = {
        "named_source": (Evidence(source_site=True, names=("滁州日报",), source="滁州日报", repairs=5),
                         Evidence(source_site=True, names=("淮南网",), source="滁州日报")),
        "source_site": (Evidence(source_site=True, repairs=5, spam=2, length=500),
                        Evidence(source="滁州日报", length=1000, published="2020-01-01")),
        "no_repair": (Evidence(spam=2, published="2020-03-01"), Evidence(repairs=1, published="2020-01-01")),
        "no_spam": (Evidence(published="2020-03-01", length=10), Evidence(spam=1, published="2020-01-01", length=1000)),
        "earliest_published": (Evidence(published="2020-01-01", length=10),
                               Evidence(published="2020-01-02", length=1000)),
        "complete": (Evidence(length=1000), Evidence(length=700)),
        "first_seen": (Evidence(length=1000), Evidence(length=900)),
    }
    for criterion, (winner, loser) in cases.items():
        for seqs in ((1, 2), (2, 1)):
            if criterion == "first_seen" and seqs == (2, 1):
                continue  # there, arrival is the criterion
            copies = [Copy(seqs[0], "w", winner), Copy(seqs[1], "l", loser)]
            assert choose(copies) == ("w", [criterion]), criterion
            assert choose(copies[::-1]) == ("w", [criterion]), criterion


def test_reasons_name_every_criterion_that_decided() -> None:
    copies = [Copy(3, "original", Evidence(source_site=True, length=1000)),
              Copy(1, "clone", Evidence(repairs=40, spam=1, length=1000)),
              Copy(2, "truncated-clone", Evidence(repairs=40, length=600))]
    assert choose(copies) == ("original", ["source_site"])
    assert choose(copies[1:]) == ("truncated-clone", ["no_spam"])
    assert choose(copies[:1]) == ("original", ["only_copy"])
    with pytest.raises(ValueError):
        choose([])


def test_undated_copies_come_last_and_dates_are_read_in_china_time() -> None:
    assert publication_day("2022-04-03T20:39:37+00:00") == "2022-04-04"
    assert publication_day("2020-02-26") == "2020-02-26"
    assert publication_day(None) is None
    assert choose([Copy(1, "undated", Evidence()), Copy(2, "dated", Evidence(published="2030-01-01"))])[0] == "dated"


def test_evidence_from_a_normalized_record() -> None:
    body = "凝心聚力齐抗疫，党群同心共克难。社区工作人员坚守一线，守护群众健康。"
    original = normalize_record({"title": "凝心聚力", "body": body, "source": "滁州日报",
                                 "published": "2020-02-26", "normalization": {}})
    clone = normalize_record({"title": "凝心聚力", "body": clonify(body, seed=1) + "\n" + SPAM,
                              "source": "滁州日报", "published": "2020-02-27"})
    clone["normalization"]["lines_cut"] = {"spam": 2}
    mine = evidence_of(original, SITES["chuzhou"])
    theirs = evidence_of(clone)
    assert (mine.source_site, mine.repairs, mine.spam, mine.published) == (True, 0, 0, "2020-02-26")
    assert "滁州日报" in mine.names
    assert not theirs.source_site and theirs.repairs > 0 and theirs.spam == 3
    assert mine.length == theirs.length  # the same text, less the spam
    assert Evidence.from_dict(json.loads(json.dumps(mine.as_dict()))) == mine


def _file(deduper: Deduper, record_id: str, body: str, evidence: Evidence):
    return deduper.add(record_id=record_id, url=f"http://x.cn/{record_id}", canonical_url=f"http://x.cn/{record_id}",
                       site="s", title=None, body=body, seen_at="t", evidence=evidence)


def test_any_filing_order_gives_the_same_canonical_record(tmp_path: Path) -> None:
    body = synthetic_articles(1, seed=21)[0]
    copies = {
        "original": (body, Evidence(source_site=True, length=len(body))),
        "clone": (body, Evidence(repairs=30, length=len(body))),
        "spammed": (body + "\n" + SPAM, Evidence(spam=1, length=len(body))),
        "truncated": (body[: len(body) * 2 // 3], Evidence(length=len(body) * 2 // 3)),
    }
    for n, order in enumerate(itertools.permutations(copies)):
        store = open_store(tmp_path / str(n))
        deduper = Deduper(store)
        verdicts = {rid: _file(deduper, rid, *copies[rid]) for rid in order}
        assert {m.record_id: m.duplicate_of for m in store.members(order[0])} == {
            rid: None if rid == "original" else "original" for rid in copies}, order
        assert len({v.cluster for v in verdicts.values()}) == 1
        # The original's filing says whom it displaced; every copy filed after it points at it.
        assert verdicts["original"].replaced == ([] if order[0] == "original" else [_best_before(order, copies)])
        store.close()


def _best_before(order: tuple[str, ...], copies: dict) -> str:
    before = order[: order.index("original")]
    return choose([Copy(i, rid, copies[rid][1]) for i, rid in enumerate(before)])[0]


def _overlapping(seed: int) -> tuple[str, str, str]:
    """Two bodies sharing a third of their text (P+Q, Q+R: not one story) and one (P+Q+R) that
    is two thirds of each."""
    p, q, r = ("\n".join(body.split("\n")[:5]) for body in synthetic_articles(3, seed=seed))
    return f"{p}\n{q}", f"{q}\n{r}", f"{p}\n{q}\n{r}"


def test_a_copy_bridging_two_clusters_merges_them(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    deduper = Deduper(store)
    a, b, bridging = _overlapping(seed=5)
    _file(deduper, "a", a, Evidence(repairs=3))
    _file(deduper, "b", b, Evidence(source_site=True))
    assert store.cluster_of("a") != store.cluster_of("b")
    bridge = _file(deduper, "ab", bridging, Evidence(repairs=3))
    assert bridge.merged == ["b"] and bridge.cluster == "a" and bridge.duplicate_of == "b"
    assert bridge.replaced == ["a"]  # the merged story's canonical record is the better of the two heads
    members = store.members("a")
    assert [m.record_id for m in members] == ["a", "b", "ab"]
    assert [m.duplicate_of for m in members] == ["b", None, "b"]


def test_forgetting_an_unexported_filing_undoes_its_repointing_and_merge(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    deduper = Deduper(store)
    a, b, bridging = _overlapping(seed=6)
    _file(deduper, "a", a, Evidence(repairs=3))
    _file(deduper, "b", b, Evidence(repairs=3))
    bridge = _file(deduper, "ab", bridging, Evidence(source_site=True))
    assert bridge.duplicate_of is None and sorted(bridge.replaced) == ["a", "b"]
    touched = store.forget(["ab"])
    with store.exclusive():
        for cluster in touched:
            elect(store, cluster)
    assert [(m.record_id, m.duplicate_of) for m in store.members("a")] == [("a", None)]
    assert [(m.record_id, m.duplicate_of) for m in store.members("b")] == [("b", None)]


def test_recovery_after_a_run_died_mid_filing(tmp_path: Path) -> None:
    """A dead run's re-pointing copy never exported is forgotten and its cluster elected again;
    one whose record reached the exports is confirmed and its cluster event logged."""
    store = open_store(tmp_path)
    deduper = Deduper(store)
    lost, kept = synthetic_articles(2, seed=8)
    (tmp_path / "articles").mkdir()
    for rid, body in (("lost-clone", lost), ("kept-clone", kept)):
        _file(deduper, rid, body, Evidence(repairs=9))
        store.mark_exported(rid, f"http://x.cn/{rid}", "t")
    verdicts = {rid: deduper.add(record_id=rid, url=f"http://y.cn/{rid}", canonical_url=f"http://y.cn/{rid}",
                                 site="chuzhou", title=None, body=body, seen_at="t", run="dead-run",
                                 evidence=Evidence(source_site=True))
                for rid, body in (("lost-original", lost), ("kept-original", kept))}
    assert all(v.replaced for v in verdicts.values())
    record = {"id": "kept-original", "fetched_at": "t", "dedupe": verdicts["kept-original"].as_dict()}
    (tmp_path / "articles" / "chuzhou.jsonl").write_text(json.dumps(record) + "\n", "utf-8")
    store.close()

    crawler = get_crawler(settings_dict={"OUTPUT_DIR": str(tmp_path)})
    state = CrawlState.from_crawler(crawler)
    try:
        lost_cluster = state.store.cluster_of("lost-clone")
        assert [(m.record_id, m.duplicate_of) for m in state.store.members(lost_cluster)] == [("lost-clone", None)]
        kept_cluster = state.store.cluster_of("kept-clone")
        assert {m.record_id: (m.duplicate_of, m.exported) for m in state.store.members(kept_cluster)} == {
            "kept-clone": ("kept-original", True), "kept-original": (None, True)}
        assert state.store.unexported_runs() == []
        events = [json.loads(line) for line in (tmp_path / CLUSTER_LOG).read_text("utf-8").splitlines()]
        assert [(e["event"], e["by"], e["former"]) for e in events] == [("repointed", "kept-original", ["kept-clone"])]
        assert crawler.stats.get_value("state/recovered_unexported") == 1
    finally:
        state.engine_stopped()
