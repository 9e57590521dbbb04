"""No output format ever contains a cookie or the value of a declared secret: a planted value is grepped
for in text, json, github, sarif, statistics, env (text and json) and error output."""

from __future__ import annotations

from conftest import BASE, expect_error, make_project, run_cli

COOKIE = "plantedCookieValue_4f9a2c7e1b8d"
BUILDER_COOKIE = "builderStageCookie_77aa01"
VM_COOKIE = "vmArgsCookie_3c5e"
SECRET = "plantedDnsSecret.internal"


def planted(tmp_path):
    env = (BASE / "rel" / "env.sh.eex").read_text() + f'export RELEASE_COOKIE="${{RELEASE_COOKIE:-{COOKIE}}}"\n'
    docker = (BASE / "Dockerfile").read_text().replace('ENV MIX_ENV="prod"\n\nCOPY mix.exs',
                                                       f'ENV MIX_ENV="prod"\nENV RELEASE_COOKIE={BUILDER_COOKIE}\n\nCOPY mix.exs')
    mix = (BASE / "mix.exs").read_text().replace("      deps: deps()\n",
                                                 f'      deps: deps(),\n      releases: [hello: [cookie: "{COOKIE}"]]\n')
    return make_project(tmp_path / "app", {
        "rel/env.sh.eex": env,
        "Dockerfile": docker,
        "mix.exs": mix,
        "rel/vm.args.eex": f"-setcookie {VM_COOKIE}\n",
        "fly.toml": f'app = "hello"\n\n[env]\n  RELEASE_COOKIE = "{COOKIE}"\n  DNS_CLUSTER_QUERY = "{SECRET}"\n',
        ".fly-cluster-lint.toml": 'secrets = ["DNS_CLUSTER_QUERY"]\n',
    })


def test_no_format_prints_a_planted_cookie_or_secret(tmp_path) -> None:
    project = planted(tmp_path)
    outputs = [
        run_cli(str(project)),
        run_cli("--format", "json", str(project)),
        run_cli("--format", "github", str(project)),
        run_cli("--format", "sarif", str(project)),
        run_cli("--statistics", str(project)),
        run_cli("-q", str(project)),
        run_cli("--color", "always", str(project)),
        run_cli("env", str(project)),
        run_cli("env", "--format", "json", str(project)),
        run_cli("--diff", "--unsafe-fixes", str(project)),
    ]
    codes = {line.split()[1] for line in outputs[0].stdout.splitlines() if ": FCL" in line}
    assert {"FCL402", "FCL406", "FCL601"} <= codes  # the planted values are really reported on
    for proc in outputs:
        for value in (COOKIE, BUILDER_COOKIE, VM_COOKIE, SECRET):
            assert value not in proc.stdout and value not in proc.stderr, (proc.args, value)
    assert "****" in outputs[0].stdout
    assert outputs[-1].stdout.startswith("---")  # the diff has content (context lines around cookies included)


def test_error_output_never_prints_a_cookie(tmp_path) -> None:
    project = make_project(tmp_path / "app")  # the cookie is written only in a file that does not parse
    (project / "fly.toml").write_text(f'app = "hello"\n[env]\n  RELEASE_COOKIE = "{COOKIE}\n')
    (project / "mix.exs").write_text((BASE / "mix.exs").read_text().replace(
        "      deps: deps()\n", f'      deps: deps(),\n      releases: [hello: [cookie: "{COOKIE}" "{COOKIE}"]]\n'))
    assert "FCL001" in run_cli(str(project)).stdout
    for args in ((str(project),), ("--format", "sarif", str(project)), ("env", str(project))):
        proc = run_cli(*args)
        assert COOKIE not in proc.stdout and COOKIE not in proc.stderr
    (project / ".fly-cluster-lint.toml").write_text(f'secrets = ["{COOKIE}"]\ncolour = 1\n')
    proc = run_cli(str(project))
    expect_error(proc, f"{project / '.fly-cluster-lint.toml'}: unknown key `colour` (known keys: secrets, secrets_from, select, "
                       f"ignore, severity, exclude)")
    assert COOKIE not in proc.stderr
