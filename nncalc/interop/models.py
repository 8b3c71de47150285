"""Model files of other tools in, as networks: ONNX, safetensors and PyTorch state_dicts."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from nncalc.errors import NNCalcError
from nncalc.interop import onnxread, statedict
from nncalc.interop.onnxread import Imported
from nncalc.network import Network

FORMATS = ".onnx, .safetensors, .pt, .pth or .bin"
EXPORT_SUFFIXES = (".onnx", ".safetensors", *statedict.TORCH_SUFFIXES)


def read_model(
    path: str | os.PathLike[str],
    activations: Sequence[str] = (),
    name: str | None = None,
    classes: Sequence[str] | None = None,
    order: Sequence[str] | None = None,
    bn_eps: float | None = None,
) -> Imported:
    """The network a model file computes. ONNX files say their activations; state_dicts
    (.safetensors, .pt) do not (unless nncalc wrote them), so ``activations`` gives one
    name for every layer or one per layer. ``name`` and ``classes`` (names of the output
    units) replace the file's. ``order`` lists a state_dict's modules in the order they run
    (``g`` where an activation runs), where their names (nn.Sequential's indices) do not
    say it; ``bn_eps`` is its BatchNorm1d modules' ε, which a state_dict does not hold."""
    source = str(path)
    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".onnx":
            if activations or order or bn_eps is not None:
                raise NNCalcError.at(
                    "an ONNX model says its own activations, order and ε",
                    source,
                    hint="leave out --activations, --order and --bn-eps",
                )
            imported = onnxread.read(path)
        elif suffix == ".safetensors" or suffix in statedict.TORCH_SUFFIXES:
            imported = Imported(*statedict.load(path, activations, order, bn_eps))
        else:
            raise NNCalcError.at(
                f"unknown model format '{suffix or Path(path).name}'", source, hint=f"use {FORMATS}"
            )
    except NNCalcError as e:
        raise e.within(source) from None
    if imported.dtype != "float64":
        note = (
            f"the weights are {imported.dtype}; nncalc reads them exactly and computes in "
            f"float64, so its outputs differ from the model's own by {imported.dtype} rounding"
        )
        imported = dataclasses.replace(imported, notes=(*imported.notes, note))
    given = {"name": name, "classes": None if classes is None else tuple(classes)}
    given = {k: v for k, v in given.items() if v is not None}
    if given:
        try:
            network = dataclasses.replace(imported.network, **given)
        except NNCalcError as e:
            raise e.within(source) from None
        imported = dataclasses.replace(imported, network=network)
    return imported


def save_model(network: Network, path: str | os.PathLike[str]) -> tuple[str, ...]:
    """Save network as ONNX (.onnx) or as a PyTorch state_dict (.safetensors, .pt, .pth,
    .bin). Returns what the user should know about the file."""
    from nncalc.files.outputs import check_path

    suffix = check_path(path, EXPORT_SUFFIXES).suffix.lower()
    if suffix != ".onnx":
        statedict.save(network, path)
        g = ",".join(network.activations)
        kept = "kept in its metadata" if suffix == ".safetensors" else f"--activations {g}"
        return (
            "the state_dict is network.to_torch()'s: load it into that nn.Sequential; "
            f"its activations ({g}) are not in a state_dict ({kept})",
        )
    from nncalc.interop.onnxwrite import EXPORT_NOTES, save_onnx

    save_onnx(network, path)
    return tuple(EXPORT_NOTES[g] for g in dict.fromkeys(network.activations) if g in EXPORT_NOTES)
