"""Backpropagation's worked solutions in LaTeX (for slides) and Markdown (for notes), as
forward's (nncalc.render.solution): each example's δ^(L) … δ^(2) as vectors, then every
Θ^(j)'s Δ^(j) and D^(j) as matrices. LaTeX needs amsmath."""

from __future__ import annotations

from typing import Any

import numpy as np

from nncalc import activations
from nncalc.backprop import Gradients
from nncalc.render import escape
from nncalc.render.backward import delta_shown, p_shown, prime_shown, sent_shown
from nncalc.render.cost import J_text
from nncalc.render.forward import exact_layer
from nncalc.render.numbers import certain, fmt
from nncalc.render.solution import _bmatrix, _column, latex_g, latex_number


def _vector(values, precision: int) -> str:
    return _column([latex_number(fmt(float(v), precision)) for v in values])


def _matrix(M: np.ndarray, precision: int, bounds: np.ndarray | None = None) -> str:
    """M in LaTeX; with ``bounds``, entries below their rounding error bound shown as 0."""
    if bounds is None:
        bounds = np.zeros_like(M)
    return _bmatrix(
        [
            [latex_number(certain(v, b, precision)[0]) for v, b in zip(row, brow, strict=True)]
            for row, brow in zip(M, bounds, strict=True)
        ]
    )


def _shown(texts: list[tuple[str, Any]]) -> str:
    return _column([latex_number(text) for text, _ in texts])


def example_lines(grads: Gradients, k: int, precision: int) -> list[str]:
    """The align lines of example k's δ^(L), δ^(L−1), …, δ^(2)."""
    network = grads.network
    L = network.L
    y = grads.Y[k]
    if grads.loss.output == "log_softmax":
        p = _shown(p_shown(grads, k, precision))
        head = rf"\delta^{{({L})}} &= e^{{a^{{({L})}}}} - y = {p}"
    else:
        a = _shown(exact_layer(grads.trace, L, k, precision))
        head = rf"\delta^{{({L})}} &= a^{{({L})}} - y = {a}"
    lines = [f"{head} - {_vector(y, precision)} = {_shown(delta_shown(grads, L, k, precision))}"]
    for j in range(L - 1, 1, -1):
        lines += _hidden_lines(grads, k, j, precision)
    return lines


def _hidden_lines(grads: Gradients, k: int, j: int, precision: int) -> list[str]:
    network = grads.network
    above, below = network.layers[j - 1], network.layers[j - 2]
    sent = rf"\left(\Theta^{{({j})}}_{{:,1:}}\right)^{{\mathsf T}} \delta^{{({j + 1})}}"
    above_delta = _shown(delta_shown(grads, j + 1, k, precision))
    numbers = f"{_matrix(above.theta[:, 1:].T, precision)} {above_delta}"
    d = _shown(delta_shown(grads, j, k, precision))
    if below.gate is not None or above.gate is not None or activations.over_layer(below.activation):
        eps = rf"\varepsilon^{{({j})}}"
        lines = [rf"{eps} &= {sent} = {_shown(sent_shown(grads, j, k, precision))}"]
        if below.gate is not None:
            beta = fmt(below.swish_beta, precision)
            u = rf"u^{{({j})}}"
            lines.append(
                rf"\delta^{{({j})}} &= {eps} \odot \operatorname{{Swish}}_{{{beta}}}({u}) = {d}"
            )
            lines.append(
                rf"\delta_{{\text{{gate}}}}^{{({j})}} &= {eps} \odot z^{{({j})}} \odot "
                rf"\operatorname{{Swish}}_{{{beta}}}'({u}) = "
                f"{_shown(delta_shown(grads, j, k, precision, gate=True))}"
            )
            return lines
        if activations.over_layer(below.activation):
            p = r"p" if below.activation == "softmax" else r"e^{a}"
            jac = (
                rf"{p} \odot \left({eps} - ({eps}^{{\mathsf T}} {p})\,\mathbf 1\right)"
                if below.activation == "softmax"
                else rf"{eps} - \left(\textstyle\sum_k {eps}_k\right) e^{{a^{{({j})}}}}"
            )
            return [*lines, rf"\delta^{{({j})}} &= {jac} = {d}"]
        g = latex_g(below.activation)
        prime = _shown(prime_shown(grads, j, k, precision))
        return [*lines, rf"\delta^{{({j})}} &= {eps} \odot {g}'(z^{{({j})}}) = {prime} = {d}"]
    g = latex_g(below.activation)
    prime = _shown(prime_shown(grads, j, k, precision))
    return [
        rf"\delta^{{({j})}} &= {sent} \odot {g}'\left(z^{{({j})}}\right) "
        rf"= {numbers} \odot {prime} = {d}"
    ]


def gradient_lines(grads: Gradients, precision: int) -> list[str]:
    """The align lines of every Δ^(j) and D^(j) (the gate's too)."""
    m, lam = grads.m, grads.lam
    lines = []
    for j in range(1, grads.network.L):
        outer = rf"\delta^{{({j + 1})}} \left[1 \;\; a^{{({j})}}\right]"
        total = outer if m == 1 else rf"\sum_{{i=1}}^{{{m}}} {outer}"
        Delta = _matrix(grads.Delta[j], precision, grads.D_error(j, delta=True))
        lines.append(rf"\Delta^{{({j})}} &= {total} = {Delta}")
        reg = (
            rf" + \tfrac{{{latex_number(fmt(lam))}}}{{{m}}}\,\Theta^{{({j})}}_{{m \ge 1}}"
            if lam
            else ""
        )
        lines.append(
            rf"D^{{({j})}} &= \tfrac{{1}}{{{m}}}\Delta^{{({j})}}{reg} = "
            f"{_matrix(grads.D[j], precision, grads.D_error(j))}"
        )
        if j in grads.D_gate:
            gated = _matrix(grads.D_gate[j], precision, grads.D_error(j, gate=True))
            lines.append(rf"D_{{\text{{gate}}}}^{{({j})}} &= {gated}")
    return lines


def latex(grads: Gradients, names: list[str | None], precision: int = 6) -> str:
    """Every example's δ and then Δ and D, as LaTeX align* blocks (needs amsmath)."""
    network = grads.network
    blocks = []
    for k in range(grads.m):
        title = f"{network.name or 'network'}, example {k + 1}"
        title = escape.latex(title + (f" ({names[k]})" if names[k] else ""))
        blocks.append(_align(title, example_lines(grads, k, precision)))
    J = latex_number(J_text(grads.cost, precision).removesuffix(" *"))
    examples = "example" if grads.m == 1 else "examples"
    lam = latex_number(fmt(grads.lam))
    title = (
        rf"$\Delta$ and $D$ over the $m = {grads.m}$ {examples}, $\lambda = {lam}$; "
        rf"$J(\Theta) = {J}$"
    )
    blocks.append(_align(title, gradient_lines(grads, precision)))
    return "\n\n".join(blocks)


def _align(title: str, lines: list[str]) -> str:
    """A block of the worked solution: its bold title (LaTeX), then the align* lines."""
    body = " \\\\\n".join(lines)
    return (
        f"% nncalc backpropagation\n\\noindent\\textbf{{{title}}}\n"
        f"\\begin{{align*}}\n{body}\n\\end{{align*}}"
    )


def markdown(grads: Gradients, names: list[str | None], precision: int = 6) -> str:
    """The same for notes: a section per example and one for the gradients, $$ math."""
    parts = []
    for k in range(grads.m):
        head = f"### Example {k + 1}" + (f": {escape.markdown(names[k])}" if names[k] else "")
        parts += [head, "", *_math(example_lines(grads, k, precision))]
    J = J_text(grads.cost, precision)
    parts += [
        f"### Gradients over m = {grads.m}, λ = {fmt(grads.lam)}",
        "",
        f"J(Θ) = {J} ({grads.cost.loss.title})",
        "",
        *_math(gradient_lines(grads, precision)),
    ]
    return "\n".join(parts)


def _math(lines: list[str]) -> list[str]:
    return ["$$", "\\begin{aligned}", " \\\\\n".join(lines), "\\end{aligned}", "$$", ""]
