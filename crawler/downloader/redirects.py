"""Redirect loops, caught before Scrapy's redirect middleware follows one: a redirect back to
a URL of its own chain would only be dropped, uncounted, by the duplicate filter. The page is
given up on with `RedirectLoop`, which the spiders count (errors/redirect_loop)."""

from __future__ import annotations

from urllib.parse import urljoin

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response


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
