"""Forward propagation as one JSON document, numbers at full precision."""

from __future__ import annotations

import json
from typing import Any

from nncalc.network import Trace


def forward_document(trace: Trace, names: list[str | None]) -> dict[str, Any]:
    """The ``--json`` document of ``nncalc forward``; ``a`` never lists the bias unit."""
    network = trace.network
    examples = []
    for k in range(len(trace)):
        layers: list[dict[str, Any]] = [{"layer": 1, "a": trace.a[1][k].tolist()}]
        for j in range(2, network.L + 1):
            layer: dict[str, Any] = {"layer": j, "z": trace.z[j][k].tolist()}
            if j in trace.gate:
                layer["gate"] = trace.gate[j][k].tolist()
            layer["a"] = trace.a[j][k].tolist()
            layers.append(layer)
        example: dict[str, Any] = {
            "name": names[k],
            "layers": layers,
            "output": trace.output[k].tolist(),
        }
        if network.sizes[-1] > 1:
            unit = int(trace.predictions[k])
            label = network.classes[unit - 1] if network.classes else None
            example["prediction"] = {"unit": unit, "label": label}
        examples.append(example)
    return {
        "network": {
            "name": network.name,
            "sizes": network.sizes,
            "activations": network.activations,
            "parameters": [layer.params for layer in network.layers],
        },
        "examples": examples,
    }


def dumps(document: dict[str, Any]) -> str:
    """Strict JSON (no NaN or Infinity), indented for people."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
