"""Shared helpers: lay out a fixture project (the example base plus an overlay) and lint it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
BASE = FIXTURES / "base"


def make_project(dest: Path, overlay: dict[str, str | bytes | None] | None = None, base: Path = BASE) -> Path:
    """Copy the base project to dest and apply an overlay: path -> new content, or None to delete."""
    shutil.copytree(base, dest)
    for rel, content in (overlay or {}).items():
        path = dest / rel
        if content is None:
            if path.exists():
                path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return dest


def lint(path: Path, allow_errors: bool = False, **overrides):
    """Run the engine in-process; returns the Result. A run that recorded an internal error (a rule that
    crashed) fails the test: must-not-fire tests would otherwise pass on a crash."""
    from fly_cluster_lint.config import Overrides
    from fly_cluster_lint.engine import lint as run

    result = run([path], Overrides(**overrides))
    if not allow_errors:
        assert result.errors == [], result.errors
    return result


def found(path: Path, **overrides) -> list[str]:
    """`file:line:col: CODE` for every diagnostic, files relative to the project."""
    result = lint(path, **overrides)
    out = []
    for d in result.diagnostics:
        file = Path(d.span.file)
        rel = os.path.relpath(file if file.is_absolute() else Path.cwd() / file, path)
        out.append(f"{Path(rel).as_posix()}:{d.span.line}:{d.span.column}: {d.code}")
    return sorted(out)


def main_in_process(*argv: str, cwd: Path | None = None) -> tuple[int, str, str]:
    """cli.main in this process: (status, stdout, stderr), from `cwd` when given."""
    import contextlib
    import io

    from fly_cluster_lint import cli

    out, err = io.StringIO(), io.StringIO()
    previous = os.getcwd()
    if cwd is not None:
        os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            status = cli.main(list(argv))
    finally:
        os.chdir(previous)
    return status, out.getvalue(), err.getvalue()


def console_script() -> list[str]:
    """The installed console script, or `python -m fly_cluster_lint` beside this interpreter."""
    script = Path(sys.executable).parent / "fly-cluster-lint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "fly_cluster_lint"]


def run_cli(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run the installed CLI. Never a traceback or an internal error; exit status 2 always comes with exactly
    one `fly-cluster-lint: error: ...` line on stderr (tests then check which message with expect_error)."""
    full_env = dict(os.environ)
    for name in ("GITHUB_ACTIONS", "FORCE_COLOR", "CLICOLOR_FORCE", "NO_COLOR"):  # the tests choose colour
        full_env.pop(name, None)
    full_env.update(env or {})
    proc = subprocess.run([*console_script(), *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=120)
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
    if proc.returncode == 2:
        lines = proc.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("fly-cluster-lint: error: "), proc.stderr
    return proc


def expect_error(proc: subprocess.CompletedProcess, message: str) -> None:
    """Exit status 2 with exactly this one-line message."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr == f"fly-cluster-lint: error: {message}\n", proc.stderr


@pytest.fixture
def project(tmp_path):
    def build(overlay=None, base=BASE):
        return make_project(tmp_path / "app", overlay, base)

    return build


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """Tests never read or write the developer's own cache folder."""
    os.environ["FLY_CLUSTER_LINT_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
    yield


@pytest.fixture(autouse=True)
def _no_forced_colour(monkeypatch):
    """A CI that forces colour (FORCE_COLOR, CLICOLOR_FORCE) must not change what in-process runs print."""
    for name in ("FORCE_COLOR", "CLICOLOR_FORCE"):
        monkeypatch.delenv(name, raising=False)
