"""Networks written as network files read back bit for bit (nncalc.save, nncalc import)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import nncalc
from nncalc.files import netsave
from nncalc.network import Layer, Network

from conftest import SAMPLES

FLOATS = st.floats(allow_nan=False, allow_infinity=False)  # subnormals, ±0, ±1.8e308
TEXT = st.text(min_size=1, max_size=20).filter(lambda t: t.strip() == t and "\0" not in t)


@st.composite
def networks(draw):
    s1, s2, s3 = (draw(st.integers(1, 4)) for _ in range(3))
    theta1 = draw(arrays(np.float64, (s2, s1 + 1), elements=FLOATS))
    theta2 = draw(arrays(np.float64, (s3, s2 + 1), elements=FLOATS))
    gate = draw(st.none() | arrays(np.float64, (s2, s1 + 1), elements=FLOATS))
    beta = draw(st.none() | FLOATS) if gate is not None else None
    first = Layer(theta1, gate=gate, beta=beta) if gate is not None else Layer(theta1, "tanh")
    classes = draw(st.none() | st.lists(TEXT, min_size=s3, max_size=s3, unique=True))
    name = draw(st.none() | TEXT)
    return Network(
        (first, Layer(theta2, "softmax")), name, None if classes is None else tuple(classes)
    )


def assert_identical(net, back):
    assert back.name == net.name and back.classes == net.classes
    for mine, theirs in zip(net.layers, back.layers, strict=True):
        assert mine.theta.tobytes() == theirs.theta.tobytes()  # bit for bit, −0.0 included
        assert mine.activation == theirs.activation and mine.beta == theirs.beta
        assert (mine.gate is None) == (theirs.gate is None)
        if mine.gate is not None:
            assert mine.gate.tobytes() == theirs.gate.tobytes()


@settings(max_examples=200, deadline=None)
@given(net=networks())
def test_any_network_reads_back_bit_for_bit(net):
    assert_identical(net, nncalc.loads(netsave.dumps(net)))


@pytest.mark.parametrize("sample", sorted(p.name for p in SAMPLES.glob("*.yaml")))
def test_samples_read_back_bit_for_bit(sample, tmp_path):
    net = nncalc.load(SAMPLES / sample)
    written = nncalc.save(net, tmp_path / "net.yaml")
    assert written == [tmp_path / "net.yaml"]
    assert_identical(net, nncalc.load(tmp_path / "net.yaml"))


def test_large_matrices_go_to_npy_files_beside_the_yaml(tmp_path):
    rng = np.random.default_rng(0)
    big = Layer(rng.normal(size=(20, 20)), gate=rng.normal(size=(20, 20)))  # 420 numbers each
    net = Network((big, Layer(rng.normal(size=(2, 21)), "sigmoid")))
    written = nncalc.save(net, tmp_path / "net.yaml")
    assert [p.name for p in written] == ["net.yaml", "net.theta1.npy", "net.gate1.npy"]
    text = (tmp_path / "net.yaml").read_text()
    assert 'theta: {file: "net.theta1.npy"}' in text and 'gate: {file: "net.gate1.npy"}' in text
    assert_identical(net, nncalc.load(tmp_path / "net.yaml"))
    assert nncalc.save(net, tmp_path / "inline.yaml", inline=True) == [tmp_path / "inline.yaml"]
    assert_identical(net, nncalc.load(tmp_path / "inline.yaml"))


def test_a_failed_save_writes_nothing(tmp_path, monkeypatch):
    """All the files or none: a failure while writing the second leaves no first."""
    rng = np.random.default_rng(1)
    net = Network((Layer(rng.normal(size=(20, 20)), "relu"), Layer(rng.normal(size=(20, 21)))))
    (tmp_path / "net.yaml").write_text("old\n")
    calls = []

    def failing_save(f, M, allow_pickle):
        calls.append(M.shape)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        np.lib.format.write_array(f, M, allow_pickle=allow_pickle)

    monkeypatch.setattr(netsave.np, "save", failing_save)
    with pytest.raises(nncalc.NNCalcError, match="No space left on device"):
        nncalc.save(net, tmp_path / "net.yaml")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.yaml"]
    assert (tmp_path / "net.yaml").read_text() == "old\n"


@pytest.mark.parametrize("failing", [2, 3])
@pytest.mark.parametrize("links", [True, False])  # False: a filesystem without hard links
def test_a_failed_rename_puts_every_file_back(tmp_path, monkeypatch, failing, links):
    """All or none when the files are being renamed into place: the ones already renamed
    get their old bytes back (or go, if new), and no temporary or backup is left."""
    rng = np.random.default_rng(2)
    big = Layer(rng.normal(size=(20, 20)), gate=rng.normal(size=(20, 20)))
    net = Network((big, Layer(rng.normal(size=(2, 21)), "sigmoid")))
    old = {"net.yaml": b"old yaml\n", "net.gate1.npy": b"old gate\n"}  # net.theta1.npy is new
    for name, data in old.items():
        (tmp_path / name).write_bytes(data)
    renames = []
    replace = os.replace

    def failing_replace(src, dst):
        if str(src).endswith(".tmp"):
            renames.append(dst)
            if len(renames) == failing:
                raise OSError(1, "Operation not permitted")
        replace(src, dst)

    monkeypatch.setattr(os, "replace", failing_replace)
    if not links:
        monkeypatch.setattr(os, "link", lambda *a, **k: (_ for _ in ()).throw(OSError(1, "no")))
    with pytest.raises(nncalc.NNCalcError, match="Operation not permitted"):
        nncalc.save(net, tmp_path / "net.yaml")
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == old


def test_a_name_that_is_not_utf8_is_refused(run, tmp_path):
    nncalc.save_onnx(nncalc.load(SAMPLES / "slide-neuron.yaml"), tmp_path / "n.onnx")
    name = "bad\udcffname"  # a byte 0xff from argv, kept as a lone surrogate
    result = run("import", tmp_path / "n.onnx", "--name", name, "-o", tmp_path / "n.yaml")
    assert result.code == 2
    assert "'bad\\udcffname' is not UTF-8 text" in result.err
    assert not (tmp_path / "n.yaml").exists()


def test_a_model_s_file_name_in_the_header_comment_keeps_the_yaml_readable(run, tmp_path):
    """The header names the model's file; whatever that name holds (a newline, a control
    YAML refuses), the comment stays a comment and the file reads back."""
    model = tmp_path / "m\x1b[2J\nname: evil\u2028\x85.onnx"
    nncalc.save_onnx(nncalc.load(SAMPLES / "slide-neuron.yaml"), model)
    r = run("import", model, "-o", tmp_path / "n.yaml")
    assert r.code == 0, r.err
    text = (tmp_path / "n.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Imported by nncalc") and "\\x1b[2J\\nname: evil\\u2028\\u0085" in text
    back = nncalc.load(tmp_path / "n.yaml")
    assert back.name == nncalc.load(SAMPLES / "slide-neuron.yaml").name
