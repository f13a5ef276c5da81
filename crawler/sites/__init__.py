"""The sites the crawler knows, by name and by URL."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from crawler.sites.ahcaijing import AHCAIJING
from crawler.sites.base import Pick, Site, Template
from crawler.sites.chuzhou import CHUZHOU
from crawler.sites.danfeng import DANFENG
from crawler.sites.huainan import HUAINAN
from crawler.sites.qutoutiao import QUTOUTIAO
from crawler.urls import HostAliases

SITES: dict[str, Site] = {s.name: s for s in (QUTOUTIAO, HUAINAN, AHCAIJING, DANFENG, CHUZHOU)}


@cache  # the sites are declared once, at import
@cache  # the sites are declared once, at import
def host_aliases() -> Mapping[str, str]:
    """Every known site's host aliases, for canonical URLs (read-only)."""
    return HostAliases({alias: host for site in SITES.values() for alias, host in site.aliases.items()})


def site_for_url(url: str) -> Site | None:
    """The known site an URL belongs to, or None."""
    return next((s for s in SITES.values() if s.owns(url)), None)


__all__ = ["SITES", "Pick", "Site", "Template", "host_aliases", "site_for_url"]
