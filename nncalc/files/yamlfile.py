"""Safe YAML reading that remembers where every value came from.

Only the plain YAML types are accepted (mappings, lists, strings, numbers, booleans,
null): any other tag, ``!!python/...`` included, is an error and never code. Duplicate
keys are errors rather than silently keeping the last one, aliases are bounded so an
alias bomb cannot eat memory, and files are capped in size.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from nncalc.errors import NNCalcError, excerpt
from nncalc.files.reader import read_bytes

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_VALUES = 10_000_000
"""Most values a YAML document may hold once its aliases are expanded."""

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
    """Read a UTF-8 text file of at most ``limit`` bytes (default: max_bytes()), with a
    clear error for every way that can fail."""
    source = str(path)
    hint = "it should be a few lines" if limit is not None else _LARGE
    data = read_bytes(path, limit, hint)
    if b"\0" in data:
        raise NNCalcError.at("binary file, expected YAML text", source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise NNCalcError.at(
            f"not UTF-8 text (byte 0x{data[e.start]:02x})", source, line, hint="save it as UTF-8"
        ) from None


def load_file(path: str | os.PathLike[str], limit: int | None = None) -> Any:
    """Read and parse a YAML file (of at most ``limit`` bytes) into YDict / YList / values."""
    return parse(read_text(path, limit), str(path))


def parse(text: str, source: str = "<string>") -> Any:
    """Parse YAML text into YDict / YList / plain values with positions."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as e:
        raise _yaml_error(e, text, source) from None
    except yaml.reader.ReaderError as e:
        line = text[: e.position].count("\n") + 1
        what = f"character #x{e.character:04x} is not allowed: {e.reason}"
        raise NNCalcError.at(f"invalid YAML: {what}", source, line) from None
    except yaml.YAMLError as e:
        raise NNCalcError.at(f"invalid YAML: {e}", source) from None
    except RecursionError:
        raise NNCalcError.at("invalid YAML: nested too deeply", source) from None
    if node is None:
        raise NNCalcError.at("file is empty", source)
    converter = _Converter(source)
    try:
        return converter.convert(node)
    except RecursionError:
        raise NNCalcError.at("nested too deeply", source) from None


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
    return NNCalcError.at(f"invalid YAML: {what}", source, line, hint=hint)


class _Converter:
    """Turns a composed node graph into values, once per node, counting expansions."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.done: dict[int, Any] = {}
        self.sizes: dict[int, int] = {}

    def pos(self, node: yaml.Node) -> Pos:
        return Pos(self.source, node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node: yaml.Node) -> Any:
        if self.size(node) > MAX_VALUES:
            raise self.pos(node).error(
                f"document expands to more than {MAX_VALUES:,} values through its aliases",
                "this looks like an alias bomb; write the values out",
            )
        return self.value(node)

    def size(self, node: yaml.Node) -> int:
        """Values in the node once aliases are expanded (memoised, so aliases cost nothing)."""
        key = id(node)
        if key not in self.sizes:
            self.sizes[key] = 0  # a cycle counts as nothing; value() rejects it
            if isinstance(node, yaml.SequenceNode):
                total = 1 + sum(self.size(child) for child in node.value)
            elif isinstance(node, yaml.MappingNode):
                total = 1 + sum(self.size(v) for _, v in node.value)
            else:
                total = 1
            self.sizes[key] = min(total, MAX_VALUES + 1)
        return self.sizes[key]

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
        if node.tag not in tuple(_TAG + t for t in allowed):
            tag = node.tag.removeprefix(_TAG)
            raise self.pos(node).error(
                f"YAML tag {excerpt(tag)} is not allowed",
                "nncalc reads plain YAML only: lists, mappings, numbers and strings",
            )

    def scalar(self, node: yaml.ScalarNode) -> Any:
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
            result[key] = self.value(value_node)
            result.key_pos[key] = self.pos(key_node)
            result.value_pos[key] = self.pos(value_node)
        return result
