"""A network at a glance: each layer's units, g, Θ^(j) shape and parameters, the way
Keras's summary() and torchinfo show a model. Rich tables and plain text share it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nncalc import small
from nncalc.params import of_network
from nncalc.render.escape import terminal

if TYPE_CHECKING:
    from nncalc.network import Network

HEADERS = ("layer j", "units s_j", "g", "Θ^(j) shape", "parameters")


def g_symbol(activation: str) -> str:
    """σ, tanh, ReLU, LeakyReLU_(α=0.2), … or SwiGLU (without NumPy for small's)."""
    if activation == small.SWIGLU:
        return "SwiGLU"
    if activation in small.SYMBOLS:
        return small.SYMBOLS[activation]
    from nncalc import activations

    return activations.get(activation).label


def unit_symbol(activation: str, i: int) -> str:
    """g_symbol of unit i (from 1): with unit i's own value of a parameter given per unit
    (a PReLU's slope α_i), the layer's symbol otherwise."""
    if "(" not in activation:
        return g_symbol(activation)
    from nncalc import activations

    return activations.get(activation).unit(i - 1).label


def role(network: Network, j: int) -> str:
    if j == 1:
        return "input"
    return "output" if j == network.L else "hidden"


def rows(network: Network) -> tuple[list[tuple[str, ...]], str]:
    """One row of HEADERS' cells per layer j, and the total count of parameters."""
    counts = of_network(network)
    table = []
    for j, s in enumerate(network.sizes, start=1):
        g = "" if j == 1 else g_symbol(network.layers[j - 2].activation)
        theta, params = "", ""
        if j < network.L:
            t = counts.theta(j)
            theta = f"{t.shape[0]}×{t.shape[1]}" + (" ×2" if t.gated else "")
            params = f"{t.total:,}"
        table.append((f"{j} ({role(network, j)})", str(s), g, theta, params))
    return table, f"{counts.total:,}"


def text(network: Network) -> str:
    """The summary as plain text: a title line, then aligned columns (no Rich)."""
    body, total = rows(network)
    lines = [HEADERS, *body, ("total", "", "", "", total)]
    widths = [max(len(row[c]) for row in lines) for c in range(len(HEADERS))]

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.ljust(w) if c in (0, 2) else cell.rjust(w)
            for c, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    rule = "─" * len(line(tuple("─" * w for w in widths)))
    title = terminal(network.name or "Network")
    classes = f"classes: {terminal(', '.join(network.classes))}" if network.classes else None
    out = [title, line(HEADERS), rule, *map(line, body), rule, line(lines[-1])]
    return "\n".join(out + ([classes] if classes else []))
