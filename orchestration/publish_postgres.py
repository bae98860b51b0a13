"""Publishing a release into PostgreSQL too, for BI tools that need a server rather than a file.

Whatever the build engine, a published release can also be written into a PostgreSQL database
(``roi-ledger run --publish-to postgresql://...`` or ``$ROI_LEDGER_PUBLISH_POSTGRES_URL``): the same schemas
as the published DuckDB file (``staging``, ``marts``, ``audit``), the same rows (read from that file, so
personal identifiers are already pseudonymised and raw records already left out), the same types (money as
``numeric(38, 18)``, never float).

One transaction per release. The schemas are dropped and written again inside it, so a BI reader sees the
previous release or this one, never half of one (PostgreSQL's DDL is transactional). The transaction is
opened and filled before the DuckDB file is swapped in and committed right after, so a run that fails before
the swap leaves both untouched; a blocked night never gets here. Should the commit itself fail after the
swap, the next night (even an unchanged one) finds the server behind the published file and writes it again
(:func:`catch_up`).

Readers get a role of their own, ``roi_ledger_bi`` (``$ROI_LEDGER_POSTGRES_BI_ROLE``), created ``NOLOGIN``
when missing: it may read ``staging``, ``marts`` and the release trail (``audit.releases``,
``audit.ingested_files``, ``audit.ingested_money``), never the quarantine, the redaction counts or anything it
could write. Grant it to your BI tools' login roles. The schemas belong to the publisher: a view a BI user
creates in them is dropped with the next release (keep those in a schema of your own).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import duckdb

from orchestration.settings import connect_duckdb

PUBLISH_POSTGRES_ENV = "ROI_LEDGER_PUBLISH_POSTGRES_URL"
BI_ROLE_ENV = "ROI_LEDGER_POSTGRES_BI_ROLE"
DEFAULT_BI_ROLE = "roi_ledger_bi"
#: What a release writes, in the order it writes them (the published file's schemas).
SCHEMAS = ("staging", "marts", "audit")
#: The audit tables the BI role may read: the release trail, never the quarantine or the redaction counts.
BI_AUDIT_TABLES = ("releases", "ingested_files", "ingested_money")
#: Any two publishers of one database take turns (a constant key: one ledger per database).
ADVISORY_LOCK_KEY = 7_203_948_117

_SCALAR_TYPES = {
    "VARCHAR": "text",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "SMALLINT": "smallint",
    "TINYINT": "smallint",
    "HUGEINT": "numeric(38, 0)",
    "DOUBLE": "double precision",
    "FLOAT": "real",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz",
}
_DECIMAL = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class PostgresPublishError(RuntimeError):
    """The release could not be written into PostgreSQL (the message says what, never the password)."""


def target_url() -> str | None:
    """The PostgreSQL URL releases are also written to, or None."""
    return os.environ.get(PUBLISH_POSTGRES_ENV) or None


def normalised_url(url: str) -> str:
    """The URL libpq takes: ``postgresql://`` (``postgres://`` and SQLAlchemy's ``postgresql+psycopg2://``
    accepted); anything else is refused."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in ("postgresql", "postgres", "postgresql+psycopg2"):
        raise PostgresPublishError(f"not a PostgreSQL URL (postgresql://user@host:port/database): {redacted(url)}")
    return f"postgresql://{rest}"


def redacted(url: str) -> str:
    """The URL without its password (what release records and messages show)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def bi_role() -> str:
    role = os.environ.get(BI_ROLE_ENV) or DEFAULT_BI_ROLE
    if not _ROLE.match(role):
        raise PostgresPublishError(f"{BI_ROLE_ENV} must be a plain lower-case role name, not {role!r}")
    return role


def postgres_type(duckdb_type: str, where: str) -> str:
    """The PostgreSQL type of a published DuckDB column; a type not listed is refused, never sent as text."""
    found = _SCALAR_TYPES.get(duckdb_type)
    if found:
        return found
    m = _DECIMAL.match(duckdb_type)
    if m:
        return f"numeric({m.group(1)}, {m.group(2)})"
    raise PostgresPublishError(f"{where}: no PostgreSQL type for DuckDB type {duckdb_type}")


def ident(name: str) -> str:
    """A quoted PostgreSQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def published_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(schema, table, [(column, DuckDB type)]) of every table of the published schemas, in a stable order."""
    rows = con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        f"WHERE table_catalog = current_database() AND table_schema IN ({', '.join(repr(s) for s in SCHEMAS)}) "
        "ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall()
    out: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for schema, table, column, type_ in rows:
        out.setdefault((schema, table), []).append((column, type_))
    return [(s, t, cols) for (s, t), cols in out.items()]


def copy_rows(con: duckdb.DuckDBPyConnection, cur: Any, select: str, qualified: str, scratch: Path) -> int:
    """Append the rows of a DuckDB query to a server table, by value; returns the rows copied. DuckDB's CSV is
    PostgreSQL's: NULL unquoted and empty, an empty string quoted, decimals as written, doubles round-trip."""
    csv = scratch / "copy.csv"
    con.execute(f"COPY ({select}) TO '{csv}' (HEADER false)")
    with open(csv, encoding="utf-8") as fh:
        cur.copy_expert(f"COPY {qualified} FROM STDIN WITH (FORMAT csv)", fh)
    csv.unlink()
    return cur.rowcount


def create_table(cur: Any, schema: str, table: str, cols: list[tuple[str, str]]) -> str:
    """Create ``schema.table`` on the server with the columns (name, DuckDB type); returns its quoted name."""
    qualified = f"{ident(schema)}.{ident(table)}"
    ddl = ", ".join(f"{ident(c)} {postgres_type(t, f'{schema}.{table}.{c}')}" for c, t in cols)
    cur.execute(f"CREATE TABLE {qualified} ({ddl})")
    return qualified


def copy_table(
    con: duckdb.DuckDBPyConnection, cur: Any, schema: str, table: str, cols: list[tuple[str, str]], scratch: Path
) -> int:
    """Create ``schema.table`` on the server with the columns (name, DuckDB type) of the DuckDB relation of the
    same name, and copy its rows; returns the rows copied."""
    qualified = create_table(cur, schema, table, cols)
    return copy_rows(con, cur, f'SELECT * FROM {schema}."{table}"', qualified, scratch)


def _load(cur: Any, source: Path, role: str, scratch: Path) -> dict[str, int]:
    """Write every published table of ``source`` into the open transaction of ``cur``; returns row counts."""
    import psycopg2.errors

    counts: dict[str, int] = {}
    con = connect_duckdb(source, read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        tables = published_tables(con)
        for schema in SCHEMAS:
            cur.execute(f"DROP SCHEMA IF EXISTS {ident(schema)} CASCADE")
            cur.execute(f"CREATE SCHEMA {ident(schema)}")
        for schema, table, cols in tables:
            counts[f"{schema}.{table}"] = copy_table(con, cur, schema, table, cols, scratch)
    finally:
        con.close()
    cur.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,))
    if cur.fetchone() is None:
        cur.execute("SELECT rolcreaterole OR rolsuper FROM pg_roles WHERE rolname = current_user")
        if not cur.fetchone()[0]:
            raise PostgresPublishError(
                f"the BI role {role} does not exist and this user may not create it: create it once "
                f"(CREATE ROLE {role} NOLOGIN) as an administrator, or name another in {BI_ROLE_ENV}"
            )
        # roles belong to the server: a release published to another database at the same moment may create
        # it first (PostgreSQL then refuses this one), which is as good
        cur.execute("SAVEPOINT bi_role")
        try:
            cur.execute(f"CREATE ROLE {ident(role)} NOLOGIN")
        except (psycopg2.errors.DuplicateObject, psycopg2.errors.UniqueViolation):
            cur.execute("ROLLBACK TO SAVEPOINT bi_role")
    for schema in SCHEMAS:
        cur.execute(f"GRANT USAGE ON SCHEMA {ident(schema)} TO {ident(role)}")
    for schema in ("staging", "marts"):
        cur.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {ident(schema)} TO {ident(role)}")
    for table in BI_AUDIT_TABLES:
        cur.execute(f"GRANT SELECT ON audit.{ident(table)} TO {ident(role)}")
    return counts


def connect(url: str, purpose: str = "publish") -> Any:
    """A psycopg2 connection; a failure is named without the password."""
    import psycopg2

    try:
        return psycopg2.connect(normalised_url(url), connect_timeout=30, application_name=f"roi-ledger {purpose}")
    except psycopg2.Error as exc:
        raise PostgresPublishError(f"cannot connect to {redacted(url)}: {str(exc).strip()}") from None


@contextlib.contextmanager
def release_transaction(source: Path, url: str | None, scratch_dir: Path) -> Iterator[dict[str, int] | None]:
    """Load the release file ``source`` into PostgreSQL in one open transaction, yield its row counts, and
    commit when the body returns (the DuckDB swap happens in the body); roll back when it raises. Without a
    URL, a no-op yielding None."""
    if not url:
        yield None
        return
    import psycopg2

    conn = connect(url)
    try:
        with conn.cursor() as cur, tempfile.TemporaryDirectory(dir=scratch_dir, prefix=".pg-publish-") as scratch:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_LOCK_KEY,))
            try:
                counts = _load(cur, source, bi_role(), Path(scratch))
            except psycopg2.Error as exc:
                raise PostgresPublishError(f"writing the release into {redacted(url)}: {str(exc).strip()}") from None
            yield counts
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    finally:
        conn.close()


def published_release(url: str) -> str | None:
    """The release the server holds (its newest published row of ``audit.releases``), or None."""
    conn = connect(url)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT to_regclass('audit.releases') IS NOT NULL")
            if not cur.fetchone()[0]:
                return None
            cur.execute(
                "SELECT release_id FROM audit.releases WHERE status = 'published' ORDER BY created_at DESC, "
                "release_id DESC LIMIT 1"
            )
            row = cur.fetchone()
            return row[0] if row else None
    finally:
        conn.close()


def catch_up(published_db: Path, release_id: str | None, url: str | None, scratch_dir: Path) -> bool:
    """Write the published file into PostgreSQL when the server does not hold its release ``release_id`` (a
    target configured since, or a commit that failed after the swap); True when it wrote."""
    if not url or release_id is None or not published_db.exists():
        return False
    if published_release(url) == release_id:
        return False
    with release_transaction(published_db, url, scratch_dir):
        pass
    return True
