"""What a Dagster run gives the OpenLineage events, and the file they are written to.

:mod:`orchestration.lineage.openlineage` builds the events from plain records (pure, tested without Dagster);
this module reads them from a run: its event log reduced to :class:`LogRecord`, its asset graph to
:class:`AssetInfo`, the build database's column types; then writes the run's file (:func:`events_path`)
atomically.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from orchestration.lineage.openlineage import (
    LOG_EVENT_TYPES,
    NO_DATASET_KEY,
    RELEASE_ASSET,
    RUN_END,
    AssetInfo,
    Datasets,
    LogRecord,
    build_events,
    to_jsonl,
)
from orchestration.settings import DBT_PROJECT_DIR, Paths, connect_duckdb

#: Check metadata keys that name the column a check tests (the first one holding a short name wins).
COLUMN_METADATA_KEYS = ("column", "column_name")
_MAX_COLUMN = 256


def _error_text(error: Any) -> tuple[str | None, str | None]:
    """(message, stack) of a Dagster ``SerializableErrorInfo``: the message with its causes, the full trace."""
    if error is None:
        return None, None
    parts, cur = [], error
    while cur is not None:
        if (cur.message or "").strip():
            parts.append(cur.message.strip())
        cur = cur.cause
    return "\ncaused by: ".join(parts) or None, error.to_string()


def _text(value: Any) -> str | None:
    """A metadata value's text (``TextMetadataValue`` or a plain string), else None."""
    text = getattr(value, "value", value)
    return text if isinstance(text, str) else None


def _check_column(metadata: Mapping[str, Any] | None) -> str | None:
    """The column a check's metadata names (``column`` or ``column_name``), if it is a short one-line name."""
    for name in COLUMN_METADATA_KEYS:
        text = _text((metadata or {}).get(name))
        if text and (text := text.strip()) and len(text) <= _MAX_COLUMN and "\n" not in text:
            return text
    return None


def records_from_event_log(entries: Iterable[Any]) -> list[LogRecord]:
    """Reduce Dagster ``EventLogEntry`` objects to :class:`LogRecord` (entries without a Dagster event are
    skipped)."""
    out = []
    for entry in entries:
        ev = entry.dagster_event
        if ev is None or ev.event_type_value not in LOG_EVENT_TYPES:
            continue
        kind = ev.event_type_value
        rec: dict[str, Any] = {"timestamp": entry.timestamp, "event_type": kind, "step_key": entry.step_key}
        data = ev.event_specific_data
        if kind in ("ASSET_MATERIALIZATION_PLANNED", "ASSET_MATERIALIZATION") and ev.asset_key:
            rec["asset_key"] = ev.asset_key.to_user_string()
            if kind == "ASSET_MATERIALIZATION" and rec["asset_key"] == RELEASE_ASSET:
                metadata = data.materialization.metadata or {}
                rec.update(release_id=_text(metadata.get("release_id")), release_status=_text(metadata.get("status")))
        elif kind == "ASSET_FAILED_TO_MATERIALIZE":
            failure = data.asset_materialization_failure
            rec.update(
                asset_key=failure.asset_key.to_user_string(),
                failure_type=failure.failure_type.value,
                message=failure.description or failure.reason.value,
            )
        elif kind == "STEP_FAILURE":
            message, stack = _error_text(getattr(data, "error", None))
            rec.update(message=message or ev.message, stack=stack)
        elif kind in RUN_END:
            message, stack = _error_text(getattr(data, "error", None))
            rec.update(message=ev.message if message is None else f"{ev.message}\n{message}", stack=stack)
        elif kind == "ASSET_CHECK_EVALUATION":
            rec.update(
                asset_key=data.asset_key.to_user_string(),
                check_name=data.check_name,
                passed=data.passed,
                blocking=bool(getattr(data, "blocking", False)),
                column=_check_column(data.metadata),
            )
        out.append(LogRecord(**rec))
    return out


_TABLE_NAME = re.compile(r"^(?:[^.]+\.)?([^.]+\.[^.]+)$")


def _table_of(key_path: Sequence[str], metadata: Mapping[str, Any]) -> str | None:
    """``schema.table`` of an asset: the ingest's ``landing_table``, dagster-dbt's ``dagster/table_name``
    (``catalog.schema.table``: the real relation, aliases included), else ``<key[0]>.<key[1]>``; None for an
    asset whose metadata ``openlineage/dataset`` is ``none`` (the night gate writes no table)."""
    if getattr(metadata.get(NO_DATASET_KEY), "text", metadata.get(NO_DATASET_KEY)) == "none":
        return None
    for name in ("landing_table", "dagster/table_name"):
        value = metadata.get(name)
        text = getattr(value, "text", value)
        if isinstance(text, str) and (m := _TABLE_NAME.match(text)):
            return m.group(1)
    return ".".join(key_path) if len(key_path) == 2 else None


def _seed_file(name: str) -> str | None:
    found = sorted((DBT_PROJECT_DIR / "seeds").rglob(f"{name}.csv"))
    return found[0].resolve().as_posix() if found else None


def asset_infos(asset_graph: Any, paths: Paths) -> dict[str, AssetInfo]:
    """Every asset of a repository's asset graph as :class:`AssetInfo` (parents, step, table, external sources)."""
    raw = paths.raw.resolve()
    out = {}
    for key in asset_graph.get_all_asset_keys():
        node = asset_graph.get(key)
        metadata = dict(node.metadata or {})
        sources: list[str] = []
        dataset = metadata.get("dataset")
        dataset = getattr(dataset, "text", dataset)
        if isinstance(dataset, str) and "landing_table" in metadata:
            sources.append((raw / dataset).as_posix())
        unique_id = metadata.get("dagster_dbt/unique_id")
        unique_id = getattr(unique_id, "text", unique_id)
        if isinstance(unique_id, str) and unique_id.startswith("seed.") and (seed := _seed_file(key.path[-1])):
            sources.append(seed)
        out[key.to_user_string()] = AssetInfo(
            key=key.to_user_string(),
            parents=tuple(sorted(p.to_user_string() for p in node.parent_keys)),
            # external assets (the ingest's audit tables dbt reads as sources) run in no step of their own
            step=node.assets_def.node_def.name if node.assets_def.is_executable else None,
            description=(node.description or "").strip() or None,
            table=_table_of(key.path, metadata),
            sources=tuple(sources),
        )
    return out


def read_table_schemas(build_db: Path) -> dict[str, list[tuple[str, str]]]:
    """Columns of every table and view of the build database, ``schema.table`` -> [(name, type)], read-only.

    Empty when the database is missing or cannot be opened (another process writing it): the events then carry
    no schema facets rather than failing.
    """
    import duckdb

    if not build_db.exists():
        return {}
    try:
        con = connect_duckdb(build_db, read_only=True)
    except duckdb.Error:
        return {}
    try:
        rows = con.execute(
            "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = current_database() "
            "ORDER BY table_schema, table_name, ordinal_position"
        ).fetchall()
    except duckdb.Error:
        return {}
    finally:
        con.close()
    out: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, dtype in rows:
        out.setdefault(f"{schema}.{table}", []).append((column, dtype))
    return out


def events_path(paths: Paths, run_id: str) -> Path:
    return paths.audit_dir / "openlineage" / f"{run_id}.jsonl"


def write_run_events(instance: Any, run_id: str, paths: Paths, definitions: Any) -> Path:
    """Write ``DIR/audit/openlineage/<run_id>.jsonl`` for a finished run and return its path.

    ``definitions`` is the ``Definitions`` (or a ``RepositoryDefinition``) whose asset graph the run's job was
    built from. The file is replaced atomically, so a reader never sees half of it and writing it twice (the CLI
    and a sensor) is harmless.
    """
    from dagster import DagsterEventType

    repo = definitions.get_repository_def() if hasattr(definitions, "get_repository_def") else definitions
    run = instance.get_run_by_id(run_id)
    job_name = run.job_name if run is not None else "nightly"
    types = {DagsterEventType(t) for t in LOG_EVENT_TYPES}
    records = records_from_event_log(instance.all_logs(run_id, of_type=types))
    events = build_events(
        run_id,
        job_name,
        records,
        asset_infos(repo.asset_graph, paths),
        Datasets.of(paths),
        read_table_schemas(paths.build_db),
    )
    target = events_path(paths, run_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(to_jsonl(events), encoding="utf-8")
    os.replace(tmp, target)
    return target
