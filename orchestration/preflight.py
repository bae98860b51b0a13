"""The night gate before the run: ``roi-ledger run`` records an ``unchanged`` release without starting the
Dagster run when the night would land nothing and its fingerprint equals the last published release's.

The scheduled job takes the same decision inside its run (asset ``release/night_fingerprint``, after its ingest
steps: :mod:`orchestration.nightgate`); this one saves the run itself (Dagster's start-up, one step per dataset,
the landing GX suites): an empty night at the large demo scale cost 47 s through the run. Same fingerprint, same
comparison (:func:`orchestration.nightgate.compare`), so both gates agree on what ``unchanged`` means.

"Would land nothing" is decided from the build database's own records, read-only, never by reading a raw file:

- every file under a dataset's folder is recorded for that dataset, not superseded, with the SHA-256 its stat
  vouches for (:func:`orchestration.ingest.engine.vouched_sha256`): ingest would skip it; a link is recorded as
  refused;
- every file outside the dataset folders is recorded ``unclaimed`` with that SHA-256;
- no file recorded ``rejected`` has left ``raw/`` (ingest would mark it withdrawn);
- every landed file's Parquet file is there (ingest would land it again);
- nothing was recorded since the last release, which was ``published`` or ``unchanged``: a night that blocked
  (a rejected file, a failed gate) runs again in full until a release is published.

Any doubt (a stat that changed, a file not recorded, no build database or release, a stale dbt manifest,
``--full-refresh``) and the night runs as usual; the reason is returned for the run's log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from orchestration.datasets import DATASETS
from orchestration.ingest.engine import UNREAD, dataset_of, vouched_sha256, walk_raw
from orchestration.ingest.landing import landed_files, landing_root, missing_landing_files
from orchestration.settings import DBT_PROJECT_DIR, Paths, connect_duckdb

#: Where ``dbt parse`` writes the manifest (``orchestration.dbt.dbt_project().manifest_path``, without
#: importing dagster-dbt: a test holds them equal).
MANIFEST_PATH = DBT_PROJECT_DIR / "target" / "manifest.json"
#: Release label of an ``unchanged`` release recorded here (no Dagster run: ``run_id`` is empty).
LABEL = "preflight"


@dataclass(frozen=True)
class Preflight:
    """``unchanged`` with the release recorded, or why the night runs."""

    unchanged: bool
    reason: str
    release: dict[str, Any] | None = None


def pending_ingest(con: duckdb.DuckDBPyConnection, raw_dir: Path, root: Path) -> str | None:
    """The first thing a night's ingest would land, record or mend, or None when it would skip every file."""
    recorded = {
        (d, f, s)
        for d, f, s in con.execute(
            "SELECT dataset, source_file, file_sha256 FROM audit.ingested_files WHERE status <> 'superseded'"
        ).fetchall()
    }
    for path in walk_raw(raw_dir):
        rel = path.relative_to(raw_dir).as_posix()
        key = dataset_of(raw_dir, path, DATASETS)
        if path.is_symlink():
            sha: str | None = UNREAD
        else:
            sha, _ = vouched_sha256(con, path, rel)
        if sha is None:
            return f"raw/{rel}: new, or changed since it was last hashed"
        if (key, rel, sha) not in recorded:
            return f"raw/{rel}: not ingested yet"
    for (rel,) in con.execute(
        "SELECT DISTINCT source_file FROM audit.ingested_files WHERE status = 'rejected'"
    ).fetchall():
        if not (raw_dir / rel).is_symlink() and not (raw_dir / rel).is_file():
            return f"raw/{rel}: a rejected file left raw/ (its rejection is withdrawn by ingest)"
    for ds in DATASETS:
        for rel, _ in missing_landing_files(root, ds, landed_files(con, ds)):
            return f"raw/{rel}: its landing file is missing (it lands again)"
    return None


def _recorded_since_release(con: duckdb.DuckDBPyConnection) -> str | None:
    last = con.execute(
        "SELECT release_id, status, created_at FROM audit.releases ORDER BY created_at DESC LIMIT 1"
    ).fetchone()
    if last is None:
        return "no release yet"
    if last[1] not in ("published", "unchanged"):
        return f"the last release {last[0]} is {last[1]}"
    newer = con.execute("SELECT count(*) FROM audit.ingested_files WHERE ingested_at > ?", [last[2]]).fetchone()[0]
    return f"{newer} file record(s) written since release {last[0]}" if newer else None


def manifest_stale(manifest: Path = MANIFEST_PATH) -> bool:
    """The manifest is missing or older than a file of the dbt project (``roi-ledger run`` parses again)."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    watched = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for sub in ("models", "macros", "seeds", "tests", "snapshots"):
        watched += [p for p in (DBT_PROJECT_DIR / sub).rglob("*") if p.is_file()]
    return any(p.exists() and p.stat().st_mtime > built for p in watched)


def check(paths: Paths, *, as_of: date, scenario: list[dict[str, Any]], full_refresh: bool = False) -> Preflight:
    """Record an ``unchanged`` release and say so when the night would change nothing; else say why it runs.
    Call under the run lock (:func:`orchestration.runguard.run_session`)."""
    if full_refresh:
        return Preflight(False, "full refresh requested")
    if not paths.build_db.is_file():
        return Preflight(False, "no build database yet")
    if manifest_stale():
        return Preflight(False, "the dbt manifest is older than the dbt project")
    try:
        con = connect_duckdb(paths.build_db, read_only=True)
    except duckdb.Error as exc:
        return Preflight(False, f"build database not readable: {exc}")
    try:
        try:
            why = _recorded_since_release(con) or pending_ingest(con, paths.raw, landing_root(paths.build_db))
        except duckdb.CatalogException as exc:  # a build database of an older layout: the run migrates it
            why = f"build database without the records this check reads ({exc})"
        if why:
            return Preflight(False, why)
    finally:
        con.close()
    from orchestration import publish

    verdict, files = publish.night_verdict(paths, as_of=as_of, manifest_path=MANIFEST_PATH, scenario=scenario)
    if not verdict.unchanged:
        return Preflight(False, verdict.reason)
    rec = publish.record_unchanged(
        paths, run_id=None, as_of=as_of, checks=[], verdict=verdict, files=files, label=LABEL
    )
    return Preflight(True, verdict.reason, rec)
