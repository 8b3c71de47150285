"""Each activation g as a small ONNX graph over z: one table, read both ways.

A template is a tree: ``(op, arg, ..., {attributes})`` with leaves ``Z`` (the layer's z,
a Gemm or MatMul + Add), ``U`` (a SwiGLU gate's u), a ``P`` (a parameter of g, such as
LeakyReLU's α or SwiGLU's β: a scalar constant or an attribute) or a number (a constant).
``OneOf(t1, t2, ...)`` lists the spellings: import accepts them all, export writes the
first that holds g's parameters (``spelling``). Those are exact in float64 on onnxruntime,
whose float64 Sigmoid loses digits below z = −20, whose HardSwish and Mish round to float32
or lose the tail, and which has no float64 LeakyRelu, Softplus or Gelu: σ is written
1/(1 + e^−z); softplus as max(z, 0) + log1p(e^−|z|), with log1p(t) = t·log(u)/(u − 1),
u = 1 + t; ELU's e^z − 1 as (u − 1)·z/log(u), u = e^z (Kahan's formulas; ONNX has no Log1p
or Expm1); GELU's tanh form as z·σ(2y), which is z·(1 + tanh(y))/2 without its cancellation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from nncalc.errors import NNCalcError

Z, U = "Z", "U"
COMMUTATIVE = frozenset({"Add", "Mul", "Max", "Min", "Equal"})


@dataclass(frozen=True)
class P:
    """A parameter of g, read from a scalar constant or an attribute (those ONNX stores as
    float32) and written as a float64 constant; a template matches only values in [lo, hi].
    A ``per_unit`` one may also be a constant with a value for each unit (shape (units,)
    or (1, units): PReLU's slopes), read and written as such."""

    name: str
    lo: float = -math.inf
    hi: float = math.inf
    per_unit: bool = False

    def holds(self, value: float | tuple[float, ...]) -> bool:
        """Whether value (a tuple: one per unit) is one this parameter can be here."""
        if isinstance(value, tuple):
            return self.per_unit and all(self.lo <= v <= self.hi for v in value)
        return self.lo <= value <= self.hi


@dataclass(frozen=True)
class Ints:
    """A constant int64 tensor, such as a reduction's axes."""

    values: tuple[int, ...]


B = P("beta")
"""SwiGLU's β."""
BETA = P("beta", 5e-324)
"""Softplus's β, which is positive."""
ALPHA, THRESHOLD = P("alpha"), P("threshold")
SLOPES, SLOPES_01 = P("alpha", per_unit=True), P("alpha", 0.0, 1.0, per_unit=True)
"""LeakyReLU's α: one, or one per unit (PReLU); ``SLOPES_01`` in [0, 1], where max(z, αz)."""


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


def _log1p(t: Any) -> tuple:
    """log1p(t), exactly, from Log and Kahan's correction: t·log(u)/(u − 1), u = 1 + t."""
    u = ("Add", t, 1.0)
    d = ("Sub", u, 1.0)
    return ("Where", ("Equal", d, 0.0), t, ("Mul", t, ("Div", ("Log", u), d)))


def _log1p_exp_minus_abs(x: Any) -> tuple:
    """log1p(e^−|x|), exactly."""
    return _log1p(("Exp", ("Neg", ("Abs", x))))


def _log_softmax() -> OneOf:
    """ln p_i: LogSoftmax, except for a unit with p_i > 1/2, whose ln p_i = log1p(−q) with
    q the sum of the other units' p (LogSoftmax's z_i − max z − log Σ would lose it, as
    log Σ rounds: ln p = −4.2e-18 for z = [0, −40] comes out 0)."""
    p = ("Softmax", Z, {"axis": -1})
    top = ("Greater", p, 0.5)
    q = ("ReduceSum", ("Where", top, 0.0, p), Ints((-1,)), {"keepdims": 1})
    exact = ("Where", top, _log1p(("Neg", q)), ("LogSoftmax", Z, {"axis": -1}))
    return OneOf(exact, ("LogSoftmax", Z, {"axis": -1}))


def _expm1(x: Any) -> tuple:
    """e^x − 1, exactly, for x ≤ 0: (u − 1)·x/log(u) with u = e^x (Kahan), x where u
    rounds to 1 and −1 where u − 1 does."""
    u = ("Exp", x)
    d = ("Sub", u, 1.0)
    kahan = ("Div", ("Mul", d, x), ("Log", u))
    return ("Where", ("Equal", u, 1.0), x, ("Where", ("Equal", d, -1.0), -1.0, kahan))


def _softplus() -> OneOf:
    """PyTorch's softplus in every spelling: β and the threshold each present or not,
    exact (export) or ONNX's Softplus (PyTorch's exporters: TorchScript writes no
    threshold, dynamo Where(β·z > t, z, ...))."""
    options = []
    for exact in (True, False):
        for threshold in (False, True):
            for beta in (False, True):
                x = ("Mul", Z, BETA) if beta else Z
                if exact:
                    tail = _log1p_exp_minus_abs(x)
                    v = ("Add", ("Relu", Z), ("Div", tail, BETA) if beta else tail)
                else:
                    v = ("Div", ("Softplus", x), BETA) if beta else ("Softplus", x)
                options.append(("Where", ("Greater", x, THRESHOLD), Z, v) if threshold else v)
    return OneOf(*options)


def _half_z_times(p: Any) -> OneOf:
    """z·p/2 in the orders the exporters multiply it: (z·p)·0.5, z·(0.5·p), (z·0.5)·p."""
    return OneOf(
        ("Mul", ("Mul", Z, p), 0.5), ("Mul", Z, ("Mul", 0.5, p)), ("Mul", ("Mul", Z, 0.5), p)
    )


def _gelu_tanh() -> OneOf:
    """z·σ(2y), y = √(2/π)·(z + 0.044715·z³), as exported; ONNX's Gelu; onnxruntime's
    FastGelu; and z·(1 + tanh(y))/2 with z³ as Pow (dynamo) or z·(z·z) (TorchScript),
    as nn.GELU(approximate="tanh") and GPT-2's formula write it."""
    c, k = math.sqrt(2 / math.pi), 0.044715

    def tanh_y(cube: Any) -> tuple:
        return ("Tanh", ("Mul", c, ("Add", Z, ("Mul", k, cube))))

    y2 = ("Mul", ("Mul", c, ("Add", Z, ("Mul", k, ("Mul", ("Mul", Z, Z), Z)))), 2.0)
    cubes = (("Pow", Z, 3.0), ("Mul", Z, ("Mul", Z, Z)))
    return OneOf(
        ("Mul", Z, sigma(y2)),
        ("Gelu", Z, {"approximate": "tanh"}),
        ("com.microsoft:FastGelu", Z),
        *(_half_z_times(("Add", 1.0, tanh_y(cube))) for cube in cubes),
    )


def _gelu_erf() -> OneOf:
    """z·(1 + erf(z/√2))/2, as the PyTorch exporters write it before opset 20, also with
    z·(1/√2), in any order of the products."""
    over = (("Div", Z, math.sqrt(2)), ("Mul", Z, math.sqrt(0.5)))
    return OneOf(*(_half_z_times(("Add", ("Erf", x), 1.0)) for x in over))


def _softmax() -> OneOf:
    """Softmax over the units, or e^z/Σe^z written out, with or without the max shift."""
    last = Ints((-1,))
    shifted = ("Sub", Z, ("ReduceMax", Z, last, {"keepdims": 1}))
    return OneOf(
        ("Softmax", Z, {"axis": -1}),
        *(
            ("Div", ("Exp", x), ("ReduceSum", ("Exp", x), last, {"keepdims": 1}))
            for x in (Z, shifted)
        ),
    )


_CLIP3 = ("Max", ("Min", Z, 3.0), -3.0)
_E = ("Exp", Z)
_E_NEG = ("Exp", ("Neg", Z))

TEMPLATES: dict[str, Any] = {
    "identity": Z,
    "sigmoid": sigma(Z),
    "tanh": OneOf(("Tanh", Z), ("Div", ("Sub", _E, _E_NEG), ("Add", _E, _E_NEG))),
    "relu": OneOf(("Relu", Z), ("Max", Z, 0.0), ("Clip", Z, 0.0)),
    "leaky_relu": OneOf(
        ("Max", Z, ("Mul", Z, SLOPES_01)),  # for 0 ≤ α ≤ 1 only
        ("Where", ("GreaterOrEqual", Z, 0.0), Z, ("Mul", Z, SLOPES)),
        ("LeakyRelu", Z, {"alpha": ALPHA}),
        ("Where", ("Greater", Z, 0.0), Z, ("Mul", Z, SLOPES)),
        ("Where", ("Less", Z, 0.0), ("Mul", Z, SLOPES), Z),
        ("PRelu", Z, SLOPES),
    ),
    "softmax": _softmax(),
    "log_softmax": OneOf(
        *_log_softmax().options,
        ("Sub", Z, ("ReduceLogSumExp", Z, Ints((-1,)), {"keepdims": 1})),
    ),
    "softplus": OneOf(*_softplus().options, ("Log", ("Add", ("Exp", Z), 1.0))),
    "silu": OneOf(
        ("Mul", Z, sigma(Z)),
        ("Swish", Z, {"alpha": 1.0}),
        ("com.microsoft:QuickGelu", Z, {"alpha": 1.0}),
    ),
    "gelu": OneOf(("Gelu", Z, {"approximate": "none"}), _gelu_erf(), ("com.microsoft:Gelu", Z)),
    "gelu_tanh": _gelu_tanh(),
    "elu": OneOf(
        ("Where", ("Greater", Z, 0.0), Z, ("Mul", _expm1(("Min", Z, 0.0)), ALPHA)),
        ("Elu", Z, {"alpha": ALPHA}),
    ),
    "relu6": OneOf(
        ("Min", ("Max", Z, 0.0), 6.0),
        ("Clip", Z, 0.0, 6.0),
        ("Max", ("Min", Z, 6.0), 0.0),
        ("Clip", Z, {"min": 0.0, "max": 6.0}),
        ("Min", ("Relu", Z), 6.0),
        ("Clip", ("Relu", Z), None, 6.0),
        ("Clip", ("Relu", Z), {"max": 6.0}),
    ),
    "hardswish": OneOf(
        (
            "Where",
            ("GreaterOrEqual", Z, 3.0),
            Z,
            ("Div", ("Mul", _CLIP3, ("Add", _CLIP3, 3.0)), 6.0),
        ),
        ("HardSwish", Z),
        ("Mul", Z, ("HardSigmoid", Z, {"alpha": 1 / 6, "beta": 0.5})),
    ),
    "mish": OneOf(
        ("Mul", Z, ("Tanh", ("Add", ("Relu", Z), _log1p_exp_minus_abs(Z)))),
        ("Mish", Z),
        ("Mul", Z, ("Tanh", ("Softplus", Z))),
    ),
    "step": ("Cast", ("GreaterOrEqual", Z, 0.0), {"to": 11}),
    "swiglu": OneOf(("Mul", Z, ("Mul", U, sigma(("Mul", U, B)))), ("Mul", Z, ("Mul", U, sigma(U)))),
}
"""g(z) for every activation; SwiGLU's first spelling has a given β, its second β = 1."""


def params(t: Any) -> set[P]:
    """The parameters a template (one spelling, nested OneOfs at their first) reads."""
    if isinstance(t, OneOf):
        return params(t.options[0])
    if isinstance(t, P):
        return {t}
    if isinstance(t, tuple):
        args, attrs = _split(t)
        return set().union(*(params(a) for a in (*args, *attrs.values())))
    return set()


def spelling(name: str, values: dict[str, Any], given: set[str]) -> Any:
    """The spelling export writes for g with parameter ``values`` (every parameter with a
    value, defaults too): the first whose parameters it has, within their ranges, and that
    reads every one of ``given`` (those that are not the defaults)."""
    template = TEMPLATES[name]
    for option in template.options if isinstance(template, OneOf) else (template,):
        ps = params(option)
        if given <= {p.name for p in ps} and all(
            p.name in values and p.holds(values[p.name]) for p in ps
        ):
            return option
    raise ValueError(f"no ONNX spelling of {name} with {values}")  # pragma: no cover


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


ATTRIBUTE = "attribute"
"""The key under which ``match`` lists the formula constants it met as float32 attributes
that float32 does not hold exactly (HardSigmoid's 1/6)."""
HARMLESS = frozenset({"consumed_inputs", "noop_with_empty_axes", "saturate"})
"""Attributes that change nothing nncalc computes where a template's node has them."""
ROUNDED = "rounded"
"""The key under which ``match`` lists the constants a graph stores in float64 as their
float32 rounding (PyTorch's dynamo exporter writes a model's Python numbers so)."""


def is_constant(value: Any, want: float, bound: dict) -> bool:
    """Is value (a constant array) want, exactly as its own type rounds it: float64,
    float32, float16 or bfloat16 (integers: want itself)? A float64 array of want's float32
    rounding matches too, listed in ``bound[ROUNDED]`` for the reader to judge."""
    if not (isinstance(value, np.ndarray) and value.size and real(value)):
        return False
    if value.dtype.kind in "iu":
        return float(want).is_integer() and bool(np.all(value == want))
    if np.all(value == np.asarray(want).astype(value.dtype)):
        return True
    single = float(np.float32(want))
    if value.dtype == np.float64 and single != want and np.all(value == single):
        bound[ROUNDED] = (*bound.get(ROUNDED, ()), want)
        return True
    return False


def real(array: np.ndarray) -> bool:
    """Does the array hold real numbers (floats of any width, bfloat16, integers)?"""
    return array.dtype.kind in "fiu" or array.dtype.name == "bfloat16"


# -- import: match a subgraph against a template -------------------------------------


@dataclass(eq=False)
class Node:
    """One output of an ONNX node, as a tree of its inputs (a Node, a constant array, or
    the graph's input, which is None)."""

    op: str
    inputs: list
    attrs: dict
    name: str
    unknown: tuple[str, ...] = ()
    """The node's attributes that nncalc does not read: such a node matches nothing."""

    def arg(self, k: int) -> Any:
        """Input k, or None when the node has none there."""
        return self.inputs[k] if k < len(self.inputs) else None


def match(t: Any, e: Any, bound: dict, is_z: Callable[[Node], bool]) -> bool:
    """Does e (a Node or constant) have the shape of template t? Binds Z, U and each P's
    name in ``bound`` (a P to the scalar as stored, a NumPy scalar of the file's type);
    Z and U must be nodes for which ``is_z`` holds, the same one each time."""
    if isinstance(t, OneOf):
        for option in t.options:
            trial = dict(bound)
            if match(option, e, trial, is_z):
                bound.update(trial)
                return True
        return False
    if t is None:  # an optional input left out
        return e is None
    if t in (Z, U):
        if not (isinstance(e, Node) and is_z(e)):
            return False
        return bound.setdefault(t, e) is e
    if isinstance(t, P):
        return _bind(t, e, bound)
    if isinstance(t, Ints):
        return _numeric_ints(e) and tuple(e.reshape(-1).tolist()) == t.values
    if isinstance(t, float):
        return is_constant(e, t, bound)
    if not (isinstance(e, Node) and e.op == t[0]) or e.unknown:
        return False
    args, attrs = _split(t)
    orders = [e.inputs]
    if t[0] in COMMUTATIVE and len(e.inputs) == 2:
        orders.append(e.inputs[::-1])
    for inputs in orders:
        trial = dict(bound)
        if (
            len(inputs) == len(args)
            and all(k in attrs or k in HARMLESS for k in e.attrs)
            and all(_attr_is(e.attrs.get(k), v, trial) for k, v in attrs.items())
            and all(match(a, x, trial, is_z) for a, x in zip(args, inputs, strict=True))
        ):
            bound.update(trial)
            return True
    return False


def _split(t: tuple) -> tuple[tuple, dict]:
    """(arguments, attributes) of a template node."""
    if t and isinstance(t[-1], dict):
        return t[1:-1], t[-1]
    return t[1:], {}


def _numeric_ints(e: Any) -> bool:
    return isinstance(e, np.ndarray) and e.dtype.kind in "iu"


def _bind(p: P, e: Any, bound: dict) -> bool:
    """Bind p to e, a scalar constant (kept as stored) or a float attribute (float32 in
    ONNX); a per-unit p also to a constant over the last axis (its values as stored, in an
    array); the same value each time p is met."""
    if isinstance(e, np.ndarray) and e.size and real(e) and e.dtype.kind not in "iu":
        flat = e.reshape(-1)
        value = flat[0]  # one number, or the same one for every unit
        if e.size > 1 and not np.all(e == value):
            if not (p.per_unit and e.ndim and all(n == 1 for n in e.shape[:-1])):
                return False
            value = flat
    elif isinstance(e, float):
        value = np.float32(e)
    else:
        return False
    values = np.asarray(value, dtype=np.float64)
    held = tuple(values.tolist()) if values.ndim else float(values)
    if not (np.isfinite(values).all() and p.holds(held)):
        return False
    return np.array_equal(np.asarray(bound.setdefault(p.name, value), dtype=np.float64), values)


def _attr_is(value: Any, want: Any, bound: dict) -> bool:
    if isinstance(want, P):
        return _bind(want, value, bound)
    if isinstance(want, float):  # ONNX keeps float attributes in float32
        single = float(np.float32(want))
        if not (isinstance(value, float | int) and float(value) == single):
            return False
        if single != want:
            bound[ATTRIBUTE] = (*bound.get(ATTRIBUTE, ()), want)
        return True
    return value == want


# -- export: write a template as ONNX nodes ------------------------------------------


class Emitter:
    """Writes templates as ONNX nodes, with one initializer per distinct constant."""

    def __init__(self) -> None:
        self.nodes: list = []
        self.constants: dict[float | tuple[float, ...], str] = {}
        self.int_names: set[str] = set()
        self.initializers: list = []
        self.count = 0

    def constant(self, value: float | tuple[float, ...], name: str | None = None) -> str:
        """The name of a float64 initializer holding value: a scalar, or a vector of one
        per unit (PReLU's slopes), which broadcasts over the last axis."""
        from onnx import numpy_helper

        if name is None and value in self.constants:
            return self.constants[value]
        name = name or f"const_{len(self.constants)}"
        self.initializers.append(numpy_helper.from_array(np.array(value, np.float64), name))
        self.constants.setdefault(value, name)
        return name

    def ints(self, values: tuple[int, ...]) -> str:
        """The name of an int64 initializer holding values."""
        from onnx import numpy_helper

        name = "ints_" + "_".join(str(v).replace("-", "m") for v in values)
        if name not in self.int_names:
            self.initializers.append(numpy_helper.from_array(np.array(values, np.int64), name))
            self.int_names.add(name)
        return name

    def emit(self, t: Any, bound: dict[str, str], out: str, prefix: str) -> str:
        """Nodes computing t (its first spellings) from the tensors named in ``bound``;
        the last one writes ``out``. Returns the name of the result."""
        made: dict[int, str] = {}

        def walk(t: Any, name: str | None) -> str:
            if isinstance(t, OneOf):
                t = t.options[0]
            if t is None:  # an optional input left out
                return ""
            if isinstance(t, str | P):
                return bound[t if isinstance(t, str) else t.name]
            if isinstance(t, float):
                return self.constant(t)
            if isinstance(t, Ints):
                return self.ints(t.values)
            if id(t) in made:
                return made[id(t)]
            from onnx import helper

            args, attrs = _split(t)
            inputs = [walk(a, None) for a in args]
            self.count += 1
            name = name or f"{prefix}_{self.count}"
            node = f"{prefix}/{t[0]}_{self.count}"
            domain, _, op = t[0].rpartition(":")  # domain:op for another domain's operators
            self.nodes.append(helper.make_node(op, inputs, [name], node, domain=domain, **attrs))
            made[id(t)] = name
            return name

        return walk(t, out)
