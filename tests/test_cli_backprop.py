"""`nncalc cost`, `backward`, `gradcheck` and `step`: labels in every form, tables, JSON,
--explain, --expect, worked solutions, exit codes and refusals."""

from __future__ import annotations

import math
import shutil
from fractions import Fraction

import numpy as np
import pytest

import nncalc

from conftest import SAMPLES, amsmath_document, tex

LECTURE = SAMPLES / "lecture-3-3-1.yaml"
VEHICLES = SAMPLES / "vehicles.yaml"
LABELS = SAMPLES / "vehicles-labels.txt"
NAMES = ["pedestrian", "car", "motorcycle", "truck"]


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def lecture_h() -> float:
    """h_Θ(x) of the lecture's 3-3-1 network at x = (1, 2, 3), by hand (z^(2) = 1, 2, 3)."""
    return sigma(-1 + 0.5 * sigma(1) - 0.5 * sigma(2) + sigma(3))


# -- cost -----------------------------------------------------------------------------


def test_cost_of_the_lectures_network_by_hand(run):
    r = run("cost", LECTURE, "-x", "1,2,3", "--y", "1", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["J"] == pytest.approx(-math.log(lecture_h()), rel=1e-15)
    assert doc["loss"] == "cross_entropy" and doc["m"] == 1 and doc["lambda"] == 0
    assert doc["confusion"] == [[0, 0], [1, 0]]  # one sigmoid unit: classes 0 and 1
    table = run("cost", LECTURE, "-x", "1,2,3", "--y", "1").out
    assert f"= {-math.log(lecture_h()):.6g}" in table
    assert "accuracy: 0 of 1 = 0" in table  # h = 0.469 < 0.5: predicted 0


def test_cost_names_the_classes_and_matches_sklearn(run, write):
    """One walker labelled a car: the confusion matrix, precision and recall by name."""
    sk = pytest.importorskip("sklearn.metrics")
    labels = write("y.txt", "car\ncar\nmotorcycle\ntruck\n")
    doc = run("cost", VEHICLES, "--labels", labels, "--json").json()
    true, predicted = [1, 1, 2, 3], [0, 1, 2, 3]
    assert doc["classes"] == NAMES
    assert doc["confusion"] == sk.confusion_matrix(true, predicted, labels=range(4)).tolist()
    assert doc["accuracy"] == {"correct": 3, "m": 4}
    precision = sk.precision_score(true, predicted, average=None, labels=range(4), zero_division=0)
    assert doc["precision"][1:] == pytest.approx(precision[1:].tolist())
    assert doc["precision"][0] == 0.0  # pedestrian: predicted once, wrongly
    assert doc["recall"][0] is None  # no pedestrian among the labels
    text = run("cost", VEHICLES, "--labels", labels).out
    assert "accuracy: 3 of 4 = 0.75" in text
    assert "— (no example)" in text and "1 of 2 = 0.5" in text


def expected_Y() -> list[list[float]]:
    return np.eye(4).tolist()


@pytest.mark.parametrize(
    ("name", "content", "extra"),
    [
        ("y.txt", "pedestrian\ncar\nmotorcycle\ntruck\n", []),
        ("y.txt", "# numbers, from 1\n1\n2\n\n3\n4\n", []),
        ("y.txt", "0\n1\n2\n3\n", ["--zero-based"]),
        ("y.csv", "label\npedestrian\n2\nmotorcycle\n4\n", []),
        ("y.csv", "p,c,m,t\n1,0,0,0\n0,1,0,0\n0,0,1,0\n0,0,0,1\n", []),
        ("y.txt", "1 0 0 0\n0 1 0 0\n0 0 1 0\n0 0 0 1\n", []),
        ("y.yaml", "- pedestrian\n- 2\n- [0, 0, 1, 0]\n- truck\n", []),
    ],
)
def test_labels_in_every_form(run, write, name, content, extra):
    path = write(name, content)
    doc = run("backward", VEHICLES, "--labels", path, *extra, "--json")
    assert doc.code == 0, doc.err
    assert [e["y"] for e in doc.json()["examples"]] == expected_Y()


@pytest.mark.parametrize(
    ("array", "extra"),
    [(np.array([1, 2, 3, 4]), []), (np.array([0, 1, 2, 3]), ["--zero-based"]), (np.eye(4), [])],
)
def test_labels_from_npy(run, tmp_path, array, extra):
    path = tmp_path / "y.npy"
    np.save(path, array)
    doc = run("backward", VEHICLES, "--labels", path, *extra, "--json").json()
    assert [e["y"] for e in doc["examples"]] == expected_Y()


def test_labels_from_stdin(run, monkeypatch):
    import io

    from nncalc.files import reader

    monkeypatch.setattr(reader, "read_stdin", lambda: b"truck\ncar\nmotorcycle\npedestrian\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    doc = run("cost", VEHICLES, "--labels", "-", "--json").json()
    assert doc["accuracy"]["correct"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "no labels y; give --labels FILE, or --y with each -x"),
        (["--y", "car"], "1 label for 4 examples"),
        (["-x", "1,2,3", "--y", "bus"], "--y 'bus': unknown class 'bus'; classes: pedestrian"),
        (["-x", "1,2,3", "--y", "0,1"], "a label has 2 numbers; give a class or a row of K = 4"),
        (
            ["-x", "1,2,3", "--y", "0"],
            "label 0 is out of range: classes are 1 … 4 (or --zero-based",
        ),
        (["-x", "1,2,3", "--y", "2", "--lambda", "-1"], "λ must be a finite number ≥ 0, found -1"),
        (["-x", "1,2,3", "--y", "2", "--loss", "nll"], "the nll loss does not match the output"),
        (["-x", "1,2,3", "--y", "2,0,0,0"], r"cross-entropy takes targets y in [0, 1]; found 2"),
    ],
)
def test_bad_labels_are_one_line_and_exit_2(run, args, message):
    r = run("cost", VEHICLES, *args)
    assert r.code == 2
    assert r.err.count("\n") == 1 and message in r.err
    assert "Traceback" not in r.err


def test_a_bad_label_line_is_named(run, write):
    path = write("y.txt", "car\ncar\nbus\ntruck\n")
    r = run("cost", VEHICLES, "--labels", path)
    assert r.code == 2
    assert f"{path}:3: unknown class 'bus'" in r.err


def test_an_output_without_a_matching_loss_is_refused(run, write):
    net = write("tanh.yaml", "layers:\n  - theta: [[0, 1]]\n    activation: tanh\n")
    r = run("backward", net, "-x", "1", "--y", "0.5")
    assert r.code == 2
    assert "the output layer's g is tanh, which has no matching loss" in r.err


# -- backward -------------------------------------------------------------------------


def test_backward_json_is_the_librarys(run):
    doc = run("backward", VEHICLES, "--labels", LABELS, "--lambda", "0.5", "--json").json()
    net = nncalc.load(VEHICLES)
    grads = net.backward(net.inputs, np.eye(4), 0.5)
    assert doc["J"] == grads.cost.J
    for k, example in enumerate(doc["examples"]):
        for layer in example["layers"]:
            assert layer["delta"] == grads.delta[layer["layer"]][k].tolist()
    for theta in doc["thetas"]:
        assert theta["D"] == grads.D[theta["theta"]].tolist()
        assert theta["Delta"] == grads.Delta[theta["theta"]].tolist()


def test_backward_tables_show_the_hand_derivation(run):
    """δ^(3) = h − 1 and δ_1^(2) = Θ_11^(2)·δ^(3)·σ′(1), by hand."""
    out = run("backward", LECTURE, "-x", "1,2,3", "--y", "1").out
    d3 = lecture_h() - 1
    d21 = 0.5 * d3 * sigma(1) * (1 - sigma(1))
    for value in (d3, d21, d21 * 3):  # δ^(3), δ_1^(2), D_13^(1) = δ_1^(2)·x_3
        assert f"{value:.6g}".replace("-", "−") in out
    assert "D^(1) = ∂J/∂Θ^(1)" in out and "σ′(z_i^(2))" in out


def test_backward_explain_shows_the_arithmetic(run):
    out = run("backward", LECTURE, "-x", "1,2,3", "--y", "1", "--explain").out
    d3 = f"{lecture_h() - 1:.6g}".replace("-", "−")
    assert f"δ_1^(3) = a_1^(3) − y_1 = {lecture_h():.6g} − 1 = {d3}" in out
    assert "δ_2^(2) = (Θ_12^(2)·δ_1^(3))·g′(z_2^(2))" in out
    assert f"= (−0.5·({d3}))·σ′(2)" in out
    focus = run("backward", LECTURE, "-x", "1,2,3", "--y", "1", "--explain", "--layer", "2")
    assert "δ_1^(3) = a_1^(3)" not in focus.out and "δ_3^(2) = " in focus.out
    row = run(
        "backward", LECTURE, "-x", "1,2,3", "--y", "1", "--explain", "--layer", "2", "--unit", "3"
    ).out
    assert "D_33^(1) = (1/1)·(" in row


@pytest.mark.parametrize(
    ("expect", "code", "mark"),
    [
        ("δ_1^(3)=-0.53", 0, "✓ δ_1^(3)"),
        ("delta_1^(3) = -0.52", 1, "✗ δ_1^(3)"),
        ("D_13^(1)=-0.156", 0, "✓ D_13^(1)"),
        ("D_1,3^(1)=-0.157", 1, "✗ D_13^(1)"),
        ("Θ_11^(2)=0.5", 0, "✓ Θ_11^(2)"),
    ],
)
def test_backward_expect(run, expect, code, mark):
    r = run("backward", LECTURE, "-x", "1,2,3", "--y", "1", "--expect", expect)
    assert r.code == code, r.err
    assert r.out.startswith(mark)


def test_backward_expect_one_value_per_example(run):
    r = run(
        "backward", VEHICLES, "--labels", LABELS, "--expect", "δ_1^(3)=0;0;0;0",
        "--tolerance", "1e-9", "--json",
    )  # fmt: skip
    assert r.code == 1
    checked = r.json()["expect"]
    assert checked["symbol"] == "δ_1^(3)" and len(checked["examples"]) == 4


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ("D_1^(1)=3", "has one index; D has two, row i and column m"),
        ("δ_9^(2)=3", "δ_9^(2) does not exist; layer 2 has units 1 … 3"),
        ("D_123^(1)=1", "two indices run together"),
        ("x=1", "is not a symbol of backpropagation"),
        ("δ_1^(2)", "has no ="),
    ],
)
def test_backward_bad_expect(run, expect, message):
    r = run("backward", LECTURE, "-x", "1,2,3", "--y", "1", "--expect", expect)
    assert r.code == 2
    assert message in r.err


def test_backward_markdown_solution(run):
    md = run("backward", LECTURE, "-x", "1,2,3", "--y", "1", "--format", "markdown").out
    assert md.count("$$") == 4
    assert "\\delta^{(3)} &= a^{(3)} - y" in md
    assert "D^{(2)} &= \\tfrac{1}{1}\\Delta^{(2)}" in md


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX engine installed")
@pytest.mark.parametrize(
    "args",
    [
        [LECTURE, "-x", "1,2,3", "--y", "1", "--lambda", "1"],
        [SAMPLES / "swiglu.yaml", "--y", "0.5", "--y", "1"],
        [SAMPLES / "relu-softmax.yaml", "--y", "1", "--y", "2", "--y", "3"],
    ],
)
def test_backward_latex_compiles(run, tmp_path, args):
    body = run("backward", *args, "--format", "latex").out
    (tmp_path / "s.tex").write_text(amsmath_document(body), encoding="utf-8")
    tex(tmp_path, "s.tex")


# -- gradcheck ------------------------------------------------------------------------


def test_gradcheck_passes_and_reports(run):
    r = run("gradcheck", VEHICLES, "--labels", LABELS, "--lambda", "0.3")
    assert r.code == 0, r.err
    assert "28 parameters, every one checked, ε = 0.0001" in r.out
    assert "✓ largest relative difference" in r.out
    assert "Switch the check off when training" in r.out and "On ε:" in r.out
    doc = run("gradcheck", VEHICLES, "--labels", LABELS, "--json").json()
    assert doc["ok"] and doc["checked"] == doc["parameters"] == 28
    assert len(doc["scan"]) == 4 and doc["largest"] < 1e-5


def test_gradcheck_fails_past_its_tolerance_and_samples(run):
    r = run("gradcheck", VEHICLES, "--labels", LABELS, "--tolerance", "1e-12", "--sample", "5")
    assert r.code == 1
    assert "28 parameters, a random 5 checked" in r.out
    assert "✗ largest relative difference" in r.out


# -- step -----------------------------------------------------------------------------


def test_step_writes_theta_minus_alpha_d(run, tmp_path):
    out = tmp_path / "trained.yaml"
    r = run("step", VEHICLES, "--labels", LABELS, "--alpha", "0.5", "-o", out, "--json")
    assert r.code == 0, r.err
    net = nncalc.load(VEHICLES)
    grads = net.backward(net.inputs, np.eye(4))
    trained = nncalc.load(out)
    for j in (1, 2):
        np.testing.assert_array_equal(trained.theta(j), net.theta(j) - 0.5 * grads.D[j])
    assert r.json()["J"] == [grads.cost.J, trained.cost(net.inputs, np.eye(4))]
    assert trained.classes == net.classes


def test_step_many_draws_the_learning_curve(run, tmp_path):
    out, curve = tmp_path / "trained.yaml", tmp_path / "curve.svg"
    r = run(
        "step", VEHICLES, "--labels", LABELS, "-a", "1", "--steps", "30", "-o", out,
        "--curve", curve,
    )  # fmt: skip
    assert r.code == 0, r.err
    assert "J(Θ) after 30 steps" in r.out and "└" in r.out
    svg = curve.read_text()
    assert svg.startswith("<svg") and "<polyline" in svg
    points = svg.split('points="')[1].split('"')[0].split()
    assert len(points) == 31  # a point per J, steps 0 … 30


def test_step_never_overwrites_an_input_nor_leaves_a_partial_file(run, tmp_path):
    copy = tmp_path / "net.yaml"
    copy.write_text(VEHICLES.read_text())
    r = run("step", copy, "--labels", LABELS, "--alpha", "1", "-o", copy)
    assert r.code == 2 and "is also an input" in r.err
    assert copy.read_text() == VEHICLES.read_text()
    out = tmp_path / "out.yaml"
    huge = run("step", VEHICLES, "--labels", LABELS, "-a", "1e308", "-n", "3", "-o", out)
    assert huge.code == 2 and "overflows float64" in huge.err
    assert not out.exists()


def test_a_delta_that_is_0_to_rounding_shows_0(run, write):
    """δ^(3) = (1, 1, 1) exactly; (Θ^(2))ᵀδ^(3) = 0.1 + 0.5 − 0.6, which is 0 in decimals
    and 2.8e-17 as the exact sum of the doubles (nncalc sums small work exactly), below
    the bound γ_3·(0.1 + 0.5 + 0.6) = 4e-16 of a float64 sum of three terms."""
    net = write(
        "zero.yaml",
        "layers:\n  - {theta: [[0, 1]], activation: identity}\n"
        "  - {theta: [[0, 0.1], [0, 0.5], [0, -0.6]], activation: identity}\n",
    )
    args = [net, "-x", "1", "--y", "-0.9,-0.5,-1.6"]
    assert 0.1 - (-0.9) == 0.5 - (-0.5) == -0.6 - (-1.6) == 1.0
    raw = run("backward", *args, "--json").json()["examples"][0]["layers"][1]["delta"][0]
    exact = float(Fraction(0.1) + Fraction(0.5) - Fraction(0.6))
    assert raw == exact != 0  # JSON keeps what was computed
    table = run("backward", *args).out
    assert "0 *" in table and "δ_1^(2) = 2.8e-17 is 0 to rounding" in table
    assert "2.77556e-17" not in table
    explain = run("backward", *args, "--explain").out
    assert "= 0·1 = 0" in explain
    latex = run("backward", *args, "--format", "latex").out
    assert "e-17" not in latex and "10^{-17}" not in latex


def test_step_progress_bar_on_request(run, tmp_path):
    r = run(
        "step",
        VEHICLES,
        "--labels",
        LABELS,
        "-a",
        "1",
        "-n",
        "3",
        "--progress",
        "-o",
        tmp_path / "t.yaml",
    )
    assert r.code == 0 and "descent" in r.err and "100%" in r.err
    quiet = run(
        "step", VEHICLES, "--labels", LABELS, "-a", "1", "-n", "3", "-o", tmp_path / "t.yaml"
    )
    assert "descent" not in quiet.err  # off a terminal, no bar unless asked
