"""Validate GX suites in SQL against the build database, store the results, render Data Docs.

Each suite's batch is its ``meta.batch_query`` as a GX query asset on the build database, opened read-only
through :mod:`orchestration.quality.gx_duckdb`: every expectation becomes SQL that DuckDB runs (aggregates,
``LIMIT 20`` samples of unexpected values), nothing is loaded into pandas. A query asset rather than a table
asset because GX's column reflection ignores the schema on DuckDB (duckdb-engine's inspector fails on
SQLAlchemy 2.1 and GX's fallback selects from the bare table name); DuckDB streams the ``SELECT *`` GX issues
to read the column names, so that costs one chunk, not the table.

Results: one JSON per validated suite in GX's validation results store under ``DIR/audit/gx/<run_id>/``
(``<suite>/<run_id>/<time>/<batch>.json``); Data Docs under ``DIR/audit/data_docs/`` are rebuilt from that
run's results after every validating step, so the site shows the latest run whole (landing and mart gates).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

GX_RESULTS_DIR = "gx"
DATA_DOCS_DIR = "data_docs"


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict, named by its ``meta.rule``."""

    rule: str
    gate: str
    success: bool
    type: str = ""
    column: str | None = None
    observed: Any = None
    """``observed_value`` (table and aggregate expectations) or the unexpected row count (column maps)."""
    unexpected_count: int | None = None
    error: str | None = None

    def describe(self) -> str:
        if self.error:
            return f"{self.rule} (error: {self.error[:160]})"
        if self.unexpected_count is not None:
            return f"{self.rule} ({self.unexpected_count} unexpected)"
        return f"{self.rule} (observed {self.observed})"


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    expectations: list[ExpectationOutcome] = field(default_factory=list)
    result_path: Path | None = None
    reuse_note: str | None = None
    """Set when an earlier outcome was taken under a looser key (:func:`reusable`): what differs and why it stands."""

    def of_gate(self, gate: str | None) -> list[ExpectationOutcome]:
        return [e for e in self.expectations if gate is None or e.gate == gate]

    def failed(self, gate: str | None = None) -> list[ExpectationOutcome]:
        return [e for e in self.of_gate(gate) if not e.success]

    def observed(self, rule: str) -> Any:
        for e in self.expectations:
            if e.rule == rule:
                return e.observed
        raise KeyError(f"{self.suite} has no expectation {rule!r}")


def results_dir(audit_dir: Path, run_id: str) -> Path:
    return audit_dir / GX_RESULTS_DIR / run_id


def prune_results(audit_dir: Path, keep: int, current_run_id: str) -> list[Path]:
    """Delete the GX result folders of all but the newest ``keep`` runs (0 keeps every one), never the current
    run's; returns what was deleted. The same retention as the release snapshots (``ROI_LEDGER_RELEASE_RETENTION``):
    the check metadata in ``audit.releases`` keeps the observed values of every run either way."""
    root = audit_dir / GX_RESULTS_DIR
    if keep <= 0 or not root.is_dir():
        return []
    runs = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: (p.stat().st_mtime, p.name), reverse=True)
    gone = [p for p in runs[keep:] if p.name != current_run_id]
    for p in gone:
        shutil.rmtree(p)
        reuse_file(audit_dir, p.name).unlink(missing_ok=True)
    return gone


def docs_dir(audit_dir: Path) -> Path:
    return audit_dir / DATA_DOCS_DIR


def _error(exception_info: Any) -> str | None:
    """The exception message GX recorded for an expectation, in either of its shapes: flat
    (``{"raised_exception": True, "exception_message": ...}``) or one entry per failed metric."""
    if not isinstance(exception_info, dict):
        return None
    if exception_info.get("raised_exception"):
        return str(exception_info.get("exception_message") or "raised an exception")
    for value in exception_info.values():
        if isinstance(value, dict) and (value.get("exception_message") or value.get("raised_exception")):
            return str(value.get("exception_message") or "raised an exception")
    return None


def _scalar(value: Any) -> Any:
    """JSON/metadata-friendly observed value (GX hands back Decimals and numpy scalars)."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def expectation_outcome(result: Any) -> ExpectationOutcome:
    config = result.expectation_config
    meta = config.meta or {}
    body = result.result or {}
    unexpected = body.get("unexpected_count")
    observed = body.get("observed_value", unexpected)
    if isinstance(observed, (list, tuple)):  # e.g. the column set: too long for metadata, kept in the JSON
        observed = len(observed)
    return ExpectationOutcome(
        rule=str(meta.get("rule") or config.type),
        gate=str(meta.get("gate") or ""),
        success=bool(result.success),
        type=config.type,
        column=(config.kwargs or {}).get("column"),
        observed=_scalar(observed),
        unexpected_count=None if unexpected is None else int(unexpected),
        error=_error(result.exception_info),
    )


def _result_file(results: Path, suite: str) -> Path | None:
    found = sorted((results / suite).rglob("*.json"), key=lambda p: p.stat().st_mtime) if results.exists() else []
    return found[-1] if found else None


def _gx_suite(suite: dict[str, Any]) -> Any:
    from great_expectations.core.expectation_suite import ExpectationSuite

    return ExpectationSuite(name=suite["name"], expectations=suite["expectations"], meta=suite.get("meta") or {})


#: ``DIR/audit/gx_reuse/<run_id>.json``: {suite: {"key": ..., "outcome": ...}} of every suite validated (or
#: reused) by that run; beside GX's store, not in it (GX reads every file of its store as a result).
REUSE_DIR = "gx_reuse"


def reuse_file(audit_dir: Path, run_id: str) -> Path:
    return audit_dir / REUSE_DIR / f"{run_id}.json"


def _outcome_json(outcome: SuiteOutcome, audit_dir: Path) -> dict[str, Any]:
    """A reuse record's outcome; its result path relative to ``audit_dir``, so that a copied or moved data
    directory's records point into itself."""
    path = outcome.result_path
    if path is not None and path.is_relative_to(audit_dir):
        path = path.relative_to(audit_dir)
    return {
        "suite": outcome.suite,
        "success": outcome.success,
        "expectations": [asdict(e) for e in outcome.expectations],
        "result_path": None if path is None else str(path),
        "reuse_note": outcome.reuse_note,
    }


def _located(audit_dir: Path, run: Path, recorded: Path) -> Path:
    """Where a recorded result is now: recorded relative to ``audit_dir``, or absolute (records made before they
    were relative; those of a copied or moved data directory name the old one: the same place under ``run``)."""
    if not recorded.is_absolute():
        return audit_dir / recorded
    if recorded.is_relative_to(run):
        return recorded
    parts = recorded.parts
    for k in range(len(parts) - 1, 0, -1):
        if parts[k] == run.name and parts[k - 1] == GX_RESULTS_DIR:
            return run.joinpath(*parts[k + 1 :])
    return recorded


def _outcome_of(data: dict[str, Any]) -> SuiteOutcome:
    return SuiteOutcome(
        suite=data["suite"],
        success=bool(data["success"]),
        expectations=[ExpectationOutcome(**e) for e in data["expectations"]],
        result_path=None if data["result_path"] is None else Path(data["result_path"]),
        reuse_note=data.get("reuse_note"),
    )


def reusable(
    audit_dir: Path,
    run_id: str,
    keys: dict[str, str],
    *,
    loose: dict[str, str] | None = None,
    accept: Callable[[str, SuiteOutcome], str | None] | None = None,
) -> dict[str, SuiteOutcome]:
    """Outcomes an earlier run recorded for the same ``keys`` (suite -> key of everything the outcome depends
    on: suite, parameters, data, code), newest run first, whose stored GX result is still there. Each is copied
    into this run's results (so pruning older runs never takes a current release's evidence) and points there.

    ``loose`` (suite -> a key of everything but some parameters) and ``accept`` (suite, earlier outcome -> why it
    stands for this run's parameters, or None) take an outcome validated with other parameters where the caller
    can show its verdict is the same (:func:`orchestration.quality.checks.volume_still_passes`); the reason is
    kept in the outcome's ``reuse_note``."""
    root = audit_dir / GX_RESULTS_DIR
    runs = (
        sorted(
            (p for p in root.iterdir() if p.is_dir() and p.name != run_id),
            key=lambda p: (p.stat().st_mtime, p.name),
            reverse=True,
        )
        if root.is_dir()
        else []
    )
    found: dict[str, SuiteOutcome] = {}
    for run in runs:
        try:
            recorded = json.loads(reuse_file(audit_dir, run.name).read_text())
        except (OSError, ValueError):
            continue
        for name, key in keys.items():
            entry = recorded.get(name)
            if name in found or not entry:
                continue
            outcome = _outcome_of(entry["outcome"])
            if outcome.result_path is not None:
                outcome.result_path = _located(audit_dir, run, outcome.result_path)
            if outcome.result_path is None or not outcome.result_path.is_file():
                continue
            if entry.get("key") != key:
                why = (
                    accept(name, outcome)
                    if loose
                    and accept
                    and entry.get("loose_key") is not None
                    and entry.get("loose_key") == loose.get(name)
                    else None
                )
                if why is None:
                    continue
                outcome.reuse_note = f"outcome of run {run.name} taken again: {why}"
            copy = results_dir(audit_dir, run_id) / outcome.result_path.relative_to(run)
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(outcome.result_path, copy)
            outcome.result_path = copy
            found[name] = outcome
    return found


def record_reusable(
    audit_dir: Path,
    run_id: str,
    keys: dict[str, str],
    outcomes: dict[str, SuiteOutcome],
    *,
    loose: dict[str, str] | None = None,
) -> None:
    """What :func:`reusable` reads back in a later run."""
    path = reuse_file(audit_dir, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = {
        name: {
            "key": keys[name],
            "loose_key": (loose or {}).get(name),
            "outcome": _outcome_json(outcomes[name], audit_dir),
        }
        for name in keys
        if name in outcomes
    }
    path.write_text(json.dumps(entries, indent=1, sort_keys=True, default=str))


def validate(
    db_path: Path,
    suites: list[dict[str, Any]],
    parameters: dict[str, dict[str, Any]],
    *,
    run_id: str,
    audit_dir: Path,
    documented: list[dict[str, Any]] | None = None,
) -> tuple[dict[str, SuiteOutcome], Path | None]:
    """Validate ``suites`` (suite dicts as committed) against ``db_path``; return the outcome per suite and the
    Data Docs index (None when rendering failed: the gate verdicts stand without it, the error is logged).

    ``parameters`` gives each suite's ``$PARAMETER`` values by suite name; ``documented`` lists every suite
    the Data Docs site should show (default: ``suites``).
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier

    from orchestration.quality.gx_duckdb import (
        DATA_DOCS_SITE,
        add_build_datasource,
        close_datasource,
        ephemeral_context,
    )

    results = results_dir(audit_dir, run_id)
    results.mkdir(parents=True, exist_ok=True)
    context = ephemeral_context(results, docs_dir(audit_dir))
    names = {s["name"] for s in suites}
    for suite in [*suites, *(s for s in documented or () if s["name"] not in names)]:
        context.suites.add(_gx_suite(suite))
    run_identifier = RunIdentifier(run_name=run_id, run_time=datetime.now(UTC))
    outcomes: dict[str, SuiteOutcome] = {}
    datasource = add_build_datasource(context, db_path)
    try:
        for suite in suites:
            name = suite["name"]
            asset = datasource.add_query_asset(name, query=suite["meta"]["batch_query"])
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(
                    name=name, data=asset.add_batch_definition_whole_table("whole"), suite=context.suites.get(name)
                )
            )
            result = definition.run(
                expectation_parameters=parameters.get(name) or {}, result_format="BASIC", run_id=run_identifier
            )
            outcomes[name] = SuiteOutcome(
                suite=name,
                success=bool(result.success),
                expectations=[expectation_outcome(r) for r in result.results],
                result_path=_result_file(results, name),
            )
    finally:
        close_datasource(datasource)
    index: Path | None = None
    try:
        context.clean_data_docs(DATA_DOCS_SITE)
        context.build_data_docs(site_names=[DATA_DOCS_SITE])
        index = docs_dir(audit_dir) / "index.html"
    except Exception:  # rendering is a report: the gate verdicts above stand without it
        log.exception("GX Data Docs could not be rendered under %s", docs_dir(audit_dir))
    return outcomes, index
