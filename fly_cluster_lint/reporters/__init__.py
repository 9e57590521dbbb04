"""One module per output format. Each takes the lint Result and returns the text to print."""

from __future__ import annotations

FORMATS = ("text", "json", "github", "sarif")


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


def mask(text: str, secrets: frozenset) -> str:
    """Replace every known secret value (cookies) with ****: no output format may carry one."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "****")
    return text
