"""Shared fixtures: the fixture server, scrapy commands in subprocesses, one demo crawl."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from servers import PostgresServer, RedisServer

from crawler.fixtures import FixtureServer

REPO = Path(__file__).resolve().parents[1]
SITES_DIR = REPO / "crawler" / "fixtures" / "sites"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--datasets", default=os.environ.get("ZH_DATASETS", str(REPO.parent / "shared" / "datasets")),
                     help="folder holding the extraction data sets (default ../shared/datasets)")


def run_scrapy(*args: str, timeout: float = 180, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """A scrapy command of this project, in a fresh process (Twisted's reactor runs once)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def site_config(host: str) -> dict:
    return json.loads((SITES_DIR / host / "_site.json").read_text("utf-8"))


@dataclass
class CrawlOutput:
    out: Path
    result: subprocess.CompletedProcess

    def items(self, spider: str) -> list[dict]:
        """Every article record the spider exported: canonical when filed, and copies."""
        return self.stories(spider) + self.copies(spider)

    def stories(self, spider: str) -> list[dict]:
        """The spider's records that were their story's canonical record when filed."""
        return read_jsonl(self.out / "articles" / f"{spider}.jsonl")

    def current(self) -> list[dict]:
        """The current stories view (`scrapy stories`, written by the demo too)."""
        return read_jsonl(self.out / "stories.jsonl")

    def copies(self, spider: str) -> list[dict]:
        return read_jsonl(self.out / "duplicates" / f"{spider}.jsonl")

    def stats(self, spider: str) -> dict:
        path = self.out / "stats" / f"{spider}.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else {}


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> CrawlOutput:
    """One `scrapy demo` run, as the README has users run it."""
    out = tmp_path_factory.mktemp("demo")
    result = run_scrapy("demo", "-s", f"OUTPUT_DIR={out}", timeout=300)
    return CrawlOutput(out, result)


@pytest.fixture
def server() -> FixtureServer:
    with FixtureServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def redis_server():
    """A private redis-server on 127.0.0.1 for the session (tests/servers.py)."""
    with RedisServer() as srv:
        yield srv


@pytest.fixture(scope="session")
def postgres_server():
    """A private PostgreSQL cluster on 127.0.0.1 for the session; `.database()` makes a fresh database."""
    with PostgresServer() as srv:
        yield srv


@pytest.fixture
def redis_url(redis_server) -> str:
    """The private Redis, emptied for this test."""
    client = redis.Redis.from_url(redis_server.url)
    client.flushall()
    client.close()
    return redis_server.url


@pytest.fixture
def postgres_url(postgres_server) -> str:
    """A fresh database in the private PostgreSQL."""
    return postgres_server.database()
