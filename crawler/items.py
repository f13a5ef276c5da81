"""The article record (crawler.record) as a Scrapy item: one field per record field."""

import scrapy
from itemadapter import ItemAdapter

from crawler.reading import Prepared
from crawler.record import FIELDS

# Built from the record's one definition, so the two cannot drift apart.
Article = type(scrapy.Item)("Article", (scrapy.Item,), {
    "__module__": __name__, "__doc__": "An article record (see crawler.record.ArticleRecord).",
    **{name: scrapy.Field() for name in FIELDS}})


def record_of(item: object) -> dict:
    """An item's fields as a dict, for writing out. Shallow: a record's values are plain JSON
    values (ItemAdapter.asdict walks every nested list and dict again, for nested items)."""
    adapter = ItemAdapter(item)
    return {key: adapter[key] for key in adapter}


# The pipelines' work done where the page was read (crawler.reading.Prepared), carried by the
# spider's item to the pipelines: a private attribute, so never a field of the record.
_PREPARED = "_prepared"


def attach_prepared(item: scrapy.Item, prepared: Prepared | None) -> scrapy.Item:
    if prepared is not None:
        setattr(item, _PREPARED, prepared)
    return item


def prepared_of(item: object) -> Prepared | None:
    """What was prepared for this item (None: nothing, or an item of another kind)."""
    return getattr(item, _PREPARED, None)
