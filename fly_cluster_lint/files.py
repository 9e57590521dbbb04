"""The one gateway to the linted repository's files: every file is read once and parsed once per run,
whichever app or rule asks for it, and every read, existence check and folder listing goes through here.

The repository is untrusted. Nothing outside a repository root is read, listed or even tested for
existence (symlinks are resolved first): a path that leads outside is reported as "outside the repository"
whether or not it exists, so the answer is no oracle of the machine's file system. Files above a size cap
are reported, not read. Every probe is recorded (what was read, what was found missing, which folders were
listed) so that a cached result is reused only when all of it is unchanged (resultcache.py).
"""

from __future__ import annotations

import os
from pathlib import Path
TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.parsers import ParseError
from fly_cluster_lint.paths import display
from fly_cluster_lint.source import SourceFile

if TYPE_CHECKING:
    from typing import Any, Callable

from fly_cluster_lint.limits import MAX_BYTES
from fly_cluster_lint.resultcache import kind_of

OUTSIDE = "outside the repository (a symlink or path that leads out of it): not read"


class Entry:
    """One name in a folder listing: kind "file", "dir" or "other"; symlink when the name is a link."""

    __slots__ = ("name", "folder", "kind", "symlink")

    def __init__(self, name: str, folder: Path, kind: str, symlink: bool) -> None:
        self.name, self.folder, self.kind, self.symlink = name, folder, kind, symlink

    @property
    def path(self) -> Path:
        """Built when asked: a walk looks at most entries by name and kind only, and a Path costs."""
        return self.folder / self.name


class FileCache:
    def __init__(self, overlay: dict | None = None) -> None:
        # Contents that replace what is on disk (path -> bytes, or None for a file removed): how --fix and
        # --diff lint the result of their edits before anything is written.
        self.overlay: dict[Path, bytes | None] = dict(overlay or {})
        self.roots: list[Path] = []  # repository roots (real paths): nothing outside them is touched
        # folder listed -> (stamp, digest of the names and kinds seen then); see _stamp
        self.folders: dict[str, tuple] = {}
        self.probes: dict[str, str] = {}  # path -> "file" | "dir" | "other" | "missing" | "outside": every test
        self.reads: dict[str, bytes] = {}  # path -> digest of the bytes read (the first cap + 1 of a file too large)
        self.unreadable: set[str] = set()  # files that could not be read (a result that saw them is not cached)
        self._reported: set[Path] = set()  # files whose comments were handed out
        self._ignore_files: list[Path] = []  # .dockerignore files read
        self._sources: dict[Path, SourceFile | ParseError | None] = {}
        self._by_display: dict[str, SourceFile] = {}
        self._parsed: dict[tuple, tuple[Any, ParseError | None]] = {}
        self._recent: list[tuple] = []  # parsed since the last release_models()
        self._unreported: list[tuple] = []  # parsed since the last comments()
        self._reals: dict[str, str] = {}
        self._read_since: list[Path] = []  # files read since the last compact()

    # -- confinement ------------------------------------------------------------------------------------------
    def add_root(self, root: Path) -> None:
        real = Path(os.path.realpath(root))
        if real not in self.roots:
            self.roots.append(real)

    def _real(self, path: str) -> str:
        """The real path (symlinks resolved), resolving each folder once per run."""
        hit = self._reals.get(path)
        if hit is None:
            parent, name = os.path.split(path)
            if not name or parent == path:
                hit = os.path.realpath(path)
            else:
                base = self._real(parent)
                if name == ".":
                    hit = base
                elif name == "..":
                    hit = os.path.dirname(base)
                else:
                    candidate = os.path.join(base, name)
                    hit = os.path.realpath(candidate) if os.path.islink(candidate) else candidate
            self._reals[path] = hit
        return hit

    def inside(self, path: Path) -> bool:
        """Whether the path, symlinks resolved, lies inside a repository root. Without any root (no
        discovery yet) nothing is confined."""
        if not self.roots:
            return True
        try:
            real = self._real(os.path.abspath(path))
        except (OSError, ValueError):
            return False
        return any(real == str(r) or real.startswith(str(r).rstrip(os.sep) + os.sep) for r in self.roots)

    # -- probes -----------------------------------------------------------------------------------------------
    def kind(self, path: Path) -> str:
        """"file", "dir", "other", "missing", or "outside" (never tested) for a path; recorded."""
        if path in self.overlay:
            return "missing" if self.overlay[path] is None else "file"
        key = os.path.abspath(path)  # `..` taken away as text, as inside() judged it and as the warm run checks
        if not self.inside(path):
            self.probes[key] = "outside"
            return "outside"
        found = self.probes.get(key)
        if found is None:
            # the path exactly as inside() judged it: `..` taken away as text first, as Mix, flyctl and Docker
            # do, so a `link/..` can never be judged inside and then opened outside
            found = self.probes[key] = kind_of(key)
        return found

    def locate(self, path: Path) -> str:
        """kind() without confinement, for finding a repository root itself (a `.git`, `fly.toml` or
        `mix.exs` in an ancestor folder of a path the user named); recorded like every probe. Only the
        existence and kind of the path are learned, never its content."""
        key = os.path.abspath(path)
        found = self.probes.get(key)
        if found is None or found == "outside":
            found = self.probes[key] = kind_of(key)
        return found

    def is_file(self, path: Path) -> bool:
        return self.kind(path) == "file"

    def is_dir(self, path: Path) -> bool:
        return self.kind(path) == "dir"

    def exists(self, path: Path) -> bool:
        return self.kind(path) == "file"

    def listdir(self, folder: Path, below_listed: bool = False) -> list[Entry]:
        """The entries of a folder inside the repository, sorted by name; [] when it cannot be listed. What was
        seen is recorded as it is seen (resultcache.listing's digest): a file added later, during this run or
        after it, makes a cached result stale even when the folder's mtime does not move."""
        from fly_cluster_lint.resultcache import listing_digest

        # below_listed: a real (not symlinked) folder found in a listing of a folder that was inside: inside
        # too, without resolving every component of its path again (a walk of thousands of folders)
        if not below_listed and not self.inside(folder):
            return []
        out = []
        seen = []
        where = os.path.abspath(folder)
        stamp = _stamp(where)  # taken before the listing: an entry added after it changes the folder's ctime
        try:
            with os.scandir(where) as entries:
                for entry in entries:
                    try:
                        symlink = entry.is_symlink()
                        kind = "dir" if entry.is_dir() else "file" if entry.is_file() else "other"
                    except OSError:
                        seen.append(entry.name + "\0?")
                        continue
                    seen.append(entry.name + "\0" + ("l" if symlink else kind[0]))
                    out.append(Entry(entry.name, folder, kind, symlink))
        except OSError:
            self.folders.setdefault(where, (None, None))
            return []
        self.folders.setdefault(where, (stamp, listing_digest(seen)))
        out.sort(key=lambda e: e.name)
        return out

    def walk_files(self, top: Path, suffix: str) -> list[Path]:
        """Files ending in `suffix` below a folder, each folder's files before its subfolders (by name). The
        top folder may be a symlink
        that stays inside the repository; symlinked folders below it are never followed."""
        if self.kind(top) != "dir":
            return []
        out: list[Path] = []
        stack = [top]
        while stack:
            folder = stack.pop()
            entries = self.listdir(folder)
            out.extend(e.path for e in entries if e.kind == "file" and e.name.endswith(suffix))
            stack.extend(reversed([e.path for e in entries if e.kind == "dir" and not e.symlink]))
        return out

    # -- contents ---------------------------------------------------------------------------------------------
    def source(self, path: Path, limit: int = MAX_BYTES, anywhere: bool = False) -> SourceFile | None:
        """The file, or None when it does not exist. Unreadable files raise ParseError. `anywhere`: a file
        the user named on the command line (--config), which may lie outside the repository."""
        found = self._sources.get(path, False)
        if found is False:
            found = self._read(path, limit, anywhere)
            self._sources[path] = found
            if isinstance(found, SourceFile):
                self._by_display[found.display] = found
        if isinstance(found, ParseError):
            raise found
        return found

    def _read(self, path: Path, limit: int, anywhere: bool) -> SourceFile | ParseError | None:
        if path in self.overlay:
            data = self.overlay[path]
            return None if data is None else SourceFile(path, display(path), data)
        kind = "file" if anywhere and os.path.isfile(path) else self.kind(path)
        if kind == "outside":
            return ParseError(OUTSIDE, 1, 1)
        if kind != "file":
            return None
        try:
            with open(os.path.abspath(path), "rb") as handle:  # the path inside() judged (see kind())
                data = handle.read(limit + 1)
        except OSError as exc:
            self.unreadable.add(os.path.abspath(path))
            return ParseError(f"cannot read file: {exc.strerror or exc}", 1, 1)
        from fly_cluster_lint.resultcache import digest

        self.reads[os.path.abspath(path)] = digest(data)
        self._read_since.append(path)
        if len(data) > limit:
            try:
                size = os.stat(os.path.abspath(path)).st_size / (1024 * 1024)
            except OSError:
                size = len(data) / (1024 * 1024)
            return ParseError(f"file too large to lint ({size:.1f} MiB; the limit is {limit / (1024 * 1024):g} MiB)",
                              1, 1)
        if path.name == ".dockerignore":
            self._ignore_files.append(path)
        return SourceFile(path, display(path), data)

    def release_models(self, keep: set | frozenset = frozenset()) -> None:
        """Forget every model parsed since the last call, and the bytes of every file read since then unless
        its displayed path is in `keep` (the files a report shows: findings, fixes, suppressions). Called after
        each app, so memory stays flat however many apps a repository has. A file asked for again is read
        and parsed again. Linear over a whole run: each model and file is looked at once."""
        for key in self._recent:
            self._parsed.pop(key, None)
        self._recent = []
        for path in self._read_since:
            found = self._sources.get(path)
            if isinstance(found, SourceFile) and found.display not in keep and path not in self.overlay:
                del self._sources[path]
                if self._by_display.get(found.display) is found:
                    del self._by_display[found.display]
        self._read_since = []


    def comments(self) -> list[tuple[SourceFile, list[tuple[int, int]]]]:
        """Files parsed since the last call, with the byte ranges of their comments (from each parser's
        model); .dockerignore files, which have no model, line by line. Each file is returned once."""
        out = []
        for key in self._unreported:
            path = key[0]
            model, _ = self._parsed.get(key, (None, None))
            comments = getattr(model, "comments", None) if path not in self._reported else None
            if model is None or comments is None:
                continue
            self._reported.add(path)
            out.append((model.source, comments))
        self._unreported = []
        for path in self._ignore_files:
            source = self._sources.get(path)
            if path not in self._reported and isinstance(source, SourceFile):
                self._reported.add(path)
                out.append((source, _line_comments(source)))
        self._ignore_files = []
        return out

    def of_span(self, span) -> SourceFile | None:
        """The file a span was reported in (spans carry the displayed path)."""
        return self._by_display.get(span.file)

    def sources(self) -> list[SourceFile]:
        return [s for s in self._sources.values() if isinstance(s, SourceFile)]

    def by_display(self) -> dict[str, SourceFile]:
        """Every file read, by the path spans carry."""
        return self._by_display

    def parse(self, path: Path, kind: str, parser: Callable[[SourceFile], Any]) -> tuple[Any, ParseError | None]:
        """(model, None), (None, error), or (None, None) when the file does not exist."""
        key = (path, kind)
        found = self._parsed.get(key)
        if found is None:
            try:
                source = self.source(path)
                found = (parser(source), None) if source is not None else (None, None)
            except ParseError as exc:
                found = (None, exc)
            except RecursionError:
                found = (None, ParseError("file is nested too deeply to analyse", 1, 1))
            self._parsed[key] = found
            self._recent.append(key)
            self._unreported.append(key)
        return found

    def toml(self, path: Path):
        from fly_cluster_lint.parsers.toml import parse_toml

        return self.parse(path, "toml", parse_toml)

    def toml_values(self, path: Path) -> dict:
        doc, _ = self.toml(path)
        return doc.values if doc is not None else {}

    def dockerfile(self, path: Path):
        from fly_cluster_lint.parsers.dockerfile import parse_dockerfile

        return self.parse(path, "dockerfile", parse_dockerfile)

    def elixir(self, path: Path):
        from fly_cluster_lint.parsers.elixir import parse_elixir

        return self.parse(path, "elixir", parse_elixir)


def _line_comments(source: SourceFile) -> list[tuple[int, int]]:
    """.dockerignore: a line whose first non-blank character is `#` is a comment."""
    out = []
    for line in range(1, source.line_count + 1):
        span = source.line_span(line)
        text = source.data[span.start_byte:span.end_byte]
        if text.lstrip().startswith(b"#"):
            out.append((span.start_byte + len(text) - len(text.lstrip()), span.end_byte))
    return out


SETTLED_NS = 2_000_000_000  # a folder changed less than this long ago may change again within its timestamp tick


def _stamp(folder: str) -> tuple | None:
    """(mtime, ctime, inode) of a folder, which a warm run compares before listing it again; None when the
    folder changed too recently for its timestamps to tell a later change apart (coarse file systems tick in
    seconds), so that the warm run lists it. Setting the mtime back (os.utime) moves the ctime, which no
    user can set."""
    import time

    try:
        info = os.stat(folder)
    except OSError:
        return None
    if time.time_ns() - max(info.st_mtime_ns, info.st_ctime_ns) < SETTLED_NS:
        return None
    return (info.st_mtime_ns, info.st_ctime_ns, info.st_ino)

