"""One-hot labels: class k of K is e_k, the vector with a 1 in place k (1-based, as in the lecture).

Pure Python (no NumPy), so encoding a label starts instantly.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from nncalc.errors import EXCERPT, NNCalcError, cut, excerpt
from nncalc.files.reader import max_bytes
from nncalc.parsing import is_float

MAX_CLASSES = 1_000_000
"""Most classes a one-hot vector may have (each label becomes a row of K numbers)."""


@dataclass(frozen=True)
class Classes:
    """K classes, optionally named; labels count from 1 (or from 0 with ``zero_based``)."""

    K: int
    names: tuple[str, ...] | None = None
    zero_based: bool = False

    def __post_init__(self) -> None:
        if not 1 <= self.K <= MAX_CLASSES:
            many = f"{self.K:,}" if self.K <= MAX_CLASSES else f"over {MAX_CLASSES:,}"
            raise NNCalcError.at(
                f"{many} classes; there must be 1 to {MAX_CLASSES:,}", hint="--classes K"
            )
        if self.names is not None and len(self.names) != self.K:
            raise NNCalcError.at(f"{len(self.names)} names for {self.K} classes")

    @classmethod
    def parse(cls, text: str, zero_based: bool = False) -> Classes:
        """'10' (K = 10) or 'pedestrian,car,motorcycle,truck' (named classes)."""
        text = text.strip()
        if text.isascii() and text.isdigit():
            K = int(text) if len(text) <= len(str(MAX_CLASSES)) else MAX_CLASSES + 1
            return cls(K, None, zero_based)
        names = tuple(n.strip() for n in text.split(","))
        if not all(names):
            raise NNCalcError.at(
                f"--classes {excerpt(text)} has an empty name",
                hint="give K, or names separated by commas",
            )
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise NNCalcError.at(f"class {excerpt(name)} is named twice in --classes")
            seen.add(name)
        return cls(len(names), names, zero_based)

    @property
    def first(self) -> int:
        return 0 if self.zero_based else 1

    @property
    def labels(self) -> list[str | int]:
        """The label of each class, in order: its name, or its number."""
        return list(self.names) if self.names else [self.first + i for i in range(self.K)]

    def label(self, k: int) -> str | int:
        """The label of class k (1-based)."""
        return self.names[k - 1] if self.names else self.first + k - 1

    @cached_property
    def _positions(self) -> dict[str, int]:
        """Each name's class (1-based), so a label is found at once among many names."""
        return {name: k for k, name in enumerate(self.names or (), start=1)}

    def index(self, label: str | int) -> int:
        """The class (1-based) of a label: a name, or a number counted from ``first``."""
        text = str(label).strip()
        if text in self._positions:
            return self._positions[text]
        try:
            number = int(text)
        except ValueError:
            raise NNCalcError.at(self._unknown(text)) from None
        k = number - self.first + 1
        if not 1 <= k <= self.K:
            last = self.first + self.K - 1
            hint = " (or --zero-based for 0 … K−1)" if number == 0 and not self.zero_based else ""
            raise NNCalcError.at(
                f"label {number} is out of range: classes are {self.first} … {last}{hint}"
            )
        return k

    def _unknown(self, text: str) -> str:
        if not self.names:
            last = self.first + self.K - 1
            return f"label {excerpt(text)} is not a class number ({self.first} … {last})"
        close = difflib.get_close_matches(text[:EXCERPT], self.names, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else "classes: " + cut(", ".join(self.names))
        return f"unknown class {excerpt(text)}; {hint}"


def e(k: int, K: int) -> list[int]:
    """e_k of length K: 1 in place k (1-based), 0 elsewhere."""
    return [int(i == k) for i in range(1, K + 1)]


def encode(labels: Sequence[str | int], classes: Classes) -> list[list[int]]:
    """Y: one row e_k per label; refused up front if its m × K entries, 8 bytes each,
    would pass NNCALC_MAX_BYTES."""
    within_limit(len(labels) * classes.K, f"{len(labels):,} labels × {classes.K:,} classes")
    return [e(classes.index(label), classes.K) for label in labels]


def within_limit(entries: int, what: str) -> None:
    """Refuse up front one-hot vectors of ``entries`` entries in all, 8 bytes each, past
    NNCALC_MAX_BYTES (``what`` makes them)."""
    size, limit = 8 * entries, max_bytes()
    if size > limit:
        raise NNCalcError.at(
            f"{what} make a Y of {size:,} bytes, over the limit of {limit:,}",
            hint="fewer labels or classes, or raise NNCALC_MAX_BYTES",
        )


SHOWN = 30
"""Most entries of a one-hot vector a report writes out; a longer one is written e_k."""


def shown(y: Sequence[int]) -> str:
    """y as reports write it: [0, 0, 1] while it is short, else 'e_3 of length 1,000,000',
    which says as much exactly."""
    if len(y) <= SHOWN:
        return f"[{', '.join(map(str, y))}]"
    return f"e_{y.index(1) + 1} of length {len(y):,}"


@dataclass(frozen=True)
class Decoded:
    """A vector read back as a class: exactly one-hot, or the argmax of scores."""

    k: int
    label: str | int
    one_hot: bool
    ties: tuple[int, ...] = ()
    """The other units (1-based) as large as unit k, which is the first of them."""

    @property
    def tied(self) -> bool:
        return bool(self.ties)


def decode(vector: Sequence[float], classes: Classes | None = None) -> Decoded:
    """The class of a one-hot vector, or of the largest entry of a probability vector."""
    if not vector:
        raise NNCalcError.at("--decode needs a vector", hint="e.g. --decode 0,0,1,0")
    if not all(math.isfinite(v) for v in vector):
        raise NNCalcError.at("--decode takes finite numbers, not NaN or infinity")
    classes = classes or Classes(len(vector))
    if len(vector) != classes.K:
        raise NNCalcError.at(f"--decode has {len(vector)} entries, expected K = {classes.K}")
    top = max(vector)
    k = vector.index(top) + 1
    one_hot = sorted(vector) == [0] * (len(vector) - 1) + [1]
    ties = tuple(m for m, v in enumerate(vector, start=1) if v == top and m != k)
    return Decoded(k, classes.label(k), one_hot, ties)


def read_labels(text: str, source: str, classes: Classes) -> list[str]:
    """Labels from a file: one per line, or the first column of a .csv (header skipped).

    Blank lines and lines starting with # are skipped.
    """
    is_csv = source.lower().endswith(".csv")
    labels = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        cell = line.split(",")[0].strip()
        if not cell or cell.startswith("#"):
            continue
        try:
            classes.index(cell)
        except NNCalcError as error:
            if is_csv and not labels and line_number == 1:
                continue  # the header row
            raise NNCalcError.at(error.problems[0].message, source, line_number) from None
        labels.append(cell)
    if not labels:
        raise NNCalcError.at("no labels in the file", source)
    return labels


def target(cells: Sequence[str], classes: Classes) -> list[float]:
    """y^(i) from a label as written: a class (a name or a number: e_k), or a row of K
    numbers (one-hot, probabilities or any targets); with one output unit, y itself."""
    cells = [c.strip() for c in cells]
    if len(cells) == 1 and classes.K > 1:
        return [float(v) for v in e(classes.index(cells[0]), classes.K)]
    if len(cells) != classes.K:
        raise NNCalcError.at(
            f"a label has {len(cells)} numbers; give a class or a row of K = {classes.K}"
        )
    values = []
    for cell in cells:
        try:
            value = float(cell)
        except ValueError:
            raise NNCalcError.at(f"{excerpt(cell)} is not a number (in a row y)") from None
        if not math.isfinite(value):
            raise NNCalcError.at(f"{excerpt(cell)} is not a finite number (in a row y)")
        values.append(value)
    return values


def cells(line: str) -> list[str]:
    """A label's cells: split by commas, else by spaces unless the whole line is one
    name ('big truck')."""
    text = line.strip()
    if "," in text:
        return text.split(",")
    parts = text.split()
    return parts if all(is_float(p) for p in parts) else [text]
