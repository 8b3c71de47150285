"""Answer sheets and marks as Rich tables, and a class's marks as CSV: nncalc's grades,
and the files Moodle's and Canvas's grade imports read (docs/grading.md, "Grades for the
LMS"). Every CSV cell is written by ``_write``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from nncalc import onehot
from nncalc.errors import NNCalcError
from nncalc.files.checker import plural
from nncalc.grading.marking import GRADES_COLUMNS, Mark, Question, Sheet, show
from nncalc.grading.pipeline import ClassMarks, Row
from nncalc.render import style
from nncalc.render.escape import CsvWriter

FIXED_COLUMNS = GRADES_COLUMNS
"""The columns of nncalc's grades CSV besides one per question (between max_score and
status); marking refuses question ids that name one."""


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


def symbol(m: Mark) -> str:
    """✓ right, ◐ partly right, ✗ wrong or a format problem (plain text)."""
    return "◐" if 0 < m.judged.credit < 1 else "✓" if m.ok else "✗"


def verdict(m: Mark) -> str:
    """symbol, styled for a table."""
    return symbol(m) if 0 < m.judged.credit < 1 else style.mark(m.ok)


def points(value: float) -> str:
    """Points as written in reports and CSV: at most 4 decimals, no trailing zeros."""
    return f"{round(value, 4):g}" if abs(value) < 1e15 else f"{value:.4g}"


def grade_report(row: Row) -> Group:
    """A student's marks: points per question, the total, why each wrong answer is, and
    the row's flags."""
    assert row.grade is not None
    grade = row.grade
    who = f" ({row.student})" if row.student and row.student not in grade.submission else ""
    title = f"{grade.sheet.title or grade.sheet.source}: {grade.submission}{who}"
    table = style.table(title, title_style="bold", expand=True)
    _columns(table, "", "id", "question", "points", "given", "why not")
    for m in grade.marks:
        q = m.question
        cells = (
            q.id,
            q.text or "",
            f"{points(m.score)}/{points(q.points)}",
            show(m.given),
            m.reason or "",
        )
        table.add_row(verdict(m), *cells)
    total = Text(
        f"total: {points(grade.score)} of {points(grade.sheet.max_score)} points", style="bold"
    )
    parts: list[Any] = [table, total]
    for warning in row.warnings:
        if not any(warning.startswith(f"{m.question.id}: ") for m in grade.problems):
            parts.append(style.text(warning, style="dim"))
    return Group(*parts)


# --- CSV ---------------------------------------------------------------------------------------


def _write(f: IO[str], rows: Iterable[Iterable[Any]]) -> None:
    """CSV rows, every cell through ``_cell`` and escape.CsvWriter: the one place grades
    are written as CSV."""
    writer = CsvWriter(f)
    for row in rows:
        writer.writerow([_cell(c) for c in row])


def _cell(value: Any) -> str:
    """A CSV cell: numbers as points, None empty, text as it is."""
    if value is None:
        return ""
    if isinstance(value, float):
        return points(value)
    return str(value)


def write_csv(f: IO[str], marks: ClassMarks) -> None:
    """nncalc's grades: one row per student: student, name, email, score, max_score, the
    points of each question, status, submission, error and warnings (' | ' between)."""
    head = FIXED_COLUMNS[:5] + marks.ids + FIXED_COLUMNS[5:]
    _write(f, [head, *(_row(r, marks) for r in marks.rows)])


def _row(r: Row, marks: ClassMarks) -> list[Any]:
    scores = {m.question.id: m.score for m in r.grade.marks} if r.marked else {}
    cells = [float(scores.get(i, 0.0)) for i in marks.ids]
    head = [r.student, r.name, r.email, float(r.score), float(marks.max_score)]
    tail = [r.status, r.submission, r.error, " | ".join(r.warnings)]
    return head + cells + tail


def feedback(r: Row) -> str:
    """A row's marks for a student: ✓ or ✗ per question and its format problems, never the
    right answers."""
    if not r.marked:
        return r.error or (r.grade.error if r.grade else "") or ""
    parts = []
    for m in r.grade.marks:
        why = f" ({m.judged.hint})" if m.judged.hint and not m.ok else ""
        parts.append(f"{m.question.id} {symbol(m)}{why}")
    return "; ".join(parts)


def write_moodle(f: IO[str], marks: ClassMarks, assignment: str) -> None:
    """Moodle's grade import (Grades → Import → CSV file): Email address, ID number (when
    the roster's ids are Moodle's), Full name, the grade under ``assignment``, and
    Feedback. Only roster students: Moodle stops an import at a user it cannot find."""
    id_number = marks.roster is not None and marks.roster.columns.get("id") == "id number"
    head = [
        "Email address",
        *(["ID number"] if id_number else []),
        "Full name",
        assignment,
        "Feedback",
    ]
    body = [
        [r.email, *([r.student] if id_number else []), r.name, float(r.score), feedback(r)]
        for r in _on_roster(marks)
    ]
    _write(f, [head, *body])


CANVAS_IDS = {"id": "ID", "sis user id": "SIS User ID", "sis login id": "SIS Login ID"}


def write_canvas(f: IO[str], marks: ClassMarks, assignment: str) -> None:
    """Canvas's gradebook import: Student, ID, SIS User ID, SIS Login ID, Section, then the
    assignment (``Name (assignment id)`` updates that assignment, a new name makes one),
    and a Points Possible row. Only roster students."""
    column = CANVAS_IDS.get(
        marks.roster.columns.get("id", "") if marks.roster else "", "SIS User ID"
    )
    head = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment]
    body = [["Points Possible", "", "", "", "", float(marks.max_score)]]
    for r in _on_roster(marks):
        assert r.roster is not None
        ids = {"ID": r.roster.lms_id, "SIS User ID": None, "SIS Login ID": None}
        ids[column] = r.student
        body.append(
            [
                r.name or r.student,
                ids["ID"],
                ids["SIS User ID"],
                ids["SIS Login ID"],
                "",
                float(r.score),
            ]
        )
    _write(f, [head, *body])


def _on_roster(marks: ClassMarks) -> list[Row]:
    return [r for r in marks.rows if r.roster is not None and r.status != "not on the roster"]


FORMATS = ("csv", "json", "moodle", "canvas")
"""What `grade` writes: nncalc's CSV, its JSON, Moodle's grade import, Canvas's."""


def format_of(output: str | None, json_output: bool, given: str | None) -> str:
    """The format to write: as given, else JSON for --json or a .json file, else CSV."""
    if given is not None:
        if json_output and given != "json":
            raise NNCalcError.at(f"--json and --format {given} disagree", hint="give one")
        return given
    return "json" if json_output or (output or "").lower().endswith(".json") else "csv"


def write_marks(f: IO[str], marks: ClassMarks, fmt: str, assignment: str | None = None) -> None:
    """A class's marks in ``fmt`` (one of FORMATS); ``assignment`` names the LMS's grade
    column (default: the sheet's title)."""
    if fmt == "json":
        from nncalc.render.json import class_document, dumps

        f.write(dumps(class_document(marks)) + "\n")
    elif fmt == "csv":
        write_csv(f, marks)
    else:
        name = assignment or marks.title or "nncalc"
        (write_moodle if fmt == "moodle" else write_canvas)(f, marks, name)


def summary(marks: ClassMarks, where: str | None = None) -> str:
    """The line `grade` ends with (after 'nncalc: '): how many rows of each status, as the
    rows say."""
    c = marks.counts()
    parts = [f"{c['graded']} graded"]
    parts += [f"{c[s]} {s}" for s in ("no submission", "unreadable", "not on the roster") if c[s]]
    flags = [f"{c['flagged']} flagged"] if c["flagged"] else []
    flags += [f"{c['resubmitted']} with several files"] if c["resubmitted"] else []
    flags += [f"{c['format problems']} with format problems"] if c["format problems"] else []
    to = f" to {where}" if where else ""
    students = plural(c["students"], "student", "students")
    return f"{students}{to}: {', '.join(parts)}" + (f"; {', '.join(flags)}" if flags else "")
