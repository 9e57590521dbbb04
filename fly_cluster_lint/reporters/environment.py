"""`fly-cluster-lint env`: every clustering variable with its effective value at boot on a Fly Machine,
the file:line that wins, and what it overrides. Secret values are never shown: a secret variable is
`****` and the word after `-setcookie` in any value is `****` (model/secrets.shown_value)."""

from __future__ import annotations

from fly_cluster_lint import __version__
from fly_cluster_lint.reporters.printable import guard, json_text, visible

VARIABLES = ("ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS", "ECTO_IPV6", "DNS_CLUSTER_QUERY",
             "RELEASE_DISTRIBUTION", "RELEASE_NODE", "RELEASE_COOKIE")
LABELS = {"overridden": "overridden", "appended to": "extended", "kept outer value": "unused default",
          "effective": "effective"}


def _shown(setting, parts, secrets) -> str:
    from fly_cluster_lint.model.secrets import MASK, shown_value

    if parts is None:
        return (f"({setting.note})" if setting.note else "(Fly secret)") if setting.layer == "secret" else f"({setting.note})" if setting.note else "(unknown)"
    if setting.layer == "release default" and setting.var == "RELEASE_COOKIE":
        return MASK  # the mix.exs `cookie:` literal
    return visible(shown_value(setting.var, parts, secrets)) if parts else ""


def _where(setting) -> dict | None:
    if setting.span is None:
        return None
    return {"file": visible(setting.span.file), "line": setting.span.line, "column": setting.span.column}


def app_data(app) -> dict:
    from fly_cluster_lint.model.query import resolve
    from fly_cluster_lint.model.secrets import mask_source

    env = app.boot_environment
    secrets = app.secrets
    variables = []
    for name in VARIABLES:
        value = env.get(name)
        if value is None:
            variables.append({"name": name, "value": None, "layer": None, "source": None, "exported": False,
                              "history": []})
            continue
        setting = value.setting
        shown = _shown(setting, value.parts, secrets)
        history = []
        for other, status in value.history:
            if other is setting:
                continue
            history.append({"status": status, "value": _shown(other, other.parts, secrets), "layer": other.layer,
                            "source": _where(other)})
        resolved = None
        if value.parts is not None and name not in secrets.names:
            text = resolve(value.parts, app.fly_app)
            resolved = visible(mask_source(text, secrets)) if text is not None else None
        variables.append({"name": name, "value": shown, "resolved": resolved if resolved != shown else None,
                          "layer": setting.layer, "source": _where(setting), "exported": value.exported,
                          "note": setting.note, "history": history})
    aborted = None
    if env.aborted is not None:
        span, why = env.aborted
        aborted = {"reason": why, "source": _where_span(span)}
    template = {"project": f"{visible(app.env_sh_display)} (the project's)",
                "default": "Mix's default env.sh (sets nothing)", "none": "Mix's default env.sh (sets nothing)"}
    return {"fly_toml": visible(app.toml_path), "fly_app": visible(app.fly_app) if app.fly_app else app.fly_app,
            "mix_app": visible(app.mix_app) if app.mix_app else app.mix_app,
            "release": visible(app.release_name) if app.release_name else app.release_name,
            "command": env.command, "shell": env.shell,
            "env_sh": {"ships": template[env.template], "why": visible(env.template_reason) or None},
            "aborted": aborted, "starts_release": env.starts is None,
            "runs": None if env.starts is None else {"outcome": env.starts[0], "command": visible(env.starts[1]),
                                                     "where": visible(env.starts[2])},
            "complete": env.complete, "unreadable_layers": sorted(env.incomplete), "variables": variables}


def _where_span(span) -> dict | None:
    if span is None:
        return None
    return {"file": visible(span.file), "line": span.line, "column": span.column}


def render_json(result) -> str:
    return json_text({"version": __version__, "apps": [app_data(app) for app in result.apps]}) + "\n"


def render_text(result, *, color: bool = False) -> str:
    from fly_cluster_lint.reporters.color import paint

    strike_on, strike_off = ("\033[9m", "\033[0m") if color else ("", "")
    lines = []
    if not result.apps:
        lines.append("No Fly.io Elixir app found (no fly.toml or fly.*.toml deploying a mix.exs project).")
    for app in result.apps:
        data = app_data(app)
        lines.append(paint("bold", f"{data['fly_app'] or '?'} ({data['fly_toml']})", color)
                     + f": release `{data['release'] or '?'}`, "
                     + (f"`bin/{data['release'] or 'app'} start` on a Fly Machine" if data["starts_release"]
                        else "on a Fly Machine"))
        if not data["complete"]:
            lines.append(paint("warning", f"  (could not read: {', '.join(data['unreadable_layers'])}; values below "
                                          f"may be incomplete)", color))
        if data["env_sh"]["why"]:
            lines.append(f"  env.sh: {data['env_sh']['ships']} ships, because {data['env_sh']['why']}")
        if data["runs"]:
            runs = data["runs"]
            lines.append(f"  the image runs `{runs['command']}` ({runs['where']}), not the release: env.sh.eex and "
                         f"the release script's defaults never apply")
        if data["aborted"]:
            where = data["aborted"]["source"]
            at = f" ({where['file']}:{where['line']}:{where['column']})" if where else ""
            lines.append(paint("error", "  boot stops:", color) + f" {data['aborted']['reason']}{at}")
        width = max(len(v["name"]) for v in data["variables"])
        for var in data["variables"]:
            name = paint("cyan", f"{var['name']:<{width}}", color)
            if var["value"] is None:
                lines.append(f"  {name}  " + paint("dim", "(unset)", color))
                continue
            source = var["source"]
            origin = f"{source['file']}:{source['line']}:{source['column']}" if source else var["layer"]
            flag = paint("warning", "  [not exported]", color) if not var["exported"] else ""
            resolved = f" (= {var['resolved']})" if var.get("resolved") else ""
            shown = var["value"] if var["value"] != "" else '""'
            lines.append(f"  {name}  {shown}{resolved}  " + paint("dim", f"<- {origin}", color) + flag)
            for old in var["history"]:
                where = old["source"]
                at = f"{where['file']}:{where['line']}:{where['column']}" if where else old["layer"]
                value = old["value"] if old["value"] != "" else '""'
                value = f"{strike_on}{value}{strike_off}" if old["status"] == "overridden" else value
                label = LABELS.get(old["status"], old["status"])
                lines.append(f"  {'':<{width}}    " + paint("dim", f"{label}:", color) + f" {value}  "
                             + paint("dim", f"({at})", color))
        lines.append("")
    return guard("\n".join(lines).rstrip("\n") + "\n")
