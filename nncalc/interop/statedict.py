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
from itertools import pairwise
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from nncalc import activations
from nncalc.errors import NNCalcError, first_line
from nncalc.files.reader import read_bytes
from nncalc.interop import metadata
from nncalc.network import Array, Layer, Network

TORCH_SUFFIXES = (".pt", ".pth", ".bin")
CHECKPOINT_KEYS = ("state_dict", "model_state_dict", "model")
"""Where training checkpoints keep the state_dict, when the file holds more than one."""
FLOATS = {"float16": 16, "bfloat16": 16, "float32": 32, "float64": 64}
"""The tensor types nncalc reads (each widens exactly to float64), with their bits."""
SAFETENSORS = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16"}
SAFETENSORS |= {"C64": "complex64", "F8_E4M3": "float8_e4m3fn", "F8_E5M2": "float8_e5m2"}
NUMPY = {"float64": "<f8", "float32": "<f4", "float16": "<f2", "bfloat16": "<u2"}
COUNTER = "num_batches_tracked"
"""A BatchNorm's count of training batches, unused in eval mode: never read."""
EPS = 1e-5
"""BatchNorm1d's default eps, which a state_dict does not hold."""
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
SEARCH = 200_000
"""At most this many steps looking for the orders in which the layers' shapes chain."""


class StateDict(NamedTuple):
    """A file's tensors (float64), by name, nncalc's fields of its metadata, and the
    narrowest floating-point type the file stored."""

    tensors: dict[str, Array]
    metadata: metadata.Read
    dtype: str = "float64"


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
        if Path(path).suffix.lower() == ".safetensors":
            entries, meta = _safetensors(data, source)
        else:
            entries, meta = _torch(data, source), metadata.Read()
        return _widen(entries, meta, source)


def load(
    path: str | os.PathLike[str], g: Sequence[str] = (), order: Sequence[str] | None = None
) -> tuple[Network, tuple[str, ...], str]:
    """The network of a state_dict file, nncalc's notes on it, and its narrowest type."""
    tensors, meta, dtype = read(path)
    g = g or meta.activations or ()
    network, notes = _build(tensors, g, str(path), meta.name, meta.classes, order or meta.order)
    return network, notes, dtype


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
    return [_safetensor(name, info, buffer, source) for name, info in header.items()], meta


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


def _torch(data: bytes, source: str) -> list[Entry]:
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
    return [_tensor(key, t, torch, source) for key, t in _unwrap(state, source).items()]


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


def _unwrap(state: Any, source: str) -> Mapping:
    """The state_dict, also when a training checkpoint holds it under a usual key."""
    if isinstance(state, Mapping):
        for key in CHECKPOINT_KEYS:
            if isinstance(state.get(key), Mapping):
                return state[key]
        return state
    raise NNCalcError.at(f"holds a {type(state).__name__}, not a state_dict", source)


def _tensor(key: Any, tensor: Any, torch: Any, source: str) -> Entry:
    """A tensor of a loaded state_dict (not yet copied: an expand() view stays a view)."""
    if not isinstance(key, str):
        raise NNCalcError.at(
            f"has the key {_shown(repr(key))}, which is not text",
            source,
            hint="a state_dict's keys are module paths such as 0.weight",
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


def _natural(name: str) -> list:
    """A sort key that puts 2.weight before 10.weight."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


class Part(NamedTuple):
    """A module of a state_dict: a Linear layer (W, b) or a BatchNorm1d (γ, β, μ, σ²)."""

    path: str
    arrays: tuple[Array, ...]
    batchnorm: bool = False

    @property
    def inputs(self) -> int:
        return len(self.arrays[2]) if self.batchnorm else self.arrays[0].shape[1]

    @property
    def units(self) -> int:
        return len(self.arrays[0])


def to_network(
    tensors: Mapping[str, Array],
    g: Sequence[str],
    source: str = "<state_dict>",
    name: str | None = None,
    classes: Sequence[str] | None = None,
    order: Sequence[str] | None = None,
) -> Network:
    """The network of the Linear layers in tensors (``P.weight`` and optional ``P.bias`` for
    each module P), each followed by an optional BatchNorm1d (eval mode, folded into it),
    with activations g: one name for every Linear layer, or one per layer. ``order`` lists
    the modules in the order they run, if their names (nn.Sequential's indices) do not."""
    return _build(tensors, g, source, name, classes, order)[0]


def _build(
    tensors: Mapping[str, Array],
    g: Sequence[str],
    source: str,
    name: str | None,
    classes: Sequence[str] | None,
    order: Sequence[str] | None,
) -> tuple[Network, tuple[str, ...]]:
    """to_network, with nncalc's notes on how it read the state_dict."""
    parts = {path: _part(path, module, source) for path, module in _modules(tensors, source)}
    if not parts:
        raise NNCalcError.at("holds no tensors", source)
    paths, notes = _order(parts, order, source)
    layers, folded = _layers([parts[p] for p in paths], g, source)
    if folded:
        notes += (
            f"the BatchNorm1d {_shown(', '.join(folded))} (eval mode) are folded into the "
            "Linear layer before each, in float64: W' = diag(γ/√(σ²+ε))·W, "
            f"b' = γ(b − μ)/√(σ²+ε) + β, with ε = {EPS:g}, PyTorch's default (a state_dict "
            "does not hold ε; for another, export the model to ONNX)",
        )
    try:
        network = Network(tuple(layers), name or Path(source).name, classes and tuple(classes))
    except NNCalcError as e:
        raise e.within(source) from None
    return network, notes


def _modules(tensors: Mapping[str, Array], source: str) -> list[tuple[str, dict[str, Array]]]:
    """The tensors grouped by module path, as float64 arrays."""
    modules: dict[str, dict[str, Array]] = {}
    for key, value in tensors.items():
        prefix, _, kind = key.rpartition(".")
        if kind == COUNTER:
            continue
        if kind not in ("weight", "bias", "running_mean", "running_var"):
            raise NNCalcError.at(
                f"'{_shown(key)}' is not a tensor of a Linear or BatchNorm1d layer",
                source,
                hint="nncalc reads state_dicts of nn.Sequential stacks of nn.Linear",
            )
        array = np.asarray(value)
        if array.dtype.kind not in "iuf":
            raise NNCalcError.at(
                f"'{_shown(key)}' holds {array.dtype} values, not real numbers", source
            )
        modules.setdefault(prefix, {})[kind] = array.astype(np.float64)
    return list(modules.items())


def _part(path: str, module: dict[str, Array], source: str) -> Part:
    """A module's tensors, checked: a Linear layer, or a BatchNorm1d if it has statistics."""
    where = f"the module '{_shown(path)}'"
    if "running_mean" in module or "running_var" in module:
        mu, var = module.get("running_mean"), module.get("running_var")
        n = np.shape(mu)[0] if mu is not None and mu.ndim == 1 else None
        gamma, beta = module.get("weight", np.ones(n or 0)), module.get("bias", np.zeros(n or 0))
        if n is None or any(t is None or t.shape != (n,) for t in (var, gamma, beta)):
            raise NNCalcError.at(
                f"{where} is not a BatchNorm1d: its running_mean, running_var, weight and "
                "bias must be vectors of one size",
                source,
            )
        arrays = (gamma, beta, mu, var)
        if (var < 0).any():
            raise NNCalcError.at(f"{where} has a negative running_var", source)
    else:
        W = module.get("weight")
        if W is None or W.ndim != 2:
            found = "no weight" if W is None else f"a weight of shape {W.shape}"
            raise NNCalcError.at(f"{where} has {found}; a Linear layer's is 2-D", source)
        b = module.get("bias", np.zeros(W.shape[0]))
        if b.shape != (W.shape[0],):
            raise NNCalcError.at(
                f"'{_shown(path)}.bias' has shape {b.shape}, expected ({W.shape[0]},)", source
            )
        arrays = (W, b)
    if not all(np.isfinite(t).all() for t in arrays):
        raise NNCalcError.at(f"{where} holds NaN or infinite values", source)
    return Part(path, arrays, len(arrays) == 4)


def _order(
    parts: dict[str, Part], given: Sequence[str] | None, source: str
) -> tuple[list[str], tuple[str, ...]]:
    """The modules' paths in the order they run: as given, by nn.Sequential's indices, or
    the one order in which their shapes chain. Anything else is refused."""
    paths = sorted(parts, key=_natural)
    shown = _shown(",".join(paths))
    if given:
        if sorted(given, key=_natural) != paths:
            raise NNCalcError.at(
                f"the order {_shown(','.join(given))} does not name each module once",
                source,
                hint=f"the modules are {shown}",
            )
        return list(given), ()
    if all(_indexed(a, b) for a, b in pairwise(paths)):
        return paths, ()
    chains, complete = _chains(list(parts.values()))
    if len(chains) == 1 and complete:
        order = _shown(",".join(p.path for p in chains[0]))
        return [p.path for p in chains[0]], (
            f"the module names do not say the layers' order; their shapes chain in one way "
            f"only, which nncalc takes: {order}",
        )
    ways = "in more than one order" if len(chains) > 1 else "in no order"
    ways = ways if complete else "in too many ways to search"
    raise NNCalcError.at(
        f"the module names ({shown}) do not say the layers' order, and their shapes chain {ways}",
        source,
        hint=f"give it with --order, e.g. --order {shown}; nn.Sequential numbers its modules",
    )


def _indexed(a: str, b: str) -> bool:
    """Do paths a and b part at nn.Sequential indices (net.0 and net.2, not fc1 and fc2)?"""
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            return all(t.isascii() and t.isdigit() and str(int(t)) == t for t in (x, y))
    return False


def _chains(parts: list[Part]) -> tuple[list[list[Part]], bool]:
    """Up to two orders in which the parts chain (each reads what the one before gives, a
    BatchNorm1d right after a Linear layer), and whether the search was complete."""
    found: list[list[Part]] = []
    chain: list[int] = []
    used: set[int] = set()
    steps = 0
    reading: dict[int, list[int]] = {}
    for i, part in enumerate(parts):
        reading.setdefault(part.inputs, []).append(i)

    def following(last: Part | None):
        nonlocal steps
        for i in range(len(parts)) if last is None else reading.get(last.units, []):
            steps += 1
            if i not in used and _follows(parts[i], last):
                yield i

    options = [following(None)]
    while options and len(found) < 2 and steps <= SEARCH:
        i = next(options[-1], None)
        if i is None:
            options.pop()
            if chain:
                used.discard(chain.pop())
        elif len(chain) + 1 == len(parts):
            found.append([parts[k] for k in (*chain, i)])
        else:
            chain.append(i)
            used.add(i)
            options.append(following(parts[i]))
    return found, steps <= SEARCH


def _follows(part: Part, last: Part | None) -> bool:
    """Can part run right after last (None: first)?"""
    if last is None or (part.batchnorm and last.batchnorm):
        return last is None and not part.batchnorm
    return last.units == part.inputs


def _layers(parts: list[Part], g: Sequence[str], source: str) -> tuple[list[Layer], list[str]]:
    """The layers of the modules in order (each BatchNorm1d folded into the Linear layer
    before it), and the paths of the BatchNorm1d modules folded."""
    linear = [p for p in parts if not p.batchnorm]
    g = _activations(g, len(linear), source)
    weights: list[tuple[Array, Array]] = []
    folded = []
    for last, part in zip([None, *parts], parts, strict=False):
        if not _follows(part, last):
            raise _misplaced(part, last, source)
        if part.batchnorm:
            weights[-1] = _fold(*weights[-1], part, source)
            folded.append(part.path)
        else:
            weights.append(part.arrays)
    layers = [Layer(np.column_stack([b, W]), g_j) for (W, b), g_j in zip(weights, g, strict=True)]
    return layers, folded


def _misplaced(part: Part, last: Part | None, source: str) -> NNCalcError:
    name = f"{_shown(part.path)}.{'running_mean' if part.batchnorm else 'weight'}"
    hint = "the modules run in the order of their nn.Sequential indices, or as --order says"
    if last is None or last.batchnorm:
        message = f"the BatchNorm1d '{_shown(part.path)}' does not follow a Linear layer"
        return NNCalcError.at(message, source, hint=hint)
    message = f"'{name}' reads {part.inputs} units but the layer before it has {last.units}"
    return NNCalcError.at(message, source, hint=hint)


def _fold(W: Array, b: Array, part: Part, source: str) -> tuple[Array, Array]:
    """W and b of a Linear layer followed by the BatchNorm1d part, in eval mode."""
    gamma, beta, mu, var = part.arrays
    s = gamma / np.sqrt(var + EPS)
    W, b = s[:, None] * W, s * (b - mu) + beta
    if not (np.isfinite(W).all() and np.isfinite(b).all()):
        raise NNCalcError.at(f"folding '{_shown(part.path)}' overflows float64", source)
    return W, b


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
        order = json.dumps([key.removesuffix(".weight") for key in tensors if "weight" in key])
        data = encode(tensors, {**metadata.write(network, activations=True), metadata.ORDER: order})
        with atomic(p, "wb") as f:
            f.write(data)
        return
    torch = _package("torch", "writing .pt files")
    with atomic(p, "wb") as f:
        torch.save({k: torch.from_numpy(v) for k, v in tensors.items()}, f)
