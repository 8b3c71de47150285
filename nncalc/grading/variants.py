"""Per-student variants of an answer sheet: random networks and x drawn from the student id.

A sheet's ``variants:`` section names random values; questions use them as ``$NAME``
wherever they take a network or an x. Each student's values come from an HMAC-SHA256
byte stream keyed by the sheet's secret seed, so a variant depends only on the seed,
the section, the student id and how many draws were ill-posed (see ``stream`` and
docs/grading.md, "The derivation"), never on the roster, the machine or a library.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import hmac
import itertools
import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from nncalc import activations
from nncalc.errors import NNCalcError, cut
from nncalc.expect import Tolerance
from nncalc.files import netfile, netsave
from nncalc.files.checker import Checker, is_number, plural
from nncalc.files.outputs import atomic_files, not_an_input
from nncalc.files.yamlfile import Pos, YDict, YList, load_file, parse
from nncalc.grading import marking
from nncalc.network import Layer, Network, Trace
from nncalc.render.escape import terminal

if TYPE_CHECKING:
    from nncalc.grading.roster import Student

FORMAT = 1
"""The derivation's version; part of every HMAC message, so a change is never silent."""
MAX_REDRAWS = 1000
"""Ill-posed draws tolerated per student before the sheet is refused."""
MAX_SECONDS = 10.0
"""Most time spent drawing one student's variant before the sheet is refused."""
MAX_UNITS = 32
"""Most units in a layer of a random network (and entries in a random vector)."""
MAX_LAYERS = 8
MAX_PLACES = 6
MAX_MAGNITUDE = 10**6
"""Largest |lo| and |hi| of a range: values stay exact decimals of ≤ 13 digits."""
PRECISION = 1e-4
"""The precision asked of answers whose tolerance is not absolute (as written, sigfigs,
rtol): saturation is judged at 4 decimals."""
SHOWN = 40
"""Most characters of a file's text (an id, a name) repeated in a message."""

SECTION_KEYS = ("seed", "allow_saturated", "random")
RANDOM_KEYS = ("network", "vector")
NETWORK_KEYS = ("sizes", "activation", "activations", "classes", "integers", "decimals", "places")
VECTOR_KEYS = ("size", "integers", "decimals", "places")
VALUE_KINDS = ("z", "activation", "output", "prediction")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_EPS = 2.0**-53


@dataclass(frozen=True)
class Random:
    """One random value: matrices of the given shapes, entries k / 10^places, lo ≤ k ≤ hi."""

    name: str
    kind: str  # "network" or "vector"
    shapes: tuple[tuple[int, int], ...]
    lo: int
    hi: int
    places: int
    activations: tuple[str, ...] = ()
    classes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Value:
    """A drawn value: its matrices of whole numbers k, each entry k / 10^places."""

    random: Random
    matrices: tuple[tuple[tuple[int, ...], ...], ...]

    def text(self, k: int) -> str:
        """An entry as an exact decimal with ``places`` decimals ('-1.5', '2')."""
        return f"{Decimal(k).scaleb(-self.random.places):f}"

    def exact(self) -> tuple[list[list[int]], int]:
        """The first matrix as whole numbers, and the denominator 10^places of each."""
        return [list(row) for row in self.matrices[0]], 10**self.random.places

    def floats(self, m: int = 0) -> list[list[float]]:
        scale = 10**self.random.places
        return [[k / scale for k in row] for row in self.matrices[m]]

    @functools.cached_property
    def network(self) -> Network:
        layers = (Layer(self.floats(m), g) for m, g in enumerate(self.random.activations))
        return Network(tuple(layers), self.random.name, self.random.classes)

    def vector(self) -> list[float]:
        return self.floats()[0]


@dataclass(frozen=True)
class Use:
    """A question that uses random values, with what well-posedness needs of it."""

    id: str
    kind: str
    network: str | Network | None
    x: str | list[float] | None
    layer: int | None
    unit: int | None
    tolerance: float
    rel_tolerance: float
    line: int

    @property
    def randoms(self) -> tuple[str, ...]:
        """The names of the random values the question uses."""
        return tuple(r for r in (self.network, self.x) if isinstance(r, str))


@dataclass(frozen=True)
class Variants:
    """A sheet with a ``variants:`` section, checked; ``draw`` makes a student's values."""

    seed: str
    section: Any
    randoms: dict[str, Random]
    allow_saturated: bool
    uses: tuple[Use, ...]
    doc: YDict
    source: str


@dataclass(frozen=True)
class Variant:
    """One student's values and how many draws before them were ill-posed."""

    student: str
    values: dict[str, Value]
    redraws: int


# --- the derivation --------------------------------------------------------------------


def stream(seed: str, section: Any, student: str, counter: int) -> Iterator[bytes]:
    """The blocks b = 0, 1, … of draw ``counter`` for ``student``: 32 bytes each,
    HMAC-SHA256(key = seed in UTF-8, message = the UTF-8 JSON array
    ["nncalc-variants", FORMAT, section, student, counter, b] with sorted keys, no spaces,
    non-ASCII characters as themselves)."""
    key = seed.encode("utf-8")
    head = _json(["nncalc-variants", FORMAT, section, student, counter])[:-1]
    for block in itertools.count():
        yield hmac.digest(key, f"{head},{block}]".encode(), hashlib.sha256)


class Bytes:
    """A stream's blocks read as one run of bytes."""

    def __init__(self, blocks: Iterator[bytes]) -> None:
        self.blocks = blocks
        self.buffer = b""

    def take(self, n: int) -> bytes:
        if len(self.buffer) < n:
            more = -(-(n - len(self.buffer)) // BLOCK)
            self.buffer += b"".join(next(self.blocks) for _ in range(more))
        taken, self.buffer = self.buffer[:n], self.buffer[n:]
        return taken


BLOCK = hashlib.sha256().digest_size
"""Bytes in a block of a stream."""


def integer(reader: Bytes, lo: int, hi: int) -> int:
    """A whole number in lo … hi, unbiased: with n = hi − lo + 1 and m the bit length of
    n − 1, read ceil(m / 8) bytes big-endian, keep the low m bits, accept if below n (else
    read again); lo + that. n = 1 reads nothing."""
    (k,) = integers(reader, lo, hi, 1)
    return k


def integers(reader: Bytes, lo: int, hi: int, count: int) -> list[int]:
    """``count`` integers(lo, hi) in a row, as many calls of ``integer`` draw them, read a
    run of bytes at a time: each try takes the next ceil(m / 8) bytes, and as many tries
    as integers are still wanted are read at once (so no byte is read that would not be)."""
    n = hi - lo + 1
    if n == 1:
        return [lo] * count
    bits = (n - 1).bit_length()
    size, mask = (bits + 7) // 8, (1 << bits) - 1
    drawn: list[int] = []
    while len(drawn) < count:
        wanted = count - len(drawn)
        tries = np.zeros((wanted, 8), np.uint8)  # each try big-endian in 8 bytes
        tries[:, 8 - size :] = np.frombuffer(reader.take(wanted * size), np.uint8).reshape(
            wanted, size
        )
        u = tries.view(">u8").ravel() & np.uint64(mask)
        drawn += (u[u < n].astype(np.int64) + lo).tolist()
    return drawn


def values(variants: Variants, student: str, counter: int) -> dict[str, Value]:
    """Draw ``counter``'s values: names in code-point order, each matrix row by row (the
    bias column first), every entry ``integer(lo, hi)`` of one stream."""
    return dict(_values(variants, student, counter))


def _values(variants: Variants, student: str, counter: int) -> Iterator[tuple[str, Value]]:
    """``values``, one name at a time, each drawn only when the one before is wanted."""
    reader = Bytes(stream(variants.seed, variants.section, student, counter))
    for name in sorted(variants.randoms):
        r = variants.randoms[name]
        matrices = []
        for rows, cols in r.shapes:
            flat = integers(reader, r.lo, r.hi, rows * cols)
            matrices.append(tuple(tuple(flat[i * cols : (i + 1) * cols]) for i in range(rows)))
        yield name, Value(r, tuple(matrices))


def _json(value: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, non-ASCII characters as themselves."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def draw(variants: Variants, student: str) -> Variant:
    """The student's variant: the first draw (counter 0, 1, …) that is well-posed. A draw
    stops at its first ill-posed question, before the values that come after it.

    Raises NNCalcError naming the question when MAX_REDRAWS redraws are not enough, when
    the question can never be well-posed (its values have one choice each), or after
    MAX_SECONDS of drawing, saying how many draws took how long.
    """
    start = time.monotonic()
    deadline = start + MAX_SECONDS
    reasons: Counter[tuple[int, str]] = Counter()
    for counter in range(MAX_REDRAWS + 1):
        drawn, use, why = _first_ill_posed(variants, student, counter)
        if use is None:
            return Variant(student, drawn, counter)
        reasons[use.line, why] += 1
        fixed = all(variants.randoms[r].lo == variants.randoms[r].hi for r in use.randoms)
        if fixed or time.monotonic() > deadline:
            break
    (line, why), _ = reasons.most_common(1)[0]
    draws = sum(reasons.values())
    seconds = f"{time.monotonic() - start:.1f} s"
    if draws <= MAX_REDRAWS:
        seconds += ", the most one student's draws may take"
    spent = f"in {plural(draws, 'draw', 'draws')} ({seconds})"
    if fixed:
        spent = "in any draw (each of its values has one choice)"
    raise NNCalcError.at(
        f"no well-posed variant for student {shown(student)} {spent}: {why}",
        variants.source,
        line,
        hint="widen the ranges, or set allow_saturated: true",
    )


def _first_ill_posed(
    variants: Variants, student: str, counter: int
) -> tuple[dict[str, Value], Use | None, str]:
    """Draw ``counter``'s values, checking each question as soon as its values are drawn:
    (the values, the first ill-posed question or None, why), stopping at that question."""
    drawn: dict[str, Value] = {}
    waiting = list(variants.uses)
    traces: dict[tuple[int, int], Trace] = {}
    for name, value in _values(variants, student, counter):
        drawn[name] = value
        ready = [use for use in waiting if set(use.randoms) <= drawn.keys()]
        waiting = [use for use in waiting if use not in ready]
        for use in ready:
            why = _why_ill_posed(use, drawn, traces, variants.allow_saturated)
            if why:
                return drawn, use, f"question '{use.id}': {why}"
    return drawn, None, ""


# --- well-posedness --------------------------------------------------------------------


def ill_posed(variants: Variants, drawn: dict[str, Value]) -> tuple[int, str] | None:
    """(line, why) of the first question the values make ill-posed, or None."""
    traces: dict[tuple[int, int], Trace] = {}
    for use in variants.uses:
        why = _why_ill_posed(use, drawn, traces, variants.allow_saturated)
        if why:
            return use.line, f"question '{use.id}': {why}"
    return None


def _why_ill_posed(
    use: Use, drawn: dict[str, Value], traces: dict[tuple[int, int], Trace], saturated: bool
) -> str | None:
    """Why the values make a question ill-posed, or None (traces: forward passes done)."""
    net = drawn[use.network].network if isinstance(use.network, str) else use.network
    x = drawn[use.x].vector() if isinstance(use.x, str) else use.x
    if use.kind not in VALUE_KINDS or net is None or x is None:
        return None
    pair = (id(net), id(use.x))
    why = None
    if pair not in traces:
        traces[pair] = net.forward(x)
        why = _zero_z(traces[pair], _exact(use.network, drawn), _exact(use.x, drawn))
    return why or _saturated(traces[pair], use, saturated) or _tie(traces[pair], use)


def _exact(
    ref: str | Network | list[float], drawn: dict[str, Value]
) -> tuple[list[list[Any]], int]:
    """Θ^(1) or x (as a row) exactly: whole numbers or Fractions, and their denominator."""
    if isinstance(ref, str):
        return drawn[ref].exact()
    rows = ref.layers[0].theta.tolist() if isinstance(ref, Network) else [ref]
    return [[Fraction(v) for v in row] for row in rows], 1


def _zero_z(
    trace: Trace, theta: tuple[list[list[Any]], int], x: tuple[list[list[Any]], int]
) -> str | None:
    """A z that is 0: exactly, in layer 2 (exact decimals); to rounding, deeper."""
    (rows, _), ([xs], d) = theta, x
    for i, row in enumerate(rows, start=1):
        if row[0] * d + sum(t * v for t, v in zip(row[1:], xs, strict=True)) == 0:
            return f"z_{i}^(2) is exactly 0"
    net = trace.network
    for j in range(3, net.L + 1):
        a = [1.0, *trace.a[j - 1][0].tolist()]
        for i, (z, row) in enumerate(
            zip(trace.z[j][0], net.layers[j - 2].theta, strict=True), start=1
        ):
            size = sum(abs(t * v) for t, v in zip(row, a, strict=True))
            if abs(z) <= 8 * (len(a) + 1) * _EPS * size:
                return f"z_{i}^({j}) is 0 to rounding"
    return None


def _saturated(trace: Trace, use: Use, allowed: bool) -> str | None:
    """An asked activation of σ, tanh or softmax that rounds to 0 or ±1 at the precision
    the tolerance asks for (its number of decimals)."""
    net = trace.network
    j = net.L if use.kind == "output" else use.layer
    if allowed or use.kind not in ("activation", "output") or j is None or not 2 <= j <= net.L:
        return None
    g = net.layers[j - 2].g
    if g is None or g.gap is None:
        return None
    places = math.floor(-math.log10(use.tolerance)) if use.tolerance > 0 else 6
    half = 0.5 * 10.0**-places
    a = trace.a[j][0].tolist()
    for i in [use.unit] if use.unit and use.unit <= len(a) else range(1, len(a) + 1):
        if abs(a[i - 1]) < half or abs(a[i - 1]) >= 1 - half:
            return f"a_{i}^({j}) rounds to {round(a[i - 1])} at {places} decimals"
    return None


def _tie(trace: Trace, use: Use) -> str | None:
    """The top two outputs of a prediction within 100 × the tolerance of each other."""
    if use.kind != "prediction" or trace.network.sizes[-1] < 2:
        return None
    h = sorted(trace.output[0].tolist())
    allowed = max(use.tolerance, use.rel_tolerance * abs(h[-1]))
    if h[-1] - h[-2] <= 100 * allowed:
        return f"the top two outputs differ by {h[-1] - h[-2]:.3g}, not more than 100 × {allowed:g}"
    return None


# --- reading the sheet -----------------------------------------------------------------


def load(path: str | os.PathLike[str]) -> Variants:
    """Read a sheet with a ``variants:`` section. Raises NNCalcError listing its problems."""
    return from_yaml(load_file(path), str(path))


def from_yaml(doc: Any, source: str) -> Variants:
    """Variants from a parsed sheet (see yamlfile.parse)."""
    return _Reader(source).variants(doc)


class _Reader(Checker):
    """Checks the variants section and the questions' $NAMEs, collecting every problem."""

    def variants(self, doc: Any) -> Variants:
        if not isinstance(doc, YDict) or not isinstance(doc.get("variants"), YDict):
            pos = doc.value_pos.get("variants", doc.pos) if isinstance(doc, YDict) else None
            self.problem(
                pos,
                "expected a 'variants:' mapping with seed and random",
                "a sheet without variants has one key for all: drop --student and --students",
            )
            self.raise_problems()
        section = doc["variants"]
        self.invalid: set[str] = set()
        self.check_keys(section, SECTION_KEYS, "variants")
        seed = section.get("seed")
        if not isinstance(seed, str) or not seed:
            pos = section.value_pos.get("seed", section.pos)
            self.problem(pos, "variants: 'seed' should be text, your secret", "seed: week3-x7q")
        allow = section.get("allow_saturated", False)
        if not isinstance(allow, bool):
            self.problem(section.value_pos["allow_saturated"], "'allow_saturated' is true or false")
        randoms = self.randoms(section)
        uses = self.uses(doc, randoms)
        self.raise_problems()
        plain = {k: v for k, v in _plain(section).items() if k != "seed"}
        return Variants(str(seed), plain, randoms, bool(allow), uses, doc, self.source)

    def randoms(self, section: YDict) -> dict[str, Random]:
        items = section.get("random")
        if not isinstance(items, YDict) or not items:
            pos = section.value_pos.get("random", section.pos)
            self.problem(pos, "variants: 'random' should name random values", "random: {x: ...}")
            return {}
        found = {}
        self.invalid = set(items)  # named, but wrongly given: not "undefined" when used
        for name, spec in items.items():
            pos = items.value_pos[name]
            if not _NAME.fullmatch(name):
                self.problem(
                    items.key_pos[name], f"'{shown(name)}' is not a name", "letters, digits, _"
                )
            elif not isinstance(spec, YDict) or len(spec) != 1:
                self.problem(pos, f"random '{name}' should be {{network: ...}} or {{vector: ...}}")
            elif next(iter(spec)) not in RANDOM_KEYS:
                self.check_keys(spec, RANDOM_KEYS, f"random '{name}'")
            else:
                what = next(iter(spec))
                inner = spec[what]
                if not isinstance(inner, YDict):
                    self.problem(pos, f"random '{name}': '{what}' should be a mapping")
                    continue
                random = getattr(self, what)(name, inner)
                if random is not None:
                    found[name] = random
        self.invalid -= set(found)
        return found

    def network(self, name: str, d: YDict) -> Random | None:
        where = f"random '{name}'"
        self.check_keys(d, NETWORK_KEYS, where)
        sizes = d.get("sizes")
        ok = (
            isinstance(sizes, YList)
            and 2 <= len(sizes) <= MAX_LAYERS
            and all(_whole(s) and 1 <= s <= MAX_UNITS for s in sizes)
        )
        if not ok:
            self.problem(
                d.value_pos.get("sizes", d.pos),
                f"{where}: 'sizes' should be 2 … {MAX_LAYERS} whole numbers in 1 … {MAX_UNITS}",
                "sizes: [3, 3, 2]",
            )
            return None
        gs = self.layer_activations(d, where, len(sizes) - 1)
        classes = self.classes(d, where, sizes[-1])
        bounds = self.range(d, where)
        if gs is None or bounds is None or classes is False:
            return None
        shapes = tuple((b, a + 1) for a, b in itertools.pairwise(sizes))
        return Random(name, "network", shapes, *bounds, activations=gs, classes=classes)

    def vector(self, name: str, d: YDict) -> Random | None:
        where = f"random '{name}'"
        self.check_keys(d, VECTOR_KEYS, where)
        size = d.get("size")
        if not (_whole(size) and 1 <= size <= MAX_UNITS):
            pos = d.value_pos.get("size", d.pos)
            self.problem(pos, f"{where}: 'size' should be a whole number in 1 … {MAX_UNITS}")
            return None
        bounds = self.range(d, where)
        return None if bounds is None else Random(name, "vector", ((1, size),), *bounds)

    def layer_activations(self, d: YDict, where: str, n: int) -> tuple[str, ...] | None:
        if "activation" in d and "activations" in d:
            self.problem(d.pos, f"{where}: give 'activation' or 'activations', not both")
            return None
        given = d.get("activations", [d.get("activation", "sigmoid")])
        pos = d.value_pos.get("activations", d.value_pos.get("activation", d.pos))
        if (
            not isinstance(given, list)
            or len(given) not in (1, n)
            or ("activations" in d and len(given) != n)
        ):
            self.problem(pos, f"{where}: 'activations' should list {n} names, one per Θ^(j)")
            return None
        names = []
        for g in given:
            try:
                names.append(activations.get(str(g)).name)
            except KeyError as e:
                self.problem(pos, f"{where}: {e.args[0]}")
                return None
        return tuple(names * (n if len(names) == 1 else 1))

    def classes(self, d: YDict, where: str, k: int) -> tuple[str, ...] | bool | None:
        if "classes" not in d:
            return None
        names = d["classes"]
        ok = isinstance(names, YList) and all(isinstance(c, str) or _whole(c) for c in names)
        if not ok or len(names) != k or len(set(map(str, names))) != k:
            self.problem(d.value_pos["classes"], f"{where}: 'classes' should be {k} distinct names")
            return False
        return tuple(str(c) for c in names)

    def range(self, d: YDict, where: str) -> tuple[int, int, int] | None:
        """(lo, hi, places) with lo and hi scaled by 10^places."""
        given = [key for key in ("integers", "decimals") if key in d]
        if len(given) != 1:
            self.problem(
                d.pos, f"{where}: give one of 'integers: [lo, hi]' or 'decimals: [lo, hi]'"
            )
            return None
        key = given[0]
        bounds, pos = d[key], d.value_pos[key]
        places = self.places(d, where, key)
        if places is None:
            return None
        numbers = _whole if key == "integers" else is_number
        if not (
            isinstance(bounds, YList)
            and len(bounds) == 2
            and all(numbers(b) and abs(b) <= MAX_MAGNITUDE for b in bounds)
        ):
            kinds = "whole numbers" if key == "integers" else "numbers"
            self.problem(pos, f"{where}: '{key}' should be [lo, hi], two {kinds} of at most 1e6")
            return None
        scale = 10**places
        lo = math.ceil(Decimal(repr(bounds[0])) * scale)
        hi = math.floor(Decimal(repr(bounds[1])) * scale)
        if bounds[0] > bounds[1] or lo > hi:
            self.problem(pos, f"{where}: '{key}' has no value with {places} decimals", "lo ≤ hi")
            return None
        if lo == hi == 0:
            self.problem(pos, f"{where}: '{key}' can only draw 0, so every variant is ill-posed")
            return None
        return lo, hi, places

    def places(self, d: YDict, where: str, key: str) -> int | None:
        if key == "integers":
            if "places" in d:
                self.problem(d.key_pos["places"], f"{where}: 'places' goes with 'decimals'")
                return None
            return 0
        places = d.get("places")
        if not (_whole(places) and 0 <= places <= MAX_PLACES):
            pos = d.value_pos.get("places", d.pos)
            self.problem(pos, f"{where}: 'places' should be a whole number in 0 … {MAX_PLACES}")
            return None
        return places

    def uses(self, doc: YDict, randoms: dict[str, Random]) -> tuple[Use, ...]:
        """Each question's $NAMEs checked (defined, the right kind, no ``answer:``)."""
        found = []
        items = doc.get("questions")
        for q in items if isinstance(items, YList) else ():
            kinds = [
                k for k in marking.KINDS if isinstance(q, YDict) and isinstance(q.get(k), YDict)
            ]
            if len(kinds) != 1:
                continue  # the sheet's reader says what is wrong
            spec = q[kinds[0]]
            refs = {key: self.ref(spec, key, randoms) for key in ("network", "x")}
            if not any(isinstance(r, str) for r in refs.values()):
                continue
            if "answer" in q and kinds[0] in VALUE_KINDS:
                self.problem(
                    q.key_pos["answer"],
                    "a question with $values has no 'answer:'",
                    "nncalc computes each student's key",
                )
            rule = marking.question_rule(doc, q)
            use = Use(
                str(q.get("id")),
                kinds[0],
                self.fixed_network(spec, refs["network"]),
                refs["x"] if isinstance(refs["x"], str) else _row(spec.get("x")),
                _whole_or_none(spec.get("layer")),
                _whole_or_none(spec.get("unit")),
                _precision(rule),
                rule.rtol or 0.0,
                q.pos.line,
            )
            self.check_sizes(use, spec, randoms)
            found.append(use)
        return tuple(found)

    def ref(self, spec: YDict, key: str, randoms: dict[str, Random]) -> str | bool | None:
        """The random name of ``spec[key]`` ($NAME), None when it is not one, False when
        it is an undefined or wrong one (a problem recorded)."""
        value = spec.get(key)
        if not (isinstance(value, str) and value.startswith("$")):
            return None
        name, pos = value[1:], spec.value_pos[key]
        wanted = "network" if key == "network" else "vector"
        if name in self.invalid:
            return False  # its problem is already recorded
        if name not in randoms:
            close = difflib.get_close_matches(name, list(randoms), n=1, cutoff=0.6)
            hint = f"did you mean '${close[0]}'?" if close else "define it under variants: random:"
            self.problem(pos, f"'{shown(value)}' is not defined in variants: random", hint)
            return False
        if randoms[name].kind != wanted:
            self.problem(
                pos, f"'{key}: {value}' needs a random {wanted}, '{name}' is a {randoms[name].kind}"
            )
            return False
        return name

    def fixed_network(self, spec: YDict, ref: str | bool | None) -> str | Network | None:
        if ref is not None:
            return ref if isinstance(ref, str) else None
        value = spec.get("network")
        if isinstance(value, YDict):
            return netfile.from_yaml(value, self.source)
        if isinstance(value, str):
            return netfile.load(Path(self.source).parent / value)
        return None

    def check_sizes(self, use: Use, spec: YDict, randoms: dict[str, Random]) -> None:
        net = use.network
        s1 = (
            randoms[net].shapes[0][1] - 1 if isinstance(net, str) else net.sizes[0] if net else None
        )
        x = use.x
        n = randoms[x].shapes[0][1] if isinstance(x, str) else len(x) if x is not None else None
        if s1 is not None and n is not None and s1 != n:
            self.problem(
                spec.value_pos.get("x", spec.pos),
                f"question '{use.id}': x has {n} numbers, expected s_1 = {s1}",
            )


def _plain(value: Any) -> Any:
    """A YAML value as plain JSON types (what the HMAC message holds)."""
    return json.loads(json.dumps(value, allow_nan=False))


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _whole_or_none(value: Any) -> int | None:
    return value if _whole(value) else None


def _precision(rule: Tolerance) -> float:
    """The absolute precision a tolerance asks of answers near 1: its atol, half a unit of
    its decimals, else that of 4 decimals (PRECISION)."""
    if rule.atol:
        return rule.atol
    return 0.5 * 10.0**-rule.decimals if rule.decimals is not None else PRECISION


def _float(value: Any) -> float | None:
    """A YAML number as a finite float, else None (huge whole numbers included)."""
    try:
        number = float(value) if is_number(value) else math.nan
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _row(value: Any) -> list[float] | None:
    row = [_float(v) for v in (value if isinstance(value, list) else [value])]
    return None if not row or None in row else row  # type: ignore[return-value]


def shown(text: str) -> str:
    """A file's text for a message: at most SHOWN characters of it."""
    return cut(text, SHOWN)


# --- a student's sheet -------------------------------------------------------------------


def sheet(variants: Variants, variant: Variant) -> marking.Sheet:
    """The student's answer sheet: every $NAME replaced by its value, every answer computed."""
    doc = _copy(variants.doc, {k: v for k, v in variants.doc.items() if k != "variants"})
    items = doc.get("questions")
    if isinstance(items, YList):
        doc["questions"] = _copy(items, [_substitute(q, variant) for q in items])
    return marking.from_yaml(doc, variants.source)


def _substitute(q: Any, variant: Variant) -> Any:
    """A question with its $NAMEs replaced: a Network, and x as a list of numbers."""
    if not isinstance(q, YDict):
        return q
    changed = {}
    for what, spec in q.items():
        if what in marking.KINDS and isinstance(spec, YDict):
            changed[what] = _copy(
                spec, {k: _value(v, spec.value_pos[k], variant) for k, v in spec.items()}
            )
    return _copy(q, {**q, **changed})


def _value(value: Any, pos: Pos, variant: Variant) -> Any:
    if not (isinstance(value, str) and value[1:] in variant.values and value.startswith("$")):
        return value
    drawn = variant.values[value[1:]]
    if drawn.random.kind == "network":
        return drawn.network
    return _copy(YList(drawn.vector()), item_pos=[pos] * drawn.random.shapes[0][1], pos=pos)


def _copy(original: YDict | YList, items: Any = None, **where: Any) -> Any:
    """A new YDict or YList of ``items``, with the original's positions (or ``where``)."""
    new = type(original)(original if items is None else items)
    for attr in ("pos", "key_pos", "value_pos", "item_pos"):
        if attr in where or hasattr(original, attr):
            setattr(new, attr, where.get(attr, getattr(original, attr, None)))
    return new


def variant_yaml(variants: Variants, variant: Variant, key: marking.Sheet) -> str:
    """The student's sheet as an ordinary sheet: values written in, networks inline, and
    ``answer:`` nncalc's, so ``nncalc check`` on it agrees."""
    doc = _plain({k: v for k, v in variants.doc.items() if k != "variants"})
    answers = {q.id: q.computed for q in key.questions}
    folder = Path(variants.source).parent
    for q in doc.get("questions", []):
        for what in marking.KINDS:
            spec = q.get(what)
            if isinstance(spec, dict) and "network" in spec:
                spec["network"] = _network_doc(spec["network"], variant, folder)
            if isinstance(spec, dict) and str(spec.get("x", "")).startswith("$"):
                spec["x"] = variant.values[spec["x"][1:]].vector()
        q["answer"] = answers.get(str(q.get("id")), q.get("answer"))
    source = terminal(Path(variants.source).name)  # a comment of one line
    header = f"# nncalc variant of {source} for student {variant.student}\n"
    return header + yaml.safe_dump(
        doc, sort_keys=False, allow_unicode=True, default_flow_style=None, width=100
    )


def _network_doc(value: Any, variant: Variant, folder: Path) -> Any:
    """A question's network as an inline mapping (a file read, a $NAME drawn)."""
    if isinstance(value, str) and value.startswith("$"):
        net = variant.values[value[1:]].network
    elif isinstance(value, str):
        net = netfile.load(folder / value)
    else:
        return value
    return _plain(parse(netsave.dumps(net)))


def write(
    variants: Variants, roster: list[Student], folder: str | os.PathLike[str]
) -> list[Variant]:
    """FOLDER/ID/variant.yaml, questions.md and questions.tex for each student (each
    student's three files all or none), then FOLDER/key.csv. Returns the variants."""
    from nncalc.render import handout

    top = Path(folder)
    files = ("variant.yaml", "questions.md", "questions.tex")
    for path in [top / "key.csv", *(top / s.id / name for s in roster for name in files)]:
        not_an_input(path, str(path))  # before any is written
    made = []
    keys = []
    for student in roster:
        variant = draw(variants, student.id)
        key = sheet(variants, variant)
        try:
            (top / student.id).mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise NNCalcError.at(
                f"cannot make a folder: {e.strerror or e}", str(top / student.id)
            ) from None
        texts = (
            variant_yaml(variants, variant, key),
            handout.markdown(variants, variant, student),
            handout.latex(variants, variant, student),
        )
        with atomic_files() as open_:
            for name, text in zip(files, texts, strict=True):
                open_(top / student.id / name, "w").write(text)
        made.append(variant)
        keys.append((student.id, key))
    with atomic_files() as open_:
        handout.write_key(open_(top / "key.csv", "w"), keys)
    return made
