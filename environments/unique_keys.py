"""JSON and YAML readers that refuse a mapping with the same key twice.

`json.loads` and `yaml.safe_load` keep the last of two equal keys without a word, so a merge that leaves
two `identity` blocks in a template, or two `ports` in an environment file, silently drops one. Every
config, project, schema and rendered file the repository reads goes through these two functions.

The errors subclass the ones the standard readers raise (`json.JSONDecodeError`,
`yaml.constructor.ConstructorError`), so callers that already turn a parse error into a line naming the
file keep doing so, and the message adds the key, its path and its line.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from collections.abc import Hashable
from typing import Any

import yaml


class DuplicateJsonKeyError(json.JSONDecodeError):
    """A JSON object has the same key twice; `pos`/`lineno` point at the second one."""

    def __init__(self, key: str, where: str, document: str, position: int) -> None:
        self.key = key
        self.where = where
        super().__init__(f"duplicate key {key!r} in {where}", document, position)


class DuplicateYamlKeyError(yaml.constructor.ConstructorError):  # type: ignore[misc]  # PyYAML is untyped here
    """A YAML mapping has the same key twice; the mark points at the second one."""

    def __str__(self) -> str:
        mark = self.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        return f"{where}{self.problem}"


def loads_json(text: str | bytes) -> Any:
    """`json.loads`, refusing duplicate keys (the error names the key, its path and line)."""
    try:
        return json.loads(text, object_pairs_hook=_refuse_duplicates)
    except _DuplicateKeyError:
        document = text.decode("utf-8-sig") if isinstance(text, bytes) else text
        _locate_duplicate(document)
        raise  # pragma: no cover - the locating pass always finds what the fast pass found


def load_yaml(text: str) -> Any:
    """`yaml.safe_load`, refusing duplicate keys in any mapping (the error names the key and line)."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass


class _DuplicateKeyError(Exception):
    pass


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKeyError
    return result


class _Pairs(list[tuple[str, Any]]):
    """An object's members in order, with where each member's value starts in the text."""

    positions: list[int]


def _locate_duplicate(document: str) -> None:
    """Second, slower pass (pure-Python scanner) that knows positions: raise for the first duplicate."""
    decoder = json.JSONDecoder(object_pairs_hook=_Pairs)

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any, *rest: Any) -> Any:
        starts: list[int] = []

        def recording_scan_once(string: str, index: int) -> Any:
            starts.append(index)
            return scan_once(string, index)

        pairs, end = json.decoder.JSONObject(s_and_end, strict, recording_scan_once, *rest)  # type: ignore[attr-defined]
        pairs.positions = starts
        return pairs, end

    decoder.parse_object = parse_object  # type: ignore[attr-defined]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    _check(decoder.decode(document), "(root)", document)


def _check(value: Any, where: str, document: str) -> None:
    if isinstance(value, _Pairs):
        seen: set[str] = set()
        for index, (key, member) in enumerate(value):
            if key in seen:
                raise DuplicateJsonKeyError(
                    key, where, document, _key_start(document, value.positions[index])
                )
            seen.add(key)
            _check(member, f"{where}.{key}" if where != "(root)" else key, document)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check(item, f"{where}[{index}]", document)


def _key_start(document: str, value_start: int) -> int:
    """The position of the key before a member's value (`"key": value`), for the error's line."""
    colon = document.rfind(":", 0, value_start)
    closing = document.rfind('"', 0, colon)
    opening = document.rfind('"', 0, closing)
    return opening if opening >= 0 else value_start


class _UniqueKeyLoader(yaml.SafeLoader):  # type: ignore[misc]  # PyYAML is untyped here
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, Hashable):
                continue  # SafeLoader itself refuses an unhashable key, with its line
            if key in seen:
                first = seen[key].start_mark
                raise DuplicateYamlKeyError(
                    "while reading a mapping",
                    node.start_mark,
                    f"duplicate key {key!r} (first at line {first.line + 1}); "
                    "a later value would silently replace the earlier one",
                    key_node.start_mark,
                )
            seen[key] = key_node
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping
