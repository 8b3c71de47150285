"""Backpropagation in the lecture's notation: δ^(j), Δ^(j) and D^(j) = ∂J/∂Θ^(j).

For m examples (x^(i), y^(i)) and the output g's matching loss (nncalc.cost):

    δ^(L) = a^(L) − y
    δ^(j) = (Θ^(j))ᵀ δ^(j+1) .* g′(z^(j))       j = L−1 … 2, Θ^(j)'s bias column dropped
    Δ^(j) = Σ_i δ^(j+1) (a^(j))ᵀ                  over the examples, with a_0^(j) = 1
    D^(j) = (1/m) Δ^(j) + (λ/m) Θ^(j)             the bias column (m = 0) not regularised

and D^(j) is ∂J/∂Θ^(j). Backward reads every z^(j) and a^(j) from forward's Trace: there
is no second forward pass. A SwiGLU layer a = z ⊙ Swish_β(u) has a δ for each matrix:
δ = ε ⊙ Swish_β(u) for Θ and δ_gate = ε ⊙ z ⊙ Swish_β′(u) for the gate, where ε is what
the next layer sends back, (Θ^(j+1))ᵀ δ^(j+2); a learned β gets ∂J/∂β too.

Small work (as forward's: nncalc.small) sums exactly: every entry of δ and Δ is the
float64 nearest the exact sum of its products. Large work goes through BLAS, a chunk of
examples per thread (nncalc.batch's arrangement), each thread summing its own Δ.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from nncalc import activations, derivatives, small
from nncalc.activations import Array
from nncalc.batch import one_blas_thread
from nncalc.cost import (
    Cost,
    Loss,
    batch_targets,
    cost,
    matching,
    output_delta,
    regularisation_lambda,
)
from nncalc.errors import NNCalcError
from nncalc.network import Layer, Network, Trace
from nncalc.symbols import Symbol

Product = Callable[[Array, Array], Array]

U = 2.0**-53
"""The unit roundoff of float64."""

G_ULPS = 8
"""How many ulps of |δ| g′ (within a few ulps) and its product with what is sent back may
cost, in the error bounds of Errors."""

CHUNK_ROWS = 1024
"""Examples a thread takes through backward at a time."""


@dataclass(frozen=True, eq=False)
class Gradients:
    """Everything backward computed, by the lecture's names and layer numbers.

    ``delta[j]`` is δ^(j) for j = 2 … L, one row per example; ``Delta[j]`` and ``D[j]``
    are Δ^(j) and D^(j) = ∂J/∂Θ^(j) for j = 1 … L−1, each shaped as Θ^(j). A SwiGLU
    layer's gate has ``delta_gate``, ``Delta_gate`` and ``D_gate`` alike, and a learned β
    ``D_beta[j]`` (= ∂J/∂β of Θ^(j)'s layer).
    """

    trace: Trace
    Y: Array
    lam: float
    loss: Loss
    delta: dict[int, Array]
    Delta: dict[int, Array]
    D: dict[int, Array]
    delta_gate: dict[int, Array] = field(default_factory=dict)
    Delta_gate: dict[int, Array] = field(default_factory=dict)
    D_gate: dict[int, Array] = field(default_factory=dict)
    D_beta: dict[int, float] = field(default_factory=dict)

    @property
    def network(self) -> Network:
        return self.trace.network

    @property
    def m(self) -> int:
        return len(self.trace)

    @cached_property
    def cost(self) -> Cost:
        """J(Θ) at these parameters (from the same trace)."""
        return cost(self.trace, self.Y, self.lam, self.loss.name)

    def back(self, j: int, k: int | slice = slice(None)) -> Array:
        """What layer j+1 sends back to layer j for example(s) k: (Θ^(j))ᵀ δ^(j+1) without
        the bias row (plus the gate's share, Θ_gate^(j)ᵀ δ_gate^(j+1)), so that
        δ^(j) = back(j) .* g′(z^(j)); summed as backward summed it."""
        layer = self.network.layers[j - 1]
        product = _product(self.network, self.m)
        rows = self.delta[j + 1][k]
        shape = (*rows.shape[:-1], layer.inputs)
        sent = product(rows.reshape(-1, layer.units), layer.theta[:, 1:])
        if layer.gate is not None:
            gated = self.delta_gate[j + 1][k].reshape(-1, layer.units)
            sent = sent + product(gated, layer.gate[:, 1:])
        return sent.reshape(shape)

    @cached_property
    def errors(self) -> Errors:
        """Bounds on the rounding errors of back(j), δ^(j) and δ_gate^(j) (first order; see
        Errors), for every example."""
        return _errors(self)

    def D_error(self, j: int, gate: bool = False, delta: bool = False) -> Array:
        """A bound on the error of each entry of D^(j) (or the gate's; with ``delta``, of
        Δ^(j)): each is a sum of m products δ_i^(j+1)·a_m^(j) (and λ·Θ_im^(j) for D, m ≥ 1),
        within γ_n of the sum of their sizes, plus what the errors of the δ and of forward's
        a^(j) carry into it; D is that over m."""
        layer = self.network.layers[j - 1]
        d = (self.delta_gate if gate else self.delta)[j + 1]
        e = (self.errors.delta_gate if gate else self.errors.delta)[j + 1]
        a = np.abs(self.trace.a[j])
        da = self.trace.bounds()[j][2] if j > 1 else np.zeros_like(a)
        size = np.column_stack([np.abs(d).sum(axis=0), np.abs(d).T @ a])
        with np.errstate(all="ignore"):  # an infinite bound: the digits are then not shown
            carried = np.column_stack([e.sum(axis=0), e.T @ (a + da) + np.abs(d).T @ da])
        if delta:
            return small.gamma(self.m) * size + carried + U * np.abs(self.Delta[j])
        theta = layer.gate if gate else layer.theta
        size[:, 1:] += self.lam * np.abs(theta[:, 1:])
        D = self.D_gate[j] if gate else self.D[j]
        return (small.gamma(self.m + 1) * size + carried) / self.m + 2 * U * np.abs(D)

    def values(self, s: Symbol) -> list[list[float]]:
        """The numbers symbol s names: δ_i^(j) of each example (a row each), or the entry
        (i, m) of D^(j), Δ^(j) or Θ^(j) (one row); NNCalcError if it does not exist."""
        network = self.network
        if s.name == "delta":
            if not 2 <= s.j <= network.L:
                raise NNCalcError.at(f"{s} does not exist", hint=f"layers j = 2 … {network.L}")
            if not 1 <= s.i <= network.sizes[s.j - 1]:
                units = f"layer {s.j} has units 1 … {network.sizes[s.j - 1]}"
                raise NNCalcError.at(f"{s} does not exist", hint=units)
            return [[float(v)] for v in self.delta[s.j][:, s.i - 1]]
        matrices = {"D": self.D, "Delta": self.Delta}
        if not 1 <= s.j < network.L:
            raise NNCalcError.at(f"{s} does not exist", hint=f"Θ^(1) … Θ^({network.L - 1})")
        M = matrices[s.name][s.j] if s.name in matrices else network.theta(s.j)
        rows, columns = M.shape
        if not (1 <= s.i <= rows and s.m is not None and 0 <= s.m < columns):
            raise NNCalcError.at(
                f"{s} does not exist",
                hint=f"Θ^({s.j}) has rows 1 … {rows}, columns 0 … {columns - 1}",
            )
        return [[float(M[s.i - 1, s.m])]]

    def bounds(self, s: Symbol) -> list[list[float]]:
        """The error bounds of the numbers ``values(s)`` gives, shaped alike (0 for Θ's
        entries, which are stored, not computed)."""
        values = self.values(s)  # checks that s exists
        if s.name == "delta":
            return [[float(b)] for b in self.errors.delta[s.j][:, s.i - 1]]
        if s.name in ("D", "Delta"):
            error = self.D_error(s.j, delta=s.name == "Delta")
            return [[float(error[s.i - 1, s.m])]]
        return [[0.0] * len(row) for row in values]

    def of(self, p: Parameter) -> float:
        """∂J/∂θ for one parameter θ."""
        if p.kind == "beta":
            return self.D_beta[p.j]
        return float((self.D if p.kind == "theta" else self.D_gate)[p.j][p.i - 1, p.m])


@dataclass(frozen=True)
class Parameter:
    """One parameter: Θ_im^(j) (``kind`` 'theta'), the gate's (``kind`` 'gate', a SwiGLU
    layer's Θ_gate^(j)) or a learned β (``kind`` 'beta', i and m 0); i counts from 1 and
    m from 0 (the bias column), as in the lecture."""

    j: int
    kind: str = "theta"
    i: int = 0
    m: int = 0

    def value(self, network: Network) -> float:
        layer = network.layers[self.j - 1]
        if self.kind == "beta":
            return layer.swish_beta
        return float((layer.theta if self.kind == "theta" else layer.gate)[self.i - 1, self.m])


def parameters(network: Network) -> list[Parameter]:
    """Every parameter, in order: Θ^(1) row by row, its gate, its β, then Θ^(2), …"""
    found = []
    for j, layer in enumerate(network.layers, start=1):
        kinds = ["theta"] + ["gate"] * (layer.gate is not None)
        for kind in kinds:
            rows, columns = layer.theta.shape
            found += [Parameter(j, kind, i, m) for i in range(1, rows + 1) for m in range(columns)]
        if layer.beta is not None:
            found.append(Parameter(j, "beta"))
    return found


def backward(trace: Trace, Y: object, lam: float = 0.0, loss: str | None = None) -> Gradients:
    """Backpropagation over the examples of ``trace`` with targets Y (a row y^(i) each)."""
    network = trace.network
    chosen = matching(network, loss)
    lam = regularisation_lambda(lam)
    Y = batch_targets(trace, Y, chosen)
    _check_defined(trace)
    m = len(trace)
    delta = {network.L: output_delta(trace, Y, chosen)}
    _check_finite(delta[network.L], "δ", network.L, network)
    delta_gate: dict[int, Array] = {}
    for j in range(2, network.L):
        delta[j] = np.empty_like(trace.z[j])
        if j in trace.gate:
            delta_gate[j] = np.empty_like(trace.z[j])
    if _product(network, m) is _exact_product:
        sums = _rows(trace, delta, delta_gate, slice(None), _exact_product)
    else:
        sums = _threaded(trace, delta, delta_gate)
    Delta, Delta_gate, beta = sums
    for j, value in Delta.items():
        _check_finite(value, "Δ", j, network)
    D = {j: _d(Delta[j], network.theta(j), lam, m) for j in Delta}
    D_gate = {j: _d(Delta_gate[j], network.layers[j - 1].gate, lam, m) for j in Delta_gate}
    D_beta = {j: float(b) / m for j, b in beta.items()}
    return Gradients(trace, Y, lam, chosen, delta, Delta, D, delta_gate, Delta_gate, D_gate, D_beta)


def _work(network: Network) -> int:
    """Multiply-adds per example of backward: about twice forward's."""
    return 2 * sum(layer.theta.size for layer in network.layers)


def _product(network: Network, m: int) -> Product:
    """How backward sums products for m examples: exactly rounded for small work (as
    forward's nncalc.small), through BLAS otherwise."""
    return _exact_product if m * _work(network) <= small.WORK else np.matmul


@dataclass(frozen=True)
class Errors:
    """Bounds on how far backward's values may be from the exact ones, a row per example,
    by layer j: of back(j) (``back``), δ^(j) (``delta``) and δ_gate^(j) (``delta_gate``).

    They start from forward's bounds on z^(j), a^(j) and u^(j) (Trace.bounds): δ^(L)
    carries the error of a^(L); each sum (Θ^(j))ᵀδ^(j+1) adds γ_n·Σ|terms| (n terms) and
    carries the errors of δ^(j+1) along |Θ^(j)|; g′ moves with z by at most its curvature
    times the bound on z (infinitely across a kink: derivatives.prime_spread), and g′
    and its product add G_ULPS ulps. Products of two errors are bounded through the
    values plus their bounds.
    """

    back: dict[int, Array]
    delta: dict[int, Array]
    delta_gate: dict[int, Array]


def _errors(grads: Gradients) -> Errors:
    network, trace = grads.network, grads.trace
    L = network.L
    forward = trace.bounds()
    gate: dict[int, Array] = {}
    back: dict[int, Array] = {}
    with np.errstate(all="ignore"):  # an infinite bound: the digits are then not shown
        delta = {L: _output_error(grads, forward[L])}
        for j in range(L - 1, 1, -1):
            above = network.layers[j - 1]
            n = above.units * (1 if above.gate is None else 2)
            sizes = np.abs(grads.delta[j + 1]) @ np.abs(above.theta[:, 1:])
            carried = (small.gamma(n) * np.abs(grads.delta[j + 1]) + delta[j + 1]) @ np.abs(
                above.theta[:, 1:]
            )
            if above.gate is not None:
                gated = np.abs(grads.delta_gate[j + 1])
                sizes += gated @ np.abs(above.gate[:, 1:])
                carried += (small.gamma(n) * gated + gate[j + 1]) @ np.abs(above.gate[:, 1:])
            back[j] = carried
            eps = sizes + carried  # |ε| for the exact ε too
            delta[j], gate_error = _delta_error(grads, j, eps, carried, forward[j])
            if gate_error is not None:
                gate[j] = gate_error
    return Errors(back, delta, gate)


def _output_error(grads: Gradients, bounds: tuple) -> Array:
    """The bound on δ^(L) = a^(L) − y (p·Σy − y after a softmax), as output_delta computes
    it: for σ, (1 − y)·σ(z) − y·σ(−z), each term moving as δz moves σ (forward's
    ``spread``, relative where σ saturates); for softmax, p_k·Σy − y_k, with −(1 − p_i)
    summed from the other p where y is e_i, each p moving by p·(e^(2D) − 1); and a few ulps
    of each term."""
    dz, moved, da, _ = bounds
    Y, z, h = grads.Y, grads.trace.z[grads.network.L], grads.trace.a[grads.network.L]
    d = np.abs(grads.delta[grads.network.L])
    own = G_ULPS * U
    if grads.loss.output == "sigmoid":
        tail = activations.sigmoid(-z)
        return np.abs(1 - Y) * da + np.abs(Y) * (moved + own * tail) + own * d
    if grads.loss.output in ("softmax", "log_softmax"):
        p = h if grads.loss.output == "softmax" else activations.softmax(z)
        total = Y.sum(axis=1, keepdims=True)
        sure = (Y == 1) & (total == 1)  # δ_i = −(1 − p_i), summed without cancelling
        dp = softmax_spread(np.where(sure, d, p), dz)  # of the gap |δ_i| where sure
        return np.abs(total) * dp + own * ((np.abs(total) * p + np.abs(Y)) * ~sure + d)
    return da + U * d


def softmax_spread(p: Array, dz: Array) -> Array:
    """How far softmax(z) may move for z within dz: p_i·(e^(2D) − 1), D = max dz, plus
    a few ulps of its own (and the smallest subnormal, for a p that underflows)."""
    D = dz.max(axis=1, keepdims=True)
    with np.errstate(over="ignore", invalid="ignore"):  # an infinite bound shows no digit
        return p * np.expm1(2 * D) * 1.01 + G_ULPS * U * p + 2.0**-1074


def _delta_error(
    grads: Gradients, j: int, eps: Array, carried: Array, bounds: tuple
) -> tuple[Array, Array | None]:
    """The bounds on δ^(j) (and δ_gate^(j)) from those on ε = what layer j+1 sends back
    (``carried``; ``eps`` bounds |ε|) and forward's on z^(j), a^(j) and u^(j)."""
    dz, _, da, du = bounds
    layer, trace = grads.network.layers[j - 2], grads.trace
    own = G_ULPS * U * np.abs(grads.delta[j])
    if layer.gate is not None:
        z = np.abs(trace.z[j])
        s, s_prime, s_bound, s_prime_bound = swish_bounds(layer, trace.gate[j], du)
        d = np.abs(s) * carried + eps * s_bound + own
        moved = np.abs(s_prime) * dz + (z + dz) * s_prime_bound
        gated = z * np.abs(s_prime) * carried + eps * moved
        return d, gated + G_ULPS * U * np.abs(grads.delta_gate[j])
    if layer.activation == "softmax":
        p = trace.a[j] + da
        row = (carried * p).sum(axis=1, keepdims=True)
        reach = eps + (eps * p).sum(axis=1, keepdims=True)
        return p * (carried + row) + da * reach + p * (eps * da).sum(
            axis=1, keepdims=True
        ) + own, None
    if layer.activation == "log_softmax":
        p = activations.softmax(trace.z[j])
        dp = softmax_spread(p, dz)
        total = carried.sum(axis=1, keepdims=True)
        return carried + (p + dp) * total + dp * eps.sum(axis=1, keepdims=True) + own, None
    g_prime, moved = prime_bound(layer, trace.z[j], dz)
    return np.abs(g_prime) * carried + eps * moved + own, None


def prime_bound(layer: Layer, z: Array, dz: Array) -> tuple[Array, Array]:
    """g′(z) and how far it may be from g′ at the exact z (within dz of z): what moving z
    does (derivatives.prime_spread) and G_ULPS ulps of its own."""
    g_prime = derivatives.prime(layer.g, z)
    return g_prime, derivatives.prime_spread(layer.g, z, dz) + G_ULPS * U * np.abs(g_prime)


def swish_bounds(layer: Layer, u: Array, du: Array) -> tuple[Array, Array, Array, Array]:
    """Swish_β(u) and Swish_β′(u) = silu′(βu) of a SwiGLU layer, and how far each may be
    from its value at the exact u (within du of u): at most sup |silu′| and β·sup |silu″|
    times du, and G_ULPS ulps of their own."""
    b = layer.swish_beta
    with np.errstate(all="ignore"):  # an infinite bound: the digits are then not shown
        s, s_prime = activations.swish(u, b), derivatives.silu_prime(b * u)
        own = G_ULPS * U
        s_bound = derivatives.SILU_SLOPE * du + own * np.abs(s)
        s_prime_bound = derivatives.CURVATURE["silu"] * b * du + own * np.abs(s_prime)
    return s, s_prime, s_bound, s_prime_bound


def _d(Delta: Array, theta: Array, lam: float, m: int) -> Array:
    """D = (1/m)·Δ + (λ/m)·Θ, written (Δ + λΘ)/m, with the bias column not regularised."""
    D = Delta.copy()
    if lam:
        D[:, 1:] += lam * theta[:, 1:]
    D /= m
    return D


Sums = tuple[dict[int, Array], dict[int, Array], dict[int, float]]


def _rows(
    trace: Trace,
    delta: dict[int, Array],
    delta_gate: dict[int, Array],
    rows: slice,
    product: Product,
) -> Sums:
    """δ^(j) of the examples ``rows`` for j = L−1 … 2 (written into delta), and those
    examples' share of every Δ^(j) (and the gate's Δ, and Σ ∂J/∂β before the 1/m)."""
    network = trace.network
    Delta: dict[int, Array] = {}
    Delta_gate: dict[int, Array] = {}
    beta: dict[int, float] = {}
    for j in range(network.L - 1, 0, -1):
        layer = network.layers[j - 1]
        a = trace.a[j][rows]
        d = delta[j + 1][rows]
        Delta[j] = _outer(d, a, product)
        if layer.gate is not None:
            Delta_gate[j] = _outer(delta_gate[j + 1][rows], a, product)
        if j == 1:
            break
        eps = product(d, layer.theta[:, 1:])  # (Θ^(j))ᵀ δ^(j+1), bias row dropped
        if layer.gate is not None:
            eps += product(delta_gate[j + 1][rows], layer.gate[:, 1:])
        below = network.layers[j - 2]  # the layer that made a^(j)
        z = trace.z[j][rows]
        if below.gate is None:
            derivatives.vjp(below.g, z, trace.a[j][rows], eps, out=delta[j][rows])
            _check_finite(delta[j][rows], "δ", j, network)
            continue
        u, b = trace.gate[j][rows], below.swish_beta
        with np.errstate(over="ignore"):
            bu = b * u
        delta[j][rows] = eps * activations.swish(u, b)
        delta_gate[j][rows] = eps * z * derivatives.silu_prime(bu)
        _check_finite(delta[j][rows], "δ", j, network)
        _check_finite(delta_gate[j][rows], "δ_gate", j, network)
        if below.beta is not None:
            beta[j - 1] = float(np.sum(eps * z * u * u * derivatives.sigmoid_prime(bu)))
    return Delta, Delta_gate, beta


def _outer(d: Array, a: Array, product: Product) -> Array:
    """Σ over the examples of δ (a row each) times [1, a]: Δ's share, s_(j+1) × (s_j + 1)."""
    out = np.empty((d.shape[1], a.shape[1] + 1))
    out[:, :1] = product(d.T, np.ones((d.shape[0], 1)))
    out[:, 1:] = product(d.T, a)
    return out


def _exact_product(A: Array, B: Array) -> Array:
    """A·B with every entry exactly rounded (nncalc.small.dot)."""
    columns = B.T.tolist()
    rows = [[small.dot(row, col, 0) for col in columns] for row in A.tolist()]
    return np.array(rows, dtype=np.float64).reshape(A.shape[0], B.shape[1])


def _threaded(trace: Trace, delta: dict[int, Array], delta_gate: dict[int, Array]) -> Sums:
    """_rows over chunks of examples, one worker thread per core with BLAS on one thread
    each, every worker summing the Δ of its own chunks; then the workers' sums added."""
    m = len(trace)
    workers = max(1, min(os.cpu_count() or 1, -(-m // CHUNK_ROWS)))
    starts = range(0, m, CHUNK_ROWS)

    def work(w: int) -> Sums:
        total: Sums = ({}, {}, {})
        for start in starts[w::workers]:
            part = _rows(trace, delta, delta_gate, slice(start, start + CHUNK_ROWS), np.matmul)
            _add(total, part)
        return total

    with one_blas_thread(workers > 1), ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(work, range(workers)))
    total = results[0]
    for part in results[1:]:
        _add(total, part)
    return total


def _add(total: Sums, part: Sums) -> None:
    """total += part, dictionary by dictionary (in place where total has the key)."""
    for into, more in zip(total, part, strict=True):
        for j, value in more.items():
            if j in into:
                into[j] += value
            else:
                into[j] = value


def _check_defined(trace: Trace) -> None:
    """Refuse a step layer with a z exactly 0, where the step's derivative is not defined."""
    network = trace.network
    for j, layer in enumerate(network.layers[:-1], start=2):
        if layer.activation == "step" and (trace.z[j] == 0).any():
            k, i = np.argwhere(trace.z[j] == 0)[0]
            raise NNCalcError.at(
                f"layer {j}: z_{i + 1}^({j}) = 0 (example {k + 1}), where the step's derivative "
                "is not defined; elsewhere it is 0, so a step layer passes back no gradient",
                network.source,
                hint="use sigmoid for a step that backpropagation can learn",
            )


def _check_finite(values: Array, name: str, j: int, network: Network) -> None:
    """Refuse δ or Δ past float64's range (two reductions: NaN and ±inf show in them)."""
    if values.size and not (np.isfinite(values.max()) and np.isfinite(values.min())):
        raise NNCalcError.at(
            f"{name}^({j}) overflows float64 (beyond ±1.8e308)",
            network.source,
            hint="the weights, inputs or labels are too large",
        )
