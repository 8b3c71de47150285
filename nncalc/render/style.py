"""The look shared by every table nncalc prints, and the console that prints them."""

from __future__ import annotations

import copy
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
_WORD = re.compile(r"\S+")
_SPACED_WORD = re.compile(r"(\s*)(\S+)")
UNBOUNDED = 1_000_000
"""A console width no table reaches: to measure a table's natural widths."""


def table(title: str | None = None, **kw) -> Fitted:
    """A table in nncalc's style, fitted to the console (see Fitted), whose title and text
    cells are Text (never Rich markup, whatever console prints them), shown as the
    terminal shows text from outside."""
    title = None if title is None else text(title)
    return Fitted(title=title, box=box.SIMPLE_HEAD, title_justify="left", **kw)


def text(plain: str, style: str = "") -> Text:
    """Text from outside (or not) as Rich Text: unseen characters as escapes, no markup."""
    return Text(escape.terminal(plain), style=style)


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """A closed pipe is the process's to handle (exit 141), not Rich's (exit 1)."""
        raise BrokenPipeError

    def print(self, *objects, crop: bool = False, **kw) -> None:
        """Console.print, with no line cropped at the console's width (see render)."""
        super().print(*objects, crop=crop, **kw)

    def render(self, renderable, options: ConsoleOptions | None = None):
        """Console.render, with text that has a word (a number) wider than the console
        wrapped at spaces and that word printed whole, for the terminal to wrap."""
        width = (options or self.options).max_width
        whole = isinstance(renderable, Text) and renderable.overflow == "ignore"
        if isinstance(renderable, Text) and not whole and _longest_word(renderable.plain) > width:
            renderable = _Unbroken(renderable)
        return super().render(renderable, options)


def _longest_word(text: str) -> int:
    return max(map(cell_len, _WORD.findall(text)), default=0)


class _Unbroken:
    """Text wrapped at spaces, whose words are never cut: a word wider than the line is a
    line of its own, as wide as it is."""

    def __init__(self, text: Text) -> None:
        self.text = text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for line in self.text.split(allow_blank=True):
            for part in line.divide(_breaks(line.plain, options.max_width)):
                part.rstrip()
                part.no_wrap, part.overflow = True, "ignore"
                yield part


def _breaks(text: str, width: int) -> list[int]:
    """Where to break text into lines of at most ``width`` cells, at spaces only."""
    breaks, used = [], 0
    for match in _SPACED_WORD.finditer(text):
        spaces, word = match.groups()
        if used and used + cell_len(spaces + word) > width:
            breaks.append(match.start(2))
            used = 0
            spaces = ""
        used += cell_len(spaces + word)
    return breaks


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

    @property
    def encoding(self) -> str:
        return getattr(self.file, "encoding", None) or "utf-8"

    def fileno(self) -> int:
        return self.file.fileno()


def mark(ok: bool) -> Text:
    """✓ in green or ✗ in red."""
    return Text("✓", style="green") if ok else Text("✗", style="red")


class Fitted(Table):
    """A table that never cuts a cell: as it is when the console is wide enough; with its
    cells wrapped at spaces when that suffices; else stacked, one line per cell. Text
    cells added as str are Text (see ``text``)."""

    def add_row(self, *cells, **kw) -> None:
        super().add_row(*(text(c) if isinstance(c, str) else c for c in cells), **kw)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        if _natural_width(self) <= width:
            yield from super().__rich_console__(console, options)
            return
        whole = Measurement.get(console, options.update_width(UNBOUNDED), self)
        if whole.maximum <= width:
            yield from super().__rich_console__(console, options)
        elif whole.minimum <= width:
            narrow = _wrapped(self, console, options.update_width(UNBOUNDED), width - whole.minimum)
            yield from Table.__rich_console__(narrow, console, options)
        else:
            yield from _stacked(self)


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
    """A copy of the table with each column as narrow as its longest word, then widened
    towards its natural width by a share of the ``slack`` left over, in proportion to how
    much it wants (largest remainders first)."""
    narrow = copy.copy(table)
    narrow.columns = [copy.copy(c) for c in table.columns]
    narrow.expand = False
    least, want = [], []
    for column in narrow.columns:
        sizes = [Measurement.get(console, options, c) for c in (column.header, *column.cells)]
        least.append(max(s.minimum for s in sizes))
        want.append(max(s.maximum for s in sizes) - least[-1])
    total = sum(want)
    shares = [slack * w // total if total else 0 for w in want]
    by_remainder = sorted(range(len(want)), key=lambda i: -(slack * want[i] % max(total, 1)))
    for i in by_remainder[: min(slack, total) - sum(shares)]:
        shares[i] += 1
    for column, width, share in zip(narrow.columns, least, shares, strict=True):
        column.width, column.ratio = width + share, None
    return narrow


def _stacked(table: Table) -> list[Text]:
    """The table's rows as lines: the first cell, then 'header = cell' for the others."""
    lines = [] if table.title is None else [Text(_plain(table.title), style="italic")]
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
