"""Checking parsed YAML against a format: every problem collected with its position."""

from __future__ import annotations

import difflib
import math
from typing import Any

from nncalc.errors import EXCERPT, NNCalcError, Problem, cut, excerpt
from nncalc.files.yamlfile import Pos, YDict, YList


class Checker:
    """Collects the problems of one document; subclasses know its format."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def problem(
        self, pos: Pos | None, message: str, hint: str | None = None, column: bool = False
    ) -> None:
        """Record a problem at pos; ``column`` adds the column (for values inside a line)."""
        line = pos.line if pos else None
        col = pos.column if pos and column else None
        self.problems.append(Problem(message, self.source, line, col, hint))

    def raise_problems(self) -> None:
        if self.problems:
            raise NNCalcError(*sorted(self.problems, key=lambda p: (p.line or 0, p.column or 0)))

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
            if key not in allowed:
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

    def row(self, value: Any, pos: Pos, where: str) -> list[float] | None:
        if not isinstance(value, YList) or not value:
            self.problem(pos, f"{where} should be a non-empty list of numbers, found {kind(value)}")
            return None
        numbers = [
            self.entry(v, p, f"{where}, entry {k}")
            for k, (v, p) in enumerate(zip(value, value.item_pos, strict=True), start=1)
        ]
        return None if any(n is None for n in numbers) else numbers  # type: ignore[return-value]

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


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list" if value else "an empty list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"text {excerpt(value)}"
    return f"the number {cut(str(value))}"
