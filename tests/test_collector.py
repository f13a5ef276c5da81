"""The garbage collector's tuning while a crawl's engine runs (crawler.extensions.collector)."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from crawler.extensions.collector import GarbageCollector


@pytest.fixture(autouse=True)
def python_defaults() -> None:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)
    gc.unfreeze()


def collector(**settings: object) -> GarbageCollector:
    return GarbageCollector.from_crawler(get_crawler(settings_dict={"GC_THRESHOLD": [10000, 10, 10],
                                                                    "GC_FREEZE": True, **settings}))


def test_the_thresholds_hold_while_the_engine_runs_and_the_startup_heap_is_frozen() -> None:
    gc.set_threshold(700, 10, 10)
    ext = collector()
    ext.engine_started()
    assert gc.get_threshold() == (10000, 10, 10)
    assert gc.get_freeze_count() > 1000  # this process's modules, at least
    ext.engine_stopped()
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0


def test_several_engines_in_one_process_keep_it_until_the_last_stops() -> None:
    gc.set_threshold(700, 10, 10)
    first, second = collector(), collector(GC_FREEZE=False)
    first.engine_started()
    second.engine_started()
    first.engine_stopped()
    assert gc.get_threshold() == (10000, 10, 10)  # the second still runs
    second.engine_stopped()
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0


def test_no_threshold_leaves_pythons_own_and_a_wrong_one_is_refused() -> None:
    with pytest.raises(NotConfigured):
        collector(GC_THRESHOLD="")
    with pytest.raises(ValueError, match="one to three integers"):
        collector(GC_THRESHOLD="many")
    with pytest.raises(ValueError, match="each at least 1"):
        collector(GC_THRESHOLD=[0])


def test_the_process_exits_without_a_last_collection_of_all_it_holds() -> None:
    # A handler registered before the extension runs after the extension's own (last in, first out).
    code = ("import atexit, gc\n"
            "atexit.register(lambda: print('frozen at exit', gc.get_freeze_count()))\n"
            "from scrapy.utils.test import get_crawler\n"
            "from crawler.extensions.collector import GarbageCollector\n"
            "ext = GarbageCollector.from_crawler(get_crawler(settings_dict={'GC_THRESHOLD': [10000]}))\n"
            "ext.engine_started(); ext.engine_stopped()\n"
            "print('after the engine', gc.get_freeze_count())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=Path(__file__).resolve().parents[1], check=True).stdout.split("\n")
    assert out[0] == "after the engine 0"  # handed back while the process goes on
    assert out[1].startswith("frozen at exit ") and int(out[1].split()[-1]) > 1000
