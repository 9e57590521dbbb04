"""`.fly-cluster-lint.toml`: the nearest one from an app's folder up to the repository root, or --config.

Keys: ``secrets`` (names of variables set with ``fly secrets set``), ``secrets_from`` (a file, relative to the
configuration, holding the output of ``fly secrets list [--json]``: its names are secrets), ``select``, ``ignore`` (codes or code
prefixes such as ``FCL4``), ``[severity]`` (code -> error|warning|info), ``exclude`` (globs of paths not
to walk). An unknown key, code or severity is an error (exit 2), never silently ignored.
"""

from __future__ import annotations

from pathlib import Path

from fly_cluster_lint.errors import ToolError
from fly_cluster_lint.limits import MAX_CONFIG_BYTES
from fly_cluster_lint.records import Record, value

CONFIG_NAME = ".fly-cluster-lint.toml"
SEVERITIES = ("error", "warning", "info")
KEYS = ("secrets", "secrets_from", "select", "ignore", "severity", "exclude")


class Settings(value("Settings", "path secrets select ignore severity exclude secret_origins",
                     (None, frozenset(), (), (), (), (), ()))):
    """One app's configuration; ``severity`` is ((code, level), ...); ``secret_origins`` is ((name, where it
    was declared), ...) in the order declared."""

    __slots__ = ()

    def enabled(self, code: str) -> bool:
        if self.select and not any(code.startswith(p) for p in self.select):
            return False
        return not any(code.startswith(p) for p in self.ignore)

    def severity_of(self, code: str, default: str) -> str:
        return dict(self.severity).get(code, default)


class Overrides(Record):
    """What the command line adds to every app's settings (and a cache of loaded settings)."""

    __slots__ = ("config", "secrets", "secret_origins", "select", "ignore", "extend_exclude", "jobs", "cache")
    _defaults = {"config": None, "secrets": (), "secret_origins": (), "select": (), "ignore": (), "extend_exclude": (),
                 "jobs": None, "cache": dict}


def find_config(start: Path, repo_root: Path, files) -> Path | None:
    current = start
    while True:
        candidate = current / CONFIG_NAME
        if files.kind(candidate) in ("file", "outside"):
            return candidate
        if current == repo_root or current.parent == current:
            return None
        current = current.parent


def load_settings(path: Path | None, overrides: Overrides, known_codes: frozenset, files=None,
                  named: bool = False) -> Settings:
    """The settings in a configuration file, read through the file cache: confined to the repository when
    found there, from anywhere when the user named it with --config (`named`)."""
    key = str(path)
    cached = overrides.cache.get(key)
    if cached is not None:
        return cached
    data: dict = {}
    if path is not None:
        data = _read(path, files, named)
    shown = _display(path)
    unknown = sorted(set(data) - set(KEYS))
    if unknown:
        raise ToolError(f"{shown}: unknown key `{_clip(unknown[0])}` (known keys: {', '.join(KEYS)})")

    def strings(name: str) -> tuple:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ToolError(f"{shown}: `{name}` must be a list of strings")
        return tuple(value)

    def codes(values: tuple, where: str) -> tuple:
        for item in values:
            if not item or not any(code.startswith(item.upper()) for code in known_codes):
                raise ToolError(f"{where}: unknown rule code `{_clip(item)}`{_did_you_mean(item, known_codes, True)}")
        return tuple(v.upper() for v in values)

    severity = data.get("severity", {})
    if not isinstance(severity, dict):
        raise ToolError(f"{shown}: `severity` must be a table such as [severity] FCL401 = \"warning\"")
    for code, level in severity.items():
        if code.upper() not in known_codes:
            raise ToolError(f"{shown}: unknown rule code `{_clip(code)}` in [severity]"
                            f"{_did_you_mean(code, known_codes, False)}")
        if level not in SEVERITIES:
            raise ToolError(f"{shown}: severity of {code} must be one of {', '.join(SEVERITIES)}, "
                            f"not `{_clip(str(level))}`")
    from fly_cluster_lint.parsers.fly_secrets import is_name

    origins = []
    for name in strings("secrets"):
        if not is_name(name):
            raise ToolError(f"{shown}: `secrets` holds variable NAMES (letters, digits and _), never values; "
                            f"an entry is not a name (it is not shown)")
        origins.append((name, f"{shown} (secrets)"))
    secrets_from = data.get("secrets_from", [])
    for listed in [secrets_from] if isinstance(secrets_from, str) else secrets_from if isinstance(secrets_from, list) else [None]:
        if not isinstance(listed, str):
            raise ToolError(f"{shown}: `secrets_from` must be a path or a list of paths")
        origins.extend((name, f"{shown} (secrets_from {listed})")
                       for name in _secret_names(path, listed, files, named, shown))
    for name, origin in overrides.secret_origins:
        origins.append((name, origin))
    origins.extend((name, "--secret") for name in overrides.secrets
                   if not any(n == name for n, _ in overrides.secret_origins))
    settings = Settings(
        path=path,
        secrets=frozenset(n for n, _ in origins),
        secret_origins=tuple(origins),
        select=codes(overrides.select or strings("select"), "--select" if overrides.select else shown),
        ignore=codes(strings("ignore"), shown) + codes(overrides.ignore, "--ignore"),
        severity=tuple(sorted((c.upper(), v) for c, v in severity.items())),
        exclude=strings("exclude") + tuple(overrides.extend_exclude),
    )
    overrides.cache[key] = settings
    return settings


def _secret_names(config: Path, listed: str, files, named: bool, shown: str) -> list[str]:
    """Names from a `fly secrets list` output that a configuration names; read through the file cache,
    confined to the repository like every file a repository names."""
    from fly_cluster_lint.parsers import ParseError
    from fly_cluster_lint.parsers.fly_secrets import parse_names

    target = config.parent / listed
    try:
        source = files.source(target, limit=MAX_CONFIG_BYTES, anywhere=named)
    except ParseError as exc:
        raise ToolError(f"{shown}: secrets_from {listed}: {exc.message}") from None
    if source is None:
        raise ToolError(f"{shown}: secrets_from {listed}: file not found")
    return parse_names(source.data, _display(target))


def _read(path: Path, files, named: bool) -> dict:
    from fly_cluster_lint.parsers import ParseError
    from fly_cluster_lint.parsers.toml import parse_toml

    try:
        source = files.source(path, limit=MAX_CONFIG_BYTES, anywhere=named)
    except ParseError as exc:
        raise ToolError(f"{_display(path)}: cannot read configuration: {exc.message}") from None
    if source is None:
        raise ToolError(f"{_display(path)}: configuration file not found")
    try:
        values = parse_toml(source).values
    except ParseError as exc:
        raise ToolError(f"{_display(path)}:{exc.line}:{exc.column}: {exc.message}") from None
    return values


def _display(path: Path | None) -> str:
    if path is None:
        return "configuration"
    from fly_cluster_lint.paths import display

    return display(path)


def _clip(text: str, limit: int = 60) -> str:
    """A value from the configuration as an error quotes it: at most `limit` characters (a 15 KB key must not
    become a 15 KB error line)."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text) - limit} more characters)"


def _did_you_mean(typed: str, known_codes, prefixes: bool) -> str:
    from fly_cluster_lint.args import suggest_code

    found = suggest_code(typed, known_codes, prefixes=prefixes) if len(typed) <= 12 else None
    return f"; did you mean `{found}`?" if found else " (see `fly-cluster-lint rules`)"
