"""Start-up time of nncalc against its floor: a bare Typer app doing the same work.

    python bench/startup.py [--runs 30]

Runs each command and its floor (bench/floors/: a bare Typer app with the command's
options that prints the same output, on the same Python and Typer) alternately, so that
machine noise hits both alike, and prints the median wall and CPU times of each and their
ratios nncalc / floor. nncalc's modules are byte-compiled first, as `pip install` does for a
regular install and as its dependencies are (an editable install under
PYTHONDONTWRITEBYTECODE=1 would otherwise compile them on every run).
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import sys
from importlib.metadata import version
from pathlib import Path

from timing import NNCALC, times, wall

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PAIRS = {
    "params 3 5 10 --theta 2": (
        [*NNCALC, "params", "3", "5", "10", "--theta", "2"],
        [sys.executable, str(HERE / "floors" / "params_floor.py"), "3", "5", "10", "--theta", "2"],
    ),
    "params 3 5 10": (
        [*NNCALC, "params", "3", "5", "10"],
        [sys.executable, str(HERE / "floors" / "params_floor.py"), "3", "5", "10"],
    ),
    "forward samples/slide-neuron.yaml": (
        [*NNCALC, "forward", str(ROOT / "samples" / "slide-neuron.yaml")],
        [
            sys.executable,
            str(HERE / "floors" / "forward_floor.py"),
            str(ROOT / "samples" / "slide-neuron.yaml"),
        ],
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    compileall.compile_dir(ROOT / "nncalc", quiet=1)
    print(f"Python {sys.version.split()[0]}, Typer {version('typer')} (nncalc and floors alike)")
    print(f"{runs} runs of each, medians; ratio = nncalc / floor")
    print(
        f"{'command':<36} {'nncalc':>9} {'floor':>9} {'ratio':>6}   {'CPU time':>19} {'ratio':>6}"
    )
    for name, (ours, floor) in PAIRS.items():
        wall(ours), wall(floor)  # warm the file cache
        runs_of: dict[str, list[tuple[float, float]]] = {"ours": [], "floor": []}
        for _ in range(runs):
            runs_of["ours"].append(times(ours))
            runs_of["floor"].append(times(floor))
        (a, a_cpu), (b, b_cpu) = (
            [statistics.median(t[i] for t in runs_of[who]) for i in (0, 1)]
            for who in ("ours", "floor")
        )
        print(
            f"{name:<36} {a * 1000:7.1f}ms {b * 1000:7.1f}ms {a / b:6.3f}   "
            f"{a_cpu * 1000:7.1f}ms {b_cpu * 1000:7.1f}ms {a_cpu / b_cpu:6.3f}"
        )


if __name__ == "__main__":
    main()
