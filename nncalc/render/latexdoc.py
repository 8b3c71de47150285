"""LaTeX documents that compile as they are: hand-outs and standalone worked solutions.

The preamble (preamble.tex, beside this module) is for LuaLaTeX, which typesets text in
any script with the system's fonts (fontspec, babel with right-to-left Arabic and Hebrew,
fallback fonts for Chinese, Japanese and Korean); pdfLaTeX compiles the same document when
its text is Latin. ``text`` is the one way outside text (titles, names, question texts)
enters these documents.
"""

from __future__ import annotations

import unicodedata
from importlib import resources

MIN_COLUMNS = 10
"""amsmath's default MaxMatrixCols; wider matrices raise it."""

_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    "Θ": r"$\Theta$",
    "θ": r"$\theta$",
    "σ": r"$\sigma$",
    "Σ": r"$\Sigma$",
    "·": r"$\cdot$",
    "−": r"$-$",
    "×": r"$\times$",
    "…": r"\ldots{}",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "→": r"$\to$",
    "≈": r"$\approx$",
}


def preamble(columns: int = MIN_COLUMNS) -> str:
    """The preamble, allowing matrices of up to ``columns`` columns."""
    text = resources.files("nncalc.render").joinpath("preamble.tex").read_text(encoding="utf-8")
    return text + rf"\setcounter{{MaxMatrixCols}}{{{max(columns, MIN_COLUMNS)}}}" + "\n"


def document(body: str, columns: int = MIN_COLUMNS) -> str:
    """A whole document around ``body``."""
    return f"{preamble(columns)}\\begin{{document}}\n{body}\n\\end{{document}}\n"


def text(value: str) -> str:
    """Outside text for a LaTeX paragraph: its special characters escaped, the lecture's
    symbols as math, every other printable character as itself (LuaLaTeX typesets it).
    Line breaks and controls become spaces and invisible format characters (bidi
    overrides, marks) are dropped, so nothing from outside can start a command, a comment
    or a paragraph; a character no font can have (unassigned, private) is '?'."""
    return "".join(_character(c) for c in unicodedata.normalize("NFC", value))


_JOINERS = "\u200c\u200d"
"""Zero-width (non-)joiners: they shape Persian and Indic names, so they are kept."""


def _character(c: str) -> str:
    if c in _SPECIAL:
        return _SPECIAL[c]
    category = unicodedata.category(c)
    if category in ("Cc", "Zs", "Zl", "Zp"):
        return " "
    if category == "Cf":
        return c if c in _JOINERS else ""
    return "?" if category in ("Cn", "Co", "Cs") else c
