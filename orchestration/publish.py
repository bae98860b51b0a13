"""Write-audit-publish: the release step and the release records.

The nightly job writes only the build database. Blocking checks (ingest checks, dbt tests of error
severity) stop the run before this step; when every one passed, :func:`publish_release` builds a new
DuckDB file beside the published one, then swaps it in with one atomic ``os.replace``: a BI reader sees
the old release or the new one, never half of one, and a blocked or failed run leaves the published file
byte-identical.

Every run that reaches a verdict leaves a row in ``audit.releases``:
``published`` (file replaced), ``unchanged`` (same inputs and code as the release already published:
nothing is rewritten, so re-running a night changes nothing) or ``blocked`` (checks named in
``failed_checks``). The published file carries its own copy of ``audit``; the quarantine there omits
``raw_record`` and no table carries ``_record`` / ``_extra`` (raw records may hold personal data; auditors
read them in the build database, or in the raw file at ``_source_file`` / ``_line``).

Personal identifiers: columns marked ``meta: {pii: true}`` in the dbt YAML are replaced by a keyed hash in
the published file; columns marked ``meta: {publish: false}`` (free-form content) are left out of it. The
key is ``ROI_LEDGER_PSEUDONYM_KEY`` or, if unset, a random key generated once into
``DIR/warehouse/.pseudonym_key`` (outside the repository, never published).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb

from orchestration import engines, nightgate, publish_delta, publish_export, publish_postgres, report
from orchestration.check_outcomes import CheckOutcome
from orchestration.ingest.engine import sha256_file
from orchestration.ingest.landing import AUDIT_DDL
from orchestration.publish_export import fsync_dir
from orchestration.settings import (
    REPO_ROOT,
    Paths,
    connect_duckdb,
    release_retention,
    report_enabled,
)

PUBLISHED_SCHEMAS = ("staging", "marts")
PSEUDONYM_KEY_ENV = "ROI_LEDGER_PSEUDONYM_KEY"
#: Whole raw records (JSON) stay in the build database: they hold personal data the published file must not.
RAW_RECORD_COLUMNS = {"_record", "_extra"}


def _connect_build(paths: Paths, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    con = connect_duckdb(paths.build_db, read_only=read_only)
    if not read_only:
        con.execute(AUDIT_DDL)
    return con


def input_files(con: duckdb.DuckDBPyConnection) -> list[dict[str, str]]:
    rows = con.execute(
        "SELECT dataset, source_file, file_sha256 FROM audit.ingested_files WHERE status = 'landed' "
        "ORDER BY dataset, source_file, file_sha256"
    ).fetchall()
    return [{"dataset": d, "source_file": f, "file_sha256": s} for d, f, s in rows]


def fingerprint(
    files: list[dict[str, str]],
    code_checksum: str,
    as_of: date,
    model_parameters: list[dict[str, Any]] | None = None,
    engine: str = "duckdb",
) -> str:
    """What a release is made of: landed inputs, the dbt code, the as-of date, the scenario model's run
    parameters (seed, iterations, model version: another seed is another release) and the build engine (named
    only when it is not DuckDB, so earlier fingerprints hold) (pure: tested)."""
    content: dict[str, Any] = {"files": files, "code": code_checksum, "as_of": as_of.isoformat()}
    if model_parameters:
        content["models"] = model_parameters
    if engine != "duckdb":
        content["engine"] = engine
    blob = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def model_parameters(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """The scenario model's last run parameters in the build database (empty before its first run)."""
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'scenario_model' AND table_name = 'run_parameters'"
    ).fetchall()
    if not found[0][0]:
        return []
    rows = con.execute(
        "SELECT seed, iterations, model_version FROM scenario_model.run_parameters ORDER BY ALL"
    ).fetchall()
    return [p for r in rows for p in nightgate.scenario_parameters(*r)]


def column_policies(manifest_path: Path) -> dict[tuple[str, str], dict[str, list[str]]]:
    """(schema, model) -> {"pii": columns to pseudonymise, "drop": columns never published}, from the column
    ``meta`` in the dbt YAML (``pii: true`` / ``publish: false``)."""
    manifest = json.loads(manifest_path.read_text())
    out: dict[tuple[str, str], dict[str, list[str]]] = {}
    for n in manifest["nodes"].values():
        if n["resource_type"] != "model":
            continue
        policy: dict[str, list[str]] = {"pii": [], "drop": []}
        for c, spec in n.get("columns", {}).items():
            meta = {**(spec.get("meta") or {}), **(spec.get("config", {}).get("meta") or {})}
            if meta.get("publish") is False:
                policy["drop"].append(c)
            elif meta.get("pii"):
                policy["pii"].append(c)
        if policy["pii"] or policy["drop"]:
            out[(n["schema"], n.get("alias") or n["name"])] = policy
    return out


def pseudonym_key(paths: Paths) -> str:
    key = os.environ.get(PSEUDONYM_KEY_ENV)
    if key:
        return key
    key_file = paths.warehouse / ".pseudonym_key"
    if not key_file.exists():
        paths.warehouse.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def last_release(con: duckdb.DuckDBPyConnection, status: str = "published") -> dict[str, Any] | None:
    cur = con.execute("SELECT * FROM audit.releases WHERE status = ? ORDER BY created_at DESC LIMIT 1", [status])
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cur.description], row, strict=True))


def _release_id(now: datetime, run_id: str | None, label: str = "manual") -> str:
    """``r<UTC time>-<first 8 of the run id>``, or ``-<label>`` for a release recorded without a run."""
    return f"r{now:%Y%m%dT%H%M%S}-{run_id[:8] if run_id else label}"


RELEASE_COLUMNS = [
    "release_id",
    "run_id",
    "as_of",
    "status",
    "failed_checks",
    "checks",
    "input_files",
    "input_fingerprint",
    "row_counts",
    "published_sha256",
    "created_at",
    "code_version",
    "tool_versions",
    "snapshot_path",
    "published_batches",
    "engine",
    "published_to",
]
#: Packages whose versions make a release reproducible.
TOOL_PACKAGES = (
    "dagster",
    "dagster-dbt",
    "dbt-core",
    "dbt-duckdb",
    "duckdb",
    "great-expectations",
    "numpy",
    "pandas",
    "pyarrow",
)


def tool_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    if engines.engine() == "postgres":  # the build engine's adapter and server
        out["postgresql"] = engines.server_version(engines.postgres_url())
    adapters = {"postgres": ("dbt-postgres",), "spark": ("dbt-spark", "pyspark")}.get(engines.engine(), ())
    for pkg in (*TOOL_PACKAGES, *adapters):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def code_version(repo: Path = REPO_ROOT) -> str:
    """The git commit of the code that made the release, ``+dirty`` when the checkout had uncommitted changes
    to tracked files; ``ROI_LEDGER_CODE_VERSION`` where there is no git checkout (e.g. an installed package)."""
    env = os.environ.get("ROI_LEDGER_CODE_VERSION")
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return env or "unknown (no git checkout; set ROI_LEDGER_CODE_VERSION)"
    return head + ("+dirty" if dirty else "")


def _insert_release(con: duckdb.DuckDBPyConnection, rec: dict[str, Any]) -> None:
    cols = RELEASE_COLUMNS
    con.execute(
        f"INSERT INTO audit.releases ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
        [rec.get(c) for c in cols],
    )


def _build_published_file(
    paths: Paths,
    tmp: Path,
    rec: dict[str, Any],
    policies: dict[tuple[str, str], dict[str, list[str]]],
    key: str,
    base: Path | None = None,
) -> dict[str, int]:
    """Write the published schemas and the audit trail into a new DuckDB file; return row counts. With
    ``base`` (the file the last published release wrote), the new file starts as its copy and each table is
    kept, patched or copied again (:mod:`orchestration.publish_delta`)."""
    if tmp.exists():
        tmp.unlink()
    if base is not None:
        shutil.copyfile(base, tmp)
        os.chmod(tmp, 0o600)
    con = connect_duckdb(tmp)
    counts: dict[str, int] = {}
    batches: dict[str, str] = {}
    try:
        con.execute("SET TimeZone = 'UTC'")
        before = publish_delta.published_before(con) if base is not None else {}
        con.execute("DROP SCHEMA IF EXISTS audit CASCADE")  # the audit trail is written whole, below
        con.execute(f"ATTACH '{paths.build_db}' AS build (READ_ONLY)")
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = 'build' "
            f"AND table_schema IN ({', '.join(repr(s) for s in PUBLISHED_SCHEMAS)}) "
            "ORDER BY table_schema, table_name"
        ).fetchall()
        stale = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database() "
            f"AND table_schema IN ({', '.join(repr(s) for s in PUBLISHED_SCHEMAS)})"
        ).fetchall()
        for schema, name in set(stale) - set(tables):
            con.execute(f'DROP TABLE {schema}."{name}"')
        con.execute(AUDIT_DDL)
        con.execute(publish_delta.INCREMENTS_DDL)
        con.execute(
            "CREATE OR REPLACE MACRO pseudonymise(v) AS "
            "CASE WHEN v IS NULL THEN NULL ELSE 'pii_' || left(sha256(getvariable('pk') || '|' || "
            "lower(trim(CAST(v AS VARCHAR)))), 20) END"
        )
        con.execute("SET VARIABLE pk = ?", [key])
        for schema, name in tables:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
            present = {
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'build' "
                    "AND table_schema = ? AND table_name = ?",
                    [schema, name],
                ).fetchall()
            }
            policy = policies.get((schema, name), {})
            dropped = sorted(present & (RAW_RECORD_COLUMNS | set(policy.get("drop", []))))
            cols = [c for c in policy.get("pii", []) if c in present]
            exclude = f" EXCLUDE ({', '.join(dropped)})" if dropped else ""
            replace = f" REPLACE ({', '.join(f'pseudonymise({c}) AS {c}' for c in cols)})" if cols else ""
            select = f'SELECT *{exclude}{replace} FROM build.{schema}."{name}" AS t'
            # what the published table is made of: its SELECT, the build table's columns, the pseudonym key
            select_hash = publish_delta.select_sha256(
                f"{select} columns {sorted(present)} key {hashlib.sha256(key.encode()).hexdigest()}"
            )
            how = publish_delta.plan(
                con, schema, name, select_hash, before.get((schema, name)), present - set(dropped) - set(cols)
            )
            publish_delta.write_table(con, schema, name, select, how)
            publish_delta.record(con, schema, name, select_hash, how)
            if how.batch is not None:
                batches[f"{schema}.{name}"] = how.batch
            counts[f"{schema}.{name}"] = con.execute(f'SELECT count(*) FROM {schema}."{name}"').fetchone()[0]
        con.execute("INSERT INTO audit.ingested_files SELECT * FROM build.audit.ingested_files")
        con.execute("INSERT INTO audit.ingested_money SELECT * FROM build.audit.ingested_money")
        con.execute("INSERT INTO audit.redactions SELECT * FROM build.audit.redactions")
        con.execute(
            "INSERT INTO audit.quarantine SELECT * REPLACE (CAST(NULL AS VARCHAR) AS raw_record) "
            "FROM build.audit.quarantine"
        )
        con.execute("INSERT INTO audit.releases BY NAME SELECT * FROM build.audit.releases")
        rec["row_counts"] = json.dumps(counts, sort_keys=True)
        # what dbt's `unique_incremental` tests start from: the batches this release vouches for
        rec["published_batches"] = json.dumps(batches, sort_keys=True)
        _insert_release(con, rec)
        con.execute("DETACH build")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    with open(tmp, "rb+") as fh:
        os.fsync(fh.fileno())
    return counts


#: The published file and its snapshots: read-only, readable by the BI accounts (the file is pseudonymised).
PUBLISHED_MODE = 0o444


def _keep_snapshot(published_tmp: Path, snapshot: Path) -> None:
    """Keep the release about to be published (written whole and synced) as its immutable snapshot: the file is
    made read-only and given the snapshot's name as a second name (a hard link), renamed into place, so a snapshot
    that exists is complete. Nothing writes a published file after its rename (each release writes a new file),
    so one read-only file serves the BI readers and the audit trail, and a release costs no copy of its file
    (1.5 GB at the large bench scale); a copy where the filesystem cannot link."""
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    part = snapshot.with_name(f".{snapshot.name}.tmp")
    os.chmod(published_tmp, PUBLISHED_MODE)
    try:
        os.link(published_tmp, part)
    except OSError:
        shutil.copyfile(published_tmp, part)
        with open(part, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(part, PUBLISHED_MODE)
    os.replace(part, snapshot)
    fsync_dir(snapshot.parent)


def prune_snapshots(paths: Paths, keep: int) -> list[Path]:
    """Delete release snapshots beyond the newest ``keep`` (0 keeps every one); returns what was deleted.
    Release ids sort by creation time (``r<UTC timestamp>-<run>``). The release records stay."""
    if keep <= 0 or not paths.release_snapshots.is_dir():
        return []
    snaps = sorted(paths.release_snapshots.glob("r*.duckdb"), key=lambda p: p.name, reverse=True)
    gone = snaps[keep:]
    for p in gone:
        os.chmod(p, 0o644)
        p.unlink()
    return gone


def publish_release(
    paths: Paths,
    *,
    run_id: str | None,
    as_of: date,
    checks: list[CheckOutcome],
    manifest_path: Path,
    now: datetime | None = None,
    trust_stats: bool = True,
) -> dict[str, Any]:
    """Publish (or record ``unchanged`` / ``blocked``); returns the release record. ``trust_stats=False``
    (``--full-refresh``): the published file is hashed again even when its stat vouches for it."""
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    paths.ensure()
    con = _connect_build(paths)
    try:
        files = input_files(con)
        fp = fingerprint(files, nightgate.code_checksum(manifest_path), as_of, model_parameters(con), engines.engine())
        previous = last_release(con)
        recorded = publish_delta.recorded_published_stat(con) if trust_stats else None
    finally:
        con.close()
    failed = [c for c in checks if c.blocks]
    rec = _release_record(now=now, run_id=run_id, as_of=as_of, checks=checks, files=files, fp=fp, failed=failed)
    if failed:
        rec["status"] = "blocked"
    elif (
        previous is not None
        and previous["input_fingerprint"] == fp
        and nightgate.compare(files, fp, previous, lambda: _published_sha256(paths, recorded)).unchanged
    ):
        rec.update(status="unchanged", published_sha256=previous["published_sha256"], row_counts=previous["row_counts"])
    else:
        rec["status"] = "published"
        snapshot = paths.release_snapshots / f"{rec['release_id']}.duckdb"
        rec["snapshot_path"] = snapshot.relative_to(paths.data_dir).as_posix()
        tmp = paths.published_dir / f".roi.duckdb.{rec['release_id']}.tmp"
        export = paths.release_exports / rec["release_id"]
        with_report = report_enabled()
        postgres = publish_postgres.target_url()
        if postgres:
            rec["published_to"] = json.dumps([publish_postgres.redacted(postgres)])
        try:
            base = publish_delta.base_file(
                paths.published_db,
                previous["published_sha256"] if previous else None,
                lambda p: _published_sha256(paths, recorded),
            )
            _build_published_file(paths, tmp, rec, column_policies(manifest_path), pseudonym_key(paths), base)
            rec["published_sha256"] = sha256_file(tmp)
            docs = publish_export.dbt_descriptions(manifest_path)
            publish_export.write_export(tmp, export, rec, docs, publish_export.current(paths))
            if with_report:
                report.keep_release_report(paths, tmp, rec["release_id"], rec["published_sha256"])
            # PostgreSQL (when asked for) holds the release in an open transaction, committed after the swap
            with publish_postgres.release_transaction(tmp, postgres, paths.warehouse):
                _keep_snapshot(tmp, snapshot)
                os.replace(tmp, paths.published_db)  # the atomic swap
                fsync_dir(paths.published_dir)
                publish_export.point_at(paths, export)  # and the export's, right after it
                report.point_at(paths, rec["release_id"] if with_report else None)  # and the report's
        finally:
            if tmp.exists():
                tmp.unlink()
                shutil.rmtree(export, ignore_errors=True)
                report.release_report(paths, rec["release_id"]).unlink(missing_ok=True)
        prune_snapshots(paths, release_retention())
        publish_export.prune(paths, {p.stem for p in paths.release_snapshots.glob("r*.duckdb")})
        report.prune(paths)
    con = _connect_build(paths)
    try:
        _insert_release(con, rec)
        if rec["status"] == "published":
            publish_delta.record_published_stat(con, paths.published_db, rec["published_sha256"])
    finally:
        con.close()
    return rec


def _release_record(
    *,
    now: datetime,
    run_id: str | None,
    as_of: date,
    checks: list[CheckOutcome],
    files: list[dict[str, str]],
    fp: str,
    failed: list[CheckOutcome],
    label: str = "manual",
) -> dict[str, Any]:
    """The fields every release record has, whatever its status (the caller adds status and what follows)."""
    return {
        "release_id": _release_id(now, run_id, label),
        "run_id": run_id,
        "as_of": as_of,
        "checks": json.dumps([c.as_dict() for c in checks], default=str),
        "input_files": json.dumps(files),
        "input_fingerprint": fp,
        "created_at": now,
        "failed_checks": json.dumps([c.as_dict() for c in failed], default=str),
        "code_version": code_version(),
        "tool_versions": json.dumps(tool_versions(), sort_keys=True),
        "engine": engines.engine(),
    }


def _published_sha256(paths: Paths, recorded: publish_delta.PublishedStat | None) -> str | None:
    return publish_delta.published_sha256(paths.published_db, recorded, sha256_file)


def night_verdict(
    paths: Paths, *, as_of: date, manifest_path: Path, scenario: list[dict[str, Any]], full_refresh: bool = False
) -> tuple[nightgate.Verdict, list[dict[str, str]]]:
    """The night gate's verdict (:mod:`orchestration.nightgate`) from the build database after ingest, with the
    scenario model's parameters of this run; and the night's landed input files."""
    con = _connect_build(paths)
    try:
        files = input_files(con)
        previous = last_release(con)
        recorded = publish_delta.recorded_published_stat(con)
    finally:
        con.close()
    fp = fingerprint(files, nightgate.code_checksum(manifest_path), as_of, scenario, engines.engine())
    return nightgate.compare(
        files, fp, previous, lambda: _published_sha256(paths, recorded), full_refresh=full_refresh
    ), files


def record_unchanged(
    paths: Paths,
    *,
    run_id: str | None,
    as_of: date,
    checks: list[CheckOutcome],
    verdict: nightgate.Verdict,
    files: list[dict[str, str]],
    now: datetime | None = None,
    label: str = "manual",
) -> dict[str, Any]:
    """Record the ``unchanged`` release of a night the gate stopped: the published file and its row counts are
    the previous release's; the checks are those the night evaluated before the gate (its ingest; none when
    the gate ran before the run: :mod:`orchestration.preflight`, whose ``label`` names the release without
    a run)."""
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    con = _connect_build(paths)
    try:
        previous = last_release(con)
        rec = _release_record(
            now=now,
            run_id=run_id,
            as_of=as_of,
            checks=checks,
            files=files,
            fp=verdict.fingerprint,
            failed=[],
            label=label,
        )
        rec.update(status="unchanged", published_sha256=previous["published_sha256"], row_counts=previous["row_counts"])
        _insert_release(con, rec)
    finally:
        con.close()
    # a PostgreSQL target configured since the release, or whose commit failed after the swap, gets it now
    postgres = publish_postgres.target_url()
    if publish_postgres.catch_up(
        paths.published_db, previous["release_id"] if previous else None, postgres, paths.warehouse
    ):
        rec["published_to"] = json.dumps([publish_postgres.redacted(postgres)])
        con = _connect_build(paths)
        try:
            con.execute(
                "UPDATE audit.releases SET published_to = ? WHERE release_id = ?",
                [rec["published_to"], rec["release_id"]],
            )
        finally:
            con.close()
    return rec


def record_blocked_run(
    paths: Paths, *, run_id: str, as_of: date, checks: list[CheckOutcome], manifest_path: Path
) -> dict[str, Any] | None:
    """Record a run stopped by blocking checks (called by the CLI and the run-failure sensor).

    Returns the record, or None when no blocking check failed (the run failed for another reason).
    """
    if not any(c.blocks for c in checks):
        return None
    con = _connect_build(paths)
    try:
        if con.execute("SELECT count(*) FROM audit.releases WHERE run_id = ?", [run_id]).fetchone()[0]:
            cur = con.execute("SELECT * FROM audit.releases WHERE run_id = ?", [run_id])
            return dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
    finally:
        con.close()
    return publish_release(paths, run_id=run_id, as_of=as_of, checks=checks, manifest_path=manifest_path)


def _read_releases(paths: Paths, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Rows of ``audit.releases`` from the build database, or from the published file while a run holds the
    build database (read-only either way: reading never blocks a run)."""
    for db in (paths.build_db, paths.published_db):
        if not db.exists():
            continue
        try:
            con = connect_duckdb(db, read_only=True)
        except duckdb.Error:
            continue
        try:
            cur = con.execute(sql, params or [])
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        except duckdb.CatalogException:
            return []
        finally:
            con.close()
    return []


def get_release(paths: Paths, release_id: str) -> dict[str, Any] | None:
    """One release record in full (every check with its observed values), or None."""
    rows = _read_releases(paths, "SELECT * FROM audit.releases WHERE release_id = ?", [release_id])
    return rows[0] if rows else None


def list_releases(paths: Paths) -> list[dict[str, Any]]:
    """Releases newest first, without the (long) list of every check."""
    return _read_releases(
        paths, "SELECT * EXCLUDE (checks) FROM audit.releases ORDER BY created_at DESC, release_id DESC"
    )
