"""A class's marks: the one way `check --answers`, `grade`, `grade --students` and the
autograder mark submissions (docs/grading.md, "A class").

Each file is read and matched to its student (identity); several files of one student are
one row, by the rule ``keep`` (the latest, or the best); each student is marked against
their key (their own variant of a sheet with ``variants:``); with a roster every student
has a row, "no submission" included. Rows are flagged, never penalised: a ``student:``
that names someone else, resubmissions, ids not on the sheet, format problems,
byte-identical submissions, and answers that are another student's variant's.
"""

from __future__ import annotations

import bisect
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from nncalc.errors import NNCalcError, excerpt
from nncalc.files.yamlfile import YDict, load_file
from nncalc.grading import identity, marking, submission, variants
from nncalc.grading.marking import Grade, Sheet
from nncalc.grading.roster import Roster, Student, id_key

KEEP = ("latest", "best")
NO_SUBMISSION = "no submission"
LISTED = 10
"""Most ids, files or students a warning lists."""
SUSPECT_AT = 2
"""Questions on which a student's wrong answers must be right for one other student's
variant to flag the row (fewer when the sheet has fewer questions that vary)."""


class Key:
    """What each student is marked against: one sheet for everyone, or each student's own
    variant of a sheet with ``variants:``."""

    def __init__(self, sheet: Sheet | None = None, spec: variants.Variants | None = None) -> None:
        self.sheet = sheet
        self.spec = spec
        self.sheets: dict[str, Sheet] = {}

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Key:
        """The sheet at ``path``, with or without variants. Raises NNCalcError."""
        doc = load_file(path)
        if isinstance(doc, YDict) and "variants" in doc:
            return cls(spec=variants.from_yaml(doc, str(path)))
        return cls(sheet=marking.from_yaml(doc, str(path)))

    @property
    def varies(self) -> bool:
        return self.spec is not None

    def for_student(self, student: str | None) -> Sheet:
        """The sheet of ``student`` (with variants, a student must be given)."""
        if self.spec is not None and student is None:
            raise NNCalcError.at(
                "this sheet has variants: each student has their own key",
                self.spec.source,
                hint="give --student ID or --students ROSTER",
            )
        return self.of(student or "")

    def of(self, student: str) -> Sheet:
        """The sheet ``student`` is marked against."""
        if self.sheet is not None:
            return self.sheet
        if student not in self.sheets:
            assert self.spec is not None
            self.sheets[student] = variants.sheet(self.spec, variants.draw(self.spec, student))
        return self.sheets[student]


@dataclass(frozen=True)
class Row:
    """One student's row: who (never empty), their roster entry, the grade of the file
    kept (None: no submission), every file of theirs (the kept one first), why the row has
    no grade, and its flags."""

    student: str
    roster: Student | None
    grade: Grade | None
    files: tuple[str, ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def score(self) -> float:
        return self.grade.score if self.marked else 0.0

    @property
    def marked(self) -> bool:
        """Whether the row has marks: a file was read and marked (by a key that does not
        depend on whose it is, for a student not on the roster)."""
        return self.grade is not None and self.grade.error is None and bool(self.grade.marks)

    @property
    def submission(self) -> str:
        return self.files[0] if self.files else ""

    @property
    def status(self) -> str:
        """'graded', 'no submission', 'unreadable' or 'not on the roster'."""
        if not self.files:
            return NO_SUBMISSION
        if self.grade is not None and self.grade.error is not None:
            return "unreadable"
        return "not on the roster" if self.error else "graded"

    @property
    def name(self) -> str | None:
        return self.roster.name if self.roster else None

    @property
    def email(self) -> str | None:
        return self.roster.email if self.roster else None


@dataclass(frozen=True)
class ClassMarks:
    """A class's rows, and the sheet's title, question ids and points."""

    title: str | None
    ids: tuple[str, ...]
    points: tuple[float, ...]
    rows: tuple[Row, ...]
    roster: Roster | None = None

    @property
    def max_score(self) -> float:
        return sum(self.points)

    def counts(self) -> Counter[str]:
        """How many rows have each status, and how many are flagged, resubmitted, or
        hold a format problem."""
        counts = Counter(row.status for row in self.rows)
        counts["students"] = len(self.rows)
        counts["flagged"] = sum(bool(row.warnings) for row in self.rows)
        counts["resubmitted"] = sum(len(row.files) > 1 for row in self.rows)
        counts["format problems"] = sum(bool(row.grade and row.grade.problems) for row in self.rows)
        return counts


@dataclass
class _File:
    """A submission file as read: where, what its path says, what it answers (or why it
    cannot be read), when it was last changed, and its place on the command line."""

    path: str
    name: identity.Named
    read: submission.Submission | None
    error: str | None
    mtime: int
    index: int
    who: identity.Identity | None = None
    grade: Grade | None = None

    @property
    def order(self) -> tuple[Any, ...]:
        return (self.name.order, self.mtime, self.index)


def mark_class(
    key: Key,
    paths: Iterable[str],
    roster: Roster | None = None,
    keep: str = "latest",
    student: str | None = None,
) -> ClassMarks:
    """Every submission at ``paths`` marked: one row per student (per roster student, with
    a roster, in its order), every file ``student``'s when given (an id on the roster,
    if any). Raises NNCalcError for a sheet with variants and no way to tell whose a
    submission is (no roster, no student)."""
    template, rows, files = _marked(key, paths, roster, keep, student)
    if roster is not None:
        ordered = [
            rows.pop(s.id, None) or Row(s.id, s, None, error=NO_SUBMISSION) for s in roster.students
        ]
        ordered += rows.values()
    else:
        ordered = list(rows.values())
    ordered = _identical(ordered, files)
    if key.varies:
        ordered = _suspects(key, ordered, roster)
    return ClassMarks(
        template.title,
        tuple(template.ids),
        tuple(q.points for q in template.questions),
        tuple(ordered),
        roster,
    )


def mark_one(key: Key, path: str, roster: Roster | None = None, student: str | None = None) -> Row:
    """One submission's row, marked as mark_class marks it (without the class's rows and
    flags): what `check --answers` and the autograder report."""
    _, rows, _ = _marked(key, [path], roster, "latest", student)
    return next(iter(rows.values()))


def _marked(
    key: Key, paths: Iterable[str], roster: Roster | None, keep: str, student: str | None
) -> tuple[Sheet, dict[str, Row], list[_File]]:
    """The sheet's questions, each student's row (by id, or by name without a roster), and
    the files read."""
    if keep not in KEEP:
        raise NNCalcError.at(f"--keep {keep!r}: one of {', '.join(KEEP)}")
    template = key.for_student(student or (roster.students[0].id if roster else None))
    files = [_read(path, k, template) for k, path in enumerate(paths)]
    _identify(files, roster, student)
    groups: dict[str, list[_File]] = {}
    for f in files:
        assert f.who is not None
        group = f.who.student.id if f.who.student else id_key(f.who.label)
        groups.setdefault(group, []).append(f)
    rows = {group: _row(key, template, members, keep) for group, members in groups.items()}
    return template, rows, files


def _read(path: str, index: int, template: Sheet) -> _File:
    name = identity.named(path)
    try:
        mtime = os.lstat(path).st_mtime_ns
    except (OSError, ValueError):
        mtime = 0
    try:
        read = submission.read(path, template.ids, template.strict)
    except NNCalcError as e:
        return _File(path, name, None, marking.error_text(e), mtime, index)
    return _File(path, name, read, None, mtime, index)


def _identify(files: list[_File], roster: Roster | None, student: str | None) -> None:
    """Each file's student: on the roster, or by its path and ``student:`` without one."""
    folders: dict[str, set[str]] = {}
    for f in files:
        folders.setdefault(f.name.stem, set()).add(f.name.folder)
    for f in files:
        claim = f.read.student if f.read else None
        by_folder = len(folders[f.name.stem]) > 1  # answers.yaml in each student's folder
        if roster is not None:
            f.who = identity.identify(f.name, claim, roster, student, by_folder)
        elif student is not None:
            warning = identity.claim_warning(claim, None, Student(student), "is marked as")
            f.who = identity.Identity(Student(student), student, warning)
        else:
            f.who = identity.Identity(None, identity.label(f.name, claim, by_folder))


def _row(key: Key, template: Sheet, files: list[_File], keep: str) -> Row:
    """One student's row from their files."""
    who = files[0].who
    assert who is not None
    sheet = key.of(who.student.id) if who.student else (template if not key.varies else None)
    for f in files:
        if f.read is None:
            f.grade = Grade(sheet or template, f.path, error=f.error)
        elif sheet is not None:
            f.grade = marking.grade_submission(sheet, f.read)
    ordered = sorted(files, key=lambda f: f.order)
    kept = ordered[-1]
    if keep == "best" and sheet is not None:
        kept = max(reversed(ordered), key=lambda f: f.grade.score if f.grade else -1.0)
    warnings = []
    if len(files) > 1:
        names = _listed(tuple(f.path for f in ordered), quoted=False)
        warnings.append(f"{len(files)} files: {names}; kept {kept.path} (the {keep})")
    if kept.who is not None and kept.who.warning:
        warnings.append(kept.who.warning)
    if kept.read is not None and kept.read.unknown:
        warnings.append("not on the sheet: " + _listed(kept.read.unknown))
    if kept.grade is not None:
        warnings += [f"{m.question.id}: {m.problem}" for m in kept.grade.problems]
    error = kept.error or (who.problem if who.student is None else None)
    student = who.student
    others = [f.path for f in ordered if f is not kept]
    return Row(who.label, student, kept.grade, (kept.path, *others), error, tuple(warnings))


def _listed(ids: tuple[str, ...], quoted: bool = True, total: int | None = None) -> str:
    """The first LISTED ids (excerpts, when ``quoted``), then how many more of ``total``
    (default: of ``ids``)."""
    shown = ", ".join(excerpt(i) if quoted else i for i in ids[:LISTED])
    more = (len(ids) if total is None else total) - LISTED
    return shown + (f" and {more} more" if more > 0 else "")


def _identical(rows: list[Row], files: list[_File]) -> list[Row]:
    """Rows whose kept file is byte for byte another student's, flagged."""
    digest = {f.path: f.read.digest for f in files if f.read is not None}
    same: dict[str, list[int]] = {}
    for k, row in enumerate(rows):
        if row.submission in digest:
            same.setdefault(digest[row.submission], []).append(k)
    flagged = list(rows)
    for members in same.values():
        if len(members) < 2:
            continue
        names = [rows[j].student for j in members[: LISTED + 1]]
        for at, k in enumerate(members):
            others = tuple(n for i, n in enumerate(names) if i != at)
            listed = _listed(others, quoted=False, total=len(members) - 1)
            warning = f"identical (byte for byte) to the submission of {listed}"
            flagged[k] = replace(flagged[k], warnings=(*flagged[k].warnings, warning))
    return flagged


def _suspects(key: Key, rows: list[Row], roster: Roster | None) -> list[Row]:
    """Rows whose wrong answers are right for another student's variant, flagged:
    'suspect: matches s2301009's variant on q2, q4'."""
    ids = [s.id for s in roster.students] if roster else [r.roster.id for r in rows if r.roster]
    if len(ids) < 2:
        return rows
    keys = {sid: key.of(sid) for sid in ids}
    varying = _varying(list(keys.values()))
    if not varying:
        return rows
    index = {
        q: sorted((_first(keys[sid].questions[q].computed), sid) for sid in ids) for q in varying
    }
    need = min(SUSPECT_AT, len(varying))
    flagged = []
    for row in rows:
        matches = _matches(row, keys, index, varying) if row.status == "graded" else {}
        best = max(matches.items(), key=lambda kv: (len(kv[1]), kv[0]), default=None)
        if best is not None and len(best[1]) >= need:
            other, on = best
            warning = f"suspect: matches {other}'s variant on {', '.join(on)}"
            row = replace(row, warnings=(*row.warnings, warning))
        flagged.append(row)
    return flagged


def _varying(sheets: list[Sheet]) -> list[int]:
    """The questions (by position) whose key is not the same for every student."""
    first = sheets[0].questions
    return [
        k
        for k, q in enumerate(first)
        if q.kind != "prediction" and any(s.questions[k].computed != q.computed for s in sheets)
    ]


def _first(value: Any) -> float:
    return float(value[0] if isinstance(value, list) else value)


def _matches(
    row: Row, keys: dict[str, Sheet], index: dict[int, list[tuple[float, str]]], varying: list[int]
) -> dict[str, list[str]]:
    """Other students whose variant a row's wrong answers are right for: id → question ids."""
    assert row.grade is not None and row.roster is not None
    found: dict[str, list[str]] = {}
    for k in varying:
        mark = row.grade.marks[k]
        if mark.ok or mark.judged.near is None:
            continue
        for sid in _near(index[k], mark.judged.near):
            if sid != row.roster.id and keys[sid].questions[k].mark(mark.given).ok:
                found.setdefault(sid, []).append(mark.question.id)
    return found


def _near(index: list[tuple[float, str]], near: tuple[float, float]) -> list[str]:
    """The students whose key's first entry is within twice the allowed distance of the
    answer's first number: the candidates to mark it against."""
    value, bound = near
    width = 2 * bound + 1e-12 * abs(value)
    lo = bisect.bisect_left(index, (value - width, ""))
    hi = bisect.bisect_right(index, (value + width, "\U0010ffff"))
    return [sid for _, sid in index[lo:hi]]
