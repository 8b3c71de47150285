"""How well a network classifies labelled examples: accuracy, the confusion matrix, and
each class's precision and recall, as exact fractions.

The predicted class is the output unit with the largest a^(L) (the first of equals); with
one sigmoid output unit it is 1 where h_Θ(x) ≥ 0.5, that is z^(L) ≥ 0, and 0 below. The
true class is the unit of a one-hot y (or y itself, 0 or 1, for one output unit); other
targets (probabilities, regression) name no class, and then nothing here applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from nncalc.activations import Array
from nncalc.network import Trace


@dataclass(frozen=True)
class Classification:
    """The confusion matrix C (C[t][p]: examples of true class t predicted as p) and the
    class names, in the order of the output units."""

    names: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]

    @property
    def m(self) -> int:
        return sum(map(sum, self.confusion))

    @property
    def correct(self) -> int:
        return sum(row[k] for k, row in enumerate(self.confusion))

    @property
    def accuracy(self) -> Fraction:
        return Fraction(self.correct, self.m)

    def precision(self, k: int) -> Fraction | None:
        """Of the examples predicted as class k (0-based), the share that are; None if none are."""
        predicted = sum(row[k] for row in self.confusion)
        return Fraction(self.confusion[k][k], predicted) if predicted else None

    def recall(self, k: int) -> Fraction | None:
        """Of the examples of class k (0-based), the share predicted so; None if there are none."""
        actual = sum(self.confusion[k])
        return Fraction(self.confusion[k][k], actual) if actual else None


def classify(trace: Trace, Y: Array) -> Classification | None:
    """The classification of the examples of ``trace`` with targets Y, or None when the
    targets are not classes (or the output is not a classifier's)."""
    network = trace.network
    L, K = network.L, network.sizes[-1]
    if K == 1:
        if network.layers[-1].activation != "sigmoid" or not np.isin(Y, (0.0, 1.0)).all():
            return None
        true = Y[:, 0].astype(np.int64)
        predicted = (trace.z[L][:, 0] >= 0).astype(np.int64)
        names: tuple[str, ...] = ("0", "1")
    else:
        if network.activations[-1] == "identity" or not _one_hot(Y):
            return None
        true = np.argmax(Y, axis=1)
        predicted = trace.predictions - 1
        names = tuple(network.output_labels)
    size = len(names)
    counts = np.bincount(true * size + predicted, minlength=size * size).reshape(size, size)
    return Classification(names, tuple(tuple(int(c) for c in row) for row in counts))


def _one_hot(Y: Array) -> bool:
    """Every row is e_k: all 0 but one 1."""
    return bool(np.isin(Y, (0.0, 1.0)).all() and (Y.sum(axis=1) == 1).all())
