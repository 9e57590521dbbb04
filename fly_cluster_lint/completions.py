"""`fly-cluster-lint completions bash|zsh|fish`: completion scripts written from the option table in args.py
(commands, options, the choices of each option, rule codes for `explain`, `--select` and `--ignore`, paths
for PATH and FILE), so that they can never disagree with what the parser accepts."""

from __future__ import annotations

from fly_cluster_lint import __version__
from fly_cluster_lint.args import COMMANDS, SHELLS, rule_codes, short_of
from fly_cluster_lint.helptext import METAVARS

NAME = "fly-cluster-lint"
HEADER = "{comment} {shell} completion for fly-cluster-lint {version}, written by `fly-cluster-lint completions {shell}`."


def script(shell: str) -> str:
    return {"bash": bash, "zsh": zsh, "fish": fish}[shell]()


def _codes() -> list[str]:
    return rule_codes() or []


def _value_kind(option: str, choices) -> str:
    """What follows an option: its choices, rule codes, a file, or free text."""
    if choices:
        return "choices"
    metavar = METAVARS.get(option)
    if metavar == "CODES":
        return "codes"
    if metavar in ("FILE", "GLOB"):
        return "file"
    return "text"


def _options(command: str) -> list[tuple[str, str | None, tuple]]:
    """(long option, its short form, spec) for every option of a command, plus --help and --version."""
    options = COMMANDS[command][0]
    out = [(name, short_of(options, name), spec) for name, spec in options.items() if spec[4] is not None]
    out.append(("--help", "-h", ("help", False, None, False, "show this help and exit")))
    out.append(("--version", "-V", ("version", False, None, False, "print the version and exit")))
    return out


def _summary(text: str) -> str:
    """A help text cut to its first clause, for the one-line descriptions shells show."""
    return text.split(" (", 1)[0].split("; ", 1)[0]


# -- bash -------------------------------------------------------------------------------------------------------
def bash() -> str:
    commands = " ".join(COMMANDS)
    by_line = "\\n".join(COMMANDS)  # split by the newline IFS that keeps file names with spaces whole
    codes = " ".join(_codes())
    values = []  # case arms: "command:--option) action ;;"
    words = []
    for command in COMMANDS:
        names = []
        for option, short, (_, takes, choices, _, _) in _options(command):
            names += [option] + ([short] if short else [])
            if not takes:
                continue
            kind = _value_kind(option, choices)
            action = {"choices": f"__fly_cluster_lint_words '{' '.join(choices or ())}'",
                      "codes": "__fly_cluster_lint_codes", "file": "__fly_cluster_lint_files", "text": ":"}[kind]
            pattern = "|".join(f"{command}:{o}" for o in [option] + ([short] if short else []))
            values.append(f"        {pattern}) {action}; return ;;")
        words.append(f"        {command}) opts='{' '.join(names)}' ;;")
    operands = {"path": "__fly_cluster_lint_files", "code": "__fly_cluster_lint_codes",
                "command": f"__fly_cluster_lint_words '{commands}'", "shell": f"__fly_cluster_lint_words '{' '.join(SHELLS)}'"}
    operand_arms = [f"        {command}) {operands[spec[3]]} ;;" for command, spec in COMMANDS.items() if spec[3]]
    return "\n".join([
        HEADER.format(comment="#", shell="bash", version=__version__),
        "# Install: fly-cluster-lint completions bash > ~/.local/share/bash-completion/completions/fly-cluster-lint",
        "",
        "__fly_cluster_lint_words() {",
        "    local IFS=$' \\t\\n'",
        "    COMPREPLY=($(compgen -W \"$1\" -- \"$cur\"))",
        "}",
        "",
        "__fly_cluster_lint_files() {",
        "    local IFS=$'\\n'",
        "    compopt -o filenames 2>/dev/null",
        "    COMPREPLY=($(compgen -f -- \"$cur\"))",
        "}",
        "",
        "__fly_cluster_lint_codes() {",
        "    # comma-separated: complete the code after the last comma",
        "    local IFS=$' \\t\\n' prefix=",
        "    if [[ $cur == *,* ]]; then",
        "        prefix=${cur%,*},",
        "    fi",
        f"    COMPREPLY=($(compgen -P \"$prefix\" -W '{codes}' -- \"${{cur##*,}}\"))",
        "}",
        "",
        "_fly_cluster_lint() {",
        "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd=check opts",
        "    COMPREPLY=()",
        "    # `--format=js`: bash splits the word at `=`",
        "    if [[ $cur == = ]]; then",
        "        cur=",
        "    elif [[ $prev == = && $COMP_CWORD -gt 1 ]]; then",
        "        prev=${COMP_WORDS[COMP_CWORD-2]}",
        "    fi",
        "    if [[ $COMP_CWORD -gt 1 ]]; then",
        "        case ${COMP_WORDS[1]} in",
        f"            {'|'.join(COMMANDS)}) cmd=${{COMP_WORDS[1]}} ;;",
        "        esac",
        "    fi",
        "    case $cmd:$prev in",
        *values,
        "    esac",
        "    case $cmd in",
        *words,
        "    esac",
        "    if [[ $cur == -* ]]; then",
        "        __fly_cluster_lint_words \"$opts\"",
        "        return",
        "    fi",
        "    if [[ $COMP_CWORD -eq 1 ]]; then",
        "        __fly_cluster_lint_files",
        "        local IFS=$'\\n'",
        f"        COMPREPLY+=($(compgen -W $'{by_line}' -- \"$cur\"))",
        "        return",
        "    fi",
        "    case $cmd in",
        *operand_arms,
        "    esac",
        "}",
        "",
        f"complete -F _fly_cluster_lint {NAME}",
        "",
    ])


# -- zsh --------------------------------------------------------------------------------------------------------
def _zsh_text(text: str) -> str:
    """Text inside a single-quoted _arguments spec: no quote, and no bracket or colon to end a field."""
    return (text.replace("\\", "\\\\").replace("'", "'\\''").replace("[", "(").replace("]", ")")
            .replace(":", " -").replace("`", ""))


def zsh() -> str:
    codes = " ".join(_codes())
    described = [f"    '{name}:{_zsh_text(spec[1])}'" for name, spec in COMMANDS.items()]
    functions = []
    for command, spec in COMMANDS.items():
        lines = [f"_fly_cluster_lint_{command}() {{", "  _arguments -s -S \\"]
        for option, short, (_, takes, choices, repeatable, text) in _options(command):
            described_text = _zsh_text(_summary(text))
            if option in ("--help", "--version"):
                lines.append(f"    '(- *)'{{{short},{option}}}'[{described_text}]' \\")
                continue
            value = ""
            if takes:
                kind = _value_kind(option, choices)
                metavar = METAVARS.get(option, option.lstrip("-")).lower()
                action = {"choices": f"({' '.join(choices or ())})", "codes": "_fly_cluster_lint_codes",
                          "file": "_files", "text": " "}[kind]
                value = f":{metavar}:{action}"
            star = "*" if repeatable else ""
            if short:
                exclusive = "" if repeatable else f"({short} {option})"
                names = f"{{{short}{'+' if takes else ''},{option}{'=' if takes else ''}}}"
                lines.append(f"    '{star}{exclusive}'{names}'[{described_text}]{value}' \\")
            else:
                lines.append(f"    '{star}{option}{'=' if takes else ''}[{described_text}]{value}' \\")
        kind = spec[3]
        if kind == "path":
            lines.append("    '*:path:_files'")
        elif kind == "code":
            lines.append(f"    '1:rule code:({codes})'")
        elif kind == "command":
            lines.append(f"    '1:command:({' '.join(COMMANDS)})'")
        elif kind == "shell":
            lines.append(f"    '1:shell:({' '.join(SHELLS)})'")
        else:
            lines[-1] = lines[-1][:-2]  # no operand: the last option ends the command
        lines.append("}")
        functions.append("\n".join(lines))
    return "\n".join([
        f"#compdef {NAME}",
        HEADER.format(comment="#", shell="zsh", version=__version__),
        "# Install: fly-cluster-lint completions zsh > \"${fpath[1]}/_fly-cluster-lint\"",
        "",
        "_fly_cluster_lint_codes() {",
        f"  _values -s , 'rule code' {codes}",
        "}",
        "",
        *[f + "\n" for f in functions],
        "_fly-cluster-lint() {",
        "  local -a commands",
        "  commands=(",
        *described,
        "  )",
        "  if (( CURRENT == 2 )) && [[ $words[CURRENT] != -* ]]; then",
        "    _describe -t commands 'fly-cluster-lint command' commands",
        "    _files",
        "    return",
        "  fi",
        "  local cmd=check",
        "  case $words[2] in",
        f"    ({'|'.join(COMMANDS)})",
        "      cmd=$words[2]",
        "      shift words",
        "      (( CURRENT-- ))",
        "      ;;",
        "  esac",
        "  _fly_cluster_lint_$cmd",
        "}",
        "",
        "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then",
        "  _fly-cluster-lint \"$@\"",
        "else",
        f"  compdef _fly-cluster-lint {NAME}",
        "fi",
        "",
    ])


# -- fish -------------------------------------------------------------------------------------------------------
def _fish_text(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish() -> str:
    codes = " ".join(_codes())
    others = " ".join(c for c in COMMANDS if c != "check")
    lines = [HEADER.format(comment="#", shell="fish", version=__version__),
             "# Install: fly-cluster-lint completions fish > ~/.config/fish/completions/fly-cluster-lint.fish", "",
             f"complete -c {NAME} -e", ""]
    for command, spec in COMMANDS.items():
        lines.append(f"complete -c {NAME} -n __fish_use_subcommand -a {command} -d {_fish_text(spec[1])}")
    lines.append("")
    for command, spec in COMMANDS.items():
        # check is also the command when none is given
        condition = (f"'not __fish_seen_subcommand_from {others}'" if command == "check"
                     else f"'__fish_seen_subcommand_from {command}'")
        lines.append(f"# {command}")
        for option, short, (_, takes, choices, _, text) in _options(command):
            names = f"-l {option[2:]}" + (f" -s {short[1:]}" if short else "")
            value = ""
            if takes:
                kind = _value_kind(option, choices)
                value = {"choices": f" -x -a {_fish_text(' '.join(choices or ()))}",
                         "codes": f" -x -a {_fish_text(codes)}", "file": " -r -F", "text": " -x"}[kind]
            lines.append(f"complete -c {NAME} -n {condition} {names}{value} -d {_fish_text(_summary(text))}")
        kind = spec[3]
        operand = {"code": f" -x -a {_fish_text(codes)}", "command": f" -x -a {_fish_text(' '.join(COMMANDS))}",
                   "shell": f" -x -a {_fish_text(' '.join(SHELLS))}", None: " -f"}.get(kind)
        if operand is not None:  # a PATH operand: fish completes files by itself
            lines.append(f"complete -c {NAME} -n {condition}{operand}")
        lines.append("")
    return "\n".join(lines)
