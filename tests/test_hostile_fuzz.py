"""Hostile-mutation fuzzing: not random bytes, but the moves of someone who writes the repository the linter
reads. Each example copies the base project (beside a clean neighbour app, in a git repository, with an
outside folder next to it), applies a list of mutations, and runs every output of the tool:

    text, --color always, json, github, sarif, -q, --statistics, --diff --unsafe-fixes, env, env --format json,
    and finally --fix --unsafe-fixes

Mutations: a unique secret planted at a cookie position (fly.toml [env], env.sh export, `${RELEASE_COOKIE:-...}`,
a value that flows into RELEASE_COOKIE, an EEx string, mix.exs `cookie:`, vm.args `-setcookie`, `-setcookie`
inside ERL_AFLAGS / ERL_FLAGS / ERL_ZFLAGS / ELIXIR_ERL_OPTIONS in env.sh.eex, fly.toml and the Dockerfile,
Dockerfile ENV/ARG in either stage, a misnamed rel/env.sh, a variable declared in `secrets`, a file outside the
repository that a symlink points at); control characters, escape sequences, `::error::`, `##[` and newlines
in values, comments, the app name, file and folder names and configuration keys; symlinks inside, outside and
in loops; huge numbers; deep nesting; odd encodings; duplicated lines; hostile paths in `[build] dockerfile`
and `rel_templates_path`.

Invariants, in every output: no crash (status 0 or 1; 2 only with one line on stderr, for a bad
.fly-cluster-lint.toml), no hang (a per-run and a per-example time limit), valid JSON and SARIF, no planted
secret anywhere in stdout or stderr, no raw control character (below 0x20 but \\n, and \\t only in --diff; DEL;
C1; bidi controls) outside `--format github`, no workflow command outside `--format github` (which must be
well-formed annotation lines), the neighbour app still linted and clean, nothing outside the repository
changed by --fix.

Profiles: the default `ci` profile is derandomized and small (it runs in the normal test suite, in well under
a minute); HYPOTHESIS_PROFILE=long runs thousands of examples with an example database in
tests/.hypothesis/hostile. Mutations that trigger bugs still open (listed in KNOWN_BUGS, each with an xfail
test in test_hostile_repository.py or below) are generated only with FCL_FUZZ_KNOWN_BUGS=1, so that the `ci`
profile stays green while they are open and finds regressions everywhere else.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase  # noqa: E402

from conftest import BASE, ROOT  # noqa: E402
from invariants import GITHUB_LINE, OUTPUT_FORMATS, raw_controls, tree, workflow_commands  # noqa: E402
from fly_cluster_lint import cli  # noqa: E402

# -- profiles (own names: test_fuzz.py owns "ci" and "long" and loads one globally) ------------------------------
_HEALTH = [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
           HealthCheck.filter_too_much]
settings.register_profile("hostile-ci", max_examples=15, deadline=None, derandomize=True, database=None,
                          suppress_health_check=_HEALTH, print_blob=True)
KNOWN = os.environ.get("FCL_FUZZ_KNOWN_BUGS") == "1"
settings.register_profile("hostile-long", max_examples=int(os.environ.get("FCL_FUZZ_EXAMPLES", "3000")), deadline=None,
                          database=DirectoryBasedExampleDatabase(
                              str(ROOT / "tests" / ".hypothesis" / ("hostile-known-bugs" if KNOWN else "hostile"))),
                          suppress_health_check=_HEALTH, print_blob=True)
LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
PROFILE = settings.get_profile("hostile-long" if LONG else "hostile-ci")
RUN_LIMIT = 30.0 if LONG else 20.0  # seconds for one run of the tool
EXAMPLE_LIMIT = 120.0  # seconds for all the runs of one example (a hang is reported, not waited for)

ENV_SH = (BASE / "rel" / "env.sh.eex").read_text()
FLY_TOML = (BASE / "fly.toml").read_text()
DOCKERFILE = (BASE / "Dockerfile").read_text()
MIX_EXS = (BASE / "mix.exs").read_text()
RUNTIME = (BASE / "config" / "runtime.exs").read_text()

# -- the hostile vocabulary --------------------------------------------------------------------------------------
PAYLOADS = [
    "\x1b[31mred\x1b[0m", "\x1b]0;pwned\x07", "\x1b]8;;https://evil.example\x07link\x1b]8;;\x07", "\x1b[2J\x1b[H",
    "\x1b[1A\x1b[2K", "a\rb", "\x9b31m", "\x85next", "\u202eevil\u202c", "\u2066iso\u2069", "\u2028sep", "\x7fdel",
    "::error::owned", "::warning file=x,line=1::w", "##[group]g", "\n::error::nl", "%0A::error::enc", "\t::notice::t",
    "\x0b\x0c", "\x1c\x1d\x1e\x1f", "\ufeff::error::bom", "\u200b::error::zw", "\x00nul", "\\x1b[31m", "$(id)",
    "`id`", "'; touch pwned; '", '"', "<%= 1 %>", "#{x}", "%%", "::", "##", "}{", "\r\n::error::crlf",
]
# payloads that cannot be in a file name (NUL, `/`)
NAME_PAYLOADS = [p for p in PAYLOADS if "\x00" not in p and "/" not in p]
SECRET_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

PLANT = ["fly_env", "envsh_export", "envsh_fly_block", "envsh_fallback", "envsh_flow", "envsh_eex", "mix_cookie",
         "vm_args", "remote_vm_args", "aflags_envsh", "flags_envsh", "zflags_envsh", "elixir_opts_envsh",
         "aflags_fly", "flags_fly", "aflags_docker", "elixir_opts_docker", "docker_env_builder", "docker_env_final",
         "docker_arg", "docker_arg_global", "misnamed_env_sh", "misnamed_beside", "declared_fly", "declared_envsh",
         "declared_docker", "outside_target", "envsh_multiline", "docker_continued", "envsh_unexported_flow", "entrypoint_export",
         "entrypoint_flags", "entrypoint_flow", "fly_escaped_cookie", "mix_escaped_cookie", "eex_escaped",
         "aflags_tab", "vm_args_quoted", "docker_arg_default_flow",
         # once open bugs (helper-4's red team), now fixed and generated like any other shape
         "aflags_newline", "aflags_escaped", "cookie_only_punctuation", "fly_multiline", "docker_aflags_escaped"]
# planting shapes that expose bugs still open (see KNOWN_BUGS); generated only with FCL_FUZZ_KNOWN_BUGS=1
PLANT_KNOWN: list = []
INJECT = ["envsh_comment", "envsh_value", "envsh_query", "docker_comment", "docker_env", "fly_comment", "fly_env",
          "fly_key", "fly_app", "runtime_comment", "mix_comment", "vm_args", "toml_name_root", "toml_name_app",
          "lib_file", "lib_folder", "rel_near_miss", "dockerignore", "config_key", "config_secret_name",
          "suppression_reason", "mix_release_name", "mix_app", "runtime_query", "lib_query", "docker_cmd",
          "docker_stage", "fly_process", "fly_release_command", "fly_dockerfile", "runtime_app"]
SYMLINKS = ["rel_inside", "dockerfile_inside", "env_sh_inside", "vm_args_outside", "env_sh_outside", "rel_outside",
            "lib_root", "config_etc", "dockerfile_passwd", "loop_pair", "loop_self", "lib_loop", "app_outside",
            "misnamed_outside", "toml_outside", "config_file_outside", "templates_dotdot"]
SYMLINKS_KNOWN: list = []
NUMBERS = ["fly_env", "fly_port", "fly_key_array", "config_file", "runtime", "envsh_arith"]
NESTING = ["fly_arrays", "fly_tables", "fly_dotted", "config_arrays", "config_tables", "runtime_lists", "envsh_defaults",
           "envsh_ifs", "docker_braces", "mix_tuples", "fly_headers", "config_dotted"]
NESTING_KNOWN: list = []
ENCODINGS = ["utf16", "latin1", "bom_crlf", "lone_cr", "nul", "invalid_utf8_name", "overlong"]
FILES = ["rel/env.sh.eex", "Dockerfile", "fly.toml", "mix.exs", "config/runtime.exs", "config/config.exs",
         "lib/hello/application.ex"]
PATHS = [("dockerfile", "/etc/passwd"), ("dockerfile", "/does/not/exist"), ("dockerfile", "../../../../../../etc/passwd"),
         ("dockerfile", "../neighbour/Dockerfile"), ("dockerfile", "."), ("dockerfile", ""), ("templates", "../x"),
         ("templates", "$OUTSIDE/new"), ("templates", "$OUTSIDE/dir"), ("templates", "../../outside"), ("templates", "rel/../rel"), ("templates", "."),
         ("dockerfile", "lnk/../passwd"), ("templates", "lnk/..")]
PATHS_KNOWN: list = []
CONFIGS = ["deep_arrays", "unknown_key_payload", "severity_payload", "select_payload", "huge", "not_toml",
           "secrets_not_list"]

KNOWN_BUGS: dict = {}  # shape -> the open bug it triggers (none open today)


def choices(base: list, known: list) -> list:
    return base + (known if KNOWN else [])


secret_st = st.text(SECRET_ALPHABET, min_size=8, max_size=40).map(lambda s: "Pk" + s + "Zq")
op_st = st.one_of(
    st.tuples(st.just("plant"), st.sampled_from(choices(PLANT, PLANT_KNOWN))),
    st.tuples(st.just("inject"), st.sampled_from(INJECT), st.integers(0, len(PAYLOADS) - 1)),
    st.tuples(st.just("symlink"), st.sampled_from(choices(SYMLINKS, SYMLINKS_KNOWN))),
    st.tuples(st.just("number"), st.sampled_from(NUMBERS), st.integers(1, 12_000)),
    st.tuples(st.just("nest"), st.sampled_from(choices(NESTING, NESTING_KNOWN)), st.integers(1, 6000)),
    st.tuples(st.just("encode"), st.sampled_from(FILES), st.sampled_from(ENCODINGS)),
    st.tuples(st.just("dup"), st.sampled_from(FILES), st.integers(0, 10_000), st.integers(1, 300)),
    st.tuples(st.just("path"), st.sampled_from(choices(PATHS, PATHS_KNOWN))),
    st.tuples(st.just("config"), st.sampled_from(CONFIGS), st.integers(0, len(PAYLOADS) - 1)),
)
scenario_st = st.tuples(secret_st, st.lists(op_st, min_size=1, max_size=6).map(tuple))


# -- building a hostile repository ------------------------------------------------------------------------------

class World:
    """The repository (hostile app + clean neighbour), the outside folder, and what the mutations did."""

    def __init__(self, root: Path, secret: str) -> None:
        self.root = root
        self.secret = secret
        self.repo = root / "repo"
        (self.repo / ".git").mkdir(parents=True)
        shutil.copytree(BASE, self.repo / "neighbour")
        self.app = self.repo / "app"
        shutil.copytree(BASE, self.app)
        self.outside = root / "outside"
        (self.outside / "dir").mkdir(parents=True)
        # Files outside the repository start with a marker line that no format can parse, so that a run that
        # read one would print the marker in an FCL001 code frame: they are never read, so it never appears.
        self.marker = "OutsideMarker" + secret[::-1]
        for name in ("env.sh.eex", "vm.args.eex", "target.sh", "Dockerfile", "fly.toml", "secret.exs", "env.sh",
                     "config.exs", "runtime.exs", "mix.exs"):
            for folder in (self.outside, self.outside / "dir"):
                (folder / name).write_text(f"{self.marker} <%= [[ {{ <<<\nexport RELEASE_COOKIE={secret}\n")
        self.config_touched = False  # a bad .fly-cluster-lint.toml makes exit 2 legitimate
        self.shares_neighbour = False  # the hostile app builds with the neighbour's Dockerfile (fixes may edit it)
        self.secrets: list[str] = [secret, self.marker]

    def path(self, rel: str) -> Path:
        return self.app / rel

    def read(self, rel: str) -> str:
        path = self.path(rel)
        try:
            return path.read_bytes().decode("utf-8", "surrogateescape")
        except (OSError, IsADirectoryError):
            return ""

    def mine(self, path: Path) -> bool:
        """Whether a path's folder lies in the repository (symlinks resolved): mutations never touch the
        outside folder through a link an earlier mutation made."""
        return os.path.realpath(path.parent).startswith(os.path.realpath(self.repo) + os.sep)

    def write(self, rel: str, text: str | bytes) -> None:
        path = self.path(rel)
        if path.is_symlink() or (path.exists() and not path.is_file()) or not self.mine(path):
            return  # the mutation before this one made it a link or a folder: leave it
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape"))

    def append(self, rel: str, text: str) -> None:
        self.write(rel, self.read(rel) + text)

    def replace(self, rel: str, old: str, new: str) -> None:
        current = self.read(rel)
        self.write(rel, current.replace(old, new, 1) if old in current else current + new)

    def link(self, rel: str, target: str | Path) -> None:
        path = self.path(rel)
        if not self.mine(path):
            return
        if path.is_symlink() or path.is_file():
            path.unlink()
        elif path.is_dir():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)


def toml_string(text: str) -> str:
    return json.dumps(text)  # TOML basic strings take JSON's escapes


def in_fly_env(world: World, line: str) -> None:
    world.replace("fly.toml", '  PORT = "8080"\n', f'  PORT = "8080"\n{line}\n')


def in_fly_block(world: World, line: str) -> None:
    world.replace("rel/env.sh.eex", "fi\n", f"  {line}\nfi\n")


def plant(world: World, where: str) -> None:
    s = world.secret
    if where == "fly_env":
        in_fly_env(world, f"  RELEASE_COOKIE = {toml_string(s)}")
    elif where == "envsh_export":
        world.append("rel/env.sh.eex", f'export RELEASE_COOKIE="{s}"\n')
    elif where == "envsh_fly_block":
        in_fly_block(world, f"export RELEASE_COOKIE={s}")
    elif where == "envsh_fallback":
        world.append("rel/env.sh.eex", f'export RELEASE_COOKIE="${{RELEASE_COOKIE:-{s}}}"\n')
    elif where == "envsh_flow":
        world.append("rel/env.sh.eex", f'C={s}\nD="$C"\nexport RELEASE_COOKIE="$D"\n')
    elif where == "envsh_unexported_flow":
        in_fly_block(world, f'P="{s}"')
        world.append("rel/env.sh.eex", 'ERL_FLAGS="-setcookie $P"\n')
    elif where == "envsh_eex":
        world.append("rel/env.sh.eex", f'export RELEASE_COOKIE=<%= "{s}" %>\n')
    elif where == "mix_cookie":
        world.replace("mix.exs", "      deps: deps()\n", f'      deps: deps(),\n      releases: [hello: [cookie: "{s}"]]\n')
    elif where == "vm_args":
        world.append("rel/vm.args.eex", f"-setcookie {s}\n")
    elif where == "remote_vm_args":
        world.append("rel/remote.vm.args.eex", f"## remote\n-setcookie {s}\n")
    elif where in ("aflags_envsh", "flags_envsh", "zflags_envsh", "elixir_opts_envsh"):
        var = {"aflags": "ERL_AFLAGS", "flags": "ERL_FLAGS", "zflags": "ERL_ZFLAGS", "elixir_opts": "ELIXIR_ERL_OPTIONS"}[
            where.rsplit("_", 1)[0]]
        in_fly_block(world, f'export {var}="-proto_dist inet6_tcp -setcookie {s} -kernel x y"')
    elif where in ("aflags_fly", "flags_fly"):
        var = "ERL_AFLAGS" if where == "aflags_fly" else "ERL_FLAGS"
        in_fly_env(world, f"  {var} = {toml_string('-proto_dist inet6_tcp -setcookie ' + s)}")
    elif where in ("aflags_docker", "elixir_opts_docker"):
        var = "ERL_AFLAGS" if where == "aflags_docker" else "ELIXIR_ERL_OPTIONS"
        world.append("Dockerfile", f'ENV {var}="-setcookie {s}"\n')
    elif where == "docker_env_builder":
        world.replace("Dockerfile", 'ENV MIX_ENV="prod"\n', f'ENV MIX_ENV="prod"\nENV RELEASE_COOKIE={s}\n')
    elif where == "docker_env_final":
        world.append("Dockerfile", f'ENV RELEASE_COOKIE="{s}" OTHER=1\n')
    elif where == "docker_arg":
        world.replace("Dockerfile", "WORKDIR /app\n", f"WORKDIR /app\nARG RELEASE_COOKIE={s}\n")
    elif where == "docker_arg_global":
        world.write("Dockerfile", f"ARG RELEASE_COOKIE={s}\n" + world.read("Dockerfile"))
    elif where == "misnamed_env_sh":
        world.write("rel/env.sh", world.read("rel/env.sh.eex") + f'export RELEASE_COOKIE="{s}"\n')
        if world.path("rel/env.sh.eex").is_file() and not world.path("rel/env.sh.eex").is_symlink():
            world.path("rel/env.sh.eex").unlink()
    elif where == "misnamed_beside":
        world.write("rel/env.ssh.eex", f'#!/bin/sh\nexport RELEASE_COOKIE="{s}"\n')
    elif where.startswith("declared_"):
        world.write(".fly-cluster-lint.toml", 'secrets = ["RELEASE_COOKIE", "DNS_CLUSTER_QUERY", "MY_TOKEN"]\n')
        if where == "declared_fly":
            in_fly_env(world, f"  DNS_CLUSTER_QUERY = {toml_string(s)}\n  MY_TOKEN = {toml_string(s + 'x')}")
        elif where == "declared_envsh":
            in_fly_block(world, f'export MY_TOKEN="{s}"')
            world.append("rel/env.sh.eex", f'export DNS_CLUSTER_QUERY="{s}"\n')
        else:
            world.append("Dockerfile", f"ENV DNS_CLUSTER_QUERY={s} MY_TOKEN={s}\n")
    elif where == "outside_target":
        world.link("rel/env.sh.eex", world.outside / "env.sh.eex")
    elif where == "envsh_multiline":
        world.append("rel/env.sh.eex", f'export RELEASE_COOKIE="x\n{s}"\n')
    elif where == "fly_multiline":
        in_fly_env(world, f'  RELEASE_COOKIE = """\n{s}"""')
    elif where == "docker_continued":
        world.append("Dockerfile", f"ENV RELEASE_COOKIE=\\\n    {s}\n")
    elif where in ("entrypoint_export", "entrypoint_flags", "entrypoint_flow"):
        body = {"entrypoint_export": f"export RELEASE_COOKIE={s}\n",
                "entrypoint_flags": f'export ERL_AFLAGS="$ERL_AFLAGS -setcookie {s}"\n',
                "entrypoint_flow": f'K="{s}"\nexport ELIXIR_ERL_OPTIONS="-setcookie $K"\n'}[where]
        world.write("entrypoint.sh", "#!/bin/sh\nset -e\n" + body + 'exec /app/bin/server "$@"\n')
        world.replace("Dockerfile", 'CMD ["/app/bin/server"]', 'COPY entrypoint.sh /app/entrypoint.sh\n'
                      'ENTRYPOINT ["/app/entrypoint.sh"]\nCMD ["/app/bin/server"]')
    elif where == "fly_escaped_cookie":
        escaped = s[:3] + "\\u00" + format(ord(s[3]), "02x") + s[4:]
        in_fly_env(world, f'  RELEASE_COOKIE = "{escaped}"')
        world.secrets.append(escaped)
    elif where == "mix_escaped_cookie":
        escaped = s[:3] + "\\x" + format(ord(s[3]), "02x") + s[4:]
        world.replace("mix.exs", "      deps: deps()\n", f'      deps: deps(),\n      releases: [hello: [cookie: "{escaped}"]]\n')
        world.secrets.append(escaped)
    elif where == "eex_escaped":
        world.append("rel/env.sh.eex", f'export RELEASE_COOKIE=<%= "{s[:3]}" <> "{s[3:]}" %>\n')
    elif where == "aflags_tab":
        in_fly_block(world, f'export ERL_AFLAGS="-proto_dist inet6_tcp -setcookie\t\t{s}"')
    elif where == "vm_args_quoted":
        world.append("rel/vm.args.eex", f"-setcookie '{s}'\n-name x@y\n")
    elif where == "docker_arg_default_flow":
        world.replace("Dockerfile", "WORKDIR /app\n", f"WORKDIR /app\nARG SEED={s}\nENV RELEASE_COOKIE=${{SEED}}\n")
    elif where == "docker_aflags_escaped":
        world.replace("Dockerfile", "ENV LANG=en_US.UTF-8", f"ENV LANG=en_US.UTF-8 ERL_AFLAGS=-setcookie\\ {s[:4]}\\{s[4:]}")
        world.secrets.append(f"{s[:4]}\\{s[4:]}")
    elif where == "aflags_newline":
        world.append("rel/env.sh.eex", f'export ERL_AFLAGS="-proto_dist inet6_tcp -setcookie\n{s}"\n')
    elif where == "aflags_escaped":
        world.append("rel/env.sh.eex", f"export ERL_AFLAGS=-setcookie\\ {s[:4]}\\{s[4:]}\n")
        world.secrets.append(f"{s[:4]}\\{s[4:]}")
    elif where == "cookie_only_punctuation":
        world.append("rel/env.sh.eex", "export RELEASE_COOKIE='::'\n")
        world.secrets.append("'::'")


def inject(world: World, target: str, payload: str) -> None:
    name_payload = payload.replace("\x00", "").replace("/", "") or "x"
    if target == "envsh_comment":
        world.append("rel/env.sh.eex", f"# {payload}\n")
    elif target == "envsh_value":
        world.append("rel/env.sh.eex", f"export RELEASE_NODE='{payload.replace(chr(39), '')}@$(hostname)'\n")
    elif target == "envsh_query":
        in_fly_block(world, f"export DNS_CLUSTER_QUERY='{payload.replace(chr(39), '')}'")
    elif target == "docker_comment":
        world.replace("Dockerfile", "COPY rel rel\n", f"COPY rel rel\n# {payload}\n")
    elif target == "docker_env":
        world.append("Dockerfile", f"ENV DNS_CLUSTER_QUERY={json.dumps(payload)}\n")
    elif target == "fly_comment":
        world.append("fly.toml", f"# {payload}\n")
    elif target == "fly_env":
        in_fly_env(world, f"  ERL_FLAGS = {toml_string(payload)}\n  DNS_CLUSTER_QUERY = {toml_string(payload)}")
    elif target == "fly_key":
        in_fly_env(world, f"  {toml_string(payload)} = {toml_string(payload)}")
    elif target == "fly_app":
        world.replace("fly.toml", 'app = "hello"', f"app = {toml_string(payload)}")
    elif target == "runtime_comment":
        world.append("config/runtime.exs", f"# {payload}\n")
    elif target == "mix_comment":
        world.append("mix.exs", f"# {payload}\n")
    elif target == "vm_args":
        world.append("rel/vm.args.eex", f"## {payload}\n-name {name_payload.split()[0] if name_payload.split() else 'x'}\n")
    elif target in ("toml_name_root", "toml_name_app"):
        folder = world.repo if target == "toml_name_root" else world.app
        path = folder / f"fly.{name_payload}.toml"
        if not os.path.lexists(path):
            path.write_text(f"app = {toml_string(payload)}\n[env]\n  A = {toml_string(payload)}\n")
    elif target == "lib_file":
        path = world.path(f"lib/hello/{name_payload}.ex")
        if not os.path.lexists(path) and path.parent.is_dir() and not path.parent.is_symlink():
            path.write_text("defmodule X do\n  def child, do: {DNSCluster, query: :ignore}\nend\n")
    elif target == "lib_folder":
        folder = world.path(f"lib/{name_payload}")
        if not os.path.lexists(folder) and folder.parent.is_dir() and not folder.parent.is_symlink():
            folder.mkdir()
            (folder / f"{name_payload}.ex").write_text("defmodule Y do\n  use Application\nend\n")
    elif target == "rel_near_miss":
        folder = world.path("rel")
        if folder.is_dir() and not folder.is_symlink() and not os.path.lexists(folder / name_payload):
            (folder / name_payload).write_text(f"# {payload}\n")
            if not os.path.lexists(folder / "env.ssh.eex"):
                (folder / "env.ssh.eex").write_text(f"# {payload}\nexport A={name_payload.split()[0] if name_payload.split() else 'x'}\n")
    elif target == "dockerignore":
        world.append(".dockerignore", f"{name_payload}\n# {payload}\nrel\n")
    elif target == "config_key":
        world.config_touched = True
        world.append(".fly-cluster-lint.toml", f"{toml_string(payload)} = 1\n")
    elif target == "config_secret_name":
        world.append(".fly-cluster-lint.toml", f"secrets = [{toml_string(payload)}]\n")
        world.config_touched = True  # a second `secrets` key is an error too
    elif target == "mix_release_name":
        world.replace("mix.exs", "      deps: deps()\n", f"      deps: deps(),\n      releases: [{{:{json.dumps(payload)}, []}}]\n")
    elif target == "mix_app":
        world.replace("mix.exs", "app: :hello", f"app: :{json.dumps(payload)}")
    elif target == "runtime_query":
        world.replace("config/runtime.exs", 'System.get_env("DNS_CLUSTER_QUERY")', json.dumps(payload))
    elif target == "lib_query":
        world.replace("lib/hello/application.ex", "Application.get_env(:hello, :dns_cluster_query) || :ignore",
                      json.dumps(payload))
    elif target == "docker_cmd":
        world.replace("Dockerfile", 'CMD ["/app/bin/server"]', f"CMD [{json.dumps(payload)}]")
    elif target == "docker_stage":
        world.replace("Dockerfile", "AS builder", f"AS b{name_payload.split()[0] if name_payload.split() else 'x'}")
    elif target == "fly_process":
        world.append("fly.toml", f"[processes]\n  app = {toml_string(payload)}\n  {toml_string(payload)} = \"x\"\n")
    elif target == "fly_release_command":
        world.append("fly.toml", f"[deploy]\n  release_command = {toml_string(payload)}\n")
    elif target == "fly_dockerfile":
        world.replace("fly.toml", "[build]\n", f"[build]\n  dockerfile = {toml_string(payload)}\n")
    elif target == "runtime_app":
        world.append("config/runtime.exs", f"config :{json.dumps(payload)}, {json.dumps(payload)}, dns_cluster_query: {json.dumps(payload)}\n")
    elif target == "suppression_reason":
        world.append("rel/env.sh.eex", f"export A=1 # fly-cluster-lint: ignore[FCL101] -- {payload}\n"
                                       f"# fly-cluster-lint: ignore[{name_payload[:20]}]\nexport B=2\n")


def symlink(world: World, kind: str) -> None:
    app, outside = world.app, world.outside
    if kind == "rel_inside" and world.path("rel").is_dir() and not world.path("rel").is_symlink():
        shutil.move(str(app / "rel"), str(app / "rel-real"))
        os.symlink("rel-real", app / "rel")
    elif kind == "dockerfile_inside" and world.path("Dockerfile").is_file() and not world.path("Dockerfile").is_symlink():
        (app / "docker").mkdir(exist_ok=True)
        shutil.move(str(app / "Dockerfile"), str(app / "docker" / "Dockerfile"))
        os.symlink(Path("docker") / "Dockerfile", app / "Dockerfile")
    elif kind == "env_sh_inside":
        if world.path("rel/env.sh.eex").is_file() and not world.path("rel/env.sh.eex").is_symlink():
            shutil.move(str(app / "rel" / "env.sh.eex"), str(world.repo / "shared.sh.eex"))
            world.link("rel/env.sh.eex", Path("..") / ".." / "shared.sh.eex")
    elif kind == "vm_args_outside":
        world.link("rel/vm.args.eex", outside / "vm.args.eex")
    elif kind == "env_sh_outside":
        world.link("rel/env.sh.eex", outside / "env.sh.eex")
    elif kind == "rel_outside":
        world.link("rel", outside / "dir")
    elif kind == "lib_root":
        world.link("lib", "/")
    elif kind == "config_etc":
        world.link("config", "/etc")
    elif kind == "dockerfile_passwd":
        world.link("Dockerfile", "/etc/passwd")
    elif kind == "loop_pair":
        if not os.path.lexists(app / "loop-a"):
            os.symlink("loop-b", app / "loop-a")
            os.symlink("loop-a", app / "loop-b")
            world.link("rel/vm.args.eex", app / "loop-a")
    elif kind == "loop_self":
        world.link("rel/remote.vm.args.eex", "remote.vm.args.eex")
    elif kind == "lib_loop":
        if world.path("lib/hello").is_dir() and not os.path.lexists(app / "lib" / "hello" / "up"):
            os.symlink("../..", app / "lib" / "hello" / "up")
    elif kind == "app_outside":
        if not os.path.lexists(world.repo / "linked-app"):
            shutil.copytree(BASE, outside / "app2")
            os.symlink(outside / "app2", world.repo / "linked-app")
    elif kind == "misnamed_outside":
        world.link("rel/env.sh", outside / "target.sh")
    elif kind == "toml_outside":
        if not os.path.lexists(world.repo / "fly.staging.toml"):
            os.symlink(outside / "fly.toml", world.repo / "fly.staging.toml")
    elif kind == "config_file_outside":
        world.config_touched = True  # a configuration that leads out of the repository is refused (exit 2)
        world.link(".fly-cluster-lint.toml", outside / "fly.toml")
    elif kind == "templates_dotdot":
        if not os.path.lexists(app / "lnk"):
            os.symlink(outside / "dir", app / "lnk")
        world.replace("mix.exs", "      deps: deps()\n", '      deps: deps(),\n      releases: [hello: [rel_templates_path: "lnk/.."]]\n')


def number(world: World, where: str, digits: int) -> None:
    big = "9" * digits
    if where == "fly_env":
        in_fly_env(world, f"  BIG = {big}")
    elif where == "fly_port":
        world.replace("fly.toml", "internal_port = 8080", f"internal_port = {big}")
    elif where == "fly_key_array":
        world.append("fly.toml", f"[[services]]\n  internal_port = 1{big}\n  ports = [{big}, -{big}, 0x{'f' * digits}]\n")
    elif where == "config_file":
        world.config_touched = True
        world.append(".fly-cluster-lint.toml", f"x = {big}\n")
    elif where == "runtime":
        world.append("config/runtime.exs", f"config :hello, :big, {big}\n")
    elif where == "envsh_arith":
        world.append("rel/env.sh.eex", f"export N=$(( {big} + 1 ))\n")


def nest(world: World, where: str, depth: int) -> None:
    if where == "fly_arrays":
        world.append("fly.toml", "x = " + "[" * depth + "]" * depth + "\n")
    elif where == "fly_tables":
        world.append("fly.toml", "x = " + "{a = " * depth + "1" + "}" * depth + "\n")
    elif where == "fly_dotted":
        world.append("fly.toml", "[" + ".".join(["a"] * depth) + "]\n")
    elif where == "fly_headers":
        world.append("fly.toml", "[[" + ".".join(["b"] * min(depth, 3000)) + "]]\nk = 1\n")
    elif where in ("config_arrays", "config_tables", "config_dotted"):
        world.config_touched = True
        body = {"config_arrays": "secrets = " + "[" * depth + "]" * depth,
                "config_tables": "x = " + "{a = " * depth + "1" + "}" * depth,
                "config_dotted": "x." + ".".join(["a"] * depth) + " = 1"}[where]
        world.append(".fly-cluster-lint.toml", body + "\n")
    elif where == "runtime_lists":
        world.append("config/runtime.exs", "config :hello, :deep, " + "[" * depth + "]" * depth + "\n")
    elif where == "envsh_defaults":
        world.append("rel/env.sh.eex", "export A=" + "${A:-" * depth + "x" + "}" * depth + "\n")
    elif where == "envsh_ifs":
        world.append("rel/env.sh.eex", 'if [ -n "$X" ]; then\n' * min(depth, 3000) + "  export B=1\n" + "fi\n" * min(depth, 3000))
    elif where == "docker_braces":
        world.append("Dockerfile", "ENV A=" + "${a" * depth + "}" * (depth // 2) + "\n")
    elif where == "mix_tuples":
        world.append("mix.exs", "defmodule Deep do\n  def x, do: " + "{" * depth + "}" * depth + "\nend\n")


def encode(world: World, rel: str, how: str) -> None:
    path = world.path(rel)
    if not path.is_file() or path.is_symlink():
        return
    data = path.read_bytes()
    if how == "utf16":
        data = data.decode("utf-8", "replace").encode("utf-16")
    elif how == "latin1":
        data = data + "# caf\u00e9 \u00ff\n".encode("latin-1")
    elif how == "bom_crlf":
        data = b"\xef\xbb\xbf" + data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    elif how == "lone_cr":
        data = data.replace(b"\n", b"\r")
    elif how == "nul":
        data = data.replace(b"\n", b"\n\x00", 1)
    elif how == "overlong":
        data = data + b"# \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80\n"
    elif how == "invalid_utf8_name":
        raw = os.fsencode(str(path.parent)) + b"/x\xff\xfe\x80" + os.fsencode(path.name)
        os.rename(path, os.fsdecode(raw))
        shutil.copyfile(os.fsdecode(raw), path)
        odd = Path(os.fsdecode(os.fsencode(str(world.repo)) + b"/\xe9t\xe9-\x9b"))
        if not odd.exists():
            shutil.copytree(BASE, odd)
        return
    path.write_bytes(data)


def duplicate(world: World, rel: str, seed: int, times: int) -> None:
    text = world.read(rel)
    if not text:
        return
    lines = text.splitlines(keepends=True)
    index = seed % len(lines)
    world.write(rel, "".join(lines[:index] + [lines[index]] * times + lines[index:]))


def hostile_path(world: World, field: str, value: str) -> None:
    value = value.replace("$OUTSIDE", str(world.outside))
    world.shares_neighbour = world.shares_neighbour or "neighbour" in value
    if value.startswith("lnk/") and not os.path.lexists(world.app / "lnk"):
        os.symlink(world.outside / "dir", world.app / "lnk")
    if field == "dockerfile":
        world.replace("fly.toml", "[build]\n", f"[build]\n  dockerfile = {toml_string(value)}\n")
    else:
        world.replace("mix.exs", "      deps: deps()\n",
                      f"      deps: deps(),\n      releases: [hello: [rel_templates_path: {json.dumps(value)}]]\n")


def bad_config(world: World, kind: str, payload: str) -> None:
    world.config_touched = True
    text = {"deep_arrays": "secrets = " + "[" * 2000 + "]" * 2000 + "\n",
            "unknown_key_payload": f"{toml_string(payload)} = 1\n",
            "severity_payload": f"[severity]\n{toml_string('FCL1' + payload)} = {toml_string(payload)}\n",
            "select_payload": f"select = [{toml_string(payload)}]\n",
            "huge": "# " + "x" * (1024 * 1024 + 10) + "\n",
            "not_toml": f"secrets = [{payload}\n",
            "secrets_not_list": f"secrets = {toml_string(payload)}\n"}[kind]
    world.write(".fly-cluster-lint.toml", text)


def apply(world: World, op: tuple) -> None:
    kind = op[0]
    if kind == "plant":
        plant(world, op[1])
    elif kind == "inject":
        inject(world, op[1], PAYLOADS[op[2]])
    elif kind == "symlink":
        symlink(world, op[1])
    elif kind == "number":
        number(world, op[1], op[2])
    elif kind == "nest":
        nest(world, op[1], op[2])
    elif kind == "encode":
        encode(world, op[1], op[2])
    elif kind == "dup":
        duplicate(world, op[1], op[2], op[3])
    elif kind == "path":
        hostile_path(world, *op[1])
    elif kind == "config":
        bad_config(world, op[1], PAYLOADS[op[2]])


# -- running every output and checking the invariants ---------------------------------------------------------

FORMATS = {**OUTPUT_FORMATS, "fix": ["check", "--no-cache", "--fix", "--unsafe-fixes"]}  # last: it writes
SGR = re.compile(r"\x1b\[[0-9;]*m")


class Hang(BaseException):
    """Raised by the alarm: not an Exception, so neither cli.main nor the engine can swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float):
    if not hasattr(signal, "setitimer"):
        yield
        return

    def ring(signum, frame):
        raise Hang(f"no answer after {seconds} s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def run(argv: list[str]) -> tuple[int, str, str, float]:
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with time_limit(RUN_LIMIT), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(argv)
    return status, out.getvalue(), err.getvalue(), time.monotonic() - start


def check_output(name: str, status: int, out: str, err: str, world: World) -> None:
    where = f"[{name}] status {status}; stderr: {err[:500]!r}"
    assert "Traceback" not in err and "internal error" not in err, where
    if status == 2:
        assert world.config_touched or name == "fix", where  # --fix refuses some files with exit 2 (hard links...)
        assert err.count("\n") == 1 and err.startswith("fly-cluster-lint: error: ") and out == "", where
    else:
        assert status in (0, 1), where
    for secret in world.secrets:
        assert secret not in out and secret not in err, f"[{name}] the planted secret {secret!r} is printed"
    text = SGR.sub("", out + err) if name == "color" else out + err
    bad = raw_controls(text, allow_tab=name == "diff")
    assert not bad, f"[{name}] raw control characters {sorted(set(bad))!r}"
    if name == "github":
        # annotations (well-formed), then past GitHub's 10 per level plain log lines: none may be a command
        lines = out.splitlines()
        annotated = [line for line in lines if line.startswith("::")]
        assert annotated == lines[:len(annotated)], "[github] a log line before an annotation"
        wrong = [line for line in annotated if not GITHUB_LINE.match(line)]
        assert not wrong, f"[github] malformed annotations {wrong[:3]!r}"
        commands = [line for line in lines[len(annotated):] if workflow_commands(line)]
        assert not commands, f"[github] workflow commands in log lines {commands[:3]!r}"
        assert not workflow_commands(err), where
    else:
        found = workflow_commands(text)
        assert not found, f"[{name}] workflow commands {found[:3]!r}"
    if name in ("json", "sarif", "env-json") and status != 2:
        assert out.isascii(), f"[{name}] not ASCII"
        doc = json.loads(out)
        if name == "json":
            linted = sorted(Path(a["fly_toml"]).parent.name for a in doc["apps"])
            assert "neighbour" in linted, f"[json] the neighbour app was lost: {linted}"
            # the neighbour app is clean (a hostile app may build with the neighbour's Dockerfile: its findings
            # are then in that file, but they are the hostile app's)
            assert not [d for d in doc["diagnostics"] if d["app"].endswith("/neighbour/fly.toml")], \
                "[json] the neighbour got findings"


def exercise(root: Path, secret: str, ops: tuple) -> None:
    world = World(root, secret)
    for op in ops:
        apply(world, op)
    outside_before = tree(world.outside)
    neighbour_before = tree(world.repo / "neighbour")
    started = time.monotonic()
    for name, words in FORMATS.items():
        try:
            status, out, err, took = run([*words, str(world.repo)])
        except Hang as exc:
            raise AssertionError(f"[{name}] hang: {exc}") from None
        check_output(name, status, out, err, world)
        assert took < RUN_LIMIT, f"[{name}] took {took:.1f} s"
    assert time.monotonic() - started < EXAMPLE_LIMIT
    assert tree(world.outside) == outside_before, "--fix changed something outside the repository"
    if not world.shares_neighbour:
        assert tree(world.repo / "neighbour") == neighbour_before, "--fix changed the clean neighbour app"


# -- the property ----------------------------------------------------------------------------------------------

S = "PkExampleSecretValue42Zq"


@settings(PROFILE)
@given(scenario=scenario_st)
# the numbered attacks of the hardening issue, as explicit examples (run first, in every profile)
@example(scenario=(S, (("plant", "misnamed_env_sh"), ("plant", "aflags_envsh"))))  # 2: rename fix, ERL_AFLAGS
@example(scenario=(S, (("plant", "flags_fly"), ("plant", "elixir_opts_docker"), ("plant", "declared_fly"))))  # 2
@example(scenario=(S, (("plant", "envsh_fallback"), ("plant", "mix_cookie"), ("plant", "vm_args"),
                       ("plant", "docker_arg_global"))))
@example(scenario=(S, (("plant", "envsh_flow"), ("plant", "misnamed_beside"), ("plant", "declared_envsh"))))
@example(scenario=(S, (("plant", "envsh_multiline"), ("plant", "docker_continued"), ("plant", "envsh_unexported_flow"))))
@example(scenario=(S, (("inject", "fly_app", 1), ("inject", "toml_name_root", 12), ("inject", "lib_folder", 2))))  # 6
@example(scenario=(S, (("inject", "envsh_comment", 0), ("inject", "fly_env", 15), ("inject", "docker_env", 16),
                       ("inject", "envsh_query", 8))))
@example(scenario=(S, (("inject", "config_key", 15),)))  # 6: newlines in a config error
@example(scenario=(S, (("inject", "toml_name_app", 19), ("inject", "lib_file", 9), ("inject", "rel_near_miss", 6))))
@example(scenario=(S, (("number", "fly_env", 5000), ("nest", "fly_arrays", 3000))))  # 7: huge integer, deep fly.toml
@example(scenario=(S, (("nest", "config_arrays", 3000),)))  # 7: deep config -> one-line error
@example(scenario=(S, (("symlink", "misnamed_outside"), ("plant", "outside_target"))))  # 7: env.sh outside
@example(scenario=(S, (("encode", "rel/env.sh.eex", "invalid_utf8_name"), ("encode", "fly.toml", "utf16"))))  # 7
@example(scenario=(S, (("path", ("templates", "../../outside")), ("symlink", "rel_outside"))))  # 5: --fix outside
@example(scenario=(S, (("symlink", "lib_root"), ("symlink", "config_etc"), ("symlink", "loop_pair"))))  # 9
@example(scenario=(S, (("path", ("dockerfile", "/etc/passwd")), ("symlink", "dockerfile_passwd"))))  # 9: oracle
@example(scenario=(S, (("nest", "envsh_defaults", 2000), ("nest", "docker_braces", 5000), ("dup", "rel/env.sh.eex", 3, 300))))
@example(scenario=(S, (("config", "huge", 0),)))  # 9: oversized config
@example(scenario=(S, (("plant", "fly_env"), ("inject", "suppression_reason", 12), ("symlink", "env_sh_inside"))))
@example(scenario=(S, (("path", ("dockerfile", "../neighbour/Dockerfile")), ("path", ("templates", ".")))))  # long run
@example(scenario=(S, (("plant", "fly_env"), ("plant", "aflags_fly"), ("dup", "lib/hello/application.ex", 847, 222))))
def test_hostile_mutations_keep_every_output_safe(tmp_path_factory, scenario) -> None:
    secret, ops = scenario
    exercise(tmp_path_factory.mktemp("hostile"), secret, ops)


# -- the once-known bugs (red team), through the same invariants: they stay as explicit regression examples ----

@pytest.mark.parametrize("ops", [
    pytest.param((("plant", "aflags_newline"),), id="setcookie-newline"),
    pytest.param((("plant", "aflags_escaped"),), id="setcookie-escaped"),
    pytest.param((("plant", "cookie_only_punctuation"),), id="punctuation-cookie"),
    pytest.param((("symlink", "templates_dotdot"),), id="templates-dotdot"),
    pytest.param((("nest", "config_dotted", 3000),), id="config-dotted-key"),
    pytest.param((("plant", "fly_multiline"), ("plant", "envsh_multiline")), id="fcl601-fix-multiline-value"),
])
def test_once_known_bugs_keep_the_invariants(tmp_path, ops) -> None:
    exercise(tmp_path, S, ops)


def test_secret_matcher_covers_every_occurrence() -> None:
    """The masking automaton (more than 32 values) against a naive search: every occurrence of every value is
    inside a masked range, whatever the overlaps."""
    from fly_cluster_lint.model.secrets import MIN_MASKED, Secrets

    @settings(PROFILE, max_examples=200 if not LONG else 3000)
    @given(words=st.lists(st.text("abc", min_size=MIN_MASKED, max_size=MIN_MASKED + 5), min_size=33, max_size=60,
                          unique=True),
           text=st.text("abcd", max_size=400))
    def check(words, text):
        ranges = Secrets(values=words).occurrences(text)
        covered = set()
        for start, end in ranges:
            covered.update(range(start, end))
        for word in words:
            at = text.find(word)
            while at >= 0:
                assert set(range(at, at + len(word))) <= covered, (word, at)
                at = text.find(word, at + 1)

    check()
