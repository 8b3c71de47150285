"""Numbers and vectors as students write them (nncalc.written), and the one tolerance rule
(nncalc.expect): every supported form read back exactly, as properties over generated
numbers; ambiguous and unreadable text a format problem, never a number."""

from __future__ import annotations

import string
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from nncalc.expect import AS_WRITTEN, Tolerance, judge, significant
from nncalc.grading import answers
from nncalc.written import Unreadable, Written, number, numbers

SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")

# A decimal as digits: sign, whole part, decimals. Its exact value and the exponent of its
# last digit are what every form of it must read back as.
decimals = st.tuples(
    st.sampled_from(["", "-"]),
    st.integers(0, 10**7),
    st.text("0123456789", max_size=6),
)


def _value(sign: str, whole: int, digits: str) -> Fraction:
    return Fraction(Decimal(f"{sign}{whole}.{digits or '0'}"))


def _grouped(whole: int, separator: str) -> str:
    """1234567 → 1,234,567 (with the separator)."""
    return f"{whole:,}".replace(",", separator)


def _forms(sign: str, whole: int, digits: str) -> list[str]:
    """Every way of writing the decimal that must read back as it, with its last place."""
    point = f"{sign}{whole}" + (f".{digits}" if digits else "")
    forms = [point, f"  {point} ", point.replace("-", "− ", 1), point.replace("-", "- ")]
    forms.append(point.translate(str.maketrans("0123456789.-", "０１２３４５６７８９．－")))
    comma_ok = not (digits and len(digits) == 3 and 0 < whole < 1000) and whole < 1000
    if digits and comma_ok:
        forms.append(point.replace(".", ","))  # a decimal comma, where it cannot be thousands
    if whole >= 1000:
        tail = f".{digits}" if digits else ""
        if digits or whole >= 10**6:  # 1,000 alone could be 1.000
            forms.append(f"{sign}{_grouped(whole, ',')}{tail}")
        forms.append(f"{sign}{_grouped(whole, ' ')}{tail.replace('.', ',')}")
        if digits:
            forms.append(f"{sign}{_grouped(whole, '.')},{digits}")
    return forms


@settings(max_examples=200, deadline=None)
@given(decimals)
def test_every_form_of_a_decimal_reads_back_exactly(parts):
    digits = parts[2]
    exact = _value(*parts)
    for form in _forms(*parts):
        got = number(form)
        assert isinstance(got, Written), (form, got)
        assert got.fraction() == exact, form
        assert got.place == -len(digits), form  # held to the last digit written
        assert got.value == float(exact)


@settings(max_examples=100, deadline=None)
@given(decimals, st.integers(-30, 30))
def test_scientific_notation_and_percentages_read_back_exactly(parts, k):
    sign, whole, digits = parts
    mantissa = f"{sign}{whole}" + (f".{digits}" if digits else "")
    exact = _value(*parts) * Fraction(10) ** k
    written = [
        f"{mantissa}e{k}",
        f"{mantissa}E{k:+d}",
        f"{mantissa} e {k}",
        f"{mantissa}·10^{k}",
        f"{mantissa} × 10^({k})",
        f"{mantissa}*10**{k}",
        f"{mantissa} x 10{str(k).translate(SUPERSCRIPT)}",
    ]
    for form in written:
        got = number(form)
        assert isinstance(got, Written), (form, got)
        assert got.fraction() == exact and got.place == k - len(digits), form
    percent = number(f"{mantissa}%")
    assert percent.fraction() == _value(*parts) / 100 and percent.place == -2 - len(digits)


@settings(max_examples=100, deadline=None)
@given(st.integers(-(10**6), 10**6), st.integers(1, 10**6))
def test_fractions_read_back_exactly_and_are_exact(p, q):
    for form in (f"{p}/{q}", f"{p} / {q}"):
        got = number(form)
        assert got.fraction() == Fraction(p, q) and got.place is None


@settings(max_examples=150, deadline=None)
@given(st.lists(decimals, min_size=1, max_size=8), st.sampled_from(range(6)))
def test_every_form_of_a_vector_reads_back_exactly(entries, style):
    points = [f"{s}{w}" + (f".{d}" if d else "") for s, w, d in entries]
    exact = [_value(*e) for e in entries]
    if style == 4 and any(len(d) == 3 and 0 < w < 1000 for _, w, d in entries):
        style = 0  # 1,234 could be thousands: ambiguous, in a vector too
    text = [
        "[" + "; ".join(points) + "]",  # MATLAB's column
        "[" + " ".join(points) + "]",  # MATLAB's row
        "(" + ", ".join(points) + ")",
        ", ".join(points),
        "[" + "; ".join(p.replace(".", ",") for p in points) + ";]'",  # decimal commas
        "\n".join(points),
    ][style]
    got = numbers(text)
    assert not isinstance(got, Unreadable), (text, got)
    assert [w.fraction() for w in got] == exact
    assert [w.fraction() for w in numbers(points)] == exact  # a YAML list of the texts


@pytest.mark.parametrize("whole", [1, 12, 123, 999])
def test_a_comma_that_could_be_thousands_is_a_format_problem(whole):
    for sign in ("", "-"):
        got = number(f"{sign}{whole},234")
        assert isinstance(got, Unreadable)
        assert f"{sign}{whole}.234 or {sign}{whole}234" in got.why


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("0,5, 0,3", "commas both with and without a space"),
        ("[0.3, 0.2", "'[' is never closed"),
        ("0.3, 0.2]", "']' is never opened"),
        ("[0.3;; 0.2]", "an empty entry"),
        ("[0.3; x]", "entry 2 of 2, 'x': not a number"),
    ],
)
def test_vectors_that_cannot_be_read(text, why):
    got = numbers(text)
    assert isinstance(got, Unreadable) and why in got.why


@settings(max_examples=300, deadline=None)
@given(st.text(string.printable.translate(str.maketrans("", "", string.digits)) + "½⅓∞é中"))
def test_text_without_digits_is_never_a_number(text):
    got = number(text)
    assert isinstance(got, Unreadable)
    assert str(got).startswith("read ")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_reads_as_a_finite_number_or_a_problem(text):
    got = number(text)
    if isinstance(got, Written):
        assert got.fraction() == Fraction(got.exact)
        assert abs(got.value) < float("inf")
    assert isinstance(numbers(text), list | Unreadable)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.sampled_from(["count", "real", "exact", "class"]))
@example(";", "exact")  # separators alone
def test_junk_answers_are_format_problems_never_points(text, how):
    """Text with no digits earns nothing on any kind of question, and says why (blank
    text, or an empty list, is no answer)."""
    junk = "".join(c for c in text if not c.isdigit()) or "?"
    computed = {"count": 60, "real": 0.75, "exact": [0, 1], "class": 2}[how]
    labels = ("cat", "dog") if how == "class" else None
    judged = answers.judged(answers.Asked(how, computed, labels), junk)
    if how == "class" and junk.strip().casefold() in ("cat", "dog"):
        return  # a class's name is not junk
    blank = junk.strip() in ("", "[]", "()")
    assert judged.credit == 0 and (judged.problem or (blank and judged.reason == "no answer"))


# --- the rule: right as written ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "ok"),
    [
        ("0.78", 0.7831, True),  # 0.775 … 0.785
        ("0.79", 0.7831, False),
        ("0.783", 0.7831, True),
        ("0.7832", 0.7831, False),  # more digits, held to them
        ("78.31%", 0.7831, True),
        ("1", 0.78, False),  # right when rounded to units, but one significant figure
        ("0.8", 0.7831, False),
        ("0.10", 0.0998, True),  # two significant figures of 0.0998, rounded up a decade
        ("-0.3", -0.3, True),  # the value itself, however few its figures
        ("0.3", 0.1 + 0.2, True),  # …to the rounding of the value computed
        ("3/4", 0.75, True),
        ("1/3", 0.333, False),  # a fraction is exact
        ("0", 0.0, True),
        ("0.00", 4.5e-5, False),
        ("0.0007", 0.000675, True),  # one figure, but four decimals
        ("0.000", 4.5e-5, True),  # right to three decimals
        ("0.001", 4.5e-5, False),
    ],
)
def test_right_as_written(text, value, ok):
    assert judge(number(text), value).ok is ok


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-6, 1e6), st.integers(2, 10))
def test_the_value_rounded_at_any_place_is_right_and_one_unit_off_is_not(value, figures):
    """Independent of the rule's code: Decimal's own rounding to `figures` figures."""
    text = f"{Decimal(value):.{figures}g}" if "e" not in f"{value:.{figures}g}" else None
    if text is None or "e" in text.lower():
        return
    w = number(text)
    if (significant(w) < 2 and w.place > -3) or w.place < -10:
        return  # too coarse to be an answer; finer than the 1e-12 the value itself is sure to
    assert judge(w, value).ok, (text, value)
    unit = Decimal(1).scaleb(w.place)
    further = Decimal(text) + (unit if Decimal(text) >= Decimal(value) else -unit)
    assert not judge(number(str(further)), value).ok  # 1½ units away at least


def test_tolerances_as_prairielearn_has_them():
    w = number("0.7834")
    assert judge(w, 0.7831, Tolerance(atol=5e-4)).ok
    assert not judge(w, 0.7831, Tolerance(atol=2e-4)).ok
    assert judge(w, 0.7831, Tolerance(rtol=1e-3)).ok  # 0.1 % of 0.7831 is 7.8e-4
    assert judge(number("0.783"), 0.7831, Tolerance(sigfigs=3)).ok
    assert not judge(number("0.78"), 0.7831, Tolerance(sigfigs=3)).ok  # as written: it is
    assert judge(number("0.78"), 0.7831, AS_WRITTEN).ok
    assert judge(number("0.8"), 0.7831, Tolerance(decimals=1)).ok
    # a bound met exactly, not in float64's approximation of it
    assert judge(number("0.3"), 0.25, Tolerance(atol=0.05)).ok
    assert not judge(number("0.30000000001"), 0.25, Tolerance(atol=0.05)).ok


def test_forward_expect_and_grading_share_the_rule(run, write, tmp_path):
    """The issue's example: what `forward --expect 0.78` accepts, grading accepts."""
    from conftest import SAMPLES

    net = SAMPLES / "lecture-3-3-1.yaml"  # a^(2) = σ(1), σ(2), σ(3)
    question = f"{{id: q, activation: {{network: {net}, x: [1, 2, 3], layer: 2, unit: 1}}}}"
    sheet = write("sheet.yaml", f"questions: [{question}]\n")
    for answer, ok in (("0.73", True), ("0.7311", True), ("0.74", False), ("1", False)):
        args = ("-x", "1,2,3", "--layer", "2", "--unit", "1", "--expect", answer)
        expect = run("forward", net, *args)
        check = run("check", sheet, "--answers", write("a.yaml", f"q: {answer}\n"))
        assert (expect.code == 0) is ok and (check.code == 0) is ok, answer
