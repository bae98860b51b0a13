"""The dbt sources and staging models stay in step with the dataset registry (no dbt run, no database)."""

from __future__ import annotations

import re

import pytest
import yaml

from orchestration import codegen, dbt_sources
from orchestration.datasets import DATASETS, Dataset
from orchestration.dbt_sources import (
    STAGING_DIR,
    models_path,
    render_sources_yml,
    sources_path,
    staging_model_name,
    staging_model_path,
    systems,
)
from orchestration.ingest.landing import PROVENANCE_COLUMNS, landing_columns

PROVENANCE = [name for name, _ in PROVENANCE_COLUMNS]


def _models(system: str) -> dict[str, dict]:
    doc = yaml.safe_load(models_path(system).read_text(encoding="utf-8"))
    return {m["name"]: m for m in doc["models"]}


def _tests(column: dict) -> list:
    return column.get("data_tests", column.get("tests", [])) or []


def _test_names(column: dict) -> set[str]:
    return {t if isinstance(t, str) else next(iter(t)) for t in _tests(column)}


def _accepted_value_sets(model: dict) -> list[set[str]]:
    found = []
    for column in model["columns"]:
        for t in _tests(column):
            if isinstance(t, dict) and "accepted_values" in t:
                spec = t["accepted_values"]
                found.append(set((spec.get("arguments") or spec)["values"]))
    return found


@pytest.mark.parametrize("system", systems())
def test_committed_sources_file_equals_the_rendered_registry(system):
    path = sources_path(system)
    assert path.exists(), f"{path} missing: run `make generate`"
    assert path.read_text(encoding="utf-8") == render_sources_yml(system), (
        f"{path} differs from the registry: run `make generate`"
    )


def test_no_sources_file_without_a_registry_system():
    on_disk = {p.parent.name for p in STAGING_DIR.glob("*/_*__sources.yml")}
    assert on_disk == set(systems())


def test_check_mode_reports_no_drift():
    assert codegen.changes(dbt_sources.generated_files()) == []


@pytest.mark.parametrize("ds", DATASETS, ids=lambda d: d.key)
def test_rendered_source_table_matches_the_dataset(ds: Dataset):
    doc = yaml.safe_load(render_sources_yml(ds.system))
    (source,) = doc["sources"]
    assert source["name"] == ds.system
    assert source["schema"] == ds.schema
    (table,) = [t for t in source["tables"] if t["name"] == ds.name]
    config = table["config"]
    assert config["meta"]["dagster"]["asset_key"] == ["landing", ds.system, ds.name]
    assert config["meta"]["owner"] == ds.owner
    assert config["loaded_at_field"] == ds.freshness_field
    assert config["freshness"]["warn_after"] == {"count": ds.freshness_warn_hours, "period": "hour"}
    assert config["freshness"]["error_after"] == {"count": ds.freshness_error_hours, "period": "hour"}
    # every landed column, in landing order, each described
    assert [c["name"] for c in table["columns"]] == [name for name, _ in landing_columns(ds)]
    assert all(c["description"].strip() for c in table["columns"])
    assert table["description"].strip()


def test_unknown_system_is_refused():
    with pytest.raises(KeyError):
        render_sources_yml("nope")


@pytest.mark.parametrize("ds", DATASETS, ids=lambda d: d.key)
def test_every_dataset_has_a_staging_model_reading_its_source(ds: Dataset):
    path = staging_model_path(ds)
    assert path.exists(), f"missing staging model {path}"
    sql = path.read_text(encoding="utf-8")
    # directly, or through the macro that applies the dataset's rule for repeated keys (macros/repeats.sql)
    assert re.search(rf"(source|deduplicated_landing)\(\s*'{ds.system}'\s*,\s*'{ds.name}'\s*\)", sql), (
        f"{path} must read its source"
    )
    for column in PROVENANCE:
        assert re.search(rf"^\s*{column},?\s*$", sql, re.M), f"{path} must keep provenance column {column}"
    assert not re.search(r"\b_record\b", sql), f"{path} must not carry the raw JSON record"


@pytest.mark.parametrize("ds", DATASETS, ids=lambda d: d.key)
def test_every_staging_model_is_documented_and_keyed(ds: Dataset):
    models = _models(ds.system)
    name = staging_model_name(ds)
    assert name in models, f"{models_path(ds.system)} has no entry for {name}"
    model = models[name]
    assert model.get("description", "").strip()
    assert model.get("config", {}).get("meta", {}).get("owner") == ds.owner
    columns = model["columns"]
    assert all(c.get("description", "").strip() for c in columns), f"{name}: undescribed column"
    names = [c["name"] for c in columns]
    assert names[-4:] == PROVENANCE, f"{name}: provenance columns must come last"
    assert len(names) == len(set(names)), f"{name}: duplicate column entry"
    # the first column is the natural or surrogate key: unique and not null (the model's not_null_columns test);
    # an incremental model's key test looks at its new rows when the last release vouched for the others
    sql = staging_model_path(ds).read_text()
    key_test = "unique_incremental" if "materialized='incremental'" in sql else "unique"
    assert key_test in _test_names(columns[0]), f"{name}: key column {names[0]} needs a {key_test} test"
    not_null = [
        t["not_null_columns"] for t in model.get("data_tests", []) if isinstance(t, dict) and "not_null_columns" in t
    ]
    assert not_null and names[0] in not_null[0]["arguments"]["column_names"], f"{name}: {names[0]} needs not_null"


@pytest.mark.parametrize("ds", DATASETS, ids=lambda d: d.key)
def test_registry_enums_are_checked_once_at_landing(ds: Dataset):
    """A registry field's allowed values are the contract's: ingest quarantines a row holding another value and
    the generated landing suite checks the landed values (test_quality_suites: the suite covers the registry's
    contract); an accepted_values test on the staging model would check them a third time, one more dbt node
    every night."""
    value_sets = _accepted_value_sets(_models(ds.system)[staging_model_name(ds)])
    for field in ds.fields:
        if field.allowed:
            assert set(field.allowed) not in value_sets, (
                f"{ds.key}.{field.name}: its allowed values are checked at landing; drop the staging test"
            )


@pytest.mark.parametrize("system", systems())
def test_models_files_hold_only_registry_models(system):
    expected = {staging_model_name(ds) for ds in DATASETS if ds.system == system}
    assert set(_models(system)) == expected
    sql_files = {p.stem for p in (STAGING_DIR / system).glob("*.sql")}
    assert sql_files == expected


DATASETS_BY_KEY = {f"{ds.system}/{ds.name}": ds for ds in DATASETS}


def _money_destinations() -> dict[tuple[str, str], str]:
    """(dataset, money field) -> the relation macro money_destinations() names for it, read from its text."""
    text = (STAGING_DIR.parent.parent / "macros" / "repeats.sql").read_text(encoding="utf-8")
    body = text[text.index("{% macro money_destinations() -%}") :]
    body = body[: body.index("{%- endmacro %}")]
    return {(d, f): rel for d, f, rel in re.findall(r"\('([a-z_]+/[a-z_]+)', '([a-z_]+)', '([a-z_]+)'", body)}


def test_every_money_field_has_a_destination_the_money_gate_checks():
    """fct_money_completeness follows each registry money field to the relation money_destinations() names: a
    money field of a new dataset (an AI tool's charges) without one would never be checked; a staging
    destination must be the dataset's own staging model."""
    destinations = _money_destinations()
    wanted = {(f"{ds.system}/{ds.name}", f.name) for ds in DATASETS for f in ds.money_fields}
    assert wanted == set(destinations), (wanted - set(destinations), set(destinations) - wanted)
    for (dataset, _), relation in destinations.items():
        if relation.startswith("stg_"):
            assert relation == staging_model_name(DATASETS_BY_KEY[dataset]), (dataset, relation)
            assert staging_model_path(DATASETS_BY_KEY[dataset]).exists(), relation


def test_the_usage_datasets_are_one_list_in_the_gate_the_mart_and_the_attribution():
    """The GX usage reconciliation (USAGE_DATASETS), fct_ai_usage's accepted source datasets and the AI tool
    datasets int_usage__attributed reads (macro usage_ai_tool_staging) name the same datasets: a usage source
    added to one and not the others would go unreconciled or be refused by the mart's test."""
    from orchestration.quality.marts import USAGE_DATASETS

    spine = yaml.safe_load((STAGING_DIR.parent / "marts" / "_spine__models.yml").read_text(encoding="utf-8"))
    usage = next(m for m in spine["models"] if m["name"] == "fct_ai_usage")
    column = next(c for c in usage["columns"] if c["name"] == "source_dataset")
    accepted = next(t["accepted_values"]["arguments"]["values"] for t in column["data_tests"])
    macro = (STAGING_DIR.parent.parent / "macros" / "usage_events.sql").read_text(encoding="utf-8")
    body = macro[macro.index("{% macro usage_ai_tool_staging() -%}") :]
    ai_tools = re.findall(r"'(ai/[a-z_]+)': ref\('(stg_ai__[a-z_]+)'\)", body[: body.index("{%- endmacro %}")])
    assert sorted(USAGE_DATASETS) == sorted(accepted)
    assert {d for d in USAGE_DATASETS if d.startswith("ai/")} == {d for d, _ in ai_tools}
    assert all(model == staging_model_name(DATASETS_BY_KEY[d]) for d, model in ai_tools)


def test_openai_usage_endpoints_are_one_list_in_the_registry_the_units_and_the_seed():
    """Every result object the registry accepts for usage/openai_usage has its unit in macro openai_usage_units
    (the demo and the tests price with the same map), and every unit other than tokens has a seed price, so
    no endpoint is unpriced by omission (seen failing with web searches dropped from the map)."""
    from orchestration.registry.usage import OPENAI_RESULT_OBJECTS
    from roi_ledger_demo.openai_endpoints import SEED_UNIT

    macro = (STAGING_DIR.parent.parent / "macros" / "openai_usage.sql").read_text(encoding="utf-8")
    body = macro[macro.index("{% macro openai_usage_units() -%}") :]
    units = dict(re.findall(r"'([a-z_]+)': '([a-z_]+)'", body[: body.index("{%- endmacro %}")]))
    kinds = {o.removeprefix("organization.usage.").removesuffix(".result") for o in OPENAI_RESULT_OBJECTS.values()}
    assert set(units) == kinds
    assert {k: u for k, u in units.items() if u != "tokens"} == SEED_UNIT
    seed = (STAGING_DIR.parent.parent / "seeds" / "unit_prices.csv").read_text(encoding="utf-8")
    assert set(SEED_UNIT.values()) <= set(re.findall(r"^openai,([a-z_]+),", seed, flags=re.M))
