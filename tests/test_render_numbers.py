"""Numbers for display: short, and never silently rounded to 1 or 0."""

from __future__ import annotations

import math

import pytest
from mpmath import mp, mpf

from nncalc.render.numbers import exact, fmt


def two_digits(x: mpf) -> str:
    """x to 2 significant digits in e-notation, by mpmath (independent of the code)."""
    mantissa, exponent = mp.nstr(x, 2, min_fixed=1, max_fixed=0).split("e")
    return f"{mantissa}e{int(exponent)}"


@pytest.mark.parametrize(
    ("x", "precision", "text"),
    [
        (41.5, 6, "41.5"),
        (-2.5, 6, "−2.5"),
        (0.0, 6, "0"),
        (1 / 3, 3, "0.333"),
        (9.5e-19, 6, "9.5e-19"),
    ],
)
def test_fmt(x, precision, text):
    assert fmt(x, precision) == text


def test_sigma_41_5_is_shown_as_one_minus_its_gap():
    with mp.workdps(40):
        gap = 1 - 1 / (1 + mp.exp(-41.5))
    assert two_digits(gap) == "9.5e-19"
    text, why = exact(1.0, float(gap))
    assert text == "1 − 9.5e-19"
    assert "float64" in why


def test_values_that_only_display_as_one():
    text, why = exact(0.99999999, precision=6)
    assert text == f"1 − {1 - 0.99999999:.2g}"
    assert "float64" not in why  # 0.99999999 is stored as it is, only shown rounded
    assert exact(0.99999999, precision=9) == ("0.99999999", None)
    assert exact(-0.9999999, precision=3)[0] == "−1 + 1e-07"


def test_exact_ones_and_zeros_stay_plain():
    assert exact(1.0, 0.0) == ("1", None)
    assert exact(0.0) == ("0", None)
    assert exact(0.0, log=-math.inf) == ("0", None)


def test_underflowed_values_are_written_from_their_log():
    with mp.workdps(40):
        expected = two_digits(1 / (1 + mp.exp(800.5)))
    # ln σ(−800.5) = −800.5 − ln(1 + e^−800.5), which is −800.5 in float64
    text, why = exact(0.0, log=-800.5)
    assert text == expected
    assert "stored as 0" in why
