"""One scenario-model run over candidate rows: quarantine without stopping the others, rollups, the tables."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import numpy as np
import pytest

from orchestration.scenarios.asset import TABLES, write_run
from orchestration.scenarios.model import simulate
from orchestration.scenarios.run import row_problems, run_scenarios, to_scenario

N = 10_000


def _row(scenario_id: str, **over) -> dict:
    row = {
        "scenario_id": scenario_id,
        "ai_system_id": "ais-a",
        "ledger": "defensive",
        "input_origin": "assumptions/scenarios",
        "ai_system_known": True,
        "superseded_by": None,
        "currency": "USD",
        "frequency_model": "poisson",
        "frequency_low": None,
        "frequency_mode": 0.5,
        "frequency_high": None,
        "loss_low_90": Decimal("10000"),
        "loss_high_90": Decimal("200000"),
        "control_efficacy": 0.4,
        "loss_reduction": 0.2,
        "annual_control_cost": Decimal("5000"),
        "horizon_years": 3,
        "incident_category": None,
        "use_observed": None,
        "frequency_source": "cited",
        "loss_source": "cited",
        "control_source": "cited",
        "control_cost_source": "cited",
        "_source_file": "raw/scenarios.csv",
        "_line": 2,
    }
    row.update(over)
    return row


@pytest.mark.parametrize(
    "over, column, words",
    [
        ({"loss_low_90": Decimal("500000")}, "loss_high_90", "loss range"),
        ({"loss_low_90": Decimal("-1")}, "loss_low_90", "loss range"),
        ({"control_efficacy": 1.5}, "control_efficacy", "[0, 1]"),
        ({"loss_reduction": -0.2}, "loss_reduction", "[0, 1]"),
        ({"ai_system_known": False, "ai_system_id": "ais-nope"}, "ai_system_id", "unknown AI system 'ais-nope'"),
        ({"frequency_model": "weibull"}, "frequency_model", "unknown frequency_model"),
        ({"frequency_model": "pert", "frequency_low": 3.0, "frequency_high": 1.0}, "frequency_low", "pert needs"),
        ({"ledger": "marketing"}, "ledger", "unknown ledger"),
        ({"currency": "dollars"}, "currency", "ISO 4217"),
        ({"use_observed": "frequency;vibes", "incident_category": "phishing"}, "use_observed", "vibes"),
        ({"use_observed": "loss"}, "incident_category", "needs an incident_category"),
        ({"superseded_by": "raw/new.csv line 4"}, "scenario_id", "given again in raw/new.csv line 4"),
    ],
)
def test_each_impossible_row_is_refused_with_its_column(over, column, words):
    problems = row_problems(_row("bad", **over))
    assert any(c == column and words in reason for c, reason in problems), problems


def test_a_realistic_row_has_no_problem():
    assert row_problems(_row("ok")) == []


def test_bad_rows_are_quarantined_and_the_others_still_run():
    rows = [
        _row("good-1"),
        _row("bad-range", loss_low_90=Decimal("900000"), _line=3),
        _row("good-2", ai_system_id="ais-b", _line=4),
        _row("bad-system", ai_system_known=False, ai_system_id="ais-ghost", _line=5),
    ]
    run = run_scenarios(rows, seed=7, iterations=N)
    assert [r["scenario_id"] for r in run.results] == ["good-1", "good-2"]
    assert {(q["scenario_id"], q["line"], q["column_name"]) for q in run.quarantine} == {
        ("bad-range", 3, "loss_high_90"),
        ("bad-system", 5, "ai_system_id"),
    }
    assert all(q["source_file"] == "raw/scenarios.csv" for q in run.quarantine)
    # every simulated scenario has its five swings, ranked
    assert sorted((s["scenario_id"], s["swing_rank"]) for s in run.sensitivities) == [
        (sid, rank) for sid in ("good-1", "good-2") for rank in range(1, 6)
    ]


def test_results_echo_inputs_seed_and_sources_and_match_a_direct_simulation():
    run = run_scenarios([_row("s")], seed=11, iterations=N)
    (res,) = run.results
    assert (res["seed"], res["iterations"], res["frequency_source"], res["_line"]) == (11, N, "cited", 2)
    direct = simulate(to_scenario(_row("s")), seed=11, iterations=N)
    assert res["net_benefit_mean"] == pytest.approx(float(direct["net_benefit"].mean()), rel=1e-12)
    assert res["avoided_loss_p5"] >= 0
    assert res["expected_baseline_loss_closed_form"] == pytest.approx(to_scenario(_row("s")).expected_annual_loss())


def test_rollups_add_draws_per_year_not_percentiles():
    rows = [_row("a1"), _row("a2", frequency_mode=2.0), _row("b1", ai_system_id="ais-b"), _row("e1", currency="EUR")]
    run = run_scenarios(rows, seed=3, iterations=N)
    by = {(r["rollup_level"], r["ai_system_id"], r["currency"]): r for r in run.rollups}
    a = by[("ai_system", "ais-a", "USD")]
    assert a["scenario_count"] == 2 and a["scenario_ids"] == "a1;a2"
    d1 = simulate(to_scenario(_row("a1")), seed=3, iterations=N)
    d2 = simulate(to_scenario(_row("a2", frequency_mode=2.0)), seed=3, iterations=N)
    total = d1["net_benefit"] + d2["net_benefit"]
    assert a["net_benefit_p95"] == pytest.approx(float(np.percentile(total, 95)))
    assert a["net_benefit_mean"] == pytest.approx(float(total.mean()))
    means = {r["scenario_id"]: r["net_benefit_mean"] for r in run.results}
    assert a["net_benefit_mean"] == pytest.approx(means["a1"] + means["a2"])
    port = by[("portfolio", None, "USD")]
    assert port["scenario_count"] == 3  # the EUR scenario is never added to USD ones
    assert by[("portfolio", None, "EUR")]["scenario_count"] == 1


def test_same_seed_same_run_other_seed_other_numbers():
    rows = [_row("a1"), _row("b1", ai_system_id="ais-b", frequency_model="bernoulli", frequency_mode=0.3)]
    one, two = run_scenarios(rows, seed=5, iterations=N), run_scenarios(rows, seed=5, iterations=N)
    assert one.results == two.results and one.sensitivities == two.sensitivities and one.rollups == two.rollups
    assert run_scenarios(rows, seed=6, iterations=N).results != one.results


def test_threads_change_nothing_bit_for_bit():
    """Scenarios run in threads (run_scenarios' workers): every output is the single-threaded one, in the same
    order, with quarantined rows between them."""
    rows = [
        _row(
            f"s{i}",
            ai_system_id=f"ais-{i % 3}",
            frequency_mode=0.2 + i / 10,
            control_efficacy=0.1 * (i % 5),
            ledger=("defensive", "efficiency")[i % 2],
        )
        for i in range(7)
    ]
    rows.insert(3, _row("bad", control_efficacy=2.0))
    one = run_scenarios(rows, seed=13, iterations=N, workers=1)
    many = run_scenarios(rows, seed=13, iterations=N, workers=4)
    assert [r["scenario_id"] for r in many.results] == [f"s{i}" for i in range(7)]
    assert many.results == one.results and many.sensitivities == one.sensitivities
    assert many.rollups == one.rollups and many.quarantine == one.quarantine
    assert [q["scenario_id"] for q in many.quarantine] == ["bad"]


def test_too_few_iterations_are_refused():
    with pytest.raises(ValueError, match="iterations"):
        run_scenarios([_row("a")], seed=1, iterations=9_999)


def test_write_run_replaces_the_tables_and_a_rerun_leaves_the_same_rows(tmp_path):
    rows = [_row("a1"), _row("bad", control_efficacy=2.0, _line=9)]
    con = duckdb.connect(str(tmp_path / "b.duckdb"))
    for _ in range(2):
        write_run(con, run_scenarios(rows, seed=1, iterations=N))
    counts = {t: con.execute(f"SELECT count(*) FROM scenario_model.{t}").fetchall()[0][0] for t in TABLES}
    assert counts == {
        "scenario_results": 1,
        "scenario_sensitivity": 5,
        "scenario_rollups": 2,
        "scenario_quarantine": 1,
        "run_parameters": 1,
    }
    assert con.execute("SELECT line, column_name FROM scenario_model.scenario_quarantine").fetchall() == [
        (9, "control_efficacy")
    ]
    cols = [d[0] for d in con.execute("SELECT * FROM scenario_model.scenario_results").description]
    assert cols == [c for c, _ in TABLES["scenario_results"]]


def test_run_config_defaults_and_refuses_too_few_iterations():
    from orchestration.nightly import scenario_run_config
    from orchestration.scenarios.asset import ScenarioConfig
    from orchestration.scenarios.model import DEFAULT_ITERATIONS, DEFAULT_SEED

    cfg = ScenarioConfig()
    assert (cfg.seed, cfg.iterations) == (DEFAULT_SEED, DEFAULT_ITERATIONS)
    with pytest.raises(Exception, match="10000"):
        ScenarioConfig(iterations=9_999)
    assert scenario_run_config(None, None) == {}
    assert scenario_run_config(7, None) == {"ops": {"scenario_model": {"config": {"seed": 7}}}}
    assert scenario_run_config(None, 20_000) == {"ops": {"scenario_model": {"config": {"iterations": 20_000}}}}
