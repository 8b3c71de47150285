"""The lecture's symbols as students type them: δ_1^(2), D_12^(1), Δ_1,2^(1), Θ_10^(2).

A symbol names one number: δ_i^(j) of layer j's unit i (one per example), or the entry
(i, m) of a matrix of Θ^(j)'s shape: D (∂J/∂Θ), Δ (the sum over examples) or Θ itself.
Greek letters may be spelled out (delta, Delta, Theta); the subscript's two indices may
run together (D_12) only when each has one digit; the ^ and the parentheses are optional.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nncalc.errors import NNCalcError, excerpt

NAMES = {
    "δ": "delta",
    "delta": "delta",
    "D": "D",
    "Δ": "Delta",
    "Delta": "Delta",
    "Θ": "theta",
    "Theta": "theta",
    "theta": "theta",
}
"""Each spelling of a symbol, and the name it stands for."""

_SYMBOL = re.compile(
    r"(?P<name>δ|delta|Delta|Δ|D|Θ|Theta|theta)\s*_?\s*\{?\s*(?P<sub>\d+(?:\s*,\s*\d+)?)\s*\}?"
    r"\s*\^?\s*[({]\s*(?P<j>\d+)\s*[)}]"
)


@dataclass(frozen=True)
class Symbol:
    """``name`` ('delta', 'D', 'Delta' or 'theta'), layer j, unit or row i, column m."""

    name: str
    j: int
    i: int
    m: int | None = None

    def __str__(self) -> str:
        glyph = {"delta": "δ", "D": "D", "Delta": "Δ", "theta": "Θ"}[self.name]
        comma = "," if self.m is not None and max(self.i, self.m) >= 10 else ""
        sub = f"{self.i}" if self.m is None else f"{self.i}{comma}{self.m}"
        return f"{glyph}_{sub}^({self.j})"


def parse(text: str) -> Symbol:
    """The symbol that ``text`` writes; NNCalcError saying how to write one otherwise."""
    found = _SYMBOL.fullmatch(text.strip())
    if not found:
        raise NNCalcError.at(
            f"{excerpt(text)} is not a symbol of backpropagation",
            hint="write δ_1^(2) (or delta_1^(2)), D_1,2^(1), Δ_12^(1) or Θ_10^(2)",
        )
    name = NAMES[found["name"]]
    j = int(found["j"])
    sub = found["sub"]
    if name == "delta":
        if "," in sub:
            raise NNCalcError.at(f"δ has one index, its unit: found {excerpt(sub)}")
        return Symbol(name, j, int(sub))
    if "," in sub:
        i, m = (int(part) for part in sub.split(","))
    elif len(sub) == 1:
        raise NNCalcError.at(
            f"{excerpt(text.strip())} has one index; {name} has two, row i and column m",
            hint="write _i,m, as D_1,0^(1)",
        )
    elif len(sub) == 2:
        i, m = int(sub[0]), int(sub[1])
    else:
        raise NNCalcError.at(
            f"{excerpt(text.strip())} has two indices run together, {sub}",
            hint="split them with a comma: _i,m",
        )
    return Symbol(name, j, i, m)
