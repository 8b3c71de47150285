"""Hand-outs: every network's Θ^(j) written out, the answers template, plain sheets, and
LaTeX that compiles with every roster name."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import textwrap
import unicodedata

import pytest
import yaml

import nncalc
from nncalc.grading import handouts, marking, submission, variants
from nncalc.render import escape
from nncalc.render import handout as render

from conftest import SAMPLES
from test_solution import bmatrices, shown_value

SHEET = SAMPLES / "grading" / "sheet.yaml"
VARIANTS = SAMPLES / "grading" / "variants-sheet.yaml"
ROSTER = SAMPLES / "grading" / "roster.csv"

WORLD = SAMPLES / "grading" / "roster-world.csv"  # 30 names in 12 scripts, as LMSs export them
NAMES = [row["name"] for row in csv.DictReader(WORLD.read_text(encoding="utf-8").splitlines())]


def _network_files(sheet) -> list[str]:
    """The sheet's network files in the order questions first use them (read with PyYAML)."""
    doc = yaml.safe_load(sheet.read_text(encoding="utf-8"))
    files = [
        spec["network"]
        for q in doc["questions"]
        for spec in q.values()
        if isinstance(spec, dict) and isinstance(spec.get("network"), str)
    ]
    return list(dict.fromkeys(files))


@pytest.mark.parametrize("fmt", ["markdown", "latex"])
def test_fixed_networks_show_every_theta(run, fmt):
    r = run("handout", SHEET, "--format", fmt)
    assert r.code == 0, r.err
    thetas = [
        layer.theta.tolist()
        for name in _network_files(SHEET)
        for layer in nncalc.load(SHEET.parent / name).layers
    ]
    shown = [[[float(v) for v in row] for row in m] for m in bmatrices(r.out)]
    assert shown == thetas  # every entry, exactly the network file's float64
    assert ".yaml" not in r.out.replace("answers.yaml", "")  # never the instructor's file
    assert "(given)" not in r.out
    label = "network \\textbf{B}" if fmt == "latex" else "network **B**"
    assert label in r.out  # the fixed networks are A, B, … in order of first use


def test_inline_and_swiglu_networks_are_shown_with_their_gate(run, write):
    swiglu = nncalc.load(SAMPLES / "swiglu.yaml")
    shutil.copy(SAMPLES / "swiglu.yaml", write("dummy", "").parent / "s.yaml")
    sheet = write(
        "sheet.yaml",
        textwrap.dedent("""\
            questions:
              - {id: a, output: {network: s.yaml, x: [1, 2]}}
              - {id: b, z: {network: {layers: [{theta: [[0.1, -2e-5]]}]}, x: [3], layer: 2}}
              - {id: c, prediction: {network: ./s.yaml, x: [0, 0]}}
        """),
    )
    tex = run("handout", sheet, "--format", "latex").out
    first = swiglu.layers[0]
    matrices = [[[float(shown_value(v)) for v in row] for row in m] for m in bmatrices(tex)]
    expected = [first.theta.tolist(), first.gate.tolist(), swiglu.layers[1].theta.tolist()]
    assert matrices[:3] == expected
    assert r"\Theta_{\text{gate}}^{(1)}" in tex and r"\operatorname{SwiGLU}" in tex
    assert r"-2\times 10^{-5}" in tex  # 2e-05 written in LaTeX
    assert tex.count(r"\Theta_{\text{gate}}^{(1)}") == 1  # one file, however spelt


# --- the answers template --------------------------------------------------------------


def _key_answers(key: marking.Sheet) -> dict:
    return {
        q.id: q.labels[q.computed - 1] if q.kind == "prediction" and q.labels else q.computed
        for q in key.questions
    }


def _fill(template: str, answers: dict) -> str:
    """The template filled in as a student would: each answer after its id's colon."""
    lines = []
    for line in template.splitlines():
        key, colon, rest = line.partition(":")
        if colon and not line.startswith(("#", "student")):
            line = f"{key}: {json.dumps(answers[key])}  {rest.strip()}"
        lines.append(line)
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("sheet", [SHEET, VARIANTS])
def test_the_answers_template_filled_in_with_the_key_scores_full_marks(write, sheet):
    spec = handouts.read(sheet)
    student = handouts.Student("alice", "Alice Ng")
    key, _ = handouts.student_sheet(spec, student)
    template = render.answers(handouts.make(spec, student))
    assert template.startswith("# Write each answer after its question's id and colon")
    assert len(template.splitlines()[0]) < 200  # one line of instructions
    empty = submission.read(write("empty.yaml", template), key.ids)
    assert empty.answers == dict.fromkeys(key.ids) and not empty.unknown  # every id, empty
    assert empty.student == ("alice" if spec.variants else None)
    filled = write("answers.yaml", _fill(template, _key_answers(key)))
    grade = marking.grade_submission(key, submission.read(filled, key.ids))
    assert grade.score == key.max_score and not grade.ignored


IDS = ["no", "1", "1.5", "a: b", "#1", "q 1", "é", "null", "[x]", "*x", "true", "~", "x\u2028y"]


def test_template_keys_read_back_as_the_question_ids(write):
    questions = "".join(
        f"  - {{id: {json.dumps(i)}, onehot: {{classes: 2, label: 1}}}}\n" for i in IDS
    )
    sheet = write("sheet.yaml", "questions:\n" + questions)
    template = render.answers(handouts.load(sheet))
    read = submission.read(write("answers.yaml", template), IDS)
    assert list(read.answers) == IDS and not read.unknown and not read.twice


# --- plain sheets and the commands ------------------------------------------------------


def test_a_plain_sheet_gives_a_handout_for_everyone(run, tmp_path):
    alone = run("handout", SHEET, "--student", "alice")
    assert alone.code == 0
    assert alone.out.startswith("# Week 3 quiz: forward propagation\n\nStudent: alice\n")
    assert run("variants", SHEET, "--student", "alice").out == alone.out
    out = tmp_path / "class"
    r = run("variants", SHEET, "--students", ROSTER, "-o", out)
    assert r.code == 0, r.err
    assert "3 hand-outs in" in r.err
    assert sorted(p.name for p in (out / "bob").iterdir()) == sorted(handouts.FILES)
    key = marking.load_sheet(SHEET)
    rows = list(csv.DictReader((out / "key.csv").read_text().splitlines()))
    assert [r["id"] for r in rows] == ["alice", "bob", "carol"]
    for row in rows:
        assert json.loads(row["q6"]) == key.questions[5].computed
    names = (out / "carol" / "questions.tex").read_text(encoding="utf-8")
    assert "Carol LeCun" in names


def test_handout_writes_its_three_files(run, tmp_path):
    folder = tmp_path / "new" / "week3"
    r = run("handout", VARIANTS, "--student", "bob", "-o", folder)
    assert r.code == 0, r.err
    assert sorted(p.name for p in folder.iterdir()) == sorted(handouts.FILES)
    md = (folder / "questions.md").read_text(encoding="utf-8")
    assert md == run("handout", VARIANTS, "--student", "bob").out
    assert "student: bob" in (folder / "answers.yaml").read_text()


def test_a_handout_never_replaces_its_sheet(run, write):
    text = SHEET.read_text(encoding="utf-8").replace("../", f"{SAMPLES.as_posix()}/")
    sheet = write("answers.yaml", text)
    r = run("handout", sheet, "-o", sheet.parent)
    assert r.code == 2 and "the output is also an input" in r.err
    assert sheet.read_text(encoding="utf-8") == text
    assert not (sheet.parent / "questions.md").exists()  # all three files or none


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([VARIANTS], "this sheet has variants: each student has their own hand-out"),
        ([SHEET, "--format", "latex", "-o", "x"], "-o writes both formats"),
        ([SHEET, "--student", "../x"], "student id '../x' should be"),
    ],
)
def test_bad_handout_requests_exit_2(run, args, message):
    r = run("handout", *args)
    assert r.code == 2 and message in r.err and len(r.err.splitlines()) == 1


def test_the_python_api_gives_a_student_s_values():
    spec = variants.load(VARIANTS)
    drawn = variants.draw(spec, "carol").values
    h = nncalc.handouts.load(VARIANTS, "carol")
    net, x = h.given
    assert net.steps[0].theta == tuple(
        tuple(drawn["net"].text(k) for k in row) for row in drawn["net"].matrices[0]
    )
    assert x.entries == tuple(drawn["x"].text(k) for k in drawn["x"].matrices[0][0])


# --- names in LaTeX ------------------------------------------------------------------------


def test_names_reach_latex_as_themselves():
    """Every letter of every script is typeset as itself (LuaLaTeX), none as a code point."""
    for name in NAMES:
        assert escape.latex(name) == name


def _fonts_for(text: str) -> str | None:
    """Why the fonts for ``text`` are missing (fc-list), or None."""
    if shutil.which("fc-list") is None:
        return "fc-list is not installed"
    for c in {c for c in text if ord(c) > 0x2FF and unicodedata.category(c)[0] == "L"}:
        found = subprocess.run(
            ["fc-list", f":charset={ord(c):x}", "family"], capture_output=True, text=True
        )
        if not found.stdout.strip():
            return f"no font has {c} (U+{ord(c):04X}); see docs/grading.md, 'Hand-outs in LaTeX'"
    return None


def test_handouts_compile_with_lualatex_for_every_name(run, write, tmp_path):
    """The hand-outs of a roster of 30 names in 12 scripts: each holds its student's name,
    as written; two of them compile, with every name of the roster in the title too (so each
    compiled document holds every script), and LuaLaTeX stops on any character no font has
    (\\tracinglostchars=3)."""
    text = VARIANTS.read_text(encoding="utf-8").replace(
        'title: "Week 3 quiz: your own numbers"', f"title: {json.dumps(' · '.join(NAMES))}"
    )
    out = tmp_path / "out"
    assert run("variants", write("sheet.yaml", text), "--students", WORLD, "-o", out).code == 0
    for row in csv.DictReader(WORLD.read_text(encoding="utf-8").splitlines()):
        tex = (out / row["id"] / "questions.tex").read_text(encoding="utf-8")
        assert f"Student: {row['id']} ({unicodedata.normalize('NFC', row['name'])})" in tex
    if shutil.which("lualatex") is None:
        pytest.skip("lualatex is not installed")
    why = _fonts_for("".join(NAMES))
    if why:
        pytest.skip(why)
    command = ["lualatex", "-interaction=nonstopmode", "-halt-on-error", "questions.tex"]
    folders = [out / "li.xiaolong", out / "m.abdullah"]
    jobs = [subprocess.Popen(command, cwd=f, stdout=subprocess.PIPE, text=True) for f in folders]
    for folder, job in zip(folders, jobs, strict=True):
        log, _ = job.communicate(timeout=300)
        assert job.returncode == 0, log[-3000:]
        assert (folder / "questions.pdf").stat().st_size > 10_000
