"""Scrapy extensions of the project: the crawl's services (state store, archive), which the
middlewares and pipelines find with `crawler.get_extension`, and the run's bookkeeping (lock,
report, progress)."""

from __future__ import annotations

from typing import TypeVar

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

T = TypeVar("T")


def required(crawler: Crawler, extension: type[T]) -> T:
    """The crawler's instance of a service extension. NotConfigured, which leaves the asking
    component out, when the extension is off (WARC_ENABLED=0) or not in EXTENSIONS."""
    found = crawler.get_extension(extension)
    if found is None:
        raise NotConfigured(f"{extension.__module__}.{extension.__name__} is not enabled")
    return found
