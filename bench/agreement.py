"""How closely nncalc agrees with the frameworks on the models it imports and exports.

    python bench/agreement.py

Prints the largest relative difference (differences under 1e-300 count as none) between
nncalc and: onnxruntime running nncalc's export, for each activation, with z from about
−1000 to 1000; torch running the modules it exported with torch.onnx.export; and
scikit-learn's predict_proba / predict for the models skl2onnx converted. The tests assert
1e-12; this shows how far inside that the numbers are.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from itertools import pairwise
from pathlib import Path

import numpy as np
import onnxruntime
import torch
from skl2onnx import to_onnx
from sklearn.neural_network import MLPClassifier, MLPRegressor

import nncalc
from nncalc.network import Layer, Network

ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "identity", "softmax", "softplus"]
ACTIVATIONS += ["silu", "step"]


def difference(got: np.ndarray, expected: np.ndarray) -> float:
    """The largest relative difference; one under 1e-300 in size counts as none (there, σ
    and SiLU of z < −709 are below float64's normal range, and a runtime may give 0)."""
    d = np.abs(got - expected)
    return float(np.max(np.where(d <= 1e-300, 0.0, d / np.maximum(np.abs(expected), 1e-300))))


def export_rows(rng):
    for g in [*ACTIVATIONS, "swiglu"]:
        thetas = [rng.normal(0, 3, (b, a + 1)) for a, b in pairwise((3, 6, 5, 4))]
        if g == "swiglu":
            layers = [Layer(t, gate=rng.normal(0, 3, t.shape), beta=1.5) for t in thetas]
        else:
            layers = [Layer(t, g) for t in thetas]
        net = Network(tuple(layers))
        X = rng.normal(size=(2000, 3)) * 10.0 ** rng.uniform(-3, 3, (2000, 1))
        session = onnxruntime.InferenceSession(net.to_onnx().SerializeToString())
        yield f"export, {g}", difference(session.run(None, {"x": X})[0], net(X))


def torch_rows(rng, folder: Path):
    nn = torch.nn
    cases = {
        "sigmoid, tanh, softmax": (nn.Sigmoid(), nn.Tanh(), nn.Softmax(dim=-1)),
        "relu, leaky_relu, identity": (nn.ReLU(), nn.LeakyReLU(), nn.Identity()),
        "silu, gelu, sigmoid": (nn.SiLU(), nn.GELU(), nn.Sigmoid()),
    }
    for name, gs in cases.items():
        torch.manual_seed(0)
        modules = []
        for (a, b), g in zip(pairwise((3, 7, 5, 4)), gs, strict=True):
            modules += [nn.Linear(a, b, dtype=torch.float64), g]
        model = nn.Sequential(*modules).eval()
        path = folder / "m.onnx"
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (torch.zeros(2, 3, dtype=torch.float64),), str(path))
        X = rng.normal(size=(2000, 3)) * 5
        with torch.no_grad():
            expected = model(torch.from_numpy(X)).numpy()
        yield f"torch.onnx.export, {name}", difference(nncalc.read_model(path).network(X), expected)


def sklearn_rows(rng, folder: Path):
    X = rng.normal(size=(500, 4))
    models = {
        "MLPClassifier relu, 3 classes": (MLPClassifier((8, 6)), rng.integers(0, 3, 500)),
        "MLPClassifier logistic, binary": (
            MLPClassifier((8,), activation="logistic"),
            rng.integers(0, 2, 500),
        ),
        "MLPRegressor tanh": (MLPRegressor(hidden_layer_sizes=(8,), activation="tanh"), X[:, 0]),
    }
    for name, (model, y) in models.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.set_params(max_iter=300, random_state=0).fit(X, y)
        options = {id(model): {"zipmap": False}} if "Classifier" in name else None
        (folder / "s.onnx").write_bytes(to_onnx(model, X[:1], options=options).SerializeToString())
        got = nncalc.read_model(folder / "s.onnx").network(X)
        if "Regressor" in name:
            expected = model.predict(X)[:, None]
        else:
            expected = model.predict_proba(X)[:, 1:] if "binary" in name else model.predict_proba(X)
        yield f"skl2onnx, {name}", difference(got, expected)


def main() -> None:
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        rows = [*export_rows(rng), *torch_rows(rng, Path(tmp)), *sklearn_rows(rng, Path(tmp))]
    width = max(len(name) for name, _ in rows)
    print(f"{'case':<{width}}  largest relative difference")
    for name, value in rows:
        print(f"{name:<{width}}  {value:.1e}")


if __name__ == "__main__":
    main()
