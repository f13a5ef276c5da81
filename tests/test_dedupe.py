"""Recognising copies: generated near-duplicates found, distinct articles never merged, the
store safe for concurrent writers, canonical URLs."""

from __future__ import annotations

import random
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from scrapy.settings import Settings

from crawler.dedupe import DedupeConfig, Deduper, canonical_text
from crawler.normalize import normalize_text
from crawler.pipelines.dedupe import dedupe_config
from crawler.state import open_store
from crawler.testing.clones import clonify
from crawler.urls import canonical_url

DATA = REPO / "tests" / "normalize" / "data"
SPAM = (DATA / "001_eb2cd2e88cf5ef07.txt").read_text("utf-8").strip().splitlines()[-1].strip()
BOILERPLATE = [  # one site template's furniture, left in every body (as if extraction missed it)
    "凡本网注明“来源：滁州日报”的所有作品，版权均属于滁州日报社，未经授权不得转载、摘编或利用其它方式使用上述作品。",
    "（责任编辑：王晓明）",
    "分享到：微信 微博 QQ空间",
]


def sentence_pool() -> list[str]:
    texts = [(DATA / "fixtures_simplified.txt").read_text("utf-8"), (DATA / "004_canonical.txt").read_text("utf-8")]
    articles = yaml.safe_load((REPO / "tools" / "fixtures" / "articles.yaml").read_text("utf-8"))
    for site in ("huainan", "ahcaijing", "danfeng"):
        texts += [p for a in articles[site] for p in a["paragraphs"] if isinstance(p, str)]
    sentences = []
    for text in texts:
        for line in text.splitlines():
            if line.startswith("#"):
                continue
            sentences += [s for s in re.findall(r"[^。！？]+[。！？]", line) if len(s) >= 12]
    return sorted(set(sentences))


def synthetic_articles(n: int, seed: int) -> list[str]:
    """n distinct articles: paragraphs of random sentences from the pool, plus the template."""
    pool = sentence_pool()
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sentences = rng.sample(pool, 14)
        paragraphs = ["".join(sentences[i:i + 3]) for i in range(0, 14, 3)]
        out.append("\n".join(paragraphs + BOILERPLATE))
    return out


def variant(body: str, kind: str, rng: random.Random) -> str:
    paragraphs = body.split("\n")
    if kind == "clone":  # converted by a clone, then normalized by our pipeline
        return normalize_text(clonify(body, variant=rng.choice(["s2t", "s2tw", "s2hk"]),
                                      annotate=rng.uniform(0.1, 0.5), seed=rng.randrange(10**6)))
    if kind == "spam":
        return body + "\n" + SPAM
    if kind == "truncate":  # cut to 70% of its text
        return body[: int(len(body) * 0.7)]
    if kind == "reparagraph":
        text = "".join(paragraphs)
        cuts = sorted(rng.sample(range(1, len(text)), 6))
        return "\n".join(text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True))
    if kind == "captions":
        for i in (4, 2, 1):
            paragraphs.insert(i, rng.choice(["图为社区工作人员入户走访。", "志愿者在检测点维持秩序。",
                                             "本报记者 摄", "图为项目施工现场。"]))
        return "\n".join(paragraphs)
    if kind == "clone+spam":
        return variant(variant(body, "clone", rng), "spam", rng)
    raise ValueError(kind)


KINDS = ["clone", "spam", "truncate", "reparagraph", "captions", "clone+spam"]


def test_near_duplicates_found_and_distinct_articles_never_merged(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    deduper = Deduper(store, DedupeConfig())
    rng = random.Random(7)
    distinct = synthetic_articles(1000, seed=1)
    for n, body in enumerate(distinct):
        verdict = deduper.add(record_id=f"d{n}", url=f"http://a.cn/{n}", canonical_url=f"http://a.cn/{n}",
                              site="a", title=None, body=body, seen_at="t")
        assert verdict.duplicate_of is None, f"article {n} merged into {verdict.duplicate_of} ({verdict.similarity})"
    misses = []
    pairs = 0
    for n in range(240):  # 240 pairs: an original among the 1000, a copy under another URL
        kind = KINDS[n % len(KINDS)]
        copy = variant(distinct[n], kind, rng)
        verdict = deduper.add(record_id=f"c{n}", url=f"http://b.cn/{n}", canonical_url=f"http://b.cn/{n}",
                              site="b", title="另一个标题", body=copy, seen_at="t")
        pairs += 1
        if verdict.duplicate_of != f"d{n}":
            misses.append((n, kind, verdict.duplicate_of, verdict.similarity))
    recall = 1 - len(misses) / pairs
    print(f"\nnear-duplicate recall {recall:.3f} over {pairs} pairs; misses: {misses}")
    assert recall >= 0.98, misses
    assert store.count("articles") == 1240


def test_the_same_record_twice_is_no_copy_of_itself(tmp_path: Path) -> None:
    deduper = Deduper(open_store(tmp_path))
    body = synthetic_articles(1, seed=3)[0]
    first = deduper.add(record_id="x", url="u", canonical_url="u", site="s", title=None, body=body, seen_at="t")
    again = deduper.add(record_id="x", url="u", canonical_url="u", site="s", title=None, body=body, seen_at="t")
    other = deduper.add(record_id="y", url="v", canonical_url="v", site="s", title=None, body=body, seen_at="t")
    assert first.duplicate_of is None and again.duplicate_of is None
    assert (other.duplicate_of, other.similarity, other.cluster) == ("x", 1.0, "x")


def test_changed_settings_are_refused(tmp_path: Path) -> None:
    Deduper(open_store(tmp_path), DedupeConfig(shingle=5))
    with pytest.raises(ValueError, match="DEDUPE_"):
        Deduper(open_store(tmp_path), DedupeConfig(shingle=4))


def test_a_store_keeps_the_shingle_hash_it_was_filled_with(tmp_path: Path) -> None:
    """A store of datasketch-equal ("sha1") fingerprints, made before "cp64" was the default,
    goes on with "sha1" under the default settings; naming the other is refused."""
    defaults = Settings({"DEDUPE_THRESHOLD": 0.5, "DEDUPE_SHINGLE": 5, "DEDUPE_NUM_PERM": 128, "DEDUPE_SHINGLE_HASH": ""})
    assert dedupe_config(defaults, open_store(tmp_path / "new")).shingle_hash == "cp64"
    old = open_store(tmp_path / "old")
    Deduper(old, DedupeConfig(shingle_hash="sha1"))
    assert dedupe_config(defaults, old).shingle_hash == "sha1"
    Deduper(old, dedupe_config(defaults, old))  # opens
    defaults.set("DEDUPE_SHINGLE_HASH", "cp64")
    with pytest.raises(ValueError, match="DEDUPE_"):
        Deduper(old, dedupe_config(defaults, old))


def test_spam_is_not_content() -> None:
    assert canonical_text("正文第一段。\n" + SPAM) == canonical_text("正文，第一段")


WRITER = """
import sys
from crawler.dedupe import Deduper
from crawler.state import open_store
sys.path.insert(0, "tests")
from test_dedupe import synthetic_articles
out, tag = sys.argv[1], sys.argv[2]
bodies = synthetic_articles(300, seed=11)  # both writers file the same 150 stories, and 150 of their own
own = synthetic_articles(300, seed=12 if tag == "p" else 13)
deduper = Deduper(open_store(out))
for n in range(150):
    deduper.add(record_id=f"{tag}-shared-{n}", url=f"http://{tag}.cn/s{n}", canonical_url=f"http://{tag}.cn/s{n}",
                site=tag, title=None, body=bodies[n], seen_at="t")
    deduper.add(record_id=f"{tag}-own-{n}", url=f"http://{tag}.cn/o{n}", canonical_url=f"http://{tag}.cn/o{n}",
                site=tag, title=None, body=own[n], seen_at="t")
"""


def test_two_processes_write_one_store(tmp_path: Path) -> None:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), tag], cwd=REPO)
             for tag in ("p", "q")]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    db = sqlite3.connect(tmp_path / "state.sqlite")
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT COUNT(*) FROM articles").fetchone()[0] == 600  # no record lost
    assert db.execute("SELECT COUNT(*) FROM signatures").fetchone()[0] == 600
    # Each shared story has exactly one canonical record, whichever process filed it first.
    heads = db.execute("SELECT COUNT(*) FROM articles WHERE record_id LIKE '%-shared-%' AND duplicate_of IS NULL").fetchone()[0]
    copies = db.execute("SELECT COUNT(*) FROM articles WHERE record_id LIKE '%-shared-%' AND duplicate_of IS NOT NULL").fetchone()[0]
    assert (heads, copies) == (150, 150)
    own_heads = db.execute("SELECT COUNT(*) FROM articles WHERE record_id LIKE '%-own-%' AND duplicate_of IS NULL").fetchone()[0]
    assert own_heads == 300


def test_canonical_urls() -> None:
    aliases = {"m.xomn.cn": "www.ahcaijing.com"}
    same = ["http://m.xomn.cn/html/2022/hnnews_0406/300594.html",
            "https://www.ahcaijing.com:443/html/2022/hnnews_0406/300594.html?utm_source=wechat&from=timeline",
            "HTTP://WWW.AHCAIJING.COM/html/2022/hnnews_0406/300594.html#comments"]
    assert {canonical_url(u, aliases) for u in same} == {"http://www.ahcaijing.com/html/2022/hnnews_0406/300594.html"}
    assert canonical_url("http://www.huainannet.com/zt_content.asp?id=106231&spm=x.y") == \
        "http://www.huainannet.com/zt_content.asp?id=106231"
    assert canonical_url("http://a.cn/p?b=2&a=1&id=3") == "http://a.cn/p?a=1&b=2&id=3"
    assert canonical_url("https://cors.zfour.workers.dev/?http://static.1sapp.com/a.jpg") == "http://static.1sapp.com/a.jpg"
    assert canonical_url("http://a.cn:8080/文章") == "http://a.cn:8080/%E6%96%87%E7%AB%A0"


def test_a_store_from_before_gets_the_new_columns(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "state.sqlite")
    db.executescript("""CREATE TABLE articles (id INTEGER PRIMARY KEY, record_id TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL, canonical_url TEXT NOT NULL, site TEXT, title TEXT, content_hash TEXT NOT NULL,
        cluster TEXT NOT NULL, duplicate_of TEXT, similarity REAL, seen_at TEXT NOT NULL);
        INSERT INTO articles VALUES (1, 'old', 'u', 'u', 's', 't', 'sha1:0', 'old', NULL, NULL, 'x');""")
    db.commit()
    db.close()
    store = open_store(tmp_path)
    assert store.unexported_runs() == []  # the old row counts as exported
    assert store.cluster_of("old") == "old"
