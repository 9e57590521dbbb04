"""Literal cookies written anywhere in an app's files: FCL402/FCL405 report them, and every output
format masks their values."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


def literal_cookies(app: Any) -> list[tuple[object, str, str]]:
    """(span, value, where) for every literal cookie written in the project. Values never reach output."""
    from fly_cluster_lint.parsers.words import Lit, Var

    out = []
    if app.toml is not None:
        value = app.toml.get("env", "RELEASE_COOKIE")
        if isinstance(value, str) and value and "$" not in value:
            out.append((app.toml.value_span(("env", "RELEASE_COOKIE")), value, "fly.toml [env]"))
    if app.dockerfile is not None:
        for stage in app.dockerfile.stages:
            for ins in stage.instructions:
                for setting in ins.env:
                    if setting.key == "RELEASE_COOKIE" and setting.parts and all(isinstance(p, Lit) for p in setting.parts):
                        out.append((setting.value_span, "".join(p.text for p in setting.parts), f"Dockerfile {ins.keyword}"))
    if app.env_sh is not None:
        for item in app.env_sh.assignments_of("RELEASE_COOKIE"):
            parts = item.parts
            if len(parts) == 1 and isinstance(parts[0], Var) and parts[0].name == "RELEASE_COOKIE":
                parts = parts[0].arg  # ${RELEASE_COOKIE:-literal}
            if parts and all(isinstance(p, Lit) for p in parts):
                out.append((item.value_span, "".join(p.text for p in parts), "env.sh.eex"))
    release = app.release
    if release is not None and release.cookie_kind == "literal" and release.cookie:
        out.append((release.cookie_span, release.cookie, "mix.exs"))
    for model, _ in (app.vm_args, app.remote_vm_args):
        if model is None:
            continue
        words = model.words
        for index, word in enumerate(words[:-1]):
            if word.text == "-setcookie" and "<%" not in words[index + 1].text:
                out.append((words[index + 1].span, words[index + 1].text, word.span.file))
    return [c for c in out if c[0] is not None]
