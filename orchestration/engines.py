"""The build engine: where dbt builds the night (DuckDB by default, or a PostgreSQL server).

Everything else stays where it is whatever the engine: ingest lands files (Parquet, engine-neutral) and keeps
its audit trail in the DuckDB build database, the GX landing gates read that, and BI reads the published DuckDB
file. With ``postgres`` (``roi-ledger run --engine postgres``, ``$ROI_LEDGER_ENGINE``; the server from
``$ROI_LEDGER_POSTGRES_URL``), each dbt layer runs with dbt's ``postgres`` target, and the engine boundary is
crossed twice per layer, by value and exactly (CSV text both ways: money as decimal text, doubles round-trip):

- before a layer, its inputs from the DuckDB build database: for the first, the landing, file by file (a
  night copies its new files' rows and deletes the rows of files no longer landed, as the landing views
  change), and the ingest's audit tables; for the portfolio layer, the scenario model's output;
- after a layer, every table dbt built (schemas ``staging``, ``intermediate``, ``marts``, ``seeds``) back into
  the DuckDB build database, where the Python steps (scenario model, GX mart gates, publish) read it as they
  read a DuckDB build.

A night on another engine than the last one rebuilds every incremental model (``--full-refresh``): the
incremental state of one engine says nothing of the other's tables.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import duckdb

from orchestration.publish_postgres import (
    PostgresPublishError,
    connect,
    copy_rows,
    copy_table,
    create_table,
    ident,
    normalised_url,
    redacted,
)
from orchestration.settings import connect_duckdb

ENGINE_ENV = "ROI_LEDGER_ENGINE"
POSTGRES_URL_ENV = "ROI_LEDGER_POSTGRES_URL"
ENGINES = ("duckdb", "postgres", "spark")
#: What dbt builds, mirrored back into the DuckDB build database after each layer.
BUILT_SCHEMAS = ("staging", "intermediate", "marts", "seeds")
#: The ingest's audit tables dbt sources read (``models/marts/quality/_audit__sources.yml``).
AUDIT_SOURCES = ("ingested_files", "ingested_money")
#: The scenario model's output schema (``models/portfolio/_scenario_model__sources.yml``).
SCENARIO_SCHEMA = "scenario_model"
#: Per landing table on the server, the digest of its columns (new code: copied whole again), and the landed
#: files whose rows it holds.
COPIES_TABLE = "engine_copies.landing_views"
FILES_TABLE = "engine_copies.landing_files"
#: The engine of the last night that ran dbt (``DIR/warehouse/engine``).
ENGINE_FILE = "engine"

_DUCKDB_TYPES = {
    "text": "VARCHAR",
    "character varying": "VARCHAR",
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "double precision": "DOUBLE",
    "real": "FLOAT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMPTZ",
}


def engine() -> str:
    """The build engine of this run (``$ROI_LEDGER_ENGINE``, default duckdb); another value is refused."""
    value = os.environ.get(ENGINE_ENV) or "duckdb"
    if value not in ENGINES:
        raise ValueError(f"{ENGINE_ENV} must be one of {', '.join(ENGINES)}, not {value!r}")
    return value


def postgres_url() -> str:
    url = os.environ.get(POSTGRES_URL_ENV)
    if not url:
        raise PostgresPublishError(f"the postgres engine needs a server: set {POSTGRES_URL_ENV}")
    return normalised_url(url)


def dbt_target_args(name: str) -> list[str]:
    """dbt's ``--target`` of the engine (pure): the profile's default target is DuckDB's."""
    return [] if name == "duckdb" else ["--target", name]


def profile_env(url: str) -> dict[str, str]:
    """The environment the ``postgres`` target of ``dbt_project/profiles.yml`` reads, from a URL (pure)."""
    parts = urlsplit(normalised_url(url))
    return {
        "ROI_LEDGER_PG_HOST": parts.hostname or "127.0.0.1",
        "ROI_LEDGER_PG_PORT": str(parts.port or 5432),
        "ROI_LEDGER_PG_USER": unquote(parts.username or ""),
        "ROI_LEDGER_PG_PASSWORD": unquote(parts.password or ""),
        "ROI_LEDGER_PG_DBNAME": unquote(parts.path.lstrip("/")) or "postgres",
    }


def duckdb_type(pg_type: str, precision: int | None, scale: int | None, where: str) -> str:
    """The DuckDB type of a column dbt built on PostgreSQL; a numeric without a declared scale is held at the
    project's money precision, decimal(38, 18)."""
    if pg_type == "numeric":
        return f"DECIMAL({precision}, {scale})" if precision is not None else "DECIMAL(38, 18)"
    found = _DUCKDB_TYPES.get(pg_type)
    if found is None:
        raise PostgresPublishError(f"{where}: no DuckDB type for PostgreSQL type {pg_type}")
    return found


def server_version(url: str) -> str:
    conn = connect(url, "build")
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW server_version")
            return cur.fetchone()[0]
    finally:
        conn.close()


def duckdb_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()


def duckdb_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """The tables (not views) of a schema of the DuckDB build database, by name."""
    return [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = current_database() "
            "AND table_schema = ? AND table_type = 'BASE TABLE' ORDER BY 1",
            [schema],
        ).fetchall()
    ]


def drop_tables_not_in(con: duckdb.DuckDBPyConnection, schemas: Iterable[str], kept: Iterable[tuple[str, str]]) -> None:
    """Drop the build database's tables of ``schemas`` that the engine no longer has (``kept``: its
    (schema, table) pairs), creating a missing schema: the mirror holds what the engine built, nothing else."""
    kept = set(kept)
    for schema in schemas:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for table in duckdb_tables(con, schema):
            if (schema, table) not in kept:
                con.execute(f'DROP TABLE {schema}."{table}"')


def _to_postgres(con: duckdb.DuckDBPyConnection, cur: Any, schema: str, table: str, scratch: Path) -> None:
    """Replace ``schema.table`` on the server with the DuckDB relation of the same name, by value."""
    cur.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}")
    cur.execute(f"DROP TABLE IF EXISTS {ident(schema)}.{ident(table)}")
    copy_table(con, cur, schema, table, duckdb_columns(con, schema, table), scratch)


def _push_landing(con: duckdb.DuckDBPyConnection, cur: Any, root: Path, scratch: Path) -> list[str]:
    """Bring each landing table on the server to the files landed now, file by file: the rows of a file no
    longer landed (restated, withdrawn) are deleted, a new file's rows copied; a table whose columns changed
    (new code) is copied whole. Returns ``<table> +<new files> -<gone files>`` per table changed."""
    from orchestration.datasets import DATASETS
    from orchestration.ingest.landing import landed_files, landing_file, landing_select

    cur.execute("CREATE SCHEMA IF NOT EXISTS engine_copies")
    cur.execute(f"CREATE TABLE IF NOT EXISTS {COPIES_TABLE} (table_name text PRIMARY KEY, digest text)")
    cur.execute(f"CREATE TABLE IF NOT EXISTS {FILES_TABLE} (table_name text, source_file text, file_sha256 text)")
    cur.execute(f"SELECT table_name, digest FROM {COPIES_TABLE}")
    shapes = dict(cur.fetchall())
    changed = []
    for ds in DATASETS:
        cols = duckdb_columns(con, ds.schema, ds.name)
        shape = hashlib.sha256(repr(cols).encode()).hexdigest()
        qualified = f"{ident(ds.schema)}.{ident(ds.name)}"
        files = landed_files(con, ds)
        if shapes.get(ds.table) != shape:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {ident(ds.schema)}")
            cur.execute(f"DROP TABLE IF EXISTS {qualified}")
            create_table(cur, ds.schema, ds.name, cols)
            cur.execute(f"DELETE FROM {FILES_TABLE} WHERE table_name = %s", (ds.table,))
            cur.execute(
                f"INSERT INTO {COPIES_TABLE} VALUES (%s, %s) ON CONFLICT (table_name) DO UPDATE SET digest = %s",
                (ds.table, shape, shape),
            )
        cur.execute(f"SELECT source_file, file_sha256 FROM {FILES_TABLE} WHERE table_name = %s", (ds.table,))
        have = set(cur.fetchall())
        gone, new = sorted(have - set(files)), [f for f in files if f not in have]
        for source_file, sha in gone:
            cur.execute(f"DELETE FROM {qualified} WHERE _source_file = %s AND _file_sha256 = %s", (source_file, sha))
            cur.execute(
                f"DELETE FROM {FILES_TABLE} WHERE table_name = %s AND source_file = %s AND file_sha256 = %s",
                (ds.table, source_file, sha),
            )
        if new:
            paths = [landing_file(root, ds, rel, sha) for rel, sha in new]
            copy_rows(con, cur, landing_select(ds, paths), qualified, scratch)
            cur.executemany(f"INSERT INTO {FILES_TABLE} VALUES (%s, %s, %s)", [(ds.table, f, h) for f, h in new])
        if gone or new:
            changed.append(f"{ds.table} +{len(new)} -{len(gone)}")
    return changed


def push(build_db: Path, url: str, layer: str, scratch_dir: Path) -> list[str]:
    """Copy a layer's inputs from the DuckDB build database to the server, in one transaction; returns what
    was copied. ``marts`` (the first layer): the landing, file by file (:func:`_push_landing`), and the audit
    tables dbt reads; ``portfolio``: the scenario model's output."""
    import psycopg2

    from orchestration.ingest.landing import landing_root

    con = connect_duckdb(build_db, read_only=True)
    conn = connect(url, "build")
    copied: list[str] = []
    try:
        con.execute("SET TimeZone = 'UTC'")
        with conn.cursor() as cur, tempfile.TemporaryDirectory(dir=scratch_dir, prefix=".engine-") as scratch:
            if layer == "marts":
                copied += _push_landing(con, cur, landing_root(build_db), Path(scratch))
                for table in AUDIT_SOURCES:
                    _to_postgres(con, cur, "audit", table, Path(scratch))
                    copied.append(f"audit.{table}")
            elif layer == "portfolio":
                for table in duckdb_tables(con, SCENARIO_SCHEMA):
                    _to_postgres(con, cur, SCENARIO_SCHEMA, table, Path(scratch))
                    copied.append(f"{SCENARIO_SCHEMA}.{table}")
        conn.commit()
    except psycopg2.Error as exc:
        conn.rollback()
        raise PostgresPublishError(f"copying the {layer} inputs to {redacted(url)}: {str(exc).strip()}") from None
    finally:
        conn.close()
        con.close()
    return copied


def pull(build_db: Path, url: str, scratch_dir: Path, schemas: Iterable[str] = BUILT_SCHEMAS) -> int:
    """Mirror every table dbt built on the server into the DuckDB build database (tables of those schemas the
    server no longer has are dropped); returns the tables copied."""
    schemas = tuple(schemas)
    conn = connect(url, "build")
    con = connect_duckdb(build_db)
    try:
        con.execute("SET TimeZone = 'UTC'")
        with conn.cursor() as cur, tempfile.TemporaryDirectory(dir=scratch_dir, prefix=".engine-") as scratch:
            cur.execute(
                "SELECT c.table_schema, c.table_name, c.column_name, c.data_type, c.numeric_precision, "
                "c.numeric_scale FROM information_schema.columns AS c JOIN information_schema.tables AS t "
                "ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
                "WHERE t.table_type = 'BASE TABLE' AND c.table_schema = ANY(%s) "
                "ORDER BY c.table_schema, c.table_name, c.ordinal_position",
                (list(schemas),),
            )
            tables: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for schema, table, column, type_, precision, scale in cur.fetchall():
                where = f"{schema}.{table}.{column}"
                tables.setdefault((schema, table), []).append((column, duckdb_type(type_, precision, scale, where)))
            con.execute("BEGIN")
            drop_tables_not_in(con, schemas, tables)
            for (schema, table), cols in tables.items():
                csv = Path(scratch) / f"{schema}.{table}.csv"
                with open(csv, "w", encoding="utf-8") as fh:
                    cur.copy_expert(f"COPY {ident(schema)}.{ident(table)} TO STDOUT WITH (FORMAT csv)", fh)
                ddl = ", ".join(f'"{c}" {t}' for c, t in cols)
                con.execute(f'CREATE OR REPLACE TABLE {schema}."{table}" ({ddl})')
                if csv.stat().st_size:  # PostgreSQL's CSV: comma, double quotes doubled, NULL unquoted and empty
                    con.execute(
                        f"COPY {schema}.\"{table}\" FROM '{csv}' (FORMAT csv, HEADER false, AUTO_DETECT false, "
                        "DELIMITER ',', QUOTE '\"', ESCAPE '\"', ALLOW_QUOTED_NULLS false)"
                    )
                csv.unlink()
            con.execute("COMMIT")
    finally:
        con.close()
        conn.close()
    return len(tables)


def engine_changed(warehouse: Path, name: str) -> bool:
    """Whether the last night that ran dbt used another engine (a build database from before engines were
    recorded was DuckDB's)."""
    marker = warehouse / ENGINE_FILE
    last = marker.read_text().strip() if marker.exists() else "duckdb"
    return last != name


def record_engine(warehouse: Path, name: str) -> None:
    (warehouse / ENGINE_FILE).write_text(name + "\n")
