"""PyTorch state_dicts of an nn.Sequential of Linear layers, in .safetensors or .pt files.

A state_dict holds ``0.weight``, ``0.bias``, ``2.weight``, ... (any common prefix, any
module names) but not the activations between the layers: those are given by the caller,
or read from the metadata of a .safetensors file that nncalc wrote. ``.pt`` files are
loaded with ``torch.load(weights_only=True)``, which refuses anything but tensors and
plain containers, so no code in the file can run.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nncalc import activations
from nncalc.errors import NNCalcError, first_line
from nncalc.files.yamlfile import read_bytes
from nncalc.interop import metadata
from nncalc.network import Array, Layer, Network

TORCH_SUFFIXES = (".pt", ".pth", ".bin")
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")
"""Where training checkpoints keep the state_dict, when the file holds more than one."""


class StateDict(NamedTuple):
    """A file's tensors, by name, and nncalc's fields of its metadata."""

    tensors: dict[str, Array]
    metadata: metadata.Read


def read(path: str | os.PathLike[str]) -> StateDict:
    """The tensors of a .safetensors or .pt/.pth/.bin file, by name, in the file's order,
    as NumPy arrays of their own type (bfloat16 as float32, which holds it exactly)."""
    source = str(path)
    data = read_bytes(path, hint="raise NNCALC_MAX_BYTES")
    if Path(path).suffix.lower() == ".safetensors":
        return _safetensors(data, source)
    return _torch(data, source)


def _safetensors(data: bytes, source: str) -> StateDict:
    load = _package("safetensors.numpy", "reading .safetensors").load
    try:
        tensors = load(data)
    except Exception as e:  # SafetensorError, and dtypes NumPy lacks (bfloat16)
        message = f"not a readable safetensors file ({first_line(e)})"
        raise NNCalcError.at(message, source) from None
    size = int.from_bytes(data[:8], "little")  # the JSON header that load() just checked
    meta = json.loads(data[8 : 8 + size]).get("__metadata__") or {}
    tensors = dict(sorted(tensors.items(), key=lambda item: _natural(item[0])))
    return StateDict(tensors, metadata.read(meta, source))


def _torch(data: bytes, source: str) -> StateDict:
    torch = _package("torch", "reading .pt files")
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:  # UnpicklingError (refused objects), zip and EOF errors
        hint = (
            "save model.state_dict(), not the model"
            if "weights_only" in str(e) or "Unsupported" in str(e)
            else "save it with torch.save(model.state_dict(), PATH)"
        )
        raise NNCalcError.at(
            f"not a state_dict nncalc can load safely ({first_line(e)})", source, hint=hint
        ) from None
    state = _unwrap(state, source)
    tensors = {name: _array(name, t, torch, source) for name, t in state.items()}
    return StateDict(tensors, metadata.Read())


def _package(name: str, what: str) -> Any:
    """An optional package of the torch extra, or a clear error naming the extra."""
    try:
        return importlib.import_module(name)
    except ImportError:
        package = "PyTorch" if name == "torch" else "the safetensors package"
        raise NNCalcError.at(
            f"{what} needs {package}", hint="pip install 'nncalc[torch]'"
        ) from None


def _unwrap(state: Any, source: str) -> Mapping:
    """The state_dict, also when a training checkpoint holds it under a usual key."""
    if isinstance(state, Mapping):
        for key in CHECKPOINT_KEYS:
            if isinstance(state.get(key), Mapping):
                return state[key]
        return state
    raise NNCalcError.at(f"holds a {type(state).__name__}, not a state_dict", source)


def _array(name: str, tensor: Any, torch: Any, source: str) -> Array:
    if not isinstance(tensor, torch.Tensor):
        raise NNCalcError.at(
            f"'{name}' is a {type(tensor).__name__}, not a tensor",
            source,
            hint="save model.state_dict() alone",
        )
    tensor = tensor.detach()
    return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()


def _natural(name: str) -> list:
    """A sort key that puts 2.weight before 10.weight."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def to_network(
    tensors: Mapping[str, Array],
    g: Sequence[str],
    source: str = "<state_dict>",
    name: str | None = None,
    classes: Sequence[str] | None = None,
) -> Network:
    """The network of Linear layers named in tensors (``P.weight`` and optional ``P.bias``
    for each module P, in order), with activations g: one name for every layer, or one
    per layer."""
    modules: dict[str, dict[str, Array]] = {}
    for key, value in tensors.items():
        prefix, _, kind = key.rpartition(".")
        if kind not in ("weight", "bias"):
            raise NNCalcError.at(
                f"'{key}' is not the weight or bias of a Linear layer",
                source,
                hint="nncalc reads state_dicts of nn.Sequential stacks of nn.Linear",
            )
        modules.setdefault(prefix, {})[kind] = np.asarray(value, np.float64)
    if not modules:
        raise NNCalcError.at("holds no tensors", source)
    g = _activations(g, len(modules), source)
    prefixes = list(modules)
    layers = [_layer(p, modules[p], g_j, source) for p, g_j in zip(prefixes, g, strict=True)]
    for j in range(1, len(layers)):
        if layers[j].inputs != layers[j - 1].units:
            raise NNCalcError.at(
                f"'{prefixes[j]}.weight' reads {layers[j].inputs} units but the layer before "
                f"it has {layers[j - 1].units}",
                source,
                hint="the layers must be stored in order, as nn.Sequential does",
            )
    try:
        return Network(tuple(layers), name or Path(source).name, classes and tuple(classes))
    except NNCalcError as e:
        raise e.within(source) from None


def _activations(g: Sequence[str], count: int, source: str) -> list[str]:
    if not g:
        raise NNCalcError.at(
            f"a state_dict does not say its activations; it has {count} Linear layers",
            source,
            hint="give them with --activations, e.g. --activations "
            + ",".join(["relu"] * (count - 1) + ["softmax"]),
        )
    if len(g) not in (1, count):
        raise NNCalcError.at(
            f"{len(g)} activations given for {count} Linear layers",
            source,
            hint="give one for every layer, or one for all",
        )
    for name in g:
        try:
            activations.get(name)
        except (KeyError, ValueError) as e:
            raise NNCalcError.at(e.args[0], source) from None
    return list(g) * count if len(g) == 1 else list(g)


def _layer(prefix: str, module: dict[str, Array], g: str, source: str) -> Layer:
    W = module.get("weight")
    if W is None or W.ndim != 2:
        found = "no weight" if W is None else f"a weight of shape {W.shape}"
        raise NNCalcError.at(f"the module '{prefix}' has {found}; a Linear layer's is 2-D", source)
    b = module.get("bias", np.zeros(W.shape[0]))
    if b.shape != (W.shape[0],):
        raise NNCalcError.at(
            f"'{prefix}.bias' has shape {b.shape}, expected ({W.shape[0]},)", source
        )
    if not (np.isfinite(W).all() and np.isfinite(b).all()):
        raise NNCalcError.at(f"the module '{prefix}' holds NaN or infinite values", source)
    return Layer(np.column_stack([b, W]), g)


# -- out ------------------------------------------------------------------------------


def state_dict(network: Network) -> dict[str, Array]:
    """The state_dict of ``network.to_torch()``: Θ^(j)'s W and b as ``{2j−2}.weight`` and
    ``{2j−2}.bias``, an activation module between each two Linear layers."""
    tensors = {}
    for j, layer in enumerate(network.layers, start=1):
        if layer.gate is not None or layer.activation == "step":
            raise NNCalcError.at(f"Θ^({j}) is {layer.activation}, which PyTorch has no module for")
        tensors[f"{2 * j - 2}.weight"] = np.ascontiguousarray(layer.weights)
        tensors[f"{2 * j - 2}.bias"] = np.ascontiguousarray(layer.bias)
    return tensors


def save(network: Network, path: str | os.PathLike[str]) -> None:
    """Save the state_dict (float64) as .safetensors, with nncalc's metadata (name, classes,
    activations), or as .pt/.pth/.bin with torch.save; atomically."""
    from nncalc.files.outputs import atomic, check_path

    p = check_path(path, (".safetensors", *TORCH_SUFFIXES))
    tensors = state_dict(network)
    if p.suffix.lower() == ".safetensors":
        encode = _package("safetensors.numpy", "writing .safetensors").save
        data = encode(tensors, metadata.write(network, activations=True))
        with atomic(p, "wb") as f:
            f.write(data)
        return
    torch = _package("torch", "writing .pt files")
    with atomic(p, "wb") as f:
        torch.save({k: torch.from_numpy(v) for k, v in tensors.items()}, f)
