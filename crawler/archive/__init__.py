"""Web archive output: WARC files of every fetch as served, their CDXJ index, recovery.

Pure: no Scrapy. The downloader middleware and item pipeline that feed it live in
crawler.downloader.warc and crawler.pipelines.archive.
"""

from crawler.archive.exchange import Exchange
from crawler.archive.index import (
    index_missing,
    index_warc,
    merge_indexes,
    merged_is_stale,
    write_index,
)
from crawler.archive.recover import recover_folder
from crawler.archive.writer import Capture, Locator, Original, WarcFiles, article_uri, capture_of

__all__ = ["Capture", "Exchange", "Locator", "Original", "WarcFiles", "article_uri", "capture_of",
           "index_missing", "index_warc", "merge_indexes", "merged_is_stale", "recover_folder", "write_index"]
