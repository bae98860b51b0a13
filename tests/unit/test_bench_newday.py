"""The bench's new day: the generated history's last day taken out of every event dataset, then delivered."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from orchestration.datasets import BY_KEY, Dataset
from orchestration.ingest.layouts import PAGE_LAYOUTS
from roi_ledger_demo import generate
from tests.bench import newday
from tests.conftest import AS_OF


def _records(path: Path, ds: Dataset) -> int:
    name = path.name.lower().removesuffix(".gz")
    with newday._open(path, "r") as fh:
        if name.endswith(".csv"):
            return sum(1 for _ in csv.reader(fh)) - 1
        if name.endswith(".json") and ds.json_layout in PAGE_LAYOUTS:
            return sum(len(b.get("results", [])) for b in json.load(fh)["data"])
        if name.endswith(".json") and ds.json_layout == "envelope":
            return len(json.load(fh)[ds.json_records_key])
        return sum(1 for line in fh if line.strip())


def _totals(raw: Path) -> dict[str, int]:
    return {
        key: sum(
            _records(p, BY_KEY[key])
            for p in (raw / BY_KEY[key].folder).iterdir()
            if not p.name.endswith(".parquet") and not (key == "iam/github_audit_log" and p.name.endswith(".json"))
        )
        for key in newday.EVENT_TIME
    }


def test_every_dataset_is_split_by_its_event_time_or_kept_whole_as_a_snapshot() -> None:
    """A dataset the registry gains must be placed: left unsplit, its last day's records would lie in the future
    of the bench's first night and be quarantined (its money then blocks the release)."""
    assert newday.SNAPSHOTS.isdisjoint(newday.EVENT_TIME)
    assert set(newday.EVENT_TIME) | newday.SNAPSHOTS == set(BY_KEY)
    for key, name in newday.EVENT_TIME.items():
        assert name in {f.name for f in BY_KEY[key].fields}, key


def test_numbers_in_json_documents_keep_their_text() -> None:
    text = '{"data":[{"amount":{"value":1.5954296000000000,"currency":"usd"},"n":3,"e":-0.10,"s":"\u00e9 \\u0000"}]}'
    assert newday._dump_exact(newday._load_exact(text)) == text


def test_the_last_day_moves_to_new_files_and_nothing_is_lost(tmp_path: Path) -> None:
    generate(tmp_path, seed=7, scale="small", months=2, as_of=AS_OF)
    raw, held = tmp_path / "raw", tmp_path / "held"
    before = _totals(raw)
    files_before = sorted(p.relative_to(raw) for p in raw.rglob("*") if p.is_file())
    counts = newday.hold_back(raw, held, AS_OF)
    assert set(counts) >= {
        "usage/litellm_spend_logs",
        "usage/openai_usage",
        "policy/opa_decision_logs",
        "iam/okta_system_log",
        "billing/focus",
        "ai/anthropic_cost",
        "ai/openai_costs",
        "ai/cursor_usage_events",
    }  # (2026-10-31 is a Saturday: few deploys)
    for path in held.rglob("*"):
        if path.is_file():  # a day file holds that day only, and its source no longer holds any of it
            ds = BY_KEY[path.parent.relative_to(held).as_posix()]
            assert f".day-{AS_OF.isoformat()}" in path.name
            rest, day = newday._split_file(ds, path, AS_OF)
            assert _records_in(rest, path, ds) == 0 and _records_in(day, path, ds) > 0
    assert all(
        newday._split_file(BY_KEY[k], p, AS_OF) is None
        for k in newday.EVENT_TIME
        for p in (raw / BY_KEY[k].folder).iterdir()
    )
    assert newday.hold_back(raw, held, AS_OF) == {}  # done once per dataset

    delivered = newday.deliver(raw, held)
    assert _totals(raw) == before  # every record is in the history or in the day files, once
    newday.withdraw(delivered)
    assert sorted(p.relative_to(raw) for p in raw.rglob("*") if p.is_file()) == files_before


def _records_in(text: str, path: Path, ds: Dataset) -> int:
    copy = path.with_name("count-" + path.name)
    with newday._open(copy, "w") as fh:
        fh.write(text)
    try:
        return _records(copy, ds)
    finally:
        copy.unlink()
