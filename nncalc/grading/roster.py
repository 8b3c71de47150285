"""Who the students are: a roster's ids, a submission's student, Gradescope's metadata;
and a class's submissions graded against each student's own variant."""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nncalc.errors import NNCalcError
from nncalc.files.checker import Checker, kind
from nncalc.files.yamlfile import Pos, read_bytes
from nncalc.grading import marking, variants
from nncalc.grading.variants import shown

MAX_ROSTER_BYTES = 4 * 1024 * 1024
_ID = re.compile(r"[A-Za-z0-9._@+-]{1,64}")


@dataclass(frozen=True)
class Student:
    id: str
    name: str | None = None


def id_problem(text: str) -> str | None:
    """Why ``text`` cannot be a student id (a folder name), or None."""
    if not _ID.fullmatch(text):
        return f"student id {shown(text)!r} should be 1 … 64 letters, digits and . _ - @ +"
    if ".." in text or text == ".":
        return f"student id {shown(text)!r} may not be '.' or hold '..'"
    return None


def read_roster(path: str | os.PathLike[str]) -> list[Student]:
    """A roster: CSV with an ``id`` column and an optional ``name`` (other columns ignored).
    Raises NNCalcError with the line of every bad or repeated id."""
    source = str(path)
    try:
        text = read_bytes(path, MAX_ROSTER_BYTES, "a roster is one line per student").decode(
            "utf-8-sig"
        )
    except UnicodeDecodeError:
        raise NNCalcError.at(
            "not UTF-8 text", source, hint="save the roster as UTF-8 CSV"
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    if "id" not in header:
        close = difflib.get_close_matches("id", header, n=1, cutoff=0.3)
        hint = (
            f"rename '{shown(close[0])}' to id?"
            if close
            else "the first line names the columns: id,name"
        )
        raise NNCalcError.at("the roster has no 'id' column", source, 1, hint=hint)
    checker = Checker(source)
    students: dict[str, Student] = {}
    first: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        cells = dict(zip(header, row, strict=False))
        sid = cells.get("id", "").strip()
        if not any(c.strip() for c in row):
            continue
        why = id_problem(sid) or (
            f"student id '{sid}' is repeated (first on line {first[sid]})" if sid in first else None
        )
        if why:
            checker.problem(Pos(source, line, 1), why)
            continue
        first[sid] = line
        students[sid] = Student(sid, cells.get("name", "").strip() or None)
    checker.raise_problems()
    if not students:
        raise NNCalcError.at(
            "the roster lists no students", source, hint="one line per student: id,name"
        )
    return list(students.values())


def grade_submissions(
    spec: variants.Variants, roster: list[Student], submissions: list[str]
) -> list[tuple[str, marking.Grade]]:
    """(student, grade) of each submission, against that student's own variant. The student
    is the file's ``student:`` key, else its folder's name; one not on the roster, or a key
    that contradicts a folder named after another student, scores 0 with the reason."""
    first = roster[0].id  # drawn before any row: a bad sheet fails here
    keys = {first: variants.sheet(spec, variants.draw(spec, first))}
    ids = {s.id for s in roster}
    rows = []
    for path in submissions:
        folder = Path(path).parent.name
        try:
            answers = marking.read_answers(path)
        except NNCalcError as e:
            error = "; ".join(str(p) for p in e.problems)
            rows.append((folder if folder in ids else "", _failed(keys, path, error)))
            continue
        student, why = _student(answers.pop("student", None), folder, ids)
        if why:
            rows.append((student, _failed(keys, path, why)))
            continue
        if student not in keys:
            keys[student] = variants.sheet(spec, variants.draw(spec, student))
        rows.append((student, marking.grade(keys[student], answers, path)))
    return rows


def _student(given: Any, folder: str, ids: set[str]) -> tuple[str, str | None]:
    """(the submission's student id, or why it has none on the roster)."""
    if given is None:
        if folder in ids:
            return folder, None
        return (
            "",
            f"no student id: no 'student:' and the folder {shown(folder)!r} is not on the roster",
        )
    if isinstance(given, dict | list | bool):
        return "", f"'student:' should be an id, found {kind(given)}"
    sid = str(given).strip()
    if sid not in ids:
        return "", f"student {shown(sid)!r} is not on the roster"
    if folder in ids and folder != sid:
        return "", f"'student: {shown(sid)}' in the folder of student '{shown(folder)}'"
    return sid, None


def _failed(keys: dict[str, marking.Sheet], path: str, error: str) -> marking.Grade:
    """A score-0 grade with its reason (the questions and points of any variant)."""
    return marking.Grade(next(iter(keys.values())), path, error=error)


def checked_id(student: str, source: str | None = None, line: int | None = None) -> str:
    """``student`` if it can be a student id (see id_problem), else NNCalcError."""
    why = id_problem(student)
    if why:
        raise NNCalcError.at(why, source, line)
    return student


def gradescope_student(path: str | os.PathLike[str]) -> str:
    """The student id of Gradescope's submission_metadata.json: ``users[0].sid`` (the
    Student ID of the course roster) when set, else ``users[0].email``."""
    source = str(path)
    try:
        meta = json.loads(read_bytes(path, marking.MAX_ANSWER_BYTES))
    except (ValueError, RecursionError):
        raise NNCalcError.at(
            "not a JSON document", source, hint="Gradescope's submission_metadata.json"
        ) from None
    users = meta.get("users") if isinstance(meta, dict) else None
    user = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
    for field in ("sid", "email"):
        value = user.get(field)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return checked_id(str(value).strip(), source)
    raise NNCalcError.at(
        "no users[0].sid or users[0].email",
        source,
        hint="is this Gradescope's submission_metadata.json?",
    )
