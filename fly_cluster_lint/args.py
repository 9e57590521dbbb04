"""Command-line parsing without argparse: argparse (and the gettext, shutil and locale it pulls in) costs
more start-up time than a warm lint, so the options are a small table parsed by hand. The same table
writes every `--help` (helptext.py, imported only then, like everything a warm run does not need) and the
shell completion scripts (completions.py)."""

from __future__ import annotations

import os

from fly_cluster_lint.errors import ToolError

# option -> (destination, takes a value, choices, repeatable, help); a two-letter option with the same
# destination as a long one is its short form (help None)
CHECK_OPTIONS = {
    "--format": ("format", True, ("text", "json", "github", "sarif", "markdown"), False,
                 "output format (default: text; github when GITHUB_ACTIONS=true)"),
    "--output-file": ("output_file", True, None, False, "write the report to FILE instead of stdout (never coloured)"),
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
    "--color": ("color", True, ("auto", "always", "never"), False, "colour (default: auto; see COLOUR)"),
    "--no-cache": ("no_cache", False, None, False, "neither read nor write the result cache"),
    "--jobs": ("jobs", True, None, False, "worker processes for a monorepo (default: one per core, each with at "
                                          "least 4 apps; 1: no workers); the output is the same"),
    "-j": ("jobs", True, None, False, None),
    "--fix": ("fix", False, None, False, "apply the safe fixes, write the files atomically, lint again"),
    "--unsafe-fixes": ("unsafe_fixes", False, None, False, "with --fix or --diff: apply the unsafe fixes too"),
    "--diff": ("diff", False, None, False, "print the fixes as a unified diff and write nothing"),
    "--show-settings": ("show_settings", False, None, False,
                        "print each app's settings and where they come from; exit 0 without linting"),
    "--show-files": ("show_files", False, None, False,
                     "print the files each app reads and those it looked for and did not find; exit 0 without "
                     "linting"),
}
ENV_OPTIONS = {k: CHECK_OPTIONS[k] for k in ("--config", "--secret", "--secrets-from", "--color", "--no-cache",
                                             "--show-settings", "--show-files")}
ENV_OPTIONS["--format"] = ("format", True, ("text", "json"), False, "output format (default: text)")
RULES_OPTIONS = {"--format": ("format", True, ("text", "json"), False, "output format (default: text)"),
                 "--color": CHECK_OPTIONS["--color"]}
EXPLAIN_OPTIONS = {"--color": CHECK_OPTIONS["--color"]}
SHELLS = ("bash", "zsh", "fish")

# name -> (options, summary, operands, what an operand is (for completion)); the help texts are in helptext.py
COMMANDS = {
    "check": (CHECK_OPTIONS, "lint the apps under PATH (the default command)", "[PATH ...]", "path"),
    "env": (ENV_OPTIONS, "show each app's effective clustering environment and where it comes from", "[PATH ...]",
            "path"),
    "rules": (RULES_OPTIONS, "list every rule", "", None),
    "explain": (EXPLAIN_OPTIONS, "show a rule's documentation", "CODE", "code"),
    "clean": ({}, "empty the result cache", "", None),
    "completions": ({}, "print a shell completion script (bash, zsh, fish)", "SHELL", "shell"),
    "help": ({}, "show the help of the tool or of a command", "[COMMAND]", "command"),
    "version": ({}, "print the version", "", None),
}
DEFAULTS = {"format": None, "output_file": None, "fail_on": "error", "quiet": False, "statistics": False,
            "config": None, "secret": [], "secrets_from": [], "select": [], "ignore": [], "extend_exclude": [], "color": "auto",
            "no_cache": False, "fix": False, "unsafe_fixes": False, "diff": False, "show_settings": False,
            "show_files": False, "jobs": None}


class Args:
    def __init__(self, command: str) -> None:
        self.command = command
        self.paths: list[str] = []
        self.code = None
        self.topic = None  # help: the command whose help is asked for (None: the tool's)
        self.shell = None  # completions
        for key, value in DEFAULTS.items():
            setattr(self, key, list(value) if isinstance(value, list) else value)

    def __repr__(self) -> str:
        return f"Args({self.__dict__!r})"


def short_of(options: dict, option: str) -> str | None:
    """The short form (`-o`) of a long option, if it has one."""
    dest = options[option][0]
    return next((s for s, spec in options.items() if len(s) == 2 and spec[0] == dest), None)


# -- suggestions ------------------------------------------------------------------------------------------------
def suggest(word: str, choices) -> str | None:
    """The closest choice to a mistyped word, if one is close enough (difflib's ratio of at least 0.6)."""
    import difflib

    found = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _hint(found: str | None) -> str:
    return f"; did you mean `{found}`?" if found else ""


_LOOKALIKE = str.maketrans("OILSBZ", "011582")  # letters typed for the digits they look like


def _one_edit(a: str, b: str) -> bool:
    """Whether a and b are one edit apart: a substitution, an insertion, a deletion or a swap of neighbours."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1:]


def suggest_code(word: str, codes, prefixes: bool = False) -> str | None:
    """The rule code (or, with `prefixes`, code prefix such as FCL4) a mistyped one most likely meant: the
    same with letters read as the digits they look like (FCL1O1), else the only one a single edit away."""
    typed = word.strip().upper()
    if len(typed) > 3:
        typed = typed[:3] + typed[3:].translate(_LOOKALIKE)
    candidates = set(codes)
    if prefixes:
        candidates |= {code[:n] for code in codes for n in range(3, len(code))}
    if typed in candidates:
        return typed
    near = [c for c in candidates if _one_edit(typed, c)]
    return near[0] if len(near) == 1 else None


def _clip(text: str, limit: int = 60) -> str:
    """A value as an error quotes it: at most `limit` characters."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"


def unknown_code(where: str, typed: str, codes, prefixes: bool) -> ToolError:
    """`<where>: unknown rule code `X`; did you mean `Y`?`, or `(see `fly-cluster-lint rules`)` without a
    likely meaning: the wording configuration errors use too (config.py)."""
    found = suggest_code(typed, codes, prefixes=prefixes) if len(typed) <= 12 else None
    return ToolError(f"{where}unknown rule{' code' if prefixes else ''} `{_clip(typed)}`"
                     f"{_hint(found) if found else ' (see `fly-cluster-lint rules`)'}")


def rule_codes() -> list[str] | None:
    """The rule codes, from the names of the rule files (no YAML is read); None when they cannot be listed."""
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (os.path.join(here, "rules"), os.path.join(os.path.dirname(here), "rules")):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        return sorted(n[:-4] for n in names if n.startswith("FCL") and n.endswith(".yml"))
    return None


def check_codes(where: str, values: list[str]) -> None:
    """ToolError for a code or prefix that no rule has (`--select FCL1O1`), with the likeliest meant."""
    codes = rule_codes()
    if not codes:
        return  # the registry reports a broken installation
    for item in values:
        if not any(code.startswith(item.upper()) for code in codes):
            raise unknown_code(f"{where}: ", item, codes, prefixes=True)


def _not_a_command(word: str) -> ToolError | None:
    """`fly-cluster-lint expain FCL101`: a first word that is no command and no existing path, but close to a
    command, is a typo (never when a file or folder has that name: that is linted)."""
    if word.startswith("-") or "/" in word or os.sep in word or os.path.lexists(word):
        return None
    found = suggest(word, COMMANDS)
    if found is None:
        return None
    return ToolError(f"`{word}` is not a command, file or folder; did you mean `{found}`?")


# -- parsing ----------------------------------------------------------------------------------------------------
def parse(argv: list[str]) -> Args:
    """Parse the command line; ToolError (exit 2) for anything it cannot read."""
    items = list(argv)
    command = "check"
    explicit = False
    if items and items[0] in COMMANDS:
        command = items.pop(0)
        explicit = True
    elif items:
        typo = _not_a_command(items[0])
        if typo is not None:
            raise typo
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
            args.command, args.topic = "help", command if explicit else None
            return args
        if item in ("-V", "--version"):
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
                            f"{_hint(hint)} (see `fly-cluster-lint help {command}`)")
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
                raise ToolError(f"argument {name}: invalid choice: '{value}'{_hint(suggest(value, choices))} "
                                f"(choose from {', '.join(choices)})")
            if repeatable:
                getattr(args, dest).append(value)
            else:
                setattr(args, dest, value)
        else:
            if has_inline:
                raise ToolError(f"argument {name}: takes no value")
            setattr(args, dest, True)
    _operands(args, operands)
    for name in args.secret:
        from fly_cluster_lint.parsers.fly_secrets import is_name

        if not is_name(name):
            # never echo it: a NAME=value (or a value alone) would put a secret in logs
            raise ToolError("argument --secret: expects a variable NAME (letters, digits and _), not a value; "
                            "what was given is not shown")
    args.select = [c.strip() for v in args.select for c in v.split(",") if c.strip()]
    args.ignore = [c.strip() for v in args.ignore for c in v.split(",") if c.strip()]
    if args.select:
        check_codes("--select", args.select)
    if args.ignore:
        check_codes("--ignore", args.ignore)
    return args


def _operands(args: Args, operands: list[str]) -> None:
    command = args.command
    if command == "explain":
        if len(operands) != 1:
            raise ToolError("explain takes one rule code, e.g. `fly-cluster-lint explain FCL101`")
        args.code = operands[0]
    elif command == "help":
        if len(operands) > 1:
            raise ToolError("help takes at most one command, e.g. `fly-cluster-lint help check`")
        if operands:
            if operands[0] not in COMMANDS:
                raise ToolError(f"unknown command `{operands[0]}`{_hint(suggest(operands[0], COMMANDS))} "
                                f"(commands: {', '.join(COMMANDS)})")
            args.topic = operands[0]
    elif command == "completions":
        if len(operands) != 1:
            raise ToolError(f"completions takes one shell ({', '.join(SHELLS)}), e.g. "
                            f"`fly-cluster-lint completions bash`")
        if operands[0] not in SHELLS:
            raise ToolError(f"unknown shell `{operands[0]}`{_hint(suggest(operands[0], SHELLS))} "
                            f"(choose from {', '.join(SHELLS)})")
        args.shell = operands[0]
    elif command in ("rules", "clean", "version"):
        if operands:
            raise ToolError(f"unrecognized arguments: {' '.join(operands)}")
    else:
        args.paths = operands
