"""FCL6xx: how the layers of the environment interact, and whether the release is started at all."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

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
                          f"{setting.var} from {origin} is always replaced by "
                          f"`{shown_value(setting.var, value.setting.parts, app.secrets)}` ({where.file}:{where.line})",
                          fix, f"delete one of them, or guard the export with `${{{setting.var}:-...}}`")


def _delete_toml_line(app: App, setting):
    """Delete a dead `KEY = "value"` line of fly.toml [env] (unsafe: someone may rely on it off Fly)."""

    from fly_cluster_lint.fixes import UNSAFE, Edit, Fix

    source = app.files.of_span(setting.span)
    line = source.line_span(setting.span.line)
    text = source.data[line.start_byte:line.end_byte].decode("utf-8", "replace").strip()
    if not text.startswith(setting.var) and not text.startswith(f'"{setting.var}"'):
        return None
    last = source.line_span(max(setting.span.end_line, setting.span.line))  # a multi-line string ends here
    end = last.end_byte + (2 if source.data[last.end_byte:last.end_byte + 2] == b"\r\n" else 1)
    return Fix(UNSAFE, f"delete the dead {setting.var} from fly.toml [env]",
               (Edit(str(source.path), line.start_byte, min(end, len(source.data)), ""),))


def release_not_started(app: App) -> Iterator[Finding]:
    """FCL602: the image recognizably never starts a Mix release (so env.sh.eex is never sourced)."""
    from fly_cluster_lint.model.image import commands, trace

    if app.dockerfile is None:
        return
    for where, words, span in commands(app):
        result = trace(app, words)
        if result.outcome == "mix":
            why = "which runs the app with Mix, not the release"
        elif result.outcome == "distillery":
            why = f"`{result.detail}` is a Distillery command, which Mix releases do not have"
        elif result.outcome == "no-release":
            why = "a repository script that never starts the release"
        else:
            continue
        if span is None:
            continue
        shown = " ".join(w if w is not None else "…" for w in words)
        yield Finding(span, f"the machine runs `{shown}` ({where}), {why}", None,
                      f"run the release, e.g. `CMD [\"/app/bin/server\"]` (which runs "
                      f"`bin/{app.release_name or 'app'} start`)")
