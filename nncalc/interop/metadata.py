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
ORDER = "nncalc.order"
"""A state_dict's modules in the order they run (nncalc's exports number them anyway)."""


def loads(text: str | bytes, what: str, source: str) -> Any:
    """The JSON value of text (from a file, so bounded by its size), or one clear error:
    never a RecursionError for deep nesting."""
    try:
        return json.loads(text)
    except (TypeError, ValueError, RecursionError) as e:
        reason = "nested too deeply" if isinstance(e, RecursionError) else "not JSON"
        raise NNCalcError.at(f"{what} is {reason}", source) from None


def write(network: Network) -> dict[str, str]:
    """The metadata of network: its name and classes."""
    meta = {NAME: network.name, CLASSES: network.classes}
    return {k: v if isinstance(v, str) else json.dumps(list(v)) for k, v in meta.items() if v}


@dataclass(frozen=True)
class Read:
    """nncalc's fields in a file's metadata; None for those absent."""

    name: str | None = None
    classes: tuple[str, ...] | None = None
    activations: tuple[str, ...] | None = None
    order: tuple[str, ...] | None = None


def read(meta: dict, source: str) -> Read:
    """nncalc's fields from a file's metadata (any other keys are left alone)."""
    name = meta.get(NAME)
    if name is not None and not isinstance(name, str):
        raise NNCalcError.at(f"the metadata {NAME} is not text", source)
    names = (_names(meta, key, source) for key in (CLASSES, ACTIVATIONS, ORDER))
    return Read(name, *names)


def _names(meta: dict, key: str, source: str) -> tuple[str, ...] | None:
    if key not in meta:
        return None
    names = loads(meta[key], f"the metadata {key}", source)
    if not (isinstance(names, list) and all(isinstance(n, str) for n in names)):
        raise NNCalcError.at(f"the metadata {key} is not a JSON list of names", source)
    return tuple(names)
