"""Write articles as JSON lines: `OUTPUT_DIR/articles/<spider>.jsonl`, appended, one per line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler


class JsonlExportPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.output_dir = Path(crawler.settings.get("OUTPUT_DIR", "output"))
        self.files: dict[str, IO[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlExportPipeline:
        return cls(crawler)

    def _file(self, name: str) -> IO[str]:
        if name not in self.files:
            folder = self.output_dir / "articles"
            folder.mkdir(parents=True, exist_ok=True)
            self.files[name] = open(folder / f"{name}.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        return self.files[name]

    def process_item(self, item):  # noqa: ANN001, ANN201 - Scrapy's signature
        out = self._file(self.crawler.spider.name)
        out.write(json.dumps(ItemAdapter(item).asdict(), ensure_ascii=False) + "\n")
        out.flush()  # an item written is an item kept, whatever happens to the process next
        os.fsync(out.fileno())
        return item

    def close_spider(self) -> None:
        for out in self.files.values():
            out.close()
        self.files.clear()
