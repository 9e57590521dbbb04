"""Write what the fixes changed, all or nothing.

Before anything is written every target is checked: it must lie inside a repository root after resolving
symlinks (a symlink inside the repository is kept and its target edited; one that leads out is refused),
be a regular file with a single link (a hard link is never split), be writable by its mode bits (a
read-only file is respected), and still hold exactly what the run read (edits saved meanwhile are never
lost). Then every new content goes to a temporary file beside its target, and only when all are written are
they renamed over their targets, the originals kept aside until the last rename succeeded: a failure
restores every file already replaced. Temporary files are removed on every exit path (errors, Ctrl-C,
SIGTERM). Renames move the file (never copy and delete).
"""

from __future__ import annotations

import difflib
import os
import stat
import tempfile
from pathlib import Path

from fly_cluster_lint.errors import ToolError
from fly_cluster_lint.paths import display

SUFFIX = ".fly-cluster-lint.tmp"


def confined(path: Path, roots: list) -> bool:
    """Whether a path, symlinks resolved (for a path that does not exist yet: its nearest existing
    folder), lies inside one of the repository roots."""
    if not roots:
        return False
    try:
        real = Path(os.path.realpath(os.path.abspath(path)))  # `..` as text first, as the linter read it
    except (OSError, ValueError):
        return False
    for root in roots:
        try:
            base = Path(os.path.realpath(root))
        except (OSError, ValueError):
            continue
        if real == base or base in real.parents:
            return True
    return False


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def replace_file(path: str, data: bytes, mode: int | None) -> None:
    """Write a file atomically (temporary file, fsync, rename) with `mode`, or the permissions the umask
    gives a new file. The temporary file never survives an error."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=SUFFIX, dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, _umask_mode() if mode is None else mode)
        os.replace(tmp, path)
    except BaseException:
        _remove(tmp)
        raise


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class _Plan:
    """One file to write: where (the real path, symlinks resolved), what, and with which mode."""

    __slots__ = ("shown", "real", "data", "mode", "tmp", "backup")

    def __init__(self, shown: str, real: str, data: bytes, mode: int | None) -> None:
        self.shown, self.real, self.data, self.mode = shown, real, data, mode
        self.tmp = self.backup = None


def _check_existing(path: Path, expected: bytes | None, roots: list) -> tuple[str, int]:
    """The real path and mode of a file the fixes change, or ToolError saying why it is left alone."""
    shown = display(path)
    if not confined(path, roots):
        raise ToolError(f"{shown}: outside the repository (after resolving symlinks); no fix was written")
    real = os.path.realpath(os.path.abspath(path))  # the file the linter read (`..` as text, then links)
    try:
        info = os.stat(real)
    except OSError as exc:
        raise ToolError(f"{shown}: cannot read it again before writing: {exc.strerror or exc}; no fix was "
                        f"written") from None
    if not stat.S_ISREG(info.st_mode):
        raise ToolError(f"{shown}: not a regular file; no fix was written")
    if info.st_nlink > 1:
        raise ToolError(f"{shown}: has {info.st_nlink} hard links, which a rewrite would split; no fix was "
                        f"written (apply this fix by hand)")
    if not info.st_mode & stat.S_IWUSR:
        raise ToolError(f"{shown}: read-only; no fix was written")
    try:
        with open(real, "rb") as handle:
            now = handle.read()
    except OSError as exc:
        raise ToolError(f"{shown}: cannot read it again before writing: {exc.strerror or exc}; no fix was "
                        f"written") from None
    if expected is not None and now != expected:
        raise ToolError(f"{shown}: changed since it was linted; no fix was written (run again)")
    return real, stat.S_IMODE(info.st_mode)


def _check_new(path: Path, roots: list) -> str:
    shown = display(path)
    if not confined(path, roots):
        raise ToolError(f"{shown}: outside the repository (after resolving symlinks); no fix was written")
    if os.path.lexists(os.path.abspath(path)):
        raise ToolError(f"{shown}: exists already; no fix was written (run again)")
    whole = os.path.abspath(path)
    return os.path.join(os.path.realpath(os.path.dirname(whole)), os.path.basename(whole))


def write_all(state) -> list[Path]:
    """Write every changed file and perform every rename, or nothing at all (ToolError says why)."""
    roots = getattr(state, "roots", [])
    renames = []  # (source real path, target real path, shown source, shown target)
    for source, target in state.renames:
        real_source, _ = _check_existing(source, state.original.get(source), roots)
        renames.append((real_source, _check_new(target, roots), display(source), display(target)))
    renamed_targets = {target for _, target in state.renames}
    plans: list[_Plan] = []
    for path, data in state.overlay.items():
        if data is None:
            continue
        origin = next((s for s, t in state.renames if t == path), None)
        before = state.original.get(origin) if origin is not None else state.original.get(path)
        if path in renamed_targets:
            if data == before:
                continue  # moved as it is
            real = next(t for (_, t, _, shown) in renames if shown == display(path))
            plans.append(_Plan(display(path), real, data, None))
            continue
        if before == data:
            continue
        if state.original.get(path) is None:
            plans.append(_Plan(display(path), _check_new(path, roots), data, None))
        else:
            real, mode = _check_existing(path, state.original.get(path), roots)
            plans.append(_Plan(display(path), real, data, mode))
    _commit(plans, renames)
    return [Path(p.real) for p in plans] + [Path(t) for _, t, _, _ in renames]


def _commit(plans: list[_Plan], renames: list) -> None:
    import signal
    import threading

    previous = None
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTERM"):
        def stop(signum, frame):  # SIGTERM: the same clean-up as Ctrl-C
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, stop)
    done_renames: list[tuple[str, str]] = []
    replaced: list[_Plan] = []
    try:
        for plan in plans:  # 1. every new content in a temporary file beside its target
            folder = os.path.dirname(plan.real)
            try:
                os.makedirs(folder, exist_ok=True)
                fd, plan.tmp = tempfile.mkstemp(prefix=f".{os.path.basename(plan.real)}.", suffix=SUFFIX, dir=folder)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(plan.data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(plan.tmp, _umask_mode() if plan.mode is None else plan.mode)
            except OSError as exc:
                raise ToolError(f"{plan.shown}: cannot write the fix: {exc.strerror or exc}; no file was "
                                f"changed") from None
        try:
            for source, target, shown_source, _ in renames:  # 2. renames, then replacements
                if os.path.lexists(target):
                    raise ToolError(f"{display(Path(target))}: exists already; not renaming {shown_source} over it")
                os.rename(source, target)
                done_renames.append((source, target))
            for plan in plans:
                # The original stays where it is until the new content replaces it in one atomic rename; a
                # second name for it (a hard link, else a copy) is made first, so that whenever the run
                # stops (an error, Ctrl-C, SIGTERM) the roll-back can put it back, and no moment exists
                # where the original is only in a temporary file.
                if os.path.lexists(plan.real):
                    plan.backup = _second_name(plan.real)
                replaced.append(plan)
                os.replace(plan.tmp, plan.real)
                plan.tmp = None
        except OSError as exc:
            _roll_back(replaced, done_renames)
            raise ToolError(f"cannot write the fixes: {exc.strerror or exc}; every file was left as it was") from None
        except BaseException:
            _roll_back(replaced, done_renames)
            raise
    finally:
        for plan in plans:
            for leftover in (plan.tmp, plan.backup):
                if leftover is not None:
                    _remove(leftover)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _second_name(path: str) -> str:
    """A temporary name beside the file for the same content: a hard link where the file system allows
    it, else a copy (with its permissions)."""
    import shutil

    fd, name = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=SUFFIX, dir=os.path.dirname(path))
    os.close(fd)
    try:
        os.unlink(name)
        os.link(path, name)
    except OSError:
        shutil.copy2(path, name)
    return name


def _roll_back(replaced: list[_Plan], renames: list[tuple[str, str]]) -> None:
    for plan in reversed(replaced):
        try:
            if plan.backup is not None:
                # a rename between two names of one file does nothing (POSIX): when the new content never
                # replaced the original, the second name is simply left for the clean-up to remove
                if not (os.path.lexists(plan.real) and os.path.samefile(plan.backup, plan.real)):
                    os.replace(plan.backup, plan.real)
                    plan.backup = None
            elif plan.tmp is None:  # a file this run created
                os.unlink(plan.real)
        except OSError:
            pass
    for source, target in reversed(renames):
        try:
            os.rename(target, source)
        except OSError:
            pass


def unified_diff(state) -> str:
    """The change of every file as a unified diff (renames as git does). Secret values of every pass are
    hidden (model/secrets.mask_source) and control characters shown as escapes, tabs kept."""
    out = []
    renamed = {target: source for source, target in state.renames}
    for path in sorted(state.overlay, key=str):
        new = state.overlay[path]
        if new is None:
            continue
        source = renamed.get(path)
        old = state.original.get(source if source is not None else path)
        if source is not None:
            out.append(f"rename from {_shown(display(source))}\nrename to {_shown(display(path))}\n")
            if old == new:
                continue
        if old == new:
            continue
        old_text = _text(old, state.secrets)
        new_text = _text(new, state.secrets)
        before = _shown(display(source if source is not None else path)) if old is not None else "/dev/null"
        diff = difflib.unified_diff(old_text, new_text, fromfile=_side("a", before) if old is not None else before,
                                    tofile=_side("b", _shown(display(path))))
        out.append("".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff))
    return "".join(out)


def _shown(path: str) -> str:
    from fly_cluster_lint.reporters.printable import visible

    return visible(path)


def _side(prefix: str, shown: str) -> str:
    """`a/path` for paths relative to the working directory (as git shows them), absolute paths as they are."""
    return shown if shown.startswith("/") else f"{prefix}/{shown}"


def _text(data: bytes | None, secrets) -> list[str]:
    """Lines of a file as the diff shows them: the line ending kept, its content masked and visible."""
    from fly_cluster_lint.model.secrets import mask_source
    from fly_cluster_lint.reporters.printable import visible

    if data is None:
        return []
    out = []
    for line in data.decode("utf-8", "replace").splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        if secrets is not None:
            body = mask_source(body, secrets)
        out.append(visible(body, keep="\t") + ("\n" if ending else ""))
    return out
