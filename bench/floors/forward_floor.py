"""The floor for `nncalc forward NET`: a bare Typer app that loads the YAML with PyYAML's
C loader, runs the layers with NumPy and prints one Rich table per layer. No checking,
no explanation."""

import typer

app = typer.Typer(add_completion=False)


@app.command()
def forward(network: str) -> None:
    import numpy as np
    import yaml
    from rich.console import Console
    from rich.table import Table

    with open(network, encoding="utf-8") as f:
        doc = yaml.load(f, Loader=yaml.CSafeLoader)
    console = Console()
    for x in doc["inputs"]:
        a = np.asarray(x, dtype=float)
        for j, layer in enumerate(doc["layers"], start=2):
            theta = np.asarray(layer["theta"], dtype=float)
            z = theta[:, 0] + theta[:, 1:] @ a
            a = 1 / (1 + np.exp(-z))
            table = Table(title=f"Layer {j}")
            table.add_column("i")
            table.add_column("z")
            table.add_column("a")
            for i, (zi, ai) in enumerate(zip(z, a, strict=True), start=1):
                table.add_row(str(i), f"{zi:.6g}", f"{ai:.6g}")
            console.print(table)


if __name__ == "__main__":
    app()
