"""The numbers of one example as printed: digits of the exact value, or none.

Every digit shown is a digit of the exact value of the network's mathematics for the
stored float64 numbers, correctly rounded. float64's values are shown when their error
bounds (Trace.bounds) leave every printed digit certain; otherwise the example is
recomputed exactly (nncalc.exact, certified balls) and the exact digits are shown, with a
footnote where float64 computed something else ("float64 computes −128 here: cancellation
in z_2^(2)"). One rule for saturation and underflow, whatever g: a value that rounds to ±1
but is not ±1 shows as 1 − 3.7e-348, one that float64 stores as 0 but is not 0 as
3.7e-348, both with two digits and a footnote.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from nncalc import bounds, small
from nncalc.render.numbers import fmt

if TYPE_CHECKING:
    from nncalc.network import Trace

GAP_DIGITS = 2
"""Significant digits of a gap 1 − |v| and of a value below float64's smallest (at 16
digits and more, as --json --exact's 17, they get as many as the rest)."""


def _short(p: int) -> int:
    return GAP_DIGITS if p < 16 else p


EXPONENT_DIGITS = 20
"""Beyond this many digits in its decimal exponent, a tiny value is written e^(ln v)."""
_SMALLEST_NORMAL = 2.0**-1022
_CANCELLED = 2.0**20  # a sum this many times smaller than its terms lost 20 bits


class Unit:
    """One unit of one layer as shown: z, a and (SwiGLU) the gate u, each a text, with a
    footnote (or None) saying why a text is not what float64's value would print.

    (A plain class: a dataclass would cost the tables of small networks a millisecond.)"""

    __slots__ = ("a", "a_note", "u", "u_note", "z", "z_note")

    def __init__(
        self,
        z: str,
        z_note: str | None,
        a: str,
        a_note: str | None,
        u: str | None = None,
        u_note: str | None = None,
    ) -> None:
        self.z, self.z_note, self.a, self.a_note = z, z_note, a, a_note
        self.u, self.u_note = u, u_note


def example(trace: Trace, k: int, precision: int) -> dict[int, list[Unit]]:
    """Every layer j = 2 … L of example k as shown at ``precision`` significant digits."""
    done = trace.shown  # a dict the trace keeps: each example is worked out once
    if (k, precision) not in done:
        done[k, precision] = _from_floats(trace, k, precision) or _from_balls(trace, k, precision)
    return done[k, precision]


FLOAT64 = "float64 computes "
"""How a footnote starts where float64's value prints otherwise than the exact one."""


def differs(note: str | None) -> bool:
    """Whether a footnote says float64 computed something else (worked solutions and
    --explain print those; the forms 1 − gap and 3.7e-348 speak for themselves there)."""
    return bool(note) and note.startswith(FLOAT64)


# --- from float64's values and their bounds -----------------------------------------


def _from_floats(trace: Trace, k: int, p: int) -> dict[int, list[Unit]] | None:
    """The example from float64's values, or None if a printed digit is uncertain."""
    out = {}
    for j, (dz, moved, da, du) in trace.bounds().items():
        layer = trace.network.layers[j - 2]
        z, a = _floats(trace.z[j][k]), _floats(trace.a[j][k])
        gaps = small.gap(layer.g_name, z) if layer.g_name in small.GAP else [None] * len(z)
        logs = small.log(layer.g_name, z) if layer.g_name in small.LOG else [None] * len(z)
        # what δz does to ln a: (its own δz for σ and SiLU,) 2·max δz for softmax
        widest = 2 * max(float(v) for v in dz[k]) if small.over_layer(layer.g_name) else None
        units = []
        for i in range(len(z)):
            z_text = _plain(z[i], float(dz[k][i]), p)
            if z_text is None and _exact_sum(trace, k, j, i):
                z_text = fmt(z[i], p)
            log_dz = float(dz[k][i]) if widest is None else widest
            a_text = _a_text(layer.g_name, z[i], log_dz, a[i], float(moved[k][i]),
                             float(da[k][i]), gaps[i], logs[i], p)  # fmt: skip
            u_text = None if du is None else _plain(float(trace.gate[j][k][i]), float(du[k][i]), p)
            if z_text is None or a_text is None or (du is not None and u_text is None):
                return None
            units.append(Unit(z_text, None, *a_text, u_text))
        out[j] = units
    return out


def _exact_sum(trace: Trace, k: int, j: int, i: int) -> bool:
    """Whether z_i^(j) of example k is exactly its float64 value: a^(j−1) exact (the input,
    or bounds of 0) and the sum exact in rationals (the lecture's z = 1, 2, 3)."""
    if j > 2 and any(float(v) for v in trace.bounds()[j - 1][2][k]):
        return False
    from fractions import Fraction

    row = _rows(trace.network.layers[j - 2].theta)[i]
    a = _floats(trace.a[j - 1][k])
    exact = Fraction(row[0]) + sum(
        Fraction(w) * Fraction(v) for w, v in zip(row[1:], a, strict=True)
    )
    return exact == Fraction(float(trace.z[j][k][i]))


def _floats(row: Any) -> list[float]:
    return [float(v) for v in row]


def _plain(v: float, b: float, p: int) -> str | None:
    """v's text at p digits if every real within b of v prints the same, and it is not a
    value the saturation or underflow rule writes otherwise; None if uncertain."""
    if b == 0:
        return fmt(v, p)
    if v == 0 or abs(v) < _SMALLEST_NORMAL:
        return None
    lo, hi = math.nextafter(v - b, -math.inf), math.nextafter(v + b, math.inf)
    text = fmt(lo, p)
    if lo <= 0 <= hi or text != fmt(hi, p) or text in ("1", "−1"):
        return None
    return text


def _a_text(
    name: str,
    z: float,
    dz: float,  # what moves ln a, for the values stored as 0
    a: float,
    moved: float,
    da: float,
    gap: float | None,
    log: float | None,
    p: int,
) -> tuple[str, str | None] | None:
    """a's text and footnote from float64, or None if a printed digit is uncertain."""
    text = fmt(a, p)
    if da == 0 and (a == 0 or abs(a) == 1 or text not in ("1", "−1")):
        return text, None
    if text in ("1", "−1"):
        g, b = (gap, moved + bounds.own(name, gap)) if gap is not None else (1 - abs(a), da)
        shown = _plain(g, b, _short(p)) if g > 0 else None
        return None if shown is None else _one(a, shown, p, abs(a) == 1)
    if a == 0 and log is not None and math.isfinite(log) and _short(p) == GAP_DIGITS:
        b = bounds.log_spread(name, z, dz) + 16 * bounds.U * abs(log)
        lo, hi = _from_log(log - b), _from_log(log + b)
        if lo is None or lo != hi:
            return None
        return ("−" if math.copysign(1, a) < 0 else "") + lo, _BELOW
    text = _plain(a, da, p)
    return None if text is None else (text, None)


def _from_log(log: float) -> str | None:
    """e^log to GAP_DIGITS digits from its logarithm; None where float64's log10 of it is
    too coarse to tell (|log| beyond 1e12)."""
    if abs(log) > 1e12:
        return None
    decimal = log / math.log(10)
    exponent = math.floor(decimal)
    mantissa = 10 ** (decimal - exponent)
    # the mantissa's own rounding: a text within 1e-9 of a change is not trusted
    texts = {f"{mantissa * (1 + s * 1e-9):.{GAP_DIGITS - 1}e}" for s in (-1, 1)}
    if len(texts) > 1:
        return None
    digits, _, shift = texts.pop().partition("e")
    return _scientific(digits.replace(".", "").rstrip("0") or "0", exponent + int(shift))


_BELOW = "below float64's smallest, 4.9e-324, so stored as 0"


def _one(a: float, gap: str, p: int, stored: bool) -> tuple[str, str]:
    text = f"1 − {gap}" if a > 0 else f"−1 + {gap}"
    sign = "1" if a > 0 else "−1"
    return text, f"rounds to {sign} at {p} digits" + (" and in float64" if stored else "")


# --- from the exact values ------------------------------------------------------------


def _from_balls(trace: Trace, k: int, p: int) -> dict[int, list[Unit]]:
    """The example from its exact values (nncalc.exact), with footnotes where float64
    differs."""
    from nncalc import exact

    network = trace.network
    specs = [
        exact.LayerSpec(_rows(layer.theta), layer.g_name, layer.params,
                        None if layer.gate is None else _rows(layer.gate), layer.swish_beta)
        for layer in network.layers
    ]  # fmt: skip
    texts: dict[int, list[tuple]] = {}

    def settled(balls: dict) -> bool:
        texts.clear()
        for j, values in balls.items():
            us = values.u or [None] * len(values.z)
            texts[j] = [
                (_ball_text(z, None, p), _ball_text(a, gap, p), u and _ball_text(u, None, p))
                for z, a, gap, u in zip(values.z, values.a, values.gap, us, strict=True)
            ]
        gated = {j for j, values in balls.items() if values.u is not None}
        return all(
            z is not None and a is not None and (j not in gated or u is not None)
            for j, row in texts.items()
            for z, a, u in row
        )

    balls = exact.example(specs, _floats(trace.a[1][k]), settled)
    return {j: _units(trace, k, j, row, balls[j], balls, p) for j, row in texts.items()}


def _rows(m: Any) -> list[list[float]]:
    return m.tolist() if hasattr(m, "tolist") else m


def _units(
    trace: Trace, k: int, j: int, row: list[tuple], layer: Any, balls: dict, p: int
) -> list[Unit]:
    units = []
    for i, (z, a, u) in enumerate(row, start=1):
        z_text, z_note = z or _unsettled(layer.z[i - 1], p)
        a_text, a_note = a or _unsettled(layer.a[i - 1], p)
        if layer.u is not None:
            u = u or _unsettled(layer.u[i - 1], p)
        z_note = z_note or _differs(trace, k, j, i, float(trace.z[j][k][i - 1]), z_text, balls, p)
        if z_note:
            z_note = f"z_{i}^({j}) = {z_text}: {z_note}"
        a_note = a_note or _differs(trace, k, j, i, float(trace.a[j][k][i - 1]), a_text, balls, p)
        u_text, u_note = (None, None) if u is None else u
        if u_text is not None:
            u_note = _differs(trace, k, j, i, float(trace.gate[j][k][i - 1]), u_text, balls, p)
        units.append(Unit(z_text, z_note, a_text, a_note, u_text, u_note))
    return units


def _differs(
    trace: Trace, k: int, j: int, i: int, v: float, text: str, balls: dict, p: int
) -> str | None:
    """'float64 computes X here: cause' where float64's value prints otherwise."""
    computed = fmt(v, p)
    if computed == text:
        return None
    return f"{FLOAT64}{computed} here" + _cause(trace, k, j, i, v, balls)


def _cause(trace: Trace, k: int, j: int, i: int, v: float, balls: dict) -> str:
    """Where float64 lost the digits: the first z (up to layer j) whose sum cancelled, or
    a subnormal value."""
    for jj in range(2, j + 1):
        layer = trace.network.layers[jj - 2]
        a = [1.0, *_floats(trace.a[jj - 1][k])]
        for ii, (row, ball) in enumerate(zip(_rows(layer.theta), balls[jj].z, strict=True), 1):
            if jj == j and ii > i:
                break
            size = sum(abs(w * x) for w, x in zip(row, a, strict=True))
            exact = abs(float(ball.mid()))
            if size > 0 and (exact == 0 or size / exact >= _CANCELLED):
                return f": cancellation in z_{ii}^({jj})"
    return ": subnormal in float64, with fewer digits" if 0 < abs(v) < _SMALLEST_NORMAL else ""


def _unsettled(x: Any, p: int) -> tuple[str, str]:
    """What is certain of a value not settled at exact.MAX_BITS: fewer digits, or 0."""
    if not x.contains(0):
        for q in range(p - 1, 0, -1):
            text = _decimal(x, q)
            if text is not None:
                return text, f"only {q} digits are certain"
    bound = _decimal(abs(x).upper(), 1)
    return "0", f"within {bound} of 0: nncalc cannot tell it from 0"


def _ball_text(x: Any, gap: Any, p: int) -> tuple[str, str | None] | None:
    """The text and footnote of an exact value from its ball (and its gap 1 − |x|), or
    None while the ball is too wide to tell a printed digit."""
    if x.is_zero():
        return "0", None
    if x.contains(0):
        return None
    size = abs(x)
    if _binade(size.upper()) < -1075:  # |x| < 2^−1075: float64 stores 0
        text = _tiny(x, _short(p))
        return None if text is None else (text, _BELOW)
    if _binade(size.lower()) < -1075:
        return None
    text = _decimal(x, p)
    if text not in ("1", "−1"):
        return None if text is None else (text, None)
    if gap is None:
        gap = 1 - size
    if gap.is_zero():
        return text, None
    if gap.contains(0):
        return None
    shown = _tiny(gap, _short(p))
    stored = abs(float(x.mid())) == 1
    return None if shown is None else _one(1 if x > 0 else -1, shown, p, stored)


def _tiny(x: Any, digits: int) -> str | None:
    """x to ``digits`` digits; where its decimal exponent itself has more than
    EXPONENT_DIGITS digits (σ(−1e308) is 9.5e−(309 digits)), e^ of ln x to 3 digits."""
    text = _decimal(x, digits)
    if text is None or len(text.rpartition("e")[2]) <= EXPONENT_DIGITS + 1:
        return text
    sign = "−" if x < 0 else ""
    log = _decimal(abs(x).log(), 3)
    return None if log is None else f"{sign}e^{log}"


def _binade(x: Any) -> int:
    """e with 2^e ≤ x < 2^(e+1), for an exact positive ball x."""
    man, exp = x.man_exp()
    return int(exp) + int(man).bit_length() - 1


def _decimal(x: Any, p: int) -> str | None:
    """x correctly rounded to p significant digits, as fmt writes it, if every point of
    the ball rounds alike; None otherwise."""
    if x.is_exact():
        man, exp = x.man_exp()
        if abs(int(exp)) < 10_000:
            return _round_exact(int(man), int(exp), p)
    mid, rad, exp = (int(v) for v in x.mid_rad_10exp(p + 6))
    lo, hi = _round_decimal(mid - rad, int(exp), p), _round_decimal(mid + rad, int(exp), p)
    return lo if lo == hi and lo is not None else None


def _round_exact(man: int, exp: int, p: int) -> str:
    """man·2^exp, exactly, rounded to p digits."""
    if exp >= 0:
        return _round_decimal(man << exp, 0, p) or "0"
    return _round_decimal(man * 5**-exp, exp, p) or "0"


def _round_decimal(n: int, exp: int, p: int) -> str | None:
    """n·10^exp rounded half-even to p significant digits, as fmt writes it."""
    if n == 0:
        return None
    negative, n = n < 0, abs(n)
    shift = len(str(n)) - p
    if shift > 0:
        q, r = divmod(n, 10**shift)
        half = 5 * 10 ** (shift - 1)
        if r > half or (r == half and q % 2):
            q += 1
        n, exp = q, exp + shift
        if len(str(n)) > p:
            n, exp = n // 10, exp + 1
    digits = str(n)
    text = _g(digits, exp + len(digits) - 1, p)
    return ("-" + text).replace("-", "−") if negative else text


def _g(digits: str, e: int, p: int) -> str:
    """Python's format(x, '.pg') from x's significant digits and decimal exponent e."""
    digits = digits.rstrip("0") or "0"
    if -4 <= e < p:
        if e >= 0:
            whole, frac = digits[: e + 1].ljust(e + 1, "0"), digits[e + 1 :]
        else:
            whole, frac = "0", "0" * (-e - 1) + digits
        return whole + ("." + frac if frac else "")
    return _scientific(digits, e)


def _scientific(digits: str, e: int) -> str:
    """d.ddde±XX, as Python writes exponents (at least two digits)."""
    tail = digits[1:].rstrip("0")
    return f"{digits[0]}{'.' + tail if tail else ''}e{'-' if e < 0 else '+'}{abs(e):02d}"
