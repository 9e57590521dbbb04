"""FCL6xx: how the layers of the environment interact, and whether the release is started at all."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.environment import DOCKERFILE, ENV_SH, FLY_TOML
from fly_cluster_lint.model.query import resolve
from fly_cluster_lint.model.secrets import shown_value

if TYPE_CHECKING:
    from typing import Iterator

    from fly_cluster_lint.model.app import App


def env_value_overridden(app: App) -> Iterator[Finding]:
    """FCL601: a fly.toml/Dockerfile value that an unconditional env.sh.eex export replaces with another."""
    env = app.environment
    if not env.complete:
        return
    for value in env.values.values():
        if value.setting.layer != ENV_SH or value.setting.mode != "set" or value.parts is None:
            continue
        winner = resolve(value.setting.parts, app.fly_app) if value.setting.parts else ""
        for setting, status in value.history:
            if status != "overridden" or setting.layer not in (DOCKERFILE, FLY_TOML) or setting.span is None:
                continue
            if setting.parts is None:
                continue
            dead = resolve(setting.parts, app.fly_app)
            if winner is not None and dead is not None and dead == winner:
                continue
            where = value.setting.span
            origin = "fly.toml [env]" if setting.layer == FLY_TOML else "the Dockerfile"
            fix = _delete_toml_line(app, setting) if setting.layer == FLY_TOML else None
            yield Finding(setting.span,
                          f"{setting.var} from {origin} never reaches the release: {where.file}:{where.line} "
                          f"exports `{shown_value(setting.var, value.setting.parts, app.secrets)}` unconditionally at boot, which replaces it; "
                          f"delete one of them, or guard the export with `${{{setting.var}:-...}}`", fix)


def _delete_toml_line(app: App, setting):
    """Delete a dead `KEY = "value"` line of fly.toml [env] (unsafe: someone may rely on it off Fly)."""

    from fly_cluster_lint.fixes import UNSAFE, Edit, Fix

    source = app.files.of_span(setting.span)
    line = source.line_span(setting.span.line)
    text = source.data[line.start_byte:line.end_byte].decode("utf-8", "replace").strip()
    if not text.startswith(setting.var) and not text.startswith(f'"{setting.var}"'):
        return None
    end = line.end_byte + (2 if source.data[line.end_byte:line.end_byte + 2] == b"\r\n" else 1)
    return Fix(UNSAFE, f"delete the dead {setting.var} from fly.toml [env]",
               (Edit(str(source.path), line.start_byte, min(end, len(source.data)), ""),))


DISTILLERY = ("foreground", "console", "console_clean")


def release_not_started(app: App) -> Iterator[Finding]:
    """FCL602: the image recognizably never starts a Mix release (so env.sh.eex is never sourced)."""
    from fly_cluster_lint.model.docker import final_command

    docker = app.dockerfile
    commands = []
    if docker is not None:
        found = final_command(docker)
        if found is not None:
            commands.append((found[0], found[1].span))
    if app.toml is not None:
        processes = app.toml.get("processes", default={})
        if isinstance(processes, dict):
            for name, line in processes.items():
                if isinstance(line, str):
                    commands.append((line.split(), app.toml.value_span(("processes", name))))
    for words, span in commands:
        why = _not_a_release(app, words)
        if why and span is not None:
            yield Finding(span,
                          f"the machine runs `{' '.join(words)}`, {why}: no release boots, so env.sh.eex is never "
                          f"sourced and none of the clustering settings apply; run the release, e.g. "
                          f"`CMD [\"/app/bin/server\"]` (which runs `bin/{app.release_name or 'app'} start`)")


def _not_a_release(app: App, words: list[str]) -> str | None:
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    rest = words[1:]
    if program in ("sh", "bash", "dash") and "-c" in rest:
        inner = rest[rest.index("-c") + 1:]
        return _not_a_release(app, " ".join(inner).split()) if inner else None
    if any("bin/" in w for w in words):
        if any(w in DISTILLERY for w in rest):
            return "a Distillery command that Mix releases do not have"
        return None
    if program == "mix":
        return "which runs the app with Mix instead of the release"
    if program == "iex" and "-S" in rest:
        return "which runs the app with IEx and Mix instead of the release"
    if program == "elixir" and "-S" in rest and "mix" in rest:
        return "which runs the app with Mix instead of the release"
    words_of_script = _repo_script_words(app, words[0])
    if words_of_script is not None and not any("bin/" in w for w in words_of_script):
        return "a script from the repository that never starts anything under the release's bin/"
    return None


def _repo_script_words(app: App, path: str) -> list[str] | None:
    """The shell words of a script the image runs, when it comes from the repository (found by file name);
    None when it is not there or does not parse (then the tool stays silent)."""
    from fly_cluster_lint.parsers import ParseError, treesitter

    name = path.rsplit("/", 1)[-1]
    if not name or ("." not in name and not path.startswith(("./", "/app/"))):
        return None
    for folder in (app.docker_context, app.spec.project, app.rel_dir / "overlays" / "bin"):
        candidate = folder / name
        try:
            source = app.files.source(candidate)
        except ParseError:
            return None
        if source is None:
            continue
        tree = treesitter.parse("bash", source.parser_bytes())
        if tree.root_node.has_error:
            return None
        words, stack = [], [tree.root_node]
        while stack:
            node = stack.pop()
            if node.type in ("word", "string", "raw_string", "concatenation"):
                words.append(source.data[node.start_byte:node.end_byte].decode("utf-8", "replace"))
            stack.extend(node.named_children)
        return words
    return None
