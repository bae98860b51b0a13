"""Gate thresholds: the dbt vars of ``dbt_project/dbt_project.yml``, the one configuration of every gate.

The dbt tests read ``attribution_coverage_min`` and ``unclassified_ai_spend_max`` there; the GX suites take
the same values as suite parameters (``{"$PARAMETER": name}``) at validation time, so the two layers of a
gate can never disagree. ``gate_volume_drop_max`` is read only by the GX volume rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orchestration.settings import DBT_PROJECT_DIR

DBT_PROJECT_FILE = DBT_PROJECT_DIR / "dbt_project.yml"

#: Every var a GX gate reads, each a share between 0 and 1.
GATE_VARS: tuple[str, ...] = ("attribution_coverage_min", "unclassified_ai_spend_max", "gate_volume_drop_max")


def dbt_vars(project_file: Path = DBT_PROJECT_FILE) -> dict[str, Any]:
    doc = yaml.safe_load(project_file.read_text(encoding="utf-8")) or {}
    return dict(doc.get("vars") or {})


def share(name: str, project_file: Path = DBT_PROJECT_FILE) -> float:
    """The dbt var ``name`` as a share in [0, 1]; a missing or out-of-range value is a configuration error,
    never a silent default."""
    found = dbt_vars(project_file)
    if name not in found:
        raise KeyError(f"dbt var {name!r} missing from {project_file}")
    value = found[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ValueError(f"dbt var {name} in {project_file} must be a share between 0 and 1, got {value!r}")
    return float(value)


def non_negative(name: str, project_file: Path = DBT_PROJECT_FILE) -> float:
    """The dbt var ``name`` as a number >= 0 (an amount, a number of hours); missing or negative is a
    configuration error, never a silent default."""
    found = dbt_vars(project_file)
    if name not in found:
        raise KeyError(f"dbt var {name!r} missing from {project_file}")
    value = found[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"dbt var {name} in {project_file} must be a number >= 0, got {value!r}")
    return float(value)


def gate_thresholds(project_file: Path = DBT_PROJECT_FILE) -> dict[str, float]:
    return {name: share(name, project_file) for name in GATE_VARS}
