"""Small networks in plain Python (nncalc.small, nncalc.quick): exactly rounded, and the
same bits whether or not NumPy is loaded."""

from __future__ import annotations

from fractions import Fraction
from itertools import pairwise

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nncalc import load, quick, small
from nncalc.errors import NNCalcError
from nncalc.network import Layer, Network

from conftest import SAMPLES

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def networks(draw):
    """A small network of the activations small takes, as YAML, with its examples."""
    sizes = draw(st.lists(st.integers(1, 4), min_size=2, max_size=4))
    layers = []
    for a, b in pairwise(sizes):
        theta = draw(st.lists(st.lists(finite, min_size=a + 1, max_size=a + 1), min_size=b))
        layers.append({"theta": theta[:b], "activation": draw(st.sampled_from(sorted(small.G)))})
    X = draw(st.lists(st.lists(finite, min_size=sizes[0], max_size=sizes[0]), min_size=1))
    return layers, X[:3]


def yaml_of(layers, X) -> str:
    rows = [f"  - activation: {g['activation']}\n    theta: {g['theta']!r}\n" for g in layers]
    return "layers:\n" + "".join(rows) + f"inputs: {X!r}\n"


@settings(max_examples=40, deadline=None)
@given(spec=networks())
def test_every_z_is_exactly_rounded(spec):
    layers, X = spec
    net = Network(tuple(Layer(np.array(g["theta"]), g["activation"]) for g in layers))
    try:
        trace = net.forward(X)
    except NNCalcError:
        return  # overflow: refused, as it must be
    for j, layer in enumerate(net.layers, start=2):
        for a, z in zip(trace.a[j - 1].tolist(), trace.z[j].tolist(), strict=True):
            for row, zi in zip(layer.theta.tolist(), z, strict=True):
                exact = Fraction(row[0]) + sum(
                    Fraction(w) * Fraction(v) for w, v in zip(row[1:], a, strict=True)
                )
                assert zi == float(exact)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)  # each example overwrites the file, and run reads its own output
@given(spec=networks())
def test_tables_without_numpy_are_the_tables_with_it(spec, run, tmp_path, monkeypatch):
    path = tmp_path / "net.yaml"
    path.write_text(yaml_of(*spec), encoding="utf-8")
    quick.read(str(path))  # plain: the quick path takes it
    quick_run = run("forward", path, "-p", "17")
    with monkeypatch.context() as m:
        m.setattr(quick, "forward_tables", lambda *_: False)
        full_run = run("forward", path, "-p", "17")
    assert (quick_run.code, quick_run.out, quick_run.err) == (
        full_run.code,
        full_run.out,
        full_run.err,
    )


def test_exact_where_the_split_cannot_be_used():
    """Products near float64's ends are summed as rationals; overflow is refused."""
    assert small.forward([[[0.0, 1e300, -1e300]]], ["identity"], [[1e10, 1e10]]) == (
        [[[0.0]]],
        [[[0.0]]],
    )
    assert small.forward([[[1e-200, 1e-200]]], ["identity"], [[1e-200]])[0] == [[[1e-200]]]
    with pytest.raises(NNCalcError, match="layer 2: values overflow float64"):
        small.forward([[[0.0, 1e300, 1e300]]], ["identity"], [[1e10, 1e10]])


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_quick_reader_reads_what_netfile_reads(path):
    try:
        mine = quick.read(str(path))
    except quick._NotPlainError:
        return
    net = load(path)
    assert [layer.theta for layer in mine.layers] == [layer.theta.tolist() for layer in net.layers]
    assert [layer.activation for layer in mine.layers] == net.activations
    assert (mine.name, mine.classes) == (net.name, net.classes)
    assert (mine.inputs, mine.input_names) == (net.inputs.tolist(), list(net.input_names))


@pytest.mark.parametrize(
    "text",
    [
        "layers: [{theta: [[0, 1]], gate: [[0, 1]]}]\ninputs: [[1]]",  # SwiGLU
        "layers: [{weights: [[1]], bias: [0]}]\ninputs: [[1]]",
        "layers: [{theta: [[0, 1]]}]\ninputs: [[true]]",
        "layers: [{theta: [[0, 1e999]]}]\ninputs: [[1]]",
        "layers: [{theta: [[0, 1]], activation: gelu}]\ninputs: [[1]]",
        "layers: [{theta: [[0, 1], [0, 1, 2]]}]\ninputs: [[1]]",
        "layers: [{theta: [[0, 1]]}, {theta: [[0, 1, 2]]}]\ninputs: [[1]]",
        "layers: [{theta: [[0, 1]]}]\nclasses: [a, b]\ninputs: [[1]]",
        "layers: [{theta: [[0, 1]]}]\ninputs: [[1, 2]]",
        "layers: [{theta: [[0, 1, 2]]}]\ninputs: [1, 2]",
        "layers: [{theta: [[0, 1]]}]\nname: {a: 1}\ninputs: [[1]]",
        "layers: [{theta: [[0, 1]]}]\nlabels: [a]\ninputs: [[1]]",
        "layers: [{theta: [[0, 1]]}]",
    ],
)
def test_anything_else_takes_the_full_path(text, write, run):
    path = write("net.yaml", text)
    assert not quick.forward_tables(str(path), (), 6)


def test_small_s_symbols_and_names_are_nncalc_s():
    """small holds the names and symbols the NumPy-free tables print: they must be
    nncalc.activations' (its labels with the default parameters), aliases included."""
    from nncalc import activations

    for name, symbol in small.SYMBOLS.items():
        assert activations.get(name).label == symbol
    for alias, name in small.ALIASES.items():
        assert activations.get(alias).name == name == small.canonical(alias)
