"""Numeric arrays from .npy, .npz and .csv files: whole, or in chunks of rows.

Every file is read through nncalc.files.reader. A whole array is bounded by
NNCALC_MAX_BYTES before anything is allocated: a .npy's data (shape × itemsize, from its
header), a .npz member's uncompressed size, a .csv file's bytes. The chunks of npy_chunks
and csv_chunks(bounded=False) stream files larger than memory. Nothing is unpickled.
"""

from __future__ import annotations

import csv
import math
import os
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from nncalc.activations import Array
from nncalc.errors import NNCalcError, first_line
from nncalc.files.reader import HINT, max_bytes, opened, size, too_big
from nncalc.parsing import is_float, number

_KINDS = {"U": "text", "S": "bytes", "b": "booleans", "c": "complex numbers", "V": "records"}
SUFFIXES = (".npy", ".npz", ".csv")
_NPY_MAGIC = b"\x93NUMPY"
_HEADERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


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


@dataclass(frozen=True)
class Npy:
    """A checked .npy header: what the data after it holds."""

    shape: tuple[int, ...]
    dtype: np.dtype
    fortran: bool

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def load_npy(path: str | os.PathLike[str]) -> Array:
    """A numeric array from a .npy file, of at most NNCALC_MAX_BYTES of data."""
    source = str(path)
    with opened(path) as f, _FileErrors(source, ".npy"):
        header = npy_header(f, source)
        return npy_data(f, header, source, size(f) - f.tell())


def load_npz(path: str | os.PathLike[str], key: str | None) -> Array:
    """The array ``key`` of a .npz file (the only one when there is one and no key); every
    member must be a .npy, and the one read expand to at most NNCALC_MAX_BYTES."""
    source = str(path)
    with opened(path) as f, _FileErrors(source, ".npz"):
        if f.read(4) != b"PK\x03\x04":
            raise NNCalcError.at(
                "not a .npz file (not a zip archive)", source, hint="save it with numpy.savez"
            )
        with zipfile.ZipFile(f) as archive:
            info = _member(archive.infolist(), key, source)
            if info.file_size > max_bytes():
                raise NNCalcError.at(
                    f"array '{info.filename[:-4][:60]}' expands to {info.file_size:,} bytes, "
                    f"over the limit of {max_bytes():,}",
                    source,
                    hint=HINT,
                )
            with archive.open(info) as member:
                header = npy_header(member, source)
                return npy_data(member, header, source, info.file_size - member.tell())


def _member(members: list[zipfile.ZipInfo], key: str | None, source: str) -> zipfile.ZipInfo:
    """The member of array ``key``, after checking that every member is a .npy array."""
    for info in members:
        if not info.filename.endswith(".npy"):
            raise NNCalcError.at(
                f"'{info.filename[:60]}' in the archive is not a .npy array",
                source,
                hint="save it with numpy.savez",
            )
    names = [info.filename[:-4] for info in members]
    if key is None and len(names) == 1:
        key = names[0]
    if key not in names:
        ask = f"'{key[:60]}' is not in it" if key else "it holds several arrays"
        listed = ", ".join(name[:60] for name in names[:10])
        more = f" and {len(names) - 10:,} more" if len(names) > 10 else ""
        raise NNCalcError.at(f"{ask}; it has: {listed}{more}", source, hint="give key: NAME")
    return members[names.index(key)]


def npy_header(f: BinaryIO, source: str) -> Npy:
    """The header of the .npy data in ``f``, read and checked, ``f`` left at the data."""
    if f.read(len(_NPY_MAGIC)) != _NPY_MAGIC:
        raise NNCalcError.at(
            "not a .npy file (no NumPy header)", source, hint="save it with numpy.save"
        )
    version = tuple(f.read(2))
    if version not in _HEADERS:
        raise ValueError(f"unknown version {'.'.join(map(str, version))}")
    with warnings.catch_warnings():  # a header written by Python 2
        warnings.simplefilter("ignore")
        shape, fortran, dtype = _HEADERS[version](f)
    if any(n < 0 for n in shape):
        raise ValueError("a negative size in its shape")
    if len(shape) > 32:
        raise ValueError(f"{len(shape):,} dimensions")
    if dtype.hasobject:
        raise NNCalcError.at(
            "holds Python objects, which nncalc never unpickles", source, hint="save a float array"
        )
    if dtype.kind not in "iuf":
        what = _KINDS.get(dtype.kind, str(dtype)[:60])
        raise NNCalcError.at(f"holds {what}, expected numbers", source, hint="save a float array")
    return Npy(tuple(shape), dtype, fortran)


def npy_data(f: BinaryIO, header: Npy, source: str, available: int) -> Array:
    """The array after ``header`` in ``f`` (which has ``available`` bytes left), refused
    before anything is allocated if it is over NNCALC_MAX_BYTES or longer than the file."""
    limit = max_bytes()
    if header.nbytes > limit:
        raise NNCalcError.at(
            f"array of shape {header.shape} is {header.nbytes:,} bytes, over the limit of "
            f"{limit:,}",
            source,
            hint=HINT,
        )
    if header.nbytes > available:
        raise EOFError("it ends early")
    values = _read(f, header.dtype, math.prod(header.shape))
    if header.fortran:
        return values.reshape(header.shape[::-1]).T
    return values.reshape(header.shape)


def _read(f: BinaryIO, dtype: np.dtype, count: int) -> Array:
    """``count`` values of ``dtype`` from ``f``; EOFError if it ends first."""
    buffer = np.empty(count * dtype.itemsize, np.uint8)
    view, got = memoryview(buffer), 0
    while got < len(view):
        n = f.readinto(view[got:])
        if not n:
            raise EOFError("it ends early")
        got += n
    return buffer.view(dtype)


class _FileErrors:
    """Turns what NumPy and zipfile raise for a bad file into one clear NNCalcError."""

    def __init__(self, source: str, kind: str) -> None:
        self.source, self.kind = source, kind

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, traceback) -> None:
        if isinstance(error, NNCalcError):
            return
        damaged = ValueError | EOFError | KeyError | RuntimeError | zipfile.BadZipFile | zlib.error
        if isinstance(error, damaged):  # RuntimeError: also encrypted and too deep
            text = first_line(error)
            text = text if len(text) <= 80 else text[:80] + "…"
            raise NNCalcError.at(f"damaged {self.kind} file: {text}", self.source) from None


def csv_chunks(
    path: str | os.PathLike[str],
    width: int | None = None,
    rows: int = 65536,
    width_name: str | None = None,
    bounded: bool = True,
) -> Iterator[Array]:
    """The rows of a CSV file as float64 arrays of at most ``rows`` rows, read as it goes.

    A first line that is not all numbers is a header. Every row must have ``width``
    columns (or, without it, as many as the first row); ``width_name`` is what errors
    call that width, such as 's_1 = 3'. The file is at most NNCALC_MAX_BYTES, or with
    ``bounded=False`` (streaming) any size, but no line longer than that.
    """
    source = str(path)
    chunk: list[list[float]] = []
    seen = False
    for line, cells in _csv_lines(path, bounded):
        if not seen and line == 1 and not all(is_float(c) for c in cells):
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


def _csv_lines(path: str | os.PathLike[str], bounded: bool) -> Iterator[tuple[int, list[str]]]:
    """(line number, stripped cells) of each non-blank line."""
    source = str(path)
    line = 0
    with opened(path) as f:
        length = size(f)
        if bounded and length > max_bytes():
            raise too_big(source, length, max_bytes())
        try:
            for line, cells in enumerate(csv.reader(_text_lines(f, source, bounded)), start=1):
                stripped = [c.strip() for c in cells]
                if any(stripped):
                    yield line, stripped
        except csv.Error as e:
            raise NNCalcError.at(f"not a CSV file: {e}", source, line + 1) from None


def _text_lines(f: BinaryIO, source: str, bounded: bool) -> Iterator[str]:
    """The lines of ``f`` as UTF-8 text, each (and, when ``bounded``, all of them) at most
    NNCALC_MAX_BYTES."""
    limit, total = max_bytes(), 0
    for n, raw in enumerate(iter(lambda: f.readline(limit + 1), b""), start=1):
        total += len(raw)
        if len(raw) > limit:
            raise NNCalcError.at(f"line is over the limit of {limit:,} bytes", source, n, hint=HINT)
        if bounded and total > limit:
            raise too_big(source, None, limit)
        try:
            yield raw.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError:
            raise NNCalcError.at("not UTF-8 text", source, n, hint="save it as UTF-8") from None


def npy_chunks(
    path: str | os.PathLike[str], rows: int = 65536
) -> tuple[tuple[int, ...], Iterator[Array]]:
    """The shape of a .npy array, and its rows as float64 chunks of at most ``rows`` rows
    (a 1-D array is one row), read as they go: any size of file, in bounded memory."""
    chunks = _npy_chunks(path, rows)
    return next(chunks), chunks


def _npy_chunks(path: str | os.PathLike[str], rows: int) -> Iterator[Any]:
    """The shape (first), then the chunks of npy_chunks, from the file opened once."""
    source = str(path)
    with opened(path) as f, _FileErrors(source, ".npy"):
        header = npy_header(f, source)
        available = size(f) - f.tell()
        if header.nbytes > available:
            raise EOFError("it ends early")
        yield header.shape
        if header.fortran and len(header.shape) > 1:  # rows are not contiguous: read whole
            data = npy_data(f, header, source, available)
            for start in range(0, data.shape[0], rows):
                yield checked(data[start : start + rows], source, start)
            return
        width = header.shape[-1] if header.shape else 1
        total = math.prod(header.shape) // width if width else 0
        for start in range(0, total, rows):
            block = _read(f, header.dtype, min(rows, total - start) * width)
            yield checked(block.reshape(-1, width), source, start)
