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
        with os.fdopen(fd, mode, **({"newline": ""} if "b" not in mode else {})) as f:
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
    p = check_path(path)
    if p.suffix.lower() == ".npy":
        with atomic(p, "wb") as f:
            np.save(f, np.asarray(Y, dtype=np.float64))
        return
    with atomic(p, "w") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([v if isinstance(v, int) else repr(float(v)) for v in row] for row in Y)
