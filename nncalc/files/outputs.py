"""Output files, written atomically: a failed run never leaves a partial or clobbered file,
and no output replaces a file the run reads.

Every file nncalc reads is opened by nncalc.files.reader, which records it here
(read_from) while a run guards its inputs (inputs_guarded); an output that is the same
file (the same device and inode, whatever link or name leads to it) is refused when it
is checked, when it opens and again before it is renamed into place.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from nncalc.errors import NNCalcError
from nncalc.process import signals_held
from nncalc.render.escape import CsvWriter

if TYPE_CHECKING:
    from nncalc.network import Array

SUFFIXES = (".csv", ".npy")
STDOUT = "-"
"""The output path that means standard output (as CSV, for matrices)."""
TEMPORARY_NAME = 32
"""Most characters of an output's name that its temporary repeats (``.NAME.XXXXXXXX.tmp``):
a temporary must not be refused for a name the file system takes."""

_read: dict[tuple[int, int], str] | None = None
"""While inputs are guarded: each file read, by (device, inode), and the name it was read by."""
_stdout: tuple[int, int] | None = None
"""While inputs are guarded: the regular file standard output writes to, if it is one."""


@contextlib.contextmanager
def inputs_guarded() -> Iterator[None]:
    """For one run of the command line: every file read is recorded, and an output that is
    the same file as one of them is refused (the Python API, which may save a network
    over the file it loaded, runs unguarded)."""
    global _read, _stdout
    before = _read, _stdout
    _read, _stdout = {}, _identity(sys.stdout)
    try:
        yield
    finally:
        _read, _stdout = before


def _identity(stream) -> tuple[int, int] | None:
    """(device, inode) of the regular file a stream writes to, else None."""
    try:
        st = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):  # closed, or not a file (in tests)
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def read_from(st: os.stat_result, name: str) -> None:
    """Record that the run reads the file of ``st`` (its fstat), by ``name``; refuse it if
    standard output is being written to it (``nncalc … FILE >> FILE``)."""
    if _read is None:
        return
    key = (st.st_dev, st.st_ino)
    if key == _stdout:
        raise NNCalcError.at(
            "is also standard output, which would write over it as it is read",
            name,
            hint="redirect the output to another file",
        )
    _read.setdefault(key, name)


def not_an_input(p: Path, source: str) -> None:
    """Refuse an output path that is the same file as one the run reads."""
    if not _read:
        return
    try:
        st = os.stat(p)
    except OSError:
        return  # no file there (yet): nothing to replace
    name = _read.get((st.st_dev, st.st_ino))
    if name is not None:
        which = "also an input" if name == source else f"the same file as the input {name}"
        raise NNCalcError.at(
            f"the output is {which} of this command, which it would replace",
            source,
            hint="write the output to another file",
        )


def check_path(path: str | os.PathLike[str], suffixes: Sequence[str] = SUFFIXES) -> Path:
    """Fail early (before any work) on an output path that cannot be written, or that is
    a file the run reads."""
    p = Path(path)
    if p.suffix.lower() not in suffixes:
        raise NNCalcError.at(
            f"unknown output format '{p.suffix or p.name}'",
            str(path),
            hint="use " + ", ".join(suffixes),
        )
    folder = p.parent
    if not _is_dir(folder, str(path)):
        raise NNCalcError.at("the folder does not exist", str(path), hint=f"create {folder} first")
    if _is_dir(p, str(path)):
        raise NNCalcError.at("is a directory", str(path), hint="give a file name")
    not_an_input(p, str(path))
    return p


def _is_dir(p: Path, source: str) -> bool:
    """Whether p is a folder; a name the file system refuses is an error of its own."""
    try:
        return stat.S_ISDIR(os.stat(p).st_mode)
    except OSError as e:
        if e.errno == errno.ENAMETOOLONG:
            raise NNCalcError.at(
                "the name is too long for the file system", source, hint="give a shorter name"
            ) from None
        return False


@contextlib.contextmanager
def atomic(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO]:
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    with atomic_files() as open_:
        yield open_(path, mode)


@contextlib.contextmanager
def atomic_files() -> Iterator[Callable[..., IO]]:
    """``open_(path, mode)`` for several files, all written or none.

    Each file is a temporary beside its path until the end, when all are renamed over their
    paths; if a rename fails, the paths already renamed get their previous files back. On
    any error or signal (an exception), every temporary is removed.
    """
    files = _Files()
    try:
        yield files.open
        files.commit()
    except OSError as e:
        files.abort()
        raise NNCalcError.at(f"cannot write: {e.strerror or e}", str(files.path)) from None
    except BaseException:
        files.abort()
        raise


class _Files:
    """Temporaries beside their paths (``.NAME.XXXX.tmp``), renamed over them together."""

    def __init__(self) -> None:
        self.open_files: dict[Path, IO] = {}
        self.temps: dict[Path, str] = {}
        self.path: Path | None = None  # the file at work, for messages

    def open(self, path: str | os.PathLike[str], mode: str = "w") -> IO:
        import tempfile

        self.path = p = check_path(path, (Path(path).suffix.lower(),))
        try:
            with signals_held():  # a signal now would leave a temporary nobody knows of
                fd, self.temps[p] = tempfile.mkstemp(
                    prefix=f".{p.name[:TEMPORARY_NAME]}.", suffix=".tmp", dir=p.parent
                )
        except OSError as e:
            raise NNCalcError.at(f"cannot write here: {e.strerror or e}", str(path)) from None
        with contextlib.suppress(OSError):  # a filesystem without modes (FAT) keeps its own
            os.fchmod(fd, _mode(p))
        text = (
            {} if "b" in mode else {"newline": "", "encoding": "utf-8", "errors": "surrogateescape"}
        )  # surrogateescape: argv's raw bytes go back out
        self.open_files[p] = os.fdopen(fd, mode, **text)
        return self.open_files[p]

    def commit(self) -> None:
        """Close every file, then rename every temporary over its path, or none (none if
        one of the paths became a file the run reads)."""
        for p, f in self.open_files.items():
            self.path = p
            f.close()
        for p in self.temps:
            not_an_input(p, str(p))
        backups: dict[Path, str] = {}  # the previous files, under a second name until the end
        renamed: list[Path] = []
        try:
            for p in self.temps if len(self.temps) > 1 else ():  # one rename is all or none
                self.path = p
                if os.path.lexists(p):
                    backups[p] = _backup(p, self.temps[p])
            for p, tmp in self.temps.items():
                self.path = p
                os.replace(tmp, p)
                renamed.append(p)
        except BaseException:
            _roll_back(backups, renamed)
            raise
        for backup in backups.values():
            _remove(backup)

    def abort(self) -> None:
        for f in self.open_files.values():
            with contextlib.suppress(OSError):
                f.close()
        for tmp in self.temps.values():
            _remove(tmp)


def _roll_back(backups: dict[Path, str], renamed: list[Path]) -> None:
    """Every path as it was: its previous file back, or no file where there was none."""
    for p, backup in backups.items():
        try:
            os.replace(backup, p)
        except OSError:
            continue  # the backup stays on disk
        _remove(backup)  # a rename onto another link of the same file does nothing
    for p in renamed:
        if p not in backups:
            _remove(p)


def _mode(p: Path) -> int:
    """The permissions the file at p has, or a new file's: 0666 less the umask."""
    try:
        return stat.S_IMODE(os.stat(p).st_mode) & 0o777
    except OSError:
        umask = os.umask(0o077)  # the only way to read it; set back at once
        os.umask(umask)
        return 0o666 & ~umask


def _backup(p: Path, tmp: str) -> str:
    """A second name for the file at p, beside its temporary (a rename where links fail)."""
    backup = tmp.removesuffix(".tmp") + ".bak"
    try:
        os.link(p, backup, follow_symlinks=False)
    except OSError:
        os.replace(p, backup)
    return backup


def _remove(tmp: str | Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(tmp)


def write_matrix(
    path: str | os.PathLike[str], Y: Array | Sequence[Sequence[int]], header: Sequence[str]
) -> None:
    """Rows of Y to .csv (a header row, then full precision) or .npy (float64)."""
    with MatrixWriter(path, header) as writer:
        writer.write(Y)


class MatrixWriter:
    """Rows of a matrix written as they come, to .csv or .npy, atomically, or as CSV to
    standard output when the path is STDOUT.

    The .npy header is written first with room for any row count and rewritten with the
    real one at the end, so nothing is held in memory.
    """

    _HEADER = 118  # bytes of the .npy header dict: 10 + 118 is a multiple of 64

    def __init__(self, path: str | os.PathLike[str], header: Sequence[str], dtype="float64"):
        import numpy as np

        self.path = None if str(path) == STDOUT else check_path(path)
        self.header, self.dtype = list(header), np.dtype(dtype)
        self.npy = self.path is not None and self.path.suffix.lower() == ".npy"
        self.rows = 0

    def __enter__(self) -> MatrixWriter:
        import csv

        with contextlib.ExitStack() as stack:  # a failure before the end removes the file
            if self.path is None:
                self.file = sys.stdout
            else:
                self.file = stack.enter_context(atomic(self.path, "wb" if self.npy else "w"))
            if self.npy:
                self._npy_header()
            else:
                CsvWriter(self.file).writerow(self.header)
                self.csv = csv.writer(self.file, lineterminator="\n")  # numbers only
            self._atomic = stack.pop_all()
        return self

    def write(self, Y: Array) -> None:
        """Append rows."""
        if self.npy:
            import numpy as np

            np.ascontiguousarray(Y, dtype=self.dtype).tofile(self.file)
        else:
            self.csv.writerows([v if type(v) is int else repr(float(v)) for v in row] for row in Y)
        self.rows += len(Y)

    def __exit__(self, kind, error, traceback) -> None:
        if error is not None or not self.npy:
            self._atomic.__exit__(kind, error, traceback)
            return
        with self._atomic:  # the real row count, or no file if that fails
            self.file.seek(0)
            self._npy_header()

    def _npy_header(self) -> None:
        shape = (self.rows, len(self.header))
        fields = f"{{'descr': '{self.dtype.str}', 'fortran_order': False, 'shape': {shape}, }}"
        self.file.write(b"\x93NUMPY\x01\x00" + self._HEADER.to_bytes(2, "little"))
        self.file.write(fields.ljust(self._HEADER - 1).encode("latin1") + b"\n")
