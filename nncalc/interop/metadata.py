"""What nncalc keeps in other formats' metadata (ONNX metadata_props, the safetensors
header), so that a network it exports reads back whole: its name, class names and, where
the format cannot say them, its activations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from nncalc.errors import NNCalcError
from nncalc.network import Network

NAME, CLASSES, ACTIVATIONS = "nncalc.name", "nncalc.classes", "nncalc.activations"


def write(network: Network, activations: bool = False) -> dict[str, str]:
    """The metadata of network; with activations for formats that hold weights only."""
    meta = {NAME: network.name, CLASSES: network.classes}
    if activations:
        meta[ACTIVATIONS] = [layer.activation for layer in network.layers]
    return {k: v if isinstance(v, str) else json.dumps(list(v)) for k, v in meta.items() if v}


@dataclass(frozen=True)
class Read:
    """nncalc's fields in a file's metadata; None for those absent."""

    name: str | None = None
    classes: tuple[str, ...] | None = None
    activations: tuple[str, ...] | None = None


def read(meta: dict, source: str) -> Read:
    """nncalc's fields from a file's metadata (any other keys are left alone)."""
    name = meta.get(NAME)
    if name is not None and not isinstance(name, str):
        raise NNCalcError.at(f"the metadata {NAME} is not text", source)
    return Read(name, _names(meta, CLASSES, source), _names(meta, ACTIVATIONS, source))


def _names(meta: dict, key: str, source: str) -> tuple[str, ...] | None:
    if key not in meta:
        return None
    names = loads_bounded(meta[key], source, f"the metadata {key}")
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise NNCalcError.at(f"the metadata {key} is not a JSON list of names", source)
    return tuple(names)


def loads_bounded(text: str | bytes, source: str, what: str) -> Any:
    """The JSON value of text; text that is not JSON, or nests deeper than Python's stack
    allows, is an error naming ``what``."""
    try:
        return json.loads(text)
    except RecursionError:
        hint = "nncalc reads flat JSON"
        raise NNCalcError.at(f"{what} nests too deeply", source, hint=hint) from None
    except (TypeError, ValueError):
        raise NNCalcError.at(f"{what} is not JSON", source) from None
