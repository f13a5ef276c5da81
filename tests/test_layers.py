"""The code's shape: a pure core under a thin Scrapy shell, imports that point down, every module
importable on its own, no import hidden inside a function."""

from __future__ import annotations

import ast
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import REPO

PACKAGE = REPO / "crawler"
# Bottom to top; a package imports only from its own layer or those below it.
LAYERS = [
    {"text", "record", "urls", "durable"},
    {"sites"},
    {"extract", "normalize", "dedupe", "archive", "fixtures", "testing", "runs", "discover", "politeness"},
    {"reading", "state"},
    # The Scrapy shell.
    {"extensions"},
    {"downloader", "spidermiddlewares", "pipelines", "items", "settings", "reextract", "frontier"},
    {"spiders", "commands"},
]
CORE = set().union(*LAYERS[:4])


def modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(REPO).with_suffix("")
        if "fixtures/sites" in rel.as_posix():
            continue
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        found.append((".".join(parts), path))
    return found


def layer_of(package: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if package in names)


def imported(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def test_every_package_has_a_layer() -> None:
    packages = {name.split(".")[1] for name, _ in modules() if name.count(".")}
    assert packages == set().union(*LAYERS)


def test_imports_point_down_and_the_core_does_not_import_scrapy() -> None:
    wrong = []
    for name, path in modules():
        if name == "crawler":
            continue
        package = name.split(".")[1]
        for target in imported(ast.parse(path.read_text("utf-8"))):
            top = target.split(".")
            if top[0] == "crawler" and len(top) > 1 and layer_of(top[1]) > layer_of(package):
                wrong.append(f"{name} imports {target} (a layer above)")
            if package in CORE and top[0] in ("scrapy", "twisted", "itemadapter"):
                wrong.append(f"{name} imports {target} (the core is pure)")
    assert not wrong, "\n".join(wrong)


def test_no_import_inside_a_function() -> None:
    hidden = []
    for name, path in modules():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                hidden += [f"{name}.{node.name}" for sub in ast.walk(node)
                           if isinstance(sub, (ast.Import, ast.ImportFrom))]
    assert not hidden, hidden


def test_every_module_imports_on_its_own() -> None:
    """Each module in a fresh interpreter, first: no cycle that only an import order hides."""
    def run(name: str) -> tuple[str, subprocess.CompletedProcess]:
        return name, subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True,
                                    text=True, cwd=REPO, timeout=120)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(run, [name for name, _ in modules()]))
    failed = {name: r.stderr.strip().splitlines()[-1] for name, r in results if r.returncode}
    assert not failed, failed


def test_the_core_runs_without_scrapy_loaded() -> None:
    code = ("import sys, crawler.extract, crawler.normalize, crawler.dedupe, crawler.archive, crawler.state, "
            "crawler.runs, crawler.fixtures, crawler.sites, crawler.text, crawler.record\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
