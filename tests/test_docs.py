"""Every path the README, the docs and the code cite is a file or folder of the repository."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO

# Repository paths as the text names them: `crawler/...`, `tests/...`, `docs/...`, `tools/...`,
# `scripts/...`, `benchmarks/...`, or a top-level file.
CITED = re.compile(r"(?<![\w./-])((?:crawler|tests|docs|tools|scripts|benchmarks|\.ci)/[\w./-]*[\w/]|"
                   r"(?:README|pyproject|scrapy|setup)\.(?:md|toml|cfg|py))")
# Placeholders in cited paths (`crawler/sites/<site>.py`) and generated outputs are not files.
PLACEHOLDER = re.compile(r"<[^>]+>|\*")


def texts() -> list[Path]:
    found = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for folder in ("crawler", "tools", "scripts", "benchmarks", "tests"):
        found += [p for p in sorted((REPO / folder).rglob("*.py")) if "fixtures/sites" not in p.as_posix()]
    return found


def test_docs_exist() -> None:
    assert (REPO / "docs" / "architecture.md").is_file()


def test_every_cited_path_exists() -> None:
    missing = []
    for path in texts():
        text = path.read_text("utf-8")
        # Paths are cited in prose, comments and docstrings, and wrap at `<...>` placeholders.
        for cited in CITED.findall(text):
            if PLACEHOLDER.search(cited) or cited.endswith("/<"):
                continue
            cited = cited.rstrip(".")
            if not (REPO / cited).exists():
                missing.append(f"{path.relative_to(REPO)}: {cited}")
    assert not missing, "\n".join(missing)


def test_nothing_cites_documents_outside_the_repository() -> None:
    outside = [str(p.relative_to(REPO)) for p in texts() + [REPO / "pyproject.toml"]
               if p.name != "test_docs.py" and re.search(r"DESIGN\.md|\.\./shared/(?!datasets)", p.read_text("utf-8"))]
    assert not outside, outside
