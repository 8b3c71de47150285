"""Every sample, pinned to values derived by hand or by the independent mpmath reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

import nncalc
from nncalc.params import of_network

from conftest import SAMPLES
from reference import forward as reference_forward
from reference import to_float


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def run(name: str) -> nncalc.Trace:
    net = nncalc.load(SAMPLES / name)
    return net.forward(net.inputs)


def test_slide_neuron():
    trace = run("slide-neuron.yaml")
    assert trace.z[2][0, 0] == 41.5  # -0.5·1 − 2·66 + 4·39 + 1.5·12, exact in binary
    assert trace.a[2][0, 0] == 1.0  # σ(41.5) = 1 − 9.5e-19 rounds to 1 in float64
    gap = nncalc.activations.get("sigmoid").gap(trace.z[2])[0, 0]
    assert gap == pytest.approx(math.exp(-41.5) / (1 + math.exp(-41.5)), rel=1e-15)


def test_lecture_3_3_1():
    trace = run("lecture-3-3-1.yaml")
    assert trace.z[2].tolist() == [[1.0, 2.0, 3.0]]  # Θ^(1)·[1; x] = [1; 2; 3]
    assert trace.a[2][0] == pytest.approx([sigma(1), sigma(2), sigma(3)], rel=1e-15)
    h = sigma(-1 + 0.5 * sigma(1) - 0.5 * sigma(2) + sigma(3))
    assert trace.output[0, 0] == pytest.approx(h, rel=1e-15)


def test_quiz_network_has_60_parameters_in_theta_2():
    net = nncalc.load(SAMPLES / "quiz-10-classes.yaml")
    assert net.sizes == [3, 5, 10]
    assert of_network(net).theta(2).total == 5 * 10 + 10
    assert net.theta(2).shape == (10, 6)


@pytest.mark.parametrize(
    ("name", "truth"),
    [
        ("logic-and.yaml", [0, 0, 0, 1]),
        ("logic-or.yaml", [0, 1, 1, 1]),
        ("logic-xnor.yaml", [1, 0, 0, 1]),
    ],
)
def test_logic_gates(name, truth):
    trace = run(name)
    assert trace.a[1].tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert (trace.output[:, 0] > 0.5).astype(int).tolist() == truth
    assert np.all(np.abs(trace.output[:, 0] - truth) < 1e-4)  # σ(±10) is 4.5e-5 from 0 or 1


def test_and_gate_values():
    h = run("logic-and.yaml").output[:, 0]
    expected = [sigma(-30), sigma(-10), sigma(-10), sigma(10)]
    assert h == pytest.approx(expected, rel=1e-15)


def test_xnor_hidden_layer_is_and_and_nor():
    trace = run("logic-xnor.yaml")
    x1, x2 = trace.a[1][:, 0], trace.a[1][:, 1]
    and_ = [sigma(-30 + 20 * a + 20 * b) for a, b in zip(x1, x2, strict=True)]
    nor = [sigma(10 - 20 * a - 20 * b) for a, b in zip(x1, x2, strict=True)]
    assert trace.a[2][:, 0] == pytest.approx(and_, rel=1e-15)
    assert trace.a[2][:, 1] == pytest.approx(nor, rel=1e-15)


def test_swiglu_by_hand():
    trace = run("swiglu.yaml")
    # x = (1, 2): z = Wx + b, u = Vx + c, a = z·u·σ(u), h = 0.1 + a_1 − a_2 + 0.5·a_3
    z = [0.5 + 1 - 2, -0.5 + 2 + 1, 0 - 1 + 3]
    u = [0 + 1 + 2, 1 - 0.5 + 1, -1 + 0.5 - 4]
    a = [zi * ui * sigma(ui) for zi, ui in zip(z, u, strict=True)]
    assert trace.z[2][0].tolist() == z
    assert trace.gate[2][0].tolist() == u
    assert trace.a[2][0] == pytest.approx(a, rel=1e-15)
    assert trace.output[0, 0] == pytest.approx(0.1 + a[0] - a[1] + 0.5 * a[2], rel=1e-14)


@pytest.mark.parametrize(
    ("name", "predicted"),
    [
        ("vehicles.yaml", ["pedestrian", "car", "motorcycle", "truck"]),
        ("relu-softmax.yaml", ["setosa", "versicolor", "virginica"]),
    ],
)
def test_classifiers_predict_the_named_class(name, predicted):
    net = nncalc.load(SAMPLES / name)
    trace = net.forward(net.inputs)
    assert [net.classes[u - 1] for u in trace.predictions] == predicted


def test_softmax_outputs_are_probabilities():
    out = run("relu-softmax.yaml").output
    assert out.sum(axis=1) == pytest.approx(1.0, abs=1e-15)


def _reference_layers(doc: dict) -> tuple[list, list, list, list, list]:
    """Θ, g, gate, β and g's parameters of each layer, read from the raw YAML with PyYAML
    alone (a list of values, one per unit, as a tuple)."""
    thetas, names, gates, betas, params = [], [], [], [], []
    for layer in doc["layers"]:
        if "theta" in layer:
            theta = layer["theta"]
        else:
            theta = [[b, *w] for b, w in zip(layer["bias"], layer["weights"], strict=True)]
        thetas.append(theta if isinstance(theta[0], list) else [theta])
        names.append(layer.get("activation", doc.get("activation", "sigmoid")))
        gates.append(layer.get("gate"))
        betas.append(layer.get("beta", 1.0))
        given = {k: layer[k] for k in ("alpha", "threshold", "beta") if k in layer}
        params.append({} if "gate" in layer else {k: _value(v) for k, v in given.items()})
    return thetas, names, gates, betas, params


def _value(v):
    return tuple(v) if isinstance(v, list) else v


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_every_sample_agrees_with_the_reference(path):
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    thetas, names, gates, betas, params = _reference_layers(doc)
    trace = run(path.name)
    for k, example in enumerate(doc["inputs"]):
        x = example["x"] if isinstance(example, dict) else example
        layers = reference_forward(thetas, names, x, gates, betas, params)
        for j, (z, a) in enumerate(layers, start=2):
            np.testing.assert_allclose(trace.z[j][k], to_float(z), rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(trace.a[j][k], to_float(a), rtol=1e-13, atol=1e-15)
