"""ONNX in and out, checked against onnxruntime, PyTorch and scikit-learn's own outputs.

Every expected number comes from another implementation: onnxruntime running the
exported file, torch running the module that was exported, predict_proba of the
classifier that skl2onnx converted.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nncalc
from nncalc.errors import NNCalcError
from nncalc.interop import onnxread
from nncalc.network import Layer, Network

from conftest import SAMPLES

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

PLAIN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax", "softplus", "silu", "step"]


def run_ort(model, X):
    """h_Θ(X) as onnxruntime computes it from the model's bytes."""
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})[0]


def random_network(g_hidden, g_out, sizes=(3, 6, 5, 4), seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    layers = []
    for j, (a, b) in enumerate(pairwise(sizes), start=1):
        g = g_out if j == len(sizes) - 1 else g_hidden
        layers.append(Layer(rng.normal(0, scale, (b, a + 1)), g))
    return Network(tuple(layers), f"random {g_hidden}/{g_out}")


def extreme_inputs(s1, seed=1):
    """Inputs from 1e-3 to 1e3 in size, so z reaches the activations' far tails."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(200, s1)) * 10.0 ** rng.uniform(-3, 3, (200, 1))


def assert_same_layers(net, back):
    """The same Θ^(j) bit for bit, the same g, gates and β."""
    assert len(net.layers) == len(back.layers)
    for mine, theirs in zip(net.layers, back.layers, strict=True):
        assert np.array_equal(mine.theta, theirs.theta)
        assert mine.activation == theirs.activation and mine.beta == theirs.beta
        assert (mine.gate is None) == (theirs.gate is None)
        if mine.gate is not None:
            assert np.array_equal(mine.gate, theirs.gate)


def assert_same(got, expected):
    """Equal to 1e-12 relative; values below float64's normal range (|y| < 1e-300,
    where nncalc keeps subnormal values a runtime may flush to 0) compared absolutely."""
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)


# -- export: what onnxruntime computes from the file is what nncalc computes --------


@pytest.mark.parametrize("g", PLAIN)
def test_export_runs_in_onnxruntime_with_nncalc_outputs(g, tmp_path):
    net = random_network(g, g if g != "softmax" else "softmax", scale=3.0)
    path = tmp_path / "net.onnx"
    nncalc.save_onnx(net, path)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    X = extreme_inputs(3)
    assert_same(run_ort(model, X), net(X))


@pytest.mark.parametrize("beta", [None, 1.0, 1.7])
def test_export_swiglu_runs_in_onnxruntime(beta):
    rng = np.random.default_rng(2)
    swiglu = Layer(rng.normal(size=(4, 3)), gate=rng.normal(size=(4, 3)), beta=beta)
    net = Network((swiglu, Layer(rng.normal(size=(2, 5)), "softmax")))
    X = extreme_inputs(2)
    # softmax passes z's absolute error on as relative error: at z ≈ −580 (outputs near
    # 1e-254) the two runtimes' roundings of z (each within a few ulps) differ by 3e-12
    np.testing.assert_allclose(run_ort(net.to_onnx(), X), net(X), rtol=1e-11, atol=1e-300)


def test_exported_sigmoid_is_exact_where_onnxruntimes_own_is_not():
    """ORT's float64 Sigmoid gives σ(−20) = 2.06115369216775e-09 (3.6e-9 off) and 0 for
    σ(−40) = 4.2e-18; the exported 1/(1 + e^−z) gives both to the last digits."""
    net = Network.from_thetas([[0.0, 1.0]])
    z = np.array([[-700.0], [-100.0], [-40.0], [-20.0], [0.0], [20.0], [700.0]])
    exact = 1 / (1 + np.exp(-z))  # no overflow for these z
    assert_same(run_ort(net.to_onnx(), z), exact)


def test_export_names_the_lectures_tensors():
    net = nncalc.load(SAMPLES / "lecture-3-3-1.yaml")
    graph = net.to_onnx().graph
    assert [i.name for i in graph.input] == ["x"]
    assert [o.name for o in graph.output] == ["h"]
    produced = {name for node in graph.node for name in node.output}
    assert {"z2", "a2", "z3", "h"} <= produced
    assert {i.name for i in graph.initializer} >= {"W1", "b1", "W2", "b2"}
    W1 = next(onnx.numpy_helper.to_array(i) for i in graph.initializer if i.name == "W1")
    np.testing.assert_array_equal(W1, net.theta(1)[:, 1:])


def test_export_gelu_is_onnxs_exact_gelu():
    """onnxruntime has no float64 Gelu (nor Erf), so the graph is checked for what it says
    and run with ONNX's reference evaluator, whose Gelu is only float32-accurate."""
    from onnx.reference import ReferenceEvaluator

    net = random_network("gelu", "identity")
    model = net.to_onnx()
    gelus = [n for n in model.graph.node if n.op_type == "Gelu"]
    assert len(gelus) == 2
    assert all(onnx.helper.get_attribute_value(n.attribute[0]) == b"none" for n in gelus)
    assert model.opset_import[0].version == 20
    X = np.random.default_rng(3).normal(size=(50, 3))
    got = ReferenceEvaluator(model).run(None, {"x": X})[0]
    np.testing.assert_allclose(got, net(X), rtol=1e-6, atol=1e-6)


def test_export_cli_and_its_note(run, tmp_path):
    gelu = tmp_path / "gelu.yaml"
    gelu.write_text("layers: [{theta: [[0, 1]], activation: gelu}]\n")
    result = run("export", gelu, "-o", tmp_path / "gelu.onnx")
    assert result.code == 0
    assert "onnxruntime has no float64 kernel" in result.err
    result = run("export", SAMPLES / "vehicles.yaml", "-o", tmp_path / "v.onnx")
    assert result.code == 0 and "nncalc: note" not in result.err
    X = np.random.default_rng(0).normal(size=(5, 3))
    expected = nncalc.load(SAMPLES / "vehicles.yaml")(X)
    assert_same(run_ort(onnx.load(tmp_path / "v.onnx"), X), expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "{tmp}/net.txt"], "unknown output format '.txt'"),
        (["-o", "{tmp}/missing/net.onnx"], "the folder does not exist"),
        ([], "missing option '--output'"),
    ],
)
def test_export_bad_usage(run, tmp_path, args, message):
    args = [a.format(tmp=tmp_path) for a in args]
    result = run("export", SAMPLES / "slide-neuron.yaml", *args)
    assert result.code == 2
    assert message in result.err
    assert len(result.err.splitlines()) == 1


# -- round trips: export then import gives the very same network ------------------


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.yaml")))
def test_round_trip_is_bit_for_bit(sample, tmp_path):
    net = nncalc.load(SAMPLES / sample)
    nncalc.save_onnx(net, tmp_path / "net.onnx")
    back = nncalc.read_model(tmp_path / "net.onnx").network
    assert back.name == net.name and back.classes == net.classes
    assert_same_layers(net, back)


@pytest.mark.parametrize("g", [*PLAIN, "gelu"])
def test_round_trip_every_activation(g):
    net = random_network(g, g)
    assert_same_layers(net, onnxread.from_model(net.to_onnx()).network)


# -- import: PyTorch's exporters ----------------------------------------------------


def _torch():
    return pytest.importorskip("torch")


def torch_export(model, path, dynamo, x=None):
    """torch.onnx.export, quietly (it prints progress and warns about its own internals)."""
    torch = _torch()
    x = torch.zeros(2, model[0].in_features if hasattr(model[0], "in_features") else 3)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (x.double(),), str(path), dynamo=dynamo)
    return path


def torch_stack(*modules, sizes=(3, 7, 5, 4), bias=True):
    torch = _torch()
    torch.manual_seed(0)
    layers = []
    for (a, b), g in zip(pairwise(sizes), modules, strict=True):
        layers += [torch.nn.Linear(a, b, bias=bias, dtype=torch.float64), g]
    return torch.nn.Sequential(*layers)


def torch_cases():
    torch = _torch()
    nn = torch.nn
    return {
        "sigmoid-tanh-softmax": torch_stack(nn.Sigmoid(), nn.Tanh(), nn.Softmax(dim=-1)),
        "relu-leaky-identity": torch_stack(nn.ReLU(), nn.LeakyReLU(), nn.Identity()),
        "silu-gelu-sigmoid": torch_stack(nn.SiLU(), nn.GELU(), nn.Sigmoid()),
        "softplus-relu-softmax1": torch_stack(nn.Softplus(), nn.ReLU(), nn.Softmax(dim=1)),
        "no-bias": torch_stack(nn.ReLU(), nn.Tanh(), nn.Identity(), bias=False),
    }


CASES = [
    "sigmoid-tanh-softmax",
    "relu-leaky-identity",
    "silu-gelu-sigmoid",
    "softplus-relu-softmax1",
    "no-bias",
]


@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
@pytest.mark.parametrize("case", CASES)
def test_import_torch_export_agrees_with_torch(case, dynamo, tmp_path):
    torch = _torch()
    model = torch_cases()[case]
    path = torch_export(model, tmp_path / "m.onnx", dynamo)
    imported = nncalc.read_model(path)
    X = np.random.default_rng(0).normal(size=(100, 3)) * 3
    if case.startswith("relu-leaky"):  # LeakyRelu's alpha attribute is float32, read as such
        model[3].negative_slope = float(np.float32(0.01))
        assert any("alpha as float32 0.009999999776482582" in n for n in imported.notes)
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    assert_same(imported.network(X), expected)
    assert imported.network.sizes == [3, 7, 5, 4]


def test_import_torch_export_with_flatten_and_external_weights(tmp_path):
    """torch writes large weights to MODEL.onnx.data beside the model; nn.Flatten first."""
    torch = _torch()
    nn = torch.nn
    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 10), nn.Softmax(dim=1)
    ).double()
    x = torch.zeros(2, 1, 28, 28, dtype=torch.float64)
    for dynamo in (True, False):
        path = tmp_path / f"mnist-{dynamo}.onnx"
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(model.eval(), (x,), str(path), dynamo=dynamo, external_data=True)
        net = nncalc.read_model(path).network
        X = np.random.default_rng(0).uniform(0, 1, (20, 1, 28, 28))
        with torch.no_grad():
            expected = model(torch.from_numpy(X)).numpy()
        assert_same(net(X.reshape(20, 784)), expected)


@pytest.mark.parametrize(
    ("module", "message"),
    [("LayerNorm", "cannot represent the operator LayerNormalization")],
)
def test_import_unsupported_operators(run, tmp_path, module, message):
    torch = _torch()
    nn = torch.nn
    g = {"LayerNorm": nn.LayerNorm(7, dtype=torch.float64)}[module]
    path = torch_export(torch_stack(g, nn.ReLU(), nn.Identity()), tmp_path / "m.onnx", True)
    (tmp_path / "old.yaml").write_text("kept\n")
    result = run("import", path, "-o", tmp_path / "old.yaml")
    assert result.code == 2
    assert message in result.err
    assert "supported: Gemm, MatMul (+ Add), FusedGemm or FusedMatMul" in result.err
    assert len(result.err.splitlines()) == 1
    assert (tmp_path / "old.yaml").read_text() == "kept\n"  # never clobbered


# -- import: scikit-learn through skl2onnx ------------------------------------------


def _skl2onnx():
    return pytest.importorskip("skl2onnx")


def fitted(kind, activation, y_kind):
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4))
    y = {
        "multiclass": rng.integers(0, 3, 120),
        "names": np.array(["cat", "dog", "emu"])[rng.integers(0, 3, 120)],
        "binary": rng.integers(0, 2, 120),
        "multilabel": rng.integers(0, 2, (120, 3)),
        "1 target": X @ [1.0, -2.0, 0.5, 0.0],
        "2 targets": X[:, :2] ** 2,
    }[y_kind]
    cls = MLPClassifier if kind == "classifier" else MLPRegressor
    model = cls(hidden_layer_sizes=(6, 5), activation=activation, max_iter=300, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the fit's quality is not the point
        model.fit(X, y)
    return model, X


SKLEARN = [
    ("classifier", "relu", "multiclass"),
    ("classifier", "tanh", "names"),
    ("classifier", "logistic", "binary"),
    ("classifier", "identity", "multilabel"),
    ("regressor", "relu", "1 target"),
    ("regressor", "tanh", "2 targets"),
]


@pytest.mark.parametrize("zipmap", [True, False], ids=["zipmap", "no-zipmap"])
@pytest.mark.parametrize(("kind", "activation", "y_kind"), SKLEARN)
def test_import_skl2onnx_agrees_with_scikit_learn(kind, activation, y_kind, zipmap, tmp_path):
    skl2onnx = _skl2onnx()
    model, X = fitted(kind, activation, y_kind)
    options = {id(model): {"zipmap": zipmap}} if kind == "classifier" else None
    onx = skl2onnx.to_onnx(model, X[:1], options=options, target_opset=18)
    (tmp_path / "m.onnx").write_bytes(onx.SerializeToString())
    net = nncalc.read_model(tmp_path / "m.onnx").network
    if kind == "regressor":
        expected = model.predict(X).reshape(len(X), -1)
    else:
        expected = model.predict_proba(X)
        if y_kind == "binary":
            expected = expected[:, 1:]  # the network's one output unit is P(class 1)
    assert_same(net(X), expected)
    assert_same_layers(nncalc.from_sklearn(model), net)
    if y_kind in ("multiclass", "names"):
        assert net.classes == tuple(str(c) for c in model.classes_)


# -- import: hostile and broken files ------------------------------------------------


def test_import_not_onnx(run, tmp_path):
    (tmp_path / "junk.onnx").write_bytes(b"\xff\xfe not protobuf at all \x00\x01")
    result = run("import", tmp_path / "junk.onnx")
    assert result.code == 2
    assert result.err.startswith(f"nncalc: error: {tmp_path / 'junk.onnx'}: not an ONNX model")


def test_import_truncated_onnx(run, tmp_path):
    data = nncalc.load(SAMPLES / "vehicles.yaml").to_onnx().SerializeToString()
    (tmp_path / "cut.onnx").write_bytes(data[: len(data) // 2])
    result = run("import", tmp_path / "cut.onnx")
    assert result.code == 2 and "not an ONNX model" in result.err


def _with_external(tmp_path, location):
    """The slide's neuron with its W1 in an external file at ``location``."""
    model = nncalc.load(SAMPLES / "slide-neuron.yaml").to_onnx()
    tensor = next(t for t in model.graph.initializer if t.name == "W1")
    tensor.ClearField("raw_data")
    tensor.ClearField("double_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    for key, value in {"location": location, "offset": "0", "length": "24"}.items():
        tensor.external_data.add(key=key, value=value)
    path = tmp_path / "ext.onnx"
    path.write_bytes(model.SerializeToString())
    return path


def test_import_external_data_beside_the_model(tmp_path):
    (tmp_path / "w.bin").write_bytes(np.array([-2.0, 4.0, 1.5]).tobytes())
    net = nncalc.read_model(_with_external(tmp_path, "w.bin")).network
    np.testing.assert_array_equal(net.theta(1), [[-0.5, -2, 4, 1.5]])


@pytest.mark.parametrize(
    ("location", "message"),
    [
        ("../secret.bin", "outside the model's folder"),
        ("/etc/passwd", "outside the model's folder"),
        ("missing.bin", "which cannot be read"),
        ("short.bin", "which ends 16 bytes short"),
    ],
)
def test_import_external_data_refused(run, tmp_path, location, message):
    folder = tmp_path / "model"
    folder.mkdir()
    (tmp_path / "secret.bin").write_bytes(np.zeros(3).tobytes())
    (folder / "short.bin").write_bytes(b"12345678")
    result = run("import", _with_external(folder, location))
    assert result.code == 2
    assert message in result.err


def _graph(nodes, inputs, outputs, initializers=()):
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info(n, TensorProto.DOUBLE, ["N", 2]) for n in inputs],
        [helper.make_tensor_value_info(n, TensorProto.DOUBLE, ["N", 1]) for n in outputs],
        [onnx.numpy_helper.from_array(np.asarray(v, np.float64), k) for k, v in initializers],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def test_import_graphs_that_are_not_one_network():
    from onnx import helper

    W = [("W", [[1.0], [2.0]]), ("b", [0.5])]
    unused = _graph([helper.make_node("Gemm", ["x", "W", "b"], ["y"])], ["x", "x2"], ["y"], W)
    assert onnxread.from_model(unused).notes == ("the graph's input 'x2' is read by no node",)
    nodes = [
        helper.make_node("Add", ["x", "x2"], ["s"]),
        helper.make_node("Gemm", ["s", "W"], ["y"]),
    ]
    two_inputs = _graph(nodes, ["x", "x2"], ["y"], W)
    with pytest.raises(NNCalcError, match=r"the graph has 2 inputs \(x, x2\); nncalc reads one"):
        onnxread.from_model(two_inputs)
    nodes = [
        helper.make_node("Gemm", ["x", "W", "b"], ["y"]),
        helper.make_node("Sigmoid", ["y"], ["s"]),
    ]
    two_outputs = _graph(nodes, ["x"], ["y", "s"], W)
    with pytest.raises(NNCalcError, match="2 different floating-point outputs"):
        onnxread.from_model(two_outputs)
    nothing = _graph([helper.make_node("Identity", ["x"], ["y"])], ["x"], ["y"])
    with pytest.raises(NNCalcError, match="no layer to read"):
        onnxread.from_model(nothing)
    bad_bias = _graph(
        [helper.make_node("Gemm", ["x", "W", "b"], ["y"])],
        ["x"],
        ["y"],
        [
            ("W", [[1.0], [2.0]]),
            ("b", [0.5, 1.0, 2.0]),
        ],
    )
    with pytest.raises(NNCalcError, match=r"adds an array of shape \(3,\) to 1 units"):
        onnxread.from_model(bad_bias)


def test_import_matmul_add_with_alpha_and_beta():
    """Gemm's alpha and beta, and MatMul + Add with the bias first, read as Θ."""
    from onnx import helper

    nodes = [
        helper.make_node("Gemm", ["x", "W", "b"], ["z"], alpha=2.0, beta=0.5),
        helper.make_node("Tanh", ["z"], ["a"]),
        helper.make_node("MatMul", ["a", "V"], ["m"]),
        helper.make_node("Add", ["c", "m"], ["y"]),
    ]
    model = _graph(
        nodes, ["x"], ["y"], [("W", [[1.0], [2.0]]), ("b", [4.0]), ("V", [[3.0]]), ("c", [1.0])]
    )
    net = onnxread.from_model(model).network
    np.testing.assert_array_equal(net.theta(1), [[2.0, 2.0, 4.0]])  # [0.5·4 | 2·[1, 2]]
    np.testing.assert_array_equal(net.theta(2), [[1.0, 3.0]])
    X = np.array([[0.3, -0.2], [1.0, 2.0]])
    assert_same(net(X), run_ort(model, X))


# -- the import command ---------------------------------------------------------------


def test_import_cli_writes_a_network_file_that_loads_back(run, tmp_path):
    nncalc.save_onnx(nncalc.load(SAMPLES / "relu-softmax.yaml"), tmp_path / "iris.onnx")
    result = run("import", tmp_path / "iris.onnx", "-o", tmp_path / "iris.yaml")
    assert result.code == 0, result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iris.onnx", "iris.yaml"]
    back = nncalc.load(tmp_path / "iris.yaml")
    original = nncalc.load(SAMPLES / "relu-softmax.yaml")
    assert_same_layers(original, back)
    assert back.classes == original.classes and back.name == original.name
    stdout = run("import", tmp_path / "iris.onnx")
    assert stdout.code == 0
    assert stdout.out == (tmp_path / "iris.yaml").read_text()


def test_import_cli_large_matrices_go_to_npy_files(run, tmp_path):
    net = random_network("relu", "softmax", sizes=(20, 30, 3))  # Θ^(1) has 630 numbers
    nncalc.save_onnx(net, tmp_path / "big.onnx")
    result = run("import", tmp_path / "big.onnx", "-o", tmp_path / "big.yaml")
    assert result.code == 0
    assert "big.theta1.npy" in result.err
    assert (tmp_path / "big.theta1.npy").exists() and not (tmp_path / "big.theta2.npy").exists()
    assert '{file: "big.theta1.npy"}' in (tmp_path / "big.yaml").read_text()
    assert np.array_equal(nncalc.load(tmp_path / "big.yaml").theta(1), net.theta(1))
    inline = run("import", tmp_path / "big.onnx", "-o", tmp_path / "inline.yaml", "--inline")
    assert inline.code == 0 and not (tmp_path / "inline.theta1.npy").exists()
    assert np.array_equal(nncalc.load(tmp_path / "inline.yaml").theta(1), net.theta(1))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/net.onnx", "-g", "relu"], "an ONNX model says its own activations"),
        (["{tmp}/net.onnx", "-o", "{tmp}/net.json"], "unknown output format '.json'"),
        (["{tmp}/model.h5"], "unknown model format '.h5'"),
        (["{tmp}/absent.onnx"], "no such file"),
    ],
)
def test_import_cli_bad_usage(run, tmp_path, args, message):
    nncalc.save_onnx(nncalc.load(SAMPLES / "slide-neuron.yaml"), tmp_path / "net.onnx")
    (tmp_path / "model.h5").write_bytes(b"\x89HDF")
    result = run("import", *(a.format(tmp=tmp_path) for a in args))
    assert result.code == 2
    assert message in result.err
    assert len(result.err.splitlines()) == 1


def test_import_without_the_onnx_package(run, tmp_path, monkeypatch):
    nncalc.save_onnx(nncalc.load(SAMPLES / "slide-neuron.yaml"), tmp_path / "net.onnx")
    monkeypatch.setitem(__import__("sys").modules, "onnx", None)
    result = run("import", tmp_path / "net.onnx")
    assert result.code == 2
    assert "needs the onnx package; pip install 'nncalc[onnx]'" in result.err


def test_commands_read_onnx_models_directly(run, tmp_path):
    nncalc.save_onnx(nncalc.load(SAMPLES / "vehicles.yaml"), tmp_path / "v.onnx")
    for command in (["forward", "-x", "1.2,2.1,2", "--json"], ["params", "--json"]):
        from_yaml = run(command[0], SAMPLES / "vehicles.yaml", *command[1:])
        from_onnx = run(command[0], tmp_path / "v.onnx", *command[1:])
        assert from_onnx.code == from_yaml.code == 0
        got = from_onnx.json()
        if command[0] == "forward":  # an ONNX model's prediction also gives ONNX's index
            assert got["network"].pop("framework") == "ONNX"
            prediction = got["examples"][0]["prediction"]
            assert prediction.pop("index") == prediction["unit"] - 1
        assert got == from_yaml.json()


def test_float32_model_is_read_exactly_with_a_note(tmp_path):
    """A float32 model's weights are float64 numbers; nncalc computes with them in float64,
    which is what the same module computes after .double()."""
    torch = _torch()
    model = torch_stack(torch.nn.Tanh(), torch.nn.ReLU(), torch.nn.Softmax(dim=-1)).float()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.zeros(2, 3),), str(tmp_path / "f.onnx"))
    imported = nncalc.read_model(tmp_path / "f.onnx")
    assert imported.dtype == "float32"
    assert any("weights are float32" in note for note in imported.notes)
    X = np.random.default_rng(0).normal(size=(50, 3))
    with torch.no_grad():
        expected64 = model.double()(torch.from_numpy(X)).numpy()
    assert_same(imported.network(X), expected64)


def test_interop_samples_agree_with_onnxruntime():
    """samples/interop (made by make.py): iris flowers learned by scikit-learn and PyTorch."""
    from sklearn.datasets import load_iris

    iris = load_iris()
    X = iris.data
    sklearn_model = onnx.load(SAMPLES / "interop" / "iris-sklearn.onnx")
    session = ort.InferenceSession(sklearn_model.SerializeToString())
    probabilities = session.run(["probabilities"], {"X": X})[0]
    net = nncalc.read_model(SAMPLES / "interop" / "iris-sklearn.onnx").network
    assert_same(net(X), probabilities)
    assert net.classes == tuple(iris.target_names)

    torch_onnx = SAMPLES / "interop" / "iris-torch.onnx"
    net = nncalc.read_model(torch_onnx).network
    assert_same(net(X), run_ort(onnx.load(torch_onnx), X))
    pytest.importorskip("safetensors")
    weights = nncalc.read_model(
        SAMPLES / "interop" / "iris-torch.safetensors", ["relu", "softmax"]
    ).network
    assert_same_layers(net, weights)


@st.composite
def networks(draw):
    """Random networks of 1-4 layers, any exportable activation, SwiGLU layers included."""
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=5))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from((0.1, 1.0, 3.0)))
    layers = []
    for a, b in pairwise(sizes):
        theta = rng.normal(0, scale, (b, a + 1))
        g = draw(st.sampled_from([*PLAIN, "swiglu"]))
        if g == "swiglu":
            beta = draw(st.sampled_from((None, 0.5, 1.0, 2.0)))
            layers.append(Layer(theta, gate=rng.normal(0, scale, theta.shape), beta=beta))
        else:
            layers.append(Layer(theta, g))
    return Network(tuple(layers))


@settings(max_examples=150, deadline=None)
@given(net=networks(), seed=st.integers(0, 2**32 - 1))
def test_any_exported_network_runs_in_onnxruntime_and_reads_back(net, seed):
    """To 1e-12 of the output layer's size: an output that is a small sum of large terms
    (random weights make some) differs with the order Gemm and NumPy add them in."""
    X = np.random.default_rng(seed).normal(0, 5, (20, net.sizes[0]))
    model = net.to_onnx()
    trace = net.forward(X)
    size = 1 + np.abs(trace.z[net.L]).max()
    if net.L in trace.gate:  # a SwiGLU output z·Swish(u), |Swish(u)| ≤ |u| + 0.28
        size *= 1 + np.abs(trace.gate[net.L]).max()
    np.testing.assert_allclose(run_ort(model, X), trace.output, rtol=1e-12, atol=1e-12 * size)
    assert_same_layers(net, onnxread.from_model(model).network)
