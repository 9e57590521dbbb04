"""The GitHub Action's one run: `python -m fly_cluster_lint.action`, called by action.yml.

It lints once and derives everything from that one result: annotations on stdout (reporters.github: errors
first, at most 10 of each level, a notice for the rest), the SARIF file, the job summary (Markdown, appended
to GITHUB_STEP_SUMMARY) and the step outputs (GITHUB_OUTPUT): `errors`, `warnings`, `infos`, `findings`,
`exit-code` and `sarif-file`. Its inputs come from the environment the composite step sets:

    INPUT_PATH          paths to lint, one per line (default: .)
    INPUT_ARGS          more options for `check`, split as a POSIX shell would (quotes work; nothing expands)
    INPUT_FAIL_ON       error | warning | info | never
    INPUT_SARIF_FILE    where to write SARIF (empty: no file)
    INPUT_SECRETS_FROM  a file with the output of `fly secrets list` (JSON or table)
    INPUT_SUMMARY       "false" to leave the job summary alone

Exit status as the CLI's: 0, 1 (findings at or above fail-on), 2 (the tool could not do its job; one
error line). Outputs are written in every case, `exit-code` included.
"""

from __future__ import annotations

import os
import sys

from fly_cluster_lint.errors import ToolError

# Options the action sets itself: its outputs all come from the one run.
RESERVED = {"--format", "--output-file", "-o", "--fix", "--diff", "--unsafe-fixes", "--statistics", "--quiet", "-q"}


def split_args(text: str) -> list[str]:
    import shlex

    try:
        return shlex.split(text, comments=False, posix=True)
    except ValueError as exc:
        raise ToolError(f"the action's `args` input cannot be split as a shell would: {exc}") from None


def build_args(environ) -> object:
    from fly_cluster_lint.args import parse

    extra = split_args(environ.get("INPUT_ARGS", ""))
    for item in extra:
        if item == "--":
            break
        if item.partition("=")[0] in RESERVED:
            raise ToolError(f"the action's `args` input may not hold `{item.partition('=')[0]}`: the action "
                            f"sets the output formats itself (use the `sarif-file` input for SARIF)")
    paths = [line.strip() for line in environ.get("INPUT_PATH", ".").splitlines() if line.strip()] or ["."]
    fail_on = environ.get("INPUT_FAIL_ON", "").strip()
    secrets_from = environ.get("INPUT_SECRETS_FROM", "").strip()
    options = list(extra)
    if "--" in options:  # paths given in `args` after `--` come first
        cut = options.index("--")
        options, paths = options[:cut], options[cut + 1:] + paths
    if fail_on:
        options += ["--fail-on", fail_on]
    if secrets_from:
        options += ["--secrets-from", secrets_from]
    return parse(["check", *options, "--", *paths])


def _delimiter() -> str:
    import secrets

    return f"fly-cluster-lint-{secrets.token_hex(16)}"


def write_outputs(path: str, outputs: dict) -> None:
    """Append name/value pairs to GITHUB_OUTPUT, each in a block with a random delimiter (a value can then
    never end the block early)."""
    with open(path, "a", encoding="utf-8", newline="\n") as handle:
        for name, value in outputs.items():
            delimiter = _delimiter()
            handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def run(environ=None) -> int:
    from fly_cluster_lint import cli

    environ = os.environ if environ is None else environ
    outputs = {"errors": "0", "warnings": "0", "infos": "0", "findings": "0", "exit-code": "2", "sarif-file": ""}
    try:
        args = build_args(environ)
        from pathlib import Path

        from fly_cluster_lint.engine import lint
        from fly_cluster_lint.reporters import render

        result = lint([Path(p) for p in args.paths], cli._overrides(args))
        sys.stdout.write(render("github", result))
        errors = cli._error_lines(result)
        status = 2 if errors else cli.exit_status(result, args.fail_on)
        for line in errors:
            cli._error(line)
        counts = {level: sum(1 for d in result.diagnostics if d.severity == level) for level in ("error", "warning", "info")}
        outputs.update({"errors": str(counts["error"]), "warnings": str(counts["warning"]), "infos": str(counts["info"]),
                        "findings": str(len(result.diagnostics))})
        sarif_file = environ.get("INPUT_SARIF_FILE", "").strip()
        if sarif_file:
            cli._write(sarif_file, render("sarif", result))
            outputs["sarif-file"] = sarif_file
        summary = environ.get("GITHUB_STEP_SUMMARY")
        if summary and environ.get("INPUT_SUMMARY", "true").strip().lower() != "false":
            with open(summary, "a", encoding="utf-8", newline="\n") as handle:
                handle.write(render("markdown", result))
    except ToolError as exc:
        cli._error(str(exc))
        status = 2
    outputs["exit-code"] = str(status)
    if environ.get("GITHUB_OUTPUT"):
        write_outputs(environ["GITHUB_OUTPUT"], outputs)
    return status


def main() -> int:
    from fly_cluster_lint import cli

    cli._tolerant_streams()
    try:
        return run()
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line and exit 2, as the CLI does
        if os.environ.get("FLY_CLUSTER_LINT_DEBUG"):
            raise
        cli._error(f"{type(exc).__name__}: {exc} (set FLY_CLUSTER_LINT_DEBUG=1 for a traceback; please report it)",
                   "internal error")
        return 2


if __name__ == "__main__":
    sys.exit(main())
