"""g′ of every activation, J(Θ) and backpropagation against torch.autograd (float64, 1e-12),
mpmath and hand derivations; gradient checking and gradient descent."""

from __future__ import annotations

import math
from itertools import pairwise

import numpy as np
import pytest
from mpmath import mpf
from test_activations import conditioned

from nncalc import activations, backprop, derivatives, descent, gradcheck, metrics
from nncalc.activations import ACTIVATIONS
from nncalc.cost import cost
from nncalc.errors import NNCalcError
from nncalc.network import Layer, Network

import reference as ref

torch = pytest.importorskip("torch")
F = torch.nn.functional

ELEMENTWISE = [name for name in ACTIVATIONS if not activations.over_layer(name)]
TINY = np.finfo(np.float64).tiny
RTOL = 1e-15
"""A few ulps (one ulp is at most 2.2e-16 relative), as for the activations' values."""
PARAMETERS = [
    ("leaky_relu", {"alpha": 0.2}),
    ("leaky_relu", {"alpha": -0.5}),
    ("elu", {"alpha": 2.0}),
    ("softplus", {"beta": 2.0}),
    ("softplus", {"beta": 0.5, "threshold": 3.0}),
]
"""Activations with parameters that are not the defaults."""


# -- g′ ------------------------------------------------------------------------------


def torch_prime(name: str, z: np.ndarray, **params: float) -> np.ndarray:
    """g′(z) by torch.autograd, float64: the gradient of Σ g(z)."""
    t = torch.tensor(z, dtype=torch.float64, requires_grad=True)
    g = {
        "leaky_relu": lambda v: F.leaky_relu(v, params.get("alpha", 0.01)),
        "elu": lambda v: F.elu(v, params.get("alpha", 1.0)),
        "softplus": lambda v: F.softplus(
            v, params.get("beta", 1.0), params.get("threshold", 1e300)
        ),
    }.get(name) or ref.torch_g(torch)[name]
    g(t).sum().backward()
    return t.grad.numpy()


def grid() -> np.ndarray:
    """z from −30 to 30, the kinks (0, ±3, 6) and the points where g′ crosses 0."""
    roots = [c.hi for c in derivatives.ROOTS.values()]
    return np.array([*np.linspace(-30, 30, 1201), -3.0, 3.0, 6.0, 0.0, *roots])


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if n != "step"])
def test_prime_matches_torch_autograd(name):
    z = grid()
    expected = torch_prime(name, z)
    np.testing.assert_allclose(derivatives.prime(name, z), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("name", "params"), PARAMETERS, ids=str)
def test_prime_with_parameters_matches_torch_autograd(name, params):
    z = grid()
    g = activations.get(name).with_params(**params)
    expected = torch_prime(name, z, **params)
    np.testing.assert_allclose(derivatives.prime(g, z), expected, rtol=1e-12, atol=1e-12)


def test_kinks_take_pytorchs_values():
    """Documented: PyTorch's one-sided values where g has a corner."""
    at = {"relu": [0.0], "relu6": [0.0, 6.0], "leaky_relu": [0.0], "elu": [0.0]}
    at["hardswish"] = [-3.0, 3.0]
    for name, points in at.items():
        z = np.array(points)
        np.testing.assert_array_equal(derivatives.prime(name, z), torch_prime(name, z))
    assert derivatives.prime("relu", np.array([0.0]))[0] == 0.0
    assert derivatives.prime("hardswish", np.array([-3.0, 3.0])).tolist() == [0.0, 1.0]


def assert_few_ulps(got: np.ndarray, points, name: str) -> None:
    """Within a few ulps, and for gelu_tanh (which rounds its argument y before σ, as
    its value does) within that rounding too (test_activations.conditioned)."""
    bad = []
    for z, g in zip(points, got, strict=True):
        e = ref.prime(name, z)
        if abs(mpf(float(g)) - e) > conditioned(name, z) * abs(e) + TINY:
            bad.append((z, float(g), float(e)))
    assert bad == []


SMOOTH = [n for n in ELEMENTWISE if n not in ("relu", "relu6", "leaky_relu", "step", "identity")]
EDGES = [-745.0, -709.5, -100.0, -41.5, -20.0, -5.0, -2.0, -0.5, -1e-8, 1e-300, 0.7]
EDGES += [2.0, 20.0, 41.5, 100.0, 709.5, 1000.0]


@pytest.mark.parametrize("name", SMOOTH)
def test_prime_is_exact_where_the_value_saturates(name):
    """A few ulps of mpmath's derivative from the reference's definition, out to where g
    rounds to its asymptotes (σ′(41.5) = 9.5e-19, though σ(41.5) rounds to 1)."""
    points = [z for z in EDGES if not (name == "hardswish" and abs(abs(z) - 3) < 1e-9)]
    assert_few_ulps(derivatives.prime(name, np.array(points)), points, name)


@pytest.mark.parametrize("name", sorted(derivatives.ROOTS))
def test_prime_keeps_its_digits_where_it_crosses_zero(name):
    """SiLU′, GELU′, GELU_tanh′ and Mish′ are 0 at some z* < 0: near it the plain formula
    cancels to nothing, the integral of g″ does not."""
    root = derivatives.ROOTS[name].hi
    points = [root, *(root + s * 10.0**-k for k in (1, 3, 6, 9, 12, 15) for s in (1, -1))]
    points += [root - 0.45, root + 0.45, root - 0.6, root + 0.6]
    assert_few_ulps(derivatives.prime(name, np.array(points)), points, name)


def test_sigmoid_and_tanh_primes_by_hand():
    """σ′(41.5) = e^−41.5/(1 + e^−41.5)² and tanh′(20) = 4e^−40/(1 + e^−40)²: a(1 − a)
    and 1 − a² would give 0."""
    assert derivatives.prime("sigmoid", np.array([41.5]))[0] == pytest.approx(
        math.exp(-41.5), rel=1e-15
    )
    assert derivatives.prime("tanh", np.array([20.0]))[0] == pytest.approx(
        4 * math.exp(-40), rel=1e-15
    )


def test_primes_are_silent_and_finite_at_float64s_ends():
    z = np.array([1.7976931348623157e308, -1.7976931348623157e308, 1e300, -1e300, 0.0, 5e-324])
    for name in ELEMENTWISE:
        if name != "step":
            assert np.isfinite(derivatives.prime(name, z)).all(), name


def test_step_prime_is_zero_and_undefined_at_zero():
    got = derivatives.prime("step", np.array([-1.0, 0.0, 2.0]))
    assert got[0] == got[2] == 0.0
    assert math.isnan(got[1])


def test_every_elementwise_activation_has_a_prime():
    assert set(derivatives.PRIMES) == set(ELEMENTWISE)
    assert set(derivatives.FORMULAS) == set(ELEMENTWISE)


# -- the whole backward against torch.autograd ------------------------------------------


OUTPUTS = ["sigmoid", "softmax", "log_softmax", "identity"]


def torch_loss(output: str, z, Y, m: int):
    """The matching loss of nncalc.cost from the output layer's z, with torch's own
    losses (the stable forms that take logits)."""
    if output == "sigmoid":
        return F.binary_cross_entropy_with_logits(z, Y, reduction="sum") / m
    if output == "softmax":
        return F.cross_entropy(z, Y, reduction="sum") / m
    if output == "log_softmax":
        return F.nll_loss(F.log_softmax(z, dim=1), Y.argmax(dim=1), reduction="sum") / m
    return F.mse_loss(z, Y, reduction="sum") / (2 * m)


def torch_backward(net: Network, X, Y, lam: float):
    """(J, δ^(j) by j, D^(j) by j, D_gate^(j), D_β^(j)) from torch.autograd."""
    thetas, gates, betas, zs = [], [], [], {}
    a = torch.tensor(X)
    g_of = ref.torch_g(torch)
    L = net.L
    for j, layer in enumerate(net.layers, start=1):
        theta = torch.tensor(layer.theta, requires_grad=True)
        thetas.append(theta)
        z = a @ theta[:, 1:].T + theta[:, 0]
        z.retain_grad()
        zs[j + 1] = z
        if layer.gate is not None:
            gate = torch.tensor(layer.gate, requires_grad=True)
            gates.append((j, gate))
            beta = torch.tensor(
                layer.swish_beta, dtype=torch.float64, requires_grad=layer.beta is not None
            )
            betas.append((j, beta))
            u = a @ gate[:, 1:].T + gate[:, 0]
            a = z * u * torch.sigmoid(beta * u)
        else:
            g = layer.g
            params = dict(g.values)
            if params:
                a = {
                    "leaky_relu": lambda v, p=params: F.leaky_relu(v, p["alpha"]),
                    "elu": lambda v, p=params: F.elu(v, p["alpha"]),
                    "softplus": lambda v, p=params: F.softplus(
                        v, p.get("beta", 1.0), p.get("threshold", 1e300)
                    ),
                }[g.name](z)
            else:
                a = g_of[g.name](z)
    m = X.shape[0]
    J = torch_loss(net.activations[-1], zs[L], torch.tensor(Y), m)
    mats = [*thetas, *(g for _, g in gates)]
    J = J + lam / (2 * m) * sum((t[:, 1:] ** 2).sum() for t in mats)
    J.backward()
    delta = {j: (zs[j].grad * m).numpy() for j in zs}
    D = {j: t.grad.numpy() for j, t in enumerate(thetas, start=1)}
    D_gate = {j: g.grad.numpy() for j, g in gates}
    D_beta = {j: float(b.grad) for j, b in betas if b.requires_grad}
    return J.item(), delta, D, D_gate, D_beta


def random_network(rng, hidden: list[str], output: str, sizes: list[int], swiglu: int | None):
    """A network with the given hidden activations (and a SwiGLU layer at index
    ``swiglu``, with a learned β) and output g."""
    layers = []
    names = [*hidden, output]
    for k, (n_in, n_out) in enumerate(pairwise(sizes)):
        theta = rng.normal(0, 1.2, (n_out, n_in + 1))
        if k == swiglu:
            layers.append(Layer(theta, gate=rng.normal(0, 1.2, theta.shape), beta=1.3))
        else:
            layers.append(Layer(theta, names[k]))
    return Network(tuple(layers))


def labels(rng, output: str, m: int, K: int) -> np.ndarray:
    if output == "identity":
        return rng.normal(size=(m, K))
    if output == "sigmoid":
        return rng.integers(0, 2, (m, K)).astype(float)
    return np.eye(K)[rng.integers(0, K, m)]


HIDDEN = [*ELEMENTWISE, "softmax", "log_softmax", "leaky_relu(alpha=0.2)", "softplus(beta=2)"]
HIDDEN.remove("step")


def close(got: np.ndarray, expected: np.ndarray) -> None:
    """To 1e-12 of each entry or of the largest of the matrix (a sum that cancels keeps
    its absolute error, in torch as in nncalc)."""
    scale = max(1.0, float(np.abs(expected).max(initial=0)))
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * scale)


def assert_matches_torch(net: Network, X, Y, lam: float) -> None:
    grads = net.backward(X, Y, lam)
    J, delta, D, D_gate, D_beta = torch_backward(net, X, Y, lam)
    assert pytest.approx(J, rel=1e-12) == grads.cost.J
    assert net.cost(X, Y, lam) == grads.cost.J
    for j in delta:
        close(grads.delta[j], delta[j])
    for got, expected in ((grads.D, D), (grads.D_gate, D_gate)):
        assert set(got) == set(expected)
        for j in expected:
            close(got[j], expected[j])
    assert grads.D_beta == pytest.approx(D_beta, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("hidden", HIDDEN)
@pytest.mark.parametrize("output", OUTPUTS)
def test_backward_matches_torch_autograd(hidden, output):
    """Every hidden activation under every output's loss, λ > 0: small work (every sum
    exactly rounded)."""
    rng = np.random.default_rng(abs(hash((hidden, output))) % 2**32)
    net = random_network(rng, [hidden, "tanh"], output, [3, 4, 5, 3], None)
    X = rng.normal(size=(6, 3))
    assert_matches_torch(net, X, labels(rng, output, 6, 3), lam=0.7)


@pytest.mark.parametrize("output", OUTPUTS)
def test_backward_with_swiglu_matches_torch_autograd(output):
    rng = np.random.default_rng(7)
    net = random_network(rng, ["sigmoid", "swiglu"], output, [3, 4, 5, 2], swiglu=1)
    X = rng.normal(size=(5, 3))
    assert_matches_torch(net, X, labels(rng, output, 5, 2), lam=0.3)


@pytest.mark.parametrize("hidden", ["gelu", "softmax"])
def test_large_backward_matches_torch_autograd(hidden):
    """Enough work for BLAS and a chunk per thread (nncalc.backprop._threaded)."""
    rng = np.random.default_rng(3)
    net = random_network(rng, [hidden, "swiglu"], "softmax", [20, 30, 20, 5], swiglu=1)
    m = 2 * backprop.CHUNK_ROWS + 17
    X = rng.normal(size=(m, 20))
    assert m * 2 * sum(layer.theta.size for layer in net.layers) > 10_000
    assert_matches_torch(net, X, labels(rng, "softmax", m, 5), lam=1.5)


def test_small_and_large_paths_agree(monkeypatch):
    rng = np.random.default_rng(11)
    net = random_network(rng, ["tanh"], "sigmoid", [4, 6, 3], None)
    X = rng.normal(size=(9, 4))
    Y = labels(rng, "sigmoid", 9, 3)
    exact = net.backward(X, Y, 0.2)
    monkeypatch.setattr(backprop, "CHUNK_ROWS", 2)
    monkeypatch.setattr(backprop.small, "WORK", 0)
    threaded = net.backward(X, Y, 0.2)
    for j in exact.D:
        np.testing.assert_allclose(threaded.D[j], exact.D[j], rtol=1e-13, atol=1e-15)
    for j in exact.delta:
        np.testing.assert_allclose(threaded.delta[j], exact.delta[j], rtol=1e-13, atol=1e-15)


def test_backward_reuses_forwards_trace(monkeypatch):
    """No second forward pass: backward reads z and a from the trace."""
    rng = np.random.default_rng(5)
    net = random_network(rng, ["sigmoid", "relu"], "softmax", [3, 4, 4, 2], None)
    X = rng.normal(size=(4, 3))
    trace = net.forward(X)
    calls = []
    monkeypatch.setattr(Layer, "forward", lambda *a: calls.append(a))
    monkeypatch.setattr(Network, "forward", lambda *a: calls.append(a))
    grads = backprop.backward(trace, labels(rng, "softmax", 4, 2))
    assert calls == []
    assert grads.trace is trace


# -- the lecture's networks by hand -------------------------------------------------------


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_the_lectures_3_3_1_network_by_hand():
    """x = (1, 2, 3) makes z^(2) = (1, 2, 3) (the slide), y = 1. By hand:
    δ^(3) = a^(3) − 1; δ_i^(2) = Θ_1i^(2)·δ^(3)·σ(i)(1 − σ(i)); D^(2) = δ^(3)·[1, a^(2)];
    D^(1) = δ^(2)·[1, 1, 2, 3]."""
    net = Network.from_thetas(
        [[1, 1, 1, -1], [-2, 1, 0, 1], [-3, 1, 1, 1]], [[-1, 0.5, -0.5, 1]], activation="sigmoid"
    )
    a2 = [sigma(1), sigma(2), sigma(3)]
    h = sigma(-1 + 0.5 * a2[0] - 0.5 * a2[1] + a2[2])
    d3 = h - 1
    d2 = [w * d3 * s * (1 - s) for w, s in zip([0.5, -0.5, 1], a2, strict=True)]
    grads = net.backward([1, 2, 3], [1])
    assert pytest.approx(-math.log(h), rel=1e-15) == grads.cost.J
    assert grads.delta[3][0, 0] == pytest.approx(d3, rel=1e-15)
    np.testing.assert_allclose(grads.delta[2][0], d2, rtol=1e-14)
    np.testing.assert_allclose(grads.D[2][0], [d3, *(d3 * a for a in a2)], rtol=1e-15)
    np.testing.assert_allclose(grads.D[1], np.outer(d2, [1, 1, 2, 3]), rtol=1e-14)
    np.testing.assert_array_equal(grads.Delta[1], grads.D[1])  # m = 1, λ = 0


def test_regularisation_by_hand():
    """J adds (λ/2m)·Σ Θ_im² over m ≥ 1; D adds (λ/m)·Θ_im, the bias column left alone."""
    net = Network.from_thetas([[0.5, -2.0, 3.0]], activation="sigmoid")
    X, Y = [[1.0, 0.0], [0.0, 1.0]], [[1.0], [0.0]]
    plain = net.backward(X, Y)
    lam = 0.4
    reg = net.backward(X, Y, lam)
    assert pytest.approx(plain.cost.J + lam / 4 * (4 + 9), rel=1e-15) == reg.cost.J
    assert reg.cost.regularisation == pytest.approx(lam / 4 * 13, rel=1e-15)
    np.testing.assert_allclose(reg.D[1] - plain.D[1], [[0.0, lam / 2 * -2, lam / 2 * 3]])
    np.testing.assert_array_equal(reg.Delta[1], plain.Delta[1])


def test_cost_at_the_slides_sigma_41_5_is_never_log_0():
    """σ(41.5) rounds to 1, yet J = −log σ(41.5) = log(1 + e^−41.5) = 9.5e-19 for y = 1,
    and −log(1 − σ(41.5)) = 41.5 + log(1 + e^−41.5) for y = 0."""
    net = Network.from_thetas([[-0.5, -2, 4, 1.5]], activation="sigmoid")
    x = [66, 39, 12]
    assert net(x)[0, 0] == 1.0
    assert net.cost(x, [1]) == pytest.approx(math.log1p(math.exp(-41.5)), rel=1e-15)
    assert net.cost(x, [0]) == pytest.approx(41.5, rel=1e-15)
    grads = net.backward(x, [1])
    assert grads.delta[2][0, 0] == pytest.approx(-math.exp(-41.5), rel=1e-15)  # not 0


def test_softmax_delta_keeps_what_p_loses():
    """p_1 of z = (50, 0) rounds to 1; δ_1 = p_1 − 1 = −e^−50/(1 + e^−50), not 0."""
    net = Network.from_thetas([[50.0, 0.0], [0.0, 0.0]], activation="softmax")
    grads = net.backward([[0.0]], [[1, 0]])
    assert grads.delta[2][0, 0] == pytest.approx(-math.exp(-50) / (1 + math.exp(-50)), rel=1e-15)


@pytest.mark.parametrize("output", ["softmax", "log_softmax", "identity"])
def test_cost_matches_torchs_losses(output):
    rng = np.random.default_rng(2)
    net = random_network(rng, ["relu"], output, [3, 5, 4], None)
    X = rng.normal(size=(8, 3))
    Y = labels(rng, output, 8, 4)
    h = torch.tensor(net(X))
    Yt = torch.tensor(Y)
    expected = {
        "softmax": lambda: F.cross_entropy(torch.tensor(net.forward(X).z[3]), Yt),
        "log_softmax": lambda: F.nll_loss(h, Yt.argmax(dim=1)),
        "identity": lambda: F.mse_loss(h, Yt, reduction="sum") / 16,
    }[output]()
    assert net.cost(X, Y) == pytest.approx(float(expected), rel=1e-13)


def test_soft_targets_get_torchs_gradient():
    """Probabilities that do not sum to 1: δ^(L) = p·Σy − y, torch's cross-entropy gradient."""
    rng = np.random.default_rng(4)
    net = random_network(rng, [], "softmax", [3, 4], None)
    X = rng.normal(size=(3, 3))
    Y = rng.uniform(0, 0.5, (3, 4))
    z = torch.tensor(net.forward(X).z[2], requires_grad=True)
    F.cross_entropy(z, torch.tensor(Y), reduction="sum").backward()
    np.testing.assert_allclose(net.backward(X, Y).delta[2], z.grad.numpy(), rtol=1e-13)


# -- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "loss", "message"),
    [
        ("tanh", None, "the output layer's g is tanh, which has no matching loss"),
        ("relu", None, r"identity \(squared error\)"),
        ("sigmoid", "squared_error", "the squared error loss does not match the output g"),
        ("softmax", "nll", "matching loss is cross-entropy"),
        ("log_softmax", "cross-entropy", "matching loss is negative log-likelihood"),
        ("identity", "hinge", "unknown loss 'hinge'"),
    ],
)
def test_a_loss_that_does_not_match_is_refused(output, loss, message):
    net = Network.from_thetas([[0.0, 1.0], [0.0, -1.0]], activation=output)
    with pytest.raises(NNCalcError, match=message):
        net.backward([[1.0]], [[1.0, 0.0]], loss=loss)
    with pytest.raises(NNCalcError, match=message):
        net.cost([[1.0]], [[1.0, 0.0]], loss=loss)


def test_a_swiglu_output_is_refused():
    net = Network((Layer([[0.0, 1.0]], gate=[[0.0, 1.0]]),))
    with pytest.raises(NNCalcError, match="g is swiglu, which has no matching loss"):
        net.cost([[1.0]], [[1.0]])


@pytest.mark.parametrize(
    ("Y", "message"),
    [
        ([[1.0, 0.0, 0.0]], "a label y has 3 entries, expected K = 2"),
        ([[1.5, 0.0]], r"cross-entropy takes targets y in \[0, 1\]; found 1.5"),
        ([[1.0, 0.0], [0.0, 1.0]], "2 labels for 1 example"),
        ([[math.nan, 0.0]], "finite numbers"),
        ([[1.0], [0.0, 1.0]], "rows of numbers"),
    ],
)
def test_bad_targets_are_refused(Y, message):
    net = Network.from_thetas([[0.0, 1.0], [0.0, -1.0]], activation="softmax")
    with pytest.raises(NNCalcError, match=message):
        net.backward([[1.0]], Y)


@pytest.mark.parametrize("lam", [-1.0, math.inf, math.nan])
def test_bad_lambda_is_refused(lam):
    net = Network.from_thetas([[0.0, 1.0]], activation="sigmoid")
    with pytest.raises(NNCalcError, match="λ must be a finite number ≥ 0"):
        net.backward([[1.0]], [[1.0]], lam)


def test_a_step_layer_passes_no_gradient_and_is_refused_at_zero():
    net = Network((Layer([[0.5, 1.0]], "step"), Layer([[0.0, 2.0]], "sigmoid")))
    grads = net.backward([[1.0]], [[0.0]])
    assert grads.delta[2].tolist() == [[0.0]]
    assert grads.D[1].tolist() == [[0.0, 0.0]]
    with pytest.raises(NNCalcError, match=r"z_1\^\(2\) = 0 \(example 1\), where the step's"):
        net.backward([[-0.5]], [[0.0]])


# -- gradient checking and descent -------------------------------------------------------


def test_gradcheck_agrees_with_a_difference_taken_here():
    rng = np.random.default_rng(8)
    net = random_network(rng, ["sigmoid"], "softmax", [2, 3, 2], None)
    X, Y = rng.normal(size=(4, 2)), labels(rng, "softmax", 4, 2)
    check = gradcheck.gradcheck(net, X, Y, lam=0.1)
    assert check.total == len(check.entries) == 9 + 8
    entry = check.entries[5]  # Θ_22^(1)
    theta = net.theta(1).copy()
    theta[1, 2] += 1e-4
    plus = Network((Layer(theta, "sigmoid"), net.layers[1])).cost(X, Y, 0.1)
    theta[1, 2] -= 2e-4
    minus = Network((Layer(theta, "sigmoid"), net.layers[1])).cost(X, Y, 0.1)
    assert entry.numeric == pytest.approx((plus - minus) / 2e-4, rel=1e-6)
    assert check.largest < 1e-6
    assert check.overall < 1e-8


def test_gradcheck_finds_a_wrong_derivative(monkeypatch):
    """A backprop whose σ′ is wrong (a classic: a instead of a(1 − a)) is caught."""
    rng = np.random.default_rng(9)
    net = random_network(rng, ["sigmoid"], "sigmoid", [2, 3, 1], None)
    X, Y = rng.normal(size=(5, 2)), labels(rng, "sigmoid", 5, 1)
    assert gradcheck.gradcheck(net, X, Y).largest < 1e-6
    monkeypatch.setitem(derivatives.PRIMES, "sigmoid", activations.sigmoid)
    wrong = gradcheck.gradcheck(net, X, Y)
    assert wrong.largest > 0.1
    assert wrong.worst.parameter.j == 1


def test_gradcheck_samples_reproducibly_and_covers_swiglus_beta():
    rng = np.random.default_rng(12)
    net = random_network(rng, ["swiglu"], "identity", [3, 4, 2], swiglu=0)
    X, Y = rng.normal(size=(4, 3)), labels(rng, "identity", 4, 2)
    full = gradcheck.gradcheck(net, X, Y)
    kinds = {e.parameter.kind for e in full.entries}
    assert kinds == {"theta", "gate", "beta"}
    assert full.largest < 1e-6
    some = gradcheck.gradcheck(net, X, Y, sample=7, seed=3)
    assert len(some.entries) == 7
    assert some.entries == gradcheck.gradcheck(net, X, Y, sample=7, seed=3).entries


def test_a_step_of_descent_is_theta_minus_alpha_d_and_lowers_j():
    rng = np.random.default_rng(10)
    net = random_network(rng, ["tanh"], "softmax", [3, 4, 3], None)
    X, Y = rng.normal(size=(6, 3)), labels(rng, "softmax", 6, 3)
    grads = net.backward(X, Y, 0.2)
    after, curve = descent.minimise(net, X, Y, alpha=0.1, steps=1, lam=0.2)
    for j in (1, 2):
        np.testing.assert_array_equal(after.theta(j), net.theta(j) - 0.1 * grads.D[j])
    assert curve[0] == grads.cost.J
    assert curve[1] == after.cost(X, Y, 0.2) < curve[0]
    _, many = descent.minimise(net, X, Y, alpha=0.1, steps=20, lam=0.2)
    assert len(many) == 21 and many[-1] < many[0]


# -- classification -----------------------------------------------------------------------


def test_confusion_precision_recall_match_sklearn():
    sk = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(13)
    net = random_network(rng, ["relu"], "softmax", [3, 6, 4], None)
    X = rng.normal(size=(40, 3))
    Y = labels(rng, "softmax", 40, 4)
    found = metrics.classify(net.forward(X), Y)
    true, predicted = Y.argmax(axis=1), net.forward(X).predictions - 1
    assert np.array_equal(found.confusion, sk.confusion_matrix(true, predicted, labels=range(4)))
    assert float(found.accuracy) == sk.accuracy_score(true, predicted)
    precision = sk.precision_score(true, predicted, average=None, labels=range(4), zero_division=0)
    recall = sk.recall_score(true, predicted, average=None, labels=range(4), zero_division=0)
    for k in range(4):
        assert float(found.precision(k) or 0) == pytest.approx(precision[k])
        assert float(found.recall(k) or 0) == pytest.approx(recall[k])


def test_one_sigmoid_unit_classifies_by_z_at_least_0():
    net = Network.from_thetas([[0.0, 1.0]], activation="sigmoid")
    found = metrics.classify(net.forward([[-1.0], [0.0], [2.0]]), np.array([[0.0], [0.0], [1.0]]))
    assert found.names == ("0", "1")
    assert found.confusion == ((1, 1), (0, 1))  # z = 0 gives h = 0.5: class 1
    assert found.recall(0) == pytest.approx(0.5) and found.precision(1) == pytest.approx(0.5)


def test_no_classification_for_regression_or_soft_targets():
    net = Network.from_thetas([[0.0, 1.0], [0.0, 2.0]], activation="identity")
    assert metrics.classify(net.forward([[1.0]]), np.array([[0.3, 0.7]])) is None
    soft = Network.from_thetas([[0.0, 1.0], [0.0, 2.0]], activation="softmax")
    assert metrics.classify(soft.forward([[1.0]]), np.array([[0.3, 0.7]])) is None


def test_cost_reports_its_parts():
    net = Network.from_thetas([[0.0, 1.0]], activation="sigmoid")
    found = cost(net.forward([[2.0]]), [[1.0]], lam=2.0)
    assert found.data == pytest.approx(math.log1p(math.exp(-2)), rel=1e-15)
    assert found.regularisation == 1.0
    assert found.data + found.regularisation == found.J
    assert found.loss.title == "cross-entropy"


# -- against an independent high-precision backward (mpmath) ------------------------------


@pytest.mark.parametrize(
    ("hidden", "output"),
    [
        (["sigmoid", "sigmoid"], "sigmoid"),
        (["tanh", "softplus"], "softmax"),
        (["gelu", "silu"], "log_softmax"),
        (["mish", "elu"], "identity"),
    ],
)
def test_backward_matches_mpmath(hidden, output):
    """δ and D of one example against the definitions evaluated at 50 digits: a few ulps
    of each entry, or of the largest of its layer where the sums cancel."""
    rng = np.random.default_rng(len(hidden[0]) + len(output))
    net = random_network(rng, hidden, output, [3, 4, 3, 2], None)
    x = rng.normal(size=3)
    y = labels(rng, output, 1, 2)[0]
    grads = net.backward(x, y)
    thetas = [layer.theta.tolist() for layer in net.layers]
    delta, D = ref.backward(thetas, [*hidden, output], x.tolist(), y.tolist())
    for got, expected in [(grads.delta[j][0], delta[j]) for j in delta] + [
        (grads.D[j].ravel(), [v for row in D[j] for v in row]) for j in D
    ]:
        scale = max(abs(e) for e in expected)
        for g, e in zip(got, expected, strict=True):
            assert abs(mpf(float(g)) - e) <= 1e-14 * max(abs(e), scale / 100), (g, e)
