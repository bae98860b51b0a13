"""Parquet exports of every published release, for BI tools that read files, not DuckDB.

Each release that publishes also writes ``DIR/published/exports/<release_id>/``: one Parquet file per table a
BI reader may read (every table of ``staging`` and ``marts``, and the audit tables the PostgreSQL BI role reads:
``releases``, ``ingested_files``, ``ingested_money``; never the quarantine or the redactions), written from the
release's own published file (so pseudonymised, without raw records), and ``manifest.json``: the release, and per
table its file, rows, bytes, SHA-256 and columns with their types and the descriptions of the dbt YAML.

``DIR/published/export`` is a symbolic link to the current release's folder, replaced by an atomic rename right
after the published file's own rename: a reader sees one whole release's export or the previous one, never a
mix, and a blocked or failed night leaves it as it was. Money stays ``DECIMAL(38, 18)`` (Parquet's decimal
logical type), timestamps are UTC, and a table the release kept unchanged (``audit.published_increments``) is a
hard link to the previous export's file rather than a new write. Old folders go with their release's snapshot
(``ROI_LEDGER_RELEASE_RETENTION``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import duckdb

from orchestration.engines import duckdb_columns
from orchestration.ingest.engine import sha256_file
from orchestration.publish_postgres import BI_AUDIT_TABLES
from orchestration.settings import Paths, connect_duckdb

#: Schemas exported whole; the audit tables exported are the PostgreSQL BI role's (``BI_AUDIT_TABLES``).
EXPORTED_SCHEMAS = ("staging", "marts")
MANIFEST = "manifest.json"
#: Version of the manifest's layout, raised when a field changes meaning.
MANIFEST_VERSION = 1


def dbt_descriptions(manifest_path: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(schema, table) -> {"description", "columns": {column: description}} of every dbt model and source."""
    manifest = json.loads(manifest_path.read_text())
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for node in [*manifest.get("nodes", {}).values(), *manifest.get("sources", {}).values()]:
        if node["resource_type"] not in ("model", "source"):
            continue
        name = node.get("identifier") or node.get("alias") or node["name"]
        out[(node["schema"], name)] = {
            "description": node.get("description") or "",
            "columns": {c: (v.get("description") or "") for c, v in node.get("columns", {}).items()},
        }
    return out


def exported_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of the release file ``con`` that are exported, in a stable order."""
    rows = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database() "
        f"AND (table_schema IN ({', '.join(repr(s) for s in EXPORTED_SCHEMAS)}) OR (table_schema = 'audit' "
        f"AND table_name IN ({', '.join(repr(t) for t in BI_AUDIT_TABLES)}))) ORDER BY 1, 2"
    ).fetchall()
    return [(s, t) for s, t in rows]


def _kept_tables(con: duckdb.DuckDBPyConnection) -> set[tuple[str, str]]:
    """Tables the release file holds exactly as the previous release did (``audit.published_increments``)."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = 'audit' AND table_name = 'published_increments'"
    ).fetchone()[0]
    if not found:
        return set()
    rows = con.execute("SELECT table_schema, table_name FROM audit.published_increments WHERE written = 'kept'")
    return {(s, t) for s, t in rows.fetchall()}


def current(paths: Paths) -> Path | None:
    """The folder ``DIR/published/export`` points at, or None before the first export."""
    link = paths.published_export
    return (paths.published_dir / os.readlink(link)) if link.is_symlink() else None


def write_export(
    published: Path,
    dest: Path,
    release: dict[str, Any],
    descriptions: dict[tuple[str, str], dict[str, Any]],
    previous: Path | None = None,
) -> dict[str, Any]:
    """Write the export of the release file ``published`` into the new folder ``dest`` (written under a
    temporary name, synced, then renamed: a folder that exists is whole); returns its manifest. A table the
    release kept is linked from ``previous`` (the last export) when that export holds it with the same columns."""
    before = json.loads((previous / MANIFEST).read_text()) if previous and (previous / MANIFEST).is_file() else {}
    before_tables = {(t["schema"], t["table"]): t for t in before.get("tables", [])}
    part = dest.with_name(f".{dest.name}.tmp")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    con = connect_duckdb(published, read_only=True)
    tables = []
    try:
        con.execute("SET TimeZone = 'UTC'")
        kept = _kept_tables(con)
        for schema, name in exported_tables(con):
            cols = duckdb_columns(con, schema, name)
            docs = descriptions.get((schema, name), {"description": "", "columns": {}})
            rel = f"{schema}/{name}.parquet"
            target = part / rel
            target.parent.mkdir(exist_ok=True)
            old = before_tables.get((schema, name))
            columns = [{"name": c, "type": t, "description": docs["columns"].get(c, "")} for c, t in cols]
            same = old is not None and [(c["name"], c["type"]) for c in old["columns"]] == list(map(tuple, cols))
            if (schema, name) in kept and same and (previous / rel).is_file():
                os.link(previous / rel, target)
                rows, digest = old["rows"], old["sha256"]
            else:
                rows = con.execute(  # COPY answers with the rows it wrote
                    f'COPY (SELECT * FROM {schema}."{name}") TO ? (FORMAT parquet, COMPRESSION zstd)', [str(target)]
                ).fetchone()[0]
                digest = sha256_file(target)
            tables.append(
                {
                    "schema": schema,
                    "table": name,
                    "file": rel,
                    "rows": rows,
                    "bytes": target.stat().st_size,
                    "sha256": digest,
                    "description": docs["description"],
                    "columns": columns,
                }
            )
    finally:
        con.close()
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "release_id": release["release_id"],
        "as_of": str(release["as_of"]),
        "engine": release.get("engine"),
        "published_sha256": release.get("published_sha256"),
        "tables": tables,
    }
    (part / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    for path in sorted(part.rglob("*")):
        if path.is_file():
            with open(path, "rb") as fh:
                os.fsync(fh.fileno())
    for folder in [*(p for p in part.rglob("*") if p.is_dir()), part]:
        fsync_dir(folder)
    os.replace(part, dest)
    fsync_dir(dest.parent)
    return manifest


def fsync_dir(path: Path) -> None:
    """Make a folder's entries (a rename into it) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def point_at(paths: Paths, folder: Path) -> None:
    """Make ``DIR/published/export`` point at ``folder`` (a release's export) by one atomic rename."""
    link = paths.published_export
    tmp = paths.published_dir / f".export.{folder.name}.tmp"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(folder.relative_to(paths.published_dir), tmp)
    if link.is_dir() and not link.is_symlink():  # a data directory copied without its links: a folder
        aside = paths.release_exports / f".copied.{folder.name}"
        os.replace(link, aside)
        shutil.rmtree(aside)
    os.replace(tmp, link)
    fsync_dir(paths.published_dir)


def prune(paths: Paths, keep_releases: set[str]) -> list[Path]:
    """Remove the export folders of releases not in ``keep_releases`` (never the current one), and folders a
    killed publish left half-written; returns what was removed."""
    root = paths.release_exports
    if not root.is_dir():
        return []
    live = current(paths)
    gone = []
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and folder != live and (folder.name.startswith(".") or folder.name not in keep_releases):
            shutil.rmtree(folder)
            gone.append(folder)
    return gone
