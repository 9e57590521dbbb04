"""The effective runtime environment of a release booting on a Fly Machine, with provenance.

Layers, in boot order (rule-catalogue.md, "The effective environment"):

1. Dockerfile ENV of the final stage, with what it inherits through `FROM <earlier stage>`;
2. fly.toml [env], then the variables declared as Fly secrets (value unknown to a static tool);
3. rel/env.sh.eex, sourced by the release script: an unconditional `export X=...` replaces, `${X:-d}`
   and `if [ -z "$X" ]` keep an outer value, `X="$X more"` appends; Fly-guarded exports apply, exports
   that never run on Fly do not, `case $RELEASE_COMMAND` branches apply to their commands only;
4. the release script's defaults: RELEASE_DISTRIBUTION=sname, RELEASE_NODE=<release name>,
   RELEASE_COOKIE from releases/COOKIE.

Every value remembers the setting that decided it and the ones it replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.parsers.shell import NOT_ON_FLY
from fly_cluster_lint.parsers.words import Eex, Lit, Var, literal_text, merge, render
from fly_cluster_lint.records import Record, value

if TYPE_CHECKING:
    from typing import Any

DOCKERFILE = "Dockerfile"
FLY_TOML = "fly.toml"
SECRET = "secret"
ENV_SH = "env.sh.eex"
DEFAULT = "release default"

ERL_FLAG_VARS = ("ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS")


class Setting(value("Setting", "var layer parts span exported mode origin note", (True, "set", None, ""))):
    """One place that sets a variable. ``parts`` None: a value the tool cannot see (a Fly secret, a random
    cookie); ``mode`` "set" or "default" (keeps an outer value); ``origin`` the parser's own object."""

    __slots__ = ()

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


class Value(Record):
    """A variable's value: ``setting`` decided it, ``exported`` means it reaches the BEAM, ``history`` is
    every (setting, what happened to it) in boot order."""

    __slots__ = ("var", "parts", "setting", "exported", "history", "live")
    _defaults = {"history": list, "live": list}

    @property
    def text(self) -> str | None:
        """The value as text when fully known; refs to boot-time variables render as ${NAME}."""
        if self.parts is None:
            return None
        return render(self.parts)

    @property
    def literal(self) -> str | None:
        return literal_text(self.parts) if self.parts is not None else None

    def contributors(self) -> list[Setting]:
        return [s for s, status in self.history if status in ("effective", "appended to")]


class Environment:
    def __init__(self, command: str = "start") -> None:
        self.command = command
        self.values: dict[str, Value] = {}
        self.skipped: list[tuple[Setting, str]] = []  # settings that do not apply, with the reason
        self.incomplete: set[str] = set()  # layers the tool could not read (parse errors)

    def get(self, var: str) -> Value | None:
        value = self.values.get(var)
        return value if value is not None else None

    def effective(self, var: str) -> Value | None:
        """The value as the files are written: None when unset. A value assigned without `export` still
        counts here (FCL006 reports the missing export; value rules judge the files as written)."""
        return self.values.get(var)

    @property
    def complete(self) -> bool:
        return not self.incomplete

    # -- building -----------------------------------------------------------------------------------------
    def apply(self, setting: Setting) -> None:
        """Apply one setting in boot order. Constant time per setting (a variable's history is one list,
        `live` the indices of the entries its value is made of), so thousands of assignments stay linear."""
        current = self.values.get(setting.var)
        if current is not None and (setting.mode == "default" or _keeps_outer(setting.parts, setting.var)):
            current.history.append((setting, "kept outer value"))
            return
        parts = self._substitute(setting.parts, setting.var) if setting.parts is not None else None
        appended = setting.parts is not None and any(
            isinstance(p, Var) and p.name == setting.var and p.op == "" for p in setting.parts)
        exported = setting.exported or (current is not None and current.exported) or setting.var.startswith("RELEASE_")
        if current is None:
            history, live = [], []
        else:
            history, live = current.history, current.live
            if appended:  # the value so far becomes part of the new one
                last = live[-1]
                history[last] = (history[last][0], "appended to")
            else:  # everything the value was made of is replaced
                for index in live:
                    history[index] = (history[index][0], "overridden")
                live = []
        live.append(len(history))
        history.append((setting, "effective"))
        self.values[setting.var] = Value(setting.var, parts, setting, exported, history, live)

    def skip(self, setting: Setting, reason: str) -> None:
        self.skipped.append((setting, reason))
        current = self.values.get(setting.var)
        if current is not None:
            current.history.append((setting, reason))

    def _substitute(self, parts: tuple, var: str) -> tuple:
        out: list = []
        for part in parts:
            if isinstance(part, Var):
                known = self.values.get(part.name)
                if known is not None and known.parts is not None and _size(known.parts) > MAX_EXPANDED:
                    known = Value(known.var, None, known.setting, known.exported)  # too long to follow: unknown
                if part.op == "" and known is not None and known.parts is not None:
                    out.extend(known.parts)
                    continue
                if part.op in (":-", "-") :
                    if known is not None and known.parts is not None:
                        out.extend(known.parts)
                        continue
                    if known is None:
                        out.extend(self._substitute(part.arg, var))
                        continue
                if part.op == "" and known is None and part.name == var:
                    continue  # "$X more" with X unset
            out.append(part)
        return merge(out)


# A value substituted into another (`X="$X more"`, `Y=$X`) is followed up to this many parts and characters;
# a longer one (thousands of appends in a hostile file) counts as unknown, so each step stays cheap.
MAX_PARTS = 64
MAX_EXPANDED = 2048


def _size(parts: tuple) -> int:
    if len(parts) > MAX_PARTS:
        return MAX_EXPANDED + 1
    return sum(len(p.text) if isinstance(p, Lit) else 16 for p in parts)


def _keeps_outer(parts: tuple | None, var: str) -> bool:
    """`X=${X:-default}` or `X=${X}`: an outer value survives unchanged."""
    return bool(parts) and len(parts) == 1 and isinstance(parts[0], Var) and parts[0].name == var and parts[0].op in (":-", "-", "")


def build_environment(app: Any, command: str = "start") -> Environment:
    env = Environment(command)
    # 1. Dockerfile, final stage
    if app.dockerfile_error is not None:
        env.incomplete.add(DOCKERFILE)
    elif app.dockerfile is not None and app.dockerfile.final is not None:
        for item in app.dockerfile.env_of(app.dockerfile.final):
            env.apply(Setting(item.key, DOCKERFILE, _build_time(item.parts, env), item.value_span, origin=item))
    # 2. fly.toml [env], then secrets
    if app.toml_error is not None:
        env.incomplete.add(FLY_TOML)
    elif app.toml is not None:
        table = app.toml.get("env", default={})
        if isinstance(table, dict):
            for key, value in table.items():
                text = value if isinstance(value, str) else _toml_text(value)
                span = app.toml.value_span(("env", key))
                env.apply(Setting(key, FLY_TOML, (Lit(text),) if text else (), span, origin=value))
    for name in sorted(app.settings.secrets):
        env.apply(Setting(name, SECRET, None, app.settings.path and None, note="declared as a Fly secret"))
    # 3. env.sh.eex
    if app.env_sh_error is not None:
        env.incomplete.add(ENV_SH)
    elif app.env_sh is not None:
        script = app.env_sh
        for item in script.assignments:
            exported = item.exported or item.name in script.exported
            setting = Setting(item.name, ENV_SH, item.parts, item.value_span, exported=exported,
                              mode="default" if item.default_only else "set", origin=item)
            if item.fly == NOT_ON_FLY:
                env.skip(setting, "not applied on Fly")
            elif item.commands is not None and command not in item.commands:
                env.skip(setting, f"not applied for `{command}`")
            else:
                env.apply(setting)
    # 4. release defaults
    defaults = {
        "RELEASE_DISTRIBUTION": (Lit("sname"),),
        "RELEASE_NODE": (Lit(app.release_name or ""),),
    }
    for name, parts in defaults.items():
        env.apply(Setting(name, DEFAULT, parts, None, mode="default", note="default of the release script"))
    cookie = app.release.cookie if app.release is not None else None
    env.apply(Setting("RELEASE_COOKIE", DEFAULT, (Lit(cookie),) if cookie else None, None, mode="default",
                      note="mix.exs release `cookie:`" if cookie else "random per build (releases/COOKIE)"))
    return env


def _build_time(parts: tuple, env: Environment) -> tuple:
    """Dockerfile `${VAR}` expands at build time: earlier ENV values are substituted, FLY_* are empty."""
    out: list = []
    for part in parts:
        if isinstance(part, Var):
            known = env.values.get(part.name)
            if known is not None and known.parts is not None and part.op == "":
                out.extend(known.parts)
                continue
        out.append(part)
    return merge(out)


def _toml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def count_flag(value: Value | None, flag: str) -> int | None:
    """How often a flag (e.g. -proto_dist) appears as a word; None when the value is unknown."""
    if value is None:
        return 0
    if value.parts is None:
        return None
    count = 0
    for part in value.parts:
        if isinstance(part, Lit):
            count += part.text.split().count(flag)
        elif isinstance(part, Eex) and part.value:
            count += part.value.split().count(flag)
    return count
