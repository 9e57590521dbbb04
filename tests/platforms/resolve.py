"""Which files pip would install for fly-cluster-lint's dependencies on every platform an Elixir team uses.

    python tests/platforms/resolve.py                 # from the committed snapshot of PyPI's file lists
    python tests/platforms/resolve.py --refresh       # fetch the file lists again (network), rewrite the snapshot
    python tests/platforms/resolve.py --lowest        # the lowest versions the ranges admit

For each target (Linux glibc/musl x86_64/aarch64, macOS arm64/x86_64, Windows amd64/arm64) and each Python
(3.9-3.14), every requirement whose marker applies is matched the way pip matches it: the newest (or, with
--lowest, the lowest) version in the range whose Requires-Python admits the interpreter and that has a wheel
with a compatible tag; otherwise an sdist, which counts only where the package is known to build from source
with a C compiler alone. Then the chosen tree-sitter core must accept every chosen grammar's language ABI
(the table below was read off the installed wheels with `Language(...).abi_version`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from packaging import tags
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE / "pypi-files.json"
PYPROJECT = HERE.parent.parent / "pyproject.toml"

LINUX = {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}
MAC = {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"}
WIN = {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"}


def _manylinux(arch: str) -> list[str]:
    """Tags a glibc 2.17+ system accepts (the oldest glibc any supported distribution still has)."""
    return [f"manylinux_2_{minor}_{arch}" for minor in range(17, 4, -1)] + [
        f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]


TARGETS = {
    "linux-x86_64": (_manylinux("x86_64"), dict(LINUX, platform_machine="x86_64")),
    "linux-aarch64": (_manylinux("aarch64"), dict(LINUX, platform_machine="aarch64")),
    "musl-x86_64": (["musllinux_1_2_x86_64", "musllinux_1_1_x86_64"], dict(LINUX, platform_machine="x86_64")),
    "musl-aarch64": (["musllinux_1_2_aarch64", "musllinux_1_1_aarch64"], dict(LINUX, platform_machine="aarch64")),
    "macos-x86_64": (list(tags.mac_platforms((10, 15), "x86_64")), dict(MAC, platform_machine="x86_64")),
    "macos-arm64": (list(tags.mac_platforms((11, 0), "arm64")), dict(MAC, platform_machine="arm64")),
    "windows-amd64": (["win_amd64"], dict(WIN, platform_machine="AMD64")),
    "windows-arm64": (["win_arm64"], dict(WIN, platform_machine="ARM64")),
}
PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13", "3.14"]

# Packages whose sdist builds with a C compiler and nothing else (checked by building them); the grammar
# sdists before tree-sitter-bash 0.25 ship without their parser header and do not build.
SDIST_BUILDS = {"tree-sitter": SpecifierSet(">=0.23"), "tree-sitter-bash": SpecifierSet(">=0.25"),
                "pyyaml": SpecifierSet(">=6.0.1"), "tomli": SpecifierSet(">=1")}

# Language ABI: what each tree-sitter core accepts, and what each grammar release speaks.
CORE_ABI = {"0.23": (13, 14), "0.24": (13, 14), "0.25": (13, 15), "0.26": (13, 15)}
GRAMMAR_ABI = {"tree-sitter-bash": {"0.23": 14, "0.25": 15}, "tree-sitter-elixir": {"0.3": 14},
               "tree-sitter-toml": {"0.6": 14, "0.7": 14}}


def requirements(path: Path = PYPROJECT) -> tuple[list[Requirement], SpecifierSet]:
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    return [Requirement(d) for d in project["dependencies"]], SpecifierSet(project["requires-python"])


def refresh(reqs: list[Requirement]) -> dict:
    """PyPI's file lists, from the oldest version any requirement's floor names on."""
    import urllib.request

    floors: dict[str, Version] = {}
    for req in reqs:
        for spec in req.specifier:
            if spec.operator in (">=", "=="):
                name = canonicalize_name(req.name)
                floors[name] = min(floors.get(name, Version(spec.version)), Version(spec.version))
    out = {}
    for name in sorted(floors):
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=60) as resp:
            data = json.load(resp)
        out[name] = {v: sorted([f["filename"], f.get("requires_python") or ""] for f in files if not f.get("yanked"))
                     for v, files in data["releases"].items()
                     if files and not Version(v).is_prerelease and Version(v) >= floors[name]}
    return out


def choose(files: dict, spec: SpecifierSet, python: str, supported: set, lowest: bool):
    """(version, filename, kind) pip would pick, or None; kind is "wheel" or "sdist"."""
    for version in sorted(files, key=Version, reverse=not lowest):
        if version not in spec:
            continue
        usable = [name for name, requires in files[version] if not requires or python in SpecifierSet(requires)]
        for name in usable:
            if name.endswith(".whl") and set(parse_wheel_filename(name)[3]) & supported:
                return version, name, "wheel"
        sdists = [name for name in usable if name.endswith((".tar.gz", ".zip"))]
        if sdists:
            return version, sdists[0], "sdist"
    return None


def _series(version: str, table: dict):
    v = Version(version)
    return table.get(f"{v.major}.{v.minor}")


def resolve(index: dict, reqs: list[Requirement], requires_python: SpecifierSet, lowest: bool = False) -> dict:
    """{(target, python): (status, [notes])}; status is "wheels", "sdist", "n/a" or "FAIL"."""
    table = {}
    for target, (platforms, markers) in TARGETS.items():
        for python in PYTHONS:
            if f"{python}.0" not in requires_python:
                table[target, python] = ("n/a", [])
                continue
            major, minor = map(int, python.split("."))
            supported = set(tags.cpython_tags((major, minor), [f"cp{major}{minor}"], platforms))
            supported |= set(tags.compatible_tags((major, minor), f"cp{major}{minor}", platforms))
            env = dict(markers, python_version=python, python_full_version=f"{python}.0", extra="",
                       implementation_name="cpython", platform_python_implementation="CPython")
            status, notes, chosen = "wheels", [], {}
            for req in reqs:
                if req.marker is not None and not req.marker.evaluate(env):
                    continue
                name = canonicalize_name(req.name)
                got = choose(index[name], req.specifier, f"{python}.0", supported, lowest)
                if got and got[2] == "wheel":
                    notes.append(f"{got[1]}")
                elif got and name in SDIST_BUILDS and got[0] in SDIST_BUILDS[name]:
                    notes.append(f"{got[1]} (builds from source)")
                    status = "sdist" if status == "wheels" else status
                else:
                    notes.append(f"FAIL {req.name}: no installable file ({got[1] if got else 'nothing in range'})")
                    status = "FAIL"
                if got:
                    chosen[name] = got[0]
            core = _series(chosen.get("tree-sitter", "0"), CORE_ABI)
            for grammar, abis in GRAMMAR_ABI.items():
                abi = _series(chosen[grammar], abis) if grammar in chosen else None
                if core is None or abi is None or not core[0] <= abi <= core[1]:
                    notes.append(f"FAIL {grammar} {chosen.get(grammar)} (ABI {abi}) with tree-sitter "
                                 f"{chosen.get('tree-sitter')} (accepts {core})")
                    status = "FAIL"
            table[target, python] = (status, notes)
    return table


def pins(index: dict, reqs: list[Requirement], lowest: bool) -> list[str]:
    """`name==version` for every requirement that applies to the running interpreter and machine, the lowest
    or highest version the range admits (wheels or buildable sdists of the snapshot)."""
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    supported = {t for t in tags.sys_tags()}
    out = []
    for req in reqs:
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        got = choose(index[canonicalize_name(req.name)], req.specifier, f"{python}.0", supported, lowest)
        if got:
            out.append(f"{req.name.split(';')[0]}=={got[0]}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--refresh", action="store_true", help="fetch PyPI's file lists and rewrite the snapshot")
    parser.add_argument("--lowest", action="store_true")
    parser.add_argument("--constraints", action="store_true",
                        help="print pins for this machine and Python (for `pip install -c`), then stop")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()
    reqs, requires_python = requirements()
    if args.refresh:
        SNAPSHOT.write_text(json.dumps(refresh(reqs), indent=0, sort_keys=True) + "\n", encoding="utf-8")
    index = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    if args.constraints:
        for line in pins(index, reqs, args.lowest):
            print(line)
        return 0
    table = resolve(index, reqs, requires_python, args.lowest)
    for (target, python), (status, notes) in table.items():
        if args.verbose or status not in ("wheels", "n/a"):
            print(f"{target} cp{python.replace('.', '')}: {status}\n    " + "\n    ".join(notes))
    print(f"{'':16}" + "".join(f"{p:>9}" for p in PYTHONS))
    for target in TARGETS:
        print(f"{target:16}" + "".join(f"{table[target, p][0]:>9}" for p in PYTHONS))
    return 1 if any(status == "FAIL" for status, _ in table.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
