"""The one way nncalc reads a file: opened once, without blocking, and only if it is a
regular file; never more than NNCALC_MAX_BYTES read whatever the file claims its size is.

Devices (/dev/zero), FIFOs, sockets and directories are refused before a byte is read, so
nothing hangs and nothing reads forever; /proc files, whose size is 0 until read, are read
no further than the limit.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from nncalc.errors import NNCalcError
from nncalc.files import outputs

MAX_BYTES = 64 * 1024 * 1024
"""The default limit, in bytes, on what a file holds or expands to (NNCALC_MAX_BYTES)."""

LARGEST = 1 << 40
"""The largest limit NNCALC_MAX_BYTES may set (1 TiB)."""

HINT = "raise NNCALC_MAX_BYTES"
STDIN = "<stdin>"
"""What messages call standard input, read where a command line says ``-``."""
_PIECE = 16 * 1024 * 1024
_FIRST = 64 * 1024
_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a device",
    stat.S_IFBLK: "a device",
}


class NotRegularFileError(OSError):
    """The path is a directory, device, FIFO or socket; strerror says which."""


def max_bytes() -> int:
    """The limit in force: NNCALC_MAX_BYTES (unset or empty: MAX_BYTES), checked."""
    text = os.environ.get("NNCALC_MAX_BYTES", "").strip()
    if not text:
        return MAX_BYTES
    short = text.isascii() and text.isdigit() and len(text) <= len(str(LARGEST))
    if short and 1 <= int(text) <= LARGEST:
        return int(text)
    shown = text if len(text) <= 20 else text[:20] + "…"
    raise NNCalcError.at(
        f"NNCALC_MAX_BYTES is '{shown}', not a number of bytes",
        hint=f"give a whole number from 1 to {LARGEST:,} (default {MAX_BYTES:,})",
    )


def too_big(source: str, size: int | None, limit: int, hint: str | None = None) -> NNCalcError:
    """The error for a file of ``size`` bytes (None: unknown) over ``limit``."""
    what = f"file is {size:,} bytes, over the limit of {limit:,}" if size else ""
    return NNCalcError.at(
        what or f"file is over the limit of {limit:,} bytes", source, hint=hint or HINT
    )


class Piped(str):
    """Standard input, read once: a name ('<stdin>') that opened() serves from ``data``."""

    data: bytes


def read_stdin() -> bytes:
    """Standard input's bytes, at most max_bytes() like a file's; refused when it is a
    terminal, where nothing was piped (rather than wait for typing)."""
    if sys.stdin is None or sys.stdin.isatty():
        raise NNCalcError.at(
            "nothing piped to standard input", STDIN, hint="pipe a file in: ... - < FILE"
        )
    limit = max_bytes()
    with contextlib.suppress(OSError, ValueError, AttributeError):  # not a file (in tests)
        st = os.fstat(sys.stdin.fileno())
        if stat.S_ISREG(st.st_mode):  # nncalc … -o FILE < FILE
            outputs.read_from(st, STDIN)
    try:
        data = read_at_most(sys.stdin.buffer, limit + 1)
    except (OSError, ValueError) as e:  # closed, or not readable (EBADF, EIO)
        raise NNCalcError.at(f"cannot read: {getattr(e, 'strerror', None) or e}", STDIN) from None
    if len(data) > limit:
        raise too_big(STDIN, None, limit)
    return data


def stdin() -> Piped:
    """Standard input, read (bounded) once, to hand to any reader of files."""
    piped = Piped(STDIN)
    piped.data = read_stdin()
    return piped


def size(f: BinaryIO) -> int:
    """The size in bytes of a file opened by opened() (standard input's: what was read)."""
    if isinstance(f, io.BytesIO):
        return len(f.getbuffer())
    return os.fstat(f.fileno()).st_size


def open_file(path: str | os.PathLike[str]) -> BinaryIO:
    """The file at ``path`` opened for reading, if it is a regular file; raises OSError
    (NotRegularFileError for a directory, device, FIFO or socket) otherwise."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        if e.errno == errno.ENXIO:  # a socket (or a device without a driver)
            raise _not_regular(os.stat(path).st_mode) from None
        raise
    except ValueError:  # a NUL in the name
        raise FileNotFoundError(errno.ENOENT, "no such file") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(st.st_mode)
        outputs.read_from(st, os.fsdecode(path))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def not_regular(mode: int) -> str:
    """What a file of this (st_)mode is, when it is not regular: 'not a regular file (a FIFO)'."""
    return f"not a regular file ({_KINDS.get(stat.S_IFMT(mode), 'a special file')})"


def _not_regular(mode: int) -> NotRegularFileError:
    return NotRegularFileError(errno.EINVAL, not_regular(mode))


@contextmanager
def opened(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """open_file as a context, with every way of opening or reading failing as NNCalcError."""
    source = str(path)
    if isinstance(path, Piped):
        yield io.BytesIO(path.data)
        return
    try:
        with open_file(path) as f:
            yield f
    except OSError as e:
        raise _error(e, source) from None


def _error(e: OSError, source: str) -> NNCalcError:
    if isinstance(e, FileNotFoundError):
        return NNCalcError.at("no such file", source)
    if isinstance(e, PermissionError):
        return NNCalcError.at("permission denied", source)
    if isinstance(e, NotRegularFileError):
        return NNCalcError.at(str(e.strerror), source)
    return NNCalcError.at(f"cannot read: {e.strerror or e}", source)


def read_at_most(f: BinaryIO, n: int, size: int = 0) -> bytes:
    """At most ``n`` bytes of ``f``, whose size is said to be ``size``: that much is read at
    once, then pieces that grow with what came (a read reserves all it asks for), so memory
    follows the bytes the file really has, whatever it claims."""
    pieces = []
    want = min(n, size + 1) if size > 0 else min(n, _FIRST)
    while n > 0:
        piece = f.read(want)
        if not piece:
            break
        pieces.append(piece)
        n -= len(piece)
        want = min(n, _PIECE, max(_FIRST, len(piece)))
    return b"".join(pieces)


def read_bytes(
    path: str | os.PathLike[str], limit: int | None = None, hint: str | None = None
) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (and never more than
    max_bytes()), with a clear error for every way reading can fail."""
    limit = max_bytes() if limit is None else min(limit, max_bytes())
    with opened(path) as f:
        length = size(f)
        if length > limit:
            raise too_big(str(path), length, limit, hint)
        data = read_at_most(f, limit + 1, length)
    if len(data) > limit:  # the file grew, or its size is not what it says (/proc)
        raise too_big(str(path), None, limit, hint)
    return data
