"""What is specific to a site, declared: where to crawl and how its pages print an article.

A `Site` holds the crawl facts (hosts, start URLs, which links are listings and which are
articles) and its `Template`s. Sites change templates over the years an archive spans, so each
template carries the period it is valid for (as Fundus versions its publisher parsers); the
extractor picks by the date in the URL where there is one, else by which template's body
container the page has. No Scrapy here: `extract_article` reads these too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from urllib.parse import urlsplit

from crawler.urls import host_of, on_hosts


@dataclass(frozen=True)
class Pick:
    """A value on the page: the text of the first element matching `css`, and, if `pattern`
    is given, its first group in that text."""

    css: str
    pattern: str | None = None

    def find(self, text: str) -> str | None:
        if self.pattern is None:
            return text.strip() or None
        match = re.search(self.pattern, text)
        return match.group(1).strip() if match and match.group(1).strip() else None


@dataclass(frozen=True)
class Template:
    """How one period of a site's pages lays out an article (CSS selectors)."""

    name: str
    body: str  # the element that holds the article text; the template applies where it exists
    title: str | None = None
    subtitle: tuple[str, ...] = ()  # kicker and subtitle elements, in page order
    published: Pick | None = None
    source: Pick | None = None
    authors: Pick | None = None  # an element that is the byline (the body's bylines are read too)
    editors: Pick | None = None
    section: str | None = None  # the breadcrumb element
    drop: tuple[str, ...] = ()  # furniture inside the body element: notices, share bars, tools
    captions: str | None = None  # caption elements inside the body element
    caption_after_image: bool = False  # a short centred paragraph right after a photo is its caption
    cut_from: tuple[str, ...] = ()  # a body line matching one of these ends the article
    front_matter: bool = False  # a Hexo source: YAML front matter, then the HTML body
    valid_from: date | None = None
    valid_until: date | None = None

    def valid_on(self, day: date | None) -> bool:
        if day is None:
            return True
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_until is None or day <= self.valid_until)


def check_periods(site: str, templates: tuple[Template, ...]) -> None:
    """A site's dated templates are its successive layouts: each period must begin the day
    after the one before ends, with no overlap and no gap. Templates used side by side (an
    e-paper beside the site's own pages) carry no period and are chosen by their elements."""
    names = [t.name for t in templates]
    if len(set(names)) != len(names):
        raise ValueError(f"{site}: two templates share a name: {names}")
    dated = sorted((t for t in templates if t.valid_from or t.valid_until),
                   key=lambda t: t.valid_from or date.min)
    for template in dated:
        if template.valid_from and template.valid_until and template.valid_from > template.valid_until:
            raise ValueError(f"{site}: template {template.name} ends before it begins")
    for before, after in zip(dated, dated[1:], strict=False):
        if before.valid_until is None or (after.valid_from and after.valid_from <= before.valid_until):
            raise ValueError(f"{site}: templates {before.name} and {after.name} overlap")
        if after.valid_from is None or after.valid_from != before.valid_until + timedelta(days=1):
            raise ValueError(f"{site}: a gap between templates {before.name} and {after.name}")


@dataclass(frozen=True)
class Site:
    name: str  # the spider's name
    label: str  # the outlet, as readers know it
    hosts: tuple[str, ...]
    start_urls: tuple[str, ...]
    articles: tuple[str, ...]  # regexes on the URL (path and query) of article pages
    listings: tuple[str, ...]  # regexes on the URL of pages to follow for links
    templates: tuple[Template, ...]
    outlets: tuple[str, ...] = ()  # outlet names that appear inside bylines
    source: str | None = None  # the outlet, where a page names none
    url_date: str | None = None  # regex with groups y, m, d: the date an article URL carries
    aliases: dict[str, str] = field(default_factory=dict)  # other host → the host pages are filed under

    def __post_init__(self) -> None:
        check_periods(self.name, self.templates)

    def on_host(self, host: str) -> Site:
        """This site served from another host (a mirror whose host the capture did not name)."""
        starts = tuple(re.sub(r"^(https?://)[^/]+", rf"\g<1>{host}", u) for u in self.start_urls)
        return replace(self, hosts=(host,), start_urls=starts)

    @property
    def domains(self) -> tuple[str, ...]:
        """The hosts without their ports (a mirror given as `-a host=127.0.0.1:8000`), as
        Scrapy's `allowed_domains` takes them."""
        return tuple(dict.fromkeys(host_of(h) for h in self.hosts))

    def owns(self, url: str) -> bool:
        return on_hosts(url, self.hosts)

    def _target(self, url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def is_article(self, url: str) -> bool:
        target = self._target(url)
        return self.owns(url) and any(re.search(p, target) for p in self.articles)

    def is_listing(self, url: str) -> bool:
        target = self._target(url)
        return self.owns(url) and any(re.search(p, target) for p in self.listings)

    def date_in_url(self, url: str) -> date | None:
        if not self.url_date:
            return None
        match = re.search(self.url_date, url)
        if not match:
            return None
        try:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            return None
