"""One self-contained interactive HTML page of a network: the diagram of ``draw`` with every
a_i^(j), x and every Θ^(j) editable, each unit's arithmetic as ``--explain`` writes it.

The page computes in the browser, in float64, with the formulas of nncalc/activations.py
(page.js); its style is page.css. It loads nothing: its Content-Security-Policy allows
only its own inline script and style, by hash. The same network and x give the same bytes.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hashlib
import json
import re
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

from nncalc.activations import SWIGLU, Activation, over_layer
from nncalc.backprop import G_ULPS
from nncalc.derivatives import NODES, ROOTS, WEIGHTS
from nncalc.errors import NNCalcError
from nncalc.network import Layer, Network, Trace
from nncalc.params import of_network
from nncalc.render import digits, escape, svg
from nncalc.render.explain import MAX_TERMS
from nncalc.render.forward import g_symbol
from nncalc.summary import unit_symbol

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

PRECISION = 6
"""Significant digits of each unit's arithmetic, as ``forward --explain``."""
SHOWN = 3
"""Significant digits of the values in the diagram, as ``nncalc draw``."""

LAYER_FIELDS = frozenset({"theta", "activation", "gate", "beta"})
"""The Layer fields page.js reads; a layer using any other option is refused."""


@functools.cache
def asset(name: str) -> str:
    """page.js or page.css, the package files."""
    return resources.files("nncalc.render").joinpath(name).read_text(encoding="utf-8")


@functools.cache
def known() -> dict[str, frozenset[str]]:
    """The activations page.js computes, each with the parameters it reads: the entries of
    its table G (`name: { params: ["alpha"], ...`), and SwiGLU (whose β is a layer field)."""
    script = asset("page.js")
    start = script.index("const G = {")
    table = script[start : script.index("\n  };", start)]
    entries = re.findall(r"^    (\w+): \{ (?:params: \[([^\]]*)\])?", table, re.MULTILINE)
    names = {name: frozenset(re.findall(r'"(\w+)"', params)) for name, params in entries}
    return {**names, SWIGLU: frozenset()}


def to_page(
    network: Network,
    x: ArrayLike | None = None,
    present: bool = False,
    y: ArrayLike | None = None,
    backward: bool = False,
) -> str:
    """The HTML page of the network, with x (default: its first example, or zeros) and the
    label y (default: e_1) entered; ``present``: opened in presentation mode, ``backward``
    in the backward view (δ and ∂J/∂Θ for y), both toggles on the page."""
    _check(network)
    loss = _loss(network)
    y = _label(network, y, loss)
    if x is None:
        first = network.inputs is not None and len(network.inputs)
        x = network.inputs[0] if first else np.zeros(network.sizes[0])
    x = network.batch(x)[0]
    trace = network.forward(x)
    script, style = asset("page.js"), asset("page.css")
    name = escape.html(network.name or "network")
    return TEMPLATE.format(
        csp=f"default-src 'none'; script-src {_hash(script)}; style-src {_hash(style)}; "
        "base-uri 'none'; form-action 'none'",
        mode="present" if present else "page",
        paren=_TIGHT.format("("),
        closing=_TIGHT.format(")"),
        pressed=str(present).lower(),
        name=name,
        summary=escape.html(_summary(network)),
        inputs="\n".join(
            f"<label><math><msub><mi>x</mi><mn>{i}</mn></msub></math> "
            f'<input data-input="{i}" value="{_number(v)}" inputmode="decimal" '
            f'aria-label="x_{i}"></label>'
            for i, v in enumerate(x.tolist(), start=1)
        ),
        diagram=svg.draw(network, trace, inline=True).rstrip("\n"),
        more=_more(network),
        outputs=network.sizes[-1],
        classes=_classes(network),
        labels="\n".join(
            f"<label><math><msub><mi>y</mi><mn>{i}</mn></msub></math> "
            f'<input data-label="{i}" value="{_number(v)}" inputmode="decimal" '
            f'aria-label="y_{i}"></label>'
            for i, v in enumerate(y, start=1)
        ),
        backward_title=escape.html(loss.get("refusal", "δ and ∂J/∂Θ for the label y")),
        backward_disabled=" disabled" if "refusal" in loss else "",
        forward_pressed=str(not backward).lower(),
        backward_pressed=str(backward).lower(),
        data=_json(network, x, trace, y, loss, "backward" if backward else "forward"),
        style=style,
        script=script,
    )


def _loss(network: Network) -> dict:
    """The output g's matching loss for page.js, or why there is none (cost.matching)."""
    from nncalc.cost import matching

    try:
        found = matching(network)
    except NNCalcError as e:
        return {"refusal": f"No backward view: {e.problems[0].message}"}
    return {"name": found.name, "output": found.output, "title": found.title}


def _label(network: Network, y: ArrayLike | None, loss: dict) -> list[float]:
    """y as K numbers, checked as the loss takes it (default: e_1)."""
    K = network.sizes[-1]
    if y is None:
        return [1.0] + [0.0] * (K - 1)
    from nncalc.cost import LOSSES, targets

    if "refusal" in loss:
        raise NNCalcError.at(loss["refusal"].removeprefix("No backward view: "))
    return targets(network, y, LOSSES[loss["output"]])[0].tolist()


def _check(network: Network) -> None:
    """Refuse a network the page would compute wrong (see _lacks)."""
    for j, layer in enumerate(network.layers, start=2):
        lacks = _lacks(layer)
        if lacks:
            raise NNCalcError.at(
                f"layer {j}: the page cannot compute {lacks} yet",
                network.source,
                hint="nncalc forward computes it; the page knows " + ", ".join(sorted(known())),
            )


def _lacks(layer: Layer) -> str | None:
    """What of the layer page.js lacks: its activation, a parameter value other than the
    default, or a layer option; None when the page computes it all."""
    name = SWIGLU if layer.g is None else layer.g.name
    if name not in known():
        return f"activation '{name}'"
    for key, _ in () if layer.g is None else layer.g.values:
        if key not in known()[name]:
            return f"{name} with parameter '{key}'"
    for field in dataclasses.fields(Layer):
        if field.name not in LAYER_FIELDS and getattr(layer, field.name) != field.default:
            return f"the option '{field.name}'"
    return None


def _summary(network: Network) -> str:
    sizes = "-".join(map(str, network.sizes))
    g = ", ".join(g_symbol(a) for a in network.activations)
    return f"{network.L} layers ({sizes}), g = {g}, {of_network(network).total:,} parameters."


def _classes(network: Network) -> str:
    """The output units' class names, when the network has them."""
    if not network.classes:
        return ""
    names = ", ".join(f"{i} = {escape.html(c)}" for i, c in enumerate(network.classes, start=1))
    return f'<span class="classes"><br>classes: {names}</span>'


def _more(network: Network) -> str:
    """Every unit the diagram leaves out, in a <details> per layer (the page fills in a_i^(j))."""
    blocks = []
    for j, s in enumerate(network.sizes, start=1):
        drawn = set(svg.shown(s))
        hidden = [i for i in range(1, s + 1) if i not in drawn]
        if not hidden:
            continue
        items = "".join(
            f'<li data-layer="{j}" data-unit="{i}" tabindex="0">{svg.label(j, i)} = '
            '<span class="value"></span></li>'
            for i in hidden
        )
        blocks.append(
            f'<details class="more"><summary>layer {j}: the {len(hidden)} units the diagram '
            f"leaves out</summary><ul>{items}</ul></details>"
        )
    return "\n".join(blocks)


def _shown(trace: Trace) -> dict[str, list[dict[str, list]]]:
    """What the page shows before any edit, as --explain and draw show it (digits of the
    exact values, nncalc.render.digits): per precision, per layer j = 2 … L, each unit's
    z, a and gate u with their footnotes ("" for none)."""
    out = {}
    for p in (SHOWN, PRECISION):
        layers = []
        for units in digits.example(trace, 0, p).values():
            layers.append(
                {
                    key: [getattr(u, key) or "" for u in units]
                    for key in ("z", "z_note", "a", "a_note", "u", "u_note")
                }
            )
        out[str(p)] = layers
    return out


def _back_shown(trace: Trace, y: list[float], loss: dict) -> dict | None:
    """What the backward view shows before any edit, as nncalc backward shows it (the
    digits its bounds leave certain, nncalc.render.backward): per precision, per layer
    j = 2 … L, each unit's δ, δ_gate, the ε sent back, g′, Swish and its slope, and the
    footnote after δ's symbol ("" for none); with J and p (after a log_softmax)."""
    if "refusal" in loss:
        return None
    from nncalc.render import backward as shown
    from nncalc.render.cost import J_text

    try:
        grads = trace.network.backward(trace.a[1], [y])
    except NNCalcError:  # the page says why (a step at 0, an overflow) as it computes
        return None
    out = {}
    for p in (SHOWN, PRECISION):
        layers = []
        for j in range(2, trace.network.L + 1):
            texts = {"delta": shown.delta_shown(grads, j, 0, p)}
            if j < trace.network.L:
                texts["sent"] = shown.sent_shown(grads, j, 0, p)
                if j in grads.delta_gate:
                    texts["gate"] = shown.delta_shown(grads, j, 0, p, gate=True)
                    texts["swish"], texts["slope"] = shown.gate_shown(grads, j, 0, p)
                elif not over_layer(trace.network.layers[j - 2].activation):
                    texts["prime"] = shown.prime_shown(grads, j, 0, p)
            layer = {key: [text for text, _ in values] for key, values in texts.items()}
            layer["note"] = [  # after δ_i^(j), which the page typesets itself
                (n or "").removeprefix(f"* δ_{i}^({j})")
                for i, n in enumerate(shown.notes(grads, j, 0, p), start=1)
            ]
            layers.append(layer)
        p_texts = shown.p_shown(grads, 0, p) if loss["output"] == "log_softmax" else []
        out[str(p)] = {
            "layers": layers,
            "J": J_text(grads.cost, p),
            "p": [text for text, _ in p_texts],
        }
    return out


def _json(
    network: Network, x: np.ndarray, trace: Trace, y: list[float], loss: dict, view: str
) -> str:
    """The network for page.js, safe inside <script>: '<', '>' and '&' escaped as \\u00XX."""
    data = {
        "shown": _shown(trace),
        "backShown": _back_shown(trace, y, loss),
        "y": y,
        "loss": loss,
        "view": view,
        "gUlps": G_ULPS,
        "derivatives": {
            "roots": {name: [c.hi, c.lo, c.radius] for name, c in ROOTS.items()},
            "nodes": NODES.tolist(),
            "weights": WEIGHTS.tolist(),
        },
        "name": network.name,
        "sizes": network.sizes,
        "classes": list(network.classes) if network.classes else None,
        "x": x.tolist(),
        "precision": PRECISION,
        "maxTerms": MAX_TERMS,
        "drawing": _drawing(),
        "layers": [
            {
                "activation": SWIGLU if layer.g is None else layer.g.name,
                "params": {} if layer.g is None else _params(layer.g),
                "layerwise": over_layer(layer.activation),
                "symbols": [unit_symbol(layer.activation, i + 1) for i in range(layer.units)],
                "theta": layer.theta.tolist(),
                "gate": None if layer.gate is None else layer.gate.tolist(),
                "beta": layer.beta,
            }
            for layer in network.layers
        ],
    }
    text = escape.json(json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _drawing() -> dict:
    """What page.js needs of svg.py's drawing: how an edited weight's line is drawn (as
    svg.stroke draws it, in the screen style), and the sizes and widths of text."""
    ink = svg.STYLES["screen"]
    return {
        "colours": [ink.positive, ink.negative],
        "thinnest": ink.thinnest,
        "widest": svg.WIDEST,
        "dash": svg.DASH,
        "em": svg.EM,
        "bold": svg.BOLD,
        "valueSize": svg.VALUE_SIZE,
    }


def _params(g: Activation) -> dict[str, float | None]:
    """Every parameter of g with its value here, the defaults included (None: absent)."""
    return {p.name: g.value(p.name) for p in g.params}


def _number(v: float) -> str:
    """v in its shortest round-trip form, as JavaScript writes it for whole numbers (1, not 1.0)."""
    return repr(v).removesuffix(".0")


def _hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


_TIGHT = '<mo stretchy="false" lspace="0" rspace="0">{}</mo>'
"""A bracket in MathML, spaced as page.js's mo() spaces one."""

TEMPLATE = """<!DOCTYPE html>
<html lang="en" data-mode="{mode}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="nncalc page">
<title>{name} · nncalc</title>
<style>{style}</style>
</head>
<body>
<main>
<section class="stage" aria-label="the network">
<header>
<h1>{name}</h1>
<p class="summary">{summary}</p>
<fieldset class="x"><legend>x, the input</legend>
{inputs}
</fieldset>
<fieldset class="y"><legend>y, the label (for the backward view)</legend>
{labels}
</fieldset>
<p class="views" role="group" aria-label="view"><button type="button" data-view="forward" \
aria-pressed="{forward_pressed}">forward: a</button> <button type="button" data-view="backward" \
aria-pressed="{backward_pressed}" title="{backward_title}"{backward_disabled}>backward: δ and \
∂J/∂Θ</button></p>
</header>
<p id="refusal" class="alert" role="alert" hidden></p>
<p id="status" class="alert" role="status" hidden></p>
<figure class="diagram">
{diagram}
<button id="present-toggle" type="button" aria-pressed="{pressed}" title="presentation mode (P)">\
Present</button>
<form id="editor" class="editor" autocomplete="off" hidden></form>
</figure>
<p class="result"><span id="output"></span> <span class="prediction">prediction: unit \
<span data-prediction></span> of {outputs}<span id="class"></span></span>{classes}</p>
</section>
<section class="side" aria-label="the arithmetic and the weights">
<p class="hint">Edit x, y or any weight and every z and a (and δ) is recomputed, in float64.
Hover or focus a unit (Tab) to see its arithmetic; click a unit or an edge to edit its weights
beside it (Escape closes); B shows the backward view.</p>
<div id="derivation" aria-live="polite"></div>
<details class="text"><summary>as text (nncalc <span id="command">forward</span> \
--explain)</summary>
<pre id="arithmetic"></pre></details>
{more}
<h2>The weights <math><msup><mi>Θ</mi><mrow>{paren}<mi>j</mi>{closing}</mrow></msup></math>
(bias in column 0)</h2>
<div id="thetas"></div>
</section>
</main>
<script type="application/json" id="network">{data}</script>
<script>{script}</script>
</body>
</html>
"""
