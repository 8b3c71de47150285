"""Numbers as a student should read them: short, and never silently rounded to 1."""

from __future__ import annotations

import math
from collections.abc import Sequence

from nncalc.render.elide import more, shown

MAX_DIGITS = 17
"""Most significant digits printed: enough to tell every float64 from its neighbours."""


class Decimals(int):
    """A precision of N decimal places (``--decimals N``), where a plain int is N
    significant digits (``-p N``): ``fmt(0.5, Decimals(4))`` is '0.5000'."""


def fmt(x: float, precision: int = 6) -> str:
    """x to ``precision`` significant digits, without trailing zeros (41.5, 0.731059, 9.5e-19);
    or to a fixed number of decimals when ``precision`` is Decimals (41.5000, 0.7311)."""
    if isinstance(precision, Decimals):
        return _fixed(x, precision)
    if x == 0:
        return "0"
    text = f"{x:.{precision}g}"
    return text.replace("-", "−") if text.startswith("-") else text


def _fixed(x: float, places: int) -> str:
    """x to ``places`` decimals (no sign on a zero); beyond MAX_DIGITS digits, as fmt does."""
    text = f"{abs(x):.{places}f}"
    if len(text.replace(".", "").lstrip("0")) > MAX_DIGITS:
        return fmt(x, MAX_DIGITS)
    return ("−" if x < 0 and text.strip("0.") else "") + text


def digits(precision: int) -> str:
    """'6 digits' or '4 decimals': what ``precision`` rounds to, for notes."""
    unit = "decimal" if isinstance(precision, Decimals) else "digit"
    return f"{precision} {unit}" + ("" if precision == 1 else "s")


def exact(
    x: float, gap: float | None = None, log: float | None = None, precision: int = 6
) -> tuple[str, str | None]:
    """x for display, and why it is not what plain rounding would show (or None).

    A value that would show as ±1 but is not exactly ±1 is written 1 − gap: σ(41.5) is
    1 − 9.5e-19, which float64 stores as 1.0; ``gap`` is 1 − |x| computed without
    rounding (None: 1 − |x| in float64 is good enough). A value stored as 0 whose true
    size is known from ``log`` = ln |x| is written in full: σ(−800) is 3.6e-348.
    """
    text = fmt(x, precision)
    if text.lstrip("−") == fmt(1.0, precision):
        gap = 1 - abs(x) if gap is None else gap
        if gap > 0:
            stored = " and in float64" if abs(x) == 1 else ""
            one = f"1 − {gap:.2g}" if x > 0 else f"−1 + {gap:.2g}"
            return one, f"rounds to {text} at {digits(precision)}{stored}"
    if x == 0 and log is not None and math.isfinite(log):
        sign = "−" if math.copysign(1, x) < 0 else ""
        return sign + _from_log(log), "below float64's smallest, 4.9e-324, so stored as 0"
    return text, None


def _from_log(log: float) -> str:
    """e^log in scientific notation (3.6e-348), or as e^log when even its exponent is huge."""
    decimal = log / math.log(10)
    if abs(decimal) > 1e15:  # the mantissa is lost to rounding
        return f"e^{fmt(log, 3)}"
    exponent = math.floor(decimal)
    mantissa = 10 ** (decimal - exponent)
    if f"{mantissa:.2g}" == "10":
        mantissa, exponent = 1.0, exponent + 1
    return f"{mantissa:.2g}e{exponent}"


def vector(
    values: Sequence,
    limit: int | None = None,
    dots: str | None = None,
    precision: int | None = None,
) -> str:
    """[v_1, v_2, …]: text, or numbers to ``precision`` digits; longer than ``limit``
    (elide.shown), the middle is elided to ``dots`` (default … (N more) …), and only the
    numbers shown are formatted."""
    keep = shown(len(values), limit)
    hidden = len(values) - len(keep) + 1
    cells = [
        (more(hidden) if dots is None else dots)
        if i is None
        else (values[i - 1] if precision is None else fmt(values[i - 1], precision))
        for i in keep
    ]
    return "[" + ", ".join(cells) + "]"
