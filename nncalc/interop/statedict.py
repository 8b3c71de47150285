"""PyTorch state_dicts of nn.Sequential stacks of Linear (and BatchNorm1d) layers, in
.safetensors or .pt files.

A state_dict holds ``0.weight``, ``0.bias``, ``2.weight``, ... but neither the activations
between the layers nor, when its modules have names, their order. The activations are given
by the caller, or read from the metadata of a .safetensors file that nncalc wrote. The order
is taken only from what says it: nn.Sequential's indices, an order given by the caller or
nncalc's metadata, or shapes that chain in one way only. A BatchNorm1d right after a Linear
layer is folded into it (eval mode). ``.pt`` files are loaded with
``torch.load(weights_only=True)``, after nncalc has checked that the archive expands to no
more than NNCALC_MAX_BYTES and its pickle names nothing but plain tensors and containers.
Every tensor is widened exactly to float64, after checking that all of them fit the limit.
"""

from __future__ import annotations

import importlib
import io
import json
import math
import os
import pickletools
import re
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nncalc.errors import NNCalcError, first_line
from nncalc.files.reader import read_bytes
from nncalc.interop import metadata
from nncalc.interop.sequential import COUNTER, PRELU, build, to_network
from nncalc.network import Array, Layer, Network

TORCH_SUFFIXES = (".pt", ".pth", ".bin")
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model", "net")
"""Where training checkpoints keep the state_dict, when the file holds more than one."""
FLOATS = {"float16": 16, "bfloat16": 16, "float32": 32, "float64": 64}
"""The tensor types nncalc reads (each widens exactly to float64), with their bits."""
__all__ = ["load", "read", "save", "state_dict", "to_network"]
SAFETENSORS = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16"}
SAFETENSORS |= {"C64": "complex64", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2"}
NUMPY = {"float64": "<f8", "float32": "<f4", "float16": "<f2", "bfloat16": "<u2"}
PICKLED = frozenset(
    {
        "collections OrderedDict",
        "torch Size",
        "torch device",
        "torch.storage UntypedStorage",
        "torch.serialization _get_layout",
        "torch._tensor _rebuild_from_type_v2",
        "torch._utils _rebuild_tensor_v2",
        "torch._utils _rebuild_tensor_v3",
        "torch._utils _rebuild_parameter",
        "torch._utils _rebuild_parameter_with_state",
        "torch._utils _rebuild_sparse_tensor",
    }
)
"""What a state_dict's pickle may name, besides dtypes and storage types: containers and
the functions that make views of stored data (not ones that allocate, copy or quantize)."""


class StateDict(NamedTuple):
    """A file's tensors (float64), by name, nncalc's fields of its metadata, and the
    narrowest floating-point type the file stored."""

    tensors: dict[str, Array]
    metadata: metadata.Read
    dtype: str = "float64"
    notes: tuple[str, ...] = ()


class Entry(NamedTuple):
    """A tensor of a file, before it is widened to float64."""

    name: str
    dtype: str
    numel: int
    decode: Callable[[], Array]


def read(path: str | os.PathLike[str]) -> StateDict:
    """The tensors of a .safetensors or .pt/.pth/.bin file, by name, widened to float64."""
    source = str(path)
    data = read_bytes(path, hint="raise NNCALC_MAX_BYTES")
    with warnings.catch_warnings():  # torch's warnings are not the user's business
        warnings.simplefilter("ignore")
        notes: tuple[str, ...] = ()
        if Path(path).suffix.lower() == ".safetensors":
            entries, meta = _safetensors(data, source)
        else:
            (entries, notes), meta = _torch(data, source), metadata.Read()
        return _widen(entries, meta, source)._replace(notes=notes)


def load(
    path: str | os.PathLike[str],
    g: Sequence[str] = (),
    order: Sequence[str] | None = None,
    bn_eps: float | None = None,
) -> tuple[Network, tuple[str, ...], str]:
    """The network of a state_dict file (see nncalc.interop.sequential), nncalc's notes on
    it, and its narrowest type."""
    tensors, meta, dtype, read_notes = read(path)
    g = g or meta.activations or ()
    order = order or meta.order
    network, notes = build(tensors, g, str(path), meta.name, meta.classes, order, bn_eps)
    return network, (*read_notes, *notes), dtype


def _widen(entries: list[Entry], meta: metadata.Read, source: str) -> StateDict:
    """The entries as float64 arrays, once all of them are known to fit the limit."""
    from nncalc.files.reader import max_bytes

    kept = [e for e in entries if e.name.rpartition(".")[2] != COUNTER]
    for e in kept:
        if e.dtype not in FLOATS:
            raise NNCalcError.at(
                f"'{_shown(e.name)}' is a {_shown(e.dtype)} tensor; nncalc reads "
                + ", ".join(FLOATS),
                source,
                hint="save the model's float weights",
            )
    size, limit = 8 * sum(e.numel for e in kept), max_bytes()
    if size > limit:
        raise NNCalcError.at(
            f"its tensors take {size:,} bytes as float64, over the limit of {limit:,}",
            source,
            hint="raise NNCALC_MAX_BYTES",
        )
    tensors = {}
    for e in kept:
        try:
            tensors[e.name] = e.decode()
        except (RuntimeError, TypeError, ValueError) as error:
            message = f"'{_shown(e.name)}' cannot be read as numbers ({first_line(error)})"
            raise NNCalcError.at(message, source) from None
    dtype = min((e.dtype for e in kept), key=FLOATS.__getitem__, default="float64")
    return StateDict(tensors, meta, dtype)


def _safetensors(data: bytes, source: str) -> tuple[list[Entry], metadata.Read]:
    """The tensors of a safetensors file (an 8-byte size, a JSON header, the data)."""
    size = int.from_bytes(data[:8], "little")
    if len(data) < 8 or size > len(data) - 8:
        raise _unreadable("shorter than its header says", source)
    header = metadata.loads(data[8 : 8 + size], "the safetensors header", source)
    if not isinstance(header, dict) or not isinstance(header.get("__metadata__", {}), dict):
        raise _unreadable("its header is not a JSON object of tensors", source)
    meta = metadata.read(header.pop("__metadata__", None) or {}, source)
    buffer = memoryview(data)[8 + size :]
    entries = [_safetensor(name, info, buffer, source) for name, info in header.items()]
    _check_layout(header, len(buffer), source)
    return entries, meta


def _check_layout(header: dict, size: int, source: str) -> None:
    """The tensors' data must tile the buffer: no overlap, no gap (the format's rule)."""
    spans = sorted((*info["data_offsets"], name) for name, info in header.items())
    end = 0
    for begin, stop, name in spans:
        if begin < end or stop < begin:
            raise _unreadable(f"the data of '{_shown(name)}' overlaps another tensor's", source)
        if begin > end:
            raise _unreadable(f"bytes {end:,} to {begin:,} of its data belong to no tensor", source)
        end = stop
    if end != size:
        raise _unreadable(f"bytes {end:,} to {size:,} of its data belong to no tensor", source)


def _safetensor(name: str, info: Any, buffer: memoryview, source: str) -> Entry:
    """One tensor of a safetensors header, checked against the data it points to."""
    fields = info if isinstance(info, dict) else {}
    dtype, shape, offsets = (fields.get(k) for k in ("dtype", "shape", "data_offsets"))
    if not (isinstance(dtype, str) and _counts(shape) and _counts(offsets) and len(offsets) == 2):
        raise _unreadable(f"'{_shown(name)}' has no dtype, shape and data_offsets", source)
    dtype, numel, (begin, end) = SAFETENSORS.get(dtype, dtype), math.prod(shape), offsets
    if dtype in FLOATS and not begin + numel * FLOATS[dtype] // 8 == end <= len(buffer):
        raise _unreadable(f"the data of '{_shown(name)}' does not match its shape", source)

    def decode() -> Array:
        raw = np.frombuffer(buffer[begin:end], NUMPY[dtype])
        if dtype == "bfloat16":  # the top 16 bits of a float32
            raw = (raw.astype("<u4") << 16).view("<f4")
        return raw.astype(np.float64).reshape(shape)

    return Entry(name, dtype, numel, decode)


def _counts(value: Any) -> bool:
    return isinstance(value, list) and all(type(n) is int and n >= 0 for n in value)


def _unreadable(reason: str, source: str) -> NNCalcError:
    return NNCalcError.at(f"not a readable safetensors file ({reason})", source)


def _torch(data: bytes, source: str) -> tuple[list[Entry], tuple[str, ...]]:
    torch = _package("torch", "reading .pt files")
    _check_archive(data, torch, source)
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as e:  # UnpicklingError (refused objects), zip and EOF errors
        hint = (
            "save model.state_dict(), not the model"
            if "weights_only" in str(e) or "Unsupported" in str(e)
            else "save it with torch.save(model.state_dict(), PATH)"
        )
        raise _unsafe(first_line(e), source, hint) from None
    state, notes = _unwrap(state, torch, source)
    return [_tensor(key, t, torch, source) for key, t in state.items()], notes


def _check_archive(data: bytes, torch: Any, source: str) -> None:
    """Refuse, before torch.load, an archive that expands past the limit, or whose pickle
    names anything but plain tensors and containers (which could allocate as it likes)."""
    from nncalc.files.reader import max_bytes

    limit = max_bytes()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            size = sum(m.file_size for m in members)
            pickles = [
                archive.read(m) for m in members if size <= limit and m.filename.endswith(".pkl")
            ]
        names = [
            arg for p in pickles for op, arg, _ in pickletools.genops(p) if op.name == "GLOBAL"
        ]
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, RuntimeError) as e:
        hint = "torch.save writes a zip archive since PyTorch 1.6: save it again"
        raise _unsafe(first_line(e), source, hint) from None
    if size > limit:
        raise NNCalcError.at(
            f"its archive expands to {size:,} bytes, over the limit of {limit:,}",
            source,
            hint="raise NNCALC_MAX_BYTES",
        )
    refused = [n for n in names if n not in PICKLED and not _plain(torch, *n.split(" ", 1))]
    quantized = sorted({n[6:-7].lower() for n in refused if re.fullmatch(r"torch Q\w+Storage", n)})
    if quantized:
        raise NNCalcError.at(
            f"holds quantized tensors ({', '.join(quantized)}); nncalc reads " + ", ".join(FLOATS),
            source,
            hint="save the float model's state_dict, before quantization",
        )
    if refused:
        raise _unsafe(f"it names {_shown(refused[0].replace(' ', '.'))}", source)


def _plain(torch: Any, module: str, attribute: str = "") -> bool:
    """Is module.attribute a torch dtype or an unquantized storage type?"""
    if module != "torch":
        return False
    if attribute.endswith("Storage"):
        return not attribute.startswith("Q")
    return isinstance(getattr(torch, attribute, None), torch.dtype)


def _unsafe(
    reason: str, source: str, hint: str = "save model.state_dict(), not the model"
) -> NNCalcError:
    return NNCalcError.at(f"not a state_dict nncalc can load safely ({reason})", source, hint=hint)


def _package(name: str, what: str) -> Any:
    """An optional package of the torch extra, or a clear error naming the extra."""
    try:
        return importlib.import_module(name)
    except ImportError:
        package = "PyTorch" if name == "torch" else "the safetensors package"
        raise NNCalcError.at(
            f"{what} needs {package}", hint="pip install 'nncalc[torch]'"
        ) from None


def _unwrap(state: Any, torch: Any, source: str) -> tuple[Mapping, tuple[str, ...]]:
    """The state_dict, also when a training checkpoint holds it under a usual key, or as
    its only dict beside no tensors (then with a note saying where)."""
    if not isinstance(state, Mapping):
        raise NNCalcError.at(f"holds a {type(state).__name__}, not a state_dict", source)
    for key in CHECKPOINT_KEYS:
        if isinstance(state.get(key), Mapping):
            return state[key], ()
    nested = [k for k, v in state.items() if isinstance(v, Mapping)]
    if len(nested) == 1 and not any(isinstance(v, torch.Tensor) for v in state.values()):
        key = nested[0]
        note = f"the file is a checkpoint; nncalc reads the state_dict under {_shown(repr(key))}"
        return state[key], (note,)
    return state, ()


def _tensor(key: Any, tensor: Any, torch: Any, source: str) -> Entry:
    """A tensor of a loaded state_dict (not yet copied: an expand() view stays a view)."""
    if not isinstance(key, str):
        raise NNCalcError.at(
            f"has the key {_shown(repr(key))}, which is not text",
            source,
            hint="a state_dict's keys are module paths such as 0.weight",
        )
    if isinstance(tensor, Mapping):
        raise NNCalcError.at(
            f"'{_shown(key)}' holds a dict, not a tensor: a checkpoint of more than one",
            source,
            hint="nncalc reads the state_dict under "
            + ", ".join(CHECKPOINT_KEYS)
            + ", or the only dict: save model.state_dict() alone",
        )
    if not isinstance(tensor, torch.Tensor):
        raise NNCalcError.at(
            f"'{_shown(key)}' is a {type(tensor).__name__}, not a tensor",
            source,
            hint="save model.state_dict() alone",
        )
    if tensor.layout != torch.strided:
        raise NNCalcError.at(
            f"'{_shown(key)}' is a sparse tensor ({str(tensor.layout).removeprefix('torch.')})",
            source,
            hint="save it dense: tensor.to_dense()",
        )
    dtype = str(tensor.dtype).removeprefix("torch.")
    return Entry(key, dtype, tensor.numel(), lambda: tensor.detach().to(torch.float64).numpy())


def _shown(text: str, width: int = 60) -> str:
    """text from a file, cut to a short excerpt for a message."""
    return text if len(text) <= width else text[: width - 1] + "…"


# -- out ------------------------------------------------------------------------------


def state_dict(network: Network) -> dict[str, Array]:
    """The state_dict of ``network.to_torch()``: Θ^(j)'s W and b as ``{2j−2}.weight`` and
    ``{2j−2}.bias``, an activation module between each two Linear layers (a PReLU with a
    slope per unit holds them as ``{2j−1}.weight``)."""
    tensors = {}
    for j, layer in enumerate(network.layers, start=1):
        if layer.gate is not None or layer.activation == "step":
            raise NNCalcError.at(f"Θ^({j}) is {layer.activation}, which PyTorch has no module for")
        tensors[f"{2 * j - 2}.weight"] = np.ascontiguousarray(layer.weights)
        tensors[f"{2 * j - 2}.bias"] = np.ascontiguousarray(layer.bias)
        if (slopes := _slopes(layer)) is not None:
            tensors[f"{2 * j - 1}.weight"] = slopes
    return tensors


def _slopes(layer: Layer) -> Array | None:
    """The slopes of a layer whose g is a PReLU with one per unit, else None."""
    g = layer.g
    return None if g is None or not g.per_unit() else np.array(g.value("alpha"))


def _activations(network: Network) -> str:
    """The metadata's activations: each layer's spec, 'prelu' where the file holds slopes."""
    g = [PRELU if _slopes(layer) is not None else layer.activation for layer in network.layers]
    return json.dumps(g)


def save(network: Network, path: str | os.PathLike[str]) -> None:
    """Save the state_dict (float64) as .safetensors, with nncalc's metadata (name, classes,
    activations), or as .pt/.pth/.bin with torch.save; atomically."""
    from nncalc.files.outputs import atomic, check_path

    p = check_path(path, (".safetensors", *TORCH_SUFFIXES))
    tensors = state_dict(network)
    if p.suffix.lower() == ".safetensors":
        encode = _package("safetensors.numpy", "writing .safetensors").save
        order = json.dumps([key.removesuffix(".weight") for key in tensors if "weight" in key])
        meta = {**metadata.write(network), metadata.ACTIVATIONS: _activations(network)}
        data = encode(tensors, {**meta, metadata.ORDER: order})
        with atomic(p, "wb") as f:
            f.write(data)
        return
    torch = _package("torch", "writing .pt files")
    with atomic(p, "wb") as f:
        torch.save({k: torch.from_numpy(v) for k, v in tensors.items()}, f)
