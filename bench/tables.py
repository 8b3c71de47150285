"""Table mode against JSON: 1,000 examples through a 784-30-10 sigmoid network.

    python bench/tables.py [--runs 5] [--examples 1000]

Writes a random 784-30-10 network with .npy weights and an input of random rows in a
temporary folder, runs `nncalc forward NET -i X.npy` (tables) and the same with `--json`
alternately, and prints the medians and their ratio (the goal: tables within 3×).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import numpy as np
from timing import NNCALC, wall


def write_network(d: Path, examples: int) -> None:
    """net.yaml (784-30-10, weights in .npy files) and x.npy (examples × 784) in d."""
    rng = np.random.default_rng(0)
    for j, (a, b) in enumerate([(784, 30), (30, 10)], start=1):
        np.save(d / f"W{j}.npy", rng.normal(0, 0.05, (b, a)))
        np.save(d / f"b{j}.npy", rng.normal(0, 0.1, b))
    (d / "net.yaml").write_text(
        "layers:\n"
        "  - {weights: {file: W1.npy}, bias: {file: b1.npy}}\n"
        "  - {weights: {file: W2.npy}, bias: {file: b2.npy}}\n"
    )
    np.save(d / "x.npy", rng.uniform(0, 1, (examples, 784)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--examples", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        write_network(d, args.examples)
        tables = [*NNCALC, "forward", str(d / "net.yaml"), "-i", str(d / "x.npy")]
        json = [*tables, "--json"]
        wall(tables), wall(json)
        t_tables, t_json = [], []
        for _ in range(args.runs):
            t_tables.append(wall(tables))
            t_json.append(wall(json))
    a, b = statistics.median(t_tables), statistics.median(t_json)
    print(f"784-30-10, {args.examples:,} examples, {args.runs} runs, medians:")
    print(f"  tables {a:6.2f} s   --json {b:6.2f} s   ratio {a / b:5.2f}")


if __name__ == "__main__":
    main()
