"""Cheap record classes.

Start-up time is this tool's performance budget, and `dataclasses` costs several milliseconds to import
plus about a quarter of a millisecond per class. Values are named tuples that compare by type as well as by
content (``Lit("a") != Cmd("a")``); mutable records are plain slotted classes built by ``Record``.
"""

from __future__ import annotations

from collections import namedtuple


def value(name: str, fields: str, defaults: tuple = ()) -> type:
    """A hashable, immutable named tuple type that is only equal to values of the same type."""
    base = namedtuple(name, fields, defaults=defaults)

    def __eq__(self, other):  # noqa: N807
        return type(self) is type(other) and tuple.__eq__(self, other)

    def __ne__(self, other):  # noqa: N807
        return not __eq__(self, other)

    def __hash__(self):  # noqa: N807
        return hash((name, tuple(self)))

    return type(name, (base,), {"__slots__": (), "__eq__": __eq__, "__ne__": __ne__, "__hash__": __hash__})


class Record:
    """A mutable record: positional or keyword construction over ``__slots__``; ``_defaults`` gives the
    optional fields (a type such as ``list`` is called for a fresh value)."""

    __slots__ = ()
    _defaults: dict = {}

    def __init__(self, *args, **kwargs) -> None:
        names = self.__slots__
        for name, arg in zip(names, args):
            setattr(self, name, arg)
        for name in names[len(args):]:
            if name in kwargs:
                setattr(self, name, kwargs.pop(name))
            else:
                default = self._defaults[name]
                setattr(self, name, default() if isinstance(default, type) else default)
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unknown fields {sorted(kwargs)}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{n}={getattr(self, n, None)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"
