"""The dataset registry: the one declarative list of every raw export the pipeline ingests.

Each entry names where files land (``raw/<system>/<dataset>/``), which file formats are accepted, and the
contract every record must meet: the fields to keep (with the header names or JSON paths they come from,
their vendor variants, types, required-ness and allowed values). Ingest, the dataset docs
(``docs/datasets.md``), the dbt sources and the tests are all driven from this list, so adding a source is
one declaration in its system's module (``orchestration/registry/<system>.py``), listed here, plus one staging
model (``docs/ADDING_A_SOURCE.md``).

Landing tables are ``landing_<system>.<dataset>`` in the build database. Each holds one column per field
(typed, enums in their canonical casing, null sentinels as NULL) plus the provenance columns
``_source_file``, ``_file_sha256``, ``_line`` and ``_ingested_at``, and either ``_extra`` (CSV/Parquet: the
columns the contract does not name, as a JSON object) or ``_record`` (JSON sources: a JSON record whole; their
CSV rows, like ``_extra``, the columns the contract does not name).
"""

from __future__ import annotations

from orchestration.dataset_model import (
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    DECIMAL_TYPE,
    FIELD_TYPES,
    FORMATS,
    NULL_TOKENS,
    REPEATS,
    TEMPORAL_TYPES,
    Dataset,
    Field,
)
from orchestration.registry.ai import (
    ANTHROPIC_COST,
    ANTHROPIC_USAGE,
    BEDROCK_INVOCATIONS,
    CLAUDE_CODE_USAGE,
    CURSOR_DAILY_USAGE,
    CURSOR_USAGE_EVENTS,
    GITHUB_COPILOT_ORG_USAGE,
    GITHUB_COPILOT_SEATS,
    GITHUB_COPILOT_USAGE,
    OPENAI_COSTS,
)
from orchestration.registry.assumptions import SCENARIOS
from orchestration.registry.billing import FOCUS, SAAS_LICENCES
from orchestration.registry.delivery import DELIVERY_CHANGES, DELIVERY_DEPLOYMENTS, DELIVERY_INCIDENTS, WORK_ITEMS
from orchestration.registry.iam import (
    AWS_CREDENTIAL_REPORT,
    GITHUB_AUDIT_LOG,
    IDENTITY_INVENTORY,
    OKTA_SYSTEM_LOG,
    SECRETS_INVENTORY,
)
from orchestration.registry.policy import OPA_DECISION_LOGS
from orchestration.registry.security import SECURITY_INCIDENTS
from orchestration.registry.usage import LITELLM_SPEND_LOGS, OPENAI_USAGE

__all__ = [
    "ANTHROPIC_COST",
    "ANTHROPIC_USAGE",
    "AWS_CREDENTIAL_REPORT",
    "BEDROCK_INVOCATIONS",
    "BY_KEY",
    "CLAUDE_CODE_USAGE",
    "CURSOR_DAILY_USAGE",
    "CURSOR_USAGE_EVENTS",
    "DATASETS",
    "DECIMAL_PRECISION",
    "DECIMAL_SCALE",
    "DECIMAL_TYPE",
    "DELIVERY_CHANGES",
    "DELIVERY_DEPLOYMENTS",
    "DELIVERY_INCIDENTS",
    "FIELD_TYPES",
    "FOCUS",
    "FORMATS",
    "GITHUB_AUDIT_LOG",
    "GITHUB_COPILOT_ORG_USAGE",
    "GITHUB_COPILOT_SEATS",
    "GITHUB_COPILOT_USAGE",
    "IDENTITY_INVENTORY",
    "LITELLM_SPEND_LOGS",
    "NULL_TOKENS",
    "OKTA_SYSTEM_LOG",
    "OPA_DECISION_LOGS",
    "OPENAI_COSTS",
    "OPENAI_USAGE",
    "REPEATS",
    "SAAS_LICENCES",
    "SCENARIOS",
    "SECRETS_INVENTORY",
    "SECURITY_INCIDENTS",
    "TEMPORAL_TYPES",
    "WORK_ITEMS",
    "Dataset",
    "Field",
    "get",
]

DATASETS: tuple[Dataset, ...] = (
    AWS_CREDENTIAL_REPORT,
    GITHUB_AUDIT_LOG,
    OKTA_SYSTEM_LOG,
    IDENTITY_INVENTORY,
    SECRETS_INVENTORY,
    LITELLM_SPEND_LOGS,
    OPENAI_USAGE,
    GITHUB_COPILOT_USAGE,
    GITHUB_COPILOT_ORG_USAGE,
    GITHUB_COPILOT_SEATS,
    ANTHROPIC_USAGE,
    ANTHROPIC_COST,
    CLAUDE_CODE_USAGE,
    OPENAI_COSTS,
    BEDROCK_INVOCATIONS,
    CURSOR_DAILY_USAGE,
    CURSOR_USAGE_EVENTS,
    OPA_DECISION_LOGS,
    FOCUS,
    SAAS_LICENCES,
    DELIVERY_CHANGES,
    DELIVERY_DEPLOYMENTS,
    DELIVERY_INCIDENTS,
    WORK_ITEMS,
    SECURITY_INCIDENTS,
    SCENARIOS,
)

BY_KEY: dict[str, Dataset] = {d.key: d for d in DATASETS}


def get(key: str) -> Dataset:
    """The dataset registered as ``<system>/<dataset>``."""
    try:
        return BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown dataset {key!r}; known: {', '.join(BY_KEY)}") from None
