"""The nncalc command line: parse, call the core, hand the result to a renderer.

Exit codes: 0 success, 1 a check or expectation failed, 2 bad usage or bad input,
70 an internal error (a bug: please report it).
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from nncalc import __version__
from nncalc.errors import NNCalcError

EXIT_BAD_INPUT = 2
EXIT_SOFTWARE = 70

app = typer.Typer(
    name="nncalc",
    help="Forward propagation, parameter counts and one-hot labels, in the lecture's notation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"nncalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """nncalc: see what a small neural network really computes."""


@app.command()
def forward(
    network: Annotated[str, typer.Argument(help="The network file (YAML).", show_default=False)],
    x: Annotated[
        list[str] | None,
        typer.Option("-x", help="An example, e.g. -x 66,39,12 (repeatable).", show_default=False),
    ] = None,
    input_file: Annotated[
        str | None,
        typer.Option(
            "--input", "-i", help="Examples from a .yaml, .csv or .npy file.", show_default=False
        ),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="One JSON document on stdout.")
    ] = False,
    output: Annotated[
        str | None,
        typer.Option(
            "--output", "-o", help="Write h_Θ(x) to a .csv or .npy file.", show_default=False
        ),
    ] = None,
    precision: Annotated[
        int, typer.Option("--precision", "-p", min=1, max=17, help="Significant digits shown.")
    ] = 6,
) -> None:
    """Forward propagation: every z_i^(j) and a_i^(j), layer by layer."""
    from nncalc import inputs, netfile, outputs

    net = netfile.load(network)
    if output:
        outputs.check_path(output)
    X, names = inputs.choose(net, x or (), input_file)
    trace = net.forward(X)
    if output:
        outputs.write_matrix(output, trace.output, net.output_labels)
        print(f"nncalc: wrote h_Θ(x) of {len(trace)} example(s) to {output}", file=sys.stderr)
    if json_output:
        from nncalc.render.json import dumps, forward_document

        print(dumps(forward_document(trace, names)))
    elif not output:
        from nncalc.render import tables

        console = _console()
        console.print(tables.summary(net))
        for k in range(len(trace)):
            console.print(tables.example(trace, k, names[k], precision))


def _console():
    from rich.console import Console

    return Console(highlight=False)


def _error(message: str) -> None:
    print(f"nncalc: error: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code instead of raising SystemExit."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="nncalc", standalone_mode=False)
    except NNCalcError as e:
        for problem in e.problems:
            _error(str(problem))
        return EXIT_BAD_INPUT
    except typer.Exit as e:
        return e.exit_code
    except typer.TyperException as e:  # usage errors: unknown options, bad values
        message = e.format_message().rstrip(".")
        if message:  # empty after no_args_is_help has printed the help
            ctx = getattr(e, "ctx", None)
            where = f"nncalc {ctx.info_name}" if ctx and ctx.parent else "nncalc"
            _error(f"{message}; see '{where} --help'")
        return EXIT_BAD_INPUT
    except (typer.Abort, KeyboardInterrupt):
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as e:
        if os.environ.get("NNCALC_DEBUG"):
            raise
        _error(f"internal error ({type(e).__name__}: {e}); this is a bug, please report it")
        return EXIT_SOFTWARE
    return result if isinstance(result, int) else 0
