"""The Spark build engine (``roi-ledger run --engine spark``): dbt-spark builds the night in a Spark session.

dbt-spark's ``session`` method runs Spark inside dbt's own process (``local[*]`` by default; any cluster by
``$ROI_LEDGER_SPARK_MASTER``, e.g. ``spark://host:7077`` or ``local-cluster[2,1,1024]``, and Spark's own
``$SPARK_CONF_DIR/spark-defaults.conf`` for everything else). The project owns four settings of that session
(``dbt_project/profiles.yml``): a Hive metastore in ``DIR/warehouse/spark/metastore_db`` (Derby, one process at
a time: dbt's), tables written as Parquet under ``DIR/warehouse/spark/warehouse``, UTC, and decimal arithmetic
without precision loss (money stays decimal(38,18)).

Nothing is copied into Spark. Before each dbt layer, the pipeline writes the layer's inputs as SQL statements,
one per line, into ``DIR/warehouse/spark/inputs.sql``, and dbt's ``on-run-start`` hook (macro ``spark_inputs``)
runs them in dbt's session: external Parquet tables over folders of hard links to the landed files (per
dataset, exactly the files its DuckDB landing view reads, in the registry's columns and types), and over
Parquet copies of the ingest's audit tables and the scenario model's output, written from the DuckDB build
database. After the layer, every table dbt built
is read back into the build database from its Parquet files (:func:`pull`), where the Python steps (scenario
model, GX mart gates, publish) read it as they read a DuckDB build.

Spark's Parquet tables take no ``DELETE``: every night on Spark is a full build (``--full-refresh``); the
incremental models' states stay DuckDB's and PostgreSQL's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

import duckdb

from orchestration.engines import (
    AUDIT_SOURCES,
    SCENARIO_SCHEMA,
    drop_tables_not_in,
    duckdb_columns,
    duckdb_tables,
)
from orchestration.settings import connect_duckdb

MASTER_ENV = "ROI_LEDGER_SPARK_MASTER"
#: Read by ``dbt_project/profiles.yml`` (the ``spark`` target) and macro ``spark_inputs``.
PROFILE_ENVS = ("ROI_LEDGER_SPARK_WAREHOUSE", "ROI_LEDGER_SPARK_METASTORE", "ROI_LEDGER_SPARK_INPUTS")
INPUTS_FILE = "inputs.sql"

_SPARK_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "INTEGER": "int",
    "SMALLINT": "smallint",
    "DOUBLE": "double",
    "FLOAT": "float",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamp",
    "JSON": "string",
}


class SparkEngineError(RuntimeError):
    """The Spark engine could not prepare or read back a layer (the message names the table or file)."""


def spark_root(warehouse: Path) -> Path:
    return warehouse.resolve() / "spark"


def profile_env(warehouse: Path, master: str | None = None) -> dict[str, str]:
    """The environment the ``spark`` target of ``dbt_project/profiles.yml`` and macro ``spark_inputs`` read
    (pure). The master stays the user's (``$ROI_LEDGER_SPARK_MASTER``; the profile's default is ``local[*]``);
    on a local one (``local``, ``local[*]``, ``local-cluster[...]``) Spark's executors listen on 127.0.0.1 too."""
    root = spark_root(warehouse)
    env = dict(
        zip(
            PROFILE_ENVS,
            (str(root / "warehouse"), str(root / "metastore_db"), str(root / INPUTS_FILE)),
            strict=True,
        )
    )
    if (master or "local").startswith("local"):
        env["SPARK_LOCAL_IP"] = "127.0.0.1"
    return env


def spark_type(duckdb_type: str, where: str) -> str:
    """The Spark type of a DuckDB column type (pure); decimals keep their precision and scale."""
    t = duckdb_type.replace(" NOT NULL", "").strip().upper()
    if t.startswith("DECIMAL"):
        return t.lower()
    found = _SPARK_TYPES.get(t)
    if found is None:
        raise SparkEngineError(f"{where}: no Spark type for DuckDB type {duckdb_type}")
    return found


def quote(name: str) -> str:
    """A Spark identifier or path in backquotes."""
    return "`" + name.replace("`", "``") + "`"


def table_statements(schema: str, name: str, columns: list[tuple[str, str]], folder: Path) -> list[str]:
    """An external Parquet table over a folder, in ``columns`` (name, DuckDB type): Spark reads each file's
    columns by name, a column a file lacks as NULL (pure). A table, not a view: the Hive metastore keeps a view's
    text in 32,700 characters, too few for a view over every landed file."""
    where = f"{schema}.{name}"
    cols = ", ".join(f"{quote(c)} {spark_type(t, f'{where}.{c}')}" for c, t in columns)
    qualified = f"{quote(schema)}.{quote(name)}"
    location = "'" + str(folder).replace("\\", "\\\\").replace("'", "\\'") + "'"
    return [f"DROP TABLE IF EXISTS {qualified}", f"CREATE TABLE {qualified} ({cols}) USING parquet LOCATION {location}"]


def link_files(folder: Path, files: Iterable[Path]) -> tuple[int, int]:
    """Make ``folder`` hold exactly ``files`` (hard links, a copy across file systems; a file of the same name
    is the same file: landing names carry their content's hash); returns (added, removed)."""
    folder.mkdir(parents=True, exist_ok=True)
    wanted = {f.name: f for f in files}
    removed = 0
    for present in folder.iterdir():
        if present.name not in wanted:
            present.unlink()
            removed += 1
    added = 0
    for name, source in wanted.items():
        target = folder / name
        if target.exists():
            continue
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        added += 1
    return added, removed


def _copied_tables(con: duckdb.DuckDBPyConnection, schema: str, tables: Iterable[str], inputs: Path) -> list[str]:
    """Parquet copies of DuckDB tables and a Spark table over each (the audit tables, the scenario model's
    output)."""
    lines = []
    for table in tables:
        columns = duckdb_columns(con, schema, table)
        if not columns:
            raise SparkEngineError(f"{schema}.{table}: not in the build database")
        folder = inputs / schema / table
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / ".copy.tmp"
        con.execute(f"COPY {schema}.\"{table}\" TO '{tmp}' (FORMAT parquet)")
        os.replace(tmp, folder / "rows.parquet")
        lines += table_statements(schema, table, columns, folder)
    return lines


def input_statements(build_db: Path, layer: str) -> list[str]:
    """The statements that give Spark a layer's inputs; ``marts`` (the first layer): the landing (per dataset,
    a folder of links to its landed files: exactly the files the DuckDB landing view reads) and the audit
    tables; ``portfolio``: the scenario model's output. Writes the folders and copies they read."""
    from orchestration.datasets import DATASETS
    from orchestration.ingest.landing import landed_files, landing_columns, landing_file, landing_root

    inputs = spark_root(build_db.parent) / "inputs"
    con = connect_duckdb(build_db, read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        if layer == "marts":
            root = landing_root(build_db)
            schemas = sorted({ds.schema for ds in DATASETS} | {"audit"})
            lines = [f"CREATE DATABASE IF NOT EXISTS {quote(s)}" for s in schemas]
            for ds in DATASETS:
                folder = inputs / "landing" / ds.folder
                link_files(folder, [landing_file(root, ds, rel, sha) for rel, sha in landed_files(con, ds)])
                lines += table_statements(ds.schema, ds.name, landing_columns(ds), folder)
            return lines + _copied_tables(con, "audit", AUDIT_SOURCES, inputs)
        if layer == "portfolio":
            tables = duckdb_tables(con, SCENARIO_SCHEMA)
            return [
                f"CREATE DATABASE IF NOT EXISTS {quote(SCENARIO_SCHEMA)}",
                *_copied_tables(con, SCENARIO_SCHEMA, tables, inputs),
            ]
        return []
    finally:
        con.close()


def write_inputs(build_db: Path, layer: str) -> int:
    """Write the layer's input statements for macro ``spark_inputs`` (numbered: it runs them in order);
    returns how many."""
    lines = input_statements(build_db, layer)
    for line in lines:
        if "\n" in line or "\r" in line:
            raise SparkEngineError(f"an input statement spans lines: {line[:120]}")
    target = spark_root(build_db.parent) / INPUTS_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text("".join(f"{i:06d} {line}\n" for i, line in enumerate(lines)), encoding="utf-8")
    os.replace(tmp, target)
    return len(lines)


_PART = re.compile(r"^part-.*\.parquet$")


def built_tables(warehouse_dir: Path, schemas: Iterable[str]) -> dict[tuple[str, str], list[Path]]:
    """The Parquet part files of every table dbt built in ``schemas`` (Spark's managed tables live in
    ``<warehouse>/<schema>.db/<table>/``), by (schema, table)."""
    out: dict[tuple[str, str], list[Path]] = {}
    for schema in schemas:
        folder = warehouse_dir / f"{schema}.db"
        if not folder.is_dir():
            continue
        for table in sorted(p for p in folder.iterdir() if p.is_dir()):
            parts = sorted(p for p in table.iterdir() if _PART.match(p.name))
            if parts:
                out[(schema, table.name)] = parts
    return out


def pull(build_db: Path, schemas: Iterable[str]) -> int:
    """Mirror every table dbt built on Spark into the DuckDB build database, from its Parquet files (tables of
    those schemas Spark no longer has are dropped), in one transaction; returns the tables copied. Spark's
    timestamps (instants) come back as DuckDB ``TIMESTAMP`` in UTC, as the DuckDB build writes them."""
    schemas = tuple(schemas)
    tables = built_tables(Path(profile_env(build_db.parent)["ROI_LEDGER_SPARK_WAREHOUSE"]), schemas)
    con = connect_duckdb(build_db)
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("BEGIN")
        drop_tables_not_in(con, schemas, tables)
        for (schema, table), parts in tables.items():
            listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in parts)
            source = f"read_parquet([{listed}])"
            described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
            select = ", ".join(
                f'CAST("{name}" AS TIMESTAMP) AS "{name}"' if type_ == "TIMESTAMP WITH TIME ZONE" else f'"{name}"'
                for name, type_, *_ in described
            )
            con.execute(f'CREATE OR REPLACE TABLE {schema}."{table}" AS SELECT {select} FROM {source}')
        con.execute("COMMIT")
    except duckdb.Error as exc:
        raise SparkEngineError(f"reading Spark's tables back into {build_db}: {exc}") from None
    finally:
        con.close()
    return len(tables)


#: Debian's Java runtimes Spark 3.5 runs on, in the order tried.
JAVA_PACKAGES = ("openjdk-17-jre-headless", "default-jre-headless")


def java() -> str | None:
    """The Java runtime Spark will start (``$JAVA_HOME/bin/java``, else ``java`` on the path), or None."""
    home = os.environ.get("JAVA_HOME")
    if home and os.access(Path(home) / "bin" / "java", os.X_OK):
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def require_java() -> None:
    """Refuse the engine, by what is missing, before dbt starts a session that cannot start."""
    if java() is None:
        raise SparkEngineError(
            "the spark engine needs a Java runtime (17 or 21): install one (Debian: openjdk-17-jre-headless) "
            "or set JAVA_HOME"
        )


def install_java() -> None:
    """Debian's Java runtime, when none is found (root and apt-get only: the tests and ``.ci/run``)."""
    if java() is not None:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        require_java()
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], env=env, stdout=subprocess.DEVNULL, check=False)
    for package in JAVA_PACKAGES:
        done = subprocess.run(["apt-get", "install", "-y", "-q", package], env=env, stdout=subprocess.DEVNULL)
        if done.returncode == 0 and java() is not None:
            return
    require_java()
