"""The cost J(Θ) of a network on labelled examples, and δ^(L) = ∂J/∂z^(L), in the
course's notation: m examples (x^(i), y^(i)), K output units, h = h_Θ(x) = a^(L).

Each output g has its matching loss, for which δ^(L) = a^(L) − y:

- σ: the course's cross-entropy, −(1/m) Σ_i Σ_k [y_k log h_k + (1 − y_k) log(1 − h_k)];
- softmax: cross-entropy, −(1/m) Σ_i Σ_k y_k log h_k;
- log_softmax: PyTorch's negative log-likelihood, −(1/m) Σ_i Σ_k y_k h_k (h is log p);
- identity: the squared error, (1/2m) Σ_i ‖h − y‖².

J adds (λ/2m) Σ_j Σ_i Σ_(m≥1) (Θ_im^(j))²: the bias column is not regularised (a SwiGLU
layer's gate matrix is, as its Θ; its β is not). Logarithms are taken of z, never of a
rounded h: log σ(z) = −log(1 + e^−z) by log-sum-exp, so J at σ(41.5) is 9.5e-19, not
log 0. Sums are exactly rounded (math.fsum) sums of terms each within a few ulps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from nncalc import activations
from nncalc.activations import Array
from nncalc.errors import NNCalcError
from nncalc.files.checker import plural
from nncalc.network import Network, Trace


@dataclass(frozen=True)
class Loss:
    """A loss and the output g it matches: its name in files and options, and J's data term."""

    name: str
    output: str
    title: str
    formula: str

    @property
    def probabilities(self) -> bool:
        """Whether y must lie in [0, 1] (every loss here but the squared error)."""
        return self.name != "squared_error"


LOSSES = {
    "sigmoid": Loss(
        "cross_entropy",
        "sigmoid",
        "cross-entropy",
        "−(1/m) Σ_i Σ_k [y_k log h_k + (1 − y_k) log(1 − h_k)]",
    ),
    "softmax": Loss("cross_entropy", "softmax", "cross-entropy", "−(1/m) Σ_i Σ_k y_k log h_k"),
    "log_softmax": Loss("nll", "log_softmax", "negative log-likelihood", "−(1/m) Σ_i Σ_k y_k h_k"),
    "identity": Loss("squared_error", "identity", "squared error", "(1/2m) Σ_i ‖h − y‖²"),
}
"""The matching loss of each output g that has one."""

NAMES = ("cross_entropy", "nll", "squared_error")


def matching(network: Network, loss: str | None = None) -> Loss:
    """The loss that matches the network's output g, checked against ``loss`` if given;
    NNCalcError with the reason when there is none, or ``loss`` is another."""
    output = network.layers[-1]
    g = output.activation
    if output.gate is not None or g not in LOSSES:
        pairs = ", ".join(f"{o} ({LOSSES[o].title})" for o in LOSSES)
        raise NNCalcError.at(
            f"the output layer's g is {g}, which has no matching loss: δ^(L) = a^(L) − y "
            f"holds for {pairs}",
            hint="end the network with one of these",
        )
    found = LOSSES[g]
    wanted = None if loss is None else loss.strip().lower().replace("-", "_")
    if wanted is not None and wanted not in NAMES:
        raise NNCalcError.at(f"unknown loss {loss!r}", hint="known: " + ", ".join(NAMES))
    if wanted is not None and wanted != found.name:
        raise NNCalcError.at(
            f"the {wanted.replace('_', ' ')} loss does not match the output g = {g}, whose "
            f"matching loss is {found.title}: only that pair gives δ^(L) = a^(L) − y",
            hint=f"use --loss {found.name}, or leave it out",
        )
    return found


def targets(network: Network, Y: object, loss: Loss, m: int = 1) -> Array:
    """Y as a float64 m × K array of targets y^(i), checked against the output layer; with
    one output unit, a vector of m numbers is m targets."""
    try:
        Y = np.array(Y, dtype=np.float64, ndmin=2)
    except (TypeError, ValueError):
        raise NNCalcError.at("labels must be rows of numbers, one row y per example") from None
    K = network.sizes[-1]
    if K == 1 and Y.shape == (1, m):
        Y = Y.reshape(m, 1)
    if Y.ndim != 2 or Y.shape[1] != K:
        got = Y.shape[-1] if Y.ndim == 2 else Y.shape
        raise NNCalcError.at(f"a label y has {got} entries, expected K = {K} (the output units)")
    if not np.isfinite(Y).all():
        raise NNCalcError.at("labels must be finite numbers, not NaN or infinity")
    if loss.probabilities and not ((Y >= 0) & (Y <= 1)).all():
        raise NNCalcError.at(
            f"{loss.title} takes targets y in [0, 1]; found {_outside(Y)}",
            hint="one-hot rows, class labels, or probabilities",
        )
    return Y


def _outside(Y: Array) -> str:
    bad = Y[(Y < 0) | (Y > 1)]
    return activations.number(float(bad[0]))


@dataclass(frozen=True)
class Cost:
    """J(Θ) = data + regularisation, over m examples with λ = ``lam``; ``error`` bounds
    how far J (and its data part) may be from the exact value (0: not bounded, as for
    the J of gradcheck's perturbed networks, which are not printed)."""

    J: float
    data: float
    regularisation: float
    m: int
    lam: float
    loss: Loss
    error: float = 0.0


def cost(trace: Trace, Y: object, lam: float = 0.0, loss: str | None = None) -> Cost:
    """J(Θ) for the examples of ``trace`` with targets Y (one row y^(i) per example)."""
    network = trace.network
    chosen = matching(network, loss)
    Y = batch_targets(trace, Y, chosen)
    L = network.L
    found = evaluate(network, trace.z[L], trace.a[L], Y, regularisation_lambda(lam), chosen)
    return replace(found, error=_error(trace, Y, chosen, found))


def _error(trace: Trace, Y: Array, loss: Loss, found: Cost) -> float:
    """A bound on |J − exact J|: what forward's bounds on z^(L) and a^(L) move each data
    term by (its slope over the interval: |h − y| ± da for the squared error, σ(∓z) for
    −log σ(±z), 2(1 − p_i) for −log p_i), a few ulps of each term, and J's roundings."""
    L = trace.network.L
    dz, _, da, _ = trace.bounds()[L]
    z, h = trace.z[L], trace.a[L]
    with np.errstate(all="ignore"):
        if loss.name == "squared_error":
            moved = (np.abs(h - Y) + da / 2) * da
        elif loss.output == "sigmoid":  # −log σ(±z) moves at σ(∓z), largest at z ∓ dz
            up, down = activations.sigmoid(dz - z), activations.sigmoid(z + dz)
            moved = (np.abs(Y) * up + np.abs(1 - Y) * down) * dz
        elif loss.output == "softmax":  # −log p_i moves at most 2(1 − p_i)·D·e^(2D)
            D = dz.max(axis=1, keepdims=True)
            gap = activations.ACTIVATIONS["softmax"].gap(z)
            moved = np.abs(Y) * 2 * gap * D * np.exp(2 * D)
        else:
            moved = np.abs(Y) * da
        terms = np.abs(_data_terms(loss, z, h, Y))
        total = float((moved + 16 * 2.0**-53 * terms).sum()) / found.m
    return total + 4 * 2.0**-53 * (abs(found.J) + abs(found.regularisation))


def evaluate(network: Network, z: Array, h: Array, Y: Array, lam: float, loss: Loss) -> Cost:
    """J(Θ) from the output layer's z and h = a^(L) (checked targets Y, λ and loss)."""
    m = len(Y)
    data = _fsum(_data_terms(loss, z, h, Y)) / m
    reg = lam / (2 * m) * _fsum(_squared_weights(network)) if lam else 0.0
    if not math.isfinite(data + reg):
        raise NNCalcError.at("J overflows float64 (beyond 1.8e308)", network.source)
    return Cost(data + reg, data, reg, m, lam, loss)


def regularisation_lambda(lam: float) -> float:
    """λ, checked: a finite number ≥ 0."""
    lam = float(lam)
    if not math.isfinite(lam) or lam < 0:
        raise NNCalcError.at(f"λ must be a finite number ≥ 0, found {activations.number(lam)}")
    return lam


def batch_targets(trace: Trace, Y: object, loss: Loss) -> Array:
    """Y checked as the targets of the examples of ``trace``; with one output unit, a
    vector of m numbers is m targets."""
    Y = targets(trace.network, Y, loss, len(trace))
    if len(Y) != len(trace):
        raise NNCalcError.at(
            f"{plural(len(Y), 'label', 'labels')} for {plural(len(trace), 'example', 'examples')}",
            hint="one label y per example",
        )
    return Y


def _data_terms(loss: Loss, z: Array, h: Array, Y: Array) -> Array:
    """Each example's and unit's term of J's data part, before the 1/m."""
    with np.errstate(over="ignore"):  # an overflowing J is refused by cost()
        if loss.name == "squared_error":
            return 0.5 * (h - Y) ** 2
    if loss.output == "sigmoid":  # −log σ(z) = softplus(−z), −log(1 − σ(z)) = softplus(z)
        return _weighted(Y, activations.softplus(-z)) + _weighted(1 - Y, activations.softplus(z))
    if loss.output == "softmax":
        return _weighted(Y, -activations.ACTIVATIONS["softmax"].log(z))
    return _weighted(Y, -h)  # log_softmax's h is log p


def _weighted(y: Array, terms: Array) -> Array:
    """y·terms, 0 where y is 0 (whatever the term: log 0 is −inf)."""
    with np.errstate(invalid="ignore", over="ignore"):
        return np.where(y == 0, 0.0, y * terms)


def _squared_weights(network: Network) -> Array:
    """Every Θ_im^(j)² with m ≥ 1 (no bias), of both matrices of a SwiGLU layer."""
    pairs = [(layer.theta, layer.gate) for layer in network.layers]
    mats = [M[:, 1:] for pair in pairs for M in pair if M is not None]
    with np.errstate(over="ignore"):  # an overflowing J is refused by cost()
        return np.concatenate([M.ravel() for M in mats]) ** 2


def _fsum(values: Array) -> float:
    """The exactly rounded sum; inf where a partial sum passes float64's largest."""
    try:
        return math.fsum(values.ravel().tolist())
    except OverflowError:
        return math.inf


def output_delta(trace: Trace, Y: Array, loss: Loss) -> Array:
    """δ^(L) = ∂J/∂z^(L) for each example (without the 1/m): a^(L) − y, computed so that
    nothing cancels where y is 0 or 1: σ(z) − 1 = −σ(−z) (−9.5e-19 at σ(41.5), not 0),
    and for softmax p_k − 1 = −(1 − p_k) = −Σ_(other) p. Targets whose rows do not sum to 1
    get PyTorch's p·Σ_k y_k − y."""
    L = trace.network.L
    z, h = trace.z[L], trace.a[L]
    if loss.output == "sigmoid":
        return (1 - Y) * h - Y * activations.sigmoid(-z)
    if loss.output in ("softmax", "log_softmax"):
        p = h if loss.output == "softmax" else activations.softmax(z)
        total = Y.sum(axis=1, keepdims=True)
        delta = p * total - Y
        sure = (Y == 1) & (total == 1)
        if sure.any():
            delta[sure] = -activations.ACTIVATIONS["softmax"].gap(z)[sure]
        return delta
    return h - Y
