"""J(Θ) and how well a network classifies, as text and Rich tables."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from nncalc.cost import Cost
from nncalc.metrics import Classification
from nncalc.render import style
from nncalc.render.numbers import certain, fmt


def report(cost: Cost, found: Classification | None, precision: int = 6) -> Group:
    """J with its parts, then the accuracy, the confusion matrix and each class's
    precision and recall (or why there are none)."""
    parts: list[RenderableType] = [Text(line) for line in cost_lines(cost, precision)]
    if found is None:
        parts.append(Text("no accuracy: the labels are not classes (one-hot rows or class labels)"))
        return Group(*parts)
    parts.append(Text(f"accuracy: {ratio(found.correct, found.m)}", style="bold"))
    parts += [Text(""), confusion(found), per_class(found)]
    return Group(*parts)


def cost_lines(cost: Cost, precision: int = 6) -> list[str]:
    """J's formula (the loss, and λ's term when λ > 0), its parts and its value, each
    to the digits its error bound leaves certain."""
    what = f"{cost.loss.title}, m = {cost.m:,}, λ = {fmt(cost.lam, precision)}"
    lines = [f"J(Θ) = {cost.loss.formula}"]
    if cost.lam:
        lines.append("       + (λ/2m) Σ_j Σ_i Σ_(m≥1) (Θ_im^(j))²")
        data = J_text(cost, precision, cost.data)
        lines.append(f"     = {data} + {fmt(cost.regularisation, precision)}")
    return [*lines, f"     = {J_text(cost, precision)}   ({what})"]


def J_text(cost: Cost, precision: int, value: float | None = None) -> str:
    """J (or its data part) to the digits its bound leaves certain, marked * when fewer
    than ``precision``; see certain()."""
    text, marked = certain(cost.J if value is None else value, cost.error, precision)
    return text + (" *" if marked else "")


def step_lines(costs: list[Cost]) -> list[str]:
    """J before and after gradient descent, to 10 digits (those certain)."""
    steps = len(costs) - 1
    return [
        f"J(Θ) before: {J_text(costs[0], 10)}",
        f"J(Θ) after {steps} step{'s' * (steps > 1)}: {J_text(costs[-1], 10)}",
    ]


def ratio(part: int, whole: int) -> str:
    """'3 of 4 = 0.75': an exact fraction and its value to 6 digits."""
    return f"{part:,} of {whole:,} = {fmt(float(Fraction(part, whole)))}"


def confusion(found: Classification):
    """C[t][p]: a row per true class, a column per predicted class."""
    table = style.table("confusion matrix")
    table.add_column("true \\ predicted")
    for name in found.names:
        table.add_column(style.text(name), justify="right")
    for name, row in zip(found.names, found.confusion, strict=True):
        table.add_row(name, *(f"{c:,}" for c in row))
    return table


def per_class(found: Classification):
    """Each class's precision and recall, as fractions of counts."""
    table = style.table("per class")
    for header in ("class", "precision", "recall"):
        table.add_column(header)
    for k, name in enumerate(found.names):
        predicted = sum(row[k] for row in found.confusion)
        actual = sum(found.confusion[k])
        hit = found.confusion[k][k]
        p = ratio(hit, predicted) if predicted else "— (never predicted)"
        r = ratio(hit, actual) if actual else "— (no example)"
        table.add_row(name, p, r)
    return table


def document(cost: Cost, found: Classification | None) -> dict[str, Any]:
    """The ``--json`` document of ``nncalc cost``."""
    result: dict[str, Any] = {
        "J": cost.J,
        "data": cost.data,
        "regularisation": cost.regularisation,
        "loss": cost.loss.name,
        "lambda": cost.lam,
        "m": cost.m,
    }
    if found is not None:
        result["accuracy"] = {"correct": found.correct, "m": found.m}
        result["classes"] = list(found.names)
        result["confusion"] = [list(row) for row in found.confusion]
        result["precision"] = [_share(found.precision(k)) for k in range(len(found.names))]
        result["recall"] = [_share(found.recall(k)) for k in range(len(found.names))]
    return result


def _share(value: Fraction | None) -> float | None:
    return None if value is None else float(value)
