"""The page's backward view: δ on every unit and ∂J/∂Θ on every edge for a label y,
computed in the browser as `nncalc backward` computes them (Chromium, via Playwright)."""

from __future__ import annotations

import numpy as np
import pytest
import test_page
from test_page import close, random_g

import nncalc
from nncalc.activations import ACTIVATIONS, SWIGLU
from nncalc.errors import NNCalcError
from nncalc.network import Layer, Network
from nncalc.render.backward import unit_lines
from nncalc.render.page import to_page

from conftest import SAMPLES

open_page = test_page.open_page
"""The page in a real browser (test_page's fixture)."""

OUTPUTS = ["sigmoid", "softmax", "log_softmax", "identity"]
HIDDEN = [*ACTIVATIONS, SWIGLU]
HIDDEN.remove("step")


def network(seed: int, hidden: str, output: str) -> tuple[Network, np.ndarray, list[float]]:
    """3 → 4 (hidden) → 3 (tanh) → 2 (output), weights of scale 1, an x and a y."""
    rng = np.random.default_rng(seed)
    first = rng.normal(size=(4, 4))
    if hidden == SWIGLU:
        one = Layer(first, gate=rng.normal(size=(4, 4)), beta=float(rng.uniform(0.5, 2)))
    else:
        one = Layer(first, random_g(rng, hidden, len(first)))
    layers = (one, Layer(rng.normal(size=(3, 5)), "tanh"), Layer(rng.normal(size=(2, 4)), output))
    y = [0.3, -1.2] if output == "identity" else [0.0, 1.0]
    return Network(layers, name=f"{hidden} {output}"), rng.uniform(-3, 3, size=3), y


def deltas(tab) -> dict[tuple[int, int], float]:
    rows = tab.eval_on_selector_all(
        "[data-layer][data-unit]",
        "es => es.map(e => [e.dataset.layer, e.dataset.unit, e.dataset.delta])",
    )
    return {(int(j), int(i)): float(d) for j, i, d in rows if d is not None}


def gradients(tab) -> dict[tuple[int, int, int], float]:
    rows = tab.eval_on_selector_all(
        "line[data-edge]", "es => es.map(e => [e.dataset.edge, e.dataset.d])"
    )
    return {tuple(map(int, edge.split(","))): float(d) for edge, d in rows}


@pytest.mark.parametrize("hidden", HIDDEN)
def test_delta_and_gradients_agree_with_backward_json(hidden, open_page, run, tmp_path):
    output = OUTPUTS[HIDDEN.index(hidden) % len(OUTPUTS)]
    net, x, y = network(HIDDEN.index(hidden), hidden, output)
    path = tmp_path / "net.yaml"
    nncalc.save(net, path)
    args = ["-x", ",".join(map(repr, x.tolist())), "--y", ",".join(map(repr, y))]
    doc = run("backward", path, *args, "--json").json()
    tab = open_page(to_page(net, x, y=y, backward=True))
    shown = deltas(tab)
    for layer in doc["examples"][0]["layers"]:
        for i, d in enumerate(layer["delta"], start=1):
            assert close(shown[layer["layer"], i], d), (hidden, layer["layer"], i)
    D = {t["theta"]: t["D"] for t in doc["thetas"]}
    for (j, i, m), d in gradients(tab).items():
        assert close(d, D[j][i - 1][m]), (hidden, j, i, m)
    grads = net.backward(x, y)
    for j in range(2, net.L + 1):
        for i in range(1, net.sizes[j - 1] + 1):
            tab.focus(f'[data-layer="{j}"][data-unit="{i}"]')
            expected = "\n".join(unit_lines(grads, 0, j, i))
            assert tab.text_content("#arithmetic") == expected, (hidden, j, i)
    assert tab.text_content("#command") == "backward"
    J = tab.text_content("#output")
    assert f"{grads.cost.J:.6g}".replace("-", "−") in J.replace("\u2061", "")


def test_the_backward_view_opens_with_backward_s_digits(open_page):
    """Where y is within rounding of h, δ^(L) is mostly the rounding of a^(L): as it opens,
    the page shows what nncalc backward shows (no digit that is not certain, with its
    footnote), in each unit's arithmetic, the diagram and J."""
    from nncalc.render.backward import delta_shown
    from nncalc.render.cost import J_text

    net = Network(
        (Layer(np.array([[0.0, 1.0]]), "tanh"), Layer(np.array([[0.0, 1.0]]), "identity"))
    )
    y = [float(np.tanh(0.5)) + 1e-14]
    tab = open_page(to_page(net, [0.5], y=y, backward=True))
    grads = net.backward([[0.5]], [y])
    for j, i in ((3, 1), (2, 1)):
        tab.focus(f'[data-layer="{j}"][data-unit="{i}"]')
        assert tab.text_content("#arithmetic") == "\n".join(unit_lines(grads, 0, j, i))
    assert "9.9920" not in tab.text_content("#arithmetic")
    shown = tab.eval_on_selector_all("text.value", "es => es.map(e => e.textContent)")
    assert delta_shown(grads, 3, 0, 3)[0][0] in shown
    assert J_text(grads.cost, 6) in tab.text_content("#output")


def test_an_edited_label_recomputes_delta(open_page):
    net = nncalc.load(SAMPLES / "backprop-2-2-2-1.yaml")
    tab = open_page(to_page(net, y=[1], backward=True))
    tab.fill('[data-label="1"]', "0")
    expected = net.backward(net.inputs, [0])
    for (j, i), d in deltas(tab).items():
        assert close(d, float(expected.delta[j][0][i - 1])), (j, i)
    names = tab.eval_on_selector_all("text.name", "es => es.map(e => e.textContent)")
    assert names[-1].startswith("δ") and names[0].startswith("a")  # the inputs have no δ


def test_the_views_toggle_and_restore_the_weights(open_page):
    net = nncalc.load(SAMPLES / "backprop-2-2-2-1.yaml")
    tab = open_page(to_page(net))
    strokes = "es => es.map(e => [e.getAttribute('stroke'), e.getAttribute('stroke-width')])"
    before = tab.eval_on_selector_all("line[data-edge]", strokes)
    assert tab.get_attribute('[data-view="forward"]', "aria-pressed") == "true"
    tab.keyboard.press("b")
    assert tab.evaluate("document.documentElement.dataset.view") == "backward"
    assert tab.get_attribute('[data-view="backward"]', "aria-pressed") == "true"
    assert tab.text_content("text.meaning").startswith("∂J/∂Θ")
    assert tab.eval_on_selector_all("line[data-edge]", strokes) != before
    tab.click('[data-view="forward"]')
    assert tab.eval_on_selector_all("line[data-edge]", strokes) == before
    assert all(
        n.startswith("a")
        for n in tab.eval_on_selector_all("text.name", "es => es.map(e => e.textContent)")
    )


def test_no_matching_loss_no_backward_view(open_page):
    net = Network((Layer([[0.0, 1.0], [0.5, -1.0]], "tanh"),))
    html = to_page(net)
    tab = open_page(html)
    button = '[data-view="backward"]'
    assert tab.is_disabled(button)
    assert "the output layer's g is tanh, which has no matching loss" in tab.get_attribute(
        button, "title"
    )
    assert deltas(tab) == {}
    with pytest.raises(NNCalcError, match="no matching loss"):
        to_page(net, y=[1, 0])


def test_a_step_layer_at_zero_is_said_not_computed(open_page):
    net = Network((Layer([[0.0, 1.0]], "step"), Layer([[0.0, 1.0]], "sigmoid")))
    tab = open_page(to_page(net, [0.0], y=[1], backward=True))
    assert "where the step's derivative is not defined" in tab.text_content("#status")


def test_page_y_on_the_command_line(run):
    r = run("page", SAMPLES / "vehicles.yaml", "--y", "car", "--backward")
    assert r.code == 0, r.err
    assert 'data-label="2" value="1"' in r.out and '"view":"backward"' in r.out
    bad = run("page", SAMPLES / "vehicles.yaml", "--y", "bus")
    assert bad.code == 2 and "unknown class 'bus'" in bad.err
