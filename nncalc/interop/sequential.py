"""The network of a PyTorch state_dict: its Linear, BatchNorm1d and PReLU modules, in the
order they run.

A state_dict holds tensors (``0.weight``, ``0.bias``, ``1.running_mean``, ...) but not
the modules without any (activations, Dropout), nor the forward code that joins them. So
nncalc takes only what the file or the user states:

- the order: nn.Sequential's indices (``0``, ``1``, ``3``), ``--order``, or nncalc's own
  metadata. Names that say nothing (``fc1``, ``fc2``) are refused, however their shapes
  chain: a custom forward may add, skip or repeat them.
- what runs between them: two consecutive indices have nothing between them; a gap holds
  modules without tensors. A BatchNorm1d right after a Linear layer normalizes its z and
  is folded into it; one after a gap may follow an activation or a Dropout, which the file
  cannot tell, so it is refused unless ``--order`` says (``g`` marks where a layer's
  activation runs: ``--order 0,g,2,3``). A BatchNorm1d after an activation, or first of
  all, is affine in what the next Linear layer reads and is folded into that one.
- ε: a BatchNorm1d's ε is not in its tensors: ``bn_eps`` gives it.
- the weights: a Linear layer's bias is optional, but one missing where the other layers
  have theirs (and no BatchNorm1d follows, which makes it redundant) is refused, as
  PyTorch's strict ``load_state_dict`` refuses it. ``weight_norm`` (g, v) and pruning's
  ``weight_orig``·``weight_mask`` are computed into the weight.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import NamedTuple

import numpy as np

from nncalc import activations
from nncalc.errors import NNCalcError
from nncalc.interop import affine
from nncalc.network import Array, Layer, Network

ACTIVATION = "g"
"""In an order, where a layer's activation runs."""
PRELU = "prelu"
"""In a list of activations, a layer whose activation is a PReLU module of the file."""
COUNTER = "num_batches_tracked"
"""A BatchNorm's count of training batches, unused in eval mode: never read."""
KINDS = ("weight", "bias", "running_mean", "running_var")
DERIVED = (
    (re.compile(r"(.*)\.parametrizations\.(weight|bias)\.original([01])"), "{1}_{2}"),
    (re.compile(r"(.*)\.(weight|bias)_(orig|mask|g|v)"), "{1}_{2}"),
)
"""Keys of tensors that make a weight or bias: weight_norm's g and v (original0 and
original1 of its parametrization) and pruning's original and mask."""


class Part(NamedTuple):
    """A module of a state_dict: a Linear layer (W, b), a BatchNorm1d (γ, β, μ, σ²) or a
    PReLU (its slopes)."""

    path: str
    kind: str
    arrays: tuple[Array, ...]
    bias: bool = True
    eps: float | None = None
    """A BatchNorm1d's ε, where the model says it (a state_dict does not)."""

    @property
    def inputs(self) -> int:
        return self.arrays[0].shape[1] if self.kind == "Linear" else len(self.arrays[-1])

    @property
    def units(self) -> int:
        return len(self.arrays[0])


class Gap(NamedTuple):
    """Modules without tensors between two indices of nn.Sequential (path: the one before)."""

    path: str


def to_network(
    tensors: Mapping[str, Array],
    g: Sequence[str],
    source: str = "<state_dict>",
    name: str | None = None,
    classes: Sequence[str] | None = None,
    order: Sequence[str] | None = None,
    bn_eps: float | None = None,
) -> Network:
    """The network of the Linear layers in tensors (see the module docstring), with
    activations g: one name for every Linear layer, or one per layer. ``order`` lists the
    modules in the order they run (``g`` where an activation runs), if their names
    (nn.Sequential's indices) do not; ``bn_eps`` is the BatchNorm1d modules' ε."""
    return build(tensors, g, source, name, classes, order, bn_eps)[0]


def build(
    tensors: Mapping[str, Array],
    g: Sequence[str],
    source: str,
    name: str | None,
    classes: Sequence[str] | None,
    order: Sequence[str] | None,
    bn_eps: float | None,
) -> tuple[Network, tuple[str, ...]]:
    """to_network, with nncalc's notes on how it read the state_dict."""
    notes: list[str] = []
    modules = _modules(tensors, source)
    parts = {path: _part(path, module, source, notes) for path, module in modules.items()}
    if not parts:
        raise NNCalcError.at("holds no tensors", source)
    steps = _order(parts, order, source)
    layers, read = read_steps(steps, g, source, bool(order), bn_eps, "as --bn-eps gives it")
    try:
        network = Network(
            tuple(layers), name or _name(source), classes and tuple(classes), framework="PyTorch"
        )
    except NNCalcError as e:
        raise e.within(source) from None
    return network, (*notes, *read)


def read_steps(
    steps: list,
    g: Sequence[str],
    source: str,
    explicit: bool,
    eps: float | None = None,
    said: str = "the module's own",
) -> tuple[list[Layer], list[str]]:
    """The layers of modules in the order they run (Parts, ``g`` where an activation
    runs, Gaps), with activations g (one per Linear layer); and nncalc's notes on them.
    ``explicit``: the order is stated, so a Linear layer after another has its
    activation between them. ``eps`` is the BatchNorm1d modules' ε where they do not
    hold their own, ``said`` where ε comes from, for the notes."""
    reader = _Reader(steps, g, source, eps, explicit)
    layers = reader.layers()
    reader.note(said)
    return layers, reader.notes


def _name(source: str) -> str:
    from pathlib import Path

    return Path(source).name


def _modules(tensors: Mapping[str, Array], source: str) -> dict[str, dict[str, Array]]:
    """The tensors grouped by module path, as float64 arrays, with their kinds."""
    modules: dict[str, dict[str, Array]] = {}
    for key, value in tensors.items():
        prefix, _, kind = key.rpartition(".")
        for pattern, spelled in DERIVED:
            found = pattern.fullmatch(key)
            if found:
                prefix, kind = found[1], spelled.format(*found.groups())
                break
        if kind == COUNTER:
            continue
        if kind not in KINDS and not any(p.fullmatch(key) for p, _ in DERIVED):
            raise NNCalcError.at(
                f"'{_shown(key)}' is not a tensor of a Linear, BatchNorm1d or PReLU module",
                source,
                hint="nncalc reads state_dicts of nn.Sequential stacks of nn.Linear",
            )
        array = np.asarray(value)
        if array.dtype.kind not in "iuf":
            raise NNCalcError.at(
                f"'{_shown(key)}' holds {array.dtype} values, not real numbers", source
            )
        modules.setdefault(prefix, {})[kind] = array.astype(np.float64)
    return modules


def _derived(path: str, module: dict[str, Array], source: str, notes: list[str]) -> dict:
    """The module with weight_norm's and pruning's tensors made into its weight and bias."""
    where = f"the module '{_shown(path)}'"
    for t in ("weight", "bias"):
        orig, mask = module.pop(f"{t}_orig", None), module.pop(f"{t}_mask", None)
        g = _either(module.pop(f"{t}_g", None), module.pop(f"{t}_0", None))
        v = _either(module.pop(f"{t}_v", None), module.pop(f"{t}_1", None))
        whole = (orig is None) == (mask is None) and (g is None) == (v is None)
        if not whole or (t in module and (orig is not None or g is not None)):
            raise NNCalcError.at(f"{where} has part of a pruned or weight_norm {t}", source)
        if orig is not None:
            if orig.shape != mask.shape:
                raise NNCalcError.at(f"{where}: {t}_orig and {t}_mask differ in shape", source)
            module[t] = orig * mask
            notes.append(f"{where}'s {t} is {t}_orig·{t}_mask (pruning), as PyTorch computes it")
        if g is not None:
            module[t] = _weight_norm(g, v, where, source)
            notes.append(
                f"{where}'s {t} is weight_norm's g·v/‖v‖, computed in float64 from the stored "
                "g and v, which rounds as PyTorch's own computation of it does not exactly"
            )
    return module


def _either(a: Array | None, b: Array | None) -> Array | None:
    return a if b is None else b


def _weight_norm(g: Array, v: Array, where: str, source: str) -> Array:
    """g·v/‖v‖, the norm over every axis but the one g keeps (dim=0: each row)."""
    if g.size == 1 and g.ndim in (0, v.ndim):
        axes = None
    elif v.ndim == 2 and g.shape == (v.shape[0], 1):
        axes = 1
    elif v.ndim == 2 and g.shape == (1, v.shape[1]):
        axes = 0
    else:
        raise NNCalcError.at(f"{where}: weight_norm's g of shape {g.shape} for v {v.shape}", source)
    norm = np.sqrt(np.sum(v * v, axis=axes, keepdims=axes is not None))
    return v * (g / norm)


def _part(path: str, module: dict[str, Array], source: str, notes: list[str]) -> Part:
    """A module's tensors, checked: a BatchNorm1d if it has statistics, a PReLU if its
    one weight is a vector, else a Linear layer."""
    where = f"the module '{_shown(path)}'"
    module = _derived(path, module, source, notes)
    W = module.get("weight")
    if "running_mean" in module or "running_var" in module:
        mu, var = module.get("running_mean"), module.get("running_var")
        n = np.shape(mu)[0] if mu is not None and mu.ndim == 1 else None
        gamma, beta = module.get("weight", np.ones(n or 0)), module.get("bias", np.zeros(n or 0))
        if n is None or any(t is None or t.shape != (n,) for t in (var, gamma, beta)):
            raise NNCalcError.at(
                f"{where} is not a BatchNorm1d: its running_mean, running_var, weight and "
                "bias must be vectors of one size",
                source,
            )
        if (var < 0).any():
            raise NNCalcError.at(f"{where} has a negative running_var", source)
        part = Part(path, "BatchNorm1d", (gamma, beta, mu, var))
    elif W is not None and W.ndim == 1 and "bias" not in module:
        part = Part(path, "PReLU", (W,))
    else:
        if W is None or W.ndim != 2:
            found = "no weight" if W is None else f"a weight of shape {W.shape}"
            raise NNCalcError.at(f"{where} has {found}; a Linear layer's is 2-D", source)
        b = module.get("bias", np.zeros(W.shape[0]))
        if b.shape != (W.shape[0],):
            raise NNCalcError.at(
                f"'{_shown(path)}.bias' has shape {b.shape}, expected ({W.shape[0]},)", source
            )
        part = Part(path, "Linear", (W, b), "bias" in module)
    if not all(np.isfinite(t).all() for t in part.arrays):
        raise NNCalcError.at(f"{where} holds NaN or infinite values", source)
    return part


def _order(parts: dict[str, Part], given: Sequence[str] | None, source: str) -> list:
    """The modules in the order they run, with ``g`` (given) or a Gap (between indices
    that are not consecutive) where modules without tensors may run."""
    paths = sorted(parts, key=_natural)
    shown = _shown(",".join(paths))
    if given:
        named = [p for p in given if p != ACTIVATION]
        if sorted(named, key=_natural) != paths:
            raise NNCalcError.at(
                f"the order {_shown(','.join(given))} does not name each module once",
                source,
                hint=f"the modules are {shown}; g marks where an activation runs",
            )
        return [p if p == ACTIVATION else parts[p] for p in given]
    steps: list = [parts[paths[0]]]
    for a, b in pairwise(paths):
        step = _indexed(a, b)
        if step is None:
            raise NNCalcError.at(
                f"the module names ({shown}) do not say the order the layers run in, and "
                "a custom forward may not chain them",
                source,
                hint=f"give it with --order, e.g. --order {shown}; nn.Sequential numbers "
                "its modules",
            )
        steps += [Gap(a)] if step > 1 else []
        steps.append(parts[b])
    return steps


def _indexed(a: str, b: str) -> int | None:
    """How far apart paths a and b are in nn.Sequential's numbering (net.0 and net.2: 2;
    nested 0.2 and 1.0: 2, as the modules between are unknown), None if they do not part
    at indices (fc1 and fc2)."""
    x, y = a.split("."), b.split(".")
    for k, (p, q) in enumerate(zip(x, y, strict=False)):
        if p != q:
            if not all(t.isascii() and t.isdigit() and str(int(t)) == t for t in (p, q)):
                return None
            last = k == len(x) - 1 == len(y) - 1
            return int(q) - int(p) if last else 2
    return None


def _natural(name: str) -> list:
    """A sort key that puts 2.weight before 10.weight."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


class _Reader:
    """Reads layers off the steps of an order: Linear layers, each followed by what folds
    into it, its activation, and what folds into the next."""

    def __init__(
        self, steps: list, g: Sequence[str], source: str, eps: float | None, explicit: bool
    ) -> None:
        self.steps, self.source, self.eps, self.explicit = steps, source, eps, explicit
        linear = [s for s in steps if isinstance(s, Part) and s.kind == "Linear"]
        if not linear:
            raise NNCalcError.at("holds no Linear layer", source)
        self.g = _activations(g, len(linear), source)
        self.thetas: list[Array] = []
        self.parts: list[Part] = []
        self.front: tuple[Array | float, Array | float] | None = None
        """The affine map s ⊙ a + t the next Linear layer reads its a through."""
        self.prelu: dict[int, str] = {}
        self.notes: list[str] = []
        self.folded: dict[str, list[Part]] = {"after": [], "before": []}

    def layers(self) -> list[Layer]:
        phase, gap = "start", False  # start, z (before the activation) or a (after it)
        for step in self.steps:
            if isinstance(step, Gap) or step == ACTIVATION:
                if step == ACTIVATION and phase != "z":
                    raise self._error("g in the order does not follow a Linear layer")
                gap, phase = isinstance(step, Gap), "a" if step == ACTIVATION else phase
                continue
            phase = getattr(self, f"_{step.kind.lower()}")(step, phase, gap)
            gap = False
        if self.front is not None:
            raise self._error(
                f"the BatchNorm1d '{_shown(self.parts[-1].path)}' normalizes the network's "
                "output after its activation; nncalc's output layer is g(z)"
            )
        if not all(np.isfinite(theta).all() for theta in self.thetas):
            raise self._error("folding its BatchNorm1d modules overflows float64")
        missing = [j + 1 for j, g_j in enumerate(self.g) if g_j == PRELU and j not in self.prelu]
        if missing:
            raise self._error(f"{PRELU} given for layer {missing[0]}, which no PReLU follows")
        self._check_biases()
        g = [self.prelu.get(j, g_j) for j, g_j in enumerate(self.g)]
        return [Layer(theta, g_j) for theta, g_j in zip(self.thetas, g, strict=True)]

    def _linear(self, part: Part, phase: str, gap: bool) -> str:
        if self.thetas:
            units = self.thetas[-1].shape[0]
            if part.inputs != units:
                raise self._error(
                    f"'{_shown(part.path)}.weight' reads {part.inputs} units but the layer "
                    f"before it has {units}"
                )
            j = len(self.thetas)
            if phase == "z" and not gap and not self.explicit and self.g[j - 1] != "identity":
                raise self._error(
                    f"nothing runs between the modules '{_shown(self.parts[-1].path)}' and "
                    f"'{_shown(part.path)}' (consecutive indices of an nn.Sequential), but "
                    f"--activations gives {self.g[j - 1]} there; a ModuleList or a custom "
                    "forward may not chain them",
                    hint="give --order if they chain as an nn.Sequential would",
                )
        theta = np.column_stack([part.arrays[1], part.arrays[0]])
        if self.front is not None:
            theta = affine.before(theta, *self.front)
            self.front = None
        self.thetas.append(theta)
        self.parts.append(part)
        return "z"

    def _batchnorm1d(self, part: Part, phase: str, gap: bool) -> str:
        eps = self._epsilon(part)
        if gap:
            raise self._error(
                f"modules without tensors run before the BatchNorm1d '{_shown(part.path)}' "
                "(a gap in the nn.Sequential indices): an activation or a Dropout, which the "
                "file does not say",
                hint="give the order with g where the activation runs: "
                f"--order ...,g,{_shown(part.path)},... (or leave g out if it is a Dropout)",
            )
        units = self.thetas[-1].shape[0] if self.thetas else part.inputs
        if part.inputs != units:
            raise self._error(
                f"the BatchNorm1d '{_shown(part.path)}' normalizes {part.inputs} units but "
                f"the layer before it has {units}"
            )
        if phase == "z":
            self.thetas[-1] = affine.after_batchnorm(self.thetas[-1], *part.arrays, eps)
            self.folded["after"].append(part)
        else:
            s, t = affine.batchnorm(*part.arrays, eps)
            if self.front is not None:  # one BatchNorm1d after another
                s, t = self.front[0] * s, self.front[1] * s + t
            self.front = (s, t)
            self.folded["before"].append(part)
        self.parts.append(part)
        return phase

    def _prelu(self, part: Part, phase: str, gap: bool) -> str:
        if phase != "z" or gap:
            raise self._error(
                f"the PReLU '{_shown(part.path)}' does not follow a Linear layer "
                "(or a BatchNorm1d after one)",
                hint="give --order if it does",
            )
        j = len(self.thetas) - 1
        slopes = part.arrays[0]
        if self.g[j] != PRELU:
            raise self._error(
                f"'{_shown(part.path)}' is a PReLU, the activation of layer {j + 1}, but "
                f"--activations gives {self.g[j]} there",
                hint=f"give {PRELU} for that layer: the file holds its slope",
            )
        units = self.thetas[-1].shape[0]
        if slopes.size not in (1, units):
            raise self._error(
                f"the PReLU '{_shown(part.path)}' has {slopes.size} slopes for the "
                f"{units} units of layer {j + 2}",
                hint="a PReLU has one slope, or one per unit",
            )
        alpha = float(slopes[0]) if slopes.size == 1 else slopes
        self.prelu[j] = activations.get("leaky_relu").with_params(alpha=alpha).spec
        return "a"

    def _epsilon(self, part: Part) -> float:
        eps = self.eps if part.eps is None else part.eps
        if eps is None:
            raise self._error(
                f"'{_shown(part.path)}' is a BatchNorm1d, whose ε a state_dict does not hold",
                hint="give it with --bn-eps (PyTorch's default: --bn-eps 1e-5)",
            )
        if not (math.isfinite(eps) and eps >= 0):
            raise self._error(f"the BatchNorm1d ε {eps!r} is not a finite number ≥ 0")
        if not np.all(part.arrays[3] + eps > 0):
            k = int(np.argmin(part.arrays[3] + eps > 0)) + 1
            raise self._error(f"the BatchNorm1d '{_shown(part.path)}' has σ² + ε = 0 for unit {k}")
        return eps

    def _check_biases(self) -> None:
        """A Linear layer without its bias where the others have theirs, and no
        BatchNorm1d follows it, is a partial state_dict."""
        linear = [p for p in self.parts if p.kind == "Linear"]
        if not any(p.bias for p in linear):
            return
        for k, part in enumerate(self.parts):
            after = self.parts[k + 1] if k + 1 < len(self.parts) else None
            if (
                part.kind == "Linear"
                and not part.bias
                and (after is None or after.kind != "BatchNorm1d")
            ):
                raise self._error(
                    f"'{_shown(part.path)}.bias' is missing, though the other Linear layers "
                    "have theirs: a partial state_dict (PyTorch's strict load_state_dict "
                    "refuses it too)",
                    hint="save the whole model.state_dict()",
                )

    def note(self, said: str) -> None:
        """Say how the BatchNorm1d modules were folded, with their ε."""
        formulas = {
            "after": "are folded into the Linear layer before each: W' = diag(γ/√(σ²+ε))·W, "
            "b' = γ(b − μ)/√(σ²+ε) + β",
            "before": "normalize what the next Linear layer reads and are folded into it: "
            "W' = W·diag(s), b' = b + W·(β − μ·s), s = γ/√(σ²+ε)",
        }
        for where, parts in self.folded.items():
            if parts:
                names = _shown(", ".join(p.path for p in parts))
                eps = ", ".join(dict.fromkeys(repr(self._epsilon(p)) for p in parts))
                self.notes.append(
                    f"the BatchNorm1d {names} (eval mode) {formulas[where]}, in float64 with "
                    f"ε = {eps}, {said}"
                )

    def _error(self, message: str, hint: str | None = None) -> NNCalcError:
        hint = (
            hint
            or "the modules run in the order of their nn.Sequential indices, or as --order says"
        )
        return NNCalcError.at(message, self.source, hint=hint)


def _activations(g: Sequence[str], count: int, source: str) -> list[str]:
    if not g:
        raise NNCalcError.at(
            f"a state_dict does not say its activations; it has {count} Linear layers",
            source,
            hint="give them with --activations, e.g. --activations "
            + ",".join(["relu"] * (count - 1) + ["softmax"]),
        )
    if len(g) not in (1, count):
        raise NNCalcError.at(
            f"{len(g)} activations given for {count} Linear layers",
            source,
            hint="give one for every layer, or one for all",
        )
    names = []
    for name in g:
        if name.strip().lower() == PRELU:
            names.append(PRELU)
            continue
        try:
            names.append(activations.get(name).spec)
        except (KeyError, ValueError) as e:
            raise NNCalcError.at(e.args[0], source) from None
    return names * count if len(names) == 1 else names


def _shown(text: str, width: int = 60) -> str:
    """text from a file, cut to a short excerpt for a message."""
    return text if len(text) <= width else text[: width - 1] + "…"
