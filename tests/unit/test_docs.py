"""The dataset docs are generated from the registry and must not drift from it."""

from __future__ import annotations

from orchestration import docs
from orchestration.datasets import DATASETS


def test_committed_dataset_docs_equal_the_rendering():
    assert docs.DOC_PATH.read_text() == docs.render(), "run `make generate`"


def test_docs_name_every_dataset_and_field():
    text = docs.render()
    for ds in DATASETS:
        assert f"## {ds.key}:" in text
        for f in ds.fields:
            assert f"| `{f.name}` | `{f.source}`" in text, f"{ds.key}.{f.name}"
