"""Start-up time of nncalc against its floor: a bare Typer app doing the same work.

    python bench/startup.py [--runs 30]

Runs each command and its floor alternately (so machine noise hits both alike) and
prints the median wall time of each and the ratio nncalc / floor. nncalc's modules are
byte-compiled first, as `pip install` does for a regular install and as its
dependencies are (an editable install under PYTHONDONTWRITEBYTECODE=1 would otherwise
compile them on every run).
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import sys
from pathlib import Path

from timing import NNCALC, wall

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PAIRS = {
    "params 3 5 10 --theta 2": (
        [*NNCALC, "params", "3", "5", "10", "--theta", "2"],
        [sys.executable, str(HERE / "floors" / "params_floor.py"), "3", "5", "10"],
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
    print(f"{'command':<36} {'nncalc':>9} {'floor':>9} {'ratio':>7}   ({runs} runs each, medians)")
    for name, (ours, floor) in PAIRS.items():
        wall(ours), wall(floor)  # warm the file cache
        times: dict[str, list[float]] = {"ours": [], "floor": []}
        for _ in range(runs):
            times["ours"].append(wall(ours))
            times["floor"].append(wall(floor))
        a, b = statistics.median(times["ours"]), statistics.median(times["floor"])
        print(f"nncalc {name:<29} {a * 1000:7.1f}ms {b * 1000:7.1f}ms {a / b:7.3f}")


if __name__ == "__main__":
    main()
