"""The README's quick start: CI runs its two commands as written, and the first one, which
installs nncalc without extras, gives every command that needs no extra."""

from __future__ import annotations

import contextlib
import importlib.metadata as metadata
import os
import re
import shlex
import subprocess
import sys
import tomllib

from packaging.requirements import Requirement

from conftest import ROOT


def quick_start() -> list[str]:
    """The lines of the first ```sh block under the README's '## Quick start'."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## Quick start\n") :]
    return re.search(r"\n```sh\n(.*?)\n```\n", section, re.DOTALL).group(1).splitlines()


def test_ci_runs_the_readme_s_quick_start_as_written():
    setup, tests = quick_start()
    printed = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run"), "--print"], capture_output=True, text=True, check=True
    )
    assert printed.stdout.splitlines() == [setup, tests]
    steps = [shlex.split(step) for step in setup.split(" && ")]
    assert steps[0] == ["python3", "-m", "venv", ".venv"]
    assert ["python3", "-m", "pip", "install", "-e", "."] in steps  # no extra
    assert steps[-1][0] == "nncalc"
    assert shlex.split(tests) == shlex.split(
        'python3 -m pip install -e ".[test]" && python3 -m pytest'
    )


def _closure(requirements: list[str]) -> set[str]:
    """The distributions the requirements install, theirs included (as installed here)."""
    seen: set[str] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        r = todo.pop()
        name = r.name.lower().replace("_", "-")
        if name in seen or name == "nncalc":
            continue
        if r.marker and not r.marker.evaluate({"extra": ""}):
            continue
        seen.add(name)
        with contextlib.suppress(metadata.PackageNotFoundError):  # not installed here
            todo += [Requirement(t) for t in metadata.requires(name) or ()]
    return seen


def extra_modules() -> set[str]:
    """The top-level modules that only the extras install: missing after the first command."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    base = _closure(project["dependencies"]) | {"pip", "setuptools"}
    extras = _closure([r for group in project["optional-dependencies"].values() for r in group])
    only = extras - base
    return {
        module
        for module, dists in metadata.packages_distributions().items()
        if {d.lower().replace("_", "-") for d in dists} <= only and not module.startswith("_")
    }


def test_the_extras_are_what_the_closure_says():
    """The blocker below blocks the test extra's heavy parts, and none of nncalc's own."""
    blocked = extra_modules()
    for module in ("onnx", "onnxruntime", "sklearn", "playwright", "pytest", "mpmath"):
        assert module in blocked
    for module in ("numpy", "yaml", "rich", "typer", "threadpoolctl", "nncalc"):
        assert module not in blocked


# Every command that needs no extra (the README's example is run first), each with the exit
# code it must give; export to ONNX needs the onnx extra.
COMMANDS = [
    ("forward samples/vehicles.yaml -x 1.2,2.1,2 --json", 0),
    ("forward samples/lecture-3-3-1.yaml --explain", 0),
    ("forward samples/lecture-3-3-1.yaml -x 1,2,3 -x 0,0,0 -o {tmp}/h.csv", 0),
    ("forward samples/lecture-3-3-1.yaml --format latex", 0),
    ("params 3 5 10 --theta 2 --expect 60", 0),
    ("onehot 3 --classes 10", 0),
    ("collapse samples/relu-softmax.yaml", 1),
    ("draw samples/logic-xnor.yaml -x 1,0 -o {tmp}/xnor.svg", 0),
    ("page samples/vehicles.yaml -o {tmp}/page.html", 0),
    ("quiz", 0),
    ("check samples/grading/sheet.yaml", 0),
    ("grade samples/grading/sheet.yaml samples/grading/answers-partial.yaml -o {tmp}/g.csv", 0),
    ("variants samples/grading/variants-sheet.yaml --student alice", 0),
    ("import samples/interop/iris-torch.safetensors -g relu,softmax -o {tmp}/iris.yaml", 0),
    ("export samples/vehicles.yaml -o {tmp}/net.onnx", 2),  # needs the onnx extra: said so
]


def test_every_command_but_interop_works_without_the_extras(tmp_path):
    """With the extras' modules made unimportable (as after the README's first command),
    the README's example and every command that needs no extra run; ONNX says which extra
    it needs, in one line."""
    site = tmp_path / "site"
    site.mkdir()
    blocked = sorted(extra_modules())
    (site / "sitecustomize.py").write_text(
        f"import sys\nsys.modules.update(dict.fromkeys({blocked!r}))\n", encoding="utf-8"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    example = quick_start()[0].split(" && ")[-1]
    for line, code in [(example.removeprefix("nncalc "), 0), *COMMANDS]:
        args = shlex.split(line.format(tmp=tmp_path))
        r = subprocess.run(
            [sys.executable, "-m", "nncalc", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            check=False,
        )
        assert r.returncode == code, (line, r.stderr)
        if code == 2:
            assert r.stderr.count("\n") == 1 and "nncalc[onnx]" in r.stderr
        else:
            assert "Traceback" not in r.stderr
    blocker = [sys.executable, "-c", "import onnx"]
    assert subprocess.run(blocker, env=env, capture_output=True, check=False).returncode == 1
