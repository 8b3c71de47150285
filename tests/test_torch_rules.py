"""Issue 23: what a state_dict cannot show is not assumed, and from_torch reads only what
a module states. Each model's answer is checked against the torch module in float64."""

from __future__ import annotations

import json
import struct
from collections import OrderedDict

import numpy as np
import pytest

import nncalc
from nncalc.errors import NNCalcError

torch = pytest.importorskip("torch")
safetensors_torch = pytest.importorskip("safetensors.torch")
nn = torch.nn

X = np.random.default_rng(0).normal(size=(40, 4)) * 3


def expected(model):
    with torch.no_grad():
        return model.eval()(torch.from_numpy(X)).numpy()


def assert_torch(net, model):
    np.testing.assert_allclose(net(X), expected(model), rtol=1e-12, atol=1e-12)


def seeded(*modules):
    """An nn.Sequential of these modules, float64, with BatchNorm statistics that matter."""
    torch.manual_seed(3)
    model = nn.Sequential(*modules).double()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.running_mean.uniform_(-1, 1)
                m.running_var.uniform_(0.2, 2)
                if m.affine:
                    m.weight.uniform_(0.5, 2)
                    m.bias.uniform_(-1, 1)
    return model.eval()


def saved(model, tmp_path, name="m.pt", state=None):
    path = tmp_path / name
    state = model.state_dict() if state is None else state
    if name.endswith(".pt"):
        torch.save(state, path)
    else:
        safetensors_torch.save_file(state, path)
    return path


def refused(call, message):
    with pytest.raises(NNCalcError) as caught:
        call()
    assert message in str(caught.value)
    return str(caught.value)


# -- BatchNorm: where it runs and its ε ----------------------------------------------


def test_batchnorm_after_an_activation_needs_the_order(tmp_path):
    """Linear(0), ReLU(1), BatchNorm1d(2), Linear(3): the gap 0 → 2 does not say whether a
    ReLU or a Dropout runs before the BatchNorm; g in --order says it."""
    model = seeded(nn.Linear(4, 5), nn.ReLU(), nn.BatchNorm1d(5), nn.Linear(5, 3))
    path = saved(model, tmp_path)
    read = nncalc.read_model
    refused(lambda: read(path, ["relu", "identity"], bn_eps=1e-5), "(a gap in the nn.Sequential")
    imported = read(path, ["relu", "identity"], order=["0", "g", "2", "3"], bn_eps=1e-5)
    assert_torch(imported.network, model)
    assert any("normalize what the next Linear layer reads" in n for n in imported.notes)


def test_batchnorm_after_a_dropout_folds_into_the_layer_before(tmp_path):
    model = seeded(nn.Linear(4, 5), nn.Dropout(0.3), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 3))
    path = saved(model, tmp_path, "m.safetensors")
    net = nncalc.read_model(path, ["tanh", "identity"], order=["0", "2", "4"], bn_eps=1e-5)
    assert_torch(net.network, model)


def test_batchnorm_first_folds_into_the_first_layer(tmp_path):
    model = seeded(nn.BatchNorm1d(4), nn.Linear(4, 5), nn.Sigmoid(), nn.Linear(5, 3))
    imported = nncalc.read_model(saved(model, tmp_path), ["sigmoid", "identity"], bn_eps=1e-5)
    assert_torch(imported.network, model)


def test_batchnorm_epsilon_is_required_not_assumed(run, tmp_path):
    """With eps=1e-3, assuming PyTorch's default 1e-5 was 8% off."""
    model = seeded(nn.Linear(4, 5), nn.BatchNorm1d(5, eps=1e-3), nn.ReLU(), nn.Linear(5, 3))
    with torch.no_grad():
        model[1].running_var.fill_(1e-3)
    path = saved(model, tmp_path)
    result = run("import", path, "-g", "relu,identity")
    assert result.code == 2
    assert "whose ε a state_dict does not hold; give it with --bn-eps" in result.err
    result = run(
        "import", path, "-g", "relu,identity", "--bn-eps", "1e-3", "-o", tmp_path / "n.yaml"
    )
    assert result.code == 0, result.err
    assert_torch(nncalc.load(tmp_path / "n.yaml"), model)


# -- the forward code ----------------------------------------------------------------


class Residual(nn.Module):
    """x + ReLU(W x + b), twice: a ModuleList whose forward is not a chain."""

    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])

    def forward(self, x):
        for layer in self.layers:
            x = x + torch.relu(layer(x))
        return x


def test_a_module_list_is_not_read_as_a_chain(tmp_path):
    torch.manual_seed(1)
    path = saved(Residual().double(), tmp_path)
    message = "nothing runs between the modules 'layers.0' and 'layers.1'"
    refused(lambda: nncalc.read_model(path, ["relu", "relu"]), message)
    with pytest.raises(NNCalcError, match="runs its own forward"):
        nncalc.from_torch(Residual())
    with pytest.raises(NNCalcError, match="a ModuleList runs its own forward"):
        nncalc.from_torch(nn.ModuleList([nn.Linear(2, 2)]))


def test_a_missing_bias_is_refused_where_the_others_have_theirs(tmp_path):
    model = seeded(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    state = OrderedDict((k, v) for k, v in model.state_dict().items() if k != "0.bias")
    path = saved(model, tmp_path, state=state)
    refused(lambda: nncalc.read_model(path, ["relu", "identity"]), "'0.bias' is missing")
    # without a bias before a BatchNorm1d, as models are built
    model = seeded(nn.Linear(4, 5, bias=False), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 3))
    net = nncalc.read_model(saved(model, tmp_path, "b.pt"), ["relu", "identity"], bn_eps=1e-5)
    assert_torch(net.network, model)


# -- what makes a weight --------------------------------------------------------------


def test_prelu_of_one_slope(tmp_path):
    model = seeded(nn.Linear(4, 5), nn.PReLU(init=0.3), nn.Linear(5, 3))
    net = nncalc.read_model(saved(model, tmp_path), ["prelu", "identity"]).network
    slope = model[1].weight.item()
    assert net.layers[0].g.name == "leaky_relu" and net.layers[0].g.value("alpha") == slope
    assert_torch(net, model)
    assert_torch(nncalc.from_torch(model), model)
    path = saved(model, tmp_path, "r.pt")
    refused(lambda: nncalc.read_model(path, ["relu", "identity"]), "'1' is a PReLU")


def test_prelu_with_a_slope_per_unit(tmp_path):
    model = seeded(nn.Linear(4, 5), nn.PReLU(5), nn.Linear(5, 3))
    with torch.no_grad():
        model[1].weight.copy_(torch.linspace(-0.5, 1.5, 5))
    net = nncalc.read_model(saved(model, tmp_path), ["prelu", "identity"]).network
    assert net.layers[0].g.value("alpha") == tuple(model[1].weight.tolist())
    assert_torch(net, model)
    assert_torch(nncalc.from_torch(model), model)


def test_weight_norm_and_pruning(tmp_path):
    from torch.nn.utils import parametrizations, prune, weight_norm

    model = seeded(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    parametrizations.weight_norm(model[0])
    with pytest.warns(FutureWarning):
        weight_norm(model[2], dim=None)  # the old spelling: weight_g and weight_v
    with torch.no_grad():
        model[0].parametrizations.weight.original0.mul_(1.5)
    imported = nncalc.read_model(saved(model, tmp_path), ["tanh", "identity"])
    assert_torch(imported.network, model)
    assert any("weight_norm's g·v/‖v‖" in n for n in imported.notes)
    model = seeded(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3))
    prune.random_unstructured(model[0], "weight", amount=0.5)
    imported = nncalc.read_model(saved(model, tmp_path, "p.pt"), ["tanh", "identity"])
    assert_torch(imported.network, model)


def test_a_checkpoint_under_net(run, tmp_path):
    model = seeded(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 3))
    torch.save({"epoch": 3, "net": model.state_dict()}, tmp_path / "c.pt")
    assert_torch(nncalc.read_model(tmp_path / "c.pt", ["relu", "identity"]).network, model)
    torch.save({"epoch": 3, "weights": model.state_dict()}, tmp_path / "w.pt")
    imported = nncalc.read_model(tmp_path / "w.pt", ["relu", "identity"])
    assert (
        imported.notes[0] == "the file is a checkpoint; nncalc reads the state_dict under 'weights'"
    )
    torch.save({"a": model.state_dict(), "b": model.state_dict()}, tmp_path / "two.pt")
    result = run("import", tmp_path / "two.pt", "-g", "relu")
    assert result.code == 2
    assert "'a' holds a dict, not a tensor: a checkpoint of more than one" in result.err


# -- safetensors' layout ------------------------------------------------------------


def safetensors_file(path, spans, size):
    """A header of F64 tensors at these data_offsets, then size bytes of data."""
    header = {
        f"{k}.weight": {"dtype": "F64", "shape": [1, (e - b) // 8], "data_offsets": [b, e]}
        for k, (b, e) in enumerate(spans)
    }
    text = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text)) + text + bytes(size))
    return path


@pytest.mark.parametrize(
    ("spans", "size", "message"),
    [
        ([(0, 16), (8, 24)], 24, "the data of '1.weight' overlaps another tensor's"),
        ([(0, 16), (24, 32)], 32, "bytes 16 to 24 of its data belong to no tensor"),
        ([(8, 16)], 16, "bytes 0 to 8 of its data belong to no tensor"),
        ([(0, 16)], 24, "bytes 16 to 24 of its data belong to no tensor"),
    ],
    ids=["overlap", "gap", "gap-first", "gap-last"],
)
def test_safetensors_that_overlap_or_leave_gaps_are_refused(run, tmp_path, spans, size, message):
    """Issue 20 §3: the format forbids both."""
    path = safetensors_file(tmp_path / "m.safetensors", spans, size)
    result = run("import", path, "-g", "relu")
    assert result.code == 2
    assert f"not a readable safetensors file ({message})" in result.err


# -- from_torch ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["Dropout", "BatchNorm1d"])
def test_from_torch_refuses_a_model_in_training_mode(kind):
    module = nn.Dropout(0.5) if kind == "Dropout" else nn.BatchNorm1d(5)
    model = nn.Sequential(nn.Linear(4, 5), module, nn.ReLU(), nn.Linear(5, 3)).train()
    refused(lambda: nncalc.from_torch(model), f"the model is in training mode: its {kind} '1'")
    assert nncalc.from_torch(model.eval()).sizes == [4, 5, 3]


def test_from_torch_folds_batchnorm_in_every_position():
    """Before the first layer, after a Linear, after an activation; each with its own ε."""
    model = seeded(
        nn.BatchNorm1d(4, eps=1e-3),
        nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6, eps=0.1), nn.ELU()),
        nn.BatchNorm1d(6, affine=False),
        nn.Linear(6, 3),
        nn.Softmax(dim=1),
    )
    net = nncalc.from_torch(model)
    assert net.activations == ["elu", "softmax"]
    assert_torch(net, model)
