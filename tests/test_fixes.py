"""--fix, --unsafe-fixes and --diff: golden files for every fix, idempotence, the re-lint result, layout
preservation (CRLF, tabs, no final newline, trailing commas, file modes) and crash safety."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from conftest import BASE, FIXTURES, ROOT, make_project
from fly_cluster_lint import cli

FIX_CASES = sorted(p for p in (FIXTURES / "fixes").iterdir() if p.is_dir())


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["--no-cache", *args])
    return status, out.getvalue(), err.getvalue()


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def broken_copy(case: Path, dest: Path) -> Path:
    source = FIXTURES / "cases" / (case / "input.txt").read_text().strip()
    shutil.copytree(BASE, dest)
    if (source / "delete.txt").exists():
        for rel in (source / "delete.txt").read_text().split():
            (dest / rel).unlink()
    if (source / "files").exists():
        shutil.copytree(source / "files", dest, dirs_exist_ok=True)
    return dest


def remaining(doc: dict, project: Path) -> list[str]:
    return sorted(f"{Path(d['file']).relative_to(project).as_posix()}:{d['line']}:{d['column']}: {d['code']}"
                  for d in doc["diagnostics"])


@pytest.mark.parametrize("case", FIX_CASES, ids=[c.name for c in FIX_CASES])
def test_fix_golden_idempotent_and_relinted(case, tmp_path) -> None:
    project = broken_copy(case, tmp_path / "app")
    before = snapshot(project)
    flags = ["--unsafe-fixes"] if (case / "unsafe").exists() else []
    status, out, err = run("--fix", *flags, "--format", "json", str(project))
    assert err == ""
    after = snapshot(project)
    expected = snapshot(case / "expected")
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    assert changed == expected
    removed = (case / "removed.txt").read_text().split() if (case / "removed.txt").exists() else []
    assert sorted(set(before) - set(after)) == removed
    assert remaining(json.loads(out), project) == (case / "remaining.txt").read_text().split("\n")[:-1]
    run("--fix", *flags, str(project))
    assert snapshot(project) == after  # a second run changes nothing


@pytest.mark.parametrize("case", FIX_CASES, ids=[c.name for c in FIX_CASES])
def test_fix_passes_and_whole_diff(case, tmp_path, monkeypatch) -> None:
    """Each pass's fixes (passes.txt: `pass N: CODE file:line:col edits`), and the whole --diff output
    (diff.txt, paths relative to the project)."""
    from fly_cluster_lint.config import Overrides
    from fly_cluster_lint.fixes import apply

    project = broken_copy(case, tmp_path / "app")
    monkeypatch.chdir(project)
    unsafe = (case / "unsafe").exists()
    state = apply.run([Path(".")], Overrides(), unsafe=unsafe)
    lines = []
    for number, chosen in enumerate(state.passes, 1):
        for d in chosen:
            edits = ", ".join(_describe(e) for e in d.fix.edits)
            lines.append(f"pass {number}: {d.code} {d.span.file}:{d.span.line}:{d.span.column} {edits}")
    assert "\n".join(lines) + "\n" == (case / "passes.txt").read_text()
    status, out, err = run("--diff", *(["--unsafe-fixes"] if unsafe else []), ".")
    assert out == (case / "diff.txt").read_text()


def _describe(edit) -> str:
    from fly_cluster_lint.fixes import Create, Edit, Rename
    from fly_cluster_lint.paths import display

    if isinstance(edit, Edit):
        return f"edit {display(Path(edit.path))}[{edit.start}:{edit.end}]={edit.content!r}"
    if isinstance(edit, Create):
        return f"create {display(Path(edit.path))} ({len(edit.content)} characters)"
    if isinstance(edit, Rename):
        return f"rename {display(Path(edit.path))} -> {display(Path(edit.target))}"
    return repr(edit)


@pytest.mark.parametrize("case", [c for c in FIX_CASES if not (c / "unsafe").exists()][:8],
                         ids=lambda c: c.name)
def test_unsafe_fixes_need_the_flag_and_diff_writes_nothing(case, tmp_path) -> None:
    project = broken_copy(case, tmp_path / "app")
    before = snapshot(project)
    plain_status, _, _ = run(str(project))
    status, diff, _ = run("--diff", str(project))
    assert snapshot(project) == before and status == plain_status
    for name in snapshot(case / "expected"):
        assert f"+++ {project.as_posix()}/{name}\n" in diff or f"rename to {project.as_posix()}/{name}" in diff


def test_unsafe_fix_is_not_applied_without_the_flag(tmp_path) -> None:
    case = FIXTURES / "fixes" / "fcl204-machine-id-unsafe"
    project = broken_copy(case, tmp_path / "app")
    before = snapshot(project)
    status, out, _ = run(str(project))
    assert "FCL204 error" in out and "1 more with `--fix --unsafe-fixes`" in out
    run("--fix", str(project))
    assert snapshot(project) == before


def test_broken_example_is_clean_after_fix_but_for_the_cookie(tmp_path) -> None:
    project = shutil.copytree(ROOT / "examples" / "hello_broken", tmp_path / "hello_broken")
    status, diff, _ = run("--diff", str(project))
    assert status == 1 and diff.count("\n+++ ") + diff.startswith("+++ ") == 2
    status, out, _ = run("--fix", str(project))
    assert status == 1
    lines = out.splitlines()
    assert "Fixed 5 findings; linted again:" in lines and "1 error, 0 warnings in 1 app." in lines
    assert [l.split()[1] for l in lines if ": FCL" in l] == ["FCL401"]
    assert any(l.startswith("  fly secrets set RELEASE_COOKIE=") and l.endswith("--app hello-broken") for l in lines)
    status, out, _ = run("--format", "json", str(project))
    assert [d["code"] for d in json.loads(out)["diagnostics"]] == ["FCL401"]


def test_crlf_tabs_and_no_final_newline_are_kept(tmp_path) -> None:
    env = (BASE / "rel/env.sh.eex").read_text().replace('  export ERL_AFLAGS="-proto_dist inet6_tcp"\n', "")
    crlf = make_project(tmp_path / "crlf", {"rel/env.sh.eex": env.replace("\n", "\r\n").encode()})
    run("--fix", str(crlf))
    data = (crlf / "rel/env.sh.eex").read_bytes()
    assert b'\texport' not in data and b'  export ERL_AFLAGS="-proto_dist inet6_tcp"\r\nfi\r\n' in data
    assert data.count(b"\n") == data.count(b"\r\n")
    tabs = make_project(tmp_path / "tabs", {"rel/env.sh.eex": env.replace("  export", "\texport")})
    run("--fix", str(tabs))
    assert '\texport ECTO_IPV6="true"\n\texport ERL_AFLAGS="-proto_dist inet6_tcp"\nfi\n' in (tabs / "rel/env.sh.eex").read_text()
    flat = "#!/bin/sh\nexport RELEASE_DISTRIBUTION=name\nexport RELEASE_NODE=\"${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}\"\nexport DNS_CLUSTER_QUERY=\"${FLY_APP_NAME}.internal\"\nexport ECTO_IPV6=true"
    bare = make_project(tmp_path / "bare", {"rel/env.sh.eex": flat})
    run("--fix", str(bare))
    text = (bare / "rel/env.sh.eex").read_text()
    assert text.startswith(flat + "\n\nif [ -n \"$FLY_APP_NAME\" ]; then\n") and not text.endswith("\n")
    assert text.endswith('  export ERL_AFLAGS="-proto_dist inet6_tcp"\nfi')


def test_elixir_layout_is_kept(tmp_path) -> None:
    app = (BASE / "lib/hello/application.ex").read_text()
    trailing = app.replace("      {DNSCluster, query: Application.get_env(:hello, :dns_cluster_query) || :ignore},\n", "").replace(
        "{Phoenix.PubSub, name: Hello.PubSub}\n", "{Phoenix.PubSub, name: Hello.PubSub},\n")
    project = make_project(tmp_path / "a", {"lib/hello/application.ex": trailing})
    run("--fix", str(project))
    assert ("      {Phoenix.PubSub, name: Hello.PubSub},\n"
            "      {DNSCluster, query: Application.get_env(:hello, :dns_cluster_query) || :ignore},\n    ]") in \
        (project / "lib/hello/application.ex").read_text()
    one_line = app.replace(
        "    children = [\n      Hello.Repo,\n      {DNSCluster, query: Application.get_env(:hello, :dns_cluster_query) || :ignore},\n"
        "      {Phoenix.PubSub, name: Hello.PubSub}\n    ]\n", "    children = [Hello.Repo, {Phoenix.PubSub, name: Hello.PubSub}]\n")
    project = make_project(tmp_path / "b", {"lib/hello/application.ex": one_line})
    run("--fix", str(project))
    assert ("children = [Hello.Repo, {Phoenix.PubSub, name: Hello.PubSub}, "
            "{DNSCluster, query: Application.get_env(:hello, :dns_cluster_query) || :ignore}]") in \
        (project / "lib/hello/application.ex").read_text()


def test_file_mode_is_kept(tmp_path) -> None:
    env = (BASE / "rel/env.sh.eex").read_text().replace('  export ERL_AFLAGS="-proto_dist inet6_tcp"\n', "")
    project = make_project(tmp_path / "app", {"rel/env.sh.eex": env})
    os.chmod(project / "rel/env.sh.eex", 0o750)
    run("--fix", str(project))
    assert stat.S_IMODE((project / "rel/env.sh.eex").stat().st_mode) == 0o750
    assert "-proto_dist" in (project / "rel/env.sh.eex").read_text()
    assert not [p for p in (project / "rel").iterdir() if p.name.startswith(".")]  # no temporary file left


def test_original_survives_a_failed_write(tmp_path, monkeypatch) -> None:
    from fly_cluster_lint.fixes import write

    env = (BASE / "rel/env.sh.eex").read_text().replace('  export ERL_AFLAGS="-proto_dist inet6_tcp"\n', "")
    project = make_project(tmp_path / "app", {"rel/env.sh.eex": env})

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(write.os, "replace", refuse)
    status, out, err = run("--fix", str(project))
    assert err == "fly-cluster-lint: error: cannot write the fixes: Permission denied; every file was left as it was\n"
    assert status == 2
    assert (project / "rel/env.sh.eex").read_text() == env
    assert not [p for p in (project / "rel").iterdir() if p.name.startswith(".")]


def test_read_only_file_is_respected(tmp_path) -> None:
    env = (BASE / "rel/env.sh.eex").read_text().replace('  export ERL_AFLAGS="-proto_dist inet6_tcp"\n', "")
    project = make_project(tmp_path / "app", {"rel/env.sh.eex": env})
    os.chmod(project / "rel/env.sh.eex", 0o444)  # the tool reads the mode bits: this holds as root too
    status, _, err = run("--fix", str(project))
    assert status == 2
    assert err == f"fly-cluster-lint: error: {project / 'rel/env.sh.eex'}: read-only; no fix was written\n"
    assert (project / "rel/env.sh.eex").read_text() == env


def test_unwritable_folder_leaves_every_file(tmp_path, monkeypatch) -> None:
    from fly_cluster_lint.fixes import write

    env = (BASE / "rel/env.sh.eex").read_text().replace('  export ERL_AFLAGS="-proto_dist inet6_tcp"\n', "")
    project = make_project(tmp_path / "app", {"rel/env.sh.eex": env})

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(write.tempfile, "mkstemp", refuse)  # what an unwritable folder does, even as root
    status, _, err = run("--fix", str(project))
    assert status == 2
    assert err == (f"fly-cluster-lint: error: {project / 'rel/env.sh.eex'}: cannot write the fix: Permission denied; "
                   f"no file was changed\n")
    assert (project / "rel/env.sh.eex").read_text() == env
    assert not [p for p in (project / "rel").iterdir() if p.name.startswith(".")]


def test_json_and_sarif_carry_fixes(tmp_path) -> None:
    project = broken_copy(FIXTURES / "fixes" / "fcl004-rel-not-copied", tmp_path / "app")
    doc = json.loads(run("--format", "json", str(project))[1])
    (diag,) = doc["diagnostics"]
    assert diag["fix"] == {"applicability": "safe", "message": "add `COPY rel rel` before `RUN mix release`",
                           "edits": [{"file": f"{project.as_posix()}/Dockerfile", "line": 22, "column": 1,
                                      "end_line": 22, "end_column": 1, "content": "COPY rel rel\n"}]}
    sarif = json.loads(run("--format", "sarif", str(project))[1])
    (fix,) = sarif["runs"][0]["results"][0]["fixes"]
    change = fix["artifactChanges"][0]
    assert change["replacements"][0] == {"deletedRegion": {"startLine": 22, "startColumn": 1, "endLine": 22,
                                                           "endColumn": 1}, "insertedContent": {"text": "COPY rel rel\n"}}
    clean = json.loads(run("--format", "json", str(make_project(tmp_path / "clean")))[1])
    assert clean["diagnostics"] == []


HOST_LINE = 'export RELEASE_NODE="${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@$(hostname)"'


@pytest.mark.parametrize("before, after", [
    # a trailing directive that suppresses nothing goes with the spaces before it
    ('  export ERL_AFLAGS="-proto_dist inet6_tcp"  # fly-cluster-lint: ignore[FCL101, FCL005]\n',
     '  export ERL_AFLAGS="-proto_dist inet6_tcp"\n'),
    # an unused code first, then a used one: only the unused code and its separator go
    (f"  # fly-cluster-lint: ignore[FCL101, FCL203] -- dev boxes\n  {HOST_LINE}\n",
     f"  # fly-cluster-lint: ignore[FCL203] -- dev boxes\n  {HOST_LINE}\n"),
    (f"  # fly-cluster-lint: ignore[FCL203,FCL101]\n  {HOST_LINE}\n",
     f"  # fly-cluster-lint: ignore[FCL203]\n  {HOST_LINE}\n"),
    (f"  # fly-cluster-lint: ignore[FCL203 , FCL101 ]\n  {HOST_LINE}\n",
     f"  # fly-cluster-lint: ignore[FCL203 ]\n  {HOST_LINE}\n"),
])
def test_fcl009_removal_keeps_the_rest_of_the_line(tmp_path, before, after) -> None:
    env = (BASE / "rel/env.sh.eex").read_text()
    target = '  export ERL_AFLAGS="-proto_dist inet6_tcp"\n' if "ERL_AFLAGS" in before else \
        '  export RELEASE_NODE="${FLY_APP_NAME}-${FLY_IMAGE_REF##*-}@${FLY_PRIVATE_IP}"\n'
    project = make_project(tmp_path / "app", {"rel/env.sh.eex": env.replace(target, before)})
    status, out, err = run("--fix", str(project))
    assert err == ""
    assert (project / "rel/env.sh.eex").read_text() == env.replace(target, after)


def test_fcl009_removal_of_a_whole_line_in_a_crlf_file(tmp_path) -> None:
    env = (BASE / "rel/env.sh.eex").read_text().replace(
        '  export ECTO_IPV6="true"\n', '  # fly-cluster-lint: ignore[FCL501]\n  export ECTO_IPV6="true"\n')
    project = make_project(tmp_path / "app", {"rel/env.sh.eex": env.replace("\n", "\r\n").encode()})
    run("--fix", str(project))
    assert (project / "rel/env.sh.eex").read_bytes() == (BASE / "rel/env.sh.eex").read_text().replace("\n", "\r\n").encode()


def test_diff_output_whole_for_crlf_without_final_newline(tmp_path, monkeypatch) -> None:
    env = (BASE / "rel/env.sh.eex").read_text().replace('export RELEASE_DISTRIBUTION="name"\n', "")
    crlf = env.rstrip("\n").replace("\n", "\r\n").encode()
    project = make_project(tmp_path / "app", {"rel/env.sh.eex": crlf})
    monkeypatch.chdir(project)
    status, out, err = run("--diff", "--fail-on", "warning", ".")
    assert status == 1 and err == ""  # FCL208 (no RELEASE_DISTRIBUTION) is a warning
    assert out == (
        "--- a/rel/env.sh.eex\n"
        "+++ b/rel/env.sh.eex\n"
        "@@ -6,5 +6,6 @@\n"
        '   export ERL_AFLAGS="-proto_dist inet6_tcp"\n'
        '   export ECTO_IPV6="true"\n'
        " fi\n"
        '+export RELEASE_DISTRIBUTION="name"\n'
        " \n"
        " export RELEASE_NODE=${RELEASE_NODE:-<%= @release.name %>@$(hostname)}\n"
        "\\ No newline at end of file\n")
    assert (project / "rel/env.sh.eex").read_bytes() == crlf  # --diff writes nothing
    run("--fix", ".")
    assert (project / "rel/env.sh.eex").read_bytes() == crlf.replace(b"fi\r\n", b'fi\r\nexport RELEASE_DISTRIBUTION="name"\r\n')
