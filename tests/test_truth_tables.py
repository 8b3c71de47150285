"""Truth tables: a question's x as a list of examples, answered by a list, one answer per
example (a number each, or a class), marked entry by entry."""

from __future__ import annotations

import csv
import json
import math
import textwrap
from fractions import Fraction

import pytest

from nncalc.grading import handouts, marking, variants
from nncalc.render import handout as render

from conftest import SAMPLES

TABLES = SAMPLES / "grading" / "truth-tables.yaml"
XS = [(0, 0), (0, 1), (1, 0), (1, 1)]


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def xnor(x1: float, x2: float) -> float:
    """The lecture's XNOR network by hand: AND and NOR units, then OR."""
    a1, a2 = sigma(-30 + 20 * x1 + 20 * x2), sigma(10 - 20 * x1 - 20 * x2)
    return sigma(-10 + 20 * a1 + 20 * a2)


def _mark(question: marking.Question, given):
    m = question.mark(given)
    return m.judged.credit, m.reason


@pytest.fixture(scope="module")
def sheet() -> marking.Sheet:
    return marking.load_sheet(TABLES)


def test_each_example_is_computed(run, sheet):
    by_id = {q.id: q for q in sheet.questions}
    assert by_id["xnor"].computed == pytest.approx([xnor(*x) for x in XS], rel=1e-14)
    nor = [sigma(10 - 20 * x1 - 20 * x2) for x1, x2 in XS]
    assert by_id["nor"].computed == pytest.approx(nor, rel=1e-14)
    assert by_id["vehicles"].computed == [1, 2, 3, 4]  # the sample's four vehicles, in order
    assert run("check", TABLES).code == 0  # the key: [1, 0, 0, 1], [0, 0, 0, 1], …


@pytest.mark.parametrize(
    ("given", "credit", "reason"),
    [
        ([1, 0, 0, 1], 1.0, None),
        ("1, 0, 0, 1", 1.0, None),
        ([1, 0, 1, 1], 0.75, "entry 3: "),
        ([0, 1, 1, 0], 0.0, "entry 1: "),
        ([1, 0, 0], 0.0, "4 numbers expected, 3 given"),
    ],
)
def test_a_truth_table_earns_its_points_entry_by_entry(sheet, given, credit, reason):
    got, why = _mark(sheet.questions[0], given)
    assert got == credit
    assert (why is None) if reason is None else reason in why


@pytest.mark.parametrize(
    ("given", "credit", "reason"),
    [
        (["pedestrian", "car", "motorcycle", "truck"], 1.0, None),
        ([1, 2, 3, 4], 1.0, None),
        ("pedestrian, car, motorcycle, truck", 1.0, None),
        ("[1, 2, 3, 4]", 1.0, None),
        (["pedestrian", "car", "car", "truck"], 0.75, "entry 3: expected unit 3 (motorcycle)"),
        (["pedestrian", "car", "truck"], 0.0, "4 classes expected, 3 given"),
    ],
)
def test_a_class_for_each_example(sheet, given, credit, reason):
    got, why = _mark(sheet.questions[3], given)
    assert got == credit
    assert (why is None) if reason is None else reason in why


def test_partial_false_is_all_or_nothing(write):
    text = TABLES.read_text(encoding="utf-8").replace("../", f"{SAMPLES.as_posix()}/")
    text = text.replace("title:", "partial: false\ntitle:")
    key = marking.load_sheet(write("s.yaml", text))
    assert _mark(key.questions[0], [1, 0, 1, 1])[0] == 0.0
    assert _mark(key.questions[3], [1, 2, 2, 4])[0] == 0.0


BAD = """\
questions:
  - {{id: q, {kind}: {{network: {net}, x: {x}{more}}}}}
"""


@pytest.mark.parametrize(
    ("kind", "x", "more", "message"),
    [
        ("activation", "[[0, 0], [1, 1]]", ", layer: 2", "x is a list of examples, so each answer"),
        ("output", "[[0, 0], [1]]", "", "x, example 2 has 1 numbers, expected s_1 = 2"),
        ("prediction", "[[0, 0], [1, x]]", "", "x, example 2, entry 2"),
    ],
)
def test_bad_tables_are_refused_with_their_line(run, write, kind, x, more, message):
    net = (SAMPLES / "logic-xnor.yaml").as_posix()
    sheet = write("s.yaml", BAD.format(kind=kind, net=net, x=x, more=more))
    r = run("check", sheet)
    assert r.code == 2 and ":2:" in r.err and message in r.err, r.err


def test_the_other_kinds_keep_working(run):
    assert run("check", SAMPLES / "grading" / "sheet.yaml").code == 0


def test_handout_template_and_key_of_a_table(run, tmp_path):
    h = handouts.load(TABLES)
    asked = {q.id: q for q in h.questions}
    assert asked["xnor"].x == (("0", "0"), ("0", "1"), ("1", "0"), ("1", "1"))
    assert asked["xnor"].form.startswith("a list of 4 answers, one per x in order")
    assert "each a class name (pedestrian, car, motorcycle, truck)" in asked["vehicles"].form
    assert "each x of" in render.markdown(h)
    roster = tmp_path / "roster.csv"
    roster.write_text("id\nann\n", encoding="utf-8")
    assert run("variants", TABLES, "--students", roster, "-o", tmp_path / "out").code == 0
    key = next(csv.DictReader((tmp_path / "out" / "key.csv").read_text().splitlines()))
    assert json.loads(key["vehicles"]) == ["pedestrian", "car", "motorcycle", "truck"]


VARIANTS = """\
variants:
  seed: tables
  random:
    net: {network: {sizes: [2, 1], integers: [-2, 2]}}
questions:
  - {id: h, output: {network: $net, x: [[0, 0], [0, 1], [1, 0], [1, 1]]}, decimals: 1,
     text: "Each x's output"}
"""


def test_every_example_of_a_variant_table_is_well_posed(write):
    """With Θ drawn from −2 … 2, one of the four examples often has z = 0 exactly (then the
    answer σ(0) = 0.5 is a guess away): such draws are redrawn, example by example."""
    spec = variants.from_yaml(
        marking.load_file(write("v.yaml", textwrap.dedent(VARIANTS))), "v.yaml"
    )
    redrawn = 0
    for n in range(40):
        variant = variants.draw(spec, f"s{n}")
        redrawn += variant.redraws > 0
        ((bias, w1, w2),) = variant.values["net"].exact()[0]
        for x1, x2 in XS:
            assert Fraction(bias + w1 * x1 + w2 * x2) != 0
        h = variants.sheet(spec, variant).questions[0].computed
        assert h == pytest.approx([sigma(bias + w1 * x1 + w2 * x2) for x1, x2 in XS])
    assert redrawn > 0  # the rule was needed
