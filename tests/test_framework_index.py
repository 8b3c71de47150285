"""Issue 24 §6: a network from PyTorch, ONNX or scikit-learn gives its prediction's 0-based
index as that framework counts it, wherever the prediction is shown, and keeps where it
came from through the network file that `nncalc import` writes. The expected index is
the framework's own argmax."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nncalc

torch = pytest.importorskip("torch")
nn = torch.nn

X = np.array([[0.5, -1.0, 2.0, 0.25], [3.0, 1.0, -2.0, 0.0], [-1.5, 2.5, 0.5, 1.0]])


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 4), nn.Softmax(dim=1)).double()


def torch_argmax(model):
    with torch.no_grad():
        return model(torch.from_numpy(X)).argmax(dim=1).tolist()


def test_imported_network_file_keeps_its_framework(run, tmp_path, model):
    torch.save(model.state_dict(), tmp_path / "m.pt")
    result = run("import", tmp_path / "m.pt", "-g", "relu,softmax", "-o", tmp_path / "m.yaml")
    assert result.code == 0, result.err
    assert "\nframework: PyTorch\n" in (tmp_path / "m.yaml").read_text()
    assert nncalc.load(tmp_path / "m.yaml").framework == "PyTorch"
    indices = torch_argmax(model)
    for k, x in enumerate(X):
        row = ",".join(map(str, x))
        out = run("forward", tmp_path / "m.yaml", "-x", row)
        assert f"prediction: unit {indices[k] + 1} of 4 (index {indices[k]} in PyTorch)" in out.out
        explained = run("forward", tmp_path / "m.yaml", "-x", row, "--explain").out
        assert (
            f"prediction: unit {indices[k] + 1} of 4 (index {indices[k]} in PyTorch)" in explained
        )
        worked = run("forward", tmp_path / "m.yaml", "-x", row, "--format", "markdown").out
        assert f"predicted class: unit {indices[k] + 1} (index {indices[k]} in PyTorch)" in worked
    rows = [a for x in X for a in ("-x", ",".join(map(str, x)))]
    data = run("forward", tmp_path / "m.yaml", *rows, "--json").json()
    assert data["network"]["framework"] == "PyTorch"
    assert [e["prediction"]["index"] for e in data["examples"]] == indices
    assert [e["prediction"]["unit"] for e in data["examples"]] == [i + 1 for i in indices]


def test_every_source_says_its_framework(tmp_path, model):
    net = nncalc.from_torch(model)
    assert net.framework == "PyTorch"
    assert [net.index(int(u)) for u in net.forward(X).predictions] == [
        f"index {i} in PyTorch" for i in torch_argmax(model)
    ]
    nncalc.save_onnx(net, tmp_path / "n.onnx")
    assert nncalc.read_model(tmp_path / "n.onnx").network.framework == "ONNX"


def test_scikit_learn_index_is_its_position_in_classes(tmp_path):
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(1)
    data, y = rng.normal(size=(60, 4)), rng.choice(["ant", "bee", "cat"], 60)
    clf = MLPClassifier((5,), max_iter=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(data, y)
    net = nncalc.from_sklearn(clf)
    assert net.framework == "scikit-learn"
    for unit, label in zip(net.forward(X).predictions, clf.predict(X), strict=True):
        assert net.index(int(unit)) == f"index {list(clf.classes_).index(label)} in scikit-learn"
        assert net.classes[unit - 1] == label


@pytest.mark.parametrize(
    ("value", "message"), [("Keras", "unknown framework 'Keras'"), ("[1]", "should be text")]
)
def test_a_framework_nncalc_does_not_know_is_refused(run, tmp_path, value, message):
    (tmp_path / "n.yaml").write_text(f"framework: {value}\nlayers:\n  - theta: [[0, 1]]\n")
    result = run("forward", tmp_path / "n.yaml", "-x", "1")
    assert result.code == 2
    assert "n.yaml:1:" in result.err and message in result.err
