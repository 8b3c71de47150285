"""Untrusted submissions: regular files only, never opened otherwise, and no report or
message repeats more than an excerpt (errors.EXCERPT characters) of any file's text."""

from __future__ import annotations

import csv
import json
import os
import signal
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nncalc.errors import EXCERPT, cut, excerpt
from nncalc.grading import marking

from conftest import SAMPLES

SHEET = SAMPLES / "grading" / "sheet.yaml"
CORRECT = SAMPLES / "grading" / "answers-correct.yaml"
PARTIAL = SAMPLES / "grading" / "answers-partial.yaml"
SECRET = "instructor-only: q1 is 60"


class Stuck(BaseException):
    """Raised on a hang: a BaseException, so that `grade` cannot catch it as a bug of one row."""


@pytest.fixture
def no_hang():
    """Fail (rather than hang the suite) if the test blocks, on a FIFO say."""

    def _stuck(*_):
        raise Stuck("blocked: something opened what it should not have")

    old = signal.signal(signal.SIGALRM, _stuck)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@pytest.fixture
def hostile(tmp_path):
    """Submissions that are not regular files, beside a sheet holding a secret."""
    sheet = tmp_path / "sheet.yaml"
    sheet.write_text(f"# {SECRET}\n" + SHEET.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "link.yaml").symlink_to(sheet)
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "folder.yaml").mkdir()
    return {  # the FIFO first: were it opened, it would block before /dev/zero fills memory
        tmp_path / "fifo.yaml": "not a regular file (a FIFO)",
        tmp_path / "link.yaml": "a symbolic link",
        tmp_path / "zero.yaml": "a symbolic link",
        tmp_path / "folder.yaml": "not a regular file (a directory)",
        "/dev/null": "not a regular file (a device)",
    }


def test_submissions_must_be_regular_files(run, hostile, no_hang, tmp_path):
    out = tmp_path / "grades.csv"
    submissions = [CORRECT, *hostile, PARTIAL]
    r = run("grade", SHEET, *submissions, "-o", out)
    assert r.code == 0
    rows = list(csv.DictReader(out.read_text(encoding="utf-8").splitlines()))
    assert [row["score"] for row in rows] == ["11", "0", "0", "0", "0", "0", "3"]
    for row, (path, what) in zip(rows[1:], hostile.items(), strict=False):
        assert row["error"] == f"{path}: {what}; submissions must be regular files"
    for path, what in hostile.items():
        results = tmp_path / "results.json"
        r = run("check", SHEET, "--answers", path, "--gradescope", results)
        assert r.code == 2
        assert f"{what}; submissions must be regular files" in r.err
        assert json.loads(results.read_text(encoding="utf-8"))["score"] == 0
        assert SECRET not in results.read_text(encoding="utf-8") + r.err + r.out


def test_a_linked_folder_is_followed_and_a_linked_sheet_is_read(run, tmp_path):
    """Only the submission itself must not be a link: its folders, and the sheet, may be."""
    real = tmp_path / "real"
    real.mkdir()
    (real / "answers.yaml").write_text(CORRECT.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "alice").symlink_to(real)
    (real / "sheet.yaml").write_text("questions: [{id: q1, params: {sizes: [3, 5, 10]}}]\n")
    (tmp_path / "sheet.yaml").symlink_to(real / "sheet.yaml")
    assert run("check", SHEET, "--answers", tmp_path / "alice" / "answers.yaml").code == 0
    assert run("check", tmp_path / "sheet.yaml").code == 0


ALIASES = 'long: &s "{}"\nq1: [{}]\nq4: *s\nq5: *s\nq8: [*s, *s]\n'.format(
    "x" * 90_000, ", ".join(["*s"] * 9_000)
)


def test_aliased_answers_stay_small(run, write, tmp_path):
    """An 800 KB string aliased 9,000 times: each answer is reported as an excerpt."""
    answers = write("answers.yaml", ALIASES)
    results = tmp_path / "results.json"
    r = run("check", SHEET, "--answers", answers, "--json", "--gradescope", results)
    assert r.code in (1, 2)  # marked, or refused by the loader: never gigabytes
    assert len(r.out) + len(r.err) + len(results.read_text(encoding="utf-8")) < 20_000
    r = run("grade", SHEET, answers, answers, "--json")
    assert len(r.out) + len(r.err) < 20_000


def test_answers_that_are_not_finite_are_format_problems(run, write):
    answers = write("answers.yaml", "q1: .nan\nq3: [.inf]\n")
    questions = run("check", SHEET, "--answers", answers, "--json").json()["questions"]
    assert [q["given"] for q in questions[:3]] == [".nan", None, "[.inf]"]  # as written
    assert questions[0]["problem"].startswith("read '.nan': not a number")
    assert questions[2]["score"] == 0 and questions[2]["problem"]


# --- the excerpt rule, as a property over every place a file's text is echoed --------------

NETWORK = "activation: sigmoid\nlayers:\n  - theta: [[-0.5, -2, 4, 1.5]]\n"


def _answers(s):
    """Answer files with s in each place grading repeats an answer file's text."""
    return [
        f"q1: {s}\nq3: {s}\nq7: {s}\nq8: {s}\n",
        f"q5: [{s}, {s}, {s}]\nq8: [{s}]\n",
        f"{s}: 1\nq1: 60\n",
        f"q1: 60\n{s}: 1\n{s}: 2\n",
        f"q1: !{s} 60\n",
        f"{s}\n",
    ]


def _sheets(s):
    """Sheets (beside net.yaml) with s in each place a sheet's problems quote it."""
    question = "{{id: q, {}}}"
    return [
        "questions: [{id: " + s + "}]",
        "questions: [" + question.format(f"onehot: {{classes: 3, label: 1}}, {s}: 1") + "]",
        "tolerance: " + s + "\nquestions: [{id: q, onehot: {classes: 3, label: 1}}]",
        "questions: [" + question.format(f"onehot: {{classes: 3, label: {s}}}") + "]",
        "questions: [" + question.format(f"onehot: {{classes: [{s}, b{s}], label: c}}") + "]",
        "questions: ["
        + question.format(f"z: {{network: net.yaml, x: [{s}, 1, 2], layer: 2}}")
        + "]",
    ]


def _networks(s):
    """Network files with s in each place a network's problems quote it."""
    return [
        NETWORK.replace("sigmoid", s),
        NETWORK.replace("-0.5", s),
        NETWORK + f"{s}: 1\n",
        NETWORK.replace("layers:\n  - theta: [[-0.5, -2, 4, 1.5]]", f"layers: [{s}]"),
        NETWORK.replace("1.5]]", "1.5], [1, 2, 3, 4]]") + f"classes: [{s}, {s}]\n",
    ]


OUTPUTS = ("check.json", "gs.json", "grades.csv")
"""The files the commands below write."""


def _runs(s):
    """(files to write, command) for every place a file's text may be echoed."""
    for text in _answers(s):
        check = ["check", SHEET, "-a", "a.yaml", "-o", "check.json", "--gradescope", "gs.json"]
        yield {"a.yaml": text}, check  # the table, the JSON and Gradescope's
        yield {"a.yaml": text}, ["grade", SHEET, "a.yaml", "-o", "grades.csv"]
        yield {"a.yaml": text}, ["grade", SHEET, "a.yaml", "--json"]
    for text in _sheets(s):
        yield {"net.yaml": NETWORK, "sheet.yaml": text}, ["check", "sheet.yaml"]
    for text in _networks(s):
        yield {"net.yaml": text}, ["forward", "net.yaml", "-x", "1,2,3"]
    for classes in ("3", "a,b,c"):
        yield {"labels.txt": f"1\n{s}\n"}, ["onehot", "-k", classes, "--labels", "labels.txt"]


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(s=st.text(string.ascii_letters, min_size=EXCERPT + 1, max_size=5_000))
def test_no_output_repeats_more_than_an_excerpt(run, tmp_path, monkeypatch, s):
    monkeypatch.chdir(tmp_path)
    windows = {s[i : i + EXCERPT + 1] for i in range(len(s) - EXCERPT)}  # runs too long
    for files, args in _runs(s):
        for name in OUTPUTS:
            (tmp_path / name).unlink(missing_ok=True)
        for name, text in files.items():
            (tmp_path / name).write_text(text, encoding="utf-8")
        r = run(*args)
        assert r.code in (0, 1, 2), (args, r.err)
        files_out = [tmp_path / name for name in OUTPUTS]
        written = [p.read_text(encoding="utf-8") for p in files_out if p.exists()]
        shown = "\n".join([r.out, r.err, *written])
        leaked = [w for w in windows if w in shown]
        assert not leaked, (files, args, shown[:2000])


def test_excerpt_cuts_and_quotes():
    assert excerpt("q1") == "'q1'"
    assert excerpt("x" * 61) == "'" + "x" * 59 + "…'"
    assert cut("x" * 60) == "x" * 60
    assert len(excerpt("it's " * 100)) == EXCERPT + 2


# --- reports that stay readable -------------------------------------------------------


def test_show_is_bounded_without_expanding():
    huge = ["y" * 10**6] * 10**4  # 10 GB if joined
    assert marking.show(huge) == cut("[" + "y" * EXCERPT)
    assert marking.show([0.1 + 0.2, None, {"a": 1}], None) == "[0.3, —, {a: 1}]"
    assert marking.bounded([1, 2.5]) == [1, 2.5]
    assert marking.bounded(huge) == marking.show(huge)
    assert marking.bounded([float("nan")]) == "[nan]"  # JSON has no NaN


@pytest.mark.parametrize(
    ("paths", "names"),
    [
        (["alice/answers.yaml", "bob/answers.yaml", "carol.yaml"], ["alice", "bob", "carol"]),
        (["subs/alice.yaml", "subs/bob.yml"], ["alice", "bob"]),
        (["alice/answers.yaml"], ["answers"]),
        (["alice/answers.yaml", "alice/answers-1.yaml", "bob/answers.yaml"], ["alice", "bob"]),
        (["subs/alice.yaml", "subs/alice (1).yaml"], ["alice"]),
    ],
)
def test_students_are_named_by_folder_or_file(run, tmp_path, monkeypatch, paths, names):
    monkeypatch.chdir(tmp_path)
    for path in paths:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("q1: 60\n", encoding="utf-8")
    doc = run("grade", SHEET, *paths, "--json").json()
    assert [s["student"] for s in doc["students"]] == names
