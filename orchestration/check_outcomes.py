"""The asset checks a run evaluated, as the release record and the gate summary list them.

Every blocking check (ingest contracts, dbt tests of error severity, the GX gates) reports through Dagster's
event log; a release record keeps each check's verdict and its observed values, so an auditor reads why a
release was published or blocked without the run's logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dagster import DagsterEventType, DagsterInstance


@dataclass
class CheckOutcome:
    asset: str
    check: str
    passed: bool
    severity: str
    blocking: bool
    detail: str
    observed: dict[str, Any] = field(default_factory=dict)
    """The check's observed values (its metadata: counts, shares, ages, thresholds), for the release record."""

    @property
    def blocks(self) -> bool:
        return not self.passed and self.severity == "ERROR"

    def as_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "check": self.check,
            "passed": self.passed,
            "severity": self.severity,
            "blocking": self.blocking,
            "detail": self.detail,
            "observed": self.observed,
        }


#: Check metadata that says nothing about the data (run bookkeeping), left out of the observed values.
_BOOKKEEPING = {"unique_id", "dagster_dbt/unique_id", "invocation_id", "Execution Duration"}


def observed_values(metadata: dict[str, Any]) -> dict[str, Any]:
    """The check's metadata values that are plain numbers, text or booleans (pure: tested)."""
    out: dict[str, Any] = {}
    for k, v in metadata.items():
        val = getattr(v, "value", v)
        if k in _BOOKKEEPING:
            continue
        if isinstance(val, (int, float, bool)) or (isinstance(val, str) and len(val) <= 2000):
            out[k] = val
    return out


def _detail(metadata: dict[str, Any]) -> str:
    parts = []
    for k, v in metadata.items():
        val = getattr(v, "value", v)
        if isinstance(val, (str, int, float, bool)) and k not in ("unique_id", "dagster_dbt/unique_id"):
            parts.append(f"{k}={val}")
    return "; ".join(parts)[:500]


def run_check_outcomes(instance: DagsterInstance, run_id: str) -> list[CheckOutcome]:
    """Every asset check evaluated in a run, latest evaluation per check."""
    seen: dict[tuple[str, str], CheckOutcome] = {}
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        ev = entry.dagster_event.event_specific_data
        key = (ev.asset_key.to_user_string(), ev.check_name)
        seen[key] = CheckOutcome(
            asset=key[0],
            check=ev.check_name,
            passed=ev.passed,
            severity=ev.severity.value,
            blocking=bool(getattr(ev, "blocking", False)),
            detail=_detail(dict(ev.metadata)),
            observed=observed_values(dict(ev.metadata)),
        )
    return sorted(seen.values(), key=lambda c: (c.asset, c.check))
