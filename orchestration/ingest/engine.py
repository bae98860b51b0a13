"""Ingest one dataset: find new files by content hash, check the contract, land, quarantine.

Per file, everything happens in one transaction of the build database: quarantined rows, the
``audit.ingested_files`` record and the landing view naming the file's Parquet file (written just before, see
:mod:`orchestration.ingest.landing`) commit together or not at all, so a crash never leaves half a file.
Clean CSV files are parsed by DuckDB's own reader (:mod:`orchestration.ingest.fastcsv`), JSON lines by DuckDB's
JSON functions line by line where their answer is exact (:mod:`orchestration.ingest.fastjson`), the rest by the
streaming readers; the contract check is the same SQL either way.
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

import decimal
import hashlib
import json
import logging
import os
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.datasets import FIELD_TYPES, Dataset
from orchestration.ingest import fastcsv, fastjson, readers, secrets
from orchestration.ingest.contract import (
    CURRENCY_COLUMN,
    REDACT_MACRO,
    TimeWindow,
    checked_select,
    money_column,
    quote_ident,
    split_filter_sql,
    sql_str,
    threads,
    unreadable_column,
)
from orchestration.ingest.landing import (
    PARQUET_OPTIONS,
    create_all,
    extra_column,
    landing_file,
    landing_root,
    refresh_view,
)
from orchestration.settings import duckdb_memory_limit

log = logging.getLogger(__name__)


#: ``audit.ingested_files.file_sha256`` of a file refused unread (a symbolic link): there is no content hash.
UNREAD = "unread"


@dataclass
class MoneyTotal:
    """One money field of one file in one currency: what the file's text says, what landed, what did not."""

    column: str
    currency: str | None
    rows_read: int = 0
    amount_read: Decimal = Decimal(0)
    rows_landed: int = 0
    amount_landed: Decimal = Decimal(0)
    rows_quarantined: int = 0
    amount_quarantined: Decimal = Decimal(0)
    amount_quarantined_abs: Decimal = Decimal(0)
    rows_unreadable: int = 0
    """Rows whose amount cannot be held exactly (not a number, too many places) or that could not be split
    into fields at all: their money cannot be counted."""


@dataclass
class FileResult:
    source_file: str
    file_sha256: str
    status: str  # landed | rejected | duplicate | skipped
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    message: str | None = None
    money: list[MoneyTotal] = field(default_factory=list)
    secrets: dict[tuple[str, str], int] = field(default_factory=dict)
    """Secrets redacted, per (column, kind): ``[REDACTED:<kind>]`` landed in their place."""


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
    with (open(path, "rb") if follow_links else readers.open_raw(path)) as fh:
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
    st = os.stat(path, follow_symlinks=False)
    stat = [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev]
    row = con.execute("SELECT size, mtime_ns, ctime_ns, inode, device, file_sha256, hashed_at_ns "
                      "FROM ingest_state.raw_file_stats WHERE source_file = ?", [rel]).fetchone()
    if row is not None and list(row[:5]) == stat and max(stat[1], stat[2]) < row[6] - RACY_NS:
        return row[5], stat
    return None, stat


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
    con.execute("INSERT OR REPLACE INTO ingest_state.raw_file_stats VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [rel, *stat, sha, started])
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
    con = duckdb.connect(str(db_path), config={"memory_limit": duckdb_memory_limit()})
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
    return next((ds.key for ds in datasets if path == raw_dir / ds.folder or raw_dir / ds.folder in path.parents),
                UNCLAIMED)


def record_unclaimed(con: duckdb.DuckDBPyConnection, raw_dir: Path, datasets: Iterable[Dataset], *,
                     run_id: str | None = None, now: datetime | None = None) -> list[FileResult]:
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
        res = FileResult(rel, sha, "unclaimed", message=f"{rel}: no registered dataset reads this folder "
                                                         f"(datasets read raw/<system>/<dataset>/): not ingested")
        found.append(res)
        if not con.execute("SELECT count(*) FROM audit.ingested_files WHERE dataset = ? AND source_file = ? "
                           "AND file_sha256 = ?", [UNCLAIMED, rel, sha]).fetchall()[0][0]:
            con.execute("INSERT INTO audit.ingested_files VALUES (?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?)",
                        [UNCLAIMED, rel, sha, 0 if path.is_symlink() else path.stat().st_size, "unclaimed",
                         res.message, now, run_id])
    return found


def ingest_dataset(con: duckdb.DuckDBPyConnection, raw_dir: Path, ds: Dataset, *, run_id: str | None = None,
                   now: datetime | None = None, window: TimeWindow | None = None,
                   trust_stats: bool = True) -> DatasetResult:
    """Ingest every new file of one dataset; never raises for bad input (it is quarantined instead).

    ``window`` bounds plausible times (default: the day of ``now`` with a 24 h tolerance); ``trust_stats``:
    see :func:`file_sha256`."""
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    window = window or TimeWindow(now.date(), 24)
    result = DatasetResult(ds.key)
    paths = discover(raw_dir, ds)
    for path in paths:
        result.files.append(_ingest_file(con, raw_dir, ds, path, run_id, now, window, trust_stats))
    _withdraw_missing_rejections(con, ds, {p.relative_to(raw_dir).as_posix() for p in paths}, now)
    result.landed_rows_total = con.execute(f"SELECT count(*) FROM {ds.table}").fetchall()[0][0]
    return result


def _withdraw_missing_rejections(con: duckdb.DuckDBPyConnection, ds: Dataset, present: set[str],
                                 now: datetime) -> None:
    """A rejected file the user removed from ``raw/`` no longer stands for money that did not land: its record
    becomes ``withdrawn`` (kept, with when). Landed files keep their rows whatever happens to the raw file."""
    rows = con.execute("SELECT DISTINCT source_file FROM audit.ingested_files WHERE dataset = ? "
                       "AND status = 'rejected'", [ds.key]).fetchall()
    gone = [r[0] for r in rows if r[0] not in present]
    for rel in gone:
        con.execute("UPDATE audit.ingested_files SET status = 'withdrawn', message = message || ? "
                    "WHERE dataset = ? AND source_file = ? AND status = 'rejected'",
                    [f" [withdrawn: no longer under raw/ at {now.isoformat()}]", ds.key, rel])


def _known(con: duckdb.DuckDBPyConnection, ds: Dataset, rel: str, sha: str) -> tuple[bool, str | None, bool]:
    """(this exact file already recorded, path holding the same content, path landed with other content)."""
    seen = con.execute(
        "SELECT count(*) FROM audit.ingested_files WHERE dataset = ? AND source_file = ? AND file_sha256 = ? "
        "AND status <> 'superseded'", [ds.key, rel, sha]).fetchall()[0][0] > 0
    twin = con.execute(
        "SELECT min(source_file) FROM audit.ingested_files WHERE dataset = ? AND file_sha256 = ? "
        "AND source_file <> ? AND status IN ('landed', 'rejected')", [ds.key, sha, rel]).fetchall()[0][0]
    restated = con.execute(
        "SELECT count(*) FROM audit.ingested_files WHERE dataset = ? AND source_file = ? AND file_sha256 <> ? "
        "AND status IN ('landed', 'rejected')", [ds.key, rel, sha]).fetchall()[0][0] > 0
    return seen, twin, restated


def _record_file(con, ds: Dataset, res: FileResult, size: int, now: datetime, run_id: str | None) -> None:
    con.execute("INSERT INTO audit.ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ds.key, res.source_file, res.file_sha256, size, res.status, res.rows_read, res.rows_accepted,
                 res.rows_quarantined, res.message, now, run_id])
    for (column, kind), n in sorted(res.secrets.items()):
        con.execute("INSERT INTO audit.redactions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [ds.key, res.source_file, res.file_sha256, column, kind, n, now, run_id])
    for m in res.money:
        con.execute("INSERT INTO audit.ingested_money VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [ds.key, res.source_file, res.file_sha256, m.column, m.currency, m.rows_read, m.amount_read,
                     m.rows_landed, m.amount_landed, m.rows_quarantined, m.amount_quarantined,
                     m.amount_quarantined_abs, m.rows_unreadable, now, run_id])


def _quarantine_file(con, ds: Dataset, res: FileResult, size: int, now: datetime, run_id: str | None) -> FileResult:
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO audit.quarantine VALUES (?, ?, ?, NULL, NULL, ?, NULL, ?, ?)",
                [ds.key, res.source_file, res.file_sha256, res.message, now, run_id])
    _record_file(con, ds, res, size, now, run_id)
    con.execute("COMMIT")
    return res


def _rejected(rel: str, sha: str, message: str) -> FileResult:
    """A whole-file rejection; its message may quote the file (a cell, a line), so secrets in it are redacted."""
    text, found = secrets.redact_text(message.replace("\n", " "))
    return FileResult(rel, sha, "rejected", message=text,
                      secrets={("_message", k): n for k, n in found.items()})


def _refused_link(con, ds: Dataset, path: Path, rel: str, now: datetime, run_id: str | None) -> FileResult:
    """A symbolic link under ``raw/``: recorded as rejected (once: re-runs skip it), never opened."""
    if con.execute("SELECT count(*) FROM audit.ingested_files WHERE dataset = ? AND source_file = ? "
                   "AND file_sha256 = ?", [ds.key, rel, UNREAD]).fetchall()[0][0]:
        return FileResult(rel, UNREAD, "skipped")
    res = FileResult(rel, UNREAD, "rejected", message=f"{rel}: symbolic link refused unread (only files inside "
                                                      f"raw/ are read; the link's target was not followed)")
    return _quarantine_file(con, ds, res, 0, now, run_id)


def _ingest_file(con: duckdb.DuckDBPyConnection, raw_dir: Path, ds: Dataset, path: Path, run_id: str | None,
                 now: datetime, window: TimeWindow, trust_stats: bool = True) -> FileResult:
    rel = path.relative_to(raw_dir).as_posix()
    if path.is_symlink():
        return _refused_link(con, ds, path, rel, now, run_id)
    sha = file_sha256(con, path, rel, trust_stats=trust_stats)
    size = path.stat().st_size
    seen, twin, restated = _known(con, ds, rel, sha)
    if seen:
        return FileResult(rel, sha, "skipped")
    prestaged = _prestage(con, ds, path) if twin is None else None
    try:
        return _ingest_new(con, ds, path, rel, sha, size, twin, restated, prestaged, run_id, now, window)
    finally:
        if prestaged is not None:
            _drop_stage(con)


def _ingest_new(con: duckdb.DuckDBPyConnection, ds: Dataset, path: Path, rel: str, sha: str, size: int,
                twin: str | None, restated: bool, prestaged: _Prestaged | None,
                run_id: str | None, now: datetime, window: TimeWindow) -> FileResult:
    """One file not seen before, in one transaction (see the module's rules). Its landing file is written
    before the commit and is in no view until then; a superseded version's landing file is deleted after it."""
    root = _landing(con)
    target = landing_file(root, ds, rel, sha)
    replaced: list[str] = []
    try:
        con.execute("BEGIN TRANSACTION")
        if restated:  # new content at a known path: the old version (landed rows or a rejection) is superseded
            replaced = [r[0] for r in con.execute(
                "SELECT file_sha256 FROM audit.ingested_files WHERE dataset = ? AND source_file = ? "
                "AND status = 'landed'", [ds.key, rel]).fetchall()]
            con.execute("UPDATE audit.ingested_files SET status = 'superseded', message = ? WHERE dataset = ? "
                        "AND source_file = ? AND status IN ('landed', 'rejected')",
                        [f"superseded by content {sha[:12]}... at {now.isoformat()}", ds.key, rel])
        _check_format(ds, path)
        if twin is not None:
            res = FileResult(rel, sha, "duplicate", message=f"duplicate of {twin} (same SHA-256 {sha[:12]}...): "
                                                             f"not ingested twice")
            con.execute("INSERT INTO audit.quarantine VALUES (?, ?, ?, NULL, NULL, ?, NULL, ?, ?)",
                        [ds.key, rel, sha, res.message, now, run_id])
        else:
            res = _land(con, ds, path, rel, sha, run_id, now, window, target, prestaged)
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


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _prefetch(items: Iterable, depth: int = 2) -> Iterator:
    """Iterate ``items`` in a background thread, ``depth`` ahead: file parsing (Python) overlaps the SQL
    contract check (DuckDB releases the GIL). Exceptions surface in the consumer."""
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(x: object) -> bool:
        while not stop.is_set():
            try:
                q.put(x, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for x in items:
                if not put(x):
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put(_Failed(exc))
        finally:
            put(done)

    worker = threading.Thread(target=produce, name="ingest-reader", daemon=True)
    worker.start()
    try:
        while True:
            x = q.get()
            if x is done:
                return
            if isinstance(x, _Failed):
                raise x.exc
            yield x
    finally:
        stop.set()
        worker.join(timeout=5)


def _arrow_batches(batches: Iterable[readers.TabularBatch], names: list[str]) -> Iterator[pa.Table]:
    """Reader batches as Arrow tables: ``_seq`` (row number in the file), ``_line``, ``_raw``, ``names``."""
    seq = 0
    for b in batches:
        yield b.arrow(names, range(seq, seq + len(b.lines)))
        seq += len(b.lines)


class _Sink:
    """The accepted rows of one file on their way to its landing file (``target``): the one batch of DuckDB's
    CSV reader (``single``) is copied straight from the check; the streaming readers' batches are gathered in
    ``_rdr_land`` first, so each ingested file is one Parquet file, its rows in file order."""

    def __init__(self, con: duckdb.DuckDBPyConnection, target: Path, single: bool, select: str) -> None:
        self.con, self.target, self.single, self.select = con, target, single, select
        self.gathered = False

    def _copy(self, query: str) -> None:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        self.con.execute(f"COPY ({query}) TO {sql_str(str(self.target))} ({PARQUET_OPTIONS})")

    def add(self, *, ordered: bool) -> None:
        """The accepted rows of ``_rdr_chk``; ``ordered``: they are still in file order (no ORDER BY needed)."""
        query = self.select if ordered else f"{self.select} ORDER BY _seq"
        if self.single:
            self._copy(query)
        elif self.gathered:
            self.con.execute(f"INSERT INTO _rdr_land {query}")
        else:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE _rdr_land AS {query}")
            self.gathered = True

    def close(self) -> None:
        if self.gathered:
            self._copy("SELECT * FROM _rdr_land")
            self.con.execute("DROP TABLE _rdr_land")


def _registered(con: duckdb.DuckDBPyConnection, tables: Iterable[pa.Table]) -> Iterator[int]:
    """Each Arrow batch of the streaming readers as ``_rdr_batch`` while the caller checks it; yields its rows."""
    for table in tables:
        con.register("_rdr_batch", table)
        try:
            yield table.num_rows
        finally:
            con.unregister("_rdr_batch")


@dataclass
class _Prestaged:
    """A file DuckDB already parsed into ``_rdr_batch`` (the whole file, one batch): ``header`` of a CSV file
    (None: JSON lines, fields ``f0`` ..), whether its rows are in file order, and the records the streaming
    reader could not split among the lines handed back to it (:mod:`orchestration.ingest.fastjson`)."""

    header: list[str] | None
    records: int
    ordered: bool = True
    rejects: list[readers.RowReject] = field(default_factory=list)


def _prestage(con: duckdb.DuckDBPyConnection, ds: Dataset, path: Path) -> _Prestaged | None:
    """The file parsed by DuckDB's readers (:mod:`~orchestration.ingest.fastcsv`,
    :mod:`~orchestration.ingest.fastjson` say when), or None when the streaming readers read it (also a file
    whose header or format is refused: the streaming path says why).

    Runs outside the file's transaction: a DuckDB error inside one would abort it, and this error only means
    "read it the other way"."""
    try:
        fmt = _check_format(ds, path)
        if fmt == "jsonl":
            staged = fastjson.stage(con, path, ds)
            return None if staged is None else _Prestaged(None, staged.records, staged.ordered, staged.rejects)
        if fmt != "csv":
            return None
        header, header_lines = readers.csv_header(path)
    except readers.FileRejected:
        return None
    width = len(header)
    records = fastcsv.stage(con, path, width, header_lines, "_rdr_stage")
    if records is None:
        return None
    cells = ", ".join(f"c{i}" for i in range(width))
    con.execute(f"CREATE OR REPLACE TEMP VIEW _rdr_batch AS SELECT rowid AS _seq, rowid + {header_lines + 1} AS _line, "
                f"CAST(NULL AS VARCHAR) AS _raw, {cells} FROM _rdr_stage")
    return _Prestaged(header, records)


def _drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what :func:`_prestage` made (after the file's transaction, committed or not)."""
    con.execute("DROP VIEW IF EXISTS _rdr_batch")
    con.execute("DROP TABLE IF EXISTS _rdr_stage")
    fastjson.drop(con)


def _check_format(ds: Dataset, path: Path) -> str:
    fmt = readers.file_format(path)
    if fmt not in ds.formats:
        raise readers.FileRejected(f"format {fmt!r} is not accepted for {ds.key} (accepted: "
                                   f"{', '.join(ds.formats)})")
    return fmt


def _money_query(ds: Dataset) -> str:
    """Per money field and currency, one batch's totals from ``_rdr_chk`` (see :class:`MoneyTotal`)."""
    parts = []
    for f in ds.money_fields:
        m, u = money_column(f), unreadable_column(f)
        parts.append(
            f"SELECT {sql_str(f.name)} AS col, {CURRENCY_COLUMN} AS currency, "
            f"count({m}), coalesce(sum({m}), 0), "
            f"count({m}) FILTER (WHERE len(_reasons) = 0), coalesce(sum({m}) FILTER (WHERE len(_reasons) = 0), 0), "
            f"count({m}) FILTER (WHERE len(_reasons) > 0), coalesce(sum({m}) FILTER (WHERE len(_reasons) > 0), 0), "
            f"coalesce(sum(abs({m})) FILTER (WHERE len(_reasons) > 0), 0), count(*) FILTER (WHERE {u}) "
            f"FROM _rdr_chk GROUP BY ALL HAVING count({m}) > 0 OR count(*) FILTER (WHERE {u}) > 0")
    return " UNION ALL ".join(parts)


#: Python adds Decimals at 28 significant digits by default: a DECIMAL(38, 18) amount has up to 38, and the sum of a
#: file's batches must stay exact, so totals are added in a context that never rounds them.
EXACT = decimal.Context(prec=100, traps=[decimal.Inexact, decimal.Overflow])


def _add_money(totals: dict[tuple[str, str | None], MoneyTotal], rows: list[tuple]) -> None:
    with decimal.localcontext(EXACT):
        _add_money_exactly(totals, rows)


def _add_money_exactly(totals: dict[tuple[str, str | None], MoneyTotal], rows: list[tuple]) -> None:
    for col, currency, *figures in rows:
        t = totals.setdefault((col, currency), MoneyTotal(col, currency))
        t.rows_read += figures[0]
        t.amount_read += figures[1]
        t.rows_landed += figures[2]
        t.amount_landed += figures[3]
        t.rows_quarantined += figures[4]
        t.amount_quarantined += figures[5]
        t.amount_quarantined_abs += figures[6]
        t.rows_unreadable += figures[7]


def _land(con: duckdb.DuckDBPyConnection, ds: Dataset, path: Path, rel: str, sha: str, run_id: str | None,
          now: datetime, window: TimeWindow, target: Path,
          prestaged: _Prestaged | None = None) -> FileResult:
    """Check one file, write its accepted rows to ``target`` (its landing file, only when it has some) and its
    quarantine to ``audit.quarantine``; ``prestaged``: a file DuckDB already parsed (:func:`_prestage`),
    otherwise the streaming readers read it."""
    fmt = _check_format(ds, path)
    rejects: list[readers.RowReject] = []
    staged: Iterator[int] | None = None
    if prestaged is not None:  # the whole file, one batch already in `_rdr_batch`
        staged = (n for n in (prestaged.records,))
        rejects.extend(prestaged.rejects)
    if fmt == "json" and ds.json_layout == "credential_report":  # a CSV document inside a JSON response
        text, generated = readers.credential_report_csv(path)
        header, batches = readers.read_csv(path, rejects, text=text, appended=("GeneratedTime", generated))
        fmt = "csv"
    elif fmt == "csv" and prestaged is not None:
        header = prestaged.header or []
    elif fmt == "csv":
        header, batches = readers.read_csv(path, rejects)
    elif fmt == "parquet":
        header, batches = readers.read_parquet(path)
    if fmt in ("csv", "parquet"):
        names = [f"c{i}" for i in range(len(header))]
        field_sql, extra_sql = _map_header(ds, header, names)
        raw_sql = "json_object(" + ", ".join(f"{sql_str(h)}, {n}" for h, n in zip(header, names, strict=True)) + ")"
        # a row's text is its cells (`_raw` is NULL), and the unnamed ones also land as JSON text (`_extra`, or
        # `_record` for datasets that also take JSON), where a column's name can make a value an assignment
        gated = names if extra_sql == NO_EXTRA else [*names, f"CAST({extra_sql} AS VARCHAR)"]
    else:
        if prestaged is None:
            batches = readers.read_json(path, ds, rejects)
        names = [f"f{i}" for i in range(len(ds.fields))]
        field_sql = {f.name: n for f, n in zip(ds.fields, names, strict=True)}
        extra_sql = "_raw"
        raw_sql = "_raw"
        gated = ["_raw", *names]
    checked = checked_select(ds, field_sql, extra_sql, raw_sql, "_rdr_batch", window)
    # Rows that may hold a secret (a cheap gate, :func:`_stage_candidates`) are checked again through the
    # redacting variant, whose SQL is too large to bind for every batch; they are rare.
    redacting = checked_select(ds, field_sql, extra_sql, raw_sql, "_rdr_cand", window, redact=True)
    money_sql = _money_query(ds) if ds.money_fields else None
    money: dict[tuple[str, str | None], MoneyTotal] = {}
    found: dict[tuple[str, str], int] = {}
    # every column in the registry's type: JSON as text (DuckDB's JSON type would land as an Arrow extension)
    field_cols = ", ".join(f"CAST({quote_ident(f.name)} AS {FIELD_TYPES[f.type]}) AS {quote_ident(f.name)}"
                           for f in ds.fields)
    sink = _Sink(con, target, prestaged is not None,
                 f"SELECT {field_cols}, CAST(_x AS VARCHAR) AS {extra_column(ds)}, {sql_str(rel)} AS _source_file, "
                 f"{sql_str(sha)} AS _file_sha256, _line, "
                 f"CAST({sql_str(now.isoformat())} AS TIMESTAMP) AS _ingested_at FROM _rdr_chk WHERE len(_reasons) = 0")
    insert_quarantine = (
        "INSERT INTO audit.quarantine SELECT $ds, $rel, $sha, q._line, q.u.c, q.u.r, q._qraw, $now, $run "
        "FROM (SELECT _seq, _line, _qraw, unnest(_reasons) AS u FROM _rdr_chk WHERE len(_reasons) > 0) q "
        "ORDER BY q._seq, q.u.c")
    params = {"ds": ds.key, "rel": rel, "sha": sha, "now": now, "run": run_id}
    if staged is None:
        staged = _registered(con, _prefetch(_arrow_batches(batches, names)))
    read = accepted = 0
    with closing(staged):  # a failed check unregisters the batch at once
        for batch_rows in staged:
            if batch_rows:
                con.execute(f"CREATE OR REPLACE TEMP TABLE _rdr_chk AS {checked}")
                _stage_candidates(con, gated, batch_rows)
                redacted = con.execute("SELECT count(*) FROM _rdr_cand").fetchall()[0][0] > 0
                if redacted:  # checked again through the redacting variant (appended: out of order)
                    con.execute("DELETE FROM _rdr_chk WHERE _seq IN (SELECT _seq FROM _rdr_cand)")
                    con.execute(f"INSERT INTO _rdr_chk BY NAME {redacting}")
                    for column, kind, n in con.execute("SELECT s.c, s.k, count(*) FROM (SELECT unnest(_secrets) AS s "
                                                       "FROM _rdr_chk) GROUP BY ALL").fetchall():
                        found[(column, kind)] = found.get((column, kind), 0) + n
                landed = con.execute("SELECT count(*) FROM _rdr_chk WHERE len(_reasons) = 0").fetchall()[0][0]
                if landed:
                    sink.add(ordered=not redacted and (prestaged is None or prestaged.ordered))
                con.execute(insert_quarantine, params)
                accepted += landed
                if money_sql:
                    _add_money(money, con.execute(money_sql).fetchall())
            read += batch_rows
    sink.close()
    con.execute("DROP TABLE IF EXISTS _rdr_chk")
    con.execute("DROP TABLE IF EXISTS _rdr_cand")
    con.execute("DROP TABLE IF EXISTS _rdr_flagged")
    rows_read = read + len(rejects)
    if rows_read == 0:  # well formed (a header, `[]`, empty buckets) but no rows: a legitimately empty export
        return FileResult(rel, sha, "landed", 0, 0, 0, "no records: a well-formed export with no rows")
    for rj in rejects:  # records the reader could not split: their text is redacted here, in Python
        reason, in_reason = secrets.redact_text(rj.reason)
        raw, in_raw = readers.redact_record_text(rj.raw, json_record=fmt not in ("csv", "parquet"))
        for kind, n in (in_reason + in_raw).items():
            found[("_raw_record", kind)] = found.get(("_raw_record", kind), 0) + n
        con.execute("INSERT INTO audit.quarantine VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)",
                    [ds.key, rel, sha, rj.line, reason, raw, now, run_id])
    if rejects:  # records that could not be split into fields: their money, if any, cannot be counted
        for f in ds.money_fields:
            money.setdefault((f.name, None), MoneyTotal(f.name, None)).rows_unreadable += len(rejects)
    quarantined = rows_read - accepted
    message = f"{quarantined} of {rows_read} rows quarantined" if quarantined else None
    return FileResult(rel, sha, "landed", rows_read, accepted, quarantined, message,
                      money=[money[k] for k in sorted(money, key=lambda k: (k[0], k[1] or ""))], secrets=found)


#: A column with fewer distinct values than one in this many rows is gated value by value, each value once
#: (LiteLLM's `metadata`, 40% of its text, holds one value per key): the gate reads a fraction of the text.
DISTINCT_GATE_RATIO = 10


def _stage_candidates(con: duckdb.DuckDBPyConnection, columns: list[str], rows: int) -> None:
    """The rows of ``_rdr_batch`` that may hold a secret, as ``_rdr_cand``: a row whose text in ``columns``
    :func:`secrets.may_hold_secret_sql` flags. Columns with few distinct values are gated once per distinct
    value (exactly the gate of each value); the others together, joined by a unit separator, as before."""
    approx = con.execute("SELECT " + ", ".join(f"approx_count_distinct({c})" for c in columns)
                         + " FROM _rdr_batch").fetchall()[0]
    few = [c for c, n in zip(columns, approx, strict=True) if n * DISTINCT_GATE_RATIO < rows]
    many = [c for c in columns if c not in few]
    where = [secrets.may_hold_secret_sql("concat_ws(chr(31), " + ", ".join(many) + ")")] if many else []
    if few:
        # materialised first: DuckDB would push the gate below the DISTINCT and run it on every row
        con.execute("CREATE OR REPLACE TEMP TABLE _rdr_values AS " + " UNION ALL ".join(
            f"SELECT DISTINCT {i} AS col, {c} AS v FROM _rdr_batch" for i, c in enumerate(few)))
        con.execute("CREATE OR REPLACE TEMP TABLE _rdr_flagged AS SELECT col, v FROM _rdr_values "
                    f"WHERE {secrets.may_hold_secret_sql('v')}")
        flagged = [r[0] for r in con.execute("SELECT DISTINCT col FROM _rdr_flagged ORDER BY col").fetchall()]
        where += [f"{few[i]} IN (SELECT v FROM _rdr_flagged WHERE col = {i})" for i in flagged]
        con.execute("DROP TABLE _rdr_values")
    gate = " OR ".join(where) or "false"
    con.execute("CREATE OR REPLACE TEMP TABLE _rdr_cand AS "
                + split_filter_sql("*", "_rdr_batch", gate, "_line", rows, threads(con)))


#: ``_extra`` of a file whose columns the contract names all.
NO_EXTRA = "CAST(NULL AS VARCHAR)"


def _map_header(ds: Dataset, header: list[str], names: list[str]) -> tuple[dict[str, str], str]:
    """Field -> SQL over the staged columns (aliases coalesced), and the ``_extra`` JSON of the rest."""
    lowered = [h.lower() for h in header]
    used: set[int] = set()
    field_sql: dict[str, str] = {}
    missing = []
    for f in ds.fields:
        idx = [i for cand in (f.source, *f.aliases) for i, h in enumerate(lowered) if h == cand.lower()]
        used.update(idx)
        if not idx:
            if f.required:
                missing.append(f.source)
            field_sql[f.name] = "CAST(NULL AS VARCHAR)"
        elif len(idx) == 1:
            field_sql[f.name] = names[idx[0]]
        else:
            tokens = ", ".join(sql_str(t) for t in ds.null_tokens)
            field_sql[f.name] = "coalesce(" + ", ".join(
                f"CASE WHEN trim({names[i]}) IN ({tokens}) THEN NULL ELSE {names[i]} END" for i in idx) + ")"
    if missing:
        raise readers.FileRejected(f"missing required column(s) {', '.join(missing)}; the header has: "
                                   f"{', '.join(header)}")
    extra = [i for i in range(len(header)) if i not in used]
    extra_sql = ("json_object(" + ", ".join(f"{sql_str(header[i])}, {names[i]}" for i in extra) + ")"
                 if extra else NO_EXTRA)
    return field_sql, extra_sql


def dumps(result: DatasetResult) -> str:
    return json.dumps(result.as_dict(), indent=2, default=str)
