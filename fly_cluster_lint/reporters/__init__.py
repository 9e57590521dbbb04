"""One module per output format. Each takes the lint Result and returns the text to print."""

from __future__ import annotations

FORMATS = ("text", "json")


def render(fmt: str, result, *, color: bool = False) -> str:
    if fmt == "json":
        from fly_cluster_lint.reporters import json as module
    else:
        from fly_cluster_lint.reporters import text as module
    return module.render(result, color=color)


def mask(text: str, secrets: frozenset) -> str:
    """Replace every known secret value (cookies) with ****: no output format may carry one."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, "****")
    return text
