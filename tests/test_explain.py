"""`forward --explain` and `collapse`: the lecture's arithmetic, shown and checked."""

from __future__ import annotations

import ast
import math
import operator
import re

import numpy as np
import pytest

from conftest import SAMPLES


def test_the_slides_neuron_explained(run):
    r = run("forward", SAMPLES / "slide-neuron.yaml", "--explain")
    assert r.code == 0
    lines = [line.strip() for line in r.out.splitlines() if line.strip()]
    assert lines[1] == (
        "a_1^(2) = g(Θ_10^(1)·a_0^(1) + Θ_11^(1)·a_1^(1) + Θ_12^(1)·a_2^(1) + Θ_13^(1)·a_3^(1))"
    )
    assert lines[2] == "= σ(−0.5·1 − 2·66 + 4·39 + 1.5·12)"
    # σ(41.5) = 1 − e^−41.5/(1 + e^−41.5) = 1 − 9.5e-19
    assert lines[3] == f"= σ(41.5) = 1 − {math.exp(-41.5):.2g}"


def test_wide_sums_are_elided_with_a_count(run):
    # Θ^(2) of the quiz network reads 5 hidden units + the bias: 6 terms, shown whole;
    # a 20-input layer has 21 terms: 3 first, 2 last, 16 left out
    r = run(
        "forward",
        SAMPLES / "quiz-10-classes.yaml",
        "--explain",
        "--layer",
        "3",
        "--unit",
        "1",
        "-x",
        "1,2,3",
    )
    assert "Θ_1,5^(2)·a_5^(2)" in r.out  # 10 output units: Θ_i,m^(2)
    assert "more terms" not in r.out


def test_elision(run, write):
    theta = [[0.5] + [1.0] * 20]
    net = write("wide.yaml", f"activation: identity\nlayers: [{{theta: {theta}}}]\n")
    r = run("forward", net, "--explain", "-x", ",".join(["1"] * 20))
    assert "… (16 more terms) …" in r.out
    assert "Θ_1,20^(1)·a_20^(1)" in r.out  # not Θ_120^(1)
    assert "= id(20.5) = 20.5" in r.out  # 0.5 + 20·1·1


def test_focus_on_a_layer_and_unit(run):
    r = run(
        "forward",
        SAMPLES / "vehicles.yaml",
        "--explain",
        "--layer",
        "2",
        "--unit",
        "3",
        "-x",
        "1,2,3",
    )
    assert "a_3^(2)" in r.out
    assert "a_1^(2)" not in r.out
    assert "a_1^(3)" not in r.out
    bad = run("forward", SAMPLES / "vehicles.yaml", "--explain", "--layer", "1")
    assert bad.code == 2
    assert "--layer 1 is not a layer with units to explain" in bad.err


def test_swiglu_explained(run):
    r = run(
        "forward", SAMPLES / "swiglu.yaml", "--explain", "--layer", "2", "--unit", "2", "-x", "1,2"
    )
    # z_2 = -0.5 + 2·1 + 0.5·2 = 2.5, u_2 = 1 − 0.5 + 0.5·2 = 1.5
    assert "z_2^(2) = −0.5·1 + 2·1 + 0.5·2 = 2.5" in r.out
    assert "u_2^(2) = 1·1 − 0.5·1 + 0.5·2 = 1.5" in r.out
    assert f"= {2.5 * 1.5 / (1 + math.exp(-1.5)):.6g}" in r.out


def test_collapse_matches_a_hand_product(run, write):
    # x ↦ (1 + 2x, 3 + 4x) ↦ 5 + 6(1 + 2x) + 7(3 + 4x) = 32 + 40x
    net = write(
        "lin.yaml",
        "activation: linear\nlayers:\n  - theta: [[1, 2], [3, 4]]\n  - theta: [[5, 6, 7]]\n",
    )
    r = run("collapse", net, "--json")
    assert r.code == 0
    assert r.json() == {"linear": True, "theta": [[32.0, 40.0]]}
    assert "32" in run("collapse", net).out


@pytest.mark.parametrize(
    ("name", "layer", "g"), [("relu-softmax.yaml", 2, "relu"), ("swiglu.yaml", 2, "swiglu")]
)
def test_collapse_names_the_non_linear_layer(run, name, layer, g):
    r = run("collapse", SAMPLES / name)
    assert r.code == 1
    assert f"layer {layer} applies {g}, which is not linear" in r.out
    assert run("collapse", SAMPLES / name, "--json").json() == {
        "linear": False,
        "layer": layer,
        "activation": g,
    }


PARAMETERS_NET = """\
layers:
  - {theta: [[0, 1], [0, -1]], activation: leaky_relu, alpha: 0.2}
  - {theta: [[0, 1, 1]], activation: softplus, beta: 2, threshold: 20}
  - {theta: [[0, 1], [1, 1]], activation: log_softmax}
"""


def test_parameters_show_wherever_g_does(run, write):
    """JSON, the summary, --explain and LaTeX name g with the parameters that are not
    the defaults; log_softmax, like softmax, takes the whole layer's z."""
    net = write("net.yaml", PARAMETERS_NET)
    r = run("forward", net, "-x", "-3", "--json")
    assert r.json()["network"]["activations"] == [
        "leaky_relu(alpha=0.2)",
        "softplus(beta=2, threshold=20)",
        "log_softmax",
    ]
    explained = run("forward", net, "-x", "-3", "--explain").out
    # by hand: LeakyReLU_0.2(−3) = 0.2·−3 = −0.6
    assert "= LeakyReLU_(α=0.2)(−3) = −0.6" in explained
    assert "softplus_(β=2, t=20)(" in explained
    assert "= LogSoftmax(z^(4))_1 = " in explained
    assert "softplus_(β=2, t=20)" in run("forward", net, "-x", "-3").out
    latex = run("forward", net, "-x", "-3", "--format", "latex").out
    assert r"\operatorname{LeakyReLU}_{\alpha=0.2}" in latex
    assert r"\operatorname{softplus}_{\beta=2, t=20}" in latex


def _arithmetic(text: str) -> float:
    """An --explain sum (−, ·, parentheses) evaluated from its syntax tree: numbers, + − ·
    and unary minus only."""
    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul}

    def value(node: ast.AST) -> float:
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        assert isinstance(node, ast.BinOp), ast.dump(node)
        return ops[type(node.op)](value(node.left), value(node.right))

    return value(ast.parse(text.replace("·", "*").replace("−", "-"), mode="eval").body)


@pytest.mark.parametrize("seed", range(3))
def test_negative_factors_are_in_parentheses_and_the_sums_add_up(run, write, seed):
    """Every product of --explain with a negative factor after the · is parenthesised
    (−0.5·(−1), never −0.5·−1), no two signs meet, and each sum as written adds up to the
    z it shows (to its 6 digits)."""
    rng = np.random.default_rng(seed)
    thetas = [rng.integers(-9, 10, size=(3, 4)) / 4, rng.integers(-9, 10, size=(2, 4)) / 4]
    layers = "".join(f"  - theta: {t.tolist()}\n" for t in thetas)
    net = write("n.yaml", f"activation: tanh\nlayers:\n{layers}")
    x = ",".join(str(v) for v in rng.integers(-5, 6, size=3))
    out = run("forward", net, "-x", x, "--explain").out
    sums = re.findall(r"= tanh\((.*)\)\n\s+= tanh\((\S+)\)", out)
    assert len(sums) == 5
    for expression, z in sums:
        assert "·−" not in expression and not re.search(r"[+−] [+−]", expression)
        assert _arithmetic(expression) == pytest.approx(_arithmetic(z), rel=1e-5, abs=1e-6)
