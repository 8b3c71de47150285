"""Start-up: what the small, frequent commands load (not how long they take)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLES

NEVER = {"pydantic"}  # Typer 0.29 imports it on every run: pyproject.toml bounds Typer


def loaded(*args: str) -> set[str]:
    """The top-level packages in sys.modules after `nncalc ARGS` ran in a fresh Python."""
    code = (
        "import sys\nfrom nncalc.cli import main\n"
        f"code = main({list(args)!r})\n"
        "print(' '.join(sorted({m.partition('.')[0] for m in sys.modules})), file=sys.stderr)\n"
        "sys.exit(code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return set(done.stderr.split())


@pytest.mark.parametrize(
    ("args", "unwanted"),
    [
        (["params", "3", "5", "10"], NEVER | {"numpy", "yaml"}),
        (["params", "3", "5", "10", "--theta", "2"], NEVER | {"numpy", "yaml", "rich"}),
        (["forward", str(SAMPLES / "slide-neuron.yaml")], NEVER | {"numpy"}),
        (["forward", str(SAMPLES / "vehicles.yaml"), "-x", "1,2,3"], NEVER | {"numpy"}),
    ],
)
def test_small_commands_load_only_what_they_use(args, unwanted):
    modules = loaded(*args)
    assert "nncalc" in modules
    assert not modules & unwanted


def test_typer_loads_no_pydantic():
    """The rule behind the Typer bound: a newer Typer that brings it back fails here."""
    assert not loaded("forward", str(SAMPLES / "slide-neuron.yaml")) & NEVER


def test_a_run_builds_only_its_command():
    import typer

    from nncalc import cli, commands

    group = commands.group(cli.app)
    assert list(group.commands) == list(typer.main.get_command(cli.app).commands)
    assert group.commands["params"].name == "params"
    assert set(group.commands.built) == {"params"}


def test_names_print_as_written(run, write):
    """Rich's emoji codes are off: ':cat:' stays text (and their table is never loaded)."""
    net = write("net.yaml", "name: ':cat: net'\nlayers: [{theta: [[0, 1]]}]\ninputs: [[1]]\n")
    assert ":cat: net" in run("forward", net).out
