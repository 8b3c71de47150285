"""LaTeX documents that compile as they are: hand-outs and standalone worked solutions.

The preamble (preamble.tex, beside this module) is for LuaLaTeX, which typesets text in
any script with the system's fonts (fontspec, babel with right-to-left Arabic and Hebrew,
fallback fonts for Chinese, Japanese and Korean); pdfLaTeX compiles the same document when
its text is Latin. Outside text (titles, names, question texts) enters these documents
through escape.latex.
"""

from __future__ import annotations

from importlib import resources

MIN_COLUMNS = 10
"""amsmath's default MaxMatrixCols; wider matrices raise it."""


def preamble(columns: int = MIN_COLUMNS) -> str:
    """The preamble, allowing matrices of up to ``columns`` columns."""
    text = resources.files("nncalc.render").joinpath("preamble.tex").read_text(encoding="utf-8")
    return text + rf"\setcounter{{MaxMatrixCols}}{{{max(columns, MIN_COLUMNS)}}}" + "\n"


def document(body: str, columns: int = MIN_COLUMNS) -> str:
    """A whole document around ``body``."""
    return f"{preamble(columns)}\\begin{{document}}\n{body}\n\\end{{document}}\n"
