"""`nncalc forward`: tables, JSON, inputs from every source, output files, exit codes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conftest import SAMPLES

NEURON = SAMPLES / "slide-neuron.yaml"
VEHICLES = SAMPLES / "vehicles.yaml"


def sigma(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def neuron_z(x1: float, x2: float, x3: float) -> float:
    """The slide's unit by hand: Θ^(1) = [-0.5, -2, 4, 1.5]."""
    return -0.5 - 2 * x1 + 4 * x2 + 1.5 * x3


def test_tables_show_the_slides_worked_answer(run):
    r = run("forward", NEURON)
    assert r.code == 0, r.err
    assert "41.5" in r.out  # z_1^(2) = [1 66 39 12]·[-0.5 -2 4 1.5]
    # σ(41.5) = 1 − e^-41.5/(1 + e^-41.5) = 1 − 9.48e-19: shown as such, not as a bare 1.
    assert f"1 − {math.exp(-41.5):.2g}" == "1 − 9.5e-19"
    assert "1 − 9.5e-19" in r.out
    assert "bias unit" in r.out
    assert "h_Θ(x)" in r.out
    assert "prediction" not in r.out  # one output unit: no class to predict


def test_json_document(run):
    r = run("forward", NEURON, "--json")
    assert r.code == 0
    doc = r.json()
    assert doc["network"] == {
        "name": "Single logistic unit (the lecture's worked example)",
        "sizes": [3, 1],
        "activations": ["sigmoid"],
        "parameters": [4],
    }
    (example,) = doc["examples"]
    assert example["layers"][0] == {"layer": 1, "a": [66.0, 39.0, 12.0]}
    assert example["layers"][1]["z"] == [41.5]
    assert example["output"] == [sigma(41.5)]
    assert "prediction" not in example


def test_json_prediction_names_the_class(run):
    doc = run("forward", VEHICLES, "--json").json()
    predicted = [(e["name"], e["prediction"]) for e in doc["examples"]]
    assert predicted == [
        ("walker", {"unit": 1, "label": "pedestrian"}),
        ("hatchback", {"unit": 2, "label": "car"}),
        ("scooter", {"unit": 3, "label": "motorcycle"}),
        ("lorry", {"unit": 4, "label": "truck"}),
    ]


def test_tables_show_the_predicted_class(run):
    r = run("forward", VEHICLES, "-x", "3.8,12,10")
    assert "prediction: unit 4 of 4 (truck)" in r.out


@pytest.mark.parametrize("spelling", ["1,2,3", "1 2 3", " 1, 2 ,3 "])
def test_x_accepts_commas_and_spaces(run, spelling):
    doc = run("forward", NEURON, "-x", spelling, "--json").json()
    assert doc["examples"][0]["layers"][1]["z"] == [neuron_z(1, 2, 3)]


def test_x_is_repeatable_and_overrides_the_files_inputs(run):
    doc = run("forward", NEURON, "-x", "1,2,3", "-x", "0,0,0", "--json").json()
    zs = [e["layers"][1]["z"][0] for e in doc["examples"]]
    assert zs == [neuron_z(1, 2, 3), neuron_z(0, 0, 0)]


def test_input_yaml_csv_and_npy_agree(run, write, tmp_path):
    rows = [[66, 39, 12], [1, 2, 3]]
    expected = [[neuron_z(*r)] for r in rows]
    yaml_file = write("x.yaml", "- [66, 39, 12]\n- {name: small, x: [1, 2, 3]}\n")
    csv_file = write("x.csv", "height,weight,age\n66,39,12\n1,2,3\n")
    csv_plain = write("plain.csv", "66,39,12\n1,2,3\n")
    npy_file = tmp_path / "x.npy"
    np.save(npy_file, np.array(rows, dtype=np.float64))
    for path in (yaml_file, csv_file, csv_plain, npy_file):
        doc = run("forward", NEURON, "--input", path, "--json").json()
        assert [e["layers"][1]["z"] for e in doc["examples"]] == expected, path
    names = [
        e["name"] for e in run("forward", NEURON, "-i", yaml_file, "--json").json()["examples"]
    ]
    assert names == [None, "small"]


def test_output_csv_and_npy(run, tmp_path):
    out_csv, out_npy = tmp_path / "h.csv", tmp_path / "h.npy"
    r = run("forward", VEHICLES, "-o", out_csv)
    assert r.code == 0
    assert r.out == ""  # the file is the result; the note goes to stderr
    assert "of 4 examples to" in r.err
    assert run("forward", VEHICLES, "-o", out_npy).code == 0
    doc = run("forward", VEHICLES, "--json").json()
    expected = np.array([e["output"] for e in doc["examples"]])
    lines = out_csv.read_text().splitlines()
    assert lines[0] == "pedestrian,car,motorcycle,truck"
    assert np.array_equal(np.loadtxt(out_csv, delimiter=",", skiprows=1), expected)
    saved = np.load(out_npy)
    assert saved.dtype == np.float64
    assert np.array_equal(saved, expected)


def test_output_header_without_classes(run, tmp_path):
    out = tmp_path / "h.csv"
    run("forward", SAMPLES / "logic-and.yaml", "-o", out)
    assert out.read_text().splitlines()[0] == "h_1"


def test_failed_run_leaves_an_existing_output_intact(run, write, tmp_path):
    out = write("h.csv", "precious\n")
    r = run("forward", NEURON, "-x", "1,2", "-o", out)
    assert r.code == 2
    assert out.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["h.csv"]  # no temporary left


def test_output_into_a_missing_folder_is_bad_input(run, tmp_path):
    r = run("forward", NEURON, "-o", tmp_path / "nope" / "h.csv")
    assert r.code == 2
    assert "folder does not exist" in r.err
    assert not (tmp_path / "nope").exists()


def test_unknown_output_format(run, tmp_path):
    r = run("forward", NEURON, "-o", tmp_path / "h.xlsx")
    assert r.code == 2
    assert "unknown output format '.xlsx'" in r.err


def test_precision(run):
    # z = −0.5 − 2·1 + 4·0 + 1.5·0 = −2.5, shown to 3 significant digits
    r = run("forward", NEURON, "-x", "1,0,0", "--precision", "3")
    assert f"{sigma(-2.5):.3g}" in r.out
    assert f"{sigma(-2.5):.6g}" not in r.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.yaml"], "nncalc: error: nope.yaml: no such file"),
        ([NEURON, "-x", "1,2"], "-x '1,2' has 2 numbers, expected s_1 = 3"),
        ([NEURON, "-x", "1,a,3"], "'a' is not a number"),
        ([NEURON, "-x", "1,nan,3"], "nan is not a finite number"),
        ([NEURON, "-x", "1,2,3", "--input", "x.csv"], "give -x or --input, not both"),
        ([NEURON, "--input", "x.txt"], "unknown input format '.txt'"),
        ([NEURON, "--precision", "0"], "--precision"),
        ([NEURON, "--bogus"], "no such option"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(run, args, message):
    r = run("forward", *args)
    assert r.code == 2
    assert message in r.err
    assert r.err.startswith("nncalc: error: ")
    assert "Traceback" not in r.err
    assert r.out == ""


def test_errors_name_file_and_line(run, write):
    net = write("net.yaml", "layers:\n  - theta: [[1, 2]]\n    activation: sigmod\n")
    r = run("forward", net, "-x", "1")
    assert r.code == 2
    assert r.err == (
        f"nncalc: error: {net}:3: unknown activation 'sigmod'; did you mean 'sigmoid'?\n"
    )


def test_network_without_inputs_asks_for_some(run, write):
    net = write("net.yaml", "layers:\n  - theta: [[1, 2]]\n")
    r = run("forward", net)
    assert r.code == 2
    assert "no inputs to propagate" in r.err
    assert "-x" in r.err


def test_bad_npy_files(run, tmp_path):
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    wrong = tmp_path / "wrong.npy"
    np.save(wrong, np.zeros((2, 5)))
    for path, message in [(objects, "Python objects"), (wrong, "expected (examples, 3)")]:
        r = run("forward", NEURON, "--input", path)
        assert r.code == 2
        assert message in r.err


def test_bad_csv_cell_names_row_and_column(run, write):
    bad = write("x.csv", "a,b,c\n1,2,3\n4,five,6\n")
    r = run("forward", NEURON, "--input", bad)
    assert r.code == 2
    assert f"{bad}:3: column 2: 'five' is not a number" in r.err
