"""`nncalc forward NET` for a small, plain network file, without importing NumPy.

Most calls are the lecture's small networks, for which NumPy's import is most of the
run. A file whose layers are all inline `theta:` matrices of finite numbers, with known
activations (see small.handles) and well-formed names, classes and inputs, is read here
into lists and propagated by nncalc.small, which Network.forward also uses for such
work: the tables are the same, bit for bit. Anything else (and every error) goes
through netfile and NumPy, which say what is wrong.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from nncalc import bounds, small
from nncalc.files.checker import is_number
from nncalc.files.yamlfile import YDict, YList, load_file

_TOP = ("name", "description", "activation", "classes", "layers", "inputs")

QUICK_BYTES = 1024 * 1024
"""Larger files are not parsed here: their numbers are more than small.WORK allows, and
composing a YAML node for each (before falling back) would only double the full path's
work."""


class _NotPlainError(Exception):
    """The file needs the full reader."""


class QuickLayer:
    """Θ^(j) as rows [θ_i0, θ_i1, …] of floats; the attributes the tables read.

    (Plain classes here, not dataclasses: those take a millisecond to define.)"""

    gate = beta = None
    params: dict = {}  # noqa: RUF012 (small's activations take the defaults)
    swish_beta = 1.0

    def __init__(self, theta: list[small.Units], activation: str) -> None:
        self.theta, self.activation = theta, activation
        self.g_name = activation

    @property
    def units(self) -> int:
        return len(self.theta)

    @property
    def inputs(self) -> int:
        return len(self.theta[0]) - 1


class QuickNetwork(small.Shape):
    def __init__(
        self,
        layers: tuple[QuickLayer, ...],
        name: str | None,
        classes: tuple[str, ...] | None,
        inputs: list[small.Units],
        input_names: list[str | None],
        source: str,
    ) -> None:
        self.layers, self.name, self.classes = layers, name, classes
        self.inputs, self.input_names, self.source = inputs, input_names, source


class QuickTrace:
    """network.Trace's twin in lists: a[j][k] and z[j][k] are example k's units."""

    gate: dict = {}  # noqa: RUF012 (no SwiGLU here)

    def __init__(self, network: QuickNetwork, X: list[small.Units]) -> None:
        zs, as_ = small.forward(
            [layer.theta for layer in network.layers], network.activations, X, network.source
        )
        self.network = network
        self.a = {1: X, **dict(enumerate(as_, 2))}
        self.z = dict(enumerate(zs, 2))
        self.rounded = True
        self._bounds: dict = {}
        self.shown: dict = {}

    def bounds(self) -> dict[int, tuple[list, list, list, None]]:
        """Trace.bounds in lists (nncalc.bounds): for each layer j, (|δz|, spread, |δa|,
        None), a list of units per example."""
        if not self._bounds:
            da = [[0.0] * len(x) for x in self.a[1]]
            for j, layer in enumerate(self.network.layers, start=2):
                dz = [
                    bounds.z_bounds(layer.theta, a, d, z, rounded=True)
                    for a, d, z in zip(self.a[j - 1], da, self.z[j], strict=True)
                ]
                moved, da = zip(
                    *(
                        bounds.a_bounds(layer.activation, {}, z, d, a)
                        for z, d, a in zip(self.z[j], dz, self.a[j], strict=True)
                    ),
                    strict=True,
                )
                self._bounds[j] = (dz, list(moved), list(da), None)
        return self._bounds

    @property
    def predictions(self) -> list[int]:
        """Each example's unit (1-based) with the largest output."""
        return [h.index(max(h)) + 1 for h in self.a[self.network.L]]

    def __len__(self) -> int:
        return len(self.a[1])


def forward_tables(path: str, xs: Sequence[str], precision: int) -> bool:
    """Print the tables of `nncalc forward PATH [-x …]` if the file is small and plain;
    False (nothing printed) if it needs the full path."""
    try:
        net = read(path)
        X, names = (_vectors(xs, net.sizes[0]), [None] * len(xs)) if xs else _file_inputs(net)
    except _NotPlainError:
        return False
    if not net.small_work(len(X)):
        return False
    from nncalc.render.forward import WHOLE, show

    show(QuickTrace(net, X), names, precision, WHOLE, layers=False)
    return True


def read(path: str) -> QuickNetwork:
    """The network of a plain file, as netfile.load would read it; _NotPlainError otherwise."""
    try:
        _need(os.path.getsize(path) <= QUICK_BYTES)
    except OSError:  # netfile says what is wrong with it
        raise _NotPlainError from None
    doc = load_file(path)
    _need(isinstance(doc, YDict) and set(doc) <= set(_TOP) and doc.get("layers"))
    _text(doc, "description")
    default = _activation(doc, "sigmoid")
    layers = tuple(_layer(item, default) for item in _list(doc["layers"]))
    for prev, layer in pairwise(layers):
        _need(layer.inputs == prev.units)
    inputs, names = [], []
    if "inputs" in doc:
        inputs, names = _examples(_list(doc["inputs"]), layers[0].inputs)
    classes = _classes(doc, layers[-1].units)
    return QuickNetwork(layers, _text(doc, "name"), classes, inputs, names, path)


def _need(ok: Any) -> None:
    if not ok:
        raise _NotPlainError


def _list(value: Any) -> YList:
    _need(isinstance(value, YList) and value)
    return value


def _text(d: YDict, key: str) -> str | None:
    value = d.get(key)
    _need(not isinstance(value, YDict | YList))
    return None if value is None else str(value)


def _activation(d: YDict, default: str) -> str:
    if "activation" not in d:
        return default
    _need(isinstance(d["activation"], str))
    try:
        return small.canonical(d["activation"])
    except KeyError:
        raise _NotPlainError from None


def _layer(d: Any, default: str) -> QuickLayer:
    _need(isinstance(d, YDict) and "theta" in d and set(d) <= {"theta", "activation"})
    rows = _list(d["theta"])
    if not any(isinstance(row, YList) for row in rows):
        rows = [rows]
    theta = [_numbers(row) for row in rows]
    _need(len(theta[0]) >= 2 and all(len(row) == len(theta[0]) for row in theta))
    return QuickLayer(theta, _activation(d, default))


def _numbers(value: Any) -> small.Units:
    """A non-empty list of finite numbers, as floats."""
    _need(all(is_number(v) for v in _list(value)))
    try:
        row = [float(v) for v in value]
    except OverflowError:
        raise _NotPlainError from None
    _need(all(map(math.isfinite, row)))
    return row


def _classes(doc: YDict, units: int) -> tuple[str, ...] | None:
    if doc.get("classes") is None:
        return None
    values = _list(doc["classes"])
    _need(all(isinstance(c, str) or is_number(c) for c in values))
    names = tuple(str(c) for c in values)
    _need(len(set(names)) == len(names) == units)
    return names


def _examples(items: YList, s1: int) -> tuple[list[small.Units], list[str | None]]:
    _need(not (s1 > 1 and len(items) == s1 and all(is_number(v) for v in items)))
    rows, names = [], []
    for item in items:
        name, x = None, item
        if isinstance(item, YDict):
            _need("x" in item and set(item) <= {"name", "x"})
            name, x = _text(item, "name"), item["x"]
        row = _numbers(YList([x]) if is_number(x) else x)
        _need(len(row) == s1)
        rows.append(row)
        names.append(name)
    return rows, names


def _file_inputs(net: QuickNetwork) -> tuple[list[small.Units], list[str | None]]:
    _need(net.inputs)
    return net.inputs, net.input_names


def _vectors(xs: Sequence[str], s1: int) -> list[small.Units]:
    """-x vectors (parsing.vector raises what the full path would raise for bad ones)."""
    from nncalc.parsing import vector

    rows = [vector(x) for x in xs]
    _need(all(len(row) == s1 for row in rows))
    return rows
