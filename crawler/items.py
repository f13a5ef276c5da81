"""The article record (crawler.record) as a Scrapy item: one field per record field."""

import scrapy

from crawler.record import FIELDS

# Built from the record's one definition, so the two cannot drift apart.
Article = type(scrapy.Item)("Article", (scrapy.Item,), {
    "__module__": __name__, "__doc__": "An article record (see crawler.record.ArticleRecord).",
    **{name: scrapy.Field() for name in FIELDS}})
