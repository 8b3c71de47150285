"""Examples x from the command line and from .yaml, .csv and .npy files."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from nncalc.errors import NNCalcError
from nncalc.files import arrays
from nncalc.files.reader import Piped
from nncalc.network import Array, Network
from nncalc.parsing import vector

SUFFIXES = (".yaml", ".yml", ".csv", ".npy")
FORMATS = ("csv", "npy", "yaml")
"""What --input-format names: the format of examples whatever the file's name."""


def input_format(path: str | os.PathLike[str], given: str | None = None) -> str:
    """The format of an examples file as a suffix ('.csv'): ``given`` (one of FORMATS),
    else the name's suffix; standard input's is told by its content: the .npy magic,
    else a YAML list or mapping, else CSV."""
    if given:
        return f".{given}"
    if not isinstance(path, Piped):
        return Path(path).suffix.lower()
    if path.data.startswith(b"\x93NUMPY"):
        return ".npy"
    from nncalc.files.yamlfile import YDict, YList, parse

    try:
        doc = parse(path.data.decode("utf-8-sig"), str(path))
    except (NNCalcError, UnicodeDecodeError):
        return ".csv"
    return ".yaml" if isinstance(doc, YDict | YList) else ".csv"


def choose(
    network: Network, xs: Sequence[str] = (), path: str | None = None, fmt: str | None = None
) -> tuple[Array, list[str | None]]:
    """The examples to run: -x vectors, else an --input file, else the file's ``inputs:``."""
    if xs and path:
        raise NNCalcError.at("give -x or --input, not both")
    if xs:
        rows = [vector(x) for x in xs]
        s1 = network.sizes[0]
        for x, row in zip(xs, rows, strict=True):
            if len(row) != s1:
                raise NNCalcError.at(
                    f"-x '{x}' has {len(row)} numbers, expected s_1 = {s1}",
                    hint="one number per unit of layer 1",
                )
        return network.batch(rows), [None] * len(xs)
    if path:
        return read_examples(path, network.sizes[0], fmt)
    if network.inputs is not None and len(network.inputs):
        return network.inputs, list(network.input_names)
    raise NNCalcError.at(
        "no inputs to propagate",
        network.source,
        hint=f"give -x {_example_x(network.sizes[0])}, --input FILE, "
        "or list examples under 'inputs:' in the file",
    )


def _example_x(s1: int) -> str:
    """An -x that fits s_1 inputs: 1,2,3 or, when long, x_1,x_2,…,x_784 (784 numbers)."""
    if s1 <= 6:
        return ",".join(str(i) for i in range(1, s1 + 1))
    return f"x_1,x_2,…,x_{s1} ({s1} numbers)"


def read_examples(
    path: str | os.PathLike[str], s1: int, fmt: str | None = None
) -> tuple[Array, list[str | None]]:
    """A batch of examples (rows) and their names, from a .yaml, .csv or .npy file (or
    one of the format ``fmt``; see input_format)."""
    suffix = input_format(path, fmt)
    if suffix in (".yaml", ".yml"):
        from nncalc.files.netfile import load_examples

        return load_examples(path, s1)
    if suffix == ".csv":
        X = np.concatenate(list(arrays.csv_chunks(path, s1, width_name=f"s_1 = {s1}")))
    elif suffix == ".npy":
        data = arrays.load_npy(path)
        X = arrays.checked(data.reshape(_examples(data.shape, s1, str(path)), s1), str(path))
    else:
        raise NNCalcError.at(
            f"unknown input format '{suffix or Path(path).name}'",
            str(path),
            hint="use " + ", ".join(SUFFIXES) + ", or give --input-format",
        )
    return X, [None] * X.shape[0]


def stream(
    network: Network,
    xs: Sequence[str] = (),
    path: str | None = None,
    rows: int = 65536,
    fmt: str | None = None,
) -> tuple[int | None, Iterator[Array]]:
    """(number of examples if known, chunks of examples) for large batches.

    .npy and .csv files are read a chunk at a time, so they may be larger than
    NNCALC_MAX_BYTES (and than memory); other sources are one chunk.
    """
    s1 = network.sizes[0]
    suffix = input_format(path, fmt) if path and not xs else ""
    if suffix == ".npy":
        shape, chunks = arrays.npy_chunks(path, rows)
        return _examples(shape, s1, str(path)), chunks
    if suffix == ".csv":
        return None, arrays.csv_chunks(path, s1, rows, f"s_1 = {s1}", bounded=False)
    X, _ = choose(network, xs, path, fmt)
    return X.shape[0], iter([X])


def _examples(shape: tuple[int, ...], s1: int, source: str) -> int:
    """How many examples an array of ``shape`` holds: (examples, s_1), or (s_1,) for one."""
    if shape == (s1,):
        return 1
    if len(shape) != 2 or shape[1] != s1:
        raise NNCalcError.at(
            f"array has shape {shape}, expected (examples, {s1})",
            source,
            hint="one example per row, one column per input unit",
        )
    return shape[0]
