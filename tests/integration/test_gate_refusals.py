"""Every release gate of the marts refuses bad data.

One corruption per gate is written into a copy of the demo's build database (never the shared one), then the
gate's dbt test and the GX mart gates run against it: each must fail, and each must pass on an untouched copy.
That a failing error-severity check blocks the release, leaving the published file byte-identical, is shown
end to end by test_nightly, test_spine, test_finance_ledger, test_release_records and test_gx_gates; here
every gate shows it can fail at all.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.cli import EXIT_OK
from orchestration.settings import Paths
from tests.conftest import dbt_cli

#: gate (singular dbt test) -> the SQL that breaks exactly what it guards, on the build database copy
CORRUPTIONS = {
    "assert_attribution_coverage_min": (
        "UPDATE marts.fct_attribution_coverage SET cost_share = 0.5 WHERE grain = 'overall' AND source_dataset = 'all'"
    ),
    "assert_usage_cost_reconciles": (
        "UPDATE marts.fct_ai_usage SET cost_amount = cost_amount + 0.01 WHERE usage_key = (SELECT "
        "min(usage_key) FROM marts.fct_ai_usage)"
    ),
    "assert_claude_code_breakdown_within_slots": (
        "UPDATE staging.stg_ai__claude_code_usage SET model_breakdown_json = '[{}, {}, {}, {}, {}, {}, "
        '{"model": "m7"}]\' WHERE claude_code_row_id = (SELECT min(claude_code_row_id) FROM '
        "staging.stg_ai__claude_code_usage)"
    ),
    "assert_cost_separation_reconciles": (
        "UPDATE marts.fct_cost_lines SET billed_cost = billed_cost + 1 WHERE cost_line_id = (SELECT "
        "min(cost_line_id) FROM marts.fct_cost_lines)"
    ),
    "assert_cost_separation_no_duplicate_billed_line": (
        "INSERT INTO marts.fct_cost_lines SELECT * FROM marts.fct_cost_lines WHERE cost_line_id = (SELECT "
        "max(cost_line_id) FROM marts.fct_cost_lines)"
    ),
    "assert_cost_separation_unclassified_ai_spend": (
        "UPDATE marts.fct_cost_lines SET cost_class = NULL WHERE is_ai_spend"
    ),
    "assert_one_claim_per_benefit": (
        "UPDATE seeds.benefit_catalogue SET ledger = 'efficiency' WHERE benefit_type = 'avoided_incident_loss'"
    ),
    "assert_risk_counter_entries_not_positive": (
        "UPDATE marts.fct_defensive_roi SET amount_usd = 100 WHERE defensive_roi_key = (SELECT "
        "min(defensive_roi_key) FROM marts.fct_defensive_roi WHERE row_type = 'risk_counter_entry')"
    ),
    "assert_control_framework_map_items_exist": (
        "INSERT INTO seeds.control_framework_map SELECT * REPLACE ('NOT-AN-ITEM' AS framework_item_id) FROM "
        "seeds.control_framework_map LIMIT 1"
    ),
    "assert_control_framework_map_covers_main_frameworks": (
        "DELETE FROM seeds.control_framework_map WHERE control_id = (SELECT min(control_id) FROM "
        "seeds.control_framework_map) AND framework = 'nist_csf_2_0'"
    ),
    "assert_cost_classification_rules_unique": (
        "INSERT INTO seeds.cost_classification_rules SELECT * FROM seeds.cost_classification_rules LIMIT 1"
    ),
}
#: GX mart gate -> the corruptions above it must see (it reads the same marts through its own summaries)
GX_GATES = {
    "gx_attribution_coverage": "assert_attribution_coverage_min",
    "gx_usage_cost_reconciles": "assert_usage_cost_reconciles",
    "gx_cost_separation": "assert_cost_separation_reconciles",
    "gx_one_claim_per_benefit": "assert_one_claim_per_benefit",
}


#: Intermediate models (tables) built from a corrupted seed: rebuilt after the corruption, as the night would.
REBUILT = sorted(
    {f"{seed}+,path:models/intermediate" for sql in CORRUPTIONS.values() for seed in re.findall(r"seeds\.(\w+)", sql)}
)


def _dbt_gate_results(db: Path, target: Path) -> dict[str, str]:
    """Run the gates' dbt tests as the pipeline does, in a dbt process of its own, after rebuilding the
    intermediate tables a corrupted seed feeds."""
    rebuilt = dbt_cli(db, target, "run", "--select", *REBUILT)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    proc = dbt_cli(db, target, "test", "--select", *CORRUPTIONS)
    results = json.loads((target / "run_results.json").read_text())["results"]
    assert results, proc.stdout + proc.stderr
    return {
        r["unique_id"].split(".")[-1]: r["status"] for r in results if not r["unique_id"].startswith("operation.")
    }  # the project's on-run-start hook is no gate


def _copy(published_demo, root: Path, corrupt: list[str]) -> Paths:
    data_dir, rc, _ = published_demo
    assert rc == EXIT_OK
    paths = Paths(root)
    paths.warehouse.mkdir(parents=True)
    shutil.copyfile(data_dir / "warehouse" / "roi.duckdb", paths.build_db)
    con = duckdb.connect(str(paths.build_db))
    try:
        for name in corrupt:
            con.execute(CORRUPTIONS[name])
    finally:
        con.close()
    return paths


@pytest.fixture(scope="module")
def gate_runs(published_demo, module_tmp):
    clean = _copy(published_demo, module_tmp("gates_clean"), [])
    bad = _copy(published_demo, module_tmp("gates_bad"), list(CORRUPTIONS))
    return {
        "clean": (clean, _dbt_gate_results(clean.build_db, clean.warehouse / "dbt")),
        "bad": (bad, _dbt_gate_results(bad.build_db, bad.warehouse / "dbt")),
    }


def test_every_dbt_gate_passes_on_the_demo_and_fails_on_its_corruption(gate_runs):
    _, clean = gate_runs["clean"]
    _, bad = gate_runs["bad"]
    assert set(clean) == set(bad) == set(CORRUPTIONS)
    assert {n: s for n, s in clean.items() if s != "pass"} == {}
    assert {n: s for n, s in bad.items() if s != "fail"} == {}


@pytest.mark.parametrize("check", sorted(GX_GATES))
def test_every_gx_mart_gate_passes_on_the_demo_and_fails_on_its_corruption(gate_runs, check):
    from orchestration.quality.checks import mart_gate_results

    verdicts = {}
    for state in ("clean", "bad"):
        paths, _ = gate_runs[state]
        results = {r.check_name: r for r in mart_gate_results(paths, f"gates-{state}")}
        verdicts[state] = results[check]
    assert verdicts["clean"].passed, verdicts["clean"].metadata
    assert not verdicts["bad"].passed
    assert verdicts["bad"].severity.value == "ERROR"
    assert verdicts["bad"].metadata.get("failed_expectations")
