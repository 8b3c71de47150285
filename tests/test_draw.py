"""`nncalc draw`: the SVG has a circle per unit, a bias unit per layer, an edge per weight."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import nncalc
from nncalc.render.svg import BASELINE, NEGATIVE, POSITIVE, STYLES, draw

from conftest import SAMPLES

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def of_class(root: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in root.iter(NS + tag) if e.get("class") == cls]


def test_units_bias_units_and_edges():
    net = nncalc.load(SAMPLES / "lecture-3-3-1.yaml")
    root = parse(draw(net))
    # 3 + 3 + 1 units; a bias unit in layers 1 and 2; (3 + 1)·3 + (3 + 1)·1 = 16 weights
    assert len(of_class(root, "circle", "unit")) == 7
    assert len(of_class(root, "circle", "bias")) == 2
    edges = of_class(root, "line", "edge")
    assert len(edges) == 16
    weights = sorted(float(e.get("data-weight")) for e in edges)
    expected = sorted(np.concatenate([net.theta(1).ravel(), net.theta(2).ravel()]).tolist())
    assert weights == expected
    for e in edges:
        w = float(e.get("data-weight"))
        assert e.get("stroke") == (POSITIVE if w >= 0 else NEGATIVE)
    first = [e for e in edges if "^(1) =" in e.find(NS + "title").text]
    widths = {float(e.get("data-weight")): float(e.get("stroke-width")) for e in first}
    # Θ^(1)'s largest |weight| is 3: −3 is drawn widest, 1 narrower, 0 thinnest
    assert widths[-3.0] > widths[1.0] > widths[0.0]


def test_activations_shown_for_an_example(run, tmp_path):
    out = tmp_path / "net.svg"
    r = run("draw", SAMPLES / "lecture-3-3-1.yaml", "-x", "1,2,3", "-o", out)
    assert r.code == 0
    values = [e.text for e in parse(out.read_text()).iter(NS + "text") if e.get("class") == "value"]
    s = [1 / (1 + np.exp(-k)) for k in (1, 2, 3)]
    assert values[:3] == ["1", "2", "3"]  # a^(1) = x
    assert values[3:6] == [f"{v:.3g}" for v in s]  # a^(2) = σ(1), σ(2), σ(3)


def test_wide_layers_are_elided():
    rng = np.random.default_rng(0)
    net = nncalc.Network.from_thetas(rng.normal(size=(2, 31)), rng.normal(size=(1, 3)))
    root = parse(draw(net))
    elided = [e.text for e in root.iter(NS + "text") if e.get("class") == "elided"]
    assert elided == ["⋮ 19 more"]  # 30 inputs: 9 first and 2 last drawn
    assert len(of_class(root, "circle", "unit")) == 11 + 2 + 1
    assert len(of_class(root, "line", "edge")) == (11 + 1) * 2 + 3


def test_draw_to_stdout_and_bad_output(run, tmp_path):
    r = run("draw", SAMPLES / "slide-neuron.yaml")
    assert r.code == 0
    assert parse(r.out).tag == NS + "svg"
    bad = run("draw", SAMPLES / "slide-neuron.yaml", "-o", tmp_path / "net.png")
    assert bad.code == 2
    assert "unknown output format '.png'" in bad.err


# ---- For paper: every weight labelled, the sign in the line's dashes ----

NETWORKS = sorted(SAMPLES.glob("*.yaml"))


def weight_labels(root: ET.Element) -> dict[str, ET.Element]:
    """Each weight label's <text>, by its edge's data-edge."""
    return {
        g.get("data-edge"): g.find(NS + "text")
        for g in root.iter(NS + "g")
        if g.get("class") == "weight"
    }


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("path", NETWORKS, ids=[p.stem for p in NETWORKS])
def test_weights_label_every_edge_on_its_edge(path, style):
    """Every edge has one label, showing its weight (all of it, or ≈ and 3 digits when it
    has more than 4), centred on its own line."""
    net = nncalc.load(path)
    root = parse(draw(net, weights=True, style=style))
    edges = {e.get("data-edge"): e for e in of_class(root, "line", "edge")}
    labels = weight_labels(root)
    assert labels.keys() == edges.keys()
    for key, text in labels.items():
        line = edges[key]
        j, i, m = map(int, key.split(","))
        w = float(net.theta(j)[i - 1, m])
        shown = text.text.replace("−", "-")
        if shown.startswith("≈"):
            assert float(f"{w:.4g}") != w  # more than 4 significant digits
            assert abs(float(shown[1:]) - w) <= 5e-3 * abs(w)
        else:
            assert float(shown) == w
        x1, y1, x2, y2 = (float(line.get(a)) for a in ("x1", "y1", "x2", "y2"))
        x, y = float(text.get("x")), float(text.get("y")) - BASELINE * float(text.get("font-size"))
        across = abs((x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)) / np.hypot(x2 - x1, y2 - y1)
        assert across < 0.2, key
        assert min(x1, x2) < x < max(x1, x2) or x1 == x2


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("path", NETWORKS, ids=[p.stem for p in NETWORKS])
def test_the_sign_is_in_the_dashes_and_print_is_black_and_white(path, style):
    """A negative weight's line is dashed and only it, in either style; the print style
    uses no colour but black, white and greys."""
    net = nncalc.load(path)
    trace = net.forward(net.inputs[:1]) if net.inputs is not None else None
    svg = draw(net, trace, style=style)
    root = parse(svg)
    for e in of_class(root, "line", "edge"):
        assert (e.get("stroke-dasharray") is not None) == (float(e.get("data-weight")) < 0)
    if style == "print":
        colours = set(re.findall(r'(?:stroke|fill)="(#[0-9a-f]{6}|[a-z]+)"', svg))
        for c in colours - {"none", "white", "black"}:
            r, g, b = (int(c[k : k + 2], 16) for k in (1, 3, 5))
            assert r == g == b, c


def test_the_predicted_unit_is_ringed():
    net = nncalc.load(SAMPLES / "vehicles.yaml")
    for x in net.inputs:
        trace = net.forward(x)
        rings = [g for g in parse(draw(net, trace)).iter(NS + "g") if g.get("class") == "node"]
        ringed = [
            int(g.get("data-unit"))
            for g in rings
            for c in g.iter(NS + "circle")
            if c.get("class") == "ring" and c.get("visibility") == "visible"
        ]
        assert ringed == [int(trace.predictions[0])]


def test_draw_weights_and_print_from_the_command_line(run, tmp_path):
    out = tmp_path / "xnor.svg"
    r = run("draw", SAMPLES / "logic-xnor.yaml", "--weights", "--style", "print", "-o", out)
    assert r.code == 0
    texts = sorted(t.text for t in weight_labels(parse(out.read_text())).values())
    assert texts == sorted(["−30", "20", "20", "10", "−20", "−20", "−10", "20", "20"])
    assert run("draw", SAMPLES / "logic-xnor.yaml", "--style", "sepia").code == 2


# The geometry, measured in Chromium with its real fonts: each label's text inside its
# white box, and no box over another, over a unit or over a class name; every value
# inside its unit; nothing outside the figure.
GEOMETRY = """() => {
  const svg = document.querySelector("svg");
  const box = (e) => { const b = e.getBBox(); return [b.x, b.y, b.width, b.height]; };
  const circles = [...svg.querySelectorAll("circle.unit, circle.bias")].map((c) =>
    ["cx", "cy", "r"].map((a) => Number(c.getAttribute(a))));
  return {
    size: [Number(svg.getAttribute("width")), Number(svg.getAttribute("height"))],
    labels: [...svg.querySelectorAll("g.weight")].map((g) =>
      [box(g.querySelector("rect")), box(g.querySelector("text"))]),
    circles,
    classes: [...svg.querySelectorAll("text.class")].map(box),
    values: [...svg.querySelectorAll("text.value")].map((t) =>
      [box(t), Number(t.parentNode.querySelector("circle.unit").getAttribute("r"))]),
    texts: [...svg.querySelectorAll("text")].map(box),
  };
}"""


def _overlap(a, b) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _touches(rect, circle) -> bool:
    (x, y, w, h), (cx, cy, r) = rect, circle
    dx, dy = cx - min(max(cx, x), x + w), cy - min(max(cy, y), y + h)
    return dx * dx + dy * dy < r * r


def _inside(inner, outer, slack=0.5) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[0] + inner[2] <= outer[0] + outer[2] + slack
        and inner[1] + inner[3] <= outer[1] + outer[3] + slack
    )


@pytest.mark.parametrize("path", NETWORKS, ids=[p.stem for p in NETWORKS])
def test_labels_and_values_fit_in_chromium(path, browser):
    net = nncalc.load(path)
    tab = browser.new_page()
    try:
        for style in STYLES:
            trace = net.forward(net.inputs[:1]) if net.inputs is not None else None
            tab.set_content(f"<!DOCTYPE html><body>{draw(net, trace, weights=True, style=style)}")
            g = tab.evaluate(GEOMETRY)
            labels, circles = g["labels"], g["circles"]
            assert len(labels) == len(of_class(parse(draw(net)), "line", "edge"))
            for n, (rect, text) in enumerate(labels):
                assert _inside(text, rect), (style, text, rect)
                assert not any(_overlap(rect, other) for other, _ in labels[n + 1 :])
                assert not any(_touches(rect, c) for c in circles), (style, rect)
                assert not any(_overlap(rect, c) for c in g["classes"])
            for value, r in g["values"]:
                assert value[2] <= 2 * r
            frame = [0, 0, *g["size"]]
            assert all(_inside(t, frame) for t in g["texts"])
    finally:
        tab.close()


def test_the_readme_s_xnor_figure_is_draw_s():
    """docs/xnor-print.svg, shown in the README, is what the README's command draws."""
    figure = draw(nncalc.load(SAMPLES / "logic-xnor.yaml"), weights=True, style="print")
    assert (SAMPLES.parent / "docs" / "xnor-print.svg").read_text(encoding="utf-8") == figure
