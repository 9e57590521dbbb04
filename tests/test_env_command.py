"""`fly-cluster-lint env`: effective values, the winning file:line, override chains across all four
layers (Dockerfile, fly.toml, secrets, env.sh.eex, release defaults), masked cookies."""

from __future__ import annotations

import json

from conftest import make_project, run_cli

DOCKERFILE = """FROM hexpm/elixir:1.17.3-erlang-27.1.2-debian-bookworm-20241016-slim AS builder
ENV MIX_ENV=prod
COPY . .
RUN mix release

FROM debian:bookworm-slim AS final
ENV DNS_CLUSTER_QUERY=from-image.internal ERL_AFLAGS="-kernel inet_dist_listen_min 4370"
COPY --from=builder /app/_build/prod/rel/hello ./
CMD ["/app/bin/server"]
"""
FLY_TOML = 'app = "hello"\n\n[env]\n  DNS_CLUSTER_QUERY = "from-toml.internal"\n  RELEASE_COOKIE = "planted_cookie_value_for_masking_0123456789"\n'
ENV_SH = """#!/bin/sh
if [ -n "$FLY_APP_NAME" ]; then
  export DNS_CLUSTER_QUERY="${FLY_APP_NAME}.internal"
  export RELEASE_NODE="${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"
  export ECTO_IPV6="true"
fi
export ERL_AFLAGS="$ERL_AFLAGS -proto_dist inet6_tcp"
export RELEASE_DISTRIBUTION=name
"""


def project(tmp_path, secrets: str = "[]"):
    return make_project(tmp_path / "app", {"Dockerfile": DOCKERFILE, "fly.toml": FLY_TOML, "rel/env.sh.eex": ENV_SH,
                                           ".fly-cluster-lint.toml": f"secrets = {secrets}\n"})


def variables(tmp_path, secrets: str = "[]") -> dict:
    proc = run_cli("env", "--format", "json", cwd=project(tmp_path, secrets))
    assert proc.returncode == 0, proc.stderr
    assert "planted_cookie_value" not in proc.stdout
    (app,) = json.loads(proc.stdout)["apps"]
    return {v["name"]: v for v in app["variables"]}


def test_override_chain_across_image_toml_and_env_sh(tmp_path) -> None:
    query = variables(tmp_path)["DNS_CLUSTER_QUERY"]
    assert query["value"] == "${FLY_APP_NAME}.internal" and query["resolved"] == "hello.internal"
    assert query["layer"] == "env.sh.eex" and (query["source"]["line"], query["source"]["column"]) == (3, 28)
    chain = [(h["layer"], h["status"], h["value"], h["source"]["line"]) for h in query["history"]]
    assert chain == [("Dockerfile", "overridden", "from-image.internal", 7),
                     ("fly.toml", "overridden", "from-toml.internal", 4)]


def test_declared_secret_is_a_layer_and_its_values_are_masked(tmp_path) -> None:
    query = variables(tmp_path, '["DNS_CLUSTER_QUERY"]')["DNS_CLUSTER_QUERY"]
    assert query["layer"] == "env.sh.eex" and query["value"] == "****"
    assert [(h["layer"], h["status"], h["value"]) for h in query["history"]] == [
        ("Dockerfile", "overridden", "****"), ("fly.toml", "overridden", "****"),
        ("secret", "overridden", "(declared as a Fly secret by .fly-cluster-lint.toml (secrets))")]


def test_append_default_and_cookie(tmp_path) -> None:
    found = variables(tmp_path)
    flags = found["ERL_AFLAGS"]
    assert flags["value"] == "-kernel inet_dist_listen_min 4370 -proto_dist inet6_tcp"
    assert [(h["layer"], h["status"]) for h in flags["history"]] == [("Dockerfile", "appended to")]
    assert found["RELEASE_DISTRIBUTION"]["value"] == "name"
    assert found["RELEASE_DISTRIBUTION"]["history"] == [
        {"status": "kept outer value", "value": "sname", "layer": "release default", "source": None}]
    cookie = found["RELEASE_COOKIE"]
    assert cookie["value"] == "****" and cookie["layer"] == "fly.toml"
    assert found["ERL_FLAGS"]["value"] is None


def test_text_output(tmp_path) -> None:
    proc = run_cli("env", cwd=project(tmp_path))
    assert proc.returncode == 0
    lines = proc.stdout.splitlines()
    assert lines[0] == "hello (fly.toml): release `hello`, `bin/hello start` on a Fly Machine"
    assert "  DNS_CLUSTER_QUERY     ${FLY_APP_NAME}.internal (= hello.internal)  <- rel/env.sh.eex:3:28" in lines
    assert "                          overridden: from-toml.internal  (fly.toml:4:23)" in lines
    assert "  RELEASE_COOKIE        ****  <- fly.toml:5:20" in lines
    assert "planted_cookie_value" not in proc.stdout
