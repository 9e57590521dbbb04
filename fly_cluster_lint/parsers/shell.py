"""rel/env.sh.eex: an EEx template of a POSIX shell script.

EEx tags are build-time template code, not shell. They are masked before tree-sitter-bash sees the file:
output tags (``<%= %>``) become a same-length run of ``x`` (a shell word), other tags and EEx comments
become blanks; newlines inside tags are kept. Every offset therefore stays the original file's, and the
values of output tags that the tool knows (``@release.name``, ``@release.version``) are put back as parts.

The result is a flat list of assignments, each with what decides whether it applies on a Fly Machine:
the ``if [ -n "$FLY_APP_NAME" ]`` guard, a guarded default, or a ``case $RELEASE_COMMAND`` branch.
"""

from __future__ import annotations

import bisect
import fnmatch
TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.parsers import ParseError, text_of
from fly_cluster_lint.parsers.words import Cmd, Eex, Lit, Var, merge
from fly_cluster_lint.records import Record, value
from fly_cluster_lint.source import SourceFile, Span

if TYPE_CHECKING:
    from typing import Any

COMMANDS = ("start", "start_iex", "daemon", "daemon_iex", "eval", "remote", "rpc")

ON_FLY = "fly"  # applies only where FLY_APP_NAME is set: on Fly
NOT_ON_FLY = "not-fly"  # never applies on Fly
ANY = "any"


# kind: "output" | "code" | "comment"
EexTag = value("EexTag", "start end kind code")


class ShellAssignment(value("ShellAssignment", "name parts exported span name_span value_span fly default_only "
                                               "commands conditional", (ANY, False, None, False))):
    """One assignment. ``fly``: ON_FLY, NOT_ON_FLY or ANY; ``default_only``: inside `if [ -z "$NAME" ]`
    (keeps an outer value); ``commands``: the release commands it applies to (None: all);
    ``conditional``: inside a shell condition the tool cannot decide."""

    __slots__ = ()


# -- statements: what the model runs (model/environment.py), in file order ------------------------------------
class Assign(value("Assign", "item")):
    """An assignment (`X=...`, `export X=...`); ``item`` is its ShellAssignment."""

    __slots__ = ()


class Export(value("Export", "names span")):
    """`export X` (names only): from here on the variables reach the VM."""

    __slots__ = ()


class Unset(value("Unset", "names span")):
    __slots__ = ()


class Write(value("Write", "target span")):
    """An output redirection (`> file`, `>> file`): the file a statement writes (value parts)."""

    __slots__ = ()


class Command(value("Command", "name args prefix span")):
    """A simple command: name and arguments as value parts, ``prefix`` the `X=1` assignments (as
    ShellAssignment) that apply to that command only."""

    __slots__ = ()


class Test(value("Test", "expr bash span")):
    """`[ ... ]` (or `[[ ... ]]` when ``bash``); ``expr`` a small tree (see _Reader._expr)."""

    __slots__ = ()


class If(value("If", "clauses otherwise span")):
    """``clauses``: ((condition statements, body statements), ...) for `if` and each `elif`;
    ``otherwise``: the `else` body or None."""

    __slots__ = ()


class Case(value("Case", "subject items span")):
    """``subject``: value parts; ``items``: ((patterns, body), ...), a pattern a glob or None (unknown)."""

    __slots__ = ()


class AndOr(value("AndOr", "first rest span")):
    """`a && b || c`: ``first`` statements, ``rest`` ((operator, statements), ...)."""

    __slots__ = ()


class Not(value("Not", "body span")):
    __slots__ = ()


class Block(value("Block", "kind body span")):
    """kind "subshell" (never changes the release's environment), "loop" or "function" (runs, or not: its
    assignments count as applied)."""

    __slots__ = ()


def _quote_glob(text: str) -> str:
    """A quoted case pattern matches literally: escape the glob characters."""
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in text)


class EnvScript(Record):
    """assignments (every assignment in the file, in order), exported names, EEx tags, fly_block_end (the
    `fi` of the first Fly-guarded block), last_line (the last non-blank line), the tree, and program: the
    statements the model runs (model/environment.py)."""

    __slots__ = ("source", "assignments", "exported", "tags", "fly_block_end", "last_line", "tree", "program")
    _defaults = {"tree": None, "program": ()}

    @property
    def comments(self) -> list[tuple[int, int]]:
        """Shell `#` comments and EEx comments (`<%# %>`), as byte ranges."""
        out = [(t.start, t.end) for t in self.tags if t.kind == "comment"]
        if self.tree is not None:
            stack = [self.tree.root_node]
            while stack:
                node = stack.pop()
                if node.type == "comment":
                    out.append((node.start_byte, node.end_byte))
                stack.extend(node.named_children)
        return sorted(out)

    def assignments_of(self, name: str) -> list[ShellAssignment]:
        return [a for a in self.assignments if a.name == name]


def find_eex_tags(data: bytes, source: SourceFile) -> list[EexTag]:
    tags = []
    i = 0
    while True:
        start = data.find(b"<%", i)
        if start < 0:
            return tags
        if data[start + 2 : start + 3] == b"%":  # `<%%` is a literal `<%`
            i = start + 3
            continue
        end = data.find(b"%>", start + 2)
        if end < 0:
            line, col = source.point(start)
            raise ParseError("unterminated EEx tag `<%`", line, col, line, col + 2)
        marker = data[start + 2 : start + 3]
        kind = "output" if marker == b"=" else "comment" if marker == b"#" else "code"
        body = data[start + 2 + (1 if kind != "code" else 0) : end].decode("utf-8", errors="replace").strip()
        tags.append(EexTag(start, end + 2, kind, body))
        i = end + 2


def _mask(data: bytes, tags: list[EexTag]) -> bytes:
    out = bytearray(data)
    for tag in tags:
        fill = ord("x") if tag.kind == "output" else ord(" ")
        for k in range(tag.start, tag.end):
            if out[k] not in (10, 13):
                out[k] = fill
    return bytes(out)


def parse_env_sh(source: SourceFile, eex_values: dict[str, str] | None = None) -> EnvScript:
    text_of(source)
    from fly_cluster_lint.parsers import treesitter

    raw = source.parser_bytes()
    tags = find_eex_tags(raw, source)
    masked = _mask(raw, tags)
    tree = treesitter.parse("bash", masked)
    error = treesitter.first_error(tree.root_node)
    if error is not None:
        span = source.span(error.start_byte, max(error.end_byte, error.start_byte + 1))
        what = f"expected `{error.type}`" if error.is_missing else "unexpected text"
        raise ParseError(f"shell syntax error: {what}", span.line, span.column, span.end_line, span.end_column)
    misplaced = _reserved_word_command(tree.root_node, masked)
    if misplaced is not None:
        span = source.span(misplaced.start_byte, misplaced.end_byte)
        word = masked[misplaced.start_byte:misplaced.end_byte].decode("utf-8", "replace")
        raise ParseError(f"shell syntax error: `{word}` unexpected (dash stops here: `Syntax error`)", span.line,
                         span.column, span.end_line, span.end_column)
    reader = _Reader(source, masked, tags, eex_values or {})
    program = tuple(reader.visit(tree.root_node, _Context()))
    last_line = source.line_count
    while last_line > 1 and not source.line_text(last_line).strip():
        last_line -= 1
    return EnvScript(source, reader.assignments, reader.exported, tags, reader.fly_block_end, last_line, tree,
                     program)


# Reserved words that tree-sitter-bash accepts as command names but a POSIX shell rejects there
# (`elsif [ ... ]; then` leaves `then` where a command should be: dash says `"then" unexpected`).
RESERVED = frozenset({b"then", b"else", b"elif", b"fi", b"do", b"done", b"esac"})


def _reserved_word_command(root: Any, data: bytes) -> Any | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "command_name" and data[node.start_byte:node.end_byte] in RESERVED:
            return node
        stack.extend(reversed(node.named_children))
    return None


class _Context(value("_Context", "fly default_for commands conditional dead",
                      (ANY, frozenset(), None, False, False))):
    """Where a statement sits; ``dead``: in a subshell, so nothing reaches the release."""

    __slots__ = ()

    def with_(self, **changes: Any) -> "_Context":
        return self._replace(**changes)


class _Reader:
    def __init__(self, source: SourceFile, data: bytes, tags: list[EexTag], eex_values: dict[str, str]):
        self.source = source
        self.data = data
        self.tags = tags
        self.eex_values = eex_values
        self.tag_ends = [tag.end for tag in tags]
        self.assignments: list[ShellAssignment] = []
        self.exported: set[str] = set()
        self.fly_block_end: Span | None = None

    # -- walking -------------------------------------------------------------------------------------------
    def visit(self, node: Any, ctx: _Context) -> list:
        """The statements of a node (for the model to run), recording every assignment in the inventory."""
        kind = node.type
        if kind == "declaration_command":
            return self._declaration(node, ctx)
        if kind == "variable_assignment":
            return [Assign(self._assignment(node, ctx, exported=False))]
        if kind == "variable_assignments":
            return [stmt for child in node.named_children for stmt in self.visit(child, ctx)]
        if kind == "command":
            return [self._command(node, ctx)]
        if kind == "test_command":
            return [self._test(node)]
        if kind == "unset_command":
            names = tuple(self._text(c) for c in node.named_children if c.type in ("variable_name", "word"))
            return [Unset(names, self._span(node))]
        if kind == "if_statement":
            return [self._if(node, ctx)]
        if kind == "case_statement":
            return [self._case(node, ctx)]
        if kind == "list":
            return [self._list(node, ctx)]
        if kind == "negated_command":
            inner = [stmt for child in node.named_children for stmt in self.visit(child, ctx)]
            return [Not(tuple(inner), self._span(node))]
        if kind in ("subshell", "pipeline"):
            # a subshell (and each part of a pipeline, in dash) cannot change the release's environment
            body = [stmt for child in node.named_children for stmt in self.visit(child, ctx.with_(dead=True))]
            return [Block("subshell", tuple(body), self._span(node))]
        if kind in ("while_statement", "for_statement", "c_style_for_statement", "function_definition"):
            body = [stmt for child in node.named_children for stmt in self.visit(child, ctx.with_(conditional=True))]
            return [Block("function" if kind == "function_definition" else "loop", tuple(body), self._span(node))]
        if kind == "comment":
            return []
        if kind == "redirected_statement":
            out = [stmt for child in node.children_by_field_name("body") for stmt in self.visit(child, ctx)]
            for redirect in node.children_by_field_name("redirect"):
                operator = next((c.type for c in redirect.children if not c.is_named), "")
                target = redirect.child_by_field_name("destination")
                if redirect.type == "file_redirect" and operator in (">", ">>", ">|", "&>", "&>>") and target:
                    out.append(Write(self.parts(target), self._span(redirect)))
            return out
        return [stmt for child in node.named_children for stmt in self.visit(child, ctx)]

    def _span(self, node: Any) -> Span:
        return self.source.span(node.start_byte, node.end_byte)

    def _declaration(self, node: Any, ctx: _Context) -> list:
        keyword = node.children[0].type if node.children else ""
        flags = [self._text(c) for c in node.named_children if c.type == "word" and self._text(c).startswith("-")]
        exported = keyword == "export" or (keyword in ("declare", "typeset") and any("x" in f for f in flags))
        out: list = []
        names = []
        for child in node.named_children:
            if child.type == "variable_assignment":
                out.append(Assign(self._assignment(child, ctx, exported=exported)))
            elif child.type == "variable_name" and exported:
                names.append(self._text(child))
                if not ctx.dead:
                    self.exported.add(self._text(child))
        if names:
            out.append(Export(tuple(names), self._span(node)))
        if keyword not in ("export", "local", "readonly"):
            out.insert(0, Command((Lit(keyword),), (), (), self._span(node)))  # declare/typeset: not in dash
        return out

    def _assignment(self, node: Any, ctx: _Context, exported: bool, inventory: bool = True) -> ShellAssignment:
        name_node = node.child_by_field_name("name") or node.named_children[0]
        value_node = node.child_by_field_name("value")
        name = self._text(name_node)
        if value_node is not None:
            parts = self.parts(value_node)
            value_span = self.source.span(value_node.start_byte, value_node.end_byte)
        else:
            parts = ()
            value_span = self.source.span(node.end_byte, node.end_byte)
        item = ShellAssignment(
            name=name, parts=parts, exported=exported,
            span=self.source.span(node.start_byte, node.end_byte),
            name_span=self.source.span(name_node.start_byte, name_node.end_byte),
            value_span=value_span, fly=ctx.fly, default_only=name in ctx.default_for,
            commands=ctx.commands, conditional=ctx.conditional,
        )
        if inventory and not ctx.dead:
            if exported:
                self.exported.add(name)
            self.assignments.append(item)
        return item

    def _command(self, node: Any, ctx: _Context) -> Command:
        """A simple command: its name and arguments as value parts, and the `X=1` prefix assignments that
        apply to that command only (kept out of the inventory)."""
        prefix, name, args = [], (), []
        for child in node.named_children:
            if child.type == "variable_assignment":
                prefix.append(self._assignment(child, ctx, exported=True, inventory=False))
            elif child.type == "command_name":
                name = self.parts(child.named_children[0]) if child.named_children else ()
            elif child.type not in ("comment", "file_redirect", "heredoc_redirect", "herestring_redirect"):
                args.append(self.parts(child))
        return Command(name, tuple(args), tuple(prefix), self._span(node))

    def _test(self, node: Any) -> Test:
        bash = bool(node.children) and node.children[0].type == "[["
        exprs = [c for c in node.named_children if c.type != "comment"]
        expr = self._expr(exprs[0]) if len(exprs) == 1 else ("unknown",)
        return Test(expr, bash, self._span(node))

    def _expr(self, node: Any) -> tuple:
        """A test expression as a small tree: ("unary", op, parts), ("binary", op, left, right),
        ("not", e), ("and", a, b), ("or", a, b), ("word", parts) or ("unknown",)."""
        kind = node.type
        if kind == "unary_expression" and len(node.children) == 2:
            op = self._text(node.children[0])
            if op == "!":
                return ("not", self._expr(node.children[1]))
            return ("unary", op, self.parts(node.children[1]))
        if kind == "binary_expression" and len(node.named_children) >= 2:
            left, right = node.named_children[0], node.named_children[-1]
            op = next((self._text(c) for c in node.children if not c.is_named), "")
            if op in ("&&", "-a"):
                return ("and", self._expr(left), self._expr(right))
            if op in ("||", "-o"):
                return ("or", self._expr(left), self._expr(right))
            return ("binary", op, self.parts(left), self.parts(right))
        if kind == "parenthesized_expression" and node.named_children:
            return self._expr(node.named_children[0])
        if kind in ("word", "string", "raw_string", "simple_expansion", "expansion", "concatenation", "number",
                    "command_substitution"):
            return ("word", self.parts(node))
        return ("unknown",)

    def _if(self, node: Any, ctx: _Context) -> If:
        condition: list = []
        body: list = []
        branches: list[tuple[Any, list]] = []
        seen_then = False
        for child in node.children:
            if child.type == "then":
                seen_then = True
            elif child.type in ("elif_clause", "else_clause"):
                branches.append((child.type, [child]))
            elif not seen_then and child.is_named:
                condition.append(child)
            elif seen_then and child.is_named:
                body.append(child)
        test = self._classify(condition)
        then_ctx, else_ctx = self._branch_contexts(test, ctx)
        if test == ("nonempty", "FLY_APP_NAME") and self.fly_block_end is None:
            fi = next((c for c in node.children if c.type == "fi"), None)
            if fi is not None:
                self.fly_block_end = self.source.span(fi.start_byte, fi.end_byte)
        cond_stmts = tuple(stmt for child in condition for stmt in self.visit(child, ctx))
        clauses = [(cond_stmts, tuple(stmt for child in body for stmt in self.visit(child, then_ctx)))]
        otherwise = None
        for kind, (clause,) in branches:
            if kind == "else_clause":
                otherwise = tuple(stmt for child in clause.named_children for stmt in self.visit(child, else_ctx))
            else:
                # an elif: its own condition decides its body; it only runs when the first test failed
                clauses.append(self._if_like(clause, else_ctx))
        return If(tuple(clauses), otherwise, self._span(node))

    def _if_like(self, clause: Any, ctx: _Context) -> tuple:
        condition, body = [], []
        seen_then = False
        for child in clause.children:
            if child.type == "then":
                seen_then = True
            elif child.is_named and not seen_then:
                condition.append(child)
            elif child.is_named and seen_then:
                body.append(child)
        then_ctx, _ = self._branch_contexts(self._classify(condition), ctx)
        cond_stmts = tuple(stmt for child in condition for stmt in self.visit(child, ctx))
        return cond_stmts, tuple(stmt for child in body for stmt in self.visit(child, then_ctx))

    def _branch_contexts(self, test: tuple | None, ctx: _Context) -> tuple[_Context, _Context]:
        if test is None:
            both = ctx.with_(conditional=True)
            return both, both
        kind, name = test
        if name == "FLY_APP_NAME":
            on, off = (ON_FLY, NOT_ON_FLY) if kind == "nonempty" else (NOT_ON_FLY, ON_FLY)

            def fly(ctx_fly: str, branch: str) -> str:
                return NOT_ON_FLY if NOT_ON_FLY in (ctx_fly, branch) else ON_FLY

            return ctx.with_(fly=fly(ctx.fly, on)), ctx.with_(fly=fly(ctx.fly, off))
        guarded = ctx.with_(default_for=ctx.default_for | {name}, conditional=True)
        other = ctx.with_(conditional=True)
        return (guarded, other) if kind == "empty" else (other, guarded)

    def _classify(self, condition: list) -> tuple[str, str] | None:
        """("nonempty"|"empty", VAR) for `[ -n "$VAR" ]`, `[ -z "$VAR" ]`, `[ "$VAR" != "" ]` and `test` forms."""
        if len(condition) != 1:
            return None
        node = condition[0]
        negate = False
        if node.type == "negated_command" and node.named_children:
            negate, node = True, node.named_children[0]
        if node.type != "test_command" or len(node.named_children) != 1:
            return None
        expr = node.named_children[0]
        result = None
        if expr.type == "unary_expression" and len(expr.children) == 2:
            op = self._text(expr.children[0])
            var = self._single_var(expr.children[1])
            if var and op in ("-n", "-z"):
                result = ("nonempty" if op == "-n" else "empty", var)
        elif expr.type == "binary_expression" and len(expr.named_children) >= 2:
            left, right = expr.named_children[0], expr.named_children[-1]
            op = next((self._text(c) for c in expr.children if not c.is_named), "")
            var = self._single_var(left)
            empty = self._text(right) in ('""', "''")
            if var and empty and op in ("=", "==", "!="):
                result = ("nonempty" if op == "!=" else "empty", var)
        if result and negate:
            result = ("empty" if result[0] == "nonempty" else "nonempty", result[1])
        return result

    def _single_var(self, node: Any) -> str | None:
        parts = self.parts(node)
        if len(parts) == 1 and isinstance(parts[0], Var) and parts[0].op == "":
            return parts[0].name
        return None

    def _case(self, node: Any, ctx: _Context) -> Case:
        subject = node.child_by_field_name("value") or (node.named_children[0] if node.named_children else None)
        subject_var = self._single_var(subject) if subject is not None else None
        items = []
        for item in node.named_children:
            if item.type != "case_item":
                continue
            patterns = [c for c in item.children_by_field_name("value")] or [
                c for c in item.named_children if c.type in ("extglob_pattern", "word", "string", "raw_string", "concatenation")
            ]
            if subject_var in ("RELEASE_COMMAND", "1"):
                texts = [self._text(p).strip("\"'") for p in patterns]
                commands = frozenset(c for c in COMMANDS if any(fnmatch.fnmatchcase(c, t) for t in texts))
                if ctx.commands is not None:
                    commands &= ctx.commands
                item_ctx = ctx.with_(commands=commands)
            else:
                item_ctx = ctx.with_(conditional=True)
            body = tuple(stmt for child in item.named_children if child not in patterns
                         for stmt in self.visit(child, item_ctx))
            items.append((tuple(self._pattern(p) for p in patterns), body))
        parts = self.parts(subject) if subject is not None else ()
        return Case(parts, tuple(items), self._span(node))

    def _pattern(self, node: Any) -> str | None:
        """A case pattern as a glob (quotes removed), or None when it holds an expansion."""
        parts = self.parts(node)
        if all(isinstance(p, Lit) for p in parts):
            text = "".join(p.text for p in parts)
            return text if node.type not in ("string", "raw_string") else _quote_glob(text)
        return None

    def _list(self, node: Any, ctx: _Context) -> AndOr:
        """`a && b || c`: the statements and the operators between them (tree-sitter nests them left)."""
        children = node.children
        if len(children) == 3 and children[1].type in ("&&", "||"):
            left, op, right = children
            first = self.visit(left, ctx)
            test = self._classify([left])
            then_ctx, else_ctx = self._branch_contexts(test, ctx)
            second = self.visit(right, then_ctx if op.type == "&&" else else_ctx)
            return AndOr(tuple(first), ((op.type, tuple(second)),), self._span(node))
        named = [c for c in node.named_children]
        body = tuple(stmt for child in named for stmt in self.visit(child, ctx.with_(conditional=True)))
        return AndOr(body, (), self._span(node))

    # -- values --------------------------------------------------------------------------------------------
    def _text(self, node: Any) -> str:
        return self.source.data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def parts(self, node: Any, quoted: bool = False) -> tuple:
        kind = node.type
        if kind == "string":
            out: list = []
            cursor = node.start_byte + 1
            for child in node.named_children:
                if child.start_byte > cursor:
                    out.extend(self._literal(cursor, child.start_byte, quoted=True))
                out.extend(self.parts(child, quoted=True))
                cursor = child.end_byte
            if node.end_byte - 1 > cursor:
                out.extend(self._literal(cursor, node.end_byte - 1, quoted=True))
            return merge(out)
        if kind == "raw_string":
            return (Lit(self._text(node)[1:-1]),)
        if kind == "ansi_c_string":
            return (Lit(self._text(node)[2:-1]),)
        if kind == "string_content":
            return merge(self._literal(node.start_byte, node.end_byte, quoted=True))
        if kind == "simple_expansion":
            name = node.named_children[0] if node.named_children else None
            return (Var(self._text(name)),) if name is not None else (Lit(self._text(node)),)
        if kind == "expansion":
            return (self._expansion(node),)
        if kind in ("command_substitution", "arithmetic_expansion"):
            inner = self._text(node)
            inner = inner[2:-1] if inner.startswith("$(") else inner.strip("`")
            return (Cmd(inner.strip()),)
        if kind == "concatenation":
            out = []
            cursor = node.start_byte
            for child in node.children:
                if child.start_byte > cursor:
                    out.extend(self._literal(cursor, child.start_byte, quoted=quoted))
                out.extend(self.parts(child, quoted=quoted))
                cursor = child.end_byte
            return merge(out)
        return merge(self._literal(node.start_byte, node.end_byte, quoted=quoted))

    def _expansion(self, node: Any) -> Var:
        name = ""
        op = ""
        arg: list = []
        for child in node.children:
            if child.type in ("${", "}"):
                continue
            if child.type == "variable_name" and not name:
                name = self._text(child)
            elif not child.is_named and not arg:
                op += child.type
            elif child.type == "special_variable_name" and not name:
                name = self._text(child)
            else:
                arg.extend(self.parts(child, quoted=True))
        return Var(name, op, merge(arg))

    def _literal(self, start: int, end: int, quoted: bool) -> list:
        """Literal text between offsets, with EEx output tags turned into Eex parts and escapes removed."""
        out: list = []
        cursor = start
        index = bisect.bisect_right(self.tag_ends, start)  # tags are sorted and disjoint
        while index < len(self.tags):
            tag = self.tags[index]
            index += 1
            if tag.start >= end:
                break
            if tag.end <= start:
                continue
            if tag.start > cursor:
                out.append(Lit(_unescape(self.source.data[cursor : tag.start].decode("utf-8", "replace"), quoted)))
            if tag.kind == "output":
                out.append(Eex(tag.code, self.eex_values.get(tag.code)))
            cursor = max(cursor, tag.end)
        if end > cursor:
            out.append(Lit(_unescape(self.source.data[cursor:end].decode("utf-8", "replace"), quoted)))
        return out


def _unescape(text: str, quoted: bool) -> str:
    if "\\" not in text:
        return text
    out = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "\n":
                i += 2
                continue
            if not quoted or nxt in '"\\$`':
                out.append(nxt)
                i += 2
                continue
        out.append(ch)
        i += 1
    return "".join(out)
