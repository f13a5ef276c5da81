"""Send requests for the fixture sites' real hostnames to a local fixture server.

A download handler, not a downloader middleware: a middleware cannot change a request's URL
without sending it back through the scheduler, while here every middleware (robots.txt,
retries, redirects, compression) and the spider keep seeing the real URL, the server gets the
real `Host`, and the response comes back under the real URL. With `FIXTURE_SERVER` empty it is
Scrapy's own HTTP/1.1 handler.
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler
from scrapy.http import Request, Response

from crawler.fixtures import fixture_hosts


class HostMapDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.target = crawler.settings.get("FIXTURE_SERVER", "").strip()
        self.hosts = set(fixture_hosts()) | set(crawler.settings.getlist("FIXTURE_HOSTS"))

    def mapped(self, request: Request) -> Request | None:
        parts = urlsplit(request.url)
        if not self.target or (parts.hostname or "").lower() not in self.hosts:
            return None
        local = urlunsplit(("http", self.target, parts.path or "/", parts.query, ""))
        mapped = request.replace(url=local)
        mapped.headers["Host"] = parts.netloc
        return mapped

    async def download_request(self, request: Request) -> Response:
        local = self.mapped(request)
        if local is None:
            return await super().download_request(request)
        response = await super().download_request(local)
        return response.replace(url=request.url, request=request)
