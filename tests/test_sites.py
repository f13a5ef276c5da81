"""Site declarations: template periods checked when a site is declared."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from crawler.sites import SITES, Site, Template


def site_with(*templates: Template) -> Site:
    return Site(name="example", label="例", hosts=("www.example.cn",), start_urls=("http://www.example.cn/",),
                articles=(r"\d+\.html$",), listings=(r"/$",), templates=templates)


OLD = Template(name="old", body="#a", valid_until=date(2019, 12, 31))
NEW = Template(name="new", body="#b", valid_from=date(2020, 1, 1))


def test_successive_periods_and_undated_templates_are_accepted() -> None:
    site = site_with(NEW, OLD, Template(name="epaper", body="founder-content"))
    assert [t.name for t in site.templates] == ["new", "old", "epaper"]


@pytest.mark.parametrize(("templates", "complaint"), [
    ((OLD, replace(NEW, valid_from=date(2019, 6, 1))), "overlap"),
    ((replace(OLD, valid_until=None, valid_from=date(2015, 1, 1)), NEW), "overlap"),
    ((OLD, replace(NEW, valid_from=date(2020, 3, 1))), "gap"),
    ((replace(NEW, valid_until=date(2019, 1, 1)),), "ends before it begins"),
    ((OLD, replace(NEW, name="old")), "share a name"),
])
def test_overlaps_gaps_and_reversed_periods_are_refused(templates: tuple, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        site_with(*templates)


def test_the_declared_sites_pass_their_checks() -> None:
    assert len(SITES) == 5
    assert [t.name for t in SITES["ahcaijing"].templates] == ["article-2020", "table-2019"]
