"""The largest error of each activation, in ulps of the exact value, on both paths.

    python bench/ulps.py [--samples 3000] [--seed 1] [--between LO HI] [--only NAME]

Not a timing: for every activation, z is drawn with a random exponent over the whole
float64 range (subnormals included: |z| = m·2^e, e uniform in [−1074, 1023]), as many
with e in [−8, 11], where the functions bend (|z| up to 4096), and as many uniform on
[−1100, 1100], where they underflow and overflow; softmax
and log_softmax take rows of 2–8 such numbers. Each result is compared with
tests/reference.py (mpmath, 50 digits, 1,527 bits where the definition cancels), and the
error is counted in ulps of the exact value: 2^(e − 52) for 2^e ≤ |g| < 2^(e+1), and
2^−1074 (the subnormal spacing) below 2^−1022. "numpy" is nncalc.activations, "small" is
nncalc.small's plain Python (the activations it takes). Prints the worst z of each.
--between draws every z uniformly from [LO, HI] instead (a dense look at one region), and
--only measures the cases whose name starts with NAME.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from mpmath import mpf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from nncalc import activations, small  # noqa: E402

import reference as ref  # noqa: E402

LAYERWISE = ("softmax", "log_softmax")


def draws(rng: np.random.Generator, n: int) -> np.ndarray:
    """n numbers m·2^e with random signs: a third with e over the whole range, a third
    with e in [−8, 11], and a third uniform on [−1100, 1100] (where g under- and overflows)."""
    third = n // 3
    wide = rng.integers(-1074, 1024, size=third)
    near = rng.integers(-8, 12, size=third)
    e = np.concatenate([wide, near])
    z = np.ldexp(rng.uniform(1.0, 2.0, size=2 * third), e)  # subnormal below 2^−1022
    z = np.concatenate([z, rng.uniform(0.0, 1100.0, size=n - 2 * third)])
    return np.where(rng.random(n) < 0.5, -z, z)


def cases(rng: np.random.Generator, n: int, draw=draws) -> dict[str, tuple[list, object, object]]:
    """name: (inputs, numpy function, small function or None) for every case measured, z
    drawn by ``draw``(rng, n)."""
    out = {}
    z = draw(rng, n)
    for name, act in activations.ACTIVATIONS.items():
        if name in LAYERWISE:
            continue
        g_small = small.G.get(name)
        out[name] = (
            [[float(v)] for v in z],
            lambda rows, act=act: act(np.array(rows)).ravel(),
            None if g_small is None else lambda rows, g=g_small: [g(r)[0] for r in rows],
        )
    for spec in ("softplus(beta=0.3)", "softplus(beta=2, threshold=1)", "elu(alpha=0.5)"):
        act = activations.get(spec)
        out[spec] = (
            [[float(v)] for v in z],
            lambda rows, act=act: act(np.array(rows)).ravel(),
            None,
        )
    for beta in (1.0, 1.7):
        out[f"swish(beta={beta:g})"] = (
            [[float(v)] for v in z],
            lambda rows, beta=beta: activations.swish(np.array(rows), beta).ravel(),
            None,
        )
    u = draw(rng, n)
    out["swiglu: z·Swish_1(u)"] = (
        [[float(a), float(b)] for a, b in zip(draw(rng, n), u, strict=True)],
        lambda rows: activations.swiglu(*np.array(rows).T),
        None,
    )
    rows = []
    for _ in range(n // 4):
        size = int(rng.integers(2, 9))
        row = draw(rng, size)
        if rng.random() < 0.5:  # a bounded spread: max − min up to about 1,400
            row = np.clip(row, -700.0, 700.0)
        rows.append([float(v) for v in row])
    for name in LAYERWISE:
        act = activations.ACTIVATIONS[name]
        g_small = small.G.get(name)
        out[name] = (
            rows,
            lambda rows, act=act: [act(np.array(r)) for r in rows],
            None if g_small is None else lambda rows, g=g_small: [g(r) for r in rows],
        )
    return out


def exact(name: str, row: list[float]) -> list[mpf]:
    if name in LAYERWISE:
        return ref.activate(name, row)
    if name.startswith("swish"):
        return [ref.swish(mpf(row[0]), float(name[len("swish(beta=") : -1]))]
    if name.startswith("swiglu"):
        return [mpf(row[0]) * ref.swish(mpf(row[1]))]
    if "(" in name:
        base, args = name[:-1].split("(")
        params = {k: float(v) for k, v in (p.split("=") for p in args.split(", "))}
        return ref.activate(base, row, **params)
    return ref.activate(name, row)


def worst(name: str, inputs: list, values) -> tuple[float, list]:
    """The largest error in ulps over every result, and the input row it came from."""
    top, where = 0.0, inputs[0]
    for row, got in zip(inputs, values, strict=True):
        got = np.atleast_1d(np.asarray(got, dtype=np.float64))
        for g, e in zip(got, exact(name, row), strict=True):
            error = ref.ulps(float(g), e)
            if error > top:
                top, where = error, row
    return top, where


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--between", type=float, nargs=2, metavar=("LO", "HI"))
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    print(f"{args.samples} z per activation (rows of 2–8 for softmax: {args.samples // 4})")
    print(f"{'activation':<22} {'numpy':>10} {'small':>10}   worst z (numpy)")
    with np.errstate(all="ignore"):
        draw = draws if args.between is None else lambda rng, n: rng.uniform(*args.between, n)
        for name, (inputs, g_numpy, g_small) in cases(rng, args.samples, draw).items():
            if not name.startswith(args.only):
                continue
            top, where = worst(name, inputs, g_numpy(inputs))
            mine = f"{worst(name, inputs, g_small(inputs))[0]:10.2f}" if g_small else f"{'—':>10}"
            shown = ", ".join(f"{v:.6g}" for v in where)
            print(f"{name:<22} {top:10.2f} {mine}   [{shown}]", flush=True)


if __name__ == "__main__":
    main()
