"""One file's records checked against its dataset's contract, gated for secrets, landed and quarantined.

:func:`prestage` parses a file with DuckDB's own readers where their answer is exact (:mod:`~.fastcsv`,
:mod:`~.fastjson`); :func:`land` runs the contract check in SQL over it, or over the streaming readers' batches,
writes the accepted rows to the file's landing Parquet file and its refused rows to ``audit.quarantine``, and
totals its money from the file's own text. :mod:`orchestration.ingest.engine` decides which files are new and
holds the transaction around each.
"""

from __future__ import annotations

import decimal
import queue
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.datasets import FIELD_TYPES, Dataset
from orchestration.ingest import fastcsv, fastjson, readers, secrets
from orchestration.ingest.contract import (
    CURRENCY_COLUMN,
    TimeWindow,
    checked_select,
    money_column,
    quote_ident,
    split_filter_sql,
    sql_str,
    threads,
    unreadable_column,
)
from orchestration.ingest.landing import PARQUET_OPTIONS, extra_column


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
class Prestaged:
    """A file DuckDB already parsed into ``_rdr_batch`` (the whole file, one batch): ``header`` of a CSV file
    (None: JSON lines, fields ``f0`` ..), whether its rows are in file order, and the records the streaming
    reader could not split among the lines handed back to it (:mod:`orchestration.ingest.fastjson`)."""

    header: list[str] | None
    records: int
    ordered: bool = True
    rejects: list[readers.RowReject] = field(default_factory=list)


def prestage(con: duckdb.DuckDBPyConnection, ds: Dataset, path: Path) -> Prestaged | None:
    """The file parsed by DuckDB's readers (:mod:`~orchestration.ingest.fastcsv`,
    :mod:`~orchestration.ingest.fastjson` say when), or None when the streaming readers read it (also a file
    whose header or format is refused: the streaming path says why).

    Runs outside the file's transaction: a DuckDB error inside one would abort it, and this error only means
    "read it the other way"."""
    try:
        fmt = check_format(ds, path)
        if fmt == "jsonl":
            staged = fastjson.stage(con, path, ds)
            return None if staged is None else Prestaged(None, staged.records, staged.ordered, staged.rejects)
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
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _rdr_batch AS SELECT rowid AS _seq, rowid + {header_lines + 1} AS _line, "
        f"CAST(NULL AS VARCHAR) AS _raw, {cells} FROM _rdr_stage"
    )
    return Prestaged(header, records)


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what :func:`_prestage` made (after the file's transaction, committed or not)."""
    con.execute("DROP VIEW IF EXISTS _rdr_batch")
    con.execute("DROP TABLE IF EXISTS _rdr_stage")
    fastjson.drop(con)


def check_format(ds: Dataset, path: Path) -> str:
    fmt = readers.file_format(path)
    if fmt not in ds.formats:
        raise readers.FileRejected(f"format {fmt!r} is not accepted for {ds.key} (accepted: {', '.join(ds.formats)})")
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
            f"FROM _rdr_chk GROUP BY ALL HAVING count({m}) > 0 OR count(*) FILTER (WHERE {u}) > 0"
        )
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


def land(
    con: duckdb.DuckDBPyConnection,
    ds: Dataset,
    path: Path,
    rel: str,
    sha: str,
    run_id: str | None,
    now: datetime,
    window: TimeWindow,
    target: Path,
    prestaged: Prestaged | None = None,
) -> FileResult:
    """Check one file, write its accepted rows to ``target`` (its landing file, only when it has some) and its
    quarantine to ``audit.quarantine``; ``prestaged``: a file DuckDB already parsed (:func:`_prestage`),
    otherwise the streaming readers read it."""
    fmt = check_format(ds, path)
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
    field_cols = ", ".join(
        f"CAST({quote_ident(f.name)} AS {FIELD_TYPES[f.type]}) AS {quote_ident(f.name)}" for f in ds.fields
    )
    sink = _Sink(
        con,
        target,
        prestaged is not None,
        f"SELECT {field_cols}, CAST(_x AS VARCHAR) AS {extra_column(ds)}, {sql_str(rel)} AS _source_file, "
        f"{sql_str(sha)} AS _file_sha256, _line, "
        f"CAST({sql_str(now.isoformat())} AS TIMESTAMP) AS _ingested_at FROM _rdr_chk WHERE len(_reasons) = 0",
    )
    insert_quarantine = (
        "INSERT INTO audit.quarantine SELECT $ds, $rel, $sha, q._line, q.u.c, q.u.r, q._qraw, $now, $run "
        "FROM (SELECT _seq, _line, _qraw, unnest(_reasons) AS u FROM _rdr_chk WHERE len(_reasons) > 0) q "
        "ORDER BY q._seq, q.u.c"
    )
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
                    for column, kind, n in con.execute(
                        "SELECT s.c, s.k, count(*) FROM (SELECT unnest(_secrets) AS s FROM _rdr_chk) GROUP BY ALL"
                    ).fetchall():
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
        con.execute(
            "INSERT INTO audit.quarantine VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)",
            [ds.key, rel, sha, rj.line, reason, raw, now, run_id],
        )
    if rejects:  # records that could not be split into fields: their money, if any, cannot be counted
        for f in ds.money_fields:
            money.setdefault((f.name, None), MoneyTotal(f.name, None)).rows_unreadable += len(rejects)
    quarantined = rows_read - accepted
    message = f"{quarantined} of {rows_read} rows quarantined" if quarantined else None
    return FileResult(
        rel,
        sha,
        "landed",
        rows_read,
        accepted,
        quarantined,
        message,
        money=[money[k] for k in sorted(money, key=lambda k: (k[0], k[1] or ""))],
        secrets=found,
    )


#: A column with fewer distinct values than one in this many rows is gated value by value, each value once
#: (LiteLLM's `metadata`, 40% of its text, holds one value per key): the gate reads a fraction of the text.
DISTINCT_GATE_RATIO = 10
#: Below this many rows a batch is gated in one statement over all its columns: each statement holding the gate
#: compiles its patterns again (about 35 ms), more than gating a few thousand rows takes (a Cursor usage page of
#: 1,000 events spent 136 ms in the gate's four statements, split over two threads).
SMALL_GATE_ROWS = 20_000


def _stage_candidates(con: duckdb.DuckDBPyConnection, columns: list[str], rows: int) -> None:
    """The rows of ``_rdr_batch`` that may hold a secret, as ``_rdr_cand``: a row whose text in ``columns``
    :func:`secrets.may_hold_secret_sql` flags. Columns with few distinct values are gated once per distinct
    value (exactly the gate of each value); the others together, joined by a unit separator, as before. A batch
    under :data:`SMALL_GATE_ROWS` is gated in one statement, every column together."""
    small = rows < SMALL_GATE_ROWS  # compiling the gate's patterns costs more than running them
    few: list[str] = []
    if not small:
        approx = con.execute(
            "SELECT " + ", ".join(f"approx_count_distinct({c})" for c in columns) + " FROM _rdr_batch"
        ).fetchall()[0]
        few = [c for c, n in zip(columns, approx, strict=True) if n * DISTINCT_GATE_RATIO < rows]
    many = [c for c in columns if c not in few]
    where = [secrets.may_hold_secret_sql("concat_ws(chr(31), " + ", ".join(many) + ")")] if many else []
    if few:
        # materialised first: DuckDB would push the gate below the DISTINCT and run it on every row
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _rdr_values AS "
            + " UNION ALL ".join(f"SELECT DISTINCT {i} AS col, {c} AS v FROM _rdr_batch" for i, c in enumerate(few))
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _rdr_flagged AS SELECT col, v FROM _rdr_values "
            f"WHERE {secrets.may_hold_secret_sql('v')}"
        )
        flagged = [r[0] for r in con.execute("SELECT DISTINCT col FROM _rdr_flagged ORDER BY col").fetchall()]
        where += [f"{few[i]} IN (SELECT v FROM _rdr_flagged WHERE col = {i})" for i in flagged]
        con.execute("DROP TABLE _rdr_values")
    gate = " OR ".join(where) or "false"
    # split over the threads, the gate's patterns would compile once per thread: not worth it for a small batch
    query = f"SELECT * FROM _rdr_batch WHERE {gate}"
    if not small:
        query = split_filter_sql("*", "_rdr_batch", gate, "_line", rows, threads(con))
    con.execute(f"CREATE OR REPLACE TEMP TABLE _rdr_cand AS {query}")


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
            field_sql[f.name] = (
                "coalesce("
                + ", ".join(f"CASE WHEN trim({names[i]}) IN ({tokens}) THEN NULL ELSE {names[i]} END" for i in idx)
                + ")"
            )
    if missing:
        raise readers.FileRejected(
            f"missing required column(s) {', '.join(missing)}; the header has: {', '.join(header)}"
        )
    extra = [i for i in range(len(header)) if i not in used]
    extra_sql = (
        "json_object(" + ", ".join(f"{sql_str(header[i])}, {names[i]}" for i in extra) + ")" if extra else NO_EXTRA
    )
    return field_sql, extra_sql
