"""The linted repository is untrusted: its file names, contents, symlinks and configuration are written by
whoever opened the pull request. One test (or one parametrized group) per numbered attack of the hardening
issue; each fails on a naive implementation. Tests that expose a bug that is still open are kept and marked
``xfail(strict=True)`` with the bug as the reason: when the bug is fixed they XPASS, and strict mode makes
that a failure so that the mark is removed.

Most runs are in-process (``cli.main``) with ``--no-cache``; the encoding, cache and pre-commit tests run the
console script in a subprocess. Every hostile app sits beside a clean neighbour app that must still be
linted. Nothing here writes outside pytest's temporary folders."""

from __future__ import annotations

import io
import json
import marshal
import os
import re
import shlex
import shutil
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import BASE, ROOT, main_in_process, make_project, run_cli
from invariants import GITHUB_LINE, OUTPUT_FORMATS, raw_controls, read_github_output, tree, workflow_commands

ENV_SH = (BASE / "rel" / "env.sh.eex").read_text()
FLY_TOML = (BASE / "fly.toml").read_text()
DOCKERFILE = (BASE / "Dockerfile").read_text()
MIX_EXS = (BASE / "mix.exs").read_text()
AFLAGS_LINE = '  export ERL_AFLAGS="-proto_dist inet6_tcp"\n'
ENV_SH_NO_AFLAGS = ENV_SH.replace(AFLAGS_LINE, "")  # FCL101 with a safe fix that edits env.sh.eex

PAYLOAD = "\x1b]0;pwned\x07\x1b[2J\x1b[1;1H\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\x9b31m\u202e\rX::error::owned ##[group]g"


# -- helpers ---------------------------------------------------------------------------------------------------

main = main_in_process  # cli.main in-process: (status, stdout, stderr)


FORMATS = OUTPUT_FORMATS
JSON_FORMATS = ("json", "sarif", "env-json")


def assert_safe_output(name: str, status: int, out: str, err: str, secrets: tuple = (), color_ok: bool = False) -> None:
    """The invariants of every output: no crash, valid JSON, no secret, no raw control character, no workflow
    command outside --format github (which must be well-formed annotation lines only)."""
    assert "Traceback" not in err and "internal error" not in err, err
    assert status in (0, 1), (name, status, err)
    for secret in secrets:
        assert secret not in out and secret not in err, (name, secret)
    text = out + err
    if name == "color":  # our own SGR colour codes are the one escape allowed; nothing else
        text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert not raw_controls(text, allow_tab=name == "diff"), (name, sorted(set(raw_controls(text, name == "diff"))))
    if name == "github":  # annotations, then (past GitHub's 10 per level) plain log lines that are no command
        assert not [l for l in out.splitlines() if not GITHUB_LINE.match(l) and workflow_commands(l)]
        assert GITHUB_LINE.match(out.splitlines()[0]) if out else True
        assert not workflow_commands(err)
    else:
        assert not workflow_commands(text), (name, workflow_commands(text)[:3])
    if name in JSON_FORMATS:
        assert out.isascii()
        json.loads(out)


def all_outputs(path: Path, secrets: tuple = (), names=tuple(FORMATS)) -> dict[str, tuple[int, str, str]]:
    found = {}
    for name in names:
        status, out, err = main(*FORMATS[name], str(path))
        assert_safe_output(name, status, out, err, secrets)
        found[name] = (status, out, err)
    return found


def hostile_repo(tmp_path: Path, overlay: dict | None = None) -> tuple[Path, Path, Path]:
    """(repository, hostile app, clean neighbour app), in a git repository below tmp_path."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    neighbour = make_project(repo / "neighbour")
    return repo, make_project(repo / "app", overlay), neighbour


def apps_linted(doc: dict) -> list[str]:
    return sorted(Path(a["fly_toml"]).parent.name for a in doc["apps"])


def assert_neighbour_clean(doc: dict) -> None:
    assert "neighbour" in apps_linted(doc)
    assert not [d for d in doc["diagnostics"] if "/neighbour/" in d["file"]]


def outside_state(tmp_path: Path) -> dict[str, tuple]:
    """Everything in tmp_path but the repository: what a run must never create or change."""
    return {k: v for k, v in tree(tmp_path).items() if not (k == "repo" or k.startswith("repo" + os.sep))}


def codes(doc: dict, where: str = "/app/") -> list[str]:
    return sorted(f"{d['file'].rsplit(where, 1)[-1]}:{d['code']}" for d in doc["diagnostics"] if where in d["file"])


# == 1. Writes outside the repository through the hook ===========================================================

VICTIM = "--output-file=../victim/rel/env.sh.eex"


def test_hook_entries_end_with_double_dash_and_the_action_paths_follow_it() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks
    for hook in hooks:
        assert hook["entry"].split()[-1] == "--" and hook["pass_filenames"] is True, hook["id"]
    action = pytest.importorskip("fly_cluster_lint.action")
    args = action.build_args({"INPUT_PATH": f"{VICTIM}\n-o\n--fix", "INPUT_ARGS": "", "INPUT_FAIL_ON": "error"})
    assert args.paths == [VICTIM, "-o", "--fix"] and args.output_file is None and not args.fix


def test_option_shaped_file_name_after_double_dash_is_a_path(tmp_path) -> None:
    repo, app, _ = hostile_repo(tmp_path)
    planted = repo / VICTIM  # a committed file: folders `--output-file=..`, `victim`, `rel`
    planted.parent.mkdir(parents=True)
    planted.write_text(ENV_SH)
    victim = tmp_path / "victim" / "rel" / "env.sh.eex"
    victim.parent.mkdir(parents=True)
    victim.write_text("ORIGINAL\n")
    before = outside_state(tmp_path)
    status, out, err = main("check", "--no-cache", "--", VICTIM, "app/rel/env.sh.eex", cwd=repo)
    assert status in (0, 1) and err == ""
    assert out.strip().endswith("clustered correctly.")  # the report went to stdout, not to a file
    assert outside_state(tmp_path) == before
    # the same words before `--` are an option: that is what the hook's `--` protects against
    status, out, _ = main("check", "--no-cache", "--output-file=../victim/rel/env.sh.eex", "app", cwd=repo)
    assert out == "" and victim.read_text() != "ORIGINAL\n"


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


@pytest.mark.slow
def test_pre_commit_hook_never_writes_outside_the_repository(tmp_path) -> None:
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if pre_commit is None or shutil.which("git") is None:
        pytest.skip("pre-commit or git is not installed")
    repo = tmp_path / "repo"
    make_project(repo / "app")
    planted = repo / VICTIM
    planted.parent.mkdir(parents=True)
    planted.write_text(ENV_SH)
    (repo / "--format=json").write_text("")  # more option-shaped names
    (repo / "-o").mkdir()
    (repo / "-o" / "fly.toml").write_text(FLY_TOML)
    git("init", "-q", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-qm", "hostile", cwd=repo)
    victim = tmp_path / "victim" / "rel" / "env.sh.eex"
    victim.parent.mkdir(parents=True)
    victim.write_text("ORIGINAL\n")
    home = tmp_path / "pre-commit-home"
    before = {k: v for k, v in outside_state(tmp_path).items() if not k.startswith("pre-commit-home")}
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "FLY_CLUSTER_LINT_NO_CACHE": "1"}
    env.pop("GITHUB_ACTIONS", None)
    hooks = [hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())]
    for hook in hooks:  # the lint hook and, where there is one, the hook that applies fixes
        proc = subprocess.run([pre_commit, "try-repo", str(ROOT), hook, "--all-files", "--color", "never", "--verbose"],
                              cwd=repo, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode in (0, 1), proc.stdout + proc.stderr
        assert "fly-cluster-lint" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr
        after = {k: v for k, v in outside_state(tmp_path).items() if not k.startswith("pre-commit-home")}
        assert after == before and victim.read_text() == "ORIGINAL\n", hook


# == 2. A cookie leaks through a fix ===========================================================================

COOKIE = "fixLeakCookie_5b1e9c0d7a"


def misnamed_project(tmp_path: Path, content: str) -> tuple[Path, Path]:
    repo, app, _ = hostile_repo(tmp_path, {"rel/env.sh.eex": None, "rel/env.sh": content})
    return repo, app


def test_rename_fix_of_a_misnamed_env_sh_never_carries_its_content(tmp_path) -> None:
    repo, app = misnamed_project(tmp_path, ENV_SH + f'export RELEASE_COOKIE="{COOKIE}"\n')
    outputs = all_outputs(repo, (COOKIE,))
    doc = json.loads(outputs["json"][1])
    fcl003 = [d for d in doc["diagnostics"] if d["code"] == "FCL003"]
    assert fcl003 and fcl003[0]["fix"]["edits"] == [{"file": str(app / "rel" / "env.sh"),
                                                     "rename_to": str(app / "rel" / "env.sh.eex")}]
    for result in json.loads(outputs["sarif"][1])["runs"][0]["results"]:
        for fix in result.get("fixes", []):
            assert COOKIE not in json.dumps(fix)
    assert "rename from" in outputs["diff"][1]
    status, out, err = main("check", "--no-cache", "--fix", "--unsafe-fixes", str(repo))
    assert_safe_output("text", status, out, err, (COOKIE,))
    assert COOKIE in (app / "rel" / "env.sh.eex").read_text() and not (app / "rel" / "env.sh").exists()


def test_diff_hides_secrets_of_every_pass(tmp_path) -> None:
    """The misnamed file is renamed in pass 1 and edited in pass 2 (it lacks -proto_dist): the diff then shows
    its lines as context; the cookie (known from pass 1's misnamed copy and pass 2's env.sh.eex) is hidden."""
    content = ENV_SH_NO_AFLAGS.replace("fi\n", f'  export RELEASE_COOKIE="{COOKIE}"\nfi\n', 1)
    repo, app = misnamed_project(tmp_path, content)
    status, diff, err = main("check", "--no-cache", "--diff", "--unsafe-fixes", str(repo))
    assert_safe_output("diff", status, diff, err, (COOKIE,))
    assert "rename from" in diff and "+  export ERL_AFLAGS" in diff and "RELEASE_COOKIE=****" in diff.replace('"', "")


FLAG_VARS = ("ERL_AFLAGS", "ERL_FLAGS", "ELIXIR_ERL_OPTIONS")
SETCOOKIE = "flagCookieValue_90c1f4e2b7"


def setcookie_overlay(var: str, layer: str, value: str = f"-proto_dist inet6_tcp -setcookie {SETCOOKIE}") -> dict:
    if layer == "env.sh.eex":
        if var == "ERL_AFLAGS":
            return {"rel/env.sh.eex": ENV_SH.replace(AFLAGS_LINE, f'  export ERL_AFLAGS="{value}"\n')}
        return {"rel/env.sh.eex": ENV_SH.replace("fi\n", f'  export {var}="{value}"\nfi\n', 1)}
    if layer == "fly.toml":
        return {"fly.toml": FLY_TOML.replace('  PORT = "8080"\n', f'  PORT = "8080"\n  {var} = "{value}"\n')}
    return {"Dockerfile": DOCKERFILE + f'ENV {var}="{value}"\n'}


@pytest.mark.parametrize("layer", ["env.sh.eex", "fly.toml", "Dockerfile"])
@pytest.mark.parametrize("var", FLAG_VARS)
def test_setcookie_inside_flag_variables_is_masked_and_reported(tmp_path, var, layer) -> None:
    repo, app, _ = hostile_repo(tmp_path, setcookie_overlay(var, layer))
    outputs = all_outputs(repo, (SETCOOKIE,))
    doc = json.loads(outputs["json"][1])
    assert f"{'rel/' if layer == 'env.sh.eex' else ''}{layer}:FCL402" in codes(doc)
    assert "-setcookie ****" in outputs["env"][1]
    shown = [v for a in json.loads(outputs["env-json"][1])["apps"] if a["fly_app"] == "hello"
             for v in a["variables"] if v["name"] == var]
    assert shown and "-setcookie ****" in json.dumps(shown)


def test_setcookie_followed_by_a_newline_is_masked(tmp_path) -> None:
    value = f"-setcookie\n{SETCOOKIE}"
    repo, app, _ = hostile_repo(tmp_path, {"rel/env.sh.eex": ENV_SH + f'export ERL_AFLAGS="{value}"\n'})
    all_outputs(repo, (SETCOOKIE,))


def test_escaped_setcookie_value_is_masked_in_code_frames(tmp_path) -> None:
    escaped = SETCOOKIE[:6] + "\\" + SETCOOKIE[6:]
    repo, app, _ = hostile_repo(tmp_path, {"rel/env.sh.eex": ENV_SH + f"ERL_AFLAGS=-setcookie\\ {escaped}\n"})
    outputs = all_outputs(repo, (SETCOOKIE, escaped, SETCOOKIE[6:]), names=("text", "json", "diff", "env"))
    assert "FCL101" in outputs["text"][1]  # the assignment is shown in a code frame


def test_fix_of_a_multi_line_fly_toml_value_keeps_the_file_valid_and_the_cookie_hidden(tmp_path) -> None:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib

    repo, app, _ = hostile_repo(tmp_path, {
        "fly.toml": FLY_TOML.replace('  PORT = "8080"\n', f'  PORT = "8080"\n  RELEASE_COOKIE = """\n{COOKIE}"""\n'),
        "rel/env.sh.eex": ENV_SH + 'export RELEASE_COOKIE="x\ny"\n'})
    status, diff, err = main("check", "--no-cache", "--diff", "--unsafe-fixes", str(repo))
    assert_safe_output("diff", status, diff, err, (COOKIE,))
    status, out, err = main("check", "--no-cache", "--fix", "--unsafe-fixes", str(repo))
    tomllib.loads((app / "fly.toml").read_text())
    assert_safe_output("text", status, out, err, (COOKIE,))


def test_short_cookie_flowing_through_a_variable_is_hidden_in_diff(tmp_path) -> None:
    short = "q7z"
    env = ENV_SH_NO_AFLAGS.replace("fi\n", f'  C={short}\n  export RELEASE_COOKIE="${{RELEASE_COOKIE:-$C}}"\nfi\n', 1)
    repo, app, _ = hostile_repo(tmp_path, {"rel/env.sh.eex": env})
    status, diff, err = main("check", "--no-cache", "--diff", str(repo))
    assert "+  export ERL_AFLAGS" in diff  # the fix's context lines include the assignment of C
    assert_safe_output("diff", status, diff, err, (f"C={short}",))


# == 3. Masking never corrupts output and reveals nothing ======================================================

ODD_COOKIES = ["true", "null", '": "', "error", "warning", "0", "::"]


def control_of(cookie: str) -> str:
    """A different cookie of the same length, character classes and escaping (FCL405 may say all three)."""
    return "".join("q" if ch.isalpha() else "7" if ch.isdigit() else "%" if ch in ":=" else ch for ch in cookie)


def cookie_overlay(where: str, cookie: str) -> dict:
    if where == "fly.toml":
        return {"fly.toml": FLY_TOML.replace('  PORT = "8080"\n', f'  PORT = "8080"\n  RELEASE_COOKIE = {json.dumps(cookie)}\n')}
    if where == "env.sh.eex":
        return {"rel/env.sh.eex": ENV_SH + f"export RELEASE_COOKIE='{cookie}'\n"}
    if where == "mix.exs":
        return {"mix.exs": MIX_EXS.replace("      deps: deps()\n",
                                           f"      deps: deps(),\n      releases: [hello: [cookie: {json.dumps(cookie)}]]\n")}
    return {"rel/vm.args.eex": f"-setcookie {cookie}\n"}


def odd_cookie_cases() -> list:
    out = []
    for where in ("fly.toml", "env.sh.eex", "mix.exs", "vm.args.eex"):
        for cookie in ODD_COOKIES:
            out.append(pytest.param(where, cookie, id=f"{where}-{cookie}"))
    return out


@pytest.mark.parametrize("where,cookie", odd_cookie_cases())
def test_odd_cookie_keeps_every_output_intact_and_reveals_nothing(tmp_path, where, cookie) -> None:
    """Every output with the odd cookie is byte for byte the output with another cookie of the same length and
    classes, in the same place: valid JSON and SARIF of the same structure, the same annotations and levels,
    and nothing that tells the two cookies apart."""
    names = ("text", "json", "sarif", "github", "env", "env-json", "diff")
    results = []
    for value in (cookie, control_of(cookie)):
        target = tmp_path / "repo"
        shutil.rmtree(target, ignore_errors=True)
        repo, app, _ = hostile_repo(tmp_path, cookie_overlay(where, value))
        found = all_outputs(repo, names=names)
        results.append(found)
    with_cookie, with_control = results
    frames = [line for line in with_cookie["text"][1].splitlines() if re.match(r" \d+ \| ", line)]
    assert frames  # the cookie's line is shown (masked) in a code frame: the comparison below means something
    sarif = json.loads(with_cookie["sarif"][1])
    assert {r["level"] for r in sarif["runs"][0]["results"]} <= {"error", "warning", "note"}
    assert "FCL402" in with_cookie["github"][1]
    for name in names:
        assert with_cookie[name] == with_control[name], name


# == 4. No stalls: linear time on hostile shapes ===============================================================

def _cpu_seconds() -> float:
    """CPU time of this process and its waited-for children (--jobs workers): unlike wall time, it does not
    grow when other processes load the machine, so the linearity tests do not fail on a busy CI runner."""
    try:
        import resource
    except ImportError:  # Windows: wall time
        return time.perf_counter()
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def lint_seconds(path: Path, args: tuple) -> float:
    start = _cpu_seconds()
    status, out, err = main("check", "--no-cache", *args, str(path))
    elapsed = _cpu_seconds() - start
    assert status in (0, 1) and "internal error" not in err, err[:300]
    return max(elapsed, 0.001)


def assert_linear(tmp_path: Path, build, n: int, args: tuple = (), cap: float = 120.0, make=None, factor: int = 4,
                  limit: float = 10.0) -> None:
    """time(4N) < 10 x time(N) (min of two runs each, after a warm-up) and time(4N) under a generous cap.
    `build(n)` is an overlay of the base project, or `make(dest, n)` lays out a whole repository. The tests of
    known quadratic shapes use 8N < 16 x N instead (and the min of three runs of N): a quadratic run is then about
    64 times slower (30 to 50 measured), far from the limit, so timing noise on a busy machine cannot make them
    pass by chance (with 4N a quadratic run is only 16 times slower, too close to 10)."""
    make = make or (lambda dest, size: make_project(dest, build(size)))
    small = make(tmp_path / "small", n)
    big = make(tmp_path / "big", factor * n)
    lint_seconds(small, args)  # warm-up: grammars loaded, caches filled
    t_small = min(lint_seconds(small, args) for _ in range(3 if factor > 4 else 2))
    t_big = lint_seconds(big, args)
    assert t_big < cap
    if t_big >= limit * t_small:
        t_big = min(t_big, lint_seconds(big, args))
    assert t_big < limit * t_small, (t_small, t_big)


def env_sh_appends(n: int) -> dict:
    """~n*125 bytes: assignments, EEx tags, appends, guarded defaults."""
    lines = []
    for i in range(n):
        lines.append(f'X="$X item{i} <%= @release.name %>"\n')
        lines.append(f'export V{i % 50}="${{V{i % 50}:-a}}-{i}"\n')
        lines.append(f"<%# note {i} %>\nexport ERL_AFLAGS=\"$ERL_AFLAGS -kernel k{i} v\"\n")
    return {"rel/env.sh.eex": ENV_SH + "".join(lines)}


def test_megabyte_env_sh_is_linear(tmp_path) -> None:
    assert len(env_sh_appends(8000)["rel/env.sh.eex"]) > 900_000
    assert_linear(tmp_path, env_sh_appends, 2000)


def nested_dockerfile(n: int) -> dict:
    return {"Dockerfile": DOCKERFILE + "ENV A=" + "${a" * n + "}" * n + "\nENV B=" + "${a" * n + "\n"}


def test_nested_dockerfile_expansions_are_linear(tmp_path) -> None:
    assert len(nested_dockerfile(18_000)["Dockerfile"]) > 120_000
    assert_linear(tmp_path, nested_dockerfile, 4500)


def cookie_lines(n: int) -> dict:
    return {"rel/env.sh.eex": ENV_SH + "".join(f'export RELEASE_COOKIE="c{i:010d}_{"k" * 24}"\n' for i in range(n))}


def test_many_cookie_assignments_are_linear(tmp_path) -> None:
    assert len(cookie_lines(16_000)["rel/env.sh.eex"]) > 840_000
    assert_linear(tmp_path, cookie_lines, 4000)


def nested_shell_defaults(n: int) -> dict:
    return {"rel/env.sh.eex": ENV_SH + "export A=" + "${A:-" * n + "x" + "}" * n + "\n" + "if true; then\n" * n
            + "  export B=1\n" + "fi\n" * n}


def test_nested_shell_is_linear(tmp_path) -> None:
    assert_linear(tmp_path, nested_shell_defaults, 500)


def test_block_of_suppression_comments_is_linear(tmp_path) -> None:
    assert_linear(tmp_path, lambda n: {"rel/env.sh.eex": ENV_SH + "# fly-cluster-lint: ignore[FCL101]\n" * n
                                       + "export A=1\n"}, 125, factor=8, limit=16)


def test_ignore_file_directives_times_findings_are_linear(tmp_path) -> None:
    assert_linear(tmp_path, lambda n: {"rel/env.sh.eex": ENV_SH + "# fly-cluster-lint: ignore-file[FCL405]\n" * (8 * n)
                                       + "".join(f'export RELEASE_COOKIE="c{i:06d}"\n' for i in range(n))}, 100,
                  ("--format", "json"), factor=8, limit=16)


def test_many_configs_and_projects_are_linear(tmp_path) -> None:
    def layout(dest: Path, n: int) -> Path:
        """A monorepo: n Fly configs in folders of their own (no mix.exs above them), n mix projects."""
        (dest / ".git").mkdir(parents=True)
        for i in range(n):
            (dest / "deploy" / f"d{i}").mkdir(parents=True)
            (dest / "deploy" / f"d{i}" / "fly.toml").write_text(f'app = "a{i}"\n[env]\n')
            (dest / "libs" / f"p{i}").mkdir(parents=True)
            (dest / "libs" / f"p{i}" / "mix.exs").write_text("defmodule P.MixProject do\nend\n")
        return dest
    assert_linear(tmp_path, None, 35, make=layout, factor=8, limit=16)


def test_many_declared_secret_names_are_linear_in_diff(tmp_path) -> None:
    def layout(n: int) -> dict:
        names = ", ".join(f'"SECRET_NAME_{i}"' for i in range(n))
        body = "".join(f'  export V{i}="RELEASE_COOKIE"\n' for i in range(n))
        return {".fly-cluster-lint.toml": f"secrets = [{names}]\n",
                "rel/env.sh.eex": ENV_SH_NO_AFLAGS.replace("fi\n", body + "fi\n", 1)}
    assert_linear(tmp_path, layout, 225, ("--diff",), factor=8, limit=16)


# == 5. --fix never writes outside; -o only to what the user meant ============================================

def outside_fixture(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "rel").mkdir(parents=True)
    (outside / "rel" / "env.sh.eex").write_text(ENV_SH_NO_AFLAGS)
    (outside / "target.sh").write_text(ENV_SH_NO_AFLAGS)
    (outside / "Dockerfile").write_text(DOCKERFILE.replace("COPY rel rel\n", ""))
    return outside


def templates_path(path: str) -> str:
    return MIX_EXS.replace("      deps: deps()\n", f'      deps: deps(),\n      releases: [hello: [rel_templates_path: "{path}"]]\n')


@pytest.mark.parametrize("attack", ["templates-dotdot", "templates-absolute", "templates-missing-absolute",
                                    "rel-symlink-out", "env-sh-symlink-out", "env-sh-eex-symlink-out",
                                    "dockerfile-symlink-out", "templates-symlink-dotdot"])
def test_fix_never_writes_outside_the_repository(tmp_path, attack) -> None:
    outside = outside_fixture(tmp_path)
    repo, app, _ = hostile_repo(tmp_path)
    if attack == "templates-dotdot":
        (app / "mix.exs").write_text(templates_path("../../../outside/rel"))
    elif attack == "templates-absolute":
        (app / "mix.exs").write_text(templates_path(str(outside / "rel")))
    elif attack == "templates-missing-absolute":
        (app / "mix.exs").write_text(templates_path(str(tmp_path / "created-by-fix")))
    elif attack == "rel-symlink-out":
        shutil.rmtree(app / "rel")
        (app / "rel").symlink_to(outside / "rel")
    elif attack == "env-sh-symlink-out":
        (app / "rel" / "env.sh.eex").unlink()
        (app / "rel" / "env.sh").symlink_to(outside / "target.sh")
    elif attack == "env-sh-eex-symlink-out":
        (app / "rel" / "env.sh.eex").unlink()
        (app / "rel" / "env.sh.eex").symlink_to(outside / "target.sh")
    elif attack == "dockerfile-symlink-out":
        (app / "Dockerfile").unlink()
        (app / "Dockerfile").symlink_to(outside / "Dockerfile")
    else:
        (app / "lnk").symlink_to(outside / "rel")
        (app / "mix.exs").write_text(templates_path("lnk/../new"))
    before = outside_state(tmp_path)
    for args in (["--fix"], ["--fix", "--unsafe-fixes"], ["--diff", "--unsafe-fixes"], ["--fix", "--format", "json"]):
        status, out, err = main("check", "--no-cache", *args, str(repo))
        assert "Traceback" not in err and "internal error" not in err, err
        assert status in (0, 1, 2) and err.count("\n") <= 1
        assert outside_state(tmp_path) == before, args
    doc = json.loads(main("check", "--no-cache", "--format", "json", str(repo))[1])
    assert_neighbour_clean(doc)


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/dev/null"), reason="needs root and /dev/null")
def test_output_file_dev_null_stays_a_device(tmp_path) -> None:
    repo, app, _ = hostile_repo(tmp_path)
    for args in (["-o", "/dev/null"], ["--output-file=/dev/null", "--format", "sarif"]):
        status, out, err = main("check", "--no-cache", *args, str(repo))
        assert status in (0, 1) and out == "" and err == ""
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_output_file_to_a_folder_or_socket_is_a_one_line_error(tmp_path) -> None:
    repo, app, _ = hostile_repo(tmp_path)
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep")
    short = Path(f"/tmp/fcl-{os.getpid()}-{time.monotonic_ns()}.sock")  # AF_UNIX paths are short
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(short))
        for target in (folder, short):
            status, out, err = main("check", "--no-cache", "-o", str(target), str(repo))
            assert status == 2 and out == "" and err.count("\n") == 1 and err.startswith("fly-cluster-lint: error: ")
        assert tree(folder) == {"keep.txt": ("file", b"keep", stat.S_IMODE(os.stat(folder / "keep.txt").st_mode))}
        assert stat.S_ISSOCK(os.lstat(short).st_mode)
    finally:
        server.close()
        short.unlink(missing_ok=True)
    status, out, err = main("check", "--no-cache", "-o", "-", "--format", "json", str(repo))
    assert status in (0, 1) and json.loads(out)["apps"] and not Path("-").exists()


# == 6. Terminal and workflow-command injection =================================================================

def injected_repo(tmp_path: Path) -> Path:
    toml_payload = json.dumps(PAYLOAD)  # TOML basic strings take JSON's \uXXXX escapes
    overlay = {
        "fly.toml": FLY_TOML.replace('app = "hello"', f"app = {toml_payload}").replace(
            '  PORT = "8080"\n', f'  PORT = "8080"\n  ERL_FLAGS = {toml_payload}\n  {json.dumps("k" + PAYLOAD)} = "k"\n'),
        "rel/env.sh.eex": ENV_SH.replace('@${FLY_PRIVATE_IP}"', '@$(hostname)"') + f"# {PAYLOAD}\n"
                          f"export RELEASE_NODE=\"{PAYLOAD.replace(chr(13), '')}@$(hostname)\"\n",
        "Dockerfile": DOCKERFILE.replace("COPY rel rel\n", f"# {PAYLOAD}\n") + f"ENV ERL_AFLAGS=\"{PAYLOAD[:40]}\"\n",
        "config/runtime.exs": (BASE / "config" / "runtime.exs").read_text() + f"# {PAYLOAD}\n",
        "rel/vm.args.eex": f"## {PAYLOAD}\n-name {PAYLOAD[:20]}\n",
    }
    repo, app, _ = hostile_repo(tmp_path, overlay)
    names = ["fly.\x1b]0;title\x07.toml", "fly.x\n::error::x\nname.toml", "fly.a\u202egnp.toml", "fly.\x9b2J##[group].toml",
             "fly.cr\rname.toml", "fly.\n ::warning file=x::y.toml"]
    for index, name in enumerate(names):  # Fly configs with no project (skipped) and of the hostile app
        for folder in (repo, app):
            (folder / name).write_text(f'app = {json.dumps(name)}\n[env]\n  A = "1"\n' if index % 2 else
                                       f'app = "hello"\n[env]\n  {json.dumps(name)} = "1"\n')
    folder = app / "lib" / "\x1b[31m::error::red"
    folder.mkdir()
    (folder / "\x1b]8;;https:\\\\evil.example\x07x.ex").write_text(
        "defmodule X do\n  def child, do: {DNSCluster, query: :ignore}\nend\n")
    return repo


def test_escape_sequences_reach_no_output_raw(tmp_path) -> None:
    repo = injected_repo(tmp_path)
    outputs = all_outputs(repo)
    assert "\\x1b]0;pwned\\x07" in outputs["text"][1]  # shown, visibly
    assert "hello" in outputs["json"][1] or "pwned" in outputs["json"][1]


def test_escape_sequences_in_config_errors_are_one_visible_line(tmp_path) -> None:
    repo, app, _ = hostile_repo(tmp_path)
    key, level = json.dumps(PAYLOAD + "\n::error::k"), json.dumps(PAYLOAD + "\n##[error]x")
    for config in (f"{key} = 1\n", f"secrets = {json.dumps(PAYLOAD)}\n", f'[severity]\n{json.dumps("FCL1" + PAYLOAD)} = "warning"\n',
                   f"[severity]\nFCL101 = {level}\n", f"select = [{json.dumps(PAYLOAD)}]\n", f"exclude = [1, {key}]\n"):
        (app / ".fly-cluster-lint.toml").write_text(config)
        for words in (["check", "--no-cache"], ["env", "--no-cache"], ["check", "--no-cache", "--format", "json"]):
            status, out, err = main(*words, str(repo))
            assert status == 2 and out == "" and err.count("\n") == 1, (config, err)
            assert not raw_controls(err) and not workflow_commands(err), err


def test_github_format_lines_are_well_formed_annotations(tmp_path) -> None:
    repo = injected_repo(tmp_path)
    status, out, err = main("check", "--no-cache", "--format", "github", str(repo))
    assert status == 1 and out
    annotations = [line for line in out.splitlines() if line.startswith("::")]
    assert annotations and annotations == out.splitlines()[:len(annotations)]  # annotations first
    for line in annotations:
        assert GITHUB_LINE.match(line), line
    for line in out.splitlines()[len(annotations):]:  # past GitHub's limit: plain log lines, never a command
        assert not workflow_commands(line) and not raw_controls(line), line


# == 7. No content crashes the run ==============================================================================

def lint_json(repo: Path) -> dict:
    status, out, err = main("check", "--no-cache", "--format", "json", str(repo))
    assert status in (0, 1), err
    assert "Traceback" not in err and "internal error" not in err and err == "", err
    doc = json.loads(out)
    assert_neighbour_clean(doc)
    return doc


def test_huge_toml_integer(tmp_path) -> None:
    repo, app, _ = hostile_repo(tmp_path, {"fly.toml": FLY_TOML + "  BIG = " + "9" * 5000 + "\n"})
    doc = lint_json(repo)
    (diag,) = [d for d in doc["diagnostics"] if "/app/" in d["file"]]
    assert diag["code"] == "FCL001" and diag["file"].endswith("fly.toml") and (diag["line"], diag["column"]) == (13, 9)


@pytest.mark.parametrize("config", ["secrets = " + "[" * 5000 + "]" * 5000 + "\n",
                                    "x = " + "{a = " * 3000 + "1" + "}" * 3000 + "\n",
                                    "[severity]\nFCL101 = " + "[" * 200 + "]" * 200 + "\n"],
                         ids=["arrays", "inline-tables", "severity-arrays"])
def test_deep_nesting_in_config_is_a_one_line_error(tmp_path, config) -> None:
    repo, app, _ = hostile_repo(tmp_path, {".fly-cluster-lint.toml": config})
    for words in (["check", "--no-cache"], ["env", "--no-cache"]):
        status, out, err = main(*words, str(repo))
        assert status == 2 and err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err, err
        assert len(err) < 1000


def test_deep_dotted_key_in_config_is_a_one_line_error(tmp_path) -> None:
    repo, app, _ = hostile_repo(tmp_path, {".fly-cluster-lint.toml": "secrets." + ".".join(["a"] * 3000) + " = 1\n"})
    status, out, err = main("check", "--no-cache", str(repo))
    assert status == 2 and err.count("\n") == 1 and "internal error" not in err, err


@pytest.mark.parametrize("extra", ["[[[[" * 500, "x = " + "[" * 3000 + "]" * 3000, "x = " + "{a=" * 500 + "1" + "}" * 500],
                         ids=["headers", "arrays", "tables"])
def test_deep_nesting_in_fly_toml_is_fcl001(tmp_path, extra) -> None:
    repo, app, _ = hostile_repo(tmp_path, {"fly.toml": FLY_TOML + extra + "\n"})
    doc = lint_json(repo)
    mine = [d for d in doc["diagnostics"] if "/app/" in d["file"]]
    assert [d["code"] for d in mine] == ["FCL001"] and mine[0]["line"] >= 1 and mine[0]["column"] >= 1


def test_table_header_of_thousands_of_dotted_parts_is_read(tmp_path) -> None:
    """`[a.a.a...]` of 3,000 parts is legal TOML (no bracket nesting): it is read like any table, without
    overflowing the stack of the position walk, and the app is linted as usual."""
    repo, app, _ = hostile_repo(tmp_path, {"fly.toml": FLY_TOML + "[" + ".".join(["a"] * 3000) + "]\nb = 1\n"})
    doc = lint_json(repo)
    mine = [d for d in doc["diagnostics"] if "/app/" in d["file"]]
    assert mine == [] and any(a["root"].endswith("/app") for a in doc["apps"])


def test_env_sh_symlinked_outside_in_every_mode(tmp_path) -> None:
    outside = outside_fixture(tmp_path)
    (outside / "target.sh").write_text(ENV_SH + f'export RELEASE_COOKIE="{COOKIE}"\n')
    repo, app, _ = hostile_repo(tmp_path)
    (app / "rel" / "env.sh").symlink_to(outside / "target.sh")
    (app / "rel" / "vm.args.eex").symlink_to(outside / "target.sh")
    before = outside_state(tmp_path)
    all_outputs(repo, (COOKIE,))
    for args in (["--fix"], ["--fix", "--unsafe-fixes", "--format", "sarif"]):
        status, out, err = main("check", "--no-cache", *args, str(repo))
        assert_safe_output("sarif" if "sarif" in args else "text", status, out, err, (COOKIE,))
    assert outside_state(tmp_path) == before
    lint_json(repo)


def test_non_utf8_file_and_folder_names(tmp_path) -> None:
    repo, app, _ = hostile_repo(tmp_path)
    raw = os.fsencode(str(repo))
    odd = Path(os.fsdecode(raw + b"/caf\xe9-\xff\xfe"))
    make_project(odd)
    env = (odd / "rel" / "env.sh.eex").read_text().replace('@${FLY_PRIVATE_IP}"', '@$(hostname)"')
    (odd / "rel" / "env.sh.eex").write_text(env)
    (Path(os.fsdecode(os.fsencode(str(app / "lib" / "hello")) + b"/x\x80\x9b.ex"))).write_text("defmodule X do\nend\n")
    outputs = all_outputs(repo)
    doc = json.loads(outputs["json"][1])
    assert any("caf\\xe9-\\xff\\xfe" in d["file"] for d in doc["diagnostics"])
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(outputs["sarif"][1])["runs"][0]["results"]]
    assert uris and all(u.isascii() and " " not in u for u in uris)
    assert any("caf%E9-%FF%FE" in u for u in uris)


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_narrow_stdout_encodings(tmp_path, encoding) -> None:
    repo, app, _ = hostile_repo(tmp_path, {"rel/env.sh.eex": ENV_SH.replace('@${FLY_PRIVATE_IP}"', '@$(hostname)"')
                                           + "# ünïcödé ✓ \u202e \x85 日本\n"})
    (repo / "ünï ✓.toml").write_text('app = "ünï ✓"\n[env]\n  A = "1"\n')
    for words in (["check"], ["check", "--format", "json"], ["check", "--format", "github"], ["check", "--statistics"],
                  ["env"], ["check", "--diff"], ["check", "--format", "sarif"], ["check", "--no-such-option-ü"]):
        proc = subprocess.run([*console(), *words, "--no-cache", str(repo)] if "--no-such-option-ü" not in words
                              else [*console(), *words], env={**os.environ, "PYTHONIOENCODING": encoding,
                                                              "GITHUB_ACTIONS": ""},
                              capture_output=True, timeout=120)
        assert b"Traceback" not in proc.stderr and b"internal error" not in proc.stderr, proc.stderr
        assert proc.returncode in ((2,) if "--no-such-option-ü" in words else (0, 1)), proc.stderr
        proc.stdout.decode(encoding)
        proc.stderr.decode(encoding)
        if "json" in words or "sarif" in words:
            json.loads(proc.stdout)


def console() -> list[str]:
    script = Path(sys.executable).parent / "fly-cluster-lint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "fly_cluster_lint"]


# == 8. No stale cache results; a cache the repository cannot write ============================================

def cached(*args: str, cache: Path, cwd: Path | None = None, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {"FLY_CLUSTER_LINT_CACHE_DIR": str(cache)}
    env.update(extra_env or {})
    proc = run_cli(*args, cwd=cwd, env=env)
    assert proc.returncode in (0, 1) and "Traceback" not in proc.stderr, proc.stderr
    return proc


def fresh(*args: str, cwd: Path | None = None) -> str:
    return run_cli("--no-cache", *args, cwd=cwd).stdout


def entries(cache: Path) -> list[str]:
    return sorted(n for n in os.listdir(cache) if n.startswith("results-")) if cache.exists() else []


def test_cache_follows_a_repointed_symlink(tmp_path) -> None:
    cache = tmp_path / "cache"
    one = make_project(tmp_path / "one")
    two = make_project(tmp_path / "two", {"rel/env.sh.eex": ENV_SH.replace('@${FLY_PRIVATE_IP}"', '@$(hostname)"')})
    for p in (one, two):
        (p / ".git").mkdir()
    link = tmp_path / "link"
    link.symlink_to(one)
    assert "FCL203" not in cached(str(link), cache=cache).stdout
    link.unlink()
    link.symlink_to(two)
    assert "FCL203" in cached(str(link), cache=cache).stdout
    inner = two / "rel"  # a symlinked folder inside the project, re-pointed
    shutil.move(str(inner), str(two / "rel-broken"))
    shutil.copytree(one / "rel", two / "rel-good")
    (two / "rel").symlink_to(two / "rel-good")
    assert cached(str(link), cache=cache).stdout == fresh(str(link))


def test_cache_sees_a_dockerfile_created_outside_the_walked_folder(tmp_path) -> None:
    cache = tmp_path / "cache"
    repo, app, _ = hostile_repo(tmp_path, {"fly.toml": FLY_TOML.replace("[build]\n", '[build]\n  dockerfile = "../docker/Dockerfile"\n')})
    first = cached(str(app), cache=cache).stdout
    (repo / "docker").mkdir()
    (repo / "docker" / "Dockerfile").write_text("FROM alpine\nRUN echo no release here\n")
    second = cached(str(app), cache=cache).stdout
    assert second == fresh(str(app)) and second != first


def test_cache_sees_an_edit_that_keeps_size_and_mtime(tmp_path) -> None:
    cache = tmp_path / "cache"
    repo, app, _ = hostile_repo(tmp_path)
    env_sh = app / "rel" / "env.sh.eex"
    assert "FCL203" not in cached(str(app), cache=cache).stdout
    info = env_sh.stat()
    edited = env_sh.read_text().replace('@${FLY_PRIVATE_IP}"', '@$(hostname)"' + " " * (len("${FLY_PRIVATE_IP}") - len("$(hostname)")))
    assert len(edited.encode()) == info.st_size
    env_sh.write_text(edited)
    os.utime(env_sh, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert "FCL203" in cached(str(app), cache=cache).stdout


def test_cache_sees_a_renamed_file_and_a_toml_added_above(tmp_path) -> None:
    cache = tmp_path / "cache"
    repo, app, _ = hostile_repo(tmp_path)
    cached(str(app), cache=cache)
    (app / "rel" / "env.sh.eex").rename(app / "rel" / "env.sh")
    renamed = cached(str(app), cache=cache).stdout
    assert "FCL003" in renamed and renamed == fresh(str(app))
    (app / "rel" / "env.sh").rename(app / "rel" / "env.sh.eex")
    restored = cached(str(app), cache=cache).stdout
    (repo / "fly.staging.toml").write_text('app = "hello-staging"\n[build]\n  dockerfile = "app/Dockerfile"\n[env]\n')
    above = cached(str(app), cache=cache, extra_env={}).stdout
    assert above == fresh(str(app)) and above != restored
    (repo / ".fly-cluster-lint.toml").write_text('ignore = ["FCL4"]\n')
    assert cached(str(app), cache=cache).stdout == fresh(str(app))


def test_cache_sees_a_new_file_in_a_folder_whose_mtime_was_set_back(tmp_path) -> None:
    """The folders have settled (older than files.SETTLED_NS) when the result is stored, so the warm run trusts
    their (mtime, ctime, inode) stamps instead of listing them: setting the mtime back still moves the ctime."""
    import time

    from fly_cluster_lint.files import SETTLED_NS

    cache = tmp_path / "cache"
    repo, app, _ = hostile_repo(tmp_path)
    time.sleep(SETTLED_NS / 1e9 + 0.2)
    cached(str(app), cache=cache)
    lib = app / "lib" / "hello"
    info = lib.stat()
    (lib / "second.ex").write_text('defmodule Hello.Second do\n  def child, do: {DNSCluster, query: "x.internal"}\nend\n')
    os.utime(lib, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert cached(str(app), cache=cache).stdout == fresh(str(app))


def test_cache_sees_a_file_added_while_the_run_was_linting(tmp_path, monkeypatch) -> None:
    from fly_cluster_lint import resultcache

    cache = tmp_path / "cache"
    monkeypatch.setenv("FLY_CLUSTER_LINT_CACHE_DIR", str(cache))
    repo, app, _ = hostile_repo(tmp_path)
    store = resultcache.store

    def late_store(*args, **kwargs):  # an editor saves a new file while the hook runs
        (app / "lib" / "hello" / "second.ex").write_text(
            'defmodule Hello.Second do\n  def child, do: {DNSCluster, query: "x.internal"}\nend\n')
        return store(*args, **kwargs)

    monkeypatch.setattr(resultcache, "store", late_store)
    main("check", str(app))
    monkeypatch.setattr(resultcache, "store", store)
    assert entries(cache)
    assert cached(str(app), cache=cache).stdout == fresh(str(app))


FORGED = "FORGED REPORT\n"


def forge(folder: Path, args: list[str], cwd: Path, env: dict) -> Path:
    """A cache entry for exactly this command line that depends on nothing and prints FORGED."""
    code = ("import sys, marshal, os\nfrom fly_cluster_lint import args, resultcache\n"
            "a = args.parse(sys.argv[2:])\nname = resultcache.key(a, a.format or 'text', False)\n"
            "os.makedirs(sys.argv[1], exist_ok=True)\n"
            "open(os.path.join(sys.argv[1], name), 'wb').write(marshal.dumps(([], [], [], %r, 0, [])))\n" % FORGED)
    full = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    full.update(env)
    subprocess.run([sys.executable, "-c", code, str(folder), *args], cwd=cwd, env=full, check=True, timeout=60)
    return folder


def test_forged_entry_outside_the_repository_is_used_control(tmp_path) -> None:
    """Control for the next test: the forging works, so ignoring an entry inside the workspace is meaningful."""
    repo, app, _ = hostile_repo(tmp_path)
    cache = tmp_path / "cache"
    env = {"FLY_CLUSTER_LINT_CACHE_DIR": str(cache)}
    forge(cache, [str(app)], repo, env)
    os.chmod(cache, 0o700)
    assert run_cli(str(app), cwd=repo, env=env).stdout == FORGED


@pytest.mark.parametrize("variable", ["FLY_CLUSTER_LINT_CACHE_DIR", "XDG_CACHE_HOME", "symlink"])
def test_cache_folder_inside_the_workspace_is_never_read_or_written(tmp_path, variable) -> None:
    repo, app, _ = hostile_repo(tmp_path)
    if variable == "FLY_CLUSTER_LINT_CACHE_DIR":
        folder = repo / ".cache" / "x"
        env = {variable: str(folder)}
    elif variable == "XDG_CACHE_HOME":
        folder = repo / ".cache" / "fly-cluster-lint"
        env = {"XDG_CACHE_HOME": str(repo / ".cache"), "FLY_CLUSTER_LINT_CACHE_DIR": "", "HOME": str(tmp_path / "home")}
    else:  # a cache variable that leads into the workspace through a symlink
        folder = repo / "app" / "lib" / "c"
        (tmp_path / "alias").symlink_to(repo / "app" / "lib")
        env = {"FLY_CLUSTER_LINT_CACHE_DIR": str(tmp_path / "alias" / "c")}
    for paths in ([str(app)], [str(app / "rel" / "env.sh.eex"), str(app / "fly.toml")], ["."]):
        forge(folder, ["--", *paths] if paths != ["."] else [], app if paths == ["."] else repo, env)
        os.chmod(folder, 0o700)
        planted = tree(folder)
        proc = subprocess.run([*console(), "check", "--", *paths] if paths != ["."] else [*console()],
                              cwd=app if paths == ["."] else repo, env={**os.environ, **env, "GITHUB_ACTIONS": ""},
                              capture_output=True, text=True, timeout=120)
        assert proc.returncode in (0, 1) and FORGED not in proc.stdout, (variable, paths)
        assert tree(folder) == planted  # nothing written there either
    assert not (repo / ".cache" / "fly-cluster-lint").exists() or variable == "XDG_CACHE_HOME"


def test_cache_folder_and_entries_are_private_and_a_shared_folder_is_not_used(tmp_path) -> None:
    repo, app, _ = hostile_repo(tmp_path)
    cache = tmp_path / "private" / "cache"
    old = os.umask(0o022)
    try:
        cached(str(app), cache=cache)
    finally:
        os.umask(old)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert entries(cache) and all(stat.S_IMODE((cache / n).stat().st_mode) == 0o600 for n in os.listdir(cache))
    shared = tmp_path / "shared"
    forge(shared, [str(app)], repo, {"FLY_CLUSTER_LINT_CACHE_DIR": str(shared)})
    os.chmod(shared, 0o777)
    planted = tree(shared)
    proc = run_cli(str(app), cwd=repo, env={"FLY_CLUSTER_LINT_CACHE_DIR": str(shared)})
    assert proc.returncode in (0, 1) and FORGED not in proc.stdout
    assert tree(shared) == planted
    os.chmod(shared, 0o720)  # group-writable: not used either
    assert FORGED not in run_cli(str(app), cwd=repo, env={"FLY_CLUSTER_LINT_CACHE_DIR": str(shared)}).stdout


# == 9. Smaller promises ========================================================================================

@pytest.mark.parametrize("name", ["x; touch pwned", "$(touch pwned)", "`touch pwned`", "a' ; touch pwned; '",
                                  "x\n--app other", "-rf", "a b"])
def test_cookie_hint_quotes_the_app_name(tmp_path, name) -> None:
    repo, app, _ = hostile_repo(tmp_path, {"fly.toml": FLY_TOML.replace('app = "hello"', f"app = {json.dumps(name)}"),
                                           ".fly-cluster-lint.toml": "# no secrets declared: FCL401\n"})
    status, out, err = main("check", "--no-cache", "--fix", str(app))
    assert_safe_output("text", status, out, err)
    (line,) = [l for l in out.splitlines() if l.strip().startswith("fly secrets set")]
    words = shlex.split(line)
    assert words[:4] == ["fly", "secrets", "set", words[3]] and words[3].startswith("RELEASE_COOKIE=$(")
    assert words[4:] == ["--app", name.replace("\n", "\\n")]
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def fixable(tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose app needs a safe fix in rel/env.sh.eex (FCL101) and one in the Dockerfile (FCL004)."""
    repo, app, _ = hostile_repo(tmp_path, {"rel/env.sh.eex": ENV_SH_NO_AFLAGS,
                                           "Dockerfile": DOCKERFILE.replace("COPY rel rel\n", "")})
    return repo, app


def test_fix_edits_the_target_of_a_symlink_inside_the_repository(tmp_path) -> None:
    repo, app = fixable(tmp_path)
    shared = repo / "shared"
    shared.mkdir()
    (app / "rel" / "env.sh.eex").rename(shared / "env.sh.eex")
    (app / "rel" / "env.sh.eex").symlink_to(Path("..") / ".." / "shared" / "env.sh.eex")
    status, out, err = main("check", "--no-cache", "--fix", str(app))
    assert err == "" and (app / "rel" / "env.sh.eex").is_symlink()
    assert "-proto_dist inet6_tcp" in (shared / "env.sh.eex").read_text()


@pytest.mark.parametrize("where", ["inside", "outside"])
def test_fix_refuses_hard_linked_files(tmp_path, where) -> None:
    repo, app = fixable(tmp_path)
    other = (repo if where == "inside" else tmp_path) / "hardlink.sh"
    os.link(app / "rel" / "env.sh.eex", other)
    before = (tree(repo), other.read_bytes())
    status, out, err = main("check", "--no-cache", "--fix", str(app))
    assert status == 2 and err.count("\n") == 1 and "hard link" in err
    assert (tree(repo), other.read_bytes()) == before  # the Dockerfile fix is not written either


def test_fix_respects_read_only_files(tmp_path) -> None:
    repo, app = fixable(tmp_path)
    os.chmod(app / "rel" / "env.sh.eex", 0o444)
    before = tree(repo)
    status, out, err = main("check", "--no-cache", "--fix", str(app))
    assert status == 2 and "read-only" in err and err.count("\n") == 1
    assert tree(repo) == before


def test_fix_refuses_a_file_changed_between_lint_and_write(tmp_path, monkeypatch) -> None:
    from fly_cluster_lint.fixes import apply

    repo, app = fixable(tmp_path)
    run = apply.run
    concurrent = ENV_SH_NO_AFLAGS + "# saved by the editor meanwhile\n"

    def racing(*args, **kwargs):
        state = run(*args, **kwargs)
        (app / "rel" / "env.sh.eex").write_text(concurrent)
        return state

    monkeypatch.setattr(apply, "run", racing)
    before_docker = (app / "Dockerfile").read_text()
    status, out, err = main("check", "--no-cache", "--fix", str(app))
    assert status == 2 and "changed since it was linted" in err
    assert (app / "rel" / "env.sh.eex").read_text() == concurrent and (app / "Dockerfile").read_text() == before_docker


def leftovers(repo: Path) -> list[str]:
    return [k for k in tree(repo) if ".fly-cluster-lint.tmp" in k]


def failing_at(monkeypatch, when: str, exc: BaseException) -> None:
    """Make the write of the second file fail: at its temporary file (`tmp`), or at the rename that puts the new
    content in place (`rename`), with an OSError or a Ctrl-C."""
    from fly_cluster_lint.fixes import write

    counter = {"mkstemp": 0, "rename": 0}
    mkstemp, replace = write.tempfile.mkstemp, write.os.replace

    def fake_mkstemp(*args, **kwargs):
        counter["mkstemp"] += 1
        if when == "tmp" and counter["mkstemp"] == 2:
            raise exc
        return mkstemp(*args, **kwargs)

    def fake_replace(src, dst, *args, **kwargs):
        if str(src).endswith(write.SUFFIX) and not str(dst).endswith(write.SUFFIX):
            counter["rename"] += 1
            if when == "rename" and counter["rename"] == 2:
                raise exc
        return replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(write.tempfile, "mkstemp", fake_mkstemp)
    monkeypatch.setattr(write.os, "replace", fake_replace)


@pytest.mark.parametrize("when,exc", [
    pytest.param("tmp", PermissionError(13, "Permission denied"), id="tmp-oserror"),
    pytest.param("tmp", KeyboardInterrupt(), id="tmp-ctrl-c"),
    pytest.param("rename", PermissionError(13, "Permission denied"), id="rename-oserror"),
    pytest.param("rename", KeyboardInterrupt(), id="rename-ctrl-c"),
])
def test_multi_file_fix_is_all_or_nothing(tmp_path, monkeypatch, when, exc) -> None:
    repo, app = fixable(tmp_path)
    before = tree(repo)
    failing_at(monkeypatch, when, exc)
    status, out, err = main("check", "--no-cache", "--fix", str(app))
    assert status == (130 if isinstance(exc, KeyboardInterrupt) else 2)
    assert tree(repo) == before and not leftovers(repo)


def test_oversized_config_is_refused_without_reading_it(tmp_path, monkeypatch) -> None:
    from fly_cluster_lint import files

    repo, app, _ = hostile_repo(tmp_path)
    config = app / ".fly-cluster-lint.toml"
    with open(config, "wb") as handle:  # 4 GiB, sparse
        handle.truncate(4 << 30)
    reads: list[int] = []

    class Counting(io.FileIO):
        def read(self, size=-1):
            data = super().read(size)
            reads.append(len(data))
            return data

    def counting_open(path, mode="r", *args, **kwargs):
        if "b" in mode and str(path).endswith(".fly-cluster-lint.toml"):
            return Counting(path, "rb")
        return open(path, mode, *args, **kwargs)

    monkeypatch.setattr(files, "open", counting_open, raising=False)
    start = time.monotonic()
    status, out, err = main("check", "--no-cache", str(repo))
    assert time.monotonic() - start < 20
    assert status == 2 and err.count("\n") == 1 and "too large" in err
    assert sum(reads) <= (1 << 20) + 1


def test_lib_symlinked_to_the_root_folder_is_not_walked(tmp_path, monkeypatch) -> None:
    from fly_cluster_lint import files

    repo, app, _ = hostile_repo(tmp_path)
    shutil.rmtree(app / "lib")
    (app / "lib").symlink_to("/")
    (app / "config").rename(app / "config-real")
    (app / "config").symlink_to("/etc")
    listed: list[str] = []
    scandir = os.scandir

    def spying(path="."):
        listed.append(str(path))
        return scandir(path)

    monkeypatch.setattr(files.os, "scandir", spying)
    start = time.monotonic()
    doc = lint_json(repo)
    assert time.monotonic() - start < 20
    assert not [p for p in listed if not os.path.realpath(p).startswith(str(repo.resolve()))], listed[:5]


OUTSIDE_PATH = "outside the repository"


@pytest.mark.parametrize("path", ["/etc/passwd", "/does/not/exist", "../../../../../../etc/passwd",
                                  "../../../../../../does/not/exist"])
def test_outside_dockerfile_gives_no_existence_oracle(tmp_path, path) -> None:
    repo, app, _ = hostile_repo(tmp_path, {"fly.toml": FLY_TOML.replace("[build]\n", f'[build]\n  dockerfile = "{path}"\n')})
    status, out, err = main("check", "--no-cache", str(repo))
    assert OUTSIDE_PATH in out and "root:" not in out
    twin = path.replace("etc/passwd", "does/not/exist") if "passwd" in path else path.replace("does/not/exist", "etc/passwd")
    (app / "fly.toml").write_text(FLY_TOML.replace("[build]\n", f'[build]\n  dockerfile = "{twin}"\n'))
    status2, out2, err2 = main("check", "--no-cache", str(repo))
    norm = lambda text, p: text.replace(str(Path(os.path.normpath(app / p))), "X").replace(p, "X")
    assert (status, norm(out, path), err) == (status2, norm(out2, twin), err2)


@pytest.mark.parametrize("field", [
    # `..` is taken away as text before the confinement check, as Mix, flyctl and Docker do, and the file
    # opened is exactly the path checked (files.FileCache.kind/_read)
    "dockerfile", "rel_templates_path", "import_config", "apps_path",
])
def test_symlink_dotdot_paths_never_read_outside(tmp_path, field) -> None:
    outside = tmp_path / "outside"
    (outside / "sub").mkdir(parents=True)
    secret = "OUTSIDE_SECRET_LINE"
    (outside / "Dockerfile").write_text(f"FROM alpine\nRUN mix release\n{secret}\n")
    (outside / "env.sh.eex").write_text(f"export {secret}=1 <%=\n")
    (outside / "secret.exs").write_text(f"import Config\nconfig :hello {secret} <<<\n")
    (outside / "child").mkdir()
    (outside / "child" / "mix.exs").write_text(f"defmodule C.MixProject do\n  def project, do: [app: :c, deps: [{{:x {secret}}}]]\nend\n")
    repo, app, _ = hostile_repo(tmp_path)
    (app / "lnk").symlink_to(outside / "sub")
    if field == "dockerfile":
        (app / "fly.toml").write_text(FLY_TOML.replace("[build]\n", '[build]\n  dockerfile = "lnk/../Dockerfile"\n'))
    elif field == "rel_templates_path":
        (app / "mix.exs").write_text(templates_path("lnk/.."))
    elif field == "import_config":
        config = app / "config" / "config.exs"
        config.write_text(config.read_text() + 'import_config "../lnk/../secret.exs"\n')
    else:
        (app / "mix.exs").write_text(MIX_EXS.replace("      deps: deps()\n", '      deps: deps(),\n      apps_path: "lnk/.."\n'))
    for name in ("text", "json", "sarif", "env", "diff"):
        status, out, err = main(*FORMATS[name], str(repo))
        assert secret not in out + err, name


def test_json_and_sarif_are_ascii_without_raw_c1(tmp_path) -> None:
    repo, app, _ = hostile_repo(tmp_path, {"rel/env.sh.eex": ENV_SH.replace('@${FLY_PRIVATE_IP}"', '@$(hostname)"')
                                           + "export RELEASE_NODE=\"\x85\x9b\u2028\u202e@$(hostname)\"\n"})
    (repo / "\x85\x9b.toml").write_text('app = "\\u0085\\u009b"\n[env]\n  A = "1"\n')
    outputs = all_outputs(repo, names=("json", "sarif", "env-json"))
    for name in ("json", "sarif", "env-json"):
        text = outputs[name][1]
        assert text.isascii()
        assert not raw_controls(json.dumps(json.loads(text), ensure_ascii=False, indent=None)), name
    assert "\\\\x9b" in outputs["json"][1]  # shown as the visible escape \x9b


def test_action_writes_github_output_as_delimited_blocks(tmp_path) -> None:
    """The Action's step outputs: every value in a `name<<DELIMITER` block with a fresh random delimiter, so no
    value (a sarif-file path with `=`, `::` or a newline) can end its block or add an output."""
    repo, app, _ = hostile_repo(tmp_path, {"rel/env.sh.eex": ENV_SH + f'export RELEASE_COOKIE="{COOKIE}"\n'})
    output, summary = tmp_path / "github_output", tmp_path / "summary.md"
    output.write_text("earlier=1\n")
    sarif_file = "reports/x=1::set-output name=y::z\nexit-code=0.sarif"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))}
    env.update({"GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTIONS": "true",
                "GITHUB_WORKSPACE": str(tmp_path), "INPUT_PATH": str(repo), "INPUT_ARGS": "--no-cache",
                "INPUT_FAIL_ON": "error", "INPUT_SARIF_FILE": sarif_file, "FLY_CLUSTER_LINT_NO_CACHE": "1"})
    proc = subprocess.run([sys.executable, "-m", "fly_cluster_lint.action"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr
    assert_safe_output("github", proc.returncode, proc.stdout, proc.stderr, (COOKIE,))
    text = output.read_text()
    outputs = read_github_output(text)
    assert outputs["earlier"] == "1" and outputs["sarif-file"] == sarif_file
    assert outputs["exit-code"] == str(proc.returncode) and "y" not in outputs
    delimiters = [line.split("<<", 1)[1] for line in text.splitlines() if "<<" in line]
    assert len(set(delimiters)) == len(delimiters) >= 6
    assert all(re.fullmatch(r"[\w-]*[0-9a-f]{32}", d) for d in delimiters)
    json.loads((tmp_path / sarif_file).read_text())
    assert COOKIE not in summary.read_text() and not raw_controls(summary.read_text())


def test_markdown_summary_makes_no_link_from_repository_text(tmp_path) -> None:
    import html

    query = "see www.evil.example/login or write to me@evil.example [x](https://evil.example) <img src=x> @octocat"
    repo, app, _ = hostile_repo(tmp_path, {"rel/env.sh.eex": ENV_SH.replace('"${FLY_APP_NAME}.internal"', json.dumps(query))})
    status, out, err = main("check", "--no-cache", "--format", "markdown", str(repo))
    assert_safe_output("markdown", status, out, err)
    rows = [line for line in out.splitlines() if line.startswith("| ") and "FCL306" in line]
    assert rows and all(row.count("|") == 6 for row in rows)  # no cell of its own
    finding = rows[0].split("|")[4].replace("<br>", " ")  # the reporter's own line break before `help:`
    assert "<" not in finding and "](" not in finding and "@octocat" not in finding and "[x]" not in finding
    cells = html.unescape(finding)  # as the renderer's autolink pass sees it, character references decoded
    assert not re.search(r"(^|[\s(*_~])www\.[\w-]+\.[\w-]+", cells), cells  # GFM extended www autolink
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.-]*\w", cells), cells  # GFM extended email autolink


# == Found by the review of this round (helper-7), each reproduced first ======================================

def test_short_cookie_in_legacy_dockerfile_env_form_is_masked(tmp_path) -> None:
    """`ENV RELEASE_COOKIE s3cr3t` (no `=`): a cookie under MIN_MASKED characters is hidden on the line that
    assigns it, in this form too (FCL402 and FCL405 quote that line)."""
    repo, app, _ = hostile_repo(tmp_path, {"Dockerfile": DOCKERFILE.rstrip("\n") + "\nENV RELEASE_COOKIE s3cr3t\n"})
    outputs = all_outputs(repo, ("s3cr3t",), names=("text", "json", "sarif", "github", "markdown", "env"))
    assert "FCL402" in outputs["text"][1] and "ENV RELEASE_COOKIE ****" in outputs["text"][1]


def test_fix_of_one_app_leaves_another_apps_suppressions_alone(tmp_path) -> None:
    """Discovery reads every Fly config of the repository; a suppression in another app's fly.toml is not
    reported as unused (FCL009), nor removed by --fix, when only this app is linted."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    make_project(repo / "app0")
    other = make_project(repo / "app1", {"fly.toml": "# fly-cluster-lint: ignore-file[FCL402]\n" + FLY_TOML.replace(
        '  PORT = "8080"\n', f'  PORT = "8080"\n  RELEASE_COOKIE = "{COOKIE}"\n')})
    before = (other / "fly.toml").read_bytes()
    assert "FCL402" not in main("check", "--no-cache", str(repo / "app1"))[1]
    status, out, err = main("check", "--no-cache", str(repo / "app0"))
    assert status == 0 and "FCL009" not in out, out
    main("check", "--no-cache", "--fix", str(repo / "app0"))
    assert (other / "fly.toml").read_bytes() == before


def test_dotdot_after_a_symlink_is_one_file_for_linting_the_cache_and_fixes(tmp_path) -> None:
    """`rel_templates_path: "lnk/../rel"` with lnk -> deploy/inner: the linter reads rel/ (`..` as text, as Mix
    does); the warm run checks that same file, and --fix writes that same file, never deploy/rel/."""
    cache = tmp_path / "cache"
    repo, app, _ = hostile_repo(tmp_path, {"mix.exs": templates_path("lnk/../rel")})
    (app / "deploy" / "inner").mkdir(parents=True)
    (app / "lnk").symlink_to(app / "deploy" / "inner")
    (app / "deploy" / "rel").mkdir()
    (app / "deploy" / "rel" / "env.sh.eex").write_text(ENV_SH)
    assert "FCL101" not in cached(str(app), cache=cache).stdout
    (app / "rel" / "env.sh.eex").write_text(ENV_SH_NO_AFLAGS)
    warm = cached(str(app), cache=cache)
    assert "FCL101" in warm.stdout and warm.stdout == fresh(str(app))
    status, out, err = main("check", "--no-cache", "--fix", str(app))
    assert "-proto_dist inet6_tcp" in (app / "rel" / "env.sh.eex").read_text()
    assert (app / "deploy" / "rel" / "env.sh.eex").read_text() == ENV_SH


def test_a_report_that_cannot_be_written_is_exit_2(tmp_path) -> None:
    """A full disk or a file size limit at the final flush is one error line and exit status 2, not a silent
    exit 0 with an empty report; a reader that goes away (`| head`) stays quiet."""
    import resource

    repo, app, _ = hostile_repo(tmp_path)
    script = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, (0, resource.RLIM_INFINITY)); "
              "import signal; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
              "sys.argv = ['fly-cluster-lint', 'check', '--no-cache', '--format', 'json', sys.argv[1]]; "
              "from fly_cluster_lint.cli import run; run()")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    with open(tmp_path / "report.json", "wb") as out:
        proc = subprocess.run([sys.executable, "-c", script, str(app)], stdout=out, stderr=subprocess.PIPE,
                              env=env, timeout=120)
    assert proc.returncode == 2 and proc.stderr.decode().startswith("fly-cluster-lint: error: cannot write the report")
    del resource


def test_a_crash_in_a_workers_last_app_keeps_its_files_suppressions(tmp_path, monkeypatch) -> None:
    """With workers, an app whose rule crashed may be the last of its slice: its files' suppression comments
    are still collected, so FCL009 says the same as in one process."""
    from fly_cluster_lint import engine, registry

    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    for i in range(8):
        overlay = {"rel/env.sh.eex": ENV_SH + "export X=1  # fly-cluster-lint: ignore[FCL101]\n"} if i == 3 else None
        make_project(repo / f"app{i:02d}", overlay)
    import importlib

    from fly_cluster_lint.config import Overrides

    rule = next(r for r in registry.all_rules() if r.code == "FCL203")
    module_name, _, function = rule.check_name.rpartition(".")
    module = importlib.import_module(f"fly_cluster_lint.checks.{module_name}")
    original = getattr(module, function)

    def crashing(app):
        if "app03" in str(app.spec.toml):
            raise RuntimeError("planted")
        return original(app)

    monkeypatch.setattr(module, function, crashing)
    results = {}
    for jobs in (1, 2):
        monkeypatch.setattr(engine, "_workers", lambda requested, apps, jobs=jobs: jobs)
        result = engine.lint([repo], Overrides())
        results[jobs] = sorted((d.code, d.span.file) for d in result.diagnostics if d.code == "FCL009")
    assert results[1] == results[2] and any("app03" in f for _, f in results[1]), results


def test_cache_sees_the_target_of_a_dangling_fly_config_link_appear(tmp_path) -> None:
    cache = tmp_path / "cache"
    repo, app, _ = hostile_repo(tmp_path)
    (repo / "deps").mkdir()  # never walked
    (app / "fly.prod.toml").symlink_to(repo / "deps" / "fly.prod.toml")
    cold = cached(str(repo), cache=cache).stdout
    (repo / "deps" / "fly.prod.toml").write_text('app = "hello-prod"\n[env]\n')
    warm = cached(str(repo), cache=cache).stdout
    assert warm == fresh(str(repo)) and warm != cold  # a third app (or its finding) now, not the stale report
