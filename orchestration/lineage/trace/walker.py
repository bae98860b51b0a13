"""The trace walk: one mart row to the raw lines behind it, in SQL over the published file.

Every step of a declaration (:mod:`~orchestration.lineage.trace.declarations`) runs as one SQL statement over the
whole set of rows matched so far, so an aggregate row with thousands of inputs costs a few joins, never a Python
loop; the published file is attached read-only (a reader never blocks a run). The lines found are read back
from the raw files by :func:`orchestration.ingest.raw_records.read_raw_records`, as ingest numbered them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from orchestration.datasets import DATASETS, Dataset
from orchestration.ingest.contract import quote_ident as _q  # (short: the SQL below quotes many names)
from orchestration.ingest.engine import sha256_file
from orchestration.ingest.raw_records import CsvRecord, iter_csv, jsonable, read_raw_records
from orchestration.ingest.readers import FileRejected, file_format
from orchestration.lineage.trace.declarations import (
    DEFAULT_LIMIT,
    EXIT_NOT_FOUND,
    MART_SCHEMA,
    MAX_DEPTH,
    SEEDS_SCHEMA,
    Relation,
    Step,
    TraceError,
    load_catalog,
    read_manifest,
)
from orchestration.settings import DBT_PROJECT_DIR, Paths, connect_duckdb

# --------------------------------------------------------------------------------------------- results


@dataclass
class StepReport:
    """One executed step: where it sits in the walk and what it found."""

    path: str
    relation: str
    note: str
    rows: int
    """Rows of the relation matched."""
    lines: int | None
    """Distinct raw lines the step yielded (None: the step continues through the relation's declaration)."""


@dataclass
class RawLine:
    file: str
    """``_source_file`` as published: a path under ``raw/``, or ``seeds/...`` for a seed file."""
    line: int
    origin: str
    """``raw`` (an export under DIR/raw) or ``seed`` (a seed file of the dbt project)."""
    path: str
    format: str | None
    end_line: int | None
    """Last physical line of a CSV record spanning several lines (quoted newlines); else ``line``."""
    content: str | None
    step: str
    """The first step (path) that found the line."""
    step_note: str = ""
    note: str | None = None
    """Why ``content`` is missing or altered (redacted secret values)."""


@dataclass
class TraceResult:
    mart: str
    keys: dict[str, str]
    row: dict[str, Any]
    published_file: str
    release_id: str | None
    steps: list[StepReport]
    total_lines: int
    lines: list[RawLine]
    headers: dict[str, str] = field(default_factory=dict)
    """CSV header line per file shown."""
    warnings: list[str] = field(default_factory=list)

    @property
    def omitted(self) -> int:
        return self.total_lines - len(self.lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "mart": self.mart,
            "keys": self.keys,
            "row": self.row,
            "published_file": self.published_file,
            "release_id": self.release_id,
            "steps": [vars(s) for s in self.steps],
            "total_lines": self.total_lines,
            "shown_lines": len(self.lines),
            "omitted_lines": self.omitted,
            "lines": [vars(rl) for rl in self.lines],
            "headers": self.headers,
            "warnings": self.warnings,
        }


# ------------------------------------------------------------------------------------------------ walk


class _Walker:
    """Runs the steps of declarations over the attached published file, one SQL statement per step."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        catalog: Mapping[str, Relation],
        project_dir: Path,
        published: Mapping[str, dict[str, str]],
    ) -> None:
        self.con = con
        self.catalog = catalog
        self.project_dir = project_dir
        self.published = published
        self.reports: list[StepReport] = []
        self.warnings: list[str] = []
        self._seeds: dict[str, str] = {}
        self._tables = 0
        con.execute("CREATE TEMP TABLE __trace_lines (file VARCHAR, line BIGINT, step INTEGER)")

    def _temp(self) -> str:
        self._tables += 1
        return f"__trace_rows_{self._tables}"

    def source(self, rel: Relation) -> str:
        """SQL of a relation: the published table, or a seed loaded from its file with its line numbers."""
        if rel.kind == "seed":
            return self._seed_table(rel)
        if rel.name not in self.published:
            raise TraceError(
                f"{rel.name} is not in the published file: the release predates its trace declaration "
                f"(run `roi-ledger run` to publish a new one)",
                EXIT_NOT_FOUND,
            )
        return f"pub.{_q(rel.schema)}.{_q(rel.table)}"

    def _seed_table(self, rel: Relation) -> str:
        if rel.name in self._seeds:
            return self._seeds[rel.name]
        path = self.project_dir / (rel.seed_file or "")
        if not path.exists():
            raise TraceError(f"seed file {path} not found", EXIT_NOT_FOUND)
        table = f"__trace_seed_{len(self._seeds)}"
        header, records = _csv_records(path)
        columns = [h.strip() for h in header.fields]
        self.con.execute(
            f"CREATE TEMP TABLE {table} ({', '.join(f'{_q(c)} VARCHAR' for c in columns)}, "
            "_source_file VARCHAR, _line BIGINT)"
        )
        rows = [(*r.fields, rel.seed_file, r.line) for r in records if len(r.fields) == len(columns)]
        if rows:
            self.con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * (len(columns) + 2))})", rows)
        self._seeds[rel.name] = table
        return table

    def columns(self, rel: Relation) -> tuple[str, ...]:
        if rel.kind == "seed":
            return rel.columns
        return tuple(self.published.get(rel.name, {}))

    def _missing(self, rel: Relation, names: Sequence[str]) -> list[str]:
        present = self.columns(rel)
        return [c for c in names if c not in present]

    def walk(self, row: Relation, row_table: str, steps: Sequence[Step], path: str, stack: tuple[str, ...]) -> None:
        if len(stack) > MAX_DEPTH:
            raise TraceError(f"trace deeper than {MAX_DEPTH} relations at {path}: check the declarations")
        for step in steps:
            self.step(row, row_table, step, path, stack)

    def step(self, row: Relation, row_table: str, step: Step, path: str, stack: tuple[str, ...]) -> None:
        rel = self.catalog.get(step.relation)
        if rel is None:
            raise TraceError(f"{path}: {step.relation} is not a published relation or seed")
        here = f"{path} > {rel.name}"
        if rel.kind == "model" and rel.name not in self.published:
            self.warnings.append(
                f"{here}: skipped, {rel.name} is not in the published file (the release predates "
                f"this trace declaration: `roi-ledger run` publishes a new one)"
            )
            return
        missing = [
            f"{row.name}.{c}"
            for c in self._missing(row, [c for c, _ in step.when] + [rc for c in step.match for rc in c.row_columns()])
        ]
        missing += [f"{rel.name}.{c}" for c in self._missing(rel, [c.column for c in step.match])]
        if missing:
            self.warnings.append(
                f"{here}: skipped, the published file has no column {', '.join(missing)} (the "
                f"release predates this trace declaration: `roi-ledger run` publishes a new one)"
            )
            return
        if step.when and not self._applies(row_table, step):
            return
        seed = rel.kind == "seed"
        matched, params = self._matched_sql(rel, row_table, step, seed)
        source = self.source(rel)
        follow = bool(step.then) or ((not rel.has_provenance or step.recurse) and rel.steps is not None)
        if not rel.has_provenance and not follow:
            raise TraceError(f"{here}: {rel.name} carries no _source_file/_line and declares no trace")
        step_id = len(self.reports)
        report = StepReport(here, rel.name, step.note, 0, None)
        self.reports.append(report)
        if follow:
            table = self._temp()
            self.con.execute(
                f"CREATE TEMP TABLE {table} AS SELECT s.* FROM {source} AS s WHERE s.rowid IN ({matched})", params
            )
            report.rows = self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            lines_from = f"SELECT _source_file, _line FROM {table}"
            lines_params: list[Any] = []
        else:
            lines_from = f"SELECT s._source_file, s._line FROM {source} AS s WHERE s.rowid IN ({matched})"
            lines_params = list(params)
        if rel.has_provenance and not step.recurse:
            self.con.execute(
                f"INSERT INTO __trace_lines SELECT DISTINCT CAST(_source_file AS VARCHAR), "
                f"CAST(_line AS BIGINT), {step_id} FROM ({lines_from}) "
                f"WHERE _source_file IS NOT NULL AND _line IS NOT NULL",
                lines_params,
            )
            counts = self.con.execute("SELECT count(*) FROM __trace_lines WHERE step = ?", [step_id]).fetchall()
            report.lines = counts[0][0]
            if not follow:
                report.rows = report.lines
        if not follow or not report.rows:
            return  # nothing matched: the relation's own steps could match nothing either
        if step.then:
            self.walk(rel, table, step.then, here, stack)
        else:
            if rel.name in stack:
                raise TraceError(f"{here}: the declarations form a cycle ({' -> '.join((*stack, rel.name))})")
            self.walk(rel, table, rel.steps or (), here, (*stack, rel.name))

    def _applies(self, row_table: str, step: Step) -> bool:
        """Whether any row passes the step's ``when``: a step for another kind of row is neither run nor shown."""
        sql, params = self._when_sql(step)
        return bool(
            self.con.execute(f"SELECT count(*) FROM {row_table} AS r WHERE {' AND '.join(sql)}", params).fetchall()[0][
                0
            ]
        )

    @staticmethod
    def _when_sql(step: Step) -> tuple[list[str], list[Any]]:
        sql: list[str] = []
        params: list[Any] = []
        for column, values in step.when:
            present = [v for v in values if v is not None]
            parts = ([f"r.{_q(column)} IN ({', '.join('?' * len(present))})"] if present else []) + (
                [f"r.{_q(column)} IS NULL"] if len(present) != len(values) else []
            )
            sql.append("(" + " OR ".join(parts) + ")")
            params.extend(present)
        return sql, params

    def _matched_sql(self, rel: Relation, row_table: str, step: Step, seed: bool) -> tuple[str, list[Any]]:
        """``SELECT rowid`` of the relation rows matching any row of ``row_table`` under the step, and its
        parameters (in the order they appear in the text)."""

        def rel_col(column: str) -> str:
            return f"CAST(x.{_q(column)} AS VARCHAR)" if seed else f"x.{_q(column)}"

        def row_col(column: str) -> str:
            return f"CAST(rr.{_q(column)} AS VARCHAR)" if seed else f"rr.{_q(column)}"

        x_laterals: list[str] = []
        x_params: list[Any] = []
        r_laterals: list[str] = []
        r_params: list[Any] = []
        conds: list[str] = []
        filters: list[str] = []
        f_params: list[Any] = []
        r_extra: list[str] = []
        for i, c in enumerate(step.match):
            if c.op == "equals":
                conds.append(f"{rel_col(c.column)} = {row_col(c.arg)}")
            elif c.op == "in_list":
                r_laterals.append(
                    f"CROSS JOIN LATERAL (SELECT unnest(string_split(CAST(r.{_q(c.arg)} AS VARCHAR), ?)) AS v) AS u{i}"
                )
                r_params.append(c.separator)
                r_extra.append(f"u{i}.v AS __u{i}")
                conds.append(f"CAST(x.{_q(c.column)} AS VARCHAR) = rr.__u{i}")
            elif c.op == "contains":
                x_laterals.append(
                    f"CROSS JOIN LATERAL (SELECT unnest(string_split(CAST(x.{_q(c.column)} AS VARCHAR), "
                    f"?)) AS v) AS xl{i}"
                )
                x_params.append(c.separator)
                r_laterals.append(
                    f"CROSS JOIN LATERAL (SELECT unnest(string_split(CAST(r.{_q(c.arg)} AS VARCHAR), ?)) AS v) AS u{i}"
                )
                r_params.append(c.separator)
                r_extra.append(f"u{i}.v AS __u{i}")
                conds.append(f"xl{i}.v = rr.__u{i}")
            elif c.op == "months":
                month = f"CAST(date_trunc('month', rr.{_q(c.arg['of'])}) AS DATE)"
                value = f"CAST(x.{_q(c.column)} AS TIMESTAMP)" if seed else f"x.{_q(c.column)}"
                if c.arg["from"] is not None:
                    conds.append(f"{value} >= {month} + to_months({int(c.arg['from'])})")
                if c.arg["to"] is not None:
                    conds.append(f"{value} < {month} + to_months({int(c.arg['to']) + 1})")
            else:
                values = [v for v in c.arg if v is not None]
                has_null = len(values) != len(c.arg)
                col = rel_col(c.column)
                if seed:
                    values = [str(v) for v in values]
                marks = ", ".join("?" * len(values))
                if c.op == "value":
                    parts = ([f"{col} IN ({marks})"] if values else []) + ([f"{col} IS NULL"] if has_null else [])
                    filters.append("(" + " OR ".join(parts) + ")")
                else:
                    parts = ([f"{col} NOT IN ({marks})"] if values else []) + (
                        [f"{col} IS NOT NULL"] if has_null else []
                    )
                    if not has_null:
                        parts = [f"({col} IS NULL OR {parts[0]})"]
                    filters.append("(" + " AND ".join(parts) + ")")
                f_params.extend(values)
        when_sql, w_params = self._when_sql(step)
        row_select = (
            f"SELECT r.*{''.join(', ' + e for e in r_extra)} FROM {row_table} AS r "
            f"{' '.join(r_laterals)}{' WHERE ' + ' AND '.join(when_sql) if when_sql else ''}"
        )
        source = self.source(rel)
        where = f" WHERE {' AND '.join(filters)}" if filters else ""
        if conds:
            sql = (
                f"SELECT x.rowid FROM {source} AS x {' '.join(x_laterals)} "
                f"JOIN ({row_select}) AS rr ON {' AND '.join(conds)}{where}"
            )
            return sql, [*x_params, *r_params, *w_params, *f_params]
        exists = f"EXISTS ({row_select})"
        sql = f"SELECT x.rowid FROM {source} AS x {' '.join(x_laterals)} WHERE {exists}" + (
            f" AND {' AND '.join(filters)}" if filters else ""
        )
        return sql, [*x_params, *r_params, *w_params, *f_params]


def _csv_records(path: Path) -> tuple[CsvRecord, list[CsvRecord]]:
    """Header and records of a small CSV file (a seed)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        records = [r for r in iter_csv(fh) if r.fields and r.fields != [""]]
    if not records:
        raise TraceError(f"{path} is empty", EXIT_NOT_FOUND)
    return records[0], records[1:]


def _dataset_of(source_file: str) -> Dataset | None:
    for ds in DATASETS:
        if source_file.startswith(ds.folder + "/"):
            return ds
    return None


def _read_contents(
    con: duckdb.DuckDBPyConnection, paths: Paths, project_dir: Path, picked: Sequence[tuple[str, int, StepReport]]
) -> tuple[list[RawLine], dict[str, str], list[str]]:
    by_file: dict[str, set[int]] = {}
    for file, line, _ in picked:
        by_file.setdefault(file, set()).add(line)
    contents: dict[tuple[str, int], tuple[int, str, str | None]] = {}
    formats: dict[str, str | None] = {}
    locations: dict[str, Path] = {}
    headers: dict[str, str] = {}
    warnings: list[str] = []
    for file, numbers in by_file.items():
        seed = file.startswith(SEEDS_SCHEMA + "/")
        path = (project_dir if seed else paths.raw) / file
        locations[file] = path
        try:
            fmt = file_format(path)
        except FileRejected as exc:
            formats[file] = None
            warnings.append(f"{file}: {exc}")
            continue
        formats[file] = fmt
        if not path.exists():
            warnings.append(f"{path}: file not found (lines listed without content)")
            continue
        if not seed:
            landed = con.execute(
                "SELECT file_sha256 FROM pub.audit.ingested_files WHERE source_file = ? "
                "AND status = 'landed' ORDER BY ingested_at DESC LIMIT 1",
                [file],
            ).fetchall()
            if landed and landed[0][0] != sha256_file(path):
                warnings.append(
                    f"{file}: the file changed since it was ingested (SHA-256 differs from "
                    f"audit.ingested_files): its lines may not be the ones the release read"
                )
        try:
            found, header, formats[file] = read_raw_records(path, fmt, numbers, None if seed else _dataset_of(file))
        except Exception as exc:  # noqa: BLE001 - an unreadable file still lists its lines, with the reason
            warnings.append(f"{file}: cannot read ({type(exc).__name__}: {exc})")
            continue
        if header is not None:
            headers[file] = header
        for n, value in found.items():
            contents[(file, n)] = value
    lines = []
    for file, line, step in picked:
        end, content, note = contents.get((file, line), (None, None, None))
        if content is None and note is None and formats.get(file) is not None and locations[file].exists():
            note = "no record at this line in the file"
        lines.append(
            RawLine(
                file,
                line,
                "seed" if file.startswith(SEEDS_SCHEMA + "/") else "raw",
                str(locations[file]),
                formats.get(file),
                end,
                content,
                step.path,
                step.note,
                note,
            )
        )
    return lines, headers, warnings


# ---------------------------------------------------------------------------------------------- trace


def _published_columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    rows = con.execute(
        "SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = 'pub' ORDER BY table_schema, table_name, ordinal_position"
    ).fetchall()
    for schema, table, column, dtype in rows:
        out.setdefault(f"{schema}.{table}", {})[column] = dtype
    return out


def _resolve_row(
    con: duckdb.DuckDBPyConnection, mart: Relation, keys: Mapping[str, str], types: Mapping[str, str]
) -> tuple[str, dict[str, Any]]:
    """Find the one row of ``mart`` the keys name, as a temp table; refuse unknown, incomplete or ambiguous keys."""
    named = f"--key {' --key '.join(f'{c}=...' for c in mart.key)}"
    alternatives = sorted(c for c in mart.unique if c in types and c not in mart.key)
    hint = f"{named}" + (f" (or --key {alternatives[0]}=... alone)" if alternatives else "")
    unknown = [c for c in keys if c not in types]
    if unknown:
        raise TraceError(f"{mart.name} has no column {', '.join(unknown)}; its key: {hint}")
    if not keys or not (set(mart.key) <= set(keys) or set(keys) & mart.unique):
        missing = [c for c in mart.key if c not in keys]
        raise TraceError(f"incomplete key for {mart.name}: missing {', '.join(missing)}; its key: {hint}")
    where, params = [], []
    for column, value in keys.items():
        if value == "":
            where.append(f"{_q(column)} IS NULL")
            continue
        if column in mart.pii and not value.startswith("pii_"):
            raise TraceError(
                f"{mart.name}.{column} is personal data, published as a keyed hash: give the pii_... "
                f"value as the published file shows it, not {value!r}"
            )
        cast = con.execute(f"SELECT TRY_CAST(? AS {types[column]})", [value]).fetchall()[0][0]
        if cast is None:
            raise TraceError(f"{value!r} is not a {types[column]} value for {mart.name}.{column}")
        where.append(f"{_q(column)} = TRY_CAST(? AS {types[column]})")
        params.append(value)
    source = f"pub.{_q(mart.schema)}.{_q(mart.table)}"
    given = ", ".join(f"{c}={v!r}" for c, v in keys.items())
    count = con.execute(f"SELECT count(*) FROM {source} WHERE {' AND '.join(where)}", params).fetchall()[0][0]
    if count == 0:
        raise TraceError(f"no row of {mart.name} with {given}", EXIT_NOT_FOUND)
    if count > 1:
        raise TraceError(f"{count} rows of {mart.name} match {given}: give its whole key ({named})", EXIT_NOT_FOUND)
    con.execute(f"CREATE TEMP TABLE __trace_row AS SELECT * FROM {source} WHERE {' AND '.join(where)}", params)
    cur = con.execute("SELECT * FROM __trace_row")
    row = dict(zip([d[0] for d in cur.description], cur.fetchall()[0], strict=True))
    return "__trace_row", {k: jsonable(v) for k, v in row.items()}


def trace_row(
    paths: Paths,
    mart: str,
    keys: Mapping[str, str],
    limit: int = DEFAULT_LIMIT,
    *,
    manifest_path: Path | None = None,
    project_dir: Path = DBT_PROJECT_DIR,
) -> TraceResult:
    """The raw lines behind the row of ``mart`` whose key columns have ``keys`` (values as text; personal-data
    columns as their published hash; an empty value matches NULL); at most ``limit`` lines with content, all
    counted. Reads the published file read-only and the raw (or seed) files; raises :class:`TraceError`."""
    if limit < 0:
        raise TraceError("--limit must be 0 or more")
    manifest_path = manifest_path or project_dir / "target" / "manifest.json"
    catalog = load_catalog(read_manifest(manifest_path), project_dir)
    name = mart if "." in mart else f"{MART_SCHEMA}.{mart}"
    rel = catalog.get(name)
    traceable = sorted(n.split(".", 1)[1] for n, r in catalog.items() if r.schema == MART_SCHEMA)
    if rel is None or rel.schema != MART_SCHEMA:
        raise TraceError(f"unknown mart {mart!r}; the marts: {', '.join(traceable)}")
    if rel.error:
        raise TraceError(f"the trace declaration of {name} is invalid: {rel.error}")
    if rel.steps is None:
        raise TraceError(f"{name} declares no trace (meta.trace in its dbt YAML)")
    if not paths.published_db.exists():
        raise TraceError(f"no published file at {paths.published_db} (run `roi-ledger run` first)", EXIT_NOT_FOUND)
    con = connect_duckdb()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH '{str(paths.published_db).replace(chr(39), chr(39) * 2)}' AS pub (READ_ONLY)")
        published = _published_columns(con)
        if name not in published:
            raise TraceError(f"{name} is not in the published file {paths.published_db}", EXIT_NOT_FOUND)
        row_table, row = _resolve_row(con, rel, keys, published[name])
        walker = _Walker(con, catalog, project_dir, published)
        walker.walk(rel, row_table, rel.steps, name, (name,))
        total = con.execute("SELECT count(*) FROM (SELECT DISTINCT file, line FROM __trace_lines)").fetchall()[0][0]
        picked = con.execute(
            "SELECT file, line, min(step) AS first FROM __trace_lines GROUP BY file, line "
            "ORDER BY first, file, line LIMIT ?",
            [limit],
        ).fetchall()
        release = None
        if "audit.releases" in published:
            found = con.execute(
                "SELECT release_id FROM pub.audit.releases WHERE status = 'published' ORDER BY created_at DESC LIMIT 1"
            ).fetchall()
            release = found[0][0] if found else None
        lines, headers, warnings = _read_contents(
            con, paths, project_dir, [(f, n, walker.reports[s]) for f, n, s in picked]
        )
        warnings = walker.warnings + warnings
    finally:
        con.close()
    return TraceResult(
        name.split(".", 1)[1],
        dict(keys),
        row,
        str(paths.published_db),
        release,
        walker.reports,
        total,
        lines,
        headers,
        warnings,
    )
