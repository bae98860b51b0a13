"""OpenLineage events: the builders on hand-made Dagster logs, ids, schema facets, validation that can fail, and a
real (small) failed Dagster run written to disk.

No ``from __future__ import annotations``: this module defines Dagster assets.
"""

import copy
import hashlib
import json
import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetSpec,
    DagsterInstance,
    Definitions,
    MaterializeResult,
    asset,
    define_asset_job,
    multi_asset,
)

from orchestration.lineage.openlineage import (
    FACET_SCHEMA_URLS,
    NAMESPACE,
    PRODUCER,
    RELEASE_ASSET,
    RUN_EVENT_SCHEMA_URL,
    AssetInfo,
    Datasets,
    LogRecord,
    asset_run_id,
    build_events,
    event_time,
    to_jsonl,
)
from orchestration.lineage.run_events import events_path, read_table_schemas, write_run_events
from orchestration.settings import Paths
from tests.schemas.openlineage.validate import SCHEMA_DIR, assert_valid, errors

RUN_ID = "6f1c1f0e-2f5a-4a51-9b1e-0d3a3c2b7e10"
WHERE = Datasets(build_db=Path("/data/warehouse/roi.duckdb"), published_db=Path("/data/published/roi.duckdb"))
DB_NS = "duckdb:///data/warehouse/roi.duckdb"

ASSETS = {
    "landing/iam/aws_credential_report": AssetInfo(
        key="landing/iam/aws_credential_report",
        step="landing__iam__aws_credential_report",
        table="landing_iam.aws_credential_report",
        sources=("/data/raw/iam/aws_credential_report",),
        description="IAM credential report.",
    ),
    "staging/stg_iam__aws_credential_report": AssetInfo(
        key="staging/stg_iam__aws_credential_report",
        parents=("landing/iam/aws_credential_report",),
        step="dbt_staging",
        table="staging.stg_iam__aws_credential_report",
    ),
    "staging/stg_other": AssetInfo(
        key="staging/stg_other",
        parents=("landing/iam/aws_credential_report",),
        step="dbt_staging",
        table="staging.stg_other",
    ),
    "marts/fct_ai_usage": AssetInfo(
        key="marts/fct_ai_usage", parents=("staging/stg_other",), step="dbt_marts", table="marts.fct_ai_usage"
    ),
    RELEASE_ASSET: AssetInfo(
        key=RELEASE_ASSET,
        parents=("marts/fct_ai_usage", "staging/stg_iam__aws_credential_report"),
        step="release__published_roi",
    ),
}
SCHEMAS = {
    "landing_iam.aws_credential_report": [("user", "VARCHAR"), ("mfa_active", "BOOLEAN")],
    "staging.stg_iam__aws_credential_report": [("identity_id", "VARCHAR"), ("key_age_days", "INTEGER")],
}


def _planned(t, key, step):
    return LogRecord(t, "ASSET_MATERIALIZATION_PLANNED", step_key=step, asset_key=key)


def _failed_log():
    """Landing succeeds; the staging step materializes one model then fails; marts and release never run."""
    return [
        *(_planned(1.0, k, a.step) for k, a in ASSETS.items()),
        LogRecord(2.0, "PIPELINE_START"),
        LogRecord(3.0, "STEP_START", step_key="landing__iam__aws_credential_report"),
        LogRecord(
            4.0,
            "ASSET_MATERIALIZATION",
            step_key="landing__iam__aws_credential_report",
            asset_key="landing/iam/aws_credential_report",
        ),
        LogRecord(
            4.5,
            "ASSET_CHECK_EVALUATION",
            asset_key="landing/iam/aws_credential_report",
            check_name="has_rows",
            passed=True,
            blocking=True,
        ),
        LogRecord(5.0, "STEP_SUCCESS", step_key="landing__iam__aws_credential_report"),
        LogRecord(6.0, "STEP_START", step_key="dbt_staging"),
        LogRecord(
            7.0, "ASSET_MATERIALIZATION", step_key="dbt_staging", asset_key="staging/stg_iam__aws_credential_report"
        ),
        LogRecord(
            7.5,
            "ASSET_CHECK_EVALUATION",
            asset_key="staging/stg_iam__aws_credential_report",
            check_name="unique_identity_id",
            passed=False,
            blocking=True,
        ),
        LogRecord(
            8.0,
            "STEP_FAILURE",
            step_key="dbt_staging",
            message="dbt staging: 1 node(s) errored",
            stack="Traceback: ...",
        ),
        LogRecord(9.0, "PIPELINE_FAILURE", message='Execution of run for "nightly" failed.'),
    ]


def _by_job(events):
    out = {}
    for e in events:
        out.setdefault(e["job"]["name"], []).append(e)
    return out


def test_failed_log_maps_to_start_and_complete_fail_abort():
    events = build_events(RUN_ID, "nightly", _failed_log(), ASSETS, WHERE, SCHEMAS)
    for e in events:
        assert_valid(e)
    jobs = _by_job(events)
    assert set(jobs) == {*ASSETS, "nightly"}
    states = {name: [e["eventType"] for e in evs] for name, evs in jobs.items()}
    assert states == {
        "nightly": ["START", "FAIL"],
        "landing/iam/aws_credential_report": ["START", "COMPLETE"],
        "staging/stg_iam__aws_credential_report": ["START", "COMPLETE"],  # written before its step failed
        "staging/stg_other": ["START", "FAIL"],
        "marts/fct_ai_usage": ["START", "ABORT"],
        RELEASE_ASSET: ["START", "ABORT"],
    }
    assert events[0]["job"]["name"] == "nightly" and events[0]["eventType"] == "START"
    assert events[-1]["job"]["name"] == "nightly" and events[-1]["eventType"] == "FAIL"
    assert [e["eventTime"] for e in events] == sorted(e["eventTime"] for e in events)
    # Times come from the log: START of a step's assets at STEP_START, COMPLETE at the materialization.
    landing = jobs["landing/iam/aws_credential_report"]
    assert [e["eventTime"] for e in landing] == [event_time(3.0), event_time(4.0)]
    fail = jobs["staging/stg_other"][1]
    assert fail["eventTime"] == event_time(8.0)
    assert fail["run"]["facets"]["errorMessage"]["message"] == "dbt staging: 1 node(s) errored"
    assert fail["run"]["facets"]["errorMessage"]["stackTrace"] == "Traceback: ..."
    abort = jobs["marts/fct_ai_usage"][1]
    assert abort["eventTime"] == event_time(9.0)
    assert abort["run"]["facets"]["errorMessage"]["message"] == "not run: upstream step(s) failed: dbt_staging"
    run_fail = jobs["nightly"][1]["run"]["facets"]["errorMessage"]["message"]
    assert "blocking checks failed: staging/stg_iam__aws_credential_report::unique_identity_id" in run_fail
    assert "has_rows" not in run_fail


def test_successful_log_completes_every_asset_and_the_job():
    log = [r for r in _failed_log() if r.event_type not in ("STEP_FAILURE", "PIPELINE_FAILURE")]
    log += [
        LogRecord(7.2, "ASSET_MATERIALIZATION", step_key="dbt_staging", asset_key="staging/stg_other"),
        LogRecord(8.0, "STEP_SUCCESS", step_key="dbt_staging"),
        LogRecord(9.0, "STEP_START", step_key="dbt_marts"),
        LogRecord(9.5, "ASSET_MATERIALIZATION", step_key="dbt_marts", asset_key="marts/fct_ai_usage"),
        LogRecord(10.0, "STEP_SUCCESS", step_key="dbt_marts"),
        LogRecord(11.0, "STEP_START", step_key="release__published_roi"),
        LogRecord(12.0, "ASSET_MATERIALIZATION", step_key="release__published_roi", asset_key=RELEASE_ASSET),
        LogRecord(13.0, "STEP_SUCCESS", step_key="release__published_roi"),
        LogRecord(14.0, "PIPELINE_SUCCESS"),
    ]
    events = build_events(RUN_ID, "nightly", log, ASSETS, WHERE, SCHEMAS)
    for e in events:
        assert_valid(e)
    assert {(e["job"]["name"], e["eventType"]) for e in events if e["eventType"] != "START"} == {
        *((k, "COMPLETE") for k in ASSETS),
        ("nightly", "COMPLETE"),
    }
    assert not any("errorMessage" in e["run"].get("facets", {}) for e in events)


def test_a_step_that_ends_without_an_asset_aborts_it():
    log = [
        _planned(1.0, "staging/stg_other", "dbt_staging"),
        LogRecord(2.0, "PIPELINE_START"),
        LogRecord(3.0, "STEP_START", step_key="dbt_staging"),
        LogRecord(4.0, "STEP_SUCCESS", step_key="dbt_staging"),
        LogRecord(5.0, "PIPELINE_SUCCESS"),
    ]
    events = [e for e in build_events(RUN_ID, "nightly", log, ASSETS, WHERE) if e["job"]["name"] != "nightly"]
    assert [e["eventType"] for e in events] == ["START", "ABORT"]
    assert events[1]["eventTime"] == event_time(4.0)
    assert "without materializing" in events[1]["run"]["facets"]["errorMessage"]["message"]


def test_run_ids_are_deterministic_uuids_under_the_dagster_run():
    first = build_events(RUN_ID, "nightly", _failed_log(), ASSETS, WHERE, SCHEMAS)
    again = build_events(RUN_ID, "nightly", list(reversed(_failed_log())), ASSETS, WHERE, SCHEMAS)
    assert to_jsonl(first) == to_jsonl(again)  # same log, same bytes (whatever order the log comes in)
    other_run = build_events("0b7e1c6a-1111-4222-8333-944455556666", "nightly", _failed_log(), ASSETS, WHERE)
    ids = {e["job"]["name"]: e["run"]["runId"] for e in first}
    assert ids["nightly"] == RUN_ID  # the Dagster run id itself: auditors can look the run up in Dagster
    for key in ASSETS:
        assert ids[key] == asset_run_id(RUN_ID, key)
        assert uuid.UUID(ids[key]).version == 5
    assert len(set(ids.values())) == len(ids)
    assert not set(ids.values()) & {e["run"]["runId"] for e in other_run}
    for e in first:
        if e["job"]["name"] != "nightly":
            assert e["run"]["facets"]["parent"]["run"] == {"runId": RUN_ID}
            assert e["run"]["facets"]["parent"]["job"] == {"namespace": NAMESPACE, "name": "nightly"}
    # Both events of one asset run share its id (START and its terminal event).
    assert len({e["run"]["runId"] for e in _by_job(first)["staging/stg_other"]}) == 1


def test_datasets_and_schema_facets():
    jobs = _by_job(build_events(RUN_ID, "nightly", _failed_log(), ASSETS, WHERE, SCHEMAS))
    start, complete = jobs["landing/iam/aws_credential_report"]
    assert complete["inputs"] == [{"namespace": "file", "name": "/data/raw/iam/aws_credential_report"}]
    out = complete["outputs"][0]
    assert (out["namespace"], out["name"]) == (DB_NS, "landing_iam.aws_credential_report")
    schema = out["facets"]["schema"]
    assert schema["fields"] == [{"name": "user", "type": "VARCHAR"}, {"name": "mfa_active", "type": "BOOLEAN"}]
    assert schema["_schemaURL"] == FACET_SCHEMA_URLS["schema"] and schema["_producer"] == PRODUCER
    assert "facets" not in start["outputs"][0]  # the schema is known once the table is written
    assert start["job"]["facets"]["documentation"]["description"] == "IAM credential report."
    assert complete["producer"] == PRODUCER and complete["schemaURL"] == RUN_EVENT_SCHEMA_URL
    staged = jobs["staging/stg_iam__aws_credential_report"][1]
    assert staged["inputs"] == [{"namespace": DB_NS, "name": "landing_iam.aws_credential_report"}]
    # A failed asset's table may not exist: no schema facet, even if one was read.
    failed = jobs["staging/stg_other"][1]
    assert failed["outputs"] == [{"namespace": DB_NS, "name": "staging.stg_other"}]
    release = jobs[RELEASE_ASSET][0]
    assert release["outputs"] == [{"namespace": "file", "name": "/data/published/roi.duckdb"}]
    assert release["inputs"] == [
        {"namespace": DB_NS, "name": "marts.fct_ai_usage"},
        {"namespace": DB_NS, "name": "staging.stg_iam__aws_credential_report"},
    ]


def _check(t, key, name, passed, column=None):
    return LogRecord(
        t, "ASSET_CHECK_EVALUATION", asset_key=key, check_name=name, passed=passed, blocking=True, column=column
    )


def _assertions_of(event):
    return [o.get("facets", {}).get("dataQualityAssertions", {}).get("assertions") for o in event["outputs"]]


def test_check_results_become_data_quality_assertions_on_the_output():
    log = [
        *_failed_log(),
        _check(4.6, "landing/iam/aws_credential_report", "gx_contract", True),
        _check(4.7, "landing/iam/aws_credential_report", "fresh", False),
        _check(4.8, "landing/iam/aws_credential_report", "not_null", True, column="user"),
        _check(4.9, "landing/iam/aws_credential_report", "fresh", True),  # evaluated again: the last one counts
        _check(7.8, "staging/stg_other", "accepted_values", False, column="mfa_active"),
    ]
    events = build_events(RUN_ID, "nightly", log, ASSETS, WHERE, SCHEMAS)
    for e in events:
        assert_valid(e)
    jobs = _by_job(events)
    start, complete = jobs["landing/iam/aws_credential_report"]
    facet = complete["outputs"][0]["facets"]["dataQualityAssertions"]
    assert facet == {
        "_producer": PRODUCER,
        "_schemaURL": FACET_SCHEMA_URLS["dataQualityAssertions"],
        "assertions": [
            {"assertion": "fresh", "success": True},
            {"assertion": "gx_contract", "success": True},
            {"assertion": "has_rows", "success": True},
            {"assertion": "not_null", "success": True, "column": "user"},
        ],
    }
    assert "schema" in complete["outputs"][0]["facets"]  # beside the schema facet, not instead of it
    assert _assertions_of(start) == [None]  # checks are judged after the write: not on START
    # A failed check on a written table is reported as a failed assertion.
    staged = jobs["staging/stg_iam__aws_credential_report"][1]
    assert _assertions_of(staged) == [[{"assertion": "unique_identity_id", "success": False}]]
    # On FAIL too (no schema facet there: the table may not exist).
    failed = jobs["staging/stg_other"][1]
    assert failed["eventType"] == "FAIL"
    assert failed["outputs"][0]["facets"] == {
        "dataQualityAssertions": {
            "_producer": PRODUCER,
            "_schemaURL": FACET_SCHEMA_URLS["dataQualityAssertions"],
            "assertions": [{"assertion": "accepted_values", "success": False, "column": "mfa_active"}],
        }
    }
    # Assets without checks get no facet; aborted assets none either.
    assert _assertions_of(jobs["marts/fct_ai_usage"][1]) == [None]
    # Deterministic: the log in any order gives the same bytes.
    assert to_jsonl(build_events(RUN_ID, "nightly", list(reversed(log)), ASSETS, WHERE, SCHEMAS)) == to_jsonl(events)


def _release_log(status, release_id="r20261031T023000-6f1c1f0e"):
    """Everything materializes; the release materialization carries the status and release id publish wrote."""
    return [
        *(_planned(1.0, k, a.step) for k, a in ASSETS.items()),
        LogRecord(2.0, "PIPELINE_START"),
        *(
            LogRecord(3.0 + i, "ASSET_MATERIALIZATION", step_key=a.step, asset_key=k)
            for i, (k, a) in enumerate(ASSETS.items())
            if k != RELEASE_ASSET
        ),
        LogRecord(10.0, "STEP_START", step_key="release__published_roi"),
        LogRecord(
            11.0,
            "ASSET_MATERIALIZATION",
            step_key="release__published_roi",
            asset_key=RELEASE_ASSET,
            release_id=release_id,
            release_status=status,
        ),
        LogRecord(12.0, "STEP_SUCCESS", step_key="release__published_roi"),
        LogRecord(13.0, "PIPELINE_SUCCESS"),
    ]


def test_a_published_release_names_its_snapshot():
    events = build_events(RUN_ID, "nightly", _release_log("published"), ASSETS, WHERE, SCHEMAS)
    for e in events:
        assert_valid(e)
    start, complete = _by_job(events)[RELEASE_ASSET]
    assert complete["eventType"] == "COMPLETE"
    assert complete["outputs"] == [
        {"namespace": "file", "name": "/data/published/roi.duckdb"},
        {"namespace": "file", "name": "/data/published/releases/r20261031T023000-6f1c1f0e.duckdb"},
    ]
    assert start["outputs"] == [{"namespace": "file", "name": "/data/published/roi.duckdb"}]
    # The snapshot folder Datasets.of takes from Paths wins over the default beside the published file.
    elsewhere = Datasets(
        build_db=WHERE.build_db, published_db=WHERE.published_db, release_snapshots=Path("/archive/releases")
    )
    moved = _by_job(build_events(RUN_ID, "nightly", _release_log("published"), ASSETS, elsewhere))[RELEASE_ASSET]
    assert moved[1]["outputs"][1] == {"namespace": "file", "name": "/archive/releases/r20261031T023000-6f1c1f0e.duckdb"}
    assert Datasets.of(Paths(Path("/d"))).snapshot_of("r1") == Path("/d/published/releases/r1.duckdb").resolve()


@pytest.mark.parametrize(
    ("status", "release_id"),
    [
        ("unchanged", "r20261031T023000-6f1c1f0e"),  # same inputs as the last release: no new snapshot
        (None, None),  # a materialization without the metadata
        ("published", None),
        ("published", "../../etc/passwd"),  # not a plain file name: never named as a path
    ],
)
def test_a_release_without_a_new_snapshot_names_only_the_published_file(status, release_id):
    events = build_events(RUN_ID, "nightly", _release_log(status, release_id), ASSETS, WHERE, SCHEMAS)
    complete = _by_job(events)[RELEASE_ASSET][1]
    assert complete["eventType"] == "COMPLETE"
    assert complete["outputs"] == [{"namespace": "file", "name": "/data/published/roi.duckdb"}]


def test_event_time_is_utc_iso8601_with_z():
    assert event_time(0) == "1970-01-01T00:00:00.000000Z"
    nightly = datetime(2026, 10, 31, 2, 30, 0, 250_000, tzinfo=timezone(timedelta(hours=-5))).timestamp()
    assert event_time(nightly) == "2026-10-31T07:30:00.250000Z"


def _valid_event():
    """The landing asset's COMPLETE event: a schema facet and a ``dataQualityAssertions`` facet (``has_rows``)."""
    event = next(
        e
        for e in build_events(RUN_ID, "nightly", _failed_log(), ASSETS, WHERE, SCHEMAS)
        if e["eventType"] == "COMPLETE"
    )
    event["outputs"][0]["facets"]["dataQualityAssertions"]["assertions"][0]["column"] = "user"
    return event


def _drop(path):
    def mutate(e):
        *parents, last = path
        for p in parents:
            e = e[p]
        del e[last]

    return mutate


def _set(path, value):
    def mutate(e):
        *parents, last = path
        for p in parents:
            e = e[p]
        e[last] = value

    return mutate


def _rename_facet(old, new):
    def mutate(e):
        facets = e["outputs"][0]["facets"]
        facets[new] = facets.pop(old)

    return mutate


@pytest.mark.parametrize(
    "mutate",
    [
        _drop(["eventTime"]),
        _set(["eventTime"], "yesterday"),
        _set(["eventTime"], "2026-10-31 02:30:00"),
        _set(["run", "runId"], "not-a-uuid"),
        _set(["run", "runId"], f"{RUN_ID}/marts/fct_ai_usage"),
        _drop(["producer"]),
        _set(["producer"], "not a uri"),
        _drop(["schemaURL"]),
        _set(["eventType"], "DONE"),
        _drop(["job", "namespace"]),
        _drop(["run", "facets", "parent", "_producer"]),
        _set(["run", "facets", "parent", "run", "runId"], "nightly"),
        _drop(["outputs", 0, "facets", "schema", "fields", 0, "name"]),
        _set(["outputs", 0, "facets", "schema", "_schemaURL"], "https://example.com/Unknown.json#/$defs/X"),
        _drop(["outputs", 0, "name"]),
        _drop(["outputs", 0, "facets", "dataQualityAssertions", "assertions"]),
        _set(["outputs", 0, "facets", "dataQualityAssertions", "assertions"], {"has_rows": True}),
        _set(["outputs", 0, "facets", "dataQualityAssertions", "assertions"], ["has_rows"]),
        _drop(["outputs", 0, "facets", "dataQualityAssertions", "assertions", 0, "success"]),
        _drop(["outputs", 0, "facets", "dataQualityAssertions", "assertions", 0, "assertion"]),
        _set(["outputs", 0, "facets", "dataQualityAssertions", "assertions", 0, "success"], "true"),
        _set(["outputs", 0, "facets", "dataQualityAssertions", "assertions", 0, "column"], 3),
        _drop(["outputs", 0, "facets", "dataQualityAssertions", "_producer"]),
        _set(["outputs", 0, "facets", "dataQualityAssertions", "_schemaURL"], FACET_SCHEMA_URLS["schema"]),
        _set(["outputs", 0, "facets", "schema", "_schemaURL"], FACET_SCHEMA_URLS["dataQualityAssertions"]),
        _rename_facet("dataQualityAssertions", "quality"),  # valid content, but under a key its schema does not name
    ],
    ids=lambda m: "",
)
def test_invalid_events_fail_validation(mutate):
    event = _valid_event()
    assert errors(event) == []  # the unmutated event is valid: each case fails because of its one change
    bad = copy.deepcopy(event)
    mutate(bad)
    assert errors(bad)


def test_shipped_schemas_are_the_recorded_copies():
    readme = (SCHEMA_DIR / "README.md").read_text()
    recorded = dict(re.findall(r"^\| `([^`]+\.json)` \|.*\| `([0-9a-f]{64})` \|$", readme, flags=re.M))
    shipped = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in SCHEMA_DIR.glob("*.json")}
    assert shipped == recorded
    ids = {json.loads((SCHEMA_DIR / n).read_text())["$id"] for n in shipped}
    assert {u.split("#")[0] for u in [RUN_EVENT_SCHEMA_URL, *FACET_SCHEMA_URLS.values()]} <= ids


def test_read_table_schemas(tmp_path):
    db = tmp_path / "roi.duckdb"
    assert read_table_schemas(db) == {}
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.fct (b VARCHAR, a DECIMAL(38, 11), c TIMESTAMP)")
    con.execute("CREATE VIEW marts.v AS SELECT a FROM marts.fct")
    con.close()
    assert read_table_schemas(db) == {
        "marts.fct": [("b", "VARCHAR"), ("a", "DECIMAL(38,11)"), ("c", "TIMESTAMP")],
        "marts.v": [("a", "DECIMAL(38,11)")],
    }


# --- a real Dagster run that fails -----------------------------------------------------------------------------


@asset(key=["landing", "demo", "source"], description="Lands the demo source.")
def _source():
    return 1


@asset(key=["staging", "stg_broken"], deps=[_source.key])
def _broken():
    raise RuntimeError("staging model broke")


@asset(key=["marts", "fct_after"], deps=[_broken.key])
def _after():
    return 2


@multi_asset(
    specs=[AssetSpec(["marts", "half_a"], deps=[_source.key]), AssetSpec(["marts", "half_b"], deps=[_source.key])]
)
def _halves():
    yield MaterializeResult(asset_key=["marts", "half_a"])
    raise RuntimeError("died after half_a")


def test_failed_dagster_run_writes_fail_events(tmp_path):
    defs = Definitions(assets=[_source, _broken, _after, _halves], jobs=[define_asset_job("nightly")])
    instance = DagsterInstance.ephemeral()
    result = defs.resolve_job_def("nightly").execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    paths = Paths(tmp_path)
    path = write_run_events(instance, result.run_id, paths, defs)
    assert path == events_path(paths, result.run_id) == tmp_path / "audit" / "openlineage" / f"{result.run_id}.jsonl"
    text = path.read_text()
    events = [json.loads(line) for line in text.splitlines()]
    for e in events:
        assert_valid(e)
    terminal = {e["job"]["name"]: e for e in events if e["eventType"] != "START"}
    assert {k: e["eventType"] for k, e in terminal.items()} == {
        "nightly": "FAIL",
        "landing/demo/source": "COMPLETE",
        "staging/stg_broken": "FAIL",
        "marts/fct_after": "ABORT",
        "marts/half_a": "COMPLETE",
        "marts/half_b": "FAIL",
    }
    assert "staging model broke" in terminal["staging/stg_broken"]["run"]["facets"]["errorMessage"]["message"]
    assert "died after half_a" in terminal["marts/half_b"]["run"]["facets"]["errorMessage"]["message"]
    assert (
        terminal["marts/fct_after"]["run"]["facets"]["errorMessage"]["message"]
        == "not run: upstream step(s) failed: staging__stg_broken"
    )
    assert sum(e["eventType"] == "START" for e in events) == len(terminal)
    assert terminal["nightly"]["run"]["runId"] == result.run_id
    # Regenerating from the same run gives the same file, byte for byte.
    assert write_run_events(instance, result.run_id, paths, defs).read_text() == text


# --- a real Dagster run with checks and a release ----------------------------------------------------------------


@asset(
    key=["staging", "stg_checked"],
    check_specs=[
        AssetCheckSpec("has_rows", asset=["staging", "stg_checked"], blocking=True),
        AssetCheckSpec("not_null_id", asset=["staging", "stg_checked"]),
    ],
)
def _checked():
    return MaterializeResult(
        check_results=[
            AssetCheckResult(check_name="has_rows", passed=True, metadata={"landed_rows_total": 3}),
            AssetCheckResult(
                check_name="not_null_id",
                passed=False,
                severity=AssetCheckSeverity.WARN,
                metadata={"column_name": "id", "reason": "x" * 5_000},
            ),
        ]
    )


@asset(key=["release", "published_roi"], deps=[_checked.key])
def _release():
    return MaterializeResult(
        metadata={"release_id": "r20261031T023000-abcdef12", "status": "published", "checks_evaluated": 2}
    )


def test_real_run_carries_check_results_and_the_release_snapshot(tmp_path):
    defs = Definitions(assets=[_checked, _release], jobs=[define_asset_job("nightly")])
    instance = DagsterInstance.ephemeral()
    result = defs.resolve_job_def("nightly").execute_in_process(instance=instance, raise_on_error=False)
    assert result.success
    paths = Paths(tmp_path)
    events = [
        json.loads(line) for line in write_run_events(instance, result.run_id, paths, defs).read_text().splitlines()
    ]
    for e in events:
        assert_valid(e)
    complete = {e["job"]["name"]: e for e in events if e["eventType"] == "COMPLETE"}
    (staged,) = complete["staging/stg_checked"]["outputs"]
    assert staged["facets"]["dataQualityAssertions"]["assertions"] == [
        {"assertion": "has_rows", "success": True},
        {"assertion": "not_null_id", "success": False, "column": "id"},  # only the column: no reason, no severity
    ]
    assert [o["name"] for o in complete[RELEASE_ASSET]["outputs"]] == [
        paths.published_db.resolve().as_posix(),
        (paths.release_snapshots / "r20261031T023000-abcdef12.duckdb").resolve().as_posix(),
    ]


def test_an_asset_that_writes_no_dataset_names_no_table():
    from orchestration.lineage.openlineage import NO_DATASET_KEY
    from orchestration.lineage.run_events import _table_of

    assert _table_of(("release", "night_fingerprint"), {NO_DATASET_KEY: "none"}) is None
    assert _table_of(("marts", "fct_ai_usage"), {}) == "marts.fct_ai_usage"
