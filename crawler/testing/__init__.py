"""Helpers for tests and fixture sites (no Scrapy imports)."""

from crawler.testing.clones import clonify

__all__ = ["clonify"]
