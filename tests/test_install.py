"""The project installs with the oldest pip we support (Debian 12's), into a fresh virtualenv,
from its declared dependencies alone, and extracts an article there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

OLDEST_PIP = "23.0.1"  # Debian 12 (bookworm) ships it

CHECK = """
from crawler.extract import extract_article
from crawler.fixtures import fixture_articles
article = next(a for a in fixture_articles() if a.host == "www.huainannet.com")
fields = extract_article(article.page(), article.url)
assert len(fields["body"]) > 100, fields
import crawler, sys
print(crawler.__file__)
"""


@pytest.mark.slow
def test_oldest_pip_installs_a_working_crawler(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([python, *args], capture_output=True, text=True, cwd=tmp_path, timeout=900)

    assert run("-m", "pip", "install", "-q", f"pip=={OLDEST_PIP}").returncode == 0
    assert run("-m", "pip", "--version").stdout.startswith(f"pip {OLDEST_PIP}")
    installed = run("-m", "pip", "install", "-q", str(REPO))  # as a user would: not editable
    assert installed.returncode == 0, installed.stderr[-3000:]
    checked = run("-c", CHECK)
    assert checked.returncode == 0, checked.stderr[-3000:]
    assert str(venv) in checked.stdout  # the installed package, not the checkout
