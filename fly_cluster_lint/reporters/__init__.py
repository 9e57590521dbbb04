"""One module per output format. Each takes the lint Result and returns the text to print.

No reporter masks secrets by replacing text in what it produced: values are masked where output is built
(model/secrets.py), and text from the repository is made printable (reporters/printable.py).
"""

from __future__ import annotations

FORMATS = ("text", "json", "github", "sarif", "markdown")


def render(fmt: str, result, *, color: bool = False, quiet: bool = False, statistics: bool = False,
           fixed: int | None = None) -> str:
    import importlib

    if statistics:
        from fly_cluster_lint.reporters import text

        return text.statistics(result)
    module = importlib.import_module(f"fly_cluster_lint.reporters.{fmt}")
    if fmt == "text":
        return module.render(result, color=color, quiet=quiet, fixed=fixed)
    return module.render(result, color=color)
