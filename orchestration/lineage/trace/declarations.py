r"""Trace declarations: the ``meta.trace`` vocabulary of a mart's dbt YAML, parsed and checked.

The vocabulary is described in :mod:`orchestration.lineage.trace`; this module parses it into :class:`Step`\ s,
reads the manifest's published relations (:func:`load_catalog`) and checks every declaration against them
(:func:`check_declarations`: pure, tested, the gate of the trace tests). No database is read here.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestration.settings import DBT_PROJECT_DIR

#: Schemas of the published file a step may name (intermediate is not published), and the seeds schema.
PUBLISHED_SCHEMAS = ("staging", "marts")
SEEDS_SCHEMA = "seeds"
#: The schema whose every model must be traceable.
MART_SCHEMA = "marts"
PROVENANCE = ("_source_file", "_line")
OPERATORS = ("equals", "in_list", "contains", "months", "value", "not_value")
STEP_KEYS = frozenset({"relation", "note", "match", "when", "then", "recurse"})
#: Raw lines `roi-ledger trace` prints with their content unless told otherwise (every line is counted).
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
            raise DeclarationError(
                f"{at}: a step without match needs a when (else every row of the relation "
                f"would be an input of every row)"
            )
        steps.append(
            Step(
                relation=relation,
                match=match,
                when=tuple((c, _constants(v, f"{at}.when.{c}")) for c, v in when.items()),
                then=parse_steps(item["then"], f"{at}.then") if item.get("then") is not None else (),
                recurse=recurse,
                note=str(item.get("note") or ""),
            )
        )
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
        catalog[name] = Relation(
            name,
            "model",
            tuple(columns),
            frozenset(pii),
            frozenset(unique.get(uid, ())),
            tuple(meta.get("trace_key") or ()),
            steps,
            error=error,
        )
    return catalog


def read_manifest(manifest_path: Path) -> dict[str, Any]:
    if not manifest_path.exists():
        raise TraceError(f"dbt manifest not found at {manifest_path}: run `make manifest` first")
    return json.loads(manifest_path.read_text())


def _check_steps(
    catalog: Mapping[str, Relation],
    row: Relation,
    steps: Sequence[Step],
    where: str,
    stack: tuple[str, ...],
    problems: list[str],
) -> None:
    for i, step in enumerate(steps):
        at = f"{where} step {i} ({step.relation})"
        rel = catalog.get(step.relation)
        if rel is None:
            schema = step.relation.split(".")[0]
            why = (
                "not a published relation or seed"
                if schema in (*PUBLISHED_SCHEMAS, SEEDS_SCHEMA)
                else (f"schema {schema!r} is not published (only {', '.join(PUBLISHED_SCHEMAS)} and seeds)")
            )
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
                    problems.append(
                        f"{at}: {rel.name}.{cond.column} and {row.name}.{rc} are not both personal "
                        f"data: one is published as a keyed hash, so they never match"
                    )
            if cond.op in ("value", "not_value") and cond.column in rel.pii:
                problems.append(f"{at}: {cond.column} is published as a keyed hash: a constant never matches it")
        follow = step.then or ((not rel.has_provenance or step.recurse) and rel.steps)
        if step.recurse and not rel.steps:
            problems.append(f"{at}: recurse, but {rel.name} has no trace declaration")
        if not rel.has_provenance and not step.then and not rel.steps:
            problems.append(
                f"{at}: {rel.name} has no _source_file/_line and no trace declaration: the path ends nowhere"
            )
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
