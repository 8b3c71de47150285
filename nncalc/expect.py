"""A hand answer checked against what nncalc computes (forward's --expect).

A number matches when it is the computed value rounded to the decimals written: 0.73
stands for anything from 0.725 to 0.735 (half a unit in its last place), 1 for 0.5 to
1.5; an explicit tolerance replaces that with one absolute bound for every number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from nncalc.errors import NNCalcError
from nncalc.files.checker import plural
from nncalc.parsing import number


@dataclass(frozen=True)
class Expected:
    """One example's expected values, the bound each may be off by, and the values."""

    expected: list[float]
    tolerance: list[float]
    actual: list[float]

    @property
    def ok(self) -> bool:
        return all(
            abs(a - e) <= t
            for a, e, t in zip(self.actual, self.expected, self.tolerance, strict=True)
        )


def half_unit(text: str) -> float:
    """Half a unit in the last place written: '0.73' → 0.005, '4.2e-3' → 5e-05, '1' → 0.5."""
    try:
        exponent = Decimal(text.strip()).as_tuple().exponent
    except InvalidOperation:
        exponent = 0
    return 0.5 * 10.0 ** int(exponent) if isinstance(exponent, int) else 0.0


def check(
    text: str, actual: list[list[float]], what: str, tolerance: float | None = None
) -> list[Expected]:
    """``text`` (numbers split by commas, one row per example split by ;) against the
    rows ``actual``, which messages call ``what`` (such as 'h_Θ(x)')."""
    rows = [[c for c in re.split(r"[,\s]+", row.strip()) if c] for row in text.split(";")]
    if len(rows) != len(actual):
        raise NNCalcError.at(
            f"--expect has {plural(len(rows), 'row', 'rows')} for "
            f"{plural(len(actual), 'example', 'examples')}",
            hint="one row per example, split by ;",
        )
    checked = []
    for cells, values in zip(rows, actual, strict=True):
        if len(cells) != len(values):
            raise NNCalcError.at(
                f"--expect '{','.join(cells)}' has {len(cells)} numbers; {what} has {len(values)}"
            )
        expected = [number(c, "--expect") for c in cells]
        bounds = [half_unit(c) if tolerance is None else tolerance for c in cells]
        checked.append(Expected(expected, bounds, [float(v) for v in values]))
    return checked
