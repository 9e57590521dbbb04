"""Property-based fuzzing: mutated project files (byte flips, truncation, inserted EEx tags, quotes and
line continuations) never crash the linter or make it hang; json output stays valid json.

Profiles: `ci` (default: a short run that explores new inputs each time and first replays every input
ever saved) and `long` (HYPOTHESIS_PROFILE=long, for local runs). Failing inputs are saved to the example
database in tests/fuzz-db/, which is committed: an input that once broke the tool is tried on every run.
The shapes that used to crash are explicit examples."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import time

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.database import DirectoryBasedExampleDatabase, ReadOnlyDatabase  # noqa: E402

from conftest import BASE  # noqa: E402
from fly_cluster_lint import cli  # noqa: E402

DATABASE = DirectoryBasedExampleDatabase(str(BASE.parent.parent / "fuzz-db"))
settings.register_profile("ci", max_examples=40, deadline=None, database=ReadOnlyDatabase(DATABASE),
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("long", max_examples=3000, deadline=None, database=DATABASE,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TARGETS = ["rel/env.sh.eex", "Dockerfile", "fly.toml", "config/runtime.exs", "lib/hello/application.ex", "mix.exs",
           ".fly-cluster-lint.toml"]
INSERTS = [b"<%", b"%>", b"<%= @release.name %>", b"<%# c %>", b'"', b"'", b"\\\n", b"\\\r\n", b"\r", b"\x00",
           b"${", b"$(", b"[[", b"do", b"end", b"#{", b"\xff", b"\xef\xbb\xbf", b"[env]\n", b"ENV A b c\n",
           # shapes that once crashed the tool (issue 16)
           b'{"jason", "~> 1.2"},\n', b"node_basename: basename(),\n", b'CMD ["/app/bin/server", "\\uZZZZ"]\n',
           b'CMD ["/app/bin/server", "a\\"b"]\n', b"ENV A=1 $B\n", b"ENV X=${UNTERMINATED\n",
           b"-setcookie <%= @release.options[:cookie] %>\n+K true\n", b"elsif [ -n x ]; then\n",
           b"x" * 4400 + b"\n", b"[" * 300 + b"\n"]

mutation = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000), st.just(0)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.integers(0, len(INSERTS) - 1)),
)


def mutate(data: bytes, ops) -> bytes:
    for kind, where, arg in ops:
        if not data and kind != "insert":
            continue
        at = where % (len(data) + 1)
        if kind == "flip" and data:
            at = where % len(data)
            data = data[:at] + bytes([data[at] ^ arg]) + data[at + 1:]
        elif kind == "truncate":
            data = data[:at]
        else:
            data = data[:at] + INSERTS[arg] + data[at:]
    return data


@given(target=st.sampled_from(TARGETS), ops=st.lists(mutation, min_size=1, max_size=6),
       fmt=st.sampled_from(["json", "text", "sarif"]))
@example(target="mix.exs", ops=[("insert", 430, 20)], fmt="json")
@example(target="Dockerfile", ops=[("insert", 10_000, 22)], fmt="sarif")
@example(target="Dockerfile", ops=[("insert", 10_000, 23)], fmt="text")
@example(target="Dockerfile", ops=[("insert", 10_000, 24)], fmt="json")
@example(target="Dockerfile", ops=[("insert", 10_000, 25)], fmt="json")
@example(target="rel/env.sh.eex", ops=[("insert", 10_000, 27)], fmt="text")
@example(target="fly.toml", ops=[("insert", 10_000, 29)], fmt="json")
@example(target="lib/hello/application.ex", ops=[("insert", 200, 21)], fmt="json")
def test_mutated_projects_never_crash(tmp_path_factory, target, ops, fmt) -> None:
    project = tmp_path_factory.mktemp("fuzz") / "app"
    shutil.copytree(BASE, project)
    path = project / target
    path.write_bytes(mutate(path.read_bytes(), ops))
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["--format", fmt, str(project)])
    assert time.monotonic() - start < 10
    assert status in (0, 1, 2), err.getvalue()
    assert "Traceback" not in err.getvalue() and "internal error" not in err.getvalue(), err.getvalue()
    if status == 2:
        assert err.getvalue().count("\n") == 1  # one line (a bad .fly-cluster-lint.toml)
        assert target == ".fly-cluster-lint.toml"
    elif fmt in ("json", "sarif"):
        json.loads(out.getvalue())
