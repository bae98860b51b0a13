"""Raw records read back by their numbers, exactly as ingest numbered them (``roi-ledger trace``).

An auditor follows a published row to ``_source_file`` / ``_line`` and reads those lines here: CSV, the physical
line(s) of the record (quoted newlines included, blank lines counted); JSON lines, the line; JSON documents and
Parquet, the record number (shown as JSON); ``.gz`` transparently. Secrets are redacted as on ingest
(:func:`readers.redact_record_text`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from orchestration.datasets import Dataset
from orchestration.ingest import jsontext, readers

#: What :func:`read_raw_records` returns per wanted number: (last physical line, content, note).
Found = dict[int, tuple[int, str, str | None]]


@dataclass
class CsvRecord:
    line: int
    """The physical line the record starts on (the header is line 1)."""
    end_line: int
    text: str
    """The lines the record spans, without the last line break."""
    fields: list[str]


class _Tap:
    """Hands the physical lines of a text file to the csv module and keeps them, so a record's raw text is
    exactly the lines it spans (quoted newlines included)."""

    def __init__(self, fh: io.TextIOBase) -> None:
        self.fh = fh
        self.buffer: list[str] = []

    def __iter__(self) -> _Tap:
        return self

    def __next__(self) -> str:
        line = next(self.fh)
        self.buffer.append(line)
        return line

    def take(self) -> str:
        text = "".join(self.buffer)
        self.buffer.clear()
        return text.rstrip("\r\n")


def iter_csv(fh: io.TextIOBase) -> Iterator[CsvRecord]:
    """Records of a CSV file numbered as the ingest reader numbers them: the header first, then each record at
    the physical line it starts on (blank lines advance the count)."""
    tap = _Tap(fh)
    reader = csv.reader(tap, strict=True)
    start = 1
    for fields in reader:
        yield CsvRecord(start, reader.line_num, tap.take(), fields)
        start = reader.line_num + 1


def jsonable(v: Any) -> Any:
    """A value as JSON shows it: dates and times in ISO form, exact decimals, bytes as hex (pure: tested)."""
    if isinstance(v, (datetime, date)):
        return v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v.to_integral_value() else format(v, "f").rstrip("0")
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    return v


def read_raw_records(
    path: Path, fmt: str, numbers: set[int], dataset: Dataset | None = None
) -> tuple[Found, str | None, str]:
    """The content of the wanted line (or record) numbers of one raw file: ``{n: (end_line, content, note)}``,
    the CSV header and the numbering actually used (``json`` read as ``jsonl`` when the file holds JSON lines),
    as :mod:`orchestration.ingest.readers` numbers them (pure on the file: tested). Every content and the
    header are redacted by :func:`readers.redact_record_text`; ``note`` says which kinds were."""
    found, header, numbering = _read(path, fmt, numbers, dataset)
    out: Found = {}
    json_records = numbering != "csv"
    for n, (end, content) in found.items():
        text, kinds = readers.redact_record_text(content, json_record=json_records)
        out[n] = (end, text, f"secrets redacted ({', '.join(sorted(kinds))})" if kinds else None)
    return out, (readers.redact_record_text(header)[0] if header else header), numbering


def _read(
    path: Path, fmt: str, numbers: set[int], dataset: Dataset | None
) -> tuple[dict[int, tuple[int, str]], str | None, str]:
    wanted = set(numbers)
    last = max(wanted, default=0)
    embedded = None
    if fmt == "json" and dataset is not None and dataset.json_layout == "credential_report":
        embedded, _ = readers.credential_report_csv(path)  # ingest numbers the lines of the CSV inside
        fmt = "csv"
    if fmt == "csv":
        return _read_csv(path, embedded, wanted, last)
    if fmt == "parquet":
        return _read_parquet(path, wanted, last), None, fmt
    if fmt != "jsonl":
        with readers.open_text(path) as fh:
            text = fh.read()
        try:
            doc = jsontext.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise
            # JSON lines saved with a .json name, read as the reader does: below
        else:
            layout = dataset.json_layout if dataset else "records"
            key = dataset.json_records_key if dataset else None
            return (
                {
                    i: (i, readers.record_text(rec))
                    for i, rec in enumerate(readers.records_from_document(doc, layout, key), start=1)
                    if i in wanted
                },
                None,
                fmt,
            )
    out: dict[int, tuple[int, str]] = {}
    with readers.open_text(path) as fh:
        for n, text in enumerate(fh, start=1):
            if n in wanted:
                out[n] = (n, text.rstrip("\r\n"))
            if n >= last:
                break
    return out, None, "jsonl"


def _read_csv(
    path: Path, embedded: str | None, wanted: set[int], last: int
) -> tuple[dict[int, tuple[int, str]], str | None, str]:
    header = None
    out: dict[int, tuple[int, str]] = {}
    with io.StringIO(embedded, newline="") if embedded is not None else readers.open_text(path) as fh:
        for i, rec in enumerate(iter_csv(fh)):
            if i == 0:
                header = rec.text
                continue
            if rec.line in wanted:
                out[rec.line] = (rec.end_line, rec.text)
            if rec.line >= last:
                break
    return out, header, "csv"


def _read_parquet(path: Path, wanted: set[int], last: int) -> dict[int, tuple[int, str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    maps = {f.name for f in pf.schema_arrow if pa.types.is_map(f.type)}
    out: dict[int, tuple[int, str]] = {}
    offset = 0
    for batch in pf.iter_batches(batch_size=readers.BATCH_ROWS):
        for n in sorted(w for w in wanted if offset < w <= offset + batch.num_rows):
            rec = batch.slice(n - offset - 1, 1).to_pylist()[0]
            rec = {k: (dict(v) if k in maps and v is not None else v) for k, v in rec.items()}
            out[n] = (n, json.dumps(jsonable(rec), ensure_ascii=False, default=str))
        offset += batch.num_rows
        if offset >= last:
            break
    return out
