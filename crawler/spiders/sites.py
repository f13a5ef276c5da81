"""One spider per source: each declares its site; the crawl flow is inherited."""

from typing import Any

from crawler.sites import AHCAIJING, CHUZHOU, DANFENG, HUAINAN, QUTOUTIAO
from crawler.spiders.base import SiteSpider


class QutoutiaoSpider(SiteSpider):
    """趣头条, through the Hexo mirror of news feeds; `-a host=` names the mirror's real host."""

    name = "qutoutiao"
    site = QUTOUTIAO

    def __init__(self, *args: Any, host: str | None = None, **kwargs: Any) -> None:
        if host:
            self.site = QUTOUTIAO.on_host(host)
        super().__init__(*args, **kwargs)


class HuainanSpider(SiteSpider):
    name = "huainan"
    site = HUAINAN


class AhcaijingSpider(SiteSpider):
    name = "ahcaijing"
    site = AHCAIJING


class DanfengSpider(SiteSpider):
    name = "danfeng"
    site = DANFENG


class ChuzhouSpider(SiteSpider):
    name = "chuzhou"
    site = CHUZHOU
