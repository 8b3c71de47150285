"""Output files: the mode a plain open would give, and no temporary left by a signal."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time

import numpy as np
import pytest

import nncalc
from nncalc.files import outputs

from conftest import ROOT, SAMPLES

NEURON = SAMPLES / "slide-neuron.yaml"


@pytest.fixture(params=[0o022, 0o077, 0o002, 0o027], ids=oct)
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_new_files_get_the_umask_and_replaced_files_keep_their_mode(tmp_path, umask):
    """As open() and shell redirection do: 0666 less the umask, or the mode already there."""
    old = {"kept.csv": 0o644, "group.csv": 0o640, "odd.csv": 0o604}
    for name, m in old.items():
        (tmp_path / name).write_text("old\n")
        os.chmod(tmp_path / name, m)
    with outputs.atomic_files() as open_:
        for name in ["new.csv", *old]:
            open_(tmp_path / name).write("new\n")
    assert mode(tmp_path / "new.csv") == 0o666 & ~umask
    assert {name: mode(tmp_path / name) for name in old} == old
    with outputs.atomic(tmp_path / "one.npy", "wb") as f:
        f.write(b"1")
    assert mode(tmp_path / "one.npy") == 0o666 & ~umask


GRADING = SAMPLES / "grading"
WRITERS = {
    "forward.csv": ["forward", NEURON, "-o"],
    "forward.npy": ["forward", NEURON, "--json", "-o"],
    "onehot.npy": ["onehot", "1", "2", "--classes", "3", "-o"],
    "draw.svg": ["draw", NEURON, "-o"],
    "import.yaml": ["import", SAMPLES / "interop" / "iris-sklearn.onnx", "-o"],
    "export.onnx": ["export", NEURON, "-o"],
    "grade.csv": ["grade", GRADING / "sheet.yaml", GRADING / "answers-correct.yaml", "--csv"],
    "check.json": [
        "check",
        GRADING / "sheet.yaml",
        "-a",
        GRADING / "answers-partial.yaml",
        "--gradescope",
    ],
}


@pytest.mark.parametrize("name", WRITERS)
def test_every_writer_gives_the_same_modes(run, tmp_path, name):
    old = os.umask(0o027)
    try:
        out = tmp_path / name
        assert run(*WRITERS[name], out).code in (0, 1)
        assert mode(out) == 0o640
        os.chmod(out, 0o604)
        assert run(*WRITERS[name], out).code in (0, 1)
        assert mode(out) == 0o604
    finally:
        os.umask(old)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_removes_the_temporary_file(tmp_path, signum):
    """A long `forward -o` killed while it writes: no .tmp left, the old file kept, 128 + n."""
    rng = np.random.default_rng(0)
    np.save(tmp_path / "X.npy", rng.normal(size=(1_000_000, 1)))
    net = nncalc.Network.from_thetas(
        rng.normal(size=(64, 2)), rng.normal(size=(64, 65)), rng.normal(size=(1, 65))
    )
    nncalc.save(net, tmp_path / "net.yaml")
    out = tmp_path / "h.npy"
    out.write_text("old\n")
    before = sorted(p.name for p in tmp_path.iterdir())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    args = ["forward", tmp_path / "net.yaml", "-i", tmp_path / "X.npy", "-o", out]
    with subprocess.Popen([sys.executable, "-m", "nncalc", *args], env=env) as process:
        while not list(tmp_path.glob(".h.npy.*.tmp")) and process.poll() is None:
            time.sleep(0.005)
        process.send_signal(signum)
        assert process.wait(timeout=60) == 128 + signum
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert out.read_text() == "old\n"
