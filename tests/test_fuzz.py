"""Property-based fuzzing of the command line's contract.

Whatever it is given, ``nncalc`` exits 0 (success), 1 (only for a failed ``--expect``
or ``quiz``) or 2 (bad usage or bad input, every stderr line starting with
"nncalc: error: "); never 70 (an internal error), never a traceback, and a failed
``--output`` run leaves an existing file intact and no partial file behind.

Three fuzzers: text-level mutations of the sample files, structure-level mutations of
their parsed YAML, and random command lines.
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
import tempfile
from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nncalc.cli import main

from conftest import SAMPLES

PREFIX = "nncalc: error: "


def fuzz(examples: int) -> settings:
    """Hypothesis settings for a fuzzer: ``examples`` runs, no deadline (some runs are slow)."""
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


SAMPLE_PATHS = sorted(SAMPLES.glob("*.yaml"))
SAMPLE_TEXTS = {p.name: p.read_text(encoding="utf-8") for p in SAMPLE_PATHS}
SAMPLE_DOCS = {name: yaml.safe_load(text) for name, text in SAMPLE_TEXTS.items()}
NAMES = sorted(SAMPLE_TEXTS)


# --- running the command line and checking the contract --------------------------


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def check_contract(argv: list[str], allowed: set[int]) -> int:
    """Run argv and assert the exit-code and stderr contract; returns the exit code."""
    code, out, err = run_cli(argv)
    context = f"argv={argv!r}\nexit code {code}\nstderr={err!r}"
    assert code in allowed, context
    assert "Traceback" not in err, context
    assert "Traceback" not in out, context
    if code == 2:
        if not err and "Usage:" in out:
            return code  # a bare `nncalc`: the help on stdout, as test_cli documents
        assert err, context
        for line in err.splitlines():
            assert line.startswith(PREFIX), context
    return code


OUTPUT_SENTINEL = b"existing,contents\n1,2\n"


def check_forward(network: Path, extra: list[str], precreate: bool) -> None:
    """`forward NETWORK EXTRA...` keeps the contract, and leaves a prior -o file intact."""
    folder = network.parent
    output = None
    if "-o" in extra:
        output = Path(extra[extra.index("-o") + 1])
        if precreate:
            output.write_bytes(OUTPUT_SENTINEL)
    before = set(folder.iterdir())
    code = check_contract(["forward", str(network), *extra], {0, 2})
    if output is None:
        return
    left = sorted(p.name for p in set(folder.iterdir()) - before if p != output)
    assert not left, f"temporary files left behind: {left}"
    if code == 0:
        assert output.exists()
        if output.suffix == ".npy":
            assert np.load(output, allow_pickle=False).dtype == np.float64
    elif precreate:
        assert output.read_bytes() == OUTPUT_SENTINEL, "a failed run clobbered the output file"
    else:
        assert not output.exists(), "a failed run left an output file"
    if output.exists():
        output.unlink()


EXTRA_ARGS = (
    (),
    ("--json",),
    ("-x", "1,2,3"),
    ("-x", "1"),
    ("-p", "3"),
    ("-o", "OUT.csv"),
    ("-o", "OUT.npy"),
)


@st.composite
def extra_args(draw) -> list[str]:
    """A few of EXTRA_ARGS, at most one -o (see place_outputs)."""
    chosen = draw(st.lists(st.sampled_from(EXTRA_ARGS), max_size=2, unique=True))
    outputs = [c for c in chosen if c and c[0] == "-o"]
    chosen = [c for c in chosen if not c or c[0] != "-o"] + outputs[:1]
    return [arg for group in chosen for arg in group]


def place_outputs(extra: list[str], folder: Path) -> list[str]:
    """The -o file names of ``extra`` as paths in ``folder``."""
    return [str(folder / a) if k and extra[k - 1] == "-o" else a for k, a in enumerate(extra)]


# --- 1. text-level mutations of the samples --------------------------------------

ALPHABET = "[]{},:-#&*!|>'\"\n\t 0123456789.eE+-_xyzabcnanif~yesnoontrue"


def _bomb(levels: int) -> str:
    lines = ["bomb0: &b0 [x, x, x, x, x, x, x, x, x, x]"]
    for k in range(1, levels):
        refs = ", ".join([f"*b{k - 1}"] * 10)
        lines.append(f"bomb{k}: &b{k} [{refs}]")
    return "\n".join(lines)


SPECIALS = (
    '!!python/object/apply:os.system ["echo hi"]',
    "!!python/name:os.system",
    "!!python/tuple [1, 2]",
    "!!binary aGk=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!timestamp 2001-12-14",
    "!!float 1",
    "!!int 1",
    "!!str 1",
    "!foo 1",
    "&a ",
    "*a",
    "*nope",
    "<<: *a",
    "&a [1, 2, 3]",
    ".nan",
    "-.nan",
    ".inf",
    "-.inf",
    ".NaN",
    "1e999",
    "-1e999",
    "1e-999",
    "5e-324",
    "1.7976931348623157e308",
    "-1e308",
    "1e16",
    "0x1F",
    "0o17",
    "0b101",
    "1_000",
    "1:30",
    "190:20:30.15",
    "2001-12-14",
    "yes",
    "no",
    "on",
    "off",
    "true",
    "~",
    "null",
    "''",
    '""',
    "[]",
    "{}",
    "9" * 400,
    "-" + "9" * 400,
    "9" * 5000,
    "[" * 50 + "1" + "]" * 50,
    "[" * 3000 + "]" * 3000,
    "{a: " * 1000 + "1" + "}" * 1000,
    "- " * 200 + "1",
    "? [a, b]\n: 1",
    '"a\\nb"',
    '"\\x85\\u2028"',
    "\u2028",
    "\u0085",
    "\ufeff",
    "é\u200b𝜃",
    "%YAML 1.1\n---\n",
    "---\n",
    "\n...\n",
    "\n---\nlayers: []\n",
    "\t",
    "\r\n",
    "key: value",
    "activation: softmax",
    "activation: swiglu",
    "gate: [[1e308, 1, 1]]",
    "beta: 1e308",
    "classes: [a, a]",
    "inputs: [[1e308, -1e308, 1e308]]",
    _bomb(8),
)
RAW_BYTES = (b"\x00", b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x80", b"\x1b[31m")
NUMBERS = (
    "0",
    "-0.0",
    "1e308",
    "-1e308",
    "1.7976931348623157e308",
    "5e-324",
    "1e-310",
    "40",
    "-40",
    "745.2",
    "-745.2",
    "709.8",
    "1e16",
    "3e300",
    "9" * 309,
    "9" * 5000,
    ".nan",
    ".inf",
    "1e999",
    "yes",
    "~",
    "0x10",
    "1:30",
)
ACTIVATION_NAMES = (
    "sigmoid",
    "logistic",
    "tanh",
    "relu",
    "leaky_relu",
    "leaky-relu",
    "identity",
    "linear",
    "softmax",
    "softplus",
    "silu",
    "swish",
    "gelu",
    "step",
    "heaviside",
    "SwiGLU",
    "Sigmoid ",
    "sigmod",
    "",
)
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_ACTIVATION = re.compile(r"(activation:[ \t]*)([\w-]+)")


@st.composite
def mutated_sample(draw) -> bytes:
    """The bytes of a sample file after a few random mutations."""
    text = SAMPLE_TEXTS[draw(st.sampled_from(NAMES))]
    for _ in range(draw(st.integers(1, 4))):
        op = draw(
            st.sampled_from(
                (
                    "delete",
                    "insert",
                    "replace",
                    "special",
                    "special line",
                    "duplicate line",
                    "delete line",
                    "swap lines",
                    "truncate",
                    "number",
                    "number",
                    "number",
                    "activation",
                )
            )
        )
        text = _mutate(draw, op, text)
    data = text.encode("utf-8")
    if draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from(RAW_BYTES)) + data[at:]
    return data


def _mutate(draw, op: str, text: str) -> str:
    at = draw(st.integers(0, len(text)))
    lines = text.split("\n")
    i, k = (draw(st.integers(0, len(lines) - 1)) for _ in range(2))
    if op == "delete":
        return text[:at] + text[at + 1 :]
    if op == "insert":
        return text[:at] + draw(st.sampled_from(ALPHABET)) + text[at:]
    if op == "replace":
        return text[:at] + draw(st.sampled_from(ALPHABET)) + text[at + 1 :]
    if op == "special":
        return text[:at] + draw(st.sampled_from(SPECIALS)) + text[at:]
    if op == "special line":
        lines.insert(i, draw(st.sampled_from(SPECIALS)))
    elif op == "duplicate line":
        lines.insert(i, lines[i])
    elif op == "delete line":
        del lines[i]
    elif op == "swap lines":
        lines[i], lines[k] = lines[k], lines[i]
    elif op == "truncate":
        return text[:at]
    elif op == "number":
        return _replace_match(draw, _NUMBER, text, 0, st.sampled_from(NUMBERS) | _float_text())
    elif op == "activation":
        return _replace_match(draw, _ACTIVATION, text, 2, st.sampled_from(ACTIVATION_NAMES))
    return "\n".join(lines)


def _float_text() -> st.SearchStrategy[str]:
    return st.floats(allow_nan=False, allow_infinity=False).map(repr)


def _replace_match(draw, pattern: re.Pattern[str], text: str, group: int, values) -> str:
    matches = list(pattern.finditer(text))
    if not matches:
        return text
    m = draw(st.sampled_from(matches))
    return text[: m.start(group)] + draw(values) + text[m.end(group) :]


@fuzz(400)
@given(data=mutated_sample(), extra=extra_args(), precreate=st.booleans())
def test_mutated_network_text_keeps_the_contract(data: bytes, extra: list[str], precreate: bool):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        network = folder / "net.yaml"
        network.write_bytes(data)
        check_forward(network, place_outputs(extra, folder), precreate)
        check_contract(["params", str(network)], {0, 2})


# --- 2. structure-level mutations of the samples ---------------------------------

KEYS = (
    "name",
    "description",
    "activation",
    "classes",
    "layers",
    "inputs",
    "theta",
    "weights",
    "bias",
    "gate",
    "gate_weights",
    "gate_bias",
    "beta",
    "x",
)
FLOATS = st.one_of(
    st.floats(),
    st.sampled_from((1e308, -1e308, 5e-324, 0.0, -0.0, 1e16, 40.0, -40.0, 709.8, -745.2, 1e300)),
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=12),
    FLOATS,
    st.integers(),
    st.integers(-(10**1000), 10**1000),
    st.sampled_from(ACTIVATION_NAMES),
)
MATRICES = st.lists(
    st.lists(st.one_of(FLOATS, st.integers(-5, 5)), min_size=1, max_size=5), min_size=1, max_size=4
)
VALUES = st.one_of(
    SCALARS,
    MATRICES,
    st.recursive(
        SCALARS,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=3),
        ),
        max_leaves=8,
    ),
)


def _paths(node, path=()):
    """Every place in a parsed document: tuples of keys and indices."""
    yield path
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*path, index))


def _get(doc, path):
    for step in path:
        doc = doc[step]
    return doc


@st.composite
def mutated_document(draw):
    """(sample name, a parsed sample with a few values replaced, keys added or removed)."""
    name = draw(st.sampled_from(NAMES))
    doc = copy.deepcopy(SAMPLE_DOCS[name])
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(doc))))
        node = _get(doc, path)
        op = draw(st.sampled_from(("replace", "replace", "add key", "remove", "append")))
        if op == "add key" and isinstance(node, dict):
            node[draw(st.sampled_from(KEYS) | st.text(max_size=8))] = draw(VALUES)
        elif op == "remove" and isinstance(node, dict | list) and node:
            keys = list(node) if isinstance(node, dict) else list(range(len(node)))
            del node[draw(st.sampled_from(keys))]
        elif op == "append" and isinstance(node, list):
            node.append(draw(st.sampled_from(node) | VALUES) if node else draw(VALUES))
        elif path:
            _get(doc, path[:-1])[path[-1]] = draw(VALUES)
        else:
            doc = draw(VALUES)
    return name, doc


@fuzz(300)
@given(
    mutated=mutated_document(),
    unicode=st.booleans(),
    extra=extra_args(),
    precreate=st.booleans(),
)
def test_mutated_network_structure_keeps_the_contract(mutated, unicode, extra, precreate):
    name, doc = mutated
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=unicode)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        network = folder / "net.yaml"
        network.write_text(text, encoding="utf-8")
        check_forward(network, place_outputs(extra, folder), precreate)
        check_contract(["params", str(network)], {0, 2})
        if isinstance(doc, dict) and "inputs" in doc:  # the examples as an --input file
            examples = folder / "examples.yaml"
            examples.write_text(yaml.safe_dump(doc["inputs"]), encoding="utf-8")
            check_contract(["forward", str(SAMPLES / name), "--input", str(examples)], {0, 2})


# --- 3. random command lines -----------------------------------------------------

COMMANDS = ("forward", "params", "onehot", "quiz")
OPTIONS = (
    "-x",
    "--input",
    "-i",
    "--json",
    "-o",
    "--output",
    "--precision",
    "-p",
    "--theta",
    "-j",
    "--expect",
    "--classes",
    "-k",
    "--zero-based",
    "--labels",
    "--decode",
    "--version",
    "--help",
)
FLAGS = ("--json", "--zero-based", "--version", "--help")
WORDS = (
    "1,2,3",
    "66,39,12",
    "0,0,1,0",
    "0.1,0.7,0.15,0.05",
    "1 2 3",
    "0,0,1;1,0,0",
    "3",
    "10",
    "0",
    "-1",
    "60",
    "80",
    "1000000",
    "1000001",
    "9" * 5000,
    "²",
    "٣",
    "½",
    "nan",
    "inf",
    "-inf",
    "1e999",
    "car",
    "pedestrian,car,motorcycle,truck",
    "a,,b",
    "a,a",
    "",
    " ",
    ",",
    ";",
    "-",
    "--",
    "\udcff",
    "a\nb",
)


def _files(folder: Path) -> dict[str, Path]:
    """Input files of every kind, and output paths that are fine or not."""
    files = {
        "labels.txt": "1\n2\n# a comment\n\n3\n",
        "labels.csv": "label,x\ncar,1\ntruck,2\n",
        "bad-labels.txt": "12\nzebra\n",
        "examples.csv": "a,b,c\n1,2,3\n4,5,6\n",
        "examples.yaml": "- [1, 2, 3]\n- {name: B, x: [4, 5, 6]}\n",
        "empty.yaml": "",
    }
    paths = {}
    for name, text in files.items():
        paths[name] = folder / name
        paths[name].write_text(text, encoding="utf-8")
    np.save(folder / "examples.npy", np.array([[1.0, 2.0, 3.0]]))
    paths["examples.npy"] = folder / "examples.npy"
    for name in ("out.csv", "out.npy", "out.txt", "no-such-folder/out.csv", "no-such-file.yaml"):
        paths[name] = folder / name
    paths["folder"] = folder
    return paths


def _value(file_names: tuple[str, ...]) -> st.SearchStrategy[str]:
    """A value for an option: a word, a number, a path or random text."""
    return st.one_of(
        st.sampled_from(WORDS),
        st.integers().map(str),
        st.integers(-(10**40), 10**40).map(str),
        st.floats().map(repr),
        st.lists(st.integers(-3, 12).map(str), min_size=1, max_size=5).map(",".join),
        st.text(max_size=10),
        st.sampled_from(file_names + tuple(str(p) for p in SAMPLE_PATHS)),
    )


@st.composite
def command_line(draw, paths: dict[str, Path]) -> list[str]:
    """A random argv: mostly a command, then options, values and paths."""
    file_names = tuple(str(p) for p in paths.values())
    value = _value(file_names)
    argv: list[str] = []
    if draw(st.integers(0, 9)):
        argv.append(draw(st.sampled_from(COMMANDS)))
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(("option", "option", "option", "value", "path")))
        if kind == "option":
            option = draw(st.sampled_from(OPTIONS))
            argv.append(option)
            if option not in FLAGS or not draw(st.integers(0, 4)):
                argv.append(draw(value))
        elif kind == "path":
            argv.append(draw(st.sampled_from(file_names + tuple(map(str, SAMPLE_PATHS)))))
        else:
            argv.append(draw(value))
    return argv


_FOLDER = tempfile.TemporaryDirectory()
_PATHS = _files(Path(_FOLDER.name))


@fuzz(600)
@given(argv=command_line(_PATHS))
def test_random_command_lines_keep_the_contract(argv: list[str]):
    allowed = {0, 2} | ({1} if "--expect" in argv or "quiz" in argv else set())
    with contextlib.chdir(_FOLDER.name):  # a relative -o file lands in the scratch folder
        check_contract(argv, allowed)
