"""The learning curve, J(Θ) after each step of gradient descent: in the terminal, and
as an SVG document."""

from __future__ import annotations

from xml.sax.saxutils import escape

from nncalc.render.numbers import fmt

WIDTH, HEIGHT = 60, 10
"""The terminal plot's columns and rows."""


def text(curve: list[float], width: int = WIDTH, height: int = HEIGHT) -> list[str]:
    """J against the step as lines of text: a dot per column (the J of the step that
    column stands for), J's largest and smallest value on the axis."""
    top, bottom = max(curve), min(curve)
    columns = min(width, len(curve))
    grid = [[" "] * columns for _ in range(height)]
    for c in range(columns):
        k = round(c * (len(curve) - 1) / max(columns - 1, 1))
        level = 0 if top == bottom else (top - curve[k]) / (top - bottom)
        grid[round(level * (height - 1))][c] = "•"
    labels = [fmt(top, 4), fmt(bottom, 4)]
    pad = max(map(len, labels))
    lines = ["J(Θ)"]
    for r, row in enumerate(grid):
        label = labels[0] if r == 0 else labels[1] if r == height - 1 else ""
        axis = "┤" if label else "│"
        lines.append(f"{label:>{pad}} {axis}{''.join(row)}".rstrip())
    lines.append(f"{'':>{pad}} └{'─' * columns} step")
    last = str(len(curve) - 1)
    lines.append(f"{'':>{pad}}  0{last:>{columns - 1}}")
    return lines


def svg(curve: list[float], title: str = "learning curve") -> str:
    """J(Θ) after each step as an SVG line chart, axes labelled."""
    w, h, left, right, top, bottom = 640, 360, 80, 20, 40, 50
    plot_w, plot_h = w - left - right, h - top - bottom
    high, low = max(curve), min(curve)
    span = high - low or 1.0
    steps = max(len(curve) - 1, 1)
    points = " ".join(
        f"{left + plot_w * k / steps:.2f},{top + plot_h * (high - J) / span:.2f}"
        for k, J in enumerate(curve)
    )
    x_axis = top + plot_h
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{w}" height="{h}" fill="white"/>',
        f'<text x="{left}" y="24" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{x_axis}" stroke="#333"/>',
        f'<line x1="{left}" y1="{x_axis}" x2="{w - right}" y2="{x_axis}" stroke="#333"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{fmt(high, 4)}</text>',
        f'<text x="{left - 6}" y="{x_axis + 4}" text-anchor="end">{fmt(low, 4)}</text>',
        f'<text x="{left}" y="{x_axis + 18}" text-anchor="middle">0</text>',
        f'<text x="{w - right}" y="{x_axis + 18}" text-anchor="middle">{len(curve) - 1}</text>',
        f'<text x="{left + plot_w / 2}" y="{h - 12}" text-anchor="middle">step</text>',
        f'<text x="18" y="{top + plot_h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 18 {top + plot_h / 2})">J(Θ)</text>',
        f'<polyline points="{points}" fill="none" stroke="#2563eb" stroke-width="2"/>',
        "</svg>",
    ]
    return "\n".join(parts) + "\n"
