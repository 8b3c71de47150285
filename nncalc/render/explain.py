"""Show the work: each unit's derivation with the lecture's symbols and the numbers.

a_1^(2) = g(Θ_10^(1)·a_0^(1) + Θ_11^(1)·a_1^(1) + Θ_12^(1)·a_2^(1) + Θ_13^(1)·a_3^(1))
        = σ(−0.5·1 − 2·66 + 4·39 + 1.5·12) = σ(41.5) = 1 − 9.5e-19
"""

from __future__ import annotations

from nncalc import activations
from nncalc.network import Trace
from nncalc.render import digits
from nncalc.render.elide import elide
from nncalc.render.forward import WHOLE, View, prediction, theta_symbol
from nncalc.render.numbers import fmt
from nncalc.summary import unit_symbol

MAX_TERMS = 6
"""Longer sums show their first and last terms around a count of those left out."""


def unit_lines(
    trace: Trace, k: int, j: int, i: int, precision: int = 6, limit: int | None = MAX_TERMS
) -> list[str]:
    """The derivation of a_i^(j) for example k (j ≥ 2), sums elided to ``limit`` terms,
    and the footnotes of its numbers (nncalc.render.digits)."""
    return _unit_lines(trace, k, j, i, precision, limit, _shown(trace, j, k, precision))


def _shown(trace: Trace, j: int, k: int, precision: int) -> list[digits.Unit]:
    """Each unit of layer j as shown (nncalc.render.digits)."""
    return digits.example(trace, k, precision)[j]


def _inputs(trace: Trace, k: int, j: int, precision: int) -> list[str]:
    """[1; a^(j)] of example k as factors: the bias unit, then x or layer j's a as shown,
    in parentheses when negative or 1 − gap (−0.5·(−1), never −0.5·−1)."""
    if j == 1:
        shown = [fmt(v, precision) for v in trace.a[1][k].tolist()]
    else:
        shown = [u.a for u in _shown(trace, j, k, precision)]
    return ["1", *(f"({a})" if a.startswith("−") or " " in a else a for a in shown)]


def _unit_lines(
    trace: Trace,
    k: int,
    j: int,
    i: int,
    precision: int,
    limit: int | None,
    layer_shown: list[digits.Unit],
) -> list[str]:
    network = trace.network
    layer = network.layers[j - 2]
    a_prev = _inputs(trace, k, j - 1, precision)  # a_0^(j−1) = 1, the bias unit
    theta = layer.theta[i - 1].tolist()
    symbols = [f"{theta_symbol(layer, i, m, j - 1)}·a_{m}^({j - 1})" for m in range(len(a_prev))]
    numbers = [f"{fmt(w, precision)}·{v}" for w, v in zip(theta, a_prev, strict=True)]
    unit = layer_shown[i - 1]
    z, shown = unit.z, unit.a
    notes = [f"* {note}" for note in (unit.z_note, unit.u_note) if note]
    if digits.differs(unit.a_note):
        notes.append(f"* a_{i}^({j}) = {unit.a}: {unit.a_note}")
    head = f"a_{i}^({j})"
    pad = " " * len(head)
    if layer.gate is not None:
        gate = [
            f"{fmt(w, precision)}·{v}"
            for w, v in zip(layer.gate[i - 1].tolist(), a_prev, strict=True)
        ]
        beta = fmt(layer.swish_beta, precision)
        return [
            f"{head} = z_{i}^({j})·u_{i}^({j})·σ({beta}·u_{i}^({j}))",
            f"{pad}   z_{i}^({j}) = {_sum(numbers, limit)} = {z}",
            f"{pad}   u_{i}^({j}) = {_sum(gate, limit)} = {unit.u}",
            f"{pad} = {shown}",
            *notes,
        ]
    symbol = unit_symbol(layer.activation, i)
    layerwise = activations.over_layer(layer.activation)
    argument = f"z^({j})" if layerwise else z
    unit = f"_{i}" if layerwise else ""
    return [
        f"{head} = g({_sum(symbols, limit)})",
        f"{pad} = {symbol}({_sum(numbers, limit)})",
        f"{pad} = {symbol}({argument}){unit} = {shown}",
        *notes,
    ]


def example_lines(trace: Trace, k: int, precision: int = 6, view: View = WHOLE) -> list[str]:
    """Every unit's derivation for example k (wide layers elided), or those of the view's
    layer / unit."""
    lines: list[str] = []
    terms = None if view.limit is None else MAX_TERMS
    for j in view.layers(trace.network.L):
        size = trace.network.sizes[j - 1]
        shown = _shown(trace, j, k, precision) if j > 1 else []
        for i in view.units(size) if j > 1 else []:
            if i is None:
                lines += [f"⋮ {size - len(view.units(size)) + 1} more units of layer {j}", ""]
            else:
                lines += [*_unit_lines(trace, k, j, i, precision, terms, shown), ""]
    if view.whole and trace.network.sizes[-1] > 1:
        lines += [f"prediction: {prediction(trace, k)}", ""]
    return lines


def _sum(terms: list[str], limit: int | None) -> str:
    """t_0 + t_1 − t_2 …, with the middle left out (and counted) when there are many terms."""
    terms = elide(terms, lambda hidden: f"… ({hidden} more terms) …", limit)
    return terms[0] + "".join(f" − {t[1:]}" if t.startswith("−") else f" + {t}" for t in terms[1:])
