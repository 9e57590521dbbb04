"""Environment oracle: for every golden case, fixture project and example, the value `fly-cluster-lint env`
gives each clustering variable equals what `System.get_env/1` reports in the booted release (machine `a`),
and the `-proto_dist` and name mode its values imply equal what the VM reports.

The linter's values are compared the way they reach the VM: env.sh words are expanded by dash on the lab
machine with exactly Fly's variables (FLY_APP_NAME, FLY_IMAGE_REF, FLY_PRIVATE_IP, FLY_MACHINE_ID,
FLY_REGION); a Dockerfile value as `docker build` expands it (Fly's variables are empty then); fly.toml values
and secrets as literal strings; a masked secret (`****`, `(Fly secret)`) compares as "set"; the cookie
compares by where it comes from (the environment, or releases/COOKIE). A value the linter marks as not
exported is a claim that the VM does not see it.
"""

from __future__ import annotations

import pytest

from . import oracles

pytestmark = pytest.mark.beam

# Targets where the linter's model and the booted VM disagree today, with the lab's diagnosis. Strict xfails:
# when the model is fixed they pass, and pytest reports them as XPASS(strict) failures to be removed from here.
KNOWN_DISAGREEMENTS: dict[str, str] = {}


def _params():
    for target_id in oracles.target_ids():
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_DISAGREEMENTS[target_id])] \
            if target_id in KNOWN_DISAGREEMENTS else []
        yield pytest.param(target_id, id=target_id, marks=marks)


@pytest.mark.parametrize("target_id", list(_params()))
def test_env_oracle(target_id, lab):
    item = lab.prepared[target_id]
    if item.linter_error:
        pytest.fail(item.linter_error)
    if item.target.problem:
        pytest.skip(f"the lab cannot boot it: {item.target.problem}")
    assert item.env_json is not None, "fly-cluster-lint env printed no entry for this (toml, release)"
    if item.scenario is None:
        pytest.skip("the templates do not render with EEx (`mix release` would stop the same way): "
                    + " ".join(item.render_errors)[:200])
    result = lab.run(item.scenario)
    diffs, notes, vm = oracles.compare_env(item, result, lab.expanded[target_id])
    skip = item.target.facts.get("env_oracle_skip")
    if item.target.start.startswith("missing:"):
        skip = "the image as written cannot start: " + item.target.facts.get("start_why", "")
    lab.report["env"][target_id] = {
        "complete": item.env_json["complete"],
        "unreadable_layers": item.env_json["unreadable_layers"],
        "vm_source": vm["source"],
        "differences": [d.__dict__ for d in diffs],
        "notes": notes,
    }
    if skip:
        pytest.skip(f"{skip}; observed: " + ("; ".join(map(str, diffs)) or "the values agree"))
    if not item.env_json["complete"]:
        pytest.skip("the linter declares layers unreadable (" + ", ".join(item.env_json["unreadable_layers"])
                    + "); observed: " + ("; ".join(map(str, diffs)) or "the values agree"))
    assert not diffs, "\n".join(map(str, diffs)) + ("\nnotes: " + "; ".join(notes) if notes else "")
