"""Why non-linearity? Layers whose g is the identity collapse into one linear layer."""

from __future__ import annotations

import numpy as np

from nncalc.network import Array, Network

LINEAR = ("identity",)


class NotLinearError(ValueError):
    """The network has a layer with a non-linear g, so it is no single Θ."""

    def __init__(self, j: int, activation: str) -> None:
        super().__init__(f"layer {j} applies {activation}, which is not linear")
        self.j, self.activation = j, activation


def collapse(network: Network) -> Array:
    """The Θ with h_Θ(x) = Θ·[1; x] for a network whose every g is the identity.

    With a^(j) = T·[1; x], [1; a^(j)] = [e_0; T]·[1; x], so Θ^(j) and T make
    Θ^(j)·[e_0; T]: depth without non-linearity is one matrix product.
    """
    for j, layer in enumerate(network.layers, start=2):
        if layer.activation not in LINEAR:
            raise NotLinearError(j, layer.activation)
    theta = network.layers[0].theta
    for layer in network.layers[1:]:
        e0 = np.zeros((1, theta.shape[1]))
        e0[0, 0] = 1.0
        theta = layer.theta @ np.vstack([e0, theta])
    return theta
