"""Installable everywhere: every dependency resolves to a wheel (or an sdist known to build) on every platform
and Python the project supports, and only to sets whose grammars the tree-sitter core can load."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

sys.path.insert(0, str(Path(__file__).resolve().parent / "platforms"))
import resolve  # noqa: E402

from conftest import console_script  # noqa: E402

INDEX = json.loads(resolve.SNAPSHOT.read_text(encoding="utf-8"))
REQS, REQUIRES_PYTHON = resolve.requirements()


@pytest.mark.parametrize("lowest", [False, True], ids=["highest", "lowest"])
def test_every_platform_and_python_resolves(lowest):
    table = resolve.resolve(INDEX, REQS, REQUIRES_PYTHON, lowest)
    failing = {cell: notes for cell, (status, notes) in table.items() if status == "FAIL"}
    assert failing == {}
    assert len(table) == len(resolve.TARGETS) * len(resolve.PYTHONS)
    # Python 3.9 to 3.14 all supported, on every target
    assert all(status != "n/a" for status, _ in table.values())


def test_the_snapshot_covers_every_dependency():
    assert {resolve.canonicalize_name(r.name) for r in REQS} <= set(INDEX)


def test_no_dependency_on_a_grammar_without_wheels():
    names = {resolve.canonicalize_name(r.name) for r in REQS}
    assert "tree-sitter-dockerfile" not in names


def test_a_mismatched_abi_pair_is_refused():
    # The range that shipped before: tree-sitter 0.24 with tree-sitter-bash 0.25 (ABI 15 against 13-14).
    broken = [Requirement("tree-sitter==0.24.0"), Requirement("tree-sitter-bash==0.25.1"),
              Requirement("tree-sitter-elixir==0.3.5"), Requirement("tree-sitter-toml==0.6.0")]
    index = dict(INDEX)
    index["tree-sitter"] = {**INDEX["tree-sitter"], "0.24.0": [["tree_sitter-0.24.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", ">=3.10"]]}
    table = resolve.resolve(index, broken, SpecifierSet(">=3.11,<3.12"))
    status, notes = table["linux-x86_64", "3.11"]
    assert status == "FAIL"
    assert any("tree-sitter-bash 0.25.1 (ABI 15) with tree-sitter 0.24.0 (accepts (13, 14))" in n for n in notes)


def test_a_platform_without_any_file_fails():
    index = {**INDEX, "tree-sitter-toml": {"0.6.0": [["tree_sitter_toml-0.6.0-cp38-abi3-macosx_11_0_arm64.whl", ""]]}}
    table = resolve.resolve(index, REQS, REQUIRES_PYTHON)
    assert table["macos-arm64", "3.12"][0] == "wheels"
    assert table["linux-x86_64", "3.12"][0] == "FAIL"


def test_the_installed_grammars_speak_an_abi_the_core_accepts():
    import warnings

    import tree_sitter

    from fly_cluster_lint.parsers import treesitter

    for name in ("elixir", "bash", "toml"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            language = tree_sitter.Language(treesitter._language(treesitter._GRAMMARS[name]))
        abi = getattr(language, "abi_version", None) or language.version
        assert tree_sitter.MIN_COMPATIBLE_LANGUAGE_VERSION <= abi <= tree_sitter.LANGUAGE_VERSION


def test_an_incompatible_grammar_is_one_clear_error(tmp_path):
    """A hand-made environment with a grammar too new for the core gets one line, not a traceback."""
    (tmp_path / "sitecustomize.py").write_text(
        "import tree_sitter\n"
        "class Language:\n"
        "    def __init__(self, pointer):\n"
        "        raise ValueError('Incompatible Language version 15. Must be between 13 and 14')\n"
        "tree_sitter.Language = Language\n")
    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
           "FLY_CLUSTER_LINT_NO_CACHE": "1"}
    project = Path(__file__).resolve().parent.parent / "examples" / "hello_broken"
    proc = subprocess.run([*console_script(), "--no-cache", str(project)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("fly-cluster-lint: error: the installed tree-sitter-")
    assert "does not work with the installed tree-sitter (" in lines[0]
    assert lines[0].endswith("Incompatible Language version 15. Must be between 13 and 14; reinstall "
                             "fly-cluster-lint so that pip picks a matching pair")


@pytest.mark.slow
def test_pip_itself_resolves_the_wheels(tmp_path):
    """pip's own resolver, per platform tag, against the live index, for the oldest and newest Python on every
    target (skips without network). Packages that resolve to a buildable sdist are left out: --only-binary
    cannot take them."""
    from concurrent.futures import ThreadPoolExecutor

    table = resolve.resolve(INDEX, REQS, REQUIRES_PYTHON)

    def one(cell):
        target, python = cell
        platforms, markers = resolve.TARGETS[target]
        env = dict(markers, python_version=python, python_full_version=f"{python}.0", extra="",
                   implementation_name="cpython", platform_python_implementation="CPython")
        sdists = {n.split("-")[0].replace("_", "-").lower() for n in table[cell][1] if n.endswith("(builds from source)")}
        lines = [str(r).split(";")[0] for r in REQS
                 if (r.marker is None or r.marker.evaluate(env)) and resolve.canonicalize_name(r.name) not in sdists]
        folder = tmp_path / f"{target}-{python}"
        folder.mkdir()
        (folder / "req.txt").write_text("\n".join(lines) + "\n")
        args = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                "--disable-pip-version-check", "--only-binary=:all:", "--python-version", python,
                "--implementation", "cp", "--target", str(folder / "t"), "-r", str(folder / "req.txt")]
        for platform in platforms:
            args += ["--platform", platform]
        return cell, subprocess.run(args, capture_output=True, text=True, timeout=300)

    cells = [(target, python) for target in sorted(resolve.TARGETS) for python in ("3.9", "3.14")]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(one, cells))
    offline = ("Network is unreachable", "NewConnectionError", "Temporary failure in name resolution")
    if all(proc.returncode and any(word in proc.stderr for word in offline) for _, proc in results):
        pytest.skip("no network")
    failed = {cell: proc.stderr[-500:] for cell, proc in results if proc.returncode}
    assert failed == {}
