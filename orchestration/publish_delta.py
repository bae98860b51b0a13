"""Publishing what a night changed (write-audit-publish stays whole: a new file, renamed over the old one).

A release's file starts as a copy of the file the last published release wrote (when it is still that file:
same SHA-256). Each published table is then kept, patched or copied again from the build database:
- an incremental model (``dbt_project/macros/increments.sql``) whose build batch is the one the base file holds
  is **kept**; one exactly one batch ahead (its ``previous_batch`` is the base's, and it did not rebuild) is
  **patched**: the rows of its scope are deleted and copied again (staging models: the landing copies they
  re-staged; ``fct_ai_usage``: the usage dates it totalled again);
- anything else is **copied** whole, as a first release does: every table model, an incremental model that
  rebuilt or skipped a batch, a table whose published columns or pseudonymisation changed.
Published rows are a function of build rows, one by one (columns dropped, personal identifiers pseudonymised),
so a patched table holds exactly what a whole copy would: a test compares both. The file records, per table,
the batch it holds and how it was written (``audit.published_increments``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import duckdb

#: Per published table of the release file: the incremental batch it holds, the hash of the SELECT that
#: wrote it (columns, pseudonymisation key) and how this release wrote it (kept, patched, copied).
INCREMENTS_DDL = """
CREATE TABLE IF NOT EXISTS audit.published_increments (
    table_schema VARCHAR NOT NULL,
    table_name VARCHAR NOT NULL,
    batch VARCHAR,              -- the dbt invocation that last built the model (NULL: not incremental)
    select_sha256 VARCHAR NOT NULL,
    written VARCHAR NOT NULL    -- kept | patched | copied
);
"""
PROVENANCE = ("_source_file", "_file_sha256", "_line")


@dataclass(frozen=True)
class Plan:
    written: str  # kept | patched | copied
    batch: str | None
    scope: str | None = None  # patched: a condition on the build table's rows (alias ``t``)


def select_sha256(select: str) -> str:
    return hashlib.sha256(select.encode()).hexdigest()


def published_before(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str | None, str]]:
    """What the base file holds: (schema, table) -> (batch, select hash); empty for a file without the record."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = 'audit' AND table_name = 'published_increments'"
    ).fetchone()[0]
    if not found:
        return {}
    rows = con.execute("SELECT table_schema, table_name, batch, select_sha256 FROM audit.published_increments")
    return {(s, t): (b, h) for s, t, b, h in rows.fetchall()}


def _state(con: duckdb.DuckDBPyConnection, model: str) -> dict | None:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = 'build' "
        "AND table_schema = 'increments' AND table_name = ?",
        [f"{model}__state"],
    ).fetchone()[0]
    if not found:
        return None
    row = con.execute(f'SELECT batch, previous_batch, rebuilt, consumed FROM build.increments."{model}__state"')
    batch, previous, rebuilt, consumed = row.fetchone()
    return {"batch": batch, "previous_batch": previous, "rebuilt": rebuilt, "consumed": json.loads(consumed)}


def _scope(con: duckdb.DuckDBPyConnection, name: str, state: dict) -> str | None:
    """The condition (on the columns of a row aliased ``{a}``, build or published) naming the rows the model's
    last batch deleted or wrote, or None when they cannot be named (then the table is copied whole)."""
    if name == "fct_ai_usage":
        attributed = _state(con, "int_usage__attributed")
        if attributed is None or attributed["batch"] != state["consumed"].get("int_usage__attributed"):
            return None
        return "{a}.usage_date IN (SELECT usage_date FROM build.increments.int_usage__attributed__changes)"
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = 'build' "
        "AND table_schema = 'increments' AND table_name = ?",
        [f"{name}__scope"],
    ).fetchone()[0]
    if not found:
        return None
    match = " AND ".join(f"s.{c} = {{a}}.{c}" for c in PROVENANCE)
    return f'EXISTS (SELECT 1 FROM build.increments."{name}__scope" AS s WHERE {match})'


def plan(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    name: str,
    select_hash: str,
    before: tuple[str | None, str] | None,
    unchanged_columns: set[str],
) -> Plan:
    """How this release writes ``schema.name`` (see the module's rules); ``unchanged_columns``: the columns
    published as they are (neither dropped nor pseudonymised), which a patch's scope may name."""
    state = _state(con, name)
    batch = state["batch"] if state else None
    if state is None or before is None or before[1] != select_hash:
        return Plan("copied", batch)
    if before[0] == batch:
        return Plan("kept", batch)
    if before[0] == state["previous_batch"] and not state["rebuilt"]:
        scope = _scope(con, name, state)
        needs = {"usage_date"} if name == "fct_ai_usage" else set(PROVENANCE)
        if scope is not None and needs <= unchanged_columns:
            return Plan("patched", batch, scope)
    return Plan("copied", batch)


def write_table(con: duckdb.DuckDBPyConnection, schema: str, name: str, select: str, how: Plan) -> None:
    """Write one published table of the release file, as planned; ``select`` reads ``build.<schema>.<name>``
    with alias ``t``. A patched table's scope columns are published as they are (the caller checks)."""
    table = f'{schema}."{name}"'
    if how.written == "kept":
        return
    if how.written == "patched":
        con.execute(f"DELETE FROM {table} AS p WHERE {how.scope.format(a='p')}")
        con.execute(f"INSERT INTO {table} {select} WHERE {how.scope.format(a='t')}")
        return
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(f"CREATE TABLE {table} AS {select}")


def record(con: duckdb.DuckDBPyConnection, schema: str, name: str, select_hash: str, how: Plan) -> None:
    con.execute(
        "INSERT INTO audit.published_increments VALUES (?, ?, ?, ?, ?)",
        [schema, name, how.batch, select_hash, how.written],
    )


def base_file(published: Path, expected_sha256: str | None, sha256_of) -> Path | None:
    """The file the last published release wrote, when it is still that file (else None: copy everything);
    ``sha256_of``: the published file's SHA-256 (:func:`published_sha256`)."""
    if expected_sha256 is None or not published.is_file():
        return None
    return published if sha256_of(published) == expected_sha256 else None


# ---- the published file's stat: its SHA-256 without reading it ------------------------------------------

#: One row: the published file's stat when the release that wrote it had renamed it into place, and its SHA-256.
PUBLISHED_STAT_DDL = """
CREATE SCHEMA IF NOT EXISTS ingest_state;
CREATE TABLE IF NOT EXISTS ingest_state.published_file_stat (
    size BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    ctime_ns BIGINT NOT NULL,
    inode BIGINT NOT NULL,
    device BIGINT NOT NULL,
    file_sha256 VARCHAR NOT NULL
);
"""


@dataclass(frozen=True)
class PublishedStat:
    stat: tuple[int, ...]  # size, modification and change times (ns), inode, device
    sha256: str


def file_stat(path: Path) -> tuple[int, ...]:
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def recorded_published_stat(con: duckdb.DuckDBPyConnection) -> PublishedStat | None:
    """What :func:`record_published_stat` recorded in the build database (None: nothing yet)."""
    try:
        row = con.execute(
            "SELECT size, mtime_ns, ctime_ns, inode, device, file_sha256 FROM ingest_state.published_file_stat"
        ).fetchone()
    except duckdb.CatalogException:  # a build database from before the record (read-only: not created)
        return None
    return None if row is None else PublishedStat(tuple(row[:5]), row[5])


def record_published_stat(con: duckdb.DuckDBPyConnection, published: Path, sha256: str) -> None:
    """Record the stat of the file just renamed into place as ``published`` and its SHA-256 (hashed before the
    rename). Its stat is taken after the rename and the snapshots' pruning, the last changes this process makes
    to it; the file is read-only and nothing writes a published file after its rename."""
    con.execute(PUBLISHED_STAT_DDL)
    con.execute("DELETE FROM ingest_state.published_file_stat")
    con.execute(
        "INSERT INTO ingest_state.published_file_stat VALUES (?, ?, ?, ?, ?, ?)", [*file_stat(published), sha256]
    )


def published_sha256(published: Path, recorded: PublishedStat | None, sha256_file) -> str | None:
    """The SHA-256 of the published file as it is now (None: there is none), read again only when its stat
    differs from the one recorded when its release put it in place. Any write to the file changes its change
    time, which no tool can set back (the rule ingest applies to raw files: ``engine.file_sha256``), so an
    unchanged stat is unchanged content: the base check of a patched release and the night gate's check of a
    night with nothing new no longer read the 1.5 GB file of the large bench (1.5 s each).
    Raw files also wait out a racy window (a change within the same timestamp tick as the hashing): no one but
    the release step writes a published file, and it had finished writing before hashing."""
    if not published.is_file():
        return None
    if recorded is not None and file_stat(published) == recorded.stat:
        return recorded.sha256
    return sha256_file(published)
