"""Row-level lineage: the raw lines behind one row of a mart (``roi-ledger trace``).

A published figure is only auditable when an auditor can walk from it back to the vendor export lines it was
computed from. Marts aggregate (a month of cost lines, a quarter of incidents, every team's delivery history) and the
intermediate models that hold per-record links are not published, so each mart declares in its dbt YAML, next to its
columns, how one of its rows reaches published relations that carry ``_source_file`` / ``_line``. The declaration is
data (dbt ``meta``), so it is versioned with the SQL it describes, parsed into the manifest, and checked by tests
against the manifest and the published file; this module only interprets it, with SQL over the published file.

Declaration (``config: meta:`` of a model in ``marts``)::

    trace_key: [ai_system_id, month]          # the row's key: what `--key` must give
    trace:                                    # steps: relations whose matching rows are the row's inputs
      - relation: marts.fct_cost_lines        # staging.<model>, marts.<model> or seeds.<seed>
        note: cost lines billed in the month  # printed beside the step's count
        match:                                # relation column: condition on the mart row
          ai_system_id: ai_system_id          # a string: equality with that row column
          billing_month: {equals: month}      # the same, spelled out
          cost_class: {value: one_time}

Operators of ``match`` (the whole vocabulary; several may share one column):

- ``equals: COL``: the relation's value equals the row's ``COL``.
- ``in_list: COL``: the relation's value is one item of the row's ``COL``, a ``;``-separated list
  (``separator: ":"`` to split otherwise).
- ``contains: COL``: the relation's column is a ``;``-separated list holding any item of the row's ``COL``.
- ``months: {of: COL, from: N, to: M}``: the relation's date or timestamp lies in the calendar months from N to M
  months after the month of the row's ``COL`` (0 to 0: that month; 0 to 2: its quarter; ``from`` or ``to`` left
  out: unbounded on that side).
- ``value: V`` or ``value: [V, ...]``: the relation's value is one of these constants (``null`` allowed).
- ``not_value: V`` or a list: the relation's value is none of them (NULL passes).

Other keys of a step: ``when: {COL: V or [V, ...]}`` applies the step only to rows with those values (a row of
another kind takes another path); ``then: [steps]`` continues from the matched rows, their columns now being the
"row" (a deployment to the changes it shipped); ``recurse: true`` follows the relation's own ``trace`` even though
it carries ``_source_file`` / ``_line`` (a scenario's seed line is not its ``_line``).

Walking: a relation with ``_source_file`` and ``_line`` ends the path (its rows' own lines); one without them is
followed through its own ``trace`` (or the step's ``then``). Every step runs as one SQL statement over the whole
set of matched rows, so an aggregate row with thousands of inputs costs a few joins, never a Python loop; the
published file is attached read-only (a reader never blocks a run). Seeds are not published: a ``seeds.<seed>``
step reads the seed file under ``dbt_project/`` and its "raw line" is the line of that file. Keys of personal-data
columns (``meta: {pii: true}``) are the published keyed hash (``pii_...``), and both sides of a match are hashed
alike, so identities still join.

The raw content is read from ``DIR/raw/<_source_file>`` as the ingest readers number it: CSV, the physical
line(s) of the record; JSON lines, the line; JSON documents and Parquet, the record number (printed as JSON);
``.gz`` transparently. Secret values (``SecretString``) are redacted as on ingest.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from orchestration.datasets import DATASETS, Dataset
from orchestration.settings import DATA_DIR_ENV, DBT_PROJECT_DIR, Paths, duckdb_memory_limit, resolve_data_dir

#: Schemas of the published file a step may name (intermediate is not published), and the seeds schema.
PUBLISHED_SCHEMAS = ("staging", "marts")
SEEDS_SCHEMA = "seeds"
#: The schema whose every model must be traceable.
MART_SCHEMA = "marts"
PROVENANCE = ("_source_file", "_line")
OPERATORS = ("equals", "in_list", "contains", "months", "value", "not_value")
STEP_KEYS = frozenset({"relation", "note", "match", "when", "then", "recurse"})
DEFAULT_LIMIT = 50
#: Declarations nest (a portfolio row -> efficiency months -> cost lines); deeper than this is a mistake.
MAX_DEPTH = 8
EXIT_NOT_FOUND, EXIT_USAGE = 1, 2


class TraceError(Exception):
    """A trace the command refuses: the message says what to change; ``exit_code`` 2 = usage, 1 = not found."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class DeclarationError(ValueError):
    """A ``meta.trace`` declaration that does not follow the vocabulary (raised while parsing)."""


# ------------------------------------------------------------------------------------------ declarations


@dataclass(frozen=True)
class Condition:
    """One condition of a step: relation ``column`` <op> ``arg`` (a row column, constants or a months window)."""

    column: str
    op: str
    arg: Any
    separator: str = ";"

    def row_columns(self) -> list[str]:
        if self.op in ("equals", "in_list", "contains"):
            return [self.arg]
        if self.op == "months":
            return [self.arg["of"]]
        return []


@dataclass(frozen=True)
class Step:
    relation: str
    match: tuple[Condition, ...] = ()
    when: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    then: tuple[Step, ...] = ()
    recurse: bool = False
    note: str = ""


def _constants(value: Any, where: str) -> tuple[Any, ...]:
    values = tuple(value) if isinstance(value, list) else (value,)
    for v in values:
        if isinstance(v, (dict, list)):
            raise DeclarationError(f"{where}: constants must be scalars, got {v!r}")
    if not values:
        raise DeclarationError(f"{where}: an empty list of constants matches nothing")
    return values


def _months(arg: Any, where: str) -> dict[str, Any]:
    if not isinstance(arg, dict) or not isinstance(arg.get("of"), str):
        raise DeclarationError(f"{where}: months needs {{of: ROW_COLUMN, from: N, to: M}}")
    unknown = set(arg) - {"of", "from", "to"}
    if unknown:
        raise DeclarationError(f"{where}: months has unknown keys {sorted(unknown)}")
    out: dict[str, Any] = {"of": arg["of"], "from": None, "to": None}
    for bound in ("from", "to"):
        if arg.get(bound) is not None:
            try:
                out[bound] = int(arg[bound])
            except (TypeError, ValueError):
                raise DeclarationError(f"{where}: months.{bound} must be a whole number of months") from None
    if out["from"] is not None and out["to"] is not None and out["from"] > out["to"]:
        raise DeclarationError(f"{where}: months.from ({out['from']}) is after months.to ({out['to']})")
    return out


def parse_conditions(match: Any, where: str) -> tuple[Condition, ...]:
    """The ``match`` mapping of a step as conditions (pure: tested)."""
    if match is None:
        return ()
    if not isinstance(match, dict):
        raise DeclarationError(f"{where}: match must be a mapping of relation column to condition")
    out: list[Condition] = []
    for column, spec in match.items():
        at = f"{where}.match.{column}"
        if isinstance(spec, str):
            out.append(Condition(column, "equals", spec))
            continue
        if not isinstance(spec, dict) or not spec:
            raise DeclarationError(f"{at}: give a row column (equality) or a mapping of operators {OPERATORS}")
        separator = spec.get("separator", ";")
        if not isinstance(separator, str) or len(separator) != 1:
            raise DeclarationError(f"{at}: separator must be one character")
        ops = {k: v for k, v in spec.items() if k != "separator"}
        if "separator" in spec and not set(ops) & {"in_list", "contains"}:
            raise DeclarationError(f"{at}: separator applies to in_list and contains only")
        for op, arg in ops.items():
            if op not in OPERATORS:
                raise DeclarationError(f"{at}: unknown operator {op!r} (the vocabulary: {', '.join(OPERATORS)})")
            if op in ("equals", "in_list", "contains"):
                if not isinstance(arg, str) or not arg:
                    raise DeclarationError(f"{at}: {op} names a column of the row")
                out.append(Condition(column, op, arg, separator))
            elif op == "months":
                out.append(Condition(column, op, _months(arg, at)))
            else:
                out.append(Condition(column, op, _constants(arg, f"{at}.{op}")))
    return tuple(out)


def parse_steps(raw: Any, where: str) -> tuple[Step, ...]:
    """A ``trace`` list (or a step's ``then``) as steps; raises :class:`DeclarationError` (pure: tested)."""
    if not isinstance(raw, list) or not raw:
        raise DeclarationError(f"{where}: trace must be a non-empty list of steps")
    steps: list[Step] = []
    for i, item in enumerate(raw):
        at = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise DeclarationError(f"{at}: a step is a mapping with a relation")
        unknown = set(item) - STEP_KEYS
        if unknown:
            raise DeclarationError(f"{at}: unknown keys {sorted(unknown)} (a step has {sorted(STEP_KEYS)})")
        relation = item.get("relation")
        if not isinstance(relation, str) or relation.count(".") != 1:
            raise DeclarationError(f"{at}: relation must be <schema>.<name>, got {relation!r}")
        at = f"{at} ({relation})"
        when = item.get("when") or {}
        if not isinstance(when, dict):
            raise DeclarationError(f"{at}: when must be a mapping of row column to constant(s)")
        recurse = item.get("recurse", False)
        if not isinstance(recurse, bool):
            raise DeclarationError(f"{at}: recurse must be true or false")
        match = parse_conditions(item.get("match"), at)
        if not match and not when:
            raise DeclarationError(f"{at}: a step without match needs a when (else every row of the relation "
                                   f"would be an input of every row)")
        steps.append(Step(
            relation=relation,
            match=match,
            when=tuple((c, _constants(v, f"{at}.when.{c}")) for c, v in when.items()),
            then=parse_steps(item["then"], f"{at}.then") if item.get("then") is not None else (),
            recurse=recurse,
            note=str(item.get("note") or ""),
        ))
    return tuple(steps)


# --------------------------------------------------------------------------------------------- catalog


@dataclass(frozen=True)
class Relation:
    """A relation a trace may name, as the manifest describes it."""

    name: str
    kind: str
    """``model`` or ``seed``."""
    columns: tuple[str, ...]
    """Published columns (``publish: false`` left out); a seed's header."""
    pii: frozenset[str] = frozenset()
    unique: frozenset[str] = frozenset()
    key: tuple[str, ...] = ()
    steps: tuple[Step, ...] | None = None
    seed_file: str | None = None
    """Path of a seed under the dbt project (``seeds/...csv``)."""
    error: str | None = None
    """Why its declaration could not be parsed."""

    @property
    def schema(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def table(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def has_provenance(self) -> bool:
        """Rows carry their raw line: ``_source_file`` / ``_line`` columns, or a seed (its file's lines)."""
        return self.kind == "seed" or all(c in self.columns for c in PROVENANCE)


def _meta(spec: Mapping[str, Any]) -> dict[str, Any]:
    return {**(spec.get("meta") or {}), **((spec.get("config") or {}).get("meta") or {})}


def _seed_header(path: Path) -> tuple[str, ...]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return tuple(h.strip() for h in next(csv.reader(fh), []))


#: The dbt tests that make a column a key: dbt's `unique`, and the project's `unique_incremental` (the same rule,
#: checked on an incremental model's new rows when the last published release vouched for the others).
UNIQUE_TESTS = ("unique", "unique_incremental")


def load_catalog(manifest: Mapping[str, Any], project_dir: Path = DBT_PROJECT_DIR) -> dict[str, Relation]:
    """Published models and seeds of a parsed manifest, with their trace declarations (parse errors kept, not
    raised, so one bad declaration does not hide the others)."""
    unique: dict[str, set[str]] = {}
    for node in manifest.get("nodes", {}).values():
        meta = node.get("test_metadata") or {}
        if node.get("resource_type") == "test" and meta.get("name") in UNIQUE_TESTS:
            column = node.get("column_name") or (meta.get("kwargs") or {}).get("column_name")
            attached = node.get("attached_node") or next(iter((node.get("depends_on") or {}).get("nodes", [])), None)
            if column and attached:
                unique.setdefault(attached, set()).add(column)
    catalog: dict[str, Relation] = {}
    for uid, node in manifest.get("nodes", {}).items():
        kind = node.get("resource_type")
        name = f"{node.get('schema')}.{node.get('alias') or node.get('name')}"
        if kind == "seed":
            path = project_dir / node["original_file_path"]
            columns = _seed_header(path) if path.exists() else tuple(node.get("columns", {}))
            catalog[name] = Relation(name, "seed", columns, seed_file=node["original_file_path"])
            continue
        if kind != "model" or node.get("schema") not in PUBLISHED_SCHEMAS:
            continue
        columns, pii = [], set()
        for column, spec in node.get("columns", {}).items():
            cmeta = _meta(spec)
            if cmeta.get("publish") is False:
                continue
            columns.append(column)
            if cmeta.get("pii"):
                pii.add(column)
        meta = _meta(node)
        steps, error = None, None
        if "trace" in meta:
            try:
                steps = parse_steps(meta["trace"], f"{name} meta.trace")
            except DeclarationError as exc:
                error = str(exc)
        catalog[name] = Relation(name, "model", tuple(columns), frozenset(pii), frozenset(unique.get(uid, ())),
                                 tuple(meta.get("trace_key") or ()), steps, error=error)
    return catalog


def read_manifest(manifest_path: Path) -> dict[str, Any]:
    if not manifest_path.exists():
        raise TraceError(f"dbt manifest not found at {manifest_path}: run `make manifest` first")
    return json.loads(manifest_path.read_text())


def _check_steps(catalog: Mapping[str, Relation], row: Relation, steps: Sequence[Step], where: str,
                 stack: tuple[str, ...], problems: list[str]) -> None:
    for i, step in enumerate(steps):
        at = f"{where} step {i} ({step.relation})"
        rel = catalog.get(step.relation)
        if rel is None:
            schema = step.relation.split(".")[0]
            why = "not a published relation or seed" if schema in (*PUBLISHED_SCHEMAS, SEEDS_SCHEMA) else (
                f"schema {schema!r} is not published (only {', '.join(PUBLISHED_SCHEMAS)} and seeds)")
            problems.append(f"{at}: {why}")
            continue
        for column, _ in step.when:
            if column not in row.columns:
                problems.append(f"{at}: when names {column!r}, not a column of {row.name}")
        for cond in step.match:
            if cond.column not in rel.columns:
                problems.append(f"{at}: {cond.column!r} is not a published column of {rel.name}")
                continue
            for rc in cond.row_columns():
                if rc not in row.columns:
                    problems.append(f"{at}: {cond.op} names {rc!r}, not a column of {row.name}")
                elif cond.op in ("equals", "in_list", "contains") and (rc in row.pii) != (cond.column in rel.pii):
                    problems.append(f"{at}: {rel.name}.{cond.column} and {row.name}.{rc} are not both personal "
                                    f"data: one is published as a keyed hash, so they never match")
            if cond.op in ("value", "not_value") and cond.column in rel.pii:
                problems.append(f"{at}: {cond.column} is published as a keyed hash: a constant never matches it")
        follow = step.then or ((not rel.has_provenance or step.recurse) and rel.steps)
        if step.recurse and not rel.steps:
            problems.append(f"{at}: recurse, but {rel.name} has no trace declaration")
        if not rel.has_provenance and not step.then and not rel.steps:
            problems.append(f"{at}: {rel.name} has no _source_file/_line and no trace declaration: the path ends "
                            f"nowhere")
        if step.then:
            _check_steps(catalog, rel, step.then, f"{at} then", stack, problems)
        elif follow and rel.name in stack:
            problems.append(f"{at}: cycle {' -> '.join((*stack, rel.name))}")
        elif follow and rel.steps is not None and len(stack) < MAX_DEPTH:
            _check_steps(catalog, rel, rel.steps, rel.name, (*stack, rel.name), problems)


def check_declarations(catalog: Mapping[str, Relation], marts: Sequence[str] | None = None) -> list[str]:
    """Problems of the trace declarations: every mart declared, with a key, over relations and columns that
    exist and are published, without cycles (pure: tested; also the gate of the trace tests)."""
    problems: list[str] = []
    names = list(marts) if marts is not None else sorted(n for n, r in catalog.items() if r.schema == MART_SCHEMA)
    for name in names:
        rel = catalog.get(name)
        if rel is None:
            problems.append(f"{name}: not a published mart")
            continue
        if rel.error:
            problems.append(rel.error)
            continue
        if rel.steps is None:
            problems.append(f"{name}: no meta.trace declaration")
            continue
        if not rel.key:
            problems.append(f"{name}: no meta.trace_key (the columns --key must give)")
        problems.extend(f"{name}: trace_key {c!r} is not a column" for c in rel.key if c not in rel.columns)
        _check_steps(catalog, rel, rel.steps, name, (name,), problems)
    return list(dict.fromkeys(problems))


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
            "mart": self.mart, "keys": self.keys, "row": self.row, "published_file": self.published_file,
            "release_id": self.release_id,
            "steps": [vars(s) for s in self.steps],
            "total_lines": self.total_lines, "shown_lines": len(self.lines), "omitted_lines": self.omitted,
            "lines": [vars(rl) for rl in self.lines], "headers": self.headers, "warnings": self.warnings,
        }


def _jsonable(v: Any) -> Any:
    if isinstance(v, (datetime, date)):
        return v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()
    if isinstance(v, Decimal):
        return format(v.normalize(), "f") if v == v.to_integral_value() else format(v, "f").rstrip("0")
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v


# ------------------------------------------------------------------------------------------------ walk


def _q(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


class _Walker:
    """Runs the steps of declarations over the attached published file, one SQL statement per step."""

    def __init__(self, con: duckdb.DuckDBPyConnection, catalog: Mapping[str, Relation], project_dir: Path,
                 published: Mapping[str, dict[str, str]]) -> None:
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
            raise TraceError(f"{rel.name} is not in the published file: the release predates its trace declaration "
                             f"(run `roi-ledger run` to publish a new one)", EXIT_NOT_FOUND)
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
        self.con.execute(f"CREATE TEMP TABLE {table} ({', '.join(f'{_q(c)} VARCHAR' for c in columns)}, "
                         "_source_file VARCHAR, _line BIGINT)")
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
            self.warnings.append(f"{here}: skipped, {rel.name} is not in the published file (the release predates "
                                 f"this trace declaration: `roi-ledger run` publishes a new one)")
            return
        missing = [f"{row.name}.{c}" for c in self._missing(
            row, [c for c, _ in step.when] + [rc for c in step.match for rc in c.row_columns()])]
        missing += [f"{rel.name}.{c}" for c in self._missing(rel, [c.column for c in step.match])]
        if missing:
            self.warnings.append(f"{here}: skipped, the published file has no column {', '.join(missing)} (the "
                                 f"release predates this trace declaration: `roi-ledger run` publishes a new one)")
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
            self.con.execute(f"CREATE TEMP TABLE {table} AS SELECT s.* FROM {source} AS s "
                             f"WHERE s.rowid IN ({matched})", params)
            report.rows = self.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
            lines_from = f"SELECT _source_file, _line FROM {table}"
            lines_params: list[Any] = []
        else:
            lines_from = f"SELECT s._source_file, s._line FROM {source} AS s WHERE s.rowid IN ({matched})"
            lines_params = list(params)
        if rel.has_provenance and not step.recurse:
            self.con.execute(f"INSERT INTO __trace_lines SELECT DISTINCT CAST(_source_file AS VARCHAR), "
                             f"CAST(_line AS BIGINT), {step_id} FROM ({lines_from}) "
                             f"WHERE _source_file IS NOT NULL AND _line IS NOT NULL", lines_params)
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
        return bool(self.con.execute(f"SELECT count(*) FROM {row_table} AS r WHERE {' AND '.join(sql)}",
                                     params).fetchall()[0][0])

    @staticmethod
    def _when_sql(step: Step) -> tuple[list[str], list[Any]]:
        sql: list[str] = []
        params: list[Any] = []
        for column, values in step.when:
            present = [v for v in values if v is not None]
            parts = ([f"r.{_q(column)} IN ({', '.join('?' * len(present))})"] if present else []) + (
                [f"r.{_q(column)} IS NULL"] if len(present) != len(values) else [])
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
                r_laterals.append(f"CROSS JOIN LATERAL (SELECT unnest(string_split(CAST(r.{_q(c.arg)} AS VARCHAR), "
                                  f"?)) AS v) AS u{i}")
                r_params.append(c.separator)
                r_extra.append(f"u{i}.v AS __u{i}")
                conds.append(f"CAST(x.{_q(c.column)} AS VARCHAR) = rr.__u{i}")
            elif c.op == "contains":
                x_laterals.append(f"CROSS JOIN LATERAL (SELECT unnest(string_split(CAST(x.{_q(c.column)} AS VARCHAR), "
                                  f"?)) AS v) AS xl{i}")
                x_params.append(c.separator)
                r_laterals.append(f"CROSS JOIN LATERAL (SELECT unnest(string_split(CAST(r.{_q(c.arg)} AS VARCHAR), "
                                  f"?)) AS v) AS u{i}")
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
                    parts = ([f"{col} NOT IN ({marks})"] if values else []) + ([f"{col} IS NOT NULL"] if has_null
                                                                                else [])
                    if not has_null:
                        parts = [f"({col} IS NULL OR {parts[0]})"]
                    filters.append("(" + " AND ".join(parts) + ")")
                f_params.extend(values)
        when_sql, w_params = self._when_sql(step)
        row_select = (f"SELECT r.*{''.join(', ' + e for e in r_extra)} FROM {row_table} AS r "
                      f"{' '.join(r_laterals)}{' WHERE ' + ' AND '.join(when_sql) if when_sql else ''}")
        source = self.source(rel)
        where = f" WHERE {' AND '.join(filters)}" if filters else ""
        if conds:
            sql = (f"SELECT x.rowid FROM {source} AS x {' '.join(x_laterals)} "
                   f"JOIN ({row_select}) AS rr ON {' AND '.join(conds)}{where}")
            return sql, [*x_params, *r_params, *w_params, *f_params]
        exists = f"EXISTS ({row_select})"
        sql = f"SELECT x.rowid FROM {source} AS x {' '.join(x_laterals)} WHERE {exists}" + (
            f" AND {' AND '.join(filters)}" if filters else "")
        return sql, [*x_params, *r_params, *w_params, *f_params]


# ---------------------------------------------------------------------------------------- raw content


@dataclass
class _Record:
    line: int
    end_line: int
    text: str
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


def _iter_csv(fh: io.TextIOBase) -> Iterator[_Record]:
    """Records of a CSV file numbered as the ingest reader numbers them: the header first, then each record at
    the physical line it starts on (blank lines advance the count)."""
    tap = _Tap(fh)
    reader = csv.reader(tap, strict=True)
    start = 1
    for fields in reader:
        yield _Record(start, reader.line_num, tap.take(), fields)
        start = reader.line_num + 1


def _csv_records(path: Path) -> tuple[_Record, list[_Record]]:
    """Header and records of a small CSV file (a seed)."""
    with open(path, encoding="utf-8-sig", newline="") as fh:
        records = [r for r in _iter_csv(fh) if r.fields and r.fields != [""]]
    if not records:
        raise TraceError(f"{path} is empty", EXIT_NOT_FOUND)
    return records[0], records[1:]


def _dataset_of(source_file: str) -> Dataset | None:
    for ds in DATASETS:
        if source_file.startswith(ds.folder + "/"):
            return ds
    return None


def read_records(path: Path, fmt: str, numbers: set[int], dataset: Dataset | None = None
                 ) -> tuple[dict[int, tuple[int, str, str | None]], str | None, str]:
    """The content of the wanted line (or record) numbers of one file: ``{n: (end_line, content, note)}``, the
    CSV header and the numbering actually used (``json`` read as ``jsonl`` when the file holds JSON lines), as
    :mod:`orchestration.ingest.readers` numbers them (pure on the file: tested). Secrets are redacted as on
    ingest: secret values at any depth of a JSON record, and every secret the detectors find in the text."""
    from orchestration.ingest import secrets

    found, header, numbering = _read_records(path, fmt, numbers, dataset)
    out: dict[int, tuple[int, str, str | None]] = {}
    for n, (end, content, note) in found.items():
        text, kinds = secrets.redact_text(content)
        if kinds:
            note = "; ".join(x for x in (note, f"secrets redacted ({', '.join(sorted(kinds))})") if x)
        out[n] = (end, text or "", note)
    return out, (secrets.redact_text(header)[0] if header else header), numbering


def _read_records(path: Path, fmt: str, numbers: set[int], dataset: Dataset | None = None
                  ) -> tuple[dict[int, tuple[int, str, str | None]], str | None, str]:
    from orchestration.ingest import jsontext, readers

    wanted = set(numbers)
    out: dict[int, tuple[int, str, str | None]] = {}
    embedded = None
    if fmt == "json" and dataset is not None and dataset.json_layout == "credential_report":
        embedded, _ = readers.credential_report_csv(path)  # ingest numbers the lines of the CSV inside
        fmt = "csv"
    if fmt == "csv":
        header = None
        with (io.StringIO(embedded, newline="") if embedded is not None else readers._open_text(path)) as fh:
            for i, rec in enumerate(_iter_csv(fh)):
                if i == 0:
                    header = rec.text
                    continue
                if rec.line in wanted:
                    out[rec.line] = (rec.end_line, rec.text, None)
                if rec.line >= max(wanted, default=0):
                    break
        return out, header, fmt
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        maps = {f.name for f in pf.schema_arrow if pa.types.is_map(f.type)}
        offset = 0
        for batch in pf.iter_batches(batch_size=readers.BATCH_ROWS):
            for n in sorted(w for w in wanted if offset < w <= offset + batch.num_rows):
                rec = batch.slice(n - offset - 1, 1).to_pylist()[0]
                rec = {k: (dict(v) if k in maps and v is not None else v) for k, v in rec.items()}
                out[n] = (n, json.dumps(_jsonable(rec), ensure_ascii=False, default=str), None)
            offset += batch.num_rows
            if offset >= max(wanted, default=0):
                break
        return out, None, fmt
    line_mode = fmt == "jsonl"
    if not line_mode:
        with readers._open_text(path) as fh:
            text = fh.read()
        try:
            doc = jsontext.loads(text)
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise
            line_mode = True  # JSON lines saved with a .json name, as the reader does
        else:
            layout = dataset.json_layout if dataset else "records"
            for i, rec in enumerate(readers._records_from_document(doc, layout), start=1):
                if i in wanted:
                    raw = readers.record_text(rec)
                    rec, hit = readers.without_secret_values(rec, raw)
                    content = jsontext.dump_exact(rec) if hit else raw
                    out[i] = (i, content, "secret values redacted" if hit else None)
            return out, None, fmt
    with readers._open_text(path) as fh:
        for n, text in enumerate(fh, start=1):
            if n in wanted:
                content, note = text.rstrip("\r\n"), None
                try:
                    redacted, hit = readers.without_secret_values(jsontext.loads(content), content)
                except (ValueError, RecursionError):  # not a record the ingest could read: redacted below
                    redacted, hit = None, False
                if hit:
                    content, note = jsontext.dump_exact(redacted), "secret values redacted"
                out[n] = (n, content, note)
            if n >= max(wanted, default=0):
                break
    return out, None, "jsonl"


def _read_contents(con: duckdb.DuckDBPyConnection, paths: Paths, project_dir: Path,
                   picked: Sequence[tuple[str, int, StepReport]]) -> tuple[list[RawLine], dict[str, str], list[str]]:
    from orchestration.ingest.engine import sha256_file
    from orchestration.ingest.readers import FileRejected, file_format

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
            landed = con.execute("SELECT file_sha256 FROM pub.audit.ingested_files WHERE source_file = ? "
                                 "AND status = 'landed' ORDER BY ingested_at DESC LIMIT 1", [file]).fetchall()
            if landed and landed[0][0] != sha256_file(path):
                warnings.append(f"{file}: the file changed since it was ingested (SHA-256 differs from "
                                f"audit.ingested_files): its lines may not be the ones the release read")
        try:
            found, header, formats[file] = read_records(path, fmt, numbers, None if seed else _dataset_of(file))
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
        lines.append(RawLine(file, line, "seed" if file.startswith(SEEDS_SCHEMA + "/") else "raw",
                             str(locations[file]), formats.get(file), end, content, step.path, step.note, note))
    return lines, headers, warnings


# ---------------------------------------------------------------------------------------------- trace


def _published_columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    rows = con.execute("SELECT table_schema, table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_catalog = 'pub' ORDER BY table_schema, table_name, ordinal_position").fetchall()
    for schema, table, column, dtype in rows:
        out.setdefault(f"{schema}.{table}", {})[column] = dtype
    return out


def _resolve_row(con: duckdb.DuckDBPyConnection, mart: Relation, keys: Mapping[str, str],
                 types: Mapping[str, str]) -> tuple[str, dict[str, Any]]:
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
            raise TraceError(f"{mart.name}.{column} is personal data, published as a keyed hash: give the pii_... "
                             f"value as the published file shows it, not {value!r}")
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
    return "__trace_row", {k: _jsonable(v) for k, v in row.items()}


def trace_row(paths: Paths, mart: str, keys: Mapping[str, str], limit: int = DEFAULT_LIMIT, *,
              manifest_path: Path | None = None, project_dir: Path = DBT_PROJECT_DIR) -> TraceResult:
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
    con = duckdb.connect(config={"memory_limit": duckdb_memory_limit()})
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
        picked = con.execute("SELECT file, line, min(step) AS first FROM __trace_lines GROUP BY file, line "
                             "ORDER BY first, file, line LIMIT ?", [limit]).fetchall()
        release = None
        if "audit.releases" in published:
            found = con.execute("SELECT release_id FROM pub.audit.releases WHERE status = 'published' "
                                "ORDER BY created_at DESC LIMIT 1").fetchall()
            release = found[0][0] if found else None
        lines, headers, warnings = _read_contents(
            con, paths, project_dir, [(f, n, walker.reports[s]) for f, n, s in picked])
        warnings = walker.warnings + warnings
    finally:
        con.close()
    return TraceResult(name.split(".", 1)[1], dict(keys), row, str(paths.published_db), release, walker.reports,
                       total, lines, headers, warnings)


# ------------------------------------------------------------------------------------------ output, CLI


def format_result(result: TraceResult) -> str:
    """The text `roi-ledger trace` prints (pure: tested)."""
    out = [f"trace marts.{result.mart}  " + "  ".join(f"{k}={v}" for k, v in result.keys.items()),
           f"published file: {result.published_file}" + (f" (release {result.release_id})" if result.release_id
                                                           else "")]
    out.append("\nsteps (relation: rows matched, raw lines):")
    for s in result.steps:
        figures = f"{s.rows} row(s)" + (f", {s.lines} line(s)" if s.lines is not None else ", followed")
        out.append(f"  {s.path}: {figures}" + (f"  -- {s.note}" if s.note else ""))
    if not result.total_lines:
        out.append("\nno raw lines: no input of this row carries a source line (e.g. a month without activity)")
    else:
        shown = len(result.lines)
        tail = f"; {result.omitted} left out (--limit N to see more, --json for tooling)" if result.omitted else ""
        out.append(f"\n{result.total_lines} raw line(s) behind the row, {shown} shown{tail}")
    current, step = None, None
    for rl in result.lines:
        if (rl.step, rl.step_note) != step:
            step, current = (rl.step, rl.step_note), None
            out.append(f"\n-- via {rl.step}" + (f": {rl.step_note}" if rl.step_note else ""))
        if rl.file != current:
            current = rl.file
            if rl.origin == "seed":
                where = f"dbt_project/{rl.file}  (a seed file of the dbt project, not a raw export; {rl.format})"
            else:
                where = f"raw/{rl.file}  ({rl.format or 'unknown format'})"
            out.append(where)
            if rl.file in result.headers:
                out.append(f"  header: {result.headers[rl.file]}")
        label = "record" if rl.format in ("json", "parquet") else "line"
        span = f"-{rl.end_line}" if rl.end_line and rl.end_line != rl.line else ""
        text = rl.content if rl.content is not None else f"[{rl.note or 'content unavailable'}]"
        extra = f"  [{rl.note}]" if rl.content is not None and rl.note else ""
        out.append(f"  {label} {rl.line}{span}: {text}{extra}")
    if result.warnings:
        out.append("\nwarnings:")
        out.extend(f"  {w}" for w in result.warnings)
    return "\n".join(out)


def parse_key_args(items: Sequence[str]) -> dict[str, str]:
    """``COLUMN=VALUE`` arguments as a mapping; refuses a malformed or repeated column (pure: tested)."""
    keys: dict[str, str] = {}
    for item in items:
        column, sep, value = item.partition("=")
        column = column.strip()
        if not sep or not column:
            raise TraceError(f"--key takes COLUMN=VALUE, got {item!r}")
        if column in keys:
            raise TraceError(f"--key {column} given twice")
        keys[column] = value
    return keys


def _non_negative(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more: {value!r}")
    return n


def add_trace_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``roi-ledger trace`` on the CLI's subparsers."""
    p = subparsers.add_parser(
        "trace", help="print the raw lines behind one row of a mart",
        description="Print the raw export lines (file, line, content) behind one row of a published mart, "
                    "following the mart's trace declaration (meta.trace in its dbt YAML) over the published "
                    "file (opened read-only). Seed-derived rows show the seed file line under dbt_project/.")
    p.add_argument("--data-dir", help=f"data directory (default ${DATA_DIR_ENV} or ./data)")
    p.add_argument("--mart", required=True, help="mart name, e.g. fct_efficiency_roi")
    p.add_argument("--key", action="append", default=[], metavar="COLUMN=VALUE",
                   help="a key column of the row (repeat for each; the mart's key columns are listed when one is "
                        "missing). Personal-data columns (meta pii) take the published hash value (pii_...), as "
                        "the published file shows it; an empty value (COLUMN=) matches NULL")
    p.add_argument("--limit", type=_non_negative, default=DEFAULT_LIMIT,
                   help=f"most raw lines to print with content (default {DEFAULT_LIMIT}); every line is counted")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_trace)
    return p


def cmd_trace(args: argparse.Namespace) -> int:
    """``roi-ledger trace``: 0 traced, 1 row or release not found, 2 bad usage."""
    from orchestration.cli import ensure_manifest

    try:
        keys = parse_key_args(args.key)
        ensure_manifest()
        result = trace_row(Paths(resolve_data_dir(args.data_dir)), args.mart, keys, args.limit)
    except TraceError as exc:
        print(f"roi-ledger trace: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.json:
        print(json.dumps(result.as_dict(), indent=2, default=str))
    else:
        print(format_result(result))
    return 0
