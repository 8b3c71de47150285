"""The network as the lecture draws it, in SVG: a column of units per layer, the bias
units marked, every weight an edge as wide as its size and dashed when negative (and
labelled with its value, on request), and (for an example) each unit's activation, the
predicted output unit ringed.

Two styles: ``screen`` colours the edges by sign; ``print`` is black on white, for a
sheet printed or copied in black and white, where the dashes alone tell the sign.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from nncalc.network import Network, Trace
from nncalc.render import digits
from nncalc.render.elide import shown
from nncalc.render.escape import xml
from nncalc.render.forward import g_symbol, theta_symbol
from nncalc.render.numbers import fmt

POSITIVE, NEGATIVE = "#2563eb", "#dc2626"
GAP_X, GAP_Y, RADIUS, MARGIN = 190, 62, 22, 70
XMLNS = ' xmlns="http://www.w3.org/2000/svg"'
WEIGHT_SIZE = 11
"""The font size of the weights' labels."""
BASELINE = 0.37
"""How far below the middle of a line of text its baseline lies, in ems (sans-serif)."""
WIDEST = 5.0
"""The stroke width of the largest |weight| of a layer."""
DASH = (4.0, 2.0, 2.0, 1.0)
"""A negative weight's dashes for a line of width w: dash a + b·w, gap c + d·w."""


@dataclass(frozen=True)
class Style:
    """How a figure is inked."""

    positive: str
    negative: str
    unit: str  # a unit's fill
    bias: str  # a bias unit's fill
    outline: str  # a unit's outline
    caption: str  # captions and class names
    thinnest: float  # the stroke width of a zero weight


STYLES = {
    "screen": Style(POSITIVE, NEGATIVE, "#fefce8", "#f3f4f6", "#374151", "#555", 0.5),
    "print": Style("#000", "#000", "white", "white", "#000", "#000", 1.0),
}


def stroke(w: float, biggest: float, style: Style) -> tuple[str, float, str | None]:
    """A weight's colour, stroke width (∝ |w| in its layer) and dashes (when negative)."""
    width = style.thinnest + (WIDEST - style.thinnest) * abs(w) / (biggest or 1.0)
    a, b, c, d = DASH
    dashes = f"{a + b * width:.1f} {c + d * width:.1f}" if w < 0 else None
    return (style.positive if w >= 0 else style.negative), width, dashes


def weight_text(w: float) -> str:
    """A weight as its label shows it: whole when it has at most 4 significant digits
    (−0.5, 20, 1.375, 1e-05), else ≈ and 3 (≈0.333)."""
    short = repr(w).removesuffix(".0")
    mantissa = short.split("e")[0].lstrip("-").replace(".", "").strip("0")
    if len(mantissa) > 4:
        return "≈" + fmt(w, 3)
    return short.replace("-", "−", 1) if short.startswith("-") else short


EM = {".": 0.32, ",": 0.32, " ": 0.32, "−": 0.84, "+": 0.84, "≈": 0.84, "e": 0.62, "": 0.64}
"""Widths of characters in ems, at most those of DejaVu Sans ("": any other character)."""
BOLD = 1.1
"""How much wider bold text is, at most."""


def text_width(text: str, size: float, bold: bool = False) -> float:
    """An upper bound of the width of text in a sans-serif font (page.js's widthOf)."""
    return size * sum(EM.get(c, EM[""]) for c in text) * (BOLD if bold else 1)


@dataclass(frozen=True)
class Box:
    """A rectangle: left, top, width, height."""

    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box, gap: float = 1.0) -> bool:
        return not (
            self.x + self.w + gap <= other.x
            or other.x + other.w + gap <= self.x
            or self.y + self.h + gap <= other.y
            or other.y + other.h + gap <= self.y
        )

    def near(self, cx: float, cy: float, r: float) -> bool:
        """Whether the circle of centre (cx, cy) and radius r touches the box."""
        return self._to_point(cx, cy) < r

    def distance(self, x1: float, y1: float, x2: float, y2: float) -> float:
        """How far the segment (x1, y1)–(x2, y2) passes from the box (0: through it)."""
        if self._crossed(x1, y1, x2, y2):
            return 0.0
        corners = [(self.x + a, self.y + b) for a in (0, self.w) for b in (0, self.h)]
        return min(
            *(_to_segment(px, py, x1, y1, x2, y2) for px, py in corners),
            *(self._to_point(px, py) for px, py in ((x1, y1), (x2, y2))),
        )

    def _to_point(self, px: float, py: float) -> float:
        dx = px - min(max(px, self.x), self.x + self.w)
        dy = py - min(max(py, self.y), self.y + self.h)
        return math.hypot(dx, dy)

    def _crossed(self, x1: float, y1: float, x2: float, y2: float) -> bool:
        """Whether the segment passes through the box (Liang–Barsky clipping)."""
        t0, t1 = 0.0, 1.0
        dx, dy = x2 - x1, y2 - y1
        for p, q in (
            (-dx, x1 - self.x),
            (dx, self.x + self.w - x1),
            (-dy, y1 - self.y),
            (dy, self.y + self.h - y1),
        ):
            if p == 0:
                if q < 0:
                    return False
            elif p < 0:
                t0 = max(t0, q / p)
            else:
                t1 = min(t1, q / p)
        return t0 <= t1


def _to_segment(px: float, py: float, x1: float, y1: float, x2: float, y2: float) -> float:
    """The distance from the point (px, py) to the segment (x1, y1)–(x2, y2)."""
    dx, dy = x2 - x1, y2 - y1
    t = ((px - x1) * dx + (py - y1) * dy) / (dx * dx + dy * dy or 1.0)
    t = min(max(t, 0.0), 1.0)
    return math.hypot(px - x1 - t * dx, py - y1 - t * dy)


@dataclass(frozen=True)
class Edge:
    """The line of weight Θ_im^(j), from unit m of layer j to unit i of layer j + 1."""

    j: int
    i: int
    m: int
    w: float
    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Label:
    """A weight's label: its text, centred on its edge at (x, y), on a white box; whether
    it overlaps a unit or another label (no place on its edge was free)."""

    edge: Edge
    text: str
    x: float
    y: float
    box: Box
    clashes: bool


def draw(
    network: Network,
    trace: Trace | None = None,
    k: int = 0,
    precision: int = 3,
    inline: bool = False,
    weights: bool = False,
    style: str = "screen",
) -> str:
    """The SVG document of the network, with the activations of example k when traced;
    ``weights``: every edge labelled with its weight; ``style``: a key of STYLES.
    ``inline`` for the HTML page: units reached with Tab, no XML namespace (HTML gives it)."""
    ink = STYLES[style]
    columns = [shown(s) for s in network.sizes]
    values = None if trace is None else _values(network, trace, k, precision)
    r = _radius(values)
    labels: list[Label] = []
    gaps = [GAP_X] * (network.L - 1)
    for _ in range(4):  # the columns of layers whose labels clash drawn wider, up to 3 times
        layout = Layout.of(network, columns, r, gaps)
        edges = _edges(network, layout)
        if not weights:
            break
        labels = _labels(edges, layout, _class_boxes(network, layout))
        clashing = {label.edge.j for label in labels if label.clashes}
        if not clashing:
            break
        gaps = [gap + 60 * (j in clashing) for j, gap in enumerate(gaps, start=1)]
    width, height = layout.width, layout.height
    gap = f' data-gap-y="{layout.gap_y:g}"' if inline else ""  # for the page's presentation
    parts = [
        f"<svg{XMLNS if not inline else gap} "
        f'width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{xml(network.name or 'network')}</title>",
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    parts += _lines(network, edges, ink)
    parts += _label_parts(labels)
    parts += _units(network, layout, values, trace, k, inline, ink)
    parts += _headings(network, columns, layout, ink)
    parts += _legend(layout, ink)
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


VALUE_SIZE = 11
"""The font size of a unit's value."""


def _values(network: Network, trace: Trace, k: int, precision: int) -> dict[tuple[int, int], str]:
    """Each unit's a_i^(j) of example k, as shown: x, then the digits of the exact values
    (nncalc.render.digits)."""
    values = {(1, i): fmt(float(v), precision) for i, v in enumerate(trace.a[1][k], start=1)}
    for j, units in digits.example(trace, k, precision).items():
        values.update({(j, i): unit.a for i, unit in enumerate(units, start=1)})
    return values


def _radius(values: dict | None) -> float:
    """The units' radius: RADIUS, or wide enough for the longest value (up to 40)."""
    longest = max((text_width(v, VALUE_SIZE, True) for v in (values or {}).values()), default=0)
    return min(max(RADIUS, longest / 2 + 4), 40)


@dataclass(frozen=True)
class Layout:
    """Where everything goes: the units' radius, the gaps between columns and rows, the
    figure's size, and each drawn unit's centre (j, i) -> (x, y)."""

    r: float
    x: list[float]  # each layer's column
    gap_y: float
    width: int
    height: int
    place: dict[tuple[int, int], tuple[float, float]]

    @classmethod
    def of(cls, network: Network, columns: list, r: float, gaps: list[float]) -> Layout:
        L = network.L
        gap_y = max(GAP_Y, 2 * r + 18)
        rows = max(len(c) + (j < L) for j, c in enumerate(columns, start=1))
        names = max(map(len, network.classes or ()), default=0)  # class names right of layer L
        right = max(0, r + 6 + 7 * names - MARGIN)
        x = [MARGIN + sum(gaps[: j - 1]) for j in range(1, L + 1)]
        width = max(MARGIN + x[-1] + right, 470)
        height = 2 * MARGIN + gap_y * (rows - 1) + 44
        place = {}
        for j, column in enumerate(columns, start=1):
            slots = ([0] if j < L else []) + column  # 0: the bias unit, at the top
            top = MARGIN + 30 + (rows - len(slots)) * gap_y / 2
            for row, i in enumerate(slots):
                if i is not None:
                    place[j, i] = (x[j - 1], top + row * gap_y)
        return cls(r, x, gap_y, math.ceil(width), math.ceil(height), place)


def _edges(network: Network, layout: Layout) -> list[Edge]:
    """Every weight Θ_im^(j) between drawn units, from circle to circle."""
    edges = []
    for j, layer in enumerate(network.layers, start=1):
        for i in range(1, layer.units + 1):
            for m in range(layer.inputs + 1):
                if (j, m) in layout.place and (j + 1, i) in layout.place:
                    (x1, y1), (x2, y2) = layout.place[j, m], layout.place[j + 1, i]
                    cut = layout.r / math.hypot(x2 - x1, y2 - y1)  # where each circle ends
                    dx, dy = (x2 - x1) * cut, (y2 - y1) * cut
                    w = float(layer.theta[i - 1, m])
                    edges.append(Edge(j, i, m, w, x1 + dx, y1 + dy, x2 - dx, y2 - dy))
    return edges


def _lines(network: Network, edges: list[Edge], ink: Style) -> list[str]:
    """One line per weight: coloured by sign, dashed when negative, wide by size."""
    biggest = [float(abs(layer.theta).max()) for layer in network.layers]
    lines = []
    for e in edges:
        colour, width, dashes = stroke(e.w, biggest[e.j - 1], ink)
        dash = f' stroke-dasharray="{dashes}"' if dashes else ""
        symbol = theta_symbol(network.layers[e.j - 1], e.i, e.m, e.j)
        lines.append(
            f'<line class="edge" data-edge="{e.j},{e.i},{e.m}" data-weight="{e.w!r}" '
            f'x1="{e.x1:.2f}" y1="{e.y1:.2f}" x2="{e.x2:.2f}" y2="{e.y2:.2f}" '
            f'stroke="{colour}" stroke-width="{width:.2f}"{dash} stroke-opacity="0.8">'
            f"<title>{symbol} = {fmt(e.w, 6)}</title></line>"
        )
    return lines


def _class_boxes(network: Network, layout: Layout) -> list[Box]:
    """Where the class names right of the output units are written."""
    if not network.classes:
        return []
    return [
        Box(x + layout.r + 6, y - 8, text_width(network.classes[i - 1], 12), 12)
        for (j, i), (x, y) in layout.place.items()
        if j == network.L
    ]


# Where a label may sit along its edge, from the most wanted: its middle, then outwards.
ALONG = (0.5, 0.42, 0.58, 0.34, 0.66, 0.27, 0.73, 0.2, 0.8)
CLEAR = 8.0
"""The room wanted between a label and any other edge, so it reads as its own edge's."""


def _labels(edges: list[Edge], layout: Layout, taken: list[Box]) -> list[Label]:
    """Each edge's label, on its edge where it overlaps no unit and no other label, and
    lies farthest from the other edges (up to CLEAR)."""
    placed: list[Label] = []
    boxes = list(taken)
    for e in edges:
        text = weight_text(e.w)
        w, h = text_width(text, WEIGHT_SIZE) + 4, WEIGHT_SIZE * 1.5  # a line of text
        best = None
        for n, t in enumerate(ALONG):
            x, y = e.x1 + t * (e.x2 - e.x1), e.y1 + t * (e.y2 - e.y1)
            box = Box(x - w / 2, y - h / 2, w, h)
            clashes = any(box.overlaps(b) for b in boxes) or any(
                box.near(cx, cy, layout.r + 2) for cx, cy in layout.place.values()
            )
            clear = min(
                (box.distance(o.x1, o.y1, o.x2, o.y2) for o in edges if o is not e and o.j == e.j),
                default=CLEAR,
            )
            score = (clashes, -min(clear, CLEAR), n)
            if best is None or score < best[0]:
                best = (score, Label(e, text, x, y, box, clashes))
        placed.append(best[1])
        boxes.append(best[1].box)
    return placed


def _label_parts(labels: list[Label]) -> list[str]:
    """Each label: a white box over the lines, and the weight on it."""
    parts = []
    for label in labels:
        b, e = label.box, label.edge
        parts.append(
            f'<g class="weight" data-edge="{e.j},{e.i},{e.m}">'
            f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" rx="3" '
            f'fill="white" fill-opacity="0.92"/>'
            f'<text x="{label.x:.1f}" y="{label.y + WEIGHT_SIZE * BASELINE:.1f}" '
            f'text-anchor="middle" font-size="{WEIGHT_SIZE}">{xml(label.text)}</text></g>'
        )
    return parts


def _units(
    network: Network,
    layout: Layout,
    values: dict | None,
    trace: Trace | None,
    k: int,
    focusable: bool,
    ink: Style,
) -> list[str]:
    """Circles for units (with a_i^(j), and its value when traced), dashed ones for biases;
    each unit is a group marked with its layer j and number i; the predicted output unit
    (of several) is ringed."""
    out = []
    tab = ' tabindex="0"' if focusable else ""
    r = layout.r
    predicted = int(trace.predictions[k]) if trace is not None else None
    for (j, i), (x, y) in sorted(layout.place.items()):
        if i == 0:
            out.append(
                f'<circle class="bias" cx="{x}" cy="{y}" r="{r}" fill="{ink.bias}" '
                f'stroke="{ink.outline}" stroke-dasharray="4 3"/>'
                f'<text x="{x}" y="{y + 4}" text-anchor="middle">+1</text>'
            )
            continue
        out.append(f'<g class="node" data-layer="{j}" data-unit="{i}"{tab}>')
        if j == network.L and network.sizes[-1] > 1:  # the ring of a predicted unit
            seen = "visible" if i == predicted else "hidden"
            out.append(
                f'<circle class="ring" cx="{x}" cy="{y}" r="{r + 5}" fill="none" '
                f'stroke="{ink.outline}" stroke-width="3" visibility="{seen}"/>'
            )
        out.append(
            f'<circle class="unit" cx="{x}" cy="{y}" r="{r}" fill="{ink.unit}" '
            f'stroke="{ink.outline}"/>'
        )
        if j == network.L and network.classes:
            out.append(
                f'<text class="class" x="{x + r + 6}" y="{y + 4}" fill="{ink.caption}">'
                f"{xml(network.classes[i - 1])}</text>"
            )
        if values is None:
            out.append(f'<text x="{x}" y="{y + 4}" text-anchor="middle">{label(j, i)}</text></g>')
        else:
            value = values[j, i]
            size = min(VALUE_SIZE, (2 * r - 6) / text_width(value, 1, True))
            out.append(
                f'<text class="name" x="{x}" y="{y - 0.3 * size - 1:.1f}" text-anchor="middle" '
                f'font-size="10">{label(j, i)}</text>'
                f'<text class="value" x="{x}" y="{y + 0.75 * size + 1:.1f}" text-anchor="middle" '
                f'font-size="{size:.3g}" font-weight="bold">{xml(value)}</text></g>'
            )
    return out


def _headings(network: Network, columns: list, layout: Layout, ink: Style) -> list[str]:
    """Each layer's number and role above its column, and ⋮ N more where units are left out."""
    L = network.L
    parts = []
    for j, column in enumerate(columns, start=1):
        x = layout.x[j - 1]
        g = "" if j == 1 else f"g = {g_symbol(network.layers[j - 2].activation)}"
        role = "input" if j == 1 else (f"output · {g}" if j == L else g)
        parts.append(
            f'<text x="{x}" y="24" text-anchor="middle" font-weight="bold">layer {j}</text>'
        )
        parts.append(
            f'<text x="{x}" y="40" text-anchor="middle" fill="{ink.caption}">{xml(role)}</text>'
        )
        if None in column:
            hidden = network.sizes[j - 1] - (len(column) - 1)
            y = layout.place[j, column[column.index(None) - 1]][1] + layout.gap_y
            parts.append(
                f'<text class="elided" x="{x}" y="{y + 4}" text-anchor="middle" '
                f'fill="{ink.caption}">⋮ {hidden} more</text>'
            )
    return parts


def _legend(layout: Layout, ink: Style) -> list[str]:
    """What the lines mean, with a sample of each (solid positive, dashed negative), and
    the bias units."""
    x, y = MARGIN - RADIUS, layout.height - 26
    parts = []
    for n, (w, name) in enumerate(((1.0, "positive"), (-1.0, "negative"))):
        colour, width, dashes = stroke(w, 2.0, ink)
        dash = f' stroke-dasharray="{dashes}"' if dashes else ""
        left = x + n * 100
        parts.append(
            f'<line x1="{left}" y1="{y - 4}" x2="{left + 26}" y2="{y - 4}" stroke="{colour}" '
            f'stroke-width="{width:.2f}"{dash}/>'
            f'<text x="{left + 32}" y="{y}" fill="{ink.caption}">{name}</text>'
        )
    parts.append(
        f'<text class="meaning" x="{x + 200}" y="{y}" fill="{ink.caption}">'
        "weight; width ∝ |weight|</text>"
    )
    parts.append(
        f'<text x="{x}" y="{y + 18}" fill="{ink.caption}">'
        "dashed circle: the bias unit a₀ = 1</text>"
    )
    return parts


def label(j: int, i: int) -> str:
    """a_i^(j) as a label: a₁⁽²⁾."""
    return f"a{sub(i)}{_sup(j)}"


def sub(n: int) -> str:
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _sup(n: int) -> str:
    return "⁽" + str(n).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")) + "⁾"
