"""The end of a nightly run, whoever ran it: one function records what every ended run leaves behind.

A run ends in one of two processes: ``roi-ledger run`` executes the job in process and handles its end itself;
a run the schedule or the UI launched ends in the daemon, where run-status sensors see it. Both call
:func:`on_run_end`, so both record the same things by the same rules:

- a run stopped by blocking checks is recorded as a ``blocked`` release (the last published file untouched);
- every run, whatever its status, gets its OpenLineage events (``DIR/audit/openlineage/<run_id>.jsonl``).

A run seen by both (the CLI with ``DAGSTER_HOME`` set while the daemon runs) is handled twice, harmlessly: a
blocked release is recorded once per run id, and the events file is written deterministically and replaced
atomically.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster import (
    DagsterInstance,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunStatusSensorContext,
    SensorDefinition,
    run_status_sensor,
)

from orchestration import publish
from orchestration.check_outcomes import CheckOutcome, run_check_outcomes
from orchestration.lineage.run_events import write_run_events
from orchestration.resources import RoiSettings
from orchestration.settings import Paths

#: Statuses a run ends in, each watched by one sensor of :func:`run_end_sensors`.
ENDED = (DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED)


@dataclass
class RunEnd:
    """What :func:`on_run_end` recorded for one run."""

    status: str
    """``ok`` (the run succeeded: it published or recorded its release itself), ``blocked`` (blocking checks
    stopped it: ``release`` is the blocked record) or ``failed`` (it failed, was interrupted or canceled)."""
    checks: list[CheckOutcome]
    release: dict[str, Any] | None
    openlineage: Path


def on_run_end(instance: DagsterInstance, run_id: str, paths: Paths, repository: Any) -> RunEnd:
    """Record the end of the nightly run ``run_id`` over the data directory ``paths``: a blocked release when
    blocking checks stopped it, then its OpenLineage events (``repository``: the ``Definitions`` or
    ``RepositoryDefinition`` its job came from, whose asset graph names the events' datasets)."""
    from orchestration.dbt import dbt_project

    run = instance.get_run_by_id(run_id)
    if run is None:
        raise ValueError(f"no run {run_id} in this Dagster instance")
    checks = run_check_outcomes(instance, run_id)
    status, release = ("ok" if run.status == DagsterRunStatus.SUCCESS else "failed"), None
    if status == "failed":
        release = publish.record_blocked_run(
            paths,
            run_id=run_id,
            as_of=RoiSettings.of_run(run.run_config).as_of_date,
            checks=checks,
            manifest_path=dbt_project().manifest_path,
        )
        status = "failed" if release is None else "blocked"
    return RunEnd(status, checks, release, write_run_events(instance, run_id, paths, repository))


def run_end_sensors(job: Any) -> list[SensorDefinition]:
    """The sensors that hand every ended run of ``job`` to :func:`on_run_end` in the daemon: one per ended
    status (Dagster's run-status sensors watch one status each), all with the same handler and the same
    filter (``monitored_jobs``). The data directory is the one of the run's ``settings`` resource config."""

    def handle(context: RunStatusSensorContext) -> None:
        run = context.dagster_run
        end = on_run_end(context.instance, run.run_id, RoiSettings.of_run(run.run_config).paths, context.repository_def)
        context.log.info(
            f"run {run.run_id} ended {end.status}: OpenLineage events {end.openlineage}"
            + (f", release {end.release['release_id']} blocked" if end.release else "")
        )

    return [
        run_status_sensor(
            run_status=status,
            monitored_jobs=[job],
            name=f"{job.name}_ended_{status.value.lower()}",
            default_status=DefaultSensorStatus.RUNNING,
            description=f"A {job.name} run that ended {status.value.lower()} (launched by the schedule or the UI): "
            f"a blocked release when blocking checks stopped it, and its OpenLineage events "
            f"(DIR/audit/openlineage/<run_id>.jsonl).",
        )(handle)
        for status in ENDED
    ]
