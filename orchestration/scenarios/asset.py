"""The scenario model as a Dagster asset, between the spine/ledger layer and the portfolio layer of dbt.

It reads ``intermediate.int_scenarios__inputs`` (user scenarios, the default library and the observed figures,
resolved in SQL), runs :func:`orchestration.scenarios.run.run_scenarios`, and replaces the tables of schema
``scenario_model`` in the build database in one transaction. The dbt models of ``models/portfolio`` read them as
the source ``scenario_model`` (whose tables map to this asset), type them under contracts and publish them as
``marts.fct_roi_scenarios``, ``marts.fct_roi_scenario_sensitivity`` and ``marts.fct_roi_scenario_quarantine``, and
roll the defensive intervals into ``marts.fct_roi_portfolio``.
"""

from typing import Any

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    Config,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)
from pydantic import Field

from orchestration.resources import RoiSettings
from orchestration.scenarios.model import DEFAULT_ITERATIONS, DEFAULT_SEED, MIN_ITERATIONS
from orchestration.scenarios.run import MODEL_VERSION, ScenarioRun, run_scenarios
from orchestration.settings import connect_duckdb

INPUTS_KEY = AssetKey(["intermediate", "int_scenarios__inputs"])
SCHEMA = "scenario_model"

_STATS = ("mean", "p5", "p10", "p50", "p90", "p95", "mean_se")
_MEASURES = ("baseline_loss", "residual_loss", "avoided_loss", "net_benefit")

TABLES: dict[str, list[tuple[str, str]]] = {
    "scenario_results": [
        ("scenario_id", "VARCHAR"),
        ("ai_system_id", "VARCHAR"),
        ("ledger", "VARCHAR"),
        ("scenario_description", "VARCHAR"),
        ("input_origin", "VARCHAR"),
        ("currency", "VARCHAR"),
        ("iterations", "INTEGER"),
        ("seed", "BIGINT"),
        ("model_version", "VARCHAR"),
        *[(f"{m}_{s}", "DOUBLE") for m in _MEASURES for s in _STATS],
        ("p_net_negative", "DOUBLE"),
        ("p_avoided_exceeds_cost", "DOUBLE"),
        ("expected_baseline_loss_closed_form", "DOUBLE"),
        ("frequency_model", "VARCHAR"),
        ("frequency_low", "DOUBLE"),
        ("frequency_mode", "DOUBLE"),
        ("frequency_high", "DOUBLE"),
        ("loss_low_90", "DECIMAL(38,18)"),
        ("loss_high_90", "DECIMAL(38,18)"),
        ("control_efficacy", "DOUBLE"),
        ("loss_reduction", "DOUBLE"),
        ("annual_control_cost", "DECIMAL(38,18)"),
        ("horizon_years", "INTEGER"),
        ("incident_category", "VARCHAR"),
        ("use_observed", "VARCHAR"),
        ("frequency_observed", "BOOLEAN"),
        ("loss_observed", "BOOLEAN"),
        ("control_cost_observed", "BOOLEAN"),
        ("frequency_source", "VARCHAR"),
        ("loss_source", "VARCHAR"),
        ("control_source", "VARCHAR"),
        ("control_cost_source", "VARCHAR"),
        ("_source_file", "VARCHAR"),
        ("_line", "BIGINT"),
    ],
    "scenario_sensitivity": [
        ("scenario_id", "VARCHAR"),
        ("ai_system_id", "VARCHAR"),
        ("currency", "VARCHAR"),
        ("input_name", "VARCHAR"),
        ("bound_basis", "VARCHAR"),
        ("input_low", "DOUBLE"),
        ("input_high", "DOUBLE"),
        ("net_benefit_mean_base", "DOUBLE"),
        ("net_benefit_mean_at_low", "DOUBLE"),
        ("net_benefit_mean_at_high", "DOUBLE"),
        ("swing", "DOUBLE"),
        ("swing_rank", "INTEGER"),
        ("iterations", "INTEGER"),
        ("seed", "BIGINT"),
    ],
    "scenario_rollups": [
        ("rollup_level", "VARCHAR"),
        ("ai_system_id", "VARCHAR"),
        ("ledger", "VARCHAR"),
        ("currency", "VARCHAR"),
        ("scenario_count", "INTEGER"),
        ("scenario_ids", "VARCHAR"),
        ("annual_control_cost", "DOUBLE"),
        ("iterations", "INTEGER"),
        ("seed", "BIGINT"),
        *[(f"{m}_{s}", "DOUBLE") for m in ("avoided_loss", "net_benefit") for s in ("mean", "p5", "p50", "p95")],
        ("p_net_negative", "DOUBLE"),
    ],
    "scenario_quarantine": [
        ("scenario_id", "VARCHAR"),
        ("ai_system_id", "VARCHAR"),
        ("input_origin", "VARCHAR"),
        ("source_file", "VARCHAR"),
        ("line", "BIGINT"),
        ("column_name", "VARCHAR"),
        ("reason", "VARCHAR"),
    ],
    "run_parameters": [
        ("seed", "BIGINT"),
        ("iterations", "INTEGER"),
        ("model_version", "VARCHAR"),
        ("scenarios_simulated", "INTEGER"),
        ("scenario_rows_quarantined", "INTEGER"),
    ],
}


class ScenarioConfig(Config):
    """Run config of the scenario model (the seed and iterations are stored with every output row)."""

    seed: int = Field(default=DEFAULT_SEED, ge=0, description="Root seed; each scenario gets a child stream.")
    iterations: int = Field(
        default=DEFAULT_ITERATIONS,
        ge=MIN_ITERATIONS,
        description=f"Simulated years per scenario (at least {MIN_ITERATIONS:,}).",
    )


def read_inputs(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cur = con.execute("SELECT * FROM intermediate.int_scenarios__inputs ORDER BY scenario_id, _source_file, _line")
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def write_run(con: duckdb.DuckDBPyConnection, run: ScenarioRun) -> None:
    """Replace every table of schema ``scenario_model`` in one transaction (a re-run leaves the same rows)."""
    rows_by_table = {
        "scenario_results": run.results,
        "scenario_sensitivity": run.sensitivities,
        "scenario_rollups": run.rollups,
        "scenario_quarantine": run.quarantine,
        "run_parameters": [
            {
                "seed": run.seed,
                "iterations": run.iterations,
                "model_version": MODEL_VERSION,
                "scenarios_simulated": len(run.results),
                "scenario_rows_quarantined": len(run.quarantine),
            }
        ],
    }
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        for table, columns in TABLES.items():
            con.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{table} (" + ", ".join(f"{c} {t}" for c, t in columns) + ")")
            rows = rows_by_table[table]
            if rows:
                names = [c for c, _ in columns]
                con.executemany(
                    f"INSERT INTO {SCHEMA}.{table} VALUES ({', '.join('?' * len(names))})",
                    [[r.get(c) for c in names] for r in rows],
                )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


_DESCRIPTIONS = {
    "scenario_results": "One row per simulated scenario: intervals, probabilities, inputs and their sources.",
    "scenario_sensitivity": "One-at-a-time swings of each scenario's mean net benefit (tornado chart).",
    "scenario_rollups": "Scenario draws added up per AI system x ledger x currency, and per ledger x currency.",
    "scenario_quarantine": "Scenario rows refused, one row per problem, with file, line, column and reason.",
    "run_parameters": "Seed, iterations and model version of the run.",
}
SCENARIO_KEYS = {table: AssetKey([SCHEMA, table]) for table in TABLES}
RESULTS_KEY = SCENARIO_KEYS["scenario_results"]


@multi_asset(
    name=SCHEMA,
    specs=[
        AssetSpec(
            key,
            deps=[INPUTS_KEY],
            group_name=SCHEMA,
            owners=["team:security"],
            kinds={"python", "duckdb"},
            description=_DESCRIPTIONS[table],
        )
        for table, key in SCENARIO_KEYS.items()
    ],
    check_specs=[
        AssetCheckSpec(
            "no_scenario_quarantined",
            asset=RESULTS_KEY,
            description="Warns when a scenario row was quarantined (the others still ran).",
        ),
        AssetCheckSpec(
            "every_sanctioned_system_simulated",
            asset=RESULTS_KEY,
            description="Warns when a sanctioned AI system has no simulated scenario.",
        ),
    ],
)
def scenario_model(context: AssetExecutionContext, config: ScenarioConfig, settings: RoiSettings):
    """Monte Carlo of every scenario (docs/METHOD.md section 4): one coupled event stream per scenario,
    intervals, one-at-a-time sensitivities and per-system rollups; impossible scenarios are quarantined with
    their reason and never stop the others. All five tables are replaced together, in one transaction."""
    paths = settings.paths
    con = connect_duckdb(paths.build_db)
    try:
        rows = read_inputs(con)
        run = run_scenarios(rows, seed=config.seed, iterations=config.iterations)
        write_run(con, run)
        sanctioned = {
            r[0] for r in con.execute("SELECT ai_system_id FROM marts.dim_ai_system WHERE is_sanctioned").fetchall()
        }
    finally:
        con.close()
    simulated = {r["ai_system_id"] for r in run.results}
    uncovered = sorted(sanctioned - simulated)
    reasons = [
        f"{q['source_file']}:{q['line'] or '-'} {q['scenario_id']} [{q['column_name']}] {q['reason']}"
        for q in run.quarantine
    ]
    context.log.info(
        f"scenario model: {len(run.results)} scenario(s) simulated x {config.iterations:,} "
        f"iterations, seed {config.seed}; {len(run.quarantine)} quarantine row(s)"
    )
    for reason in reasons:
        context.log.warning(f"scenario quarantined: {reason}")
    counts = {
        "scenario_results": len(run.results),
        "scenario_sensitivity": len(run.sensitivities),
        "scenario_rollups": len(run.rollups),
        "scenario_quarantine": len(run.quarantine),
        "run_parameters": 1,
    }
    for table, key in SCENARIO_KEYS.items():
        yield MaterializeResult(
            asset_key=key,
            metadata={
                "rows": counts[table],
                "seed": config.seed,
                "iterations": config.iterations,
                "model_version": MODEL_VERSION,
            },
        )
    yield AssetCheckResult(
        asset_key=RESULTS_KEY,
        check_name="no_scenario_quarantined",
        passed=not run.quarantine,
        severity=AssetCheckSeverity.WARN,
        metadata={"quarantined": len(run.quarantine), "reasons": MetadataValue.text("\n".join(reasons[:50]))},
    )
    yield AssetCheckResult(
        asset_key=RESULTS_KEY,
        check_name="every_sanctioned_system_simulated",
        passed=not uncovered,
        severity=AssetCheckSeverity.WARN,
        metadata={
            "sanctioned_systems": len(sanctioned),
            "without_scenario": len(uncovered),
            "systems": ", ".join(uncovered),
        },
    )
