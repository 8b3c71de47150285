"""PReLU with a slope per unit (issue 23): leaky_relu whose α is one number per unit,
read from YAML, ONNX, PyTorch modules and state_dicts, computed on every path and
written back out; checked against torch's nn.PReLU (an independent implementation), the
sample's hand derivation, and exact rationals (the function is piecewise linear)."""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from fractions import Fraction

import numpy as np
import pytest
import test_page
from test_page import assert_agrees, assert_arithmetic
from test_page_backward import deltas

import nncalc
from nncalc import activations
from nncalc.errors import NNCalcError
from nncalc.network import Layer, Network

from conftest import SAMPLES

SAMPLE = SAMPLES / "prelu.yaml"

open_page = test_page.open_page
"""The page in a real browser (test_page's fixture)."""


def random_prelu(seed: int, examples: int = 3) -> tuple[Network, np.ndarray]:
    """4 → 5 (PReLU, a slope per unit of either sign, some above 1) → 3 (PReLU) → 2."""
    rng = np.random.default_rng(seed)
    slopes = [rng.uniform(-2, 2, size=5).tolist(), rng.uniform(-2, 2, size=3).tolist()]
    layers = (
        Layer(rng.normal(size=(5, 5)), f"leaky_relu(alpha={slopes[0]})"),
        Layer(rng.normal(size=(3, 6)), activations.get("leaky_relu").with_params(alpha=slopes[1])),
        Layer(rng.normal(size=(2, 4)), "identity"),
    )
    return Network(layers, name=f"prelu {seed}"), rng.normal(size=(examples, 4)) * 3


def torch_prelu(net: Network):
    """The network as torch modules built here from its numbers (not nncalc's export)."""
    torch = pytest.importorskip("torch")
    modules = []
    for layer in net.layers:
        linear = torch.nn.Linear(layer.inputs, layer.units).double()
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layer.weights))
            linear.bias.copy_(torch.from_numpy(layer.bias))
        modules.append(linear)
        alpha = layer.g.value("alpha") if layer.g_name == "leaky_relu" else None
        if alpha is not None:
            prelu = torch.nn.PReLU(len(alpha)).double()
            with torch.no_grad():
                prelu.weight.copy_(torch.tensor(alpha, dtype=torch.float64))
            modules.append(prelu)
    return torch.nn.Sequential(*modules).eval()


def torch_out(model, X: np.ndarray) -> np.ndarray:
    torch = pytest.importorskip("torch")
    with torch.no_grad():
        return model(torch.from_numpy(X)).numpy()


# -- the activation and its text ------------------------------------------------------


def test_the_sample_by_hand():
    """The hand derivation written in samples/prelu.yaml: each unit its own slope."""
    trace = nncalc.load(SAMPLE).forward(nncalc.load(SAMPLE).inputs)
    assert trace.z[2].tolist() == [[-2.5, 0.5, 1.0], [-2.0, -1.5, 2.0]]
    assert trace.a[2].tolist() == [[0.25 * -2.5, 0.5, 1.0], [0.25 * -2.0, 0.1 * -1.5, 2.0]]


@pytest.mark.parametrize(
    ("text", "alpha"),
    [
        ("leaky_relu(alpha=[0.25, 0.1, -0.5])", (0.25, 0.1, -0.5)),
        ("Leaky-ReLU( alpha = [1,2] )", (1.0, 2.0)),
        ("leaky_relu(alpha=0.2)", 0.2),
    ],
)
def test_a_spec_reads_back_as_the_same_activation(text, alpha):
    g = activations.get(text)
    assert g.value("alpha") == alpha
    assert activations.get(g.spec) == g


@pytest.mark.parametrize(
    "text",
    [
        "leaky_relu(alpha=[])",
        "leaky_relu(alpha=[1, x])",
        "leaky_relu(alpha=[1, 2)",
        "leaky_relu(alpha=[nan, 1])",
        "elu(alpha=[1, 2])",
        "softplus(beta=[1, 2])",
    ],
)
def test_a_bad_list_is_refused(text):
    with pytest.raises(ValueError, match=r"alpha|beta"):
        activations.get(text)


def test_one_slope_per_unit_or_one_in_all():
    with pytest.raises(NNCalcError, match="3 values for 2 units"):
        Layer(np.ones((2, 3)), "leaky_relu(alpha=[1, 2, 3])")


@pytest.mark.parametrize("units", [3, 12, 13, 5000])
def test_a_long_list_of_slopes_is_shown_elided_and_kept_whole(units):
    """The label (tables, titles, SVG) and the LaTeX subscript elide a list wider than a
    table shows (the first 9, the count, the last 2); the spec keeps every slope."""
    from nncalc.render.solution import latex_g

    slopes = [float(i) for i in range(units)]
    g = activations.get("leaky_relu").with_params(alpha=slopes)
    assert activations.get(g.spec).value("alpha") == tuple(slopes)
    shown = re.findall(r"-?\d+", g.label.split("=", 1)[1])  # the count too, when elided
    if units <= 12:
        assert shown == [str(i) for i in range(units)]
        assert r"\ldots" not in latex_g(g.spec)
    else:
        hidden = units - 11
        assert f"… ({hidden} more) …" in g.label and r"\ldots" in latex_g(g.spec)
        assert shown[:9] == [str(i) for i in range(9)] and shown[-2:] == [
            str(units - 2),
            str(units - 1),
        ]


def test_unit_i_of_g_takes_its_own_slope():
    g = activations.get("leaky_relu(alpha=[0.5, -2])")
    assert [g.unit(i).spec for i in (0, 1)] == ["leaky_relu(alpha=0.5)", "leaky_relu(alpha=-2)"]
    assert g(np.array([[-1.0, -1.0], [3.0, 3.0]])).tolist() == [[-0.5, 2.0], [3.0, 3.0]]


# -- every path, against torch and exact rationals --------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_forward_agrees_with_torch_on_every_path(seed):
    """One example, a large batch (BLAS, threads) and the streaming outputs of forward -o
    all agree with nn.PReLU to 1e-12."""
    from nncalc import batch

    net, X = random_prelu(seed, 5000)
    want = torch_out(torch_prelu(net), X)
    np.testing.assert_allclose(net.forward(X[:1]).output, want[:1], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(net.forward(X).output, want, rtol=1e-12, atol=1e-12)
    streamed = np.vstack(list(batch.outputs(net, [X[:2500], X[2500:]], workers=2)))
    np.testing.assert_allclose(streamed, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(6))
def test_every_a_is_the_exact_value_rounded_once(seed):
    """For one example, z is exactly rounded and a_i = α_i·z_i is one product: each a of
    layer 2 is the exact rational α_i·z_i (from the float64 z) rounded once."""
    net, X = random_prelu(seed, 1)
    trace = net.forward(X)
    alpha = net.layers[0].g.value("alpha")
    for i, z in enumerate(trace.z[2][0].tolist()):
        exact = Fraction(z) if z >= 0 else Fraction(alpha[i]) * Fraction(z)
        assert trace.a[2][0][i] == float(exact)


@pytest.mark.parametrize("seed", range(4))
def test_backward_agrees_with_torch_autograd(seed):
    """D^(j) = ∂J/∂Θ^(j) through per-unit slopes (g′ = 1 or α_i) equals autograd's."""
    torch = pytest.importorskip("torch")
    net, X = random_prelu(seed, 4)
    Y = np.random.default_rng(seed).normal(size=(4, 2))
    grads = net.backward(X, Y)
    model = torch_prelu(net)
    h = model(torch.from_numpy(X))
    (((h - torch.from_numpy(Y)) ** 2).sum() / (2 * len(X))).backward()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    for j, linear in enumerate(linears, start=1):
        want = np.column_stack([linear.bias.grad.numpy(), linear.weight.grad.numpy()])
        np.testing.assert_allclose(grads.D[j], want, rtol=1e-12, atol=1e-13)


# -- files and other tools ------------------------------------------------------------


def test_save_and_load_keep_the_slopes(tmp_path):
    net, X = random_prelu(0)
    nncalc.save(net, tmp_path / "n.yaml")
    back = nncalc.load(tmp_path / "n.yaml")
    assert back.activations == net.activations
    assert back.forward(X).output.tolist() == net.forward(X).output.tolist()


@pytest.mark.parametrize(
    ("alpha", "message"),
    [
        ("[0.25, 0.1]", ":4: Θ^(1): alpha has 2 values for 3 units; give one number, or one"),
        ("[0.25, x, 1]", ":4:19: Θ^(1): alpha, entry 2: 'x' is not a number"),
        ("[]", ":4: Θ^(1): alpha should be a non-empty list of numbers"),
        ("[.inf, 1, 1]", ":4:13: Θ^(1): alpha, entry 1 is inf"),
    ],
)
def test_a_wrong_list_in_a_file_is_one_line_exit_2(run, write, alpha, message):
    text = "layers:\n  - theta: [[0, 1], [0, 1], [0, 1]]\n    activation: leaky_relu\n"
    path = write("n.yaml", text + f"    alpha: {alpha}\n")
    r = run("forward", path, "-x", "1")
    assert r.code == 2 and r.out == ""
    assert r.err.startswith(f"nncalc: error: {path}{message}") and r.err.count("\n") == 1


def test_a_default_list_of_slopes_fits_each_layer_or_is_refused(run, write):
    """The default g's slopes (at the top of the file) go to every layer without its own:
    each must have that many units; the first that has not is named, exit 2."""
    head = "activation: leaky_relu\nalpha: [0.5, -2]\nlayers:\n  - theta: [[0, 1], [0, 1]]\n"
    ok = run("forward", write("ok.yaml", head + "  - theta: [[0, 1, 1], [0, 1, -1]]\n"), "-x", "-1")
    # both layers take the default: z^(2) = [−1, −1], a^(2) = [0.5·(−1), −2·(−1)] = [−0.5, 2];
    # z^(3) = [−0.5 + 2, −0.5 − 2] = [1.5, −2.5], a^(3) = [1.5, −2·(−2.5)] = [1.5, 5]
    assert ok.code == 0 and "h_Θ(x) = a^(3) = [1.5, 5]" in ok.out
    path = write("bad.yaml", head + "  - theta: [[0, 1, 1]]\n")
    r = run("forward", path, "-x", "1")
    assert r.code == 2 and r.err.count("\n") == 1
    assert r.err.startswith(f"nncalc: error: {path}:5: Θ^(2): the default alpha has 2 values")


def test_a_long_list_of_slopes_is_read_as_theta_is(run, write):
    """300,000 slopes (read in bulk, like a matrix's rows) for a layer of 3,000 units:
    the right length computes, the wrong one is one line, exit 2."""
    n = 3000
    theta = "[" + ", ".join(["[0, 1]"] * n) + "]"
    out = "  - theta: [[0" + ", 1" * n + "]]\n    activation: identity\n"

    def net(slopes: int) -> str:
        alpha = "[" + ", ".join(["-0.5"] * slopes) + "]"
        return (
            f"layers:\n  - theta: {theta}\n    activation: leaky_relu\n    alpha: {alpha}\n" + out
        )

    ok = run("forward", write("ok.yaml", net(n)), "-x", "-2")
    assert ok.code == 0 and f"h_Θ(x) = a^(3) = [{n}]" in ok.out  # each a = −0.5·(−2) = 1
    r = run("forward", write("bad.yaml", net(100 * n)), "-x", "-2")
    assert r.code == 2 and r.err.count("\n") == 1
    assert "alpha has 300000 values for 3000 units" in r.err


@pytest.mark.parametrize("key", ["beta", "threshold"])
def test_a_list_for_a_parameter_of_one_number_is_refused(run, write, key):
    text = "layers:\n  - theta: [[0, 1], [0, 1]]\n    activation: softplus\n"
    r = run("forward", write("n.yaml", text + f"    {key}: [1, 2]\n"), "-x", "1")
    assert r.code == 2 and f":4:{len(key) + 7}: Θ^(1): {key}: a list is not a number\n" in r.err


def test_onnx_export_runs_in_onnxruntime(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    net, X = random_prelu(1, 50)
    nncalc.save_onnx(net, tmp_path / "p.onnx")
    got = ort.InferenceSession(str(tmp_path / "p.onnx")).run(None, {"x": X})[0]
    np.testing.assert_allclose(got, torch_out(torch_prelu(net), X), rtol=1e-12, atol=1e-12)
    back = nncalc.read_model(tmp_path / "p.onnx").network
    assert back.activations == net.activations


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_torch_s_onnx_of_a_prelu_per_unit(tmp_path, dynamo, dtype):
    """Both exporters, float64 and float32 models: the slopes as stored, one per unit."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("onnx")
    net, X = random_prelu(2, 20)
    model = torch_prelu(net).to(getattr(torch, dtype))
    path = tmp_path / "m.onnx"
    example = torch.from_numpy(X[:2]).to(getattr(torch, dtype))
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), str(path), dynamo=dynamo)
    read = nncalc.read_model(path)
    slopes = model[1].weight.detach().double().numpy().tolist()
    assert read.network.layers[0].g.value("alpha") == tuple(slopes)
    want = torch_out(model.double(), X)
    np.testing.assert_allclose(read.network(X), want, rtol=1e-12, atol=1e-12)
    if dtype == "float32":
        assert any("alpha of unit" in note for note in read.notes), read.notes


def test_from_torch_and_to_torch(tmp_path):
    torch = pytest.importorskip("torch")
    net, X = random_prelu(3, 40)
    model = torch_prelu(net)
    mine = nncalc.from_torch(model)
    assert mine.activations == net.activations
    np.testing.assert_allclose(mine(X), torch_out(model, X), rtol=1e-12, atol=1e-12)
    again = net.to_torch()
    assert isinstance(again[1], torch.nn.PReLU) and not again[1].weight.requires_grad
    np.testing.assert_allclose(torch_out(again, X), torch_out(model, X), rtol=0, atol=0)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_state_dict_round_trip(tmp_path, suffix):
    """nncalc's state_dict holds the slopes as the PReLU module's weight; a .safetensors
    says 'prelu' in its metadata, a .pt is read with --activations prelu."""
    pytest.importorskip("torch")
    pytest.importorskip("safetensors")
    from nncalc.interop import statedict

    net, X = random_prelu(4, 10)
    path = tmp_path / f"m{suffix}"
    statedict.save(net, path)
    g = None if suffix == ".safetensors" else ["prelu", "prelu", "identity"]
    back = nncalc.read_model(path, g).network
    assert back.activations == net.activations
    assert back(X).tolist() == net(X).tolist()


def test_a_state_dict_prelu_of_another_width_is_refused(tmp_path):
    torch = pytest.importorskip("torch")
    model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.PReLU(3), torch.nn.Linear(5, 2))
    torch.save(model.state_dict(), tmp_path / "m.pt")
    with pytest.raises(NNCalcError, match="has 3 slopes for the 5 units of layer 2"):
        nncalc.read_model(tmp_path / "m.pt", ["prelu", "identity"])


# -- what is shown ----------------------------------------------------------------------


def test_explain_and_backward_show_each_unit_its_slope(run):
    forward = run("forward", SAMPLE, "--explain").out
    assert "= LeakyReLU_(α=0.25)(−2.5) = −0.625" in forward
    assert "= LeakyReLU_(α=0.1)(−1.5) = −0.15" in forward
    backward = run("backward", SAMPLE, "-x", "1,2", "--y", "1", "--explain").out
    assert "·LeakyReLU_(α=0.25)′(−2.5)" in backward and "·0.25 = " in backward


def test_the_page_computes_each_unit_with_its_slope(open_page, run, tmp_path):
    """In Chromium: a, z and δ of every unit, and the arithmetic shown on focus."""
    from nncalc.render.page import to_page

    net, X = random_prelu(5, 1)
    trace = net.forward(X)
    tab = open_page(to_page(net, X[0]))
    assert_agrees(tab, trace)
    assert_arithmetic(tab, trace)
    y = [0.5, -1.0]
    tab = open_page(to_page(net, X[0], y=y, backward=True), name="backward.html")
    grads = net.backward(X, [y])
    for (j, i), d in deltas(tab).items():
        if j > 1:
            assert abs(d - grads.delta[j][0][i - 1]) <= 1e-12 * (1 + abs(d)), (j, i)
