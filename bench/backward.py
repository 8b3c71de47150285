"""Backpropagation's throughput: `Network.backward` against the textbook NumPy loop and,
when it is installed, torch.autograd in float64, in one process.

    python bench/backward.py [--examples 32768] [--sizes 784 512 512 10] [--runs 5]

A random sigmoid network with one-hot targets and λ = 1. Each run computes every
D^(j) = ∂J/∂Θ^(j) from the examples (a forward pass and a backward pass, the trace
kept); the three take turns, so machine noise hits all alike. Their D agree to 1e-12
(relative to the largest entry of each matrix), checked before the medians and ratios
to the textbook loop are printed.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time
from itertools import pairwise

import numpy as np

from nncalc.network import Layer, Network

LAMBDA = 1.0


def textbook(thetas: list[np.ndarray], X: np.ndarray, Y: np.ndarray) -> list[np.ndarray]:
    """The course's vectorised backpropagation, as a student writes it with NumPy."""
    m = X.shape[0]
    a = [X]
    for theta in thetas:
        a1 = np.hstack([np.ones((m, 1)), a[-1]])
        a.append(1 / (1 + np.exp(-(a1 @ theta.T))))
    delta = a[-1] - Y
    D: list[np.ndarray] = []
    for j in range(len(thetas) - 1, -1, -1):
        a1 = np.hstack([np.ones((m, 1)), a[j]])
        grad = delta.T @ a1 / m
        grad[:, 1:] += LAMBDA / m * thetas[j][:, 1:]
        D.insert(0, grad)
        if j > 0:
            delta = (delta @ thetas[j][:, 1:]) * a[j] * (1 - a[j])
    return D


def autograd(thetas: list[np.ndarray], X: np.ndarray, Y: np.ndarray) -> list[np.ndarray]:
    """The same gradients from torch.autograd, float64, with the stable cross-entropy."""
    import torch

    m = X.shape[0]
    params = [torch.tensor(t, requires_grad=True) for t in thetas]
    a = torch.from_numpy(X)
    for k, theta in enumerate(params):
        z = torch.nn.functional.linear(a, theta[:, 1:], theta[:, 0])
        a = z if k == len(params) - 1 else torch.sigmoid(z)
    F = torch.nn.functional
    J = F.binary_cross_entropy_with_logits(a, torch.from_numpy(Y), reduction="sum")
    J = J / m + LAMBDA / (2 * m) * sum((t[:, 1:] ** 2).sum() for t in params)
    J.backward()
    return [t.grad.numpy() for t in params]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=32768)
    parser.add_argument("--sizes", type=int, nargs="+", default=[784, 512, 512, 10])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    thetas = [
        np.column_stack([rng.normal(0, 0.1, b), rng.normal(0, 1 / np.sqrt(a), (b, a))])
        for a, b in pairwise(args.sizes)
    ]
    net = Network(tuple(Layer(t, "sigmoid") for t in thetas))
    X = rng.random((args.examples, args.sizes[0]))
    Y = np.eye(args.sizes[-1])[rng.integers(0, args.sizes[-1], args.examples)]

    def nncalc_backward() -> list[np.ndarray]:
        grads = net.backward(X, Y, LAMBDA)
        return [grads.D[j] for j in range(1, net.L)]

    contenders = {"textbook NumPy loop": lambda: textbook(thetas, X, Y), "nncalc": nncalc_backward}
    if importlib.util.find_spec("torch"):
        contenders["torch.autograd (float64)"] = lambda: autograd(thetas, X, Y)
    results = {name: run() for name, run in contenders.items()}  # a warm-up run each
    for name, D in results.items():
        for got, expected in zip(D, results["textbook NumPy loop"], strict=True):
            scale = np.abs(expected).max()
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * scale, err_msg=name)
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(args.runs):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["textbook NumPy loop"])
    sizes = "-".join(map(str, args.sizes))
    print(
        f"backward of {args.examples:,} examples through {sizes} (sigmoid), {args.runs} runs, "
        "medians; every D^(j) agrees to 1e-12"
    )
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"  {name:<26} {m:7.3f} s   {m / base:5.2f}× the textbook loop")


if __name__ == "__main__":
    main()
