"""A module whose import waits until the file named by POOL_GATE exists: a fork server that
preloads it is held in its start for as long as a test needs (tests/test_pool.py)."""

import os
import time
from pathlib import Path

_gate = Path(os.environ["POOL_GATE"])
_deadline = time.monotonic() + 120
while not _gate.exists() and time.monotonic() < _deadline:
    time.sleep(0.01)
