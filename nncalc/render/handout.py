"""A hand-out (grading.handouts) in Markdown and as a LaTeX document, the answers template
students hand in, and a class's key as CSV."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import IO

from nncalc.grading.handouts import Asked, Given, Handout, Piece
from nncalc.grading.marking import Question, Sheet, classes_shown
from nncalc.render import escape, latexdoc
from nncalc.render.escape import markdown as md
from nncalc.render.solution import latex_g, latex_number

ANSWERS = "answers.yaml"
HOW = (
    "Write each answer after its question's id and colon: a number (0.7311), a list in "
    f"brackets ([0.1, 0.2]) or a class name; hand in this file as {ANSWERS}."
)
"""The one line of instructions on the format, in the template and in the hand-out."""


def files(handout: Handout) -> dict[str, str]:
    """questions.md, questions.tex and answers.yaml."""
    return {
        "questions.md": markdown(handout),
        "questions.tex": latex(handout),
        ANSWERS: answers(handout),
    }


# --- Markdown --------------------------------------------------------------------------


def markdown(handout: Handout) -> str:
    """The hand-out in Markdown, with $$ math for every matrix and vector."""
    lines = [f"# {md(handout.title)}", ""]
    if handout.student is not None:
        lines += [f"Student: {md(_who(handout))}", ""]
    if handout.given:
        lines += [f"## {_given_title(handout)}", ""]
    for given in handout.given:
        head = f"**{md(given.label)}**: {md(_summary(given))}"
        lines += [head, "", "$$", _math(given), "$$", ""]
    lines += ["## Questions", ""]
    for k, q in enumerate(handout.questions, start=1):
        text = f" {md(q.text)}" if q.text else ""
        lines += [
            f"{k}. **{md(q.id)}** ({_points(q)}){text}  ",
            f"   {_give(q, _md_piece)}",
            "",
        ]
    lines += [
        "## How to hand in",
        "",
        md(HOW),
        "",
        "```yaml",
        answers(handout) + "```",
        "",
    ]
    return "\n".join(lines)


def _md_piece(piece: Piece) -> str:
    if piece.kind == "math":
        return f"${piece.value}$"
    return f"**{md(piece.value)}**" if piece.kind == "name" else md(piece.value)


# --- LaTeX -----------------------------------------------------------------------------


def latex(handout: Handout) -> str:
    """The hand-out as a LaTeX document for LuaLaTeX (see render.latexdoc)."""
    lines = [rf"\section*{{{escape.latex(handout.title)}}}"]
    if handout.student is not None:
        lines.append(rf"Student: {escape.latex(_who(handout))}")
    if handout.given:
        lines.append(rf"\subsection*{{{_given_title(handout)}}}")
    for given in handout.given:
        name = escape.latex(given.label)
        lines += [
            rf"\noindent\textbf{{{name}}}: {escape.latex(_summary(given))}",
            r"\[",
            _math(given),
            r"\]",
        ]
    lines += [r"\subsection*{Questions}", r"\begin{enumerate}"]
    for q in handout.questions:
        text = f" {escape.latex(q.text)}" if q.text else ""
        head = rf"\item \textbf{{{escape.latex(q.id)}}} ({_points(q)}){text}"
        lines += [head + r"\\", _give(q, _tex_piece)]
    lines += [r"\end{enumerate}", r"\subsection*{How to hand in}", escape.latex(HOW)]
    template = [escape.latex(line).replace(" ", "~") for line in answers(handout).splitlines()]
    lines += [r"\begin{flushleft}\ttfamily", " \\\\\n".join(template[1:]), r"\end{flushleft}"]
    return latexdoc.document("\n".join(lines), handout.columns)


def _tex_piece(piece: Piece) -> str:
    if piece.kind == "math":
        return f"${piece.value}$"
    text = escape.latex(piece.value)
    return rf"\textbf{{{text}}}" if piece.kind == "name" else text


# --- both ------------------------------------------------------------------------------


def _who(handout: Handout) -> str:
    student = handout.student
    assert student is not None
    return student.id + (f" ({student.name})" if student.name else "")


def _given_title(handout: Handout) -> str:
    return "Your values" if handout.personal else "Networks and inputs"


def _points(q: Asked) -> str:
    return f"{q.points:g} point" + ("" if q.points == 1 else "s")


def _give(q: Asked, piece: Callable[[Piece], str]) -> str:
    """Give <quantity> for network <label> and x <label> (or x = (…)), as <form>."""
    pieces = list(q.quantity)
    if q.network is not None:
        link = " of network " if q.kind == "params" else " for network "
        pieces += [Piece("text", link), Piece("name", q.network)]
    if isinstance(q.x, str):
        pieces += [Piece("text", " and x "), Piece("name", q.x)]
    elif q.x is not None:
        rows = [r"\left(" + ", ".join(map(latex_number, x)) + r"\right)" for x in q.x]
        if q.count is None:
            pieces += [Piece("text", " and "), Piece("math", "x = " + rows[0])]
        else:
            pieces += [Piece("text", " and each x of "), Piece("math", ",\\ ".join(rows))]
    pieces += [*q.labelled, Piece("text", f", as {q.form}.")]
    return "Give " + "".join(map(piece, pieces))


def _summary(given: Given) -> str:
    if not given.is_network:
        return f"a vector of {given.sizes[0]} numbers"
    text = "a network of " + "-".join(map(str, given.sizes)) + " units"
    if given.classes:
        text += f", classes {', '.join(given.classes)} (units 1 … {given.sizes[-1]})"
    return text


def _math(given: Given) -> str:
    """x as a column, or Θ^(1), Θ^(2), … each with its g (and a SwiGLU gate)."""
    if not given.is_network:
        name = escape.latex(given.label)
        symbol = name if len(given.label) == 1 else rf"\text{{{name}}}"
        return f"{symbol} = " + _bmatrix([[e] for e in given.entries])
    parts = []
    for j, step in enumerate(given.steps, start=1):
        part = rf"\Theta^{{({j})}} = {_bmatrix(step.theta)}"
        if step.gate is not None:
            part += rf",\ \Theta_{{\text{{gate}}}}^{{({j})}} = {_bmatrix(step.gate)}"
            part += rf",\ g = \operatorname{{SwiGLU}}_{{\beta={latex_number(step.beta or '1')}}}"
        else:
            part += rf",\ g = {latex_g(step.g)}"
        parts.append(part)
    if len(parts) == 1:
        return parts[0]
    return r"\begin{gathered} " + r" \\ ".join(parts) + r" \end{gathered}"


def _bmatrix(rows: Sequence[Sequence[str]]) -> str:
    """Every entry shown: a hand-out must give all of a student's numbers."""
    body = r" \\ ".join(" & ".join(map(latex_number, row)) for row in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


# --- the answers template --------------------------------------------------------------


def answers(handout: Handout) -> str:
    """answers.yaml to fill in: the instructions, the student's id when each student has
    their own values, and every question id with an empty value and its form."""
    lines = [f"# {HOW}"]
    if handout.personal and handout.student is not None:
        lines.append(f"student: {handout.student.id}")
    ids = [_yaml_key(q.id) for q in handout.questions]
    width = max(map(len, ids), default=0)
    for key, q in zip(ids, handout.questions, strict=True):
        lines.append(f"{key}:{' ' * (width - len(key))}   # {_one_line(q.form)}")
    return "\n".join(lines) + "\n"


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:[-.][A-Za-z0-9_]+)*")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _yaml_key(qid: str) -> str:
    """A question id as a YAML key that reads back as that text: plain when it is a simple
    name, else double-quoted with every non-printable character escaped."""
    if _PLAIN_KEY.fullmatch(qid) and qid.lower() not in _YAML_WORDS:
        return qid
    quoted = json.dumps(qid, ensure_ascii=False)
    return "".join(c if c.isprintable() else _escape(c) for c in quoted)


def _escape(c: str) -> str:
    code = ord(c)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _one_line(text: str) -> str:
    """Text for a YAML comment: printable characters only, on one line."""
    return "".join(c if c.isprintable() else " " for c in text)


# --- the key ---------------------------------------------------------------------------


def write_key(f: IO[str], rows: Sequence[tuple[str, Sheet]]) -> None:
    """One row per student: id and the answer of each question."""
    writer = escape.CsvWriter(f)
    ids = [q.id for q in rows[0][1].questions] if rows else []
    writer.writerow(["id", *ids])
    for student, key in rows:
        writer.writerow([student, *(_cell(q) for q in key.questions)])


def _cell(q: Question) -> str:
    """An answer: a number or JSON list at full precision, a prediction by its class name."""
    shown = classes_shown(q)
    return shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)
