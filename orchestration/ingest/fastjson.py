"""JSON lines at the speed of DuckDB's JSON functions, with the streaming reader's answers line for line.

Python's ``json`` module with exact decimals and duplicate-key detection costs about 40 us per event line;
DuckDB reads the lines in parallel and extracts fields in C++. It is used only where its answer is provably the
one the streaming reader (:func:`readers.read_json`) gives; every other line goes to that reader, and only that
line, so one odd record never slows a whole file down:

- the file: JSON lines (``.jsonl``, ``.ndjson``, sniffed ``.log``/``.txt``) of a dataset whose records are the
  lines themselves (layouts ``records`` and ``okta_events``); lines read as text by DuckDB's CSV reader with a
  delimiter no valid JSON text holds unescaped (the unit separator) and no quoting. A line's number is its
  position, trusted only when the file's physical line count (:func:`fastcsv.physical_lines`, which also
  proves the text UTF-8) equals the lines read: DuckDB skips blank lines, Python splits on a lone carriage
  return. A file with a byte-order mark, a carriage return inside a line, or a read error goes whole to the
  streaming reader;
- the line: DuckDB's parser (yyjson) accepts what Python's rejects (trailing commas, ``inf``, ``nan``) and the
  two decode escapes differently at the edges (lone surrogates), and a key named twice must be found at any
  depth. A line is read here only when it is an object (``{`` ... ``}``, so stripping it changes nothing),
  DuckDB calls it valid, no text could be a trailing comma or a non-finite number, it has no ``\\u`` escape
  and names no secret-value key (:data:`secrets.SECRET_VALUE_KEYS`: the streaming reader redacts those), its
  brackets are within :data:`jsontext.MAX_JSON_DEPTH`, no object in it names a key twice, and (Okta) it is
  not an event hook delivery;
- the cells: a field's value is the first candidate path (source, then aliases) holding a value other than
  null, a key containing dots looked up whole first (as ``readers._get_path``). Strings are decoded, integers
  and booleans written as JSON, objects and arrays as compact JSON; a non-integer number anywhere in an
  extracted value (whose exact text DuckDB does not keep), or a string in a JSON-typed field that is not
  plainly a word (Python decides whether such text is JSON), sends the line to the streaming reader. Except
  the one case real exports are full of: a ``decimal`` field at a top-level key (GitHub Copilot's
  ``ai_credits_used: 0.0`` on every line) whose number is written in plain fixed notation (``-12.340``) takes
  that text from the line itself, where the key occurs once (the streaming reader writes such a number as
  written); any other form of it (``1e-7``, the key twice) still goes to the streaming reader.

The lines read here and those handed back are merged in file order by ``_seq`` (:data:`SEQ_STRIDE` per line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from orchestration.datasets import Dataset, Field
from orchestration.ingest import jsontext, readers, secrets
from orchestration.ingest.contract import split_filter_sql, sql_str, threads
from orchestration.ingest.fastcsv import MAX_LINE_BYTES, LineCount

#: Layouts whose records are the lines themselves (an Okta line may also be a hook delivery: handed back).
LAYOUTS = ("records", "okta_events")
#: ``_seq`` of a line's records: line x stride + position in the line (a hook delivery holds many events).
SEQ_STRIDE = 1 << 20
#: Text that could be a trailing comma or a non-finite number outside a string: such lines go to Python.
ROUTED_TEXT = r"(?i)[:,\[]\s*[-+]?(nan|inf)|,\s*[}\]]"
#: Past this share of lines handed back, the streaming reader reads the whole file (the attempt cost less).
HAND_BACK_WHOLE = 0.5
#: DuckDB's NULL string for these reads: a NULL seen anyway sends the file to the streaming reader.
NULL_TEXT = "\x1eroi-ledger:no-null\x1e"
#: A string in a JSON-typed field that Python would call "not JSON" for sure (then it lands JSON-quoted).
PLAIN_WORD = r"[A-Za-z_][A-Za-z0-9_.:/-]*"
_JSON_WORDS = ("true", "false", "null", "NaN", "Infinity")


@dataclass
class Staged:
    """What :func:`stage` made: ``_rdr_batch`` (``_seq``, ``_line``, ``_raw``, ``f0`` ..) over the lines read here
    and those the streaming reader read; ``rejects`` are the latter's unreadable records."""

    records: int
    ordered: bool
    handed_back: int
    rejects: list[readers.RowReject] = field(default_factory=list)


def _path(parts: list[str]) -> str:
    return "$" + "".join('."' + p + '"' for p in parts)


def applies(ds: Dataset, path: Path) -> bool:
    """Whether this reader may take the file at all (its format, the dataset's layout, its field paths)."""
    paths = [p for f in ds.fields for p in (f.source, *f.aliases)]
    if ds.json_layout not in LAYOUTS or any('"' in p or "\\" in p for p in paths):
        return False
    try:
        return readers.file_format(path) == "jsonl"
    except readers.FileRejected:
        return False


def _starts_with_bom(path: Path) -> bool:
    with readers.open_bytes(path) as fh:
        try:
            return fh.read(3) == b"\xef\xbb\xbf"
        except (OSError, EOFError):
            return True  # unreadable: the streaming reader says why


def plain_line_sql(ds: Dataset) -> str:
    """The line-level rules (see the module): true for a line DuckDB reads exactly as Python does."""
    keys = " AND ".join(f"NOT contains(line, {sql_str(k)})" for k in secrets.SECRET_VALUE_KEYS)
    rules = [
        "prefix(line, '{')",
        "suffix(line, '}')",
        "json_valid(line)",
        f"NOT regexp_matches(line, {sql_str(ROUTED_TEXT)})",
        "NOT contains(line, '\\u')",
        keys,
        f"length(line) - length(replace(replace(line, '{{', ''), '[', '')) <= {jsontext.MAX_JSON_DEPTH}",
        "len(json_keys(line)) = len(list_distinct(json_keys(line)))",
        "coalesce(list_bool_and(list_transform(json_keys(line, '$..*'), "
        "lambda k: len(k) = len(list_distinct(k)))), true)",
    ]
    if ds.json_layout == "okta_events":
        rules.append("json_type(line, '$.data.events') IS DISTINCT FROM 'ARRAY'")
    return " AND ".join(rules)


def cells_sql(ds: Dataset) -> str:
    """A SELECT over ``_rdr_plain`` (``_line``, ``line``) giving ``_line``, ``line``, ``f0`` .. and ``_route``
    (the line must go to the streaming reader after all). Two parses of each line: every candidate path's text
    (strings decoded, the rest as compact JSON, NULL for null or absent) and its JSON type."""
    paths: list[str] = []

    def at(path: str) -> int:
        paths.append(path)
        return len(paths)

    cells, routes = [], []
    for i, f in enumerate(ds.fields):
        # (condition, index) per candidate: the first candidate holding a value other than null gives the cell
        whens: list[tuple[str, int]] = []
        for p in (f.source, *f.aliases):
            k = at(_path([p]))
            if "." in p:  # a key containing the dots, looked up whole first: when present, its value counts
                n = at(_path(p.split(".")))
                whens.append((f"_t[{k}] <> 'NULL'", k))
                whens.append((f"_t[{k}] IS NULL AND _t[{n}] <> 'NULL'", n))
            else:
                whens.append((f"_t[{k}] <> 'NULL'", k))
        text = "CASE " + " ".join(f"WHEN {c} THEN _s[{k}]" for c, k in whens) + " END"
        kind = "CASE " + " ".join(f"WHEN {c} THEN _t[{k}]" for c, k in whens) + " END"
        exact = _plain_decimal_sql(f, f"{kind} = 'DOUBLE'", text)
        if exact:  # the number's own text, or NULL (then the line goes to the streaming reader)
            text = f"CASE WHEN {kind} = 'DOUBLE' THEN {exact} ELSE {text} END"
            routes.append(f"(y{i} = 'DOUBLE' AND s{i} IS NULL)")
        else:
            routes.append(f"y{i} = 'DOUBLE'")
        cells.append(f"{text} AS s{i}, {kind} AS y{i}")
        routes.append(
            f"CASE WHEN y{i} IN ('OBJECT', 'ARRAY') THEN list_contains(json_type(s{i}, '$..*'), 'DOUBLE') "
            f"ELSE false END"
        )  # (CASE: only JSON text is parsed)
    finals = []
    words = ", ".join(sql_str(w) for w in _JSON_WORDS)
    for i, f in enumerate(ds.fields):
        if f.type == "json":  # a plain word lands JSON-quoted; other strings: Python decides whether they are JSON
            finals.append(f"CASE WHEN y{i} = 'VARCHAR' THEN '\"' || s{i} || '\"' ELSE s{i} END AS f{i}")
            routes.append(
                f"(y{i} = 'VARCHAR' AND NOT (regexp_full_match(s{i}, {sql_str(PLAIN_WORD)}) AND s{i} NOT IN ({words})))"
            )
        else:
            finals.append(f"s{i} AS f{i}")
    listed = "[" + ", ".join(sql_str(p) for p in paths) + "]"
    return (
        f"SELECT _line, line, {', '.join(finals)}, coalesce({' OR '.join(routes)}, false) AS _route "
        f"FROM (SELECT _line, line, {', '.join(cells)} FROM (SELECT _line, line, "
        f"json_extract_string(line, {listed}) AS _s, json_type(line, {listed}) AS _t FROM _rdr_plain))"
    )


#: A number in plain fixed notation: the streaming reader writes it as it stands (``format(Decimal(t), "f")``).
PLAIN_DECIMAL = r"-?(?:0|[1-9][0-9]*)\.[0-9]+"


def _plain_decimal_sql(f: Field, is_double: str, text: str) -> str | None:
    """For a ``decimal`` field at one top-level key: SQL giving the number's text as the line writes it when
    ``is_double`` holds, the key occurs once in the line and the text is plain fixed notation equal to DuckDB's
    value (``text``); else NULL. None for other fields (their non-integer numbers go to the streaming reader)."""
    if f.type != "decimal" or f.aliases or not re.fullmatch(r"[A-Za-z0-9_@-]+", f.source):  # (no regex syntax)
        return None
    key = '"' + f.source + '"' + r"\s*:"
    number = sql_str(key + r"\s*(" + PLAIN_DECIMAL + r")\s*[,}]")
    token = f"regexp_extract(line, {number}, 1)"
    return (
        f"CASE WHEN {is_double} AND len(regexp_extract_all(line, {sql_str(key)})) = 1 "
        f"AND TRY_CAST({token} AS DOUBLE) = TRY_CAST({text} AS DOUBLE) THEN {token} END"
    )


def read_lines_sql(path: Path) -> str:
    return (
        f"read_csv({sql_str(str(path))}, columns = {{'line': 'VARCHAR'}}, header = false, auto_detect = false, "
        f"delim = chr(31), quote = '', escape = '', nullstr = {sql_str(NULL_TEXT)}, strict_mode = true, "
        f"max_line_size = {MAX_LINE_BYTES}, compression = 'auto', encoding = 'utf-8')"
    )


def stage(con: duckdb.DuckDBPyConnection, path: Path, ds: Dataset) -> Staged | None:
    """Read the JSON-lines file ``path`` into ``_rdr_batch`` (see :class:`Staged`), or None (nothing made) when
    the whole file needs the streaming reader (see the module's rules). Runs outside the file's transaction:
    a DuckDB error here only means "read it the other way"."""
    if not applies(ds, path) or _starts_with_bom(path):
        return None
    if not con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0][0]:
        return None
    counted = LineCount(path)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _rdr_jl AS SELECT line FROM {read_lines_sql(path)}")
        lines, odd = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE line IS NULL OR contains(line, chr(13))) FROM _rdr_jl"
        ).fetchall()[0]
        if counted.value() != lines or odd or lines == 0:
            drop(con)
            return None
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _rdr_plain AS "
            + split_filter_sql("rowid + 1 AS _line, line", "_rdr_jl", plain_line_sql(ds), "rowid", lines, threads(con))
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _rdr_fast AS {cells_sql(ds)}")
        back = con.execute(
            "SELECT j._line, j.line FROM (SELECT rowid + 1 AS _line, line FROM _rdr_jl) j "
            "ANTI JOIN (SELECT _line FROM _rdr_fast WHERE NOT _route) f ON j._line = f._line ORDER BY j._line"
        ).fetchall()
    except duckdb.Error:
        counted.value()
        drop(con)
        return None
    con.execute("DROP TABLE _rdr_jl")
    con.execute("DROP TABLE _rdr_plain")
    if len(back) > HAND_BACK_WHOLE * lines:  # mostly lines Python must read (LiteLLM's spend is a float)
        drop(con)
        return None
    width = len(ds.fields)
    cols = ", ".join(f"f{i}" for i in range(width))
    fast = f"SELECT _line * {SEQ_STRIDE} AS _seq, _line, line AS _raw, {cols} FROM _rdr_fast WHERE NOT _route"
    staged = Staged(records=0, ordered=not back, handed_back=len(back))
    if back:
        try:
            _register_handed_back(con, path, ds, back, staged.rejects)
        except Exception:  # noqa: BLE001 - whatever it is, the streaming path meets it again and says so
            drop(con)
            return None
        fast += f" UNION ALL SELECT _seq, _line, _raw, {cols} FROM _rdr_back"
    con.execute(f"CREATE OR REPLACE TEMP VIEW _rdr_batch AS {fast}")
    staged.records = con.execute("SELECT count(*) FROM _rdr_batch").fetchall()[0][0]
    return staged


def _register_handed_back(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    ds: Dataset,
    back: list[tuple[int, str]],
    rejects: list[readers.RowReject],
) -> None:
    """The lines this reader does not take, read by the streaming reader, as the table ``_rdr_back``."""
    names = [f"f{i}" for i in range(len(ds.fields))]
    batches = list(readers.read_json(path, ds, rejects, lines=back)) or [
        readers.TabularBatch([], [[] for _ in ds.fields], [])
    ]  # (every line handed back was a reject)
    tables = []
    last, within = 0, 0
    for batch in batches:
        seqs = []
        for line in batch.lines:  # a hook delivery's events share a line: numbered within it
            within = within + 1 if line == last else 0
            last = line
            seqs.append(line * SEQ_STRIDE + within)
        tables.append(batch.arrow(names, seqs))
    table = pa.concat_tables(tables)
    con.register("_rdr_back_arrow", table)
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE _rdr_back AS SELECT * FROM _rdr_back_arrow")
    finally:
        con.unregister("_rdr_back_arrow")


def drop(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what :func:`stage` made (after the file's transaction, committed or not)."""
    con.execute("DROP VIEW IF EXISTS _rdr_batch")
    for t in ("_rdr_fast", "_rdr_back", "_rdr_jl", "_rdr_plain"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
