"""The lab's machines: network namespaces that play two Fly Machines, the probe release, and boots.

Each *lane* is a pair of network namespaces joined by a veth pair. Machine `a` and machine `b` each have a
6PN-style address (`fdaa:0:18:a7b:...`, added with `nodad`), an IPv4 address, a hostname of their own (the
machine ID, set with `unshare --uts`), their own epmd (the release starts it), and `/etc/netns/<ns>/hosts` and
`resolv.conf` as Fly writes them. A dnsmasq in namespace `a` listens on `fdaa::3` (Fly's resolver address) and
answers `<app>.internal` with both machines' AAAA records, TXT-only names with TXT records only, a database name
with `b`'s address, and other apps' names with an address that no machine has.

A boot runs the real release script (`bin/<release> start`) under `env -i` with exactly the layers given, in a
working folder of its own (the probe writes `probe.json` there; crash dumps land there too). The release is a
copy of the probe build with the release's own name, the rendered `env.sh`/`vm.args`/`remote.vm.args`, and a
small wrapper in front of `releases/<vsn>/elixir` that records the environment and arguments the release script
hands to the VM (the cookie masked) before running the real script, so a VM that refuses to boot still shows
what it was given.

Clean-up kills only the processes `ip netns pids` lists for the lab's own namespaces (SIGKILL), deletes the
namespaces and their `/etc/netns` folders, from fixture finalizers, `atexit` and SIGTERM/SIGHUP handlers.
Namespace names carry the pid of the pytest process, so a crashed run never collides with a later one; the
namespaces of a dead earlier run are removed when the next run starts.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

LAB_DIR = Path(__file__).resolve().parent
PROBE_SRC = LAB_DIR / "probe_app"
RENDER_SCRIPT = LAB_DIR / "render_eex.exs"
PREFIX = "fcllab"
PROBE_RELEASE = "probe_app"
PROBE_VSN = "0.1.0"

SBIN_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Two machines of one Fly app: 6PN addresses in one /64 (each as :inet.ntoa prints it), IPv4, machine IDs.
MACHINES = {
    "a": {"address": "fdaa:0:18:a7b:7d:f066:b83b:2", "ipv4": "172.19.0.2", "id": "e784079b449483"},
    "b": {"address": "fdaa:0:18:a7b:c4:9a2e:51d0:2", "ipv4": "172.19.0.3", "id": "3d8d9d7c2e1589"},
}
DNS_SERVER = "fdaa::3"
# Another app's machine, and a Flycast proxy address: no lab machine has them, and there is no route to them.
OTHER_ADDRESS = "fdaa:0:18:a7c:1f:5e0:9b3:2"
FLYCAST_ADDRESS = "fdaa:0:18:0:1::7"
DEPLOY_ID = "01H9RK9EYO9PGNBYAKGXSHV0PH"
# The default RELEASE_MODE in the booted release script. Mix's script says "embedded", which preloads every module
# of the release (about 0.35 s more CPU per boot, twice the boot cost); the lab's default is "interactive", a
# change of code loading only (an env.sh that sets RELEASE_MODE still wins). LAB_RELEASE_MODE=embedded runs
# Mix's default; the recorded observations are the same in both modes (README.md).
RELEASE_MODE = os.environ.get("LAB_RELEASE_MODE", "interactive")
# How long a machine may take to boot (or to fail) on a loaded host before the lab gives up on it.
BOOT_TIMEOUT = float(os.environ.get("LAB_BOOT_TIMEOUT", "90"))
OTHER_DEPLOY_ID = "01HA3M8KZ5N6QX0W2E4R7T9Y1U"
FOREIGN_APPS = ("hello-production", "hello-worker")


def image_ref(app: str, deploy: str = DEPLOY_ID) -> str:
    return f"registry.fly.io/{app}:deployment-{deploy}"


def fly_variables(app: str, machine: str, region: str, deploy: str = DEPLOY_ID) -> dict[str, str]:
    """What Fly's init puts into a Machine's environment (the ones the linter models)."""
    m = MACHINES[machine]
    return {
        "FLY_APP_NAME": app,
        "FLY_IMAGE_REF": image_ref(app, deploy),
        "FLY_PRIVATE_IP": m["address"],
        "FLY_MACHINE_ID": m["id"],
        "FLY_REGION": region,
    }


# ---------------------------------------------------------------------------------------------------------
# Prerequisites


def _which(tool: str) -> str | None:
    return shutil.which(tool, path=os.environ.get("PATH", "") + ":" + SBIN_PATH)


_UNAVAILABLE: list[str | None] = []


def unavailable_reason() -> str | None:
    """Why the lab cannot run here (None when it can). Checked once, without side effects that outlive it."""
    if _UNAVAILABLE:
        return _UNAVAILABLE[0]
    reason = _check_prerequisites()
    _UNAVAILABLE.append(reason)
    return reason


def _check_prerequisites() -> str | None:
    if os.name != "posix" or not hasattr(os, "geteuid"):
        return "the BEAM lab needs Linux network namespaces"
    if os.geteuid() != 0:
        return "the BEAM lab needs root (it creates network namespaces)"
    missing = [tool for tool in ("ip", "unshare", "dnsmasq", "elixir", "mix", "dash", "env", "hostname")
               if not _which(tool)]
    if missing:
        return "the BEAM lab needs " + ", ".join(missing) + " (apt-get install -y --no-install-recommends " \
            "elixir dnsmasq-base iproute2)"
    name = f"{PREFIX}-check-{os.getpid()}"
    made = subprocess.run([_which("ip"), "netns", "add", name], capture_output=True, text=True)
    if made.returncode != 0:
        return f"the BEAM lab cannot create network namespaces here: {made.stderr.strip()}"
    subprocess.run([_which("ip"), "netns", "del", name], capture_output=True)
    return None


# ---------------------------------------------------------------------------------------------------------
# Clean-up that always runs


class _Registry:
    """The lab's own namespaces; clean-up kills only their processes and removes only them."""

    def __init__(self) -> None:
        self.namespaces: list[str] = []
        self.lock = threading.Lock()
        self.handlers_installed = False

    def add(self, ns: str) -> None:
        with self.lock:
            self.namespaces.append(ns)
        self.install_handlers()

    def install_handlers(self) -> None:
        if self.handlers_installed or threading.current_thread() is not threading.main_thread():
            return
        self.handlers_installed = True
        atexit.register(self.cleanup)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            previous = signal.getsignal(sig)

            def handler(signum, frame, previous=previous):
                self.cleanup()
                if callable(previous):
                    previous(signum, frame)
                else:
                    signal.signal(signum, signal.SIG_DFL)
                    os.kill(os.getpid(), signum)

            signal.signal(sig, handler)

    def cleanup(self) -> None:
        with self.lock:
            namespaces, self.namespaces = self.namespaces, []
        for ns in namespaces:
            destroy_namespace(ns)


REGISTRY = _Registry()


def namespace_pids(ns: str) -> list[int]:
    out = subprocess.run([_which("ip") or "ip", "netns", "pids", ns], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split() if p.isdigit()]


def kill_namespace_processes(ns: str, keep: set[int] = frozenset(), timeout: float = 3.0) -> None:
    """SIGKILL every process in the namespace except `keep`, and wait until they are gone."""
    deadline = time.monotonic() + timeout
    while True:
        pids = [p for p in namespace_pids(ns) if p not in keep]
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if time.monotonic() > deadline:
            return
        time.sleep(0.02)


def destroy_namespace(ns: str) -> None:
    kill_namespace_processes(ns)
    subprocess.run([_which("ip") or "ip", "netns", "del", ns], capture_output=True)
    shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)


def reap_stale_namespaces() -> list[str]:
    """Remove the namespaces of earlier lab runs whose pytest process is gone."""
    listing = Path("/run/netns")
    removed = []
    if not listing.is_dir():
        return removed
    for entry in listing.iterdir():
        match = re.fullmatch(rf"{PREFIX}-(\d+)-[\w-]+", entry.name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            destroy_namespace(entry.name)
            removed.append(entry.name)
    return removed


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([_which("ip"), *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")
    return result


# ---------------------------------------------------------------------------------------------------------
# The probe builds


@dataclass
class Build:
    """One `mix release` of the probe into a folder of its own (one build = one random releases/COOKIE)."""

    name: str
    folder: Path
    mix_env: str = "prod"
    output: str = ""

    @property
    def project(self) -> Path:
        return self.folder / "probe_app"

    @property
    def release_dir(self) -> Path:
        return self.project / "_build" / self.mix_env / "rel" / PROBE_RELEASE

    @property
    def vsn_dir(self) -> Path:
        return self.release_dir / "releases" / PROBE_VSN

    def default(self, file: str) -> str:
        return (self.vsn_dir / file).read_text()

    def erts(self) -> str:
        return next(p.name for p in self.release_dir.iterdir() if p.name.startswith("erts-"))


def start_build(name: str, folder: Path, mix_env: str = "prod") -> tuple[Build, subprocess.Popen]:
    folder.mkdir(parents=True, exist_ok=True)
    build = Build(name, folder, mix_env)
    shutil.copytree(PROBE_SRC, build.project, ignore=shutil.ignore_patterns("_build", "deps", "*.ez"))
    env = {"PATH": SBIN_PATH, "HOME": str(folder), "LANG": "C.UTF-8", "MIX_ENV": mix_env}
    process = subprocess.Popen([_which("mix"), "release", "--quiet", "--overwrite"], cwd=build.project, env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return build, process


def finish_build(build: Build, process: subprocess.Popen) -> Build:
    output, _ = process.communicate(timeout=600)
    build.output = output
    if process.returncode != 0 or not build.release_dir.is_dir():
        raise RuntimeError(f"building the probe ({build.name}) failed:\n{output}")
    return build


# ---------------------------------------------------------------------------------------------------------
# Rendering EEx templates as `mix release` does, all at once


def render_templates(jobs: list[tuple[Path, Path, str, str]], workdir: Path) -> tuple[dict[str, str], dict[Path, str]]:
    """Render (template, destination, release name, version) jobs in one `elixir` call.

    Returns the Elixir/OTP versions and, per destination that failed, the error text."""
    workdir.mkdir(parents=True, exist_ok=True)
    manifest = workdir / f"render-{uuid.uuid4().hex[:8]}.tsv"
    manifest.write_text("".join(f"{src}\t{dst}\t{name}\t{vsn}\n" for src, dst, name, vsn in jobs))
    env = {"PATH": SBIN_PATH, "HOME": str(workdir), "LANG": "C.UTF-8"}
    out = subprocess.run([_which("elixir"), str(RENDER_SCRIPT), str(manifest)], env=env, capture_output=True,
                         text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"rendering templates failed:\n{out.stdout}\n{out.stderr}")
    versions = json.loads(out.stdout.strip().splitlines()[-1])
    errors = {}
    for _src, dst, _name, _vsn in jobs:
        error = Path(str(dst) + ".error")
        if error.exists():
            errors[dst] = error.read_text()
    return versions, errors


# ---------------------------------------------------------------------------------------------------------
# Scenarios


@dataclass
class ReleaseSpec:
    """What goes into the booted release. None means: what the probe build has (Mix's defaults)."""

    name: str = "hello"
    build: str = "a"
    env_sh: str | None = None
    vm_args: str | None = None
    remote_vm_args: str | None = None
    runtime_exs: str | None = None
    cookie: str | None = None  # releases/COOKIE content (a mix.exs `cookie:` literal)

    def key(self) -> tuple:
        return (self.name, self.build, self.env_sh, self.vm_args, self.remote_vm_args, self.runtime_exs, self.cookie)


@dataclass
class MachineSpec:
    machine: str  # "a" or "b"
    release: ReleaseSpec
    env: dict[str, str]  # the layers, without the Fly variables
    fly: dict[str, str] | None  # Fly's variables (None: not on a Fly Machine)
    start: str = "release"  # "release": bin/<name> start; "mix": mix run --no-halt in the probe project;
    # "script:<path>": sh <path> bin/<name> start; "missing:<command>": exec a command the image does not have
    probe: dict = field(default_factory=dict)  # probe.conf settings

    def full_env(self, workdir: Path) -> dict[str, str]:
        env = {"PATH": SBIN_PATH, "HOME": str(workdir), "LANG": "C.UTF-8"}
        env.update(self.env)
        env.update(self.fly or {})
        return env

    def key(self) -> tuple:
        return (self.machine, self.release.key(), tuple(sorted(self.env.items())),
                tuple(sorted((self.fly or {}).items())), self.start, tuple(sorted(self.probe.items(), key=str)))


@dataclass
class Action:
    """A release command run on machine `a` once the scenario settled: ("rpc", expr) or ("remote", None)."""

    command: str
    argument: str | None = None
    timeout: float = 60.0


@dataclass
class Scenario:
    name: str
    machines: list[MachineSpec]
    actions: list[Action] = field(default_factory=list)
    until: str = "settled"  # "boot": the boot facts are enough; "settled": wait for the cluster outcome
    listeners: list[tuple[str, int]] = field(default_factory=list)  # (machine, TCP port) playing a database
    deadline: float = 8.0  # seconds after the last machine booted, to wait for the outcome
    rounds_after_boot: int = 2

    def key(self) -> tuple:
        return (tuple(m.key() for m in self.machines), tuple((a.command, a.argument) for a in self.actions),
                self.until, self.deadline, self.rounds_after_boot, tuple(self.listeners))


@dataclass
class MachineResult:
    machine: str
    report: dict | None
    output: str
    exit_code: int | None  # None: still running when the lab stopped it
    execs: list[dict]
    workdir: Path

    @property
    def booted(self) -> bool:
        return self.report is not None

    @property
    def node(self) -> str | None:
        return self.report["boot"]["node"] if self.report else None

    @property
    def peers(self) -> list[str]:
        if not self.report:
            return []
        lists = []
        if self.report.get("snapshot"):
            lists.append((self.report["snapshot"]["at_ms"], self.report["snapshot"]["node_list"]))
        for rnd in self.report.get("rounds") or []:
            lists.append((rnd["finished_ms"], rnd["node_list"]))
        return sorted(lists)[-1][1] if lists else []

    @property
    def start_exec(self) -> dict | None:
        """What the release script handed to the VM for the boot command (start or eval)."""
        for record in self.execs:
            if record["env"].get("RELEASE_COMMAND") in ("start", "daemon", "eval", "start_iex"):
                return record
        return None

    def lines(self, *needles: str) -> list[str]:
        return [line for line in self.output.splitlines() if any(n in line for n in needles)]


@dataclass
class ActionResult:
    command: str
    argument: str | None
    output: str
    exit_code: int | None
    timed_out: bool
    seconds: float


@dataclass
class ScenarioResult:
    name: str
    machines: dict[str, MachineResult]
    actions: list[ActionResult]
    seconds: float
    settled: str  # how the wait ended

    def __getitem__(self, machine: str) -> MachineResult:
        return self.machines[machine]

    @property
    def clustered(self) -> bool:
        ms = list(self.machines.values())
        return len(ms) > 1 and all(m.booted for m in ms) and all(
            all(o.node in m.peers for o in ms if o is not m) for m in ms)


# ---------------------------------------------------------------------------------------------------------
# A lane: two namespaces, a veth pair, a resolver


_WRAPPER = r"""#!/bin/sh
# Installed by the fly-cluster-lint reality lab in front of the release's own `elixir` script: it records what
# the release script hands to the VM (its environment and arguments, the cookie masked, never its value) and
# then runs the real script unchanged.
lab_out="lab-exec-$$"
env -u RELEASE_COOKIE -0 > "$lab_out.env" 2>/dev/null || true
if [ -z "${RELEASE_COOKIE+x}" ]; then echo unset; elif [ -z "$RELEASE_COOKIE" ]; then echo empty; else echo set; fi > "$lab_out.cookie"
lab_mask=""
for lab_arg in "$@"; do
  if [ -n "$lab_mask" ]; then printf '%s\0' '****'; lab_mask=""; else printf '%s\0' "$lab_arg"; fi
  if [ "$lab_arg" = "--cookie" ]; then lab_mask=1; fi
done > "$lab_out.args"
unset lab_out lab_mask lab_arg
exec "$(dirname "$0")/elixir.lab-real" "$@"
"""


def hosts_file(machine: str) -> str:
    m = MACHINES[machine]
    return (
        "127.0.0.1\tlocalhost localhost.localdomain\n"
        "::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\n"
        "ff00::0\tip6-mcastprefix\n"
        "ff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n"
        f"{m['ipv4']}\t{m['id']}\n"
        f"{m['address']}\tfly-local-6pn\n"
    )


def dns_zone(apps: list[str], regions: list[str]) -> tuple[str, list[str]]:
    """The addn-hosts file and the TXT records dnsmasq serves, modelled on Fly's `.internal` names."""
    a, b = MACHINES["a"]["address"], MACHINES["b"]["address"]
    lines, txt = [], []
    for app in sorted(set(apps) - set(FOREIGN_APPS)):
        names = [f"{app}.internal", f"global.{app}.internal", f"top1.nearest.of.{app}.internal",
                 f"top2.nearest.of.{app}.internal", f"app.process.{app}.internal"]
        names += [f"{region}.{app}.internal" for region in regions]
        for name in names:
            lines += [f"{a}\t{name}", f"{b}\t{name}"]
        lines += [f"{a}\t{MACHINES['a']['id']}.vm.{app}.internal", f"{b}\t{MACHINES['b']['id']}.vm.{app}.internal"]
        lines += [f"{b}\t{app}-db.internal", f"{FLYCAST_ADDRESS}\t{app}.flycast", f"{FLYCAST_ADDRESS}\t{app}-db.flycast"]
        machines = ",".join(f"{MACHINES[x]['id']} {regions[0] if regions else 'ams'}" for x in "ab")
        for name in (f"vms.{app}.internal", f"all.vms.{app}.internal"):
            txt.append(f"{name},{machines}")
        for name in (f"regions.{app}.internal", f"all.regions.{app}.internal"):
            txt.append(f"{name},{','.join(regions) or 'ams'}")
    for app in FOREIGN_APPS:
        lines.append(f"{OTHER_ADDRESS}\t{app}.internal")
    txt.append("_apps.internal," + ",".join(sorted(set(apps))))
    return "".join(line + "\n" for line in lines), txt


class Lane:
    def __init__(self, run_id: str, index: int, workroot: Path, zone: tuple[str, list[str]]) -> None:
        self.index = index
        self.ns = {m: f"{PREFIX}-{run_id}-{index}{m}" for m in MACHINES}
        self.workroot = workroot / f"lane{index}"
        self.workroot.mkdir(parents=True, exist_ok=True)
        self.dnsmasq: subprocess.Popen | None = None
        self.keep: dict[str, set[int]] = {m: set() for m in MACHINES}
        self.counter = 0
        self.listeners: list[subprocess.Popen] = []
        self._setup(zone)

    def _setup(self, zone: tuple[str, list[str]]) -> None:
        for machine, ns in self.ns.items():
            REGISTRY.add(ns)
            etc = Path("/etc/netns") / ns
            etc.mkdir(parents=True, exist_ok=True)
            (etc / "hosts").write_text(hosts_file(machine))
            (etc / "resolv.conf").write_text(f"nameserver {DNS_SERVER}\n")
            _ip("netns", "add", ns)
            subprocess.run([_which("ip"), "netns", "exec", ns, "sh", "-c",
                            "echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad; "
                            "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad"], capture_output=True)
        _ip("link", "add", "name", "eth0", "netns", self.ns["a"], "type", "veth", "peer", "name", "eth0", "netns",
            self.ns["b"])
        for machine, ns in self.ns.items():
            m = MACHINES[machine]
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "addr", "add", f"{m['address']}/64", "dev", "eth0", "nodad")
            _ip("-n", ns, "addr", "add", f"{m['ipv4']}/24", "dev", "eth0")
        _ip("-n", self.ns["a"], "addr", "add", f"{DNS_SERVER}/128", "dev", "eth0", "nodad")
        _ip("-n", self.ns["b"], "-6", "route", "add", f"{DNS_SERVER}/128", "dev", "eth0")
        hosts, txt = zone
        zone_file = self.workroot / "internal.hosts"
        zone_file.write_text(hosts)
        zone_file.chmod(0o644)
        log = self.workroot / "dnsmasq.log"
        argv = [_which("ip"), "netns", "exec", self.ns["a"], _which("dnsmasq"), "--keep-in-foreground",
                "--conf-file=/dev/null", "--no-resolv", "--no-hosts", f"--addn-hosts={zone_file}",
                "--local=/internal/", "--local=/flycast/", f"--listen-address={DNS_SERVER}", "--bind-interfaces",
                "--user=root", "--group=root", "--pid-file=", "--log-facility=-"]
        argv += [f"--txt-record={record}" for record in txt]
        with open(log, "w") as out:
            self.dnsmasq = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        self.keep["a"] = {self.dnsmasq.pid}
        deadline = time.monotonic() + 10
        while "started" not in log.read_text():
            if self.dnsmasq.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dnsmasq did not start: {log.read_text()}")
            time.sleep(0.02)

    def destroy(self) -> None:
        for ns in self.ns.values():
            destroy_namespace(ns)
        if self.dnsmasq:
            self.dnsmasq.wait(timeout=5)

    # -- one machine -------------------------------------------------------------------------------------

    def _release(self, builds: dict[str, Build], spec: ReleaseSpec, dest: Path) -> Path:
        """The probe build under the release's own name with the given templates (files are copied or linked
        from the build, never written through)."""
        build = builds[spec.build]
        src = build.release_dir
        (dest / "bin").mkdir(parents=True)
        script = (src / "bin" / PROBE_RELEASE).read_text()
        script = script.replace(f'RELEASE_NAME="${{RELEASE_NAME:-"{PROBE_RELEASE}"}}"',
                                f'RELEASE_NAME="${{RELEASE_NAME:-"{spec.name}"}}"')
        if RELEASE_MODE != "embedded":
            script = script.replace('RELEASE_MODE="${RELEASE_MODE:-"embedded"}"',
                                    f'RELEASE_MODE="${{RELEASE_MODE:-"{RELEASE_MODE}"}}"')
        (dest / "bin" / spec.name).write_text(script)
        (dest / "bin" / spec.name).chmod(0o755)
        erts = build.erts()
        (dest / erts).symlink_to(src / erts)
        (dest / "lib").symlink_to(src / "lib")
        releases = dest / "releases"
        vsn = releases / PROBE_VSN
        vsn.mkdir(parents=True)
        shutil.copy2(src / "releases" / "start_erl.data", releases / "start_erl.data")
        if spec.cookie is not None:
            (releases / "COOKIE").write_text(spec.cookie)
        else:
            shutil.copy2(src / "releases" / "COOKIE", releases / "COOKIE")
        for entry in build.vsn_dir.iterdir():
            if entry.is_dir():
                (vsn / entry.name).symlink_to(entry)
            else:
                shutil.copy2(entry, vsn / entry.name)
        for file, text in (("env.sh", spec.env_sh), ("vm.args", spec.vm_args),
                           ("remote.vm.args", spec.remote_vm_args), ("runtime.exs", spec.runtime_exs)):
            if text is not None:
                (vsn / file).write_text(text, errors="surrogateescape")
        (vsn / "elixir").rename(vsn / "elixir.lab-real")
        (vsn / "elixir").write_text(_WRAPPER)
        (vsn / "elixir").chmod(0o755)
        return dest

    def _command(self, spec: MachineSpec, workdir: Path, builds: dict[str, Build], argv: list[str]) -> list[str]:
        env = spec.full_env(workdir)
        m = MACHINES[spec.machine]
        return [_which("ip"), "netns", "exec", self.ns[spec.machine], _which("unshare"), "--uts", "/bin/sh", "-c",
                'hostname "$1" && shift && exec "$@"', "sh", m["id"], "/usr/bin/env", "-i",
                *[f"{k}={v}" for k, v in env.items()], *argv]

    def _prepare(self, spec: MachineSpec, workdir: Path, builds: dict[str, Build]) -> list[str]:
        workdir.mkdir(parents=True)
        if spec.probe:
            (workdir / "probe.conf").write_text("".join(f"{{{k}, {_erlang_term(v)}}}.\n" for k, v in spec.probe.items()))
        if spec.start == "mix":
            build = builds[spec.release.build]
            project = workdir / "project"
            project.mkdir()
            for entry in ("mix.exs", "lib", "config"):
                (project / entry).symlink_to(build.project / entry)
            (project / "_build").symlink_to(build.project / "_build")
            # mix runs in the project folder; the probe's files are in the working folder
            if spec.probe:
                (project / "probe.conf").symlink_to(workdir / "probe.conf")
            return self._command(spec, workdir, builds, ["/bin/sh", "-c", f'cd "{project}" && exec mix run --no-halt'])
        if spec.start.startswith("missing:"):
            return self._command(spec, workdir, builds, [spec.start.split(":", 1)[1]])
        release = self._release(builds, spec.release, workdir / "release")
        argv = [str(release / "bin" / spec.release.name), "start"]
        if spec.start.startswith("script:"):
            # the image's entrypoint script from the repository, in front of the release (it ends in exec "$@")
            argv = ["/bin/sh", spec.start.split(":", 1)[1], *argv]
        return self._command(spec, workdir, builds, argv)

    # -- a scenario ----------------------------------------------------------------------------------------

    def run(self, scenario: Scenario, builds: dict[str, Build], stopping: threading.Event | None = None
            ) -> ScenarioResult:
        self.stopping = stopping or threading.Event()
        self.counter += 1
        base = self.workroot / f"{self.counter:03d}-{_slug(scenario.name)}"
        started = time.monotonic()
        processes: dict[str, tuple[subprocess.Popen, Path, object]] = {}
        try:
            for machine, port in scenario.listeners:
                self._listen(machine, port, base)
            for spec in scenario.machines:
                workdir = base / spec.machine
                argv = self._prepare(spec, workdir, builds)
                if spec.start == "mix":
                    workdir = workdir / "project"
                log = open(workdir / "output.log", "w")
                process = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log,
                                           stderr=subprocess.STDOUT)
                processes[spec.machine] = (process, workdir, log)
            settled = self._wait(scenario, processes)
            if settled == "boot timeout":
                self._note_stuck(processes)
            actions = [self._action(scenario, action, builds, base) for action in scenario.actions
                       if "a" in processes]
            return ScenarioResult(
                name=scenario.name,
                machines={m: self._collect(m, *processes[m]) for m in processes},
                actions=actions,
                seconds=time.monotonic() - started,
                settled=settled,
            )
        finally:
            for machine in self.ns:
                kill_namespace_processes(self.ns[machine], keep=self.keep[machine])
            for process, _workdir, log in processes.values():
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    pass
                log.close()
            for listener in self.listeners:
                listener.wait(timeout=5)
            self.listeners = []

    def _note_stuck(self, processes) -> None:
        """A machine still booting at the deadline: note what its namespace runs (for the failure message)."""
        for machine, (process, workdir, _log) in processes.items():
            if process.poll() is None and _read_report(workdir) is None:
                lines = []
                for pid in namespace_pids(self.ns[machine]):
                    try:
                        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:160]
                        stat = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()
                        wchan = Path(f"/proc/{pid}/wchan").read_text()
                    except OSError:
                        continue
                    lines.append(f"{pid} {stat[0]} utime={stat[11]} wchan={wchan} {cmd}")
                (workdir / "stuck.txt").write_text("\n".join(lines) + "\n")

    def _listen(self, machine: str, port: int, base: Path) -> None:
        """A TCP listener on [::]:port in the machine's namespace (stopped with the namespace's processes)."""
        code = ("import socket,sys\n"
                "s=socket.socket(socket.AF_INET6)\n"
                "s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)\n"
                "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
                "s.bind(('::',int(sys.argv[1])));s.listen(64)\n"
                "print('listening',flush=True)\n"
                "while True:\n c,_=s.accept();c.close()\n")
        base.mkdir(parents=True, exist_ok=True)
        process = subprocess.Popen([_which("ip"), "netns", "exec", self.ns[machine], sys.executable, "-c", code,
                                    str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True)
        process.stdout.readline()
        self.listeners.append(process)

    def _wait(self, scenario: Scenario, processes) -> str:
        """Wait until every machine booted (wrote its report) or exited, however long a loaded host takes
        (up to BOOT_TIMEOUT), then for the outcome: a cluster, or enough discovery rounds after the last boot
        (scenario.deadline bounds this second phase). The outcome never depends on how fast the host is."""
        boot_deadline = time.monotonic() + BOOT_TIMEOUT
        settle_deadline = None
        while True:
            reports = {m: _read_report(w) for m, (p, w, _) in processes.items()}
            running = {m for m, (p, _, _) in processes.items() if p.poll() is None}
            if not running:
                return "all exited"
            if self.stopping.is_set():
                return "interrupted"
            now = time.monotonic()
            if all(reports[m] is not None or m not in running for m in processes):
                if scenario.until == "boot":
                    return "booted"
                settle_deadline = settle_deadline or now + scenario.deadline
                verdict = _settled(scenario, reports, running)
                if verdict:
                    return verdict
                if now > settle_deadline:
                    return "deadline"
            elif now > boot_deadline:
                return "boot timeout"
            time.sleep(0.05)

    def _action(self, scenario: Scenario, action: Action, builds: dict[str, Build], base: Path) -> ActionResult:
        spec = next(s for s in scenario.machines if s.machine == "a")
        workdir = base / "a"
        release = workdir / "release" / "bin" / spec.release.name
        argv = [str(release), action.command] + ([action.argument] if action.argument else [])
        # `fly ssh console --pty -C ...` gives the command a terminal and a TERM; the machine's own
        # environment (the layers) stays as it is
        command = self._command(spec, workdir, builds, argv)
        command[command.index("-i") + 1:command.index("-i") + 1] = ["TERM=xterm-256color"]
        started = time.monotonic()
        master, slave = os.openpty()
        process = subprocess.Popen(command, cwd=workdir, stdin=slave, stdout=slave, stderr=slave, close_fds=True)
        os.close(slave)
        output, timed_out = b"", False
        deadline = started + action.timeout
        try:
            while True:
                ready, _, _ = select.select([master], [], [], 0.05)
                if ready:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:
                        chunk = b""
                    if not chunk and process.poll() is not None:
                        break
                    output += chunk
                    # a remote shell that shows the running node's prompt has connected: that is the outcome
                    if action.command == "remote" and re.search(rb"iex\((?!rem-)[^)]*\)\d+>", output):
                        break
                elif process.poll() is not None:
                    break
                if time.monotonic() > deadline:
                    timed_out = True
                    break
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=5)
            os.close(master)
        text = output.decode("utf-8", errors="replace").replace("\r\n", "\n")
        return ActionResult(action.command, action.argument, text, process.returncode if not timed_out else None,
                            timed_out, time.monotonic() - started)

    def _collect(self, machine: str, process: subprocess.Popen, workdir: Path, log) -> MachineResult:
        log.flush()
        code = process.poll()
        execs = []
        for env_file in sorted(workdir.glob("lab-exec-*.env")):
            stem = str(env_file)[: -len(".env")]
            env = dict(item.split("=", 1) for item in env_file.read_text(errors="replace").split("\0") if "=" in item)
            args = Path(stem + ".args").read_text(errors="replace").split("\0")[:-1]
            cookie = Path(stem + ".cookie").read_text().strip() if Path(stem + ".cookie").exists() else "?"
            execs.append({"env": env, "args": args, "release_cookie": cookie})
        return MachineResult(
            machine=machine,
            report=_read_report(workdir),
            output=(workdir / "output.log").read_text(errors="replace"),
            exit_code=code,
            execs=execs,
            workdir=workdir,
        )


def _settled(scenario: Scenario, reports: dict, running: set[str]) -> str | None:
    live = [m for m in reports if m in running]
    if any(reports[m] is None for m in live):
        return None  # still booting
    nodes = {m: reports[m]["boot"]["node"] for m in live}
    if len(reports) > 1 and len(live) == len(reports):
        if all(all(nodes[o] in _latest_peers(reports[m]) for o in live if o != m) for m in live):
            return "clustered"
    all_booted = max(reports[m]["boot"]["booted_at_ms"] for m in live)
    for m in live:
        report = reports[m]
        spec = next(s for s in scenario.machines if s.machine == m)
        if spec.probe.get("db_check") and report.get("db") is None:
            return None
        discovery = report.get("discovery") or {}
        rounds = [r for r in report.get("rounds") or [] if r["started_ms"] >= all_booted]
        if discovery.get("state") == "running":
            if len(rounds) < scenario.rounds_after_boot:
                return None
        else:
            snapshot = report.get("snapshot") or {}
            if snapshot.get("at_ms", 0) < all_booted + 600:
                return None
    return "settled without a cluster" if len(reports) > 1 else "settled"


def _latest_peers(report: dict) -> list[str]:
    lists = []
    if report.get("snapshot"):
        lists.append((report["snapshot"]["at_ms"], report["snapshot"]["node_list"]))
    for rnd in report.get("rounds") or []:
        lists.append((rnd["finished_ms"], rnd["node_list"]))
    return sorted(lists)[-1][1] if lists else []


def _read_report(workdir: Path) -> dict | None:
    path = workdir / "probe.json"
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _erlang_term(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value if re.fullmatch(r"[a-z][a-z0-9_]*", value) else json.dumps(value)
    if isinstance(value, tuple):
        return "{" + ", ".join(_erlang_term(v) for v in value) + "}"
    raise TypeError(value)


def _sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:60]


# ---------------------------------------------------------------------------------------------------------
# The lab: builds, lanes, a scheduler and a cache of results


class Lab:
    def __init__(self, workroot: Path, apps: list[str], regions: list[str], lanes: int | None = None) -> None:
        self.workroot = workroot
        self.run_id = f"{os.getpid()}-{uuid.uuid4().hex[:4]}"
        self.builds: dict[str, Build] = {}
        self._pending_builds: dict[str, tuple[Build, subprocess.Popen]] = {}
        self.build_lock = threading.Lock()
        self.cache: dict[tuple, ScenarioResult] = {}
        self.cache_lock = threading.Lock()
        self.versions: dict[str, str] = {}
        self.apps = sorted(set(apps) | {"hello"})
        self.regions = sorted(set(regions) | {"ams"})
        # boots are CPU-bound, waiting for a cluster outcome is not: two lanes per core keep the cores busy
        self.lane_count = lanes or int(os.environ.get("LAB_LANES", "0") or 0) or max(2, min(8, 2 * (os.cpu_count() or 1)))
        self.lanes: list[Lane] = []
        self.free: list[Lane] = []
        self.lane_lock = threading.Condition()
        self.timings: dict[str, float] = {}
        self.stopping = threading.Event()
        self.prepared: dict = {}
        self.expanded: dict = {}
        self.report: dict = {"env": {}, "verdict": {}, "symptoms": {}}

    # builds ------------------------------------------------------------------------------------------------

    def start_builds(self, names: list[str]) -> None:
        with self.build_lock:
            for name in names:
                if name in self.builds or name in self._pending_builds:
                    continue
                mix_env = "dev" if name == "dev" else "prod"
                self._pending_builds[name] = start_build(name, self.workroot / f"build-{name}", mix_env)

    def build(self, name: str) -> Build:
        self.start_builds([name])
        with self.build_lock:
            if name not in self.builds:
                started = time.monotonic()
                build, process = self._pending_builds.pop(name)
                self.builds[name] = finish_build(build, process)
                self.timings[f"build {name} (wait)"] = time.monotonic() - started
            return self.builds[name]

    # lanes -------------------------------------------------------------------------------------------------

    def open(self) -> None:
        REGISTRY.install_handlers()  # from the main thread, before any namespace exists
        reap_stale_namespaces()
        started = time.monotonic()
        zone = dns_zone(self.apps, self.regions)
        with ThreadPoolExecutor(self.lane_count) as pool:
            self.lanes = list(pool.map(lambda i: Lane(self.run_id, i, self.workroot, zone), range(self.lane_count)))
        self.free = list(self.lanes)
        self.timings["lanes"] = time.monotonic() - started

    def close(self) -> None:
        lanes, self.lanes = self.lanes, []
        for lane in lanes:
            lane.destroy()
        REGISTRY.cleanup()
        for build, process in self._pending_builds.values():
            process.kill()
            process.wait()

    def _lane(self) -> Lane:
        with self.lane_lock:
            while not self.free:
                self.lane_lock.wait()
            return self.free.pop()

    def _release_lane(self, lane: Lane) -> None:
        with self.lane_lock:
            self.free.append(lane)
            self.lane_lock.notify()

    # running -------------------------------------------------------------------------------------------------

    def run(self, scenario: Scenario) -> ScenarioResult:
        if self.stopping.is_set():
            raise RuntimeError("the lab is shutting down")
        key = scenario.key()
        with self.cache_lock:
            if key in self.cache:
                return self.cache[key]
        builds = {name: self.build(name) for name in {m.release.build for m in scenario.machines}}
        lane = self._lane()
        try:
            result = lane.run(scenario, builds, self.stopping)
        finally:
            self._release_lane(lane)
        with self.cache_lock:
            self.cache.setdefault(key, result)
            return self.cache[key]

    def shell_expand(self, items: list[tuple[str, dict[str, str], str]]) -> dict[str, str]:
        """Expand shell words as dash does at boot on machine `a` (its hostname, its /etc/hosts), each with
        exactly the given variables: {key: expansion} for (key, variables, word) items."""
        lane = self._lane()
        try:
            folder = lane.workroot / f"expand-{uuid.uuid4().hex[:6]}"
            folder.mkdir()
            outer = []
            for index, (key, variables, word) in enumerate(items):
                (folder / f"{index}.sh").write_text(f"cat <<__LAB_WORD_END__\n{word}\n__LAB_WORD_END__\n")
                assignments = " ".join(_sh_quote(f"{k}={v}") for k, v in variables.items())
                outer.append(f"/usr/bin/env -i PATH={SBIN_PATH} {assignments} /bin/dash {index}.sh > {index}.out 2> {index}.err")
            (folder / "all.sh").write_text("\n".join(outer) + "\n")
            m = MACHINES["a"]
            subprocess.run([_which("ip"), "netns", "exec", lane.ns["a"], _which("unshare"), "--uts", "/bin/sh", "-c",
                            'hostname "$1" && exec /bin/sh all.sh', "sh", m["id"]], cwd=folder, capture_output=True,
                           timeout=120)
            results = {}
            for index, (key, _variables, _word) in enumerate(items):
                out = folder / f"{index}.out"
                text = out.read_text(errors="surrogateescape") if out.exists() else ""
                results[key] = text[:-1] if text.endswith("\n") else text
            return results
        finally:
            self._release_lane(lane)

    def run_all(self, scenarios: list[Scenario]) -> None:
        """Run scenarios on all lanes at once (results land in the cache). On an interrupt, nothing queued
        starts any more and the lab is torn down at once."""
        unique = {s.key(): s for s in scenarios}
        todo = [s for k, s in unique.items() if k not in self.cache]
        for name in {m.release.build for s in todo for m in s.machines}:
            self.start_builds([name])
        # long scenarios first, so that the lanes finish together
        todo.sort(key=lambda s: -s.deadline)
        pool = ThreadPoolExecutor(len(self.lanes))
        futures = [pool.submit(self.run, s) for s in todo]
        try:
            for future in futures:
                try:
                    future.result()
                except Exception:  # noqa: BLE001 - the scenario's test runs it again and reports the error
                    pass
        except BaseException:  # interrupted: stop at once
            self.stopping.set()
            pool.shutdown(wait=False, cancel_futures=True)
            self.close()
            raise
        pool.shutdown()
