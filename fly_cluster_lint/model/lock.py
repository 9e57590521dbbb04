"""mix.lock (an Elixir map literal, read with tree-sitter, never evaluated) and version requirements."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

if TYPE_CHECKING:
    from typing import Any


def read_lock(file: Any) -> dict[str, str]:
    """package name -> locked version, for hex packages."""
    out: dict[str, str] = {}
    if file is None:
        return out
    for node in file.walk():
        if node.type != "pair":
            continue
        key = node.child_by_field_name("key") or node.named_children[0]
        value = node.child_by_field_name("value") or node.named_children[-1]
        if value.type != "tuple":
            continue
        name = file.text(key).strip().rstrip(":").strip('"')
        items = [c for c in value.named_children if c.type != "comment"]
        if len(items) >= 3 and file.text(items[0]) == ":hex":
            version = file.literal(items[2])
            if isinstance(version, str):
                out[name] = version
    return out


def parse_version(text: str) -> tuple[int, int, int] | None:
    core = text.strip().split("-")[0].split("+")[0]
    parts = core.split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    numbers = [int(p) for p in parts] + [0] * (3 - len(parts))
    return numbers[0], numbers[1], numbers[2]


def satisfies(version: str, requirement: str) -> bool | None:
    """Whether a version meets an Elixir requirement ("~> 0.1.1", ">= 0.0.0 and < 1.0.0", ...); None when
    the requirement cannot be read."""
    wanted = parse_version(version)
    if wanted is None:
        return None
    any_ok = False
    for alternative in requirement.split(" or "):
        all_ok = True
        for clause in alternative.split(" and "):
            clause = clause.strip()
            op = next((o for o in ("~>", ">=", "<=", "==", "!=", ">", "<") if clause.startswith(o)), "==")
            target_text = clause[len(op):].strip() if clause.startswith(op) else clause
            target = parse_version(target_text)
            if target is None:
                return None
            if op == "~>":
                digits = len(target_text.split("-")[0].split("."))
                upper = (target[0] + 1, 0, 0) if digits <= 2 else (target[0], target[1] + 1, 0)
                ok = target <= wanted < upper
            else:
                ok = {"==": wanted == target, "!=": wanted != target, ">=": wanted >= target, "<=": wanted <= target,
                      ">": wanted > target, "<": wanted < target}[op]
            all_ok = all_ok and ok
        any_ok = any_ok or all_ok
    return any_ok
