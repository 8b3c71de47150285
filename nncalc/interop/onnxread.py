"""ONNX models in: the network an MLP graph computes.

``read(path)`` reads Gemm (or MatMul + Add) layers, each followed by one activation in
any spelling of ``onnxops.TEMPLATES``, from the graph's output back to its input (what
follows the output, such as scikit-learn's ArgMax and ZipMap, is left out). Needs the
``onnx`` package (``pip install 'nncalc[onnx]'``), imported on use.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nncalc import activations
from nncalc.errors import NNCalcError
from nncalc.files.reader import read_bytes
from nncalc.interop import affine, metadata
from nncalc.interop.onnxgraph import FLOAT_TYPES, Graph, Opaque, excerpt
from nncalc.interop.onnxops import (
    ATTRIBUTE,
    ROUNDED,
    TEMPLATES,
    B,
    Node,
    U,
    Z,
    match,
    onnx_module,
    operators,
)
from nncalc.network import Array, Layer, Network

SUPPORTED = (
    "supported: Gemm, MatMul (+ Add), FusedGemm or FusedMatMul, each followed by one "
    "activation nncalc has, in a spelling of docs/interop.md, or by none (identity); "
    "Identity, Dropout, Cast, Flatten and Reshape to rows pass through; BatchNormalization "
    "in inference and constant scales and shifts beside a layer fold into its Θ"
)
TORCHSCRIPT_SOFTPLUS = (
    "this Softplus has no threshold, as PyTorch's TorchScript exporter writes every "
    "nn.Softplus: nncalc computes log(1 + e^(βz))/β everywhere, as the file does; the module "
    "itself returns z where βz > its threshold (20 by default)"
)
PASS_THROUGH = frozenset({"Identity", "Dropout", "Cast", "Flatten", "Reshape"})
PRODUCTS = frozenset({"Gemm", "MatMul"})
PRODUCERS = {"pytorch": "PyTorch", "skl2onnx": "scikit-learn"}
"""ONNX producer names of the frameworks nncalc names (any other: ONNX)."""
AFFINE = frozenset({"Add", "Sub", "Mul", "Div"})
"""Operators that are affine maps of each unit where their other input is a constant."""
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


class _Reader(Graph):
    """Reads layers off the graph's trees, from the output back to the input."""

    def __init__(self, model: Any, source: str, folder: Path | None) -> None:
        self.dtypes: list[np.dtype] = []
        self.affines: dict[int, tuple[Array, Any] | None] = {}
        self.affine_notes: dict[int, list[str]] = {}
        super().__init__(model, source, folder)

    # -- layers, from the output back to the input -------------------------------

    def imported(self) -> Imported:
        e = self._output()
        layers: list[Layer] = []
        e = self._through(e)
        while e is not self.input:
            layer, e = self._layer(e)
            e = self._through(e)
            while e is not self.input and self._template(e) is None:
                front = self._front(e)  # an affine map of what the layer reads
                if front is None:
                    break
                e, fold = front
                layer = Layer(fold(layer.theta), layer.activation, *_gate(layer, fold))
                e = self._through(e)
            layers.append(layer)
        if not layers:
            raise self.error("the graph's output is its input: no layer to read")
        layers.reverse()
        meta = self._metadata()
        classes = self._classes(meta, layers[-1].units)
        network = Network(tuple(layers), self._name(meta), classes, framework=self._framework())
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
            names = excerpt(", ".join(o.name for o in self.outputs))
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
            elif (e.op == "Reshape" and _numeric(e.arg(1)) and not self._to_rows(e)) or (
                e.op in ("Squeeze", "Unsqueeze") and not e.unknown
            ):
                to = f"to {excerpt(str(e.arg(1).tolist()))}" if e.op == "Reshape" else ""
                self.notes.append(
                    f"the graph's output is reshaped {to or f'({e.op})'} by the node "
                    f"'{e.name}'; nncalc gives each example's units as a row: the same "
                    "numbers, in the same order"
                )
                e = e.arg(0)
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
        return (
            isinstance(e, Node)
            and e.op in PASS_THROUGH
            and not e.unknown
            and self._blocks(e) is None
        )

    def _blocks(self, e: Node) -> str | None:
        """Why the pass-through operator e changes what nncalc computes, if it does."""
        source = e.arg(0)
        if e.op == "Cast":  # to a float, and not of a comparison (step's 0/1)
            if isinstance(source, Node) and source.op in COMPARISONS:
                against = [str(c) for c in source.inputs if _numeric(c) and c.size == 1]
                shown = f" with {', '.join(against)}" if against else ""
                return (
                    f"casts a comparison ({source.op}{shown}) to numbers; the one activation "
                    "of that form is step, Cast(z ≥ 0)"
                )
            if e.attrs.get("to") not in FLOAT_TYPES:
                return "casts to a type not a float"
            self._rounding(e)
        if e.op == "Reshape" and not self._to_rows(e):
            if self._target(e.arg(1), e.arg(0)) is None:
                return "reshapes to a shape computed at run time, in a way nncalc cannot read"
            return "does not reshape each example to a row of units"
        if e.op == "Flatten":
            shape, axis = self._arg_shape(e), e.attrs.get("axis", 1)
            rows = shape is not None and len(shape) == 2 and axis in (1, -1)
            if self._through(source) is not self.input and not rows:
                return "flattens a tensor that is not the graph's input, nor rows of units"
            if axis != 1 and not (shape and axis + len(shape) == 1):
                return "flattens from an axis other than 1, mixing examples or splitting them"
        if e.op == "Dropout" and self._training(e):
            return "drops units at random (training mode)"
        return None

    def _arg_shape(self, e: Node) -> tuple | None:
        """The shape of e's first input, if ONNX can infer it."""
        return self.args.get(id(e), (0, None))[1]

    def _rounding(self, e: Node) -> None:
        """Note the Cast e where it rounds (to a type that does not hold all of its input's
        numbers), which nncalc, computing in float64 throughout, does not."""
        source, to = self.args.get(id(e), (0, None))[0], e.attrs["to"]
        if to != source and to != 11 and (source, to) not in ((10, 1), (16, 1)):
            of = f"{FLOAT_TYPES[source]} " if source in FLOAT_TYPES else ""
            self.notes.append(
                f"{_named(e)} rounds {of}numbers to {FLOAT_TYPES[to]}; nncalc computes in "
                "float64 throughout, so its outputs differ from the model's by that rounding"
            )

    def _to_rows(self, e: Node) -> bool:
        """Does the Reshape e keep each example a row: [N, ...] to [N, units]?"""
        target, shape = self._target(e.arg(1), e.arg(0)), self._arg_shape(e) or (None,)
        if target is None or len(target) != 2:
            return False
        units = math.prod(shape[1:]) if None not in shape[1:] and len(shape) > 1 else None
        first, second = target
        rows = {"N", shape[0], None if e.attrs.get("allowzero", 0) else 0}  # 0: as in the input
        return (first in rows and second == -1) or (first in {-1, *rows} and second == units)

    def _target(self, t: Any, source: Any) -> list | None:
        """A Reshape's target shape: a constant, or a Concat of constants and "N", the
        first dimension of its source as Slice(Shape(source), 0, 1) gives it (PyTorch's
        flatten); None for any other."""
        parts = t.inputs if isinstance(t, Node) and t.op == "Concat" else [t]
        if isinstance(t, Node) and t.op == "Concat" and t.attrs.get("axis") not in (0, -1):
            return None
        target = []
        for part in parts:
            if _numeric(part) and part.dtype.kind in "iu" and part.ndim == 1:
                target += [int(v) for v in part]
            elif isinstance(part, Node) and self._first_dimension(part, source):
                target.append("N")
            else:
                return None
        return target

    def _first_dimension(self, t: Node, source: Any) -> bool:
        """Is t Slice(Shape(source), starts 0, ends 1): the first dimension of source?"""
        shape = t.arg(0)
        if not (t.op == "Slice" and isinstance(shape, Node) and shape.op == "Shape"):
            return False
        bounds = t.inputs[1:5]  # starts, ends, axes, steps
        if shape.arg(0) is not source or shape.attrs or len(bounds) < 2:
            return False
        if not all(
            b is None or (_numeric(b) and b.dtype.kind in "iu" and b.size == 1) for b in bounds
        ):
            return False
        start, end, *rest = (None if b is None else int(b.flat[0]) for b in bounds)
        rank = len(self._arg_shape(shape) or ())
        end = end + rank if end is not None and end < 0 else end
        return rank > 0 and start == 0 and end == 1 and all(r in (None, 0, 1) for r in rest)

    def _training(self, e: Node) -> bool:
        """Does the Dropout e drop units: training_mode true or computed at run time (from
        opset 12), or is_test false (before opset 7)?"""
        if self.opset < 7:
            return not e.attrs.get("is_test", 0)
        mode = e.arg(2)
        mode = mode.array if isinstance(mode, Opaque) else mode
        off = isinstance(mode, np.ndarray) and mode.dtype.kind in "biuf" and not mode.any()
        return mode is not None and not off

    def _layer(self, e: Any) -> tuple[Layer, Any]:
        """The layer whose output is e, and the layer output it reads."""
        if not isinstance(e, Node):
            what = "nothing" if e is None else "a constant"
            raise self.error(f"a layer reads {what}, not the graph's input or another layer")
        found = self._template(e)
        if found is None:
            raise self._unsupported(e)
        name, bound = found
        theta, a = self._affine(bound[Z])
        for z in (bound[Z], bound.get(U)):
            self.notes += self.affine_notes.get(id(z), [])
        self._rounded(e, name, bound.pop(ROUNDED, ()))
        self._single(e, name, bound.pop(ATTRIBUTE, ()))
        values = {k: v for k, v in bound.items() if k not in (Z, U)}
        if name != "swiglu":
            self.notes += [_stored_note(e, k, v) for k, v in values.items() if _narrow(v)]
            g = activations.get(name).with_params(**values)
            pytorch = self.model.producer_name == "pytorch"
            if name == "softplus" and "threshold" not in values and pytorch:
                self.notes.append(TORCHSCRIPT_SOFTPLUS)
            return Layer(theta, g), a
        gate, a_gate = self._affine(bound[U])
        if self._through(a_gate) is not self._through(a):
            raise self.error(f"the SwiGLU layer '{e.name}' has two matrices of different inputs")
        beta = values.get(B.name)
        return Layer(theta, gate=gate, beta=None if beta is None else float(beta)), a

    def _rounded(self, e: Node, name: str, constants: tuple[float, ...]) -> None:
        """Accept, with a note, the constants of g that a float64 graph stores as their float32
        rounding where PyTorch's dynamo exporter wrote them so (a model's Python numbers);
        refuse them in any other file: its g is not the exact one."""
        if not constants:
            return
        shown = ", ".join(f"{c!r} as {float(np.float32(c))!r}" for c in dict.fromkeys(constants))
        if self.producer != "pytorch":
            raise self.error(
                f"{_named(e)} computes {name} with {shown}: the float32 rounding of its "
                "constants in a float64 graph, not the exact ones nncalc computes with"
            )
        self.notes.append(
            f"{_named(e)} is {name} with its constants stored as float32 in a float64 graph "
            f"({shown}): PyTorch's dynamo exporter rounds a model's Python numbers so; nncalc "
            "computes with the exact constants, as the PyTorch module does, so the file's "
            "own outputs differ from nncalc's by that rounding"
        )

    def _single(self, e: Node, name: str, constants: tuple[float, ...]) -> None:
        """Note the constants of g that ONNX keeps as float32 attributes (HardSigmoid's
        1/6), which float32 does not hold exactly: nncalc computes with the exact ones."""
        if constants:
            shown = ", ".join(
                f"{c!r} as {float(np.float32(c))!r}" for c in dict.fromkeys(constants)
            )
            self.notes.append(
                f"{_named(e)} is {name} with constants kept as float32 attributes, as ONNX "
                f"keeps them ({shown}); nncalc computes with the exact constants, as the "
                "framework's module does"
            )

    def _template(self, e: Node) -> tuple[str, dict] | None:
        """(the activation, its bindings) of the first template e matches, if any."""
        for name, template in TEMPLATES.items():
            bound: dict = {}
            if match(template, e, bound, lambda n: self._affine(n) is not None):
                return name, bound
        return None

    def _affine(self, e: Node) -> tuple[Array, Any] | None:
        """(Θ = [b | W], the node it reads) when e is Gemm or MatMul, then any biases (Add of
        a constant) and BatchNormalizations, with pass-through operators between them."""
        if id(e) not in self.affines:
            before = len(self.notes)
            with np.errstate(over="ignore", invalid="ignore"):  # Layer refuses Θ not finite
                self.affines[id(e)] = self._read_affine(e)
            self.affine_notes[id(e)] = self.notes[before:]  # said if a layer reads e as z
            del self.notes[before:]
        return self.affines[id(e)]

    def _read_affine(self, e: Node) -> tuple[Array, Any] | None:
        """Walks down from e (no recursion: chains may be long) to its Gemm or MatMul."""
        steps = []
        while e.op not in PRODUCTS:
            inner = e.arg(0) if self._passes(e) else self._inner(e)
            if not isinstance(inner, Node) or self.affines.get(id(inner), ()) is None:
                found = None
                break
            steps.append(e)
            e = inner
        else:
            found = self._product(e)
        if found is None:
            self.affines.update(dict.fromkeys(map(id, steps)))  # none of them is a z either
            return None
        theta, a = found
        for step in reversed(steps):
            if step.op == "BatchNormalization":
                theta = self._normalized(theta, step)
            elif step.op in AFFINE:
                theta = self._after(theta, step)
        if not np.isfinite(theta).all():
            top = steps[0] if steps else e
            raise self.error(f"{_named(top)} gives a Θ of numbers not finite (NaN or infinity)")
        return theta, a

    def _inner(self, e: Node) -> Any:
        """The node a bias (Add) or a BatchNormalization applies to, with only constants
        beside it; None for other nodes."""
        if e.unknown:
            return None
        if e.op in ("Add", "Mul", "Sub") and len(e.inputs) == 2:
            return next((n for n in e.inputs if _numeric(self._other(e, n))), None)
        if e.op == "Div" and len(e.inputs) == 2 and _numeric(e.arg(1)):
            return e.arg(0)
        if e.op == "BatchNormalization" and all(map(_numeric, e.inputs[1:5])):
            return e.arg(0)
        return None

    @staticmethod
    def _other(e: Node, n: Any) -> Any:
        """The input of the binary node e beside n."""
        return e.inputs[1] if e.inputs[0] is n else e.inputs[0]

    def _constant_of(self, e: Node) -> Array:
        """The constant input of the binary node e (a node and a constant)."""
        return next(c for c in e.inputs if _numeric(c))

    def _after(self, theta: Array, e: Node) -> Array:
        """Θ followed by e, a bias or a scalar or per-unit ×, ÷ or − of its z."""
        c = self._per_unit(self._constant_of(e), theta.shape[0], e)
        if e.op == "Add":
            return affine.after(theta, t=c)
        if e.op == "Sub":
            first = _numeric(e.arg(0))
            return affine.after(theta, -1.0, c) if first else affine.after(theta, t=-c)
        self.notes.append(
            f"{_named(e)} {'multiplies' if e.op == 'Mul' else 'divides'} a layer's z by a "
            "constant; nncalc folds it into that layer's Θ in float64, which rounds as the "
            "model's own product does not exactly"
        )
        return theta * c[:, None] if e.op == "Mul" else theta / c[:, None]

    def _front(self, e: Node) -> tuple[Any, Callable[[Array], Array]] | None:
        """(what e reads, the map of a Θ reading e to one reading that) where e maps each
        input of a layer by constants: a scaler in front of the first layer, a shift, a
        scale or a BatchNormalization after an activation; None for any other node."""
        if e.unknown or e.op not in (*AFFINE, "Neg", "Scaler", "BatchNormalization"):
            return None
        inner = e.arg(0) if e.op in ("Neg", "Scaler") else self._inner(e)
        if not isinstance(inner, Node):
            return None

        def fold(theta: Array) -> Array:
            n = theta.shape[1] - 1
            if e.op == "Neg":
                return affine.before(theta, -1.0)
            if e.op == "BatchNormalization":
                return affine.before(theta, *self._normalizer(e, n))
            if e.op == "Scaler":  # (x − offset)·scale
                offset, scale = (
                    self._per_unit(np.float32(e.attrs.get(k, d)), n, e)
                    for k, d in (("offset", 0.0), ("scale", 1.0))
                )
                return affine.before(affine.before(theta, scale), t=-offset)
            c = self._per_unit(self._constant_of(e), n, e)
            if e.op == "Sub" and _numeric(e.arg(0)):
                return affine.before(theta, -1.0, c)
            return {
                "Add": lambda: affine.before(theta, t=c),
                "Sub": lambda: affine.before(theta, t=-c),
                "Mul": lambda: affine.before(theta, c),
                "Div": lambda: affine.divided(theta, c),
            }[e.op]()

        self.notes.append(
            f"{_named(e)} maps each input of the layer after it by constants (a scaler, a "
            "shift or scale, a BatchNormalization: an affine map); nncalc folds it into "
            "that layer's Θ in float64 (W·diag(s), b + W·t), which rounds as the model's "
            "own computation does not exactly"
        )
        return inner, fold

    def _normalizer(self, e: Node, units: int) -> tuple[Array, Array]:
        """(s, t) of the BatchNormalization e (inference) of rows of units: s ⊙ v + t."""
        if e.attrs.get("training_mode", 0) or (self.opset < 7 and not e.attrs.get("is_test", 0)):
            raise self.error(f"{_named(e)} normalizes with each batch's own statistics (training)")
        shape = self._arg_shape(e)
        if not shape or len(shape) != 2:
            raise self.error(
                f"{_named(e)} normalizes a tensor not known to be rows of units (N × K)"
            )
        gamma, beta, mean, var = (np.asarray(e.arg(k), np.float64) for k in range(1, 5))
        if any(p.shape != (units,) for p in (gamma, beta, mean, var)):
            raise self.error(f"{_named(e)} does not hold one number per unit for {units} units")
        self.dtypes.extend(e.arg(k).dtype for k in range(1, 5))
        epsilon = float(e.attrs["epsilon"])
        if not np.all(var + epsilon > 0):
            k = int(np.argmin(var + epsilon > 0)) + 1
            raise self.error(f"{_named(e)} has σ² + ε ≤ 0 (or NaN) for unit {k}: no √ to divide by")
        return affine.batchnorm(gamma, beta, mean, var, epsilon)

    def _product(self, e: Node) -> tuple[Array, Any] | None:
        """(Θ, the node it reads) of a Gemm or a MatMul by a constant matrix."""
        W = e.arg(1)
        if e.unknown or not isinstance(e.arg(0), Node) or not _numeric(W):
            return None
        if e.attrs.get("transA", 0):
            return None
        if W.ndim == 1 and e.op == "MatMul":  # one unit, as a vector of one per example
            W = W[:, None]
            self.notes.append(
                f"{_named(e)} multiplies by a vector, giving one number per example: nncalc "
                "gives it as a row of one unit"
            )
        if W.ndim != 2:
            raise self.error(f"{_named(e)} multiplies by a {W.ndim}-D array", SUPPORTED)
        c = e.arg(2)
        if c is not None and not _numeric(c):
            return None
        self.dtypes.append(W.dtype)
        W = np.asarray(W, np.float64)
        W = W if e.attrs.get("transB", 0) else W.T
        W = W * e.attrs.get("alpha", 1.0) if e.attrs.get("alpha", 1.0) != 1 else W
        b = np.zeros(W.shape[0])
        if c is not None:
            b = e.attrs.get("beta", 1.0) * self._per_unit(c, W.shape[0], e)
        return np.column_stack([b, W]), e.arg(0)

    def _per_unit(self, c: Any, units: int, e: Node) -> Array:
        """c as one number per unit: of shape (K,) or (1, K) for K units, or one number for
        all, (), (1,) or (1, 1). Any other shape reaches across the examples."""
        c = np.asarray(c, np.float64)
        if (
            c.ndim > 2
            or (c.ndim == 2 and c.shape[0] != 1)
            or c.shape[-1:] not in ((), (1,), (units,))
        ):
            verb = {"Mul": "multiplies", "Div": "divides", "Sub": "subtracts"}.get(e.op, "adds")
            raise self.error(
                f"{_named(e)} {verb} an array of shape {c.shape} to {units} units",
                hint=f"a bias has one number per unit, of shape ({units},) or (1, {units})",
            )
        if e.op in ("Mul", "Div", "Sub", "Add", "Scaler"):
            self.dtypes.append(np.asarray(c).dtype)
        return np.broadcast_to(c.reshape(-1), (units,)).copy()

    def _normalized(self, theta: Array, e: Node) -> Array:
        """Θ followed by the BatchNormalization e (inference), folded: unit k's row times
        s_k = γ_k/√(σ²_k + ε), its bias (b_k − μ_k)·s_k + β_k; in float64, ε as stored."""
        self._normalizer(e, theta.shape[0])  # checked
        gamma, beta, mean, var = (np.asarray(e.arg(k), np.float64) for k in range(1, 5))
        epsilon = float(e.attrs["epsilon"])
        self.notes.append(
            f"the BatchNormalization '{e.name}' is folded into the Θ before it: each unit's "
            f"row times γ/√(σ² + ε), its bias (b − μ)·γ/√(σ² + ε) + β, in float64 with "
            f"ε = {epsilon!r}, the float32 {np.float32(epsilon)} as the file stores it"
        )
        return affine.after_batchnorm(theta, gamma, beta, mean, var, epsilon)

    def _unsupported(self, e: Node) -> NNCalcError:
        """The real reason no template matches the layer output e: the first node below it,
        breadth first, that nncalc cannot read; else what is missing or extra."""
        below = []
        for n in self._below(e):
            if n.op not in KNOWN:
                return self.error(
                    f"cannot represent the operator {excerpt(n.op)} (node '{n.name}')", SUPPORTED
                )
            reason = self._why_not(n)
            if reason is not None:
                return self.error(reason)
            below.append(n)
        one = "a layer is a Gemm, or MatMul + Add, then one activation"
        if not any(self._affine(n) for n in below):
            return self.error(f"{_named(e)} has no Gemm or MatMul + Add before it", one)
        constants = [str(c) for n in below for c in n.inputs if _numeric(c) and c.size == 1]
        inner = next((n for n in below[1:] if not self._affine(n) and self._template(n)), None)
        if inner is not None:
            around = list(self._below(e, inner))  # what e computes from inner's output
            if not any(self._affine(n) for n in around) and not any(
                _numeric(c) for n in around for c in n.inputs
            ):
                return self.error(f"{_named(e)} follows the activation {_named(inner)}", one)
        them = f" from the constants {', '.join(constants[:6])}" if constants else ""
        return self.error(f"{_named(e)} does not compute an activation nncalc has{them}", SUPPORTED)

    def _below(self, e: Node, stop: Node | None = None) -> Iterator[Node]:
        """The nodes from e down to the affine maps it reads (with them), breadth first,
        leaving out stop and what is below it only through stop."""
        queue, seen = deque([e]), set()
        while queue:
            n = queue.popleft()
            if not isinstance(n, Node) or n is self.input or n is stop or id(n) in seen:
                continue
            seen.add(id(n))
            yield n
            if self._affine(n) is None:
                queue.extend(n.inputs)

    def _why_not(self, n: Node) -> str | None:
        """Why nncalc cannot read the node n, where n alone tells."""
        if n.unknown:
            return (
                f"{_named(n)} has the attribute {excerpt(', '.join(n.unknown))}, which nncalc "
                "does not read (it never takes one at a default)"
            )
        if n.op in PASS_THROUGH:
            reason = self._blocks(n)
            return None if reason is None else f"{_named(n)} {reason}"
        opaque = next((c for c in n.inputs if isinstance(c, Opaque)), None)
        if opaque is not None:
            return f"{_named(n)} reads {opaque.describe()} where numbers belong"
        if n.op in PRODUCTS:
            if not isinstance(n.arg(0), Node):
                return f"{_named(n)} multiplies a constant, not the graph's input or a layer"
            if not all(c is None or _numeric(c) for c in n.inputs[1:]):
                return f"{_named(n)} multiplies by weights computed at run time, not constants"
            if n.attrs.get("transA", 0):
                return f"{_named(n)} transposes its input (transA=1)"
        if n.op in ("Softmax", "LogSoftmax") and n.attrs["axis"] != -1:
            shape = self._arg_shape(n)
            of = f"of shape {_dims(shape)}" if shape else "of a shape ONNX cannot infer"
            return f"{_named(n)} {of} is not over each example's units (the last axis)"
        if n.op == "com.microsoft:QuickGelu" and n.attrs.get("alpha") != 1.0:
            return (
                f"{_named(n)} is z·σ(αz) with α = {n.attrs.get('alpha')!r}: SiLU only when "
                "α = 1, and no other activation nncalc has"
            )
        if n.op == "BatchNormalization" and self._affine(n) is None:
            return (
                f"{_named(n)} does not follow a Gemm or MatMul + Add, nor precede one, into "
                "which it folds"
            )
        return None

    def _metadata(self) -> metadata.Read:
        """nncalc's fields of metadata_props (protobuf hands back bytes for text that is not
        UTF-8)."""
        meta = {p.key: p.value for p in self.model.metadata_props}
        if not all(isinstance(v, str) for v in (*meta, *meta.values())):
            raise self.error("not a valid ONNX model (its metadata is not UTF-8 text)")
        return metadata.read(meta, self.source)

    def _framework(self) -> str:
        """The framework whose indices the model's outputs have: the one that wrote it."""
        return PRODUCERS.get(self.producer, "ONNX")

    def _name(self, meta: metadata.Read) -> str:
        producer = f"{self.model.producer_name} {self.model.producer_version}".strip()
        by = f" ({producer})" if producer else ""
        return meta.name or f"{Path(self.source).name}{by}"

    def _classes(self, meta: metadata.Read, units: int) -> tuple[str, ...] | None:
        classes = meta.classes or self.classes
        return tuple(classes) if classes and len(classes) == units else None


KNOWN = frozenset({*operators(), *PRODUCTS, *PASS_THROUGH, "BatchNormalization", "Scaler", "Neg"})
"""Every operator nncalc reads in a layer."""


def _gate(layer: Layer, fold: Callable[[Array], Array]) -> tuple:
    """(gate, β) of a layer, its gate folded too."""
    return (None, None) if layer.gate is None else (fold(layer.gate), layer.beta)


def narrowest(dtypes: list[np.dtype]) -> str:
    """The name of the floating-point type with the fewest bits, float64 if none."""
    floats = [d for d in dtypes if d.kind == "f" or d.name == "bfloat16"]
    return min(floats, key=lambda d: d.itemsize).name if floats else "float64"


def _dims(shape: tuple) -> str:
    """[?, 1, 3]: a shape, with ? for the dimensions ONNX cannot infer."""
    return f"[{', '.join('?' if d is None else str(d) for d in shape)}]"


def _named(e: Node) -> str:
    """The node e as messages name it: its name, operator and attributes."""
    shown = excerpt(", ".join(f"{k}={excerpt(str(v), 24)}" for k, v in e.attrs.items()))
    return f"the node '{e.name}' ({excerpt(e.op)}{f' {shown}' if shown else ''})"


def _numeric(value: Any) -> bool:
    """Is value a constant array of numbers (not text, not a tensor computed at run time)?"""
    return isinstance(value, np.ndarray)


def _complement(first: Any, second: Any) -> bool:
    """first is 1 − second."""
    return (
        isinstance(first, Node)
        and first.op == "Sub"
        and first.arg(1) is second
        and isinstance(first.arg(0), np.ndarray)
        and bool(np.all(first.arg(0) == 1))
    )


def _narrow(value: Any) -> bool:
    """Is a parameter stored narrower than float64, or as a float64 that is a float32's
    value (PyTorch's dynamo exporter rounds a model's Python numbers so), and not the
    float64 number its shortest decimal names (float32's 0.01 is 0.009999999776482582)?
    A parameter with a value per unit is when one of them is."""
    return any(float(_shortest(v)) != float(v) for v in np.reshape(value, -1))


def _shortest(value: Any) -> str:
    """The shortest decimal of value in the narrowest type that holds it exactly."""
    single = np.float32(value)
    return (
        str(single) if value.dtype.itemsize == 8 and float(single) == float(value) else str(value)
    )


def _stored_note(e: Node, name: str, value: Any) -> str:
    """What nncalc says about a parameter the file stores as float32 (or narrower); of one
    with a value per unit, about the first unit's that is."""
    if np.ndim(value):
        unit = next(i for i, v in enumerate(value) if _narrow(v))
        return _stored_note(e, f"{name} of unit {unit + 1} (and maybe others)", value[unit])
    v, shortest = float(value), _shortest(value)
    written = float(shortest)
    kind = value.dtype if value.dtype.itemsize < 8 else "float64, a float32's value"
    return (
        f"the node '{e.name}' ({e.op}) stores {name} as {kind} {v!r}, which nncalc "
        f"uses; the float64 {shortest} of a framework differs by {abs(v - written):.2g} "
        f"({abs(v - written) / abs(written):.1e} relative)"
    )
