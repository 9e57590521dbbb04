"""The recipes in docs/recipes/ (a mix alias, an ex_check tool) work as written: each is valid Elixir (parsed with
the project's own tree-sitter Elixir parser), and the command it holds, split as a shell would, runs the CLI
on examples/hello_broken with exit status 1 and its findings. Where Elixir is installed, the mix alias is run
by a real `mix` and `.check.exs` is evaluated to the keyword list ex_check reads."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, console_script, run_cli

RECIPES = ROOT / "docs" / "recipes"
MIX_ALIAS = RECIPES / "mix-alias.exs"
CHECK_EXS = RECIPES / "check.exs"
BROKEN = ROOT / "examples" / "hello_broken"
BROKEN_CODES = ["FCL101", "FCL203", "FCL208", "FCL304", "FCL401", "FCL501"]


def parse(path: Path):
    """The recipe through the linter's own Elixir parser (a syntax error raises ParseError)."""
    from fly_cluster_lint.parsers.elixir import parse_elixir
    from fly_cluster_lint.source import SourceFile

    return parse_elixir(SourceFile(path, path.name, path.read_bytes()))


def alias_command() -> str:
    """The `lint.cluster` alias of the mix recipe: `cmd ...` with the shell command after it."""
    tree = parse(MIX_ALIAS)
    body = tree.function_body("aliases")
    assert body is not None and body.type == "list"
    aliases = dict(tree.literal(body))
    steps = tree.literal(aliases["lint.cluster"])
    assert isinstance(steps, list) and len(steps) == 1 and steps[0].startswith("cmd ")
    project = tree.function_body("project")
    assert "aliases" in dict(tree.literal(project)), "project/0 must use the aliases"
    return steps[0][len("cmd "):]


def check_exs_command() -> str:
    """The command of the `:fly_cluster_lint` tool of the .check.exs recipe (ex_check's `{:name, command}`)."""
    tree = parse(CHECK_EXS)
    roots = [c for c in tree.root.named_children if c.type != "comment"]
    assert len(roots) == 1 and roots[0].type == "list", "the file must evaluate to one keyword list"
    config = dict(tree.literal(roots[0]))
    tools = tree.literal(config["tools"])
    found = [tool for tool in tools if isinstance(tool, tuple) and tool and getattr(tool[0], "name", None) == "fly_cluster_lint"]
    assert len(found) == 1 and len(found[0]) == 2 and isinstance(found[0][1], str), found
    return found[0][1]


def broken_copy(tmp_path: Path) -> Path:
    project = tmp_path / "hello_broken"
    shutil.copytree(BROKEN, project)
    (project / ".git").mkdir()
    return project


def run_command(command: str, cwd: Path) -> subprocess.CompletedProcess:
    words = shlex.split(command)
    assert words[0] == "fly-cluster-lint", words
    return run_cli(*words[1:], cwd=cwd)


def codes_in(text: str) -> list[str]:
    return sorted(re.findall(r"^\S+:\d+:\d+: (FCL\d{3}) ", text, flags=re.M))


@pytest.mark.parametrize("command", [alias_command, check_exs_command], ids=["mix-alias", "check-exs"])
def test_recipe_command_lints_the_broken_example(command, tmp_path) -> None:
    proc = run_command(command(), broken_copy(tmp_path))
    assert proc.returncode == 1, proc.stderr
    assert codes_in(proc.stdout) == BROKEN_CODES
    assert proc.stdout.splitlines()[-2] == "5 errors, 1 warning in 1 app."


def test_recipes_hold_exactly_this_command() -> None:
    assert alias_command() == "fly-cluster-lint ."
    assert check_exs_command() == "fly-cluster-lint ."


def test_a_broken_recipe_would_be_caught(tmp_path) -> None:
    from fly_cluster_lint.parsers import ParseError

    broken = tmp_path / "check.exs"
    broken.write_text(CHECK_EXS.read_text().replace('"fly-cluster-lint ."}', '"fly-cluster-lint ."'))
    with pytest.raises(ParseError):
        parse(broken)


def elixir_path(tmp_path: Path) -> dict:
    """An environment where `fly-cluster-lint` is the console script under test (first on PATH)."""
    script = console_script()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    wrapper = bin_dir / "fly-cluster-lint"
    wrapper.write_text("#!/bin/sh\nexec " + " ".join(shlex.quote(w) for w in script) + ' "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
           "MIX_HOME": str(tmp_path / "mix_home"), "HEX_OFFLINE": "1"}
    env.pop("GITHUB_ACTIONS", None)
    return env


@pytest.mark.skipif(shutil.which("elixir") is None, reason="no `elixir` on PATH: .check.exs is not evaluated")
def test_check_exs_evaluates_to_the_tool(tmp_path) -> None:
    code = ('{config, _} = Code.eval_file(System.fetch_env!("RECIPE")); true = Keyword.keyword?(config); '
            '{:fly_cluster_lint, command} = List.keyfind(Keyword.fetch!(config, :tools), :fly_cluster_lint, 0); '
            'IO.write(command)')
    proc = subprocess.run(["elixir", "-e", code], env={**os.environ, "RECIPE": str(CHECK_EXS)}, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == check_exs_command()


@pytest.mark.skipif(shutil.which("mix") is None, reason="no `mix` on PATH: the alias is not run by Mix")
def test_mix_alias_runs_under_mix(tmp_path) -> None:
    """The recipe's alias entry added to the example's own aliases: `mix lint.cluster` exits 1 with the
    findings (`mix cmd` passes the status on)."""
    project = broken_copy(tmp_path)
    entry = next(line.strip() for line in MIX_ALIAS.read_text().splitlines() if line.strip().startswith('"lint.cluster"'))
    mix = project / "mix.exs"
    text = mix.read_text()
    assert "  defp aliases do\n    [\n" in text
    mix.write_text(text.replace("  defp aliases do\n    [\n", f"  defp aliases do\n    [\n      {entry},\n", 1))
    proc = subprocess.run(["mix", "lint.cluster"], cwd=project, env=elixir_path(tmp_path), capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    assert codes_in(proc.stdout) == BROKEN_CODES


def elixir_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```elixir\n(.*?)^```$", markdown, flags=re.M | re.S)


def test_readme_embeds_the_recipes_verbatim() -> None:
    blocks = elixir_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    for recipe in (MIX_ALIAS, CHECK_EXS):
        assert recipe.read_text(encoding="utf-8") in blocks, f"README has no ```elixir block holding {recipe.name}"


def test_elixir_blocks_finds_a_recipe() -> None:
    """The README check itself works (it is an expected failure only until README holds the recipes)."""
    text = CHECK_EXS.read_text()
    assert elixir_blocks(f"intro\n\n```elixir\n{text}```\n\nmore\n") == [text]
