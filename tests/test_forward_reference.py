"""Forward propagation on random networks, against the mpmath reference and PyTorch."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pytest
from mpmath import mp, mpf

from nncalc import activations
from nncalc.activations import ACTIVATIONS
from nncalc.network import Layer, Network

import reference as ref

NAMES = list(ACTIVATIONS)
DEPTHS = (1, 2, 3, 4)
SPELLINGS = ("theta", "weights", "from_thetas")
TOL = {"rtol": 1e-12, "atol": 1e-12}


@dataclass
class Spec:
    """A network described as plain arrays, to build with nncalc and to recompute elsewhere."""

    thetas: list[np.ndarray]
    names: list[str]
    gates: list[np.ndarray | None]
    betas: list[float]
    X: np.ndarray

    @property
    def L(self) -> int:
        return len(self.thetas) + 1


def random_spec(seed, sizes, names, batch, swiglu=None) -> Spec:
    """Θ with N(0, 1) entries and inputs N(0, 2²); ``swiglu`` maps a layer index (0-based)
    to the β of its gate."""
    swiglu = swiglu or {}
    rng = np.random.default_rng(seed)
    thetas, gates, betas = [], [], []
    for k, (n_in, n_out) in enumerate(pairwise(sizes)):
        thetas.append(rng.normal(size=(n_out, n_in + 1)))
        gates.append(rng.normal(size=(n_out, n_in + 1)) if k in swiglu else None)
        betas.append(swiglu.get(k, 1.0))
    X = rng.normal(scale=2.0, size=(batch, sizes[0]))
    return Spec(thetas, list(names), gates, betas, X)


def build(spec: Spec, spelling: str = "theta") -> Network:
    """The nncalc network for ``spec``, through one of the public spellings."""
    if spelling == "from_thetas":
        assert len(set(spec.names)) == 1
        assert all(g is None for g in spec.gates)
        return Network.from_thetas(*spec.thetas, activation=spec.names[0])
    layers = []
    for theta, name, gate, beta in zip(
        spec.thetas, spec.names, spec.gates, spec.betas, strict=True
    ):
        if gate is not None:
            layers.append(Layer(theta, gate=gate, beta=beta))
        elif spelling == "theta":
            layers.append(Layer(theta, name))
        else:
            layers.append(Layer.from_weights(theta[:, 1:], theta[:, 0], name))
    return Network(layers=tuple(layers))


def assert_trace_matches_reference(spec: Spec, trace) -> None:
    """Every z, gate pre-activation and a of every layer and example, to 1e-12."""
    L = spec.L
    assert sorted(trace.a) == list(range(1, L + 1))
    assert sorted(trace.z) == list(range(2, L + 1))
    assert sorted(trace.gate) == [k + 2 for k, g in enumerate(spec.gates) if g is not None]
    np.testing.assert_array_equal(trace.a[1], spec.X)
    for i, x in enumerate(spec.X):
        a_prev = [mpf(v) for v in x]
        layers = ref.forward(spec.thetas, spec.names, x, spec.gates, spec.betas)
        for j, (z, a) in enumerate(layers, start=2):
            where = f"layer {j}, example {i + 1}"
            np.testing.assert_allclose(trace.z[j][i], ref.to_float(z), **TOL, err_msg="z " + where)
            np.testing.assert_allclose(trace.a[j][i], ref.to_float(a), **TOL, err_msg="a " + where)
            gate = spec.gates[j - 2]
            if gate is not None:
                u = ref.to_float(ref.affine(gate, a_prev))
                np.testing.assert_allclose(trace.gate[j][i], u, **TOL, err_msg="gate " + where)
            a_prev = a


def shape_of(name: str, depth: int) -> tuple[list[int], int]:
    """Widths and batch size for one case, cycling so that the cases together use every
    width 1–7 and every batch size 1–5 (checked by test_cases_cover_every_shape)."""
    k = NAMES.index(name)
    sizes = [1 + (k + depth + 3 * i) % 7 for i in range(depth + 1)]
    return sizes, 1 + (k + 2 * depth) % 5


def case_spec(name: str, depth: int) -> Spec:
    sizes, batch = shape_of(name, depth)
    return random_spec(100 * NAMES.index(name) + depth, sizes, [name] * depth, batch)


CASES = [(name, depth) for name in NAMES for depth in DEPTHS]


def test_cases_cover_every_shape():
    shapes = [shape_of(name, depth) for name, depth in CASES]
    assert {w for sizes, _ in shapes for w in sizes} == set(range(1, 8))
    assert {batch for _, batch in shapes} == set(range(1, 6))


def test_reference_knows_every_activation():
    assert set(ref.NAMES) == set(NAMES)


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize(("name", "depth"), CASES)
def test_matches_mpmath(name, depth, spelling):
    spec = case_spec(name, depth)
    trace = build(spec, spelling).forward(spec.X)
    assert trace.output.shape == (spec.X.shape[0], spec.thetas[-1].shape[0])
    assert_trace_matches_reference(spec, trace)


@pytest.mark.parametrize(("name", "depth"), CASES)
def test_spellings_build_the_same_network(name, depth):
    spec = case_spec(name, depth)
    nets = [build(spec, spelling) for spelling in SPELLINGS]
    traces = [net.forward(spec.X) for net in nets]
    for net, trace in zip(nets[1:], traces[1:], strict=True):
        assert net.activations == nets[0].activations == [name] * depth
        for j in range(1, depth + 1):
            np.testing.assert_array_equal(net.theta(j), spec.thetas[j - 1])
        for j in range(2, depth + 2):
            np.testing.assert_array_equal(trace.z[j], traces[0].z[j])
            np.testing.assert_array_equal(trace.a[j], traces[0].a[j])


def swiglu_spec(beta: float, depth: int, pattern: str) -> Spec:
    """SwiGLU on every layer ("all") or on every other one, the rest cycling through g."""
    sizes = [1 + (depth + 2 * i) % 7 for i in range(depth + 1)]
    gated = range(depth) if pattern == "all" else range(depth % 2, depth, 2)
    names = [NAMES[(depth + k) % len(NAMES)] for k in range(depth)]
    seed = 7000 + 10 * depth + (pattern == "all") + (beta != 1.0) * 100
    return random_spec(seed, sizes, names, 1 + depth, dict.fromkeys(gated, beta))


SWIGLU_CASES = [
    (beta, depth, pattern)
    for beta in (1.0, 1.7)
    for depth in DEPTHS
    for pattern in ("all", "mixed")
]


@pytest.mark.parametrize(("beta", "depth", "pattern"), SWIGLU_CASES)
def test_swiglu_matches_mpmath(beta, depth, pattern):
    spec = swiglu_spec(beta, depth, pattern)
    net = build(spec)
    assert [layer.beta for layer in net.layers if layer.gate is not None] == [
        b for b, g in zip(spec.betas, spec.gates, strict=True) if g is not None
    ]
    assert all(
        (layer.activation == activations.SWIGLU) == (gate is not None)
        for layer, gate in zip(net.layers, spec.gates, strict=True)
    )
    assert_trace_matches_reference(spec, net.forward(spec.X))


def mixed_spec(seed: int) -> Spec:
    """Any activation on any layer, and now and then a SwiGLU layer."""
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 5))
    sizes = [int(s) for s in rng.integers(1, 8, size=depth + 1)]
    names = [str(n) for n in rng.choice(NAMES, size=depth)]
    swiglu = {k: float(rng.choice([1.0, 1.7])) for k in range(depth) if rng.random() < 0.3}
    return random_spec(seed, sizes, names, int(rng.integers(1, 6)), swiglu)


@pytest.mark.parametrize("seed", range(12))
def test_mixed_networks_match_mpmath(seed):
    spec = mixed_spec(seed)
    assert_trace_matches_reference(spec, build(spec).forward(spec.X))


# -- PyTorch, float64 -------------------------------------------------------------------


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def torch_forward(torch, spec: Spec):
    """[(z, u or None, a)] per layer, with torch.nn.functional in float64."""
    F = torch.nn.functional
    g = ref.torch_g(torch)
    a = torch.tensor(spec.X, dtype=torch.float64)
    out = []
    for theta, name, gate, beta in zip(
        spec.thetas, spec.names, spec.gates, spec.betas, strict=True
    ):
        t = torch.tensor(theta, dtype=torch.float64)
        z = F.linear(a, t[:, 1:], t[:, 0])
        if gate is None:
            u, a = None, g[name](z)
        else:
            v = torch.tensor(gate, dtype=torch.float64)
            u = F.linear(a, v[:, 1:], v[:, 0])
            a = z * (u * torch.sigmoid(beta * u))
        out.append((z, u, a))
    return out


def assert_trace_matches_torch(torch, spec: Spec, trace) -> None:
    for j, (z, u, a) in enumerate(torch_forward(torch, spec), start=2):
        assert z.dtype == a.dtype == torch.float64
        np.testing.assert_allclose(trace.z[j], z.numpy(), **TOL, err_msg=f"z of layer {j}")
        np.testing.assert_allclose(trace.a[j], a.numpy(), **TOL, err_msg=f"a of layer {j}")
        if u is not None:
            np.testing.assert_allclose(trace.gate[j], u.numpy(), **TOL, err_msg=f"gate {j}")


@pytest.mark.parametrize("spelling", ["theta", "weights"])
@pytest.mark.parametrize(("name", "depth"), CASES)
def test_matches_torch(torch, name, depth, spelling):
    spec = case_spec(name, depth)
    assert_trace_matches_torch(torch, spec, build(spec, spelling).forward(spec.X))


@pytest.mark.parametrize(("beta", "depth", "pattern"), SWIGLU_CASES)
def test_swiglu_matches_torch(torch, beta, depth, pattern):
    spec = swiglu_spec(beta, depth, pattern)
    assert_trace_matches_torch(torch, spec, build(spec).forward(spec.X))


@pytest.mark.parametrize("seed", range(12))
def test_mixed_networks_match_torch(torch, seed):
    spec = mixed_spec(seed)
    assert_trace_matches_torch(torch, spec, build(spec).forward(spec.X))


# -- batches ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_a_vector_is_a_batch_of_one(name):
    spec = random_spec(11, [4, 3, 2], [name, name], 1)
    net = build(spec)
    x = spec.X[0]
    one = net.forward(x)
    batch = net.forward(x[np.newaxis, :])
    assert len(one) == 1
    assert one.a[1].shape == (1, 4)
    assert one.z[2].shape == one.a[2].shape == (1, 3)
    assert one.output.shape == (1, 2)
    assert one.predictions.shape == (1,)
    for j in (2, 3):
        np.testing.assert_array_equal(one.z[j], batch.z[j])
        np.testing.assert_array_equal(one.a[j], batch.a[j])
    np.testing.assert_array_equal(net(x), one.output)


@pytest.mark.parametrize("name", NAMES)
def test_examples_in_a_batch_are_independent(name):
    """A batch gives each row what that row gives alone (to rounding: BLAS may sum a
    matrix product and a vector product in different orders; log_softmax passes z's
    rounding on absolutely, so a is judged against the size of z)."""
    spec = random_spec(12, [5, 6, 4, 3], [name] * 3, 5, swiglu={1: 1.7})
    net = build(spec)
    trace = net.forward(spec.X)
    assert len(trace) == 5
    for i, x in enumerate(spec.X):
        alone = net.forward(x)
        for j in range(2, net.L + 1):
            np.testing.assert_allclose(trace.z[j][i], alone.z[j][0], rtol=1e-14, atol=1e-14)
            scale = max(1.0, float(np.abs(alone.z[j]).max()))
            np.testing.assert_allclose(trace.a[j][i], alone.a[j][0], rtol=1e-14, atol=1e-14 * scale)
        assert trace.predictions[i] == alone.predictions[0]


# -- the lecture's numbers, by hand ----------------------------------------------------


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_lecture_neuron_saturates_but_keeps_its_gap():
    net = Network.from_thetas([[-0.5, -2, 4, 1.5]])
    trace = net.forward([66, 39, 12])
    assert trace.z[2][0, 0] == 41.5  # −0.5 − 2·66 + 4·39 + 1.5·12 = −0.5 − 132 + 156 + 18
    assert trace.a[2][0, 0] == 1.0  # σ(41.5) = 1 − 9.5e-19, which float64 rounds to 1
    assert trace.predictions.tolist() == [1]
    gap = ACTIVATIONS["sigmoid"].gap(trace.z[2])[0, 0]
    e = mp.exp(-mpf("41.5"))
    expected = e / (1 + e)
    assert abs(mpf(gap) - expected) <= mpf("1e-14") * expected
    assert 9.4e-19 < gap < 9.5e-19


def test_lecture_3_3_1():
    # x = (2, −1, 0.5):  row 1:  0 + 1·2 + 1·(−1) + 0·0.5     = 1
    #                    row 2:  1 + 0.5·2 + 0·(−1) + 0·0.5   = 2
    #                    row 3: −1 + 1·2 + (−1)·(−1) + 2·0.5  = 3
    theta1 = [[0, 1, 1, 0], [1, 0.5, 0, 0], [-1, 1, -1, 2]]
    theta2 = [[-1.5, 1, 1, 1]]
    trace = Network.from_thetas(theta1, theta2).forward([2, -1, 0.5])
    assert trace.z[2].tolist() == [[1.0, 2.0, 3.0]]
    a2 = [1 / (1 + math.exp(-1)), 1 / (1 + math.exp(-2)), 1 / (1 + math.exp(-3))]
    np.testing.assert_allclose(trace.a[2][0], a2, rtol=1e-15, atol=0)
    z3 = -1.5 + a2[0] + a2[1] + a2[2]
    assert math.isclose(trace.z[3][0, 0], z3, rel_tol=1e-15)
    assert math.isclose(trace.output[0, 0], sigma(z3), rel_tol=1e-15)


# -- sums that overflow on the way but not in value (issue 22 §3) -------------------------


@pytest.mark.parametrize("examples", [1, 5000])
def test_a_representable_sum_is_not_an_overflow(examples):
    """θ = [0, 1e308, 1e308, −1e308], x = [1, 1, 1]: the exact z is 1e308, though BLAS's
    1e308 + 1e308 overflows; the NumPy path (5000 examples) recomputes it exactly, as the
    plain path's exact sums do, and the streaming path too."""
    from nncalc import batch

    net = Network.from_thetas([[0, 1e308, 1e308, -1e308]], activation="identity")
    X = np.ones((examples, 3))
    assert net.small_work(examples) == (examples == 1)
    assert net.forward(X).z[2].ravel().tolist() == [1e308] * examples
    assert next(batch.outputs(net, [X], workers=1)).ravel().tolist() == [1e308] * examples


@pytest.mark.parametrize("seed", range(4))
def test_overflow_on_the_way_recomputed_exactly_on_every_path(seed):
    """Random huge weights whose sums cancel: every path gives the exact sum rounded once
    where it is finite, and refuses (the same error) where it is not."""
    from fractions import Fraction

    from nncalc import batch
    from nncalc.errors import NNCalcError

    rng = np.random.default_rng(seed)
    theta = rng.choice([-1.0, 1.0], size=(3, 5)) * rng.uniform(0.5, 1.7, size=(3, 5)) * 1e308
    X = rng.choice([0.0, 1.0], size=(2500, 4))
    exact = [
        [Fraction(row[0]) + sum(Fraction(w) * Fraction(v) for w, v in zip(row[1:], x, strict=True))
         for row in theta]
        for x in X[:40]
    ]  # fmt: skip
    finite = all(abs(v) <= Fraction(np.finfo(np.float64).max) for r in exact for v in r)
    net = Network.from_thetas(theta, activation="identity")
    for run in (lambda: net.forward(X[:40]).z[2], lambda: net.forward(X).z[2][:40],
                lambda: next(batch.outputs(net, [X], workers=1))[:40]):  # fmt: skip
        if finite:
            assert run().tolist() == [[float(v) for v in r] for r in exact]
        else:
            with pytest.raises(NNCalcError, match="values overflow float64"):
                run()


# -- g itself may overflow where z does not: α·z, z·swish(u), log 2/β -----------------


def _g_layers():
    """A layer for every activation and every extreme value of each of its parameters,
    and SwiGLU layers, each with z (and u) over float64's range."""
    from nncalc.activations import ACTIVATIONS

    theta = np.array([[0.0, v] for v in (1.7e308, -1.7e308, 1e300, -1e300, 1.0, -1.0, 0.0)])
    for name, g in ACTIVATIONS.items():
        yield name, Layer(theta, name)
        for p in g.params:
            for v in (1e300, -1e300, 5e-324, 1e-300):
                if not p.problem(v):
                    yield f"{name}({p.name}={v})", Layer(theta, f"{name}({p.name}={v})")
    for beta in (1.0, 1e-300, 5e-324):
        yield f"swiglu β={beta}", Layer(theta, gate=theta[::-1].copy(), beta=beta)


@pytest.mark.parametrize(("label", "layer"), [pytest.param(*c, id=c[0]) for c in _g_layers()])
def test_an_activation_that_overflows_is_refused_on_every_path(label, layer):
    """Whatever g a layer has and whatever its parameters, an a^(2) that overflows is the
    same refusal on every path (the exact small one, the NumPy trace, the streaming
    outputs and one layer's forward), never an internal error or an infinite a feeding the
    next layer; where it is finite every path gives the same values."""
    from nncalc import batch
    from nncalc.errors import NNCalcError

    net = Network((layer, Layer(np.array([[0.5, 1.0] + [0.0] * (layer.units - 1)]), "identity")))
    X = np.ones((5000, 1))
    paths = {
        "small": lambda: np.vstack([net.forward(X[:1]).a[2]] * 2),
        "trace": lambda: net.forward(X).a[2][:2],
        "outputs": lambda: next(batch.outputs(net, [X], workers=1))[:2],
        "layer": lambda: layer.forward(X[:2], 2)[2],
    }
    got = {}
    for path, run in paths.items():
        try:
            got[path] = run()
        except NNCalcError as e:
            got[path] = str(e)
    refused = {k: v for k, v in got.items() if isinstance(v, str)}
    assert all("layer 2: values overflow float64" in e for e in refused.values()), refused
    assert len(refused) in (0, len(paths)), (label, refused)
    if not refused:
        a2 = got["small"][0]
        assert np.isfinite(a2).all()
        for path in ("trace", "layer"):
            np.testing.assert_allclose(got[path][0], a2, rtol=1e-15, atol=0, err_msg=path)
