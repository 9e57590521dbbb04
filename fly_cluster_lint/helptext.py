"""Everything only `--help`, `help` and the error messages need, kept out of args.py so that a run that
prints no help never loads it: each command's description, examples, exit statuses, the colour rules and
the environment variables and the help layout."""

from __future__ import annotations

from fly_cluster_lint.args import CHECK_OPTIONS, COMMANDS, short_of

DESCRIPTIONS = {
    "check": ("Lint every app under each PATH (default: the current folder): a Fly config (fly.toml, fly.*.toml) "
              "with the Elixir release it deploys. A PATH that is a file selects the app it belongs to. The word "
              "`check` may be left out, except before a PATH named like a command: `fly-cluster-lint check help` "
              "(or `./help`) lints a folder named help."),
    "env": ("Print, per app, every variable that matters for clustering with the value it has when the release "
            "boots on a Fly Machine, the file:line:column that wins and what it replaced. Secret values are never "
            "shown."),
    "rules": "List every rule: code, name, default severity, summary.",
    "explain": ("Show what a rule checks, why it matters, bad and good examples and how to fix it. CODE is a rule "
                "code (FCL101) or name (proto-dist-missing)."),
    "clean": ("Delete every entry of the result cache (FLY_CLUSTER_LINT_CACHE_DIR, else the user's cache folder), "
              "even when FLY_CLUSTER_LINT_NO_CACHE is set. Only the cache's own files and links in the folder "
              "itself are removed; no link is followed. The cache is also pruned whenever it is written: entries "
              "older than 30 days go, then the oldest ones beyond 200 entries or 64 MiB."),
    "completions": "Print a completion script for SHELL: commands, options, their values, rule codes and paths.",
    "help": "Show the help of fly-cluster-lint, or of COMMAND (the same as `fly-cluster-lint COMMAND --help`).",
    "version": "Print `fly-cluster-lint` and its version.",
}
GLOBAL_OPTIONS = {"--help": "show this help and exit", "-h": None, "--version": "print the version and exit",
                  "-V": None}
METAVARS = {"--output-file": "FILE", "--config": "FILE", "--secrets-from": "FILE", "--secret": "NAME",
            "--select": "CODES", "--ignore": "CODES", "--extend-exclude": "GLOB", "--jobs": "N"}
EXAMPLES = {
    "check": [("fly-cluster-lint", "lint the apps under the current folder"),
              ("fly-cluster-lint --format json -o report.json .", "a JSON report in a file"),
              ("fly-cluster-lint --diff .", "the fixes as a diff; --fix applies them"),
              ("fly-cluster-lint --select FCL2,FCL401 apps/web", "only some rules"),
              ("fly-cluster-lint --secret RELEASE_COOKIE .", "a variable set with `fly secrets set`"),
              ("fly secrets list --json | fly-cluster-lint --secrets-from - .", "every secret of the app"),
              ("fly-cluster-lint --show-settings .", "the settings each app is linted with"),
              ("fly-cluster-lint check help", "lint a folder named `help`")],
    "env": [("fly-cluster-lint env", "the clustering environment of the apps under the current folder"),
            ("fly-cluster-lint env --format json apps/web", "the same as JSON")],
    "rules": [("fly-cluster-lint rules", "every rule"), ("fly-cluster-lint rules --format json", "as JSON")],
    "explain": [("fly-cluster-lint explain FCL101", "the documentation of FCL101"),
                ("fly-cluster-lint explain proto-dist-missing", "the same, by name")],
    "clean": [("fly-cluster-lint clean", "empty the result cache")],
    "completions": [("fly-cluster-lint completions bash > ~/.local/share/bash-completion/completions/fly-cluster-lint",
                     ""),
                    ("fly-cluster-lint completions zsh > \"${fpath[1]}/_fly-cluster-lint\"", ""),
                    ("fly-cluster-lint completions fish > ~/.config/fish/completions/fly-cluster-lint.fish", "")],
    "help": [("fly-cluster-lint help", "this tool's help"), ("fly-cluster-lint help check", "the help of `check`")],
    "version": [("fly-cluster-lint version", "prints `fly-cluster-lint X.Y.Z`; so do -V and --version")],
}
EXIT_CHECK = [("0", "no finding at or above --fail-on (default: error); also when no app is found"),
              ("1", "at least one finding at or above --fail-on"),
              ("2", "the tool could not do its job (bad arguments, a path that does not exist, a bad "
                    "configuration); one line on stderr")]
EXIT_OTHER = [("0", "done"), ("2", "the tool could not do its job (bad arguments, ...); one line on stderr")]
COLOR_TEXT = ("--color always or --color never wins over the environment. With --color auto (the default): "
              "NO_COLOR set and not empty turns colour off; else FORCE_COLOR set and not empty, or CLICOLOR_FORCE "
              "set and not 0, turns it on; else TERM=dumb turns it off; else there is colour when stdout is a "
              "terminal. JSON, SARIF, github and markdown output and a report written with -o FILE are never "
              "coloured.")
COLORED = ("check", "env", "rules", "explain")
CACHED = ("check", "env", "rules", "explain", "clean", "completions")
# variable -> (meaning, the commands it changes); a test checks that every variable the package reads is here
ENVIRONMENT = {
    "NO_COLOR": ("set and not empty: no colour (see COLOUR)", COLORED),
    "FORCE_COLOR": ("set and not empty: colour even when stdout is not a terminal", COLORED),
    "CLICOLOR_FORCE": ("set and not 0: the same as FORCE_COLOR", COLORED),
    "TERM": ("`dumb`: no colour", COLORED),
    "GITHUB_ACTIONS": ("`true`: the default --format is github", ("check",)),
    "GITHUB_WORKSPACE": ("github and sarif paths are relative to this folder", ("check",)),
    "FLY_CLUSTER_LINT_CACHE_DIR": ("the cache folder", CACHED),
    "XDG_CACHE_HOME": ("without FLY_CLUSTER_LINT_CACHE_DIR, the cache is $XDG_CACHE_HOME/fly-cluster-lint (default: "
                       "~/.cache/fly-cluster-lint; ~/Library/Caches/fly-cluster-lint on macOS)", CACHED),
    "LOCALAPPDATA": ("on Windows, the cache is %LOCALAPPDATA%\\fly-cluster-lint", CACHED),
    "FLY_CLUSTER_LINT_NO_CACHE": ("set and not empty: no cache at all (as --no-cache)",
                                  ("check", "env", "rules", "explain", "completions")),
    "FLY_CLUSTER_LINT_DEBUG": ("set and not empty: an internal error shows a traceback", tuple(COMMANDS)),
}


# -- help layout ------------------------------------------------------------------------------------------------
def _wrap(text: str, indent: int, width: int = 100) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, initial_indent=" " * indent, subsequent_indent=" " * indent,
                         break_on_hyphens=False, break_long_words=False)


def _table(rows: list[tuple[str, str]], indent: int = 2, column: int = 34) -> list[str]:
    """Two columns: the left one padded to `column`; a longer left entry puts its text on the next line."""
    out = []
    for left, right in rows:
        head = " " * indent + left
        if not right:
            out.append(head)
            continue
        body = _wrap(right, indent + column)
        if len(left) < column - 1:
            out.append(f"{head:<{indent + column}}" + body[0].lstrip())
            out.extend(body[1:])
        else:
            out.append(head)
            out.extend(body)
    return out


def option_rows(options: dict) -> list[tuple[str, str]]:
    rows = []
    for option, (_, takes, choices, _, text) in options.items():
        if text is None:
            continue
        shown = option
        if takes:
            shown += " {" + ",".join(choices) + "}" if choices else " " + METAVARS.get(option, "VALUE")
        short = short_of(options, option)
        if short:
            shown = f"{short}, {shown}"
        rows.append((shown, text))
    rows.append(("-h, --help", GLOBAL_OPTIONS["--help"]))
    rows.append(("-V, --version", GLOBAL_OPTIONS["--version"]))
    return rows


def _epilogue(command: str | None) -> list[str]:
    lines = ["EXIT STATUS"]
    lines += _table(EXIT_CHECK if command in (None, "check") else EXIT_OTHER, column=4)
    if command is None or command in COLORED:
        lines += ["", "COLOUR"] + _wrap(COLOR_TEXT, 2)
    variables = [(name, text) for name, (text, commands) in ENVIRONMENT.items() if command is None or command in commands]
    lines += ["", "ENVIRONMENT"] + _table(variables, column=28)
    return lines


def usage() -> str:
    """The tool's help: `fly-cluster-lint help`, `--help`."""
    lines = ["usage: fly-cluster-lint [check] [PATH ...] [options]",
             "       fly-cluster-lint COMMAND [ARGUMENTS ...] [options]", "",
             "Find Erlang clustering mistakes in Elixir/Phoenix apps on Fly.io before deploy.", "", "commands:"]
    lines += _table([(name, spec[1]) for name, spec in COMMANDS.items()], column=14)
    lines += ["", "options of check (`fly-cluster-lint help COMMAND` shows those of each command):"]
    lines += _table(option_rows(CHECK_OPTIONS))
    lines += ["", "EXAMPLES"] + _table(EXAMPLES["check"][:4] + EXAMPLES["explain"][:1] + EXAMPLES["env"][:1], column=50)
    lines += [""] + _epilogue(None)
    return "\n".join(lines) + "\n"


def help_text(command: str | None) -> str:
    """`fly-cluster-lint help COMMAND`, `fly-cluster-lint COMMAND --help`."""
    if command is None:
        return usage()
    options, _, operands, _ = COMMANDS[command]
    description = DESCRIPTIONS[command]
    shown = "[check]" if command == "check" else command
    lines = [f"usage: fly-cluster-lint {shown} {operands}".rstrip() + " [options]", ""]
    lines += _wrap(description, 0) + ["", "options:"] + _table(option_rows(options))
    examples = EXAMPLES[command]
    lines += ["", "EXAMPLES"] + (_table(examples, column=50) if any(e[1] for e in examples)
                                 else [f"  {e[0]}" for e in examples])
    lines += [""] + _epilogue(command)
    return "\n".join(lines) + "\n"
