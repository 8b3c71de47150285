"""Students' answer files as they really arrive: any editor's encoding and line endings,
answers written as lines rather than YAML, ids in another case or spacing, values kept
as the text written (docs/grading.md, "How answers are read")."""

from __future__ import annotations

import codecs
import re

import pytest

from nncalc.errors import NNCalcError
from nncalc.grading import marking, submission

from conftest import SAMPLES

SHEET = SAMPLES / "grading" / "sheet.yaml"
IDS = [f"q{k}" for k in range(1, 10)]
TEXT = "student: 00123\nq1: 60\nq5: [0,7311; 0,8808; 0,9526]\nq7: Motorcycle\n"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b""),
        ("utf-8", codecs.BOM_UTF8),
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-32-be", codecs.BOM_UTF32_BE),
    ],
)
@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_every_editor_s_encoding_and_line_ending_reads_the_same(write, encoding, bom, newline):
    path = write("a.yaml", bom + TEXT.replace("\n", newline).encode(encoding))
    read = submission.read(path, IDS)
    assert read.answers == {"q1": "60", "q5": "[0,7311; 0,8808; 0,9526]", "q7": "Motorcycle"}
    assert read.student == "00123"  # text: not the octal 83
    grade = marking.grade_submission(marking.load_sheet(SHEET), read)
    assert [m.score for m in grade.marks if m.given is not None] == [2, 1, 2]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("q1: 60\n".encode("utf-16-le"), "binary file"),  # UTF-16 without its mark
        (b"q1: caf\xe9\n", "not UTF-8 text (byte 0xe9)"),  # Latin-1
        (codecs.BOM_UTF16_LE + b"q\x00\x00\xd8", "not UTF-16-LE text"),  # a lone surrogate
    ],
)
def test_text_that_is_not_in_a_known_encoding_is_refused(write, data, message):
    with pytest.raises(NNCalcError, match=re.escape(message)):
        submission.read(write("a.yaml", data), IDS)


@pytest.mark.parametrize(
    "text",
    [
        "q1 = 60\nq3 = 41.5\n",
        "q1 60\nq3 41.5\n",
        "q1=60\nq3=41,5\n",
        "# my answers\nQ1 = 60   # forgot nothing\n\nq 3: 41.5\n",
        "q1: 60\nq3 = 41.5\n",  # YAML and a line that is not: read as lines
        "q1 = '60'\nq3 = \"41.5\"\n",
    ],
)
def test_answer_lines_that_are_not_yaml(write, text):
    read = submission.read(write("a.yaml", text), IDS)
    assert set(read.answers) == {"q1", "q3"}
    grade = marking.grade_submission(marking.load_sheet(SHEET), read)
    assert grade.score == 3


@pytest.mark.parametrize("key", ["Q1", "q 1", " q1 ", "Ｑ１", "q\t1"])
def test_question_ids_in_another_case_or_spacing(write, key):
    read = submission.read(write("a.yaml", f"'{key}': 60\n"), IDS)
    assert read.answers == {"q1": "60"} and read.unknown == ()


def test_a_strict_sheet_reads_ids_and_numbers_as_written(write):
    sheet = write(
        "sheet.yaml",
        "strict: true\nquestions:\n  - {id: q1, params: {sizes: [3, 5, 10], theta: 2}}\n"
        "  - {id: q2, onehot: {classes: 3, label: 2}}\n",
    )
    key = marking.load_sheet(sheet)
    lenient = submission.read(write("a.yaml", "Q1: 60\nq2: 0 1 0\n"), key.ids, strict=True)
    assert lenient.answers == {"q2": "0 1 0"} and lenient.unknown == ("Q1",)
    q1, q2 = key.questions
    assert not q2.mark("0 1 0").ok and q2.mark("0 1 0").problem  # not a YAML list
    assert q2.mark(["0", "1", "0"]).ok
    assert q1.mark("60").ok and q1.mark("6e1").ok
    assert q1.mark("60,0").problem and q1.mark("3/4").problem
    with pytest.raises(NNCalcError, match="expected a mapping of question ids"):
        submission.read(write("b.yaml", "q1 = 60\n"), key.ids, strict=True)


def test_repeated_answers_and_unknown_ids(write):
    read = submission.read(write("a.yaml", "q1: 60\nQ1: 50\nq10: 3\nname: Ada\n"), IDS)
    assert read.twice == {"q1": "answered 2 times (lines 1, 2)"}
    assert read.unknown == ("q10", "name")
    mark = marking.grade_submission(marking.load_sheet(SHEET), read).marks[0]
    assert mark.score == 0 and mark.problem == "q1 answered 2 times (lines 1, 2); give one answer"


@pytest.mark.parametrize("student", ["00123", "0x53", "1e3", "S2301001", "yes", "1_000"])
def test_student_ids_are_text(write, student):
    assert submission.read(write("a.yaml", f"student: {student}\n"), IDS).student == student


def test_a_value_that_is_a_mapping_is_a_format_problem(write):
    read = submission.read(write("a.yaml", "q1: {a: 1}\n"), IDS)
    mark = marking.grade_submission(marking.load_sheet(SHEET), read).marks[0]
    assert mark.score == 0 and "a list or mapping" in mark.problem
