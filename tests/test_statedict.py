"""PyTorch state_dicts (.safetensors, .pt) in, checked against the torch module they came from."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

import nncalc
from nncalc.errors import NNCalcError
from nncalc.interop import statedict

from conftest import SAMPLES

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
nn = torch.nn


def mlp(sizes, g=nn.ReLU, last=None, seed=0, bias=True):
    torch.manual_seed(seed)
    modules = []
    for k, (a, b) in enumerate(pairwise(sizes), start=1):
        modules.append(nn.Linear(a, b, bias=bias, dtype=torch.float64))
        final = k == len(sizes) - 1
        if final and last is nn.Softmax:
            modules.append(nn.Softmax(dim=-1))
        elif last is not None or not final:
            modules.append((last if final else g)())
    return nn.Sequential(*modules)


def torch_output(model, X):
    with torch.no_grad():
        return model(torch.from_numpy(X)).numpy()


def assert_same(got, expected):
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_state_dict_with_activations_agrees_with_torch(suffix, tmp_path):
    model = mlp([4, 8, 6, 3], nn.Tanh, nn.Softmax)
    path = tmp_path / f"model{suffix}"
    if suffix == ".pt":
        torch.save(model.state_dict(), path)
    else:
        safetensors_torch.save_file(model.state_dict(), path)
    net = nncalc.read_model(path, ["tanh", "tanh", "softmax"]).network
    X = np.random.default_rng(0).normal(size=(100, 4)) * 4
    assert_same(net(X), torch_output(model, X))
    assert net.name == path.name


def test_many_layers_keep_their_order(tmp_path):
    """Keys 0.weight … 18.weight: 10 must come after 8, not after 0 (natural order)."""
    model = mlp([3, 5, 4, 6, 5, 4, 6, 5, 4, 6, 2], nn.Sigmoid)
    path = tmp_path / "deep.safetensors"
    safetensors_torch.save_file(model.state_dict(), path)
    net = nncalc.read_model(path, ["sigmoid"] * 9 + ["identity"]).network
    assert net.sizes == [3, 5, 4, 6, 5, 4, 6, 5, 4, 6, 2]
    X = np.random.default_rng(1).normal(size=(20, 3))
    assert_same(net(X), torch_output(model, X))


def test_one_activation_for_every_layer_and_no_biases(tmp_path):
    model = mlp([2, 3, 1], nn.Sigmoid, nn.Sigmoid, bias=False)
    torch.save(model.state_dict(), tmp_path / "m.pth")
    net = nncalc.read_model(tmp_path / "m.pth", ["sigmoid"]).network
    assert net.activations == ["sigmoid", "sigmoid"]
    np.testing.assert_array_equal(net.theta(1)[:, 0], 0)
    X = np.random.default_rng(2).normal(size=(10, 2))
    assert_same(net(X), torch_output(model, X))


def test_training_checkpoint_and_prefixed_keys(tmp_path):
    model = mlp([3, 4, 2])
    wrapped = {f"net.{k}": v for k, v in model.state_dict().items()}
    torch.save({"epoch": 7, "model_state_dict": wrapped, "lr": 0.1}, tmp_path / "ckpt.pt")
    net = nncalc.read_model(tmp_path / "ckpt.pt", ["relu", "identity"]).network
    X = np.random.default_rng(3).normal(size=(10, 3))
    assert_same(net(X), torch_output(model, X))


def test_float32_float16_and_bfloat16_weights_are_read_exactly(tmp_path):
    model = mlp([3, 4, 2]).float()
    safetensors_torch.save_file(model.state_dict(), tmp_path / "f32.safetensors")
    imported = nncalc.read_model(tmp_path / "f32.safetensors", ["relu", "identity"])
    assert "the weights are float32" in imported.notes[0]
    net = imported.network
    np.testing.assert_array_equal(net.theta(1)[:, 1:], model[0].weight.detach().double().numpy())
    half = {k: v.half() for k, v in model.state_dict().items()}
    safetensors_torch.save_file(half, tmp_path / "f16.safetensors")
    imported = nncalc.read_model(tmp_path / "f16.safetensors", ["relu", "identity"])
    assert imported.dtype == "float16"
    net = imported.network
    np.testing.assert_array_equal(net.theta(2)[:, 0], half["2.bias"].double().numpy())
    brain = {k: v.bfloat16() for k, v in model.state_dict().items()}
    torch.save(brain, tmp_path / "bf16.pt")
    imported = nncalc.read_model(tmp_path / "bf16.pt", ["relu", "identity"])
    assert imported.dtype == "float32"  # bfloat16 widened to float32, exactly
    np.testing.assert_array_equal(imported.network.theta(1)[:, 0], brain["0.bias"].double().numpy())


def test_import_cli_with_activations(run, tmp_path):
    model = mlp([4, 5, 3], nn.ReLU, nn.Softmax)
    safetensors_torch.save_file(model.state_dict(), tmp_path / "m.safetensors")
    result = run(
        "import", tmp_path / "m.safetensors", "-g", "relu, softmax", "-o", tmp_path / "m.yaml"
    )
    assert result.code == 0, result.err
    net = nncalc.load(tmp_path / "m.yaml")
    X = np.random.default_rng(4).normal(size=(10, 4))
    assert_same(net(X), torch_output(model, X))


def _state_dict_file(tmp_path, tensors, name="m.safetensors"):
    safetensors_torch.save_file(tensors, tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize(
    ("tensors", "activations", "message"),
    [
        ({"0.weight": (3, 2), "1.weight": (2, 3)}, "", "a state_dict does not say its activations"),
        ({"0.weight": (3, 2), "1.weight": (2, 3)}, "relu,relu,relu", "3 activations given for 2"),
        ({"0.weight": (3, 2)}, "sigmiod", "unknown activation 'sigmiod'; did you mean 'sigmoid'?"),
        ({"0.weight": (3, 2), "1.weight": (2, 4)}, "relu", "'1.weight' reads 4 units but the"),
        ({"0.weight": (3, 2), "0.running_mean": (3,)}, "relu", "'0.running_mean' is not the"),
        ({"0.weight": (3, 2, 1)}, "relu", "the module '0' has a weight of shape (3, 2, 1)"),
        ({"0.bias": (3,)}, "relu", "the module '0' has no weight"),
        ({"0.weight": (3, 2), "0.bias": (2,)}, "relu", "'0.bias' has shape (2,), expected (3,)"),
    ],
)
def test_bad_state_dicts(run, tmp_path, tensors, activations, message):
    path = _state_dict_file(tmp_path, {k: torch.ones(shape) for k, shape in tensors.items()})
    result = run("import", path, *(["-g", activations] if activations else []))
    assert result.code == 2
    assert message in result.err
    assert len(result.err.splitlines()) == 1


def test_missing_activations_hint_shows_an_example(run, tmp_path):
    path = _state_dict_file(tmp_path, mlp([2, 3, 3, 2]).state_dict())
    result = run("import", path)
    assert "give them with --activations, e.g. --activations relu,relu,softmax" in result.err


def test_nan_weights(run, tmp_path):
    path = _state_dict_file(tmp_path, {"0.weight": torch.tensor([[1.0, float("nan")]])})
    result = run("import", path, "-g", "relu")
    assert result.code == 2 and "holds NaN or infinite values" in result.err


class Boom:
    """Unpickling this would create a file: torch.load(weights_only=True) must refuse it."""

    def __init__(self, target):
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_pickled_code_never_runs(run, tmp_path):
    target = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"0.weight": torch.ones(2, 2), "x": Boom(str(target))}, path)
    result = run("import", path, "-g", "relu")
    assert result.code == 2
    assert "not a state_dict nncalc can load safely" in result.err
    assert not target.exists()
    with open(path, "rb") as f:  # the same file, plainly unpickled, would have run it
        assert f.read(2) == b"PK"


def test_whole_pickled_model_is_refused_with_a_hint(run, tmp_path):
    torch.save(mlp([2, 2]), tmp_path / "model.pt")
    result = run("import", tmp_path / "model.pt", "-g", "relu")
    assert result.code == 2
    assert "save model.state_dict(), not the model" in result.err


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("junk.safetensors", b"\x08\0\0\0\0\0\0\0{garbage", "not a readable safetensors"),
        ("junk.pt", b"not a zip at all", "not a state_dict nncalc can load safely"),
        ("plain.pt", None, "holds a list, not a state_dict"),
    ],
)
def test_broken_files(run, tmp_path, name, data, message):
    if data is None:
        torch.save([1, 2, 3], tmp_path / name)
    else:
        (tmp_path / name).write_bytes(data)
    result = run("import", tmp_path / name, "-g", "relu")
    assert result.code == 2
    assert message in result.err


def test_size_limit(run, tmp_path, monkeypatch):
    path = _state_dict_file(tmp_path, mlp([20, 20]).state_dict())
    monkeypatch.setenv("NNCALC_MAX_BYTES", "1000")
    result = run("import", path, "-g", "relu")
    assert result.code == 2 and "over the limit of 1,000" in result.err


def test_without_torch_installed(run, tmp_path, monkeypatch):
    torch.save(mlp([2, 2]).state_dict(), tmp_path / "m.pt")
    monkeypatch.setitem(__import__("sys").modules, "torch", None)
    result = run("import", tmp_path / "m.pt", "-g", "relu")
    assert result.code == 2
    assert "reading .pt files needs PyTorch; pip install 'nncalc[torch]'" in result.err


def test_python_api_takes_a_mapping():
    tensors = {"fc.weight": np.array([[-2.0, 4.0, 1.5]]), "fc.bias": np.array([-0.5])}
    net = statedict.to_network(tensors, ["sigmoid"])
    assert float(net.forward([66, 39, 12]).z[2][0, 0]) == 41.5  # the lecture's σ(41.5)
    with pytest.raises(NNCalcError, match="holds no tensors"):
        statedict.to_network({}, ["relu"])


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_export_a_state_dict_that_torch_loads(run, tmp_path, suffix):
    from safetensors.torch import load_file

    net = nncalc.load(SAMPLES / "vehicles.yaml")
    path = tmp_path / f"v{suffix}"
    result = run("export", SAMPLES / "vehicles.yaml", "-o", path)
    assert result.code == 0, result.err
    assert "its activations (sigmoid,sigmoid) are not in a state_dict" in result.err
    model = net.to_torch()
    state = load_file(path) if suffix == ".safetensors" else torch.load(path, weights_only=True)
    model.load_state_dict(state)  # strict: the same keys and shapes as to_torch()'s
    X = np.random.default_rng(5).normal(size=(30, 3)) * 3
    assert_same(torch_output(model, X), net(X))
    flags = [] if suffix == ".safetensors" else ["-g", "sigmoid"]  # .safetensors keeps them
    back = nncalc.read_model(path, flags[1:]).network
    assert back.activations == net.activations
    for mine, theirs in zip(net.layers, back.layers, strict=True):
        assert mine.theta.tobytes() == theirs.theta.tobytes()
    if suffix == ".safetensors":
        assert back.name == net.name and back.classes == net.classes


def test_export_refuses_what_pytorch_has_no_module_for(run, tmp_path):
    result = run("export", SAMPLES / "swiglu.yaml", "-o", tmp_path / "s.safetensors")
    assert result.code == 2
    assert "Θ^(1) is swiglu, which PyTorch has no module for" in result.err
    assert list(tmp_path.iterdir()) == []
