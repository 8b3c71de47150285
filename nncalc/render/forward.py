"""Forward propagation as Rich tables, in the lecture's notation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from nncalc import small
from nncalc.render import escape, style
from nncalc.render.elide import MAX_UNITS, shown
from nncalc.render.numbers import exact, fmt, vector
from nncalc.render.style import Fitted
from nncalc.summary import HEADERS, g_symbol, role, rows

if TYPE_CHECKING:  # no NumPy here: the tables of a small network print without it
    from nncalc.network import Array, Layer, Network, Trace


def show(trace: Trace, names: list[str | None], precision: int, view: View, layers: bool) -> None:
    """Print forward propagation as tables: every layer of each example, only the view's
    layer / unit, or (for many examples, without ``layers``) one row per example."""
    console = style.console()
    if view.whole:
        console.print(summary(trace.network))
    if view.whole and not layers and len(trace) > COMPACT_AFTER:
        console.print(examples(trace, names, precision, view.limit))
        return
    for k in range(len(trace)):
        console.print(example(trace, k, names[k], precision, view))


def summary(network: Network) -> Fitted:
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


@dataclass(frozen=True)
class View:
    """What of each example to show: wide layers elided to ``limit`` units (None: all),
    or only ``layer`` J and / or unit ``unit`` I."""

    limit: int | None = MAX_UNITS
    layer: int | None = None
    unit: int | None = None

    def units(self, size: int) -> list[int | None]:
        """The units i of a layer of ``size`` shown; None marks the elided middle."""
        if self.unit is not None:
            return [self.unit] if self.unit <= size else []
        return shown(size, self.limit)

    def layers(self, L: int) -> list[int]:
        return [self.layer] if self.layer is not None else list(range(1, L + 1))

    @property
    def whole(self) -> bool:
        """Every layer and unit (not a focus on one): the summary and h_Θ(x) belong."""
        return self.layer is None and self.unit is None


WHOLE = View()
"""The default view: every layer, wide ones elided."""

COMPACT_AFTER = 5
"""More examples than this show as one table, a row per example (see ``examples``)."""

COMPACT_UNITS = 4
"""Vectors in the one-row-per-example table show the first value, …, the last 2."""


def theta_symbol(layer: Layer, i: int, m: int, j: int) -> str:
    """Θ_im^(j), or Θ_i,m^(j) when an index can have two digits (Θ_7,30^(2), not Θ_730^(2))."""
    comma = "," if max(layer.units, layer.inputs) >= 10 else ""
    return f"Θ_{i}{comma}{m}^({j})"


def heading(trace: Trace, k: int, name: str | None, precision: int, limit: int | None) -> str:
    """Example k's heading: its number, its name and x, elided when long."""
    title = f"Example {k + 1}" + (f": {escape.terminal(name)}" if name else "")
    return f"{title}   x = {vector(trace.a[1][k], limit, precision=precision)}"


def example(trace: Trace, k: int, name: str | None, precision: int, view: View = WHOLE) -> Group:
    """Every layer of example k: a_0 = 1 and x, then z_i^(j) and a_i^(j) = g(z_i^(j))."""
    network = trace.network
    parts: list[RenderableType] = [
        Text(heading(trace, k, name, precision, view.limit), style="bold")
    ]
    for j in view.layers(network.L):
        if j == 1:
            parts.append(_input_table(trace.a[1][k], precision, view))
            continue
        table, notes = _layer_table(trace, j, k, precision, view)
        parts.append(table)
        parts.extend(Text(f"  {note}", style="dim") for note in notes)
    if view.whole:
        outputs = [text for text, _ in exact_layer(trace, network.L, k, precision)]
        parts.append(
            Text(f"h_Θ(x) = a^({network.L}) = {vector(outputs, view.limit)}", style="bold")
        )
        if network.sizes[-1] > 1:
            parts.append(Text(f"prediction: {prediction(trace, k)}", style="bold green"))
    return Group(*parts, Text(""))


def prediction(trace: Trace, k: int, of: bool = True) -> str:
    """unit 4 of 4 (truck): the predicted class of example k (``of``: out of how many)."""
    network = trace.network
    unit = int(trace.predictions[k])
    label = f" ({escape.terminal(network.classes[unit - 1])})" if network.classes else ""
    return f"unit {unit}" + (f" of {network.sizes[-1]}" if of else "") + label


def examples(
    trace: Trace, names: list[str | None], precision: int, limit: int | None = MAX_UNITS
) -> Fitted:
    """One row per example: x and h_Θ(x) (elided unless ``limit`` is None), and the
    prediction; for many examples."""
    width = None if limit is None else COMPACT_UNITS
    network = trace.network
    table = _table(f"{len(trace):,} examples (--layers: every layer of each)")
    table.add_column("example", justify="right")
    named = any(names)
    if named:
        table.add_column("name")
    table.add_column(f"x ({network.sizes[0]} inputs)")
    table.add_column(f"h_Θ(x) = a^({network.L})")
    classes = network.sizes[-1] > 1
    if classes:
        table.add_column("prediction")
    h = [
        [text for text, _ in exact_layer(trace, network.L, k, precision)] for k in range(len(trace))
    ]
    for k, (x, y) in enumerate(zip(trace.a[1], h, strict=True)):
        cells = [str(k + 1), *([names[k] or ""] if named else [])]
        cells += [vector(x, width, "…", precision), vector(y, width, "…")]
        if classes:
            cells.append(prediction(trace, k, of=False))
        table.add_row(*cells)
    return table


def _input_table(x: Array, precision: int, view: View) -> Table:
    table = _table("Layer 1 (input)")
    table.add_column("i", justify="right")
    table.add_column("a_i^(1)", justify="right")
    table.add_column("", style="dim")
    if view.unit is None:
        table.add_row("0", "1", "bias unit a_0^(1)")
    for i in view.units(len(x)):
        if i is None:
            table.add_row(*_dots(len(x), view))
        else:
            table.add_row(str(i), fmt(x[i - 1], precision), f"x_{i}")
    return table


def _dots(size: int, view: View, columns: int = 3) -> list[str]:
    """The row that stands for the units a table leaves out: ⋮ and how many."""
    hidden = size - len(view.units(size)) + 1
    return ["⋮", f"⋮ {hidden} more", *["⋮"] * (columns - 2)]


def _layer_table(
    trace: Trace, j: int, k: int, precision: int, view: View
) -> tuple[Table, list[str]]:
    """The table of layer j for example k, and its footnotes."""
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
    if j < network.L and view.unit is None:
        table.add_row("0", "", *([""] if swiglu else []), Text("1  bias unit", style="dim"))
    notes: list[str] = []
    zs = z_layer(trace, j, k, precision)
    a = exact_layer(trace, j, k, precision, zs)
    for i in view.units(network.sizes[j - 1]):
        if i is None:
            table.add_row(*_dots(network.sizes[j - 1], view, 4 if swiglu else 3))
            continue
        (z, z_why), (text, why) = zs[i - 1], a[i - 1]
        notes += [f"* {z_why}"] if z_why else []
        if why:
            value = "" if small.over_layer(layer.activation) else f" = {g}({z})"
            notes.append(f"* a_{i}^({j}){value} = {text}: {why}")
        cells = [z + (" *" if z_why else "")]
        if swiglu:
            cells.append(fmt(trace.gate[j][k][i - 1], precision))
        table.add_row(str(i), *cells, text + (" *" if why else ""))
    return table, notes


def z_layer(trace: Trace, j: int, k: int, precision: int) -> list[tuple[str, str | None]]:
    """z^(j) of example k as shown, with why where a z is 0 to rounding (Trace.z_bound):
    smaller than the float64 error bound of its own sum, it shows as 0."""
    shown: list[tuple[str, str | None]] = []
    for i, (v, b) in enumerate(zip(trace.z[j][k], trace.z_bound(j, k), strict=True), 1):
        v, b = float(v), float(b)
        if v != 0 and abs(v) < b:
            why = f"z_{i}^({j}) = {fmt(v, 2)} is 0 to rounding: below the float64 error bound"
            shown.append(("0", f"{why} {fmt(b, 2)} of its sum"))
        else:
            shown.append((fmt(v, precision), None))
    return shown


def exact_layer(
    trace: Trace, j: int, k: int, precision: int, zs: list[tuple[str, str | None]] | None = None
) -> list[tuple[str, str | None]]:
    """a^(j) of example k as shown, and why where that is not plain rounding (numbers.exact):
    1 − gap for values that round to ±1, the full value for those stored as 0, and g(0)
    where z is 0 to rounding and g takes each unit alone; ``zs`` is z_layer's, if at hand."""
    layer = trace.network.layers[j - 2]
    z = [float(v) for v in trace.z[j][k]]
    shown = [
        exact(float(a), gap, log, precision)
        for a, gap, log in zip(
            trace.a[j][k],
            small.gap(layer.activation, z),
            small.log(layer.activation, z),
            strict=True,
        )
    ]
    if layer.gate is not None or small.over_layer(layer.activation):
        return shown
    zeros = [i for i, (_, why) in enumerate(zs or z_layer(trace, j, k, precision), 1) if why]
    at_zero = fmt(_at_zero(layer), precision) if zeros else ""
    for i in zeros:
        if shown[i - 1][0] != at_zero:
            computed = fmt(float(trace.a[j][k][i - 1]), 2)
            why = f"g(0), as z_{i}^({j}) is 0 to rounding (computed: {computed})"
            shown[i - 1] = (at_zero, why)
    return shown


def _at_zero(layer: Layer) -> float:
    """g(0) of a layer whose g takes each unit alone."""
    if layer.activation in small.G:
        return small.G[layer.activation]([0.0])[0]
    import numpy as np

    return float(layer.g(np.zeros((1, 1)))[0, 0])


def _table(title: str) -> Table:
    return style.table(title, title_style="italic")
