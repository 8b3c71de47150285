"""Worked solutions in LaTeX (for slides) and Markdown (for notes): for every layer,
Θ^(j) and [1; a^(j)] as matrices, their product z^(j+1), g applied, and a^(j+1).

LaTeX output is a fragment that needs amsmath (for align* and bmatrix); Markdown uses
$$ … $$ blocks, which GitHub, Jupyter and most note tools render.
"""

from __future__ import annotations

from nncalc import activations
from nncalc.network import Trace
from nncalc.render import digits, escape, latexdoc
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


def _ldots(_: int) -> str:
    return r"\ldots"


def latex_g(activation: str) -> str:
    """g in LaTeX, with its parameters as a subscript when they are not the defaults."""
    if activation == activations.SWIGLU:
        return r"\operatorname{SwiGLU}"
    g = activations.get(activation)
    symbol = _LATEX_G.get(g.symbol, rf"\operatorname{{{g.symbol}}}")
    shown = [
        f"{_LATEX_PARAM[g.param(k).symbol]}={activations.shown_value(v, _ldots)}"
        for k, v in g.values
    ]
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
    """The worked solution of example k: an align* block (needs amsmath), then h_Θ(x) and
    the predicted class."""
    network = trace.network
    title = f"{network.name or 'network'}, example {k + 1}" + (f" ({name})" if name else "")
    notes = "".join(f"\n% {note}" for note in _zero_notes(trace, k, precision))
    return (
        f"% nncalc worked solution{notes}\n\\noindent\\textbf{{{escape.latex(title)}}}\n"
        + _latex_body(trace, k, precision)
    )


def _latex_body(trace: Trace, k: int, precision: int) -> str:
    x = [latex_number(fmt(v, precision)) for v in trace.a[1][k]]
    lines = [rf"a^{{(1)}} &= x = {_column(x)}"]
    for j in range(1, trace.network.L):
        lines += _layer_lines(trace, k, j, precision)
    body = " \\\\\n".join(lines)
    return f"\\begin{{align*}}\n{body}\n\\end{{align*}}\n{_latex_result(trace, k, precision)}"


def _latex_result(trace: Trace, k: int, precision: int) -> str:
    """Output: $h_Θ(x) = a^{(L)} = [ … ]$; predicted class: unit 4 (truck)."""
    L = trace.network.L
    h = elide([latex_number(t) for t in _shown(trace, L, k, precision)], _dots)
    text = rf"\noindent\textbf{{Output:}} $h_\Theta(x) = a^{{({L})}} = \left[{', '.join(h)}\right]$"
    unit, said = _prediction(trace, k)
    if unit is not None:
        text += f"; predicted class: unit {unit}"
        text += f" ({', '.join(map(escape.latex, said))})" if said else ""
    return text + "."


def _dots(hidden: int) -> str:
    return rf"\ldots\text{{ ({hidden} more) }}\ldots"


def _prediction(trace: Trace, k: int) -> tuple[int | None, list[str]]:
    """The predicted unit of example k (None: one output unit), and what is said of it:
    its class name, and the framework's 0-based index for an imported network."""
    network = trace.network
    if network.sizes[-1] == 1:
        return None, []
    unit = int(trace.predictions[k])
    said = [network.classes[unit - 1]] if network.classes else []
    return unit, said + ([network.index(unit)] if network.framework else [])


def worked(
    trace: Trace,
    names: list[str | None],
    form: str,
    title: str,
    precision: int = 6,
    standalone: bool = False,
) -> str:
    """Every example's worked solution in ``form`` ('latex' or 'markdown'); with
    ``standalone``, as a LaTeX document that compiles as it is."""
    if standalone:
        return document(trace, names, title, precision)
    write = latex if form == "latex" else markdown
    head = f"## {escape.markdown(title)}\n\n" if form == "markdown" else ""
    return head + "\n\n".join(write(trace, k, names[k], precision) for k in range(len(trace)))


def document(trace: Trace, names: list[str | None], title: str, precision: int = 6) -> str:
    """Every example's worked solution as a LaTeX document that compiles as it is."""
    parts = [rf"\section*{{{escape.latex(title)}}}"]
    for k in range(len(trace)):
        heading = f"Example {k + 1}" + (f": {names[k]}" if names[k] else "")
        parts += [rf"\subsection*{{{escape.latex(heading)}}}", _latex_body(trace, k, precision)]
        parts += [escape.latex(f"* {why}") for why in _zero_notes(trace, k, precision)]
    return latexdoc.document("\n\n".join(parts))


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
    unit, said = _prediction(trace, k)
    if unit is not None:
        output += f"; predicted class: unit {unit}"
        output += f" ({', '.join(map(escape.markdown, said))})" if said else ""
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
