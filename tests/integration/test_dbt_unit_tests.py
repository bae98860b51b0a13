"""Every dbt unit test of the project, once per session (the nightly build leaves them out: they test the SQL's
logic on fixed inputs, not the night's data).

dbt reads the column types of a unit test's inputs from the database, so they run against a copy of the
demo night's build database, where every model they read exists.
"""

from __future__ import annotations

import json
import shutil

import pytest
from dbt.cli import main as dbt_main

from orchestration.dbt import LAYER_SELECTORS
from orchestration.settings import DBT_PROJECT_DIR, DUCKDB_PATH_ENV, Paths
from tests.conftest import AS_OF

pytestmark = pytest.mark.slow


def _unit_tests_in_manifest() -> set[str]:
    manifest = json.loads((DBT_PROJECT_DIR / "target" / "manifest.json").read_text())
    return set(manifest.get("unit_tests", {}))


@pytest.fixture(scope="module")
def unit_run(published_demo, module_tmp):
    data_dir, rc, _ = published_demo
    assert rc == 0
    tmp = module_tmp("dbt_unit")
    db = tmp / "roi.duckdb"
    shutil.copy2(Paths(data_dir).build_db, db)
    args = [
        "test",
        "--select",
        "test_type:unit",
        "--vars",
        json.dumps({"as_of": AS_OF.isoformat()}),
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(tmp / "target"),
        "--log-path",
        str(tmp / "logs"),
        "--quiet",
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(DUCKDB_PATH_ENV, str(db))
        return dbt_main.dbtRunner().invoke(args)


def test_every_dbt_unit_test_passes(unit_run):
    # the project's on-run-start hook (schema `increments`) runs too: its result is no unit test's
    outcomes = {
        r.node.unique_id: str(r.status) for r in (unit_run.result or []) if r.node.unique_id.startswith("unit_test.")
    }
    failed = {uid: status for uid, status in outcomes.items() if status != "pass"}
    assert unit_run.success and not failed, failed or unit_run.exception
    assert set(outcomes) == _unit_tests_in_manifest()  # all of them ran, here and nowhere else
    assert len(outcomes) >= 40


def test_the_nightly_build_ran_no_unit_test(published_demo):
    data_dir, _, _ = published_demo
    layers = sorted(Paths(data_dir).dbt_target.glob("*/run_results.json"))
    ran = [r["unique_id"] for p in layers for r in json.loads(p.read_text())["results"]]
    assert len(layers) == len(LAYER_SELECTORS) and len(ran) > 100
    assert [u for u in ran if u.startswith("unit_test.")] == []
