"""Symptoms: one scenario per runtime claim of a rule (rules/FCLnnn.yml `why`/`what`), booted as two Fly Machines
(or one, where a second adds nothing). Each test asserts the exact observed outcome and message, and records it
with the Elixir/OTP versions and whether it confirms or refutes the quoted doc claim into observations.json
(`LAB_RECORD=1` regenerates the file; otherwise every observation must equal the recorded one)."""

from __future__ import annotations

import re

import pytest

from . import machinery, scenarios

pytestmark = pytest.mark.beam

A = machinery.MACHINES["a"]
B = machinery.MACHINES["b"]
NODE_A = f"hello-{machinery.DEPLOY_ID}@{A['address']}"
NODE_B = f"hello-{machinery.DEPLOY_ID}@{B['address']}"


def run(lab, name: str) -> machinery.ScenarioResult:
    return lab.run(scenarios.get(name))


def norm(text: str) -> str:
    """Make a message comparable across runs: paths of the lab's release as in a Fly image (/app), no pids,
    ports or random remote-shell names."""
    text = re.sub(r"/\S*?/release/", "/app/", text)
    text = re.sub(r"<0\.\d+\.0>", "<0.N.0>", text)
    text = re.sub(r"\b(rem|rpc)-[0-9a-f]{4}-", r"\1-XXXX-", text)
    return text.replace("\r", "").rstrip()


def head(output: str, lines: int = 2) -> list[str]:
    """The first lines a failing boot prints (before any crash report)."""
    found = [norm(line) for line in output.splitlines() if line.strip()]
    return found[:lines]


BOOT_REFUSALS = ("Can't set short node name!", "Can't set long node name!", "Invalid node name!",
                 "Please check your configuration")


def refusal(machine: machinery.MachineResult) -> list[str]:
    """The VM's own lines when it refuses a node name (stdout and the crash report's stderr interleave)."""
    return [line for line in (norm(x) for x in machine.output.splitlines()) if line in BOOT_REFUSALS]


def logged(machine: machinery.MachineResult, *needles: str) -> list[str]:
    """Distinct log lines containing a needle (`[error] \\n** message` joined on one line)."""
    text = machine.output.replace("[error] \n", "[error] ")
    seen = []
    for line in text.splitlines():
        line = norm(line)
        if any(n in line for n in needles) and line not in seen:
            seen.append(line)
    return seen


def dist_errors(*machines: machinery.MachineResult) -> list[str]:
    """OTP's distribution error reports, without their log decoration: depending on whether Elixir's Logger is
    already up when a connection arrives, the same report is printed as `[error] ** ... node :"n@h" ...` or as
    OTP's `** ... node 'n@h' ...`."""
    found = set()
    for machine in machines:
        for match in re.finditer(r"\*\* (Connection attempt from node|Cannot get connection id for node) "
                                 r":?[\"']?([^\s\"']+)[\"']?( rejected\. Invalid challenge reply\.)?", machine.output):
            found.add(f"** {match.group(1)} {match.group(2)}{match.group(3) or ''}")
    return sorted(found)


def rejections(result: machinery.ScenarioResult) -> list[str]:
    """The receiver's cookie-mismatch report. Which side logs it (one or both) depends on whether the two
    machines' attempts cross, so the message is recorded once, with the peer's name left out."""
    messages = dist_errors(result["a"], result["b"])
    expected = {f"** Connection attempt from node {node} rejected. Invalid challenge reply." for node in (NODE_A, NODE_B)}
    assert messages and set(messages) <= expected, messages
    return ["** Connection attempt from node <the other machine> rejected. Invalid challenge reply."]


def quiet(result: machinery.ScenarioResult) -> bool:
    return all(not m.output.strip() for m in result.machines.values())


def boot(machine: machinery.MachineResult) -> dict:
    assert machine.report, f"machine {machine.machine} did not boot:\n{machine.output[-2000:]}"
    return machine.report["boot"]


def listen(machine: machinery.MachineResult) -> list[str]:
    return [re.sub(r":\d+$", ":PORT", s) for s in boot(machine)["listen_sockets"]]


def last_round(machine: machinery.MachineResult) -> dict:
    rounds = machine.report.get("rounds") or []
    return rounds[-1] if rounds else {}


def action(result: machinery.ScenarioResult, command: str) -> machinery.ActionResult:
    return next(a for a in result.actions if a.command == command)


def action_lines(result: machinery.ScenarioResult, command: str) -> list[str]:
    out = action(result, command).output
    keep = [norm(line) for line in out.splitlines()
            if line.strip() and not line.startswith(("Erlang/OTP", "Interactive Elixir"))]
    return keep


# ---------------------------------------------------------------------------------------------------------
# FCL0xx


@pytest.mark.lab_scenarios("fcl001_env_sh_syntax")
def test_fcl001_env_sh_syntax_error_aborts_start(lab, observe):
    r = run(lab, "fcl001_env_sh_syntax")
    a = r["a"]
    assert not a.booted and a.exit_code == 2 and not a.execs
    messages = head(a.output, 1)
    assert messages == ['/app/bin/hello: 11: /app/releases/0.1.0/env.sh: Syntax error: end of file unexpected '
                        '(expecting "fi")']
    observe("FCL001", "bin/hello start exits with status 2 before the VM starts", messages,
            "the release script sources `env.sh` under `/bin/sh` with `set -e`, so a shell syntax error aborts "
            "every release command (`start`, `remote`, `eval`)", "confirms (observed for start)")


@pytest.mark.lab_scenarios("default_env_sh")
def test_fcl002_default_env_sh_boots_sname_named_after_release_no_peer(lab, observe):
    r = run(lab, "default_env_sh")
    a = boot(r["a"])
    assert a["node"] == f"hello@{A['id']}" and a["dist_mode"] == "shortnames" and a["proto_dist"] is None
    assert listen(r["a"]) == ["0.0.0.0:PORT"]
    assert r["a"].report["discovery"]["state"] == "ignore" and a["env"]["DNS_CLUSTER_QUERY"] is None
    assert not r["a"].peers and not r["b"].peers and quiet(r)
    observe("FCL002", f"boots as {a['node']} (short names, IPv4 listener 0.0.0.0, no -proto_dist); DNSCluster "
            "child :ignore (DNS_CLUSTER_QUERY unset); Node.list() == [] on both; nothing logged", [],
            "the release boots with its defaults: `RELEASE_DISTRIBUTION=sname`, `RELEASE_NODE=<release name>` and "
            "no `-proto_dist inet6_tcp`", "confirms")


def test_fcl003_not_observed(lab, observe):
    observe("FCL003", "not observed", [], "`mix release` renders only `<rel_templates_path>/env.sh.eex` into "
            "`releases/<vsn>/env.sh`; every other name is silently left out of the release",
            "not observed: a build-time claim; the lab renders only env.sh.eex, as it assumes mix release does, "
            "and builds the probe once to stay within its time budget")
    pytest.skip("FCL003 is a build-time claim (which template mix release renders); not booted")


@pytest.mark.lab_scenarios("default_env_sh")
def test_fcl004_image_without_rel_boots_default_env_sh(lab, observe):
    r = run(lab, "default_env_sh")
    a = boot(r["a"])
    env = a["env"]
    assert env["RELEASE_DISTRIBUTION"] == "sname" and env["RELEASE_NODE"] == "hello"
    assert env["ERL_AFLAGS"] is None and env["DNS_CLUSTER_QUERY"] is None and env["ECTO_IPV6"] is None
    assert not r["a"].peers and quiet(r)
    observe("FCL004", "Mix's default env.sh: RELEASE_DISTRIBUTION=sname, RELEASE_NODE=hello, no ERL_AFLAGS, "
            "DNS_CLUSTER_QUERY or ECTO_IPV6; Node.list() == []; nothing logged", [],
            "the image boots with `RELEASE_DISTRIBUTION=sname`, `RELEASE_NODE=hello`, no `-proto_dist inet6_tcp`, "
            "no `DNS_CLUSTER_QUERY` and no `ECTO_IPV6`", "confirms")


@pytest.mark.lab_scenarios("fcl005_double_brackets")
def test_fcl005_double_brackets_skip_the_fly_block(lab, observe):
    r = run(lab, "fcl005_double_brackets")
    a = boot(r["a"])
    messages = logged(r["a"], "[[: not found")
    assert messages == ["/app/bin/hello: 3: /app/releases/0.1.0/env.sh: [[: not found"]
    assert a["node"] == f"hello@{A['id']}" and a["proto_dist"] is None and a["env"]["DNS_CLUSTER_QUERY"] is None
    assert not r.clustered and not r["a"].peers
    observe("FCL005", f"prints `[[: not found`, skips the Fly block and boots as {a['node']} (long names, no "
            "-proto_dist, no DNS_CLUSTER_QUERY); Node.list() == []", messages,
            "`if [[ -n \"$FLY_APP_NAME\" ]]` prints `[[: not found`, the test counts as false and the whole Fly "
            "block is skipped, so on Fly the node keeps a `$(hostname)` name, has no `-proto_dist inet6_tcp` and "
            "no `DNS_CLUSTER_QUERY`, and never clusters", "confirms")


@pytest.mark.lab_scenarios("fcl005_source")
def test_fcl005_source_stops_the_release_with_127(lab, observe):
    a = run(lab, "fcl005_source")["a"]
    assert not a.booted and a.exit_code == 127 and not a.execs
    messages = head(a.output, 1)
    assert messages == ["/app/bin/hello: 12: /app/releases/0.1.0/env.sh: source: not found"]
    observe("FCL005", "bin/hello start exits with status 127 before the VM starts", messages,
            "`source: not found` stops every release command (`start`, `remote`, `eval`, and so "
            "`/app/bin/migrate`) before the VM starts", "confirms (observed for start)")


@pytest.mark.lab_scenarios("fcl005_function")
def test_fcl005_function_keyword_is_a_syntax_error(lab, observe):
    a = run(lab, "fcl005_function")["a"]
    assert not a.booted and a.exit_code == 2
    messages = head(a.output, 1)
    assert messages == ['/app/bin/hello: 12: /app/releases/0.1.0/env.sh: Syntax error: "}" unexpected']
    observe("FCL005", "bin/hello start exits with status 2 before the VM starts", messages,
            "`dash -n` reports `function f` and arrays as syntax errors, but accepts `[[` and `source`, which only "
            "fail when they run", "confirms")


@pytest.mark.lab_scenarios("fcl006_not_exported")
def test_fcl006_unexported_erl_aflags_never_reaches_the_vm(lab, observe):
    r = run(lab, "fcl006_not_exported")
    a = boot(r["a"])
    assert a["env"]["ERL_AFLAGS"] is None and a["proto_dist"] is None and listen(r["a"]) == ["0.0.0.0:PORT"]
    assert not r["a"].peers and not r["b"].peers and quiet(r)
    observe("FCL006", "ERL_AFLAGS unset in the VM, no -proto_dist, listener 0.0.0.0; Node.list() == [] on both; "
            "nothing logged", [],
            "An unexported `ERL_AFLAGS=\"-proto_dist inet6_tcp\"` is therefore dropped: the node listens on IPv4 "
            "only, peers get `pang` and `Node.list()` stays `[]`, with nothing logged", "confirms")


@pytest.mark.lab_scenarios("fcl006_already_in_env")
def test_fcl006_unexported_assignment_of_an_exported_variable_reaches_the_vm(lab, observe):
    a = boot(run(lab, "fcl006_already_in_env")["a"])
    assert a["env"]["ECTO_IPV6"] == "true"
    observe("FCL006", "fly.toml [env] ECTO_IPV6=false plus a plain `ECTO_IPV6=\"true\"` in env.sh: the VM sees "
            "ECTO_IPV6=true", [],
            "are not already in the environment from the final-stage Dockerfile `ENV` or `fly.toml [env]`",
            "confirms (an assignment to a variable already in the environment reaches the VM)")


@pytest.mark.lab_scenarios("fcl006_release_vars")
def test_fcl006_release_variables_work_unexported(lab, observe):
    r = run(lab, "fcl006_release_vars")
    a = boot(r["a"])
    assert a["node"] == NODE_A and a["dist_mode"] == "longnames" and r.clustered
    observe("FCL006", "RELEASE_NODE and RELEASE_DISTRIBUTION assigned without export: long names, the 6PN name, "
            "the machines cluster", [],
            "`RELEASE_*` variables are exempt: the release script exports those itself", "confirms")


# ---------------------------------------------------------------------------------------------------------
# FCL1xx


@pytest.mark.lab_scenarios("fcl101_missing")
def test_fcl101_no_proto_dist_listens_on_ipv4_only_and_no_peer(lab, observe):
    r = run(lab, "fcl101_missing")
    a = boot(r["a"])
    assert a["proto_dist_inspect"] == ":error" and listen(r["a"]) == ["0.0.0.0:PORT"]
    attempts = {x["target"]: x["result"] for x in last_round(r["a"])["attempts"]}
    assert attempts == {NODE_B: "false"}
    assert not r["a"].peers and not r["b"].peers and quiet(r)
    observe("FCL101", "init:get_argument(proto_dist) = :error, listener 0.0.0.0; Node.connect/1 to the peer "
            "returns false on every round; Node.list() == []; nothing logged on either machine", [],
            "Without the flag, Erlang distribution uses `inet_tcp` and the node listens on IPv4 only (`0.0.0.0`)",
            "confirms")


@pytest.mark.lab_scenarios("fcl101_unquoted_export")
def test_fcl101_unquoted_export_leaves_proto_dist_without_value(lab, observe):
    r = run(lab, "fcl101_unquoted_export")
    a = r["a"]
    assert not a.booted and a.exit_code == 1 and a.start_exec["env"]["ERL_AFLAGS"] == "-proto_dist"
    messages = head(a.output, 1)
    assert messages == ["Missing argument(s) for '-proto_dist'."]
    observe("FCL101", "`export ERL_AFLAGS=-proto_dist inet6_tcp` (unquoted): dash exports ERL_AFLAGS=-proto_dist (and "
            "an empty inet6_tcp); erl prints its usage and exits with status 1 before the VM starts", messages,
            '`erl` refuses to start with "Missing argument(s) for \'-proto_dist\'."', 'confirms')


def _twice(lab, name: str):
    r = run(lab, name)
    a = boot(r["a"])
    assert a["proto_dist_inspect"] == "{:ok, [['inet6_tcp'], ['inet6_tcp']]}"
    assert listen(r["a"]) == ["0.0.0.0:PORT"] and not r["a"].peers and not r["b"].peers and quiet(r)
    return a


@pytest.mark.lab_scenarios("fcl102_env_twice")
def test_fcl102_erl_aflags_and_elixir_erl_options_fall_back_to_ipv4(lab, observe):
    a = _twice(lab, "fcl102_env_twice")
    observe("FCL102", "ERL_AFLAGS and ELIXIR_ERL_OPTIONS both with -proto_dist inet6_tcp: "
            f"{a['proto_dist_inspect']}, listener 0.0.0.0, Node.list() == []; nothing logged", [],
            "with two it gets `[[\"inet6_tcp\"],[\"inet6_tcp\"]]`, which does not match, and falls back to "
            "`inet_tcp` (observed on OTP 25). The node then listens on IPv4 only", "confirms")


@pytest.mark.lab_scenarios("fcl102_env_and_vm_args")
def test_fcl102_erl_aflags_and_vm_args_fall_back_to_ipv4(lab, observe):
    a = _twice(lab, "fcl102_env_and_vm_args")
    observe("FCL102", "ERL_AFLAGS and rel/vm.args.eex both with -proto_dist inet6_tcp: "
            f"{a['proto_dist_inspect']}, listener 0.0.0.0, Node.list() == []; nothing logged", [],
            "with two it gets `[[\"inet6_tcp\"],[\"inet6_tcp\"]]`, which does not match, and falls back to "
            "`inet_tcp` (observed on OTP 25). The node then listens on IPv4 only", "confirms")


@pytest.mark.lab_scenarios("fcl102_append_over_image")
def test_fcl102_append_over_an_image_that_has_it_falls_back_to_ipv4(lab, observe):
    a = _twice(lab, "fcl102_append_over_image")
    assert a["env"]["ERL_AFLAGS"] == "-proto_dist inet6_tcp -proto_dist inet6_tcp"
    observe("FCL102", "Dockerfile ENV ERL_AFLAGS=-proto_dist inet6_tcp plus env.sh "
            "ERL_AFLAGS=\"$ERL_AFLAGS -proto_dist inet6_tcp\": the VM gets the flag twice, listener 0.0.0.0, "
            "Node.list() == []; nothing logged", [],
            "`ERL_AFLAGS=\"$ERL_AFLAGS -proto_dist inet6_tcp\"` over an image that already has it", "confirms")


@pytest.mark.lab_scenarios("fcl103_builder_only")
def test_fcl103_builder_stage_env_is_gone_in_the_final_image(lab, observe):
    r = run(lab, "fcl103_builder_only")
    a = boot(r["a"])
    assert a["env"]["ERL_AFLAGS"] is None and a["env"]["ECTO_IPV6"] is None and a["proto_dist"] is None
    assert listen(r["a"]) == ["0.0.0.0:PORT"] and not r["a"].peers and quiet(r)
    observe("FCL103", "ENV ERL_AFLAGS/ECTO_IPV6 only in the builder stage: neither reaches the VM, listener "
            "0.0.0.0, Node.list() == []; nothing logged", [],
            "Without `-proto_dist inet6_tcp` the node listens on IPv4 only, so peers on Fly's IPv6 private network "
            "get `pang` and `Node.list()` stays `[]`, with nothing logged", "confirms")


def _remote_fails(lab, name: str):
    r = run(lab, name)
    assert r.clustered, "the running nodes themselves cluster"
    rpc, remote = action(r, "rpc"), action(r, "remote")
    assert rpc.exit_code == 1 and remote.exit_code == 1
    messages = action_lines(r, "rpc") + action_lines(r, "remote")
    assert messages == ["--rpc-eval : RPC failed with reason :nodedown",
                        f"Could not contact remote node {NODE_A}, reason: :nodedown. Aborting..."]
    return messages


@pytest.mark.lab_scenarios("fcl104_vm_args_only")
def test_fcl104_proto_dist_only_in_vm_args_breaks_remote_and_rpc(lab, observe):
    messages = _remote_fails(lab, "fcl104_vm_args_only")
    observe("FCL104", "the nodes cluster; `bin/hello rpc` exits 1 and `bin/hello remote` (with a pty and TERM, as "
            "fly ssh console --pty gives) exits 1", messages,
            "`Could not contact remote node hello-...@fdaa:..., reason: :nodedown. Aborting...`",
            "confirms (rpc prints its own message, \"--rpc-eval : RPC failed with reason :nodedown\")")


@pytest.mark.lab_scenarios("fcl104_start_case")
def test_fcl104_proto_dist_only_for_start_breaks_remote_and_rpc(lab, observe):
    messages = _remote_fails(lab, "fcl104_start_case")
    observe("FCL104", "ELIXIR_ERL_OPTIONS set inside `case $RELEASE_COMMAND in start*|daemon*)`: the nodes "
            "cluster; rpc and remote exit 1", messages,
            "a `case $RELEASE_COMMAND in start*)` branch does not run for it", "confirms")


@pytest.mark.lab_scenarios("fcl104_vm_args_both", "baseline")
def test_fcl104_remote_works_with_both_vm_args_files_or_an_env_var(lab, observe):
    messages = []
    for name in ("fcl104_vm_args_both", "baseline"):
        r = run(lab, name)
        assert r.clustered
        assert action(r, "rpc").exit_code == 0 and action_lines(r, "rpc") == [NODE_A]
        assert action_lines(r, "remote") == [f"iex({NODE_A})1>"]
        messages += action_lines(r, "remote")
    observe("FCL104", "with -proto_dist in vm.args.eex and remote.vm.args.eex, and with ERL_AFLAGS for every "
            "command: rpc prints the node name, remote gets the running node's prompt", messages,
            "Silent when an env var sets it for every command, or when `rel/remote.vm.args.eex` has it too",
            "confirms")


@pytest.mark.lab_scenarios("fcl104_entrypoint_script")
def test_fcl104_entrypoint_script_exports_do_not_reach_remote(lab, observe):
    r = run(lab, "fcl104_entrypoint_script")
    assert r.clustered and boot(r["a"])["env"]["ELIXIR_ERL_OPTIONS"] == "-proto_dist inet6_tcp"
    assert action(r, "rpc").exit_code == 1 and action(r, "remote").exit_code == 1
    messages = []
    for command in ("rpc", "remote"):
        lines = [line for line in action_lines(r, command) if line in BOOT_REFUSALS]
        assert lines[:2] == ["Can't set long node name!", "Please check your configuration"], command
        messages += lines[:1]
    observe("FCL104", "RELEASE_NODE and ELIXIR_ERL_OPTIONS exported by the image's ENTRYPOINT script: the machines "
            "cluster; `bin/hello rpc`/`remote` (run through fly ssh console, not through the entrypoint) get "
            "neither: with RELEASE_DISTRIBUTION=name and RELEASE_NODE=hello their VM stops at boot", messages,
            'then get no `RELEASE_NODE` host and stop with "Can\'t set long node name!"', 'confirms')


# ---------------------------------------------------------------------------------------------------------
# FCL2xx


@pytest.mark.lab_scenarios("fcl201_sname_ipv6")
def test_fcl208_sname_with_ipv6_host_clusters(lab, observe):
    r = run(lab, "fcl201_sname_ipv6")
    assert boot(r["a"])["dist_mode"] == "shortnames" and boot(r["a"])["node"] == NODE_A
    assert r.clustered and quiet(r)
    observe("FCL208", "RELEASE_DISTRIBUTION=sname with an IPv6 host: both nodes run with short names and cluster "
            "(dns_cluster's longnames warning is not observable without dns_cluster)", [],
            "short names with the machine's IPv6 address as host still cluster", "confirms (DNSCluster's longnames warning is not observable without dns_cluster)")


@pytest.mark.lab_scenarios("fcl201_missing")
def test_fcl208_default_sname_with_ipv6_host_clusters(lab, observe):
    r = run(lab, "fcl201_missing")
    assert boot(r["a"])["env"]["RELEASE_DISTRIBUTION"] == "sname" and boot(r["a"])["dist_mode"] == "shortnames"
    assert r.clustered
    observe("FCL208", "no RELEASE_DISTRIBUTION (the script's default sname) with the Fly guide's IPv6 node name: "
            "short names, and the machines cluster", [],
            'When nothing sets it, the release script applies its default, `sname`', 'confirms')


@pytest.mark.lab_scenarios("fcl201_sname_dotted")
def test_fcl201_sname_with_dotted_host_fails_to_boot(lab, observe):
    a = run(lab, "fcl201_sname_dotted")["a"]
    assert not a.booted and a.exit_code == 1
    messages = refusal(a)
    assert messages == ["Can't set short node name!", "Please check your configuration"]
    observe("FCL201", "RELEASE_DISTRIBUTION=sname, RELEASE_NODE=hello@hello.internal: the VM stops at boot "
            "(exit 1)", messages,
            'With short names and a host that has a dot, the VM refuses the name at boot with "Can\'t set short node name!"', 'confirms')


@pytest.mark.lab_scenarios("fcl201_invalid_value")
def test_fcl201_invalid_value_prints_error_and_boots_without_distribution(lab, observe):
    a = run(lab, "fcl201_invalid_value")["a"]
    facts = boot(a)
    assert facts["node"] == "nonode@nohost" and facts["dist_mode"] == "none" and a.exit_code is None
    messages = head(a.output, 1)
    assert messages == ["ERROR: Expected sname, name, or none in RELEASE_DISTRIBUTION, got: Name"]
    observe("FCL201", "RELEASE_DISTRIBUTION=Name: the script prints the error and boots anyway, as nonode@nohost "
            "(the check runs inside $(...), so its `exit 1` only leaves the subshell)", messages,
            'with `Name` it prints "ERROR: Expected sname, name, or none in RELEASE_DISTRIBUTION, got: Name" and boots the node without distribution, as `nonode@nohost`', 'confirms')


@pytest.mark.lab_scenarios("fcl202_missing")
def test_fcl202_no_release_node_with_long_names_fails_to_boot(lab, observe):
    a = run(lab, "fcl202_missing")["a"]
    assert not a.booted and a.exit_code == 1
    assert "--name" in a.start_exec["args"] and a.start_exec["env"]["RELEASE_NODE"] == "hello"
    messages = refusal(a)
    assert messages == ["Can't set long node name!", "Please check your configuration"]
    observe("FCL202", "RELEASE_DISTRIBUTION=name and no RELEASE_NODE: the script passes `--name hello`; the "
            "machine's hostname (its ID) has no domain, so the VM stops at boot (exit 1)", messages,
            'the VM stops at boot with "Can\'t set long node name!", on every machine', 'confirms')


@pytest.mark.lab_scenarios("fcl203_hostname")
def test_fcl203_hostname_host_no_peer_and_self_connect_blocks(lab, observe):
    r = run(lab, "fcl203_hostname")
    a = boot(r["a"])
    assert a["node"] == f"hello@{A['id']}" and a["dist_mode"] == "longnames"
    attempts = {x["target"]: x for x in last_round(r["a"])["attempts"]}
    own = attempts[f"hello@{A['address']}"]
    assert own["result"] == "false" and own["ms"] >= 5000
    assert attempts[f"hello@{B['address']}"]["result"] == "false"
    assert not r["a"].peers and not r["b"].peers
    messages = dist_errors(r["a"])
    assert messages == [f"** Cannot get connection id for node hello@{A['id']}"]
    observe("FCL203", "RELEASE_NODE=${FLY_APP_NAME}@$(hostname): no peer; connecting to the node's own 6PN "
            "address blocks a discovery round about 7 s and logs on the node itself", messages,
            'the node logs "** Cannot get connection id for node app@<host>"', 'confirms')


@pytest.mark.lab_scenarios("fcl203_internal_name")
def test_fcl203_internal_name_host_no_peer(lab, observe):
    r = run(lab, "fcl203_internal_name")
    a = boot(r["a"])
    assert a["node"] == f"hello-{machinery.DEPLOY_ID}@hello.internal"
    assert not r["a"].peers and not r["b"].peers
    messages = dist_errors(r["a"])
    assert messages == [f"** Cannot get connection id for node hello-{machinery.DEPLOY_ID}@hello.internal"]
    observe("FCL203", "RELEASE_NODE=...@${FLY_APP_NAME}.internal: boots, no peer; the self-connect logs an error",
            messages,
            'every attempt gets `pang` and `Node.list()` stays `[]`', 'confirms')


@pytest.mark.lab_scenarios("fcl203_fly_local_6pn")
def test_fcl203_fly_local_6pn_host_clusters(lab, observe):
    r = run(lab, "fcl203_fly_local_6pn")
    assert boot(r["a"])["node"] == f"hello@{A['address']}" and r.clustered
    observe("FCL203", "RELEASE_NODE=${FLY_APP_NAME}@$(grep fly-local-6pn /etc/hosts | cut -f 1): the 6PN address, "
            "the machines cluster", [], "or the `fly-local-6pn` address read from `/etc/hosts`", "confirms")


@pytest.mark.lab_scenarios("fcl204_machine_id")
def test_fcl204_machine_id_in_basename_no_peer(lab, observe):
    r = run(lab, "fcl204_machine_id")
    a = boot(r["a"])
    assert a["node"] == f"hello-{A['id']}@{A['address']}"
    attempts = {x["target"]: x["result"] for x in last_round(r["a"])["attempts"]}
    assert attempts == {f"hello-{A['id']}@{B['address']}": "false"}
    assert not r["a"].peers and not r["b"].peers and quiet(r)
    observe("FCL204", "basename ${FLY_APP_NAME}-${FLY_MACHINE_ID}: machine a looks for hello-<id of a>@<address of "
            "b>, Node.connect/1 returns false; Node.list() == []; nothing logged", [],
            "so every connection attempt gets `pang` and nothing is logged: each machine stays alone with "
            "`Node.list()` at `[]`", "confirms")


@pytest.mark.lab_scenarios("fcl204_two_deploys")
def test_fcl204_two_deploys_never_meet(lab, observe):
    r = run(lab, "fcl204_two_deploys")
    assert boot(r["b"])["node"] == f"hello-{machinery.OTHER_DEPLOY_ID}@{B['address']}"
    assert not r["a"].peers and not r["b"].peers and quiet(r)
    observe("FCL204", "machines of two deploys (two FLY_IMAGE_REFs): no peer, nothing logged (one cluster per "
            "deploy)", [], "Constants and per-deploy values, such as `${FLY_IMAGE_REF##*-}`, are fine: every "
            "machine of one deploy shares them", "confirms (machines of different deploys never meet, by design)")


@pytest.mark.lab_scenarios("fcl205_fly_toml")
def test_fcl205_literal_fly_private_ip_from_fly_toml_fails_to_boot(lab, observe):
    a = run(lab, "fcl205_fly_toml")["a"]
    assert not a.booted and a.exit_code == 1
    assert a.start_exec["env"]["RELEASE_NODE"] == "${FLY_APP_NAME}@${FLY_PRIVATE_IP}"
    messages = refusal(a)
    assert messages == ["Invalid node name!", "Please check your configuration"]
    observe("FCL205", "fly.toml [env] RELEASE_NODE = \"${FLY_APP_NAME}@${FLY_PRIVATE_IP}\" reaches the VM "
            "literally; it stops at boot (exit 1)", messages,
            "Either way the VM refuses the name (\"Invalid node name!\" or \"Can't set long node name!\") and the "
            "release exits at boot, on every machine", "confirms")


@pytest.mark.lab_scenarios("fcl205_dockerfile")
def test_fcl205_dockerfile_env_node_has_an_empty_host(lab, observe):
    a = run(lab, "fcl205_dockerfile")["a"]
    assert not a.booted and a.exit_code == 1 and a.start_exec["env"]["RELEASE_NODE"] == "hello@"
    messages = refusal(a)
    assert messages == ["Can't set long node name!", "Please check your configuration"]
    observe("FCL205", "Dockerfile ENV RELEASE_NODE=hello@${FLY_PRIVATE_IP} is `hello@` in the image (expanded "
            "at build time); empty host: the VM stops at boot (exit 1)", messages,
            "A Dockerfile `ENV` expands `${...}` at build time, where the `FLY_*` variables are empty, which leaves "
            "a bare `@`", "confirms")


@pytest.mark.lab_scenarios("fcl206_version")
def test_fcl206_dots_in_basename_fail_to_boot(lab, observe):
    a = run(lab, "fcl206_version")["a"]
    assert not a.booted and a.exit_code == 1
    messages = refusal(a)
    assert messages == ["Invalid node name!", "Please check your configuration"]
    observe("FCL206", "RELEASE_NODE=hello-0.1.0@<6PN>: the VM stops at boot (exit 1)", messages,
            "the dots make the VM stop at boot with \"Invalid node name!\", so no machine of the deploy starts",
            "confirms")


@pytest.mark.lab_scenarios("fcl206_leading_dash")
def test_fcl206_basename_starting_with_dash_boots_without_distribution(lab, observe):
    a = run(lab, "fcl206_leading_dash")["a"]
    facts = boot(a)
    assert facts["node"] == "nonode@nohost" and facts["dist_mode"] == "none" and a.exit_code is None
    assert a.start_exec["env"]["RELEASE_NODE"] == f"-{machinery.DEPLOY_ID}@{A['address']}"
    messages = logged(a, "Invalid -name")
    assert messages == ["Invalid -name given to erl,"]
    observe("FCL206", "basename `-01H9...` (from an unset variable before the `-`): erl ignores the -name and the "
            "VM boots without distribution (nonode@nohost)", messages,
            'it logs "Invalid -name given to erl" and the node boots without distribution', 'confirms')


@pytest.mark.lab_scenarios("fcl207_vm_args_name")
def test_fcl207_name_in_vm_args_loses_to_release_node(lab, observe):
    r = run(lab, "fcl207_vm_args_name")
    a = boot(r["a"])
    assert a["node"] == NODE_A and a["dist_mode"] == "longnames" and r.clustered
    messages = logged(r["a"], "Multiple -name")
    assert messages == [f'Multiple -name given to erl, using the first, "{NODE_A}"']
    observe("FCL207", f"-name hello@127.0.0.1 in vm.args.eex next to the release's --name: erl warns and uses the "
            f"first, RELEASE_NODE ({a['node']}); the machines cluster", messages,
            "one that loses is dead config that misleads readers",
            "confirms (on OTP 25 the vm.args -name loses, with a warning report at boot)")


@pytest.mark.lab_scenarios("fcl207_setcookie")
def test_fcl406_setcookie_in_vm_args_breaks_the_cluster(lab, observe):
    r = run(lab, "fcl207_setcookie")
    assert boot(r["a"])["cookie_source"] == "something other than RELEASE_COOKIE"
    assert not r["a"].peers and not r["b"].peers
    messages = rejections(r)
    observe("FCL406", "`-setcookie ${RELEASE_COOKIE}` in vm.args.eex next to the release's --cookie: with two "
            "-setcookie flags OTP 25 uses neither (it takes ~/.erlang.cookie, created with a random value when "
            "missing), so two machines of one image reject each other", messages,
            'with two `-setcookie` flags the VM uses neither and reads `~/.erlang.cookie` instead', 'confirms')


# ---------------------------------------------------------------------------------------------------------
# FCL3xx


def _ignored(lab, name: str):
    r = run(lab, name)
    assert all(m.report["discovery"]["state"] == "ignore" for m in r.machines.values())
    assert not r["a"].peers and not r["b"].peers and quiet(r)
    return r


@pytest.mark.lab_scenarios("fcl301_no_discovery")
def test_fcl301_no_discovery_child_no_peer(lab, observe):
    r = run(lab, "fcl301_no_discovery")
    assert r["a"].report["discovery"] is None and not r["a"].peers and not r["b"].peers and quiet(r)
    assert boot(r["a"])["dist_mode"] == "longnames"
    observe("FCL301", "distribution up on both (long names, IPv6), no discovery child: Node.list() == []; nothing "
            "logged", [], "Without a discovery child every machine boots as a cluster of one: `Node.list()` is "
            "`[]`, Phoenix.PubSub broadcasts and Presence stay on the machine that produced them, and nothing is "
            "logged", "confirms")


@pytest.mark.lab_scenarios("fcl302_missing_module")
def test_fcl302_child_module_missing_stops_the_release(lab, observe):
    a = run(lab, "fcl302_missing_module")["a"]
    assert a.exit_code == 1
    messages = [m for m in ["The module DNSCluster was given as a child to a supervisor but it does not exist."]
                if m in a.output]
    assert messages and "application_start_failure,probe_app" in a.output
    observe("FCL302", "application_start_failure; the VM exits with status 1", messages,
            "At boot the supervisor asks `DNSCluster.child_spec/1` and stops with \"The module DNSCluster was given "
            "as a child to a supervisor but it does not exist\": the application does not start, and the release "
            "exits on every machine", "confirms")


@pytest.mark.lab_scenarios("fcl303_query_unset")
def test_fcl303_query_unset_turns_discovery_off(lab, observe):
    r = _ignored(lab, "fcl303_query_unset")
    assert boot(r["a"])["env"]["DNS_CLUSTER_QUERY"] is None
    observe("FCL303", "DNS_CLUSTER_QUERY unset: :dns_cluster_query is nil, the child is :ignore; Node.list() == []; "
            "nothing logged", [], "the generated child `Application.get_env(:hello, :dns_cluster_query) || :ignore` "
            "becomes `:ignore`. The supervisor then skips DNSCluster without a log line", "confirms")


@pytest.mark.lab_scenarios("fcl304_not_configured")
def test_fcl304_key_not_configured_turns_discovery_off(lab, observe):
    r = _ignored(lab, "fcl304_not_configured")
    assert boot(r["a"])["env"]["DNS_CLUSTER_QUERY"] == "hello.internal"
    observe("FCL304", "DNS_CLUSTER_QUERY exported, runtime.exs without the key: the child is :ignore; "
            "Node.list() == []; nothing logged", [],
            "There is no error and no warning: `DNS_CLUSTER_QUERY` may be exported correctly, but nothing reads it",
            "confirms")


@pytest.mark.lab_scenarios("fcl305_other_key", "fcl305_other_app")
def test_fcl305_other_key_or_app_turns_discovery_off(lab, observe):
    for name in ("fcl305_other_key", "fcl305_other_app"):
        _ignored(lab, name)
    observe("FCL305", "runtime.exs sets :dns_query (or :probe_app_web) while the child reads "
            ":probe_app/:dns_cluster_query: the child is :ignore; Node.list() == []; nothing logged", [],
            "the lookup returns `nil`, the generated `... || :ignore` turns the child into `:ignore`, and the "
            "supervisor skips DNSCluster without a log line", "confirms")


@pytest.mark.lab_scenarios("fcl306_txt_only")
def test_fcl306_txt_only_name_resolves_nothing(lab, observe):
    r = run(lab, "fcl306_txt_only")
    rnd = last_round(r["a"])
    assert rnd["addresses"] == [] and rnd["lookups"] == {"a": ":nxdomain (0)", "aaaa": ":nxdomain (0)"}
    assert not r["a"].peers and quiet(r)
    observe("FCL306", "vms.hello.internal (TXT records only): :inet_res.getbyname/2 gives {:error, :nxdomain} for "
            "A and AAAA, no address, Node.list() == []; nothing logged", [],
            "A TXT-only name such as `vms.hello.internal` lists machine IDs and regions but has no addresses",
            "confirms")


@pytest.mark.lab_scenarios("fcl306_comma")
def test_fcl306_comma_joined_query_resolves_nothing(lab, observe):
    r = run(lab, "fcl306_comma")
    rnd = last_round(r["a"])
    assert rnd["query"] == '"hello.internal,hello-worker.internal"' and rnd["addresses"] == []
    assert not r["a"].peers and quiet(r)
    observe("FCL306", "\"hello.internal,hello-worker.internal\" is looked up as one name: {:error, :nxdomain}, "
            "Node.list() == []; nothing logged", [], "a comma-separated string is looked up as one host name",
            "confirms")


@pytest.mark.lab_scenarios("fcl306_empty")
def test_fcl306_empty_query_runs_and_resolves_nothing(lab, observe):
    r = run(lab, "fcl306_empty")
    assert r["a"].report["discovery"]["state"] == "running"
    rnd = last_round(r["a"])
    assert rnd["addresses"] == [] and rnd["lookups"] == {"a": ":formerr (0)", "aaaa": ":formerr (0)"}
    assert not r["a"].peers and quiet(r)
    observe("FCL306", "DNS_CLUSTER_QUERY=\"\" (fly.toml): `\"\" || :ignore` keeps \"\", the child runs and every "
            "lookup gives {:error, :formerr}; Node.list() == []; nothing logged", [],
            "Flagged: an empty value", "confirms")


@pytest.mark.lab_scenarios("fcl306_flycast")
def test_fcl306_flycast_name_resolves_a_proxy_address(lab, observe):
    r = run(lab, "fcl306_flycast")
    rnd = last_round(r["a"])
    assert rnd["addresses"] == [machinery.FLYCAST_ADDRESS]
    assert [x["result"] for x in rnd["attempts"]] == ["false"] and not r["a"].peers
    observe("FCL306", "hello.flycast resolves to one proxy address (the lab's stand-in), no machine carries "
            "hello-...@<that address>; Node.list() == []", [],
            "`.flycast` and `.fly.dev` resolve to proxy addresses rather than machines", "confirms (with the "
            "lab's stand-in address; Fly's proxy itself is not modelled)")


@pytest.mark.lab_scenarios("fcl306_valid_forms")
def test_fcl306_top2_nearest_query_clusters(lab, observe):
    r = run(lab, "fcl306_valid_forms")
    assert r.clustered
    observe("FCL306", "top2.nearest.of.hello.internal: both addresses, the machines cluster", [],
            "`topN.nearest.of.<app>.internal`", "confirms (a valid form)")


@pytest.mark.lab_scenarios("fcl307_other_app")
def test_fcl307_other_apps_query_never_finds_own_machines(lab, observe):
    r = run(lab, "fcl307_other_app")
    rnd = last_round(r["a"])
    assert rnd["addresses"] == [machinery.OTHER_ADDRESS]
    assert [x["target"] for x in rnd["attempts"]] == [f"hello-{machinery.DEPLOY_ID}@{machinery.OTHER_ADDRESS}"]
    assert not r["a"].peers and not r["b"].peers and quiet(r)
    observe("FCL307", "hello-production.internal: only the other app's address, a connect to "
            "hello-<deploy>@<its address> returns false; the own machines are never looked up; Node.list() == []",
            [], "The machines of this app only ever look up the other app (or a name that does not exist) and try "
            "to connect to `<own basename>@<their address>`, names nobody carries", "confirms")


@pytest.mark.lab_scenarios("fcl308_dev_build")
def test_fcl308_dev_build_skips_the_prod_block(lab, observe):
    r = _ignored(lab, "fcl308_dev_build")
    assert boot(r["a"])["env"]["DNS_CLUSTER_QUERY"] == "hello.internal"
    observe("FCL308", "the probe built with MIX_ENV=dev: DNS_CLUSTER_QUERY=hello.internal in the environment, "
            "but the `if config_env() == :prod` block never runs: the child is :ignore; Node.list() == []", [],
            "A release built as `dev` skips the whole `if config_env() == :prod` block on every boot", "confirms")


@pytest.mark.lab_scenarios("fcl311_basename_mismatch")
def test_fcl311_dnspoll_basename_differs_from_release_node(lab, observe):
    r = run(lab, "fcl311_basename_mismatch")
    rnd = last_round(r["a"])
    assert rnd["node_basename"] == '"hello"'
    assert sorted(x["target"] for x in rnd["attempts"]) == sorted(f"hello@{m['address']}" for m in (A, B))
    assert all(x["result"] == "false" for x in rnd["attempts"]) and not r["a"].peers and quiet(r)
    observe("FCL311", "DNSPoll-equivalent with node_basename \"hello\" while the nodes are "
            "hello-<deploy>@<6PN>: it connects to hello@<each address>, false every time; Node.list() == []", [],
            "Here it tries `hello@fdaa:...` while the nodes are named `hello-01H9RK9EYO9PGNBYAKGXSHV0PH@fdaa:...`, "
            "so every attempt fails", "confirms (libcluster's own log line is not observable without libcluster)")


@pytest.mark.lab_scenarios("fcl311_basename_match")
def test_fcl311_dnspoll_basename_equal_to_release_node_clusters(lab, observe):
    r = run(lab, "fcl311_basename_match")
    assert r.clustered and boot(r["a"])["node"] == f"hello@{A['address']}"
    observe("FCL311", "node_basename \"hello\" and RELEASE_NODE=${FLY_APP_NAME}@${FLY_PRIVATE_IP}: the machines "
            "cluster", [], "after resolving `System.get_env(\"FLY_APP_NAME\")` in the config", "confirms")


@pytest.mark.lab_scenarios("fcl313_two_trees")
def test_fcl313_two_children_one_name_already_started(lab, observe):
    a = run(lab, "fcl313_two_trees")["a"]
    assert a.exit_code == 1
    messages = [norm(line) for line in a.output.splitlines() if "already started" in line]
    assert messages == ["        ** (EXIT) already started: #PID<0.N.0>"]
    assert "application_start_failure,probe_app" in a.output
    observe("FCL313", "the second DNSCluster-equivalent (in a second supervision tree) gets already_started; the "
            "application fails and the VM exits with status 1", messages,
            "Whichever starts second gets `{:error, {:already_started, pid}}`, so its supervisor fails to start, "
            "`Hello.Application` fails, and the release stops during boot with `application_start_failure`",
            "confirms")


@pytest.mark.lab_scenarios("fcl313_one_list")
def test_fcl313_two_children_in_one_list_duplicate_child_id(lab, observe):
    a = run(lab, "fcl313_one_list")["a"]
    assert a.exit_code == 1
    messages = [norm(line) for line in a.output.splitlines() if "more than one child specification" in line]
    assert messages == ["[notice] Application probe_app exited: ProbeApp.Application.start(:normal, []) returned "
                        "an error: bad child specification, more than one child specification has the id: "
                        "ProbeApp.DNSCluster."]
    observe("FCL313", "the supervisor rejects the duplicate child id; the VM exits with status 1", messages,
            "Two such children in the same children list fail even earlier: they share the child id `DNSCluster`, "
            "which the supervisor rejects", "confirms")


# ---------------------------------------------------------------------------------------------------------
# FCL4xx


@pytest.mark.lab_scenarios("fcl401_two_builds")
def test_fcl401_two_builds_two_random_cookies_invalid_challenge_reply(lab, observe):
    r = run(lab, "fcl401_two_builds")
    assert boot(r["a"])["cookie_source"] == "releases/COOKIE" and boot(r["b"])["cookie_source"] == "releases/COOKIE"
    assert not r["a"].peers and not r["b"].peers
    messages = rejections(r)
    observe("FCL401", "machines of two builds, no RELEASE_COOKIE: each uses its build's releases/COOKIE; every "
            "attempt is rejected on the receiving side; Node.list() == []", messages,
            "Those nodes are refused with \"Connection attempt from node ... rejected. Invalid challenge reply.\" on "
            "the receiving side", "confirms")


@pytest.mark.lab_scenarios("fcl401_two_builds_fixed_secret")
def test_fcl401_two_builds_with_a_fixed_secret_cookie_cluster(lab, observe):
    r = run(lab, "fcl401_two_builds_fixed_secret")
    assert boot(r["a"])["cookie_source"] == "RELEASE_COOKIE from the environment" and r.clustered
    observe("FCL401", "machines of two builds with RELEASE_COOKIE set as a secret: they cluster", [],
            "`RELEASE_COOKIE` declared as a Fly secret", "confirms")


@pytest.mark.lab_scenarios("fcl403_empty_export")
def test_fcl403_empty_export_falls_back_to_releases_cookie(lab, observe):
    r = run(lab, "fcl403_empty_export")
    assert boot(r["a"])["cookie_source"] == "releases/COOKIE" and boot(r["a"])["release_cookie"] == "set"
    assert not r["a"].peers and not r["b"].peers
    messages = rejections(r)
    observe("FCL403", "`export RELEASE_COOKIE=\"\"` with the secret set: the script refills it from releases/COOKIE; "
            "two builds' machines reject each other", messages,
            "If the exported variable is empty, the script even falls back to the random per-build "
            "`releases/COOKIE`", "confirms")


@pytest.mark.lab_scenarios("fcl403_export_overrides_secret")
def test_fcl403_export_overrides_the_secret(lab, observe):
    r = run(lab, "fcl403_export_overrides_secret")
    assert not r["a"].peers and not r["b"].peers
    messages = rejections(r)
    observe("FCL403", "machine a exports a literal RELEASE_COOKIE over the secret, machine b uses the secret: "
            "rejected both ways", messages,
            "nodes that do use it (a local node over WireGuard, another app) are rejected with \"Invalid challenge "
            "reply\"", "confirms")


@pytest.mark.lab_scenarios("fcl405_dashes")
def test_fcl405_cookie_with_dashes_works(lab, observe):
    r = run(lab, "fcl405_dashes")
    assert r.clustered and boot(r["a"])["cookie_source"] == "RELEASE_COOKIE from the environment"
    observe("FCL405", "RELEASE_COOKIE=my-app-cookie (short, with `-`): the machines cluster", [],
            'a short cookie with `-` in it still clusters', 'confirms (a strength rule: observed to have no runtime effect)')


# ---------------------------------------------------------------------------------------------------------
# FCL5xx: what Postgrex does, :gen_tcp.connect/4 with the Repo's socket_options, to an AAAA-only .internal name


def _db(lab, name: str) -> dict:
    return run(lab, name)["a"].report["db"]


@pytest.mark.lab_scenarios("fcl501_unset", "fcl501_set")
def test_fcl501_ecto_ipv6_unset_nxdomain_set_connects(lab, observe):
    unset, set_ = _db(lab, "fcl501_unset"), _db(lab, "fcl501_set")
    assert unset["socket_options"] == "[]" and unset["result"] == "{:error, :nxdomain}"
    assert set_["socket_options"] == "[:inet6]" and set_["result"] == "connected" and set_["peer"] == B["address"]
    messages = [f"{unset['result']} ({unset['format_error']})"]
    observe("FCL501", "hello-db.internal (AAAA only): ECTO_IPV6 unset gives socket_options [] and "
            "{:error, :nxdomain}; ECTO_IPV6=true gives [:inet6] and a connection to machine b", messages,
            "so every connection fails with `tcp connect (hello-db.flycast:5432): non-existing domain - :nxdomain`",
            "confirms (at the socket: Postgrex formats this error as in the quote)")


@pytest.mark.lab_scenarios("fcl502_not_wired")
def test_fcl502_ecto_ipv6_not_wired_nxdomain(lab, observe):
    db = _db(lab, "fcl502_not_wired")
    assert db["socket_options"] == "[]" and db["result"] == "{:error, :nxdomain}"
    observe("FCL502", "ECTO_IPV6=true but runtime.exs never gives the Repo socket_options: {:error, :nxdomain}",
            [f"{db['result']} ({db['format_error']})"],
            "`ECTO_IPV6` is only an environment variable; neither Ecto nor the database driver reads it", "confirms")


@pytest.mark.lab_scenarios("fcl503_yes", "fcl503_truthy_false")
def test_fcl503_values_read_the_other_way(lab, observe):
    yes, false = _db(lab, "fcl503_yes"), _db(lab, "fcl503_truthy_false")
    assert yes["socket_options"] == "[]" and yes["result"] == "{:error, :nxdomain}"
    assert false["socket_options"] == "[:inet6]" and false["result"] == "connected"
    observe("FCL503", "ECTO_IPV6=yes under `in ~w(true 1)`: [] and {:error, :nxdomain}; ECTO_IPV6=false under the "
            "1.6.x truthiness test: [:inet6], connects", [f"{yes['result']} ({yes['format_error']})"],
            "With `yes`, `maybe_ipv6` is `[]`, the Repo resolves its host over IPv4 only", "confirms")


# ---------------------------------------------------------------------------------------------------------
# FCL6xx


@pytest.mark.lab_scenarios("fcl601_export_wins", "fcl601_guarded_keeps_outer")
def test_fcl601_export_wins_guarded_export_keeps_the_outer_value(lab, observe):
    wins = boot(run(lab, "fcl601_export_wins")["a"])
    kept = boot(run(lab, "fcl601_guarded_keeps_outer")["a"])
    assert wins["env"]["DNS_CLUSTER_QUERY"] == "hello.internal"
    assert kept["env"]["DNS_CLUSTER_QUERY"] == "hello-old.internal"
    observe("FCL601", "fly.toml [env] DNS_CLUSTER_QUERY=hello-old.internal: an unconditional export wins "
            "(hello.internal); `${DNS_CLUSTER_QUERY:-...}` keeps hello-old.internal", [],
            "The release script sources `env.sh` after the Machine's environment is set, so the export wins on "
            "every boot and the `fly.toml` value is dead config", "confirms")


@pytest.mark.lab_scenarios("fcl602_mix_run")
def test_fcl602_mix_run_never_sources_env_sh(lab, observe):
    r = run(lab, "fcl602_mix_run")
    a = boot(r["a"])
    assert a["node"] == "nonode@nohost" and a["dist_mode"] == "none" and a["proto_dist"] is None
    assert all(v is None for k, v in a["env"].items())
    assert r["a"].report["discovery"]["state"] == "ignore" and not r["a"].peers
    observe("FCL602", "`mix run --no-halt` with the same layers: nonode@nohost, none of the env.sh variables, "
            "DNSCluster child :ignore", [],
            "Started through Mix, the node gets none of it: no `RELEASE_DISTRIBUTION`/`RELEASE_NODE` (it is not "
            "distributed at all), no `-proto_dist inet6_tcp`, no `DNS_CLUSTER_QUERY` (DNSCluster becomes "
            "`:ignore`)", "confirms")


# ---------------------------------------------------------------------------------------------------------
# Claims the lab cannot observe offline

UNOBSERVABLE = {
    "FCL009": ("An inline `# fly-cluster-lint: ignore[...]` suppresses nothing",
               "a linter-internal rule: no runtime behaviour"),
    "FCL309": ("Version 0.1.x requires `:query` to be a string and raises `ArgumentError`",
               "needs dns_cluster 0.1.x from Hex (no network to hex.pm); the probe only mirrors dns_cluster's lookup"),
    "FCL310": ("libcluster 3.x does not read `config :libcluster` by itself",
               "needs libcluster's Cluster.Supervisor from Hex (no network to hex.pm)"),
    "FCL312": ("DNSPoll reads only `polling_interval`; its own module docs say `poll_interval`, and that key is "
               "silently ignored", "needs libcluster from Hex; Gossip also needs multicast, which Fly's 6PN is "
               "not modelled for"),
    "FCL402": ("Committed, it is readable by anyone with the repository",
               "a security claim: a committed cookie works like any fixed cookie (see FCL401's fixed-secret run)"),
    "FCL404": ("`mix.exs` is evaluated when `mix release` runs, in the Docker builder, not when the node boots",
               "a build-time claim; its runtime consequence (a random per-build cookie) is FCL401's two-builds run"),
}


@pytest.mark.parametrize("rule", sorted(UNOBSERVABLE))
def test_unobservable_offline(rule, lab, observe):
    claim, reason = UNOBSERVABLE[rule]
    observe(rule, "not observed", [], claim, "not observed: " + reason)
    pytest.skip(f"{rule}: {reason}")
