"""Big but valid files stay fast and small; expansions, problems and checks stay bounded."""

from __future__ import annotations

import tracemalloc
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nncalc
from nncalc.errors import NNCalcError
from nncalc.files import bulk, netfile, yamlfile
from nncalc.files.checker import MAX_PROBLEMS
from nncalc.grading import marking, submission

# --- long lists of numbers read in bulk ------------------------------------------------

FAST = st.one_of(
    st.integers(-(10**25), 10**25).filter(lambda n: n != 0).map(str),
    st.just("0"),
    st.just("+0"),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(-1e6, 1e6).map(lambda x: f"{x:+.3e}"),
    st.floats(-1e6, 1e6).map(lambda x: f"{x:.4E}"),
    st.integers(0, 99).map(lambda n: f".{n}"),
    st.integers(-99, 99).map(lambda n: f"{n}."),
    st.integers(-99, 99).map(lambda n: f"{n}e-2"),
)
"""Numbers in the spellings the bulk reader takes."""

ODD = st.sampled_from(
    [
        "012",
        "-0",
        "-00",
        "1e400",
        "1_000",
        ".inf",
        "0x1F",
        "yes",
        "1 2",
        "-",
        "1e",
        "1..2",
        "!!int 3",
    ]
)
"""Tokens only YAML reads right (or that are not numbers), which must leave the bulk path."""


@st.composite
def matrix_files(draw):
    """A network file whose theta is a random matrix of numbers, written every which way."""
    rows, columns = draw(st.integers(1, 5)), draw(st.integers(1, 6))
    plain = draw(st.booleans())
    token = FAST if plain else st.one_of(FAST, ODD)
    matrix = [[draw(token) for _ in range(columns)] for _ in range(rows)]
    if draw(st.booleans()) and rows > 1:  # ragged
        matrix[-1].append(draw(FAST))
    gap = st.sampled_from([",", ", ", " ,", ",\n      ", ",  # note [1, 2]\n   ", " , "])

    def flow(row: list[str]) -> str:
        return "[" + "".join(t + draw(gap) for t in row[:-1]) + row[-1] + "]"

    style = draw(st.sampled_from(["nested", "block", "flat"]))
    if style == "block":
        value = "".join(f"\n      - {flow(row)}" for row in matrix)
    elif style == "flat":
        value = flow(matrix[0])
    else:
        value = "[" + draw(gap).join(flow(row) for row in matrix) + "]"
    if draw(st.booleans()):
        layer = f"  - theta: {value}{draw(st.sampled_from(['', ' ', '  # Θ^(1)']))}\n"
        layer += draw(st.sampled_from(["", "    activation: relu\n", "    activation: [1, 2]\n"]))
    else:  # a flow mapping: more follows the list on its line (rows as "- [...]" cannot)
        layer = f"  - {{theta: {value}, activation: relu}}\n"
        plain = plain and style != "block"
    decoys = ["", 'description: "[1, 2]"\n', "# [1, 2]\n", "classes: [1, 2]\n"]
    inside = ["description: |\n  [1, 2]\n", "description: x\n  [1, 2]\n"]
    decoy = draw(st.sampled_from(decoys + inside))
    return f"name: random\n{decoy}layers:\n{layer}", plain and decoy not in inside


def _outcome(text: str, bulk_keys) -> object:
    try:
        net = netfile.from_yaml(yamlfile.parse(text, "t.yaml", bulk_keys), "t.yaml")
    except NNCalcError as e:
        return str(e)
    return [layer.theta.tobytes() for layer in net.layers]


@settings(max_examples=300, deadline=None)
@given(matrix_files())
def test_bulk_reading_is_the_general_reading(case):
    text, plain = case
    with mock.patch.object(bulk, "BULK_MIN", 0):
        fast = _outcome(text, netfile.BULK)
        if plain:  # the bulk path was taken, not only fallen back from
            theta = yamlfile.parse(text, "t.yaml", netfile.BULK)["layers"][0]["theta"]
            assert isinstance(theta, bulk.Numbers)
    assert fast == _outcome(text, None)


def _digits_file(path, rows: int, columns: int, block: bool) -> None:
    """Rows of single digits: the densest text, so the most floats per byte."""
    digits = np.random.default_rng(0).integers(0, 10, (rows, columns))
    lines = [",".join(map(str, row)) for row in digits]
    if block:
        path.write_text("layers:\n  - theta:\n" + "".join(f"      - [{r}]\n" for r in lines))
    else:
        path.write_text("layers:\n  - theta: [" + ",".join(f"[{r}]" for r in lines) + "]\n")


@pytest.mark.parametrize("block", [False, True], ids=["flow", "block rows"])
def test_a_big_matrix_loads_in_under_ten_times_its_size(tmp_path, block):
    path = tmp_path / "big.yaml"
    _digits_file(path, 300, 1000, block)
    nncalc.load(path)  # imports done before measuring
    tracemalloc.start()
    try:
        net = nncalc.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert net.layers[0].theta.shape == (300, 1000)
    assert peak < 10 * path.stat().st_size


def test_bulk_rows_keep_their_lines_in_errors(tmp_path):
    rows = ["[" + ", ".join(["1"] * 400) + "]"] * 3 + ["[" + ", ".join(["1"] * 399) + "]"]
    path = tmp_path / "ragged.yaml"
    path.write_text("layers:\n  - theta: [\n" + ",\n".join(rows) + "]\n")
    with pytest.raises(NNCalcError) as e:
        nncalc.load(path)
    assert str(e.value) == (
        f"{path}:6: Θ^(1): theta row 4 has 399 entries, row 1 has 400; "
        "every row needs the same number of columns"
    )


# --- expansion counted in characters ---------------------------------------------------


def _string_bomb(levels: int) -> str:
    lines = ["s0: &s0 " + "x" * 1000]
    for k in range(1, levels + 1):
        lines.append(f"s{k}: &s{k} [" + ", ".join([f"*s{k - 1}"] * 100) + "]")
    return "\n".join(lines) + "\n"


def test_a_string_alias_bomb_is_refused_by_its_characters(run, write):
    path = write("bomb.yaml", _string_bomb(3))  # 10^6 strings of 1,000 characters
    r = run("params", path)
    assert r.code == 2
    assert r.err.splitlines() == [
        f"nncalc: error: {path}:1: document expands to more than {yamlfile.max_bytes():,} "
        "characters through its aliases; this looks like an alias bomb; write the values out"
    ]


def test_an_answer_file_expands_to_at_most_its_own_limit(write):
    path = write("answers.yaml", _string_bomb(2))  # 10 MB of text from 6 KB: too much here
    with pytest.raises(NNCalcError, match=f"more than {submission.MAX_ANSWER_BYTES:,} characters"):
        submission.read(path, ["q1"])


# --- problems capped -------------------------------------------------------------------


def test_problems_are_capped_and_the_rest_counted(run, write):
    rows = ["&r [" + ", ".join(["x"] * 3000) + "]"] + ["*r"] * 2999  # 9,000,000 x's
    r = run("forward", write("net.yaml", f"layers: [{{theta: [{', '.join(rows)}]}}]"), "-x", "1")
    lines = r.err.splitlines()
    assert r.code == 2
    assert len(lines) == MAX_PROBLEMS + 1 == 101
    assert lines[0].endswith("Θ^(1): theta row 1, entry 1: 'x' is not a number")
    assert lines[-1].endswith(f"net.yaml: and {9_000_000 - MAX_PROBLEMS:,} more problems")


# --- no quadratic checks ---------------------------------------------------------------


def _classes_file(names: list[str]) -> str:
    theta = "[" + ",".join(["[0,1]"] * len(names)) + "]"
    return f"classes: [{', '.join(names)}]\nlayers:\n  - theta: {theta}\n"


def test_many_classes_are_checked_in_linear_time():
    names = [f"c{k}" for k in range(200_000)]
    assert len(nncalc.loads(_classes_file(names)).classes) == 200_000


def test_a_class_named_twice_is_found():
    with pytest.raises(NNCalcError, match=r"^<string>:1: class 'b' is named twice$"):
        nncalc.loads(_classes_file(["a", "b", "c", "b"]))


def _sheet(ids: list[str]) -> str:
    return "questions:\n" + "".join(f"  - {{id: {q}, params: {{sizes: [2, 1]}}}}\n" for q in ids)


def test_many_questions_are_checked_in_linear_time(monkeypatch):
    doc = yamlfile.parse(_sheet(["q0"]), "sheet.yaml")  # then 100,000 copies, without YAML
    first = doc["questions"][0]
    questions = yamlfile.YList()
    for k in range(100_000):
        q = yamlfile.YDict(first, id=f"q{k}")
        q.pos, q.key_pos, q.value_pos = first.pos, first.key_pos, first.value_pos
        questions.append(q)
    questions.item_pos = [first.pos] * len(questions)
    doc["questions"] = questions
    monkeypatch.setattr(marking, "load_file", lambda path: doc)
    assert len(marking.load_sheet("sheet.yaml").questions) == 100_000


def test_a_question_id_used_twice_is_found(write):
    path = write("sheet.yaml", _sheet(["q1", "q2", "q1"]))
    with pytest.raises(NNCalcError) as e:
        marking.load_sheet(path)
    assert str(e.value).splitlines() == [
        f"{path}:{line}: question id 'q1' is used twice" for line in (2, 4)
    ]


def test_a_document_of_too_many_values_is_refused_before_it_is_built(run, write):
    """Each value read with its position costs ~700 bytes: past MAX_NODES the file is
    refused from the parser's events alone, whatever its values are."""
    values = yamlfile.MAX_NODES + 1
    net = write("net.yaml", "layers: [{theta: [" + ", ".join(["x"] * values) + "]}]\n")
    r = run("forward", net)
    assert r.code == 2
    [line] = r.err.splitlines()
    assert f"more than {yamlfile.MAX_NODES:,} values" in line
    numbers = write("ok.yaml", "layers: [{theta: [[" + ", ".join(["1"] * values) + "]]}]\n")
    assert run("params", numbers, "--json").json()["total"] == values  # plain numbers: bulk
