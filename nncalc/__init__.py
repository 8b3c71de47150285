"""nncalc: forward propagation in the notation of Andrew Ng's course, as a library and a CLI.

    >>> import nncalc
    >>> net = nncalc.loads("layers: [{theta: [[-0.5, -2, 4, 1.5]]}]")
    >>> trace = net.forward([66, 39, 12])
    >>> float(trace.z[2][0, 0])       # z_1^(2) = Θ^(1)·[1; x]
    41.5
    >>> float(trace.a[2][0, 0])       # a_1^(2) = σ(41.5), 1 − 9.5e-19 in float64
    1.0

Names are the lecture's: layer j = 1 … L, Θ^(j) maps layer j to j+1 with the biases in
column 0, z^(j+1) = Θ^(j)·[1; a^(j)] and a^(j+1) = g(z^(j+1)). The next lectures' too:
``net.cost(X, Y, lam)`` is J(Θ) and ``net.backward(X, Y, lam)`` gives δ^(j), Δ^(j) and
D^(j) = ∂J/∂Θ^(j) as ``delta[j]``, ``Delta[j]`` and ``D[j]``. Importing nncalc is cheap:
NumPy and the rest load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load": "nncalc.files.netfile",
    "loads": "nncalc.files.netfile",
    "Network": "nncalc.network",
    "Layer": "nncalc.network",
    "Trace": "nncalc.network",
    "Gradients": "nncalc.backprop",
    "NNCalcError": "nncalc.errors",
    "from_sklearn": "nncalc.interop.frameworks",
    "from_torch": "nncalc.interop.frameworks",
    "read_model": "nncalc.interop.models",
    "save_model": "nncalc.interop.models",
    "save": "nncalc.files.netsave",
    "to_onnx": "nncalc.interop.onnxwrite",
    "save_onnx": "nncalc.interop.onnxwrite",
    "to_page": "nncalc.render.page",
}
_SUBMODULES = {
    "activations": "nncalc.activations",
    "backprop": "nncalc.backprop",
    "cost": "nncalc.cost",
    "derivatives": "nncalc.derivatives",
    "descent": "nncalc.descent",
    "gradcheck": "nncalc.gradcheck",
    "handouts": "nncalc.grading.handouts",
    "metrics": "nncalc.metrics",
    "onehot": "nncalc.onehot",
    "params": "nncalc.params",
    "quiz": "nncalc.grading.quiz",
}

__all__ = [
    "Gradients",
    "Layer",
    "NNCalcError",
    "Network",
    "Trace",
    "__version__",
    "activations",
    "backprop",
    "cost",
    "derivatives",
    "descent",
    "from_sklearn",
    "from_torch",
    "gradcheck",
    "handouts",
    "load",
    "loads",
    "metrics",
    "onehot",
    "params",
    "quiz",
    "read_model",
    "save",
    "save_model",
    "save_onnx",
    "to_onnx",
    "to_page",
]

if TYPE_CHECKING:
    from nncalc import (
        activations,
        backprop,
        cost,
        derivatives,
        descent,
        gradcheck,
        metrics,
        onehot,
        params,
    )
    from nncalc.backprop import Gradients
    from nncalc.errors import NNCalcError
    from nncalc.files.netfile import load, loads
    from nncalc.files.netsave import save
    from nncalc.grading import handouts, quiz
    from nncalc.interop.frameworks import from_sklearn, from_torch
    from nncalc.interop.models import read_model, save_model
    from nncalc.interop.onnxwrite import save_onnx, to_onnx
    from nncalc.network import Layer, Network, Trace
    from nncalc.render.page import to_page


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(_SUBMODULES[name])
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'nncalc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
