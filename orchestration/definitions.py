"""The one Dagster ``Definitions``: ingest assets, dbt layers, the release step, the nightly job and schedule.

Runs use the in-process executor: DuckDB has a single writer, and every step of the nightly job writes
the same build database one after the other.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    Failure,
    MaterializeResult,
    MetadataValue,
    ScheduleDefinition,
    asset,
    define_asset_job,
    in_process_executor,
)

from orchestration import publish
from orchestration.check_outcomes import run_check_outcomes
from orchestration.dbt import NIGHT_GATE_KEY, all_dbt_assets, dbt_project, dbt_resource
from orchestration.ingest.assets import ingest_assets
from orchestration.lineage.openlineage import NO_DATASET_KEY
from orchestration.nightgate import scenario_parameters
from orchestration.quality.checks import gx_asset_checks
from orchestration.resources import RoiSettings
from orchestration.run_end import run_end_sensors
from orchestration.scenarios.asset import ScenarioConfig, scenario_model
from orchestration.scenarios.run import MODEL_VERSION
from orchestration.settings import schedule_settings

NIGHTLY_JOB = "nightly"
RELEASE_KEY = AssetKey(["release", "published_roi"])


@asset(
    key=NIGHT_GATE_KEY,
    deps=[k for a in ingest_assets for k in a.keys],
    group_name="publish",
    owners=["team:engineering"],
    kinds={"duckdb"},
    output_required=False,
    metadata={NO_DATASET_KEY: "none"},
    description="The night's fingerprint (landed input files, dbt and pipeline code, as-of date, scenario "
    "settings) against the last published release's, before any dbt work: equal, it records an "
    "`unchanged` release and yields nothing, so every later step is skipped; else the night runs.",
)
def night_fingerprint(context: AssetExecutionContext, settings: RoiSettings):
    scenario = ScenarioConfig(**context.run_config.get("ops", {}).get("scenario_model", {}).get("config", {}))
    verdict, files = publish.night_verdict(
        settings.paths,
        as_of=settings.as_of_date,
        manifest_path=dbt_project().manifest_path,
        scenario=scenario_parameters(scenario.seed, scenario.iterations, MODEL_VERSION),
        full_refresh=settings.full_refresh,
    )
    meta = {
        "fingerprint": verdict.fingerprint,
        "verdict": "unchanged" if verdict.unchanged else "changed",
        "reason": verdict.reason,
        "previous_release": verdict.previous_release or "",
        "input_files": len(files),
        "files_new": MetadataValue.json(verdict.files_new[:50]),
        "files_superseded": MetadataValue.json(verdict.files_gone[:50]),
    }
    if not verdict.unchanged:
        yield MaterializeResult(metadata=meta)
        return
    rec = publish.record_unchanged(
        settings.paths,
        run_id=context.run_id,
        as_of=settings.as_of_date,
        checks=run_check_outcomes(context.instance, context.run_id),
        verdict=verdict,
        files=files,
    )
    context.log.info(f"release {rec['release_id']}: unchanged ({verdict.reason}); the rest of the night is skipped")


dbt_layers = all_dbt_assets()
_upstream = [k for a in [*ingest_assets, *dbt_layers, scenario_model] for k in a.keys]


@asset(
    key=RELEASE_KEY,
    deps=_upstream,
    group_name="publish",
    owners=["team:finance"],
    kinds={"duckdb"},
    description="Write-audit-publish: when every blocking check of the run passed, swap a new "
    "`published/roi.duckdb` in by atomic rename and record the release in `audit.releases`.",
)
def published_roi(context: AssetExecutionContext, settings: RoiSettings):
    checks = run_check_outcomes(context.instance, context.run_id)
    rec = publish.publish_release(
        settings.paths,
        run_id=context.run_id,
        as_of=settings.as_of_date,
        checks=checks,
        manifest_path=dbt_project().manifest_path,
        trust_stats=not settings.full_refresh,
    )
    meta = {
        "release_id": rec["release_id"],
        "status": rec["status"],
        "published_file": MetadataValue.path(str(settings.paths.published_db)),
        "published_sha256": rec.get("published_sha256") or "",
        "checks_evaluated": len(checks),
    }
    if rec["status"] == "blocked":
        raise Failure(
            description=f"release {rec['release_id']} blocked by "
            f"{', '.join(f'{c.asset}:{c.check}' for c in checks if c.blocks)}",
            metadata=meta,
        )
    context.add_output_metadata(meta)


nightly_job = define_asset_job(
    NIGHTLY_JOB,
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Ingest every dataset, build and test the dbt layers, publish when every gate passes.",
)

_schedule = schedule_settings()
nightly_schedule = ScheduleDefinition(
    name="nightly_schedule",
    job=nightly_job,
    cron_schedule=_schedule.cron,
    execution_timezone=_schedule.timezone,
    default_status=DefaultScheduleStatus.STOPPED,
    description="The nightly run (cron `ROI_LEDGER_SCHEDULE_CRON`, default 02:30, timezone "
    "`ROI_LEDGER_SCHEDULE_TZ`, default UTC). Start it in the UI or with `dagster schedule start`.",
)


defs = Definitions(
    assets=[*ingest_assets, night_fingerprint, *dbt_layers, scenario_model, published_roi],
    asset_checks=gx_asset_checks,
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=run_end_sensors(nightly_job),
    resources={"settings": RoiSettings(), "dbt": dbt_resource()},
    executor=in_process_executor,
)
