"""The landing (one Parquet file per ingested file) and the build database's audit tables.

Every accepted file lands as one Parquet file under ``<warehouse>/landing/<system>/<dataset>/``, named for its
path under the dataset's raw folder and its content hash, written once and never rewritten: the engine-neutral
boundary (decimals, timestamps in UTC, JSON as text) a build on another engine reads as it is. In the build
database, ``landing_<system>.<dataset>`` is a view over exactly the files ``audit.ingested_files`` records as
landed (a list, never a glob), replaced in the same transaction as those records: a file written by a run that
died before its commit is in no view, and :func:`reconcile` deletes it on the next connection.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.datasets import DATASETS, FIELD_TYPES, Dataset
from orchestration.ingest.contract import sql_str

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
    snapshot_path VARCHAR,            -- the immutable copy under published/releases/, for published releases
    published_batches VARCHAR,        -- JSON object table -> the dbt batch of each incremental model it holds
    engine VARCHAR,                   -- the build engine (duckdb)
    published_to VARCHAR              -- JSON array of the other places the release was written (passwords left out)
);
-- build databases made before these columns existed gain them (same order as above)
ALTER TABLE audit.releases ADD COLUMN IF NOT EXISTS code_version VARCHAR;
ALTER TABLE audit.releases ADD COLUMN IF NOT EXISTS tool_versions VARCHAR;
ALTER TABLE audit.releases ADD COLUMN IF NOT EXISTS snapshot_path VARCHAR;
ALTER TABLE audit.releases ADD COLUMN IF NOT EXISTS published_batches VARCHAR;
ALTER TABLE audit.releases ADD COLUMN IF NOT EXISTS engine VARCHAR;
ALTER TABLE audit.releases ADD COLUMN IF NOT EXISTS published_to VARCHAR;
"""


def extra_column(ds: Dataset) -> str:
    """JSON sources keep the whole record; tabular sources keep the columns the contract does not name."""
    return "_record" if ds.is_json else "_extra"


def landing_columns(ds: Dataset) -> list[tuple[str, str]]:
    cols = [(f.name, FIELD_TYPES[f.type]) for f in ds.fields]
    cols.append((extra_column(ds), "VARCHAR"))
    cols.extend(PROVENANCE_COLUMNS)
    return cols


#: Parquet as landing writes it: zstd, row groups DuckDB reads in parallel.
PARQUET_OPTIONS = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 1, ROW_GROUP_SIZE 122880"

log = logging.getLogger(__name__)


def landing_root(db_path: Path) -> Path:
    """The landing folder beside the build database (``DIR/warehouse/landing``), as an absolute path: the
    landing views name their files by it, and are read from other working directories (dbt, BI)."""
    return db_path.resolve().parent / "landing"


def landing_file(root: Path, ds: Dataset, source_file: str, sha: str) -> Path:
    """Where the accepted rows of one ingested file (``source_file`` under ``raw/``, content ``sha``) land."""
    prefix = ds.folder + "/"
    name = source_file[len(prefix) :] if source_file.startswith(prefix) else source_file
    return root / ds.folder / f"{name.replace('/', '__')}.{sha[:16]}.parquet"


def landed_files(con: duckdb.DuckDBPyConnection, ds: Dataset) -> list[tuple[str, str]]:
    """(source_file, sha) of the files of ``ds`` whose rows stand in the landing, in a stable order."""
    return [
        (r[0], r[1])
        for r in con.execute(
            "SELECT source_file, file_sha256 FROM audit.ingested_files WHERE dataset = ? AND status = 'landed' "
            "AND rows_accepted > 0 ORDER BY source_file, file_sha256",
            [ds.key],
        ).fetchall()
    ]


def landing_select(ds: Dataset, files: list[Path]) -> str:
    """The rows of the landing files ``files`` of ``ds``, in the registry's columns and types (no file: none)."""
    cols = landing_columns(ds)
    if files:
        listed = ", ".join(sql_str(str(f)) for f in files)
        select = ", ".join(f'CAST("{n}" AS {t.replace(" NOT NULL", "")}) AS "{n}"' for n, t in cols)
        return f"SELECT {select} FROM read_parquet([{listed}], union_by_name = true)"
    nulls = ", ".join(f'CAST(NULL AS {t.replace(" NOT NULL", "")}) AS "{n}"' for n, t in cols)
    return f"SELECT {nulls} WHERE false"


def refresh_view(con: duckdb.DuckDBPyConnection, ds: Dataset, root: Path) -> None:
    """``landing_<system>.<dataset>``: the landed files of ``ds``, in the registry's columns and types."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {ds.schema}")
    body = landing_select(ds, [landing_file(root, ds, rel, sha) for rel, sha in landed_files(con, ds)])
    # The view's comment is the hash of its body: every step's connection asks for every view, and an unchanged
    # one is not written again (a catalog write each, 16 per connection).
    digest = hashlib.sha256(body.encode()).hexdigest()
    now = con.execute(
        "SELECT comment FROM duckdb_views() WHERE database_name = current_database() "
        "AND schema_name = ? AND view_name = ?",
        [ds.schema, ds.name],
    ).fetchall()
    if now and now[0][0] == digest:
        return
    con.execute(f"CREATE OR REPLACE VIEW {ds.table} AS {body}")
    con.execute(f"COMMENT ON VIEW {ds.table} IS {sql_str(digest)}")


def _is_table(con: duckdb.DuckDBPyConnection, ds: Dataset) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ? AND NOT temporary",
            [ds.schema, ds.name],
        ).fetchall()[0][0]
    )


def _migrate_table(con: duckdb.DuckDBPyConnection, ds: Dataset, root: Path) -> None:
    """A landing *table* of a build database made before landing became files: each landed file's rows are
    written to its Parquet file, then the table gives way to the view."""
    for rel, sha in landed_files(con, ds):
        path = landing_file(root, ds, rel, sha)
        path.parent.mkdir(parents=True, exist_ok=True)
        con.execute(
            f"COPY (SELECT * FROM {ds.table} WHERE _source_file = ? AND _file_sha256 = ? ORDER BY _line) "
            f"TO {sql_str(str(path))} ({PARQUET_OPTIONS})",
            [rel, sha],
        )
    con.execute(f"DROP TABLE {ds.table}")


def missing_landing_files(root: Path, ds: Dataset, landed: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Of ``landed`` (:func:`landed_files` of ``ds``), those whose Parquet file is not under ``root``."""
    return [(rel, sha) for rel, sha in landed if not landing_file(root, ds, rel, sha).is_file()]


def reconcile(con: duckdb.DuckDBPyConnection, ds: Dataset, root: Path, now: datetime | None = None) -> None:
    """Make the landing folder of ``ds`` hold exactly its landed files: a file no record stands for (written by
    a run that died before its commit, or superseded by a restatement) is deleted; a landed file whose Parquet
    file is gone is marked ``superseded`` with why, so its raw file lands again on the next ingest."""
    landed = landed_files(con, ds)
    expected = {landing_file(root, ds, rel, sha) for rel, sha in landed}
    folder = root / ds.folder
    for path in sorted(folder.glob("*.parquet")) if folder.is_dir() else []:
        if path not in expected:
            path.unlink()
    missing = missing_landing_files(root, ds, landed)
    stamp = (now or datetime.now(UTC)).replace(tzinfo=None).isoformat()
    for rel, sha in missing:
        log.warning("%s: landing file missing; it lands again from raw/", rel)
        con.execute(
            "UPDATE audit.ingested_files SET status = 'superseded', message = ? WHERE dataset = ? "
            "AND source_file = ? AND file_sha256 = ? AND status = 'landed'",
            [f"landing file missing at {stamp}: lands again from raw/", ds.key, rel, sha],
        )


#: What each raw file looked like when ingest last hashed it (build database only, never published): a night
#: hashes again only the files whose size, times, inode or device changed (engine.file_sha256).
RAW_STATS_DDL = """
CREATE SCHEMA IF NOT EXISTS ingest_state;
CREATE TABLE IF NOT EXISTS ingest_state.raw_file_stats (
    source_file VARCHAR PRIMARY KEY,  -- path under raw/
    size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    ctime_ns BIGINT NOT NULL,
    inode BIGINT NOT NULL,
    device BIGINT NOT NULL,
    file_sha256 VARCHAR NOT NULL,
    hashed_at_ns BIGINT NOT NULL      -- wall clock when hashing started
);
"""


def create_all(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """The audit tables and, for every dataset, its landing view over the files under ``root`` (idempotent;
    a landing table of an older build database is migrated to files, and the folders are reconciled)."""
    con.execute(AUDIT_DDL)
    con.execute(RAW_STATS_DDL)
    for ds in DATASETS:
        if _is_table(con, ds):
            _migrate_table(con, ds, root)
        reconcile(con, ds, root)
        refresh_view(con, ds, root)
