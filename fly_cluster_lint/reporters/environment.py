"""`fly-cluster-lint env`: every clustering variable with its effective value at boot on a Fly Machine,
the file:line that wins, and what it overrides. Cookie and secret values are masked."""

from __future__ import annotations

import json

from fly_cluster_lint import __version__
from fly_cluster_lint.parsers.words import render
from fly_cluster_lint.reporters import mask

VARIABLES = ("ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS", "ECTO_IPV6", "DNS_CLUSTER_QUERY",
             "RELEASE_DISTRIBUTION", "RELEASE_NODE", "RELEASE_COOKIE")
MASK = "****"
LABELS = {"overridden": "overridden", "appended to": "extended", "kept outer value": "unused default",
          "effective": "effective"}


def _secret_names(app) -> set:
    return {"RELEASE_COOKIE"} | set(app.settings.secrets)


def _shown(setting, app) -> str:
    if setting.parts is None:
        return "(Fly secret)" if setting.layer == "secret" else f"({setting.note})" if setting.note else "(unknown)"
    if setting.var in _secret_names(app) and setting.layer != "release default":
        return MASK
    return render(setting.parts) if setting.parts else '""'


def _where(setting) -> dict | None:
    if setting.span is None:
        return None
    return {"file": setting.span.file, "line": setting.span.line, "column": setting.span.column}


def app_data(app) -> dict:
    env = app.environment
    variables = []
    for name in VARIABLES:
        value = env.get(name)
        if value is None:
            variables.append({"name": name, "value": None, "layer": None, "source": None, "exported": False,
                              "history": []})
            continue
        setting = value.setting
        shown = MASK if name in _secret_names(app) and value.parts is not None and setting.layer != "release default" \
            else _shown(setting, app) if value.parts is None else render(value.parts)
        history = []
        for other, status in value.history:
            if other is setting:
                continue
            history.append({"status": status, "value": _shown(other, app), "layer": other.layer,
                            "source": _where(other)})
        from fly_cluster_lint.model.query import resolve

        resolved = resolve(value.parts, app.fly_app) if value.parts is not None and name not in _secret_names(app) \
            else None
        variables.append({"name": name, "value": shown, "resolved": resolved if resolved != shown else None,
                          "layer": setting.layer, "source": _where(setting), "exported": value.exported,
                          "note": setting.note, "history": history})
    return {"fly_toml": app.toml_path, "fly_app": app.fly_app, "mix_app": app.mix_app, "release": app.release_name,
            "command": env.command, "complete": env.complete, "unreadable_layers": sorted(env.incomplete),
            "variables": variables}


def render_json(result) -> str:
    doc = {"version": __version__, "apps": [app_data(app) for app in result.apps]}
    return mask(json.dumps(doc, indent=2, ensure_ascii=False), result.secrets) + "\n"


def render_text(result, *, color: bool = False) -> str:
    strike_on, strike_off = ("\033[9m", "\033[0m") if color else ("", "")
    lines = []
    if not result.apps:
        lines.append("No Fly.io Elixir app found (no fly.toml or fly.*.toml deploying a mix.exs project).")
    for app in result.apps:
        data = app_data(app)
        lines.append(f"{data['fly_app'] or '?'} ({data['fly_toml']}): release `{data['release'] or '?'}`, "
                     f"`bin/{data['release'] or 'app'} start` on a Fly Machine")
        if not data["complete"]:
            lines.append(f"  (could not read: {', '.join(data['unreadable_layers'])}; values below may be incomplete)")
        width = max(len(v["name"]) for v in data["variables"])
        for var in data["variables"]:
            if var["value"] is None:
                lines.append(f"  {var['name']:<{width}}  (unset)")
                continue
            source = var["source"]
            origin = f"{source['file']}:{source['line']}:{source['column']}" if source else var["layer"]
            flag = "" if var["exported"] else "  [not exported]"
            resolved = f" (= {var['resolved']})" if var.get("resolved") else ""
            lines.append(f"  {var['name']:<{width}}  {var['value']}{resolved}  <- {origin}{flag}")
            for old in var["history"]:
                where = old["source"]
                at = f"{where['file']}:{where['line']}:{where['column']}" if where else old["layer"]
                value = f"{strike_on}{old['value']}{strike_off}" if old["status"] == "overridden" else old["value"]
                label = LABELS.get(old["status"], old["status"])
                lines.append(f"  {'':<{width}}    {label}: {value}  ({at})")
        lines.append("")
    return mask("\n".join(lines).rstrip("\n") + "\n", result.secrets)
