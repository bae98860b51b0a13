"""docs/ADDING_A_SOURCE.md stays true: every registered dataset has every file its checklist names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestration.datasets import DATASETS, Dataset

ROOT = Path(__file__).resolve().parents[2]
CHECKLIST = ROOT / "docs" / "ADDING_A_SOURCE.md"
#: A checklist line naming a path a dataset must have: ``path: `<template>```.
PATH_ITEM = re.compile(r"path: `([^`]+)`")


def templates(text: str) -> list[str]:
    return PATH_ITEM.findall(text)


def missing_paths(ds: Dataset, items: list[str], root: Path) -> list[str]:
    paths = [item.format(system=ds.system, name=ds.name) for item in items]
    return [p for p in paths if not (root / p).exists()]


def test_the_checklist_names_the_generated_and_hand_written_files():
    items = templates(CHECKLIST.read_text(encoding="utf-8"))
    assert len(items) >= 5 and all("{system}" in i for i in items)


@pytest.mark.parametrize("ds", DATASETS, ids=lambda d: d.key)
def test_every_dataset_has_what_the_checklist_names(ds: Dataset):
    assert missing_paths(ds, templates(CHECKLIST.read_text(encoding="utf-8")), ROOT) == []


def test_a_dataset_missing_a_step_is_named(tmp_path):
    (tmp_path / "tests" / "fixtures" / "toy" / "events").mkdir(parents=True)
    toy = Dataset(
        system="toy",
        name="events",
        title="toy",
        description="",
        formats=("csv",),
        fields=(),
        natural_key=(),
        owner="engineering",
    )
    items = ["tests/fixtures/{system}/{name}", "dbt_project/models/staging/{system}/stg_{system}__{name}.sql"]
    assert missing_paths(toy, items, tmp_path) == ["dbt_project/models/staging/toy/stg_toy__events.sql"]
