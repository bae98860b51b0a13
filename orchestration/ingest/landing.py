"""DDL of the build database's landing and audit tables, derived from the dataset registry."""

from __future__ import annotations

import duckdb

from orchestration.datasets import DATASETS, FIELD_TYPES, Dataset

PROVENANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_source_file", "VARCHAR NOT NULL"),
    ("_file_sha256", "VARCHAR NOT NULL"),
    ("_line", "BIGINT NOT NULL"),
    ("_ingested_at", "TIMESTAMP NOT NULL"),
)

AUDIT_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.ingested_files (
    dataset VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,     -- 'unread' for a symbolic link refused unread
    file_bytes BIGINT NOT NULL,
    status VARCHAR NOT NULL,          -- landed | rejected | duplicate | superseded | withdrawn | unclaimed
    rows_read BIGINT NOT NULL,
    rows_accepted BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    message VARCHAR,
    ingested_at TIMESTAMP NOT NULL,
    run_id VARCHAR
);
-- Money per file, money field and currency: the file's own text, what landed, what was quarantined. Rows the
-- contract quarantined keep their amount here when it could be read; rows_unreadable counts amounts that
-- cannot be held exactly (or records that could not be split into fields). The money gates read this table.
CREATE TABLE IF NOT EXISTS audit.ingested_money (
    dataset VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    currency VARCHAR,                 -- NULL when the row has no currency (or could not be read)
    rows_read BIGINT NOT NULL,        -- rows with a readable amount, landed or not
    amount_read DECIMAL(38, 18) NOT NULL,
    rows_landed BIGINT NOT NULL,
    amount_landed DECIMAL(38, 18) NOT NULL,
    rows_quarantined BIGINT NOT NULL, -- quarantined rows with a readable amount
    amount_quarantined DECIMAL(38, 18) NOT NULL,
    amount_quarantined_abs DECIMAL(38, 18) NOT NULL,
    rows_unreadable BIGINT NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    run_id VARCHAR
);
-- Secrets found in landed text and replaced by [REDACTED:<kind>], per file, column and kind (the values are
-- never stored anywhere; _message: the file's rejection message, _raw_record: a record the reader could not split).
CREATE TABLE IF NOT EXISTS audit.redactions (
    dataset VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    matches BIGINT NOT NULL,
    ingested_at TIMESTAMP NOT NULL,
    run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS audit.quarantine (
    dataset VARCHAR NOT NULL,
    source_file VARCHAR NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    line BIGINT,                      -- NULL when the whole file is quarantined
    column_name VARCHAR,              -- NULL for record- or file-level reasons
    reason VARCHAR NOT NULL,
    raw_record VARCHAR,
    quarantined_at TIMESTAMP NOT NULL,
    run_id VARCHAR
);
CREATE TABLE IF NOT EXISTS audit.releases (
    release_id VARCHAR NOT NULL,
    run_id VARCHAR,
    as_of DATE,
    status VARCHAR NOT NULL,          -- published | blocked | unchanged
    failed_checks VARCHAR,            -- JSON array of {check, asset, reason}
    checks VARCHAR,                   -- JSON array of every check evaluated
    input_files VARCHAR,              -- JSON array of {dataset, source_file, file_sha256}
    input_fingerprint VARCHAR NOT NULL,
    row_counts VARCHAR,               -- JSON object table -> rows
    published_sha256 VARCHAR,
    created_at TIMESTAMP NOT NULL,
    code_version VARCHAR,             -- git commit of the code (+dirty when the checkout had changes)
    tool_versions VARCHAR,            -- JSON object package -> version (dagster, dbt-core, duckdb, ...)
    snapshot_path VARCHAR             -- the immutable copy under published/releases/, for published releases
);
-- build databases made before these columns existed gain them (same order as above)
ALTER TABLE audit.releases ADD COLUMN IF NOT EXISTS code_version VARCHAR;
ALTER TABLE audit.releases ADD COLUMN IF NOT EXISTS tool_versions VARCHAR;
ALTER TABLE audit.releases ADD COLUMN IF NOT EXISTS snapshot_path VARCHAR;
"""


def extra_column(ds: Dataset) -> str:
    """JSON sources keep the whole record; tabular sources keep the columns the contract does not name."""
    return "_record" if ds.is_json else "_extra"


def landing_columns(ds: Dataset) -> list[tuple[str, str]]:
    cols = [(f.name, FIELD_TYPES[f.type]) for f in ds.fields]
    cols.append((extra_column(ds), "VARCHAR"))
    cols.extend(PROVENANCE_COLUMNS)
    return cols


def create_landing_table(con: duckdb.DuckDBPyConnection, ds: Dataset) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {ds.schema}")
    body = ",\n    ".join(f'"{name}" {typ}' for name, typ in landing_columns(ds))
    con.execute(f"CREATE TABLE IF NOT EXISTS {ds.table} (\n    {body}\n)")


def create_all(con: duckdb.DuckDBPyConnection) -> None:
    """Create the audit tables and every landing table (idempotent)."""
    con.execute(AUDIT_DDL)
    for ds in DATASETS:
        create_landing_table(con, ds)
