"""The lecture's worked answers as a Rich table, each with ✓ or ✗."""

from __future__ import annotations

from rich.table import Table

from nncalc.grading.quiz import Answer
from nncalc.render import style


def report(answers: list[Answer]) -> Table:
    held = sum(a.ok for a in answers)
    table = style.table(
        f"The lecture's worked answers: {held} of {len(answers)} hold",
        title_style="bold",
        show_lines=True,
    )
    table.add_column("")
    table.add_column("the lecture says", ratio=1)
    table.add_column("nncalc computes", ratio=1)
    for a in answers:
        table.add_row(style.mark(a.ok), a.statement, a.shown)
    return table
