"""Start-up with a large network: a million parameters in .npy files, one example.

    python bench/large_network.py [--runs 10]

Compares `nncalc forward NET -x … -o out.npy` with a floor that only loads the same
.npy files with NumPy and multiplies once, and prints medians and the ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
from timing import wall

FLOOR = """
import sys
from pathlib import Path
import numpy as np
d = Path(sys.argv[1])
a = np.zeros(1000)
for j in (1, 2):
    a = 1 / (1 + np.exp(-(np.load(d / f"W{j}.npy") @ a + np.load(d / f"b{j}.npy"))))
np.save(d / "floor.npy", a[None, :])
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    runs = parser.parse_args().runs
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for j, (a, b) in enumerate([(1000, 500), (500, 1000)], start=1):
            np.save(d / f"W{j}.npy", rng.normal(0, 0.03, (b, a)))
            np.save(d / f"b{j}.npy", rng.normal(0, 0.1, b))
        (d / "net.yaml").write_text(
            "layers:\n"
            "  - {weights: {file: W1.npy}, bias: {file: b1.npy}}\n"
            "  - {weights: {file: W2.npy}, bias: {file: b2.npy}}\n"
        )
        x = ",".join(["0"] * 1000)
        ours = [
            sys.executable,
            "-m",
            "nncalc",
            "forward",
            str(d / "net.yaml"),
            "-x",
            x,
            "-o",
            str(d / "out.npy"),
        ]
        floor = [sys.executable, "-c", FLOOR, tmp]
        wall(ours), wall(floor)
        t_ours, t_floor = [], []
        for _ in range(runs):
            t_ours.append(wall(ours))
            t_floor.append(wall(floor))
        np.testing.assert_allclose(np.load(d / "out.npy"), np.load(d / "floor.npy"), rtol=1e-12)
    a, b = statistics.median(t_ours), statistics.median(t_floor)
    print(f"1,001,500 parameters in .npy files, one example, {runs} runs, medians:")
    print(f"  nncalc {a * 1000:7.1f} ms   NumPy floor {b * 1000:7.1f} ms   ratio {a / b:5.2f}")


if __name__ == "__main__":
    main()
