"""Every dataset's ingest side by side (orchestration/ingest/parallel.py): the same landing as one dataset after
another, datasets really running at once, one dataset's crash stopping only that dataset, and the thread count."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, materialize

from orchestration.datasets import BY_KEY, DATASETS
from orchestration.ingest import assets, engine, parallel
from orchestration.ingest.contract import TimeWindow
from orchestration.resources import RoiSettings
from tests.unit.test_ingest import fixture_files, stage, stage_good

WINDOW = TimeWindow(date.today(), 24)  # the fixtures are older: as ingest_dataset defaults
KEYS = [
    "usage/litellm_spend_logs",
    "usage/openai_usage",
    "iam/okta_system_log",
    "billing/focus",
    "policy/opa_decision_logs",
    "delivery/changes",
]


def _raw(tmp_path: Path) -> Path:
    """Realistic exports of several datasets plus bad data: a truncated LiteLLM file (rows quarantined) and a
    FOCUS file that is not CSV (rejected whole)."""
    for key in KEYS:
        stage_good(tmp_path, BY_KEY[key])
    litellm = fixture_files(BY_KEY["usage/litellm_spend_logs"])[0].read_text()
    stage(tmp_path, BY_KEY["usage/litellm_spend_logs"], {"zz_truncated.csv": litellm[: len(litellm) // 2].encode()})
    stage(tmp_path, BY_KEY["billing/focus"], {"zz_not_csv.csv": b"\x00\x01binary\xff\xfe"})
    return tmp_path / "raw"


STATE = {
    "files": "SELECT * EXCLUDE (ingested_at, run_id) FROM audit.ingested_files ORDER BY ALL",
    "quarantine": "SELECT * EXCLUDE (quarantined_at, run_id) FROM audit.quarantine ORDER BY ALL",
    "money": "SELECT * EXCLUDE (ingested_at, run_id) FROM audit.ingested_money ORDER BY ALL",
    "redactions": "SELECT * EXCLUDE (ingested_at, run_id) FROM audit.redactions ORDER BY ALL",
    **{key: f"SELECT * EXCLUDE (_ingested_at) FROM {BY_KEY[key].table} ORDER BY ALL" for key in KEYS},
}


def _state(db: Path) -> dict[str, list]:
    con = engine.connect(db)
    try:
        return {name: con.execute(sql).fetchall() for name, sql in STATE.items()}
    finally:
        con.close()


def _ingest(raw: Path, db: Path, threads: int) -> dict[str, object]:
    con = engine.connect(db)
    try:
        return dict(
            (
                (ds.key, outcome)
                for ds, outcome in parallel.ingest_datasets(
                    con, raw, [BY_KEY[k] for k in KEYS], run_id="test", window=WINDOW, trust_stats=True, threads=threads
                )
            )
        )
    finally:
        con.close()


def test_side_by_side_lands_what_one_after_another_lands(tmp_path):
    raw = _raw(tmp_path)
    one = _ingest(raw, tmp_path / "one" / "roi.duckdb", threads=1)
    four = _ingest(raw, tmp_path / "four" / "roi.duckdb", threads=4)
    assert set(one) == set(four) == set(KEYS)
    assert not [k for k, o in four.items() if isinstance(o, BaseException)]
    before, after = _state(tmp_path / "one" / "roi.duckdb"), _state(tmp_path / "four" / "roi.duckdb")
    assert before == after
    # the bad data was refused as it is one dataset at a time: rows quarantined, a file rejected
    assert any(r[4] == "rejected" and r[1].endswith("zz_not_csv.csv") for r in after["files"])
    assert any(r[1].endswith("zz_truncated.csv") for r in after["quarantine"])
    assert all(after[k] for k in KEYS)
    for key in KEYS:
        assert four[key].result.landed_rows_total == len(after[key])
    landed = sorted(
        p.relative_to(tmp_path / "four").as_posix().split("/", 2)[2] for p in (tmp_path / "four").rglob("*.parquet")
    )
    assert landed == sorted(
        p.relative_to(tmp_path / "one").as_posix().split("/", 2)[2] for p in (tmp_path / "one").rglob("*.parquet")
    )


def test_datasets_really_land_at_once(tmp_path, monkeypatch):
    """Two datasets wait for each other inside their ingest: one at a time, the barrier breaks."""
    raw = _raw(tmp_path)
    barrier = threading.Barrier(2, timeout=10)
    real = engine.ingest_dataset
    met: list[str] = []

    def meeting(con, raw_dir, ds, **kw):
        if ds.key in ("iam/okta_system_log", "policy/opa_decision_logs"):
            barrier.wait()
            met.append(ds.key)
        return real(con, raw_dir, ds, **kw)

    monkeypatch.setattr(engine, "ingest_dataset", meeting)
    outcomes = _ingest(raw, tmp_path / "build" / "roi.duckdb", threads=2)
    assert sorted(met) == ["iam/okta_system_log", "policy/opa_decision_logs"]
    assert not [k for k, o in outcomes.items() if isinstance(o, BaseException)]

    barrier.reset()
    met.clear()
    outcomes = _ingest(_raw(tmp_path / "again"), tmp_path / "again" / "roi.duckdb", threads=1)
    assert isinstance(outcomes["iam/okta_system_log"], threading.BrokenBarrierError)


def test_largest_dataset_starts_first(tmp_path):
    raw = _raw(tmp_path)
    order = [ds.key for ds in parallel.largest_first(raw, [BY_KEY[k] for k in sorted(KEYS)])]
    sizes = [parallel.raw_bytes(raw, BY_KEY[k]) for k in order]
    assert sizes == sorted(sizes, reverse=True) and sorted(order) == sorted(KEYS)
    assert parallel.raw_bytes(raw, BY_KEY["iam/github_audit_log"]) == 0  # nothing staged: last


@pytest.mark.parametrize(
    ("env", "expected"), [({"ROI_LEDGER_INGEST_THREADS": "3"}, 3), ({"ROI_LEDGER_INGEST_THREADS": " 1 "}, 1)]
)
def test_threads_from_the_environment(env, expected):
    assert parallel.workers(env) == expected


def test_threads_default_to_the_cpus_at_most_four():
    assert 1 <= parallel.workers({}) <= parallel.MAX_WORKERS


@pytest.mark.parametrize("bad", ["0", "-2", "two", "1.5"])
def test_a_bad_thread_count_is_refused_by_name(bad):
    with pytest.raises(ValueError, match="ROI_LEDGER_INGEST_THREADS must be a positive integer"):
        parallel.workers({"ROI_LEDGER_INGEST_THREADS": bad})


def test_a_crashing_dataset_fails_the_step_after_the_others_are_reported(tmp_path, monkeypatch):
    """The Dagster step: the datasets that landed are materialized with their checks; the one whose ingest
    raised is not, and the step fails naming it."""
    _raw(tmp_path)
    real = engine.ingest_dataset

    def crashing(con, raw_dir, ds, **kw):
        if ds.key == "iam/okta_system_log":
            raise OSError(28, "No space left on device")
        return real(con, raw_dir, ds, **kw)

    monkeypatch.setattr(engine, "ingest_dataset", crashing)
    selection = [AssetKey(["landing", *k.split("/")]) for k in KEYS]
    with DagsterInstance.ephemeral() as instance:
        settings = RoiSettings(data_dir=str(tmp_path), as_of=date.today().isoformat())
        result = materialize(
            [assets.landing],
            instance=instance,
            selection=selection,
            raise_on_error=False,
            resources={"settings": settings},
        )
        assert not result.success
        done = {m.asset_key for m in result.asset_materializations_for_node("landing")}
        assert done == set(selection) - {AssetKey(["landing", "iam", "okta_system_log"])}
        failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
        assert "ingest stopped for iam/okta_system_log: OSError" in failure.event_specific_data.error.message
        evaluated = {
            (e.asset_key, e.check_name)
            for e in (
                ev.event_specific_data for ev in result.all_events if ev.event_type_value == "ASSET_CHECK_EVALUATION"
            )
        }
        assert (AssetKey(["landing", "usage", "litellm_spend_logs"]), "has_rows") in evaluated
        assert not {c for a, c in evaluated if a == AssetKey(["landing", "iam", "okta_system_log"])}


def test_every_dataset_is_one_asset_of_the_one_landing_step():
    assert set(assets.landing.keys) == {assets.landing_asset_key(ds) for ds in DATASETS}
    assert assets.landing.node_def.name == assets.INGEST_STEP
    assert {k.asset_key for k in assets.landing.check_keys} == set(assets.landing.keys)
