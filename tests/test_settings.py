"""Polite defaults, each overridable from the command line."""

from __future__ import annotations

from conftest import run_scrapy
from scrapy.utils.project import get_project_settings


def test_polite_defaults() -> None:
    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert "archival crawler" in settings.get("USER_AGENT")
    assert settings.getbool("RETRY_ENABLED") and settings.getint("RETRY_TIMES") >= 2
    assert 0 < settings.getint("DOWNLOAD_MAXSIZE") <= 64 * 1024 * 1024
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 4
    assert settings.getfloat("DOWNLOAD_DELAY") > 0
    assert settings.get("OUTPUT_DIR") == "output"


def test_overridable_with_s() -> None:
    result = run_scrapy("settings", "--get", "CONCURRENT_REQUESTS_PER_DOMAIN", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=7")
    assert result.stdout.strip() == "7"
    result = run_scrapy("settings", "--getbool", "ROBOTSTXT_OBEY", "-s", "ROBOTSTXT_OBEY=0")
    assert result.stdout.strip() == "False"
