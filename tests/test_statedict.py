"""PyTorch state_dicts (.safetensors, .pt) in, checked against the torch module they came from."""

from __future__ import annotations

import warnings
from collections import OrderedDict
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


def test_float32_and_float16_weights_are_read_exactly(tmp_path):
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


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_bfloat16_weights_widen_exactly(tmp_path, suffix):
    """bfloat16 is the top half of a float32: nncalc decodes it itself (NumPy lacks it)."""
    model = mlp([3, 5, 2], nn.Tanh).bfloat16()
    path = tmp_path / f"bf16{suffix}"
    save = torch.save if suffix == ".pt" else safetensors_torch.save_file
    save(model.state_dict(), path)
    imported = nncalc.read_model(path, ["tanh", "identity"])
    assert imported.dtype == "bfloat16"
    assert "the weights are bfloat16" in imported.notes[0]
    X = np.random.default_rng(6).normal(size=(20, 3))
    assert_same(imported.network(X), torch_output(model.double(), X))


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
        ({"0.weight": (3, 2), "0.scale": (3,)}, "relu", "'0.scale' is not a tensor of a Linear"),
        (
            {"0.running_mean": (2,), "0.running_var": (2,), "1.weight": (3, 2)},
            "relu",
            "'0' is a BatchNorm1d, whose ε a state_dict does not hold; give it with --bn-eps",
        ),
        ({"0.weight": (3, 2), "1.running_mean": (3,)}, "relu", "the module '1' is not a Batch"),
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
        ("junk.safetensors", b"\x08\0\0\0\0\0\0\0{garbage", "the safetensors header is not JSON"),
        ("short.safetensors", b"\xff\0\0\0\0\0\0\0{}", "shorter than its header says"),
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


def _refused(run, path, message, *flags):
    """path is refused with one line naming message, and no warning escapes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = run("import", path, "-g", "relu", *flags)
    assert result.code == 2, result.err
    assert message in result.err
    assert len(result.err.splitlines()) == 1
    assert [str(w.message) for w in caught] == []
    return result


def _sparse_csr():
    with warnings.catch_warnings():  # "Sparse CSR tensor support is in beta"
        warnings.simplefilter("ignore")
        return torch.eye(2).to_sparse_csr()


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ({3: torch.ones(2, 2)}, "has the key 3, which is not text"),
        ({(0, "weight"): torch.ones(2, 2)}, "has the key (0, 'weight'), which is not text"),
        ({None: torch.ones(2, 2)}, "has the key None, which is not text"),
        ({"0.weight": torch.ones(2, 2).to(torch.float8_e4m3fn)}, "is a float8_e4m3fn tensor"),
        ({"0.weight": torch.ones(2, 2).to(torch.float8_e5m2)}, "is a float8_e5m2 tensor"),
        ({"0.weight": torch.ones(2, 2, dtype=torch.complex128)}, "is a complex128 tensor"),
        ({"0.weight": torch.ones(2, 2, dtype=torch.int64)}, "'0.weight' is a int64 tensor"),
        ({"0.weight": torch.eye(2).to_sparse()}, "'0.weight' is a sparse tensor (sparse_coo)"),
        ({"0.weight": _sparse_csr()}, "'0.weight' is a sparse tensor (sparse_csr)"),
    ],
)
def test_tensors_nncalc_cannot_read_are_refused(run, tmp_path, state, message):
    torch.save(state, tmp_path / "m.pt")
    _refused(run, tmp_path / "m.pt", message)


@pytest.mark.parametrize("dtype", ["qint8", "quint8"])
def test_quantized_tensors_are_refused_before_torch_builds_them(run, tmp_path, dtype):
    """torch.load would allocate a quantized tensor of the size its pickle claims."""
    with warnings.catch_warnings():  # quantized tensors are deprecated
        warnings.simplefilter("ignore")
        q = torch.quantize_per_tensor(torch.ones(2, 2), 0.1, 0, getattr(torch, dtype))
    torch.save({"0.weight": q}, tmp_path / "q.pt")
    _refused(run, tmp_path / "q.pt", f"holds quantized tensors ({dtype}); nncalc reads float16")


@pytest.mark.parametrize("dtype", [torch.complex64, torch.float8_e4m3fn])
def test_safetensors_of_other_types_are_refused(run, tmp_path, dtype):
    path = _state_dict_file(tmp_path, {"0.weight": torch.ones(2, 2).to(dtype)})
    _refused(run, path, f"'0.weight' is a {str(dtype).removeprefix('torch.')} tensor")


def test_deeply_nested_metadata_is_refused(run, tmp_path):
    nested = "[" * 100_000 + "]" * 100_000
    path = tmp_path / "m.safetensors"
    safetensors_torch.save_file({"0.weight": torch.ones(2, 2)}, path, {"nncalc.classes": nested})
    _refused(run, path, "the metadata nncalc.classes is nested too deeply")


BOUNDED = """
import json, resource, sys
import torch
from nncalc.cli import main
with open("/proc/self/status") as f:
    vm = next(int(line.split()[1]) for line in f if line.startswith("VmSize")) * 1024
resource.setrlimit(resource.RLIMIT_AS, (vm + 300 * 2**20, resource.RLIM_INFINITY))
sys.exit(main(["import", sys.argv[1], "-g", "relu"]))
"""


def _deflated(tmp_path):
    """A .pt archive whose 64 MB storage of zeros is deflated to a few kB."""
    import io
    import zipfile

    buffer = io.BytesIO()
    torch.save({"0.weight": torch.zeros(2**23, 1, dtype=torch.float64)}, buffer)
    path = tmp_path / "deflated.pt"
    with zipfile.ZipFile(buffer) as plain, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for member in plain.infolist():
            z.writestr(member.filename, plain.read(member))
    return path


def _expanded(tmp_path):
    """A .pt file of 1 number viewed as 2**30 (expand(): stride 0), 8 GiB as float64."""
    path = tmp_path / "expanded.pt"
    torch.save({"0.weight": torch.ones(1, 1, dtype=torch.float64).expand(2**15, 2**15)}, path)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_expanded, "its tensors take 8,589,934,592 bytes as float64, over the limit of"),
        (_deflated, ": its archive expands to 67,"),
    ],
)
def test_storages_are_bounded_before_anything_is_allocated(tmp_path, make, message):
    """Under a memory cap 300 MB above what torch takes, and NNCALC_MAX_BYTES 1 MB."""
    import os
    import subprocess
    import sys

    path = make(tmp_path)
    assert path.stat().st_size < 100_000
    env = {**os.environ, "NNCALC_MAX_BYTES": "1000000", "PYTHONPATH": str(SAMPLES.parent)}
    result = subprocess.run(
        [sys.executable, "-c", BOUNDED, str(path)], capture_output=True, text=True, env=env
    )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and len(result.stderr.splitlines()) == 1


def _encoder_decoder():
    torch.manual_seed(7)
    layers = {"encoder": nn.Linear(6, 6), "act": nn.Tanh(), "decoder": nn.Linear(6, 6)}
    return nn.Sequential(OrderedDict(layers)).double()


def _save(model, path):
    if path.suffix == ".pt":
        torch.save(model.state_dict(), path)
    else:
        safetensors_torch.save_file(model.state_dict(), path)
    return path


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_names_that_do_not_say_the_order_are_refused_and_order_gives_it(run, tmp_path, suffix):
    model = _encoder_decoder()
    path = _save(model, tmp_path / f"m{suffix}")
    result = _refused(run, path, "the module names (decoder,encoder) do not say the order")
    assert "a custom forward may not chain them; give it with --order" in result.err
    net = nncalc.read_model(path, ["tanh", "identity"], order=["encoder", "decoder"]).network
    X = np.random.default_rng(8).normal(size=(20, 6))
    assert_same(net(X), torch_output(model, X))
    result = run(
        "import", path, "-g", "tanh,identity", "--order", "encoder", "-o", tmp_path / "n.yaml"
    )
    assert result.code == 2 and "the order encoder does not name each module once" in result.err
    result = run(
        "import",
        path,
        "-g",
        "tanh,identity",
        "--order",
        "encoder, decoder",
        "-o",
        tmp_path / "n.yaml",
    )
    assert result.code == 0, result.err
    assert_same(nncalc.load(tmp_path / "n.yaml")(X), torch_output(model, X))


@pytest.mark.parametrize("suffix", [".safetensors", ".pt"])
def test_shapes_that_chain_one_way_only_do_not_say_the_order(run, tmp_path, suffix):
    """Issue 23: fc names whose shapes chain one way may still run otherwise (a custom
    forward, a residual): refused, and --order states it."""
    torch.manual_seed(9)
    layers = {"input": nn.Linear(4, 8), "a": nn.ReLU(), "hidden": nn.Linear(8, 5)}
    model = nn.Sequential(OrderedDict(layers, b=nn.ReLU(), output=nn.Linear(5, 3))).double()
    path = _save(model, tmp_path / f"m{suffix}")
    _refused(run, path, "the module names (hidden,input,output) do not say the order")
    g = ["relu", "relu", "identity"]
    net = nncalc.read_model(path, g, order=["input", "hidden", "output"]).network
    X = np.random.default_rng(10).normal(size=(20, 4))
    assert_same(net(X), torch_output(model, X))


def test_nncalc_metadata_gives_the_order(tmp_path):
    model = _encoder_decoder()
    meta = {"nncalc.order": '["encoder", "decoder"]', "nncalc.activations": '["tanh", "tanh"]'}
    safetensors_torch.save_file(model.state_dict(), tmp_path / "m.safetensors", meta)
    net = nncalc.read_model(tmp_path / "m.safetensors").network
    model.append(nn.Tanh())
    X = np.random.default_rng(11).normal(size=(20, 6))
    assert_same(net(X), torch_output(model, X))
    nncalc.save_model(net, tmp_path / "again.safetensors")  # nncalc writes the order too
    from safetensors import safe_open

    with safe_open(tmp_path / "again.safetensors", "np") as f:
        assert f.metadata()["nncalc.order"] == '["0", "2"]'


def _batchnorm_model(affine=True):
    torch.manual_seed(12)
    norm1, norm2 = nn.BatchNorm1d(6, affine=affine), nn.BatchNorm1d(3, affine=affine)
    model = nn.Sequential(nn.Linear(4, 6), norm1, nn.ReLU(), nn.Linear(6, 3), norm2).double()
    with torch.no_grad():
        for norm in (norm1, norm2):
            norm.running_mean.uniform_(-2, 2)
            norm.running_var.uniform_(0.1, 3)
            if affine:
                norm.weight.uniform_(-2, 2)
                norm.bias.uniform_(-1, 1)
    return model.eval()


@pytest.mark.parametrize(("suffix", "affine"), [(".safetensors", True), (".pt", False)])
def test_batchnorm_after_a_linear_layer_is_folded_exactly(tmp_path, suffix, affine):
    model = _batchnorm_model(affine)
    path = _save(model, tmp_path / f"bn{suffix}")
    imported = nncalc.read_model(path, ["relu", "identity"], bn_eps=1e-5)  # one per Linear
    assert imported.network.sizes == [4, 6, 3]
    assert "the BatchNorm1d 1, 4 (eval mode) are folded into the Linear layer" in imported.notes[0]
    assert "ε = 1e-05, as --bn-eps gives it" in imported.notes[0]
    X = np.random.default_rng(13).normal(size=(50, 4)) * 3
    np.testing.assert_allclose(imported.network(X), torch_output(model, X), rtol=1e-12, atol=1e-12)


def test_python_api_refuses_complex_numbers():
    with pytest.raises(NNCalcError, match="holds complex128 values, not real numbers"):
        statedict.to_network({"fc.weight": np.ones((2, 2), complex)}, ["relu"])
