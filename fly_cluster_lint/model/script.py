"""Run a shell script's statements (parsers/shell.py) against the environment model, the way the image's
/bin/sh runs it at boot: dash on Debian images, busybox ash on Alpine ones.

Nothing is executed: values are expanded symbolically. A variable the model knows (a layer set it, Fly
provides it, the release script set it before env.sh) expands to its value; one set nowhere expands to the
empty string; a command's output stays a command. A test the model can decide from what it knows
(`[`/`test` with -n, -z, =, !=; a bare `[ $X ]`; `!`, `&&`, `||`) decides its branch, a `case` on a known
value picks its pattern, `case $RELEASE_COMMAND` (or `$1`) picks per release command. What cannot be decided
counts as taken (its assignments apply, a guarded default keeps an outer value). Under dash `[[` is a
failed command ("[[: not found"): its block is skipped, and as a statement it stops the release script
(set -e), as `source`, `declare` and a reached `exit` or `${X:?}` do (Environment.aborted).
"""

from __future__ import annotations

from functools import lru_cache

import fnmatch
TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.model.environment import (
    ENV_SH, FLY_PROVIDED, MAX_EXPANDED, OPAQUE_COMMANDS, Setting, _size,
)
from fly_cluster_lint.parsers.shell import AndOr, Assign, Block, Case, Command, Export, If, Not, Test, Unset
from fly_cluster_lint.parsers.words import Lit, Var, merge

if TYPE_CHECKING:
    from typing import Any


class _Stop(Exception):
    """The script stops here (exit, a fatal error under set -e)."""


def run_script(script: Any, env: Any, layer: str, command: str | None, args: tuple) -> None:
    """Apply a script's effects to the environment, in order."""
    runner = Runner(env, layer, command, args, script)
    try:
        runner.run(script.program, certain=True)
    except _Stop:
        pass
    except RecursionError:
        env.incomplete.add(layer)


class Runner:
    def __init__(self, env: Any, layer: str, command: str | None, args: tuple, script: Any = None) -> None:
        self.env = env
        self.layer = layer
        self.command = command
        self.args = tuple(args)
        self.exported = script.exported if script is not None else set()
        self.allexport = False
        self.certain = True

    # -- statements ----------------------------------------------------------------------------------------
    def run(self, statements: tuple, certain: bool, condition: bool = False) -> bool | None:
        """Run statements; their exit status: True (0), False (non-zero) or None (cannot tell)."""
        outer = self.certain
        self.certain = certain
        status: bool | None = True
        try:
            for statement in statements:
                status = self._one(statement, condition)
        finally:
            self.certain = outer
        return status

    def _one(self, statement: Any, condition: bool) -> bool | None:
        if isinstance(statement, Assign):
            return self._assign(statement.item)
        if isinstance(statement, Export):
            for name in statement.names:
                found = self.env.values.get(name)
                if found is not None:
                    found.exported = True
            return True
        if isinstance(statement, Unset):
            if self.certain:
                for name in statement.names:
                    self.env.unset(name, None)
            return True
        if isinstance(statement, Test):
            return self._test_statement(statement, condition)
        if isinstance(statement, Command):
            return self._command(statement, condition)
        if isinstance(statement, If):
            return self._if(statement)
        if isinstance(statement, Case):
            return self._case(statement)
        if isinstance(statement, AndOr):
            return self._and_or(statement)
        if isinstance(statement, Not):
            status = self.run(statement.body, self.certain, condition=True)
            return None if status is None else not status
        if isinstance(statement, Block):
            if statement.kind == "subshell":
                return None  # runs in a subshell: nothing reaches the release
            self.run(statement.body, False)
        return None

    def _assign(self, item: Any) -> bool:
        parts = self.expand(item.parts, item.name)
        exported = item.exported or item.name in self.exported or self.allexport
        mode = "default" if item.default_only and not self.certain else "set"
        setting = Setting(item.name, self.layer, item.parts, item.value_span, exported=exported, mode=mode,
                          origin=item)
        self.env.apply(setting, parts, expanded=True)
        return True

    def _test_statement(self, test: Any, condition: bool) -> bool | None:
        if test.bash and self.env.shell == "dash":
            if not condition and self.certain:
                self._abort(test.span, "`[[` is not a command in dash (`[[: not found`): under `set -e` the "
                                       "release script stops here")
            return False
        return self.evaluate(test.expr)

    def _command(self, command: Any, condition: bool) -> bool | None:
        name_parts = self.expand(command.name, None)
        name = "".join(p.text for p in name_parts) if all(isinstance(p, Lit) for p in name_parts) else None
        args = [self.expand(arg, None) for arg in command.args]
        if name in (":", "true"):
            return True
        if name == "false":
            return False
        if name == "exit":
            if self.certain:
                self._abort(command.span, "`exit` runs at boot: the release script stops here")
            return False
        if name in ("[", "test"):
            words = [a for a in args]
            if name == "[" and words and _text(words[-1]) == "]":
                words = words[:-1]
            return self.evaluate(_test_words(words))
        if name in ("declare", "typeset") or name == "source" and self.env.shell == "dash":
            if not condition and self.certain:
                self._abort(command.span, f"`{name}` is not a command in {self.env.shell} (`{name}: not found`): "
                                          f"under `set -e` the release script stops here")
            return False
        if name == "set":
            for arg in args:
                flag = _text(arg)
                if flag and flag[0] in "-+" and "a" in flag[1:]:
                    self.allexport = flag[0] == "-"
            return True
        if name in OPAQUE_COMMANDS or name is None:
            self.env.opaque = True
            return None
        if command.prefix and (name == "exec" or (name or "").rsplit("/", 1)[-1] == self.env.release_name):
            for item in command.prefix:  # `X=1 exec bin/app start`: X reaches the release
                self._assign(item)
        seen = getattr(self, "seen", None)
        if seen is not None:
            seen.append([name] + [_word(arg) for arg in args])
        return None

    def _abort(self, span: Any, why: str) -> None:
        if self.env.aborted is None:
            self.env.aborted = (span, why)
        raise _Stop

    def _if(self, statement: Any) -> bool | None:
        any_unknown = False
        for index, (condition, body) in enumerate(statement.clauses):
            status = self.run(condition, self.certain, condition=True)
            if status is True and not any_unknown:
                result = self.run(body, self.certain)
                reason = self._reason(condition)  # the branches after the taken one never run
                for _, later in statement.clauses[index + 1:]:
                    self._skip(later, reason)
                if statement.otherwise is not None:
                    self._skip(statement.otherwise, reason)
                return result
            if status is False:
                self._skip(body, self._reason(condition))
                continue
            self.run(body, False)  # cannot tell (or an earlier branch may have run): counts as applied
            any_unknown = True
        if statement.otherwise is not None:
            return self.run(statement.otherwise, self.certain and not any_unknown)
        return True if not any_unknown else None

    def _case(self, statement: Any) -> bool | None:
        subject = self.expand(statement.subject, None)
        text = _text(subject)
        by_command = len(statement.subject) == 1 and isinstance(statement.subject[0], Var) and \
            statement.subject[0].name in ("RELEASE_COMMAND", "1") and self.command is not None
        if text is None:  # cannot tell which pattern matches: every branch counts as applied
            for _, body in statement.items:
                self.run(body, False)
            return None
        matched = False
        for patterns, body in statement.items:
            if matched:
                self._skip(body, self._case_reason(by_command, text))
                continue
            if any(p is None for p in patterns):
                self.run(body, False)
                continue
            if any(fnmatch.fnmatchcase(text, p) for p in patterns):
                matched = True
                self.run(body, self.certain)
            else:
                self._skip(body, self._case_reason(by_command, text))
        return True

    def _case_reason(self, by_command: bool, text: str) -> str:
        if by_command:
            return f"not applied for `{self.command}`"
        return f"not applied: `case` does not take this branch for `{text}`"

    def _and_or(self, statement: Any) -> bool | None:
        if not statement.rest:  # a plain list of statements
            return self.run(statement.first, self.certain)
        status = self.run(statement.first, self.certain, condition=True)
        for op, body in statement.rest:
            wanted = op == "&&"
            if status is None:
                self.run(body, False)
                status = None
            elif status is wanted:
                status = self.run(body, self.certain, condition=True)
            else:
                self._skip(body, self._reason(statement.first))
        return status

    def _skip(self, statements: tuple, reason: str) -> None:
        for item in _assignments(statements):
            exported = item.exported or item.name in self.exported
            self.env.skip(Setting(item.name, self.layer, item.parts, item.value_span, exported=exported,
                                  origin=item), reason)

    def _reason(self, condition: tuple) -> str:
        """Why a branch does not run, in the user's terms."""
        names, bash = set(), False
        for statement in _walk(condition):
            if isinstance(statement, Test):
                names |= _expr_names(statement.expr)
                bash = bash or statement.bash
            elif isinstance(statement, Command):
                for arg in statement.args:
                    names |= {p.name for p in arg if isinstance(p, Var)}
        if bash and self.env.shell == "dash":
            return "skipped: `[[` is not a command in dash (`[[: not found`), so this condition is false"
        if names & FLY_PROVIDED:
            return "not applied on Fly"
        return "not applied: the condition is false at boot"

    # -- tests ---------------------------------------------------------------------------------------------
    def evaluate(self, expr: tuple) -> bool | None:
        kind = expr[0]
        if kind == "not":
            inner = self.evaluate(expr[1])
            return None if inner is None else not inner
        if kind in ("and", "or"):
            left, right = self.evaluate(expr[1]), self.evaluate(expr[2])
            if kind == "and":
                return False if False in (left, right) else True if left and right else None
            return True if True in (left, right) else False if left is False and right is False else None
        if kind == "word":  # `[ $X ]`: true when the word is not empty
            return self.nonempty(self.expand(expr[1], None))
        if kind == "unary":
            op, operand = expr[1], self.expand(expr[2], None)
            if op == "-n":
                return self.nonempty(operand)
            if op == "-z":
                found = self.nonempty(operand)
                return None if found is None else not found
            return None  # -f, -d, ...: the image's files are unknown here
        if kind == "binary":
            op, left, right = expr[1], self.expand(expr[2], None), self.expand(expr[3], None)
            if op in ("=", "==", "!="):
                equal = self._equal(left, right)
                return None if equal is None else equal if op != "!=" else not equal
            return None
        return None

    def nonempty(self, parts: tuple) -> bool | None:
        from fly_cluster_lint.model.environment import nonempty_parts

        return nonempty_parts(parts, self.env)

    def _equal(self, left: tuple, right: tuple) -> bool | None:
        a, b = _text(left), _text(right)
        if a is not None and b is not None:
            return a == b
        if a == "" or b == "":  # `[ "$X" = "" ]`
            other = right if a == "" else left
            found = self.nonempty(other)
            return None if found is None else not found
        return None

    # -- expansions ----------------------------------------------------------------------------------------
    def expand(self, parts: tuple, var: str | None) -> tuple:
        """A value as the shell expands it, symbolically: known variables substituted, variables set
        nowhere empty, `${X:-d}` and friends decided where the model can tell."""
        out: list = []
        for part in parts:
            if isinstance(part, Var):
                out.extend(self._variable(part, var))
            else:
                out.append(part)
        return merge(out)

    def _value(self, name: str) -> tuple:
        env = self.env
        found = env.values.get(name)
        if found is not None:
            if found.parts is None or _size(found.parts) > MAX_EXPANDED:
                return (Var(name),)
            return found.parts
        if name == "RELEASE_COMMAND" and self.command is not None:
            return (Lit(self.command),)
        if name == "RELEASE_NAME" and getattr(env, "release_name", None):
            return (Lit(env.release_name),)
        if env.is_set(name) is False:
            return ()
        return (Var(name),)

    def _variable(self, part: Var, var: str | None) -> tuple:
        name, op = part.name, part.op
        if name.isdigit():
            index = int(name) - 1
            if op == "" and 0 <= index < len(self.args) and self.layer == ENV_SH:
                return (Lit(self.args[index]),)
            return (part,)
        if name in ("@", "*", "#", "?", "$", "!", "-", "0"):
            return (part,)
        if op == "":
            return self._value(name)
        if op in (":-", "-", ":=", "="):
            known = self.env.nonempty(name) if op.startswith(":") else self.env.is_set(name)
            if known is True:
                return self._value(name)
            default = self.expand(part.arg, var)
            if known is False:
                if op in (":=", "="):  # `${X:=d}` also assigns d to X
                    self.env.apply(Setting(name, self.layer, part.arg, None, exported=name in self.exported,
                                           note=f"assigned by ${{{name}{op}...}}"), default, expanded=True)
                return default
            return (Var(name, op, default),)
        if op in (":+", "+"):
            known = self.env.nonempty(name) if op.startswith(":") else self.env.is_set(name)
            if known is True:
                return self.expand(part.arg, var)
            return () if known is False else (Var(name, op, self.expand(part.arg, var)),)
        if op in (":?", "?"):
            known = self.env.nonempty(name) if op.startswith(":") else self.env.is_set(name)
            if known is False and self.certain:
                self._abort(None, f"`${{{name}{op}...}}` with {name} unset: the release script stops here")
            return self._value(name) if known else (part,)
        if self.env.is_set(name) is False:
            return ()  # `${X##*-}` and the like of an unset variable
        return (part,)


def _word(parts: tuple) -> str | None:
    """A command word as text: literal text, "$@" for the script's arguments, None when unknown."""
    if len(parts) == 1 and isinstance(parts[0], Var) and parts[0].name in ("@", "*") and not parts[0].op:
        return "$@"
    return _text(parts)


def _text(parts: tuple) -> str | None:
    if all(isinstance(p, Lit) for p in parts):
        return "".join(p.text for p in parts)
    return None


def _test_words(words: list) -> tuple:
    """`test` / `[` arguments as an expression tree (the forms the model decides)."""
    texts = [_text(w) for w in words]
    if texts[:1] == ["!"]:
        inner = _test_words(words[1:])
        return ("not", inner)
    if len(words) == 1:
        return ("word", words[0])
    if len(words) == 2 and texts[0] in ("-n", "-z", "-f", "-d", "-e", "-x", "-s", "-r", "-w"):
        return ("unary", texts[0], words[1])
    if len(words) == 3 and texts[1] in ("=", "==", "!=", "-eq", "-ne", "-lt", "-gt", "-le", "-ge"):
        return ("binary", texts[1], words[0], words[2])
    return ("unknown",)


def _expr_names(expr: tuple) -> set:
    out: set = set()
    for item in expr[1:]:
        if isinstance(item, tuple) and item and isinstance(item[0], str) and item[0] in (
                "not", "and", "or", "unary", "binary", "word", "unknown"):
            out |= _expr_names(item)
        elif isinstance(item, tuple):
            out |= {p.name for p in item if isinstance(p, Var)}
    return out


def _walk(statements: tuple):
    for statement in statements:
        yield statement
        if isinstance(statement, If):
            for condition, body in statement.clauses:
                yield from _walk(condition)
                yield from _walk(body)
            if statement.otherwise:
                yield from _walk(statement.otherwise)
        elif isinstance(statement, Case):
            for _, body in statement.items:
                yield from _walk(body)
        elif isinstance(statement, AndOr):
            yield from _walk(statement.first)
            for _, body in statement.rest:
                yield from _walk(body)
        elif isinstance(statement, Not) or isinstance(statement, Block) and statement.kind != "subshell":
            yield from _walk(statement.body)


def command_lines(statements: tuple) -> list[list]:
    """The words of every simple command in statements, in any branch (a word that is not literal text is
    None; prefix assignments are left out): how a RUN line or a recipe is read for what it runs."""
    out = []
    for statement in _walk(statements):
        if isinstance(statement, Command):
            out.append([_text(statement.name)] + [_text(arg) for arg in statement.args])
    return out


WRITERS = {"cp": "last", "mv": "last", "install": "last", "ln": "last", "tee": "all", "sed": "in-place",
           "truncate": "all", "touch": "all", "rm": "all"}


def written_paths(statements: tuple) -> list[str]:
    """The files statements write or replace: output redirections and the destination of cp, mv, install,
    ln, tee, `sed -i`, truncate, touch, rm (literal paths only)."""
    from fly_cluster_lint.parsers.shell import Write

    out = []
    for statement in _walk(statements):
        if isinstance(statement, Write):
            text = _text(statement.target)
            if text:
                out.append(text)
        elif isinstance(statement, Command):
            name = (_text(statement.name) or "").rsplit("/", 1)[-1]
            args = [t for t in (_text(a) for a in statement.args) if t is not None and not t.startswith("-")]
            how = WRITERS.get(name)
            if how == "last" and len(args) >= 2:
                out.append(args[-1])
            elif how == "all" or how == "in-place" and any(
                    (_text(a) or "").startswith("-i") for a in statement.args):
                out.extend(args[1:] if how == "in-place" else args)
    return out


@lru_cache(maxsize=256)
def parse_statements(text: str) -> tuple | None:
    """The statements of a piece of shell text, or None when it does not parse. Cached by text: the same RUN
    line or recipe is asked about by several checks (and repeats across the apps of a monorepo); the
    statements are never changed by their readers."""
    from pathlib import Path

    from fly_cluster_lint.parsers import ParseError
    from fly_cluster_lint.parsers.shell import parse_env_sh
    from fly_cluster_lint.source import SourceFile

    try:
        return parse_env_sh(SourceFile(Path("<shell>"), "<shell>", text.encode("utf-8", "surrogateescape")), {}).program
    except (ParseError, RecursionError):
        return None


def parse_commands(text: str) -> list[list] | None:
    """command_lines of a piece of shell text (a RUN line, a Makefile recipe line), or None when it does
    not parse."""
    program = parse_statements(text)
    return None if program is None else command_lines(program)


def _assignments(statements: tuple) -> list:
    """Every assignment in statements (nested bodies included), except those of subshells."""
    out = []
    for statement in _walk(statements):
        if isinstance(statement, Assign):
            out.append(statement.item)
    return out
