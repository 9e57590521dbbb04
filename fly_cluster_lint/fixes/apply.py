"""Run fixes in memory: lint, take the applicable fixes that do not touch the same region, apply them to
an overlay of file contents, lint the overlay again, and repeat until nothing more applies. Nothing is
written here; two fixes of one region are never interleaved (the second waits for the next pass)."""

from __future__ import annotations

from pathlib import Path

from fly_cluster_lint.fixes import SAFE, Create, Edit, Rename

MAX_PASSES = 8


class FixRun:
    def __init__(self) -> None:
        self.overlay: dict[Path, bytes | None] = {}  # the files as the fixes leave them (None: renamed away)
        self.original: dict[Path, bytes | None] = {}  # what was on disk before
        self.renames: list[tuple[Path, Path]] = []
        self.applied: list = []  # the diagnostics whose fixes were applied, in order
        self.passes: list[list] = []  # the same, pass by pass
        self.first = None  # the lint result before any fix
        self.secrets = None  # every secret seen in any pass (model/secrets.Secrets): never in the diff
        self.roots: list[Path] = []  # repository roots: every write stays inside them


def applicable(diagnostic, unsafe: bool) -> bool:
    fix = diagnostic.fix
    return fix is not None and (fix.applicability == SAFE or unsafe)


def run(paths, overrides, unsafe: bool):
    from fly_cluster_lint.engine import lint

    state = FixRun()
    for _ in range(MAX_PASSES):
        result = lint(paths, overrides, overlay=state.overlay)
        if state.first is None:
            state.first = result
            state.roots = list(result.files.roots) if result.files is not None else []
        if result.secrets is not None:
            state.secrets = result.secrets if state.secrets is None else state.secrets.union(result.secrets)
        broken = {d.span.file for d in result.diagnostics if d.code == "FCL001"}
        candidates = [d for d in result.diagnostics if applicable(d, unsafe) and _readable(d.fix, state, result.files)
                      and _changes(d.fix, state, result.files)]
        chosen = _choose(candidates, broken, result.files)
        if not chosen:
            break
        _apply(state, [d.fix for d in chosen], result.files)
        state.applied.extend(chosen)
        state.passes.append(chosen)
    return state


def _readable(fix, state: FixRun, files) -> bool:
    """False for a fix that would have to read a file the run may not read (a symlink out of the repository,
    an unreadable file): such a fix is not applied."""
    from fly_cluster_lint.parsers import ParseError

    for edit in fix.edits:
        path = Path(edit.path)
        if isinstance(edit, (Edit, Rename)) and path not in state.overlay:
            try:
                if files is None or files.source(path) is None:
                    return False
            except ParseError:
                return False
    return True


def _changes(fix, state: FixRun, files) -> bool:
    """False for a fix whose edits would leave every file as it is (applying it again changes nothing)."""
    for edit in fix.edits:
        if not isinstance(edit, Edit):
            return True
        data = _content(state, Path(edit.path), files)
        if data is None or data[edit.start:edit.end] != edit.content.encode("utf-8"):
            return True
    return False


def _regions(fix) -> list[tuple[str, int, int]]:
    out = []
    for edit in fix.edits:
        if isinstance(edit, Edit):
            out.append((edit.path, edit.start, edit.end))
        elif isinstance(edit, Create):
            out.append((edit.path, -1, 1 << 62))
        elif isinstance(edit, Rename):
            out.append((edit.path, -1, 1 << 62))
            out.append((edit.target, -1, 1 << 62))
    return out


def _overlaps(a: tuple, b: tuple) -> bool:
    if a[0] != b[0]:
        return False
    if a[1] == a[2] == b[1] == b[2]:
        return True  # two insertions at one point: their order would be a guess
    return a[1] < b[2] and b[1] < a[2] or a[1] == b[1]


def _choose(candidates: list, broken: set, files) -> list:
    from fly_cluster_lint.paths import display

    from fly_cluster_lint.fixes.write import confined

    chosen, taken = [], []
    seen_fixes = set()
    roots = files.roots if files is not None else []
    for diagnostic in candidates:
        fix = diagnostic.fix
        if fix in seen_fixes:
            continue  # the same fix reported for two apps (two tomls deploying one project)
        regions = _regions(fix)
        if any(display(Path(r[0])) in broken for r in regions):
            continue  # a file that failed to parse is never modified
        if not all(confined(Path(r[0]), roots) for r in regions):
            continue  # a fix never writes outside the repository (rel_templates_path "../x", a symlink out)
        if any(_overlaps(r, t) for r in regions for t in taken):
            continue
        seen_fixes.add(fix)
        chosen.append(diagnostic)
        taken.extend(regions)
    return chosen


def _content(state: FixRun, path: Path, files) -> bytes | None:
    """The file as this run sees it (read through the file cache, so never outside the repository)."""
    if path in state.overlay:
        return state.overlay[path]
    source = files.source(path) if files is not None else None
    data = source.data if source is not None else None
    state.original.setdefault(path, data)
    return data


def _apply(state: FixRun, fixes: list, files) -> None:
    """Apply the edits of one pass together: their offsets all refer to the content this pass linted."""
    edits_by_file: dict[Path, list] = {}
    for edit in [e for fix in fixes for e in fix.edits]:
        if isinstance(edit, Edit):
            edits_by_file.setdefault(Path(edit.path), []).append(edit)
        elif isinstance(edit, Create):
            path = Path(edit.path)
            state.original.setdefault(path, None)
            state.overlay[path] = edit.content.encode("utf-8")
        elif isinstance(edit, Rename):
            source, target = Path(edit.path), Path(edit.target)
            data = _content(state, source, files)
            state.original.setdefault(target, None)
            state.overlay[target] = data
            state.overlay[source] = None
            state.renames.append((source, target))
    for path, edits in edits_by_file.items():
        data = _content(state, path, files)
        if data is None:
            continue
        for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
            data = data[: edit.start] + edit.content.encode("utf-8") + data[edit.end:]
        state.overlay[path] = data
