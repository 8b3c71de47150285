"""Standard output and error as a shell can leave them, for every command: a full disk, a
disk that fills part way through, closed (>&-, 2>&-), an encoding without most of Unicode.
Every write to stdout is checked to the last byte; a closed or full stdout is one line and
exit 2 (a file given with -o is still written); a closed stderr changes nothing else; no
encoding is a traceback or exit 70.

All cases run in one process (tests/stdio.py), on real file descriptors."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES

GRADING = SAMPLES / "grading"
VEHICLES = SAMPLES / "vehicles.yaml"

PRINTS = {  # commands whose result goes to standard output
    "forward": ["forward", VEHICLES, "-x", "1,2,3"],
    "forward (small)": ["forward", SAMPLES / "slide-neuron.yaml"],
    "forward --json": ["forward", VEHICLES, "-x", "1,2,3", "--json"],
    "forward -o -": ["forward", VEHICLES, "-x", "1,2,3", "-x", "0,0,0", "-o", "-"],
    "forward --explain": ["forward", VEHICLES, "-x", "1,2,3", "--explain"],
    "forward --format latex": ["forward", VEHICLES, "-x", "1,2,3", "--format", "latex"],
    "collapse": ["collapse", "{work}/linear.yaml"],
    "draw": ["draw", VEHICLES],
    "page": ["page", VEHICLES],
    "import": ["import", SAMPLES / "interop" / "iris-sklearn.onnx"],
    "params": ["params", "3", "5", "10"],
    "params --json": ["params", "3", "5", "10", "--json"],
    "onehot": ["onehot", "3", "-k", "10"],
    "quiz": ["quiz"],
    "variants --student": ["variants", GRADING / "variants-sheet.yaml", "--student", "alice"],
    "check": ["check", GRADING / "sheet.yaml"],
    "check --answers": ["check", GRADING / "sheet.yaml", "-a", GRADING / "answers-partial.yaml"],
    "grade": ["grade", GRADING / "sheet.yaml", GRADING / "answers-partial.yaml"],
    "--help": ["--help"],
    "forward --help": ["forward", "--help"],
    "--version": ["--version"],
}
WRITES = {  # commands whose result goes to the file of -o only
    "forward -o": ["forward", VEHICLES, "-x", "1,2,3", "-o", "{out}.csv"],
    "draw -o": ["draw", VEHICLES, "-o", "{out}.svg"],
    "import -o": ["import", SAMPLES / "interop" / "iris-sklearn.onnx", "-o", "{out}.yaml"],
    "export": ["export", VEHICLES, "-o", "{out}.onnx"],
    "grade -o": [
        "grade",
        GRADING / "sheet.yaml",
        GRADING / "answers-partial.yaml",
        "-o",
        "{out}.csv",
    ],
}
FAILS = {"bad input": ["forward", "{work}/missing.yaml"]}
COMMANDS = {**PRINTS, **WRITES, **FAILS}
JSON = {"forward --json", "params --json"}

STREAMS = {  # scenario: (stdout, stderr, room, encoding)
    "plain": ("file", "file", None, "utf-8"),
    "full disk": ("full", "file", None, "utf-8"),
    "disk full part way": ("file", "file", "half", "utf-8"),
    "disk full part way, python -u": ("file", "file", "half", "utf-8"),
    "stdout closed": (None, "file", None, "utf-8"),
    "stderr closed": ("file", None, None, "utf-8"),
    "both closed": (None, None, None, "utf-8"),
    "ascii": ("file", "file", None, "ascii"),
    "latin-1": ("file", "file", None, "latin-1"),
}
STDOUT_FAILS = {"full disk", "stdout closed", "both closed"} | {s for s in STREAMS if "part" in s}
FULL = "No space left on device"


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """A file on a full disk: a small tmpfs, filled (when this may mount), else /dev/full."""
    mount = tmp_path_factory.mktemp("full")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        if not Path("/dev/full").exists():
            pytest.skip("no tmpfs can be mounted here and there is no /dev/full")
        yield "/dev/full"
        return
    try:
        with open(mount / "filler", "wb", buffering=0) as f, contextlib.suppress(OSError):
            while True:
                f.write(b"\0" * 4096)
        yield str(mount / "stdout")
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def _driver(cases: dict, folder: Path) -> dict:
    (folder / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "100"}
    env.pop("NNCALC_DEBUG", None)
    subprocess.run(
        [sys.executable, ROOT / "tests" / "stdio.py", folder / "cases.json", folder / "out.json"],
        cwd=folder,
        env=env,
        check=True,
        timeout=300,
    )
    return json.loads((folder / "out.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def results(tmp_path_factory, full):
    """(command, scenario) → the run's code, stdout and stderr; plain runs first, to know
    how much of each output half is."""
    work = tmp_path_factory.mktemp("streams")
    (work / "linear.yaml").write_text(
        "activation: identity\nlayers:\n  - theta: [[1, 2, 3], [0, 1, -1]]\n"
        "  - theta: [[0.5, 1, -2]]\n",
        encoding="utf-8",
    )

    def case(command: str, scenario: str, room: int | None = None) -> dict:
        out, err, _, encoding = STREAMS[scenario]
        tag = f"{len(cases)}"
        args = [str(a).format(work=work, out=work / f"out{tag}") for a in COMMANDS[command]]
        return {
            "args": args,
            "stdout": {"file": str(work / f"{tag}.out"), "full": full, None: None}[out],
            "stderr": str(work / f"{tag}.err") if err else None,
            "room": room,
            "encoding": encoding,
            "unbuffered": "python -u" in scenario,
            "outputs": [a for a in args if a.startswith(str(work / "out"))],
        }

    cases: dict = {}
    for command in COMMANDS:
        cases[command, "plain"] = case(command, "plain")
    plain = _driver({str(k): v for k, v in cases.items()}, work)
    first = dict(cases)
    for command in COMMANDS:
        for scenario in STREAMS:
            if scenario == "plain":
                continue
            room = None
            if STREAMS[scenario][2]:
                room = max(1, len(plain[str((command, "plain"))]["stdout"] or "") // 2)
            cases[command, scenario] = case(command, scenario, room)
    rest = {str(k): v for k, v in cases.items() if k not in first}
    ran = {**plain, **_driver(rest, work)}
    yield {
        key: {**ran[str(key)], "outputs": [_read(p) for p in case["outputs"]], "room": case["room"]}
        for key, case in cases.items()
    }
    shutil.rmtree(work, ignore_errors=True)


def _read(path: str) -> bytes | None:
    return Path(path).read_bytes() if Path(path).exists() else None


def _errors(err: str | None) -> list[str]:
    return [line for line in (err or "").splitlines() if line.startswith("nncalc: error:")]


@pytest.mark.parametrize("scenario", list(STREAMS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_standard_streams(results, command, scenario):
    r, plain = results[command, scenario], results[command, "plain"]
    assert isinstance(r["code"], int), r["code"]  # no exception escaped main()
    assert r["code"] not in (70, 120), r
    assert "Traceback" not in (r["stderr"] or "")
    if command in FAILS:
        assert plain["code"] == 2 and len(_errors(plain["stderr"])) == 1
        assert r["code"] == 2
        assert not r["stdout"]  # the error never lands in the output (stderr closed)
        if r["stderr"] is not None:
            assert _errors(r["stderr"]) == _errors(plain["stderr"])
        return
    assert plain["code"] in (0, 1) and not _errors(plain["stderr"]), plain
    if command in WRITES:
        assert not plain["stdout"]
        assert r["outputs"] == plain["outputs"] and all(r["outputs"])  # the file, as ever
    if scenario == "plain":
        assert plain["stdout"] or command in WRITES
    elif scenario in STDOUT_FAILS:
        _check_failed(command, scenario, r, plain)
    elif scenario == "stderr closed":  # the output as ever; 2 if a message was lost
        assert (r["code"], r["stdout"]) == (_unsaid(plain), plain["stdout"])
    else:
        _check_encoded(command, scenario, r, plain)


def _check_failed(command: str, scenario: str, r: dict, plain: dict) -> None:
    """stdout full or closed: exit 2 and one line if the command prints; else as ever."""
    if command in WRITES:  # nothing for stdout: as ever (stderr aside)
        assert r["code"] == (_unsaid(plain) if "both" in scenario else plain["code"])
        return
    assert r["code"] == 2
    why = (
        FULL
        if scenario == "full disk"
        else "File too large"
        if "part" in scenario
        else "it is closed"
    )
    if r["stderr"] is not None:
        assert _errors(r["stderr"]) == [f"nncalc: error: cannot write to standard output: {why}"]
    if "part" in scenario:  # every byte that fitted, and not one more
        assert len(r["stdout"]) == r["room"]
        assert plain["stdout"].startswith(r["stdout"])


def _unsaid(plain: dict) -> int:
    """The exit code of a run like ``plain`` with stderr closed: 2 if it has to say
    anything there (the message is lost), else as ever."""
    return 2 if plain["stderr"] else plain["code"]


def _check_encoded(command: str, encoding: str, r: dict, plain: dict) -> None:
    """What the encoding cannot show is escaped; the result is the same."""
    assert r["code"] == plain["code"], r
    assert not _errors(r["stderr"])
    if encoding == "ascii":
        assert (r["stdout"] or "").isascii() and (r["stderr"] or "").isascii()
    if command in JSON:  # the escapes are JSON's own: the same document
        text = r["stdout"].encode("latin-1").decode(encoding)
        assert json.loads(text) == json.loads(plain["stdout"].encode("latin-1").decode())


def _nncalc(*args, env: dict | None = None, shell: str = "") -> subprocess.CompletedProcess:
    """nncalc in a fresh Python, through a shell that may close or redirect its streams."""
    command = " ".join(["exec", '"$0"', "-m", "nncalc", *(f"'{a}'" for a in args), shell])
    return subprocess.run(
        ["sh", "-c", command, sys.executable],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        check=False,
    )


@pytest.mark.parametrize(
    ("shell", "code", "out", "err"),
    [
        (">&-", 2, b"", b"nncalc: error: cannot write to standard output: it is closed\n"),
        ("2>&-", 0, b"20\n", b""),  # nothing to say on stderr: nothing lost
        (">&- 2>&-", 2, b"", b""),
        (
            ">/dev/full",
            2,
            b"",
            b"nncalc: error: cannot write to standard output: " + FULL.encode() + b"\n",
        ),
    ],
)
def test_a_real_process_with_its_streams_closed_or_full(shell, code, out, err):
    done = _nncalc("params", "3", "5", "--theta", "1", shell=shell)
    assert (done.returncode, done.stdout, done.stderr) == (code, out, err)


@pytest.mark.parametrize("shell", ["2>&-", "2>/dev/full"])
def test_a_message_that_cannot_be_written_is_exit_2_and_the_file_is_written(tmp_path, shell):
    out = tmp_path / "h.csv"
    done = _nncalc("forward", VEHICLES, "-x", "1,2,3", "-o", out, shell=shell)
    assert (done.returncode, done.stdout) == (2, b"")
    assert out.read_bytes() == _nncalc("forward", VEHICLES, "-x", "1,2,3", "-o", "-").stdout


def test_an_error_with_stderr_closed_never_reaches_stdout():
    done = _nncalc("forward", "missing.yaml", shell="2>&-")
    assert (done.returncode, done.stdout) == (2, b"")


@pytest.mark.parametrize(
    "env",
    [
        {"PYTHONIOENCODING": "ascii"},
        {"PYTHONIOENCODING": "latin-1"},
        {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"},
    ],
    ids=["ascii", "latin-1", "C locale"],
)
def test_a_real_process_in_an_encoding_without_unicode(env, tmp_path):
    """JSON keeps its meaning (its escapes are JSON's own); an error is one line."""
    net = tmp_path / "net.yaml"
    net.write_text(
        "name: Réseau Θ 😀\nclasses: [café]\nlayers: [{theta: [[0.5, 2]]}]\n", encoding="utf-8"
    )
    done = _nncalc("forward", net, "-x", "1", "--json", env=env)
    assert done.returncode == 0, done.stderr
    encoding = env.get("PYTHONIOENCODING", "ascii")
    expected = _nncalc("forward", net, "-x", "1", "--json").stdout.decode()
    assert json.loads(done.stdout.decode(encoding)) == json.loads(expected)
    assert done.stdout.isascii() or encoding == "latin-1"
    net.write_text("layers: [{theta: [[0.5, 2]], activation: σ}]\n", encoding="utf-8")
    bad = _nncalc("forward", net, "-x", "1", env=env)
    assert bad.returncode == 2
    assert bad.stderr.count(b"\n") == 1 and b"unknown activation" in bad.stderr
    assert bad.stderr.decode(encoding).rstrip().isprintable()
