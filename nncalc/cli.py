"""The nncalc command line: parse, call the core, hand the result to a renderer.

Exit codes are nncalc.process's: 0 success, 1 a check failed, 2 bad usage or input,
70 an internal error, 128 + N ended by signal N (141: a closed pipe).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from enum import StrEnum
from typing import Annotated

import typer

from nncalc import __version__, commands
from nncalc.errors import NNCalcError
from nncalc.files.outputs import inputs_guarded
from nncalc.process import EXIT_BAD_INPUT, EXIT_CHECK_FAILED, EXIT_SOFTWARE, say

app = typer.Typer(
    name="nncalc",
    help="Forward propagation, parameter counts and one-hot labels, in the lecture's notation.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


_debug = False


class Report(StrEnum):
    table = "table"
    latex = "latex"
    markdown = "markdown"


class Dtype(StrEnum):
    float64 = "float64"
    float32 = "float32"


class Style(StrEnum):
    screen = "screen"
    print = "print"


class InputFormat(StrEnum):
    csv = "csv"
    npy = "npy"
    yaml = "yaml"


JsonOption = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]


try:  # Typer 0.28 vendors click, and its public API has no parameter type to subclass
    from typer._click.types import StringParamType
except ImportError:  # pragma: no cover - a Typer without it: help shows Typer's <str>
    StringParamType = None


if StringParamType is not None:

    class _Placeholder(StringParamType):
        """Text, shown in the Arguments panel by its placeholder (FILE, N…), as options are,
        not by Typer's `<str>`."""

        def __init__(self, placeholder: str) -> None:
            self.placeholder = placeholder

        def get_metavar(self, param, ctx=None) -> str:
            return self.placeholder


def _argument(metavar: str, placeholder: str, help: str):
    """A text argument: its name in the usage line (metavar) and its placeholder in help."""
    shown = None if StringParamType is None else _Placeholder(placeholder)
    return typer.Argument(help=help, show_default=False, metavar=metavar, click_type=shown)


NetworkArgument = Annotated[
    str,
    _argument(
        "NETWORK",
        "FILE",
        "The network file (YAML), an ONNX model, or - for YAML on standard input.",
    ),
]
TrustPathsOption = Annotated[
    bool,
    typer.Option(
        "--trust-paths", help="Let {file:} references point outside the network file's folder."
    ),
]
ClassesOption = Annotated[
    str | None,
    typer.Option(
        "--classes",
        "-k",
        help="Names of the output units (classes), e.g. cat,dog,emu.",
        show_default=False,
        metavar="NAMES",
    ),
]


def _text(*names: str, help: str, metavar: str = "FILE"):
    """An optional text option (a file name, a vector, a label…) with no default shown."""
    return typer.Option(*names, help=help, show_default=False, metavar=metavar)


def _examples(*lines: str) -> str:
    """A command's --help epilog: real command lines, one a line."""
    return "Examples:\n\n" + "\n".join(f"  {line}" for line in lines)


def _stdin_or(path: str):
    """``-`` as standard input (read once, bounded like a file), any other path as itself."""
    if path != "-":
        return path
    from nncalc.files.reader import stdin

    return stdin()


def _load(path: str, trust_paths: bool = False):  # -> Network
    """A network file (- : YAML on standard input), or an ONNX model read as one (what it
    computes differently noted)."""
    from nncalc.files import netfile

    if path == "-":
        from nncalc.files.yamlfile import read_text

        piped = _stdin_or(path)
        return netfile.loads(read_text(piped), str(piped), trust_paths)
    if not path.lower().endswith(".onnx"):
        return netfile.load(path, trust_paths)
    from nncalc.interop.models import read_model

    imported = read_model(path)
    _notes(imported.notes)
    return imported.network


def _notes(notes) -> None:
    for note in notes:
        say(f"note: {note}")


def _version(value: bool) -> None:
    if value:
        print(f"nncalc {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks (for bug reports); or NNCALC_DEBUG=1.")
    ] = False,
) -> None:
    """nncalc: see what a small neural network really computes."""
    global _debug
    _debug = _debug or debug


@app.command(
    epilog=_examples(
        "nncalc forward samples/slide-neuron.yaml -x 1,2,3 --explain",
        "nncalc forward samples/slide-neuron.yaml -x 1,2,3 --expect 0.99995",
        "cat x.csv | nncalc forward net.yaml --input - -o - | head -3",
    )
)
def forward(
    network: NetworkArgument,
    x: Annotated[
        list[str] | None,
        _text("-x", help="An example, e.g. -x 66,39,12 (repeatable).", metavar="LIST"),
    ] = None,
    input_file: Annotated[
        str | None,
        _text("--input", "-i", help="Examples from a .yaml, .csv or .npy file, or - for stdin."),
    ] = None,
    input_format: Annotated[
        InputFormat | None,
        typer.Option(
            "--input-format",
            help="The --input's format (default: its suffix; stdin's: told by its content).",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
    exact: Annotated[
        bool,
        typer.Option(
            "--exact",
            help="With --json: each z and a's exact value (17 digits) and float64's error bound.",
        ),
    ] = False,
    output: Annotated[
        str | None,
        _text(
            "--output", "-o", help="Write h_Θ(x) to a .csv or .npy file, or - for CSV on stdout."
        ),
    ] = None,
    precision: Annotated[
        int | None,
        typer.Option(
            "--precision",
            "-p",
            min=1,
            max=17,
            help="Significant digits shown (default 6).",
            show_default=False,
            metavar="N",
        ),
    ] = None,
    decimals: Annotated[
        int | None,
        typer.Option(
            "--decimals",
            min=0,
            max=17,
            help="Decimals shown instead, the same for every number (tables, --explain, LaTeX).",
            show_default=False,
            metavar="N",
        ),
    ] = None,
    dtype: Annotated[
        Dtype, typer.Option("--dtype", help="float32 is for speed, with -o only.")
    ] = Dtype.float64,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each unit's arithmetic, as in the lecture.")
    ] = False,
    report: Annotated[
        Report,
        typer.Option("--format", help="A table, or a worked solution in LaTeX or Markdown."),
    ] = Report.table,
    standalone: Annotated[
        bool,
        typer.Option(
            "--standalone",
            help="With --format latex: a whole document that compiles as it is (LuaLaTeX).",
        ),
    ] = False,
    layer: Annotated[
        int | None,
        typer.Option(
            "--layer",
            help="Only layer J (tables, --explain and --expect).",
            show_default=False,
            metavar="J",
        ),
    ] = None,
    unit: Annotated[
        int | None,
        typer.Option(
            "--unit",
            help="Only unit I (tables, --explain and --expect).",
            show_default=False,
            metavar="I",
        ),
    ] = None,
    whole: Annotated[
        bool, typer.Option("--all", help="Every unit and term: wide layers not elided.")
    ] = False,
    layers: Annotated[
        bool,
        typer.Option("--layers", help="Every layer's table for each of many examples."),
    ] = False,
    expect: Annotated[
        str | None,
        _text(
            "--expect",
            help="Check h_Θ(x) (or a_I with --unit I): your answer, rounded as written; "
            "exit 1 if it is wrong.",
            metavar="LIST",
        ),
    ] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(
            "--tolerance",
            min=0.0,
            help="--expect's absolute tolerance (default: half a unit in the last place written).",
            show_default=False,
            metavar="T",
        ),
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="A progress bar for -o (default: when stderr is a terminal).",
            show_default=False,
        ),
    ] = None,
    trust_paths: TrustPathsOption = False,
) -> None:
    """Forward propagation: every z_i^(j) and a_i^(j), layer by layer."""
    precision = _precision(precision, decimals)
    worked = report != "table" and not explain  # a worked solution in LaTeX or Markdown
    only_file = bool(output) and not (json_output or expect)  # -o alone prints no table
    _forward_conflicts(network, input_file, output, json_output, expect, exact, worked, report,
                       standalone, only_file, layer is not None or unit is not None)  # fmt: skip
    plain = not (input_file or json_output or output or explain or expect or layers or whole)
    yaml_file = network != "-" and not network.lower().endswith(".onnx")
    if plain and report == "table" and layer is None and unit is None and yaml_file:
        from nncalc.quick import forward_tables

        if forward_tables(network, x or (), precision):  # small and plain: no NumPy
            return
    from nncalc.files import inputs, outputs

    net = _load(network, trust_paths)
    input_file = input_file and _stdin_or(input_file)
    if output and output != "-":
        outputs.check_path(output)
    if only_file:
        _forward_to_file(net, x or (), input_file, output, dtype, progress, input_format)
        return
    if dtype != "float64":
        raise NNCalcError.at("--dtype float32 is for -o only", hint="tables and JSON are float64")
    X, names = inputs.choose(net, x or (), input_file, input_format)
    trace = net.forward(X)
    if output:
        outputs.write_matrix(output, trace.output, net.output_labels)
        say(f"wrote h_Θ(x) of {_count(len(trace))} to {output}")
    checked = _expect(trace, expect, tolerance, layer, unit) if expect else None
    if json_output:
        _forward_json(trace, names, exact, checked, layer, unit)
    elif checked is not None:
        _print_expect(checked, names, _expected_what(net, layer, unit), _shown(trace, layer, unit))
    else:
        from nncalc.render.forward import MAX_UNITS, View

        view = View(None if whole else MAX_UNITS, layer, unit)
        how = (report if worked else "explain" if explain else "table", standalone, layers)
        _forward_report(trace, names, precision, net.name or network, view, *how)
    if checked is not None and not all(c.ok for c in checked):
        raise typer.Exit(EXIT_CHECK_FAILED)


def _forward_conflicts(
    network: str, input_file: str | None, output: str | None, json_output: bool,
    expect: str | None, exact: bool, worked: bool, report: str, standalone: bool,
    only_file: bool, picked: bool,
) -> None:  # fmt: skip
    """The options of forward that cannot go together, refused with why."""
    if network == input_file == "-":
        raise NNCalcError.at("the network and --input cannot both be standard input")
    if output == "-" and (json_output or expect):
        raise NNCalcError.at(
            "-o - writes to standard output, and so do --json and --expect", hint="give one"
        )
    if exact and not json_output:
        raise NNCalcError.at("--exact adds to --json's document", hint="add --json")
    if standalone and not (worked and report == "latex"):
        raise NNCalcError.at("--standalone is for --format latex", hint="a LaTeX document")
    if picked and (worked or only_file or (json_output and not expect)):
        raise NNCalcError.at("--layer and --unit are for tables, --explain and --expect")


def _forward_json(trace, names, exact: bool, checked, layer, unit) -> None:
    """forward --json: the document, with the --expect checks when given."""
    from nncalc.render.json import dumps, forward_document

    document = forward_document(trace, names, exact)
    if checked is not None:
        document["expect"] = _expect_document(checked, layer, unit)
    print(dumps(document))


def _forward_report(trace, names, precision, name, view, how, standalone, layers) -> None:
    """forward's tables, its --explain, or a worked solution (``how``: 'table', 'explain',
    'latex' or 'markdown')."""
    if how == "explain":
        _explain(trace, names, precision, view)
    elif how == "table":
        _tables(trace, names, precision, view, layers)
    else:
        from nncalc.render.solution import worked

        print(worked(trace, names, how, name, precision, standalone))


def _precision(digits: int | None, decimals: int | None) -> int:
    """-p N (significant digits, default 6) or --decimals N (numbers.Decimals)."""
    from nncalc.render.numbers import Decimals

    if digits is not None and decimals is not None:
        raise NNCalcError.at("give -p (significant digits) or --decimals, not both")
    return 6 if decimals is None and digits is None else digits or Decimals(decimals)


def _expected_what(net, layer: int | None, unit: int | None) -> str:
    """What --expect checks: 'h_Θ(x)', or one unit 'a_I^(J)' (J: --layer, or L)."""
    return "h_Θ(x)" if unit is None else f"a_{unit}^({layer or net.L})"


def _expect(trace, text: str, tolerance: float | None, layer: int | None, unit: int | None):
    """forward --expect: each example's h_Θ(x) (or a_I^(J)) against the numbers given."""
    from nncalc.expect import check

    net = trace.network
    j = layer or net.L
    if not 2 <= j <= net.L or (unit is not None and not 1 <= unit <= net.sizes[j - 1]):
        raise NNCalcError.at(f"--expect: {_expected_what(net, layer, unit)} does not exist")
    values = trace.a[j] if unit is None else trace.a[j][:, unit - 1 : unit]
    return check(text, values.tolist(), _expected_what(net, layer, unit), tolerance)


def _expect_document(checked, layer: int | None, unit: int | None) -> dict:
    from dataclasses import asdict

    return {
        "layer": layer,
        "unit": unit,
        "examples": [asdict(c) | {"ok": c.ok} for c in checked],
        "ok": all(c.ok for c in checked),
    }


def _shown(trace, layer: int | None, unit: int | None) -> list[list[str]]:
    """What --expect checks, of each example, as the tables show it (true digits)."""
    from nncalc.render.forward import exact_layer

    j = layer or trace.network.L
    rows = [[text for text, _ in exact_layer(trace, j, k, 6)] for k in range(len(trace))]
    return [row if unit is None else row[unit - 1 : unit] for row in rows]


def _print_expect(checked, names, what: str, texts: list[list[str]]) -> None:
    """One ✓ or ✗ line per example: the value (as the tables show it), and the answer it
    was checked against."""
    from nncalc.render.escape import terminal

    for c, name, row in zip(checked, names, texts, strict=True):
        shown = ", ".join(row)
        given = ", ".join(f"{e:g} ± {t:g}" for e, t in zip(c.expected, c.tolerance, strict=True))
        label = f"{terminal(name)}: " if name else ""
        verdict = f"✓ {label}{what} = [{shown}]" if c.ok else f"✗ {label}{what} = [{shown}]"
        why = next((f": {h}" for h in c.hints if h), "")
        print(f"{verdict}, {'within' if c.ok else 'not'} [{given}]{why}")


def _count(n: int) -> str:
    return f"{n:,} example" + ("" if n == 1 else "s")


def _focus(net, view, first: int) -> None:
    """Refuse a --layer outside first … L, or a --unit that no such layer has."""
    if view.layer is not None and not first <= view.layer <= net.L:
        what = "with units to explain" if first == 2 else "of this network"
        raise NNCalcError.at(
            f"--layer {view.layer} is not a layer {what}", hint=f"{first} … {net.L}"
        )
    if view.unit is not None:
        sizes = net.sizes[first - 1 :] if view.layer is None else [net.sizes[view.layer - 1]]
        if not 1 <= view.unit <= max(sizes):
            raise NNCalcError.at(
                f"--unit {view.unit} does not exist", hint=f"units are 1 … {max(sizes)}"
            )


def _tables(trace, names, precision: int, view, layers: bool) -> None:
    """The tables, once --layer and --unit are checked."""
    from nncalc.render.forward import show

    _focus(trace.network, view, 1)
    show(trace, names, precision, view, layers)


def _explain(trace, names, precision: int, view) -> None:
    """The --explain report: every unit's derivation, or those of --layer / --unit."""
    from nncalc.render.explain import example_lines
    from nncalc.render.forward import heading

    _focus(trace.network, view, 2)
    for k in range(len(trace)):
        print(heading(trace, k, names[k], precision, view.limit) + "\n")
        print("\n".join(example_lines(trace, k, precision, view)))


def _forward_to_file(net, xs, input_file, output, dtype, progress, fmt) -> None:
    """The large-batch path: stream the examples through nncalc.batch into the file."""
    import numpy as np

    from nncalc import batch
    from nncalc.files import inputs, outputs

    rows = batch.chunk_rows(net)
    total, chunks = inputs.stream(net, xs, input_file, rows, fmt)
    one_chunk = total is not None and total <= rows  # no threads to start for it
    results = batch.outputs(net, chunks, getattr(np, dtype), workers=1 if one_chunk else 0)
    with outputs.MatrixWriter(output, net.output_labels, getattr(np, dtype)) as writer:
        for Y in _progress_bar(results, total, progress):
            writer.write(Y)
    if output != "-":
        say(f"wrote h_Θ(x) of {_count(writer.rows)} to {output}")


def _progress_bar(items, total: int | None, wanted: bool | None, what: str = "forward", size=len):
    """items, counted (by size) on a progress bar on stderr; by default when it is a terminal."""
    if not (sys.stderr.isatty() if wanted is None else wanted):
        yield from items
        return
    from rich.progress import Progress

    from nncalc.render import style

    console = style.console(stderr=True)  # off a terminal: the final bar once, no blank line
    with Progress(console=console, transient=console.is_terminal) as bar:
        task = bar.add_task(what, total=total)
        for item in items:
            yield item
            bar.advance(task, size(item))


XOption = Annotated[
    list[str] | None,
    _text("-x", help="An example, e.g. -x 66,39,12 (repeatable).", metavar="LIST"),
]
YOption = Annotated[
    list[str] | None,
    _text(
        "--y",
        help="The label y of each -x: a class (3, car) or a row (0,0,1,0); repeatable.",
        metavar="LABEL",
    ),
]
InputOption = Annotated[
    str | None,
    _text("--input", "-i", help="Examples from a .yaml, .csv or .npy file, or - for stdin."),
]
InputFormatOption = Annotated[
    InputFormat | None,
    typer.Option(
        "--input-format",
        help="The --input's format (default: its suffix; stdin's: told by its content).",
        show_default=False,
    ),
]
LabelsOption = Annotated[
    str | None,
    _text(
        "--labels",
        help="A label y per example: classes (numbers or names) or rows, one a line; "
        ".csv, .yaml, .npy; - for stdin.",
    ),
]
ZeroBasedOption = Annotated[
    bool, typer.Option("--zero-based", help="Class numbers count from 0 (PyTorch, scikit-learn).")
]
LambdaOption = Annotated[
    float,
    typer.Option(
        "--lambda", help="λ, the regularisation: J adds (λ/2m)·Σ Θ_im² (m ≥ 1).", metavar="λ"
    ),
]
LossOption = Annotated[
    str | None,
    _text(
        "--loss",
        help="Check that J is this loss (cross_entropy, nll, squared_error); it must be "
        "the output g's matching one.",
        metavar="NAME",
    ),
]
PrecisionOption = Annotated[
    int,
    typer.Option("--precision", "-p", min=1, max=17, help="Significant digits shown.", metavar="N"),
]


def _labelled(network, xs, ys, input_file, labels, zero_based, input_format, trust_paths):
    """The network, its examples X, their labels Y and the examples' names."""
    if [network, input_file, labels].count("-") > 1:
        raise NNCalcError.at("only one of the network, --input and --labels can be stdin")
    from nncalc.files.labels import choose

    net = _load(network, trust_paths)
    files = [f and _stdin_or(f) for f in (input_file, labels)]
    X, Y, names = choose(net, xs or (), ys or (), files[0], files[1], zero_based, input_format)
    return net, X, Y, names


@app.command(
    epilog=_examples(
        "nncalc cost samples/vehicles.yaml --labels samples/vehicles-labels.txt",
        "nncalc cost samples/lecture-3-3-1.yaml -x 1,2,3 --y 1 --lambda 1 --json",
    )
)
def cost(
    network: NetworkArgument,
    x: XOption = None,
    y: YOption = None,
    input_file: InputOption = None,
    labels: LabelsOption = None,
    zero_based: ZeroBasedOption = False,
    lam: LambdaOption = 0.0,
    loss: LossOption = None,
    json_output: JsonOption = False,
    precision: PrecisionOption = 6,
    input_format: InputFormatOption = None,
    trust_paths: TrustPathsOption = False,
) -> None:
    """The cost J(Θ), accuracy, confusion matrix and each class's precision and recall."""
    from nncalc.cost import cost as of
    from nncalc.metrics import classify
    from nncalc.render import cost as report

    net, X, Y, _ = _labelled(
        network, x, y, input_file, labels, zero_based, input_format, trust_paths
    )
    trace = net.forward(X)
    found, classified = of(trace, Y, lam, loss), classify(trace, Y)
    if json_output:
        from nncalc.render.json import dumps

        print(dumps(report.document(found, classified)))
    else:
        from nncalc.render import style

        style.console().print(report.report(found, classified, precision))


@app.command(
    epilog=_examples(
        "nncalc backward samples/lecture-3-3-1.yaml -x 1,2,3 --y 1",
        "nncalc backward samples/lecture-3-3-1.yaml -x 1,2,3 --y 1 --explain --layer 2 --unit 1",
        "nncalc backward samples/lecture-3-3-1.yaml -x 1,2,3 --y 1 --expect 'D_11^(2)=-0.06'",
    )
)
def backward(
    network: NetworkArgument,
    x: XOption = None,
    y: YOption = None,
    input_file: InputOption = None,
    labels: LabelsOption = None,
    zero_based: ZeroBasedOption = False,
    lam: LambdaOption = 0.0,
    loss: LossOption = None,
    json_output: JsonOption = False,
    precision: PrecisionOption = 6,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each δ's arithmetic, as in the lecture.")
    ] = False,
    report: Annotated[
        Report, typer.Option("--format", help="Tables, or a worked solution in LaTeX or Markdown.")
    ] = Report.table,
    layer: Annotated[
        int | None, _text("--layer", help="Only layer J's δ (and Θ^(J−1)'s D).", metavar="J")
    ] = None,
    unit: Annotated[
        int | None,
        _text("--unit", help="Only unit I's δ (with --explain: D's row I).", metavar="I"),
    ] = None,
    whole: Annotated[
        bool, typer.Option("--all", help="Every unit and term: wide layers not elided.")
    ] = False,
    expect: Annotated[
        str | None,
        _text(
            "--expect",
            help="Check a hand answer: 'δ_1^(2)=0.0196' (a value per example, split by ;) "
            "or 'D_1,2^(1)=0.05'; exit 1 if it is wrong.",
            metavar="SYMBOL=VALUE",
        ),
    ] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(
            "--tolerance",
            min=0.0,
            help="--expect's absolute tolerance (default: half a unit in the last place written).",
            show_default=False,
            metavar="T",
        ),
    ] = None,
    input_format: InputFormatOption = None,
    trust_paths: TrustPathsOption = False,
) -> None:
    """Backpropagation: every δ_i^(j), and D^(j) = ∂J/∂Θ^(j), in the lecture's notation."""
    from nncalc.render.forward import MAX_UNITS, View

    net, X, Y, names = _labelled(
        network, x, y, input_file, labels, zero_based, input_format, trust_paths
    )
    grads = net.backward(X, Y, lam, loss)
    view = View(None if whole else MAX_UNITS, layer, unit)
    _focus(net, view, 2)
    checked = _expect_gradient(grads, expect, tolerance) if expect else None
    if json_output:
        from nncalc.render.backward import document
        from nncalc.render.json import dumps

        found = document(grads, names) | ({"expect": checked[1]} if checked else {})
        print(dumps(found))
    elif checked is not None:
        from nncalc.render.numbers import certain

        bounds = grads.bounds(checked[2])
        texts = [[certain(v, b, 6)[0] for v, b in zip(c.actual, e, strict=True)]
                 for c, e in zip(checked[0], bounds, strict=True)]  # fmt: skip
        labels = names if len(checked[0]) > 1 else [None]
        _print_expect(checked[0], labels, str(checked[2]), texts)
    elif report != "table" and not explain:
        from nncalc.render import backsolution

        print(getattr(backsolution, report)(grads, names, precision))
    elif explain:
        _explain_backward(grads, names, precision, view)
    else:
        from nncalc.render.backward import show

        show(grads, names, precision, view)
    if checked is not None and not checked[1]["ok"]:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _expect_gradient(grads, text: str, tolerance: float | None):
    """backward --expect 'SYMBOL=VALUE': (the checks, their JSON, the symbol)."""
    from dataclasses import asdict

    from nncalc.expect import check
    from nncalc.symbols import parse

    written, equals, value = text.partition("=")
    if not equals:
        raise NNCalcError.at(f"--expect '{text}' has no =", hint="write 'δ_1^(2)=0.0196'")
    symbol = parse(written)
    checked = check(value, grads.values(symbol), str(symbol), tolerance)
    document = {
        "symbol": str(symbol),
        "examples": [asdict(c) | {"ok": c.ok} for c in checked],
        "ok": all(c.ok for c in checked),
    }
    return checked, document, symbol


def _explain_backward(grads, names, precision: int, view) -> None:
    """Each δ's arithmetic (and, for one unit of one layer, its row of D)."""
    from nncalc.render.backward import d_lines, explain_lines
    from nncalc.render.forward import heading

    for k in range(len(grads.trace)):
        print(heading(grads.trace, k, names[k], precision, view.limit) + "\n")
        print("\n".join(explain_lines(grads, k, precision, view)))
    if (
        view.layer is not None
        and view.unit is not None
        and view.unit <= grads.network.sizes[view.layer - 1]
    ):
        limit = None if view.limit is None else 6
        print("\n".join(d_lines(grads, view.layer - 1, view.unit, precision, limit)))


@app.command(
    epilog=_examples(
        "nncalc gradcheck samples/vehicles.yaml --labels samples/vehicles-labels.txt",
        "nncalc gradcheck samples/lecture-3-3-1.yaml -x 1,2,3 --y 1 --epsilon 1e-5",
    )
)
def gradcheck(
    network: NetworkArgument,
    x: XOption = None,
    y: YOption = None,
    input_file: InputOption = None,
    labels: LabelsOption = None,
    zero_based: ZeroBasedOption = False,
    lam: LambdaOption = 0.0,
    loss: LossOption = None,
    epsilon: Annotated[
        float, typer.Option("--epsilon", help="ε of the two-sided difference.", metavar="ε")
    ] = 1e-4,
    sample: Annotated[
        int | None,
        _text(
            "--sample",
            help="Check N parameters drawn at random (default: all up to 1,000, else 200).",
            metavar="N",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="The --sample's draw.", metavar="S")] = 0,
    tolerance: Annotated[
        float,
        typer.Option(
            "--tolerance", help="The largest relative difference that passes.", metavar="T"
        ),
    ] = 1e-4,
    whole: Annotated[bool, typer.Option("--all", help="List every parameter checked.")] = False,
    json_output: JsonOption = False,
    input_format: InputFormatOption = None,
    trust_paths: TrustPathsOption = False,
) -> None:
    """Check backpropagation's D against (J(θ + ε) − J(θ − ε)) / 2ε, parameter by parameter."""
    from nncalc import gradcheck as core
    from nncalc.render import gradcheck as report

    net, X, Y, _ = _labelled(
        network, x, y, input_file, labels, zero_based, input_format, trust_paths
    )
    found = core.gradcheck(net, X, Y, lam, loss, epsilon, sample, seed)
    scan = core.scan(found)
    if json_output:
        from nncalc.render.json import dumps

        print(dumps(report.document(found, scan, tolerance)))
    else:
        from nncalc.render import style

        style.console().print(report.report(found, scan, tolerance, whole))
    if found.largest > tolerance:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command(
    epilog=_examples(
        "nncalc step samples/vehicles.yaml --labels samples/vehicles-labels.txt --alpha 0.5 "
        "-o trained.yaml",
        "nncalc step net.yaml -i X.csv --labels y.txt --alpha 0.1 --steps 500 "
        "--curve curve.svg -o trained.yaml",
    )
)
def step(
    network: NetworkArgument,
    alpha: Annotated[
        float, typer.Option("--alpha", "-a", help="The learning rate α.", metavar="α")
    ],
    output: Annotated[str, _text("--output", "-o", help="The trained network (.yaml).")],
    x: XOption = None,
    y: YOption = None,
    input_file: InputOption = None,
    labels: LabelsOption = None,
    zero_based: ZeroBasedOption = False,
    lam: LambdaOption = 0.0,
    loss: LossOption = None,
    steps: Annotated[
        int, typer.Option("--steps", "-n", min=1, help="Steps of gradient descent.", metavar="N")
    ] = 1,
    curve: Annotated[
        str | None, _text("--curve", help="Write the learning curve, J after each step, as SVG.")
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="A progress bar (default: with --steps, when stderr is a terminal).",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
    input_format: InputFormatOption = None,
    trust_paths: TrustPathsOption = False,
) -> None:
    """Gradient descent: Θ^(j) := Θ^(j) − α·D^(j), once or --steps times; J before and after."""
    from itertools import islice

    from nncalc.descent import descend
    from nncalc.files import netsave
    from nncalc.files.outputs import check_path

    check_path(output, netsave.SUFFIXES)
    if curve:
        check_path(curve, (".svg",))
    net, X, Y, _ = _labelled(
        network, x, y, input_file, labels, zero_based, input_format, trust_paths
    )
    walk = islice(descend(net, X, Y, alpha, lam, loss), steps + 1)
    bar = _progress_bar(walk, steps + 1, progress if steps > 1 else False, "descent", lambda _: 1)
    history = [(trained, grads.cost) for trained, grads in bar]
    trained, costs = history[-1][0], [cost for _, cost in history]
    J = [cost.J for cost in costs]
    header = f"Made by nncalc {__version__} step: {steps} × α = {alpha!r}, λ = {lam!r}"
    netsave.save(trained, output, header=f"{header}\nJ(Θ): {J[0]!r} before, {J[-1]!r} after")
    if curve:
        title = f"J(Θ) over {steps} steps of gradient descent, α = {alpha:g}"
        _document(_curve_svg(J, title), curve, ".svg", "drew the learning curve")
    _step_report(costs, output, json_output)


def _curve_svg(J: list[float], title: str) -> str:
    from nncalc.render.curve import svg

    return svg(J, title)


def _step_report(costs: list, output: str, json_output: bool) -> None:
    """J before and after (and the learning curve in the terminal), or the JSON."""
    J = [cost.J for cost in costs]
    if json_output:
        from nncalc.render.json import dumps

        print(dumps({"J": J, "steps": len(J) - 1, "output": output}))
        return
    from nncalc.render.cost import step_lines
    from nncalc.render.curve import text

    print("\n".join(step_lines(costs)))
    if len(J) > 2:
        print("\n".join(text(J)))
    say(f"wrote {output}")


@app.command(
    epilog=_examples(
        "nncalc collapse linear.yaml",
        "nncalc collapse samples/relu-softmax.yaml --json",
    )
)
def collapse(
    network: NetworkArgument,
    json_output: JsonOption = False,
    trust_paths: TrustPathsOption = False,
) -> None:
    """The single Θ of a network whose activations are all the identity (why non-linearity?)."""
    from nncalc.collapse import NotLinearError, collapse

    net = _load(network, trust_paths)
    try:
        theta = collapse(net)
    except NotLinearError as e:
        if json_output:
            from nncalc.render.json import dumps

            print(dumps({"linear": False, "layer": e.j, "activation": e.activation}))
        else:
            print(f"✗ not one linear layer: {e}; only identity layers collapse into one Θ")
        raise typer.Exit(EXIT_CHECK_FAILED) from None
    if json_output:
        from nncalc.render.json import dumps

        print(dumps({"linear": True, "theta": theta.tolist()}))
        return
    from nncalc.render import style
    from nncalc.render.collapse import report

    style.console().print(report(net, theta))


@app.command(
    epilog=_examples(
        "nncalc draw samples/lecture-3-3-1.yaml -o net.svg",
        "nncalc draw samples/logic-xnor.yaml -x 1,0 > xnor.svg",
        "nncalc draw samples/logic-xnor.yaml --weights --style print -o xnor.svg",
    )
)
def draw(
    network: NetworkArgument,
    output: Annotated[
        str | None, _text("--output", "-o", help="The .svg file (default, or -: stdout).")
    ] = None,
    x: Annotated[
        str | None,
        _text("-x", help="An example: every unit shows its activation.", metavar="LIST"),
    ] = None,
    weights: Annotated[
        bool, typer.Option("--weights", help="Label every edge with its weight.")
    ] = False,
    style: Annotated[
        Style,
        typer.Option(
            "--style",
            help="screen: edges coloured by sign; print: black and white, negative dashed.",
        ),
    ] = Style.screen,
    trust_paths: TrustPathsOption = False,
) -> None:
    """Draw the network as the lecture does: units, bias units, weights by sign and size."""
    from nncalc.files.inputs import choose
    from nncalc.render.svg import draw as svg

    net = _load(network, trust_paths)
    trace = net.forward(choose(net, [x])[0]) if x else None
    figure = svg(net, trace, weights=weights, style=style.value)
    _document(figure, output, ".svg", f"drew {net.name or network}")


@app.command(
    epilog=_examples(
        "nncalc page samples/lecture-3-3-1.yaml -o page.html",
        "nncalc page samples/vehicles.yaml -x 1.2,2.1,2 > vehicles.html",
        "nncalc page samples/logic-xnor.yaml -x 1,0 --present -o xnor.html",
        "nncalc page samples/backprop-2-2-2-1.yaml --y 1 --backward -o backprop.html",
    )
)
def page(
    network: NetworkArgument,
    output: Annotated[
        str | None, _text("--output", "-o", help="The .html file (default, or -: stdout).")
    ] = None,
    x: Annotated[
        str | None,
        _text("-x", help="The example entered (default: the file's first, or 0s).", metavar="LIST"),
    ] = None,
    present: Annotated[
        bool,
        typer.Option("--present", help="Open in presentation mode, for a projector (or press P)."),
    ] = False,
    y: Annotated[
        str | None,
        _text(
            "--y",
            help="The label y of the backward view: a class (3, car) or a row (default: e_1).",
            metavar="LABEL",
        ),
    ] = None,
    backward: Annotated[
        bool,
        typer.Option("--backward", help="Open in the backward view: δ and ∂J/∂Θ (or press B)."),
    ] = False,
    zero_based: ZeroBasedOption = False,
    trust_paths: TrustPathsOption = False,
) -> None:
    """One self-contained HTML page: edit x and every weight, watch every a_i^(j) (or δ) change."""
    from nncalc.files.inputs import choose
    from nncalc.files.labels import label
    from nncalc.render.page import to_page

    net = _load(network, trust_paths)
    given = label(net, y, zero_based) if y is not None else None
    document = to_page(net, choose(net, [x])[0][0] if x else None, present, given, backward)
    _document(document, output, ".html", f"wrote the page of {net.name or network}")


def _document(document: str, output: str | None, suffix: str, done: str) -> None:
    """A document to stdout (no output, or -), or written atomically to ``output`` (which
    must end in suffix)."""
    if output in (None, "-"):
        print(document, end="")
        return
    from nncalc.files.outputs import atomic, check_path

    check_path(output, (suffix,))
    with atomic(output) as f:
        f.write(document)
    say(f"{done} to {output}")


@app.command(
    "import",
    epilog=_examples(
        "nncalc import samples/interop/iris-sklearn.onnx -o iris.yaml",
        "nncalc import samples/interop/iris-torch.safetensors -g relu,softmax "
        "-k setosa,versicolor,virginica",
    ),
)
def import_(
    model: Annotated[
        str,
        _argument(
            "MODEL",
            "FILE",
            "An ONNX model (.onnx) or a PyTorch state_dict (.safetensors, .pt, .pth, .bin).",
        ),
    ],
    output: Annotated[
        str | None,
        _text("--output", "-o", help="The network file (.yaml); default (or -): stdout, inline."),
    ] = None,
    activations: Annotated[
        str | None,
        _text(
            "--activations",
            "-g",
            help="A state_dict's activations: one for every layer, or one per layer "
            "(e.g. relu,relu,softmax), parameters in parentheses: leaky_relu(alpha=0.2).",
            metavar="LIST",
        ),
    ] = None,
    order: Annotated[
        str | None,
        _text(
            "--order",
            help="A state_dict's modules in the order they run, where their names do not "
            "say it (e.g. fc1,bn1,fc2,out); g where an activation runs (fc1,g,bn1,fc2).",
            metavar="LIST",
        ),
    ] = None,
    bn_eps: Annotated[
        float | None,
        typer.Option(
            "--bn-eps",
            help="The ε of a state_dict's BatchNorm1d modules, which it does not hold "
            "(PyTorch's default: 1e-5).",
            metavar="EPS",
            show_default=False,
        ),
    ] = None,
    inline: Annotated[
        bool, typer.Option("--inline", help="Write every matrix into the YAML, however large.")
    ] = False,
    name: Annotated[str | None, _text("--name", help="The network's name.", metavar="NAME")] = None,
    classes: ClassesOption = None,
) -> None:
    """Read a model trained elsewhere as a network file, in the lecture's notation."""
    from pathlib import Path

    from nncalc.files.netsave import SUFFIXES, dumps, save
    from nncalc.files.outputs import check_path
    from nncalc.interop.models import read_model

    output = None if output == "-" else output
    if output is not None:
        check_path(output, SUFFIXES)
    # commas inside parentheses separate parameters: relu,softplus(beta=2, threshold=20)
    names = [g.strip() for g in re.split(r",(?![^(]*\))", activations)] if activations else []
    labels = [c.strip() for c in classes.split(",")] if classes else None
    modules = [m.strip() for m in order.split(",")] if order else None
    imported = read_model(model, names, name, labels, modules, bn_eps)
    _notes(imported.notes)
    net = imported.network
    header = f"Imported by nncalc {__version__} from {Path(model).name}"
    if output is None:
        print(dumps(net, header=header), end="")
        return
    written = save(net, output, inline, header)
    extra = f", with {', '.join(p.name for p in written[1:])}" if written[1:] else ""
    say(f"wrote {output} ({net.L - 1} layers{extra})")


@app.command(
    epilog=_examples(
        "nncalc export samples/vehicles.yaml -o vehicles.onnx",
        "nncalc export samples/relu-softmax.yaml -o model.safetensors",
    )
)
def export(
    network: NetworkArgument,
    output: Annotated[
        str,
        _text(
            "--output",
            "-o",
            help="The file: .onnx, or a PyTorch state_dict (.safetensors, .pt, .pth, .bin).",
        ),
    ],
    trust_paths: TrustPathsOption = False,
) -> None:
    """Write the network for other tools: a float64 ONNX model, or a PyTorch state_dict."""
    from nncalc.files.outputs import check_path
    from nncalc.interop.models import EXPORT_SUFFIXES, save_model

    check_path(output, EXPORT_SUFFIXES)
    net = _load(network, trust_paths)
    _notes(save_model(net, output))
    say(f"exported {net.name or network} to {output}")


@app.command(
    epilog=_examples(
        "nncalc params 3 5 10",
        "nncalc params 784 30 10 -j 1 --expect 23550",
        "nncalc params samples/lecture-3-3-1.yaml --json",
    )
)
def params(
    network_or_sizes: Annotated[
        list[str],
        _argument(
            "NETWORK|SIZES...",
            "FILE|N...",
            "A network file, or the layer sizes s_1 s_2 … (e.g. 3 5 10).",
        ),
    ],
    theta: Annotated[
        int | None,
        typer.Option(
            "--theta", "-j", help="Only Θ^(J): print its count.", show_default=False, metavar="J"
        ),
    ] = None,
    expect: Annotated[
        str | None,
        typer.Option(
            "--expect",
            help="Check the total (or Θ^(J)'s) count.",
            show_default=False,
            metavar="N",
        ),
    ] = None,
    json_output: JsonOption = False,
    trust_paths: TrustPathsOption = False,
) -> None:
    """Count the parameters of each Θ^(j): s_(j+1)·s_j weights + s_(j+1) biases."""
    from nncalc import params as counting

    expect = None if expect is None else counting.parse_count(expect, "--expect")
    if len(network_or_sizes) == 1 and not network_or_sizes[0].replace(",", "").isdigit():
        net = _load(network_or_sizes[0], trust_paths)
        counts, title = counting.of_network(net), net.name
    else:
        counts, title = counting.count(counting.parse_sizes(network_or_sizes)), None
    chosen = counts.theta(theta) if theta is not None else counts
    ok = expect is None or chosen.total == expect
    if json_output:
        from nncalc.render.json import dumps, params_document

        document = params_document(counts)
        if expect is not None:
            document["expect"] = {
                "theta": theta,
                "expected": expect,
                "actual": chosen.total,
                "ok": ok,
            }
        print(dumps(document))
    elif expect is not None:
        verdict = "✓" if ok else "✗"
        wrong = "" if ok else f", not {expect:,}"
        print(f"{verdict} {chosen.breakdown()}{wrong}")
    elif theta is not None:
        print(chosen.total)
    else:
        from nncalc.render import params as report
        from nncalc.render import style

        style.console().print(report.report(counts, title))
    if not ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command(
    epilog=_examples(
        "nncalc onehot 3 -k 10",
        "nncalc onehot car truck -k pedestrian,car,motorcycle,truck",
        "nncalc onehot --decode 0.1,0.7,0.2 -k 3 --expect 2",
    )
)
def onehot(
    labels: Annotated[
        list[str] | None,
        _argument("LABEL...", "N|NAME", "Class labels: numbers (1-based) or names."),
    ] = None,
    classes: Annotated[
        str | None,
        _text("--classes", "-k", help="K, or the class names: pedestrian,car,…", metavar="K|NAMES"),
    ] = None,
    zero_based: Annotated[
        bool, typer.Option("--zero-based", help="Labels count from 0 (PyTorch, scikit-learn).")
    ] = False,
    labels_file: Annotated[
        str | None,
        _text("--labels", help="More labels: one per line, or a .csv column (-: stdin)."),
    ] = None,
    decode: Annotated[
        str | None,
        typer.Option(
            "--decode",
            help="A one-hot or probability vector to read back as a label.",
            show_default=False,
            metavar="LIST",
        ),
    ] = None,
    expect: Annotated[
        str | None,
        typer.Option(
            "--expect",
            help="Check the result: a vector (rows split by ;) or, with --decode, a label.",
            show_default=False,
            metavar="LIST|LABEL",
        ),
    ] = None,
    json_output: JsonOption = False,
    output: Annotated[
        str | None,
        _text("--output", "-o", help="Write Y to a .csv or .npy file (-: stdout)."),
    ] = None,
) -> None:
    """One-hot encode class labels: class k of K is e_k (y^(10) = e_3 for class 3)."""
    from nncalc import onehot as oh

    if decode is not None:
        _decode(decode, classes, zero_based, expect, json_output)
        return
    if classes is None:
        raise NNCalcError.at("--classes is required", hint="give K (--classes 10) or names")
    k = oh.Classes.parse(classes, zero_based)
    given = list(labels or [])
    if labels_file:
        from nncalc.files.yamlfile import read_text

        piped = _stdin_or(labels_file)
        given += oh.read_labels(read_text(piped), str(piped), k)
    if not given:
        raise NNCalcError.at("no labels given", hint="e.g. nncalc onehot 3 --classes 10")
    Y = oh.encode(given, k)
    if output == "-" and (json_output or expect is not None):
        raise NNCalcError.at(
            "-o - writes to standard output, and so do --json and --expect", hint="give one"
        )
    if output:
        from nncalc.files.outputs import write_matrix

        write_matrix(output, Y, [str(c) for c in k.labels])
    ok = expect is None or _rows(expect) == Y
    from nncalc.render import onehot as shown

    if json_output:
        from nncalc.render.json import dumps

        document = shown.document(k, given, Y)
        if expect is not None:
            document["expect"] = {"expected": _rows(expect), "ok": ok}
        print(dumps(document))
    elif not output or expect is not None:
        print("\n".join(shown.lines(given, Y)))
        if expect is not None:
            print(shown.expectation(ok, expect))
    if not ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _rows(text: str) -> list[list[float]]:
    """'0,0,1;1,0,0' as rows of numbers (int where whole)."""
    from nncalc.parsing import vector

    return [
        [int(v) if v.is_integer() else v for v in vector(row, "--expect")]
        for row in text.split(";")
    ]


def _decode(
    text: str, classes: str | None, zero_based: bool, expect: str | None, as_json: bool
) -> None:
    from nncalc import onehot as oh
    from nncalc.parsing import vector

    k = oh.Classes.parse(classes, zero_based) if classes else None
    values = vector(text, "--decode")
    if k is None and zero_based:
        k = oh.Classes(len(values), None, True)
    found = oh.decode(values, k)
    ok = expect is None or expect.strip() == str(found.label)
    from nncalc.render import onehot as shown

    if as_json:
        from nncalc.render.json import dumps

        document = shown.decoded_document(found)
        if expect is not None:
            document["expect"] = {"expected": expect, "ok": ok}
        print(dumps(document))
    else:
        print(shown.decoded_line(found))
        if expect is not None:
            print(shown.expectation(ok, expect))
    if not ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command(epilog=_examples("nncalc quiz", "nncalc quiz --json"))
def quiz(
    json_output: JsonOption = False,
) -> None:
    """Recompute the lecture's worked answers and check each one."""
    from nncalc.grading.quiz import answers

    results = answers()
    if json_output:
        from dataclasses import asdict

        from nncalc.render.json import dumps

        ok = all(a.ok for a in results)
        print(dumps({"ok": ok, "answers": [asdict(a) for a in results]}))
    else:
        from nncalc.render import quiz as report
        from nncalc.render import style

        style.console().print(report.report(results))
    if not all(a.ok for a in results):
        raise typer.Exit(EXIT_CHECK_FAILED)


class HandoutFormat(StrEnum):
    markdown = "markdown"
    latex = "latex"


@app.command(
    epilog=_examples(
        "nncalc handout samples/grading/sheet.yaml",
        "nncalc handout samples/grading/variants-sheet.yaml --student alice --format latex",
        "nncalc handout samples/grading/sheet.yaml -o week3",
    )
)
def handout(
    sheet: Annotated[str, _argument("SHEET", "FILE", "An answer sheet (YAML).")],
    student: Annotated[
        str | None,
        _text("--student", help="The student (required for a sheet with variants).", metavar="ID"),
    ] = None,
    report: Annotated[
        HandoutFormat,
        typer.Option("--format", help="Print the hand-out in Markdown or as a LaTeX document."),
    ] = HandoutFormat.markdown,
    output: Annotated[
        str | None,
        _text(
            "--output",
            "-o",
            help="Write questions.md, questions.tex and answers.yaml in this folder.",
            metavar="DIR",
        ),
    ] = None,
) -> None:
    """A sheet as students get it: the questions, each network's Θ^(j), and how to hand in."""
    from nncalc.grading import handouts, roster

    if output is not None and report != HandoutFormat.markdown:
        raise NNCalcError.at("-o writes both formats", hint="give --format or -o, not both")
    who = None if student is None else roster.Student(roster.checked_id(student))
    made = handouts.make(handouts.read(sheet), who)
    if output is None:
        from nncalc.render import handout as render

        print(getattr(render, report)(made), end="")
        return
    handouts.write(made, _folder(output))
    say(f"wrote {', '.join(handouts.FILES)} in {output}")


def _folder(path: str) -> str:
    """``path`` as a folder that exists (made if need be)."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise NNCalcError.at(f"cannot make a folder: {e.strerror or e}", path) from None
    return path


RosterOption = Annotated[
    str | None,
    _text(
        "--students",
        help="The roster: an LMS's export (Canvas, Moodle, Blackboard, Gradescope) or CSV.",
        metavar="ROSTER",
    ),
]
IdColumnOption = Annotated[
    str | None, _text("--id-column", help="The roster's column of student ids.", metavar="NAME")
]
NameColumnOption = Annotated[
    str | None, _text("--name-column", help="The roster's column of names.", metavar="NAME")
]


Feedback = StrEnum("Feedback", ["none", "correctness", "key"])  # render.gradescope.FEEDBACK
Keep = StrEnum("Keep", ["latest", "best"])  # grading.pipeline.KEEP
GradesFormat = StrEnum("GradesFormat", ["csv", "json", "moodle", "canvas"])  # render.grading


@app.command(
    epilog=_examples(
        "nncalc variants samples/grading/variants-sheet.yaml --student alice",
        "nncalc variants samples/grading/variants-sheet.yaml "
        "--students samples/grading/roster.csv -o handouts",
    )
)
def variants(
    sheet: Annotated[
        str, _argument("SHEET", "FILE", "An answer sheet, with a variants: section or without.")
    ],
    students: RosterOption = None,
    output: Annotated[
        str | None, _text("--output", "-o", help="The folder for each student's files.")
    ] = None,
    student: Annotated[
        str | None, _text("--student", help="Print this student's hand-out (Markdown).")
    ] = None,
    id_column: IdColumnOption = None,
    name_column: NameColumnOption = None,
) -> None:
    """Each student's hand-out, answers template and sheet, and the class's key."""
    from nncalc.files.checker import plural
    from nncalc.grading import handouts, roster

    if student is not None and students is None and output is None:
        handout(sheet, student, HandoutFormat.markdown, None)
        return
    if student is not None or students is None or output is None:
        raise NNCalcError.at("give --students ROSTER -o DIR, or --student ID alone")
    spec = handouts.read(sheet)
    class_ = roster.read_roster(students, id_column, name_column).students
    made = handouts.write_class(spec, class_, output)
    if spec.variants is None:
        what = plural(len(made), "hand-out", "hand-outs")
        say(f"{what} in {output}; no variants: the same values for all")
        return
    redrawn = sum(v.redraws > 0 for v in made)
    say(
        f"{plural(len(made), 'variant', 'variants')} in {output}; {redrawn} redrawn "
        f"to be well-posed ({plural(sum(v.redraws for v in made), 'redraw', 'redraws')})"
    )


@app.command(
    epilog=_examples(
        "nncalc check samples/grading/sheet.yaml",
        "nncalc check samples/grading/sheet.yaml -a samples/grading/answers-partial.yaml",
        "nncalc check sheet.yaml -a - < answers.yaml",
    )
)
def check(
    sheet: Annotated[str, _argument("SHEET", "FILE", "The answer sheet (YAML).")],
    answers: Annotated[
        str | None, _text("--answers", "-a", help="A student's answers (YAML; -: stdin).")
    ] = None,
    json_output: JsonOption = False,
    output: Annotated[
        str | None,
        _text("--output", "-o", help="Also write the JSON document here (-: stdout, as --json)."),
    ] = None,
    gradescope: Annotated[
        str | None, _text("--gradescope", help="Also write Gradescope's results.json here.")
    ] = None,
    feedback: Annotated[
        Feedback,
        typer.Option(
            "--feedback", help="What results.json shows students: key only after the due date."
        ),
    ] = Feedback.correctness,
    student: Annotated[
        str | None, _text("--student", help="Whose answers (and variant) these are.", metavar="ID")
    ] = None,
    students: RosterOption = None,
    gradescope_metadata: Annotated[
        str | None,
        _text("--gradescope-metadata", help="The student from Gradescope's metadata file."),
    ] = None,
    id_column: IdColumnOption = None,
    name_column: NameColumnOption = None,
) -> None:
    """Check a sheet's answers against nncalc, or mark a student's answers."""
    from nncalc.files.outputs import check_path
    from nncalc.grading import pipeline, roster
    from nncalc.render import json as documents

    if output == "-":  # the JSON document to standard output, as --json
        output, json_output = None, True
    if gradescope and answers is None:
        raise NNCalcError.at("--gradescope needs --answers", hint="the student's answer file")
    for path in (output, gradescope):
        if path:
            check_path(path, (".json",))
    key = pipeline.Key.load(sheet)
    ids = roster.read_roster(students, id_column, name_column) if students else None
    if answers is None:
        _check_key(
            key.for_student(roster.whose(student, gradescope_metadata, ids)), json_output, output
        )
        return
    row = _marked_for_gradescope(
        key, _stdin_or(answers), ids, student, gradescope_metadata, gradescope, feedback
    )
    if row.error:
        raise NNCalcError.at(row.error)
    _report(documents.grade_document(row), json_output, output, "grade_report", row)
    if row.score < row.grade.sheet.max_score:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _check_key(sheet, json_output: bool, output: str | None) -> None:
    """check SHEET: the sheet's own answers against nncalc's; exit 1 if one disagrees."""
    from nncalc.grading import marking
    from nncalc.render.json import key_document

    marks = marking.key_marks(sheet)
    _report(key_document(sheet, marks), json_output, output, "key_report", sheet, marks)
    if not all(m.ok for m in marks):
        raise typer.Exit(EXIT_CHECK_FAILED)


def _marked_for_gradescope(key, path, ids, student, metadata, results, feedback):  # -> Row
    """One submission's row; with --gradescope, its results.json, written even when whose
    it is cannot be told (score 0 and why)."""
    from nncalc.grading import pipeline, roster
    from nncalc.render import gradescope

    try:
        row = pipeline.mark_one(key, path, ids, roster.whose(student, metadata, ids))
    except NNCalcError as e:
        if results:
            _write_json(results, gradescope.failed(e))
        raise
    if results:
        _write_json(results, gradescope.results(row, feedback.value))
    return row


def _report(document, json_output: bool, output: str | None, table: str, *args) -> None:
    """A JSON document to -o and/or stdout, or else the named table of render.grading."""
    from nncalc.render.json import dumps

    if output:
        _write_json(output, document)
    if json_output:
        print(dumps(document))
    else:
        from nncalc.render import grading as report
        from nncalc.render import style

        style.console().print(getattr(report, table)(*args))


def _write_json(path: str, document) -> None:
    from nncalc.files.outputs import atomic
    from nncalc.render.json import dumps

    with atomic(path) as f:
        f.write(dumps(document) + "\n")


@app.command(
    epilog=_examples(
        "nncalc grade samples/grading/sheet.yaml samples/grading/answers-*.yaml",
        "nncalc grade sheet.yaml */answers.yaml --students roster.csv -o grades.csv",
        "nncalc grade sheet.yaml submissions/* --students moodle.csv --format moodle -o import.csv",
    )
)
def grade(
    sheet: Annotated[str, _argument("SHEET", "FILE", "The answer sheet (YAML).")],
    submissions: Annotated[
        list[str],
        _argument("SUBMISSION...", "FILE...", "Students' answer files."),
    ],
    output: Annotated[
        str | None,
        _text("--output", "-o", "--csv", help="Write the grades here (default, or -: stdout)."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Every student's marks as one JSON document.")
    ] = False,
    fmt: Annotated[
        GradesFormat | None,
        typer.Option(
            "--format", help="csv (default), json, or an LMS's grade import.", show_default=False
        ),
    ] = None,
    students: RosterOption = None,
    keep: Annotated[
        Keep, typer.Option("--keep", help="Of several files of one student, which counts.")
    ] = Keep.latest,
    assignment: Annotated[
        str | None,
        _text(
            "--assignment",
            help="The LMS's grade column (default: the sheet's title).",
            metavar="NAME",
        ),
    ] = None,
    id_column: IdColumnOption = None,
    name_column: NameColumnOption = None,
) -> None:
    """Grade a whole class: one row per student (every roster student with --students)."""
    from nncalc.files.outputs import atomic, check_path
    from nncalc.grading import pipeline, roster
    from nncalc.render import grading as report

    output = None if output == "-" else output  # standard output, as without -o
    chosen = report.format_of(output, json_output, fmt.value if fmt else None)
    key = pipeline.Key.load(sheet)
    ids = roster.read_roster(students, id_column, name_column) if students else None
    if output:
        check_path(output, (".json",) if chosen == "json" else (".csv",))
    large = None if len(submissions) >= 20 else False
    paths = _progress_bar(submissions, len(submissions), large, "grading", lambda _: 1)
    marks = pipeline.mark_class(key, paths, ids, keep.value)
    with atomic(output) if output else contextlib.nullcontext(sys.stdout) as f:
        report.write_marks(f, marks, chosen, assignment)
    say(report.summary(marks, output))


def _error(message: str) -> None:
    from nncalc.process import error

    error(message)


def _run(argv: list[str] | None) -> int:
    """Run the command line; returns the exit code."""
    from nncalc import process

    global _debug
    args = list(sys.argv[1:] if argv is None else argv)
    for arg in args:
        problem = process.unusable(arg)
        if problem:
            _error(f"an argument {problem}, which no file name or value can hold")
            return EXIT_BAD_INPUT
    args, debug = _without_debug(args)
    _debug = debug or bool(os.environ.get("NNCALC_DEBUG"))
    command = commands.group(app)
    try:
        with inputs_guarded():
            result = command.main(args=args, prog_name="nncalc", standalone_mode=False)
    except NNCalcError as e:
        if _debug:
            raise
        for problem in e.problems:
            _error(str(problem))
        return EXIT_BAD_INPUT
    except typer.Exit as e:
        return e.exit_code
    except typer.TyperException as e:  # usage errors: unknown options, bad values
        message = _usage_error(e)
        if message:  # empty after no_args_is_help has printed the help
            _error(message)
        return EXIT_BAD_INPUT
    except (typer.Abort, KeyboardInterrupt):
        return 130
    except SystemExit as e:  # Click's sys.exit(1) for a closed pipe is ours to report
        if isinstance(e.__context__, OSError) and process.is_stdout_error(e.__context__):
            return process.stdout_failed(e.__context__)
        raise
    except Exception as e:
        if process.is_stdout_error(e):
            return process.stdout_failed(e)
        if _debug:
            raise
        if isinstance(e, OSError) and "--install-completion" in args:  # Typer writes the file
            where = f"{e.filename}: " if e.filename else ""
            _error(f"{where}cannot install shell completion: {e.strerror or e}")
            return EXIT_BAD_INPUT
        _error(
            f"internal error ({type(e).__name__}: {e}); this is a bug: please report it "
            "with the output of the same command run with --debug"
        )
        return EXIT_SOFTWARE
    return result if isinstance(result, int) else 0


def _without_debug(args: list[str]) -> tuple[list[str], bool]:
    """The arguments without --debug (before any --), wherever it is, and whether it was."""
    end = args.index("--") if "--" in args else len(args)
    kept = [a for a in args[:end] if a != "--debug"] + args[end:]
    return kept, len(kept) < len(args)


def _usage_error(e) -> str:
    """Click's usage error as one line of ours: "no such command 'froward'; did you mean
    'forward'? See 'nncalc --help'" (empty after no_args_is_help has printed the help)."""
    message = e.format_message().strip().rstrip(".")
    if not message:
        return ""
    message = re.sub(r"\. ([A-Z])", lambda m: f"; {m[1].lower()}", message)
    message = message.replace(": Value error, ", ": ")  # Typer's wording of a bad choice
    ctx = getattr(e, "ctx", None)
    where = f"nncalc {ctx.info_name}" if ctx and ctx.parent else "nncalc"
    see = " See" if message.endswith("?") else "; see"
    return f"{message[:1].lower()}{message[1:]}{see} '{where} --help'"


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code instead of raising SystemExit."""
    from nncalc.process import finish

    return finish(_run, argv)
