"""What the benchmarks share: timing one run of a command."""

from __future__ import annotations

import resource
import subprocess
import sys
import time

NNCALC = [sys.executable, "-m", "nncalc"]


def wall(cmd: list[str], ok: tuple[int, ...] = (0,)) -> float:
    """Seconds of wall time for one run of cmd (which must exit with a code in ``ok``)."""
    return times(cmd, ok)[0]


def times(cmd: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Seconds of wall time and of CPU time (user + system) for one run of cmd. CPU time
    is what the run itself cost: other programs on a loaded machine add less to it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in ok:
        raise subprocess.CalledProcessError(done.returncode, cmd)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu
