"""Gradescope's results.json for one student (docs/grading.md, "Gradescope"): a test per
question, with as much feedback as ``--feedback`` allows, and Gradescope's visibility
set to match, so that the key is never handed out before the due date."""

from __future__ import annotations

from typing import Any

from nncalc.grading.pipeline import Row
from nncalc.render.grading import points, symbol

FEEDBACK = ("none", "correctness", "key")
VISIBILITY = {"none": "hidden", "correctness": "visible", "key": "after_due_date"}
"""Each test's visibility: no feedback is hidden; ✓/✗ shows at once; the key (right
answers) only after the due date (the late due date, if there is one)."""


def results(row: Row, feedback: str = "correctness") -> dict[str, Any]:
    """The results.json of a student's row: every test ``feedback`` allows."""
    grade = row.grade
    tests = []
    for m in grade.marks if grade is not None else ():
        q = m.question
        if feedback == "key":
            output = "right" if m.ok else m.reason or "not right"
        elif feedback == "correctness":
            output = f"{symbol(m)} " + ("right" if m.ok else m.judged.hint or "not right")
        else:
            output = ""
        tests.append(
            {
                "name": f"{q.id}: {q.text}" if q.text else q.id,
                "number": q.id,
                "score": m.score,
                "max_score": q.points,
                "status": "passed" if m.ok else "failed",
                "output": output,
                "visibility": VISIBILITY[feedback],
            }
        )
    return {
        "score": row.score,
        "output": _output(row, feedback),
        "visibility": "hidden" if feedback == "none" else "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _output(row: Row, feedback: str) -> str:
    """The text above the tests: the total, and what a student must fix in their file."""
    if row.grade is None or row.grade.error:
        return f"the answer file could not be read: {row.error or (row.grade and row.grade.error)}"
    lines = [f"{points(row.score)} of {points(row.grade.sheet.max_score)} points"]
    if feedback != "none":
        lines += [f"{m.question.id}: {m.judged.problem}" for m in row.grade.problems]
        if row.grade.ignored:
            lines.append("not on the sheet, ignored: " + ", ".join(row.grade.ignored[:10]))
    if feedback == "key":
        lines.append("the right answers are shown after the due date")
    return "\n".join(lines)


def failed(e: Exception) -> dict[str, Any]:
    """The results.json of a submission that could not be marked: score 0, and why."""
    why = "; ".join(str(p) for p in getattr(e, "problems", ())) or str(e)
    return {"score": 0, "output": f"not marked: {why}", "stdout_visibility": "hidden", "tests": []}
