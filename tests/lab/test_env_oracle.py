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
_NO_REL = ("the image gets Mix's default env.sh ({why}), so the VM runs with RELEASE_DISTRIBUTION=sname, "
           "RELEASE_NODE=hello and none of the exports; `env` still lists the rel/env.sh.eex values (the catalogue's "
           "model: when the image never gets rel/, the default env.sh ships)")
KNOWN_DISAGREEMENTS: dict[str, str] = {
    "case/fcl004-copied-after-release": _NO_REL.format(why="`COPY rel rel` comes after `RUN mix release`"),
    "case/fcl004-dockerignore": _NO_REL.format(why=".dockerignore excludes rel"),
    "case/fcl004-rel-not-copied": _NO_REL.format(why="the builder never copies rel/"),
    "case/fcl005-double-brackets": "under dash `[[` is not found, the `if [[ ... ]]` block is skipped: the VM has no "
    "ERL_AFLAGS, ECTO_IPV6 or DNS_CLUSTER_QUERY and RELEASE_NODE=hello@<hostname>; `env` lists the block's exports "
    "(the catalogue says a `[[ ... ]]` block is skipped)",
    "case/fcl005-source-and-function": "`source /etc/profile` exits the release script with status 127 before the VM "
    "starts; `env` reports a complete environment as if the release booted",
    "case/fcl201-invalid-value": "RELEASE_DISTRIBUTION=Name: FCL201's docs say the release exits, but the script only "
    "prints `ERROR: Expected sname, name, or none in RELEASE_DISTRIBUTION, got: Name` and boots without "
    "distribution (nonode@nohost)",
    "case/fcl306-empty": "fly.toml `DNS_CLUSTER_QUERY = \"\"`: `env` shows the value as `\"\"` (the TOML quotes), "
    "the VM gets the empty string",
    "case/fcl403-overrides-secret": "`export RELEASE_COOKIE=\"$ERLANG_COOKIE\"` with ERLANG_COOKIE unset exports an "
    "empty cookie, and the release script then falls back to releases/COOKIE; `env` says the cookie comes from "
    "env.sh (the catalogue: an empty value after env.sh gets the default)",
    "case/fcl602-phx-server": "the machine runs `mix phx.server`, so env.sh never runs and the VM has none of its "
    "values (not distributed); `env` lists the env.sh values and `bin/hello start`",
}


def _params():
    for target_id in oracles.target_ids():
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_DISAGREEMENTS[target_id])] \
            if target_id in KNOWN_DISAGREEMENTS else []
        yield pytest.param(target_id, id=target_id, marks=marks)


@pytest.mark.parametrize("target_id", list(_params()))
def test_env_oracle(target_id, lab):
    item = lab.prepared[target_id]
    if item.target.problem:
        pytest.skip(f"the lab cannot boot it: {item.target.problem}")
    assert item.env_json is not None, "fly-cluster-lint env printed no entry for this (toml, release)"
    if item.scenario is None:
        pytest.skip("the templates do not render: " + " ".join(item.render_errors)[:300])
    result = lab.run(item.scenario)
    diffs, notes, vm = oracles.compare_env(item, result, lab.expanded[target_id])
    skip = item.target.facts.get("env_oracle_skip")
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
