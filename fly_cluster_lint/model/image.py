"""What the image runs, followed to the release's own start.

The machine runs the final stage's ENTRYPOINT and CMD, or what fly.toml puts in their place (`[processes]`
replaces CMD, `[experimental] cmd`/`entrypoint` replace CMD/ENTRYPOINT). A word of that command is mapped
back to the repository through the final stage's COPY/ADD (source to destination, WORKDIR-relative,
`--from` stages followed into the release `mix release` builds there), never by file name alone; wrappers
(tini, dumb-init, env, exec, gosu, su-exec, nohup, nice, `sh -c`) are seen through; a repository script is
parsed and run symbolically (model/script.py) to find what it execs (`exec "$@"`, `exec ./hello start`).

"Starts the release" means the release's own script with a start command (`bin/<release> start`,
`start_iex`, `daemon`, `daemon_iex`; other release commands count as the release too), or an overlay script
(`rel/overlays/bin/server`) or repository script that runs one. Not any word containing `bin/`: /usr/bin/tini,
/bin/sh and /usr/local/bin/... are programs of the base image. The repository scripts on the way are a
layer of the effective environment (their exports reach the release), between fly.toml and env.sh.eex.
"""

from __future__ import annotations

import posixpath
TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.records import Record

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

RELEASE_STARTS = ("start", "start_iex", "daemon", "daemon_iex")
DISTILLERY = ("foreground", "console", "console_clean")
# wrapper program -> how its own arguments end: "options" (flags, then `--` or the program), "user" (one
# argument: the user), "env" (VAR=value words), "none"
WRAPPERS = {"tini": "options", "tini-static": "options", "dumb-init": "options", "catatonit": "options",
            "env": "env", "exec": "none", "nohup": "none", "nice": "options", "gosu": "user", "su-exec": "user",
            "authbind": "options", "setsid": "options", "stdbuf": "options", "chpst": "options"}
SHELLS = ("sh", "bash", "dash", "ash", "zsh")
MAX_DEPTH = 6


class Script(Record):
    """A repository script the image runs before the release: its path, parsed model and arguments."""

    __slots__ = ("path", "model", "args")


class Trace(Record):
    """Where a command leads: ``outcome`` "release" (the release's own script; ``words`` its command line),
    "mix" (`mix phx.server`, `iex -S mix`), "distillery" (`bin/app foreground`), "no-release" (a
    repository script that never runs the release), or "unknown" (the tool cannot tell: stay silent);
    ``scripts`` the repository scripts on the way."""

    __slots__ = ("outcome", "words", "scripts", "detail")
    _defaults = {"words": list, "scripts": list, "detail": ""}


# -- the command each machine runs ---------------------------------------------------------------------------

def commands(app: Any) -> list[tuple[str, list, Any]]:
    """(where, words, span) of every command the app's machines run: one per fly.toml process group, else the
    Dockerfile's ENTRYPOINT + CMD (as fly.toml's [experimental] section may replace them)."""
    from fly_cluster_lint.model.docker import final_command

    entry, cmd, span = [], [], None
    if app.dockerfile is not None and app.dockerfile.final is not None:
        found = final_command(app.dockerfile)
        if found is not None:
            entry, cmd, span = found[2], found[3], found[1].span
    toml = app.toml
    experimental = toml.get("experimental", default={}) if toml is not None else {}
    if isinstance(experimental, dict):
        if _strings(experimental.get("entrypoint")) is not None and experimental.get("entrypoint"):
            entry, span = _strings(experimental["entrypoint"]), toml.value_span(("experimental", "entrypoint")) or span
        if _strings(experimental.get("cmd")) is not None and experimental.get("cmd"):
            cmd, span = _strings(experimental["cmd"]), toml.value_span(("experimental", "cmd")) or span
    processes = toml.get("processes", default={}) if toml is not None else {}
    out = []
    if isinstance(processes, dict) and processes:
        for name, line in processes.items():
            if isinstance(line, str) and line.strip():
                out.append((f"[processes] {name}", entry + split_words(line), toml.value_span(("processes", name))))
    if not out and (entry or cmd):
        out.append(("Dockerfile", entry + cmd, span))
    return out


def _strings(found: Any) -> list | None:
    if isinstance(found, str):
        return split_words(found)
    if isinstance(found, list) and all(isinstance(w, str) for w in found):
        return list(found)
    return None


def split_words(line: str) -> list:
    """A command line split as a shell splits words (quotes removed); a word with an expansion is kept as
    written."""
    out, word, quote, started = [], [], "", False
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"' and i + 1 < len(line):
                i += 1
                word.append(line[i])
            else:
                word.append(ch)
        elif ch in "\"'":
            quote, started = ch, True
        elif ch.isspace():
            if started:
                out.append("".join(word))
            word, started = [], False
        elif ch == "\\" and i + 1 < len(line):
            i += 1
            word.append(line[i])
            started = True
        else:
            word.append(ch)
            started = True
        i += 1
    if started:
        out.append("".join(word))
    return out


# -- following a command ---------------------------------------------------------------------------------------

def trace(app: Any, words: list, cwd: str | None = None, depth: int = 0, scripts: list | None = None) -> Trace:
    """Where a command line (words, None for a word the tool cannot know) leads."""
    scripts = list(scripts or [])
    if cwd is None:
        cwd = workdir(app)
    words = list(words)
    while words and depth < MAX_DEPTH:
        program = words[0]
        if program is None:
            return Trace("unknown", scripts=scripts)
        base = posixpath.basename(program)
        rest = words[1:]
        if base in WRAPPERS:
            words = _unwrap(base, rest)
            continue
        if "=" in program and not program.startswith("/") and program.split("=", 1)[0].isidentifier():
            words = rest  # `VAR=value cmd` in a shell-form line
            continue
        if base in SHELLS:
            return _shell(app, rest, cwd, depth, scripts)
        release = _release_word(app, program, cwd)
        if release is not None:
            command = rest[0] if rest else None
            if command in DISTILLERY:
                return Trace("distillery", words=words, scripts=scripts, detail=command)
            return Trace("release", words=words, scripts=scripts)
        if base == "mix" or (base in ("iex", "elixir") and "-S" in rest and "mix" in rest):
            return Trace("mix", words=words, scripts=scripts)
        script = _repository_script(app, program, cwd)
        if script is not None:
            return _script(app, script, rest, cwd, depth, scripts)
        return Trace("unknown", words=words, scripts=scripts)
    return Trace("unknown", scripts=scripts)


def _unwrap(base: str, rest: list) -> list:
    kind = WRAPPERS[base]
    index = 0
    if kind == "options":
        while index < len(rest) and rest[index] is not None and rest[index].startswith("-"):
            index += 1
            if rest[index - 1] == "--":
                break
    elif kind == "user":
        index = 1
    elif kind == "env":
        while index < len(rest) and rest[index] is not None and (
                rest[index].startswith("-") or "=" in rest[index]):
            index += 1
    return rest[index:]


def _shell(app: Any, rest: list, cwd: str, depth: int, scripts: list) -> Trace:
    """`sh -c "..."` (the string is a script) or `sh script.sh args`."""
    args = [w for w in rest]
    while args and args[0] is not None and args[0].startswith("-") and args[0] not in ("-c", "-C"):
        args = args[1:]
    if args[:1] in (["-c"], ["-C"]) and len(args) >= 2:
        if args[1] is None:
            return Trace("unknown", scripts=scripts)
        model = _parse_text(args[1])
        if model is None:
            return Trace("unknown", scripts=scripts)
        return _run_model(app, Script(None, model, tuple(args[2:])), cwd, depth, scripts, keep=False)
    if args and args[0] is not None:
        script = _repository_script(app, args[0], cwd)
        if script is not None:
            return _script(app, script, args[1:], cwd, depth, scripts)
    return Trace("unknown", scripts=scripts)


def _script(app: Any, path: Path, args: list, cwd: str, depth: int, scripts: list) -> Trace:
    from fly_cluster_lint.parsers.shell import parse_env_sh

    source = app.files.source(path)
    if source is None or not _is_shell(source.data):
        return Trace("unknown", scripts=scripts)
    model, error = app.files.parse(path, "env_sh", lambda src: parse_env_sh(src, {}))
    if model is None:
        return Trace("unknown", scripts=scripts)
    return _run_model(app, Script(path, model, tuple(a if a is not None else "" for a in args)), cwd, depth,
                      scripts, keep=True)


def _run_model(app: Any, script: Script, cwd: str, depth: int, scripts: list, keep: bool) -> Trace:
    """Run a script symbolically and follow the commands it runs; the first that reaches the release wins."""
    from fly_cluster_lint.model.environment import ENTRYPOINT, Environment
    from fly_cluster_lint.model.script import Runner, _Stop

    env = Environment("start")
    env.shell = app.image_shell
    runner = Runner(env, ENTRYPOINT, None, script.args, script.model)
    runner.seen = []
    try:
        runner.run(script.model.program, certain=True)
    except (_Stop, RecursionError):
        pass
    chain = scripts + ([script] if keep else [])
    outcomes = []
    for words in runner.seen:
        result = trace(app, _with_args(words, script.args), cwd, depth + 1, chain)
        if result.outcome in ("release", "distillery", "mix"):
            return result
        outcomes.append(result.outcome)
    if keep and outcomes and all(o == "no-release" for o in outcomes) or keep and not outcomes:
        return Trace("no-release", scripts=chain, detail=str(script.path))
    if keep and all(o in ("unknown", "no-release") for o in outcomes) and not _mentions_release(app, runner.seen):
        return Trace("no-release", scripts=chain, detail=str(script.path))
    return Trace("unknown", scripts=chain)


def _with_args(words: list, args: tuple) -> list:
    """Put the script's arguments where it says `"$@"` / `$*`."""
    out = []
    for word in words:
        if word in ("$@", "$*"):
            out.extend(args)
        else:
            out.append(word)
    return out


def _mentions_release(app: Any, seen: list) -> bool:
    """Whether any command the script runs might be the release under a name the tool cannot resolve
    (a variable), in which case the tool stays silent."""
    return any(word is None for words in seen for word in words[:1])


def _is_shell(data: bytes) -> bool:
    first = data.split(b"\n", 1)[0]
    if not first.startswith(b"#!"):
        return True
    return any(name in first for name in (b"sh", b"bash", b"dash", b"ash"))


def _parse_text(text: str):
    from pathlib import Path

    from fly_cluster_lint.parsers import ParseError
    from fly_cluster_lint.parsers.shell import parse_env_sh
    from fly_cluster_lint.source import SourceFile

    try:
        return parse_env_sh(SourceFile(Path("<command>"), "<command>", text.encode("utf-8", "surrogateescape")), {})
    except (ParseError, RecursionError):
        return None


# -- names in the image ----------------------------------------------------------------------------------------

def release_names(app: Any) -> set:
    names = {r for p in app.projects for r in p.releases}
    if app.release_name:
        names.add(app.release_name)
    if app.mix_app:
        names.add(app.mix_app)
    return names


def _release_word(app: Any, program: str, cwd: str) -> str | None:
    """The release name when a program word is the release's own script."""
    mapped = resolve(app, program, cwd)
    names = release_names(app)
    if mapped is not None and mapped[0] == "release":
        rel = mapped[2]
        if rel.startswith("bin/") and rel[4:] in names:
            return rel[4:]
        return rel if rel in names else None  # `./hello` from a script that cd'ed into bin/
    if mapped is not None:
        return None
    base = posixpath.basename(program)
    if base in names and (program.startswith(("./", "../")) or "/bin/" in program or "/" not in program
                                       or "/rel/" in program):
        return base
    return None


def _repository_script(app: Any, program: str, cwd: str):
    """The repository file an image path comes from (a script the image runs), or None."""
    mapped = resolve(app, program, cwd)
    if mapped is None:
        return None
    if mapped[0] == "repo":
        return mapped[1] if app.files.is_file(mapped[1]) else None
    if mapped[0] == "release" and mapped[2].startswith("bin/"):
        overlay = app.rel_dir / "overlays" / mapped[2]  # rel/overlays/bin/server becomes bin/server
        return overlay if app.files.is_file(overlay) else None
    return None


def workdir(app: Any) -> str:
    """The final stage's working directory (where a relative CMD word is looked up)."""
    docker = app.dockerfile
    current = "/"
    if docker is None or docker.final is None:
        return current
    for each in docker.lineage(docker.final):
        for ins in each.instructions:
            if ins.keyword == "WORKDIR" and ins.words:
                current = posixpath.normpath(posixpath.join(current, ins.words[0].text))
    return current


def resolve(app: Any, path: str, cwd: str | None = None) -> tuple | None:
    """Where a path of the final image comes from: ("repo", Path) for a file copied from the build
    context, ("release", name, path inside the release) for a file of a release `mix release` built in a
    stage, or None (the base image, or the tool cannot tell)."""
    docker = app.dockerfile
    if docker is None or docker.final is None or not path:
        return None
    if "/" not in path:
        return None  # looked up on PATH: a program of the image
    target = posixpath.normpath(posixpath.join(cwd or workdir(app), path))
    return _resolve_in(app, docker.final, target, 0)


def _resolve_in(app: Any, stage: Any, target: str, depth: int) -> tuple | None:
    if depth > 4:
        return None
    release = _release_path(target)
    if release is not None:
        return release
    docker = app.dockerfile
    copies = []
    current = "/"
    for each in docker.lineage(stage):
        current = "/"
        for ins in each.instructions:
            if ins.keyword == "WORKDIR" and ins.words:
                current = posixpath.normpath(posixpath.join(current, ins.words[0].text))
            elif ins.keyword in ("COPY", "ADD"):
                copies.append((ins, current))
    for ins, current in reversed(copies):
        words = [w.text for w in ins.words]
        source_stage = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), None)
        plain = [w for w in words if not w.startswith("--")]
        if len(plain) < 2:
            continue
        sources, dest = plain[:-1], plain[-1]
        dest_abs = posixpath.normpath(posixpath.join(current, dest))
        directory = dest.endswith("/") or len(sources) > 1
        for source in sources:
            found = _through_copy(app, source, source_stage, dest_abs, directory, target, current, depth)
            if found is not None:
                return found
    return None


def _through_copy(app: Any, source: str, stage_name: str | None, dest: str, directory: bool, target: str,
                  cwd: str, depth: int) -> tuple | None:
    """Map `target` back through one COPY source, or None when this source does not produce it."""
    if stage_name is None:
        origin = posixpath.normpath(source.lstrip("/")) if source not in (".", "./") else "."
        path = app.docker_context / origin if origin != "." else app.docker_context
        kind = app.files.kind(path)
        if kind == "file":
            landed = posixpath.join(dest, posixpath.basename(origin)) if directory else dest
            return ("repo", path) if landed == target else None
        if kind == "dir" and (target == dest or target.startswith(dest.rstrip("/") + "/")):
            rest = posixpath.relpath(target, dest)
            inner = path / rest if rest != "." else path
            return ("repo", inner) if app.files.kind(inner) == "file" else None
        return None
    stage = _stage(app.dockerfile, stage_name)
    if stage is None:
        return None  # --from an external image
    source_abs = posixpath.normpath(posixpath.join(_stage_workdir(app.dockerfile, stage), source))
    if target == dest or target.startswith(dest.rstrip("/") + "/"):
        rest = posixpath.relpath(target, dest)
        inside = source_abs if rest == "." else posixpath.join(source_abs, rest)
        return _resolve_in(app, stage, inside, depth + 1)
    return None


def _release_path(path: str) -> tuple | None:
    """("release", name, rest) for a path inside a release `mix release` wrote (`.../_build/<env>/rel/<name>/...`)."""
    parts = path.strip("/").split("/")
    for index in range(len(parts) - 3):
        if parts[index] == "_build" and parts[index + 2] == "rel":
            name = parts[index + 3]
            return ("release", name, "/".join(parts[index + 4:]))
    return None


def _stage(dockerfile: Any, name: str) -> Any | None:
    for stage in dockerfile.stages:
        if (stage.alias or "").lower() == name.lower() or str(stage.index) == name:
            return stage
    return None


def _stage_workdir(dockerfile: Any, stage: Any) -> str:
    current = "/"
    for each in dockerfile.lineage(stage):
        for ins in each.instructions:
            if ins.keyword == "WORKDIR" and ins.words:
                current = posixpath.normpath(posixpath.join(current, ins.words[0].text))
    return current


# -- the entrypoint layer ----------------------------------------------------------------------------------------

def entrypoint_scripts(app: Any) -> list:
    """The repository scripts the machines' main command runs before it execs the release (the first
    process group's, or the Dockerfile's). Empty when the command does not lead to the release."""
    found = commands(app)
    if not found:
        return []
    result = trace(app, found[0][1])
    return [s for s in result.scripts if s.path is not None] if result.outcome == "release" else []
