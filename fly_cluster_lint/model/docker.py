"""What the Dockerfile does with the release: the stage that runs `mix release`, what it copies before,
`.dockerignore`, the final stage's command, and ENV that only a builder stage sets."""

from __future__ import annotations

import fnmatch
import posixpath
from functools import lru_cache
TYPE_CHECKING = False  # typing is never imported at run time (start-up time)


if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


def release_instruction(dockerfile: Any, files: Any = None, context: Path | None = None) -> tuple[Any, Any] | None:
    """(stage, instruction) of the first RUN that builds the release: `mix release` itself, or (when the
    repository can be read) a `just`/`make` recipe or a script that runs it."""
    for stage in dockerfile.stages:
        for ins in stage.instructions:
            if ins.keyword == "RUN" and builds_release(ins, files, context):
                return stage, ins
    return None


RUNNERS = {"just": ("justfile", "Justfile", ".justfile"), "make": ("Makefile", "makefile", "GNUmakefile")}


def run_lines(ins: Any) -> list[list]:
    """The commands a RUN instruction runs (shell form parsed as shell, exec form as its words)."""
    return [list(words) for words in _run_lines(ins.raw.strip(), ins.heredoc or "")]


@lru_cache(maxsize=256)
def _run_lines(raw: str, heredoc: str) -> tuple:
    from fly_cluster_lint.model.script import parse_commands

    if raw.startswith("["):
        words = _json_strings(raw)
        if words is not None:
            return (tuple(words),)
    found = parse_commands(raw + ("\n" + heredoc if heredoc else ""))
    return tuple(tuple(words) for words in found or ())


def builds_release(ins: Any, files: Any = None, context: Path | None = None, depth: int = 0) -> bool | None:
    """Whether a RUN builds the release: True (`mix release`, `mix do ..., release`, or a recipe, target or
    script of the repository that runs it), False, or None when a runner's file cannot be read."""
    lines = run_lines(ins) if depth == 0 else ins
    unknown = False
    for words in lines:
        found = _command_builds_release(words, files, context, depth)
        if found:
            return True
        unknown = unknown or found is None
    return None if unknown else False


def _command_builds_release(words: list, files: Any, context: Path | None, depth: int) -> bool | None:
    words = [w for w in words]
    while words and words[0] is not None and ("=" in words[0] and not words[0].startswith("-")):
        words = words[1:]  # MIX_ENV=prod mix release
    if not words or words[0] is None:
        return None if words else False
    program = posixpath.basename(words[0])
    rest = [w for w in words[1:] if w is not None]
    if program == "mix":
        tasks = [w.strip(",") for w in rest if not w.startswith("-")]
        return bool(tasks) and (tasks[0] == "release" or (tasks[0] == "do" and "release" in tasks[1:]))
    if depth >= 3 or files is None or context is None:
        return None if program in RUNNERS or "/" in words[0] else False
    if program in RUNNERS:
        targets = [w for w in rest if not w.startswith("-") and "=" not in w]
        body = _recipe(files, context, program, targets[0] if targets else None)
        if body is None:
            return None
        return _lines_build_release(body, files, context, depth + 1)
    if program in ("sh", "bash", "dash", "ash") and rest:
        words = rest
    if "/" in words[0] or words[0].endswith(".sh"):
        path = context / posixpath.normpath(words[0].lstrip("./") if words[0].startswith("./") else words[0])
        if not words[0].startswith("/") and files.is_file(path):
            source = files.source(path)
            return _lines_build_release(source.data.decode("utf-8", "replace"), files, context, depth + 1) \
                if source is not None else None
        return None
    return False


def _lines_build_release(text: str, files: Any, context: Path, depth: int) -> bool | None:
    from fly_cluster_lint.model.script import parse_commands

    lines = parse_commands("\n".join(line.lstrip("@-") for line in text.splitlines()))
    if lines is None:
        return None
    return builds_release(lines, files, context, depth)


def _recipe(files: Any, context: Path, runner: str, target: str | None) -> str | None:
    """The command lines of a just recipe or make target (and of the recipes it depends on), as text."""
    from fly_cluster_lint.parsers import ParseError

    for name in RUNNERS[runner]:
        try:
            source = files.source(context / name)
        except ParseError:
            return None
        if source is None:
            continue
        lines = source.data.decode("utf-8", "replace").splitlines()
        return _recipe_body(lines, target, set())
    return None


def _recipe_body(lines: list[str], target: str | None, seen: set) -> str | None:
    """A recipe's indented body, its dependencies' bodies first; the first recipe when no target is named."""
    for index, line in enumerate(lines):
        if not line or line[0] in " \t#" or ":" not in line or line.lstrip().startswith(("export ", "set ")):
            continue
        head, _, deps = line.partition(":")
        if deps.startswith("="):
            continue  # `name := value`
        names = head.replace("@", " ").split()
        if not names or (target is not None and names[0] != target):
            continue
        if names[0] in seen:
            return ""
        seen.add(names[0])
        body = []
        for follower in lines[index + 1:]:
            if follower and follower[0] not in " \t":
                break
            body.append(follower.strip())
        before = [_recipe_body(lines, dep, seen) or "" for dep in deps.split() if dep.isidentifier()]
        return "\n".join(before + body)
    return None


def release_evidence(dockerfile: Any, files: Any, context: Path) -> str | None:
    """Why the image recognisably holds no Elixir release (then its Fly config is skipped), or None when it
    may: a RUN that builds a release (directly, through a recipe, target or script, or one the tool cannot
    read), a release copied in (`_build/.../rel/...`), or anything Elixir-like in the build."""
    for stage in dockerfile.stages:
        for ins in stage.instructions:
            if ins.keyword == "RUN":
                found = builds_release(ins, files, context)
                if found is not False:
                    return None
                if any(words and words[0] is not None and posixpath.basename(words[0]) in ("mix", "elixir", "iex")
                       for words in run_lines(ins)):
                    return None
            elif ins.keyword in ("COPY", "ADD"):
                if any("_build/" in w.text and "/rel" in w.text or w.text.endswith("_build") for w in ins.words):
                    return None
        if "elixir" in (stage.base or "").lower():
            return None
    return "its Dockerfile builds no Elixir release (no `mix release`, no recipe or script that runs it, no " \
           "release copied in)"


def copies_before(dockerfile: Any, stage: Any, until: Any, target: str) -> Any | None:
    """The COPY/ADD (from the build context) in the stage's lineage, before `until`, whose sources cover
    `target` (a path relative to the build context, e.g. "rel"). None when nothing copies it."""
    for each in dockerfile.lineage(stage):
        for ins in each.instructions:
            if ins is until:
                return None
            if ins.keyword not in ("COPY", "ADD"):
                continue
            words = [w.text for w in ins.words]
            if any(w.startswith("--from") for w in words):
                continue
            sources = [w for w in words if not w.startswith("--")][:-1]
            for source in sources:
                if covers(source, target):
                    return ins
    return None


def covers(source: str, target: str) -> bool:
    source = posixpath.normpath(source.strip("/") or ".")
    target = posixpath.normpath(target)
    if source in (".", "*"):
        return True
    if any(ch in source for ch in "*?["):
        first = target.split("/")[0]
        return fnmatch.fnmatch(target, source) or fnmatch.fnmatch(first, source)
    return target == source or target.startswith(source + "/")


def dockerignore_excludes(files: Any, context: Path, target: str) -> tuple[int, str] | None:
    """(line, pattern) of the .dockerignore rule that leaves `target` out of the build context, if any."""
    from fly_cluster_lint.parsers import ParseError

    try:
        source = files.source(context / ".dockerignore")
    except ParseError:
        return None
    if source is None:
        return None
    lines = [source.line_text(n) for n in range(1, source.line_count + 1)]
    verdict: tuple[int, str] | None = None
    for number, line in enumerate(lines, 1):
        pattern = line.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        pattern = posixpath.normpath(pattern.lstrip("!").strip("/")) if pattern.lstrip("!").strip("/") else "."
        hit = _ignore_match(pattern, target)
        if hit:
            verdict = None if negate else (number, line.strip())
    return verdict


def _ignore_match(pattern: str, target: str) -> bool:
    parts = target.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if fnmatch.fnmatch(prefix, pattern) or (pattern.startswith("**/") and fnmatch.fnmatch(prefix, pattern[3:])):
            return True
    return pattern == "."


def final_command(dockerfile: Any) -> tuple[list[str], Any, list[str], list[str]] | None:
    """The words the final image runs (ENTRYPOINT + CMD, exec or shell form), the instruction, and the
    ENTRYPOINT and CMD words apart (fly.toml may replace either)."""
    final = dockerfile.final
    if final is None:
        return None
    entry = cmd = None
    for each in dockerfile.lineage(final):
        for ins in each.instructions:
            if ins.keyword == "ENTRYPOINT":
                entry, cmd = ins, None  # a new ENTRYPOINT resets an inherited CMD
            elif ins.keyword == "CMD":
                cmd = ins
    entry_words = command_words(entry) if entry is not None else []
    cmd_words = command_words(cmd) if cmd is not None else []
    where = entry or cmd
    return (entry_words + cmd_words, where, entry_words, cmd_words) if where is not None else None


def command_words(ins: Any) -> list[str]:
    """The words of CMD/ENTRYPOINT: the exec form's JSON array of strings, else the shell form, which
    Docker runs as `/bin/sh -c "<text>"`."""
    raw = ins.raw.strip()
    if raw.startswith("["):
        value = _json_strings(raw)
        if value is not None:
            return value
    return ["/bin/sh", "-c", raw] if raw else []


def _json_strings(raw: str) -> list[str] | None:
    """A JSON array of strings, read without importing json (it costs start-up time on every run)."""
    out: list[str] = []
    i, n = 1, len(raw)
    escapes = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
    while i < n:
        ch = raw[i]
        if ch in " \t,":
            i += 1
        elif ch == "]":
            return out if raw[i + 1:].strip() == "" else None
        elif ch == '"':
            i += 1
            text = []
            while i < n and raw[i] != '"':
                if raw[i] == "\\" and i + 1 < n:
                    nxt = raw[i + 1]
                    if nxt == "u":
                        digits = raw[i + 2:i + 6]
                        if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                            return None  # not JSON: Docker runs the line in the shell form
                        text.append(chr(int(digits, 16)))
                        i += 6
                        continue
                    text.append(escapes.get(nxt, nxt))
                    i += 2
                    continue
                text.append(raw[i])
                i += 1
            if i >= n:
                return None
            out.append("".join(text))
            i += 1
        else:
            return None
    return None


def builder_only_env(dockerfile: Any, var: str) -> list[Any]:
    """ENV settings of `var` in stages the final stage does not inherit."""
    final = dockerfile.final
    if final is None:
        return []
    inherited = {s.index for s in dockerfile.lineage(final)}
    out = []
    for stage in dockerfile.stages:
        if stage.index in inherited:
            continue
        for ins in stage.instructions:
            if ins.keyword == "ENV":
                out += [e for e in ins.env if e.key == var]
    return out


# -- build-time values ---------------------------------------------------------------------------------------

def _expand_build(parts: tuple, known: dict) -> str:
    """A Dockerfile value as Docker expands it at build time: ARG and earlier ENV values, `${X:-d}`,
    `${X:+d}`; anything unset (Fly's runtime variables included) is empty."""
    from fly_cluster_lint.parsers.words import Cmd, Eex, Lit, Var

    out = []
    for part in parts:
        if isinstance(part, Lit):
            out.append(part.text)
        elif isinstance(part, Var):
            current = known.get(part.name)
            arg = "".join(p.text for p in part.arg if isinstance(p, Lit))
            if part.op in (":-", "-"):
                unset = current is None or (part.op == ":-" and current == "")
                out.append(_expand_text(arg, known) if unset else current)
            elif part.op in (":+", "+"):
                present = current is not None and (part.op == "+" or current != "")
                out.append(_expand_text(arg, known) if present else "")
            elif part.op == "":
                out.append(current or "")
            else:
                out.append(current or "")  # `${X#...}` and the like: kept as the plain value
        elif isinstance(part, (Cmd, Eex)):
            out.append("")
    return "".join(out)


def _expand_text(text: str, known: dict) -> str:
    """Expand `$X`/`${X...}` references inside a default word (`${A:-$B}`)."""
    if "$" not in text:
        return text
    from fly_cluster_lint.parsers.dockerfile import lex_text

    return _expand_build(lex_text(text), known)


def stage_values(dockerfile: Any, stage: Any, build_args: dict, until: Any = None) -> tuple[dict, list]:
    """ARG and ENV values in effect in a stage (before `until`), as Docker computes them at build time,
    and the final stage's ENV settings with their expanded values: ({name: value}, [(EnvSetting, text)])."""
    global_args: dict = {}
    for ins in dockerfile.global_args:
        for setting in ins.env:
            value = build_args.get(setting.key, _expand_build(setting.parts, global_args) if setting.parts else None)
            global_args[setting.key] = value
    env: dict = {}
    settings: list = []
    for each in dockerfile.lineage(stage):
        args: dict = {}
        for ins in each.instructions:
            if ins is until:
                return {**env, **args}, settings
            if ins.keyword == "ARG":
                for setting in ins.env:
                    if setting.key in build_args:
                        args[setting.key] = build_args[setting.key]
                    elif setting.parts:
                        args[setting.key] = _expand_build(setting.parts, {**env, **args, **global_args})
                    else:
                        args[setting.key] = global_args.get(setting.key)
            elif ins.keyword == "ENV":
                for setting in ins.env:
                    text = _expand_build(setting.parts, {**args, **env})  # ENV wins over an ARG of the same name
                    env[setting.key] = text
                    settings.append((setting, text))
    return env, settings


def final_env(dockerfile: Any, build_args: dict) -> list[tuple[Any, tuple]]:
    """(EnvSetting, value parts) of every ENV the final image has, in order, expanded at build time."""
    from fly_cluster_lint.parsers.words import Lit

    final = dockerfile.final
    if final is None:
        return []
    _, settings = stage_values(dockerfile, final, build_args)
    return [(setting, (Lit(text),) if text else ()) for setting, text in settings]


def base_image(dockerfile: Any, build_args: dict) -> str | None:
    """The image the final stage starts from (through `FROM <earlier stage>`), with global ARGs expanded."""
    final = dockerfile.final
    if final is None:
        return None
    root = dockerfile.lineage(final)[0]
    global_args: dict = {}
    for ins in dockerfile.global_args:
        for setting in ins.env:
            global_args[setting.key] = build_args.get(
                setting.key, _expand_build(setting.parts, global_args) if setting.parts else None)
    from fly_cluster_lint.parsers.dockerfile import lex_text

    return _expand_build(lex_text(root.base), global_args)


def shell_of(image: str | None) -> str:
    """The /bin/sh that runs env.sh in an image: busybox ash on Alpine (and busybox) images, else dash."""
    name = (image or "").lower()
    return "ash" if "alpine" in name or name.startswith("busybox") else "dash"


# -- does the project's env.sh.eex reach the image? -----------------------------------------------------------

class Packaging:
    """How the release stage treats the templates folder: ``ships`` True when env.sh.eex reaches `mix
    release` (or the tool cannot tell), else False with ``reason``; ``ignored`` (line, pattern) of the
    .dockerignore rule that drops it; ``release`` the (stage, instruction) that runs `mix release`;
    ``target`` the folder as the Dockerfile would copy it (relative to the build context)."""

    __slots__ = ("ships", "reason", "ignored", "release", "target", "source")

    def __init__(self, ships: bool, reason: str = "", ignored=None, release=None, target=None, source=None) -> None:
        self.ships, self.reason, self.ignored, self.release, self.target = ships, reason, ignored, release, target
        self.source = source or target  # how a COPY of the folder would name it (`apps/web/rel` from a wider context)


def packaging(app: Any) -> Packaging:
    docker = app.dockerfile
    if docker is None or app.mix_error is not None:
        return Packaging(True)
    if not (app.files.is_dir(app.rel_dir) or app.files.exists(app.env_sh_path)):
        return Packaging(True)  # no templates folder at all: FCL002 says so
    found = release_instruction(docker, app.files, app.docker_context)
    target = app.context_path(app.rel_dir)
    if found is None or target is None:
        return Packaging(True)
    ignored = dockerignore_excludes(app.files, app.docker_context, target + "/env.sh.eex")
    if ignored is not None:
        return Packaging(False, f".dockerignore rule `{ignored[1]}` leaves {target}/ out of the build context",
                         ignored, found, target)
    stage, release = found
    for prefix in _context_prefixes(app):
        if copies_before(docker, stage, release, prefix + target + "/env.sh.eex") is not None:
            return Packaging(True, release=found, target=target)
    prefix = _copy_prefix(docker, stage, release)
    return Packaging(False, f"the Dockerfile never copies {target}/ before `RUN mix release`", None, found, target,
                     prefix + target)


def _copy_prefix(dockerfile: Any, stage: Any, until: Any) -> str:
    """The path the Dockerfile puts before the project's own folders in its COPY sources (`apps/web/` in
    `COPY apps/web/lib lib`), "" when it copies them as they are."""
    for each in dockerfile.lineage(stage):
        for ins in each.instructions:
            if ins is until:
                return ""
            if ins.keyword not in ("COPY", "ADD") or any(w.text.startswith("--from") for w in ins.words):
                continue
            for source in [w.text for w in ins.words if not w.text.startswith("--")][:-1]:
                source = posixpath.normpath(source)
                for member in ("lib", "config", "mix.exs", "priv"):
                    if source.endswith("/" + member):
                        return source[: -len(member)]
    return ""


def _context_prefixes(app: Any) -> list[str]:
    """Paths from wider build contexts down to the usual one: a Dockerfile built from a folder above the app
    (`COPY apps/web/rel rel`) copies the same templates under a longer source path."""
    out = [""]
    context = app.docker_context
    for folder in context.parents:
        try:
            out.append(context.relative_to(folder).as_posix() + "/")
        except ValueError:
            break
        if folder == app.spec.repo_root:
            break
    return out


# -- files the build rewrites ---------------------------------------------------------------------------------

def rewritten_files(app: Any) -> dict:
    """Repository files the release stage replaces or edits before `mix release` (`RUN cp x
    config/runtime.exs`, `RUN envsubst < t > rel/env.sh.eex`, a COPY of another file onto it): {path: the
    instruction's span}. Rules that read such a file stay silent (the tool cannot follow the build)."""
    from fly_cluster_lint.model.image import _resolve_in
    from fly_cluster_lint.model.script import parse_statements, written_paths

    docker = app.dockerfile
    found = app.packaging.release if docker is not None else None
    if found is None:
        return {}
    stage, release = found
    out: dict = {}
    for each in docker.lineage(stage):
        current = "/"
        copies_seen: list = []
        for ins in each.instructions:
            if ins is release:
                return out
            if ins.keyword == "WORKDIR" and ins.words:
                current = posixpath.normpath(posixpath.join(current, ins.words[0].text))
            elif ins.keyword == "RUN":
                raw = ins.raw.strip()
                program = parse_statements(raw + ("\n" + ins.heredoc if ins.heredoc else "")) if not \
                    raw.startswith("[") else None
                for path in written_paths(program or ()):
                    target = posixpath.normpath(posixpath.join(current, path))
                    mapped = _resolve_in(app, each, target, 0)
                    if mapped is not None and mapped[0] == "repo":
                        out.setdefault(mapped[1], ins.span)
            elif ins.keyword in ("COPY", "ADD"):
                plain = [w.text for w in ins.words if not w.text.startswith("--")]
                if len(plain) == 2 and not any(w.text.startswith("--from") for w in ins.words):
                    source, dest = plain
                    target = posixpath.normpath(posixpath.join(current, dest))
                    if dest.endswith("/"):
                        continue
                    for path in _watched(app):
                        rel = app.context_path(path)
                        if rel is not None and posixpath.normpath(source) != rel and \
                                target == posixpath.normpath(posixpath.join(current, rel)) and \
                                posixpath.basename(source) != posixpath.basename(rel):
                            out.setdefault(path, ins.span)
    return out


def _watched(app: Any) -> list:
    config = app.spec.project / "config"
    return [app.env_sh_path, app.rel_dir / "vm.args.eex", app.rel_dir / "remote.vm.args.eex",
            config / "runtime.exs", config / "config.exs", config / "prod.exs", config / "releases.exs"]


def declared_args(dockerfile: Any, stage: Any) -> set:
    """Names declared with ARG in a stage's lineage (build values, whatever their names)."""
    return {setting.key for each in dockerfile.lineage(stage) for ins in each.instructions if ins.keyword == "ARG"
            for setting in ins.env}
