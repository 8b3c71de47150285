"""The floor for `nncalc params 3 5 10`: a bare Typer app with the options of `nncalc
params` that prints the same Rich table (or, with --theta J, the count of Θ^(J) without
loading Rich). Sizes only; no checking, no explanation."""

import sys
from itertools import pairwise
from typing import Annotated

import typer
from piped import Stripped

app = typer.Typer(add_completion=False)


@app.command()
def params(
    network_or_sizes: Annotated[list[str], typer.Argument()],
    theta: Annotated[int | None, typer.Option("--theta", "-j")] = None,
    expect: Annotated[str | None, typer.Option("--expect")] = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
    trust_paths: Annotated[bool, typer.Option("--trust-paths")] = False,
) -> None:
    sizes = [int(s) for s in network_or_sizes]
    shapes = [(b, a + 1) for a, b in pairwise(sizes)]
    if theta is not None:
        rows, columns = shapes[theta - 1]
        print(rows * columns)
        return
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(
        title=f"Parameters of a {' → '.join(map(str, sizes))} network",
        box=box.SIMPLE_HEAD,
        title_justify="left",
        title_style="bold",
    )
    table.add_column("Θ^(j)")
    table.add_column("layer j → j+1")
    for header in ("shape", "weights", "biases", "total"):
        table.add_column(header, justify="right")
    for j, (rows, columns) in enumerate(shapes, start=1):
        w = rows * (columns - 1)
        table.add_row(
            f"Θ^({j})",
            f"{j} → {j + 1}",
            f"{rows}×{columns}",
            f"{w:,}",
            f"{rows:,}",
            f"{w + rows:,}",
        )
    table.add_section()
    weights = sum(r * (c - 1) for r, c in shapes)
    biases = sum(r for r, _ in shapes)
    table.add_row("total", "", "", f"{weights:,}", f"{biases:,}", f"{weights + biases:,}")
    console = Console(highlight=False, emoji=False, file=Stripped(sys.stdout))
    console.print(table)
    console.print(Text(f"multiply-adds per example: {weights:,}"))
    console.print(Text(f"memory (float64): {8 * (weights + biases):,} B"))


if __name__ == "__main__":
    app()
