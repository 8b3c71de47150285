"""Whose submission a file is (docs/grading.md, "Whose submission"): the name an LMS's
download gives it, its folder, its file name, and the ``student:`` it says.

- Moodle's "Download all submissions": ``Full Name_1234501_assignsubmission_file_``, as a
  folder or as the start of a file name; 1234501 is the participant number of Moodle's
  grading worksheet, else the full name is matched to the roster's names.
- Canvas's "Download submissions": ``lastnamefirstname_12345_67890_answers.yaml`` (and
  ``_late_``); 12345 is the ID column of Canvas's gradebook export, else the name is
  matched; resubmissions are ``answers-1.yaml``, ``answers-2.yaml``.
- Otherwise the folder (``s2301001/answers.yaml``) or the file name (``s2301001.yaml``),
  a resubmission's copy marker (``-1``, `` (1)``) set aside.

Where the path names a student, that is whose submission it is: an LMS's download is
named by the account that uploaded it. A ``student:`` that names someone else is flagged,
both kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nncalc.grading.roster import Roster, Student, id_key
from nncalc.grading.variants import shown

MOODLE = re.compile(r"(?P<name>.+?)_(?P<number>\d+)_assign(?:submission|feedback)_[a-z]+_", re.S)
CANVAS = re.compile(
    r"(?P<name>[^\W_]+?)(?:_late)?_(?P<number>\d+)_(?P<sub>\d+)_(?P<rest>.+)", re.I | re.S
)
COPY = re.compile(r"(?P<base>.+?)(?:-(?P<dash>\d{1,2})| \((?P<paren>\d{1,2})\))")


@dataclass(frozen=True)
class Named:
    """What a submission's path says of its student: an LMS's name for it (``lms``,
    the number and the name in it), its folder, its file's stem without a copy marker, and
    its place among resubmissions (Canvas: the copy number, then the submission number)."""

    path: str
    lms: str | None
    number: str | None
    name: str | None
    folder: str
    stem: str
    order: tuple[int, ...] = ()


def named(path: str) -> Named:
    p = Path(path)
    stem, copy = _uncopied(p.stem)
    order = (copy,) if copy else ()
    for part in (p.name, p.parent.name):
        m = MOODLE.match(part)
        if m:
            name = m["name"].strip()
            return Named(path, "Moodle", m["number"], name, p.parent.name, stem, order)
    m = CANVAS.fullmatch(p.name)
    if m:
        _, copy = _uncopied(Path(m["rest"]).stem)
        order = (copy, int(m["sub"]))
        return Named(path, "Canvas", m["number"], m["name"], p.parent.name, stem, order)
    return Named(path, None, None, None, p.parent.name, stem, order)


def _uncopied(stem: str) -> tuple[str, int]:
    """A file's stem without a copy marker ('answers-1', 'answers (2)'), and its number."""
    m = COPY.fullmatch(stem)
    if m is None:
        return stem, 0
    return m["base"], int(m["dash"] or m["paren"])


@dataclass(frozen=True)
class Identity:
    """Whose submission it is: the roster's student (None: not on the roster), what the
    row is called (never empty), a warning (a ``student:`` that names someone else), and
    why it is on no roster."""

    student: Student | None
    label: str
    warning: str | None = None
    problem: str | None = None


def identify(
    name: Named, claim: str | None, roster: Roster, forced: str | None = None, folders: bool = False
) -> Identity:
    """The roster's student of a submission: ``forced`` (check --student, Gradescope's
    metadata), else the one its path names, else its ``student:``; on no roster, named
    as ``label`` names it."""
    claimed = roster.find(claim) if claim else None
    if forced is not None:
        student = roster.find(forced)
        return Identity(
            student,
            student.id if student else forced,
            claim_warning(claim, claimed, student, "is marked as"),
        )
    found, where, problem = _by_path(name, roster, claimed)
    if found is not None:
        return Identity(found, found.id, claim_warning(claim, claimed, found, f"is in {where} of"))
    if claimed is not None:
        return Identity(claimed, claimed.id)
    called = label(name, claim, folders)
    if problem is None:
        said = (
            f"'student: {shown(claim)}'"
            if claim
            else f"{shown(called)!r} (its folder or file name)"
        )
        problem = f"not on the roster: {said}"
    return Identity(None, called, None, problem)


def _by_path(
    name: Named, roster: Roster, claimed: Student | None
) -> tuple[Student | None, str, str | None]:
    """The student the path names, where it names them, and why it names none when it
    has an LMS's name for one."""
    if name.lms is not None:
        where = f"{name.lms}'s download"
        by_number = roster.by_lms(name.number) if name.number else None
        if by_number is not None:
            return by_number, where, None
        matches = roster.by_name(name.name or "")
        if claimed is not None and claimed in matches:
            matches = [claimed]
        if len(matches) == 1:
            return matches[0], where, None
        if matches:
            ids = ", ".join(s.id for s in matches)
            return None, where, f"{name.lms}'s {shown(name.name or '')!r} is the name of {ids}"
        problem = f"not on the roster: {name.lms}'s {shown(name.name or '')!r}"
    else:
        problem = None
    for part, where in ((name.folder, "the folder"), (name.stem, "the file")):
        found = roster.find(part) if part else None
        if found is not None:
            return found, where, None
    return None, "", problem


def claim_warning(
    claim: str | None, claimed: Student | None, student: Student | None, how: str
) -> str | None:
    """The warning for a ``student:`` that names someone other than ``student``."""
    if not claim or (
        student is not None and id_key(claim) in (id_key(student.id), id_key(student.email or ""))
    ):
        return None
    if claimed is not None and claimed == student:
        return None
    who = student.id if student else "?"
    on = "" if claimed else ", who is not on the roster"
    return f"the file says 'student: {shown(claim)}'{on}; it {how} {who}"


def label(name: Named, claim: str | None, folders: bool) -> str:
    """What a submission's row is called when it is on no roster: its ``student:``, else
    its LMS name, else its folder when ``folders`` (the file names alone do not tell
    students apart: answers.yaml in each folder), else its file's stem."""
    if claim:
        return claim
    if name.lms is not None and name.name:
        return name.name
    if folders and name.folder:
        return name.folder
    return name.stem or name.folder or name.path
