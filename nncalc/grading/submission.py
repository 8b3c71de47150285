"""A student's answer file, read the way students write them (docs/grading.md, "How
answers are read").

The file is text in UTF-8 (with or without a byte-order mark), or UTF-16 or UTF-32 with
one; any line endings. It is YAML (``q1: 0.89``), or else lines ``q1 = 0.89``,
``q1: 0.89`` or ``q1 0.89``. Every value is kept as the text written, so ``student:
00123`` stays 00123 and ``0,5`` reaches the answer reader as written. Question ids match
the sheet's after trimming, Unicode NFKC, case-folding and dropping spaces (``Q 1`` is
q1); ``student`` names whose answers they are. A strict sheet reads YAML only, and ids as
written.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nncalc.errors import NNCalcError, cut
from nncalc.files.checker import kind
from nncalc.files.reader import not_regular, read_bytes
from nncalc.files.yamlfile import RawMap, YAMLSyntaxError, decode, max_bytes, parse_raw

MAX_ANSWER_BYTES = 1024 * 1024
"""Largest student answer file read, in bytes: answers are short."""
STUDENT = "student"
"""The key that names whose answers a file holds."""

_LINE = re.compile(
    r"\s*(?P<id>[^\W\d]\w*(?:[ \t]+\d+[a-z]?)?)\s*(?:[:=]|(?=\s))\s*(?P<value>.*?)\s*",
    re.UNICODE,
)
_COMMENT = re.compile(r"\s+#.*$")


@dataclass(frozen=True)
class Submission:
    """What a file answers: the sheet's question ids → answers as written, the questions
    answered twice (id → the problem), ids not on the sheet, its ``student:``, and the
    SHA-256 of its bytes."""

    path: str
    answers: dict[str, Any]
    twice: dict[str, str] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()
    student: str | None = None
    digest: str = ""


def question_key(text: str) -> str:
    """A question id as matched: NFKC, case-folded, without spaces ('Q 1' → 'q1')."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def read(path: str | os.PathLike[str], ids: Sequence[str], strict: bool = False) -> Submission:
    """The file at ``path``, its answers matched to the sheet's question ``ids``. Raises
    NNCalcError when it cannot be read at all (not a regular file, too large, not text,
    neither YAML nor answer lines)."""
    source = str(path)
    check_regular(source)
    data = read_bytes(path, MAX_ANSWER_BYTES, "answers are a few lines")
    entries = _entries(decode(data, source), source, strict)
    return matched(source, entries, ids, strict, hashlib.sha256(data).hexdigest())


def check_regular(source: str) -> None:
    """Refuse a submission that is not a regular file, without opening it (lstat): not a
    symbolic link (to the sheet, say), a FIFO or a device. Its folders may be links."""
    try:
        mode = os.lstat(source).st_mode
    except OSError:
        return  # missing or out of reach: reading it says which
    if not stat.S_ISREG(mode):
        what = "a symbolic link" if stat.S_ISLNK(mode) else not_regular(mode)
        raise NNCalcError.at(what, source, hint="submissions must be regular files")


def _entries(text: str, source: str, strict: bool) -> list[tuple[str, Any, int]]:
    """(key, value, line) of each answer: YAML's mapping, or else the answer lines."""
    budget = min(MAX_ANSWER_BYTES, max_bytes())
    try:
        doc = parse_raw(text, source, budget)
    except YAMLSyntaxError as e:  # not YAML: answer lines, perhaps (a limit broken is final)
        doc, error = None, e
    else:
        error = None
    if isinstance(doc, RawMap):
        return list(doc)
    lines = None if strict else _lines(text)
    if lines is not None:
        return lines
    if error is not None:
        raise error
    raise NNCalcError.at(
        f"expected a mapping of question ids to answers, found {kind(doc)}",
        source,
        1,
        hint="write q1: 60, one answer a line",
    )


def _lines(text: str) -> list[tuple[str, Any, int]] | None:
    """Lines such as ``q1 = 0.89``, ``q1: 0.89`` or ``q1 0.89`` (comments and blank lines
    skipped), or None if a line is not one."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = _COMMENT.sub("", line.strip()) if not line.lstrip().startswith("#") else ""
        if not line:
            continue
        m = _LINE.fullmatch(line)
        if m is None:
            return None
        value = m["value"]
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        found.append((m["id"], value or None, number))
    return found or None


def matched(
    source: str,
    entries: list[tuple[str, Any, int]],
    ids: Sequence[str],
    strict: bool = False,
    digest: str = "",
) -> Submission:
    """(key, value, line) entries matched to the sheet's question ``ids``: repeats and
    unknown ids noted, ``student`` taken as the file's student."""
    key = (lambda s: s.strip()) if strict else question_key
    sheet = {key(i): i for i in ids}
    answers: dict[str, Any] = {}
    lines: dict[str, list[int]] = {}
    unknown = []
    student = None
    for name, value, line in entries:
        k = key(name)
        if k == STUDENT and STUDENT not in sheet:
            student = _student(value, source, line)
        elif k in sheet:
            qid = sheet[k]
            lines.setdefault(qid, []).append(line)
            answers.setdefault(qid, value)
        else:
            unknown.append(cut(name))
    twice = {
        qid: f"answered {len(at)} times (lines {', '.join(map(str, at))})"
        for qid, at in lines.items()
        if len(at) > 1
    }
    return Submission(source, answers, twice, tuple(unknown), student, digest)


def _student(value: Any, source: str, line: int) -> str | None:
    """The ``student:`` of a file, as text; a list or mapping there is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise NNCalcError.at(
            f"'student:' should be an id, found {kind(value)}",
            source,
            line,
            hint="student: s2301001",
        )
    return value.strip()
