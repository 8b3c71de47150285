"""The activation functions g, exact to float64 rounding and stable for any finite z.

Each takes z as an array whose last axis holds the units of one layer (softmax and
log_softmax work along that axis) and returns g(z), a new array, or ``out`` (which may be
z itself, for large batches); parameters (LeakyReLU's α, softplus's β and threshold, ...)
are keywords. None of them warns, however large |z| is, and none overflows unless its
value does (z − max z of log_softmax, α·z of a LeakyReLU with |α| > 1, near ±1.8e308).
softplus with β ≠ 1 and gelu_tanh round their argument (β·z, y) once: they are exact to
that rounding, as Swish_β is. ``Activation`` binds the parameters; ``get`` reads its text.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from nncalc import floats, small
from nncalc.errors import EXCERPT, excerpt
from nncalc.small import SWIGLU as SWIGLU  # re-exported: the numpy-free names live there
from nncalc.small import Value
from nncalc.small import over_layer as over_layer

if TYPE_CHECKING:  # numpy.typing costs start-up time, and only type checkers need it
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
else:
    Array = np.ndarray

_erfc = np.frompyfunc(math.erfc, 1, 1)
_EXP_EDGE = small.EXP_EDGE
_GELU_FAR = -1.25 / floats.INV_SQRT_2[0]  # x = −z/√2 ≥ 1.25: _gelu_far
_GELU_TAIL = -30.0  # below, Φ(z) nears float64's underflow: floats.gelu_tail
_GELU_FLAT = 30.0  # beyond ±30, σ(2y) of gelu_tanh is 0 or 1 long before float64 sees it
_PRODUCT_SAFE = (2.0**-900, 2.0**900)  # where floats.two_product is exact


def _fill(out: Array, where: Array, f: Callable[..., float], *args: Array) -> Array:
    """out with f(*args) (a scalar function of floats) at ``where``, for the few entries
    that need a careful scalar formula."""
    if where.any():
        out[where] = np.frompyfunc(f, len(args), 1)(*(a[where] for a in args)).astype(np.float64)
    return out


def sigmoid(z: Array, out: Array | None = None) -> Array:
    """σ(z) = 1 / (1 + e^−z); where e^−z would overflow, e^z rounded once
    (floats.times_exp: 1 + e^z is 1 there)."""
    tail = z < _EXP_EDGE if z.size and z.min() < _EXP_EDGE else None
    z_tail = None if tail is None else z[tail]
    out = np.negative(z, out=out)
    with np.errstate(over="ignore"):  # the tail, fixed below
        np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    if tail is not None:
        out[tail] = _exp_times_np(z_tail)
    return out


def _exp_times_np(z: Array) -> Array:
    return np.frompyfunc(lambda v: floats.times_exp((), v), 1, 1)(z).astype(np.float64)


def tanh(z: Array, out: Array | None = None) -> Array:
    return np.tanh(z, out=out)


def relu(z: Array, out: Array | None = None) -> Array:
    return np.maximum(z, 0.0, out=out)


def leaky_relu(z: Array, out: Array | None = None, alpha: Value = 0.01) -> Array:
    """z for z ≥ 0, α·z below; α may be one slope per unit (PyTorch's PReLU(s))."""
    with np.errstate(over="ignore"):  # |α| > 1 near float64's largest: the caller's overflow
        return _into(np.where(z >= 0, z, np.asarray(alpha) * z), out)


def relu6(z: Array, out: Array | None = None) -> Array:
    """min(max(0, z), 6)."""
    return np.minimum(np.maximum(z, 0.0, out=out), 6.0, out=out)


def elu(z: Array, out: Array | None = None, alpha: float = 1.0) -> Array:
    """z for z > 0, α·(e^z − 1) below, with expm1 so that small |z| keeps its digits."""
    return _into(np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0))), out)


def hardswish(z: Array, out: Array | None = None) -> Array:
    """z·min(max(z + 3, 0), 6)/6: 0 for z ≤ −3, z for z ≥ 3, z·(z + 3)/6 between."""
    m = np.clip(z, -3.0, 3.0)
    return _into(np.where(z >= 3, z, m * (m + 3) / 6), out)


def identity(z: Array, out: Array | None = None) -> Array:
    return _into(z, out) if out is not None else np.array(z)


def softmax(z: Array, out: Array | None = None) -> Array:
    """e^z_i / Σ_k e^z_k over the units of the layer, with z_i − max z carried exactly
    (_shifted) and the exponentials summed with compensation; a p_i below float64's
    normal range is rounded once (floats.times_exp)."""
    hi, lo, e = _shifted(z)
    total = _sum(e)
    out = np.divide(e, total, out=out)
    tail = hi < _EXP_EDGE
    if tail.any():
        totals = np.broadcast_to(total, hi.shape)
        _fill(out, tail, lambda h, c, t: floats.times_exp((), h, c, t), hi, lo, totals)
    return out


def softplus(
    z: Array, out: Array | None = None, beta: float = 1.0, threshold: float | None = None
) -> Array:
    """log(1 + e^(βz))/β, as max(z, 0) + log1p(e^−|βz|)/β so nothing overflows; with a
    threshold t, z itself where fl(βz) > t (PyTorch's Softplus, whose default t is 20).

    With β ≠ 1, βz is carried as hi + lo, and log1p(e^−|hi + lo|) is log1p(e^−|hi|) less
    σ(−|hi|)·(±lo); where e^−|βz| is no longer a normal float64 it is rounded once."""
    with np.errstate(over="ignore"):  # βz = ±inf: e^−|βz| is then exactly 0
        bz = z if beta == 1 else beta * z
    x = np.abs(bz)
    e = np.exp(-x)
    tail = np.log1p(e)
    if beta != 1:
        lo = np.sign(bz) * _product_lo(np.float64(beta), z)
        tail -= lo * (e / (1 + e))
        tail /= beta
        under = (z < 0) & (x > -_EXP_EDGE)
        _fill(tail, under, lambda h, c: floats.times_exp((), h, c, beta), -x, -lo)
    value = np.maximum(z, 0.0) + tail
    return _into(value if threshold is None else np.where(bz > threshold, z, value), out)


def _product_lo(a: Array, b: Array) -> Array:
    """a·b − fl(a·b) (floats.two_product), 0 where a·b is too large or too small for it
    (there it no longer matters: e^ of it is 0, 1 or flat)."""
    with np.errstate(over="ignore"):
        p = np.abs(a * b)
    ok = (p > _PRODUCT_SAFE[0]) & (p < _PRODUCT_SAFE[1])
    safe = np.where(ok, b, 1.0)
    return np.where(ok, floats.two_product(a, safe)[1], 0.0)


def mish(z: Array, out: Array | None = None) -> Array:
    """z·tanh(softplus(z)) = z·n/(n + 2) with w = e^z and n = w·(w + 2) = (1 + w)² − 1,
    carried as double-doubles from w on, so that only e^z and the last product round;
    z itself beyond 40 (2/(n + 2) < e^−80), and z·e^z rounded once where e^z is below
    float64's normal range (n/(n + 2) is e^z there, to 1e-307)."""
    zc = np.clip(z, _EXP_EDGE, 40.0)
    w = np.exp(zc)
    a, a_lo = floats.two_sum(w, 2.0)
    n, n_lo = floats.two_product(w, a)
    n_lo += w * a_lo
    d, d_lo = floats.two_sum(n, 2.0)
    d_lo += n_lo
    q = n / d
    p, p_lo = floats.two_product(q, d)
    q_lo = (((n - p) - p_lo) + n_lo - q * d_lo) / d
    m, m_lo = floats.two_product(zc, q)
    value = np.where(z > 40, z, m + (m_lo + zc * q_lo))
    return _into(_fill(value, z < _EXP_EDGE, lambda v: floats.times_exp((v,), v), z), out)


def log_softmax(z: Array, out: Array | None = None) -> Array:
    """ln of softmax over the units of the layer, exactly (see _softmax_log)."""
    return _into(_softmax_log(z), out)


def silu(z: Array, out: Array | None = None) -> Array:
    """z·σ(z), also called swish; z·e^z rounded once where σ(z) is below float64's
    normal range."""
    tail = z < _EXP_EDGE
    z_tail = z[tail]
    out = np.multiply(z, sigmoid(z), out=out)
    if z_tail.size:
        out[tail] = [small.silu(v) for v in z_tail.tolist()]
    return out


def gelu(z: Array, out: Array | None = None) -> Array:
    """z·Φ(z) with the exact normal CDF, Φ(z) = erfc(−z/√2)/2 (not the tanh approximation).

    −z/√2 is carried as x + dx (double-double), and erfc(x + dx) = erfc(x)·(1 − r·dx)
    with r = −erfc'(x)/erfc(x): rounding x alone would cost z²·2^−53 of relative error.
    Below z = −1.77 (x ≥ 1.25), where libm's erfc is 2.4 ulps off, _gelu_far; below −30,
    where Φ(z) nears float64's underflow, floats.gelu_tail.
    """
    x = -z * floats.INV_SQRT_2[0]
    inner = np.abs(z) < 64  # beyond, Φ(z) is 0 or 1 in float64 and dx does not matter
    xs = np.where(inner, x, 0.0)
    v = -np.where(inner, z, 0.0)
    dx = floats.two_product(v, floats.INV_SQRT_2[0])[1] + v * floats.INV_SQRT_2[1]
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        r = np.where(
            xs < 5,
            2 / math.sqrt(math.pi) * np.exp(-xs * xs) / _erfc(xs).astype(np.float64),
            2 * xs + 1 / xs,  # the asymptotic series of erfc
        )
    e = _erfc(x).astype(z.dtype)
    e_lo = np.zeros_like(e)
    mid = (xs >= 0.25) & (xs < 1.25)
    if mid.any():
        e[mid], e_lo[mid] = _erfc_mid(xs[mid])
    p, p_lo = floats.two_product(np.where(inner, z, 1.0), e)
    p_lo += np.where(inner, z, 0.0) * e_lo - p * (r * dx)
    value = np.where(inner, 0.5 * (p + p_lo), 0.5 * z * e)
    far = (z < _GELU_FAR) & (z >= _GELU_TAIL)
    if far.any():
        value[far] = _gelu_far(xs[far], dx[far])
    return _into(_fill(value, z < _GELU_TAIL, floats.gelu_tail, z), out)


def _gelu_far(x: Array, dx: Array) -> Array:
    """z·Φ(z) for −30 ≤ z < −1.77 from x + dx = −z/√2: erfc(x) = e^(−x² − 0.5625 + R/S)/x
    with R/S fdlibm's rational approximations (s_erf.c), so z·Φ(z) = z·erfc(x)/2 is
    −e^(−x² − 0.5625 + R/S)/√2 (z/(2x) = −1/√2 exactly); the exponent is carried as
    hi + lo, with −2x·dx for dx, and only e^hi and the last product round."""
    s = 1 / (x * x)
    near = x < 1 / 0.35
    rs = np.where(near, _poly(_RA, s) / _poly(_SA, s), _poly(_RB, s) / _poly(_SB, s))
    t = floats.split(x)[0]  # 26 bits: t·t and −t² − 0.5625 are exact
    hi, lo = floats.two_sum(-t * t - 0.5625, (t - x) * (t + x) + rs - 2 * x * dx)
    lo += floats.INV_SQRT_2[1] / floats.INV_SQRT_2[0]
    value = -floats.INV_SQRT_2[0] * np.exp(hi)
    return value + value * lo


def _erfc_mid(x: Array) -> tuple[Array, Array]:
    """erfc(x) for 0.25 ≤ x < 1.25 as hi + lo: fdlibm's rational approximations evaluated
    in double-double (libm's erfc is up to 3.2 ulps off here, from its roundings)."""
    hi, lo = np.empty_like(x), np.empty_like(x)
    low = x < 0.84375
    if low.any():  # erfc(x) = 1 − x − x·P(x²)/Q(x²)
        v = x[low]
        y, y_lo = _rational(_PP, _QQ, v * v)
        xy, xy_lo = floats.two_product(v, y)
        xy_lo += v * y_lo
        one, one_lo = floats.two_sum(1.0, -v)
        hi[low], e = floats.two_sum(one, -xy)
        lo[low] = e + one_lo - xy_lo
    if (~low).any():  # erfc(x) = (1 − erx) − P(x − 1)/Q(x − 1)
        q, q_lo = _rational(_PA, _QA, x[~low] - 1)
        hi[~low], e = floats.two_sum(1 - _ERX, -q)
        lo[~low] = e - q_lo
    return hi, lo


def _rational(p: tuple[float, ...], q: tuple[float, ...], s: Array) -> tuple[Array, Array]:
    """P(s)/Q(s) as hi + lo, with compensated Horner sums (error-free products and sums)."""
    (n, n_lo), (d, d_lo) = _poly_dd(p, s), _poly_dd(q, s)
    ratio = n / d
    back, back_lo = floats.two_product(ratio, d)
    return ratio, (((n - back) - back_lo) + n_lo - ratio * d_lo) / d


def _poly_dd(c: tuple[float, ...], s: Array) -> tuple[Array, Array]:
    hi, lo = np.full_like(s, c[-1]), np.zeros_like(s)
    for k in c[-2::-1]:
        product, product_lo = floats.two_product(hi, s)
        hi, sum_lo = floats.two_sum(product, k)
        lo = lo * s + (product_lo + sum_lo)
    return hi, lo


def _poly(c: tuple[float, ...], s: Array) -> Array:
    """c_0 + c_1·s + c_2·s² + … by Horner's rule."""
    total = np.full_like(s, c[-1])
    for k in c[-2::-1]:
        total = total * s + k
    return total


# erfc's rational approximations from Sun's fdlibm s_erf.c (as nncalc/render/page.js has
# them): erf(x) = x + x·PP(x²)/QQ(x²) below 0.84375, erf(1 + s) = erx + PA(s)/QA(s) to 1.25,
_ERX = 8.45062911510467529297e-1
_PP = (1.28379167095512558561e-1, -3.2504210724700149937e-1, -2.84817495755985104766e-2,
       -5.77027029648944159157e-3, -2.37630166566501626084e-5)  # fmt: skip
_QQ = (1.0, 3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3,
       1.32494738004321644526e-4, -3.9602282787753681232e-6)  # fmt: skip
_PA = (-2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1,
       3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2,
       -2.166375594868790843e-3)  # fmt: skip
_QA = (1.0, 1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2,
       1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.1984499846799107417e-2)  # fmt: skip
# and erfc(x)·x = e^(−x² − 0.5625 + R/S) from 1.25 to 1/0.35 (RA/SA) and beyond (RB/SB).
_RA = (-9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1,
       -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2,
       -8.12874355063065934246e1, -9.81432934416914548592)  # fmt: skip
_SA = (1.0, 1.96512716674392571292e1, 1.376577541435190426e2, 4.34565877475229228821e2,
       6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2,
       6.57024977031928170135, -6.04244152148580987438e-2)  # fmt: skip
_RB = (-9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1,
       -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3,
       -4.83519191608651397019e2)  # fmt: skip
_SB = (1.0, 3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3,
       3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2,
       -2.24409524465858183362e1)  # fmt: skip


def gelu_tanh(z: Array, out: Array | None = None) -> Array:
    """PyTorch's GELU(approximate='tanh'): z·(1 + tanh(y))/2 with y = √(2/π)·(z + 0.044715·z³),
    computed as z·σ(2y), the same function without 1 + tanh(y)'s cancellation for z < 0.

    2y is carried as hi + lo (double-double, with √(2/π) and 0.044715 exact to 2^−106),
    and σ(hi + lo) = σ(hi)·(1 + (1 − σ(hi))·lo); where σ is below float64's normal range,
    z·σ(2y) is rounded once (floats.sigmoid_times)."""
    c = np.clip(z, -_GELU_FLAT, _GELU_FLAT)
    hi, lo = _gelu_tanh_argument(c)
    s = sigmoid(hi)
    value = z * (s + s * ((1 - s) * lo))
    tail = hi < _EXP_EDGE
    return _into(
        _fill(value, tail, lambda v, h, c: floats.sigmoid_times((v,), h, c), z, hi, lo), out
    )


def _gelu_tanh_argument(z: Array) -> tuple[Array, Array]:
    """2√(2/π)·(z + 0.044715·z³) as hi + lo, for |z| ≤ 30 (error-free products and sums;
    the low parts' own products are rounded, which is far below 2^−106 relative)."""
    kappa, kappa_lo = floats.GELU_KAPPA
    root, root_lo = floats.SQRT_2_OVER_PI
    tiny = np.abs(z) < _PRODUCT_SAFE[0]  # there z³ is nothing beside z
    zs = np.where(tiny, 1.0, z)
    square, square_lo = floats.two_product(zs, zs)
    cube, cube_lo = floats.two_product(square, zs)
    cube_lo += square_lo * zs
    k, k_lo = floats.two_product(kappa, cube)
    k_lo += kappa * cube_lo + kappa_lo * cube
    k, k_lo = np.where(tiny, 0.0, k), np.where(tiny, 0.0, k_lo)
    s, s_lo = floats.two_sum(z, k)
    s_lo += k_lo
    y, y_lo = floats.two_product(root, s)
    y_lo += root * s_lo + root_lo * s
    y_lo = np.where(tiny, root_lo * z, y_lo)
    return 2 * y, 2 * y_lo


def step(z: Array, out: Array | None = None) -> Array:
    """The Heaviside step: 1 for z ≥ 0, else 0, as in the perceptron and the logic gates."""
    return _into(np.where(z >= 0, 1.0, 0.0), out)


def _into(values: Array, out: Array | None) -> Array:
    """values, copied into out when one is given."""
    if out is None:
        return values
    out[...] = values
    return out


def swish(u: Array, beta: float = 1.0) -> Array:
    """Swish_β(u) = u·σ(βu), the gate of a SwiGLU layer."""
    return swiglu(np.ones_like(u), u, beta)


def swiglu(z: Array, u: Array, beta: float = 1.0) -> Array:
    """z·Swish_β(u) = z·u·σ(βu), a SwiGLU layer's a: βu carried as hi + lo (as in
    gelu_tanh), and the product taken on mantissas with one rounding at the end, so that
    a subnormal u or σ(βu) loses no digit of z·u·σ(βu)."""
    with np.errstate(over="ignore"):  # βu = ±inf is fine: σ is then exactly 0 or 1
        hi = beta * u
    lo = np.zeros_like(hi) if beta == 1 else _product_lo(np.float64(beta), u)
    s = sigmoid(hi)
    s = s + s * ((1 - s) * lo)
    mz, ez = np.frexp(z)
    mu, eu = np.frexp(u)
    with np.errstate(over="ignore"):
        value = np.ldexp(mz * mu * s, ez + eu)
    tail = hi < _EXP_EDGE + 8  # where mz·mu·s could fall below the normal range
    return _fill(value, tail, lambda a, b, h, c: floats.sigmoid_times((a, b), h, c), z, u, hi, lo)


def _sigmoid_gap(z: Array) -> Array:
    return sigmoid(-z)


def _tanh_gap(z: Array) -> Array:
    with np.errstate(over="ignore"):
        twice = -2 * np.abs(z)
    return 2 * sigmoid(twice)


def _softmax_gap(z: Array) -> Array:
    """1 − p_i as the sum of the other p_k, so a p_i that rounds to 1 keeps its gap."""
    e = _shifted(z)[2]
    after = np.flip(_sum_before(np.flip(e, axis=-1)), axis=-1)
    return np.minimum((_sum_before(e) + after) / _sum(e), 1.0)


def _sigmoid_log(z: Array) -> Array:
    return -np.logaddexp(0.0, -z)


def _softmax_log(z: Array) -> Array:
    """ln p_i = (z_i − max z) − ln(1 + Σ of the other e^(z_k − max z)), with log1p and
    z_i − max z carried exactly (_shifted)."""
    hi, lo, e = _shifted(z)
    np.put_along_axis(e, np.argmax(z, axis=-1)[..., None], 0.0, axis=-1)  # the 1 of the max
    with np.errstate(invalid="ignore"):
        return hi + (lo - np.log1p(_sum(e)))


def _shifted(z: Array) -> tuple[Array, Array, Array]:
    """(hi, lo, e): z − max z along the units as hi + lo exactly (TwoSum), and e^hi·(1 + lo),
    0 where it underflows. hi is −inf where z − max z overflows (lo is then 0), so e^ of it
    is exactly 0. Rounding z − max z before e^ would cost |z − max z|·2^−53 of relative error
    (8 ulps at a spread of 30)."""
    with np.errstate(over="ignore", invalid="ignore"):
        hi, lo = floats.two_sum(z, -z.max(axis=-1, keepdims=True))
    lo = np.where(np.isfinite(hi), lo, 0.0)
    e = np.exp(hi)
    e += e * lo
    return hi, lo, e


def _sum(e: Array) -> Array:
    """Σ_k e_k along the units (kept as an axis), compensated (Neumaier, through TwoSum):
    within about an ulp, where a plain sum of n terms may be n ulps off."""
    total = e[..., 0].copy()
    carry = np.zeros_like(total)
    for k in range(1, e.shape[-1]):
        total, error = floats.two_sum(total, e[..., k])
        carry += error
    return (total + carry)[..., None]


def _silu_log(z: Array) -> Array:
    with np.errstate(divide="ignore"):
        return np.log(np.abs(z)) + _sigmoid_log(z)


def _sum_before(e: Array) -> Array:
    """For each unit, the sum of the units before it (no subtraction, so no cancellation)."""
    c = np.cumsum(e, axis=-1)
    return np.concatenate([np.zeros_like(c[..., :1]), c[..., :-1]], axis=-1)


@dataclass(frozen=True)
class Param:
    """A parameter of an activation: its name in files, its symbol, its default (None: the
    parameter is absent unless given) and the values it may take; a ``per_unit`` one may
    also be a tuple with a value for each unit of the layer (PReLU's slopes)."""

    name: str
    symbol: str
    default: float | None
    positive: bool = False
    per_unit: bool = False

    def problem(self, value: Value) -> str | None:
        """Why value cannot be this parameter, or None."""
        if isinstance(value, tuple):
            if not self.per_unit:
                return f"{self.name} must be one number, found a list"
            if not value:
                return f"{self.name} must have a value for each unit, found an empty list"
            return next(filter(None, map(self.problem, value)), None)
        if not math.isfinite(value):
            return f"{self.name} must be a finite number, found {value}"
        if self.positive and value <= 0:
            return f"{self.name} must be positive, found {number(value)}"
        return None


@dataclass(frozen=True)
class Activation:
    """An activation function g, with its symbol and formula for display, its parameters
    and the values they take here (``values`` holds only those that differ from their
    defaults, so two activations are the same exactly when their ``spec`` texts are).

    ``gap(z)`` gives 1 − |g(z)| without rounding it away, for the functions whose
    values crowd against ±1 (σ(41.5) is 1 − 9.5e-19, which float64 stores as 1).
    ``log(z)`` gives ln |g(z)| for the functions whose values can fall below the
    smallest float64 (σ(−800) is 3.6e-348, which float64 stores as 0).
    """

    name: str
    symbol: str
    formula: str
    g: Callable[..., Array]
    gap: Callable[[Array], Array] | None = None
    log: Callable[[Array], Array] | None = None
    params: tuple[Param, ...] = ()
    values: tuple[tuple[str, Value], ...] = ()

    def __call__(self, z: Array, out: Array | None = None) -> Array:
        """g(z), into ``out`` when given (``out`` may be ``z`` itself)."""
        return self.g(z, out=out, **dict(self.values))

    def param(self, name: str) -> Param:
        """The parameter called name; ValueError naming those it has."""
        for p in self.params:
            if p.name == name:
                return p
        have = ", ".join(p.name for p in self.params) or "none"
        raise ValueError(f"{self.name} has no parameter '{name}' (its parameters: {have})")

    def with_params(self, **values: Value | Sequence[float]) -> Activation:
        """This activation with the given parameters (a per-unit one as a number or a
        sequence, one number per unit); ValueError for a bad one."""
        given = {k: _value(v) for k, v in {**dict(self.values), **values}.items()}
        for name, value in given.items():
            problem = self.param(name).problem(value)
            if problem:
                raise ValueError(f"{self.name}: {problem}")
        kept = tuple(
            (p.name, given[p.name])
            for p in self.params
            if p.name in given and given[p.name] != p.default
        )
        return self if kept == self.values else replace(self, values=kept)

    def value(self, name: str) -> Value | None:
        """The value of a parameter here: the given one or its default."""
        return dict(self.values).get(name, self.param(name).default)

    def per_unit(self) -> int | None:
        """How many units a per-unit parameter gives values for, or None if none does."""
        return next((len(v) for _, v in self.values if isinstance(v, tuple)), None)

    def unit(self, i: int) -> Activation:
        """g of unit i (from 0): each per-unit parameter replaced by unit i's value."""
        if self.per_unit() is None:
            return self
        kept = {k: v[i] if isinstance(v, tuple) else v for k, v in self.values}
        return replace(self, values=()).with_params(**kept)

    @property
    def spec(self) -> str:
        """The canonical text: 'leaky_relu', or 'leaky_relu(alpha=0.2)' with parameters,
        'leaky_relu(alpha=[0.25, 0.1])' with one per unit."""
        shown = ", ".join(f"{k}={number(v)}" for k, v in self.values)
        return f"{self.name}({shown})" if shown else self.name

    @property
    def label(self) -> str:
        """The symbol with the parameters that are not default: 'LeakyReLU_(α=0.2)'; a
        long list of one per unit elided (shown_value)."""
        given = ", ".join(f"{self.param(k).symbol}={shown_value(v)}" for k, v in self.values)
        return f"{self.symbol}_({given})" if given else self.symbol


def number(v: Value) -> str:
    """v as the shortest text that reads back as the same float64 (2 for 2.0); a tuple of
    them in brackets, as YAML writes a list: [0.25, 0.1]."""
    if isinstance(v, tuple):
        return "[" + ", ".join(map(number, v)) + "]"
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def shown_value(v: Value, dots: Callable[[int], str] | None = None) -> str:
    """number(v) for display: a long list of one per unit elided as tables elide a wide
    layer (render.elide), with dots(hidden count) in the middle (default … (N more) …)."""
    if not isinstance(v, tuple):
        return number(v)
    from nncalc.render.elide import elide, more

    return "[" + ", ".join(elide(list(map(number, v)), dots or more)) + "]"


def _value(v: Value | Sequence[float]) -> Value:
    """A parameter's value as kept: a float, or a tuple of floats (one per unit)."""
    if np.ndim(v) == 0:  # a number, a NumPy scalar or 0-d array, or text float() reads
        return float(v)  # type: ignore[arg-type]
    return tuple(float(x) for x in np.asarray(v, dtype=np.float64).reshape(-1))


ALPHA_LEAKY = Param("alpha", "α", 0.01, per_unit=True)
ALPHA_ELU = Param("alpha", "α", 1.0)
BETA = Param("beta", "β", 1.0, positive=True)
THRESHOLD = Param("threshold", "t", None)

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", "σ", "1 / (1 + e^−z)", sigmoid, _sigmoid_gap, _sigmoid_log),
        Activation("tanh", "tanh", "(e^z − e^−z) / (e^z + e^−z)", tanh, _tanh_gap),
        Activation("relu", "ReLU", "max(0, z)", relu),
        Activation(
            "leaky_relu", "LeakyReLU", "z if z ≥ 0 else α·z", leaky_relu, params=(ALPHA_LEAKY,)
        ),
        Activation("identity", "id", "z", identity),
        Activation("softmax", "softmax", "e^z_i / Σ_k e^z_k", softmax, _softmax_gap, _softmax_log),
        Activation("log_softmax", "LogSoftmax", "z_i − log Σ_k e^z_k", log_softmax),
        Activation(
            "softplus",
            "softplus",
            "log(1 + e^(β·z))/β; z where β·z > threshold, if one is given",
            softplus,
            params=(BETA, THRESHOLD),
        ),
        Activation("silu", "SiLU", "z·σ(z)", silu, log=_silu_log),
        Activation("gelu", "GELU", "z·Φ(z)", gelu),
        Activation("gelu_tanh", "GELU_tanh", "z·(1 + tanh(√(2/π)·(z + 0.044715·z³)))/2", gelu_tanh),
        Activation("elu", "ELU", "z if z > 0 else α·(e^z − 1)", elu, params=(ALPHA_ELU,)),
        Activation("relu6", "ReLU6", "min(max(0, z), 6)", relu6),
        Activation("hardswish", "HardSwish", "z·min(max(z + 3, 0), 6)/6", hardswish),
        Activation("mish", "Mish", "z·tanh(softplus(z))", mish),
        Activation("step", "H", "1 if z ≥ 0 else 0", step),
    )
}

ALIASES = {**small.ALIASES, "logsoftmax": "log_softmax"}

_SPEC = re.compile(r"\s*([^()]*?)\s*(?:\((.*)\))?\s*")


def names() -> list[str]:
    """Every accepted activation name, aliases included."""
    return [*ACTIVATIONS, *ALIASES]


def get(name: str | Activation) -> Activation:
    """The activation called ``name`` (case-insensitive, aliases allowed), with the
    parameters its text gives: 'leaky_relu(alpha=0.2)'.

    Raises KeyError with a did-you-mean suggestion for an unknown name, ValueError for a
    parameter it does not have or a value that parameter cannot take.
    """
    if isinstance(name, Activation):
        return name
    return _get(name)


@functools.lru_cache(maxsize=256)
def _get(text: str) -> Activation:
    found = _SPEC.fullmatch(text)
    base, args = found.groups() if found else (text, None)
    key = base.lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key not in ACTIVATIONS:
        raise KeyError(unknown_message(base))
    return ACTIVATIONS[key].with_params(**_params(key, args))


_PARAM_START = re.compile(r",(?=\s*[^\s=,\[\]]+\s*=)")
"""The commas that start a parameter (name=): not those inside a list of numbers. Each
lookahead stops at the next comma, so splitting a long list takes linear time."""


def _params(name: str, args: str | None) -> dict[str, Value]:
    """{'alpha': 0.2} from 'alpha=0.2' (the text between a spec's parentheses), a list of
    numbers in brackets for one per unit: 'alpha=[0.25, 0.1]'."""
    values: dict[str, Value] = {}
    for part in [] if args is None else _PARAM_START.split(args):
        key, eq, text = (s.strip() for s in part.partition("="))
        try:
            if not eq or key in values:
                raise ValueError
            listed = text[:1] == "[" and text[-1:] == "]"
            values[key] = tuple(map(float, text[1:-1].split(","))) if listed else float(text)
        except ValueError:
            found = part.strip()
            raise ValueError(f"{name}: write parameters as name=number, found '{found}'") from None
    return values


def unknown_message(name: str) -> str:
    """ "unknown activation 'x'; did you mean 'y'?" or the list of known names."""
    close = difflib.get_close_matches(name[:EXCERPT].lower(), [*names(), SWIGLU], n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(names())
    return f"unknown activation {excerpt(name)}; {hint}"
