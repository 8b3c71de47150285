"""`nncalc page`: one self-contained page, computed in a real browser as nncalc computes.

The browser tests drive Debian's chromium with Playwright; without either they skip.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import struct
import tempfile
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

import nncalc
from nncalc.activations import ACTIVATIONS, SWIGLU
from nncalc.network import Layer, Network
from nncalc.render import page as page_module
from nncalc.render import svg
from nncalc.render.explain import unit_lines
from nncalc.render.page import known, to_page

from conftest import SAMPLES

LECTURE = SAMPLES / "lecture-3-3-1.yaml"
EVERY = [*ACTIVATIONS, SWIGLU]


def close(got: float, want: float) -> bool:
    return abs(got - want) <= 1e-12 * (1 + abs(want))


def random_g(rng: np.random.Generator, name: str, units: int) -> str:
    """``name`` with random values of its parameters, each left at its default one time in
    four: a positive one (β) in 0.1–10, one absent by default (a threshold) in −5–30, any
    other (α) in ±2, one for each of the units half the time if it may be (PReLU's)."""
    values = {}
    for p in ACTIVATIONS[name].params:
        if rng.random() < 0.25:
            continue
        if p.per_unit and rng.random() < 0.5:
            values[p.name] = rng.uniform(-2, 2, size=units).tolist()
        elif p.positive:
            values[p.name] = float(np.exp(rng.uniform(np.log(0.1), np.log(10))))
        else:
            values[p.name] = float(rng.uniform(-5, 30) if p.default is None else rng.uniform(-2, 2))
    return ACTIVATIONS[name].with_params(**values).spec


def random_network(seed: int, activation: str) -> tuple[Network, np.ndarray]:
    """2–3 layers of 1–5 units, the first and last with ``activation`` and random parameters
    (the first a SwiGLU layer for 'swiglu'), weights of scale 0.1–3 and inputs up to ±1000."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 6, size=rng.integers(3, 5)).tolist()
    scale = rng.choice([0.1, 1.0, 3.0])
    layers = []
    for j, (n, s) in enumerate(pairwise(sizes)):
        theta = rng.normal(scale=scale, size=(s, n + 1))
        last = j == len(sizes) - 2
        g = activation if last or j == 0 else ["tanh", "relu", "sigmoid"][j % 3]
        if g != SWIGLU:
            layers.append(Layer(theta, random_g(rng, g, s)))
        elif j == 0:
            layers.append(Layer(theta, gate=rng.normal(size=theta.shape), beta=rng.uniform(0.5, 2)))
        else:
            layers.append(Layer(theta, "identity"))
    return Network(tuple(layers), name=f"random {activation} {seed}"), rng.uniform(
        -1000, 1000, size=sizes[0]
    )


# ---- The document itself ----


def test_same_network_same_bytes(run):
    net = nncalc.load(LECTURE)
    html = to_page(net)
    assert to_page(nncalc.load(LECTURE)) == html
    r = run("page", LECTURE)
    assert r.code == 0
    assert r.out == html


def test_csp_allows_only_the_inline_script_and_style_by_hash():
    html = to_page(nncalc.load(LECTURE))
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    script = re.search(r"<script>(.*?)</script>", html, re.DOTALL).group(1)
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL).group(1)

    def sha(text: str) -> str:
        return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert csp.startswith("default-src 'none'; ")
    assert f"script-src 'sha256-{sha(script)}';" in csp
    assert f"style-src 'sha256-{sha(style)}';" in csp
    assert "unsafe" not in csp
    assert "@media print" in style


def test_no_external_resource_anywhere():
    """Nothing that could load: no scheme, no protocol-relative URL, no src/href/url()."""
    for sample in sorted(SAMPLES.glob("*.yaml")):
        html = to_page(nncalc.load(sample))
        assert not re.search(r"(?i)\b(https?|ftp|wss?|data|blob):", html), sample
        assert not re.search(r"""["'(=]\s*//""", html), sample
        assert not re.search(r"(?i)\b(src|href|srcset|action|poster)\s*=|url\(|@import", html)


def test_names_cannot_close_the_script():
    evil = "</script><script>alert(1)</script><!--"
    net = nncalc.loads(
        "layers: [{theta: [[0, 1], [0, -1]], activation: softmax}]",
    )
    net = Network(net.layers, name=evil, classes=(evil, "a & b > c"))
    html = to_page(net)
    assert html.count("</script>") == 2  # the JSON's and the script's own
    assert "<!--" not in html
    blob = re.search(r'<script type="application/json" id="network">(.*?)</script>', html)
    data = json.loads(blob.group(1))
    assert data["name"] == evil
    assert data["classes"] == [evil, "a & b > c"]


def test_page_written_atomically_and_bad_outputs(run, tmp_path):
    out = tmp_path / "net.html"
    r = run("page", LECTURE, "-x", "66,39,12", "-o", out)
    assert r.code == 0
    assert 'data-input="1" value="66"' in out.read_text(encoding="utf-8")
    assert run("page", LECTURE, "-o", tmp_path / "net.svg").code == 2
    bad = run("page", LECTURE, "-x", "1,2")
    assert bad.code == 2
    assert "expected s_1 = 3" in bad.err


def test_an_activation_the_page_lacks_is_refused(run, monkeypatch):
    monkeypatch.setattr(page_module, "known", lambda: {"tanh": frozenset()})
    r = run("page", LECTURE)
    assert r.code == 2
    assert r.out == ""
    assert r.err.count("\n") == 1
    assert "cannot compute activation 'sigmoid'" in r.err


def test_a_layer_option_the_page_lacks_is_refused(monkeypatch):
    """A learned β the script did not read would be computed as β = 1: refused instead."""
    monkeypatch.setattr(page_module, "LAYER_FIELDS", frozenset({"theta", "activation", "gate"}))
    with pytest.raises(nncalc.NNCalcError, match="option 'beta'"):
        to_page(nncalc.load(SAMPLES / "swiglu.yaml"))


def test_a_parameter_the_page_lacks_is_refused(monkeypatch):
    """A parameter page.js does not read is refused unless it has its default value."""
    table = {**known(), "leaky_relu": frozenset()}
    monkeypatch.setattr(page_module, "known", lambda: table)
    to_page(nncalc.loads("layers: [{theta: [[0, 1]], activation: leaky_relu, alpha: 0.01}]"))
    with pytest.raises(nncalc.NNCalcError, match="leaky_relu with parameter 'alpha'"):
        to_page(nncalc.loads("layers: [{theta: [[0, 1]], activation: leaky_relu, alpha: 0.2}]"))


def test_the_page_computes_every_activation_of_nncalc():
    """page.js's table, as page.py reads it, has every activation nncalc has (and nothing
    else), each reading every parameter: a new one added to nncalc alone fails here."""
    assert known() == {
        **{name: frozenset(p.name for p in g.params) for name, g in ACTIVATIONS.items()},
        SWIGLU: frozenset(),
    }


def test_the_api_and_default_inputs():
    net = nncalc.loads("layers: [{theta: [[0.5, 1, 1]]}]")
    assert 'data-input="2" value="0"' in nncalc.to_page(net)  # no examples: zeros
    assert 'data-input="2" value="-2.5"' in nncalc.to_page(net, [1, -2.5])


# ---- In the browser ----


# Screens: width and height in device pixels, and the browser's zoom. At 175 % a
# 1280×720 window shows 731×411 CSS pixels, each 1.75 device pixels wide.
SCREEN = (1280, 720, 1.0)
ZOOMED = (1280, 720, 1.75)


@pytest.fixture
def open_page(browser, tmp_path):
    """open_page(html, screen=SCREEN) -> a Playwright page of the file, in a window of that
    size and zoom; on teardown, asserts that no request left the file and that nothing was
    logged as an error."""
    pages = []

    def _open(html: str, name: str = "page.html", screen: tuple = SCREEN):
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        width, height, zoom = screen
        tab = browser.new_context(
            viewport={"width": round(width / zoom), "height": round(height / zoom)},
            device_scale_factor=zoom,
        ).new_page()
        tab.outside, tab.errors = [], []
        tab.on("console", lambda m: m.type in ("error", "warning") and tab.errors.append(m.text))
        tab.on("pageerror", lambda e: tab.errors.append(str(e)))

        def route(r):
            if not r.request.url.startswith("file://"):
                tab.outside.append(r.request.url)
                r.abort()
            else:
                r.continue_()

        tab.route("**/*", route)
        tab.goto(path.as_uri())
        tab.wait_for_selector("html[data-ready]", state="attached")  # every weight field in
        pages.append(tab)
        return tab

    yield _open
    for tab in pages:
        assert tab.outside == []
        assert tab.errors == []
        tab.context.close()


def page_values(tab) -> dict[tuple[int, int], tuple[float, float | None]]:
    """(j, i) -> (a, z) from every unit's data-a and data-z."""
    rows = tab.eval_on_selector_all(
        "[data-layer][data-unit]",
        "es => es.map(e => [e.dataset.layer, e.dataset.unit, e.dataset.a, e.dataset.z])",
    )
    values = {}
    for j, i, a, z in rows:
        assert (int(j), int(i)) not in values  # one element per unit
        values[int(j), int(i)] = (float(a), None if z is None else float(z))
    return values


def assert_agrees(tab, trace) -> None:
    values = page_values(tab)
    net = trace.network
    assert len(values) == sum(net.sizes)
    for (j, i), (a, z) in values.items():
        assert close(a, float(trace.a[j][0][i - 1])), (j, i, a)
        if j > 1:
            assert close(z, float(trace.z[j][0][i - 1])), (j, i, z)
        else:
            assert z is None
    predicted = int(tab.text_content("[data-prediction]"))
    assert predicted == int(trace.predictions[0])


def assert_arithmetic(tab, trace) -> list[str]:
    """Each unit's arithmetic, as the page shows it on focus, is explain.unit_lines'."""
    net, shown = trace.network, []
    for j in range(2, net.L + 1):
        for i in range(1, net.sizes[j - 1] + 1):
            tab.focus(f'[data-layer="{j}"][data-unit="{i}"]')
            shown.append(tab.text_content("#arithmetic"))
            assert shown[-1] == "\n".join(unit_lines(trace, 0, j, i)), (net.name, j, i)
    return shown


@pytest.mark.parametrize("activation", EVERY)
def test_random_networks_agree_with_forward_json(activation, open_page, run, tmp_path):
    net, x = random_network(EVERY.index(activation), activation)
    path = tmp_path / "net.yaml"
    nncalc.save(net, path)
    r = run("forward", path, "-x", ",".join(map(repr, x.tolist())), "--json")
    layers = r.json()["examples"][0]["layers"]
    tab = open_page(to_page(net, x))
    values = page_values(tab)
    for layer in layers:
        j = layer["layer"]
        for i, a in enumerate(layer["a"], start=1):
            assert close(values[j, i][0], a), (activation, j, i)
        for i, z in enumerate(layer.get("z", []), start=1):
            assert close(values[j, i][1], z), (activation, j, i)
    assert_arithmetic(tab, net.forward(x))


@pytest.mark.parametrize("activation", EVERY)
def test_edited_inputs_and_weights_recompute(activation, open_page):
    net, x = random_network(100 + len(activation), activation)
    tab = open_page(to_page(net, x))
    rng = np.random.default_rng(7)
    x = rng.uniform(-1000, 1000, size=net.sizes[0])
    for i, v in enumerate(x.tolist(), start=1):
        tab.fill(f'[data-input="{i}"]', repr(v))
    thetas = [layer.theta.copy() for layer in net.layers]
    for j, theta in enumerate(thetas, start=1):
        i, m = rng.integers(theta.shape[0]), rng.integers(theta.shape[1])
        theta[i, m] = rng.normal(scale=2)
        tab.fill(f'[data-theta="{j},{i + 1},{m}"]', repr(float(theta[i, m])))
    edited = Network(
        tuple(
            Layer(t, gate=layer.gate, beta=layer.beta)
            if layer.gate is not None
            else Layer(t, layer.activation)
            for t, layer in zip(thetas, net.layers, strict=True)
        )
    )
    assert_agrees(tab, edited.forward(x))


FAR = [0.0, 1e-8, 1.0, 2.5, 3.0, 6.0, 20.0, 40.0, 64.0, 710.0, 1000.0, 1e5, 1e10, 1e300]


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_every_activation_far_out(activation, open_page):
    """g(z) for z = ±0 … ±1e300 (z = x, through Θ = [0 | I]), random parameters: no
    overflow, no NaN, and nncalc's value to 1e-12 of (1 + |value|)."""
    x = np.array([v for f in FAR for v in (f, -f)])
    g = random_g(np.random.default_rng(len(activation)), activation, len(x))
    eye = np.hstack([np.zeros((len(x), 1)), np.eye(len(x))])
    net = Network((Layer(eye, g),))
    tab = open_page(to_page(net, x))
    assert_agrees(tab, net.forward(x))


def test_a_field_that_is_not_a_number_is_flagged_not_computed(open_page):
    tab = open_page(to_page(nncalc.load(LECTURE)))
    before = page_values(tab)
    tab.fill('[data-input="2"]', "2..5")
    assert tab.get_attribute('[data-input="2"]', "aria-invalid") == "true"
    assert "not a number: x_2" in tab.text_content("#status")
    assert page_values(tab) == before
    tab.fill('[data-input="2"]', "−5")  # a true minus sign is read as one
    assert_agrees(tab, nncalc.load(LECTURE).forward([1, -5, 3]))


PARAMETERS = """
layers:
  - {theta: [[0.5, 1, -1], [-0.5, 2, 0.5]], activation: leaky_relu, alpha: 0.2}
  - {theta: [[0, 1, 1], [1, -1, 2]], activation: softplus, beta: 2, threshold: 20}
  - {theta: [[0, 1, -1], [0.5, 1, 1]], activation: log_softmax}
"""


def test_unit_arithmetic_is_explain_s(open_page):
    """Every unit's arithmetic, as the page shows it on focus, is --explain's, saturated
    values (1 − 9.5e-19), softmax, SwiGLU, parameters and elided long sums included."""
    big = nncalc.Network.from_thetas(
        np.linspace(-3, 3, 4 * 11).reshape(4, 11), np.arange(-2, 3).reshape(1, 5), activation="tanh"
    )
    cases = [
        (nncalc.load(SAMPLES / "slide-neuron.yaml"), None),
        (nncalc.load(SAMPLES / "relu-softmax.yaml"), None),
        (nncalc.load(SAMPLES / "swiglu.yaml"), None),
        (big, np.arange(10) * 7.0),
        (nncalc.load(LECTURE), [-800, 300, 1e-5]),
        (nncalc.loads(PARAMETERS), [3, -4]),
        (nncalc.Network.from_thetas([[0.1, 0.5, -0.6]], activation="identity"), [1, 1]),
    ]
    shown = []
    for net, x in cases:
        tab = open_page(to_page(net, x))
        shown += assert_arithmetic(tab, net.forward(net.inputs[0] if x is None else x))
    assert shown[0].endswith("= σ(41.5) = 1 − 9.5e-19")
    assert any("more terms) …" in text for text in shown)
    every = "\n".join(shown)
    assert "LeakyReLU_(α=0.2)(" in every and "softplus_(β=2, t=20)(" in every
    assert "LogSoftmax(z^(4))_2 = " in every
    assert "Θ_1,10^(1)·a_10^(1)" in every  # 11 columns: the indices are split by a comma
    assert " − " in shown[0]  # −2·66 is subtracted: σ(−0.5·1 − 2·66 + …)
    assert shown[-1].endswith("= id(2.77556e-17) = 2.77556e-17")  # 0.1 + 0.5 − 0.6, exactly


def test_keyboard_and_clicks_reach_units_and_weights(open_page):
    tab = open_page(to_page(nncalc.load(LECTURE)))
    for _ in range(3 + 1 + 2 + 3):  # past x_1 … x_3, y_1, the two views and the input units
        tab.keyboard.press("Tab")
    tab.keyboard.press("Tab")
    focused = tab.evaluate("(e => [e.dataset.layer, e.dataset.unit])(document.activeElement)")
    assert focused == ["2", "1"]
    assert tab.text_content("#arithmetic").startswith("a_1^(2) = g(")
    tab.keyboard.press("Enter")  # to the unit's weights: its bias Θ_10^(1)
    assert tab.evaluate("document.activeElement.dataset.theta") == "1,1,0"
    tab.keyboard.press("Enter")  # in a field of the table's <form>: nothing is submitted
    assert tab.evaluate("document.activeElement.dataset.theta") == "1,1,0"
    tab.click('line[data-edge="2,1,3"]', force=True)
    assert tab.evaluate("document.activeElement.dataset.theta") == "2,1,3"
    assert tab.text_content("#arithmetic").startswith("a_1^(3) = g(")


def test_wide_layers_elided_but_every_unit_and_weight_present(open_page):
    rng = np.random.default_rng(3)
    net = Network.from_thetas(
        rng.normal(size=(40, 31)), rng.normal(size=(3, 41)), activation="relu"
    )
    net = Network(net.layers, classes=("cat", "dog", "emu"))
    x = rng.normal(size=30)
    tab = open_page(to_page(net, x))
    assert tab.locator("svg g[data-unit]").count() == 11 + 11 + 3
    assert tab.locator("input[data-theta]").count() == 40 * 31 + 3 * 41
    assert_agrees(tab, net.forward(x))
    trace = net.forward(x)
    assert tab.text_content("#class") == f" ({net.classes[trace.predictions[0] - 1]})"
    assert "classes: 1 = cat, 2 = dog, 3 = emu" in tab.text_content(".result")


def test_an_unknown_activation_is_refused_in_the_page(open_page):
    html = to_page(nncalc.load(LECTURE)).replace('"activation":"sigmoid"', '"activation":"sinc"')
    tab = open_page(html)
    assert tab.is_visible("#refusal")
    assert "'sinc' is not in the page's table" in tab.text_content("#refusal")
    assert tab.eval_on_selector_all("[data-a]", "es => es.length") == 0
    assert tab.is_disabled('[data-input="1"]')


def test_the_table_page_py_reads_is_the_one_the_page_runs(open_page):
    tab = open_page(to_page(nncalc.load(LECTURE)))
    table = tab.evaluate("window.nncalcPage.activations")
    assert {name: frozenset(params) for name, params in table.items()} == {
        name: params for name, params in known().items() if name != SWIGLU
    }


def test_erfc_against_math_erfc(open_page):
    """The page's erfc, through GELU's Φ, against math.erfc over a wide range."""
    xs = np.concatenate([np.linspace(-30, 30, 3001), np.geomspace(1e-300, 27, 400)])
    xs = np.concatenate([xs, -xs])
    tab = open_page(to_page(nncalc.loads("layers: [{theta: [[0, 1]], activation: gelu}]")))
    got = tab.evaluate("xs => xs.map(window.nncalcPage.erfc)", xs.tolist())
    for x, g in zip(xs.tolist(), got, strict=True):
        want = math.erfc(x)
        assert abs(g - want) <= 1e-15 * want, (x, g, want)


def screenshot(tab, path: Path) -> None:
    tab.set_viewport_size({"width": 1000, "height": 800})
    tab.focus('[data-layer="2"][data-unit="1"]')
    tab.screenshot(path=str(path), full_page=True)


def test_screenshot_of_the_lecture_network(open_page, tmp_path):
    """The README's picture (docs/page.png is this screenshot, with x = 66, 39, 12)."""
    tab = open_page(to_page(nncalc.load(LECTURE), [66, 39, 12]))
    out = tmp_path / "page.png"
    screenshot(tab, out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "= 1 − 1.5e-41" in tab.text_content("#arithmetic")  # σ(94), honestly


def test_the_page_opens_with_the_exact_digits(open_page):
    """z_1^(2) = −0.3 + 0.1 + 0.2 is 2^−55; float64 in the browser (products first, then
    the bias) computes 2^−54, and z_1^(3) = 2^60·z_1^(2) − 100 as −36 instead of −68. The
    page opens with nncalc's digits (those of the exact values), as --explain prints them."""
    net = nncalc.Network.from_thetas([[-0.3, 0.1, 0.2]], [[-100.0, 2.0**60]], activation="identity")
    tab = open_page(to_page(net, [1.0, 1.0]))
    assert tab.text_content("#output").endswith("=[−68]")  # h_Θ(x) = a^(3) = [−68], in MathML
    assert_arithmetic(tab, net.forward([1.0, 1.0]))
    assert float(tab.get_attribute('[data-layer="3"][data-unit="1"]', "data-z")) == -36.0


def test_an_edited_weight_is_drawn_as_draw_draws_it(open_page):
    """Its line changes colour, dashes and width (and its layer's others their width), as
    svg.stroke draws the edited network."""
    net = nncalc.load(LECTURE)
    tab = open_page(to_page(net))
    tab.fill('[data-theta="1,2,1"]', "-6")  # now the largest |weight| of Θ^(1), and negative
    theta = net.theta(1).copy()
    theta[1, 1] = -6
    for i in range(1, 4):
        for m in range(4):
            line = tab.locator(f'line[data-edge="1,{i},{m}"]')
            colour, width, dashes = svg.stroke(theta[i - 1, m], 6.0, svg.STYLES["screen"])
            assert line.get_attribute("stroke") == colour
            assert abs(float(line.get_attribute("stroke-width")) - width) <= 0.005
            got = line.get_attribute("stroke-dasharray")
            assert (got is None) == (dashes is None)
            if dashes:
                pairs = zip(got.split(), dashes.split(), strict=True)
                assert all(abs(float(a) - float(b)) <= 0.06 for a, b in pairs), (got, dashes)


# ---- The page, projected: presentation mode, editing in place, MathML ----

# The lecture's networks, each with the example shown.
PROJECTED = {
    "logic-xnor": [1, 0],
    "lecture-3-3-1": [66, 39, 12],
    "vehicles": [1.2, 2.1, 2],
    "slide-neuron": [66, 39, 12],
}

BOX = """const box = (e) => {
  const b = (typeof e === "string" ? document.querySelector(e) : e).getBoundingClientRect();
  return [b.left, b.top, b.right, b.bottom];
};"""

GEOMETRY = f"""() => {{
  {BOX}
  const svg = document.querySelector("figure.diagram svg");
  const scale = svg.getScreenCTM().a;
  const all = (selector) => [...svg.querySelectorAll(selector)];
  const unit = (e) => Number(e.closest("g").dataset.unit);
  return {{
    window: [innerWidth, innerHeight, scrollX, scrollY],
    svg: box(svg),
    units: all("g[data-unit] circle.unit").map(box),
    texts: all("text").map(box),
    values: all("text.value").map((t) => Number(t.getAttribute("font-size")) * scale),
    output: box("#output"),
    prediction: box(".prediction"),
    ringed: all("circle.ring").filter((c) => c.getAttribute("visibility") === "visible").map(unit),
    highlighted: all("g.predicted").map(unit),
  }};
}}"""


def inside(box, outer, slack=0.5) -> bool:
    left, top, right, bottom = outer
    return (
        box[0] >= left - slack
        and box[1] >= top - slack
        and box[2] <= right + slack
        and box[3] <= bottom + slack
    )


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def presented(open_page, name: str, screen: tuple, toggled: bool):
    """The page of a sample in presentation mode: made with present=True (--present), or
    switched to by its toggle."""
    net = nncalc.load(SAMPLES / f"{name}.yaml")
    tab = open_page(to_page(net, PROJECTED[name], present=not toggled), screen=screen)
    if toggled:
        assert tab.get_attribute("html", "data-mode") == "page"
        tab.click("#present-toggle")
    assert tab.get_attribute("html", "data-mode") == "present"
    assert tab.get_attribute("#present-toggle", "aria-pressed") == "true"
    return net, tab


# Each network at 1280×720 and at 175 %, made with --present; two switched by the toggle.
FITS = [(name, screen, False) for name in PROJECTED for screen in (SCREEN, ZOOMED)]
FITS += [("vehicles", ZOOMED, True), ("logic-xnor", SCREEN, True)]


@pytest.mark.parametrize(
    ("name", "screen", "toggled"),
    FITS,
    ids=[f"{n}-{'175%' if s[2] > 1 else '1280x720'}{'-toggled' * t}" for n, s, t in FITS],
)
def test_presented_the_diagram_h_and_the_prediction_fit_together(open_page, name, screen, toggled):
    """At 1280×720, and zoomed to 175 %: the whole diagram, h_Θ(x) and the prediction in
    the window at once, without scrolling, one above the other; every unit's value at
    least 14 px; the predicted unit (of several) ringed and highlighted."""
    net, tab = presented(open_page, name, screen, toggled)
    g = tab.evaluate(GEOMETRY)
    width, height, scroll_x, scroll_y = g["window"]
    window = [0, 0, width, height]
    assert (scroll_x, scroll_y) == (0, 0)
    for part in ("svg", "output", "prediction"):
        assert inside(g[part], window), (part, g[part], window)
    assert g["svg"][3] <= g["output"][1] + 0.5  # h_Θ(x) under the diagram, not over it
    assert all(inside(unit, g["svg"]) for unit in g["units"])
    assert all(inside(text, g["svg"]) for text in g["texts"])
    assert len(g["values"]) == sum(net.sizes) and min(g["values"]) >= 14
    predicted = [int(net.forward(PROJECTED[name]).predictions[0])] if net.sizes[-1] > 1 else []
    assert g["ringed"] == g["highlighted"] == predicted


def test_the_presentation_toggle_and_its_key(open_page):
    net = nncalc.load(SAMPLES / "vehicles.yaml")
    tab = open_page(to_page(net, PROJECTED["vehicles"]))
    normal = tab.evaluate(GEOMETRY)["values"]
    assert max(normal) < 14  # as drawn: the page's own size
    tab.keyboard.press("p")
    assert tab.get_attribute("html", "data-mode") == "present"
    assert min(tab.evaluate(GEOMETRY)["values"]) >= 14
    tab.focus('[data-input="1"]')
    tab.keyboard.press("p")  # typed into a field: not a toggle
    assert tab.get_attribute("html", "data-mode") == "present"
    tab.click("#present-toggle")
    assert tab.get_attribute("html", "data-mode") == "page"
    assert tab.evaluate(GEOMETRY)["values"] == normal


def test_the_prediction_moves_its_ring(open_page):
    net = nncalc.load(SAMPLES / "vehicles.yaml")
    tab = open_page(to_page(net, [1.2, 2.1, 2], present=True))
    for x in net.inputs:
        for i, v in enumerate(x, start=1):
            tab.fill(f'fieldset.x [data-input="{i}"]', repr(float(v)))
        k = int(net.forward(x).predictions[0])
        g = tab.evaluate(GEOMETRY)
        assert g["ringed"] == g["highlighted"] == [k]
        assert tab.text_content("[data-prediction]") == str(k)


EDITOR = f"""() => {{
  {BOX}
  const e = document.querySelector("#editor");
  const focused = document.activeElement.dataset;
  return {{
    hidden: e.hidden,
    box: box(e),
    fields: [...e.querySelectorAll("input")].map((f) => f.dataset.theta ?? `x${{f.dataset.input}}`),
    focused: focused.theta ?? focused.input,
  }};
}}"""


@pytest.mark.parametrize(
    ("present", "screen"),
    [(False, SCREEN), (True, SCREEN), (True, ZOOMED)],
    ids=["page-1280x720", "present-1280x720", "present-175%"],
)
def test_editing_in_place_beside_the_unit(open_page, present, screen):
    """Clicking a unit opens its row of Θ beside it (an input unit: its x_i), in the window,
    over no part of the unit; an edited weight recomputes everything, its table's field
    too, and scrolls nothing; clicking an edge opens its weight; Escape closes."""
    net = nncalc.load(SAMPLES / "vehicles.yaml")
    x = [1.2, 2.1, 2]
    tab = open_page(to_page(net, x, present=present), screen=screen)
    before = tab.evaluate(GEOMETRY)
    assert tab.evaluate(EDITOR)["hidden"]
    tab.click('g[data-layer="3"][data-unit="2"]')
    e = tab.evaluate(EDITOR)
    assert not e["hidden"]
    assert e["fields"] == ["2,2,0", "2,2,1", "2,2,2", "2,2,3"] and e["focused"] == "2,2,0"
    unit = tab.evaluate(f'() => {{ {BOX} return box(\'g[data-layer="3"][data-unit="2"]\'); }}')
    width, height = before["window"][:2]
    assert inside(e["box"], [0, 0, width, height])
    assert not overlap(e["box"], unit)
    tab.keyboard.press("Control+a")
    tab.keyboard.type("-9")  # Θ_20^(2), typed as a user types it
    theta = net.theta(2).copy()
    theta[1, 0] = -9
    edited = Network((net.layers[0], Layer(theta, net.layers[1].activation)))
    assert_agrees(tab, edited.forward(x))
    assert tab.input_value('#thetas [data-theta="2,2,0"]') == "-9"
    after = tab.evaluate(GEOMETRY)
    assert after["window"] == before["window"] and after["svg"] == before["svg"]
    tab.keyboard.press("Escape")
    assert tab.evaluate(EDITOR)["hidden"]
    assert tab.evaluate("document.activeElement.dataset.unit") == "2"
    tab.click('line[data-edge="2,4,2"]', force=True)
    assert tab.evaluate(EDITOR)["focused"] == "2,4,2"
    tab.click('g[data-layer="1"][data-unit="3"]')  # an input unit: its x_3
    assert tab.evaluate(EDITOR)["fields"] == ["x3"]
    tab.keyboard.press("Control+a")
    tab.keyboard.type("5")
    tab.keyboard.press("Enter")  # the editor is a <form> of one field: nothing is submitted
    assert tab.input_value('fieldset.x [data-input="3"]') == "5"
    assert_agrees(tab, edited.forward([1.2, 2.1, 5]))


def test_formulas_are_mathml(open_page):
    """The derivation, h_Θ(x), the editor and the headings are MathML, laid out by the
    browser itself (no script or font fetched), with no ASCII _ or ^ left; the text of
    --explain stays beside them."""
    net = nncalc.load(SAMPLES / "slide-neuron.yaml")
    tab = open_page(to_page(net))
    tab.focus('[data-layer="2"][data-unit="1"]')
    tab.click('g[data-layer="2"][data-unit="1"]')
    found = tab.evaluate("""() => {
      const ns = document.querySelector("#derivation math").namespaceURI;
      const shown = (s) => [...document.querySelectorAll(s)].map((m) =>
        [m.namespaceURI === ns, m.getBoundingClientRect().width > 0, m.textContent]);
      return {
        ns,
        derivation: shown("#derivation math"),
        output: shown("#output math"),
        editor: shown("#editor math"),
        headings: shown("h2 math, summary math, fieldset math"),
        sub: [...document.querySelectorAll("#derivation msubsup")].map((m) => m.textContent),
      };
    }""")
    assert found["ns"] == "http://www.w3.org/1998/Math/MathML"
    for part in ("derivation", "output", "editor", "headings"):
        assert found[part], part
        for native, laid_out, text in found[part]:
            assert native and laid_out
            assert "_" not in text and "^" not in text, text
    assert "Θ1\u20630(1)" in found["sub"]  # Θ_10^(1): indices 1 and 0, layer (1)
    assert tab.text_content("#arithmetic").startswith("a_1^(2) = g(Θ_10^(1)·a_0^(1)")


# The README's pictures of the page presented: docs/NAME is the screenshot of the page
# of the sample with x, presented in a window of that screen, with that unit clicked (its
# editor open). `python tests/test_page.py` writes them, and docs/page.png.
PICTURES = {
    "page-present-1280x720.png": ("vehicles", SCREEN, 'g[data-layer="3"][data-unit="2"]'),
    "page-present-175.png": ("logic-xnor", ZOOMED, None),
}


def picture(open_page, name: str, path: Path):
    sample, screen, click = PICTURES[name]
    net = nncalc.load(SAMPLES / f"{sample}.yaml")
    tab = open_page(to_page(net, PROJECTED[sample], present=True), screen=screen)
    if click:
        tab.click(click)
    tab.screenshot(path=str(path))
    return screen


@pytest.mark.parametrize("name", PICTURES)
def test_the_readme_s_pictures_of_the_page_presented(open_page, tmp_path, name):
    width, height, _ = picture(open_page, name, tmp_path / name)
    png = (tmp_path / name).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    shown = struct.unpack(">II", png[16:24])  # the whole window (to a pixel, zoomed)
    assert abs(shown[0] - width) <= 1 and abs(shown[1] - height) <= 1


def _pictures(folder: Path) -> None:
    """Write the README's pictures of the page into folder."""
    from playwright.sync_api import sync_playwright

    from conftest import ARGS, CHROMIUM

    with sync_playwright() as p, tempfile.TemporaryDirectory() as tmp:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)

        def open_page(html: str, screen: tuple = SCREEN):
            width, height, zoom = screen
            path = Path(tmp) / "page.html"
            path.write_text(html, encoding="utf-8")
            size = {"width": round(width / zoom), "height": round(height / zoom)}
            tab = browser.new_context(viewport=size, device_scale_factor=zoom).new_page()
            tab.goto(path.as_uri())
            tab.wait_for_selector("html[data-ready]", state="attached")
            return tab

        screenshot(open_page(to_page(nncalc.load(LECTURE), [66, 39, 12])), folder / "page.png")
        for name in PICTURES:
            picture(open_page, name, folder / name)
            print(f"wrote {folder / name}")
        browser.close()


if __name__ == "__main__":
    _pictures(SAMPLES.parent / "docs")
