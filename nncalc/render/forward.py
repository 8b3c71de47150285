"""Forward propagation as Rich tables, in the lecture's notation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from nncalc import small
from nncalc.render import digits, escape, style
from nncalc.render.elide import MAX_UNITS, shown
from nncalc.render.numbers import fmt, vector
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
    said = [escape.terminal(network.classes[unit - 1])] if network.classes else []
    said += [network.index(unit)] if getattr(network, "framework", None) else []
    label = f" ({', '.join(said)})" if said else ""
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
    units = digits.example(trace, k, precision)[j]
    for i in view.units(network.sizes[j - 1]):
        if i is None:
            table.add_row(*_dots(network.sizes[j - 1], view, 4 if swiglu else 3))
            continue
        unit = units[i - 1]
        notes += [f"* {unit.z_note}"] if unit.z_note else []
        if unit.a_note:
            value = "" if small.over_layer(layer.activation) else f" = {g}({unit.z})"
            notes.append(f"* a_{i}^({j}){value} = {unit.a}: {unit.a_note}")
        cells = [unit.z + (" *" if unit.z_note else "")]
        if swiglu:
            cells.append(unit.u + (" *" if unit.u_note else ""))
            notes += [f"* u_{i}^({j}) = {unit.u}: {unit.u_note}"] if unit.u_note else []
        table.add_row(str(i), *cells, unit.a + (" *" if unit.a_note else ""))
    return table, notes


def z_layer(trace: Trace, j: int, k: int, precision: int) -> list[tuple[str, str | None]]:
    """z^(j) of example k as shown (nncalc.render.digits), each with its footnote or None."""
    return [(unit.z, unit.z_note) for unit in digits.example(trace, k, precision)[j]]


def exact_layer(trace: Trace, j: int, k: int, precision: int) -> list[tuple[str, str | None]]:
    """a^(j) of example k as shown (nncalc.render.digits), each with its footnote or None:
    digits of the exact value, 1 − gap for values that round to ±1, the full value for
    those stored as 0."""
    return [(unit.a, unit.a_note) for unit in digits.example(trace, k, precision)[j]]


def _table(title: str) -> Table:
    return style.table(title, title_style="italic")
