"""The escaping rule of each output kind (nncalc.render.escape), over any text at all.

Each rule is checked by an oracle that does not share its code: unicodedata's categories
for the terminal, a CommonMark renderer (markdown-it-py) for Markdown, the csv module,
json.loads and a strict XML parser; tests/test_outside_text.py puts the same texts through
every command into every output.
"""

from __future__ import annotations

import html
import json
import re
import string
from xml.etree import ElementTree

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc.render import escape

from outside import PAYLOADS, shows_itself

markdown_it = pytest.importorskip("markdown_it")

HOSTILE = [*PAYLOADS.values(), "\ud800\U000e0041"]
# Any text: every code point, the lone surrogates of undecodable bytes among them; and
# texts made mostly of the characters that mean something to some output.
MEANINGFUL = string.punctuation + string.whitespace + "ab1 \x1b\x85\u202e\u200b\udcff＝"
ANY = st.one_of(
    st.text(st.characters(codec=None), max_size=40),
    st.text(st.sampled_from(MEANINGFUL), max_size=12),
    st.sampled_from(HOSTILE),
)
SETTINGS = settings(max_examples=400, deadline=None)

# --- the terminal -----------------------------------------------------------------------


@SETTINGS
@given(ANY)
def test_the_terminal_shows_every_character_as_itself_or_as_an_escape(text):
    shown = escape.terminal(text)
    assert all(shows_itself(c) for c in shown)
    assert shown == text or any(not shows_itself(c) for c in text)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\nb\r\t", "a\\nb\\r\\t"),
        ("\x1b[2J\x7f", "\\x1b[2J\\x7f"),
        ("\x9b\xad\xa0", "\\u009b\\u00ad\\u00a0"),  # C1, soft hyphen, no-break space
        ("\udcff", "\\xff"),  # the byte 0xff of a file name that is not UTF-8
        ("\u202e\u2066\u200b\ufeff\u2028", "\\u202e\\u2066\\u200b\\ufeff\\u2028"),
        ("\U000e0041\u3164", "\\U000e0041\\u3164"),
        ("Θ σ → café 中文 🙂 [red]x[/red]", "Θ σ → café 中文 🙂 [red]x[/red]"),
    ],
)
def test_the_terminal_escapes_as_excerpt_does(text, shown):
    assert escape.terminal(text) == shown


# --- LaTeX ------------------------------------------------------------------------------

SPECIALS = set("\\{}$&#^_%~")
"""TeX's special characters: none may reach a document unescaped."""


def _without_escapes(latex: str) -> str:
    """The output with every escape or typeset form the rule may write taken out."""
    forms = sorted(set(escape._LATEX.values()), key=len, reverse=True)
    pattern = "|".join([r"\\texttt\{U\+[0-9A-F]+\}", *(re.escape(f) for f in forms)])
    return re.sub(pattern, "", latex)


@SETTINGS
@given(ANY, st.booleans())
def test_latex_leaves_no_special_character_and_no_control(text, pdflatex):
    latex = escape.latex(text, pdflatex)
    assert not SPECIALS & set(_without_escapes(latex))
    assert all(shows_itself(c) or c in escape.JOINERS for c in latex)


def _as_terminal(document_text: str) -> str:
    """A document's text with its typeset joiners written as the terminal writes them."""
    return document_text.replace("\u200c", "\\u200c").replace("\u200d", "\\u200d")


@pytest.mark.parametrize("kind", [escape.latex, escape.markdown])
@pytest.mark.parametrize(
    ("name", "joined"),
    [
        ("می\u200cخواهم", True),  # Persian: the non-joiner between two letters
        ("क्\u200dष", True),  # Devanagari: the joiner after a virama (a mark), before a letter
        ("a\u200c", False),  # at the end: hides nothing, shown
        ("\u200cb", False),
        ("1\u200c2", False),  # between digits: not a letter's shaping
        ("x\u200c\u200cy", False),
    ],
)
def test_a_joiner_between_letters_is_typeset_and_any_other_shown(kind, name, joined):
    out = kind(name)
    assert (("\u200c" in out or "\u200d" in out) and "u200" not in out) == joined
    assert escape.terminal(name) != name  # the terminal always shows it


def test_latex_keeps_the_letters_of_any_script():
    assert escape.latex("Zoë Ωμέγα Дмитрий 王小明 محمد") == "Zoë Ωμέγα Дмитрий 王小明 محمد"
    assert escape.latex("王", pdflatex=True) == r"\texttt{U+738B}"
    assert escape.latex("x\n\\input{/etc/hostname}") == (
        r"x\textbackslash{}n\textbackslash{}input\{/etc/hostname\}"
    )


# --- Markdown ---------------------------------------------------------------------------


def _render(markdown: str) -> list:
    return markdown_it.MarkdownIt("commonmark").parse(markdown)


@SETTINGS
@given(ANY)
def test_markdown_is_one_paragraph_of_text_that_reads_as_the_terminal_shows_it(text):
    """Between our words, any text stays one paragraph of plain text (no HTML, heading,
    list, link, emphasis, code or line break), which shows as the terminal would show it."""
    tokens = _render(f"x {escape.markdown(text)} x")
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    children = tokens[1].children
    assert {c.type for c in children} <= {"text"}
    shown = "".join(c.content for c in children)
    assert _as_terminal(shown) == f"x {escape.terminal(text)} x"


@SETTINGS
@given(ANY)
def test_markdown_at_the_start_of_a_line_starts_no_block(text):
    tokens = _render(escape.markdown(text) + "x")
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert {c.type for c in tokens[1].children} <= {"text"}


# --- CSV --------------------------------------------------------------------------------


@SETTINGS
@given(st.one_of(ANY, st.from_regex(r"[=+\-@\t\r][^\n]{0,8}", fullmatch=True)))
def test_a_csv_cell_starts_with_no_formula_character_unless_a_number(text):
    cell = escape.csv_cell(text)
    assert cell in (escape.terminal(text), "'" + escape.terminal(text))
    assert all(shows_itself(c) for c in cell)
    if cell[:1] in tuple("=+-@\t\r\n＝＋－＠"):
        float(cell)  # a number, which stays a number


@pytest.mark.parametrize("number", ["-0.5", "+1", "-1e-300", "-.5", "-12.", "-7E+2"])
def test_numbers_stay_numbers(number):
    assert escape.csv_cell(number) == number


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("-1+2", "'-1+2"),
        ("+A1", "'+A1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-inf", "'-inf"),
        ("＝1+1", "'＝1+1"),
        ("\t=1", "\\t=1"),  # a tab or CR shows as an escape: no formula begins with \
        ("\r=1", "\\r=1"),
    ],
)
def test_formulas_are_text(text, cell):
    assert escape.csv_cell(text) == cell


# --- JSON -------------------------------------------------------------------------------


def _no_surrogates(value) -> bool:
    return not re.search("[\ud800-\udfff]", value)


@SETTINGS
@given(ANY)
def test_json_is_valid_utf8_reads_back_without_surrogates_and_shows_nothing_invisible(text):
    document = escape.json(json.dumps({text: [text]}, ensure_ascii=False))
    data = json.loads(document.encode("utf-8").decode("utf-8"))  # strict: no surrogates
    ((key, (value,)),) = data.items()
    assert key == value and _no_surrogates(value)
    if _no_surrogates(text):
        assert value == text  # lossless
    else:
        assert value == re.sub("[\ud800-\udfff]", lambda m: escape.shown(m[0]), text)
    assert all(shows_itself(c) for c in document.replace("\n", ""))


# --- XML and HTML -----------------------------------------------------------------------


@SETTINGS
@given(ANY)
def test_xml_parses_strictly_and_reads_as_the_terminal_shows_it(text):
    element = ElementTree.fromstring(f'<a b="{escape.xml(text)}">{escape.xml(text)}</a>')
    assert (element.text or "") == escape.terminal(text)
    assert element.get("b") == escape.terminal(text)


@SETTINGS
@given(ANY)
def test_html_reads_as_the_terminal_shows_it(text):
    assert html.unescape(escape.html(text)) == escape.terminal(text)
    assert not set(escape.html(text)) & set("<>\"'")


@pytest.mark.parametrize("text", HOSTILE)
def test_every_kind_escapes_the_hostile_texts(text):
    """The examples of issue 20, through every kind (the rules above, by example)."""
    assert all(shows_itself(c) for c in escape.terminal(text))
    assert "\n" not in escape.markdown(text) and "<" not in escape.markdown(text)
    assert "%" not in _without_escapes(escape.latex(text))
    ElementTree.fromstring(f"<a>{escape.xml(text)}</a>")
    json.loads(escape.json(json.dumps(text, ensure_ascii=False)).encode("utf-8"))
