"""The project's HTTP(S) download handler: Scrapy's HTTP/1.1 handler, plus two things only the
downloader's edge can do.

- Host map: with FIXTURE_SERVER set, requests for the fixture sites' real hostnames go to the
  local fixture server, with the real `Host`, and come back under the real URL. A downloader
  middleware cannot change a request's URL without sending it back through the scheduler;
  here every middleware (robots.txt, retries, redirects, compression), the spider and the
  archive see the real URL.
- Recording: with WARC_ENABLED, each exchange's bytes as they crossed the wire (see
  recording.py) go to `request.meta["exchange"]` for the WARC capture middleware; a download
  that fails after the response's head arrived leaves its exchange there too, marked truncated.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler, _ScrapyAgent
from scrapy.crawler import Crawler
from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, ResponseDataLossError
from scrapy.http import Request, Response
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future

from crawler.archive import Exchange
from crawler.downloader.recording import RecordingFactory, RecordingProtocol
from crawler.fixtures import fixture_hosts

# WARC-Truncated's reason for a download that failed after the head arrived.
_CUT = ((DownloadTimeoutError, "time"), (DownloadCancelledError, "length"))


class _RecordingAgent(_ScrapyAgent):
    exchange: Exchange | None = None
    head: Any = None  # the Twisted response, once its head arrived

    def _cb_bodyready(self, txresponse: Any, request: Request) -> Any:  # Scrapy's internals
        self.head = txresponse
        return super()._cb_bodyready(txresponse, request)

    def cut_exchange(self, error: Exception) -> Exchange | None:
        """The exchange of a download that failed after its head arrived, as far as it went."""
        protocol = getattr(self.head, "_recording_protocol", None)
        if not isinstance(protocol, RecordingProtocol):
            return None
        reason = next((why for kind, why in _CUT if isinstance(error, kind)), "disconnect")
        return replace(protocol.exchange(), truncated=reason)

    def _cb_bodydone(self, result: dict, url: str) -> Any:  # Scrapy's internals
        response = super()._cb_bodydone(result, url)
        protocol = getattr(result.get("txresponse"), "_recording_protocol", None)
        if isinstance(protocol, RecordingProtocol):
            self.exchange = protocol.exchange()
        return response


class CrawlerDownloadHandler(HTTP11DownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.fixture_server = settings.get("FIXTURE_SERVER", "").strip()
        self.fixture_hosts = set(fixture_hosts()) | set(settings.getlist("FIXTURE_HOSTS"))
        self.recording = settings.getbool("WARC_ENABLED")
        if self.recording:
            self._pool._factory = RecordingFactory

    def mapped(self, request: Request) -> Request | None:
        """The request to send instead, to the fixture server; None to send it as it is."""
        parts = urlsplit(request.url)
        if not self.fixture_server or (parts.hostname or "").lower() not in self.fixture_hosts:
            return None
        local = request.replace(url=urlunsplit(("http", self.fixture_server, parts.path or "/",
                                                parts.query, "")))
        local.headers["Host"] = parts.netloc
        return local

    async def download_request(self, request: Request) -> Response:
        local = self.mapped(request)
        # As HTTP11DownloadHandler.download_request, with an agent that keeps the exchange.
        agent = _RecordingAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=self._default_maxsize,
            warnsize=self._default_warnsize,
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                response = await maybe_deferred_to_future(agent.download_request(local or request))
        except Exception as error:
            # What arrived is archived all the same (by the capture middleware's process_exception).
            exchange = agent.cut_exchange(error)
            if exchange is not None:
                request.meta["exchange"] = exchange
            if isinstance(error, ResponseDataLossError) and not self._fail_on_dataloss_warned:
                self._fail_on_dataloss_warned = True
                logging.getLogger(__name__).warning(get_dataloss_msg(request.url))
            raise
        if agent.exchange is not None:
            request.meta["exchange"] = agent.exchange
        if local is not None:
            response = response.replace(url=request.url, request=request)
        return response
