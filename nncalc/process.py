"""What a run of nncalc owes the process around it: signals, standard output's failures
(a full disk, a closed pipe), arguments no file name can hold, and exit codes.

Exit codes: 0 success, 1 a check or expectation failed, 2 bad usage or bad input,
70 an internal error (a bug: please report it), 128 + N ended by signal N (141: the
reader of a pipe went away, as with ``| head``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
from collections.abc import Iterator

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


def _signals() -> list[int]:
    return [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]


@contextlib.contextmanager
def settings() -> Iterator[None]:
    """For one run: SIGTERM and SIGHUP as exceptions (unless ignored, as under nohup), and
    Python's int-to-text limit raised for exact parameter counts of long sizes."""
    from nncalc.params import COUNT_DIGITS

    digits = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(max(digits, COUNT_DIGITS) if digits else 0)
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
    if isinstance(e, BrokenPipeError):
        return True
    return isinstance(e, OSError) and e.filename is None and e.errno in FULL


def finish(run, argv: list[str] | None) -> int:
    """``run(argv)``'s exit code, with stdout flushed and signals handled."""
    with settings():
        try:
            code = run(argv)
            broken = stdout_error()
            return stdout_failed(broken) if broken else code
        except Signalled as e:
            return 128 + e.signum
