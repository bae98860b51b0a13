"""The GX gates as blocking Dagster asset checks (no ``from __future__ import annotations`` here: Dagster
inspects the context annotation).

Two multi-asset checks, each one step, one GX context and one read-only connection for all its suites:

- ``gx_landing_gates``, after the ingest steps, on every ``landing/<system>/<dataset>``:
  ``gx_contract`` (the registry suite: columns, required values, allowed values, ranges, natural key) and
  ``gx_volume`` (row count against the last successful run; counts recorded in ``audit.gate_volumes``);
- ``gx_mart_gates``, after the marts layer: ``gx_attribution_coverage`` on ``marts/fct_attribution_coverage``,
  ``gx_cost_separation`` on ``marts/fct_cost_lines``, ``gx_usage_cost_reconciles`` on ``marts/fct_ai_usage``,
  ``gx_one_claim_per_benefit`` on ``intermediate/int_roi__benefit_claim_conflicts``.

Blocking: the steps downstream of a checked asset (dbt staging after the landing gates; the scenario model
and portfolio after the mart gates; the release step after all) wait for the check and do not run when it
fails with ERROR severity, so the release is recorded ``blocked`` and the published file stays untouched.
Each result's metadata carries the observed values, the failing expectations and the path of the stored
GX result, which the release record (``audit.releases.checks``) keeps.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    multi_asset_check,
)

from orchestration.datasets import DATASETS, Dataset
from orchestration.ingest.assets import landing_asset_key
from orchestration.ingest.landing import landed_files
from orchestration.nightgate import pipeline_code_checksum
from orchestration.quality import runner, suites, thresholds, volume
from orchestration.quality.marts import MART_GATES, MartGate
from orchestration.resources import RoiSettings
from orchestration.settings import Paths, connect_duckdb, release_retention

CONTRACT_CHECK = "gx_contract"
VOLUME_CHECK = "gx_volume"
VOLUME_VAR = "gate_volume_drop_max"


def audit_dir(paths: Paths) -> Path:
    """``DIR/audit``: GX results (``gx/<run_id>/``) and Data Docs (``data_docs/``)."""
    return paths.audit_dir


def _failed_text(failed: list[runner.ExpectationOutcome]) -> str:
    return "; ".join(e.describe() for e in failed)


def _paths_metadata(outcome: runner.SuiteOutcome, index: Path | None) -> dict[str, Any]:
    meta: dict[str, Any] = {"suite": outcome.suite}
    if outcome.reuse_note:
        meta["reuse_note"] = outcome.reuse_note
    if outcome.result_path is not None:
        meta["result_path"] = MetadataValue.path(str(outcome.result_path))
    if index is not None:
        meta["data_docs"] = MetadataValue.path(str(index))
    return meta


def _contract_result(ds: Dataset, outcome: runner.SuiteOutcome, index: Path | None) -> AssetCheckResult:
    evaluated = outcome.of_gate(suites.LANDING_GATE)
    failed = outcome.failed(suites.LANDING_GATE)
    meta: dict[str, Any] = {}
    if failed:
        meta["failed_expectations"] = _failed_text(failed)
    meta.update(
        {
            "expectations_evaluated": len(evaluated),
            "expectations_failed": len(failed),
            "unexpected_values": sum(e.unexpected_count or 0 for e in failed),
        }
    )
    return AssetCheckResult(
        asset_key=landing_asset_key(ds),
        check_name=CONTRACT_CHECK,
        passed=not failed,
        severity=AssetCheckSeverity.ERROR,
        metadata={**meta, **_paths_metadata(outcome, index)},
    )


def _volume_verdict(
    ds: Dataset,
    outcome: runner.SuiteOutcome,
    baseline: volume.Baseline | None,
    minimum: int,
    drop_max: float,
    run_id: str,
) -> tuple[bool, dict[str, Any], volume.VolumeRecord | None]:
    """(passed, metadata, the row to record) of ``gx_volume``, from the GX row-count expectation."""
    (expectation,) = outcome.of_gate(suites.VOLUME_GATE)
    rows = expectation.observed if isinstance(expectation.observed, int) else None
    passed = expectation.success and rows is not None
    meta: dict[str, Any] = {}
    if rows is None:
        meta["reason"] = f"{ds.table}: row count not computed ({expectation.error or 'no observed value'})"
    elif baseline is not None:
        drop = (baseline.row_count - rows) / baseline.row_count if baseline.row_count else 0.0
        if not passed:
            meta["reason"] = (
                f"{ds.table}: {rows:,} rows, {drop:.1%} fewer than the {baseline.row_count:,} of run "
                f"{baseline.run_id[:8]} (the last successful); {VOLUME_VAR} allows {drop_max:.0%}"
            )
        meta.update(previous_row_count=baseline.row_count, drop_share=round(drop, 6), previous_run_id=baseline.run_id)
    if rows is not None:
        meta["observed_row_count"] = rows
    meta.update(
        min_row_count=minimum,
        gate_volume_drop_max=drop_max,
        baseline="last successful run" if baseline else "none: no successful run yet",
    )
    record = (
        None
        if rows is None
        else volume.VolumeRecord(
            run_id=run_id,
            dataset=ds.key,
            landing_table=ds.table,
            row_count=rows,
            previous=baseline,
            min_row_count=minimum,
            passed=passed,
        )
    )
    return passed, meta, record


LANDING_SPECS = [
    spec
    for ds in DATASETS
    for spec in (
        AssetCheckSpec(
            CONTRACT_CHECK,
            asset=landing_asset_key(ds),
            blocking=True,
            description=f"GX suite `{suites.landing_suite_name(ds)}` generated from the registry: "
            "columns, required and allowed values, ranges, natural key "
            f"({', '.join(ds.natural_key)}).",
        ),
        AssetCheckSpec(
            VOLUME_CHECK,
            asset=landing_asset_key(ds),
            blocking=True,
            description=f"GX: `{ds.table}` keeps at least (1 - dbt var {VOLUME_VAR}) of the rows "
            "recorded by the last successful run.",
        ),
    )
]


def reuse_key(suite: dict[str, Any], parameters: dict[str, Any], files: list[tuple[str, str]], rows: int) -> str:
    """Everything a landing suite's outcome depends on: the suite, its parameters, the landed files (a landing
    file never changes once written: same files, same rows) and the landing's row count (a cheap second witness,
    read from the Parquet footers), the pipeline's code (ingest rules, the GX runner) and GX's version. An
    earlier outcome with the same key is that outcome again (:func:`runner.reusable`): a night that landed
    nothing new re-validates nothing."""
    from importlib.metadata import version

    text = json.dumps(
        {
            "suite": suite,
            "parameters": parameters,
            "files": files,
            "rows": rows,
            "code": pipeline_code_checksum(),
            "gx": version("great_expectations"),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def volume_still_passes(outcome: runner.SuiteOutcome, minimum: int) -> str | None:
    """Why a landing suite's earlier outcome, validated with another volume minimum, stands for ``minimum``; None
    when it does not (pure: tested). The minimum moves after every night whose counts changed (it follows the
    last successful run), while the landed files, and so every other expectation and the row count, stay; the
    row-count expectation's verdict is then this night's when it passed and its observed count, this night's
    (the loose key holds it), still reaches ``minimum``. A failing verdict is never carried over: a gate that
    blocks is validated by GX itself."""
    volume_expectations = outcome.of_gate(suites.VOLUME_GATE)
    if len(volume_expectations) != 1:
        return None
    (expectation,) = volume_expectations
    rows = expectation.observed
    if not (expectation.success and isinstance(rows, int) and not isinstance(rows, bool) and rows >= minimum):
        return None
    return (
        f"the same files and {rows:,} rows, validated with another volume minimum; "
        f"{rows:,} rows reach this night's minimum of {minimum:,}"
    )


def landing_gate_results(paths: Paths, run_id: str, datasets: tuple[Dataset, ...] = DATASETS) -> list[AssetCheckResult]:
    """``gx_contract`` and ``gx_volume`` of every dataset in ``datasets``; records this run's counts in
    ``audit.gate_volumes`` before returning, so a blocked night keeps its evidence."""
    drop_max = thresholds.share(VOLUME_VAR)
    con = connect_duckdb(paths.build_db, read_only=True)
    try:
        baselines = volume.baselines(con)
        files = {ds.key: landed_files(con, ds) for ds in datasets}
        rows = {ds.key: con.execute(f"SELECT count(*) FROM {ds.table}").fetchall()[0][0] for ds in datasets}
    finally:
        con.close()
    committed = {name: suites.load(name) for name in suites.all_suites()}
    names = {ds.key: suites.landing_suite_name(ds) for ds in datasets}
    minimums = {
        ds.key: volume.min_row_count(baselines[ds.key].row_count if ds.key in baselines else None, drop_max)
        for ds in datasets
    }
    parameters = {names[ds.key]: {suites.VOLUME_PARAMETER: minimums[ds.key]} for ds in datasets}
    keys = {
        names[ds.key]: reuse_key(committed[names[ds.key]], parameters[names[ds.key]], files[ds.key], rows[ds.key])
        for ds in datasets
    }
    loose = {names[ds.key]: reuse_key(committed[names[ds.key]], {}, files[ds.key], rows[ds.key]) for ds in datasets}
    minimum_of = {names[ds.key]: minimums[ds.key] for ds in datasets}
    outcomes = runner.reusable(
        audit_dir(paths),
        run_id,
        keys,
        loose=loose,
        accept=lambda name, outcome: volume_still_passes(outcome, minimum_of[name]),
    )
    todo = [committed[names[ds.key]] for ds in datasets if names[ds.key] not in outcomes]
    index: Path | None = runner.docs_dir(audit_dir(paths)) / "index.html"  # the site of the last validation
    index = index if index.is_file() else None
    if todo:
        validated, index = runner.validate(
            paths.build_db,
            todo,
            parameters,
            run_id=run_id,
            audit_dir=audit_dir(paths),
            documented=list(committed.values()),
        )
        outcomes.update(validated)
    runner.record_reusable(audit_dir(paths), run_id, keys, outcomes, loose=loose)
    results, records = [], []
    for ds in datasets:
        outcome = outcomes[names[ds.key]]
        results.append(_contract_result(ds, outcome, index))
        passed, meta, record = _volume_verdict(ds, outcome, baselines.get(ds.key), minimums[ds.key], drop_max, run_id)
        results.append(
            AssetCheckResult(
                asset_key=landing_asset_key(ds),
                check_name=VOLUME_CHECK,
                passed=passed,
                severity=AssetCheckSeverity.ERROR,
                metadata={**meta, **_paths_metadata(outcome, index)},
            )
        )
        if record is not None:
            records.append(record)
    con = connect_duckdb(paths.build_db)
    try:
        volume.record(con, records, datetime.now(UTC).replace(tzinfo=None))
    finally:
        con.close()
    runner.prune_results(audit_dir(paths), release_retention(), run_id)
    return results


def _mart_result(
    gate: MartGate, outcome: runner.SuiteOutcome, values: dict[str, float], index: Path | None
) -> AssetCheckResult:
    failed = outcome.failed()
    meta: dict[str, Any] = {}
    if failed:
        meta["failed_expectations"] = _failed_text(failed)
    for e in outcome.expectations:  # the summary's figures, observed through expect_column_min/max
        if e.column and e.type.startswith(("expect_column_min", "expect_column_max")) and e.observed is not None:
            meta[e.column] = e.observed
    meta.update({name: values[name] for name in gate.parameters})
    return AssetCheckResult(
        asset_key=AssetKey(list(gate.asset_key)),
        check_name=gate.check_name,
        passed=not failed,
        severity=AssetCheckSeverity.ERROR,
        metadata={**meta, **_paths_metadata(outcome, index)},
    )


MART_SPECS = [
    AssetCheckSpec(g.check_name, asset=AssetKey(list(g.asset_key)), blocking=True, description=g.description)
    for g in MART_GATES
]


def mart_gate_results(paths: Paths, run_id: str, gates: tuple[MartGate, ...] = MART_GATES) -> list[AssetCheckResult]:
    values = thresholds.gate_thresholds()
    committed = {name: suites.load(name) for name in suites.all_suites()}
    outcomes, index = runner.validate(
        paths.build_db,
        [committed[g.suite_name] for g in gates],
        {g.suite_name: {p: values[p] for p in g.parameters} for g in gates},
        run_id=run_id,
        audit_dir=audit_dir(paths),
        documented=list(committed.values()),
    )
    return [_mart_result(g, outcomes[g.suite_name], values, index) for g in gates]


def _gx_gates(
    name: str, specs: list[AssetCheckSpec], description: str, results: Callable[[Paths, str], list[AssetCheckResult]]
) -> AssetChecksDefinition:
    """One blocking multi-asset check over ``results`` (a pure function of the data directory and the run id,
    tested without Dagster): failed checks are logged with what failed, every result is yielded."""

    @multi_asset_check(specs=specs, name=name, description=description)
    def _check(context: AssetCheckExecutionContext, settings: RoiSettings):
        for result in results(settings.paths, context.run.run_id):
            if not result.passed:
                context.log.warning(
                    f"{result.asset_key.to_user_string()} {result.check_name}: "
                    f"{result.metadata.get('failed_expectations') or result.metadata.get('reason')}"
                )
            yield result

    return _check


gx_landing_gates = _gx_gates(
    "gx_landing_gates",
    LANDING_SPECS,
    "GX suites on every landed dataset (contract and volume), blocking.",
    landing_gate_results,
)
gx_mart_gates = _gx_gates(
    "gx_mart_gates",
    MART_SPECS,
    "GX suites on one-row SQL summaries of the mart release gates, blocking.",
    mart_gate_results,
)

gx_asset_checks = [gx_landing_gates, gx_mart_gates]
