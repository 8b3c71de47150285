"""A realistic class (samples/grading/class): 30 students of a Moodle course, each with
their own variant, writing answers the way students do. Each student's fair grade is
derived here by hand, with the reasoning, and every row of `nncalc grade` is checked
against it; `nncalc check` gives each file the same score; the class's exports agree."""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal

import pytest

from nncalc.grading import variants

from conftest import SAMPLES

CLASS = SAMPLES / "grading" / "class"
SHEET = CLASS / "sheet.yaml"
ROSTER = CLASS / "participants.csv"
SUBMISSIONS = sorted(str(p) for p in (CLASS / "submissions").glob("*/*"))

FULL = 8  # q1 1 + q2 2 + q3 1 + q4 2 + q5 1 + q6 1

# (student, fair score, status, flags in the row's warnings, why)
FAIR = [
    ("s2301001", FULL, "graded", [], "every answer nncalc's key to 4 significant figures"),
    ("s2301002", FULL, "graded", [], "decimal commas: 2,8 and 0,9427; 0,9967; 0,5498 are the key"),
    ("s2301003", FULL, "graded", [], "percentages: 5.73% is a^(2)_1 = 0.0573 to 4 decimals"),
    ("s2301004", FULL, "graded", [], "' - 4.2 ', 1.477·10^-2, 6.457 × 10⁻¹, 9.939E-1 are the key"),
    ("s2301005", FULL, "graded", [], "MATLAB's [a; b; c], [a b]' and [0 1 0 0]"),
    ("s2301006", FULL, "graded", [], "(a, b, c) vectors, and the class written 'Vélo'"),
    ("s2301007", FULL, "graded", [], "'vélo (unit 2)' as nncalc prints it, in Unicode NFD"),
    ("s2301008", FULL, "graded", [], "Notepad's UTF-16 with its byte-order mark, CRLF lines"),
    ("s2301009", FULL, "graded", [], "UTF-8 with a byte-order mark, CRLF lines"),
    ("s2301010", FULL, "graded", [], "ids written Q1, q 2, Q 3: the questions they name"),
    ("s2301011", FULL, "graded", [], "'q1 = -0.3' lines, in a folder named by her id"),
    ("s2301012", FULL, "graded", [], "'q1 -9.9' lines"),
    # a^(2)_3 = 0.99932 was written 0.9939 (two digits swapped): entries 1 and 2 are right,
    # so 2 of 3 entries of the 2-point question: 4/3 points.
    ("s2301013", FULL - 2 / 3, "graded", [], "a^(2)_3 0.9939 for 0.9993: 2 of 3 entries"),
    # everything rounded to 2 decimals: 1.00 for 0.9973, 0.12 for 0.1192, … all right when
    # rounded where he stopped (what `forward --expect 0.12` says too).
    ("s2301014", FULL, "graded", [], "every value rounded to 2 decimals"),
    # "1" for a^(2)_2 = 0.99005: that rounds to 1, but one significant figure and no
    # decimals is not an answer to a computation; the other two entries are right.
    ("s2301015", FULL - 2 / 3, "graded", [], "'1' for 0.99005: 2 of 3 entries"),
    ("s2301016", FULL, "graded", [], "'2' for the unit, '23 860' for the count, '0,1,0,0'"),
    ("s2301017", FULL, "graded", [], "'23,860' for a count is 23860: a count has no decimals"),
    # z = 1.9 written '1,900': 1.900 (right) or 1900 (wrong)? A fair marker asks; nncalc
    # flags it with both readings and gives no points until the student answers.
    ("s2301018", FULL - 1, "graded", ["q1: read '1,900'"], "'1,900': ambiguous, flagged"),
    ("s2301019", FULL - 1, "graded", ['q3: read "I don\'t know": not numbers'], "not numbers"),
    # Grace hands in Hannah's (s2301009's) answers, retyped: z, a^(2) and h are Hannah's
    # variant's, wrong for her own; both predict vélo (2 points), and the parameter count
    # and one-hot y are the same for everyone: 4. Flagged, never penalised.
    ("s2301020", 4, "graded", ["suspect: matches s2301009's variant on q1, q2, q3"], "copied"),
    ("s2301021", FULL, "graded", [], "emailed, 'student: S2301021': his id in capitals"),
    # her own answers, in her Moodle folder, in a file saying the friend's id whose
    # template she used: marked as hers, the claim flagged.
    ("s2301022", FULL, "graded", ["the file says 'student: s2301023'"], "her folder wins"),
    # two uploads: answers.yaml with mistakes, then 'answers (1).yaml', right: the latest
    ("s2301023", FULL, "graded", ["2 files: "], "the corrected resubmission counts"),
    ("s2301024", 0, "no submission", [], "no submission"),
    ("s2301025", 0, "no submission", [], "no submission"),
    ("s2301026", 0, "no submission", [], "no submission"),
    ("s2301027", 0, "unreadable", [], "a Word document: nothing to mark"),
    (
        "s2301028",
        0,
        "graded",
        ["identical (byte for byte) to the submission of s2301029"],
        "the empty template",
    ),
    (
        "s2301029",
        0,
        "graded",
        ["identical (byte for byte) to the submission of s2301028"],
        "the same template",
    ),
    ("s2301030", FULL, "graded", ["not on the sheet: 'name', 'q7'"], "UTF-32, extra keys"),
]


def _key(student: str) -> dict[str, list[float]]:
    """The student's z^(2), a^(2) and h_Θ(x), computed here from the integers of their
    variant (Θ^(j) entries k/10, x whole numbers), independently of nncalc's forward."""
    values = variants.values(
        variants.load(SHEET), student, variants.draw(variants.load(SHEET), student).redraws
    )
    theta1, theta2 = ([[Decimal(k) / 10 for k in row] for row in m] for m in values["net"].matrices)
    x = [Decimal(k) for k in values["x"].matrices[0][0]]
    z2 = [row[0] + sum(t * v for t, v in zip(row[1:], x, strict=True)) for row in theta1]
    a2 = [1 / (1 + math.exp(-float(z))) for z in z2]
    z3 = [float(r[0]) + sum(float(t) * a for t, a in zip(r[1:], a2, strict=True)) for r in theta2]
    return {"z": [float(z) for z in z2], "a": a2, "h": [1 / (1 + math.exp(-z)) for z in z3]}


def test_the_reasoning_s_numbers_are_the_students_keys():
    """The values the fair grades above reason about, from the variants' integers."""
    assert f"{_key('s2301013')['a'][2]:.4f}" == "0.9993"  # written 0.9939
    assert f"{_key('s2301015')['a'][1]:.5f}" == "0.99005"  # written 1
    assert _key("s2301018")["z"][0] == 1.9  # written 1,900
    assert f"{_key('s2301014')['a'][2]:.2f}" == "1.00"  # written 1.00
    hannah, grace = _key("s2301009"), _key("s2301020")
    assert (hannah["z"][0], grace["z"][0]) == (-4.3, 0.7)
    theirs, hers = hannah["a"] + hannah["h"], grace["a"] + grace["h"]
    assert all(abs(h - g) > 0.05 for h, g in zip(theirs, hers, strict=True))
    # both predict the second class, vélo
    assert hannah["h"][1] > hannah["h"][0] and grace["h"][1] > grace["h"][0]


@pytest.fixture(scope="module")
def graded():
    from nncalc.cli import main

    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        code = main(["grade", str(SHEET), *SUBMISSIONS, "--students", str(ROSTER)])
    assert code == 0
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_every_row_is_the_fair_grade(graded):
    assert [row["student"] for row in graded] == [f[0] for f in FAIR]  # the roster's order
    for row, (student, score, status, flags, why) in zip(graded, FAIR, strict=True):
        assert float(row["score"]) == pytest.approx(score, abs=1e-4), (student, why, row)
        assert row["status"] == status, (student, row)
        for flag in flags:
            assert flag in row["warnings"], (student, row["warnings"])
        if not flags and status == "graded":
            assert row["warnings"] == "", (student, row["warnings"])


def test_the_roster_s_names_and_emails_are_carried(graded):
    assert graded[6]["name"] == "Chloé Martin"
    assert graded[6]["email"] == "chloe.martin@student.uni.example"
    assert all(row["max_score"] == "8" for row in graded)


def test_check_gives_each_file_the_score_grade_gives(run, graded):
    """The autograder's path and the class's: one pipeline, one score per file."""
    for row in graded:
        if row["status"] != "graded":
            continue
        r = run("check", SHEET, "--students", ROSTER, "--answers", row["submission"], "--json")
        assert r.code in (0, 1), r.err
        assert r.json()["score"] == pytest.approx(float(row["score"]), abs=1e-4), row["student"]
        assert r.json()["student"] == row["student"]


def test_the_summary_and_json_agree_with_the_rows(run):
    r = run("grade", SHEET, *SUBMISSIONS, "--students", ROSTER, "--json")
    summary = r.json()["summary"]
    rows = r.json()["students"]
    assert summary["students"] == len(rows) == 30
    assert summary["graded"] == sum(s["status"] == "graded" for s in rows) == 26
    assert summary["no submission"] == 3 and summary["unreadable"] == 1
    assert summary["flagged"] == sum(bool(s["warnings"]) for s in rows) == 8
    assert r.err == (
        "nncalc: 30 students: 26 graded, 3 no submission, 1 unreadable; 8 flagged, "
        "1 with several files, 2 with format problems\n"
    )


def test_the_class_for_moodle_s_import(run):
    r = run("grade", SHEET, *SUBMISSIONS, "--students", ROSTER, "--format", "moodle")
    rows = list(csv.reader(io.StringIO(r.out)))
    assert rows[0] == [
        "Email address",
        "ID number",
        "Full name",
        "Week 3 quiz: forward propagation",
        "Feedback",
    ]
    assert len(rows) == 31  # the 30 students, not the teacher
    assert rows[13][:4] == [
        "olivia.brown@student.uni.example",
        "s2301013",
        "Olivia Brown",
        "7.3333",
    ]
    assert rows[13][4].startswith("q1 ✓; q2 ◐ (2 of 3 entries right); q3 ✓")
