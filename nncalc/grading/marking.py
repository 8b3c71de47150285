"""Answer sheets and grading: nncalc computes every answer, then marks students' answers.

The sheet format is documented in docs/grading.md.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nncalc import onehot, params
from nncalc.errors import EXCERPT, NNCalcError, cut, excerpt
from nncalc.files import netfile
from nncalc.files.checker import Checker, is_number, kind
from nncalc.files.reader import not_regular
from nncalc.files.yamlfile import Pos, YDict, YList, load_file
from nncalc.network import Network

KINDS = ("params", "z", "activation", "output", "prediction", "onehot")
SHEET_KEYS = ("title", "tolerance", "rel_tolerance", "questions")
QUESTION_KEYS = ("id", "text", "points", "tolerance", "rel_tolerance", "answer", *KINDS)
SPEC_KEYS = {
    "params": ("sizes", "network", "theta"),
    "z": ("network", "x", "layer", "unit"),
    "activation": ("network", "x", "layer", "unit"),
    "output": ("network", "x", "unit"),
    "prediction": ("network", "x"),
    "onehot": ("classes", "label", "zero_based"),
}
DEFAULT_TOLERANCE = 1e-4
COLUMNS = ("id", "submission", "student", "score", "max_score", "error")
"""The fixed columns of the grades CSV and the key (key.csv); no question id may be one
of them (in any case, with any spaces around it), or a spreadsheet reads the wrong column."""
MAX_ANSWER_BYTES = 1024 * 1024
"""Largest student answer file read, in bytes: answers are short."""


@dataclass(frozen=True)
class Question:
    """One question: what nncalc computed for it, and how answers are compared with that."""

    id: str
    kind: str
    computed: Any
    points: float = 1.0
    text: str | None = None
    answer: Any = None
    tolerance: float = DEFAULT_TOLERANCE
    rel_tolerance: float = 0.0
    labels: tuple[str, ...] | None = None

    def check(self, given: Any) -> tuple[bool, str | None]:
        """(whether ``given`` is right, and if not, why)."""
        if given is None:
            return False, "no answer"
        if self.kind in ("params", "onehot"):
            return _check_exact(self.computed, given)
        if self.kind == "prediction":
            return _check_prediction(self.computed, self.labels, given)
        return _check_numbers(self.computed, given, self.tolerance, self.rel_tolerance)


@dataclass(frozen=True)
class Sheet:
    title: str | None
    questions: tuple[Question, ...]
    source: str

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions)


@dataclass(frozen=True)
class Mark:
    """One question of one submission."""

    question: Question
    given: Any
    ok: bool
    reason: str | None

    @property
    def score(self) -> float:
        return self.question.points if self.ok else 0.0


@dataclass(frozen=True)
class Grade:
    """A submission's marks, or the error that made it unreadable (scored 0)."""

    sheet: Sheet
    submission: str
    marks: tuple[Mark, ...] = ()
    error: str | None = None
    ignored: tuple[str, ...] = field(default=())

    @property
    def score(self) -> float:
        return sum(m.score for m in self.marks)


def load_sheet(path: str | os.PathLike[str]) -> Sheet:
    """Read a sheet and compute every answer. Raises NNCalcError listing its problems."""
    doc = load_file(path)
    if isinstance(doc, YDict) and "variants" in doc:
        raise doc.key_pos["variants"].error(
            "this sheet has variants: each student has their own key",
            "give --student ID (check), --students ROSTER (grade), or use nncalc variants",
        )
    return from_yaml(doc, str(path))


def from_yaml(doc: Any, source: str) -> Sheet:
    """A sheet from a parsed YAML document (see yamlfile.parse), every answer computed."""
    return _SheetReader(source).sheet(doc)


def key_marks(sheet: Sheet) -> list[Mark]:
    """The sheet's own ``answer:`` of each question (if any) checked against nncalc."""
    return [Mark(q, q.answer, *q.check(q.answer)) for q in sheet.questions if q.answer is not None]


def grade(sheet: Sheet, answers: dict[str, Any], submission: str = "") -> Grade:
    """Mark a student's answers (question id → answer); a missing answer scores 0."""
    marks = tuple(Mark(q, answers.get(q.id), *q.check(answers.get(q.id))) for q in sheet.questions)
    ids = {q.id for q in sheet.questions}
    ignored = tuple(k for k in answers if k not in ids)
    return Grade(sheet, submission, marks, None, ignored)


def read_answers(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A student's file: a mapping of question ids to answers, at most MAX_ANSWER_BYTES.

    It must be a regular file itself, not a symbolic link (to the sheet, say), a FIFO or a
    device: that is checked with lstat, before the file is opened. Its folders may be links.
    """
    source = str(path)
    check_regular(source)
    doc = load_file(path, MAX_ANSWER_BYTES)
    if not isinstance(doc, YDict):
        raise NNCalcError.at(
            f"expected a mapping of question ids to answers, found {kind(doc)}",
            source,
            1,
            hint="write q1: 60",
        )
    return dict(doc)


def check_regular(source: str) -> None:
    """Refuse a submission that is not a regular file, without opening it (lstat)."""
    try:
        mode = os.lstat(source).st_mode
    except OSError:
        return  # missing or out of reach: reading it says which
    if not stat.S_ISREG(mode):
        what = "a symbolic link" if stat.S_ISLNK(mode) else not_regular(mode)
        raise NNCalcError.at(what, source, hint="submissions must be regular files")


def students(submissions: Sequence[str]) -> list[str]:
    """Each submission's student: its folder's name when other submissions have the same
    file name (FOLDER/answers.yaml), else its file name without the extension."""
    paths = [Path(s) for s in submissions]
    names = Counter(p.name for p in paths)
    return [(p.parent.name if names[p.name] > 1 else "") or p.stem or str(p) for p in paths]


def show(value: Any, limit: int | None = EXCERPT) -> str:
    """An answer as text, numbers to 10 significant digits; an excerpt of at most ``limit``
    characters (None: all of it), built without expanding the rest."""
    parts: list[str] = []
    size = 0
    for piece in _pieces(value):
        parts.append(piece if limit is None else piece[: limit + 1])
        size += len(parts[-1])
        if limit is not None and size > limit:
            break
    text = "".join(parts)
    return text if limit is None else cut(text, limit)


def _pieces(value: Any) -> Iterator[str]:
    if isinstance(value, float):
        yield f"{value:.10g}"
    elif isinstance(value, list | dict):
        items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
        yield "[" if isinstance(value, list) else "{"
        for k, (key, item) in enumerate(items):
            yield ", " if k else ""
            yield "" if key is None else f"{key}: "
            yield from _pieces(item)
        yield "]" if isinstance(value, list) else "}"
    else:
        yield "—" if value is None else str(value)


def bounded(value: Any) -> Any:
    """For JSON: a value as read when its JSON is short, else an excerpt of it as text."""
    if isinstance(value, str):
        return cut(value)
    if (
        value is None
        or isinstance(value, bool)
        or (isinstance(value, float) and math.isfinite(value))
    ):
        return value
    text = show(value)
    try:
        short = len(text) < EXCERPT and len(json.dumps(value, allow_nan=False)) <= EXCERPT
    except ValueError:  # NaN or infinity
        short = False
    return value if short else text


def grade_file(sheet: Sheet, path: str | os.PathLike[str]) -> Grade:
    """Grade one submission file; an unreadable file becomes a Grade with its error."""
    try:
        return grade(sheet, read_answers(path), str(path))
    except NNCalcError as e:
        return Grade(sheet, str(path), error="; ".join(str(p) for p in e.problems))


# --- comparing answers -----------------------------------------------------------------


def _number(value: Any) -> float | None:
    """A student's number: a YAML number or text that reads as one."""
    if isinstance(value, bool):
        return None
    if is_number(value):
        try:
            return float(value)
        except OverflowError:
            return None
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def _numbers(value: Any, n: int) -> list[float] | None:
    """n numbers, from a YAML list or from text like '0, 0, 1'; None if it is not that."""
    if isinstance(value, str) and ("," in value or " " in value.strip()):
        value = value.replace(",", " ").split(maxsplit=n)
    if not isinstance(value, list) or len(value) != n:
        return None
    numbers = [_number(v) for v in value]
    return None if any(n is None for n in numbers) else numbers  # type: ignore[return-value]


def _check_exact(expected: int | list[int], given: Any) -> tuple[bool, str | None]:
    if isinstance(expected, list):  # a one-hot vector
        got = _numbers(given, len(expected))
        ok = got is not None and got == expected
        wanted = onehot.shown(expected)
    else:
        got = _number(given)
        ok = got is not None and got == expected
        wanted = show(expected, None)
    return ok, None if ok else f"expected {wanted}, given {show(given)}"


def _check_numbers(
    expected: float | list[float], given: Any, tolerance: float, rel_tolerance: float
) -> tuple[bool, str | None]:
    if isinstance(expected, list):
        got = _numbers(given, len(expected))
        if got is None:
            return False, f"expected {len(expected)} numbers, given {show(given)}"
        pairs = list(zip(expected, got, strict=True))
    else:
        if isinstance(given, list) and len(given) == 1:
            given = given[0]  # [0.47] for 0.47
        got1 = _number(given)
        if got1 is None:
            return False, f"expected a number, given {show(given)}"
        pairs = [(expected, got1)]
    for k, (e, g) in enumerate(pairs, start=1):
        allowed = max(tolerance, rel_tolerance * abs(e))
        off = abs(g - e)
        if not off <= allowed:  # also false for NaN
            where = f"entry {k}: " if len(pairs) > 1 else ""
            return False, (
                f"{where}expected {show(e)}, given {show(g)}: off by {off:.3g}, "
                f"more than the tolerance {allowed:.3g}"
            )
    return True, None


def _check_prediction(
    expected: int, labels: tuple[str, ...] | None, given: Any
) -> tuple[bool, str | None]:
    name = labels[expected - 1] if labels else None
    number = _number(given)
    ok = (number is not None and number == expected) or (
        name is not None and isinstance(given, str) and given.strip() == name
    )
    shown = f"unit {expected}" + (f" ({name})" if name else "")
    return ok, None if ok else f"expected {shown}, given {show(given)}"


# --- reading the sheet -----------------------------------------------------------------


class _SheetReader(Checker):
    """Checks an answer sheet and computes each question's answer."""

    def __init__(self, source: str) -> None:
        super().__init__(source)
        self.folder = Path(source).parent
        self.networks: dict[str, Network] = {}
        self.onehot_entries = 0

    def sheet(self, doc: Any) -> Sheet:
        doc = self.document(doc, "questions", SHEET_KEYS, "the sheet")
        title = self.text(doc, "title")
        tolerance = self.tolerance(doc, "tolerance", DEFAULT_TOLERANCE)
        rel_tolerance = self.tolerance(doc, "rel_tolerance", 0.0)
        items = doc.get("questions")
        if not isinstance(items, YList) or not items:
            pos = doc.value_pos.get("questions", doc.pos)
            self.problem(pos, "'questions' should be a non-empty list of questions")
            self.raise_problems()
        questions = []
        for k, (item, pos) in enumerate(zip(items, items.item_pos, strict=True), start=1):
            question = self.question(item, pos, k, tolerance, rel_tolerance)
            if question is not None:
                questions.append(question)
        uses = Counter(q.id for q in questions)
        for q, item in zip(questions, items, strict=False):
            if uses[q.id] > 1 and isinstance(item, YDict):
                self.problem(
                    item.value_pos.get("id", item.pos), f"question id '{q.id}' is used twice"
                )
        self.raise_problems()
        return Sheet(title, tuple(questions), self.source)

    def tolerance(self, d: YDict, key: str, default: float) -> float:
        if key not in d:
            return default
        value = self.entry(d[key], d.value_pos[key], f"'{key}'")
        if value is not None and value < 0:
            self.problem(d.value_pos[key], f"'{key}' is negative", "a tolerance is ≥ 0")
        return default if value is None else abs(value)

    def question(
        self, d: Any, pos: Pos, k: int, tolerance: float, rel_tolerance: float
    ) -> Question | None:
        where = f"question {k}"
        if not isinstance(d, YDict):
            self.problem(pos, f"{where} should be a mapping, found {kind(d)}")
            return None
        self.check_keys(d, QUESTION_KEYS, where)
        qid = self.text(d, "id")
        if not qid:
            self.problem(d.pos, f"{where} has no 'id'", "give it a short name such as q1")
            return None
        where = f"question {excerpt(qid)}"
        if qid.strip().lower() in COLUMNS:
            self.problem(
                d.value_pos["id"],
                f"question id {excerpt(qid)} is the name of a column of the grades CSV",
                f"rename it, e.g. q_{qid.strip()}",
            )
            return None
        kinds = [key for key in KINDS if key in d]
        if len(kinds) != 1:
            found = " and ".join(kinds) if kinds else "none"
            self.problem(
                d.pos,
                f"{where} needs exactly one kind, found {found}",
                f"one of: {', '.join(KINDS)}",
            )
            return None
        what = kinds[0]
        spec = d[what]
        if not isinstance(spec, YDict):
            self.problem(
                d.value_pos[what], f"{where}: '{what}' should be a mapping, found {kind(spec)}"
            )
            return None
        self.check_keys(spec, SPEC_KEYS[what], f"{where}'s {what}")
        try:
            computed, labels = getattr(self, f"compute_{what}")(spec, where)
        except _QuestionError:
            return None
        return Question(
            qid,
            what,
            computed,
            points=self.tolerance(d, "points", 1.0),
            text=self.text(d, "text"),
            answer=d.get("answer"),
            tolerance=self.tolerance(d, "tolerance", 0.0 if "rel_tolerance" in d else tolerance),
            rel_tolerance=self.tolerance(d, "rel_tolerance", rel_tolerance),
            labels=labels,
        )

    # --- computing each kind ---------------------------------------------------------

    def network(self, spec: YDict, where: str) -> Network:
        if "network" not in spec:
            self.problem(
                spec.pos, f"{where}: no 'network' given", "network: FILE (relative to the sheet)"
            )
            raise _QuestionError
        value = spec["network"]
        if isinstance(value, Network):  # a student's variant (grading.variants)
            return value
        if isinstance(value, YDict):
            return netfile.from_yaml(value, self.source)
        if not isinstance(value, str):
            self.problem(spec.value_pos["network"], f"{where}: 'network' should be a file name")
            raise _QuestionError
        path = str(self.folder / value)
        if path not in self.networks:
            self.networks[path] = netfile.load(path)
        return self.networks[path]

    def whole(self, spec: YDict, key: str, where: str, low: int, high: int | None) -> int | None:
        if key not in spec:
            return None
        value, pos = spec[key], spec.value_pos[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < low
            or (high is not None and value > high)
        ):
            top = "" if high is None else f" … {high}"
            self.problem(
                pos, f"{where}: '{key}' should be a whole number in {low}{top}, found {kind(value)}"
            )
            raise _QuestionError
        return value

    def x(self, spec: YDict, net: Network, where: str) -> list[float]:
        if "x" not in spec:
            self.problem(spec.pos, f"{where}: no 'x' given", "x: [66, 39, 12]")
            raise _QuestionError
        value, pos = spec["x"], spec.value_pos["x"]
        row = self.numbers(value, pos, f"{where}: x")
        if row is None:
            raise _QuestionError
        if len(row) != net.sizes[0]:
            self.problem(pos, f"{where}: x has {len(row)} numbers, expected s_1 = {net.sizes[0]}")
            raise _QuestionError
        return row

    def compute_params(self, spec: YDict, where: str) -> tuple[int, None]:
        if "sizes" in spec:
            sizes = spec["sizes"]
            if not isinstance(sizes, YList) or not all(
                isinstance(s, int) and not isinstance(s, bool) for s in sizes
            ):
                self.problem(
                    spec.value_pos["sizes"], f"{where}: 'sizes' should be a list of whole numbers"
                )
                raise _QuestionError
            counts = _or_problem(self, spec.value_pos["sizes"], lambda: params.count(list(sizes)))
        else:
            counts = params.of_network(self.network(spec, where))
        theta = self.whole(spec, "theta", where, 1, len(counts.thetas))
        return (counts.total if theta is None else counts.theta(theta).total), None

    def compute_values(self, spec: YDict, where: str, letter: str) -> tuple[Any, None]:
        net = self.network(spec, where)
        x = self.x(spec, net, where)
        first = 2 if letter == "z" else 1
        if letter == "h":
            j = net.L
        else:
            j = self.whole(spec, "layer", where, first, net.L)
            if j is None:
                self.problem(spec.pos, f"{where}: no 'layer' given", f"layer: {first} … {net.L}")
                raise _QuestionError
        trace = net.forward(x)
        values = (trace.z if letter == "z" else trace.a)[j][0].tolist()
        unit = self.whole(spec, "unit", where, 1, len(values))
        if unit is None and len(values) == 1:
            unit = 1  # a layer of one unit: its value is a number
        return (values if unit is None else values[unit - 1]), None

    def compute_z(self, spec: YDict, where: str) -> tuple[Any, None]:
        return self.compute_values(spec, where, "z")

    def compute_activation(self, spec: YDict, where: str) -> tuple[Any, None]:
        return self.compute_values(spec, where, "a")

    def compute_output(self, spec: YDict, where: str) -> tuple[Any, None]:
        return self.compute_values(spec, where, "h")

    def compute_prediction(self, spec: YDict, where: str) -> tuple[int, tuple[str, ...] | None]:
        net = self.network(spec, where)
        unit = int(net.forward(self.x(spec, net, where)).predictions[0])
        return unit, net.classes

    def compute_onehot(self, spec: YDict, where: str) -> tuple[list[int], None]:
        for key in ("classes", "label"):
            if key not in spec:
                self.problem(spec.pos, f"{where}: no '{key}' given")
                raise _QuestionError
        value, pos = spec["classes"], spec.value_pos["classes"]
        zero_based = bool(spec.get("zero_based", False))
        if isinstance(value, YList):
            names = tuple(str(v) for v in value)
            classes = _or_problem(self, pos, lambda: onehot.Classes(len(names), names, zero_based))
        elif isinstance(value, int) and not isinstance(value, bool):
            classes = _or_problem(self, pos, lambda: onehot.Classes(value, None, zero_based))
        else:
            self.problem(pos, f"{where}: 'classes' should be K or a list of names")
            raise _QuestionError
        self.onehot_entries += classes.K  # the sheet's one-hot vectors, bounded as one Y
        what = f"{where} and the one-hot answers before it, {self.onehot_entries:,} entries,"
        _or_problem(self, pos, lambda: onehot.within_limit(self.onehot_entries, what))
        label = spec["label"]
        (y,) = _or_problem(self, spec.value_pos["label"], lambda: onehot.encode([label], classes))
        return y, None


class _QuestionError(Exception):
    """A question that cannot be computed; its problem is already recorded."""


def _or_problem(checker: Checker, pos: Pos, compute: Any) -> Any:
    """compute(), with an NNCalcError recorded as a problem at pos."""
    try:
        return compute()
    except NNCalcError as e:
        checker.problem(pos, e.problems[0].message, e.problems[0].hint)
        raise _QuestionError from None
