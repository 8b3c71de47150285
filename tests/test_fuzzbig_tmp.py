"""Property-based fuzzing of the command line's contract.

Whatever it is given, ``nncalc`` exits 0 (success), 1 (only for a failed ``--expect``
or ``quiz``) or 2 (bad usage or bad input, every stderr line starting with
"nncalc: error: "); never 70 (an internal error), never a traceback, and a failed
``--output`` run leaves an existing file intact and no partial file behind.

Five fuzzers, each run as two tests (exit codes, and error lines):

1. text-level mutations of the sample files (characters, lines, YAML specials, bytes
   that are not UTF-8), run with ``forward`` (and random options) and ``params``;
2. structure-level mutations of the parsed samples (values replaced, keys added or
   removed), dumped back to YAML and run the same way;
3. random command lines of ``forward``, ``params``, ``onehot`` and ``quiz``;
4. byte-level mutations of ONNX models (nncalc's exports and the interop samples), and
5. graph-level mutations of the same (operators, inputs, attributes, initializers,
   inputs and outputs changed), both run with ``import -o``, which must write all of
   its files or none.

The whole file takes 30-60 s; the example counts are in the ``@fuzz(...)`` lines.
"""

from __future__ import annotations

import contextlib
import copy
import io
import re
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import typer
import typer.main
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from nncalc import cli
from nncalc.cli import main

from conftest import SAMPLES

PREFIX = "nncalc: error: "


def fuzz(examples: int, shrink: bool = True) -> settings:
    examples *= 12
    """Hypothesis settings for a fuzzer: ``examples`` runs, no deadline (some runs are slow).

    ``shrink=False`` reports a failing input as found, without spending half a minute
    shrinking it: a mutated file stays a sample with a few changes anyway.
    """
    phases = [p for p in Phase if shrink or p not in (Phase.shrink, Phase.explain)]
    return settings(
        max_examples=examples,
        deadline=None,
        phases=phases,
        suppress_health_check=[HealthCheck.too_slow],
    )


SAMPLE_PATHS = sorted(SAMPLES.glob("*.yaml"))
SAMPLE_TEXTS = {p.name: p.read_text(encoding="utf-8") for p in SAMPLE_PATHS}
SAMPLE_DOCS = {name: yaml.safe_load(text) for name, text in SAMPLE_TEXTS.items()}
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
NAMES = sorted(SAMPLE_TEXTS)


# --- running the command line and checking the contract --------------------------


_build_command = typer.main.get_command
_COMMAND = _build_command(cli.app)


def _get_command(app: typer.Typer):
    return _COMMAND if app is cli.app else _build_command(app)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """main(argv) in this process: (exit code, stdout, stderr).

    main() turns the Typer app into a Click command on every call, which takes some 20 ms,
    most of a run; here that is done once, and the command reused, as Click commands are
    meant to be. The results are the same, and the fuzzers run ten times more inputs.
    """
    out, err = io.StringIO(), io.StringIO()
    with (
        mock.patch.object(typer.main, "get_command", _get_command),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


# Each fuzzer is two tests, one per aspect of the contract, so that inputs which break one
# aspect (a message spread over two lines) cannot hide inputs which break the other (an
# internal error): Hypothesis stops looking soon after its first failure.
EXIT_CODES, ERROR_LINES = "exit codes", "error lines"


def check_contract(argv: list[str], allowed: set[int], aspect: str) -> int:
    """Run argv and assert one aspect of the contract; returns the exit code.

    EXIT_CODES: the code is one of ``allowed`` and nothing shows a traceback.
    ERROR_LINES: on exit 2, stderr is one or more lines, each starting with PREFIX.
    """
    code, out, err = run_cli(argv)
    context = f"argv={argv!r}\nexit code {code}\nstderr={err!r}"
    if aspect == EXIT_CODES:
        assert code in allowed, context
        assert "Traceback" not in err, context
        assert "Traceback" not in out, context
    elif code == 2 and not (not err and "Usage:" in out):  # a bare `nncalc` shows the help
        assert err, context
        for line in err.removesuffix("\n").split("\n"):  # the lines a terminal shows
            assert line.startswith(PREFIX), context
    return code


OUTPUT_SENTINEL = b"existing,contents\n1,2\n"


def check_forward(network: Path, extra: list[str], precreate: bool, aspect: str) -> None:
    """`forward NETWORK EXTRA...` keeps the contract; a failed run leaves an -o file intact."""
    folder = network.parent
    output = None
    if "-o" in extra:
        output = Path(extra[extra.index("-o") + 1])
        if precreate:
            output.write_bytes(OUTPUT_SENTINEL)
    before = set(folder.iterdir())
    code = check_contract(["forward", str(network), *extra], {0, 2}, aspect)
    if output is None or aspect != EXIT_CODES:
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
    "!!float abc",
    "!!int 1",
    "!!int 1.5",
    "!!bool maybe",
    "!!null 1",
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
    "-" + "9" * 4301,
    ".nan",
    ".inf",
    "1e999",
    "yes",
    "~",
    "''",
    "0x10",
    "1:30",
    "!!float x",
    "!!float 1e999",
    "!!int 1.5",
    "!!int 0x1F",
    "!!bool 2",
    "!!null 0",
    "!!str 1",
    "!!timestamp 1",
    "!!binary 1",
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


def mutated_text_case(aspect: str, data: bytes, extra: list[str], precreate: bool) -> None:
    """forward and params on the mutated bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        network = folder / "net.yaml"
        network.write_bytes(data)
        check_forward(network, place_outputs(extra, folder), precreate, aspect)
        check_contract(["params", str(network)], {0, 2}, aspect)


mutated_texts = given(data=mutated_sample(), extra=extra_args(), precreate=st.booleans())


@fuzz(800, shrink=False)
@mutated_texts
def test_mutated_network_text_exit_codes(data: bytes, extra: list[str], precreate: bool):
    mutated_text_case(EXIT_CODES, data, extra, precreate)


@fuzz(150, shrink=False)
@mutated_texts
def test_mutated_network_text_error_lines(data: bytes, extra: list[str], precreate: bool):
    mutated_text_case(ERROR_LINES, data, extra, precreate)


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


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


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
        op = draw(st.sampled_from(("number", "number", "replace", "add key", "remove", "append")))
        paths = list(_paths(doc))
        numbers = [p for p in paths if p and _is_number(_get(doc, p))]
        if op == "number" and numbers:  # a weight or an input: keep the shape, change the value
            path = draw(st.sampled_from(numbers))
            _get(doc, path[:-1])[path[-1]] = draw(FLOATS | st.integers())
            continue
        path = draw(st.sampled_from(paths))
        node = _get(doc, path)
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


def mutated_document_case(
    aspect: str, mutated: tuple[str, object], unicode: bool, extra: list[str], precreate: bool
) -> None:
    """forward and params on the dumped document, and its inputs as an --input file."""
    name, doc = mutated
    text = yaml.dump(doc, Dumper=DUMPER, sort_keys=False, allow_unicode=unicode)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        network = folder / "net.yaml"
        network.write_text(text, encoding="utf-8")
        check_forward(network, place_outputs(extra, folder), precreate, aspect)
        check_contract(["params", str(network)], {0, 2}, aspect)
        if isinstance(doc, dict) and "inputs" in doc:  # the examples as an --input file
            examples = folder / "examples.yaml"
            examples.write_text(yaml.dump(doc["inputs"], Dumper=DUMPER), encoding="utf-8")
            argv = ["forward", str(SAMPLES / name), "--input", str(examples)]
            check_contract(argv, {0, 2}, aspect)


mutated_documents = given(
    mutated=mutated_document(), unicode=st.booleans(), extra=extra_args(), precreate=st.booleans()
)


@fuzz(250)
@mutated_documents
def test_mutated_network_structure_exit_codes(mutated, unicode, extra, precreate):
    mutated_document_case(EXIT_CODES, mutated, unicode, extra, precreate)


@fuzz(50)
@mutated_documents
def test_mutated_network_structure_error_lines(mutated, unicode, extra, precreate):
    mutated_document_case(ERROR_LINES, mutated, unicode, extra, precreate)


# --- 3. random command lines -----------------------------------------------------

# Files in the scratch folder each run starts in (names relative to it).
SCRATCH_FILES = {
    "labels.txt": "1\n2\n# a comment\n\n3\n",
    "labels.csv": "label,x\ncar,1\ntruck,2\n",
    "bad-labels.txt": "12\nzebra\n",
    "examples.csv": "a,b,c\n1,2,3\n4,5,6\n",
    "examples.yaml": "- [1, 2, 3]\n- {name: B, x: [4, 5, 6]}\n",
    "empty.yaml": "",
    "binary.yaml": "\0",
}
FILES = (
    *SCRATCH_FILES,
    "examples.npy",
    "no-such-file.yaml",
    "no-such-file.csv",
    ".",
    *(str(p) for p in SAMPLE_PATHS),
)
OUTPUTS = ("out.csv", "out.npy", "OUT.CSV", "out.txt", "no-such-folder/out.csv", ".", "")
NUMBERS_TEXT = (
    "0",
    "1",
    "2",
    "3",
    "10",
    "60",
    "80",
    "-1",
    "17",
    "18",
    "1000000",
    "1000001",
    "9" * 30,
    "9" * 5000,
    "²",
    "٣",
    "½",
    "1.5",
    "1e3",
    "nan",
    "inf",
    "-inf",
    "1e999",
    "0x10",
    "",
    " ",
)
VECTORS = (
    "1,2,3",
    "66,39,12",
    "66 39 12",
    "0,0,1,0",
    "0.1,0.7,0.15,0.05",
    "0,0,1;1,0,0",
    "1;2",
    "1,,2",
    ",",
    ";",
    "1e308,1e308,1e308",
    "-1e308,1e308,5e-324",
    "nan,1,2",
    "1,inf,2",
    "1,2,1e999",
    "9" * 400,
)
CLASS_TEXTS = (
    "10",
    "3",
    "1",
    "0",
    "1000000",
    "1000001",
    "pedestrian,car,motorcycle,truck",
    "car",
    "a,,b",
    "a,a",
    "a, b",
    " , ",
    "²",
    "①",
    "9" * 5000,
)
LABELS = ("1", "3", "0", "10", "11", "-1", "car", "truck", "zebra", "1.0", "e_3", "²")
# A real argv never holds a NUL byte (C strings), but may hold anything else, even the
# lone surrogates Python makes of bytes that are not UTF-8.
TEXT = st.one_of(
    st.text(st.characters(exclude_characters="\0"), max_size=12),
    st.lists(st.text(st.characters(exclude_characters="\0"), max_size=4), max_size=4).map(
        ", ".join
    ),
    st.sampled_from(("\udcff", "a\nb", "\x1b[31m", "[bold]x[/]", "-")),
)
NUMBER = st.one_of(
    st.sampled_from(NUMBERS_TEXT),
    st.integers(-(10**40), 10**40).map(str),
    st.floats().map(repr),
)
VECTOR = st.one_of(
    st.sampled_from(VECTORS),
    st.lists(st.integers(-3, 12).map(str), min_size=1, max_size=5).map(",".join),
    st.lists(st.floats().map(repr), min_size=1, max_size=4).map(",".join),
)
# Each option with what it usually takes (None: a flag).
OPTION_VALUES: dict[str, st.SearchStrategy[str] | None] = {
    "-x": VECTOR,
    "--input": st.sampled_from(FILES),
    "-i": st.sampled_from(FILES),
    "--json": None,
    "-o": st.sampled_from(OUTPUTS),
    "--output": st.sampled_from(OUTPUTS),
    "--precision": NUMBER,
    "-p": NUMBER,
    "--theta": NUMBER,
    "-j": NUMBER,
    "--expect": st.one_of(NUMBER, VECTOR, st.sampled_from(LABELS)),
    "--classes": st.sampled_from(CLASS_TEXTS) | NUMBER,
    "-k": st.sampled_from(CLASS_TEXTS) | NUMBER,
    "--zero-based": None,
    "--labels": st.sampled_from(FILES),
    "--decode": VECTOR,
    "--version": None,
    "--help": None,
}
COMMANDS = {
    "forward": ("-x", "--input", "-i", "--json", "-o", "--output", "--precision", "-p"),
    "params": ("--theta", "-j", "--expect", "--json"),
    "onehot": (
        *("--classes", "-k", "--zero-based", "--labels", "--decode", "--expect", "--json"),
        *("-o", "--output"),
    ),
    "quiz": ("--json",),
}
POSITIONALS = {
    "forward": st.sampled_from(FILES),
    "params": st.sampled_from(FILES) | NUMBER | VECTOR,
    "onehot": st.sampled_from(LABELS) | NUMBER,
    "quiz": TEXT,
}


@st.composite
def command_line(draw) -> list[str]:
    """A random argv: mostly a command with its own options, sometimes anything at all."""
    argv: list[str] = []
    command = draw(st.sampled_from(sorted(COMMANDS)))
    if draw(st.integers(0, 9)):
        argv.append(command)
    elif draw(st.booleans()):
        argv.append(draw(TEXT))
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(
            st.sampled_from(("own option", "own option", "any option", "positional", "text"))
        )
        if kind == "positional":
            argv.append(draw(POSITIONALS[command]))
        elif kind == "text":
            argv.append(draw(TEXT))
        else:
            pool = COMMANDS[command] if kind == "own option" else tuple(OPTION_VALUES)
            option = draw(st.sampled_from(pool))
            argv.append(option)
            values = OPTION_VALUES[option]
            if values is not None and draw(st.integers(0, 9)):
                argv.append(draw(values if draw(st.integers(0, 4)) else TEXT))
    return argv


def make_scratch(folder: Path) -> None:
    for name, text in SCRATCH_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    np.save(folder / "examples.npy", np.array([[1.0, 2.0, 3.0]]))


def command_line_case(aspect: str, argv: list[str]) -> None:
    """The command line, run in a scratch folder (where a relative -o file lands)."""
    allowed = {0, 2} | ({1} if "--expect" in argv or "quiz" in argv else set())
    with tempfile.TemporaryDirectory() as tmp, contextlib.chdir(tmp):
        make_scratch(Path(tmp))
        check_contract(argv, allowed, aspect)


@fuzz(1200)
@given(argv=command_line())
def test_random_command_line_exit_codes(argv: list[str]):
    command_line_case(EXIT_CODES, argv)


@fuzz(300)
@given(argv=command_line())
def test_random_command_line_error_lines(argv: list[str]):
    command_line_case(ERROR_LINES, argv)


# -- 4 and 5: ONNX models, mutated as bytes and as graphs, read by `nncalc import` ---------

try:
    import onnx
except ImportError:  # the onnx extra: without it these fuzzers have nothing to read
    onnx = None

ONNX_SOURCES = [*SAMPLE_PATHS[:4], SAMPLES / "swiglu.yaml", SAMPLES / "relu-softmax.yaml"]
ONNX_FILES = sorted((SAMPLES / "interop").glob("*.onnx"))
OPS = (
    *("Gemm", "MatMul", "Add", "Mul", "Sub", "Div", "Max", "Relu", "Sigmoid", "Tanh"),
    *("Softmax", "Softplus", "LeakyRelu", "Gelu", "Erf", "Exp", "Neg", "Reciprocal", "Where"),
    *("Cast", "Flatten", "Reshape", "Identity", "Dropout", "Constant", "ZipMap", "Concat"),
    *("GreaterOrEqual", "Greater", "Equal", "Log", "Abs", "Elu", "NoSuchOp"),
)


def onnx_models() -> list[bytes]:
    models = [onnx.load(p).SerializeToString() for p in ONNX_FILES]
    from nncalc import load

    return models + [load(p).to_onnx().SerializeToString() for p in ONNX_SOURCES]


@st.composite
def mutated_onnx_bytes(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(onnx_models())))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(("flip", "cut", "insert", "delete")))
        if op == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        else:
            del data[at : at + draw(st.integers(1, 16))]
        if not data:
            break
    return bytes(data)


@st.composite
def mutated_onnx_graph(draw) -> bytes:
    """A model with a few nodes, attributes, initializers or names changed."""
    model = onnx.load_model_from_string(draw(st.sampled_from(onnx_models())))
    graph = model.graph
    for _ in range(draw(st.integers(1, 3))):
        what = draw(st.sampled_from(("op", "drop", "input", "attr", "init", "io", "const")))
        nodes = graph.node
        if what == "op" and nodes:
            nodes[draw(st.integers(0, len(nodes) - 1))].op_type = draw(st.sampled_from(OPS))
        elif what == "drop" and nodes:
            del nodes[draw(st.integers(0, len(nodes) - 1))]
        elif what == "input" and nodes:
            node = nodes[draw(st.integers(0, len(nodes) - 1))]
            names = [*(n.output[0] for n in nodes if n.output), "", "missing", "x"]
            if node.input and draw(st.booleans()):
                node.input[draw(st.integers(0, len(node.input) - 1))] = draw(st.sampled_from(names))
            elif draw(st.booleans()):
                del node.input[:]
            else:
                node.input.append(draw(st.sampled_from(names)))
        elif what == "attr" and nodes:
            node = nodes[draw(st.integers(0, len(nodes) - 1))]
            name = draw(st.sampled_from(("axis", "alpha", "beta", "transA", "transB", "to")))
            value = draw(st.sampled_from((0, 1, -1, 2, 7, 0.2, 1.0, "none", "tanh")))
            del node.attribute[:]
            node.attribute.append(onnx.helper.make_attribute(name, value))
        elif what == "init" and graph.initializer:
            k = draw(st.integers(0, len(graph.initializer) - 1))
            shape = draw(st.sampled_from(((), (1,), (2,), (3, 1), (1, 2, 2), (0,))))
            values = draw(st.sampled_from((0.0, 1.0, -1e308, np.nan, 0.01)))
            name = graph.initializer[k].name
            graph.initializer[k].CopyFrom(
                onnx.numpy_helper.from_array(np.full(shape, values), name)
            )
        elif what == "io":
            info = onnx.helper.make_tensor_value_info("extra", onnx.TensorProto.DOUBLE, [1, 2])
            draw(st.sampled_from((graph.input, graph.output))).append(info)
        elif what == "const":
            value = onnx.numpy_helper.from_array(np.array(draw(st.sampled_from((0.0, 1.0, 20.0)))))
            node = onnx.helper.make_node("Constant", [], ["c"], value=value)
            nodes.insert(draw(st.integers(0, len(nodes))), node)
    return model.SerializeToString()


def import_case(aspect: str, data: bytes) -> None:
    """`import MODEL -o OUT.yaml` keeps the contract and writes all of its files or none."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "model.onnx").write_bytes(data)
        code = check_contract(
            ["import", str(folder / "model.onnx"), "-o", str(folder / "out.yaml")], {0, 2}, aspect
        )
        written = sorted(p.name for p in folder.iterdir()) != ["model.onnx"]
        assert written == (code == 0), sorted(p.name for p in folder.iterdir())


def _onnx_fuzzer(examples: int, strategy, aspect: str):
    @fuzz(examples, shrink=False)
    @given(data=strategy())
    def test(data: bytes):
        import_case(aspect, data)

    return test if onnx else None


test_mutated_onnx_bytes_exit_codes = _onnx_fuzzer(300, mutated_onnx_bytes, EXIT_CODES)
test_mutated_onnx_bytes_error_lines = _onnx_fuzzer(100, mutated_onnx_bytes, ERROR_LINES)
test_mutated_onnx_graph_exit_codes = _onnx_fuzzer(500, mutated_onnx_graph, EXIT_CODES)
test_mutated_onnx_graph_error_lines = _onnx_fuzzer(100, mutated_onnx_graph, ERROR_LINES)
