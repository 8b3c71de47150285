"""The floor for `nncalc forward NET`: a bare Typer app with the options of `nncalc
forward` that loads a sigmoid network's YAML with PyYAML's C loader, computes σ with math
and prints the same Rich tables (the summary, then each example's layers, 1 − gap for
values that round to 1). No checking, no other activation, no other output."""

import math
import sys
from itertools import pairwise
from typing import Annotated

import typer
from piped import Stripped

app = typer.Typer(add_completion=False)


@app.command()
def forward(
    network: Annotated[str, typer.Argument()],
    x: Annotated[list[str] | None, typer.Option("-x")] = None,
    input_file: Annotated[str | None, typer.Option("--input", "-i")] = None,
    input_format: Annotated[str | None, typer.Option("--input-format")] = None,
    json_output: Annotated[bool, typer.Option("--json")] = False,
    output: Annotated[str | None, typer.Option("--output", "-o")] = None,
    precision: Annotated[int, typer.Option("--precision", "-p", min=1, max=17)] = 6,
    dtype: Annotated[str, typer.Option("--dtype")] = "float64",
    explain: Annotated[bool, typer.Option("--explain")] = False,
    report: Annotated[str, typer.Option("--format")] = "table",
    layer: Annotated[int | None, typer.Option("--layer")] = None,
    unit: Annotated[int | None, typer.Option("--unit")] = None,
    whole: Annotated[bool, typer.Option("--all")] = False,
    layers: Annotated[bool, typer.Option("--layers")] = False,
    expect: Annotated[str | None, typer.Option("--expect")] = None,
    tolerance: Annotated[float | None, typer.Option("--tolerance")] = None,
    progress: Annotated[bool | None, typer.Option("--progress/--no-progress")] = None,
    trust_paths: Annotated[bool, typer.Option("--trust-paths")] = False,
) -> None:
    import yaml
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    def table(title, style):
        return Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", title_style=style)

    def fmt(v):
        text = f"{v:.{precision}g}" if v else "0"
        return text.replace("-", "−")

    with open(network, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=yaml.CSafeLoader)
    thetas = [layer["theta"] for layer in doc["layers"]]
    sizes = [len(thetas[0][0]) - 1, *(len(t) for t in thetas)]
    L = len(sizes)

    def role(j):
        return "input" if j == 1 else "output" if j == L else "hidden"

    console = Console(highlight=False, emoji=False, file=Stripped(sys.stdout))
    summary = table(doc.get("name") or "Network", "bold")
    for header in ("layer j", "units s_j", "g", "Θ^(j) shape", "parameters"):
        summary.add_column(header, justify="left" if header in ("layer j", "g") else "right")
    for j, s in enumerate(sizes, start=1):
        shape = f"{sizes[j]}×{s + 1}" if j < L else ""
        count = f"{sizes[j] * (s + 1):,}" if j < L else ""
        summary.add_row(f"{j} ({role(j)})", str(s), "σ" if j > 1 else "", shape, count)
    summary.add_section()
    summary.add_row("total", "", "", "", f"{sum(b * (a + 1) for a, b in pairwise(sizes)):,}")
    console.print(summary)
    for k, a in enumerate(doc["inputs"], start=1):
        parts = [Text(f"Example {k}   x = [{', '.join(fmt(v) for v in a)}]", style="bold")]
        inputs = table("Layer 1 (input)", "italic")
        inputs.add_column("i", justify="right")
        inputs.add_column("a_i^(1)", justify="right")
        inputs.add_column("", style="dim")
        inputs.add_row("0", "1", "bias unit a_0^(1)")
        for i, v in enumerate(a, start=1):
            inputs.add_row(str(i), fmt(v), f"x_{i}")
        parts.append(inputs)
        for j, theta in enumerate(thetas, start=2):
            z = [row[0] + sum(w * v for w, v in zip(row[1:], a, strict=True)) for row in theta]
            a = [1 / (1 + math.exp(-zi)) for zi in z]
            layer_table = table(f"Layer {j} ({role(j)}) · g = σ", "italic")
            layer_table.add_column("i", justify="right")
            layer_table.add_column(f"z_i^({j})", justify="right")
            layer_table.add_column(f"a_i^({j}) = σ(z_i^({j}))", justify="right")
            if j < L:
                layer_table.add_row("0", "", Text("1  bias unit", style="dim"))
            notes, shown = [], []
            for i, (zi, ai) in enumerate(zip(z, a, strict=True), start=1):
                text, star = fmt(ai), ""
                if text == "1" and 1 / (1 + math.exp(zi)) > 0:
                    text, star = f"1 − {1 / (1 + math.exp(zi)):.2g}", " *"
                    stored = " and in float64" if ai == 1 else ""
                    why = f"rounds to 1 at {precision} digits{stored}"
                    notes.append(Text(f"  * a_{i}^({j}) = σ({fmt(zi)}) = {text}: {why}", "dim"))
                layer_table.add_row(str(i), fmt(zi), text + star)
                shown.append(text)
            parts += [layer_table, *notes]
        parts.append(Text(f"h_Θ(x) = a^({L}) = [{', '.join(shown)}]", style="bold"))
        if sizes[-1] > 1:
            best = a.index(max(a)) + 1
            parts.append(Text(f"prediction: unit {best} of {sizes[-1]}", style="bold green"))
        for part in [*parts, Text("")]:
            console.print(part)


if __name__ == "__main__":
    app()
