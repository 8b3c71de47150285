"""Whether a hand answer is right: the one rule that `forward --expect` and grading
share (docs/grading.md, "Tolerance").

By default an answer is right **as rounded where the student stopped**: 0.78 stands for
anything from 0.775 to 0.785 (half a unit in its last place written), 19.78% for
0.19775 … 0.19785, and a fraction (3/4) for itself. Unless it is the value itself
(-0.3 for -0.3), it must give at least ``MIN_SIGFIGS`` significant figures or
``MIN_DECIMALS`` decimals: 1 is not an answer for 0.78, 0.0007 is one for 0.000675.

A tolerance replaces that rule, as PrairieLearn's do: ``atol`` and ``rtol`` (right within
atol + rtol·|value|), ``sigfigs`` (the value rounded to that many significant figures,
within half a unit of the last), or ``decimals``. Every bound is widened by SLACK (about
1e-12) of the value (of 1 below 1), the error of a float64 computation, and compared
exactly: the written decimal against the float64's value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from nncalc.errors import NNCalcError
from nncalc.files.checker import plural
from nncalc.written import Unreadable, Written, number

MIN_SIGFIGS = 2
MIN_DECIMALS = 3
"""An answer held as written gives at least MIN_SIGFIGS significant figures or
MIN_DECIMALS decimals (unless it is the value itself): not 1 for 0.78, but 0.0007 for
0.000675."""
SLACK = 2.0**-40
"""The computed value's own error, relative to it (or to 1, below 1), added to every
bound: float64 arithmetic on inputs such as 0.1, which no binary fraction is, leaves
z = -0.2999999999999996 where the decimals give -0.3."""


@dataclass(frozen=True)
class Tolerance:
    """How close an answer must be. All None: as written (the default)."""

    atol: float | None = None
    rtol: float | None = None
    sigfigs: int | None = None
    decimals: int | None = None

    @property
    def as_written(self) -> bool:
        return (
            self.atol is None
            and self.rtol is None
            and self.sigfigs is None
            and self.decimals is None
        )

    def bound(self, w: Written, expected: float) -> float:
        """The distance allowed between ``w`` and ``expected`` (without the slack), to
        within float64 rounding: ``exact_bound`` is exactly it."""
        if self.sigfigs is not None:
            return 0.5 * 10.0 ** (_leading(expected) - self.sigfigs + 1) if expected else 0.0
        if self.decimals is not None:
            return 0.5 * 10.0**-self.decimals
        if self.as_written:
            return 0.0 if w.place is None else 0.5 * 10.0**w.place
        return (self.atol or 0.0) + (self.rtol or 0.0) * abs(expected)

    def exact_bound(self, w: Written, expected: float) -> Fraction:
        """bound, exactly: tolerances as the decimals the instructor wrote."""
        if self.sigfigs is not None:
            return _half(_leading(expected) - self.sigfigs + 1) if expected else Fraction(0)
        if self.decimals is not None:
            return _half(-self.decimals)
        if self.as_written:
            return Fraction(0) if w.place is None else _half(w.place)
        atol = Fraction(repr(self.atol or 0.0))
        return atol + Fraction(repr(self.rtol or 0.0)) * abs(Fraction(expected))

    def describe(self) -> str:
        """The rule in a few words: 'as written', '±0.0001', '3 significant figures'."""
        if self.sigfigs is not None:
            return f"{plural(self.sigfigs, 'significant figure', 'significant figures')}"
        if self.decimals is not None:
            return f"{plural(self.decimals, 'decimal', 'decimals')}"
        if self.as_written:
            return "as written"
        parts = [f"±{self.atol:g}"] if self.atol else []
        parts += [f"±{self.rtol * 100:g} %"] if self.rtol else []
        return " + ".join(parts) or "exactly"


AS_WRITTEN = Tolerance()


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether an answer is right, the distance allowed (with the slack), and if it is not
    right, why (with the value: for the instructor) and a hint (without it: for students)."""

    ok: bool
    bound: float
    why: str | None = None
    hint: str | None = None


def judge(w: Written, expected: float, tolerance: Tolerance = AS_WRITTEN) -> Verdict:
    """``w`` held to ``expected`` by ``tolerance``."""
    slack = SLACK * max(1.0, abs(expected))
    bound = tolerance.bound(w, expected) + slack
    off = abs(w.value - expected)
    if off <= slack:  # the value itself, to its own rounding
        return Verdict(True, bound)
    if tolerance.as_written and expected != 0 and w.place is not None:
        figures = significant(w)
        if figures < MIN_SIGFIGS and w.place > -MIN_DECIMALS:
            hint = f"give at least {MIN_SIGFIGS} significant figures or {MIN_DECIMALS} decimals"
            why = (
                f"{_given(w)} gives {plural(figures, 'significant figure', 'significant figures')}"
            )
            return Verdict(False, bound, f"{why}; {hint}", hint)
    if not _within(w, expected, tolerance, off, bound, slack):
        why = (
            f"expected {expected:.10g}, given {_given(w)}: off by {off:.3g}, "
            f"more than {bound:.3g} ({tolerance.describe()})"
        )
        return Verdict(False, bound, why)
    return Verdict(True, bound)


def _within(
    w: Written, expected: float, tolerance: Tolerance, off: float, limit: float, slack: float
) -> bool:
    """off ≤ limit: in float64 when that is clear, else exactly (the written decimal
    against the float64's exact value)."""
    doubt = 4 * (math.ulp(w.value) + math.ulp(expected) + math.ulp(limit))
    if off + doubt < limit:
        return True
    if off - doubt > limit or math.isnan(off):
        return False
    exact = tolerance.exact_bound(w, expected) + Fraction(slack)
    return abs(w.fraction() - Fraction(expected)) <= exact


def significant(w: Written) -> int:
    """The significant figures written: 0.10 has 2, 0.063 has 2, 1200 has 4, 0.000 none."""
    digits = re.sub(r"[^0-9]", "", w.exact.partition("e")[0])
    return len(digits.lstrip("0"))


def _leading(value: float) -> int:
    """The exponent of the first significant digit of ``value`` (not 0): 0.0998 → -2."""
    a = abs(Fraction(value))
    k = math.floor(math.log10(abs(value)))
    while Fraction(10) ** k > a:
        k -= 1
    while Fraction(10) ** (k + 1) <= a:
        k += 1
    return k


def _half(place: int) -> Fraction:
    return Fraction(1, 2) * Fraction(10) ** place


def _given(w: Written) -> str:
    mantissa, _, exponent = w.exact.partition("e")
    return w.exact if "/" in w.exact else f"{float(w.exact):.12g}" if exponent != "0" else mantissa


# --- forward --expect ------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """One example's expected values, the bound each may be off by, and the values."""

    expected: list[float]
    tolerance: list[float]
    actual: list[float]
    why: list[str | None]
    hints: list[str | None]

    @property
    def ok(self) -> bool:
        return all(w is None for w in self.why)


def check(
    text: str, actual: list[list[float]], what: str, tolerance: float | None = None
) -> list[Expected]:
    """``text`` (numbers split by commas, one row per example split by ;) against the
    rows ``actual``, which messages call ``what`` (such as 'h_Θ(x)'); each number judged
    as written, or within ``tolerance`` (absolute) when given."""
    rule = AS_WRITTEN if tolerance is None else Tolerance(atol=tolerance)
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
        written = [_read(c) for c in cells]
        verdicts = [judge(w, float(v), rule) for w, v in zip(written, values, strict=True)]
        checked.append(
            Expected(
                [w.value for w in written],
                [v.bound for v in verdicts],
                [float(v) for v in values],
                [v.why for v in verdicts],
                [v.hint for v in verdicts],
            )
        )
    return checked


def _read(cell: str) -> Written:
    got = number(cell)
    if isinstance(got, Unreadable):
        raise NNCalcError.at(f"--expect: {got}")
    return got
