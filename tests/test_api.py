"""The Python API: `import nncalc` is cheap and useful by itself."""

from __future__ import annotations

import doctest
import subprocess
import sys

import numpy as np
import pytest

import nncalc

from conftest import SAMPLES


def test_import_loads_no_numpy_until_used():
    seen = "print('numpy' in sys.modules)"
    code = f"import sys, nncalc; {seen}; nncalc.Network; {seen}"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_interop_loads_no_framework_until_used():
    """The import/export functions cost nothing until a model is read or written."""
    code = (
        "import sys, nncalc; nncalc.read_model, nncalc.save_model, nncalc.to_onnx; "
        "print(sorted({'onnx', 'torch', 'safetensors', 'sklearn'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_docstring_examples():
    result = doctest.testmod(nncalc)
    assert result.attempted >= 3
    assert result.failed == 0


def test_public_names():
    assert set(nncalc.__all__) <= set(dir(nncalc))
    assert all(getattr(nncalc, name) is not None for name in nncalc.__all__)
    with pytest.raises(AttributeError):
        nncalc.no_such_thing  # noqa: B018


def test_readme_example():
    net = nncalc.load(SAMPLES / "lecture-3-3-1.yaml")
    trace = net.forward([[1, 2, 3], [0, 0, 0]])
    # z^(2) = Θ^(1)·[1; x]: the slide's [1, 2, 3], and the biases alone for x = 0
    assert trace.z[2].tolist() == [[1, 2, 3], [1, -2, -3]]
    assert np.array_equal(trace.output, trace.a[3])
    assert net.theta(1)[:, 0].tolist() == [1, -2, -3]
    assert len(trace) == 2


def test_theta_index_is_checked():
    net = nncalc.load(SAMPLES / "lecture-3-3-1.yaml")
    with pytest.raises(IndexError, match=r"Θ\^\(1\) … Θ\^\(2\)"):
        net.theta(3)


def test_repr_is_a_summary_of_the_layers():
    # 3-3-4 vehicles: Θ^(1) 3×(3+1) = 12, Θ^(2) 4×(3+1) = 16 parameters, by hand
    net = nncalc.load(SAMPLES / "vehicles.yaml")
    lines = repr(net).splitlines()
    assert repr(net) == net.summary()
    assert lines[0] == net.name
    assert lines[1].split() == ["layer", "j", "units", "s_j", "g", "Θ^(j)", "shape", "parameters"]
    assert [line.split() for line in lines[3:6]] == [
        ["1", "(input)", "3", "3×4", "12"],
        ["2", "(hidden)", "3", "σ", "4×4", "16"],
        ["3", "(output)", "4", "σ"],
    ]
    assert lines[7].split() == ["total", "28"]
    assert lines[8] == "classes: pedestrian, car, motorcycle, truck"
    assert "array(" not in repr(net)
