"""Lineage for auditors: OpenLineage run events of every nightly run, written beside the data, and the trace of
one published row back to its raw lines (:mod:`orchestration.lineage.trace`, ``roi-ledger trace``).

:mod:`orchestration.lineage.openlineage` builds the events from a finished run's Dagster event log and the asset
graph, and writes ``DIR/audit/openlineage/<run_id>.jsonl``; :mod:`orchestration.lineage.sensors` does the same
for runs the daemon launched (the CLI calls the writer itself for its in-process runs).
"""
