"""The activations with parameters and the newer ones (issue 13) through ONNX and PyTorch:
every spelling torch.onnx.export writes, both exporters, against the torch module in
float64; nncalc's own export against onnxruntime; round trips; from_torch and to_torch."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

import nncalc
from nncalc.errors import NNCalcError
from nncalc.interop import onnxread
from nncalc.network import Layer, Network

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
nn = torch.nn

SPECS = [
    "leaky_relu(alpha=0.2)",
    "leaky_relu(alpha=-0.5)",
    "leaky_relu(alpha=3)",
    "log_softmax",
    "softplus(beta=2)",
    "softplus(threshold=20)",
    "softplus(beta=0.3, threshold=1)",
    "gelu_tanh",
    "elu",
    "elu(alpha=0.5)",
    "relu6",
    "hardswish",
    "mish",
]
MODULES = {  # module -> what nncalc reads from every exporter's file
    "LeakyReLU(0.25)": (lambda: nn.LeakyReLU(0.25), "leaky_relu(alpha=0.25)"),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=1), "log_softmax"),
    "Softplus()": (lambda: nn.Softplus(), "softplus(threshold=20)"),
    "Softplus(1, 1)": (lambda: nn.Softplus(threshold=1), "softplus(threshold=1)"),
    "Softplus(2, 1)": (lambda: nn.Softplus(beta=2, threshold=1), "softplus(beta=2, threshold=1)"),
    "GELU-tanh": (lambda: nn.GELU(approximate="tanh"), "gelu_tanh"),
    "ELU(0.5)": (lambda: nn.ELU(0.5), "elu(alpha=0.5)"),
    "ReLU6": (lambda: nn.ReLU6(), "relu6"),
    "Hardswish": (lambda: nn.Hardswish(), "hardswish"),
    "Mish": (lambda: nn.Mish(), "mish"),
}

TORCHSCRIPT_SOFTPLUS = {
    "Softplus()": "softplus",
    "Softplus(1, 1)": "softplus",
    "Softplus(2, 1)": "softplus(beta=2)",
}


def run_ort(model, X):
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": X})[0]


def network(g, seed=0):
    rng = np.random.default_rng(seed)
    return Network((Layer(rng.normal(0, 3, (6, 4)), g), Layer(rng.normal(0, 3, (5, 7)), g)))


def extreme_inputs():
    """z from 1e-3 to about ±1000 in size, so every tail is reached."""
    rng = np.random.default_rng(1)
    return rng.normal(size=(300, 3)) * 10.0 ** rng.uniform(-3, 2.5, (300, 1))


def sequential(g):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 6), g, nn.Linear(6, 4)).double().eval()


def export(model, path, dynamo, opset):
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        x = torch.zeros(2, 3, dtype=torch.float64)
        torch.onnx.export(model, (x,), str(path), dynamo=dynamo, opset_version=opset)
    return path


@pytest.mark.parametrize("g", SPECS)
def test_export_is_exact_on_onnxruntime_and_reads_back_bit_for_bit(g):
    net = network(g)
    model = net.to_onnx()
    X = extreme_inputs()
    np.testing.assert_allclose(run_ort(model, X), net(X), rtol=1e-12, atol=1e-300)
    back = onnxread.from_model(model)
    assert back.notes == ()
    for mine, theirs in zip(net.layers, back.network.layers, strict=True):
        assert theirs.activation == mine.activation == nncalc.activations.get(g).spec
        assert np.array_equal(mine.theta, theirs.theta)


def test_exported_log_softmax_keeps_the_top_units_tiny_log():
    """ln p = −log1p(e^−40) = −4.25e-18 for z = [0, −40]; LogSoftmax alone gives 0."""
    net = Network((Layer(np.array([[0.0, 1.0], [-40.0, 1.0]]), "log_softmax"),))
    got = run_ort(net.to_onnx(), np.array([[0.0]]))
    assert got[0, 0] == -np.log1p(np.exp(-40.0)) != 0.0


def export_cases():
    """Each module at opset 18, and GELU-tanh, the one whose spelling changes with the opset
    (Gelu from 20, z·(1 + tanh(y))/2 before), at 17 and 20 too."""
    for module in MODULES:
        for opset in (17, 18, 20) if module == "GELU-tanh" else (18,):
            yield pytest.param(module, opset, id=f"{module}-{opset}")


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
@pytest.mark.parametrize(("module", "opset"), list(export_cases()))
def test_torch_exports_agree_with_torch(module, dynamo, opset, tmp_path):
    make, spec = MODULES[module]
    model = sequential(make())
    imported = nncalc.read_model(export(model, tmp_path / "m.onnx", dynamo, opset))
    g = imported.network.activations[0]
    X = np.random.default_rng(0).normal(size=(200, 3)) * 4
    if module in TORCHSCRIPT_SOFTPLUS and not dynamo:
        # TorchScript writes no threshold: the file computes softplus everywhere
        assert g == TORCHSCRIPT_SOFTPLUS[module]
        assert any("TorchScript exporter" in note for note in imported.notes)
        model[1].threshold = 40.0  # torch's, with a threshold that changes no float64 value
    else:
        assert g == spec
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(imported.network(X), expected, rtol=1e-12, atol=1e-12)


def test_default_softplus_from_dynamo_matches_torch_past_its_threshold(tmp_path):
    """Where(z > 20, z, Softplus(z)) is PyTorch's softplus with threshold 20 exactly: z of
    30 and 200 give z (log(1 + e^z) would be 9.4e-14 more at 30)."""
    model = sequential(nn.Softplus())
    net = nncalc.read_model(export(model, tmp_path / "m.onnx", True, 18)).network
    X = np.random.default_rng(2).normal(size=(300, 3)) * 30
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(net(X), expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_float32_slope_is_read_as_stored_with_a_note(dynamo, tmp_path):
    """LeakyRelu's alpha attribute is float32: 0.2 is stored as 0.20000000298023224."""
    model = sequential(nn.LeakyReLU(0.2))
    imported = nncalc.read_model(export(model, tmp_path / "m.onnx", dynamo, 18))
    alpha = float(np.float32(0.2))
    assert imported.network.activations[0] == f"leaky_relu(alpha={alpha!r})"
    assert any("float32 0.20000000298023224" in n and "1.5e-08" in n for n in imported.notes)
    model[1].negative_slope = alpha
    X = np.random.default_rng(0).normal(size=(100, 3)) * 4
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(imported.network(X), expected, rtol=1e-12, atol=1e-12)


def test_max_spelling_reads_its_float32_constant():
    """Max(z, z·c) with c = float32(0.01) is LeakyReLU with that c, not 0.01."""
    from onnx import TensorProto, helper, numpy_helper

    c = np.array(0.01, np.float32)
    nodes = [
        helper.make_node("Gemm", ["x", "W", "b"], ["z"], transB=1),
        helper.make_node("Mul", ["z", "c"], ["zc"]),
        helper.make_node("Max", ["z", "zc"], ["h"]),
    ]
    inits = [
        numpy_helper.from_array(np.ones((2, 2)), "W"),
        numpy_helper.from_array(np.zeros(2), "b"),
        numpy_helper.from_array(c, "c"),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 2])],
        [helper.make_tensor_value_info("h", TensorProto.DOUBLE, ["N", 2])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    imported = onnxread.from_model(model)
    assert imported.network.layers[0].g.value("alpha") == float(c) != 0.01
    assert imported.notes


def test_max_spelling_is_not_leaky_relu_for_a_slope_above_one():
    """Max(z, 2z) is 2z above 0 and z below: not a LeakyReLU, so refused."""
    net = network("leaky_relu(alpha=0.5)")
    model = net.to_onnx()
    for tensor in model.graph.initializer:
        if tensor.name.startswith("const") and onnx.numpy_helper.to_array(tensor) == 0.5:
            tensor.CopyFrom(onnx.numpy_helper.from_array(np.array(2.0), tensor.name))
    with pytest.raises(NNCalcError, match="does not compute an activation"):
        onnxread.from_model(model)


@pytest.mark.parametrize("module", MODULES)
def test_from_torch_and_to_torch(module):
    make, spec = MODULES[module]
    model = sequential(make())
    net = nncalc.from_torch(model)
    assert net.activations == [spec, "identity"]
    X = np.random.default_rng(0).normal(size=(200, 3)) * 10
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
        back = net.to_torch()(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(net(X), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(back, expected)


def test_to_torch_gives_exact_softplus_a_threshold_that_changes_nothing():
    """PyTorch's Softplus always has a threshold; 40 changes no float64 value."""
    net = network("softplus")
    module = net.to_torch()[1]
    assert (module.beta, module.threshold) == (1.0, 40.0)
    X = extreme_inputs()
    with torch.no_grad():
        got = net.to_torch()(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(got, net(X), rtol=1e-12, atol=1e-300)


def test_gelu_and_gelu_tanh_are_never_confused():
    assert nncalc.from_torch(sequential(nn.GELU())).activations[0] == "gelu"
    assert nncalc.from_torch(sequential(nn.GELU(approximate="tanh"))).activations[0] == "gelu_tanh"
    assert network("gelu").to_torch()[1].approximate == "none"
    assert network("gelu_tanh").to_torch()[1].approximate == "tanh"
    assert onnxread.from_model(network("gelu_tanh").to_onnx()).network.activations[0] == "gelu_tanh"


def test_safetensors_metadata_keeps_the_parameters(tmp_path):
    net = network("softplus(beta=2, threshold=5)")
    from nncalc.interop import statedict

    statedict.save(net, tmp_path / "n.safetensors")
    back = nncalc.read_model(tmp_path / "n.safetensors").network
    assert back.activations == net.activations
