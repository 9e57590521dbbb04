"""FCL1xx: Erlang distribution over IPv6 (`-proto_dist inet6_tcp`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.app import App
from fly_cluster_lint.model.environment import ERL_FLAG_VARS, count_flag

if TYPE_CHECKING:
    from typing import Iterator

FLAG = "-proto_dist"


def proto_dist_missing(app: App) -> Iterator[Finding]:
    """FCL101: nothing the `start` command reads carries -proto_dist."""
    env = app.environment
    vm_args, vm_error = app.vm_args
    if not env.complete or vm_error is not None:
        return
    total = len(vm_args.flags(FLAG)) if vm_args is not None else 0
    for var in ERL_FLAG_VARS:
        count = count_flag(env.effective(var), FLAG)
        if count is None:
            return  # a secret: the tool cannot see it
        total += count
    if total:
        return
    consequence = ("the node listens on IPv4 only while Fly's private network is IPv6: peers get :pang "
                   "and Node.list() stays empty")
    # A later assignment that replaced a value which had the flag is the place to fix.
    for var in ERL_FLAG_VARS:
        value = env.get(var)
        if value is None:
            continue
        lost = [s for s, status in value.history if status == "overridden" and s.parts and FLAG in
                " ".join(p.text for p in s.parts if hasattr(p, "text") and isinstance(p.text, str))]
        if lost and value.setting.span is not None:
            where = lost[-1].span
            origin = f" set at {where.file}:{where.line}" if where else ""
            yield Finding(value.setting.span,
                          f"{var} is replaced here and the new value drops `-proto_dist inet6_tcp`{origin}: "
                          f"{consequence}; keep the flag in this assignment (exactly once)")
            return
    yield Finding(app.env_sh_insertion(),
                  f"no `-proto_dist inet6_tcp` in ERL_AFLAGS, ERL_FLAGS, ERL_ZFLAGS, ELIXIR_ERL_OPTIONS or "
                  f"vm.args.eex: {consequence}; add `export ERL_AFLAGS=\"-proto_dist inet6_tcp\"` to "
                  f"{app.env_sh_display}")
