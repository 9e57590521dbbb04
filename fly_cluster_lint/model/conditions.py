"""Elixir conditions the model can decide: those on Fly's runtime variables.

On a Fly Machine `FLY_APP_NAME`, `FLY_PRIVATE_IP`, `FLY_REGION`, ... are set, so in config/runtime.exs (and
config/releases.exs), which a release evaluates at boot, `System.get_env("FLY_APP_NAME")` is a string. The
other config files (config.exs, prod.exs and what they import) are evaluated when `mix release` runs, in
the Docker builder, where none of them is set. A branch that cannot run where its file is evaluated does
not count (an `if`/`unless` and its `else`, `case System.get_env(...)` on `nil`, `cond` clauses, and
`if(..., do: ..., else: ...)`); anything else the model cannot decide counts as taken.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.model.environment import FLY_PROVIDED
from fly_cluster_lint.parsers.elixir import Atom

if TYPE_CHECKING:
    from typing import Any

FLY_VARIABLES = frozenset(name for name in FLY_PROVIDED if name.startswith("FLY_")) | {"PRIMARY_REGION"}
UNSET = object()  # the value of System.get_env/1 of a variable that is not set (nil)
SET = object()  # a string the model does not know


def _fly_read(file: Any, node: Any) -> str | None:
    """The Fly variable a `System.get_env("FLY_...")` (one argument) reads, else None."""
    if node.type != "call" or file.call_name(node) != "System.get_env":
        return None
    args = file.args(node)
    name = file.literal(args[0]) if len(args) == 1 else None
    return name if isinstance(name, str) and name in FLY_VARIABLES else None


def value(file: Any, node: Any, fly_set: bool, depth: int = 0) -> Any:
    """UNSET (nil), SET (a string), True/False, or None when the model cannot tell."""
    if depth > 8:
        return None
    kind = node.type
    if kind == "nil":
        return UNSET
    if kind == "boolean":
        return file.text(node) == "true"
    if kind == "string":
        return SET
    if kind == "call":
        if _fly_read(file, node):
            return SET if fly_set else UNSET
        name = file.call_name(node)
        args = file.args(node)
        if name in ("is_nil", "Kernel.is_nil") and len(args) == 1:
            inner = value(file, args[0], fly_set, depth + 1)
            return None if inner is None else inner is UNSET
        return None
    if kind == "identifier":
        bound = file.binding(node)
        return value(file, bound, fly_set, depth + 1) if bound is not None else None
    if kind == "unary_operator":
        operator = next((c for c in node.children if not c.is_named), None)
        operand = node.named_children[0] if node.named_children else None
        if operator is not None and operand is not None and file.text(operator) in ("!", "not"):
            inner = truth(file, operand, fly_set, depth + 1)
            return None if inner is None else not inner
        return None
    if kind == "binary_operator":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        operator = node.child_by_field_name("operator")
        if left is None or right is None or operator is None:
            return None
        op = file.text(operator)
        if op == "=":  # `if name = System.get_env("FLY_APP_NAME") do`
            return value(file, right, fly_set, depth + 1)
        if op in ("&&", "and", "||", "or"):
            a, b = truth(file, left, fly_set, depth + 1), truth(file, right, fly_set, depth + 1)
            if op in ("&&", "and"):
                return False if False in (a, b) else True if a and b else None
            return True if True in (a, b) else False if a is False and b is False else None
        if op in ("==", "!=", "===", "!=="):
            a, b = value(file, left, fly_set, depth + 1), value(file, right, fly_set, depth + 1)
            if UNSET in (a, b) and None not in (a, b):
                equal = a is b
                return equal if op in ("==", "===") else not equal
        return None
    return None


def truth(file: Any, node: Any, fly_set: bool, depth: int = 0) -> bool | None:
    """Whether an Elixir condition is truthy (not nil, not false)."""
    found = value(file, node, fly_set, depth)
    if found is None:
        return None
    if found is UNSET or found is False:
        return False
    return True


def reachable(file: Any, node: Any, fly_set: bool) -> bool:
    """False when an enclosing `if`/`unless`/`case`/`cond` surely never takes the branch holding `node`."""
    child = node
    for parent in file.ancestors(node):
        if parent.type == "call" and file.call_name(parent) in ("if", "unless"):
            branch = _branch_of(file, node, parent)
            if branch is not None:
                args = file.args(parent)
                test = truth(file, args[0], fly_set) if args else None
                if test is not None:
                    if file.call_name(parent) == "unless":
                        test = not test
                    if test != (branch == "do"):
                        return False
        elif parent.type == "call" and file.call_name(parent) in ("case", "cond"):
            if _clause_taken(file, parent, child, fly_set) is False:
                return False
        child = parent
    return True


def _branch_of(file: Any, node: Any, call: Any) -> str | None:
    """Which branch of an `if`/`unless` call a node lies in: "do", "else", or None (the condition)."""
    current = node
    while current is not None and current != call:
        parent = current.parent
        if parent is None:
            return None
        if parent.type == "do_block" and parent.parent == call:
            return "else" if current.type == "else_block" else "do"
        if parent.type == "pair" and parent.parent is not None and parent.parent.type == "keywords":
            key = parent.child_by_field_name("key")
            keywords = parent.parent
            if key is not None and keywords.parent is not None and keywords.parent.parent == call:
                text = file.text(key).strip().rstrip(":")
                if text in ("do", "else"):
                    return text
        current = parent
    return None


def _clause_taken(file: Any, call: Any, child: Any, fly_set: bool) -> bool | None:
    """For a node inside a `case`/`cond` clause: False when that clause surely never runs."""
    clause = child if child.type == "stab_clause" else None
    if clause is None:
        return None
    block = clause.parent
    if block is None or block.type != "do_block":
        return None
    clauses = [c for c in block.named_children if c.type == "stab_clause"]
    if file.call_name(call) == "cond":
        for each in clauses:
            left = each.child_by_field_name("left")
            test = truth(file, left.named_children[0], fly_set) if left is not None and left.named_children else None
            if each == clause:
                return test is not False
            if test is None or test is True:
                return None if test is None else False
        return None
    args = file.args(call)
    subject = value(file, args[0], fly_set) if args else None
    if subject not in (UNSET, SET):
        return None
    for each in clauses:
        left = each.child_by_field_name("left")
        patterns = left.named_children if left is not None else []
        matches = _matches(file, patterns[0], subject) if len(patterns) == 1 else None
        if each == clause:
            return matches is not False
        if matches is None or matches is True:
            return None if matches is None else False
    return None


def _matches(file: Any, pattern: Any, subject: Any) -> bool | None:
    if pattern.type == "nil":
        return subject is UNSET
    if pattern.type == "identifier":
        return True  # `_`, `name ->` match anything
    if pattern.type == "string":
        return False if subject is UNSET else None
    literal = file.literal(pattern)
    if isinstance(literal, Atom):
        return False
    return None
