"""Bring an article's text to canonical form; what extraction gave stays in `original`, what
changed is recorded in `normalization`."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from crawler.normalize import normalize_record


class NormalizePipeline:
    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        record = normalize_record(adapter.asdict())
        extracted = adapter.get("original")
        for key, value in record.items():
            if key in adapter.field_names() or key in adapter:
                adapter[key] = value
        if extracted:  # keep what extraction set aside as the original (before any change)
            adapter["original"] = extracted
        return item
