"""The collapse table: the one Θ that a network of identity layers is."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from nncalc.network import Array, Network
from nncalc.render import style
from nncalc.render.numbers import fmt

NOTE = "Θ = Θ^(L−1)·[e_0; Θ^(L−2)]·…·[e_0; Θ^(1)]: without a non-linear g, depth adds nothing"


def report(net: Network, theta: Array) -> Group:
    """Θ, one row per output unit: its bias, then a weight for each x_m."""
    title = f"{net.L - 1} identity layers are one: h_Θ(x) = Θ·[1; x] with Θ ="
    table = style.table()
    table.add_column("unit", justify="right")
    table.add_column("bias", justify="right")
    for m in range(1, theta.shape[1]):
        table.add_column(f"x_{m}", justify="right")
    for i, row in enumerate(theta.tolist(), start=1):
        table.add_row(str(i), *(fmt(v, 10) for v in row))
    return Group(Text(title, style="bold"), table, Text(NOTE, style="dim"))
