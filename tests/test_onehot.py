"""`nncalc onehot`: e_k of the lecture, names, zero-based labels, files, decode, expect, JSON."""

from __future__ import annotations

import numpy as np
import pytest

VEHICLES = "pedestrian,car,motorcycle,truck"


def eye_row(k: int, K: int) -> list[int]:
    """e_k from NumPy's identity matrix, independent of nncalc."""
    return np.eye(K, dtype=int)[k - 1].tolist()


def test_the_lectures_y10_is_e3(run):
    r = run("onehot", "3", "--classes", "10")
    assert r.code == 0
    # y^(10) on the slide: a 1 in place 3 of 10
    assert r.out == "3 → e_3 = [0 0 1 0 0 0 0 0 0 0]\n"
    assert run("onehot", "3", "--classes", "10", "--json").json()["onehot"] == [eye_row(3, 10)]


def test_named_classes(run):
    doc = run("onehot", "car", "truck", "--classes", VEHICLES, "--json").json()
    assert doc == {
        "classes": ["pedestrian", "car", "motorcycle", "truck"],
        "labels": ["car", "truck"],
        "onehot": [eye_row(2, 4), eye_row(4, 4)],
    }


def test_zero_based_follows_pytorch():
    torch = pytest.importorskip("torch")
    labels = [0, 3, 9, 2]
    expected = torch.nn.functional.one_hot(torch.tensor(labels), num_classes=10).tolist()
    from nncalc.onehot import Classes, encode

    assert encode(labels, Classes(10, zero_based=True)) == expected


def test_zero_based_cli(run):
    doc = run("onehot", "0", "9", "--classes", "10", "--zero-based", "--json").json()
    assert doc["onehot"] == [eye_row(1, 10), eye_row(10, 10)]
    assert doc["classes"] == list(range(10))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["0", "--classes", "10"], "label 0 is out of range: classes are 1 … 10 (or --zero-based"),
        (["11", "--classes", "10"], "label 11 is out of range: classes are 1 … 10"),
        (["10", "--classes", "10", "--zero-based"], "label 10 is out of range: classes are 0 … 9"),
        (["cat", "--classes", VEHICLES], "unknown class 'cat'; did you mean 'car'?"),
        (["dog", "--classes", VEHICLES], "classes: pedestrian, car, motorcycle, truck"),
        (["x", "--classes", "3"], "label 'x' is not a class number (1 … 3)"),
        (["1"], "--classes is required"),
        (["--classes", "3"], "no labels given"),
        (["1", "--classes", "0"], "0 classes; there must be 1 to 1,000,000"),
        (["1", "--classes", "10000000"], "over 1,000,000 classes; there must be 1 to 1,000,000"),
        (["a", "--classes", "a,b,a"], "class 'a' is named twice"),
        (["--decode", "0,1", "--classes", "3"], "--decode has 2 entries, expected K = 3"),
        (["--decode", "0,x"], "'x' is not a number"),
    ],
)
def test_bad_labels_exit_2(run, args, message):
    r = run("onehot", *args)
    assert r.code == 2
    assert message in r.err
    assert r.out == ""


def test_labels_file_and_csv_column(run, write):
    plain = write("labels.txt", "# week 3\n3\n\n1\n10\n")
    doc = run("onehot", "2", "--labels", plain, "--classes", "10", "--json").json()
    assert doc["labels"] == [2, 3, 1, 10]
    assert doc["onehot"] == [eye_row(k, 10) for k in (2, 3, 1, 10)]
    table = write("y.csv", "class,weight\ncar,1200\ntruck,9000\n")
    doc = run("onehot", "--labels", table, "--classes", VEHICLES, "--json").json()
    assert doc["labels"] == ["car", "truck"]


def test_labels_file_errors_name_the_line(run, write):
    bad = write("labels.txt", "3\n1\n12\n")
    r = run("onehot", "--labels", bad, "--classes", "10")
    assert r.code == 2
    assert f"{bad}:3: label 12 is out of range" in r.err


def test_output_files(run, tmp_path):
    out_csv, out_npy = tmp_path / "Y.csv", tmp_path / "Y.npy"
    assert run("onehot", "car", "pedestrian", "--classes", VEHICLES, "-o", out_csv).code == 0
    assert out_csv.read_text() == "pedestrian,car,motorcycle,truck\n0,1,0,0\n1,0,0,0\n"
    assert run("onehot", "3", "1", "--classes", "3", "-o", out_npy).code == 0
    assert np.array_equal(np.load(out_npy), np.eye(3)[[2, 0]])


@pytest.mark.parametrize(
    ("vector", "label", "how"),
    [
        ("0,0,1,0", "motorcycle", "one-hot"),
        ("0.1,0.6,0.2,0.1", "car", "argmax"),
        ("0.4,0.1,0.1,0.4", "pedestrian", "argmax; tied with unit 4, the first is taken"),
    ],
)
def test_decode(run, vector, label, how):
    r = run("onehot", "--decode", vector, "--classes", VEHICLES)
    assert r.code == 0
    assert r.out.split()[0] == label
    assert how in r.out


def test_decode_without_classes_gives_the_unit(run):
    doc = run("onehot", "--decode", "0 0 0 1 0", "--json").json()
    assert doc == {"label": 4, "unit": 4, "one_hot": True, "tied": False}
    assert run("onehot", "--decode", "0,0,0,1,0", "--zero-based").out.split()[0] == "3"


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["3", "--classes", "4", "--expect", "0,0,1,0"], 0),
        (["3", "--classes", "4", "--expect", "0,1,0,0"], 1),
        (["3", "1", "--classes", "4", "--expect", "0,0,1,0;1,0,0,0"], 0),
        (["3", "1", "--classes", "4", "--expect", "0,0,1,0"], 1),
        (["--decode", "0,0,1,0", "--classes", VEHICLES, "--expect", "motorcycle"], 0),
        (["--decode", "0,0,1,0", "--classes", VEHICLES, "--expect", "car"], 1),
    ],
)
def test_expect_exit_codes(run, args, code):
    r = run("onehot", *args)
    assert r.code == code
    assert ("✓" in r.out) == (code == 0)


def test_many_class_names_are_checked_and_found_in_linear_time():
    """200,000 names: duplicates found by a set, labels by a dict (no list scans)."""
    from nncalc import onehot as oh

    names = [f"c{i}" for i in range(200_000)]
    k = oh.Classes.parse(",".join(names))
    assert [k.index(f"c{i}") for i in range(0, 200_000, 20_000)] == list(range(1, 200_001, 20_000))
    assert k.label(200_000) == "c199999"
    with pytest.raises(oh.NNCalcError, match="'c7' is named twice"):
        oh.Classes.parse(",".join([*names, "c7"]))
