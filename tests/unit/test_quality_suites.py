"""The committed GX suites stay in step with the dataset registry and the mart gates (no database)."""

from __future__ import annotations

import json

import pytest

from orchestration import codegen
from orchestration.datasets import BY_KEY, DATASETS, Dataset
from orchestration.ingest.landing import landing_columns
from orchestration.quality import suites
from orchestration.quality.marts import MART_GATES
from orchestration.quality.thresholds import dbt_vars, gate_thresholds, share


def _rules(suite: dict) -> dict[str, dict]:
    return {e["meta"]["rule"]: e for e in suite["expectations"]}


@pytest.mark.parametrize("name", list(suites.all_suites()))
def test_committed_suite_equals_the_generated_one(name):
    path = suites.suite_path(name)
    assert path.exists(), f"{path} missing: run `make generate`"
    assert path.read_text(encoding="utf-8") == suites.render(suites.all_suites()[name]), (
        f"{path} differs from the registry / mart gates: run `make generate`"
    )


def test_no_committed_suite_without_a_source():
    on_disk = {p.stem for p in suites.SUITES_DIR.glob("*.json")}
    assert on_disk == set(suites.all_suites())
    assert len(on_disk) == len(DATASETS) + len(MART_GATES)


def test_check_mode_reports_no_drift():
    assert codegen.changes(suites.generated_files()) == []


def test_check_mode_reports_a_suite_edited_by_hand_and_a_stale_one(tmp_path, monkeypatch):
    monkeypatch.setattr(suites, "SUITES_DIR", tmp_path / "orchestration" / "quality" / "suites")
    suites.SUITES_DIR.mkdir(parents=True)
    files = suites.generated_files()
    codegen.apply(files, codegen.changes(files))  # writes every suite
    edited = suites.suite_path("landing__usage__litellm_spend_logs")
    doc = json.loads(edited.read_text())
    doc["expectations"] = doc["expectations"][1:]
    edited.write_text(json.dumps(doc))
    (suites.SUITES_DIR / "landing__gone__dataset.json").write_text("{}")
    files = suites.generated_files()
    found = codegen.changes(files)
    assert [(c.path.name, c.action) for c in found] == [
        ("landing__usage__litellm_spend_logs.json", "write"),
        ("landing__gone__dataset.json", "remove"),
    ]
    codegen.apply(files, found)  # rewrites the edited one, removes the stale one
    assert codegen.changes(suites.generated_files()) == []


@pytest.mark.parametrize("ds", DATASETS, ids=lambda d: d.key)
def test_landing_suite_covers_the_registry_contract(ds: Dataset):
    suite = suites.load(suites.landing_suite_name(ds))
    assert suite["meta"]["batch_query"] == f"SELECT * FROM {ds.table}"
    assert suite["meta"]["asset_key"] == ["landing", ds.system, ds.name]
    rules = _rules(suite)
    assert rules["columns"]["kwargs"] == {"column_set": [n for n, _ in landing_columns(ds)], "exact_match": True}
    assert {r.removeprefix("not_null:") for r in rules if r.startswith("not_null:") and " when " not in r} == {
        f.name for f in ds.fields if f.required
    }
    # a field required for some values of another: not null on exactly those rows
    conditional = {r: e["kwargs"] for r, e in rules.items() if r.startswith("not_null:") and " when " in r}
    assert conditional == {
        f"not_null:{f.name} when {f.required_when[0]}": {
            "column": f.name,
            "row_condition": {
                "type": "comparison",
                "column": {"name": f.required_when[0]},
                "operator": "IN",
                "parameter": list(f.required_when[1]),
            },
        }
        for f in ds.fields
        if f.required_when
    }
    allowed = {
        r.removeprefix("allowed:"): e["kwargs"]["value_set"] for r, e in rules.items() if r.startswith("allowed:")
    }
    assert allowed == {f.name: list(f.allowed) for f in ds.fields if f.allowed}
    # landing keeps every copy a vendor shipped: uniqueness is gated on the staged result, not here
    assert not [r for r in rules if r.startswith("unique:")]
    volume = rules["volume"]
    assert volume["meta"]["gate"] == suites.VOLUME_GATE
    assert volume["kwargs"] == {"min_value": {"$PARAMETER": suites.VOLUME_PARAMETER}}
    assert {e["meta"]["gate"] for r, e in rules.items() if r != "volume"} == {suites.LANDING_GATE}


def test_ranges_are_counts_and_durations_never_money():
    def rules(key):
        return {r for r in _rules(suites.landing_suite(BY_KEY[key])) if r.startswith(("non_negative:", "ordered:"))}

    assert rules("usage/litellm_spend_logs") == {
        "non_negative:total_tokens",
        "non_negative:prompt_tokens",
        "non_negative:completion_tokens",
        "non_negative:request_duration_ms",
        "ordered:start_time<=end_time",
    }
    assert {"non_negative:num_model_requests", "ordered:bucket_start<=bucket_end"} <= rules("usage/openai_usage")
    # FOCUS amounts may be negative (credits, corrections): only the period intervals are ordered
    assert rules("billing/focus") == {
        "ordered:billing_period_start<=billing_period_end",
        "ordered:charge_period_start<=charge_period_end",
    }
    assert rules("delivery/incidents") == {"ordered:time_created<=time_resolved"}
    assert rules("delivery/work_items") == {"non_negative:effort_hours", "ordered:created<=resolved"}
    # the scenario model quarantines impossible assumptions itself and lets the others publish
    assert rules("assumptions/scenarios") == set()
    pair = _rules(suites.landing_suite(BY_KEY["billing/focus"]))["ordered:charge_period_start<=charge_period_end"]
    assert pair["kwargs"] == {
        "column_A": "charge_period_end",
        "column_B": "charge_period_start",
        "or_equal": True,
        "ignore_row_if": "either_value_is_missing",
    }


def test_mart_suites_read_their_thresholds_from_dbt_vars():
    values = gate_thresholds()
    assert values["attribution_coverage_min"] == dbt_vars()["attribution_coverage_min"]
    for gate in MART_GATES:
        suite = suites.load(gate.suite_name)
        assert suite["meta"]["asset_key"] == list(gate.asset_key)
        assert suite["meta"]["batch_query"].startswith("SELECT")
        text = json.dumps(suite["expectations"])
        for name in gate.parameters:
            assert name in values and f'{{"$PARAMETER": "{name}"}}' in text
        assert '"$PARAMETER"' not in text or gate.parameters


def test_gate_vars_are_validated(tmp_path):
    project = tmp_path / "dbt_project.yml"
    project.write_text("vars:\n  gate_volume_drop_max: 1.5\n  attribution_coverage_min: '0.95'\n")
    with pytest.raises(ValueError, match="between 0 and 1"):
        share("gate_volume_drop_max", project)
    with pytest.raises(ValueError, match="share"):
        share("attribution_coverage_min", project)
    with pytest.raises(KeyError, match="unclassified_ai_spend_max"):
        share("unclassified_ai_spend_max", project)


def test_every_committed_suite_loads_into_great_expectations():
    from great_expectations.core.expectation_suite import ExpectationSuite

    for name, suite in suites.all_suites().items():
        loaded = ExpectationSuite(name=name, expectations=suite["expectations"], meta=suite["meta"])
        assert len(loaded.expectations) == len(suite["expectations"]), name
