"""Issue 23: an ONNX graph is read as the function it computes, or refused.

Generated over every spelling of every activation: a formula's constant matches only when
it equals the exact constant rounded to the type the file stores it in, and the next
number of that type up or down is refused. Operators are their domain and type together;
local functions are read from their bodies; attributes nncalc does not read are refused.
Expected values come from ONNX's reference evaluator (which runs local functions in
float64), onnxruntime, torch, or mpmath for the constants.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import warnings

import numpy as np
import pytest

from nncalc.errors import NNCalcError
from nncalc.interop import onnxread
from nncalc.interop.onnxops import TEMPLATES, Emitter, OneOf, P, U, Z, _split

onnx = pytest.importorskip("onnx")
ml_dtypes = pytest.importorskip("ml_dtypes")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

DTYPES = [np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.float16)]
DTYPES.append(np.dtype(ml_dtypes.bfloat16))
VALUES = {"alpha": 0.25, "beta": 2.5, "threshold": 7.5}
"""The parameters of the spellings that have them: none equal to a formula's constant."""
W = {"W": [[1.0, -1.0, 0.5], [2.0, 0.25, -3.0]], "b": [0.5, -1.0, 2.0]}


def spellings(t):
    """Every concrete spelling of a template: each OneOf expanded, in every combination."""
    if isinstance(t, OneOf):
        for option in t.options:
            yield from spellings(option)
    elif isinstance(t, tuple):
        args, attrs = _split(t)
        attrs = {k: VALUES[v.name] if isinstance(v, P) else v for k, v in attrs.items()}
        for combo in itertools.product(*(list(spellings(a)) for a in args)):
            yield (t[0], *combo, *([attrs] if attrs else []))
    else:
        yield t


def floats(t):
    """The formula constants of a spelling."""
    if isinstance(t, float):
        yield t
    elif isinstance(t, tuple):
        for a in t[1:]:
            yield from floats(a)


SPELLINGS = [
    pytest.param(name, s, id=f"{name}-{k}")
    for name, t in TEMPLATES.items()
    if name != "identity"
    for k, s in enumerate(spellings(t))
]


def layer_model(spelling, replaced=None, producer=""):
    """x (N × 2) → Gemm (3 units) → the spelling → y; each initializer holding a constant
    ``replaced[0]`` holds the array ``replaced[1]`` instead."""
    emitter = Emitter()
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["z"], "gemm")]
    bound = {Z: "z", U: "u"}
    nodes.append(helper.make_node("Gemm", ["x", "W", "c"], ["u"], "gate"))
    bound |= {k: emitter.constant(v, f"p_{k}") for k, v in VALUES.items()}
    emitter.emit(spelling, bound, "y", "g")
    inits = [numpy_helper.from_array(np.array(v), k) for k, v in W.items()]
    inits.append(numpy_helper.from_array(np.array([1.0, 0.0, -1.0]), "c"))
    for tensor in emitter.initializers:
        constant = replaced and tensor.name.startswith("const") and tensor.data_type == 11
        if constant and numpy_helper.to_array(tensor) == replaced[0]:
            tensor = numpy_helper.from_array(replaced[1], tensor.name)
        inits.append(tensor)
    graph = helper.make_graph(
        [*nodes, *emitter.nodes],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N", 3])],
        inits,
    )
    text = str(spelling)
    opset = 24 if "Swish" in text else 9 if "'min'" in text or "'max'" in text else 20
    opsets = [helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)]
    model = helper.make_model(graph, opset_imports=opsets)
    model.producer_name = producer
    return model


def neighbours(x):
    """The numbers of x's type just below and just above the 0-d array x."""
    bits = {2: np.uint16, 4: np.uint32, 8: np.uint64}[x.dtype.itemsize]
    n = x.view(bits)
    sign = bits(1) << bits(8 * x.dtype.itemsize - 1)
    if float(x) == 0:
        tiny = np.array(1, bits).view(x.dtype)
        return [np.array(sign | bits(1), bits).view(x.dtype), tiny]
    step = [n - bits(1), n + bits(1)]
    out = [np.array(s, bits).view(x.dtype) for s in step]
    return out if float(x) > 0 else out[::-1]


def read_g(model):
    """The name of the first layer's activation as nncalc reads it."""
    layer = onnxread.from_model(model).network.layers[0]
    return "swiglu" if layer.gate is not None else layer.g.name


@pytest.mark.parametrize(("name", "spelling"), SPELLINGS)
def test_constants_match_exactly_in_their_own_type(name, spelling):
    """For each constant c of the formula and each type: c rounded to that type is read as
    g; the next number of that type either side is refused."""
    assert read_g(layer_model(spelling)) == name
    for c in dict.fromkeys(floats(spelling)):
        for dtype in DTYPES:
            exact = np.asarray(c).astype(dtype)
            assert read_g(layer_model(spelling, (c, exact))) == name, (c, dtype)
            for near in neighbours(exact):
                with pytest.raises(NNCalcError):
                    read_g(layer_model(spelling, (c, near)))


def test_template_constants_round_as_their_exact_values_do():
    """Each formula constant, held as the float64 nearest its exact value, rounds to every
    narrower type as the exact value does (no double rounding)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.prec = 200
    exact = {float(v): v for v in (mpmath.sqrt(2), mpmath.sqrt(2 / mpmath.pi))}
    constants = {c for t in TEMPLATES.values() for s in spellings(t) for c in floats(s)}
    for c in constants:
        value = exact.get(c, mpmath.mpf(repr(c)))  # the others are short decimals
        assert float(value) == c
        for dtype in DTYPES[1:]:
            assert _rounded(mpmath, value, dtype) == np.asarray(c).astype(dtype), (c, dtype)


def _rounded(mpmath, value, dtype):
    """The exact value (an mpmath number) rounded to nearest, ties to even, in dtype."""
    info = ml_dtypes.finfo(dtype)
    if value == 0:
        return np.asarray(0.0).astype(dtype)
    _, e = mpmath.frexp(value)  # value = m·2^e, 1/2 ≤ |m| < 1
    bits = info.nmant + 1
    e = max(e, info.minexp + 1)
    n = int(mpmath.nint(mpmath.ldexp(value, bits - e)))  # half to even
    return np.asarray(float(mpmath.ldexp(n, e - bits))).astype(dtype)


def test_a_float64_graph_with_float32_constants_is_refused_unless_pytorch_wrote_it():
    """erf(z/1.4142135381698608) in float64 is not GELU; PyTorch's dynamo exporter writes
    a float64 model's Python numbers so, and the module computes z/√2 exactly."""
    spelling = next(s for s in spellings(TEMPLATES["gelu"]) if "Erf" in str(s))
    root2 = np.asarray(np.float32(np.sqrt(2.0)), np.float64)
    with pytest.raises(NNCalcError, match=r"float32 rounding of its constants in a float64"):
        read_g(layer_model(spelling, (float(np.sqrt(2.0)), root2)))
    imported = onnxread.from_model(layer_model(spelling, (float(np.sqrt(2.0)), root2), "pytorch"))
    assert imported.network.activations == ["gelu"]
    assert any("PyTorch's dynamo exporter rounds" in n for n in imported.notes)


# -- domains and local functions -------------------------------------------------------


def graph_model(nodes, initializers, opsets, functions=()):
    """x (N × 2) → nodes → y (N × 3), with these initializers, opsets and functions."""
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.DOUBLE, ["N", 3])],
        [numpy_helper.from_array(np.array(v), k) for k, v in initializers.items()],
    )
    opsets = [helper.make_opsetid(domain, version) for domain, version in opsets]
    return helper.make_model(graph, opset_imports=opsets, functions=list(functions))


def function_model(body, attrs=None, domain="custom.ops", name="Relu", opset=18):
    """x → Gemm → a node domain:name (a local function whose body is ``body``) → y."""
    nodes = [
        helper.make_node("Gemm", ["x", "W", "b"], ["z"], "gemm"),
        helper.make_node(name, ["z"], ["y"], "act", domain=domain, **(attrs or {})),
    ]
    functions = []
    if body is not None:
        opsets = [helper.make_opsetid("", opset)]
        slope = ["slope"] if attrs else []
        functions.append(
            helper.make_function(domain, name, ["t"], ["out"], body, opsets, attributes=slope)
        )
    return graph_model(nodes, W, [("", opset), (domain, 1)], functions)


def reference(model, X):
    from onnx.reference import ReferenceEvaluator

    return ReferenceEvaluator(model).run(None, {"x": X})[0]


X = np.array([[1.0, 2.0], [-0.5, 3.0], [4.0, -0.125], [-2.0, -1.0]])


def test_a_local_function_is_read_from_its_body():
    """custom.ops:Relu whose body is LeakyRelu(0.5) is LeakyReLU(0.5), not ONNX's Relu."""
    model = function_model([helper.make_node("LeakyRelu", ["t"], ["out"], alpha=0.5)])
    net = onnxread.from_model(model).network
    assert net.activations == ["leaky_relu(alpha=0.5)"]
    np.testing.assert_allclose(net(X), reference(model, X), rtol=1e-12)


def test_a_local_functions_attributes_are_its_callers():
    """The body's alpha refers to the caller's attribute 'slope' (ONNX's reference
    evaluator cannot run that, so the expected values are worked out here)."""
    body = helper.make_node("LeakyRelu", ["t"], ["out"])
    body.attribute.add(name="alpha", ref_attr_name="slope", type=onnx.AttributeProto.FLOAT)
    net = onnxread.from_model(function_model([body], {"slope": 0.25})).network
    assert net.activations == ["leaky_relu(alpha=0.25)"]
    z = X @ np.array(W["W"]) + W["b"]
    np.testing.assert_array_equal(net(X), np.where(z >= 0, z, 0.25 * z))


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (function_model(None), "cannot represent the operator custom.ops:Relu (node 'act')"),
        (
            function_model([helper.make_node("Softmax", ["t"], ["out"], axis=0)]),
            "(Softmax axis=0) of shape [?, 3] is not over each example's units",
        ),
        (
            function_model([helper.make_node("LogSoftmax", ["t"], ["out"], axis=0)]),
            "(LogSoftmax axis=0) of shape [?, 3] is not over each example's units",
        ),
        (
            function_model([helper.make_node("Relu", ["t"], ["out"], domain="custom.ops")]),
            "not a valid ONNX model (Cycle detected in model-local function references",
        ),
    ],
    ids=["no-function", "softmax-dim-0", "log-softmax-dim-0", "recursive"],
)
def test_operators_outside_onnx_are_read_from_their_function_or_refused(model, message):
    with pytest.raises(NNCalcError) as caught:
        onnxread.from_model(model)
    assert message in str(caught.value)


def test_functions_that_expand_past_the_bound_are_refused():
    """f_k calls f_(k−1) twice: 2^40 nodes if expanded."""
    functions = [
        helper.make_function(
            "deep",
            "f0",
            ["t"],
            ["out"],
            [helper.make_node("Relu", ["t"], ["out"])],
            [helper.make_opsetid("", 18)],
        )
    ]
    for k in range(1, 41):
        body = [
            helper.make_node(f"f{k - 1}", ["t"], ["m"], domain="deep"),
            helper.make_node(f"f{k - 1}", ["m"], ["out"], domain="deep"),
        ]
        functions.append(
            helper.make_function(
                "deep",
                f"f{k}",
                ["t"],
                ["out"],
                body,
                [helper.make_opsetid("", 18), helper.make_opsetid("deep", 1)],
            )
        )
    model = function_model(None, domain="deep", name="f40")
    model.functions.extend(functions)
    with pytest.raises(NNCalcError, match="its local functions expand to more than 100,000"):
        onnxread.from_model(model)


def test_attributes_nncalc_does_not_read_are_refused():
    """Opset 6's Add with broadcast and axis adds along another axis: never defaulted."""
    nodes = [
        helper.make_node("MatMul", ["x", "W"], ["m"], "mm"),
        helper.make_node("Add", ["m", "b"], ["y"], "add", broadcast=1, axis=1),
    ]
    model = graph_model(nodes, W, [("", 6)])
    with pytest.raises(NNCalcError, match="the attribute axis, broadcast, which nncalc does not"):
        onnxread.from_model(model)


def test_a_custom_operator_with_no_inputs_is_refused(run, tmp_path):
    """Issue 20 §3: a custom-domain Cast with no inputs once exited 70 (IndexError)."""
    nodes = [
        helper.make_node("Gemm", ["x", "W"], ["z"], "gemm"),
        helper.make_node("Cast", [], ["c"], "cast", domain="custom", to=11),
        helper.make_node("Add", ["z", "c"], ["y"], "add"),
    ]
    model = graph_model(nodes, {"W": W["W"]}, [("", 13), ("custom", 1)])
    (tmp_path / "m.onnx").write_bytes(model.SerializeToString())
    result = run("forward", tmp_path / "m.onnx", "-x", "1,2")
    assert result.code == 2
    assert "cannot represent the operator custom:Cast (node 'cast')" in result.err


# -- PyTorch's modules exported as functions -------------------------------------------


torch = pytest.importorskip("torch")
nn = torch.nn


def export_functions(module, tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), module).double().eval()
    path = tmp_path / "f.onnx"
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            (torch.zeros(2, 2, dtype=torch.float64),),
            str(path),
            dynamo=False,
            opset_version=15,
            export_modules_as_functions={type(module)},
        )
    return model, path


def test_softplus_exported_as_a_function_keeps_its_beta(tmp_path):
    """TorchScript writes Softplus(β=2, threshold=5) as a torch.nn.modules.activation
    function: its body is Softplus(2z)/2, without the threshold, which the note says."""
    import nncalc

    model, path = export_functions(nn.Softplus(beta=2, threshold=5), tmp_path)
    imported = nncalc.read_model(path)
    assert imported.network.activations == ["softplus(beta=2)"]
    assert any("TorchScript exporter" in n for n in imported.notes)
    model[1].threshold = 40.0  # the body's softplus: a threshold that changes no float64 value
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(imported.network(X), expected, rtol=1e-12)


@pytest.mark.parametrize("module", ["Softmax", "LogSoftmax"])
def test_softmax_over_examples_exported_as_a_function_is_refused(run, tmp_path, module):
    _, path = export_functions(getattr(nn, module)(dim=0), tmp_path)
    result = run("forward", path, "-x", "1,2")
    assert result.code == 2
    assert f"({module} axis=0) of shape [2, 3] is not over each example's units" in result.err
