"""Numeric arrays from .npy, .npz and .csv files: whole, or in chunks of rows.

.npy files are memory-mapped and never unpickled; .csv files are read line by line, so
a file larger than memory can be streamed.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from nncalc.activations import Array
from nncalc.errors import NNCalcError
from nncalc.parsing import number

_KINDS = {"U": "text", "S": "bytes", "O": "Python objects", "b": "booleans", "c": "complex numbers"}
SUFFIXES = (".npy", ".npz", ".csv")


def load(path: str | os.PathLike[str], key: str | None = None) -> Array:
    """A whole numeric array from .npy, .npz (with ``key``) or .csv."""
    suffix = Path(path).suffix.lower()
    if key is not None and suffix != ".npz":
        raise NNCalcError.at("'key' is only for .npz files", str(path))
    if suffix == ".npy":
        return checked(load_npy(path), str(path))
    if suffix == ".npz":
        return checked(load_npz(path, key), str(path))
    if suffix == ".csv":
        return np.concatenate(list(csv_chunks(path)))
    raise NNCalcError.at(
        f"unknown array format '{suffix or Path(path).name}'",
        str(path),
        hint="use " + ", ".join(SUFFIXES),
    )


def checked(data: Array, source: str, first_row: int = 0) -> Array:
    """data as float64, refusing NaN and infinity; ``first_row`` numbers the rows of a chunk."""
    X = np.asarray(data, dtype=np.float64)
    if not np.isfinite(X).all():
        where = np.argwhere(~np.isfinite(X))[0]
        at = f"row {first_row + where[0] + 1}" if X.ndim > 1 else f"entry {where[0] + 1}"
        raise NNCalcError.at(f"{at} holds NaN or infinity", source)
    return X


def load_npy(path: str | os.PathLike[str]) -> Array:
    """A numeric array from a .npy file, memory-mapped; Python objects are never unpickled."""
    source = str(path)
    with _FileErrors(source, ".npy"):
        _expect(path, b"\x93NUMPY", "not a .npy file (no NumPy header)", "numpy.save")
        data = np.load(path, mmap_mode="r", allow_pickle=False)
    return _numeric(data, source)


def load_npz(path: str | os.PathLike[str], key: str | None) -> Array:
    """The array ``key`` of a .npz file (the only one when there is one and no key)."""
    source = str(path)
    with _FileErrors(source, ".npz"):
        _expect(path, b"PK\x03\x04", "not a .npz file (not a zip archive)", "numpy.savez")
        archive = np.load(path, allow_pickle=False)
        names = list(archive.files)
        if key is None and len(names) == 1:
            key = names[0]
        if key not in names:
            ask = f"'{key}' is not in it" if key else "it holds several arrays"
            raise NNCalcError.at(
                f"{ask}; it has: {', '.join(names)}", source, hint="give key: NAME"
            )
        data = archive[key]
        archive.close()
    return _numeric(data, source)


def _expect(path: str | os.PathLike[str], magic: bytes, message: str, saver: str) -> None:
    """Refuse a file that does not start with its format's magic bytes."""
    with open(path, "rb") as f:
        if f.read(len(magic)) != magic:
            raise NNCalcError.at(message, str(path), hint=f"save it with {saver}")


class _FileErrors:
    """Turns what NumPy raises for a bad file into one clear NNCalcError."""

    def __init__(self, source: str, kind: str) -> None:
        self.source, self.kind = source, kind

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> None:
        if error is None or isinstance(error, NNCalcError):
            return
        source = self.source
        if isinstance(error, FileNotFoundError):
            raise NNCalcError.at("no such file", source) from None
        if isinstance(error, IsADirectoryError):
            raise NNCalcError.at("is a directory, not a file", source) from None
        if isinstance(error, PermissionError):
            raise NNCalcError.at("permission denied", source) from None
        text = str(error)
        if "pickle" in text or "Python objects" in text:
            raise NNCalcError.at(
                "holds Python objects, which nncalc never unpickles",
                source,
                hint="save a float array",
            ) from None
        if isinstance(error, ValueError | OSError | EOFError | KeyError):
            raise NNCalcError.at(f"damaged {self.kind} file: {text}", source) from None


def _numeric(data: Array, source: str) -> Array:
    if data.dtype.kind not in "iuf":
        what = _KINDS.get(data.dtype.kind, str(data.dtype))
        raise NNCalcError.at(f"holds {what}, expected numbers", source, hint="save a float array")
    return data


def csv_chunks(
    path: str | os.PathLike[str],
    width: int | None = None,
    rows: int = 65536,
    width_name: str | None = None,
) -> Iterator[Array]:
    """The rows of a CSV file as float64 arrays of at most ``rows`` rows, read as it goes.

    A first line that is not all numbers is a header. Every row must have ``width``
    columns (or, without it, as many as the first row); ``width_name`` is what errors
    call that width, such as 's_1 = 3'.
    """
    source = str(path)
    chunk: list[list[float]] = []
    seen = False
    for line, cells in _csv_lines(path):
        if not seen and line == 1 and not all(_is_float(c) for c in cells):
            continue  # the header row
        if width is None:
            width = len(cells)
        if len(cells) != width:
            hint = "one example per row, one column per input unit" if width_name else None
            raise NNCalcError.at(
                f"row has {len(cells)} column{'s' * (len(cells) != 1)}, "
                f"expected {width_name or width}",
                source,
                line,
                hint=hint or "every row needs the same number of columns",
            )
        chunk.append([number(c, f"column {k}", source, line) for k, c in enumerate(cells, 1)])
        seen = True
        if len(chunk) == rows:
            yield np.array(chunk, dtype=np.float64)
            chunk = []
    if chunk:
        yield np.array(chunk, dtype=np.float64)
    elif not seen:
        raise NNCalcError.at("no rows of numbers in the file", source)


def _csv_lines(path: str | os.PathLike[str]) -> Iterator[tuple[int, list[str]]]:
    """(line number, stripped cells) of each non-blank line."""
    source = str(path)
    line = 0
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            for line, cells in enumerate(csv.reader(f), start=1):
                stripped = [c.strip() for c in cells]
                if any(stripped):
                    yield line, stripped
    except FileNotFoundError:
        raise NNCalcError.at("no such file", source) from None
    except IsADirectoryError:
        raise NNCalcError.at("is a directory, not a file", source) from None
    except UnicodeDecodeError:
        raise NNCalcError.at("not UTF-8 text", source, line + 1, hint="save it as UTF-8") from None
    except csv.Error as e:
        raise NNCalcError.at(f"not a CSV file: {e}", source, line + 1) from None


def npy_chunks(path: str | os.PathLike[str], data: Array, rows: int = 65536) -> Iterator[Array]:
    """The rows of a 2-D .npy array (``data``, from load_npy) as float64 chunks.

    C-ordered files are read with plain reads, so memory stays bounded whatever the
    file's size (a memory map would keep every page it touched).
    """
    source = str(path)
    if not isinstance(data, np.memmap) or not data.flags.c_contiguous:
        for start in range(0, data.shape[0], rows):
            yield checked(data[start : start + rows], source, start)
        return
    width = data.shape[1]
    with open(path, "rb") as f:
        f.seek(data.offset)
        for start in range(0, data.shape[0], rows):
            count = min(rows, data.shape[0] - start) * width
            block = np.fromfile(f, dtype=data.dtype, count=count)
            if block.size != count:
                raise NNCalcError.at("damaged .npy file: it ends early", source)
            yield checked(block.reshape(-1, width), source, start)


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
