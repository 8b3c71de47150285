"""Forward propagation of large batches: only h_Θ(x), chunk by chunk, in place.

The same arithmetic as Network.forward, arranged for speed and bounded memory: each
chunk of examples stays in the cache through all layers, activations overwrite z
instead of allocating, and the element-wise work is split across threads (NumPy
releases the GIL), while the matrix products use BLAS's own threads.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from nncalc import activations
from nncalc.errors import NNCalcError
from nncalc.network import Array, Layer, Network

CHUNK_BYTES = 4 * 1024 * 1024
"""About how much of the widest layer one chunk of examples holds."""


def chunk_rows(network: Network) -> int:
    """Examples per chunk: enough to keep BLAS efficient, few enough to stay in cache."""
    widest = max(network.sizes)
    return max(256, CHUNK_BYTES // (8 * widest))


def outputs(
    network: Network, chunks: Iterable[Array], dtype: type = np.float64, threads: int = 2
) -> Iterator[Array]:
    """h_Θ(x) for each chunk of examples (rows), in ``dtype`` (float64 or float32)."""
    steps = [_Step(layer, dtype) for layer in network.layers]
    with ThreadPoolExecutor(threads) as pool:
        for X in chunks:
            a = np.asarray(X, dtype=dtype)
            for j, step in enumerate(steps, start=2):
                a = step(a, pool, threads)
                if not np.isfinite(a).all():
                    raise NNCalcError.at(
                        f"layer {j}: values overflow float64 (beyond ±1.8e308)",
                        network.source,
                        hint="the weights or inputs are too large",
                    )
            yield a


class _Step:
    """One layer, its matrices laid out for a @ Wᵀ."""

    def __init__(self, layer: Layer, dtype: type) -> None:
        self.layer = layer
        self.Wt = np.ascontiguousarray(layer.weights.T, dtype=dtype)
        self.b = layer.bias.astype(dtype)
        if layer.gate is not None:
            self.Vt = np.ascontiguousarray(layer.gate[:, 1:].T, dtype=dtype)
            self.c = layer.gate[:, 0].astype(dtype)

    def __call__(self, a: Array, pool: ThreadPoolExecutor, threads: int) -> Array:
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is checked by the caller
            z = a @ self.Wt
            z += self.b
            if self.layer.gate is not None:
                u = a @ self.Vt
                u += self.c
                return np.multiply(z, activations.swish(u, self.layer.swish_beta), out=z)
            g = self.layer.g
            parts = np.array_split(z, threads) if z.shape[0] >= 64 * threads else [z]
            list(pool.map(lambda part: g(part, out=part), parts))
            return z
