"""The effective runtime environment of a release booting on a Fly Machine, with provenance.

Layers, in boot order (rule-catalogue.md, "The effective environment"):

1. Dockerfile ENV of the final stage, with what it inherits through `FROM <earlier stage>`, expanded as
   Docker expands it at build time (ARG values, `[build.args]` of fly.toml, earlier ENV; anything else,
   Fly's runtime variables included, is empty);
2. fly.toml [env], then the variables declared as Fly secrets (set, value unknown to a static tool);
3. rel/env.sh.eex, *run* the way the release's /bin/sh runs it at boot (model/shell.py walks it): dash on
   Debian images, busybox ash on Alpine ones. A condition the model can decide from what it knows (set,
   unset, empty, Fly-provided, declared secret) is decided (`[[ ... ]]` is a failed command under dash);
   one it cannot decide counts as taken, a guarded default (`if [ -z "$X" ]`) then keeps an outer value;
   `case $RELEASE_COMMAND` is decided per command; a variable set nowhere expands to the empty string;
4. the release script's defaults, applied when a value is unset *or empty* after env.sh:
   RELEASE_DISTRIBUTION=sname, RELEASE_NODE=$RELEASE_NAME, RELEASE_COOKIE from releases/COOKIE.

Every value remembers the setting that decided it and the ones it replaced.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.parsers.words import Cmd, Eex, Lit, Var, literal_text, merge, render
from fly_cluster_lint.records import Record, value

if TYPE_CHECKING:
    from typing import Any

DOCKERFILE = "Dockerfile"
FLY_TOML = "fly.toml"
SECRET = "secret"
ENTRYPOINT = "entrypoint script"
ENV_SH = "env.sh.eex"
DEFAULT = "release default"
VM_ARGS = "vm.args.eex"
AS_WRITTEN = "as written"  # Environment.shell when bash-only syntax is read as its author meant it

ERL_FLAG_VARS = ("ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS")
# Set on every Fly Machine (machines/runtime-environment), plus what every container has.
FLY_PROVIDED = frozenset({"FLY_APP_NAME", "FLY_MACHINE_ID", "FLY_ALLOC_ID", "FLY_REGION", "FLY_PUBLIC_IP",
                          "FLY_IMAGE_REF", "FLY_MACHINE_VERSION", "FLY_PRIVATE_IP", "FLY_PROCESS_GROUP",
                          "FLY_VM_MEMORY_MB", "PRIMARY_REGION", "HOSTNAME", "HOME", "PATH"})
# Set by the release script before it sources env.sh (Elixir's cli_text).
SCRIPT_SET = frozenset({"RELEASE_ROOT", "RELEASE_NAME", "RELEASE_VSN", "RELEASE_COMMAND", "RELEASE_PROG",
                        "REL_VSN_DIR"})
# Commands after which any variable may have been set in ways the model cannot follow.
OPAQUE_COMMANDS = frozenset({".", "source", "eval", "read", "getopts", "mapfile", "readarray"})


class Setting(value("Setting", "var layer parts span exported mode origin note", (True, "set", None, ""))):
    """One place that sets a variable. ``parts`` None: a value the tool cannot see (a Fly secret, a random
    cookie); ``mode`` "set", "default" (keeps an outer value) or "fallback" (applies when the value is unset
    or empty, as the release script's own defaults do); ``origin`` the parser's own object."""

    __slots__ = ()

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


class Value(Record):
    """A variable's value (expanded as the shell expands it): ``setting`` decided it, ``exported`` means it
    reaches the BEAM, ``history`` is every (setting, what happened to it) in boot order, ``live`` the indices
    of the history entries the value is made of."""

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
        self.shell = "dash"  # the /bin/sh that runs env.sh: "dash" or "ash" (busybox, Alpine images)
        self.aborted: tuple | None = None  # (span, why) when the release script stops in env.sh
        self.template = "project"  # which env.sh ships: "project", "default" (Mix's), or "none"
        self.template_reason = ""
        self.opaque = False  # env.sh ran a command that may set variables the model cannot see
        self.notes: list[tuple[Any, str]] = []  # (span, what the model assumed), for `env`
        self.release_name: str | None = None
        # (outcome, command shown, where) when the image never starts the release (it runs Mix, a Distillery
        # command or a script that never execs the release): env.sh and the release defaults never apply
        self.starts: tuple | None = None

    def get(self, var: str) -> Value | None:
        return self.values.get(var)

    def effective(self, var: str) -> Value | None:
        """The value as the files are written: None when unset. A value assigned without `export` still
        counts here (FCL006 reports the missing export; value rules judge the files as written)."""
        return self.values.get(var)

    @property
    def complete(self) -> bool:
        return not self.incomplete

    # -- what the shell knows about a variable ----------------------------------------------------------
    def is_set(self, var: str) -> bool | None:
        if var in self.values or var in FLY_PROVIDED or var in SCRIPT_SET:
            return True
        return None if self.opaque else False

    def nonempty(self, var: str, depth: int = 0) -> bool | None:
        """Whether a variable holds a non-empty value at this point of the boot: True, False, or None when
        the model cannot know (a command's output, an EEx value it does not know)."""
        found = self.values.get(var)
        if found is not None:
            return True if found.parts is None else nonempty_parts(found.parts, self, depth + 1)
        if var in FLY_PROVIDED or var in SCRIPT_SET:
            return True
        return None if self.opaque else False

    # -- building -----------------------------------------------------------------------------------------
    def apply(self, setting: Setting, parts: tuple | None = None, expanded: bool = False) -> None:
        """Apply one setting in boot order; `parts` its value already expanded (else the setting's own
        parts). Constant time per setting (a variable's history is one list, `live` the entries its value
        is made of), so thousands of assignments stay linear."""
        if not expanded:
            parts = setting.parts
        current = self.values.get(setting.var)
        if current is not None and (setting.mode == "default" or _keeps_outer(setting.parts, setting.var)
                                    and (setting.parts[0].op in ("", "-") or self.nonempty(setting.var) is not False)):
            current.history.append((setting, "kept outer value"))
            return
        if current is not None and setting.mode == "fallback" and self.nonempty(setting.var) is not False:
            current.history.append((setting, "kept outer value"))
            return
        appended = current is not None and setting.parts is not None and any(
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
                    status = "emptied" if setting.mode == "fallback" else "overridden"
                    history[index] = (history[index][0], status)
                live = []
        live.append(len(history))
        history.append((setting, "effective"))
        self.values[setting.var] = Value(setting.var, parts, setting, exported, history, live)

    def skip(self, setting: Setting, reason: str) -> None:
        self.skipped.append((setting, reason))
        current = self.values.get(setting.var)
        if current is not None:
            current.history.append((setting, reason))

    def unset(self, var: str, setting: Setting) -> None:
        current = self.values.pop(var, None)
        if current is not None:
            for index in current.live:
                current.history[index] = (current.history[index][0], "unset")


def nonempty_parts(parts: tuple, env: Environment, depth: int = 0) -> bool | None:
    """Whether an expanded value is non-empty: True as soon as one part surely is, False when all surely
    are empty, else None."""
    if depth > 16:
        return None
    unknown = False
    for part in parts:
        if isinstance(part, Lit):
            if part.text:
                return True
        elif isinstance(part, Var):
            if part.op in ("", ":-", "-", ":=", "="):
                found = env.nonempty(part.name, depth)
                if found is True:
                    return True
                if found is None or part.op:
                    unknown = True
            else:
                unknown = True
        elif isinstance(part, Cmd):
            if "fly-local-6pn" in part.text or part.text.split()[:1] == ["hostname"]:
                return True
            unknown = True
        elif isinstance(part, Eex):
            if part.value:
                return True
            unknown = unknown or part.value is None
    return None if unknown else False


# A value substituted into another (`X="$X more"`, `Y=$X`) is followed up to this many parts and characters;
# a longer one (thousands of appends in a hostile file) counts as unknown, so each step stays cheap.
MAX_PARTS = 64
MAX_EXPANDED = 2048


def _size(parts: tuple) -> int:
    if len(parts) > MAX_PARTS:
        return MAX_EXPANDED + 1
    return sum(len(p.text) if isinstance(p, Lit) else 16 for p in parts)


def _keeps_outer(parts: tuple | None, var: str) -> bool:
    """`X=${X:-default}`, `X=${X-default}` or `X=$X`: an outer value survives unchanged."""
    return bool(parts) and len(parts) == 1 and isinstance(parts[0], Var) and parts[0].name == var and \
        parts[0].op in (":-", "-", "")


def build_environment(app: Any, command: str = "start", boot: bool = False) -> Environment:
    """The environment `bin/<release> <command>` boots with.

    `boot`: what really happens at boot: the image's /bin/sh runs env.sh (under dash `[[` fails and its
    block is skipped) and Mix's default env.sh ships when the image never gets the project's env.sh.eex.
    Otherwise the files *as written*, which the value rules judge: env.sh.eex as its author meant it
    (`[[ ... ]]` tested as a test, `source` as `.`), shipped. The packaging rules (FCL004, FCL005) report
    the difference, so one root cause gives one finding."""
    from fly_cluster_lint.model.script import run_script

    env = Environment(command)
    env.shell = app.image_shell if boot else AS_WRITTEN
    env.release_name = app.release_name
    # 1. Dockerfile, final stage, expanded at build time
    if app.dockerfile_error is not None:
        env.incomplete.add(DOCKERFILE)
    elif app.dockerfile is not None and app.dockerfile.final is not None:
        from fly_cluster_lint.model.docker import final_env

        for item, parts in final_env(app.dockerfile, app.build_args):
            env.apply(Setting(item.key, DOCKERFILE, parts, item.value_span, origin=item))
    # 2. fly.toml [env], then secrets
    if app.toml_error is not None:
        env.incomplete.add(FLY_TOML)
    elif app.toml is not None:
        table = app.toml.get("env", default={})
        if isinstance(table, dict):
            for key, found in table.items():
                text = found if isinstance(found, str) else _toml_text(found)
                span = app.toml.value_span(("env", key))
                env.apply(Setting(key, FLY_TOML, (Lit(text),) if text else (), span, origin=found))
    origins: dict = {}
    for name, origin in app.settings.secret_origins:
        origins.setdefault(name, origin)
    for name in sorted(app.settings.secrets):
        where = origins.get(name)
        env.apply(Setting(name, SECRET, None, None,
                          note=f"declared as a Fly secret by {where}" if where else "declared as a Fly secret"))
    if boot and command == "start":
        start = image_start(app)
        if start is not None and start[0] != "release":
            env.starts = start
            return env
    # 2b. a repository script the image runs before it starts the release (ENTRYPOINT/CMD); `remote`, `rpc`
    # and `eval` are run from a console (`fly ssh console`) and never pass through it
    if command in ("start", "start_iex", "daemon", "daemon_iex"):
        for script in app.entrypoint_scripts:
            run_script(script.model, env, ENTRYPOINT, command=None, args=script.args)
    # 3. env.sh.eex (sourced with the release command as $1)
    if boot and app.template_ships is not True:
        env.template, env.template_reason = "default", app.template_ships
    elif app.env_sh_error is not None:
        env.incomplete.add(ENV_SH)
    elif app.env_sh_path in app.rewritten:
        span = app.rewritten[app.env_sh_path]
        env.incomplete.add(f"{ENV_SH} (the build replaces it at {span.file}:{span.line})")
    elif app.env_sh is not None:
        run_script(app.env_sh, env, ENV_SH, command=command, args=(command,))
    else:
        env.template, env.template_reason = "none", f"{app.env_sh_display} does not exist"
    # 4. release defaults, for an unset or empty value
    release = app.release_name or ""
    name = env.values.get("RELEASE_NAME")
    node_default = name.parts if name is not None and name.parts is not None else (Lit(release),)
    defaults = {"RELEASE_DISTRIBUTION": (Lit("sname"),), "RELEASE_NODE": node_default}
    for var, parts in defaults.items():
        env.apply(Setting(var, DEFAULT, parts, None, mode="fallback", note="default of the release script"))
    cookie = app.release.cookie if app.release is not None else None
    env.apply(Setting("RELEASE_COOKIE", DEFAULT, (Lit(cookie),) if cookie else None, None, mode="fallback",
                      note="mix.exs release `cookie:`" if cookie else "random per build (releases/COOKIE)"))
    # 5. a `-setcookie` in vm.args: the release script passes its own as well, and with two OTP uses neither
    #    (observed on OTP 25): each machine reads ~/.erlang.cookie, created with a random value
    if boot:
        model = (app.vm_args if command in ("start", "start_iex", "daemon", "daemon_iex", "eval") else
                 app.remote_vm_args)[0]
        for word in model.words if model is not None else ():
            if word.text == "-setcookie":
                env.apply(Setting("RELEASE_COOKIE", VM_ARGS, None, word.span,
                                  note="~/.erlang.cookie, random per machine: vm.args.eex passes a second -setcookie "
                                       "and OTP then uses neither"))
                break
    return env


def image_start(app: Any) -> tuple | None:
    """(outcome, command as shown, where) of what the app's machines run (the first process group), when the
    tool can tell: outcome "release", "mix", "distillery" or "no-release" (model/image.trace)."""
    if app.dockerfile is None:
        return None
    from fly_cluster_lint.model.image import commands, trace

    for where, words, _ in commands(app):
        outcome = trace(app, words).outcome
        if outcome == "unknown":
            return None
        return outcome, " ".join(w if w is not None else "…" for w in words), where
    return None


def _toml_text(found: Any) -> str:
    if isinstance(found, bool):
        return "true" if found else "false"
    return str(found)


def count_flag(found: Value | None, flag: str) -> int | None:
    """How often a flag (e.g. -proto_dist) appears as a word; None when the value is unknown."""
    if found is None:
        return 0
    if found.parts is None:
        return None
    count = 0
    for part in found.parts:
        if isinstance(part, Lit):
            count += part.text.split().count(flag)
        elif isinstance(part, Eex) and part.value:
            count += part.value.split().count(flag)
    return count


def expand_parts(parts: tuple, env: Environment) -> tuple:
    """A value with every variable the model knows substituted (used outside a running script, e.g. for a
    command's words)."""
    from fly_cluster_lint.model.script import Runner

    return Runner(env, ENV_SH, None, ()).expand(parts, None)


__all__ = ["Setting", "Value", "Environment", "build_environment", "count_flag", "merge"]
