"""One-hot vectors and decoded classes as the terminal and JSON show them."""

from __future__ import annotations

from typing import Any

from nncalc.onehot import Classes, Decoded
from nncalc.render.escape import terminal


def lines(given: list, Y: list[list[int]]) -> list[str]:
    """'3 → e_3 = [0 0 1 0]', a line per label (k counts the units of h_Θ(x), from 1)."""
    return [
        f"{terminal(str(label))} → e_{y.index(1) + 1} = [{' '.join(map(str, y))}]"
        for label, y in zip(given, Y, strict=True)
    ]


def document(k: Classes, given: list, Y: list[list[int]]) -> dict[str, Any]:
    """The --json document of onehot."""
    return {"classes": k.labels, "labels": [k.label(k.index(g)) for g in given], "onehot": Y}


def decoded_line(found: Decoded) -> str:
    """'car    (unit 2, one-hot)', with the tied units where argmax took the first."""
    how = "one-hot" if found.one_hot else "argmax"
    if found.ties:
        units = ", ".join(map(str, found.ties))
        how += f"; tied with unit{'s' * (len(found.ties) > 1)} {units}, the first is taken"
    return f"{terminal(str(found.label))}    (unit {found.k}, {how})"


def decoded_document(found: Decoded) -> dict[str, Any]:
    """The --json document of onehot --decode."""
    return {"label": found.label, "unit": found.k, "one_hot": found.one_hot, "tied": found.tied}


def expectation(ok: bool, expected: str) -> str:
    """The line that says whether --expect held."""
    return "✓ as expected" if ok else f"✗ expected {terminal(expected)}"
