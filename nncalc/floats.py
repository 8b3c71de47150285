"""Float64 arithmetic that keeps what rounding would lose, without NumPy.

two_sum and two_product give a sum or product and its rounding error exactly (and take
NumPy arrays as well as floats: they use only + − ×). times_exp computes a product with an
exponential, such as z·e^z or z·u·σ(βu), rounding once at the end, so that a value near
float64's underflow keeps every digit it has (e^−740 alone is subnormal, with 4 digits
left). erfc_tail is Φ(z) far out in the tail. The activations of nncalc.small and
nncalc.activations build on these.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

SPLITTER = 134217729.0
"""2^27 + 1, Dekker's splitter."""

LN2 = (0.6931471805599453, 2.3190468138462996e-17)
"""ln 2 as hi + lo (|lo| under half an ulp of hi): a double-double."""
_LN2_HI = 0.6931471803691238  # ln 2's leading 32 bits: k·_LN2_HI is exact for |k| < 2^21
_LN2_LO = 1.9082149292705877e-10  # ln 2 − _LN2_HI
_INV_LN2 = 1.4426950408889634
_EXP_FLOOR = -1e6  # below, e^x·(anything finite) is 0 in float64: k stays an exact int

SQRT_2_OVER_PI = (0.7978845608028654, -4.98465440455546e-17)
"""√(2/π) as a double-double."""
INV_SQRT_2PI = (0.3989422804014327, -2.49232720227773e-17)
"""1/√(2π) as a double-double."""
INV_SQRT_2 = (0.7071067811865476, -4.833646656726457e-17)
"""1/√2 as a double-double."""
GELU_KAPPA = (0.044715, 2.1960211427085595e-18)
"""0.044715, the cubic coefficient of GELU's tanh form (a decimal), as a double-double."""


def two_sum(a, b):
    """(s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth), for finite a + b."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


def split(v):
    """v as hi + lo, each with at most 26 significant bits, so that hi·hi etc. are exact."""
    c = SPLITTER * v
    hi = c - (c - v)
    return hi, v - hi


def two_product(a, b):
    """(p, e) with p = fl(a·b) and p + e = a·b exactly (Dekker), for |a|, |b| ≤ 2^995 and
    |a·b| ≥ 2^−969 (otherwise e is only nearly exact)."""
    p = a * b
    a_hi, a_lo = split(a)
    b_hi, b_lo = split(b)
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


def times_exp(factors: Sequence[float], x: float, lo: float = 0.0, over: float = 1.0) -> float:
    """Π factors · e^(x + lo) / over, rounded once at the end: each factor's mantissa and
    e^x = m·2^k are multiplied near 1 and the exponents added as integers, so nothing
    under- or overflows on the way (lo, a small correction to x, enters as 1 + lo).
    ±inf when the value itself overflows."""
    if x < _EXP_FLOOR:
        x = _EXP_FLOOR
    k = round(x * _INV_LN2)
    r = (x - k * _LN2_HI) - k * _LN2_LO  # |r| ≤ ln2/2: x − k·_LN2_HI is exact
    value, exponent = math.exp(r), k
    for f in factors:
        mantissa, e = math.frexp(f)
        value *= mantissa
        exponent += e
    mantissa, e = math.frexp(over)
    value = (value + value * lo) / mantissa
    try:
        return math.ldexp(value, exponent - e)
    except OverflowError:
        return math.copysign(math.inf, value)


def sigmoid_times(factors: Sequence[float], x: float, lo: float = 0.0) -> float:
    """Π factors · σ(x + lo), for x < 0, rounded once at the end (see times_exp)."""
    return times_exp(factors, x, lo, 1 + math.exp(x))


def gelu_tail(z: float) -> float:
    """z·Φ(z) for z ≤ −30, where Φ(z) runs below float64's normal range: with x = −z/√2,
    z·Φ(z) = −e^(−x²)·S(x)/√(2π), S the asymptotic series of √π·x·e^(x²)·erfc(x) (ten
    terms are exact to 2^−60 here); x² is carried exactly, x as x + dx. Below −40 the
    value is under half the smallest subnormal: −0."""
    if z < -40:
        return -0.0
    x, dx = two_product(-z, INV_SQRT_2[0])
    dx += -z * INV_SQRT_2[1]
    square, square_lo = two_product(x, x)
    t = 1 / (2 * square)
    series = 1.0
    for n in range(10, 0, -1):  # 1 − t(1 − 3t(1 − 5t(…)))
        series = 1 - (2 * n - 1) * t * series
    lo = -(square_lo + 2 * x * dx) + INV_SQRT_2PI[1] / INV_SQRT_2PI[0]
    return -times_exp([series * INV_SQRT_2PI[0]], -square, lo)
