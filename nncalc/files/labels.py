"""Labels y^(i) for the examples, from --y and from files, in the forms onehot reads.

A label is a class (its name, or its number counted from 1, or from 0 with --zero-based:
y = e_k) or a row of K numbers (one-hot, probabilities, or any targets of an identity
output); with one output unit, a label is y itself. Files: one label a line (blank lines
and # comments skipped; commas or spaces between a row's numbers), a .csv (a header row
skipped), a .yaml list, or a .npy array (m class numbers, or m × K rows).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nncalc.errors import NNCalcError
from nncalc.files import arrays
from nncalc.files.checker import plural
from nncalc.files.inputs import choose as choose_examples
from nncalc.files.reader import Piped, max_bytes
from nncalc.network import Array, Network
from nncalc.onehot import Classes, cells, target


def classes_of(network: Network, zero_based: bool = False) -> Classes:
    """The output units as classes: named as the network names them, counted from 1 (or 0)."""
    return Classes(network.sizes[-1], network.classes, zero_based)


def choose(
    network: Network,
    xs: Sequence[str] = (),
    ys: Sequence[str] = (),
    input_file: str | None = None,
    labels_file: str | None = None,
    zero_based: bool = False,
    input_format: str | None = None,
) -> tuple[Array, Array, list[str | None]]:
    """(X, Y, names): the examples as forward takes them, and one label for each, from
    --y (one per -x) or a labels file."""
    X, names = choose_examples(network, xs, input_file, input_format)
    classes = classes_of(network, zero_based)
    if ys and labels_file:
        raise NNCalcError.at("give --y or --labels, not both")
    if ys:
        Y = np.array([_target(y, classes, "--y") for y in ys], dtype=np.float64)
    elif labels_file:
        Y = read(labels_file, classes)
    else:
        raise NNCalcError.at(
            "no labels y", hint="give --labels FILE, or --y with each -x (e.g. --y 3)"
        )
    if len(Y) != len(X):
        raise NNCalcError.at(
            f"{plural(len(Y), 'label', 'labels')} for {plural(len(X), 'example', 'examples')}",
            hint="one label y per example",
        )
    return X, Y, names


def label(network: Network, text: str, zero_based: bool = False) -> list[float]:
    """One label y as written on the command line (--y): a class, or a row of K numbers."""
    return _target(text, classes_of(network, zero_based), "--y")


def _target(text: str, classes: Classes, where: str) -> list[float]:
    if not text.strip():
        raise NNCalcError.at(f"{where} is empty", hint="a class, or a row of K numbers")
    try:
        return target(cells(text), classes)
    except NNCalcError as e:
        raise NNCalcError.at(f"{where} '{text}': {e.problems[0].message}") from None


def read(path: str | os.PathLike[str], classes: Classes) -> Array:
    """Every label of a labels file, as the rows y^(i) of Y."""
    suffix = "" if isinstance(path, Piped) else Path(path).suffix.lower()
    if suffix == ".npy":
        return _from_array(arrays.checked(arrays.load_npy(path), str(path)), classes, str(path))
    if suffix in (".yaml", ".yml"):
        from nncalc.files.yamlfile import load_file

        return _from_yaml(load_file(path), classes, str(path))
    from nncalc.files.yamlfile import read_text

    return _from_lines(read_text(path), classes, str(path), suffix == ".csv")


def _from_lines(text: str, classes: Classes, source: str, csv: bool) -> Array:
    rows: list[list[float]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        _bound(len(rows) + 1, classes, source)
        try:
            rows.append(target(cells(line), classes))
        except NNCalcError as e:
            if csv and not rows and number == 1:
                continue  # the header row
            raise NNCalcError.at(e.problems[0].message, source, number) from None
    return _rows(rows, source)


def _from_yaml(doc: Any, classes: Classes, source: str) -> Array:
    from nncalc.files.yamlfile import YList

    if not isinstance(doc, YList):
        raise NNCalcError.at("expected a list of labels", source, 1, hint="write - car")
    rows = []
    _bound(len(doc), classes, source)
    for item, pos in zip(doc, doc.item_pos, strict=True):
        written = [str(v) for v in item] if isinstance(item, list) else [str(item)]
        try:
            rows.append(target(written, classes))
        except NNCalcError as e:
            raise pos.error(e.problems[0].message) from None
    return _rows(rows, source)


def _from_array(data: Array, classes: Classes, source: str) -> Array:
    """m class numbers (or, with one output unit, m targets), or m × K rows."""
    if data.ndim == 2 and data.shape[1] == classes.K:
        return data
    if data.ndim != 1:
        raise NNCalcError.at(
            f"array has shape {data.shape}, expected (labels,) or (labels, {classes.K})", source
        )
    if classes.K == 1:
        return data.reshape(-1, 1)
    if not np.array_equal(data, np.round(data)):
        raise NNCalcError.at("class numbers must be whole numbers", source)
    _bound(len(data), classes, source)
    rows = []
    for k, v in enumerate(data, start=1):
        try:
            rows.append(target([str(int(v))], classes))
        except NNCalcError as e:
            raise NNCalcError.at(f"entry {k}: {e.problems[0].message}", source) from None
    return _rows(rows, source)


def _bound(count: int, classes: Classes, source: str) -> None:
    """Refuse labels whose Y (count × K numbers, 8 bytes each) would pass NNCALC_MAX_BYTES."""
    size, limit = 8 * count * classes.K, max_bytes()
    if size > limit:
        raise NNCalcError.at(
            f"{count:,} labels × {classes.K:,} classes make a Y of over {limit:,} bytes",
            source,
            hint="fewer labels, or raise NNCALC_MAX_BYTES",
        )


def _rows(rows: list[list[float]], source: str) -> Array:
    if not rows:
        raise NNCalcError.at("no labels in the file", source)
    return np.array(rows, dtype=np.float64)
