"""The GX expectation suites, generated into the JSON files of this directory, so the registry, the mart
gates and the suites never drift.

One suite per landed dataset (``landing__<system>__<dataset>.json``), generated from the dataset registry
(:mod:`orchestration.datasets`), and one per mart gate (``<schema>__<model>.json``, from
:mod:`orchestration.quality.marts`). Each suite's ``meta.batch_query`` is the SQL its batch is read through:
``SELECT * FROM landing_<system>.<dataset>``, or the gate's one-row summary.

What a landing suite expects (each expectation's ``meta.rule`` names it in check metadata and Data Docs):

- ``columns``: exactly the landing columns (registry fields, ``_extra``/``_record``, provenance);
- ``not_null:<field>`` for every required field, ``not_null:<field> when <other>`` on the rows where a field
  required only for some values of another (registry ``required_when``) must be present, ``allowed:<field>``
  for every field with allowed values;
- ``non_negative:<field>``: integer and decimal fields that count things or measure a duration
  (:data:`NON_NEGATIVE_NAME`: tokens, requests, seats, affected identities/secrets, milliseconds, days,
  hours). Money is not among them: FOCUS credits and corrections are legitimately negative. Scenario
  inputs are not either: the scenario model quarantines impossible rows itself and lets the others publish;
- ``ordered:<start><=<end>``: the end of an interval the registry names as a pair (``*_start``/``*_end``,
  ``start_*``/``end_*``, ``*created``/``*resolved``) is never before its start;
- ``volume`` (check ``gx_volume``): at least ``$PARAMETER min_row_count`` rows (see
  :mod:`orchestration.quality.volume`).

No expectation here asks for a unique natural key: landing keeps every copy a vendor shipped (real exports
repeat their event ids), and staging sees each key once by the dataset's ``repeats`` rule
(``dbt_project/macros/repeats.sql``; copies reported in ``marts.fct_landing_repeats``). Uniqueness is gated
where it must hold, on the staged result (the staging models' ``unique`` tests).

Regenerate after editing the registry or a mart gate: ``make generate`` (``--check`` in
:mod:`orchestration.codegen` exits 1 when a committed file differs).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from orchestration.datasets import DATASETS, Dataset, Field
from orchestration.ingest.landing import landing_columns
from orchestration.quality.marts import MART_GATES, MartGate

SUITES_DIR = Path(__file__).resolve().parent
GENERATED_BY = "make generate (orchestration/codegen.py)"

#: Count and duration fields (integer or decimal) that can never be negative, by name.
NON_NEGATIVE_NAME = re.compile(r"(_tokens|_ms|_days|_hours|_requests)$|^(seats_|num_|affected_)")
NUMERIC_TYPES = ("integer", "decimal")
TEMPORAL_TYPES = ("timestamp", "date", "epoch_ms", "epoch_s")
#: Name parts that make two temporal fields an interval: (start part, end part).
INTERVAL_PARTS: tuple[tuple[str, str], ...] = (("start", "end"), ("created", "resolved"))

LANDING_GATE = "contract"
VOLUME_GATE = "volume"
VOLUME_PARAMETER = "min_row_count"


def landing_suite_name(ds: Dataset) -> str:
    return f"landing__{ds.system}__{ds.name}"


def suite_path(name: str) -> Path:
    return SUITES_DIR / f"{name}.json"


def _expectation(type_: str, rule: str, gate: str = LANDING_GATE, **kwargs: Any) -> dict[str, Any]:
    return {"type": type_, "kwargs": kwargs, "meta": {"gate": gate, "rule": rule}}


def non_negative_fields(ds: Dataset) -> list[Field]:
    return [f for f in ds.fields if f.type in NUMERIC_TYPES and NON_NEGATIVE_NAME.search(f.name)]


def interval_pairs(ds: Dataset) -> list[tuple[str, str]]:
    """(start, end) temporal field pairs named as one interval, in registry order."""
    temporal = {f.name for f in ds.fields if f.type in TEMPORAL_TYPES}
    pairs = []
    for f in ds.fields:
        if f.name not in temporal:
            continue
        parts = f.name.split("_")
        for start, end in INTERVAL_PARTS:
            if start in parts:
                other = "_".join(end if p == start else p for p in parts)
                if other in temporal:
                    pairs.append((f.name, other))
    return pairs


def required_when_expectation(f: Field) -> dict[str, Any]:
    """Not null on the rows whose other field holds one of the values (registry ``required_when``), through GX's
    structured row condition (serialised as GX itself does: it runs as SQL, ``WHERE on IN (...)``)."""
    on, values = f.required_when
    condition = {"type": "comparison", "column": {"name": on}, "operator": "IN", "parameter": list(values)}
    return _expectation(
        "expect_column_values_to_not_be_null", f"not_null:{f.name} when {on}", column=f.name, row_condition=condition
    )


def landing_suite(ds: Dataset) -> dict[str, Any]:
    """The suite of one landed dataset, from its registry entry (pure)."""
    exps = [
        _expectation(
            "expect_table_columns_to_match_set",
            "columns",
            column_set=[name for name, _ in landing_columns(ds)],
            exact_match=True,
        )
    ]
    exps += [
        _expectation("expect_column_values_to_not_be_null", f"not_null:{f.name}", column=f.name)
        for f in ds.fields
        if f.required
    ]
    exps += [required_when_expectation(f) for f in ds.fields if f.required_when]
    exps += [
        _expectation("expect_column_values_to_be_in_set", f"allowed:{f.name}", column=f.name, value_set=list(f.allowed))
        for f in ds.fields
        if f.allowed
    ]
    exps += [
        _expectation("expect_column_values_to_be_between", f"non_negative:{f.name}", column=f.name, min_value=0)
        for f in non_negative_fields(ds)
    ]
    exps += [
        _expectation(
            "expect_column_pair_values_a_to_be_greater_than_b",
            f"ordered:{start}<={end}",
            column_A=end,
            column_B=start,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        )
        for start, end in interval_pairs(ds)
    ]
    exps.append(
        _expectation(
            "expect_table_row_count_to_be_between",
            VOLUME_GATE,
            gate=VOLUME_GATE,
            min_value={"$PARAMETER": VOLUME_PARAMETER},
        )
    )
    return {
        "name": landing_suite_name(ds),
        "meta": {
            "generated_by": GENERATED_BY,
            "source": f"orchestration/datasets.py: {ds.key}",
            "asset_key": ["landing", ds.system, ds.name],
            "batch_query": f"SELECT * FROM {ds.table}",
            "parameters": [VOLUME_PARAMETER],
        },
        "expectations": exps,
    }


def mart_suite(gate: MartGate) -> dict[str, Any]:
    """The suite of one mart gate (pure)."""
    return {
        "name": gate.suite_name,
        "meta": {
            "generated_by": GENERATED_BY,
            "source": f"orchestration/quality/marts.py: {gate.check_name}",
            "asset_key": list(gate.asset_key),
            "batch_query": gate.summary_sql,
            "parameters": list(gate.parameters),
        },
        "expectations": [dict(e) for e in gate.expectations],
    }


def all_suites() -> dict[str, dict[str, Any]]:
    """Every suite by name, landing datasets in registry order, then the mart gates."""
    suites = [landing_suite(ds) for ds in DATASETS] + [mart_suite(g) for g in MART_GATES]
    return {s["name"]: s for s in suites}


def render(suite: dict[str, Any]) -> str:
    return json.dumps(suite, indent=1, ensure_ascii=False) + "\n"


def load(name: str) -> dict[str, Any]:
    """A committed suite (what the checks run: a suite edited by hand shows up as drift in the tests)."""
    return json.loads(suite_path(name).read_text(encoding="utf-8"))


def generated_files() -> dict[Path, str | None]:
    """Every suite file with its text, and the stale ones (a suite no longer generated) with None: removed."""
    expected: dict[Path, str | None] = {suite_path(name): render(suite) for name, suite in all_suites().items()}
    expected.update({path: None for path in sorted(set(SUITES_DIR.glob("*.json")) - set(expected))})
    return expected
