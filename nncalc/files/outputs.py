"""Output files, written atomically: a failed run never leaves a partial or clobbered file."""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from nncalc.errors import NNCalcError
from nncalc.network import Array

SUFFIXES = (".csv", ".npy")


def check_path(path: str | os.PathLike[str], suffixes: Sequence[str] = SUFFIXES) -> Path:
    """Fail early (before any work) on an output path that cannot be written."""
    p = Path(path)
    if p.suffix.lower() not in suffixes:
        raise NNCalcError.at(
            f"unknown output format '{p.suffix or p.name}'",
            str(path),
            hint="use " + ", ".join(suffixes),
        )
    folder = p.parent
    if not folder.is_dir():
        raise NNCalcError.at("the folder does not exist", str(path), hint=f"create {folder} first")
    if p.is_dir():
        raise NNCalcError.at("is a directory", str(path), hint="give a file name")
    return p


@contextlib.contextmanager
def atomic(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    p = check_path(path, (Path(path).suffix.lower(),))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    except OSError as e:
        raise NNCalcError.at(f"cannot write here: {e.strerror or e}", str(path)) from None
    try:
        text = (
            {} if "b" in mode else {"newline": "", "encoding": "utf-8", "errors": "surrogateescape"}
        )
        with os.fdopen(fd, mode, **text) as f:  # surrogateescape: argv's raw bytes go back out
            yield f
        os.replace(tmp, p)
    except OSError as e:
        _remove(tmp)
        raise NNCalcError.at(f"cannot write: {e.strerror or e}", str(path)) from None
    except BaseException:
        _remove(tmp)
        raise


def _remove(tmp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def write_matrix(
    path: str | os.PathLike[str], Y: Array | Sequence[Sequence[int]], header: Sequence[str]
) -> None:
    """Rows of Y to .csv (a header row, then full precision) or .npy (float64)."""
    with MatrixWriter(path, header) as writer:
        writer.write(Y)


class MatrixWriter:
    """Rows of a matrix written as they come, to .csv or .npy, atomically.

    The .npy header is written first with room for any row count and rewritten with the
    real one at the end, so nothing is held in memory.
    """

    _HEADER = 118  # bytes of the .npy header dict: 10 + 118 is a multiple of 64

    def __init__(self, path: str | os.PathLike[str], header: Sequence[str], dtype=np.float64):
        self.path = check_path(path)
        self.header, self.dtype = list(header), np.dtype(dtype)
        self.npy = self.path.suffix.lower() == ".npy"
        self.rows = 0

    def __enter__(self) -> MatrixWriter:
        self._context = atomic(self.path, "wb" if self.npy else "w")
        self.file = self._context.__enter__()
        if self.npy:
            self._npy_header()
        else:
            self.csv = csv.writer(self.file, lineterminator="\n")
            self.csv.writerow(self.header)
        return self

    def write(self, Y: Array) -> None:
        """Append rows."""
        if self.npy:
            np.ascontiguousarray(Y, dtype=self.dtype).tofile(self.file)
        else:
            self.csv.writerows([v if type(v) is int else repr(float(v)) for v in row] for row in Y)
        self.rows += len(Y)

    def __exit__(self, kind, error, traceback) -> None:
        if error is None and self.npy:
            self.file.seek(0)
            self._npy_header()
        self._context.__exit__(kind, error, traceback)

    def _npy_header(self) -> None:
        shape = (self.rows, len(self.header))
        fields = f"{{'descr': '{self.dtype.str}', 'fortran_order': False, 'shape': {shape}, }}"
        self.file.write(b"\x93NUMPY\x01\x00" + self._HEADER.to_bytes(2, "little"))
        self.file.write(fields.ljust(self._HEADER - 1).encode("latin1") + b"\n")
