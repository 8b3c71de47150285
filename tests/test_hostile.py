"""Hostile files in every place nncalc reads one, each command run as a stranger's file
would reach it: in a subprocess capped at 1 GiB of address space (RLIMIT_AS) and 30 s.

The kinds of file are those an attacker reaches for: a FIFO (which blocks a plain
open), a device (/dev/zero never ends), a directory, a symbolic link out of the folder,
a sparse file of 2 GiB, a .npy whose header lies about its shape, and a zip bomb. Each is
put in every place a command reads a file. Whatever it is, nncalc answers at once with
exit 2 and one line per problem (a grade run gives the file a row of its own and goes
on); it never hangs, never runs out of memory, and never shows a traceback.
"""

from __future__ import annotations

import csv
import io
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, SAMPLES

LIMIT_AS = 1 << 30
TIMEOUT = 30


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))


def nncalc(*args, cwd: Path) -> subprocess.CompletedProcess:
    """The command line in a fresh process under the memory cap; a hang fails the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNCALC_")}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run(
        [sys.executable, "-m", "nncalc", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=TIMEOUT,
        preexec_fn=_cap_memory,
        stdin=subprocess.DEVNULL,
    )


def _npy_header(shape: tuple[int, ...]) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue()


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _device(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _directory(path: Path) -> None:
    path.mkdir()


def _link_out(path: Path) -> None:
    outside = path.parent.parent / f"outside-{path.name}"
    outside.write_bytes((SAMPLES / "slide-neuron.yaml").read_bytes())
    path.symlink_to(outside)


def _sparse(path: Path) -> None:
    with open(path, "wb") as f:
        if path.suffix == ".npy":
            f.write(_npy_header((1 << 28,)))
        f.truncate(2 << 30)


def _lying_header(path: Path) -> None:
    path.write_bytes(_npy_header((1 << 20, 1 << 20)) + bytes(64))


def _zip_bomb(path: Path) -> None:
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z,
        z.open("W.npy", "w", force_zip64=True) as member,
    ):
        member.write(_npy_header((200 << 20,)))
        zeros = bytes(8 << 20)
        for _ in range(200):
            member.write(zeros)


KINDS = {
    "fifo": _fifo,
    "device": _device,
    "directory": _directory,
    "link-out": _link_out,
    "sparse": _sparse,
    "lying-header": _lying_header,
    "zip-bomb": _zip_bomb,
}

NETWORK = "layers: [{theta: [[-0.5, -2, 4, 1.5]]}]\n"
SHEET = (
    "title: t\nquestions:\n"
    "  - {id: q1, params: {sizes: [3, 5, 10], theta: 2}, answer: 60}\n"
    "  - {id: q2, z: {network: net.yaml, x: [66, 39, 12], layer: 2, unit: 1}, answer: 41.5}\n"
)

# Where a file goes: (the file's name, the command with {} standing for it, and whether
# the command reads a file given on the command line, where a link out is the user's own
# choice and so allowed).
PLACES = {
    "network": ("bad.yaml", ["forward", "{}"], True),
    "params": ("bad.yaml", ["params", "{}"], True),
    "onnx": ("bad.onnx", ["forward", "{}", "-x", "1,2,3"], True),
    "input-npy": ("bad.npy", ["forward", "net.yaml", "--input", "{}", "--json"], True),
    "input-csv": ("bad.csv", ["forward", "net.yaml", "--input", "{}"], True),
    "input-yaml": ("bad.yaml", ["forward", "net.yaml", "--input", "{}"], True),
    "file-ref": ("bad.npy", ["forward", "ref.yaml", "-x", "1,2,3"], False),
    "file-ref-npz": ("bad.npz", ["forward", "refz.yaml", "-x", "1,2,3"], False),
    "labels": ("bad.txt", ["onehot", "--classes", "3", "--labels", "{}"], True),
    "sheet": ("bad.yaml", ["check", "{}"], True),
    "answers": ("bad.yaml", ["check", "sheet.yaml", "--answers", "{}"], False),
    "state-dict": ("bad.pt", ["import", "{}", "-g", "relu"], True),
    "safetensors": ("bad.safetensors", ["import", "{}", "-g", "relu"], True),
}

# A file a command is given on its command line may be a link the user made; a link
# that a file names, or a student's submission that is a link, is refused.
ALLOWED = {("link-out", place) for place, (_, _, direct) in PLACES.items() if direct}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "net.yaml").write_text(NETWORK)
    (work / "ref.yaml").write_text("layers: [{theta: {file: bad.npy}}]\n")
    (work / "refz.yaml").write_text("layers: [{theta: {file: bad.npz, key: W}}]\n")
    (work / "sheet.yaml").write_text(SHEET)
    return work


def _applies(kind: str, name: str) -> bool:
    """Headers and archives are lies only in files of their own format."""
    if kind == "lying-header":
        return name.endswith(".npy")
    if kind == "zip-bomb":
        return name.endswith((".npz", ".pt"))
    return True


@pytest.mark.parametrize(
    ("kind", "place"),
    [(k, p) for k in KINDS for p, (name, _, _) in PLACES.items() if _applies(k, name)],
)
def test_a_hostile_file_is_refused_at_once_in_one_line(folder, kind, place):
    name, command, _ = PLACES[place]
    KINDS[kind](folder / name)
    r = nncalc(*(a.replace("{}", name) for a in command), cwd=folder)
    lines = r.stderr.splitlines()
    assert "Traceback" not in r.stderr and "Warning" not in r.stderr, r.stderr
    if (kind, place) in ALLOWED:
        assert r.returncode in (0, 2), r.stderr
        return
    assert r.returncode == 2, (r.returncode, r.stderr)
    errors = [line for line in lines if line.startswith("nncalc: error: ")]
    assert errors and all(line.startswith("nncalc: ") for line in lines), r.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_submission_gets_a_row_and_the_class_is_graded(folder, kind):
    """One bad file neither stops nor stalls a grade run, and its row says why."""
    good = folder / "alice" / "answers.yaml"
    good.parent.mkdir()
    good.write_text("q1: 60\nq2: 41.5\n")
    bad = folder / "mallory" / "answers.yaml"
    bad.parent.mkdir()
    KINDS[kind](bad)
    r = nncalc("grade", "sheet.yaml", bad, good, cwd=folder)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    rows = {row["submission"]: row for row in csv.DictReader(io.StringIO(r.stdout))}
    assert len(rows) == 2, r.stdout
    mallory, alice = rows[str(bad)], rows[str(good)]
    assert float(mallory["score"]) == 0 and mallory["error"], mallory
    assert "slide" not in r.stdout and "theta" not in r.stdout  # nothing of a linked file
    assert float(alice["score"]) == 2 and not alice["error"], alice
