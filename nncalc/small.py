"""Small networks in plain Python floats: forward propagation without importing NumPy.

Each z_i^(j+1) = θ_i0 + Σ_k θ_ik·a_k^(j) is exactly rounded: the float64 nearest the
exact sum of the exact products of its float64 inputs, in any order. Network.forward
takes this path whenever the work is small (at most WORK multiply-adds, no GELU or
SwiGLU layer), and so does the command line's table of a small network file, which never
imports NumPy: both print the same bits. The symbols of the activations it takes live
here too, and so do gap(z) = 1 − |g(z)| and log(z) = ln |g(z)|, which the tables show
where g(z) rounds to ±1 or to 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from nncalc import floats
from nncalc.errors import NNCalcError
from nncalc.params import of_network

WORK = 10_000
"""The most multiply-adds (examples × weights) taken in plain Python."""

SYMBOLS = {
    "sigmoid": "σ",
    "tanh": "tanh",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "identity": "id",
    "softmax": "softmax",
    "softplus": "softplus",
    "silu": "SiLU",
    "gelu": "GELU",
    "step": "H",
}
"""The symbol of each activation taken here (with its default parameters), by name: the
same as nncalc.activations' (tested), so the tables print alike without NumPy."""

ALIASES = {"logistic": "sigmoid", "linear": "identity", "swish": "silu", "heaviside": "step"}
"""Other names of these activations (nncalc.activations adds those of its others)."""

Value = float | tuple[float, ...]
"""An activation parameter's value: one number, or one per unit (PReLU's slopes)."""

SWIGLU = "swiglu"
"""The activation name of a layer with a gate: (Θ·[1; a]) * Swish_β(Θ_gate·[1; a])."""

EXP_EDGE = -708.0
"""Below it e^−z overflows (near −709.78) and e^z is no longer a normal float64."""
_HUGE = 2.0**995  # below it, splitting and the partial products cannot overflow
_TINY = 2.0**-969  # above it, a product's rounding error is a float64 (not subnormal)

Units = list[float]
"""The values of one layer's units for one example."""


def canonical(name: str) -> str:
    """The activation called ``name`` (case-insensitive, aliases allowed) if it is one of
    SYMBOLS, with its default parameters; KeyError otherwise (nncalc.activations says why)."""
    key = name.strip().lower().replace("-", "_")
    key = ALIASES.get(key, key)
    if key in SYMBOLS:
        return key
    raise KeyError(name)


def over_layer(activation: str) -> bool:
    """Does g take the whole layer's z (softmax, log_softmax), not each unit's own?"""
    return activation in ("softmax", "log_softmax")


def gamma(n: int) -> float:
    """γ_n = n·u/(1 − n·u), u = 2^−53: a float64 sum of n terms, in any order, is within
    γ_n·Σ|terms| of the exact sum (Higham, Accuracy and Stability, 3.1)."""
    return n * 2.0**-53 / (1 - n * 2.0**-53)


# --- g, one unit or one layer at a time ------------------------------------------


def sigmoid(z: float) -> float:
    """σ(z) = 1 / (1 + e^−z); where e^−z would overflow, e^z (1 + e^z is then 1), scaled
    so that a subnormal σ is rounded once (floats.times_exp)."""
    if z < EXP_EDGE:
        return floats.times_exp((), z)
    return 1 / (1 + math.exp(-z))


def silu(z: float) -> float:
    """z·σ(z); where σ(z) is below float64's normal range, z·e^z rounded once."""
    return floats.times_exp((z,), z) if z < EXP_EDGE else z * sigmoid(z)


def softplus(z: float) -> float:
    """log(1 + e^z) without overflow: z + log(1 + e^−z) for z > 0."""
    return z + math.log1p(math.exp(-z)) if z > 0 else math.log1p(math.exp(z))


def softmax(z: Units) -> Units:
    """e^z_i / Σ_k e^z_k, with z_i − max z carried exactly (see _shifted) and the sum of
    the exponentials rounded once; a p_i below float64's normal range is rounded once."""
    shifted = _shifted(z)
    total = math.fsum(e for _, _, e in shifted)
    return [
        floats.times_exp((), hi, lo, total) if hi < EXP_EDGE else e / total for hi, lo, e in shifted
    ]


def _each(f: Callable[[float], float]) -> Callable[[Units], Units]:
    return lambda z: [f(v) for v in z]


G: dict[str, Callable[[Units], Units]] = {
    "sigmoid": _each(sigmoid),
    "tanh": _each(math.tanh),
    "relu": _each(lambda v: v if v > 0 else 0.0),
    "leaky_relu": _each(lambda v: v if v >= 0 else 0.01 * v),
    "identity": _each(lambda v: v),
    "softmax": softmax,
    "softplus": _each(softplus),
    "silu": _each(silu),
    "step": _each(lambda v: 1.0 if v >= 0 else 0.0),
}
"""g(z) of one layer for one example, for the activations taken in plain Python."""


# --- what the tables show where g(z) rounds away ----------------------------------


def _softmax_gap(z: Units) -> Units:
    """1 − p_i as the sum of the other p_k, so a p_i that rounds to 1 keeps its gap."""
    e = [v for _, _, v in _shifted(z)]
    total = math.fsum(e)
    return [min(math.fsum(e[:i] + e[i + 1 :]) / total, 1.0) for i in range(len(e))]


def _softmax_log(z: Units) -> Units:
    """ln p_i = (z_i − max z) − ln(1 + Σ of the other e^(z_k − max z)), with log1p and
    z_i − max z carried exactly."""
    shifted = _shifted(z)
    top = z.index(max(z))
    rest = math.log1p(math.fsum(e for k, (_, _, e) in enumerate(shifted) if k != top))
    return [hi + (lo - rest) for hi, lo, _ in shifted]


def _shifted(z: Units) -> list[tuple[float, float, float]]:
    """(hi, lo, e) for each z_i: z_i − max z = hi + lo exactly (TwoSum), and e its
    exponential e^hi·(1 + lo), 0 where it underflows; hi is −inf where z_i − max z
    overflows (lo is then 0), so e^ of it is exactly 0. Rounding z_i − max z before the
    exponential would cost up to |z_i − max z|·2^−53 of relative error."""
    top = max(z)
    out = []
    for v in z:
        hi, lo = floats.two_sum(v, -top)
        lo = lo if math.isfinite(hi) else 0.0
        e = math.exp(hi)
        out.append((hi, lo, e + e * lo))
    return out


def _silu_log(v: float) -> float:
    return (math.log(abs(v)) if v else -math.inf) - softplus(-v)


GAP: dict[str, Callable[[Units], Units]] = {
    "sigmoid": _each(lambda v: sigmoid(-v)),
    "tanh": _each(lambda v: 2 * sigmoid(-2 * abs(v))),
    "softmax": _softmax_gap,
}
"""1 − |g(z)| without rounding it away, for the g whose values crowd against ±1."""

LOG: dict[str, Callable[[Units], Units]] = {
    "sigmoid": _each(lambda v: -softplus(-v)),
    "softmax": _softmax_log,
    "silu": _each(_silu_log),
}
"""ln |g(z)|, for the g whose values can fall below float64's smallest."""


def gap(activation: str, z: Units) -> list[float | None]:
    """1 − |g(z)| of each unit, or None per unit where float64's 1 − |g(z)| will do."""
    return GAP[activation](z) if activation in GAP else [None] * len(z)


def log(activation: str, z: Units) -> list[float | None]:
    """ln |g(z)| of each unit, or None per unit where g(z) cannot underflow to 0."""
    return LOG[activation](z) if activation in LOG else [None] * len(z)


# --- forward propagation -----------------------------------------------------------


class Shape:
    """What a network's ``layers`` (each with units, inputs and activation) say."""

    layers: Sequence

    @property
    def sizes(self) -> list[int]:
        """[s_1, …, s_L]: the units in each layer, bias units not counted."""
        return [self.layers[0].inputs, *(layer.units for layer in self.layers)]

    @property
    def L(self) -> int:
        """The number of layers, input and output included."""
        return len(self.layers) + 1

    @property
    def activations(self) -> list[str]:
        """The activation of each layer 2 … L."""
        return [layer.activation for layer in self.layers]

    def small_work(self, examples: int) -> bool:
        """Whether forward propagation of this many examples is plain Python (forward())."""
        return handles(self.activations, examples * of_network(self).multiply_adds)


def handles(activations: Sequence[str], work: int) -> bool:
    """Whether forward() takes a network of these activations and this much work."""
    return work <= WORK and all(g in G for g in activations)


def forward(
    thetas: Sequence[list[Units]],
    activations: Sequence[str],
    X: Sequence[Units],
    source: str | None = None,
) -> tuple[list[list[Units]], list[list[Units]]]:
    """(z, a) of every layer after the input, each a list of examples' units, for the
    examples X (rows) through Θ^(1), Θ^(2), … (rows [θ_i0, θ_i1, …], biases first)."""
    zs, as_ = [], []
    a = [list(x) for x in X]
    for j, (theta, activation) in enumerate(zip(thetas, activations, strict=True), start=2):
        z = [[_dot(row, x, j, source) for row in theta] for x in a]
        a = [G[activation](units) for units in z]
        for values in (*z, *a):
            if not all(map(math.isfinite, values)):
                raise overflow(j, source)
        zs.append(z)
        as_.append(a)
    return zs, as_


def dot(u: Units, v: Units, j: int, source: str | None = None) -> float:
    """Σ_k u_k·v_k, exactly rounded as each z is (backpropagation's sums); past float64's
    largest, layer j's overflow error."""
    return _dot([0.0, *u], v, j, source)


def _dot(row: Units, x: Units, j: int, source: str | None) -> float:
    """θ_i0 + Σ_k θ_ik·x_k, exactly rounded: each product is split into its float64 value
    and rounding error (Dekker), and math.fsum rounds their exact sum once."""
    terms = [row[0]]
    for w, v in zip(row[1:], x, strict=True):
        p = w * v
        if not (_TINY <= abs(p) <= _HUGE and abs(w) <= _HUGE and abs(v) <= _HUGE):
            if w and v:  # near float64's ends, where the split is not exact
                return exact_dot(row, x, j, source)
            continue
        terms += floats.two_product(w, v)
    try:
        return math.fsum(terms)
    except OverflowError:  # fsum gives up if a partial sum passes ±1.8e308
        return exact_dot(row, x, j, source)


def exact_dot(row: Units, x: Units, j: int, source: str | None) -> float:
    """θ_i0 + Σ_k θ_ik·x_k in exact rationals, rounded once (slow: for values near
    float64's ends); the overflow error of layer j if the exact value overflows."""
    from fractions import Fraction

    exact = Fraction(row[0]) + sum(
        Fraction(w) * Fraction(v) for w, v in zip(row[1:], x, strict=True)
    )
    try:
        return float(exact)
    except OverflowError:
        raise overflow(j, source) from None


def overflow(j: int, source: str | None) -> NNCalcError:
    """The error of a layer whose values pass float64's largest."""
    return NNCalcError.at(
        f"layer {j}: values overflow float64 (beyond ±1.8e308)",
        source,
        hint="the weights or inputs are too large",
    )
