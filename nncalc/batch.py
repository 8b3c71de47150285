"""Forward propagation of large batches: only h_Θ(x), chunk by chunk, in place.

The same arithmetic as Network.forward, arranged for speed and bounded memory: one
worker thread per core takes whole chunks of examples through every layer (NumPy
releases the GIL), with BLAS held to one thread per worker so the cores are not
oversubscribed; activations overwrite z a cache-sized block at a time instead of
allocating; and only a few chunks are in flight, whatever the size of the input.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import numpy as np

from nncalc import activations
from nncalc.network import Array, Layer, Network, check_finite, exact_where_overflowed

CHUNK_BYTES = 16 * 1024 * 1024
"""About how much of the widest layer one chunk of examples holds."""

BLOCK_BYTES = 256 * 1024
"""About how much of a layer the element-wise work takes at a time: small enough for L2."""


MAX_CHUNK_ROWS = 16384


def chunk_rows(network: Network) -> int:
    """Examples per chunk: large blocks for the matrix products, bounded for memory."""
    return min(MAX_CHUNK_ROWS, max(256, CHUNK_BYTES // (8 * max(network.sizes))))


def outputs(
    network: Network, chunks: Iterable[Array], dtype: type = np.float64, workers: int = 0
) -> Iterator[Array]:
    """h_Θ(x) for each chunk of examples (rows), in order, in ``dtype`` (float64 or float32).

    ``workers`` threads (default: one per core) each take a chunk through every layer.
    """
    workers = workers or os.cpu_count() or 1
    steps = _steps(network, dtype)

    def run(X: Array) -> Array:
        if dtype is np.float64 and network.small_work(len(X)):
            return network.forward(X).output  # the tables' bits
        a = np.asarray(X, dtype=dtype)
        for step in steps:
            a = step(a)
        return a

    with one_blas_thread(workers > 1), ThreadPoolExecutor(workers) as pool:
        pending: deque = deque()
        for X in chunks:
            pending.append(pool.submit(run, X))
            if len(pending) > workers:  # bounded: the input may be larger than memory
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def trace(
    network: Network, X: Array, workers: int = 0
) -> tuple[dict[int, Array], dict[int, Array], dict[int, Array]]:
    """Every z^(j) and a^(j) (and SwiGLU's gate pre-activations) of the examples X, as
    Network.forward keeps them: arrays allocated once and filled a chunk of examples at a
    time, by ``workers`` threads (default: one per core)."""
    m = len(X)
    rows = chunk_rows(network)
    workers = max(1, min(workers or os.cpu_count() or 1, -(-m // rows)))
    a, z, gate = {1: X}, {}, {}
    for j, layer in enumerate(network.layers, start=2):
        z[j] = np.empty((m, layer.units))
        a[j] = np.empty((m, layer.units))
        if layer.gate is not None:
            gate[j] = np.empty((m, layer.units))
    steps = [
        _Step(layer, j, network.source, np.float64) for j, layer in enumerate(network.layers, 2)
    ]

    def run(start: int) -> None:
        part = slice(start, start + rows)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught by check()
            for step in steps:
                step.into(a[step.j - 1][part], z[step.j][part], a[step.j][part], gate, part)

    with one_blas_thread(workers > 1), ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, range(0, m, rows)))
    return z, a, gate


def _steps(network: Network, dtype: type) -> list[_Step]:
    return [_Step(layer, j, network.source, dtype) for j, layer in enumerate(network.layers, 2)]


def one_blas_thread(wanted: bool):
    """BLAS held to one thread: the workers are the parallelism."""
    if not wanted:
        return nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


class _Step:
    """Layer j, its matrices laid out for a @ Wᵀ."""

    def __init__(self, layer: Layer, j: int, source: str | None, dtype: type) -> None:
        self.layer, self.j, self.source = layer, j, source
        self.Wt = np.ascontiguousarray(layer.weights.T, dtype=dtype)
        self.b = layer.bias.astype(dtype)
        if layer.gate is not None:
            self.Vt = np.ascontiguousarray(layer.gate[:, 1:].T, dtype=dtype)
            self.c = layer.gate[:, 0].astype(dtype)

    def __call__(self, a: Array) -> Array:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is caught by check()
            a = self.forward(a)
        check_finite(a, self.j, self.source)  # g itself may overflow: α·z, z·swish(u)
        return a

    def forward(self, a: Array) -> Array:
        z = a @ self.Wt
        if self.layer.gate is None:
            self.activate(z, a)
            return z
        u = a @ self.Vt
        u += self.c
        z += self.b
        self.check(z, self.layer.theta, a)
        self.check(u, self.layer.gate, a)
        z[...] = activations.swiglu(z, u, self.layer.swish_beta)
        return z

    def activate(self, z: Array, a: Array) -> None:
        """z += b, then g(z) in place, a cache-sized block of rows at a time."""
        rows = max(1, BLOCK_BYTES // (z.itemsize * z.shape[1]))
        g = self.layer.g
        for start in range(0, z.shape[0], rows):
            block = z[start : start + rows]
            block += self.b
            self.check(block, self.layer.theta, a[start : start + rows])
            g(block, out=block)

    def into(self, a: Array, z: Array, out: Array, gate: dict[int, Array], rows: slice) -> None:
        """z and a^(j) of one chunk of examples into z and out (and the gate's u)."""
        np.matmul(a, self.Wt, out=z)
        z += self.b
        self.check(z, self.layer.theta, a)
        if self.layer.gate is None:
            self.layer.g(z, out=out)
        else:
            u = gate[self.j][rows]
            np.matmul(a, self.Vt, out=u)
            u += self.c
            self.check(u, self.layer.gate, a)
            out[...] = activations.swiglu(z, u, self.layer.swish_beta)
        check_finite(out, self.j, self.source)

    def check(self, z: Array, theta: Array, a: Array) -> None:
        """A z whose sum overflowed on the way is recomputed exactly; one whose value
        overflows raises (network.exact_where_overflowed)."""
        exact_where_overflowed(z, theta, a, self.j, self.source)
