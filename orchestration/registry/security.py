"""Security incidents."""

from __future__ import annotations

from orchestration.dataset_model import Dataset
from orchestration.registry.common import INCIDENT_CATEGORIES, f

SECURITY_INCIDENTS = Dataset(
    system="security",
    name="incidents",
    title="Security incidents",
    description="Security incident export (CSV, OCSF Incident Finding names where they exist).",
    formats=("csv",),
    owner="security",
    natural_key=("finding_uid",),
    currency_field="currency",
    currency="USD",
    repeats="latest",
    freshness_field="_ingested_at",
    freshness_warn_hours=24 * 35,
    freshness_error_hours=24 * 100,
    fields=(
        f("finding_uid", req=True),
        f("title", req=True),
        f("severity", req=True, allowed=("Informational", "Low", "Medium", "High", "Critical", "Fatal")),
        f("status", req=True, allowed=("New", "In Progress", "On Hold", "Resolved", "Closed")),
        f("start_time", type="timestamp", req=True),
        f("detected_time", type="timestamp"),
        f("end_time", type="timestamp"),
        f("category", req=True, allowed=INCIDENT_CATEGORIES),
        f("ai_system_id"),
        f("detected_by", allowed=("human", "ai", "tool")),
        f("affected_identities", type="integer"),
        f("affected_secrets", type="integer"),
        f("response_hours", type="decimal"),
        f("loss_amount", type="decimal", money=True),
        f("currency"),
    ),
)
