"""Bring an article's text to canonical form; what extraction gave stays in `original`, what
changed is recorded in `normalization`, beside the lines extraction cut (`lines_cut`, by reason).
What the spider prepared where it read the page (crawler.reading) is used while the item still
holds what it was prepared from; otherwise the item is normalized here."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from crawler.items import prepared_of
from crawler.reading import normalize_article


class NormalizePipeline:
    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        prepared = prepared_of(item)
        if prepared is not None and prepared.made_from(adapter):
            for key, value in prepared.normalized.items():
                adapter[key] = value
            return item
        record = normalize_article(adapter.asdict(), (adapter.get("normalization") or {}).get("lines_cut"))
        for key, value in record.items():
            if key in adapter.field_names() or key in adapter:
                adapter[key] = value
        return item
