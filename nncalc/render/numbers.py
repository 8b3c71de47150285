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


def certain(value: float, bound: float, precision: int) -> tuple[str, bool]:
    """value as shown, given a bound on its error: the digits the bound leaves certain, up
    to ``precision`` (fewer, trailing zeros kept and marked True, where it reaches into
    them); 0 (marked) where it reaches past 0; ? (marked) where no digit is certain."""
    value, bound = float(value), float(bound)
    if bound == 0:
        return fmt(value, precision), False
    if not abs(value) > bound:  # an infinite or NaN bound too
        return "0", True
    lo, hi = math.nextafter(value - bound, -math.inf), math.nextafter(value + bound, math.inf)
    if (lo > 0) == (hi > 0) and lo != 0 != hi:  # one sign (a product of tiny ones is 0)
        for q in range(precision, -1 if isinstance(precision, Decimals) else 0, -1):
            shown = Decimals(q) if isinstance(precision, Decimals) else q
            if fmt(lo, shown) == fmt(hi, shown):
                return (fmt(value, shown), False) if q == precision else (_kept(value, shown), True)
    return "?", True


def _kept(value: float, q: int) -> str:
    """value to q significant digits (or Decimals) with its trailing zeros: 1.00e−14."""
    if isinstance(q, Decimals):
        return fmt(value, q)
    text = f"{value:#.{q}g}".replace(".e", "e").removesuffix(".")
    return text.replace("-", "−") if text.startswith("-") else text


def described(precision: int) -> str:
    """'6 digits' or '4 decimals': what ``precision`` rounds to, for notes."""
    unit = "decimal" if isinstance(precision, Decimals) else "digit"
    return f"{precision} {unit}" + ("" if precision == 1 else "s")


def ones(precision: int) -> tuple[str, str]:
    """1 and −1 as fmt writes them at ``precision`` ('1', or '1.0000' for 4 decimals): the
    texts a value that is not ±1 must never show (it is written 1 − gap instead)."""
    one = fmt(1.0, precision)
    return one, "−" + one


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
