"""The one way each kind of output writes text from outside: names of networks, layers,
examples and classes, question ids, answers, roster fields, file names, model metadata.

Every renderer passes such text through the function of its output kind, and writes it
no other way:

- ``terminal``: control and format characters (C0, C1, DEL, bidi overrides, zero-width
  characters, line separators…) shown as escapes (``\\x1b``, ``\\u202e``), as
  ``errors.excerpt`` shows them; tables hold it as Rich Text, never markup (style.table),
  and every line on stderr goes through it (process.say);
- ``latex``: TeX's specials escaped, the lecture's symbols typeset, letters of any script
  kept, every other character shown as an escape; never inside a ``%`` comment;
- ``markdown``: HTML escaped, line breaks and controls shown as escapes, and the
  characters that start Markdown structure (headings, tables, links, emphasis) made inert;
- ``csv_cell``: unseen characters shown as on the terminal, then the OWASP rule: a text
  cell that begins with a formula character gets a leading ``'``; numbers stay numbers
  (CsvWriter writes every row that way);
- ``json``: a JSON text made valid UTF-8, with every invisible character a ``\\uXXXX``;
- ``xml`` (SVG) and ``html`` (the page): the markup specials escaped, and every character
  XML 1.0 forbids (and every other control or format character) shown as an escape.

A byte that was not UTF-8 (an argument or file name, kept by Python's surrogateescape) is
shown as ``\\xff`` wherever it goes.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import IO

BLANK = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0")
"""Printable characters that show nothing (fillers, joiners): escaped like the invisible."""

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def unseen(c: str) -> bool:
    """Whether the character is not shown as itself: a control, a format character (bidi,
    zero-width), a separator other than the space, a surrogate, a private-use or unassigned
    character, or a printable one that shows nothing (BLANK)."""
    return not c.isprintable() or c in BLANK


JOINERS = "\u200c\u200d"
"""Zero-width non-joiner and joiner: unseen, but part of how a name is spelt in Persian
and the Indic scripts when they stand between two letters."""


def _typeset(text: str, k: int) -> bool:
    """Whether text[k], unseen on a terminal, is typeset as itself in a document: a joiner
    between two letters or marks (می‌خواهم, क्‍ष); any other unseen character is shown
    escaped."""
    return (
        text[k] in JOINERS
        and 0 < k < len(text) - 1
        and all(unicodedata.category(c)[0] in "LM" for c in (text[k - 1], text[k + 1]))
    )


def shown(c: str) -> str:
    """The escape that shows an unseen character: \\n, \\x1b (ASCII), \\u202e, \\U000e0041,
    and \\xff for a byte that is not UTF-8 (surrogateescape's U+DCFF)."""
    code = ord(c)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if c in _SHORT:
        return _SHORT[c]
    if code < 0x80:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


_NOT_ASCII = re.compile(r"[^\x20-\x7e]")
"""What is not printable ASCII: the only characters that may be unseen."""


def terminal(text: str) -> str:
    """Text for the terminal (tables, reports, notes, errors): each unseen character shown
    as its escape, so nothing moves the cursor, clears the screen, links, reorders the line
    or starts a new one."""
    return _NOT_ASCII.sub(_terminal, text)


def _terminal(m: re.Match) -> str:
    c = m[0]
    return shown(c) if unseen(c) else c


_LATEX = {
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
    "[": "{[}",
    "]": "{]}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': r"\textquotedbl{}",
    "`": r"\textasciigrave{}",
    "-": "-{}",  # no -- or --- ligature
    "Θ": r"$\Theta$",
    "θ": r"$\theta$",
    "σ": r"$\sigma$",
    "Σ": r"$\Sigma$",
    "·": r"$\cdot$",
    "−": "$-$",
    "×": r"$\times$",
    "…": r"\ldots{}",
    "≤": r"$\leq$",
    "≥": r"$\geq$",
    "→": r"$\to$",
    "≈": r"$\approx$",
    "–": "--",
    "—": "---",
    "‘": "`",
    "’": "'",
    "“": "``",
    "”": "''",
}


def latex(text: str, pdflatex: bool = False) -> str:
    """Text for LaTeX's text mode: its specials escaped, the lecture's symbols (Θ, σ, ≤ …)
    typeset, letters of any script kept as themselves (LuaLaTeX typesets them), and every
    unseen character shown as its escape (\\x1b). ``pdflatex``: a letter that pdflatex's
    default fonts lack is written as its code point (U+4E2D), so the document compiles."""
    out = []
    for k, c in enumerate(text):
        if c in _LATEX:
            out.append(_LATEX[c])
        elif unseen(c) and not _typeset(text, k):
            out.append(_LATEX["\\"] + shown(c)[1:])
        elif pdflatex and not _pdflatex_has(c):
            out.append(rf"\texttt{{U+{ord(c):04X}}}")
        else:
            out.append(c)
    return "".join(out)


def _pdflatex_has(c: str) -> bool:
    """ASCII, or a Latin-1 letter that inputenc composes from an accent."""
    return " " <= c < "\x7f" or ("\xc0" <= c <= "\xff" and c not in "ÐðÞþ×÷")


_MARKDOWN = {
    **{c: "\\" + c for c in "\\`*_[]#|~$"},
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
}
_MARKDOWN_START = re.compile(r"( *)([-+=]|[0-9]+[.)])?")
"""Spaces, and what starts a list, a setext heading or an ordered list after them at the
start of a line."""


def markdown(text: str) -> str:
    """Text for Markdown (CommonMark and GitHub's): &, < and > as entities (no HTML),
    backslash, backquote, emphasis, brackets, #, |, ~ and $ escaped (no code, links,
    headings, tables or math), what would start a block at the start of a line (a list
    marker, four spaces) escaped, and each unseen character (line breaks included) shown
    as its escape, so the text stays on its line."""
    out = []
    for k, c in enumerate(text):
        if c in _MARKDOWN:
            out.append(_MARKDOWN[c])
        elif unseen(c) and not _typeset(text, k):
            out.append("\\" + shown(c))
        else:
            out.append(c)
    escaped = "".join(out)
    start = _MARKDOWN_START.match(escaped)
    if len(start[1]) >= 4:  # no indented code: a first space that is text
        return "&#32;" + escaped[1:]
    if start[2]:
        end = start.end()
        escaped = escaped[: end - 1] + "\\" + escaped[end - 1 :]
    return escaped


FORMULA = tuple("=+-@\t\r\n＝＋－＠")
"""What makes a spreadsheet read a cell as a formula, at its start: OWASP's list, the
line feed, and their full-width forms (csv_cell shows tab, CR and LF as escapes first)."""
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")


def csv_cell(text: str) -> str:
    """A CSV cell of text: each unseen character shown as its escape, as on the terminal
    (a cell stays on its line, and CSV printed to a terminal moves nothing); then one that
    begins with a formula character gets a leading ' (the OWASP rule), unless it is a
    number (-0.5 stays a number)."""
    text = terminal(text)
    if text.startswith(FORMULA) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class CsvWriter:
    """The one way nncalc writes CSV: a row a line ("\\n"), every text cell through
    csv_cell (numbers given as int or float as they are)."""

    def __init__(self, f: IO[str]) -> None:
        import csv

        self._writer = csv.writer(f, lineterminator="\n")

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(c) if isinstance(c, str) else c for c in row])


def json(document: str) -> str:
    """A JSON text (json.dumps with ensure_ascii=False) that is valid UTF-8 and shows no
    control: a byte that was not UTF-8 becomes the text \\xff, another lone surrogate its
    \\udXXX, and every other unseen character a \\uXXXX escape (read back as itself). Only
    spaces and newlines lie between a JSON text's strings, so the structure is untouched."""
    return _NOT_ASCII.sub(_json, document)


def _json(m: re.Match) -> str:
    c = m[0]
    if c == "\n" or not unseen(c):
        return c
    code = ord(c)
    if 0xD800 <= code <= 0xDFFF:
        return "\\" + shown(c)  # a JSON string holding the text \xff
    if code > 0xFFFF:
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


_XML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}


def xml(text: str) -> str:
    """Text for XML 1.0 (SVG), in content or a quoted attribute: the five specials as
    entities, and each unseen character (those XML forbids, C0 controls, U+FFFE, U+FFFF and
    surrogates, among them) shown as its escape."""
    return "".join(_XML.get(c) or (shown(c) if unseen(c) else c) for c in text)


def html(text: str) -> str:
    """Text for the HTML page, in content or a quoted attribute: as for XML (the page's
    diagram is inline SVG)."""
    return xml(text)
