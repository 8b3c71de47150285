"""Peak memory of streaming: `nncalc forward NET --input X -o out` for 10^4 and 10^6 rows.

    python bench/streaming.py [--small 10000] [--large 1000000]

Peak resident memory (from the kernel's rusage of each run) should barely grow with the
number of rows: the input is read, and the output written, a chunk at a time.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
NET = ROOT / "samples" / "vehicles.yaml"


def peak_mib(cmd: list[str]) -> float:
    """The peak resident memory of one run, in MiB."""
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return usage.ru_maxrss / 1024  # kilobytes on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"peak memory of nncalc forward {NET.name} -i X -o out (MiB)")
        print(f"  {'input → output':<16} {args.small:>12,} rows {args.large:>12,} rows   ratio")
        for fmt_in, fmt_out in (("npy", "npy"), ("csv", "csv")):
            peaks = []
            for rows in (args.small, args.large):
                X = rng.uniform(0, 12, (rows, 3))
                path = folder / f"X{rows}.{fmt_in}"
                if fmt_in == "npy":
                    np.save(path, X)
                else:
                    np.savetxt(path, X, delimiter=",", fmt="%.6f")
                out = folder / f"out.{fmt_out}"
                cmd = [
                    sys.executable,
                    "-m",
                    "nncalc",
                    "forward",
                    str(NET),
                    "-i",
                    str(path),
                    "-o",
                    str(out),
                ]
                peaks.append(peak_mib(cmd))
            label = f".{fmt_in} → .{fmt_out}"
            ratio = peaks[1] / peaks[0]
            print(f"  {label:<16} {peaks[0]:12.1f}      {peaks[1]:12.1f}      {ratio:5.2f}")


if __name__ == "__main__":
    main()
