"""The conventions of a command-line tool: `help` and `version` commands, `--help` on every command with
EXAMPLES, EXIT STATUS and ENVIRONMENT, "did you mean" for typos, shell completion from the option table,
the colour variables (NO_COLOR, FORCE_COLOR, CLICOLOR_FORCE, TERM), `clean` and a bounded cache, the umask,
`--show-settings` and `--show-files`, and a warm run that imports nothing new."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fly_cluster_lint import __version__, cache, cli
from fly_cluster_lint.args import COMMANDS, suggest_code
from fly_cluster_lint.helptext import ENVIRONMENT, help_text, usage
from conftest import ROOT, expect_error, main_in_process, make_project, run_cli

BROKEN = ROOT / "examples" / "hello_broken"
COLOR_VARIABLES = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TERM")
SGR = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch, tmp_path):
    """No colour variable from the developer's or CI's environment, and a private cache for every run."""
    for name in (*COLOR_VARIABLES, "GITHUB_ACTIONS", "FLY_CLUSTER_LINT_NO_CACHE"):
        monkeypatch.delenv(name, raising=False)
    cache_folder = tmp_path / "cache"
    monkeypatch.setenv("FLY_CLUSTER_LINT_CACHE_DIR", str(cache_folder))
    cache._ALLOWED.clear()
    yield cache_folder
    cache._ALLOWED.clear()


main = main_in_process  # cli.main in-process: (status, stdout, stderr)


def broken_copy(tmp_path: Path) -> Path:
    project = tmp_path / "repo" / "hello_broken"
    shutil.copytree(BROKEN, project)
    (tmp_path / "repo" / ".git").mkdir()
    return project


# -- help and version ---------------------------------------------------------------------------------------
VERSION_HELP = """\
usage: fly-cluster-lint version [options]

Print `fly-cluster-lint` and its version.

options:
  -h, --help                        show this help and exit
  -V, --version                     print the version and exit

EXAMPLES
  fly-cluster-lint version                          prints `fly-cluster-lint X.Y.Z`; so do -V and
                                                    --version

EXIT STATUS
  0   done
  2   the tool could not do its job (bad arguments, ...); one line on stderr

ENVIRONMENT
  FLY_CLUSTER_LINT_DEBUG      set and not empty: an internal error shows a traceback
"""

CHECK_EXIT_STATUS = """\
EXIT STATUS
  0   no finding at or above --fail-on (default: error); also when no app is found
  1   at least one finding at or above --fail-on
  2   the tool could not do its job (bad arguments, a path that does not exist, a bad
      configuration); one line on stderr
"""


def test_help_command_is_the_tool_help() -> None:
    proc = run_cli("help")
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == usage()
    assert proc.stdout.startswith("usage: fly-cluster-lint [check] [PATH ...] [options]\n"
                                  "       fly-cluster-lint COMMAND [ARGUMENTS ...] [options]\n\n"
                                  "Find Erlang clustering mistakes in Elixir/Phoenix apps on Fly.io before deploy.\n\n"
                                  "commands:\n"
                                  "  check         lint the apps under PATH (the default command)\n")
    for command, spec in COMMANDS.items():
        assert f"\n  {command:<14}{spec[1]}\n" in proc.stdout
    assert main("--help") == main("-h") == (0, proc.stdout, "")
    assert CHECK_EXIT_STATUS in proc.stdout


def test_help_of_a_command_exactly() -> None:
    assert main("help", "version") == (0, VERSION_HELP, "")
    assert main("version", "--help") == (0, VERSION_HELP, "")
    assert run_cli("version", "-h").stdout == VERSION_HELP


@pytest.mark.parametrize("command", list(COMMANDS))
def test_every_command_has_its_help(command) -> None:
    status, out, err = main("help", command)
    assert (status, err) == (0, "")
    assert out == help_text(command)
    assert main(command, "--help") == main(command, "-h") == (0, out, "")
    shown = "[check]" if command == "check" else command
    assert out.startswith(f"usage: fly-cluster-lint {shown} ")
    options = COMMANDS[command][0]
    for option, spec in options.items():
        assert re.search(rf"^  (-\w, )?{re.escape(option)}\b", out, flags=re.M) or spec[4] is None, option
        if spec[4] is not None:
            assert spec[4].split()[0] in out
    for option in ("-h, --help", "-V, --version"):
        assert f"\n  {option} " in out
    sections = re.findall(r"^([A-Z][A-Z ]+)$", out, flags=re.M)
    colored = command in ("check", "env", "rules", "explain")
    assert sections == ["EXAMPLES", "EXIT STATUS"] + (["COLOUR"] if colored else []) + ["ENVIRONMENT"]
    examples = out.split("EXAMPLES\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert examples and all(line.startswith(("  fly-cluster-lint ", "  fly secrets list", " " * 40)) for line in examples)
    if command == "check":
        assert CHECK_EXIT_STATUS in out
    else:
        assert "EXIT STATUS\n  0   done\n  2   the tool could not do its job" in out
    if colored:
        assert ("--color always or --color never wins over the environment. With --color auto (the default):\n"
                "  NO_COLOR set and not empty turns colour off; else FORCE_COLOR set and not empty, or CLICOLOR_FORCE\n"
                "  set and not 0, turns it on; else TERM=dumb turns it off;") in out


@pytest.mark.parametrize("argv", [["version"], ["-V"], ["--version"], ["check", "-V"], ["env", "--version"],
                                  ["--format", "json", "-V"]])
def test_version_everywhere(argv) -> None:
    assert main(*argv) == (0, f"fly-cluster-lint {__version__}\n", "")


def test_version_in_a_subprocess_is_the_package_version() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    for argv in (["version"], ["-V"], ["--version"]):
        proc = run_cli(*argv)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"fly-cluster-lint {__version__}\n", "")


def test_a_folder_named_like_a_command_is_still_linted(tmp_path) -> None:
    (tmp_path / ".git").mkdir()
    make_project(tmp_path / "help")
    make_project(tmp_path / "version")
    for argv in (["check", "help"], ["./help"], ["--", "help"], ["check", "version"], ["./version"]):
        status, out, err = main("--no-cache", *argv, cwd=tmp_path) if argv[0] != "check" else main(
            "check", "--no-cache", *argv[1:], cwd=tmp_path)
        assert (status, err) == (0, ""), argv
        assert out.endswith("All checks passed: 1 app clustered correctly.\n"), (argv, out)
    assert main("help", cwd=tmp_path) == (0, usage(), "")
    assert main("version", cwd=tmp_path) == (0, f"fly-cluster-lint {__version__}\n", "")


def test_a_typo_that_is_an_existing_folder_is_linted(tmp_path) -> None:
    (tmp_path / "expain").mkdir()
    status, out, err = main("--no-cache", "expain", cwd=tmp_path)
    assert (status, err) == (0, "")
    assert out.startswith("No Fly.io Elixir app found")


# -- did you mean -------------------------------------------------------------------------------------------
COMMAND_LIST = ", ".join(COMMANDS)
TYPOS = [
    (["expain", "FCL101"], "`expain` is not a command, file or folder; did you mean `explain`?"),
    (["chek", "."], "`chek` is not a command, file or folder; did you mean `check`?"),
    (["rule"], "`rule` is not a command, file or folder; did you mean `rules`?"),
    (["explain", "FCL1O1"], "unknown rule `FCL1O1`; did you mean `FCL101`?"),
    (["explain", "fcl2o3"], "unknown rule `fcl2o3`; did you mean `FCL203`?"),
    (["explain", "FCL10"], "unknown rule `FCL10` (see `fly-cluster-lint rules`)"),
    (["explain", "proto-dist-mising"],
     "unknown rule `proto-dist-mising`; did you mean `proto-dist-missing`?"),
    (["explain", "FCL999"], "unknown rule `FCL999` (see `fly-cluster-lint rules`)"),
    (["--select", "FCL1O1", "."], "--select: unknown rule code `FCL1O1`; did you mean `FCL101`?"),
    (["--ignore", "FCL4,FCL2O3", "."],
     "--ignore: unknown rule code `FCL2O3`; did you mean `FCL203`?"),
    (["--ignore", "FLC4", "."], "--ignore: unknown rule code `FLC4`; did you mean `FCL4`?"),
    (["--select", "FCL7", "."], "--select: unknown rule code `FCL7` (see `fly-cluster-lint rules`)"),
    (["--colour", "never", "."],
     "unrecognized option `--colour` for `check`; did you mean `--color`? (see `fly-cluster-lint help check`)"),
    (["env", "--formt=json"],
     "unrecognized option `--formt` for `env`; did you mean `--format`? (see `fly-cluster-lint help env`)"),
    (["--format", "jsno"],
     "argument --format: invalid choice: 'jsno'; did you mean `json`? (choose from text, json, github, sarif, markdown)"),
    (["--format", "yaml"], "argument --format: invalid choice: 'yaml' (choose from text, json, github, sarif, markdown)"),
    (["help", "chek"], f"unknown command `chek`; did you mean `check`? (commands: {COMMAND_LIST})"),
    (["help", "check", "env"], "help takes at most one command, e.g. `fly-cluster-lint help check`"),
    (["completions", "bsh"], "unknown shell `bsh`; did you mean `bash`? (choose from bash, zsh, fish)"),
    (["completions"], "completions takes one shell (bash, zsh, fish), e.g. `fly-cluster-lint completions bash`"),
    (["version", "now"], "unrecognized arguments: now"),
    (["clean", "--all"], "unrecognized option `--all` for `clean` (see `fly-cluster-lint help clean`)"),
]


@pytest.mark.parametrize("argv, message", TYPOS, ids=[" ".join(a) for a, _ in TYPOS])
def test_did_you_mean(argv, message, tmp_path) -> None:
    assert main(*argv, cwd=tmp_path) == (2, "", f"fly-cluster-lint: error: {message}\n")


def test_typos_in_a_subprocess_are_one_line_without_traceback(tmp_path) -> None:
    for argv, message in (TYPOS[0], TYPOS[3], TYPOS[8]):
        expect_error(run_cli(*argv, cwd=tmp_path), message)


def test_rule_codes_without_yaml_are_the_registry_codes() -> None:
    """--select, --ignore and the completion scripts know the codes from the rule files' names alone."""
    from fly_cluster_lint import registry
    from fly_cluster_lint.args import rule_codes

    assert rule_codes() == [rule.code for rule in registry.all_rules()]


def test_suggest_code() -> None:
    codes = ["FCL001", "FCL101", "FCL102", "FCL203", "FCL311", "FCL401"]
    assert suggest_code("FCL1O1", codes) == "FCL101"
    assert suggest_code("fcl1ol", codes) == "FCL101"
    assert suggest_code("FCL0O1", codes) == "FCL001"
    assert suggest_code("FLC101", codes) == "FCL101"  # neighbours swapped
    assert suggest_code("FCL1011", codes) == "FCL101"  # one too many
    assert suggest_code("FCL999", codes) is None
    assert suggest_code("FCL11", codes) is None  # FCL101 and FCL311 are both one edit away
    assert suggest_code("FCL4O", codes, prefixes=True) == "FCL40"
    assert suggest_code("FCL40", codes) == "FCL401"  # a code: the only one an insertion away


# -- environment --------------------------------------------------------------------------------------------
def environment_reads() -> dict[str, set[str]]:
    """Every variable the package reads with os.environ.get / os.getenv / os.environ[...] / `in os.environ`
    (a name bound to a string constant at module level counts as that string): name -> files."""
    found: dict[str, set[str]] = {}
    unreadable = []

    def is_environ(node) -> bool:
        return (isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)
                and node.value.id == "os")

    for path in sorted((ROOT / "fly_cluster_lint").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id: node.value.value for node in tree.body if isinstance(node, ast.Assign)
                     and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                     for target in node.targets if isinstance(target, ast.Name)}

        def name(node):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return node.value
            if isinstance(node, ast.Name) and node.id in constants:
                return constants[node.id]
            unreadable.append(f"{path.name}:{node.lineno}")
            return None

        for node in ast.walk(tree):
            key = None
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                if isinstance(func, ast.Attribute) and func.attr in ("get", "pop", "setdefault") and is_environ(func.value):
                    key = name(node.args[0])
                elif isinstance(func, ast.Attribute) and func.attr == "getenv" and isinstance(func.value, ast.Name) \
                        and func.value.id == "os":
                    key = name(node.args[0])
            elif isinstance(node, ast.Subscript) and is_environ(node.value):
                key = name(node.slice.value if isinstance(node.slice, ast.Index) else node.slice)  # type: ignore[attr-defined]
            elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
                key = name(node.left)
            if key is not None:
                found.setdefault(key, set()).add(path.name)
    assert not unreadable, f"variables read by a name the test cannot resolve: {unreadable}"
    return found


def test_help_lists_exactly_the_environment_variables_the_package_reads() -> None:
    read = environment_reads()
    assert {"NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TERM", "FLY_CLUSTER_LINT_CACHE_DIR"} <= set(read)
    assert set(read) == set(ENVIRONMENT), (sorted(set(read) - set(ENVIRONMENT)), sorted(set(ENVIRONMENT) - set(read)))
    tool_help = main("help")[1]
    environment = tool_help.split("\nENVIRONMENT\n", 1)[1]
    for variable in read:
        assert re.search(rf"^  {variable} ", environment, flags=re.M), variable
    check_help = main("help", "check")[1].split("\nENVIRONMENT\n", 1)[1]
    for variable in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TERM", "GITHUB_ACTIONS", "GITHUB_WORKSPACE",
                     "FLY_CLUSTER_LINT_CACHE_DIR", "XDG_CACHE_HOME", "FLY_CLUSTER_LINT_NO_CACHE", "FLY_CLUSTER_LINT_DEBUG"):
        assert re.search(rf"^  {variable} ", check_help, flags=re.M), variable


# -- shell completion ---------------------------------------------------------------------------------------
def completion(shell: str) -> str:
    status, out, err = main("completions", shell)
    assert (status, err) == (0, "")
    return out


def table_words():
    """(command, option, its short form) for every command and option of the table."""
    from fly_cluster_lint.args import short_of

    for command, spec in COMMANDS.items():
        options = spec[0]
        yield command, None, None
        for option, (_, _, _, _, text) in options.items():
            if text is not None:
                yield command, option, short_of(options, option)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_every_command_and_option_is_in_every_script(shell) -> None:
    from fly_cluster_lint.args import rule_codes

    text = completion(shell)
    assert text.splitlines()[0 if shell != "zsh" else 1].startswith(f"# {shell} completion for fly-cluster-lint {__version__}")
    for command, option, short in table_words():
        if option is None:
            pattern = {"bash": rf"\b{command}\b", "zsh": rf"'{command}:", "fish": rf"-a {command} -d "}[shell]
        elif shell == "fish":
            pattern = rf"__fish_seen_subcommand_from {command}'.* -l {option[2:]}\b" if command != "check" else \
                rf"-n 'not __fish_seen_subcommand_from [a-z ]+' -l {option[2:]}\b"
            if short:
                pattern += rf" -s {short[1:]}\b"
        elif shell == "bash":
            pattern = rf"^        {command}\) opts='[^']*(?<=[' ]){re.escape(option)}\b"
        else:
            body = re.search(rf"(?s)^_fly_cluster_lint_{command}\(\) {{\n(.*?)\n}}$", text, flags=re.M)
            assert body is not None, command
            pattern = rf"'(\*|\([^)]*\))?('{{-\w\+?,)?{re.escape(option)}[=}}\[]"
            assert re.search(pattern, body.group(1)), (shell, command, option)
            continue
        assert re.search(pattern, text, flags=re.M), (shell, command, option)
    for code in rule_codes():
        assert code in text
    for choice in ("text json github sarif markdown", "error warning info never", "auto always never"):
        assert choice in text


def test_bash_script_is_valid_and_completes() -> None:
    script = completion("bash")
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("no bash on PATH")
    proc = subprocess.run([bash, "-n"], input=script, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    cases = {
        ("--form",): "--format",
        ("--format", ""): "text json github sarif markdown",
        ("--format", "=", "j"): "json",
        ("--fail-on", "w"): "warning",
        ("expl",): "explain",
        ("explain", "FCL10"): "FCL101 FCL102 FCL103 FCL104",
        ("--select", "FCL101,FCL40"): "FCL101,FCL401 FCL101,FCL402 FCL101,FCL403 FCL101,FCL404 FCL101,FCL405 FCL101,FCL406",
        ("env", "--format", ""): "text json",
        ("env", "--sh"): "--show-settings --show-files",
        ("rules", "--"): "--format --color --help --version",
        ("completions", ""): "bash zsh fish",
        ("help", "c"): "check clean completions",
    }
    program = [script, 'comp() { COMP_WORDS=(fly-cluster-lint "$@"); COMP_CWORD=$#; COMPREPLY=(); _fly_cluster_lint; '
                       'echo "${COMPREPLY[*]}"; }']
    for words in cases:
        program.append("comp " + " ".join(f"'{w}'" for w in words))
    proc = subprocess.run([bash, "-c", "\n".join(program)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert dict(zip(cases, proc.stdout.split("\n"))) == cases


def test_zsh_script_is_valid_and_completes(tmp_path) -> None:
    zsh = shutil.which("zsh")
    if zsh is None:
        pytest.skip("no zsh on PATH: the zsh script is only generated (install zsh to check it)")
    folder = tmp_path / "functions"
    folder.mkdir()
    (folder / "_fly-cluster-lint").write_text(completion("zsh"))
    proc = subprocess.run([zsh, "-n", str(folder / "_fly-cluster-lint")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    if subprocess.run([zsh, "-c", "zmodload zsh/zpty"], capture_output=True).returncode != 0:
        pytest.skip("zsh has no zpty module: the script is checked for syntax only")
    cases = {"fly-cluster-lint --format ": ["github", "json", "markdown", "sarif", "text"],
             "fly-cluster-lint explain FCL10": ["FCL101", "FCL102", "FCL103", "FCL104"],
             "fly-cluster-lint check --select FCL101,FCL4": ["FCL401", "FCL406"],
             "fly-cluster-lint env --sh": ["--show-files", "--show-settings"],
             "fly-cluster-lint completions ": ["bash", "fish", "zsh"]}
    for line, expected in cases.items():
        proc = subprocess.run([zsh, "-f", "-o", "extendedglob", "-c", ZSH_HARNESS, "harness", str(folder), line],
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)
        shown = proc.stdout
        assert "ZCDONE" in shown and "command not found" not in shown and "bad pattern" not in shown, shown
        for word in expected:
            assert re.search(rf"(^|\s){re.escape(word)}(\s|$)", shown), (line, word, shown)


# what zsh shows after two TABs on a command line (a pseudo-terminal running an interactive zsh)
ZSH_HARNESS = r"""
zmodload zsh/zpty || exit 3
zpty z zsh -f -i
zpty -w z "PS1='> '; fpath=(${(q)1} \$fpath); autoload -U compinit; compinit -u -D; unsetopt beep; zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no; LISTMAX=1000"
zpty -w z "print ZC''READY"
local out all=
integer n=0
while (( n++ < 400 )); do zpty -r -t z out && all+=$out || sleep 0.05; [[ $all == *ZCREADY* ]] && break; done
all=
zpty -n -w z "$2"$'\t\t'
zpty -n -w z $'\x15'"print ZC''DONE"$'\n'
n=0
while (( n++ < 400 )); do zpty -r -t z out && all+=$out || sleep 0.05; [[ $all == *ZCDONE$'\r'* ]] && break; done
zpty -d z
print -r -- "${${all//$'\e'\[[0-9;?]#[a-zA-Z]/}//$'\r'/}"
"""


def test_fish_script_is_valid_and_completes(tmp_path) -> None:
    fish = shutil.which("fish")
    if fish is None:
        pytest.skip("no fish on PATH: the fish script is only generated (install fish to check it)")
    script = tmp_path / "fly-cluster-lint.fish"
    script.write_text(completion("fish"))
    proc = subprocess.run([fish, "--no-execute", str(script)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (tmp_path / "some folder").mkdir()
    cases = {"fly-cluster-lint --form": ["--format"],
             "fly-cluster-lint --format ": ["github", "json", "markdown", "sarif", "text"],
             "fly-cluster-lint expl": ["explain"],
             "fly-cluster-lint explain FCL10": ["FCL101", "FCL102", "FCL103", "FCL104"],
             "fly-cluster-lint env --format ": ["json", "text"],
             "fly-cluster-lint completions ": ["bash", "fish", "zsh"],
             "fly-cluster-lint so": ["some folder/"],
             "fly-cluster-lint check -o so": ["some folder/"],
             "fly-cluster-lint rules ": []}
    for line, expected in cases.items():
        proc = subprocess.run([fish, "-c", f"source {script}; complete -C{line!r}"], capture_output=True, text=True,
                              timeout=60, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert sorted(row.split("\t")[0] for row in proc.stdout.splitlines()) == expected, (line, proc.stdout)


# -- colour -------------------------------------------------------------------------------------------------
class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


COLOR_CASES = [
    ("auto", {}, False, False, False),
    ("auto", {}, True, False, True),
    ("auto", {"NO_COLOR": "1"}, True, False, False),
    ("auto", {"NO_COLOR": ""}, True, False, True),
    ("auto", {"FORCE_COLOR": "1"}, False, False, True),
    ("auto", {"FORCE_COLOR": "0"}, False, False, True),  # force-color.org: any value that is not empty
    ("auto", {"FORCE_COLOR": ""}, False, False, False),
    ("auto", {"CLICOLOR_FORCE": "1"}, False, False, True),
    ("auto", {"CLICOLOR_FORCE": "0"}, False, False, False),
    ("auto", {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False, False, False),
    ("auto", {"NO_COLOR": "1", "CLICOLOR_FORCE": "1"}, True, False, False),
    ("auto", {"TERM": "dumb"}, True, False, False),
    ("auto", {"TERM": "xterm-256color"}, True, False, True),
    ("auto", {"TERM": "dumb", "FORCE_COLOR": "1"}, False, False, True),
    ("always", {"NO_COLOR": "1", "TERM": "dumb"}, False, False, True),
    ("never", {"FORCE_COLOR": "1", "CLICOLOR_FORCE": "1"}, True, False, False),
    ("always", {}, True, True, False),  # -o FILE: never coloured
    ("auto", {"FORCE_COLOR": "1"}, True, True, False),
]


@pytest.mark.parametrize("choice, env, tty, to_file, expected", COLOR_CASES)
def test_color_precedence(monkeypatch, choice, env, tty, to_file, expected) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "stdout", Terminal() if tty else io.StringIO())
    assert cli.use_color(choice, to_file) is expected


def test_color_in_every_human_output(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    project = broken_copy(tmp_path)
    status, out, _ = main("examples/hello_broken", cwd=ROOT)
    assert status == 1 and "\033[1;31mFCL203 [*] error:\033[0m" in out
    status, out, _ = main("-q", "examples/hello_broken", cwd=ROOT)
    assert out.splitlines()[0] == ("\033[1mexamples/hello_broken/config/runtime.exs:44:1:\033[0m \033[1;31mFCL304 "
                                   "error:\033[0m no prod config sets :hello_broken, :dns_cluster_query (read by the "
                                   "DNSCluster child at examples/hello_broken/lib/hello_broken/application.ex:13)")
    out = main("rules")[1]
    assert out.splitlines()[0] == ("\033[1mFCL001\033[0m  parse-error                    \033[1;31merror\033[0m    A file "
                                   "that the checks need cannot be parsed")
    out = main("explain", "FCL101")[1]
    assert out.startswith("\033[1;31mFCL101 proto-dist-missing (error)\033[0m\n\n")
    assert "\n\033[1mWhat it does\033[0m\n" in out and "\n    \033[2m|\033[0m " in out
    out = main("env", "examples/hello_broken", cwd=ROOT)[1]
    assert out.startswith("\033[1mhello-broken (examples/hello_broken/fly.toml)\033[0m: release `hello_broken`")
    assert "  \033[36mERL_FLAGS           \033[0m  \033[2m(unset)\033[0m\n" in out
    status, out, _ = main("--diff", ".", cwd=project)
    lines = out.splitlines()
    assert lines[:3] == ["\033[1m--- a/config/runtime.exs\033[0m", "\033[1m+++ b/config/runtime.exs\033[0m",
                         "\033[36m@@ -41,4 +41,6 @@\033[0m"]
    assert "\033[32m+  config :hello_broken, :dns_cluster_query, System.get_env(\"DNS_CLUSTER_QUERY\")\033[0m" in lines
    assert any(line.startswith("\033[31m-") for line in lines)
    status, out, _ = main("--show-settings", ".", cwd=project)
    assert out.startswith("\033[1mhello-broken (fly.toml)\033[0m\n")
    without = SGR.sub("", out)
    assert "\033" not in without


@pytest.mark.parametrize("argv", [["--format", "json"], ["--format", "sarif"], ["--format", "github"],
                                  ["--format", "markdown"], ["env", "--format", "json"], ["rules", "--format", "json"],
                                  ["completions", "bash"]])
def test_machine_outputs_are_never_coloured(monkeypatch, argv) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    path = [] if argv[0] in ("rules", "completions") else ["examples/hello_broken"]
    out = main(*argv, *path, cwd=ROOT)[1]
    assert out and "\033" not in out


def test_report_file_is_never_coloured(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    for extra in ([], ["--color", "always"]):
        report = tmp_path / "report.txt"
        status, out, err = main(*extra, "-o", str(report), "examples/hello_broken", cwd=ROOT)
        assert (status, out, err) == (1, "", "")
        text = report.read_text()
        assert "FCL203 [*] error:" in text and "\033" not in text
    status, out, _ = main("--color", "always", "-o", "-", "examples/hello_broken", cwd=ROOT)
    assert "\033[1;31mFCL203 [*] error:\033[0m" in out  # `-o -` is stdout


def test_colour_never_lets_repository_text_through(tmp_path) -> None:
    """A Fly app name holding terminal controls is shown escaped in every coloured output."""
    (tmp_path / ".git").mkdir()
    project = make_project(tmp_path / "app")
    toml = project / "fly.toml"
    toml.write_text(toml.read_text().replace('app = "hello"', 'app = "he\\u001b[2J\\u009bllo"'))
    for argv in (["env"], ["--show-settings"], ["-q"], []):
        status, out, err = main(*argv, "--color", "always", "--no-cache", str(project))
        assert status in (0, 1), err
        plain = SGR.sub("", out + err)
        assert "\033" not in plain and "\x9b" not in plain, (argv, plain)
    assert "he\\x1b[2J\\x9bllo" in SGR.sub("", main("env", "--color", "always", str(project))[1])


# -- clean and the bounded cache ----------------------------------------------------------------------------
def test_clean_removes_the_entries_and_nothing_else(plain_environment, tmp_path) -> None:
    folder = plain_environment
    project = broken_copy(tmp_path)
    assert main(str(project))[0] == 1  # writes a result entry
    (folder / "rules-0123.marshal").write_bytes(b"r" * 2000)  # as the rules' entry is (once per process)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    os.symlink(outside, folder / "results-link")
    (folder / "results-folder").mkdir()
    (folder / "results-folder" / "inner").write_text("kept")
    (folder / "notes.txt").write_text("not an entry of ours")
    entries = [p for p in folder.iterdir() if p.name.startswith(("results-", "rules-")) and p.is_file()
               and not p.is_symlink()]
    assert len(entries) >= 2
    size = sum(p.stat().st_size for p in entries)
    count = len(entries) + 1  # and the link itself
    shown = f"{size / 1024:.1f} KiB" if size < 1024 * 1024 else f"{size / (1024 * 1024):.1f} MiB"
    assert main("clean") == (0, f"removed {count} files ({shown}) from {folder}\n", "")
    assert outside.read_text() == "keep me"
    assert not os.path.lexists(folder / "results-link")
    assert (folder / "results-folder" / "inner").read_text() == "kept"
    assert (folder / "notes.txt").exists()
    assert main("clean") == (0, f"nothing to remove in {folder}\n", "")


def test_clean_without_a_folder_and_with_caching_off(plain_environment, monkeypatch) -> None:
    folder = plain_environment
    assert main("clean") == (0, f"nothing to remove in {folder}\n", "")
    folder.mkdir(mode=0o700)
    (folder / "results-0").write_bytes(b"x")
    monkeypatch.setenv("FLY_CLUSTER_LINT_NO_CACHE", "1")
    assert main("clean") == (0, f"removed 1 file (1 byte) from {folder}\n", "")


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_clean_refuses_a_link_or_a_shared_folder(plain_environment, monkeypatch, tmp_path) -> None:
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    (real / "results-0").write_bytes(b"x")
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setenv("FLY_CLUSTER_LINT_CACHE_DIR", str(link))
    assert main("clean") == (2, "", f"fly-cluster-lint: error: {link}: the cache folder is a symbolic link; not cleaned\n")
    real.chmod(0o777)
    monkeypatch.setenv("FLY_CLUSTER_LINT_CACHE_DIR", str(real))
    assert main("clean") == (2, "", f"fly-cluster-lint: error: {real}: the cache folder is not this user's private "
                                    f"folder; not cleaned\n")
    assert (real / "results-0").exists()


def test_prune_bounds_age_count_and_size(tmp_path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    now = time.time()

    def entry(name: str, size: int, age_days: float) -> Path:
        path = folder / name
        path.write_bytes(b"x" * size)
        os.utime(path, (now - age_days * 86400, now - age_days * 86400))
        return path

    old = entry("results-old", 10, 31)
    fresh = [entry(f"results-{n}", 100, n / 100) for n in range(5)]  # results-0 is the newest
    other = entry("notes.txt", 10, 400)
    writing = entry(".results-9.123.tmp", 10, 0)
    target = tmp_path / "target"
    target.write_text("t")
    os.utime(target, (now - 400 * 86400, now - 400 * 86400))
    (folder / "rules-link").symlink_to(target)
    assert cache.prune(str(folder)) == 1  # only the entry older than 30 days
    assert not old.exists() and all(p.exists() for p in fresh)
    assert cache.prune(str(folder), keep=3) == 2  # the two oldest beyond 3 entries
    assert [p.exists() for p in fresh] == [True, True, True, False, False]
    assert cache.prune(str(folder), max_bytes=250) == 1  # the oldest beyond 250 bytes
    assert [p.exists() for p in fresh] == [True, True, False, False, False]
    assert other.exists() and writing.exists() and target.exists() and (folder / "rules-link").is_symlink()
    assert cache.MAX_TOTAL_BYTES == 64 * 1024 * 1024 and cache.MAX_AGE_DAYS == 30


def test_the_cache_is_pruned_when_written(plain_environment, tmp_path) -> None:
    folder = plain_environment
    folder.mkdir(mode=0o700)
    stale = folder / "results-stale"
    stale.write_bytes(b"x")
    os.utime(stale, (time.time() - 40 * 86400,) * 2)
    assert main(str(broken_copy(tmp_path)))[0] == 1
    assert not stale.exists()


# -- the umask ----------------------------------------------------------------------------------------------
@contextlib.contextmanager
def umask(mask: int):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_report_file_gets_the_umask_permissions(tmp_path, mask, mode) -> None:
    report = tmp_path / "out" / "report.json"
    report.parent.mkdir()
    with umask(mask):
        status, out, err = main("--no-cache", "--format", "json", "-o", str(report), "examples/hello_broken", cwd=ROOT)
    assert (status, out, err) == (1, "", "")
    assert stat.S_IMODE(report.stat().st_mode) == mode
    assert json.loads(report.read_text())["summary"]["findings"] == 6
    assert not [p for p in report.parent.iterdir() if p != report]  # no temporary file left


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_an_existing_report_file_keeps_its_mode(tmp_path) -> None:
    report = tmp_path / "report.txt"
    report.write_text("old")
    report.chmod(0o640)
    for mask in (0o022, 0o077):
        with umask(mask):
            assert main("--no-cache", "-o", str(report), "examples/hello_broken", cwd=ROOT)[0] == 1
        assert stat.S_IMODE(report.stat().st_mode) == 0o640
    assert "FCL203" in report.read_text()


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600)])
def test_a_file_created_by_fix_gets_the_umask_permissions(tmp_path, mask, mode) -> None:
    (tmp_path / ".git").mkdir()
    project = make_project(tmp_path / "app", {"rel/env.sh.eex": None})
    kept = project / "mix.exs"
    kept.chmod(0o640)
    with umask(mask):
        status, _, err = main("--no-cache", "--fix", str(project))
    assert status in (0, 1), err
    created = project / "rel" / "env.sh.eex"
    assert created.exists()
    assert stat.S_IMODE(created.stat().st_mode) == mode
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_cache_entries_stay_private_whatever_the_umask(plain_environment, tmp_path) -> None:
    """The one deliberate exception: the cache holds reports of private repositories, so its folder is 0700
    and its entries 0600 (the umask may only take more away)."""
    folder = plain_environment
    with umask(0o022):
        assert main(str(broken_copy(tmp_path)))[0] == 1
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    modes = {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
    assert modes == {0o600}


# -- --show-settings and --show-files -----------------------------------------------------------------------
def settings_project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    project = make_project(tmp_path / "app", {
        ".fly-cluster-lint.toml": 'secrets = ["RELEASE_COOKIE"]\nignore = ["FCL5"]\nexclude = ["old/*"]\n\n'
                                  '[severity]\nFCL401 = "warning"\n',
        "rel/env.sh.eex": None})
    (project / "names.txt").write_text("NAME    DIGEST  CREATED AT\nSECRET_KEY_BASE  abc  1m ago\n")
    return project


def test_show_settings(tmp_path) -> None:
    project = settings_project(tmp_path)
    status, out, err = main("--show-settings", "--secret", "DATABASE_URL", "--secrets-from", "names.txt",
                            "--fail-on", "warning", "--select", "FCL0,FCL4", ".", cwd=project)
    assert (status, err) == (0, "")
    assert out == """\
hello (fly.toml)
  configuration: .fly-cluster-lint.toml
  select: FCL0, FCL4
  ignore: FCL5
  severity: FCL401 = warning
  secrets:
    RELEASE_COOKIE   from .fly-cluster-lint.toml (secrets)
    SECRET_KEY_BASE  from --secrets-from names.txt
    DATABASE_URL     from --secret
  exclude: old/*
  fail-on: warning
"""
    status, out, err = main("env", "--show-settings", "--format", "json", ".", cwd=project)
    assert (status, err) == (0, "")
    assert json.loads(out) == {"version": __version__, "skipped": [], "apps": [{
        "fly_toml": "fly.toml", "fly_app": "hello",
        "settings": {"config": ".fly-cluster-lint.toml", "select": [], "ignore": ["FCL5"],
                     "severity": {"FCL401": "warning"}, "exclude": ["old/*"],
                     "secrets": [{"name": "RELEASE_COOKIE", "from": ".fly-cluster-lint.toml (secrets)"}]}}]}
    assert main("check", ".", cwd=project)[0] == 1  # the same project fails a lint


def test_show_files(tmp_path) -> None:
    project = settings_project(tmp_path)
    status, out, err = main("--show-files", ".", cwd=project)
    assert (status, err) == (0, "")
    lines = out.splitlines()
    assert lines[:2] == ["hello (fly.toml)", "  files read:"]
    read = lines[2:lines.index("  looked for, not found:")]
    assert read == ["    .fly-cluster-lint.toml", "    Dockerfile", "    config/config.exs", "    config/prod.exs",
                    "    config/runtime.exs", "    fly.toml", "    lib/hello/application.ex", "    lib/hello/repo.ex",
                    "    mix.exs"]
    assert "    rel/env.sh.eex" in lines[lines.index("  looked for, not found:"):]
    doc = json.loads(main("--show-files", "--show-settings", "--format", "json", ".", cwd=project)[1])
    files = doc["apps"][0]["files"]
    assert files["read"] == [line.strip() for line in read] and "rel/env.sh.eex" in files["missing"]
    assert files["outside"] == [] and doc["apps"][0]["settings"]["fail_on"] == "error"


def test_show_settings_other_formats_and_no_app(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")  # the github default format is for reports, not for this
    assert main("--show-settings", str(tmp_path))[0] == 0
    assert main("--show-settings", "--format", "sarif", str(tmp_path)) == (
        2, "", "fly-cluster-lint: error: --show-settings and --show-files print text or json, not sarif\n")
    assert main("--show-files", str(tmp_path)) == (
        0, "No Fly.io Elixir app found (no fly.toml or fly.*.toml deploying a mix.exs project).\n", "")


# -- start-up -----------------------------------------------------------------------------------------------
WARM_PROBE = """
import sys
from fly_cluster_lint.cli import main
status = main(sys.argv[1:])
names = sorted(m for m in sys.modules if m.startswith("fly_cluster_lint") or m in ("difflib", "textwrap", "pathlib", "json"))
print("MODULES:" + ",".join(names), file=sys.stderr)
sys.exit(status)
"""


def test_a_warm_run_imports_nothing_new(plain_environment, tmp_path) -> None:
    project = broken_copy(tmp_path)
    env = {**os.environ}
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", WARM_PROBE, str(project)], env=env, capture_output=True, text=True,
                              timeout=120)
        assert proc.returncode == 1, proc.stderr
    modules = proc.stderr.rsplit("MODULES:", 1)[1].strip().split(",")
    assert modules == ["fly_cluster_lint", "fly_cluster_lint.args", "fly_cluster_lint.cache", "fly_cluster_lint.cli",
                       "fly_cluster_lint.errors", "fly_cluster_lint.limits", "fly_cluster_lint.resultcache"]
