"""Widths: every report, at every width from 1 column up, folds or stacks its tables and
never cuts a number; a COLUMNS that is no width gives the usual one."""

from __future__ import annotations

import re

import pytest
from rich.cells import cell_len

from conftest import SAMPLES

GRADING = SAMPLES / "grading"
VEHICLES = SAMPLES / "vehicles.yaml"
HUGE = 10**40
REPORTS = {
    "params": ["params", "3", "5", "10"],
    "params of a wide network": ["params", "100000", "100000", "10"],
    "params of a 41-digit layer": ["params", "3", str(HUGE), "2"],
    "forward": ["forward", VEHICLES, "-x", "1,2,3"],
    "forward, many examples": [
        "forward",
        VEHICLES,
        *(a for k in range(7) for a in ("-x", f"{k},2,3")),
    ],
    "forward, a wide layer": ["forward", SAMPLES / "quiz-10-classes.yaml", "-x", "1,2,3"],
    "check": ["check", GRADING / "sheet.yaml"],
    "check --answers": ["check", GRADING / "sheet.yaml", "-a", GRADING / "answers-partial.yaml"],
    "quiz": ["quiz"],
    "collapse": ["collapse", "{linear}"],
}
WIDTHS = sorted({*range(1, 33), *range(33, 161, 4)})
NUMBER = re.compile(r"\d(?:[\d,.]*\d)?(?:e[-+−]?\d+)?")
"""A number as the reports print them: 10,000,000,000, 0.999665, 9.5e-19 (its sign aside)."""


def numbers(text: str) -> set[str]:
    return set(NUMBER.findall(text))


@pytest.fixture
def report(run, monkeypatch, tmp_path):
    """report(name, width) -> what the report prints at that width."""
    linear = tmp_path / "linear.yaml"
    linear.write_text(
        "activation: identity\nlayers:\n  - theta: [[1, 2, 3], [0, 1, -1]]\n"
        "  - theta: [[0.5, 1, -2]]\n",
        encoding="utf-8",
    )

    def _report(name: str, width: int | str) -> str:
        monkeypatch.setenv("COLUMNS", str(width))
        r = run(*(str(a).format(linear=linear) for a in REPORTS[name]))
        assert r.code in (0, 1), r.err
        return r.out

    return _report


@pytest.mark.parametrize("name", REPORTS)
def test_no_width_cuts_a_number(report, name):
    """Every number of the report printed whole (the wide report's numbers, no fragment of
    one, no '…' added), at every width; no line wider than the console but a word that
    is wider by itself (tables wrap their cells at spaces, or stack)."""
    wide = report(name, 1000)
    expected = numbers(wide)
    for width in WIDTHS:
        out = report(name, width)
        assert numbers(out) == expected, (width, numbers(out) ^ expected)
        assert out.count("…") == wide.count("…"), width
        for line in out.splitlines():  # wider than the console: one word, printed whole
            assert cell_len(line) <= width or len(line.split()) == 1, (width, line)


@pytest.mark.parametrize(
    ("sizes", "counts"),
    [
        ((3, 5, 10), (5 * 4, 10 * 6)),
        ((100000, 100000, 10), (100000 * 100001, 10 * 100001)),
        ((3, HUGE, 2), (HUGE * 4, 2 * (HUGE + 1))),
    ],
)
def test_parameter_counts_are_whole_at_every_width(run, monkeypatch, sizes, counts):
    """The counts s_(j+1)·(s_j + 1), worked out here, each printed whole, as is the total."""
    for width in WIDTHS:
        monkeypatch.setenv("COLUMNS", str(width))
        out = run("params", *map(str, sizes)).out
        for count in (*counts, sum(counts)):
            assert f"{count:,}" in numbers(out), (width, count)


@pytest.mark.parametrize("columns", ["0", "-3", "-0", "abc", "", " ", "1e3", "٣", "+5"])
def test_a_columns_that_is_no_width_is_ignored(report, columns):
    assert report("check", columns) == report("check", 80)  # off a terminal: 80


@pytest.mark.parametrize("columns", ["1001", "99999999999", "9" * 400])
def test_an_enormous_columns_is_the_widest_nncalc_prints_for(report, columns):
    assert report("check --answers", columns) == report("check --answers", 1000)
