"""Ingest assets: one Dagster asset per registered dataset, all built by one factory.

Asset ``landing/<system>/<dataset>`` lands the dataset's new files as Parquet files, read through the view
``landing_<system>.<dataset>`` of the build database (see :mod:`orchestration.ingest.engine`). Each asset
carries these checks:

- ``has_rows`` (blocking): the landing table holds at least one accepted row; a release without one of its
  sources would publish silently incomplete ledgers;
- ``no_quarantine`` (warning): nothing was quarantined or rejected by this run; shows, never blocks,
  because bad rows are expected in real exports and are kept for review in ``audit.quarantine``;
- ``fresh`` (blocking): the newest value of the dataset's freshness field (registry ``freshness_field``) is at
  most ``freshness_error_hours`` older than the end of the as-of day; older than ``freshness_warn_hours`` it
  warns. A stale source would publish ledgers that silently stop at an earlier date. Times past the end of
  the as-of day (plus dbt var ``time_future_tolerance_hours``) or before the dataset's time floor were
  quarantined at ingest, so they never count;
- ``money_complete`` (blocking, datasets with money fields): no money was quarantined, unreadable or in a
  rejected file beyond dbt var ``money_unlanded_max`` (see :mod:`orchestration.ingest.money`);
- ``no_secrets`` (warning): no secret was found in this run's files; secrets are redacted either way
  (``[REDACTED:<kind>]``), and the counts per column and kind go into the check's metadata, so the release
  record keeps them (``audit.redactions`` per file).
"""

from datetime import date, datetime, timedelta

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.datasets import DATASETS, Dataset
from orchestration.ingest import engine, money
from orchestration.ingest.contract import TimeWindow
from orchestration.quality import thresholds
from orchestration.settings import RoiSettings

TOLERANCE_VAR = "time_future_tolerance_hours"

INGEST_GROUP = "landing"


def landing_asset_key(ds: Dataset) -> AssetKey:
    return AssetKey(["landing", ds.system, ds.name])


def _owner(ds: Dataset) -> str:
    return f"team:{ds.owner}"


def freshness_verdict(ds: Dataset, newest: datetime | None, as_of: date) -> tuple[bool, str, dict]:
    """(passed, severity, metadata) of the ``fresh`` check: the age of the newest data at the end of the
    as-of day (UTC) against the dataset's thresholds (pure: tested)."""
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    meta = {"freshness_field": ds.freshness_field, "warn_after_hours": ds.freshness_warn_hours,
            "error_after_hours": ds.freshness_error_hours, "as_of": as_of.isoformat()}
    if newest is None:
        return False, "ERROR", {**meta, "reason": f"{ds.key}: no {ds.freshness_field} value in {ds.table}"}
    newest = newest.replace(tzinfo=None)
    age = max((end - newest).total_seconds() / 3600, 0.0)
    meta.update(newest=newest.isoformat(sep=" "), age_hours=round(age, 1))
    if age > ds.freshness_error_hours:
        return False, "ERROR", {**meta, "reason": f"{ds.key} is stale: newest {ds.freshness_field} "
                                                  f"{newest:%Y-%m-%d %H:%M} is {age:.0f} h old at the end of "
                                                  f"{as_of}, over the {ds.freshness_error_hours} h limit"}
    if age > ds.freshness_warn_hours:
        return False, "WARN", {**meta, "reason": f"{ds.key}: newest data is {age:.0f} h old "
                                                 f"(warning after {ds.freshness_warn_hours} h)"}
    return True, "ERROR", meta


def build_ingest_asset(ds: Dataset) -> AssetsDefinition:
    key = landing_asset_key(ds)
    money_specs = [AssetCheckSpec(
        "money_complete", asset=key, blocking=True,
        description=f"Every amount of {', '.join(f.name for f in ds.money_fields)} in the files landed: no "
                    "quarantined money per file and currency above dbt var money_unlanded_max, no amount that "
                    "cannot be read exactly, no rejected file.")] if ds.money_fields else []

    @asset(
        key=key,
        group_name=INGEST_GROUP,
        owners=[_owner(ds)],
        kinds={"duckdb", *ds.formats},
        description=f"{ds.title}: {ds.description} Lands `raw/{ds.folder}/` into `{ds.table}`.",
        check_specs=[
            AssetCheckSpec("has_rows", asset=key, blocking=True,
                           description="The landing table holds at least one accepted row."),
            AssetCheckSpec("no_quarantine", asset=key,
                           description="No row or file of this run was quarantined (warning only)."),
            AssetCheckSpec("no_secrets", asset=key,
                           description="No secret was found in the text of this run's files (warning only: they "
                                       "are redacted to [REDACTED:<kind>] and counted per column either way)."),
            AssetCheckSpec("fresh", asset=key, blocking=True,
                           description=f"Newest `{ds.freshness_field}` at most {ds.freshness_error_hours} h "
                                       f"old at the end of the as-of day (warning after "
                                       f"{ds.freshness_warn_hours} h)."),
            *money_specs,
        ],
        metadata={"dataset": ds.key, "landing_table": ds.table, "formats": ", ".join(ds.formats),
                  "natural_key": ", ".join(ds.natural_key)},
        tags={"layer": "landing", "system": ds.system},
    )
    def _ingest(context: AssetExecutionContext, settings: RoiSettings):
        paths = settings.paths
        paths.ensure()
        window = TimeWindow(settings.as_of_date, int(thresholds.non_negative(TOLERANCE_VAR)))
        con = engine.connect(paths.build_db)
        try:
            result = engine.ingest_dataset(con, paths.raw, ds, run_id=context.run_id, window=window,
                                           trust_stats=not settings.full_refresh)
            newest = con.execute(f"SELECT max({ds.freshness_field}) FROM {ds.table}").fetchall()[0][0]
            unlanded = money.unlanded(con, ds)
        finally:
            con.close()
        fresh, fresh_severity, fresh_meta = freshness_verdict(ds, newest, settings.as_of_date)
        if not fresh:
            context.log.warning(fresh_meta["reason"])
        s = result.summary()
        for f in result.files:
            if f.status in ("rejected", "duplicate"):
                context.log.warning(f"{ds.key}: {f.status} {f.message}")
            elif f.rows_quarantined:
                context.log.warning(f"{ds.key}: {f.source_file}: {f.message}")
        problems = [f for f in result.files if f.status in ("rejected", "duplicate") or f.rows_quarantined]
        found: dict[str, int] = {}  # "<column>:<kind>" -> secrets redacted by this run
        for f in result.files:
            for (column, kind), n in f.secrets.items():
                found[f"{column}:{kind}"] = found.get(f"{column}:{kind}", 0) + n
        if found:
            context.log.warning(f"{ds.key}: {sum(found.values())} secret(s) redacted: "
                                + ", ".join(f"{k}={n}" for k, n in sorted(found.items())))
        money_results = []
        if ds.money_fields:
            complete, money_meta = money.verdict(ds, unlanded, thresholds.non_negative(money.UNLANDED_VAR))
            if not complete:
                context.log.warning(money_meta["reason"])
            money_results.append(AssetCheckResult(check_name="money_complete", passed=complete,
                                                  severity=AssetCheckSeverity.ERROR, metadata=money_meta))
        yield MaterializeResult(
            metadata={
                **{k: MetadataValue.int(v) for k, v in s.items() if isinstance(v, int)},
                "files": MetadataValue.json([{k: v for k, v in vars(f).items() if k not in ("money", "secrets")}
                                             for f in result.files if f.status != "skipped"]),
            },
            check_results=[
                AssetCheckResult(
                    check_name="has_rows", passed=result.landed_rows_total > 0,
                    severity=AssetCheckSeverity.ERROR,
                    metadata={"landed_rows_total": result.landed_rows_total,
                              "reason": "" if result.landed_rows_total else
                              f"no accepted rows in {ds.table}: no file under raw/{ds.folder}/ landed"},
                ),
                AssetCheckResult(
                    check_name="fresh", passed=fresh, severity=AssetCheckSeverity(fresh_severity),
                    metadata=fresh_meta,
                ),
                AssetCheckResult(
                    check_name="no_quarantine", passed=not problems, severity=AssetCheckSeverity.WARN,
                    metadata={"rows_quarantined": s["rows_quarantined"], "files_rejected": s["files_rejected"],
                              "files_duplicate": s["files_duplicate"]},
                ),
                AssetCheckResult(
                    check_name="no_secrets", passed=not found, severity=AssetCheckSeverity.WARN,
                    metadata={"secrets_redacted": sum(found.values()),
                              **{f"redacted:{k}": n for k, n in sorted(found.items())}},
                ),
                *money_results,
            ],
        )

    return _ingest


UNCLAIMED_KEY = AssetKey(["landing", "unclaimed_files"])


@asset(
    key=UNCLAIMED_KEY,
    group_name=INGEST_GROUP,
    owners=["team:engineering"],
    kinds={"duckdb"},
    description="Files under `raw/` that no registered dataset reads (outside every `raw/<system>/<dataset>/` "
                "folder): recorded in `audit.ingested_files` as `unclaimed`, never read as data.",
    metadata={"dataset": "", "landing_table": "audit.ingested_files"},  # lineage: raw/ in, the audit record out
    check_specs=[AssetCheckSpec("no_unclaimed_files", asset=UNCLAIMED_KEY,
                                description="No file sits under raw/ outside the registered dataset folders "
                                            "(warning only: such files are recorded, never ingested).")],
    tags={"layer": "landing"},
)
def unclaimed_files(context: AssetExecutionContext, settings: RoiSettings):
    paths = settings.paths
    paths.ensure()
    con = engine.connect(paths.build_db)
    try:
        found = engine.record_unclaimed(con, paths.raw, DATASETS, run_id=context.run_id)
    finally:
        con.close()
    for f in found:
        context.log.warning(f.message)
    yield MaterializeResult(
        metadata={"unclaimed_files": MetadataValue.int(len(found))},
        check_results=[AssetCheckResult(
            check_name="no_unclaimed_files", passed=not found, severity=AssetCheckSeverity.WARN,
            metadata={"unclaimed_files": len(found),
                      "files": "; ".join(f.source_file for f in found[:20]) + ("; ..." if len(found) > 20 else "")},
        )],
    )


ingest_assets: list[AssetsDefinition] = [*(build_ingest_asset(ds) for ds in DATASETS), unclaimed_files]
