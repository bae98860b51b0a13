"""CSV at the speed of DuckDB's own reader, with the streaming reader's answers or none at all.

Python's csv module costs about 8 s per million rows; DuckDB's reader parses the same file in parallel, in
C++. It is used only where its answer is provably the one the streaming reader (:func:`readers.read_csv`)
would give, cell for cell and line for line:

- every cell as text (``all_varchar`` with explicit columns, no type sniffing, no trimming), RFC 4180 quoting,
  strict mode: a row with the wrong number of fields, a stray quote or text that is not UTF-8 is an error
  here, and the file goes to the streaming reader, which quarantines the row or rejects the file with its
  usual line-precise message;
- line numbers: DuckDB does not report them, so a record's line is its position plus the header's lines, and
  that is trusted only when the file's physical line count equals the header's lines plus the records: then
  no record spans two lines (a quoted newline) and no blank line was skipped. Otherwise the streaming reader
  reads the file;
- UTF-8: DuckDB's reader takes bytes that are not UTF-8 without a word; the line count checks the text too;
- a header on one line (the usual case), so ``skip`` means the same to both readers;
- no NULLs: DuckDB reads an empty field as empty text only while its NULL string cannot occur; a NULL seen
  anyway sends the file to the streaming reader.

Records keep the file's order (``preserve_insertion_order``, DuckDB's default, is required and checked), so a
staged table's ``rowid`` is the record's position.
"""

from __future__ import annotations

import codecs
import threading
import zlib
from pathlib import Path

import duckdb

from orchestration.ingest.readers import open_bytes

#: DuckDB's NULL string for these reads: text no export holds (a NULL seen anyway sends the file to the
#: streaming reader, so the choice only decides how often that happens).
NULL_TEXT = "\x1e\x1froi-ledger:no-null\x1f\x1e"
#: The longest line DuckDB will take, as the streaming reader's field limit (``csv.field_size_limit``).
MAX_LINE_BYTES = 64 * 1024 * 1024
_CHUNK = 16 * 1024 * 1024


def physical_lines(path: Path) -> int | None:
    """Lines of the file's (decompressed) text: its newlines, plus one for a last line without one; None when
    the text is not UTF-8 (DuckDB's reader would take such bytes without a word: the streaming reader rejects
    the file, naming the line)."""
    count, last = 0, b"\n"
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    try:
        with open_bytes(path) as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                if not chunk.isascii() or decoder.getstate()[0]:  # (ASCII after a whole character: valid as is)
                    decoder.decode(chunk)
                count += chunk.count(b"\n")
                last = chunk[-1:]
            decoder.decode(b"", final=True)
    except (UnicodeDecodeError, OSError, EOFError, zlib.error):
        return None
    return count + (last != b"\n")


class LineCount:
    """:func:`physical_lines` of a file, counted in a background thread while DuckDB parses the same file
    (DuckDB releases the GIL; its CSV reader leaves part of a core idle): ``value()`` waits for the count."""

    def __init__(self, path: Path) -> None:
        self._result: list[int | None] = []
        self._thread = threading.Thread(
            target=lambda: self._result.append(physical_lines(path)), name="ingest-line-count", daemon=True
        )
        self._thread.start()

    def value(self) -> int | None:
        self._thread.join()
        return self._result[0] if self._result else None


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def read_csv_sql(path: Path, width: int, header_lines: int) -> str:
    """DuckDB's ``read_csv`` over the records of ``path`` as text columns ``c0`` .. ``c{width-1}``."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    return (
        f"read_csv({_sql_str(str(path))}, columns = {columns}, skip = {header_lines}, header = false, "
        f"auto_detect = false, delim = ',', quote = '\"', escape = '\"', nullstr = {_sql_str(NULL_TEXT)}, "
        f"strict_mode = true, max_line_size = {MAX_LINE_BYTES}, compression = 'auto', encoding = 'utf-8')"
    )


def stage(con: duckdb.DuckDBPyConnection, path: Path, width: int, header_lines: int, table: str) -> int | None:
    """Parse the records of the CSV file ``path`` into the temporary table ``table`` (``c0`` .. in file order,
    ``rowid`` = position); the number of records, or None (and no table) when this file needs the streaming
    reader (see the module's rules)."""
    if header_lines != 1 or not con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]:
        return None  # (DuckDB's ``skip`` counts records, not lines, in some versions: a one-line header only)
    lines = LineCount(path)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {read_csv_sql(path, width, header_lines)}")
    except duckdb.Error:
        lines.value()
        con.execute(f"DROP TABLE IF EXISTS {table}")
        return None
    nulls = " OR ".join(f"c{i} IS NULL" for i in range(width))
    records, with_null = con.execute(f"SELECT count(*), count(*) FILTER (WHERE {nulls}) FROM {table}").fetchall()[0]
    if lines.value() != header_lines + records or with_null:
        con.execute(f"DROP TABLE {table}")
        return None
    return records
