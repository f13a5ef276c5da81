"""The validate pipeline: what is not an article record is dropped, and counted by reason."""

from __future__ import annotations

import pytest
from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler

from crawler.items import Article
from crawler.pipelines.validate import ValidatePipeline, problem
from crawler.record import FIELDS


def test_the_item_has_every_record_field() -> None:
    assert tuple(Article.fields) == FIELDS


@pytest.mark.parametrize(("item", "reason"), [
    ({"body": "正文"}, "no url"),
    ({"url": "http://a.cn/1.html", "body": "  "}, "empty body"),
    ({"url": "http://a.cn/1.html", "body": "正文", "authors": "张三"}, "authors is not a list"),
    ({"url": "http://a.cn/1.html", "body": "正文", "authors": ["张三"]}, None),
])
def test_problems(item: dict, reason: str | None) -> None:
    assert problem(ItemAdapter(Article(**item))) == reason


def test_drops_are_counted_by_reason() -> None:
    stats = MemoryStatsCollector(get_crawler())
    pipeline = ValidatePipeline(stats)
    with pytest.raises(DropItem, match="empty body"):
        pipeline.process_item(Article(url="http://a.cn/1.html", body=""))
    good = Article(url="http://a.cn/2.html", body="正文")
    assert pipeline.process_item(good) is good
    assert stats.get_stats() == {"validate/dropped/empty body": 1}
