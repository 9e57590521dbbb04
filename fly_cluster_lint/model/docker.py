"""What the Dockerfile does with the release: the stage that runs `mix release`, what it copies before,
`.dockerignore`, the final stage's command, and ENV that only a builder stage sets."""

from __future__ import annotations

import fnmatch
import posixpath
from typing import TYPE_CHECKING

from fly_cluster_lint.files import runs_mix_release

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


def release_instruction(dockerfile: Any) -> tuple[Any, Any] | None:
    """(stage, instruction) of the first `RUN mix release`."""
    for stage in dockerfile.stages:
        for ins in stage.instructions:
            if runs_mix_release(ins):
                return stage, ins
    return None


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

    __slots__ = ("ships", "reason", "ignored", "release", "target")

    def __init__(self, ships: bool, reason: str = "", ignored=None, release=None, target=None) -> None:
        self.ships, self.reason, self.ignored, self.release, self.target = ships, reason, ignored, release, target


def packaging(app: Any) -> Packaging:
    docker = app.dockerfile
    if docker is None or app.mix_error is not None:
        return Packaging(True)
    if not (app.files.is_dir(app.rel_dir) or app.files.exists(app.env_sh_path)):
        return Packaging(True)  # no templates folder at all: FCL002 says so
    found = release_instruction(docker)
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
    return Packaging(False, f"the Dockerfile never copies {target}/ before `RUN mix release`", None, found, target)


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
