"""Command line: `fly-cluster-lint [check] [PATH ...]`, `fly-cluster-lint rules`, `fly-cluster-lint explain CODE`.

Exit status: 0 no finding of severity error, 1 at least one, 2 the tool could not do its job (bad
arguments, a path that does not exist, a bad configuration), with one line on stderr and no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from fly_cluster_lint import __version__
from fly_cluster_lint.errors import ToolError

COMMANDS = ("check", "rules", "explain", "env")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        raise ToolError(message)


def _codes(text: str) -> list[str]:
    return [c.strip() for c in text.split(",") if c.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fly-cluster-lint",
                     description="Find Erlang clustering mistakes in Elixir/Phoenix apps on Fly.io before deploy.")
    parser.add_argument("--version", action="version", version=f"fly-cluster-lint {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    check = sub.add_parser("check", help="lint the apps under PATH (the default command)")
    check.add_argument("paths", nargs="*", metavar="PATH", help="folders or files (default: .)")
    check.add_argument("--format", choices=("text", "json", "github", "sarif"), default=None,
                       help="output format (default: text; github when GITHUB_ACTIONS=true)")
    check.add_argument("--output-file", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    check.add_argument("--fail-on", choices=("error", "warning", "info", "never"), default="error",
                       help="lowest severity that makes the exit status 1 (default: error)")
    check.add_argument("--quiet", "-q", action="store_true", help="print only the findings")
    check.add_argument("--statistics", action="store_true", help="print how many findings each code has")
    check.add_argument("--config", metavar="FILE", help="use this configuration instead of .fly-cluster-lint.toml")
    check.add_argument("--secret", action="append", default=[], metavar="NAME",
                       help="a variable set with `fly secrets set` (repeatable)")
    check.add_argument("--select", type=_codes, default=[], metavar="CODES", help="only these codes or prefixes")
    check.add_argument("--ignore", type=_codes, default=[], metavar="CODES", help="skip these codes or prefixes")
    check.add_argument("--extend-exclude", action="append", default=[], metavar="GLOB", help="paths not to walk")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    env = sub.add_parser("env", help="show each app's effective clustering environment and where it comes from")
    env.add_argument("paths", nargs="*", metavar="PATH", help="folders or files (default: .)")
    env.add_argument("--format", choices=("text", "json"), default="text")
    env.add_argument("--config", metavar="FILE")
    env.add_argument("--secret", action="append", default=[], metavar="NAME")
    env.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    rules = sub.add_parser("rules", help="list every rule")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    explain = sub.add_parser("explain", help="show a rule's documentation")
    explain.add_argument("code", metavar="CODE")
    return parser


def main(argv: list[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or (args_list[0] not in COMMANDS and args_list[0] not in ("-h", "--help", "--version")):
        args_list.insert(0, "check")
    try:
        args = build_parser().parse_args(args_list)
        if args.command == "rules":
            return _rules(args)
        if args.command == "explain":
            return _explain(args)
        if args.command == "env":
            return _env(args)
        return _check(args)
    except ToolError as exc:
        print(f"fly-cluster-lint: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: still one line and exit 2, unless debugging
        if os.environ.get("FLY_CLUSTER_LINT_DEBUG"):
            raise
        where = ""
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is not None:
            where = f" at {Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
        print(f"fly-cluster-lint: internal error{where}: {type(exc).__name__}: {exc} "
              f"(set FLY_CLUSTER_LINT_DEBUG=1 for a traceback; please report it)", file=sys.stderr)
        return 2


def _check(args: argparse.Namespace) -> int:
    from fly_cluster_lint.config import Overrides
    from fly_cluster_lint.engine import lint
    from fly_cluster_lint.reporters import render

    config = Path(args.config) if args.config else None
    if config is not None and not config.is_file():
        raise ToolError(f"{args.config}: configuration file not found")
    overrides = Overrides(config=config, secrets=tuple(args.secret), select=tuple(args.select),
                          ignore=tuple(args.ignore), extend_exclude=tuple(args.extend_exclude))
    paths = [Path(p) for p in (args.paths or ["."])]
    result = lint(paths, overrides)
    fmt = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    color = _color(args.color) and args.output_file is None
    report = render(fmt, result, color=color, quiet=args.quiet, statistics=args.statistics)
    if args.output_file:
        _write(Path(args.output_file), report)
    else:
        sys.stdout.write(report)
    if result.errors:
        from fly_cluster_lint.reporters import mask

        for line in result.errors:
            print(f"fly-cluster-lint: error: {mask(line, result.secrets)}", file=sys.stderr)
        return 2
    return exit_status(result, args.fail_on)


SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def exit_status(result, fail_on: str) -> int:
    if fail_on == "never":
        return 0
    threshold = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK[d.severity] <= threshold for d in result.diagnostics) else 0


def _write(path: Path, text: str) -> None:
    """Write atomically: a temporary file beside the target, then rename."""
    import tempfile

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise ToolError(f"{path}: cannot write the report: {exc.strerror or exc}") from None


def _env(args: argparse.Namespace) -> int:
    from fly_cluster_lint.config import Overrides
    from fly_cluster_lint.engine import discover_apps
    from fly_cluster_lint.reporters import environment

    config = Path(args.config) if args.config else None
    if config is not None and not config.is_file():
        raise ToolError(f"{args.config}: configuration file not found")
    result = discover_apps([Path(p) for p in (args.paths or ["."])], Overrides(config=config, secrets=tuple(args.secret)))
    if args.format == "json":
        sys.stdout.write(environment.render_json(result))
    else:
        sys.stdout.write(environment.render_text(result, color=_color(args.color)))
    return 0


def _color(choice: str) -> bool:
    if choice == "always":
        return True
    return choice == "auto" and sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _rules(args: argparse.Namespace) -> int:
    from fly_cluster_lint import registry

    rules = registry.all_rules()
    if args.format == "json":
        import json

        print(json.dumps([{"code": r.code, "slug": r.slug, "severity": r.severity, "summary": r.summary,
                           "fix": r.fix_kind, "help_uri": r.help_uri} for r in rules], indent=2))
        return 0
    width = max(len(r.slug) for r in rules)
    for rule in rules:
        print(f"{rule.code}  {rule.slug:<{width}}  {rule.severity:<7}  {rule.summary}")
    return 0


def _explain(args: argparse.Namespace) -> int:
    from fly_cluster_lint import registry
    from fly_cluster_lint.docs import explain_text

    sys.stdout.write(explain_text(registry.get(args.code)))
    return 0
