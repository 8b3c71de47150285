"""What the benchmarks share: timing one run of a command."""

from __future__ import annotations

import subprocess
import sys
import time

NNCALC = [sys.executable, "-m", "nncalc"]


def wall(cmd: list[str]) -> float:
    """Seconds of wall time for one run of cmd (which must succeed)."""
    start = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start
