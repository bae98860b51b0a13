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

Each scenario has its own stream, ``SeedSequence([seed, scenario_key])``, with ``scenario_key`` a stable 64-bit
hash of the scenario id: the same seed and inputs give the same numbers on every machine, and adding a scenario
never changes another's numbers. The stream is split into three children (event counts, losses, control
outcomes), so a sensitivity run that changes the control reuses exactly the same events and losses (common
random numbers: the swing is the input's effect, not sampling noise), and events are drawn in chunks of at
most ``EVENT_CHUNK`` without changing any number (memory stays flat for high-frequency scenarios).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, replace

import numpy as np

Z90 = 1.6448536269514722  # standard normal quantile at 0.95: a 90% range is μ ± Z90·σ
MIN_ITERATIONS = 10_000
DEFAULT_SEED = 20240601  # stored with every output row; change it with run config
DEFAULT_ITERATIONS = 100_000
EVENT_CHUNK = 2_000_000
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

    def problems(self) -> list[tuple[str, str]]:
        """What is impossible about the inputs, as (column, reason) pairs; empty when the scenario can run."""
        out: list[tuple[str, str]] = []
        if self.frequency_model not in ("poisson", "bernoulli", "pert"):
            out.append(
                ("frequency_model", f"unknown frequency_model {self.frequency_model!r} (poisson, bernoulli or pert)")
            )
        if self.frequency_mode is None or not math.isfinite(self.frequency_mode) or self.frequency_mode < 0:
            out.append(("frequency_mode", "frequency_mode must be a number >= 0"))
        elif self.frequency_model == "bernoulli" and self.frequency_mode > 1:
            out.append(("frequency_mode", "a bernoulli frequency_mode is a yearly probability, in [0, 1]"))
        if self.frequency_model == "pert":
            lo, mode, hi = self.frequency_low, self.frequency_mode, self.frequency_high
            if lo is None or hi is None:
                out.append(
                    ("frequency_low" if lo is None else "frequency_high", "pert needs frequency_low and frequency_high")
                )
            elif mode is None or not (0 <= lo <= mode <= hi) or lo >= hi:
                out.append(
                    ("frequency_low", "pert needs 0 <= frequency_low <= frequency_mode <= frequency_high, low < high")
                )
        if self.loss_low_90 is None or self.loss_high_90 is None or not (0 < self.loss_low_90 < self.loss_high_90):
            column = "loss_low_90" if (self.loss_low_90 is None or self.loss_low_90 <= 0) else "loss_high_90"
            out.append((column, "the loss range needs 0 < loss_low_90 < loss_high_90"))
        for name in ("control_efficacy", "loss_reduction"):
            v = getattr(self, name)
            if v is None or not (0 <= v <= 1):
                out.append((name, f"{name} must be in [0, 1]"))
        if self.annual_control_cost is None or self.annual_control_cost < 0:
            out.append(("annual_control_cost", "annual_control_cost must be >= 0"))
        return out

    def validate(self) -> None:
        """Raise ValueError naming what is impossible about the inputs."""
        problems = self.problems()
        if problems:
            raise ValueError(f"scenario {self.scenario_id}: " + "; ".join(reason for _, reason in problems))

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
        return self.expected_frequency() * math.exp(self.mu + self.sigma**2 / 2)


def scenario_key(scenario_id: str) -> int:
    return int.from_bytes(hashlib.sha256(scenario_id.encode()).digest()[:8], "big")


def rng_for(seed: int, scenario_id: str) -> tuple[np.random.Generator, np.random.Generator, np.random.Generator]:
    """The scenario's three child streams: event counts, losses per event, control outcomes."""
    root = np.random.SeedSequence([seed, scenario_key(scenario_id)])
    return tuple(np.random.default_rng(child) for child in root.spawn(3))  # type: ignore[return-value]


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
    return simulate_controls(s, [s], seed=seed, iterations=iterations)[0]


#: The inputs a scenario's control outcome depends on, and nothing else: variants of a scenario that differ only
#: in these share its event counts, its losses and its control draws.
CONTROL_INPUTS = ("control_efficacy", "loss_reduction", "annual_control_cost")


def simulate_controls(
    s: Scenario, variants: list[Scenario], *, seed: int, iterations: int = DEFAULT_ITERATIONS
) -> list[dict[str, np.ndarray]]:
    """:func:`simulate` of each variant of ``s`` that differs from it in :data:`CONTROL_INPUTS` only, in one pass
    over ``s``'s streams: every variant gets the numbers its own :func:`simulate` gives, bit for bit (the same
    draws, the same arithmetic in the same order), for one set of draws instead of one per variant."""
    s.validate()
    for v in variants:
        v.validate()
        if replace(v, **{k: getattr(s, k) for k in CONTROL_INPUTS}) != s:
            raise ValueError(f"scenario {v.scenario_id}: a variant may differ in {', '.join(CONTROL_INPUTS)} only")
    if iterations < MIN_ITERATIONS:
        raise ValueError(f"iterations must be >= {MIN_ITERATIONS}, got {iterations}")
    count_rng, loss_rng, control_rng = rng_for(seed, s.scenario_id)
    counts = _events(s, count_rng, iterations)
    baseline = np.zeros(iterations)
    # A year's residual is (1 - loss_reduction) x the losses its control did not prevent, and which events it
    # prevents depends on control_efficacy alone: one sum per distinct efficacy serves every variant.
    efficacies = sorted({v.control_efficacy for v in variants})
    unprevented = {e: np.zeros(iterations) for e in efficacies}
    # Chunks of whole years holding at most EVENT_CHUNK events (a year above that is a chunk of its own);
    # the loss and control streams are consumed in order, and each year is summed over its own events
    # (np.add.reduceat over the year's slice), so chunking never changes a number.
    ends = np.cumsum(counts)
    start_year, start_event = 0, 0
    while start_year < iterations:
        stop_year = max(int(np.searchsorted(ends, start_event + EVENT_CHUNK, side="right")), start_year + 1)
        stop_year = min(stop_year, iterations)
        n = int(ends[stop_year - 1]) - start_event
        loss = loss_rng.lognormal(s.mu, s.sigma, n)
        draw = control_rng.random(n)
        years = slice(start_year, stop_year)
        busy = counts[years] > 0
        if busy.any():
            first = (ends[years] - counts[years] - start_event)[busy]
            baseline[years][busy] = np.add.reduceat(loss, first)
            for e, total in unprevented.items():
                total[years][busy] = np.add.reduceat(np.where(draw < e, 0.0, loss), first)
        start_year, start_event = stop_year, start_event + n
    residuals = [unprevented[v.control_efficacy] * (1.0 - v.loss_reduction) for v in variants]
    out = []
    for v, residual in zip(variants, residuals, strict=True):
        avoided = baseline - residual
        out.append(
            {
                "baseline_loss": baseline,
                "residual_loss": residual,
                "avoided_loss": avoided,
                "net_benefit": avoided - v.annual_control_cost,
            }
        )
    return out


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


def sensitivity(
    s: Scenario, *, seed: int, iterations: int = DEFAULT_ITERATIONS, base_mean: float | None = None
) -> list[dict[str, float | str | int]]:
    """One-at-a-time swings of the mean net benefit, each input at its low and its high bound (tornado chart),
    ranked by swing (1 = moves the result most).

    Bounds (``bound_basis`` says which applied): the frequency at frequency_low / frequency_high when given
    (a PERT's λ fixed at its min and max), otherwise ±50% (a probability capped at 1); the loss per event with
    its 90% range shifted so its midpoint sits at loss_low_90, then at loss_high_90; efficacy, loss reduction
    and the control's annual cost ±50% of their value (within [0, 1] for the shares). Every swing runs on the
    scenario's own streams (common random numbers), so the swing is the input's effect, not sampling noise; a
    loss swing scales every loss of those streams, so its mean is computed from the scenario's draws.
    """
    return _sensitivity(s, seed, iterations, base_mean)[1]


def simulate_with_sensitivity(
    s: Scenario, *, seed: int, iterations: int = DEFAULT_ITERATIONS
) -> tuple[dict[str, np.ndarray], list[dict[str, float | str | int]]]:
    """:func:`simulate` and :func:`sensitivity` of ``s`` at once: the base and the six control swings share one
    pass over the scenario's streams (:func:`simulate_controls`), the two loss swings are the base's losses
    scaled (no draws), so a scenario costs three sets of draws, not eleven (the two frequency swings draw their
    own events); every number is the one the separate calls give."""
    return _sensitivity(s, seed, iterations, None)


def _swings(s: Scenario) -> list[tuple[str, str, float, float, Scenario, Scenario]]:
    geo_mid = math.sqrt(s.loss_low_90 * s.loss_high_90)
    swings: list[tuple[str, str, float, float, Scenario, Scenario]] = []
    if s.frequency_low is not None and s.frequency_high is not None and s.frequency_model != "bernoulli":
        model = "poisson"
        f_lo, f_hi, basis = s.frequency_low, s.frequency_high, "frequency_low / frequency_high"
    else:
        model = s.frequency_model
        f_lo = s.frequency_mode * 0.5
        f_hi = min(s.frequency_mode * 1.5, 1.0) if model == "bernoulli" else s.frequency_mode * 1.5
        basis = "frequency_mode ±50% (no range given)"
    swings.append(
        (
            "frequency",
            basis,
            f_lo,
            f_hi,
            replace(s, frequency_model=model, frequency_mode=f_lo, frequency_low=None, frequency_high=None),
            replace(s, frequency_model=model, frequency_mode=f_hi, frequency_low=None, frequency_high=None),
        )
    )
    lo_shift, hi_shift = s.loss_low_90 / geo_mid, s.loss_high_90 / geo_mid
    swings.append(
        (
            "loss_per_event",
            "90% range moved to centre on loss_low_90 / loss_high_90",
            s.loss_low_90,
            s.loss_high_90,
            replace(s, loss_low_90=s.loss_low_90 * lo_shift, loss_high_90=s.loss_high_90 * lo_shift),
            replace(s, loss_low_90=s.loss_low_90 * hi_shift, loss_high_90=s.loss_high_90 * hi_shift),
        )
    )
    for name in ("control_efficacy", "loss_reduction", "annual_control_cost"):
        v = getattr(s, name)
        lo_v, hi_v = v * 0.5, (v * 1.5 if name == "annual_control_cost" else min(1.0, v * 1.5))
        swings.append((name, f"{name} ±50%", lo_v, hi_v, replace(s, **{name: lo_v}), replace(s, **{name: hi_v})))
    return swings


def _sensitivity(
    s: Scenario, seed: int, iterations: int, base_mean: float | None
) -> tuple[dict[str, np.ndarray], list[dict[str, float | str | int]]]:
    swings = _swings(s)
    shared = [v for name, _, _, _, low, high in swings if name in CONTROL_INPUTS for v in (low, high)]
    draws = simulate_controls(s, [s, *shared], seed=seed, iterations=iterations)
    means = {id(v): float(d["net_benefit"].mean()) for v, d in zip(shared, draws[1:], strict=True)}
    if base_mean is None:
        base_mean = float(draws[0]["net_benefit"].mean())
    # A loss swing moves μ by ln(k) and keeps σ: on the same stream every loss is k times the scenario's
    # (lognormal draws are exp(μ + σz)), so its avoided loss is k times the scenario's, and its mean net benefit
    # k x mean avoided loss - cost: no draws (equal to a simulation of the swing up to rounding; tested).
    avoided_mean = float(draws[0]["avoided_loss"].mean())
    for name, _, _, _, low, high in swings:
        if name == "loss_per_event":
            for v in (low, high):
                means[id(v)] = v.loss_low_90 / s.loss_low_90 * avoided_mean - v.annual_control_cost

    def mean(v: Scenario) -> float:
        if id(v) in means:
            return means[id(v)]
        return float(simulate(v, seed=seed, iterations=iterations)["net_benefit"].mean())

    rows: list[dict[str, float | str | int]] = []
    for name, basis, lo_v, hi_v, low, high in swings:
        lo_mean, hi_mean = mean(low), mean(high)
        rows.append(
            {
                "scenario_id": s.scenario_id,
                "input_name": name,
                "bound_basis": basis,
                "input_low": float(lo_v),
                "input_high": float(hi_v),
                "net_benefit_mean_base": base_mean,
                "net_benefit_mean_at_low": lo_mean,
                "net_benefit_mean_at_high": hi_mean,
                "swing": abs(hi_mean - lo_mean),
            }
        )
    rows.sort(key=lambda r: (-r["swing"], r["input_name"]))
    for rank, row in enumerate(rows, start=1):
        row["swing_rank"] = rank
    return draws[0], rows
