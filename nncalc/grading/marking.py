"""Answer sheets and grading: nncalc computes every answer, then marks students' answers.

The sheet format is documented in docs/grading.md.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nncalc import onehot, params
from nncalc.errors import EXCERPT, NNCalcError, cut, excerpt
from nncalc.expect import AS_WRITTEN, Tolerance
from nncalc.files import netfile
from nncalc.files.checker import Checker, kind
from nncalc.files.yamlfile import Pos, YDict, YList, load_file
from nncalc.grading import answers, submission
from nncalc.network import Network

if TYPE_CHECKING:
    from nncalc.backprop import Gradients

TOLERANCE_KEYS = {"atol": "atol", "tolerance": "atol", "rtol": "rtol", "rel_tolerance": "rtol"}
"""The keys of a tolerance and what each sets (tolerance and rel_tolerance: older names)."""
RULE_KEYS = (*TOLERANCE_KEYS, "sigfigs", "decimals")
SHEET_KEYS = ("title", "strict", "partial", *RULE_KEYS, "questions")
MAX_ANSWER_BYTES = submission.MAX_ANSWER_BYTES
GRADES_COLUMNS = (
    "student",
    "name",
    "email",
    "score",
    "max_score",
    "status",
    "submission",
    "error",
    "warnings",
)
"""The fixed columns of the grades CSV (render.grading writes them in this order)."""
COLUMNS = ("id", *GRADES_COLUMNS)
"""The fixed columns of the grades CSV and the key (key.csv); no question id may be one
of them (in any case, with any spaces around it), or a spreadsheet reads the wrong column."""


@dataclass(frozen=True)
class Kind:
    """A kind of question: the keys of its spec, how nncalc computes its answer (a method
    of the sheet's reader: (spec, where) → (answer, class names or None)), and how a
    student's answer is read and judged (a key of answers.ANSWERS)."""

    keys: tuple[str, ...]
    compute: Callable[[Any, YDict, str], tuple[Any, tuple[str, ...] | None]]
    answer: str


@dataclass(frozen=True)
class Question:
    """One question: what nncalc computed for it, and how answers are compared with that."""

    id: str
    kind: str
    computed: Any
    points: float = 1.0
    text: str | None = None
    answer: Any = None
    tolerance: Tolerance = AS_WRITTEN
    labels: tuple[str, ...] | None = None
    partial: bool = True
    strict: bool = False

    def mark(self, given: Any) -> Mark:
        """``given`` (as written in a file: text, or a list of texts) marked."""
        asked = answers.Asked(
            KIND[self.kind].answer,
            self.computed,
            self.labels,
            self.tolerance,
            self.strict,
            self.partial,
        )
        return Mark(self, given, answers.judged(asked, given))


@dataclass(frozen=True)
class Sheet:
    title: str | None
    questions: tuple[Question, ...]
    source: str
    strict: bool = False

    @property
    def max_score(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def ids(self) -> list[str]:
        return [q.id for q in self.questions]


@dataclass(frozen=True)
class Mark:
    """One question of one submission: the answer as given, and how it was judged."""

    question: Question
    given: Any
    judged: answers.Judged

    @property
    def score(self) -> float:
        return self.question.points * self.judged.credit

    @property
    def ok(self) -> bool:
        return self.judged.credit == 1.0

    @property
    def reason(self) -> str | None:
        return self.judged.reason

    @property
    def problem(self) -> str | None:
        return self.judged.problem


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

    @property
    def problems(self) -> list[Mark]:
        """The marks with a format problem."""
        return [m for m in self.marks if m.problem]


def load_sheet(path: str | os.PathLike[str]) -> Sheet:
    """Read a sheet and compute every answer. Raises NNCalcError listing its problems."""
    doc = load_file(path)
    if isinstance(doc, YDict) and "variants" in doc:
        raise doc.key_pos["variants"].error(
            "this sheet has variants: each student has their own key",
            "give --student ID or --students ROSTER, or use nncalc variants",
        )
    return from_yaml(doc, str(path))


def from_yaml(doc: Any, source: str) -> Sheet:
    """A sheet from a parsed YAML document (see yamlfile.parse), every answer computed."""
    return _SheetReader(source).sheet(doc)


def question_rule(doc: YDict, question: YDict) -> Tolerance:
    """A question's tolerance as its sheet gives it (the sheet's reader reports problems)."""
    reader = _SheetReader(doc.pos.source)
    return reader.rule(question, reader.rule(doc, AS_WRITTEN))


def key_marks(sheet: Sheet) -> list[Mark]:
    """The sheet's own ``answer:`` of each question (if any) checked against nncalc."""
    return [q.mark(_key_text(q.answer)) for q in sheet.questions if q.answer is not None]


def _key_text(value: Any) -> Any:
    """The sheet's answer as text: a number as its shortest decimal, a list item by item."""
    if isinstance(value, list):
        return [_key_text(v) for v in value]
    return value if isinstance(value, str) or value is None else repr(value)


def grade(sheet: Sheet, given: dict[str, Any], source: str = "") -> Grade:
    """Mark a student's answers (question id → answer as written); a missing answer
    scores 0, ids not on the sheet are listed as ignored."""
    entries = [(str(k), v, 0) for k, v in given.items()]
    return grade_submission(sheet, submission.matched(source, entries, sheet.ids, sheet.strict))


def grade_submission(sheet: Sheet, read: submission.Submission) -> Grade:
    """Mark what a submission file answers."""
    marks = []
    for q in sheet.questions:
        if q.id in read.twice:
            twice = answers.format_problem(f"{q.id} {read.twice[q.id]}; give one answer")
            marks.append(Mark(q, read.answers.get(q.id), twice))
        else:
            marks.append(q.mark(read.answers.get(q.id)))
    return Grade(sheet, read.path, tuple(marks), None, read.unknown)


def error_text(e: NNCalcError) -> str:
    """An error's problems as one line."""
    return "; ".join(str(p) for p in e.problems)


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
        strict = self.flag(doc, "strict", False)
        partial = self.flag(doc, "partial", True)
        rule = self.rule(doc, AS_WRITTEN)
        items = doc.get("questions")
        if not isinstance(items, YList) or not items:
            pos = doc.value_pos.get("questions", doc.pos)
            self.problem(pos, "'questions' should be a non-empty list of questions")
            self.raise_problems()
        questions = []
        for k, (item, pos) in enumerate(zip(items, items.item_pos, strict=True), start=1):
            question = self.question(item, pos, k, rule, partial)
            if question is not None:
                questions.append(replace(question, strict=strict))
        self.check_ids(questions, items, strict)
        self.raise_problems()
        return Sheet(title, tuple(questions), self.source, strict)

    def check_ids(self, questions: list[Question], items: YList, strict: bool) -> None:
        """Each id once, and (unless strict) once as students may write it ('Q 1' is q1);
        none called 'student', which names whose answers a file holds."""
        key = (lambda s: s) if strict else submission.question_key
        groups: dict[str, list[tuple[Question, Any]]] = {}
        for q, item in zip(questions, items, strict=False):
            groups.setdefault(key(q.id), []).append((q, item))
        for k, members in groups.items():
            spellings = list(dict.fromkeys(excerpt(q.id) for q, _ in members))
            for q, item in members:
                pos = item.value_pos.get("id", item.pos) if isinstance(item, YDict) else None
                if k == submission.STUDENT:
                    why = f"question id {excerpt(q.id)} is taken: 'student:' names the student"
                elif len(spellings) > 1:
                    one = " and ".join(spellings)
                    why = f"question ids {one} are one id to students (any case, no spaces)"
                elif len(members) > 1:
                    why = f"question id {excerpt(q.id)} is used twice"
                else:
                    continue
                self.problem(pos, why)

    def flag(self, d: YDict, key: str, default: bool) -> bool:
        value = d.get(key, default)
        if not isinstance(value, bool):
            self.problem(d.value_pos[key], f"'{key}' should be true or false, found {kind(value)}")
            return default
        return value

    def rule(self, d: YDict, default: Tolerance) -> Tolerance:
        """A tolerance given in ``d`` (replacing ``default`` as a whole), else ``default``."""
        given = [key for key in RULE_KEYS if key in d]
        if not given:
            return default
        chosen = {TOLERANCE_KEYS.get(key, key) for key in given}
        if len(chosen) < len(given) or (chosen - {"atol", "rtol"} and len(chosen) > 1):
            self.problem(
                d.key_pos[given[1]],
                f"'{given[0]}' and '{given[1]}' do not go together",
                "give atol and/or rtol, or sigfigs, or decimals",
            )
            return default
        values = {}
        for key in given:
            name, pos = TOLERANCE_KEYS.get(key, key), d.value_pos[key]
            if name in ("sigfigs", "decimals"):
                low = 1 if name == "sigfigs" else 0
                ok = (
                    isinstance(d[key], int) and not isinstance(d[key], bool) and low <= d[key] <= 17
                )
                if not ok:
                    self.problem(pos, f"'{key}' should be a whole number in {low} … 17")
                values[name] = d[key] if ok else None
            else:
                value = self.entry(d[key], pos, f"'{key}'")
                if value is not None and value < 0:
                    self.problem(pos, f"'{key}' is negative", "a tolerance is ≥ 0")
                values[name] = None if value is None else abs(value)
        if "atol" in values or "rtol" in values:
            values = {"atol": values.get("atol") or 0.0, "rtol": values.get("rtol") or 0.0}
        return Tolerance(**values)

    def points(self, d: YDict) -> float:
        if "points" not in d:
            return 1.0
        value = self.entry(d["points"], d.value_pos["points"], "'points'")
        if value is not None and value < 0:
            self.problem(d.value_pos["points"], "'points' is negative", "points are ≥ 0")
        return 1.0 if value is None else abs(value)

    def question(self, d: Any, pos: Pos, k: int, rule: Tolerance, partial: bool) -> Question | None:
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
        self.check_keys(spec, KIND[what].keys, f"{where}'s {what}")
        try:
            computed, labels = KIND[what].compute(self, spec, where)
        except _QuestionError:
            return None
        return Question(
            qid,
            what,
            computed,
            points=self.points(d),
            text=self.text(d, "text"),
            answer=d.get("answer"),
            tolerance=self.rule(d, rule),
            labels=labels,
            partial=self.flag(d, "partial", partial),
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

    def x(self, spec: YDict, net: Network, where: str) -> list[list[float]]:
        """x's examples: one, or each row of a list of examples (a truth table)."""
        if "x" not in spec:
            self.problem(spec.pos, f"{where}: no 'x' given", "x: [66, 39, 12]")
            raise _QuestionError
        value, pos = spec["x"], spec.value_pos["x"]
        table = is_table(value)
        rows = []
        for k, item in enumerate(value if table else [value], start=1):
            at = value.item_pos[k - 1] if table else pos
            what = f"{where}: x, example {k}" if table else f"{where}: x"
            row = self.numbers(item, at, what)
            if row is not None and len(row) != net.sizes[0]:
                self.problem(at, f"{what} has {len(row)} numbers, expected s_1 = {net.sizes[0]}")
                row = None
            rows.append(row)
        if None in rows:
            raise _QuestionError
        return rows  # type: ignore[return-value]

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
        layer = (trace.z if letter == "z" else trace.a)[j].tolist()
        unit = self.unit(spec, where, len(layer[0]))
        if not is_table(spec["x"]):
            return (layer[0] if unit is None else layer[0][unit - 1]), None
        if unit is None:
            self.problem(
                spec.pos,
                f"{where}: x is a list of examples, so each answer must be one number",
                f"give unit: 1 … {len(layer[0])}",
            )
            raise _QuestionError
        return [values[unit - 1] for values in layer], None

    def unit(self, spec: YDict, where: str, n: int) -> int | None:
        """The spec's unit of a layer of n units (None: all of them); a layer of one unit
        gives its one."""
        unit = self.whole(spec, "unit", where, 1, n)
        return 1 if unit is None and n == 1 else unit

    def pick(self, spec: YDict, where: str, values: list[float]) -> Any:
        """The spec's unit of a layer's values, or all of them."""
        unit = self.unit(spec, where, len(values))
        return values if unit is None else values[unit - 1]

    def compute_z(self, spec: YDict, where: str) -> tuple[Any, None]:
        return self.compute_values(spec, where, "z")

    def compute_activation(self, spec: YDict, where: str) -> tuple[Any, None]:
        return self.compute_values(spec, where, "a")

    def compute_output(self, spec: YDict, where: str) -> tuple[Any, None]:
        return self.compute_values(spec, where, "h")

    def required(self, spec: YDict, key: str, where: str, low: int, high: int) -> int:
        """A whole number the spec must give, in low … high."""
        value = self.whole(spec, key, where, low, high)
        if value is None:
            self.problem(spec.pos, f"{where}: no '{key}' given", f"{key}: {low} … {high}")
            raise _QuestionError
        return value

    def gradients(self, spec: YDict, where: str) -> Gradients:
        """Backpropagation of the spec's example x with its label y (a class, a name, or a
        row of K numbers; zero_based for class numbers from 0) and λ (``lambda``, 0)."""
        net = self.network(spec, where)
        x = self.x(spec, net, where)
        if len(x) > 1:
            self.problem(spec.pos, f"{where}: x is one example here", "x: [1, 2], with its y")
            raise _QuestionError
        if "y" not in spec:
            self.problem(spec.pos, f"{where}: no 'y' given", "y: 3 (a class), or y: [0, 1, 0]")
            raise _QuestionError
        value, pos = spec["y"], spec.value_pos["y"]
        written = [str(v) for v in value] if isinstance(value, YList) else [str(value)]
        classes = onehot.Classes(net.sizes[-1], net.classes, bool(spec.get("zero_based", False)))
        y = _or_problem(self, pos, lambda: onehot.target(written, classes))
        lam = self.number(spec, "lambda", where, 0.0)
        return _or_problem(self, spec.pos, lambda: net.backward(x, [y], lam or 0.0))

    def compute_cost(self, spec: YDict, where: str) -> tuple[float, None]:
        return self.gradients(spec, where).cost.J, None

    def compute_delta(self, spec: YDict, where: str) -> tuple[Any, None]:
        grads = self.gradients(spec, where)
        j = self.required(spec, "layer", where, 2, grads.network.L)
        return self.pick(spec, where, grads.delta[j][0].tolist()), None

    def compute_gradient(self, spec: YDict, where: str) -> tuple[Any, None]:
        grads = self.gradients(spec, where)
        j = self.required(spec, "theta", where, 1, grads.network.L - 1)
        rows, columns = grads.D[j].shape
        i = self.required(spec, "i", where, 1, rows)
        m = self.whole(spec, "m", where, 0, columns - 1)
        row = grads.D[j][i - 1].tolist()
        return (row if m is None else row[m]), None

    def compute_prediction(self, spec: YDict, where: str) -> tuple[Any, tuple[str, ...] | None]:
        net = self.network(spec, where)
        units = [int(u) for u in net.forward(self.x(spec, net, where)).predictions]
        return (units if is_table(spec["x"]) else units[0]), net.classes

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


LABELLED = ("network", "x", "y", "lambda", "zero_based")
"""The keys of a question about backpropagation: one example x, its label y, and λ."""

KIND: dict[str, Kind] = {
    "params": Kind(("sizes", "network", "theta"), _SheetReader.compute_params, "count"),
    "z": Kind(("network", "x", "layer", "unit"), _SheetReader.compute_z, "real"),
    "activation": Kind(("network", "x", "layer", "unit"), _SheetReader.compute_activation, "real"),
    "output": Kind(("network", "x", "unit"), _SheetReader.compute_output, "real"),
    "prediction": Kind(("network", "x"), _SheetReader.compute_prediction, "class"),
    "onehot": Kind(("classes", "label", "zero_based"), _SheetReader.compute_onehot, "exact"),
    "cost": Kind(LABELLED, _SheetReader.compute_cost, "real"),
    "delta": Kind((*LABELLED, "layer", "unit"), _SheetReader.compute_delta, "real"),
    "gradient": Kind((*LABELLED, "theta", "i", "m"), _SheetReader.compute_gradient, "real"),
}
"""Every kind of question (docs/grading.md, "The sheet"): add a kind here."""
KINDS = tuple(KIND)
QUESTION_KEYS = ("id", "text", "points", "answer", "partial", *RULE_KEYS, *KINDS)


def is_table(x: Any) -> bool:
    """Whether a question's x is a list of examples (a truth table), each answered."""
    return isinstance(x, list) and bool(x) and all(isinstance(row, list) for row in x)


def classes_shown(q: Question) -> Any:
    """A prediction's answer by class name (a list for a list of examples), when the
    network names its classes; else what nncalc computed."""
    if q.kind != "prediction" or not q.labels:
        return q.computed
    if isinstance(q.computed, list):
        return [q.labels[u - 1] for u in q.computed]
    return q.labels[q.computed - 1]


class _QuestionError(Exception):
    """A question that cannot be computed; its problem is already recorded."""


def _or_problem(checker: Checker, pos: Pos, compute: Any) -> Any:
    """compute(), with an NNCalcError recorded as a problem at pos."""
    try:
        return compute()
    except NNCalcError as e:
        checker.problem(pos, e.problems[0].message, e.problems[0].hint)
        raise _QuestionError from None
