"""The effective environment: layers in boot order, override chains and provenance."""

from __future__ import annotations

from conftest import lint, make_project
from fly_cluster_lint.model.environment import DEFAULT, DOCKERFILE, ENV_SH, FLY_TOML, SECRET

DOCKERFILE_TEXT = """FROM hexpm/elixir:1.17.3-erlang-27.1.2-debian-bookworm-20241016-slim AS builder
ENV ERL_AFLAGS="+JMsingle true"
ENV MIX_ENV=prod
COPY . .
RUN mix release

FROM builder AS tools
ENV FROM_BUILDER=yes

FROM debian:bookworm-slim AS final
ENV DNS_CLUSTER_QUERY=from-image.internal \\
    ECTO_IPV6=false
ENV APP_LABEL "image label"
COPY --from=builder /app/_build/prod/rel/hello ./
CMD ["/app/bin/server"]
"""

FLY_TOML_TEXT = """app = "hello"

[env]
  ECTO_IPV6 = true
  RELEASE_COOKIE = "from-toml-but-secret-wins"
  APP_LABEL = "toml label"
"""

ENV_SH_TEXT = """#!/bin/sh
# export RELEASE_DISTRIBUTION=sname
if [ -n "$FLY_APP_NAME" ]; then
  export DNS_CLUSTER_QUERY="${FLY_APP_NAME}.internal"
  export RELEASE_NODE="${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"
  export ERL_AFLAGS="-proto_dist inet6_tcp"
else
  export DNS_CLUSTER_QUERY="localhost"
fi
export APP_LABEL="${APP_LABEL:-shell label}"
export ERL_AFLAGS="$ERL_AFLAGS -kernel shell_history enabled"
export RELEASE_NODE=${RELEASE_NODE:-<%= @release.name %>@$(hostname)}
case $RELEASE_COMMAND in
  remote|rpc) export REMOTE_ONLY=1 ;;
esac
UNEXPORTED=1
"""


def build(tmp_path):
    project = make_project(tmp_path / "app", {"Dockerfile": DOCKERFILE_TEXT, "fly.toml": FLY_TOML_TEXT,
                                              "rel/env.sh.eex": ENV_SH_TEXT})
    result = lint(project)
    assert len(result.apps) == 1
    return result.apps[0]


def test_final_stage_only_and_toml_over_image(tmp_path) -> None:
    env = build(tmp_path).environment
    assert env.get("FROM_BUILDER") is None and env.get("MIX_ENV") is None  # not inherited by `FROM debian`
    ecto = env.get("ECTO_IPV6")
    assert ecto.literal == "true" and ecto.setting.layer == FLY_TOML  # TOML `true` counts as "true"
    assert [(s.layer, status) for s, status in ecto.history] == [(DOCKERFILE, "overridden"), (FLY_TOML, "effective")]
    assert ecto.history[0][0].span.line == 12


def test_secret_over_toml_and_default_cookie_kept(tmp_path) -> None:
    cookie = build(tmp_path).environment.get("RELEASE_COOKIE")
    assert cookie.setting.layer == SECRET and cookie.parts is None
    assert [status for _, status in cookie.history] == ["overridden", "effective", "kept outer value"]


def test_env_sh_export_replaces_image_value(tmp_path) -> None:
    query = build(tmp_path).environment.get("DNS_CLUSTER_QUERY")
    assert query.setting.layer == ENV_SH and query.text == "${FLY_APP_NAME}.internal"
    assert (query.setting.span.line, query.setting.span.column) == (4, 28)
    assert [(s.layer, st) for s, st in query.history] == [(DOCKERFILE, "overridden"), (ENV_SH, "effective"),
                                                          (ENV_SH, "not applied on Fly")]


def test_default_keeps_outer_and_append_extends(tmp_path) -> None:
    env = build(tmp_path).environment
    label = env.get("APP_LABEL")
    assert label.literal == "toml label" and label.setting.layer == FLY_TOML
    assert label.history[-1][1] == "kept outer value"
    flags = env.get("ERL_AFLAGS")
    assert flags.literal == "-proto_dist inet6_tcp -kernel shell_history enabled"
    assert [st for _, st in flags.history] == ["appended to", "effective"]  # the builder stage ENV is not inherited


def test_release_defaults_and_commands(tmp_path) -> None:
    app = build(tmp_path)
    env = app.environment
    assert env.get("RELEASE_DISTRIBUTION").setting.layer == DEFAULT
    assert env.get("RELEASE_DISTRIBUTION").literal == "sname"  # the commented export does not count
    node = env.get("RELEASE_NODE")
    assert node.setting.layer == ENV_SH and node.setting.span.line == 5
    assert env.get("REMOTE_ONLY") is None
    assert app.environment_for("remote").get("REMOTE_ONLY").literal == "1"
    unexported = env.get("UNEXPORTED")
    assert unexported is not None and not unexported.exported  # FCL006 reports it; values count as written


def test_fallback_node_name_off_fly_uses_release_name(tmp_path) -> None:
    project = make_project(tmp_path / "app", {"rel/env.sh.eex":
                                              "export RELEASE_NODE=${RELEASE_NODE:-<%= @release.name %>@$(hostname)}\n"})
    node = lint(project).apps[0].environment.get("RELEASE_NODE")
    assert node.text == "hello@$(hostname)"
