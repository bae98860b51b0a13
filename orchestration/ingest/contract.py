"""The contract check, as SQL over a staged batch of text cells.

For every field the contract names, three expressions are built from the staged text: the value with the
dataset's null sentinels removed, the typed value, and the reason the row breaks the contract (or NULL).
A row with no reason lands; a row with reasons goes to quarantine once per failing column. Doing this in
DuckDB keeps it streaming and fast on tens of millions of rows.
"""

from __future__ import annotations

from orchestration.datasets import Dataset, Field


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
_EPOCH = r"[+-]?\d+(\.\d+)?"


def _typed(v: str, type_: str) -> str:
    """SQL turning the text ``v`` into the field's type (NULL when it does not parse)."""
    t = f"trim({v})"
    if type_ in ("string",):
        return v
    if type_ == "json":
        return f"CASE WHEN json_valid({v}) THEN {v} END"
    if type_ == "integer":
        return f"CASE WHEN regexp_full_match({t}, '[+-]?\\d+') THEN TRY_CAST({t} AS BIGINT) END"
    if type_ == "decimal":
        return f"CASE WHEN regexp_full_match({t}, '{_NUMBER}') THEN TRY_CAST({t} AS DECIMAL(38, 11)) END"
    if type_ == "boolean":
        return (f"CASE lower({t}) WHEN 'true' THEN true WHEN 't' THEN true WHEN '1' THEN true "
                f"WHEN 'yes' THEN true WHEN 'false' THEN false WHEN 'f' THEN false WHEN '0' THEN false "
                f"WHEN 'no' THEN false END")
    if type_ == "date":
        return f"CASE WHEN regexp_full_match({t}, '\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN TRY_CAST({t} AS DATE) END"
    if type_ == "timestamp":
        # ISO 8601 with Z/offset, 'YYYY-MM-DD HH:MM:SS' (UTC), a bare date, or epoch seconds / milliseconds.
        # Numbers of 1e11 and more are epoch milliseconds (as seconds they would be after the year 5000).
        return (f"CASE WHEN regexp_full_match({t}, '{_EPOCH}') "
                f"THEN make_timestamp(TRY_CAST(TRY_CAST({t} AS DECIMAL(24, 6)) * CASE WHEN "
                f"abs(TRY_CAST({t} AS DOUBLE)) >= 1e11 THEN 1000 ELSE 1000000 END AS BIGINT)) "
                f"WHEN regexp_full_match({t}, '\\d{{4}}-\\d{{2}}-\\d{{2}}.*') "
                f"THEN CAST(TRY_CAST({t} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) END")
    if type_ == "epoch_ms":
        return (f"CASE WHEN regexp_full_match({t}, '[+-]?\\d+') "
                f"THEN make_timestamp(TRY_CAST({t} AS BIGINT) * 1000) END")
    if type_ == "epoch_s":
        return (f"CASE WHEN regexp_full_match({t}, '{_EPOCH}') "
                f"THEN make_timestamp(TRY_CAST(TRY_CAST({t} AS DECIMAL(20, 6)) * 1000000 AS BIGINT)) END")
    raise ValueError(type_)


_TYPE_WORDS = {
    "integer": "an integer", "decimal": "a decimal number", "boolean": "a boolean (true/false)",
    "date": "a date (YYYY-MM-DD)", "timestamp": "a timestamp (ISO 8601, 'YYYY-MM-DD HH:MM:SS' or epoch seconds)",
    "epoch_ms": "epoch milliseconds", "epoch_s": "epoch seconds", "json": "valid JSON",
}


def value_expression(ds: Dataset, text_sql: str) -> str:
    """The staged text with the dataset's null sentinels turned into NULL."""
    tokens = ", ".join(sql_str(t) for t in ds.null_tokens)
    return f"(CASE WHEN trim({text_sql}) IN ({tokens}) THEN NULL ELSE {text_sql} END)"


def typed_expression(f: Field, v: str) -> str:
    """The value ``v`` in the field's type; enums in canonical casing; NULL when it does not parse."""
    if f.allowed:
        whens = " ".join(f"WHEN {sql_str(a.lower())} THEN {sql_str(a)}" for a in f.allowed)
        return f"(CASE lower(trim({v})) {whens} END)"
    return _typed(v, f.type)


def reason_expression(f: Field, v: str, typed: str) -> str:
    """Why the value ``v`` (typed as ``typed``) breaks the contract, or NULL."""
    checks = []
    if f.required:
        checks.append(f"WHEN {v} IS NULL THEN 'missing required value'")
    if f.allowed:
        allowed = ", ".join(f.allowed)
        checks.append(f"WHEN {v} IS NOT NULL AND {typed} IS NULL THEN "
                      f"{sql_str('value ' + chr(39))} || left({v}, 80) || "
                      f"{sql_str(chr(39) + ' is not one of: ' + allowed)}")
    elif f.type != "string":
        prefix = sql_str(f"not {_TYPE_WORDS[f.type]}: '")
        checks.append(f"WHEN {v} IS NOT NULL AND {typed} IS NULL THEN {prefix} || left({v}, 80) || {sql_str(chr(39))}")
    if f.type == "decimal":
        # places of the exact value, exponent notation included (Postgres prints 1.2345678901234e-05):
        # fraction digits - exponent - trailing zeros of the mantissa digits
        t = f"trim({v})"
        digits = f"replace(regexp_extract({t}, '^[+-]?([0-9.]*)', 1), '.', '')"
        places = (f"(length(regexp_extract({t}, '^[+-]?[0-9]*[.]?([0-9]*)', 1)) "
                  f"- coalesce(TRY_CAST(regexp_extract({t}, '[eE]([+-]?[0-9]+)$', 1) AS BIGINT), 0) "
                  f"- (length({digits}) - length(rtrim({digits}, '0'))))")
        checks.append(f"WHEN {places} > 11 THEN "
                      f"'more than 11 decimal places (would be rounded): ' || left({v}, 80)")
    return f"(CASE {' '.join(checks)} END)" if checks else "CAST(NULL AS VARCHAR)"


def checked_select(ds: Dataset, field_sql: dict[str, str], extra_sql: str, source: str) -> str:
    """A SELECT over ``source`` giving ``_seq``, ``_line``, ``_raw``, typed field columns, the extra/record
    column ``_x`` and ``_reasons`` (a list of {c: column, r: reason} for the fields that break the contract).

    Three nested selects compute each field's value and typed value once: the reasons refer to them by name,
    which keeps the SQL (and DuckDB's planning time per batch) small.
    """
    values = ", ".join(f"{value_expression(ds, field_sql[f.name])} AS v{i}" for i, f in enumerate(ds.fields))
    typed = ", ".join(f"{typed_expression(f, f'v{i}')} AS t{i}" for i, f in enumerate(ds.fields))
    cols = ", ".join(f"t{i} AS {quote_ident(f.name)}" for i, f in enumerate(ds.fields))
    reasons = ", ".join(f"{{'c': {sql_str(f.name)}, 'r': {reason_expression(f, f'v{i}', f't{i}')}}}"
                        for i, f in enumerate(ds.fields))
    return (f"SELECT _seq, _line, _raw, _x, {cols}, "
            f"list_filter([{reasons}], lambda x: x.r IS NOT NULL) AS _reasons "
            f"FROM (SELECT *, {typed} FROM (SELECT _seq, _line, _raw, {extra_sql} AS _x, {values} FROM {source}))")
