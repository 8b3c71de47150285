"""Backpropagation as tables, --explain and JSON, in the lecture's notation.

Each example's δ^(j), layer by layer from the output (L) down to 2: what layer j+1 sends
back, (Θ^(j))ᵀδ^(j+1), times g′(z^(j)); then D^(j) = ∂J/∂Θ^(j) (and Δ^(j), the sum over
the examples, when it differs) for every Θ^(j).
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from nncalc import activations
from nncalc.backprop import Gradients, prime_bound, softmax_spread, swish_bounds
from nncalc.render import digits, style
from nncalc.render.cost import cost_lines
from nncalc.render.digits import GAP_DIGITS
from nncalc.render.elide import shown
from nncalc.render.explain import MAX_TERMS, _sum
from nncalc.render.forward import (
    COMPACT_AFTER,
    WHOLE,
    View,
    exact_layer,
    g_symbol,
    heading,
    role,
    theta_symbol,
)
from nncalc.render.json import network_document
from nncalc.render.numbers import certain, fmt, ones, vector
from nncalc.summary import unit_symbol


def prime_shown(grads: Gradients, j: int, k: int, precision: int) -> list[tuple[str, bool]]:
    """g′(z^(j)) of example k as shown, within the bound backprop.prime_bound gives it."""
    dz = grads.trace.bounds()[j][0][k]
    values, bounds = prime_bound(grads.network.layers[j - 2], grads.trace.z[j][k], dz)
    return [certain(v, b, precision) for v, b in zip(values, bounds, strict=True)]


def gate_shown(grads: Gradients, j: int, k: int, precision: int) -> tuple[list, list]:
    """Swish_β(u^(j)) and Swish_β′(u^(j)) of example k as shown (a SwiGLU layer), within
    the bounds backprop.swish_bounds gives them."""
    du = grads.trace.bounds()[j][3][k]
    swish, slope, *bounds = swish_bounds(grads.network.layers[j - 2], grads.trace.gate[j][k], du)
    return [
        [certain(v, e, precision) for v, e in zip(values, error, strict=True)]
        for values, error in zip((swish, slope), bounds, strict=True)
    ]


def p_shown(grads: Gradients, k: int, precision: int) -> list[tuple[str, bool]]:
    """p = softmax(z^(L)) of example k as shown, after a log_softmax (whose a is log p);
    a p that rounds to 1 but is not 1 as 1 − gap (the gap summed from the other p), as
    forward shows a."""
    z = grads.trace.z[grads.network.L][k][None, :]
    dz = grads.trace.bounds()[grads.network.L][0][k][None, :]
    p, gap = activations.softmax(z)[0], activations.ACTIVATIONS["softmax"].gap(z)[0]
    bounds, gap_bounds = (softmax_spread(v[None, :], dz)[0] for v in (p, gap))
    shown = []
    for v, b, g, gb in zip(p, bounds, gap, gap_bounds, strict=True):
        text, marked = certain(v, b, precision)
        if text in ones(precision) and g > 0:
            gap_text, gap_marked = certain(g, gb, GAP_DIGITS)
            text, marked = f"1 − {gap_text}", marked or gap_marked
        shown.append((text, marked))
    return shown


def note(symbol: str, value: float, bound: float, text: str) -> str:
    """The footnote of a value that numbers.certain marked."""
    error = f"its float64 error bound {fmt(bound, 2)}"
    if text == "0":
        return f"* {symbol} = {fmt(value, 2)} is 0 to rounding: below {error}"
    if text == "?":
        return f"* {symbol} = {fmt(value, 2)} is not certain to one digit: {error}"
    return f"* {symbol} is shown to the digits that {error} leaves certain"


def sent_shown(grads: Gradients, j: int, k: int, precision: int) -> list[tuple[str, bool]]:
    """(Θ^(j))ᵀδ^(j+1) of example k as shown: the digits its bound (Gradients.errors)
    leaves certain (numbers.certain)."""
    bounds = grads.errors.back[j][k]
    return [certain(v, b, precision) for v, b in zip(grads.back(j, k), bounds, strict=True)]


def delta_shown(
    grads: Gradients, j: int, k: int, precision: int, gate: bool = False
) -> list[tuple[str, bool]]:
    """δ^(j) (or δ_gate^(j)) of example k as shown: the digits its bound leaves certain."""
    values = (grads.delta_gate if gate else grads.delta)[j][k]
    bounds = (grads.errors.delta_gate if gate else grads.errors.delta)[j][k]
    return [certain(v, b, precision) for v, b in zip(values, bounds, strict=True)]


def notes(grads: Gradients, j: int, k: int, precision: int) -> list[str | None]:
    """The footnote of each δ_i^(j) of example k (None for those shown as float64's value
    at ``precision`` digits; else 0 to rounding, or fewer digits)."""
    values, bounds = grads.delta[j][k], grads.errors.delta[j][k]
    return [
        note(f"δ_{i}^({j})", values[i - 1], bounds[i - 1], text) if marked else None
        for i, (text, marked) in enumerate(delta_shown(grads, j, k, precision), start=1)
    ]


def _marked(shown_values: list[tuple[str, bool]]) -> list[str]:
    return [text + (" *" if zero else "") for text, zero in shown_values]


def show(grads: Gradients, names: list[str | None], precision: int, view: View) -> None:
    """Print J, each example's δ tables (for at most COMPACT_AFTER examples, or the view's
    layer / unit) and every Θ^(j)'s D (and Δ)."""
    console = style.console()
    console.print(Group(*(Text(line) for line in cost_lines(grads.cost, precision)), Text("")))
    many = len(grads.trace) > COMPACT_AFTER and view.whole
    if many:
        console.print(
            Text(f"δ^(j) of each of the {len(grads.trace):,} examples: --json", style="dim")
        )
    else:
        for k in range(len(grads.trace)):
            console.print(example(grads, k, names[k], precision, view))
    if view.unit is None:
        for j in view_thetas(grads, view):
            console.print(*gradient_tables(grads, j, precision, view.limit))


def view_thetas(grads: Gradients, view: View) -> list[int]:
    """The Θ^(j) whose D the view shows: every one, or that of --layer J (Θ^(J−1))."""
    if view.layer is None:
        return list(range(1, grads.network.L))
    return [view.layer - 1] if view.layer >= 2 else []


def example(grads: Gradients, k: int, name: str | None, precision: int, view: View) -> Group:
    """Example k's δ^(L) … δ^(2), one table a layer (or the view's)."""
    network = grads.network
    parts: list[RenderableType] = [
        Text(heading(grads.trace, k, name, precision, view.limit), style="bold"),
        Text(f"y = {vector(grads.Y[k].tolist(), view.limit, precision=precision)}"),
    ]
    for j in range(network.L, 1, -1):
        if view.layer is None or view.layer == j:
            parts.append(delta_table(grads, j, k, precision, view))
            parts += [Text(f"  {n}", style="dim") for n in notes(grads, j, k, precision) if n]
    return Group(*parts, Text(""))


def delta_table(grads: Gradients, j: int, k: int, precision: int, view: View) -> Table:
    """Layer j's δ_i^(j) for example k, with what makes each."""
    network = grads.network
    title = f"Layer {j} ({role(network, j)}) · g = {g_symbol(network.layers[j - 2].activation)}"
    table = style.table(title, title_style="italic")
    table.add_column("i", justify="right")
    columns, rows = (_output if j == network.L else _hidden)(grads, j, k, precision)
    for header in columns:
        table.add_column(header, justify="right")
    for i in view.units(network.sizes[j - 1]):
        if i is None:
            hidden = network.sizes[j - 1] - len(view.units(network.sizes[j - 1])) + 1
            table.add_row("⋮", f"⋮ {hidden} more", *["⋮"] * (len(columns) - 1))
        else:
            table.add_row(str(i), *rows[i - 1])
    return table


def _output(grads: Gradients, j: int, k: int, precision: int):
    """δ^(L) = a^(L) − y (p − y after a log_softmax, whose a is log p)."""
    shown_a = [text for text, _ in exact_layer(grads.trace, j, k, precision)]
    y = grads.Y[k]
    d = _marked(delta_shown(grads, j, k, precision))
    if grads.loss.output == "log_softmax":
        p = _marked(p_shown(grads, k, precision))
        columns = [f"a_i^({j}) = log p_i", "p_i", "y_i", f"δ_i^({j}) = p_i − y_i"]
        rows = [[shown_a[i], p[i], fmt(y[i], precision), d[i]] for i in range(len(d))]
        return columns, rows
    columns = [f"a_i^({j})", "y_i", f"δ_i^({j}) = a_i^({j}) − y_i"]
    rows = [[shown_a[i], fmt(y[i], precision), d[i]] for i in range(len(d))]
    return columns, rows


def _hidden(grads: Gradients, j: int, k: int, precision: int):
    """δ^(j) = (Θ^(j))ᵀδ^(j+1) .* g′(z^(j)), or SwiGLU's pair, or a softmax's product;
    what is 0 to rounding shows 0, marked *."""
    layer = grads.network.layers[j - 2]
    units = digits.example(grads.trace, k, precision)[j]
    z = [unit.z for unit in units]
    sent = _marked(sent_shown(grads, j, k, precision))
    d = _marked(delta_shown(grads, j, k, precision))
    back = f"(Θ^({j}))ᵀδ^({j + 1})"
    if layer.gate is not None:
        u = [unit.u for unit in units]
        gate = _marked(delta_shown(grads, j, k, precision, gate=True))
        columns = [f"z_i^({j})", f"u_i^({j})", back, f"δ_i^({j})", f"δ_gate,i^({j})"]
        return columns, [list(row) for row in zip(z, u, sent, d, gate, strict=True)]
    g = g_symbol(layer.activation)
    if activations.over_layer(layer.activation):
        columns = [f"z_i^({j})", back, f"δ_i^({j}) (the {g} Jacobian)"]
        return columns, [list(row) for row in zip(z, sent, d, strict=True)]
    prime = _marked(prime_shown(grads, j, k, precision))
    columns = [f"z_i^({j})", back, f"{g}′(z_i^({j}))", f"δ_i^({j})"]
    return columns, [list(row) for row in zip(z, sent, prime, d, strict=True)]


def gradient_tables(
    grads: Gradients, j: int, precision: int, limit: int | None
) -> list[RenderableType]:
    """D^(j) (and Δ^(j) when it differs: m > 1 or λ > 0), and the gate's, as matrices."""
    pairs = [("D", f"D^({j}) = ∂J/∂Θ^({j})")]
    if grads.m > 1 or grads.lam:  # else Δ^(j) = D^(j)
        pairs.append(("Δ", f"Δ^({j}) = Σ δ^({j + 1})(a^({j}))ᵀ"))
    if j in grads.D_gate:
        pairs.append(("D_gate", f"D_gate^({j}) = ∂J/∂Θ_gate^({j})"))
    tables: list[RenderableType] = []
    for name, title in pairs:
        table, zero = matrix_table(grads, name, j, title, precision, limit)
        tables.append(table)
        if zero:
            said = "* 0 to rounding, or fewer digits: those the float64 error bound of its sum"
            tables.append(Text(f"  {said} leaves certain", style="dim"))
    if j in grads.D_beta:
        tables.append(Text(f"∂J/∂β of Θ^({j})'s SwiGLU layer = {fmt(grads.D_beta[j], precision)}"))
    return tables


def matrix_table(
    grads: Gradients, name: str, j: int, title: str, precision: int, limit: int | None
) -> tuple[Table, bool]:
    """A matrix with rows i = 1 … and columns m = 0 … (the bias column first), elided;
    and whether an entry shown is 0 to rounding (marked *)."""
    rows, columns = grads.network.theta(j).shape
    M = {"D": grads.D, "Δ": grads.Delta, "D_gate": grads.D_gate}[name][j]
    bounds = grads.D_error(j, gate=name == "D_gate", delta=name == "Δ")
    table = style.table(title, title_style="italic")
    table.add_column("i \\ m", justify="right")
    shown_columns = shown(columns, limit)
    for m in shown_columns:
        table.add_column("⋯" if m is None else str(m - 1), justify="right")
    zero = False
    for i in shown(rows, limit):
        if i is None:
            table.add_row("⋮", *["⋮"] * len(shown_columns))
            continue
        cells = []
        for m in shown_columns:
            if m is None:
                cells.append("⋯")
                continue
            text, below = certain(M[i - 1, m - 1], bounds[i - 1, m - 1], precision)
            zero = zero or below
            cells.append(text + (" *" if below else ""))
        table.add_row(str(i), *cells)
    return table, zero


# --- --explain -------------------------------------------------------------------------


def explain_lines(grads: Gradients, k: int, precision: int = 6, view: View = WHOLE) -> list[str]:
    """The arithmetic of each δ_i^(j) of example k (wide layers elided), or of the view's."""
    network = grads.network
    terms = None if view.limit is None else MAX_TERMS
    lines: list[str] = []
    for j in range(network.L, 1, -1):
        if view.layer is not None and view.layer != j:
            continue
        size = network.sizes[j - 1]
        for i in view.units(size):
            if i is None:
                lines += [f"⋮ {size - len(view.units(size)) + 1} more units of layer {j}", ""]
            else:
                lines += [*unit_lines(grads, k, j, i, precision, terms), ""]
    return lines


def unit_lines(
    grads: Gradients, k: int, j: int, i: int, precision: int = 6, limit: int | None = MAX_TERMS
) -> list[str]:
    """How δ_i^(j) of example k is made, in symbols and then in numbers."""
    network = grads.network
    head = f"δ_{i}^({j})"
    pad = " " * len(head)
    d, _ = delta_shown(grads, j, k, precision)[i - 1]
    note = [n] if (n := notes(grads, j, k, precision)[i - 1]) else []
    if j == network.L:
        a = exact_layer(grads.trace, j, k, precision)[i - 1][0]
        y = fmt(grads.Y[k][i - 1], precision)
        if grads.loss.output == "log_softmax":
            p = p_shown(grads, k, precision)[i - 1][0]
            return [f"{head} = p_{i} − y_{i} = e^a_{i}^({j}) − y_{i} = {p} − {y} = {d}", *note]
        a = f"({a})" if " " in a else a
        return [f"{head} = a_{i}^({j}) − y_{i} = {a} − {_paren(y)} = {d}", *note]
    below = network.layers[j - 2]
    above = network.layers[j - 1]
    nxt = network.sizes[j]
    symbols = [f"{theta_symbol(above, r, i, j)}·δ_{r}^({j + 1})" for r in range(1, nxt + 1)]
    above_delta = [text for text, _ in delta_shown(grads, j + 1, k, precision)]
    products = [
        f"{fmt(w, precision)}·{_paren(v)}"
        for w, v in zip(above.theta[:, i].tolist(), above_delta, strict=True)
    ]
    if above.gate is not None:
        symbols += [f"Θ_gate,{r}{i}^({j})·δ_gate,{r}^({j + 1})" for r in range(1, nxt + 1)]
        gated = [text for text, _ in delta_shown(grads, j + 1, k, precision, gate=True)]
        products += [
            f"{fmt(w, precision)}·{_paren(v)}"
            for w, v in zip(above.gate[:, i].tolist(), gated, strict=True)
        ]
    sent = sent_shown(grads, j, k, precision)[i - 1][0]
    if below.gate is not None:
        return _swiglu_lines(grads, k, j, i, precision, symbols, products, limit)
    if activations.over_layer(below.activation):
        return [
            f"{head} = ε_{i}·… with ε = (Θ^({j}))ᵀδ^({j + 1}): ε_{i} = {_sum(symbols, limit)}",
            f"{pad}   ε_{i} = {_sum(products, limit)} = {sent}",
            f"{pad} = {_jacobian(below.activation, i)} = {d}",
            *note,
        ]
    z = digits.example(grads.trace, k, precision)[j][i - 1].z
    g = unit_symbol(below.activation, i)
    prime = prime_shown(grads, j, k, precision)[i - 1][0]
    return [
        f"{head} = ({_sum(symbols, limit)})·g′(z_{i}^({j}))",
        f"{pad} = ({_sum(products, limit)})·{g}′({z})",
        f"{pad} = {_paren(sent)}·{_paren(prime)} = {d}",
        *note,
    ]


def _swiglu_lines(grads, k, j, i, precision, symbols, products, limit) -> list[str]:
    """A SwiGLU unit's two δ: ε·Swish_β(u) for Θ, ε·z·Swish_β′(u) for the gate."""
    layer = grads.network.layers[j - 2]
    b = layer.swish_beta
    beta = fmt(b, precision)
    unit = digits.example(grads.trace, k, precision)[j][i - 1]
    swish, slope = (shown[i - 1][0] for shown in gate_shown(grads, j, k, precision))
    sent = sent_shown(grads, j, k, precision)[i - 1][0]
    d, d_gate = (delta_shown(grads, j, k, precision, gate)[i - 1][0] for gate in (False, True))
    eps = _paren(sent)
    head, gate = f"δ_{i}^({j})", f"δ_gate,{i}^({j})"
    pad, gate_pad = " " * len(head), " " * len(gate)
    return [
        f"{head} = ε_{i}·Swish_{beta}(u_{i}^({j})), ε_{i} = {_sum(symbols, limit)}",
        f"{pad}   ε_{i} = {_sum(products, limit)} = {sent}",
        f"{pad} = {eps}·Swish_{beta}({unit.u}) = {eps}·{_paren(swish)} = {d}",
        f"{gate} = ε_{i}·z_{i}^({j})·Swish_{beta}′(u_{i}^({j}))",
        f"{gate_pad} = {eps}·{_paren(unit.z)}·{_paren(slope)} = {d_gate}",
    ]


def _jacobian(activation: str, i: int) -> str:
    if activation == "softmax":
        return f"p_{i}·(ε_{i} − Σ_k ε_k·p_k)"
    return f"ε_{i} − p_{i}·Σ_k ε_k"


def _paren(text: str) -> str:
    """A negative factor in parentheses: 2·(−0.5), not 2·−0.5."""
    return f"({text})" if text.startswith("−") else text


def d_lines(grads: Gradients, j: int, i: int, precision: int = 6, limit=MAX_TERMS) -> list[str]:
    """How row i of D^(j) is made: (1/m)·Σ over the examples of δ_i^(j+1)·a_m^(j), plus
    (λ/m)·Θ_im^(j) for m ≥ 1."""
    network = grads.network
    layer = network.layers[j - 1]
    m = grads.m
    d = grads.delta[j + 1][:, i - 1].tolist()
    lines = []
    for col in shown(layer.theta.shape[1], limit if limit is None else 4):
        if col is None:
            lines.append("⋮")
            continue
        c = col - 1
        a = [1.0] * m if c == 0 else grads.trace.a[j][:, c - 1].tolist()
        products = [
            f"{_paren(fmt(dk, precision))}·{_paren(fmt(ak, precision))}"
            for dk, ak in zip(d, a, strict=True)
        ]
        symbol = theta_symbol(layer, i, c, j).replace("Θ", "D", 1)
        reg = ""
        if grads.lam and c > 0:
            reg = f" + ({fmt(grads.lam, precision)}/{m})·{_paren(fmt(layer.theta[i - 1, c], 6))}"
        lines.append(
            f"{symbol} = (1/{m})·({_sum(products, limit)}){reg} = "
            f"{fmt(grads.D[j][i - 1, c], precision)}"
        )
    return lines


# --- JSON ------------------------------------------------------------------------------


def document(grads: Gradients, names: list[str | None]) -> dict[str, Any]:
    """The ``--json`` document of ``nncalc backward``: J, each example's δ^(j) (and the
    gate's), and every Θ^(j)'s Δ and D."""
    cost = grads.cost
    examples = []
    for k in range(grads.m):
        layers = []
        for j in range(grads.network.L, 1, -1):
            layer: dict[str, Any] = {"layer": j, "delta": grads.delta[j][k].tolist()}
            if j in grads.delta_gate:
                layer["delta_gate"] = grads.delta_gate[j][k].tolist()
            layers.append(layer)
        examples.append({"name": names[k], "y": grads.Y[k].tolist(), "layers": layers})
    thetas = []
    for j in range(1, grads.network.L):
        entry: dict[str, Any] = {"theta": j, "Delta": grads.Delta[j].tolist()}
        entry["D"] = grads.D[j].tolist()
        if j in grads.D_gate:
            entry["Delta_gate"] = grads.Delta_gate[j].tolist()
            entry["D_gate"] = grads.D_gate[j].tolist()
        if j in grads.D_beta:
            entry["D_beta"] = grads.D_beta[j]
        thetas.append(entry)
    return {
        "network": network_document(grads.network),
        "loss": cost.loss.name,
        "lambda": cost.lam,
        "m": cost.m,
        "J": cost.J,
        "examples": examples,
        "thetas": thetas,
    }
