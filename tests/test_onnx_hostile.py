"""ONNX graphs built to break the reader: each is computed exactly as the file computes it
(checked against onnxruntime and torch in float64) or refused with exit 2 and one line
naming the node and the reason."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pytest

import nncalc
from nncalc.interop import onnxgraph, onnxread

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

DOUBLE = TensorProto.DOUBLE


def model(nodes, initializers=(), shape=("N", 2), out=("N", 1), opset=13, dtype=DOUBLE):
    """A graph from x (of shape) to y, its constants given as arrays or TensorProtos."""
    tensors = [
        t if isinstance(t, onnx.TensorProto) else numpy_helper.from_array(np.asarray(t), k)
        for k, t in dict(initializers).items()
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", dtype, list(shape))],
        [helper.make_tensor_value_info("y", dtype, list(out))],
        tensors,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def node(op, inputs, output, **attrs):
    return helper.make_node(op, inputs, [output], output, **attrs)


def run_ort(m, X):
    session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})[0]


def refused(run, tmp_path, m, message, x="1,2"):
    """The CLI refuses model m with exit 2 and one line holding message."""
    path = tmp_path / "m.onnx"
    path.write_bytes(m.SerializeToString())
    result = run("forward", path, "-x", x)
    assert result.code == 2, result.out
    assert message in result.err
    assert len(result.err.splitlines()) == 1
    return result.err


W = {"W": [[1.0, -1.0, 0.5], [2.0, 0.25, -3.0]], "b": [0.5, -1.0, 2.0]}
"""Θ^(1) of a layer of 3 units reading 2 inputs."""

GEMM = node("Gemm", ["x", "W", "b"], "z")


# -- issue 12: bad input that once was exit 70 ---------------------------------------


def with_external(tmp_path, **entries):
    """A Gemm whose W is kept in w.bin beside the model, with these external_data entries."""
    (tmp_path / "w.bin").write_bytes(np.array(W["W"]).tobytes())
    m = model([node("Gemm", ["x", "W", "b"], "y")], W, out=("N", 3))
    tensor = next(t for t in m.graph.initializer if t.name == "W")
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in {"location": "w.bin", **entries}.items():
        tensor.external_data.add(key=key, value=value)
    return m


def test_external_data_at_an_offset(run, tmp_path):
    (tmp_path / "padded.bin").write_bytes(b"12345678" + np.array(W["W"]).tobytes())
    m = with_external(tmp_path, location="padded.bin", offset="8", length="48")
    path = tmp_path / "m.onnx"
    path.write_bytes(m.SerializeToString())
    net = nncalc.read_model(path).network
    np.testing.assert_array_equal(net.theta(1)[:, 1:], np.array(W["W"]).T)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ({"offset": "eight"}, "at the offset 'eight', not a count of bytes"),
        ({"offset": "-8"}, "at the offset '-8', not a count of bytes"),
        ({"offset": str(2**70)}, f"at the offset '{2**70}', not a count of bytes"),
        ({"offset": "8" * 500}, "at the offset '88888888"),
        ({"length": "-48"}, "at the length '-48', not a count of bytes"),
        ({"length": "4.8e1"}, "at the length '4.8e1', not a count of bytes"),
        ({"offset": "40", "length": "48"}, "which ends 40 bytes short"),
        ({"location": "w.bin\0.txt"}, "not a file name"),
        ({"location": ""}, "not a file name"),
    ],
)
def test_external_data_entries_that_are_not_counts_or_names(run, tmp_path, entries, message):
    err = refused(run, tmp_path, with_external(tmp_path, **entries), message)
    assert "the initializer 'W' keeps its data in" in err
    assert len(err) < 300  # an excerpt of the file's text, never all of it


def chain(op, count):
    """y = op(op(...op(Gemm(x))...)), count times (Add adds b each time)."""
    nodes = [node("Gemm", ["x", "W", "b"], "t0")]
    for k in range(count):
        inputs = [f"t{k}", "b"] if op == "Add" else [f"t{k}"]
        nodes.append(node(op, inputs, f"t{k + 1}" if k < count - 1 else "y"))
    return model(nodes, W, out=("N", 3))


def test_a_chain_of_5000_adds_is_read_without_recursion():
    m = chain("Add", 5000)
    X = np.array([[1.0, 2.0], [-0.5, 3.0]])
    np.testing.assert_allclose(onnxread.from_model(m).network(X), run_ort(m, X), rtol=1e-12)


def test_a_chain_of_5000_activations_is_refused_with_the_reason(run, tmp_path):
    refused(run, tmp_path, chain("Relu", 5000), "(Relu) follows the activation the node 't1'")


def test_deeply_nested_json_metadata(run, tmp_path):
    m = model([node("Gemm", ["x", "W", "b"], "y")], W, out=("N", 3))
    m.metadata_props.add(key="nncalc.classes", value="[" * 100_000 + "]" * 100_000)
    refused(run, tmp_path, m, "the metadata nncalc.classes is nested too deeply")


TEXT = helper.make_tensor("s", TensorProto.STRING, [1], [b"0.01"])


@pytest.mark.parametrize(
    ("nodes", "constants", "message"),
    [
        ([node("Gemm", ["x", "s"], "y")], {"s": TEXT}, "the node 'y' (Gemm) reads text"),
        (
            [node("MatMul", ["x", "W"], "z"), node("Add", ["z", "s"], "y")],
            {"W": W["W"], "s": TEXT},
            "the node 'y' (Add) reads text",
        ),
        (
            [GEMM, node("Mul", ["z", "s"], "m"), node("Max", ["z", "m"], "y")],
            {**W, "s": TEXT},
            "the node 'm' (Mul) reads text",
        ),
        (
            [
                helper.make_node("Constant", [], ["s"], "c", value=TEXT),
                GEMM,
                node("Greater", ["z", "s"], "g"),
                node("Softplus", ["z"], "p"),
                node("Where", ["g", "z", "p"], "y"),
            ],
            W,
            "the node 'g' (Greater) reads text",
        ),
    ],
    ids=["weights", "bias", "leaky-slope", "constant-node"],
)
def test_text_constants_where_numbers_belong(run, tmp_path, nodes, constants, message):
    refused(run, tmp_path, model(nodes, constants, out=("N", 3)), message)


# -- issue 13: exact or refused --------------------------------------------------------


@pytest.mark.parametrize("bias", [[0.5, -1.0, 2.0], [[0.5, -1.0, 2.0]], [0.75], 0.75])
@pytest.mark.parametrize("spelling", ["Gemm", "MatMul+Add"])
def test_per_unit_biases_agree_with_onnxruntime(spelling, bias):
    if spelling == "Gemm":
        nodes = [node("Gemm", ["x", "W", "b"], "y")]
    else:
        nodes = [node("MatMul", ["x", "W"], "z"), node("Add", ["b", "z"], "y")]
    m = model(nodes, {"W": W["W"], "b": np.array(bias)}, out=("N", 3))
    X = np.array([[1.0, 2.0], [-0.5, 3.0], [4.0, 0.125]])  # 3 examples of 3 units
    np.testing.assert_allclose(onnxread.from_model(m).network(X), run_ort(m, X), rtol=1e-12)


@pytest.mark.parametrize("bias", [[[0.5], [-1.0], [2.0]], [[[0.5, -1.0, 2.0]]], [0.5, 1.0]])
@pytest.mark.parametrize("spelling", ["Gemm", "MatMul+Add"])
def test_biases_that_add_across_examples_are_refused(run, tmp_path, spelling, bias):
    """A (K, 1) bias adds b_i to example i when there are K examples: not a bias of units."""
    if spelling == "Gemm":
        nodes = [node("Gemm", ["x", "W", "b"], "y")]
    else:
        nodes = [node("MatMul", ["x", "W"], "z"), node("Add", ["z", "b"], "y")]
    m = model(nodes, {"W": W["W"], "b": np.array(bias)}, out=("N", 3))
    op = "Gemm" if spelling == "Gemm" else "Add"
    shape = np.array(bias).shape
    refused(run, tmp_path, m, f"the node 'y' ({op}) adds an array of shape {shape} to 3 units")


def test_complex_tensors_are_refused(run, tmp_path):
    complex_w = helper.make_tensor("W", TensorProto.COMPLEX128, [2, 1], [1 + 1j, 2 - 1j])
    m = model([node("Gemm", ["x", "W"], "y")], {"W": complex_w})
    refused(run, tmp_path, m, "the initializer 'W' holds complex numbers")


def dropout(mode):
    """Gemm, then Dropout(ratio 0.9) with training_mode given as mode."""
    constants = {**W, "r": np.array(0.9)}
    nodes = [GEMM]
    if mode == "initializer True":
        constants["t"] = np.array(True)
    elif mode == "Constant True":
        nodes.append(helper.make_node("Constant", [], ["t"], "c", value_int=1))
    elif mode == "computed":
        constants["f"] = np.array(False)
        nodes.append(node("Identity", ["f"], "t"))
    elif mode == "False":
        constants["t"] = np.array(False)
    inputs = ["z", "r"] + (["t"] if mode != "absent" else [])
    return model([*nodes, node("Dropout", inputs, "y")], constants, out=("N", 3))


@pytest.mark.parametrize("mode", ["initializer True", "Constant True", "computed"])
def test_dropout_in_training_mode_is_refused(run, tmp_path, mode):
    refused(run, tmp_path, dropout(mode), "the node 'y' (Dropout) drops units at random")


@pytest.mark.parametrize("mode", ["False", "absent"])
def test_dropout_at_inference_is_the_identity_whatever_its_ratio(mode):
    m = dropout(mode)
    X = np.array([[1.0, 2.0], [-0.5, 3.0]])
    np.testing.assert_array_equal(onnxread.from_model(m).network(X), run_ort(m, X))


def _torch():
    return pytest.importorskip("torch")


def torch_export(module, x, path, dynamo, **options):
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        torch = _torch()
        torch.onnx.export(module.eval(), (x,), str(path), dynamo=dynamo, **options)
    return path


@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
def test_batchnorm_after_linear_is_folded_exactly(tmp_path, dynamo):
    """BatchNorm1d in eval mode: torch with ε the file's float32 value, and onnxruntime."""
    torch = _torch()
    nn = torch.nn
    torch.manual_seed(0)
    norm = nn.BatchNorm1d(5, eps=float(np.float32(1e-5)), dtype=torch.float64)
    with torch.no_grad():
        for p, low, high in ((norm.running_mean, -1, 1), (norm.running_var, 0.5, 2)):
            p.uniform_(low, high)
        norm.weight.uniform_(0.5, 2)
        norm.bias.uniform_(-1, 1)
    module = nn.Sequential(nn.Linear(3, 5), norm, nn.Tanh(), nn.Linear(5, 2)).double()
    path = torch_export(module, torch.zeros(2, 3, dtype=torch.float64), tmp_path / "m.onnx", dynamo)
    imported = nncalc.read_model(path)
    X = np.random.default_rng(0).normal(size=(50, 3)) * 3
    with torch.no_grad():
        expected = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(imported.network(X), expected, rtol=1e-12, atol=1e-15)
    by_ort = np.vstack([run_ort(onnx.load(path), X[k : k + 2]) for k in range(0, 50, 2)])
    np.testing.assert_allclose(imported.network(X), by_ort, rtol=1e-12)  # exported for N = 2
    if not dynamo:  # the dynamo exporter folds it itself
        assert any("BatchNormalization" in note and "folded" in note for note in imported.notes)


BN = {"s": [1.5, 0.5, 2.0], "B": [0.1, -0.2, 0.3], "mu": [0.4, -1.0, 0.0], "var": [2.0, 0.5, 1.0]}


def test_hand_built_batchnorm_agrees_with_onnxruntime():
    nodes = [
        node("MatMul", ["x", "W"], "m"),
        node("Add", ["m", "b"], "z"),
        node("BatchNormalization", ["z", "s", "B", "mu", "var"], "y", epsilon=0.25),
    ]
    m = model(nodes, {**W, **BN}, out=("N", 3), opset=15)
    imported = onnxread.from_model(m)
    X = np.array([[1.0, 2.0], [-0.5, 3.0], [4.0, 0.125]])
    np.testing.assert_allclose(imported.network(X), run_ort(m, X), rtol=1e-12)
    assert "ε = 0.25" in imported.notes[0]


@pytest.mark.parametrize(
    ("nodes", "message"),
    [
        (
            [GEMM, node("BatchNormalization", ["z", "s", "B", "mu", "var"], "y", training_mode=1)],
            "normalizes with each batch's own statistics",
        ),
        (
            [
                GEMM,
                node("Relu", ["z"], "r"),
                node("BatchNormalization", ["r", "s", "B", "mu", "var"], "y"),
            ],
            "does not follow a Gemm or MatMul + Add",
        ),
        (
            [GEMM, node("BatchNormalization", ["z", "s", "B", "mu", "minus"], "y")],
            "has σ² + ε ≤ 0 (or NaN) for unit 2",
        ),
    ],
    ids=["training", "after-an-activation", "negative-variance"],
)
def test_batchnorm_that_does_not_fold_is_refused(run, tmp_path, nodes, message):
    constants = {**W, **BN, "minus": [1.0, -1.0, 0.0]}
    refused(run, tmp_path, model(nodes, constants, out=("N", 3), opset=15), message)


@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
def test_bfloat16_exports_are_read_exactly(run, tmp_path, dynamo):
    """The bfloat16 weights, widened: torch's module of the same weights in float64."""
    torch = _torch()
    nn = torch.nn
    torch.manual_seed(0)
    module = nn.Sequential(
        nn.Linear(3, 6), nn.Sigmoid(), nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 4), nn.Softmax(-1)
    ).to(torch.bfloat16)
    x = torch.zeros(2, 3, dtype=torch.bfloat16)
    path = torch_export(module, x, tmp_path / "m.onnx", dynamo)
    imported = nncalc.read_model(path)
    assert imported.dtype == "bfloat16"
    assert any("weights are bfloat16" in note for note in imported.notes)
    X = np.random.default_rng(0).normal(size=(40, 3)) * 3
    with torch.no_grad():
        expected = module.double()(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(imported.network(X), expected, rtol=1e-12)
    result = run("forward", path, "-x", "1,2,3")
    assert result.code == 0 and "bfloat16" in result.err


def test_bfloat16_bits_as_uint16_widen_exactly():
    """Older onnx hands bfloat16 tensors back as their bits in uint16."""
    values = np.array([1.0, -2.5, 3.140625, 2.0**-130, 65280.0])
    bits = (values.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16)
    np.testing.assert_array_equal(np.asarray(onnxgraph._bfloat16(bits), np.float64), values)


def test_flatten_from_axis_minus_3_of_a_4d_input():
    """Flatten(axis=−3) of [N, 1, 2, 2] is Flatten(axis=1): rows of 4."""
    nodes = [node("Flatten", ["x"], "f", axis=-3), node("Gemm", ["f", "W", "b"], "y")]
    W4 = {"W": np.arange(8.0).reshape(4, 2) - 3, "b": [0.5, -1.0]}
    m = model(nodes, W4, shape=("N", 1, 2, 2), out=("N", 2))
    X = np.random.default_rng(0).normal(size=(5, 1, 2, 2))
    net = onnxread.from_model(m).network
    np.testing.assert_allclose(net(X.reshape(5, 4)), run_ort(m, X), rtol=1e-12)


@pytest.mark.parametrize("opset", [11, 13])
@pytest.mark.parametrize("dynamo", [True, False], ids=["dynamo", "torchscript"])
def test_torch_flatten_from_minus_3_agrees_with_torch(tmp_path, dynamo, opset):
    """nn.Flatten(−3): a Reshape to [N, −1] computed from Shape (TorchScript), or to the
    example batch's [2, 4] (dynamo); then Softmax over axis 1 of the Gemm's 2-D output."""
    torch = _torch()
    nn = torch.nn
    torch.manual_seed(0)
    module = nn.Sequential(nn.Flatten(-3), nn.Linear(4, 3), nn.Softmax(1)).double()
    x = torch.zeros(2, 1, 2, 2, dtype=torch.float64)
    torch_export(module, x, tmp_path / "m.onnx", dynamo, opset_version=opset)
    net = nncalc.read_model(tmp_path / "m.onnx").network
    X = np.random.default_rng(0).normal(size=(7, 1, 2, 2)) * 3
    with torch.no_grad():
        expected = module(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(net(X.reshape(7, 4)), expected, rtol=1e-12)


@pytest.mark.parametrize("axis", [-2, 2, 0])
def test_flatten_from_another_axis_is_refused(run, tmp_path, axis):
    nodes = [node("Flatten", ["x"], "f", axis=axis), node("Gemm", ["f", "W", "b"], "y")]
    m = model(nodes, W, shape=("N", 1, 2, 1), out=("N", 3))
    refused(run, tmp_path, m, "(Flatten axis=", x="1,2")


def softmax_graph(shape, axis, opset):
    """x of shape [N, a, 2] times W (2 × 3), + b, then Softmax over axis."""
    nodes = [
        node("MatMul", ["x", "W"], "m"),
        node("Add", ["m", "b"], "z"),
        node("Softmax", ["z"], "y", axis=axis),
    ]
    return model(nodes, W, shape=shape, out=(*shape[:-1], 3), opset=opset)


def test_opset_11_softmax_from_axis_1_of_n_1_k():
    """Before opset 13, Softmax(axis=1) of [N, 1, K] is over 1·K: the units."""
    m = softmax_graph(("N", 1, 2), 1, 11)
    X = np.random.default_rng(0).normal(size=(6, 1, 2)) * 3
    net = onnxread.from_model(m).network
    np.testing.assert_allclose(net(X[:, 0]), run_ort(m, X)[:, 0], rtol=1e-12)


@pytest.mark.parametrize(
    ("shape", "opset"),
    [(("N", 1, 2), 13), (("N", 2, 2), 11), (("N", "M", 2), 11)],
    ids=["opset13-size-1-axis", "opset11-two-rows", "opset11-unknown"],
)
def test_softmax_over_other_axes_is_refused(run, tmp_path, shape, opset):
    m = softmax_graph(shape, 1, opset)
    dims = "[?, ?, 3]" if "M" in shape else f"[?, {shape[1]}, 3]"
    refused(run, tmp_path, m, f"(Softmax axis=1) of shape {dims} is not over each example's")


@pytest.mark.parametrize(
    ("nodes", "constants", "message"),
    [
        ([node("Relu", ["x"], "y")], {}, "the node 'y' (Relu) has no Gemm or MatMul + Add before"),
        (
            [GEMM, node("Sigmoid", ["z"], "s"), node("Relu", ["s"], "y")],
            W,
            "the node 'y' (Relu) follows the activation the node 's' (Sigmoid)",
        ),
        (
            [node("Identity", ["x"], "v"), node("MatMul", ["x", "v"], "y")],
            {},
            "the node 'y' (MatMul) multiplies by weights computed at run time",
        ),
        (
            [node("Gemm", ["x", "W", "b"], "y", transA=1)],
            W,
            "the node 'y' (Gemm transA=1) transposes its input",
        ),
        (
            [node("Gemm", ["x", "W", "b"], "z"), node("Cast", ["z"], "y", to=TensorProto.INT64)],
            W,
            "the node 'y' (Cast to=7) casts to a type not a float",
        ),
    ],
    ids=["no-gemm", "two-activations", "computed-weights", "transA", "cast-to-int"],
)
def test_refusals_name_the_real_reason(run, tmp_path, nodes, constants, message):
    err = refused(run, tmp_path, model(nodes, constants, out=("N", 3)), message)
    assert "does not compute an activation" not in err


def test_casts_to_and_from_bfloat16_pass_through_with_a_note():
    """x → bfloat16 → Gemm of bfloat16 weights → float64: nncalc computes the Gemm of the
    widened weights in float64 and says where the model rounds."""
    weights = {
        k: helper.make_tensor(k, TensorProto.BFLOAT16, np.shape(v), np.ravel(v))
        for k, v in W.items()
    }
    nodes = [
        node("Cast", ["x"], "x16", to=TensorProto.BFLOAT16),
        node("Gemm", ["x16", "W", "b"], "z"),
        node("Cast", ["z"], "y", to=DOUBLE),
    ]
    imported = onnxread.from_model(model(nodes, weights, out=("N", 3)))
    X = np.array([[1.0, 2.0], [-0.5, 3.0]])
    np.testing.assert_array_equal(imported.network(X), X @ np.array(W["W"]) + W["b"])
    assert imported.dtype == "bfloat16"
    assert any("(Cast to=16) rounds float64 numbers to bfloat16" in n for n in imported.notes)
    assert not any("(Cast to=11)" in n for n in imported.notes)  # widening is exact


def test_constants_cast_as_onnx_rounds_them():
    """Cast and CastLike of a constant: a float64 bias cast to bfloat16 (rounded to
    nearest, as torch rounds it) and Max(z, CastLike(0, z)), ReLU in a bfloat16 graph."""
    torch = _torch()
    nodes = [
        node("Cast", ["x"], "x16", to=TensorProto.BFLOAT16),
        node("MatMul", ["x16", "W"], "m"),
        node("Cast", ["b"], "b16", to=TensorProto.BFLOAT16),
        node("Add", ["m", "b16"], "z"),
        node("CastLike", ["zero", "z"], "zero16"),
        node("Max", ["z", "zero16"], "y"),
    ]
    b = [0.1, -1 / 3, 2.0**-9 + 1]
    weights = {"W": helper.make_tensor("W", TensorProto.BFLOAT16, [2, 3], np.ravel(W["W"]))}
    imported = onnxread.from_model(
        model(nodes, {**weights, "b": b, "zero": np.float32(0)}, out=("N", 3), opset=15)
    )
    assert imported.network.activations == ["relu"]
    rounded = torch.tensor(b, dtype=torch.float64).to(torch.bfloat16).double().numpy()
    np.testing.assert_array_equal(imported.network.theta(1)[:, 0], rounded)


@pytest.mark.parametrize(("weight", "alpha"), [(1e308, 10.0), (np.nan, 1.0), (np.inf, 1.0)])
def test_weights_that_are_not_finite_are_refused(run, tmp_path, weight, alpha):
    m = model([node("Gemm", ["x", "W"], "y", alpha=alpha)], {"W": [[weight], [1.0]]})
    err = refused(run, tmp_path, m, "gives a Θ of numbers not finite (NaN or infinity)")
    assert "Warning" not in err


def test_messages_quote_only_excerpts_of_the_file(run, tmp_path):
    """Names and attributes come from the file: a message shows 60 characters of each."""
    long = "n" * 10_000
    nodes = [GEMM, node("Gelu", ["z"], "y", approximate="t" * 100_000)]
    m = model(nodes, W, out=("N", 3), opset=20)
    m.graph.node[1].name = long
    err = refused(run, tmp_path, m, "(Gelu approximate=ttttt")
    assert "n" * 61 not in err and "t" * 61 not in err
