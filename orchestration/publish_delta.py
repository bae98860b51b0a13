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
    written: str                # kept | patched | copied
    batch: str | None
    scope: str | None = None    # patched: a condition on the build table's rows (alias ``t``)


def select_sha256(select: str) -> str:
    return hashlib.sha256(select.encode()).hexdigest()


def published_before(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str | None, str]]:
    """What the base file holds: (schema, table) -> (batch, select hash); empty for a file without the record."""
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
                        "AND table_schema = 'audit' AND table_name = 'published_increments'").fetchone()[0]
    if not found:
        return {}
    rows = con.execute("SELECT table_schema, table_name, batch, select_sha256 FROM audit.published_increments")
    return {(s, t): (b, h) for s, t, b, h in rows.fetchall()}


def _state(con: duckdb.DuckDBPyConnection, model: str) -> dict | None:
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = 'build' "
                        "AND table_schema = 'increments' AND table_name = ?", [f"{model}__state"]).fetchone()[0]
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
    found = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_catalog = 'build' "
                        "AND table_schema = 'increments' AND table_name = ?", [f"{name}__scope"]).fetchone()[0]
    if not found:
        return None
    match = " AND ".join(f"s.{c} = {{a}}.{c}" for c in PROVENANCE)
    return f'EXISTS (SELECT 1 FROM build.increments."{name}__scope" AS s WHERE {match})'


def plan(con: duckdb.DuckDBPyConnection, schema: str, name: str, select_hash: str,
         before: tuple[str | None, str] | None, unchanged_columns: set[str]) -> Plan:
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
    con.execute("INSERT INTO audit.published_increments VALUES (?, ?, ?, ?, ?)",
                [schema, name, how.batch, select_hash, how.written])


def base_file(published: Path, expected_sha256: str | None, sha256_file) -> Path | None:
    """The file the last published release wrote, when it is still that file (else None: copy everything)."""
    if expected_sha256 is None or not published.is_file():
        return None
    return published if sha256_file(published) == expected_sha256 else None
