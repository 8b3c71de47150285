"""Hand-outs: a sheet as a student receives it. The questions, every network they use with
each Θ^(j) written out, every x, what form each answer takes, and how to hand answers in;
never an answer, a seed or the instructor's file names.

A plain sheet gives one hand-out for everyone (a student's id and name only head it); a
sheet with variants gives each student their own values (see grading.variants).

    >>> from nncalc.grading import handouts
    >>> sheet = handouts.read("samples/grading/variants-sheet.yaml")
    >>> h = handouts.make(sheet, handouts.Student("alice"))
    >>> [g.label for g in h.given], h.questions[0].form
    (['net', 'x'], 'a number')
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nncalc.errors import NNCalcError
from nncalc.files import netfile
from nncalc.files.outputs import atomic_files, not_an_input
from nncalc.files.yamlfile import YDict, load_file
from nncalc.grading import marking, variants
from nncalc.grading.roster import Student
from nncalc.network import Network

FILES = ("questions.md", "questions.tex", "answers.yaml")
"""What each student gets: the hand-out in Markdown and in LaTeX, and the answers template."""
MAX_LISTED = 6
"""Prediction questions list the class names of networks with at most this many classes."""


@dataclass(frozen=True)
class Step:
    """Θ^(j) of a network on the hand-out, its entries as exact decimals, with its g (and a
    SwiGLU layer's gate and β)."""

    theta: tuple[tuple[str, ...], ...]
    g: str
    gate: tuple[tuple[str, ...], ...] | None = None
    beta: str | None = None


@dataclass(frozen=True)
class Given:
    """A network (its steps Θ^(1) … Θ^(L−1)) or a vector x (its entries), which questions
    name by ``label``: a random value's name, or 'network 1', 'network 2', … for fixed ones."""

    label: str
    sizes: tuple[int, ...]
    steps: tuple[Step, ...] = ()
    entries: tuple[str, ...] = ()
    classes: tuple[str, ...] | None = None

    @property
    def is_network(self) -> bool:
        return bool(self.steps)


@dataclass(frozen=True)
class Piece:
    """Part of a sentence: ``text`` (outside text, escaped by each renderer), ``math``
    (LaTeX math written by nncalc) or ``name`` (a Given's label)."""

    kind: str
    value: str


@dataclass(frozen=True)
class Asked:
    """A question as the hand-out asks it: the quantity to give, for which network (a
    Given's label) and x (a Given's label, or the examples written out), and the form of
    the answer."""

    id: str
    kind: str
    points: float
    text: str | None
    quantity: tuple[Piece, ...]
    form: str
    network: str | None = None
    x: str | tuple[tuple[str, ...], ...] | None = None
    labelled: tuple[Piece, ...] = ()
    """What follows x: a backpropagation question's label y and its λ."""

    @property
    def count(self) -> int | None:
        """How many answers a list of examples (a truth table) asks for; None: one."""
        many = isinstance(self.x, tuple) and len(self.x) > 1
        return len(self.x) if many else None


@dataclass(frozen=True)
class Handout:
    title: str
    student: Student | None
    given: tuple[Given, ...]
    questions: tuple[Asked, ...]
    personal: bool
    """Each student has their own values (a sheet with variants): answers name the student."""

    @property
    def columns(self) -> int:
        """The most columns of any matrix shown (Θ^(j) has s_j + 1)."""
        return max((len(s.theta[0]) for g in self.given for s in g.steps), default=1)


@dataclass(frozen=True)
class Sheet:
    """A sheet read for hand-outs: its document, and its variants if it has a section, or
    else its key (every answer computed, the same for everyone)."""

    doc: YDict
    source: str
    variants: variants.Variants | None
    key: marking.Sheet | None = None


def read(path: str | os.PathLike[str]) -> Sheet:
    """Read a sheet, plain or with variants, checked (NNCalcError lists its problems)."""
    doc = load_file(path)
    source = str(path)
    if isinstance(doc, YDict) and "variants" in doc:
        return Sheet(doc, source, variants.from_yaml(doc, source))
    return Sheet(doc, source, None, marking.from_yaml(doc, source))


def student_sheet(sheet: Sheet, student: Student | None) -> tuple[marking.Sheet, Any]:
    """The student's sheet with every answer computed, and their variant (None for a plain
    sheet). A sheet with variants needs the student."""
    if sheet.variants is None:
        return sheet.key or marking.from_yaml(sheet.doc, sheet.source), None
    if student is None:
        raise NNCalcError.at(
            "this sheet has variants: each student has their own hand-out",
            sheet.source,
            sheet.doc.key_pos["variants"].line,
            hint="give --student ID",
        )
    variant = variants.draw(sheet.variants, student.id)
    return variants.sheet(sheet.variants, variant), variant


def make(sheet: Sheet, student: Student | None = None) -> Handout:
    """The hand-out of ``sheet`` for ``student`` (required when the sheet has variants)."""
    return _handout(sheet, student, student_sheet(sheet, student)[1])


def _handout(sheet: Sheet, student: Student | None, variant: Any) -> Handout:
    builder = _Builder(Path(sheet.source).parent, sheet.source, variant)
    items = sheet.doc.get("questions") or ()
    questions = tuple(q for q in map(builder.question, items) if q is not None)
    title = str(sheet.doc.get("title") or "Questions")
    return Handout(title, student, tuple(builder.given.values()), questions, variant is not None)


def load(path: str | os.PathLike[str], student: str | Student | None = None) -> Handout:
    """The hand-out of the sheet at ``path`` (for a student id or Student)."""
    who = Student(student) if isinstance(student, str) else student
    return make(read(path), who)


def write(handout: Handout, folder: str | os.PathLike[str]) -> None:
    """FOLDER/questions.md, questions.tex and answers.yaml, all written or none."""
    from nncalc.render import handout as render

    texts = render.files(handout)
    for name in texts:
        not_an_input(Path(folder) / name, str(Path(folder) / name))
    with atomic_files() as open_:
        for name, text in texts.items():
            open_(Path(folder) / name, "w").write(text)


def write_class(sheet: Sheet, roster: list[Student], folder: str | os.PathLike[str]) -> list[Any]:
    """FOLDER/ID/ for each student: the hand-out files, and with variants variant.yaml (the
    student's sheet, answers filled in by nncalc); each student's files all or none. Then
    FOLDER/key.csv, a row per student. Returns each student's variant (None: a plain sheet).
    """
    from nncalc.render import handout as render

    top = Path(folder)
    names = [*FILES, *(["variant.yaml"] if sheet.variants else [])]
    for path in [top / "key.csv", *(top / s.id / name for s in roster for name in names)]:
        not_an_input(path, str(path))  # before any is written
    made, keys = [], []
    for student in roster:
        key, variant = student_sheet(sheet, student)
        texts = render.files(_handout(sheet, student, variant))
        if variant is not None:
            texts["variant.yaml"] = variants.variant_yaml(sheet.variants, variant, key)
        try:
            (top / student.id).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise NNCalcError.at(
                f"cannot make a folder: {e.strerror or e}", str(top / student.id)
            ) from None
        with atomic_files() as open_:
            for name, text in texts.items():
                open_(top / student.id / name, "w").write(text)
        made.append(variant)
        keys.append((student.id, key))
    with atomic_files() as open_:
        render.write_key(open_(top / "key.csv", "w"), keys)
    return made


class _Builder:
    """Turns a sheet's questions into Asked, collecting the Given they use in order."""

    def __init__(self, folder: Path, source: str, variant: Any) -> None:
        self.folder = folder
        self.source = source
        self.variant = variant
        self.given: dict[tuple[str, str], Given] = {}  # by $NAME, file or inline mapping

    def question(self, q: Any) -> Asked | None:
        kinds = [k for k in marking.KINDS if isinstance(q, dict) and isinstance(q.get(k), dict)]
        if len(kinds) != 1:
            return None
        what, spec = kinds[0], q[kinds[0]]
        network = self.network(spec["network"]) if "network" in spec else None
        x = self.x(spec["x"]) if "x" in spec else None
        quantity, form = _asked(what, spec, network)
        text = q.get("text")
        asked = Asked(
            str(q.get("id")),
            what,
            float(q.get("points", 1)),
            None if text is None else str(text),
            tuple(quantity),
            form,
            network and network.label,
            x,
            self.labelled(spec),
        )
        if asked.count is None:
            return asked
        each = f"a list of {asked.count} answers, one per x in order: each {form}"
        return replace(asked, form=each)

    def network(self, value: Any) -> Given:
        """The network a question names: a random one ($NAME), a file or an inline mapping."""
        if isinstance(value, str) and value.startswith("$"):
            return self.drawn(value)
        if isinstance(value, str):  # one file, however the sheet spells its path
            key = ("file", os.path.normpath(self.folder / value))
        else:
            key = ("inline", json.dumps(value, sort_keys=True))
        if key not in self.given:
            self.given[key] = _fixed(self.fixed_label(), self.load(value))
        return self.given[key]

    def drawn(self, value: str) -> Given:
        """The student's random value $NAME."""
        key = ("random", value)
        if key not in self.given:
            self.given[key] = _drawn(self.variant.values[value[1:]])
        return self.given[key]

    def fixed_label(self) -> str:
        """A, B, …, Z, AA, AB, …: the first that no value on the hand-out has."""
        taken = {g.label for g in self.given.values()}
        taken |= set(self.variant.values if self.variant else ())
        return next(label for label in map(_letters, itertools.count(1)) if label not in taken)

    def labelled(self, spec: dict) -> tuple[Piece, ...]:
        """', labelled y = …, with λ = …' of a question that gives y (and λ)."""
        pieces: list[Piece] = []
        if "y" in spec:
            y = spec["y"]
            if isinstance(y, str) and y.startswith("$"):
                pieces += [Piece("text", ", labelled y = "), Piece("name", self.drawn(y).label)]
            elif isinstance(y, list):
                row = ", ".join(_decimal(v) for v in y)
                pieces += [Piece("text", ", labelled "), Piece("math", rf"y = \left({row}\right)")]
            else:
                pieces += [Piece("text", f", labelled y = {y}")]
        if spec.get("lambda"):
            pieces += [
                Piece("text", ", with "),
                Piece("math", rf"\lambda = {_decimal(spec['lambda'])}"),
            ]
        return tuple(pieces)

    def load(self, value: Any) -> Network:
        if isinstance(value, str):
            return netfile.load(self.folder / value)
        return netfile.from_yaml(value, self.source)

    def x(self, value: Any) -> str | tuple[tuple[str, ...], ...]:
        """A random x's label, or a fixed x as its examples (one for a plain x)."""
        if isinstance(value, str):
            return self.drawn(value).label
        examples = value if value and isinstance(value[0], list) else [value]
        return tuple(tuple(map(_decimal, x)) for x in examples)


def _asked(what: str, spec: dict, network: Given | None) -> tuple[list[Piece], str]:
    """What a question asks for, as pieces, and the form of one answer."""
    unit = spec.get("unit")
    sub = "" if unit is None else f"_{{{unit}}}"
    layer = spec.get("layer")
    sizes = network.sizes if network is not None else ()
    if what in ("z", "activation", "output"):
        symbol = {"z": f"z^{{({layer})}}", "activation": f"a^{{({layer})}}"}.get(what)
        n = sizes[-1] if what == "output" else sizes[layer - 1]
        numbers = "a number" if unit is not None or n == 1 else f"a list of {n} numbers"
        return [Piece("math", (symbol or r"h_\Theta(x)") + sub)], numbers
    if what == "prediction":
        return [Piece("text", "the predicted class")], _classes_form(network)
    if what == "params":
        theta = spec.get("theta")
        give = [Piece("text", "the number of parameters")]
        if theta is not None:
            give += [Piece("text", " in "), Piece("math", rf"\Theta^{{({theta})}}")]
        if "sizes" in spec:
            sizes_text = "-".join(str(s) for s in spec["sizes"])
            give += [Piece("text", f" of a network of {sizes_text} units")]
        return give, "a whole number"
    if what in BACKPROP:
        return BACKPROP[what](spec, sizes)
    classes = spec["classes"]
    k = len(classes) if isinstance(classes, list) else int(classes)
    of = f" of {k} classes"
    give = [Piece("text", "the one-hot vector of label "), Piece("text", str(spec["label"]))]
    return [*give, Piece("text", of)], f"a list of {k} numbers, 0 or 1"


def _numbers(n: int | None) -> str:
    return "a number" if n is None or n == 1 else f"a list of {n} numbers"


def _cost(spec: dict, sizes: tuple[int, ...]) -> tuple[list[Piece], str]:
    return [Piece("text", "the cost "), Piece("math", r"J(\Theta)")], "a number"


def _delta(spec: dict, sizes: tuple[int, ...]) -> tuple[list[Piece], str]:
    layer, unit = spec.get("layer"), spec.get("unit")
    sub = "" if unit is None else f"_{{{unit}}}"
    n = None if unit is not None or not sizes else sizes[layer - 1]
    return [Piece("math", rf"\delta^{{({layer})}}{sub}")], _numbers(n)


def _gradient(spec: dict, sizes: tuple[int, ...]) -> tuple[list[Piece], str]:
    """D_im^(j) = ∂J/∂Θ_im^(j), or the row D_i^(j) when m is not given."""
    theta, i, m = spec.get("theta"), spec.get("i"), spec.get("m")
    comma = "," if max(int(i or 0), int(m or 0)) >= 10 else ""
    sub = f"{i}{comma}{m}" if m is not None else f"{i}\\cdot"
    n = None if m is not None or not sizes else sizes[theta - 1] + 1
    return [Piece("math", f"D^{{({theta})}}_{{{sub}}}")], _numbers(n)


BACKPROP = {"cost": _cost, "delta": _delta, "gradient": _gradient}
"""The next lecture's questions: what each asks for, and the form of its answer."""


def _classes_form(network: Given | None) -> str:
    k = network.sizes[-1] if network is not None else 0
    classes = network.classes if network is not None else None
    if classes and len(classes) <= MAX_LISTED:
        return "a class name (" + ", ".join(classes) + ")"
    names = "a class name or " if classes else ""
    return f"{names}a unit number 1 … {k}"


def _letters(n: int) -> str:
    """1 → A, 26 → Z, 27 → AA: spreadsheet column names."""
    text = ""
    while n:
        n, r = divmod(n - 1, 26)
        text = chr(ord("A") + r) + text
    return text


def _drawn(value: variants.Value) -> Given:
    """A random value, each entry the exact decimal it was drawn as."""
    r = value.random
    rows = [tuple(tuple(value.text(k) for k in row) for row in m) for m in value.matrices]
    if r.kind == "vector":
        return Given(r.name, (len(rows[0][0]),), entries=rows[0][0])
    steps = tuple(Step(m, g) for m, g in zip(rows, r.activations, strict=True))
    sizes = (r.shapes[0][1] - 1, *(rows_ for rows_, _ in r.shapes))
    return Given(r.name, sizes, steps, classes=r.classes)


def _fixed(label: str, net: Network) -> Given:
    """A network from a file or the sheet, each entry the shortest decimal of its float64."""
    steps = tuple(
        Step(
            _rows(layer.theta.tolist()),
            layer.activation,
            None if layer.gate is None else _rows(layer.gate.tolist()),
            None if layer.beta is None and layer.gate is None else _decimal(layer.swish_beta),
        )
        for layer in net.layers
    )
    return Given(label, tuple(net.sizes), steps, classes=net.classes)


def _rows(matrix: list[list[float]]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(map(_decimal, row)) for row in matrix)


def _decimal(v: Any) -> str:
    """A number as the shortest decimal that reads back as its float64 (2, −0.5, 1e-05)."""
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    text = repr(float(v) + 0.0)  # −0.0 as 0
    return text[:-2] if text.endswith(".0") else text
