"""The symptom scenarios: one setup per runtime claim of a rule, booted as two Fly Machines (or one, where a
second machine adds nothing). The starting point is the base fixture project's layers (final-stage Dockerfile
`ENV`, `fly.toml [env]`, the declared `RELEASE_COOKIE` secret) and the flyctl/Phoenix env.sh, rendered for
the release `hello`; each scenario changes one thing."""

from __future__ import annotations

from functools import lru_cache

from . import layers, machinery
from .machinery import Action, MachineSpec, ReleaseSpec, Scenario

APPS = ["hello", "hello-staging"]
RELEASE = "hello"

NODE = '"${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"'
QUERY = '"${FLY_APP_NAME}.internal"'
PROTO = '"-proto_dist inet6_tcp"'


def env_sh(*, query: str | None = QUERY, node: str | None = NODE, aflags: str | None = PROTO,
           ecto: str | None = '"true"', distribution: str | None = '"name"', fallback: bool = True,
           in_block: str = "", after: str = "", guard: str = 'if [ -n "$FLY_APP_NAME" ]; then') -> str:
    """The env.sh that flyctl writes (rendered for `hello`), with one part changed or left out."""
    block = []
    if query is not None:
        block.append(f"  export DNS_CLUSTER_QUERY={query}")
    if node is not None:
        block.append(f"  export RELEASE_NODE={node}")
    if aflags is not None:
        block.append(f"  export ERL_AFLAGS={aflags}")
    if ecto is not None:
        block.append(f"  export ECTO_IPV6={ecto}")
    text = "#!/bin/sh\n\n" + guard + "\n" + "\n".join(block) + "\n" + in_block + "fi\n\n"
    if distribution is not None:
        text += f"export RELEASE_DISTRIBUTION={distribution}\n"
    if fallback:
        text += f"export RELEASE_NODE=${{RELEASE_NODE:-{RELEASE}@$(hostname)}}\n"
    return text + after


FLY_ENV_SH = env_sh()


def case_file(case: str, path: str) -> str:
    return (layers.CASES / case / "files" / path).read_text()


def case_sh(case: str) -> str:
    """A golden case's rel/env.sh.eex rendered for `hello` 0.1.0 (its only EEx is @release.name/.version). A
    scenario built from it is the same boot as the environment and verdict oracles' boot of that case, so the
    lab runs it once."""
    text = (layers.CASES / case / "files" / "rel" / "env.sh.eex").read_text()
    text = text.replace("<%= @release.name %>", RELEASE).replace("<%= @release.version %>", "0.1.0")
    assert "<%" not in text, f"{case}: unexpected EEx"
    return text


@lru_cache(maxsize=None)
def base_target() -> layers.Target:
    return layers.targets_of("case", "base", layers.BASE)[0]


def base_env(*, secrets: bool = True, **overrides: str | None) -> dict[str, str]:
    """The base project's layers: Dockerfile ENV, fly.toml [env], the RELEASE_COOKIE secret."""
    target = base_target()
    env = dict(target.docker_env)
    env.update(target.toml_env)
    if secrets:
        env.update(target.secret_values())
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def pair(name: str, *, sh: str | None = FLY_ENV_SH, env: dict | None = None, vm_args: str | None = None,
         remote_vm_args: str | None = None, runtime_exs: str | None = None, children: str = "dns_cluster",
         app: str = "hello", machines: str = "ab", b: dict | None = None, start: str = "release",
         build: str = "a", actions: tuple = (), until: str = "settled", deadline: float = 8.0,
         db_check: tuple | None = None, listeners: tuple = (), cookie: str | None = None,
         rounds_after_boot: int = 2) -> Scenario:
    """Machines `a` and `b` of one app from one image; `b` can differ (keys of MachineSpec/ReleaseSpec)."""
    specs = []
    for machine in machines:
        over = (b or {}) if machine == "b" else {}
        release = ReleaseSpec(name=RELEASE, build=over.get("build", build), env_sh=over.get("sh", sh),
                              vm_args=vm_args, remote_vm_args=remote_vm_args,
                              runtime_exs=over.get("runtime_exs", runtime_exs), cookie=cookie)
        probe = {"children": children}
        if db_check and machine == "a":
            probe["db_check"] = db_check
        fly = machinery.fly_variables(app, machine, "ams", over.get("deploy", machinery.DEPLOY_ID))
        specs.append(MachineSpec(machine=machine, release=release,
                                 env=over.get("env", env if env is not None else base_env()),
                                 fly=fly, start=start, probe=probe))
    return Scenario(name=name, machines=specs, actions=list(actions), until=until, deadline=deadline,
                    listeners=list(listeners), rounds_after_boot=rounds_after_boot)


def one(name: str, **kwargs) -> Scenario:
    return pair(name, machines="a", **kwargs)


# ---------------------------------------------------------------------------------------------------------

RUNTIME_EXS_TEMPLATE = """import Config

if config_env() == :prod do
  maybe_ipv6 = if System.get_env("ECTO_IPV6") in ~w(true 1), do: [:inet6], else: []
  config :probe_app, :repo_socket_options, maybe_ipv6
{query}
end
"""
QUERY_LINE = '  config :probe_app, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")\n'

DB = ("hello-db.internal", 5432)

DOCKERFILE_BUILDER_ONLY = """ARG BUILDER_IMAGE="hexpm/elixir:1.17.3-erlang-27.1.2-debian-bookworm-20241016-slim"
ARG RUNNER_IMAGE="debian:bookworm-20241016-slim"

FROM ${BUILDER_IMAGE} AS builder
ENV MIX_ENV="prod"
ENV ERL_AFLAGS="-proto_dist inet6_tcp" ECTO_IPV6=true
RUN mix release

FROM ${RUNNER_IMAGE} AS final
ENV LANG=en_US.UTF-8
ENV MIX_ENV="prod"
CMD ["/app/bin/server"]
"""

DOCKERFILE_NODE_ENV = """ARG RUNNER_IMAGE="debian:bookworm-20241016-slim"
FROM ${RUNNER_IMAGE} AS final
ENV LANG=en_US.UTF-8
ENV RELEASE_NODE=hello@${FLY_PRIVATE_IP}
ENV MIX_ENV="prod"
CMD ["/app/bin/server"]
"""

TRUTHY_RUNTIME_EXS = """import Config

if config_env() == :prod do
  # Phoenix 1.6.3 to 1.6.16
  maybe_ipv6 = if System.get_env("ECTO_IPV6"), do: [:inet6], else: []
  config :probe_app, :repo_socket_options, maybe_ipv6
  config :probe_app, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")
end
"""

NOT_WIRED_RUNTIME_EXS = """import Config

if config_env() == :prod do
  # the Repo config without `socket_options: maybe_ipv6`
  config :probe_app, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")
end
"""

REMOTE = (Action("rpc", "IO.puts(node())"), Action("remote"))


def _builders():
    return {
        "baseline": lambda: pair("baseline", actions=REMOTE),
        "default_env_sh": lambda: pair("default_env_sh", sh=None),
        "fcl001_env_sh_syntax": lambda: one("fcl001_env_sh_syntax", sh=FLY_ENV_SH.replace("fi\n", "", 1)),
        "fcl005_double_brackets": lambda: pair("fcl005_double_brackets", sh=case_sh("fcl005-double-brackets")),
        "fcl005_source": lambda: one("fcl005_source", sh=FLY_ENV_SH + "source /etc/profile\n"),
        "fcl005_function": lambda: one("fcl005_function", sh=FLY_ENV_SH + "function greet { echo hi; }\n"),
        "fcl006_not_exported": lambda: pair(
            "fcl006_not_exported", sh=env_sh(aflags=None, in_block='  ERL_AFLAGS="-proto_dist inet6_tcp"\n')),
        "fcl006_already_in_env": lambda: one(
            "fcl006_already_in_env", sh=env_sh(ecto=None, in_block='  ECTO_IPV6="true"\n'),
            env=base_env(ECTO_IPV6="false"), until="boot"),
        "fcl006_release_vars": lambda: pair(
            "fcl006_release_vars", sh=env_sh(distribution=None, node=None, fallback=False,
                                             in_block=f"  RELEASE_NODE={NODE}\n", after='RELEASE_DISTRIBUTION="name"\n')),
        "fcl101_missing": lambda: pair("fcl101_missing", sh=case_sh("fcl101-missing")),
        "fcl102_env_twice": lambda: pair(
            "fcl102_env_twice", sh=env_sh(in_block='  export ELIXIR_ERL_OPTIONS="-proto_dist inet6_tcp"\n')),
        "fcl102_env_and_vm_args": lambda: pair(
            "fcl102_env_and_vm_args", vm_args="## Customize flags given to the VM\n-proto_dist inet6_tcp\n"),
        "fcl103_builder_only": lambda: pair(
            "fcl103_builder_only", sh=env_sh(aflags=None, ecto=None),
            env={**layers.dockerfile_final_env(DOCKERFILE_BUILDER_ONLY), **base_target().toml_env,
                 **base_target().secret_values()}),
        "fcl104_vm_args_only": lambda: pair(
            "fcl104_vm_args_only", sh=env_sh(aflags=None), vm_args="-proto_dist inet6_tcp\n", actions=REMOTE),
        "fcl104_start_case": lambda: pair(
            "fcl104_start_case", sh=env_sh(aflags=None) + 'case $RELEASE_COMMAND in\n  start*|daemon*)\n'
            '    export ELIXIR_ERL_OPTIONS="-proto_dist inet6_tcp"\n    ;;\nesac\n', actions=REMOTE),
        "fcl104_vm_args_both": lambda: pair(
            "fcl104_vm_args_both", sh=env_sh(aflags=None), vm_args="-proto_dist inet6_tcp\n",
            remote_vm_args="-proto_dist inet6_tcp\n", actions=REMOTE),
        "fcl201_sname_ipv6": lambda: pair("fcl201_sname_ipv6", sh=case_sh("fcl201-sname")),
        "fcl201_sname_dotted": lambda: one(
            "fcl201_sname_dotted", sh=env_sh(distribution='"sname"', node='"${FLY_APP_NAME}@${FLY_APP_NAME}.internal"')),
        "fcl201_invalid_value": lambda: pair("fcl201_invalid_value", sh=case_sh("fcl201-invalid-value")),
        "fcl201_missing": lambda: pair("fcl201_missing", sh=case_sh("fcl201-missing")),
        "fcl202_missing": lambda: pair("fcl202_missing", sh=case_sh("fcl202-missing")),
        "fcl203_hostname": lambda: pair(
            "fcl203_hostname", sh=env_sh(node='"${FLY_APP_NAME}@$(hostname)"'), deadline=16.0),
        "fcl203_internal_name": lambda: pair(
            "fcl203_internal_name", sh=env_sh(node='"${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_APP_NAME}.internal"'),
            deadline=16.0),
        "fcl203_fly_local_6pn": lambda: pair("fcl203_fly_local_6pn", sh=case_sh("fcl203-fly-local-6pn")),
        "fcl204_machine_id": lambda: pair("fcl204_machine_id", sh=case_sh("fcl204-machine-id")),
        "fcl204_two_deploys": lambda: pair("fcl204_two_deploys", b={"deploy": machinery.OTHER_DEPLOY_ID}),
        "fcl205_fly_toml": lambda: one(
            "fcl205_fly_toml", sh=env_sh(node=None, fallback=False),
            env=base_env(RELEASE_NODE="${FLY_APP_NAME}@${FLY_PRIVATE_IP}")),
        "fcl205_dockerfile": lambda: one(
            "fcl205_dockerfile", sh=env_sh(node=None, fallback=False),
            env={**layers.dockerfile_final_env(DOCKERFILE_NODE_ENV), **base_target().toml_env,
                 **base_target().secret_values()}),
        "fcl206_version": lambda: pair("fcl206_version", sh=case_sh("fcl206-version-in-basename")),
        "fcl206_leading_dash": lambda: one(
            "fcl206_leading_dash", sh=env_sh(node='"${APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"')),
        "fcl207_vm_args_name": lambda: pair(
            "fcl207_vm_args_name", vm_args="## Customize flags given to the VM\n+sbwt none\n-name hello@127.0.0.1\n"),
        "fcl301_no_discovery": lambda: pair("fcl301_no_discovery", children="none"),
        "fcl302_missing_module": lambda: one("fcl302_missing_module", children="missing_module"),
        "fcl303_query_unset": lambda: pair("fcl303_query_unset", sh=case_sh("fcl303-unset")),
        "fcl304_not_configured": lambda: pair(
            "fcl304_not_configured", runtime_exs=RUNTIME_EXS_TEMPLATE.format(query="")),
        "fcl305_other_key": lambda: pair(
            "fcl305_other_key", runtime_exs=RUNTIME_EXS_TEMPLATE.format(query=QUERY_LINE.replace(
                ":dns_cluster_query", ":dns_query"))),
        "fcl305_other_app": lambda: pair(
            "fcl305_other_app", runtime_exs=RUNTIME_EXS_TEMPLATE.format(query=QUERY_LINE.replace(
                "config :probe_app,", "config :probe_app_web,"))),
        "fcl306_txt_only": lambda: pair("fcl306_txt_only", sh=case_sh("fcl306-txt-only")),
        "fcl306_comma": lambda: pair("fcl306_comma", sh=case_sh("fcl306-comma-list")),
        "fcl306_empty": lambda: pair(
            "fcl306_empty", sh=env_sh(query=None), env=base_env(DNS_CLUSTER_QUERY="")),
        "fcl306_flycast": lambda: pair("fcl306_flycast", sh=case_sh("fcl306-flycast")),
        "fcl306_valid_forms": lambda: pair("fcl306_valid_forms", sh=case_sh("fcl306-valid-forms")),
        "fcl307_other_app": lambda: pair("fcl307_other_app", sh=case_sh("fcl307-other-app")),
        "fcl308_dev_build": lambda: pair("fcl308_dev_build", build="dev"),
        "fcl311_basename_mismatch": lambda: pair("fcl311_basename_mismatch", children="dns_poll"),
        "fcl311_basename_match": lambda: pair(
            "fcl311_basename_match", children="dns_poll", sh=env_sh(node='"${FLY_APP_NAME}@${FLY_PRIVATE_IP}"')),
        "fcl313_two_trees": lambda: one("fcl313_two_trees", children="duplicate_in_two_trees"),
        "fcl313_one_list": lambda: one("fcl313_one_list", children="duplicate_in_one_list"),
        "fcl401_two_builds": lambda: pair(
            "fcl401_two_builds", env=base_env(secrets=False), b={"build": "b"}),
        "fcl401_two_builds_fixed_secret": lambda: pair("fcl401_two_builds_fixed_secret", b={"build": "b"}),
        "fcl403_empty_export": lambda: pair(
            "fcl403_empty_export", sh=FLY_ENV_SH + 'export RELEASE_COOKIE=""\n', b={"build": "b"}),
        "fcl403_export_overrides_secret": lambda: pair(
            "fcl403_export_overrides_secret", sh=FLY_ENV_SH + 'export RELEASE_COOKIE="cookie_from_env_sh_'
            'Yb3LqT8mW2xK5vN9pR4s"\n', b={"sh": FLY_ENV_SH}),
        "fcl405_dashes": lambda: pair(
            "fcl405_dashes", env=base_env(RELEASE_COOKIE="my-app-cookie")),
        "fcl501_unset": lambda: one(
            "fcl501_unset", sh=env_sh(ecto=None), db_check=DB, listeners=(("b", 5432),), until="settled"),
        "fcl501_set": lambda: one("fcl501_set", db_check=DB, listeners=(("b", 5432),)),
        "fcl502_not_wired": lambda: one(
            "fcl502_not_wired", runtime_exs=NOT_WIRED_RUNTIME_EXS, db_check=DB, listeners=(("b", 5432),)),
        "fcl503_yes": lambda: one("fcl503_yes", sh=env_sh(ecto='"yes"'), db_check=DB, listeners=(("b", 5432),)),
        "fcl503_truthy_false": lambda: one(
            "fcl503_truthy_false", sh=env_sh(ecto='"false"'), runtime_exs=TRUTHY_RUNTIME_EXS, db_check=DB,
            listeners=(("b", 5432),)),
        "fcl601_export_wins": lambda: one(
            "fcl601_export_wins", env=base_env(DNS_CLUSTER_QUERY="hello-old.internal"), until="boot"),
        "fcl601_guarded_keeps_outer": lambda: one(
            "fcl601_guarded_keeps_outer", sh=env_sh(query='"${DNS_CLUSTER_QUERY:-${FLY_APP_NAME}.internal}"'),
            env=base_env(DNS_CLUSTER_QUERY="hello-old.internal"), until="boot"),
        "fcl102_append_over_image": lambda: pair(
            "fcl102_append_over_image", sh=env_sh(aflags='"$ERL_AFLAGS -proto_dist inet6_tcp"'),
            env=base_env(ERL_AFLAGS="-proto_dist inet6_tcp")),
        "fcl602_mix_run": lambda: pair("fcl602_mix_run", start="mix"),
        "fcl207_setcookie": lambda: pair(
            "fcl207_setcookie", vm_args=case_file("vm-args-setcookie-from-variable", "rel/vm.args.eex")),
        "fcl101_unquoted_export": lambda: pair("fcl101_unquoted_export", sh=case_sh("proto-dist-unquoted-export")),
        "fcl104_entrypoint_script": lambda: pair(
            "fcl104_entrypoint_script", sh=case_sh("image-entrypoint-not-for-remote"), actions=REMOTE,
            start="script:" + str(layers.CASES / "image-entrypoint-not-for-remote" / "files" / "scripts" / "start.sh")),
    }


_CACHE: dict[str, Scenario] = {}


def get(name: str) -> Scenario:
    if name not in _CACHE:
        _CACHE[name] = _builders()[name]()
    return _CACHE[name]


def names() -> list[str]:
    return sorted(_builders())
