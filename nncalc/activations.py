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
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from nncalc import small
from nncalc.errors import EXCERPT, excerpt
from nncalc.small import SWIGLU as SWIGLU  # re-exported: the numpy-free names live there
from nncalc.small import over_layer as over_layer

if TYPE_CHECKING:  # numpy.typing costs start-up time, and only type checkers need it
    from numpy.typing import NDArray

    Array = NDArray[np.float64]
else:
    Array = np.ndarray

_erfc = np.frompyfunc(math.erfc, 1, 1)
_SQRT_HALF = 0.7071067811865476
_SQRT_HALF_LO = -4.833646656726457e-17  # 1/√2 − _SQRT_HALF
_SPLIT = 134217729.0  # 2^27 + 1, Dekker's splitter
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_GELU_KAPPA = 0.044715
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


def leaky_relu(z: Array, out: Array | None = None, alpha: float = 0.01) -> Array:
    """z for z ≥ 0, α·z below."""
    with np.errstate(over="ignore"):  # |α| > 1 near float64's largest: the caller's overflow
        return _into(np.where(z >= 0, z, alpha * z), out)


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
    """e^z_i / Σ_k e^z_k over the units of the layer, shifted by max z so nothing overflows."""
    with np.errstate(over="ignore"):  # z − max z = −inf where it overflows: e^ of it is 0
        out = np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


def softplus(
    z: Array, out: Array | None = None, beta: float = 1.0, threshold: float | None = None
) -> Array:
    """log(1 + e^(βz))/β, as max(z, 0) + log1p(e^−|βz|)/β so nothing overflows; with a
    threshold t, z itself where βz > t (PyTorch's Softplus, whose default t is 20)."""
    with np.errstate(over="ignore"):  # βz = ±inf: e^−|βz| is then exactly 0
        bz = z if beta == 1 else beta * z
    tail = np.log1p(np.exp(-np.abs(bz)))
    value = np.maximum(z, 0.0) + (tail if beta == 1 else tail / beta)
    return _into(value if threshold is None else np.where(bz > threshold, z, value), out)


def mish(z: Array, out: Array | None = None) -> Array:
    """z·tanh(softplus(z))."""
    return np.multiply(z, np.tanh(np.logaddexp(0.0, z)), out=out)


def log_softmax(z: Array, out: Array | None = None) -> Array:
    """ln of softmax over the units of the layer, exactly (see _softmax_log)."""
    return _into(_softmax_log(z), out)


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


def gelu_tanh(z: Array, out: Array | None = None) -> Array:
    """PyTorch's GELU(approximate='tanh'): z·(1 + tanh(y))/2 with y = √(2/π)·(z + 0.044715·z³),
    computed as z·σ(2y), the same function without 1 + tanh(y)'s cancellation for z < 0."""
    with np.errstate(over="ignore", invalid="ignore"):  # z³ = ±inf: σ is then 0 or 1
        y2 = 2 * (_SQRT_2_OVER_PI * (z + _GELU_KAPPA * (z * z * z)))
        return np.multiply(z, sigmoid(y2), out=out)


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
class Param:
    """A parameter of an activation: its name in files, its symbol, its default (None: the
    parameter is absent unless given) and the values it may take."""

    name: str
    symbol: str
    default: float | None
    positive: bool = False

    def problem(self, value: float) -> str | None:
        """Why value cannot be this parameter, or None."""
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
    values: tuple[tuple[str, float], ...] = ()

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

    def with_params(self, **values: float) -> Activation:
        """This activation with the given parameters; ValueError for a bad one."""
        given = {**dict(self.values), **values}
        for name, value in given.items():
            problem = self.param(name).problem(value)
            if problem:
                raise ValueError(f"{self.name}: {problem}")
        kept = tuple(
            (p.name, float(given[p.name]))
            for p in self.params
            if p.name in given and given[p.name] != p.default
        )
        return self if kept == self.values else replace(self, values=kept)

    def value(self, name: str) -> float | None:
        """The value of a parameter here: the given one or its default."""
        return dict(self.values).get(name, self.param(name).default)

    @property
    def spec(self) -> str:
        """The canonical text: 'leaky_relu', or 'leaky_relu(alpha=0.2)' with parameters."""
        shown = ", ".join(f"{k}={number(v)}" for k, v in self.values)
        return f"{self.name}({shown})" if shown else self.name

    @property
    def label(self) -> str:
        """The symbol with the parameters that are not default: 'LeakyReLU_(α=0.2)'."""
        shown = ", ".join(f"{self.param(k).symbol}={number(v)}" for k, v in self.values)
        return f"{self.symbol}_({shown})" if shown else self.symbol


def number(v: float) -> str:
    """v as the shortest text that reads back as the same float64 (2 for 2.0)."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


ALPHA_LEAKY = Param("alpha", "α", 0.01)
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


def _params(name: str, args: str | None) -> dict[str, float]:
    """{'alpha': 0.2} from 'alpha=0.2' (the text between a spec's parentheses)."""
    values: dict[str, float] = {}
    for part in [] if args is None else args.split(","):
        key, eq, text = (s.strip() for s in part.partition("="))
        try:
            if not eq or key in values:
                raise ValueError
            values[key] = float(text)
        except ValueError:
            found = part.strip()
            raise ValueError(f"{name}: write parameters as name=number, found '{found}'") from None
    return values


def unknown_message(name: str) -> str:
    """ "unknown activation 'x'; did you mean 'y'?" or the list of known names."""
    close = difflib.get_close_matches(name[:EXCERPT].lower(), [*names(), SWIGLU], n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(names())
    return f"unknown activation {excerpt(name)}; {hint}"
