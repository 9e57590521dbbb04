"""FCL4xx: the release cookie."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.diagnostics import Finding
from fly_cluster_lint.model.app import App
from fly_cluster_lint.model.environment import DEFAULT, ENV_SH
from fly_cluster_lint.source import anchor, missing_span

if TYPE_CHECKING:
    from typing import Iterator


def cookie_not_fixed(app: App) -> Iterator[Finding]:
    """FCL401: RELEASE_COOKIE is random per build (no env value, no mix.exs cookie:, no declared secret)."""
    env = app.environment
    if not env.complete or app.mix_error is not None:
        return
    value = env.get("RELEASE_COOKIE")
    if value is None or value.setting.layer != DEFAULT or value.parts is not None:
        return  # set somewhere (a cookie made at boot is FCL406)
    if "RELEASE_COOKIE" in app.settings.secrets and any(
            s.layer == ENV_SH and status == "emptied" for s, status in value.history):
        return  # FCL403: env.sh.eex replaces the declared secret (here with an empty value)
    span = anchor((app.toml.key_span(("app",)) if app.toml is not None else None) or missing_span(app.toml_path))
    yield Finding(span, "no fixed RELEASE_COOKIE: every image build makes a new random one", None,
                  "set one with `fly secrets set RELEASE_COOKIE=...` and declare it: `secrets = [\"RELEASE_COOKIE\"]` "
                  "in .fly-cluster-lint.toml, or `--secrets-from` the output of `fly secrets list`")


def cookie_differs_per_machine(app: App) -> Iterator[Finding]:
    """FCL406: each machine ends up with its own cookie: RELEASE_COOKIE generated at boot, or a `-setcookie`
    in vm.args (the release script passes one too; with two, OTP uses neither and reads ~/.erlang.cookie).
    In remote.vm.args it only breaks `remote`/`rpc`: FCL207."""
    model = app.vm_args[0]
    for word in model.words if model is not None else ():
        if word.text == "-setcookie":
            yield Finding(word.span, f"`-setcookie` in {word.span.file}: the release script passes a cookie too",
                          None, "remove it and set the cookie as the Fly secret RELEASE_COOKIE")
    env = app.environment
    if not env.complete:
        return
    value = env.get("RELEASE_COOKIE")
    if value is not None and value.setting.layer != DEFAULT and _random_at_boot(value.parts):
        yield Finding(value.setting.span, "RELEASE_COOKIE is generated at boot, so each machine has its own", None,
                      "set it once with `fly secrets set RELEASE_COOKIE=...` (kept by `${RELEASE_COOKIE:-...}`)")


RANDOM_SOURCES = ("urandom", "/dev/random", "openssl rand", "uuidgen", "mktemp", "$RANDOM", "date ")


def _random_at_boot(parts: tuple | None) -> bool:
    """A value made at boot by a command that gives a different result each time."""
    from fly_cluster_lint.parsers.words import Cmd, Var

    for part in parts or ():
        if isinstance(part, Cmd) and any(s in part.text for s in RANDOM_SOURCES):
            return True
        if isinstance(part, Var) and _random_at_boot(part.arg):
            return True
    return False


def cookie_in_repo(app: App) -> Iterator[Finding]:
    """FCL402: a literal cookie is committed to the repository."""
    from fly_cluster_lint.model.cookies import literal_cookies

    for span, _, where in literal_cookies(app):
        yield Finding(span, f"a literal release cookie is committed in {where} (not shown)", None,
                      "move it to a Fly secret: `fly secrets set RELEASE_COOKIE=...`, and declare it in `secrets`")


def cookie_overrides_secret(app: App) -> Iterator[Finding]:
    """FCL403: env.sh.eex exports RELEASE_COOKIE unconditionally although it is a declared Fly secret."""
    from fly_cluster_lint.parsers.shell import NOT_ON_FLY
    from fly_cluster_lint.parsers.words import Var

    script = app.env_sh
    if script is None or "RELEASE_COOKIE" not in app.settings.secrets:
        return
    for item in script.assignments_of("RELEASE_COOKIE"):
        parts = item.parts
        keeps = len(parts) == 1 and isinstance(parts[0], Var) and parts[0].name == "RELEASE_COOKIE" and parts[0].op in (":-", "-", "")
        if keeps or item.default_only or item.fly == NOT_ON_FLY:
            continue
        yield Finding(item.name_span, "env.sh.eex replaces the Fly secret RELEASE_COOKIE at boot", None,
                      "write `export RELEASE_COOKIE=\"${RELEASE_COOKIE:-...}\"`, or drop the export")


def cookie_build_time(app: App) -> Iterator[Finding]:
    """FCL404: mix.exs `cookie:` reads the environment, which happens when the release is built."""
    release = app.release
    if release is None or release.cookie_kind != "build-env" or release.cookie_span is None:
        return
    yield Finding(release.cookie_span, "the release `cookie:` reads the environment at build time, not at boot", None,
                  "drop the option and set RELEASE_COOKIE as a Fly secret (read at boot)")


def cookie_weak(app: App) -> Iterator[Finding]:
    """FCL405: a literal cookie that is short or has characters outside [A-Za-z0-9_]."""
    from fly_cluster_lint.model.cookies import literal_cookies

    for span, cookie, where in literal_cookies(app):
        short = len(cookie) < 32
        odd = any(not (ch.isascii() and (ch.isalnum() or ch == "_")) for ch in cookie)
        if not (short or odd):
            continue
        why = []
        if short:
            why.append(f"it has {len(cookie)} characters (fewer than 32)")
        if odd:
            why.append("it has characters outside A-Z a-z 0-9 _")
        yield Finding(span, f"the cookie in {where} is weak: {' and '.join(why)}", None,
                      "use a long random value, e.g. `openssl rand -base64 48 | tr -dc A-Za-z0-9_`")
