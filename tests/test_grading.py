"""Answer sheets, `nncalc check` and `nncalc grade`: every kind, tolerances, points, files."""

from __future__ import annotations

import csv
import json
import math
import textwrap

import pytest

from nncalc.files import yamlfile
from nncalc.grading import marking

from conftest import SAMPLES

SHEET = SAMPLES / "grading" / "sheet.yaml"
CORRECT = SAMPLES / "grading" / "answers-correct.yaml"
PARTIAL = SAMPLES / "grading" / "answers-partial.yaml"


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


@pytest.fixture
def sheet_file(write):
    """write a sheet (dedented) beside a copy of the slide's neuron and the 3-3-1 net."""

    def _sheet(text: str):
        write("neuron.yaml", (SAMPLES / "slide-neuron.yaml").read_text(encoding="utf-8"))
        write("net331.yaml", (SAMPLES / "lecture-3-3-1.yaml").read_text(encoding="utf-8"))
        write("vehicles.yaml", (SAMPLES / "vehicles.yaml").read_text(encoding="utf-8"))
        return write("sheet.yaml", textwrap.dedent(text))

    return _sheet


EVERY_KIND = """
    title: every kind
    questions:
      - {id: p, params: {sizes: [3, 5, 10], theta: 2}}
      - {id: pn, params: {network: net331.yaml}}
      - {id: z, z: {network: neuron.yaml, x: [66, 39, 12], layer: 2, unit: 1}}
      - {id: a, activation: {network: net331.yaml, x: [1, 2, 3], layer: 2}}
      - {id: a1, activation: {network: net331.yaml, x: [1, 2, 3], layer: 1, unit: 3}}
      - {id: h, output: {network: net331.yaml, x: [1, 2, 3]}}
      - {id: c, prediction: {network: vehicles.yaml, x: [3.8, 12, 10]}}
      - {id: y, onehot: {classes: 10, label: 3}}
      - {id: yn, onehot: {classes: [pedestrian, car, motorcycle, truck], label: car}}
      - {id: y0, onehot: {classes: 4, label: 0, zero_based: true}}
"""


def test_every_kind_is_computed(sheet_file):
    sheet = marking.load_sheet(sheet_file(EVERY_KIND))
    computed = {q.id: q.computed for q in sheet.questions}
    s1, s2, s3 = sigma(1), sigma(2), sigma(3)
    assert computed == {
        "p": 60,  # 5·10 weights + 10 biases
        "pn": 3 * 4 + 1 * 4,  # Θ^(1) 3 × (3 + 1), Θ^(2) 1 × (3 + 1)
        "z": 41.5,
        "a": pytest.approx([s1, s2, s3], rel=1e-15),
        "a1": 3.0,  # a_3^(1) = x_3
        "h": pytest.approx(sigma(-1 + 0.5 * s1 - 0.5 * s2 + s3), rel=1e-15),
        "c": 4,  # the lorry is a truck, unit 4
        "y": [0, 0, 1, 0, 0, 0, 0, 0, 0, 0],
        "yn": [0, 1, 0, 0],
        "y0": [1, 0, 0, 0],
    }
    assert sheet.max_score == 10


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("41.5", True),
        ("41.50009", False),  # as written it claims 5 decimals: 9e-5 off is more than 5e-6
        ("41.50000", True),  # trailing zeros: right to 5 decimals
        ("42", True),  # 41.5 rounded to units: a tie, both neighbours are right
        ("4e1", False),  # one significant figure is not an answer
        ("'41.5'", True),  # quoted text that reads as a number
        ("41,5", True),  # a decimal comma
        ("[41.5]", True),
        ("83/2", True),  # exactly 41.5
        ("forty", False),
        ("yes", False),
        ("[41.5, 1]", False),
    ],
)
def test_the_default_is_right_as_written(sheet_file, answer, ok):
    sheet = marking.load_sheet(
        sheet_file("questions: [{id: z, z: {network: neuron.yaml, x: [66, 39, 12], layer: 2}}]")
    )
    ((_, value, _),) = yamlfile.parse_raw(f"z: {answer}")  # as a student's file gives it
    assert sheet.questions[0].mark(value).ok is ok


def test_question_tolerances(sheet_file):
    sheet = marking.load_sheet(
        sheet_file(
            """
            tolerance: 0.5
            questions:
              - {id: wide, z: {network: neuron.yaml, x: [66, 39, 12], layer: 2}}
              - {id: tight, z: {network: neuron.yaml, x: [66, 39, 12], layer: 2}, tolerance: 0}
              - {id: rel, z: {network: neuron.yaml, x: [66, 39, 12], layer: 2}, rel_tolerance: 0.01}
              - {id: sig, z: {network: neuron.yaml, x: [66, 39, 12], layer: 2}, sigfigs: 2}
              - {id: dec, z: {network: neuron.yaml, x: [66, 39, 12], layer: 2}, decimals: 1}
            """
        )
    )
    wide, tight, rel, sig, dec = sheet.questions
    assert wide.mark(41.9).ok and not wide.mark(42.1).ok
    assert tight.mark(41.5).ok and not tight.mark(41.500001).ok
    # 1 % of 41.5 is 0.415; a question's rel_tolerance replaces the sheet's absolute one
    assert rel.mark(41.9).ok and not rel.mark(41.95).ok
    assert rel.mark(41.95).reason == (
        "expected 41.5, given 41.95: off by 0.45, more than 0.415 (±1 %)"
    )
    # 2 significant figures of 41.5: within half a unit of 42's last digit
    assert sig.mark(41.0).ok and sig.mark(42.0).ok and not sig.mark(42.01).ok
    assert dec.mark(41.55).ok and not dec.mark(41.56).ok


def test_vectors_prediction_and_onehot_answers(sheet_file):
    sheet = marking.load_sheet(sheet_file(EVERY_KIND))
    q = {question.id: question for question in sheet.questions}
    assert q["a"].mark([0.7310586, 0.8807971, 0.9525741]).ok
    assert q["a"].mark("0.7310586, 0.8807971, 0.9525741").ok
    assert q["a"].mark("[0,7311; 0,8808; 0,9526]").ok
    assert q["a"].mark([0.73, 0.88, 0.95]).ok  # each σ(k) rounded where it stops
    wrong = q["a"].mark([0.7310586, 0.8807971, 0.96])
    assert wrong.score == pytest.approx(2 / 3)  # two entries of three: per-entry credit
    assert wrong.reason.startswith("entry 3: expected 0.9525741268, given 0.96")
    assert q["a"].mark([0.73, 0.88]).reason == "3 numbers expected, 2 given: [0.73, 0.88]"
    assert q["c"].mark(4).ok and q["c"].mark("truck").ok and q["c"].mark("4").ok
    assert q["c"].mark("Truck").ok and q["c"].mark("truck (unit 4)").ok
    assert q["c"].mark("unit 4").ok
    assert q["c"].mark("car").reason == "expected unit 4 (truck), given car"
    assert q["c"].mark("car (unit 4)").problem  # a name and a unit that disagree
    assert q["y"].mark([0, 0, 1, 0, 0, 0, 0, 0, 0, 0]).ok
    assert q["y"].mark([0, 0, 1.0, 0, 0, 0, 0, 0, 0, 0]).ok
    assert q["y"].mark("[0 0 1 0 0 0 0 0 0 0]").ok
    assert q["y"].mark([0, 1, 0, 0, 0, 0, 0, 0, 0, 0]).score == 0  # one-hot: all or nothing
    assert q["p"].mark(60).ok and q["p"].mark(60.0).ok and not q["p"].mark(60.5).ok
    assert (q["p"].mark(None).ok, q["p"].mark(None).reason) == (False, "no answer")


def test_check_the_key(run):
    r = run("check", SHEET)
    assert r.code == 0
    assert "9 of 9 answers agree with nncalc" in r.out
    doc = run("check", SHEET, "--json").json()
    assert doc["ok"] is True
    assert [q["id"] for q in doc["questions"]] == [f"q{k}" for k in range(1, 10)]


def test_a_wrong_key_exits_1(run, sheet_file):
    sheet = sheet_file(
        """
        questions:
          - {id: q1, params: {sizes: [3, 5, 10], theta: 2}, answer: 50}
          - {id: q2, onehot: {classes: 3, label: 1}}
        """
    )
    r = run("check", sheet, "--json")
    assert r.code == 1
    q1, q2 = r.json()["questions"]
    assert (q1["ok"], q1["reason"]) == (False, "expected 60, given 50")
    assert "ok" not in q2  # no answer on the sheet: only computed
    assert q2["computed"] == [1, 0, 0]


def test_student_full_marks_and_partial(run):
    r = run("check", SHEET, "--answers", CORRECT)
    assert r.code == 0
    assert "total: 11 of 11 points" in r.out
    doc = run("check", SHEET, "--answers", PARTIAL, "--json").json()
    scores = {q["id"]: (q["score"], q["points"]) for q in doc["questions"]}
    # q1 50 ≠ 60 (2 points lost), q4 0.999 is 1e-3 off, q6 0.47 is 5.4e-4 off (> 0.1 %),
    # q7 car ≠ motorcycle (2 points), q8 e_4 ≠ e_3, q9 missing
    assert scores == {
        "q1": (0, 2),
        "q2": (1, 1),
        "q3": (1, 1),
        "q4": (0, 1),
        "q5": (1, 1),
        "q6": (0, 1),
        "q7": (0, 2),
        "q8": (0, 1),
        "q9": (0, 1),
    }
    assert (doc["score"], doc["max_score"]) == (3, 11)
    reasons = {q["id"]: q["reason"] for q in doc["questions"]}
    assert reasons["q9"] == "no answer"
    assert run("check", SHEET, "--answers", PARTIAL).code == 1


def test_unknown_ids_in_answers_are_reported(run, write):
    answers = write("a.yaml", "q1: 60\nq99: 1\n")
    doc = run("check", SHEET, "--answers", answers, "--json").json()
    assert doc["ignored"] == ["q99"]


def test_gradescope_results(run, tmp_path):
    out = tmp_path / "results.json"
    r = run("check", SHEET, "--answers", PARTIAL, "--gradescope", out)
    assert r.code == 1
    results = json.loads(out.read_text())
    assert results["score"] == 3
    tests = results["tests"]
    assert [t["number"] for t in tests] == [f"q{k}" for k in range(1, 10)]
    assert {"name", "score", "max_score", "output", "visibility"} <= set(tests[0])
    assert (tests[0]["score"], tests[0]["max_score"], tests[0]["output"]) == (0, 2, "✗ not right")
    assert sum(t["max_score"] for t in tests) == 11
    assert {t["visibility"] for t in tests} == {"visible"}
    assert results["stdout_visibility"] == "hidden"  # the table on stdout has the key
    text = out.read_text(encoding="utf-8")
    for key in ("60", "0.4694", "motorcycle", "0.00004"):  # nothing of the key, by default
        assert key not in text
    run("check", SHEET, "--answers", PARTIAL, "--gradescope", out, "--feedback", "key")
    keyed = json.loads(out.read_text(encoding="utf-8"))
    assert keyed["tests"][0]["output"] == "expected 60, given 50"
    assert {t["visibility"] for t in keyed["tests"]} == {"after_due_date"}
    run("check", SHEET, "--answers", PARTIAL, "--gradescope", out, "--feedback", "none")
    hidden = json.loads(out.read_text(encoding="utf-8"))
    assert {t["visibility"] for t in hidden["tests"]} == {"hidden"}
    assert hidden["visibility"] == "hidden" and all(t["output"] == "" for t in hidden["tests"])


def test_gradescope_for_an_unreadable_submission(run, write, tmp_path):
    hostile = write("a.yaml", '!!python/object/apply:os.system ["echo pwned"]\n')
    out = tmp_path / "results.json"
    r = run("check", SHEET, "--answers", hostile, "--gradescope", out)
    assert r.code == 2
    assert "YAML tag 'python/object/apply:os.system' is not allowed" in r.err
    results = json.loads(out.read_text())
    assert results["score"] == 0
    assert "could not be read" in results["output"]


def test_grade_a_class(run, write, tmp_path):
    hostile = write("hostile.yaml", '!!python/object/apply:os.system ["touch pwned"]\n')
    broken = write("broken.yaml", "q1: [\n")
    big = write("big.yaml", "q1: " + "1" * (2 * 1024 * 1024) + "\n")
    listed = write("list.yaml", "- 60\n")
    out = tmp_path / "grades.csv"
    submissions = [CORRECT, PARTIAL, hostile, broken, big, listed, tmp_path / "missing.yaml"]
    r = run("grade", SHEET, *submissions, "--csv", out)
    assert r.code == 0
    assert r.err == (
        f"nncalc: 7 students to {out}: 3 graded, 4 unreadable; 1 flagged, 1 with format problems\n"
    )
    lines = out.read_text().splitlines()
    rows = list(csv.DictReader(lines))
    assert [row["submission"] for row in rows] == [str(s) for s in submissions]
    assert [row["student"] for row in rows[:3]] == ["answers-correct", "answers-partial", "hostile"]
    assert [row["score"] for row in rows] == ["11", "3", "0", "0", "0", "0", "0"]
    assert all(row["max_score"] == "11" for row in rows)
    assert [row["q7"] for row in rows[:2]] == ["2", "0"]
    assert rows[0]["error"] == rows[1]["error"] == ""
    assert "not allowed" in rows[2]["error"]
    # "q1: [" is not YAML, but reads as an answer line: q1's format problem, not a lost file
    assert rows[3]["status"] == "graded" and rows[3]["error"] == ""
    assert rows[3]["warnings"] == "q1: read '[': '[' is never closed; end it with ']'"
    assert "over the limit of 1,048,576" in rows[4]["error"]
    assert "expected a mapping of question ids" in rows[5]["error"]
    assert "no such file" in rows[6]["error"]
    assert [row["status"] for row in rows] == ["graded"] * 2 + ["unreadable"] + ["graded"] + [
        "unreadable"
    ] * 3
    assert not (tmp_path / "pwned").exists()
    assert next(csv.reader(lines)) == [
        "student",
        "name",
        "email",
        "score",
        "max_score",
        *[f"q{k}" for k in range(1, 10)],
        "status",
        "submission",
        "error",
        "warnings",
    ]


def test_grade_to_stdout(run):
    r = run("grade", SHEET, CORRECT)
    assert r.code == 0
    assert r.out.splitlines()[1] == f"answers-correct,,,11,11,2,1,1,1,1,1,2,1,1,graded,{CORRECT},,"
    assert "1 student: 1 graded" in r.err


def test_grade_as_json_and_the_output_options(run, tmp_path):
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "answers.yaml").write_text(PARTIAL.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "bob").mkdir()
    submissions = [folder / "answers.yaml", tmp_path / "bob" / "answers.yaml"]
    r = run("grade", SHEET, *submissions, "--json")
    assert r.code == 0
    doc = r.json()
    assert (doc["sheet"], doc["max_score"]) == ("Week 3 quiz: forward propagation", 11)
    alice, bob = doc["students"]
    assert (alice["student"], alice["score"], alice["error"]) == ("alice", 3, None)
    assert alice["questions"][0]["reason"] == "expected 60, given 50"
    assert (bob["student"], bob["score"], bob["questions"]) == ("bob", 0, [])
    assert bob["error"].endswith("answers.yaml: no such file")
    assert doc["summary"]["graded"] == 1 and doc["summary"]["unreadable"] == 1
    assert "2 students: 1 graded, 1 unreadable" in r.err
    out = tmp_path / "grades.json"
    assert run("grade", SHEET, *submissions, "-o", out).code == 0  # .json: JSON
    assert json.loads(out.read_text(encoding="utf-8")) == doc
    assert run("grade", SHEET, *submissions, "--json", "-o", out).code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == doc
    csvs = [tmp_path / "a.csv", tmp_path / "b.csv"]
    assert run("grade", SHEET, *submissions, "-o", csvs[0]).code == 0
    assert run("grade", SHEET, *submissions, "--csv", csvs[1]).code == 0
    assert csvs[0].read_text(encoding="utf-8") == csvs[1].read_text(encoding="utf-8")
    assert run("grade", SHEET, CORRECT, "--json", "-o", tmp_path / "c.csv").code == 2


def test_check_writes_its_json_with_o(run, tmp_path):
    out = tmp_path / "result.json"
    r = run("check", SHEET, "--answers", PARTIAL, "-o", out)
    assert r.code == 1
    assert "total: 3 of 11 points" in r.out  # the table still shows
    assert json.loads(out.read_text(encoding="utf-8"))["score"] == 3
    assert run("check", SHEET, "-o", out).code == 0
    assert json.loads(out.read_text(encoding="utf-8"))["ok"] is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1]", "expected a mapping with 'questions:', found a list"),
        ("title: x", "'questions' should be a non-empty list of questions"),
        ("questions: [{id: q1}]", "question 'q1' needs exactly one kind, found none"),
        (
            "questions: [{id: q1, z: {network: neuron.yaml, x: [1, 2, 3], layer: 2}, "
            "params: {sizes: [1, 2]}}]",
            "needs exactly one kind, found params and z",
        ),
        ("questions: [{params: {sizes: [1, 2]}}]", "question 1 has no 'id'"),
        ("questions: [{id: q, params: {sizes: [1, 0]}}]", "s_2 = 0 is not a number of units"),
        ("questions: [{id: q, params: {sizes: [1, 2], theta: 2}}]", "'theta' should be a whole"),
        ("questions: [{id: q, z: {network: nope.yaml, x: [1], layer: 2}}]", "no such file"),
        ("questions: [{id: q, z: {network: neuron.yaml, x: [1, 2], layer: 2}}]", "x has 2 numbers"),
        ("questions: [{id: q, z: {network: neuron.yaml, x: [1, 2, 3], layer: 1}}]", "'layer'"),
        ("questions: [{id: q, z: {network: neuron.yaml, x: [1, 2, 3]}}]", "no 'layer' given"),
        ("questions: [{id: q, z: {network: neuron.yaml, x: [1, 2, 3], layr: 2}}]", "'layer'?"),
        ("questions: [{id: q, onehot: {classes: 3, label: 4}}]", "label 4 is out of range"),
        ("questions: [{id: q, onehot: {classes: [a, b], label: c}}]", "unknown class 'c'"),
        (
            "questions: [{id: q, onehot: {classes: 3, label: 1}, point: 2}]",
            "did you mean 'points'?",
        ),
        (
            "questions: [{id: q, onehot: {classes: 3, label: 1}, points: -1}]",
            "'points' is negative",
        ),
        (
            "questions:\n  - {id: q, onehot: {classes: 3, label: 1}}\n"
            "  - {id: q, onehot: {classes: 3, label: 2}}",
            "question id 'q' is used twice",
        ),
        ("tolerance: small\nquestions: [{id: q, onehot: {classes: 3, label: 1}}]", "'small'"),
    ],
)
def test_bad_sheets_exit_2(run, sheet_file, text, message):
    r = run("check", sheet_file(text))
    assert r.code == 2
    assert message in r.err
    assert r.err.startswith("nncalc: error: ")
    assert run("grade", sheet_file(text), CORRECT).code == 2


@pytest.mark.parametrize("column", marking.COLUMNS)
@pytest.mark.parametrize("spelled", [str, str.upper, lambda c: f" {c.title()} "])
def test_a_question_id_that_names_a_grades_column_is_refused(
    run, sheet_file, tmp_path, column, spelled
):
    """An id such as 'score' would repeat a fixed column of the grades CSV (or key.csv's
    'id'), and a spreadsheet or an LMS would read the wrong one: refused at the sheet's line."""
    qid = spelled(column)
    question = "params: {sizes: [1, 2]}"
    text = f"questions:\n  - {{id: q1, {question}}}\n  - {{id: '{qid}', {question}}}\n"
    path = sheet_file(text)
    for args in (("check", path), ("grade", path, CORRECT)):
        r = run(*args)
        assert r.code == 2, r.err
        assert r.err == (
            f"nncalc: error: {path}:3: question id {qid!r} is the name of a column of the "
            f"grades CSV; rename it, e.g. q_{qid.strip()}\n"
        )
    roster = tmp_path / "roster.csv"
    roster.write_text("id\nalice\n", encoding="utf-8")
    variants = sheet_file(
        "variants: {seed: s, random: {x: {vector: {size: 1, integers: [1, 2]}}}}\n" + text
    )
    r = run("variants", variants, "--students", roster, "-o", tmp_path / "out")
    assert r.code == 2 and "is the name of a column of the grades CSV" in r.err
    assert not (tmp_path / "out" / "key.csv").exists()
