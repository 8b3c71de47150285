"""Large lists of plain numbers read in bulk, before YAML composes the rest of a file.

A network's ``theta`` can hold millions of numbers; composing a YAML node for each takes
gigabytes. Flow lists such as ``[[0.5, -1, 2e-3], [3, 4, 5]]`` that hold nothing but plain
decimal numbers (and spaces, line breaks, commas and comments) are read here straight into
NumPy, and each is replaced in the text by a one-character placeholder padded so every
later line and column stays where it was. Anything else is left to the general path.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nncalc.files.yamlfile import Pos

if TYPE_CHECKING:  # NumPy loads with the first list read in bulk: the checker needs Numbers
    import numpy as np

BULK_MIN = 1000
"""Smallest flow list, in characters, read in bulk; smaller ones go through YAML."""

PLACEHOLDER = "0"

# What strtod reads other than YAML: an int with a leading zero (octal in YAML 1.1), and
# -0 (the int 0, so +0.0); anything else that parses is a YAML int or float of that value.
_NOT_YAML_FLOAT = re.compile(rb"[ ,\[\r\n](?:[-+]?0[0-9]|-0(?![0-9.eE]))")
_SHAPE = bytes.maketrans(b"-+0123456789.eE", b"0" * 15)
_RUN = re.compile(r"[-+0-9.eE,\[\] \r\n]*")
_COMMENT = re.compile(r"(?<=[ \n])#[^\n]*")
_BRACKET = re.compile(r"[\[\]]")
_OPEN = re.compile(r"\[")
_ODD_BREAK = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
_NO_BRACKETS = bytes.maketrans(b"[]", b"  ")
_STARTS_AFTER = " \n[{,:"


@dataclass(frozen=True)
class Block:
    """A flow list of numbers found in the text, not yet read as floats."""

    whole: str  # the text it is in
    span: tuple[int, int]  # where it is
    widths: list[int]  # numbers in each row (one row for a flat list)
    nested: bool  # a list of rows, not one flat list
    starts: list[tuple[int, int]]  # each row's line and column from the block's start
    size: tuple[int, int]  # values and characters, counted as YAML's nodes would be

    def values(self) -> np.ndarray | None:
        """Its numbers as float64; None where NumPy reads them otherwise than YAML (a
        number too large for float64, or two numbers with no comma between)."""
        import numpy as np

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # NumPy warns where a number does not parse
                values = np.fromstring(self.data(), sep=",")
        except (DeprecationWarning, ValueError):
            return None
        return values if len(values) == sum(self.widths) and np.isfinite(values).all() else None

    @property
    def text(self) -> str:
        return self.whole[slice(*self.span)]

    def data(self) -> bytes:
        """Its numbers apart by commas: brackets blanked, comments left out."""
        return _clean(self.text).encode("ascii").translate(_NO_BRACKETS)


class Numbers:
    """A flow list of numbers read in bulk: one row (``widths`` None), or rows of numbers."""

    def __init__(
        self, values: np.ndarray, widths: list[int] | None, pos: Pos, row_pos: list[Pos]
    ) -> None:
        self.values = values
        self.widths = widths
        self.pos = pos
        self.row_pos = row_pos

    @classmethod
    def of(cls, block: Block, pos: Pos) -> Numbers | None:
        """The numbers of one block whose placeholder is at pos (None: see Block.values)."""
        values = block.values()
        row_pos = [
            Pos(pos.source, pos.line + dl, column + (pos.column - 1 if dl == 0 else 0))
            for dl, column in block.starts
        ]
        widths = block.widths if block.nested else None
        return None if values is None else cls(values, widths, pos, row_pos)

    @classmethod
    def rows_of(cls, blocks: list[Block], pos: Pos, row_pos: list[Pos]) -> Numbers | None:
        """The rows of a list whose items are flat blocks, in one array."""
        import numpy as np

        widths = [block.widths[0] for block in blocks]
        values = np.empty(sum(widths))
        at = 0
        for block, width in zip(blocks, widths, strict=True):
            row = block.values()
            if row is None:
                return None
            values[at : at + width] = row
            at += width
        return cls(values, widths, pos, row_pos)

    def __len__(self) -> int:
        return len(self.values) if self.widths is None else len(self.widths)

    def rows(self) -> list[np.ndarray]:
        """The rows, as views of ``values``."""
        import numpy as np

        if self.widths is None:
            return [self.values]
        return np.split(self.values, np.cumsum(self.widths)[:-1])


def find(text: str) -> tuple[str, dict[tuple[int, int], Block]]:
    """The text with each bulk list replaced by a placeholder, and those lists by their
    1-based (line, column)."""
    blocks: dict[tuple[int, int], Block] = {}
    if len(text) < BULK_MIN or _ODD_BREAK.search(text):
        return text, blocks
    pieces, done, cursor = [], 0, _Cursor(text)
    start = text.find("[")
    while start >= 0:
        parts = _segment(text, start)
        for a, b in _candidates(text, parts):
            if a < done or cursor.move(a):
                continue
            block = _read(text, a, b)
            if block is not None:
                blocks[cursor.line, a - cursor.line_start + 1] = block
                pieces += [text[done:a], PLACEHOLDER, _padding(text, a, b)]
                cursor.move(b)
                done = b
        start = text.find("[", parts[-1][1])
    return ("".join([*pieces, text[done:]]) if blocks else text), blocks


class _Cursor:
    """Walks a text forward, knowing the line and whether anything before on the line hints
    at a comment, a quoted or a block scalar (which a list there would then be inside)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = self.line_start = 0
        self.line = 1
        self.hinted = False

    def move(self, to: int) -> bool:
        """Go to ``to``; whether the line hints so up to there."""
        breaks = self.text.count("\n", self.at, to)
        if breaks:
            self.line += breaks
            self.line_start = self.text.rfind("\n", self.at, to) + 1
            self.hinted = False
        before = self.text[max(self.at, self.line_start) : to]
        self.hinted = self.hinted or any(c in before for c in "#'\"|>")
        self.at = to
        return self.hinted


def _segment(text: str, start: int) -> list[tuple[int, int]]:
    """The stretches, from ``start`` on, of characters a list of numbers may hold, the
    comments between them left out."""
    parts = []
    while True:
        stop = _RUN.match(text, start).end()
        parts.append((start, stop))
        if not (stop < len(text) and text[stop] == "#" and text[stop - 1] in " \n"):
            return parts
        start = text.find("\n", stop)
        if start < 0:
            return parts


def _candidates(text: str, parts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Long bracketed lists in the stretches nested at most two deep, in text order."""
    found, stack = [], []  # stack: [opening, height of its highest child]
    for a, b in parts:
        for m in _BRACKET.finditer(text, a, b):
            if m.group() == "[":
                stack.append([m.start(), 0])
                continue
            if not stack:
                continue
            opening, height = stack.pop()
            if stack:
                stack[-1][1] = max(stack[-1][1], height + 1)
            long = m.end() - opening >= BULK_MIN
            if height < 2 and long and (opening == 0 or text[opening - 1] in _STARTS_AFTER):
                found.append((opening, m.end()))
    return sorted(found)


def _read(whole: str, a: int, b: int) -> Block | None:
    """The flow list of numbers, or of lists of numbers, at whole[a:b]; None if it is
    anything else."""
    clean = _clean(whole[a:b])
    data = clean.encode("ascii")  # _RUN lets nothing else through, comments aside
    shape = data.translate(_SHAPE, b" \r\n")  # [[0,00],[0,000]]: 0 for each number character
    widths = None if _NOT_YAML_FLOAT.search(data) else _widths(shape)
    if widths is None:
        return None
    nested = shape.startswith(b"[[")
    del shape
    chars = len(data) - sum(data.count(c) for c in b" \r\n[],")
    lists = 1 + (len(widths) if nested else 0)
    size = (sum(widths) + lists, chars + lists)
    return Block(whole, (a, b), widths, nested, _row_starts(clean, nested), size)


def _widths(shape: bytes) -> list[int] | None:
    """The numbers in each row of a shape such as [[0,00],[0,0]] or [0,000]; None if it is
    no such shape (an empty entry, a trailing comma, rows nested deeper)."""
    nested = shape.startswith(b"[[")
    lo, hi = (2, len(shape) - 2) if nested else (1, len(shape) - 1)
    if shape[lo : lo + 1] != b"0" or shape[hi - 1 : hi] != b"0" or b",," in shape:
        return None
    rows = shape.count(b"],[", lo, hi)
    if not rows == shape.count(b"[", lo, hi) == shape.count(b"]", lo, hi):
        return None
    if b"[," in shape or b",]" in shape or (nested and not shape.endswith(b"]]")):
        return None
    widths, i = [], lo
    for _ in range(rows + 1):
        j = shape.find(b"],[", i, hi)
        widths.append(shape.count(b",", i, hi if j < 0 else j) + 1)
        i = j + 3
    return widths


def _row_starts(clean: str, nested: bool) -> list[tuple[int, int]]:
    """Each row's line and column, counted from the start of the list."""
    if not nested:
        return [(0, 1)]
    starts, line, previous, line_start = [], 0, 0, 0
    for m in _OPEN.finditer(clean, 1):
        breaks = clean.count("\n", previous, m.start())
        if breaks:
            line += breaks
            line_start = clean.rfind("\n", previous, m.start()) + 1
        previous = m.start()
        starts.append((line, m.start() - line_start + 1))
    return starts


def _clean(text: str) -> str:
    """The text without its comments."""
    return _COMMENT.sub("", text) if "#" in text else text


def _padding(text: str, start: int, end: int) -> str:
    """What keeps lines and columns after text[start:end] once it is one character (no
    spaces where nothing but spaces follows on its last line)."""
    breaks = text.count("\n", start, end)
    line_end = text.find("\n", end)
    if not text[end : len(text) if line_end < 0 else line_end].strip():
        return "\n" * breaks
    if not breaks:
        return " " * (end - start - 1)
    return "\n" * breaks + " " * (end - text.rfind("\n", start, end) - 1)
