"""Every digit printed is a digit of the exact value (issue 22 §2): the tables, --explain,
LaTeX and Markdown, on both paths, against the mpmath reference."""

from __future__ import annotations

import re

import numpy as np
import pytest
from mpmath import mp, mpf

import nncalc
from nncalc.network import Layer, Network
from nncalc.render import digits
from nncalc.render.explain import example_lines
from nncalc.render.solution import latex, markdown

import reference as ref
from conftest import SAMPLES

BITS = 1200
"""mpmath's precision for the reference here: far beyond any cancellation below (the
random networks cancel about 50 bits, then scale by 2^40)."""


def exact_layers(net: Network, x) -> list[tuple[list, list, list]]:
    """(z, a, gap) of each layer j = 2 … L, exactly (mpmath at BITS)."""
    thetas = [layer.theta.tolist() for layer in net.layers]
    gates = [None if layer.gate is None else layer.gate.tolist() for layer in net.layers]
    names = [layer.g_name for layer in net.layers]
    out = []
    with mp.workprec(BITS):
        params = [layer.params for layer in net.layers]
        a = [mpf(v) for v in x]
        for theta, name, gate, beta, p in zip(
            thetas, names, gates, [layer.swish_beta for layer in net.layers], params, strict=True
        ):
            z = ref.affine(theta, a)
            if gate is None:
                values, gaps = ref.activate(name, z, **p), ref.complement(name, z)
            else:
                u = ref.affine(gate, a)
                values = [zi * ref.swish(ui, beta) for zi, ui in zip(z, u, strict=True)]
                gaps = [1 - abs(v) for v in values]
            out.append((z, values, gaps))
            a = values
    return out


def check_example(trace, k: int, p: int = 6, exact=None) -> None:
    """Every z and a of example k as digits.example shows them holds the exact value
    (``exact``: exact_layers of the example, if at hand)."""
    shown = digits.example(trace, k, p)
    exact = exact or exact_layers(trace.network, trace.a[1][k])
    with mp.workprec(BITS):
        for j, (z, a, gaps) in enumerate(exact, start=2):
            for i, unit in enumerate(shown[j]):
                assert ref.holds(unit.z, z[i], p), (j, i, unit.z, z[i])
                assert ref.holds(unit.a, a[i], p, gaps[i]), (j, i, unit.a, a[i])


# -- the audit's cases ----------------------------------------------------------------


def amplified() -> Network:
    """z_1^(2) = −0.3 + 0.1 + 0.2 = 2^−55 exactly, which float64 computes as 2^−54 when it
    adds the products first (as BLAS does, then the bias); z_1^(3) = 2^60·z_1^(2) − 100
    is then −68, which float64 computes as −36."""
    return Network.from_thetas([[-0.3, 0.1, 0.2]], [[-100.0, 2.0**60]], activation="identity")


def test_an_amplified_cancellation_shows_the_exact_value_with_a_footnote():
    trace = amplified().forward(np.ones((4000, 2)))  # NumPy's path: 12,000 multiply-adds
    assert not trace.rounded
    assert trace.z[2][0, 0] == 2.0**-54 and trace.z[3][0, 0] == -36.0  # float64
    shown = digits.example(trace, 0, 6)
    assert (shown[2][0].z, shown[3][0].z) == ("2.77556e-17", "−68")
    assert shown[3][0].z_note == "z_1^(3) = −68: float64 computes −36 here: cancellation in z_1^(2)"
    assert "float64 computes 5.55112e-17 here" in shown[2][0].z_note
    lines = "\n".join(example_lines(trace, 0))
    assert "= id(−68) = −68" in lines and "float64 computes −36 here" in lines
    assert "-68" in latex(trace, 0, None) and "% z_1^(3) = −68: float64 computes −36" in latex(
        trace, 0, None
    )
    assert "| 1 | −68 \\* | −68 \\* |" in markdown(trace, 0, None)
    check_example(trace, 0)


def test_the_plain_path_rounds_the_same_sum_exactly():
    trace = amplified().forward([1.0, 1.0])  # one example: nncalc.small, exactly rounded
    assert trace.rounded and trace.z[2][0, 0] == 2.0**-55 and trace.z[3][0, 0] == -68.0
    shown = digits.example(trace, 0, 6)
    assert (shown[2][0].z, shown[2][0].z_note, shown[3][0].z, shown[3][0].z_note) == (
        "2.77556e-17",
        None,
        "−68",
        None,
    )


@pytest.mark.parametrize(
    ("g", "theta", "x", "text"),
    [
        ("sigmoid", [[0, 1]], 800, "1 − 3.7e-348"),
        ("tanh", [[0, 1]], 380, "1 − 1.7e-330"),
        ("identity", [[1, -4.1e-44]], 1, "1 − 4.1e-44"),
        ("softplus", [[0, 1]], -800, "3.7e-348"),
        ("gelu", [[0, 1]], -41, "−3.8e−366"),
        ("mish", [[0, 1]], -800, "−2.9e−345"),
        ("sigmoid", [[0, 1]], -2e15, "2.2e-868588963806504"),
        ("sigmoid", [[0, 1]], -744.2, "6.28126e-324"),
    ],
)
def test_saturation_and_underflow_one_rule(run, write, g, theta, x, text):
    """The issue's bare 1s and 0s, the subnormal and the huge exponent: every g shows the
    exact value, 1 − gap and values below float64's smallest with two digits and *."""
    net = write("n.yaml", f"layers:\n  - {{theta: {theta}, activation: {g}}}\n")
    r = run("forward", net, "-x", str(x))
    assert r.code == 0, r.err
    assert parse_table(r.out)[2][0][1] == text
    assert f"{text} *" in r.out  # with its footnote
    with mp.workprec(BITS):
        z = ref.affine(theta, [mpf(x)])
        assert ref.holds(text, ref.activate(g, z)[0], 6, ref.complement(g, z)[0])


def test_a_subnormal_is_shown_exactly_with_what_float64_stores(run, write):
    """σ(−744.2) is 6.28126e-324; float64 stores 4.94066e-324, the smallest subnormal."""
    net = write("n.yaml", "layers:\n  - {theta: [[0, 1]], activation: sigmoid}\n")
    out = " ".join(run("forward", net, "-x", "-744.2").out.split())
    assert "6.28126e-324 *" in out
    assert "float64 computes 4.94066e-324 here: subnormal in float64, with fewer digits" in out


# -- the rule over random networks -----------------------------------------------------

NAMES = sorted(nncalc.activations.ACTIVATIONS)


def random_network(seed: int) -> tuple[Network, np.ndarray]:
    """Random sizes and activations; every other network cancels by design: each row of
    Θ^(1) repeats a weight with the opposite sign on an input repeated exactly, so that z
    is the bias alone up to the rounding of the rest, and later layers scale it up by 2^40."""
    rng = np.random.default_rng(seed)
    depth = int(rng.integers(1, 4))
    sizes = [int(s) for s in rng.integers(1, 5, size=depth + 1)]
    cancel = seed % 2 == 1
    if cancel:
        sizes[0] = 2 * sizes[0]
    layers = []
    for j in range(depth):
        theta = rng.normal(size=(sizes[j + 1], sizes[j] + 1)) * 10.0 ** rng.integers(-2, 3)
        if cancel and j == 0:
            half = sizes[0] // 2
            theta[:, 1 + half :] = -theta[:, 1 : 1 + half] * (1 + 2.0**-50)
            theta[:, 0] = rng.normal(size=sizes[1]) * 1e-15
        elif cancel:
            theta *= 2.0**40
        name = str(rng.choice(NAMES))
        gate = rng.normal(size=theta.shape) if rng.random() < 0.15 else None
        if name == "leaky_relu" and gate is None:  # a PReLU: a slope per unit, any sign
            name = f"leaky_relu(alpha={rng.normal(size=len(theta)).tolist()})"
        layers.append(Layer(theta, name, gate=gate))
    x = rng.normal(size=(3, sizes[0])) * 10.0 ** rng.integers(-1, 3)
    if cancel:
        x[:, sizes[0] // 2 :] = x[:, : sizes[0] // 2]
    return Network(tuple(layers)), x


@pytest.mark.parametrize("seed", range(40))
def test_every_printed_digit_is_exact_on_random_networks(seed):
    """On both paths (one example: exactly rounded z; 3,000 repeated: BLAS's), every z and
    a shown holds the exact value, at 6 digits and at 3."""
    net, x = random_network(seed)
    try:
        traces = [net.forward(x), net.forward(np.tile(x, (3000 // len(x), 1)))]
    except nncalc.NNCalcError:
        return  # an overflow, refused
    assert not traces[1].rounded
    exact = [exact_layers(net, row) for row in x]
    for trace in traces:
        for k in (0, 1, 2):
            check_example(trace, k, 6, exact[k])
        check_example(trace, 0, 3, exact[0])


def parse_table(out: str) -> dict[int, list[tuple[str, ...]]]:
    """{j: [(z, a) or, for a SwiGLU layer, (z, u, a), …]} from the tables of one example."""
    layers, j = {}, None
    for line in out.splitlines():
        found = re.match(r"Layer (\d+) \(", line)
        if found:
            j = int(found.group(1))
            layers[j] = []
            continue
        row = re.match(r"\s+(\d+)((?:\s{2,}\S.*?){2,3})\s*$", line)
        if j and j > 1 and row and not row.group(2).endswith("bias unit"):
            cells = re.split(r"\s{2,}", row.group(2).strip())
            layers[j].append(tuple(c.removesuffix(" *") for c in cells))
    return layers


@pytest.mark.parametrize("seed", [1, 3, 4, 7])
def test_printed_tables_parse_back_to_the_exact_values(run, write, seed):
    """The command line's tables (the quick path of a plain file, or NumPy's), number by
    number: z, a SwiGLU layer's gate u, and a."""
    net, x = random_network(seed)
    nncalc.save(net, write("net.yaml", ""))
    r = run("forward", write("net.yaml", "").parent / "net.yaml", "-x", ",".join(map(repr, x[0])))
    if r.code == 2:
        return
    shown = parse_table(r.out)
    with mp.workprec(BITS):
        a_before = [mpf(v) for v in x[0]]
        for j, (z, a, gaps) in enumerate(exact_layers(net, x[0]), start=2):
            gate = net.layers[j - 2].gate
            u = [None] * len(z) if gate is None else ref.affine(gate.tolist(), a_before)
            assert len(shown[j]) == len(z)
            for cells, zi, ui, ai, gi in zip(shown[j], z, u, a, gaps, strict=True):
                assert len(cells) == (2 if ui is None else 3), (j, cells)
                assert ref.holds(cells[0], zi, 6), (j, cells[0], zi)
                if ui is not None:
                    assert ref.holds(cells[1], ui, 6), (j, cells[1], ui)
                assert ref.holds(cells[-1], ai, 6, gi), (j, cells[-1], ai)
            a_before = a


@pytest.mark.parametrize("seed", [0, 1, 5])
def test_json_exact_adds_the_exact_values_and_bounds_that_hold(run, write, seed):
    """--json keeps float64's numbers; --exact adds each value's exact digits (17) and a
    bound that float64's value is within, both checked against mpmath."""
    net, x = random_network(seed)
    path = write("net.yaml", "")
    nncalc.save(net, path)
    plain = run("forward", path, "-x", ",".join(map(repr, x[0])), "--json")
    r = run("forward", path, "-x", ",".join(map(repr, x[0])), "--json", "--exact")
    if plain.code == 2:
        return
    doc = r.json()
    layers = doc["examples"][0]["layers"][1:]
    assert [
        {k: v for k, v in layer.items() if k not in ("exact", "bound")} for layer in layers
    ] == (plain.json()["examples"][0]["layers"][1:])
    with mp.workprec(BITS):
        for layer, (z, a, gaps) in zip(layers, exact_layers(net, x[0]), strict=True):
            for key, values, extra in (("z", z, [None] * len(z)), ("a", a, gaps)):
                for got, text, bound, want, gap in zip(
                    layer[key], layer["exact"][key], layer["bound"][key], values, extra,
                    strict=True,
                ):  # fmt: skip
                    assert ref.holds(text, want, 17, gap), (key, text, want)
                    assert abs(mpf(got) - want) <= mpf(bound), (key, got, want, bound)


def test_exact_needs_json(run):
    r = run("forward", SAMPLES / "slide-neuron.yaml", "--exact")
    assert (r.code, r.out) == (2, "")
    assert "--exact adds to --json's document; add --json" in r.err
