"""End to end: the shared demo run wrote valid OpenLineage events for every asset of the definitions, and the
sensors write them for runs the daemon launched.

The demo run (``published_demo``) is only read here. No ``from __future__ import annotations``: this module
defines Dagster assets (for the sensor test).
"""

import json
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, Definitions, asset, build_run_status_sensor_context, define_asset_job

from orchestration.cli import EXIT_OK
from orchestration.lineage.openlineage import NAMESPACE, RELEASE_ASSET, asset_run_id
from orchestration.lineage.run_events import events_path
from orchestration.resources import RoiSettings
from orchestration.settings import Paths
from tests.schemas.openlineage.validate import assert_valid

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_events(published_demo):
    """(data dir, run id, events) of the shared demo run; the run id is the published release's."""
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    con = duckdb.connect(str(data_dir / "published" / "roi.duckdb"), read_only=True)
    try:
        run_id = con.execute("SELECT run_id FROM audit.releases ORDER BY created_at DESC LIMIT 1").fetchall()[0][0]
    finally:
        con.close()
    path = events_path(Paths(data_dir), run_id)
    assert path == data_dir / "audit" / "openlineage" / f"{run_id}.jsonl"
    return data_dir, run_id, [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_demo_run_events_are_valid_and_cover_every_asset(demo_events):
    from orchestration.definitions import NIGHTLY_JOB, defs

    _, run_id, events = demo_events
    for event in events:
        assert_valid(event)
    # every asset the job runs (the ingest's audit tables, dbt sources of the money gate, are external: no step)
    keys = {k.to_user_string() for k in defs.get_repository_def().asset_graph.executable_asset_keys}
    assert RELEASE_ASSET in keys
    by_job: dict[str, list[str]] = {}
    for e in events:
        assert e["job"]["namespace"] == NAMESPACE
        by_job.setdefault(e["job"]["name"], []).append(e["eventType"])
    assert set(by_job) == keys | {NIGHTLY_JOB}
    assert all(states == ["START", "COMPLETE"] for states in by_job.values()), by_job
    assert [e["eventTime"] for e in events] == sorted(e["eventTime"] for e in events)
    assert (events[0]["job"]["name"], events[-1]["job"]["name"]) == (NIGHTLY_JOB, NIGHTLY_JOB)
    for e in events:
        if e["job"]["name"] == NIGHTLY_JOB:
            assert e["run"]["runId"] == run_id
        else:
            assert e["run"]["runId"] == asset_run_id(run_id, e["job"]["name"])
            assert e["run"]["facets"]["parent"]["run"]["runId"] == run_id


def _complete(events, job):
    return next(e for e in events if e["job"]["name"] == job and e["eventType"] == "COMPLETE")


def test_demo_run_events_name_the_build_tables_with_their_schemas(demo_events):
    data_dir, _, events = demo_events
    build_db = (data_dir / "warehouse" / "roi.duckdb").resolve()
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        columns = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_name = 'fct_ai_usage' "
            "ORDER BY ordinal_position"
        ).fetchall()
    finally:
        con.close()
    assert columns
    usage = _complete(events, "marts/fct_ai_usage")
    (out,) = usage["outputs"]
    assert (out["namespace"], out["name"]) == (f"duckdb://{build_db.as_posix()}", "marts.fct_ai_usage")
    assert [(f["name"], f["type"]) for f in out["facets"]["schema"]["fields"]] == columns
    assert {"namespace": out["namespace"], "name": "intermediate.int_usage__attributed"} in usage["inputs"]

    landing = _complete(events, "landing/iam/aws_credential_report")
    assert landing["inputs"] == [
        {"namespace": "file", "name": (data_dir / "raw" / "iam" / "aws_credential_report").resolve().as_posix()}
    ]
    assert landing["outputs"][0]["name"] == "landing_iam.aws_credential_report"
    assert {"name": "_source_file", "type": "VARCHAR"} in landing["outputs"][0]["facets"]["schema"]["fields"]

    seed = _complete(events, "seeds/model_prices")
    assert [Path(i["name"]).name for i in seed["inputs"]] == ["model_prices.csv"]
    assert seed["outputs"][0]["name"] == "seeds.model_prices"

    release = _complete(events, RELEASE_ASSET)
    assert release["outputs"][0] == {
        "namespace": "file",
        "name": (data_dir / "published" / "roi.duckdb").resolve().as_posix(),
    }
    assert len(release["inputs"]) > 80  # every table of the run feeds the release

    every_output = [
        e for e in events if e["eventType"] == "COMPLETE" and e["job"]["name"] != RELEASE_ASSET and e["outputs"]
    ]
    assert all("schema" in e["outputs"][0].get("facets", {}) for e in every_output)


def test_demo_run_events_carry_the_check_results_and_the_release_snapshot(demo_events):
    data_dir, run_id, events = demo_events
    con = duckdb.connect(str(data_dir / "published" / "roi.duckdb"), read_only=True)
    try:
        release_id, status, snapshot_path, checks = con.execute(
            "SELECT release_id, status, snapshot_path, checks FROM audit.releases WHERE run_id = ?", [run_id]
        ).fetchall()[0]
    finally:
        con.close()
    # Every check the release recorded (latest evaluation per check, what Dagster logged) is an assertion on the
    # output of its asset's terminal event, with the same verdict; nothing else is.
    recorded = {(c["asset"], c["check"]): c["passed"] for c in json.loads(checks)}
    assert len(recorded) > 50
    asserted: dict[tuple[str, str], bool] = {}
    for e in events:
        for out in e["outputs"]:
            facet = out.get("facets", {}).get("dataQualityAssertions")
            if facet is None:
                continue
            assert e["eventType"] in ("COMPLETE", "FAIL")
            names = [a["assertion"] for a in facet["assertions"]]
            assert names == sorted(names)
            for a in facet["assertions"]:
                assert set(a) <= {"assertion", "success", "column"}
                asserted[(e["job"]["name"], a["assertion"])] = a["success"]
    assert asserted == recorded
    spend = _complete(events, "landing/usage/litellm_spend_logs")["outputs"][0]["facets"]["dataQualityAssertions"]
    assert {"has_rows", "fresh", "no_quarantine", "gx_contract", "gx_volume"} <= {
        a["assertion"] for a in spend["assertions"]
    }
    assert any(
        a["assertion"].startswith("not_null")
        for a in _complete(events, "marts/fct_ai_usage")["outputs"][0]["facets"]["dataQualityAssertions"]["assertions"]
    )

    # The release published, so its COMPLETE event names the immutable snapshot beside the published file.
    assert status == "published"
    snapshot = (data_dir / snapshot_path).resolve()
    assert snapshot == (data_dir / "published" / "releases" / f"{release_id}.duckdb").resolve()
    assert snapshot.is_file()
    assert _complete(events, RELEASE_ASSET)["outputs"] == [
        {"namespace": "file", "name": (data_dir / "published" / "roi.duckdb").resolve().as_posix()},
        {"namespace": "file", "name": snapshot.as_posix()},
    ]


# --- the sensors, on runs "the daemon" launched -------------------------------------------------------------


@asset(key=["landing", "demo", "ok"])
def _ok(settings: RoiSettings):
    return settings.data_dir


@asset(key=["staging", "stg_fails"], deps=[_ok.key])
def _fails():
    raise RuntimeError("daemon run broke")


def _daemon_run(tmp_path, assets):
    """A job named like the nightly one, run in an instance as the daemon would, with the run config the schedule
    gives (the sensors read the data directory from it)."""
    defs = Definitions(assets=assets, jobs=[define_asset_job("nightly")], resources={"settings": RoiSettings()})
    instance = DagsterInstance.ephemeral()
    result = defs.resolve_job_def("nightly").execute_in_process(
        instance=instance,
        raise_on_error=False,
        run_config={"resources": {"settings": {"config": {"data_dir": str(tmp_path), "as_of": "2026-10-31"}}}},
    )
    return instance, result


def test_sensors_write_events_of_daemon_runs(tmp_path, dbt_manifest):
    from orchestration.definitions import defs, nightly_job
    from orchestration.run_end import run_end_sensors

    sensors = {s.name: s for s in run_end_sensors(nightly_job)}
    assert list(sensors) == ["nightly_ended_success", "nightly_ended_failure", "nightly_ended_canceled"]
    assert [s.name for s in defs.sensors] == list(sensors)  # the only sensors: every ended run, one handler
    instance, ok = _daemon_run(tmp_path / "ok", [_ok])
    assert ok.success
    sensors["nightly_ended_success"](
        build_run_status_sensor_context(
            sensor_name="nightly_ended_success",
            dagster_instance=instance,
            dagster_run=ok.dagster_run,
            dagster_event=ok.get_run_success_event(),
            repository_def=defs.get_repository_def(),
        )
    )
    written = [json.loads(line) for line in events_path(Paths(tmp_path / "ok"), ok.run_id).read_text().splitlines()]
    assert [(e["job"]["name"], e["eventType"]) for e in written] == [
        ("nightly", "START"),
        ("landing/demo/ok", "START"),
        ("landing/demo/ok", "COMPLETE"),
        ("nightly", "COMPLETE"),
    ]

    instance, failed = _daemon_run(tmp_path / "failed", [_ok, _fails])
    assert not failed.success
    sensors["nightly_ended_failure"](
        build_run_status_sensor_context(
            sensor_name="nightly_ended_failure",
            dagster_instance=instance,
            dagster_run=failed.dagster_run,
            dagster_event=failed.get_run_failure_event(),
            repository_def=defs.get_repository_def(),
        )
    )
    path = events_path(Paths(tmp_path / "failed"), failed.run_id)
    events = [json.loads(line) for line in path.read_text().splitlines()]
    for event in events:
        assert_valid(event)
    terminal = {e["job"]["name"]: e["eventType"] for e in events if e["eventType"] != "START"}
    assert terminal == {"nightly": "FAIL", "landing/demo/ok": "COMPLETE", "staging/stg_fails": "FAIL"}
