"""FCL0xx: the project files themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.app import App
from fly_cluster_lint.paths import display
from fly_cluster_lint.source import Span, missing_span

if TYPE_CHECKING:
    from typing import Iterator


def parse_error(app: App) -> Iterator[Finding]:
    """FCL001: every file a rule reads, parsed once; report the first error of each that fails."""
    app.toml, app.projects, app.env_sh, app.dockerfile, app.configs, app.lib, app.vm_args, app.remote_vm_args
    for path, error in app.parse_errors:
        span = Span(display(path), error.line, error.column, error.end_line, error.end_column)
        yield Finding(span, f"cannot parse {display(path)}: {error.message}; rules that need this file were skipped")


def env_sh_missing(app: App) -> Iterator[Finding]:
    """FCL002: no <rel_templates_path>/env.sh.eex."""
    if app.mix_error is not None or app.env_sh is not None or app.env_sh_error is not None:
        return
    where = app.env_sh_display
    custom = app.release.rel_templates_path if app.release is not None else None
    origin = f" (rel_templates_path is `{custom}` in mix.exs)" if custom else ""
    yield Finding(
        missing_span(where),
        f"{where} does not exist{origin}: the release boots with RELEASE_DISTRIBUTION=sname, no node name "
        f"on the private network and no -proto_dist inet6_tcp, so no node ever joins a cluster; create it "
        f"with the Fly block (`if [ -n \"$FLY_APP_NAME\" ]; then export RELEASE_DISTRIBUTION=name ...`)",
    )
