"""Checking parsed YAML against a format: every problem collected with its position."""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from typing import Any

from nncalc.errors import EXCERPT, NNCalcError, Problem, cut, excerpt
from nncalc.files.bulk import Numbers
from nncalc.files.yamlfile import Pos, YDict, YList

MAX_PROBLEMS = 100
"""Most problems reported one by one; the rest are counted in one line."""


class Checker:
    """Collects the problems of one document; subclasses know its format."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.more = 0  # problems past MAX_PROBLEMS, counted only
        self.row_cache: dict[int, tuple[YList, list[float | None], list[int]]] = {}

    def problem(
        self, pos: Pos | None, message: str, hint: str | None = None, column: bool = False
    ) -> None:
        """Record a problem at pos; ``column`` adds the column (for values inside a line)."""
        if self.counted():
            return
        line = pos.line if pos else None
        col = pos.column if pos and column else None
        self.problems.append(Problem(message, self.source, line, col, hint))

    def counted(self, n: int = 1) -> bool:
        """Past MAX_PROBLEMS, count ``n`` more problems (and say so) instead of writing them."""
        if len(self.problems) < MAX_PROBLEMS:
            return False
        self.more += n
        return True

    def raise_problems(self) -> None:
        if self.problems:
            problems = sorted(self.problems, key=lambda p: (p.line or 0, p.column or 0))
            if self.more:
                more = f"and {self.more:,} more problem" + ("s" if self.more > 1 else "")
                problems.append(Problem(more, self.source))
            raise NNCalcError(*problems)

    def document(self, doc: Any, main_key: str, allowed: tuple[str, ...], where: str) -> YDict:
        """The top-level mapping of a document (an error if it is none), keys checked."""
        if not isinstance(doc, YDict):
            raise NNCalcError.at(
                f"expected a mapping with '{main_key}:', found {kind(doc)}", self.source, 1
            )
        self.check_keys(doc, allowed, where)
        return doc

    def check_keys(self, d: YDict, allowed: tuple[str, ...], where: str) -> None:
        for key in d:
            if key not in allowed and not self.counted():
                close = difflib.get_close_matches(key[:EXCERPT], allowed, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "allowed: " + ", ".join(allowed)
                self.problem(d.key_pos[key], f"unknown key {excerpt(key)} in {where}", hint)

    def text(self, d: YDict, key: str) -> str | None:
        value = d.get(key)
        if value is None:
            return None
        if isinstance(value, YDict | YList):
            self.problem(d.value_pos[key], f"'{key}' should be text, found {kind(value)}")
            return None
        return str(value)

    def row(self, value: Any, pos: Pos, where: str) -> Sequence[float] | None:
        """A non-empty list of finite numbers."""
        if isinstance(value, Numbers) and value.widths is None:
            return value.values  # finite numbers all
        if not isinstance(value, YList) or not value:
            self.problem(pos, f"{where} should be a non-empty list of numbers, found {kind(value)}")
            return None
        numbers, bad = self.floats(value)
        for i, k in enumerate(bad):
            if self.counted(len(bad) - i):
                break
            self.entry(value[k], value.item_pos[k], f"{where}, entry {k + 1}")
        return None if bad else numbers  # type: ignore[return-value]

    def floats(self, value: YList) -> tuple[list[float | None], list[int]]:
        """Each entry as a finite float or None, and where the Nones are (once per list,
        however often aliases repeat it)."""
        if id(value) not in self.row_cache:
            numbers = [_finite(v) for v in value]
            bad = [k for k, n in enumerate(numbers) if n is None]
            self.row_cache[id(value)] = (value, numbers, bad)  # value kept, so its id stays its own
        return self.row_cache[id(value)][1:]

    def numbers(self, value: Any, pos: Pos, where: str) -> list[float] | None:
        """A row of numbers, where a single number is a row of one."""
        if is_number(value):
            value = YList([value])
            value.item_pos = [pos]
        return self.row(value, pos, where)

    def entry(self, value: Any, pos: Pos, where: str) -> float | None:
        if isinstance(value, bool):
            self.problem(
                pos,
                f"{where} is a YAML boolean ({str(value).lower()}), not a number",
                "write 1 or 0; YAML reads yes, no, on and off as booleans",
                column=True,
            )
            return None
        if not is_number(value):
            shown = excerpt(value) if isinstance(value, str) else kind(value)
            self.problem(pos, f"{where}: {shown} is not a number", column=True)
            return None
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            shown = value if isinstance(value, float) else "too large for float64"
            self.problem(
                pos, f"{where} is {shown}", "weights and inputs must be finite numbers", column=True
            )
            return None
        return number

    def number(self, d: YDict, key: str, where: str, default: float | None) -> float | None:
        if key not in d:
            return default
        n = self.entry(d[key], d.value_pos[key], f"{where}: {key}")
        return default if n is None else n


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _finite(value: Any) -> float | None:
    """The value as a finite float, or None if it is not a number or not finite."""
    if not is_number(value):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | Numbers):
        return "a list" if len(value) else "an empty list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"text {excerpt(value)}"
    return f"the number {cut(str(value))}"
