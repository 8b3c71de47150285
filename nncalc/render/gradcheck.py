"""A gradient check as a table, advice on ε, and a JSON document."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from nncalc.backprop import Parameter
from nncalc.gradcheck import Check, Entry
from nncalc.network import Network
from nncalc.render import style
from nncalc.render.forward import theta_symbol
from nncalc.render.numbers import certain, fmt

SHOWN = 12
"""Entries a report lists (the largest relative differences first) unless --all."""


def symbol(p: Parameter, network: Network) -> str:
    """Θ_im^(j), Θ_gate,im^(j) or β^(j)."""
    if p.kind == "beta":
        return f"β^({p.j})"
    text = theta_symbol(network.layers[p.j - 1], p.i, p.m, p.j)
    return text if p.kind == "theta" else text.replace("Θ_", "Θ_gate,", 1)


def report(check: Check, scan: list[tuple[float, float]], tolerance: float, every: bool) -> Group:
    """The entries (worst first), the verdict, advice on ε and the warning about training."""
    network = check.gradients.network
    entries = sorted(check.entries, key=lambda e: -(e.relative or 0.0))
    listed = entries if every else entries[:SHOWN]
    how = "every one" if len(check.entries) == check.total else f"a random {len(check.entries):,}"
    title = f"Gradient check: {check.total:,} parameters, {how} checked, ε = {fmt(check.epsilon)}"
    table = style.table(title, title_style="bold")
    table.add_column("θ")
    for header in ("value", "D (backprop)", "(J(θ+ε) − J(θ−ε))/2ε", "relative difference"):
        table.add_column(header, justify="right")
    for e in listed:
        table.add_row(
            symbol(e.parameter, network),
            fmt(e.theta),
            _shown(e.backprop, _bound(check, e.parameter)),
            _shown(e.numeric, e.noise),
            "0 to rounding" if e.relative is None else fmt(e.relative, 2),
        )
    parts: list[RenderableType] = [table]
    if any(" *" in cell for column in table.columns for cell in column.cells):
        said = "* to the digits its float64 error bound leaves certain (fewer than 10)"
        parts.append(Text(f"  {said}", style="dim"))
    if len(listed) < len(entries):
        parts.append(Text(f"  … {len(entries) - len(listed):,} more (--all lists them)"))
    parts += [Text(""), *verdict(check, tolerance)]
    for paragraph in advice(check, scan):
        parts += [Text(""), Text(paragraph)]
    return Group(*parts)


def _bound(check: Check, p: Parameter) -> float:
    """The error bound of backprop's ∂J/∂θ (Gradients.D_error; a learned β has none)."""
    if p.kind == "beta":
        return 0.0
    return float(check.gradients.D_error(p.j, gate=p.kind == "gate")[p.i - 1, p.m])


def _shown(value: float, bound: float) -> str:
    """value to the 10 digits (or fewer, marked) that its bound leaves certain."""
    text, marked = certain(value, bound, 10)
    return text + (" *" if marked else "")


def verdict(check: Check, tolerance: float) -> list[Text]:
    worst = check.worst
    network = check.gradients.network
    ok = check.largest <= tolerance
    where = "" if worst is None else f" ({symbol(worst.parameter, network)})"
    mark, relation = ("✓", "within") if ok else ("✗", "over")
    lines = [
        Text(
            f"{mark} largest relative difference {fmt(check.largest, 2)}{where}, {relation} "
            f"{fmt(tolerance, 2)}",
            style="bold green" if ok else "bold red",
        ),
        Text(f"  the course's ‖n − D‖/‖n + D‖ = {fmt(check.overall, 2)}"),
    ]
    zero = len(check.entries) - len(check.counted)
    if zero:
        lines.append(Text(f"  {zero:,} entries are 0 to rounding in both (no ratio to take)"))
    if not ok:
        lines.append(
            Text("  backprop disagrees: look for a missing g′, a transposed Θ or a bias row kept")
        )
    return lines


def advice(check: Check, scan: list[tuple[float, float]]) -> list[str]:
    """What ε does, with the worst entry's difference at other ε as evidence; then why
    the check is for once, not for training. A paragraph a string."""
    paragraphs = [
        "On ε: the two-sided difference is off by its truncation, about ε²·|∂³J/∂θ³|/6, and "
        "by rounding, about u·|J|/ε (u = 1.1e-16); they balance near ε = 1e-5 for θ and J of "
        "size 1. A much smaller ε (1e-8) drowns in rounding, a much larger (1e-2) in truncation."
    ]
    if scan:
        shown = ", ".join(f"ε = {fmt(eps, 2)}: {fmt(rel, 2)}" for eps, rel in scan)
        best = min(scan, key=lambda pair: pair[1])[0]
        paragraphs.append(
            f"The worst entry at other ε: {shown}; here ε = {fmt(best, 2)} does best."
        )
    paragraphs.append(
        f"Switch the check off when training: it took {2 * len(check.entries):,} evaluations of "
        "J, two forward passes per parameter, where backpropagation takes one forward and one "
        "backward pass for all of them at once. Check once that backprop is right, then train "
        "with backprop alone."
    )
    return paragraphs


def document(check: Check, scan: list[tuple[float, float]], tolerance: float) -> dict[str, Any]:
    """The ``--json`` document of ``nncalc gradcheck``."""
    network = check.gradients.network
    return {
        "epsilon": check.epsilon,
        "parameters": check.total,
        "checked": len(check.entries),
        "largest": check.largest,
        "worst": None if check.worst is None else symbol(check.worst.parameter, network),
        "overall": check.overall,
        "tolerance": tolerance,
        "ok": check.largest <= tolerance,
        "entries": [_entry(e, network) for e in check.entries],
        "scan": [{"epsilon": eps, "relative": rel} for eps, rel in scan],
    }


def _entry(e: Entry, network: Network) -> dict[str, Any]:
    p = e.parameter
    return {
        "parameter": symbol(p, network),
        "kind": p.kind,
        "j": p.j,
        "i": p.i,
        "m": p.m,
        "value": e.theta,
        "backprop": e.backprop,
        "numeric": e.numeric,
        "relative": e.relative,
    }
