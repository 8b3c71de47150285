"""Numbers as a student should read them: short, and never silently rounded to 1."""

from __future__ import annotations

from collections.abc import Sequence

from nncalc.render.elide import more, shown


def fmt(x: float, precision: int = 6) -> str:
    """x to ``precision`` significant digits, without trailing zeros (41.5, 0.731059, 9.5e-19)."""
    if x == 0:
        return "0"
    text = f"{x:.{precision}g}"
    return text.replace("-", "−") if text.startswith("-") else text


def vector(
    values: Sequence, limit: int | None = None, dots: str | None = None, precision: int = 0
) -> str:
    """[v_1, v_2, …]: text, or numbers to ``precision`` digits; longer than ``limit``
    (elide.shown), the middle is elided to ``dots`` (default … (N more) …), and only the
    numbers shown are formatted."""
    keep = shown(len(values), limit)
    hidden = len(values) - len(keep) + 1
    cells = [
        (more(hidden) if dots is None else dots)
        if i is None
        else (fmt(values[i - 1], precision) if precision else values[i - 1])
        for i in keep
    ]
    return "[" + ", ".join(cells) + "]"
