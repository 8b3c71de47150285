"""Counting parameters: Θ^(j) has s_(j+1)·s_j weights and s_(j+1) biases.

Pure Python (no NumPy), so counting from layer sizes starts instantly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

from nncalc.errors import NNCalcError

if TYPE_CHECKING:
    from nncalc.network import Network

BYTES_PER_PARAM = 8  # float64

MAX_DIGITS = 4300
"""Layer sizes have at most this many digits (Python's own limit for reading a number)."""
COUNT_DIGITS = 3 * MAX_DIGITS
"""Digits that counts of such sizes may need (s_j·s_(j+1), summed, times 8 bytes); the CLI
raises Python's limit for int to text to this, so every count prints exactly."""
_SHORTER = f"a layer size has at most {MAX_DIGITS:,} digits"


@dataclass(frozen=True)
class ThetaCount:
    """The parameters of Θ^(j), which maps s_j units (plus the bias unit) to s_(j+1)."""

    j: int
    s_in: int
    s_out: int
    gated: bool = False
    learned_beta: bool = False

    @property
    def shape(self) -> tuple[int, int]:
        """s_(j+1) × (s_j + 1)."""
        return self.s_out, self.s_in + 1

    @property
    def matrices(self) -> int:
        """1, or 2 for SwiGLU (Θ and its gate)."""
        return 2 if self.gated else 1

    @property
    def weights(self) -> int:
        return self.matrices * self.s_out * self.s_in

    @property
    def biases(self) -> int:
        return self.matrices * self.s_out

    @property
    def total(self) -> int:
        return self.weights + self.biases + self.learned_beta

    @property
    def multiply_adds(self) -> int:
        """Per example: one multiply-add per weight (a bias is an add)."""
        return self.weights

    def breakdown(self) -> str:
        """The lecture's arithmetic: '5·10 weights + 10 biases = 60'."""
        w, b = f"{self.s_in}·{self.s_out}", f"{self.s_out}"
        if self.gated:
            w, b = f"2·{w}", f"2·{b}"
        beta = " + β" if self.learned_beta else ""
        return f"Θ^({self.j}): {w} weights + {b} biases{beta} = {self.total:,}"


@dataclass(frozen=True)
class ParamCount:
    """The parameters of a whole network, per Θ^(j) and in total."""

    sizes: tuple[int, ...]
    thetas: tuple[ThetaCount, ...]

    @property
    def total(self) -> int:
        return sum(t.total for t in self.thetas)

    @property
    def multiply_adds(self) -> int:
        """Multiply-adds of one forward pass of one example."""
        return sum(t.multiply_adds for t in self.thetas)

    @property
    def bytes(self) -> int:
        """Memory of the parameters as float64."""
        return self.total * BYTES_PER_PARAM

    def theta(self, j: int) -> ThetaCount:
        """The count of Θ^(j); NNCalcError if there is no such matrix."""
        if not 1 <= j <= len(self.thetas):
            n = len(self.thetas)
            has = "only Θ^(1)" if n == 1 else f"Θ^(1) … Θ^({n})"
            raise NNCalcError.at(f"there is no Θ^({j})", hint=f"this network has {has}")
        return self.thetas[j - 1]

    def breakdown(self) -> str:
        """'total: 20 + 60 = 80' (one term per Θ^(j))."""
        if len(self.thetas) == 1:
            return self.thetas[0].breakdown()
        terms = " + ".join(f"{t.total:,}" for t in self.thetas)
        return f"total: {terms} = {self.total:,}"


def count(sizes: Sequence[int]) -> ParamCount:
    """Parameters of a fully connected network with layer sizes s_1, …, s_L."""
    if len(sizes) < 2:
        raise NNCalcError.at(
            f"{len(sizes)} layer size given, need at least 2", hint="e.g. nncalc params 3 5 10"
        )
    for j, s in enumerate(sizes, start=1):
        if isinstance(s, bool) or not isinstance(s, int) or s < 1:
            raise NNCalcError.at(f"s_{j} = {s} is not a number of units", hint="sizes are ≥ 1")
        if s >= 10**MAX_DIGITS:
            raise NNCalcError.at(f"s_{j} has more than {MAX_DIGITS:,} digits", hint=_SHORTER)
    thetas = tuple(
        ThetaCount(j, s_in, s_out) for j, (s_in, s_out) in enumerate(pairwise(sizes), start=1)
    )
    return ParamCount(tuple(sizes), thetas)


def of_network(network: Network) -> ParamCount:
    """Parameters of a network, SwiGLU gates and learned β included."""
    thetas = tuple(
        ThetaCount(j, layer.inputs, layer.units, layer.gate is not None, layer.beta is not None)
        for j, layer in enumerate(network.layers, start=1)
    )
    return ParamCount(tuple(network.sizes), thetas)


def parse_sizes(texts: Sequence[str]) -> list[int]:
    """Layer sizes from the command line: '3 5 10' or '3,5,10', in ASCII digits only
    (Python's int() would also read '5_0' as 50 and the Arabic-Indic '٥' as 5)."""
    sizes = []
    for text in (t for arg in texts for t in arg.replace(",", " ").split()):
        if len(text) > MAX_DIGITS:
            raise NNCalcError.at(
                f"layer size '{text[:10]}…' has {len(text):,} digits", hint=_SHORTER
            )
        if not _DIGITS.fullmatch(text):
            raise NNCalcError.at(
                f"layer size '{text}' is not a whole number in the digits 0-9",
                hint="e.g. nncalc params 3 5 10",
            )
        sizes.append(int(text))
    return sizes


_DIGITS = re.compile(r"[0-9]+")
_NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def parse_count(text: str, option: str) -> int:
    """A count from the command line, exact however long (up to COUNT_DIGITS digits): a
    whole number, written as one pleases ('60', '60.0', '6e1'), in the digits 0-9."""
    from decimal import Decimal

    long = len(text) > COUNT_DIGITS
    if not long and _NUMBER.fullmatch(text.strip()):
        number = Decimal(text.strip())
        long = number.adjusted() >= COUNT_DIGITS
        if not long and number == number.to_integral_value():
            return int(number)
    raise NNCalcError.at(
        f"{option} '{text[:20]}' is not a whole number",
        hint=f"at most {COUNT_DIGITS:,} digits" if long else "e.g. 60",
    )
