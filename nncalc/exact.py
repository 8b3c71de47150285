"""The exact values of one example's forward propagation, as certified balls (python-flint's
arb), for the digits that float64's error bounds leave uncertain (nncalc.bounds).

Each z, a, gate u and gap 1 − |a| is a ball [m ± r] that is proved to hold the exact value
of the network's mathematics for the stored float64 numbers: sums of exact products, and
the activations' exact functions (arb's exp, log1p, erfc, tanh and expm1 are certified).
``example`` recomputes at 4× the precision each time until ``settled`` accepts the balls (their
printed digits are certain), up to MAX_BITS. Loaded only when needed: importing flint takes
about 50 ms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flint import arb, ctx, fmpq

from nncalc.small import Value

START_BITS = 128
MAX_BITS = 1 << 16
"""Precision stops growing here: a value still not settled (an exact 0 that cancels in
the transcendental, say σ(1) − σ(1)) is shown with what is certain."""


@dataclass(frozen=True)
class LayerSpec:
    """One layer as the exact computation reads it: Θ's rows [θ_i0, θ_i1, …], the gate's
    (SwiGLU) or None, g's name and parameters, and SwiGLU's β."""

    theta: Sequence[Sequence[float]]
    activation: str
    params: dict[str, Value]
    gate: Sequence[Sequence[float]] | None = None
    beta: float = 1.0


@dataclass
class Balls:
    """Layer j's exact values: z, a, the gap 1 − |a|, and the gate u (SwiGLU) or None."""

    z: list[arb]
    a: list[arb]
    gap: list[arb]
    u: list[arb] | None


def example(
    layers: Sequence[LayerSpec], x: Sequence[float], settled: Callable[[dict[int, Balls]], bool]
) -> dict[int, Balls]:
    """Every layer j = 2 … L of the example x as balls, at the first precision at which
    ``settled`` accepts them (or MAX_BITS)."""
    bits = START_BITS
    while True:
        old = ctx.prec
        ctx.prec = bits
        try:
            balls = _forward(layers, x)
        finally:
            ctx.prec = old
        if bits >= MAX_BITS or settled(balls):
            return balls
        bits *= 4


def _forward(layers: Sequence[LayerSpec], x: Sequence[float]) -> dict[int, Balls]:
    a = [arb(v) for v in x]
    out = {}
    for j, layer in enumerate(layers, start=2):
        z = _affine(layer.theta, a)
        if layer.gate is None:
            values, gaps = _G[layer.activation](z, layer.params)
            u = None
        else:
            u = _affine(layer.gate, a)
            values = [zi * ui * _sigmoid(arb(layer.beta) * ui) for zi, ui in zip(z, u, strict=True)]
            gaps = [1 - abs(v) for v in values]
        out[j] = Balls(z, values, gaps, u)
        a = values
    return out


def _affine(theta: Sequence[Sequence[float]], a: list[arb]) -> list[arb]:
    return [
        arb(row[0]) + sum((arb(w) * v for w, v in zip(row[1:], a, strict=True)), arb(0))
        for row in theta
    ]


def _hull(a: arb, b: arb) -> arb:
    """A ball holding both a and b."""
    return a + (b - a) * arb(0.5, 0.5)


def _where(
    z: arb, negative: Callable[[arb], arb], positive: Callable[[arb], arb], at: float = 0
) -> arb:
    """negative(z) below ``at``, positive(z) at and above it; both where z straddles it."""
    if z >= at:
        return positive(z)
    if z < at:
        return negative(z)
    return _hull(negative(z), positive(z))


def _sigmoid(z: arb) -> arb:
    return 1 / (1 + (-z).exp())


def _each(g: Callable[..., arb], gap: Callable[..., arb] | None = None):
    def layer(z: list[arb], params: dict[str, Value]) -> tuple[list[arb], list[arb]]:
        units = [_unit(params, i) for i in range(len(z))]
        values = [g(v, **p) for v, p in zip(z, units, strict=True)]
        if gap is None:
            return values, [1 - abs(v) for v in values]
        return values, [gap(v, **p) for v, p in zip(z, units, strict=True)]

    return layer


def _unit(params: dict[str, Value], i: int) -> dict[str, float]:
    """Unit i's parameters: entry i of each that has one per unit (PReLU's slopes)."""
    return {k: v[i] if isinstance(v, tuple) else v for k, v in params.items()}


def _softplus_switch(z: arb, beta: float, threshold: float) -> arb:
    bz = arb(beta) * z
    smooth = bz.exp().log1p() / arb(beta)
    if bz > threshold:
        return z
    if bz <= threshold:
        return smooth
    return _hull(smooth, z)


def _softmax(z: list[arb], params: dict[str, float]) -> tuple[list[arb], list[arb]]:
    shift = max(v.mid() for v in z)
    e = [(v - shift).exp() for v in z]
    total = sum(e, arb(0))
    return [v / total for v in e], [sum(e[:i] + e[i + 1 :], arb(0)) / total for i in range(len(e))]


def _log_softmax(z: list[arb], params: dict[str, float]) -> tuple[list[arb], list[arb]]:
    shift = max(v.mid() for v in z)
    log_total = sum(((v - shift).exp() for v in z), arb(0)).log() + shift
    values = [v - log_total for v in z]
    return values, [1 - abs(v) for v in values]


def _gelu(z: arb) -> arb:
    """z·Φ(z) = z·erfc(−z/√2)/2; below z = −1000 (where arb's erfc gives up) from the
    asymptotic series erfc(x) = e^(−x²)/(x√π)·(1 − 1/(2x²) + 3/(4x⁴) − ε), |ε| ≤ 15/(8x⁶),
    so that z·Φ(z) = −e^(−x²)/√(2π)·(…)."""
    if not z < -1000:
        return z * (-z / arb(2).sqrt()).erfc() / 2
    x2 = z * z / 2
    t = 1 / (2 * x2)
    series = 1 - t + 3 * t * t + arb(0, 1) * 15 * t**3
    return -(-x2).exp() / (2 * arb.pi()).sqrt() * series


_KAPPA = fmpq(44715, 10**6)


def _gelu_tanh(z: arb) -> arb:
    y2 = 2 * (2 / arb.pi()).sqrt() * (z + arb(_KAPPA) * z**3)
    return z * _sigmoid(y2)


_G: dict[str, Callable[[list[arb], dict[str, float]], tuple[list[arb], list[arb]]]] = {
    "sigmoid": _each(_sigmoid, lambda z: _sigmoid(-z)),
    "tanh": _each(lambda z: z.tanh(), lambda z: 2 / ((2 * abs(z)).exp() + 1)),
    "relu": _each(lambda z: _where(z, lambda _: arb(0), lambda v: v)),
    "leaky_relu": _each(lambda z, alpha=0.01: _where(z, lambda v: arb(alpha) * v, lambda v: v)),
    "identity": _each(lambda z: z),
    "softmax": _softmax,
    "log_softmax": _log_softmax,
    "softplus": _each(
        lambda z, beta=1.0, threshold=None: (
            (arb(beta) * z).exp().log1p() / arb(beta)
            if threshold is None
            else _softplus_switch(z, beta, threshold)
        )
    ),
    "silu": _each(lambda z: z * _sigmoid(z)),
    "gelu": _each(lambda z: _gelu(z)),
    "gelu_tanh": _each(_gelu_tanh),
    "elu": _each(
        lambda z, alpha=1.0: _where(z, lambda v: arb(alpha) * v.expm1(), lambda v: v, at=0)
    ),
    "relu6": _each(
        lambda z: _where(
            z, lambda _: arb(0), lambda v: _where(v, lambda w: w, lambda _: arb(6), at=6)
        )
    ),
    "hardswish": _each(
        lambda z: _where(
            z,
            lambda _: arb(0),
            lambda v: _where(v, lambda w: w * (w + 3) / 6, lambda w: w, at=3),
            at=-3,
        )
    ),
    "mish": _each(lambda z: z * z.exp().log1p().tanh()),
    "step": _each(lambda z: _where(z, lambda _: arb(0), lambda _: arb(1))),
}
