"""The rules: metadata and docs from rules/FCLnnn.yml, check functions named there.

Each YAML file names its check as ``check: module.function`` (a module of fly_cluster_lint.checks). The
function takes an App and yields Findings. Nothing registers itself on import: this module reads the YAML
files and imports a check module only when its rule runs.
"""

from __future__ import annotations

import importlib
from functools import lru_cache
from pathlib import Path

from fly_cluster_lint.errors import ToolError
from fly_cluster_lint.records import Record

REQUIRED = ("code", "slug", "severity", "summary", "what", "why", "fix", "bad", "good", "references", "check", "runtime")
REPOSITORY = "https://github.com/fly-cluster-lint/fly-cluster-lint"
# The rule's page (docs/rules/FCLnnn.md, generated from its YAML) as released with this version.
DOCS_URL = REPOSITORY + "/blob/v{version}/docs/rules/{code}.md"


def docs_url(code: str) -> str:
    from fly_cluster_lint import __version__

    return DOCS_URL.format(version=__version__, code=code)


class Rule(Record):
    """A rule as written in rules/FCLnnn.yml."""

    __slots__ = ("code", "slug", "severity", "summary", "what", "why", "fix", "bad", "good", "references",
                 "check_name", "expect", "fix_kind", "runtime", "extra")
    _defaults = {"expect": (), "fix_kind": "none", "runtime": dict, "extra": dict}

    @property
    def help_uri(self) -> str:
        return docs_url(self.code)

    @property
    def runs_in_engine(self) -> bool:
        """FCL009 (unused suppressions) is reported by the engine after suppressions, not by a check."""
        return self.check_name == "engine"

    def check(self):
        if self.runs_in_engine:
            return None
        module_name, _, function = self.check_name.rpartition(".")
        module = importlib.import_module(f"fly_cluster_lint.checks.{module_name}")
        return getattr(module, function)


def rules_dir() -> Path:
    """rules/ inside the installed package (wheel), else the repository's top-level rules/."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise ToolError("the rule definitions (rules/*.yml) are missing from this installation")


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    """Every rule, sorted by code. The YAML is parsed once per change of the rule files; later runs read a
    marshal copy from the user's cache folder (PyYAML costs more start-up time than a whole lint)."""
    import marshal
    import sys

    from fly_cluster_lint import __version__, cache

    paths = sorted(rules_dir().glob("FCL*.yml"))
    stamp = [__version__, sys.version] + [[p.name, *_stat(p)] for p in paths]
    name = f"rules-{_digest(repr(stamp))}.marshal"
    cached = cache.read(name)
    if cached is not None:
        try:
            return tuple(Rule(**data) for data in marshal.loads(cached))
        except (ValueError, TypeError, KeyError, EOFError):
            pass  # corrupt: rebuild
    rules = tuple(_load(path) for path in paths)
    try:
        cache.write(name, marshal.dumps([{k: getattr(r, k) for k in Rule.__slots__} for r in rules]))
    except ValueError:  # a value marshal cannot store: skip the cache
        pass
    return rules


def _stat(path: Path) -> list:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def _digest(text: str) -> str:
    import zlib  # hashlib costs milliseconds of start-up; a cache key needs no cryptography

    data = text.encode()
    return f"{zlib.crc32(data):08x}{zlib.adler32(data):08x}"


def _load(path: Path) -> Rule:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    except (OSError, yaml.YAMLError) as exc:
        raise ToolError(f"{path}: cannot read rule definition: {exc}") from None
    if not isinstance(data, dict):
        raise ToolError(f"{path}: a rule definition must be a mapping")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise ToolError(f"{path}: rule definition lacks {', '.join(missing)}")
    if data.get("fix_kind", "none") not in ("safe", "unsafe", "none"):
        raise ToolError(f"{path}: fix_kind must be safe, unsafe or none")
    known = set(REQUIRED) | {"expect", "fix_kind"}
    return Rule(
        code=data["code"], slug=data["slug"], severity=data["severity"], summary=data["summary"].strip(),
        what=data["what"].strip(), why=data["why"].strip(), fix=data["fix"].strip(), bad=data["bad"],
        good=data["good"], references=list(data["references"]), check_name=data["check"],
        expect=list(data.get("expect") or (data["code"],)), fix_kind=data.get("fix_kind", "none"),
        runtime=data["runtime"] if isinstance(data["runtime"], dict) else {},
        extra={k: v for k, v in data.items() if k not in known},
    )


def by_code() -> dict[str, Rule]:
    return {rule.code: rule for rule in all_rules()}


def known_codes() -> frozenset:
    return frozenset(rule.code for rule in all_rules())


def get(code: str) -> Rule:
    wanted = code.upper()
    for rule in all_rules():
        if rule.code == wanted or rule.slug == code.lower():
            return rule
    raise ToolError(f"unknown rule `{code}` (see `fly-cluster-lint rules`)")
