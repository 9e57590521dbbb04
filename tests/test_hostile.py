"""Hostile inputs: each yields a finding (FCL001 with a position) or a one-line error with exit 2, never a
traceback or a hang, and every other app is still linted."""

from __future__ import annotations

import json
import os
import time

import pytest

from conftest import BASE, lint, make_project, run_cli

ENV_SH = (BASE / "rel" / "env.sh.eex").read_bytes()


def lint_json(*args, cwd=None):
    start = time.monotonic()
    proc = run_cli("--format", "json", *args, cwd=cwd)
    assert time.monotonic() - start < 60
    assert "Traceback" not in proc.stderr
    assert proc.returncode in (0, 1, 2), proc.stderr
    return proc, (json.loads(proc.stdout) if proc.stdout else None)


def codes_at(doc) -> list[str]:
    return sorted(f"{d['file'].rsplit('/app/', 1)[-1]}:{d['line']}:{d['column']}: {d['code']}" for d in doc["diagnostics"])


@pytest.fixture
def two_apps(tmp_path):
    """A repository with a hostile app and a clean neighbour that must still be linted."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    make_project(repo / "neighbour")
    return repo, make_project(repo / "app")


def check(repo, hostile, overlay: dict) -> list[str]:
    for rel, data in overlay.items():
        path = hostile / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    proc, doc = lint_json(str(repo))
    assert sorted(a["fly_toml"].rsplit("/", 2)[-2] for a in doc["apps"]) == ["app", "neighbour"]  # both linted
    assert not [d for d in doc["diagnostics"] if "/neighbour/" in d["file"]]
    return codes_at(doc)


def test_empty_files(two_apps) -> None:
    repo, app = two_apps
    found = check(repo, app, {"rel/env.sh.eex": b"", "config/runtime.exs": b"", "lib/hello/application.ex": b""})
    assert "rel/env.sh.eex:1:1: FCL101" in found and "lib/hello/application.ex:1:1: FCL301" in found


def test_binary_and_invalid_utf8(two_apps) -> None:
    repo, app = two_apps
    found = check(repo, app, {"rel/env.sh.eex": b"#!/bin/sh\nexport A=\x00\x01\xff\xfe\n",
                              "config/runtime.exs": b"import Config\n\x89PNG\r\n\x1a\n"})
    assert found == ["config/runtime.exs:2:1: FCL001", "rel/env.sh.eex:2:12: FCL001"]


def test_utf16_file(two_apps) -> None:
    repo, app = two_apps
    found = check(repo, app, {"fly.toml": 'app = "hello"\n'.encode("utf-16")})
    assert found == ["fly.toml:1:1: FCL001"]
    proc = run_cli(str(app))
    assert "the file is UTF-16; save it as UTF-8" in proc.stdout


def test_bom_crlf_and_cr_line_endings(two_apps) -> None:
    repo, app = two_apps
    broken = ENV_SH.replace(b'@${FLY_PRIVATE_IP}"', b'@$(hostname)"')
    found = check(repo, app, {"rel/env.sh.eex": b"\xef\xbb\xbf" + broken.replace(b"\n", b"\r\n"),
                              "fly.toml": b'app = "hello"\r\n[env]\r\n  PORT = "8080"\r\n'})
    assert found == ["rel/env.sh.eex:5:23: FCL203"]
    found = check(repo, app, {"rel/env.sh.eex": broken.replace(b"\n", b"\r")})
    assert found == ["rel/env.sh.eex:5:23: FCL203"]
    # TOML allows only LF and CRLF: a file with bare CR line endings does not parse (for flyctl either); the
    # environment rules then stay silent rather than guess what fly.toml [env] would have set
    found = check(repo, app, {"fly.toml": b'app = "hello"\r[env]\r  PORT = "8080"\r'})
    assert found == ["fly.toml:1:14: FCL001"]


def test_ten_megabyte_file_and_megabyte_lines(two_apps) -> None:
    repo, app = two_apps
    big = b"import Config\n" + b"# padding\n" * 1_100_000
    long_line = ENV_SH + b"export PADDING=" + b"a" * 1_000_000 + b"\n"
    found = check(repo, app, {"config/runtime.exs": big, "rel/env.sh.eex": long_line})
    assert found == ["config/runtime.exs:1:1: FCL001"]
    proc = run_cli(str(app))
    assert "file too large to lint" in proc.stdout and max(len(l) for l in proc.stdout.splitlines()) < 1000


def test_deeply_nested_elixir(two_apps) -> None:
    repo, app = two_apps
    nested = b"import Config\nconfig :hello, :deep, " + b"[" * 10_000 + b"]" * 10_000 + b"\n"
    runtime = (BASE / "config" / "runtime.exs").read_bytes()
    found = check(repo, app, {"config/runtime.exs": runtime + nested})
    assert found == []


def test_unterminated_eex_tag_and_duplicate_toml_keys(two_apps) -> None:
    repo, app = two_apps
    found = check(repo, app, {"rel/env.sh.eex": ENV_SH + b"export X=<%= @release.name\n",
                              "fly.toml": b'app = "hello"\napp = "again"\n'})
    assert found == ["fly.toml:2:14: FCL001", "rel/env.sh.eex:12:10: FCL001"]


def test_dockerfile_with_only_comments_is_skipped(two_apps) -> None:
    repo, app = two_apps
    (app / "Dockerfile").write_bytes(b"# nothing here yet\n# still nothing\n")
    proc, doc = lint_json(str(repo))
    assert [a["fly_toml"].rsplit("/", 2)[-2] for a in doc["apps"]] == ["neighbour"]
    assert doc["skipped"][0]["reason"].startswith("its Dockerfile builds no Elixir release")


def test_symlink_loop_and_symlink_outside(tmp_path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    app = make_project(repo / "app")
    os.symlink(repo, app / "lib" / "loop")  # a folder loop: never followed
    outside = tmp_path / "outside.sh"
    outside.write_text("export SECRET_THING=1\n")
    (app / "rel" / "vm.args.eex").symlink_to(outside)
    make_project(tmp_path / "elsewhere")
    os.symlink(tmp_path / "elsewhere", repo / "linked-app")
    (repo / "a").symlink_to(repo / "b")
    (repo / "b").symlink_to(repo / "a")
    proc, doc = lint_json(str(repo))
    assert len(doc["apps"]) == 1
    assert codes_at(doc) == ["rel/vm.args.eex:1:1: FCL001"]
    assert "outside the repository (a symlink or path that leads out of it): not read" in doc["diagnostics"][0]["message"]


def test_unreadable_file(tmp_path, monkeypatch) -> None:
    from fly_cluster_lint import files

    project = make_project(tmp_path / "app")

    def deny(path, *args, **kwargs):
        if str(path).endswith("runtime.exs"):
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(files, "open", deny, raising=False)
    result = lint(project)
    assert [(d.code, d.span.file.rsplit("/", 2)[-2:], d.span.line) for d in result.diagnostics] == [
        ("FCL001", ["config", "runtime.exs"], 1)]
    assert "cannot read file: Permission denied" in result.diagnostics[0].message


def test_path_that_does_not_exist() -> None:
    proc = run_cli("no/such/place")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no such file or directory" in proc.stderr


def test_names_with_spaces_and_non_ascii(tmp_path) -> None:
    project = make_project(tmp_path / "my apps" / "café ünïcode, v2")
    env = (project / "rel" / "env.sh.eex").read_text().replace('@${FLY_PRIVATE_IP}"', '@$(hostname)"')
    (project / "rel" / "env.sh.eex").write_text(env)
    proc, doc = lint_json(str(project))
    assert codes_at(doc) == [f"{project}/rel/env.sh.eex:5:23: FCL203".rsplit("/app/", 1)[-1]]
    github = run_cli("--format", "github", str(project)).stdout
    assert "file=" + str(project).replace(",", "%2C").replace(":", "%3A") + "/rel/env.sh.eex" in github
