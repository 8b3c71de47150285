"""Show the work: each unit's derivation with the lecture's symbols and the numbers.

a_1^(2) = g(Θ_10^(1)·a_0^(1) + Θ_11^(1)·a_1^(1) + Θ_12^(1)·a_2^(1) + Θ_13^(1)·a_3^(1))
        = σ(-0.5·1 + -2·66 + 4·39 + 1.5·12) = σ(41.5) = 1 − 9.5e-19
"""

from __future__ import annotations

from nncalc import activations
from nncalc.network import Trace
from nncalc.render.forward import exact_layer, g_symbol
from nncalc.render.numbers import fmt

MAX_TERMS = 6
"""Longer sums show their first and last terms around a count of those left out."""


def unit_lines(
    trace: Trace, k: int, j: int, i: int, precision: int = 6, shown: str | None = None
) -> list[str]:
    """The derivation of a_i^(j) for example k (j ≥ 2); ``shown`` is a_i^(j) as text, when
    the caller has it (see forward.exact_layer)."""
    network = trace.network
    layer = network.layers[j - 2]
    a_prev = [1.0, *trace.a[j - 1][k].tolist()]  # a_0^(j−1) = 1, the bias unit
    theta = layer.theta[i - 1].tolist()
    symbols = [f"Θ_{i}{m}^({j - 1})·a_{m}^({j - 1})" for m in range(len(a_prev))]
    numbers = [
        f"{fmt(w, precision)}·{fmt(v, precision)}" for w, v in zip(theta, a_prev, strict=True)
    ]
    z = float(trace.z[j][k][i - 1])
    head = f"a_{i}^({j})"
    pad = " " * len(head)
    if layer.gate is not None:
        u = float(trace.gate[j][k][i - 1])
        gate = [
            f"{fmt(w, precision)}·{fmt(v, precision)}"
            for w, v in zip(layer.gate[i - 1].tolist(), a_prev, strict=True)
        ]
        beta = fmt(layer.swish_beta, precision)
        return [
            f"{head} = z_{i}^({j})·u_{i}^({j})·σ({beta}·u_{i}^({j}))",
            f"{pad}   z_{i}^({j}) = {_sum(numbers)} = {fmt(z, precision)}",
            f"{pad}   u_{i}^({j}) = {_sum(gate)} = {fmt(u, precision)}",
            f"{pad} = {shown or exact_layer(trace, j, k, precision)[i - 1][0]}",
        ]
    symbol = g_symbol(layer.activation)
    shown = shown or exact_layer(trace, j, k, precision)[i - 1][0]
    layerwise = activations.over_layer(layer.activation)
    argument = f"z^({j})" if layerwise else fmt(z, precision)
    unit = f"_{i}" if layerwise else ""
    return [
        f"{head} = g({_sum(symbols)})",
        f"{pad} = {symbol}({_sum(numbers)})",
        f"{pad} = {symbol}({argument}){unit} = {shown}",
    ]


def example_lines(
    trace: Trace, k: int, precision: int = 6, layer: int | None = None, unit: int | None = None
) -> list[str]:
    """Every unit's derivation for example k, or only those of ``layer`` / ``unit``."""
    lines: list[str] = []
    for j in range(2, trace.network.L + 1):
        if layer is not None and j != layer:
            continue
        shown = exact_layer(trace, j, k, precision)
        for i in range(1, trace.network.sizes[j - 1] + 1):
            if unit is None or i == unit:
                lines += [*unit_lines(trace, k, j, i, precision, shown[i - 1][0]), ""]
    return lines


def _sum(terms: list[str]) -> str:
    """t_0 + t_1 + …, with the middle left out (and counted) when there are many terms."""
    if len(terms) > MAX_TERMS:
        hidden = len(terms) - 5
        terms = [*terms[:3], f"… ({hidden} more terms) …", *terms[-2:]]
    return " + ".join(terms)
