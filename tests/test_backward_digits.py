"""Issue 22's rule for backpropagation's output: every digit `nncalc backward`, `cost` and
`step` print (tables, --explain, LaTeX) is a digit of the exact value. Checked against an
mpmath backward from the definitions (tests/reference.py) over random networks, half of
them built to cancel: each error bound holds, and each number shown is the exact value
correctly rounded to the digits it shows (fewer than asked where the bound says so)."""

from __future__ import annotations

import math
import re
from itertools import pairwise

import numpy as np
import pytest
from mpmath import mp, mpf

from nncalc.network import Layer, Network
from nncalc.render.backward import delta_shown, prime_shown, sent_shown
from nncalc.render.cost import J_text
from nncalc.render.numbers import certain

import reference as ref

HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "softplus", "silu", "gelu", "elu", "mish"]
OUTPUTS = ["sigmoid", "softmax", "identity", "log_softmax"]


def random_case(seed: int) -> tuple[Network, np.ndarray, np.ndarray]:
    """A 2–4-layer network, one example and its target. Odd seeds cancel: the target is
    within 1e-12·(1 + |h|) of the output h (δ^(L) is then almost all rounding), or a row of
    the last Θ repeats another with the opposite sign (ε cancels)."""
    rng = np.random.default_rng(seed)
    sizes = [int(s) for s in rng.integers(1, 5, size=int(rng.integers(3, 5)))]
    output = OUTPUTS[seed % len(OUTPUTS)]
    if output in ("softmax", "log_softmax"):
        sizes[-1] = max(2, sizes[-1])
    names = [str(rng.choice(HIDDEN)) for _ in sizes[2:]] + [output]
    thetas = [rng.normal(size=(n, m + 1)) * 2 for m, n in pairwise(sizes)]
    x = rng.normal(size=sizes[0]) * 2
    net = Network(tuple(Layer(t, g) for t, g in zip(thetas, names, strict=True)))
    h = net.forward(x).output[0]
    if output in ("softmax", "log_softmax"):
        y = np.eye(sizes[-1])[int(rng.integers(sizes[-1]))]
    elif output == "sigmoid":
        y = rng.uniform(0, 1, size=sizes[-1])
    else:
        y = rng.normal(size=sizes[-1])
    if seed % 2:
        if output == "identity":
            y = h + rng.normal(size=len(h)) * 1e-12 * (1 + np.abs(h))
        elif len(thetas) > 1 and len(thetas[-1]) > 1:
            thetas[-1][1, 1:] = -thetas[-1][0, 1:] * (1 + 2.0**-45)
            net = Network(tuple(Layer(t, g) for t, g in zip(thetas, names, strict=True)))
    return net, x, y


def exact(net: Network, x: np.ndarray, y: np.ndarray):
    thetas = [layer.theta.tolist() for layer in net.layers]
    with mp.workprec(600):
        return ref.backward(thetas, net.activations, x.tolist(), y.tolist())


def digits_shown(text: str) -> int:
    """The significant digits a number as printed shows (its trailing zeros too)."""
    mantissa = re.split("[eE]", ref.plain_text(text).lstrip("-"))[0].replace(".", "")
    return len(mantissa.lstrip("0"))


def check(text: str, marked: bool, value: float, bound: float, truth: mpf, p: int) -> None:
    """The bound holds; the text is the truth rounded to the digits it shows (all p, or
    fewer when marked); a marked 0 is within the bound of 0."""
    assert abs(mpf(value) - truth) <= mpf(bound), (value, bound, truth)
    if text == "?":
        assert marked
    elif text == "0":
        assert abs(truth) <= 2 * mpf(bound) or (not marked and truth == 0), (text, truth)
    else:
        shown = digits_shown(text) if marked else p
        assert ref.holds(text, truth, shown), (text, float(truth), shown)


@pytest.mark.parametrize("seed", range(60))
@pytest.mark.parametrize("p", [6, 3])
def test_every_backward_digit_is_exact(seed, p):
    net, x, y = random_case(seed)
    grads = net.backward(x, y)
    delta, D = exact(net, x, y)
    with mp.workprec(600):
        for j in range(2, net.L + 1):
            bounds = grads.errors.delta[j][0]
            for i, (text, marked) in enumerate(delta_shown(grads, j, 0, p)):
                check(text, marked, grads.delta[j][0][i], bounds[i], delta[j][i], p)
        for j in range(1, net.L):
            for (i, m), value in np.ndenumerate(grads.D[j]):
                bound = grads.D_error(j)[i, m]
                text, marked = certain(value, bound, p)
                check(text, marked, value, bound, D[j][i][m], p)


@pytest.mark.parametrize("seed", range(30))
def test_what_is_sent_back_and_g_prime_are_exact(seed):
    """ε = (Θ^(j))ᵀδ^(j+1) and g′(z^(j)), as the tables and --explain show them."""
    net, x, y = random_case(seed)
    grads = net.backward(x, y)
    delta, _ = exact(net, x, y)
    with mp.workprec(600):
        layers = ref.forward([t.theta.tolist() for t in net.layers], net.activations, x.tolist())
        for j in range(2, net.L):
            theta = net.layers[j - 1].theta
            sent = [
                mp.fsum(mpf(theta[r, i + 1]) * delta[j + 1][r] for r in range(len(theta)))
                for i in range(net.sizes[j - 1])
            ]
            for i, (text, marked) in enumerate(sent_shown(grads, j, 0, 6)):
                value, bound = grads.back(j, 0)[i], grads.errors.back[j][0][i]
                check(text, marked, value, bound, sent[i], 6)
            z = layers[j - 2][0]
            for i, (text, marked) in enumerate(prime_shown(grads, j, 0, 6)):
                truth = ref.prime(net.activations[j - 2], z[i])
                if text not in ("?", "0"):
                    assert ref.holds(text, truth, digits_shown(text) if marked else 6), text


@pytest.mark.parametrize("seed", range(40))
def test_J_is_exact_to_its_digits(seed):
    net, x, y = random_case(seed)
    cost = net.backward(x, y).cost
    with mp.workprec(600):
        layers = ref.forward([t.theta.tolist() for t in net.layers], net.activations, x.tolist())
        _, h = layers[-1]
        output, ys = net.activations[-1], [mpf(v) for v in y.tolist()]
        if output == "identity":
            truth = mp.fsum((a - t) ** 2 for a, t in zip(h, ys, strict=True)) / 2
        elif output == "sigmoid":
            truth = -mp.fsum(
                t * mp.log(a) + (1 - t) * mp.log(1 - a) for a, t in zip(h, ys, strict=True)
            )
        else:
            logs = h if output == "log_softmax" else [mp.log(a) for a in h]
            truth = -mp.fsum(t * v for t, v in zip(ys, logs, strict=True))
        assert abs(mpf(cost.J) - truth) <= mpf(cost.error), (cost.J, cost.error, float(truth))
        text = J_text(cost, 6)
        marked = text.endswith(" *")
        text = text.removesuffix(" *")
        if text not in ("?", "0"):
            assert ref.holds(text, truth, digits_shown(text) if marked else 6), (text, truth)


def test_the_cancelling_case_is_not_shown_with_false_digits(run, write):
    """tanh(0.5) − (tanh(0.5) + 1e-14): float64 computes −9.99200722e−15, the truth is
    −9.9700906e−15 (the rounding of tanh(0.5) is 2e-17 of it): no digit past the first
    two may be printed, and what is printed is right."""
    y = math.tanh(0.5) + 1e-14
    path = write("n.yaml", "layers:\n  - {theta: [[0, 1]], activation: tanh}\n"
                 "  - {theta: [[0, 1]], activation: identity}\n")  # fmt: skip
    out = run("backward", path, "-x", "0.5", "--y", repr(y), "-p", "8").out
    assert "9.9920072" not in out and "9.99201" not in out
    with mp.workprec(300):
        truth = mp.tanh(mpf(0.5)) - mpf(y)
    cell = re.search(r"δ_i\^\(3\) = a_i\^\(3\) − y_i\s*\n.*\n\s*1\s+\S+\s+\S+\s+(\S+)", out)
    assert cell is not None, out
    shown = cell.group(1)
    assert shown == "?" or ref.holds(shown, truth, digits_shown(shown)), shown


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "log_softmax"])
@pytest.mark.parametrize("z", [5.0, 41.5, 100.0, 700.0])
def test_a_saturated_output_keeps_every_digit_of_its_delta(output, z):
    """σ(41.5) − 1 = −σ(−41.5) = −9.47936e−19 (the lecture's neuron, y = 1), and p_1 − 1 =
    −(p_2 + p_3) for a confident softmax: output_delta computes them without cancelling,
    so their bounds are relative and every digit shows, as the exact value's (mpmath)."""
    units = 1 if output == "sigmoid" else 3
    theta = np.array([[0.0, z], [0.0, 0.0], [0.0, -z / 7]][:units])
    net = Network((Layer(theta, output),))
    grads = net.backward([[1.0]], [[1.0] + [0.0] * (units - 1)])
    with mp.workprec(600):
        zs = [mpf(v) for v in theta[:, 1]]
        if output == "sigmoid":
            truth = [-1 / (1 + mp.exp(zs[0]))]
        else:
            e = [mp.exp(v - zs[0]) for v in zs]
            truth = [-(e[1] + e[2]) / sum(e), e[1] / sum(e), e[2] / sum(e)]
        shown = delta_shown(grads, 2, 0, 6)
        for i, ((text, marked), exact) in enumerate(zip(shown, truth, strict=True)):
            check(text, marked, grads.delta[2][0][i], grads.errors.delta[2][0][i], exact, 6)
            stored = abs(exact) >= mpf(2) ** -1075  # else float64 holds 0 (marked 0 *)
            assert not marked or not stored, (text, float(exact))


def test_expect_shows_the_computed_value_by_the_same_rule(run, write):
    """--expect echoes nncalc's value: only its certain digits (the cancelling δ above has
    none), and the lecture's neuron's δ = −σ(−41.5) with all of them."""
    y = math.tanh(0.5) + 1e-14
    path = write("n.yaml", "layers:\n  - {theta: [[0, 1]], activation: tanh}\n"
                 "  - {theta: [[0, 1]], activation: identity}\n")  # fmt: skip
    out = run("backward", path, "-x", "0.5", "--y", repr(y), "--expect", "δ_1^(3)=-1e-14").out
    assert "δ_1^(3) = [?]" in out and "9.992" not in out
    neuron = run("backward", "samples/slide-neuron.yaml", "--y", "1", "--expect", "δ_1^(2)=0")
    assert "δ_1^(2) = [−9.47936e−19]" in neuron.out  # and ✓: 0 is it, rounded to 0 decimals
