"""Redirect loops, caught before Scrapy's redirect middleware follows one: a redirect back to
a URL of its own chain would only be dropped, uncounted, by the duplicate filter. The page is
given up on with `RedirectLoop`, which the spiders count (errors/redirect_loop).

And Scrapy's meta refresh redirects, without decoding every page whole to look for one."""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

# Scrapy looks for a refresh in a page's first 4,096 characters: at most 4 bytes each.
_REFRESH_BYTES = 4 * 4096


class RedirectLoop(IgnoreRequest):
    """A redirect to a URL the request's redirect chain already went through."""


class RedirectLoopMiddleware:
    def process_response(self, request: Request, response: Response) -> Response:
        location = response.headers.get("Location")
        if not (300 <= response.status < 400 and location):
            return response
        target = urljoin(request.url, location.decode("latin-1"))
        chain = [*request.meta.get("redirect_urls", []), request.url]
        if target in chain:
            raise RedirectLoop(f"redirect loop: {' -> '.join([*chain, target])}")
        return response


class QuickMetaRefreshMiddleware(MetaRefreshMiddleware):
    """Scrapy's MetaRefreshMiddleware, but a page whose first 16 KB do not hold "refresh" (in
    any case) is passed on at once: Scrapy decodes the whole page, on the event loop, to read
    its first 4,096 characters. A page with NUL bytes there (UTF-16, UTF-32) is left to Scrapy,
    as is any page that names a refresh."""

    def process_response(self, request: Request, response: Response) -> Request | Response:
        head = response.body[:_REFRESH_BYTES]
        if b"\0" not in head and b"refresh" not in head.lower():
            return response
        return super().process_response(request, response)
