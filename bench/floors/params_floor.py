"""The floor for `nncalc params 3 5 10`: a bare Typer app that sums s_(j+1)·(s_j + 1)."""

from itertools import pairwise

import typer

app = typer.Typer(add_completion=False)


@app.command()
def params(sizes: list[int]) -> None:
    print(sum(b * (a + 1) for a, b in pairwise(sizes)))


if __name__ == "__main__":
    app()
