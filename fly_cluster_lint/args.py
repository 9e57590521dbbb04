"""Command-line parsing without argparse: argparse (and the gettext, shutil and locale it pulls in) costs
more start-up time than a warm lint, so the options are a small table parsed by hand."""

from __future__ import annotations

from fly_cluster_lint.errors import ToolError

# option -> (destination, takes a value, choices, repeatable, help)
CHECK_OPTIONS = {
    "--format": ("format", True, ("text", "json", "github", "sarif", "markdown"), False,
                 "output format (default: text; github when GITHUB_ACTIONS=true)"),
    "--output-file": ("output_file", True, None, False, "write the report to FILE instead of stdout"),
    "-o": ("output_file", True, None, False, None),
    "--fail-on": ("fail_on", True, ("error", "warning", "info", "never"), False,
                  "lowest severity that makes the exit status 1 (default: error)"),
    "--quiet": ("quiet", False, None, False, "print only the findings"),
    "-q": ("quiet", False, None, False, None),
    "--statistics": ("statistics", False, None, False, "print how many findings each code has"),
    "--config": ("config", True, None, False, "use this configuration instead of .fly-cluster-lint.toml"),
    "--secret": ("secret", True, None, True, "NAME of a variable set with `fly secrets set` (repeatable; no value)"),
    "--secrets-from": ("secrets_from", True, None, True,
                       "read secret names from the output of `fly secrets list [--json]` in FILE (`-`: stdin)"),
    "--select": ("select", True, None, True, "only these codes or prefixes (comma-separated)"),
    "--ignore": ("ignore", True, None, True, "skip these codes or prefixes (comma-separated)"),
    "--extend-exclude": ("extend_exclude", True, None, True, "a glob of paths not to walk (repeatable)"),
    "--color": ("color", True, ("auto", "always", "never"), False, "colour: auto (a terminal without NO_COLOR)"),
    "--no-cache": ("no_cache", False, None, False, "neither read nor write the result cache"),
    "--fix": ("fix", False, None, False, "apply the safe fixes, write the files atomically, lint again"),
    "--unsafe-fixes": ("unsafe_fixes", False, None, False, "with --fix or --diff: apply the unsafe fixes too"),
    "--diff": ("diff", False, None, False, "print the fixes as a unified diff and write nothing"),
}
ENV_OPTIONS = {k: CHECK_OPTIONS[k] for k in ("--config", "--secret", "--secrets-from", "--color", "--no-cache")}
ENV_OPTIONS["--format"] = ("format", True, ("text", "json"), False, "output format (default: text)")
RULES_OPTIONS = {"--format": ("format", True, ("text", "json"), False, "output format (default: text)")}
COMMANDS = {
    "check": (CHECK_OPTIONS, "lint the apps under PATH (the default command)", "[PATH ...]"),
    "env": (ENV_OPTIONS, "show each app's effective clustering environment and where it comes from", "[PATH ...]"),
    "rules": (RULES_OPTIONS, "list every rule", ""),
    "explain": ({}, "show a rule's documentation", "CODE"),
}
DEFAULTS = {"format": None, "output_file": None, "fail_on": "error", "quiet": False, "statistics": False,
            "config": None, "secret": [], "secrets_from": [], "select": [], "ignore": [], "extend_exclude": [], "color": "auto",
            "no_cache": False, "fix": False, "unsafe_fixes": False, "diff": False}


class Args:
    def __init__(self, command: str) -> None:
        self.command = command
        self.paths: list[str] = []
        self.code = None
        for key, value in DEFAULTS.items():
            setattr(self, key, list(value) if isinstance(value, list) else value)

    def __repr__(self) -> str:
        return f"Args({self.__dict__!r})"


def usage() -> str:
    lines = ["usage: fly-cluster-lint [check] [PATH ...] [options]", "       fly-cluster-lint env [PATH ...] [options]",
             "       fly-cluster-lint rules [--format text|json]", "       fly-cluster-lint explain CODE", "",
             "Find Erlang clustering mistakes in Elixir/Phoenix apps on Fly.io before deploy.", ""]
    for name, (options, help_text, operands) in COMMANDS.items():
        lines.append(f"{name} {operands}".rstrip() + f": {help_text}")
        for option, (_, takes, choices, _, text) in options.items():
            if text is None:
                continue
            short = next((s for s, spec in options.items() if len(s) == 2 and spec[0] == options[option][0]), "")
            value = "{" + ",".join(choices) + "}" if choices else (
                " FILE" if "file" in option or option in ("--config", "--secrets-from") else
                " NAME" if option == "--secret" else " VALUE")
            shown = f"{option}{(' ' + value) if choices else value if takes else ''}"
            if short:
                shown += f", {short}"
            lines.append(f"  {shown:<38} {text}")
        lines.append("")
    lines.append("  --version                              print the version and exit")
    return "\n".join(lines) + "\n"


def suggest(word: str, choices) -> str | None:
    """The closest choice to a mistyped word, if one is close enough (difflib's ratio of at least 0.6)."""
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def parse(argv: list[str]) -> Args:
    """Parse the command line; ToolError (exit 2) for anything it cannot read."""
    items = list(argv)
    command = "check"
    if items and items[0] in COMMANDS:
        command = items.pop(0)
    args = Args(command)
    options = COMMANDS[command][0]
    operands: list[str] = []
    i = 0
    while i < len(items):
        item = items[i]
        i += 1
        if item == "--":
            operands.extend(items[i:])
            break
        if item in ("-h", "--help"):
            args.command = "help"
            return args
        if item == "--version":
            args.command = "version"
            return args
        if not item.startswith("-") or item == "-":
            operands.append(item)
            continue
        name, has_inline, inline = item.partition("=")
        spec = options.get(name)
        if spec is None:
            # No abbreviations (`--sec` is not `--secret`): a typo must never change meaning. Only the option's
            # name is echoed, never an inline value, which may be a secret.
            hint = suggest(name, [o for o in options if o.startswith("--")] + ["--help", "--version"])
            raise ToolError(f"unrecognized option `{name}` for `{command}`"
                            f"{f'; did you mean `{hint}`?' if hint else ''} (see `fly-cluster-lint help {command}`)")
        dest, takes, choices, repeatable, _ = spec
        if takes:
            if has_inline:
                value = inline
            elif i < len(items):
                value = items[i]
                i += 1
            else:
                raise ToolError(f"argument {name}: expected a value")
            if choices and value not in choices:
                raise ToolError(f"argument {name}: invalid choice: '{value}' (choose from {', '.join(choices)})")
            if repeatable:
                getattr(args, dest).append(value)
            else:
                setattr(args, dest, value)
        else:
            if has_inline:
                raise ToolError(f"argument {name}: takes no value")
            setattr(args, dest, True)
    if command == "explain":
        if len(operands) != 1:
            raise ToolError("explain takes one rule code, e.g. `fly-cluster-lint explain FCL101`")
        args.code = operands[0]
    elif command == "rules":
        if operands:
            raise ToolError(f"unrecognized arguments: {' '.join(operands)}")
    else:
        args.paths = operands
    for name in args.secret:
        from fly_cluster_lint.parsers.fly_secrets import is_name

        if not is_name(name):
            # never echo it: a NAME=value (or a value alone) would put a secret in logs
            raise ToolError("argument --secret: expects a variable NAME (letters, digits and _), not a value; "
                            "what was given is not shown")
    args.select = [c.strip() for v in args.select for c in v.split(",") if c.strip()]
    args.ignore = [c.strip() for v in args.ignore for c in v.split(",") if c.strip()]
    return args
