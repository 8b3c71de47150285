"""Rigorous error bounds of forward propagation: how far each computed z and a may be
from the exact value of the network's mathematics (for the float64 numbers it stores).

Through layer j, with n = s_(j−1) + 1 terms in each sum,

    |δz| ≤ |Θ|·|δa| + r(z)        |δa| ≤ sup |g′|·|δz| + g's own error,

where r(z), the rounding of z's own sum, is γ_n·|Θ|·|a| (Higham 3.1: a float64 sum in any
order) or, where every z is exactly rounded (nncalc.small), half an ulp of z. sup |g′| is
taken over [z − |δz|, z + |δz|] (so a saturated σ passes on almost nothing), and g's own
error is 8 ulps of a, more than twice the 3 ulps bench/ulps.py measures. The inputs x are
exact. Plain Python (the tables of small networks print without NumPy); the NumPy trace
runs the same scalar rules over its arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from nncalc.small import gamma

U = 2.0**-53
"""The unit roundoff of float64."""
TINY = 2.0**-1074
"""The smallest subnormal float64."""
MARGIN = 1 + 2.0**-40
"""Covers the rounding of the bounds' own float64 arithmetic."""
EXACT = frozenset({"relu", "relu6", "identity", "step"})
"""The g whose float64 value is exactly g(z) (no rounding of its own)."""

Units = list[float]


def own(activation: str, a: float) -> float:
    """The bound of g's own error at the computed value a: 8 ulps (0 for the exact g)."""
    return 0.0 if activation in EXACT else 16 * U * abs(a) + 8 * TINY


def _exp(v: float) -> float:
    """e^v, inf where float64 overflows (these are upper bounds)."""
    return math.exp(v) if v < 709 else math.inf


def _sigma(v: float) -> float:
    return 1 / (1 + _exp(-v)) if v > -700 else math.exp(v)


def _tail(far: float, near: float) -> float:
    """e^near·(1 + |far|), a bound of |g′| for the z·σ(z)-like g where the interval lies
    below −1 (far and near its ends)."""
    return _exp(near) * (1 + abs(far))


def _slope(activation: str, params: dict[str, float], lo: float, hi: float) -> float:
    """An upper bound of |g′(t)| for lo ≤ t ≤ hi; inf where g jumps inside."""
    if activation in ("sigmoid", "tanh"):
        m = 0.0 if lo <= 0 <= hi else min(abs(lo), abs(hi))
        if activation == "tanh":
            s = _sigma(-2 * m)
            return 4 * s * (1 - s)
        s = _sigma(-m)
        return s * (1 - s)
    if activation == "relu":
        return 0.0 if hi <= 0 else 1.0
    if activation == "relu6":
        return 0.0 if hi <= 0 or lo >= 6 else 1.0
    if activation == "identity":
        return 1.0
    if activation == "leaky_relu":
        alpha = abs(params.get("alpha", 0.01))
        return 1.0 if lo >= 0 else alpha if hi <= 0 else max(1.0, alpha)
    if activation == "elu":
        alpha = abs(params.get("alpha", 1.0))
        return 1.0 if lo > 0 else alpha * _exp(min(hi, 0.0)) if hi <= 0 else max(1.0, alpha)
    if activation == "step":
        return 0.0 if lo >= 0 or hi < 0 else math.inf
    if activation == "softplus":
        beta, threshold = params.get("beta", 1.0), params.get("threshold")
        if threshold is not None and beta * lo <= threshold * MARGIN and beta * hi >= threshold:
            return math.inf  # the branch may switch inside
        return 1.0 if threshold is not None and beta * lo > threshold else _sigma(beta * hi)
    if activation == "hardswish":
        return 0.0 if hi <= -3 else 1.0 if lo >= 3 else 1.5
    if hi < -1:  # the tails of silu, gelu, gelu_tanh and mish, where g′ vanishes
        if activation == "gelu":
            return 0.4 * _exp(-hi * hi / 2) * (1 + abs(lo))
        if activation == "gelu_tanh":
            y2 = 1.5957691216057308 * (hi + 0.044715 * hi * hi * hi)
            return _tail(lo, 0.0) * _exp(y2) * 1.6 * (1 + 0.14 * lo * lo)
        return _tail(lo, hi)
    return {"silu": 1.1, "gelu": 1.13, "gelu_tanh": 1.14, "mish": 1.1}[activation]


def spread(activation: str, params: dict[str, float], z: float, dz: float) -> float:
    """A bound of |g(t) − g(z)| for |t − z| ≤ dz (elementwise g)."""
    if dz == 0:
        return 0.0
    slope = _slope(activation, params, z - dz, z + dz)
    return math.inf if math.isinf(slope) or math.isinf(dz) else slope * dz * MARGIN


def layer_spread(activation: str, z: Units, dz: Units, a: Units) -> Units:
    """spread for softmax (|δp_i| ≤ p_i·(e^(2D) − 1), D = max |δz|) and log_softmax
    (|δ| ≤ 2D), which take the whole layer."""
    D = max(dz) * MARGIN
    if activation == "softmax":
        grow = math.expm1(2 * D) if D < 300 else math.inf
        return [(abs(p) + own(activation, p)) * grow * MARGIN for p in a]
    return [2 * D * MARGIN] * len(z)


def swiglu_spread(z: float, dz: float, u: float, du: float, beta: float) -> float:
    """A bound of |δ(z·u·σ(βu))| from δz and δu: |Swish(u)|·dz + (|z| + dz)·sup|Swish′|·du."""
    swish = abs(u * _sigma(beta * u))
    lo, hi = beta * (u - du), beta * (u + du)
    slope = beta * (_tail(lo, hi) if hi < -1 else 1.1)
    return (swish * dz + (abs(z) + dz) * slope * du + dz * du) * MARGIN


def z_bounds(theta: Sequence[Units], a: Units, da: Units, z: Units, rounded: bool) -> Units:
    """|δz| of each unit from a^(j−1) (the bias unit excluded) and its bound: the inherited
    |Θ|·|δa| and the rounding of z's own sum (see the module's docstring)."""
    n = len(a) + 1
    out = []
    for row, zi in zip(theta, z, strict=True):
        inherited = sum(abs(w) * d for w, d in zip(row[1:], da, strict=True))
        if rounded:
            own_sum = U * abs(zi) + TINY
        else:
            own_sum = gamma(n) * (
                abs(row[0]) + sum(abs(w * v) for w, v in zip(row[1:], a, strict=True))
            )
        out.append((inherited + own_sum) * MARGIN)
    return out


def a_bounds(
    activation: str, params: dict[str, float], z: Units, dz: Units, a: Units
) -> tuple[Units, Units]:
    """(spread, |δa|) of each unit: what δz alone moves g by, and that plus g's own error."""
    if activation in ("softmax", "log_softmax"):
        moved = layer_spread(activation, z, dz, a)
    else:
        moved = [spread(activation, params, zi, d) for zi, d in zip(z, dz, strict=True)]
    return moved, [(m + own(activation, v)) * MARGIN for m, v in zip(moved, a, strict=True)]


def log_spread(activation: str, z: float, dz: float) -> float:
    """A bound of |δ ln|g(z)|| from δz, for the g whose values can underflow (σ, SiLU;
    softmax's is its layer_spread): (ln σ)′ = 1 − σ ≤ 1, (ln |z·σ(z)|)′ ≤ 1 + 1/|z|."""
    if activation == "silu":
        return dz * (1 + 1 / max(abs(z) - dz, TINY)) * MARGIN
    return dz * MARGIN
