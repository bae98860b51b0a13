"""Great Expectations gates: suites versioned in the repository, run as blocking Dagster asset checks.

- :mod:`~orchestration.quality.suites` generates the suites (JSON under ``suites/``) from the dataset
  registry (one per landed dataset) and from the mart gates (:mod:`~orchestration.quality.marts`);
  ``make generate`` (:mod:`orchestration.codegen`) rewrites them, ``--check`` reports drift.
- :mod:`~orchestration.quality.gx_duckdb` is the one place that adapts GX 1.x to DuckDB (a persisted
  connection; without it every SQL expectation silently fails) and builds the ephemeral GX context.
- :mod:`~orchestration.quality.runner` validates suites in SQL against the build database, opened read-only,
  stores every result under ``DIR/audit/gx/<run_id>/`` and renders Data Docs under ``DIR/audit/data_docs/``.
- :mod:`~orchestration.quality.volume` keeps the per-run landing row counts (``audit.gate_volumes``) that the
  volume rule compares with.
- :mod:`~orchestration.quality.checks` holds the Dagster multi-asset checks (blocking) wired into the
  ``Definitions``.

Thresholds are dbt vars in ``dbt_project/dbt_project.yml`` (:mod:`~orchestration.quality.thresholds`), the
one configuration the dbt gates read too.
"""
