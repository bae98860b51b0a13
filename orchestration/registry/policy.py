"""Policy decisions: OPA decision logs."""

from __future__ import annotations

from datetime import date

from orchestration.dataset_model import Dataset
from orchestration.registry.common import f

OPA_DECISION_LOGS = Dataset(
    system="policy",
    name="opa_decision_logs",
    title="OPA decision logs",
    description="Open Policy Agent decision log events (JSON lines or arrays).",
    formats=("jsonl", "json"),
    owner="security",
    natural_key=("decision_id",),
    freshness_field="decided_at",
    time_floor=date(2016, 1, 1),
    fields=(
        f("decision_id", req=True),
        f("path", req=True, desc="policy path, e.g. `ai/tools/allow`"),
        f("input", type="json", req=True),
        f("result", type="json", desc="boolean or object with `allow`"),
        f("decided_at", "timestamp", "timestamp", req=True),
        f("labels", type="json"),
        f("bundles", type="json"),
        f("requested_by"),
        f("req_id", type="integer"),
        f("metrics", type="json"),
    ),
)
