"""Issue 23: the forms of the models people export, read exactly (to 1e-12 of the module
in float64) in both of PyTorch's exporters, or refused with the real reason.

Each module is exported once per exporter (module-scoped fixtures); every case compares
nncalc's network with the torch module (float64, or .double() of a float32 one), or with
scikit-learn, or with onnxruntime running the file.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings

import numpy as np
import pytest

import nncalc
from nncalc.errors import NNCalcError
from nncalc.interop import onnxread

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
torch = pytest.importorskip("torch")
nn = torch.nn
F = nn.functional

X = np.random.default_rng(0).normal(size=(30, 3)) * 3


class Net(nn.Module):
    """x → Linear(3, 4) → f → Linear(4, 2), f written as ordinary code."""

    def __init__(self, f, before=None, out=None):
        super().__init__()
        torch.manual_seed(0)
        self.a, self.b = nn.Linear(3, 4), nn.Linear(4, 2)
        self.f, self.before, self.out = f, before, out

    def forward(self, x):
        if self.before is not None:
            x = self.before(x)
        h = self.b(self.f(self.a(x)))
        return h if self.out is None else self.out(h)


MEAN, STD = torch.tensor([0.5, -1.0, 2.0]), torch.tensor([2.0, 0.5, 4.0])
FORMS = {
    # activations written out, with exact constants
    "erf-gelu": (lambda z: 0.5 * z * (1 + torch.erf(z / math.sqrt(2))), "gelu"),
    "tanh-gelu": (
        lambda z: 0.5 * z * (1 + torch.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3))),
        "gelu_tanh",
    ),
    "where-leaky": (lambda z: torch.where(z > 0, z, 0.25 * z), "leaky_relu(alpha=0.25)"),
    "where-leaky-0.3": (lambda z: torch.where(z > 0, z, 0.3 * z), None),
    "maximum": (lambda z: torch.maximum(z, torch.tensor(0.0, dtype=z.dtype)), "relu"),
    "clamp-relu-6": (lambda z: torch.clamp(F.relu(z), max=6), "relu6"),
    "clamp-min-0": (lambda z: torch.clamp(z, min=0), "relu"),
    "log1p-exp": (lambda z: torch.log1p(torch.exp(z)), "softplus"),
    "tanh-exp": (
        lambda z: (torch.exp(z) - torch.exp(-z)) / (torch.exp(z) + torch.exp(-z)),
        "tanh",
    ),
    "softmax-exp": (lambda z: torch.exp(z) / torch.exp(z).sum(dim=1, keepdim=True), "softmax"),
    "softmax-shifted": (
        lambda z: (
            torch.exp(z - z.max(dim=1, keepdim=True).values)
            / torch.exp(z - z.max(dim=1, keepdim=True).values).sum(dim=1, keepdim=True)
        ),
        "softmax",
    ),
    "log-softmax-lse": (lambda z: z - torch.logsumexp(z, dim=1, keepdim=True), "log_softmax"),
    "prelu": (nn.PReLU(init=0.25), "leaky_relu(alpha=0.25)"),
    # affine pieces beside a layer, folded into Θ
    "times-after-linear": (lambda z: torch.tanh(z * 0.5 - 1.0), "tanh"),
    "divide-after-linear": (lambda z: torch.sigmoid(z / 4.0 + 2.0), "sigmoid"),
    "temperature": (lambda z: torch.softmax(z / 2.0, dim=1), "softmax"),
    "shift-after-activation": (lambda z: torch.tanh(z) * 3.0 + 1.0, "tanh"),
}


def export(module, dynamo, opset=18, x=None):
    buffer = io.BytesIO()
    x = torch.zeros(2, 3, dtype=torch.float64) if x is None else x
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        torch.onnx.export(module.eval(), (x,), buffer, dynamo=dynamo, opset_version=opset)
    return onnx.load_from_string(buffer.getvalue())


def torch_of(module, X=X):
    with torch.no_grad():
        return module.eval()(torch.from_numpy(X)).numpy()


@pytest.fixture(scope="module", params=[False, True], ids=["torchscript", "dynamo"])
def exported(request):
    """Each form's module and its export, by name, for one exporter."""
    found = {}
    for name, (f, _) in FORMS.items():
        module = Net(f).double()
        found[name] = (module, onnxread.from_model(export(module, request.param), "m.onnx"))
    return found


@pytest.mark.parametrize("name", [name for name, (_, g) in FORMS.items() if g])
def test_forms_agree_with_torch(exported, name):
    module, imported = exported[name]
    assert imported.network.activations[0] == FORMS[name][1]
    np.testing.assert_allclose(imported.network(X), torch_of(module), rtol=1e-12, atol=1e-12)


def test_dynamo_rounds_python_numbers_to_float32_and_nncalc_says_so(exported):
    """A float64 model's 0.3 is written 0.30000001192092896 by dynamo: as a parameter it
    is read as stored (torch's own answer differs by 4e-9 relative), as a formula's
    constant (√2 of GELU) the exact one is computed, as the module does; notes say both."""
    _, imported = exported["where-leaky-0.3"]
    alpha = imported.network.layers[0].g.value("alpha")
    as_stored = Net(lambda z: torch.where(z > 0, z, alpha * z)).double()
    np.testing.assert_allclose(imported.network(X), torch_of(as_stored), rtol=1e-12, atol=1e-12)
    if alpha == 0.3:  # TorchScript keeps the float64 number
        assert not imported.notes
    else:
        assert alpha == float(np.float32(0.3))
        assert "stores alpha as float64, a float32's value 0.30000001192092896" in imported.notes[0]
    gelu = " ".join(exported["erf-gelu"][1].notes)
    assert (alpha == 0.3) != ("PyTorch's dynamo exporter rounds a model's Python numbers" in gelu)


def test_folding_says_so(exported):
    notes = " ".join(exported["times-after-linear"][1].notes)
    assert "multiplies a layer's z by a constant; nncalc folds it into that layer's Θ" in notes
    notes = " ".join(exported["shift-after-activation"][1].notes)
    assert "maps each input of the layer after it by constants" in notes


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_scaler_batchnorms_and_plumbing(dynamo):
    """(x − mean)/std inside the model, a BatchNorm1d first and one after an activation,
    x.view(N, −1), flatten(h, 1) and .squeeze(−1) at the ends."""

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(1)
            eps = [float(np.float32(e)) for e in (1e-3, 1e-5)]  # as ONNX stores them
            self.norm0, self.a = nn.BatchNorm1d(3, eps=eps[0]), nn.Linear(3, 5)
            self.norm1, self.b = nn.BatchNorm1d(5, eps=eps[1]), nn.Linear(5, 1)
            with torch.no_grad():
                for norm in (self.norm0, self.norm1):
                    norm.running_mean.uniform_(-1, 1)
                    norm.running_var.uniform_(0.5, 2)
                    norm.weight.uniform_(0.5, 2)
                    norm.bias.uniform_(-1, 1)

        def forward(self, x):
            x = (x.view(x.size(0), -1) - MEAN.double()) / STD.double()
            h = torch.flatten(self.norm1(torch.relu(self.a(self.norm0(x)))), 1)
            return self.b(h).squeeze(-1)

    module = Model().double()
    imported = onnxread.from_model(export(module, dynamo))
    got = imported.network(X)[:, 0]
    np.testing.assert_allclose(got, torch_of(module), rtol=1e-12, atol=1e-12)


# -- TorchScript's merged initializers, old opsets, bfloat16 ---------------------------


def test_merged_initializers_are_folded_through_identity():
    """Zero biases, a copied weight and a fresh BatchNorm1d (μ = 0, γ = 1): TorchScript
    writes each tensor equal to an earlier one as an Identity of it."""
    torch.manual_seed(2)
    model = nn.Sequential(
        nn.Linear(3, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3)
    ).double()
    with torch.no_grad():
        model[0].bias.zero_()
        model[3].bias.zero_()
        model[5].weight.copy_(model[3].weight)
    m = export(model, False)
    assert any(n.op_type == "Identity" for n in m.graph.node)
    net = onnxread.from_model(m).network
    np.testing.assert_allclose(net(X), torch_of(model), rtol=1e-12, atol=1e-12)


def test_dequantized_weights_are_exact():
    """int8 weight-only: DequantizeLinear(W_q, scale, zero point) of constants, per tensor
    and per unit. The weights are onnxruntime's dequantized tensors bit for bit."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(3)
    q1, q2 = rng.integers(-128, 128, (3, 4)).astype(np.int8), rng.integers(0, 256, (4, 2))
    inits = [
        numpy_helper.from_array(q1, "q1"),
        numpy_helper.from_array(np.array(0.03125, np.float32), "s1"),
        numpy_helper.from_array(np.array(3, np.int8), "p1"),
        numpy_helper.from_array(q2.astype(np.uint8), "q2"),
        numpy_helper.from_array(np.array([0.1, 0.007], np.float32), "s2"),
        numpy_helper.from_array(np.array([128, 120], np.uint8), "p2"),
    ]
    dequantize = [
        helper.make_node("DequantizeLinear", ["q1", "s1", "p1"], ["W1"]),
        helper.make_node("DequantizeLinear", ["q2", "s2", "p2"], ["W2"], axis=1),
    ]
    nodes = [
        *dequantize,
        helper.make_node("MatMul", ["x", "W1"], ["z"]),
        helper.make_node("Relu", ["z"], ["a"]),
        helper.make_node("MatMul", ["a", "W2"], ["y"]),
    ]

    def model(nodes, outputs):
        shapes = {"W1": [3, 4], "W2": [4, 2], "y": ["N", 2]}
        values = [helper.make_tensor_value_info(n, TensorProto.FLOAT, shapes[n]) for n in outputs]
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])
        graph = helper.make_graph(nodes, "q", [x], values, inits)
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])

    net = onnxread.from_model(model(nodes, ["y"])).network
    session = ort.InferenceSession(model(dequantize, ["W1", "W2"]).SerializeToString())
    W1, W2 = session.run(None, {"x": np.zeros((1, 3), np.float32)})
    np.testing.assert_array_equal(net.theta(1)[:, 1:], W1.T)
    np.testing.assert_array_equal(net.theta(2)[:, 1:], W2.T)
    expected = np.maximum(X @ W1.astype(float), 0) @ W2.astype(float)
    np.testing.assert_allclose(net(X), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("module", "opset", "spec"),
    [
        (nn.ReLU6(), 9, "relu6"),  # Clip with min and max attributes
        (nn.Hardswish(), 13, "hardswish"),  # z·HardSigmoid(z), α = 1/6 as float32
    ],
    ids=["relu6-opset9", "hardswish-opset13"],
)
def test_older_opset_spellings(module, opset, spec):
    torch.manual_seed(4)
    model = nn.Sequential(nn.Linear(3, 4), module, nn.Linear(4, 2)).double()
    imported = onnxread.from_model(export(model, False, opset))
    assert imported.network.activations[0] == spec
    np.testing.assert_allclose(imported.network(X), torch_of(model), rtol=1e-12, atol=1e-12)
    if spec == "hardswish":
        assert any("as float32 attributes" in n for n in imported.notes)


@pytest.mark.parametrize("dynamo", [False, True], ids=["torchscript", "dynamo"])
def test_bfloat16_softplus(dynamo):
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(3, 4), nn.Softplus(beta=2), nn.Linear(4, 2))
    model = model.to(torch.bfloat16)
    m = export(model, dynamo, x=torch.zeros(2, 3, dtype=torch.bfloat16))
    imported = onnxread.from_model(m)
    assert imported.network.layers[0].g.name == "softplus"
    double = model.double()
    if not dynamo:
        double[1].threshold = 40.0  # TorchScript writes no threshold
    np.testing.assert_allclose(imported.network(X), torch_of(double), rtol=1e-12, atol=1e-12)


# -- scikit-learn ---------------------------------------------------------------------


def _pipeline(scaler):
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(6)
    data = rng.normal(size=(80, 3)) * [10, 0.1, 3] + [100, -5, 0]
    y = rng.integers(0, 3, 80)
    model = make_pipeline(scaler, MLPClassifier((5,), max_iter=200, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data, y)
    return model, data


@pytest.mark.parametrize(
    "kind", ["StandardScaler", "MinMaxScaler", "StandardScaler(with_mean=False)", "RobustScaler"]
)
def test_sklearn_pipelines_fold_their_scaler(kind):
    """from_sklearn(Pipeline) and skl2onnx's file (Sub and Div, or Mul and Add, of
    float64 constants) against predict_proba."""
    import sklearn.preprocessing

    skl2onnx = pytest.importorskip("skl2onnx")
    name, _, options = kind.partition("(")
    scaler = getattr(sklearn.preprocessing, name)(**({"with_mean": False} if options else {}))
    model, data = _pipeline(scaler)  # with_mean=False: mean_ is fitted, but not subtracted
    expected = model.predict_proba(data)
    net = nncalc.from_sklearn(model)
    np.testing.assert_allclose(net(data), expected, rtol=1e-12, atol=1e-12)
    onx = skl2onnx.to_onnx(model, data[:1].astype(np.float64), target_opset=18)
    imported = onnxread.from_model(onx)
    np.testing.assert_allclose(imported.network(data), expected, rtol=1e-12, atol=1e-12)
    assert imported.network.classes == ("0", "1", "2")


# -- onnxruntime's optimised graphs ----------------------------------------------------


def optimised(model_proto, tmp_path):
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    options.optimized_model_filepath = str(tmp_path / "opt.onnx")
    ort.InferenceSession(
        model_proto.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )
    return onnx.load(tmp_path / "opt.onnx")


@pytest.mark.parametrize(
    ("g", "spec", "fused"),
    [
        (nn.ReLU(), "relu", "FusedGemm"),
        (nn.LeakyReLU(0.2), f"leaky_relu(alpha={float(np.float32(0.2))!r})", "FusedGemm"),
        (nn.SiLU(), "silu", "QuickGelu"),
        (nn.GELU(), "gelu", "Gelu"),
    ],
    ids=["fused-relu", "fused-leaky", "quickgelu-silu", "ms-gelu"],
)
def test_onnxruntime_optimised_graphs(tmp_path, g, spec, fused):
    torch.manual_seed(7)
    model = nn.Sequential(nn.Linear(3, 4), g, nn.Linear(4, 2)).float()
    m = optimised(export(model, False, 17, torch.zeros(2, 3)), tmp_path)
    assert any(n.op_type == fused and n.domain == "com.microsoft" for n in m.graph.node)
    imported = onnxread.from_model(m)
    assert imported.network.activations[0] == spec
    if "leaky" in spec:
        model[1].negative_slope = float(np.float32(0.2))
    np.testing.assert_allclose(
        imported.network(X), torch_of(model.double()), rtol=1e-12, atol=1e-12
    )


def test_quickgelu_other_than_silu_is_refused(tmp_path):
    class Quick(nn.Module):
        def forward(self, z):
            return z * torch.sigmoid(1.702 * z)

    model = nn.Sequential(nn.Linear(3, 4), Quick(), nn.Linear(4, 2)).float()
    m = optimised(export(model, False, 17, torch.zeros(2, 3)), tmp_path)
    with pytest.raises(NNCalcError, match=r"is z·σ\(αz\) with α = 1.7020000219345093: SiLU only"):
        onnxread.from_model(m)


def test_fused_matmul(tmp_path):
    """x @ Wᵀ · 0.5 + b: onnxruntime fuses the transpose and the scale into FusedMatMul."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(8)
    W, b = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=4).astype(np.float32)
    nodes = [
        helper.make_node("Transpose", ["W"], ["Wt"], perm=[1, 0]),
        helper.make_node("MatMul", ["x", "Wt"], ["m"]),
        helper.make_node("Mul", ["m", "half"], ["s"]),
        helper.make_node("Add", ["s", "b"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "f",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        [
            numpy_helper.from_array(W, "W"),
            numpy_helper.from_array(b, "b"),
            numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        ],
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    expected = X @ W.T.astype(float) * 0.5 + b.astype(float)
    np.testing.assert_allclose(onnxread.from_model(m).network(X), expected, rtol=1e-12)
    opt = optimised(m, tmp_path)
    assert any(n.op_type == "FusedMatMul" for n in opt.graph.node)
    np.testing.assert_allclose(onnxread.from_model(opt).network(X), expected, rtol=1e-12)


# -- smaller things ------------------------------------------------------------------------


def test_matmul_by_a_vector():
    from onnx import TensorProto, helper, numpy_helper

    w = np.array([0.5, -2.0, 1.0])
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "v",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 3])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N"])],
        [numpy_helper.from_array(w, "w")],
    )
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    imported = onnxread.from_model(m)
    session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(imported.network(X)[:, 0], session.run(None, {"x": X})[0])
    assert any("multiplies by a vector" in n for n in imported.notes)


def test_external_data_in_a_subfolder(tmp_path):
    from onnx import external_data_helper

    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).double()
    m = export(model, False)
    external_data_helper.convert_model_to_external_data(
        m, location="weights/m.bin", size_threshold=0
    )
    (tmp_path / "weights").mkdir()
    onnx.save_model(m, tmp_path / "m.onnx")
    assert (tmp_path / "weights" / "m.bin").exists()
    net = nncalc.read_model(tmp_path / "m.onnx").network
    np.testing.assert_allclose(net(X), torch_of(model), rtol=1e-12, atol=1e-12)
