"""Start-up of this checkout's nncalc against another version's, run for run.

    git archive COMMIT nncalc | tar -x -C /tmp/before
    python bench/startup_pair.py /tmp/before [--runs 20]

Runs bench/startup.py's commands with the other version (its folder holding the package
`nncalc`, first on PYTHONPATH) and with this checkout alternately, and prints the median
wall and CPU times of each and their ratio this / other. On a machine shared with other
work, the CPU times and a paired run like this one say more than two separate runs of
bench/startup.py, whose floors move with the load.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import sys
from pathlib import Path

from timing import NNCALC, times

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "params 3 5 10 --theta 2": ["params", "3", "5", "10", "--theta", "2"],
    "params 3 5 10": ["params", "3", "5", "10"],
    "forward samples/slide-neuron.yaml": ["forward", str(ROOT / "samples" / "slide-neuron.yaml")],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="a folder holding another version's nncalc")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    paths = {"other": str(args.other.resolve()), "this": str(ROOT)}
    for path in paths.values():
        compileall.compile_dir(Path(path) / "nncalc", quiet=1)
    print(f"{args.runs} runs of each, alternating, medians; ratio = this / other")
    print(f"{'command':<36} {'other':>9} {'this':>9} {'ratio':>6}   {'CPU time':>19} {'ratio':>6}")
    for name, command in COMMANDS.items():
        runs: dict[str, list[tuple[float, float]]] = {"other": [], "this": []}
        for _ in range(args.runs):
            for who, path in paths.items():
                os.environ["PYTHONPATH"] = path
                runs[who].append(times([*NNCALC, *command]))
        (a, a_cpu), (b, b_cpu) = (
            [statistics.median(t[i] for t in runs[who]) for i in (0, 1)]
            for who in ("other", "this")
        )
        print(
            f"{name:<36} {a * 1000:7.1f}ms {b * 1000:7.1f}ms {b / a:6.3f}   "
            f"{a_cpu * 1000:7.1f}ms {b_cpu * 1000:7.1f}ms {b_cpu / a_cpu:6.3f}"
        )


if __name__ == "__main__":
    sys.exit(main())
