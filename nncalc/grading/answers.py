"""A student's answer to one question, read as written and judged (docs/grading.md, "How
answers are read" and "Tolerance").

Each kind of question says how its answers are read (marking.KIND's ``answer``):

- ``count``: a whole number (a parameter count), right when exactly nncalc's;
- ``real``: a number, or a vector (per-entry credit unless the question says
  ``partial: false``), each entry judged by expect.judge;
- ``exact``: a vector of whole numbers (a one-hot y), right when every entry is;
- ``class``: a predicted class, as its unit number (``2``, ``unit 2``) or its name in any
  case and Unicode normalisation (``Vélo``), or as nncalc prints it (``vélo (unit 2)``).

What cannot be read, or reads two ways, is a format problem: 0 points, with what was read
and a hint; never a silent wrong answer.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nncalc import onehot
from nncalc.expect import AS_WRITTEN, Tolerance, judge
from nncalc.written import Unreadable, Written, number, numbers, shown


@dataclass(frozen=True, slots=True)
class Judged:
    """The share of a question's points an answer earns (k/n for k of n entries right),
    why not all of them with the right value (the instructor's words), the same without
    it (a student's feedback), and a format problem (what was read, and a hint)."""

    credit: float
    reason: str | None = None
    hint: str | None = None
    problem: str | None = None
    near: tuple[float, float] | None = None


RIGHT = Judged(1.0)
MISSING = Judged(0.0, "no answer", "no answer")


@dataclass(frozen=True)
class Asked:
    """What judging an answer needs of its question."""

    how: str
    computed: Any
    labels: tuple[str, ...] | None = None
    tolerance: Tolerance = AS_WRITTEN
    strict: bool = False
    partial: bool = True


def judged(asked: Asked, given: Any) -> Judged:
    """The answer ``given`` (text as written, a list of texts, or Python numbers) judged."""
    text = None if given is None else _as_text(given)
    if isinstance(text, Unreadable):
        return _problem(text)
    if not text or (isinstance(text, str) and text.strip() in ("", "[]", "()")):
        return MISSING  # nothing written, or an empty list
    return ANSWERS[asked.how](asked, text)


def _as_text(given: Any) -> str | list[str] | Unreadable:
    """Text as written: numbers a program gave as their shortest decimal."""
    if isinstance(given, list):
        items = [_scalar_text(g) for g in given]
        bad = next((i for i in items if isinstance(i, Unreadable)), None)
        return bad or items  # type: ignore[return-value]
    return _scalar_text(given)


def _scalar_text(value: Any) -> str | Unreadable:
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return Unreadable(str(value), "not a number", "write the number")
    if isinstance(value, int | float):
        return repr(value)
    return Unreadable(shown(str(value)), "a list or mapping inside the answer", "write numbers")


def _problem(u: Unreadable) -> Judged:
    return format_problem(str(u))


def format_problem(text: str) -> Judged:
    """No points, for an answer that cannot be read (``text``: what was read, and a hint)."""
    return Judged(0.0, f"format problem: {text}", f"format problem: {text}", text)


# --- each way of reading ---------------------------------------------------------------------


def _one(asked: Asked, text: str | list[str]) -> Written | Unreadable:
    """A single number: text, or a list (or bracketed text) of one."""
    if isinstance(text, list) or text.strip()[:1] in ("[", "("):
        got = numbers(text, asked.strict)
        if isinstance(got, Unreadable) or len(got) == 1:
            return got if isinstance(got, Unreadable) else got[0]
        return Unreadable(_joined(text), f"{len(got)} numbers", "give one number")
    return number(text, asked.strict, whole=asked.how == "count")


def _count(asked: Asked, text: str | list[str]) -> Judged:
    w = _one(asked, text)
    if isinstance(w, Unreadable):
        return _problem(w)
    if w.equals(asked.computed):
        return RIGHT
    why = f"expected {asked.computed}, given {_shown(w, text)}"
    return Judged(0.0, why, "not right", near=(w.value, 0.5))


def _real(asked: Asked, text: str | list[str]) -> Judged:
    if not isinstance(asked.computed, list):
        w = _one(asked, text)
        if isinstance(w, Unreadable):
            return _problem(w)
        verdict = judge(w, asked.computed, asked.tolerance)
        if verdict.ok:
            return RIGHT
        return Judged(0.0, verdict.why, verdict.hint or "not right", near=(w.value, verdict.bound))
    got = _vector(asked, text)
    if isinstance(got, Judged):
        return got
    verdicts = [judge(w, e, asked.tolerance) for w, e in zip(got, asked.computed, strict=True)]
    right = sum(v.ok for v in verdicts)
    if right == len(verdicts):
        return RIGHT
    k, first = next((k, v) for k, v in enumerate(verdicts, start=1) if not v.ok)
    others = len(verdicts) - right - 1
    more = f" (and {others} more)" if others else ""
    hint = f"{right} of {len(verdicts)} entries right" + (f"; {first.hint}" if first.hint else "")
    credit = right / len(verdicts) if asked.partial else 0.0
    near = (got[0].value, verdicts[0].bound)
    return Judged(credit, f"entry {k}: {first.why}{more}", hint, near=near)


def _exact(asked: Asked, text: str | list[str]) -> Judged:
    got = _vector(asked, text)
    if isinstance(got, Judged):
        return got
    if all(w.equals(e) for w, e in zip(got, asked.computed, strict=True)):
        return RIGHT
    given = shown(_joined(text))
    expected = onehot.shown(asked.computed)
    return Judged(0.0, f"expected {expected}, given {given}", "not right", near=(got[0].value, 0.5))


def _vector(asked: Asked, text: str | list[str]) -> list[Written] | Judged:
    """The entries of a vector answer, or why there are none to judge."""
    got = numbers(text, asked.strict)
    if isinstance(got, Unreadable):
        return _problem(got)
    n = len(asked.computed)
    if len(got) != n:
        why = f"{n:,} numbers expected, {len(got):,} given"
        if asked.how == "exact":  # a one-hot y: e_k of length K, however long
            reason = f"expected {onehot.shown(asked.computed)}, given {shown(_joined(text))}"
        else:
            reason = f"{why}: {shown(_joined(text))}"
        return Judged(0.0, reason, why)
    return got


_UNIT = re.compile(r"(?:unit|class)?\s*#?\s*(\d+)(?:\.0*)?", re.ASCII)
_NAMED = re.compile(r"(.+?)\s*\(\s*(?:unit|class)?\s*#?\s*(\d+)\s*\)")


def _class(asked: Asked, text: str | list[str]) -> Judged:
    if isinstance(text, list):
        return _problem(Unreadable(_joined(text), "a list", "give one class"))
    unit, problem = _unit_of(text.strip(), asked.labels, asked.strict)
    if problem is not None:
        return _problem(problem)
    if unit == asked.computed:
        return RIGHT
    expected = f"unit {asked.computed}"
    if asked.labels:
        expected += f" ({asked.labels[asked.computed - 1]})"
    return Judged(0.0, f"expected {expected}, given {shown(text.strip())}", "not right")


def _unit_of(
    text: str, labels: tuple[str, ...] | None, strict: bool
) -> tuple[int | None, Unreadable | None]:
    """The unit a class answer names: a unit number, a class name, or both as nncalc
    prints them ('car (unit 2)'), which must agree; else why it names none."""
    if strict:
        if text.isascii() and text.isdigit():
            return int(text), None
        if labels and text in labels:
            return labels.index(text) + 1, None
        return None, Unreadable(text, "not a unit number or class name", _class_hint(labels, True))
    folded = _folded(text)
    names = [_folded(name) for name in labels or ()]
    by_name = [k for k, name in enumerate(names, start=1) if name == folded]
    m = _UNIT.fullmatch(folded)
    by_number = int(m[1]) if m else None
    if by_name and by_number is not None and by_name[0] != by_number:
        return None, Unreadable(
            text,
            f"class {by_name[0]} is named {text!r}, and unit {by_number} is another",
            "give the unit or the name",
        )
    if len(by_name) > 1:
        return None, Unreadable(
            text, "several classes have this name in another case", "write the name exactly"
        )
    if by_name or by_number is not None:
        return (by_name[0] if by_name else by_number), None
    m = _NAMED.fullmatch(folded)
    if m:
        unit, problem = _unit_of(m[1], labels, strict)
        if problem is None and unit != int(m[2]):
            why = f"{m[1]!r} is not unit {m[2]}"
            return None, Unreadable(text, why, "give the unit or the name")
        return unit, problem
    close = difflib.get_close_matches(folded, names, n=2, cutoff=0.75)
    if len(close) == 1:
        name = labels[names.index(close[0])]  # type: ignore[index]
        return None, Unreadable(
            text, f"not a class name; did you mean {name!r}?", "write the name exactly"
        )
    return None, Unreadable(text, "not a unit number or class name", _class_hint(labels, False))


def _folded(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def _class_hint(labels: tuple[str, ...] | None, strict: bool) -> str:
    names = f" or one of {', '.join(labels)}" if labels else ""
    return f"write the unit number (1, 2, …){names}" + (
        " exactly (the sheet is strict)" if strict else ""
    )


def _joined(text: str | Sequence[str]) -> str:
    return text if isinstance(text, str) else "[" + ", ".join(text) + "]"


def _shown(w: Written, text: str | list[str]) -> str:
    """A number as given: its text when it is short, else its value."""
    written = text.strip() if isinstance(text, str) else ""
    if written and len(written) <= 20:
        return written
    return f"{w.value:.10g}" if math.isfinite(w.value) else shown(w.exact)


ANSWERS: dict[str, Callable[[Asked, Any], Judged]] = {
    "count": _count,
    "real": _real,
    "exact": _exact,
    "class": _class,
}
"""How each kind of answer is read and judged (marking.KIND names one for each kind)."""
