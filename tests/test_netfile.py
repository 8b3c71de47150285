"""The network file: every spelling it accepts, and a clear error with a line for the rest."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest

import nncalc
from nncalc.errors import NNCalcError
from nncalc.params import of_network


def load(text: str) -> nncalc.Network:
    return nncalc.loads(textwrap.dedent(text), "net.yaml")


def error(text: str) -> str:
    with pytest.raises(NNCalcError) as info:
        load(text)
    return str(info.value)


def test_theta_and_weights_bias_are_the_same_layer():
    a = load("layers: [{theta: [[0.5, 1, 2], [-0.5, 3, 4]]}]")
    b = load("layers: [{weights: [[1, 2], [3, 4]], bias: [0.5, -0.5]}]")
    assert np.array_equal(a.theta(1), b.theta(1))
    assert np.array_equal(a.layers[0].bias, [0.5, -0.5])
    assert np.array_equal(a.layers[0].weights, [[1, 2], [3, 4]])


def test_a_flat_list_is_one_unit():
    net = load("layers: [{theta: [-0.5, -2, 4, 1.5]}]")
    assert net.sizes == [3, 1]


def test_defaults_and_per_layer_activations():
    net = load(
        """
        activation: tanh
        layers:
          - theta: [[0, 1]]
          - theta: [[0, 1]]
            activation: Logistic
        """
    )
    assert net.activations == ["tanh", "sigmoid"]
    assert load("layers: [{theta: [[0, 1]]}]").activations == ["sigmoid"]


def test_yaml_1_2_floats_are_numbers():
    # PyYAML reads 1e-3 (no dot) as text; nncalc reads it as the number it is.
    net = load("layers: [{theta: [[1e-3, 2E2, -1.5e+1]]}]")
    assert net.theta(1).tolist() == [[0.001, 200.0, -15.0]]


def test_inputs_names_and_scalars():
    net = load(
        """
        layers: [{theta: [[0, 1]]}]
        inputs: [0.5, [1], {name: patient B, x: 2}]
        """
    )
    assert net.inputs.tolist() == [[0.5], [1.0], [2.0]]
    assert net.input_names == (None, None, "patient B")


def test_swiglu_layer_from_both_spellings():
    a = load("layers: [{theta: [[1, 2]], gate: [[3, 4]], beta: 2}]")
    b = load("layers: [{weights: [[2]], bias: [1], gate_weights: [[4]], gate_bias: [3], beta: 2}]")
    for net in (a, b):
        layer = net.layers[0]
        assert layer.activation == "swiglu"
        assert layer.beta == 2
        assert layer.gate.tolist() == [[3.0, 4.0]]
        assert of_network(net).total == 2 + 2 + 1  # theta, gate and the given β
    assert of_network(load("layers: [{theta: [[1, 2]], gate: [[3, 4]]}]")).total == 4
    # x = 1: z = 1 + 2 = 3, u = 3 + 4 = 7, a = z·u·σ(βu) = 3·7/(1 + e^-14)
    assert a(np.array([1.0]))[0, 0] == pytest.approx(21 / (1 + np.exp(-14)), rel=1e-15)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "net.yaml:1: expected a mapping with 'layers:', found a list"),
        ("name: x", "net.yaml:1: no 'layers:' given"),
        ("layers: []", "net.yaml:1: 'layers' should be a non-empty list of layers"),
        (
            "layers: [{theta: [[1, 2]]}]\nlayrs: 1",
            "net.yaml:2: unknown key 'layrs' in the network; did you mean 'layers'?",
        ),
        (
            "layers:\n  - theta: [[1, 2]]\n    activaton: relu",
            "net.yaml:3: unknown key 'activaton' in Θ^(1); did you mean 'activation'?",
        ),
        (
            "layers:\n  - {theta: [[1, 2]], weights: [[2]]}",
            "net.yaml:2: Θ^(1): both 'theta' and 'weights' given",
        ),
        ("layers:\n  - {activation: relu}", "net.yaml:2: Θ^(1): no 'theta' given"),
        ("layers:\n  - {weights: [[2]]}", "net.yaml:2: Θ^(1): 'weights' given without 'bias'"),
        (
            "layers:\n  - theta:\n    - [1, 2, 3]\n    - [1, 2]",
            "net.yaml:4: Θ^(1): theta row 2 has 2 entries, row 1 has 3",
        ),
        (
            "layers:\n  - theta: [[1, abc]]",
            "net.yaml:2:17: Θ^(1): theta row 1, entry 2: 'abc' is not a number",
        ),
        (
            "layers:\n  - theta: [[1, yes]]",
            "Θ^(1): theta row 1, entry 2 is a YAML boolean (true), not a number",
        ),
        (
            "layers:\n  - theta: [[1, .nan]]",
            "Θ^(1): theta row 1, entry 2 is nan; weights and inputs must be finite",
        ),
        ("layers:\n  - theta: [[1, -.inf]]", "entry 2 is -inf"),
        ("layers:\n  - theta: [[1]]", "net.yaml:2: Θ^(1): theta has no weights"),
        (
            "layers:\n  - {weights: [[1, 2]], bias: [1, 2]}",
            "net.yaml:2: Θ^(1): bias has 2 entries, expected 1",
        ),
        (
            "layers:\n  - theta: [[0, 1, 2], [0, 3, 4]]\n  - theta: [[0, 1, 2, 3]]",
            "net.yaml:3: Θ^(2): theta has 4 columns, expected 3 (2 units in layer 2 + 1 bias)",
        ),
        (
            "layers:\n  - {theta: [[0, 1]], gate: [[0, 1], [0, 2]]}",
            "the gate is 2 × 2 but theta is 1 × 2",
        ),
        ("layers:\n  - {theta: [[0, 1]], beta: 2}", "'beta' belongs to a SwiGLU layer"),
        (
            "layers:\n  - {theta: [[0, 1]], activation: 3}",
            "activation of Θ^(1) should be a name, found the number 3",
        ),
        (
            "layers: [{theta: [[0, 1]]}]\nclasses: [a, b]",
            "2 classes named, but the output layer has 1 units",
        ),
        ("layers: [{theta: [[0, 1], [0, 1]]}]\nclasses: [a, a]", "class 'a' is named twice"),
        (
            "layers: [{theta: [[0, 1, 2]]}]\ninputs: [[1, 2, 3]]",
            "example 1 has 3 inputs, expected s_1 = 2",
        ),
        (
            "layers: [{theta: [[0, 1, 2]]}]\ninputs: [1, 2]",
            "expected a list of examples, found one list of numbers",
        ),
        ("layers: [{theta: [[0, 1]]}]\ninputs: [{name: a}]", "example 1 has no 'x:'"),
        (
            "layers: [{theta: [[0, 1]]}]\nlayers: []",
            "net.yaml:2: duplicate key 'layers' (first given on line 1)",
        ),
        (
            "!!python/object/apply:os.system [echo hi]",
            "YAML tag 'python/object/apply:os.system' is not allowed",
        ),
        ("layers: [{theta: [[0, 1]]", "net.yaml:2: invalid YAML: did not find expected ',' or '}'"),
        ("", "file is empty"),
    ],
)
def test_errors(text, message):
    assert message in error(text)


def test_all_problems_of_a_file_at_once():
    text = """
        layers:
          - theta: [[1, x]]
            activation: sigmod
        """
    problems = error(text).splitlines()
    assert len(problems) == 2  # in the order of the file
    assert problems[0].startswith("net.yaml:3:")
    assert "'x' is not a number" in problems[0]
    assert problems[1].startswith("net.yaml:4: unknown activation 'sigmod'")


def test_library_checks_shapes_too():
    with pytest.raises(NNCalcError, match="expected 3"):
        nncalc.Network.from_thetas([[0, 1], [0, 1]], [[0, 1, 2, 3]])
    with pytest.raises(NNCalcError, match="s_1 = 1"):
        nncalc.Network.from_thetas([[0, 1]]).forward([1, 2])


# -- activation parameters ------------------------------------------------------------


def test_activation_parameters_beside_the_activation():
    net = load(
        """
        activation: softplus
        beta: 2
        threshold: 20
        layers:
          - {theta: [[0, 1], [0, -1]], activation: leaky_relu, alpha: 0.2}
          - {theta: [[0, 1, 1]], threshold: 5}
          - {theta: [[0, 1]]}
          - {theta: [[0, 1]], activation: elu}
        """
    )
    assert net.activations == [
        "leaky_relu(alpha=0.2)",
        "softplus(beta=2, threshold=5)",  # the default g, its threshold overridden
        "softplus(beta=2, threshold=20)",
        "elu",  # its own g: the default's parameters do not carry over
    ]
    # by hand: LeakyReLU_0.2(−3) = −0.6
    assert net.forward([-3.0]).a[2][0, 0] == pytest.approx(-0.6, rel=1e-15)


def test_default_parameter_values_are_the_plain_activation():
    net = load("layers: [{theta: [[0, 1]], activation: leaky_relu, alpha: 0.01}]")
    assert net.activations == ["leaky_relu"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "layers:\n  - {theta: [[0, 1]], activation: relu, alpha: 0.2}",
            "net.yaml:2: Θ^(1): relu has no parameter 'alpha' (its parameters: none)",
        ),
        (
            "layers:\n  - theta: [[0, 1]]\n    activation: softplus\n    beta: -2",
            "net.yaml:4: Θ^(1): softplus's beta must be positive, found -2",
        ),
        (
            "layers:\n  - theta: [[0, 1]]\n    activation: leaky_relu\n    alpha: big",
            "net.yaml:4:12: Θ^(1): alpha: 'big' is not a number",
        ),
        (
            "layers:\n  - theta: [[0, 1]]\n    activation: leaky_relu\n    alfa: 2",
            "net.yaml:4: unknown key 'alfa' in Θ^(1); did you mean 'alpha'?",
        ),
        (
            "activation: tanh\nthreshold: 3\nlayers: [{theta: [[0, 1]]}]",
            "net.yaml:2: the network: tanh has no parameter 'threshold'",
        ),
        (
            "layers:\n  - {theta: [[0, 1]], activation: 'leaky_relu(alpha=0.2)'}",
            "write parameters as keys beside it: {activation: leaky_relu, alpha: 0.2}",
        ),
        (
            "layers:\n  - {theta: [[0, 1]], gate: [[0, 1]], alpha: 0.2}",
            "net.yaml:2: Θ^(1): a SwiGLU layer has no 'alpha'",
        ),
    ],
)
def test_bad_activation_parameters(text, message):
    assert message in error(text)


def test_parameters_survive_save_and_load(tmp_path):
    from nncalc.files import netsave

    net = load("layers: [{theta: [[0, 1]], activation: softplus, beta: 0.3, threshold: 1}]")
    netsave.save(net, tmp_path / "n.yaml")
    text = (tmp_path / "n.yaml").read_text()
    assert "activation: softplus\n    beta: 0.3\n    threshold: 1\n" in text
    assert nncalc.load(tmp_path / "n.yaml").activations == net.activations
