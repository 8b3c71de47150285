"""Hostile text from outside, and the oracles that check each output kind holds it safely
(shared by test_escape.py, the rules, and test_outside_text.py, the commands)."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from html.parser import HTMLParser
from xml.etree import ElementTree

PAYLOADS = {
    "ESC, OSC 8": "\x1b[2J\x1b[1;1H\x1b]8;;https://evil/\x07link\x1b]8;;\x07",
    "CR": "total: 0\rtotal: 100",
    "newline": "x\nnncalc: error: forged",
    "bidi": "\u202eevil\u202c \u2066x\u2069 \u200f\u061c",
    "zero-width": "zero\u200bwidth\ufeff\u2060\u200d\u3164\u034f",
    "separators": "a\u2028b\u2029c\x85d\x0be\x0cf\x1c",
    "controls": "\x01\x07\x08\x7f\x9b\x9d\x00",
    "Rich markup": "[bold]MARKUP[/bold][link=http://evil]x[/link]",
    "TeX input": "x\n\\input{/etc/hostname}\\typeout{\\the\\numexpr 12345*1000+678\\relax}",
    "TeX specials": "$\\x$ %c #1 ~_^{}& \\\\ [o] <<>> ``q'' -- \\end{document}",
    "Markdown": "# h\n| a | b |\n[l](http://e) ![i](http://e) *e* _u_ `c`\n- item\n    code",
    "HTML": "<img src=x onerror=alert(1)><script>alert(2)</script>&amp;&#60;",
    "formula =": "=cmd|' /C calc'!A0",
    "formula +": "+1+cmd|' /C calc'!A0",
    "formula -": "-2+3+cmd|' /C calc'!A0",
    "formula @": "@SUM(1+9)*cmd|' /C calc'!A0",
    "formula TAB": "\t=1+1",
    "XML forbidden": "\ufffe\uffff\x0b",
    "bytes": "\udcff\udc80 not UTF-8",
}
"""Each attack of issue 20 on an output, as a text that any file, name or argument may hold
(the lone surrogates of "bytes" are bytes that are not UTF-8, as Python keeps them)."""

FORGED = "nncalc: error: forged"
MARKUP = "MARKUP"
TEX_READ = "/etc/hostname"
TEX_RUN = "12345678"
"""What a log shows when TeX reads the file or runs the macro of "TeX input"."""

FORMULA = tuple("=+-@\t\r\n＝＋－＠")


# --- the terminal ---------------------------------------------------------------------

INVISIBLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Zs"}
"""Categories whose characters do not show as themselves: controls, format characters
(bidi, zero-width), separators, surrogates, private use, unassigned."""
BLANK = set("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180f\u3164\uffa0")
"""Letters and marks that show nothing."""


def shows_itself(c: str) -> bool:
    return c == " " or (unicodedata.category(c) not in INVISIBLE and c not in BLANK)


def check_terminal(text: str) -> None:
    """Nothing below 0x20 but newlines, no bidi, zero-width or other invisible character,
    no forged line, and Rich markup shown as written."""
    bad = sorted({c for c in text if c != "\n" and not shows_itself(c)})
    assert not bad, f"invisible characters {bad!r} in {text[:300]!r}"
    assert not any(line.startswith(FORGED) for line in text.splitlines()), text
    assert text.count(MARKUP) == text.count(f"[bold]{MARKUP}"), text  # markup not read


# --- LaTeX ----------------------------------------------------------------------------

_COMMENT = re.compile(r"(?<!\\)%.*")


def check_latex(text: str, benign: str) -> None:
    """Every comment as in the benign run (nothing from outside in a comment), and no
    control character; compiling is test_outside_text's, for all outputs at once."""
    assert _COMMENT.findall(text) == _COMMENT.findall(benign), text
    assert all(shows_itself(c) for c in text.replace("\n", "")), text


# --- Markdown -------------------------------------------------------------------------


def markdown_structure(text: str) -> list[str]:
    """The CommonMark blocks and inlines of text, but plain text: what outside text must
    not change."""
    from markdown_it import MarkdownIt

    kinds = []
    for token in MarkdownIt("commonmark").parse(text):
        for t in [token, *(token.children or ())]:
            if t.type not in ("text", "inline"):
                kinds.append(t.type)
    return kinds


def check_markdown(text: str, benign: str) -> None:
    """The same structure as the benign run (no HTML element, heading, list, link, code,
    line break… from outside) and the same $ (math) delimiters."""
    kinds = markdown_structure(text)
    assert not {"html_block", "html_inline"} & set(kinds), text
    assert kinds == markdown_structure(benign), text
    assert _dollars(text) == _dollars(benign), text


def _dollars(text: str) -> int:
    return len(re.findall(r"(?<!\\)\$", text))


# --- CSV ------------------------------------------------------------------------------


def check_csv(text: str, benign: str) -> None:
    """The same rows and columns as the benign run, no text cell that a spreadsheet reads
    as a formula (a number, such as -0.5, stays a number), and nothing invisible (CSV is
    printed to the terminal too)."""
    assert all(shows_itself(c) for c in text.replace("\n", "")), text
    rows = list(csv.reader(io.StringIO(text)))
    assert [len(r) for r in rows] == [len(r) for r in csv.reader(io.StringIO(benign))], text
    for cell in (c for row in rows for c in row):
        if cell.startswith(FORMULA):
            float(cell)  # else: a formula


# --- JSON -----------------------------------------------------------------------------


def check_json(text: str, benign: str) -> None:
    """UTF-8, strict JSON without surrogates, shaped as the benign run, and no invisible
    character in the text itself."""
    data = json.loads(text.encode("utf-8").decode("utf-8"))
    assert _shape(data) == _shape(json.loads(benign)), text
    assert all(shows_itself(c) for c in text.replace("\n", "")), text


def _shape(value):
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    if isinstance(value, str):
        assert not re.search("[\ud800-\udfff]", value), value
        return "str"
    return type(value).__name__


# --- SVG and HTML ---------------------------------------------------------------------


def check_svg(text: str, benign: str) -> None:
    """Well-formed XML 1.0 with the same elements as the benign run."""
    tags = [e.tag for e in ElementTree.fromstring(text.encode("utf-8")).iter()]
    assert tags == [e.tag for e in ElementTree.fromstring(benign.encode("utf-8")).iter()]


class _Tags(HTMLParser):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.data: dict[str, str] = {}
        self._id = ""
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self._id = dict(attrs).get("id") or ""

    def handle_endtag(self, tag):
        self._id = ""

    def handle_data(self, data):
        if self._id:
            self.data[self._id] = self.data.get(self._id, "") + data


def check_html(text: str, benign: str) -> None:
    """The same elements as the benign run, its data strict JSON, nothing invisible."""
    page = _Tags(text)
    assert page.tags == _Tags(benign).tags, text
    check_json(page.data["network"], _Tags(benign).data["network"])
    assert all(shows_itself(c) for c in text.replace("\n", "")), text


CHECKS = {
    "terminal": lambda text, benign: check_terminal(text),
    "LaTeX": check_latex,
    "Markdown": check_markdown,
    "CSV": check_csv,
    "JSON": check_json,
    "SVG": check_svg,
    "HTML": check_html,
}
"""The mechanical check of each output kind: (output, the benign run's output)."""
