"""What a page worker process does for a spider: functions of a page's bytes, since a Response
does not pickle. The workers' fork server imports this module and `crawler.reading`, not the
spiders, Scrapy's engine or the archive, so that it starts in a fraction of a crawl process's
time (and the workers, forked from it, in milliseconds)."""

from __future__ import annotations

from collections.abc import Callable

from scrapy.http import TextResponse

from crawler.discover.feeds import is_feed_link
from crawler.reading import Reading
from crawler.spiders.links import SiteLinks


def page_of(response: TextResponse) -> tuple[bytes, str, str, type[TextResponse]]:
    """What a worker process needs to rebuild a page (a Response does not pickle)."""
    return response.body, response.url, response.encoding, type(response)


def links_in(body: bytes, url: str, encoding: str, kind: type[TextResponse], links: SiteLinks) -> list[str]:
    """The links of a page rebuilt from `page_of`: work for a worker process."""
    return links.extract_urls(kind(url, body=body, encoding=encoding))


def alternate_feeds(response: TextResponse) -> list[str]:
    """The feeds a page names in its head: `<link rel="alternate">` of a feed type."""
    found = []
    for link in response.xpath("//link[contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]"):
        href, type_ = link.attrib.get("href"), link.attrib.get("type")
        if href and is_feed_link(href, type_):
            found.append(response.urljoin(href))
    return found


def page_work(body: bytes, url: str, encoding: str, kind: type[TextResponse], links: SiteLinks,
              read: Callable[[], Reading] | None) -> tuple[Reading | None, list[str], list[str]]:
    """A page's reading (when `read` is given), its links and the feeds it names, from its
    bytes: one task for a worker process, the page sent to it once."""
    response = kind(url, body=body, encoding=encoding)
    urls, feeds = links.page_links(response)  # the feeds its `<a>` name on the site
    return (read() if read else None), urls, [*alternate_feeds(response), *feeds]
