"""Ingest one dataset: find new files by content hash, check the contract, land, quarantine.

Per file, everything happens in one transaction of the build database: quarantined rows, the
``audit.ingested_files`` record and the landing view naming the file's Parquet file (written just before, see
:mod:`orchestration.ingest.landing`) commit together or not at all, so a crash never leaves half a file.
Checking one file's records, landing and quarantining them is :mod:`orchestration.ingest.checkfile` (clean CSV
files parsed by DuckDB's own reader, JSON lines by DuckDB's JSON functions where their answer is exact, the rest by
the streaming readers; the contract check is the same SQL either way); this module decides which files are new
and holds the transaction around each.
Rules (the README's "Ingest" section says the same for users):

- a file is identified by its SHA-256; a (path, hash) already recorded is skipped, so re-running a night
  changes nothing;
- the same content under another name is recorded as a ``duplicate`` and quarantined whole;
- new content at a path already landed supersedes the earlier version (vendors restate files): the old
  version's landing file leaves the view (and the disk) and its record is marked ``superseded``;
- a file that cannot be read at all is ``rejected`` and quarantined whole with the reader's message; new
  content at its path supersedes the rejection, and a rejected file no longer under ``raw/`` is
  ``withdrawn``;
- a symbolic link (to a file or a folder) is refused unread and recorded as ``rejected``: only files inside
  ``raw/`` are read, never what a link points at;
- rows that break the contract are quarantined with file, line, column and reason; the rest land;
- money fields are totalled per file and currency from the file's own text, landed and quarantined, in
  ``audit.ingested_money``: money that did not land is visible to the release gates.

Raw files are only ever opened for reading.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from orchestration.datasets import Dataset
from orchestration.ingest import readers, secrets
from orchestration.ingest.checkfile import FileResult, Prestaged, check_format, drop_stage, land, prestage
from orchestration.ingest.contract import (
    REDACT_MACRO,
    TimeWindow,
)
from orchestration.ingest.landing import (
    create_all,
    landing_file,
    landing_root,
    refresh_view,
)
from orchestration.settings import connect_duckdb

log = logging.getLogger(__name__)


#: ``audit.ingested_files.file_sha256`` of a file refused unread (a symbolic link): there is no content hash.
UNREAD = "unread"


@dataclass
class DatasetResult:
    dataset: str
    files: list[FileResult] = field(default_factory=list)
    landed_rows_total: int = 0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_quarantined(self) -> int:
        return sum(f.rows_quarantined for f in self.files)

    def summary(self) -> dict:
        return {
            "dataset": self.dataset,
            "files_new": sum(1 for f in self.files if f.status != "skipped"),
            "files_skipped": self.count("skipped"),
            "files_landed": self.count("landed"),
            "files_rejected": self.count("rejected"),
            "files_duplicate": self.count("duplicate"),
            "rows_read": self.rows_read,
            "rows_accepted": self.rows_accepted,
            "rows_quarantined": self.rows_quarantined,
            "landed_rows_total": self.landed_rows_total,
        }

    def as_dict(self) -> dict:
        return {**self.summary(), "files": [asdict(f) for f in self.files]}


def sha256_file(path: Path, *, follow_links: bool = True) -> str:
    """SHA-256 of a file's bytes; ``follow_links=False`` for raw exports (a link is refused, never read)."""
    h = hashlib.sha256()
    with open(path, "rb") if follow_links else readers.open_raw(path) as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


#: A file whose last change is less than this before its hashing started may have changed again within the
#: same timestamp tick (file times are coarse): its stat proves nothing and it is hashed again (git's "racy"
#: rule).
RACY_NS = 2_000_000_000


def vouched_sha256(con: duckdb.DuckDBPyConnection, path: Path, rel: str) -> tuple[str | None, list[int]]:
    """(the SHA-256 recorded when ``path`` was last hashed, if its stat vouches for it still; its stat now):
    same size, modification and change times, inode and device, and changed no later than :data:`RACY_NS`
    before that hashing started. Reads no byte of the file."""
    stat = _stat(path)
    query = f"SELECT {_STAT_COLUMNS} FROM ingest_state.raw_file_stats WHERE source_file = ?"
    row = con.execute(query, [rel]).fetchone()
    return _vouched(row, stat), stat


_STAT_COLUMNS = "size, mtime_ns, ctime_ns, inode, device, file_sha256, hashed_at_ns"


def _stat(path: Path) -> list[int]:
    st = os.stat(path, follow_symlinks=False)
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]


def _vouched(row: tuple | None, stat: list[int]) -> str | None:
    """The SHA-256 of a ``raw_file_stats`` row (:data:`_STAT_COLUMNS`) when ``stat`` vouches for it still."""
    if row is not None and list(row[:5]) == stat and max(stat[1], stat[2]) < row[6] - RACY_NS:
        return row[5]
    return None


def already_ingested(con: duckdb.DuckDBPyConnection, raw_dir: Path, ds: Dataset, paths: list[Path]) -> dict[str, str]:
    """Relative path -> SHA-256 of the files of ``paths`` that a night skips: their stat vouches for a recorded
    hash (:func:`vouched_sha256`) and that exact file is already recorded (:func:`_known`'s ``seen``). Two
    queries for the whole dataset, where each file took four (an empty night's ingest over 701 files: 2.9 -> 1.6 s).
    Safe to decide up front: ingesting one file changes the records of its own path only."""
    folder = ds.folder.rstrip("/") + "/"
    stats = {
        r[0]: r[1:]
        for r in con.execute(
            f"SELECT source_file, {_STAT_COLUMNS} FROM ingest_state.raw_file_stats WHERE starts_with(source_file, ?)",
            [folder],
        ).fetchall()
    }
    seen = set(
        con.execute(
            "SELECT source_file, file_sha256 FROM audit.ingested_files WHERE dataset = ? AND status <> 'superseded'",
            [ds.key],
        ).fetchall()
    )
    out = {}
    for path in paths:
        rel = path.relative_to(raw_dir).as_posix()
        if rel not in stats:
            continue
        sha = _vouched(stats[rel], _stat(path))
        if sha is not None and (rel, sha) in seen:
            out[rel] = sha
    return out


def file_sha256(con: duckdb.DuckDBPyConnection, path: Path, rel: str, *, trust_stats: bool = True) -> str:
    """SHA-256 of a raw file, read again only when its stat (size, modification and change times, inode,
    device) differs from the one recorded when it was last hashed, or was too recent then to tell a later
    change apart. Any write to a file changes its change time, which no tool can set back: an unchanged stat
    is unchanged content. ``trust_stats=False`` (``roi-ledger run --full-refresh``) hashes every file."""
    known, stat = vouched_sha256(con, path, rel)
    if trust_stats and known is not None:
        return known
    started = time.time_ns()
    sha = sha256_file(path, follow_links=False)
    con.execute(
        "INSERT OR REPLACE INTO ingest_state.raw_file_stats VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [rel, *stat, sha, started]
    )
    return sha


def walk_raw(folder: Path) -> Iterator[Path]:
    """Every non-hidden entry under ``folder`` that is a regular file or a symbolic link (to anything), in a
    stable order. Links are listed, never followed (a linked folder is not entered): the caller refuses them."""
    if folder.is_symlink():
        yield folder
        return
    if not folder.is_dir():
        return
    for root, dirs, files in os.walk(folder, followlinks=False):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        linked = [d for d in dirs if (here / d).is_symlink()]
        dirs[:] = [d for d in dirs if d not in linked]
        for name in sorted([*files, *linked]):
            p = here / name
            if not name.startswith(".") and (p.is_symlink() or p.is_file()):
                yield p


def discover(raw_dir: Path, ds: Dataset) -> list[Path]:
    """Files (and links, which are refused) under ``raw/<system>/<dataset>/``, hidden ones ignored, in a
    stable order."""
    return sorted(walk_raw(raw_dir / ds.folder))


def connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    con = connect_duckdb(db_path)
    _session(con)
    create_all(con, landing_root(db_path))
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Another connection to ``con``'s build database, set up as :func:`connect` sets its own, for another
    thread: temporary tables and macros are per connection, so two ingests never see each other's."""
    cur = con.cursor()
    _session(cur)
    return cur


def _session(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")
    con.execute(f"CREATE OR REPLACE TEMP MACRO {REDACT_MACRO}(s) AS {secrets.redact_sql('s')}")


def _landing(con: duckdb.DuckDBPyConnection) -> Path:
    """The landing folder of the build database ``con`` is connected to."""
    db = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchall()[0][0]
    return landing_root(Path(db))


#: ``audit.ingested_files.dataset`` of a file under ``raw/`` that no registered dataset reads.
UNCLAIMED = "(unclaimed)"


def dataset_of(raw_dir: Path, path: Path, datasets: Iterable[Dataset]) -> str:
    """The key of the dataset whose folder holds ``path`` (a file under ``raw_dir``), or :data:`UNCLAIMED`."""
    return next(
        (ds.key for ds in datasets if path == raw_dir / ds.folder or raw_dir / ds.folder in path.parents), UNCLAIMED
    )


def record_unclaimed(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    datasets: Iterable[Dataset],
    *,
    run_id: str | None = None,
    now: datetime | None = None,
) -> list[FileResult]:
    """Files under ``raw/`` outside every dataset folder (a new export dropped in the wrong place, a folder
    named for a source not registered): recorded as ``unclaimed`` (once per content), never ingested; returns
    the ones still there. Links are listed unread."""
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    datasets = list(datasets)
    found = []
    for path in sorted(walk_raw(raw_dir)):
        if dataset_of(raw_dir, path, datasets) != UNCLAIMED:
            continue
        rel = path.relative_to(raw_dir).as_posix()
        sha = UNREAD if path.is_symlink() else file_sha256(con, path, rel)
        res = FileResult(
            rel,
            sha,
            "unclaimed",
            message=f"{rel}: no registered dataset reads this folder "
            f"(datasets read raw/<system>/<dataset>/): not ingested",
        )
        found.append(res)
        if not con.execute(
            "SELECT count(*) FROM audit.ingested_files WHERE dataset = ? AND source_file = ? AND file_sha256 = ?",
            [UNCLAIMED, rel, sha],
        ).fetchall()[0][0]:
            con.execute(
                "INSERT INTO audit.ingested_files VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?)",
                [
                    UNCLAIMED,
                    rel,
                    sha,
                    0 if path.is_symlink() else path.stat().st_size,
                    "unclaimed",
                    res.message,
                    now,
                    run_id,
                ],
            )
    return found


def ingest_dataset(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    ds: Dataset,
    *,
    run_id: str | None = None,
    now: datetime | None = None,
    window: TimeWindow | None = None,
    trust_stats: bool = True,
) -> DatasetResult:
    """Ingest every new file of one dataset; never raises for bad input (it is quarantined instead).

    ``window`` bounds plausible times (default: the day of ``now`` with a 24 h tolerance); ``trust_stats``:
    see :func:`file_sha256`."""
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    window = window or TimeWindow(now.date(), 24)
    result = DatasetResult(ds.key)
    paths = discover(raw_dir, ds)
    skipped = already_ingested(con, raw_dir, ds, paths) if trust_stats else {}
    for path in paths:
        rel = path.relative_to(raw_dir).as_posix()
        if rel in skipped:
            result.files.append(FileResult(rel, skipped[rel], "skipped"))
            continue
        result.files.append(_ingest_file(con, raw_dir, ds, path, run_id, now, window, trust_stats))
    _withdraw_missing_rejections(con, ds, {p.relative_to(raw_dir).as_posix() for p in paths}, now)
    result.landed_rows_total = con.execute(f"SELECT count(*) FROM {ds.table}").fetchall()[0][0]
    return result


def _withdraw_missing_rejections(con: duckdb.DuckDBPyConnection, ds: Dataset, present: set[str], now: datetime) -> None:
    """A rejected file the user removed from ``raw/`` no longer stands for money that did not land: its record
    becomes ``withdrawn`` (kept, with when). Landed files keep their rows whatever happens to the raw file."""
    rows = con.execute(
        "SELECT DISTINCT source_file FROM audit.ingested_files WHERE dataset = ? AND status = 'rejected'", [ds.key]
    ).fetchall()
    gone = [r[0] for r in rows if r[0] not in present]
    for rel in gone:
        con.execute(
            "UPDATE audit.ingested_files SET status = 'withdrawn', message = message || ? "
            "WHERE dataset = ? AND source_file = ? AND status = 'rejected'",
            [f" [withdrawn: no longer under raw/ at {now.isoformat()}]", ds.key, rel],
        )


def _known(con: duckdb.DuckDBPyConnection, ds: Dataset, rel: str, sha: str) -> tuple[bool, str | None, bool]:
    """(this exact file already recorded, path holding the same content, path landed with other content)."""
    seen = (
        con.execute(
            "SELECT count(*) FROM audit.ingested_files WHERE dataset = ? AND source_file = ? AND file_sha256 = ? "
            "AND status <> 'superseded'",
            [ds.key, rel, sha],
        ).fetchall()[0][0]
        > 0
    )
    twin = con.execute(
        "SELECT min(source_file) FROM audit.ingested_files WHERE dataset = ? AND file_sha256 = ? "
        "AND source_file <> ? AND status IN ('landed', 'rejected')",
        [ds.key, sha, rel],
    ).fetchall()[0][0]
    restated = (
        con.execute(
            "SELECT count(*) FROM audit.ingested_files WHERE dataset = ? AND source_file = ? AND file_sha256 <> ? "
            "AND status IN ('landed', 'rejected')",
            [ds.key, rel, sha],
        ).fetchall()[0][0]
        > 0
    )
    return seen, twin, restated


def _record_file(con, ds: Dataset, res: FileResult, size: int, now: datetime, run_id: str | None) -> None:
    con.execute(
        "INSERT INTO audit.ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            ds.key,
            res.source_file,
            res.file_sha256,
            size,
            res.status,
            res.rows_read,
            res.rows_accepted,
            res.rows_quarantined,
            res.message,
            now,
            run_id,
        ],
    )
    for (column, kind), n in sorted(res.secrets.items()):
        con.execute(
            "INSERT INTO audit.redactions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [ds.key, res.source_file, res.file_sha256, column, kind, n, now, run_id],
        )
    for m in res.money:
        con.execute(
            "INSERT INTO audit.ingested_money VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ds.key,
                res.source_file,
                res.file_sha256,
                m.column,
                m.currency,
                m.rows_read,
                m.amount_read,
                m.rows_landed,
                m.amount_landed,
                m.rows_quarantined,
                m.amount_quarantined,
                m.amount_quarantined_abs,
                m.rows_unreadable,
                now,
                run_id,
            ],
        )


def _quarantine_file(con, ds: Dataset, res: FileResult, size: int, now: datetime, run_id: str | None) -> FileResult:
    con.execute("BEGIN TRANSACTION")
    con.execute(
        "INSERT INTO audit.quarantine VALUES (?, ?, ?, NULL, NULL, ?, NULL, ?, ?)",
        [ds.key, res.source_file, res.file_sha256, res.message, now, run_id],
    )
    _record_file(con, ds, res, size, now, run_id)
    con.execute("COMMIT")
    return res


def _rejected(rel: str, sha: str, message: str) -> FileResult:
    """A whole-file rejection; its message may quote the file (a cell, a line), so secrets in it are redacted."""
    text, found = secrets.redact_text(message.replace("\n", " "))
    return FileResult(rel, sha, "rejected", message=text, secrets={("_message", k): n for k, n in found.items()})


def _refused_link(con, ds: Dataset, path: Path, rel: str, now: datetime, run_id: str | None) -> FileResult:
    """A symbolic link under ``raw/``: recorded as rejected (once: re-runs skip it), never opened."""
    if con.execute(
        "SELECT count(*) FROM audit.ingested_files WHERE dataset = ? AND source_file = ? AND file_sha256 = ?",
        [ds.key, rel, UNREAD],
    ).fetchall()[0][0]:
        return FileResult(rel, UNREAD, "skipped")
    res = FileResult(
        rel,
        UNREAD,
        "rejected",
        message=f"{rel}: symbolic link refused unread (only files inside "
        f"raw/ are read; the link's target was not followed)",
    )
    return _quarantine_file(con, ds, res, 0, now, run_id)


def _ingest_file(
    con: duckdb.DuckDBPyConnection,
    raw_dir: Path,
    ds: Dataset,
    path: Path,
    run_id: str | None,
    now: datetime,
    window: TimeWindow,
    trust_stats: bool = True,
) -> FileResult:
    rel = path.relative_to(raw_dir).as_posix()
    if path.is_symlink():
        return _refused_link(con, ds, path, rel, now, run_id)
    sha = file_sha256(con, path, rel, trust_stats=trust_stats)
    size = path.stat().st_size
    seen, twin, restated = _known(con, ds, rel, sha)
    if seen:
        return FileResult(rel, sha, "skipped")
    prestaged = prestage(con, ds, path) if twin is None else None
    try:
        return _ingest_new(con, ds, path, rel, sha, size, twin, restated, prestaged, run_id, now, window)
    finally:
        if prestaged is not None:
            drop_stage(con)


def _ingest_new(
    con: duckdb.DuckDBPyConnection,
    ds: Dataset,
    path: Path,
    rel: str,
    sha: str,
    size: int,
    twin: str | None,
    restated: bool,
    prestaged: Prestaged | None,
    run_id: str | None,
    now: datetime,
    window: TimeWindow,
) -> FileResult:
    """One file not seen before, in one transaction (see the module's rules). Its landing file is written
    before the commit and is in no view until then; a superseded version's landing file is deleted after it."""
    root = _landing(con)
    target = landing_file(root, ds, rel, sha)
    replaced: list[str] = []
    try:
        con.execute("BEGIN TRANSACTION")
        if restated:  # new content at a known path: the old version (landed rows or a rejection) is superseded
            replaced = [
                r[0]
                for r in con.execute(
                    "SELECT file_sha256 FROM audit.ingested_files WHERE dataset = ? AND source_file = ? "
                    "AND status = 'landed'",
                    [ds.key, rel],
                ).fetchall()
            ]
            con.execute(
                "UPDATE audit.ingested_files SET status = 'superseded', message = ? WHERE dataset = ? "
                "AND source_file = ? AND status IN ('landed', 'rejected')",
                [f"superseded by content {sha[:12]}... at {now.isoformat()}", ds.key, rel],
            )
        check_format(ds, path)
        if twin is not None:
            res = FileResult(
                rel, sha, "duplicate", message=f"duplicate of {twin} (same SHA-256 {sha[:12]}...): not ingested twice"
            )
            con.execute(
                "INSERT INTO audit.quarantine VALUES (?, ?, ?, NULL, NULL, ?, NULL, ?, ?)",
                [ds.key, rel, sha, res.message, now, run_id],
            )
        else:
            res = land(con, ds, path, rel, sha, run_id, now, window, target, prestaged)
        _record_file(con, ds, res, size, now, run_id)
        if restated or res.rows_accepted:
            refresh_view(con, ds, root)
        con.execute("COMMIT")
        for old in replaced:
            landing_file(root, ds, rel, old).unlink(missing_ok=True)
        return res
    except readers.FileRejected as exc:
        con.execute("ROLLBACK")
        target.unlink(missing_ok=True)
        res = _rejected(rel, sha, f"{rel}: {exc}")
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the others: one line, no traceback
        con.execute("ROLLBACK")
        target.unlink(missing_ok=True)
        res = _rejected(rel, sha, f"{rel}: cannot be read: {type(exc).__name__}: {exc}")
        log.warning("%s", res.message)
    if restated:  # the rollback restored the earlier version: a rejected restatement leaves it in place
        res.message = f"{res.message} (the earlier version at this path stays landed)"
    return _quarantine_file(con, ds, res, size, now, run_id)


def dumps(result: DatasetResult) -> str:
    return json.dumps(result.as_dict(), indent=2, default=str)
