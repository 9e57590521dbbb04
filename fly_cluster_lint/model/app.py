"""One app: a fly toml, the Elixir release it deploys, and every file the rules read, parsed lazily."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
TYPE_CHECKING = False  # typing is never imported at run time (start-up time)

from fly_cluster_lint.config import Settings
from fly_cluster_lint.discovery import AppSpec
from fly_cluster_lint.files import FileCache
from fly_cluster_lint.parsers import ParseError
from fly_cluster_lint.paths import display
from fly_cluster_lint.source import Span, anchor, missing_span

if TYPE_CHECKING:
    from typing import Any


class App:
    def __init__(self, spec: AppSpec, files: FileCache, settings: Settings) -> None:
        self.spec = spec
        self.files = files
        self.settings = settings
        self.parse_errors: list[tuple[Path, ParseError]] = []

    def _record(self, path: Path, error: ParseError | None) -> None:
        if error is not None and all(p != path for p, _ in self.parse_errors):
            self.parse_errors.append((path, error))

    def parse_all(self) -> None:
        """Parse every file a rule reads (once), so that parse_errors is complete."""
        for _ in (self.toml, self.projects, self.env_sh, self.dockerfile, self.configs, self.lib, self.vm_args,
                  self.remote_vm_args):
            pass

    # -- fly.toml ------------------------------------------------------------------------------------------
    @cached_property
    def _toml(self) -> tuple[Any, ParseError | None]:
        doc, error = self.files.toml(self.spec.toml)
        self._record(self.spec.toml, error)
        return doc, error

    @property
    def toml(self) -> Any:
        return self._toml[0]

    @property
    def toml_error(self) -> ParseError | None:
        return self._toml[1]

    @property
    def toml_path(self) -> str:
        return display(self.spec.toml)

    @property
    def fly_app(self) -> str | None:
        frozen = self.__dict__.get("_frozen")
        if frozen is not None:
            return frozen["fly_app"]
        name = self.toml.get("app") if self.toml is not None else None
        return name if isinstance(name, str) else None

    # -- mix projects ----------------------------------------------------------------------------------------
    @cached_property
    def mix(self) -> Any:
        from fly_cluster_lint.model.mix import read_mix

        path = self.spec.project / "mix.exs"
        file, error = self.files.elixir(path)
        self._record(path, error)
        return read_mix(self.spec.project, file)

    @property
    def mix_error(self) -> ParseError | None:
        return next((e for p, e in self.parse_errors if p == self.spec.project / "mix.exs"), None)

    @cached_property
    def projects(self) -> list[Any]:
        """The root project and, for an umbrella, every `apps/*` project."""
        from fly_cluster_lint.model.mix import read_mix

        out = [self.mix]
        if self.mix.is_umbrella:
            for child in self.files.listdir(self.spec.project / self.mix.apps_path):
                path = child.path / "mix.exs"
                if child.kind == "dir" and not child.symlink and self.files.is_file(path):
                    file, error = self.files.elixir(path)
                    self._record(path, error)
                    out.append(read_mix(child.path, file))
        return out

    @property
    def mix_app(self) -> str | None:
        """The OTP app of the project (for an umbrella: the first child that has one)."""
        frozen = self.__dict__.get("_frozen")
        if frozen is not None:
            return frozen["mix_app"]
        if self.mix.app:
            return self.mix.app
        return next((p.app for p in self.projects[1:] if p.app), None)

    @property
    def release(self) -> Any:
        """The release the image builds: the one `mix release <name>` names, else the first one mix.exs
        defines (None when mix.exs defines none: the release is then named after the app)."""
        named = self.__dict__.get("_built_release", False)
        if named is False:
            named = self._built_release = self._release_named_in_dockerfile()
        first = None
        for project in self.projects:
            for name, release in project.releases.items():
                if named is None or name == named:
                    return release
                first = first or release
        return first

    def _release_named_in_dockerfile(self) -> str | None:
        from fly_cluster_lint.model.docker import run_lines

        docker = self.dockerfile
        if docker is None:
            return None
        for stage in docker.stages:
            for ins in stage.instructions:
                if ins.keyword != "RUN":
                    continue
                for words in run_lines(ins):
                    while words and words[0] is not None and "=" in words[0]:
                        words = words[1:]
                    if not words or words[0] != "mix":
                        continue
                    rest = [w.strip(",") if w else w for w in words[1:]]
                    if "release" in rest:
                        after = rest[rest.index("release") + 1:]
                        name = next((w for w in after if w and not w.startswith("-")), None)
                        if name is not None and name.isidentifier():
                            return name
        return None

    @property
    def release_name(self) -> str | None:
        frozen = self.__dict__.get("_frozen")
        if frozen is not None:
            return frozen["release_name"]
        return self.release.name if self.release is not None else self.mix_app

    def has_dep(self, name: str) -> bool:
        return any(name in p.deps for p in self.projects)

    # -- files -----------------------------------------------------------------------------------------------
    @property
    def rel_dir(self) -> Path:
        custom = self.release.rel_templates_path if self.release is not None else None
        return self.spec.project / (custom or "rel")

    @property
    def env_sh_path(self) -> Path:
        return self.rel_dir / "env.sh.eex"

    @property
    def env_sh_display(self) -> str:
        return display(self.env_sh_path)

    @cached_property
    def _env_sh(self) -> tuple[Any, ParseError | None]:
        from fly_cluster_lint.parsers.shell import parse_env_sh

        values = {"@release.name": self.release_name or "", "@release.version": self.mix.version or ""}
        values = {k: v for k, v in values.items() if v}
        result = self.files.parse(self.env_sh_path, "env_sh", lambda source: parse_env_sh(source, values))
        self._record(self.env_sh_path, result[1])
        return result

    @property
    def env_sh(self) -> Any:
        return self._env_sh[0]

    @property
    def env_sh_error(self) -> ParseError | None:
        return self._env_sh[1]

    @cached_property
    def _dockerfile(self) -> tuple[Any, ParseError | None]:
        if self.spec.dockerfile is None:
            return None, None
        result = self.files.dockerfile(self.spec.dockerfile)
        self._record(self.spec.dockerfile, result[1])
        return result

    @property
    def dockerfile(self) -> Any:
        return self._dockerfile[0]

    @property
    def dockerfile_error(self) -> ParseError | None:
        return self._dockerfile[1]

    @cached_property
    def configs(self) -> Any:
        from fly_cluster_lint.model.configs import load_configs

        result = load_configs(self.spec.project / "config", self.files)
        for path, error in result.errors:
            self._record(path, error)
        result.rewritten = [p for p in self.rewritten if p.parent == self.spec.project / "config"]
        return result

    @cached_property
    def lib(self) -> Any:
        from fly_cluster_lint.model.supervision import read_lib

        result = read_lib([p.dir for p in self.projects], self.files)
        for path, error in result.errors:
            self._record(path, error)
        return result

    @cached_property
    def vm_args(self) -> tuple[Any, ParseError | None]:
        """rel/vm.args.eex (read by start, daemon and eval): (model or None, error or None)."""
        return self._vm_args("vm.args.eex")

    @cached_property
    def remote_vm_args(self) -> tuple[Any, ParseError | None]:
        """rel/remote.vm.args.eex (read by remote and rpc)."""
        return self._vm_args("remote.vm.args.eex")

    def _vm_args(self, name: str) -> tuple[Any, ParseError | None]:
        from fly_cluster_lint.parsers.vm_args import parse_vm_args

        if self.files.kind(self.rel_dir) == "outside":
            return None, None  # the templates folder leads out of the repository: FCL001 on env.sh.eex says so
        path = self.rel_dir / name
        result = self.files.parse(path, "vm_args", parse_vm_args)
        self._record(path, result[1])
        return result

    @cached_property
    def lock(self) -> dict[str, str]:
        """Locked hex versions from the root project's mix.lock (empty when absent or unreadable)."""
        from fly_cluster_lint.model.lock import read_lock

        path = self.spec.project / "mix.lock"
        file, error = self.files.elixir(path)
        self._record(path, error)
        return read_lock(file)

    @property
    def docker_context(self) -> Path:
        """The Docker build context: `fly deploy` builds the folder it runs in. That is the toml's folder
        when the project lies inside it (the usual layout); for a toml kept in a subfolder of the project
        (`fly deploy --config deploy/fly.toml` from the project root) it is the project's folder."""
        toml_dir = self.spec.toml.parent
        project = self.spec.project
        if toml_dir == project or toml_dir in project.parents:
            return toml_dir
        return project

    def context_path(self, path: Path) -> str | None:
        """A path relative to the build context (posix), or None when outside it."""
        try:
            return path.relative_to(self.docker_context).as_posix()
        except ValueError:
            return None

    # -- the image ----------------------------------------------------------------------------------------------
    @cached_property
    def build_args(self) -> dict:
        """`[build.args]` of the fly toml (they override the Dockerfile's ARG defaults)."""
        table = self.toml.get("build", "args", default={}) if self.toml is not None else {}
        if not isinstance(table, dict):
            return {}
        return {str(k): v if isinstance(v, str) else str(v).lower() if isinstance(v, bool) else str(v)
                for k, v in table.items()}

    @cached_property
    def image_shell(self) -> str:
        """The /bin/sh of the final image: "dash" (Debian and most images) or "ash" (busybox, Alpine)."""
        from fly_cluster_lint.model.docker import base_image, shell_of

        if self.dockerfile is None:
            return "dash"
        return shell_of(base_image(self.dockerfile, self.build_args))

    @cached_property
    def packaging(self) -> Any:
        """Whether env.sh.eex reaches the release in the image (model/docker.Packaging)."""
        from fly_cluster_lint.model.docker import packaging

        return packaging(self)

    @property
    def template_ships(self) -> bool | str:
        """True, or why the project's env.sh.eex never reaches the image (then Mix's default env.sh ships)."""
        found = self.packaging
        return True if found.ships else found.reason

    @cached_property
    def rewritten(self) -> dict:
        """Repository files the Docker build replaces before `mix release` ({path: span}): rules that read
        them stay silent rather than guess (model/docker.rewritten_files)."""
        from fly_cluster_lint.model.docker import rewritten_files

        try:
            return rewritten_files(self)
        except RecursionError:
            return {}

    @cached_property
    def entrypoint_scripts(self) -> list:
        """Repository scripts the image runs before it execs the release (model/image.py)."""
        from fly_cluster_lint.model.image import entrypoint_scripts

        return entrypoint_scripts(self)

    # -- the effective environment ---------------------------------------------------------------------------
    @cached_property
    def environment(self) -> Any:
        """What `bin/<release> start` boots with, env.sh.eex as written (the value rules judge this)."""
        from fly_cluster_lint.model.environment import build_environment

        return build_environment(self, "start")

    @cached_property
    def boot_environment(self) -> Any:
        """What really boots: the image's /bin/sh runs env.sh (dash skips a `[[` block) and Mix's default
        env.sh ships when the image never gets the project's env.sh.eex (FCL004, FCL005 report the
        difference from the files as written). `fly-cluster-lint env` shows this."""
        from fly_cluster_lint.model.environment import build_environment

        return build_environment(self, "start", boot=True)

    def environment_for(self, command: str) -> Any:
        from fly_cluster_lint.model.environment import build_environment

        if command == "start":
            return self.environment
        built = self.__dict__.setdefault("_environments", {})
        if command not in built:
            built[command] = build_environment(self, command)
        return built[command]

    HEAVY = ("_toml", "mix", "projects", "_env_sh", "_dockerfile", "configs", "lib", "lock", "environment",
             "_environments", "vm_args", "remote_vm_args", "_secrets", "boot_environment", "entrypoint_scripts",
             "packaging", "build_args", "image_shell", "rewritten")

    def freeze(self) -> None:
        """Keep what reporters need (names, summary, secrets) and let the parse trees go: a monorepo of
        hundreds of apps must not hold every app's trees at once."""
        self._frozen = {"clustering_configured": self.clustering_configured, "secrets": self.secrets,
                        "fly_app": self.fly_app, "mix_app": self.mix_app, "release_name": self.release_name}
        for name in self.HEAVY:
            self.__dict__.pop(name, None)

    @property
    def clustering_configured(self) -> bool:
        """Any sign that clustering was set up: a discovery child or dep, name distribution, a query."""
        frozen = self.__dict__.get("_frozen")
        if frozen is not None:
            return frozen["clustering_configured"]
        if self.lib.children or self.has_dep("dns_cluster") or self.has_dep("libcluster"):
            return True
        env = self.environment
        distribution = env.get("RELEASE_DISTRIBUTION")
        if distribution is not None and distribution.literal == "name":
            return True
        return env.get("DNS_CLUSTER_QUERY") is not None

    @property
    def secrets(self) -> Any:
        """The app's secret names and literal secret values (model/secrets.py): never in any output."""
        frozen = self.__dict__.get("_frozen")
        if frozen is not None:
            return frozen["secrets"]
        found = self.__dict__.get("_secrets")
        if found is None:
            from fly_cluster_lint.model.secrets import collect

            found = self._secrets = collect(self)
        return found

    # -- where missing things go -----------------------------------------------------------------------------
    def env_sh_insertion(self) -> Span:
        """Where a missing export belongs: before the `fi` of the Fly block, else the end of env.sh.eex."""
        script = self.env_sh
        if script is None:
            return missing_span(self.env_sh_display)
        if script.fly_block_end is not None:
            return anchor(script.fly_block_end)
        end = script.source.line_span(script.last_line)
        return anchor(script.source.span(end.end_byte, end.end_byte))  # just after the last statement

    def file_start(self, path: Path) -> Span:
        return missing_span(display(path))

    def describe(self) -> str:
        return f"{self.fly_app or '?'} ({self.toml_path})"


