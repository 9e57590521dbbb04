"""Discovery: which (fly toml, Elixir project) pairs are apps, on the repository shapes users have."""

from __future__ import annotations

import os
import shutil

from conftest import BASE, ROOT, lint, make_project, run_cli


def apps(result) -> list[tuple[str, str]]:
    return sorted((a.fly_app, a.mix_app) for a in result.apps)


def test_monorepo_with_two_tomls_per_app_and_other_services(tmp_path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    web = make_project(repo / "services" / "web")
    (web / "fly.staging.toml").write_text('app = "hello-staging"\n\n[env]\n  PORT = "8080"\n')
    (repo / "services" / "frontend").mkdir()
    (repo / "services" / "frontend" / "fly.toml").write_text('app = "frontend"\n\n[build]\n  image = "nginx:1"\n')
    node_modules = repo / "services" / "frontend" / "node_modules" / "x"
    node_modules.mkdir(parents=True)
    (node_modules / "fly.toml").write_text('app = "never-read"\n')
    result = lint(repo)
    assert apps(result) == [("hello", "hello"), ("hello-staging", "hello")]
    assert [(p.rsplit("/", 3)[-3:], why) for p, why in result.skipped] == [
        (["services", "frontend", "fly.toml"], "deploys a prebuilt image ([build] image)")]


def test_toml_in_a_deploy_folder_with_named_dockerfile(tmp_path) -> None:
    project = make_project(tmp_path / "app")
    (project / "deploy").mkdir()
    shutil.move(project / "fly.toml", project / "deploy" / "fly.toml")
    shutil.move(project / "Dockerfile", project / "deploy" / "Dockerfile.fly")
    (project / "deploy" / "fly.toml").write_text('app = "hello"\n\n[build]\n  dockerfile = "Dockerfile.fly"\n')
    result = lint(project)
    assert apps(result) == [("hello", "hello")]
    assert result.apps[0].spec.dockerfile.name == "Dockerfile.fly"
    assert result.diagnostics == []


def test_toml_above_a_subfolder_project(tmp_path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    make_project(repo / "backend")
    shutil.move(repo / "backend" / "fly.toml", repo / "fly.toml")
    result = lint(repo)
    assert apps(result) == [("hello", "hello")]
    assert result.apps[0].spec.project == (repo / "backend").resolve()


def test_image_without_any_release_is_skipped_with_the_reason(tmp_path) -> None:
    project = make_project(tmp_path / "app", {"Dockerfile": "FROM node:20-slim\nCOPY . .\nRUN npm ci\n"
                                                            "CMD [\"node\", \"server.js\"]\n"})
    result = lint(project)
    assert result.apps == []
    assert result.skipped[0][1] == ("its Dockerfile builds no Elixir release (no `mix release`, no recipe or "
                                    "script that runs it, no release copied in)")


def test_elixir_image_running_mix_is_linted_not_skipped(tmp_path) -> None:
    project = make_project(tmp_path / "app", {"Dockerfile": "FROM elixir:1.17\nCOPY . .\nCMD [\"mix\", \"phx.server\"]\n"})
    result = lint(project)
    assert [a.fly_app for a in result.apps] == ["hello"] and result.skipped == []
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("FCL602", 3)]


def test_umbrella_reads_apps_projects(tmp_path) -> None:
    root = make_project(tmp_path / "umbrella", {
        "mix.exs": 'defmodule Hello.Umbrella.MixProject do\n  use Mix.Project\n\n  def project do\n'
                   '    [apps_path: "apps", version: "0.1.0", deps: [], releases: [hello: [applications: '
                   '[hello: :permanent, hello_web: :permanent]]]]\n  end\nend\n',
        "lib/hello/application.ex": None, "lib/hello/repo.ex": None})
    shutil.copytree(BASE / "lib", root / "apps" / "hello" / "lib")
    shutil.copy(BASE / "mix.exs", root / "apps" / "hello" / "mix.exs")
    (root / "apps" / "hello_web" / "lib").mkdir(parents=True)
    (root / "apps" / "hello_web" / "mix.exs").write_text(
        'defmodule HelloWeb.MixProject do\n  use Mix.Project\n  def project, do: [app: :hello_web, deps: []]\nend\n')
    result = lint(root)
    assert apps(result) == [("hello", "hello")]
    app = result.apps[0]
    assert app.release_name == "hello" and len(app.projects) == 3
    assert [c.module for c in app.lib.children] == ["DNSCluster"]
    assert result.diagnostics == []


def test_excludes_and_symlinked_folders(tmp_path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    make_project(repo / "apps" / "one")
    make_project(repo / "legacy" / "two")
    outside = make_project(tmp_path / "outside")
    os.symlink(outside, repo / "linked")
    assert len(lint(repo).apps) == 2  # the symlinked folder is not followed
    assert len(lint(repo, extend_exclude=("legacy",)).apps) == 1
    (repo / ".fly-cluster-lint.toml").write_text('exclude = ["legacy/*"]\n')
    assert [a.spec.toml.parent.name for a in lint(repo, config=repo / ".fly-cluster-lint.toml").apps] == ["one"]


def test_unconfigured_app_gets_a_summary_note(tmp_path) -> None:
    project = make_project(tmp_path / "app", {
        "rel/env.sh.eex": None,
        "lib/hello/application.ex": 'defmodule Hello.Application do\n  use Application\n\n  def start(_t, _a) do\n'
                                    '    children = [Hello.Repo]\n    Supervisor.start_link(children, strategy: :one_for_one)\n'
                                    '  end\nend\n',
        "mix.exs": (BASE / "mix.exs").read_text().replace('      {:dns_cluster, "~> 0.1.1"},\n', ""),
        "config/runtime.exs": 'import Config\n',
    })
    proc = run_cli(str(project))
    assert proc.returncode == 1
    assert proc.stdout.startswith("note: hello (") and "clustering is not configured yet" in proc.stdout.splitlines()[0]
    codes = sorted({line.split()[1] for line in proc.stdout.splitlines() if ": FCL" in line})
    assert codes == ["FCL002", "FCL101", "FCL202", "FCL208", "FCL301", "FCL502"]


def test_examples_dir_lints_both_apps() -> None:
    result = lint(ROOT / "examples")
    assert apps(result) == [("hello-broken", "hello_broken"), ("hello-cluster", "hello_cluster")]
