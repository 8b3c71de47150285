"""`nncalc draw`: the SVG has a circle per unit, a bias unit per layer, an edge per weight."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np

import nncalc
from nncalc.render.svg import NEGATIVE, POSITIVE, draw

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
