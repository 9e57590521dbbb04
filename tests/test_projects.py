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
