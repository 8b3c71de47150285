"""Numbers as a student should read them: short, and never silently rounded to 1."""

from __future__ import annotations

import math


def fmt(x: float, precision: int = 6) -> str:
    """x to ``precision`` significant digits, without trailing zeros (41.5, 0.731059, 9.5e-19)."""
    if x == 0:
        return "0"
    text = f"{x:.{precision}g}"
    return text.replace("-", "−") if text.startswith("-") else text


def fmt_near_one(x: float, gap: float | None, precision: int = 6) -> tuple[str, bool]:
    """x, written as 1 − gap when it would show as ±1 but is not exactly ±1.

    ``gap`` is 1 − |x| computed without rounding (σ(41.5) is 1 − 9.5e-19, which
    float64 stores as 1.0); None means 1 − |x| in float64 is good enough. Returns the
    text and whether it needed the 1 − gap form.
    """
    text = fmt(x, precision)
    if text not in ("1", "−1"):
        return text, False
    if gap is None:
        gap = 1 - abs(x)
    if gap <= 0 or math.isnan(gap):
        return text, False
    return (f"1 − {gap:.2g}" if x > 0 else f"−1 + {gap:.2g}"), True


def vector(values: list[str]) -> str:
    """[v_1, v_2, …] for display."""
    return "[" + ", ".join(values) + "]"
