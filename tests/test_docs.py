"""Every ```console block of README.md and docs/*.md, run and compared with what it shows.

Each `$ ` line runs in a shell (pipes and `echo "exit $?"` work as printed), with stderr
merged into stdout as a terminal shows it, in a temporary folder holding a copy of
samples/ and tests/corpus/: files the examples write go there, never into the checkout.
The lines after a command, up to the next `$ ` or the block's end, are its output; a line
`…` stands for any number of lines. Trailing spaces and blank lines at the end are not
compared.

    python tests/test_docs.py --show    prints every command's real output
    python tests/test_docs.py --fix     rewrites the blocks whose output has no `…`
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
ELIDED = "…"


@dataclass
class Command:
    line: int  # of the `$ ` line in the document, 1-based
    command: str
    expected: list[str]


def commands(text: str) -> list[Command]:
    """The commands of every console block, each with the output shown under it."""
    found: list[Command] = []
    inside = False
    for n, line in enumerate(text.splitlines(), start=1):
        if line.strip() == "```console":
            inside = True
        elif inside and line.strip() == "```":
            inside = False
        elif inside and line.startswith("$ "):
            found.append(Command(n, line[2:], []))
        elif inside and found:
            found[-1].expected.append(line)
    return found


def _trimmed(lines: list[str]) -> list[str]:
    """Lines without trailing spaces, and without the blank lines at the end."""
    lines = [line.rstrip() for line in lines]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the output shown (with `…` lines) is the real one, line for line."""
    expected, actual = _trimmed(expected), _trimmed(actual)
    pattern = "".join(
        r"(?:[^\n]*\n)*?" if line == ELIDED else re.escape(line) + r"\n" for line in expected
    )
    return re.fullmatch(pattern, "".join(f"{line}\n" for line in actual)) is not None


def workspace() -> Path:
    """A fresh folder with samples/ and tests/corpus/, and `nncalc` first on the PATH."""
    folder = Path(tempfile.mkdtemp(prefix="nncalc-docs-"))
    shutil.copytree(ROOT / "samples", folder / "samples")
    shutil.copytree(ROOT / "tests" / "corpus", folder / "tests" / "corpus")
    bin_ = folder / ".bin"
    bin_.mkdir()
    script = bin_ / "nncalc"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nncalc "$@"\n', encoding="utf-8")
    script.chmod(0o755)
    return folder


def run(command: str, folder: Path) -> list[str]:
    """The command's output (stdout and stderr, as a terminal interleaves them)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NNCALC_")}
    env.update(
        PATH=f"{folder / '.bin'}{os.pathsep}{env.get('PATH', '')}",
        PYTHONPATH=str(ROOT),
        COLUMNS="80",
        LC_ALL="C.UTF-8",
        TERM="dumb",
    )
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        check=False,
        timeout=120,
    )
    return done.stdout.splitlines()


def _needs_missing_extra(text: str) -> str | None:
    import importlib.util

    for module in ("onnx", "onnxruntime", "safetensors"):
        if importlib.util.find_spec(module) is None and re.search(
            r"\bnncalc (import|export)", text
        ):
            return module
    return None


SHOWN = [d for d in DOCS if commands(d.read_text(encoding="utf-8"))]
"""The documents with console blocks."""


@pytest.mark.parametrize("doc", SHOWN, ids=[d.name for d in SHOWN])
def test_console_blocks_show_the_real_output(doc: Path):
    text = doc.read_text(encoding="utf-8")
    found = commands(text)
    missing = _needs_missing_extra(text)
    if missing:
        pytest.skip(f"{doc.name} needs the {missing} extra")
    folder = workspace()
    try:
        wrong = []
        for c in found:
            actual = run(c.command, folder)
            if not matches(c.expected, actual):
                shown = "\n".join(actual)
                wrong.append(f"{doc.name}:{c.line}: $ {c.command}\n{shown}")
    finally:
        shutil.rmtree(folder)
    assert not wrong, "the docs show other output; real output:\n\n" + "\n\n".join(wrong)


def _main(argv: list[str]) -> int:
    """--show: every command's real output; --fix: rewrite blocks shown without `…`."""
    fix = "--fix" in argv
    for doc in DOCS:
        lines = doc.read_text(encoding="utf-8").splitlines()
        folder = workspace()
        try:
            found = [(c, run(c.command, folder)) for c in commands("\n".join(lines))]
        finally:
            shutil.rmtree(folder)
        for c, actual in reversed(found) if fix else found:
            actual = _trimmed(actual)
            if not fix:
                print(f"{doc.relative_to(ROOT)}:{c.line}\n$ {c.command}", *actual, sep="\n")
            elif ELIDED not in c.expected and not matches(c.expected, actual):
                lines[c.line : c.line + len(c.expected)] = actual
                print(f"fixed {doc.relative_to(ROOT)}:{c.line}: $ {c.command}")
        if fix:
            doc.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
