"""The project deployed to a real scrapyd: scrapyd-deploy builds and uploads the egg, schedule.json
runs a spider from it against the fixture server, and its articles land in OUTPUT_DIR.

scrapyd runs on a free localhost port with its own config and directories in a temporary folder.
The deploy runs on a copy of the project's build inputs (scrapy.cfg plus a test target, setup.py,
pyproject.toml, crawler/), so the checkout gets no build/ folder and its scrapy.cfg is left alone.

This virtualenv also has the checkout installed (editable), which a real scrapyd host does not. So
that a job cannot pass by running the checkout's code instead of the egg's, scrapyd is configured
with a runner that does what `scrapyd.runner` does, puts the activated egg first on sys.path and
refuses to run unless `crawler` was imported from the egg.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, SITES_DIR, read_jsonl, site_config

pytestmark = pytest.mark.slow

PROJECT = "crawler"
SPIDER = "chuzhou"
HOST = "szbk.chuzhou.cn"
ARTICLES = [
    "http://szbk.chuzhou.cn/czrb/pc/content/202002/26/content_24960.html",
    "http://szbk.chuzhou.cn/czrb/pc/content/202002/26/content_24961.html",
    "http://szbk.chuzhou.cn/czrb/pc/content/202002/26/content_24971.html",
    "http://szbk.chuzhou.cn/czrb/pc/content/202002/25/content_24901.html",
]
JOB_TIMEOUT = 120  # seconds

RUNNER = '''\
"""scrapyd.runner, checking that the job runs the project from the deployed egg."""
import os
import sys

from scrapyd.runner import project_environment

with project_environment(os.environ["SCRAPY_PROJECT"]):  # activates the egg, sets the settings module
    eggs = [p for p in sys.path if p.endswith(".egg")]
    sys.path[:] = eggs + [p for p in sys.path if p not in eggs]
    import crawler

    if ".egg" not in (crawler.__file__ or ""):
        sys.exit(f"crawler was imported from {crawler.__file__}, not from the deployed egg")
    from scrapy.cmdline import execute

    execute()
'''

# Environment variables that would point scrapyd or Scrapy elsewhere than the deployed egg, or
# send the deploy's and the job's localhost traffic through a proxy.
SCRUBBED = {"SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT", "SCRAPYD_EGG_VERSION", "XDG_CONFIG_HOME",
            "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"}
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in SCRUBBED}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


@dataclass
class Scrapyd:
    url: str
    root: Path
    proc: subprocess.Popen
    log: Path

    def get(self, endpoint: str, **params: str) -> dict:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with DIRECT.open(f"{self.url}{endpoint}{query}", timeout=10) as resp:
            return json.load(resp)

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict:
        data = urllib.parse.urlencode(fields).encode()
        with DIRECT.open(f"{self.url}{endpoint}", data=data, timeout=30) as resp:
            return json.load(resp)

    def output(self) -> str:
        return self.log.read_text("utf-8", "replace") if self.log.exists() else ""

    def job_log(self, job: str) -> str:
        path = self.root / "logs" / PROJECT / SPIDER / f"{job}.log"
        return path.read_text("utf-8", "replace") if path.exists() else f"(no job log at {path})"


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scrapyd]:
    root = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (root / "home").mkdir()
    (root / "egg_runner.py").write_text(RUNNER, "utf-8")
    # Read from the working directory; HOME is moved so that no ~/.scrapyd.conf overrides it.
    (root / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {root / 'eggs'}\n"
        f"logs_dir = {root / 'logs'}\n"
        f"dbs_dir = {root / 'dbs'}\n"
        "items_dir =\n"
        "jobs_dir =\n"
        "poll_interval = 0.5\n"
        "max_proc = 2\n"
        "runner = egg_runner\n", "utf-8")
    log = root / "scrapyd.out"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=root, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env=clean_env(HOME=str(root / "home")))
    server = Scrapyd(f"http://127.0.0.1:{port}/", root, proc, log)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"scrapyd exited with {proc.returncode}:\n{server.output()}")
            try:
                if server.get("daemonstatus.json").get("status") == "ok":
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"scrapyd did not answer daemonstatus.json in 30 s:\n{server.output()}")
            time.sleep(0.2)
        yield server
    finally:
        # Its own process group: the job processes it spawned go too.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


@pytest.fixture(scope="module")
def deployed(scrapyd: Scrapyd, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Deploy with scrapyd-deploy, as a user would; the egg scrapyd stored."""
    work = tmp_path_factory.mktemp("deploy")
    project = work / "project"
    project.mkdir()
    for name in ("setup.py", "pyproject.toml", "README.md"):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, project / name)
    shutil.copytree(REPO / "crawler", project / "crawler",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    # The repository's scrapy.cfg ([deploy] names the project) plus a target for this scrapyd.
    cfg = (REPO / "scrapy.cfg").read_text("utf-8")
    (project / "scrapy.cfg").write_text(f"{cfg}\n[deploy:test]\nurl = {scrapyd.url}\n", "utf-8")
    (work / "tmp").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "scrapyd_client.deploy", "test", "--version", "1", "--debug"],
        cwd=project, env=clean_env(TMPDIR=str(work / "tmp")),
        capture_output=True, text=True, timeout=180)
    report = f"scrapyd-deploy exited {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    assert result.returncode == 0, report
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["status"] == "ok", report
    assert answer["project"] == PROJECT
    assert answer.get("spiders", 0) > 0, report  # scrapyd ran `scrapy list` on the egg
    egg = scrapyd.root / "eggs" / PROJECT / "1.egg"
    assert egg.is_file(), f"no egg at {egg}\n{report}\n{scrapyd.output()}"
    return egg


def test_deployed_egg_holds_the_settings_entry_point_and_the_fixture_sites(
        scrapyd: Scrapyd, deployed: Path) -> None:
    with zipfile.ZipFile(deployed) as egg:
        names = set(egg.namelist())
        entry_points = egg.read("EGG-INFO/entry_points.txt").decode()
    assert "[scrapy]" in entry_points and "settings = crawler.settings" in entry_points
    assert "crawler/settings.py" in names and "crawler/fixtures/server.py" in names
    wanted = {f"crawler/fixtures/sites/{p.relative_to(SITES_DIR).as_posix()}"
              for p in SITES_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert len(wanted) > 50
    assert not wanted - names, f"fixture files missing from the egg: {sorted(wanted - names)[:10]}"
    assert any(not n.isascii() for n in wanted), "expected fixture files with Chinese names"
    spiders = scrapyd.get("listspiders.json", project=PROJECT)
    assert spiders["status"] == "ok", spiders
    assert {SPIDER, "generic"} <= set(spiders["spiders"])


def test_scheduled_spider_crawls_the_fixture_site(scrapyd: Scrapyd, deployed: Path, server,
                                                  tmp_path: Path) -> None:
    out = tmp_path / "out"
    answer = scrapyd.post("schedule.json", [
        ("project", PROJECT), ("spider", SPIDER),
        ("setting", f"FIXTURE_SERVER={server.address}"),
        ("setting", f"OUTPUT_DIR={out}"),
        ("setting", "DOWNLOAD_DELAY=0"),
        ("setting", "AUTOTHROTTLE_ENABLED=0"),
    ])
    assert answer["status"] == "ok", answer
    job = answer["jobid"]

    deadline = time.monotonic() + JOB_TIMEOUT
    while True:
        jobs = scrapyd.get("listjobs.json", project=PROJECT)
        if any(j["id"] == job for j in jobs["finished"]):
            break
        if time.monotonic() > deadline:
            pytest.fail(f"job {job} not finished after {JOB_TIMEOUT} s: {jobs}\n"
                        f"--- job log ---\n{scrapyd.job_log(job)}\n"
                        f"--- scrapyd ---\n{scrapyd.output()[-5000:]}")
        time.sleep(0.5)

    log = scrapyd.job_log(job)
    context = f"--- job log ---\n{log[-8000:]}\n--- scrapyd ---\n{scrapyd.output()[-3000:]}"
    assert "Traceback" not in log, context
    assert "Spider closed (finished)" in log, context
    stories = read_jsonl(out / "articles" / f"{SPIDER}.jsonl")
    assert sorted(s["url"] for s in stories) == sorted(ARTICLES), context
    assert sorted(ARTICLES) == sorted(site_config(HOST)["articles"])
    for story in stories:
        assert story["title"].strip(), story["url"]
    assert any(r.host == HOST for r in server.served()), "the fixture server saw no request"
