"""`forward` tables: wide layers elided by one rule, focus on a layer or unit, one row per
example for many, zeros to rounding, narrow consoles, piped output, wording."""

from __future__ import annotations

import re
from itertools import pairwise

import numpy as np
import pytest

import nncalc
from nncalc.render.elide import elide, shown
from nncalc.render.explain import unit_lines
from nncalc.render.forward import theta_symbol
from nncalc.render.svg import draw

from conftest import SAMPLES

VEHICLES = SAMPLES / "vehicles.yaml"
U = 2.0**-53


def flat(text: str) -> str:
    """text with every run of white space (line ends too) as one space."""
    return " ".join(text.split())


def wide(write, sizes=(784, 30, 10), examples=1):
    """A random sigmoid network of ``sizes`` and an input file of ``examples`` rows."""
    rng = np.random.default_rng(0)
    thetas = [rng.normal(0, 0.1, (b, a + 1)).tolist() for a, b in pairwise(sizes)]
    layers = "".join(f"  - theta: {t}\n" for t in thetas)
    net = write("wide.yaml", f"layers:\n{layers}")
    x = write(
        "x.csv",
        "\n".join(",".join(f"{v:.3f}" for v in r) for r in rng.uniform(0, 1, (examples, sizes[0])))
        + "\n",
    )
    return net, x


@pytest.mark.parametrize(
    ("n", "limit", "expected"),
    [
        (12, 12, list(range(1, 13))),
        (13, 12, [*range(1, 10), None, 12, 13]),
        (8, 8, list(range(1, 9))),
        (9, 8, [1, 2, 3, 4, 5, None, 8, 9]),
        (30, None, list(range(1, 31))),
    ],
)
def test_the_elision_rule(n, limit, expected):
    # up to the limit: all; beyond: the first limit − 3, a gap, the last 2 (limit places)
    assert shown(n, limit) == expected
    items = elide(list(range(1, n + 1)), lambda hidden: f"{hidden} more", limit)
    hidden = n - (limit or n) + 1
    assert items == [f"{hidden} more" if i is None else i for i in expected]


def test_a_wide_network_prints_a_screenful(run, write):
    net, x = wide(write)
    r = run("forward", net, "-i", x)
    assert r.code == 0, r.err
    assert len(r.out.splitlines()) < 80  # 955 lines before elision
    assert "⋮ 773 more" in r.out  # 784 inputs: 9 shown, 773 left out, the last 2
    assert "⋮ 19 more" in r.out  # 30 hidden units: 9, 19 left out, 2
    assert "x_784" in r.out and "x_10 " not in r.out
    assert "0.657, … (773 more) …, " in flat(r.out)  # the x header
    full = run("forward", net, "-i", x, "--all")
    assert "more" not in full.out
    assert all(f"x_{i}" in full.out for i in range(1, 785))


def test_explain_elides_units_and_headers(run, write):
    net, x = wide(write, (20, 13, 2))
    r = run("forward", net, "-i", x, "--explain", "--layer", "2")
    assert "x = [" in r.out and "… (9 more) …" in r.out  # 20 inputs: 9, 9 more, 2
    assert "⋮ 2 more units of layer 2" in r.out  # 13 units: 9, 2 more, 2
    assert "a_10^(2)" not in r.out and "a_13^(2)" in r.out
    assert "… (16 more terms) …" in r.out  # 21 terms: 3, 16 more, 2
    full = run("forward", net, "-i", x, "--explain", "--layer", "2", "--all")
    assert "more" not in full.out and "a_10^(2)" in full.out and "Θ_1,20^(1)" in full.out


def test_layer_and_unit_focus_tables(run):
    x = "3.8,12,10"
    doc = run("forward", VEHICLES, "-x", x, "--json").json()
    z3 = doc["examples"][0]["layers"][2]["z"]
    r = run("forward", VEHICLES, "-x", x, "--layer", "3")
    assert "Layer 3" in r.out and "Layer 2" not in r.out and "Layer 1" not in r.out
    assert "Network" not in r.out  # no summary for one layer
    assert sum(line.split()[:1] in (["1"], ["2"], ["3"], ["4"]) for line in r.out.splitlines()) == 4
    one = run("forward", VEHICLES, "-x", x, "--layer", "3", "--unit", "2")
    rows = [line.split() for line in one.out.splitlines() if re.match(r"\s+\d+\s", line)]
    assert rows == [["2", nncalc.render.numbers.fmt(z3[1]), rows[0][2]]]
    assert run("forward", VEHICLES, "-x", x, "--layer", "4").code == 2
    assert run("forward", VEHICLES, "-x", x, "--unit", "5").code == 2
    bad = run("forward", VEHICLES, "-x", x, "--layer", "2", "--json")
    assert bad.code == 2 and "--layer and --unit are for tables, --explain and --expect" in bad.err


def test_many_examples_one_row_each(run, write, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    net, x = wide(write, (8, 3, 5), examples=6)
    doc = run("forward", net, "-i", x, "--json").json()
    r = run("forward", net, "-i", x)
    assert "6 examples" in r.out
    assert "Layer 2" not in r.out  # one table, not one per layer
    rows = [line for line in r.out.splitlines() if re.match(r"\s+\d+\s+\[", line)]
    assert len(rows) == 6
    for row, e in zip(rows, doc["examples"], strict=True):
        h = [nncalc.render.numbers.fmt(v) for v in e["output"]]
        assert f"[{h[0]}, …, {h[3]}, {h[4]}]" in row  # 5 outputs: the first, …, the last 2
        assert row.rstrip().endswith(f"unit {e['prediction']['unit']}")
    layers = run("forward", net, "-i", x, "--layers")
    assert layers.out.count("Layer 2 (hidden)") == 6
    five = run("forward", net, "-x", ",".join(["1"] * 8), *(["-x", ",".join(["0"] * 8)] * 4))
    assert five.out.count("Layer 2 (hidden)") == 5  # up to 5 examples: every table


def zero_trace():
    """z_1^(2) = 0.1 + 0.5 − 0.6 (x = 1, 1); z_2^(2) = 4e-16 + 0.5 − 0.5."""
    net = nncalc.Network.from_thetas([[0.1, 0.5, -0.6], [4e-16, 0.5, -0.5]])
    return net.forward([1.0, 1.0])


def test_z_bound_by_hand():
    t = zero_trace()
    gamma3 = 3 * U / (1 - 3 * U)  # 3 terms, the bias included
    assert t.z_bound(2)[0].tolist() == pytest.approx([gamma3 * 1.2, gamma3 * (1 + 4e-16)])
    assert t.z[2][0, 0] == (0.5 - 0.6) + 0.1 == pytest.approx(2.77556e-17, rel=1e-5)
    assert abs(t.z[2][0, 0]) < gamma3 * 1.2  # below the bound of its sum


@pytest.mark.parametrize("columns", ["20", "30", "40", "80"])
def test_narrow_consoles_never_cut_a_number(run, monkeypatch, columns):
    x = "3.8,-12.33333,10"
    doc = run("forward", VEHICLES, "-x", x, "--json").json()
    monkeypatch.setenv("COLUMNS", columns)
    out = run("forward", VEHICLES, "-x", x).out
    assert "…" not in out
    for layer in doc["examples"][0]["layers"]:
        for v in layer.get("z", []) + layer["a"]:
            text = nncalc.render.numbers.fmt(v)
            if text not in ("1", "−1"):  # those show as 1 − gap, tested elsewhere
                assert text in out, (text, columns)
    assert max(len(line) for line in out.splitlines()) <= int(columns)


@pytest.mark.parametrize(
    "args",
    [
        ["forward", VEHICLES],
        ["forward", VEHICLES, "--explain"],
        ["forward", VEHICLES, "--format", "markdown"],
        ["params", "3", "5", "10"],
        ["onehot", "3", "--classes", "5"],
        ["collapse", SAMPLES / "relu-softmax.yaml"],
        ["check", SAMPLES / "grading" / "sheet.yaml"],
        [
            "check",
            SAMPLES / "grading" / "sheet.yaml",
            "--answers",
            SAMPLES / "grading" / "answers-partial.yaml",
        ],
        ["quiz"],
        ["grade", SAMPLES / "grading" / "sheet.yaml", SAMPLES / "grading" / "answers-partial.yaml"],
    ],
)
def test_piped_output_has_no_trailing_spaces(run, args):
    r = run(*args)
    assert r.out
    assert [line for line in r.out.splitlines() if line != line.rstrip()] == []


def test_wording(run, write):
    one = run("forward", VEHICLES, "-x", "1,2,3", "-o", write("h.csv", ""))
    assert "of 1 example to" in one.err
    t = nncalc.load(VEHICLES).forward([1.0, 2.0, 3.0])
    lines = unit_lines(t, 0, 2, 1)
    assert " + −" not in "".join(lines)
    net = write("net.yaml", "layers:\n  - theta: [[1, 2]]\n")
    assert "give -x 1," in run("forward", net).err
    big = write("big.yaml", f"layers:\n  - theta: [{[0.0] * 785}]\n")
    assert "give -x x_1,x_2,…,x_784 (784 numbers)" in run("forward", big).err


def test_theta_indices_get_a_comma_when_a_layer_has_10_units():
    small = nncalc.Network.from_thetas(np.zeros((9, 10)))  # 9 inputs, 9 units: one digit
    assert theta_symbol(small.layers[0], 7, 9, 1) == "Θ_79^(1)"
    wide = nncalc.Network.from_thetas(np.zeros((10, 31)), np.zeros((2, 11)))
    assert theta_symbol(wide.layers[0], 7, 30, 1) == "Θ_7,30^(1)"  # not Θ_730^(1)
    assert theta_symbol(wide.layers[1], 1, 2, 2) == "Θ_1,2^(2)"  # 10 units in layer 2
    assert "<title>Θ_10,1^(1) = 0</title>" in draw(wide)


def test_layer_and_unit_with_only_a_file_are_refused(run, tmp_path):
    """-o alone writes h_Θ(x) and prints no table: a --layer or --unit would be ignored."""
    r = run("forward", VEHICLES, "-x", "1,2,3", "--layer", "2", "-o", tmp_path / "h.csv")
    assert r.code == 2 and "--layer and --unit are for tables" in r.err
    assert not (tmp_path / "h.csv").exists()
