"""Model files of other tools in, as networks: ONNX, safetensors and PyTorch state_dicts."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

from nncalc import onnxread, statedict
from nncalc.errors import NNCalcError
from nncalc.onnxread import Imported, narrowest

FORMATS = ".onnx, .safetensors, .pt, .pth or .bin"


def read_model(
    path: str | os.PathLike[str],
    activations: Sequence[str] = (),
    name: str | None = None,
    classes: Sequence[str] | None = None,
) -> Imported:
    """The network a model file computes. ONNX files say their activations; state_dicts
    (.safetensors, .pt) do not, so ``activations`` gives one name for every layer or one
    per layer. ``name`` and ``classes`` (names of the output units) replace the file's."""
    source = str(path)
    suffix = Path(path).suffix.lower()
    try:
        if suffix == ".onnx":
            if activations:
                raise NNCalcError.at(
                    "an ONNX model says its own activations", source, hint="leave out --activations"
                )
            imported = onnxread.read(path)
        elif suffix == ".safetensors" or suffix in statedict.TORCH_SUFFIXES:
            tensors = statedict.read(path)
            network = statedict.to_network(tensors, activations, source)
            imported = Imported(network, dtype=narrowest([t.dtype for t in tensors.values()]))
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
