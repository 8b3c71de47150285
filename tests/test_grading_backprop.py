"""Sheets that ask for J(Θ), a δ or a D entry: checked, marked, and drawn per student."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncalc.grading import marking, variants

from conftest import SAMPLES, tex

NET = SAMPLES / "lecture-3-3-1.yaml"
BACKPROP_SHEET = SAMPLES / "grading" / "backprop-sheet.yaml"


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def by_hand() -> dict[str, float]:
    """The lecture's 3-3-1 network at x = (1, 2, 3), y = 1: z^(2) = (1, 2, 3), so
    h = σ(−1 + σ(1)/2 − σ(2)/2 + σ(3)), δ^(3) = h − 1, δ_1^(2) = ½·δ^(3)·σ′(1), and
    D_13^(1) = δ_1^(2)·x_3; with λ = 2, D_13^(1) + 2·Θ_13^(1) = D_13^(1) − 2."""
    h = sigma(-1 + 0.5 * sigma(1) - 0.5 * sigma(2) + sigma(3))
    d3 = h - 1
    d21 = 0.5 * d3 * sigma(1) * (1 - sigma(1))
    return {"J": -math.log(h), "d3": d3, "d21": d21, "D": 3 * d21, "Dreg": 3 * d21 - 2}


def sheet(write, answers: dict[str, float]) -> str:
    write("net.yaml", NET.read_text())
    spec = "network: net.yaml, x: [1, 2, 3], y: 1"
    questions = {
        "J": f"cost: {{{spec}}}",
        "d3": f"delta: {{{spec}, layer: 3}}",
        "d21": f"delta: {{{spec}, layer: 2, unit: 1}}",
        "D": f"gradient: {{{spec}, theta: 1, i: 1, m: 3}}",
        "Dreg": f"gradient: {{{spec}, lambda: 2, theta: 1, i: 1, m: 3}}",
    }
    lines = ["title: backprop", "tolerance: 1.0e-9", "questions:"]
    for qid, ask in questions.items():
        lines += [f"  - id: {qid}", f"    {ask}", f"    answer: {answers[qid]!r}"]
    return str(write("sheet.yaml", "\n".join(lines) + "\n"))


def test_a_sheets_key_agrees_with_the_hand_derivation(run, write):
    r = run("check", sheet(write, by_hand()), "--json")
    assert r.code == 0, r.out + r.err
    assert all(q["ok"] for q in r.json()["questions"])


def test_a_wrong_key_is_found(run, write):
    wrong = by_hand() | {"d21": by_hand()["d21"] * 1.01}
    r = run("check", sheet(write, wrong), "--json")
    assert r.code == 1
    assert [q["id"] for q in r.json()["questions"] if not q["ok"]] == ["d21"]


def test_a_student_is_marked(run, write):
    path = sheet(write, by_hand())
    answers = write("answers.yaml", f"J: {by_hand()['J']!r}\nd3: -0.5\nD: {by_hand()['D']!r}\n")
    doc = run("check", path, "--answers", answers, "--json").json()
    scores = {q["id"]: q["score"] for q in doc["questions"]}
    assert scores == {"J": 1, "d3": 0, "d21": 0, "D": 1, "Dreg": 0}


@pytest.mark.parametrize(
    ("ask", "message"),
    [
        ("cost: {network: net.yaml, x: [1, 2, 3]}", "no 'y' given"),
        ("delta: {network: net.yaml, x: [1, 2, 3], y: 1}", "no 'layer' given"),
        ("delta: {network: net.yaml, x: [1, 2, 3], y: 1, layer: 1}", "'layer' should be"),
        ("gradient: {network: net.yaml, x: [1, 2, 3], y: 1, theta: 1}", "no 'i' given"),
        ("cost: {network: net.yaml, x: [1, 2, 3], y: 2}", "cross-entropy takes targets y in"),
        ("cost: {network: net.yaml, x: [1, 2, 3], y: 1, lambda: -1}", "λ must be a finite"),
        ("cost: {network: tanh.yaml, x: [1], y: 1}", "which has no matching loss"),
    ],
)
def test_a_question_that_cannot_be_computed_is_refused_with_its_line(run, write, ask, message):
    write("net.yaml", NET.read_text())
    write("tanh.yaml", "layers: [{theta: [[0, 1]], activation: tanh}]\n")
    path = write("sheet.yaml", f"questions:\n  - id: q1\n    {ask}\n    answer: 1\n")
    r = run("check", path)
    assert r.code == 2
    assert "sheet.yaml:" in r.err and message in r.err


def test_each_students_key_is_their_own_networks_backprop():
    spec = variants.load(BACKPROP_SHEET)
    for student in ("alice", "bob", "carol"):
        variant = variants.draw(spec, student)
        key = {q.id: q.computed for q in variants.sheet(spec, variant).questions}
        net, x = variant.values["net"].network, variant.values["x"].vector()
        grads = net.backward(x, [1])
        assert key["J"] == grads.cost.J
        assert key["delta3"] == grads.delta[3][0, 0]
        assert key["delta2"] == grads.delta[2][0, 0]
        assert key["D"] == grads.D[1][0, 2]
        assert key["Dreg"] == net.backward(x, [1], 1.0).D[1][0, 2]
        np.testing.assert_allclose(key["Dreg"] - key["D"], net.theta(1)[0, 2], rtol=1e-12)


def test_the_sample_sheets_key_holds(run):
    r = run("check", BACKPROP_SHEET, "--student", "alice")
    assert r.code in (0, 1), r.err  # no keys given: nncalc's own answers, all computed
    assert "J" in r.out and "Dreg" in r.out


def test_handouts_ask_in_the_lectures_symbols(run, tmp_path):
    md = run("variants", BACKPROP_SHEET, "--student", "alice").out
    assert "Give the cost $J(\\Theta)$" in md
    assert "$\\delta^{(2)}_{1}$" in md and "$D^{(1)}_{12}$" in md and "$\\lambda = 1$" in md
    assert md.count("labelled y = 1, ") == 5  # every question says its label y
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\nalice,Alice\n")
    out = tmp_path / "out"
    assert run("variants", BACKPROP_SHEET, "--students", roster, "-o", out).code == 0
    tex(out / "alice", "questions.tex", "lualatex")  # hand-outs are LuaLaTeX documents


def test_every_kind_is_documented():
    text = (SAMPLES.parent / "docs" / "grading.md").read_text()
    for kind in ("cost", "delta", "gradient"):
        assert f"| `{kind}` |" in text
    assert {"cost", "delta", "gradient"} <= set(marking.KINDS)
