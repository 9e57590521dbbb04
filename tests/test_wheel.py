"""Release-ready: `python -m build` makes an sdist and a wheel that `twine check --strict` accepts, with the
licence, one version, index-renderable metadata and rules/ inside; the wheel works from a fresh virtual
environment (slow: builds and installs)."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from fly_cluster_lint import __version__


def test_one_version_and_a_changelog_entry_for_it() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject and '\nversion = "' not in pyproject
    assert re.search(rf"^## \[{re.escape(__version__)}\] - \d{{4}}-\d{{2}}-\d{{2}}$",
                     (ROOT / "CHANGELOG.md").read_text(), re.M)


def test_license_file_matches_the_declared_licence() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License") and "Version 2.0, January 2004" in text
    assert 'license = "Apache-2.0"' in (ROOT / "pyproject.toml").read_text()


def test_readme_renders_on_a_package_index() -> None:
    """Every link in the README is absolute (a package index has no repository to resolve a relative one)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)", readme) + re.findall(r'(?:src|href)="([^"]+)"', readme)
    relative = [link for link in links if not re.match(r"(https?://|mailto:|#)", link)]
    assert relative == []
    # the README opens with the two set-up commands of a checkout; the first section after them installs by name
    setup = re.findall(r"```sh\n(.*?)```", readme, re.S)
    assert "pip install . && .venv/bin/fly-cluster-lint examples/hello_broken" in setup[0]
    assert "pip install '.[test]' && .venv/bin/python -m pytest" in setup[1]
    install = readme.split("\n## ", 1)[1]
    assert install.startswith("Install\n")
    first_code = re.search(r"```(?:sh|bash|console)?\n(.*?)```", install, re.S).group(1)
    assert first_code.startswith("pip install fly-cluster-lint")


@pytest.mark.slow
def test_build_twine_check_and_a_fresh_install(tmp_path) -> None:
    dist = tmp_path / "dist"
    build = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(dist), str(ROOT)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stdout + build.stderr
    wheel = next(dist.glob("fly_cluster_lint-*.whl"))
    sdist = next(dist.glob("fly_cluster_lint-*.tar.gz"))
    assert wheel.name == f"fly_cluster_lint-{__version__}-py3-none-any.whl"
    twine = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", str(wheel), str(sdist)],
                           capture_output=True, text=True, timeout=300)
    assert twine.returncode == 0, twine.stdout + twine.stderr
    names = zipfile.ZipFile(wheel).namelist()
    assert "fly_cluster_lint/rules/FCL101.yml" in names
    assert f"fly_cluster_lint-{__version__}.dist-info/licenses/LICENSE" in names
    assert not any(n.startswith("tests/") for n in names)
    metadata = zipfile.ZipFile(wheel).read(f"fly_cluster_lint-{__version__}.dist-info/METADATA").decode()
    assert f"Version: {__version__}" in metadata and "License-Expression: Apache-2.0" in metadata
    assert "Requires-Python: >=3.9" in metadata and "Project-URL: Changelog," in metadata
    assert "Description-Content-Type: text/markdown" in metadata
    members = tarfile.open(sdist).getnames()
    assert any(m.endswith("/LICENSE") for m in members) and any(m.endswith("/CHANGELOG.md") for m in members)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                    "--require-hashes", "-r", str(ROOT / "action" / "requirements.txt")], check=True,
                   capture_output=True, timeout=600)
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True,
                   capture_output=True, timeout=600)
    cli = bindir / "fly-cluster-lint"
    rules = subprocess.run([str(cli), "rules"], capture_output=True, text=True, cwd=tmp_path)
    assert rules.returncode == 0 and "FCL101  proto-dist-missing" in rules.stdout
    run = subprocess.run([str(cli), "--format", "json", str(ROOT / "examples" / "hello_broken")], capture_output=True,
                         text=True, cwd=tmp_path)
    assert run.returncode == 1 and '"FCL203"' in run.stdout


def test_ci_runs_the_readme_test_command() -> None:
    """CI runs exactly the command the README gives a contributor (after installing the lab's tools)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = re.findall(r"```sh\n(.*?)```", readme, re.S)[1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    steps = command.split(" && ")  # venv, install, test: in this order in .ci/run, the test command last
    assert " && ".join(steps[:2]) in ci and ci.strip().splitlines()[-1] == steps[-1]
    assert ci.index(" && ".join(steps[:2])) < ci.rindex(steps[-1])
