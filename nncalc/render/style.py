"""The look shared by every table nncalc prints, and the console that prints them."""

from __future__ import annotations

import re
import sys
from typing import TextIO

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text

from nncalc.render import escape

_TRAILING = re.compile(r"[ \t]+\n")
UNBOUNDED = 1_000_000
"""A console width no table reaches: to measure a table's natural widths."""


def table(title: str | None = None, **kw) -> Table:
    """A table in nncalc's style whose title and text cells are Text (never Rich markup,
    whatever console prints them), shown as the terminal shows text from outside."""
    title = None if title is None else text(title)
    return _Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", **kw)


class _Table(Table):
    def add_row(self, *cells, **kw) -> None:
        super().add_row(*(text(c) if isinstance(c, str) else c for c in cells), **kw)


def text(plain: str, style: str = "") -> Text:
    """Text from outside (or not) as Rich Text: unseen characters as escapes, no markup."""
    return Text(escape.terminal(plain), style=style)


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """A closed pipe is the process's to handle (exit 141), not Rich's (exit 1)."""
        raise BrokenPipeError


def console(stderr: bool = False) -> Console:
    """A console for stdout (or stderr); piped output has no trailing spaces (Rich pads
    table cells and titles to the table's width)."""
    file = sys.stderr if stderr else sys.stdout
    if not file.isatty():
        file = _Stripped(file)
    return _Console(highlight=False, emoji=False, markup=False, file=file)  # names as written


class _Stripped:
    """A text file that drops the spaces before each end of line written to it."""

    def __init__(self, file: TextIO) -> None:
        self.file = file
        self.held = ""  # spaces at the end of the last write: kept if text follows them

    def write(self, text: str) -> int:
        text = _TRAILING.sub("\n", self.held + text)
        body = text.rstrip(" \t")
        self.held = text[len(body) :]
        self.file.write(body)
        return len(text)

    def flush(self) -> None:
        self.file.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return self.file.fileno()


def mark(ok: bool) -> Text:
    """✓ in green or ✗ in red."""
    return Text("✓", style="green") if ok else Text("✗", style="red")


class Fitted:
    """A table that never cuts a cell: as it is when the console is wide enough; with its
    cells wrapped at spaces when that suffices; else stacked, one line per cell."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if _natural_width(self.table) <= width:
            yield self.table
            return
        whole = Measurement.get(console, options.update_width(UNBOUNDED), self.table)
        if whole.maximum <= width:
            yield self.table
        elif whole.minimum <= width:
            yield _wrapped(
                self.table, console, options.update_width(UNBOUNDED), width - whole.minimum
            )
        else:
            yield from _stacked(self.table)


def _natural_width(table: Table) -> int:
    """The table's width with no cell wrapped, when its cells are plain text (a quick
    look that saves Rich measuring every cell twice); else UNBOUNDED."""
    _, right, _, left = table.padding
    total = (2 if table.box and table.show_edge else 0) + len(table.columns) - 1
    for column in table.columns:
        texts = [c.plain if isinstance(c, Text) else c for c in (column.header, *column.cells)]
        if not all(isinstance(t, str) for t in texts):
            return UNBOUNDED  # another renderable: Rich measures it
        total += left + right + max(cell_len(line) for t in texts for line in t.split("\n"))
    return total


def _wrapped(table: Table, console: Console, options: ConsoleOptions, slack: int) -> Table:
    """The table with each column as narrow as its longest word, then widened in turn
    (first column first) by the ``slack`` left over, up to its natural width."""
    for column in table.columns:
        cells = [column.header, *column.cells]
        sizes = [Measurement.get(console, options, c) for c in cells]
        least = max(s.minimum for s in sizes)
        extra = min(slack, max(s.maximum for s in sizes) - least)
        slack -= extra
        column.width = least + extra
    return table


def _stacked(table: Table) -> list[Text]:
    """The table's rows as lines: the first cell, then 'header = cell' for the others."""
    lines = [] if table.title is None else [Text(str(table.title), style="italic")]
    headers = [_plain(c.header) for c in table.columns]
    for row in zip(*(c.cells for c in table.columns), strict=True):
        cells = [_plain(c) for c in row]
        lines.append(Text(f" {headers[0]} = {cells[0]}" if headers[0] else f" {cells[0]}"))
        for header, cell in zip(headers[1:], cells[1:], strict=True):
            if cell:
                head = header.split(" = ")[0]
                lines.append(Text(f"   {head} = {cell}" if head else f"   {cell}"))
    return lines


def _plain(cell) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)
