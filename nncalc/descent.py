"""Gradient descent: Θ^(j) := Θ^(j) − α·D^(j), one step after another.

Each step is one forward pass and one backward pass over all m examples (batch gradient
descent, as the course's). A SwiGLU layer's gate matrix and learned β step alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from itertools import islice
from typing import Any

import numpy as np

from nncalc.activations import number
from nncalc.backprop import Gradients, backward
from nncalc.errors import NNCalcError
from nncalc.network import Network


def descend(
    network: Network,
    X: object,
    Y: object,
    alpha: float,
    lam: float = 0.0,
    loss: str | None = None,
) -> Iterator[tuple[Network, Gradients]]:
    """Θ and its gradients before each step, for ever: the first item is the network as
    given, the next one step of size α = ``alpha`` further, and so on; the cost J(Θ) of
    each is ``gradients.cost.J``."""
    if not (math.isfinite(alpha) and alpha > 0):
        raise NNCalcError.at(
            f"the learning rate α must be a positive number, found {number(alpha)}"
        )
    X = network.batch(X)
    while True:
        grads = backward(network.forward(X), Y, lam, loss)
        yield network, grads
        network = step(network, grads, alpha)


def step(network: Network, grads: Gradients, alpha: float) -> Network:
    """The network one step down the gradient: Θ^(j) − α·D^(j) for every j."""
    layers = []
    for j, layer in enumerate(network.layers, start=1):
        changes: dict[str, Any] = {"theta": layer.theta - alpha * grads.D[j]}
        if layer.gate is not None:
            changes["gate"] = layer.gate - alpha * grads.D_gate[j]
        if layer.beta is not None:
            changes["beta"] = layer.beta - alpha * grads.D_beta[j]
        _check(changes, j, network)
        layers.append(replace(layer, **changes))
    return replace(network, layers=tuple(layers), source=None)


def _check(changes: dict[str, Any], j: int, network: Network) -> None:
    """Refuse a step that left float64's range, or a β that is no longer positive."""
    for key, value in changes.items():
        if not np.isfinite(np.asarray(value)).all():
            raise NNCalcError.at(
                f"Θ^({j}) overflows float64 after the step ({key})",
                network.source,
                hint="a smaller α",
            )
    beta = changes.get("beta")
    if beta is not None and not float(beta) > 0:
        raise NNCalcError.at(
            f"the step makes β of Θ^({j})'s SwiGLU layer {beta}, and β must be positive",
            network.source,
            hint="a smaller α",
        )


def minimise(
    network: Network,
    X: object,
    Y: object,
    alpha: float,
    steps: int,
    lam: float = 0.0,
    loss: str | None = None,
) -> tuple[Network, list[float]]:
    """The network after ``steps`` steps, and J before each step and after the last."""
    if steps < 1:
        raise NNCalcError.at(f"{steps} steps: give 1 or more")
    walk = list(islice(descend(network, X, Y, alpha, lam, loss), steps + 1))
    return walk[-1][0], [grads.cost.J for _, grads in walk]
