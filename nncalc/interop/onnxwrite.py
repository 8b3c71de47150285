"""ONNX models out: a network as a float64 ONNX graph, each Θ^(j) a Gemm and each g in
the first (exact) spelling of ``onnxops.TEMPLATES``. Needs the ``onnx`` package."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from nncalc import __version__
from nncalc.activations import Activation
from nncalc.interop import metadata
from nncalc.interop.onnxops import TEMPLATES, B, Emitter, U, Z, onnx_module, params, spelling
from nncalc.network import Array, Network

EXPORT_NOTES = {
    "gelu": "GELU is exported as ONNX's Gelu (opset 20); onnxruntime has no float64 kernel "
    "for it (nor for Erf), so run the model in another runtime or in float32"
}
"""What export says about an activation some runtimes cannot run in float64."""


def to_onnx(network: Network) -> Any:
    """A checked ONNX ModelProto computing h_Θ(x) in float64: input x (N × s_1), output
    h (N × s_L), with z^(j) and a^(j) named as in the lecture."""
    onnx = onnx_module()
    from onnx import TensorProto, helper

    emitter = Emitter()
    a = "x"
    for j, layer in enumerate(network.layers, start=1):
        out = "h" if j == len(network.layers) else f"a{j + 1}"
        z = out if layer.activation == "identity" else f"z{j + 1}"
        bound = {Z: _gemm(emitter, a, layer.theta, z, ("W", "b"), j)}
        if layer.gate is not None:
            bound[U] = _gemm(emitter, a, layer.gate, f"u{j + 1}", ("V", "c"), j)
            template = TEMPLATES[layer.activation].options[0 if layer.beta is not None else 1]
            if layer.beta is not None:
                bound[B.name] = emitter.constant(layer.beta, f"beta{j}")
        else:
            template = _spelling(layer.g)
            bound |= {p.name: emitter.constant(layer.g.value(p.name)) for p in params(template)}
        a = emitter.emit(template, bound, out, f"g{j + 1}")
    opset = 20 if any(layer.activation == "gelu" for layer in network.layers) else 13
    x, h = network.sizes[0], network.sizes[-1]
    graph = helper.make_graph(
        emitter.nodes,
        network.name or "nncalc network",
        [helper.make_tensor_value_info("x", TensorProto.DOUBLE, ["N", x])],
        [helper.make_tensor_value_info("h", TensorProto.DOUBLE, ["N", h])],
        emitter.initializers,
    )
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        graph,
        opset_imports=opsets,
        ir_version=helper.find_min_ir_version_for(opsets),
        producer_name="nncalc",
        producer_version=__version__,
        doc_string="z^(j+1) = Θ^(j)·[1; a^(j)], a^(j+1) = g(z^(j+1)); h = a^(L)",
    )
    helper.set_model_props(model, metadata.write(network))
    onnx.checker.check_model(model, full_check=True)
    return model


def _spelling(g: Activation) -> Any:
    """The exact spelling of g with its parameters."""
    values = {p.name: g.value(p.name) for p in g.params if g.value(p.name) is not None}
    return spelling(g.name, values, {k for k, _ in g.values})


def _gemm(emitter: Emitter, a: str, theta: Array, out: str, names: tuple[str, str], j: int) -> str:
    """A Gemm node a·Wᵀ + b for Θ = [b | W], its W and b stored as initializers."""
    from onnx import helper, numpy_helper

    W, b = (f"{n}{j}" for n in names)
    emitter.initializers += [
        numpy_helper.from_array(np.ascontiguousarray(theta[:, 1:]), W),
        numpy_helper.from_array(np.ascontiguousarray(theta[:, 0]), b),
    ]
    gemm = helper.make_node("Gemm", [a, W, b], [out], f"Theta{j}/{names[0]}", transB=1)
    emitter.nodes.append(gemm)
    return out


def save_onnx(network: Network, path: str | os.PathLike[str]) -> None:
    """Save network as an ONNX file, atomically."""
    from nncalc.files.outputs import atomic, check_path

    data = to_onnx(network).SerializeToString()
    with atomic(check_path(path, (".onnx",)), "wb") as f:
        f.write(data)
