"""Every file read is bounded and never blocks: one reader (nncalc.files.reader) for every
path nncalc opens, NNCALC_MAX_BYTES on what a file holds or expands to, and {file:}
references kept inside the network file's folder."""

from __future__ import annotations

import io
import os
import socket
import zipfile
from pathlib import Path

import numpy as np
import pytest

import nncalc
from nncalc.errors import NNCalcError

from conftest import SAMPLES

NEURON = SAMPLES / "slide-neuron.yaml"  # s_1 = 3, one output unit


def _fails(r, *expected: str) -> str:
    """The one error line of a run that exited 2, checked to contain ``expected``."""
    assert r.code == 2, r.err
    lines = r.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("nncalc: error: "), r.err
    for text in expected:
        assert text in lines[0]
    return lines[0]


def _header(shape: tuple[int, ...], descr: str = "<f8") -> bytes:
    """A .npy header (magic included) for an array of ``shape``, written by NumPy."""
    b = io.BytesIO()
    header = {"descr": descr, "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(b, header)
    return b.getvalue()


def _net(folder: Path, reference: str) -> Path:
    """A one-layer network (s_1 = 2) whose theta is {file: reference}."""
    path = folder / "net.yaml"
    path.write_text(f"layers:\n  - theta: {{file: {reference}}}\n", encoding="utf-8")
    return path


def _special(path: Path, kind: str) -> socket.socket | None:
    """Make ``path`` something other than a regular file (a socket: returned, to close)."""
    if kind == "FIFO":
        os.mkfifo(path)
    elif kind == "socket":
        if len(str(path)) > 100:
            pytest.skip("the temporary folder's name is too long for a socket")
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
        return server
    elif kind == "directory":
        path.mkdir()
    else:
        path.symlink_to("/dev/zero")
    return None


@pytest.mark.parametrize("kind", ["FIFO", "socket", "directory", "device"])
@pytest.mark.parametrize(
    "args",
    [
        ["forward", "{path}.yaml"],
        ["forward", NEURON, "--input", "{path}.npy"],
        ["forward", NEURON, "--input", "{path}.csv", "-o", "{path}.out.csv"],
        ["onehot", "--classes", "3", "--labels", "{path}.txt"],
        ["check", SAMPLES / "grading" / "sheet.yaml", "--answers", "{path}.yaml"],
        ["import", "{path}.onnx"],
        ["import", "{path}.pt"],
    ],
    ids=["network", "npy", "csv", "labels", "answers", "onnx", "pt"],
)
def test_only_regular_files_are_read(run, tmp_path, kind, args):
    """A FIFO with no writer would block a plain open(); /dev/zero would read forever."""
    filled = [str(a).replace("{path}", str(tmp_path / "x")) for a in args]
    server = _special(Path(next(a for a in filled if "/x." in a)), kind)
    linked = kind == "device" and args[0] == "check"  # a submission may not be a link at all
    try:
        _fails(run(*filled), "a symbolic link" if linked else f"not a regular file (a {kind})")
    finally:
        if server:
            server.close()


def test_a_read_error_is_a_clean_error(run):
    if not Path("/proc/self/mem").exists():
        pytest.skip("no /proc")
    _fails(run("forward", "/proc/self/mem"), "/proc/self/mem: cannot read")


def test_no_more_than_the_limit_is_read_whatever_the_size_says(run, monkeypatch):
    """/proc files say they are 0 bytes long; the limit holds all the same."""
    if not Path("/proc/self/status").exists():
        pytest.skip("no /proc")
    monkeypatch.setenv("NNCALC_MAX_BYTES", "100")
    _fails(run("forward", "/proc/self/status"), "file is over the limit of 100 bytes")


@pytest.mark.parametrize("value", ["64MB", "-5", "0", "9" * 5000, "1e9"])
def test_a_garbage_limit_is_a_usage_error(run, monkeypatch, value):
    monkeypatch.setenv("NNCALC_MAX_BYTES", value)
    line = _fails(run("forward", NEURON), "NNCALC_MAX_BYTES", "a whole number from 1 to")
    assert len(line) < 200


def test_an_empty_limit_is_the_default(run, monkeypatch):
    monkeypatch.setenv("NNCALC_MAX_BYTES", "")
    assert run("forward", NEURON).code == 0


@pytest.mark.parametrize("how", ["file", "input"])
def test_npy_data_is_bounded_by_its_header_before_it_is_read(run, tmp_path, how):
    """A 2 GiB sparse file: shape × itemsize is over the limit, so nothing is allocated."""
    big = tmp_path / "big.npy"
    shape = (2**28 // 3, 3) if how == "input" else (2**28, 1)
    with big.open("wb") as f:
        f.write(_header(shape))
        f.truncate(2**31 + 128)
    args = ["forward", _net(tmp_path, "big.npy"), "-x", "1"]
    if how == "input":
        args = ["forward", NEURON, "--input", big, "--json"]
    _fails(run(*args), f"is {8 * shape[0] * shape[1]:,} bytes, over the limit of {64 * 2**20:,}")


@pytest.mark.parametrize("output", [None, "h.csv"])
def test_a_npy_header_claiming_more_than_the_file_holds(run, tmp_path, output):
    """Whole or streamed (-o), the file is refused before its data is read."""
    lying = tmp_path / "x.npy"
    lying.write_bytes(_header((1000, 3)) + bytes(8 * 3 * 10))
    args = ["forward", NEURON, "--input", lying, "--json"]
    if output:
        args[-1:] = ["-o", tmp_path / output]
    _fails(run(*args), "damaged .npy file: it ends early")
    assert not (tmp_path / "h.csv").exists()


def test_streaming_reads_npy_files_over_the_limit(run, tmp_path, monkeypatch):
    """forward -o reads its --input a chunk at a time, so the limit does not apply."""
    X = np.arange(3000.0).reshape(1000, 3) / 1000
    np.save(tmp_path / "x.npy", X)
    monkeypatch.setenv("NNCALC_MAX_BYTES", "4000")
    _fails(run("forward", NEURON, "--input", tmp_path / "x.npy", "--json"), "over the limit")
    out = tmp_path / "h.npy"
    assert run("forward", NEURON, "--input", tmp_path / "x.npy", "-o", out).code == 0
    theta = np.array([-0.5, -2, 4, 1.5])  # the slide's neuron: h = σ(Θ·[1; x])
    expected = 1 / (1 + np.exp(-(theta[0] + X @ theta[1:])))
    np.testing.assert_allclose(np.load(out).ravel(), expected, rtol=1e-15)


def test_npz_member_bounded_by_its_uncompressed_size(run, tmp_path, monkeypatch):
    """A zip bomb: 100 MB of zeros deflate to about 100 KB."""
    b = io.BytesIO()
    np.save(b, np.zeros((12_500_000, 1)))
    with zipfile.ZipFile(tmp_path / "w.npz", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("W.npy", b.getvalue())
    assert (tmp_path / "w.npz").stat().st_size < 200_000
    monkeypatch.setenv("NNCALC_MAX_BYTES", "1000000")
    r = run("forward", _net(tmp_path, "w.npz"), "-x", "1")
    _fails(r, "array 'W' expands to 100,000,128 bytes, over the limit of 1,000,000")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("member", "'notes.txt' in the archive is not a .npy array"),
        ("truncated", "damaged .npz file"),
        ("short", "damaged .npz file: it ends early"),
    ],
)
def test_a_damaged_npz_is_refused(run, tmp_path, damage, message):
    b = io.BytesIO()
    np.save(b, np.ones((1, 3)))
    data = b.getvalue()
    if damage == "short":
        data = _header((100, 3)) + bytes(24)
    with zipfile.ZipFile(tmp_path / "w.npz", "w") as z:
        z.writestr("W.npy", data)
        if damage == "member":
            z.writestr("notes.txt", "hello")
    if damage == "truncated":
        whole = (tmp_path / "w.npz").read_bytes()
        (tmp_path / "w.npz").write_bytes(whole[: len(whole) // 2])
    _fails(run("forward", _net(tmp_path, "w.npz"), "-x", "1,2"), message)


def test_csv_arrays_bounded_but_streamed_csv_inputs_are_not(run, tmp_path, monkeypatch):
    rows = "".join(f"{k / 10},{k / 20},{k / 30}\n" for k in range(200))
    (tmp_path / "x.csv").write_text(rows, encoding="utf-8")
    monkeypatch.setenv("NNCALC_MAX_BYTES", "1000")
    size = len(rows.encode())
    r = run("forward", NEURON, "--input", tmp_path / "x.csv", "--json")
    _fails(r, f"file is {size:,} bytes, over the limit of 1,000")
    assert run("forward", NEURON, "--input", tmp_path / "x.csv", "-o", tmp_path / "h.csv").code == 0
    assert len((tmp_path / "h.csv").read_text().splitlines()) == 201  # a header and 200 rows


def test_a_streamed_csv_line_is_still_bounded(run, tmp_path, monkeypatch):
    (tmp_path / "x.csv").write_text("1,2,3\n" + "4," * 2000 + "5\n", encoding="utf-8")
    monkeypatch.setenv("NNCALC_MAX_BYTES", "1000")
    r = run("forward", NEURON, "--input", tmp_path / "x.csv", "-o", tmp_path / "h.csv")
    _fails(r, "x.csv:2: line is over the limit of 1,000 bytes")


def _outside(tmp_path: Path, how: str) -> tuple[Path, str]:
    """A network in tmp_path/net/ whose theta is a file outside that folder."""
    folder = tmp_path / "net"
    folder.mkdir()
    np.save(tmp_path / "secret.npy", np.array([[1.0, 2.0]]))
    reference = {"absolute": str(tmp_path / "secret.npy"), "dotdot": "../secret.npy"}.get(how)
    if how == "symlink":
        (folder / "sub").symlink_to(tmp_path)  # a link in the middle of the path
        reference = "sub/secret.npy"
    return _net(folder, reference), reference


@pytest.mark.parametrize("how", ["absolute", "dotdot", "symlink"])
@pytest.mark.parametrize("command", ["forward", "params", "draw", "collapse", "export"])
def test_file_references_stay_in_the_folder_unless_trusted(run, tmp_path, how, command):
    net, reference = _outside(tmp_path, how)
    args = [command, net]
    if command == "forward":
        args += ["-x", "3"]
    if command == "export":
        args += ["-o", tmp_path / "out.onnx"]
    r = run(*args)
    _fails(r, f"{{file: {reference[:60]}", "outside the network file's folder", "--trust-paths")
    r = run(*args, "--trust-paths", *(["--json"] if command == "forward" else []))
    assert r.code in (0, 1), r.err  # collapse: 1, a sigmoid is not linear
    if command == "forward":
        assert r.json()["examples"][0]["layers"][1]["z"] == [7.0]  # z = 1 + 2·3


def test_a_symlink_inside_the_folder_is_followed(run, tmp_path):
    np.save(tmp_path / "theta.npy", np.array([[1.0, 2.0]]))
    (tmp_path / "link.npy").symlink_to("theta.npy")
    (tmp_path / "deeper").mkdir()
    r = run("forward", _net(tmp_path, "deeper/../link.npy"), "-x", "3", "--json")
    assert r.code == 0, r.err
    assert r.json()["examples"][0]["layers"][1]["z"] == [7.0]


def test_python_file_references_need_a_folder_or_trust(tmp_path, monkeypatch):
    np.save(tmp_path / "theta.npy", np.array([[1.0, 2.0]]))
    text = "layers: [{theta: {file: theta.npy}}]"
    with pytest.raises(NNCalcError, match="needs the network's folder"):
        nncalc.loads(text)
    monkeypatch.chdir(tmp_path)
    assert nncalc.loads(text, trust_paths=True).layers[0].theta.tolist() == [[1.0, 2.0]]
    net, _ = _outside(tmp_path, "dotdot")
    with pytest.raises(NNCalcError, match="outside"):
        nncalc.load(net)
    assert nncalc.load(net, trust_paths=True).layers[0].theta.tolist() == [[1.0, 2.0]]


def test_onehot_refuses_a_y_over_the_limit_before_making_it(run, tmp_path):
    labels = tmp_path / "labels.txt"
    labels.write_text("1\n" * 2000, encoding="utf-8")
    r = run("onehot", "--classes", "1000000", "--labels", labels, "-o", tmp_path / "y.npy")
    _fails(r, "2,000 labels × 1,000,000 classes make a Y of 16,000,000,000 bytes")
    assert not (tmp_path / "y.npy").exists()
