"""Gradient checking: backpropagation's D against the two-sided difference
(J(θ + ε) − J(θ − ε)) / 2ε, parameter by parameter.

The difference is off from ∂J/∂θ by its truncation, about ε²·|∂³J/∂θ³|/6, and by
rounding: J is computed to within a few ulps, u·|J| (u = 2^−53), and dividing by 2ε
magnifies that to about u·|J|/ε. The two balance near ε = ∛(3u) ≈ 1e-5 (for θ and J of
size about 1), where both are about 1e-10 relative; the course's ε = 1e-4 is as good.
Each check costs two forward passes (from Θ^(j)'s layer on), so checking every one of P
parameters costs 2P forward passes against backward's one: it checks an implementation
once, and must be switched off when training.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from nncalc.activations import Array, number
from nncalc.backprop import Gradients, Parameter, backward, parameters
from nncalc.cost import evaluate
from nncalc.errors import NNCalcError
from nncalc.network import Layer, Network

EPSILON = 1e-4
"""The course's ε."""

NOISE_ULPS = 16
"""How many units in the last place of |J(θ + ε)| + |J(θ − ε)| the difference may lose to
the rounding of J (each J within a few ulps; the bound is generous)."""

SAMPLE = 200
"""Parameters checked by default when a network has more than FULL."""

FULL = 1000
"""Networks with at most this many parameters are checked in full by default."""


@dataclass(frozen=True)
class Entry:
    """One parameter: backprop's ∂J/∂θ, the two-sided difference, and how much of their
    difference rounding can explain (``noise``)."""

    parameter: Parameter
    theta: float
    backprop: float
    numeric: float
    noise: float

    @property
    def difference(self) -> float:
        return abs(self.backprop - self.numeric)

    @property
    def relative(self) -> float | None:
        """|D − n| / max(|D|, |n|), or None when both are 0 to rounding (then their ratio
        says nothing)."""
        size = max(abs(self.backprop), abs(self.numeric))
        return None if size <= self.noise else self.difference / size


@dataclass(frozen=True)
class Check:
    """Every entry checked, of ``total`` parameters, at ε = ``epsilon``."""

    entries: tuple[Entry, ...]
    total: int
    epsilon: float
    gradients: Gradients

    @property
    def counted(self) -> list[Entry]:
        """The entries with a relative difference (not both 0 to rounding)."""
        return [e for e in self.entries if e.relative is not None]

    @property
    def worst(self) -> Entry | None:
        """The entry with the largest relative difference, if any has one."""
        return max(self.counted, key=lambda e: e.relative or 0.0, default=None)

    @property
    def largest(self) -> float:
        """The largest relative difference (0 when every entry is 0 to rounding)."""
        worst = self.worst
        return 0.0 if worst is None else worst.relative or 0.0

    @property
    def overall(self) -> float:
        """The course's single number, ‖n − D‖ / ‖n + D‖ over the entries checked."""
        D = np.array([e.backprop for e in self.entries])
        n = np.array([e.numeric for e in self.entries])
        total = float(np.linalg.norm(n + D))
        return float(np.linalg.norm(n - D)) / total if total else 0.0


def gradcheck(
    network: Network,
    X: object,
    Y: object,
    lam: float = 0.0,
    loss: str | None = None,
    epsilon: float = EPSILON,
    sample: int | None = None,
    seed: int = 0,
) -> Check:
    """Check backpropagation on examples X with targets Y: every parameter, or ``sample``
    of them drawn at random (reproducibly, by ``seed``); by default every parameter of a
    network with at most FULL of them, else SAMPLE."""
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise NNCalcError.at(f"ε must be a positive number, found {number(epsilon)}")
    trace = network.forward(X)
    grads = backward(trace, Y, lam, loss)
    every = parameters(network)
    chosen = _sample(every, sample, seed)
    entries = tuple(_entry(grads, p, epsilon) for p in chosen)
    return Check(entries, len(every), epsilon, grads)


def scan(
    check: Check, factors: tuple[float, ...] = (10, 1, 0.1, 0.01)
) -> list[tuple[float, float]]:
    """(ε, relative difference) for the worst entry at ε times each factor: how the
    difference moves with ε says whether truncation (∝ ε²) or rounding (∝ 1/ε) is it."""
    worst = check.worst
    if worst is None:
        return []
    found = []
    for factor in factors:
        epsilon = check.epsilon * factor
        entry = _entry(check.gradients, worst.parameter, epsilon)
        size = max(abs(entry.backprop), abs(entry.numeric))
        found.append((epsilon, entry.difference / size if size else 0.0))
    return found


def _sample(every: list[Parameter], sample: int | None, seed: int) -> list[Parameter]:
    if sample is None:
        sample = len(every) if len(every) <= FULL else SAMPLE
    if sample < 1:
        raise NNCalcError.at(f"a sample of {sample} parameters checks nothing", hint="1 or more")
    if sample >= len(every):
        return every
    picked = np.random.default_rng(seed).choice(len(every), size=sample, replace=False)
    return [every[k] for k in sorted(picked)]


def _entry(grads: Gradients, p: Parameter, epsilon: float) -> Entry:
    theta = p.value(grads.network)
    plus, minus = theta + epsilon, theta - epsilon
    J_plus, J_minus = _J(grads, p, plus), _J(grads, p, minus)
    step = plus - minus  # the step float64 really took, not 2ε
    noise = NOISE_ULPS * 2.0**-53 * (abs(J_plus) + abs(J_minus)) / step
    return Entry(p, theta, grads.of(p), (J_plus - J_minus) / step, noise)


def _J(grads: Gradients, p: Parameter, value: float) -> float:
    """J with parameter p set to value, forward propagation redone from its layer on."""
    network, trace = grads.network, grads.trace
    layers = list(network.layers)
    layers[p.j - 1] = _with(layers[p.j - 1], p, value)
    changed = replace(network, layers=tuple(layers), inputs=None)
    a, z = trace.a[p.j], trace.z.get(p.j)
    with np.errstate(over="ignore", invalid="ignore"):
        for j, layer in enumerate(layers[p.j - 1 :], start=p.j + 1):
            z, _, a = layer.forward(a, j, network.source)
    assert z is not None
    return evaluate(changed, z, a, grads.Y, grads.lam, grads.loss).J


def _with(layer: Layer, p: Parameter, value: float) -> Layer:
    """The layer with parameter p set to value."""
    if p.kind == "beta":
        return replace(layer, beta=value)
    matrix: Array = (layer.theta if p.kind == "theta" else layer.gate).copy()
    matrix[p.i - 1, p.m] = value
    return replace(layer, **{p.kind: matrix})
