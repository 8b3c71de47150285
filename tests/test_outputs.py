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


LONG_NAMED = {  # every command with -o, and the suffix of its output
    "forward": (["forward", NEURON, "-x", "1,2,3"], ".csv"),
    "onehot": (["onehot", "2", "-k", "3"], ".npy"),
    "draw": (["draw", NEURON], ".svg"),
    "page": (["page", NEURON], ".html"),
    "import": (["import", SAMPLES / "interop" / "iris-sklearn.onnx"], ".yaml"),
    "export": (["export", NEURON], ".onnx"),
    "check": (["check", GRADING / "sheet.yaml"], ".json"),
    "grade": (["grade", GRADING / "sheet.yaml", GRADING / "answers-correct.yaml"], ".csv"),
}


@pytest.mark.parametrize("command", LONG_NAMED)
def test_a_name_the_file_system_takes_is_written_and_one_it_refuses_is_exit_2(
    run, tmp_path, command
):
    """A 250-byte name is written (its temporary is short); a 300-byte one is one line."""
    args, suffix = LONG_NAMED[command]
    limit = os.pathconf(tmp_path, "PC_NAME_MAX")
    fits = tmp_path / ("é" * ((limit - len(suffix)) // 2) + suffix)  # 2 bytes a character
    assert len(os.fsencode(fits.name)) > 240
    r = run(*args, "-o", fits)
    assert r.code in (0, 1), r.err
    assert [p.name for p in tmp_path.iterdir()] == [fits.name]
    too_long = "the name is too long for the file system; give a shorter name"
    for name in (tmp_path / ("x" * limit + suffix), tmp_path / ("x" * limit + "x") / f"y{suffix}"):
        r = run(*args, "-o", name)
        assert (r.code, r.err) == (2, f"nncalc: error: {name}: {too_long}\n")
    assert [p.name for p in tmp_path.iterdir()] == [fits.name]
