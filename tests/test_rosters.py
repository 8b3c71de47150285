"""Rosters as LMSs export them, ids as text matched in any case, submissions as LMSs name
their downloads, and grades in the columns each LMS imports (docs/grading.md)."""

from __future__ import annotations

import codecs
import csv
import io
import json

import pytest

from nncalc.errors import NNCalcError
from nncalc.grading import identity, roster

from conftest import SAMPLES

SHEET = SAMPLES / "grading" / "sheet.yaml"
VARIANTS = SAMPLES / "grading" / "variants-sheet.yaml"
CORRECT = (SAMPLES / "grading" / "answers-correct.yaml").read_text(encoding="utf-8")
PARTIAL = (SAMPLES / "grading" / "answers-partial.yaml").read_text(encoding="utf-8")

# Exports as each LMS writes them (headers from their documentation and code).
CANVAS = """\
Student,ID,SIS User ID,SIS Login ID,Section,Week 3 quiz (12345),Current Score,Final Score
    Points Possible,,,,,11.00,(read only),(read only)
"Ng, Alice",40211,s2301001,ang,NN 101 A,,0.00,0.00
"Hinton, Bob",40212,s2301002,bhinton,NN 101 A,,0.00,0.00
"LeCun, Carol",40213,s2301003,clecun,NN 101 B,,0.00,0.00
"Student, Test",40299,,,NN 101 A,,0.00,0.00
"""
MOODLE = """\
First name,Surname,ID number,Email address,Roles,Groups,Last access to course
Alice,Ng,s2301001,alice.ng@uni.example,Student,No groups,1 day
Bob,Hinton,s2301002,bob.hinton@uni.example,Student,No groups,Never
Carol,LeCun,s2301003,carol.lecun@uni.example,Student,No groups,2 days
Tom,Teacher,,tom@uni.example,Teacher,No groups,now
"""
WORKSHEET = (
    "Identifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
    "Last modified (submission),Last modified (grade),Feedback comments\n"
    "Participant 1234501,Alice Ng,alice.ng@uni.example,Submitted for grading,,11.00,Yes,"
    '"Monday, 2 March 2026, 9:00 AM",-,\n'
    "Participant 1234502,Bob Hinton,bob.hinton@uni.example,No submission,,11.00,Yes,-,-,\n"
)
BLACKBOARD = (
    '"Last Name"\t"First Name"\t"Username"\t"Student ID"\t"Last Access"\t"Availability"\t'
    '"Week 3 [Total Pts: 11 Score] |123456"\n'
    '"Ng"\t"Alice"\t"ang"\t"s2301001"\t"2026-03-01"\t"Yes"\t""\n'
    '"Hinton"\t"Bob"\t"bhinton"\t""\t"2026-03-02"\t"Yes"\t""\n'
)
GRADESCOPE = """\
First Name,Last Name,SID,Email,Role,Sections
Alice,Ng,s2301001,alice.ng@uni.example,Student,
Bob,Hinton,s2301002,bob.hinton@uni.example,Student,
Grace,Grader,,grace@uni.example,TA,
"""


@pytest.mark.parametrize(
    ("text", "data", "layout", "students"),
    [
        (
            CANVAS,
            None,
            "Canvas",
            [
                ("s2301001", "Ng, Alice", None, "40211"),
                ("s2301002", "Hinton, Bob", None, "40212"),
                ("s2301003", "LeCun, Carol", None, "40213"),
            ],
        ),
        (
            MOODLE,
            codecs.BOM_UTF8,
            "Moodle",
            [
                ("s2301001", "Alice Ng", "alice.ng@uni.example", None),
                ("s2301002", "Bob Hinton", "bob.hinton@uni.example", None),
                ("s2301003", "Carol LeCun", "carol.lecun@uni.example", None),
            ],
        ),
        (MOODLE.replace("Surname", "Last name"), codecs.BOM_UTF8, "Moodle", None),
        (
            WORKSHEET,
            None,
            "Moodle grading worksheet",
            [
                ("alice.ng@uni.example", "Alice Ng", None, "1234501"),
                ("bob.hinton@uni.example", "Bob Hinton", None, "1234502"),
            ],
        ),
        (
            BLACKBOARD,
            codecs.BOM_UTF16_LE,
            "Blackboard",
            [("ang", "Alice Ng", None, None), ("bhinton", "Bob Hinton", None, None)],
        ),
        (
            GRADESCOPE,
            None,
            "Gradescope",
            [
                ("s2301001", "Alice Ng", "alice.ng@uni.example", None),
                ("s2301002", "Bob Hinton", "bob.hinton@uni.example", None),
            ],
        ),
    ],
)
def test_rosters_as_lms_export_them(write, text, data, layout, students):
    encoding = "utf-16-le" if data == codecs.BOM_UTF16_LE else "utf-8"
    read = roster.read_roster(write("roster.csv", (data or b"") + text.encode(encoding)))
    assert read.layout == layout
    got = [(s.id, s.name, s.email, s.lms_id) for s in read.students]
    assert students is None or got == students  # no Points Possible, test or staff rows


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "id,name\nalice,A\nAlice,B\n",
            ":3: student id 'Alice' is the same as 'alice' to a file system (first on line 2)",
        ),
        ("id,name\nbob,B\nbob.,C\n", ":3: student id 'bob.' is the same as 'bob' to a file system"),
        (
            "id,name\nzoë,Z\nzoe\u0308,Y\n",
            ":3: student id 'zoë' is repeated (first on line 2)",
        ),
        (
            "id,student id,name\n1,s1,A\n",
            ":1: the roster has 2 id columns: 'id', 'student id'; choose one with --id-column",
        ),
        ("name,email\nA,a@x\n", ":1: the roster has no id column"),
        ("id,name\n,Ann\n", ":2: no id in column 'id'"),
    ],
)
def test_rosters_that_are_refused(write, text, message):
    with pytest.raises(NNCalcError) as e:
        roster.read_roster(write("roster.csv", text))
    assert message in str(e.value)


def test_id_and_name_columns_can_be_chosen(write):
    path = write("roster.csv", "id,student id,Preferred name\n1,s1,Ann\n2,s2,Ben\n")
    read = roster.read_roster(path, id_column="Student ID", name_column="preferred name")
    assert [(s.id, s.name) for s in read.students] == [("s1", "Ann"), ("s2", "Ben")]
    with pytest.raises(NNCalcError, match="did you mean 'student id'"):
        roster.read_roster(path, id_column="studnet id")


def test_ids_are_text_and_match_in_any_case(write):
    read = roster.read_roster(write("roster.csv", "id;name\n00123;Ada\n0x53;Bea\n1e3;Cy\n"))
    assert [s.id for s in read.students] == ["00123", "0x53", "1e3"]  # ; separated, as text
    assert read.find(" S\u00e9b ".replace("S\u00e9b", "00123")).id == "00123"
    assert read.find("0X53").id == "0x53" and read.find("83") is None


# --- whose submission: LMS downloads, folders, file names, student: -------------------------


@pytest.mark.parametrize(
    ("path", "lms", "number", "name", "stem"),
    [
        (
            "Alice Ng_1234501_assignsubmission_file_/answers.yaml",
            "Moodle",
            "1234501",
            "Alice Ng",
            "answers",
        ),
        (
            "Alice Ng_1234501_assignsubmission_file_answers.yaml",
            "Moodle",
            "1234501",
            "Alice Ng",
            "Alice Ng_1234501_assignsubmission_file_answers",
        ),
        (
            "ngalice_40211_889001_answers.yaml",
            "Canvas",
            "40211",
            "ngalice",
            "ngalice_40211_889001_answers",
        ),
        (
            "hintonbob_LATE_40212_889002_answers-1.yaml",
            "Canvas",
            "40212",
            "hintonbob",
            "hintonbob_LATE_40212_889002_answers",  # -1: a copy marker, set aside
        ),
        ("s2301001/answers (2).yaml", None, None, None, "answers"),
    ],
)
def test_lms_download_names(path, lms, number, name, stem):
    named = identity.named(path)
    assert (named.lms, named.number, named.name) == (lms, number, name)
    assert named.stem == stem


def _grade(run, tmp_path, roster_text, files, *args, roster_bytes=b""):
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_bytes + roster_text.encode("utf-8"))
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    r = run("grade", SHEET, *(tmp_path / f for f in files), "--students", path, "--json", *args)
    assert r.code == 0, r.err
    return {s["student"]: s for s in r.json()["students"]}, r


def test_moodle_downloads_are_matched_by_name(run, tmp_path):
    files = {
        "Alice Ng_1234501_assignsubmission_file_/answers.yaml": CORRECT,
        "bob hinton_1234502_assignsubmission_file_/answers.yaml": PARTIAL,  # another case
        "Mallory Evil_1234509_assignsubmission_file_/answers.yaml": CORRECT,
    }
    rows, _ = _grade(run, tmp_path, MOODLE, files, roster_bytes=codecs.BOM_UTF8)
    assert {k: (v["score"], v["status"]) for k, v in rows.items()} == {
        "s2301001": (11, "graded"),
        "s2301002": (3, "graded"),
        "s2301003": (0, "no submission"),
        "Mallory Evil": (11, "not on the roster"),
    }
    assert rows["s2301001"]["email"] == "alice.ng@uni.example"
    assert rows["Mallory Evil"]["error"] == "not on the roster: Moodle's 'Mallory Evil'"


def test_moodle_downloads_by_participant_number_with_the_worksheet(run, tmp_path):
    files = {"Alice Ng_1234501_assignsubmission_file_/answers.yaml": CORRECT}
    rows, _ = _grade(run, tmp_path, WORKSHEET, files)
    assert rows["alice.ng@uni.example"]["score"] == 11


def test_a_copy_marker_in_a_moodle_folder_orders_resubmissions_whatever_the_mtimes(run, tmp_path):
    import os

    folder = "Alice Ng_1234501_assignsubmission_file_"
    files = {f"{folder}/answers.yaml": PARTIAL, f"{folder}/answers (1).yaml": CORRECT}
    (tmp_path / folder).mkdir()
    for k, (name, text) in enumerate(reversed(files.items())):  # the copy saved first
        (tmp_path / name).write_text(text, encoding="utf-8")
        os.utime(tmp_path / name, ns=(10**18 + k, 10**18 + k))
    (tmp_path / "roster.csv").write_text(WORKSHEET, encoding="utf-8")
    args = [tmp_path / f for f in files]
    r = run("grade", SHEET, *args, "--students", tmp_path / "roster.csv", "--json")
    alice = next(s for s in r.json()["students"] if s["score"] is not None and s["warnings"])
    assert alice["score"] == 11  # 'answers (1)' is the later upload, as its marker says


def test_canvas_downloads_by_id_and_resubmissions(run, tmp_path):
    files = {
        "ngalice_40211_889001_answers.yaml": PARTIAL,
        "ngalice_40211_889010_answers-1.yaml": CORRECT,  # her second upload
        "lecuncarol_late_40213_889020_answers.yaml": "Q7: Motorcycle\nq 1 = 60\n",
    }
    rows, r = _grade(run, tmp_path, CANVAS, files)
    alice = rows["s2301001"]
    assert (alice["score"], alice["submission"]) == (
        11,
        str(tmp_path / "ngalice_40211_889010_answers-1.yaml"),
    )
    assert alice["warnings"][0].startswith("2 files: ")
    assert alice["warnings"][0].endswith(
        "kept " + str(tmp_path / "ngalice_40211_889010_answers-1.yaml") + " (the latest)"
    )
    assert rows["s2301003"]["score"] == 4  # q1 (2 points) and q7 (2 points)
    assert rows["s2301002"]["status"] == "no submission"
    assert "3 students: 2 graded, 1 no submission; 1 flagged, 1 with several files" in r.err
    best, _ = _grade(run, tmp_path, CANVAS, files, "--keep", "best")
    assert best["s2301001"]["score"] == 11


def test_keep_best_and_latest_by_modification_time(run, tmp_path):
    import os

    files = {"s2301001/answers.yaml": CORRECT, "s2301001/answers (1).yaml": PARTIAL}
    (tmp_path / "s2301001").mkdir()
    for k, (name, text) in enumerate(files.items()):
        (tmp_path / name).write_text(text, encoding="utf-8")
        os.utime(tmp_path / name, ns=(10**18 + k, 10**18 + k))
    (tmp_path / "roster.csv").write_text(MOODLE, encoding="utf-8")
    args = [tmp_path / f for f in files]
    r = run("grade", SHEET, *args, "--students", tmp_path / "roster.csv", "--json")
    alice = next(s for s in r.json()["students"] if s["student"] == "s2301001")
    assert alice["score"] == 3  # the partial answers were saved last
    r = run(
        "grade", SHEET, *args, "--students", tmp_path / "roster.csv", "--json", "--keep", "best"
    )
    alice = next(s for s in r.json()["students"] if s["student"] == "s2301001")
    assert alice["score"] == 11 and "(the best)" in alice["warnings"][0]


def test_a_student_key_that_disagrees_with_the_folder_is_flagged(run, tmp_path):
    files = {"s2301002/answers.yaml": "student: s2301001\n" + CORRECT}
    rows, _ = _grade(run, tmp_path, MOODLE, files, roster_bytes=b"")
    bob = rows["s2301002"]
    assert bob["score"] == 11 and bob["student"] == "s2301002"
    assert bob["warnings"] == ["the file says 'student: s2301001'; it is in the folder of s2301002"]


# --- the autograder and check --student: ids on the roster --------------------------------------


def test_check_matches_ids_in_any_case_and_refuses_ids_not_on_the_roster(run, write):
    ids = write("roster.csv", "id,name,email\ns2301001,Ada,ada@x.org\ns2301002,Bo,bo@x.org\n")
    a = run("check", VARIANTS, "--student", "S2301001", "--students", ids)
    b = run("check", VARIANTS, "--student", "s2301001")
    assert a.code == b.code == 0 and a.out == b.out  # one variant, however the id is written
    r = run("check", VARIANTS, "--student", "s9999999", "--students", ids)
    assert r.code == 2 and "student 's9999999' is not on the roster" in r.err


def test_gradescope_metadata_against_the_roster(run, write, tmp_path):
    ids = write("roster.csv", "id,name,email\ns2301001,Ada,ada@x.org\ns2301002,Bo,bo@x.org\n")
    key = run("check", VARIANTS, "--student", "s2301002", "--json").json()
    answers = write("a.yaml", "".join(f"{q['id']}: {q['computed']}\n" for q in key["questions"]))
    results = tmp_path / "results.json"

    def check(user):
        meta = write("meta.json", json.dumps({"users": [user]}))
        args = ("--gradescope-metadata", meta, "--answers", answers, "--gradescope", results)
        return run("check", VARIANTS, *args, "--students", ids)

    assert check({"sid": "S2301002", "email": "x@y"}).code == 0  # the Student ID, any case
    assert json.loads(results.read_text())["score"] == 6
    assert check({"sid": "", "email": "BO@x.org"}).code == 0  # no sid: the email's student
    r = check({"sid": "s9999999", "email": "bo@x.org"})
    assert r.code == 2 and "Gradescope's Student ID 's9999999' is not on the roster" in r.err
    refused = json.loads(results.read_text())
    assert refused["score"] == 0 and "not on the roster" in refused["output"]


# --- grades for the LMS ---------------------------------------------------------------------


def _lms(run, tmp_path, roster_text, files, fmt, *args):
    path = tmp_path / "roster.csv"
    path.write_text(roster_text, encoding="utf-8")
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    paths = [tmp_path / f for f in files]
    r = run("grade", SHEET, *paths, "--students", path, "--format", fmt, *args)
    assert r.code == 0, r.err
    return list(csv.reader(io.StringIO(r.out)))


def test_grades_for_moodle_s_import(run, tmp_path):
    files = {
        "Alice Ng_1234501_assignsubmission_file_/answers.yaml": CORRECT,
        "Bob Hinton_1234502_assignsubmission_file_/answers.yaml": PARTIAL,
        "Eve Outsider_1234507_assignsubmission_file_/answers.yaml": CORRECT,
    }
    rows = _lms(run, tmp_path, MOODLE, files, "moodle")
    assert rows[0] == [
        "Email address",
        "ID number",
        "Full name",
        "Week 3 quiz: forward propagation",
        "Feedback",
    ]
    assert [r[:4] for r in rows[1:]] == [  # roster students only: Moodle stops at a stranger
        ["alice.ng@uni.example", "s2301001", "Alice Ng", "11"],
        ["bob.hinton@uni.example", "s2301002", "Bob Hinton", "3"],
        ["carol.lecun@uni.example", "s2301003", "Carol LeCun", "0"],
    ]
    assert rows[2][4].startswith("q1 ✗ (not right); q2 ✓;")
    assert "60" not in rows[2][4] and rows[3][4] == "no submission"


def test_grades_for_canvas_s_import(run, tmp_path):
    files = {
        "ngalice_40211_889001_answers.yaml": CORRECT,
        "hintonbob_40212_889002_answers.yaml": PARTIAL,
    }
    rows = _lms(run, tmp_path, CANVAS, files, "canvas", "--assignment", "Week 3 quiz (12345)")
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Week 3 quiz (12345)"],
        ["Points Possible", "", "", "", "", "11"],
        ["Ng, Alice", "40211", "s2301001", "", "", "11"],
        ["Hinton, Bob", "40212", "s2301002", "", "", "3"],
        ["LeCun, Carol", "40213", "s2301003", "", "", "0"],
    ]
