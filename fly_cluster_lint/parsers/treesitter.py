"""Lazy access to the tree-sitter grammars: nothing is imported until a file of that kind is parsed."""

from __future__ import annotations

import warnings

from fly_cluster_lint.errors import ToolError
TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

if TYPE_CHECKING:
    from typing import Any

_PARSERS: dict[str, Any] = {}

_GRAMMARS = {
    "elixir": "tree_sitter_elixir",
    "bash": "tree_sitter_bash",
    "toml": "tree_sitter_toml",
}


def parser(name: str) -> Any:
    """A cached tree_sitter.Parser for one grammar."""
    found = _PARSERS.get(name)
    if found is None:
        import tree_sitter

        package = _GRAMMARS[name]
        try:
            with warnings.catch_warnings():
                # Older grammar wheels hand out an int pointer, which tree-sitter 0.25+ accepts with a warning.
                warnings.simplefilter("ignore", DeprecationWarning)
                language = tree_sitter.Language(_language(package))
            found = _PARSERS[name] = tree_sitter.Parser(language)
        except ValueError as error:
            # "Incompatible Language version 15. Must be between 13 and 14": a grammar built for a newer
            # tree-sitter core than the one installed. The package's own pins exclude such pairs; this is
            # what a hand-made environment gets instead of a traceback.
            raise ToolError(f"the installed {package.replace('_', '-')} ({_version(package)}) does not work "
                            f"with the installed tree-sitter ({_version('tree_sitter')}): {error}; "
                            f"reinstall fly-cluster-lint so that pip picks a matching pair") from None
    return found


def _language(package: str):
    """The grammar's language pointer from its compiled `_binding` module. The packages' __init__ imports
    importlib.resources (for highlight queries this tool never uses), which costs milliseconds of start-up,
    so the extension module is loaded directly; the ordinary import is the fallback."""
    try:
        from importlib.machinery import PathFinder

        parent = PathFinder.find_spec(package)
        spec = PathFinder.find_spec(package + "._binding", parent.submodule_search_locations)
        module = spec.loader.create_module(spec)
        spec.loader.exec_module(module)
        return module.language()
    except Exception:
        import importlib

        return importlib.import_module(package).language()


def _version(package: str) -> str:
    try:
        from importlib.metadata import version

        return version(package.replace("_", "-"))
    except Exception:
        return "unknown version"


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
