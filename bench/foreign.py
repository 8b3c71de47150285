"""Not a timing: foreign models of the kinds issue 23 lists, each read by nncalc and judged.

    python bench/foreign.py [--quick]

Generates torch MLPs with every activation module at non-default parameters (both
exporters, opsets 9 to 20, float64, float32, float16 and bfloat16), BatchNorm1d in every
position (ONNX, state_dicts, from_torch), state_dicts with prefixes, in checkpoints,
partial or with tied weights, hand-edited ONNX (every formula constant of every spelling
in four types, exact and one number either side), onnxruntime-optimised graphs and
scikit-learn pipelines. Each is judged against the framework's own output in float64
(torch's module with the weights widened, scikit-learn's predict_proba):

- right: nncalc's network agrees to 1e-12 and says nothing but the weights' type;
- right with a note: it agrees with what its notes say the file computes (a parameter as
  the file stores it, TorchScript's Softplus without a threshold, BatchNorm's ε as
  float32) or agrees and notes a folding;
- refused: exit 2 with a reason (listed with its count);
- wrong: it reads the model and computes something else. This must be 0.

Prints the counts per kind and in all, and every wrong model.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import re
import sys
import tempfile
import warnings
from collections import Counter, OrderedDict, defaultdict
from functools import partial
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn

import nncalc
from nncalc.errors import NNCalcError
from nncalc.interop import onnxread

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_onnx_exact import DTYPES, floats, layer_model, neighbours, spellings
from test_onnx_forms import FORMS, Net
from test_onnx_forms import export as export_module
from test_torch_rules import Residual

from nncalc.interop.onnxops import TEMPLATES

X = np.random.default_rng(0).normal(size=(40, 4)) * 3
RESULTS: dict[str, Counter] = defaultdict(Counter)
REASONS: Counter = Counter()
WRONG: list[str] = []


def judge(kind: str, what: str, read, expected, adjusted=None, inputs=None) -> None:
    """Read a model (read() → (network, notes)) and judge it against expected(), or
    adjusted(network, notes) where its notes say the file computes otherwise."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net, notes = read()
    except NNCalcError as e:
        RESULTS[kind]["refused"] += 1
        REASONS[_reason(str(e))] += 1
        return
    notes = [n for n in notes if not n.startswith("the weights are")]
    got = net(X[:, : net.sizes[0]] if inputs is None else inputs)
    if _close(got, expected()):
        RESULTS[kind]["right with note" if notes else "right"] += 1
    elif notes and adjusted is not None and _close(got, adjusted(net, notes)):
        RESULTS[kind]["right with note"] += 1
    else:
        RESULTS[kind]["wrong"] += 1
        WRONG.append(f"{kind}: {what}")


def _close(got, expected) -> bool:
    expected = np.asarray(expected, np.float64).reshape(got.shape)
    return bool(np.allclose(got, expected, rtol=1e-12, atol=1e-12))


def _reason(message: str) -> str:
    """A refusal's reason without the file's names and numbers."""
    message = message.split(": ", 1)[-1].split(";")[0]
    message = re.sub(r"'[^']*'", "'…'", message)
    return re.sub(r"\(.*?\)|[-\d.e]+\d", "…", message)[:90]


def export(model, dynamo, opset, dtype):
    return export_module(model, dynamo, opset, torch.zeros(2, 4).to(dtype))


def torch64(model, X=X):
    with torch.no_grad():
        return copy.deepcopy(model).double().eval()(torch.from_numpy(X)).numpy()


def as_file(model, net):
    """The module with the parameters nncalc read where a note says the file stores them
    otherwise (float32 attributes, no Softplus threshold)."""
    model = copy.deepcopy(model).double()
    for m, layer in zip(
        [m for m in model if not isinstance(m, nn.Linear)], net.layers, strict=False
    ):
        g = layer.g
        if g is None:
            continue
        if isinstance(m, nn.LeakyReLU):
            m.negative_slope = g.value("alpha")
        elif isinstance(m, nn.ELU):
            m.alpha = g.value("alpha")
        elif isinstance(m, nn.Softplus):
            m.threshold = g.value("threshold") or 40.0
    return model


def prelu_per_unit() -> nn.Module:
    """nn.PReLU(6) with a slope of its own for each of the 6 hidden units."""
    module = nn.PReLU(6)
    with torch.no_grad():
        module.weight.copy_(torch.linspace(-0.5, 1.5, 6))
    return module


ACTIVATIONS = {
    "ReLU": nn.ReLU,
    "LeakyReLU(0.2)": lambda: nn.LeakyReLU(0.2),
    "PReLU(0.3)": lambda: nn.PReLU(init=0.3),
    "PReLU(6 slopes)": prelu_per_unit,
    "ELU(0.5)": lambda: nn.ELU(0.5),
    "Softplus(2, 5)": lambda: nn.Softplus(beta=2, threshold=5),
    "GELU": nn.GELU,
    "GELU(tanh)": lambda: nn.GELU(approximate="tanh"),
    "SiLU": nn.SiLU,
    "Mish": nn.Mish,
    "Hardswish": nn.Hardswish,
    "ReLU6": nn.ReLU6,
    "Sigmoid": nn.Sigmoid,
    "Tanh": nn.Tanh,
    "Softmax(1)": lambda: nn.Softmax(dim=1),
    "LogSoftmax(1)": lambda: nn.LogSoftmax(dim=1),
    "Identity": nn.Identity,
}


def mlps(quick: bool) -> None:
    """Every activation module, both exporters, opsets and types."""
    settings = [(False, o, torch.float64) for o in (9, 13, 17, 20)]
    settings += [(False, o, torch.float32) for o in (11, 18)]
    settings += [(False, 17, t) for t in (torch.float16, torch.bfloat16)]
    settings += [(True, 18, t) for t in (torch.float64, torch.float32, torch.bfloat16)]
    if quick:
        settings = settings[::3]
    for (name, make), (dynamo, opset, dtype) in itertools.product(ACTIVATIONS.items(), settings):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 6), make(), nn.Linear(6, 3)).to(dtype).eval()
        what = f"{name} {'dynamo' if dynamo else 'TorchScript'} opset {opset} {dtype}"
        try:
            m = export(model, dynamo, opset, dtype)
        except Exception:  # the exporter cannot write it (an op at that opset or type)
            RESULTS["torch MLPs (not exported by torch)"]["skipped"] += 1
            continue
        judge(
            "torch MLPs",
            what,
            lambda m=m: _imported(onnxread.from_model(m)),
            lambda model=model: torch64(model),
            lambda net, notes, model=model: torch64(as_file(model, net)),
        )


def ordinary_code(tmp: Path) -> None:
    """Activations and affine pieces written in a module's own forward, both exporters;
    and forwards nncalc cannot see (a ModuleList, named modules)."""
    X3 = X[:, :3]
    for (name, (f, _)), dynamo in itertools.product(FORMS.items(), (False, True)):
        module = Net(f).double()
        m = export_module(module, dynamo)
        judge(
            "activations in ordinary code",
            f"{name} {'dynamo' if dynamo else 'TorchScript'}",
            lambda m=m: _imported(onnxread.from_model(m)),
            lambda module=module: torch64(module, X3),
            lambda net, notes, module=module: _as_read(module, net, X3),
            inputs=X3,
        )
    torch.manual_seed(5)
    residual = Residual().double()
    torch.save(residual.state_dict(), tmp / "r.pt")
    judge(
        "custom forwards",
        "residual ModuleList",
        lambda: _imported(nncalc.read_model(tmp / "r.pt", ["relu"])),
        lambda: torch64(residual),
    )
    named = nn.Sequential(
        OrderedDict(fc1=nn.Linear(4, 5), act=nn.ReLU(), fc2=nn.Linear(5, 3))
    ).double()
    torch.save(named.state_dict(), tmp / "n.pt")
    judge(
        "custom forwards",
        "named modules",
        lambda: _imported(nncalc.read_model(tmp / "n.pt", ["relu", "identity"])),
        lambda: torch64(named),
    )
    judge(
        "custom forwards",
        "from_torch of a custom module",
        lambda: (nncalc.from_torch(residual), ()),
        lambda: torch64(residual),
    )


def _as_read(module, net, X3):
    """A written-out LeakyReLU with the slope nncalc read (dynamo stores a float32's)."""
    alpha = net.layers[0].g.value("alpha") if net.layers[0].g.name == "leaky_relu" else None
    if alpha is None:
        return np.full((len(X3), 2), np.nan)
    return torch64(Net(lambda z: torch.where(z > 0, z, alpha * z)).double(), X3)


def _imported(imported):
    return imported.network, imported.notes


def batchnorms(tmp: Path) -> None:
    """BatchNorm1d in every position, through ONNX, state_dicts and from_torch."""
    layouts = {
        "first": lambda bn: [bn(4), nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)],
        "after Linear": lambda bn: [nn.Linear(4, 6), bn(6), nn.Tanh(), nn.Linear(6, 3)],
        "after activation": lambda bn: [nn.Linear(4, 6), nn.Tanh(), bn(6), nn.Linear(6, 3)],
        "after Dropout": lambda bn: [
            nn.Linear(4, 6),
            nn.Dropout(),
            bn(6),
            nn.Tanh(),
            nn.Linear(6, 3),
        ],
        "last": lambda bn: [nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3), bn(3)],
        "no bias before": lambda bn: [
            nn.Linear(4, 6, bias=False),
            bn(6),
            nn.ReLU(),
            nn.Linear(6, 3),
        ],
    }
    for (layout, make), eps in itertools.product(layouts.items(), (1e-5, 1e-3)):
        torch.manual_seed(1)
        model = nn.Sequential(*make(lambda n, eps=eps: nn.BatchNorm1d(n, eps=eps)))
        model = model.double().eval()
        with torch.no_grad():
            for m in model:
                if isinstance(m, nn.BatchNorm1d):
                    m.running_mean.uniform_(-1, 1)
                    m.running_var.uniform_(0.2, 2)
                    m.weight.uniform_(0.5, 2)
                    m.bias.uniform_(-1, 1)
        expected = lambda model=model: torch64(model)  # noqa: E731
        kind = "BatchNorm in every position"
        for dynamo in (False, True):
            m = export(model, dynamo, 18, torch.float64)

            def single(net, notes, model=model):
                return torch64(_eps32(model))

            judge(
                kind,
                f"{layout} eps={eps} ONNX",
                lambda m=m: _imported(onnxread.from_model(m)),
                expected,
                single,
            )
        judge(
            kind,
            f"{layout} eps={eps} from_torch",
            lambda model=model: (nncalc.from_torch(model), ()),
            expected,
        )
        torch.save(model.state_dict(), tmp / "bn.pt")
        g = ["tanh" if any(isinstance(m, nn.Tanh) for m in model) else "relu", "identity"]
        order = [
            k.rpartition(".")[0]
            for k in model.state_dict()
            if k.endswith("running_mean") or k.endswith("weight")
        ]
        order = list(dict.fromkeys(order))
        if layout == "after activation":
            order.insert(1, "g")
        for how, options in (
            ("as saved", {}),
            ("--bn-eps", {"bn_eps": eps}),
            ("--bn-eps --order", {"bn_eps": eps, "order": order}),
        ):
            judge(
                kind,
                f"{layout} eps={eps} state_dict {how}",
                lambda options=options, g=g: _imported(
                    nncalc.read_model(tmp / "bn.pt", g, **options)
                ),
                expected,
            )


def _eps32(model):
    """A copy of the module with each BatchNorm's ε as ONNX stores it (a float32
    attribute)."""
    model = copy.deepcopy(model)
    for m in model:
        if isinstance(m, nn.BatchNorm1d):
            m.eps = float(np.float32(m.eps))
    return model


def state_dicts(tmp: Path) -> None:
    """Prefixes, checkpoints, partial and tied state_dicts."""
    from safetensors.torch import save_file

    torch.manual_seed(2)
    model = nn.Sequential(
        nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 5), nn.ReLU(), nn.Linear(5, 3)
    ).double()
    state = model.state_dict()
    tied = nn.Sequential(
        nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 5), nn.ReLU(), nn.Linear(5, 5)
    ).double()
    tied[4].weight = tied[2].weight
    cases = {
        "plain": state,
        "prefix net.": {f"net.{k}": v for k, v in state.items()},
        "DataParallel module.": {f"module.{k}": v for k, v in state.items()},
        "nested prefix": {f"model.body.{k}": v for k, v in state.items()},
    }
    for key in ("state_dict", "model_state_dict", "model", "net", "weights"):
        cases[f"checkpoint under {key}"] = {"epoch": 3, key: state, "lr": 0.1}
    cases["two dicts"] = {"a": state, "b": state}
    cases["partial: no 0.bias"] = {k: v for k, v in state.items() if k != "0.bias"}
    cases["partial: no 4.weight"] = {k: v for k, v in state.items() if k != "4.weight"}
    g = ["relu", "relu", "identity"]
    for name, saved in cases.items():
        torch.save(saved, tmp / "s.pt")
        judge(
            "state_dicts",
            name,
            lambda: _imported(nncalc.read_model(tmp / "s.pt", g)),
            lambda: torch64(model),
        )
    torch.save(tied.state_dict(), tmp / "t.pt")
    judge(
        "state_dicts",
        "tied weights",
        lambda: _imported(nncalc.read_model(tmp / "t.pt", g)),
        lambda: torch64(tied),
    )
    for dtype in (torch.float32, torch.float16, torch.bfloat16):
        save_file({k: v.to(dtype) for k, v in state.items()}, tmp / "s.safetensors")
        judge(
            "state_dicts",
            f"safetensors {dtype}",
            lambda: _imported(nncalc.read_model(tmp / "s.safetensors", g)),
            lambda dtype=dtype: torch64(copy.deepcopy(model).to(dtype)),
        )


def hand_edited() -> None:
    """Every formula constant of every spelling, in four types: the exact value rounded to
    the type must be read as the activation, one number of that type either side refused
    (a number away from a constant differs from the formula by less than 1e-12 can tell,
    so these are judged by the rule); and the issue's examples, as written."""
    examples = {6.0: 6.0000001, float(np.sqrt(2)): 1.4142135, float(np.sqrt(2 / np.pi)): 0.79788456}
    examples[1.0] = 1 - 2.0**-25
    for name, template in TEMPLATES.items():
        if name == "identity":
            continue
        for spelling in spellings(template):
            for c in dict.fromkeys(floats(spelling)):
                for dtype in DTYPES:
                    exact = np.asarray(c).astype(dtype)
                    values = [(exact, True), *((v, False) for v in neighbours(exact))]
                    if c in examples and dtype == np.float64:
                        values.append((np.asarray(examples[c]), False))
                    for value, same in values:
                        _judge_rule(name, layer_model(spelling, (c, value)), same)


def _judge_rule(name: str, model, same: bool) -> None:
    kind = "hand-edited ONNX"
    try:
        layer = onnxread.from_model(model).network.layers[0]
    except NNCalcError as e:
        RESULTS[kind]["wrong" if same else "refused"] += 1
        REASONS[_reason(str(e))] += 0 if same else 1
        if same:
            WRONG.append(f"{kind}: {name} refused: {e}")
        return
    read = "swiglu" if layer.gate is not None else layer.g.name
    if same and read == name:
        RESULTS[kind]["right"] += 1
    else:
        RESULTS[kind]["wrong"] += 1
        WRONG.append(f"{kind}: {name} read as {read}")


def optimised(tmp: Path) -> None:
    """onnxruntime's extended and full optimisations of float32 exports."""
    for (name, make), level in itertools.product(ACTIVATIONS.items(), ("EXTENDED", "ALL")):
        torch.manual_seed(3)
        model = nn.Sequential(nn.Linear(4, 6), make(), nn.Linear(6, 3)).float().eval()
        options = ort.SessionOptions()
        options.graph_optimization_level = getattr(
            ort.GraphOptimizationLevel, f"ORT_ENABLE_{level}"
        )
        options.optimized_model_filepath = str(tmp / "opt.onnx")
        try:
            ort.InferenceSession(
                export(model, False, 17, torch.float32).SerializeToString(), options
            )
        except Exception:
            RESULTS["onnxruntime-optimised (onnxruntime cannot run)"]["skipped"] += 1
            continue
        m = onnx.load(tmp / "opt.onnx")
        judge(
            "onnxruntime-optimised",
            f"{name} {level}",
            lambda m=m: _imported(onnxread.from_model(m)),
            lambda model=model: torch64(model),
            lambda net, notes, model=model: torch64(as_file(model, net)),
        )


def pipelines() -> None:
    """scikit-learn pipelines: scalers before MLPs, in memory and through skl2onnx."""
    import skl2onnx
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

    rng = np.random.default_rng(4)
    data = X * [10, 0.1, 3, 1] + [100, -5, 0, 2]
    y = rng.integers(0, 3, len(X))
    scalers = [
        StandardScaler,
        MinMaxScaler,
        MaxAbsScaler,
        RobustScaler,
        lambda: StandardScaler(with_mean=False),
    ]
    for scaler, activation, kind in itertools.product(
        scalers, ("relu", "tanh", "logistic"), ("classifier", "regressor")
    ):
        estimator = (MLPClassifier if kind == "classifier" else MLPRegressor)(
            hidden_layer_sizes=(5,), activation=activation, max_iter=50, random_state=0
        )
        model = make_pipeline(scaler(), estimator)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(data, y)
        expected = model.predict_proba if kind == "classifier" else model.predict
        expected = partial(expected, data)
        what = f"{type(model[0]).__name__} {activation} {kind}"
        judge(
            "scikit-learn pipelines",
            f"{what} from_sklearn",
            lambda model=model: (nncalc.from_sklearn(model), ()),
            expected,
            inputs=data,
        )
        onx = skl2onnx.to_onnx(model, data[:1], target_opset=18)
        judge(
            "scikit-learn pipelines",
            f"{what} skl2onnx",
            lambda onx=onx: _imported(onnxread.from_model(onx)),
            expected,
            inputs=data,
        )


def main() -> None:
    ort.set_default_logger_severity(3)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a third of the torch MLPs")
    quick = parser.parse_args().quick
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        mlps(quick)
        batchnorms(tmp)
        state_dicts(tmp)
        ordinary_code(tmp)
        optimised(tmp)
        pipelines()
        hand_edited()
    columns = ("right", "right with note", "refused", "wrong")
    print(f"{'kind':40} " + " ".join(f"{c:>16}" for c in columns))
    total = Counter()
    for kind, counts in RESULTS.items():
        total.update({c: counts[c] for c in columns})
        extra = f" ({counts['skipped']} skipped)" if counts["skipped"] else ""
        print(f"{kind:40} " + " ".join(f"{counts[c]:>16}" for c in columns) + extra)
    print(f"{'all':40} " + " ".join(f"{total[c]:>16}" for c in columns))
    print("\nrefused, by reason:")
    for reason, count in REASONS.most_common():
        print(f"{count:6}  {reason}")
    for line in WRONG:
        print(f"WRONG {line}")


if __name__ == "__main__":
    main()
