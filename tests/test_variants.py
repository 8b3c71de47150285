"""Per-student variants: the derivation, well-posedness, the files, grading by student."""

from __future__ import annotations

import csv
import hashlib
import hmac
import itertools
import json
import math
import re
import shutil
import subprocess
import textwrap
from fractions import Fraction

import pytest

from nncalc.files.yamlfile import parse
from nncalc.grading import marking, variants

from conftest import SAMPLES

SHEET = SAMPLES / "grading" / "variants-sheet.yaml"
ROSTER = SAMPLES / "grading" / "roster.csv"

VALUES_ONLY = """\
    title: values only
    variants:
      seed: {seed}
      random:
        net: {{network: {{sizes: [3, 3, 2], decimals: [-2, 2], places: 1}}}}
        x: {{vector: {{size: 3, integers: [0, 5]}}}}
    questions:
      - {{id: z, z: {{network: $net, x: $x, layer: 2}}}}
      - {{id: a, activation: {{network: $net, x: $x, layer: 2}}}}
      - {{id: h, output: {{network: $net, x: $x}}}}
"""


@pytest.fixture
def sheet_file(write):
    def _sheet(text: str = VALUES_ONLY, seed: str = "s3cret", name: str = "sheet.yaml"):
        return write(name, textwrap.dedent(text).format(seed=seed))

    return _sheet


def _roster(write, *ids: str, name: str = "roster.csv"):
    return write(name, "id,name\n" + "".join(f"{i},Student {i}\n" for i in ids))


def _files(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


# --- the derivation ------------------------------------------------------------------------


def _spec_draws(seed: str, section, student: str, counter: int, lo: int, hi: int, n: int):
    """docs/grading.md's derivation, written from the text: HMAC-SHA256 blocks of the
    canonical JSON message, integers by rejection sampling of the low bits."""
    stream = bytearray()
    block = 0
    size = hi - lo + 1
    bits = (size - 1).bit_length()
    nbytes = (bits + 7) // 8
    drawn = []
    while len(drawn) < n:
        while len(stream) < nbytes:
            message = ["nncalc-variants", 1, section, student, counter, block]
            text = json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            stream += hmac.new(seed.encode(), text.encode(), hashlib.sha256).digest()
            block += 1
        u = int.from_bytes(stream[:nbytes], "big") & ((1 << bits) - 1)
        del stream[:nbytes]
        if u < size:
            drawn.append(lo + u)
    return drawn


SECTION = {"random": {"v": {"vector": {"size": 6, "integers": [-300, 300]}}}}
FIXED = {  # (seed, student, counter): the draws, from _spec_draws
    ("s3cret", "alice", 0): [133, -288, 175, -43, -14, -121],
    ("s3cret", "bob", 0): [-191, 163, -190, -189, 268, -73],
    ("s3cret", "alice", 1): [-271, 253, 6, 199, 264, -114],
    ("sécret", "zoë", 0): [89, 47, -122, 211, -127, 218],
}


@pytest.mark.parametrize(("seed", "student", "counter"), FIXED)
def test_the_derivation_gives_the_fixed_vectors(seed, student, counter):
    expected = FIXED[seed, student, counter]
    assert _spec_draws(seed, SECTION, student, counter, -300, 300, 6) == expected
    random = "{v: {vector: {size: 6, integers: [-300, 300]}}}"
    doc = parse(
        f"variants: {{seed: {seed}, random: {random}}}\n"
        "questions: [{id: q, onehot: {classes: 2, label: 1}}]\n"
    )
    spec = variants.from_yaml(doc, "sheet.yaml")
    assert spec.section == SECTION  # the seed is the key, not part of the message
    assert list(variants.values(spec, student, counter)["v"].matrices[0][0]) == expected


def test_decimals_are_integers_over_ten_to_the_places(sheet_file):
    spec = variants.load(sheet_file())
    net = variants.draw(spec, "alice").values["net"]
    section = spec.section
    ks = _spec_draws("s3cret", section, "alice", 0, -20, 20, 3 * 4 + 2 * 4)
    drawn = variants.values(spec, "alice", 0)["net"]
    assert [k for m in drawn.matrices for row in m for k in row] == ks
    theta1 = net.network.layers[0].theta.tolist()
    assert theta1[0][0] == float(f"{net.matrices[0][0][0] / 10:.1f}")
    assert all(-2 <= v <= 2 and round(v * 10) == v * 10 for row in theta1 for v in row)


# --- determinism and independence -----------------------------------------------------------


def test_the_same_inputs_give_byte_identical_files(run, sheet_file, write, tmp_path):
    sheet, roster = sheet_file(), _roster(write, "alice", "bob")
    assert run("variants", sheet, "--students", roster, "-o", tmp_path / "one").code == 0
    assert run("variants", sheet, "--students", roster, "-o", tmp_path / "two").code == 0
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert set(one) == {"key.csv"} | {
        f"{s}/{f}"
        for s in ("alice", "bob")
        for f in ("variant.yaml", "questions.md", "questions.tex")
    }
    assert one == two


def test_a_different_seed_gives_different_networks(sheet_file):
    first = variants.load(sheet_file(seed="one", name="a.yaml"))
    second = variants.load(sheet_file(seed="two", name="b.yaml"))
    ids = [f"s{k}" for k in range(20)]
    same = [variants.draw(first, i).values == variants.draw(second, i).values for i in ids]
    assert not any(same)


def test_adding_students_changes_nobody_s_variant(run, sheet_file, write, tmp_path):
    sheet = sheet_file()
    small = _roster(write, "alice", "bob", name="small.csv")
    large = _roster(write, "zed", "bob", "carol", "alice", name="large.csv")
    run("variants", sheet, "--students", small, "-o", tmp_path / "small")
    run("variants", sheet, "--students", large, "-o", tmp_path / "large")
    for student in ("alice", "bob"):
        for name in ("variant.yaml", "questions.md", "questions.tex"):
            small_file = tmp_path / "small" / student / name
            assert small_file.read_bytes() == (tmp_path / "large" / student / name).read_bytes()


# --- well-posedness ------------------------------------------------------------------------


def test_ten_thousand_variants_are_well_posed():
    """Checked here from the drawn whole numbers: z^(2) exactly non-zero, the asked
    activations not 0 or 1 at 4 decimals, no tie for the prediction."""
    spec = variants.load(SHEET)
    redraws = 0
    for k in range(10_000):
        variant = variants.draw(spec, f"s{k:05d}")
        redraws += variant.redraws
        value = variant.values["net"]
        theta = [[Fraction(t, 10) for t in row] for row in value.matrices[0]]
        x = [Fraction(v) for v in variant.values["x"].matrices[0][0]]
        z2 = [row[0] + sum(t * v for t, v in zip(row[1:], x, strict=True)) for row in theta]
        assert all(z != 0 for z in z2)
        a2 = [1 / (1 + math.exp(-z)) for z in z2]
        theta2 = [[t / 10 for t in row] for row in value.matrices[1]]
        h = [
            1 / (1 + math.exp(-(r[0] + sum(t * a for t, a in zip(r[1:], a2, strict=True)))))
            for r in theta2
        ]
        assert all(5e-5 <= a < 1 - 5e-5 for a in a2 + h)
        assert abs(h[0] - h[1]) > 100 * 1e-4
    assert 0 < redraws < 10_000  # some draws were ill-posed, and redrawn


def test_a_sheet_that_cannot_be_well_posed_names_the_question(run, sheet_file):
    text = """\
        variants:
          seed: {seed}
          random:
            net: {{network: {{sizes: [1, 2], activation: identity, integers: [1, 1]}}}}
            x: {{vector: {{size: 1, integers: [1, 2]}}}}
        questions:
          - {{id: tie, prediction: {{network: $net, x: $x}}}}
    """
    r = run("variants", sheet_file(text), "--student", "alice")
    assert r.code == 2
    assert r.err.count("\n") == 1
    assert re.search(
        r":7: no well-posed variant for student alice in 1001 draws \(\d+\.\d s\): question 'tie'",
        r.err,
    )


@pytest.mark.parametrize(
    ("lo", "hi"),
    [(0, 1), (-3, 3), (0, 255), (-300, 300), (1, 70_000), (0, 2**24), (-(10**12), 10**12)],
)
def test_integers_drawn_in_bulk_are_the_derivation_s(lo, hi):
    """A run of integers read at once is the documented one-at-a-time rejection sampling,
    for tries of 1 to 6 bytes, and leaves the stream where it would be."""
    section = {"random": {}}
    reader = variants.Bytes(variants.stream("seed", section, "alice", 3))
    drawn = variants.integers(reader, lo, hi, 500) + variants.integers(reader, lo, hi, 7)
    assert drawn == _spec_draws("seed", section, "alice", 3, lo, hi, 507)


IMPOSSIBLE = """\
    variants:
      seed: {seed}
      random:
        a: {{network: {{sizes: [4, 4], integers: [{lo}, 9]}}}}
        b: {{network: {{sizes: [4, 32, 32, 32, 32], integers: [1, 2]}}}}
    questions:
      - {{id: hot, output: {{network: $a, x: [9, 9, 9, 9]}}}}
      - {{id: b, output: {{network: $b, x: [1, 1, 1, 1]}}}}
"""


def _counting(monkeypatch) -> list[tuple[int, int, int]]:
    """The (lo, hi, count) of every run of integers drawn from now on."""
    runs: list[tuple[int, int, int]] = []
    bulk = variants.integers

    def counted(reader, lo, hi, count):
        runs.append((lo, hi, count))
        return bulk(reader, lo, hi, count)

    monkeypatch.setattr(variants, "integers", counted)
    return runs


def test_a_draw_stops_at_its_first_ill_posed_question(sheet_file, monkeypatch):
    """'hot' saturates every draw (z ≥ 1 + 4·81): the values after its own, the large
    network b, are never drawn; the sheet is refused after 1,001 draws."""
    spec = variants.load(sheet_file(IMPOSSIBLE.replace("{lo}", "1")))
    runs = _counting(monkeypatch)
    with pytest.raises(
        marking.NNCalcError, match=r"alice in 1001 draws \(\d+\.\d s\): question 'hot'"
    ):
        variants.draw(spec, "alice")
    assert {(lo, hi) for lo, hi, _ in runs} == {(1, 9)}  # a's entries only
    assert len(runs) == 1001  # one run per matrix: a's Θ^(1), once a draw


def test_a_question_whose_values_have_one_choice_is_refused_at_once(sheet_file, monkeypatch):
    spec = variants.load(sheet_file(IMPOSSIBLE.replace("{lo}", "9")))
    runs = _counting(monkeypatch)
    with pytest.raises(
        marking.NNCalcError, match=r"alice in any draw \(each of its values has one"
    ):
        variants.draw(spec, "alice")
    assert len(runs) == 1


def test_drawing_stops_after_max_seconds_and_says_how_long(sheet_file, monkeypatch):
    monkeypatch.setattr(variants, "MAX_SECONDS", 0.0)
    spec = variants.load(sheet_file(IMPOSSIBLE.replace("{lo}", "1")))
    with pytest.raises(marking.NNCalcError) as e:
        variants.draw(spec, "alice")
    message = str(e.value)
    assert "alice in 1 draw (0.0 s, the most one student's draws may take)" in message
    assert "question 'hot': a_1^(2) rounds to 1 at 4 decimals" in message


def test_saturated_answers_are_redrawn_unless_allowed(sheet_file):
    text = """\
        variants:
          seed: {seed}
          {allow}
          random:
            net: {{network: {{sizes: [1, 1], integers: [20, 30]}}}}
            x: {{vector: {{size: 1, integers: [1, 1]}}}}
        questions:
          - {{id: a, output: {{network: $net, x: $x}}}}
    """
    with pytest.raises(marking.NNCalcError, match="rounds to 1 at 4 decimals"):
        variants.draw(variants.load(sheet_file(text.replace("{allow}", ""))), "alice")
    allowed = sheet_file(text.replace("{allow}", "allow_saturated: true"), name="ok.yaml")
    assert variants.draw(variants.load(allowed), "alice").redraws == 0


# --- the files -----------------------------------------------------------------------------


def test_each_student_s_files(run, write, tmp_path):
    out = tmp_path / "out"
    r = run("variants", SHEET, "--students", ROSTER, "-o", out)
    assert r.code == 0, r.err
    assert "3 variants in" in r.err and "redrawn" in r.err
    keys = list(csv.DictReader((out / "key.csv").read_text().splitlines()))
    assert [k["id"] for k in keys] == ["alice", "bob", "carol"]
    assert list(keys[0]) == ["id", "q1", "q2", "q3", "q4", "q5"]
    assert len({(k["q1"], k["q2"]) for k in keys}) == 3  # no two students share a key
    for key in keys:
        folder = out / key["id"]
        assert run("check", folder / "variant.yaml").code == 0
        assert "variants:" not in (folder / "variant.yaml").read_text()
        handout = (folder / "questions.md").read_text() + (folder / "questions.tex").read_text()
        assert "week3-2026-change-me" not in handout  # never the seed
        assert key["q3"] not in handout and key["q1"] not in handout  # no answers
        assert r"\Theta^{(1)}" in handout
    sheet = marking.load_sheet(out / "alice" / "variant.yaml")
    assert json.loads(keys[0]["q2"]) == sheet.questions[1].computed
    assert {k["q4"] for k in keys} <= {"cat", "dog"}  # a prediction by its class name


def test_the_handout_compiles_with_pdflatex(run, write, tmp_path):
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    text = SHEET.read_text(encoding="utf-8").replace("What is", "Θ·σ ≥ 1 — 50 % & $5 #1 ~_^{} Ωé")
    run("variants", write("sheet.yaml", text), "--students", ROSTER, "-o", tmp_path / "out")
    tex = tmp_path / "out" / "alice" / "questions.tex"
    done = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tex.parent,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout[-2000:]
    assert (tex.parent / "questions.pdf").stat().st_size > 1000


def test_one_handout_to_stdout(run):
    r = run("variants", SHEET, "--student", "alice")
    assert r.code == 0
    assert r.out.startswith("# Week 3 quiz: your own numbers\n\nStudent: alice\n")
    assert "week3-2026-change-me" not in r.out


# --- grading against each student's own key ------------------------------------------------


def _answers(out, student: str) -> str:
    key = next(
        k for k in csv.DictReader((out / "key.csv").read_text().splitlines()) if k["id"] == student
    )
    return "".join(f"{q}: {v}\n" for q, v in key.items() if q != "id")


def test_grade_each_submission_against_its_student(run, sheet_file, write, tmp_path):
    sheet = sheet_file()
    roster = _roster(write, "alice", "bob", "carol", "dave")
    out = tmp_path / "out"
    run("variants", sheet, "--students", roster, "-o", out)
    subs = tmp_path / "subs"
    for folder, text in {
        "alice": _answers(out, "alice"),
        "bob": _answers(out, "alice"),  # alice's answers under bob's id
        "carol": "student: alice\n" + _answers(out, "carol"),  # carol's, saying alice's
        "mallory": _answers(out, "alice"),
        "anon": "student: DAVE\n" + _answers(out, "dave"),
        "ghost": "student: nobody\nz: 1\n",
    }.items():
        (subs / folder).mkdir(parents=True)
        (subs / folder / "answers.yaml").write_text(text)
    paths = [
        subs / f / "answers.yaml" for f in ("alice", "bob", "carol", "mallory", "anon", "ghost")
    ]
    grades = tmp_path / "grades.csv"
    r = run("grade", sheet, *paths, tmp_path / "gone.yaml", "--students", roster, "--csv", grades)
    assert r.code == 0, r.err
    rows = list(csv.DictReader(grades.read_text().splitlines()))
    assert list(rows[0])[:5] == ["student", "name", "email", "score", "max_score"]
    got = [(row["student"], row["score"], row["status"]) for row in rows]
    assert got == [
        ("alice", "3", "graded"),
        ("bob", "0", "graded"),  # (unless a z of one decimal happens to agree)
        ("carol", "3", "graded"),  # her folder says whose it is; the file's claim is flagged
        ("dave", "3", "graded"),  # 'student: DAVE' is dave, in any case
        ("mallory", "0", "not on the roster"),
        ("nobody", "0", "not on the roster"),
        ("gone", "0", "unreadable"),
    ]
    assert "suspect: matches alice's variant on" in rows[1]["warnings"]
    assert rows[2]["warnings"] == "the file says 'student: alice'; it is in the folder of carol"
    assert rows[4]["error"] == "not on the roster: 'mallory' (its folder or file name)"
    assert rows[5]["error"] == "not on the roster: 'student: nobody'"
    assert "identical (byte for byte) to the submission of bob, mallory" in rows[0]["warnings"]


def test_swapped_answers_score_low(sheet_file):
    spec = variants.load(sheet_file())
    ids = [f"s{k}" for k in range(40)]
    keys = {i: variants.sheet(spec, variants.draw(spec, i)) for i in ids}
    answers = {i: {q.id: q.computed for q in keys[i].questions} for i in ids}
    swapped = []
    for a, b in itertools.pairwise(ids):
        assert marking.grade(keys[a], answers[a]).score == 3
        swapped.append(marking.grade(keys[b], answers[a]).score)
    # a z of one decimal may agree by chance (1/3 of a question); nothing more does
    assert max(swapped) < 1 and sum(swapped) < 0.1 * 3 * len(swapped)


def test_check_one_student_for_gradescope(run, write, tmp_path):
    out = tmp_path / "out"
    run("variants", SHEET, "--students", ROSTER, "-o", out)
    answers = write("answers.yaml", _answers(out, "bob"))
    meta = write("meta.json", json.dumps({"users": [{"sid": "bob", "email": "b@x.org"}]}))
    results = tmp_path / "results.json"
    r = run(
        "check", SHEET, "--gradescope-metadata", meta, "--answers", answers, "--gradescope", results
    )
    assert r.code == 0, r.err
    assert json.loads(results.read_text())["score"] == 6
    assert run("check", SHEET, "--student", "bob", "--answers", answers).code == 0
    assert run("check", SHEET, "--student", "alice", "--answers", answers).code == 1
    by_email = write("email.json", json.dumps({"users": [{"sid": "", "email": "b@x.org"}]}))
    r = run("check", SHEET, "--gradescope-metadata", by_email, "--answers", answers)
    assert r.code == 2 and "give --students ROSTER with an email column" in r.err
    emails = write("emails.csv", "id,name,email\nalice,A,a@x.org\nbob,B,b@x.org\n")
    args = ("--gradescope-metadata", by_email, "--answers", answers, "--students", emails)
    assert run("check", SHEET, *args).code == 0  # b@x.org is bob's, on the roster
    nobody = write("nobody.json", json.dumps({"users": []}))
    r = run("check", SHEET, "--gradescope-metadata", nobody, "--answers", answers)
    assert r.code == 2 and "no users[0].sid or users[0].email" in r.err


# --- bad input -----------------------------------------------------------------------------

BASE = """\
variants:
  seed: s
  random:
    net: {network: {sizes: [2, 2], integers: [-3, 3]}}
    x: {vector: {size: 2, integers: [0, 5]}}
questions:
  - {id: q, z: {network: $net, x: $x, layer: 2}}
"""


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  seed: s", "  seeed: s", ":2: unknown key 'seeed' in variants; did you mean 'seed'?"),
        ("  seed: s", "  seed: 12", ":2: variants: 'seed' should be text"),
        (
            "network: $net",
            "network: $nett",
            ":7: '$nett' is not defined in variants: random; did you mean '$net'?",
        ),
        ("x: $x", "x: $net", ":7: 'x: $net' needs a random vector, 'net' is a network"),
        ("integers: [-3, 3]", "integers: [0, 0]", ":4: random 'net': 'integers' can only draw 0"),
        ("integers: [-3, 3]", "integers: [3, -3]", ":4: random 'net': 'integers' has no value"),
        (
            "integers: [0, 5]",
            "decimals: [0, 5], places: 7",
            ":5: random 'x': 'places' should be a whole number in 0 … 6",
        ),
        (
            "integers: [0, 5]",
            "decimals: [0.01, 0.04], places: 1",
            ":5: random 'x': 'decimals' has no value with 1 decimals",
        ),
        (
            "integers: [0, 5]",
            "integers: [0, 5], places: 1",
            ":5: random 'x': 'places' goes with 'decimals'",
        ),
        ("size: 2", "size: 3", ":7: question 'q': x has 3 numbers, expected s_1 = 2"),
        (
            "sizes: [2, 2]",
            "sizes: [2, 2], activation: sigmod",
            "unknown activation 'sigmod'; did you mean 'sigmoid'?",
        ),
        ("sizes: [2, 2]", "sizez: [2, 2]", "did you mean 'sizes'?"),
        ("sizes: [2, 2]", "sizes: [2, 2], classes: [a, .nan]", "'classes' should be 2 distinct"),
        ("{network: {sizes", "{netwrok: {sizes", ":4: unknown key 'netwrok' in random 'net'; did"),
        ("layer: 2}", "layer: 2}, answer: 1", ":7: a question with $values has no 'answer:'"),
    ],
)
def test_bad_variants_exit_2_with_the_line(run, write, old, new, message):
    assert old in BASE
    r = run("variants", write("bad.yaml", BASE.replace(old, new)), "--student", "alice")
    assert r.code == 2, r.err
    assert message in r.err
    assert all(line.startswith("nncalc: error: ") for line in r.err.splitlines())


def test_every_problem_gets_a_line(run, write):
    text = BASE.replace("seed: s", "seed: [s]").replace("[0, 5]", "[5, 0]").replace("$net", "$nope")
    r = run("variants", write("bad.yaml", text), "--student", "alice")
    assert r.code == 2
    assert len(r.err.splitlines()) == 3


def test_a_variants_sheet_needs_a_student(run):
    for args in (["check", SHEET], ["grade", SHEET, SAMPLES / "grading" / "answers-correct.yaml"]):
        r = run(*args)
        assert r.code == 2
        assert "this sheet has variants" in r.err and "--student" in r.err


@pytest.mark.parametrize(
    ("roster", "message"),
    [
        ("name,email\nA,a@x\n", ":1: the roster has no id column"),
        ("id\nalice\n../etc\n", ":3: student id '../etc' should be"),
        ("id\nalice\n..\n", ":3: student id '..' may not be '.' or hold '..'"),
        ("id\nalice\nbob\nalice\n", ":4: student id 'alice' is repeated (first on line 2)"),
        ("id,name\n" + "x" * 500 + ",long\n", ":2: student id '" + "x" * 39 + "…' should be"),
        ("id\n", "the roster lists no students"),
    ],
)
def test_bad_rosters_exit_2_with_the_line(run, write, tmp_path, roster, message):
    path = write("roster.csv", roster)
    r = run("variants", SHEET, "--students", path, "-o", tmp_path / "out")
    assert r.code == 2
    assert message in r.err
    assert len(r.err) < 300  # an excerpt of a long id, never all of it
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("student", ["a/b", "..", "", "x" * 65])
def test_bad_student_ids_are_refused(run, student):
    r = run("check", SHEET, "--student", student)
    assert r.code == 2
    assert "student id" in r.err and len(r.err) < 200


def test_hostile_submissions_get_a_row(run, write, tmp_path):
    subs = {
        "alice": '!!python/object/apply:os.system ["touch pwned"]\n',
        "bob": "q1: " + "1" * (2 * 1024 * 1024) + "\n",
        "carol": "student: " + "y" * 5000 + "\nq1: 1\n",
    }
    paths = []
    for name, text in subs.items():
        (tmp_path / name).mkdir()
        paths.append(tmp_path / name / "answers.yaml")
        paths[-1].write_text(text)
    r = run("grade", SHEET, *paths, "--students", ROSTER)
    assert r.code == 0
    rows = list(csv.DictReader(r.out.splitlines()))
    assert [row["score"] for row in rows] == ["0", "0", "0"]
    assert "not allowed" in rows[0]["error"] and "over the limit" in rows[1]["error"]
    assert "y" * 61 not in r.out and "who is not on the roster" in rows[2]["warnings"]
    assert not (tmp_path / "pwned").exists()


def test_a_linked_submission_is_not_read(run, tmp_path):
    (tmp_path / "alice").mkdir()
    link = tmp_path / "alice" / "answers.yaml"
    link.symlink_to(SHEET)
    r = run("grade", SHEET, link, "--students", ROSTER)
    rows = list(csv.DictReader(r.out.splitlines()))
    assert rows[0]["score"] == "0" and "symbolic link" in rows[0]["error"]


def test_an_output_folder_that_is_a_file_exits_2(run, write):
    taken = write("taken", "a file")
    r = run("variants", SHEET, "--students", ROSTER, "-o", taken)
    assert r.code == 2 and "cannot make a folder" in r.err


def test_a_huge_whole_number_is_bad_input_not_a_crash(run, write):
    text = BASE.replace("layer: 2}", "layer: 2}, tolerance: " + "9" * 400)
    assert run("variants", write("bad.yaml", text), "--student", "alice").code == 2
