"""Results as JSON documents for scripts: numbers at full precision, never NaN."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from nncalc.errors import cut
from nncalc.params import ParamCount, of_network
from nncalc.render import escape

if TYPE_CHECKING:
    from nncalc.grading.marking import Grade, Mark, Sheet
    from nncalc.network import Network, Trace


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
    return {"network": network_document(network), "examples": examples}


def network_document(network: Network) -> dict[str, Any]:
    """The network's part of a document: its name, sizes, activations and parameters."""
    return {
        "name": network.name,
        "sizes": network.sizes,
        "activations": network.activations,
        "parameters": [t.total for t in of_network(network).thetas],
    }


def dumps(value: Any) -> str:
    """Strict JSON (no NaN or Infinity), indented, with lists of numbers kept on one line;
    its strings valid UTF-8 and free of controls (escape.json)."""
    return escape.json(_dumps(value, ""))


def _dumps(value: Any, indent: str) -> str:
    inner = indent + "  "
    if isinstance(value, dict) and value:
        items = (
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {_dumps(v, inner)}"
            for k, v in value.items()
        )
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        items = (f"{inner}{_dumps(v, inner)}" for v in value)
        return "[\n" + ",\n".join(items) + f"\n{indent}]"
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


def params_document(counts: ParamCount) -> dict[str, Any]:
    """The ``--json`` document of ``nncalc params``."""
    thetas = [
        {
            "theta": t.j,
            "shape": list(t.shape),
            "weights": t.weights,
            "biases": t.biases,
            "total": t.total,
            "swiglu": t.gated,
            "learned_beta": t.learned_beta,
            "multiply_adds": t.multiply_adds,
        }
        for t in counts.thetas
    ]
    return {
        "sizes": list(counts.sizes),
        "thetas": thetas,
        "total": counts.total,
        "multiply_adds": counts.multiply_adds,
        "bytes": counts.bytes,
    }


def _mark(m: Mark) -> dict[str, Any]:
    from nncalc.grading.marking import bounded

    q = m.question
    return {
        "id": q.id,
        "text": q.text,
        "kind": q.kind,
        "points": q.points,
        "score": m.score,
        "ok": m.ok,
        "given": bounded(m.given),
        "expected": q.computed,
        "reason": m.reason,
    }


def grade_document(grade: Grade) -> dict[str, Any]:
    """The ``--json`` document of ``nncalc check SHEET --answers FILE``."""
    return {
        "sheet": grade.sheet.title,
        "submission": grade.submission,
        "score": grade.score,
        "max_score": grade.sheet.max_score,
        "questions": [_mark(m) for m in grade.marks],
        "ignored": [cut(i) for i in grade.ignored],
    }


def class_document(sheet: Sheet, grades: Sequence[Grade]) -> dict[str, Any]:
    """The ``--json`` document of ``nncalc grade``: each submission's marks, or its error."""
    from nncalc.grading.marking import students

    names = students([g.submission for g in grades])
    return {
        "sheet": sheet.title,
        "max_score": sheet.max_score,
        "submissions": [
            {"student": s, **grade_document(g), "error": g.error}
            for g, s in zip(grades, names, strict=True)
        ],
    }


def key_document(sheet: Sheet, marks: list[Mark]) -> dict[str, Any]:
    """The ``--json`` document of ``nncalc check SHEET``: every question, checked if keyed."""
    from nncalc.grading.marking import bounded

    checked = {m.question.id: m for m in marks}
    questions = []
    for q in sheet.questions:
        entry = {"id": q.id, "text": q.text, "kind": q.kind, "computed": q.computed}
        if q.id in checked:
            entry.update(answer=bounded(q.answer), ok=checked[q.id].ok, reason=checked[q.id].reason)
        questions.append(entry)
    return {"sheet": sheet.title, "ok": all(m.ok for m in marks), "questions": questions}


def gradescope_document(grade: Grade) -> dict[str, Any]:
    """Gradescope's results.json: the score and one test per question."""
    tests = [
        {
            "name": f"{m.question.id}: {m.question.text}" if m.question.text else m.question.id,
            "number": m.question.id,
            "score": m.score,
            "max_score": m.question.points,
            "status": "passed" if m.ok else "failed",
            "output": "correct" if m.ok else m.reason,
        }
        for m in grade.marks
    ]
    output = f"{grade.score:g} of {grade.sheet.max_score:g} points"
    if grade.error:
        output = f"the answer file could not be read: {grade.error}"
    return {"score": grade.score, "output": output, "tests": tests}
