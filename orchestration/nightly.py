"""One night, in process: the preflight, then the nightly Dagster job, then its end recorded.

The CLI's ``run`` and ``demo`` call :func:`execute_nightly`; the daemon's schedule runs the same job through
Dagster (its end recorded by the run-status sensors of :mod:`orchestration.run_end`). Dagster is imported only
when a run starts: an empty night is decided before it (:mod:`orchestration.preflight`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from orchestration.scenarios.model import DEFAULT_ITERATIONS, DEFAULT_SEED
from orchestration.settings import Paths


def ensure_manifest() -> None:
    """Prepare the dbt manifest before the definitions are loaded (never done at import)."""
    from orchestration.dbt import prepare_manifest
    from orchestration.preflight import manifest_stale

    if manifest_stale():
        prepare_manifest()


def scenario_run_config(seed: int | None, iterations: int | None) -> dict[str, Any]:
    """Run config of the scenario model op (empty: its defaults) (pure: tested)."""
    cfg = {k: v for k, v in (("seed", seed), ("iterations", iterations)) if v is not None}
    return {"ops": {"scenario_model": {"config": cfg}}} if cfg else {}


def execute_nightly(
    paths: Paths,
    as_of: date | None,
    *,
    log_level: str = "WARNING",
    verbose: bool = False,
    scenario_seed: int | None = None,
    scenario_iterations: int | None = None,
    full_refresh: bool = False,
    preflight: bool = True,
) -> dict[str, Any]:
    """Run the nightly job in process; return its outcome (status, release record, checks, errors).

    First, unless ``preflight`` is off, :mod:`orchestration.preflight`: a night that would land nothing and
    whose fingerprint equals the last published release's is recorded ``unchanged`` without a Dagster run
    (outcome ``run_id`` None, ``preflight`` the reason); otherwise the run's log says why the night runs.

    Raises :class:`~orchestration.runguard.RunRefused` before anything runs when another run holds the data
    directory or another process holds the build database."""
    from orchestration.runguard import run_session

    as_of = as_of or datetime.now(UTC).date()
    cleaned: list[str] = []
    with run_session(paths, cleaned.append):  # the run lock, held until the outcome is recorded
        if preflight:
            early = _preflight(paths, as_of, scenario_seed, scenario_iterations, full_refresh)
            if early.unchanged:
                return {
                    "run_id": None,
                    "checks": [],
                    "release": early.release,
                    "errors": [],
                    "status": "ok",
                    "log": None,
                    "openlineage": None,
                    "preflight": early.reason,
                }
            cleaned.append(f"night runs: {early.reason}")
        return _execute_nightly(
            paths,
            as_of,
            cleaned,
            log_level=log_level,
            verbose=verbose,
            scenario_seed=scenario_seed,
            scenario_iterations=scenario_iterations,
            full_refresh=full_refresh,
        )


def _preflight(paths: Paths, as_of: date, seed: int | None, iterations: int | None, full_refresh: bool) -> Any:
    from orchestration import preflight
    from orchestration.nightgate import scenario_parameters
    from orchestration.scenarios.run import MODEL_VERSION

    scenario = scenario_parameters(
        DEFAULT_SEED if seed is None else seed, DEFAULT_ITERATIONS if iterations is None else iterations, MODEL_VERSION
    )
    return preflight.check(paths, as_of=as_of, scenario=scenario, full_refresh=full_refresh)


def _execute_nightly(
    paths: Paths,
    as_of: date | None,
    cleaned: list[str],
    *,
    log_level: str,
    verbose: bool,
    scenario_seed: int | None,
    scenario_iterations: int | None,
    full_refresh: bool,
) -> dict[str, Any]:
    ensure_manifest()
    from dagster import DagsterEventType, DagsterInstance

    from orchestration import publish
    from orchestration.definitions import NIGHTLY_JOB, defs

    as_of = as_of or datetime.now(UTC).date()
    paths.ensure()
    home = os.environ.get("DAGSTER_HOME")
    if home:  # runs recorded where `dagster dev` (make dev) shows them
        Path(home).mkdir(parents=True, exist_ok=True)
        instance = DagsterInstance.get()
    else:
        instance = DagsterInstance.ephemeral()
    run_config = {
        "resources": {
            "settings": {
                "config": {"data_dir": str(paths.data_dir), "as_of": as_of.isoformat(), "full_refresh": full_refresh}
            }
        },
        "loggers": {"console": {"config": {"log_level": log_level}}},
        **scenario_run_config(scenario_seed, scenario_iterations),
    }
    job = defs.resolve_job_def(NIGHTLY_JOB)
    log_dir = paths.run_log_dir
    log_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_path = log_dir / "last_run.log"
    # dagster-dbt echoes every dbt event on stdout: keep it in the run log unless asked to show it.
    with (
        os.fdopen(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as log,
        contextlib.redirect_stdout(sys.stdout if verbose else log),
    ):
        for line in cleaned:
            print(f"roi-ledger: {line}", file=log, flush=True)
        result = job.execute_in_process(run_config=run_config, instance=instance, raise_on_error=False)
    from orchestration.run_end import on_run_end  # the release and lineage of every run, even failed

    end = on_run_end(instance, result.run_id, paths, defs)
    run_id = result.run_id
    outcome: dict[str, Any] = {
        "run_id": run_id,
        "checks": end.checks,
        "release": end.release,
        "errors": [],
        "log": str(log_path),
        "openlineage": str(end.openlineage),
        "status": end.status,
    }
    if end.status == "ok":
        outcome["release"] = next((r for r in publish.list_releases(paths) if r["run_id"] == run_id), None)
    if end.status != "failed":
        return outcome
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE):
        err = entry.dagster_event.step_failure_data.error
        if err is not None and err.cls_name == "DagsterExecutionInterruptedError":
            outcome["errors"].append(f"{entry.step_key}: interrupted (SIGINT or SIGTERM)")
            continue
        outcome["errors"].append(f"{entry.step_key}: {err.message.strip() if err else 'failed'}")
    return outcome
