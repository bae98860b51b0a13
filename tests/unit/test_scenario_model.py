"""The Monte Carlo model against its closed forms (docs/METHOD.md section 4), and its refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from orchestration.scenarios.model import (
    Scenario,
    sensitivity,
    simulate,
    simulate_controls,
    simulate_with_sensitivity,
    summarise,
)

N = 100_000


def _mean_within_3se(s: Scenario, measure: str, expected: float, seed: int = 7) -> dict:
    stats = summarise(s, simulate(s, seed=seed, iterations=N))
    se = stats[f"{measure}_mean_se"]
    assert abs(stats[f"{measure}_mean"] - expected) <= 3 * se, (stats[f"{measure}_mean"], expected, se)
    return stats


def test_poisson_mean_matches_the_closed_form():
    s = Scenario("breach", "poisson", 0.1, 100_000, 1_000_000)
    expected = 0.1 * math.exp(s.mu + s.sigma**2 / 2)
    assert 40_000 < expected < 40_800  # about $40,400, as the method says
    _mean_within_3se(s, "baseline_loss", expected)


def test_bernoulli_mean_matches_the_closed_form():
    s = Scenario("once", "bernoulli", 0.3, 50_000, 400_000)
    stats = _mean_within_3se(s, "baseline_loss", 0.3 * math.exp(s.mu + s.sigma**2 / 2))
    draws = simulate(s, seed=1, iterations=N)
    assert abs((draws["baseline_loss"] > 0).mean() - 0.3) < 0.01  # at most one event a year
    assert stats["baseline_loss_p50"] == 0.0


def test_pert_mean_matches_the_closed_form():
    s = Scenario("pert", "pert", 2.0, 10_000, 80_000, frequency_low=0.5, frequency_high=6.0)
    _mean_within_3se(s, "baseline_loss", (0.5 + 4 * 2.0 + 6.0) / 6 * math.exp(s.mu + s.sigma**2 / 2))


def test_control_effect_matches_the_closed_form_and_avoided_loss_is_never_negative():
    s = Scenario(
        "ctl", "poisson", 3.0, 20_000, 200_000, control_efficacy=0.4, loss_reduction=0.25, annual_control_cost=50_000
    )
    base = s.expected_annual_loss()
    stats = _mean_within_3se(s, "residual_loss", base * 0.6 * 0.75)
    draws = simulate(s, seed=7, iterations=N)
    assert (draws["avoided_loss"] >= 0).all()  # one coupled event stream
    assert np.allclose(draws["net_benefit"], draws["avoided_loss"] - 50_000)
    assert stats["p_net_negative"] == pytest.approx((draws["net_benefit"] < 0).mean())
    for m in ("baseline_loss", "avoided_loss"):
        p = [stats[f"{m}_p{q}"] for q in (5, 10, 50, 90, 95)]
        assert p == sorted(p)


def test_same_seed_same_numbers_other_seed_other_numbers():
    s = Scenario("repro", "poisson", 1.5, 1_000, 90_000, control_efficacy=0.5)
    a = summarise(s, simulate(s, seed=42, iterations=20_000))
    b = summarise(s, simulate(s, seed=42, iterations=20_000))
    c = summarise(s, simulate(s, seed=43, iterations=20_000))
    assert a == b
    assert a != c


def test_each_scenario_has_its_own_stream():
    a = Scenario("a", "poisson", 1.0, 1_000, 10_000)
    b = Scenario("b", "poisson", 1.0, 1_000, 10_000)
    assert not np.array_equal(
        simulate(a, seed=1, iterations=10_000)["baseline_loss"], simulate(b, seed=1, iterations=10_000)["baseline_loss"]
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"loss_low_90": 5_000, "loss_high_90": 1_000}, "loss range"),
        ({"loss_low_90": -1}, "loss range"),
        ({"control_efficacy": 1.2}, "control_efficacy"),
        ({"loss_reduction": -0.1}, "loss_reduction"),
        ({"frequency_model": "weibull"}, "unknown frequency_model"),
        ({"frequency_model": "bernoulli", "frequency_mode": 2.0}, "yearly probability"),
        ({"frequency_model": "pert", "frequency_low": 3.0, "frequency_high": 1.0}, "pert needs"),
        ({"annual_control_cost": -5}, "annual_control_cost"),
    ],
)
def test_impossible_inputs_are_refused_with_the_reason(kwargs, message):
    args = {
        "scenario_id": "bad",
        "frequency_model": "poisson",
        "frequency_mode": 1.0,
        "loss_low_90": 1_000,
        "loss_high_90": 10_000,
        **kwargs,
    }
    with pytest.raises(ValueError, match=message):
        simulate(Scenario(**args), seed=1, iterations=10_000)


def test_too_few_iterations_are_refused():
    with pytest.raises(ValueError, match="iterations"):
        simulate(Scenario("x", "poisson", 1.0, 1_000, 10_000), seed=1, iterations=9_999)


def test_sensitivity_swings_are_sorted_and_move_the_mean_the_right_way():
    s = Scenario(
        "sens",
        "poisson",
        2.0,
        10_000,
        100_000,
        control_efficacy=0.5,
        loss_reduction=0.2,
        annual_control_cost=10_000,
        frequency_low=1.0,
        frequency_high=4.0,
    )
    rows = sensitivity(s, seed=3, iterations=10_000)
    assert [r["swing"] for r in rows] == sorted((r["swing"] for r in rows), reverse=True)
    by = {r["input_name"]: r for r in rows}
    assert set(by) == {"frequency", "loss_per_event", "control_efficacy", "loss_reduction", "annual_control_cost"}
    assert [r["swing_rank"] for r in rows] == [1, 2, 3, 4, 5]
    for name in ("frequency", "loss_per_event", "control_efficacy", "loss_reduction"):
        # more events, bigger losses, a better control: more avoided loss
        assert by[name]["net_benefit_mean_at_high"] > by[name]["net_benefit_mean_at_low"], name
    cost = by["annual_control_cost"]  # deterministic: ±50% of 10,000 moves the mean by exactly 10,000
    assert cost["net_benefit_mean_at_low"] - cost["net_benefit_mean_at_high"] == pytest.approx(10_000)
    assert by["frequency"]["bound_basis"] == "frequency_low / frequency_high"
    assert (by["frequency"]["input_low"], by["frequency"]["input_high"]) == (1.0, 4.0)


def test_bernoulli_sensitivity_caps_the_probability_and_says_why():
    s = Scenario("b", "bernoulli", 0.8, 10_000, 100_000, control_efficacy=0.5)
    by = {r["input_name"]: r for r in sensitivity(s, seed=3, iterations=10_000)}
    assert by["frequency"]["input_high"] == 1.0
    assert "±50%" in by["frequency"]["bound_basis"]


def test_control_swings_reuse_the_same_events_and_losses():
    """Common random numbers: changing the control never changes the baseline draws."""
    s = Scenario("crn", "pert", 2.0, 10_000, 100_000, control_efficacy=0.3, frequency_low=1.0, frequency_high=5.0)
    a = simulate(s, seed=9, iterations=10_000)
    b = simulate(
        Scenario(
            "crn",
            "pert",
            2.0,
            10_000,
            100_000,
            control_efficacy=0.9,
            loss_reduction=0.5,
            frequency_low=1.0,
            frequency_high=5.0,
        ),
        seed=9,
        iterations=10_000,
    )
    assert np.array_equal(a["baseline_loss"], b["baseline_loss"])
    assert (b["residual_loss"] <= a["residual_loss"] + 1e-9).all()


def test_control_variants_in_one_pass_are_the_numbers_of_their_own_runs(monkeypatch):
    """The sensitivity's control swings share the scenario's draws: each variant's four measures equal those of
    its own simulation bit for bit, however the years are chunked, and so do the swings' means."""
    from dataclasses import replace

    import orchestration.scenarios.model as model

    s = Scenario(
        "shared",
        "pert",
        3.0,
        1_000,
        20_000,
        control_efficacy=0.4,
        loss_reduction=0.2,
        annual_control_cost=900.0,
        frequency_low=1.0,
        frequency_high=8.0,
    )
    variants = [
        s,
        replace(s, control_efficacy=0.9),
        replace(s, loss_reduction=0.7),
        replace(s, annual_control_cost=50.0),
        replace(s, control_efficacy=0.0, loss_reduction=0.0),
    ]
    for chunk in (model.EVENT_CHUNK, 333):
        monkeypatch.setattr(model, "EVENT_CHUNK", chunk)
        shared = simulate_controls(s, variants, seed=11, iterations=10_000)
        for v, got in zip(variants, shared, strict=True):
            alone = simulate(v, seed=11, iterations=10_000)
            for m in alone:
                assert np.array_equal(got[m], alone[m]), (v, m)
    draws, rows = simulate_with_sensitivity(s, seed=11, iterations=10_000)
    assert all(np.array_equal(draws[m], simulate(s, seed=11, iterations=10_000)[m]) for m in draws)
    assert rows == sensitivity(s, seed=11, iterations=10_000)
    for row in rows:  # each swing's mean is the mean of its own simulation
        if row["input_name"] in model.CONTROL_INPUTS:
            low = replace(s, **{row["input_name"]: row["input_low"]})
            assert row["net_benefit_mean_at_low"] == float(
                simulate(low, seed=11, iterations=10_000)["net_benefit"].mean()
            )


def test_a_variant_that_changes_events_or_losses_is_refused():
    from dataclasses import replace

    s = Scenario("shared", "poisson", 3.0, 1_000, 20_000, control_efficacy=0.4)
    with pytest.raises(ValueError, match="may differ in control_efficacy, loss_reduction, annual_control_cost only"):
        simulate_controls(s, [s, replace(s, frequency_mode=4.0)], seed=1, iterations=10_000)
    with pytest.raises(ValueError, match="control_efficacy"):
        simulate_controls(s, [replace(s, control_efficacy=1.5)], seed=1, iterations=10_000)


def test_chunking_never_changes_a_number(monkeypatch):
    import orchestration.scenarios.model as model

    s = Scenario("chunks", "poisson", 40.0, 100, 5_000, control_efficacy=0.4, loss_reduction=0.1)
    whole = simulate(s, seed=5, iterations=10_000)
    monkeypatch.setattr(model, "EVENT_CHUNK", 777)  # many chunks, and years larger than nothing
    chunked = simulate(s, seed=5, iterations=10_000)
    for m in whole:
        assert np.array_equal(whole[m], chunked[m]), m
    monkeypatch.setattr(model, "EVENT_CHUNK", 1)  # every year its own chunk
    assert np.array_equal(whole["baseline_loss"], simulate(s, seed=5, iterations=10_000)["baseline_loss"])


def test_a_loss_swing_is_the_simulation_of_the_swung_scenario():
    """The loss swings are computed from the scenario's own draws (every loss scaled), not simulated again: each
    equals the mean of its own simulation (same streams) up to rounding, and the swing moves the mean the
    way the scale says."""
    from dataclasses import replace

    s = Scenario(
        "loss-swing",
        "pert",
        6.0,
        2_000,
        80_000,
        control_efficacy=0.35,
        loss_reduction=0.25,
        annual_control_cost=4_000.0,
        frequency_low=2.0,
        frequency_high=15.0,
    )
    row = next(r for r in sensitivity(s, seed=17, iterations=10_000) if r["input_name"] == "loss_per_event")
    geo_mid = (s.loss_low_90 * s.loss_high_90) ** 0.5
    for bound, column in ((s.loss_low_90, "net_benefit_mean_at_low"), (s.loss_high_90, "net_benefit_mean_at_high")):
        k = bound / geo_mid
        swung = replace(s, loss_low_90=s.loss_low_90 * k, loss_high_90=s.loss_high_90 * k)
        simulated = float(simulate(swung, seed=17, iterations=10_000)["net_benefit"].mean())
        assert row[column] == pytest.approx(simulated, rel=1e-9)
    assert row["net_benefit_mean_at_low"] < row["net_benefit_mean_base"] < row["net_benefit_mean_at_high"]
