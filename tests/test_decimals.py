"""`forward --decimals N`: every number in tables, --explain and worked solutions with the
same N decimals, each the value rounded to them."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest

import nncalc
from nncalc.render.numbers import MAX_DIGITS, Decimals, fmt

from test_solution import bmatrices

NETWORK = """\
activation: tanh
layers:
  - theta: [[0.5, -1.25, 2], [0, 1, 1.5], [-0.75, 0.125, -2]]
  - theta: [[0.1, -0.524636, 0.3, 1.75], [-1.5, 2, 0.25, -0.5]]
    activation: sigmoid
inputs: [[-3, 1.5], [0.25, -2]]
"""


def rounded(value: float, places: int) -> str:
    """value to ``places`` decimals, from its exact binary value (decimal module)."""
    quantum = Decimal(1).scaleb(-places)
    text = f"{Decimal(value).quantize(quantum, rounding=ROUND_HALF_EVEN):f}"
    return text.lstrip("-") if Decimal(text) == 0 else text


@pytest.mark.parametrize("x", [0.0, -1e-9, 1 / 3, -2 / 3, 1.345, -0.49849, 41.5, 123456.789])
@pytest.mark.parametrize("places", [0, 1, 4, 8])
def test_fixed_decimals_round_the_exact_value(x, places):
    assert fmt(x, Decimals(places)).replace("−", "-") == rounded(x, places)


def test_beyond_float64_s_digits_numbers_are_significant_digits_again():
    assert fmt(1e20, Decimals(4)) == fmt(1e20, MAX_DIGITS)
    assert fmt(-123.5, Decimals(14)) == "−123.50000000000000"  # 17 digits: still fixed


def test_values_that_round_to_one_keep_their_gap(run, write):
    net = write("one.yaml", "layers: [{theta: [[10, 0]]}]\n")
    gap = math.exp(-10) / (1 + math.exp(-10))  # 1 − σ(10), by hand
    out = run("forward", net, "-x", "0", "--decimals", "3").out
    assert f"1 − {gap:.2g}" in out and "rounds to 1.000 at 3 decimals" in out


def as_shown(cell: str, value: float, places: int) -> bool:
    """Whether ``cell`` shows ``value`` to ``places`` decimals: rounded, or (a value that
    rounds to ±1 but is not ±1) as 1 − gap with the gap to 2 digits."""
    cell = cell.replace("−", "-").replace(r"\times 10^{", "e").replace("}", "")
    if " " not in cell:
        return cell == rounded(value, places)
    one, sign, gap = cell.split(" ")
    return abs(float(rounded(value, places))) == 1 and float(one) + float(sign + "1") * float(
        gap
    ) == pytest.approx(value, rel=0.06)


def _numbers(text: str) -> list[str]:
    return re.findall(r"−?\d+(?:\.\d+)?(?:e[-+]\d+)?", text)


@pytest.mark.parametrize("places", [0, 3, 5])
def test_latex_and_markdown_solutions(run, write, places):
    """Every matrix entry of the worked solution has ``places`` decimals (the bias unit's
    1 aside) and is its value rounded: x, Θ^(j), [1; a^(j)], z^(j+1), a^(j+1)."""
    net = write("n.yaml", NETWORK)
    trace = nncalc.load(net).forward(nncalc.load(net).inputs)
    for fmt_ in ("latex", "markdown"):
        out = run("forward", net, "--format", fmt_, "--decimals", places).out
        matrices = [m for m in bmatrices(out) if "a^{(" not in m[-1][0]]
        if fmt_ == "markdown":  # x is a row: $a^{(1)} = x = (−3, 1.5)$
            xs = re.findall(r"\$a\^\{\(1\)\} = x = \((.*)\)\$", out)
            for k, x in enumerate(xs):
                matrices.insert(9 * k, [[v] for v in x.split(", ")])
        for k in range(len(trace)):
            x, t1, ones1, z2, a2, t2, ones2, z3, a3 = matrices[9 * k : 9 * k + 9]
            values = [
                trace.a[1][k],
                trace.network.layers[0].theta,
                [1, *trace.a[1][k]],
                trace.z[2][k],
                trace.a[2][k],
                trace.network.layers[1].theta,
                [1, *trace.a[2][k]],
                trace.z[3][k],
                trace.a[3][k],
            ]
            for shown, value in zip([x, t1, ones1, z2, a2, t2, ones2, z3, a3], values, strict=True):
                flat = np.ravel(np.asarray(value, dtype=float)).tolist()
                cells = [c for row in shown for c in row]
                is_ones = shown in (ones1, ones2)
                for m, (cell, v) in enumerate(zip(cells, flat, strict=True)):
                    assert cell == "1" if is_ones and m == 0 else as_shown(cell, v, places), (
                        cell,
                        v,
                    )


@pytest.mark.parametrize("places", [2, 4])
def test_explain_and_tables(run, write, places):
    net = write("n.yaml", NETWORK)
    trace = nncalc.load(net).forward(nncalc.load(net).inputs)
    explained = run("forward", net, "--explain", "--decimals", places).out
    table = run("forward", net, "--decimals", places, "--layers").out
    for k in range(len(trace)):
        for j in (2, 3):
            for i, (z, a) in enumerate(zip(trace.z[j][k], trace.a[j][k], strict=True), 1):
                layer = table.split("Layer ")[j + 3 * k]
                row = re.search(rf"\n  {i} +(\S+) +(\S.*?)(?: \*)? *\n", layer)
                assert as_shown(row[1], z, places) and as_shown(row[2], a, places), row[0]
                theta = trace.network.layers[j - 2].theta[i - 1]
                a_prev = [1.0, *trace.a[j - 1][k]]
                terms = _terms(explained, k, j, i)
                assert len(terms) == len(theta)
                for m, (term, w, v) in enumerate(zip(terms, theta, a_prev, strict=True)):
                    weight, factor = term.split("·")
                    assert as_shown(weight, w, places)
                    assert factor == "1" if m == 0 else as_shown(factor.strip("()"), v, places)
    arithmetic = [line for line in explained.splitlines() if line.lstrip().startswith("= ")]
    without_gaps = re.sub(r"−?1 [−+] [\d.e+-]+", "", "\n".join(arithmetic))
    for token in _numbers(without_gaps):  # and the bias unit's 1
        assert token == "1" or len(token.split(".")[-1]) == places


def _terms(explained: str, k: int, j: int, i: int) -> list[str]:
    """The products of a_i^(j)'s sum in example k, each with its sign (−0.5·(−1)), split
    at the + and − outside parentheses."""
    example = explained.split("Example ")[k + 1]
    line = re.search(rf"a_{i}\^\({j}\) = g\(.*\)\n\s+= \w+\((.*)\)\n", example)[1]
    terms, depth, start = [], 0, 0
    for n, c in enumerate(line):
        depth += {"(": 1, ")": -1}.get(c, 0)
        if depth == 0 and line[n : n + 3] in (" + ", " − "):
            terms.append(line[start:n])
            start = n + 1
    terms.append(line[start:])
    return [re.sub(r"^\+ ", "", re.sub(r"^− ", "−", t.strip())) for t in terms]


def test_p_and_decimals_are_one_choice(run, write):
    r = run("forward", write("n.yaml", NETWORK), "-p", "3", "--decimals", "3")
    assert r.code == 2 and "give -p (significant digits) or --decimals, not both" in r.err


@pytest.mark.parametrize("seed", range(3))
def test_exact_values_round_to_fixed_decimals_as_floats_do(seed):
    """digits' exact path (values recomputed as balls: n·10^exp) rounds to N decimals as
    the decimal module does, so a table's digits do not depend on which path made them."""
    from nncalc.render.digits import _round_decimal

    rng = np.random.default_rng(seed)
    for n, exp, places in zip(
        rng.integers(-(10**12), 10**12, 200),
        rng.integers(-20, 3, 200),
        rng.integers(0, 9, 200),
        strict=True,
    ):
        value = Decimal(int(n)).scaleb(int(exp))
        quantum = Decimal(1).scaleb(-int(places))
        text = f"{value.quantize(quantum, rounding=ROUND_HALF_EVEN):f}"
        expected = text.lstrip("-") if Decimal(text) == 0 else text
        if len(text.lstrip("-").replace(".", "").lstrip("0")) > MAX_DIGITS:
            continue  # beyond float64's digits: significant digits again (tested above)
        shown = _round_decimal(int(n), int(exp), Decimals(int(places)))
        assert shown.replace("−", "-") == expected
