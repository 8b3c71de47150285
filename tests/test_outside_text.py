"""Text from outside, into every output it reaches: the generated table of sources × sinks.

A source is a place that text from outside enters: a name in a network file, a question
id, a roster field, a folder name, an argument, an ONNX node… Each source is given every
payload of outside.PAYLOADS that it can hold (a file holds no undecodable byte, an argument
no NUL), through the commands that write it out; each output is then checked by the
mechanical check of its kind (outside.CHECKS), against the same commands run with benign
text. The LaTeX of every case is compiled in one document with pdflatex -no-shell-escape.

    python tests/test_outside_text.py      # prints the table of sources × sinks, counted
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

from outside import CHECKS, PAYLOADS, TEX_READ, TEX_RUN

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import nncalc  # noqa: E402
from nncalc.cli import main  # noqa: E402

KINDS = tuple(CHECKS)


@dataclass(frozen=True)
class Run:
    """A command line run in the case's folder; ``out`` of it is checked as ``kind``:
    "stdout", "stderr", or a file (a glob) in the folder."""

    kind: str
    argv: tuple[str, ...]
    out: str = "stdout"
    codes: tuple[int, ...] = (0, 1)


@dataclass(frozen=True)
class Source:
    """Where outside text enters: ``make(folder, texts)`` writes the files that hold the
    texts and returns the runs that write them out. ``many``: all payloads at once (as
    names of classes, questions, students…), else one payload per case. ``holds``: which
    texts the place can hold."""

    make: Callable[[Path, list[str]], list[Run]]
    many: bool = False
    holds: Callable[[str], bool] = field(default=lambda text: True)
    adapt: Callable[[str], str] = field(default=lambda text: text)


def in_file(text: str) -> bool:
    """A text file (UTF-8) holds no byte that is not UTF-8."""
    return not re.search("[\ud800-\udfff]", text)


def in_argument(text: str) -> bool:
    """An argument holds no NUL."""
    return "\0" not in text


def as_name(text: str) -> str:
    """A text as a file name (an argument): each '/' a '∕' (U+2215)."""
    return text.replace("/", "∕")


def in_list(text: str) -> bool:
    """A comma-separated argument's item: no comma, no NUL, not only spaces."""
    return in_argument(text) and "," not in text and text.strip() != ""


def one_line(text: str) -> bool:
    """A line of a labels file: one line, not a # comment."""
    return in_file(text) and len(text.splitlines()) == 1 and not text.strip().startswith("#")


# --- writing the files ------------------------------------------------------------------


def yaml(text: str) -> str:
    """text as a YAML double-quoted scalar: JSON's escapes, and \\u escapes for every
    character YAML does not take raw."""
    body = json.dumps(text, ensure_ascii=False)[1:-1]
    return '"' + "".join(c if c.isprintable() else _u(c) for c in body) + '"'


def _u(c: str) -> str:
    return f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}"


def network(
    name: str | None = None, classes: list[str] | None = None, examples: list[str] | None = None
) -> str:
    """A network of K = len(classes) inputs and outputs (2 without classes) whose example
    k (e_k, or 1, 2, …) is predicted as class k, so every class is shown."""
    K = len(classes) if classes else 2
    theta = [[0.0] + [10.0 if m == i else 0.0 for m in range(K)] for i in range(K)]
    lines = [f"name: {yaml(name)}"] if name is not None else []
    if classes:
        lines.append(f"classes: [{', '.join(map(yaml, classes))}]")
    lines += ["layers:", f"  - {{activation: softmax, theta: {theta}}}"]
    names = examples or [None] * K
    lines.append("inputs:")
    for k, example in enumerate(names):
        x = [1.0 if m == k % K else 0.0 for m in range(K)]
        lines.append(f"  - {{name: {yaml(example)}, x: {x}}}" if example else f"  - {x}")
    return "\n".join(lines) + "\n"


def sheet(ids: list[str], texts: list[str] | None = None, title: str = "t", keys=None) -> str:
    """An answer sheet: question k asks for the parameters of a 3-5-10 network (80)."""
    lines = [f"title: {yaml(title)}", "questions:"]
    for k, qid in enumerate(ids):
        text = f", text: {yaml(texts[k])}" if texts else ""
        answer = yaml(keys[k]) if keys else "80"
        lines.append(
            f"  - {{id: {yaml(qid)}{text}, params: {{sizes: [3, 5, 10]}}, answer: {answer}}}"
        )
    return "\n".join(lines) + "\n"


def variants_sheet(
    ids: list[str], texts: list[str] | None = None, title: str = "t", classes=None
) -> str:
    """A sheet with variants: question k asks for the prediction of a random network."""
    named = f", classes: [{', '.join(map(yaml, classes))}]" if classes else ""
    K = len(classes) if classes else 2
    lines = [
        f"title: {yaml(title)}",
        "variants:",
        "  seed: s",
        "  random:",
        f"    net: {{network: {{sizes: [2, {K}], activation: identity, integers: [-9, 9]"
        f"{named}}}}}",
        "    x: {vector: {size: 2, integers: [1, 5]}}",
        "questions:",
    ]
    for k, qid in enumerate(ids):
        text = f", text: {yaml(texts[k])}" if texts else ""
        lines.append(f"  - {{id: {yaml(qid)}{text}, prediction: {{network: $net, x: $x}}}}")
    return "\n".join(lines) + "\n"


def answers(ids: list[str], values: list[str] | None = None, extra=()) -> str:
    lines = [f"{yaml(qid)}: {yaml(values[k]) if values else 80}" for k, qid in enumerate(ids)]
    lines += [f"{yaml(key)}: 1" for key in extra]
    return "\n".join(lines) + "\n"


def ids(n: int) -> list[str]:
    return [f"q{k}" for k in range(1, n + 1)]


# --- the sources ------------------------------------------------------------------------


def labels(folder: Path, count: int, K: int = 2) -> str:
    """A labels file for network()'s examples: example k is of class k % K + 1."""
    path = folder / "y.txt"
    path.write_text("".join(f"{k % K + 1}\n" for k in range(count)), encoding="utf-8")
    return str(path)


def network_name(folder: Path, texts: list[str]) -> list[Run]:
    (folder / "net.yaml").write_text(network(name=texts[0]), encoding="utf-8")
    net = str(folder / "net.yaml")
    y = labels(folder, 2)
    return [
        Run("LaTeX", ("backward", net, "--labels", y, "--format", "latex")),
        Run("JSON", ("backward", net, "--labels", y, "--json")),
        Run("terminal", ("forward", net)),
        Run("terminal", ("params", net)),
        Run("terminal", ("draw", net, "-o", str(folder / "n.svg")), "stderr"),
        Run("terminal", ("@summary", net)),
        Run("LaTeX", ("forward", net, "--format", "latex")),
        Run("Markdown", ("forward", net, "--format", "markdown")),
        Run("JSON", ("forward", net, "--json")),
        Run("SVG", ("draw", net)),
        Run("HTML", ("page", net)),
    ]


def example_names(folder: Path, texts: list[str]) -> list[Run]:
    (folder / "net.yaml").write_text(network(examples=texts), encoding="utf-8")
    net = str(folder / "net.yaml")
    y = labels(folder, len(texts))
    backward = ("backward", net, "--labels", y)
    return [
        Run("terminal", backward[:2] + ("--y", "1") * len(texts) + ("--layer", "2")),
        Run("terminal", (*backward, "--explain")),
        Run("terminal", (*backward, "--expect", "δ_1^(2)=" + ";".join(["0.5"] * len(texts)))),
        Run("LaTeX", (*backward, "--format", "latex")),
        Run("Markdown", (*backward, "--format", "markdown")),
        Run("JSON", (*backward, "--json")),
        Run("terminal", ("forward", net)),  # many examples: one row each
        Run("terminal", ("forward", net, "--layers")),
        Run("terminal", ("forward", net, "--explain")),
        Run("terminal", ("forward", net, "--expect", ";".join(["0.5,0.5"] * len(texts)))),
        Run("LaTeX", ("forward", net, "--format", "latex")),
        Run("Markdown", ("forward", net, "--format", "markdown")),
        Run("JSON", ("forward", net, "--json")),
    ]


def class_names(folder: Path, texts: list[str]) -> list[Run]:
    (folder / "net.yaml").write_text(network(classes=texts), encoding="utf-8")
    net = str(folder / "net.yaml")
    y = labels(folder, len(texts), len(texts))
    return [
        Run("terminal", ("cost", net, "--labels", y)),
        Run("JSON", ("cost", net, "--labels", y, "--json")),
        Run("terminal", ("forward", net, "--layers")),
        Run("terminal", ("@summary", net)),
        Run("Markdown", ("forward", net, "--format", "markdown")),
        Run("JSON", ("forward", net, "--json")),
        Run("CSV", ("forward", net, "-o", "-")),
        Run("SVG", ("draw", net)),
        Run("HTML", ("page", net)),
    ]


def class_arguments(folder: Path, texts: list[str]) -> list[Run]:
    k = ",".join(texts)
    one_hot = ",".join(["1"] + ["0"] * (len(texts) - 1))
    return [
        Run("terminal", ("onehot", "-k", k, "--", *texts)),
        Run("terminal", ("onehot", "-k", k, "--decode", one_hot, "--expect", texts[-1])),
        Run("JSON", ("onehot", "-k", k, "--json", "--", *texts)),
        Run("CSV", ("onehot", "-k", k, "-o", "-", "--", *texts)),
    ]


def label_lines(folder: Path, texts: list[str]) -> list[Run]:
    (folder / "labels.txt").write_text("\n".join(texts) + "\n", encoding="utf-8")
    k = ",".join(t.strip() for t in texts)
    labels = str(folder / "labels.txt")
    (folder / "net.yaml").write_text(network(classes=texts), encoding="utf-8")
    return [
        Run("terminal", ("onehot", "-k", k, "--labels", labels)),
        Run("JSON", ("onehot", "-k", k, "--labels", labels, "--json")),
        Run("terminal", ("cost", str(folder / "net.yaml"), "--labels", labels), codes=(0, 1, 2)),
    ]


def _grading(folder: Path, sheet_: str, answers_: str, variants: str, *names: str) -> list[Run]:
    """The sheet, answers and variants sheet written, and the named runs of them."""
    for name, text in (("sheet", sheet_), ("answers", answers_), ("variants", variants)):
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
    s, a, v = (str(folder / f"{name}.yaml") for name in ("sheet", "answers", "variants"))
    handouts = ("variants", v, "--students", _roster(folder, ["alice"]), "-o", f"{folder}/out")
    runs = {
        "check": Run("terminal", ("check", s)),
        "check -a": Run("terminal", ("check", s, "-a", a)),
        "grade": Run("CSV", ("grade", s, a)),
        "check --json": Run("JSON", ("check", s, "--json")),
        "check -a --json": Run("JSON", ("check", s, "-a", a, "--json")),
        "grade --json": Run("JSON", ("grade", s, a, "--json")),
        "gradescope": Run(
            "JSON", ("check", s, "-a", a, "--gradescope", f"{folder}/gs.json"), "gs.json"
        ),
        "handout.md": Run("Markdown", ("variants", v, "--student", "alice")),
        "handout.tex": Run("LaTeX", handouts, "out/alice/questions.tex"),
        "key.csv": Run("CSV", handouts, "out/key.csv"),
    }
    return [runs[name] for name in names]


GRADING = ("check", "check -a", "grade", "check --json", "grade --json", "gradescope")
HANDOUTS = ("handout.md", "handout.tex")


def question_ids(folder: Path, texts: list[str]) -> list[Run]:
    files = (sheet(texts), answers(texts), variants_sheet(texts))
    return _grading(folder, *files, *GRADING, *HANDOUTS, "key.csv")


def question_texts(folder: Path, texts: list[str]) -> list[Run]:
    n = ids(len(texts))
    files = (sheet(n, texts), answers(n, ["1"] * len(n)), variants_sheet(n, texts))
    return _grading(folder, *files, "check", "check -a", "check --json", "gradescope", *HANDOUTS)


def sheet_title(folder: Path, texts: list[str]) -> list[Run]:
    files = (sheet(["q1"], title=texts[0]), answers(["q1"]), variants_sheet(["q1"], title=texts[0]))
    return _grading(folder, *files, "check", "check -a", "check --json", "grade --json", *HANDOUTS)


def given_answers(folder: Path, texts: list[str]) -> list[Run]:
    """The students' answers, and the sheet's own (its key)."""
    n = ids(len(texts))
    files = (sheet(n, keys=texts), answers(n, texts), variants_sheet(n))
    return _grading(
        folder, *files, "check", "check -a", "check --json", "check -a --json", "gradescope"
    )


def ignored_ids(folder: Path, texts: list[str]) -> list[Run]:
    files = (sheet(["q1"]), answers(["q1"], extra=texts), variants_sheet(["q1"]))
    return _grading(folder, *files, "check -a", "check -a --json")


def variant_classes(folder: Path, texts: list[str]) -> list[Run]:
    """The class names of a sheet's random network, in every student's handout."""
    files = (sheet(["q1"]), answers(["q1"]), variants_sheet(["q1"], classes=texts))
    return _grading(folder, *files, *HANDOUTS)


def _roster(folder: Path, students: list[str], names: list[str] | None = None) -> str:
    import csv

    path = folder / "roster.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name"])
        writer.writerows(zip(students, names or students, strict=True))
    return str(path)


def roster_names(folder: Path, texts: list[str]) -> list[Run]:
    (folder / "variants.yaml").write_text(variants_sheet(["q1"]), encoding="utf-8")
    students = [f"s{k}" for k in range(len(texts))]
    roster = _roster(folder, students, texts)
    command = ("variants", str(folder / "variants.yaml"), "--students", roster, "-o")
    return [
        Run("LaTeX", (*command, str(folder / "out")), "out/*/questions.tex"),
        Run("Markdown", (*command, str(folder / "out")), "out/*/questions.md"),
    ]


def submission_folders(folder: Path, texts: list[str]) -> list[Run]:
    (folder / "sheet.yaml").write_text(sheet(["q1"]), encoding="utf-8")
    paths = []
    for text in texts:
        path = folder / text / "answers.yaml"
        path.parent.mkdir()
        path.write_text(answers(["q1"]), encoding="utf-8")
        paths.append(str(path))
    missing = [str(folder / text / "missing.yaml") for text in texts]
    s = str(folder / "sheet.yaml")
    return [
        Run("terminal", ("check", s, "-a", paths[0])),
        Run("terminal", ("check", s, "-a", missing[0]), "stderr", (2,)),
        Run("CSV", ("grade", s, *paths, *missing)),
        Run("JSON", ("grade", s, *paths, *missing, "--json")),
    ]


def class_names_and_folders(folder: Path, texts: list[str]) -> list[Run]:
    """A class: the roster's names (and emails) as Moodle's download names its folders,
    each student's answers saying 'student:' a payload; every output grade writes."""
    (folder / "sheet.yaml").write_text(sheet(["q1"]), encoding="utf-8")
    students = [f"s{k}" for k in range(len(texts))]
    path = folder / "roster.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "email"])
        writer.writerows((s, t, f"{t}@x") for s, t in zip(students, texts, strict=True))
    paths = []
    for k, text in enumerate(texts):
        moodle = folder / f"{as_name(text)}_{180 + k}_assignsubmission_file_"
        moodle.mkdir()
        (moodle / "answers.yaml").write_text(
            f"student: {yaml(text)}\n" + answers(["q1"], ["8O"]), encoding="utf-8"
        )
        paths.append(str(moodle / "answers.yaml"))
    grade = ("grade", str(folder / "sheet.yaml"), *paths, "--students", str(path))
    check = ("check", str(folder / "sheet.yaml"), "--students", str(path), "-a", paths[0])
    return [
        Run("CSV", grade),
        Run("CSV", (*grade, "--format", "moodle")),
        Run("CSV", (*grade, "--format", "canvas")),
        Run("JSON", (*grade, "--json")),
        Run("terminal", check, codes=(1, 2)),
    ]


def network_path(folder: Path, texts: list[str]) -> list[Run]:
    path = folder / f"{texts[0]}.yaml"
    path.write_text(network(), encoding="utf-8")
    broken = folder / f"{texts[0]}-broken.yaml"
    broken.write_text("layers: [", encoding="utf-8")
    return [
        Run("terminal", ("draw", str(path), "-o", str(folder / "n.svg")), "stderr"),
        Run("terminal", ("forward", str(broken)), "stderr", (2,)),
        Run("Markdown", ("forward", str(path), "--format", "markdown")),
    ]


def output_path(folder: Path, texts: list[str]) -> list[Run]:
    (folder / "net.yaml").write_text(network(), encoding="utf-8")
    net = str(folder / "net.yaml")
    named = str(folder / texts[0])
    return [
        Run("terminal", ("forward", net, "-o", f"{named}.csv"), "stderr"),
        Run("terminal", ("draw", net, "-o", f"{named}.svg"), "stderr"),
        Run("terminal", ("forward", net, "-o", f"{named}.txt"), "stderr", (2,)),
        Run("terminal", ("forward", net, "-o", f"{named}/x.csv"), "stderr", (2,)),
    ]


def file_references(folder: Path, texts: list[str]) -> list[Run]:
    (folder / "net.yaml").write_text(
        f"layers: [{{theta: {{file: {yaml(texts[0] + '.npy')}}}}}]\n", encoding="utf-8"
    )
    return [Run("terminal", ("forward", str(folder / "net.yaml")), "stderr", (2,))]


def npz_members(folder: Path, texts: list[str]) -> list[Run]:
    import numpy as np

    np.savez(folder / "w.npz", **{texts[0]: np.ones((1, 4))})
    (folder / "net.yaml").write_text("layers: [{theta: {file: w.npz, key: W}}]\n", encoding="utf-8")
    return [Run("terminal", ("forward", str(folder / "net.yaml"), "-x", "1,2,3"), "stderr", (2,))]


def csv_cells(folder: Path, texts: list[str]) -> list[Run]:
    import csv

    with (folder / "x.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["1", "2"], ["3", texts[0]]])
    (folder / "net.yaml").write_text(network(), encoding="utf-8")
    command = ("forward", str(folder / "net.yaml"), "--input", str(folder / "x.csv"))
    return [Run("terminal", command, "stderr", (2,))]


def activation_names(folder: Path, texts: list[str]) -> list[Run]:
    (folder / "net.yaml").write_text(
        f"layers: [{{activation: {yaml(texts[0])}, theta: [[1, 2]]}}]\n", encoding="utf-8"
    )
    return [Run("terminal", ("forward", str(folder / "net.yaml")), "stderr", (2,))]


def _onnx(folder: Path, edit: Callable) -> str:
    onnx = pytest.importorskip("onnx")
    net = nncalc.loads(network(classes=["a", "b"]))
    model = nncalc.to_onnx(net)
    edit(model)
    path = folder / "m.onnx"
    onnx.save(model, path)
    return str(path)


def onnx_producer(folder: Path, texts: list[str]) -> list[Run]:
    def edit(model):
        model.producer_name = texts[0]
        del model.metadata_props[:]

    model = _onnx(folder, edit)
    return [
        Run("terminal", ("forward", model, "-x", "1,0")),
        Run("JSON", ("forward", model, "-x", "1,0", "--json")),
        Run("SVG", ("draw", model)),
        Run("HTML", ("page", model)),
    ]


def onnx_metadata(folder: Path, texts: list[str]) -> list[Run]:
    def edit(model):
        del model.metadata_props[:]
        nncalc_props = {"nncalc.name": texts[0], "nncalc.classes": json.dumps(["a", texts[0]])}
        for key, value in nncalc_props.items():
            model.metadata_props.add(key=key, value=value)

    model = _onnx(folder, edit)
    return [
        Run("terminal", ("forward", model, "-x", "0,1")),
        Run("JSON", ("forward", model, "-x", "0,1", "--json")),
        Run("CSV", ("forward", model, "-x", "0,1", "-o", "-")),
        Run("SVG", ("draw", model)),
        Run("HTML", ("page", model)),
        Run("LaTeX", ("forward", model, "-x", "0,1", "--format", "latex")),
        Run("Markdown", ("forward", model, "-x", "0,1", "--format", "markdown")),
    ]


def onnx_nodes(folder: Path, texts: list[str]) -> list[Run]:
    def edit(model):
        node = model.graph.node[-1]
        node.name, node.op_type = texts[0], texts[0]

    model = _onnx(folder, edit)
    return [Run("terminal", ("forward", model, "-x", "1,0"), "stderr", (2,))]


def safetensors_keys(folder: Path, texts: list[str]) -> list[Run]:
    pytest.importorskip("safetensors")
    import numpy as np
    from safetensors.numpy import save_file

    tensors = {"0.weight": np.ones((2, 2)), "0.bias": np.ones(2), texts[0]: np.ones(2)}
    save_file(tensors, str(folder / "m.safetensors"))
    command = ("import", str(folder / "m.safetensors"), "-g", "relu")
    return [Run("terminal", command, "stderr", (0, 2))]


def layer_names(folder: Path, texts: list[str]) -> list[Run]:
    """A state_dict's modules named in --order: a name it does not hold is refused."""
    model = str(ROOT / "samples" / "interop" / "iris-torch.safetensors")
    command = ("import", model, "-g", "relu", "--order", f"0,{texts[0]}")
    return [Run("terminal", command, "stderr", (2,))]


SOURCES: dict[str, Source] = {
    "network name": Source(network_name, holds=in_file),
    "example names": Source(example_names, many=True, holds=in_file),
    "class names": Source(class_names, many=True, holds=in_file),
    "class names (-k)": Source(class_arguments, many=True, holds=in_list),
    "labels file lines": Source(label_lines, many=True, holds=lambda t: one_line(t) and in_list(t)),
    "question ids": Source(question_ids, many=True, holds=in_file),
    "question texts": Source(question_texts, many=True, holds=in_file),
    "sheet title": Source(sheet_title, holds=in_file),
    "answers": Source(given_answers, many=True, holds=in_file),
    "ignored answer ids": Source(ignored_ids, many=True, holds=in_file),
    "random network classes": Source(variant_classes, many=True, holds=in_file),
    "roster names": Source(roster_names, many=True, holds=in_file),
    "submission folders": Source(submission_folders, many=True, holds=in_argument, adapt=as_name),
    "a class's names and folders": Source(
        class_names_and_folders, many=True, holds=lambda t: in_file(t) and in_argument(t)
    ),
    "network path": Source(network_path, holds=in_argument, adapt=as_name),
    "-o path": Source(output_path, holds=in_argument, adapt=as_name),
    "{file:} paths": Source(file_references, holds=in_file),
    ".npz member names": Source(npz_members, holds=in_file, adapt=as_name),
    "CSV cells": Source(csv_cells, holds=in_file),
    "activation names": Source(activation_names, holds=in_file),
    "ONNX producer": Source(onnx_producer, holds=in_file),
    "ONNX metadata": Source(onnx_metadata, holds=in_file),
    "ONNX node names, op types": Source(onnx_nodes, holds=in_file),
    "safetensors keys": Source(safetensors_keys, holds=in_file),
    "layer names (--order)": Source(layer_names, holds=in_list),
}


# --- running them -----------------------------------------------------------------------


@dataclass
class Case:
    """One command's output of one kind, with the texts in it and the benign run's."""

    source: str
    kind: str
    texts: list[str]
    argv: tuple[str, ...]
    output: str
    benign: str
    count: int
    """The payload cases it checks: its texts, shared among the files of one run."""
    code: int
    codes: tuple[int, ...]
    """The run's exit code, and those it may have."""
    stderr: bool = False
    """The run's stderr, checked as the terminal's beside the output of its kind."""


def _benign(texts: list[str]) -> list[str]:
    return [f"benign{k}" for k in range(len(texts))]


def _execute(argv: tuple[str, ...]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = 0
        if argv[0] == "@summary":  # the Python API's summary (repr in a REPL)
            print(nncalc.load(argv[1]).summary())
        else:
            code = main(list(argv))
    return code, out.getvalue(), err.getvalue()


def _outputs(folder: Path, run: Run, argv: tuple[str, ...]) -> tuple[int, list[str], str]:
    """The run's exit code, its outputs of run.kind, and its stderr."""
    code, out, err = _execute(argv)
    if run.out in ("stdout", "stderr"):
        return code, [out if run.out == "stdout" else err], err
    return code, [p.read_bytes().decode("utf-8") for p in sorted(folder.glob(run.out))], err


def _cases(name: str, source: Source, texts: list[str], root: Path) -> Iterator[Case]:
    """The cases of a source for these texts: its runs, each beside the benign run's, and
    each run's stderr (the terminal's) when it writes there and is checked as another kind."""
    runs = []
    for label, given in (("hostile", texts), ("benign", _benign(texts))):
        folder = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=root))
        runs.append([(run, folder, run.argv) for run in source.make(folder, given)])
    for (run, folder, argv), (_, benign_folder, benign_argv) in zip(*runs, strict=True):
        _, benign_outputs, _ = _outputs(benign_folder, run, benign_argv)
        code, outputs, err = _outputs(folder, run, argv)
        count = max(1, len(texts) // max(1, len(outputs)))
        case = Case(name, run.kind, texts, argv, "", "", count, code, run.codes)
        if len(outputs) != len(benign_outputs) or not outputs:
            found = f"{run.out}: {len(outputs)} outputs; the benign run's: {len(benign_outputs)}"
            yield replace(case, output=found, codes=())
        for output, benign in zip(outputs, benign_outputs, strict=False):
            yield replace(case, output=output, benign=benign)
        if err and run.out != "stderr":
            yield replace(case, kind="terminal", output=err, codes=(code,), stderr=True)


def all_cases(root: Path) -> list[Case]:
    """Every source with every payload it holds (at once, or one at a time)."""
    cases = []
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "250"  # wide: a table never folds a payload
    try:
        for name, source in SOURCES.items():
            texts = [source.adapt(t) for t in PAYLOADS.values() if source.holds(t)]
            for batch in [texts] if source.many else [[t] for t in texts]:
                cases += _cases(name, source, batch, root)
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return cases


@pytest.fixture(scope="module")
def cases(tmp_path_factory) -> dict[tuple[str, str], list[Case]]:
    table = defaultdict(list)
    for case in all_cases(tmp_path_factory.mktemp("outside")):
        table[case.source, case.kind].append(case)
    return table


def _cells() -> list[tuple[str, str]]:
    """(source, kind) of every run every source makes (its files written in a scratch
    folder, to read the runs)."""
    cells = []
    with tempfile.TemporaryDirectory() as scratch:
        for name, source in SOURCES.items():
            try:
                runs = source.make(Path(tempfile.mkdtemp(dir=scratch)), _benign(["x", "y"]))
            except pytest.skip.Exception:
                continue
            cells += sorted({(name, run.kind) for run in runs}, key=lambda c: KINDS.index(c[1]))
    return cells


@pytest.mark.parametrize(("source", "kind"), _cells())
def test_outside_text_reaches_each_output_safely(cases, source, kind):
    """Every payload that the source holds, in every output of the kind it reaches."""
    found = cases[source, kind]
    assert found
    for case in found:
        assert case.code in case.codes, (case.argv, case.code, case.output[-2000:])
        CHECKS[kind](case.output, case.benign)
        assert case.output != case.benign or case.stderr, (case.argv, "no text reaches it")


def test_the_latex_of_every_case_compiles_without_reading_a_file_or_running_a_macro(
    cases, tmp_path
):
    if shutil.which("lualatex") is None:
        pytest.skip("lualatex is not installed")
    from nncalc.render.latexdoc import preamble

    bodies = [
        _body(c.output) for (_, kind), found in cases.items() if kind == "LaTeX" for c in found
    ]
    assert any("12345*1000" in b for b in bodies)  # the payload is there, as text
    document = preamble() + "\\begin{document}\n" + "\n\\clearpage\n".join(bodies)
    (tmp_path / "all.tex").write_text(document + "\n\\end{document}\n", encoding="utf-8")
    done = subprocess.run(
        [
            "lualatex",  # the engine of nncalc's documents: text in any script
            "-no-shell-escape",
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-recorder",
            "all.tex",
        ],
        cwd=tmp_path,
        capture_output=True,
        timeout=300,
        check=False,
    )
    log = (tmp_path / "all.log").read_text(encoding="latin-1")
    assert done.returncode == 0, log[-3000:]
    assert TEX_READ not in (tmp_path / "all.fls").read_text(encoding="latin-1")
    assert TEX_RUN not in log


def _body(latex: str) -> str:
    """A document's body, or a fragment as it is."""
    if "\\begin{document}" not in latex:
        return latex
    return latex.split("\\begin{document}", 1)[1].rsplit("\\end{document}", 1)[0]


def table(cases: list[Case]) -> str:
    """The table of sources × sinks: how many payload cases each cell checks."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for case in cases:
        counts[case.source, case.kind] += case.count
    width = max(map(len, SOURCES))
    lines = [f"{'source':<{width}}  " + "  ".join(f"{k:>8}" for k in KINDS)]
    for name in SOURCES:
        cells = [str(counts[name, k]) if counts[name, k] else "·" for k in KINDS]
        lines.append(f"{name:<{width}}  " + "  ".join(f"{c:>8}" for c in cells))
    total = [str(sum(counts[n, k] for n in SOURCES)) for k in KINDS]
    lines.append(f"{'all':<{width}}  " + "  ".join(f"{c:>8}" for c in total))
    return "\n".join(lines)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as root:
        print(table(all_cases(Path(root))))
