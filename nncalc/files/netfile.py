"""The network file: YAML in, a checked Network out, every problem with its line.

The format is documented in docs/format.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nncalc import activations
from nncalc.errors import NNCalcError, excerpt
from nncalc.files import arrays
from nncalc.files.bulk import Numbers
from nncalc.files.checker import Checker, is_number, kind, plural
from nncalc.files.yamlfile import Pos, YDict, YList, load_file, parse
from nncalc.network import Array, Layer, Network, framework, join_bias

PARAM_KEYS = ("alpha", "beta", "threshold")
"""The activations' parameters, written beside ``activation:`` (docs/format.md)."""
TOP_KEYS = ("name", "description", "activation", "classes", "layers", "inputs", "framework")
TOP_KEYS += PARAM_KEYS
LAYER_KEYS = (
    "theta",
    "weights",
    "bias",
    "activation",
    "gate",
    "gate_weights",
    "gate_bias",
    *PARAM_KEYS,
)
EXAMPLE_KEYS = ("name", "x")
BULK = {
    **{"theta": 2, "weights": 2, "gate": 2, "gate_weights": 2, "bias": 1, "gate_bias": 1},
    "alpha": 1,  # a PReLU's slopes, one per unit
}
"""Keys whose long lists of numbers are read in bulk: 2 for matrices, 1 for vectors."""


TRUST_HINT = "allow it with --trust-paths (in Python, trust_paths=True)"


def load(path: str | os.PathLike[str], trust_paths: bool = False) -> Network:
    """Read a network file. Raises NNCalcError listing every problem found.

    Its {file: PATH} arrays must be inside its folder, unless ``trust_paths``.
    """
    return from_yaml(load_file(path, bulk=BULK), str(path), trust_paths)


def loads(text: str, source: str = "<string>", trust_paths: bool = False) -> Network:
    """Read a network from YAML text. Text has no folder: {file: PATH} arrays are refused,
    unless ``trust_paths`` (then they are relative to the working directory)."""
    folder = Path() if trust_paths else None
    return _Reader(source, folder, trust_paths).network(parse(text, source, BULK))


def from_yaml(doc: Any, source: str, trust_paths: bool = False) -> Network:
    """A Network from a parsed YAML document (see yamlfile.parse) read from the file
    ``source``: {file: PATH} arrays are in its folder (anywhere with ``trust_paths``)."""
    return _Reader(source, Path(source).parent, trust_paths).network(doc)


def load_examples(path: str | os.PathLike[str], s1: int) -> tuple[Array, list[str | None]]:
    """Examples from a YAML file: a list of examples, or a mapping with ``inputs:``."""
    source = str(path)
    doc = load_file(path)
    reader = _Reader(source)
    if isinstance(doc, YDict):
        reader.check_keys(doc, ("inputs",), "an inputs file")
        doc = doc.get("inputs")
    if not isinstance(doc, YList):
        raise NNCalcError.at("expected a list of examples", source, 1, hint="write - [66, 39, 12]")
    result = reader.examples(doc, s1)
    reader.raise_problems()
    assert result is not None
    return result


class _Reader(Checker):
    """Checks a network document against the format, collecting every problem; {file:}
    arrays are read from ``folder`` (None: none are), never outside it unless trusted."""

    def __init__(self, source: str, folder: Path | None = None, trust_paths: bool = False) -> None:
        super().__init__(source)
        self.folder, self.trust_paths = folder, trust_paths

    # --- the document -----------------------------------------------------------

    def network(self, doc: Any) -> Network:
        doc = self.document(doc, "layers", TOP_KEYS, "the network")
        name = self.text(doc, "name")
        self.text(doc, "description")
        default = self.activation(doc, activations.get("sigmoid"), "the network")
        layers = self.layers(doc, default)
        classes = self.classes(doc, layers)
        inputs = None
        if layers and "inputs" in doc:
            inputs = self.inputs_of(doc, layers[0].inputs)
        tool = self.tool(doc)
        self.raise_problems()
        assert layers is not None
        X, names = inputs if inputs else (None, [])
        return Network(tuple(layers), name, classes, X, tuple(names), self.source, tool)

    def tool(self, doc: YDict) -> str | None:
        """The tool the network comes from, if the file says (as nncalc import writes)."""
        name = self.text(doc, "framework")
        if name is None:
            return None
        try:
            return framework(name)
        except NNCalcError as e:
            self.problem(doc.value_pos["framework"], e.problems[0].message)
            return None

    def activation(
        self, d: YDict, default: activations.Activation, where: str
    ) -> activations.Activation:
        """The activation of d with the parameters written beside it (``default`` where
        it names none, or after a problem)."""
        given = [k for k in PARAM_KEYS if k in d]
        if "activation" not in d:  # the default g, its parameters overridden by d's
            return default.with_params(**self.params(d, default, given, where))
        value = d["activation"]
        pos = d.value_pos["activation"]
        if not isinstance(value, str):
            self.problem(pos, f"activation of {where} should be a name, found {kind(value)}")
            return default
        try:
            if "(" in value:
                raise ValueError
            act = activations.get(value)
        except KeyError as e:
            if value.strip().lower() == activations.SWIGLU:
                self.problem(pos, "swiglu is not an activation name", "give the layer a 'gate:'")
            else:
                self.problem(pos, e.args[0])
            return default
        except ValueError:
            self.problem(
                pos,
                f"activation of {where} should be a name, found '{value}'",
                "write parameters as keys beside it: {activation: leaky_relu, alpha: 0.2}",
            )
            return default
        return act.with_params(**self.params(d, act, given, where))

    def params(
        self, d: YDict, act: activations.Activation, given: list[str], where: str
    ) -> dict[str, activations.Value]:
        """The parameters of act given in d, each checked (unknown, not a number, out of range)."""
        values = {}
        for key in given:
            try:
                param = act.param(key)
            except ValueError as e:
                if key == "beta":
                    self.problem(
                        d.key_pos[key], f"{where}: 'beta' belongs to a SwiGLU layer", "add a gate"
                    )
                else:
                    self.problem(d.key_pos[key], f"{where}: {e}")
                continue
            listed = param.per_unit and isinstance(d[key], YList | Numbers)  # a slope per unit
            v = self.per_unit(d, key, where) if listed else self.number(d, key, where, None)
            problem = None if v is None else param.problem(v)
            if problem:
                self.problem(d.value_pos[key], f"{where}: {act.name}'s {problem}")
            elif v is not None:
                values[key] = v
        return values

    def per_unit(self, d: YDict, key: str, where: str) -> tuple[float, ...] | None:
        """A parameter given as a list, one number per unit; None after a problem."""
        values = self.row(d[key], d.value_pos[key], f"{where}: {key}")
        return None if values is None else tuple(values)

    def layers(self, doc: YDict, default: activations.Activation) -> list[Layer] | None:
        value = doc.get("layers")
        if value is None:
            self.problem(doc.pos, "no 'layers:' given", "list Θ^(1), Θ^(2), … under 'layers:'")
            return None
        if not isinstance(value, YList) or not value:
            self.problem(doc.value_pos["layers"], "'layers' should be a non-empty list of layers")
            return None
        layers: list[Layer | None] = []
        for j, (item, pos) in enumerate(zip(value, value.item_pos, strict=True), start=1):
            if not isinstance(item, YDict):
                self.problem(pos, f"Θ^({j}) should be a mapping with 'theta:', found {kind(item)}")
                layers.append(None)
            else:
                layers.append(self.layer(item, j, default))
        if None in layers:
            return None
        checked = [layer for layer in layers if layer is not None]
        ok = True
        for j in range(2, len(checked) + 1):
            prev, layer = checked[j - 2], checked[j - 1]
            if layer.inputs != prev.units:
                item = value[j - 1]
                key = "theta" if "theta" in item else "weights"
                bias = 1 if key == "theta" else 0
                self.problem(
                    item.value_pos.get(key, item.pos),
                    f"Θ^({j}): {key} has {layer.inputs + bias} columns, expected "
                    f"{prev.units + bias} ({prev.units} units in layer {j}"
                    + (" + 1 bias)" if bias else ")"),
                )
                ok = False
        return checked if ok else None

    def layer(self, d: YDict, j: int, default: activations.Activation) -> Layer | None:
        where = f"Θ^({j})"
        self.check_keys(d, LAYER_KEYS, where)
        has_gate = any(k in d for k in ("gate", "gate_weights", "gate_bias"))
        said_swiglu = str(d.get("activation", "")).strip().lower() == activations.SWIGLU
        activation = default if has_gate else self.activation(d, default, where)
        theta = self.theta_of(d, j, "theta", "weights", "bias")
        gate = None
        if has_gate:
            gate = self.theta_of(d, j, "gate", "gate_weights", "gate_bias")
            for key in ("alpha", "threshold"):
                if key in d:
                    self.problem(d.key_pos[key], f"{where}: a SwiGLU layer has no '{key}'")
            if "activation" in d and not said_swiglu:
                self.problem(
                    d.value_pos["activation"],
                    f"{where}: a layer with a gate is SwiGLU, not {d['activation']}",
                    "write 'activation: swiglu' or leave it out",
                )
            if theta is not None and gate is not None and gate.shape != theta.shape:
                self.problem(
                    d.pos,
                    f"{where}: the gate is {_shape(gate)} but theta is {_shape(theta)}",
                    "SwiGLU's two matrices must have the same shape",
                )
                return None
        beta = self.number(d, "beta", where, None) if has_gate else None
        if theta is None or (has_gate and gate is None):
            return None
        if not has_gate and not self.units_match(d, activation, len(theta), where):
            return None
        return Layer(theta, activation, gate, beta)

    def units_match(self, d: YDict, g: activations.Activation, units: int, where: str) -> bool:
        """Whether each parameter given per unit has one value for each of the units."""
        for key, value in g.values:
            if isinstance(value, tuple) and len(value) != units:
                own = key in d  # else the default g's, written at the top of the file
                self.problem(
                    d.value_pos[key] if own else d.pos,
                    f"{where}: {'' if own else 'the default '}{key} has "
                    f"{plural(len(value), 'value', 'values')} for {plural(units, 'unit', 'units')}",
                    "give one number, or one per unit" + ("" if own else ", beside this layer"),
                )
                return False
        return True

    def theta_of(self, d: YDict, j: int, theta: str, weights: str, bias: str) -> Array | None:
        """Θ from ``theta``, or from ``weights`` and ``bias``; exactly one spelling."""
        where = f"Θ^({j})"
        has_theta, has_w, has_b = theta in d, weights in d, bias in d
        if has_theta and (has_w or has_b):
            other = weights if has_w else bias
            self.problem(
                d.key_pos[other],
                f"{where}: both '{theta}' and '{other}' given",
                f"give '{theta}' (bias in column 0) or '{weights}' and '{bias}', not both",
            )
            return None
        if has_theta:
            return self.matrix(d, theta, where)
        if has_w and has_b:
            W = self.matrix(d, weights, where)
            b = self.vector(d, bias, where)
            if W is None or b is None:
                return None
            if b.shape[0] != W.shape[0]:
                self.problem(
                    d.value_pos[bias],
                    f"{where}: {bias} has {plural(b.shape[0], 'entry', 'entries')}, "
                    f"expected {W.shape[0]}",
                    f"one per unit, as {weights} has {W.shape[0]} rows",
                )
                return None
            return join_bias(W, b)
        if has_w or has_b:
            missing, given = (bias, weights) if has_w else (weights, bias)
            self.problem(
                d.key_pos[given],
                f"{where}: '{given}' given without '{missing}'",
                f"add '{missing}:'" + (" (zeros if the layer has none)" if missing == bias else ""),
            )
            return None
        self.problem(
            d.pos, f"{where}: no '{theta}' given", f"give '{theta}' or '{weights}' and '{bias}'"
        )
        return None

    # --- numbers ----------------------------------------------------------------

    def matrix(self, d: YDict, key: str, where: str) -> Array | None:
        """A matrix of numbers, or {file: PATH}; a flat list is one row (a layer of one unit)."""
        value, pos = d[key], d.value_pos[key]
        if isinstance(value, YDict):
            M = self.array_file(value, pos, f"{where}: {key}")
            if M is None:
                return None
            if M.ndim > 2 or M.size == 0:
                self.problem(pos, f"{where}: {key} has shape {M.shape}, expected a matrix")
                return None
            M = M.reshape(1, -1) if M.ndim < 2 else M
            if M.shape[1] < (2 if key in ("theta", "gate") else 1):
                self.problem(pos, f"{where}: {key} has no weights", "a row is [bias, w_1, …, w_s]")
                return None
            return M
        if isinstance(value, Numbers) and value.widths is not None:
            rows, rows_pos = value.rows(), value.row_pos
        else:
            if not isinstance(value, YList | Numbers) or not value:
                self.problem(pos, f"{where}: {key} should be a list of rows, found {kind(value)}")
                return None
            if isinstance(value, Numbers) or not any(isinstance(r, YList | Numbers) for r in value):
                value = YList([value])
                value.item_pos = [pos]
            rows = [
                self.row(row, rpos, f"{where}: {key} row {i}")
                for i, (row, rpos) in enumerate(zip(value, value.item_pos, strict=True), start=1)
            ]
            if any(r is None for r in rows):
                return None
            rows_pos = value.item_pos
        width = len(rows[0])
        for i, (row, rpos) in enumerate(zip(rows, rows_pos, strict=True), start=1):
            if len(row) != width:
                self.problem(
                    rpos,
                    f"{where}: {key} row {i} has {len(row)} entries, row 1 has {width}",
                    "every row needs the same number of columns",
                )
                return None
        minimum = 2 if key in ("theta", "gate") else 1
        if width < minimum:
            self.problem(pos, f"{where}: {key} has no weights", "a row is [bias, w_1, …, w_s]")
            return None
        if isinstance(value, Numbers):
            return value.values.reshape(len(rows), width)
        return np.array(rows, dtype=np.float64)

    def vector(self, d: YDict, key: str, where: str) -> Array | None:
        value, pos = d[key], d.value_pos[key]
        if isinstance(value, YDict):
            v = self.array_file(value, pos, f"{where}: {key}")
            if v is not None and (v.size == 0 or v.ndim > 2 or (v.ndim == 2 and min(v.shape) > 1)):
                self.problem(pos, f"{where}: {key} has shape {v.shape}, expected a vector")
                return None
            return None if v is None else v.reshape(-1)
        row = self.numbers(value, pos, f"{where}: {key}")
        return None if row is None else np.array(row, dtype=np.float64)

    def array_file(self, ref: YDict, pos: Pos, where: str) -> Array | None:
        """The array of {file: PATH} (.npy, .csv) or {file: PATH, key: NAME} (.npz)."""
        self.check_keys(ref, ("file", "key"), f"{where}'s file reference")
        path, key = ref.get("file"), ref.get("key")
        if not isinstance(path, str) or not (key is None or isinstance(key, str)):
            self.problem(pos, f"{where}: write {{file: PATH}} or {{file: PATH, key: NAME}}")
            return None
        refused = self.outside(path)
        if refused:
            hint = TRUST_HINT if self.folder else "read the network from its file"
            self.problem(pos, f"{where}: {{file: {path[:60]}}} {refused}", hint)
            return None
        assert self.folder is not None
        try:
            return arrays.load(self.folder / path, key)
        except NNCalcError as e:
            self.problem(pos, f"{where}: {e.problems[0]}")
            return None

    def outside(self, path: str) -> str | None:
        """Why {file: path} may not be read (it leaves the folder), or None."""
        if self.trust_paths:
            return None
        if self.folder is None:
            return "needs the network's folder, and text has none (or trust_paths=True)"
        if Path(path).is_absolute():
            return "is an absolute path, outside the network file's folder"
        try:
            inside = (self.folder / path).resolve().is_relative_to(self.folder.resolve())
        except (OSError, RuntimeError, ValueError):  # a symlink loop, a NUL in the path
            inside = False
        return None if inside else "leads outside the network file's folder"

    # --- classes and inputs -------------------------------------------------------

    def classes(self, doc: YDict, layers: list[Layer] | None) -> tuple[str, ...] | None:
        value = doc.get("classes")
        if value is None:
            return None
        pos = doc.value_pos["classes"]
        if not isinstance(value, YList) or not all(
            isinstance(c, str | int | float) and not isinstance(c, bool) for c in value
        ):
            self.problem(pos, "'classes' should be a list of names", "classes: [cat, dog]")
            return None
        names = tuple(str(c) for c in value)
        seen: set[str] = set()
        for c, cpos in zip(names, value.item_pos, strict=True):
            if c in seen:
                self.problem(cpos, f"class {excerpt(c)} is named twice")
            seen.add(c)
        if layers and len(names) != layers[-1].units:
            self.problem(
                pos,
                f"{len(names)} classes named, but the output layer has {layers[-1].units} units",
                "name one class per output unit",
            )
        return names

    def inputs_of(self, doc: YDict, s1: int) -> tuple[Array, list[str | None]] | None:
        value = doc["inputs"]
        if not isinstance(value, YList):
            self.problem(
                doc.value_pos["inputs"],
                "'inputs' should be a list of examples",
                "inputs: [[66, 39, 12]]",
            )
            return None
        return self.examples(value, s1)

    def examples(self, items: YList, s1: int) -> tuple[Array, list[str | None]] | None:
        if s1 > 1 and len(items) == s1 and all(is_number(v) for v in items):
            self.problem(
                items.pos,
                "expected a list of examples, found one list of numbers",
                f"write it as a list of lists: [[{', '.join(map(str, items))}]]",
            )
            return None
        rows: list[list[float]] = []
        names: list[str | None] = []
        for k, (item, pos) in enumerate(zip(items, items.item_pos, strict=True), start=1):
            name, x, xpos = None, item, pos
            if isinstance(item, YDict):
                self.check_keys(item, EXAMPLE_KEYS, f"example {k}")
                if "x" not in item:
                    self.problem(pos, f"example {k} has no 'x:'", "{name: A, x: [1, 2, 3]}")
                    continue
                name = self.text(item, "name")
                x, xpos = item["x"], item.value_pos["x"]
            row = self.numbers(x, xpos, f"example {k}")
            if row is None:
                continue
            if len(row) != s1:
                self.problem(
                    xpos,
                    f"example {k} has {len(row)} inputs, expected s_1 = {s1}",
                    "one number per unit of layer 1",
                )
                continue
            rows.append(row)
            names.append(name)
        if self.problems:
            return None
        return np.array(rows, dtype=np.float64).reshape(len(rows), s1), names


def _shape(m: Array) -> str:
    return f"{m.shape[0]} × {m.shape[1]}"
