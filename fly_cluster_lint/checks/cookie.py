"""FCL4xx: the release cookie."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.app import App
from fly_cluster_lint.model.environment import DEFAULT
from fly_cluster_lint.source import missing_span

if TYPE_CHECKING:
    from typing import Iterator


def cookie_not_fixed(app: App) -> Iterator[Finding]:
    """FCL401: RELEASE_COOKIE is random per build (no env value, no mix.exs cookie:, no declared secret)."""
    env = app.environment
    if not env.complete or app.mix_error is not None:
        return
    value = env.get("RELEASE_COOKIE")
    if value is None or value.setting.layer != DEFAULT or value.parts is not None:
        return
    span = (app.toml.key_span(("app",)) if app.toml is not None else None) or missing_span(app.toml_path)
    yield Finding(span,
                  "no fixed RELEASE_COOKIE: every image build gets a new random cookie, so anything outside this "
                  "one image (a local node over WireGuard, another app, fly_rpc, old machines during a rolling "
                  "deploy) is rejected with 'Invalid challenge reply'; run `fly secrets set "
                  "RELEASE_COOKIE=$(openssl rand -base64 48 | tr -dc A-Za-z0-9_ | head -c 48)` and declare it "
                  "with `secrets = [\"RELEASE_COOKIE\"]` in .fly-cluster-lint.toml")
