"""The reality lab's fixtures: one lab per test session (probe builds, namespaces, resolver), prefetching every
boot the selected tests need in parallel, then handing each test its cached result.

Nothing here runs at import or collection time: `pytest -m "not beam"` collects these tests but never
requests the `lab` fixture, so it creates no namespace and builds nothing. Without root, `ip netns`, `elixir`/
`mix`, dnsmasq or the linter, every lab test is skipped with one reason.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from . import machinery, oracles, scenarios

OBSERVATIONS = Path(__file__).resolve().parent / "observations.json"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "beam: boots real Erlang releases in network namespaces (the reality lab under tests/lab; needs root, "
        "ip netns, elixir/mix and dnsmasq, and skips without them)",
    )
    config.addinivalue_line("markers", "lab_scenarios(*names): the symptom scenarios a lab test boots")


def _selected(session) -> tuple[set[str], set[str]]:
    targets, named = set(), set()
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and "target_id" in callspec.params:
            targets.add(callspec.params["target_id"])
        for marker in item.iter_markers("lab_scenarios"):
            named.update(marker.args)
    return targets, named


@pytest.fixture(scope="session")
def lab(request, tmp_path_factory):
    reason = machinery.unavailable_reason() or oracles.linter_available()
    if reason:
        pytest.skip(reason)
    started = time.monotonic()
    root = tmp_path_factory.mktemp("lab")
    targets, named = _selected(request.session)
    wanted = [scenarios.get(name) for name in sorted(named)]
    apps, regions = oracles.fixture_apps_and_regions()
    lab = machinery.Lab(root, apps + scenarios.APPS, regions)
    request.addfinalizer(lab.close)
    lab.start_builds(["a"] + sorted({m.release.build for s in wanted for m in s.machines} - {"a"}))
    lab.open()
    # the symptom scenarios need no linter output: they boot while the targets are laid out and rendered
    early = threading.Thread(target=_run_quietly, args=(lab, wanted), name="lab-symptoms")
    early.start()
    preparation = None
    if targets:
        t0 = time.monotonic()
        preparation = oracles.Preparation(root / "targets", lab)
        lab.prepared = preparation.prepared
        lab.timings["prepare targets (layout, EEx)"] = time.monotonic() - t0
    else:
        lab.versions.update(machinery.render_templates([], root / "rendered")[0])
    boots = [lab.prepared[t].scenario for t in sorted(targets) if t in lab.prepared and lab.prepared[t].scenario]
    t0 = time.monotonic()
    lab.run_all(boots)
    early.join()
    lab.timings[f"boots ({len({s.key() for s in boots + wanted})} scenarios on {len(lab.lanes)} lanes)"] = (
        time.monotonic() - t0)
    if preparation is not None:
        t0 = time.monotonic()
        preparation.finish()
        lab.expanded = oracles.expand_all(lab.prepared, lab)
        lab.timings["linter output (after the boots)"] = time.monotonic() - t0
    lab.timings["lab fixture total"] = time.monotonic() - started
    report = os.environ.get("LAB_REPORT_DIR")
    if report:
        request.addfinalizer(lambda: _write_report(Path(report), lab))
    return lab


def _run_quietly(lab, wanted) -> None:
    try:
        lab.run_all(wanted)
    except Exception:  # noqa: BLE001 - a scenario that failed to run is re-run (and reported) by its test
        pass


def _write_report(folder: Path, lab) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = {"versions": lab.versions, "timings": lab.timings, **lab.report}
    (folder / "lab-report.json").write_text(json.dumps(data, indent=2, sort_keys=True, default=str) + "\n")


@pytest.fixture(scope="session")
def observation_book(lab):
    book = ObservationBook(OBSERVATIONS, record=os.environ.get("LAB_RECORD") == "1", versions=lab.versions)
    yield book
    book.save()


@pytest.fixture
def observe(request, observation_book, lab):
    """Record (LAB_RECORD=1) or compare one scenario's observation, keyed by rule code."""

    def record(rule: str, outcome: str, messages: list[str], claim: str, verdict: str) -> None:
        entry = {
            "test": request.node.name,
            "outcome": outcome,
            "messages": messages,
            "elixir": lab.versions.get("elixir"),
            "otp": lab.versions.get("otp"),
            "docs": verdict,
            "doc_claim": claim,
        }
        lab.report["symptoms"].setdefault(rule, []).append(entry)
        if observation_book.record:
            entry["doc_claim_found"] = claim_in_docs(rule, claim)
            assert entry["doc_claim_found"], f"the quoted claim is not in rules/{rule}.yml: {claim}"
        observation_book.check(rule, entry)

    return record


def claim_in_docs(rule: str, claim: str) -> bool:
    """Is the quoted claim (whitespace-normalized) still in the rule's docs?"""
    path = Path(__file__).resolve().parents[2] / "rules" / f"{rule}.yml"
    if not path.exists():
        return False
    collapse = lambda text: " ".join(text.split())  # noqa: E731
    return collapse(claim) in collapse(path.read_text())


class ObservationBook:
    """tests/lab/observations.json: {rule code: [one entry per scenario test]}. Regenerated with LAB_RECORD=1,
    otherwise each test's outcome and messages must equal the recorded ones (same Elixir/OTP versions)."""

    def __init__(self, path: Path, record: bool, versions: dict) -> None:
        self.path = path
        self.record = record
        self.versions = versions
        self.data = json.loads(path.read_text()) if path.exists() else {}
        self.seen: dict[str, dict[str, dict]] = {}

    def check(self, rule: str, entry: dict) -> None:
        self.seen.setdefault(rule, {})[entry["test"]] = entry
        if self.record:
            return
        stored = next((e for e in self.data.get(rule, []) if e["test"] == entry["test"]), None)
        if stored is None:
            pytest.fail(f"no recorded observation for {rule} / {entry['test']}: run with LAB_RECORD=1 to record it")
        if (stored.get("elixir"), stored.get("otp")) != (entry["elixir"], entry["otp"]):
            return  # recorded on other versions: the test's own assertions still apply
        assert (entry["outcome"], entry["messages"]) == (stored["outcome"], stored["messages"]), (
            f"the observation differs from tests/lab/observations.json ({rule} / {entry['test']}); "
            "rerun with LAB_RECORD=1 if the change is expected")

    def save(self) -> None:
        if not self.record or not self.seen:
            return
        for rule, entries in self.seen.items():
            kept = [e for e in self.data.get(rule, []) if e["test"] not in entries]
            self.data[rule] = sorted(kept + list(entries.values()), key=lambda e: e["test"])
        ordered = {rule: self.data[rule] for rule in sorted(self.data)}
        self.path.write_text(json.dumps(ordered, indent=2, ensure_ascii=False) + "\n")
