"""YAML for config files: safe types only, and a key repeated in one mapping is an error.

PyYAML keeps the last of two equal keys silently; in ``canary.yaml`` that once let a second
monitor replace the first one under the same name and write into its history.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

_MERGE = "tag:yaml.org,2002:merge"


class DuplicateKeyError(ValueError):
    """A mapping names one key twice; says which key, where, and both lines."""

    def __init__(self, path: str, key: str, first: int, again: int) -> None:
        where = f" under {path}" if path else " at the top level"
        super().__init__(f"duplicate key {key!r}{where}: line {first} and line {again}")


def _key_text(node: Node) -> str:
    return str(node.value) if isinstance(node.value, str) else node.tag


def _check_unique(node: Node, path: str, seen: set[int]) -> None:
    """Raise ``DuplicateKeyError`` for the first mapping below ``node`` that repeats a key."""
    if id(node) in seen:  # an alias: checked where its anchor was
        return
    seen.add(id(node))
    if isinstance(node, MappingNode):
        lines: dict[tuple[str, str], int] = {}
        for key, value in node.value:
            text = _key_text(key)
            if key.tag != _MERGE:
                line = key.start_mark.line + 1
                ident = (key.tag, text)
                if ident in lines:
                    raise DuplicateKeyError(path, text, lines[ident], line)
                lines[ident] = line
            _check_unique(value, f"{path}.{text}" if path else text, seen)
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _check_unique(item, f"{path}[{i}]", seen)


class _Loader(yaml.SafeLoader):
    """``SafeLoader`` whose value errors (the date 2026-02-30) name the line."""

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {node.value!r}: {exc}", node.start_mark
            ) from None


def parse_yaml(text: str) -> Any:
    """The document in ``text`` (``None`` when empty).

    Raises ``yaml.YAMLError`` for bad syntax or a value YAML cannot build, and
    ``DuplicateKeyError`` for a repeated key.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_unique(node, "", set())
        return loader.construct_document(node)
    except RecursionError:
        raise yaml.YAMLError("nested too deeply") from None
    finally:
        loader.dispose()
