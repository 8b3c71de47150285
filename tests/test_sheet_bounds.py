"""A sheet's one-hot questions are bounded the way `nncalc onehot` bounds Y: 8 bytes an
entry, all of a sheet's one-hot answers together, within NNCALC_MAX_BYTES; reports write
a long one-hot vector as e_k, which is as exact and a line long."""

from __future__ import annotations

import pytest

K = 1_000_000


@pytest.fixture
def sheet(write):
    """sheet(*classes): a sheet of one-hot questions of class 3 of each K given."""

    def _sheet(*classes: int):
        questions = "".join(
            f"  - id: q{n}\n    onehot: {{classes: {k}, label: 3}}\n" for n, k in enumerate(classes)
        )
        return write("sheet.yaml", "title: one-hot\nquestions:\n" + questions)

    return _sheet


def test_a_question_of_a_million_classes_is_reported_in_a_line(run, sheet, write, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    path = sheet(K)
    key = run("check", path)
    assert key.code == 0, key.err
    assert "e_3 of length 1,000,000" in key.out
    assert len(key.out) < 2_000  # not a million zeros
    document = run("check", path, "--json").json()
    y = document["questions"][0]["computed"]  # JSON keeps the whole vector
    assert (len(y), y.index(1), sum(y)) == (K, 2, 1)
    answers = write("answers.yaml", "q0: [0, 0, 1]\n")
    marked = run("check", path, "-a", answers)
    assert marked.code == 1
    assert "expected e_3 of length 1,000,000, given [0, 0, 1]" in marked.out
    graded = run("grade", path, answers, "--json")
    assert graded.code == 0, graded.err
    (mark,) = graded.json()["students"][0]["questions"]
    assert mark["reason"] == "expected e_3 of length 1,000,000, given [0, 0, 1]"


@pytest.mark.parametrize(
    ("k", "written"), [(30, "[0, 0, 1" + ", 0" * 27 + "]"), (31, "e_3 of length 31")]
)
def test_short_one_hot_vectors_are_written_out(run, sheet, monkeypatch, k, written):
    monkeypatch.setenv("COLUMNS", "400")
    assert written in run("check", sheet(k)).out


def test_a_sheet_s_one_hot_answers_are_bounded_as_one_y(run, sheet, monkeypatch):
    """2 × 50 entries of 8 bytes are 800 bytes: within a limit of 800, not of 799."""
    monkeypatch.setenv("NNCALC_MAX_BYTES", "800")
    assert run("check", sheet(50, 50)).code == 0
    monkeypatch.setenv("NNCALC_MAX_BYTES", "799")
    r = run("check", sheet(50, 50))
    assert r.code == 2
    assert r.err == (
        f"nncalc: error: {sheet(50, 50)}:6: question 'q1' and the one-hot answers before it, "
        "100 entries, make a Y of 800 bytes, over the limit of 799; fewer labels or classes, "
        "or raise NNCALC_MAX_BYTES\n"
    )
    monkeypatch.delenv("NNCALC_MAX_BYTES")
    r = run("check", sheet(*[K] * 9))  # 72,000,000 bytes, past the default 64 MiB
    assert r.code == 2
    assert ":20: question 'q8' and the one-hot answers before it, 9,000,000 entries" in r.err
