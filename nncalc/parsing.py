"""Numbers typed by people: on the command line and in CSV cells. Pure Python."""

from __future__ import annotations

import math
import re

from nncalc.errors import NNCalcError


def number(text: str, where: str, source: str | None = None, line: int | None = None) -> float:
    """A finite float from text, or an NNCalcError naming where it was."""
    try:
        value = float(text)
    except ValueError:
        raise NNCalcError.at(f"{where}: '{text}' is not a number", source, line) from None
    if not math.isfinite(value):
        raise NNCalcError.at(f"{where}: {text} is not a finite number", source, line)
    return value


def is_float(text: str) -> bool:
    """Whether Python reads text as a float (nan and inf included)."""
    try:
        float(text)
    except ValueError:
        return False
    return True


def vector(text: str, what: str = "-x") -> list[float]:
    """'66,39,12' or '66 39 12' as numbers."""
    cells = [c for c in re.split(r"[,\s]+", text.strip()) if c]
    if not cells:
        raise NNCalcError.at(f"{what} '{text}' has no numbers", hint="write -x 66,39,12")
    return [number(c, f"{what} '{text}'") for c in cells]
