"""Run-status sensors that write the OpenLineage events of nightly runs the daemon launched.

The CLI writes the events of its own in-process runs right after they end; runs started by the schedule (or the
UI) end in the daemon, so these sensors write theirs. A run seen by both (the CLI with ``DAGSTER_HOME`` set while
the daemon runs) gets the same file twice: the writer is deterministic and replaces the file atomically.

Register all of :data:`OPENLINEAGE_SENSORS` in the ``Definitions``. They read the data directory from the run's
``settings`` resource config, as ``record_blocked_release`` does.
"""

from dagster import (
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    run_failure_sensor,
    run_status_sensor,
)

from orchestration.settings import RoiSettings


def _write_for(context: RunStatusSensorContext, run: DagsterRun) -> None:
    # Imported here: orchestration.definitions imports this module to register the sensors.
    from orchestration.definitions import NIGHTLY_JOB, defs
    from orchestration.lineage.openlineage import write_run_events

    if run.job_name != NIGHTLY_JOB:
        return
    settings = RoiSettings.of_run(run.run_config)
    path = write_run_events(context.instance, run.run_id, settings.paths, defs)
    context.log.info(f"OpenLineage events of run {run.run_id}: {path}")


@run_status_sensor(run_status=DagsterRunStatus.SUCCESS, name="openlineage_on_success",
                   default_status=DefaultSensorStatus.RUNNING,
                   description="Write the OpenLineage events (DIR/audit/openlineage/<run_id>.jsonl) of a nightly "
                               "run that succeeded.")
def openlineage_on_success(context: RunStatusSensorContext):
    _write_for(context, context.dagster_run)


@run_failure_sensor(name="openlineage_on_failure", default_status=DefaultSensorStatus.RUNNING,
                    description="Write the OpenLineage events (DIR/audit/openlineage/<run_id>.jsonl) of a nightly "
                                "run that failed or was blocked.")
def openlineage_on_failure(context: RunFailureSensorContext):
    _write_for(context, context.dagster_run)


@run_status_sensor(run_status=DagsterRunStatus.CANCELED, name="openlineage_on_canceled",
                   default_status=DefaultSensorStatus.RUNNING,
                   description="Write the OpenLineage events (DIR/audit/openlineage/<run_id>.jsonl) of a nightly "
                               "run that was canceled.")
def openlineage_on_canceled(context: RunStatusSensorContext):
    _write_for(context, context.dagster_run)


#: Every sensor of this module, to register in the ``Definitions``.
OPENLINEAGE_SENSORS = (openlineage_on_success, openlineage_on_failure, openlineage_on_canceled)
