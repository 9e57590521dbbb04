"""Verdict oracle: a project the linter passes (no error-severity finding in FCL1xx-FCL4xx) forms a two-machine
cluster; a project with such an error does not (an empty Node.list() or a failed boot), and what happened
matches the stated symptom of every error it gets.

Applied to every fixture whose clustering outcome depends only on the environment layers (env.sh.eex, vm.args,
Dockerfile ENV, fly.toml [env], declared secrets): the probe replaces the project's Elixir code by the Phoenix
template's wiring (a DNSCluster child reading DNS_CLUSTER_QUERY through config/runtime.exs), so golden cases
that change lib/, config/, mix.exs or mix.lock are skipped with that reason, and so are projects whose only
errors are about the Elixir side. FCL401 alone does not predict a broken cluster: its own docs say machines
of one image share the random cookie (its symptom needs a second build, see test_symptoms.py). A project with
no FCL1xx-FCL4xx error but a packaging error (FCL0xx, FCL602, which by design do not cascade to the value
rules) is expected not to cluster, with that rule's symptom.
"""

from __future__ import annotations

import pytest

from . import oracles

pytestmark = pytest.mark.beam

# Targets where the verdict and the observed outcome disagree today, with the lab's diagnosis (strict xfails).
KNOWN_CONTRADICTIONS: dict[str, str] = {}


def _params():
    for target_id in oracles.target_ids():
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_CONTRADICTIONS[target_id])] \
            if target_id in KNOWN_CONTRADICTIONS else []
        yield pytest.param(target_id, id=target_id, marks=marks)


@pytest.mark.parametrize("target_id", list(_params()))
def test_verdict_oracle(target_id, lab):
    item = lab.prepared[target_id]
    if item.linter_error:
        pytest.fail(item.linter_error)
    eligible, why = oracles.verdict_eligibility(item)
    if not eligible:
        lab.report["verdict"][target_id] = {"excluded": why}
        pytest.skip(why)
    result = lab.run(item.scenario)
    expect_cluster, codes, reason = oracles.expected_verdict(item)
    checks = {code: oracles.symptom_check(code, result, item) for code in codes}
    a, b = result["a"], result["b"]
    observed = (f"clustered={result.clustered}; a: node={a.node}, peers={a.peers}, exit={a.exit_code}; "
                f"b: node={b.node}, peers={b.peers}, exit={b.exit_code}")
    lab.report["verdict"][target_id] = {
        "expected_cluster": expect_cluster, "why": reason, "note": why, "observed": observed,
        "clustered": result.clustered, "symptoms": {c: [ok, ev] for c, (ok, ev) in checks.items()},
    }
    if expect_cluster:
        assert result.clustered, f"{reason}, but no cluster formed: {observed}"
        return
    assert not result.clustered, f"{reason}, but the machines clustered: {observed}"
    mismatched = {c: ev for c, (ok, ev) in checks.items() if ok is False}
    assert not mismatched, "symptom does not match: " + "; ".join(f"{c}: {ev}" for c, ev in mismatched.items())
