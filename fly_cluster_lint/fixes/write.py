"""Write what the fixes changed: each file atomically (a temporary file in the same folder, then a
rename), keeping its permissions; a renamed file is moved, never copied and deleted. When a write fails
the original file is untouched and the run stops with a one-line error."""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from pathlib import Path

from fly_cluster_lint.errors import ToolError
from fly_cluster_lint.paths import display


def write_all(state) -> list[Path]:
    written = []
    renamed_targets = {target for _, target in state.renames}
    for source, target in state.renames:
        if target.exists():
            raise ToolError(f"{display(target)}: exists already; not renaming {display(source)} over it")
        try:
            os.rename(source, target)
        except OSError as exc:
            raise ToolError(f"{display(source)}: cannot rename: {exc.strerror or exc}") from None
        written.append(target)
    for path, data in state.overlay.items():
        if data is None or (path in renamed_targets and data == state.original.get(_renamed_from(state, path))):
            continue
        if state.original.get(path) == data:
            continue
        atomic_write(path, data)
        written.append(path)
    return written


def _renamed_from(state, target: Path):
    return next((s for s, t in state.renames if t == target), None)


def atomic_write(path: Path, data: bytes) -> None:
    mode = None
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        pass
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".fly-cluster-lint", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise ToolError(f"{display(path)}: cannot write the fix, the file is unchanged: {exc.strerror or exc}") from None


def unified_diff(state) -> str:
    """The change of every file as a unified diff (renames as git does)."""
    out = []
    renamed = {target: source for source, target in state.renames}
    for path in sorted(state.overlay, key=str):
        new = state.overlay[path]
        if new is None:
            continue
        source = renamed.get(path)
        old = state.original.get(source if source is not None else path)
        if source is not None:
            out.append(f"rename from {display(source)}\nrename to {display(path)}\n")
            if old == new:
                continue
        if old == new:
            continue
        old_text = _text(old)
        new_text = _text(new)
        before = display(source if source is not None else path) if old is not None else "/dev/null"
        diff = difflib.unified_diff(old_text, new_text, fromfile=_side("a", before) if old is not None else before,
                                    tofile=_side("b", display(path)))
        out.append("".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff))
    return "".join(out)


def _side(prefix: str, shown: str) -> str:
    """`a/path` for paths relative to the working directory (as git shows them), absolute paths as they are."""
    return shown if shown.startswith("/") else f"{prefix}/{shown}"


def _text(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", "replace").splitlines(keepends=True)
