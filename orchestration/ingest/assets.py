"""Ingest assets: one Dagster asset per registered dataset, all landed by one step (the multi-asset ``landing``,
its datasets side by side on threads: :mod:`orchestration.ingest.parallel`).

Asset ``landing/<system>/<dataset>`` lands the dataset's new files as Parquet files, read through the view
``landing_<system>.<dataset>`` of the build database (see :mod:`orchestration.ingest.engine`). Each asset
carries these checks:

- ``has_rows`` (blocking): the landing table holds at least one accepted row; a release without one of its
  sources would publish silently incomplete ledgers. An ``optional`` source (an AI tool the organisation may
  not use) with no file at all is *not in use*: this check and ``fresh`` pass and say so;
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
    AssetSpec,
    DagsterLogManager,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from orchestration.datasets import DATASETS, Dataset
from orchestration.ingest import engine, money, parallel
from orchestration.ingest.contract import TimeWindow
from orchestration.quality import thresholds
from orchestration.resources import RoiSettings

TOLERANCE_VAR = "time_future_tolerance_hours"

INGEST_GROUP = "landing"
#: The one step that lands every dataset (its op).
INGEST_STEP = "landing"


def landing_asset_key(ds: Dataset) -> AssetKey:
    return AssetKey(["landing", ds.system, ds.name])


def _owner(ds: Dataset) -> str:
    return f"team:{ds.owner}"


def freshness_verdict(ds: Dataset, newest: datetime | date | None, as_of: date) -> tuple[bool, str, dict]:
    """(passed, severity, metadata) of the ``fresh`` check: the age of the newest data at the end of the
    as-of day (UTC) against the dataset's thresholds (pure: tested). A date (a daily report's day) is data up
    to that day's end."""
    end = datetime.combine(as_of + timedelta(days=1), datetime.min.time())
    meta = {
        "freshness_field": ds.freshness_field,
        "warn_after_hours": ds.freshness_warn_hours,
        "error_after_hours": ds.freshness_error_hours,
        "as_of": as_of.isoformat(),
    }
    if newest is None:
        return False, "ERROR", {**meta, "reason": f"{ds.key}: no {ds.freshness_field} value in {ds.table}"}
    if not isinstance(newest, datetime):
        newest = datetime.combine(newest + timedelta(days=1), datetime.min.time())
    newest = newest.replace(tzinfo=None)
    age = max((end - newest).total_seconds() / 3600, 0.0)
    meta.update(newest=newest.isoformat(sep=" "), age_hours=round(age, 1))
    if age > ds.freshness_error_hours:
        return (
            False,
            "ERROR",
            {
                **meta,
                "reason": f"{ds.key} is stale: newest {ds.freshness_field} "
                f"{newest:%Y-%m-%d %H:%M} is {age:.0f} h old at the end of "
                f"{as_of}, over the {ds.freshness_error_hours} h limit",
            },
        )
    if age > ds.freshness_warn_hours:
        return (
            False,
            "WARN",
            {**meta, "reason": f"{ds.key}: newest data is {age:.0f} h old (warning after {ds.freshness_warn_hours} h)"},
        )
    return True, "ERROR", meta


def not_in_use(ds: Dataset, files_found: int, rows_landed: int) -> str | None:
    """Why an optional source's ``has_rows`` and ``fresh`` pass though it has no data: no file of it was ever
    found and nothing landed (the organisation does not use that tool); None for every other case (pure:
    tested)."""
    if not ds.optional or files_found or rows_landed:
        return None
    return f"{ds.key} is not in use: no file under raw/{ds.folder}/ (an optional source)"


def check_specs(ds: Dataset) -> list[AssetCheckSpec]:
    key = landing_asset_key(ds)
    money_specs = (
        [
            AssetCheckSpec(
                "money_complete",
                asset=key,
                blocking=True,
                description=f"Every amount of {', '.join(f.name for f in ds.money_fields)} in the files landed: no "
                "quarantined money per file and currency above dbt var money_unlanded_max, no amount that "
                "cannot be read exactly, no rejected file.",
            )
        ]
        if ds.money_fields
        else []
    )
    return [
        AssetCheckSpec(
            "has_rows", asset=key, blocking=True, description="The landing table holds at least one accepted row."
        ),
        AssetCheckSpec(
            "no_quarantine", asset=key, description="No row or file of this run was quarantined (warning only)."
        ),
        AssetCheckSpec(
            "no_secrets",
            asset=key,
            description="No secret was found in the text of this run's files (warning only: they "
            "are redacted to [REDACTED:<kind>] and counted per column either way).",
        ),
        AssetCheckSpec(
            "fresh",
            asset=key,
            blocking=True,
            description=f"Newest `{ds.freshness_field}` at most {ds.freshness_error_hours} h "
            f"old at the end of the as-of day (warning after "
            f"{ds.freshness_warn_hours} h).",
        ),
        *money_specs,
    ]


def asset_spec(ds: Dataset) -> AssetSpec:
    return AssetSpec(
        key=landing_asset_key(ds),
        group_name=INGEST_GROUP,
        owners=[_owner(ds)],
        kinds={"duckdb", *ds.formats},
        description=f"{ds.title}: {ds.description} Lands `raw/{ds.folder}/` into `{ds.table}`.",
        metadata={
            "dataset": ds.key,
            "landing_table": ds.table,
            "formats": ", ".join(ds.formats),
            "natural_key": ", ".join(ds.natural_key),
        },
        tags={"layer": "landing", "system": ds.system},
    )


def landed_result(ds: Dataset, landed: parallel.Landed, as_of: date, log: DagsterLogManager) -> MaterializeResult:
    """The materialization of one dataset's landing and its checks' results."""
    key = landing_asset_key(ds)
    result = landed.result
    unused = not_in_use(ds, len(result.files), result.landed_rows_total)
    fresh, fresh_severity, fresh_meta = freshness_verdict(ds, landed.newest, as_of)
    if unused:
        log.info(unused)
        fresh, fresh_meta = True, {**fresh_meta, "not_in_use": unused}
    elif not fresh:
        log.warning(fresh_meta["reason"])
    s = result.summary()
    for f in result.files:
        if f.status in ("rejected", "duplicate"):
            log.warning(f"{ds.key}: {f.status} {f.message}")
        elif f.rows_quarantined:
            log.warning(f"{ds.key}: {f.source_file}: {f.message}")
    problems = [f for f in result.files if f.status in ("rejected", "duplicate") or f.rows_quarantined]
    found: dict[str, int] = {}  # "<column>:<kind>" -> secrets redacted by this run
    for f in result.files:
        for (column, kind), n in f.secrets.items():
            found[f"{column}:{kind}"] = found.get(f"{column}:{kind}", 0) + n
    if found:
        log.warning(
            f"{ds.key}: {sum(found.values())} secret(s) redacted: "
            + ", ".join(f"{k}={n}" for k, n in sorted(found.items()))
        )
    money_results = []
    if ds.money_fields:
        complete, money_meta = money.verdict(ds, landed.unlanded, thresholds.non_negative(money.UNLANDED_VAR))
        if not complete:
            log.warning(money_meta["reason"])
        money_results.append(
            AssetCheckResult(
                asset_key=key,
                check_name="money_complete",
                passed=complete,
                severity=AssetCheckSeverity.ERROR,
                metadata=money_meta,
            )
        )
    return MaterializeResult(
        asset_key=key,
        metadata={
            **{k: MetadataValue.int(v) for k, v in s.items() if isinstance(v, int)},
            "files": MetadataValue.json(
                [
                    {k: v for k, v in vars(f).items() if k not in ("money", "secrets")}
                    for f in result.files
                    if f.status != "skipped"
                ]
            ),
        },
        check_results=[
            AssetCheckResult(
                asset_key=key,
                check_name="has_rows",
                passed=result.landed_rows_total > 0 or unused is not None,
                severity=AssetCheckSeverity.ERROR,
                metadata={
                    "landed_rows_total": result.landed_rows_total,
                    "reason": ""
                    if result.landed_rows_total
                    else unused or f"no accepted rows in {ds.table}: no file under raw/{ds.folder}/ landed",
                },
            ),
            AssetCheckResult(
                asset_key=key,
                check_name="fresh",
                passed=fresh,
                severity=AssetCheckSeverity(fresh_severity),
                metadata=fresh_meta,
            ),
            AssetCheckResult(
                asset_key=key,
                check_name="no_quarantine",
                passed=not problems,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "rows_quarantined": s["rows_quarantined"],
                    "files_rejected": s["files_rejected"],
                    "files_duplicate": s["files_duplicate"],
                },
            ),
            AssetCheckResult(
                asset_key=key,
                check_name="no_secrets",
                passed=not found,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "secrets_redacted": sum(found.values()),
                    **{f"redacted:{k}": n for k, n in sorted(found.items())},
                },
            ),
            *money_results,
        ],
    )


@multi_asset(
    name=INGEST_STEP,
    specs=[asset_spec(ds) for ds in DATASETS],
    check_specs=[spec for ds in DATASETS for spec in check_specs(ds)],
    can_subset=True,
    op_tags={"layer": "landing"},
)
def landing(context: AssetExecutionContext, settings: RoiSettings):
    """Every selected dataset's new files, landed on :func:`orchestration.ingest.parallel.workers` threads
    (one step: Dagster's in-process executor runs steps one after another); each dataset's materialization
    and checks are reported as soon as it ends. A dataset whose ingest raised fails the step once the others
    have ended and been reported."""
    paths = settings.paths
    paths.ensure()
    window = TimeWindow(settings.as_of_date, int(thresholds.non_negative(TOLERANCE_VAR)))
    selected = [ds for ds in DATASETS if landing_asset_key(ds) in context.selected_asset_keys]
    failed: list[tuple[Dataset, BaseException]] = []
    con = engine.connect(paths.build_db)
    try:
        for ds, outcome in parallel.ingest_datasets(
            con,
            paths.raw,
            selected,
            run_id=context.run_id,
            window=window,
            trust_stats=not settings.full_refresh,
            threads=parallel.workers(),
        ):
            if isinstance(outcome, BaseException):
                context.log.error(f"{ds.key}: ingest stopped: {type(outcome).__name__}: {outcome}")
                failed.append((ds, outcome))
                continue
            yield landed_result(ds, outcome, settings.as_of_date, context.log)
    finally:
        con.close()
    if failed:
        raise Failure(
            description="ingest stopped for "
            + ", ".join(ds.key for ds, _ in failed)
            + f": {type(failed[0][1]).__name__}: {failed[0][1]}"
        ) from failed[0][1]


UNCLAIMED_KEY = AssetKey(["landing", "unclaimed_files"])


@asset(
    key=UNCLAIMED_KEY,
    group_name=INGEST_GROUP,
    owners=["team:engineering"],
    kinds={"duckdb"},
    description="Files under `raw/` that no registered dataset reads (outside every `raw/<system>/<dataset>/` "
    "folder): recorded in `audit.ingested_files` as `unclaimed`, never read as data.",
    metadata={"dataset": "", "landing_table": "audit.ingested_files"},  # lineage: raw/ in, the audit record out
    check_specs=[
        AssetCheckSpec(
            "no_unclaimed_files",
            asset=UNCLAIMED_KEY,
            description="No file sits under raw/ outside the registered dataset folders "
            "(warning only: such files are recorded, never ingested).",
        )
    ],
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
        check_results=[
            AssetCheckResult(
                check_name="no_unclaimed_files",
                passed=not found,
                severity=AssetCheckSeverity.WARN,
                metadata={
                    "unclaimed_files": len(found),
                    "files": "; ".join(f.source_file for f in found[:20]) + ("; ..." if len(found) > 20 else ""),
                },
            )
        ],
    )


ingest_assets: list[AssetsDefinition] = [landing, unclaimed_files]
