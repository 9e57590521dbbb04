"""Command line: `fly-cluster-lint [check] [PATH ...]`, `env`, `rules`, `explain CODE`, `clean`,
`completions SHELL`, `help [COMMAND]`, `version`.

Exit status: 0 no finding at or above --fail-on (default: error), 1 at least one, 2 the tool could not do
its job (bad arguments, a path that does not exist, a bad configuration), with one line on stderr and no
traceback. Nothing heavy is imported here: a warm `check` (a cached result whose inputs did not change)
never loads the parsers.
"""

from __future__ import annotations

import os
import sys

from fly_cluster_lint import __version__
from fly_cluster_lint.errors import ToolError


def run() -> None:
    """The console script: main(), then flush and leave without the interpreter's teardown (freeing every
    module and object costs a few milliseconds and does nothing for a process that is done). Nothing of ours
    needs an exit handler: reports, fixes and the cache are written and closed before main returns."""
    status = main()
    try:
        sys.stdout.flush()
    except BrokenPipeError:  # the reader has gone (`| head`): nothing is left to say, as main() does
        pass
    except (OSError, ValueError) as exc:  # a full disk, a file size limit: the report is not complete
        try:
            sys.stderr.write(f"fly-cluster-lint: error: cannot write the report: {exc}\n")
        except (OSError, ValueError):
            pass
        status = 2
    try:
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    os._exit(status)


def main(argv: list[str] | None = None) -> int:
    _tolerant_streams()
    try:
        from fly_cluster_lint.args import parse

        args = parse(list(sys.argv[1:] if argv is None else argv))
        if args.command == "help":
            from fly_cluster_lint.helptext import help_text

            sys.stdout.write(help_text(args.topic))
            return 0
        if args.command == "version":
            print(f"fly-cluster-lint {__version__}")
            return 0
        if args.command == "rules":
            return _rules(args)
        if args.command == "explain":
            return _explain(args)
        if args.command == "env":
            return _env(args)
        if args.command == "clean":
            return _clean()
        if args.command == "completions":
            from fly_cluster_lint.completions import script

            sys.stdout.write(script(args.shell))
            return 0
        return _check(args)
    except ToolError as exc:
        _error(str(exc))
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
            where = f" at {os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"
        _error(f"{type(exc).__name__}: {exc} (set FLY_CLUSTER_LINT_DEBUG=1 for a traceback; please report it)",
               f"internal error{where}")
        return 2


def _tolerant_streams() -> None:
    """Whatever the encoding of stdout and stderr (latin-1, ASCII, a pipe on Windows), a character they
    cannot encode is written as an escape instead of ending the run."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


def _error(message: str, label: str = "error") -> None:
    """One line on stderr, whatever the message holds (control characters are shown as escapes)."""
    from fly_cluster_lint.reporters.printable import guard, visible

    print(guard(f"fly-cluster-lint: {label}: {visible(message)}"), file=sys.stderr)


def use_color(choice: str, to_file: bool = False) -> bool:
    """Whether to colour what goes to stdout. A report written to a file (-o FILE) never is; --color always
    or never wins over the environment; in auto: NO_COLOR (not empty) is off, else FORCE_COLOR (not empty)
    or CLICOLOR_FORCE (not 0) is on, else TERM=dumb is off, else colour when stdout is a terminal."""
    if to_file or choice == "never":
        return False
    if choice == "always":
        return True
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR") or os.environ.get("CLICOLOR_FORCE", "0") not in ("", "0"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _to_file(args) -> bool:
    return args.output_file is not None and args.output_file != "-"


def _check(args) -> int:
    if args.show_settings or args.show_files:
        return _show(args, args.format or "text")  # text even on GitHub Actions: it is no report
    fmt = args.format or ("github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text")
    color = fmt == "text" and use_color(args.color, _to_file(args))
    if args.fix or args.diff:
        return _fix(args, fmt, color)
    use_cache = not args.no_cache
    if use_cache:
        from fly_cluster_lint import cache, resultcache

        use_cache = cache.configure(list(args.paths or ["."])) is not None
    if use_cache:
        secrets_from(args)  # read before the key: the names it declares are part of it
        name = resultcache.key(args, fmt, color)
        cached = resultcache.load(name)
        if cached is not None:
            report, status, errors = cached
            return _finish(args, report, status, errors)
    from pathlib import Path

    from fly_cluster_lint.engine import lint
    from fly_cluster_lint.reporters import render

    overrides = _overrides(args)
    result = lint([Path(p) for p in (args.paths or ["."])], overrides)
    report = render(fmt, result, color=color, quiet=args.quiet, statistics=args.statistics)
    errors = _error_lines(result)
    status = 2 if errors else exit_status(result, args.fail_on)
    if use_cache and not errors and result.files is not None:
        resultcache.store(name, result.files, report, status, errors)
    return _finish(args, report, status, errors)


def _overrides(args):
    from pathlib import Path

    from fly_cluster_lint.config import Overrides

    config = Path(args.config) if args.config else None
    if config is not None and not config.is_file():
        raise ToolError(f"{args.config}: configuration file not found")
    return Overrides(config=config, secrets=tuple(args.secret), secret_origins=secrets_from(args),
                     select=tuple(args.select), ignore=tuple(args.ignore), extend_exclude=tuple(args.extend_exclude),
                     jobs=_jobs(args))


def _jobs(args) -> int | None:
    value = getattr(args, "jobs", None)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 256:
        raise ToolError(f"argument --jobs: expected a number of processes from 1 to 256, not `{value[:20]}`")
    return int(value)


def secrets_from(args) -> tuple:
    """((name, origin), ...) from every --secrets-from FILE (`-` is stdin, read once), then --secret."""
    cached = getattr(args, "_secret_origins", None)
    if cached is not None:
        return cached
    out = []
    for path in args.secrets_from:
        from fly_cluster_lint.limits import MAX_CONFIG_BYTES
        from fly_cluster_lint.parsers.fly_secrets import parse_names

        shown = "stdin" if path == "-" else path
        try:
            if path == "-":
                data = sys.stdin.buffer.read(MAX_CONFIG_BYTES + 1)
            else:
                with open(path, "rb") as handle:
                    data = handle.read(MAX_CONFIG_BYTES + 1)
        except OSError as exc:
            raise ToolError(f"--secrets-from {shown}: {exc.strerror or exc}") from None
        if len(data) > MAX_CONFIG_BYTES:
            raise ToolError(f"--secrets-from {shown}: larger than {MAX_CONFIG_BYTES // 1024} KiB")
        out.extend((name, f"--secrets-from {shown}") for name in parse_names(data, shown))
    out.extend((name, "--secret") for name in args.secret)
    args._secret_origins = tuple(out)
    return args._secret_origins


def _fix(args, fmt: str, color: bool) -> int:
    """--diff: print what the fixes would change. --fix: apply them, write atomically, lint again."""
    from pathlib import Path

    from fly_cluster_lint.engine import lint
    from fly_cluster_lint.fixes import apply, write
    from fly_cluster_lint.reporters import render
    from fly_cluster_lint.reporters.printable import guard

    paths = [Path(p) for p in (args.paths or ["."])]
    state = apply.run(paths, _overrides(args), unsafe=args.unsafe_fixes)
    first = state.first
    if args.diff:
        text = write.unified_diff(state)
        if use_color(args.color):
            from fly_cluster_lint.reporters import color as palette

            text = palette.diff(text)
        sys.stdout.write(guard(text))
        for line in _error_lines(first):
            _error(line)
        return 2 if first.errors else exit_status(first, args.fail_on)
    write.write_all(state)
    result = lint(paths, _overrides(args))
    report = render(fmt, result, color=color, quiet=args.quiet, statistics=args.statistics,
                    fixed=len(state.applied) if fmt == "text" else None)
    if fmt == "text" and not args.quiet:
        from fly_cluster_lint.reporters.printable import guard

        report += guard(_cookie_hint(result))
    errors = _error_lines(result)
    return _finish(args, report, 2 if errors else exit_status(result, args.fail_on), errors)


def _error_lines(result) -> list[str]:
    """The run's error lines with every secret value hidden (they may quote a file's content)."""
    from fly_cluster_lint.model.secrets import mask_source

    return [mask_source(line, result.secrets) if result.secrets is not None else line for line in result.errors]


COOKIE_COMMAND = "$(openssl rand -base64 48 | tr -dc A-Za-z0-9_ | head -c 48)"


def _cookie_hint(result) -> str:
    """FCL401 has no file to fix: print the command that sets a fresh cookie as a Fly secret (never run it;
    the cookie is generated by the command itself, so no value is ever printed)."""
    import shlex

    from fly_cluster_lint.reporters.printable import visible

    lines = []
    for d in result.diagnostics:
        if d.code == "FCL401":
            app = next((a for a in result.apps if a.toml_path == d.app), None)
            target = f" --app {shlex.quote(visible(app.fly_app))}" if app is not None and app.fly_app else ""
            lines.append(f"FCL401 has no automatic fix; set a cookie as a Fly secret (not run by this tool):\n"
                         f"  fly secrets set RELEASE_COOKIE=\"{COOKIE_COMMAND}\"{target}\n")
    return "".join(lines)


def _finish(args, report: str, status: int, errors: list) -> int:
    if args.output_file:
        _write(args.output_file, report)
    else:
        sys.stdout.write(report)
    for line in errors:
        _error(line)
    return status


SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def exit_status(result, fail_on: str) -> int:
    if fail_on == "never":
        return 0
    threshold = SEVERITY_RANK[fail_on]
    return 1 if any(SEVERITY_RANK[d.severity] <= threshold for d in result.diagnostics) else 0


def _write(path: str, text: str) -> None:
    """Write a report: `-` is stdout; an existing character device or FIFO (/dev/stdout, /dev/null, a pipe)
    is written in place, never replaced; any other existing file that is not a regular file is refused;
    a regular file is replaced atomically (a temporary file beside it, then a rename). A new file gets the
    permissions the umask gives, an existing one keeps its own."""
    import stat

    if path == "-":
        sys.stdout.write(text)
        return
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise ToolError(f"{path}: cannot write the report: {exc.strerror or exc}") from None
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        try:
            with open(path, "w", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(text)
        except OSError as exc:
            raise ToolError(f"{path}: cannot write the report: {exc.strerror or exc}") from None
        return
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise ToolError(f"{path}: not a regular file; the report is written only to a regular file or `-`")
    from fly_cluster_lint.fixes.write import replace_file

    try:
        replace_file(path, text.encode("utf-8", "backslashreplace"), None if info is None else stat.S_IMODE(info.st_mode))
    except OSError as exc:
        raise ToolError(f"{path}: cannot write the report: {exc.strerror or exc}") from None


def _env(args) -> int:
    from pathlib import Path

    from fly_cluster_lint.engine import discover_apps
    from fly_cluster_lint.reporters import environment

    if args.show_settings or args.show_files:
        return _show(args, args.format or "text")
    result = discover_apps([Path(p) for p in (args.paths or ["."])], _overrides(args))
    if args.format == "json":
        sys.stdout.write(environment.render_json(result))
    else:
        sys.stdout.write(environment.render_text(result, color=use_color(args.color)))
    return 0


def _show(args, fmt: str) -> int:
    """--show-settings, --show-files: what each app is linted with, and exit 0 without a report."""
    from pathlib import Path

    from fly_cluster_lint.engine import discover_apps
    from fly_cluster_lint.reporters import settings

    if fmt not in ("text", "json"):
        raise ToolError(f"--show-settings and --show-files print text or json, not {fmt}")
    result = discover_apps([Path(p) for p in (args.paths or ["."])], _overrides(args))
    apps = []
    for app in result.apps:
        data = settings.app_header(app)
        if args.show_settings:
            data["settings"] = settings.settings_data(app.settings, args.fail_on if args.command == "check" else None)
        if args.show_files:
            data["files"] = settings.files_data(app)
        apps.append(data)
    skipped = [{"fly_toml": path, "reason": reason} for path, reason in result.skipped]
    if fmt == "json":
        report = settings.render_json(apps, skipped)
    else:
        report = settings.render_text(apps, skipped, color=use_color(args.color, _to_file(args)))
    if args.output_file:
        _write(args.output_file, report)
    else:
        sys.stdout.write(report)
    for line in _error_lines(result):
        _error(line)
    return 2 if result.errors else 0


def _rules(args) -> int:
    from fly_cluster_lint import registry

    rules = registry.all_rules()
    if args.format == "json":
        import json

        print(json.dumps([{"code": r.code, "slug": r.slug, "severity": r.severity, "summary": r.summary,
                           "fix": r.fix_kind, "help_uri": r.help_uri} for r in rules], indent=2))
        return 0
    from fly_cluster_lint.reporters.color import rule_row

    on = use_color(args.color)
    width = max(len(r.slug) for r in rules)
    sys.stdout.write("".join(rule_row(r.code, r.slug, r.severity, r.summary, width, on).rstrip() + "\n"
                             for r in rules))
    return 0


def _explain(args) -> int:
    from fly_cluster_lint import registry
    from fly_cluster_lint.docs import explain_text
    from fly_cluster_lint.reporters.printable import guard

    rules = registry.all_rules()
    wanted = args.code.strip()
    rule = next((r for r in rules if r.code == wanted.upper() or r.slug == wanted.lower()), None)
    if rule is None:
        from fly_cluster_lint.args import suggest, suggest_code, unknown_code

        codes = [r.code for r in rules]
        slug = None if suggest_code(wanted, codes) else suggest(wanted.lower()[:60], [r.slug for r in rules])
        if slug is not None:  # a mistyped name: proto-dist-mising
            raise ToolError(f"unknown rule `{wanted}`; did you mean `{slug}`?")
        raise unknown_code("", args.code, codes, prefixes=False)
    text = explain_text(rule)
    if use_color(args.color):
        from fly_cluster_lint.reporters.color import explain

        text = explain(text, rule)
    sys.stdout.write(guard(text))
    return 0


def _clean() -> int:
    from fly_cluster_lint import cache
    from fly_cluster_lint.reporters.printable import visible

    folder, count, size = cache.clean()
    if folder is None:
        print("no cache folder")
    elif count == 0:
        print(f"nothing to remove in {visible(folder)}")
    else:
        print(f"removed {count} file{'' if count == 1 else 's'} ({_size(size)}) from {visible(folder)}")
    return 0


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} byte{'' if size == 1 else 's'}"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"
