"""g′, the derivative of every activation nncalc has, exact to float64 rounding.

``prime(g, z)`` gives g′(z) for the activations that take each unit alone; softmax and
log_softmax take the whole layer, so backpropagation goes through them by ``vjp`` (the
vector–Jacobian product). Each formula is written so that nothing cancels and nothing
overflows: σ′(z) = e^−|z| / (1 + e^−|z|)², exact where σ(z) itself rounds to 1
(σ′(41.5) = 9.5e-19, not 1·(1 − 1) = 0). The derivatives of SiLU, GELU (both forms) and
Mish cross zero at a point z*; near it g′(z) = ∫ g″ from z* to z, by Gauss–Legendre
quadrature of a g″ that does not cancel there, so that g′ keeps its digits however
close z is to z*.

At the kinks nncalc takes PyTorch's values: relu′(0) = 0, relu6′(0) = relu6′(6) = 0,
leaky_relu′(0) = α, elu′(0) = α, hardswish′(−3) = 0 and hardswish′(3) = 1. The
step's derivative is 0 wherever z ≠ 0 and is not defined at 0 (NaN here; backward
refuses it).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from nncalc import activations
from nncalc.activations import Activation, Array, sigmoid

_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_KAPPA = 0.044715
_SPLIT = 134217729.0  # 2^27 + 1, Dekker's splitter


# --- the element-wise derivatives --------------------------------------------------


def sigmoid_prime(z: Array) -> Array:
    """σ′(z) = σ(z)·σ(−z) = t/(1 + t)² with t = e^−|z| (σ′ is even; t never overflows)."""
    t = np.abs(z)
    np.negative(t, out=t)
    np.exp(t, out=t)
    d = t + 1.0
    np.square(d, out=d)
    t /= d
    return t


def tanh_prime(z: Array) -> Array:
    """tanh′(z) = 1 − tanh²(z) = sech²(z) = 4t/(1 + t)² with t = e^−2|z|."""
    with np.errstate(over="ignore"):  # |z| near float64's largest: t is then 0
        twice = -2.0 * np.abs(z)
    t = np.exp(twice)
    d = 1.0 + t
    d *= d
    return 4.0 * t / d


def relu_prime(z: Array) -> Array:
    """1 for z > 0, else 0 (0 at z = 0, as PyTorch)."""
    return (z > 0).astype(np.float64)


def leaky_relu_prime(z: Array, alpha: float = 0.01) -> Array:
    """1 for z > 0, else α (α at z = 0, as PyTorch)."""
    return np.where(z > 0, 1.0, alpha)


def relu6_prime(z: Array) -> Array:
    """1 for 0 < z < 6, else 0 (0 at both kinks, as PyTorch's hardtanh)."""
    return ((z > 0) & (z < 6)).astype(np.float64)


def elu_prime(z: Array, alpha: float = 1.0) -> Array:
    """1 for z > 0, else α·e^z (α at z = 0, as PyTorch)."""
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


def hardswish_prime(z: Array) -> Array:
    """0 up to −3, (2z + 3)/6 between (2z + 3 is exact where it cancels), 1 from 3 on
    (0 and 1 at the kinks, as PyTorch)."""
    m = np.clip(z, -3.0, 3.0)
    return np.where(z <= -3, 0.0, np.where(z < 3, (2 * m + 3) / 6, 1.0))


def identity_prime(z: Array) -> Array:
    return np.ones_like(z)


def step_prime(z: Array) -> Array:
    """0 wherever z ≠ 0; NaN (not defined: an impulse) at z = 0."""
    return np.where(z == 0, np.nan, 0.0)


def softplus_prime(z: Array, beta: float = 1.0, threshold: float | None = None) -> Array:
    """σ(βz); 1 where βz > threshold (PyTorch's Softplus is z itself there)."""
    with np.errstate(over="ignore"):
        bz = z if beta == 1 else beta * z
    s = sigmoid(np.asarray(bz, dtype=np.float64))
    return s if threshold is None else np.where(bz > threshold, 1.0, s)


def _silu_first(z: Array) -> Array:
    """σ(z)·(1 + z·σ(−z)), cancelling only near z* (see _near_root)."""
    return sigmoid(z) * (1 + z * sigmoid(-z))


def _silu_second(z: Array) -> Array:
    """σ″ form of SiLU: σ(z)σ(−z)·(2 + z·tanh(−z/2)); positive near z*."""
    return sigmoid(z) * sigmoid(-z) * (2 + z * np.tanh(-z / 2))


def _gelu_first(z: Array) -> Array:
    """Φ(z) + z·φ(z), Φ(z) read from GELU's own value (z·Φ(z)) so it has its digits."""
    tiny = np.abs(z) < 2.0**-100  # where z·Φ(z)/z loses bits; there g′ rounds to 1/2
    safe = np.where(tiny, 1.0, z)
    phi_cdf = activations.gelu(safe) / safe
    return np.where(tiny, 0.5, phi_cdf + z * _normal_pdf(z))


def _gelu_second(z: Array) -> Array:
    """φ(z)·(2 − z²)."""
    return _normal_pdf(z) * (2 - z * z)


def _normal_pdf(z: Array) -> Array:
    """φ(z) = e^(−z²/2)/√(2π), with z² carried as p + e (Dekker) so that e^ keeps its
    digits: rounding z² alone would cost z²·2^−53 of relative error."""
    with np.errstate(over="ignore", invalid="ignore"):
        p = z * z
        hi, lo = _split(z)
        e = ((hi * hi - p) + 2 * hi * lo) + lo * lo
        e = np.where(np.isfinite(e), e, 0.0)
    return np.exp(-0.5 * p) * (1 - 0.5 * e) * _INV_SQRT_2PI


def _split(v: Array) -> tuple[Array, Array]:
    c = _SPLIT * v
    hi = c - (c - v)
    return hi, v - hi


def _gelu_tanh_parts(z: Array) -> tuple[Array, Array, Array, Array]:
    """(σ(2y), σ(−2y), y′, y″) with y = √(2/π)·(z + 0.044715·z³), as GELU_tanh computes y."""
    with np.errstate(over="ignore", invalid="ignore"):
        y2 = 2 * (_SQRT_2_OVER_PI * (z + _GELU_KAPPA * (z * z * z)))
        dy = _SQRT_2_OVER_PI * (1 + 3 * _GELU_KAPPA * (z * z))
    return sigmoid(y2), sigmoid(-y2), dy, 6 * _SQRT_2_OVER_PI * _GELU_KAPPA * z


def _gelu_tanh_first(z: Array) -> Array:
    """σ(2y) + z·2y′·σ(2y)σ(−2y) (0 where σ(2y)σ(−2y) is, however large 2y′ is)."""
    s, r, dy, _ = _gelu_tanh_parts(z)
    both = s * r
    with np.errstate(over="ignore", invalid="ignore"):
        tail = np.where(both == 0, 0.0, z * 2 * dy * both)
    return s + tail


def _gelu_tanh_second(z: Array) -> Array:
    """σ(2y)σ(−2y)·(4y′ + 2z·y″ + 4z·y′²·(σ(−2y) − σ(2y)))."""
    s, r, dy, ddy = _gelu_tanh_parts(z)
    return s * r * (4 * dy + 2 * z * ddy + 4 * z * dy * dy * (r - s))


def _mish_parts(z: Array) -> tuple[Array, Array, Array]:
    """(tanh(softplus(z)), sech²(softplus(z)), σ(z))."""
    sp = activations.softplus(z)
    return np.tanh(sp), tanh_prime(sp), sigmoid(z)


def _mish_first(z: Array) -> Array:
    """tanh(sp(z)) + z·sech²(sp(z))·σ(z), sp the softplus."""
    t, s2, s = _mish_parts(z)
    return t + z * s2 * s


def _mish_second(z: Array) -> Array:
    """sech²(sp(z))·(2σ(z) + z·σ(z)σ(−z) − 2z·tanh(sp(z))·σ(z)²)."""
    t, s2, s = _mish_parts(z)
    return s2 * (2 * s + z * s * sigmoid(-z) - 2 * z * t * s * s)


# --- near a zero of g′ ---------------------------------------------------------------

NODES, WEIGHTS = np.polynomial.legendre.leggauss(8)
NODES = (NODES + 1) / 2  # Gauss–Legendre on [0, 1]
WEIGHTS = WEIGHTS / 2


class _Crossing:
    """g′ of a function whose derivative crosses zero at z* = hi + lo (double-double).

    Within ``radius`` of z*, g′(z) = d·∫₀¹ g″(z* + d·s) ds with d = z − z* (z − hi is
    exact there, by Sterbenz's lemma), and 8 Gauss–Legendre nodes integrate g″ to far
    below rounding; g″ keeps one sign there, so the sum does not cancel. Elsewhere the
    direct formula ``first`` does not cancel either.
    """

    def __init__(
        self,
        first: Callable[[Array], Array],
        second: Callable[[Array], Array],
        hi: float,
        lo: float,
        radius: float = 0.5,
    ) -> None:
        self.first, self.second = first, second
        self.hi, self.lo, self.radius = hi, lo, radius

    def __call__(self, z: Array) -> Array:
        z = np.asarray(z, dtype=np.float64)
        out = self.first(z)
        near = np.abs(z - self.hi) < self.radius
        if near.any():
            d = (z[near] - self.hi) - self.lo
            nodes = self.hi + (d[:, None] * NODES + self.lo)
            out[near] = d * (self.second(nodes) @ WEIGHTS)
        return out


silu_prime = _Crossing(_silu_first, _silu_second, -1.2784645427610737, -1.0946994183093437e-16)
"""SiLU′(z) = σ(z)·(1 + z·σ(−z)), which is 0 at z* = −1.27846…"""

gelu_prime = _Crossing(_gelu_first, _gelu_second, -0.7517915246935645, 1.4956759177009883e-17)
"""GELU′(z) = Φ(z) + z·φ(z), which is 0 at z* = −0.75179…"""

gelu_tanh_prime = _Crossing(
    _gelu_tanh_first, _gelu_tanh_second, -0.7524614220710163, 3.635560509207687e-17
)
"""GELU_tanh′(z), which is 0 at z* = −0.75246…"""

mish_prime = _Crossing(
    _mish_first, _mish_second, -1.1924312145154952, -4.8484829848031044e-17, radius=0.4
)
"""Mish′(z), which is 0 at z* = −1.19243…"""

ROOTS = {"silu": silu_prime, "gelu": gelu_prime, "gelu_tanh": gelu_tanh_prime, "mish": mish_prime}
"""The activations whose derivative crosses zero, and where (``hi`` + ``lo``)."""


PRIMES: dict[str, Callable[..., Array]] = {
    "sigmoid": sigmoid_prime,
    "tanh": tanh_prime,
    "relu": relu_prime,
    "leaky_relu": leaky_relu_prime,
    "identity": identity_prime,
    "softplus": softplus_prime,
    "silu": silu_prime,
    "gelu": gelu_prime,
    "gelu_tanh": gelu_tanh_prime,
    "elu": elu_prime,
    "relu6": relu6_prime,
    "hardswish": hardswish_prime,
    "mish": mish_prime,
    "step": step_prime,
}
"""g′ of every activation that takes each unit alone, with g's parameters as keywords."""

FORMULAS = {
    "sigmoid": "σ(z)·(1 − σ(z))",
    "tanh": "1 − tanh²(z)",
    "relu": "1 if z > 0 else 0",
    "leaky_relu": "1 if z > 0 else α",
    "identity": "1",
    "softplus": "σ(β·z); 1 where β·z > threshold",
    "silu": "σ(z)·(1 + z·(1 − σ(z)))",
    "gelu": "Φ(z) + z·φ(z)",
    "gelu_tanh": "(1 + tanh y)/2 + z·(1 − tanh² y)·y′/2, y = √(2/π)·(z + 0.044715·z³)",
    "elu": "1 if z > 0 else α·e^z",
    "relu6": "1 if 0 < z < 6 else 0",
    "hardswish": "0 if z ≤ −3, (2z + 3)/6 if z < 3, else 1",
    "mish": "tanh(sp(z)) + z·sech²(sp(z))·σ(z), sp = softplus",
    "step": "0 (not defined at z = 0)",
}
"""g′ as the tables and --explain write it."""


CURVATURE = {
    "sigmoid": 0.1,  # 1/(6√3) = 0.0962…
    "tanh": 0.77,  # 4/(3√3) = 0.7698…
    "silu": 0.51,  # 1/2, at 0
    "gelu": 0.8,  # 2φ(0) = 0.7979…
    "gelu_tanh": 0.8,  # 0.7979…
    "mish": 0.65,  # 0.6442…
    "hardswish": 1 / 3,
}
"""sup |g″| over the reals away from the kinks, rounded up (0 for the piecewise linear
g); softplus's is β/4 and ELU's |α| (nncalc.derivatives.prime_spread)."""

SILU_SLOPE = 1.1
"""sup |silu′| = 1.0998…, rounded up: how far Swish_β(u) = silu(βu)/β moves per unit of u."""


KINKS = {
    "relu": (0.0,),
    "leaky_relu": (0.0,),
    "step": (0.0,),
    "relu6": (0.0, 6.0),
    "hardswish": (-3.0, 3.0),
}
"""Where g′ jumps (softplus's threshold and ELU's 0 for α ≠ 1 depend on parameters)."""


EXTREMA = {
    "sigmoid": (0.0,),
    "tanh": (0.0,),
    "silu": (-2.3994, 2.3994),
    "gelu": (-1.4142, 1.4142),
    "gelu_tanh": (-1.4185, 1.4185),
    "mish": (-2.2564, 1.4906),
}
"""Where g″ = 0 (to 4 decimals): between these and the kinks g′ is monotone."""

_ULPS = 8 * 2.0**-53  # a few ulps of g′'s own rounding, at each end


def prime_spread(g: Activation | str, z: Array, dz: Array) -> Array:
    """A bound of |g′(t) − g′(z)| for every t within dz of z (element by element), as
    backpropagation's error bounds need it: where g′ is monotone over [z − dz, z + dz],
    the larger change to an end; else the curvature times dz; infinite where the
    interval holds a kink of g′ (a jump)."""
    g = activations.get(g)
    with np.errstate(all="ignore"):
        lo, hi = z - dz, z + dz
        at = prime(g, z)
        ends = [prime(g, end) for end in (lo, hi)]
        change = np.maximum(*(np.abs(e - at) for e in ends))
        change += _ULPS * (np.abs(ends[0]) + np.abs(ends[1]) + 2 * np.abs(at))
        moved = _curvature(g) * dz
        turns = np.zeros(np.shape(z), dtype=bool)
        for e in EXTREMA.get(g.name, ()):
            turns |= (lo <= e + 1e-3) & (e - 1e-3 <= hi)
        moved = np.where(turns, moved, np.minimum(moved, change))
        for kink in _kinks(g):
            moved[(dz > 0) & (lo <= kink) & (kink <= hi)] = np.inf
    moved[np.isnan(moved)] = np.inf
    return moved


def _curvature(g: Activation) -> float:
    if g.name == "softplus":
        return g.value("beta") / 4 * 1.01
    if g.name == "elu":
        return abs(g.value("alpha"))
    return CURVATURE.get(g.name, 0.0)


def _kinks(g: Activation) -> tuple[float, ...]:
    """Where g′ jumps."""
    if g.name == "softplus":
        t = g.value("threshold")
        return () if t is None else (t / g.value("beta"),)
    if g.name == "elu":
        return () if g.value("alpha") == 1 else (0.0,)
    return KINKS.get(g.name, ())


def prime(g: Activation | str, z: Array) -> Array:
    """g′(z), element by element, for an activation that takes each unit alone."""
    g = activations.get(g)
    if g.name not in PRIMES:
        raise ValueError(f"{g.name} takes the whole layer: backpropagate through it with vjp")
    return PRIMES[g.name](np.asarray(z, dtype=np.float64), **dict(g.values))


def vjp(g: Activation | str, z: Array, a: Array, eps: Array, out: Array | None = None) -> Array:
    """δ = (∂a/∂z)ᵀ·ε for each example (row), into ``out`` when given: ε ⊙ g′(z) for an
    element-wise g, and the Jacobian's product for the layer-wise ones: softmax
    p ⊙ (ε − Σ_k ε_k·p_k), log_softmax ε − p·Σ_k ε_k (p = softmax(z))."""
    g = activations.get(g)
    if g.name == "softmax":
        return np.multiply(a, eps - np.einsum("ij,ij->i", eps, a)[:, None], out=out)
    if g.name == "log_softmax":
        return np.subtract(eps, activations.softmax(z) * eps.sum(axis=1, keepdims=True), out=out)
    return np.multiply(eps, prime(g, z), out=out)
