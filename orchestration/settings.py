"""Paths and run settings: the one documented place, resolved when a run starts (never at import). No Dagster here:
the settings as the run's Dagster resource are :mod:`orchestration.resources`.

The data directory comes from, in order: the run's resource config (``roi-ledger run --data-dir``), the
``ROI_LEDGER_DATA_DIR`` environment variable, then ``./data``. Its layout::

    DIR/raw/<system>/<dataset>/...   landing: the pipeline never modifies or deletes a file here
    DIR/warehouse/roi.duckdb         build database (only the pipeline writes it)
    DIR/warehouse/dbt_target/        dbt run artifacts
    DIR/warehouse/logs/              run logs
    DIR/warehouse/.run.lock          held (flock) by the one run at a time
    DIR/published/roi.duckdb         what BI reads; replaced only by atomic rename
    DIR/published/releases/<id>.duckdb  an immutable (read-only) copy of every published release
    DIR/audit/                       the auditor's trail: GX results and Data Docs, OpenLineage events

The warehouse holds raw records with personal data (emails, whole vendor rows): it is the owner's only
(directories 0700, files 0600, :func:`make_private`). The published file is pseudonymised and stays
readable by the BI tools' accounts.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
DEFAULT_DATA_DIR = "data"
DATA_DIR_ENV = "ROI_LEDGER_DATA_DIR"
DUCKDB_PATH_ENV = "ROI_LEDGER_DUCKDB_PATH"
SCHEDULE_TZ_ENV = "ROI_LEDGER_SCHEDULE_TZ"
SCHEDULE_CRON_ENV = "ROI_LEDGER_SCHEDULE_CRON"
MEMORY_LIMIT_ENV = "ROI_LEDGER_DUCKDB_MEMORY_LIMIT"
#: Set by the pipeline for the dbt process it starts: the buffer-pool limit of dbt's DuckDB connection.
CONNECTION_LIMIT_ENV = "ROI_LEDGER_DUCKDB_CONNECTION_LIMIT"
#: The run's as-of date for dbt (macro ``spine_as_of_date``): an environment variable, not a dbt var, because dbt
#: parses the whole project again when a var changes (measured: 14 s against 6 s for a partial parse), and only
#: the files that read an environment variable when its value does.
AS_OF_ENV = "ROI_LEDGER_AS_OF"
RELEASE_RETENTION_ENV = "ROI_LEDGER_RELEASE_RETENTION"
#: Datasets the night ingests at once (:func:`orchestration.ingest.parallel.workers`).
INGEST_THREADS_ENV = "ROI_LEDGER_INGEST_THREADS"
DEFAULT_RELEASE_RETENTION = 30


def available_cpus() -> int:
    """The CPUs this process may run on (its affinity where the OS tells it): what the scenario simulations and the
    night's ingest size their threads by."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@dataclass(frozen=True)
class Paths:
    data_dir: Path

    @property
    def raw(self) -> Path:
        return self.data_dir / "raw"

    @property
    def warehouse(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def build_db(self) -> Path:
        return self.warehouse / "roi.duckdb"

    @property
    def dbt_target(self) -> Path:
        return self.warehouse / "dbt_target"

    @property
    def published_dir(self) -> Path:
        return self.data_dir / "published"

    @property
    def published_db(self) -> Path:
        return self.published_dir / "roi.duckdb"

    @property
    def release_snapshots(self) -> Path:
        return self.published_dir / "releases"

    @property
    def published_export(self) -> Path:
        """The current release's Parquet export: a link into :attr:`release_exports`."""
        return self.published_dir / "export"

    @property
    def published_report(self) -> Path:
        """The current release's report (orchestration/report): a copy of the one beside its snapshot."""
        return self.published_dir / "report" / "index.html"

    @property
    def release_exports(self) -> Path:
        """Each published release's Parquet export (``published/export`` links to the current one)."""
        return self.published_dir / "exports"

    @property
    def audit_dir(self) -> Path:
        return self.data_dir / "audit"

    @property
    def run_log_dir(self) -> Path:
        return self.warehouse / "logs"

    @property
    def run_lock(self) -> Path:
        return self.warehouse / ".run.lock"

    def interrupted_publish_files(self) -> list[Path]:
        """Temporary files a publish leaves when it is killed before its rename: the release being built
        (``published/.roi.duckdb.<release>.tmp`` and DuckDB's ``.wal`` of it) and the snapshot being copied
        (``published/releases/.<release>.duckdb.tmp``), and the report's (``published/releases/.<release>.html.tmp``,
        ``published/report/.index.html.<release>.tmp``). Only the run that holds the run lock may delete them:
        another run's publish could be writing them."""
        found = [
            *self.published_dir.glob(".roi.duckdb.*.tmp"),
            *self.published_dir.glob(".roi.duckdb.*.tmp.wal"),
            *self.release_snapshots.glob(".*.duckdb.tmp"),
            *self.release_snapshots.glob(".*.html.tmp"),
            *self.published_report.parent.glob(".index.html.*.tmp"),
        ]
        return sorted(p for p in found if p.is_file())

    def ensure(self) -> None:
        for p in (self.raw, self.published_dir):
            p.mkdir(parents=True, exist_ok=True)
        self.warehouse.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        make_private(self.warehouse)


#: The warehouse directory (and every directory in it) and every file written there: the owner's only.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private(path: Path, *, recursive: bool = False) -> None:
    """Owner-only permissions on ``path`` (0700 a directory, 0600 a file; a DuckDB file's ``.wal`` too),
    and on everything under it when ``recursive``. Missing paths (a ``.wal`` DuckDB has just removed) are
    skipped; files another user owns are left as they are (only their owner may change them)."""
    paths = [path, path.with_name(path.name + ".wal")]
    if recursive and path.is_dir():
        paths += path.rglob("*")
    for p in paths:
        try:
            st = p.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid():
            continue
        mode = PRIVATE_DIR_MODE if stat.S_ISDIR(st.st_mode) else PRIVATE_FILE_MODE
        if stat.S_IMODE(st.st_mode) != mode:
            with contextlib.suppress(FileNotFoundError):
                os.chmod(p, mode)


#: The share of ``ROI_LEDGER_DUCKDB_MEMORY_LIMIT`` each DuckDB connection's buffer pool gets: DuckDB allocates
#: some memory outside it (measured: 4.19 GB resident for a 4 GB limit while landing a 1.2 GB CSV file), and
#: the run's Python processes (Dagster's, dbt's) live in the 1 GB margin beside the cap.
CONNECTION_SHARE = 0.85
_UNITS = {
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
}


def memory_cap_bytes(text: str | None = None) -> int:
    """``ROI_LEDGER_DUCKDB_MEMORY_LIMIT`` (default 4GB) in bytes, read as DuckDB reads it (GB = 10^9, GiB = 2^30)
    (pure: tested)."""
    raw = (text if text is not None else os.environ.get(MEMORY_LIMIT_ENV, "4GB")).strip().upper().replace(" ", "")
    found = re.fullmatch(r"(\d+(?:\.\d+)?)((?:[KMGT]I?)?B)?", raw)
    if found is None:
        raise ValueError(f"{MEMORY_LIMIT_ENV} must be a size such as 4GB or 512MiB, got {raw!r}")
    return int(float(found.group(1)) * _UNITS[found.group(2) or "B"])


def duckdb_memory_limit() -> str:
    """The buffer-pool limit of every pipeline DuckDB connection (ingest, dbt, GX, publish): 85% of
    ``ROI_LEDGER_DUCKDB_MEMORY_LIMIT`` (default 4GB), so that DuckDB's memory outside its pool stays within the
    cap and the whole run within the cap plus 1 GB for Python. DuckDB spills past it, so big ingests stay well
    inside the machine; its own default (80% of RAM) would let the build database's cache grow to most of it."""
    return f"{int(memory_cap_bytes() * CONNECTION_SHARE) // 10**6}MB"


def connect_duckdb(path: Path | str | None = None, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection of the pipeline (``path`` None: in memory), within :func:`duckdb_memory_limit`: every
    connection the pipeline opens goes through here (a test keeps it so). One opened without the limit takes
    DuckDB's default of 80% of RAM for its cache: exporting the large release's Parquet files held 4.6 GB where
    2.2 GB did with the limit, as fast. The same settings everywhere also keep DuckDB from refusing a second
    connection to a file open in the process with other settings."""
    import duckdb

    config = {"memory_limit": duckdb_memory_limit()}
    if path is None:
        return duckdb.connect(config=config)
    return duckdb.connect(str(path), read_only=read_only, config=config)


def release_retention() -> int:
    """How many release snapshots ``DIR/published/releases/`` (with their Parquet exports, and runs of GX
    results, ``DIR/audit/gx/``) are kept, newest first (``ROI_LEDGER_RELEASE_RETENTION``, default 30; 0 keeps
    every one)."""
    raw = os.environ.get(RELEASE_RETENTION_ENV, str(DEFAULT_RELEASE_RETENTION))
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"{RELEASE_RETENTION_ENV} must be a whole number of releases, got {raw!r}") from None
    if n < 0:
        raise ValueError(f"{RELEASE_RETENTION_ENV} must be >= 0, got {raw!r}")
    return n


#: ``off`` publishes releases without their HTML report (orchestration/report); default ``on``.
REPORT_ENV = "ROI_LEDGER_REPORT"


def report_enabled() -> bool:
    """Whether each published release writes its report (``ROI_LEDGER_REPORT``: on, the default, or off: for a
    deployment whose people read the marts elsewhere; about a second and 2 MB a release at the demo scale)."""
    raw = os.environ.get(REPORT_ENV, "on").strip().lower()
    if raw not in ("on", "off"):
        raise ValueError(f"{REPORT_ENV} must be on or off, got {raw!r}")
    return raw == "on"


#: The nightly schedule's default: 02:30 every day.
DEFAULT_SCHEDULE_CRON = "30 2 * * *"


@dataclass(frozen=True)
class ScheduleSettings:
    cron: str
    timezone: str


def schedule_settings(env: Mapping[str, str] | None = None) -> ScheduleSettings:
    """The nightly schedule's cron (``ROI_LEDGER_SCHEDULE_CRON``, default 02:30) and time zone
    (``ROI_LEDGER_SCHEDULE_TZ``, default UTC), checked (pure on ``env``: tested).

    Read when the code location builds its definitions: a Dagster schedule is a definition, so a new value takes
    effect when the daemon loads the code location again (``dagster dev`` restarted, or Reload in the UI), not at
    the next run; a bad value stops the load with the variable named."""
    env = os.environ if env is None else env
    cron = " ".join(env.get(SCHEDULE_CRON_ENV, DEFAULT_SCHEDULE_CRON).split())
    timezone = env.get(SCHEDULE_TZ_ENV, "UTC").strip()
    if len(cron.split()) != 5:
        raise ValueError(
            f"{SCHEDULE_CRON_ENV} must be a cron expression of five fields (minute hour day month weekday), "
            f"got {cron!r}"
        )
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{SCHEDULE_TZ_ENV} must be an IANA time zone such as UTC or Europe/Paris, got {timezone!r}"
        ) from None
    return ScheduleSettings(cron, timezone)


def resolve_data_dir(value: str | os.PathLike | None = None) -> Path:
    raw = value or os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR
    return Path(raw).expanduser().resolve()
