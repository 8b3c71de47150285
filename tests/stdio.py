"""Run nncalc's command line many times in one process, each time with its standard output
and error set up as a shell would leave them: redirected to a file (a full one, or one
that fills part way), closed (``>&-``, ``2>&-``), or in an encoding that lacks most of
Unicode. For tests/test_streams.py, which starts this once for all its cases:

    python tests/stdio.py CASES.json RESULTS.json

Each case (a JSON object) gives ``args``; ``stdout`` and ``stderr``, the files they go to
(None: closed); ``room``, how many bytes stdout may take past what its file holds (None:
no limit); ``encoding`` of both streams; ``unbuffered``, as with python -u. The result of
each: ``code`` (the exit code, 120 if standard output could not be flushed at the end, as
Python exits then), and what reached each file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import signal
import sys
from pathlib import Path

LIMIT = 1 << 20
"""RLIMIT_FSIZE while a case with ``room`` runs: stdout's file holds LIMIT − room bytes
first, so a write past ``room`` more fails (EFBIG) while small files stay writable."""


def run_case(case: dict, main) -> dict:
    saved = os.dup(1), os.dup(2)
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    try:
        _streams(case)
        if case["room"] is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, limits[1]))
        code = main(case["args"])
        try:  # as Python does at exit: a failure here is exit code 120
            if sys.stdout is not None:
                sys.stdout.flush()
        except OSError:
            code = 120
    except BaseException as e:  # reported, for the test to show
        code = f"raised {type(e).__name__}: {e}"
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                with contextlib.suppress(OSError, ValueError):
                    stream.close()
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)
    return {"code": code, **{name: _read(case[name]) for name in ("stdout", "stderr")}}


def _streams(case: dict) -> None:
    """sys.stdout and sys.stderr as Python makes them at start-up for these descriptors
    (None for a closed one), in the case's encoding (PYTHONIOENCODING)."""
    out = _redirect(case["stdout"], 1, case["room"])
    err = _redirect(case["stderr"], 2, None)
    encoding = case["encoding"]
    if out and case["unbuffered"]:  # python -u, PYTHONUNBUFFERED: no buffer under the text
        raw = io.FileIO(1, "w", closefd=False)
        sys.stdout = io.TextIOWrapper(raw, encoding, write_through=True)
    else:
        sys.stdout = open(1, "w", encoding=encoding, closefd=False) if out else None  # noqa: SIM115
    sys.stderr = open(2, "w", 1, encoding, "backslashreplace", closefd=False) if err else None  # noqa: SIM115


def _redirect(path: str | None, fd: int, room: int | None) -> bool:
    """fd onto the file at path (appended to, after LIMIT − room bytes), or closed."""
    if path is None:
        os.close(fd)
        return False
    if room is not None:
        with open(path, "wb") as f:
            f.truncate(LIMIT - room)
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if room is not None else os.O_TRUNC)
    target = os.open(path, flags)
    os.dup2(target, fd)
    os.close(target)
    return True


def _read(path: str | None) -> str | None:
    """What a case wrote to the file at path, as Latin-1 text (every byte kept)."""
    if path is None or not Path(path).is_file():
        return None
    data = Path(path).read_bytes().lstrip(b"\0")  # the bytes before the room
    return data.decode("latin-1")


def main() -> None:
    from nncalc.cli import main as nncalc

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past RLIMIT_FSIZE fails (EFBIG)
    cases = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    results = {name: run_case(case, nncalc) for name, case in cases.items()}
    Path(sys.argv[2]).write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main()
