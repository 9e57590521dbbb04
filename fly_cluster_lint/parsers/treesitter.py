"""Lazy access to the tree-sitter grammars: nothing is imported until a file of that kind is parsed."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any

_PARSERS: dict[str, Any] = {}

_GRAMMARS = {
    "elixir": "tree_sitter_elixir",
    "bash": "tree_sitter_bash",
    "dockerfile": "tree_sitter_dockerfile",
    "toml": "tree_sitter_toml",
}


def parser(name: str) -> Any:
    """A cached tree_sitter.Parser for one grammar."""
    found = _PARSERS.get(name)
    if found is None:
        import importlib

        import tree_sitter

        module = importlib.import_module(_GRAMMARS[name])
        with warnings.catch_warnings():
            # Older grammar wheels hand out an int pointer, which tree-sitter 0.25+ still accepts with a warning.
            warnings.simplefilter("ignore", DeprecationWarning)
            language = tree_sitter.Language(module.language())
        found = _PARSERS[name] = tree_sitter.Parser(language)
    return found


def parse(name: str, data: bytes) -> Any:
    return parser(name).parse(data)


def first_error(node: Any, skip: Any = None) -> Any | None:
    """The first ERROR or MISSING node in document order, or None. ``skip(node)`` may exclude subtrees."""
    if not node.has_error:
        return None
    stack = [node]
    while stack:
        current = stack.pop()
        if skip is not None and skip(current):
            continue
        if current.is_error or current.is_missing:
            return current
        if current.has_error:
            stack.extend(reversed(current.children))
    return None
