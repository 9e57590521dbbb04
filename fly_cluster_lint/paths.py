"""How paths are shown: relative to the working directory when below it, always with `/`."""

from __future__ import annotations

import os
from pathlib import Path


def display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        rel = str(path)
    if rel == ".." or rel.startswith(".." + os.sep):
        rel = str(path)  # outside the working directory: absolute
    return rel.replace(os.sep, "/")


def repository_path(shown: str) -> str:
    """A displayed path as GitHub wants it in annotations and SARIF: relative to the repository root
    (GITHUB_WORKSPACE) when that is set and the file lies inside it, wherever the tool was started from;
    otherwise the displayed path unchanged."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return shown
    try:
        root = os.path.realpath(workspace)
        full = os.path.realpath(os.path.abspath(shown))
        if os.path.commonpath([root, full]) != root:
            return shown
        rel = os.path.relpath(full, root)
    except ValueError:  # another drive on Windows
        return shown
    return shown if rel == "." else rel.replace(os.sep, "/")
