"""What the environment and verdict oracles compare: the linter's JSON against what the booted VMs report."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import layers, machinery

VARIABLES = ["ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS", "ECTO_IPV6", "DNS_CLUSTER_QUERY",
             "RELEASE_DISTRIBUTION", "RELEASE_NODE", "RELEASE_COOKIE"]
PROTO_VARIABLES = ["ERL_AFLAGS", "ERL_FLAGS", "ERL_ZFLAGS", "ELIXIR_ERL_OPTIONS"]
COOKIE_FROM_ENV = "RELEASE_COOKIE from the environment"
COOKIE_FROM_FILE = "releases/COOKIE"
COOKIE_OTHER = "something other than RELEASE_COOKIE"

# Rules whose outcome the probe exercises through the environment layers alone, and rules about the Elixir side
# (supervision tree, config files, deps), which the probe replaces by the Phoenix template's wiring.
ELIXIR_SIDE_RULES = {"FCL301", "FCL302", "FCL304", "FCL305", "FCL308", "FCL309", "FCL310", "FCL311", "FCL312",
                     "FCL313"}
# mix.exs edits that only change what the release gets from the environment model (the cookie file, where the
# templates are), which the lab reads itself.
MIX_EXS_ENV_ONLY = {
    "fcl002-custom-rel-templates-path": "mix.exs only moves the templates (rel_templates_path), which the lab follows",
    "fcl401-mix-cookie": "mix.exs only sets a literal release cookie, which the lab writes to releases/COOKIE",
    "fcl404-build-time": "mix.exs only reads the cookie from the builder's environment (unset: a random cookie)",
}
# Projects whose Elixir side the probe mirrors in another mode than the DNSCluster child.
PROBE_MODES = {
    "project/libcluster": ("dns_poll", "libcluster DNSPoll with node_basename = FLY_APP_NAME and query "
                           "<app>.internal, as its config/runtime.exs has it"),
}


def console_script() -> list[str]:
    script = Path(sys.executable).parent / "fly-cluster-lint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "fly_cluster_lint"]


def linter_available() -> str | None:
    try:
        out = subprocess.run([*console_script(), "--version"], capture_output=True, text=True, timeout=60)
    except OSError as error:
        return f"the linter cannot run: {error}"
    return None if out.returncode == 0 else f"the linter cannot run: {out.stderr.strip()}"


# ---------------------------------------------------------------------------------------------------------
# Target ids (at collection time, without laying anything out)


def target_ids() -> list[str]:
    ids = [f"case/{case.name}" for case in layers.case_dirs()]
    for kind, folder in (("project", layers.PROJECTS), ("example", layers.EXAMPLES)):
        for source in sorted(p for p in folder.iterdir() if p.is_dir()):
            ids += [t.id for t in layers.targets_of(kind, source.name, source)]
    return ids


def fixture_apps_and_regions() -> tuple[list[str], list[str]]:
    from .layers import tomllib

    apps, regions = set(), set()
    for toml in [p for folder in (layers.FIXTURES, layers.EXAMPLES) for p in folder.rglob("*.toml")
                 if layers._is_fly_config(p)]:
        try:
            data = tomllib.loads(toml.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
        if data.get("app"):
            apps.add(str(data["app"]))
        if data.get("primary_region"):
            regions.add(str(data["primary_region"]))
    return sorted(apps), sorted(regions)


# ---------------------------------------------------------------------------------------------------------
# Preparing every target: layout, linter output, rendered templates, the boot scenario


@dataclass
class Prepared:
    target: layers.Target
    env_json: dict | None  # the linter's `env` entry for this (toml, release)
    diagnostics: list[dict]  # the linter's `check` findings for this app
    release: machinery.ReleaseSpec | None
    render_errors: list[str]
    scenario: machinery.Scenario | None
    touches: list[str] = field(default_factory=list)
    mode: str = "dns_cluster"
    mode_note: str = ""
    linter_error: str | None = None

    @property
    def id(self) -> str:
        return self.target.id


class Preparation:
    """Every target laid out, rendered and turned into its boot at once; the linter runs meanwhile (it is the
    slow part) and `finish()` attaches its output, so the boots need not wait for it."""

    def __init__(self, root: Path, lab: machinery.Lab) -> None:
        self.root = root
        targets: list[layers.Target] = []
        touches: dict[str, list[str]] = {}
        for case in layers.case_dirs():
            dest = layers.layout_case(case, root / "case" / case.name)
            for target in layers.targets_of("case", case.name, dest):
                targets.append(target)
                touches[target.id] = layers.case_touches(case)
        for kind, folder in (("project", layers.PROJECTS), ("example", layers.EXAMPLES)):
            for source in sorted(p for p in folder.iterdir() if p.is_dir()):
                dest = root / kind / source.name
                shutil.copytree(source, dest)
                targets.extend(layers.targets_of(kind, source.name, dest))
        roots = sorted({t.root for t in targets})
        for folder in roots:
            # each laid-out target is a repository of its own, as a user's project is: without this marker the
            # linter takes the folder above all of them for the repository root, and one run over all targets
            # costs about ten times more (the output is the same)
            (folder / ".git").mkdir(exist_ok=True)
        self.pool = ThreadPoolExecutor(2)
        self.env_future = self.pool.submit(_lint, ["env", "--format", "json", "--no-cache"], roots, root)
        self.check_future = self.pool.submit(_lint, ["--format", "json", "--no-cache", "--fail-on", "never"], roots,
                                             root)
        jobs, release_specs = _render_jobs(targets, root / "rendered")
        versions, errors = machinery.render_templates(jobs, root / "rendered")
        lab.versions.update(versions)
        self.prepared: dict[str, Prepared] = {}
        for target in targets:
            spec, render_errors = release_specs.get(target.id, (None, []))
            if spec is not None:
                folder = str(root / "rendered" / _safe(target.id)) + os.sep
                errors_here = [errors[p] for p in errors if str(p).startswith(folder)]
                if errors_here:
                    render_errors = render_errors + errors_here
                    spec = None
                else:
                    spec = _read_rendered(spec)
            mode, note = PROBE_MODES.get(target.id, ("dns_cluster", ""))
            item = Prepared(target=target, env_json=None, diagnostics=[], release=spec, render_errors=render_errors,
                            scenario=None, touches=touches.get(target.id, []), mode=mode, mode_note=note)
            if spec is not None and target.problem is None:
                item.scenario = target_scenario(item, pair=boots_two_machines(item))
            self.prepared[target.id] = item

    def finish(self) -> dict[str, Prepared]:
        linter_error = None
        try:
            env_out, check_out = self.env_future.result(), self.check_future.result()
        except RuntimeError as error:  # the linter is broken: the oracles fail, the symptom scenarios still run
            linter_error = str(error)
            env_out, check_out = {"apps": []}, {"diagnostics": []}
        self.pool.shutdown()
        env_by_toml = {(self.root / a["fly_toml"]).resolve(): a for a in env_out["apps"]}
        diags_by_toml: dict[Path, list[dict]] = {}
        for diag in check_out["diagnostics"]:
            if diag.get("app"):
                diags_by_toml.setdefault((self.root / diag["app"]).resolve(), []).append(diag)
        for item in self.prepared.values():
            item.env_json = env_by_toml.get(item.target.toml.resolve())
            item.diagnostics = diags_by_toml.get(item.target.toml.resolve(), [])
            item.linter_error = linter_error
        return self.prepared


def boots_two_machines(item: Prepared) -> bool:
    """Both machines for the targets the verdict oracle may judge (decided from the files, before the linter
    has answered); machine `a` alone for golden cases that change the Elixir side."""
    if item.target.kind != "case":
        return True
    name = item.target.id.split("/", 1)[1]
    other = [p for p in item.touches if not layers.is_env_layer_path(p)]
    return not other or (other == ["mix.exs"] and name in MIX_EXS_ENV_ONLY)


def _lint(args: list[str], roots: list[Path], cwd: Path) -> dict:
    out = subprocess.run([*console_script(), *args, *[str(r.relative_to(cwd)) for r in roots]], cwd=cwd,
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "NO_COLOR": "1", "GITHUB_ACTIONS": ""})
    try:
        return json.loads(out.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(f"fly-cluster-lint {' '.join(args)} gave no JSON ({error}):\n{out.stderr}") from None


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def _render_jobs(targets: list[layers.Target], out: Path):
    jobs, specs = [], {}
    for target in targets:
        if target.problem:
            continue
        folder = out / _safe(target.id)
        spec = {"name": target.release, "cookie": target.mix_cookie}
        for template, file in (("env.sh.eex", "env.sh"), ("vm.args.eex", "vm.args"),
                               ("remote.vm.args.eex", "remote.vm.args")):
            path = target.template(template)
            if path is not None:
                jobs.append((path, folder / file, target.release, target.version))
                spec[file] = folder / file
        specs[target.id] = (spec, [])
    return jobs, specs


def _read_rendered(spec: dict) -> machinery.ReleaseSpec:
    def text(file: str) -> str | None:
        path = spec.get(file)
        return path.read_bytes().decode("utf-8", errors="surrogateescape") if path else None

    return machinery.ReleaseSpec(name=spec["name"], env_sh=text("env.sh"), vm_args=text("vm.args"),
                                 remote_vm_args=text("remote.vm.args"), cookie=spec["cookie"])


def target_scenario(item: Prepared, pair: bool) -> machinery.Scenario:
    """Both machines when the verdict oracle judges the target; machine `a` alone (its boot facts) otherwise."""
    target = item.target
    probe = {"children": item.mode}
    machines = [
        machinery.MachineSpec(
            machine=m, release=item.release, env=target.layered_env(),
            fly=machinery.fly_variables(target.app, m, target.region),
            start=target.facts.get("start_b", target.start) if m == "b" else target.start, probe=probe,
        )
        for m in (("a", "b") if pair else ("a",))
    ]
    return machinery.Scenario(name=target.id, machines=machines, deadline=8.0, until="settled" if pair else "boot")


# ---------------------------------------------------------------------------------------------------------
# The environment oracle


@dataclass
class Difference:
    variable: str
    linter: str
    vm: str
    note: str = ""

    def __str__(self) -> str:
        return f"{self.variable}: linter {self.linter!r}, VM {self.vm!r}" + (f" ({self.note})" if self.note else "")


def linter_claims(env_json: dict, expanded: dict[str, str | None]) -> dict[str, dict]:
    """Per variable: what the linter says the VM gets, after expanding its value for the machine."""
    claims = {}
    for var in env_json["variables"]:
        name = var["name"]
        value, layer = var.get("value"), var.get("layer")
        claim = {"value": value, "layer": layer, "exported": var.get("exported"), "shown": value}
        if name == "RELEASE_COOKIE":
            claim["vm"] = None if value is None else (
                COOKIE_FROM_FILE if layer == "release default" else
                COOKIE_OTHER if layer == "vm.args.eex" else COOKIE_FROM_ENV)
        elif value is None or not var.get("exported", True):
            claim["vm"] = None
        elif layer == "secret" or value == "****" or value.startswith("(Fly secret"):
            claim["vm"] = "(set)"  # a masked or declared secret: the lab can only say that it is set
        else:
            claim["vm"] = expanded.get(name, value)
        claims[name] = claim
    return claims


def expansions_needed(env_json: dict) -> dict[str, tuple[str, str]]:
    """Values to expand, by variable: (how, text). env.sh values are shell words expanded at boot with the
    machine's Fly variables; a Dockerfile value was expanded by `docker build`, where Fly's variables are
    empty; fly.toml values and secrets are literal strings."""
    needed = {}
    for var in env_json["variables"]:
        value, layer = var.get("value"), var.get("layer")
        if value is None or var["name"] == "RELEASE_COOKIE" or value == "****" or value.startswith("("):
            continue
        if layer in ("env.sh.eex", "entrypoint script") and ("$" in value or "`" in value):
            needed[var["name"]] = ("shell", value)
        elif layer == "Dockerfile" and "$" in value:
            needed[var["name"]] = ("docker", value)
    return needed


def docker_expand(value: str) -> str:
    return " ".join(layers._words(value, {})) if value.strip() else value


def vm_view(result: machinery.ScenarioResult) -> dict:
    """What machine `a` really got: from the VM when it booted, else from what the release script handed it."""
    a = result["a"]
    if a.report:
        boot = a.report["boot"]
        env = dict(boot["env"])
        env["RELEASE_COOKIE"] = boot["cookie_source"] if boot["release_cookie"] == "set" else None
        return {"source": "VM", "env": env, "proto_dist": boot["proto_dist"], "mode": boot["dist_mode"],
                "node": boot["node"], "booted": True}
    record = a.start_exec
    if record is None:
        return {"source": "nothing (the release script stopped before starting the VM)", "env": None,
                "proto_dist": None, "mode": None, "node": None, "booted": False}
    env = {name: record["env"].get(name) for name in VARIABLES if name != "RELEASE_COOKIE"}
    env["RELEASE_COOKIE"] = None if record["release_cookie"] == "unset" else "(set)"
    args = record["args"]
    mode = "longnames" if "--name" in args else "shortnames" if "--sname" in args else "none"
    return {"source": "exec (the VM did not boot)", "env": env, "proto_dist": None, "mode": mode,
            "node": None, "booted": False, "args": args}


def implied_proto_dist(values: dict[str, str | None], vm_args: str | None) -> list[list[str]] | None:
    found = []
    for name in PROTO_VARIABLES:
        words = (values.get(name) or "").split()
        found += [[words[i + 1]] for i, w in enumerate(words[:-1]) if w == "-proto_dist"]
    for line in (vm_args or "").splitlines():
        words = line.split("#", 1)[0].split()
        found += [[words[i + 1]] for i, w in enumerate(words[:-1]) if w == "-proto_dist"]
    return found or None


def implied_mode(distribution: str | None) -> str:
    # any other value: the script prints "ERROR: Expected sname, name, or none ..." and boots without
    # distribution (FCL201's docs)
    return {"name": "longnames", "sname": "shortnames"}.get(distribution or "sname", "none")


# ---------------------------------------------------------------------------------------------------------
# The verdict oracle


def errors_of(diagnostics: list[dict]) -> dict[str, list[str]]:
    codes: dict[str, list[str]] = {"cluster": [], "packaging": [], "elixir": []}
    for diag in diagnostics:
        if diag["severity"] != "error":
            continue
        code = diag["code"]
        number = int(code[3:])
        if code in ELIXIR_SIDE_RULES:
            codes["elixir"].append(code)
        elif 100 <= number < 500:
            codes["cluster"].append(code)
        elif number < 100 or 600 <= number < 700:
            codes["packaging"].append(code)
    return {k: sorted(set(v)) for k, v in codes.items()}


def symptom_check(code: str, result: machinery.ScenarioResult, item: Prepared) -> tuple[bool | None, str]:
    """Does what happened match the rule's stated symptom? (None: the rule states no runtime symptom the probe
    exercises.)"""
    a, b = result["a"], result["b"]
    target = item.target
    boot = a.report["boot"] if a.report else None
    failed = [m for m in (a, b) if not m.booted]
    fail_text = " | ".join(line for m in failed for line in _interesting(m.output))
    if code in ("FCL101", "FCL103"):
        if not boot:  # the unquoted export (FCL101's docs): erl refuses `-proto_dist` without its value
            return "Missing argument(s) for '-proto_dist'" in a.output, f"did not boot: {fail_text}"
        ipv6 = ["inet6_tcp"] in (boot["proto_dist"] or [])
        ok = not ipv6 and all(s.startswith("0.0.0.0") for s in boot["listen_sockets"]) and not a.peers
        return ok, f"proto_dist={boot['proto_dist_inspect']}, listening on {boot['listen_sockets']}, peers={a.peers}"
    if code == "FCL102":
        if not boot:
            return False, f"did not boot: {fail_text}"
        ok = boot["proto_dist"] is not None and len(boot["proto_dist"]) > 1 and not a.peers
        return ok, f"proto_dist={boot['proto_dist_inspect']}, listening on {boot['listen_sockets']}, peers={a.peers}"
    if code == "FCL201":
        if not boot:
            return ("Can't set short node name!" in fail_text or "Expected sname" in a.output), fail_text
        ok = boot["dist_mode"] != "longnames" and not a.peers
        return ok, f"dist_mode={boot['dist_mode']}, node={boot['node']}, peers={a.peers}"
    if code == "FCL202":
        if not boot:
            return True, f"did not boot: {fail_text}"
        ok = boot["node"].split("@")[0] == target.release and not a.peers
        return ok, f"node={boot['node']}, peers={a.peers}"
    if code == "FCL203":
        if failed and "Can't set short node name" in fail_text:
            return None, "short names refuse the dotted host first (FCL201's symptom)"
        if failed:  # an empty host (FCL203's docs): the VM stops at boot
            return "Can't set long node name" in fail_text, f"did not boot: {fail_text}"
        wrong = [m.node for m in (a, b) if m.node.split("@")[-1] != machinery.MACHINES[m.machine]["address"]]
        return bool(wrong) and not result.clustered, f"nodes not named after their 6PN address: {wrong}, peers={a.peers}"
    if code == "FCL204":
        if not (a.booted and b.booted):
            return False, f"did not boot: {fail_text}"
        ok = a.node.split("@")[0] != b.node.split("@")[0] and not a.peers
        return ok, f"nodes={a.node}, {b.node}; peers={a.peers}"
    if code in ("FCL205", "FCL206"):
        if failed:
            return any(s in fail_text for s in ("Invalid node name", "Can't set long node name", "Invalid -name")), \
                f"did not boot: {fail_text}"
        invalid = a.lines("Invalid -name")
        return bool(invalid) and not boot["alive"], f"node={boot['node']}, alive={boot['alive']}, {invalid}"
    if code == "FCL303":
        if not boot:
            return False, f"did not boot: {fail_text}"
        state = (a.report.get("discovery") or {}).get("state")
        return state == "ignore" and not a.peers, f"discovery={state}, peers={a.peers}"
    if code == "FCL306":
        if not boot:
            return False, f"did not boot: {fail_text}"
        own = {machinery.MACHINES[m]["address"] for m in "ab"}
        found = {x for r in a.report.get("rounds") or [] for x in r.get("addresses", [])}
        return not (found & own) and not a.peers, f"resolved={sorted(found)}, peers={a.peers}"
    if code == "FCL307":
        if not boot:
            return False, f"did not boot: {fail_text}"
        own = {machinery.MACHINES[m]["address"] for m in "ab"}
        found = {x for r in a.report.get("rounds") or [] for x in r.get("addresses", [])}
        return not (found & own) and not a.peers, f"resolved={sorted(found)}, peers={a.peers}"
    if code in ("FCL002", "FCL004"):
        if not boot:
            return False, f"did not boot: {fail_text}"
        ok = boot["dist_mode"] == "shortnames" and boot["node"].split("@")[0] == target.release and not a.peers
        return ok, f"node={boot['node']}, dist_mode={boot['dist_mode']}, peers={a.peers}"
    if code == "FCL005":
        lines = a.lines("not found", "Syntax error")
        return bool(lines) and not a.peers, f"{lines}, booted={a.booted}, peers={a.peers}"
    if code == "FCL001":
        return (not a.booted), f"booted={a.booted}: {fail_text}"
    if code == "FCL406":
        if failed:
            return False, f"did not boot: {fail_text}"
        rejected = a.lines("Invalid challenge reply") + b.lines("Invalid challenge reply")
        return bool(rejected) and not result.clustered, f"{rejected[:1]}, clustered={result.clustered}"
    if code == "FCL602":
        if failed:
            return False, f"did not boot: {fail_text}"
        alone = [m.node for m in (a, b) if not m.report["boot"]["alive"]]
        return bool(alone) and not result.clustered, f"not distributed: {alone}; a peers={a.peers}"
    return None, "no runtime symptom exercised"


def _interesting(output: str) -> list[str]:
    keys = ("Can't set", "Invalid", "ERROR", "not found", "Syntax error", "error", "Kernel pid terminated",
            "Could not")
    return [line.strip() for line in output.splitlines() if any(k in line for k in keys)][:4]


def expand_all(prepared: dict[str, Prepared], lab: machinery.Lab) -> dict[str, dict[str, str]]:
    """The linter's values as machine `a` gets them: env.sh words expanded by dash on the machine with exactly
    its Fly variables, Dockerfile values expanded as `docker build` does (Fly's variables empty there)."""
    shell_items, expanded = [], {}
    for target_id, item in prepared.items():
        expanded[target_id] = {}
        if not item.env_json or item.target.problem:
            continue
        fly = machinery.fly_variables(item.target.app, "a", item.target.region)
        for name, (how, value) in expansions_needed(item.env_json).items():
            if how == "shell":
                shell_items.append((f"{target_id}\0{name}", fly, value))
            else:
                expanded[target_id][name] = docker_expand(value)
    for key, value in lab.shell_expand(shell_items).items():
        target_id, name = key.split("\0")
        expanded[target_id][name] = value
    return expanded


def compare_env(item: Prepared, result: machinery.ScenarioResult, expanded: dict[str, str]):
    """Differences between the linter's env model and machine `a`, and notes that are not differences."""
    claims = linter_claims(item.env_json, expanded)
    vm = vm_view(result)
    diffs: list[Difference] = []
    notes: list[str] = []
    if vm["env"] is None:
        output = " | ".join(_interesting(result["a"].output)) or result["a"].output.strip()[-300:]
        if item.env_json.get("aborted"):
            notes.append(f"the release script stops before the VM starts, as `env` says "
                         f"({item.env_json['aborted']['reason']}): {output}")
        else:
            diffs.append(Difference("(boot)", "the release starts with the values it lists", vm["source"], output))
        return diffs, notes, vm
    if not vm["booted"]:
        notes.append(f"the VM did not boot: {' | '.join(_interesting(result['a'].output))}; compared with what "
                     "the release script handed to it")
    for name in VARIABLES:
        claim = claims.get(name, {"vm": None, "shown": None, "layer": None})
        got = vm["env"].get(name)
        want = claim["vm"]
        if name == "RELEASE_COOKIE" and not vm["booted"]:
            same = (want is None) == (got is None)
        elif want == "(set)":
            same = got is not None
        else:
            same = want == got
        if not same:
            shown = claim["shown"] if claim["shown"] == want else f"{claim['shown']} (= {want})"
            layer = claim.get("layer")
            exported = claim.get("exported")
            diffs.append(Difference(name, f"{shown}", str(got) if got is not None else "(unset)",
                                    f"linter layer: {layer}" + ("" if exported in (None, True) else ", not exported")))
    values = {name: claims.get(name, {}).get("vm") for name in PROTO_VARIABLES}
    implied = implied_proto_dist(values, item.release.vm_args if item.target.start != "mix" else None)
    if vm["booted"]:
        got = vm["proto_dist"]
        if (implied or None) != (got or None):
            diffs.append(Difference("-proto_dist", str(implied), str(got),
                                    "implied by the linter's ERL_*/ELIXIR_ERL_OPTIONS values and rel/vm.args.eex"))
    distribution = claims.get("RELEASE_DISTRIBUTION", {}).get("vm")
    mode = implied_mode(distribution) if item.target.start != "mix" else "none"
    got_mode = vm["mode"]
    if vm["booted"] and got_mode == "none" and mode in ("longnames", "shortnames"):
        record = result["a"].start_exec
        handed = record and (("--name" in record["args"] and mode == "longnames") or
                             ("--sname" in record["args"] and mode == "shortnames"))
        if handed:
            notes.append(f"the release handed the VM {mode} but the VM runs without distribution: "
                         + " | ".join(result["a"].lines("Invalid -name")))
            got_mode = mode
    if mode != got_mode:
        diffs.append(Difference("(name mode)", mode, str(got_mode), f"RELEASE_DISTRIBUTION={distribution!r}"))
    return diffs, notes, vm


def verdict_eligibility(item: Prepared) -> tuple[bool, str]:
    target = item.target
    if target.problem:
        return False, target.problem
    if item.release is None:
        return False, ("the templates do not render with EEx (`mix release` would stop the same way): "
                       + " ".join(item.render_errors)[:200])
    if target.start.startswith("missing:"):
        return False, "the image as written cannot start: " + target.facts.get("start_why", "")
    errors = errors_of(item.diagnostics)
    if target.kind == "case":
        name = target.id.split("/", 1)[1]
        other = [p for p in item.touches if not layers.is_env_layer_path(p)]
        if other and not (other == ["mix.exs"] and name in MIX_EXS_ENV_ONLY):
            return False, ("the case changes " + ", ".join(other) + ": its clustering outcome depends on Elixir "
                           "code, config or deps that the probe replaces by the Phoenix template's wiring")
        return True, MIX_EXS_ENV_ONLY.get(name, "")
    if errors["elixir"] and not errors["cluster"]:
        return False, ("the linter reports " + ", ".join(errors["elixir"]) + " (Elixir side): the outcome depends "
                       "on code the probe replaces by the template's wiring")
    note = item.mode_note
    if errors["elixir"]:
        note += (" the Elixir-side errors " + ", ".join(errors["elixir"]) + " are not exercised (the probe uses "
                 "the template's wiring); the verdict rests on the environment-layer errors").strip()
    return True, note.strip()


def expected_verdict(item: Prepared) -> tuple[bool, list[str], str]:
    """(expect a cluster?, the error codes whose symptoms must show, why)."""
    errors = errors_of(item.diagnostics)
    cluster = [c for c in errors["cluster"] if c != "FCL401"]
    if errors["cluster"] and not cluster:
        return True, [], ("only FCL401 (no fixed cookie): its docs say machines of one image share the random "
                          "cookie and do cluster")
    if cluster:
        return False, cluster + errors["packaging"], "FCL1xx-FCL4xx errors: " + ", ".join(errors["cluster"])
    if errors["packaging"]:
        return False, errors["packaging"], ("no FCL1xx-FCL4xx error, but packaging errors (which do not cascade) "
                                            + ", ".join(errors["packaging"]))
    return True, [], "no error-severity finding in FCL1xx-FCL4xx"
