"""The activation functions g, exact to float64 rounding and stable for any finite z.

Each takes z as an array whose last axis holds the units of one layer (softmax works
along that axis) and returns a new array. None of them overflows or warns, however
large |z| is: exponentials are only ever taken of non-positive numbers.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

_erfc = np.frompyfunc(math.erfc, 1, 1)


def sigmoid(z: Array) -> Array:
    """σ(z) = 1 / (1 + e^−z), computed without ever taking e^+|z|."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def tanh(z: Array) -> Array:
    return np.tanh(z)


def relu(z: Array) -> Array:
    return np.maximum(z, 0.0)


def leaky_relu(z: Array) -> Array:
    """z for z ≥ 0, 0.01·z below."""
    return np.where(z >= 0, z, 0.01 * z)


def identity(z: Array) -> Array:
    return np.array(z, dtype=np.float64)


def softmax(z: Array) -> Array:
    """e^z_i / Σ_k e^z_k over the units of the layer, shifted by max z so nothing overflows."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softplus(z: Array) -> Array:
    """log(1 + e^z), exactly, for every z (no threshold approximation)."""
    return np.logaddexp(0.0, z)


def silu(z: Array) -> Array:
    """z·σ(z), also called swish."""
    return z * sigmoid(z)


def gelu(z: Array) -> Array:
    """z·Φ(z) with the exact normal CDF, Φ(z) = erfc(−z/√2)/2 (not the tanh approximation)."""
    return 0.5 * z * _erfc(-z / math.sqrt(2)).astype(np.float64)


def step(z: Array) -> Array:
    """The Heaviside step: 1 for z ≥ 0, else 0, as in the perceptron and the logic gates."""
    return np.where(z >= 0, 1.0, 0.0)


def swish(u: Array, beta: float = 1.0) -> Array:
    """Swish_β(u) = u·σ(βu), the gate of a SwiGLU layer."""
    return u * sigmoid(beta * u)


def _sigmoid_gap(z: Array) -> Array:
    return sigmoid(-z)


def _tanh_gap(z: Array) -> Array:
    return 2 * sigmoid(-2 * np.abs(z))


def _softmax_gap(z: Array) -> Array:
    """1 − p_i as the sum of the other p_k, so a p_i that rounds to 1 keeps its gap."""
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    after = np.flip(_sum_before(np.flip(e, axis=-1)), axis=-1)
    return (_sum_before(e) + after) / e.sum(axis=-1, keepdims=True)


def _sigmoid_log(z: Array) -> Array:
    return -np.logaddexp(0.0, -z)


def _softmax_log(z: Array) -> Array:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


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
    g: Callable[[Array], Array]
    gap: Callable[[Array], Array] | None = None
    log: Callable[[Array], Array] | None = None

    def __call__(self, z: Array) -> Array:
        return self.g(z)


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
    close = difflib.get_close_matches(name.lower(), [*names(), SWIGLU], n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(names())
    return f"unknown activation '{name}'; {hint}"
