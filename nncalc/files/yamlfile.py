"""Safe YAML reading that remembers where every value came from.

Only the plain YAML types are accepted (mappings, lists, strings, numbers, booleans,
null): any other tag, ``!!python/...`` included, is an error and never code. Duplicate
keys are errors rather than silently keeping the last one, aliases are bounded so an
alias bomb cannot eat memory, and files are capped in size.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from nncalc.errors import NNCalcError, excerpt
from nncalc.files.reader import max_bytes, read_bytes

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_VALUES = 10_000_000
"""Most values a YAML document may hold once its aliases are expanded."""

MAX_NODES = 500_000
"""Most values a document may write out, aliases and bulk number lists counted as one: each
costs about 700 bytes and 10 µs to read with its position, so this bounds memory (about
350 MB) and time whatever the file."""

_LARGE = "store large matrices in .npy files, or raise NNCALC_MAX_BYTES"
_FLOAT_12 = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_TAG = "tag:yaml.org,2002:"
_constructor = SafeConstructor()


@dataclass(frozen=True)
class Pos:
    """A 1-based line and column in a file."""

    source: str
    line: int
    column: int

    def error(self, message: str, hint: str | None = None) -> NNCalcError:
        return NNCalcError.at(message, self.source, self.line, None, hint)


class YAMLSyntaxError(NNCalcError):
    """Text that is not YAML (as opposed to YAML that breaks a limit or has a tag)."""


class YDict(dict):
    """A mapping read from YAML, with the position of itself, its keys and its values."""

    pos: Pos
    key_pos: dict[str, Pos]
    value_pos: dict[str, Pos]


class YList(list):
    """A list read from YAML, with the position of itself and of each item."""

    pos: Pos
    item_pos: list[Pos]


def read_text(path: str | os.PathLike[str], limit: int | None = None) -> str:
    """Read a text file of at most ``limit`` bytes (default: max_bytes()), with a clear
    error for every way that can fail (see decode for the encodings read)."""
    hint = "it should be a few lines" if limit is not None else _LARGE
    return decode(read_bytes(path, limit, hint), str(path))


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16's, which it starts with
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(data: bytes, source: str, nul: bool = False) -> str:
    """Text as editors save it: UTF-8 with or without a byte-order mark, or UTF-16 or
    UTF-32 with one (Windows' Notepad); any line endings. Anything else is refused, and a
    NUL (a binary file, or UTF-16 without its mark) unless ``nul``."""
    encoding, bom = next(((e, b) for b, e in _BOMS if data.startswith(b)), ("utf-8", b""))
    if not bom and not nul and b"\0" in data:
        raise NNCalcError.at("binary file, expected YAML text", source)
    try:
        text = data[len(bom) :].decode(encoding)
    except UnicodeDecodeError as e:
        line = data[: e.start + len(bom)].count(b"\n") + 1
        what = f"not {encoding.upper()} text" if bom else "not UTF-8 text"
        raise NNCalcError.at(
            f"{what} (byte 0x{data[e.start + len(bom)]:02x})",
            source,
            line,
            hint="save it as UTF-8",
        ) from None
    if "\0" in text and not nul:
        raise NNCalcError.at("binary file, expected YAML text", source)
    return text


def load_file(
    path: str | os.PathLike[str], limit: int | None = None, bulk: Mapping[str, int] | None = None
) -> Any:
    """Read and parse a YAML file (of at most ``limit`` bytes) into YDict / YList / values;
    see parse for ``bulk``."""
    budget = max_bytes() if limit is None else min(limit, max_bytes())
    return parse(read_text(path, limit), str(path), bulk, budget)


def parse(
    text: str,
    source: str = "<string>",
    bulk: Mapping[str, int] | None = None,
    budget: int | None = None,
) -> Any:
    """Parse YAML text into YDict / YList / plain values with positions.

    ``bulk`` names the keys whose long lists of plain numbers may be read in bulk into
    files.bulk.Numbers: 2 for a matrix (the list, or each of its rows), 1 for a vector.
    The document may expand through its aliases to at most ``budget`` characters
    (default: max_bytes()), strings counting by their length.
    """
    budget = max_bytes() if budget is None else budget
    if bulk:
        from nncalc.files import bulk as bulk_lists  # NumPy, only for the files that need it

        placed, blocks = bulk_lists.find(text)
        try:
            node = _compose(placed, source) if blocks else None
        except NNCalcError:  # the general path says what is wrong, where
            node = None
        del placed
        if node is not None:
            try:
                return _Converter(source, budget, blocks, bulk).run(node)
            except _NotInBulkError:
                pass
    return _Converter(source, budget).run(_compose(text, source))


def _compose(text: str, source: str, loader: Any = _Loader) -> yaml.Node:
    """The node graph of the text's one document (of at most MAX_NODES values)."""
    try:
        if len(text) > 2 * MAX_NODES:  # a value takes two characters at least: ``1,``
            _count_nodes(text, source)
        node = yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as e:
        raise _yaml_error(e, text, source) from None
    except yaml.reader.ReaderError as e:
        line = text[: e.position].count("\n") + 1
        what = f"character #x{e.character:04x} is not allowed: {e.reason}"
        raise YAMLSyntaxError.at(f"invalid YAML: {what}", source, line) from None
    except yaml.YAMLError as e:
        raise YAMLSyntaxError.at(f"invalid YAML: {e}", source) from None
    except RecursionError:
        raise NNCalcError.at("invalid YAML: nested too deeply", source) from None
    if node is None:
        raise NNCalcError.at("file is empty", source)
    return node


def _count_nodes(text: str, source: str) -> None:
    """Refuse a document of more than MAX_NODES values, counted from the parser's events
    (which are not kept) before any node is built."""
    values = 0
    for event in yaml.parse(text, Loader=_Loader):
        values += isinstance(event, _VALUE_EVENTS)
        if values > MAX_NODES:
            line = event.start_mark.line + 1
            raise NNCalcError.at(
                f"the document writes more than {MAX_NODES:,} values",
                source,
                line,
                hint="long lists of plain numbers do not count: check them for entries that "
                "are not numbers, or store large matrices in .npy files",
            )


_VALUE_EVENTS = (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)


def _yaml_error(e: yaml.MarkedYAMLError, text: str, source: str) -> NNCalcError:
    """PyYAML's complaint as one line, with a hint for the usual causes."""
    mark = e.problem_mark or e.context_mark
    what = e.problem or e.context or "syntax error"
    if what.startswith("but ") and e.context:
        what = f"{e.context} {what}"  # "expected a single document … but found another"
    line = mark.line + 1 if mark else None
    lines = text.splitlines()
    tabbed = line is not None and line <= len(lines) and "\t" in lines[line - 1]
    hint = "YAML indents with spaces, not tabs" if tabbed else None
    return YAMLSyntaxError.at(f"invalid YAML: {what}", source, line, hint=hint)


class _NotInBulkError(Exception):
    """A list read in bulk turned up where only the general path reads it right."""


class _Converter:
    """Turns a composed node graph into values, once per node, counting expansions."""

    def __init__(
        self,
        source: str,
        budget: int,
        blocks: dict[tuple[int, int], Any] | None = None,
        bulk: Mapping[str, int] | None = None,
    ) -> None:
        self.source = source
        self.budget = budget
        self.blocks = blocks or {}
        self.bulk = bulk or {}
        self.found: set[tuple[int, int]] = set()
        self.done: dict[int, Any] = {}
        self.sizes: dict[int, tuple[int, int]] = {}

    def pos(self, node: yaml.Node) -> Pos:
        return Pos(self.source, node.start_mark.line + 1, node.start_mark.column + 1)

    def run(self, node: yaml.Node) -> Any:
        """The document's value; every list read in bulk must have found its place."""
        try:
            values, chars = self.size(node)
            if len(self.found) != len(self.blocks):
                raise _NotInBulkError  # a list read in bulk was inside a string or a comment
            if values > MAX_VALUES:
                what = f"more than {MAX_VALUES:,} values"
            elif chars > self.budget:
                what = f"more than {self.budget:,} characters"
            else:
                return self.value(node)
        except RecursionError:
            raise NNCalcError.at("nested too deeply", self.source) from None
        raise self.pos(node).error(
            f"document expands to {what} through its aliases",
            "this looks like an alias bomb; write the values out",
        )

    def size(self, node: yaml.Node) -> tuple[int, int]:
        """Values and characters in the node once aliases are expanded, strings counting by
        their length (memoised, so aliases cost nothing)."""
        key = id(node)
        if key not in self.sizes:
            self.sizes[key] = (0, 0)  # a cycle counts as nothing; value() rejects it
            block = self.block(node)
            if block is not None:
                self.found.add(self.where(node))
                total = block.size
            elif isinstance(node, yaml.ScalarNode):
                total = (1, max(len(node.value), 1))
            else:
                sizes = [self.size(c) for c in _children(node)]
                total = (1 + sum(v for v, _ in sizes), 1 + sum(c for _, c in sizes))
            self.sizes[key] = (min(total[0], MAX_VALUES + 1), min(total[1], self.budget + 1))
        return self.sizes[key]

    def block(self, node: yaml.Node) -> Any:
        """The list read in bulk whose placeholder the node is, if any."""
        if not self.blocks or not isinstance(node, yaml.ScalarNode):
            return None
        return self.blocks.get(self.where(node))

    def where(self, node: yaml.Node) -> tuple[int, int]:
        return node.start_mark.line + 1, node.start_mark.column + 1

    def bulk_value(self, node: yaml.Node, depth: int) -> Any:
        """The value under a key of ``bulk``: Numbers where its lists were read in bulk."""
        from nncalc.files.bulk import Numbers

        items = node.value if isinstance(node, yaml.SequenceNode) and depth > 1 else ()
        block = self.block(node)
        numbers = None
        if block is not None and (depth > 1 or not block.nested):
            numbers = Numbers.of(block, self.pos(node))
        elif items and all(getattr(self.block(c), "nested", True) is False for c in items):
            self.check_tag(node, ("seq",))
            rows = [self.block(c) for c in items]
            numbers = Numbers.rows_of(rows, self.pos(node), [self.pos(c) for c in items])
        return self.value(node) if numbers is None else numbers

    def general(self, node: yaml.Node, block: Any) -> Any:
        """A list read in bulk, where it is not a matrix, read as YAML reads it."""
        mark = node.start_mark
        text = "\n" * mark.line + " " * mark.column + block.text
        return _Converter(self.source, self.budget).run(_compose(text, self.source))

    def value(self, node: yaml.Node) -> Any:
        key = id(node)
        if key in self.done:
            if self.done[key] is None and not isinstance(node, yaml.ScalarNode):
                raise self.pos(node).error("a recursive alias refers to itself")
            return self.done[key]
        self.done[key] = None
        if isinstance(node, yaml.ScalarNode):
            result = self.scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            result = self.sequence(node)
        else:
            result = self.mapping(node)
        self.done[key] = result
        return result

    def check_tag(self, node: yaml.Node, allowed: tuple[str, ...]) -> None:
        tag = node.tag.removeprefix(_TAG)
        if tag not in allowed or tag == node.tag:
            raise self.pos(node).error(
                f"YAML tag {excerpt(tag)} is not allowed",
                "nncalc reads plain YAML only: lists, mappings, numbers and strings",
            )

    def scalar(self, node: yaml.ScalarNode) -> Any:
        block = self.block(node)
        if block is not None:
            return self.general(node, block)
        self.check_tag(node, ("str", "int", "float", "bool", "null", "timestamp"))
        kind = node.tag.removeprefix(_TAG)
        construct = {
            "int": _constructor.construct_yaml_int,
            "float": _constructor.construct_yaml_float,
            "bool": _constructor.construct_yaml_bool,
            "null": lambda _: None,
        }.get(kind)
        if construct is not None:
            try:
                return construct(node)
            except (ValueError, TypeError, KeyError):  # '!!float abc', or an int of 5,000 digits
                shown = node.value if len(node.value) <= 20 else node.value[:20] + "…"
                raise self.pos(node).error(f"'{shown}' is not a valid YAML {kind}") from None
        if not node.style and _FLOAT_12.fullmatch(node.value):  # plain: None, or "" in C
            return float(node.value)  # YAML 1.2 floats such as 1e-3, which PyYAML reads as text
        return node.value

    def sequence(self, node: yaml.SequenceNode) -> YList:
        self.check_tag(node, ("seq",))
        result = YList(self.value(child) for child in node.value)
        result.pos = self.pos(node)
        result.item_pos = [self.pos(child) for child in node.value]
        return result

    def mapping(self, node: yaml.MappingNode) -> YDict:
        self.check_tag(node, ("map",))
        result = YDict()
        result.pos = self.pos(node)
        result.key_pos, result.value_pos = {}, {}
        for key_node, value_node in node.value:
            key = self.value(key_node)
            if not isinstance(key, str | int | float) or isinstance(key, bool):
                raise self.pos(key_node).error("keys must be names", "write key: value")
            key = str(key)
            if key in result:
                first = result.key_pos[key].line
                raise self.pos(key_node).error(
                    f"duplicate key {excerpt(key)} (first given on line {first})",
                    "give each key once",
                )
            depth = self.bulk.get(key)
            result[key] = (
                self.value(value_node) if depth is None else self.bulk_value(value_node, depth)
            )
            result.key_pos[key] = self.pos(key_node)
            result.value_pos[key] = self.pos(value_node)
        return result


def _children(node: yaml.Node) -> list[yaml.Node]:
    """A collection's items, or its keys and values."""
    if isinstance(node, yaml.SequenceNode):
        return node.value
    return [child for pair in node.value for child in pair]


# --- raw mode: text as written, for students' answers ---------------------------------------


class RawMap(list):
    """A mapping read in raw mode: its (key, value, line) entries in order, repeated keys
    kept (the reader of answers says what a repeat means)."""


_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_RAW_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
"""Resolves no plain scalar's type (each stays text); explicit tags are kept, and refused."""


def parse_raw(text: str, source: str = "<string>", budget: int | None = None) -> Any:
    """Parse YAML with every scalar kept as the text written (``00123``, ``0,5``,
    ``1e3`` and ``yes`` stay text; a plain empty scalar or null is None), a mapping as a
    RawMap, and a flow list of plain scalars (``[0,7742; 0,8115]``) as its source text;
    with parse's safety (no tags, bounded aliases and size)."""
    budget = max_bytes() if budget is None else budget
    return _RawConverter(source, budget, text).run(_compose(text, source, _RAW_LOADER))


class _RawConverter(_Converter):
    def __init__(self, source: str, budget: int, text: str) -> None:
        super().__init__(source, budget)
        self.text = text

    def size(self, node: yaml.Node) -> tuple[int, int]:
        if "*" not in self.text:  # no alias: the document is no larger than its text
            return 1, 1
        return super().size(node)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        self.check_tag(node, ("str", "int", "float", "bool", "null", "timestamp"))
        return None if not node.style and node.value in _NULLS else node.value

    def sequence(self, node: yaml.SequenceNode) -> Any:
        self.check_tag(node, ("seq",))
        start, end = node.start_mark.index, node.end_mark.index
        written = self.text[start:end] if node.flow_style else ""
        plain = all(isinstance(c, yaml.ScalarNode) and not c.style for c in node.value)
        if plain and written.startswith("[") and written.endswith("]"):
            return written
        return [self.value(child) for child in node.value]

    def mapping(self, node: yaml.MappingNode) -> RawMap:
        self.check_tag(node, ("map",))
        entries = RawMap()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self.pos(key_node).error("keys must be names", "write q1: 0.5")
            entries.append((key_node.value, self.value(value_node), key_node.start_mark.line + 1))
        return entries
