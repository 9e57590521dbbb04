"""Inline suppressions on every file type: used, unused (FCL009), unknown codes, file-level, next line."""

from __future__ import annotations

from conftest import BASE, found, make_project

ENV_SH = (BASE / "rel" / "env.sh.eex").read_text()
DOCKERFILE = (BASE / "Dockerfile").read_text()
RUNTIME = (BASE / "config" / "runtime.exs").read_text()
MIX = (BASE / "mix.exs").read_text()


def lint_with(tmp_path, overlay):
    return found(make_project(tmp_path / "app", overlay))


def test_end_of_line_suppression_in_env_sh(tmp_path) -> None:
    env = ENV_SH.replace('@${FLY_PRIVATE_IP}"', '@$(hostname)"')
    assert lint_with(tmp_path / "a", {"rel/env.sh.eex": env}) == ["rel/env.sh.eex:5:23: FCL203"]
    env = env.replace('@$(hostname)"\n', '@$(hostname)"  # fly-cluster-lint: ignore[FCL203] -- single machine\n')
    assert lint_with(tmp_path / "b", {"rel/env.sh.eex": env}) == []


def test_line_before_and_eex_comment(tmp_path) -> None:
    env = ENV_SH.replace('  export ERL_AFLAGS="-proto_dist inet6_tcp"\n', "")
    env = env.replace("fi\n", "  <%# fly-cluster-lint: ignore[FCL101, FCL501] -- set by the base image %>\nfi\n")
    env = env.replace('  export ECTO_IPV6="true"\n', "")
    assert lint_with(tmp_path, {"rel/env.sh.eex": env}) == []


def test_unused_and_unknown_codes_are_fcl009(tmp_path) -> None:
    env = ENV_SH.replace('  export ERL_AFLAGS="-proto_dist inet6_tcp"\n',
                         '  # fly-cluster-lint: ignore[FCL101,FCL999]\n  export ERL_AFLAGS="-proto_dist inet6_tcp"\n')
    assert lint_with(tmp_path, {"rel/env.sh.eex": env}) == ["rel/env.sh.eex:6:30: FCL009", "rel/env.sh.eex:6:37: FCL009"]


def test_unreadable_directive_is_reported(tmp_path) -> None:
    env = ENV_SH + "# fly-cluster-lint: ignroe FCL101\n"
    assert lint_with(tmp_path, {"rel/env.sh.eex": env}) == ["rel/env.sh.eex:12:1: FCL009"]


def test_file_level_in_fly_toml(tmp_path) -> None:
    toml = ('# fly-cluster-lint: ignore-file[FCL401] -- review apps share a cookie on purpose\napp = "hello"\n\n'
            '[env]\n  PORT = "8080"\n')
    assert lint_with(tmp_path / "a", {"fly.toml": toml, ".fly-cluster-lint.toml": ""}) == []
    assert lint_with(tmp_path / "b", {"fly.toml": toml}) == ["fly.toml:1:33: FCL009"]


def test_dockerfile_comment_line_before(tmp_path) -> None:
    bad = DOCKERFILE.replace("COPY rel rel\n", "")
    assert lint_with(tmp_path / "a", {"Dockerfile": bad}) == ["Dockerfile:22:1: FCL004"]
    fixed = bad.replace("RUN mix release\n", "# fly-cluster-lint: ignore[FCL004] -- rel/ comes from the base image\n"
                                              "RUN mix release\n")
    assert lint_with(tmp_path / "b", {"Dockerfile": fixed}) == []


def test_elixir_config_and_mix(tmp_path) -> None:
    runtime = RUNTIME.replace('  config :hello, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")\n', "")
    runtime = runtime.replace("\nend\n", "\n  # fly-cluster-lint: ignore[FCL304]\nend\n")
    assert lint_with(tmp_path / "a", {"config/runtime.exs": runtime}) == []
    mix = MIX.replace('      {:dns_cluster, "~> 0.1.1"},\n', "")
    assert lint_with(tmp_path / "b", {"mix.exs": mix}) == ["lib/hello/application.ex:8:7: FCL302"]
    app = (BASE / "lib/hello/application.ex").read_text().replace(
        "|| :ignore},", "|| :ignore},  # fly-cluster-lint: ignore[FCL302] -- vendored")
    assert lint_with(tmp_path / "c", {"mix.exs": mix, "lib/hello/application.ex": app}) == []


def test_vm_args_and_dockerignore(tmp_path) -> None:
    vm_args = "-name hello@127.0.0.1 # fly-cluster-lint: ignore[FCL207]\n"
    assert lint_with(tmp_path / "a", {"rel/vm.args.eex": vm_args}) == []
    ignore = "_build/\n# fly-cluster-lint: ignore[FCL004] -- env.sh.eex is baked into the builder image\nrel/\n"
    assert lint_with(tmp_path / "b", {".dockerignore": ignore}) == []


def test_suppression_in_a_file_no_rule_reports_on_is_unused(tmp_path) -> None:
    config = (BASE / "config" / "config.exs").read_text() + "# fly-cluster-lint: ignore[FCL101]\n"
    assert lint_with(tmp_path, {"config/config.exs": config}) == ["config/config.exs:8:28: FCL009"]


def test_fcl009_can_be_ignored_in_config(tmp_path) -> None:
    env = ENV_SH + "# fly-cluster-lint: ignore[FCL101]\n"
    assert lint_with(tmp_path, {"rel/env.sh.eex": env,
                                ".fly-cluster-lint.toml": 'secrets = ["RELEASE_COOKIE"]\nignore = ["FCL009"]\n'}) == []
