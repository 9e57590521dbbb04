"""The projects the lab boots, and the environment layers of each, read independently of the linter.

A *target* is one (fly toml, Elixir release) pair of a fixture: a golden case (the base project plus the case's
overlay, minus its delete.txt), a fixture project or an example. Its layers are read here with small readers
of our own: the final-stage Dockerfile `ENV` (`dockerfile_final_env`), `fly.toml [env]` (tomllib), the secrets
declared in `.fly-cluster-lint.toml` (their values are scenario input, see `SECRET_VALUES`), and the release's
templates (`env.sh.eex`, `vm.args.eex`, `remote.vm.args.eex`), which the lab renders with EEx as `mix release`
does. Facts a reader cannot get from these files (an image that never gets `rel/`, a machine that runs `mix`)
are explicit scenario input in `CASE_FACTS`, each with its reason.
"""

from __future__ import annotations

import os
import re
import shutil
try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
BASE = FIXTURES / "base"
CASES = FIXTURES / "cases"
PROJECTS = FIXTURES / "projects"
EXAMPLES = ROOT / "examples"

# The values the lab gives to variables a project declares as Fly secrets (`fly secrets set ...`). The cookie
# is a long random-looking value of letters and digits, never equal to a build's releases/COOKIE.
SECRET_VALUES = {
    "RELEASE_COOKIE": "LabSecretCookie7Q2W9E4R1T8Y5U3I6O0PzXcVbNmAsDfGhJk",
    "DNS_CLUSTER_QUERY": "{app}.internal",
    "DATABASE_URL": "ecto://lab:lab@{app}-db.internal/lab",
}
DEFAULT_SECRET = "lab-secret-value"

# Facts about an image or a machine that the files the lab reads cannot tell, per golden case.
CASE_FACTS: dict[str, dict] = {
    "fcl004-copied-after-release": {
        "rel_in_image": False,
        "why": "the builder runs `mix release` before `COPY rel rel`, so the image gets Mix's default env.sh",
    },
    "fcl004-dockerignore": {
        "rel_in_image": False,
        "why": "`.dockerignore` excludes rel/, so the image gets Mix's default env.sh",
    },
    "fcl004-rel-not-copied": {
        "rel_in_image": False,
        "why": "the builder never copies rel/, so the image gets Mix's default env.sh",
    },
    "fcl401-env-sh-fallback-export": {
        "env_oracle_skip": "env.sh reads the cookie from /etc/cookie, a file of the image that the lab machines do "
        "not have (without it `cat` fails, RELEASE_COOKIE is empty and the script falls back to releases/COOKIE)",
        "why": "the image has /etc/cookie",
    },
    "fcl602-phx-server": {
        "start": "mix",
        "why": "the final stage runs `mix phx.server`; the lab runs the probe with `mix run --no-halt` as if the "
        "image had Mix (the real runner image has no `mix` at all and the machine would not start)",
    },
}


@dataclass
class Target:
    """One (toml, release) pair to boot, with its layers."""

    id: str
    kind: str  # "case", "project" or "example"
    root: Path  # the laid-out repository root (what the linter is pointed at)
    toml: Path
    app: str
    region: str
    toml_env: dict[str, str]
    dockerfile: Path | None
    docker_env: dict[str, str]
    mix_dir: Path
    release: str
    version: str
    templates: Path  # the rel_templates_path folder
    secrets: list[str]
    mix_cookie: str | None
    facts: dict = field(default_factory=dict)
    problem: str | None = None  # why the lab cannot boot it, if it cannot

    def secret_values(self) -> dict[str, str]:
        return {name: SECRET_VALUES.get(name, DEFAULT_SECRET).format(app=self.app) for name in self.secrets}

    def layered_env(self) -> dict[str, str]:
        """Dockerfile ENV, then fly.toml [env], then secrets (each overrides the one before)."""
        env: dict[str, str] = {}
        env.update(self.docker_env)
        env.update(self.toml_env)
        env.update(self.secret_values())
        return env

    def template(self, name: str) -> Path | None:
        if self.facts.get("rel_in_image") is False:
            return None
        path = self.templates / name
        return path if path.is_file() else None

    @property
    def start(self) -> str:
        return self.facts.get("start", "release")


# ---------------------------------------------------------------------------------------------------------
# Laying out the fixtures


def case_dirs() -> list[Path]:
    return sorted(p for p in CASES.iterdir() if p.is_dir())


def layout_case(case: Path, dest: Path) -> Path:
    """The base project plus the case's overlay, minus the paths in delete.txt (as tests/test_cases.py does)."""
    shutil.copytree(BASE, dest)
    delete = case / "delete.txt"
    if delete.exists():
        for rel in delete.read_text().split():
            target = dest / rel
            if target.is_file():
                target.unlink()
    overlay = case / "files"
    if overlay.exists():
        shutil.copytree(overlay, dest, dirs_exist_ok=True)
    return dest


def case_touches(case: Path) -> list[str]:
    """The paths a case's overlay writes or deletes, relative to the project."""
    paths = []
    overlay = case / "files"
    if overlay.exists():
        paths += [p.relative_to(overlay).as_posix() for p in overlay.rglob("*") if p.is_file()]
    delete = case / "delete.txt"
    if delete.exists():
        paths += delete.read_text().split()
    return sorted(paths)


# ---------------------------------------------------------------------------------------------------------
# Targets of a laid-out folder


def targets_of(kind: str, name: str, root: Path) -> list[Target]:
    """Every (toml, release) pair under root. A toml with `[build] image` deploys something else: skipped."""
    targets = []
    tomls = sorted(p for p in root.rglob("*.toml") if p.name.startswith("fly") and ".fly-cluster-lint" not in p.name)
    for toml in tomls:
        try:
            data = tomllib.loads(toml.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            targets.append(_broken(kind, name, root, toml, f"{toml.name} does not parse ({error}); flyctl refuses it"))
            continue
        build = data.get("build") or {}
        if "image" in build:
            continue
        target_id = f"{kind}/{name}" + ("" if len(tomls) == 1 else f":{toml.relative_to(root).as_posix()}")
        targets.append(_target(kind, target_id, root, toml, data))
    return targets


def _broken(kind: str, name: str, root: Path, toml: Path, problem: str) -> Target:
    return Target(
        id=f"{kind}/{name}", kind=kind, root=root, toml=toml, app="", region="", toml_env={}, dockerfile=None,
        docker_env={}, mix_dir=root, release="", version="", templates=root / "rel", secrets=[], mix_cookie=None,
        problem=problem,
    )


def _target(kind: str, target_id: str, root: Path, toml: Path, data: dict) -> Target:
    app = str(data.get("app", ""))
    region = str(data.get("primary_region") or "ams")
    toml_env = {str(k): _toml_text(v) for k, v in (data.get("env") or {}).items()}
    build = data.get("build") or {}
    dockerfile = toml.parent / build.get("dockerfile", "Dockerfile")
    mix_dir = _mix_dir(toml.parent, root)
    mix = (mix_dir / "mix.exs").read_text(encoding="utf-8", errors="replace") if (mix_dir / "mix.exs").exists() else ""
    release, version, templates_path, cookie = read_mix_release(mix, mix_dir.name)
    problem = None
    docker_env: dict[str, str] = {}
    if dockerfile.is_file():
        try:
            docker_env = dockerfile_final_env(dockerfile.read_text(encoding="utf-8"))
        except DockerfileError as error:
            problem = f"{dockerfile.name} cannot be built: {error}"
    else:
        dockerfile = None
    name = target_id.split("/", 1)[1].split(":", 1)[0]
    facts = CASE_FACTS.get(name, {}) if kind == "case" else {}
    return Target(
        id=target_id, kind=kind, root=root, toml=toml, app=app, region=region, toml_env=toml_env,
        dockerfile=dockerfile, docker_env=docker_env, mix_dir=mix_dir, release=release, version=version,
        templates=mix_dir / templates_path, secrets=declared_secrets(mix_dir, toml.parent, root),
        mix_cookie=cookie, facts=facts, problem=problem,
    )


def _toml_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _mix_dir(start: Path, root: Path) -> Path:
    if (start / "mix.exs").exists():
        return start
    below = sorted(p.parent for p in start.rglob("mix.exs"))
    if len(below) == 1:
        return below[0]
    here = start
    while here != root.parent:
        if (here / "mix.exs").exists():
            return here
        here = here.parent
    return root


def declared_secrets(*starts_and_root: Path) -> list[str]:
    """`secrets = [...]` of the nearest .fly-cluster-lint.toml from the app folder up to the root."""
    *starts, root = starts_and_root
    for start in starts:
        here = start
        while True:
            config = here / ".fly-cluster-lint.toml"
            if config.is_file():
                try:
                    return [str(s) for s in tomllib.loads(config.read_text(encoding="utf-8")).get("secrets", [])]
                except tomllib.TOMLDecodeError:
                    return []
            if here == root or here == here.parent:
                break
            here = here.parent
    return []


# ---------------------------------------------------------------------------------------------------------
# mix.exs: release name, version, rel_templates_path, a literal cookie


def read_mix_release(text: str, folder: str) -> tuple[str, str, str, str | None]:
    app = re.search(r"\bapp:\s*:(\w+)", text)
    version = re.search(r"\bversion:\s*\"([^\"]+)\"", text)
    release = None
    releases = re.search(r"\breleases:\s*(\[|\w+\(\))", text)
    if releases:
        body = text[releases.end():]
        if releases.group(1) != "[":
            func = re.search(r"defp?\s+" + re.escape(releases.group(1)[:-2]) + r"\b.*?do\s*\[", text, re.S)
            body = text[func.end():] if func else ""
        first = re.match(r"\s*(\w+):\s*\[", body)
        release = first.group(1) if first else None
    templates = re.search(r"\brel_templates_path:\s*\"([^\"]+)\"", text)
    cookie = re.search(r"\bcookie:\s*\"([^\"]*)\"", text)
    name = release or (app.group(1) if app else folder)
    return name, version.group(1) if version else "0.1.0", templates.group(1) if templates else "rel", (
        cookie.group(1) if cookie else None)


# ---------------------------------------------------------------------------------------------------------
# Dockerfile: the environment the final stage bakes into the image


class DockerfileError(ValueError):
    pass


_INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT", "VOLUME", "USER",
    "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}


def _logical_lines(text: str) -> list[str]:
    lines, current = [], ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if raw.rstrip().endswith("\\"):
            current += raw.rstrip()[:-1] + " "
            continue
        lines.append(current + raw)
        current = ""
    if current:
        lines.append(current)
    return lines


def _words(text: str, variables: dict[str, str]) -> list[str]:
    """Split like the Dockerfile parser does for ENV/ARG: quotes group, `$VAR`/`${VAR}` expand (not in '...')."""
    words, word, i, quote, started = [], "", 0, None, False
    while i < len(text):
        c = text[i]
        if quote == "'":
            if c == "'":
                quote = None
            else:
                word += c
            i += 1
            continue
        if c == "\\" and i + 1 < len(text):
            word += text[i + 1]
            started = True
            i += 2
            continue
        if c == "$":
            value, i = _expand_at(text, i, variables)
            word += value
            started = True
            continue
        if quote == '"':
            if c == '"':
                quote = None
            else:
                word += c
            i += 1
            continue
        if c in "'\"":
            quote = c
            started = True
            i += 1
            continue
        if c.isspace():
            if started:
                words.append(word)
                word, started = "", False
            i += 1
            continue
        word += c
        started = True
        i += 1
    if quote:
        raise DockerfileError("unterminated quote")
    if started:
        words.append(word)
    return words


def _expand_at(text: str, i: int, variables: dict[str, str]) -> tuple[str, int]:
    if text.startswith("${", i):
        end = text.find("}", i)
        if end < 0:
            raise DockerfileError("unterminated ${")
        inner = text[i + 2:end]
        name, _, default = inner.partition(":-")
        value = variables.get(name, "")
        if ":-" in inner and not value:
            value = default
        return value, end + 1
    match = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", text[i:])
    if match:
        return variables.get(match.group(1), ""), i + match.end()
    return "$", i + 1


def dockerfile_final_env(text: str) -> dict[str, str]:
    """ENV of the last stage, with what it inherits through `FROM <earlier stage>`; `${VAR}` expanded at build
    time from the stage's ARG and ENV values (Fly's runtime variables do not exist then: empty)."""
    global_args: dict[str, str] = {}
    stages: list[dict] = []
    for line in _logical_lines(text):
        parts = line.strip().split(None, 1)
        instruction, rest = parts[0].upper(), (parts[1] if len(parts) > 1 else "")
        if instruction not in _INSTRUCTIONS:
            raise DockerfileError(f"unknown instruction {parts[0]}")
        if instruction == "FROM":
            words = _words(rest, global_args)
            words = [w for w in words if not w.startswith("--")]
            image = words[0] if words else ""
            name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
            parent = next((s for s in stages if s["name"] and s["name"] == image.lower()), None)
            env = dict(parent["env"]) if parent else {}
            stages.append({"name": name, "env": env, "args": {}})
            continue
        if instruction == "ARG":
            for word in _words(rest, global_args if not stages else {**stages[-1]["args"], **stages[-1]["env"]}):
                key, eq, value = word.partition("=")
                if not stages:
                    global_args[key] = value if eq else global_args.get(key, "")
                else:
                    stages[-1]["args"][key] = value if eq else global_args.get(key, "")
            continue
        if instruction == "ENV" and stages:
            stage = stages[-1]
            variables = {**stage["args"], **stage["env"]}
            if re.match(r"\s*[A-Za-z_][A-Za-z0-9_.-]*=", rest):
                for word in _words(rest, variables):
                    key, eq, value = word.partition("=")
                    if not eq:
                        raise DockerfileError(f"ENV {word} has no value")
                    stage["env"][key] = value
            else:
                key, _, value = rest.strip().partition(" ")
                stage["env"][key] = " ".join(_words(value.strip(), variables)) if value.strip() else ""
    if not stages:
        raise DockerfileError("no FROM")
    return stages[-1]["env"]


def dockerfile_start(text: str) -> list[str]:
    """The final stage's ENTRYPOINT + CMD (exec form only, as written), for the record."""
    entry, cmd = [], []
    for line in _logical_lines(text):
        parts = line.strip().split(None, 1)
        if parts[0].upper() == "FROM":
            entry, cmd = [], []
        elif parts[0].upper() in ("CMD", "ENTRYPOINT") and len(parts) > 1:
            value = re.findall(r'"((?:[^"\\]|\\.)*)"', parts[1]) if parts[1].lstrip().startswith("[") else [parts[1]]
            if parts[0].upper() == "CMD":
                cmd = value
            else:
                entry = value
    return entry + cmd


def env_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="surrogateescape")


def is_env_layer_path(rel: str) -> bool:
    """Files whose content only changes the environment layers (not the Elixir code or its deps)."""
    return (
        rel.startswith("rel/")
        or rel.startswith("deploy/rel/")
        or rel in ("Dockerfile", ".dockerignore", ".fly-cluster-lint.toml")
        or (rel.startswith("fly") and rel.endswith(".toml"))
    )


def lab_env_base(workdir: Path) -> dict[str, str]:
    """What `env -i` keeps: a PATH as in a Debian image, a HOME, and a UTF-8 LANG (images may override it)."""
    return {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(workdir),
        "LANG": "C.UTF-8",
    }


def relpath(path: Path, start: Path) -> str:
    return os.path.relpath(path, start)
