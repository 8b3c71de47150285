"""What a run of nncalc owes the process around it: signals, standard output's failures
(a full disk, a closed pipe, a closed stream), encodings that cannot show a character,
arguments no file name can hold, and exit codes.

Exit codes: 0 success, 1 a check or expectation failed, 2 bad usage or bad input,
70 an internal error (a bug: please report it), 128 + N ended by signal N (141: the
reader of a pipe went away, as with ``| head``).
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator

from nncalc.render.escape import terminal

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_SOFTWARE = 70
EXIT_BROKEN_PIPE = 128 + getattr(signal, "SIGPIPE", 13)

FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
"""Errors of writing to a full disk or device."""


def say(message: str) -> None:
    """One line on stderr, ``nncalc: message``, shown as the terminal shows text from
    outside (escape.terminal): a name that holds a newline cannot forge a line."""
    print(f"nncalc: {terminal(message)}", file=sys.stderr)


def error(message: str) -> None:
    """One line on stderr: ``nncalc: error: message``."""
    say(f"error: {message}")


def unusable(arg: str) -> str | None:
    """Why an argument (from Python, not a shell) cannot be used, or None."""
    if "\0" in arg:
        return "contains a NUL byte"
    try:
        os.fsencode(arg)
    except UnicodeEncodeError:
        return "is not valid text (a lone surrogate)"
    return None


class Signalled(BaseException):
    """SIGTERM or SIGHUP, raised where the program is, so every ``with`` unwinds (a
    temporary output file is removed) as it does for Ctrl-C's KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame) -> None:
    for s in _signals():  # a second signal ends the clean-up at once
        signal.signal(s, signal.SIG_DFL)
    raise Signalled(signum)


@contextlib.contextmanager
def signals_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP wait until the block ends, whichever thread the system
    hands them to, then act as they would have (in the main thread; elsewhere, as ever)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    held = {}
    for s in [signal.SIGINT, *_signals()]:
        handler = signal.getsignal(s)
        if handler not in (signal.SIG_IGN, None):  # None: not Python's to change
            held[s] = handler
            signal.signal(s, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for s, handler in held.items():
            signal.signal(s, handler)
        for s in caught:
            signal.raise_signal(s)


def _signals() -> list[int]:
    return [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]


@contextlib.contextmanager
def settings() -> Iterator[None]:
    """For one run: SIGTERM and SIGHUP as exceptions (unless ignored, as under nohup),
    Python's int-to-text limit raised for exact parameter counts of long sizes, and a
    COLUMNS that is no width replaced by one that is (see ``width``)."""
    from nncalc.params import COUNT_DIGITS

    digits = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(max(digits, COUNT_DIGITS) if digits else 0)
    columns = os.environ.get("COLUMNS")
    _set_columns(width(columns))
    mine = [s for s in _signals() if signal.getsignal(s) == signal.SIG_DFL]
    if threading.current_thread() is not threading.main_thread():
        mine = []  # only the main thread may set handlers
    for s in mine:
        signal.signal(s, _on_signal)
    try:
        yield
    finally:
        for s in mine:
            signal.signal(s, signal.SIG_DFL)
        sys.set_int_max_str_digits(digits)
        _set_columns(columns)


MAX_WIDTH = 1000
"""The widest console nncalc prints for: a larger COLUMNS is taken as this."""


def width(columns: str | None) -> str | None:
    """COLUMNS as every printer (Rich, Click) can use it: a width from 1 to MAX_WIDTH, or
    None (the terminal's width, else 80) for 0, a negative or anything not a number."""
    text = (columns or "").strip()
    if not (text.isascii() and text.isdigit()) or int(text) == 0:
        return None
    return str(min(int(text), MAX_WIDTH)) if len(text) <= len(str(MAX_WIDTH)) else str(MAX_WIDTH)


def _set_columns(columns: str | None) -> None:
    if columns is None:
        os.environ.pop("COLUMNS", None)
    else:
        os.environ["COLUMNS"] = columns


ESCAPE = "nncalc-escape"
"""The encoding error handler of standard output and error: undecodable bytes of
arguments go out as they came (surrogateescape); a character the encoding lacks is shown
as an escape, \\uXXXX (a pair of them past U+FFFF, as JSON writes it), never an error."""


def _escape(e: UnicodeError) -> tuple[str | bytes, int]:
    if not isinstance(e, UnicodeEncodeError):
        raise e
    code = ord(e.object[e.start])
    if 0xDC80 <= code <= 0xDCFF:
        return bytes([code - 0xDC00]), e.start + 1
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}", e.start + 1
    return f"\\u{code:04x}", e.start + 1


codecs.register_error(ESCAPE, _escape)


class StdoutError(OSError):
    """Standard output cannot take what is written: full, closed, or gone."""


class _Raw(io.RawIOBase):
    """A file descriptor written to the last byte: a short write is continued; a failure
    (or any write, when the stream was closed) raises StdoutError once, or is dropped
    (``quiet``, for messages); what comes after a failure is dropped."""

    def __init__(self, fd: int, quiet: bool, closed: bool) -> None:
        super().__init__()
        self.fd, self.quiet, self.was_closed, self.failed = fd, quiet, closed, False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self.fd

    def isatty(self) -> bool:
        return not (self.was_closed or self.failed) and os.isatty(self.fd)

    def write(self, b) -> int:
        view = memoryview(b).cast("B")
        try:
            if self.failed:
                return len(view)
            if self.was_closed:
                raise OSError(errno.EBADF, "it is closed")
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError as e:
            self.failed = True
            if not self.quiet:
                raise StdoutError(e.errno, e.strerror) from None
        return len(b)


@contextlib.contextmanager
def streams() -> Iterator[Callable[[], bool]]:
    """For one run: standard output written to the last byte, a closed one failing at the
    first write; messages on standard error dropped where they cannot be written (closed,
    full), which the function given says; both escaping what their encoding cannot show
    (ESCAPE). Streams that are not the process's own (in tests) only get the handler."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _stream(sys.stdout, 1, quiet=False), _stream(sys.stderr, 2, quiet=True)
    buffer = getattr(sys.stderr, "buffer", None)
    messages = getattr(buffer, "raw", buffer)  # under a BufferedWriter, or not (python -u)

    def lost() -> bool:
        """Whether a message could not be written to standard error."""
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        return isinstance(messages, _Raw) and messages.failed

    try:
        yield lost
    finally:
        for mine, theirs in zip((sys.stdout, sys.stderr), saved, strict=True):
            if mine is not theirs:
                with contextlib.suppress(OSError, ValueError):
                    mine.flush()
        sys.stdout, sys.stderr = saved


def _stream(stream, fd: int, quiet: bool):
    """What to write to instead of ``stream`` (sys.stdout on fd 1, or sys.stderr on 2)."""
    closed = stream is None or not _is_open(fd)  # closed by the shell: >&-, 2>&-
    if closed:
        _hold(fd)
    else:
        try:
            mine = stream.fileno() == fd
        except (AttributeError, OSError, ValueError):
            mine = False
        if not mine:  # not the process's own stream (in tests)
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors=ESCAPE)
            return stream
        stream.flush()
    raw = _Raw(fd, quiet, closed)
    unbuffered = not closed and stream.write_through  # python -u, PYTHONUNBUFFERED
    return io.TextIOWrapper(
        raw if unbuffered else io.BufferedWriter(raw),
        "utf-8" if closed else stream.encoding,
        ESCAPE,
        line_buffering=quiet or (not closed and stream.line_buffering),
        write_through=unbuffered,
    )


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _hold(fd: int) -> None:
    """/dev/null on a closed descriptor, so that no file opened later takes its number."""
    with contextlib.suppress(OSError):
        null = os.open(os.devnull, os.O_WRONLY)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)


def stdout_error() -> OSError | None:
    """Why stdout cannot take what is left to write, or None. Flushed here, not at exit,
    where a full disk would show a traceback."""
    try:
        sys.stdout.flush()
    except OSError as e:
        return e
    return None


def stdout_failed(e: OSError) -> int:
    """A closed pipe ends quietly (141); a full disk is one line (2). What is left
    unwritten goes to /dev/null at exit."""
    with contextlib.suppress(OSError, ValueError):  # in-process (tests), stdout has no fd
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if isinstance(e, BrokenPipeError) or e.errno == errno.EPIPE:
        return EXIT_BROKEN_PIPE
    error(f"cannot write to standard output: {e.strerror or e}")
    return EXIT_BAD_INPUT


def is_stdout_error(e: BaseException) -> bool:
    """Whether ``e`` is stdout failing: a closed pipe or a full disk (files nncalc writes
    go through nncalc.files.outputs, whose errors name the file)."""
    if isinstance(e, BrokenPipeError | StdoutError):
        return True
    return isinstance(e, OSError) and e.filename is None and e.errno in FULL


def finish(run, argv: list[str] | None) -> int:
    """``run(argv)``'s exit code, with stdout flushed and signals handled; 2 for a run
    that would exit 0 or 1 but could not write a message to standard error."""
    with settings(), streams() as lost:
        try:
            code = run(argv)
            broken = stdout_error()
            code = stdout_failed(broken) if broken else code
        except Signalled as e:
            return 128 + e.signum
        return EXIT_BAD_INPUT if code in (0, EXIT_CHECK_FAILED) and lost() else code
