"""Write articles as JSON lines, appended, one per line: a record that was its story's canonical
one when filed in `OUTPUT_DIR/articles/<spider>.jsonl`, the other copies in
`OUTPUT_DIR/duplicates/<spider>.jsonl`; when a filing re-points or merges clusters, the cluster
event log `OUTPUT_DIR/clusters.jsonl` says so. Nothing is rewritten: `scrapy stories` gives the
current canonical record of every story."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO, Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

from crawler.dedupe import cluster_events
from crawler.extensions import required
from crawler.extensions.state import CLUSTER_LOG, CrawlState, append_lines


class JsonlExportPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.output_dir = Path(crawler.settings.get("OUTPUT_DIR", "output"))
        self.store = required(crawler, CrawlState).store
        self.files: dict[tuple[str, str], IO[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlExportPipeline:
        return cls(crawler)

    def _file(self, kind: str, name: str) -> IO[str]:
        if (kind, name) not in self.files:
            folder = self.output_dir / kind
            folder.mkdir(parents=True, exist_ok=True)
            self.files[kind, name] = open(folder / f"{name}.jsonl", "a", encoding="utf-8")
        return self.files[kind, name]

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        copy = (adapter.get("dedupe") or {}).get("duplicate_of")
        out = self._file("duplicates" if copy else "articles", self.crawler.spider.name)
        out.write(json.dumps(adapter.asdict(), ensure_ascii=False) + "\n")
        out.flush()  # an item written is an item kept, whatever happens to the process next
        os.fsync(out.fileno())
        append_lines(self.output_dir / CLUSTER_LOG, cluster_events(adapter.asdict()))
        # Only now is the article archived for good: its URL is not fetched again.
        self.store.mark_exported(adapter["id"], adapter["canonical_url"], adapter["fetched_at"])
        return item

    def close_spider(self) -> None:
        for out in self.files.values():
            out.close()
        self.files.clear()
