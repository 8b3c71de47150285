"""`nncalc params`: counts per Θ^(j), the lecture's 60, --theta, --expect, --json, bad sizes."""

from __future__ import annotations

import sys
from itertools import pairwise

import pytest
import yaml

from nncalc.params import count

from conftest import SAMPLES


def test_the_lectures_quiz_answer(run):
    # Θ^(2) maps 5 hidden units (+ bias) to 10 classes: 10 × 6 = 5·10 weights + 10 biases
    r = run("params", "3", "5", "10", "--theta", "2")
    assert (r.code, r.out) == (0, "60\n")


def test_table_rows_and_totals(run):
    r = run("params", "3", "5", "10")
    assert r.code == 0
    # Θ^(1): 5 × (3 + 1) = 20 (15 weights, 5 biases); Θ^(2): 60; total 80 → 640 bytes
    assert "Θ^(1)   1 → 2             5×4        15        5      20" in r.out
    assert "Θ^(2)   2 → 3            10×6        50       10      60" in r.out
    assert "total                                65       15      80" in r.out
    assert "multiply-adds per example: 65" in r.out
    assert "memory (float64): 640 B" in r.out


def test_large_numbers_are_grouped(run):
    # 784·512 + 512 = 401,920 and 512·10 + 10 = 5,130
    out = run("params", "784", "512", "10").out
    assert "401,920" in out
    assert "5,130" in out
    assert "407,050" in out


@pytest.mark.parametrize(
    ("args", "code", "line"),
    [
        (["--expect", "80"], 0, "✓ total: 20 + 60 = 80"),
        (["--expect", "79"], 1, "✗ total: 20 + 60 = 80, not 79"),
        (["--theta", "2", "--expect", "60"], 0, "✓ Θ^(2): 5·10 weights + 10 biases = 60"),
        (["--theta", "1", "--expect", "15"], 1, "✗ Θ^(1): 3·5 weights + 5 biases = 20, not 15"),
    ],
)
def test_expect(run, args, code, line):
    r = run("params", "3", "5", "10", *args)
    assert (r.code, r.out) == (code, line + "\n")


@pytest.fixture
def long_ints():
    """Python's limit for int ↔ text lifted in the test, to check nncalc's long numbers."""
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    yield
    sys.set_int_max_str_digits(old)


def test_sizes_of_thousands_of_digits_count_exactly_everywhere(run, long_ints):
    n = 10**4000 - 1  # 4,000 nines: Θ^(1) has 3·n + n, Θ^(2) has n·n + n parameters
    total, madds = (3 * n + n) + (n * n + n), 3 * n + n * n
    args = ["params", "3", str(n), str(n)]
    table = run(*args)
    assert table.code == 0
    assert f"multiply-addsperexample:{madds:,}" in "".join(table.out.split())  # wrapped
    assert run(*args, "--json").json()["total"] == total
    assert run(*args, "--theta", "2").out == f"{n * n + n}\n"
    assert run(*args, "--expect", str(total)).code == 0
    for how in ([], ["--json"], ["--theta", "1"]):
        r = run("params", "3", "9" * 4301, *how)
        assert r.code == 2
        assert r.err == (
            "nncalc: error: layer size '9999999999…' has 4,301 digits; "
            "a layer size has at most 4,300 digits\n"
        )


def test_json(run):
    doc = run("params", "3,5,10", "--json").json()
    assert doc["total"] == 80
    assert doc["sizes"] == [3, 5, 10]
    assert [
        (t["theta"], t["shape"], t["weights"], t["biases"], t["total"]) for t in doc["thetas"]
    ] == [
        (1, [5, 4], 15, 5, 20),
        (2, [10, 6], 50, 10, 60),
    ]
    checked = run("params", "3", "5", "10", "--theta", "2", "--expect", "61", "--json")
    assert checked.code == 1
    assert checked.json()["expect"] == {"theta": 2, "expected": 61, "actual": 60, "ok": False}


def test_counts_from_a_file_match_the_numbers_in_it(run):
    """Every number written in a sample's matrices is one parameter (SwiGLU's β too)."""
    for path in sorted(SAMPLES.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        written = 0
        for layer in doc["layers"]:
            for key in ("theta", "weights", "bias", "gate"):
                rows = layer.get(key, [])
                written += sum(len(row) if isinstance(row, list) else 1 for row in rows)
            written += "beta" in layer
        assert run("params", path, "--json").json()["total"] == written, path.name


def test_swiglu_counts_both_matrices(run):
    # Θ^(1) of swiglu.yaml: 2 matrices of 3 × (2 + 1) plus β = 19; Θ^(2): 1 × 4
    doc = run("params", SAMPLES / "swiglu.yaml", "--json").json()
    assert [t["total"] for t in doc["thetas"]] == [19, 4]
    assert doc["thetas"][0]["swiglu"] is True


def test_agrees_with_pytorch():
    torch = pytest.importorskip("torch")
    for sizes in ([3, 5, 10], [784, 512, 512, 10], [1, 1], [7, 2, 9, 4, 3]):
        layers = [torch.nn.Linear(a, b) for a, b in pairwise(sizes)]
        expected = [sum(p.numel() for p in layer.parameters()) for layer in layers]
        counts = count(sizes)
        assert [t.total for t in counts.thetas] == expected
        assert counts.total == sum(expected)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["3", "0", "10"], "s_2 = 0 is not a number of units"),
        (["3", "x"], "layer size 'x' is not a whole number"),
        (["3.5", "2"], "layer size '3.5' is not a whole number"),
        (["3"], "1 layer size given, need at least 2"),
        (["3", "5", "10", "--theta", "3"], "there is no Θ^(3); this network has Θ^(1) … Θ^(2)"),
        (["3", "5", "--theta", "0"], "there is no Θ^(0); this network has only Θ^(1)"),
        (["3", "5", "--expect", "many"], "--expect 'many' is not a whole number; e.g. 60"),
        (["nope.yaml"], "nope.yaml: no such file"),
        ([], "missing argument"),
    ],
)
def test_bad_sizes_exit_2(run, args, message):
    r = run("params", *args)
    assert r.code == 2
    assert message in r.err
    assert r.out == ""


@pytest.mark.parametrize("spelling", ["60", "60.0", "6e1", "6E+1", "0.6e2", "600e-1", "+60"])
def test_expect_takes_a_whole_number_however_written(run, spelling):
    r = run("params", "3", "5", "10", "--theta", "2", "--expect", spelling)
    assert (r.code, r.out) == (0, "✓ Θ^(2): 5·10 weights + 10 biases = 60\n")


@pytest.mark.parametrize(("spelling", "code"), [("6.5e1", 1), ("60.5", 2), ("6_0", 2), ("٦٠", 2)])
def test_expect_refuses_what_is_not_a_whole_number(run, spelling, code):
    """6.5e1 is the whole number 65 (a wrong answer); the others are not whole numbers."""
    r = run("params", "3", "5", "10", "--theta", "2", "--expect", spelling)
    assert r.code == code
    assert (r.code == 1) == ("not 65" in r.out)


def unicode_digits() -> list[str]:
    """Every character Python's int() reads as a digit that is not 0-9."""
    import unicodedata

    return [c for c in map(chr, range(0x80, 0x110000)) if unicodedata.decimal(c, None) is not None]


def test_layer_sizes_are_ascii_digits_only():
    """int() reads '5_0' as 50 and every Unicode decimal digit ('٥', '５', …) as a digit;
    a layer size is written in 0-9 alone, everywhere parse_sizes reads one."""
    from nncalc.errors import NNCalcError
    from nncalc.params import parse_sizes

    digits = unicode_digits()
    assert len(digits) > 600
    for text in ["5_0", "1_000", *digits, *(f"1{d}" for d in digits[::37])]:
        with pytest.raises(NNCalcError, match="not a whole number in the digits 0-9"):
            parse_sizes(["3", text, "10"])
    assert parse_sizes(["3", "50,10"]) == [3, 50, 10]


@pytest.mark.parametrize("size", ["5_0", "٥", "５"])
def test_cli_refuses_non_ascii_layer_sizes(run, size):
    r = run("params", "3", size, "10")
    assert (r.code, r.out) == (2, "")
    assert f"layer size '{size}' is not a whole number in the digits 0-9" in r.err
