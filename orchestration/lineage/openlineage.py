"""OpenLineage run events of a nightly run, so auditors can load what each run read and wrote into Marquez or any
OpenLineage consumer.

Why events are rebuilt from the Dagster event log after the run, rather than emitted live: the log already holds
every step start, materialization and failure with its timestamp, so one pass after the run gives a complete,
ordered and reproducible file (the same log gives the same bytes), and a lineage problem can never break a run.

The layout (OpenLineage spec 2-0-2, ``RunEvent``):

- one OpenLineage job per asset (namespace :data:`NAMESPACE`, name the asset key, ``marts/fct_ai_usage``), one run
  of it per Dagster run, with a START event and one of COMPLETE (materialized), FAIL (its step failed before
  materializing it) or ABORT (never computed: an upstream step failed, or its step ended without it);
- one job for the Dagster job itself (``nightly``), whose run id is the Dagster run id, the ``parent`` of every
  asset run;
- inputs: the asset's upstream assets (and, for ingest and seeds, the raw folder or seed file they read); output:
  the asset's own table in the build database (``duckdb://<build db>``, ``schema.table``) or, for the release
  asset, the published file and, when the release was published (its materialization says ``status`` ``published``),
  the immutable snapshot ``DIR/published/releases/<release_id>.duckdb`` written beside it; a ``schema`` facet
  (columns and types, from the build database's ``information_schema`` read after the run) on the output of each
  COMPLETE event;
- a ``dataQualityAssertions`` facet on the output of each COMPLETE or FAIL event whose asset had asset checks
  evaluated in the run (``ASSET_CHECK_EVALUATION``): one assertion per check, ``assertion`` the check name,
  ``success`` whether it passed, ``column`` when the check's metadata names one (``column`` or ``column_name``),
  sorted; nothing else (severity and the rest of the metadata stay in Dagster, the 1-0-0 facet has no field for
  them). Checks run in a later step (the GX gates) are included: the file describes the run once it is over.

Asset run ids are UUID v5 of the Dagster run id and the asset key: regenerating the file gives the same ids.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from orchestration.settings import Paths

#: Job namespace of every event.
NAMESPACE = "ai-roi-ledger"
#: URL of this project, the ``producer`` of every event and facet.
PRODUCER = "https://github.com/ai-roi-ledger/ai-roi-ledger"
SPEC_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
RUN_EVENT_SCHEMA_URL = f"{SPEC_URL}#/$defs/RunEvent"
#: Facet name -> ``_schemaURL`` (each facet schema ships in tests/schemas/openlineage/ for offline validation).
FACET_SCHEMA_URLS: dict[str, str] = {
    "parent": "https://openlineage.io/spec/facets/1-1-0/ParentRunFacet.json#/$defs/ParentRunFacet",
    "errorMessage": "https://openlineage.io/spec/facets/1-0-0/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
    "jobType": "https://openlineage.io/spec/facets/2-0-2/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
    "documentation": "https://openlineage.io/spec/facets/1-0-1/DocumentationJobFacet.json#/$defs/DocumentationJobFacet",
    "schema": "https://openlineage.io/spec/facets/1-0-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "dataQualityAssertions": "https://openlineage.io/spec/facets/1-0-0/DataQualityAssertionsDatasetFacet.json"
    "#/$defs/DataQualityAssertionsDatasetFacet",
}
#: Asset metadata saying what dataset an asset writes; ``none``: no dataset (no outputs in its events).
NO_DATASET_KEY = "openlineage/dataset"
#: The release asset: its output is the published file, not a table of the build database.
RELEASE_ASSET = "release/published_roi"
#: Namespace of the asset run ids (UUID v5 of "<dagster run id>/<asset key>").
RUN_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PRODUCER + "/openlineage/run")
#: Local files, as OpenLineage's naming convention names them (namespace ``file``, name the absolute path).
FILE_NAMESPACE = "file"

#: Dagster event types the builder reads (everything else in the log is ignored).
LOG_EVENT_TYPES = (
    "PIPELINE_START",
    "PIPELINE_SUCCESS",
    "PIPELINE_FAILURE",
    "PIPELINE_CANCELED",
    "ASSET_MATERIALIZATION_PLANNED",
    "STEP_START",
    "ASSET_MATERIALIZATION",
    "ASSET_FAILED_TO_MATERIALIZE",
    "STEP_SUCCESS",
    "STEP_FAILURE",
    "STEP_SKIPPED",
    "ASSET_CHECK_EVALUATION",
)
#: The Dagster run's end -> the OpenLineage event type of the job's run.
RUN_END = {"PIPELINE_SUCCESS": "COMPLETE", "PIPELINE_FAILURE": "FAIL", "PIPELINE_CANCELED": "ABORT"}
_MAX_MESSAGE, _MAX_STACK = 4_000, 20_000
#: ``status`` of a release materialization that wrote a new snapshot (``unchanged`` writes none).
RELEASE_PUBLISHED = "published"
_RELEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True)
class LogRecord:
    """One Dagster event-log entry, reduced to what lineage needs (so the builders are pure and testable)."""

    timestamp: float
    event_type: str
    """``DagsterEventType`` value (``STEP_START``, ``PIPELINE_FAILURE``, ...)."""
    step_key: str | None = None
    asset_key: str | None = None
    """Asset key as a user string (``marts/fct_ai_usage``)."""
    message: str | None = None
    stack: str | None = None
    check_name: str | None = None
    passed: bool | None = None
    blocking: bool | None = None
    failure_type: str | None = None
    """``FAILED`` or ``SKIPPED`` for ``ASSET_FAILED_TO_MATERIALIZE``."""
    column: str | None = None
    """The column an ``ASSET_CHECK_EVALUATION`` tests, when its metadata names one."""
    release_id: str | None = None
    release_status: str | None = None
    """``release_id`` and ``status`` of the release asset's ``ASSET_MATERIALIZATION`` (``published``, ...)."""


@dataclass(frozen=True)
class AssetInfo:
    """An asset as lineage sees it: its parents, its step and where its data lives."""

    key: str
    parents: tuple[str, ...] = ()
    step: str | None = None
    description: str | None = None
    table: str | None = None
    """``schema.table`` in the build database (None for the release asset)."""
    sources: tuple[str, ...] = ()
    """Absolute paths of files or folders read from outside the asset graph (raw landing folder, seed file)."""


@dataclass(frozen=True)
class Datasets:
    """Where the datasets of a run live (namespaces are absolute, so the file names its own data directory)."""

    build_db: Path
    published_db: Path
    release_snapshots: Path | None = None
    """Folder of the release snapshots (default: ``releases/`` beside the published file, as :class:`Paths` has it)."""

    @classmethod
    def of(cls, paths: Paths) -> Datasets:
        return cls(
            build_db=paths.build_db.resolve(),
            published_db=paths.published_db.resolve(),
            release_snapshots=paths.release_snapshots.resolve(),
        )

    @property
    def table_namespace(self) -> str:
        return f"duckdb://{self.build_db.as_posix()}"

    def snapshot_of(self, release_id: str) -> Path:
        folder = self.release_snapshots or self.published_db.parent / "releases"
        return folder / f"{release_id}.duckdb"


@dataclass
class _AssetOutcome:
    start: float | None = None
    end: float | None = None
    state: str | None = None
    message: str | None = None
    stack: str | None = None


# --- pure builders -----------------------------------------------------------------------------------------


def event_time(timestamp: float) -> str:
    """UTC ISO 8601 with microseconds and ``Z`` (what OpenLineage's ``date-time`` expects)."""
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parent_run_id(dagster_run_id: str) -> str:
    """The Dagster run id when it is a UUID (it is, from Dagster), so auditors can look the run up in Dagster."""
    try:
        return str(uuid.UUID(dagster_run_id))
    except ValueError:
        return str(uuid.uuid5(RUN_ID_NAMESPACE, dagster_run_id))


def asset_run_id(dagster_run_id: str, asset_key: str) -> str:
    """Deterministic run id of one asset in one Dagster run (OpenLineage requires a UUID)."""
    return str(uuid.uuid5(RUN_ID_NAMESPACE, f"{dagster_run_id}/{asset_key}"))


def _facet(name: str, **content: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": FACET_SCHEMA_URLS[name], **content}


def _error_facet(message: str, stack: str | None) -> dict[str, Any]:
    content: dict[str, Any] = {"message": message[:_MAX_MESSAGE], "programmingLanguage": "PYTHON"}
    if stack:
        content["stackTrace"] = stack[:_MAX_STACK]
    return _facet("errorMessage", **content)


def dataset_of(key: str, assets: Mapping[str, AssetInfo], where: Datasets) -> tuple[str, str] | None:
    """(namespace, name) of the dataset an asset writes, or None when it writes none we can name."""
    if key == RELEASE_ASSET:
        return FILE_NAMESPACE, where.published_db.as_posix()
    info = assets.get(key)
    if info is None or not info.table:
        return None
    return where.table_namespace, info.table


def _schema_facet(fields: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return _facet("schema", fields=[{"name": n, "type": t} for n, t in fields])


def _assertions(records: Sequence[LogRecord]) -> dict[str, list[dict[str, Any]]]:
    """Asset key -> its checks' results as ``dataQualityAssertions`` items, sorted (the last evaluation of a check
    wins, should the log hold two)."""
    latest: dict[tuple[str, str], LogRecord] = {}
    for r in records:  # records are sorted by time
        if r.event_type == "ASSET_CHECK_EVALUATION" and r.asset_key and r.check_name and r.passed is not None:
            latest[(r.asset_key, r.check_name)] = r
    out: dict[str, list[dict[str, Any]]] = {}
    for (key, name), r in sorted(latest.items()):
        item: dict[str, Any] = {"assertion": name, "success": bool(r.passed)}
        if r.column:
            item["column"] = r.column
        out.setdefault(key, []).append(item)
    return out


def _release_snapshot(records: Sequence[LogRecord], where: Datasets) -> tuple[str, str] | None:
    """(namespace, name) of the snapshot the release asset wrote in this run, or None (``unchanged``, blocked, not
    materialized, or a release id that is not a plain file name)."""
    mat = next(
        (r for r in reversed(records) if r.event_type == "ASSET_MATERIALIZATION" and r.asset_key == RELEASE_ASSET), None
    )
    if (
        mat is None
        or mat.release_status != RELEASE_PUBLISHED
        or not mat.release_id
        or not _RELEASE_ID.match(mat.release_id)
    ):
        return None
    return FILE_NAMESPACE, where.snapshot_of(mat.release_id).as_posix()


def _ancestors(key: str, parents: Mapping[str, Sequence[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(parents.get(key, ()))
    while todo:
        k = todo.pop()
        if k not in seen:
            seen.add(k)
            todo.extend(parents.get(k, ()))
    return seen


def _outcomes(
    records: Sequence[LogRecord],
    assets: Iterable[str],
    steps: Mapping[str, str | None],
    parents: Mapping[str, Sequence[str]],
) -> dict[str, _AssetOutcome]:
    """Each asset's START time, terminal state and time, from the log (the mapping documented in the module)."""
    step_start: dict[str, float] = {}
    step_end: dict[str, LogRecord] = {}
    materialized: dict[str, float] = {}
    failed_to_materialize: dict[str, LogRecord] = {}
    run_end: LogRecord | None = None
    for r in records:
        if r.event_type == "STEP_START" and r.step_key:
            step_start.setdefault(r.step_key, r.timestamp)
        elif r.event_type in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED") and r.step_key:
            step_end[r.step_key] = r
        elif r.event_type == "ASSET_MATERIALIZATION" and r.asset_key:
            materialized[r.asset_key] = r.timestamp
        elif r.event_type == "ASSET_FAILED_TO_MATERIALIZE" and r.asset_key:
            failed_to_materialize[r.asset_key] = r
        elif r.event_type in RUN_END:
            run_end = r
    failed_steps = sorted(k for k, r in step_end.items() if r.event_type == "STEP_FAILURE")
    out: dict[str, _AssetOutcome] = {}
    for key in assets:
        step = steps.get(key)
        o = _AssetOutcome(start=step_start.get(step) if step else None)
        end = step_end.get(step) if step else None
        fail = failed_to_materialize.get(key)
        if key in materialized:
            o.state, o.end = "COMPLETE", materialized[key]
        elif end is not None and end.event_type == "STEP_FAILURE":
            o.state, o.end = "FAIL", end.timestamp
            o.message = end.message or f"step {step} failed"
            o.stack = end.stack
        elif fail is not None:
            o.state, o.end = ("ABORT" if fail.failure_type == "SKIPPED" else "FAIL"), fail.timestamp
            o.message = fail.message or f"{key} failed to materialize"
        elif end is not None:
            o.state, o.end = "ABORT", end.timestamp
            o.message = f"not materialized: step {step} ended ({end.event_type}) without materializing it"
        elif run_end is not None:
            o.state, o.end = "ABORT", run_end.timestamp
            upstream = {steps.get(a) for a in _ancestors(key, parents)}
            culprits = [s for s in failed_steps if s in upstream] or failed_steps
            o.message = (
                ("not run: upstream step(s) failed: " + ", ".join(culprits))
                if culprits
                else f"not run: the run ended ({RUN_END[run_end.event_type]}) before its step started"
            )
        if o.start is None and o.end is not None:
            o.start = o.end
        out[key] = o
    return out


def build_events(
    dagster_run_id: str,
    job_name: str,
    records: Sequence[LogRecord],
    assets: Mapping[str, AssetInfo],
    where: Datasets,
    schemas: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> list[dict[str, Any]]:
    """Every OpenLineage event of one Dagster run, sorted by time (pure: the same inputs give the same events).

    ``assets`` must hold every asset of the job (their parents, steps and tables); the assets of the run are those
    the log says were planned or materialized, or, when the log has no plan, every asset in ``assets``.
    ``schemas`` maps ``schema.table`` to its columns (name, type).
    """
    schemas = schemas or {}
    records = sorted(records, key=lambda r: r.timestamp)
    planned: dict[str, str | None] = {}
    for r in records:
        if r.event_type in ("ASSET_MATERIALIZATION_PLANNED", "ASSET_MATERIALIZATION") and r.asset_key:
            planned.setdefault(r.asset_key, r.step_key)
    run_assets = sorted(planned) if planned else sorted(assets)
    steps = {k: planned.get(k) or (a.step if (a := assets.get(k)) else None) for k in {*run_assets, *assets}}
    outcomes = _outcomes(records, run_assets, steps, {k: a.parents for k, a in assets.items()})
    assertions = _assertions(records)
    snapshot = _release_snapshot(records, where)

    parent_id = parent_run_id(dagster_run_id)
    parent = _facet("parent", run={"runId": parent_id}, job={"namespace": NAMESPACE, "name": job_name})
    events: list[tuple[float, int, str, dict[str, Any]]] = []

    def emit(
        ts: float,
        rank: int,
        state: str,
        run: dict[str, Any],
        job: dict[str, Any],
        inputs: list[dict[str, Any]],
        outputs: list[dict[str, Any]],
    ) -> None:
        event = {
            "eventType": state,
            "eventTime": event_time(ts),
            "run": run,
            "job": job,
            "inputs": inputs,
            "outputs": outputs,
            "producer": PRODUCER,
            "schemaURL": RUN_EVENT_SCHEMA_URL,
        }
        events.append((ts, rank, job["name"], event))

    for key in run_assets:
        o = outcomes[key]
        if o.start is None:  # the run has not ended and this asset's step has not started: nothing to say yet
            continue
        info = assets.get(key, AssetInfo(key=key))
        job: dict[str, Any] = {
            "namespace": NAMESPACE,
            "name": key,
            "facets": {"jobType": _facet("jobType", processingType="BATCH", integration="DAGSTER", jobType="ASSET")},
        }
        # The description only on START: consumers merge job facets per run, and dbt docs are long.
        start_job = job
        if info.description:
            start_job = {
                **job,
                "facets": {**job["facets"], "documentation": _facet("documentation", description=info.description)},
            }
        inputs = sorted(
            {d for p in info.parents if (d := dataset_of(p, assets, where))}
            | {(FILE_NAMESPACE, s) for s in info.sources}
        )
        inputs_json = [{"namespace": ns, "name": n} for ns, n in inputs]
        out = dataset_of(key, assets, where)
        run_id = asset_run_id(dagster_run_id, key)
        emit(
            o.start,
            1,
            "START",
            {"runId": run_id, "facets": {"parent": parent}},
            start_job,
            inputs_json,
            [{"namespace": out[0], "name": out[1]}] if out else [],
        )
        if o.state is None or o.end is None:
            continue
        outputs: list[dict[str, Any]] = []
        if out:
            dataset: dict[str, Any] = {"namespace": out[0], "name": out[1]}
            facets: dict[str, Any] = {}
            if o.state == "COMPLETE" and out[1] in schemas and out[0] == where.table_namespace:
                facets["schema"] = _schema_facet(schemas[out[1]])
            if o.state in ("COMPLETE", "FAIL") and key in assertions:
                facets["dataQualityAssertions"] = _facet("dataQualityAssertions", assertions=assertions[key])
            if facets:
                dataset["facets"] = facets
            outputs.append(dataset)
        if key == RELEASE_ASSET and o.state == "COMPLETE" and snapshot is not None:
            outputs.append({"namespace": snapshot[0], "name": snapshot[1]})
        run_facets: dict[str, Any] = {"parent": parent}
        if o.message:
            run_facets["errorMessage"] = _error_facet(o.message, o.stack)
        emit(o.end, 2, o.state, {"runId": run_id, "facets": run_facets}, job, inputs_json, outputs)

    job_facets = {"jobType": _facet("jobType", processingType="BATCH", integration="DAGSTER", jobType="JOB")}
    run_job = {"namespace": NAMESPACE, "name": job_name, "facets": job_facets}
    start = next(
        (r.timestamp for r in records if r.event_type == "PIPELINE_START"), records[0].timestamp if records else None
    )
    end = next((r for r in reversed(records) if r.event_type in RUN_END), None)
    if start is not None:
        emit(start, 0, "START", {"runId": parent_id}, run_job, [], [])
    if end is not None:
        run: dict[str, Any] = {"runId": parent_id}
        if end.event_type != "PIPELINE_SUCCESS":
            blocked = sorted(
                {
                    f"{r.asset_key}::{r.check_name}"
                    for r in records
                    if r.event_type == "ASSET_CHECK_EVALUATION" and r.blocking and r.passed is False
                }
            )
            message = (end.message or f"run {RUN_END[end.event_type].lower()}").strip()
            if blocked:
                message += "\nblocking checks failed: " + ", ".join(blocked)
            run["facets"] = {"errorMessage": _error_facet(message, end.stack)}
        emit(end.timestamp, 3, RUN_END[end.event_type], run, run_job, [], [])
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return [e[3] for e in events]


def to_jsonl(events: Iterable[Mapping[str, Any]]) -> str:
    """One compact JSON object a line, keys in the order built (stable bytes for the same events)."""
    return "".join(json.dumps(e, ensure_ascii=False, separators=(",", ":")) + "\n" for e in events)


# --- reading Dagster and DuckDB ------------------------------------------------------------------------------
