"""An independent high-precision forward pass, written with mpmath from the definitions.

Nothing here imports nncalc. Every activation is its textbook formula evaluated with 50
significant digits, so a float64 result can be judged to the last few ulps. Where a
definition cancels (log(1 + e^z) for very negative z, 1 − |g(z)| where g(z) is close to
±1), it is evaluated at ``WIDE_BITS`` of precision instead: enough that every value at or
above float64's smallest subnormal (2^−1074) still comes out with over 100 correct bits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mpmath import mp, mpf

mp.dps = 50

WIDE_BITS = 1074 + 53 + 400
"""Working precision (bits) for definitions that cancel; see the module docstring."""

_ERFC_ASYMPTOTIC = mpf(10) ** 100
"""Beyond this argument mp.erfc fails (an internal float overflow); the series takes over."""

Vector = list[mpf]


def _mpf(v: float | int | str | mpf) -> mpf:
    """A float (or int, string) as an mpf, exactly: mpf(float) keeps every binary digit."""
    return v if isinstance(v, mpf) else mpf(v)


def sigmoid(z: mpf) -> mpf:
    """σ(z) = 1 / (1 + e^−z)."""
    return 1 / (1 + mp.exp(-z))


def tanh(z: mpf) -> mpf:
    return mp.tanh(z)


def relu(z: mpf) -> mpf:
    return z if z > 0 else mpf(0)


def leaky_relu(z: mpf) -> mpf:
    """z for z ≥ 0, z/100 below (the slope is exactly 0.01, not its float64 rounding)."""
    return z if z >= 0 else z / 100


def identity(z: mpf) -> mpf:
    return z


def softplus(z: mpf) -> mpf:
    """log(1 + e^z), taken literally at WIDE_BITS so that 1 + e^z keeps e^z's digits."""
    with mp.workprec(WIDE_BITS):
        value = mp.log(1 + mp.exp(z))
    return +value  # round back to mp.dps


def silu(z: mpf) -> mpf:
    """z·σ(z)."""
    return z * sigmoid(z)


def erfc(x: mpf) -> mpf:
    """The complementary error function; the asymptotic series where mp.erfc gives up.

    For x ≥ 1e100 the series e^(−x²)/(x√π)·(1 − 1/(2x²) + 3/(4x⁴)) is exact to far more
    than 50 digits (the next term is 1e-600 relative).
    """
    if x >= _ERFC_ASYMPTOTIC:
        t = 1 / (2 * x * x)
        return mp.exp(-x * x) / (x * mp.sqrt(mp.pi)) * (1 - t + 3 * t * t)
    if x <= -_ERFC_ASYMPTOTIC:
        return 2 - erfc(-x)
    return mp.erfc(x)


def gelu(z: mpf) -> mpf:
    """z·Φ(z) with the exact normal CDF Φ(z) = erfc(−z/√2)/2."""
    return z * erfc(-z / mp.sqrt(2)) / 2


def step(z: mpf) -> mpf:
    """The Heaviside step: 1 for z ≥ 0, else 0."""
    return mpf(1) if z >= 0 else mpf(0)


def swish(u: mpf, beta: float | mpf = 1) -> mpf:
    """Swish_β(u) = u·σ(βu)."""
    return u * sigmoid(_mpf(beta) * u)


def softmax(z: Sequence[mpf]) -> Vector:
    """e^z_i / Σ_k e^z_k, straight from the definition (mpmath exponents cannot overflow)."""
    e = [mp.exp(_mpf(v)) for v in z]
    total = mp.fsum(e)
    return [v / total for v in e]


ELEMENTWISE: dict[str, Callable[[mpf], mpf]] = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "identity": identity,
    "softplus": softplus,
    "silu": silu,
    "gelu": gelu,
    "step": step,
}

NAMES = [*ELEMENTWISE, "softmax"]
"""Every activation the reference knows."""


def activate(name: str, z: Sequence[float | mpf]) -> Vector:
    """g(z) for one layer's pre-activations z (softmax is over the whole layer)."""
    zs = [_mpf(v) for v in z]
    if name == "softmax":
        return softmax(zs)
    g = ELEMENTWISE[name]
    return [g(v) for v in zs]


def gap(name: str, z: Sequence[float | mpf]) -> Vector:
    """1 − |g(z)| for one layer, at WIDE_BITS so the subtraction loses nothing that matters."""
    with mp.workprec(WIDE_BITS):
        values = [1 - abs(v) for v in activate(name, z)]
    return [+v for v in values]


def affine(theta: Sequence[Sequence[float]], a: Sequence[float | mpf]) -> Vector:
    """Θ·[1; a]: column 0 of Θ multiplies the bias unit, the rest multiply a."""
    a1 = [mpf(1), *(_mpf(v) for v in a)]
    out = []
    for row in theta:
        if len(row) != len(a1):
            raise ValueError(f"a row of theta has {len(row)} entries, expected {len(a1)}")
        out.append(mp.fsum(_mpf(w) * v for w, v in zip(row, a1, strict=True)))
    return out


def forward(
    thetas: Sequence[Sequence[Sequence[float]]],
    activations: Sequence[str | None],
    x: Sequence[float],
    gates: Sequence[Sequence[Sequence[float]] | None] | None = None,
    betas: Sequence[float] | None = None,
) -> list[tuple[Vector, Vector]]:
    """(z^(j+1), a^(j+1)) for each layer j = 1 … L−1, from one example x.

    Layer j computes z = Θ^(j)·[1; a^(j)] and a = g(z); where ``gates[j-1]`` is given the
    layer is SwiGLU, a = z·Swish_β(Θ_gate·[1; a^(j)]) with β = ``betas[j-1]`` (default 1),
    and its activation name is ignored. Everything stays in mpf from layer to layer.
    """
    n = len(thetas)
    gates = list(gates) if gates is not None else [None] * n
    betas = list(betas) if betas is not None else [1.0] * n
    if not len(activations) == len(gates) == len(betas) == n:
        raise ValueError("thetas, activations, gates and betas need one entry per layer")
    a = [_mpf(v) for v in x]
    out = []
    for theta, name, gate, beta in zip(thetas, activations, gates, betas, strict=True):
        z = affine(theta, a)
        if gate is None:
            a = activate(name, z)
        else:
            u = affine(gate, a)
            a = [zi * swish(ui, beta) for zi, ui in zip(z, u, strict=True)]
        out.append((z, a))
    return out


def to_float(values: Sequence[mpf]) -> list[float]:
    """mpf values rounded to the nearest float64 (±0 and subnormals included)."""
    return [float(v) for v in values]
