"""Failure paths: internal errors, --debug, size limits, interrupted and failed writes."""

from __future__ import annotations

import os

import pytest

from nncalc import cli
from nncalc.files import outputs

from conftest import SAMPLES

NEURON = SAMPLES / "slide-neuron.yaml"


def _boom(*args, **kwargs):
    raise RuntimeError("kaboom")


def test_internal_error_is_one_line_and_exit_70(run, monkeypatch):
    monkeypatch.setattr("nncalc.params.count", _boom)
    r = run("params", "3", "5")
    assert r.code == cli.EXIT_SOFTWARE == 70
    assert r.err.startswith("nncalc: error: internal error (RuntimeError: kaboom)")
    assert "--debug" in r.err
    assert "Traceback" not in r.err


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_shows_the_traceback(run, monkeypatch, how):
    monkeypatch.setattr("nncalc.params.count", _boom)
    args = ["params", "3", "5"]
    if how == "flag":
        args.insert(0, "--debug")
    else:
        monkeypatch.setenv("NNCALC_DEBUG", "1")
    with pytest.raises(RuntimeError, match="kaboom"):
        run(*args)


def test_size_limit_is_adjustable(run, monkeypatch, write):
    net = write("net.yaml", NEURON.read_text(encoding="utf-8"))
    size = net.stat().st_size
    monkeypatch.setenv("NNCALC_MAX_BYTES", str(size - 1))
    r = run("forward", net)
    assert r.code == 2
    assert f"file is {size:,} bytes, over the limit of {size - 1:,}" in r.err
    assert "NNCALC_MAX_BYTES" in r.err
    monkeypatch.setenv("NNCALC_MAX_BYTES", str(size))
    assert run("forward", net).code == 0


def test_a_failed_rename_leaves_the_old_file_and_no_temporary(run, monkeypatch, write):
    out = write("h.csv", "precious\n")
    monkeypatch.setattr(os, "replace", lambda *a: (_ for _ in ()).throw(OSError(28, "No space")))
    r = run("forward", NEURON, "-o", out)
    assert r.code == 2
    assert "cannot write: No space" in r.err
    assert out.read_text() == "precious\n"
    assert [p.name for p in out.parent.iterdir()] == ["h.csv"]


def test_an_interrupted_write_leaves_the_old_file(run, monkeypatch, write):
    out = write("h.npy", "precious\n")
    monkeypatch.setattr(
        outputs.MatrixWriter, "write", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt)
    )
    r = run("forward", NEURON, "-o", out)
    assert r.code == 130
    assert out.read_text() == "precious\n"
    assert [p.name for p in out.parent.iterdir()] == ["h.npy"]


def test_atomic_writes_only_on_success(tmp_path):
    target = tmp_path / "y.csv"
    target.write_text("old\n")

    def fail_half_way():
        with outputs.atomic(target) as f:
            f.write("new, partial")
            raise ValueError("half way")

    with pytest.raises(ValueError, match="half way"):
        fail_half_way()
    assert target.read_text() == "old\n"
    with outputs.atomic(target) as f:
        f.write("new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["y.csv"]


def test_json_is_strict_at_the_extremes(run):
    # z = ±(0.5 + 2·1e300): σ saturates to exactly 0 and 1, never NaN or Infinity
    for x in ("-1e300,0,0", "1e300,0,0"):
        r = run("forward", NEURON, "-x", x, "--json")
        assert r.code == 0
        assert "NaN" not in r.out
        assert "Infinity" not in r.out
