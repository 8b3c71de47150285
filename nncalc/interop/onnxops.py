"""Each activation g as a small ONNX graph over z: one table, read both ways.

A template is a tree: ``(op, arg, ..., {attributes})`` with leaves ``Z`` (the layer's z,
a Gemm or MatMul + Add), ``U`` (a SwiGLU gate's u), ``B`` (SwiGLU's β, a constant) or a
number (a constant). ``OneOf(t1, t2, ...)`` lists the spellings: export writes the first,
import accepts them all. The first spellings are exact in float64 on onnxruntime, whose
float64 Sigmoid loses digits below z = −20 and which has no float64 LeakyRelu or Softplus:
σ is written 1/(1 + e^−z), and softplus as max(z, 0) + log1p(e^−|z|), with log1p(t) =
t·log(u)/(u − 1), u = 1 + t (Kahan's formula; ONNX has no Log1p).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nncalc.errors import NNCalcError

Z, U, B = "Z", "U", "B"
COMMUTATIVE = frozenset({"Add", "Mul", "Max", "Equal"})


@dataclass(frozen=True, init=False)
class OneOf:
    """Alternative spellings of one subgraph; the first is the one export writes."""

    options: tuple

    def __init__(self, *options: Any) -> None:
        object.__setattr__(self, "options", options)


def onnx_module() -> Any:
    """The onnx package, or a clear error naming the extra to install."""
    try:
        import onnx
    except ImportError:
        raise NNCalcError.at(
            "reading and writing ONNX needs the onnx package",
            hint="pip install 'nncalc[onnx]'",
        ) from None
    return onnx


def sigma(x: Any) -> OneOf:
    """σ(x): 1/(1 + e^−x) as exported, or ONNX's Sigmoid."""
    return OneOf(("Reciprocal", ("Add", ("Exp", ("Neg", x)), 1.0)), ("Sigmoid", x))


def _log1p_exp_minus_abs() -> tuple:
    """log1p(e^−|z|), exactly, from Exp, Log and Kahan's correction."""
    t = ("Exp", ("Neg", ("Abs", Z)))
    u = ("Add", t, 1.0)
    d = ("Sub", u, 1.0)
    return ("Where", ("Equal", d, 0.0), t, ("Mul", t, ("Div", ("Log", u), d)))


def _gelu_erf() -> OneOf:
    """z·(1 + erf(z/√2))/2, as the PyTorch exporters write it before opset 20."""
    p = ("Add", ("Erf", ("Div", Z, math.sqrt(2))), 1.0)
    return OneOf(("Mul", ("Mul", Z, p), 0.5), ("Mul", Z, ("Mul", 0.5, p)))


TEMPLATES: dict[str, Any] = {
    "identity": Z,
    "sigmoid": sigma(Z),
    "tanh": ("Tanh", Z),
    "relu": OneOf(("Relu", Z), ("Max", Z, 0.0)),
    "leaky_relu": OneOf(("Max", Z, ("Mul", Z, 0.01)), ("LeakyRelu", Z, {"alpha": 0.01})),
    "softmax": ("Softmax", Z, {"axis": -1}),
    "softplus": OneOf(
        ("Add", ("Relu", Z), _log1p_exp_minus_abs()),
        ("Softplus", Z),
        ("Where", ("Greater", Z, B), Z, ("Softplus", Z)),  # PyTorch's threshold (20)
    ),
    "silu": OneOf(("Mul", Z, sigma(Z)), ("Swish", Z, {"alpha": 1.0})),
    "gelu": OneOf(("Gelu", Z, {"approximate": "none"}), _gelu_erf()),
    "step": ("Cast", ("GreaterOrEqual", Z, 0.0), {"to": 11}),
    "swiglu": OneOf(("Mul", Z, ("Mul", U, sigma(("Mul", U, B)))), ("Mul", Z, ("Mul", U, sigma(U)))),
}
"""g(z) for every activation; SwiGLU's first spelling has a given β, its second β = 1."""

NOTES = {
    "Where": "PyTorch's Softplus returns z itself above its threshold; nncalc computes "
    "log(1 + e^z) exactly (they differ by less than 2.1e-9 there)"
}
"""What import says when a spelling that is not exact is read as nncalc's activation."""


def operators() -> list[str]:
    """Every ONNX operator a template uses, for error messages."""
    found: set[str] = set()

    def walk(t: Any) -> None:
        if isinstance(t, OneOf):
            for option in t.options:
                walk(option)
        elif isinstance(t, tuple):
            found.add(t[0])
            for arg in t[1:]:
                walk(arg)

    for template in TEMPLATES.values():
        walk(template)
    return sorted(found)


def same_number(value: Any, want: float) -> Any:
    """value is want, or want rounded to float32 (ONNX attributes and float32 models);
    elementwise for an array."""
    return (value == want) | (np.abs(value - want) <= 2.0**-24 * abs(want))


# -- import: match a subgraph against a template -------------------------------------


@dataclass(eq=False)
class Node:
    """One output of an ONNX node, as a tree of its inputs (a Node, a constant array, or
    the graph's input, which is None)."""

    op: str
    inputs: list
    attrs: dict
    name: str

    def arg(self, k: int) -> Any:
        """Input k, or None when the node has none there."""
        return self.inputs[k] if k < len(self.inputs) else None


def match(t: Any, e: Any, bound: dict, is_z: Callable[[Node], bool]) -> bool:
    """Does e (a Node or constant) have the shape of template t? Binds Z, U and B in
    ``bound``; Z and U must be nodes for which ``is_z`` holds, the same one each time."""
    if isinstance(t, OneOf):
        for option in t.options:
            trial = dict(bound)
            if match(option, e, trial, is_z):
                bound.update(trial)
                return True
        return False
    if t in (Z, U):
        if not (isinstance(e, Node) and is_z(e)):
            return False
        return bound.setdefault(t, e) is e
    if t == B:
        if not isinstance(e, np.ndarray) or e.size != 1:
            return False
        return bool(same_number(bound.setdefault(B, float(e.flat[0])), float(e.flat[0])))
    if isinstance(t, float):
        return isinstance(e, np.ndarray) and e.size > 0 and bool(np.all(same_number(e, t)))
    if not (isinstance(e, Node) and e.op == t[0]):
        return False
    args, attrs = _split(t)
    if not all(_attr_is(e.attrs.get(k), v) for k, v in attrs.items()):
        return False
    orders = [e.inputs]
    if t[0] in COMMUTATIVE and len(e.inputs) == 2:
        orders.append(e.inputs[::-1])
    for inputs in orders:
        trial = dict(bound)
        if len(inputs) == len(args) and all(
            match(a, x, trial, is_z) for a, x in zip(args, inputs, strict=True)
        ):
            bound.update(trial)
            return True
    return False


def _split(t: tuple) -> tuple[tuple, dict]:
    """(arguments, attributes) of a template node."""
    if t and isinstance(t[-1], dict):
        return t[1:-1], t[-1]
    return t[1:], {}


def _attr_is(value: Any, want: Any) -> bool:
    if isinstance(want, float):
        return isinstance(value, float | int) and bool(same_number(float(value), want))
    return value == want


# -- export: write a template as ONNX nodes ------------------------------------------


class Emitter:
    """Writes templates as ONNX nodes, with one initializer per distinct constant."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.constants: dict[float, str] = {}
        self.initializers: list = []
        self.count = 0

    def constant(self, value: float, name: str | None = None) -> str:
        """The name of a float64 scalar initializer holding value."""
        from onnx import numpy_helper

        if name is None and value in self.constants:
            return self.constants[value]
        name = name or f"const_{len(self.constants)}"
        self.initializers.append(numpy_helper.from_array(np.array(value, np.float64), name))
        self.constants.setdefault(value, name)
        return name

    def emit(self, t: Any, bound: dict[str, str], out: str, prefix: str) -> str:
        """Nodes computing t (its first spellings) from the tensors named in ``bound``;
        the last one writes ``out``. Returns the name of the result."""
        made: dict[int, str] = {}

        def walk(t: Any, name: str | None) -> str:
            if isinstance(t, OneOf):
                t = t.options[0]
            if isinstance(t, str):
                return bound[t]
            if isinstance(t, float):
                return self.constant(t)
            if id(t) in made:
                return made[id(t)]
            from onnx import helper

            args, attrs = _split(t)
            inputs = [walk(a, None) for a in args]
            self.count += 1
            name = name or f"{prefix}_{self.count}"
            node = f"{prefix}/{t[0]}_{self.count}"
            self.nodes.append(helper.make_node(t[0], inputs, [name], node, **attrs))
            made[id(t)] = name
            return name

        return walk(t, out)
