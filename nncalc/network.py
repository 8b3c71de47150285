"""The network model and forward propagation, in the lecture's notation.

Layers are numbered from 1 (the input). Θ^(j) maps layer j to layer j+1; its column 0
holds the biases, so z^(j+1) = Θ^(j)·[1; a^(j)] and a^(j+1) = g(z^(j+1)). Examples are
the rows of a batch: a^(j) has one row per example and one column per unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from nncalc import activations, bounds, small
from nncalc.activations import Array
from nncalc.errors import NNCalcError, excerpt

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

    from nncalc.backprop import Gradients


@dataclass(frozen=True, eq=False)
class Layer:
    """Θ^(j), the step from layer j (s_j units) to layer j+1 (s_(j+1) units).

    ``theta`` is s_(j+1) × (s_j + 1) with the biases in column 0. A SwiGLU layer also
    has ``gate`` (V with c in column 0, the same shape) and computes
    a^(j+1) = z^(j+1) * Swish_β(Θ_gate·[1; a^(j)]); ``beta`` None means the fixed β = 1,
    a number means a learned β, which counts as a parameter. ``activation`` is a name,
    with parameters when they are not the defaults ('leaky_relu(alpha=0.2)', see
    ``activations.get``), or an ``activations.Activation``; it is kept as that canonical text.
    """

    theta: Array
    activation: str = "sigmoid"
    gate: Array | None = None
    beta: float | None = None

    def __post_init__(self) -> None:
        theta = _matrix(self.theta, "theta")
        object.__setattr__(self, "theta", theta)
        if self.gate is None:
            g = activations.get(self.activation)
            object.__setattr__(self, "activation", g.spec)
            if g.per_unit() not in (None, self.units):
                raise NNCalcError.at(
                    f"{g.spec} has {g.per_unit()} values for {self.units} units",
                    hint="give one number, or one per unit",
                )
            return
        gate = _matrix(self.gate, "gate")
        if gate.shape != theta.shape:
            raise NNCalcError.at(
                f"gate has shape {gate.shape}, theta {theta.shape}; they must match"
            )
        object.__setattr__(self, "gate", gate)
        object.__setattr__(self, "activation", activations.SWIGLU)

    @classmethod
    def from_weights(
        cls, weights: ArrayLike, bias: ArrayLike, activation: str = "sigmoid"
    ) -> Layer:
        """A layer from W (s_(j+1) × s_j) and b (s_(j+1)), the PyTorch spelling."""
        return cls(join_bias(weights, bias), activation)

    @property
    def units(self) -> int:
        """s_(j+1), the units this layer produces."""
        return self.theta.shape[0]

    @property
    def inputs(self) -> int:
        """s_j, the units this layer reads (the bias unit not counted)."""
        return self.theta.shape[1] - 1

    @property
    def bias(self) -> Array:
        return self.theta[:, 0]

    @property
    def weights(self) -> Array:
        return self.theta[:, 1:]

    @property
    def g(self) -> activations.Activation | None:
        """The activation function, or None for SwiGLU (see ``forward``)."""
        return None if self.gate is not None else activations.get(self.activation)

    @property
    def g_name(self) -> str:
        """g's name without its parameters ('leaky_relu'), or 'swiglu'."""
        return (
            activations.SWIGLU if self.gate is not None else activations.get(self.activation).name
        )

    @property
    def params(self) -> dict[str, float]:
        """g's parameters that differ from their defaults ({'alpha': 0.2})."""
        return {} if self.gate is not None else dict(activations.get(self.activation).values)

    @property
    def swish_beta(self) -> float:
        """β of Swish_β in a SwiGLU layer: the given one, or 1."""
        return 1.0 if self.beta is None else self.beta

    def forward(
        self, a: Array, j: int | None = None, source: str | None = None
    ) -> tuple[Array, Array | None, Array]:
        """(z, gate pre-activation or None, a) of layer j (this layer's output), from
        a^(j−1); a sum whose float64 evaluation overflowed is recomputed exactly
        (exact_where_overflowed), and one whose value (or g's) overflows raises."""
        with np.errstate(over="ignore", invalid="ignore"):
            z = exact_where_overflowed(
                a @ self.theta[:, 1:].T + self.theta[:, 0], self.theta, a, j, source
            )
            u = None
            if self.gate is None:
                out = self.g(z)
            else:
                u = a @ self.gate[:, 1:].T + self.gate[:, 0]
                u = exact_where_overflowed(u, self.gate, a, j, source)
                out = activations.swiglu(z, u, self.swish_beta)
        check_finite(out, j or 0, source)  # g itself may overflow: α·z, z·swish(u)
        return z, u, out


@dataclass(frozen=True, eq=False)
class Network(small.Shape):
    """A fully connected network: its layers Θ^(1) … Θ^(L−1) and optional examples."""

    layers: tuple[Layer, ...]
    name: str | None = None
    classes: tuple[str, ...] | None = None
    inputs: Array | None = None
    input_names: tuple[str | None, ...] = ()
    source: str | None = field(default=None, repr=False)
    framework: str | None = None
    """The tool the network comes from (one of FRAMEWORKS), whose class indices count from
    0: its predictions also give that index."""

    def __post_init__(self) -> None:
        if self.framework is not None:
            object.__setattr__(self, "framework", framework(self.framework))
        layers = tuple(self.layers)
        if not layers:
            raise NNCalcError.at("a network needs at least one layer")
        for j, (prev, layer) in enumerate(pairwise(layers), start=2):
            if layer.inputs != prev.units:
                raise NNCalcError.at(
                    f"Θ^({j}) has {layer.inputs + 1} columns, expected {prev.units + 1} "
                    f"({prev.units} units in layer {j} + 1 bias)"
                )
        if self.classes is not None and len(self.classes) != layers[-1].units:
            raise NNCalcError.at(
                f"{len(self.classes)} classes named for {layers[-1].units} output units"
            )
        object.__setattr__(self, "layers", layers)
        if self.inputs is not None:
            object.__setattr__(self, "inputs", self.batch(self.inputs))

    def summary(self) -> str:
        """Each layer's units s_j, g, Θ^(j) shape and parameters, as plain text."""
        from nncalc.summary import text

        return text(self)

    def __repr__(self) -> str:
        return self.summary()

    @classmethod
    def from_thetas(cls, *thetas: ArrayLike, activation: str = "sigmoid", **kw) -> Network:
        """A network from Θ^(1), Θ^(2), …, all with the same activation g."""
        return cls(tuple(Layer(np.asarray(t, dtype=np.float64), activation) for t in thetas), **kw)

    @property
    def output_labels(self) -> list[str]:
        """A name for each output unit: the class names, or h_1 … h_K."""
        if self.classes:
            return list(self.classes)
        return [f"h_{i}" for i in range(1, self.sizes[-1] + 1)]

    def index(self, unit: int) -> str | None:
        """ "index 2 in PyTorch": output unit 3 as the framework it comes from counts its
        classes (from 0); None for a network of no framework."""
        return None if self.framework is None else f"index {unit - 1} in {self.framework}"

    def theta(self, j: int) -> Array:
        """Θ^(j), for j = 1 … L−1."""
        if not 1 <= j < self.L:
            raise IndexError(f"Θ^({j}) does not exist; this network has Θ^(1) … Θ^({self.L - 1})")
        return self.layers[j - 1].theta

    def batch(self, x: ArrayLike) -> Array:
        """x as a float64 batch of examples (rows), checked against s_1; x itself (not a
        copy) when it is one already, as a large batch's trace keeps it as a^(1)."""
        X = np.asarray(x, dtype=np.float64)
        if X.ndim < 2:
            X = X.reshape((1,) * (2 - X.ndim) + X.shape)
        s1 = self.sizes[0]
        if X.ndim != 2 or X.shape[1] != s1:
            got = X.shape[-1] if X.ndim == 2 else X.shape
            raise NNCalcError.at(f"an example has {got} inputs, expected s_1 = {s1}")
        if X.size and not (np.isfinite(X.max()) and np.isfinite(X.min())):  # no mask needed
            raise NNCalcError.at("inputs must be finite numbers, not NaN or infinity")
        return X

    def forward(self, x: ArrayLike) -> Trace:
        """Forward propagation: every z^(j) and a^(j) for a batch (or one vector) x.

        Small work goes through nncalc.small (each z exactly rounded), large through BLAS,
        a chunk of examples per thread (nncalc.batch.trace).
        """
        X = self.batch(x)
        if self.small_work(len(X)):
            return self._forward_small(X)
        from nncalc.batch import trace

        z, a, gate = trace(self, X)
        return Trace(self, a, z, gate)

    def _forward_small(self, X: Array) -> Trace:
        thetas = [layer.theta.tolist() for layer in self.layers]
        zs, as_ = small.forward(thetas, self.activations, X.tolist(), self.source)
        a, z = {1: X}, {}
        for j, (layer, zj, aj) in enumerate(zip(self.layers, zs, as_, strict=True), start=2):
            z[j] = np.array(zj, dtype=np.float64).reshape(len(X), layer.units)
            a[j] = np.array(aj, dtype=np.float64).reshape(len(X), layer.units)
        return Trace(self, a, z, {}, rounded=True)

    def __call__(self, x: ArrayLike) -> Array:
        """h_Θ(x), the output layer's activations."""
        return self.forward(x).output

    def cost(self, X: ArrayLike, Y: ArrayLike, lam: float = 0.0, loss: str | None = None) -> float:
        """J(Θ) on examples X (rows) with targets Y (a row y^(i) each), regularised by λ =
        ``lam``; the loss is the output g's matching one (see nncalc.cost)."""
        from nncalc.cost import cost

        return cost(self.forward(X), Y, lam, loss).J

    def backward(
        self, X: ArrayLike, Y: ArrayLike, lam: float = 0.0, loss: str | None = None
    ) -> Gradients:
        """Backpropagation: δ^(j), Δ^(j) and D^(j) = ∂J/∂Θ^(j) as ``delta[j]``, ``Delta[j]``
        and ``D[j]`` (see nncalc.backprop), from one forward pass over X."""
        from nncalc.backprop import backward

        return backward(self.forward(X), Y, lam, loss)

    def to_torch(self):  # -> torch.nn.Sequential
        """The same network as a float64 torch.nn.Sequential (see nncalc.interop)."""
        from nncalc.interop.frameworks import to_torch

        return to_torch(self)

    def to_onnx(self):  # -> onnx.ModelProto
        """The same network as a float64 ONNX model (see nncalc.onnxwrite)."""
        from nncalc.interop.onnxwrite import to_onnx

        return to_onnx(self)


@dataclass(frozen=True, eq=False)
class Trace:
    """Everything forward propagation computed, indexed by the lecture's layer j.

    ``a[j]`` is a^(j) for j = 1 … L (a[1] is the input x) and ``z[j]`` is z^(j) for
    j = 2 … L; each has one row per example. ``gate[j]`` holds Θ_gate·[1; a^(j−1)]
    for SwiGLU layers. Bias units are not stored: a_0^(j) = 1 always.
    """

    network: Network
    a: dict[int, Array]
    z: dict[int, Array]
    gate: dict[int, Array]
    rounded: bool = False
    """Whether every z is exactly rounded (nncalc.small's path), not only within γ_n."""
    _bounds: dict = field(default_factory=dict, init=False, repr=False)
    shown: dict = field(default_factory=dict, init=False, repr=False)
    """The examples as the renderers show them (nncalc.render.digits), once worked out."""

    def bounds(self) -> dict[int, tuple[Array, Array, Array, Array | None]]:
        """For each layer j = 2 … L, (|δz|, spread, |δa|, |δu| or None), one row per
        example: how far each computed z, a and gate u may be from its exact value, and
        how far δz alone may move a (nncalc.bounds, here over whole arrays)."""
        if not self._bounds:
            with np.errstate(all="ignore"):  # a bound may be inf: the digits then come exactly
                self._bound_layers()
        return self._bounds

    def _bound_layers(self) -> None:
        da = np.zeros_like(self.a[1])
        for j, layer in enumerate(self.network.layers, start=2):
            dz = self._z_bound(layer.theta, j, da, self.z[j])
            du = None if layer.gate is None else self._z_bound(layer.gate, j, da, self.gate[j])
            moved = _spread(layer, self.z[j], dz, self.a[j], self.gate.get(j), du)
            exact = layer.g_name in bounds.EXACT
            own = 0.0 if exact else 16 * bounds.U * np.abs(self.a[j]) + 8 * bounds.TINY
            da = (moved + own) * bounds.MARGIN
            self._bounds[j] = (dz, moved, da, du)

    def _z_bound(self, theta: Array, j: int, da: Array, z: Array) -> Array:
        W = np.abs(theta[:, 1:])
        if self.rounded:
            own = bounds.U * np.abs(z) + bounds.TINY
        else:
            own = small.gamma(theta.shape[1]) * (np.abs(self.a[j - 1]) @ W.T + np.abs(theta[:, 0]))
        return (da @ W.T + own) * bounds.MARGIN

    @property
    def output(self) -> Array:
        """h_Θ(x) = a^(L), one row per example."""
        return self.a[self.network.L]

    @property
    def predictions(self) -> NDArray[np.int64]:
        """The predicted class of each example: the unit (1-based) with the largest output."""
        return np.argmax(self.output, axis=1) + 1

    def z_bound(self, j: int, k: int | slice = slice(None)) -> Array:
        """The float64 rounding bound of each z_i^(j) (j = 2 … L) of example(s) k.

        z_i^(j) = Σ_m Θ_im^(j−1)·a_m^(j−1) has n = s_(j−1) + 1 terms (the bias with
        a_0 = 1); computed in float64 in any order, it is within
        γ_n·Σ_m |Θ_im^(j−1)·a_m^(j−1)| of the exact sum, where γ_n = n·u/(1 − n·u) and
        u = 2^-53 (Higham, Accuracy and Stability of Numerical Algorithms, 3.1). A z below
        its bound is 0 to the precision of the computation.
        """
        theta = np.abs(self.network.layers[j - 2].theta)
        a = np.abs(self.a[j - 1][k])
        return small.gamma(theta.shape[1]) * (a @ theta[:, 1:].T + theta[:, 0])

    def __len__(self) -> int:
        return self.a[1].shape[0]


def _spread(
    layer: Layer, z: Array, dz: Array, a: Array, u: Array | None, du: Array | None
) -> Array:
    """bounds.spread (or its layer-wise and SwiGLU forms) over whole arrays."""
    if u is not None:
        f = np.frompyfunc(lambda *v: bounds.swiglu_spread(*v, layer.swish_beta), 4, 1)
        return f(z, dz, u, du).astype(np.float64)
    if small.over_layer(layer.g_name):
        rows = zip(z.tolist(), dz.tolist(), a.tolist(), strict=True)
        return np.array([bounds.layer_spread(layer.g_name, *row) for row in rows]).reshape(z.shape)
    g = layer.g
    units = [dict(g.unit(i).values) for i in range(layer.units)]  # PReLU: a slope each
    rows = zip(
        z.reshape(-1, layer.units).tolist(), dz.reshape(-1, layer.units).tolist(), strict=True
    )
    spread = [
        [bounds.spread(g.name, p, v, d) for p, v, d in zip(units, zr, dr, strict=True)]
        for zr, dr in rows
    ]
    return np.array(spread, dtype=np.float64).reshape(z.shape)


FRAMEWORKS = ("PyTorch", "ONNX", "scikit-learn")
"""The tools a network can come from, as written in a network file's ``framework``."""


def framework(name: str) -> str:
    """The framework called name (in any case); NNCalcError for another."""
    found = {f.lower(): f for f in FRAMEWORKS}.get(str(name).strip().lower())
    if found is None:
        known = ", ".join(FRAMEWORKS)
        raise NNCalcError.at(f"unknown framework {excerpt(str(name))}; known: {known}")
    return found


def join_bias(weights: ArrayLike, bias: ArrayLike) -> Array:
    """Θ = [b | W] from W (rows × inputs) and b (rows)."""
    W = np.array(weights, dtype=np.float64, ndmin=2)
    b = np.asarray(bias, dtype=np.float64).reshape(-1)
    if W.ndim != 2 or b.shape[0] != W.shape[0]:
        raise NNCalcError.at(f"bias has {b.shape[0]} entries, expected {W.shape[0]} (one per unit)")
    return np.column_stack([b, W])


def _matrix(m: ArrayLike, what: str) -> Array:
    M = np.array(m, dtype=np.float64, ndmin=2)
    if M.ndim != 2 or M.shape[0] < 1 or M.shape[1] < 2:
        raise NNCalcError.at(
            f"{what} has shape {M.shape}; expected units × (inputs + 1), bias in column 0"
        )
    if not np.isfinite(M).all():
        raise NNCalcError.at(f"{what} must hold finite numbers, not NaN or infinity")
    return M


def exact_where_overflowed(
    z: Array, theta: Array, a: Array, j: int | None, source: str | None
) -> Array:
    """z = a @ Θ[:, 1:]ᵀ + Θ[:, 0] with each entry that is not finite recomputed exactly:
    BLAS overflows on the way to a representable sum (1e308 + 1e308 − 1e308); the exact
    sum is rounded once (small.exact_dot), and raises if it too overflows."""
    if z.size and np.isfinite(z.max()) and np.isfinite(z.min()):
        return z
    for k, i in zip(*np.nonzero(~np.isfinite(z)), strict=True):
        z[k, i] = small.exact_dot(theta[i].tolist(), a[k].tolist(), j or 0, source)
    return z


def check_finite(values: Array, j: int, source: str | None) -> None:
    """Raise if layer j's values overflowed; NaN and ±inf show in the extremes, so two
    reductions find them without a temporary array."""
    if values.size and not (np.isfinite(values.max()) and np.isfinite(values.min())):
        raise small.overflow(j, source)
