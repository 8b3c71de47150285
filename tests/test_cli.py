"""The command line as a whole: entry points, help, usage errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES

NEURON = SAMPLES / "slide-neuron.yaml"


def test_no_arguments_shows_help_and_exits_2(run):
    r = run()
    assert r.code == 2
    assert "forward" in r.out
    assert r.err == ""


def test_unknown_command_suggests_the_right_one(run):
    r = run("forwrd", NEURON)
    assert r.code == 2
    assert r.err == (
        "nncalc: error: no such command 'forwrd'; did you mean 'forward'? See 'nncalc --help'\n"
    )


def test_missing_argument(run):
    r = run("forward")
    assert r.code == 2
    assert r.err == "nncalc: error: missing argument 'NETWORK'; see 'nncalc forward --help'\n"


def test_version_and_module_entry_point():
    from nncalc import __version__

    out = subprocess.run(
        [sys.executable, "-m", "nncalc", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"nncalc {__version__}"


def test_console_script_runs_the_slide():
    script = Path(sys.executable).parent / "nncalc"
    out = subprocess.run(
        [str(script), "forward", str(NEURON), "--json"], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout)["examples"][0]["layers"][1]["z"] == [41.5]


def test_nul_bytes_in_arguments(run):
    # no shell can pass one, but Python callers of main() can
    r = run("forward", "a\0b.yaml")
    assert r.code == 2
    assert (
        r.err
        == "nncalc: error: an argument contains a NUL byte, which no file name or value can hold\n"
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize(
    ("sizes", "unbuffered"),
    [
        (["3", "5", "10"], ""),  # fails at the last flush
        (["3", "5", "10"], "1"),  # fails in the command, at the first print
        (["3", "9" * 4000, "9" * 4000], ""),  # 30 KB: fails in the command, buffer full
    ],
)
def test_a_full_stdout_is_one_line_and_exit_2(sizes, unbuffered):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": unbuffered}
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "nncalc", "params", *sizes],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            check=False,
        )
    assert (done.returncode, done.stderr) == (
        2,
        "nncalc: error: cannot write to standard output: No space left on device\n",
    )
