"""Fixes: the last stage of the pipeline.

A check attaches a Fix to a Finding when the right change is unambiguous. A Fix is a list of edits by byte
range in the original file (taken from the parse trees), a file to create, or a file to rename; it is
*safe* (applied by --fix) or *unsafe* (applied only with --unsafe-fixes, e.g. when it changes behaviour a
user may rely on). `apply.py` runs the passes in memory, `write.py` writes the files atomically.
"""

from __future__ import annotations

from fly_cluster_lint.records import value

SAFE = "safe"
UNSAFE = "unsafe"


class Edit(value("Edit", "path start end content")):
    """Replace bytes [start, end) of the file at `path` (absolute) with `content` (text)."""

    __slots__ = ()


class Create(value("Create", "path content")):
    """Create a file that does not exist."""

    __slots__ = ()


class Rename(value("Rename", "path target")):
    """Rename a file (its content is kept)."""

    __slots__ = ()


class Fix(value("Fix", "applicability message edits")):
    __slots__ = ()
