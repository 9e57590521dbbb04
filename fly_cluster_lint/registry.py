"""The rules: metadata and docs from rules/FCLnnn.yml, check functions named there.

Each YAML file names its check as ``check: module.function`` (a module of fly_cluster_lint.checks). The
function takes an App and yields Findings. Nothing registers itself on import: this module reads the YAML
files and imports a check module only when its rule runs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from fly_cluster_lint.errors import ToolError

REQUIRED = ("code", "slug", "severity", "summary", "what", "why", "fix", "bad", "good", "references", "check")
DOCS_URL = "https://github.com/fly-cluster-lint/fly-cluster-lint/blob/main/rules/{code}.yml"


@dataclass(frozen=True)
class Rule:
    code: str
    slug: str
    severity: str
    summary: str
    what: str
    why: str
    fix: str
    bad: dict
    good: dict
    references: tuple
    check_name: str
    expect: tuple = ()
    fix_kind: str = "none"
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def help_uri(self) -> str:
        return DOCS_URL.format(code=self.code)

    def check(self) -> Callable[[Any], Any]:
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
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    out = []
    for path in sorted(rules_dir().glob("FCL*.yml")):
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        except (OSError, yaml.YAMLError) as exc:
            raise ToolError(f"{path}: cannot read rule definition: {exc}") from None
        missing = [k for k in REQUIRED if k not in data]
        if missing:
            raise ToolError(f"{path}: rule definition lacks {', '.join(missing)}")
        known = set(REQUIRED) | {"expect", "fix_kind"}
        out.append(Rule(
            code=data["code"], slug=data["slug"], severity=data["severity"], summary=data["summary"].strip(),
            what=data["what"].strip(), why=data["why"].strip(), fix=data["fix"].strip(), bad=data["bad"],
            good=data["good"], references=tuple(data["references"]), check_name=data["check"],
            expect=tuple(data.get("expect") or (data["code"],)), fix_kind=data.get("fix_kind", "none"),
            extra={k: v for k, v in data.items() if k not in known},
        ))
    return tuple(out)


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
