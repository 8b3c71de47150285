"""The one rule for showing a long run of units, terms, rows or columns: the first ones
and the last two around a count of those left out (tables, --explain, LaTeX, SVG)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

MAX_UNITS = 12
"""Tables and drawings show wider layers elided: 9 units, ⋮ N more, the last 2."""


def shown(n: int, limit: int | None = MAX_UNITS) -> list[int | None]:
    """The positions 1 … n shown of n items; None marks the elided middle (limit None: all).

    Up to ``limit`` items are shown whole; longer runs show the first limit − 3 and the
    last 2, so the elided run takes exactly ``limit`` places.
    """
    if limit is None or n <= limit:
        return list(range(1, n + 1))
    return [*range(1, limit - 2), None, n - 1, n]


def elide(items: list[T], dots: Callable[[int], T], limit: int | None = MAX_UNITS) -> list[T]:
    """``items`` by the rule of ``shown``, with dots(hidden count) in place of the middle."""
    hidden = len(items) - len(shown(len(items), limit)) + 1
    return [dots(hidden) if i is None else items[i - 1] for i in shown(len(items), limit)]


def more(hidden: int) -> str:
    """The inline marker of an elided run: … (16 more) …"""
    return f"… ({hidden} more) …"
