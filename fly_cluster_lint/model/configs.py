"""The config files a prod release loads and the `config` calls in them.

Loaded: config/config.exs, what it imports for prod (`import_config "#{config_env()}.exs"` -> prod.exs,
or a literal path), and config/runtime.exs (config/releases.exs when there is no runtime.exs). dev.exs
and test.exs never count. A `config` inside `if config_env() == :prod` counts for prod; one in a branch on
Fly's runtime variables counts only where it runs (model/conditions.py: runtime.exs at boot on a Fly
Machine, the other files in the Docker builder); one inside any other condition counts as made.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.files import FileCache
from fly_cluster_lint.model.conditions import reachable
from fly_cluster_lint.parsers.elixir import Alias, Atom, ElixirFile
from fly_cluster_lint.records import Record, value

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

ENV = "prod"


class Gate(value("Gate", "envs negate", (frozenset(), True))):
    """Where a config call applies: only the listed envs, or (negate) all but them; no envs: everywhere."""

    __slots__ = ()

    def applies(self, env: str) -> bool:
        return (env not in self.envs) if self.negate else (env in self.envs)

    @property
    def gated(self) -> bool:
        return bool(self.envs)


class ConfigEntry(value("ConfigEntry", "app key value file node key_node gate runtime")):
    """One key set by a `config` call: ``key`` is the `:key`, a keyword key, or the module of
    `config :app, Mod, ...`; ``value`` the value node, ``node`` the whole call."""

    __slots__ = ()


class ConfigSet(Record):
    """The loaded config files, their parse errors, the entries, and runtime.exs."""

    __slots__ = ("files", "errors", "entries", "runtime", "runtime_path", "rewritten")
    _defaults = {"files": list, "errors": list, "entries": list, "runtime": None, "runtime_path": None,
                 "rewritten": list}

    def find(self, app: "str | None" = None, key: str | None = None, env: str = ENV) -> list[ConfigEntry]:
        return [e for e in self.entries if (app is None or e.app == app) and (key is None or e.key == key)
                and e.gate.applies(env)]

    def env_reads(self, name: str) -> list[tuple[ElixirFile, Any]]:
        return [(f, node) for f in self.files for var, node in f.env_reads(f.root) if var == name]

    @property
    def complete(self) -> bool:
        """Every loaded file parsed, and none is rewritten by the Docker build."""
        return not self.errors and not self.rewritten


def load_configs(config_dir: Path, files: FileCache) -> ConfigSet:
    out = ConfigSet()
    seen: set[Path] = set()

    def load(path: Path, runtime: bool, gate: Gate) -> None:
        if path in seen or not gate.applies(ENV):
            return
        seen.add(path)
        file, error = files.elixir(path)
        if error is not None:
            out.errors.append((path, error))
            return
        if file is None:
            return
        out.files.append(file)
        for call in file.calls("config", "import_config"):
            if not reachable(file, call, fly_set=runtime):
                continue  # a branch on Fly's variables that never runs where this file is evaluated
            call_gate = _gate(file, call, gate)
            args = file.args(call)
            if file.call_name(call) == "import_config":
                target = _import_target(file, args[0]) if args else None
                if target:
                    load(path.parent / target, runtime, call_gate)
                continue
            out.entries.extend(_entries(file, call, args, call_gate, runtime))

    load(config_dir / "config.exs", False, Gate())
    runtime_path = config_dir / "runtime.exs"
    if not files.is_file(runtime_path) and files.is_file(config_dir / "releases.exs"):
        runtime_path = config_dir / "releases.exs"
    out.runtime_path = runtime_path
    load(runtime_path, True, Gate())
    runtime, _ = files.elixir(runtime_path)
    out.runtime = runtime
    return out


def _entries(file: ElixirFile, call: Any, args: list, gate: Gate, runtime: bool) -> list[ConfigEntry]:
    if not args:
        return []
    app = file.literal(args[0])
    if not isinstance(app, Atom):
        return []
    out = []
    if len(args) >= 2 and args[1].type == "keywords":
        for key, value in file.keywords(args[1]).items():
            out.append(ConfigEntry(app.name, key, value, file, call, file.key_node(value), gate, runtime))
    elif len(args) >= 3:
        key = file.literal(args[1])
        name = key.name if isinstance(key, (Atom, Alias)) else None
        if name is not None:
            out.append(ConfigEntry(app.name, name, args[2], file, call, args[1], gate, runtime))
    return out


def _import_target(file: ElixirFile, node: Any) -> str | None:
    if node.type != "string":
        return None
    out = []
    for child in node.named_children:
        if child.type == "quoted_content":
            out.append(file.text(child))
        elif child.type == "interpolation":
            inner = file.text(child)[2:-1].strip()
            if inner in ("config_env()", "Mix.env()", "config_env", "Mix.env"):
                out.append(ENV)
            else:
                return None
    return "".join(out)


def _gate(file: ElixirFile, node: Any, outer: Gate) -> Gate:
    """The env condition of the innermost `if`/`unless` around a config call that tests config_env()."""
    prev = node
    passed_else = None
    for parent in file.ancestors(node):
        if parent.type == "else_block":
            passed_else = parent
        if parent.type == "call" and file.call_name(parent) in ("if", "unless"):
            block = file.do_block(parent)
            args = file.args(parent)
            tested = _env_test(file, args[0]) if args and block is not None and prev == block else None
            if tested is not None:
                envs, equal = tested
                positive = equal != (file.call_name(parent) == "unless")
                if passed_else is not None and passed_else.parent == block:
                    positive = not positive
                return Gate(frozenset(envs), negate=not positive)
        prev = parent
    return outer


def _env_test(file: ElixirFile, node: Any) -> tuple[set, bool] | None:
    if node.type != "binary_operator":
        return None
    left = node.child_by_field_name("left")
    right = node.child_by_field_name("right")
    operator = node.child_by_field_name("operator")
    if left is None or right is None or operator is None:
        return None
    op = file.text(operator)
    sides = [left, right]
    env_side = next((s for s in sides if file.text(s).replace(" ", "") in ("config_env()", "Mix.env()")), None)
    if env_side is None:
        return None
    other = right if env_side is left else left
    value = file.literal(other)
    envs = {value.name} if isinstance(value, Atom) else {v.name for v in value if isinstance(v, Atom)} if isinstance(value, list) else None
    if envs is None:
        return None
    if op in ("==", "===", "in"):
        return envs, True
    if op in ("!=", "!==", "not in"):
        return envs, False
    return None
