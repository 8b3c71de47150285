"""Worked solutions in LaTeX (for slides) and Markdown (for notes): for every layer,
Θ^(j) and [1; a^(j)] as matrices, their product z^(j+1), g applied, and a^(j+1).

LaTeX output is a fragment that needs amsmath (for align* and bmatrix); Markdown uses
$$ … $$ blocks, which GitHub, Jupyter and most note tools render.
"""

from __future__ import annotations

from nncalc import activations
from nncalc.activations import number
from nncalc.network import Trace
from nncalc.render import digits, escape
from nncalc.render.elide import MAX_UNITS, elide, shown
from nncalc.render.forward import exact_layer, g_symbol, z_layer
from nncalc.render.numbers import fmt, vector

MAX_SHOWN = 8
"""Matrices with more rows or columns show their first and last ones around dots."""

_LATEX_G = {
    "σ": r"\sigma",
    "tanh": r"\tanh",
    "id": r"\operatorname{id}",
    "H": r"H",
    "GELU_tanh": r"\operatorname{GELU}_{\tanh}",
}
_LATEX_PARAM = {"α": r"\alpha", "β": r"\beta", "t": "t"}


def latex_number(text: str) -> str:
    """'−9.5e-19' → '-9.5\\times 10^{-19}'; '1 − 9.5e-19' → '1 - 9.5\\times 10^{-19}';
    '−e^−1e+308' (a value known by its logarithm) → '-e^{-1\\times 10^{308}}'."""
    return " ".join(_latex_token(t) for t in text.replace("−", "-").split(" "))


def _latex_token(token: str) -> str:
    """One signed number: plain, scientific (m e n), or e^(a number)."""
    sign, body = (token[0], token[1:]) if token[:1] in ("-", "+") and token[1:] else ("", token)
    if body.startswith("e^"):
        return f"{sign}e^{{{_latex_token(body[2:])}}}"
    if "e" not in body:
        return token
    mantissa, exponent = body.split("e")
    return f"{sign}{mantissa}\\times 10^{{{int(exponent)}}}"


def latex_g(activation: str) -> str:
    """g in LaTeX, with its parameters as a subscript when they are not the defaults."""
    if activation == activations.SWIGLU:
        return r"\operatorname{SwiGLU}"
    g = activations.get(activation)
    symbol = _LATEX_G.get(g.symbol, rf"\operatorname{{{g.symbol}}}")
    shown = [f"{_LATEX_PARAM[g.param(k).symbol]}={number(v)}" for k, v in g.values]
    return f"{symbol}_{{{', '.join(shown)}}}" if shown else symbol


def _bmatrix(rows: list[list[str]]) -> str:
    """A LaTeX bmatrix; long rows and columns elided with \\cdots, \\vdots and \\ddots."""
    width = len(rows[0])
    rows = [elide(r, lambda _: r"\cdots", MAX_SHOWN) for r in rows]
    middle = MAX_SHOWN - 3  # where elide puts the dots
    filler = [
        r"\ddots" if (width > MAX_SHOWN and m == middle) else r"\vdots" for m in range(len(rows[0]))
    ]
    rows = elide(rows, lambda _: filler, MAX_SHOWN)
    body = r" \\ ".join(" & ".join(row) for row in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _column(values: list[str]) -> str:
    return _bmatrix([[v] for v in values])


def _layer_lines(trace: Trace, k: int, j: int, precision: int) -> list[str]:
    """The align lines of Θ^(j) for example k: z^(j+1), (u^(j+1),) a^(j+1)."""
    layer = trace.network.layers[j - 1]
    theta = [[latex_number(fmt(w, precision)) for w in row] for row in layer.theta.tolist()]
    previous = (
        [fmt(v, precision) for v in trace.a[1][k]] if j == 1 else _shown(trace, j, k, precision)
    )
    ones = ["1", *(latex_number(t) for t in previous)]
    z = [latex_number(text) for text, _ in z_layer(trace, j + 1, k, precision)]
    a = [latex_number(t) for t in _shown(trace, j + 1, k, precision)]
    product = rf"\Theta^{{({j})}} \begin{{bmatrix}} 1 \\ a^{{({j})}} \end{{bmatrix}}"
    lines = [rf"z^{{({j + 1})}} &= {product} = {_bmatrix(theta)} {_column(ones)} = {_column(z)}"]
    if layer.gate is not None:
        gate = [[latex_number(fmt(w, precision)) for w in row] for row in layer.gate.tolist()]
        u = [latex_number(unit.u) for unit in digits.example(trace, k, precision)[j + 1]]
        beta = fmt(layer.swish_beta, precision)
        lines.append(rf"u^{{({j + 1})}} &= {_bmatrix(gate)} {_column(ones)} = {_column(u)}")
        g = rf"z^{{({j + 1})}} \odot u^{{({j + 1})}} \odot \sigma({beta}\, u^{{({j + 1})}})"
    else:
        g = rf"{latex_g(layer.activation)}\left(z^{{({j + 1})}}\right)"
    lines.append(rf"a^{{({j + 1})}} &= {g} = {_column(a)}")
    return lines


def latex(trace: Trace, k: int, name: str | None, precision: int = 6) -> str:
    """The worked solution of example k as a LaTeX align* block (needs amsmath)."""
    network = trace.network
    x = [latex_number(fmt(v, precision)) for v in trace.a[1][k]]
    lines = [rf"a^{{(1)}} &= x = {_column(x)}"]
    for j in range(1, network.L):
        lines += _layer_lines(trace, k, j, precision)
    title = f"{network.name or 'network'}, example {k + 1}" + (f" ({name})" if name else "")
    notes = "".join(f"\n% {note}" for note in _zero_notes(trace, k, precision))
    body = " \\\\\n".join(lines)
    return (
        f"% nncalc worked solution{notes}\n\\noindent\\textbf{{{escape.latex(title)}}}\n"
        f"\\begin{{align*}}\n{body}\n\\end{{align*}}"
    )


def markdown(trace: Trace, k: int, name: str | None, precision: int = 6) -> str:
    """The worked solution of example k in Markdown: $$ math and a table per layer."""
    network = trace.network
    x = vector(trace.a[1][k], MAX_UNITS, precision=precision)[1:-1].replace("−", "-")
    parts = [
        f"### Example {k + 1}" + (f": {escape.markdown(name)}" if name else ""),
        "",
        f"$a^{{(1)}} = x = ({x})$",
        "",
    ]
    for j in range(1, network.L):
        math = " \\\\\n".join(_layer_lines(trace, k, j, precision))
        parts += [
            f"**Layer {j + 1}**, g = {g_symbol(network.layers[j - 1].activation)}",
            "",
            "$$",
            "\\begin{aligned}",
            math,
            "\\end{aligned}",
            "$$",
            "",
            f"| i | z_i^({j + 1}) | a_i^({j + 1}) |",
            "|---:|---:|---:|",
        ]
        parts += [*_table_rows(trace, j + 1, k, precision), ""]
    h = vector(_shown(trace, network.L, k, precision), MAX_UNITS)[1:-1]
    output = f"**Output:** h_Θ(x) = a^({network.L}) = [{h}]"
    if network.sizes[-1] > 1:
        unit = int(trace.predictions[k])
        said = [escape.markdown(network.classes[unit - 1])] if network.classes else []
        said += [network.index(unit)] if network.framework else []
        label = f" ({', '.join(said)})" if said else ""
        output += f"; predicted class: unit {unit}{label}"
    return "\n".join([*parts, output, ""])


def _table_rows(trace: Trace, j: int, k: int, precision: int) -> list[str]:
    """The Markdown rows i | z_i^(j) | a_i^(j) of example k (wide layers elided), then the
    footnotes of their numbers."""
    units = digits.example(trace, k, precision)[j]
    rows, notes = [], []
    for i in shown(len(units)):
        if i is None:
            rows.append(f"| ⋮ | ⋮ {len(units) - len(shown(len(units))) + 1} more | ⋮ |")
            continue
        unit = units[i - 1]
        z = unit.z + (STAR if unit.z_note else "")
        rows.append(f"| {i} | {z} | {unit.a}{STAR if unit.a_note else ''} |")
        notes += [f"{STAR.strip()} {note}" for note in (unit.z_note, unit.u_note) if note]
        if unit.a_note:
            notes.append(f"{STAR.strip()} a_{i}^({j}) = {unit.a}: {unit.a_note}")
    return rows + (["", *notes] if notes else [])


STAR = " \\*"
"""Markdown's footnote mark (an escaped *)."""


def _zero_notes(trace: Trace, k: int, precision: int) -> list[str]:
    """The footnotes of example k's numbers (nncalc.render.digits), layer by layer."""
    notes = []
    for j, units in digits.example(trace, k, precision).items():
        for i, unit in enumerate(units, start=1):
            notes += [note for note in (unit.z_note, unit.u_note) if note]
            if digits.differs(unit.a_note):
                notes.append(f"a_{i}^({j}) = {unit.a}: {unit.a_note}")
    return notes


def _shown(trace: Trace, j: int, k: int, precision: int) -> list[str]:
    """a^(j) of example k as text, 1 − gap and underflow written out."""
    return [text for text, _ in exact_layer(trace, j, k, precision)]
