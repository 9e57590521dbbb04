"""Every file is read once and parsed once per run, whichever app or rule asks for it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fly_cluster_lint.parsers import ParseError
from fly_cluster_lint.paths import display
from fly_cluster_lint.source import SourceFile

if TYPE_CHECKING:
    from typing import Any, Callable

# Project files this tool reads are a few KiB; a larger one is reported (FCL001) rather than parsed, so a
# stray generated file cannot make a pre-commit hook take seconds.
MAX_BYTES = 2 * 1024 * 1024


class FileCache:
    def __init__(self, overlay: dict | None = None) -> None:
        # Contents that replace what is on disk (path -> bytes, or None for a file removed): how --fix and
        # --diff lint the result of their edits before anything is written.
        self.overlay: dict[Path, bytes | None] = dict(overlay or {})
        self.roots: list[Path] = []  # repository roots: symlinks that lead outside them are not followed
        self.folders: set[str] = set()  # folders listed or probed: their mtimes validate a cached result
        self._reported: set[Path] = set()  # files whose comments were handed out
        self._ignore_files: list[Path] = []  # .dockerignore files read
        self._sources: dict[Path, SourceFile | ParseError | None] = {}
        self._by_display: dict[str, SourceFile] = {}
        self._parsed: dict[tuple, tuple[Any, ParseError | None]] = {}

    def source(self, path: Path) -> SourceFile | None:
        """The file, or None when it does not exist. Unreadable files raise ParseError."""
        found = self._sources.get(path, False)
        if found is False:
            found = self._read(path)
            self._sources[path] = found
            if isinstance(found, SourceFile):
                self._by_display[found.display] = found
        if isinstance(found, ParseError):
            raise found
        return found

    def _read(self, path: Path) -> SourceFile | ParseError | None:
        self.note(path.parent)
        if path in self.overlay:
            data = self.overlay[path]
            return None if data is None else SourceFile(path, display(path), data)
        try:
            if not path.is_file():
                return None
            if self.roots:
                target = path.resolve()
                if not any(r in target.parents for r in self.roots):
                    return ParseError(f"a symlink to {target}, outside the repository: not followed", 1, 1)
            size = path.stat().st_size
            if size > MAX_BYTES:
                return ParseError(f"file too large to lint ({size / (1024 * 1024):.1f} MiB; the limit is "
                                  f"{MAX_BYTES // (1024 * 1024)} MiB)", 1, 1)
            data = path.read_bytes()
            if path.name == ".dockerignore":
                self._ignore_files.append(path)
        except OSError as exc:
            return ParseError(f"cannot read file: {exc.strerror or exc}", 1, 1)
        return SourceFile(path, display(path), data)

    def release_models(self) -> None:
        """Forget the models that hold parse trees (Elixir, env.sh.eex); the bytes stay for code frames and
        the result cache, and the small TOML and Dockerfile models stay (discovery read them all)."""
        for key in [k for k in self._parsed if k[1] in ("elixir", "env_sh", "vm_args")]:
            del self._parsed[key]

    def note(self, folder: Path) -> None:
        """Remember a folder whose listing the result depends on (the nearest one that exists)."""
        current = folder
        while not current.is_dir() and current.parent != current:
            current = current.parent
        self.folders.add(str(current))

    def inputs(self) -> dict[str, bytes | None]:
        """Every file this run looked for: its bytes, or None when it was absent or unreadable."""
        return {str(p): (s.data if isinstance(s, SourceFile) else None) for p, s in self._sources.items()}

    def comments(self) -> list[tuple[SourceFile, list[tuple[int, int]]]]:
        """Files parsed since the last call, with the byte ranges of their comments (from each parser's
        model); .dockerignore files, which have no model, line by line. Each file is returned once."""
        out = []
        for (path, _), (model, _) in self._parsed.items():
            comments = getattr(model, "comments", None) if path not in self._reported else None
            if model is None or comments is None:
                continue
            self._reported.add(path)
            out.append((model.source, comments))
        for path in self._ignore_files:
            source = self._sources.get(path)
            if path not in self._reported and isinstance(source, SourceFile):
                self._reported.add(path)
                out.append((source, _line_comments(source)))
        return out

    def of_span(self, span) -> SourceFile | None:
        """The file a span was reported in (spans carry the displayed path)."""
        return self._by_display.get(span.file)

    def sources(self) -> list[SourceFile]:
        return [s for s in self._sources.values() if isinstance(s, SourceFile)]

    def by_display(self) -> dict[str, SourceFile]:
        """Every file read, by the path spans carry."""
        return self._by_display

    def exists(self, path: Path) -> bool:
        if path in self.overlay:
            return self.overlay[path] is not None
        return path.is_file()

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

    def dockerfile_runs_mix_release(self, path: Path) -> bool | None:
        """True/False when the Dockerfile parses, None when it does not (then the app is linted anyway)."""
        doc, _ = self.dockerfile(path)
        if doc is None:
            return None
        return any(runs_mix_release(ins) for stage in doc.stages for ins in stage.instructions)


def runs_mix_release(instruction: Any) -> bool:
    if instruction.keyword != "RUN":
        return False
    text = instruction.raw + "\n" + instruction.heredoc
    for command in text.replace("&&", ";").replace("||", ";").replace("\n", ";").split(";"):
        words = [w for w in command.split() if "=" not in w or w.startswith("-")]
        if "mix" in words:
            after = words[words.index("mix") + 1 :]
            if after and after[0] in ("release", "do") and "release" in [w.strip(",") for w in after]:
                return True
    return False


def _line_comments(source: SourceFile) -> list[tuple[int, int]]:
    """.dockerignore: a line whose first non-blank character is `#` is a comment."""
    out = []
    for line in range(1, source.line_count + 1):
        span = source.line_span(line)
        text = source.data[span.start_byte:span.end_byte]
        if text.lstrip().startswith(b"#"):
            out.append((span.start_byte + len(text) - len(text.lstrip()), span.end_byte))
    return out
