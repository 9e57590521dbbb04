"""What the image runs: the final command (fly.toml [processes] or [experimental], else the Dockerfile's
ENTRYPOINT and CMD), followed through repository scripts to the release's own start."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Any


def entrypoint_scripts(app: Any) -> list:
    return []
