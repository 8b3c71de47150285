"""Large batches: the streaming -o path agrees with forward propagation, in bounded chunks."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from nncalc import activations, batch, load
from nncalc.errors import NNCalcError
from nncalc.network import Network

from conftest import SAMPLES


@pytest.mark.parametrize("name", sorted(activations.ACTIVATIONS))
def test_in_place_activations_equal_the_plain_ones(name):
    g = activations.ACTIVATIONS[name]
    z = np.random.default_rng(1).normal(0, 30, (7, 5))
    z[0, :3] = [-1000.0, 1000.0, -745.0]
    expected = g(z)
    again = z.copy()
    assert g(again, out=again) is again
    assert np.array_equal(again, expected)


def _random_network(seed: int) -> Network:
    rng = np.random.default_rng(seed)
    sizes = [6, 9, 9, 4]
    names = ["relu", "tanh", "softmax"]
    thetas = [rng.normal(0, 1, (b, a + 1)) for a, b in pairwise(sizes)]
    net = Network.from_thetas(*thetas)
    return Network(
        tuple(type(layer)(layer.theta, g) for layer, g in zip(net.layers, names, strict=True))
    )


@pytest.mark.parametrize("rows", [1, 7, 300, 1000])
def test_chunked_outputs_equal_forward(rows):
    net = _random_network(rows)
    X = np.random.default_rng(0).normal(0, 2, (1000, 6))
    chunks = (X[s : s + rows] for s in range(0, len(X), rows))
    Y = np.concatenate(list(batch.outputs(net, chunks)))
    np.testing.assert_allclose(Y, net(X), rtol=1e-13, atol=1e-15)


def test_float32_is_close():
    net = _random_network(3)
    X = np.random.default_rng(0).normal(0, 1, (500, 6))
    (Y,) = batch.outputs(net, [X], np.float32)
    assert Y.dtype == np.float32
    np.testing.assert_allclose(Y, net(X), rtol=1e-4, atol=1e-5)


def test_streaming_npy_and_csv_match_the_tables_path(run, tmp_path):
    net = SAMPLES / "vehicles.yaml"
    X = np.random.default_rng(2).uniform(0, 12, (2500, 3))
    np.save(tmp_path / "X.npy", X)
    np.savetxt(tmp_path / "X.csv", X, delimiter=",", header="h,l,w", comments="")
    expected = load(net)(X)
    out_npy, out_csv = tmp_path / "h.npy", tmp_path / "h.csv"
    assert run("forward", net, "--input", tmp_path / "X.npy", "-o", out_npy).code == 0
    assert run("forward", net, "--input", tmp_path / "X.csv", "-o", out_csv).code == 0
    got = np.load(out_npy)
    assert got.shape == (2500, 4)
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0)
    np.testing.assert_array_equal(np.loadtxt(out_csv, delimiter=",", skiprows=1), got)


def test_streaming_npy_output_header_counts_the_rows(run, tmp_path):
    net = SAMPLES / "slide-neuron.yaml"
    np.save(tmp_path / "X.npy", np.zeros((70000, 3)))  # more than one chunk
    r = run("forward", net, "--input", tmp_path / "X.npy", "-o", tmp_path / "h.npy")
    assert "of 70,000 examples to" in r.err
    assert np.load(tmp_path / "h.npy").shape == (70000, 1)
    r = run(
        "forward", net, "-i", tmp_path / "X.npy", "-o", tmp_path / "h32.npy", "--dtype", "float32"
    )
    assert np.load(tmp_path / "h32.npy").dtype == np.float32


def test_a_bad_row_deep_in_a_stream(run, tmp_path):
    X = np.zeros((100000, 3))
    X[77777, 1] = np.nan
    np.save(tmp_path / "X.npy", X)
    out = tmp_path / "h.npy"
    r = run("forward", SAMPLES / "slide-neuron.yaml", "-i", tmp_path / "X.npy", "-o", out)
    assert r.code == 2
    assert "row 77778 holds NaN or infinity" in r.err
    assert not out.exists()


def test_bad_dtype(run):
    r = run("forward", SAMPLES / "slide-neuron.yaml", "--dtype", "float16", "-o", "x.npy")
    assert r.code == 2
    assert "'float16' is not one of 'float64', 'float32'" in r.err


def test_matrices_from_files(write, tmp_path):
    rng = np.random.default_rng(5)
    W1, b1, W2, b2 = (
        rng.normal(size=(4, 3)),
        rng.normal(size=4),
        rng.normal(size=(2, 4)),
        rng.normal(size=2),
    )
    np.save(tmp_path / "W1.npy", W1)
    np.savetxt(tmp_path / "b1.csv", b1[None, :], delimiter=",")
    np.savez(tmp_path / "second.npz", W=W2, b=b2)
    net = load(
        write(
            "net.yaml",
            "layers:\n"
            "  - {weights: {file: W1.npy}, bias: {file: b1.csv}}\n"
            "  - {weights: {file: second.npz, key: W}, bias: {file: second.npz, key: b}}\n",
        )
    )
    x = rng.normal(size=3)
    h1 = 1 / (1 + np.exp(-(W1 @ x + b1)))
    h2 = 1 / (1 + np.exp(-(W2 @ h1 + b2)))
    np.testing.assert_allclose(net(x)[0], h2, rtol=1e-14)


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("{file: nope.npy}", "nope.npy: no such file"),
        ("{file: W.npy, key: W}", "'key' is only for .npz files"),
        ("{file: both.npz}", "it holds several arrays; it has: a, b; give key: NAME"),
        ("{file: both.npz, key: c}", "'c' is not in it; it has: a, b"),
        ("{path: W.npy}", "unknown key 'path' in Θ^(1): theta's file reference"),
        ("{file: W.txt}", "unknown array format '.txt'"),
        ("{file: cube.npy}", "has shape (2, 2, 2), expected a matrix"),
    ],
)
def test_bad_file_references(write, tmp_path, ref, message):
    np.save(tmp_path / "W.npy", np.ones((2, 3)))
    np.save(tmp_path / "cube.npy", np.ones((2, 2, 2)))
    np.savez(tmp_path / "both.npz", a=np.ones(2), b=np.ones(2))
    path = write("net.yaml", f"layers:\n  - theta: {ref}\n")
    with pytest.raises(NNCalcError) as info:
        load(path)
    assert message in str(info.value)
    assert f"{path}:2:" in str(info.value)
