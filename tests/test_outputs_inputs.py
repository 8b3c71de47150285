"""No output replaces an input: for every command that writes a file, every kind of file
it reads, reached by the same name, a symbolic link or a hard link, is refused (exit 2,
one line) and left as it was, with no temporary file beside it."""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import nncalc

from conftest import SAMPLES

GRADING = SAMPLES / "grading"
INTEROP = SAMPLES / "interop"


@dataclass(frozen=True)
class Case:
    """A command line that reads ``input`` (a name in the work folder) and writes an output
    ending in ``suffix`` where ``OUT`` stands; ``stdin``: the input is piped in."""

    args: tuple[str, ...]
    input: str
    suffix: str
    stdin: bool = False


def _cases() -> dict[str, Case]:
    net, weights, onnx = "net.yaml", "weights.yaml", "net.onnx"
    sheet, answers, variants = "sheet.yaml", "answers.yaml", "variants.yaml"
    cases = {}
    for command, suffix, extra in [
        ("forward", ".csv", ()),
        ("forward --json", ".npy", ("--json",)),
        ("draw", ".svg", ()),
        ("page", ".html", ()),
        ("export", ".onnx", ()),
    ]:
        name = command.split()[0]
        cases[f"{command}: the network"] = Case((name, net, *extra), net, suffix)
        cases[f"{command}: its {{file:}} weights"] = Case((name, weights, *extra), "W1.npy", suffix)
        cases[f"{command}: the network on stdin"] = Case((name, "-", *extra), net, suffix, True)
    cases["export: an ONNX network"] = Case(("export", onnx), onnx, ".onnx")
    for fmt in ("csv", "npy"):
        cases[f"forward: --input .{fmt}"] = Case(
            ("forward", net, "-i", f"X.{fmt}"), f"X.{fmt}", f".{fmt}"
        )
    cases["forward: --input on stdin"] = Case(("forward", net, "-i", "-"), "X.csv", ".csv", True)
    cases["onehot: --labels"] = Case(
        ("onehot", "-k", "3", "--labels", "labels.csv"), "labels.csv", ".csv"
    )
    cases["onehot: --labels on stdin"] = Case(
        ("onehot", "-k", "3", "--labels", "-"), "labels.csv", ".csv", True
    )
    cases["import: an ONNX model"] = Case(("import", onnx), onnx, ".yaml")
    cases["import: a state_dict"] = Case(
        ("import", "iris.safetensors", "-g", "relu,softmax"), "iris.safetensors", ".yaml"
    )
    check = ("check", sheet, "-a", answers)
    for option in ("-o", "--gradescope"):
        for read in (sheet, answers, net):
            cases[f"check {option}: {read}"] = Case((*check, option), read, ".json")
    cases["check: answers on stdin"] = Case(
        ("check", sheet, "-a", "-", "-o"), answers, ".json", True
    )
    cases["check: Gradescope's metadata"] = Case(
        ("check", variants, "--gradescope-metadata", "meta.json", "-a", answers, "--gradescope"),
        "meta.json",
        ".json",
    )
    for read in (sheet, answers, net):
        cases[f"grade: {read}"] = Case(("grade", sheet, answers), read, ".csv")
        cases[f"grade --json: {read}"] = Case(("grade", sheet, answers, "--json"), read, ".json")
    for read in (variants, answers, "roster.csv"):
        cases[f"grade --students: {read}"] = Case(
            ("grade", variants, answers, "--students", "roster.csv"), read, ".csv"
        )
    return cases


CASES = _cases()
LINKED = [
    (name, how)
    for name, case in CASES.items()
    for how in ("name", "symlink", "hardlink")
    if how != "name" or case.input.endswith(case.suffix)  # a name this output may have
]


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A folder with one file of every kind the commands read."""
    shutil.copy(SAMPLES / "slide-neuron.yaml", tmp_path / "net.yaml")
    np.save(tmp_path / "W1.npy", np.array([[-0.5, -2.0, 4.0, 1.5]]))
    (tmp_path / "weights.yaml").write_text("layers:\n  - theta: {file: W1.npy}\n")
    nncalc.save_model(nncalc.load(tmp_path / "net.yaml"), tmp_path / "net.onnx")
    shutil.copy(INTEROP / "iris-torch.safetensors", tmp_path / "iris.safetensors")
    (tmp_path / "X.csv").write_text("1,2,3\n66,39,12\n")
    np.save(tmp_path / "X.npy", np.array([[1.0, 2, 3]]))
    (tmp_path / "labels.csv").write_text("1\n3\n")
    (tmp_path / "sheet.yaml").write_text(
        "questions:\n  - id: q1\n    z: {network: net.yaml, x: [66, 39, 12], layer: 2}\n"
    )
    (tmp_path / "answers.yaml").write_text("q1: 41.5\n")
    shutil.copy(GRADING / "variants-sheet.yaml", tmp_path / "variants.yaml")
    shutil.copy(GRADING / "roster.csv", tmp_path / "roster.csv")
    (tmp_path / "meta.json").write_text(json.dumps({"users": [{"sid": "alice"}]}))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _link(work: Path, source: str, how: str, suffix: str) -> str:
    """The output's name: the input's own, or a new link to it."""
    if how == "name":
        return source
    out = f"out{suffix}"
    (os.symlink if how == "symlink" else os.link)(source, work / out)
    return out


def _files(folder: Path) -> dict[str, bytes]:
    """Every regular file under folder (links to them are outputs' names), by path."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in folder.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


@pytest.mark.parametrize(("name", "how"), LINKED)
def test_an_output_that_is_an_input_is_refused(run, work, monkeypatch, name, how):
    case = CASES[name]
    out = _link(work, case.input, how, case.suffix)
    before = _files(work)
    option = [] if case.args[-1] in ("-o", "--gradescope") else ["-o"]
    with open(work / case.input) as piped:
        if case.stdin:
            monkeypatch.setattr(sys, "stdin", piped)
        r = run(*case.args, *option, out)
    assert (r.code, r.err.count("\n")) == (2, 1), r.err
    assert f"nncalc: error: {out}: the output is " in r.err
    assert r.err.rstrip().endswith(
        "of this command, which it would replace; write the output to another file"
    )
    assert _files(work) == before  # every input as it was, and no temporary left


@pytest.mark.parametrize("how", ["symlink", "hardlink"])
@pytest.mark.parametrize("where", ["key.csv", "alice/variant.yaml", "carol/questions.tex"])
def test_variants_never_write_over_an_input(run, work, how, where):
    """Every file of the folder is checked before the first is written."""
    (work / "out" / "alice").mkdir(parents=True)
    (work / "out" / "carol").mkdir()
    (os.symlink if how == "symlink" else os.link)(work / "roster.csv", work / "out" / where)
    before = _files(work)
    r = run("variants", "variants.yaml", "--students", "roster.csv", "-o", "out")
    assert (r.code, r.err.count("\n")) == (2, 1), r.err
    assert "the output is the same file as the input roster.csv" in r.err
    assert _files(work) == before
    assert sorted(p.name for p in (work / "out").rglob("*")) == ["alice", "carol", Path(where).name]


def test_the_python_api_may_save_over_the_file_it_loaded(work):
    """Outside a run of the command line, nothing is guarded: a script may edit in place."""
    net = nncalc.load(work / "net.yaml")
    nncalc.save(net, work / "net.yaml")
    assert nncalc.load(work / "net.yaml").layers[0].theta.tolist() == [[-0.5, -2.0, 4.0, 1.5]]
