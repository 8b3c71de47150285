"""Numbers for display: short, and never silently rounded to 1 or 0."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mpmath import mp, mpf

from nncalc.render import digits
from nncalc.render.numbers import fmt


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
    """float64's σ(41.5) is 1.0; its gap σ(−41.5), within its bound, gives 2 true digits."""
    with mp.workdps(40):
        gap = 1 - 1 / (1 + mp.exp(-41.5))
    assert two_digits(gap) == "9.5e-19"
    dz = 41.5 * 2.0**-53
    text, why = digits._a_text("sigmoid", 41.5, dz, 1.0, 1e-33, 1e-15, float(gap), None, 6)
    assert text == "1 − 9.5e-19"
    assert "float64" in why


def test_values_that_only_display_as_one():
    """0.99999999 is stored as it is, only shown rounded: its gap is exact in float64."""
    text, why = digits._a_text("identity", 0.99999999, 0.0, 0.99999999, 0.0, 1e-17, None, None, 6)
    assert text == f"1 − {1 - 0.99999999:.2g}"
    assert "float64" not in why
    assert digits._plain(0.99999999, 1e-17, 9) == "0.99999999"


def test_exact_ones_and_zeros_stay_plain():
    for name, v in (("sigmoid", 1.0), ("relu", 0.0), ("sigmoid", 0.0)):
        assert digits._a_text(name, 0.0, 0.0, v, 0.0, 0.0, None, None, 6) == (fmt(v), None)


def test_underflowed_values_are_written_from_their_log():
    with mp.workdps(40):
        expected = two_digits(1 / (1 + mp.exp(800.5)))
    # ln σ(−800.5) = −800.5 − ln(1 + e^−800.5), which is −800.5 in float64
    text, why = digits._a_text("sigmoid", -800.5, 1e-13, 0.0, 0.0, 1e-300, None, -800.5, 6)
    assert text == expected
    assert "stored as 0" in why


@pytest.mark.parametrize("seed", range(3))
def test_exact_decimal_rounding_is_pythons_formatting(seed):
    """digits rounds exact values (man·2^exp) as Python formats float64s: half-even, the
    same fixed/scientific switch, − for negatives."""
    rng = np.random.default_rng(seed)
    values = np.ldexp(rng.uniform(-2, 2, 400), rng.integers(-1074, 1024, 400))
    values = np.concatenate([values, [0.5, 2.5, 1e-5, 123456.5, 9.9999995, 1e16, 5e-324]])
    for v in values.tolist():
        if v == 0 or not math.isfinite(v):
            continue
        m, e = math.frexp(v)
        man, exp = int(m * 2**53), e - 53
        for p in (1, 2, 3, 6, 15, 17):
            assert digits._round_exact(man, exp, p) == fmt(v, p), (v, p)
