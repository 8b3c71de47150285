"""Errors that point at the offending place in an input file."""

from __future__ import annotations

from dataclasses import dataclass, replace

EXCERPT = 60
"""Most characters of a file's text that any message or report repeats."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, what is wrong, and how to fix it."""

    message: str
    source: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.source is not None:
            where = self.source
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        text = where + self.message + (f"; {self.hint}" if self.hint else "")
        return " ".join(text.split("\n"))  # one problem, one line


class NNCalcError(ValueError):
    """Bad input: one or more problems, each with its position and a hint.

    The command line prints each problem on its own line and exits with code 2.
    """

    def __init__(self, *problems: Problem) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def at(
        cls,
        message: str,
        source: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> NNCalcError:
        """A single problem, for the common case."""
        return cls(Problem(message, source, line, column, hint))

    def within(self, source: str) -> NNCalcError:
        """The same problems, placed in ``source`` where they name no file."""
        return NNCalcError(*(replace(p, source=p.source or source) for p in self.problems))


def first_line(e: BaseException) -> str:
    """An exception's message, its first line only (at most 200 characters)."""
    lines = str(e).strip().splitlines()
    return (lines[0] if lines else type(e).__name__)[:200]


def cut(text: str, limit: int = EXCERPT) -> str:
    """``text``, or its first ``limit`` − 1 characters and '…' when it is longer."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """A file's text quoted for a message, like repr, and at most ``limit`` characters of it."""
    return repr(cut(text, limit))
