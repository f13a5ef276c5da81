"""What a page worker process does for a spider: functions of a page's bytes, since a Response
does not pickle. The workers' fork server imports this module and `crawler.reading`, not the
spiders, Scrapy's engine or the archive, so that it starts in a fraction of a crawl process's
time (and the workers, forked from it, in milliseconds)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urljoin

from scrapy.http import TextResponse

from crawler.discover.feeds import is_feed_link
from crawler.extract.html import Outlinks, outlinks_of
from crawler.reading import Reading
from crawler.spiders.links import SiteLinks, base_of


def page_of(response: TextResponse) -> tuple[bytes, str, str, type[TextResponse]]:
    """What a worker process needs to rebuild a page (a Response does not pickle)."""
    return response.body, response.url, response.encoding, type(response)


def links_in(body: bytes, url: str, encoding: str, kind: type[TextResponse], links: SiteLinks) -> list[str]:
    """The links of a page rebuilt from `page_of`: work for a worker process."""
    return links.extract_urls(kind(url, body=body, encoding=encoding))


def alternate_feeds(outlinks: Outlinks, url: str, encoding: str) -> list[str]:
    """The feeds a page names in its head: `<link rel="alternate">` of a feed type."""
    base = base_of(outlinks, url, encoding)
    return [urljoin(base, href) for href, type_ in outlinks.alternates if is_feed_link(href, type_)]


def page_work(body: bytes, url: str, encoding: str, kind: type[TextResponse], links: SiteLinks,
              read: Callable[[], Reading] | None) -> tuple[Reading | None, list[str], list[str]]:
    """A page's reading (when `read` is given), its links and the feeds it names, from its
    bytes: one task for a worker process, the page sent to it once, and parsed once (the links
    are those of extraction's parse, where the page was read)."""
    reading = read() if read else None
    outlinks = reading.extraction.outlinks if reading is not None else None
    if outlinks is None:  # not read, or with no text
        response = kind(url, body=body, encoding=encoding)
        outlinks = outlinks_of(response.selector.root, response.text)
    else:
        reading.extraction.outlinks = None  # what was followed goes back, not the page's every href
        # Its hrefs are in the text extraction decoded: their queries are written back in its
        # encoding (which gives the page's bytes back where Scrapy's guess, decoding, differs).
        encoding = reading.extraction.decoded.encoding
    urls, feeds = links.links_of(outlinks, url, encoding)  # the feeds its `<a>` name on the site
    return reading, urls, [*alternate_feeds(outlinks, url, encoding), *feeds]
