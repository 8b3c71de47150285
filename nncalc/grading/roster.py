"""Who the students are: a roster as an LMS exports it, and the ids it gives.

Read as exported (docs/grading.md, "The roster"): Canvas's gradebook export, Moodle's
participants or grades export and its grading worksheet, Blackboard's Grade Center,
Gradescope's roster, or any CSV with one id column. UTF-8 with or without a byte-order
mark, UTF-16 (Blackboard's tab-separated .xls), and comma, semicolon or tab separated.

Ids are text (``00123`` stays 00123) and match after trimming, NFC and case-folding. Two
ids that would name one folder on macOS or Windows (``alice`` and ``Alice``, ``bob`` and
``bob.``) are refused, as is a roster whose id column cannot be told (two candidates:
give ``--id-column``).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nncalc.errors import NNCalcError, Problem
from nncalc.files.yamlfile import decode, read_bytes
from nncalc.grading.variants import shown

MAX_ROSTER_BYTES = 4 * 1024 * 1024
_ID = re.compile(r"[\w\u0300-\u036f.@+-]{1,64}")
STAFF_ROLES = frozenset(
    (
        "instructor",
        "teacher",
        "editing teacher",
        "non-editing teacher",
        "ta",
        "teaching assistant",
        "reader",
        "grader",
        "manager",
        "course creator",
        "designer",
        "observer",
    )
)
"""Roles (a Role or Roles column) whose rows are staff, not students."""
ID_COLUMNS = (
    "id",
    "student id",
    "student_id",
    "studentid",
    "sid",
    "student number",
    "matriculation number",
    "id number",
    "username",
    "user id",
    "login",
)
"""Columns that may hold the student id of a roster of no known layout."""
NAME_COLUMNS = ("name", "full name", "student name", "student")
FIRST_NAMES = ("first name", "given name", "firstname")
LAST_NAMES = ("last name", "surname", "family name", "lastname")
EMAIL_COLUMNS = ("email", "email address", "e-mail", "mail")


@dataclass(frozen=True)
class Layout:
    """An LMS's export: the columns that tell it, and where its ids, names, emails and
    LMS numbers (what its submission downloads are named by) are."""

    name: str
    signature: tuple[str, ...]
    ids: tuple[str, ...]  # in order of preference: the first one present and not empty
    name_column: str | None = None
    email: str | None = None
    lms: str | None = None


LAYOUTS = (
    Layout(
        "Canvas",
        ("student", "id", "sis user id"),
        ("sis user id", "sis login id", "id"),
        "student",
        None,
        "id",
    ),
    Layout(
        "Moodle grading worksheet",
        ("identifier", "full name"),
        ("id number", "email address"),
        "full name",
        "email address",
        "identifier",
    ),
    Layout(
        "Moodle",
        ("first name", "email address"),
        ("id number", "email address"),
        None,
        "email address",
    ),
    Layout("Blackboard", ("username", "first name", "last name"), ("username",), None, "email"),
    Layout("Gradescope", ("sid", "email"), ("sid", "email"), "name", "email"),
)


@dataclass(frozen=True)
class Student:
    """A student: their id (what variants are drawn from, and rows are named by), name,
    email, the number their LMS names their submissions by, and the roster line."""

    id: str
    name: str | None = None
    email: str | None = None
    lms_id: str | None = None
    line: int = 0


def id_key(text: str) -> str:
    """An id as matched: trimmed, NFC, case-folded ('S2301001' is s2301001)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text.strip()).casefold())


def folder_key(text: str) -> str:
    """An id as a folder name on macOS or Windows: id_key without trailing dots or spaces."""
    return id_key(text).rstrip(". ")


def name_key(text: str) -> str:
    """A name as matched: NFKC, case-folded, letters and digits only ('Ng, Alice' and
    'ngalice' both 'ngalice', as Canvas writes names in its file names)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in unicodedata.normalize("NFKD", folded) if c.isalnum())


def id_problem(text: str) -> str | None:
    """Why ``text`` cannot be a student id (it names a folder), or None."""
    if not _ID.fullmatch(text):
        return f"student id {shown(text)!r} should be 1 … 64 letters, digits and . _ - @ +"
    if ".." in text or text == ".":
        return f"student id {shown(text)!r} may not be '.' or hold '..'"
    return None


def checked_id(student: str, source: str | None = None, line: int | None = None) -> str:
    """``student`` if it can be a student id (see id_problem), else NNCalcError."""
    why = id_problem(student)
    if why:
        raise NNCalcError.at(why, source, line)
    return student


class Roster:
    """The students of a roster, found by id, email, LMS number or name."""

    def __init__(
        self, students: Sequence[Student], source: str, layout: str, columns: dict[str, str]
    ) -> None:
        self.students = tuple(students)
        self.source = source
        self.layout = layout
        self.columns = columns
        self._ids = {id_key(s.id): s for s in self.students}
        self._emails = {id_key(s.email): s for s in self.students if s.email}
        self._lms = {s.lms_id: s for s in self.students if s.lms_id}
        self._names: dict[str, list[Student]] = {}
        for s in self.students:
            for key in _name_keys(s.name):
                self._names.setdefault(key, []).append(s)

    def __len__(self) -> int:
        return len(self.students)

    def find(self, text: str) -> Student | None:
        """The student whose id (or, failing that, email) is ``text``."""
        key = id_key(text)
        return self._ids.get(key) or self._emails.get(key)

    def by_email(self, email: str) -> Student | None:
        return self._emails.get(id_key(email))

    def by_lms(self, number: str) -> Student | None:
        return self._lms.get(number)

    def by_name(self, name: str) -> list[Student]:
        """The students whose name is ``name`` (any order of first and last name, any case
        and punctuation)."""
        found = self._names.get(name_key(name), [])
        return list(dict.fromkeys(found))


def _name_keys(name: str | None) -> set[str]:
    """A name's keys: as written, and its words in reverse order ('Ng, Alice' → 'alice ng')."""
    if not name:
        return set()
    words = re.split(r"[\s,]+", name.strip())
    return {name_key(name), name_key(" ".join(reversed(words)))}


def read_roster(
    path: str | os.PathLike[str], id_column: str | None = None, name_column: str | None = None
) -> Roster:
    """A roster file (see the module's docstring). Raises NNCalcError listing every bad,
    missing or colliding id with its line."""
    source = str(path)
    data = read_bytes(path, MAX_ROSTER_BYTES, "a roster is one line per student")
    text = decode(data, source, nul=True)  # a NUL in a name is the name's (it is escaped)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    header = [_column(h) for h in rows[0]] if rows else []
    layout = next((lay for lay in LAYOUTS if set(lay.signature) <= set(header)), None)
    body = [(k, row) for k, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)]
    columns = _columns(header, body, layout, id_column, name_column, source)
    students = _students(header, body, columns, layout, source)
    return Roster(students, source, layout.name if layout else "CSV", columns)


def _column(header: str) -> str:
    return " ".join(header.strip().strip('"').casefold().split())


def _delimiter(text: str) -> str:
    """The separator of the header line: the most frequent of , ; and tab (ties: ,)."""
    first = text.split("\n", 1)[0]
    return max((",", ";", "\t"), key=lambda d: (first.count(d), d == ","))


def _columns(
    header: list[str],
    body: list[tuple[int, list[str]]],
    layout: Layout | None,
    id_column: str | None,
    name_column: str | None,
    source: str,
) -> dict[str, str]:
    """The columns (as normalized headers) of each role: id, name (or first and last),
    email, lms and role."""

    def filled(column: str) -> bool:
        k = header.index(column)
        return any(k < len(row) and row[k].strip() for _, row in body)

    columns: dict[str, str] = {}
    if id_column is not None:
        columns["id"] = _named(id_column, header, "--id-column", source)
    elif layout is not None:
        present = [c for c in layout.ids if c in header and filled(c)]
        if not present:
            raise NNCalcError.at(
                f"the {layout.name} roster has no ids ({' or '.join(layout.ids)} are empty)",
                source,
                1,
                hint="give --id-column",
            )
        columns["id"] = present[0]
    else:
        candidates = [c for c in ID_COLUMNS if c in header]
        if len(candidates) > 1:
            raise NNCalcError.at(
                f"the roster has {len(candidates)} id columns: "
                + ", ".join(f"'{c}'" for c in candidates),
                source,
                1,
                hint="choose one with --id-column",
            )
        if not candidates:
            close = difflib.get_close_matches("id", header, n=1, cutoff=0.3)
            hint = (
                f"is it '{close[0]}'? give --id-column"
                if close
                else "the first line names the columns: id,name"
            )
            raise NNCalcError.at("the roster has no id column", source, 1, hint=hint)
        columns["id"] = candidates[0]
    if name_column is not None:
        columns["name"] = _named(name_column, header, "--name-column", source)
    else:
        name = layout.name_column if layout and layout.name_column in header else None
        name = name or next((c for c in NAME_COLUMNS if c in header and c != columns["id"]), None)
        first = next((c for c in FIRST_NAMES if c in header), None)
        last = next((c for c in LAST_NAMES if c in header), None)
        if name:
            columns["name"] = name
        elif first and last:
            columns["first"], columns["last"] = first, last
    email = layout.email if layout and layout.email in header else None
    email = email or next((c for c in EMAIL_COLUMNS if c in header), None)
    if email and email != columns["id"]:
        columns["email"] = email
    if layout and layout.lms in header and layout.lms != columns["id"]:
        columns["lms"] = layout.lms  # type: ignore[assignment]
    role = next((c for c in ("role", "roles") if c in header), None)
    if role:
        columns["role"] = role
    return columns


def _named(given: str, header: list[str], option: str, source: str) -> str:
    column = _column(given)
    if column in header:
        return column
    close = difflib.get_close_matches(column, header, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'?" if close else "columns: " + ", ".join(header)
    raise NNCalcError.at(
        f"{option}: the roster has no column '{shown(given)}'", source, 1, hint=hint
    )


def _students(
    header: list[str],
    body: list[tuple[int, list[str]]],
    columns: dict[str, str],
    layout: Layout | None,
    source: str,
) -> list[Student]:
    index = {role: header.index(column) for role, column in columns.items()}
    problems: list[Problem] = []
    students: list[Student] = []
    first: dict[str, Student] = {}

    def cell(row: list[str], role: str) -> str:
        k = index.get(role)
        return row[k].strip() if k is not None and k < len(row) else ""

    for line, row in body:
        if _not_a_student(row, cell, layout):
            continue
        sid = unicodedata.normalize("NFC", cell(row, "id"))
        name = cell(row, "name") or " ".join(
            p for p in (cell(row, "first"), cell(row, "last")) if p
        )
        why = f"no id in column '{columns['id']}'" if not sid else id_problem(sid)
        if why is None and folder_key(sid) in first:
            other = first[folder_key(sid)]
            same = (
                "repeated"
                if other.id == sid
                else f"the same as '{shown(other.id)}' to a file system"
            )
            why = f"student id '{shown(sid)}' is {same} (first on line {other.line})"
        if why:
            problems.append(Problem(why, source, line))
            continue
        lms = cell(row, "lms").removeprefix("Participant ").strip() or None
        student = Student(sid, name or None, cell(row, "email") or None, lms, line)
        first[folder_key(sid)] = student
        students.append(student)
    if problems:
        raise NNCalcError(*problems[:100])
    if not students:
        raise NNCalcError.at(
            "the roster lists no students", source, hint="one line per student: id,name"
        )
    return students


def _not_a_student(row: list[str], cell: Any, layout: Layout | None) -> bool:
    """Canvas's 'Points Possible' and test-student rows, staff (by role), and rows with
    neither an id nor a name (Canvas's muted row, separators)."""
    if layout is not None and layout.name == "Canvas":
        student = " ".join(cell(row, "name").casefold().split())
        if "points possible" in student or student in ("student, test", "test student"):
            return True
    roles = [r.strip().casefold() for r in cell(row, "role").split(",") if r.strip()]
    if roles and all(r in STAFF_ROLES for r in roles):
        return True
    return not (cell(row, "id") or cell(row, "name") or cell(row, "first") or cell(row, "last"))


# --- Gradescope's metadata --------------------------------------------------------------------


def gradescope_student(path: str | os.PathLike[str], roster: Roster | None) -> str:
    """The student of Gradescope's submission_metadata.json: ``users[0].sid`` (the Student
    ID of Gradescope's roster) on the roster, or when it is empty ``users[0].email``
    through the roster's email column. Without a roster the sid is used as it is, and an
    empty sid is refused: an email is not the id a handout was drawn from."""
    source = str(path)
    try:
        meta = json.loads(read_bytes(path, 1024 * 1024))
    except (ValueError, RecursionError):
        raise NNCalcError.at(
            "not a JSON document", source, hint="Gradescope's submission_metadata.json"
        ) from None
    users = meta.get("users") if isinstance(meta, dict) else None
    user = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
    sid, email = (_text(user.get(k)) for k in ("sid", "email"))
    if not (sid or email):
        raise NNCalcError.at(
            "no users[0].sid or users[0].email",
            source,
            hint="is this Gradescope's submission_metadata.json?",
        )
    if roster is None:
        if not sid:
            raise NNCalcError.at(
                f"users[0].sid is empty, and the email {shown(email)!r} is not a student id",
                source,
                hint="give --students ROSTER with an email column to match it",
            )
        return checked_id(sid, source)
    found = roster.find(sid) if sid else roster.by_email(email)
    if found is None:
        what = f"Student ID {shown(sid)!r}" if sid else f"email {shown(email)!r} (no Student ID)"
        raise NNCalcError.at(
            f"Gradescope's {what} is not on the roster {roster.source}",
            source,
            hint="check Gradescope's roster against yours",
        )
    return found.id


def _text(value: Any) -> str:
    ok = isinstance(value, str | int) and not isinstance(value, bool)
    return str(value).strip() if ok else ""


def whose(student: str | None, metadata: str | None, roster: Roster | None) -> str | None:
    """Whose answers `check` marks: ``--student`` (on the roster, if one is given), or
    the student of Gradescope's metadata file; None when neither is given."""
    if student is not None and metadata is not None:
        raise NNCalcError.at("give --student or --gradescope-metadata, not both")
    if metadata is not None:
        return gradescope_student(metadata, roster)
    return None if student is None else on_roster(student, roster)


def on_roster(student: str, roster: Roster | None) -> str:
    """``--student ID``: the roster's spelling of it (refused if not on the roster), or
    without a roster the id as given."""
    if roster is None:
        return checked_id(student)
    found = roster.find(student)
    if found is None:
        raise NNCalcError.at(
            f"student {shown(student)!r} is not on the roster {roster.source}",
            hint="ids match in any case; check the spelling",
        )
    return found.id
