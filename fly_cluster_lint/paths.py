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
