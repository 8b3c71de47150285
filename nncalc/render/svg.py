"""The network as the lecture draws it, in SVG: a column of units per layer, the bias
units marked, every weight an edge coloured by its sign and as wide as its size, and
(for an example) each unit's activation.
"""

from __future__ import annotations

from nncalc.network import Network, Trace
from nncalc.render.elide import shown
from nncalc.render.escape import xml
from nncalc.render.forward import g_symbol, theta_symbol
from nncalc.render.numbers import fmt

POSITIVE, NEGATIVE = "#2563eb", "#dc2626"
GAP_X, GAP_Y, RADIUS, MARGIN = 190, 62, 22, 70
XMLNS = ' xmlns="http://www.w3.org/2000/svg"'


def draw(
    network: Network,
    trace: Trace | None = None,
    k: int = 0,
    precision: int = 3,
    inline: bool = False,
) -> str:
    """The SVG document of the network, with the activations of example k when traced;
    ``inline`` for the HTML page: units reached with Tab, no XML namespace (HTML gives it)."""
    L = network.L
    columns = [shown(s) for s in network.sizes]
    rows = max(len(c) + (j < L) for j, c in enumerate(columns, start=1))
    names = max(map(len, network.classes or ()), default=0)  # class names right of layer L
    width = max(2 * MARGIN + GAP_X * (L - 1) + max(0, RADIUS + 6 + 7 * names - MARGIN), 470)
    height = 2 * MARGIN + GAP_Y * (rows - 1) + 30
    place: dict[tuple[int, int], tuple[float, float]] = {}
    for j, column in enumerate(columns, start=1):
        slots = ([0] if j < L else []) + column  # 0: the bias unit, at the top
        top = MARGIN + 30 + (rows - len(slots)) * GAP_Y / 2
        for r, i in enumerate(slots):
            if i is not None:
                place[j, i] = (MARGIN + GAP_X * (j - 1), top + r * GAP_Y)
    parts = [
        f"<svg{'' if inline else XMLNS} "
        f'width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{xml(network.name or 'network')}</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    parts += _edges(network, place)
    parts += _units(network, place, trace, k, precision, inline)
    for j, column in enumerate(columns, start=1):
        x = MARGIN + GAP_X * (j - 1)
        g = "" if j == 1 else f"g = {g_symbol(network.layers[j - 2].activation)}"
        role = "input" if j == 1 else (f"output · {g}" if j == L else g)
        parts.append(
            f'<text x="{x}" y="24" text-anchor="middle" font-weight="bold">layer {j}</text>'
        )
        parts.append(f'<text x="{x}" y="40" text-anchor="middle" fill="#555">{xml(role)}</text>')
        if None in column:
            hidden = network.sizes[j - 1] - (len(column) - 1)
            y = place[j, column[column.index(None) - 1]][1] + GAP_Y
            parts.append(
                f'<text class="elided" x="{x}" y="{y + 4}" text-anchor="middle" fill="#555">'
                f"⋮ {hidden} more</text>"
            )
    legend_y = height - 12
    parts.append(
        f'<text x="{MARGIN - RADIUS}" y="{legend_y}" fill="#555">'
        f'<tspan fill="{POSITIVE}">━ positive</tspan>  <tspan fill="{NEGATIVE}">━ negative</tspan>'
        "  weight; width ∝ |weight|, dashed: bias unit a₀ = 1</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _edges(network: Network, place: dict) -> list[str]:
    """One line per weight Θ_im^(j) between drawn units, coloured by sign, wide by size."""
    lines = []
    for j, layer in enumerate(network.layers, start=1):
        biggest = float(abs(layer.theta).max()) or 1.0
        for i in range(1, layer.units + 1):
            for m in range(layer.inputs + 1):
                if (j, m) not in place or (j + 1, i) not in place:
                    continue
                w = float(layer.theta[i - 1, m])
                (x1, y1), (x2, y2) = place[j, m], place[j + 1, i]
                colour = POSITIVE if w >= 0 else NEGATIVE
                stroke = 0.5 + 4.5 * abs(w) / biggest
                lines.append(
                    f'<line class="edge" data-edge="{j},{i},{m}" data-weight="{w!r}" '
                    f'x1="{x1 + RADIUS}" y1="{y1}" '
                    f'x2="{x2 - RADIUS}" y2="{y2}" stroke="{colour}" stroke-width="{stroke:.2f}" '
                    f'stroke-opacity="0.7"><title>{theta_symbol(layer, i, m, j)} = '
                    f"{fmt(w, 6)}</title></line>"
                )
    return lines


def _units(
    network: Network, place: dict, trace: Trace | None, k: int, precision: int, focusable: bool
) -> list[str]:
    """Circles for units (with a_i^(j), and its value when traced), dashed ones for biases;
    each unit is a group marked with its layer j and number i."""
    out = []
    tab = ' tabindex="0"' if focusable else ""
    for (j, i), (x, y) in sorted(place.items()):
        if i == 0:
            out.append(
                f'<circle class="bias" cx="{x}" cy="{y}" r="{RADIUS}" fill="#f3f4f6" '
                f'stroke="#6b7280" stroke-dasharray="4 3"/>'
                f'<text x="{x}" y="{y + 4}" text-anchor="middle">+1</text>'
            )
            continue
        out.append(
            f'<g class="node" data-layer="{j}" data-unit="{i}"{tab}>'
            f'<circle class="unit" cx="{x}" cy="{y}" r="{RADIUS}" fill="#fefce8" stroke="#374151"/>'
        )
        if j == network.L and network.classes:
            out.append(
                f'<text class="class" x="{x + RADIUS + 6}" y="{y + 4}" fill="#555">'
                f"{xml(network.classes[i - 1])}</text>"
            )
        if trace is None:
            out.append(f'<text x="{x}" y="{y + 4}" text-anchor="middle">{label(j, i)}</text></g>')
        else:
            value = fmt(float(trace.a[j][k][i - 1]), precision)
            out.append(
                f'<text x="{x}" y="{y - 3}" text-anchor="middle" font-size="10">'
                f"{label(j, i)}</text>"
                f'<text class="value" x="{x}" y="{y + 11}" text-anchor="middle" '
                f'font-size="10" font-weight="bold">{xml(value)}</text></g>'
            )
    return out


def label(j: int, i: int) -> str:
    """a_i^(j) as a label: a₁⁽²⁾."""
    return f"a{sub(i)}{_sup(j)}"


def sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _sup(n: int) -> str:
    return "⁽" + str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")) + "⁾"
