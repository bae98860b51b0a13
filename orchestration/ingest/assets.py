"""Ingest assets: one Dagster asset per registered dataset, all built by one factory.

Asset ``landing/<system>/<dataset>`` lands the dataset's new files into ``landing_<system>.<dataset>`` of
the build database (see :mod:`orchestration.ingest.engine`). Each asset carries two checks:

- ``has_rows`` (blocking): the landing table holds at least one accepted row; a release without one of its
  sources would publish silently incomplete ledgers;
- ``no_quarantine`` (warning): nothing was quarantined or rejected by this run; shows, never blocks,
  because bad rows are expected in real exports and are kept for review in ``audit.quarantine``.
"""


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
from orchestration.ingest import engine
from orchestration.settings import RoiSettings

INGEST_GROUP = "landing"


def landing_asset_key(ds: Dataset) -> AssetKey:
    return AssetKey(["landing", ds.system, ds.name])


def _owner(ds: Dataset) -> str:
    return f"team:{ds.owner}"


def build_ingest_asset(ds: Dataset) -> AssetsDefinition:
    key = landing_asset_key(ds)

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
        ],
        metadata={"dataset": ds.key, "landing_table": ds.table, "formats": ", ".join(ds.formats),
                  "natural_key": ", ".join(ds.natural_key)},
        tags={"layer": "landing", "system": ds.system},
    )
    def _ingest(context: AssetExecutionContext, settings: RoiSettings):
        paths = settings.paths
        paths.ensure()
        con = engine.connect(paths.build_db)
        try:
            result = engine.ingest_dataset(con, paths.raw, ds, run_id=context.run_id)
        finally:
            con.close()
        s = result.summary()
        for f in result.files:
            if f.status in ("rejected", "duplicate"):
                context.log.warning(f"{ds.key}: {f.status} {f.message}")
            elif f.rows_quarantined:
                context.log.warning(f"{ds.key}: {f.source_file}: {f.message}")
        problems = [f for f in result.files if f.status in ("rejected", "duplicate") or f.rows_quarantined]
        yield MaterializeResult(
            metadata={
                **{k: MetadataValue.int(v) for k, v in s.items() if isinstance(v, int)},
                "files": MetadataValue.json([{k: v for k, v in vars(f).items()} for f in result.files
                                             if f.status != "skipped"]),
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
                    check_name="no_quarantine", passed=not problems, severity=AssetCheckSeverity.WARN,
                    metadata={"rows_quarantined": s["rows_quarantined"], "files_rejected": s["files_rejected"],
                              "files_duplicate": s["files_duplicate"]},
                ),
            ],
        )

    return _ingest


ingest_assets: list[AssetsDefinition] = [build_ingest_asset(ds) for ds in DATASETS]
