"""The article record (see DESIGN.md), as a Scrapy item."""

import scrapy


class Article(scrapy.Item):
    id = scrapy.Field()
    url = scrapy.Field()
    canonical_url = scrapy.Field()
    site = scrapy.Field()
    fetched_at = scrapy.Field()
    title = scrapy.Field()
    subtitle = scrapy.Field()
    published = scrapy.Field()
    authors = scrapy.Field()
    editors = scrapy.Field()
    source = scrapy.Field()
    section = scrapy.Field()
    body = scrapy.Field()
    images = scrapy.Field()
    original = scrapy.Field()
    normalization = scrapy.Field()
    dedupe = scrapy.Field()
    warc = scrapy.Field()
