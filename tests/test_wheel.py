"""The wheel ships rules/ and works from a fresh virtual environment (slow: builds and installs)."""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile

import pytest

from conftest import ROOT


@pytest.mark.slow
def test_wheel_in_fresh_venv(tmp_path) -> None:
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)], check=True,
                   capture_output=True, timeout=600)
    wheel = next(dist.glob("fly_cluster_lint-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "fly_cluster_lint/rules/FCL101.yml" in names
    assert not any(n.startswith("tests/") for n in names)
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    pip = env_dir / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", str(wheel)], check=True, capture_output=True, timeout=600)
    cli = env_dir / "bin" / "fly-cluster-lint"
    rules = subprocess.run([str(cli), "rules"], capture_output=True, text=True, cwd=tmp_path)
    assert rules.returncode == 0 and "FCL101  proto-dist-missing" in rules.stdout
    run = subprocess.run([str(cli), "--format", "json", str(ROOT / "examples" / "hello_broken")], capture_output=True,
                         text=True, cwd=tmp_path)
    assert run.returncode == 1 and '"FCL203"' in run.stdout
