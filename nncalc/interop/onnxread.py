"""ONNX models in: the network an MLP graph computes.

``read(path)`` reads Gemm (or MatMul + Add) layers, each followed by one activation in
any spelling of ``onnxops.TEMPLATES``, from the graph's output back to its input (what
follows the output, such as scikit-learn's ArgMax and ZipMap, is left out). Needs the
``onnx`` package (``pip install 'nncalc[onnx]'``), imported on use.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nncalc import activations
from nncalc.errors import NNCalcError, first_line
from nncalc.files.reader import max_bytes, open_file, read_bytes
from nncalc.interop import metadata
from nncalc.interop.onnxops import TEMPLATES, B, Node, U, Z, match, onnx_module, operators
from nncalc.network import Array, Layer, Network

FLOAT_TYPES = {1: "float32", 10: "float16", 11: "float64", 16: "bfloat16"}
"""ONNX element types nncalc reads (as float64)."""
SUPPORTED = (
    "supported: Gemm, or MatMul + Add, each followed by one of Sigmoid, Tanh, Relu, LeakyRelu, "
    "Softmax and LogSoftmax (last axis), Softplus (β, threshold), Gelu (exact or tanh), Elu, "
    "Clip(0, 6) (ReLU6), HardSwish, Mish, x·Sigmoid(x) (SiLU), SwiGLU, or nothing "
    "(identity); Identity, Dropout, Cast, Flatten and Reshape to rows pass through"
)
TORCHSCRIPT_SOFTPLUS = (
    "this Softplus has no threshold, as PyTorch's TorchScript exporter writes every "
    "nn.Softplus: nncalc computes log(1 + e^(βz))/β everywhere, as the file does; the module "
    "itself returns z where βz > its threshold (20 by default)"
)
PASS_THROUGH = frozenset({"Identity", "Dropout", "Cast", "Flatten", "Reshape"})
COMPARISONS = frozenset({"Equal", "Greater", "GreaterOrEqual", "Less", "LessOrEqual", "Not"})


@dataclass(frozen=True)
class Imported:
    """A network read from a model file, with what nncalc computes differently, if anything."""

    network: Network
    notes: tuple[str, ...] = ()
    dtype: str = "float64"
    """The narrowest floating-point type the file stored weights in."""


def read(path: str | os.PathLike[str]) -> Imported:
    """The network of an ONNX file (see the module docstring)."""
    onnx = onnx_module()
    source = str(path)
    data = read_bytes(path)
    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # protobuf's DecodeError and friends: the file is not ONNX
        raise NNCalcError.at(f"not an ONNX model ({type(e).__name__})", source) from None
    return from_model(model, source, Path(path).parent)


def from_model(model: Any, source: str = "<onnx>", folder: Path | None = None) -> Imported:
    """The network of an in-memory ONNX ModelProto; ``folder`` holds its external data
    files, if it has any (PyTorch writes large weights to MODEL.onnx.data)."""
    if not model.HasField("graph"):
        raise NNCalcError.at("not an ONNX model (no graph)", source)
    try:
        return _Reader(model, source, folder).imported()
    except UnicodeDecodeError:  # protobuf decodes a name or text when it is first read
        raise NNCalcError.at("not a valid ONNX model (a name is not UTF-8 text)", source) from None


class _Reader:
    """Builds a tree of Nodes from the graph, then reads layers off it from the output."""

    def __init__(self, model: Any, source: str, folder: Path | None) -> None:
        self.model, self.source, self.folder, self.notes = model, source, folder, []
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 1)
        self.values: dict[str, Any] = {}
        self.dtypes: list[np.dtype] = []
        self.affines: dict[int, tuple[Array, Any] | None] = {}
        self.classes: list[str] | None = None
        self._read_graph(model.graph)

    def error(self, message: str, hint: str | None = None) -> NNCalcError:
        return NNCalcError.at(message, self.source, hint=hint)

    # -- the graph as trees --------------------------------------------------------

    def _read_graph(self, graph: Any) -> None:
        from onnx import numpy_helper

        budget = [max_bytes()]
        for tensor in graph.initializer:
            if tensor.data_location == 1:  # EXTERNAL
                self._external(tensor, budget)
        self._check()
        for tensor in graph.initializer:
            self.values[tensor.name] = numpy_helper.to_array(tensor)
        inputs = [i for i in graph.input if i.name not in self.values]
        if len(inputs) != 1:
            names = ", ".join(i.name for i in inputs) or "none"
            raise self.error(f"the graph has {len(inputs)} inputs ({names}); nncalc reads one")
        self.input = Node("input", [], {}, inputs[0].name)
        self.values[inputs[0].name] = self.input
        self.ranks = _ranks(self.model)
        for node in graph.node:
            self._read_node(node)
        self.outputs = graph.output

    def _check(self) -> None:
        """ONNX's own checker: node inputs defined, attributes of their schema's types,
        tensors of their declared sizes. Models it refuses are not read."""
        from onnx import checker

        try:
            checker.check_model(self.model)
        except (checker.ValidationError, ValueError) as e:
            raise self.error(f"not a valid ONNX model ({first_line(e)})") from None

    def _external(self, tensor: Any, budget: list[int]) -> None:
        """Read a tensor's external data into it: only from a file beside the model (no
        other folder, no link out of it), and no more than NNCALC_MAX_BYTES in all."""
        from onnx.external_data_helper import ExternalDataInfo

        info = ExternalDataInfo(tensor)
        where = f"the initializer '{tensor.name}' keeps its data in '{info.location}'"
        if self.folder is None:
            raise self.error(where, hint="read the model from its file")
        path = (self.folder / info.location).resolve()
        if Path(info.location).name != info.location or path.parent != self.folder.resolve():
            raise self.error(f"{where}, outside the model's folder", hint="nncalc reads none")
        length = info.length if info.length is not None else -1
        try:
            with open_file(path) as f:
                f.seek(info.offset or 0)
                data = f.read(min(length, budget[0] + 1) if length >= 0 else budget[0] + 1)
        except OSError as e:
            raise self.error(f"{where}, which cannot be read: {e.strerror or e}") from None
        budget[0] -= len(data)
        if budget[0] < 0:
            raise self.error(f"{where}: over {max_bytes():,} bytes", hint="raise NNCALC_MAX_BYTES")
        if length >= 0 and len(data) != length:
            raise self.error(f"{where}, which ends {length - len(data):,} bytes short")
        tensor.raw_data = data
        tensor.data_location = 0
        del tensor.external_data[:]

    def _read_node(self, node: Any) -> None:
        from onnx import helper

        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        attrs = {k: v.decode() if isinstance(v, bytes) else v for k, v in attrs.items()}
        if node.op_type == "Constant":
            self.values[node.output[0]] = self._constant(attrs)
            return
        if node.op_type == "ZipMap":
            labels = attrs.get("classlabels_strings") or attrs.get("classlabels_int64s")
            self.classes = [_text(v) for v in labels or []]
        elif node.op_type == "ArrayFeatureExtractor" and self.classes is None:
            labels = self.values.get(node.input[0])  # scikit-learn's classes_, by index
            if isinstance(labels, np.ndarray) and labels.ndim == 1:
                self.classes = [_text(v) for v in labels]
        inputs = []
        for name in node.input:
            if name and name not in self.values:
                raise self.error(f"the node '{node.name}' reads '{name}', which nothing computes")
            inputs.append(self.values[name] if name else None)
        attrs = self._defaults(node.op_type, attrs, node.input[0] if node.input else "")
        for k, name in enumerate(node.output):
            op = node.op_type if k == 0 else f"{node.op_type}[{k}]"
            self.values[name] = Node(op, inputs, attrs, node.name or name)

    def _constant(self, attrs: dict) -> Array:
        from onnx import numpy_helper

        if "value" in attrs:
            return numpy_helper.to_array(attrs["value"])
        for key in ("value_float", "value_floats", "value_int", "value_ints"):
            if key in attrs:
                return np.array(attrs[key])
        raise self.error(f"a Constant node holds {', '.join(attrs)}; nncalc reads numbers")

    def _defaults(self, op: str, attrs: dict, x: str) -> dict:
        """Attributes with ONNX's defaults filled in, Softmax's axis as −1 for the last."""
        defaults = {
            "LeakyRelu": {"alpha": 0.01},
            "Elu": {"alpha": 1.0},
            "Gelu": {"approximate": "none"},
            "Swish": {"alpha": 1.0},
            "Softmax": {"axis": -1 if self.opset >= 13 else 1},
            "LogSoftmax": {"axis": -1 if self.opset >= 13 else 1},
        }
        attrs = {**defaults.get(op, {}), **attrs}
        if op in ("Softmax", "LogSoftmax") and attrs["axis"] == self.ranks.get(x, 2) - 1:
            attrs["axis"] = -1
        return attrs

    # -- layers, from the output back to the input -------------------------------

    def imported(self) -> Imported:
        e = self._output()
        layers: list[Layer] = []
        e = self._through(e)
        while e is not self.input:
            layer, e = self._layer(e)
            layers.append(layer)
            e = self._through(e)
        if not layers:
            raise self.error("the graph's output is its input: no layer to read")
        layers.reverse()
        meta = self._metadata()
        network = Network(tuple(layers), self._name(meta), self._classes(meta, layers[-1].units))
        return Imported(network, tuple(dict.fromkeys(self.notes)), narrowest(self.dtypes))

    def _output(self) -> Node:
        """The network's output: the graph's floating-point outputs, with what follows the
        network (ZipMap, 1 − p beside p, Identity, Cast) taken off; they must agree."""
        found: list[Node] = []
        for output in self.outputs:
            tensor = output.type.tensor_type
            if output.type.HasField("tensor_type") and tensor.elem_type not in FLOAT_TYPES:
                continue  # a label output: ArgMax, class names
            e = self._strip(self.values.get(output.name))
            if isinstance(e, Node) and all(e is not f for f in found):
                found.append(e)
        if len(found) != 1:
            names = ", ".join(o.name for o in self.outputs)
            raise self.error(
                f"the graph has {len(found)} different floating-point outputs ({names})",
                hint="nncalc reads a network with one output",
            )
        return found[0]

    def _strip(self, e: Any) -> Any:
        while isinstance(e, Node):
            if e.op == "ZipMap" or (self._passes(e) and e.op not in ("Flatten", "Reshape")):
                e = e.arg(0)
            elif e.op == "Concat" and len(e.inputs) == 2 and _complement(*e.inputs):
                e = e.arg(1)  # scikit-learn's binary classifier: [1 − p, p]
            else:
                return e
        return e

    def _through(self, e: Any) -> Any:
        """e without the operators that change nothing nncalc computes."""
        while self._passes(e):
            e = e.arg(0)
        return e

    def _passes(self, e: Any) -> bool:
        """Is e an operator that hands its first input on unchanged, for nncalc?"""
        if not (isinstance(e, Node) and e.op in PASS_THROUGH):
            return False
        source = e.arg(0)
        if e.op == "Cast":  # to a float, and not of a comparison (step's 0/1)
            comparison = isinstance(source, Node) and source.op in COMPARISONS
            return e.attrs.get("to") in FLOAT_TYPES and not comparison
        if e.op == "Reshape":  # to rows of units
            return isinstance(e.arg(1), np.ndarray) and e.arg(1).shape == (2,)
        if e.op == "Flatten":  # the input, to rows
            return e.attrs.get("axis", 1) == 1 and self._through(source) is self.input
        return True

    def _layer(self, e: Any) -> tuple[Layer, Any]:
        """The layer whose output is e, and the layer output it reads."""
        if not isinstance(e, Node):
            what = "nothing" if e is None else "a constant"
            raise self.error(f"a layer reads {what}, not the graph's input or another layer")
        for name, template in TEMPLATES.items():
            bound: dict = {}
            if not match(template, e, bound, lambda n: self._affine(n) is not None):
                continue
            theta, a = self._affine(bound[Z])
            values = {k: v for k, v in bound.items() if k not in (Z, U)}
            if name != "swiglu":
                self.notes += [_stored_note(e, k, v) for k, v in values.items() if _narrow(v)]
                g = activations.get(name).with_params(**{k: float(v) for k, v in values.items()})
                pytorch = self.model.producer_name == "pytorch"
                if name == "softplus" and "threshold" not in values and pytorch:
                    self.notes.append(TORCHSCRIPT_SOFTPLUS)
                return Layer(theta, g), a
            gate, a_gate = self._affine(bound[U])
            if self._through(a_gate) is not self._through(a):
                raise self.error("a SwiGLU layer's two matrices read different layers")
            beta = values.get(B.name)
            return Layer(theta, gate=gate, beta=None if beta is None else float(beta)), a
        raise self._unsupported(e)

    def _affine(self, e: Node) -> tuple[Array, Any] | None:
        """(Θ = [b | W], the node it reads) when e is Gemm, MatMul, or either + a bias."""
        if id(e) not in self.affines:
            self.affines[id(e)] = self._read_affine(e)
        return self.affines[id(e)]

    def _read_affine(self, e: Node) -> tuple[Array, Any] | None:
        if e.op == "Add" and len(e.inputs) == 2:
            for inner, c in (e.inputs, e.inputs[::-1]):
                if isinstance(inner, Node) and _numeric(c):
                    found = self._affine(inner)
                    if found is not None:
                        theta = found[0].copy()
                        theta[:, 0] += self._bias(c, theta.shape[0], e)
                        return theta, found[1]
            return None
        if e.op not in ("Gemm", "MatMul") or not isinstance(e.arg(0), Node):
            return None
        W = e.arg(1)
        if not _numeric(W) or e.attrs.get("transA", 0):
            return None
        if W.ndim != 2:
            raise self.error(f"the node '{e.name}' multiplies by a {W.ndim}-D array", SUPPORTED)
        self.dtypes.append(W.dtype)
        W = np.asarray(W, np.float64)
        W = W if e.attrs.get("transB", 0) else W.T
        W = W * e.attrs.get("alpha", 1.0) if e.attrs.get("alpha", 1.0) != 1 else W
        b = np.zeros(W.shape[0])
        if e.arg(2) is not None:
            if not _numeric(e.arg(2)):
                return None
            b = e.attrs.get("beta", 1.0) * self._bias(e.arg(2), W.shape[0], e)
        return np.column_stack([b, W]), e.arg(0)

    def _bias(self, c: Array, units: int, e: Node) -> Array:
        c = np.asarray(c, np.float64)
        if c.size not in (1, units) or c.squeeze().ndim > 1:
            raise self.error(
                f"the node '{e.name}' adds an array of shape {c.shape} to {units} units",
                hint="a bias has one number per unit",
            )
        return np.broadcast_to(c.reshape(-1), (units,))

    def _unsupported(self, e: Node) -> NNCalcError:
        """The clearest error for a layer output no template matches."""
        known = {*operators(), "Gemm", "MatMul", *PASS_THROUGH}
        queue, seen = [e], set()
        while queue:
            n = queue.pop(0)
            if not isinstance(n, Node) or id(n) in seen or n is self.input:
                continue
            seen.add(id(n))
            if n.op not in known:
                return self.error(
                    f"cannot represent the operator {n.op} (node '{n.name}')", SUPPORTED
                )
            queue.extend(n.inputs)
        shown = ", ".join(f"{k}={v}" for k, v in e.attrs.items())
        return self.error(
            f"the node '{e.name}' ({e.op}{f' {shown}' if shown else ''}) does not compute "
            "an activation nncalc has",
            SUPPORTED,
        )

    def _metadata(self) -> metadata.Read:
        """nncalc's fields of metadata_props (protobuf hands back bytes for text that is not
        UTF-8)."""
        meta = {p.key: p.value for p in self.model.metadata_props}
        if not all(isinstance(v, str) for v in (*meta, *meta.values())):
            raise self.error("not a valid ONNX model (its metadata is not UTF-8 text)")
        return metadata.read(meta, self.source)

    def _name(self, meta: metadata.Read) -> str:
        producer = f"{self.model.producer_name} {self.model.producer_version}".strip()
        by = f" ({producer})" if producer else ""
        return meta.name or f"{Path(self.source).name}{by}"

    def _classes(self, meta: metadata.Read, units: int) -> tuple[str, ...] | None:
        classes = meta.classes or self.classes
        return tuple(classes) if classes and len(classes) == units else None


def _narrow(value: Any) -> bool:
    """Is a parameter stored narrower than float64, and not the float64 number its
    shortest decimal names (float32's 0.01 is 0.009999999776482582)?"""
    shortest = str(value)
    return value.dtype.itemsize < 8 and float(shortest) != float(value)


def _stored_note(e: Node, name: str, value: Any) -> str:
    """What nncalc says about a parameter the file stores as float32 (or narrower)."""
    v, written = float(value), float(str(value))
    return (
        f"the node '{e.name}' ({e.op}) stores {name} as {value.dtype} {v!r}, which nncalc "
        f"uses; the float64 {value!s} of a framework differs by {abs(v - written):.2g} "
        f"({abs(v - written) / abs(written):.1e} relative)"
    )


def narrowest(dtypes: list[np.dtype]) -> str:
    """The name of the floating-point type with the fewest bits, float64 if none."""
    floats = [d for d in dtypes if d.kind == "f" or d.name == "bfloat16"]
    return min(floats, key=lambda d: d.itemsize).name if floats else "float64"


def _ranks(model: Any) -> dict[str, int]:
    """The number of dimensions of every tensor whose shape ONNX can infer."""
    from onnx import shape_inference

    try:
        graph = shape_inference.infer_shapes(model).graph
    except Exception:  # inference is a convenience: a graph it cannot follow is still read
        graph = model.graph
    return {
        v.name: len(v.type.tensor_type.shape.dim)
        for v in (*graph.input, *graph.value_info, *graph.output)
        if v.type.tensor_type.HasField("shape")
    }


def _numeric(value: Any) -> bool:
    """Is value a constant array of numbers (not text, not a tensor computed at run time)?"""
    return isinstance(value, np.ndarray) and value.dtype.kind in "fiu"


def _text(label: Any) -> str:
    return label.decode() if isinstance(label, bytes) else str(label)


def _complement(first: Any, second: Any) -> bool:
    """first is 1 − second."""
    return (
        isinstance(first, Node)
        and first.op == "Sub"
        and first.arg(1) is second
        and isinstance(first.arg(0), np.ndarray)
        and bool(np.all(first.arg(0) == 1))
    )
