"""Drop, with a reason the stats count, an item that is not an article record."""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

LIST_FIELDS = ("authors", "editors", "section", "images")


class ValidatePipeline:
    def process_item(self, item):  # noqa: ANN001, ANN201 - Scrapy's signature
        adapter = ItemAdapter(item)
        if not adapter.get("url"):
            raise DropItem("no url")
        if not (adapter.get("body") or "").strip():
            raise DropItem("empty body")
        for key in LIST_FIELDS:
            if not isinstance(adapter.get(key) or [], list):
                raise DropItem(f"{key} is not a list")
        return item
