"""Numbers as people write them, read exactly or not at all. Pure Python.

A number is read with the place of the last digit written (0.78 was rounded at 10^-2),
which is what ``expect.judge`` holds it to. Forms read (docs/grading.md, "How answers are
read"):

- decimals and scientific notation: ``0.78``, ``.5``, ``-4.2e-3``, ``4.2·10^-3``,
  ``4.2 × 10⁻³``, ``10^-3``; a sign or an operator may have spaces around it;
- a decimal comma: ``0,063``; thousands separators: ``1,234.5``, ``1.234,5``, ``1 234``;
- percentages: ``19.78%`` is 0.1978; fractions: ``3/4`` (exact: no last place);
- full-width digits and Unicode minus signs, read as their ASCII forms.

``1,234`` (and any single comma after one to three digits, not 0, followed by exactly
three digits) could be 1.234 or 1234: it is ambiguous, and refused with both readings.
Whatever cannot be read is an ``Unreadable`` with what was read and a hint, never a
number. A whole number (a parameter count) reads 23,860 and 23.860 as 23860.
``strict`` reads only ``float()``'s plain form: 0.75, -7.5e-1.

Vectors (``numbers``) are YAML lists, or text: ``[0.3; 0.2]``, ``(0.3, 0.2)``,
``[0 0 1 0]``, ``0,7742; 0,8115``. Entries are split at ``;`` (or new lines) if there
are any, else at commas followed by a space, else at spaces, else at commas: so a
decimal comma needs ``;`` or spaces between entries.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from nncalc.errors import cut


@dataclass(frozen=True, slots=True)
class Written:
    """A number as written: its float64, its exact value as text (``Fraction(exact)``), and
    the exponent of the place of its last digit (0.78: -2), or None for an exact form."""

    value: float
    exact: str
    place: int | None

    def fraction(self) -> Fraction:
        return Fraction(self.exact)

    def equals(self, k: int) -> bool:
        """Whether this is exactly the whole number ``k`` (1.0 is 1; 1.00000000000000001
        is not, though its float64 is)."""
        if self.value != k:
            return False
        if self.place is not None and self.place >= 0 and abs(k) < 2**53:
            return True
        return self.fraction() == k


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Text that is not a number nncalc can read unambiguously: why, and a hint."""

    text: str
    why: str
    hint: str

    def __str__(self) -> str:
        return f"read {shown(self.text)!r}: {self.why}; {self.hint}"


SHOWN = 40
"""Most characters of an answer repeated in a format problem."""

_PLAIN = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?", re.ASCII)
_SIGN = re.compile(r"([+-]?)\s*(.*)", re.S)
_FRACTION = re.compile(r"([+-]?)\s*(\d+)\s*/\s*(\d+)", re.ASCII)
_E_NOTATION = re.compile(r"(.*?\d\.?)\s*[eE]\s*([+-]?)\s*(\d+)", re.ASCII)
_TIMES_TEN = re.compile(
    r"(?:(.*?)\s*(?:[x×*·⋅]|\\cdot|\\times)\s*)?10\s*(?:\^|\*\*)\s*(\(?)\s*([+-]?)\s*(\d+)\s*(\)?)",
    re.ASCII,
)
_THOUSANDS = re.compile(r"([+-]?)\s*([1-9]\d{0,2})[.,](\d{3})", re.ASCII)
_BODY = re.compile(r"[\d.,\s]+", re.ASCII)
_GROUP = re.compile(r"\d{3}", re.ASCII)
_DASHES = str.maketrans(dict.fromkeys("\u2212\u2010\u2011\u2012\u2013\ufe63\uff0d", "-"))
_SUPERSCRIPT = re.compile(r"[⁺⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_FROM_SUPERSCRIPT = str.maketrans("⁺⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "+-0123456789")
_BRACKETS = {"[": "]", "(": ")", "{": "}"}
_MAX_EXPONENT = 400
"""Larger exponents are not numbers anyone means (and float64 has none of them)."""


def shown(text: str) -> str:
    """An answer's text for a message: at most SHOWN characters of it."""
    return cut(text, SHOWN)


def number(text: str, strict: bool = False, whole: bool = False) -> Written | Unreadable:
    """``text`` as a number (see the module's docstring), or why it is not one. For a
    ``whole`` number (a count), one separator before three digits (23,860 or 23.860) is a
    thousands separator: a count has no decimals to be ambiguous with."""
    if strict:
        return _plain(text.strip()) or Unreadable(
            text.strip(), "not a number in plain form", "the sheet is strict: write 0.75 or 7.5e-1"
        )
    if whole:
        m = _THOUSANDS.fullmatch(unicodedata.normalize("NFKC", text).translate(_DASHES).strip())
        if m:
            return _made(m[1], m[2] + m[3], "", 0, text)
    return _plain(text.strip()) or _lenient(text)


def _plain(s: str) -> Written | Unreadable | None:
    """The plain form float() reads (0.78, -4.2e-3, .5, 5.), or None."""
    m = _PLAIN.fullmatch(s)
    if m is None or not (m[2] or m[3]):
        return None
    exponent = int(m[4] or 0)
    if abs(exponent) > _MAX_EXPONENT:
        return Unreadable(s, "the exponent is out of range", "write a number within float64")
    value = float(s)
    if not math.isfinite(value):
        return Unreadable(s, "too large for a float64", "check the exponent")
    return Written(value, s.lower(), exponent - len(m[3] or ""))


def _made(sign: str, whole: str, decimals: str, exponent: int, text: str) -> Written | Unreadable:
    """The decimal ``sign whole.decimals × 10^exponent``, its place that of its last digit."""
    digits = f"{sign}{whole or '0'}.{decimals}" if decimals else f"{sign}{whole}"
    return _shift(Written(0.0, digits, -len(decimals)), exponent, text)


def _lenient(text: str) -> Written | Unreadable:
    s = _SUPERSCRIPT.sub(lambda m: "^" + m[0].translate(_FROM_SUPERSCRIPT), text)
    s = unicodedata.normalize("NFKC", s).translate(_DASHES).strip()
    if not s:
        return Unreadable(text, "there is no number", "write the number")
    if s.endswith("%"):
        inner = _lenient(s[:-1])
        if isinstance(inner, Unreadable):
            return Unreadable(text, inner.why, inner.hint)
        if inner.place is None:  # 3/4 %: an exact fraction of a hundredth
            exact = Fraction(inner.exact) / 100
            return Written(float(exact), str(exact), None)
        return _shift(inner, -2, text)
    m = _FRACTION.fullmatch(s)
    if m:
        if int(m[3]) == 0:
            return Unreadable(text, "a fraction over 0", "write the number itself")
        exact = Fraction(int(m[2]), int(m[3])) * (-1 if m[1] == "-" else 1)
        return Written(float(exact), str(exact), None)
    m = _TIMES_TEN.fullmatch(s)
    if m and (m[2] == "(") == (m[5] == ")"):
        mantissa = _decimal(m[1], text) if m[1] else Written(1.0, "1e0", 0)
        return _scaled(mantissa, int(m[3] + m[4]), text)
    m = _E_NOTATION.fullmatch(s)
    if m:
        return _scaled(_decimal(m[1], text), int(m[2] + m[3]), text)
    return _decimal(s, text)


def _scaled(mantissa: Written | Unreadable, exponent: int, text: str) -> Written | Unreadable:
    """``mantissa × 10^exponent`` (a decimal mantissa only: not 3/4 × 10^2)."""
    if isinstance(mantissa, Unreadable):
        return mantissa
    return _bad(text) if mantissa.place is None else _shift(mantissa, exponent, text)


def _shift(w: Written, k: int, text: str) -> Written | Unreadable:
    """``w × 10^k``, its place moved with it."""
    mantissa, _, exponent = w.exact.partition("e")
    shifted = int(exponent or 0) + k
    if abs(shifted) > _MAX_EXPONENT:
        return Unreadable(text, "the exponent is out of range", "write a number within float64")
    exact = f"{mantissa}e{shifted}"
    value = float(exact)
    if not math.isfinite(value):
        return Unreadable(text, "too large for a float64", "check the exponent")
    return Written(value, exact, w.place + k)  # type: ignore[operator]


def _decimal(s: str, text: str) -> Written | Unreadable:
    """A decimal with a point or a comma, thousands separators, and a sign."""
    m = _SIGN.fullmatch(s.strip())
    sign, body = (m[1], m[2].strip()) if m else ("", s)
    sign = "-" if sign == "-" else ""
    if not body or not _BODY.fullmatch(body) or not re.search(r"[0-9]", body):
        return _bad(text)
    if any(c.isspace() for c in body):
        return _spaced(sign, body, text)
    points, commas = body.count("."), body.count(",")
    if points and commas:
        decimal_mark = "." if body.rfind(".") > body.rfind(",") else ","
        thousands = "," if decimal_mark == "." else "."
        if body.count(decimal_mark) > 1:
            return _bad(text)
        whole, decimals = body.split(decimal_mark)
        return _grouped(sign, whole.split(thousands), decimals, text)
    mark = "." if points else ","
    parts = body.split(mark) if (points or commas) else [body]
    if len(parts) > 2:  # 1.234.567 or 1,234,567: thousands separators only
        return _grouped(sign, parts, "", text)
    whole, decimals = [*parts, ""][:2]
    if (
        mark == ","
        and len(parts) == 2
        and len(decimals) == 3
        and 1 <= len(whole) <= 3
        and whole.strip("0")
    ):
        return Unreadable(
            text,
            f"this could be {sign}{whole}.{decimals} or {sign}{whole}{decimals}",
            f"write {sign}{whole}.{decimals} or {sign}{whole}{decimals}",
        )
    if not whole and not decimals:
        return _bad(text)
    return _made(sign, whole, decimals, 0, text)


def _grouped(sign: str, groups: list[str], decimals: str, text: str) -> Written | Unreadable:
    """Whole digits in thousands groups (1–3 digits, then 3 each), then decimals."""
    first, rest = groups[0], groups[1:]
    if not (1 <= len(first) <= 3 and all(_GROUP.fullmatch(g) for g in rest)):
        return Unreadable(
            text, "its digit groups are not thousands", "write the number without separators"
        )
    return _made(sign, "".join(groups), decimals, 0, text)


def _spaced(sign: str, body: str, text: str) -> Written | Unreadable:
    """Spaces between digits: thousands groups (1 234, 1 234,5), else two numbers?"""
    groups = body.split()
    last = groups[-1]
    tail = ""
    for mark in (".", ","):
        if mark in last:
            last, _, tail = last.partition(mark)
            if mark in tail or (mark == "," and "." in tail) or (mark == "." and "," in tail):
                return _bad(text)
    if "." in "".join(groups[:-1]) or "," in "".join(groups[:-1]):
        return _bad(text)
    if 1 <= len(groups[0]) <= 3 and all(_GROUP.fullmatch(g) for g in [*groups[1:-1], last]):
        return _made(sign, "".join(groups[:-1]) + last, tail, 0, text)
    return Unreadable(
        text, "spaces inside a number", "write one number, without spaces between its digits"
    )


def _bad(text: str) -> Unreadable:
    return Unreadable(text.strip(), "not a number", "write a number such as 0.75, 3/4 or 75%")


# --- vectors -------------------------------------------------------------------------------


def numbers(value: str | Sequence[str], strict: bool = False) -> list[Written] | Unreadable:
    """A vector: a list of texts (YAML's list), or one text (see the module's docstring)."""
    if isinstance(value, str):
        entries = _entries(value.strip(), strict)
        if isinstance(entries, Unreadable):
            return entries
    else:
        entries = list(value)
    read = [number(entry, strict) for entry in entries]
    bad = [k for k, got in enumerate(read) if isinstance(got, Unreadable)]
    if not bad:
        return read  # type: ignore[return-value]
    first = read[bad[0]]
    assert isinstance(first, Unreadable)
    whole = (value if isinstance(value, str) else "[" + ", ".join(value) + "]").strip()
    if len(entries) == 1:
        return Unreadable(whole, first.why, first.hint)  # what was written, brackets too
    if len(bad) == len(entries):
        return Unreadable(whole, "not numbers", "write the numbers, such as [0.3, 0.2]")
    where = f"entry {bad[0] + 1} of {len(entries)}, {shown(entries[bad[0]].strip())!r}: "
    return Unreadable(whole, where + first.why, first.hint)


def _entries(text: str, strict: bool) -> list[str] | Unreadable:
    """The entries of a vector written as text."""
    body = text
    if body[:1] in _BRACKETS:
        close = _BRACKETS[body[0]]
        inner = body[1:].rstrip("'").rstrip()  # MATLAB's transpose: [0.3 0.2]'
        if not inner.endswith(close):
            return Unreadable(text, f"'{body[0]}' is never closed", f"end it with '{close}'")
        body = inner[:-1].strip()
    elif body[-1:] in _BRACKETS.values():
        return Unreadable(text, f"'{body[-1]}' is never opened", "write the vector in brackets")
    if strict:
        if body == text:
            return Unreadable(text, "not a YAML list", "the sheet is strict: write [0.3, 0.2]")
        return [e.strip() for e in body.split(",")] if body else []
    if not body:
        return []
    if ";" in body or "\n" in body:
        parts = [e.strip() for e in re.split(r"[;\n]", body)]
        while parts and not parts[-1]:
            parts.pop()  # [0.3; 0.2;]
    elif re.search(r",\s", body):
        if re.search(r",\S", body):
            return Unreadable(
                text,
                "commas both with and without a space after them",
                "separate entries with '; ' or ', ', and write decimal points",
            )
        parts = [e.strip() for e in body.split(",")]
    elif re.search(r"\s", body):
        parts = body.split()
    else:
        parts = body.split(",")
    if not parts:  # separators alone: ';'
        return Unreadable(text, "no numbers", "write the numbers, such as [0.3; 0.2]")
    if any(not p for p in parts):
        return Unreadable(text, "an empty entry", "give every entry a number")
    return parts
