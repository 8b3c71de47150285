"""The lecture's worked answers, recomputed by nncalc and checked against what the slides say."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nncalc import onehot, params
from nncalc.collapse import collapse
from nncalc.network import Network
from nncalc.render import digits

VEHICLES = ("pedestrian", "car", "motorcycle", "truck")


@dataclass(frozen=True)
class Answer:
    """A worked answer: the lecture's statement and value, nncalc's, and whether they agree."""

    id: str
    statement: str
    expected: Any
    computed: Any
    shown: str
    ok: bool


def _sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def slide_neuron() -> Answer:
    net = Network.from_thetas([[-0.5, -2, 4, 1.5]])
    trace = net.forward([66, 39, 12])
    z, a = float(trace.z[2][0, 0]), float(trace.a[2][0, 0])
    gap = float(net.layers[0].g.gap(trace.z[2])[0, 0])
    return Answer(
        "neuron",
        "σ([1 66 39 12]·[-0.5 -2 4 1.5]) = σ(41.5) ≈ 0.999…",
        {"z": 41.5, "a": "0.999…"},
        {"z": z, "a": a, "one_minus_a": gap},
        f"z = {z:g}, σ(z) = {digits.example(trace, 0, 6)[2][0].a}",
        z == 41.5 and 0.999 <= a <= 1 and 0 < gap < 0.001,
    )


def theta_2_parameters() -> Answer:
    theta = params.count([3, 5, 10]).theta(2)
    return Answer(
        "parameters",
        "5 hidden units, 10 classes: Θ^(2) has 60 parameters (5·10 weights + 10 biases)",
        60,
        theta.total,
        theta.breakdown(),
        theta.total == 60 and (theta.weights, theta.biases) == (50, 10),
    )


def tenth_example_class_3() -> Answer:
    (y,) = onehot.encode([3], onehot.Classes(10))
    lecture = [0, 0, 1, 0, 0, 0, 0, 0, 0, 0]
    return Answer(
        "onehot",
        "the 10th training example is of class 3: y^(10) = e_3 of length 10",
        lecture,
        y,
        "y^(10) = [" + " ".join(map(str, y)) + "]",
        y == lecture,
    )


def hidden_layer_of_1_2_3() -> Answer:
    # Θ^(1) of samples/lecture-3-3-1.yaml: Θ^(1)·[1; 1; 2; 3] = [1; 2; 3]
    theta = [[1, 1, 1, -1], [-2, 1, 0, 1], [-3, 1, 1, 1]]
    trace = Network.from_thetas(theta).forward([1, 2, 3])
    a2 = trace.a[2][0].tolist()
    lecture = [_sigma(1), _sigma(2), _sigma(3)]
    return Answer(
        "hidden-layer",
        "Θ^(1)·[1; x] = [1; 2; 3] gives a^(2) = [σ(1) σ(2) σ(3)]",
        lecture,
        a2,
        "a^(2) = [" + ", ".join(unit.a for unit in digits.example(trace, 0, 6)[2]) + "]",
        trace.z[2][0].tolist() == [1, 2, 3]
        and all(math.isclose(a, b, rel_tol=1e-15) for a, b in zip(a2, lecture, strict=True)),
    )


def vehicle_targets() -> Answer:
    Y = onehot.encode(VEHICLES, onehot.Classes(4, VEHICLES))
    lecture = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]
    return Answer(
        "vehicles",
        "pedestrian, car, motorcycle, truck: y^(i) is one of e_1, e_2, e_3, e_4",
        lecture,
        Y,
        ", ".join(f"{name} = e_{row.index(1) + 1}" for name, row in zip(VEHICLES, Y, strict=True)),
        lecture == Y,
    )


def no_nonlinearity_is_linear() -> Answer:
    thetas = ([[1, 1, 1, -1], [-2, 1, 0, 1], [-3, 1, 1, 1]], [[-1, 0.5, -0.5, 1]])
    net = Network.from_thetas(*thetas, activation="identity")
    theta = collapse(net)
    X = np.array([[1.0, 2.0, 3.0], [66.0, 39.0, 12.0], [-0.5, 0.25, 4.0]])
    one_layer = np.column_stack([np.ones(len(X)), X]) @ theta.T
    agree = bool(np.allclose(net(X), one_layer, rtol=1e-13, atol=1e-13))
    return Answer(
        "linear",
        "without non-linearity a network, however deep, is one linear layer",
        "h_Θ(x) = Θ·[1; x]",
        theta.tolist(),
        "Θ^(2)·[e_0; Θ^(1)] = [" + " ".join(f"{v:g}" for v in theta[0]) + "]",
        theta.shape == (1, 4) and agree,
    )


QUESTIONS: tuple[Callable[[], Answer], ...] = (
    slide_neuron,
    theta_2_parameters,
    tenth_example_class_3,
    hidden_layer_of_1_2_3,
    vehicle_targets,
    no_nonlinearity_is_linear,
)


def answers() -> list[Answer]:
    """Every worked answer of the lecture, recomputed."""
    return [question() for question in QUESTIONS]
