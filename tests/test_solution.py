"""`forward --format latex|markdown`: worked solutions whose structure and numbers hold."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest
from mpmath import mp, mpf

import nncalc
from nncalc.activations import ACTIVATIONS
from nncalc.render.solution import latex, latex_number, markdown

import reference as ref
from conftest import SAMPLES, amsmath_document, tex


def bmatrices(tex: str) -> list[list[list[str]]]:
    """Every bmatrix of a LaTeX text as rows of cells."""
    found = re.findall(r"\\begin\{bmatrix\} (.*?) \\end\{bmatrix\}", tex)
    return [[row.split(" & ") for row in m.split(r" \\ ")] for m in found]


def trace(name: str, x=None):
    net = nncalc.load(SAMPLES / name)
    return net.forward(net.inputs if x is None else x)


def test_latex_structure_and_numbers():
    t = trace("lecture-3-3-1.yaml")
    tex = latex(t, 0, None)
    assert tex.count(r"\begin{align*}") == tex.count(r"\end{align*}") == 1
    assert tex.count("{") == tex.count("}")
    matrices = [
        m for m in bmatrices(tex) if m != [["1"], ["a^{(1)}"]] and m != [["1"], ["a^{(2)}"]]
    ]
    x, theta1, ones1, z2, a2, theta2, ones2, z3, a3 = matrices
    assert x == [["1"], ["2"], ["3"]]
    assert theta1 == [["1", "1", "1", "-1"], ["-2", "1", "0", "1"], ["-3", "1", "1", "1"]]
    assert ones1 == [["1"], ["1"], ["2"], ["3"]]  # [1; a^(1)]
    assert z2 == [["1"], ["2"], ["3"]]  # the slide's Θ^(1)·[1; x] = [1; 2; 3]
    sigma = [1 / (1 + np.exp(-k)) for k in (1, 2, 3)]
    assert [float(r[0]) for r in a2] == pytest.approx(sigma, rel=1e-6)
    assert theta2 == [["-1", "0.5", "-0.5", "1"]]
    assert ones2[0] == ["1"]  # the bias unit a_0^(2)
    assert float(a3[0][0]) == pytest.approx(1 / (1 + np.exp(-float(z3[0][0]))), rel=1e-6)


def test_latex_numbers():
    assert latex_number("1 − 9.5e-19") == r"1 - 9.5\times 10^{-19}"
    assert latex_number("−2.5") == "-2.5"
    assert latex_number("3.6e-348") == r"3.6\times 10^{-348}"
    assert latex_number("−e^−1e+308") == r"-e^{-1\times 10^{308}}"


def shown_value(text: str) -> mpf:
    """A number as shown (text or LaTeX) back as the number it stands for:
    '1 − 9.5e-19', '−e^−1e+308', '-5.1\\times 10^{-432}'."""
    text = re.sub(r"\\times 10\^\{(-?\d+)\}", r"e\1", text.replace("−", "-"))
    text = text.replace("{", "").replace("}", "")
    if " " in text:  # 1 - gap, or -1 + gap
        first, op, gap = text.split(" ")
        return mpf(first) + (1 if op == "+" else -1) * shown_value(gap)
    if "e^" in text:  # beyond float64's smallest, shown by its logarithm
        sign, log = text.split("e^")
        return (-1 if sign == "-" else 1) * mp.exp(mpf(log))
    return mpf(text)


def stated_output(tex: str) -> tuple[list[str], str | None]:
    """The LaTeX solution's statement of h_Θ(x) (entries as written) and its prediction."""
    found = re.search(
        r"Output:\} \$h_\\Theta\(x\) = a\^\{\(\d+\)\} = \\left\[(.*)\\right\]\$(.*)\.$", tex, re.M
    )
    assert found, tex[-500:]
    prediction = found[2].removeprefix("; predicted class: ") or None
    return found[1].split(", "), prediction


def shown_output(fmt: str, out: str) -> list[str]:
    """h_Θ(x) as shown in a one-layer network's report (table, explain, latex, markdown)."""
    if fmt == "latex":
        stated = stated_output(out)[0]
        assert stated == [row[0] for row in bmatrices(out)[-1]]  # h_Θ(x) = a^(L)
        return stated
    if fmt == "explain":
        blocks = [b for b in out.strip().split("\n\n")[1:] if not b.startswith("prediction:")]
        lines = [[line for line in b.splitlines() if not line.startswith("*")] for b in blocks]
        return [block[-1].split(" = ")[-1] for block in lines]
    line = next(line for line in out.splitlines() if "h_Θ(x) = a^(2) = [" in line)
    return line.split(" = [")[1].split("]")[0].split(", ")


@pytest.mark.parametrize("g", sorted(ACTIVATIONS))
@pytest.mark.parametrize("fmt", ["table", "explain", "latex", "markdown"])
def test_every_activation_renders_extreme_z_as_its_exact_value(run, write, g, fmt):
    """z = x, −x, x + 0.5 at ±1e308, ±1000, ±1 and 0: every format shows h_Θ(x) as the
    exact value (mpmath, at 4,000 bits) correctly rounded to the digits shown, values that
    round to ±1 and values below float64's smallest included (reference.holds). Where the
    answer itself is beyond float64 (log_softmax's −2e308), every format refuses it as
    --json does."""
    net = write("n.yaml", f"layers:\n  - activation: {g}\n    theta: [[0, 1], [0, -1], [0.5, 1]]\n")
    how = ["--explain"] if fmt == "explain" else ["--format", fmt]
    for x in ("-1e308", "-1000", "-1", "0", "1", "1000", "1e308"):
        result = run("forward", net, "-x", x, *how)
        as_json = run("forward", net, "-x", x, "--json")
        if as_json.code == 2 and "overflow" in as_json.err:
            assert (result.code, result.err) == (2, as_json.err)
            continue
        assert result.code == 0, (x, result.err)
        theta = [[0.0, 1.0], [0.0, -1.0], [0.5, 1.0]]
        with mp.workprec(4000):
            z, expected = ref.forward([theta], [g], [float(x)])[-1]
            gaps = ref.complement(g, z)
            for text, want, gap in zip(shown_output(fmt, result.out), expected, gaps, strict=True):
                assert ref.holds(text, want, 6, gap), (x, text, want)


def test_large_matrices_are_elided():
    rng = np.random.default_rng(0)
    net = nncalc.Network.from_thetas(rng.normal(size=(12, 21)))
    tex = latex(net.forward(rng.normal(size=20)), 0, None)
    theta = next(m for m in bmatrices(tex) if len(m[0]) > 1)
    assert len(theta) == 8  # 5 rows, dots, 2 rows
    assert len(theta[0]) == 8  # 5 columns, \cdots, 2 columns
    assert theta[0][5] == r"\cdots"
    assert theta[5][0] == r"\vdots"
    assert theta[5][5] == r"\ddots"


def test_markdown_structure():
    t = trace("vehicles.yaml")
    md = markdown(t, 3, "lorry")
    assert md.startswith("### Example 4: lorry")
    assert md.count("$$") == 4  # one block per layer
    assert md.count("|---:|---:|---:|") == 2
    table_rows = [line for line in md.splitlines() if re.match(r"\| \d+ \|", line)]
    assert len(table_rows) == 3 + 4  # the hidden units, then the output units
    assert "predicted class: unit 4 (truck)" in md


def test_cli_formats(run):
    r = run("forward", SAMPLES / "slide-neuron.yaml", "--format", "latex")
    assert r.code == 0
    assert r"1 - 9.5\times 10^{-19}" in r.out
    md = run("forward", SAMPLES / "logic-xnor.yaml", "--format", "markdown").out
    assert md.startswith("## x1 XNOR x2")
    assert md.count("### Example") == 4
    bad = run("forward", SAMPLES / "slide-neuron.yaml", "--format", "pdf")
    assert bad.code == 2
    assert "'pdf' is not one of 'table', 'latex', 'markdown'" in bad.err


@pytest.mark.parametrize("name", ["vehicles.yaml", "quiz-10-classes.yaml", "slide-neuron.yaml"])
def test_latex_states_h_and_the_predicted_class_as_markdown_does(name):
    t = trace(name)
    classes = t.network.classes
    for k in range(len(t)):
        h, prediction = stated_output(latex(t, k, None))
        assert [shown_value(v) for v in h] == pytest.approx(t.output[k].tolist(), rel=1e-5)
        if t.network.sizes[-1] == 1:
            assert prediction is None
            continue
        unit = int(np.argmax(t.output[k])) + 1
        expected = f"unit {unit}" + (f" ({classes[unit - 1]})" if classes else "")
        assert prediction == expected
        assert f"; predicted class: {expected}" in markdown(t, k, None)


def test_a_wide_output_is_stated_elided():
    net = nncalc.Network.from_thetas(np.linspace(-1, 1, 15 * 3).reshape(15, 3))
    h, prediction = stated_output(latex(net.forward([1, 2]), 0, None))
    assert len(h) == 12 and h[9] == r"\ldots\text{ (4 more) }\ldots"
    assert prediction == "unit 15"  # the largest: the last row, 1·1 + … grows with i


VEHICLES = (SAMPLES / "vehicles.yaml").read_text(encoding="utf-8")
HOSTILE = "Trucks & cars: 50 % of $x$ #1 ~_^{} \\input{/etc/hostname}"


@pytest.mark.parametrize(
    ("engine", "name"),
    [("pdflatex", HOSTILE + " Ünïcödé"), ("lualatex", HOSTILE + " 李小龙 محمد Nguyễn")],
)
def test_standalone_solutions_compile(run, write, engine, name):
    """--standalone: a document that compiles as it is, with the network's and the
    examples' names (text from the file) typeset as written and never run."""
    text = VEHICLES.replace("Pedestrian, car, motorcycle or truck?", json.dumps(name))
    text = text.replace("name: lorry", f"name: {json.dumps(name)}")
    r = run("forward", write("v.yaml", text), "--format", "latex", "--standalone")
    assert r.code == 0, r.err
    assert r.out.count(r"\subsection*{Example") == 4 and r.out.count("Output:") == 4
    tex_file = write("s.tex", r.out)
    tex(tex_file.parent, tex_file.name, engine)
    assert "(/etc/hostname" not in (tex_file.parent / "s.log").read_text(errors="replace")
    assert (tex_file.parent / "s.pdf").stat().st_size > 1000


def test_standalone_is_for_latex(run):
    r = run("forward", SAMPLES / "slide-neuron.yaml", "--format", "markdown", "--standalone")
    assert r.code == 2 and "--standalone is for --format latex" in r.err


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX engine installed")
@pytest.mark.parametrize("name", ["slide-neuron.yaml", "swiglu.yaml", "relu-softmax.yaml", "wide"])
def test_latex_compiles(tmp_path, name):
    if name == "wide":
        rng = np.random.default_rng(1)
        t = nncalc.Network.from_thetas(rng.normal(size=(12, 21)), activation="tanh").forward(
            rng.normal(size=20)
        )
    else:
        t = trace(name)
    body = "\n\n".join(latex(t, k, None) for k in range(len(t)))
    (tmp_path / "s.tex").write_text(amsmath_document(body), encoding="utf-8")
    tex(tmp_path, "s.tex")
    assert (tmp_path / "s.pdf").stat().st_size > 1000


def test_an_imported_network_s_prediction_gives_its_framework_index(run, write):
    net = write("n.yaml", "framework: PyTorch\nlayers:\n  - theta: [[0, 1], [0, -1], [1, 0]]\n")
    # h = σ(x), σ(−x), σ(1) for x = 2: unit 1 (σ(2) > σ(1)), PyTorch's index 0
    tex = run("forward", net, "-x", "2", "--format", "latex").out
    assert stated_output(tex)[1] == "unit 1 (index 0 in PyTorch)"
    md = run("forward", net, "-x", "2", "--format", "markdown").out
    assert "predicted class: unit 1 (index 0 in PyTorch)" in md
