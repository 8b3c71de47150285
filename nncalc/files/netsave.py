"""A Network written as a network file: YAML, large matrices in .npy files beside it.

Numbers are written with Python's repr, the shortest text that reads back as the same
float64, so ``load(save(network))`` has bit-for-bit the same Θ^(j).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from nncalc.activations import number
from nncalc.errors import NNCalcError
from nncalc.files.outputs import atomic_files, check_path
from nncalc.network import Array, Network
from nncalc.render.escape import terminal

INLINE_LIMIT = 256
"""Matrices with more numbers than this go to .npy files (unless inline)."""
SUFFIXES = (".yaml", ".yml")


def dumps(
    network: Network, files: dict[tuple[int, str], str] | None = None, header: str = ""
) -> str:
    """The network file's text, under ``header`` as a comment of one line; ``files[(j,
    "theta" | "gate")]`` names a .npy file that holds that matrix instead of the text."""
    files = files or {}
    lines = [f"# {terminal(header)}"] if header else []  # one line, nothing YAML refuses
    if network.name:
        lines.append(f"name: {_quote(network.name)}")
    if network.classes:
        lines.append(f"classes: [{', '.join(_quote(c) for c in network.classes)}]")
    if network.framework:
        lines.append(f"framework: {network.framework}")
    lines.append("layers:")
    for j, layer in enumerate(network.layers, start=1):
        g = layer.g
        lines.append(f"  - activation: {g.name if g else layer.activation}")
        lines += [f"    {k}: {number(v)}" for k, v in (g.values if g else ())]
        for key, M in (("theta", layer.theta), ("gate", layer.gate)):
            if M is None:
                continue
            if (j, key) in files:
                lines.append(f"    {key}: {{file: {_quote(files[j, key])}}}")
            else:
                lines.append(f"    {key}:")
                lines += [f"      - [{', '.join(repr(float(v)) for v in row)}]" for row in M]
        if layer.beta is not None:
            lines.append(f"    beta: {layer.beta!r}")
    return "\n".join(lines) + "\n"


def save(
    network: Network, path: str | os.PathLike[str], inline: bool = False, header: str = ""
) -> list[Path]:
    """Write the network file (and its .npy files), all or nothing. Returns the paths."""
    p = check_path(path, SUFFIXES)
    arrays: dict[Path, Array] = {}
    files: dict[tuple[int, str], str] = {}
    for j, layer in enumerate(network.layers, start=1):
        for key, M in (("theta", layer.theta), ("gate", layer.gate)):
            if M is not None and not inline and M.size > INLINE_LIMIT:
                files[j, key] = f"{p.stem}.{key}{j}.npy"
                arrays[p.with_name(files[j, key])] = M
    text = dumps(network, files, header)
    with atomic_files() as open_:  # renamed in the order opened: the YAML file last
        for npy, M in arrays.items():
            np.save(open_(npy, "wb"), M, allow_pickle=False)
        open_(p, "w").write(text)
    return [p, *arrays]


def _quote(text: str) -> str:
    """text as a YAML double-quoted scalar that reads back as itself: JSON's escapes, and
    an escape for every other character YAML does not allow raw (DEL, C1 controls, ...)."""
    if any("\ud800" <= c <= "\udfff" for c in text):  # undecodable bytes from argv
        raise NNCalcError.at(f"{text!a} is not UTF-8 text, which a network file holds")
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    return '"' + "".join(c if c.isprintable() else _escape(c) for c in body) + '"'


def _escape(c: str) -> str:
    return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"
