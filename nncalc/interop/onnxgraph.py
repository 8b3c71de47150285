"""An ONNX graph as trees: each tensor a Node of its inputs, a constant array, or the graph's
input.

``Graph`` reads the initializers (external data only from the model's own folder), runs
ONNX's checker, and reads the nodes in order. An operator is its domain and its type
together: ``Relu`` is ONNX's, ``custom.ops:Relu`` is not, and is read from the body of the
model's local function of that name or not at all. Constants are folded through the
operators that only move, retype or dequantize numbers (Identity, Transpose, Reshape,
Squeeze, Unsqueeze, Cast, CastLike, DequantizeLinear), as PyTorch's TorchScript exporter
writes a tensor equal to an earlier one as an Identity of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from nncalc.errors import NNCalcError, first_line
from nncalc.files.reader import max_bytes, read_bytes
from nncalc.interop.onnxops import Node
from nncalc.network import Array

FLOAT_TYPES = {1: "float32", 10: "float16", 11: "float64", 16: "bfloat16"}
"""ONNX element types nncalc reads (as float64)."""
STANDARD = frozenset({"", "ai.onnx", "ai.onnx.ml"})
"""The domains of ONNX's own operators, which go by their type alone."""
INLINED = 100_000
"""At most this many nodes read from the bodies of local functions, in all."""
ATTRIBUTES: dict[str, frozenset[str]] = {
    op: frozenset(names.split())
    for op, names in {
        "Gemm": "alpha beta transA transB",
        "BatchNormalization": "epsilon momentum training_mode is_test spatial",
        "Dropout": "ratio seed is_test",
        "Cast": "to saturate round_mode",
        "CastLike": "saturate round_mode",
        "Flatten": "axis",
        "Reshape": "allowzero",
        "Softmax": "axis",
        "LogSoftmax": "axis",
        "LeakyRelu": "alpha",
        "Elu": "alpha",
        "Gelu": "approximate",
        "Swish": "alpha",
        "HardSigmoid": "alpha beta",
        "Clip": "min max",
        "PRelu": "",
        "ReduceSum": "axes keepdims noop_with_empty_axes",
        "ReduceMax": "axes keepdims noop_with_empty_axes",
        "ReduceLogSumExp": "axes keepdims noop_with_empty_axes",
        "Concat": "axis",
        "Slice": "",
        "Shape": "",
        "Gather": "axis",
        "Squeeze": "axes",
        "Unsqueeze": "axes",
        "Transpose": "perm",
        "DequantizeLinear": "axis block_size",
        "com.microsoft:FusedGemm": (
            "alpha beta transA transB activation activation_alpha activation_beta activation_gamma"
        ),
        "com.microsoft:FusedMatMul": "alpha transA transB transBatchA transBatchB",
        "com.microsoft:QuickGelu": "alpha",
        "com.microsoft:Gelu": "",
        "com.microsoft:BiasGelu": "",
        "com.microsoft:FastGelu": "",
        "Scaler": "offset scale",
    }.items()
}
"""The attributes nncalc reads, by operator; each operator it computes with and does not
list here has none. Any other attribute is refused, never taken at a default. (Opset 1's
``consumed_inputs`` changes nothing and is not listed: see ``unknown``.)"""
PLAIN = frozenset(
    {"Relu", "Sigmoid", "Tanh", "Exp", "Log", "Neg", "Abs", "Reciprocal", "Erf", "Softplus"}
    | {"Mish", "HardSwish", "Add", "Sub", "Mul", "Div", "Max", "Min", "Where", "Pow", "Not"}
    | {"Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "MatMul", "Identity"}
    | {"Sqrt"}
)
"""Operators nncalc computes with that have no attribute."""


@dataclass(frozen=True, eq=False)
class Opaque:
    """A constant that is not real numbers (text, booleans): never a weight, a bias or a
    template's number."""

    array: np.ndarray

    def describe(self) -> str:
        kind = self.array.dtype.kind
        return "text" if kind in "OSU" else "booleans" if kind == "b" else str(self.array.dtype)


def op_name(domain: str, op_type: str) -> str:
    """An operator as nncalc names it: its type for ONNX's own, domain:type for others."""
    return op_type if domain in STANDARD else f"{domain}:{op_type}"


def unknown(op: str, attrs: dict) -> tuple[str, ...]:
    """The attributes of a node of op that nncalc does not read (none for operators it
    does not compute with: those are refused by name)."""
    if op not in ATTRIBUTES and op not in PLAIN:
        return ()
    known = ATTRIBUTES.get(op, frozenset()) | {"consumed_inputs"}
    return tuple(k for k in attrs if k not in known)


class Graph:
    """Builds a tree of Nodes from an ONNX model's graph (see the module docstring)."""

    def __init__(self, model: Any, source: str, folder: Path | None) -> None:
        self.model, self.source, self.folder, self.notes = model, source, folder, []
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.producer = model.producer_name
        self.values: dict[str, Any] = {}
        self.args: dict[int, tuple[int, tuple | None]] = {}
        """The element type and shape of each node's first input, where ONNX infers them."""
        self.classes: list[str] | None = None
        self.functions = {(f.domain, f.name): f for f in model.functions}
        self.calls = 0
        self._read_graph(model.graph)

    def error(self, message: str, hint: str | None = None) -> NNCalcError:
        return NNCalcError.at(message, self.source, hint=hint)

    def _read_graph(self, graph: Any) -> None:
        files: dict[str, bytes] = {}
        for tensor in graph.initializer:
            if tensor.data_location == 1:  # EXTERNAL
                self._external(tensor, files)
        self._check()
        for tensor in graph.initializer:
            self.values[tensor.name] = self._tensor(
                tensor, f"the initializer '{excerpt(tensor.name)}'"
            )
        inputs = [i for i in graph.input if i.name not in self.values]
        if len(inputs) > 1:  # leave out the inputs that nothing reads
            read = {name for node in graph.node for name in node.input}
            used = [i for i in inputs if i.name in read] or inputs
            for i in inputs if len(used) == 1 else ():
                if i is not used[0]:
                    self.notes.append(f"the graph's input '{excerpt(i.name)}' is read by no node")
            inputs = used
        if len(inputs) != 1:
            names = excerpt(", ".join(i.name for i in inputs) or "none")
            raise self.error(f"the graph has {len(inputs)} inputs ({names}); nncalc reads one")
        self.input = Node("input", [], {}, inputs[0].name)
        self.values[inputs[0].name] = self.input
        if self._inlined(graph) > INLINED:  # before shape inference, which expands them too
            raise self.error(
                f"its local functions expand to more than {INLINED:,} nodes",
                hint="nncalc reads networks, not programs",
            )
        self.types = _types(self.model)
        self._read_nodes(graph.node, {}, (), ())
        self.outputs = graph.output

    def _check(self) -> None:
        """ONNX's own checker: node inputs defined, attributes of their schema's types,
        tensors of their declared sizes. Models it refuses are not read."""
        from onnx import checker

        try:
            checker.check_model(self.model)
        except (checker.ValidationError, ValueError) as e:
            raise self.error(f"not a valid ONNX model ({excerpt(first_line(e), 120)})") from None

    def _external(self, tensor: Any, files: dict[str, bytes]) -> None:
        """Read a tensor's external data into it: only from a regular file in the model's
        folder or a folder in it (no '..', no absolute path, no link out of it), each file
        read once and no more than NNCALC_MAX_BYTES in all."""
        info = {entry.key: entry.value for entry in tensor.external_data}
        location = info.get("location", "")
        where = f"the initializer '{excerpt(tensor.name)}' keeps its data in '{excerpt(location)}'"
        if self.folder is None:
            raise self.error(where, hint="read the model from its file")
        if not location or "\0" in location:
            raise self.error(f"{where}, not a file name")
        parts = PurePosixPath(location.replace("\\", "/")).parts
        folder = self.folder.resolve()
        path = folder.joinpath(*parts).resolve()
        if not parts or parts[0] == "/" or ".." in parts or not path.is_relative_to(folder):
            raise self.error(f"{where}, outside the model's folder", hint="nncalc reads none")
        offset, length = (self._count(info, key, where) for key in ("offset", "length"))
        offset = offset or 0
        if location not in files:
            budget = max_bytes() - sum(map(len, files.values()))
            try:
                files[location] = read_bytes(path, budget, hint="raise NNCALC_MAX_BYTES")
            except NNCalcError as e:
                problem = e.problems[0]
                message = f"{where}, which cannot be read: {problem.message}"
                raise self.error(message, problem.hint) from None
        data = files[location]
        end = len(data) if length is None else offset + length
        if end > len(data):
            raise self.error(f"{where}, which ends {end - len(data):,} bytes short")
        tensor.raw_data = data[offset:end]
        tensor.data_location = 0
        del tensor.external_data[:]

    def _count(self, info: dict[str, str], key: str, where: str) -> int | None:
        """An external data entry's offset or length: a count of bytes, None if absent."""
        text = info.get(key)
        if text is None:
            return None
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise self.error(f"{where} at the {key} '{excerpt(text)}', not a count of bytes")
        return int(text)

    def _tensor(self, tensor: Any, what: str) -> Array | Opaque:
        """A tensor's numbers (bfloat16 as ml_dtypes' bfloat16), or Opaque for text and
        booleans; complex numbers are refused."""
        from onnx import TensorProto, numpy_helper

        if tensor.data_type in (TensorProto.COMPLEX64, TensorProto.COMPLEX128):
            raise self.error(f"{what} holds complex numbers", hint="nncalc computes with real ones")
        try:
            array = numpy_helper.to_array(tensor)
        except (ValueError, TypeError, KeyError) as e:  # KeyError: a type ONNX does not know
            raise self.error(
                f"{what} cannot be read ({type(e).__name__}: {excerpt(first_line(e), 120)})"
            ) from None
        if tensor.data_type == TensorProto.BFLOAT16:
            return _bfloat16(array)
        return array if real(array) else Opaque(array)

    # -- nodes, and the bodies of local functions ------------------------------------

    def _read_nodes(self, nodes: Any, names: dict[str, str], attrs: Any, calls: tuple) -> None:
        """Read nodes in order; in a function's body, ``names`` maps its tensors to the
        graph's, ``attrs`` are the caller's attributes and ``calls`` the functions called
        on the way here."""
        for node in nodes:
            function = None if node.domain in STANDARD else (node.domain, node.op_type)
            if function in self.functions:
                self._call(node, self.functions[function], names, calls)
            else:
                self._read_node(node, names, attrs, calls)

    def _inlined(self, graph: Any) -> int:
        """How many nodes the bodies of the local functions the graph calls hold, with
        the calls in them expanded (ONNX's checker has refused calls in a cycle)."""
        size: dict[tuple[str, str], int] = {}

        def callee(node: Any) -> tuple[str, str] | None:
            key = (node.domain, node.op_type)
            return key if node.domain not in STANDARD and key in self.functions else None

        for key in self.functions:
            stack = [key]
            while stack:
                top = stack[-1]
                calls = [c for n in self.functions[top].node if (c := callee(n))]
                pending = [c for c in calls if c not in size and c not in stack]
                if pending:
                    stack.extend(pending[:1])
                    continue
                nodes = len(self.functions[top].node) + sum(size.get(c, 1) for c in calls)
                size[top] = min(nodes, INLINED + 1)
                stack.pop()
        return sum(size[c] for n in graph.node if (c := callee(n)))

    def _call(self, node: Any, function: Any, names: dict[str, str], calls: tuple) -> None:
        """Read the body of the local function that node calls, in its place."""
        key = (function.domain, function.name)
        what = f"the node '{excerpt(node.name or node.output[0])}' calls the local function"
        if key in calls:
            raise self.error(f"{what} {excerpt(op_name(*key))}, which calls itself")
        self.calls += 1
        scope = f"{self.calls}#{excerpt(function.name)}/"
        given_inputs = node.input[: len(function.input)]  # those left out are absent: ""
        pairs = [
            *zip_longest(function.input, given_inputs, fillvalue=""),
            *zip(function.output, node.output, strict=False),
        ]
        inner = {formal: _renamed(names, actual) for formal, actual in pairs}
        for body in function.node:
            for name in (*body.input, *body.output):
                if name and name not in inner:
                    inner[name] = scope + name
        given = {a.name: a for a in function.attribute_proto}
        given |= {a.name: a for a in node.attribute}
        self._read_nodes(function.node, inner, given, (*calls, key))

    def _read_node(self, node: Any, names: dict[str, str], given: Any, calls: tuple) -> None:
        from onnx import helper

        op = op_name(node.domain, node.op_type)
        attrs = {}
        for a in node.attribute:
            value = a
            if a.ref_attr_name:  # a function's attribute, as its caller gives it
                if a.ref_attr_name not in given:
                    continue  # not given: as if absent
                value = given[a.ref_attr_name]
            attrs[a.name] = helper.get_attribute_value(value)
        attrs = {k: v.decode() if isinstance(v, bytes) else v for k, v in attrs.items()}
        name = excerpt(node.name or (node.output[0] if node.output else op))
        if calls:
            name = f"{name}' in '{excerpt(op_name(*calls[-1]))}"
        outputs = [_renamed(names, o) for o in node.output]
        if op == "Constant":
            if outputs:
                self.values[outputs[0]] = self._constant(attrs, name)
            return
        if op == "ZipMap":
            labels = attrs.get("classlabels_strings") or attrs.get("classlabels_int64s")
            self.classes = [_text(v) for v in labels or []]
        inputs = []
        for raw in node.input:
            actual = _renamed(names, raw)
            if actual and actual not in self.values:
                what = f"the node '{name}' reads '{excerpt(raw)}'"
                raise self.error(f"{what}, which nothing computes")
            inputs.append(self.values[actual] if actual else None)
        while inputs and inputs[-1] is None:  # an optional input left out at the end
            inputs.pop()
        if op == "ArrayFeatureExtractor" and self.classes is None and inputs:
            labels = inputs[0].array if isinstance(inputs[0], Opaque) else inputs[0]
            if isinstance(labels, np.ndarray) and labels.ndim == 1:  # scikit-learn's classes_
                self.classes = [_text(v) for v in labels]
        first = _renamed(names, node.input[0]) if node.input else ""
        arg = self.types.get(first, (0, None))
        if arg[1] is None and inputs and isinstance(inputs[0], Node) and inputs[0].op == "Gemm":
            arg = (arg[0], (None, None))  # a Gemm's output has two dimensions
        attrs = self._defaults(op, attrs, arg[1])
        folded = self._fold(op, inputs, attrs, node)
        if folded is not None and outputs:
            self.values[outputs[0]] = folded
            return
        if op in REDUCTIONS:
            inputs = _last_axis(inputs, attrs, arg[1])
        for k, out in enumerate(outputs):
            shown = op if k == 0 else f"{op}[{k}]"
            made = Node(shown, inputs, attrs, name, unknown(op, attrs))
            if k == 0 and op in FUSED:
                made = self._unfused(made, arg)
            self.values[out] = made
            self.args[id(made)] = arg

    def _unfused(self, e: Node, arg: tuple) -> Node:
        """onnxruntime's fused operators as the ONNX ones they fuse: FusedGemm as Gemm
        then its activation, FusedMatMul (of rows, B transposed or not) as Gemm, BiasGelu
        and FastGelu with a bias as Add then Gelu. Those of other settings stay as they
        are, and are refused by name."""
        a = e.attrs
        if e.unknown:
            return e
        if e.op == "com.microsoft:FusedGemm":
            act = a.get("activation", "")
            params = {
                "Relu": {},
                "Tanh": {},
                "Sigmoid": {},
                "LeakyRelu": {"alpha": a.get("activation_alpha", 0.01)},
                "Elu": {"alpha": a.get("activation_alpha", 1.0)},
                "HardSigmoid": {
                    "alpha": a.get("activation_alpha", 0.2),
                    "beta": a.get("activation_beta", 0.5),
                },
            }.get(act)
            extra = {k for k in a if k.startswith("activation_")} - {
                f"activation_{k}" for k in params or {}
            }
            if params is None or extra:
                return e
            gemm = {k: a[k] for k in ("alpha", "beta", "transA", "transB") if k in a}
            inner = Node("Gemm", e.inputs, gemm, e.name)
            self.args[id(inner)] = arg
            return Node(act, [inner], params, e.name)
        if e.op == "com.microsoft:FusedMatMul":
            rows = arg[1] is not None and len(arg[1]) == 2
            if not rows or any(a.get(k, 0) for k in ("transA", "transBatchA", "transBatchB")):
                return e
            gemm = {"alpha": a.get("alpha", 1.0), "transB": a.get("transB", 0)}
            return Node("Gemm", e.inputs, gemm, e.name)
        if len(e.inputs) == 2:  # BiasGelu, FastGelu: the activation of z + bias
            inner = Node("Add", e.inputs, {}, e.name)
            self.args[id(inner)] = arg
            op = "Gelu" if e.op.endswith("BiasGelu") else "com.microsoft:FastGelu"
            return Node(op, [inner], {"approximate": "none"} if op == "Gelu" else {}, e.name)
        return e

    def _constant(self, attrs: dict, name: str) -> Array | Opaque:
        if "value" in attrs:
            return self._tensor(attrs["value"], f"the Constant node '{name}'")
        for key, dtype in (("value_float", np.float32), ("value_floats", np.float32)):
            if key in attrs:  # ONNX's float attributes are float32
                return np.array(attrs[key], dtype)
        for key in ("value_int", "value_ints"):
            if key in attrs:
                return np.array(attrs[key], np.int64)
        if "value_string" in attrs or "value_strings" in attrs:
            return Opaque(np.array(attrs.get("value_string", attrs.get("value_strings"))))
        raise self.error(
            f"the Constant node '{name}' holds {excerpt(', '.join(attrs))}; nncalc reads numbers"
        )

    def _fold(self, op: str, inputs: list, attrs: dict, node: Any) -> Array | None:
        """The constant a node computes from constants alone, where it only moves, retypes
        or dequantizes numbers; None for any other node."""
        if not inputs or not isinstance(inputs[0], np.ndarray) or unknown(op, attrs):
            return None
        if op != "CastLike" and not all(v is None or isinstance(v, np.ndarray) for v in inputs):
            return None
        a = inputs[0]
        try:
            if op == "Identity":
                return a
            if op in ("Cast", "CastLike"):
                to = attrs.get("to") or self._type_of(inputs[1], node.input[1])
                # a constant, as ONNX rounds it: to nearest, ties to even
                return a.astype(dtype_of(to)) if to in FLOAT_TYPES else None
            if op == "Transpose":
                return np.transpose(a, attrs.get("perm"))
            if op == "Reshape" and len(inputs) == 2 and inputs[1].dtype.kind == "i":
                shape = [int(d) for d in inputs[1].reshape(-1)]
                if not attrs.get("allowzero", 0):
                    shape = [a.shape[k] if d == 0 else d for k, d in enumerate(shape)]
                return a.reshape(shape)
            if op in ("Squeeze", "Unsqueeze"):
                axes = inputs[1] if len(inputs) > 1 else attrs.get("axes")
                axes = None if axes is None else tuple(int(d) for d in np.reshape(axes, -1))
                if op == "Squeeze":
                    return np.squeeze(a, axes)
                return None if axes is None else np.expand_dims(a, axes)
            if op == "DequantizeLinear":
                return self._dequantized(inputs, attrs, node)
        except (ValueError, TypeError, IndexError, np.exceptions.AxisError):
            return None
        return None

    def _dequantized(self, inputs: list, attrs: dict, node: Any) -> Array | None:
        """DequantizeLinear of constants: (x − zero point)·scale, rounded once to the
        scale's type as ONNX computes it (in float64 that product is exact)."""
        x, scale = inputs[0], inputs[1] if len(inputs) > 1 else None
        point = inputs[2] if len(inputs) > 2 else None
        if scale is None or x.dtype.kind not in "iu" or attrs.get("block_size", 0):
            return None
        if not real(scale) or scale.dtype.kind not in "fV" or scale.ndim > 1:
            return None
        q = x.astype(np.int64) - (0 if point is None else point.astype(np.int64))
        if np.abs(q).max(initial=0) >= 2**29:  # 29 + 24 bits: the product would round
            return None
        s = scale.astype(np.float64)
        if scale.ndim == 1:
            axis = attrs.get("axis", 1) % max(x.ndim, 1)
            s = s.reshape([-1 if k == axis else 1 for k in range(x.ndim)])
            if point is not None and point.ndim == 1:
                q = x.astype(np.int64) - point.astype(np.int64).reshape(s.shape)
        return (q * s).astype(scale.dtype)

    def _type_of(self, value: Any, name: str) -> int:
        """The ONNX element type of a node's input (0 if unknown)."""
        if isinstance(value, np.ndarray):
            return next((k for k in FLOAT_TYPES if dtype_of(k) == value.dtype), 0)
        return self.types.get(name, (0, None))[0]

    def _defaults(self, op: str, attrs: dict, shape: tuple | None) -> dict:
        """Attributes with ONNX's defaults filled in, Softmax's axis as −1 where it is the
        softmax of each example's units."""
        defaults = {
            "LeakyRelu": {"alpha": 0.01},
            "Gelu": {"approximate": "none"},
            "Swish": {"alpha": 1.0},
            "Softmax": {"axis": -1 if self.opset >= 13 else 1},
            "Elu": {"alpha": 1.0},
            "LogSoftmax": {"axis": -1 if self.opset >= 13 else 1},
            "BatchNormalization": {"epsilon": EPSILON},
            "HardSigmoid": {"alpha": 0.2, "beta": 0.5},
            **{op: {"keepdims": 1} for op in REDUCTIONS},
            "com.microsoft:QuickGelu": {"alpha": 1.702},
        }
        attrs = {**defaults.get(op, {}), **attrs}
        if op in ("Softmax", "LogSoftmax") and self._over_units(attrs["axis"], shape):
            attrs["axis"] = -1
        return attrs

    def _over_units(self, axis: int, shape: tuple | None) -> bool:
        """Is Softmax over axis (of a tensor of that shape) the softmax of each example's
        units, the last axis? From opset 13 it is over that one axis; before, over all the
        axes from it on, flattened, which is the same when those before the last are 1."""
        if axis == -1:
            return True
        if not shape:
            return False
        r = len(shape)
        axis = axis + r if axis < 0 else axis
        if not 1 <= axis < r:  # axis 0 would mix the examples
            return False
        return axis == r - 1 or (self.opset < 13 and all(d == 1 for d in shape[axis : r - 1]))


REDUCTIONS = frozenset({"ReduceSum", "ReduceMax", "ReduceLogSumExp"})
FUSED = frozenset(
    {"com.microsoft:FusedGemm", "com.microsoft:FusedMatMul", "com.microsoft:BiasGelu"}
    | {"com.microsoft:FastGelu"}
)
EPSILON = float(np.float32(1e-5))
"""BatchNormalization's default epsilon, a float32 attribute."""


def real(array: np.ndarray) -> bool:
    """Does the array hold real numbers (floats of any width, bfloat16, integers)?"""
    return array.dtype.kind in "fiu" or array.dtype.name == "bfloat16"


def _last_axis(inputs: list, attrs: dict, shape: tuple | None) -> list:
    """A reduction's inputs with its axes as an input (an attribute before opset 13 or
    18), written [−1] where they are the last axis alone of a tensor of known rank."""
    axes = inputs[1] if len(inputs) > 1 else attrs.pop("axes", None)
    if axes is None or not isinstance(axes, np.ndarray | list):
        return inputs
    axes = np.asarray(axes)
    if (
        axes.dtype.kind == "i"
        and axes.size == 1
        and shape
        and int(axes.flat[0]) in (-1, len(shape) - 1)
    ):
        axes = np.array([-1], np.int64)
    return [inputs[0], axes]


def _renamed(names: dict[str, str], name: str) -> str:
    return names.get(name, name) if name else name


def _types(model: Any) -> dict[str, tuple[int, tuple[int | None, ...] | None]]:
    """The element type and shape of every tensor ONNX can infer them for (None for a
    shape or a dimension it cannot)."""
    from onnx import shape_inference

    try:
        graph = shape_inference.infer_shapes(model).graph
    except Exception:  # inference is a convenience: a graph it cannot follow is still read
        graph = model.graph
    return {
        v.name: _type(v.type.tensor_type) for v in (*graph.input, *graph.value_info, *graph.output)
    }


def _type(tensor: Any) -> tuple[int, tuple[int | None, ...] | None]:
    dims = tensor.shape.dim if tensor.HasField("shape") else None
    shape = (
        None
        if dims is None
        else tuple(d.dim_value if d.HasField("dim_value") else None for d in dims)
    )
    return tensor.elem_type, shape


def dtype_of(code: int) -> np.dtype:
    """The NumPy type of the ONNX floating-point type code."""
    import ml_dtypes

    return np.dtype(ml_dtypes.bfloat16 if code == 16 else FLOAT_TYPES[code])


def _bfloat16(array: np.ndarray) -> np.ndarray:
    """A bfloat16 tensor's numbers as ml_dtypes' bfloat16 (onnx before 1.17 gives their
    bits as uint16); widening them to float64 is exact."""
    import ml_dtypes

    return array.astype(np.uint16).view(ml_dtypes.bfloat16) if array.dtype == np.uint16 else array


def excerpt(text: str, size: int = 60) -> str:
    """At most size characters of a file's text, for a message."""
    return text if len(text) <= size else f"{text[: size - 3]}..."


def _text(label: Any) -> str:
    return label.decode() if isinstance(label, bytes) else str(label)
