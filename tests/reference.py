"""An independent high-precision forward pass, written with mpmath from the definitions.

Nothing here imports nncalc. Every activation is its textbook formula evaluated with 50
significant digits, so a float64 result can be judged to the last few ulps. Where a
definition cancels (log(1 + e^z) for very negative z, 1 − |g(z)| where g(z) is close to
±1), it is evaluated at ``WIDE_BITS`` of precision instead: enough that every value at or
above float64's smallest subnormal (2^−1074) still comes out with over 100 correct bits.
"""

from __future__ import annotations

import math
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


def leaky_relu(z: mpf, alpha: float | None = None) -> mpf:
    """z for z ≥ 0, α·z below; by default z/100 (exactly 0.01, not its float64 rounding)."""
    if z >= 0:
        return z
    return z / 100 if alpha is None else _mpf(alpha) * z


def relu6(z: mpf) -> mpf:
    return min(max(z, mpf(0)), mpf(6))


def elu(z: mpf, alpha: float = 1.0) -> mpf:
    """z for z > 0, α·(e^z − 1) below, at WIDE_BITS so that e^z − 1 keeps its digits."""
    if z > 0:
        return z
    with mp.workprec(max(WIDE_BITS, mp.prec)):
        value = _mpf(alpha) * (mp.exp(z) - 1)
    return +value


def hardswish(z: mpf) -> mpf:
    """z·min(max(z + 3, 0), 6)/6."""
    return z * min(max(z + 3, mpf(0)), mpf(6)) / 6


def mish(z: mpf) -> mpf:
    """z·tanh(softplus(z))."""
    return z * mp.tanh(softplus(z))


def gelu_tanh(z: mpf) -> mpf:
    """z·(1 + tanh(y))/2, y = √(2/π)·(z + 0.044715·z³), written z·σ(2y) (the same number:
    1 + tanh(y) = 2σ(2y)), which needs no extra precision where 1 + tanh(y) cancels."""
    y = mp.sqrt(2 / mp.pi) * (z + mpf("0.044715") * z**3)
    return z * sigmoid(2 * y)


def identity(z: mpf) -> mpf:
    return z


def softplus(z: mpf, beta: float = 1.0, threshold: float | None = None) -> mpf:
    """log(1 + e^(βz))/β, taken literally at WIDE_BITS so that 1 + e^(βz) keeps e^(βz)'s
    digits; z itself where βz > threshold (PyTorch's), when one is given."""
    b = _mpf(beta)
    if threshold is not None and b * z > threshold:
        return z
    with mp.workprec(max(WIDE_BITS, mp.prec)):
        value = mp.log1p(mp.exp(b * z)) / b  # log1p: e^(βz) may be e^−1e308
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


def log_softmax(z: Sequence[mpf]) -> Vector:
    """z_i − log Σ_k e^z_k, at WIDE_BITS: the top unit's value can be as small as e^−1000."""
    with mp.workprec(max(WIDE_BITS, mp.prec)):
        total = mp.log(mp.fsum(mp.exp(_mpf(v)) for v in z))
        values = [_mpf(v) - total for v in z]
    return [+v for v in values]


ELEMENTWISE: dict[str, Callable[..., mpf]] = {
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "identity": identity,
    "softplus": softplus,
    "silu": silu,
    "gelu": gelu,
    "gelu_tanh": gelu_tanh,
    "elu": elu,
    "relu6": relu6,
    "hardswish": hardswish,
    "mish": mish,
    "step": step,
}
NAMES = [*ELEMENTWISE, "softmax", "log_softmax"]
"""Every activation the reference knows."""


def activate(name: str, z: Sequence[float | mpf], **params: float | tuple) -> Vector:
    """g(z) for one layer's pre-activations z (softmax and log_softmax are over the whole
    layer), with g's parameters (alpha, beta, threshold) as keywords; a tuple gives unit i
    its entry i (a PReLU's slopes)."""
    zs = [_mpf(v) for v in z]
    if name in ("softmax", "log_softmax"):
        return softmax(zs) if name == "softmax" else log_softmax(zs)
    g = ELEMENTWISE[name]
    return [
        g(v, **{k: p[i] if isinstance(p, tuple) else p for k, p in params.items()})
        for i, v in enumerate(zs)
    ]


def gap(name: str, z: Sequence[float | mpf]) -> Vector:
    """1 − |g(z)| for one layer, at WIDE_BITS so the subtraction loses nothing that matters."""
    with mp.workprec(max(WIDE_BITS, mp.prec)):
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
    params: Sequence[dict] | None = None,
) -> list[tuple[Vector, Vector]]:
    """(z^(j+1), a^(j+1)) for each layer j = 1 … L−1, from one example x.

    Layer j computes z = Θ^(j)·[1; a^(j)] and a = g(z), with g's parameters
    ``params[j-1]`` (as ``activate`` takes them); where ``gates[j-1]`` is given the
    layer is SwiGLU, a = z·Swish_β(Θ_gate·[1; a^(j)]) with β = ``betas[j-1]`` (default 1),
    and its activation name is ignored. Everything stays in mpf from layer to layer.
    """
    n = len(thetas)
    gates = list(gates) if gates is not None else [None] * n
    betas = list(betas) if betas is not None else [1.0] * n
    params = list(params) if params is not None else [{}] * n
    if not len(activations) == len(gates) == len(betas) == len(params) == n:
        raise ValueError("thetas, activations, gates and betas need one entry per layer")
    a = [_mpf(v) for v in x]
    out = []
    for theta, name, gate, beta, p in zip(thetas, activations, gates, betas, params, strict=True):
        z = affine(theta, a)
        if gate is None:
            a = activate(name, z, **p)
        else:
            u = affine(gate, a)
            a = [zi * swish(ui, beta) for zi, ui in zip(z, u, strict=True)]
        out.append((z, a))
    return out


def ulps(got: float, exact: mpf) -> float:
    """|got − exact| in ulps of exact: 2^(e − 52) for 2^e ≤ |exact| < 2^(e+1), and 2^−1074
    (the subnormal spacing) below 2^−1022; inf when got is not finite and exact does not
    overflow (0 when both do)."""
    if exact == 0:
        return abs(got) / 2.0**-1074 if math.isfinite(got) else math.inf
    _, exponent = mp.frexp(exact)  # |exact| = m·2^exponent, 1/2 ≤ m < 1
    if exponent - 1 > 1023:
        return 0.0 if math.isinf(got) else math.inf
    if not math.isfinite(got):
        return math.inf
    spacing = mp.ldexp(1, max(int(exponent) - 1 - 52, -1074))
    return float(abs(mpf(got) - exact) / spacing)


def to_float(values: Sequence[mpf]) -> list[float]:
    """mpf values rounded to the nearest float64 (±0 and subnormals included)."""
    return [float(v) for v in values]


def torch_g(torch) -> dict[str, Callable]:
    """Each activation of nncalc (default parameters) as torch computes it in float64."""
    F = torch.nn.functional
    one = torch.ones((), dtype=torch.float64)
    return {
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
        "relu": F.relu,
        "leaky_relu": lambda z: F.leaky_relu(z, 0.01),
        "identity": lambda z: z,
        "softmax": lambda z: F.softmax(z, dim=-1),
        # exact: above 40, z + log(1 + e^−z) rounds to z (e^−40 < ulp(40)/2)
        "softplus": lambda z: F.softplus(z, threshold=40.0),
        "silu": F.silu,
        "gelu": lambda z: F.gelu(z, approximate="none"),
        "step": lambda z: torch.heaviside(z, one),
        "log_softmax": lambda z: F.log_softmax(z, dim=-1),
        "gelu_tanh": lambda z: F.gelu(z, approximate="tanh"),
        "elu": F.elu,
        "relu6": F.relu6,
        "hardswish": F.hardswish,
        "mish": F.mish,
    }


def prime(name: str, z: mpf) -> mpf:
    """g′(z) of an element-wise activation, differentiated numerically from its definition
    at 400 bits (below WIDE_BITS, at which the definitions that cancel work, so that they
    keep every bit diff asks of them)."""
    from mpmath import diff

    with mp.workprec(400):
        value = diff(lambda t: ELEMENTWISE[name](t), _mpf(z))
    return +value


def backward(
    thetas: Sequence[Sequence[Sequence[float]]],
    activations: Sequence[str],
    x: Sequence[float],
    y: Sequence[float],
) -> tuple[dict[int, Vector], dict[int, list[Vector]]]:
    """(δ^(j) for j = 2 … L, D^(j) for j = 1 … L−1) for one example, λ = 0, from the
    definitions: δ^(L) = a^(L) − y (the output's matching loss), δ^(j) = Σ_r Θ_ri^(j)
    δ_r^(j+1)·g′(z_i^(j)) for element-wise hidden layers, D^(j) = δ^(j+1)·[1, a^(j)]."""
    layers = forward(thetas, activations, x)
    a = {1: [_mpf(v) for v in x]}
    z = {}
    for j, (zj, aj) in enumerate(layers, start=2):
        z[j], a[j] = zj, aj
    L = len(thetas) + 1
    output = activations[-1]
    top = [mp.exp(v) for v in a[L]] if output == "log_softmax" else a[L]
    delta = {L: [h - _mpf(t) for h, t in zip(top, y, strict=True)]}
    for j in range(L - 1, 1, -1):
        theta = thetas[j - 1]
        sent = [
            mp.fsum(_mpf(theta[r][i + 1]) * delta[j + 1][r] for r in range(len(theta)))
            for i in range(len(z[j]))
        ]
        g = activations[j - 2]
        delta[j] = [s * prime(g, v) for s, v in zip(sent, z[j], strict=True)]
    D = {j: [[d * v for v in [mpf(1), *a[j]]] for d in delta[j + 1]] for j in range(1, L)}
    return delta, D


# -- checking printed digits against the exact value -------------------------------------

GAP_DIGITS = 2
"""Digits nncalc prints of a gap (1 − 9.5e-19) and of a value below float64's smallest."""
LOG_DIGITS = 3
"""Digits of the logarithm in e^L, nncalc's form of a value whose exponent is huge."""


def plain_text(text: str) -> str:
    """A printed number in ASCII: true minus signs and LaTeX's \\times 10^{n} undone."""
    text = text.replace("−", "-").replace(r"\times 10^", "e").replace("{", "").replace("}", "")
    return text.strip()


def complement(name: str, z: Sequence[float | mpf]) -> Vector:
    """1 − |g(z)| of one layer, from formulas that do not cancel where they can (σ, tanh,
    softmax: 1 − σ(z) = σ(−z), 1 − tanh|z| = 2/(e^(2|z|) + 1), 1 − p_i = Σ_(k≠i) p_k), so
    that a gap of e^−1e308 is there at any precision; 1 − |g(z)| otherwise."""
    zs = [_mpf(v) for v in z]
    if name == "sigmoid":
        return [sigmoid(-v) for v in zs]
    if name == "tanh":
        return [2 / (mp.exp(2 * abs(v)) + 1) for v in zs]
    if name == "softmax":
        top = max(zs)
        e = [mp.exp(v - top) for v in zs]
        total = mp.fsum(e)
        return [mp.fsum(e[:i] + e[i + 1 :]) / total for i in range(len(e))]
    return [1 - abs(v) for v in activate(name, zs)]


def holds(text: str, exact: mpf, p: int, gap: mpf | None = None) -> bool:
    """Whether ``text`` (a number as nncalc prints it at p significant digits) is ``exact``
    correctly rounded to the digits it shows: '0.731059' (p digits, trailing zeros left
    out), '1 − 9.5e-19' and '−1 + 2e-30' (the gap 1 − |exact| to 2 digits), '3.7e-348'
    (below float64's smallest: 2 digits), 'e^-1e+308' (ln |exact| to 3 digits), '0'.

    ``gap`` is 1 − |exact| where the caller has it without cancellation (complement).
    Works at the caller's mpmath precision, which must hold exact well enough."""
    text = plain_text(text)
    if " " in text:  # 1 - gap, or -1 + gap
        first, _, shown = text.split(" ")
        sign = 1 if first == "1" else -1
        gap = 1 - abs(exact) if gap is None else gap
        return exact * sign > 0 and holds(shown, gap, GAP_DIGITS)
    negative = text.startswith("-")
    body = text.lstrip("-")
    if body.startswith("e^"):
        log = mp.log(abs(exact)) if exact else None
        return log is not None and (exact < 0) == negative and holds(body[2:], log, LOG_DIGITS)
    value = mpf(body)
    if value == 0:
        return exact == 0
    if (exact < 0) != negative or exact == 0:
        return False
    digits = p if abs(value) >= mpf(2) ** -1075 else GAP_DIGITS
    e = int(mp.floor(mp.log10(value)))
    if mpf(10) ** e > value:  # log10's own rounding at exact powers of ten
        e -= 1
    half = mpf(10) ** (e - digits + 1) / 2
    below = half / 10 if value == mpf(10) ** e else half  # the smaller spacing below 10^e
    size = abs(exact)
    return value - below <= size <= value + half
