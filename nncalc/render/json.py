"""Results as JSON documents for scripts: numbers at full precision, never NaN."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from nncalc.errors import cut
from nncalc.params import ParamCount, of_network
from nncalc.render import escape

if TYPE_CHECKING:
    from nncalc.grading.marking import Mark, Sheet
    from nncalc.grading.pipeline import ClassMarks, Row
    from nncalc.network import Network, Trace


EXACT_DIGITS = 17
"""Significant digits of --exact's values: enough to tell every float64 apart."""


def forward_document(trace: Trace, names: list[str | None], exact: bool = False) -> dict[str, Any]:
    """The ``--json`` document of ``nncalc forward``; ``a`` never lists the bias unit. Its
    numbers are float64's; with ``exact``, each layer also has ``exact`` (the exact values
    as text, digits of the exact value as the tables print them) and ``bound`` (float64's
    rigorous error bound of each value, Trace.bounds)."""
    network = trace.network
    examples = []
    for k in range(len(trace)):
        layers: list[dict[str, Any]] = [{"layer": 1, "a": trace.a[1][k].tolist()}]
        for j in range(2, network.L + 1):
            layer: dict[str, Any] = {"layer": j, "z": trace.z[j][k].tolist()}
            if j in trace.gate:
                layer["gate"] = trace.gate[j][k].tolist()
            layer["a"] = trace.a[j][k].tolist()
            if exact:
                layer.update(_exact(trace, k, j))
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
            if network.framework:  # the framework's own, 0-based index
                example["prediction"]["index"] = unit - 1
        examples.append(example)
    return {"network": network_document(network), "examples": examples}


def network_document(network: Network) -> dict[str, Any]:
    """The network's part of a document: its name, sizes, activations and parameters."""
    return {
        "name": network.name,
        "sizes": network.sizes,
        "activations": network.activations,
        "parameters": [t.total for t in of_network(network).thetas],
        **({"framework": network.framework} if network.framework else {}),
    }


def _exact(trace: Trace, k: int, j: int) -> dict[str, dict[str, list]]:
    """--exact's additions to layer j of example k: the exact values and the bounds."""
    from nncalc.render import digits

    units = digits.example(trace, k, EXACT_DIGITS)[j]
    dz, _, da, du = trace.bounds()[j]

    def texts(values: list) -> list[str]:
        return [str(t).replace("−", "-") for t in values]

    exact = {"z": texts([u.z for u in units])}
    bound = {"z": [float(v) for v in dz[k]]}
    if j in trace.gate:
        exact["gate"] = texts([u.u for u in units])
        bound["gate"] = [float(v) for v in du[k]]
    exact["a"] = texts([u.a for u in units])
    bound["a"] = [float(v) for v in da[k]]
    return {"exact": exact, "bound": bound}


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
        "problem": m.problem,
    }


def grade_document(row: Row) -> dict[str, Any]:
    """A student's marks: the ``--json`` document of ``nncalc check SHEET --answers FILE``,
    and each student's entry in ``nncalc grade --json``."""
    grade = row.grade
    return {
        "sheet": grade.sheet.title if grade else None,
        "student": row.student,
        "name": row.name,
        "email": row.email,
        "status": row.status,
        "submission": row.submission or None,
        "files": list(row.files),
        "score": row.score,
        "max_score": grade.sheet.max_score if grade else None,
        "questions": [_mark(m) for m in grade.marks] if row.marked else [],
        "ignored": [cut(i) for i in grade.ignored] if grade else [],
        "error": row.error,
        "warnings": list(row.warnings),
    }


def class_document(marks: ClassMarks) -> dict[str, Any]:
    """The ``--json`` document of ``nncalc grade``: a summary, and each student's marks."""
    return {
        "sheet": marks.title,
        "max_score": marks.max_score,
        "questions": [{"id": i, "points": p} for i, p in zip(marks.ids, marks.points, strict=True)],
        "summary": dict(sorted(marks.counts().items())),
        "students": [grade_document(row) for row in marks.rows],
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
