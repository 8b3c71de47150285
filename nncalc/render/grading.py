"""Answer sheets and grades as Rich tables, and a class's grades as CSV."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import IO, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from nncalc import onehot
from nncalc.errors import excerpt
from nncalc.grading.marking import Grade, Mark, Question, Sheet, show, students
from nncalc.render import style
from nncalc.render.escape import CsvWriter, terminal

IGNORED_SHOWN = 10
"""Most ignored answer ids listed under a student's marks."""


def _columns(table: Table, *headers: str) -> None:
    """Columns that share the width: the question's text gets the most."""
    ratios = {"question": 3, "given": 2, "why not": 3, "sheet's answer": 2, "nncalc computes": 2}
    for header in headers:
        table.add_column(
            header, ratio=ratios.get(header), justify="right" if header == "points" else "left"
        )


def key_report(sheet: Sheet, marks: list[Mark]) -> Table:
    """The sheet's questions: its own answer, nncalc's, and whether they agree."""
    checked = {m.question.id: m for m in marks}
    agree = sum(m.ok for m in marks)
    title = f"{sheet.title or sheet.source}: {agree} of {len(marks)} answers agree with nncalc"
    table = style.table(title, title_style="bold", expand=True)
    _columns(table, "", "id", "question", "sheet's answer", "nncalc computes")
    for q in sheet.questions:
        mark = checked.get(q.id)
        verdict = style.mark(mark.ok) if mark else ""
        cells = (q.id, q.text or "", show(q.answer), _computed(q))
        table.add_row(verdict, *cells)
    return table


def _computed(q: Question) -> str:
    """What nncalc computes for a question; a predicted class by name when it has one."""
    if q.kind == "prediction" and q.labels:
        return f"{q.labels[q.computed - 1]} (unit {q.computed})"
    if q.kind == "onehot":
        return onehot.shown(q.computed)
    return show(q.computed, None)


def grade_report(grade: Grade) -> Group:
    """A student's marks: points per question, the total, and why each wrong answer is."""
    title = f"{grade.sheet.title or grade.sheet.source}: {grade.submission}"
    table = style.table(title, title_style="bold", expand=True)
    _columns(table, "", "id", "question", "points", "given", "why not")
    for m in grade.marks:
        q = m.question
        cells = (q.id, q.text or "", f"{m.score:g}/{q.points:g}", show(m.given), m.reason or "")
        table.add_row(style.mark(m.ok), *cells)
    total = Text(f"total: {grade.score:g} of {grade.sheet.max_score:g} points", style="bold")
    parts: list[Any] = [table, total]
    if grade.ignored:
        ignored = terminal(_ignored(grade.ignored))
        parts.append(Text(f"not on the sheet, ignored: {ignored}", style="dim"))
    return Group(*parts)


def _ignored(ids: tuple[str, ...]) -> str:
    """The first IGNORED_SHOWN ids (excerpts), then how many more."""
    shown = ", ".join(excerpt(i) for i in ids[:IGNORED_SHOWN])
    more = len(ids) - IGNORED_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def write_csv(f: IO[str], sheet: Sheet, grades: Sequence[Grade]) -> None:
    """One row per submission: submission, student, score, max_score, one column per question,
    and error."""
    who = students([g.submission for g in grades])
    write_rows(f, [q.id for q in sheet.questions], sheet.max_score, zip(who, grades, strict=True))


def write_rows(
    f: IO[str], ids: Sequence[str], max_score: float, rows: Iterable[tuple[str, Grade]]
) -> None:
    """The grades CSV of (student, grade) rows, with a column per question id."""
    writer = CsvWriter(f)
    writer.writerow(["submission", "student", "score", "max_score", *ids, "error"])
    for student, g in rows:
        scores = {m.question.id: m.score for m in g.marks}
        cells = [f"{scores.get(i, 0):g}" for i in ids]
        writer.writerow(
            [g.submission, student, f"{g.score:g}", f"{max_score:g}", *cells, g.error or ""]
        )
