"""Batch throughput: `nncalc forward NET --input X.npy -o out.npy` against the textbook
NumPy loop (bench/textbook.py) and, when it is installed, PyTorch, end to end.

    python bench/batch.py [--examples 30000] [--sizes 784 512 512 10] [--runs 5]

Writes a random sigmoid network (weights in .npy files) and inputs to a temporary
folder, runs the three alternately (so machine noise hits all alike), checks that
their outputs agree to 1e-12, and prints median wall times and ratios to the textbook.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
from itertools import pairwise
from pathlib import Path

import numpy as np
from timing import NNCALC, wall

HERE = Path(__file__).resolve().parent


def make_data(folder: Path, sizes: list[int], examples: int) -> Path:
    rng = np.random.default_rng(0)
    layers = []
    for j, (a, b) in enumerate(pairwise(sizes), start=1):
        np.save(folder / f"W{j}.npy", rng.normal(0, 1 / np.sqrt(a), (b, a)))
        np.save(folder / f"b{j}.npy", rng.normal(0, 0.1, b))
        layers.append(f"  - {{weights: {{file: W{j}.npy}}, bias: {{file: b{j}.npy}}}}")
    np.save(folder / "X.npy", rng.random((examples, sizes[0])))
    net = folder / "net.yaml"
    net.write_text("activation: sigmoid\nlayers:\n" + "\n".join(layers) + "\n")
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=30000)
    parser.add_argument("--sizes", type=int, nargs="+", default=[784, 512, 512, 10])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        net = make_data(folder, args.sizes, args.examples)
        commands = {
            "textbook NumPy loop": [sys.executable, str(HERE / "textbook.py"), tmp],
            "nncalc": [
                *NNCALC,
                "forward",
                str(net),
                "--input",
                str(folder / "X.npy"),
                "-o",
                str(folder / "out_nncalc.npy"),
            ],
            "nncalc --dtype float32": [
                *NNCALC,
                "forward",
                str(net),
                "--input",
                str(folder / "X.npy"),
                "-o",
                str(folder / "out_f32.npy"),
                "--dtype",
                "float32",
            ],
        }
        if importlib.util.find_spec("torch"):
            commands["PyTorch (float64)"] = [sys.executable, str(HERE / "torch_baseline.py"), tmp]
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():
            wall(cmd)  # warm the file cache
        for _ in range(args.runs):
            for name, cmd in commands.items():
                times[name].append(wall(cmd))
        reference = np.load(folder / "out_textbook.npy")
        np.testing.assert_allclose(
            np.load(folder / "out_nncalc.npy"), reference, rtol=1e-12, atol=1e-12
        )
        if "PyTorch (float64)" in commands:
            np.testing.assert_allclose(
                np.load(folder / "out_torch.npy"), reference, rtol=1e-12, atol=1e-12
            )
        f32_error = np.abs(np.load(folder / "out_f32.npy") - reference).max()
    base = statistics.median(times["textbook NumPy loop"])
    print(
        f"{args.examples} examples through {'-'.join(map(str, args.sizes))} (sigmoid), "
        f"{args.runs} runs, medians; float64 outputs agree to 1e-12, float32 to {f32_error:.1e}"
    )
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"  {name:<24} {m:7.3f} s   {m / base:5.2f}× the textbook loop")


if __name__ == "__main__":
    main()
