"""PyTorch and scikit-learn models in and out, checked against the frameworks' own outputs."""

from __future__ import annotations

import warnings
from itertools import pairwise

import numpy as np
import pytest

import nncalc
from nncalc.errors import NNCalcError
from nncalc.interop.frameworks import from_sklearn, from_torch, to_torch

from conftest import SAMPLES

torch = pytest.importorskip("torch")
nn = torch.nn


def _torch_model(*activations):
    torch.manual_seed(0)
    modules, sizes = [], [4, 7, 6, 3]
    for (a, b), g in zip(pairwise(sizes), activations, strict=True):
        modules += [nn.Linear(a, b, dtype=torch.float64), g]
    return nn.Sequential(*modules)


@pytest.mark.parametrize(
    "activations",
    [
        (nn.Sigmoid(), nn.Tanh(), nn.Softmax(dim=-1)),
        (nn.ReLU(), nn.LeakyReLU(), nn.Identity()),
        (nn.SiLU(), nn.GELU(), nn.Sigmoid()),
    ],
)
def test_from_torch_agrees_with_torch(activations):
    model = _torch_model(*activations)
    X = torch.randn(50, 4, dtype=torch.float64)
    with torch.no_grad():
        expected = model(X).numpy()
    np.testing.assert_allclose(from_torch(model)(X.numpy()), expected, rtol=1e-12, atol=1e-12)


def test_round_trip_through_torch():
    net = nncalc.load(SAMPLES / "relu-softmax.yaml")
    model = net.to_torch()
    assert isinstance(model, nn.Sequential)
    X = np.random.default_rng(0).uniform(0, 8, (40, 4))
    with torch.no_grad():
        got = model(torch.from_numpy(X)).numpy()
    np.testing.assert_allclose(got, net(X), rtol=1e-12, atol=1e-12)
    back = from_torch(model)
    assert np.array_equal(back.theta(1), net.theta(1))
    assert back.activations == net.activations


def test_unsupported_torch_modules():
    with pytest.raises(NNCalcError, match="cannot represent the module Conv1d"):
        from_torch(nn.Sequential(nn.Conv1d(1, 1, 1)))
    with pytest.raises(NNCalcError, match="Softmax over dim 0"):
        from_torch(nn.Sequential(nn.Linear(2, 2), nn.LogSoftmax(dim=0)))
    with pytest.raises(NNCalcError, match="Softplus: softplus: beta must be positive"):
        from_torch(nn.Sequential(nn.Linear(2, 2), nn.Softplus(beta=-1)))
    with pytest.raises(NNCalcError, match="swiglu, which PyTorch has no module for"):
        to_torch(nncalc.load(SAMPLES / "swiglu.yaml"))


@pytest.mark.parametrize("activation", ["logistic", "tanh", "relu", "identity"])
def test_from_sklearn_agrees_with_predict_proba(activation):
    sklearn = pytest.importorskip("sklearn.neural_network")
    rng = np.random.default_rng(1)
    X = rng.normal(size=(120, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)
    model = sklearn.MLPClassifier(
        hidden_layer_sizes=(8, 6), activation=activation, max_iter=50, random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # it has not converged in 50 iterations: no matter
        model.fit(X, y)
    net = nncalc.from_sklearn(model)
    assert net.classes == ("0", "1", "2")
    assert net.name == "MLPClassifier(hidden_layer_sizes=(8, 6))"
    np.testing.assert_allclose(net(X), model.predict_proba(X), rtol=1e-12, atol=1e-12)


def test_from_sklearn_regressor():
    sklearn = pytest.importorskip("sklearn.neural_network")
    rng = np.random.default_rng(2)
    X = rng.normal(size=(60, 3))
    model = sklearn.MLPRegressor(hidden_layer_sizes=(5,), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, X.sum(axis=1))
    np.testing.assert_allclose(
        from_sklearn(model)(X)[:, 0], model.predict(X), rtol=1e-12, atol=1e-12
    )


def test_from_torch_skips_what_inference_does_not_compute():
    """nn.Flatten before the first layer and Dropout (an identity in eval mode)."""
    torch.manual_seed(1)
    model = nn.Sequential(
        nn.Flatten(),
        nn.Linear(6, 5, dtype=torch.float64),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(5, 3, dtype=torch.float64),
        nn.Identity(),
        nn.Softmax(dim=-1),
    ).eval()
    X = torch.randn(20, 2, 3, dtype=torch.float64)
    with torch.no_grad():
        expected = model(X).numpy()
    net = from_torch(model)
    assert net.activations == ["relu", "softmax"]
    np.testing.assert_allclose(net(X.reshape(20, 6).numpy()), expected, rtol=1e-12, atol=1e-300)
    with pytest.raises(NNCalcError, match="cannot represent the module Flatten"):
        from_torch(nn.Sequential(nn.Linear(2, 2), nn.Flatten()))
