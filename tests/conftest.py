"""Shared fixtures: the dbt manifest (prepared once per session, as `make manifest` does) and data dirs."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: A fixed as-of date keeps generated data, and so every assertion on it, independent of the day CI runs.
AS_OF = date(2026, 10, 31)


@pytest.fixture(scope="session")
def dbt_manifest() -> Path:
    """Parse the dbt project once; the Dagster definitions load this manifest."""
    from orchestration.dbt import prepare_manifest

    return prepare_manifest()


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory, dbt_manifest) -> Path:
    """The small demo organisation (seed 42), generated once per session; copy it, never write into it."""
    from orchestration.demo import generate

    root = tmp_path_factory.mktemp("demo_small")
    generate(root, seed=42, scale="small", months=12, as_of=AS_OF)
    return root / "raw"


@pytest.fixture
def demo_data_dir(tmp_path, demo_raw) -> Path:
    """A fresh data directory holding a copy of the demo raw exports."""
    shutil.copytree(demo_raw, tmp_path / "raw")
    return tmp_path
