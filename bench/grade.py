"""Grading speed: `nncalc grade` over 100, 1,000 and 10,000 submissions in one process,
and `nncalc check SHEET --answers FILE` (one autograder run).

    python bench/grade.py [--runs 3] [--check-runs 20]

Submissions are written to a temporary folder: the samples' right and partly right
answers, answers with random numbers (most marked wrong) in the forms students write
(decimal commas, percentages, MATLAB vectors, class names, answer lines), and one in
fifty broken (an unclosed bracket). Prints the median wall time of each run, submissions
per second, and the cost of each submission beyond the first hundred.
"""

from __future__ import annotations

import argparse
import compileall
import random
import statistics
import tempfile
from itertools import pairwise
from pathlib import Path

from timing import NNCALC, wall

ROOT = Path(__file__).resolve().parent.parent
GRADING = ROOT / "samples" / "grading"
SHEET = GRADING / "sheet.yaml"
SIZES = (100, 1_000, 10_000)


def submission(k: int, rng: random.Random) -> str:
    """The text of submission k."""
    if k % 50 == 49:
        return "q1: [unclosed\n"
    if k % 3 < 2:
        return (GRADING / ("answers-correct.yaml", "answers-partial.yaml")[k % 3]).read_text()
    a5 = [rng.uniform(0.7, 1) for _ in range(3)]
    answers = {
        "q1": str(rng.randint(40, 80)),
        "q2": "80",
        "q3": f"{rng.uniform(40, 43):.4f}".replace(".", ","),  # a decimal comma
        "q4": rng.choice(["0.99999", "1", "0.9", "99.99%"]),
        "q5": rng.choice(["[{}; {}; {}]", "({}, {}, {})", "{} {} {}"]).format(
            *(f"{v:.5f}" for v in a5)
        ),
        "q6": f"{rng.uniform(0.4, 0.5):.5f}",
        "q7": rng.choice(["car", "Motorcycle", "3", "motorcycle (unit 3)"]),
        "q8": "[" + " ".join(str(int(i == rng.randint(0, 9))) for i in range(10)) + "]",
        "q9": "0",
    }
    separator = ": " if k % 2 else " = "  # YAML, or answer lines
    return "".join(f"{q}{separator}{v}\n" for q, v in answers.items())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check-runs", type=int, default=20)
    args = parser.parse_args()
    compileall.compile_dir(ROOT / "nncalc", quiet=1)
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / f"student{k:05d}.yaml" for k in range(max(SIZES))]
        for k, path in enumerate(paths):
            path.write_text(submission(k, rng), encoding="utf-8")
        check = [*NNCALC, "check", str(SHEET), "--answers", str(paths[1])]
        wall(check, ok=(0, 1))  # warm the file cache
        times = [wall(check, ok=(0, 1)) for _ in range(args.check_runs)]
        print(f"check SHEET --answers FILE: {statistics.median(times) * 1000:.1f} ms median")
        out = str(Path(folder) / "grades.csv")
        medians = {}
        for n in SIZES:
            cmd = [*NNCALC, "grade", str(SHEET), *map(str, paths[:n]), "-o", out]
            medians[n] = statistics.median(wall(cmd) for _ in range(args.runs))
            print(
                f"grade {n:>6,} submissions: {medians[n]:7.2f} s  {n / medians[n]:6.0f} per second"
            )
    for small, large in pairwise(SIZES):
        each = (medians[large] - medians[small]) / (large - small)
        print(f"each submission from {small:,} to {large:,}: {each * 1000:.2f} ms")


if __name__ == "__main__":
    main()
