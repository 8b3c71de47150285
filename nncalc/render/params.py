"""Parameter counts as a Rich table."""

from __future__ import annotations

from fractions import Fraction

from rich.console import Group
from rich.text import Text

from nncalc.params import ParamCount
from nncalc.render import style


def report(counts: ParamCount, title: str | None = None) -> Group:
    """One row per Θ^(j), a totals row, the multiply-adds and the memory."""
    sizes = " → ".join(map(str, counts.sizes))
    table = style.table(title or f"Parameters of a {sizes} network", title_style="bold")
    table.add_column("Θ^(j)")
    table.add_column("layer j → j+1")
    for header in ("shape", "weights", "biases", "total"):
        table.add_column(header, justify="right")
    for t in counts.thetas:
        shape = f"{t.shape[0]}×{t.shape[1]}" + (" ×2 (SwiGLU)" if t.gated else "")
        total = f"{t.total:,}" + (" (with β)" if t.learned_beta else "")
        table.add_row(
            f"Θ^({t.j})", f"{t.j} → {t.j + 1}", shape, f"{t.weights:,}", f"{t.biases:,}", total
        )
    table.add_section()
    weights = sum(t.weights for t in counts.thetas)
    biases = sum(t.biases for t in counts.thetas)
    table.add_row("total", "", "", f"{weights:,}", f"{biases:,}", f"{counts.total:,}")
    return Group(
        table,
        Text(f"multiply-adds per example: {counts.multiply_adds:,}"),
        Text(f"memory (float64): {human_bytes(counts.bytes)}"),
    )


def human_bytes(n: int) -> str:
    """640 B, 7.6 KiB, 3.1 MiB, … (binary units), exactly rounded for any n."""
    units = ("B", "KiB", "MiB", "GiB", "TiB")
    k = 0
    while n >= 1024 ** (k + 1) and k < len(units) - 1:
        k += 1
    if k == 0:
        return f"{n:,} B"
    tenths = round(Fraction(10 * n, 1024**k))  # ints: no float overflow past 1.8e308
    return f"{tenths // 10:,}.{tenths % 10} {units[k]}"
