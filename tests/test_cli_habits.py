"""The habits every CLI user has: -h, --debug anywhere, - for stdin and stdout, a quiet
broken pipe, shell completion, examples in --help, usage errors on one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLES

NEURON = SAMPLES / "slide-neuron.yaml"
COMMANDS = ["forward", "collapse", "draw", "import", "export", "params", "onehot", "quiz"]
COMMANDS += ["check", "grade"]


def _nncalc(*args: str, stdin=None, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    return subprocess.run(
        [sys.executable, "-m", "nncalc", *map(str, args)],
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
        **kw,
    )


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_h_is_help(run, command):
    short, long = run(*command, "-h"), run(*command, "--help")
    assert (short.code, short.err) == (0, "")
    assert short.out == long.out
    assert "Usage: nncalc" in short.out


@pytest.mark.parametrize("where", [0, 1, 3])
def test_debug_works_anywhere_before_double_dash(run, monkeypatch, where):
    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("nncalc.params.count", boom)
    args = ["params", "3", "5"]
    args.insert(where, "--debug")
    with pytest.raises(RuntimeError, match="kaboom"):
        run(*args)


def test_debug_after_double_dash_is_an_argument(run):
    r = run("onehot", "-k", "3", "--", "--debug")
    assert r.code == 2
    assert "label '--debug'" in r.err


def test_usage_errors_are_one_sentence(run):
    r = run("froward", NEURON)
    assert r.err == (
        "nncalc: error: no such command 'froward'; did you mean 'forward'? See 'nncalc --help'\n"
    )
    r = run("forward", NEURON, "--precision", "30")
    assert r.err.startswith("nncalc: error: invalid value for '--precision'")
    assert r.err.endswith("; see 'nncalc forward --help'\n")
    assert r.err.count("\n") == 1


def test_a_closed_pipe_ends_quietly_with_141():
    # a real pipe whose reader goes away at once, as `nncalc forward … | head -3` does
    xs = [a for k in range(2000) for a in ("-x", f"{k},2,3")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for extra in ([], ["--json"]):
        head = subprocess.Popen(["head", "-3"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        done = subprocess.run(
            [sys.executable, "-m", "nncalc", "forward", str(NEURON), *xs, *extra],
            stdout=head.stdin,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        head.stdin.close()
        head.wait()
        assert (extra, done.returncode, done.stderr) == (extra, 128 + signal.SIGPIPE, b"")


def test_shell_completion_is_offered():
    done = _nncalc("--show-completion", "bash")
    if done.returncode != 0 and b"shell" in done.stderr.lower():
        pytest.skip(f"no shell detected: {done.stderr.decode()}")
    assert done.returncode == 0
    assert b"_NNCALC_COMPLETE" in done.stdout
    assert b"--install-completion" in _nncalc("--help").stdout
