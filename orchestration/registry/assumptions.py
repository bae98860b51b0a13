"""The analysts' scenario assumptions."""

from __future__ import annotations

from orchestration.dataset_model import Dataset
from orchestration.registry.common import INCIDENT_CATEGORIES, f

SCENARIOS = Dataset(
    system="assumptions",
    name="scenarios",
    title="Scenario assumptions",
    description="Assumptions for the Monte Carlo scenario model (docs/METHOD.md section 4), one row per "
    "scenario (documented in docs/FORMATS.md).",
    # unique within a file: a newer file may restate a scenario (int_scenarios__inputs keeps the newest row and
    # reports the older one), so the landed table legitimately holds an id once per file
    formats=("csv",),
    owner="security",
    natural_key=("scenario_id", "_file_sha256"),
    freshness_field="_ingested_at",
    freshness_warn_hours=24 * 365,
    freshness_error_hours=24 * 730,
    fields=(
        f("scenario_id", req=True),
        f("ai_system_id", req=True),
        f("ledger", req=True, allowed=("defensive", "efficiency", "productivity")),
        f("description"),
        f("frequency_model", req=True, allowed=("poisson", "bernoulli", "pert")),
        f("frequency_low", type="decimal"),
        f("frequency_mode", type="decimal", req=True),
        f("frequency_high", type="decimal"),
        f("loss_low_90", type="decimal", req=True),
        f("loss_high_90", type="decimal", req=True),
        f("currency", req=True),
        f("control_efficacy", type="decimal", req=True),
        f("loss_reduction", type="decimal", req=True),
        f("annual_control_cost", type="decimal", req=True),
        f("horizon_years", type="integer"),
        f(
            "incident_category",
            allowed=INCIDENT_CATEGORIES,
            desc="security incident category whose observed history the scenario may use",
        ),
        f(
            "use_observed",
            desc="semicolon list of inputs taken from the spine instead of this row: "
            "frequency, loss (need incident_category), control_cost",
        ),
        f("source", req=True, desc="citation for the figures"),
    ),
)
