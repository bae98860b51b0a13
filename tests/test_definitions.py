"""The asset graph as a lineage contract: keys, dependencies, groups, owners and checks.

A change to the graph fails this test until the snapshot is regenerated on purpose:
``UPDATE_SNAPSHOTS=1 pytest tests/test_definitions.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


@pytest.fixture(scope="module")
def defs(dbt_manifest):
    from orchestration.definitions import defs

    return defs


def _graph(defs) -> dict:
    repo = defs.get_repository_def()
    graph = repo.asset_graph
    out = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        out[key.to_user_string()] = {
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "group": node.group_name,
            "owners": sorted(node.owners),
            "checks": sorted(c.name for c in node.check_keys) if hasattr(node, "check_keys") else [],
        }
    return out


def test_asset_graph_matches_snapshot(defs):
    current = _graph(defs)
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    assert SNAPSHOT.exists(), f"{SNAPSHOT} is missing: write it on purpose with UPDATE_SNAPSHOTS=1"
    assert current == json.loads(SNAPSHOT.read_text())


def test_every_dataset_has_ingest_asset_staging_model_and_lineage(defs):
    from orchestration.datasets import DATASETS

    g = _graph(defs)
    for ds in DATASETS:
        landing = f"landing/{ds.system}/{ds.name}"
        staging = f"staging/stg_{ds.system}__{ds.name}"
        assert landing in g and staging in g
        assert landing in g[staging]["deps"], f"{staging} must read {landing}"
        assert g[landing]["owners"], landing
        assert {"has_rows", "no_quarantine"} <= set(g[landing]["checks"])
    release = g["release/published_roi"]
    assert {f"staging/stg_{d.system}__{d.name}" for d in DATASETS} <= set(release["deps"])


def test_nightly_job_and_schedule(defs):
    job = defs.resolve_job_def("nightly")
    assert job.executor_def.name == "in_process"
    sched = defs.resolve_schedule_def("nightly_schedule")
    assert sched.job_name == "nightly"
    assert sched.execution_timezone == "UTC"


def test_scenario_lineage_runs_from_the_assumptions_file_to_the_portfolio(defs):
    """Auditors trace a scenario interval back to its raw line: every hop is an edge of the graph."""
    g = _graph(defs)
    chain = [
        ("landing/assumptions/scenarios", "staging/stg_assumptions__scenarios"),
        ("staging/stg_assumptions__scenarios", "intermediate/int_scenarios__candidates"),
        ("seeds/scenario_library", "intermediate/int_scenarios__candidates"),
        ("intermediate/int_scenarios__candidates", "intermediate/int_scenarios__observed"),
        ("intermediate/int_scenarios__observed", "intermediate/int_scenarios__inputs"),
        ("intermediate/int_scenarios__inputs", "scenario_model/scenario_results"),
        ("scenario_model/scenario_results", "marts/fct_roi_scenarios"),
        ("scenario_model/scenario_sensitivity", "marts/fct_roi_scenario_sensitivity"),
        ("scenario_model/scenario_quarantine", "marts/fct_roi_scenario_quarantine"),
        ("scenario_model/scenario_rollups", "marts/fct_roi_scenario_rollups"),
        ("marts/fct_roi_scenario_rollups", "marts/fct_roi_portfolio"),
    ]
    for parent, child in chain:
        assert parent in g[child]["deps"], f"{child} must read {parent}"
    assert g["scenario_model/scenario_results"]["owners"] == ["team:security"]
    assert set(g["scenario_model/scenario_results"]["checks"]) == {
        "no_scenario_quarantined",
        "every_sanctioned_system_simulated",
    }
