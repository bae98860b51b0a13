"""Scenario model benchmark (``make bench``): 50 scenarios × 100,000 iterations, with sensitivities.

Reported as a ratio against a baseline in the same command: drawing the same number of lognormal values
with numpy alone (the irreducible cost of the simulation).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from orchestration.scenarios.model import Scenario, sensitivity, simulate, summarise
from orchestration.scenarios.run import run_scenarios


def main() -> int:
    rng = np.random.default_rng(0)
    scenarios = [
        Scenario(
            f"s{i:02d}",
            ("poisson", "bernoulli", "pert")[i % 3],
            0.3 if i % 3 == 1 else float(rng.uniform(0.5, 5)),
            10_000,
            1_000_000,
            control_efficacy=0.5,
            loss_reduction=0.3,
            annual_control_cost=25_000,
            frequency_low=0.2,
            frequency_high=8.0,
        )
        for i in range(50)
    ]
    t0 = time.perf_counter()
    events = 0
    for s in scenarios:
        draws = simulate(s, seed=42, iterations=100_000)
        summarise(s, draws)
        events += int(draws["baseline_loss"].size)
    sim = time.perf_counter() - t0
    t0 = time.perf_counter()
    for s in scenarios:
        sensitivity(s, seed=42, iterations=100_000)
    sens = time.perf_counter() - t0
    expected_events = int(sum(s.expected_frequency() for s in scenarios) * 100_000)
    t0 = time.perf_counter()
    np.random.default_rng(1).lognormal(0, 1, expected_events)
    base = time.perf_counter() - t0
    print(
        f"50 scenarios x 100,000 iterations: {sim:.2f} s (about {expected_events:,} loss events); "
        f"one-at-a-time sensitivities (10 more runs each): {sens:.2f} s"
    )
    print(f"ratio to drawing the same number of lognormal values with numpy alone: {sim / base:.1f}x")
    rows = [
        {
            "scenario_id": s.scenario_id,
            "ai_system_id": f"ais-{i % 10}",
            "ledger": "defensive",
            "ai_system_known": True,
            "currency": "USD",
            "frequency_model": s.frequency_model,
            "frequency_low": s.frequency_low,
            "frequency_mode": s.frequency_mode,
            "frequency_high": s.frequency_high,
            "loss_low_90": s.loss_low_90,
            "loss_high_90": s.loss_high_90,
            "control_efficacy": s.control_efficacy,
            "loss_reduction": s.loss_reduction,
            "annual_control_cost": s.annual_control_cost,
        }
        for i, s in enumerate(scenarios)
    ]
    t0 = time.perf_counter()
    run = run_scenarios(rows, seed=42, iterations=100_000)
    full = time.perf_counter() - t0
    print(
        f"the asset's whole computation (validation, simulation, sensitivities, rollups of {len(run.rollups)} "
        f"groups): {full:.2f} s = {full / sim:.1f}x the simulation alone"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
