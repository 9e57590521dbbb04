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
import shlex
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

# Facts about an image or a machine that the files the lab reads cannot tell, per golden case. (Whether the
# image gets rel/ and what it starts are read from the Dockerfile and fly.toml: `rel_in_image`, `image_starts`.)
CASE_FACTS: dict[str, dict] = {
    "fcl401-env-sh-fallback-export": {
        "env_oracle_skip": "env.sh reads the cookie from /etc/cookie, a file of the image that the lab machines do "
        "not have (without it `cat` fails, RELEASE_COOKIE is empty and the script falls back to releases/COOKIE)",
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
        """"release", "mix", "script:<repo path>" (a repository script that execs the release) or
        "missing:<command>" (the image as written has nothing to run)."""
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
    tomls = sorted(p for p in root.rglob("*.toml") if _is_fly_config(p))
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


FLY_SECTIONS = ("build", "env", "http_service", "services", "deploy", "processes", "vm", "primary_region")


def _is_fly_config(path: Path) -> bool:
    """`fly*.toml`, or another .toml with an `app` key and a Fly section (as `deploy/fly/prod.toml`)."""
    if path.name == ".fly-cluster-lint.toml" or any(part in ("deps", "_build", "node_modules") for part in path.parts):
        return False
    if path.name.startswith("fly"):
        return True
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False
    return "app" in data and any(key in data for key in FLY_SECTIONS)


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
    facts = dict(CASE_FACTS.get(name, {})) if kind == "case" else {}
    if dockerfile is not None and problem is None:
        text = dockerfile.read_text(encoding="utf-8")
        templates = mix_dir / templates_path
        contexts = [toml.parent, root, dockerfile.parent, mix_dir]
        ignore = next((c / ".dockerignore" for c in contexts if (c / ".dockerignore").is_file()), None)
        copied, why = rel_in_image(text, ignore.read_text() if ignore else "", templates, contexts)
        facts.setdefault("rel_in_image", copied)
        facts.setdefault("rel_why", why)
        starts = image_starts(text, data, contexts, release)
        facts.setdefault("start", starts[0].kind)
        facts.setdefault("start_b", starts[-1].kind)
        facts.setdefault("start_why", "; ".join(dict.fromkeys(st.why for st in starts)))
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
                        raise DockerfileError(f"ENV word {word!r} is not NAME=value")
                    stage["env"][key] = value
            else:
                key, _, value = rest.strip().partition(" ")
                stage["env"][key] = " ".join(_words(value.strip(), variables)) if value.strip() else ""
    if not stages:
        raise DockerfileError("no FROM")
    return stages[-1]["env"]


def _stages(text: str) -> list[dict]:
    """Every stage: its name, the stage it starts FROM (if an earlier stage) and its instructions."""
    stages: list[dict] = []
    for line in _logical_lines(text):
        parts = line.strip().split(None, 1)
        instruction, rest = parts[0].upper(), (parts[1] if len(parts) > 1 else "")
        if instruction == "FROM":
            words = [w for w in rest.split() if not w.startswith("--")]
            image = words[0] if words else ""
            name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
            parent = next((st for st in stages if st["name"] and st["name"] == image.lower()), None)
            stages.append({"name": name, "parent": parent, "steps": []})
        elif stages:
            stages[-1]["steps"].append((instruction, rest))
    return stages


def _copy_args(rest: str) -> tuple[list[str], list[str]]:
    """(flags, paths) of a COPY/ADD; the last path is the destination."""
    rest = rest.strip()
    if rest.startswith("["):
        words = re.findall(r'"((?:[^"\\]|\\.)*)"', rest)
        return [], words
    words = rest.split()
    return [w for w in words if w.startswith("--")], [w for w in words if not w.startswith("--")]


def rel_in_image(text: str, dockerignore: str, templates: Path, contexts: list[Path]) -> tuple[bool, str]:
    """Does the stage that builds the release get the templates folder before its last RUN (the release step:
    `mix release`, or a script, `just`/`make` target that runs it)? And does .dockerignore keep it?"""
    stages = _stages(text)
    if not stages:
        return True, "no stages"
    final = stages[-1]
    source = None
    for instruction, rest in final["steps"]:
        match = re.search(r"--from=(\S+)", rest) if instruction == "COPY" else None
        if match:
            source = next((st for st in stages if st["name"] == match.group(1).lower()), None)
    if source is None:
        source = next((st for st in stages if any("mix release" in r for i, r in st["steps"] if i == "RUN")), final)
    steps = []
    chain = source
    while chain is not None:
        steps = chain["steps"] + steps
        chain = chain["parent"]
    runs = [i for i, (instruction, _) in enumerate(steps) if instruction == "RUN"]
    if not runs:
        return True, "the builder stage runs nothing"
    wanted = set()
    for context in contexts:
        try:
            wanted.add(templates.resolve().relative_to(context.resolve()).as_posix())
        except ValueError:
            continue
    copied = False
    for instruction, rest in steps[: runs[-1]]:
        if instruction not in ("COPY", "ADD"):
            continue
        flags, paths = _copy_args(rest)
        if any(f.startswith("--from") for f in flags):
            continue
        for path in paths[:-1]:
            norm = path.strip().rstrip("/")
            norm = norm[2:] if norm.startswith("./") else norm
            if norm in (".", "") or any(w == norm or w.startswith(norm + "/") for w in wanted):
                copied = True
    if not copied:
        return False, "the stage that builds the release never copies " + " or ".join(sorted(wanted)) + \
            " before its release step"
    top = {w.split("/")[0] for w in wanted} | wanted
    excluded = False
    for line in dockerignore.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line[1:] if negate else line
        pattern = pattern.strip("/").removesuffix("/**")
        if pattern in top:
            excluded = not negate
    if excluded:
        return False, ".dockerignore excludes the templates folder"
    return True, "copied before the release step"


@dataclass
class ImageStart:
    """What a machine runs: the release, Mix, a repository script in front of the release, or nothing."""

    kind: str  # "release", "mix", "script:<repo path>" or "missing:<command>"
    why: str


def _command(value) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return shlex.split(value)
    return []


def image_starts(text: str, toml: dict, contexts: list[Path], release: str) -> list[ImageStart]:
    """Per process group (the first two), what the image starts: the final stage's ENTRYPOINT + CMD, with
    fly.toml `[experimental] cmd/entrypoint` and `[processes]` commands in place of CMD."""
    stages = _stages(text)
    entry, cmd, workdir, copies = [], [], "/", {}
    chain, steps = (stages[-1] if stages else None), []
    while chain is not None:
        steps = chain["steps"] + steps
        chain = chain["parent"]
    for instruction, rest in steps:
        if instruction == "WORKDIR":
            path = rest.strip().strip('"')
            workdir = path if path.startswith("/") else workdir.rstrip("/") + "/" + path
        elif instruction in ("CMD", "ENTRYPOINT"):
            value = re.findall(r'"((?:[^"\\]|\\.)*)"', rest) if rest.lstrip().startswith("[") else \
                ["/bin/sh", "-c", rest.strip()]
            if instruction == "CMD":
                cmd = value
            else:
                entry, cmd = value, []
        elif instruction == "COPY":
            flags, paths = _copy_args(rest)
            if any(f.startswith("--from") for f in flags) or len(paths) < 2:
                continue
            dest = paths[-1]
            dest = dest if dest.startswith("/") else workdir.rstrip("/") + "/" + dest
            for src in paths[:-1]:
                target = dest.rstrip("/") + "/" + Path(src).name if dest.endswith("/") or dest.endswith("/.") \
                    or len(paths) > 2 else dest
                copies[target.replace("/./", "/")] = src
    experimental = toml.get("experimental") or {}
    if experimental.get("entrypoint"):
        entry = _command(experimental["entrypoint"])
    if experimental.get("cmd"):
        cmd = _command(experimental["cmd"])
    processes = toml.get("processes")
    groups = [(name, _command(command)) for name, command in processes.items()] \
        if isinstance(processes, dict) and processes else [("", cmd)]
    return [_classify(entry + group_cmd, copies, contexts, release, workdir, name) for name, group_cmd in groups[:2]]


_SYSTEM = {"sh", "bash", "dash", "env", "exec"}


def _classify(argv: list[str], copies: dict, contexts: list[Path], release: str, workdir: str,
              group: str) -> ImageStart:
    label = (f"[processes] {group}: " if group else "") + " ".join(argv)
    while argv and Path(argv[0]).name in ("tini", "dumb-init"):
        argv = argv[1:]
        while argv and argv[0].startswith("-"):
            argv = argv[1:]
    if not argv:
        return ImageStart("release", f"{label}: nothing to run (the lab starts the release)")
    head = Path(argv[0]).name
    if head in ("sh", "bash", "dash") and len(argv) > 2 and argv[1] == "-c":
        if re.search(r"(^|[\s;&|])(\S*/)?(mix|iex)\b", argv[2]):
            return ImageStart("mix", f"{label}: runs Mix, not the release")
        return ImageStart("release", f"{label}: a shell command (the lab starts the release)")
    if head in ("mix", "iex", "elixir"):
        return ImageStart("mix", f"{label}: runs Mix, not the release")
    if argv[0].startswith("/") and Path(argv[0]).parent.name == "bin" and (
            Path(argv[0]).name in (release, "server") or argv[0].startswith(workdir.rstrip("/") + "/bin/")):
        return ImageStart("release", f"{label}: the release")
    path = argv[0] if argv[0].startswith("/") else None
    if path in copies:
        for context in contexts:
            script = context / copies[path]
            if script.is_file():
                body = script.read_text(errors="replace")
                if re.search(r'exec\s+"\$@"', body):
                    rest = _classify(argv[1:], copies, contexts, release, workdir, group)
                    if rest.kind != "release":
                        return rest
                    return ImageStart(f"script:{script}", f"{label}: the repository's {copies[path]}, then the release")
                if re.search(r"(^|\s)(exec\s+)?(mix|iex)\b", body, re.M):
                    return ImageStart("mix", f"{label}: the repository's {copies[path]} runs Mix")
                return ImageStart("release", f"{label}: the repository's {copies[path]} (the lab starts the release)")
    if head in _SYSTEM:
        return ImageStart("release", f"{label}: (the lab starts the release)")
    return ImageStart(f"missing:{argv[0]}", f"{label}: the image has no {argv[0]} (no COPY puts it there"
                      + ("" if argv[0].startswith("/") else "; a bare name is looked up in PATH") + ")")


def is_env_layer_path(rel: str) -> bool:
    """Files whose content only changes the environment layers or the image's build and start, which the lab
    reads (not the Elixir code or its deps)."""
    return (
        rel.startswith("rel/")
        or rel.startswith("deploy/rel/")
        or rel in ("Dockerfile", ".dockerignore", ".fly-cluster-lint.toml", "justfile", "Justfile", "Makefile")
        or rel.startswith(("scripts/", "docker/"))  # build steps and entrypoint scripts the image readers follow
        or (rel.startswith("fly") and rel.endswith(".toml"))
    )
