"""`scrapy crawl generic -a start_url=URL [-a allow=REGEX]`: a site no spider knows yet.

Follows links on the start URL's host. With `allow`, URLs matching it are the article pages;
without, a page is tried as an article when its URL looks like one (a long number or a date in
its path) and kept only where extraction finds an article body. Depth is bounded
(`-a depth=N`, default 3).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response
from scrapy.linkextractors import LinkExtractor

from crawler.spiders.base import ArticleSpider

_ARTICLE_LIKE = re.compile(r"(?:\d{5,}|(?:19|20)\d{2}[-/_]?\d{2}[-/_]?\d{2}).*\.(?:s?html?|asp|php|aspx|jsp)"
                           r"(?:\?|$)|/(?:content|article|detail|show)[_/-]?\d+", re.I)


class GenericSpider(ArticleSpider):
    name = "generic"

    def __init__(self, *args: Any, start_url: str | None = None, allow: str | None = None,
                 depth: str | int = 3, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not start_url:
            raise ValueError("generic needs -a start_url=URL")
        self.start_urls = [start_url]
        host = urlsplit(start_url).hostname or ""
        self.allowed_domains = [host]
        self.allow = re.compile(allow) if allow else None
        self.depth = int(depth)
        self.links = LinkExtractor(allow_domains=[host], unique=True)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.start_urls:
            yield scrapy.Request(url, self.parse, errback=self.on_error, cb_kwargs={"level": 0})

    def is_article(self, url: str) -> bool:
        if self.allow is not None:
            return self.allow.search(url) is not None
        return _ARTICLE_LIKE.search(urlsplit(url).path + "?" + urlsplit(url).query) is not None

    async def parse(self, response: Response, level: int = 0, **kwargs: Any) -> AsyncIterator[scrapy.Request]:
        for link in await self.page_links(response, self.links):
            if self.is_article(link.url):
                yield scrapy.Request(link.url, self.parse_article, errback=self.on_error,
                                     meta={"article": True})
            elif level < self.depth:
                yield scrapy.Request(link.url, self.parse, errback=self.on_error,
                                     cb_kwargs={"level": level + 1})
