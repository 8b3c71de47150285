"""Networks from and to PyTorch and scikit-learn, in memory.

``from_torch(nn.Sequential)`` and ``from_sklearn(MLPClassifier | MLPRegressor)`` give a
Network whose forward pass is the model's; ``to_torch(network)`` goes back. Neither
library is imported until one of these is called.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import numpy as np

from nncalc import activations
from nncalc.errors import NNCalcError
from nncalc.network import Layer, Network

TORCH_ACTIVATIONS = {
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "ReLU": "relu",
    "LeakyReLU": "leaky_relu",
    "Identity": "identity",
    "Softmax": "softmax",
    "Softplus": "softplus",
    "SiLU": "silu",
    "GELU": "gelu",
    "LogSoftmax": "log_softmax",
    "ELU": "elu",
    "ReLU6": "relu6",
    "Hardswish": "hardswish",
    "Mish": "mish",
}
TORCH_EXACT_THRESHOLD = 40.0
"""PyTorch's Softplus always has a threshold; above β·z = 40, log(1 + e^(βz))/β rounds to z
in float64 (e^−40/40 < 2^−53), so this one changes no value: to_torch gives it to the
exact softplus."""
INFERENCE_IDENTITY = frozenset({"Dropout", "AlphaDropout", "Identity"})
"""Modules that pass their input on unchanged at inference: skipped (nn.Flatten too,
before the first Linear layer)."""
SKLEARN_ACTIVATIONS = {
    "identity": "identity",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "softmax": "softmax",
}


def from_torch(model: Any, name: str | None = None) -> Network:
    """A Network from an nn.Sequential (in eval mode) of Linear layers, each followed by
    at most one supported activation module (none means the identity) or PReLU (one
    slope, or one per unit), and BatchNorm1d modules, which are folded into the Linear
    layer before them (before its activation) or after them (after an activation, or
    first of all)."""
    from nncalc.interop.sequential import PRELU, Part, read_steps

    steps: list = []
    g: list[str] = []
    for path, module in _sequence(model):
        kind = type(module).__name__
        if kind in INFERENCE_IDENTITY or (kind == "Flatten" and not steps):
            continue
        if kind == "Linear":
            W = _array(module.weight)
            b = np.zeros(W.shape[0]) if module.bias is None else _array(module.bias)
            steps.append(Part(path, "Linear", (W, b)))
            g.append("identity")
        elif kind == "BatchNorm1d":
            steps.append(_batchnorm(path, module))
        elif kind == "PReLU" and g and g[-1] == "identity":
            steps.append(Part(path, "PReLU", (_array(module.weight).reshape(-1),)))
            g[-1] = PRELU
        elif kind in TORCH_ACTIVATIONS and g and g[-1] == "identity":
            g[-1] = _torch_activation(module, kind)
            steps.append("g")
        else:
            supported = ", ".join(["Linear", *TORCH_ACTIVATIONS, "PReLU", "BatchNorm1d"])
            where = (
                "before any Linear layer or after another activation"
                if kind in (*TORCH_ACTIVATIONS, "PReLU")
                else ""
            )
            raise NNCalcError.at(
                f"cannot represent the module {kind} {where}".strip(),
                hint=f"supported: {supported}, Dropout, Flatten (first); one activation "
                "after each Linear",
            )
    if not g:
        raise NNCalcError.at("the model has no Linear layer")
    layers, _ = read_steps(steps, g, "the model", explicit=True)
    return Network(tuple(layers), name, framework="PyTorch")


def _sequence(model: Any) -> list[tuple[str, Any]]:
    """The modules of an nn.Sequential in the order they run (nested ones flattened);
    refuses any other module, whose forward nncalc cannot see, and a model in training
    mode whose Dropout or BatchNorm computes differently there."""
    from torch import nn

    if not isinstance(model, nn.Sequential):
        raise NNCalcError.at(
            f"a {type(model).__name__} runs its own forward, which nncalc cannot see",
            hint="from_torch reads an nn.Sequential",
        )
    found = list(_leaves(model, nn.Sequential))
    for path, module in found:
        kind = type(module).__name__
        if module.training and (kind.endswith("Dropout") or kind.startswith("BatchNorm")):
            doing = "drops units at random" if "Dropout" in kind else "uses each batch's statistics"
            raise NNCalcError.at(
                f"the model is in training mode: its {kind} '{path}' {doing}",
                hint="call model.eval() first",
            )
    return found


def _leaves(sequential: Any, kind: type, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The modules of a Sequential in the order they run, nested Sequentials opened."""
    for key, module in sequential.named_children():
        if isinstance(module, kind):
            yield from _leaves(module, kind, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", module


def _array(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().double().numpy()


def _batchnorm(path: str, module: Any) -> Any:
    """A BatchNorm1d in eval mode as a Part, with its own ε."""
    from nncalc.interop.sequential import Part

    if module.running_mean is None:
        raise NNCalcError.at(
            f"the BatchNorm1d '{path}' keeps no running statistics (track_running_stats=False): "
            "it normalizes with each batch's own"
        )
    n = module.num_features
    gamma = _array(module.weight) if module.affine else np.ones(n)
    beta = _array(module.bias) if module.affine else np.zeros(n)
    arrays = (gamma, beta, _array(module.running_mean), _array(module.running_var))
    return Part(path, "BatchNorm1d", arrays, eps=float(module.eps))


def _torch_activation(module: Any, kind: str) -> str:
    """The activation a module computes, with its parameters; refuses the settings nncalc
    does not compute."""
    if kind in ("Softmax", "LogSoftmax") and module.dim not in (-1, 1, None):
        raise NNCalcError.at(f"{kind} over dim {module.dim}; nncalc's is over the units")
    g = activations.get(TORCH_ACTIVATIONS[kind])
    if kind == "GELU":
        if module.approximate not in ("none", "tanh"):
            raise NNCalcError.at(f"GELU with approximate={module.approximate!r}")
        g = activations.get("gelu_tanh" if module.approximate == "tanh" else "gelu")
    params = {
        "LeakyReLU": {"alpha": getattr(module, "negative_slope", None)},
        "ELU": {"alpha": getattr(module, "alpha", None)},
        "Softplus": {
            "beta": getattr(module, "beta", None),
            "threshold": getattr(module, "threshold", None),
        },
    }.get(kind, {})
    try:
        return g.with_params(**{k: float(v) for k, v in params.items()}).spec
    except ValueError as e:
        raise NNCalcError.at(f"{kind}: {e}") from None


def _torch_module(g: activations.Activation) -> Any:
    """The torch module computing g."""
    from torch import nn

    kind = {v: k for k, v in TORCH_ACTIVATIONS.items()}.get(g.name, "GELU")
    if g.name in ("softmax", "log_softmax"):
        return getattr(nn, kind)(dim=-1)
    if g.name == "gelu_tanh":
        return nn.GELU(approximate="tanh")
    if g.name == "softplus":
        threshold = g.value("threshold")
        t = TORCH_EXACT_THRESHOLD if threshold is None else threshold
        return nn.Softplus(beta=g.value("beta"), threshold=t)
    if g.name == "leaky_relu":
        return _prelu(g.value("alpha")) if g.per_unit() else nn.LeakyReLU(g.value("alpha"))
    return nn.ELU(g.value("alpha")) if g.name == "elu" else getattr(nn, kind)()


def _prelu(slopes: Any) -> Any:
    """A frozen PReLU with a slope per unit: its weight is the network's, not learned."""
    import torch
    from torch import nn

    module = nn.PReLU(len(slopes)).to(torch.float64)
    with torch.no_grad():
        module.weight.copy_(torch.tensor(slopes, dtype=torch.float64))
    return module.requires_grad_(False)


def to_torch(network: Network) -> Any:
    """An nn.Sequential (float64) computing the same h_Θ(x)."""
    import torch
    from torch import nn

    from nncalc.interop.statedict import state_dict

    tensors = state_dict(network)  # refuses the layers PyTorch has no module for
    modules: list = []
    for layer in network.layers:
        modules.append(nn.Linear(layer.inputs, layer.units, dtype=torch.float64))
        modules.append(_torch_module(layer.g))
    model = nn.Sequential(*modules)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    return model


def from_sklearn(model: Any, name: str | None = None) -> Network:
    """A Network from a fitted MLPClassifier or MLPRegressor (classes named when it has them),
    named after the estimator unless ``name`` is given; or from a Pipeline of scalers
    (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler) then one of those, each
    scaler an affine map of the inputs folded into Θ^(1) in float64."""
    steps = getattr(model, "steps", None)
    if steps is not None:
        net = from_sklearn(steps[-1][1], name)
        theta = net.layers[0].theta
        for step_name, scaler in reversed(steps[:-1]):
            theta = _scaled(theta, step_name, scaler)
        first = Layer(theta, net.layers[0].activation)
        return dataclasses.replace(net, layers=(first, *net.layers[1:]))
    for attribute in ("coefs_", "intercepts_", "out_activation_"):
        if not hasattr(model, attribute):
            raise NNCalcError.at(f"{type(model).__name__} has no {attribute}", hint="fit it first")
    hidden = SKLEARN_ACTIVATIONS.get(model.activation)
    if hidden is None:
        raise NNCalcError.at(f"unknown scikit-learn activation '{model.activation}'")
    count = len(model.coefs_)
    layers = tuple(
        Layer(
            np.column_stack([np.asarray(b, np.float64), np.asarray(W, np.float64).T]),
            hidden if j < count else SKLEARN_ACTIVATIONS[model.out_activation_],
        )
        for j, (W, b) in enumerate(zip(model.coefs_, model.intercepts_, strict=True), start=1)
    )
    classes = getattr(model, "classes_", None)
    names = None
    if classes is not None and len(classes) == layers[-1].units:
        names = tuple(str(c) for c in classes)
    return Network(layers, name or _estimator_name(model), names, framework="scikit-learn")


def _scaled(theta: np.ndarray, name: str, scaler: Any) -> np.ndarray:
    """Θ reading the inputs through a fitted scikit-learn scaler, folded."""
    from nncalc.interop import affine

    kind = type(scaler).__name__
    get = lambda attribute: getattr(scaler, attribute, None)  # noqa: E731
    if kind == "MinMaxScaler" and not get("clip"):
        return affine.before(theta, get("scale_"), get("min_"))  # x·scale + min
    if kind in ("StandardScaler", "RobustScaler", "MaxAbsScaler"):  # (x − center)/scale
        centering, scaling = {
            "StandardScaler": ("with_mean", "with_std"),
            "RobustScaler": ("with_centering", "with_scaling"),
        }.get(kind, ("", ""))
        center = get("mean_" if kind == "StandardScaler" else "center_")
        center = center if get(centering) is not False else None  # fitted, but not used
        scale = get("scale_") if get(scaling) is not False else None
        theta = theta if scale is None else affine.divided(theta, scale)
        return theta if center is None else affine.before(theta, t=-np.asarray(center))
    raise NNCalcError.at(
        f"the pipeline step '{name}' is a {kind}",
        hint="nncalc folds StandardScaler, MinMaxScaler (without clip), MaxAbsScaler and "
        "RobustScaler into the first layer",
    )


def _estimator_name(model: Any) -> str:
    """The estimator as scikit-learn writes it: MLPClassifier(hidden_layer_sizes=(5,))."""
    sizes = getattr(model, "hidden_layer_sizes", None)
    shape = "" if sizes is None else f"hidden_layer_sizes={sizes!r}"
    return f"{type(model).__name__}({shape})"
