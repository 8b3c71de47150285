"""The habits every CLI user has: -h, --debug anywhere, - for stdin and stdout, a quiet
broken pipe, shell completion, examples in --help, usage errors on one line."""

from __future__ import annotations

import io
import math
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from nncalc.cli import app

from conftest import ROOT, SAMPLES

NEURON = SAMPLES / "slide-neuron.yaml"
COMMANDS = [info.name or info.callback.__name__ for info in app.registered_commands]


def _nncalc(*args: str, stdin=None, env=None, **kw) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "nncalc", *map(str, args)],
        input=stdin,
        capture_output=True,
        env=env,
        check=False,
        **kw,
    )


@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_h_is_help(run, command):
    short, long = run(*command, "-h"), run(*command, "--help")
    assert (short.code, short.err) == (0, "")
    assert short.out == long.out
    assert "Usage: nncalc" in short.out


@pytest.mark.parametrize("where", [0, 1, 3])
def test_debug_works_anywhere_before_double_dash(run, monkeypatch, where):
    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("nncalc.params.count", boom)
    args = ["params", "3", "5"]
    args.insert(where, "--debug")
    with pytest.raises(RuntimeError, match="kaboom"):
        run(*args)


def test_debug_after_double_dash_is_an_argument(run):
    r = run("onehot", "-k", "3", "--", "--debug")
    assert r.code == 2
    assert "label '--debug'" in r.err


def test_usage_errors_are_one_sentence(run):
    r = run("froward", NEURON)
    assert r.err == (
        "nncalc: error: no such command 'froward'; did you mean 'forward'? See 'nncalc --help'\n"
    )
    r = run("forward", NEURON, "--precision", "30")
    assert r.err.startswith("nncalc: error: invalid value for '--precision'")
    assert r.err.endswith("; see 'nncalc forward --help'\n")
    assert r.err.count("\n") == 1


def test_a_closed_pipe_ends_quietly_with_141():
    # a real pipe whose reader goes away at once, as `nncalc forward … | head -3` does
    xs = [a for k in range(2000) for a in ("-x", f"{k},2,3")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for extra in ([], ["--json"]):
        head = subprocess.Popen(["head", "-3"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        done = subprocess.run(
            [sys.executable, "-m", "nncalc", "forward", str(NEURON), *xs, *extra],
            stdout=head.stdin,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        head.stdin.close()
        head.wait()
        assert (extra, done.returncode, done.stderr) == (extra, 128 + signal.SIGPIPE, b"")


def test_shell_completion_is_offered():
    done = _nncalc("--show-completion", "bash")
    if done.returncode != 0 and b"shell" in done.stderr.lower():
        pytest.skip(f"no shell detected: {done.stderr.decode()}")
    assert done.returncode == 0
    assert b"_NNCALC_COMPLETE" in done.stdout
    assert b"--install-completion" in _nncalc("--help").stdout


@pytest.fixture
def stdin(monkeypatch):
    """stdin(data): what standard input holds for the next run."""

    def _stdin(data: str | bytes) -> None:
        raw = data.encode() if isinstance(data, str) else data
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))

    return _stdin


def test_a_network_from_stdin_computes_as_from_its_file(run, stdin):
    stdin(NEURON.read_text(encoding="utf-8"))
    piped = run("forward", "-", "-x", "1,2,3", "--json")
    assert piped.code == 0
    assert piped.json() == run("forward", NEURON, "-x", "1,2,3", "--json").json()
    stdin("layers:\n  - theta: [[1, 2]]\n")
    assert run("params", "-", "--theta", "1").out == "2\n"


def test_errors_in_stdin_name_it(run, stdin):
    stdin("layers: [\n")
    r = run("forward", "-")
    assert r.code == 2
    assert r.err.startswith("nncalc: error: <stdin>:")


def test_a_terminal_is_not_waited_on(run, monkeypatch):
    class Terminal(io.TextIOWrapper):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal(io.BytesIO(b"")))
    r = run("forward", "-")
    assert r.code == 2
    assert r.err.startswith("nncalc: error: <stdin>: nothing piped to standard input")


def test_stdin_is_bounded_like_a_file(run, stdin, monkeypatch):
    monkeypatch.setenv("NNCALC_MAX_BYTES", "100")
    stdin("#" * 101)
    r = run("forward", "-")
    assert r.code == 2
    assert "<stdin>: file is over the limit of 100 bytes" in r.err


@pytest.mark.parametrize("fmt", ["csv", "npy", "yaml"])
@pytest.mark.parametrize("told", [True, False])
def test_input_from_stdin_in_each_format(run, stdin, fmt, told):
    X = np.array([[1.0, 2.0, 3.0], [66.0, 39.0, 12.0]])
    if fmt == "npy":
        buffer = io.BytesIO()
        np.save(buffer, X)
        data = buffer.getvalue()
    elif fmt == "csv":
        data = "x1,x2,x3\n1,2,3\n66,39,12\n"
    else:
        data = "- [1, 2, 3]\n- [66, 39, 12]\n"
    stdin(data)
    args = ["--input-format", fmt] if told else []
    r = run("forward", NEURON, "--input", "-", *args, "--json")
    assert r.code == 0, r.err
    z = [e["layers"][1]["z"][0] for e in r.json()["examples"]]
    assert z == [-0.5 - 2 * 1 + 4 * 2 + 1.5 * 3, 41.5]  # Θ = [-0.5, -2, 4, 1.5]


def test_one_standard_input_only(run, stdin):
    stdin("")
    r = run("forward", "-", "--input", "-")
    assert r.code == 2
    assert "cannot both be standard input" in r.err


def test_dash_o_writes_csv_to_stdout(run, tmp_path):
    r = run("forward", NEURON, "-x", "1,2,3", "-x", "0,0,0", "-o", "-")
    assert r.code == 0
    assert r.err == ""
    sigma = [1 / (1 + math.exp(-10.0)), 1 / (1 + math.exp(0.5))]
    assert r.out.splitlines() == ["h_1", *(repr(v) for v in sigma)]
    assert run("onehot", "2", "-k", "3", "-o", "-").out == "1,2,3\n0,1,0\n"
    assert list(tmp_path.iterdir()) == []


def test_labels_and_answers_from_stdin(run, stdin):
    stdin("2\n3\n")
    assert run("onehot", "-k", "3", "--labels", "-").out == "2 → e_2 = [0 1 0]\n3 → e_3 = [0 0 1]\n"
    sheet = SAMPLES / "grading" / "sheet.yaml"
    answers = SAMPLES / "grading" / "answers-correct.yaml"
    stdin(answers.read_text(encoding="utf-8"))
    piped = run("check", sheet, "--answers", "-", "--json").json()
    assert piped["score"] == run("check", sheet, "--answers", answers, "--json").json()["score"]
    assert piped["score"] == piped["max_score"]


@pytest.mark.parametrize(
    ("args", "ok"),
    [
        (["-x", "1,2,3", "--expect", "0.99995"], True),  # σ(10) = 0.9999546: 0.99995 ± 5e-6
        (["-x", "1,2,3", "--expect", "0.9999"], False),  # ± 5e-5 misses it by 4.5e-6
        (["-x", "1,2,3", "--expect", "1", "--tolerance", "1e-4"], True),
        (["-x", "1,2,3", "--expect", "1", "--tolerance", "1e-5"], False),
        (["-x", "0,0,0", "--unit", "1", "--expect", "0.378"], True),  # σ(-0.5) = 0.3775407
        (["-x", "1,2,3;0,0,0", "--expect", "1;0.37"], False),  # 0.37 ± 0.005 misses 0.3775
    ],
)
def test_forward_expect_checks_a_hand_answer(run, args, ok):
    if ";" in args[1]:
        args = ["-x", "1,2,3", "-x", "0,0,0", *args[2:]]
    r = run("forward", NEURON, *args)
    assert r.code == (0 if ok else 1), r.err
    lines = r.out.splitlines()
    assert all(line.startswith("✓") for line in lines) == ok
    document = run("forward", NEURON, *args, "--json").json()["expect"]
    assert document["ok"] == ok


def test_forward_expect_needs_one_number_per_unit(run):
    r = run("forward", NEURON, "-x", "1,2,3", "--expect", "1,2")
    assert r.code == 2
    assert "has 2 numbers; h_Θ(x) has 1" in r.err


@pytest.mark.parametrize("command", COMMANDS)
def test_help_ends_with_examples_and_shows_placeholders(run, command):
    """Every option and argument shows a placeholder (FILE, LIST, N…), never Typer's type
    (<str>, TEXT); each argument is named in the usage line as in its panel."""
    import typer

    out = run(command, "--help").out
    examples = out[out.index("Examples:") :].splitlines()[1:]
    assert sum(line.strip().startswith("nncalc ") for line in examples) >= 2
    panels = out[out.index("Usage:") : out.index("Examples:")]
    assert not re.search(r"<(str|int|float|list|path)\b|\b(TEXT|INTEGER|FLOAT)\b", panels)
    usage = out[out.index("Usage:") :].splitlines()[0]
    click_command = typer.main.get_command(app).commands[command]
    for param in click_command.params:
        if param.param_type_name == "argument":
            placeholder = param.type.get_metavar(param, None)
            assert placeholder and placeholder.isupper(), param.name
            assert re.search(
                rf"│ [ *]\s+{re.escape(param.metavar)}\s+{re.escape(placeholder)} ", out
            )
            assert param.metavar.isupper() and param.metavar in usage


def test_choices_are_listed(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "150")
    out = run("forward", "--help").out
    for choice in ("table|latex|markdown", "float64|float32", "csv|npy|yaml"):
        assert choice in out
    r = run("forward", NEURON, "--format", "html")
    assert r.code == 2
    assert r.err.startswith("nncalc: error: invalid value for '--format': 'html' is not one of")


def test_draw_names_the_classes_and_the_output_g(run):
    import nncalc
    from nncalc.render.svg import draw

    net = nncalc.load(SAMPLES / "vehicles.yaml")
    root = ET.fromstring(draw(net))
    texts = list(root.iter("{http://www.w3.org/2000/svg}text"))
    names = [t.text for t in texts if t.get("class") == "class"]
    assert names == list(net.classes)
    assert "output · g = σ" in [t.text for t in texts]
    right = max(float(t.get("x")) + 7 * len(t.text) for t in texts if t.get("class") == "class")
    assert right <= float(root.get("width"))


def test_check_names_the_predicted_class(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = run("check", SAMPLES / "grading" / "sheet.yaml").out
    (q7,) = [line for line in out.splitlines() if " q7 " in line]
    assert "motorcycle (unit 3)" in q7


def test_onehot_wording(run):
    # e_k counts the units of h_Θ(x) from 1, whatever the labels count from
    assert run("onehot", "0", "-k", "3", "--zero-based").out == "0 → e_1 = [1 0 0]\n"
    out = run("onehot", "--decode", "0.4,0.1,0.4,0.4").out
    assert out == "1    (unit 1, argmax; tied with units 3, 4, the first is taken)\n"


def test_progress_off_a_terminal_leaves_no_blank_line(run, tmp_path):
    r = run("forward", NEURON, "-o", tmp_path / "h.csv", "--progress")
    assert "\n\n" not in r.err
    assert not r.err.startswith("\n")


@pytest.mark.parametrize(
    "args",
    [
        ["draw", NEURON],
        ["check", SAMPLES / "grading" / "sheet.yaml", "--json"],
        ["grade", SAMPLES / "grading" / "sheet.yaml", SAMPLES / "grading" / "answers-partial.yaml"],
    ],
)
def test_dash_o_is_stdout_as_without_o(run, args):
    plain, dashed = run(*args), run(*args, "-o", "-")
    assert (dashed.code, dashed.out) == (plain.code, plain.out)
    assert dashed.out


def test_unreadable_stdin_is_one_line(run, monkeypatch):
    class Closed(io.TextIOWrapper):
        def isatty(self) -> bool:
            return False

    closed = Closed(io.BytesIO(b""))
    closed.close()
    monkeypatch.setattr(sys, "stdin", closed)
    r = run("forward", "-")
    assert r.code == 2
    assert r.err.startswith("nncalc: error: <stdin>: cannot read: ")


@pytest.fixture(params=["a file", "a read-only file system"])
def unwritable_home(request, tmp_path):
    """A HOME no shell's start-up file can be written in (root writes through modes)."""
    if request.param == "a file":
        home = tmp_path / "home"
        home.write_text("")
        yield home
        return
    home = tmp_path / "ro"
    home.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=4k", "tmpfs", home],
        check=False,
        capture_output=True,
    )
    if mounted.returncode != 0:
        pytest.skip("no file system can be mounted read-only here")
    try:
        yield home
    finally:
        subprocess.run(["umount", home], check=False)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_install_completion_where_it_cannot_write_is_one_line(unwritable_home, shell):
    done = _nncalc(
        "--install-completion", env={"HOME": str(unwritable_home), "SHELL": f"/bin/{shell}"}
    )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.decode().splitlines()
    assert line.startswith(f"nncalc: error: {unwritable_home}")
    assert "cannot install shell completion: " in line
