"""Forward propagation as Rich tables, in the lecture's notation."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from nncalc.network import Array, Network, Trace
from nncalc.render import style
from nncalc.render.numbers import exact, fmt, vector
from nncalc.summary import HEADERS, g_symbol, role, rows


def summary(network: Network) -> Table:
    """Sizes s_j, activations g and the parameters of each Θ^(j)."""
    title = network.name or "Network"
    table = style.table(title, title_style="bold")
    for header in HEADERS:
        table.add_column(header, justify="left" if header in ("layer j", "g") else "right")
    body, total = rows(network)
    for row in body:
        table.add_row(*row)
    table.add_section()
    table.add_row("total", "", "", "", total)
    return table


def example(trace: Trace, k: int, name: str | None, precision: int) -> Group:
    """Every layer of example k: a_0 = 1 and x, then z_i^(j) and a_i^(j) = g(z_i^(j))."""
    network = trace.network
    x = trace.a[1][k]
    title = f"Example {k + 1}" + (f": {name}" if name else "")
    parts: list[RenderableType] = [
        Text(f"{title}   x = {vector([fmt(v, precision) for v in x])}", style="bold")
    ]
    parts.append(_input_table(x, precision))
    outputs: list[str] = []
    for j in range(2, network.L + 1):
        table, notes, shown = _layer_table(trace, j, k, precision)
        parts.append(table)
        parts.extend(Text(f"  {note}", style="dim") for note in notes)
        outputs = shown
    parts.append(Text(f"h_Θ(x) = a^({network.L}) = {vector(outputs)}", style="bold"))
    if network.sizes[-1] > 1:
        unit = int(trace.predictions[k])
        label = f" ({network.classes[unit - 1]})" if network.classes else ""
        parts.append(
            Text(f"prediction: unit {unit} of {network.sizes[-1]}{label}", style="bold green")
        )
    return Group(*parts, Text(""))


def _input_table(x: Array, precision: int) -> Table:
    table = _table("Layer 1 (input)")
    table.add_column("i", justify="right")
    table.add_column("a_i^(1)", justify="right")
    table.add_column("", style="dim")
    table.add_row("0", "1", "bias unit a_0^(1)")
    for i, v in enumerate(x, start=1):
        table.add_row(str(i), fmt(v, precision), f"x_{i}")
    return table


def _layer_table(
    trace: Trace, j: int, k: int, precision: int
) -> tuple[Table, list[str], list[str]]:
    """The table of layer j for example k, its footnotes, and a^(j) as shown."""
    network = trace.network
    layer = network.layers[j - 2]
    g = g_symbol(layer.activation)
    swiglu = layer.gate is not None
    table = _table(f"Layer {j} ({role(network, j)}) · g = {g}")
    table.add_column("i", justify="right")
    table.add_column(f"z_i^({j})", justify="right")
    if swiglu:
        table.add_column(f"gate u_i^({j})", justify="right")
        table.add_column(f"a_i^({j}) = z·Swish_{layer.swish_beta:g}(u)", justify="right")
    else:
        table.add_column(f"a_i^({j}) = {g}(z_i^({j}))", justify="right")
    if j < network.L:
        table.add_row("0", "", *([""] if swiglu else []), Text("1  bias unit", style="dim"))
    notes: list[str] = []
    shown: list[str] = []
    for i, (zi, (text, why)) in enumerate(
        zip(trace.z[j][k], exact_layer(trace, j, k, precision), strict=True), 1
    ):
        if why:
            value = "" if layer.activation == "softmax" else f" = {g}({fmt(zi, precision)})"
            notes.append(f"* a_{i}^({j}){value} = {text}: {why}")
        cells = [fmt(zi, precision)]
        if swiglu:
            cells.append(fmt(trace.gate[j][k][i - 1], precision))
        table.add_row(str(i), *cells, text + (" *" if why else ""))
        shown.append(text)
    return table, notes, shown


def exact_layer(trace: Trace, j: int, k: int, precision: int) -> list[tuple[str, str | None]]:
    """a^(j) of example k as shown, and why where that is not plain rounding (numbers.exact):
    1 − gap for values that round to ±1, the full value for those stored as 0."""
    g = trace.network.layers[j - 2].g
    z = trace.z[j][k : k + 1]
    gaps = _unit_values(g and g.gap, z)
    logs = _unit_values(g and g.log, z)
    return [
        exact(float(a), gap, log, precision)
        for a, gap, log in zip(trace.a[j][k], gaps, logs, strict=True)
    ]


def _unit_values(f: Callable[[Array], Array] | None, z: Array) -> list[float | None]:
    """f(z) for each unit of one example (z is a batch of one), or None per unit."""
    return [None] * z.shape[1] if f is None else [float(v) for v in f(z)[0]]


def _table(title: str) -> Table:
    return style.table(title, title_style="italic")
