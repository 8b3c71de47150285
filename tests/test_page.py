"""`nncalc page`: one self-contained page, computed in a real browser as nncalc computes.

The browser tests drive Debian's chromium with Playwright; without either they skip.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import shutil
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

import nncalc
from nncalc.activations import ACTIVATIONS, SWIGLU
from nncalc.network import Layer, Network
from nncalc.render import page as page_module
from nncalc.render.explain import unit_lines
from nncalc.render.page import known, to_page

from conftest import SAMPLES

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LECTURE = SAMPLES / "lecture-3-3-1.yaml"
EVERY = [*ACTIVATIONS, SWIGLU]


def close(got: float, want: float) -> bool:
    return abs(got - want) <= 1e-12 * (1 + abs(want))


def random_g(rng: np.random.Generator, name: str) -> str:
    """``name`` with random values of its parameters, each left at its default one time in
    four: a positive one (β) in 0.1–10, one absent by default (a threshold) in −5–30, any
    other (α) in ±2."""
    values = {}
    for p in ACTIVATIONS[name].params:
        if rng.random() < 0.25:
            continue
        if p.positive:
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
            layers.append(Layer(theta, random_g(rng, g)))
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


@pytest.fixture(scope="module")
def browser():
    sync = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    if not executable:
        pytest.skip(f"no chromium at {CHROMIUM} or on PATH (Debian's chromium package)")
    with sync.sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser, tmp_path):
    """open_page(html) -> a Playwright page of the file; on teardown, asserts that no request
    left the file and that nothing was logged as an error."""
    pages = []

    def _open(html: str, name: str = "page.html"):
        path = tmp_path / name
        path.write_text(html, encoding="utf-8")
        tab = browser.new_page()
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
        tab.close()


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
    g = random_g(np.random.default_rng(len(activation)), activation)
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
    for _ in range(3 + 3):  # past x_1 … x_3 and the input units
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
    assert tab.text_content("#output") == "h_Θ(x) = a^(3) = [−68]"
    assert_arithmetic(tab, net.forward([1.0, 1.0]))
    assert float(tab.get_attribute('[data-layer="3"][data-unit="1"]', "data-z")) == -36.0
