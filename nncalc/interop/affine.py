"""Affine maps beside a layer, folded into its Θ = [b | W].

A map y = s ⊙ v + t of each unit (s and t one number per unit, or one for all) that
follows a layer's z changes its rows: diag(s)·Θ, then t added to the biases. One that
precedes a layer (a scaler in front of the first, a BatchNorm after an activation) changes
its columns: W·diag(s), and b + W·t. BatchNorm in eval mode is such a map, with
s = γ/√(σ² + ε) and t = β − μ·s. Each number of the folded Θ is computed in float64 from
the stored ones (b + W·t as an exactly added sum of rounded products), so the network
nncalc computes differs from the model's own by that rounding only.
"""

from __future__ import annotations

import math

import numpy as np

from nncalc.network import Array


def batchnorm(
    gamma: Array, beta: Array, mean: Array, var: Array, eps: float
) -> tuple[Array, Array]:
    """(s, t) of a BatchNorm in eval mode: y = s ⊙ v + t, s = γ/√(σ² + ε), t = β − μ·s."""
    s = gamma / np.sqrt(var + eps)
    return s, beta - mean * s


def after(theta: Array, s: Array | float = 1.0, t: Array | float = 0.0) -> Array:
    """Θ of z' = s ⊙ z + t, z = Θ·[1; a]."""
    folded = theta * np.reshape(s, (-1, 1))
    folded[:, 0] += t
    return folded


def after_batchnorm(
    theta: Array, gamma: Array, beta: Array, mean: Array, var: Array, eps: float
) -> Array:
    """Θ followed by a BatchNorm: rows times s = γ/√(σ² + ε), biases (b − μ)·s + β."""
    s = gamma / np.sqrt(var + eps)
    folded = theta * s[:, None]
    folded[:, 0] = (theta[:, 0] - mean) * s + beta
    return folded


def divided(theta: Array, d: Array | float) -> Array:
    """Θ reading a' = a / d: W's columns divided by d, rounded once each."""
    return np.column_stack([theta[:, 0], theta[:, 1:] / np.reshape(d, (1, -1))])


def before(theta: Array, s: Array | float = 1.0, t: Array | float = 0.0) -> Array:
    """Θ reading a' = s ⊙ a + t: W·diag(s), b + W·t."""
    W, b = theta[:, 1:], theta[:, 0]
    t = np.broadcast_to(np.asarray(t, np.float64), (W.shape[1],))
    bias = np.array([math.fsum([b_i, *(w * t)]) for b_i, w in zip(b, W, strict=True)])
    return np.column_stack([bias, W * np.reshape(s, (1, -1))])
