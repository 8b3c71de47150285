"""A network YAML with a 3,000,000-number inline theta (6 MB).

    python bench/big_yaml.py [--runs 3]

Times nncalc.load against yaml.load(text, Loader=yaml.CSafeLoader) on the same file, in
the same process, alternating the two, for the flow form (theta: [[…], […], …]) and the
block form (theta: followed by one "- […]" line per row), and prints medians and the
ratio. Then, in a fresh process for each, the peak memory of nncalc.load: tracemalloc's
peak and the growth of the peak resident set (VmHWM, Linux), against the file's size.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS, COLUMNS = 3000, 1000

CHILD = """
import re, sys, tracemalloc
import numpy, yaml, nncalc
from nncalc.files import netfile, bulk

def peak_rss():  # VmHWM: unlike ru_maxrss, not inherited from the parent through fork
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", f.read()).group(1)) * 1024

before = peak_rss()
if sys.argv[2] == "tracemalloc":
    tracemalloc.start()
net = nncalc.load(sys.argv[1])
assert net.layers[0].theta.shape == (3000, 1000)
print(tracemalloc.get_traced_memory()[1] if sys.argv[2] == "tracemalloc" else peak_rss() - before)
"""


def write(folder: Path) -> dict[str, Path]:
    """The two forms of the same theta: digits 0 to 9, as 6 MB of flow rows."""
    rng = np.random.default_rng(0)
    rows = [",".join(map(str, row)) for row in rng.integers(0, 10, (ROWS, COLUMNS))]
    flow = folder / "flow.yaml"
    flow.write_text("layers:\n  - theta: [" + ",".join(f"[{r}]" for r in rows) + "]\n")
    block = folder / "block.yaml"
    block.write_text("layers:\n  - theta:\n" + "".join(f"      - [{r}]\n" for r in rows))
    return {"flow": flow, "block": block}


def seconds(load, text_or_path) -> float:
    start = time.perf_counter()
    load(text_or_path)
    return time.perf_counter() - start


def memory(path: Path, how: str) -> int:
    """Peak bytes of nncalc.load in a fresh process, measured by ``how``."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), how], check=True, capture_output=True, text=True
    )
    return int(out.stdout)


def main() -> None:
    import yaml

    import nncalc

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        for form, path in write(Path(tmp)).items():
            size = path.stat().st_size
            text = path.read_text()
            ours, theirs = [], []
            for _ in range(runs):
                ours.append(seconds(nncalc.load, path))
                theirs.append(seconds(lambda t: yaml.load(t, Loader=yaml.CSafeLoader), text))
            a, b = statistics.median(ours), statistics.median(theirs)
            traced, rss = memory(path, "tracemalloc"), memory(path, "rss")
            print(
                f"{form}: {size / 1e6:.1f} MB; nncalc.load {a:.2f} s, CSafeLoader {b:.2f} s, "
                f"ratio {a / b:.2f}; peak: tracemalloc {traced / 1e6:.1f} MB "
                f"({traced / size:.1f}× the file), peak RSS growth {rss / 1e6:.1f} MB "
                f"({rss / size:.1f}×)"
            )


if __name__ == "__main__":
    main()
