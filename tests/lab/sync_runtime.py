"""Write each rule's `runtime:` block (rules/FCLnnn.yml) from what the lab observed (observations.json).

    python tests/lab/sync_runtime.py          # rewrite the blocks
    python tests/lab/sync_runtime.py --check  # exit 1 when a block differs (tests/test_rule_docs.py does this)

The block is the last key of the rule file; everything above it is left untouched. `fly-cluster-lint explain`
and the rule pages (docs/rules/) print it, so a rule's runtime claim always comes with what a booted release
really did.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
OBSERVATIONS = ROOT / "tests" / "lab" / "observations.json"
RULES = ROOT / "rules"
MARKER = "\nruntime:\n"
HEADER = ("# What the reality lab (tests/lab) saw on booted releases; written by tests/lab/sync_runtime.py from\n"
          "# tests/lab/observations.json, never by hand.\n")


def blocks() -> dict[str, dict]:
    """{code: the runtime mapping} for every rule file."""
    data = json.loads(OBSERVATIONS.read_text(encoding="utf-8"))
    out = {}
    for path in sorted(RULES.glob("FCL*.yml")):
        code = path.stem
        entries = data.get(code, [])
        observed = [e for e in entries if not e["docs"].startswith("not observed")]
        versions = sorted({f"Elixir {e['elixir']}, Erlang/OTP {e['otp']}" for e in entries if e.get("elixir")})
        block: dict = {"seen_on": "; ".join(versions) if versions else None}
        if observed:
            block["observed"] = [{"scenario": e["test"].removeprefix("test_") if hasattr(str, "removeprefix")
                                  else e["test"][5:], "outcome": e["outcome"], "messages": list(e["messages"])}
                                 for e in observed]
        else:
            reasons = [e["docs"].split(":", 1)[-1].strip() for e in entries]
            block["not_observed"] = reasons[0] if reasons else "no lab scenario exercises this rule"
        out[code] = block
    return out


def render(block: dict) -> str:
    body = yaml.safe_dump({"runtime": block}, sort_keys=False, allow_unicode=True, width=110,
                          default_flow_style=False)
    return HEADER + body


def current(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    at = text.find(HEADER) if HEADER in text else text.find(MARKER)
    return text[at:] if at >= 0 else ""


def main() -> int:
    check = "--check" in sys.argv[1:]
    stale = []
    for code, block in blocks().items():
        path = RULES / f"{code}.yml"
        text = path.read_text(encoding="utf-8")
        wanted = render(block)
        existing = current(path)
        if existing == wanted:
            continue
        stale.append(code)
        if not check:
            head = text[: len(text) - len(existing)] if existing else text
            path.write_text(head.rstrip("\n") + "\n" + wanted, encoding="utf-8")
    if check and stale:
        print("stale runtime blocks: " + ", ".join(stale) + " (run python tests/lab/sync_runtime.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
