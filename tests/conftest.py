"""Shared fixtures: run the CLI in-process and find the samples."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from nncalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def run(capsys):
    """run("forward", "net.yaml", ...) -> Result(code, out, err), in this process."""

    def _run(*args: str) -> Result:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def write(tmp_path):
    """write("name.yaml", text) -> path of a file in a fresh folder."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture(scope="module")
def browser():
    """Debian's headless chromium, driven by Playwright; skips without either."""
    sync = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not executable:
        pytest.skip(f"no chromium at {CHROMIUM} or on PATH (Debian's chromium package)")
    with sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=ARGS)
        yield b
        b.close()


def tex(folder: Path, name: str, engine: str = "pdflatex") -> None:
    """Compile folder/name with ``engine`` (no shell escape); asserts that it compiles, and
    skips when the engine is not installed."""
    if shutil.which(engine) is None:
        pytest.skip(f"{engine} is not installed")
    done = subprocess.run(
        [engine, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error", name],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:]


def amsmath_document(body: str) -> str:
    """A LaTeX fragment that needs amsmath as a whole document."""
    preamble = "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
    return preamble + body + "\n\\end{document}\n"
