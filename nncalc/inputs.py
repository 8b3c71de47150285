"""Examples x from the command line and from .yaml, .csv and .npy files."""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nncalc.errors import NNCalcError
from nncalc.network import Array, Network
from nncalc.yamlfile import read_text

SUFFIXES = (".yaml", ".yml", ".csv", ".npy")


def parse_vector(text: str, what: str = "-x") -> list[float]:
    """'66,39,12' or '66 39 12' as numbers."""
    cells = [c for c in re.split(r"[,\s]+", text.strip()) if c]
    if not cells:
        raise NNCalcError.at(f"{what} '{text}' has no numbers", hint="write -x 66,39,12")
    return [_number(c, f"{what} '{text}'") for c in cells]


def choose(
    network: Network, xs: Sequence[str] = (), path: str | None = None
) -> tuple[Array, list[str | None]]:
    """The examples to run: -x vectors, else an --input file, else the file's ``inputs:``."""
    if xs and path:
        raise NNCalcError.at("give -x or --input, not both")
    if xs:
        rows = [parse_vector(x) for x in xs]
        s1 = network.sizes[0]
        for x, row in zip(xs, rows, strict=True):
            if len(row) != s1:
                raise NNCalcError.at(
                    f"-x '{x}' has {len(row)} numbers, expected s_1 = {s1}",
                    hint="one number per unit of layer 1",
                )
        return network.batch(rows), [None] * len(xs)
    if path:
        return read_examples(path, network.sizes[0])
    if network.inputs is not None and len(network.inputs):
        return network.inputs, list(network.input_names)
    raise NNCalcError.at(
        "no inputs to propagate",
        network.source,
        hint="give -x 66,39,12, --input FILE, or list examples under 'inputs:' in the file",
    )


def read_examples(path: str | os.PathLike[str], s1: int) -> tuple[Array, list[str | None]]:
    """A batch of examples (rows) and their names, from a .yaml, .csv or .npy file."""
    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml"):
        from nncalc.netfile import load_examples

        return load_examples(path, s1)
    if suffix == ".csv":
        X = read_csv(path, s1)
    elif suffix == ".npy":
        X = read_npy(path, s1)
    else:
        raise NNCalcError.at(
            f"unknown input format '{suffix or Path(path).name}'",
            str(path),
            hint="use " + ", ".join(SUFFIXES),
        )
    return X, [None] * X.shape[0]


def read_csv(path: str | os.PathLike[str], s1: int) -> Array:
    """One example per row; a first row that is not all numbers is a header."""
    source = str(path)
    rows: list[list[float]] = []
    reader = csv.reader(io.StringIO(read_text(path)))
    for line, cells in enumerate(reader, start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if not rows and line == 1 and not all(_is_float(c) for c in cells):
            continue  # the header row
        if len(cells) != s1:
            raise NNCalcError.at(
                f"row has {len(cells)} column{'s' * (len(cells) != 1)}, expected s_1 = {s1}",
                source,
                line,
                hint="one example per row, one column per input unit",
            )
        rows.append([_number(c, f"column {k}", source, line) for k, c in enumerate(cells, 1)])
    if not rows:
        raise NNCalcError.at("no examples in the file", source)
    return np.array(rows, dtype=np.float64)


def read_npy(path: str | os.PathLike[str], s1: int) -> Array:
    """A float array of shape (examples, s_1), or (s_1,) for one example; never unpickles."""
    source = str(path)
    data = load_npy(path)
    X = np.array(data, dtype=np.float64, ndmin=2)
    if X.ndim != 2 or X.shape[1] != s1:
        raise NNCalcError.at(
            f"array has shape {data.shape}, expected (examples, {s1})",
            source,
            hint="one example per row, one column per input unit",
        )
    if not np.isfinite(X).all():
        row = int(np.argwhere(~np.isfinite(X))[0][0])
        raise NNCalcError.at(f"row {row + 1} holds NaN or infinity", source)
    return X


_KINDS = {"U": "text", "S": "bytes", "O": "Python objects", "b": "booleans", "c": "complex numbers"}


def load_npy(path: str | os.PathLike[str]) -> np.ndarray:
    """A numeric array from a .npy file, memory-mapped; Python objects are never unpickled."""
    source = str(path)
    try:
        with open(path, "rb") as f:
            if f.read(6) != b"\x93NUMPY":
                raise NNCalcError.at(
                    "not a .npy file (no NumPy header)", source, hint="save it with numpy.save"
                )
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    except NNCalcError:
        raise
    except FileNotFoundError:
        raise NNCalcError.at("no such file", source) from None
    except IsADirectoryError:
        raise NNCalcError.at("is a directory, not a file", source) from None
    except PermissionError:
        raise NNCalcError.at("permission denied", source) from None
    except ValueError as e:
        if "pickle" in str(e) or "Python objects" in str(e):
            raise NNCalcError.at(
                "holds Python objects, which nncalc never unpickles",
                source,
                hint="save a float array",
            ) from None
        raise NNCalcError.at(f"damaged .npy file: {e}", source) from None
    except (OSError, EOFError) as e:
        raise NNCalcError.at(f"damaged .npy file: {e}", source) from None
    if data.dtype.kind not in "iuf":
        kind = _KINDS.get(data.dtype.kind, str(data.dtype))
        raise NNCalcError.at(f"holds {kind}, expected numbers", source, hint="save a float array")
    return data


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _number(text: str, where: str, source: str | None = None, line: int | None = None) -> float:
    try:
        value = float(text)
    except ValueError:
        raise NNCalcError.at(f"{where}: '{text}' is not a number", source, line) from None
    if not math.isfinite(value):
        raise NNCalcError.at(f"{where}: {text} is not a finite number", source, line)
    return value
