"""Lineage for auditors: OpenLineage run events of every nightly run, written beside the data, and the trace of
one published row back to its raw lines (:mod:`orchestration.lineage.trace`, ``roi-ledger trace``).

:mod:`orchestration.lineage.openlineage` builds the events from a finished run's Dagster event log and the asset
graph, and writes ``DIR/audit/openlineage/<run_id>.jsonl`` for every ended run
(:func:`orchestration.run_end.on_run_end`, called by the CLI and by the run-status sensors of daemon runs).
"""
