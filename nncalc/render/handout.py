"""A student's handout (Markdown or LaTeX: the questions and their own Θ^(j) and x, no
answers, never the seed), the class's key and its grades as CSV."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import IO, Any

from nncalc.grading.marking import KINDS, Question, Sheet
from nncalc.grading.roster import Student
from nncalc.grading.variants import Value, Variant, Variants
from nncalc.render import escape
from nncalc.render.solution import latex_g

LATEX_PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath}
\usepackage[margin=2cm]{geometry}
\setcounter{MaxMatrixCols}{40}
"""


def markdown(variants: Variants, variant: Variant, student: Student) -> str:
    """The handout in Markdown: $$ math for every matrix and vector."""
    md = escape.markdown
    lines = [f"# {md(_title(variants))}", "", f"Student: {md(_who(student))}", ""]
    lines += ["## Your values", ""]
    for value in _used(variants, variant):
        name, summary = md(value.random.name), md(_summary(value))
        lines += [f"**{name}**: {summary}", "", "$$", _math(value), "$$", ""]
    lines += ["## Questions", ""]
    for k, (qid, points, text, asked) in enumerate(_questions(variants), start=1):
        head = f"{k}. **{md(qid)}** ({_points(points)})" + (f" {md(text)}" if text else "")
        lines += [head + "  ", f"   Give {_markdown_parts(asked)}.", ""]
    return "\n".join(lines)


def latex(variants: Variants, variant: Variant, student: Student) -> str:
    """The handout as a LaTeX document (pdflatex; amsmath)."""
    lines = [
        LATEX_PREAMBLE + r"\begin{document}",
        rf"\section*{{{_tex(_title(variants))}}}",
        rf"Student: {_tex(_who(student))}",
        r"\subsection*{Your values}",
    ]
    for value in _used(variants, variant):
        name = _tex(value.random.name)
        lines += [rf"\textbf{{{name}}}: {_tex(_summary(value))}", r"\[", _math(value), r"\]"]
    lines += [r"\subsection*{Questions}", r"\begin{enumerate}"]
    for qid, points, text, asked in _questions(variants):
        body = f"({_points(points)}) {_tex(text or '')}"
        lines += [rf"\item \textbf{{{_tex(qid)}}} {body}\\", f"Give {_latex_parts(asked)}."]
    lines += [r"\end{enumerate}", r"\end{document}", ""]
    return "\n".join(lines)


def _title(variants: Variants) -> str:
    return str(variants.doc.get("title") or "Questions")


def _who(student: Student) -> str:
    return student.id + (f" ({student.name})" if student.name else "")


def _points(points: Any) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def _used(variants: Variants, variant: Variant) -> list[Value]:
    """The values the questions use, in the order they are first used."""
    names = [u.network for u in variants.uses] + [u.x for u in variants.uses]
    order = dict.fromkeys(n for n in names if isinstance(n, str))
    return [variant.values[n] for n in order]


def _summary(value: Value) -> str:
    r = value.random
    if r.kind == "vector":
        return f"a vector of {r.shapes[0][1]} numbers"
    sizes = [r.shapes[0][1] - 1, *(rows for rows, _ in r.shapes)]
    text = "a network of " + "-".join(map(str, sizes)) + " units"
    return text + (f", classes {', '.join(r.classes)} (units 1 … {sizes[-1]})" if r.classes else "")


def _math(value: Value) -> str:
    """x as a column, or Θ^(1), Θ^(2), … each with its g."""
    if value.random.kind == "vector":
        name = value.random.name  # one letter is a symbol, a longer name a word
        column = _bmatrix([[value.text(k)] for k in value.matrices[0][0]])
        shown = name if name.isalpha() and len(name) == 1 else rf"\text{{{_tex(name)}}}"
        return f"{shown} = {column}"
    parts = []
    for j, (matrix, g) in enumerate(zip(value.matrices, value.random.activations, strict=True), 1):
        rows = [[value.text(k) for k in row] for row in matrix]
        parts.append(rf"\Theta^{{({j})}} = {_bmatrix(rows)},\ g = {latex_g(g)}")
    return r" \\ ".join(parts) if len(parts) == 1 else _gathered(parts)


def _gathered(parts: list[str]) -> str:
    return r"\begin{gathered} " + r" \\ ".join(parts) + r" \end{gathered}"


def _bmatrix(rows: list[list[str]]) -> str:
    """Every entry shown: a handout must give all of a student's numbers."""
    body = r" \\ ".join(" & ".join(row) for row in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


Parts = list[tuple[str, str]]
"""Text in parts, each (kind, text): "math" (nncalc's LaTeX), "value" (a random value's
name), "file" (a file name) or "text" (words or numbers); all but math from the sheet are
escaped for their output."""


def _questions(variants: Variants) -> list[tuple[str, Any, str | None, Parts]]:
    """(id, points, text, what to give) of each question."""
    found = []
    for q in variants.doc.get("questions") or ():
        what = next((k for k in KINDS if isinstance(q, dict) and isinstance(q.get(k), dict)), None)
        if what is not None:
            text = q.get("text")
            found.append(
                (str(q.get("id")), q.get("points", 1), text and str(text), _asked(what, q[what]))
            )
    return found


def _asked(what: str, spec: dict) -> Parts:
    """What a question asks for, with its math and where its values come from."""
    unit = f"_{{{spec['unit']}}}" if "unit" in spec else ""
    layer = spec.get("layer")
    theta = (
        [("text", " in "), ("math", f"\\Theta^{{({spec['theta']})}}")] if "theta" in spec else []
    )
    asked: Parts = {
        "z": [("math", f"z^{{({layer})}}{unit}")],
        "activation": [("math", f"a^{{({layer})}}{unit}")],
        "output": [("math", f"h_\\Theta(x){unit}")],
        "prediction": [("text", "the predicted class")],
        "params": [("text", "the number of parameters"), *theta],
        "onehot": [
            ("text", f"the one-hot vector of label {spec.get('label')} of {_classes(spec)}")
        ],
        "cost": [("text", "the cost "), ("math", r"J(\Theta)")],
        "delta": [("math", f"\\delta^{{({layer})}}{unit}")],
        "gradient": [("math", _gradient(spec))],
    }[what]
    for n, key in enumerate(key for key in ("network", "x") if key in spec):
        asked += [("text", f" {'and' if n else 'for'} {key} "), _source(spec[key])]
    if "y" in spec:
        asked += [("text", " labelled y = "), _source(spec["y"])]
    if spec.get("lambda"):
        asked += [("text", ", with "), ("math", f"\\lambda = {float(spec['lambda']):g}")]
    return asked


def _gradient(spec: dict) -> str:
    """D_im^(j) = ∂J/∂Θ_im^(j), or the row D_i^(j) when m is not given."""
    sub = f"{spec.get('i')}{spec['m']}" if "m" in spec else f"{spec.get('i')}\\cdot"
    return f"D^{{({spec.get('theta')})}}_{{{sub}}}"


def _classes(spec: dict) -> str:
    classes = spec.get("classes")
    return f"{len(classes)} classes" if isinstance(classes, list) else f"{classes} classes"


def _source(value: Any) -> tuple[str, str]:
    if isinstance(value, str) and value.startswith("$"):
        return "value", value[1:]
    if isinstance(value, str):
        return "file", value
    if isinstance(value, list):
        return "text", "(" + ", ".join(map(str, value)) + ")"
    return "text", "(given)" if not isinstance(value, int | float) else str(value)


def _tex(text: str) -> str:
    """Text from outside for the handout's LaTeX (pdflatex: letters it lacks as U+XXXX)."""
    return escape.latex(text, pdflatex=True)


def _markdown_parts(parts: Parts) -> str:
    """Parts as Markdown: $math$, **value**, and the rest escaped."""
    shown = {"math": "${}$", "value": "**{}**"}
    return "".join(
        shown.get(kind, "{}").format(text if kind == "math" else escape.markdown(text))
        for kind, text in parts
    )


def _latex_parts(parts: Parts) -> str:
    """Parts as LaTeX: $math$, \\textbf{value}, \\texttt{file}, and the rest escaped."""
    shown = {"math": "${}$", "value": r"\textbf{{{}}}", "file": r"\texttt{{{}}}"}
    return "".join(
        shown.get(kind, "{}").format(text if kind == "math" else _tex(text)) for kind, text in parts
    )


def write_key(f: IO[str], rows: Sequence[tuple[str, Sheet]]) -> None:
    """One row per student: id and the answer of each question."""
    writer = escape.CsvWriter(f)
    ids = [q.id for q in rows[0][1].questions] if rows else []
    writer.writerow(["id", *ids])
    for student, key in rows:
        writer.writerow([student, *(_cell(q) for q in key.questions)])


def _cell(q: Question) -> str:
    """An answer: a number or JSON list at full precision, a prediction by its class name."""
    if q.kind == "prediction" and q.labels:
        return q.labels[q.computed - 1]
    return json.dumps(q.computed)
