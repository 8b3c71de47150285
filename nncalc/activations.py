"""The activation functions g, exact to float64 rounding and stable for any finite z.

Each takes z as an array whose last axis holds the units of one layer (softmax works
along that axis) and returns g(z), a new array, or ``out`` (which may be z itself, for
large batches). None of them overflows or warns, however large |z| is.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from nncalc.errors import EXCERPT, excerpt

if TYPE_CHECKING:  # numpy.typing costs start-up time, and only type checkers need it
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
else:
    Array = np.ndarray

_erfc = np.frompyfunc(math.erfc, 1, 1)
_SQRT_HALF = 0.7071067811865476
_SQRT_HALF_LO = -4.833646656726457e-17  # 1/√2 − _SQRT_HALF
_SPLIT = 134217729.0  # 2^27 + 1, Dekker's splitter
_EXP_EDGE = -708.0  # e^−z overflows float64 for z below about −709.78


def sigmoid(z: Array, out: Array | None = None) -> Array:
    """σ(z) = 1 / (1 + e^−z); where e^−z would overflow, e^z / (1 + e^z) instead."""
    tail = z < _EXP_EDGE if z.size and z.min() < _EXP_EDGE else None
    z_tail = None if tail is None else z[tail]
    out = np.negative(z, out=out)
    with np.errstate(over="ignore"):  # the tail, fixed below
        np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    if tail is not None:
        e = np.exp(z_tail)
        out[tail] = e / (1 + e)
    return out


def tanh(z: Array, out: Array | None = None) -> Array:
    return np.tanh(z, out=out)


def relu(z: Array, out: Array | None = None) -> Array:
    return np.maximum(z, 0.0, out=out)


def leaky_relu(z: Array, out: Array | None = None) -> Array:
    """z for z ≥ 0, 0.01·z below."""
    return _into(np.where(z >= 0, z, 0.01 * z), out)


def identity(z: Array, out: Array | None = None) -> Array:
    return _into(z, out) if out is not None else np.array(z)


def softmax(z: Array, out: Array | None = None) -> Array:
    """e^z_i / Σ_k e^z_k over the units of the layer, shifted by max z so nothing overflows."""
    with np.errstate(over="ignore"):  # z − max z = −inf where it overflows: e^ of it is 0
        out = np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


def softplus(z: Array, out: Array | None = None) -> Array:
    """log(1 + e^z), exactly, for every z (no threshold approximation)."""
    return np.logaddexp(0.0, z, out=out)


def silu(z: Array, out: Array | None = None) -> Array:
    """z·σ(z), also called swish."""
    return np.multiply(z, sigmoid(z), out=out)


def gelu(z: Array, out: Array | None = None) -> Array:
    """z·Φ(z) with the exact normal CDF, Φ(z) = erfc(−z/√2)/2 (not the tanh approximation).

    −z/√2 is carried as x + dx (double-double), and erfc(x + dx) = erfc(x)·(1 − r·dx)
    with r = −erfc'(x)/erfc(x): rounding x alone would cost z²·2^−53 of relative error.
    """
    x = -z * _SQRT_HALF
    small = np.abs(z) < 64  # beyond, Φ(z) is 0 or 1 in float64 and dx does not matter
    xs = np.where(small, x, 0.0)
    dx = _product_error(-np.where(small, z, 0.0))
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        r = np.where(
            xs < 5,
            2 / math.sqrt(math.pi) * np.exp(-xs * xs) / _erfc(xs).astype(np.float64),
            2 * xs + 1 / xs,  # the asymptotic series of erfc
        )
    return _into(0.5 * z * _erfc(x).astype(z.dtype) * (1 - r * dx), out)


def _product_error(v: Array) -> Array:
    """v/√2 − fl(v·_SQRT_HALF), exactly enough (Dekker's two-product), for |v| < 2^900."""
    hi = v * _SQRT_HALF
    v_hi, v_lo = _split(v)
    c_hi, c_lo = _split(np.float64(_SQRT_HALF))
    error = ((v_hi * c_hi - hi) + v_hi * c_lo + v_lo * c_hi) + v_lo * c_lo
    return error + v * _SQRT_HALF_LO


def _split(v: Array) -> tuple[Array, Array]:
    c = _SPLIT * v
    hi = c - (c - v)
    return hi, v - hi


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
    with np.errstate(over="ignore"):  # βu = ±inf is fine: σ is then exactly 0 or 1
        bu = beta * u
    return u * sigmoid(bu)


def _sigmoid_gap(z: Array) -> Array:
    return sigmoid(-z)


def _tanh_gap(z: Array) -> Array:
    with np.errstate(over="ignore"):
        twice = -2 * np.abs(z)
    return 2 * sigmoid(twice)


def _softmax_gap(z: Array) -> Array:
    """1 − p_i as the sum of the other p_k, so a p_i that rounds to 1 keeps its gap."""
    e = np.exp(_shifted(z))
    after = np.flip(_sum_before(np.flip(e, axis=-1)), axis=-1)
    return np.minimum((_sum_before(e) + after) / e.sum(axis=-1, keepdims=True), 1.0)


def _sigmoid_log(z: Array) -> Array:
    return -np.logaddexp(0.0, -z)


def _softmax_log(z: Array) -> Array:
    """ln p_i = (z_i − max z) − ln(1 + Σ of the other e^(z_k − max z)), with log1p."""
    shifted = _shifted(z)
    e = np.exp(shifted)
    np.put_along_axis(e, np.argmax(z, axis=-1)[..., None], 0.0, axis=-1)  # the 1 of the max
    return shifted - np.log1p(e.sum(axis=-1, keepdims=True))


def _shifted(z: Array) -> Array:
    """z − max z along the units; −inf where that overflows, so e^ of it is exactly 0."""
    with np.errstate(over="ignore"):
        return z - z.max(axis=-1, keepdims=True)


def _silu_log(z: Array) -> Array:
    with np.errstate(divide="ignore"):
        return np.log(np.abs(z)) + _sigmoid_log(z)


def _sum_before(e: Array) -> Array:
    """For each unit, the sum of the units before it (no subtraction, so no cancellation)."""
    c = np.cumsum(e, axis=-1)
    return np.concatenate([np.zeros_like(c[..., :1]), c[..., :-1]], axis=-1)


@dataclass(frozen=True)
class Activation:
    """An activation function g, with its symbol and formula for display.

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

    def __call__(self, z: Array, out: Array | None = None) -> Array:
        """g(z), into ``out`` when given (``out`` may be ``z`` itself)."""
        return self.g(z, out=out)


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("sigmoid", "σ", "1 / (1 + e^−z)", sigmoid, _sigmoid_gap, _sigmoid_log),
        Activation("tanh", "tanh", "(e^z − e^−z) / (e^z + e^−z)", tanh, _tanh_gap),
        Activation("relu", "ReLU", "max(0, z)", relu),
        Activation("leaky_relu", "LeakyReLU", "z if z ≥ 0 else 0.01·z", leaky_relu),
        Activation("identity", "id", "z", identity),
        Activation("softmax", "softmax", "e^z_i / Σ_k e^z_k", softmax, _softmax_gap, _softmax_log),
        Activation("softplus", "softplus", "log(1 + e^z)", softplus),
        Activation("silu", "SiLU", "z·σ(z)", silu, log=_silu_log),
        Activation("gelu", "GELU", "z·Φ(z)", gelu),
        Activation("step", "H", "1 if z ≥ 0 else 0", step),
    )
}

ALIASES = {"logistic": "sigmoid", "linear": "identity", "swish": "silu", "heaviside": "step"}

SWIGLU = "swiglu"
"""The activation name of a layer with a gate: (Θ·[1; a]) * Swish_β(Θ_gate·[1; a])."""


def names() -> list[str]:
    """Every accepted activation name, aliases included."""
    return [*ACTIVATIONS, *ALIASES]


def get(name: str) -> Activation:
    """The activation called ``name`` (case-insensitive, aliases allowed).

    Raises KeyError with a did-you-mean suggestion for an unknown name.
    """
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key in ACTIVATIONS:
        return ACTIVATIONS[key]
    raise KeyError(unknown_message(name))


def unknown_message(name: str) -> str:
    """ "unknown activation 'x'; did you mean 'y'?" or the list of known names."""
    close = difflib.get_close_matches(name[:EXCERPT].lower(), [*names(), SWIGLU], n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(names())
    return f"unknown activation {excerpt(name)}; {hint}"
