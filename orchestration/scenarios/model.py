"""Seeded, vectorised Monte Carlo of annual loss with and without a control, on ONE coupled event stream.

Per scenario and iteration (one simulated year):
- the number of loss events comes from the frequency model: Poisson(λ = frequency_mode), Bernoulli(p =
  frequency_mode: at most one event), or PERT(frequency_low, frequency_mode, frequency_high, γ = 4) for λ,
  drawn per year, then Poisson(λ);
- each event's loss is lognormal, calibrated from the 90% range [L, H]:
  μ = (ln L + ln H) / 2, σ = (ln H − ln L) / (2 × 1.6449);
- the control acts on those same events: each is prevented with probability ``control_efficacy``, and the
  loss of the rest is reduced by ``loss_reduction``. Simulating baseline and residual from one stream makes
  avoided loss ≥ 0 in every year (two independent runs would not).

Each scenario has its own stream, ``default_rng(SeedSequence([seed, scenario_key]))``, with ``scenario_key`` a
stable 64-bit hash of the scenario id: the same seed and inputs give the same numbers on every machine, and
adding a scenario never changes another's numbers.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace

import numpy as np

Z90 = 1.6448536269514722  # standard normal quantile at 0.95: a 90% range is μ ± Z90·σ
MIN_ITERATIONS = 10_000
DEFAULT_ITERATIONS = 100_000
PERCENTILES = (5, 10, 50, 90, 95)
MEASURES = ("baseline_loss", "residual_loss", "avoided_loss", "net_benefit")


@dataclass(frozen=True)
class Scenario:
    scenario_id: str
    frequency_model: str  # poisson | bernoulli | pert
    frequency_mode: float
    loss_low_90: float
    loss_high_90: float
    control_efficacy: float = 0.0
    loss_reduction: float = 0.0
    annual_control_cost: float = 0.0
    frequency_low: float | None = None
    frequency_high: float | None = None

    def validate(self) -> None:
        """Raise ValueError naming what is impossible about the inputs."""
        problems = []
        if self.frequency_model not in ("poisson", "bernoulli", "pert"):
            problems.append(f"unknown frequency_model {self.frequency_model!r} (poisson, bernoulli or pert)")
        if self.frequency_mode is None or self.frequency_mode < 0:
            problems.append("frequency_mode must be >= 0")
        if self.frequency_model == "bernoulli" and self.frequency_mode is not None and self.frequency_mode > 1:
            problems.append("a bernoulli frequency_mode is a yearly probability, in [0, 1]")
        if self.frequency_model == "pert":
            lo, mode, hi = self.frequency_low, self.frequency_mode, self.frequency_high
            if lo is None or hi is None:
                problems.append("pert needs frequency_low and frequency_high")
            elif not (0 <= lo <= mode <= hi) or lo >= hi:
                problems.append("pert needs 0 <= frequency_low <= frequency_mode <= frequency_high, low < high")
        if not (0 < self.loss_low_90 < self.loss_high_90):
            problems.append("the loss range needs 0 < loss_low_90 < loss_high_90")
        for name in ("control_efficacy", "loss_reduction"):
            v = getattr(self, name)
            if not (0 <= v <= 1):
                problems.append(f"{name} must be in [0, 1]")
        if self.annual_control_cost < 0:
            problems.append("annual_control_cost must be >= 0")
        if problems:
            raise ValueError(f"scenario {self.scenario_id}: " + "; ".join(problems))

    @property
    def mu(self) -> float:
        return (math.log(self.loss_low_90) + math.log(self.loss_high_90)) / 2

    @property
    def sigma(self) -> float:
        return (math.log(self.loss_high_90) - math.log(self.loss_low_90)) / (2 * Z90)

    def expected_frequency(self) -> float:
        if self.frequency_model == "pert":
            return (self.frequency_low + 4 * self.frequency_mode + self.frequency_high) / 6
        return self.frequency_mode

    def expected_annual_loss(self) -> float:
        """Closed form of the baseline mean: E[events] × exp(μ + σ²/2)."""
        return self.expected_frequency() * math.exp(self.mu + self.sigma ** 2 / 2)


def scenario_key(scenario_id: str) -> int:
    return int.from_bytes(hashlib.sha256(scenario_id.encode()).digest()[:8], "big")


def rng_for(seed: int, scenario_id: str) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, scenario_key(scenario_id)]))


def _events(s: Scenario, rng: np.random.Generator, n: int) -> np.ndarray:
    if s.frequency_model == "bernoulli":
        return (rng.random(n) < s.frequency_mode).astype(np.int64)
    if s.frequency_model == "pert":
        lo, mode, hi = s.frequency_low, s.frequency_mode, s.frequency_high
        alpha = 1 + 4 * (mode - lo) / (hi - lo)
        beta = 1 + 4 * (hi - mode) / (hi - lo)
        lam = lo + (hi - lo) * rng.beta(alpha, beta, n)
        return rng.poisson(lam)
    return rng.poisson(s.frequency_mode, n)


def simulate(s: Scenario, *, seed: int, iterations: int = DEFAULT_ITERATIONS) -> dict[str, np.ndarray]:
    """Yearly baseline, residual and avoided loss and net benefit, one value per iteration."""
    s.validate()
    if iterations < MIN_ITERATIONS:
        raise ValueError(f"iterations must be >= {MIN_ITERATIONS}, got {iterations}")
    rng = rng_for(seed, s.scenario_id)
    counts = _events(s, rng, iterations)
    total = int(counts.sum())
    year = np.repeat(np.arange(iterations), counts)
    loss = rng.lognormal(s.mu, s.sigma, total)
    prevented = rng.random(total) < s.control_efficacy
    residual_event = np.where(prevented, 0.0, loss * (1.0 - s.loss_reduction))
    baseline = np.bincount(year, weights=loss, minlength=iterations)
    residual = np.bincount(year, weights=residual_event, minlength=iterations)
    avoided = baseline - residual
    return {"baseline_loss": baseline, "residual_loss": residual, "avoided_loss": avoided,
            "net_benefit": avoided - s.annual_control_cost}


def summarise(s: Scenario, draws: dict[str, np.ndarray]) -> dict[str, float]:
    """``<measure>_<stat>`` for mean, p5 … p95 and the Monte Carlo standard error of the mean."""
    out: dict[str, float] = {}
    for m in MEASURES:
        x = draws[m]
        out[f"{m}_mean"] = float(x.mean())
        for p, v in zip(PERCENTILES, np.percentile(x, PERCENTILES), strict=True):
            out[f"{m}_p{p}"] = float(v)
        out[f"{m}_mean_se"] = float(x.std(ddof=1) / math.sqrt(len(x)))
    out["p_net_negative"] = float((draws["net_benefit"] < 0).mean())
    out["p_avoided_exceeds_cost"] = float((draws["avoided_loss"] > s.annual_control_cost).mean())
    return out


def sensitivity(s: Scenario, *, seed: int, iterations: int = DEFAULT_ITERATIONS) -> list[dict[str, float | str]]:
    """One-at-a-time swings of the mean net benefit, each input at its low and high bound (tornado chart).

    Bounds: the frequency at frequency_low / frequency_high (poisson and pert; bernoulli ±50%, within [0, 1]),
    the loss range shifted to its low or its high end (both ends × L/H's ratio to the range's midpoint),
    efficacy and loss reduction ±50% of their value within [0, 1]. Every swing reuses the scenario's stream.
    """
    base = summarise(s, simulate(s, seed=seed, iterations=iterations))["net_benefit_mean"]
    geo_mid = math.sqrt(s.loss_low_90 * s.loss_high_90)
    swings: list[tuple[str, Scenario, Scenario]] = []
    if s.frequency_model in ("poisson", "pert") and s.frequency_low is not None and s.frequency_high is not None:
        lo = replace(s, frequency_mode=s.frequency_low, frequency_model="poisson")
        hi = replace(s, frequency_mode=s.frequency_high, frequency_model="poisson")
    else:
        lo = replace(s, frequency_mode=s.frequency_mode * 0.5)
        hi = replace(s, frequency_mode=min(s.frequency_mode * 1.5, 1.0) if s.frequency_model == "bernoulli"
                     else s.frequency_mode * 1.5)
    swings.append(("frequency", lo, hi))
    swings.append(("loss_per_event",
                   replace(s, loss_low_90=s.loss_low_90 * s.loss_low_90 / geo_mid,
                           loss_high_90=s.loss_high_90 * s.loss_low_90 / geo_mid),
                   replace(s, loss_low_90=s.loss_low_90 * s.loss_high_90 / geo_mid,
                           loss_high_90=s.loss_high_90 * s.loss_high_90 / geo_mid)))
    for name in ("control_efficacy", "loss_reduction"):
        v = getattr(s, name)
        swings.append((name, replace(s, **{name: max(0.0, v * 0.5)}), replace(s, **{name: min(1.0, v * 1.5)})))
    rows = []
    for name, low, high in swings:
        lo_mean = summarise(low, simulate(low, seed=seed, iterations=iterations))["net_benefit_mean"]
        hi_mean = summarise(high, simulate(high, seed=seed, iterations=iterations))["net_benefit_mean"]
        rows.append({"scenario_id": s.scenario_id, "input_name": name, "net_benefit_mean_base": base,
                     "net_benefit_mean_at_low": lo_mean, "net_benefit_mean_at_high": hi_mean,
                     "swing": abs(hi_mean - lo_mean)})
    return sorted(rows, key=lambda r: -r["swing"])
