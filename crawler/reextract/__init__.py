"""Re-extraction from the archive: the spiders' article parsing run again over the responses
the WARC files hold, with no network, into a new output (`scrapy reextract`).

- `ArchiveSource` (extension): the archive read (REEXTRACT_FROM), which captures are articles;
- `ArchivedStarts` (spider middleware): the spider starts from those captures, not its start
  URLs, and its items carry the time of the capture;
- `ArchiveDownloadHandler` (download handler): answers every request from the archive; a URL
  the archive does not hold is not fetched, it is counted (`reextract/not_archived`).
"""
