"""The contract check, as SQL over a staged batch of text cells.

For every field the contract names, three expressions are built from the staged text: the value with the
dataset's null sentinels removed, the typed value, and the reason the row breaks the contract (or NULL).
A row with no reason lands; a row with reasons goes to quarantine once per failing column. Doing this in
DuckDB keeps it streaming and fast on tens of millions of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from orchestration.datasets import DECIMAL_PRECISION, DECIMAL_SCALE, DECIMAL_TYPE, TEMPORAL_TYPES, Dataset, Field
from orchestration.ingest.secrets import redaction_kinds_sql


def sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


#: Rows of a table DuckDB scans on one thread (a row group): a smaller table is read by one core.
ROW_GROUP_ROWS = 122_880


def split_filter_sql(columns: str, source: str, condition: str, key: str, rows: int, threads: int) -> str:
    """``SELECT columns FROM source WHERE condition`` for a source of ``rows`` rows, in the source's order (a
    table's, when its integer ``key`` follows it). DuckDB scans a table of less than a row group per thread on
    fewer threads than it has; such a filter becomes one ``UNION ALL`` branch per thread, each testing the
    condition on the rows whose ``key`` falls to it (``key % threads``, NULL to the first), run side by side
    and put back in ``key`` order: the secret gate and the JSON line rules use every core on files of a few
    thousand records. The condition stays a condition (a CASE's WHEN), so its ``AND`` stops at the first false
    operand as in a WHERE: the JSON rules test ``json_valid`` before parsing."""
    if threads < 2 or rows >= threads * ROW_GROUP_ROWS:
        return f"SELECT {columns} FROM {source} WHERE {condition}"
    branches = " UNION ALL ".join(
        f"SELECT {key} AS _split_key, {columns} FROM {source} WHERE CASE WHEN coalesce({key}, 0) % {threads} <> {i} "
        f"THEN false WHEN {condition} THEN true ELSE false END"
        for i in range(threads)
    )
    # (the ORDER BY also lets DuckDB run the branches at once: a plain UNION ALL keeps insertion order serially)
    return f"SELECT * EXCLUDE (_split_key) FROM ({branches}) ORDER BY _split_key"


def threads(con) -> int:
    """DuckDB's worker threads on ``con``."""
    return int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
_EPOCH = r"[+-]?\d+(\.\d+)?"
_ISO_DATE = "\\d{4}-\\d{2}-\\d{2}"
#: ISO 8601 basic date (``20261105``): a date, never an epoch number.
_COMPACT_DATE = "\\d{8}"


@dataclass(frozen=True)
class TimeWindow:
    """Plausible time values of one ingest: a temporal value past ``latest`` (the end of the as-of day plus
    the tolerance) that is not a scheduled ``future`` field, or before the dataset's ``time_floor``, is
    quarantined with the reason, so it never lands and never counts for freshness."""

    as_of: date
    tolerance_hours: int

    @property
    def latest(self) -> datetime:
        return datetime.combine(self.as_of + timedelta(days=1), datetime.min.time()) + timedelta(
            hours=self.tolerance_hours
        )


def _typed(v: str, f: Field) -> str:
    """SQL turning the text ``v`` into the field's type (NULL when it does not parse)."""
    t = f"trim({v})"
    type_ = f.type
    if type_ in ("string",):
        return v
    if type_ == "json":
        return f"CASE WHEN json_valid({v}) THEN {v} END"
    if type_ == "integer":
        return f"CASE WHEN regexp_full_match({t}, '[+-]?\\d+') THEN TRY_CAST({t} AS BIGINT) END"
    if type_ == "decimal":
        return f"CASE WHEN regexp_full_match({t}, '{_NUMBER}') THEN TRY_CAST({t} AS {DECIMAL_TYPE}) END"
    if type_ == "boolean":
        return (
            f"CASE lower({t}) WHEN 'true' THEN true WHEN 't' THEN true WHEN '1' THEN true "
            f"WHEN 'yes' THEN true WHEN 'false' THEN false WHEN 'f' THEN false WHEN '0' THEN false "
            f"WHEN 'no' THEN false END"
        )
    compact = (
        f"WHEN regexp_full_match({t}, '{_COMPACT_DATE}') "
        f"THEN CAST(TRY_STRPTIME({t}, '%Y%m%d') AS {'DATE' if type_ == 'date' else 'TIMESTAMP'}) "
    )
    if type_ == "date":
        return f"CASE WHEN regexp_full_match({t}, '{_ISO_DATE}') THEN TRY_CAST({t} AS DATE) {compact}END"
    if type_ == "timestamp":
        # ISO 8601 with Z/offset, 'YYYY-MM-DD HH:MM:SS' (UTC), a bare date, a compact date; epoch seconds only
        # in fields whose export format documents them (never a guess: 20261105 is a date, not 1970-08-23)
        epoch = (
            f"WHEN regexp_full_match({t}, '{_EPOCH}') "
            f"THEN make_timestamp(TRY_CAST(TRY_CAST({t} AS DECIMAL(24, 6)) * 1000000 AS BIGINT)) "
            if f.epoch_seconds
            else ""
        )
        return (
            f"CASE {compact}{epoch}"
            f"WHEN regexp_full_match({t}, '{_ISO_DATE}.*') "
            f"THEN CAST(TRY_CAST({t} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) END"
        )
    if type_ == "epoch_ms":
        return f"CASE WHEN regexp_full_match({t}, '[+-]?\\d+') THEN make_timestamp(TRY_CAST({t} AS BIGINT) * 1000) END"
    if type_ == "epoch_s":
        return (
            f"CASE WHEN regexp_full_match({t}, '{_EPOCH}') "
            f"THEN make_timestamp(TRY_CAST(TRY_CAST({t} AS DECIMAL(20, 6)) * 1000000 AS BIGINT)) END"
        )
    raise ValueError(type_)


_TYPE_WORDS = {
    "integer": "an integer",
    "decimal": "a decimal number",
    "boolean": "a boolean (true/false)",
    "date": "a date (YYYY-MM-DD or YYYYMMDD)",
    "timestamp": "a timestamp (ISO 8601, 'YYYY-MM-DD HH:MM:SS' or YYYYMMDD)",
    "epoch_ms": "epoch milliseconds",
    "epoch_s": "epoch seconds",
    "json": "valid JSON",
}


def value_expression(ds: Dataset, text_sql: str) -> str:
    """The staged text with the dataset's null sentinels (compared trimmed) turned into NULL.

    ``trim`` copies every value it reads (LiteLLM's check spent a third of its time trimming). DuckDB's strips
    the space and non-ASCII space separators, no other ASCII (a test pins it): text all ASCII that neither
    starts nor ends with a space is its own trim, compared as it is; only the rest is trimmed."""
    v = text_sql
    tokens = ", ".join(sql_str(t) for t in ds.null_tokens)
    return (
        f"(CASE WHEN {v} IN ({tokens}) THEN NULL "
        f"WHEN NOT (prefix({v}, ' ') OR suffix({v}, ' ') OR strlen({v}) <> length({v})) THEN {v} "
        f"WHEN trim({v}) IN ({tokens}) THEN NULL ELSE {v} END)"
    )


def typed_expression(f: Field, v: str) -> str:
    """The value ``v`` in the field's type; enums in canonical casing; NULL when it does not parse."""
    if f.allowed:
        pairs = [(a, a) for a in f.allowed] + list(f.value_aliases)
        whens = " ".join(f"WHEN {sql_str(shipped.lower())} THEN {sql_str(meant)}" for shipped, meant in pairs)
        return f"(CASE lower(trim({v})) {whens} END)"
    return _typed(v, f)


def reason_expression(
    f: Field,
    v: str,
    typed: str,
    *,
    floor: date | None = None,
    window: TimeWindow | None = None,
    shown: str | None = None,
    kind: str | None = None,
) -> str:
    """Why the value ``v`` (typed as ``typed``) breaks the contract, or NULL. ``shown`` is the text a reason
    quotes (default ``v``; a redacted copy where the value may hold a secret); ``kind``: the typed value of the
    field ``f.required_when`` names."""
    checks = []
    quoted = f"left({shown or v}, 80)"
    if f.required:
        checks.append(f"WHEN {v} IS NULL THEN 'missing required value'")
    if f.required_when:
        listed = ", ".join(sql_str(x) for x in f.required_when[1])
        checks.append(f"WHEN {v} IS NULL AND {kind} IN ({listed}) THEN 'missing required value (for ' || {kind} || ')'")
    if f.allowed:
        allowed = ", ".join(f.allowed)
        checks.append(
            f"WHEN {v} IS NOT NULL AND {typed} IS NULL THEN "
            f"{sql_str('value ' + chr(39))} || {quoted} || "
            f"{sql_str(chr(39) + ' is not one of: ' + allowed)}"
        )
    elif f.type != "string":
        word = _TYPE_WORDS[f.type]
        if f.type == "timestamp" and f.epoch_seconds:
            word = word.replace(" or YYYYMMDD)", ", YYYYMMDD or epoch seconds)")
        prefix = sql_str(f"not {word}: '")
        checks.append(f"WHEN {v} IS NOT NULL AND {typed} IS NULL THEN {prefix} || {quoted} || {sql_str(chr(39))}")
    if f.type in TEMPORAL_TYPES and floor is not None:
        checks.append(
            f"WHEN {typed} < DATE '{floor.isoformat()}' THEN "
            f"'before {floor.isoformat()}, the earliest time this export can hold: ' || {quoted}"
        )
    if f.type in TEMPORAL_TYPES and window is not None and not f.future:
        checks.append(
            f"WHEN {typed} >= TIMESTAMP '{window.latest:%Y-%m-%d %H:%M:%S}' THEN "
            f"'after the end of the as-of day {window.as_of.isoformat()} plus "
            f"{window.tolerance_hours} h (a time in the future): ' || {quoted}"
        )
    if f.type == "decimal":
        # places of the exact value, exponent notation included (Postgres prints 1.2345678901234e-05):
        # fraction digits - exponent - trailing zeros of the mantissa digits
        t = f"trim({v})"
        digits = f"replace(regexp_extract({t}, '^[+-]?([0-9.]*)', 1), '.', '')"
        places = (
            f"(length(regexp_extract({t}, '^[+-]?[0-9]*[.]?([0-9]*)', 1)) "
            f"- coalesce(TRY_CAST(regexp_extract({t}, '[eE]([+-]?[0-9]+)$', 1) AS BIGINT), 0) "
            f"- (length({digits}) - length(rtrim({digits}, '0'))))"
        )
        # integer digits of the exact value: mantissa digits before the point (leading zeros dropped) + exponent
        int_part = f"ltrim(regexp_extract({t}, '^[+-]?([0-9]*)', 1), '0')"
        int_digits = (
            f"(length({int_part}) + coalesce(TRY_CAST(regexp_extract({t}, '[eE]([+-]?[0-9]+)$', 1) AS BIGINT), 0))"
        )
        # only a value longer than the scale, or with an exponent, can break either bound: the regexes below run on
        # those alone (a CASE condition's AND stops at its first false operand)
        long = f"{v} IS NOT NULL AND (length({v}) > {DECIMAL_SCALE} OR contains(lower({v}), 'e'))"
        checks.insert(
            0,
            f"WHEN {long} AND regexp_full_match({t}, '{_NUMBER}') AND {places} > "
            f"{DECIMAL_SCALE} THEN 'more than {DECIMAL_SCALE} decimal places: cannot be held exactly in "
            f"{DECIMAL_TYPE}: ' || {quoted}",
        )
        checks.insert(
            1,
            f"WHEN {long} AND regexp_full_match({t}, '{_NUMBER}') AND {int_digits} > "
            f"{DECIMAL_PRECISION - DECIMAL_SCALE} THEN 'more than {DECIMAL_PRECISION - DECIMAL_SCALE} "
            f"integer digits: out of range for {DECIMAL_TYPE}: ' || {quoted}",
        )
    return f"(CASE {' '.join(checks)} END)" if checks else "CAST(NULL AS VARCHAR)"


def money_column(f: Field) -> str:
    """Column of :func:`checked_select` holding the exact amount of money field ``f`` when it could be read
    (NULL when absent or unreadable), whether or not the row lands."""
    return f"_money_{f.name}"


def unreadable_column(f: Field) -> str:
    """Column of :func:`checked_select`: true when money field ``f`` has a value that cannot be held exactly
    (not a number, too many places or digits): its amount cannot be counted."""
    return f"_unreadable_{f.name}"


CURRENCY_COLUMN = "_currency"


#: DuckDB macro (created on every ingest connection) applying :func:`orchestration.ingest.secrets.redact_sql`.
REDACT_MACRO = "redact_secrets"
#: Fields whose text lands as it is (and so is redacted); the others are typed, and only quoted in reasons.
TEXT_TYPES = ("string", "json")
SECRETS_TYPE = "STRUCT(c VARCHAR, k VARCHAR)[]"


def checked_select(
    ds: Dataset,
    field_sql: dict[str, str],
    extra_sql: str,
    raw_sql: str,
    source: str,
    window: TimeWindow | None = None,
    *,
    redact: bool = False,
) -> str:
    """A SELECT over ``source`` giving ``_seq``, ``_line``, typed field columns, the extra/record column ``_x``,
    ``_reasons`` (a list of {c: column, r: reason} for the fields that break the contract), ``_qraw`` (the
    record as JSON, for quarantined rows only), ``_secrets`` (one {c: column, k: kind} per secret redacted)
    and, for datasets with money, the exact amount of each money field (:func:`money_column`), whether it was
    unreadable (:func:`unreadable_column`) and the currency (``_currency``).

    ``redact``: every landed text (string and JSON fields, ``_x``), the quarantined record and the values
    reasons quote go through the :data:`REDACT_MACRO` (secrets become ``[REDACTED:<kind>]``). Its SQL is large
    and slow to bind, so the caller runs this variant only on the rows a cheap gate flags.

    Nested selects compute each field's value, redacted value, typed value and reason once: later expressions
    refer to them by name, which keeps the SQL (and DuckDB's planning time per batch) small.
    """
    fields = list(enumerate(ds.fields))
    values = ", ".join(f"{value_expression(ds, field_sql[f.name])} AS v{i}" for i, f in fields)
    texts = [i for i, f in fields if f.type in TEXT_TYPES]

    def clean(expr: str) -> str:
        return f"{REDACT_MACRO}({expr})" if redact else expr

    cleaned = ", ".join([*(f"{clean(f'v{i}')} AS w{i}" for i in texts), f"{clean('_x0')} AS _x"])
    landed = {i: f"w{i}" if i in texts else f"v{i}" for i, _ in fields}  # the text each field is typed from
    typed = ", ".join(f"{typed_expression(f, landed[i])} AS t{i}" for i, f in fields)
    index = {f.name: i for i, f in fields}
    reasons = ", ".join(
        reason_expression(
            f,
            landed[i],
            f"t{i}",
            floor=ds.time_floor,
            window=window,
            shown=None if i in texts else clean(f"v{i}"),
            kind=f"t{index[f.required_when[0]]}" if f.required_when else None,
        )
        + f" AS r{i}"
        for i, f in fields
    )
    cols = ", ".join(f"t{i} AS {quote_ident(f.name)}" for i, f in fields)
    if redact:
        kinds = [
            f"list_transform({redaction_kinds_sql(f'v{i}', f'w{i}')}, lambda k: {{'c': {sql_str(f.name)}, 'k': k}})"
            for i, f in fields
            if i in texts
        ]
        kinds.append(f"list_transform({redaction_kinds_sql('_x0', '_x')}, lambda k: {{'c': '_x', 'k': k}})")
        secrets = f"flatten([{', '.join(kinds)}])"
    else:
        secrets = f"CAST([] AS {SECRETS_TYPE})"
    money = "".join(
        f", CASE WHEN r{i} IS NULL THEN t{i} END AS {money_column(f)}, "
        f"(v{i} IS NOT NULL AND r{i} IS NOT NULL) AS {unreadable_column(f)}"
        for i, f in fields
        if f.money
    )
    if ds.money_fields:
        currency = sql_str(ds.currency) if ds.currency else "CAST(NULL AS VARCHAR)"
        if ds.currency_field:  # the row's own currency; the documented default when it has none
            currency = f"coalesce(upper(trim(t{index[ds.currency_field]})), {currency})"
        money += f", {currency} AS {CURRENCY_COLUMN}"
    listed = ", ".join(f"{{'c': {sql_str(f.name)}, 'r': r{i}}}" for i, f in fields)
    return (
        f"SELECT _seq, _line, _x, {cols}{money}, _reasons, "
        f"CASE WHEN len(_reasons) > 0 THEN {clean(raw_sql)} END AS _qraw, "
        f"CAST({secrets} AS {SECRETS_TYPE}) AS _secrets "
        f"FROM (SELECT *, list_filter([{listed}], lambda x: x.r IS NOT NULL) AS _reasons "
        f"FROM (SELECT *, {reasons} FROM (SELECT *, {typed} FROM (SELECT *, {cleaned} FROM ("
        f"SELECT *, {extra_sql} AS _x0, {values} FROM {source})))))"
    )
