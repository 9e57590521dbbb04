"""Whole realistic projects, one per repository shape: each is completely clean, and the shapes where a
per-app mistake is easy to make (a staging toml reusing production's query) are caught per (toml, app)."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import FIXTURES, found, lint, run_cli

PROJECTS = sorted(p for p in (FIXTURES / "projects").iterdir() if p.is_dir())
EXPECTED_APPS = {
    "custom_paths": [("kiosk", "kiosk")],
    "deploy_fly_prod": [("inbox-prod", "inbox")],
    "entrypoint_script": [("beacon", "beacon")],
    "task_runner": [("tally", "tally")],
    "wide_context": [("portal", "portal")],
    "legacy_dockerfile_env": [("ledger", "ledger")],
    "libcluster": [("chat", "chat")],
    "monorepo": [("acme-api", "api")],
    "multi_toml": [("shop", "shop"), ("shop-staging", "shop")],
    "no_ecto": [("relay", "relay")],
    "umbrella": [("acme", "acme")],
}


@pytest.mark.parametrize("project", PROJECTS, ids=[p.name for p in PROJECTS])
def test_project_is_clean(project) -> None:
    result = lint(project)
    assert sorted((a.fly_app, a.mix_app) for a in result.apps) == EXPECTED_APPS[project.name]
    assert found(project) == []


def test_staging_toml_with_production_query_is_caught_for_that_toml_only(tmp_path) -> None:
    project = shutil.copytree(FIXTURES / "projects" / "multi_toml", tmp_path / "shop")
    env_sh = project / "rel" / "env.sh.eex"
    env_sh.write_text(env_sh.read_text().replace('"${FLY_APP_NAME}.internal"', '"shop.internal"'))
    result = lint(project)
    hits = [(d.code, d.app.rsplit("/", 1)[-1]) for d in result.diagnostics]
    assert hits == [("FCL307", "fly.staging.toml")]


def test_env_command_on_umbrella_json() -> None:
    proc = run_cli("env", "--format", "json", str(FIXTURES / "projects" / "umbrella"))
    assert proc.returncode == 0
    app = json.loads(proc.stdout)["apps"][0]
    assert app["release"] == "acme" and app["fly_app"] == "acme"
    node = next(v for v in app["variables"] if v["name"] == "RELEASE_NODE")
    assert node["layer"] == "env.sh.eex" and node["source"]["file"].endswith("umbrella/rel/env.sh.eex")


def test_entrypoint_script_is_a_layer_of_the_environment() -> None:
    proc = run_cli("env", "--format", "json", "--no-cache", str(FIXTURES / "projects" / "entrypoint_script"))
    assert proc.returncode == 0, proc.stderr
    variables = {v["name"]: v for v in json.loads(proc.stdout)["apps"][0]["variables"]}
    node = variables["RELEASE_NODE"]
    assert node["value"] == "${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@$(grep fly-local-6pn /etc/hosts | cut -f 1)"
    assert node["layer"] == "entrypoint script"
    assert node["source"]["file"].endswith("entrypoint_script/docker/entrypoint.sh")
    assert (node["source"]["line"], node["source"]["column"]) == (10, 23)
    assert variables["ERL_AFLAGS"]["layer"] == "env.sh.eex"


def test_entrypoint_script_value_is_not_seen_by_remote(tmp_path) -> None:
    project = shutil.copytree(FIXTURES / "projects" / "entrypoint_script", tmp_path / "beacon")
    env_sh = project / "rel" / "env.sh.eex"
    env_sh.write_text(env_sh.read_text().replace('  export ERL_AFLAGS="-proto_dist inet6_tcp"\n', ""))
    script = project / "docker" / "entrypoint.sh"
    script.write_text(script.read_text().replace('fi\n\nexec', '  export ERL_AFLAGS="-proto_dist inet6_tcp"\nfi\n\nexec'))
    assert found(project) == ["docker/entrypoint.sh:11:21: FCL104"]


def test_task_runner_build_without_rel_is_fcl004_at_the_recipe(tmp_path) -> None:
    project = shutil.copytree(FIXTURES / "projects" / "task_runner", tmp_path / "tally")
    docker = project / "Dockerfile"
    docker.write_text(docker.read_text().replace("COPY rel rel\n", ""))
    assert found(project) == ["Dockerfile:24:1: FCL004"]
    assert "RUN just release" in docker.read_text().splitlines()[23]


def test_wide_context_fix_copies_rel_under_the_same_prefix(tmp_path) -> None:
    project = shutil.copytree(FIXTURES / "projects" / "wide_context", tmp_path / "portal")
    docker = project / "apps" / "portal" / "Dockerfile"
    docker.write_text(docker.read_text().replace("COPY apps/portal/rel rel\n", ""))
    assert found(project) == ["apps/portal/Dockerfile:23:1: FCL004"]  # RUN mix release
    proc = run_cli("--fix", "--no-cache", str(project))
    assert proc.returncode == 0, proc.stdout
    assert "COPY apps/portal/lib lib\nCOPY apps/portal/rel rel\nRUN mix release\n" in docker.read_text()


def test_toml_without_fly_sections_is_not_a_fly_config() -> None:
    result = lint(FIXTURES / "projects" / "deploy_fly_prod")
    assert [a.toml_path.rsplit("/", 3)[-3:] for a in result.apps] == [["deploy", "fly", "prod.toml"]]
    assert result.skipped == []


@pytest.mark.parametrize("inside", ["lib", "lib/inbox", "deploy", "config/runtime.exs"])
def test_without_git_a_path_inside_the_app_finds_it(tmp_path, inside) -> None:
    project = shutil.copytree(FIXTURES / "projects" / "deploy_fly_prod", tmp_path / "inbox")
    assert not (project / ".git").exists()
    proc = run_cli("--no-cache", "--format", "json", str(project / inside), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    apps = json.loads(proc.stdout)["apps"]
    assert [(a["fly_toml"], a["fly_app"]) for a in apps] == [("inbox/deploy/fly/prod.toml", "inbox-prod")]
