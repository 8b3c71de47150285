"""Shared fixtures: run the CLI in-process and find the samples."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from nncalc.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


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
