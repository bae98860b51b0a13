"""Streaming readers for the raw export formats.

Every reader turns one file into batches of text cells plus the record's line (or record) number, without
loading a whole CSV or JSON-lines file into memory. Types are not decided here: the contract check does
that in SQL, so what a reader yields is exactly what the file said.

- CSV: Python's csv module (RFC 4180, quoted newlines, doubled quotes); ``line`` is the physical line the
  record starts on.
- JSON lines: one record per line; ``line`` is the physical line.
- JSON documents (an array, a single object, or a documented envelope such as ``SecretList`` or OpenAI
  usage pages): parsed whole (these exports are small); ``line`` is the 1-based record number.
- Parquet: pyarrow in row batches; ``line`` is the 1-based row number.

Readers raise :class:`FileRejected` when a file cannot be read at all (not UTF-8, corrupt gzip, invalid
JSON document, nothing but whitespace, missing required column); the caller then quarantines the whole file.
"""

from __future__ import annotations

import base64
import csv
import errno
import gzip
import io
import json
import os
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from orchestration.datasets import Dataset
from orchestration.ingest import jsontext, secrets
from orchestration.ingest.errors import FileRejected
from orchestration.ingest.layouts import is_one_record, records_from_document

BATCH_ROWS = 50_000

csv.field_size_limit(64 * 1024 * 1024)


@dataclass
class RowReject:
    """A record that could not be turned into cells at all (wrong field count, invalid JSON)."""

    line: int
    reason: str
    raw: str


@dataclass
class TabularBatch:
    """Cells of one batch: ``columns[i][r]`` is the text of header ``i`` in row ``r`` (None = absent)."""

    lines: list[int]
    columns: list[list[str | None]]
    raws: list[str] | None = None

    def arrow(self, names: list[str], seqs: Iterable[int]) -> pa.Table:
        """The batch as an Arrow table: ``_seq`` (``seqs``: each record's place in the file's order), ``_line``,
        ``_raw`` and one text column per name."""
        n = len(self.lines)
        arrays = [
            pa.array(seqs, pa.int64()),
            pa.array(self.lines, pa.int64()),
            pa.array(self.raws if self.raws is not None else [None] * n, pa.string()),
        ]
        arrays += [pa.array(col, pa.string()) for col in self.columns]
        return pa.Table.from_arrays(arrays, names=["_seq", "_line", "_raw", *names])


#: Suffixes vendors give JSON-lines exports (Okta and syslog forwarders write ``.log``); their content decides.
SNIFFED_SUFFIXES = (".log", ".txt")


def open_raw(path: Path) -> io.BufferedReader:
    """Open a raw export for reading, refusing a symbolic link at the last moment too (``O_NOFOLLOW``): the
    pipeline reads only files inside ``raw/``, never what a link points at."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileRejected("symbolic link: refused unread (only files inside raw/ are read)") from None
        raise
    return os.fdopen(fd, "rb")


class _OwnedGzipFile(gzip.GzipFile):
    """A gzip reader that closes the raw file it was given (``GzipFile`` leaves a passed file object open)."""

    def close(self) -> None:
        raw = self.fileobj
        try:
            super().close()
        finally:
            if raw is not None:
                raw.close()


def open_bytes(path: Path) -> io.BufferedIOBase:
    """A raw export's bytes (:func:`open_raw`), decompressed when it is ``.gz``; closing it closes the file."""
    raw = open_raw(path)
    if not path.name.lower().endswith(".gz"):
        return raw
    try:
        return _OwnedGzipFile(fileobj=raw, mode="rb")
    except BaseException:
        raw.close()
        raise


def file_format(path: Path) -> str:
    """The reader family for a file name (``.gz`` is looked through); ``.log`` and ``.txt`` by content."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for suffix, fmt in (
        (".csv", "csv"),
        (".jsonl", "jsonl"),
        (".ndjson", "jsonl"),
        (".json", "json"),
        (".parquet", "parquet"),
    ):
        if name.endswith(suffix):
            return fmt
    if name.endswith(SNIFFED_SUFFIXES):
        return _sniff(path)
    raise FileRejected(
        f"unsupported file type {path.name!r} (expected .csv, .jsonl, .ndjson, .json or "
        f".parquet, optionally .gz; .log and .txt holding JSON lines)"
    )


def _sniff(path: Path) -> str:
    """``jsonl`` (or ``json`` for an array) when the file's first non-blank character opens JSON."""
    try:
        with open_text(path) as fh:
            head = fh.read(4096).lstrip()
    except _READ_ERRORS as exc:
        raise _decode_error(path, 1, exc) from None
    if head.startswith("{"):
        return "jsonl"
    if head.startswith("["):
        return "json"
    shown = head[:20].encode("unicode_escape").decode()
    raise FileRejected(
        f"{path.name!r}: a .log/.txt file is read only when it holds JSON lines; it starts with {shown!r}"
    )


def open_text(path: Path) -> io.TextIOBase:
    return io.TextIOWrapper(open_bytes(path), encoding="utf-8-sig", errors="strict", newline="")


def _decode_error(path: Path, line: int, exc: Exception) -> FileRejected:
    if isinstance(exc, UnicodeDecodeError):
        return FileRejected(
            f"not valid UTF-8 near line {line}: {exc.reason} at byte {exc.start} of the "
            f"chunk being decoded (re-export the file as UTF-8)"
        )
    return FileRejected(f"cannot read the file near line {line}: {type(exc).__name__}: {exc}")


_READ_ERRORS = (UnicodeDecodeError, gzip.BadGzipFile, EOFError, zlib.error, OSError)


# ----------------------------------------------------------------------------------------------- CSV


def _csv_header(path: Path, fh: io.TextIOBase) -> tuple[Any, list[str]]:
    """(reader positioned after the header, stripped header); closes ``fh`` when the header cannot be read."""
    reader = csv.reader(fh, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        fh.close()
        raise FileRejected("empty file: no header and no records") from None
    except csv.Error as exc:
        fh.close()
        raise FileRejected(f"CSV syntax error on line {reader.line_num}: {exc}") from None
    except _READ_ERRORS as exc:
        fh.close()
        raise _decode_error(path, reader.line_num, exc) from None
    return reader, [h.strip() for h in header]


def csv_header(path: Path) -> tuple[list[str], int]:
    """The header of a CSV file (refused as :func:`read_csv` refuses it) and the physical lines it spans."""
    with open_text(path) as fh:
        reader, header = _csv_header(path, fh)
        _refuse_duplicated_header(header)
        return header, reader.line_num


def read_csv(
    path: Path, rejects: list[RowReject], *, text: str | None = None, appended: tuple[str, str | None] | None = None
) -> tuple[list[str], Iterator[TabularBatch]]:
    """Header and batches of a CSV file (or of the CSV document ``text`` found inside it); rows with the wrong
    number of fields go to ``rejects``. ``appended`` = (column, value) adds a column with one value to every
    row (the report time of a GetCredentialReport response)."""
    fh = io.StringIO(text, newline="") if text is not None else open_text(path)
    reader, header = _csv_header(path, fh)
    extra = [appended[1]] if appended else []
    if appended:
        header.append(appended[0])
    _refuse_duplicated_header(header)
    width = len(header) - len(extra)

    def batches() -> Iterator[TabularBatch]:
        lines: list[int] = []
        rows: list[list[str]] = []
        start = reader.line_num + 1
        try:
            for row in reader:
                line = start
                start = reader.line_num + 1
                if len(row) != width:
                    if not row or row == [""]:
                        continue  # blank line
                    rejects.append(
                        RowReject(
                            line,
                            f"expected {width} fields (as in the header), found {len(row)}",
                            json.dumps(row, ensure_ascii=False),
                        )
                    )
                    continue
                lines.append(line)
                rows.append(row + extra if extra else row)
                if len(rows) >= BATCH_ROWS:
                    yield TabularBatch(lines, [list(c) for c in zip(*rows, strict=True)])
                    lines, rows = [], []
        except csv.Error as exc:
            raise FileRejected(f"CSV syntax error on line {reader.line_num}: {exc}") from None
        except _READ_ERRORS as exc:
            raise _decode_error(path, reader.line_num, exc) from None
        finally:
            fh.close()
        if rows:
            yield TabularBatch(lines, [list(c) for c in zip(*rows, strict=True)])

    return header, batches()


def _refuse_duplicated_header(header: list[str]) -> None:
    """A header naming one column twice (also in another casing: fields are matched case-insensitively) makes
    every row ambiguous: the file is rejected, naming the column and both positions."""
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        key = name.lower()
        if key in seen:
            raise FileRejected(
                f"duplicated column name {name!r} in the header (columns {seen[key]} and {i}): "
                f"which one holds the values is ambiguous; re-export with unique column names"
            )
        seen[key] = i


def credential_report_csv(path: Path) -> tuple[str, str | None]:
    """(CSV document, GeneratedTime) of an AWS GetCredentialReport response saved as JSON
    (``aws iam get-credential-report``): ``Content`` is base64 in the API's answer and already decoded in some
    tools' dumps; either is accepted. ``_line`` of its rows is the line within that CSV document."""
    try:
        with open_text(path) as fh:
            doc = json.loads(fh.read())
    except _READ_ERRORS as exc:
        raise _decode_error(path, 0, exc) from None
    except json.JSONDecodeError as exc:
        raise FileRejected(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("Content"), str):
        raise FileRejected("not a GetCredentialReport response: expected an object with a 'Content' string")
    content = doc["Content"]
    if "," not in content.split("\n", 1)[0]:  # a CSV header has commas; base64 has none
        try:
            content = base64.b64decode(content, validate=True).decode("utf-8-sig")
        except (ValueError, UnicodeDecodeError) as exc:
            raise FileRejected(f"'Content' is neither CSV text nor base64 of UTF-8 CSV: {exc}") from None
    generated = doc.get("GeneratedTime")
    return content, generated if isinstance(generated, str) else None


# ------------------------------------------------------------------------------------------- Parquet


def read_parquet(path: Path) -> tuple[list[str], Iterator[TabularBatch]]:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    fh = open_raw(path)
    try:
        pf = pq.ParquetFile(fh)
        header = [str(n).strip() for n in pf.schema_arrow.names]
        _refuse_duplicated_header(header)
    except FileRejected:
        fh.close()
        raise
    except Exception as exc:  # noqa: BLE001 - any parser error rejects the file with its message
        fh.close()
        raise FileRejected(f"not a readable Parquet file: {exc}") from None

    def as_text(col: pa.ChunkedArray | pa.Array) -> list[str | None]:
        t = col.type
        if pa.types.is_timestamp(t):
            if t.tz is not None:  # zoned values are stored as UTC: format them in UTC, not in the column's zone
                col = col.cast(pa.timestamp(t.unit, "UTC"))
            col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")  # %S carries the fraction at the column's unit
            return [None if v is None else v + "Z" for v in col.to_pylist()]
        if pa.types.is_map(t):  # MAP<k, v> (e.g. Tags) as a JSON object, not a list of pairs
            return [None if v is None else json.dumps(dict(v), default=str) for v in col.to_pylist()]
        if pa.types.is_nested(t):
            return [None if v is None else json.dumps(v, default=str) for v in col.to_pylist()]
        return pc.cast(col, pa.string()).to_pylist()

    def batches() -> Iterator[TabularBatch]:
        offset = 0
        try:
            for rb in pf.iter_batches(batch_size=BATCH_ROWS):
                n = rb.num_rows
                yield TabularBatch(list(range(offset + 1, offset + n + 1)), [as_text(c) for c in rb.columns])
                offset += n
        except Exception as exc:  # noqa: BLE001
            raise FileRejected(f"Parquet read error after row {offset}: {exc}") from None
        finally:
            fh.close()

    return header, batches()


# ---------------------------------------------------------------------------------------------- JSON


def _cell(value: Any) -> str | None:
    """The text of one JSON value as a cell: exact for numbers, JSON for objects and arrays."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dict, list)):
        return jsontext.dump_exact(value)
    return str(value)


def record_text(rec: Any) -> str:
    """A document's record as the JSON text quarantine and ``trace`` show: exact numbers; a record that is
    not an object (a bare value in an array) as the JSON of its cell text."""
    return jsontext.dump_exact(rec) if isinstance(rec, (dict, list)) else json.dumps(_cell(rec))


def without_secret_values(record: Any, raw: str) -> tuple[Any, bool]:
    """The record with every secret value (``SecretString``, ``SecretBinary``: GetSecretValue or
    BatchGetSecretValue output dropped among exports) replaced at any depth, and whether any was; ``raw`` is the
    record's text, a cheap test of whether a walk is needed. Ingest and ``roi-ledger trace`` both call it."""
    if not secrets.may_contain_json_keys(raw):
        return record, False
    redacted = secrets.redact_json_keys(record)
    return redacted, redacted != record


def redact_record_text(raw: str, *, json_record: bool = False) -> tuple[str, Counter[str]]:
    """One raw record's text as the quarantine and ``roi-ledger trace`` show it, and how many secrets of each
    kind were redacted: a JSON record's (``json_record``) secret values replaced at any depth
    (:func:`secrets.redact_json_keys`, kind ``secret_value``; the text is parsed only when it may hold one),
    then every secret the detectors find in the text (:func:`secrets.redact_text`). Text that does not parse as
    JSON is redacted by the detectors alone. The one redaction of raw text that ingest (rejected records) and
    ``trace`` (records read back) share."""
    text, values = raw, 0
    if json_record and secrets.may_contain_json_keys(raw):
        try:
            record = jsontext.loads(raw)
        except (ValueError, RecursionError):  # not a record ingest could read: the detectors alone
            record = None
        redacted = secrets.redact_json_keys(record) if record is not None else None
        if redacted != record:
            text = jsontext.dump_exact(redacted)
            values = text.count(secrets.SECRET_VALUE_MARKER) - raw.count(secrets.SECRET_VALUE_MARKER)
    out, kinds = secrets.redact_text(text)
    if values:
        kinds["secret_value"] += values
    return out or "", kinds


def _get_path(record: dict, path: str) -> Any:
    if path in record:  # keys that contain dots, e.g. "@timestamp", flattened exports
        return record[path]
    cur: Any = record
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def read_json(
    path: Path, ds: Dataset, rejects: list[RowReject], *, lines: Iterable[tuple[int, str]] | None = None
) -> Iterator[TabularBatch]:
    """Batches of a JSON document or JSON-lines file, one column per contract field (in registry order).

    ``raws`` holds each record's JSON text: the line itself for JSON lines, the re-serialised record for
    records inside a document. ``lines``: (line number, text) of the lines of a JSON-lines file to read, the
    ones :mod:`orchestration.ingest.fastjson` hands back (the file itself is not opened).
    """
    # per field: its one plain key (the usual case: a dict lookup), else its candidate paths; JSON-typed or not
    plans = [
        ((f.source if not f.aliases and "." not in f.source else None), (f.source, *f.aliases), f.type == "json")
        for f in ds.fields
    ]
    line_mode = lines is not None or file_format(path) == "jsonl"

    def cells(record: dict) -> list[str | None]:
        out: list[str | None] = []
        for key, candidates, as_json in plans:
            if key is not None:
                value = record.get(key)
            else:
                value = None
                for p in candidates:
                    value = _get_path(record, p)
                    if value is not None:
                        break
            kind = type(value)
            if kind is str:
                # a plain string in a JSON-typed field (OPA `"result": "allow"`) lands as a JSON string; a string
                # that holds JSON text (Four Keys `metadata`) lands as that JSON
                out.append(json.dumps(value, ensure_ascii=False) if as_json and not jsontext.is_json(value) else value)
            elif kind is int:
                out.append(str(value))
            else:
                out.append(_cell(value))
        return out

    parser = jsontext.JsonParser()

    def document_records(text: str) -> Iterator[tuple[int, Any, str]]:
        try:
            doc = parser.loads(text)
        except RecursionError:
            doc = parser.loads(jsontext.cut_deep(text))
        checked = parser.duplicates == 0 and jsontext.record_problem(doc) is None  # the usual case: nothing to look for
        found = False
        for i, rec in enumerate(records_from_document(doc, ds.json_layout, ds.json_records_key), start=1):
            raw = record_text(rec)
            problem = None if checked else jsontext.record_problem(rec) if isinstance(rec, (dict, list)) else None
            if problem:
                found = True
                rejects.append(RowReject(i, problem, raw))
                continue
            yield i, rec, raw
        if not checked and not found:
            raise FileRejected(f"{jsontext.record_problem(doc)} outside the records (in the document's envelope)")

    def records() -> Iterator[tuple[int, Any, str]]:
        nonlocal line_mode
        if not line_mode:
            try:
                with open_text(path) as fh:
                    text = fh.read()
            except _READ_ERRORS as exc:
                raise _decode_error(path, 0, exc) from None
            if not text.strip():
                raise FileRejected("empty file: no records")
            try:
                yield from document_records(text)
                return
            except json.JSONDecodeError as exc:
                if exc.msg != "Extra data":
                    raise FileRejected(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
                line_mode = True  # JSON lines saved with a .json name
        fh = open_text(path) if lines is None else None
        line = 0
        content = lines is not None  # handed-back lines of a file whose other lines were read elsewhere
        try:
            for line, text in enumerate(fh, start=1) if fh is not None else lines:
                stripped = text.strip()
                if not stripped:
                    continue
                content = True
                before = parser.duplicates
                try:
                    doc = parser.loads(stripped)
                except json.JSONDecodeError as exc:
                    rejects.append(RowReject(line, f"invalid JSON at column {exc.colno}: {exc.msg}", stripped))
                    continue
                except RecursionError:
                    rejects.append(RowReject(line, jsontext.TOO_DEEP_REASON, stripped))
                    continue
                if parser.duplicates != before or stripped.count("{") + stripped.count("[") > jsontext.MAX_JSON_DEPTH:
                    problem = jsontext.record_problem(doc)
                    if problem:
                        rejects.append(RowReject(line, problem, stripped))
                        continue
                if is_one_record(doc, ds.json_layout, ds.json_records_key):
                    yield line, doc, stripped  # a line that is one record is its own raw text
                else:
                    for rec in records_from_document(doc, ds.json_layout, ds.json_records_key):
                        yield line, rec, record_text(rec)
        except _READ_ERRORS as exc:
            raise _decode_error(path, line + 1, exc) from None
        finally:
            if fh is not None:
                fh.close()
        if not content:
            raise FileRejected("empty file: no records")

    numbers: list[int] = []
    rows: list[list[str | None]] = []
    raws: list[str] = []
    for line, rec, raw in records():
        if not isinstance(rec, dict):
            rejects.append(RowReject(line, "record is not a JSON object", raw))
            continue
        rec, changed = without_secret_values(rec, raw)
        if changed:
            raw = jsontext.dump_exact(rec)
        numbers.append(line)
        rows.append(cells(rec))
        raws.append(raw)
        if len(rows) >= BATCH_ROWS:
            yield TabularBatch(numbers, [list(c) for c in zip(*rows, strict=True)], raws)
            numbers, rows, raws = [], [], []
    if rows:
        yield TabularBatch(numbers, [list(c) for c in zip(*rows, strict=True)], raws)
