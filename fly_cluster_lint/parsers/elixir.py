"""Elixir source (mix.exs, config/*.exs, lib/**/*.ex) through tree-sitter-elixir.

Nothing is evaluated: the helpers here read the syntax tree and turn literal terms (atoms, strings,
keyword lists, tuples, aliases) into Python values, leaving everything else as the node itself.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.parsers import ParseError, text_of
from fly_cluster_lint.records import value
from fly_cluster_lint.source import SourceFile, Span

if TYPE_CHECKING:
    from typing import Any, Iterator


class Atom(value("Atom", "name")):
    __slots__ = ()


class Alias(value("Alias", "name")):
    __slots__ = ()


class ElixirFile:
    def __init__(self, source: SourceFile, tree: Any):
        self.source = source
        self.tree = tree
        self.root = tree.root_node

    def _index(self) -> tuple[list, list]:
        """One walk of the tree: the call nodes with their names, and the comments."""
        found = self.__dict__.get("_indexed")
        if found is None:
            calls, comments = [], []
            for node in self.walk():
                kind = node.type
                if kind == "call":
                    calls.append((self.call_name(node), node))
                elif kind == "comment":
                    comments.append((node.start_byte, node.end_byte))
            found = self._indexed = (calls, comments)
        return found

    @property
    def comments(self) -> list[tuple[int, int]]:
        return self._index()[1]

    def text(self, node: Any) -> str:
        return self.source.data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")

    def span(self, node: Any) -> Span:
        return self.source.span(node.start_byte, node.end_byte)

    # -- generic tree helpers ------------------------------------------------------------------------------
    def walk(self, node: Any = None) -> Iterator[Any]:
        stack = [node or self.root]
        while stack:
            current = stack.pop()
            yield current
            stack.extend(reversed(current.named_children))

    def calls(self, *names: str) -> Iterator[Any]:
        """Call nodes with one of these names, in document order (the tree is walked once per file)."""
        for name, node in self._index()[0]:
            if name in names:
                yield node

    def call_name(self, node: Any) -> str:
        """`config` for `config ...`, `Application.get_env` for remote calls, "" otherwise."""
        target = node.child_by_field_name("target")
        if target is None:
            return ""
        if target.type == "identifier":
            return self.text(target)
        if target.type == "dot":
            left = target.child_by_field_name("left")
            right = target.child_by_field_name("right")
            if left is not None and right is not None:
                return self.text(left) + "." + self.text(right)
        return ""

    def args(self, node: Any) -> list[Any]:
        """Positional argument nodes of a call; a trailing keyword list stays one `keywords` node."""
        arguments = next((c for c in node.named_children if c.type == "arguments"), None)
        return [c for c in arguments.named_children if c.type != "comment"] if arguments is not None else []

    def do_block(self, node: Any) -> Any | None:
        return next((c for c in node.named_children if c.type == "do_block"), None)

    def ancestors(self, node: Any) -> Iterator[Any]:
        parent = node.parent
        while parent is not None:
            yield parent
            parent = parent.parent

    # -- literal terms -------------------------------------------------------------------------------------
    def literal(self, node: Any, depth: int = 0) -> Any:
        """A Python value for a literal term; the node itself when it is not literal (or nested deeper
        than any configuration term is: hostile input must not exhaust the stack)."""
        if depth > 64:
            return node
        kind = node.type
        if kind == "atom":
            text = self.text(node)[1:]
            return Atom(text.strip('"'))
        if kind == "quoted_atom":
            return Atom(self.text(node)[2:-1])
        if kind == "string":
            if any(c.type == "interpolation" for c in node.named_children):
                return node
            return "".join(self.text(c) for c in node.named_children if c.type in ("quoted_content", "escape_sequence"))
        if kind == "charlist":
            return node
        if kind == "integer":
            try:
                return int(self.text(node).replace("_", ""))
            except ValueError:
                return node
        if kind == "boolean":
            return self.text(node) == "true"
        if kind == "nil":
            return None
        if kind == "alias":
            return Alias(self.text(node))
        if kind == "list":
            items: list = []
            for child in node.named_children:
                if child.type == "comment":
                    continue
                if child.type == "keywords":
                    items.extend(self.keywords(child).items())
                else:
                    items.append(self.literal(child, depth + 1))
            return items
        if kind == "tuple":
            return tuple(self.literal(c, depth + 1) if c.type != "keywords" else self.keywords(c)
                         for c in node.named_children if c.type != "comment")
        if kind == "keywords":
            return self.keywords(node)
        return node

    def keywords(self, node: Any) -> dict:
        """`a: 1, b: 2` as {"a": value node}; values stay nodes so callers keep their positions."""
        out = {}
        for pair in node.named_children:
            if pair.type != "pair":
                continue
            key = pair.child_by_field_name("key") or pair.named_children[0]
            value = pair.child_by_field_name("value") or pair.named_children[-1]
            out[self.text(key).rstrip().rstrip(":").strip('"')] = value
        return out

    def keyword_list(self, node: Any) -> dict | None:
        """Keyword pairs of a `[a: 1]` list or a bare `keywords` node; None for anything else."""
        if node is None:
            return None
        if node.type == "keywords":
            return self.keywords(node)
        if node.type == "list":
            children = [c for c in node.named_children if c.type != "comment"]
            if not children:
                return {}
            if len(children) == 1 and children[0].type == "keywords":
                return self.keywords(children[0])
            out = {}
            for child in children:
                if child.type == "tuple" and len(child.named_children) == 2 and child.named_children[0].type == "atom":
                    out[self.text(child.named_children[0])[1:]] = child.named_children[1]
                else:
                    return None
            return out
        return None

    def binding(self, identifier: Any) -> Any | None:
        """The right-hand side of the first `name = ...` for a variable, anywhere in the same file (the
        file's bindings are indexed once)."""
        found = self.__dict__.get("_bindings")
        if found is None:
            found = {}
            for node in self.walk():
                if node.type == "binary_operator":
                    left = node.child_by_field_name("left")
                    operator = node.child_by_field_name("operator")
                    if left is not None and left.type == "identifier" and operator is not None \
                            and self.text(operator) == "=":
                        found.setdefault(self.text(left), node.child_by_field_name("right"))
            self._bindings = found
        return found.get(self.text(identifier))

    def function_body(self, name: str) -> Any | None:
        """The last expression of `def name` / `defp name` in the file (do-block or `, do:` form)."""
        for call in self.calls("def", "defp"):
            args = self.args(call)
            if not args:
                continue
            head = args[0]
            head_name = self.text(head) if head.type == "identifier" else self.call_name(head) if head.type == "call" else ""
            if head_name != name:
                continue
            block = self.do_block(call)
            if block is not None:
                body = [c for c in block.named_children if c.type != "comment"]
                return body[-1] if body else None
            for arg in args[1:]:
                if arg.type == "keywords":
                    found = self.keywords(arg).get("do")
                    if found is not None:
                        return found
        return None

    def key_node(self, value: Any) -> Any:
        """For a keyword value node, its `key:` node (for positions)."""
        pair = value.parent
        if pair is not None and pair.type == "pair":
            return pair.child_by_field_name("key") or pair.named_children[0]
        return value

    def env_reads(self, node: Any) -> list[tuple[str, Any]]:
        """`System.get_env("X")`, `System.fetch_env!("X")`, `System.fetch_env("X")` below a node: (X, call)."""
        names = ("System.get_env", "System.fetch_env!", "System.fetch_env")
        if node is self.root:
            calls = list(self.calls(*names))
        else:
            calls = [c for c in self.walk(node) if c.type == "call" and self.call_name(c) in names]
        out = []
        for call in calls:
            args = self.args(call)
            value = self.literal(args[0]) if args else None
            if isinstance(value, str):
                out.append((value, call))
        return out


def parse_elixir(source: SourceFile) -> ElixirFile:
    text_of(source)
    from fly_cluster_lint.parsers import treesitter

    tree = treesitter.parse("elixir", source.parser_bytes())
    error = treesitter.first_error(tree.root_node)
    if error is not None:
        if error.is_error and error.children:
            # tree-sitter opens an ERROR where recovery began; the parse failed at its last token
            error = error.children[-1]
            while error.children:
                error = error.children[-1]
            token = source.data[error.start_byte : error.end_byte].decode("utf-8", "replace")
            shown = token.strip() and len(token) <= 12 and not token.startswith(("\"", "'"))
            what = f"unexpected `{token}`" if shown else "unexpected syntax"
        else:
            what = f"missing `{error.type}`" if error.is_missing else "unexpected syntax"
        span = source.span(error.start_byte, max(error.end_byte, error.start_byte + 1))
        raise ParseError(f"Elixir syntax error: {what}", span.line, span.column, span.end_line, span.end_column)
    return ElixirFile(source, tree)
