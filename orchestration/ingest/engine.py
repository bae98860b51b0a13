"""Ingest one dataset: find new files by content hash, check the contract, land, quarantine.

Per file, everything happens in one transaction of the build database: landed rows, quarantined rows and
the ``audit.ingested_files`` record commit together or not at all, so a crash never leaves half a file.
Rules (the README's "Ingest" section says the same for users):

- a file is identified by its SHA-256; a (path, hash) already recorded is skipped, so re-running a night
  changes nothing;
- the same content under another name is recorded as a ``duplicate`` and quarantined whole;
- new content at a path already landed supersedes the earlier version (vendors restate files): the old
  rows leave the landing table and its record is marked ``superseded``;
- a file that cannot be read at all is ``rejected`` and quarantined whole with the reader's message;
- rows that break the contract are quarantined with file, line, column and reason; the rest land.

Raw files are only ever opened for reading.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.datasets import Dataset
from orchestration.ingest import readers
from orchestration.ingest.contract import checked_select, quote_ident, sql_str
from orchestration.ingest.landing import create_all, extra_column
from orchestration.settings import duckdb_memory_limit

log = logging.getLogger(__name__)


@dataclass
class FileResult:
    source_file: str
    file_sha256: str
    status: str  # landed | rejected | duplicate | skipped
    rows_read: int = 0
    rows_accepted: int = 0
    rows_quarantined: int = 0
    message: str | None = None


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


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def discover(raw_dir: Path, ds: Dataset) -> list[Path]:
    """Files under ``raw/<system>/<dataset>/`` (recursively, hidden files ignored), in a stable order."""
    folder = raw_dir / ds.folder
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*")
                  if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts))


def connect(db_path: Path) -> duckdb.DuckDBPyConnection:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db_path), config={"memory_limit": duckdb_memory_limit()})
    con.execute("SET TimeZone = 'UTC'")
    create_all(con)
    return con


def ingest_dataset(con: duckdb.DuckDBPyConnection, raw_dir: Path, ds: Dataset, *, run_id: str | None = None,
                   now: datetime | None = None) -> DatasetResult:
    """Ingest every new file of one dataset; never raises for bad input (it is quarantined instead)."""
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    result = DatasetResult(ds.key)
    for path in discover(raw_dir, ds):
        result.files.append(_ingest_file(con, raw_dir, ds, path, run_id, now))
    result.landed_rows_total = con.execute(f"SELECT count(*) FROM {ds.table}").fetchall()[0][0]
    return result


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
        "AND status = 'landed'", [ds.key, rel, sha]).fetchall()[0][0] > 0
    return seen, twin, restated


def _record_file(con, ds: Dataset, res: FileResult, size: int, now: datetime, run_id: str | None) -> None:
    con.execute("INSERT INTO audit.ingested_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [ds.key, res.source_file, res.file_sha256, size, res.status, res.rows_read, res.rows_accepted,
                 res.rows_quarantined, res.message, now, run_id])


def _quarantine_file(con, ds: Dataset, res: FileResult, size: int, now: datetime, run_id: str | None) -> FileResult:
    con.execute("BEGIN TRANSACTION")
    con.execute("INSERT INTO audit.quarantine VALUES (?, ?, ?, NULL, NULL, ?, NULL, ?, ?)",
                [ds.key, res.source_file, res.file_sha256, res.message, now, run_id])
    _record_file(con, ds, res, size, now, run_id)
    con.execute("COMMIT")
    return res


def _ingest_file(con: duckdb.DuckDBPyConnection, raw_dir: Path, ds: Dataset, path: Path, run_id: str | None,
                 now: datetime) -> FileResult:
    rel = path.relative_to(raw_dir).as_posix()
    sha = sha256_file(path)
    size = path.stat().st_size
    seen, twin, restated = _known(con, ds, rel, sha)
    if seen:
        return FileResult(rel, sha, "skipped")
    try:
        _check_format(ds, path)
    except readers.FileRejected as exc:
        return _quarantine_file(con, ds, FileResult(rel, sha, "rejected", message=f"{rel}: {exc}"), size, now,
                                run_id)
    if twin is not None:
        res = FileResult(rel, sha, "duplicate", message=f"duplicate of {twin} (same SHA-256 {sha[:12]}...): "
                                                         f"not ingested twice")
        return _quarantine_file(con, ds, res, size, now, run_id)
    try:
        con.execute("BEGIN TRANSACTION")
        if restated:
            con.execute(f"DELETE FROM {ds.table} WHERE _source_file = ?", [rel])
            con.execute("UPDATE audit.ingested_files SET status = 'superseded', message = ? WHERE dataset = ? "
                        "AND source_file = ? AND status = 'landed'",
                        [f"superseded by content {sha[:12]}... at {now.isoformat()}", ds.key, rel])
        res = _land(con, ds, path, rel, sha, run_id, now)
        _record_file(con, ds, res, size, now, run_id)
        con.execute("COMMIT")
        return res
    except readers.FileRejected as exc:
        con.execute("ROLLBACK")
        res = FileResult(rel, sha, "rejected", message=f"{rel}: {exc}")
    except Exception as exc:  # one bad file must never stop the others; the message is kept
        con.execute("ROLLBACK")
        log.exception("ingest of %s failed", rel)
        res = FileResult(rel, sha, "rejected", message=f"{rel}: {type(exc).__name__}: {exc}")
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
        n = len(b.lines)
        arrays = [pa.array(range(seq, seq + n), pa.int64()), pa.array(b.lines, pa.int64()),
                  pa.array(b.raws if b.raws is not None else [None] * n, pa.string())]
        arrays += [pa.array(col, pa.string()) for col in b.columns]
        seq += n
        yield pa.Table.from_arrays(arrays, names=["_seq", "_line", "_raw", *names])


def _check_format(ds: Dataset, path: Path) -> str:
    fmt = readers.file_format(path)
    if fmt not in ds.formats:
        raise readers.FileRejected(f"format {fmt!r} is not accepted for {ds.key} (accepted: "
                                   f"{', '.join(ds.formats)})")
    return fmt


def _land(con: duckdb.DuckDBPyConnection, ds: Dataset, path: Path, rel: str, sha: str, run_id: str | None,
          now: datetime) -> FileResult:
    fmt = _check_format(ds, path)
    rejects: list[readers.RowReject] = []
    if fmt in ("csv", "parquet"):
        header, batches = readers.read_csv(path, rejects) if fmt == "csv" else readers.read_parquet(path)
        names = [f"c{i}" for i in range(len(header))]
        field_sql, extra_sql = _map_header(ds, header, names)
        def row_json(prefix: str) -> str:
            pairs = ", ".join(f"{sql_str(h)}, {prefix}{n}" for h, n in zip(header, names, strict=True))
            return f"json_object({pairs})"

        raw_sql = row_json("b.")
        if extra_column(ds) == "_record":  # datasets that also take JSON keep whole records, CSV rows too
            extra_sql = row_json("")
    else:
        batches = readers.read_json(path, ds, rejects)
        names = [f"f{i}" for i in range(len(ds.fields))]
        field_sql = {f.name: n for f, n in zip(ds.fields, names, strict=True)}
        extra_sql = "_raw"
        raw_sql = "b._raw"
    checked = checked_select(ds, field_sql, extra_sql, "_rdr_batch")
    field_cols = ", ".join(quote_ident(f.name) for f in ds.fields)
    insert_landing = (
        f"INSERT INTO {ds.table} ({field_cols}, {extra_column(ds)}, _source_file, _file_sha256, _line, _ingested_at) "
        f"SELECT {field_cols}, _x, $rel, $sha, _line, $now FROM _rdr_chk WHERE len(_reasons) = 0 ORDER BY _seq")
    insert_quarantine = (
        "INSERT INTO audit.quarantine SELECT $ds, $rel, $sha, q._line, q.u.c, q.u.r, q.raw, $now, $run "
        f"FROM (SELECT k._seq, k._line, {raw_sql} AS raw, unnest(k._reasons) AS u FROM _rdr_chk k "
        "JOIN _rdr_batch b USING (_seq) WHERE len(k._reasons) > 0) q ORDER BY q._seq, q.u.c")
    params = {"ds": ds.key, "rel": rel, "sha": sha, "now": now, "run": run_id}
    staged = accepted = 0
    for table in _prefetch(_arrow_batches(batches, names)):
        con.register("_rdr_batch", table)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _rdr_chk AS {checked}")
            con.execute(insert_landing, {k: params[k] for k in ("rel", "sha", "now")})
            con.execute(insert_quarantine, params)
            accepted += con.execute("SELECT count(*) FROM _rdr_chk WHERE len(_reasons) = 0").fetchall()[0][0]
            staged += table.num_rows
        finally:
            con.unregister("_rdr_batch")
    con.execute("DROP TABLE IF EXISTS _rdr_chk")
    rows_read = staged + len(rejects)
    if rows_read == 0:  # well formed (a header, `[]`, empty buckets) but no rows: a legitimately empty export
        return FileResult(rel, sha, "landed", 0, 0, 0, "no records: a well-formed export with no rows")
    for rj in rejects:
        con.execute("INSERT INTO audit.quarantine VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)",
                    [ds.key, rel, sha, rj.line, rj.reason, rj.raw, now, run_id])
    quarantined = rows_read - accepted
    message = f"{quarantined} of {rows_read} rows quarantined" if quarantined else None
    return FileResult(rel, sha, "landed", rows_read, accepted, quarantined, message)


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
                 if extra else "CAST(NULL AS VARCHAR)")
    return field_sql, extra_sql


def dumps(result: DatasetResult) -> str:
    return json.dumps(result.as_dict(), indent=2, default=str)
