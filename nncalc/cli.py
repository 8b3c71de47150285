"""The nncalc command line: parse, call the core, hand the result to a renderer.

Exit codes: 0 success, 1 a check or expectation failed, 2 bad usage or bad input,
70 an internal error (a bug: please report it), 128 + N ended by signal N.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import sys
import threading
from collections.abc import Iterator
from typing import Annotated

import typer

from nncalc import __version__
from nncalc.errors import NNCalcError

EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_SOFTWARE = 70

app = typer.Typer(
    name="nncalc",
    help="Forward propagation, parameter counts and one-hot labels, in the lecture's notation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_debug = False

JsonOption = Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")]
NetworkArgument = Annotated[
    str, typer.Argument(help="The network file (YAML), or an ONNX model.", show_default=False)
]


def _text(*names: str, help: str):
    """An optional text option (a file name, a vector, a label…) with no default shown."""
    return typer.Option(*names, help=help, show_default=False)


def _load(path: str):  # -> Network
    """A network file, or an ONNX model read as one (what it computes differently noted)."""
    if not path.lower().endswith(".onnx"):
        from nncalc.files import netfile

        return netfile.load(path)
    from nncalc.interop.models import read_model

    imported = read_model(path)
    _notes(imported.notes)
    return imported.network


def _notes(notes) -> None:
    for note in notes:
        print(f"nncalc: note: {note}", file=sys.stderr)


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


@app.command()
def forward(
    network: NetworkArgument,
    x: Annotated[
        list[str] | None,
        typer.Option("-x", help="An example, e.g. -x 66,39,12 (repeatable).", show_default=False),
    ] = None,
    input_file: Annotated[
        str | None, _text("--input", "-i", help="Examples from a .yaml, .csv or .npy file.")
    ] = None,
    json_output: JsonOption = False,
    output: Annotated[
        str | None, _text("--output", "-o", help="Write h_Θ(x) to a .csv or .npy file.")
    ] = None,
    precision: Annotated[
        int, typer.Option("--precision", "-p", min=1, max=17, help="Significant digits shown.")
    ] = 6,
    dtype: Annotated[
        str, typer.Option("--dtype", help="float64, or float32 for speed (with -o only).")
    ] = "float64",
    explain: Annotated[
        bool, typer.Option("--explain", help="Show each unit's arithmetic, as in the lecture.")
    ] = False,
    report: Annotated[
        str,
        typer.Option("--format", help="table, or latex or markdown for a worked solution."),
    ] = "table",
    layer: Annotated[
        int | None,
        typer.Option("--layer", help="With --explain: only layer J.", show_default=False),
    ] = None,
    unit: Annotated[
        int | None, typer.Option("--unit", help="With --explain: only unit I.", show_default=False)
    ] = None,
    progress: Annotated[
        bool | None,
        typer.Option(
            "--progress/--no-progress",
            help="A progress bar for -o (default: when stderr is a terminal).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Forward propagation: every z_i^(j) and a_i^(j), layer by layer."""
    from nncalc.files import inputs, outputs

    if report not in ("table", "latex", "markdown"):
        raise NNCalcError.at(f"--format {report} is not table, latex or markdown")
    if dtype not in ("float64", "float32"):
        raise NNCalcError.at(f"--dtype {dtype} is not float64 or float32")
    net = _load(network)
    if output:
        outputs.check_path(output)
    if output and not json_output:
        _forward_to_file(net, x or (), input_file, output, dtype, progress)
        return
    if dtype != "float64":
        raise NNCalcError.at("--dtype float32 is for -o only", hint="tables and JSON are float64")
    X, names = inputs.choose(net, x or (), input_file)
    trace = net.forward(X)
    if output:
        outputs.write_matrix(output, trace.output, net.output_labels)
        print(f"nncalc: wrote h_Θ(x) of {len(trace)} example(s) to {output}", file=sys.stderr)
    if json_output:
        from nncalc.render.json import dumps, forward_document

        print(dumps(forward_document(trace, names)))
    elif explain:
        _explain(trace, names, precision, layer, unit)
    elif report in ("latex", "markdown"):
        from nncalc.render import solution

        write = getattr(solution, report)
        if report == "markdown":
            print(f"## {net.name or network}\n")
        print("\n\n".join(write(trace, k, names[k], precision) for k in range(len(trace))))
    else:
        from nncalc.render import forward as tables
        from nncalc.render import style

        console = style.console()
        console.print(tables.summary(net))
        for k in range(len(trace)):
            console.print(tables.example(trace, k, names[k], precision))


def _explain(trace, names, precision: int, layer: int | None, unit: int | None) -> None:
    """The --explain report: every unit's derivation, or those of --layer / --unit."""
    from nncalc.render.explain import example_lines

    net = trace.network
    if layer is not None and not 2 <= layer <= net.L:
        raise NNCalcError.at(
            f"--layer {layer} is not a layer with units to explain", hint=f"2 … {net.L}"
        )
    if unit is not None:
        widest = max(net.sizes[1:]) if layer is None else net.sizes[layer - 1]
        if not 1 <= unit <= widest:
            raise NNCalcError.at(f"--unit {unit} does not exist", hint=f"units are 1 … {widest}")
    for k in range(len(trace)):
        x = ", ".join(f"{v:g}" for v in trace.a[1][k])
        print(f"Example {k + 1}" + (f": {names[k]}" if names[k] else "") + f"   x = [{x}]\n")
        print("\n".join(example_lines(trace, k, precision, layer, unit)))


def _forward_to_file(net, xs, input_file, output, dtype, progress) -> None:
    """The large-batch path: stream the examples through nncalc.batch into the file."""
    import numpy as np

    from nncalc import batch
    from nncalc.files import inputs, outputs

    rows = batch.chunk_rows(net)
    total, chunks = inputs.stream(net, xs, input_file, rows)
    one_chunk = total is not None and total <= rows  # no threads to start for it
    results = batch.outputs(net, chunks, getattr(np, dtype), workers=1 if one_chunk else 0)
    with outputs.MatrixWriter(output, net.output_labels, getattr(np, dtype)) as writer:
        for Y in _progress_bar(results, total, progress):
            writer.write(Y)
    print(f"nncalc: wrote h_Θ(x) of {writer.rows} example(s) to {output}", file=sys.stderr)


def _progress_bar(items, total: int | None, wanted: bool | None, what: str = "forward", size=len):
    """items, counted (by size) on a progress bar on stderr; by default when it is a terminal."""
    if not (sys.stderr.isatty() if wanted is None else wanted):
        yield from items
        return
    from rich.progress import Progress

    from nncalc.render import style

    with Progress(console=style.console(stderr=True), transient=True) as bar:
        task = bar.add_task(what, total=total)
        for item in items:
            yield item
            bar.advance(task, size(item))


@app.command()
def collapse(
    network: NetworkArgument,
    json_output: JsonOption = False,
) -> None:
    """The single Θ of a network whose activations are all the identity (why non-linearity?)."""
    from nncalc.collapse import NotLinearError, collapse

    net = _load(network)
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
    from rich.text import Text

    from nncalc.render import style
    from nncalc.render.numbers import fmt

    title = f"{net.L - 1} identity layers are one: h_Θ(x) = Θ·[1; x] with Θ ="
    table = style.table()
    table.add_column("unit", justify="right")
    table.add_column("bias", justify="right")
    for m in range(1, theta.shape[1]):
        table.add_column(f"x_{m}", justify="right")
    for i, row in enumerate(theta.tolist(), start=1):
        table.add_row(str(i), *(fmt(v, 10) for v in row))
    note = "Θ = Θ^(L−1)·[e_0; Θ^(L−2)]·…·[e_0; Θ^(1)]: without a non-linear g, depth adds nothing"
    style.console().print(Text(title, style="bold"), table, Text(note, style="dim"))


@app.command()
def draw(
    network: NetworkArgument,
    output: Annotated[
        str | None, _text("--output", "-o", help="The .svg file (default: stdout).")
    ] = None,
    x: Annotated[
        str | None, _text("-x", help="An example: every unit shows its activation.")
    ] = None,
) -> None:
    """Draw the network as the lecture does: units, bias units, weights by sign and size."""
    from nncalc.files.inputs import choose
    from nncalc.render.svg import draw as svg

    net = _load(network)
    trace = net.forward(choose(net, [x])[0]) if x else None
    document = svg(net, trace)
    if output is None:
        print(document, end="")
        return
    from nncalc.files.outputs import atomic, check_path

    check_path(output, (".svg",))
    with atomic(output) as f:
        f.write(document)
    print(f"nncalc: drew {net.name or network} to {output}", file=sys.stderr)


@app.command("import")
def import_(
    model: Annotated[
        str,
        typer.Argument(
            help="An ONNX model (.onnx) or a PyTorch state_dict (.safetensors, .pt, .pth, .bin).",
            show_default=False,
        ),
    ],
    output: Annotated[
        str | None,
        _text("--output", "-o", help="The network file (.yaml); default: stdout, all inline."),
    ] = None,
    activations: Annotated[
        str | None,
        _text(
            "--activations",
            "-g",
            help="A state_dict's activations: one for every layer, or one per layer "
            "(e.g. relu,relu,softmax).",
        ),
    ] = None,
    order: Annotated[
        str | None,
        _text(
            "--order",
            help="A state_dict's modules in the order they run, where their names do not "
            "say it (e.g. fc1,bn1,fc2,out).",
        ),
    ] = None,
    inline: Annotated[
        bool, typer.Option("--inline", help="Write every matrix into the YAML, however large.")
    ] = False,
    name: Annotated[str | None, _text("--name", help="The network's name.")] = None,
    classes: Annotated[
        str | None, _text("--classes", help="Names of the output units, e.g. cat,dog,emu.")
    ] = None,
) -> None:
    """Read a model trained elsewhere as a network file, in the lecture's notation."""
    from pathlib import Path

    from nncalc.files.netsave import SUFFIXES, dumps, save
    from nncalc.files.outputs import check_path
    from nncalc.interop.models import read_model

    if output is not None:
        check_path(output, SUFFIXES)
    names = [g.strip() for g in activations.split(",")] if activations else []
    labels = [c.strip() for c in classes.split(",")] if classes else None
    modules = [m.strip() for m in order.split(",")] if order else None
    imported = read_model(model, names, name, labels, modules)
    _notes(imported.notes)
    net = imported.network
    header = f"Imported by nncalc {__version__} from {Path(model).name}"
    if output is None:
        print(dumps(net, header=header), end="")
        return
    written = save(net, output, inline, header)
    extra = f", with {', '.join(p.name for p in written[1:])}" if written[1:] else ""
    print(f"nncalc: wrote {output} ({net.L - 1} layers{extra})", file=sys.stderr)


@app.command()
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
) -> None:
    """Write the network for other tools: a float64 ONNX model, or a PyTorch state_dict."""
    from nncalc.files.outputs import check_path
    from nncalc.interop.models import EXPORT_SUFFIXES, save_model

    check_path(output, EXPORT_SUFFIXES)
    net = _load(network)
    _notes(save_model(net, output))
    print(f"nncalc: exported {net.name or network} to {output}", file=sys.stderr)


@app.command()
def params(
    network_or_sizes: Annotated[
        list[str],
        typer.Argument(
            help="A network file, or the layer sizes s_1 s_2 … (e.g. 3 5 10).",
            show_default=False,
            metavar="NETWORK | SIZES...",
        ),
    ],
    theta: Annotated[
        int | None,
        typer.Option("--theta", "-j", help="Only Θ^(J): print its count.", show_default=False),
    ] = None,
    expect: Annotated[
        str | None,
        typer.Option(
            "--expect",
            help="Check the total (or Θ^(J)'s) count.",
            show_default=False,
            metavar="INTEGER",
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Count the parameters of each Θ^(j): s_(j+1)·s_j weights + s_(j+1) biases."""
    from nncalc import params as counting

    expect = None if expect is None else counting.parse_count(expect, "--expect")
    if len(network_or_sizes) == 1 and not network_or_sizes[0].replace(",", "").isdigit():
        net = _load(network_or_sizes[0])
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


@app.command()
def onehot(
    labels: Annotated[
        list[str] | None,
        typer.Argument(help="Class labels: numbers (1-based) or names.", show_default=False),
    ] = None,
    classes: Annotated[
        str | None, _text("--classes", "-k", help="K, or the class names: pedestrian,car,…")
    ] = None,
    zero_based: Annotated[
        bool, typer.Option("--zero-based", help="Labels count from 0 (PyTorch, scikit-learn).")
    ] = False,
    labels_file: Annotated[
        str | None, _text("--labels", help="More labels: one per line, or a .csv column.")
    ] = None,
    decode: Annotated[
        str | None,
        typer.Option(
            "--decode",
            help="A one-hot or probability vector to read back as a label.",
            show_default=False,
        ),
    ] = None,
    expect: Annotated[
        str | None,
        typer.Option(
            "--expect",
            help="Check the result: a vector (rows split by ;) or, with --decode, a label.",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
    output: Annotated[
        str | None, _text("--output", "-o", help="Write Y to a .csv or .npy file.")
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

        given += oh.read_labels(read_text(labels_file), labels_file, k)
    if not given:
        raise NNCalcError.at("no labels given", hint="e.g. nncalc onehot 3 --classes 10")
    Y = oh.encode(given, k)
    if output:
        from nncalc.files.outputs import write_matrix

        write_matrix(output, Y, [str(c) for c in k.labels])
    ok = expect is None or _rows(expect) == Y
    if json_output:
        from nncalc.render.json import dumps

        document = {
            "classes": k.labels,
            "labels": [k.label(k.index(g)) for g in given],
            "onehot": Y,
        }
        if expect is not None:
            document["expect"] = {"expected": _rows(expect), "ok": ok}
        print(dumps(document))
    elif not output or expect is not None:
        for label, y in zip(given, Y, strict=True):
            e_k = "" if zero_based else f"e_{y.index(1) + 1} = "
            print(f"{label} → {e_k}[{' '.join(map(str, y))}]")
        if expect is not None:
            print("✓ as expected" if ok else f"✗ expected {expect}")
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
    how = "one-hot" if found.one_hot else "argmax" + (" (tied: the first)" if found.tied else "")
    if as_json:
        from nncalc.render.json import dumps

        document = {
            "label": found.label,
            "unit": found.k,
            "one_hot": found.one_hot,
            "tied": found.tied,
        }
        if expect is not None:
            document["expect"] = {"expected": expect, "ok": ok}
        print(dumps(document))
    else:
        print(f"{found.label}    (unit {found.k}, {how})")
        if expect is not None:
            print("✓ as expected" if ok else f"✗ expected {expect}")
    if not ok:
        raise typer.Exit(EXIT_CHECK_FAILED)


@app.command()
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


@app.command()
def variants(
    sheet: Annotated[
        str, typer.Argument(help="An answer sheet with a variants: section.", show_default=False)
    ],
    students: Annotated[
        str | None, _text("--students", help="The roster: CSV with an id column (and name).")
    ] = None,
    output: Annotated[
        str | None, _text("--output", "-o", help="The folder for each student's files.")
    ] = None,
    student: Annotated[
        str | None, _text("--student", help="Print this student's handout (Markdown).")
    ] = None,
) -> None:
    """Per-student variants of a sheet: each student's handout, sheet and key."""
    from nncalc.grading import roster
    from nncalc.grading import variants as core

    spec = core.load(sheet)
    if student is not None and students is None and output is None:
        from nncalc.render.handout import markdown

        variant = core.draw(spec, roster.checked_id(student))
        core.sheet(spec, variant)  # the questions checked too
        print(markdown(spec, variant, roster.Student(student)))
        return
    if student is not None or students is None or output is None:
        raise NNCalcError.at("give --students ROSTER -o DIR, or --student ID alone")
    made = core.write(spec, roster.read_roster(students), output)
    redrawn = sum(v.redraws > 0 for v in made)
    print(
        f"nncalc: {len(made)} variant(s) in {output}; {redrawn} redrawn to be well-posed "
        f"({sum(v.redraws for v in made)} redraws)",
        file=sys.stderr,
    )


@app.command()
def check(
    sheet: Annotated[str, typer.Argument(help="The answer sheet (YAML).", show_default=False)],
    answers: Annotated[
        str | None, _text("--answers", "-a", help="A student's answers (YAML).")
    ] = None,
    json_output: JsonOption = False,
    gradescope: Annotated[
        str | None, _text("--gradescope", help="Also write Gradescope's results.json here.")
    ] = None,
    student: Annotated[
        str | None, _text("--student", help="The student whose variant to mark against.")
    ] = None,
    gradescope_metadata: Annotated[
        str | None,
        _text("--gradescope-metadata", help="The student from Gradescope's metadata file."),
    ] = None,
) -> None:
    """Check a sheet's answers against nncalc, or mark a student's answers."""
    from nncalc.grading import marking

    key = _sheet_of(sheet, student, gradescope_metadata)
    if answers is None:
        if gradescope:
            raise NNCalcError.at("--gradescope needs --answers", hint="the student's answer file")
        _check_key(key, json_output)
        return
    if gradescope:
        from nncalc.files.outputs import check_path

        check_path(gradescope, (".json",))
    result = marking.grade_file(key, answers)
    if gradescope:
        _write_gradescope(gradescope, result)
    if result.error:
        raise NNCalcError.at(result.error)
    if json_output:
        from nncalc.render.json import dumps, grade_document

        print(dumps(grade_document(result)))
    else:
        from nncalc.render import grading as report
        from nncalc.render import style

        style.console().print(report.grade_report(result))
    if result.score < key.max_score:
        raise typer.Exit(EXIT_CHECK_FAILED)


def _check_key(key, json_output: bool) -> None:
    from nncalc.grading import marking

    marks = marking.key_marks(key)
    if json_output:
        from nncalc.render.json import dumps, key_document

        print(dumps(key_document(key, marks)))
    else:
        from nncalc.render import grading as report
        from nncalc.render import style

        style.console().print(report.key_report(key, marks))
    if not all(m.ok for m in marks):
        raise typer.Exit(EXIT_CHECK_FAILED)


def _sheet_of(sheet: str, student: str | None, metadata: str | None):  # -> Sheet
    """The sheet, or the student's variant of it (--student, or Gradescope's metadata)."""
    from nncalc.grading import marking, roster, variants

    if student is None and metadata is None:
        return marking.load_sheet(sheet)
    if student is not None and metadata is not None:
        raise NNCalcError.at("give --student or --gradescope-metadata, not both")
    student = roster.gradescope_student(metadata) if metadata else roster.checked_id(student)
    spec = variants.load(sheet)
    return variants.sheet(spec, variants.draw(spec, student))


def _write_gradescope(path: str, result) -> None:
    from nncalc.files.outputs import atomic
    from nncalc.render.json import dumps, gradescope_document

    with atomic(path) as f:
        f.write(dumps(gradescope_document(result)) + "\n")


@app.command()
def grade(
    sheet: Annotated[str, typer.Argument(help="The answer sheet (YAML).", show_default=False)],
    submissions: Annotated[
        list[str], typer.Argument(help="Students' answer files.", show_default=False)
    ],
    csv_path: Annotated[
        str | None, _text("--csv", help="Write the grades here (default: stdout).")
    ] = None,
    students: Annotated[
        str | None, _text("--students", help="The roster: grade against each student's variant.")
    ] = None,
) -> None:
    """Grade a whole class: one CSV row per submission, in the order given."""
    if students is not None:
        _grade_variants(sheet, submissions, students, csv_path)
        return
    from nncalc.grading import marking
    from nncalc.render.grading import write_csv

    key = marking.load_sheet(sheet)
    if csv_path:
        from nncalc.files.outputs import check_path

        check_path(csv_path, (".csv",))
    grades, bugs = [], 0
    large = None if len(submissions) >= 20 else False
    for path in _progress_bar(submissions, len(submissions), large, "grading", lambda _: 1):
        try:
            grades.append(marking.grade_file(key, path))
        except Exception as e:  # a bug must not stop the class; it is reported below
            if _debug:
                raise
            bugs += 1
            error = f"internal error ({type(e).__name__}: {e}); please report it"
            grades.append(marking.Grade(key, path, error=error))
    if csv_path:
        from nncalc.files.outputs import atomic

        with atomic(csv_path) as f:
            write_csv(f, key, grades)
    else:
        write_csv(sys.stdout, key, grades)
    broken = sum(g.error is not None for g in grades)
    where = f" to {csv_path}" if csv_path else ""
    print(
        f"nncalc: graded {len(grades)} submission(s){where}; {broken} unreadable", file=sys.stderr
    )
    if bugs:
        _error(f"{bugs} submission(s) hit an internal error; this is a bug, please report it")
        raise typer.Exit(EXIT_SOFTWARE)


def _grade_variants(sheet: str, submissions: list[str], roster: str, path: str | None) -> None:
    """grade --students: each submission against its own student's variant."""
    from nncalc.files.outputs import atomic, check_path
    from nncalc.grading import roster as students
    from nncalc.grading import variants
    from nncalc.render.handout import write_grades

    spec = variants.load(sheet)
    ids = students.read_roster(roster)
    if path:
        check_path(path, (".csv",))
    rows = students.grade_submissions(spec, ids, submissions)
    with atomic(path) if path else contextlib.nullcontext(sys.stdout) as f:
        write_grades(f, [q.id for q in rows[0][1].sheet.questions], rows)
    broken = sum(g.error is not None for _, g in rows)
    print(f"nncalc: graded {len(rows)} submission(s); {broken} with no grade", file=sys.stderr)


def _error(message: str) -> None:
    print(f"nncalc: error: {message}", file=sys.stderr)


def _unusable(arg: str) -> str | None:
    """Why an argument (from Python, not a shell) cannot be used, or None."""
    if "\0" in arg:
        return "contains a NUL byte"
    try:
        os.fsencode(arg)
    except UnicodeEncodeError:
        return "is not valid text (a lone surrogate)"
    return None


def _run(argv: list[str] | None) -> int:
    """Run the command line; returns the exit code."""
    global _debug
    _debug = bool(os.environ.get("NNCALC_DEBUG"))
    for stream in (sys.stdout, sys.stderr):  # arguments' undecodable bytes print as they came
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="surrogateescape")
    for arg in argv or sys.argv[1:]:
        problem = _unusable(arg)
        if problem:
            _error(f"an argument {problem}, which no file name or value can hold")
            return EXIT_BAD_INPUT
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="nncalc", standalone_mode=False)
    except NNCalcError as e:
        if _debug:
            raise
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
        if isinstance(e, OSError) and e.filename is None and e.errno in _FULL:
            return _stdout_failed(e)  # files are written by nncalc.files.outputs: stdout
        if _debug:
            raise
        _error(
            f"internal error ({type(e).__name__}: {e}); this is a bug: please report it "
            "with the output of the same command run with --debug"
        )
        return EXIT_SOFTWARE
    return result if isinstance(result, int) else 0


class _Signalled(BaseException):
    """SIGTERM or SIGHUP, raised where the program is, so every ``with`` unwinds (a
    temporary output file is removed) as it does for Ctrl-C's KeyboardInterrupt."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _on_signal(signum: int, frame) -> None:
    for s in _signals():  # a second signal ends the clean-up at once
        signal.signal(s, signal.SIG_DFL)
    raise _Signalled(signum)


def _signals() -> list[int]:
    return [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]


@contextlib.contextmanager
def _settings() -> Iterator[None]:
    """For one run: SIGTERM and SIGHUP as exceptions (unless ignored, as under nohup), and
    Python's int-to-text limit raised for exact parameter counts of long sizes."""
    from nncalc.params import COUNT_DIGITS

    digits = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(max(digits, COUNT_DIGITS) if digits else 0)
    mine = [s for s in _signals() if signal.getsignal(s) == signal.SIG_DFL]
    if threading.current_thread() is not threading.main_thread():
        mine = []  # only the main thread may set handlers
    for s in mine:
        signal.signal(s, _on_signal)
    try:
        yield
    finally:
        for s in mine:
            signal.signal(s, signal.SIG_DFL)
        sys.set_int_max_str_digits(digits)


_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
"""Errors of writing to a full disk or device."""


def _stdout_error() -> OSError | None:
    """Why stdout cannot take what is left to write, or None. Flushed here, not at exit,
    where a full disk would show a traceback."""
    try:
        sys.stdout.flush()
    except OSError as e:
        return e
    return None


def _stdout_failed(e: OSError) -> int:
    """One line; what is left unwritten goes to /dev/null at exit."""
    _error(f"cannot write to standard output: {e.strerror or e}")
    with contextlib.suppress(OSError, ValueError):  # in-process (tests), stdout has no fd
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return EXIT_BAD_INPUT


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit code instead of raising SystemExit."""
    with _settings():
        try:
            code = _run(argv)
            broken = _stdout_error()
            return _stdout_failed(broken) if broken else code
        except _Signalled as e:
            return 128 + e.signum
