"""The cost of an exact recomputation per example, against float64's bounds check.

    python bench/exact.py [--runs 7]

For each network, one example's printed numbers are worked out twice (nncalc.render.digits):
from float64's values and their error bounds (what nearly every table does: the bounds say
every digit is certain), and by the exact recomputation with certified balls (nncalc.exact,
what an example whose digits are uncertain costs, growing precision included). Prints
the median time of each per example and the ratio; the first import of python-flint (once
per run of nncalc) is timed apart.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nncalc  # noqa: E402
from nncalc.render import digits  # noqa: E402


def networks() -> dict[str, tuple[nncalc.Network, np.ndarray]]:
    rng = np.random.default_rng(0)
    lecture = nncalc.load(ROOT / "samples" / "lecture-3-3-1.yaml")
    vehicles = nncalc.load(ROOT / "samples" / "vehicles.yaml")
    mnist = nncalc.Network.from_thetas(
        rng.normal(size=(30, 785)) * 0.05, rng.normal(size=(10, 31)), activation="sigmoid"
    )
    cancel = nncalc.Network.from_thetas(
        [[-0.3, 0.1, 0.2]], [[-100.0, 2.0**60]], activation="identity"
    )
    saturated = nncalc.Network.from_thetas([[0.0, 1.0]], [[0.0, 1.0]], activation="sigmoid")
    return {
        "lecture 3-3-1 (σ)": (lecture, lecture.inputs[:1]),
        "vehicles 3-4-4 (ReLU, softmax)": (vehicles, vehicles.inputs[:1]),
        "784-30-10 (σ)": (mnist, rng.uniform(0, 1, size=(1, 784))),
        "cancelling 2-1-1 (identity)": (cancel, np.ones((4000, 2))),
        "σ(800), σ(σ(800))": (saturated, np.array([[800.0]])),
    }


def timed(f, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    flint = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import flint"],
        capture_output=True,
        text=True,
        check=True,
    ).stderr.splitlines()[-1]
    print(f"import flint (once per run that needs it): {int(flint.split('|')[1]) / 1000:.1f} ms")
    print(f"{runs} runs each, medians, one example at 6 digits")
    print(f"{'network':<32} {'bounds':>10} {'exact':>10} {'ratio':>7}  float64's bounds enough?")
    for name, (net, X) in networks().items():
        trace = net.forward(X)
        trace.bounds()  # the trace computes them once, for every example
        fast = timed(lambda trace=trace: digits._from_floats(trace, 0, 6), runs)
        enough = digits._from_floats(trace, 0, 6) is not None
        slow = timed(lambda trace=trace: digits._from_balls(trace, 0, 6), runs)
        print(
            f"{name:<32} {fast * 1000:8.2f}ms {slow * 1000:8.2f}ms {slow / fast:7.1f}  "
            f"{'yes' if enough else 'no'}"
        )


if __name__ == "__main__":
    main()
