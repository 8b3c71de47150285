"""The look shared by every table nncalc prints."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

OK, FAIL = "[green]✓[/green]", "[red]✗[/red]"


def table(title: str | None = None, **kw) -> Table:
    """A table in nncalc's style; the title is text, never Rich markup."""
    title = None if title is None else escape(title)
    return Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", **kw)


class _Console(Console):
    def on_broken_pipe(self) -> None:
        """A closed pipe is the process's to handle (exit 141), not Rich's (exit 1)."""
        raise BrokenPipeError


def console(stderr: bool = False) -> Console:
    return _Console(highlight=False, stderr=stderr)


def mark(ok: bool) -> str:
    return OK if ok else FAIL
