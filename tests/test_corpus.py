"""The malformed-input corpus (tests/corpus/): each file gets its exact message and exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from conftest import SAMPLES

CORPUS = Path(__file__).parent / "corpus"
CASES = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))


def test_every_corpus_file_has_a_case():
    files = {p.name for p in CORPUS.iterdir()} - {"expected.yaml"}
    assert files == {case["file"] for case in CASES} - {"missing.yaml"}


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_corpus(run, case):
    path = str(CORPUS / case["file"])

    def fill(text: str) -> str:
        return text.replace("{file}", path).replace("{samples}", str(SAMPLES))

    args = [fill(a) for a in case.get("args", ["forward", "{file}"])]
    r = run(*args)
    assert r.code == 2
    assert r.out == ""
    expected = [f"nncalc: error: {fill(line)}" for line in case["errors"]]
    assert r.err.splitlines() == expected
